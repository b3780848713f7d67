/**
 * Request flags: O_DSYNC / O_SYNC and FUA write-through (seed L303-323, L258-273, L617-632,
 * L692-698, L121-126), IOMAP_DIO_OVERWRITE_ONLY (L609-615), IOCB_NOWAIT against the page cache
 * (L580-595, L634-647), done_before (L127-128) and an empty request (L561-562).
 */
import { describe, expect, it } from 'vitest';
import { IOMAP_DIO_NEED_SYNC, IOMAP_DIO_WRITE, IOMAP_DIO_WRITE_THROUGH } from '../../model/kernel/flags.ts';
import { REQ_FUA } from '../../model/block/bio.ts';
import type { DeviceSpec, ExtentSpec, IocbFlag } from '../../model/world/scenario.ts';
import {
  BASE_SECTOR,
  bios,
  bufTags,
  expectCovered,
  expectNotCovered,
  expectPass,
  expectSyncResult,
  FUA_OPF,
  KiB,
  mapped,
  media,
  READ_OPF,
  req,
  run,
  scenario,
  stale,
  userTags,
  WRITE_OPF,
} from './helpers.ts';

function syncWrite(
  device: Partial<DeviceSpec>,
  iocbFlags: readonly IocbFlag[],
  extents: readonly ExtentSpec[] = [mapped(0, 8 * KiB)],
  len = 4096,
) {
  return run(scenario({ device, fs: { extents }, ops: [{ kind: 'dio_write', pos: 0, len, iocbFlags }] }));
}

