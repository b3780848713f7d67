/**
 * The page-cache side of the scripted filesystem as a whole filesystem (FsSpec.generic): what its
 * callers around iomap_dio_rw (model/fs/genericCaller.ts) do with the page cache, mirroring btrfs
 * (6.12.117 fs/btrfs/file.c, direct-io.c, extent_io.c) over the model page cache (model/mm):
 * - ->read_folio fills a page from the file as it stands (ScriptedFs.readTagNow): the EOF block is
 *   read whole, blocks wholly past EOF are zeros (iomap_read_folio_iter, as XfsBuffered.readFolio).
 * - A buffered write (btrfs_buffered_write, fs/btrfs/file.c L1172) takes the inode lock exclusive,
 *   zeroes the old EOF block past i_size in the cache when it starts past EOF (btrfs_write_check ->
 *   btrfs_cont_expand -> btrfs_truncate_block, L1160-1166, fs/btrfs/inode.c L4708, L4903), copies
 *   from the iov_iter into pages it dirties (a fault stops the copy: -EFAULT if nothing was copied)
 *   and grows i_size (btrfs_dirty_pages, L175).
 * - ->writepages writes each dirty block inside EOF with a bio of its own to its disk block, or to
 *   one allocated now for a block that has none (ScriptedFs.writebackAddr); once every bio ended,
 *   a block without error becomes the file's (ScriptedFs.writebackDone: btrfs_finish_one_ordered,
 *   fs/btrfs/inode.c L3025) and the pages leave writeback; an error is recorded for fsync
 *   (mapping_set_error, end_bbio_data_write, fs/btrfs/extent_io.c L510-511) and the pages stay
 *   cached with the data (their uptodate bit is left alone there).
 * - invalidate_mapping_pages (mm/truncate.c L560) drops the clean pages of a range and skips the
 *   others, never failing.
 * - A buffered read (filemap_read) copies from the cache up to i_size, without the inode lock.
 *
 * Scope: no background flusher (the dirty pages a fallback leaves are written back by the fallback
 * itself, or by the next direct I/O's kiocb_write_and_wait), no readahead, one bio per block
 * (iomap_writepages merges neighbours: the same bytes in fewer bios).
 */
import { type Bio, REQ_OP_WRITE, REQ_SYNC } from '../block/bio.ts';
import { bioAlloc, bioPut } from '../block/bioOps.ts';
import type { Disk } from '../block/disk.ts';
import { EAGAIN, EFAULT, EIO } from '../kernel/flags.ts';
import { copyFromIter, copyToIter, type IovIter, iovIterCount } from '../mm/iovIter.ts';
import { type AddressSpaceOps, type DirtyPage, markDirty, UNITS_PER_PAGE } from '../mm/pageCache.ts';
import { PAGE_SIZE, SECTOR_SHIFT, TAG_ZERO } from '../mm/tags.ts';
import { UserBuffer } from '../mm/userBuffer.ts';
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { ScriptedFs } from '../world/scriptedFs.ts';
import type { RwSem } from './rwsem.ts';
import { type Inode, inodeDioWait } from './vfs.ts';

export const ENOSPC = 28;

/** One writeback: done once every bio ended. */
interface GenericIoend {
  pending: number;
  error: number;
  done: boolean;
  readonly blocks: number[];
  readonly pages: number[];
  /** The blocks whose own bio failed (or found no room): only they stay as they were. */
  readonly failed: Set<number>;
}

export class GenericBuffered implements AddressSpaceOps {
  constructor(
    private readonly rt: Runtime,
    private readonly fs: ScriptedFs,
    private readonly inode: Inode,
    private readonly disk: Disk,
    private readonly iolock: RwSem,
    private readonly bs: number,
  ) {}

  /** What ->read_folio puts at file offset `off` (a multiple of 512): zeros in blocks past EOF. */
  private fileTag(off: number): number {
    if (Math.floor(off / this.bs) * this.bs >= this.inode.iSize) return TAG_ZERO;
    return this.fs.readTagNow(off);
  }

  /**
   * What a read(2) of the file sees at `off` now: the cached page if there is one, else what
   * ->read_folio would fill it with. Reads nothing into the cache (the checkers' read-back).
   */
  tagAt(off: number): number {
    const page = this.inode.iMapping.pages.get(Math.floor(off / PAGE_SIZE));
    if (page !== undefined) return page.tags[(off % PAGE_SIZE) >> SECTOR_SHIFT] ?? TAG_ZERO;
    return this.fileTag(off);
  }

