/**
 * Submission: __iomap_dio_rw (seed L520-739) and iomap_dio_rw (L742-754).
 *
 * __iomap_dio_rw returns the dio to complete, an ERR_PTR (here a negative number) or NULL. After
 * the submission reference drops (L716) there are three cases (L700-714): (a) it was the last
 * reference, and the submitter completes; (b) it was not, the kiocb is async, and the submitter
 * must not touch the dio again (-EIOCBQUEUED); (c) it was not, the kiocb is sync, and the
 * submitter sleeps until the last bio's end_io clears submit.waiter and wakes it.
 * kmalloc (L564) is not failed: small GFP_KERNEL allocations do not fail in practice.
 */
import { type IomapDioOps, IomapIter, type IomapOps, iomapIter } from '../fs/iomap.ts';
import { fileInode, inodeDioBegin, iocbIsDsync, iSizeRead, isSyncKiocb, type Kiocb } from '../fs/vfs.ts';
import { Workqueue } from '../fs/workqueue.ts';
import { kiocbInvalidatePages, kiocbWriteAndWait } from '../mm/filemap.ts';
import { type IovIter, iovIterCount, iovIterRevert, iovIterRw, READ, userBackedIter } from '../mm/iovIter.ts';
import { atomicDecAndTest, barrier } from '../runtime/atomics.ts';
import { type KGen, TASK_RUNNING, TASK_UNINTERRUPTIBLE } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { SuperBlock } from '../fs/vfs.ts';
import {
  EAGAIN,
  EFAULT,
  EIOCBQUEUED,
  ENOTBLK,
  formatDioFlags,
  formatResult,
  IOCB_DIO_CALLER_COMP,
  IOCB_HIPRI,
  IOCB_NOWAIT,
  IOCB_SYNC,
  IOMAP_DIO_CALLER_COMP,
  IOMAP_DIO_DIRTY,
  IOMAP_DIO_FORCE_WAIT,
  IOMAP_DIO_INLINE_COMP,
  IOMAP_DIO_NEED_SYNC,
  IOMAP_DIO_OVERWRITE_ONLY,
  IOMAP_DIO_PARTIAL,
  IOMAP_DIO_WRITE,
  IOMAP_DIO_WRITE_THROUGH,
  IOMAP_DIRECT,
  IOMAP_NOWAIT,
  IOMAP_OVERWRITE_ONLY,
  IOMAP_WRITE,
} from './flags.ts';
import { IomapDio } from './iomapDio.ts';
import type { Kernel } from './kernel.ts';

/** sb_init_dio_done_wq() (fs/super.c): create s_dio_done_wq on first need. */
function sbInitDioDoneWq(rt: Runtime, sb: SuperBlock): number {
  if (sb.sDioDoneWq === null) sb.sDioDoneWq = new Workqueue(rt, 'dio_done_wq');
  return 0;
}

/** What __iomap_dio_rw returns: the dio, ERR_PTR(-errno) as a negative number, or NULL. */
export type DioOrErr = IomapDio | number | null;

