/**
 * Planted bugs of the completion (CMPL) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { isSyncKiocb } from '../fs/vfs.ts';
import { EIOCBQUEUED, IOCB_HIPRI, IOMAP_DIO_INLINE_COMP, IOMAP_DIO_WRITE } from '../kernel/flags.ts';
import { IomapDio } from '../kernel/iomapDio.ts';
import { NO_FAULTS } from '../runtime/faults.ts';
import { modelAssert } from '../runtime/violation.ts';
import { KiB, written } from '../world/extents.ts';

import { afterIomapDioRw, FILE16, faults, scripted, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const COMPLETION_BUGS: readonly PlantedBug[] = [
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
    what: 'A filesystem whose ->submit_io submits the bio later from a worker (btrfs offloaded checksumming before 968f19c5b1b7) sees the dio complete and return first, and the device then reads the user buffer of a finished request.',
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
];
