/**
 * The block-layer calls the seed makes on a bio (block/bio.c, block/blk-core.c, Linux 6.12):
 * bio_alloc / bio_alloc_bioset, bio_put, bio_iov_iter_get_pages (with bio_iov_vecs_to_alloc),
 * bio_set_pages_dirty, bio_check_pages_dirty, bio_release_pages, bio_set_polled, __bio_add_page of
 * ZERO_PAGE, submit_bio, blk_wake_io_task.
 *
 * Faults: bio_iov_iter_get_pages can stop at a page it cannot pin (FaultProfile.pageFaults): the bio
 * then holds the pages before it (a short bio, the call still succeeds), or, if that is no page at
 * all, the call fails with -EFAULT, as block/bio.c L1357-1374 and L1430-1449 (6.12) do.
 */
import { EFAULT, IOCB_NOWAIT } from '../kernel/flags.ts';
import type { Kiocb } from '../fs/vfs.ts';
import type { IovIter } from '../mm/iovIter.ts';
import { iovIterAdvance, iovIterIsBvec, iovIterNpages } from '../mm/iovIter.ts';
import { PAGE_SIZE } from '../mm/tags.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { Violation } from '../runtime/violation.ts';
import { Bio, REQ_NOWAIT, REQ_POLLED } from './bio.ts';
import type { BlockDevice } from './blockDevice.ts';

export function bioAlloc(rt: Runtime, bdev: BlockDevice, nrVecs: number, opf: number): Bio {
  return rt.heap.alloc(new Bio(bdev, nrVecs, opf));
}

/** bio_put(): the model's bios hold one reference, so the put frees it; a second put is LIFE-02. */
export function bioPut(rt: Runtime, bio: Bio, seedLine: number): void {
  rt.heap.free(bio, seedLine);
}

/** bio_iov_vecs_to_alloc(): 0 for a bvec iter (one bio takes it all), else pages left, capped. */
export function bioIovVecsToAlloc(iter: IovIter, maxSegs: number): number {
  if (iovIterIsBvec(iter)) return 0;
  return iovIterNpages(iter, maxSegs);
}

/**
 * bio_iov_iter_get_pages(): add up to bio->bi_max_vecs pages of the iter to the bio, pinning user
 * pages, trimmed down to the logical block size; -EFAULT only when no page could be added.
 */
export function bioIovIterGetPages(rt: Runtime, bio: Bio, iter: IovIter): number {
  bio.buf = iter.buf;
  bio.bufOffset = iter.iovOffset;
  if (iovIterIsBvec(iter)) {
    bio.biSize = iter.count;
    iovIterAdvance(iter, bio.biSize);
    return 0;
  }
  const start = iter.address;
  const pages = iter.buf.mappedPages(
    rt,
    start,
    iovIterNpages(iter, bio.nrVecs),
    rt.faults.pageFaults,
    'get_pages_fault',
  );
  const reach = (Math.floor(start / PAGE_SIZE) + pages) * PAGE_SIZE - start;
  let size = Math.min(iter.count, Math.max(0, reach));
  size -= size & (bio.bdev.logicalBlockSize - 1);
  if (size === 0) return -EFAULT;
  bio.pagePinned = true;
  bio.pinnedFirstPage = iter.buf.pageIndex(start);
  bio.pinnedPageCount = Math.floor((start + size - 1) / PAGE_SIZE) - Math.floor(start / PAGE_SIZE) + 1;
  iter.buf.pin(bio.pinnedFirstPage, bio.pinnedPageCount);
  bio.biSize = size;
  iovIterAdvance(iter, size);
  return 0;
}

/** bio_set_pages_dirty(): mark the pages a read will fill dirty before the I/O. */
export function bioSetPagesDirty(bio: Bio): void {
  if (bio.buf === null) return;
  for (let p = bio.pinnedFirstPage; p < bio.pinnedFirstPage + bio.pinnedPageCount; p++) bio.buf.dirty[p] = 1;
}

/** bio_release_pages(): unpin the pages of a BIO_PAGE_PINNED bio, once. */
export function bioReleasePages(rt: Runtime, bio: Bio, markDirty: boolean, seedLine: number): void {
  rt.heap.use(bio, seedLine);
  if (!bio.pagePinned || bio.buf === null) return;
  if (bio.pagesReleased) {
    throw new Violation('LIFE-04', rt.currentName(), seedLine, `pages of bio${bio.serial} released twice`);
  }
  bio.pagesReleased = true;
  if (markDirty) bioSetPagesDirty(bio);
  bio.buf.unpin(bio.pinnedFirstPage, bio.pinnedPageCount, rt.currentName(), seedLine);
}

/**
 * bio_check_pages_dirty(): re-dirty pages that were cleaned while the read ran (deferred to a
 * workqueue in the kernel), release them and put the bio. The end state is the same either way:
 * pages dirty, unpinned, bio freed.
 */
export function bioCheckPagesDirty(rt: Runtime, bio: Bio, seedLine: number): void {
  bioReleasePages(rt, bio, true, seedLine);
  bioPut(rt, bio, seedLine);
}

/**
 * bio_set_polled() (include/linux/bio.h of the seed's era and of 6.12.107 L664-677; gone from
 * 6.12.111): mark the bio for polled completion and, for a NOWAIT kiocb, REQ_NOWAIT, because a polled
 * submitter cannot sleep for a request: such a bio may end with BLK_STS_AGAIN instead.
 */
export function bioSetPolled(bio: Bio, kiocb: Kiocb): void {
  bio.biOpf |= REQ_POLLED;
  if (kiocb.kiFlags & IOCB_NOWAIT) bio.biOpf |= REQ_NOWAIT;
}
