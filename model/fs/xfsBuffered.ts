/**
 * Buffered I/O, mmap reads, truncate and fallocate on the model filesystem, and its page-cache
 * operations (fs/xfs/xfs_aops.c, xfs_file.c, xfs_iops.c, xfs_bmap_util.c; mm/filemap.c; Linux 6.12):
 * - ->read_folio fills a page from the data fork as it stands: written blocks from the device
 *   (cache over media), everything else as zeros; the EOF block is read whole, past-EOF blocks are
 *   zeros (iomap_read_folio_iter).
 * - A buffered write copies into pages, marks them dirty and reserves delalloc blocks over holes.
 * - ->writepages allocates unwritten blocks for delalloc and hole blocks, writes each block with its
 *   own bio, and at I/O completion (in the xfs-conv workqueue) converts them and logs the size, as
 *   xfs_end_ioend does; the waiter returns after that.
 * - Background writeback (FaultProfile.writeback) may start on any dirty page at any device step.
 * - truncate waits for direct I/O (inode_dio_wait) under the exclusive IOLOCK, zeroes the tail of
 *   the new EOF block in the page cache (iomap_truncate_page), drops the pages and blocks past it and
 *   logs the new size; fallocate allocates unwritten blocks for holes in its range and logs the size.
 */
import { type Bio, REQ_OP_WRITE, REQ_SYNC } from '../block/bio.ts';
import { bioAlloc, bioPut } from '../block/bioOps.ts';
import { EFAULT, EIO } from '../kernel/flags.ts';
import {
  type AddressSpaceOps,
  type DirtyPage,
  markDirty,
  takeDirty,
  UNITS_PER_PAGE,
} from '../mm/pageCache.ts';
import { PAGE_SIZE, SECTOR_SHIFT, TAG_ZERO } from '../mm/tags.ts';
import { UserBuffer } from '../mm/userBuffer.ts';
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { EXT_DELALLOC, EXT_HOLE, EXT_UNWRITTEN, EXT_WRITTEN } from './extentMap.ts';
import { inodeDioWait, mightSleep } from './vfs.ts';
import { initWork, WorkStruct, Workqueue } from './workqueue.ts';
import type { ModelXfs } from './xfs.ts';
import type { XfsFile } from './xfsFile.ts';

/** One writeback of a set of blocks: done once every bio ended and the ioend work ran. */
interface Ioend {
  pending: number;
  error: number;
  done: boolean;
  readonly blocks: number[];
  readonly pages: number[];
}

export class XfsBuffered implements AddressSpaceOps {
  private readonly convWq: Workqueue;

  constructor(
    private readonly rt: Runtime,
    private readonly fs: ModelXfs,
    private readonly file: XfsFile,
  ) {
    this.convWq = new Workqueue(rt, 'xfs-conv');
  }

  private get bs(): number {
    return this.fs.blockSize;
  }

  /** Tags of one file block as a read sees it now. */
  private blockTags(block: number, out: Int32Array, at: number): void {
    const spb = this.fs.sectorsPerBlock;
    const map = this.fs.map;
    const written = map.state[block] === EXT_WRITTEN;
    const addr = map.addr[block] ?? -1;
    for (let s = 0; s < spb; s++) out[at + s] = written ? this.fs.disk.readTag(addr * spb + s) : TAG_ZERO;
  }

  readFolio(index: number): Int32Array {
    const tags = new Int32Array(UNITS_PER_PAGE).fill(TAG_ZERO);
    const size = this.fs.inodeSize();
    const spb = this.fs.sectorsPerBlock;
    const firstBlock = (index * PAGE_SIZE) / this.bs;
    const blocks = PAGE_SIZE / this.bs;
    for (let i = 0; i < blocks; i++) {
      const block = firstBlock + i;
      // Blocks wholly past EOF are zeroed; the EOF block is read whole (what mmap can see).
      if (block * this.bs >= size) continue;
      this.blockTags(block, tags, i * spb);
    }
    return tags;
  }

