/**
 * The bug catalogue: planted bugs, each a named, documented change of the correct model (the seed
 * with its known upstream fixes and the candidate fixes, FIXED_OPS) that one invariant must catch.
 *
 * A bug enters through one clean seam: a replacement of entries of the kernel ops table (most are
 * wrappers around the correct function, so the change is the few lines that differ), or a world
 * quirk (model/world/quirks.ts). Nothing here is global: a run picks its bug through RunOptions.
 * Each bug carries the smallest scenario and fault profile that expose it; the teeth test runs
 * them from fixed seeds within a fixed budget (properties/bugs.test.ts).
 */
import { BLK_STS_MEDIUM } from '../block/bio.ts';
import { bioPut, bioReleasePages } from '../block/bioOps.ts';
import { type IomapOps, iomapLength } from '../fs/iomap.ts';
import { fileInode, iBlocksize, inodeDioBegin, inodeDioEnd, isSyncKiocb, type Kiocb } from '../fs/vfs.ts';
import {
  EFAULT,
  EIO,
  EAGAIN,
  EIOCBQUEUED,
  ENOTBLK,
  IOCB_HIPRI,
  IOCB_NOWAIT,
  IOMAP_DIO_CALLER_COMP,
  IOMAP_DIO_DIRTY,
  IOMAP_DIO_INLINE_COMP,
  IOMAP_DIO_WRITE,
} from '../kernel/flags.ts';
import { IomapDio } from '../kernel/iomapDio.ts';
import { iomapDioBioIterUnwind, iomapDioSubmitBioMarkPolled } from '../kernel/iomapDioBio.ts';
import { iomapDioBioEndIo as seedBioEndIo } from '../kernel/iomapDioComplete.ts';
import { iomapDioRwDoneWqForReads as seedDoneWqForReads } from '../kernel/iomapDioRw.ts';
import type { KernelOps } from '../kernel/kernel.ts';
import { FIXED_OPS } from '../kernel/ops.ts';
import { iomapDioBioIterZeroTailPad612 } from '../kernel/v6_12.ts';
import {
  type IovIter,
  iovIterAdvance,
  iovIterReexpand,
  iovIterRevert,
  iovIterRw,
  iovIterTruncate,
  READ,
} from '../mm/iovIter.ts';
import { atomicDecAndTest } from '../runtime/atomics.ts';
import { type FaultProfile, NO_FAULTS } from '../runtime/faults.ts';
import { modelAssert } from '../runtime/violation.ts';
import type { WorldQuirks } from '../world/quirks.ts';
import type { ExtentSpec, OpSpec, Scenario } from '../world/scenario.ts';
import { hole, KiB, unwritten, written } from '../world/extents.ts';
import { EXT4_BUGS } from './ext4.ts';

export interface PlantedBug {
  /** kebab-case name of the defect. */
  readonly name: string;
  /** The kernel commit it re-creates ("synthetic" for one made up to give an invariant teeth). */
  readonly commit: string;
  readonly title: string;
  readonly year?: number;
  /** The seed lines (or kernel file) the change touches. */
  readonly lines: string;
  /** What goes wrong, in one sentence. */
  readonly what: string;
  /** The invariant expected to catch it. */
  readonly invariant: string;
  /** Present in the seed revision (fixed upstream later): the faithful seed has it. */
  readonly inSeed?: boolean;
  /** Replacement entries of the correct ops table, built from it (so wrappers can call the original). */
  readonly ops?: (base: Readonly<KernelOps>) => Partial<KernelOps>;
  readonly quirks?: WorldQuirks;
  /** The scenario and faults that expose it. */
  readonly scenario: Scenario;
  readonly faults: FaultProfile;
}

// ---------------------------------------------------------------------------------------------
// Scenario builders: a small XFS file on a 512-byte device with 4 KiB blocks, or a scripted one.

function xfs(
  extents: readonly ExtentSpec[],
  iSize: number,
  threads: ReadonlyArray<readonly OpSpec[]>,
  device: Partial<Scenario['device']> = {},
  bioMaxVecs = 1,
): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: false, writeCache: true, ...device },
    fs: { model: 'xfs', blockSize: 4096, iSize, extents },
    bioMaxVecs,
    threads,
  };
}

function scripted(
  extents: readonly ExtentSpec[],
  iSize: number,
  threads: ReadonlyArray<readonly OpSpec[]>,
  fs: Partial<Scenario['fs']> = {},
): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: false, writeCache: false },
    fs: { model: 'scripted', blockSize: 4096, iSize, extents, ...fs },
    bioMaxVecs: 1,
    threads,
  };
}

const FILE16 = [written(0, 8 * KiB), unwritten(8 * KiB, 8 * KiB)];
const faults = (on: Partial<FaultProfile>): FaultProfile => ({ ...NO_FAULTS, ...on });

/** A bug that changes what iomap_dio_rw returns (or what it leaves behind in the kiocb and iter). */
function afterIomapDioRw(
  change: (ret: number, iocb: Kiocb, iter: IovIter) => number,
): (base: Readonly<KernelOps>) => Partial<KernelOps> {
  return (base) => ({
    *iomapDioRw(k, iocb, iter, o, d, f, done) {
      return change(yield* base.iomapDioRw(k, iocb, iter, o, d, f, done), iocb, iter);
    },
  });
}

/**
 * A bug that reports the whole request after a fault cut it short: ki_pos moves on by the bytes it
 * claims, and with `advanceIter` the iter too, so only the contract can tell (SYS-02).
 */
