/**
 * Linux 6.12's fs/iomap/direct-io.c where it differs from the seed in behaviour, as replacements
 * of entries of the seed's ops table (the kernel-version setting, KERNEL_VERSIONS in ops.ts).
 * Line numbers prefixed "6.12.117" (or "6.12.107", "6.12.118") are of fs/iomap/direct-io.c in
 * Debian's linux-source-6.12 of that release; 6.12.111, .113, .115 and .117 carry the same file.
 * spec/kernel-versions.md accounts for every hunk of each release's diff from the seed.
 *
 * Every release carries two fixes of bugs present in the seed: 222f2c7c6d14 (error completions
 * always run in task context: iomap_dio_done below, and s_dio_done_wq created for reads too) and
 * 4ad357e39b2e (the submission loop keeps what it submitted: iomapDioBioIterUnwindFixed). Within
 * the series, three steps change behaviour the model covers:
 * - 6.12.107 to 6.12.117: iomap_dio_zero returns an int (64 KiB zero page), checked after the head
 *   zeroing and assigned to `ret` by the tail zeroing, which replaces a failed page-get's -EFAULT
 *   by 0 (iomapDioBioIterZeroTailPad612);
 * - 6.12.111: iomap_dio_submit_bio sets REQ_POLLED alone, no longer REQ_NOWAIT through
 *   bio_set_polled, so a polled NOWAIT bio no longer ends with BLK_STS_AGAIN;
 * - 6.12.118: iomap_dio_zero returns nothing again; neither zeroing touches `ret`.
 */
import { type Bio, blkStatusToErrno, REQ_POLLED } from '../block/bio.ts';
import type { IomapIter } from '../fs/iomap.ts';
import { iBlocksize, type Kiocb } from '../fs/vfs.ts';
import { bioCheckPagesDirty, bioPut, bioReleasePages } from '../block/bioOps.ts';
import { atomicDecAndTest, barrier } from '../runtime/atomics.ts';
import type { KGen } from '../runtime/context.ts';
import { modelAssert } from '../runtime/violation.ts';
import { EINVAL, IOMAP_DIO_CALLER_COMP, IOMAP_DIO_DIRTY, IOMAP_DIO_INLINE_COMP } from './flags.ts';
import { iomapDioZeroBio } from './iomapDioBio.ts';
import { kiComplete, queueCompleteWork, wakeSubmitter } from './iomapDioComplete.ts';
import type { IomapDio } from './iomapDio.ts';
import type { Kernel } from './kernel.ts';

/**
 * iomap_dio_done() (6.12.117 L166-231; the seed's L174-224 moved into a function of their own): called
 * when the last reference drops from an I/O completion. The one change of behaviour is 6.12
 * L185-191: a dio with an error never completes inline, because error handling may take sleeping
 * locks (222f2c7c6d14); it goes to the workqueue (or the io_uring issuer) instead. The C function
 * returns nothing; the model returns whether the dio was handed to another context (not to the
 * woken waiter), where the caller offers its interleaving point before release_bio.
 */
export function* iomapDioDone(k: Kernel, dio: IomapDio): KGen<boolean> {
  const rt = k.rt;
  rt.heap.use(dio, 171);
  const iocb = dio.iocb;

  // 6.12.117 L173-182 (seed L174-180): a synchronous dio is completed by its task; only wake it.
  if (dio.waitForCompletion) {
    rt.cover(175);
    yield* wakeSubmitter(k, dio);
    return false;
  }

  // 6.12.117 L185-191 (no seed counterpart): error completions always run in task context.
  if (dio.error) dio.flags = (dio.flags & ~IOMAP_DIO_INLINE_COMP) >>> 0;

  if (dio.flags & IOMAP_DIO_INLINE_COMP) {
    // 6.12.117 L193-195 (seed L185-189)
    rt.cover(186);
    iocb.private = null;
    yield* barrier();
    yield* k.ops.iomapDioCompleteWork(k, dio.aioWork);
  } else if (dio.flags & IOMAP_DIO_CALLER_COMP) {
    // 6.12.117 L195-218 (seed L195-214): the issuer runs dio_complete later; the res passed is ignored.
    rt.cover(197);
    iocb.private = dio;
    iocb.dioComplete = k.deferredComplete;
    kiComplete(k, iocb, 0, 212);
  } else {
    // 6.12.117 L219-229 (seed L222-224): completion that may need more I/O goes to the workqueue.
    rt.cover(222);
    queueCompleteWork(k, dio);
  }
  return true;
}

/** iomap_dio_bio_end_io() (6.12.117 L233-251; seed L159-232 with the routing moved to iomap_dio_done). */
export function* iomapDioBioEndIo(k: Kernel, bio: Bio): KGen {
  const rt = k.rt;
  rt.heap.use(bio, 161);
  const dio = bio.biPrivate;
  modelAssert(dio !== null, 'bio without a dio');
  rt.heap.use(dio, 162);
  const shouldDirty = (dio.flags & IOMAP_DIO_DIRTY) !== 0;

  // 6.12.117 L238-239 (seed L165-166)
  if (bio.biStatus) {
    rt.cover(166);
    yield* k.ops.iomapDioSetError(k, dio, blkStatusToErrno(bio.biStatus));
  }

  // 6.12.117 L241-242 (seed L167-168)
  if (yield* atomicDecAndTest(rt, dio, 167)) {
    // The dio is handed on: its new holder may free it and deliver the result before release_bio
    // (seed iomapDioBioEndIo, spec/atomicity.md release-after-handoff); not after waking the waiter.
    if (yield* iomapDioDone(k, dio)) yield* barrier();
  } else rt.cover(168);

  // 6.12.117 L244-250 (seed L225-231)
  if (shouldDirty) {
    rt.cover(227);
    bioCheckPagesDirty(rt, bio, 227);
  } else {
    rt.cover(229);
    bioReleasePages(rt, bio, false, 229);
    bioPut(rt, bio, 230);
  }
}