  /** ->writepages: allocate, write each block, convert at completion, wait. */
  *writepages(pages: readonly DirtyPage[]): KGen<number> {
    const io = this.startWriteback(pages);
    if (io === null) return 0;
    yield* this.rt.waitUntil(() => io.done, 'folio_wait_writeback');
    return io.error;
  }

  /** Submit the writeback of some pages; null if none of their blocks lies inside EOF. */
  startWriteback(pages: readonly DirtyPage[]): Ioend | null {
    const fs = this.fs;
    const mapping = fs.requireInode().iMapping;
    const blocks: number[] = [];
    const size = fs.inodeSize();
    const per = PAGE_SIZE / this.bs;
    for (const p of pages) {
      for (let i = 0; i < per; i++) {
        const block = p.index * per + i;
        // Only the dirty blocks inside EOF are written (iomap_writepage_map).
        if (p.blocks & (1 << i) && block * this.bs < size) blocks.push(block);
      }
    }
    if (blocks.length === 0) return null;
    // iomap_writepage_handle_eof() (6.12.117 fs/iomap/buffered-io.c L1961-1975): the folio that
    // straddles EOF is zeroed past it before it is written, every time, since mmap may have dirtied
    // it there; so what the EOF block held past EOF (spec/fs.md "Initial states") goes too.
    if (size % PAGE_SIZE && pages.some((p) => p.index === Math.floor(size / PAGE_SIZE)))
      this.zeroCachedPastEof(size);
    blocks.sort((a, b) => a - b);
    const indices = pages.map((p) => p.index);
    for (const block of blocks) {
      const st = fs.map.state[block];
      if (st === EXT_HOLE || st === EXT_DELALLOC) fs.allocateUnwritten(block, 1);
      // A shared block is never written in place: writeback goes to a COW block, remapped at ioend.
      if (fs.map.shared[block] && (fs.cow[block] ?? -1) < 0) fs.cow[block] = fs.allocateCow(1);
    }
    // iomap_writepages adds a block to the bio being built when it continues it in the file and
    // on disk and has the same kind (unwritten, shared or written: iomap_can_add_to_ioend), so a
    // run of such blocks is one bio, in file order.
    const runs: number[][] = [];
    for (const block of blocks) {
      const run = runs[runs.length - 1];
      const prev = run?.[run.length - 1];
      if (run !== undefined && prev === block - 1 && this.continuesOnDisk(prev, block)) run.push(block);
      else runs.push([block]);
    }
    const io: Ioend = { pending: runs.length, error: 0, done: false, blocks, pages: indices };
    for (const index of indices) mapping.getPage(index).writeback = true;
    for (const run of runs) this.submitRunWrite(io, run);
    return io;
  }

  /** Where block `b` is written back: its COW staging block, or its own. */
  private targetBlock(b: number): number {
    const cow = this.fs.cow[b] ?? -1;
    return cow >= 0 ? cow : (this.fs.map.addr[b] ?? 0);
  }

  private continuesOnDisk(prev: number, block: number): boolean {
    const fs = this.fs;
    return (
      this.targetBlock(block) === this.targetBlock(prev) + 1 && blockKind(fs, block) === blockKind(fs, prev)
    );
  }

  private submitRunWrite(io: Ioend, run: readonly number[]): void {
    const fs = this.fs;
    const spb = fs.sectorsPerBlock;
    const mapping = fs.requireInode().iMapping;
    const bio = bioAlloc(this.rt, fs.disk, 1, REQ_OP_WRITE | REQ_SYNC);
    const buf = new UserBuffer(0, this.bs * run.length, false);
    run.forEach((block, i) => {
      const pageTags = mapping.getPage(Math.floor((block * this.bs) / PAGE_SIZE)).tags;
      const at = ((block * this.bs) % PAGE_SIZE) >> SECTOR_SHIFT;
      for (let s = 0; s < spb; s++) buf.tags[i * spb + s] = pageTags[at + s] ?? TAG_ZERO;
    });
    bio.buf = buf;
    bio.biSize = this.bs * run.length;
    bio.biIterSector = this.targetBlock(run[0] ?? 0) * spb;
    bio.biEndIo = (b) => this.writebackEndIo(io, b);
    fs.disk.submitBio(bio);
  }

