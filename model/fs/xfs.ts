/**
 * The model filesystem: the subset of XFS that the seed exercises (fs/xfs/xfs_iomap.c,
 * xfs_file.c, xfs_reflink.c of Linux 6.12).
 *
 * - ->iomap_begin for direct reads reports the data fork; for direct writes it follows
 *   xfs_direct_write_iomap_begin: IOMAP_F_DIRTY for writes past i_size or while the inode has
 *   unforced metadata (and, with the default sizeDirtyRule 'on-disk', past the logged size); shared blocks get a COW staging block (IOMAP_F_SHARED; -EAGAIN under NOWAIT);
 *   holes and delalloc get unwritten blocks with IOMAP_F_NEW (-EAGAIN under NOWAIT or
 *   OVERWRITE_ONLY); NOWAIT and OVERWRITE_ONLY need one mapping over the whole range, and
 *   OVERWRITE_ONLY refuses sub-block writes into unwritten blocks.
 * - ->end_io follows xfs_dio_write_end_io: nothing on error or size 0; otherwise remap COW, convert
 *   unwritten blocks and extend i_size for exactly the completed range (rounded out to blocks);
 *   with 'on-disk' it also logs the size of a write past the logged size inside the in-core one.
 * - ->fsync follows xfs_file_fsync: force the log if the inode is pinned, else flush the device.
 * - Every metadata change is a journal record (model/fs/journal.ts); recovery replays the durable
 *   ones over the initial state. Freed blocks are never reused, so old data cannot move.
 * Not modelled: quotas, timestamps, extent size hints.
 */
import { type Bio, REQ_FUA, REQ_OP_FLUSH, REQ_OP_WRITE, REQ_PREFLUSH, REQ_SYNC } from '../block/bio.ts';
import { bioAlloc, bioPut } from '../block/bioOps.ts';
import type { Disk } from '../block/disk.ts';
import {
  EAGAIN,
  EIO,
  IOMAP_DELALLOC,
  IOMAP_DIO_COW,
  IOMAP_DIO_UNWRITTEN,
  IOMAP_F_DIRTY,
  IOMAP_F_NEW,
  IOMAP_F_SHARED,
  IOMAP_HOLE,
  IOMAP_MAPPED,
  IOMAP_NOWAIT,
  IOMAP_OVERWRITE_ONLY,
  IOMAP_UNWRITTEN,
  IOMAP_WRITE,
} from '../kernel/flags.ts';
import { UserBuffer } from '../mm/userBuffer.ts';
import { INT32_POOL } from '../runtime/arrayPool.ts';
import { SECTOR_SHIFT, TAG_ZERO, userTag } from '../mm/tags.ts';
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { returnNow } from '../runtime/yieldPoint.ts';
import { EXT_DELALLOC, EXT_HOLE, EXT_UNWRITTEN, EXT_WRITTEN, ExtentMap } from './extentMap.ts';
import type { WorldQuirks } from '../world/quirks.ts';
import type { Leftover } from '../world/scenario.ts';
import type { Iomap, IomapDioOps, IomapOps } from './iomap.ts';
import { Journal, type LogWrite, logTag } from './journal.ts';
import { type File, type FileOperations, type Inode, type Kiocb, mightSleep } from './vfs.ts';

export interface XfsGeometry {
  readonly blockSize: number;
  /** Largest file in blocks. */
  readonly fileBlocks: number;
  /** Data area of the disk in filesystem blocks; the log lives after it. */
  readonly dataBlocks: number;
  readonly logSectors: number;
}

export interface InitialExtent {
  readonly block: number;
  readonly count: number;
  readonly state: number;
  readonly addr: number;
  readonly shared: boolean;
}

/** What recovery finds after power loss. */
export interface RecoveredFile {
  readonly size: number;
  readonly map: ExtentMap;
  /** Tags of the file read back from media, 512 bytes each, up to the end of the EOF block. */
  readonly tags: Int32Array;
  readonly durableSeq: number;
}

