/**
 * Completion routes of iomap_dio_bio_end_io (seed L159-232) and the error protocol: async reads
 * complete inline in the last bio's interrupt context (L185-189), async writes with work to do go
 * to s_dio_done_wq (L222-224), caller completion hands the dio to the io_uring issuer (L195-214),
 * a single polled bio completes in the poller (L71-75, L411-417), and the first bio error wins
 * (iomap_dio_set_error's cmpxchg, L149-157).
 */
import { describe, expect, it } from 'vitest';
import {
  IOMAP_DIO_CALLER_COMP,
  IOMAP_DIO_NEED_SYNC,
  IOMAP_DIO_UNWRITTEN,
  IOMAP_DIO_WRITE,
  IOMAP_DIO_WRITE_THROUGH,
} from '../../model/kernel/flags.ts';
import type { DioOpSpec } from '../../model/world/scenario.ts';
import {
  BASE_SECTOR,
  bios,
  DISK_BASE,
  bufTags,
  choicesAsked,
  completionOf,
  expectCovered,
  expectNotCovered,
  expectPass,
  expectSyncResult,
  FUA_OPF,
  hole,
  KiB,
  mapped,
  media,
  READ_OPF,
  req,
  run,
  scenario,
  stale,
  unwritten,
  userTags,
  WRITE_OPF,
  zeros,
} from './helpers.ts';

const EIOCBQUEUED = -529;

describe('asynchronous request', () => {
  it('queues a read (-EIOCBQUEUED) and completes it once, inline in the bio interrupt context', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [
          { kind: 'dio_write', pos: 0, len: 4096 },
          { kind: 'dio_read', pos: 0, len: 4096, async: true },
        ],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF },
      { sector: BASE_SECTOR, size: 4096, opf: READ_OPF },
    ]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 2).returned).toBe(EIOCBQUEUED);
    expect(completionOf(req(r, 2))).toEqual({ res: 4096, context: 'bio2', contextKind: 'irq' });
    expect(req(r, 2).iocb.kiPos).toBe(4096);
    expect(bufTags(r, 2, 8)).toEqual(userTags(1, 0, 8));
    expectCovered(r, 186, 718);
  });

  it('queues a write with an end_io and completes it once from the dio_done_wq workqueue', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096, async: true }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expect(req(r, 1).returned).toBe(EIOCBQUEUED);
    expect(completionOf(req(r, 1))).toEqual({ res: 4096, context: 'dio_done_wq', contextKind: 'workqueue' });
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(media(r, BASE_SECTOR, 8)).toEqual(userTags(1, 0, 8));
    expect(r.fs.endIoCalls).toEqual([
      { size: 4096, error: 0, flags: IOMAP_DIO_WRITE, context: 'dio_done_wq' },
    ]);
    // The workqueue is created at submission (L649-653), used at completion (L222-224).
    expectCovered(r, 650, 222, 718);
    expectNotCovered(r, 186, 197);
  });

  it('punts an async write to the workqueue even when the filesystem has no end_io', () => {
    const r = run(
      scenario({
        fs: { endIo: false, extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096, async: true }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expect(req(r, 1).returned).toBe(EIOCBQUEUED);
    expect(completionOf(req(r, 1))).toEqual({ res: 4096, context: 'dio_done_wq', contextKind: 'workqueue' });
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(r.fs.endIoCalls).toEqual([]);
    // Writes never get INLINE_COMP in this seed (L585 sets it for reads only).
    expectCovered(r, 222);
    expectNotCovered(r, 91, 186);
  });

  it('delivers an async bio error through ki_complete from the workqueue', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        bioMaxVecs: 1,
        ops: [{ kind: 'dio_write', pos: 0, len: 8 * KiB, async: true }],
      }),
      { faults: { bioErrors: true }, choices: [0, 3] },
    );
    expectPass(r);
    expect(choicesAsked(r)).toEqual([
      ['bio_status', 0],
      ['bio_status', 3],
    ]);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 8, size: 4096, opf: WRITE_OPF },
    ]);
    expect(req(r, 1).returned).toBe(EIOCBQUEUED);
    expect(completionOf(req(r, 1))).toEqual({ res: -110, context: 'dio_done_wq', contextKind: 'workqueue' });
    expect(req(r, 1).iocb.kiPos).toBe(0);
    // A failed bio transfers nothing; the first one landed.
    expect(media(r, BASE_SECTOR, 16)).toEqual([...userTags(1, 0, 8), ...stale(8)]);
    expect(r.fs.endIoCalls).toEqual([
      { size: 8192, error: -110, flags: IOMAP_DIO_WRITE, context: 'dio_done_wq' },
    ]);
    expectCovered(r, 166, 222);
  });
});