  /** The writeback bio's bi_end_io (iomap_writepage_end_bio): the last one queues the ioend. */
  // biome-ignore lint/correctness/useYield: bi_end_io runs to completion in interrupt context.
  private *writebackEndIo(io: Ioend, b: Bio): KGen {
    const rt = this.rt;
    if (b.biStatus && !io.error) {
      io.error = -EIO;
      // mapping_set_error(): recorded for the next fsync, whoever started the writeback.
      const mapping = this.fs.requireInode().iMapping;
      mapping.wbErrors++;
      mapping.wbErrorSteps.push(rt.step);
    }
    bioPut(rt, b, 0);
    if (--io.pending === 0) this.queueIoend(io);
  }

  /** xfs_end_io: convert the written blocks and log the size, in the xfs-conv workqueue. */
  private queueIoend(io: Ioend): void {
    const fs = this.fs;
    const work = new WorkStruct(io);
    initWork(work, () => xfsEndIo(fs, io));
    this.convWq.queueWork(work);
  }

  /** Disk.stepHooks: the flusher. */
  deviceStepHook(): void {
    this.backgroundWritebackHook();
  }

  /** The flusher: background writeback of one dirty page at a device step (a choice). */
  backgroundWritebackHook(): void {
    const rt = this.rt;
    if (!rt.faults.writeback) return;
    const inode = this.fs.inode;
    if (inode === null) return;
    const dirty: number[] = [];
    // WB_SYNC_NONE writeback skips a folio already under writeback.
    for (const [index, page] of inode.iMapping.pages) if (page.dirty && !page.writeback) dirty.push(index);
    if (dirty.length === 0 || rt.choose(2, 'writeback') === 0) return;
    const index = dirty[rt.choose(dirty.length, 'writeback_which')] ?? 0;
    const page = inode.iMapping.pages.get(index);
    if (page !== undefined) this.startWriteback([takeDirty(index, page)]);
  }

  /** filemap_read() under the shared IOLOCK (xfs_file_buffered_read): copy up to i_size. */
  *bufferedRead(pos: number, len: number, buf: UserBuffer): KGen<number> {
    yield* this.file.iolock.lock(this.rt, false);
    const size = this.fs.inodeSize();
    const end = Math.min(pos + len, size);
    let copied = 0;
    const mapping = this.fs.requireInode().iMapping;
    for (let off = pos; off < end; off += 512) {
      const page = mapping.getPage(Math.floor(off / PAGE_SIZE));
      buf.tags[(off - pos) >> SECTOR_SHIFT] = page.tags[(off % PAGE_SIZE) >> SECTOR_SHIFT] ?? TAG_ZERO;
      copied += 512;
      if (off % PAGE_SIZE === PAGE_SIZE - 512) yield;
    }
    this.file.iolock.unlock(false);
    return Math.max(0, Math.min(copied, end - pos));
  }

