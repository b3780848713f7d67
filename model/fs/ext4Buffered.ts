/**
 * The page-cache side of the model ext4: the model XFS's (model/fs/xfsBuffered.ts: buffered reads
 * and writes, writeback, mmap, fallocate), with ext4's own truncate, ext4_setattr's ATTR_SIZE path
 * (fs/ext4/inode.c L5451-5690 in 6.12.117, the same in all six pinned releases). ext4's delayed
 * allocation and writeback are a later stage of issue 15.
 */
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { ModelExt4 } from './ext4.ts';
import type { Ext4File } from './ext4File.ts';
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
