/**
 * The completion half of fs/iomap/direct-io.c: iomap_dio_complete (seed L83-133),
 * iomap_dio_deferred_complete (L136-139), iomap_dio_complete_work (L141-147), iomap_dio_set_error
 * (L149-157) and iomap_dio_bio_end_io (L159-232).
 *
 * iomap_dio_bio_end_io runs in the completing bio's interrupt context; its four routes after the
 * last reference drops are: wake the synchronous waiter (L174-180), complete inline (L185-189),
 * hand completion to the io_uring issuer (L195-214), or queue the work on s_dio_done_wq (L222-224).
 * Everything that may sleep in iomap_dio_complete (the filesystem's end_io with work to do,
 * page-cache invalidation, generic_write_sync) checks its context (CTX-01).
 */
import { type Bio, blkStatusToErrno } from '../block/bio.ts';
import { bioCheckPagesDirty, bioPut, bioReleasePages } from '../block/bioOps.ts';
import { fileInode, genericWriteSync, inodeDioEnd, type Kiocb } from '../fs/vfs.ts';
import { initWork, type WorkStruct } from '../fs/workqueue.ts';
import { kiocbInvalidatePostDirectWrite } from '../mm/filemap.ts';
import { atomicDecAndTest, barrier } from '../runtime/atomics.ts';
import type { KGen } from '../runtime/context.ts';
import { Violation, modelAssert } from '../runtime/violation.ts';
import {
  formatResult,
  IOMAP_DIO_CALLER_COMP,
  IOMAP_DIO_DIRTY,
  IOMAP_DIO_INLINE_COMP,
  IOMAP_DIO_NEED_SYNC,
  IOMAP_DIO_WRITE,
} from './flags.ts';
import { IomapDio } from './iomapDio.ts';
import type { Kernel } from './kernel.ts';

/**
 * iomap_dio_complete() (seed L83-133): run the filesystem's end_io, compute the result (a read is
 * trimmed at the i_size sampled at submission), invalidate the page cache after end_io so a racing
 * buffered read cannot cache zeros from unconverted extents, end the inode's dio count before the
 * sync (B14), advance ki_pos, sync for DSYNC, add done_before, and free the dio.
 */
export function* iomapDioComplete(k: Kernel, dio: IomapDio): KGen<number> {
  const rt = k.rt;
  rt.heap.use(dio, 85);
  const dops = dio.dops;
  const iocb = dio.iocb;
  const offset = iocb.kiPos;
  let ret = dio.error;

  // L90-91: the filesystem's end_io may override the result.
  if (dops?.endIo) {
    rt.cover(91);
    ret = yield* dops.endIo(iocb, dio.size, ret, dio.flags);
  }

  // L93-99: a read never reports bytes past the i_size it started with.
  rt.heap.use(dio, 93);
  if (!ret) {
    ret = dio.size;
    if (offset + ret > dio.iSize && !(dio.flags & IOMAP_DIO_WRITE)) {
      rt.cover(98);
      ret = dio.iSize - offset;
    }
  }

  // L113-114: after end_io, drop pages cached while the write ran; failure does not fail the write.
  if (!dio.error && dio.size && dio.flags & IOMAP_DIO_WRITE) {
    rt.cover(114);
    yield* kiocbInvalidatePostDirectWrite(rt, iocb, dio.size, 114);
  }

  // L116. From here a task in inode_dio_wait (truncate, fallocate, the next exclusive writer) may
  // run before a completion context delivers the result: an interleaving point there
  // (spec/atomicity.md). The submitting task completing its own dio inside iomap_dio_rw holds the
  // IOLOCK (or i_rwsem), which every such waiter takes first, so none can run there (iolock-held).
  inodeDioEnd(rt, fileInode(iocb.kiFilp), 116);
  if (rt.current !== null && rt.current.kind !== 'task') yield* barrier();

  // L118-129: a DSYNC write is pushed to stable storage now that its data is written.
  if (ret > 0) {
    iocb.kiPos += ret;
    rt.heap.use(dio, 125);
    if (dio.flags & IOMAP_DIO_NEED_SYNC) {
      rt.cover(126);
      ret = yield* genericWriteSync(rt, iocb, ret, 126);
    }
    if (ret > 0) ret += dio.doneBefore;
  }

  // L130-131
  if (rt.tracing)
    rt.ev(130, 'iomap_dio_complete', `error ${formatResult(dio.error)} ret ${formatResult(ret)}`);
  rt.heap.free(dio, 131);
  return ret;
}

/** iomap_dio_deferred_complete() (seed L136-139): the issuer's dio_complete callback. */
export function* iomapDioDeferredComplete(k: Kernel, data: unknown): KGen<number> {
  modelAssert(data instanceof IomapDio, 'dio_complete called without a dio');
  return yield* k.ops.iomapDioComplete(k, data);
}

/** iomap_dio_complete_work() (seed L141-147): complete, then report through ki_complete. */
export function* iomapDioCompleteWork(k: Kernel, work: WorkStruct): KGen {
  const dio = work.container;
  modelAssert(dio instanceof IomapDio, 'complete_work on a work item outside a dio');
  k.rt.heap.use(dio, 144);
  const iocb = dio.iocb;
  const res = yield* k.ops.iomapDioComplete(k, dio);
  kiComplete(k, iocb, res, 146);
}