export class ModelXfs implements FileOperations {
  readonly journal: Journal;
  readonly map: ExtentMap;
  /** The COW fork: staging blocks of shared file blocks being rewritten. */
  readonly cow: Int32Array;
  readonly initialMap: ExtentMap;
  readonly initialSize: number;
  inode: Inode | null = null;
  /** Planted defects (none in the correct world). */
  quirks: WorldQuirks = {};
  /** What the disk held at mount besides the file's data (FsSpec.leftovers; model/world/buildXfs.ts). */
  leftovers: readonly Leftover[] = [];
  /** See FsSpec.sizeDirtyRule. */
  sizeDirtyRule: 'in-core' | 'on-disk' = 'on-disk';
  /**
   * What a write past EOF does around the gap: 'free-eofblocks', the candidate fixes (the default:
   * free written blocks past the EOF block first, freeWrittenPastEof, and write a direct write's
   * zeroing back before it, XfsFile.writeChecks), or '6.12' (zero the gap in the page cache only;
   * the releases get it from the quirk xfsEofGapCachedOnly).
   */
  eofGapRule: 'free-eofblocks' | '6.12' = 'free-eofblocks';

  /** Does the correct model's handling of a write past EOF apply (eofGapRule, the release quirk)? */
  get eofGapFixed(): boolean {
    return this.eofGapRule !== '6.12' && this.quirks.xfsEofGapCachedOnly !== true;
  }
  /** The size last logged (di_size): what recovery will find once the log is durable. */
  diskSize: number;
  private nextFree: number;
  fsyncCalls = 0;
  readonly endIoCalls: Array<{ size: number; error: number; flags: number; context: string }> = [];

  readonly readOps: IomapOps;
  readonly writeOps: IomapOps;
  readonly dioWriteOps: IomapDioOps;

  constructor(
    private readonly rt: Runtime,
    readonly disk: Disk,
    readonly geo: XfsGeometry,
    extents: readonly InitialExtent[],
    iSize: number,
  ) {
    // The model ext4's constructor builds nothing of XFS's that it replaces (its jbd2 and ops).
    this.journal = this.newJournal(geo.dataBlocks * this.sectorsPerBlock, geo.logSectors);
    // A finished run's map and COW fork when one was given back (recycleRun): reset, not rebuilt.
    this.map = ExtentMap.take(geo.fileBlocks);
    this.cow = INT32_POOL.take(geo.fileBlocks, -1);
    let top = 0;
    for (const e of extents) {
      const mapped = e.state === EXT_WRITTEN || e.state === EXT_UNWRITTEN;
      // Each extent as one run (a later one still wins where they overlap).
      this.map.setRun(e.block, e.count, e.state, mapped ? e.addr : null, e.shared ? 1 : 0);
      if (mapped && e.count > 0) top = Math.max(top, e.addr + e.count);
      if (e.state === EXT_WRITTEN) this.writeInitialData(e, iSize);
    }
    this.nextFree = top;
    this.initialMap = this.map.clone();
    this.initialSize = iSize;
    this.diskSize = iSize;
    this.readOps = this.newReadOps();
    this.writeOps = this.newWriteOps();
    this.dioWriteOps = this.newDioWriteOps();
  }

  /*
   * What the model ext4 replaces, built through these so that a model ext4 builds only its own
   * (ModelExt4 overrides each; they run in this constructor, before any field of the subclass).
   */

  /** The log: XFS's CIL and log (jbd2 for the model ext4). */
  protected newJournal(logStart: number, logSectors: number): Journal {
    return new Journal(logStart, logSectors);
  }

  /** xfs_read_iomap_ops. */
  protected newReadOps(): IomapOps {
    return new XfsReadIomapOps(this);
  }

  /** xfs_direct_write_iomap_ops. */
  protected newWriteOps(): IomapOps {
    return new XfsDirectWriteIomapOps(this);
  }

  /** xfs_dio_write_ops. */
  protected newDioWriteOps(): IomapDioOps {
    return new XfsDioWriteOps(this);
  }

  get blockSize(): number {
    return this.geo.blockSize;
  }

  get sectorsPerBlock(): number {
    return this.geo.blockSize >> SECTOR_SHIFT;
  }

  /** The file's original contents: write 0 at offset 0, zeros past i_size in the EOF block. */
  private writeInitialData(e: InitialExtent, iSize: number): void {
    const spb = this.sectorsPerBlock;
    this.disk.mediaWritten(e.addr * spb, e.count * spb);
    for (let i = 0; i < e.count; i++) {
      for (let s = 0; s < spb; s++) {
        const unit = (e.block + i) * spb + s;
        this.disk.media[(e.addr + i) * spb + s] = unit << SECTOR_SHIFT < iSize ? userTag(0, unit) : TAG_ZERO;
      }
    }
  }

