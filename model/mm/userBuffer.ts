/**
 * A user buffer: the memory an iov_iter points at, with one provenance tag per 512 bytes, and per
 * page the pin count and dirty bit that bio_iov_iter_get_pages, bio_release_pages and
 * bio_check_pages_dirty move.
 *
 * Scope: one contiguous buffer per request (ITER_UBUF when user-backed; ITER_BVEC for kernel memory
 * such as a loop device or registered buffers). Where the kernel can fault, the choice stream
 * decides (see bioIovIterGetPages and the user copies), unless the scenario takes a page away
 * from the start (unmapPage): the first unmapped page is the one state both keep.
 */
import { BUFFER_POOL } from '../runtime/arrayPool.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { Violation } from '../runtime/violation.ts';
import { PAGE_SIZE, SECTOR_SHIFT, TAG_UNTOUCHED, userTag } from './tags.ts';

/** Tags of at most this many units (16 Int32s, 64 bytes) stay in V8's heap, unpooled. */
const SMALL_UNITS = 16;

export class UserBuffer {
  /** One tag per 512 bytes from the start of the buffer. */
  readonly tags: Int32Array;
  /** Pins held per page (pages are counted from the page holding `addr`). */
  readonly pins: Int32Array;
  /** PG_dirty per page, for reads into user memory. */
  readonly dirty: Uint8Array;
  /**
   * The first page (buffer page index) that is not mapped: faults are persistent, as an unmapped
   * page stays unmapped. Infinity until the choice stream makes a page fault.
   */
  unmappedFrom = Number.POSITIVE_INFINITY;
  /** Model bookkeeping: the request's result has reached the caller, who may reuse the buffer. */
  delivered = false;
  /** Model bookkeeping: pages a read bio filled by DMA (which the kernel must dirty). */
  readonly dmaFilled: Uint8Array;

  constructor(
    /** User virtual address: its alignment is what bdev_iter_is_aligned checks. */
    readonly addr: number,
    readonly length: number,
    /** ITER_UBUF (user memory, pinned and dirtied) versus ITER_BVEC (kernel pages). */
    readonly userBacked: boolean,
  ) {
    const units = Math.ceil(length / 512) + 1;
    const pages = this.pageIndex(addr + length) + 1;
    if (units > SMALL_UNITS) {
      // Four views of one buffer, a finished campaign run's when one was given back (recycleRun).
      const buf = BUFFER_POOL.take(4 * units + 4 * pages + 2 * pages);
      this.tags = new Int32Array(buf, 0, units).fill(TAG_UNTOUCHED);
      this.pins = new Int32Array(buf, 4 * units, pages).fill(0);
      this.dirty = new Uint8Array(buf, 4 * units + 4 * pages, pages).fill(0);
      this.dmaFilled = new Uint8Array(buf, 4 * units + 5 * pages, pages).fill(0);
    } else {
      // Small arrays live in V8's heap, which allocates them faster than any buffer.
      this.tags = new Int32Array(units).fill(TAG_UNTOUCHED);
      this.pins = new Int32Array(pages);
      this.dirty = new Uint8Array(pages);
      this.dmaFilled = new Uint8Array(pages);
    }
  }

  /**
   * As `new UserBuffer(addr, length, userBacked)`, in a buffer of a finished run with arrays of the
   * same lengths when one was given back (give): its four views are reused, not made again (a
   * typed array's construction costs more than its fill, even a small one's in V8's heap), and
   * everything reset as the constructor sets it.
   */
  static take(addr: number, length: number, userBacked: boolean): UserBuffer {
    const units = Math.ceil(length / 512) + 1;
    const pages = Math.floor((addr + length) / PAGE_SIZE) - Math.floor(addr / PAGE_SIZE) + 1;
    const b = SPARES.get(spareKey(units, pages))?.pop();
    if (b === undefined) return new UserBuffer(addr, length, userBacked);
    const fields = b as { addr: number; length: number; userBacked: boolean };
    fields.addr = addr;
    fields.length = length;
    fields.userBacked = userBacked;
    // Small arrays by loops: a typed array's fill is a builtin call that costs more than a loop over
    // a few entries (the tags of a small buffer, the pages of any: one entry per page each).
    const tags = b.tags;
    if (tags.length > SMALL_UNITS) tags.fill(TAG_UNTOUCHED);
    else for (let u = 0; u < tags.length; u++) tags[u] = TAG_UNTOUCHED;
    const { pins, dirty, dmaFilled } = b;
    for (let p = 0; p < pins.length; p++) {
      pins[p] = 0;
      dirty[p] = 0;
      dmaFilled[p] = 0;
    }
    b.unmappedFrom = Number.POSITIVE_INFINITY;
    b.delivered = false;
    return b;
  }

