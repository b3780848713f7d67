/**
 * Planted bugs of the object lifetime (LIFE) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { blkStatusToErrno } from '../block/bio.ts';
import { bioCheckPagesDirty, bioPut, bioReleasePages } from '../block/bioOps.ts';
import { fileInode, inodeDioBegin, inodeDioEnd, isSyncKiocb } from '../fs/vfs.ts';
import {
  IOCB_HIPRI,
  IOMAP_DIO_CALLER_COMP,
  IOMAP_DIO_DIRTY,
  IOMAP_DIO_INLINE_COMP,
} from '../kernel/flags.ts';
import { IomapDio } from '../kernel/iomapDio.ts';
import { iomapDioDone } from '../kernel/v6_12.ts';
import { atomicDecAndTest, atomicInc, barrier } from '../runtime/atomics.ts';
import { NO_FAULTS } from '../runtime/faults.ts';
import { modelAssert } from '../runtime/violation.ts';
import { KiB } from '../world/extents.ts';

import { FILE16, faults, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const LIFETIME_BUGS: readonly PlantedBug[] = [
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
    // An aio read: its completion runs inline in the bio's context (seed L185-189), in fewer steps
    // than a write's in the workqueue, so the window between L716 and L717 is met more often.
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB, async: true }]]),
    faults: faults({ interleave: true }),
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
    name: 'release-bio-reads-handed-dio',
    commit: 'synthetic',
    title: 'iomap_dio_bio_end_io reads dio->flags at release_bio after handing the dio to the workqueue',
    lines: 'seed L162, L222-226 (6.12.117 L227-245)',
    what: 'The holder of the last reference queues the completion work and then tests IOMAP_DIO_DIRTY in the dio instead of the should_dirty it sampled at L162; the worker may have completed and freed the dio by then (issue 17: only a model with an interleaving point after queue_work reaches it).',
    invariant: 'LIFE-01',
    ops: () => ({
      *iomapDioBioEndIo(k, bio) {
        const rt = k.rt;
        rt.heap.use(bio, 161);
        const dio = bio.biPrivate;
        modelAssert(dio !== null, 'bio without a dio');
        rt.heap.use(dio, 162);
        let shouldDirty = (dio.flags & IOMAP_DIO_DIRTY) !== 0;
        if (bio.biStatus) yield* k.ops.iomapDioSetError(k, dio, blkStatusToErrno(bio.biStatus));
        if (yield* atomicDecAndTest(rt, dio, 167)) {
          // 6.12.117 iomap_dio_done's routes, as the correct model has them (v6_12.ts), with the
          // queue_work route noted for release_bio.
          const queued = !dio.waitForCompletion && !routedInline(dio);
          if (yield* iomapDioDone(k, dio)) yield* barrier();
          if (queued) {
            // The bug: after queue_work the dio is the worker's, not this context's to read.
            rt.heap.use(dio, 226);
            shouldDirty = (dio.flags & IOMAP_DIO_DIRTY) !== 0;
          }
        }
        if (shouldDirty) {
          bioCheckPagesDirty(rt, bio, 227);
        } else {
          bioReleasePages(rt, bio, false, 229);
          bioPut(rt, bio, 230);
        }
      },
    }),
    // An aio overwrite: a write's completion is queued (it may invalidate the page cache).
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB, async: true }]]),
    faults: faults({ interleave: true }),
  },
  {
    name: 'bio-read-after-submit',
    commit: 'synthetic',
    title: 'iomap_dio_submit_bio reads the bio after submit_bio returned',
    lines: 'seed L77-80',
    what: 'The submitter reads bio->bi_iter.bi_size once submit_bio has returned; a bio that failed inside submit_bio has ended there and been put by its end_io (issue 17: only a model that runs that end_io in the submitter, before submit_bio returns, reaches it).',
    invariant: 'LIFE-01',
    ops: (base) => ({
      *iomapDioSubmitBio(k, iter, dio, bio, pos) {
        const bdev = iter.iomap.bdev;
        if (dio.dops?.submitIo || bdev === null) return yield* base.iomapDioSubmitBio(k, iter, dio, bio, pos);
        // Seed L67-80, as the correct model has them (model/kernel/iomapDioBio.ts).
        const rt = k.rt;
        rt.heap.use(dio, 67);
        const iocb = dio.iocb;
        yield* atomicInc(rt, dio, 69);
        if (iocb.kiFlags & IOCB_HIPRI && !isSyncKiocb(iocb)) {
          k.ops.iomapDioSubmitBioMarkPolled(k, bio, iocb);
          iocb.private = bio;
          yield* barrier();
        }
        rt.heap.use(dio, 77);
        yield* bdev.submitBioGen(bio);
        // The bug: the bio is the block layer's (or already put) once submit_bio has returned.
        rt.heap.use(bio, 80);
        yield;
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB, async: true }]]),
    faults: faults({ submitErrors: true }),
  },
];

/**
 * Would 6.12.117's iomap_dio_done (L185-229) complete this dio in the bio's own context (inline, or
 * through the caller's ki_complete) rather than queue it? An error never completes inline.
 */
function routedInline(dio: IomapDio): boolean {
  if (dio.error === 0 && dio.flags & IOMAP_DIO_INLINE_COMP) return true;
  return (dio.flags & IOMAP_DIO_CALLER_COMP) !== 0;
}
