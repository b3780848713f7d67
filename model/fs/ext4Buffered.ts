/**
 * The page-cache side of the model ext4: the model XFS's (model/fs/xfsBuffered.ts: buffered reads,
 * writeback, mmap, fallocate), with ext4's own buffered write (fs/ext4/file.c
 * ext4_buffered_write_iter; generic_perform_write with ext4_da_write_begin/ext4_da_write_end,
 * fs/ext4/inode.c L2926-3098) and truncate (ext4_setattr's ATTR_SIZE path, inode.c L5451-5690).
 * Line numbers are 6.12.117's; these are the same in all six pinned releases except the
 * inode_dio_wait of ext4_buffered_write_iter (file.c L296-300), which 6.12.107 lacks (its setting
 * runs without it: model/kernel/ops.ts RELEASE_WORLD). ext4's writeback (ext4_writepages) is a later stage of issue 15.
 */
import { EFAULT } from '../kernel/flags.ts';
import { markDirty } from '../mm/pageCache.ts';
import { PAGE_SIZE, SECTOR_SHIFT, TAG_ZERO } from '../mm/tags.ts';
import type { UserBuffer } from '../mm/userBuffer.ts';
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { ModelExt4 } from './ext4.ts';
import type { Ext4File } from './ext4File.ts';
import { EXT_DELALLOC, EXT_HOLE, EXT_WRITTEN } from './extentMap.ts';
import { inodeDioWait, mightSleep } from './vfs.ts';
import { XfsBuffered } from './xfsBuffered.ts';

export class Ext4Buffered extends XfsBuffered {
  constructor(
    private readonly ext4Rt: Runtime,
    private readonly ext4: ModelExt4,
    private readonly ext4File: Ext4File,
  ) {
    super(ext4Rt, ext4, ext4File);
  }

  /**
   * fallocate's new size on the model ext4, which has no ext4_fallocate of its own (spec/ext4.md):
   * the size as the model set it before xfs_falloc_setsize was modelled, which the oracle's ext4
   * fallocate cases agree with (properties/oracle/conformance.test.ts), not XFS's setattr path.
   */
  // biome-ignore lint/correctness/useYield: the size is set without blocking.
  protected override *fallocateSetSize(size: number): KGen<number> {
    this.ext4.requireInode().iSize = size;
    this.ext4.logDiskSize(size);
    return 0;
  }

  /**
   * ext4_buffered_write_iter() (fs/ext4/file.c L285-313) under i_rwsem exclusive, after waiting for
   * direct I/O in flight (L296-300, 6.12.111 on), without its generic_write_sync (its callers sync).
   * IOCB_NOWAIT's -EOPNOTSUPP (L291-292) is the direct write's fallback's to check.
   */
  override *bufferedWrite(pos: number, len: number, buf: UserBuffer): KGen<number> {
    const rt = this.ext4Rt;
    yield* this.ext4File.iolock.lock(rt, true);
    // L296-300 (6.12.111 on; 6.12.107 has no wait: RELEASE_WORLD).
    if (!this.ext4.quirks.ext4BufferedWriteNoDioWait) yield* inodeDioWait(rt, this.ext4.requireInode());
    // L302-304 ext4_write_checks(): nothing to write returns 0 (file_modified: no timestamps here).
    const ret = len > 0 ? yield* this.genericPerformWrite(pos, len, buf) : 0;
    this.ext4File.iolock.unlock(true);
    return ret;
  }

  /**
   * generic_perform_write() (mm/filemap.c L4040-4110) with ext4's delalloc write_begin and
   * write_end: copy into page-cache pages up to the first page of the user buffer that faults
   * (-EFAULT when not one byte could be faulted in, L4063-4066), reserve delayed blocks over holes
   * (ext4_da_write_begin -> ext4_da_get_block_prep), then ext4_da_do_write_end (inode.c L3009-3078):
   * i_size grows; i_disksize only when the new EOF lies in a written block; a write that starts past
   * the old EOF zeroes the gap from the old EOF to it in the page cache (ext4_zero_partial_blocks).
   */
  private *genericPerformWrite(pos: number, len: number, buf: UserBuffer): KGen<number> {
    const fs = this.ext4;
    const inode = fs.requireInode();
    const bs = fs.blockSize;
    const faultAt = Number.isFinite(buf.unmappedFrom)
      ? (Math.floor(buf.addr / PAGE_SIZE) + buf.unmappedFrom) * PAGE_SIZE - buf.addr
      : Number.POSITIVE_INFINITY;
    const copied = Math.min(len, Math.max(0, faultAt));
    if (copied === 0) return -EFAULT;
    for (let off = pos; off < pos + copied; off += 512) {
      const page = inode.iMapping.getPage(Math.floor(off / PAGE_SIZE));
      page.tags[(off % PAGE_SIZE) >> SECTOR_SHIFT] = buf.tags[(off - pos) >> SECTOR_SHIFT] ?? TAG_ZERO;
      markDirty(page, 1 << Math.floor((off % PAGE_SIZE) / bs));
      // ext4_da_get_block_prep: a hole gets a delayed block (its reservation).
      const block = Math.floor(off / bs);
      if (fs.map.state[block] === EXT_HOLE) fs.map.state[block] = EXT_DELALLOC;
    }
    // ext4_da_do_write_end (inode.c L3034-3066).
    const oldSize = inode.iSize;
    const newISize = pos + copied;
    let disksizeChanged = false;
    if (newISize > oldSize) {
      inode.iSize = newISize;
      // ext4_da_should_update_i_disksize() (L2990-3007): the block holding the new EOF is written.
      if (fs.map.state[Math.floor((newISize - 1) / bs)] === EXT_WRITTEN && newISize > fs.iDisksize) {
        disksizeChanged = true;
      }
    }
    let zeroLen = 0;
    // L3061-3064: the gap between the old EOF and the write (pagecache_isize_extended zeroes the same
    // range, and only on a block smaller than a page).
    if (pos > oldSize) zeroLen = pos - oldSize;
    if (disksizeChanged || zeroLen) {
      const handle = fs.journal.journalStart();
      // L3072-3073: the gap only, [old_size, pos), never the bytes this write just copied.
      if (zeroLen) this.ext4ZeroPartialBlocks(oldSize, zeroLen);
      fs.ext4MarkInodeDirty(handle, disksizeChanged ? newISize : fs.iDisksize);
    }
    yield;
    return copied;
  }