  /** Gives a buffer back for take (recycleRun): nothing may read or write it any more. */
  static give(b: UserBuffer): void {
    const key = spareKey(b.tags.length, b.pins.length);
    let list = SPARES.get(key);
    if (list === undefined) {
      list = [];
      SPARES.set(key, list);
    }
    if (list.length < SPARES_MAX && !list.includes(b)) list.push(b);
  }

  /** A write's source buffer: unit i holds user data (writeId, i). Through take: see there. */
  static forWrite(addr: number, length: number, writeId: number, userBacked = true): UserBuffer {
    const b = UserBuffer.take(addr, length, userBacked);
    for (let i = 0; i < b.tags.length; i++) b.tags[i] = userTag(writeId, i);
    return b;
  }

  /** Page index (within this buffer) of a user address. */
  pageIndex(address: number): number {
    return Math.floor(address / PAGE_SIZE) - Math.floor(this.addr / PAGE_SIZE);
  }

  /** Tag index of the byte at `offset` from the start of the buffer. */
  unitAt(offset: number): number {
    return offset >> SECTOR_SHIFT;
  }

  /**
   * How many of the next `pages` pages from user address `address` are mapped. A page that is
   * still mapped may become unmapped now (a choice, when `mayFault`): the fault then stays.
   */
  mappedPages(rt: Runtime, address: number, pages: number, mayFault: boolean, label: string): number {
    const first = this.pageIndex(address);
    if (mayFault && first + pages <= this.unmappedFrom && rt.choose(2, label) === 1) {
      this.unmappedFrom = first + rt.choose(pages, `${label}_at`);
    }
    return Math.max(0, Math.min(pages, this.unmappedFrom - first));
  }

  /**
   * Page `index` is unmapped (munmap) or PROT_NONE from the start: the oracle's faulting buffers
   * (DioOpSpec.badPage). The pages after it are mapped on the real side, yet a threshold is exact,
   * because no path reaches past the first page that faults (6.12.117; block/bio.c is the same in
   * all six 6.12 releases): pinning stops there and fails when it starts there (block/bio.c
   * L1357-1361 and L1445-1449), after which iomap_dio_bio_iter ends the mapping at once (fs/iomap/
   * direct-io.c L420-430, then L469-474: the bytes before it, or the error) and the next mapping's
   * first pin starts at that page again; a hole or unwritten read's zeroing stops there and fails
   * when it starts there (L478-485). XFS falls back to buffered writes only on -ENOTBLK
   * (fs/xfs/xfs_file.c L855-867), and ext4's buffered fallback after a short direct write resumes
   * where the direct write stopped, at or before that page, and generic_perform_write stops for good
   * at a chunk it cannot fault in (fs/ext4/file.c L605-612, mm/filemap.c L4063-4066).
   */
  unmapPage(index: number): void {
    this.unmappedFrom = Math.min(this.unmappedFrom, index);
  }

  /** Pages the buffer's bytes lie in (the page holding `addr` when it has none). */
  get spannedPages(): number {
    return this.pageIndex(this.addr + Math.max(1, this.length) - 1) + 1;
  }

  pin(firstPage: number, count: number): void {
    for (let p = firstPage; p < firstPage + count; p++) this.pins[p] = (this.pins[p] ?? 0) + 1;
  }

  /** Releasing a pin that is not held is LIFE-04 (a page released twice). */
  unpin(firstPage: number, count: number, context: string, seedLine: number): void {
    for (let p = firstPage; p < firstPage + count; p++) {
      const held = this.pins[p] ?? 0;
      if (held <= 0) {
        throw new Violation('LIFE-04', context, seedLine, `user page ${p} released but not pinned`);
      }
      this.pins[p] = held - 1;
    }
  }

  pinnedPages(): number {
    let n = 0;
    for (const c of this.pins) n += c;
    return n;
  }
}

/** Spare large buffers by the lengths of their arrays (UserBuffer.give; a run gives back a few). */
const SPARES = new Map<number, UserBuffer[]>();
const SPARES_MAX = 8;

function spareKey(units: number, pages: number): number {
  return units * 0x100000 + pages;
}