  private iSize(): number {
    return this.inode?.iSize ?? this.initialSize;
  }

  inodeSize(): number {
    return this.iSize();
  }

  requireInode(): Inode {
    if (this.inode === null) throw new Error('model filesystem used before its inode was attached');
    return this.inode;
  }

  /** xfs_is_cow_inode(): does the file share any block? */
  isReflinked(): boolean {
    // A loop, not shared.some(): a typed array's some() is a builtin call with a closure per test.
    const shared = this.map.shared;
    for (let b = 0; b < shared.length; b++) if (shared[b] !== 0) return true;
    return false;
  }

  /** Fill an iomap with the run of blocks at `block` (at most `max` blocks). */
  private report(
    iomap: Iomap,
    block: number,
    count: number,
    type: number,
    flags: number,
    addr: number,
  ): void {
    const bs = this.blockSize;
    iomap.offset = block * bs;
    iomap.length = count * bs;
    iomap.type = type;
    iomap.flags = flags;
    iomap.addr = addr < 0 ? -1 : addr * bs;
    iomap.bdev = this.disk;
    iomap.inlineData = null;
    if (this.quirks.xfsMappingPastPos) iomap.offset += bs;
  }

  private allocBlocks(count: number): number {
    const a = this.nextFree;
    this.nextFree += count;
    if (this.nextFree > this.geo.dataBlocks) throw new RangeError('model filesystem out of space');
    return a;
  }

  /** IOMAP_F_DIRTY: the inode has logged metadata that is not yet on disk. */
  private dirtyFlag(): number {
    return this.journal.pinned ? IOMAP_F_DIRTY : 0;
  }

  /** xfs_read_iomap_begin(): report the data fork at pos. */
  // A mapping lookup does not block in the model: no generator (returnNow, the same steps).
  readIomapBegin(pos: number, length: number, _flags: number, iomap: Iomap): KGen<number> {
    const bs = this.blockSize;
    const b = Math.floor(pos / bs);
    const end = Math.ceil((pos + length) / bs);
    const run = this.map.runLength(b, Math.max(1, end - b));
    const st = this.map.state[b] ?? EXT_HOLE;
    const type =
      st === EXT_WRITTEN
        ? IOMAP_MAPPED
        : st === EXT_UNWRITTEN
          ? IOMAP_UNWRITTEN
          : st === EXT_DELALLOC
            ? IOMAP_DELALLOC
            : IOMAP_HOLE;
    const flags = this.map.shared[b] ? IOMAP_F_SHARED : 0;
    this.report(iomap, b, run, type, flags | this.dirtyFlag(), this.map.addr[b] ?? -1);
    return returnNow(0);
  }