  readFolio(index: number): Int32Array {
    const tags = new Int32Array(UNITS_PER_PAGE).fill(TAG_ZERO);
    for (let u = 0; u < UNITS_PER_PAGE; u++) tags[u] = this.fileTag(index * PAGE_SIZE + (u << SECTOR_SHIFT));
    return tags;
  }

  /** ->writepages: write each dirty block inside EOF, wait for all of them. */
  *writepages(pages: readonly DirtyPage[]): KGen<number> {
    const io = this.startWriteback(pages);
    if (io === null) return 0;
    yield* this.rt.waitUntil(() => io.done, 'folio_wait_writeback');
    return io.error;
  }

  private startWriteback(pages: readonly DirtyPage[]): GenericIoend | null {
    const per = PAGE_SIZE / this.bs;
    const size = this.inode.iSize;
    const mapping = this.inode.iMapping;
    const blocks: number[] = [];
    for (const p of pages) {
      for (let i = 0; i < per; i++) {
        const block = p.index * per + i;
        if (p.blocks & (1 << i) && block * this.bs < size) blocks.push(block);
      }
    }
    if (blocks.length === 0) return null;
    blocks.sort((a, b) => a - b);
    const io: GenericIoend = {
      pending: 0,
      error: 0,
      done: false,
      blocks,
      pages: pages.map((p) => p.index),
      failed: new Set(),
    };
    const spb = this.bs >> SECTOR_SHIFT;
    const bios: Array<{ block: number; addr: number }> = [];
    for (const block of blocks) {
      const page = mapping.getPage(Math.floor((block * this.bs) / PAGE_SIZE));
      const at = ((block * this.bs) % PAGE_SIZE) >> SECTOR_SHIFT;
      const inline = this.fs.inlineAt(block * this.bs);
      if (inline !== null) {
        // Inline data lives in the inode: written with it, no bio.
        for (let s = 0; s < spb && inline.unit + s < inline.tags.length; s++)
          inline.tags[inline.unit + s] = page.tags[at + s] ?? TAG_ZERO;
        continue;
      }
      const addr = this.fs.writebackAddr(block);
      if (addr < 0) {
        io.error = -ENOSPC;
        io.failed.add(block);
        continue;
      }
      bios.push({ block, addr });
    }
    if (bios.length === 0) {
      io.done = true;
      for (const b of blocks) {
        if (io.failed.has(b)) this.fs.writebackFailed(b);
        else this.fs.writebackDone(b, this.inode.iSize);
      }
      return io.error === 0 ? null : io;
    }
    io.pending = bios.length;
    for (const index of io.pages) mapping.getPage(index).writeback = true;
    for (const { block, addr } of bios) {
      const page = mapping.getPage(Math.floor((block * this.bs) / PAGE_SIZE));
      const at = ((block * this.bs) % PAGE_SIZE) >> SECTOR_SHIFT;
      const bio = bioAlloc(this.rt, this.disk, 1, REQ_OP_WRITE | REQ_SYNC);
      const buf = new UserBuffer(0, this.bs, false);
      for (let s = 0; s < spb; s++) buf.tags[s] = page.tags[at + s] ?? TAG_ZERO;
      bio.buf = buf;
      bio.biSize = this.bs;
      bio.biIterSector = addr >> SECTOR_SHIFT;
      bio.biEndIo = (b) => this.writebackEndIo(io, b, block);
      this.disk.submitBio(bio);
    }
    return io;
  }

  /** The writeback bio's end_io (end_bbio_data_write): the last one finishes the writeback. */
  // biome-ignore lint/correctness/useYield: bi_end_io runs to completion in interrupt context.
  private *writebackEndIo(io: GenericIoend, b: Bio, block: number): KGen {
    const mapping = this.inode.iMapping;
    // Each block's bio finishes its own range (end_bbio_data_write, btrfs_finish_ordered_extent
    // per range): a failed one leaves its block as it was, the others become the file's.
    if (b.biStatus) io.failed.add(block);
    if (b.biStatus && !io.error) {
      io.error = -EIO;
      mapping.wbErrors++;
      mapping.wbErrorSteps.push(this.rt.step);
    }
    bioPut(this.rt, b, 0);
    if (--io.pending !== 0) return;
    for (const block of io.blocks) {
      if (io.failed.has(block)) this.fs.writebackFailed(block);
      else this.fs.writebackDone(block, this.inode.iSize);
    }
    io.done = true;
    for (const index of io.pages) {
      const page = mapping.pages.get(index);
      if (page !== undefined) page.writeback = false;
    }
  }