/** __iomap_dio_rw() (seed L540-739). */
export function* __iomapDioRw(
  k: Kernel,
  iocb: Kiocb,
  iter: IovIter,
  ops: IomapOps,
  dops: IomapDioOps | null,
  dioFlags: number,
  doneBefore: number,
): KGen<DioOrErr> {
  const rt = k.rt;
  const inode = fileInode(iocb.kiFilp);
  const iomi = new IomapIter(inode, iocb.kiPos, iovIterCount(iter), IOMAP_DIRECT);
  let waitForCompletion = isSyncKiocb(iocb) || (dioFlags & IOMAP_DIO_FORCE_WAIT) !== 0;
  let ret = 0;

  if (rt.tracing) rt.ev(559, 'iomap_dio_rw_begin', `pos ${iomi.pos} count ${iomi.len} dio_flags ${dioFlags}`);

  // L561-562
  if (!iomi.len) {
    rt.cover(562);
    return null;
  }

  // L564-578. kmalloc(GFP_KERNEL) may sleep in reclaim, and the caller holds no lock that keeps
  // i_size still: the filesystem's ->write_iter read i_size before this point, the i_size_read at
  // L571 comes after, and another dio's ->end_io may grow i_size in between (spec/atomicity.md).
  yield;
  const dio = rt.heap.alloc(new IomapDio(iocb));
  dio.ref = 1;
  dio.size = 0;
  dio.iSize = iSizeRead(inode);
  // Model bookkeeping, for the checks that bound a read by the end of file it saw.
  iocb.acct.sampledSize = dio.iSize;
  dio.dops = dops;
  dio.error = 0;
  dio.flags = 0;
  dio.doneBefore = doneBefore;
  dio.submitIter = iter;
  dio.submitWaiter = rt.currentTask();

  // L580-581
  if (iocb.kiFlags & IOCB_NOWAIT) iomi.flags |= IOMAP_NOWAIT;

  outFreeDio: {
    if (iovIterRw(iter) === READ) {
      // L585: reads can always complete inline.
      dio.flags = (dio.flags | IOMAP_DIO_INLINE_COMP) >>> 0;

      // L587-588: the test is its own entry (iomapDioRwReadPastEof, the seam of B10).
      if (k.ops.iomapDioRwReadPastEof(k, dio, iomi.pos)) {
        rt.cover(588);
        break outFreeDio;
      }

      // L590-591
      if (userBackedIter(iter)) {
        rt.cover(591);
        dio.flags = (dio.flags | IOMAP_DIO_DIRTY) >>> 0;
      }

      // L593-595
      ret = yield* kiocbWriteAndWait(rt, iocb, iomi.len);
      if (ret) {
        rt.cover(595);
        break outFreeDio;
      }
    } else {
      // L597-598
      iomi.flags |= IOMAP_WRITE;
      dio.flags = (dio.flags | IOMAP_DIO_WRITE) >>> 0;

      // L606-607: the issuer can run completion itself; cleared later if completion needs I/O.
      if (iocb.kiFlags & IOCB_DIO_CALLER_COMP) {
        rt.cover(607);
        dio.flags = (dio.flags | IOMAP_DIO_CALLER_COMP) >>> 0;
      }

      // L609-615
      if (dioFlags & IOMAP_DIO_OVERWRITE_ONLY) {
        ret = -EAGAIN;
        if (iomi.pos >= dio.iSize || iomi.pos + iomi.len > dio.iSize) {
          rt.cover(613);
          break outFreeDio;
        }
        iomi.flags |= IOMAP_OVERWRITE_ONLY;
      }

      // L618-632: DSYNC needs sync completion; data-only sync first tries write-through (FUA).
      if (iocbIsDsync(iocb)) {
        rt.cover(619);
        dio.flags = (dio.flags | IOMAP_DIO_NEED_SYNC) >>> 0;
        if (!(iocb.kiFlags & IOCB_SYNC)) {
          rt.cover(631);
          dio.flags = (dio.flags | IOMAP_DIO_WRITE_THROUGH) >>> 0;
        }
      }

      // L639-647: if the page cache cannot be invalidated, the caller falls back to buffered I/O.
      ret = yield* kiocbInvalidatePages(rt, iocb, iomi.len);
      if (ret) {
        if (ret !== -EAGAIN) {
          rt.cover(642);
          if (rt.tracing) rt.ev(642, 'iomap_dio_invalidate_fail', `pos ${iomi.pos} len ${iomi.len}`);
          ret = -ENOTBLK;
        }
        rt.cover(646);
        break outFreeDio;
      }

      // L649-653: the test is its own entry (iomapDioRwNeedsDoneWq); writes only in the seed,
      // 6.12 creates the workqueue for reads too (below).
      if (
        !k.ops.iomapDioRwDoneWqForReads(k) &&
        k.ops.iomapDioRwNeedsDoneWq(k, dio, waitForCompletion) &&
        !inode.iSb.sDioDoneWq
      ) {
        rt.cover(650);
        ret = sbInitDioDoneWq(rt, inode.iSb);
        if (ret < 0) break outFreeDio;
      }
    }

    // 6.12.117 L681-686 (kernel-version setting; no seed counterpart): reads may queue an error completion.
    if (
      k.ops.iomapDioRwDoneWqForReads(k) &&
      k.ops.iomapDioRwNeedsDoneWq(k, dio, waitForCompletion) &&
      !inode.iSb.sDioDoneWq
    ) {
      rt.cover(650); // the seed's branch at L649-653, moved
      ret = sbInitDioDoneWq(rt, inode.iSb);
      if (ret < 0) break outFreeDio;
    }

    // L656-666. The page-cache flush or invalidation (L593, L639) may sleep, and another dio's
    // ->end_io may grow i_size after the i_size_read at L571; that commutes with inode_dio_begin, so
    // the interleaving point at the top of iomap_iter stands for one here (spec/atomicity.md,
    // commute-isize).
    inodeDioBegin(inode);
    // biome-ignore lint/suspicious/noAssignInExpressions: mirrors the seed's loop condition.
    while ((ret = yield* iomapIter(rt, iomi, ops)) > 0) {
      iomi.processed = yield* k.ops.iomapDioIter(k, iomi, dio);
      if (rt.tracing)
        rt.ev(660, 'iomap_dio_iter', `pos ${iomi.pos} processed ${formatResult(iomi.processed)}`);
      // L665: only a single-mapping dio may be polled.
      iocb.kiFlags &= ~IOCB_HIPRI;
    }

    // L675-676: report reads only up to i_size; some callers rely on the iter matching.
    rt.heap.use(dio, 675);
    if (iovIterRw(iter) === READ && iomi.pos >= dio.iSize) {
      rt.cover(676);
      iovIterRevert(iter, iomi.pos - dio.iSize);
    }

    // L678-682 (the error test at L678 is its own entry, iomapDioRwPartialStops)
    if (k.ops.iomapDioRwPartialStops(k, iocb, ret) && dio.size && dioFlags & IOMAP_DIO_PARTIAL) {
      rt.cover(679);
      // Model bookkeeping for the checkers (RES-07, ARG-04): this request's count is cut by a fault.
      iocb.acct.partialFault = true;
      if (k.ops.iomapDioRwPartialWaits(k, iocb)) waitForCompletion = true;
      ret = 0;
    }

    // L685-688: the magic fallback to buffered I/O completes synchronously (the test at L685 is
    // its own entry, iomapDioRwFallsBack).
    if (ret === -ENOTBLK && k.ops.iomapDioRwFallsBack(k, dio)) {
      rt.cover(686);
      waitForCompletion = true;
      ret = 0;
    }
    if (ret < 0) {
      rt.cover(690);
      yield* k.ops.iomapDioSetError(k, dio, ret);
    }

    // L697-698: every write went through to media, so no flush at completion.
    rt.heap.use(dio, 697);
    if (dio.flags & IOMAP_DIO_WRITE_THROUGH) {
      rt.cover(698);
      dio.flags = (dio.flags & ~IOMAP_DIO_NEED_SYNC) >>> 0;
    }

    // L715-730: drop the submission reference; cases (a), (b), (c) above.
    dio.waitForCompletion = waitForCompletion;
    if (rt.tracing)
      rt.ev(715, 'iomap_dio_rw_submitted', `dio_flags ${formatDioFlags(dio.flags)} size ${dio.size}`);
    if (!(yield* atomicDecAndTest(rt, dio, 716))) {
      // L717: the local copy, never the dio, which another context may already have freed (B02).
      if (!k.ops.iomapDioRwWaits(k, dio, waitForCompletion)) {
        rt.cover(718);
        if (rt.tracing) rt.ev(718, 'iomap_dio_rw_queued', `pos ${iomi.pos} len ${iomi.len}`);
        return -EIOCBQUEUED;
      }
      rt.cover(722);
      for (;;) {
        rt.setCurrentState(TASK_UNINTERRUPTIBLE);
        yield* barrier();
        rt.heap.use(dio, 724);
        const waiter = dio.submitWaiter;
        yield* barrier();
        if (!waiter) break;
        if (rt.tracing) rt.ev(727, 'blk_io_schedule', 'sleeping');
        yield* rt.schedule();
      }
      rt.currentTask().state = TASK_RUNNING;
    }
    rt.cover(732);
    return dio;
  }

  // L734-738 out_free_dio
  rt.heap.free(dio, 735);
  if (ret) return ret;
  return null;
}

