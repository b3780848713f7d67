/**
 * iomap_dio_alloc_bio (seed L55-62): a filesystem that passes a bio_set of its own (btrfs does, for
 * the private data it keeps in front of each bio) gets every bio of the dio, the zeroing bios too,
 * from it; the others get theirs from the default fs_bio_set. The model's bios are alike either
 * way, so the seed lines the run covered are what tells them apart.
 */
import { describe, expect, it } from 'vitest';
import { expectPass, KiB, run, scenario, unwritten } from '../seed/helpers.ts';

// A sub-block write into an unwritten extent: the data bio and two zeroing bios (head and tail).
const subBlockWrite = (bioSet: boolean) =>
  run(
    scenario({
      fs: { extents: [unwritten(0, 8 * KiB)], bioSet },
      ops: [{ kind: 'dio_write', pos: 1 * KiB, len: 1 * KiB }],
    }),
  );

describe('the bio_set a dio allocates its bios from (seed L58-61)', () => {
  it("takes all three bios from the filesystem's bio_set when it has one", () => {
    const r = subBlockWrite(true);
    expectPass(r);
    expect(r.disk.log).toHaveLength(3);
    expect([r.coverage[59], r.coverage[61]]).toEqual([3, 0]);
  });

  it('takes them from fs_bio_set otherwise', () => {
    const r = subBlockWrite(false);
    expectPass(r);
    expect([r.coverage[59], r.coverage[61]]).toEqual([0, 3]);
  });
});