  /** xfs_direct_write_iomap_begin() (xfs_iomap.c L765-925 in 6.12). */
  *writeIomapBegin(pos: number, length: number, flags: number, iomap: Iomap): KGen<number> {
    const rt = this.rt;
    const bs = this.blockSize;
    let iomapFlags = 0;
    // Writes that span EOF may update the size at completion: dirty for O_DSYNC purposes.
    if (pos + length > this.iSize()) iomapFlags |= IOMAP_F_DIRTY;
    // The model's stricter rule: past the logged size, the size needed to read the data is not durable.
    if (this.sizeDirtyRule === 'on-disk' && pos + length > this.diskSize) iomapFlags |= IOMAP_F_DIRTY;
    if (this.quirks.xfsNoDirtyPastEof) iomapFlags &= ~IOMAP_F_DIRTY;
    const b = Math.floor(pos / bs);
    // end_fsb = XFS_B_TO_FSB(offset + length); a planted defect rounds it down (XFS_B_TO_FSBT).
    const end = this.quirks.xfsWriteEndRoundedDown
      ? Math.floor((pos + length) / bs)
      : Math.ceil((pos + length) / bs);
    const run = Math.min(this.map.runLength(b, end - b), end - b);
    const st = this.map.state[b] ?? EXT_HOLE;

    if (this.map.shared[b] && st === EXT_WRITTEN) {
      if (flags & IOMAP_NOWAIT) return -EAGAIN;
      mightSleep(rt, 'xfs_reflink_allocate_cow', 0);
      // One block at a time; a staging block already in the COW fork is reused, as
      // xfs_reflink_allocate_cow finds it there, so racing writers share it.
      let addr = this.cow[b] ?? -1;
      if (addr < 0) {
        addr = this.allocBlocks(1);
        this.cow[b] = addr;
      }
      yield;
      this.report(iomap, b, 1, IOMAP_MAPPED, IOMAP_F_SHARED | this.dirtyFlag(), addr);
      return 0;
    }

    if (st === EXT_HOLE || st === EXT_DELALLOC) {
      if (flags & (IOMAP_NOWAIT | IOMAP_OVERWRITE_ONLY)) return -EAGAIN;
      mightSleep(rt, 'xfs_iomap_write_direct', 0);
      const addr = this.allocateUnwritten(b, run);
      yield;
      this.report(iomap, b, run, IOMAP_UNWRITTEN, iomapFlags | IOMAP_F_NEW | this.dirtyFlag(), addr);
      return 0;
    }

    // NOWAIT and OVERWRITE_ONLY need one mapping over the whole range.
    const spans =
      b + run >= end || (this.quirks.xfsNowaitFirstExtentOnly === true && !(flags & IOMAP_OVERWRITE_ONLY));
    if (flags & (IOMAP_NOWAIT | IOMAP_OVERWRITE_ONLY) && !spans) return -EAGAIN;
    // OVERWRITE_ONLY cannot convert unwritten blocks without sub-block zeroing.
    if (flags & IOMAP_OVERWRITE_ONLY && st !== EXT_WRITTEN && (pos | length) & (bs - 1)) return -EAGAIN;
    const type = st === EXT_WRITTEN ? IOMAP_MAPPED : IOMAP_UNWRITTEN;
    this.report(iomap, b, run, type, iomapFlags | this.dirtyFlag(), this.map.addr[b] ?? -1);
    return 0;
  }

  /** xfs_dio_write_end_io() (xfs_file.c in 6.12). */
  *dioWriteEndIo(iocb: Kiocb, size: number, error: number, flags: number): KGen<number> {
    const rt = this.rt;
    this.endIoCalls.push({ size, error, flags, context: rt.currentName() });
    if (error && this.quirks.xfsConvertOnError && flags & IOMAP_DIO_UNWRITTEN) {
      this.convertUnwritten(Math.floor(iocb.kiPos / this.blockSize), Math.ceil(size / this.blockSize));
    }
    // A planted defect: any error reported as -EIO.
    if (error) return this.quirks.xfsEndIoRewritesError ? -EIO : error;
    if (!size) return 0;
    mightSleep(rt, 'xfs_dio_write_end_io', 91);
    const offset = iocb.kiPos;
    const bs = this.blockSize;
    const b = Math.floor(offset / bs);
    const count = Math.ceil((offset + size) / bs) - b;
    if (flags & IOMAP_DIO_COW) {
      // 6.12.117 fs/xfs/xfs_file.c L529-533: xfs_reflink_end_cow allocates a transaction and takes
      // the ILOCK first, and may sleep there (spec/atomicity.md, xfs-end-io).
      yield;
      this.endCow(b, count);
      yield;
    }
    const end = offset + size;
    if (flags & IOMAP_DIO_UNWRITTEN) {
      // xfs_iomap_write_unwritten(update_isize): convert, grow i_size, log xfs_new_eof(), after
      // xfs_trans_alloc_inode has allocated the transaction and taken the ILOCK, where it may sleep
      // (6.12.117 fs/xfs/xfs_iomap.c L613-614; spec/atomicity.md, xfs-end-io).
      yield;
      this.convertUnwritten(b, count);
      if (this.inode !== null && end > this.inode.iSize) this.inode.iSize = end;
      this.logDiskSize(this.newEof(end));
      yield;
      return 0;
    }
    // Within the in-core size XFS does nothing, even past the logged size (di_size); the model's
    // stricter rule logs the size there too, so that the O_DSYNC sync that follows persists it.
    if (this.inode === null) return 0;
    if (end <= this.inode.iSize) {
      if (this.sizeDirtyRule === 'on-disk') this.logDiskSize(this.newEof(end));
      return 0;
    }
    this.inode.iSize = end;
    // 6.12.117 fs/xfs/xfs_file.c L569-571: i_size_write under i_flags_lock, then xfs_setfilesize,
    // which allocates a transaction and takes the ILOCK, and may sleep (xfs-end-io).
    yield;
    this.logDiskSize(this.newEof(end));
    yield;
    return 0;
  }

