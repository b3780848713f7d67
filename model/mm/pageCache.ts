/**
 * The page cache of one file (struct address_space): cached pages with their data tags and dirty
 * bits, filled through the filesystem's ->read_folio and written back through its ->writepages.
 *
 * Used by the direct I/O hooks (model/mm/filemap.ts), buffered reads and writes, mmap reads and
 * truncate (model/fs/xfsBuffered.ts). Invalidation can fail as a choice
 * (FaultProfile.invalidateFailures), as invalidate_inode_pages2_range does with -EBUSY on a page it
 * cannot drop. Scope: 4 KiB pages, no large folios, no readahead beyond the pages asked for.
 */
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { returnNow } from '../runtime/yieldPoint.ts';
import { PAGE_SIZE, SECTOR_SHIFT, TAG_ZERO } from './tags.ts';

export const EBUSY = 16;
export const UNITS_PER_PAGE = PAGE_SIZE >> SECTOR_SHIFT;

export interface Page {
  /** Any block of the page dirty (PG_dirty). */
  dirty: boolean;
  /** Which filesystem blocks of the page are dirty (iomap_folio_state's per-block dirty bits). */
  dirtyBlocks: number;
  /** PG_writeback: a write of the page is in flight; waiters for the range wait for it. */
  writeback: boolean;
  /** One tag per 512 bytes of the page. */
  readonly tags: Int32Array;
}

/** A page taken for writeback, with the blocks that were dirty in it. */
export interface DirtyPage {
  readonly index: number;
  readonly blocks: number;
}

/** Mark blocks of a page dirty (a bitmask of blocks within the page). */
export function markDirty(page: Page, blocks: number): void {
  page.dirtyBlocks |= blocks;
  page.dirty = true;
}

/** Take a page's dirty blocks for writeback: the page is clean afterwards. */
export function takeDirty(index: number, page: Page): DirtyPage {
  const d = { index, blocks: page.dirtyBlocks };
  page.dirtyBlocks = 0;
  page.dirty = false;
  return d;
}

/** The filesystem's address_space_operations, as far as the model needs them. */
export interface AddressSpaceOps {
  /** ->read_folio: the page's contents from the file as it stands (unwritten and holes read as zeros). */
  readFolio(index: number): Int32Array;
  /** ->writepages for these pages (already marked clean): write back their dirty blocks, wait; 0 or -errno. */
  writepages(pages: readonly DirtyPage[]): KGen<number>;
}

export class AddressSpace {
  /** Cached pages by index, in the order they entered the cache. */
  readonly pages = new Map<number, Page>();
  aops: AddressSpaceOps | null = null;
  /** A planted defect (WorldQuirks): post-direct-write invalidation does nothing. */
  skipPostWriteInvalidation = false;
  /** A planted defect (WorldQuirks): a failed pre-write invalidation does not stop the write. */
  ignoreInvalidationFailure = false;
  /** Post-write invalidation failures (dio_warn_stale_pagecache): a writeback error for fsync. */
  staleWarnings = 0;
  /** mapping->wb_err as a counter of writeback errors (errseq_t), and how many fsync has reported. */
  wbErrors = 0;
  wbErrorsReported = 0;
  /** Model bookkeeping: the step of each writeback I/O error, for the durability checkers. */
  readonly wbErrorSteps: number[] = [];

  /** file_check_and_advance_wb_err(): each writeback error is reported to one fsync. */
  checkAndAdvanceWbErr(): number {
    if (this.wbErrors === this.wbErrorsReported) return 0;
    this.wbErrorsReported = this.wbErrors;
    return -5;
  }

  get nrpages(): number {
    return this.pages.size;
  }

  /** [index, dirty] of every cached page, for tests and traces. */
  pageStates(): Array<[number, boolean]> {
    return [...this.pages].map(([i, p]) => [i, p.dirty]);
  }

