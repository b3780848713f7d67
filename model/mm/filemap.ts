/**
 * The page-cache hooks the seed calls, mirroring mm/filemap.c of Linux 6.12:
 * kiocb_write_and_wait (L2723-2736 there), kiocb_invalidate_pages via filemap_invalidate_pages
 * (L2739-2771) and kiocb_invalidate_post_direct_write (L3967-3976).
 */
import { EAGAIN, IOCB_NOWAIT } from '../kernel/flags.ts';
import { type Kiocb, mightSleep } from '../fs/vfs.ts';
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { returnNow, returnsZeroNow } from '../runtime/yieldPoint.ts';

/**
 * A plain function giving its caller's `yield*` the KGen to run (yieldPoint.ts): the NOWAIT
 * answers yield nothing, and otherwise its only yields are those of the write-back, so the steps
 * are a generator function's, without one.
 */
export function kiocbWriteAndWait(rt: Runtime, iocb: Kiocb, count: number): KGen<number> {
  const mapping = iocb.kiFilp.fInode.iMapping;
  const pos = iocb.kiPos;
  const end = pos + count - 1;
  if (iocb.kiFlags & IOCB_NOWAIT) {
    // filemap_range_needs_writeback -> filemap_range_has_writeback (6.12.117 mm/filemap.c
    // L629-651): a dirty, locked or under-writeback folio in the range would make us wait.
    if (mapping.rangeNeedsWriteback(pos, end) || mapping.rangeUnderWriteback(pos, end))
      return returnNow(-EAGAIN);
    return returnNow(0);
  }
  mightSleep(rt, 'filemap_write_and_wait_range', 0);
  return mapping.writeAndWaitRange(rt, pos, end);
}

/**
 * kiocb_invalidate_pages(). A plain function, as kiocbWriteAndWait: when the write-back answers 0
 * at once (nothing in the range to write or wait for: most calls of a campaign run) the pages are
 * invalidated in the same step, and only a write-back with work goes on in a generator
 * (invalidateAfterWriteback); the same steps as a generator function throughout.
 */
export function kiocbInvalidatePages(rt: Runtime, iocb: Kiocb, count: number): KGen<number> {
  const mapping = iocb.kiFilp.fInode.iMapping;
  const pos = iocb.kiPos;
  const end = pos + count - 1;
  if (iocb.kiFlags & IOCB_NOWAIT) {
    // Any cached page could make the invalidation block.
    if (mapping.rangeHasPage(pos, end)) return returnNow(-EAGAIN);
  } else {
    mightSleep(rt, 'filemap_write_and_wait_range', 0);
    const writeback = mapping.writeAndWaitRange(rt, pos, end);
    if (!returnsZeroNow(writeback)) return invalidateAfterWriteback(rt, iocb, pos, end, writeback);
  }
  return returnNow(invalidatePagesRange(rt, iocb, pos, end));
}

/** kiocb_invalidate_pages() from its write-back on, when that has work to do. */
function* invalidateAfterWriteback(
  rt: Runtime,
  iocb: Kiocb,
  pos: number,
  end: number,
  writeback: KGen<number>,
): KGen<number> {
  const ret = yield* writeback;
  if (ret) return ret;
  return invalidatePagesRange(rt, iocb, pos, end);
}

/** The end of kiocb_invalidate_pages(): invalidate_inode_pages2_range of the written-back range. */
function invalidatePagesRange(rt: Runtime, iocb: Kiocb, pos: number, end: number): number {
  const mapping = iocb.kiFilp.fInode.iMapping;
  const ret = mapping.invalidateRange(rt, pos, end);
  // A planted defect (B13, before 60263d5889e6): a failed invalidation is only warned about, and
  // the write goes on as a direct write (IocbAccounting.preInvalidationFailed). Without it the
  // caller falls back to buffered I/O (seed L640-646), which is not that.
  if (ret && mapping.ignoreInvalidationFailure) {
    iocb.acct.preInvalidationFailed = true;
    return 0;
  }
  return ret;
}

export function* kiocbInvalidatePostDirectWrite(
  rt: Runtime,
  iocb: Kiocb,
  count: number,
  seedLine: number,
): KGen {
  const mapping = iocb.kiFilp.fInode.iMapping;
  mightSleep(rt, 'kiocb_invalidate_post_direct_write', seedLine);
  if (mapping.skipPostWriteInvalidation || !mapping.nrpages) return;
  const pos = iocb.kiPos;
  const end = pos + count - 1;
  // invalidate_inode_pages2_range() launders a dirty folio (->launder_folio writes it back) and
  // waits for one under writeback before dropping it.
  if (mapping.rangeNeedsWriteback(pos, end) || mapping.rangeUnderWriteback(pos, end)) {
    yield* mapping.writeAndWaitRange(rt, pos, end);
  }
  if (mapping.invalidateRange(rt, pos, end)) {
    // dio_warn_stale_pagecache(): the write still succeeded; fsync will report the error.
    mapping.staleWarnings++;
    mapping.wbErrors++;
  }
}