/** iomap_dio_rw() (seed L742-754): submit, then complete here unless queued or nothing to do. */
export function* iomapDioRw(
  k: Kernel,
  iocb: Kiocb,
  iter: IovIter,
  ops: IomapOps,
  dops: IomapDioOps | null,
  dioFlags: number,
  doneBefore: number,
): KGen<number> {
  const dio = yield* k.ops.__iomapDioRw(k, iocb, iter, ops, dops, dioFlags, doneBefore);
  if (!(dio instanceof IomapDio)) {
    k.rt.cover(752);
    return dio ?? 0;
  }
  return yield* k.ops.iomapDioComplete(k, dio);
}

/**
 * The test at seed L717 as its own entry (the seam of B02, 4ea899ead278): after dropping a
 * reference that was not the last, the submitter decides from its local copy whether to wait;
 * reading dio->wait_for_completion instead touches a dio the completion may have freed.
 */
export function iomapDioRwWaits(_k: Kernel, _dio: IomapDio, waitForCompletion: boolean): boolean {
  return waitForCompletion;
}

/**
 * The error test at seed L678 as its own entry: which error of the iteration, once the dio moved
 * data, ends an IOMAP_DIO_PARTIAL request with the bytes it moved. In the seed a fault only.
 */
export function iomapDioRwPartialStops(_k: Kernel, _iocb: Kiocb, ret: number): boolean {
  return ret === -EFAULT;
}