  /** iomap_file_buffered_write() under the exclusive IOLOCK: dirty pages, delalloc over holes. */
  *bufferedWrite(pos: number, len: number, buf: UserBuffer): KGen<number> {
    yield* this.file.iolock.lock(this.rt, true);
    const fs = this.fs;
    const inode = fs.requireInode();
    // xfs_file_write_checks(): past EOF, drain direct I/O whose completion may still move EOF, then
    // zero the gap from EOF to the write (xfs_file_write_zero_eof, 6.12.117 fs/xfs/xfs_file.c
    // L414-417): what the EOF block holds past EOF, and written blocks past it, are not file data.
    if (pos > inode.iSize) {
      yield* inodeDioWait(this.rt, inode);
      fs.freeWrittenPastEof(inode.iSize);
      const r = yield* this.zeroEofGap(inode.iSize, pos);
      if (r < 0) return this.unlockWith(r);
    } else if (pos + len > inode.iSize && fs.writtenPastEof(inode.iSize)) {
      // Candidate fix F1 for a write that grows the file from inside EOF too (spec/fs.md F5): free
      // the written blocks past the EOF block before the copy covers them, once direct I/O in
      // flight has settled i_size (xfs_free_eofblocks waits for it, 6.12.117
      // fs/xfs/xfs_bmap_util.c L581). 6.12 keeps them, so a size logged for another range before
      // this write's pages are written back exposes their old bytes after a crash.
      yield* inodeDioWait(this.rt, inode);
      fs.freeWrittenPastEof(inode.iSize);
    }
    // iomap_write_iter (6.12.117 fs/iomap/buffered-io.c L945-1051, fault_in_iov_iter_readable L985): the copy stops at the first page
    // of the user buffer that cannot be faulted in, and -EFAULT when not one byte could be
    // (as ext4's generic_perform_write, model/fs/ext4Buffered.ts).
    const faultAt = Number.isFinite(buf.unmappedFrom)
      ? (Math.floor(buf.addr / PAGE_SIZE) + buf.unmappedFrom) * PAGE_SIZE - buf.addr
      : Number.POSITIVE_INFINITY;
    const copied = Math.min(len, Math.max(0, faultAt));
    if (len > 0 && copied === 0) return this.unlockWith(-EFAULT);
    for (let off = pos; off < pos + copied; off += 512) {
      const page = inode.iMapping.getPage(Math.floor(off / PAGE_SIZE));
      page.tags[(off % PAGE_SIZE) >> SECTOR_SHIFT] = buf.tags[(off - pos) >> SECTOR_SHIFT] ?? TAG_ZERO;
      markDirty(page, 1 << Math.floor((off % PAGE_SIZE) / fs.blockSize));
      const block = Math.floor(off / fs.blockSize);
      if (fs.map.state[block] === EXT_HOLE) fs.map.state[block] = EXT_DELALLOC;
    }
    if (pos + copied > inode.iSize) inode.iSize = pos + copied;
    yield;
    this.file.iolock.unlock(true);
    return copied;
  }

  /** A read fault on the page holding the EOF block: the user sees the whole block. */
  *mmapReadEofBlock(buf: UserBuffer): KGen<number> {
    const size = this.fs.inodeSize();
    if (size === 0) return 0;
    const block = Math.floor((size - 1) / this.bs);
    const page = this.fs.requireInode().iMapping.getPage(Math.floor((block * this.bs) / PAGE_SIZE));
    const at = ((block * this.bs) % PAGE_SIZE) >> SECTOR_SHIFT;
    for (let s = 0; s < this.fs.sectorsPerBlock; s++) buf.tags[s] = page.tags[at + s] ?? TAG_ZERO;
    yield;
    return this.bs;
  }

  /** xfs_setattr_size() for truncate(2). */
  *truncate(size: number): KGen<number> {
    const rt = this.rt;
    yield* this.file.iolock.lock(rt, true);
    mightSleep(rt, 'xfs_setattr_size', 0);
    yield* inodeDioWait(rt, this.fs.requireInode());
    const ret = yield* this.setattrSize(size);
    if (ret) return this.unlockWith(ret);
    yield;
    this.file.iolock.unlock(true);
    return 0;
  }