  /**
   * ext4_zero_partial_blocks() (inode.c L3827-3861): zero the partial blocks at either end of
   * [lstart, lstart + length) in the page cache; whole blocks between are left alone.
   */
  private ext4ZeroPartialBlocks(lstart: number, length: number): void {
    const bs = this.ext4.blockSize;
    const byteEnd = lstart + length - 1;
    const partialStart = lstart % bs;
    const partialEnd = byteEnd % bs;
    const start = Math.floor(lstart / bs);
    const end = Math.floor(byteEnd / bs);
    // L3842-3848: a partial range within one block.
    if (start === end && (partialStart || partialEnd !== bs - 1)) {
      this.ext4BlockZeroPageRange(lstart, length);
      return;
    }
    // L3849-3855, L3856-3860: the partial start, then the partial end.
    if (partialStart) this.ext4BlockZeroPageRange(lstart, bs);
    if (partialEnd !== bs - 1) this.ext4BlockZeroPageRange(byteEnd - partialEnd, partialEnd + 1);
  }

  /**
   * ext4_block_zero_page_range() (inode.c L3781-3801, the range cut at the end of its block) and
   * __ext4_block_zero_page_range() (L3679-3772): a hole is left alone (L3718-3728); a mapped block's
   * range is zeroed in its page, which is marked dirty for writeback (L3751-3762).
   */
  private ext4BlockZeroPageRange(from: number, length: number): void {
    const fs = this.ext4;
    const bs = fs.blockSize;
    const max = bs - (from % bs);
    const len = length > max || length < 0 ? max : length;
    if ((fs.map.state[Math.floor(from / bs)] ?? EXT_HOLE) === EXT_HOLE) return;
    const page = fs.requireInode().iMapping.getPage(Math.floor(from / PAGE_SIZE));
    for (let off = from; off < from + len; off += 512)
      page.tags[(off % PAGE_SIZE) >> SECTOR_SHIFT] = TAG_ZERO;
    markDirty(page, 1 << Math.floor((from % PAGE_SIZE) / bs));
  }

  /**
   * ext4_setattr() for a size change, under i_rwsem exclusive (do_truncate): a shrink puts the inode
   * on the orphan list and waits for direct I/O; a grow zeroes the old EOF block's tail in the page
   * cache and leaves it to writeback (L5598-5604), unlike XFS, which writes it back before it returns;
   * i_disksize and i_size take the new size in one handle (L5619-5634); the page cache past it goes;
   * and ext4_truncate (L5655-5659, also when the size did not change) zeroes the new EOF block's
   * tail and frees every block past it, preallocated ones included.
   */
  override *truncate(size: number): KGen<number> {
    const rt = this.ext4Rt;
    const fs = this.ext4;
    const inode = fs.requireInode();
    const bs = fs.blockSize;
    yield* this.ext4File.iolock.lock(rt, true);
    mightSleep(rt, 'ext4_setattr', 0);
    const oldsize = inode.iSize;
    const shrink = size < oldsize;
    // L5553-5565: blocks are going away: wait for direct I/O in flight.
    if (shrink) yield* inodeDioWait(rt, inode);
    let orphan = false;
    if (size !== inode.iSize) {
      const handle = fs.journal.journalStart();
      // L5589-5592.
      if (shrink) {
        fs.ext4OrphanAdd(handle);
        orphan = true;
      }
      // L5598-5604: tail-zero the EOF folio on truncate up (ext4_block_truncate_page).
      if (!shrink && oldsize % bs) yield* this.zeroEofGap(oldsize);
      // L5619-5634.
      fs.ext4SetDisksize(handle, size);
      inode.iSize = size;
    }
    // L5650 truncate_pagecache(): writeback in flight to the dropped pages is waited for.
    yield* rt.waitUntil(
      () => !inode.iMapping.rangeUnderWriteback(size, Number.MAX_SAFE_INTEGER),
      'truncate: folio_wait_writeback',
    );
    inode.iMapping.truncateFrom(Math.ceil(size / bs) * bs);
    this.zeroCachedPastEof(inode.iSize);
    // L5655-5659 ext4_truncate(): the new EOF block's tail, then the blocks past it.
    if (size <= oldsize) {
      if (size % bs) yield* this.zeroEofGap(size);
      fs.ext4Truncate();
    }
    // L5671-5676: an orphan ext4_truncate did not get to remove leaves the in-memory list.
    if (orphan) fs.ext4OrphanDel(null);
    yield;
    this.ext4File.iolock.unlock(true);
    return 0;
  }
}
