/**
 * The page-cache hooks the seed calls, mirroring mm/filemap.c of Linux 6.12:
 * kiocb_write_and_wait (L2723-2736 there), kiocb_invalidate_pages via filemap_invalidate_pages
 * (L2739-2771) and kiocb_invalidate_post_direct_write (L3967-3976).
 */
import { EAGAIN, IOCB_NOWAIT } from '../kernel/flags.ts';
import { type Kiocb, mightSleep } from '../fs/vfs.ts';
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { returnNow } from '../runtime/yieldPoint.ts';

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

export function* kiocbInvalidatePages(rt: Runtime, iocb: Kiocb, count: number): KGen<number> {
  const mapping = iocb.kiFilp.fInode.iMapping;
  const pos = iocb.kiPos;
  const end = pos + count - 1;
  if (iocb.kiFlags & IOCB_NOWAIT) {
    // Any cached page could make the invalidation block.
    if (mapping.rangeHasPage(pos, end)) return -EAGAIN;
  } else {
    mightSleep(rt, 'filemap_write_and_wait_range', 0);
    const ret = yield* mapping.writeAndWaitRange(rt, pos, end);
    if (ret) return ret;
  }
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