describe('asynchronous request completed by its submitter (L700-732)', () => {
  it('returns the result directly, not -EIOCBQUEUED, when no bio was needed (hole read)', () => {
    const r = run(
      scenario({
        fs: { extents: [hole(0, 8 * KiB)] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096, async: true }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(bufTags(r, 1, 8)).toEqual(zeros(8));
    expectCovered(r, 495, 732);
    expectNotCovered(r, 718);
  });

  it('waits for the bios and completes in the task with IOMAP_DIO_FORCE_WAIT', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096, async: true, dioFlags: ['force_wait'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(media(r, BASE_SECTOR, 8)).toEqual(userTags(1, 0, 8));
    expect(r.fs.endIoCalls).toEqual([{ size: 4096, error: 0, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    // No workqueue is needed (L649), the last bio wakes the waiter (L174-180).
    expectCovered(r, 175, 722);
    expectNotCovered(r, 650, 718, 222);
  });
});

describe('caller completion (IOCB_DIO_CALLER_COMP)', () => {
  const callerComp = (extra: Partial<DioOpSpec> = {}): DioOpSpec => ({
    kind: 'dio_write',
    pos: 0,
    len: 4096,
    async: true,
    iocbFlags: ['caller_comp'],
    ...extra,
  });

  it('completes a pure overwrite inside i_size from the issuer task', () => {
    const r = run(scenario({ fs: { extents: [mapped(0, 8 * KiB)] }, ops: [callerComp()] }));
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expect(req(r, 1).returned).toBe(EIOCBQUEUED);
    expect(completionOf(req(r, 1))).toEqual({ res: 4096, context: 'issuer:req1', contextKind: 'issuer' });
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(media(r, BASE_SECTOR, 8)).toEqual(userTags(1, 0, 8));
    expect(r.fs.endIoCalls).toEqual([
      { size: 4096, error: 0, flags: IOMAP_DIO_CALLER_COMP | IOMAP_DIO_WRITE, context: 'issuer:req1' },
    ]);
    expectCovered(r, 607, 197);
    expectNotCovered(r, 222, 346);
  });

  it('keeps caller completion for an O_DSYNC overwrite that can use FUA', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [callerComp({ iocbFlags: ['caller_comp', 'dsync'] })],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: FUA_OPF }]);
    expect(req(r, 1).returned).toBe(EIOCBQUEUED);
    expect(completionOf(req(r, 1))).toEqual({ res: 4096, context: 'issuer:req1', contextKind: 'issuer' });
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expect(r.fs.endIoCalls).toEqual([
      {
        size: 4096,
        error: 0,
        flags: IOMAP_DIO_CALLER_COMP | IOMAP_DIO_WRITE_THROUGH | IOMAP_DIO_WRITE,
        context: 'issuer:req1',
      },
    ]);
    expect(r.fs.fsyncCalls).toBe(0);
    expectCovered(r, 197, 320, 698);
  });

  const cleared = [
    {
      what: 'a write at or past EOF (L345)',
      fs: { iSize: 4 * KiB, extents: [mapped(0, 8 * KiB)] },
      op: callerComp({ pos: 4 * KiB }),
      device: {},
      bio: { sector: BASE_SECTOR + 8, size: 4096, opf: WRITE_OPF },
      flags: IOMAP_DIO_WRITE,
      fsync: 0,
      line: 346,
    },
    {
      what: 'a write into an unwritten extent (L343)',
      fs: { extents: [unwritten(0, 8 * KiB)] },
      op: callerComp(),
      device: {},
      bio: { sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF },
      flags: IOMAP_DIO_UNWRITTEN | IOMAP_DIO_WRITE,
      fsync: 0,
      line: 346,
    },
    {
      what: 'an O_DSYNC write without FUA (L321-322)',
      fs: { extents: [mapped(0, 8 * KiB)] },
      op: callerComp({ iocbFlags: ['caller_comp', 'dsync'] }),
      device: { fua: false },
      bio: { sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF },
      flags: IOMAP_DIO_NEED_SYNC | IOMAP_DIO_WRITE,
      fsync: 1,
      line: 322,
    },
  ] as const;
  for (const c of cleared) {
    it(`punts ${c.what} to the workqueue instead of the issuer`, () => {
      const r = run(scenario({ device: c.device, fs: c.fs, ops: [c.op] }));
      expectPass(r);
      expect(bios(r)).toEqual([c.bio]);
      expect(req(r, 1).returned).toBe(EIOCBQUEUED);
      expect(completionOf(req(r, 1))).toEqual({
        res: 4096,
        context: 'dio_done_wq',
        contextKind: 'workqueue',
      });
      expect(req(r, 1).iocb.kiPos).toBe(c.op.pos + 4096);
      expect(r.fs.endIoCalls).toEqual([{ size: 4096, error: 0, flags: c.flags, context: 'dio_done_wq' }]);
      expect(r.fs.fsyncCalls).toBe(c.fsync);
      expectCovered(r, 607, c.line, 222);
      expectNotCovered(r, 197);
    });
  }
});

describe('polled I/O (IOCB_HIPRI)', () => {
  it('polls a single-bio async read: REQ_POLLED, completed in the poller context', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096, async: true, iocbFlags: ['hipri'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: 'READ|POLLED' }]);
    expect(req(r, 1).returned).toBe(EIOCBQUEUED);
    expect(completionOf(req(r, 1))).toEqual({ res: 4096, context: 'poll:bio1', contextKind: 'issuer' });
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expectCovered(r, 73, 186);
  });

  it('does not poll a read that needs two bios (HIPRI cleared at L416-417)', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        bioMaxVecs: 1,
        ops: [{ kind: 'dio_read', pos: 0, len: 8 * KiB, async: true, iocbFlags: ['hipri'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 4096, opf: READ_OPF },
      { sector: BASE_SECTOR + 8, size: 4096, opf: READ_OPF },
    ]);
    expect(req(r, 1).returned).toBe(EIOCBQUEUED);
    expect(completionOf(req(r, 1))).toEqual({ res: 8192, context: 'bio2', contextKind: 'irq' });
    expect(req(r, 1).iocb.kiPos).toBe(8 * KiB);
    expectCovered(r, 417);
    expectNotCovered(r, 73);
  });

  it('polls only the first bio when a read spans two mappings (HIPRI cleared at L665)', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 4 * KiB), mapped(4 * KiB, 4 * KiB, [], DISK_BASE + 256 * KiB)] },
        ops: [{ kind: 'dio_read', pos: 0, len: 8 * KiB, async: true, iocbFlags: ['hipri'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 4096, opf: 'READ|POLLED' },
      { sector: BASE_SECTOR + 512, size: 4096, opf: READ_OPF },
    ]);
    expect(req(r, 1).returned).toBe(EIOCBQUEUED);
    // The second, unpolled bio holds the last reference and completes the dio in its interrupt.
    expect(completionOf(req(r, 1))).toEqual({ res: 8192, context: 'bio2', contextKind: 'irq' });
    expect(req(r, 1).iocb.kiPos).toBe(8 * KiB);
    expect(r.coverage[73]).toBe(1);
  });

  it('does not poll a synchronous read (L71-72)', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096, iocbFlags: ['hipri'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: READ_OPF }]);
    expectSyncResult(r, 1, 4096);
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expectNotCovered(r, 73);
  });

  it('polls a caller-completed write, whose dio then completes in the issuer', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096, async: true, iocbFlags: ['hipri', 'caller_comp'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: `${WRITE_OPF}|POLLED` }]);
    expect(req(r, 1).returned).toBe(EIOCBQUEUED);
    expect(completionOf(req(r, 1))).toEqual({ res: 4096, context: 'issuer:req1', contextKind: 'issuer' });
    expect(req(r, 1).iocb.kiPos).toBe(4096);
    expectCovered(r, 73, 197);
  });

  it('does not poll a write that must complete in the workqueue (HIPRI cleared at L353-354)', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096, async: true, iocbFlags: ['hipri'] }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expect(req(r, 1).returned).toBe(EIOCBQUEUED);
    expect(completionOf(req(r, 1))).toEqual({ res: 4096, context: 'dio_done_wq', contextKind: 'workqueue' });
    expectCovered(r, 354, 222);
    expectNotCovered(r, 73);
  });
});