  /**
   * xfs_setattr_size() past its inode_dio_wait, under the exclusive IOLOCK, for truncate(2) and for
   * fallocate's new size (xfs_falloc_setsize, 6.12.117 fs/xfs/xfs_file.c L902-915): 0 or -errno.
   */
  private *setattrSize(size: number): KGen<number> {
    const rt = this.rt;
    const fs = this.fs;
    const inode = fs.requireInode();
    const old = inode.iSize;
    // Candidate fix F1 (ModelXfs.freeWrittenPastEof): before the file grows over them.
    if (size > old) fs.freeWrittenPastEof(old);
    // xfs_setattr_size (6.12.117 fs/xfs/xfs_iops.c L864-874): zero what the change exposes or cuts in
    // the page cache: all of [old EOF, new EOF) on extension (xfs_zero_range: the old EOF block's
    // tail, and any written block past it, which a lost size update leaves, spec/fs.md "Initial
    // states"), the new EOF block's tail on a truncate down (xfs_truncate_page).
    let didZeroing = false;
    const keepTail = size < old && this.fs.quirks.xfsTruncateKeepsEofTail === true;
    if (!keepTail && (size > old || (size < old && size % this.bs))) {
      const r = yield* this.zeroRange(
        Math.min(old, size),
        size > old ? size : Math.ceil(size / this.bs) * this.bs,
      );
      if (r < 0) return r;
      didZeroing = r > 0;
    }
    // 6.12.117 L900 truncate_setsize(): the in-core size, and the page cache past it, before writeback.
    inode.iSize = size;
    if (!keepTail) this.zeroCachedPastEof(size);
    if (size < old) {
      // truncate_inode_pages_range() waits for the writeback of every folio it drops: writeback in
      // flight still targets the blocks that are about to be freed (and reused).
      yield* rt.waitUntil(
        () => !inode.iMapping.rangeUnderWriteback(size, Number.MAX_SAFE_INTEGER),
        'truncate: folio_wait_writeback',
      );
      inode.iMapping.truncateFrom(Math.ceil(size / this.bs) * this.bs);
      fs.freeBlocksFrom(Math.ceil(size / this.bs));
    }
    // 6.12.117 L910-916: write back what lies between the logged size and the new one, zeroing included,
    // so that a crash cannot expose it; on a truncate down that range is empty.
    if (didZeroing || (size > fs.diskSize && old !== fs.diskSize)) {
      const ret = yield* inode.iMapping.writeAndWaitRange(rt, fs.diskSize, size - 1);
      if (ret) return ret;
    }
    fs.logDiskSize(size, true);
    return 0;
  }

  /**
   * iomap_zero_range() over [from, to) (6.12.117 fs/iomap/buffered-io.c L1453-1486), one block at
   * a time (iomap_zero_iter per mapping, L1384-1451): whether the range has dirty cache is asked once,
   * before anything is zeroed; a hole or unwritten block already reads as zeros and is skipped,
   * unless the range was dirty, which is then flushed once so that the block is looked up again
   * (L1409-1415; the real-kernel oracle found both); any other block has its part zeroed in the
   * page cache, left dirty. Returns 1 if it zeroed anything, 0 if not, or -errno.
   */
  private *zeroRange(from: number, to: number): KGen<number> {
    const mapping = this.fs.requireInode().iMapping;
    // filemap_range_needs_writeback(): a folio dirty, or under writeback, in the range.
    let rangeDirty = mapping.rangeNeedsWriteback(from, to - 1) || mapping.rangeUnderWriteback(from, to - 1);
    let did = 0;
    let pos = from;
    while (pos < to) {
      const end = Math.min(to, Math.floor(pos / this.bs + 1) * this.bs);
      if (this.unmappedBlock(pos)) {
        if (rangeDirty) {
          rangeDirty = false;
          const ret = yield* mapping.writeAndWaitRange(this.rt, pos, end - 1);
          if (ret) return ret;
          continue;
        }
        pos = end;
        continue;
      }
      const page = mapping.getPage(Math.floor(pos / PAGE_SIZE));
      // Every sector the range touches (tags are per sector: one the range ends inside holds zeros
      // up to its end, and past it only bytes past the new EOF).
      for (let off = pos - (pos % 512); off < end; off += 512)
        page.tags[(off % PAGE_SIZE) >> SECTOR_SHIFT] = TAG_ZERO;
      markDirty(page, 1 << Math.floor((pos % PAGE_SIZE) / this.bs));
      did = 1;
      pos = end;
    }
    return did;
  }

  /**
   * xfs_zero_range(ip, isize, pos - isize) for a write at pos past EOF (6.12.117 fs/xfs/xfs_file.c
   * L414-417): 0, or -errno. Without `pos`, the old EOF block's tail only (ext4's callers).
   */
  *zeroEofGap(isize: number, pos?: number): KGen<number> {
    const end = pos ?? Math.ceil(isize / this.bs) * this.bs;
    if (end <= isize) return 0;
    const r = yield* this.zeroRange(isize, end);
    return Math.min(r, 0);
  }