/**
 * Candidate fix for iomapDioRwPartialStops (spec/fs.md, "A NOWAIT write refused part way"): a
 * NOWAIT request whose later mapping would block (->iomap_begin's -EAGAIN after a short iteration:
 * btrfs finds the ordered extent its own ->iomap_end just finished, 6.12.117 fs/btrfs/direct-io.c
 * L85-89, ordered-data.c L389-398) ends with the bytes it moved, as after a fault, instead of an
 * -EAGAIN that says nothing was written.
 */
export function iomapDioRwPartialStopsOnEagain(_k: Kernel, iocb: Kiocb, ret: number): boolean {
  return ret === -EFAULT || (ret === -EAGAIN && (iocb.kiFlags & IOCB_NOWAIT) !== 0);
}

/**
 * The test at seed L679 as its own entry: after a fault part way through an IOMAP_DIO_PARTIAL
 * request, the submitter waits for the bios it did submit, so that its caller (btrfs, gfs2) gets the
 * short count back and can fault the pages in and resume; a NOWAIT request may not wait.
 */
export function iomapDioRwPartialWaits(_k: Kernel, iocb: Kiocb): boolean {
  return !(iocb.kiFlags & IOCB_NOWAIT);
}

/** Seed L649-653 sit in the write branch: s_dio_done_wq is created for async writes only. */
export function iomapDioRwDoneWqForReads(_k: Kernel): boolean {
  return false;
}

/**
 * The test at seed L649 as its own entry: does this dio need s_dio_done_wq before its first bio is
 * submitted? Any dio that is not waited for may complete from the workqueue (L222-224).
 */
export function iomapDioRwNeedsDoneWq(_k: Kernel, _dio: IomapDio, waitForCompletion: boolean): boolean {
  return !waitForCompletion;
}

/**
 * The test at seed L685 as its own entry: a -ENOTBLK from the iteration (->iomap_begin asking for
 * buffered I/O) always becomes a short result, completed synchronously, whatever was submitted.
 */
export function iomapDioRwFallsBack(_k: Kernel, _dio: IomapDio): boolean {
  return true;
}

/**
 * The test at seed L587 as its own entry (the seam of B10): a read that starts at or past the
 * i_size sampled at L571 does nothing and returns 0. Without it the read would be issued, and the
 * short-read clamp of L96-98 would turn its count into i_size - pos, a negative number.
 */
export function iomapDioRwReadPastEof(_k: Kernel, dio: IomapDio, pos: number): boolean {
  return pos >= dio.iSize;
}