  /**
   * btrfs_buffered_write(): copy what is left of `from` into the page cache at `pos`, under the
   * inode lock exclusive. Bytes copied, or -EFAULT if a fault stopped it before the first byte.
   */
  *bufferedWrite(pos: number, from: IovIter): KGen<number> {
    const rt = this.rt;
    const inode = this.inode;
    yield* this.iolock.lock(rt, true);
    const oldSize = inode.iSize;
    if (pos > oldSize) {
      // A direct write in flight may still move EOF at its completion (as XfsBuffered.bufferedWrite).
      yield* inodeDioWait(rt, inode);
      // btrfs_cont_expand -> btrfs_truncate_block: the old EOF block past i_size reads as zeros.
      const size = inode.iSize;
      const blockEnd = Math.min(Math.ceil(size / this.bs) * this.bs, pos);
      if (size % this.bs !== 0 && blockEnd > size) this.zeroCached(size, blockEnd);
    }
    let off = pos;
    const count = iovIterCount(from);
    const end = pos + count;
    while (off < end) {
      const page = inode.iMapping.getPage(Math.floor(off / PAGE_SIZE));
      const chunk = Math.min(end - off, PAGE_SIZE - (off % PAGE_SIZE));
      const n = copyFromIter(rt, page.tags, (off % PAGE_SIZE) >> SECTOR_SHIFT, chunk, from);
      if (n > 0) markDirty(page, this.blockMask(off, off + n));
      off += n;
      if (n < chunk) break;
    }
    const copied = off - pos;
    if (off > inode.iSize) inode.iSize = off;
    yield;
    this.iolock.unlock(true);
    return copied > 0 ? copied : count > 0 ? -EFAULT : 0;
  }

  /** Zero [from, to) in the cached pages, dirtying their blocks. */
  private zeroCached(from: number, to: number): void {
    for (let off = from; off < to; off += 512) {
      const page = this.inode.iMapping.getPage(Math.floor(off / PAGE_SIZE));
      page.tags[(off % PAGE_SIZE) >> SECTOR_SHIFT] = TAG_ZERO;
      markDirty(page, this.blockMask(off, off + 512));
    }
  }

  /** The bitmask of the blocks of [from, to)'s page (all in one page) that the range touches. */
  private blockMask(from: number, to: number): number {
    const first = Math.floor((from % PAGE_SIZE) / this.bs);
    const last = Math.floor((((to - 1) % PAGE_SIZE) + 0) / this.bs);
    let mask = 0;
    for (let i = first; i <= last; i++) mask |= 1 << i;
    return mask;
  }

  /**
   * filemap_read() from `pos` into what is left of `to`, up to i_size: `already` plus the bytes
   * copied (a fault stops it), or -EFAULT if a fault stopped it before the first byte and
   * `already` is 0 (-EAGAIN for a NOWAIT read that found its first page not cached).
   */
  *bufferedRead(pos: number, to: IovIter, already: number, nowait: boolean): KGen<number> {
    const inode = this.inode;
    let off = pos;
    const end = Math.min(pos + iovIterCount(to), inode.iSize);
    let error = -EFAULT;
    while (off < end) {
      const index = Math.floor(off / PAGE_SIZE);
      // filemap_get_pages: a NOWAIT read does not wait for a page to be read in: -EAGAIN
      // (6.12.117 mm/filemap.c L2546-2558).
      if (nowait && !inode.iMapping.pages.has(index)) {
        error = -EAGAIN;
        break;
      }
      const page = inode.iMapping.getPage(index);
      const chunk = Math.min(end - off, PAGE_SIZE - (off % PAGE_SIZE));
      const n = copyToIter(this.rt, page.tags, (off % PAGE_SIZE) >> SECTOR_SHIFT, chunk, to);
      off += n;
      if (n < chunk) break;
      yield;
    }
    const copied = Math.max(0, off - pos);
    // L2719: what was read, or the error that stopped the first page.
    if (copied === 0 && end > pos && already === 0) return error;
    return already + copied;
  }

  /** invalidate_mapping_pages(): drop the clean pages of [pos, end], skip the rest. */
  invalidateMappingPages(pos: number, end: number): void {
    const pages = this.inode.iMapping.pages;
    const first = Math.floor(pos / PAGE_SIZE);
    const last = Math.floor(end / PAGE_SIZE);
    for (const [index, page] of [...pages]) {
      if (index >= first && index <= last && !page.dirty && !page.writeback) pages.delete(index);
    }
  }
}