  /** xfs_new_eof(): the new size, capped at the in-core size. */
  private newEof(size: number): number {
    return Math.min(size, this.iSize());
  }

  /** xfs_setfilesize(): log a larger on-disk size (truncate logs any size: `exact`). */
  logDiskSize(size: number, exact = false): void {
    if (!exact && size <= this.diskSize) return;
    this.diskSize = size;
    this.journal.commit({ kind: 'size', block: 0, count: 0, addr: 0, size });
    if (this.rt.tracing) this.rt.ev(0, 'xfs_setfilesize', `size ${size}`);
  }

  /** xfs_iomap_write_direct / writeback allocation: unwritten blocks, logged. Returns the address. */
  allocateUnwritten(block: number, count: number): number {
    const addr = this.allocBlocks(count);
    for (let i = 0; i < count; i++) this.map.set(block + i, EXT_UNWRITTEN, addr + i);
    this.journal.commit({ kind: 'alloc', block, count, addr, size: 0 });
    if (this.rt.tracing) this.rt.ev(0, 'xfs_iomap_alloc', `blocks ${block}+${count} at ${addr} unwritten`);
    return addr;
  }

  /** xfs_iomap_write_unwritten(): the unwritten blocks of the range become written, logged. */
  convertUnwritten(block: number, count: number): void {
    for (let i = 0; i < count; i++) {
      if (this.map.state[block + i] === EXT_UNWRITTEN) this.map.state[block + i] = EXT_WRITTEN;
    }
    this.journal.commit({ kind: 'convert', block, count, addr: 0, size: 0 });
    if (this.rt.tracing) this.rt.ev(0, 'xfs_iomap_write_unwritten', `blocks ${block}+${count}`);
  }

  /** A COW staging block for writeback of a shared block. */
  allocateCow(count: number): number {
    return this.allocBlocks(count);
  }

  /** xfs_reflink_end_cow(): staging blocks replace the shared ones in the data fork, logged. */
  endCow(block: number, count: number): void {
    for (let i = 0; i < count; i++) {
      const a = this.cow[block + i] ?? -1;
      if (a < 0) continue;
      this.map.set(block + i, EXT_WRITTEN, a, 0);
      this.cow[block + i] = -1;
      this.journal.commit({ kind: 'remap', block: block + i, count: 1, addr: a, size: 0 });
    }
    if (this.rt.tracing) this.rt.ev(0, 'xfs_reflink_end_cow', `blocks ${block}+${count}`);
  }

  /**
   * xfs_itruncate_extents(): every block from `block` on becomes a hole, logged, and the COW
   * reservations there are cancelled (6.12.117 fs/xfs/xfs_inode.c L1048-1054 unmap, L1059-1067 cancel,
   * xfs_reflink_cancel_cow_blocks), so that a staging block a failed COW write left behind is never
   * remapped over data written after the truncate. The model's allocator never reuses a block, so
   * cancelling drops the reservation and frees nothing.
   */
  /**
   * Candidate fix (spec/fs.md, "Initial states", finding F1): before a direct write past EOF zeroes
   * the gap, free the blocks past the EOF block when one of them is written (xfs_free_eofblocks,
   * 6.12.117 fs/xfs/xfs_bmap_util.c, from XFS_B_TO_FSB(i_size) on), so that the gap and the
   * write's block are holes. In 6.12 (`eofGapRule` '6.12') the gap's written blocks are zeroed in
   * the page cache only, and when the write's own folio holds them its invalidation drops the
   * zeros unwritten: writeback skips blocks wholly past EOF (fs/iomap/buffered-io.c L1957-1959,
   * L1972-1975), so the old bytes are inside EOF once the write extends it. Only a crash between
   * a COW ioend's remap and its size update leaves written blocks past EOF (6.12.117
   * fs/xfs/xfs_aops.c L129-135; an unwritten conversion logs the size itself, xfs_iomap.c
   * L638-647), so no other run changes. A buffered write that grows the file from inside EOF frees
   * them too (finding F5).
   */
  freeWrittenPastEof(iSize: number): void {
    if (!this.writtenPastEof(iSize)) return;
    const first = Math.ceil(iSize / this.blockSize);
    if (this.rt.tracing) this.rt.ev(0, 'xfs_free_eofblocks', `from block ${first}`);
    this.freeBlocksFrom(first);
  }

