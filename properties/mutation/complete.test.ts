/**
 * iomap_dio_complete (seed L83-133) where no other test looks: what happens to a result of zero
 * bytes. Only a positive result advances ki_pos, is synced for O_SYNC/O_DSYNC and gets done_before
 * added (L118-129); a request that wrote nothing leaves all three to its caller. And only a write
 * drops the pages cached over its range once it completed (L113-114).
 */
import { describe, expect, it } from 'vitest';
import { IOMAP_DIO_NEED_SYNC, IOMAP_DIO_WRITE } from '../../model/kernel/flags.ts';
import { bios, expectPass, expectSyncResult, KiB, mapped, req, run, scenario } from '../seed/helpers.ts';

describe('a result of zero bytes (seed L118)', () => {
  // ->iomap_begin asks for buffered I/O at the first mapping (btrfs, gfs2 and zonefs do on
  // -ENOTBLK): nothing is submitted, and __iomap_dio_rw turns -ENOTBLK into 0 (L685-688).
  const fallback = (fsyncErrno?: number) =>
    run(
      scenario({
        device: { fua: false },
        fs: { extents: [mapped(0, 8 * KiB)], notblkFrom: 0, fsyncErrno },
        ops: [
          {
            kind: 'dio_write',
            pos: 0,
            len: 4 * KiB,
            iocbFlags: ['sync'],
            dioFlags: ['partial'],
            doneBefore: 4 * KiB,
          },
        ],
      }),
    );

  it('of an O_SYNC write that falls back at once: no ->fsync, no done_before, ki_pos unmoved', () => {
    const r = fallback();
    expectPass(r);
    expect(bios(r)).toEqual([]);
    // The dio still needs a sync (no FUA write cleared it), yet nothing was written to sync.
    expect(r.fs.endIoCalls).toEqual([
      { size: 0, error: 0, flags: IOMAP_DIO_NEED_SYNC | IOMAP_DIO_WRITE, context: 'task1' },
    ]);
    expect(r.fs.fsyncCalls).toBe(0);
    expectSyncResult(r, 1, 0);
    expect(req(r, 1).iocb.kiPos).toBe(0);
  });

  it('is not turned into the error of a sync that should not have run', () => {
    const r = fallback(5);
    expectPass(r);
    expect(r.fs.fsyncCalls).toBe(0);
    expectSyncResult(r, 1, 0);
  });
});

describe('the page cache after completion (seed L113-114)', () => {
  it('keeps the clean pages cached over the range of a read, synchronous or async', () => {
    for (const async of [false, true]) {
      const r = run(
        scenario({
          fs: { extents: [mapped(0, 8 * KiB)], pageCache: [{ index: 0, dirty: false }] },
          ops: [{ kind: 'dio_read', pos: 0, len: 4 * KiB, async }, { kind: 'wait_async' }],
        }),
      );
      expectPass(r);
      expect(req(r, 1).completions.map((c) => c.res)).toEqual([4 * KiB]);
      expect(r.inode.iMapping.pageStates()).toEqual([[0, false]]);
    }
  });
});