describe('bio errors', () => {
  const twoBios = scenario({
    fs: { extents: [mapped(0, 8 * KiB)] },
    bioMaxVecs: 1,
    ops: [{ kind: 'dio_write', pos: 0, len: 8 * KiB }],
  });

  it('reports the first error when two bios in flight fail with different statuses', () => {
    const r = run(twoBios, { faults: { bioErrors: true }, choices: [1, 2] });
    expectPass(r);
    expect(choicesAsked(r)).toEqual([
      ['bio_status', 1],
      ['bio_status', 2],
    ]);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 8, size: 4096, opf: WRITE_OPF },
    ]);
    // bio1 fails with EIO, bio2 with ENOSPC; cmpxchg keeps -EIO.
    expectSyncResult(r, 1, -5);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(media(r, BASE_SECTOR, 16)).toEqual(stale(16));
    expect(r.fs.endIoCalls).toEqual([{ size: 8192, error: -5, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expect(r.coverage[166]).toBe(2);
  });

  it('reports the error of the bio that completed first, not the one submitted first', () => {
    // bio2 completes first with ENOSPC, then bio1 with EIO.
    const r = run(twoBios, { faults: { bioErrors: true, reorder: true }, choices: [1, 2, 1] });
    expectPass(r);
    expect(choicesAsked(r)).toEqual([
      ['complete_which', 1],
      ['bio_status', 2],
      ['bio_status', 1],
    ]);
    expect(bios(r)).toEqual([
      { sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 8, size: 4096, opf: WRITE_OPF },
    ]);
    expectSyncResult(r, 1, -28);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(r.fs.endIoCalls).toEqual([{ size: 8192, error: -28, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expect(r.coverage[166]).toBe(2);
  });

  it('stops submitting once an earlier bio has already failed (L373-377)', () => {
    // Interleave: after bio1 is submitted the device runs (schedule 1) and fails it with EIO.
    const r = run(
      scenario({
        fs: { iSize: 16 * KiB, extents: [mapped(0, 16 * KiB)] },
        bioMaxVecs: 1,
        ops: [{ kind: 'dio_write', pos: 0, len: 12 * KiB }],
      }),
      { faults: { bioErrors: true, interleave: true }, choices: [1, 1] },
    );
    expectPass(r);
    expect(choicesAsked(r).slice(0, 2)).toEqual([
      ['schedule', 1],
      ['bio_status', 1],
    ]);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: WRITE_OPF }]);
    expectSyncResult(r, 1, -5);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    // The iter is reverted to where the mapping started; the mapping reports nothing written.
    expect(req(r, 1).iter.count).toBe(12 * KiB);
    expect(r.fs.iomapEndCalls).toEqual([{ pos: 0, length: 12 * KiB, written: 0 }]);
    // dio->size still counts the submitted bio.
    expect(r.fs.endIoCalls).toEqual([{ size: 4096, error: -5, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expectCovered(r, 374, 166);
  });

  it('completes an async read with a medium error inline, reporting -ENODATA', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096, async: true }],
      }),
      { faults: { bioErrors: true }, choices: [4] },
    );
    expectPass(r);
    expect(choicesAsked(r)).toEqual([['bio_status', 4]]);
    expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: READ_OPF }]);
    expect(req(r, 1).returned).toBe(EIOCBQUEUED);
    expect(completionOf(req(r, 1))).toEqual({ res: -61, context: 'bio1', contextKind: 'irq' });
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expectCovered(r, 166, 186);
  });
});