  /** Would freeWrittenPastEof free anything: the candidate fix applies and a written block lies past the EOF block? */
  writtenPastEof(iSize: number): boolean {
    if (!this.eofGapFixed) return false;
    for (let b = Math.ceil(iSize / this.blockSize); b < this.geo.fileBlocks; b++) {
      if (this.map.state[b] === EXT_WRITTEN) return true;
    }
    return false;
  }

  freeBlocksFrom(block: number): void {
    const count = this.geo.fileBlocks - block;
    if (count <= 0) return;
    for (let i = 0; i < count; i++) this.map.set(block + i, EXT_HOLE, -1);
    this.journal.commit({ kind: 'free', block, count, addr: 0, size: 0 });
    let cancelled = 0;
    for (let i = block; i < this.geo.fileBlocks; i++) {
      if ((this.cow[i] ?? -1) < 0) continue;
      this.cow[i] = -1;
      cancelled++;
    }
    if (cancelled && this.rt.tracing)
      this.rt.ev(0, 'xfs_reflink_cancel_cow_blocks', `${cancelled} from block ${block}`);
  }

  get runtime(): Runtime {
    return this.rt;
  }

  /** xfs_file_fsync(): force the log if the inode is pinned; otherwise flush the device cache. */
  *fsync(file: File, start: number, end: number, _datasync: boolean): KGen<number> {
    this.fsyncCalls++;
    mightSleep(this.rt, 'xfs_file_fsync', 0);
    // file_write_and_wait_range(): buffered data first, then the metadata that reaches it.
    const mapping = file.fInode.iMapping;
    if (!this.quirks.xfsFsyncSkipsData) yield* mapping.writeAndWaitRange(this.rt, start, end);
    const ret = mapping.checkAndAdvanceWbErr();
    if (ret) return ret;
    if (this.quirks.xfsFsyncNoFlush) return 0;
    if (this.journal.pinned) return yield* this.forceLog();
    return yield* this.issueFlush();
  }

  /** xfs_log_force(): one log write with PREFLUSH|FUA, waited for. */
  *forceLog(): KGen<number> {
    const w = this.submitLogWrite();
    // xlog_force_lsn(): wait until this write and every earlier one are on disk.
    yield* this.rt.waitUntil(() => this.journal.settledThrough(w).done, 'xlog force');
    return this.journal.settledThrough(w).error ? -EIO : 0;
  }

  /** Submit a log write of everything committed so far; its completion unpins the inode. */
  submitLogWrite(): LogWrite {
    const w = this.journal.beginWrite();
    // A planted defect may drop the PREFLUSH: then the log can reach media before the data it covers.
    const preflush = this.quirks.xfsLogWithoutPreflush ? 0 : REQ_PREFLUSH;
    const bio = bioAlloc(this.rt, this.disk, 1, REQ_OP_WRITE | preflush | REQ_FUA | REQ_SYNC);
    const buf = new UserBuffer(0, 512, false);
    buf.tags[0] = logTag(w.index);
    bio.buf = buf;
    bio.biIterSector = this.journal.sectorOf(w);
    bio.biSize = 512;
    const journal = this.journal;
    const rt = this.rt;
    bio.biEndIo = (b) => logEndIo(rt, journal, w, b);
    if (rt.tracing) rt.ev(0, 'xlog_write', `log write ${w.index} through seq ${w.lastSeq}`);
    this.disk.submitBio(bio);
    return w;
  }

  /** blkdev_issue_flush(): an empty PREFLUSH, waited for. */
  *issueFlush(): KGen<number> {
    const bio = bioAlloc(this.rt, this.disk, 0, REQ_OP_FLUSH | REQ_PREFLUSH);
    const wait: FlushWait = { done: false, status: 0 };
    const rt = this.rt;
    bio.biEndIo = (b) => flushEndIo(rt, wait, b);
    this.disk.submitBio(bio);
    yield* rt.waitUntil(() => wait.done, 'blkdev_issue_flush');
    return wait.status ? -EIO : 0;
  }