/** 6.12.117 L681-686: s_dio_done_wq is created for reads too, since a failed read may now be queued. */
export function iomapDioRwDoneWqForReads(_k: Kernel): boolean {
  return true;
}

/** 6.12.117 L30-35: the zero page iomap_dio_zero writes from is 64 KiB (blocks up to 64 KiB). */
export const IOMAP_ZERO_PAGE_SIZE = 64 * 1024;

/**
 * iomap_dio_zero() of 6.12.107-117 (6.12.117 L253-277): returns 0 or an errno. A zero length
 * submits nothing (the head zeroing now calls it for every write into a zeroing extent); a length
 * over the zero page warns and fails with -EINVAL (unreachable at the model's block sizes).
 */
export function* iomapDioZero612(
  k: Kernel,
  iter: IomapIter,
  dio: IomapDio,
  pos: number,
  len: number,
): KGen<number> {
  k.rt.heap.use(dio, 238);
  // 6.12.117 L259-260
  if (!len) return 0;
  // 6.12.117 L261-265: WARN_ON_ONCE.
  if (len > IOMAP_ZERO_PAGE_SIZE) {
    if (k.rt.tracing) k.rt.ev(0, 'WARN_ON_ONCE', `iomap_dio_zero len ${len}`);
    return -EINVAL;
  }
  // 6.12.117 L267-275 (seed L242-250)
  yield* iomapDioZeroBio(k, iter, dio, pos, len);
  // 6.12.117 L276
  return 0;
}

/**
 * iomap_dio_zero() of 6.12.118 (L253-276): void again; the zero-length and oversized cases return
 * early, and no caller sees a result.
 */
export function* iomapDioZero6118(k: Kernel, iter: IomapIter, dio: IomapDio, pos: number, len: number): KGen {
  k.rt.heap.use(dio, 238);
  // 6.12.118 L259-260
  if (!len) return;
  // 6.12.118 L261-265: WARN_ON_ONCE, and return.
  if (len > IOMAP_ZERO_PAGE_SIZE) {
    if (k.rt.tracing) k.rt.ev(0, 'WARN_ON_ONCE', `iomap_dio_zero len ${len}`);
    return;
  }
  // 6.12.118 L267-274 (seed L242-250)
  yield* iomapDioZeroBio(k, iter, dio, pos, len);
}

/**
 * 6.12.107-117 L382-389 (seed L356-361): the head zeroing is called whatever the pad (a zero pad
 * submits nothing) and its errno ends the iteration (`goto out`).
 */
export function* iomapDioBioIterZeroHeadPad612(
  k: Kernel,
  iter: IomapIter,
  dio: IomapDio,
  pos: number,
  pad: number,
): KGen<number> {
  // The seed's L359 test as its own entry (iomapDioBioIterZeroHead) is a seam, not a line of the
  // release: it answers true unless a candidate fix (head-zero-only-at-start) is applied on top.
  if (pad && !k.ops.iomapDioBioIterZeroHead(k, dio, pos)) return 0;
  if (pad) k.rt.cover(360);
  return (yield* k.ops.iomapDioZero(k, iter, dio, pos - pad, pad)) ?? 0;
}

/** 6.12.118 L381-385 (seed L356-361): the head zeroing is called whatever the pad; no result. */
export function* iomapDioBioIterZeroHeadPad6118(
  k: Kernel,
  iter: IomapIter,
  dio: IomapDio,
  pos: number,
  pad: number,
): KGen<number> {
  // The candidate fix's seam, as in iomapDioBioIterZeroHeadPad612.
  if (pad && !k.ops.iomapDioBioIterZeroHead(k, dio, pos)) return 0;
  if (pad) k.rt.cover(360);
  yield* k.ops.iomapDioZero(k, iter, dio, pos - pad, pad);
  return 0;
}

/**
 * 6.12.107-117 L460-467 (seed L428-435): the tail zeroing's result is assigned to `ret`. After a
 * page-get that failed (`goto zero_tail` with -EFAULT) inside a block, that makes the iteration
 * return 0 instead of -EFAULT when it copied nothing: iomap_iter then ends the request there and
 * the dio reports what earlier iterations submitted, as if the request had ended.
 */
export function* iomapDioBioIterZeroTailPad612(
  k: Kernel,
  iter: IomapIter,
  dio: IomapDio,
  pos: number,
  pad: number,
  ret: number,
): KGen<number> {
  if (pad) {
    k.rt.cover(434);
    return (yield* k.ops.iomapDioZero(k, iter, dio, pos, iBlocksize(iter.inode) - pad)) ?? 0;
  }
  return ret;
}

/** 6.12.111 L79-82 (6.12.107 L80 and seed L73 call bio_set_polled): REQ_POLLED alone, never REQ_NOWAIT. */
export function iomapDioSubmitBioMarkPolled6111(_k: Kernel, bio: Bio, _iocb: Kiocb): void {
  bio.biOpf |= REQ_POLLED;
}
