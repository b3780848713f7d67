/**
 * Synchronous direct writes through iomap_dio_bio_iter (seed L275-442): the plain overwrite, the
 * alignment check (L291-293), sub-block zeroing for unwritten, new and EOF blocks (L356-361,
 * L428-435), a page-get that stops part way (L388-398), and the mappings a write must refuse
 * (hole L493-494, delalloc L504-513) or cannot start (invalidation failure L639-647).
 */
import { describe, expect, it } from 'vitest';
import { IOMAP_DIO_UNWRITTEN, IOMAP_DIO_WRITE } from '../../model/kernel/flags.ts';
import type { DioOpSpec, ExtentSpec } from '../../model/world/scenario.ts';
import {
  BASE_SECTOR,
  bios,
  choicesAsked,
  expectCovered,
  expectNotCovered,
  expectPass,
  expectSyncResult,
  hole,
  KiB,
  mapped,
  media,
  req,
  run,
  scenario,
  stale,
  unwritten,
  userTags,
  WRITE_OPF,
  zeros,
} from './helpers.ts';

describe('synchronous write into a mapped extent', () => {
  it('submits one bio at the mapped sector, returns the length and stores the user data', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR + 8, size: 4096, opf: WRITE_OPF }]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(8 * KiB);
    expect(media(r, BASE_SECTOR, 16)).toEqual([...stale(8), ...userTags(1, 0, 8)]);
    expect(r.fs.iomapEndCalls).toEqual([{ pos: 4096, length: 4096, written: 4096 }]);
    expect(r.fs.endIoCalls).toEqual([{ size: 4096, error: 0, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expect(r.fs.fsyncCalls).toBe(0);
    // MAPPED dispatch, the last bio wakes the waiting task, which completes the dio itself.
    expectCovered(r, 501, 175, 722, 732, 114);
  });
});