  /** Disk.stepHooks: the background log commit (ext4's commit timer where overridden). */
  deviceStepHook(): void {
    this.backgroundLogHook();
  }

  /** The xlog worker: a background log commit at a device step (FaultProfile.backgroundLog). */
  backgroundLogHook(): void {
    const rt = this.rt;
    if (!rt.faults.backgroundLog || !this.journal.pinned) return;
    const last = this.journal.writes[this.journal.writes.length - 1];
    if (last !== undefined && !last.done) return;
    if (rt.choose(2, 'log_commit_background') === 1) this.submitLogWrite();
  }

  /** Log recovery after power loss: replay the durable records, read the file back from media. */
  recover(): RecoveredFile {
    const durableSeq = this.journal.durableSeq(this.disk.media);
    const { map, size } = this.journal.replay(this.initialMap, this.initialSize, durableSeq);
    const bs = this.blockSize;
    const spb = this.sectorsPerBlock;
    const blocks = Math.ceil(size / bs);
    // Every entry is written below, so a recycled buffer needs no clearing (recycleRun gives it back).
    const tags = INT32_POOL.takeToOverwrite(blocks * spb);
    for (let b = 0; b < blocks; b++) {
      const written = map.state[b] === EXT_WRITTEN;
      const a = map.addr[b] ?? -1;
      for (let s = 0; s < spb; s++)
        tags[b * spb + s] = written ? (this.disk.media[a * spb + s] ?? TAG_ZERO) : TAG_ZERO;
    }
    return { size, map, tags, durableSeq };
  }

  /** Which ops a direct I/O uses: xfs_read_iomap_ops or xfs_direct_write_iomap_ops. */
  iomapOpsFor(flags: number): IomapOps {
    return flags & IOMAP_WRITE ? this.writeOps : this.readOps;
  }
}

// The end_io of the log's and the flush's bios, declared once: a bio's bi_end_io is an arrow that
// calls them (under tsx each named function expression costs a defineProperty call per bio).

/** The log write's bi_end_io (xlog_bio_end_io): the write is done, in log order. */
// biome-ignore lint/correctness/useYield: bi_end_io runs to completion in interrupt context.
function* logEndIo(rt: Runtime, journal: Journal, w: LogWrite, b: Bio): KGen {
  journal.finishWrite(w, b.biStatus ? -EIO : 0);
  bioPut(rt, b, 0);
}

/** What blkdev_issue_flush's waiter learns from its bio (submit_bio_wait's completion). */
interface FlushWait {
  done: boolean;
  status: number;
}

/** submit_bio_wait_endio(): the flush's status, and its waiter woken. */
// biome-ignore lint/correctness/useYield: bi_end_io runs to completion in interrupt context.
function* flushEndIo(rt: Runtime, wait: FlushWait, b: Bio): KGen {
  wait.status = b.biStatus;
  wait.done = true;
  bioPut(rt, b, 0);
}

// The ops tables a model XFS hands to iomap: small objects that call back into it, rather than
// closures (a world builds one of each; under tsx each closure a literal names costs more than the
// object).

/** xfs_read_iomap_ops. */
class XfsReadIomapOps implements IomapOps {
  constructor(private readonly fs: ModelXfs) {}
  iomapBegin(_inode: Inode, pos: number, length: number, flags: number, iomap: Iomap): KGen<number> {
    return this.fs.readIomapBegin(pos, length, flags, iomap);
  }
}

/** xfs_direct_write_iomap_ops. */
class XfsDirectWriteIomapOps implements IomapOps {
  constructor(private readonly fs: ModelXfs) {}
  iomapBegin(_inode: Inode, pos: number, length: number, flags: number, iomap: Iomap): KGen<number> {
    return this.fs.writeIomapBegin(pos, length, flags, iomap);
  }
}

/** xfs_dio_write_ops. */
class XfsDioWriteOps implements IomapDioOps {
  constructor(private readonly fs: ModelXfs) {}
  endIo(iocb: Kiocb, size: number, error: number, flags: number): KGen<number> {
    return this.fs.dioWriteEndIo(iocb, size, error, flags);
  }
}
