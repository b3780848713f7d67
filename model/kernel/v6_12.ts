/**
 * Linux 6.12's fs/iomap/direct-io.c where it differs from the seed in behaviour, as replacements
 * of entries of the seed's ops table (the kernel-version setting, model/kernel/versions.ts). Line
 * numbers prefixed "6.12" are of fs/iomap/direct-io.c in Debian's linux-source-6.12 (6.12.117);
 * spec/kernel-versions.md lists every difference, including those that need no code here.
 *
 * 6.12 carries two fixes of bugs present in the seed: 222f2c7c6d14 (error completions always run
 * in task context: iomap_dio_done below, and s_dio_done_wq created for reads too) and
 * 4ad357e39b2e (the submission loop keeps what it submitted: iomapDioBioIterUnwindFixed).
 */
import { type Bio, blkStatusToErrno } from '../block/bio.ts';
import { bioCheckPagesDirty, bioPut, bioReleasePages } from '../block/bioOps.ts';
import { atomicDecAndTest, barrier } from '../runtime/atomics.ts';
import type { KGen } from '../runtime/context.ts';
import { modelAssert } from '../runtime/violation.ts';
import { IOMAP_DIO_CALLER_COMP, IOMAP_DIO_DIRTY, IOMAP_DIO_INLINE_COMP } from './flags.ts';
import { kiComplete, queueCompleteWork, wakeSubmitter } from './iomapDioComplete.ts';
import type { IomapDio } from './iomapDio.ts';
import type { Kernel } from './kernel.ts';

/**
 * iomap_dio_done() (6.12 L166-231; the seed's L174-224 moved into a function of their own): called
 * when the last reference drops from an I/O completion. The one change of behaviour is 6.12
 * L185-191: a dio with an error never completes inline, because error handling may take sleeping
 * locks (222f2c7c6d14); it goes to the workqueue (or the io_uring issuer) instead.
 */
export function* iomapDioDone(k: Kernel, dio: IomapDio): KGen {
  const rt = k.rt;
  rt.heap.use(dio, 171);
  const iocb = dio.iocb;

  // 6.12 L173-182 (seed L174-180): a synchronous dio is completed by its task; only wake it.
  if (dio.waitForCompletion) {
    rt.cover(175);
    yield* wakeSubmitter(k, dio);
    return;
  }

  // 6.12 L185-191 (no seed counterpart): error completions always run in task context.
  if (dio.error) dio.flags = (dio.flags & ~IOMAP_DIO_INLINE_COMP) >>> 0;

  if (dio.flags & IOMAP_DIO_INLINE_COMP) {
    // 6.12 L193-195 (seed L185-189)
    rt.cover(186);
    iocb.private = null;
    yield* barrier();
    yield* k.ops.iomapDioCompleteWork(k, dio.aioWork);
  } else if (dio.flags & IOMAP_DIO_CALLER_COMP) {
    // 6.12 L195-218 (seed L195-214): the issuer runs dio_complete later; the res passed is ignored.
    rt.cover(197);
    iocb.private = dio;
    iocb.dioComplete = k.deferredComplete;
    kiComplete(k, iocb, 0, 212);
  } else {
    // 6.12 L219-229 (seed L222-224): completion that may need more I/O goes to the workqueue.
    rt.cover(222);
    queueCompleteWork(k, dio);
  }
}

/** iomap_dio_bio_end_io() (6.12 L233-251; seed L159-232 with the routing moved to iomap_dio_done). */
export function* iomapDioBioEndIo(k: Kernel, bio: Bio): KGen {
  const rt = k.rt;
  rt.heap.use(bio, 161);
  const dio = bio.biPrivate;
  modelAssert(dio !== null, 'bio without a dio');
  rt.heap.use(dio, 162);
  const shouldDirty = (dio.flags & IOMAP_DIO_DIRTY) !== 0;

  // 6.12 L238-239 (seed L165-166)
  if (bio.biStatus) {
    rt.cover(166);
    yield* k.ops.iomapDioSetError(k, dio, blkStatusToErrno(bio.biStatus));
  }

  // 6.12 L241-242 (seed L167-168)
  if (yield* atomicDecAndTest(rt, dio, 167)) yield* iomapDioDone(k, dio);
  else rt.cover(168);

  // 6.12 L244-250 (seed L225-231)
  if (shouldDirty) {
    rt.cover(227);
    bioCheckPagesDirty(rt, bio, 227);
  } else {
    rt.cover(229);
    bioReleasePages(rt, bio, false, 229);
    bioPut(rt, bio, 230);
  }
}

/** 6.12 L681-686: s_dio_done_wq is created for reads too, since a failed read may now be queued. */
export function iomapDioRwDoneWqForReads(_k: Kernel): boolean {
  return true;
}