describe('alignment check', () => {
  const cases = [
    { what: 'a position not aligned to the logical block', pos: 256, len: 512, bufAddr: undefined },
    { what: 'a length not a multiple of the logical block', pos: 0, len: 700, bufAddr: undefined },
    { what: 'a buffer address not aligned to dma_alignment', pos: 0, len: 512, bufAddr: 0x10100 },
  ] as const;
  for (const c of cases) {
    it(`refuses ${c.what} with -EINVAL and submits nothing`, () => {
      const r = run(
        scenario({
          fs: { extents: [mapped(0, 8 * KiB)] },
          ops: [{ kind: 'dio_write', pos: c.pos, len: c.len, bufAddr: c.bufAddr }],
        }),
      );
      expectPass(r);
      expect(bios(r)).toEqual([]);
      expectSyncResult(r, 1, -22);
      expect(req(r, 1).iocb.kiPos).toBe(c.pos);
      expect(media(r, BASE_SECTOR, 16)).toEqual(stale(16));
      expect(r.fs.iomapEndCalls).toEqual([{ pos: c.pos, length: c.len, written: 0 }]);
      expect(r.fs.endIoCalls).toEqual([{ size: 0, error: -22, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
      expectCovered(r, 293, 690);
    });
  }

  it('refuses a 512-aligned position on a 4 KiB logical-block device', () => {
    const r = run(
      scenario({
        device: { logicalBlockSize: 4096 },
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 512, len: 4096 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, -22);
    expect(req(r, 1).iocb.kiPos).toBe(512);
    expect(media(r, BASE_SECTOR, 16)).toEqual(stale(16));
    expectCovered(r, 293);
  });
});

describe('sub-block write into a zeroing extent', () => {
  it('zeroes the block head and tail around a 512-byte write into an unwritten extent', () => {
    const r = run(
      scenario({
        fs: { extents: [unwritten(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 1024, len: 512 }],
      }),
    );
    expectPass(r);
    // Head [0, 1024), data [1024, 1536), tail [1536, 4096) of the 4 KiB block.
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 1024, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 2, size: 512, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 3, size: 2560, opf: WRITE_OPF },
    ]);
    expectSyncResult(r, 1, 512);
    expect(req(r, 1).iocb.kiPos).toBe(1536);
    expect(media(r, BASE_SECTOR, 9)).toEqual([...zeros(2), ...userTags(1, 0, 1), ...zeros(5), ...stale(1)]);
    expect(r.fs.iomapEndCalls).toEqual([{ pos: 1024, length: 512, written: 512 }]);
    // end_io learns the extent was unwritten, so it converts it (L295-296).
    expect(r.fs.endIoCalls).toEqual([
      { size: 512, error: 0, flags: IOMAP_DIO_UNWRITTEN | IOMAP_DIO_WRITE, context: 'task1' },
    ]);
    expect((r.fs.endIoCalls[0]?.flags ?? 0) & IOMAP_DIO_UNWRITTEN).toBe(IOMAP_DIO_UNWRITTEN);
    expectCovered(r, 499, 296, 346, 360, 434);
  });

  it('zeroes the head and tail of a freshly allocated (IOMAP_F_NEW) block without UNWRITTEN', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB, ['new'])] },
        ops: [{ kind: 'dio_write', pos: 1024, len: 1024 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 1024, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 2, size: 1024, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 4, size: 2048, opf: WRITE_OPF },
    ]);
    expectSyncResult(r, 1, 1024);
    expect(req(r, 1).iocb.kiPos).toBe(2048);
    expect(media(r, BASE_SECTOR, 8)).toEqual([...zeros(2), ...userTags(1, 0, 2), ...zeros(4)]);
    expect(r.fs.endIoCalls).toEqual([{ size: 1024, error: 0, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expectCovered(r, 304, 360, 434);
    expectNotCovered(r, 296);
  });

  it('zeroes the tail of the EOF block when a write extends i_size (L429-430)', () => {
    const r = run(
      scenario({
        fs: { iSize: 4 * KiB, extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 4 * KiB, len: 1024 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR + 8, size: 1024, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 10, size: 3072, opf: WRITE_OPF },
    ]);
    expectSyncResult(r, 1, 1024);
    expect(req(r, 1).iocb.kiPos).toBe(5 * KiB);
    expect(media(r, BASE_SECTOR + 8, 8)).toEqual([...userTags(1, 0, 2), ...zeros(6)]);
    expect(r.fs.endIoCalls).toEqual([{ size: 1024, error: 0, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expectCovered(r, 434);
    expectNotCovered(r, 360);
  });

  it('does not zero the block tail of a sub-block overwrite inside i_size', () => {
    const r = run(
      scenario({
        fs: { iSize: 8 * KiB, extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 4 * KiB, len: 1024 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR + 8, size: 1024, opf: WRITE_OPF }]);
    expectSyncResult(r, 1, 1024);
    expect(req(r, 1).iocb.kiPos).toBe(5 * KiB);
    expect(media(r, BASE_SECTOR + 8, 8)).toEqual([...userTags(1, 0, 2), ...stale(6)]);
    expectNotCovered(r, 360, 434);
  });
});

describe('short page-get part way through a write', () => {
  // The buffer starts 512 bytes into a page, so with one page per bio the first bio holds 3584
  // bytes; the next bio_iov_iter_get_pages pins no page and fails with -EFAULT (L388-398). The
  // mapping is iterated again from 3584 and the page-get faults again.
  const shortWriteOp = (dioFlags: DioOpSpec['dioFlags']): DioOpSpec => ({
    kind: 'dio_write',
    pos: 0,
    len: 8 * KiB,
    bufAddr: 0x10200,
    dioFlags,
  });
  const shortWrite = (
    extents: readonly ExtentSpec[],
    iSize: number,
    dioFlags: DioOpSpec['dioFlags'] = ['partial'],
  ) => scenario({ fs: { iSize, extents }, bioMaxVecs: 1, ops: [shortWriteOp(dioFlags)] });
  const pinnedThenFaults = { faults: { pageFaults: true }, choices: [0, 1, 1] };

  it('stops the bio loop, still zeroes the EOF block tail, and reports the bytes submitted (PARTIAL)', () => {
    const r = run(shortWrite([mapped(0, 8 * KiB)], 0), pinnedThenFaults);
    expectPass(r);
    // The fault is chosen once and persists: the retried iteration meets the same unmapped page.
    expect(choicesAsked(r)).toEqual([
      ['get_pages_fault', 0],
      ['get_pages_fault', 1],
    ]);
    // Data [0, 3584), then the zero_tail of each iteration: [3584, 4096) twice.
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 3584, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 7, size: 512, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 7, size: 512, opf: WRITE_OPF },
    ]);
    expectSyncResult(r, 1, 3584);
    expect(req(r, 1).iocb.kiPos).toBe(3584);
    expect(media(r, BASE_SECTOR, 9)).toEqual([...userTags(1, 0, 7), ...zeros(1), ...stale(1)]);
    expect(r.fs.iomapEndCalls).toEqual([
      { pos: 0, length: 8192, written: 3584 },
      { pos: 3584, length: 4608, written: 0 },
    ]);
    expect(r.fs.endIoCalls).toEqual([{ size: 3584, error: 0, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expectCovered(r, 396, 434, 679);
  });

  it('fails with -EFAULT without IOMAP_DIO_PARTIAL, after the same bios', () => {
    const r = run(shortWrite([mapped(0, 8 * KiB)], 0, []), pinnedThenFaults);
    expectPass(r);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 3584, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 7, size: 512, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 7, size: 512, opf: WRITE_OPF },
    ]);
    expectSyncResult(r, 1, -14);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(r.fs.endIoCalls).toEqual([{ size: 3584, error: -14, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expectCovered(r, 396, 434, 690);
    expectNotCovered(r, 679, 114);
  });

  it('in an unwritten extent, zeroes the block tail and on the retried iteration re-zeroes the block head', () => {
    const r = run(shortWrite([unwritten(0, 8 * KiB)], 8 * KiB), pinnedThenFaults);
    expectPass(r);
    // Iteration 1: data [0, 3584), zero_tail [3584, 4096). Iteration 2 starts at 3584 in the same
    // unwritten extent, so L356-361 zero [0, 3584) before the page-get faults again, then the tail.
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 3584, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 7, size: 512, opf: WRITE_OPF },
      { sector: BASE_SECTOR, size: 3584, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 7, size: 512, opf: WRITE_OPF },
    ]);
    expectSyncResult(r, 1, 3584);
    expect(req(r, 1).iocb.kiPos).toBe(3584);
    // Completed in submission order, the head zeroing lands after the data it covers.
    expect(media(r, BASE_SECTOR, 9)).toEqual([...zeros(8), ...stale(1)]);
    expect(r.fs.endIoCalls).toEqual([
      { size: 3584, error: 0, flags: IOMAP_DIO_UNWRITTEN | IOMAP_DIO_WRITE, context: 'task1' },
    ]);
    expectCovered(r, 396, 360, 434, 679);
  });
});

describe('mappings a write cannot use', () => {
  it('fails a write into a hole with -EIO and submits nothing (L493-494)', () => {
    const r = run(
      scenario({ fs: { extents: [hole(0, 8 * KiB)] }, ops: [{ kind: 'dio_write', pos: 0, len: 4096 }] }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, -5);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(r.fs.iomapEndCalls).toEqual([{ pos: 0, length: 4096, written: 0 }]);
    expect(r.fs.endIoCalls).toEqual([{ size: 0, error: -5, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expectCovered(r, 494, 690);
  });

  it('fails a write over a delalloc mapping with -EIO and submits nothing (L504-513)', () => {
    const r = run(
      scenario({
        fs: { extents: [{ offset: 0, length: 8 * KiB, type: 'delalloc' }] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, -5);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(media(r, BASE_SECTOR, 8)).toEqual(stale(8));
    expect(r.fs.endIoCalls).toEqual([{ size: 0, error: -5, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expectCovered(r, 511, 690);
  });
});

describe('page cache invalidation before a write', () => {
  it('returns -ENOTBLK and submits nothing when a cached page cannot be invalidated', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)], pageCache: [{ index: 0, dirty: true }] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096 }],
      }),
      { faults: { invalidateFailures: true }, choices: [1] },
    );
    expectPass(r);
    expect(choicesAsked(r)).toEqual([['invalidate_fails', 1]]);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, -15);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(media(r, BASE_SECTOR, 8)).toEqual(stale(8));
    expect(r.fs.iomapEndCalls).toEqual([]);
    expect(r.fs.endIoCalls).toEqual([]);
    // The dirty page was written back first, and stays cached.
    expect(r.inode.iMapping.pageStates()).toEqual([[0, false]]);
    expectCovered(r, 642);
  });

  it('writes back and drops the cached page, then writes, when invalidation succeeds', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)], pageCache: [{ index: 0, dirty: true }] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096 }],
      }),
      { faults: { invalidateFailures: true }, choices: [0] },
    );
    expectPass(r);
    expect(choicesAsked(r)).toEqual([['invalidate_fails', 0]]);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(media(r, BASE_SECTOR, 8)).toEqual(userTags(1, 0, 8));
    expect(r.inode.iMapping.pages.size).toBe(0);
    expectNotCovered(r, 642);
  });
});
