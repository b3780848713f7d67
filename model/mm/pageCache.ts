/**
 * The page cache of one file (struct address_space), as far as the direct I/O path sees it:
 * which pages are cached and which are dirty, and the hooks kiocb_write_and_wait,
 * kiocb_invalidate_pages and kiocb_invalidate_post_direct_write (mm/filemap.c, Linux 6.12).
 *
 * Scope: pages carry no data here; writeback of a dirty page only cleans it. Invalidation can fail
 * as a choice (FaultProfile.invalidateFailures), as invalidate_inode_pages2_range does with -EBUSY
 * on a page it cannot drop.
 */
import type { Runtime } from '../runtime/runtime.ts';
import { PAGE_SIZE } from './tags.ts';

export const EBUSY = 16;

export class AddressSpace {
  /** Cached pages by index; the value is true when the page is dirty. */
  readonly pages = new Map<number, boolean>();
  /** Post-write invalidation failures (dio_warn_stale_pagecache): a writeback error for fsync. */
  staleWarnings = 0;

  get nrpages(): number {
    return this.pages.size;
  }

  rangeHasPage(pos: number, end: number): boolean {
    for (const index of this.pages.keys()) if (pageInRange(index, pos, end)) return true;
    return false;
  }

  rangeNeedsWriteback(pos: number, end: number): boolean {
    for (const [index, dirty] of this.pages) if (dirty && pageInRange(index, pos, end)) return true;
    return false;
  }

  /** filemap_write_and_wait_range(): every dirty page in the range is written back. */
  writeAndWaitRange(pos: number, end: number): number {
    for (const [index, dirty] of this.pages)
      if (dirty && pageInRange(index, pos, end)) this.pages.set(index, false);
    return 0;
  }

  /** invalidate_inode_pages2_range(): drops the pages, or fails with -EBUSY (a choice). */
  invalidateRange(rt: Runtime, pos: number, end: number): number {
    if (!this.rangeHasPage(pos, end)) return 0;
    if (rt.faults.invalidateFailures && rt.choose(2, 'invalidate_fails') === 1) return -EBUSY;
    for (const index of [...this.pages.keys()]) if (pageInRange(index, pos, end)) this.pages.delete(index);
    return 0;
  }
}

function pageInRange(index: number, pos: number, end: number): boolean {
  return index >= Math.floor(pos / PAGE_SIZE) && index <= Math.floor(end / PAGE_SIZE);
}
