/**
 * Synchronous direct reads: holes and unwritten extents read as zeros without I/O (seed L444-453,
 * L492-498), a read is trimmed at the i_size sampled at submission (L96-98, L675-676), and a read
 * that starts at or past i_size does nothing (L587-588).
 */
import { describe, expect, it } from 'vitest';
import {
  BASE_SECTOR,
  bios,
  bufTags,
  expectCovered,
  expectNotCovered,
  expectPass,
  expectSyncResult,
  hole,
  KiB,
  mapped,
  READ_OPF,
  req,
  run,
  scenario,
  unwritten,
  userTags,
  WRITE_OPF,
  zeros,
} from './helpers.ts';
import { TAG_UNTOUCHED } from '../../model/mm/tags.ts';

const untouched = (n: number): number[] => new Array<number>(n).fill(TAG_UNTOUCHED);

describe('read of a mapping without data', () => {
  it('fills the buffer with zeros from a hole without submitting a bio', () => {
    const r = run(
      scenario({ fs: { extents: [hole(0, 8 * KiB)] }, ops: [{ kind: 'dio_read', pos: 0, len: 4096 }] }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(bufTags(r, 1, 9)).toEqual([...zeros(8), ...untouched(1)]);
    expect(r.fs.iomapEndCalls).toEqual([{ pos: 0, length: 4096, written: 4096 }]);
    expect(r.fs.endIoCalls).toEqual([]);
    expectCovered(r, 495);
    expectNotCovered(r, 61);
  });

  it('fills the buffer with zeros from an unwritten extent without submitting a bio', () => {
    const r = run(
      scenario({
        fs: { extents: [unwritten(0, 8 * KiB)] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(bufTags(r, 1, 9)).toEqual([...zeros(8), ...untouched(1)]);
    expect(r.fs.endIoCalls).toEqual([]);
    expectCovered(r, 498);
    expectNotCovered(r, 61, 499);
  });

  it('reads hole, mapped and unwritten mappings in turn, with one bio only for the mapped one', () => {
    const r = run(
      scenario({
        fs: {
          iSize: 12 * KiB,
          extents: [hole(0, 4 * KiB), mapped(4 * KiB, 4 * KiB), unwritten(8 * KiB, 4 * KiB)],
        },
        ops: [
          { kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB },
          { kind: 'dio_read', pos: 0, len: 12 * KiB },
        ],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR + 8, size: 4096, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 8, size: 4096, opf: READ_OPF },
    ]);
    expectSyncResult(r, 2, 12 * KiB);
    expect(req(r, 2).iocb.kiPos).toBe(12 * KiB);
    expect(bufTags(r, 2, 24)).toEqual([...zeros(8), ...userTags(1, 0, 8), ...zeros(8)]);
    expect(r.fs.iomapEndCalls.slice(1)).toEqual([
      { pos: 0, length: 4096, written: 4096 },
      { pos: 4096, length: 4096, written: 4096 },
      { pos: 8192, length: 4096, written: 4096 },
    ]);
    expectCovered(r, 495, 498, 501, 264);
  });
});

describe('read against i_size', () => {
  it('returns only the bytes below i_size and advances ki_pos by that short count', () => {
    // The file is 1536 bytes; the first op writes the block so that the read returns file data.
    const r = run(
      scenario({
        fs: { iSize: 1536, extents: [mapped(0, 8 * KiB)] },
        ops: [
          { kind: 'dio_write', pos: 0, len: 4096 },
          { kind: 'dio_read', pos: 0, len: 4096 },
        ],
      }),
    );
    expectPass(r);
    // The bio reads the whole block; only the result is trimmed (L96-98).
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF },
      { sector: BASE_SECTOR, size: 4096, opf: READ_OPF },
    ]);
    expectSyncResult(r, 1, 4096);
    expectSyncResult(r, 2, 1536);
    expect(req(r, 2).iocb.kiPos).toBe(1536);
    expect(bufTags(r, 2, 3)).toEqual(userTags(1, 0, 3));
    // The iter is reverted to i_size (L675-676).
    expect(req(r, 2).iter.iovOffset).toBe(1536);
    expect(req(r, 2).iter.count).toBe(4096 - 1536);
    expect(r.fs.iomapEndCalls[1]).toEqual({ pos: 0, length: 4096, written: 4096 });
    // A user-backed read dirties the pages it fills (L590-591, L404-405, L226-227).
    expect(Array.from(req(r, 2).buf.dirty)).toEqual([1, 0]);
    expectCovered(r, 98, 676, 591, 405, 227);
  });

  it('returns the full length for a read that ends exactly at i_size', () => {
    const r = run(
      scenario({
        fs: { iSize: 4 * KiB, extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: READ_OPF }]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expectNotCovered(r, 98);
    expectCovered(r, 676);
  });

  for (const pos of [4 * KiB, 6 * KiB]) {
    it(`returns 0 with no bio for a read starting ${pos === 4 * KiB ? 'at' : 'past'} i_size`, () => {
      const r = run(
        scenario({
          fs: { iSize: 4 * KiB, extents: [mapped(0, 8 * KiB)] },
          ops: [{ kind: 'dio_read', pos, len: 2048 }],
        }),
      );
      expectPass(r);
      expect(bios(r)).toEqual([]);
      expectSyncResult(r, 1, 0);
      expect(req(r, 1).iocb.kiPos).toBe(pos);
      expect(bufTags(r, 1, 4)).toEqual(untouched(4));
      expect(r.fs.iomapEndCalls).toEqual([]);
      expectCovered(r, 588, 752);
    });
  }
});

describe('read alignment and mapping errors', () => {
  it('refuses a misaligned read buffer with -EINVAL and submits nothing', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096, bufAddr: 0x10080 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, -22);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(bufTags(r, 1, 8)).toEqual(untouched(8));
    expectCovered(r, 293);
  });

  it('fails a read over a delalloc mapping with -EIO and submits nothing', () => {
    const r = run(
      scenario({
        fs: { extents: [{ offset: 0, length: 8 * KiB, type: 'delalloc' }] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, -5);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(bufTags(r, 1, 8)).toEqual(untouched(8));
    expect(r.fs.iomapEndCalls).toEqual([{ pos: 0, length: 4096, written: 0 }]);
    expectCovered(r, 511, 690);
  });
});

describe('read into kernel pages', () => {
  it('takes the whole bvec iter in one bio and does not dirty pages (no IOMAP_DIO_DIRTY)', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        bioMaxVecs: 1,
        ops: [
          { kind: 'dio_write', pos: 0, len: 8 * KiB },
          { kind: 'dio_read', pos: 0, len: 8 * KiB, userBacked: false },
        ],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 8, size: 4096, opf: WRITE_OPF },
      { sector: BASE_SECTOR, size: 8192, opf: READ_OPF },
    ]);
    expectSyncResult(r, 2, 8 * KiB);
    expect(req(r, 2).iocb.kiPos).toBe(8 * KiB);
    expect(bufTags(r, 2, 16)).toEqual(userTags(1, 0, 16));
    expect(Array.from(req(r, 2).buf.dirty)).toEqual([0, 0, 0]);
    expectNotCovered(r, 591, 405, 227);
    expectCovered(r, 229);
  });
});