function claimsWholeRequest(advanceIter: boolean): (base: Readonly<KernelOps>) => Partial<KernelOps> {
  return (base) => ({
    *iomapDioRw(k, iocb, iter, o, d, f, done) {
      const asked = iter.count;
      const ret = yield* base.iomapDioRw(k, iocb, iter, o, d, f, done);
      const moved = ret - done;
      if (ret <= 0 || moved >= asked) return ret;
      const extra = asked - moved;
      iocb.kiPos += extra;
      if (advanceIter) iovIterAdvance(iter, extra);
      return ret + extra;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The catalogue.

export const BUGS: readonly PlantedBug[] = [
  {
    name: 'iter-rewound-on-completion-error',
    commit: '4ad357e39b2e',
    title: 'iomap: fix submission side handling of completion side errors',
    year: 2026,
    lines: 'seed L373-377',
    what: 'A completion error seen in the bio loop rewinds the iter over bytes already in flight, so the iter and dio->size disagree.',
    invariant: 'RES-06',
    inSeed: true,
    ops: () => ({ iomapDioBioIterUnwind }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 8 * KiB }]]),
    faults: faults({ bioErrors: true, interleave: true }),
  },
  {
    name: 'polled-bio-implies-nowait',
    commit: '47f28b493daf',
    title: "iomap: don't make REQ_POLLED imply REQ_NOWAIT",
    year: 2026,
    lines: 'seed L71-75',
    what: 'bio_set_polled makes the polled first bio of a NOWAIT read REQ_NOWAIT: the block layer refuses it with BLK_STS_AGAIN, the read goes on to its next mapping and submits a bio that reads, and the request returns -EAGAIN after doing I/O (6.12.107 has it; 6.12.111 sets REQ_POLLED alone).',
    invariant: 'ARG-02',
    inSeed: true,
    ops: () => ({ iomapDioSubmitBioMarkPolled }),
    // Two mappings (the extents lie apart on disk): the first bio is polled, the second is not.
    scenario: xfs([written(0, 4 * KiB), { ...written(4 * KiB, 4 * KiB), addr: 72 * KiB }], 4608, [
      [{ kind: 'dio_read', pos: 0, len: 4608, async: true, iocbFlags: ['nowait', 'hipri'] }],
    ]),
    faults: faults({ wouldBlock: true }),
  },
  {
    name: 'dsync-fua-into-unwritten',
    commit: '0929d8580071',
    title: 'iomap: FUA is wrong for DIO O_DSYNC writes into unwritten extents',
    year: 2018,
    lines: 'seed L305',
    what: 'An O_DSYNC write into an unwritten extent uses FUA and skips the sync, so the conversion is never forced to disk.',
    invariant: 'DUR-01',
    ops: () => ({ iomapDioBioIterPureOverwrite: () => true }),
    scenario: xfs(
      FILE16,
      16 * KiB,
      [[{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }, { kind: 'power_loss' }]],
      { fua: true },
    ),
    faults: faults({ destage: true }),
  },
  {
    name: 'no-dirty-past-eof',
    commit: '7684e2c4384d',
    title: 'iomap: iomap that extends beyond EOF should be marked dirty',
    year: 2019,
    lines: 'fs/xfs/xfs_iomap.c xfs_direct_write_iomap_begin; seed L317',
    what: 'An O_DSYNC write that extends the file over written blocks uses FUA, and the new size is never logged durably.',
    invariant: 'DUR-01',
    quirks: { xfsNoDirtyPastEof: true },
    scenario: xfs(
      [written(0, 8 * KiB)],
      4 * KiB,
      [[{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }, { kind: 'power_loss' }]],
      { fua: true },
    ),
    faults: faults({ destage: true }),
  },
  {
    name: 'emulated-fua-without-postflush',
    commit: '28b241237470',
    title: 'blk-flush: fix rq->flush.seq for post-flush requests',
    year: 2023,
    lines: 'block/blk-flush.c',
    what: 'A REQ_FUA write on a cached device without FUA completes before its post-flush, so a log write is lost on power loss.',
    invariant: 'DUR-01',
    quirks: { fuaWithoutPostflush: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }, { kind: 'power_loss' }],
    ]),
    faults: faults({ destage: true }),
  },
  {
    name: 'efault-as-eof',
    commit: '4721a6010990',
    title: 'iomap: dio data corruption and spurious errors when pipes fill (the part reverted later)',
    year: 2018,
    lines: 'seed L689',
    what: 'A read that cannot pin its first page returns 0, a false end of file, instead of -EFAULT.',
    invariant: 'RES-03',
    ops: afterIomapDioRw((ret) => {
      return ret === -EFAULT ? 0 : ret;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 8 * KiB }]]),
    faults: faults({ pageFaults: true }),
  },
  {
    name: 'result-u32-wrap',
    commit: 'e9f930ac88a8',
    title: 'iomap: fix return value of iomap_dio_bio_actor on 32bit systems',
    year: 2019,
    lines: 'seed L439-441',
    what: 'An error result goes through an unsigned 32-bit type and reaches the caller as a huge byte count.',
    invariant: 'RES-04',
    ops: afterIomapDioRw((ret) => {
      return ret === -EIOCBQUEUED ? ret : ret >>> 0;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 8 * KiB }]]),
    faults: faults({ pageFaults: true }),
  },
  {
    name: 'read-errors-complete-in-workqueue',
    commit: '7fd8720dff2d',
    title: 'iomap: allocate s_dio_done_wq for async reads as well (the bug it fixed)',
    year: 2025,
    lines: 'seed L649-653 (6.12.117 L185-191, L681-686)',
    what: 'With 222f2c7c6d14 a failed async read no longer completes inline, but s_dio_done_wq is only created for async writes, so it queues work on no workqueue.',
    invariant: 'WQ-01',
    // 222f2c7c6d14 (in the correct model) without its follow-up: the workqueue for writes only.
    ops: () => ({ iomapDioRwDoneWqForReads: seedDoneWqForReads }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB, async: true }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'read-error-end-io-in-irq',
    commit: '222f2c7c6d14',
    title: 'iomap: always run error completions in user context',
    year: 2025,
    lines: 'seed L185-189, L90-91',
    what: 'A failed async read completes inline, so a filesystem end_io that sleeps on errors (zonefs) runs in interrupt context.',
    invariant: 'CTX-01',
    inSeed: true,
    ops: () => ({ iomapDioBioEndIo: seedBioEndIo, iomapDioRwDoneWqForReads: seedDoneWqForReads }),
    scenario: scripted(
      [written(0, 8 * KiB)],
      8 * KiB,
      [[{ kind: 'dio_read', pos: 0, len: 4 * KiB, async: true }]],
      {
        readEndIo: true,
      },
    ),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'complete-work-touches-freed-dio',
    commit: 'synthetic',
    title: 'iomap_dio_complete_work reads dio->iocb after iomap_dio_complete freed the dio',
    lines: 'seed L141-147',
    what: 'The work item reads the dio after completing (and freeing) it; B02 (4ea899ead278) is the same mistake in the submitter.',
    invariant: 'LIFE-01',
    ops: (base) => ({
      *iomapDioCompleteWork(k, work) {
        const dio = work.container;
        modelAssert(dio instanceof IomapDio, 'work outside a dio');
        const res = yield* base.iomapDioComplete(k, dio);
        k.rt.heap.use(dio, 146);
        dio.iocb.kiComplete?.(dio.iocb, res);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB, async: true }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'bio-put-twice-on-error',
    commit: 'synthetic',
    title: 'iomap_dio_bio_end_io puts a failed bio a second time',
    lines: 'seed L225-231',
    what: 'A failed bio is put again after release_bio already put it.',
    invariant: 'LIFE-02',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        const failed = bio.biStatus !== 0;
        yield* base.iomapDioBioEndIo(k, bio);
        if (failed) bioPut(k.rt, bio, 230);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'error-skips-complete',
    commit: 'synthetic',
    title: 'iomap_dio_rw returns dio->error without iomap_dio_complete',
    lines: 'seed L749-753',
    what: 'A failed dio is never completed, so it is never freed and inode_dio_end never runs.',
    invariant: 'LIFE-03',
    ops: (base) => ({
      *iomapDioRw(k, iocb, iter, o, d, f, done) {
        const dio = yield* base.__iomapDioRw(k, iocb, iter, o, d, f, done);
        if (!(dio instanceof IomapDio)) return dio ?? 0;
        if (dio.error) return dio.error;
        return yield* base.iomapDioComplete(k, dio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'release-pages-twice',
    commit: 'synthetic',
    title: 'iomap_dio_bio_end_io releases the pages before release_bio releases them again',
    lines: 'seed L225-231',
    what: 'User pages of a bio are unpinned twice.',
    invariant: 'LIFE-04',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        bioReleasePages(k.rt, bio, false, 229);
        yield* base.iomapDioBioEndIo(k, bio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'read-pages-not-dirtied',
    commit: 'synthetic',
    title: 'IOMAP_DIO_DIRTY is lost before the bios are built',
    lines: 'seed L404-405, L590-591',
    what: 'User pages filled by a read are released clean, so the data may be dropped from memory.',
    invariant: 'LIFE-05',
    ops: (base) => ({
      *iomapDioIter(k, iter, dio) {
        dio.flags = (dio.flags & ~IOMAP_DIO_DIRTY) >>> 0;
        return yield* base.iomapDioIter(k, iter, dio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'inode-dio-end-skipped',
    commit: 'synthetic',
    title: 'iomap_dio_complete leaves i_dio_count raised',
    lines: 'seed L116',
    what: 'i_dio_count never returns to zero, so truncate and fallocate would wait forever in inode_dio_wait.',
    invariant: 'LIFE-06',
    ops: (base) => ({
      *iomapDioComplete(k, dio) {
        k.rt.heap.use(dio, 116);
        inodeDioBegin(fileInode(dio.iocb.kiFilp));
        return yield* base.iomapDioComplete(k, dio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'extra-ref-drop-on-error',
    commit: 'synthetic',
    title: 'a failed bio drops its dio reference twice',
    lines: 'seed L165-168',
    what: 'dio->ref reaches zero early and then goes below zero.',
    invariant: 'LIFE-07',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        const dio = bio.biPrivate;
        if (bio.biStatus !== 0 && dio !== null) yield* atomicDecAndTest(k.rt, dio, 167);
        yield* base.iomapDioBioEndIo(k, bio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'set-error-plain-store',
    commit: 'synthetic',
    title: 'iomap_dio_set_error stores instead of cmpxchg',
    lines: 'seed L154-157',
    what: 'A later error overwrites the first one.',
    invariant: 'ERR-01',
    ops: () => ({
      // biome-ignore lint/correctness/useYield: a plain store has no interleaving point.
      *iomapDioSetError(k, dio, ret) {
        k.rt.heap.use(dio, 156);
        dio.error = ret;
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 8 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'medium-errors-ignored',
    commit: 'synthetic',
    title: 'iomap_dio_bio_end_io treats BLK_STS_MEDIUM as success',
    lines: 'seed L165-166',
    what: 'A medium error on a bio is never recorded, and the read reports success over garbage.',
    invariant: 'ERR-02',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        if (bio.biStatus === BLK_STS_MEDIUM) bio.biStatus = 0;
        yield* base.iomapDioBioEndIo(k, bio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'errors-reported-as-eio',
    commit: 'synthetic',
    title: 'every error reaches the caller as -EIO',
    lines: 'seed L88, L752',
    what: 'The caller sees -EIO instead of the first error (ENOSPC, ETIMEDOUT, ENODATA).',
    invariant: 'ERR-03',
    ops: afterIomapDioRw((ret) => {
      return ret < 0 && ret !== -EIOCBQUEUED ? -EIO : ret;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'sync-completed-through-ki-complete',
    commit: 'synthetic',
    title: 'iomap_dio_rw completes a synchronous dio through iomap_dio_complete_work',
    lines: 'seed L141-147, L753',
    what: 'ki_complete is called on a synchronous kiocb, which has none.',
    invariant: 'CMPL-01',
    ops: (base) => ({
      *iomapDioRw(k, iocb, iter, o, d, f, done) {
        const dio = yield* base.__iomapDioRw(k, iocb, iter, o, d, f, done);
        if (!(dio instanceof IomapDio)) return dio ?? 0;
        yield* base.iomapDioCompleteWork(k, dio.aioWork);
        return 0;
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'ki-complete-twice',
    commit: 'synthetic',
    title: 'iomap_dio_complete_work calls ki_complete a second time',
    lines: 'seed L141-147',
    what: 'An async request delivers two results.',
    invariant: 'CMPL-02',
    ops: (base) => ({
      *iomapDioCompleteWork(k, work) {
        const dio = work.container;
        modelAssert(dio instanceof IomapDio, 'work outside a dio');
        const iocb = dio.iocb;
        yield* base.iomapDioCompleteWork(k, work);
        iocb.kiComplete?.(iocb, 0);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB, async: true }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'bio-submitted-without-reference',
    commit: 'synthetic',
    title: 'iomap_dio_submit_bio gives back the reference it took for the bio',
    lines: 'seed L69',
    what: 'The submitter drops the last reference while bios are in flight and completes early.',
    invariant: 'CMPL-03',
    ops: (base) => ({
      *iomapDioSubmitBio(k, iter, dio, bio, pos) {
        yield* base.iomapDioSubmitBio(k, iter, dio, bio, pos);
        k.rt.heap.use(dio, 69);
        dio.ref--;
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'sync-kiocb-taken-for-async',
    commit: 'synthetic',
    title: '__iomap_dio_rw decides wait_for_completion from a stale kiocb',
    lines: 'seed L553-554, L715-720',
    what: 'A synchronous request returns -EIOCBQUEUED.',
    invariant: 'CMPL-04',
    ops: (base) => ({
      *__iomapDioRw(k, iocb, iter, o, d, f, done) {
        const sync = isSyncKiocb(iocb);
        if (sync) iocb.kiComplete = () => {};
        const ret = yield* base.__iomapDioRw(k, iocb, iter, o, d, f, done);
        if (sync) iocb.kiComplete = null;
        return ret;
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'write-completes-before-dma',
    commit: 'synthetic',
    title: 'the device completes a write before its DMA has read the user buffer',
    lines: 'block layer / driver',
    what: 'The caller reuses its buffer while the device still reads it.',
    invariant: 'CMPL-06',
    quirks: { lateWriteDma: true },
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'sync-dio-polled',
    commit: 'synthetic',
    title: 'iomap_dio_submit_bio polls a synchronous dio',
    lines: 'seed L71-75',
    what: 'A synchronous request polls a bio nobody will poll.',
    invariant: 'POLL-01',
    ops: (base) => ({
      *iomapDioSubmitBio(k, iter, dio, bio, pos) {
        if (dio.iocb.kiFlags & IOCB_HIPRI) k.ops.iomapDioSubmitBioMarkPolled(k, bio, dio.iocb);
        yield* base.iomapDioSubmitBio(k, iter, dio, bio, pos);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB, iocbFlags: ['hipri'] }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'read-result-past-eof',
    commit: 'synthetic',
    title: 'a short read at end of file reports one sector more than i_size allows',
    lines: 'seed L93-99',
    what: 'The caller is told of bytes past end of file.',
    invariant: 'RES-01',
    ops: afterIomapDioRw((ret, _iocb, iter) => {
      return ret > 0 && iovIterRw(iter) === READ ? ret + 512 : ret;
    }),
    scenario: xfs(FILE16, 10 * KiB, [[{ kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'pos-advanced-on-error',
    commit: 'synthetic',
    title: 'ki_pos moves although the request failed',
    lines: 'seed L118-119',
    what: 'A failed write advances the file position.',
    invariant: 'RES-02',
    ops: afterIomapDioRw((ret, iocb) => {
      if (ret < 0 && ret !== -EIOCBQUEUED) iocb.kiPos += 512;
      return ret;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'read-iter-not-reverted-at-eof',
    commit: 'synthetic',
    title: '__iomap_dio_rw skips the iter revert at end of file',
    lines: 'seed L670-676',
    what: 'A short read leaves the iter consumed past what it reported.',
    invariant: 'RES-05',
    ops: afterIomapDioRw((ret, _iocb, iter) => {
      // As if L675-676 were gone: the iter stays consumed up to the end of the request.
      if (ret >= 0 && iovIterRw(iter) === READ) iovIterAdvance(iter, iter.count);
      return ret;
    }),
    scenario: xfs(FILE16, 10 * KiB, [[{ kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'no-sub-block-zeroing',
    commit: 'synthetic',
    title: 'iomap_dio_zero submits nothing',
    lines: 'seed L235-251, L356-361, L428-435',
    what: 'A sub-block write into an unwritten block leaves the rest of the block stale, and conversion exposes it.',
    invariant: 'STALE-01',
    ops: () => ({ *iomapDioZero() {} }),
    scenario: xfs(FILE16, 16 * KiB, [
      [
        { kind: 'dio_write', pos: 8 * KiB + 512, len: 512 },
        { kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB },
      ],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'no-eof-tail-zeroing',
    commit: 'synthetic',
    title: 'iomap_dio_zero skips the block tail past EOF',
    lines: 'seed L422-435',
    what: 'An extending sub-block write leaves the EOF block tail stale, and an mmap read of the EOF block sees it.',
    invariant: 'STALE-02',
    ops: (base) => ({
      *iomapDioZero(k, iter, dio, pos, len) {
        if (pos >= iter.inode.iSize) return;
        yield* base.iomapDioZero(k, iter, dio, pos, len);
      },
    }),
    scenario: xfs([written(0, 4 * KiB), hole(4 * KiB, 8 * KiB)], 4 * KiB, [
      [{ kind: 'dio_write', pos: 4 * KiB, len: 512 }, { kind: 'mmap_read' }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'convert-on-error',
    commit: 'synthetic',
    title: 'xfs_dio_write_end_io converts unwritten blocks although the write failed',
    lines: 'fs/xfs/xfs_file.c xfs_dio_write_end_io',
    what: 'Blocks whose data never reached the disk become readable after recovery.',
    invariant: 'STALE-03',
    quirks: { xfsConvertOnError: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }],
    ]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'fsync-without-flush',
    commit: 'synthetic',
    title: 'xfs_file_fsync forces neither the log nor the device cache',
    lines: 'fs/xfs/xfs_file.c xfs_file_fsync',
    what: 'Data and metadata an fsync returned for are still in the volatile cache at power loss.',
    invariant: 'DUR-02',
    quirks: { xfsFsyncNoFlush: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 0, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'post-write-invalidation-skipped',
    commit: 'synthetic',
    title: 'kiocb_invalidate_post_direct_write does nothing',
    lines: 'seed L101-114',
    what: 'A page cached while the direct write ran keeps the old data for later buffered reads.',
    invariant: 'PC-01',
    quirks: { skipPostWriteInvalidation: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [
        { kind: 'dio_write', pos: 0, len: 4 * KiB, async: true },
        { kind: 'buffered_read', pos: 0, len: 4 * KiB },
      ],
      [{ kind: 'buffered_read', pos: 0, len: 4 * KiB }],
    ]),
    faults: faults({ interleave: true, reorder: true }),
  },
  {
    name: 'misaligned-write-zeroes-first',
    commit: 'synthetic',
    title: 'iomap_dio_bio_iter zeroes the head block before checking alignment',
    lines: 'seed L291-293, L356-361',
    what: 'A request rejected with -EINVAL has already written to the disk.',
    invariant: 'ARG-01',
    ops: (base) => ({
      *iomapDioBioIter(k, iter, dio) {
        if (iter.pos & 511) yield* base.iomapDioZero(k, iter, dio, iter.pos & ~511, 512);
        return yield* base.iomapDioBioIter(k, iter, dio);
      },
    }),
    scenario: scripted([written(0, 8 * KiB)], 8 * KiB, [[{ kind: 'dio_write', pos: 100, len: 512 }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'nowait-maps-first-extent-only',
    commit: 'synthetic',
    title: 'xfs_direct_write_iomap_begin does not check that a NOWAIT mapping spans the range',
    lines: 'fs/xfs/xfs_iomap.c imap_spans_range; iomap design.rst NOWAIT',
    what: 'A NOWAIT write submits bios for its first extent and then fails with -EAGAIN.',
    invariant: 'ARG-02',
    quirks: { xfsNowaitFirstExtentOnly: true },
    scenario: xfs([written(0, 4 * KiB), hole(4 * KiB, 12 * KiB)], 16 * KiB, [
      [{ kind: 'dio_write', pos: 0, len: 8 * KiB, iocbFlags: ['nowait'] }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'fallback-after-writing',
    commit: 'synthetic',
    title: 'a direct write that already wrote returns -ENOTBLK',
    lines: 'seed L684-688',
    what: 'The caller falls back to buffered I/O for data already written directly.',
    invariant: 'ARG-03',
    ops: afterIomapDioRw((ret, _iocb, iter) => {
      return ret > 0 && iovIterRw(iter) !== READ ? -ENOTBLK : ret;
    }),
    scenario: scripted([written(0, 8 * KiB)], 8 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'nowait-short-write',
    commit: 'synthetic',
    title: 'a NOWAIT write reports less than it was asked for',
    lines: 'seed L580-581',
    what: 'A NOWAIT request is neither refused nor done whole.',
    invariant: 'ARG-04',
    ops: afterIomapDioRw((ret, iocb) => {
      if (ret <= 512 || !(iocb.kiFlags & IOCB_NOWAIT)) return ret;
      iocb.kiPos -= 512;
      return ret - 512;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB, iocbFlags: ['nowait'] }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'mapping-past-position',
    commit: 'synthetic',
    title: '->iomap_begin reports a mapping that starts past the position asked for',
    lines: 'fs/iomap/iter.c iomap_iter_done',
    what: 'iomap would map the wrong file range.',
    invariant: 'FS-01',
    quirks: { xfsMappingPastPos: true },
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'iolock-kept-on-error',
    commit: 'synthetic',
    title: 'xfs_file_dio_write keeps the IOLOCK when the write fails',
    lines: 'fs/xfs/xfs_file.c xfs_file_dio_write_aligned',
    what: 'The next writer waits forever.',
    invariant: 'PROG-01',
    quirks: { xfsKeepIolockOnError: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 0, len: 4 * KiB }],
      [{ kind: 'buffered_write', pos: 4 * KiB, len: 4 * KiB }],
    ]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'writes-complete-inline',
    commit: 'synthetic',
    title: 'writes are flagged IOMAP_DIO_INLINE_COMP',
    lines: 'seed L585, L185-189',
    what: 'An async write runs the filesystem end_io (unwritten conversion, a transaction) in interrupt context.',
    invariant: 'CTX-01',
    ops: (base) => ({
      *iomapDioIter(k, iter, dio) {
        if (dio.flags & IOMAP_DIO_WRITE) dio.flags = (dio.flags | IOMAP_DIO_INLINE_COMP) >>> 0;
        return yield* base.iomapDioIter(k, iter, dio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, async: true }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'submitter-reads-freed-dio',
    commit: '4ea899ead278',
    title: 'iomap: fix a use after free in iomap_dio_rw',
    year: 2018,
    lines: 'seed L715-719',
    what: 'After a reference drop that was not the last, the submitter reads dio->wait_for_completion, but the completion may already have freed the dio.',
    invariant: 'LIFE-01',
    ops: () => ({
      iomapDioRwWaits(k, dio) {
        k.rt.heap.use(dio, 717);
        return dio.waitForCompletion;
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB, async: true }]]),
    faults: faults({ interleave: true }),
  },
  {
    name: 'short-get-skips-zero-tail',
    commit: '4721a6010990',
    title: 'iomap: dio data corruption and spurious errors when pipes fill',
    year: 2018,
    lines: 'seed L388-398, L428-435',
    what: 'A short bio_iov_iter_get_pages returns at once instead of zeroing the block tail, so unwritten conversion exposes stale data.',
    invariant: 'STALE-01',
    ops: () => ({ iomapDioBioIterZeroTailAfterShortGet: () => false }),
    scenario: xfs(
      FILE16,
      16 * KiB,
      [
        [
          // A filesystem that passes IOMAP_DIO_PARTIAL (gfs2, btrfs): the short write succeeds.
          {
            kind: 'dio_write',
            pos: 8 * KiB + 512,
            len: 3 * KiB,
            bufAddr: 0x10000 + 3584,
            dioFlags: ['partial'],
          },
          { kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB },
        ],
      ],
      {},
      4,
    ),
    faults: faults({ pageFaults: true }),
  },
  {
    name: 'invalidation-failure-ignored',
    commit: '60263d5889e6',
    title: 'iomap: fall back to buffered writes for invalidation failures (the bug it fixed)',
    year: 2020,
    lines: 'seed L634-647',
    what: 'A direct write goes ahead although a cached page of its range could not be dropped, so buffered reads keep seeing the old page.',
    invariant: 'PC-01',
    quirks: { ignoreInvalidationFailure: true },
    scenario: {
      ...xfs(FILE16, 16 * KiB, [
        [
          { kind: 'dio_write', pos: 0, len: 4 * KiB },
          { kind: 'buffered_read', pos: 0, len: 4 * KiB },
        ],
      ]),
      fs: {
        model: 'xfs',
        blockSize: 4096,
        iSize: 16 * KiB,
        extents: FILE16,
        pageCache: [{ index: 0, dirty: false }],
      },
    },
    faults: faults({ invalidateFailures: true }),
  },
  {
    name: 'unaligned-dio-not-serialised',
    commit: 'synthetic',
    title:
      'concurrent sub-block direct writes to one new block are not serialised (B24: the XFS rule of xfs_file_dio_write_unaligned)',
    lines: 'seed L356-361, L428-435; fs/xfs/xfs_file.c',
    what: "Each write zeroes the part of the block the other writes, and one write, acknowledged, is lost to the other's zeroing (caught by the contract since SYS-03; PC-01 caught it through a buffered read before).",
    invariant: 'SYS-03',
    quirks: { xfsNoUnalignedSerialisation: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 1 * KiB, async: true }],
      [{ kind: 'dio_write', pos: 9 * KiB, len: 1 * KiB, async: true }],
    ]),
    faults: faults({ interleave: true, reorder: true }),
  },
  {
    name: 'dio-freed-twice',
    commit: 'synthetic',
    title: 'the dio is freed again after iomap_dio_complete',
    lines: 'seed L131',
    what: 'kfree runs twice on the same dio.',
    invariant: 'LIFE-02',
    ops: (base) => ({
      *iomapDioComplete(k, dio) {
        const ret = yield* base.iomapDioComplete(k, dio);
        k.rt.heap.free(dio, 131);
        return ret;
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'zero-bio-leaked',
    commit: 'synthetic',
    title: 'iomap_dio_zero allocates a bio it never submits',
    lines: 'seed L242',
    what: 'A bio is allocated and forgotten.',
    invariant: 'LIFE-03',
    ops: (base) => ({
      *iomapDioZero(k, iter, dio, pos, len) {
        base.iomapDioAllocBio(k, iter, dio, 1, 1);
        yield* base.iomapDioZero(k, iter, dio, pos, len);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 8 * KiB + 512, len: 512 }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'pages-released-at-submit',
    commit: 'synthetic',
    title: 'iomap_dio_submit_bio unpins the pages before the bio runs',
    lines: 'seed L64-81, L225-231',
    what: 'User pages are unpinned while the device still uses them, and again at completion.',
    invariant: 'LIFE-04',
    ops: (base) => ({
      *iomapDioSubmitBio(k, iter, dio, bio, pos) {
        bioReleasePages(k.rt, bio, false, 80);
        yield* base.iomapDioSubmitBio(k, iter, dio, bio, pos);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'read-bio-released-not-dirtied',
    commit: 'synthetic',
    title:
      'iomap_dio_bio_end_io releases the pages of a read with bio_release_pages, not bio_check_pages_dirty',
    lines: 'seed L162, L225-231',
    what: 'A user page the VM cleaned during the read stays clean, and the data read into it can be dropped.',
    invariant: 'LIFE-05',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        const dio = bio.biPrivate;
        if (dio !== null) dio.flags = (dio.flags & ~IOMAP_DIO_DIRTY) >>> 0;
        yield* base.iomapDioBioEndIo(k, bio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'inode-dio-end-twice',
    commit: 'synthetic',
    title: 'inode_dio_end runs a second time after completion',
    lines: 'seed L116',
    what: 'i_dio_count goes below zero.',
    invariant: 'LIFE-06',
    ops: (base) => ({
      *iomapDioComplete(k, dio) {
        k.rt.heap.use(dio, 116);
        const inode = fileInode(dio.iocb.kiFilp);
        const ret = yield* base.iomapDioComplete(k, dio);
        inodeDioEnd(k.rt, inode, 116);
        return ret;
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'ref-dropped-in-complete',
    commit: 'synthetic',
    title: 'iomap_dio_complete drops a reference nobody holds',
    lines: 'seed L83-133',
    what: 'dio->ref goes below zero.',
    invariant: 'LIFE-07',
    ops: (base) => ({
      *iomapDioComplete(k, dio) {
        yield* atomicDecAndTest(k.rt, dio, 131);
        return yield* base.iomapDioComplete(k, dio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'write-errors-ignored',
    commit: 'synthetic',
    title: 'iomap_dio_bio_end_io ignores the status of write bios',
    lines: 'seed L165-166',
    what: 'A failed write reports success.',
    invariant: 'ERR-02',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        if (bio.op === 1) bio.biStatus = 0;
        yield* base.iomapDioBioEndIo(k, bio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'end-io-rewrites-errors',
    commit: 'synthetic',
    title: 'the filesystem end_io reports every error as -EIO',
    lines: 'seed L90-91; fs/xfs/xfs_file.c xfs_dio_write_end_io',
    what: 'The caller sees -EIO instead of the first error.',
    invariant: 'ERR-03',
    quirks: { xfsEndIoRewritesError: true },
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'set-error-clears-first',
    commit: 'synthetic',
    title: 'iomap_dio_set_error clears dio->error before storing',
    lines: 'seed L154-157',
    what: 'A later error replaces the first one, going through 0.',
    invariant: 'ERR-01',
    ops: () => ({
      // biome-ignore lint/correctness/useYield: two plain stores, no interleaving point.
      *iomapDioSetError(k, dio, ret) {
        k.rt.heap.use(dio, 156);
        dio.error = 0;
        dio.error = ret;
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 8 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'aio-error-returned-and-completed',
    commit: 'synthetic',
    title: 'an async request that fails at submission also calls ki_complete',
    lines: 'seed L742-754',
    what: 'The caller gets the error twice: as the return value and through ki_complete.',
    invariant: 'CMPL-02',
    ops: (base) => ({
      *iomapDioRw(k, iocb, iter, o, d, f, done) {
        const ret = yield* base.iomapDioRw(k, iocb, iter, o, d, f, done);
        if (ret < 0 && ret !== -EIOCBQUEUED) iocb.kiComplete?.(iocb, ret);
        return ret;
      },
    }),
    scenario: scripted([written(0, 8 * KiB)], 8 * KiB, [
      [{ kind: 'dio_write', pos: 100, len: 512, async: true }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'waiter-woken-by-any-bio',
    commit: 'synthetic',
    title: 'iomap_dio_bio_end_io wakes the synchronous waiter on every completion',
    lines: 'seed L167-180',
    what: 'The submitter completes the dio while bios are still in flight.',
    invariant: 'CMPL-03',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        const dio = bio.biPrivate;
        yield* base.iomapDioBioEndIo(k, bio);
        if (dio === null || dio.freed || !dio.waitForCompletion || dio.unionMember !== 'submit') return;
        const waiter = dio.submitWaiter;
        dio.submitWaiter = null;
        if (waiter !== null) k.rt.wakeUpProcess(waiter);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 8 * KiB }]]),
    faults: faults({ reorder: true }),
  },
  {
    name: 'completed-sync-reported-queued',
    commit: 'synthetic',
    title: 'iomap_dio_rw reports -EIOCBQUEUED for a synchronous request it completed',
    lines: 'seed L715-720, L753',
    what: 'A synchronous caller is told its request is queued.',
    invariant: 'CMPL-04',
    ops: afterIomapDioRw((ret, iocb) => (ret > 0 && iocb.kiComplete === null ? -EIOCBQUEUED : ret)),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'waiter-never-woken',
    commit: 'synthetic',
    title: 'iomap_dio_bio_end_io clears submit.waiter but wakes nobody',
    lines: 'seed L174-180',
    what: 'A synchronous submitter that went to sleep is never woken: a lost wake-up.',
    invariant: 'PROG-01',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        const dio = bio.biPrivate;
        const wake = k.rt.wakeUpProcess;
        if (dio?.waitForCompletion) k.rt.wakeUpProcess = () => {};
        try {
          yield* base.iomapDioBioEndIo(k, bio);
        } finally {
          k.rt.wakeUpProcess = wake;
        }
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'log-without-preflush',
    commit: 'synthetic',
    title: 'the filesystem writes its log with REQ_FUA but without REQ_PREFLUSH',
    lines: 'Documentation/block/writeback_cache_control.rst; fs/xfs log writes',
    what: 'An unwritten conversion reaches the disk before the data it converts, exposing stale blocks after power loss.',
    invariant: 'STALE-03',
    quirks: { xfsLogWithoutPreflush: true },
    scenario: xfs(
      FILE16,
      16 * KiB,
      [[{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }]],
      { fua: true },
    ),
    faults: NO_FAULTS,
  },
  {
    name: 'fsync-skips-data',
    commit: 'synthetic',
    title: 'xfs_file_fsync forgets file_write_and_wait_range',
    lines: 'fs/xfs/xfs_file.c xfs_file_fsync',
    what: 'Buffered data that fsync returned for is still in the page cache at power loss.',
    invariant: 'DUR-02',
    quirks: { xfsFsyncSkipsData: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'buffered_write', pos: 0, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'write-result-overcounts',
    commit: 'synthetic',
    title: 'a write reports one sector more than it was asked for',
    lines: 'seed L93-95',
    what: 'The caller is told more bytes were written than it gave.',
    invariant: 'RES-01',
    ops: afterIomapDioRw((ret, _iocb, iter) => (ret > 0 && iovIterRw(iter) !== READ ? ret + 512 : ret)),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'pos-not-advanced',
    commit: 'synthetic',
    title: 'ki_pos stays where it was after a successful request',
    lines: 'seed L118-119',
    what: 'The next sequential request rewrites or rereads the same bytes.',
    invariant: 'RES-02',
    ops: afterIomapDioRw((ret, iocb) => {
      if (ret > 0) iocb.kiPos -= ret;
      return ret;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'short-read-reported-as-eof',
    commit: 'synthetic',
    title: 'a short read returns 0',
    lines: 'seed L93-99',
    what: 'A read that found data reports end of file.',
    invariant: 'RES-03',
    ops: afterIomapDioRw((ret, _iocb, iter) =>
      ret > 0 && iovIterRw(iter) === READ && iter.count > 0 ? 0 : ret,
    ),
    scenario: xfs(FILE16, 10 * KiB, [[{ kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'error-offset-encoded',
    commit: 'synthetic',
    title: 'errors are returned with an offset, outside the errno range',
    lines: 'seed L752',
    what: 'The caller receives a negative value that is not an errno.',
    invariant: 'RES-04',
    ops: afterIomapDioRw((ret) => (ret < 0 && ret !== -EIOCBQUEUED ? ret - 4096 : ret)),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'read-iter-rewound-too-far',
    commit: 'synthetic',
    title: 'the EOF revert of a read rewinds one sector too many',
    lines: 'seed L675-676',
    what: 'The iter claims fewer bytes consumed than the read reported.',
    invariant: 'RES-05',
    ops: afterIomapDioRw((ret, _iocb, iter) => {
      if (ret >= 512 && iovIterRw(iter) === READ) iovIterRevert(iter, 512);
      return ret;
    }),
    scenario: xfs(FILE16, 10 * KiB, [[{ kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'write-iter-reexpanded-short',
    commit: 'synthetic',
    title: 'the iter of a write is re-expanded one sector short',
    lines: 'seed L436-438',
    what: 'The iter no longer agrees with the data handed to bios.',
    invariant: 'RES-06',
    ops: afterIomapDioRw((ret, _iocb, iter) => {
      if (ret >= 512 && iovIterRw(iter) !== READ) iovIterRevert(iter, 512);
      return ret;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'every-bio-polled',
    commit: 'synthetic',
    title: 'iomap_dio_submit_bio polls every bio of an async read, HIPRI or not',
    lines: 'seed L71-75, L413-417',
    what: 'A multi-bio request polls several bios.',
    invariant: 'POLL-01',
    ops: (base) => ({
      *iomapDioSubmitBio(k, iter, dio, bio, pos) {
        if (!isSyncKiocb(dio.iocb) && !(dio.flags & IOMAP_DIO_WRITE))
          k.ops.iomapDioSubmitBioMarkPolled(k, bio, dio.iocb);
        yield* base.iomapDioSubmitBio(k, iter, dio, bio, pos);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_read', pos: 0, len: 8 * KiB, async: true, iocbFlags: ['hipri'] }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'zeroing-overlaps-data',
    commit: 'synthetic',
    title: 'iomap_dio_zero starts the tail zeroing one sector early',
    lines: 'seed L428-435',
    what: 'The zeroing bio covers the last sector of the data and, completing after it, erases it.',
    invariant: 'DATA-01',
    ops: (base) => ({
      *iomapDioZero(k, iter, dio, pos, len) {
        const tail = pos > iter.pos;
        yield* base.iomapDioZero(k, iter, dio, tail ? pos - 512 : pos, tail ? len + 512 : len);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [
      [
        { kind: 'dio_write', pos: 8 * KiB + 512, len: 1 * KiB },
        { kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB },
      ],
    ]),
    faults: faults({ reorder: true }),
  },
  {
    name: 'inline-comp-tested-before-waiter',
    commit: 'synthetic',
    title: 'iomap_dio_bio_end_io tests IOMAP_DIO_INLINE_COMP before wait_for_completion',
    lines: 'seed L174-189',
    what: 'The last bio of a synchronous read completes its dio inline and calls ki_complete on a kiocb that has none, while the submitter sleeps.',
    invariant: 'CMPL-01',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        const dio = bio.biPrivate;
        // As if L185-189 came before L174-180: a dio that may complete inline never wakes a waiter.
        if (dio !== null && !dio.freed && dio.flags & IOMAP_DIO_INLINE_COMP) dio.waitForCompletion = false;
        yield* base.iomapDioBioEndIo(k, bio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'submit-io-bio-unreferenced',
    commit: 'synthetic',
    title: 'iomap_dio_submit_bio takes a dio reference only for bios it submits itself',
    lines: 'seed L69, L77-80',
    what: 'A filesystem whose ->submit_io submits the bio later from a worker (btrfs offloads checksumming) sees the dio complete and return first, and the device then reads the user buffer of a finished request.',
    invariant: 'CMPL-06',
    ops: (base) => ({
      *iomapDioSubmitBio(k, iter, dio, bio, pos) {
        const viaFs = dio.dops?.submitIo !== undefined;
        yield* base.iomapDioSubmitBio(k, iter, dio, bio, pos);
        if (!viaFs) return;
        // As if L69 sat in the else branch of L77-80: ->submit_io is trusted to hold the dio.
        k.rt.heap.use(dio, 69);
        dio.ref--;
      },
    }),
    scenario: scripted([written(0, 8 * KiB)], 8 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]], {
      submitIo: true,
      submitIoDeferred: true,
    }),
    faults: NO_FAULTS,
  },
  {
    name: 'caller-comp-skips-workqueue',
    commit: 'synthetic',
    title:
      '__iomap_dio_rw creates no s_dio_done_wq for a write whose issuer completes it (IOCB_DIO_CALLER_COMP)',
    lines: 'seed L343-346, L606-607, L649-653',
    what: 'A caller-completed async write into an unwritten extent loses IOMAP_DIO_CALLER_COMP to its zeroing, and its completion is queued on a workqueue that was never created.',
    invariant: 'WQ-01',
    ops: () => ({
      iomapDioRwNeedsDoneWq(_k, dio, waitForCompletion) {
        // L649 trusts the flag set at L606-607, which L343-346 may still clear.
        return !waitForCompletion && !(dio.flags & IOMAP_DIO_CALLER_COMP);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, async: true, iocbFlags: ['caller_comp'] }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'write-map-end-rounded-down',
    commit: 'synthetic',
    title:
      'xfs_direct_write_iomap_begin rounds the end of the range down to a block (XFS_B_TO_FSBT for XFS_B_TO_FSB)',
    lines: 'fs/xfs/xfs_iomap.c xfs_direct_write_iomap_begin; fs/iomap/iter.c iomap_iter_done',
    what: 'A direct write that ends inside a block is given a zero-length mapping for that block.',
    invariant: 'FS-01',
    quirks: { xfsWriteEndRoundedDown: true },
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 512 }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'alignment-checked-after-trim',
    commit: 'synthetic',
    title: 'iomap_dio_bio_iter checks the alignment of the iter only after trimming it to the mapping',
    lines: 'seed L291-293, L325-331',
    what: 'A read whose length is misaligned only in its last mapping submits bios for the earlier mappings, then fails with -EINVAL.',
    invariant: 'ARG-01',
    ops: (base) => ({
      *iomapDioBioIter(k, iter, dio) {
        const it = dio.submitIter;
        const length = iomapLength(iter);
        if (it === null || it.count <= length) return yield* base.iomapDioBioIter(k, iter, dio);
        // As if L291-293 came after L330-331: the check sees the iter trimmed to this mapping.
        const full = it.count;
        iovIterTruncate(it, length);
        const ret = yield* base.iomapDioBioIter(k, iter, dio);
        iovIterReexpand(it, full - (length - it.count));
        return ret;
      },
    }),
    scenario: scripted([written(0, 4 * KiB), written(4 * KiB, 4 * KiB)], 8 * KiB, [
      [{ kind: 'dio_read', pos: 0, len: 4 * KiB + 100 }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'notblk-nowait-as-eagain',
    commit: 'synthetic',
    title: '__iomap_dio_rw turns a -ENOTBLK from ->iomap_begin into -EAGAIN for a NOWAIT request',
    lines: 'seed L580-581, L684-690',
    what: 'A NOWAIT write that already submitted its first mapping reports -EAGAIN, so io_uring retries from a worker a write that was done in part.',
    invariant: 'ARG-02',
    ops: (base) => ({
      *__iomapDioRw(k, iocb, iter, ops, d, f, done) {
        if (!(iocb.kiFlags & IOCB_NOWAIT)) return yield* base.__iomapDioRw(k, iocb, iter, ops, d, f, done);
        // As if L685 began with: NOWAIT must not fall back to blocking buffered I/O, so -EAGAIN.
        const end = ops.iomapEnd?.bind(ops);
        const nowaitOps: IomapOps = {
          *iomapBegin(inode, pos, length, flags, iomap, srcmap) {
            const ret = yield* ops.iomapBegin(inode, pos, length, flags, iomap, srcmap);
            return ret === -ENOTBLK ? -EAGAIN : ret;
          },
          ...(end === undefined ? {} : { iomapEnd: end }),
        };
        return yield* base.__iomapDioRw(k, iocb, iter, nowaitOps, d, f, done);
      },
    }),
    scenario: scripted(
      [written(0, 4 * KiB), written(4 * KiB, 4 * KiB)],
      8 * KiB,
      [[{ kind: 'dio_write', pos: 0, len: 8 * KiB, iocbFlags: ['nowait'] }]],
      { notblkFrom: 4 * KiB },
    ),
    faults: NO_FAULTS,
  },
  {
    name: 'notblk-after-submit-returned',
    commit: 'synthetic',
    title: '__iomap_dio_rw passes a -ENOTBLK from ->iomap_begin through like any other error',
    lines: 'seed L684-690',
    what: 'A write that already submitted its first mapping returns -ENOTBLK, and the caller redoes all of it as buffered I/O.',
    invariant: 'ARG-03',
    ops: () => ({ iomapDioRwFallsBack: () => false }),
    scenario: scripted(
      [written(0, 4 * KiB), written(4 * KiB, 4 * KiB)],
      8 * KiB,
      [[{ kind: 'dio_write', pos: 0, len: 8 * KiB }]],
      { notblkFrom: 4 * KiB },
    ),
    faults: NO_FAULTS,
  },
  {
    name: 'short-read-clamp-on-writes',
    commit: 'synthetic',
    title: 'iomap_dio_complete applies the short-read clamp to writes as well',
    lines: 'seed L93-99, L118-119',
    what: 'A write that extends the file is reported cut at the i_size it started with, so a NOWAIT write is neither refused nor done whole.',
    invariant: 'ARG-04',
    ops: (base) => ({
      *iomapDioComplete(k, dio) {
        k.rt.heap.use(dio, 96);
        const iocb = dio.iocb;
        const offset = iocb.kiPos;
        const iSize = dio.iSize;
        const write = (dio.flags & IOMAP_DIO_WRITE) !== 0;
        const ret = yield* base.iomapDioComplete(k, dio);
        // As if L96-97 lacked the write test (and L118-119 then advanced ki_pos by the clamped count).
        if (!write || ret <= 0 || offset + ret <= iSize) return ret;
        const clamped = iSize - offset;
        iocb.kiPos = offset + Math.max(clamped, 0);
        return clamped;
      },
    }),
    scenario: xfs(FILE16, 12 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 8 * KiB, iocbFlags: ['nowait'] }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'tail-zeroing-head-length',
    commit: 'synthetic',
    title: 'the tail zeroing of iomap_dio_bio_iter zeroes pad bytes, the length of the head zeroing',
    lines: 'seed L356-361, L428-435',
    what: 'A sub-block write into an unwritten block leaves the end of the block stale, and conversion exposes it to buffered reads.',
    invariant: 'STALE-02',
    ops: (base) => ({
      *iomapDioZero(k, iter, dio, pos, len) {
        // L434 copied from L360: iomap_dio_zero(iter, dio, pos, pad), not fs_block_size - pad.
        const tail = pos > iter.pos;
        yield* base.iomapDioZero(k, iter, dio, pos, tail ? iBlocksize(iter.inode) - len : len);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [
      [
        { kind: 'dio_write', pos: 8 * KiB + 512, len: 512 },
        { kind: 'buffered_read', pos: 8 * KiB, len: 4 * KiB },
      ],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'zero-bio-aimed-at-iter-pos',
    commit: 'synthetic',
    title: 'iomap_dio_zero computes the sector of its bio from iter->pos instead of pos',
    lines: 'seed L235-251 (L245)',
    what: 'The tail-zeroing bio of a sub-block write lands at the start of the write and, completing after the data, erases it.',
    invariant: 'DATA-01',
    ops: (base) => ({
      *iomapDioZero(k, iter, dio, _pos, len) {
        yield* base.iomapDioZero(k, iter, dio, iter.pos, len);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [
      [
        { kind: 'dio_write', pos: 8 * KiB, len: 1 * KiB },
        { kind: 'dio_read', pos: 8 * KiB, len: 1 * KiB },
      ],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'read-past-eof-issued',
    commit: '74cedf9b6c60',
    title:
      'direct-io: Fix negative return from dio read beyond eof (fs/direct-io.c; B10 re-created at the iomap check)',
    year: 2015,
    lines: 'seed L587-588, L96-98',
    what: 'A read that starts past i_size is issued, and the short-read clamp turns its count into i_size - pos, a negative number that is no errno.',
    invariant: 'RES-04',
    ops: () => ({ iomapDioRwReadPastEof: () => false }),
    scenario: xfs([written(0, 4 * KiB)], 1000, [[{ kind: 'dio_read', pos: 8 * KiB, len: 512 }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'tail-zero-result-returned',
    commit: '10553a91652d',
    title:
      'iomap: fix iomap_dio_zero() for fs bs > system page size (its int result, which the tail zeroing of 6.12.107-6.12.117 assigns to ret; void again in 6.12.118)',
    year: 2024,
    lines: 'seed L428-435; 6.12.117 fs/iomap/direct-io.c L460-467',
    what: "A write whose first page cannot be pinned, inside a block with a tail to zero, returns the tail zeroing's 0 instead of -EFAULT: it moved nothing and reports success.",
    invariant: 'SYS-01',
    ops: () => ({ iomapDioBioIterZeroTailPad: iomapDioBioIterZeroTailPad612 }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 8 * KiB + 512, len: 512 }]]),
    faults: faults({ pageFaults: true }),
  },
  {
    name: 'overwrite-only-refusal-as-zero',
    commit: 'synthetic',
    title: 'A write refused for needing allocation (IOMAP_DIO_OVERWRITE_ONLY) returns 0 instead of -EAGAIN',
    lines: 'seed L609-615',
    what: 'A write that must not allocate and would have to returns 0 bytes, so the caller neither retries without the flag nor sees an error.',
    invariant: 'SYS-01',
    ops: afterIomapDioRw((ret) => (ret === -EAGAIN ? 0 : ret)),
    scenario: scripted([written(0, 4 * KiB)], 4 * KiB, [
      [{ kind: 'dio_write', pos: 4 * KiB, len: 512, dioFlags: ['overwrite_only'] }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'faulted-read-reports-request',
    commit: 'synthetic',
    title: 'A direct read cut short by a faulting buffer page reports the whole request',
    lines: 'seed L388-398, L439-441',
    what: 'A read under IOMAP_DIO_PARTIAL (gfs2, btrfs) whose second buffer page is gone reports every byte asked (ki_pos and the iter moved to match), although nothing reached the pages from the faulting one on.',
    invariant: 'SYS-02',
    ops: claimsWholeRequest(true),
    scenario: scripted([written(0, 16 * KiB)], 16 * KiB, [
      [
        {
          kind: 'dio_read',
          pos: 0,
          len: 16 * KiB,
          dioFlags: ['partial'],
          badPage: { index: 1, how: 'munmap' },
        },
      ],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'faulted-write-reports-request',
    commit: 'synthetic',
    title: 'A direct write cut short by a faulting buffer page reports the whole request',
    lines: 'seed L388-398, L439-441',
    what: 'A write under IOMAP_DIO_PARTIAL (gfs2, btrfs) whose second buffer page is gone reports every byte asked (ki_pos moved to match), so the caller never writes the rest.',
    invariant: 'SYS-02',
    ops: claimsWholeRequest(false),
    scenario: scripted([written(0, 16 * KiB)], 16 * KiB, [
      [
        {
          kind: 'dio_write',
          pos: 0,
          len: 16 * KiB,
          dioFlags: ['partial'],
          badPage: { index: 1, how: 'munmap' },
        },
      ],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'write-end-io-dropped',
    commit: 'synthetic',
    title: "iomap_dio_rw loses the filesystem's dio ops for writes",
    lines: 'seed L131-139 (dops->end_io)',
    what: 'A write completes without ->end_io, so an unwritten extent it wrote is never converted: it returns its count, yet the range reads back as zeros.',
    invariant: 'SYS-03',
    ops: (base) => ({
      *iomapDioRw(k, iocb, iter, o, d, f, done) {
        return yield* base.iomapDioRw(k, iocb, iter, o, iovIterRw(iter) === READ ? d : null, f, done);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'tail-zero-over-last-sector',
    commit: 'synthetic',
    title: 'The tail zeroing of a sub-block write starts one sector early',
    lines: 'seed L428-435',
    what: 'The zeroing bio after a sub-block write into an unwritten block covers the last sector the write put there, and lands after it.',
    invariant: 'SYS-03',
    ops: (base) => ({
      *iomapDioBioIterZeroTailPad(k, iter, dio, pos, pad, ret) {
        if (pad <= 512) return yield* base.iomapDioBioIterZeroTailPad(k, iter, dio, pos, pad, ret);
        return yield* base.iomapDioBioIterZeroTailPad(k, iter, dio, pos - 512, pad - 512, ret);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 8 * KiB + 512, len: 1 * KiB }]]),
    faults: NO_FAULTS,
  },
  ...EXT4_BUGS,
];

/** The ops table a bug runs on: the correct model with the bug's entries replaced. */
/** The ops table with the bug planted: on the correct model, or on another table (a release). */
export function opsFor(bug: PlantedBug, base: Readonly<KernelOps> = FIXED_OPS): Readonly<KernelOps> {
  return Object.freeze({ ...base, ...(bug.ops?.(base) ?? {}) });
}

export function bugByName(name: string): PlantedBug | undefined {
  return BUGS.find((b) => b.name === name);
}