describe('O_DSYNC and O_SYNC writes', () => {
  it('writes through with FUA and skips the fsync on a FUA device with a write cache', () => {
    const r = syncWrite({ fua: true, writeCache: true }, ['dsync']);
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: FUA_OPF }]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(media(r, BASE_SECTOR, 8)).toEqual(userTags(1, 0, 8));
    // WRITE_THROUGH survived every bio, so NEED_SYNC was cleared before completion (L697-698).
    expect(r.fs.endIoCalls).toEqual([
      { size: 4096, error: 0, flags: IOMAP_DIO_WRITE_THROUGH | IOMAP_DIO_WRITE, context: 'task1' },
    ]);
    expect(r.fs.fsyncCalls).toBe(0);
    expectCovered(r, 619, 631, 320, 268, 698);
    expectNotCovered(r, 126);
  });

  it('writes without FUA and calls fsync once on a device with a write cache and no FUA', () => {
    const r = syncWrite({ fua: false, writeCache: true }, ['dsync']);
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(r.fs.endIoCalls).toEqual([
      { size: 4096, error: 0, flags: IOMAP_DIO_NEED_SYNC | IOMAP_DIO_WRITE, context: 'task1' },
    ]);
    expect(r.fs.fsyncCalls).toBe(1);
    expectCovered(r, 270, 322, 126);
    expectNotCovered(r, 320, 698);
  });

  it('never uses FUA for O_SYNC, even on a FUA device, and calls fsync once', () => {
    const r = syncWrite({ fua: true, writeCache: true }, ['sync']);
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(r.fs.endIoCalls).toEqual([
      { size: 4096, error: 0, flags: IOMAP_DIO_NEED_SYNC | IOMAP_DIO_WRITE, context: 'task1' },
    ]);
    expect(r.fs.fsyncCalls).toBe(1);
    expectCovered(r, 619, 126);
    expectNotCovered(r, 631, 320);
  });

  it('sets REQ_FUA on a device with no volatile write cache (L319) and skips the fsync', () => {
    const r = syncWrite({ fua: false, writeCache: false }, ['dsync']);
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: FUA_OPF }]);
    expect((r.disk.log[0]?.opf ?? 0) & REQ_FUA).toBe(REQ_FUA);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(r.fs.fsyncCalls).toBe(0);
    expectCovered(r, 320, 698);
  });

  for (const flag of ['shared', 'dirty'] as const) {
    it(`does not use FUA for an IOMAP_F_${flag.toUpperCase()} mapping and calls fsync`, () => {
      const r = syncWrite({ fua: true, writeCache: true }, ['dsync'], [mapped(0, 8 * KiB, [flag])]);
      expectPass(r);
      expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
      expectSyncResult(r, 1, 4096);
      expect(req(r, 1).iocb.kiPos).toBe(4096);
      expect(r.fs.fsyncCalls).toBe(1);
      expectCovered(r, 322, 126);
      expectNotCovered(r, 320);
    });
  }

  it('calls fsync when one mapping wrote through with FUA but the next could not', () => {
    const r = syncWrite(
      { fua: true, writeCache: true },
      ['dsync'],
      [mapped(0, 4 * KiB), mapped(4 * KiB, 4 * KiB, ['dirty'])],
      8 * KiB,
    );
    expectPass(r);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 4096, opf: FUA_OPF },
      { sector: BASE_SECTOR + 8, size: 4096, opf: WRITE_OPF },
    ]);
    expectSyncResult(r, 1, 8 * KiB);
    expect(req(r, 1).iocb.kiPos).toBe(8 * KiB);
    expect(media(r, BASE_SECTOR, 16)).toEqual(userTags(1, 0, 16));
    expect(r.fs.endIoCalls).toEqual([
      { size: 8192, error: 0, flags: IOMAP_DIO_NEED_SYNC | IOMAP_DIO_WRITE, context: 'task1' },
    ]);
    expect(r.fs.fsyncCalls).toBe(1);
    expectCovered(r, 268, 270, 126);
    expectNotCovered(r, 698);
  });

  it('returns the fsync error but keeps ki_pos advanced past the written data', () => {
    const r = run(
      scenario({
        device: { fua: false },
        fs: { fsyncErrno: 5, extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096, iocbFlags: ['dsync'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expectSyncResult(r, 1, -5);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(media(r, BASE_SECTOR, 8)).toEqual(userTags(1, 0, 8));
    expect(r.fs.fsyncCalls).toBe(1);
    expectCovered(r, 126);
  });
});

describe('IOMAP_DIO_OVERWRITE_ONLY', () => {
  const cases = [
    { what: 'starting at EOF', pos: 4 * KiB, len: 4096 },
    { what: 'crossing EOF', pos: 0, len: 8 * KiB },
  ] as const;
  for (const c of cases) {
    it(`returns -EAGAIN for a write ${c.what} and submits nothing`, () => {
      const r = run(
        scenario({
          fs: { iSize: 4 * KiB, extents: [mapped(0, 8 * KiB)] },
          ops: [{ kind: 'dio_write', pos: c.pos, len: c.len, dioFlags: ['overwrite_only'] }],
        }),
      );
      expectPass(r);
      expect(bios(r)).toEqual([]);
      expectSyncResult(r, 1, -11);
      expect(req(r, 1).iocb.kiPos).toBe(c.pos);
      expect(media(r, BASE_SECTOR, 16)).toEqual(stale(16));
      expect(r.fs.iomapEndCalls).toEqual([]);
      expect(r.fs.endIoCalls).toEqual([]);
      expectCovered(r, 613, 752);
    });
  }

  it('writes an overwrite that ends exactly at EOF', () => {
    const r = run(
      scenario({
        fs: { iSize: 8 * KiB, extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 0, len: 8 * KiB, dioFlags: ['overwrite_only'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 8192, opf: WRITE_OPF }]);
    expectSyncResult(r, 1, 8 * KiB);
    expect(req(r, 1).iocb.kiPos).toBe(8 * KiB);
    expect(media(r, BASE_SECTOR, 16)).toEqual(userTags(1, 0, 16));
    expectNotCovered(r, 613);
  });
});

describe('IOCB_NOWAIT', () => {
  it('returns -EAGAIN for a write with a cached page in range, without invalidating it', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)], pageCache: [{ index: 0, dirty: false }] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096, iocbFlags: ['nowait'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, -11);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(media(r, BASE_SECTOR, 8)).toEqual(stale(8));
    expect(r.inode.iMapping.pageStates()).toEqual([[0, false]]);
    expect(r.fs.endIoCalls).toEqual([]);
    // -EAGAIN is passed through as is, not turned into -ENOTBLK (L641).
    expectCovered(r, 752);
    expectNotCovered(r, 642);
  });

  it('writes when the cached page is outside the range', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)], pageCache: [{ index: 1, dirty: true }] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096, iocbFlags: ['nowait'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(r.inode.iMapping.pageStates()).toEqual([[1, true]]);
  });

  it('returns -EAGAIN for a read with a dirty cached page in range', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)], pageCache: [{ index: 0, dirty: true }] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096, iocbFlags: ['nowait'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, -11);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(r.inode.iMapping.pageStates()).toEqual([[0, true]]);
    expectCovered(r, 595);
  });

  it('reads when the cached page in range is clean', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)], pageCache: [{ index: 0, dirty: false }] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096, iocbFlags: ['nowait'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: READ_OPF }]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expectNotCovered(r, 595);
  });

  it('without NOWAIT, writes back a dirty cached page and then reads', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)], pageCache: [{ index: 0, dirty: true }] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: READ_OPF }]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(r.inode.iMapping.pageStates()).toEqual([[0, false]]);
    expectNotCovered(r, 595);
  });
});

describe('request bookkeeping', () => {
  it('adds done_before to a successful result but not to ki_pos', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096, doneBefore: 1000 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expectSyncResult(r, 1, 5096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(r.fs.endIoCalls).toEqual([{ size: 4096, error: 0, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
  });

  it('returns 0 for an empty request without allocating a dio', () => {
    const r = run(
      scenario({ fs: { extents: [mapped(0, 8 * KiB)] }, ops: [{ kind: 'dio_read', pos: 0, len: 0 }] }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, 0);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(bufTags(r, 1, 0)).toEqual([]);
    expect(r.fs.iomapEndCalls).toEqual([]);
    expectCovered(r, 562, 752);
  });
});
