/**
 * struct iomap, struct iomap_iter, the filesystem's iomap_ops and iomap_dio_ops, and the iteration
 * driver iomap_iter() with iomap_iter_advance() and iomap_iter_done(), mirroring fs/iomap/iter.c
 * of Linux 6.12 (the same at the seed revision), plus iomap_length, iomap_sector and the inline-data
 * helpers from include/linux/iomap.h.
 */
import type { Bio } from '../block/bio.ts';
import type { BlockDevice } from '../block/blockDevice.ts';
import { EIO, IOMAP_F_STALE } from '../kernel/flags.ts';
import { PAGE_SIZE, SECTOR_SHIFT } from '../mm/tags.ts';
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { Violation } from '../runtime/violation.ts';
import type { Inode, Kiocb } from './vfs.ts';

/** Inline data: tags per 512 bytes, and where the buffer starts within its page. */
export interface InlineData {
  readonly tags: Int32Array;
  readonly offsetInPage: number;
}

export interface Iomap {
  /** Disk address of `offset`, in bytes (IOMAP_NULL_ADDR as -1). */
  addr: number;
  offset: number;
  length: number;
  type: number;
  flags: number;
  bdev: BlockDevice | null;
  inlineData: InlineData | null;
}

export function emptyIomap(): Iomap {
  return { addr: -1, offset: 0, length: 0, type: 0, flags: 0, bdev: null, inlineData: null };
}

/** An iomap zeroed as memset() leaves it (emptyIomap's values). */
function clearIomap(m: Iomap): void {
  m.addr = -1;
  m.offset = 0;
  m.length = 0;
  m.type = 0;
  m.flags = 0;
  m.bdev = null;
  m.inlineData = null;
}

export class IomapIter {
  iomap: Iomap = emptyIomap();
  srcmap: Iomap = emptyIomap();
  processed = 0;
  constructor(
    readonly inode: Inode,
    public pos: number,
    public len: number,
    public flags: number,
  ) {}
}

export interface IomapOps {
  iomapBegin(
    inode: Inode,
    pos: number,
    length: number,
    flags: number,
    iomap: Iomap,
    srcmap: Iomap,
  ): KGen<number>;
  iomapEnd?(
    inode: Inode,
    pos: number,
    length: number,
    written: number,
    flags: number,
    iomap: Iomap,
  ): KGen<number>;
}

export interface IomapDioOps {
  endIo?(iocb: Kiocb, size: number, error: number, flags: number): KGen<number>;
  submitIo?(iter: IomapIter, bio: Bio, pos: number): KGen;
  /** A bio_set of the filesystem's (bios with private data); only its presence matters here. */
  bioSet?: string;
}

/** iomap_length(): the part of the mapping that the current iteration covers. */
export function iomapLength(iter: IomapIter): number {
  const end = iter.iomap.offset + iter.iomap.length;
  return Math.min(iter.len, end - iter.pos);
}

/** iomap_sector(): the 512-byte sector of file position `pos` inside the mapping. */
export function iomapSector(iomap: Iomap, pos: number): number {
  return (iomap.addr + pos - iomap.offset) >> SECTOR_SHIFT;
}

/** iomap_inline_data(): index (in 512-byte units) of `pos` inside the inline buffer. */
export function iomapInlineData(iomap: Iomap, pos: number): number {
  return (pos - iomap.offset) >> SECTOR_SHIFT;
}

/** iomap_inline_data_valid(): the inline buffer must not cross a page boundary. */
export function iomapInlineDataValid(iomap: Iomap): boolean {
  const inline = iomap.inlineData;
  return inline !== null && iomap.length <= PAGE_SIZE - inline.offsetInPage;
}

/** iomap_iter_advance() (fs/iomap/iter.c): step past what the last iteration processed. */
function iomapIterAdvance(iter: IomapIter): number {
  const stale = (iter.iomap.flags & IOMAP_F_STALE) !== 0;
  if (iter.iomap.length) {
    if (iter.processed < 0) return iter.processed;
    if (!iter.processed && !stale) return 0;
    // WARN_ON_ONCE: an actor may never claim more than the mapping it was given.
    if (iter.processed > iomapLength(iter)) return -EIO;
    iter.pos += iter.processed;
    iter.len -= iter.processed;
    if (!iter.len) return 0;
  }
  iter.processed = 0;
  // memset() of both maps in place: no mapping outlives its iteration (no allocation per mapping).
  clearIomap(iter.iomap);
  clearIomap(iter.srcmap);
  return 1;
}

/** iomap_iter_done(): the filesystem's mapping must cover the current position. */
function iomapIterDone(rt: Runtime, iter: IomapIter): void {
  const m = iter.iomap;
  if (m.offset > iter.pos || m.length === 0 || m.offset + m.length <= iter.pos || m.flags & IOMAP_F_STALE) {
    throw new Violation(
      'FS-01',
      rt.currentName(),
      0,
      `->iomap_begin returned [${m.offset}, +${m.length}) which does not cover pos ${iter.pos}`,
    );
  }
}

/** iomap_iter(): end the previous mapping, advance, and begin the next. */
export function* iomapIter(rt: Runtime, iter: IomapIter, ops: IomapOps): KGen<number> {
  // Between two mappings the submitter holds no filesystem lock: ->iomap_end and ->iomap_begin take
  // the ILOCK (i_data_sem on ext4) and may sleep for it, and another dio's ->end_io may grow i_size
  // or fail the request meanwhile (spec/atomicity.md).
  yield;
  if (iter.iomap.length && ops.iomapEnd) {
    const ret = yield* ops.iomapEnd(
      iter.inode,
      iter.pos,
      iomapLength(iter),
      // biome-ignore lint/complexity/useMathMinMax: mirrors fs/iomap/iter.c.
      iter.processed > 0 ? iter.processed : 0,
      iter.flags,
      iter.iomap,
    );
    if (ret < 0 && !iter.processed) return ret;
  }
  let ret = iomapIterAdvance(iter);
  if (ret <= 0) return ret;
  ret = yield* ops.iomapBegin(iter.inode, iter.pos, iter.len, iter.flags, iter.iomap, iter.srcmap);
  // ->iomap_begin has dropped the ILOCK: the i_size it read may change before the caller's own
  // i_size_read (seed L345, L430).
  yield;
  if (ret < 0) return ret;
  iomapIterDone(rt, iter);
  return 1;
}