  /** Add a page with the file's current contents (or zeros without a filesystem). */
  getPage(index: number): Page {
    let page = this.pages.get(index);
    if (page === undefined) {
      page = {
        dirty: false,
        dirtyBlocks: 0,
        writeback: false,
        tags: this.aops?.readFolio(index) ?? new Int32Array(UNITS_PER_PAGE).fill(TAG_ZERO),
      };
      this.pages.set(index, page);
    }
    return page;
  }

  rangeHasPage(pos: number, end: number): boolean {
    for (const index of this.pages.keys()) if (pageInRange(index, pos, end)) return true;
    return false;
  }

  rangeNeedsWriteback(pos: number, end: number): boolean {
    for (const [index, page] of this.pages) if (page.dirty && pageInRange(index, pos, end)) return true;
    return false;
  }

  /**
   * filemap_write_and_wait_range(): write back every dirty page in the range, then wait for every
   * page of the range under writeback, including writeback someone else started.
   */
  writeAndWaitRange(rt: Runtime, pos: number, end: number): KGen<number> {
    // An empty cache has nothing to write or wait for (most calls of a campaign run): no generator,
    // no closure, no array, the same result and no yield, as the waits below would not wait.
    if (this.pages.size === 0) return returnNow(0);
    return this.writeAndWaitPages(rt, pos, end);
  }

  /** The rest of writeAndWaitRange, for a cache with pages (one function in two for the fast path). */
  private *writeAndWaitPages(rt: Runtime, pos: number, end: number): KGen<number> {
    // Data-integrity writeback (WB_SYNC_ALL) waits for a folio already under writeback first.
    // (The wait's condition is made only when it does not hold already: waitUntil would not wait.)
    if (this.rangeUnderWriteback(pos, end))
      yield* rt.waitUntil(() => !this.rangeUnderWriteback(pos, end), 'folio_wait_writeback');
    let dirty: DirtyPage[] | null = null;
    for (const [index, page] of this.pages) {
      if (!page.dirty || !pageInRange(index, pos, end)) continue;
      if (dirty === null) dirty = [];
      dirty.push(takeDirty(index, page));
    }
    let ret = 0;
    if (dirty !== null && this.aops !== null) ret = yield* this.aops.writepages(dirty);
    if (this.rangeUnderWriteback(pos, end))
      yield* rt.waitUntil(() => !this.rangeUnderWriteback(pos, end), 'filemap_fdatawait_range');
    return ret;
  }

  rangeUnderWriteback(pos: number, end: number): boolean {
    for (const [index, page] of this.pages) if (page.writeback && pageInRange(index, pos, end)) return true;
    return false;
  }

  /**
   * invalidate_inode_pages2_range(): drops the pages, or fails with -EBUSY (a choice). A page
   * dirtied or under writeback again since the caller wrote the range back is not dropped here
   * (the kernel would launder it first, a write the model does not make): that is a failure too.
   */
  invalidateRange(rt: Runtime, pos: number, end: number): number {
    if (!this.rangeHasPage(pos, end)) return 0;
    for (const [index, page] of this.pages) {
      if ((page.dirty || page.writeback) && pageInRange(index, pos, end)) return -EBUSY;
    }
    if (rt.faults.invalidateFailures && rt.choose(2, 'invalidate_fails') === 1) return -EBUSY;
    // Deleting the entry just visited is safe in a Map's iteration: no copy of the keys is needed.
    for (const index of this.pages.keys()) if (pageInRange(index, pos, end)) this.pages.delete(index);
    return 0;
  }

  /** truncate_inode_pages_range() from `pos` on: drop every page past it. */
  truncateFrom(pos: number): void {
    const first = Math.ceil(pos / PAGE_SIZE);
    for (const index of this.pages.keys()) if (index >= first) this.pages.delete(index);
  }
}

function pageInRange(index: number, pos: number, end: number): boolean {
  return index >= Math.floor(pos / PAGE_SIZE) && index <= Math.floor(end / PAGE_SIZE);
}