  /**
   * truncate_pagecache(inode, size) -> truncate_inode_pages_range() on the folio holding `size`:
   * truncate_inode_partial_folio() zeroes it from `size` to its end (6.12.117 mm/truncate.c
   * L218-245), so bytes a truncate cut off are not read back from the cache once the file grows
   * again (tags are per sector: the sector holding `size` keeps its tag). Not dirtied.
   */
  protected zeroCachedPastEof(size: number): void {
    const page = this.fs.requireInode().iMapping.pages.get(Math.floor(size / PAGE_SIZE));
    if (page === undefined) return;
    const from = (Math.ceil(size / 512) * 512) % PAGE_SIZE;
    if (from === 0) return;
    for (let off = from; off < PAGE_SIZE; off += 512) page.tags[off >> SECTOR_SHIFT] = TAG_ZERO;
  }

  /**
   * fallocate's new size: xfs_falloc_setsize() -> xfs_vn_setattr_size() (6.12.117 fs/xfs/xfs_file.c
   * L902-915, L1061-1068), as a truncate up sets it. 0 or -errno.
   */
  protected *fallocateSetSize(size: number): KGen<number> {
    return yield* this.setattrSize(size);
  }

  private unlockWith(ret: number): number {
    this.file.iolock.unlock(true);
    return ret;
  }

  /** Is the block holding file offset `pos` a hole or unwritten (it reads as zeros)? */
  private unmappedBlock(pos: number): boolean {
    const st = this.fs.map.state[Math.floor(pos / this.bs)];
    return st === EXT_HOLE || st === EXT_UNWRITTEN;
  }

  /** xfs_file_fallocate() mode 0: unwritten blocks over holes in range, then the size. */
  *fallocate(pos: number, len: number): KGen<number> {
    const rt = this.rt;
    const fs = this.fs;
    const inode = fs.requireInode();
    yield* this.file.iolock.lock(rt, true);
    mightSleep(rt, 'xfs_alloc_file_space', 0);
    yield* inodeDioWait(rt, inode);
    // Candidate fix F1 (ModelXfs.freeWrittenPastEof): before the file grows over them.
    if (pos + len > inode.iSize) fs.freeWrittenPastEof(inode.iSize);
    const first = Math.floor(pos / this.bs);
    const end = Math.ceil((pos + len) / this.bs);
    for (let b = first; b < end; b++) if (fs.map.state[b] === EXT_HOLE) fs.allocateUnwritten(b, 1);
    // L1061-1068 xfs_falloc_setsize() -> xfs_vn_setattr_size(): the new size as a truncate up sets
    // it, zeroing [old EOF, new EOF) first (what a written block past EOF holds is not file data).
    if (pos + len > inode.iSize) {
      const ret = yield* this.fallocateSetSize(pos + len);
      if (ret) return this.unlockWith(ret);
    }
    yield;
    this.file.iolock.unlock(true);
    return 0;
  }
}

/** How a block is written back: 2 through the COW fork, 1 into unwritten blocks, 0 in place. */
function blockKind(fs: ModelXfs, b: number): number {
  return (fs.cow[b] ?? -1) >= 0 ? 2 : fs.map.state[b] === EXT_UNWRITTEN ? 1 : 0;
}

/**
 * xfs_end_io: convert the written blocks and log the size, in the xfs-conv workqueue. Declared
 * once; the work item's function is an arrow calling it (under tsx each named function expression
 * costs a defineProperty call per item).
 */
function* xfsEndIo(fs: ModelXfs, io: Ioend): KGen {
  mightSleep(fs.runtime, 'xfs_end_ioend', 0);
  if (!io.error) {
    for (const block of io.blocks) {
      if ((fs.cow[block] ?? -1) >= 0) fs.endCow(block, 1);
      else fs.convertUnwritten(block, 1);
    }
    const end = Math.min(fs.inodeSize(), (Math.max(...io.blocks) + 1) * fs.blockSize);
    fs.logDiskSize(end);
  }
  yield;
  io.done = true;
  // folio_end_writeback(), after the ioend's metadata is logged.
  const mapping = fs.requireInode().iMapping;
  for (const index of io.pages) {
    const page = mapping.pages.get(index);
    if (page !== undefined) page.writeback = false;
  }
}