/** ->ki_complete() of an async kiocb; a synchronous kiocb has none to call. */
export function kiComplete(k: Kernel, iocb: Kiocb, res: number, seedLine: number): void {
  const cb = iocb.kiComplete;
  if (cb === null) {
    throw new Violation('CMPL-01', k.rt.currentName(), seedLine, 'ki_complete called on a synchronous kiocb');
  }
  if (k.rt.tracing) k.rt.ev(seedLine, 'ki_complete', `res ${formatResult(res)}`);
  cb(iocb, res);
}

/** iomap_dio_set_error() (seed L149-157): cmpxchg, so the first error set wins. */
export function* iomapDioSetError(k: Kernel, dio: IomapDio, ret: number): KGen {
  k.rt.heap.use(dio, 156);
  if (dio.error === 0) {
    dio.error = ret;
    if (k.rt.tracing) k.rt.ev(156, 'iomap_dio_set_error', `error 0→${formatResult(ret)}`);
  }
  // cmpxchg's old value is discarded (seed L156): the caller goes on whatever dio->error was.
  k.rt.forget(dio, 'errorValue');
  yield* barrier();
}

/** Seed L176-178 (6.12.117 L179-181): clear the waiter, then wake the submitting task. */
export function* wakeSubmitter(k: Kernel, dio: IomapDio): KGen {
  const rt = k.rt;
  modelAssert(dio.unionMember === 'submit', 'waiter read after INIT_WORK');
  const waiter = dio.submitWaiter;
  dio.submitWaiter = null;
  if (rt.tracing) rt.ev(177, 'WRITE_ONCE', 'dio->submit.waiter = NULL');
  yield* barrier();
  modelAssert(waiter !== null, 'synchronous dio without a waiter');
  rt.wakeUpProcess(waiter);
  if (rt.tracing) rt.ev(178, 'blk_wake_io_task', waiter.name);
}

/**
 * Seed L222-224 (6.12.117 L227-228): INIT_WORK over the union (the submit members are gone from here
 * on) and queue_work on the superblock's s_dio_done_wq; queueing on one never created is WQ-01.
 */
export function queueCompleteWork(k: Kernel, dio: IomapDio): void {
  const rt = k.rt;
  initWork(dio.aioWork, k.completeWork);
  dio.unionMember = 'aio';
  dio.submitIter = null;
  dio.submitWaiter = null;
  const wq = fileInode(dio.iocb.kiFilp).iSb.sDioDoneWq;
  if (wq === null) {
    throw new Violation(
      'WQ-01',
      rt.currentName(),
      223,
      'queue_work on s_dio_done_wq, which was never created',
    );
  }
  if (rt.tracing) rt.ev(223, 'queue_work', wq.name);
  wq.queueWork(dio.aioWork);
}

/**
 * iomap_dio_bio_end_io() (seed L159-232). After the decrement at L167 only the holder of the last
 * reference may touch the dio; the others go straight to release_bio, which uses only locals.
 */
export function* iomapDioBioEndIo(k: Kernel, bio: Bio): KGen {
  const rt = k.rt;
  rt.heap.use(bio, 161);
  const dio = bio.biPrivate;
  modelAssert(dio !== null, 'bio without a dio');
  rt.heap.use(dio, 162);
  const shouldDirty = (dio.flags & IOMAP_DIO_DIRTY) !== 0;
  const iocb = dio.iocb;

  // L165-166
  if (bio.biStatus) {
    rt.cover(166);
    yield* k.ops.iomapDioSetError(k, dio, blkStatusToErrno(bio.biStatus));
  }

  releaseBio: {
    // L167-168
    if (!(yield* atomicDecAndTest(rt, dio, 167))) {
      rt.cover(168);
      break releaseBio;
    }

    handOff: {
      // L174-180: a synchronous dio is completed by its task; only wake it.
      rt.heap.use(dio, 174);
      if (dio.waitForCompletion) {
        rt.cover(175);
        yield* wakeSubmitter(k, dio);
        // The woken task completes the dio; release_bio touches only the bio and the pages, whose
        // release after the task's return nothing observes: no point after the wake (the map's
        // L175 pair has its yield between the WRITE_ONCE and the wake).
        break releaseBio;
      }

      // L185-189: completion that is allowed to run here runs here.
      if (dio.flags & IOMAP_DIO_INLINE_COMP) {
        rt.cover(186);
        iocb.private = null;
        yield* barrier();
        yield* k.ops.iomapDioCompleteWork(k, dio.aioWork);
        break handOff;
      }

      // L195-214: the issuer runs dio_complete later from task context; the res passed is ignored.
      if (dio.flags & IOMAP_DIO_CALLER_COMP) {
        rt.cover(197);
        iocb.private = dio;
        iocb.dioComplete = k.deferredComplete;
        kiComplete(k, iocb, 0, 212);
        break handOff;
      }

      // L222-224: completion that may need more I/O goes to the workqueue.
      rt.cover(222);
      queueCompleteWork(k, dio);
    }
    // The dio is handed on: ki_complete's caller, the issuer or the worker may run on another CPU, complete and free the dio and deliver the result before this context
    // reaches release_bio (L226), which therefore touches only the bio and locals
    // (spec/atomicity.md, release-after-handoff).
    yield* barrier();
  }

  // L225-231 release_bio
  if (shouldDirty) {
    rt.cover(227);
    bioCheckPagesDirty(rt, bio, 227);
  } else {
    rt.cover(229);
    bioReleasePages(rt, bio, false, 229);
    bioPut(rt, bio, 230);
  }
}
