/**
 * struct iov_iter over one UserBuffer, with the helpers the seed calls: iov_iter_count, _truncate,
 * _reexpand, _revert, _advance, _zero, copy_to_iter / copy_from_iter, iov_iter_is_aligned,
 * user_backed_iter, iov_iter_npages (lib/iov_iter.c and include/linux/uio.h, Linux 6.12).
 *
 * A user copy (iov_iter_zero, copy_to_iter, copy_from_iter into user memory) can fault part way: the
 * choice stream decides where, at a page boundary, as a fault on a non-resident page would.
 */
import type { Runtime } from '../runtime/runtime.ts';
import { PAGE_SIZE, SECTOR_SHIFT, TAG_ZERO } from './tags.ts';
import type { UserBuffer } from './userBuffer.ts';

export const READ = 0;
export const WRITE = 1;

export class IovIter {
  /** Bytes consumed from the start of the buffer. */
  iovOffset = 0;
  count: number;
  constructor(
    readonly dataSource: typeof READ | typeof WRITE,
    readonly buf: UserBuffer,
  ) {
    this.count = buf.length;
  }
  /** User address of the next byte. */
  get address(): number {
    return this.buf.addr + this.iovOffset;
  }
}

export function iovIterRw(i: IovIter): number {
  return i.dataSource;
}

export function iovIterCount(i: IovIter): number {
  return i.count;
}

export function iovIterTruncate(i: IovIter, count: number): void {
  if (i.count > count) i.count = count;
}

export function iovIterReexpand(i: IovIter, count: number): void {
  i.count = count;
}

export function iovIterAdvance(i: IovIter, n: number): void {
  i.iovOffset += n;
  i.count -= n;
}

export function iovIterRevert(i: IovIter, unroll: number): void {
  i.iovOffset -= unroll;
  i.count += unroll;
}

export function userBackedIter(i: IovIter): boolean {
  return i.buf.userBacked;
}

export function iovIterIsBvec(i: IovIter): boolean {
  return !i.buf.userBacked;
}

/** iov_iter_is_aligned(): the address against addr_mask and the length against len_mask. */
export function iovIterIsAligned(i: IovIter, addrMask: number, lenMask: number): boolean {
  return (i.address & addrMask) === 0 && (i.count & lenMask) === 0;
}

/** iov_iter_npages(): pages spanned by what is left, at most maxPages. */
export function iovIterNpages(i: IovIter, maxPages: number): number {
  if (i.count === 0) return 0;
  const first = Math.floor(i.address / PAGE_SIZE);
  const last = Math.floor((i.address + i.count - 1) / PAGE_SIZE);
  return Math.min(last - first + 1, maxPages);
}

/**
 * How many of `bytes` a copy into or out of user memory gets before a fault: all of it (option 0),
 * or up to a chosen page boundary.
 */
function userCopyLength(rt: Runtime, i: IovIter, bytes: number): number {
  if (!i.buf.userBacked || bytes === 0) return bytes;
  const pages = iovIterNpages(i, Number.MAX_SAFE_INTEGER);
  // A page already unmapped (by an earlier fault of this buffer) faults whether or not new faults may happen.
  const mapped = i.buf.mappedPages(rt, i.address, pages, rt.faults.copyFaults, 'user_copy_fault');
  if (mapped === pages) return bytes;
  const boundary = (Math.floor(i.address / PAGE_SIZE) + mapped) * PAGE_SIZE;
  return Math.min(bytes, Math.max(0, boundary - i.address));
}

/** iov_iter_zero(): zero-fill up to `bytes` of the destination; returns what was filled. */
export function iovIterZero(rt: Runtime, bytes: number, i: IovIter): number {
  const n = userCopyLength(rt, i, Math.min(bytes, i.count));
  fillTags(i, n, null, 0);
  iovIterAdvance(i, n);
  return n;
}

/** copy_to_iter(): copy tags from `src` (one per 512 bytes, starting at srcUnit) into the buffer. */
export function copyToIter(rt: Runtime, src: Int32Array, srcUnit: number, bytes: number, i: IovIter): number {
  const n = userCopyLength(rt, i, Math.min(bytes, i.count));
  fillTags(i, n, src, srcUnit);
  iovIterAdvance(i, n);
  return n;
}

/** copy_from_iter(): copy the buffer's tags into `dst` starting at dstUnit. */
export function copyFromIter(
  rt: Runtime,
  dst: Int32Array,
  dstUnit: number,
  bytes: number,
  i: IovIter,
): number {
  const n = userCopyLength(rt, i, Math.min(bytes, i.count));
  const first = i.buf.unitAt(i.iovOffset);
  for (let k = 0; k < n >> SECTOR_SHIFT; k++) dst[dstUnit + k] = i.buf.tags[first + k] ?? TAG_ZERO;
  iovIterAdvance(i, n);
  return n;
}

/**
 * The tags of the units a copy of `n` bytes from the iter's position fills: the unit it starts in
 * and every unit it reaches the end of. A copy that starts inside a unit (a read finished from the
 * page cache at an end of file inside a sector, where the direct part stopped) still fills the
 * whole units after it, each from the source unit at the same offset (zeros without a source).
 */
function fillTags(i: IovIter, n: number, src: Int32Array | null, srcUnit: number): void {
  const first = i.buf.unitAt(i.iovOffset);
  const units = i.buf.unitAt(i.iovOffset + n) - first;
  // From `src` at srcUnit, or zeros without one (no closure a copy).
  for (let k = 0; k < units; k++)
    i.buf.tags[first + k] = src === null ? TAG_ZERO : (src[srcUnit + k] ?? TAG_ZERO);
}
