/**
 * The model ext4: its direct I/O mapping and completion (fs/ext4/inode.c ext4_iomap_begin,
 * ext4_iomap_overwrite_begin, ext4_iomap_alloc, ext4_set_iomap, ext4_iomap_end; fs/ext4/file.c
 * ext4_dio_write_end_io, ext4_handle_inode_extension; fs/ext4/extents.c
 * ext4_convert_unwritten_extents), fsync (fs/ext4/fsync.c), the orphan list of extending writes
 * (fs/ext4/orphan.c), jbd2 as its journal (model/fs/jbd2.ts) and recovery with orphan cleanup.
 * Line numbers are 6.12.117's; the functions modelled are the same in all six pinned releases
 * (6.12.107-6.12.118: fs/ext4/file.c differs only in ext4_buffered_write_iter's inode_dio_wait,
 * new in 6.12.111, and fs/ext4/inode.c outside these functions).
 *
 * Shared with the model XFS (by extension of ModelXfs): the data fork (ExtentMap), the allocator
 * (blocks are never reused), the journal records and their replay, the EOF-block data layout, the
 * world's view of "the model filesystem". What ext4 decides differently is here:
 * - a write at or past i_size allocates written blocks (EXT4_GET_BLOCKS_CREATE), and converts
 *   unwritten blocks there to written before the I/O; inside i_size it allocates unwritten ones
 *   (EXT4_GET_BLOCKS_IO_CREATE_EXT) (inode.c L3387-3390);
 * - IOMAP_F_DIRTY when the inode's datasync transaction is not committed, or the write spans EOF
 *   (L3302-3305);
 * - end_io converts unwritten blocks, and grows i_size and i_disksize only past them, removing the
 *   inode from the orphan list (file.c L381-404, L315-338);
 * - fsync commits the inode's transaction (a PREFLUSH|FUA commit record) or, if it is committed
 *   already, flushes the device (fsync.c L109-128, L141-193).
 * ext4_map_blocks is modelled over the flat data fork (one extent per run of equal blocks); not
 * modelled: the extent status tree, mballoc's placement, ext4_ext_convert_to_initialized's zero-out
 * of small extents, bigalloc, inline data, encryption, verity, DAX, fast commits, quotas and
 * timestamps (file_modified's mtime update joins the running transaction in the kernel, which only
 * fsync's i_sync_tid sees).
 */
import type { Disk } from '../block/disk.ts';
import {
  EINVAL,
  EIO,
  ENOTBLK,
  IOMAP_DELALLOC,
  IOMAP_DIO_UNWRITTEN,
  IOMAP_DIRECT,
  IOMAP_F_DIRTY,
  IOMAP_F_NEW,
  IOMAP_HOLE,
  IOMAP_MAPPED,
  IOMAP_UNWRITTEN,
  IOMAP_WRITE,
} from '../kernel/flags.ts';
import { TAG_ZERO } from '../mm/tags.ts';
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { returnNow } from '../runtime/yieldPoint.ts';
import { EXT_DELALLOC, EXT_HOLE, EXT_UNWRITTEN, EXT_WRITTEN } from './extentMap.ts';
import type { Iomap, IomapDioOps, IomapOps } from './iomap.ts';
import { Jbd2 } from './jbd2.ts';
import type { LogWrite } from './journal.ts';
import { type File, type Inode, type Kiocb, mightSleep } from './vfs.ts';
import { type InitialExtent, ModelXfs, type RecoveredFile, type XfsGeometry } from './xfs.ts';

/** struct ext4_map_blocks. */
export interface Ext4MapBlocks {
  mLblk: number;
  mLen: number;
  mPblk: number;
  mFlags: number;
}

/** m_flags (fs/ext4/ext4.h). */
export const EXT4_MAP_NEW = 1 << 0;
export const EXT4_MAP_MAPPED = 1 << 1;
export const EXT4_MAP_UNWRITTEN = 1 << 2;
export const EXT4_MAP_DELAYED = 1 << 7;

/** ext4_map_blocks() flags (fs/ext4/ext4.h). */
export const EXT4_GET_BLOCKS_CREATE = 0x0001;
export const EXT4_GET_BLOCKS_UNWRIT_EXT = 0x0002;
export const EXT4_GET_BLOCKS_PRE_IO = 0x0008;
export const EXT4_GET_BLOCKS_CONVERT = 0x0010;
export const EXT4_GET_BLOCKS_IO_CREATE_EXT =
  EXT4_GET_BLOCKS_PRE_IO | EXT4_GET_BLOCKS_UNWRIT_EXT | EXT4_GET_BLOCKS_CREATE;
export const EXT4_GET_BLOCKS_IO_CONVERT_EXT = EXT4_GET_BLOCKS_CONVERT | EXT4_GET_BLOCKS_UNWRIT_EXT;

/** A change of the on-disk orphan list, in the transaction that made it. */
interface OrphanChange {
  readonly tid: number;
  readonly on: boolean;
}

export class ModelExt4 extends ModelXfs {
  /** jbd2, built by ModelXfs's constructor through newJournal (declared only: no field resets it). */
  declare readonly journal: Jbd2;
  /** ext4_iomap_ops (reads and writes) and ext4_iomap_overwrite_ops. */
  readonly overwriteOps: IomapOps;
  /** ei->i_sync_tid and ei->i_datasync_tid: 0 is committed (the setup's transactions are). */
  iSyncTid = 0;
  iDatasyncTid = 0;
  /** The inode is on the in-memory orphan list (ext4_inode_orphan_tracked). */
  orphanTracked = false;
  readonly orphanChanges: OrphanChange[] = [];

  constructor(rt: Runtime, disk: Disk, geo: XfsGeometry, extents: readonly InitialExtent[], iSize: number) {
    super(rt, disk, geo, extents, iSize);
    this.overwriteOps = new Ext4IomapOverwriteOps(this);
  }

  protected override newJournal(logStart: number, logSectors: number): Jbd2 {
    return new Jbd2(logStart, logSectors);
  }

  /** ext4_iomap_ops, for reads and for writes (the same table). */
  protected override newReadOps(): IomapOps {
    return new Ext4IomapOps(this);
  }

  protected override newWriteOps(): IomapOps {
    return this.readOps;
  }

  /** ext4_dio_write_ops. */
  protected override newDioWriteOps(): IomapDioOps {
    return new Ext4DioWriteOps(this);
  }

  /** i_disksize: the size the inode block in the journal carries. */
  get iDisksize(): number {
    return this.diskSize;
  }

  /** ext4_update_inode_fsync_trans() (fs/ext4/ext4_jbd2.h L438-449). */
  private updateInodeFsyncTrans(tid: number, datasync: boolean): void {
    this.iSyncTid = tid;
    if (datasync) this.iDatasyncTid = tid;
  }

  /**
   * ext4_mark_inode_dirty() -> ext4_do_update_inode(): the inode block, with i_disksize, joins the
   * transaction; a changed i_disksize is something fdatasync needs (inode.c L5249-5250, L5288).
   */
  private markInodeDirty(tid: number, disksizeChanged: boolean): void {
    this.journal.commit({ kind: 'size', block: 0, count: 0, addr: 0, size: this.diskSize });
    this.updateInodeFsyncTrans(tid, disksizeChanged);
  }

  /**
   * ext4_map_blocks() over the data fork: the run of equal blocks at m_lblk (at most m_len), and
   * with EXT4_GET_BLOCKS_CREATE an allocation or conversion (fs/ext4/extents.c
   * ext4_ext_map_blocks, ext4_ext_handle_unwritten_extents L3947-4050). Returns the blocks mapped,
   * 0 for a hole or delayed range looked up, each change logged in transaction `handle`.
   */
  ext4MapBlocks(handle: number | null, map: Ext4MapBlocks, flags: number): number {
    const b = map.mLblk;
    const st = this.map.state[b] ?? EXT_HOLE;
    const run = Math.min(this.map.runLength(b, map.mLen), map.mLen);
    const addr = this.map.addr[b] ?? -1;
    map.mFlags = 0;
    map.mLen = run;
    if (st === EXT_WRITTEN) {
      map.mFlags = EXT4_MAP_MAPPED;
      map.mPblk = addr;
      return run;
    }
    if (st === EXT_UNWRITTEN) {
      map.mPblk = addr;
      // L3969-3987: before the I/O, split out the range (no fsync tid update on this path); the
      // unwritten extent is reported NEW as well (out:, L4040-4041).
      if (flags & EXT4_GET_BLOCKS_PRE_IO) {
        map.mFlags = EXT4_MAP_UNWRITTEN | EXT4_MAP_NEW | EXT4_MAP_MAPPED;
        return run;
      }
      // L3989-3996: at I/O completion, convert to written.
      if (flags & EXT4_GET_BLOCKS_CONVERT) {
        this.convertBlocks(b, run);
        if (handle !== null) this.updateInodeFsyncTrans(handle, true);
        map.mFlags = EXT4_MAP_MAPPED;
        return run;
      }
      // L4002-4018: a lookup finds it unwritten.
      if (flags & EXT4_GET_BLOCKS_UNWRIT_EXT || (flags & EXT4_GET_BLOCKS_CREATE) === 0) {
        map.mFlags = EXT4_MAP_UNWRITTEN | (flags & EXT4_GET_BLOCKS_CREATE ? EXT4_MAP_MAPPED : 0);
        return run;
      }
      // L4020-4041: EXT4_GET_BLOCKS_CREATE alone converts it to written (ext4_ext_convert_to_initialized).
      this.convertBlocks(b, run);
      if (this.runtime.tracing) this.runtime.ev(0, 'ext4_ext_convert_to_initialized', `blocks ${b}+${run}`);
      if (handle !== null) this.updateInodeFsyncTrans(handle, true);
      map.mFlags = EXT4_MAP_NEW | EXT4_MAP_MAPPED;
      return run;
    }
    // A hole, or delayed blocks of a buffered write.
    if ((flags & EXT4_GET_BLOCKS_CREATE) === 0) {
      if (st === EXT_DELALLOC) map.mFlags = EXT4_MAP_DELAYED;
      map.mPblk = -1;
      return 0;
    }
    // extents.c L4412-4492: allocate; unwritten with EXT4_GET_BLOCKS_UNWRIT_EXT, and then only
    // i_sync_tid moves (an unwritten extent is nothing fdatasync must commit, L4483-4490).
    const unwritten = (flags & EXT4_GET_BLOCKS_UNWRIT_EXT) !== 0;
    map.mPblk = this.ext4MbNewBlocks(b, run, unwritten);
    if (handle !== null) this.updateInodeFsyncTrans(handle, !unwritten);
    map.mFlags = EXT4_MAP_NEW | EXT4_MAP_MAPPED | (unwritten ? EXT4_MAP_UNWRITTEN : 0);
    return run;
  }

  /**
   * ext4_mb_new_blocks() and the extent insertion: new blocks for file blocks [block, block +
   * count), logged. The model's allocator hands out fresh blocks (allocateCow is XFS's name for it).
   */
  private ext4MbNewBlocks(block: number, count: number, unwritten: boolean): number {
    const addr = this.allocateCow(count);
    for (let i = 0; i < count; i++) this.map.set(block + i, EXT_UNWRITTEN, addr + i);
    this.journal.commit({ kind: 'alloc', block, count, addr, size: 0 });
    // A written extent is inserted written: both records travel in this handle's transaction.
    if (!unwritten) this.convertBlocks(block, count);
    if (this.runtime.tracing)
      this.runtime.ev(
        0,
        'ext4_ext_map_blocks',
        `blocks ${block}+${count} at ${addr} ${unwritten ? 'unwritten' : 'written'}`,
      );
    return addr;
  }

  /** The unwritten blocks of [block, block + count) become written, logged. */
  private convertBlocks(block: number, count: number): void {
    for (let i = 0; i < count; i++)
      if (this.map.state[block + i] === EXT_UNWRITTEN) this.map.state[block + i] = EXT_WRITTEN;
    this.journal.commit({ kind: 'convert', block, count, addr: 0, size: 0 });
  }

  /** ext4_inode_datasync_dirty() (inode.c L3272-3289), with a journal and no fast commit. */
  private inodeDatasyncDirty(): boolean {
    return !this.journal.transactionCommitted(this.iDatasyncTid);
  }

  /** ext4_set_iomap() (inode.c L3291-3347). */
  private ext4SetIomap(iomap: Iomap, map: Ext4MapBlocks, offset: number, length: number): void {
    const bs = this.blockSize;
    iomap.flags = 0;
    // L3297-3305: writes that span EOF may update the size at completion. With the default
    // sizeDirtyRule 'on-disk' (FsSpec.sizeDirtyRule, the candidate fix the model XFS takes too,
    // spec/ext4.md) also writes past i_disksize: end_io then logs a new i_disksize
    // (ext4_handle_inode_extension) that an O_DSYNC write through FUA would leave uncommitted.
    // The planted bug ext4NoDirtyPastEof drops both size tests, as ext4 had it before 2e9b51d78229.
    const pastEof =
      (offset + length > this.inodeSize() ||
        (this.sizeDirtyRule === 'on-disk' && offset + length > this.iDisksize)) &&
      !this.quirks.ext4NoDirtyPastEof;
    if (this.inodeDatasyncDirty() || pastEof) iomap.flags |= IOMAP_F_DIRTY;
    if (map.mFlags & EXT4_MAP_NEW) iomap.flags |= IOMAP_F_NEW;
    iomap.bdev = this.disk;
    iomap.inlineData = null;
    iomap.offset = map.mLblk * bs;
    iomap.length = map.mLen * bs;
    // L3326-3346: EXT4_MAP_UNWRITTEN first, since allocation may set MAPPED as well.
    if (map.mFlags & EXT4_MAP_UNWRITTEN) {
      iomap.type = IOMAP_UNWRITTEN;
      iomap.addr = map.mPblk * bs;
    } else if (map.mFlags & EXT4_MAP_MAPPED) {
      iomap.type = IOMAP_MAPPED;
      iomap.addr = map.mPblk * bs;
    } else if (map.mFlags & EXT4_MAP_DELAYED) {
      iomap.type = IOMAP_DELALLOC;
      iomap.addr = -1;
    } else {
      iomap.type = IOMAP_HOLE;
      iomap.addr = -1;
    }
  }

  /** ext4_iomap_alloc() (inode.c L3349-3408): allocate in a handle of its own. */
  private ext4IomapAlloc(map: Ext4MapBlocks, flags: number): number {
    mightSleep(this.runtime, 'ext4_iomap_alloc', 0);
    const handle = this.journal.journalStart();
    let mFlags = 0;
    // L3379: WARN_ON(!(flags & (IOMAP_DAX | IOMAP_DIRECT))); there is no DAX here (L3380-3381).
    if (!(flags & IOMAP_DIRECT) && this.runtime.tracing)
      this.runtime.ev(0, 'WARN', 'ext4_iomap_alloc: not direct');
    // L3382-3390: at or past i_size, written blocks (delalloc writeback may push i_disksize to
    // i_size at any time, so unwritten would not protect them); inside, unwritten ones (the file
    // is extent-mapped: mkfs.ext4 sets the extent feature).
    if (map.mLblk * this.blockSize >= this.inodeSize()) mFlags = EXT4_GET_BLOCKS_CREATE;
    else mFlags = EXT4_GET_BLOCKS_IO_CREATE_EXT;
    const ret = this.ext4MapBlocks(handle, map, mFlags);
    // L3398-3399: only indirect-mapped files (no m_flags) fall back with -ENOTBLK.
    if (!mFlags && !ret) return -ENOTBLK;
    return ret;
  }

  /** ext4_iomap_begin() (inode.c L3411-3461). */
  // The mapping and its transaction do not block in the model: the answer comes without a
  // generator (returnNow: the same steps as a generator function that returns at once).
  ext4IomapBegin(offset: number, length: number, flags: number, iomap: Iomap): KGen<number> {
    // Candidate fix (spec/ext4.md, "A sync after an aborted journal"), not in 6.12: a request that
    // passed ext4_file_write_iter's or _read_iter's shutdown test (file.c L695-696, L134-135) before
    // the journal aborted, and then waited for the inode lock, maps nothing once it has, as
    // xfs_direct_write_iomap_begin and xfs_read_iomap_begin refuse after XFS's shutdown (6.12.117
    // fs/xfs/xfs_iomap.c L786-787, L1291-1292). Otherwise an O_DSYNC overwrite goes out with FUA,
    // the failed tid counting as committed, and returns success with its size lost.
    if (this.ext4ForcedShutdown()) return returnNow(-EIO);
    const bs = this.blockSize;
    if (Math.floor(offset / bs) >= this.geo.fileBlocks) return returnNow(-EINVAL);
    const map: Ext4MapBlocks = {
      mLblk: Math.floor(offset / bs),
      mLen: Math.floor((offset + length - 1) / bs) - Math.floor(offset / bs) + 1,
      mPblk: -1,
      mFlags: 0,
    };
    let ret: number;
    if (flags & IOMAP_WRITE) {
      // L3438-3442: blocks already mapped inside i_size need no transaction.
      let mapped = false;
      if (offset + length <= this.inodeSize()) {
        ret = this.ext4MapBlocks(null, map, 0);
        mapped = ret > 0 && (map.mFlags & EXT4_MAP_MAPPED) !== 0;
      }
      // Otherwise allocate (or convert) with the map as the lookup left it (L3443).
      if (!mapped) ret = this.ext4IomapAlloc(map, flags);
      else ret = map.mLen;
    } else {
      ret = this.ext4MapBlocks(null, map, 0);
    }
    if (ret < 0) return returnNow(ret);
    this.ext4SetIomap(iomap, map, offset, length);
    return returnNow(0);
  }

  /** ext4_iomap_overwrite_begin() (inode.c L3463-3477): a write that needs no allocation maps as a read. */
  *ext4IomapOverwriteBegin(offset: number, length: number, flags: number, iomap: Iomap): KGen<number> {
    const ret = yield* this.ext4IomapBegin(offset, length, flags & ~IOMAP_WRITE, iomap);
    // L3475: WARN_ON_ONCE(!ret && iomap->type != IOMAP_MAPPED).
    if (!ret && iomap.type !== IOMAP_MAPPED && this.runtime.tracing)
      this.runtime.ev(0, 'WARN', 'ext4_iomap_overwrite_begin: not IOMAP_MAPPED');
    return ret;
  }

  /** ext4_iomap_end() (inode.c L3479-3493): nothing written to the mapping falls back with -ENOTBLK. */
  // Returns at once: no generator (returnNow).
  ext4IomapEnd(_offset: number, _length: number, written: number, flags: number): KGen<number> {
    if (flags & (IOMAP_WRITE | IOMAP_DIRECT) && written === 0) return returnNow(-ENOTBLK);
    return returnNow(0);
  }

  /** ext4_convert_unwritten_extents(NULL, ...) (fs/ext4/extents.c L4855-4902): one handle per extent. */
  private ext4ConvertUnwrittenExtents(offset: number, len: number): number {
    const bs = this.blockSize;
    const map: Ext4MapBlocks = { mLblk: Math.floor(offset / bs), mLen: 0, mPblk: -1, mFlags: 0 };
    let maxBlocks = Math.ceil((offset + len) / bs) - map.mLblk;
    let ret = 0;
    while (ret >= 0 && ret < maxBlocks) {
      map.mLblk += ret;
      map.mLen = maxBlocks -= ret;
      const handle = this.journal.journalStart();
      ret = this.ext4MapBlocks(handle, map, EXT4_GET_BLOCKS_IO_CONVERT_EXT);
      this.markInodeDirty(handle, false);
      if (ret <= 0) break;
    }
    if (this.runtime.tracing) this.runtime.ev(0, 'ext4_convert_unwritten_extents', `${offset}+${len}`);
    // biome-ignore lint/complexity/useMathMinMax: mirrors L4902 (ret > 0 ? ret2 : ret; ret2 is 0 here).
    return ret > 0 ? 0 : ret;
  }

  /** ext4_dio_write_end_io() (fs/ext4/file.c L381-404). */
  *ext4DioWriteEndIo(iocb: Kiocb, size: number, error: number, flags: number): KGen<number> {
    this.endIoCalls.push({ size, error, flags, context: this.runtime.currentName() });
    const pos = iocb.kiPos;
    // L387-388; the planted bug ext4ConvertOnError converts although the write failed.
    if ((!error || this.quirks.ext4ConvertOnError) && size && flags & IOMAP_DIO_UNWRITTEN) {
      mightSleep(this.runtime, 'ext4_convert_unwritten_extents', 91);
      // ext4_convert_unwritten_extents starts a jbd2 handle first (ext4_journal_start may wait
      // for the running transaction: 6.12.117 fs/ext4/extents.c L4877-4878), an interleaving point
      // (spec/atomicity.md, xfs-end-io).
      yield;
      const err = this.ext4ConvertUnwrittenExtents(pos, size);
      if (!error) error = err;
      yield;
    }
    if (error) return error;
    // The planted bug ext4SizeUpdateAfterDio: end_io as it was before 91562895f803 only grows the
    // in-memory i_size; ext4_dio_write_iter settles i_disksize and the orphan after iomap_dio_rw,
    // that is after iomap_dio_complete's generic_write_sync.
    if (this.quirks.ext4SizeUpdateAfterDio) {
      const inode = this.requireInode();
      if (pos + size > inode.iSize) inode.iSize = pos + size;
      return 0;
    }
    // L400-402: nothing to do inside both sizes.
    if (pos + size <= this.iDisksize && pos + size <= this.inodeSize()) return size;
    mightSleep(this.runtime, 'ext4_handle_inode_extension', 91);
    // ext4_handle_inode_extension starts a jbd2 handle before it grows the sizes (6.12.117 fs/ext4/file.c L321): an
    // interleaving point (xfs-end-io).
    yield;
    return this.ext4HandleInodeExtension(pos, size, size);
  }

  /** ext4_update_inode_size() (fs/ext4/ext4.h): grow i_size and i_disksize; what changed. */
  private ext4UpdateInodeSize(newsize: number): number {
    const inode = this.requireInode();
    let changed = 0;
    if (newsize > inode.iSize) {
      inode.iSize = newsize;
      changed = 1;
    }
    if (newsize > this.diskSize) {
      this.diskSize = newsize;
      changed |= 2;
    }
    return changed;
  }

  /** ext4_handle_inode_extension() (fs/ext4/file.c L315-338). */
  ext4HandleInodeExtension(offset: number, written: number, count: number): number {
    const handle = this.journal.journalStart();
    const changed = this.ext4UpdateInodeSize(offset + written);
    if (changed) this.markInodeDirty(handle, (changed & 2) !== 0);
    if (this.runtime.tracing) this.runtime.ev(0, 'ext4_handle_inode_extension', `size ${this.inodeSize()}`);
    if (written === count) this.ext4OrphanDel(handle);
    return written;
  }

  /** ext4_update_i_disksize() then ext4_mark_inode_dirty() in `handle` (a buffered write's write_end). */
  ext4MarkInodeDirty(handle: number, disksize: number): void {
    const changed = disksize !== this.diskSize;
    this.diskSize = disksize;
    this.markInodeDirty(handle, changed);
  }

  /** ext4_setattr()'s size change (inode.c L5619-5634): i_disksize takes the new size, logged. */
  ext4SetDisksize(handle: number, size: number): void {
    const changed = size !== this.diskSize;
    this.diskSize = size;
    this.markInodeDirty(handle, changed);
  }

  /** ext4_orphan_add() (fs/ext4/orphan.c L101-223): the inode joins the on-disk orphan list. */
  ext4OrphanAdd(handle: number): number {
    if (this.orphanTracked) return 0;
    this.orphanTracked = true;
    this.orphanChanges.push({ tid: handle, on: true });
    this.markInodeDirty(handle, false);
    return 0;
  }

  /** ext4_orphan_del() (orphan.c L225-300); `handle` null removes it from memory only. */
  ext4OrphanDel(handle: number | null): number {
    if (!this.orphanTracked) return 0;
    this.orphanTracked = false;
    if (handle === null) return 0;
    this.orphanChanges.push({ tid: handle, on: false });
    this.markInodeDirty(handle, false);
    return 0;
  }

  /**
   * ext4_truncate() after a failed write (fs/ext4/truncate.h ext4_truncate_failed_write): the blocks
   * past i_size go, and the orphan the write added leaves the list in the same handle (ext4_truncate
   * adds the inode to the orphan list and deletes it at out_stop). The zeroing of the EOF block's
   * tail in the page cache (ext4_block_truncate_page) is the caller's, which owns the page cache.
   */
  ext4Truncate(): void {
    const handle = this.journal.journalStart();
    const size = this.inodeSize();
    if (size < this.diskSize) this.diskSize = size;
    this.freeBlocksFrom(Math.ceil(size / this.blockSize));
    this.markInodeDirty(handle, true);
    // The orphan ext4_truncate holds while it runs is dropped in the same handle.
    this.ext4OrphanDel(handle);
  }

  /*
   * The shared page-cache side (model/fs/xfsBuffered.ts: writeback allocation and its completion,
   * truncate, fallocate) changes metadata through these; on ext4 each change is a handle in the
   * running transaction that moves the inode's fsync tids as ext4_map_blocks and
   * ext4_do_update_inode do: an unwritten allocation only i_sync_tid (extents.c L4488-4490), a
   * conversion, a freed range or a new i_disksize i_datasync_tid too.
   */
  override allocateUnwritten(block: number, count: number): number {
    const addr = super.allocateUnwritten(block, count);
    this.updateInodeFsyncTrans(this.journal.journalStart(), false);
    return addr;
  }

  override convertUnwritten(block: number, count: number): void {
    super.convertUnwritten(block, count);
    this.updateInodeFsyncTrans(this.journal.journalStart(), true);
  }

  override logDiskSize(size: number, exact = false): void {
    const before = this.journal.lastSeq;
    super.logDiskSize(size, exact);
    if (this.journal.lastSeq !== before) this.updateInodeFsyncTrans(this.journal.journalStart(), true);
  }

  override freeBlocksFrom(block: number): void {
    super.freeBlocksFrom(block);
    this.updateInodeFsyncTrans(this.journal.journalStart(), true);
  }

  /**
   * ext4_forced_shutdown(). Candidate fix (spec/ext4.md, "A sync after an aborted journal"): an
   * aborted journal counts as a shutdown, so direct I/O and syncs fail with -EIO once a commit
   * record failed, as after XFS's shutdown. In 6.12 ext4 shuts down only when a handle start finds
   * the journal aborted (ext4_jbd2.c L83-86), so until then writes go on and a sync returns 0,
   * promising what recovery will not find; the quirk ext4MissesJournalAbort keeps that code.
   */
  ext4ForcedShutdown(): boolean {
    return this.journal.aborted && !this.quirks.ext4MissesJournalAbort;
  }

  /** ext4_sync_file() (fs/ext4/fsync.c L141-193), with a journal. */
  override *fsync(file: File, start: number, end: number, datasync: boolean): KGen<number> {
    this.fsyncCalls++;
    const rt = this.runtime;
    // L147-148.
    if (this.ext4ForcedShutdown()) return -EIO;
    mightSleep(rt, 'ext4_sync_file', 0);
    let needsBarrier = false;
    // L170-172: file_write_and_wait_range() writes the data back first.
    const mapping = file.fInode.iMapping;
    yield* mapping.writeAndWaitRange(rt, start, end);
    let ret = mapping.checkAndAdvanceWbErr();
    if (ret) return ret;
    // L179 ext4_fsync_journal() (L109-128): the inode's transaction, and whether its commit flushes.
    const commitTid = datasync ? this.iDatasyncTid : this.iSyncTid;
    if (this.journal.barrier && !this.journal.transWillSendDataBarrier(commitTid)) needsBarrier = true;
    ret = yield* this.journal.completeTransaction(rt, this.disk, commitTid);
    // The candidate fix again for a sync the abort overtook: jbd2_complete_transaction returns 0
    // for a tid it counts committed, the failed one included (commit.c L1110).
    if (!ret && this.ext4ForcedShutdown()) ret = -EIO;
    // L181-186.
    if (needsBarrier) {
      const err = yield* this.issueFlush();
      if (!ret) ret = err;
    }
    return ret;
  }

  /** kjournald2's commit timer (j_commit_interval): commit the running transaction at a device step. */
  override backgroundLogHook(): void {
    const rt = this.runtime;
    const j = this.journal;
    if (!rt.faults.backgroundLog || !j.runningUsed || j.committingTid !== 0) return;
    if (rt.choose(2, 'log_commit_background') === 1) j.logStartCommit(rt, this.disk, j.runningTid);
  }

  /** A commit of the running transaction (the world's idle log worker). */
  override submitLogWrite(): LogWrite {
    const j = this.journal;
    j.logStartCommit(this.runtime, this.disk, j.runningTid);
    return j.writes[j.writes.length - 1] as LogWrite;
  }

  /**
   * jbd2 recovery (fs/jbd2/recovery.c) and ext4_orphan_cleanup() (fs/ext4/orphan.c): replay the
   * committed transactions, then an inode left on the orphan list is truncated to its i_size
   * (i_disksize), which frees the blocks an interrupted extending write allocated past it.
   */
  override recover(): RecoveredFile {
    const media = this.disk.media;
    const durableSeq = this.journal.durableSeq(media);
    const durableTid = this.journal.durableTid(media);
    const { map, size } = this.journal.replay(this.initialMap, this.initialSize, durableSeq);
    let orphan = false;
    for (const o of this.orphanChanges) if (o.tid <= durableTid) orphan = o.on;
    const bs = this.blockSize;
    if (orphan) for (let b = Math.ceil(size / bs); b < map.blocks; b++) map.set(b, EXT_HOLE, -1);
    const spb = this.sectorsPerBlock;
    const blocks = Math.ceil(size / bs);
    const tags = new Int32Array(blocks * spb);
    for (let b = 0; b < blocks; b++) {
      const written = map.state[b] === EXT_WRITTEN;
      const a = map.addr[b] ?? -1;
      for (let s = 0; s < spb; s++) tags[b * spb + s] = written ? (media[a * spb + s] ?? TAG_ZERO) : TAG_ZERO;
    }
    return { size, map, tags, durableSeq };
  }

  override iomapOpsFor(_flags: number): IomapOps {
    return this.readOps;
  }
}

// The ops tables the model ext4 hands to iomap, as objects that call back into it (as the model
// XFS's are: cheaper per run than closures).

/** ext4_iomap_ops (inode.c L3495-3498): direct reads and allocating writes. */
class Ext4IomapOps implements IomapOps {
  constructor(protected readonly fs: ModelExt4) {}
  iomapBegin(_inode: Inode, pos: number, length: number, flags: number, iomap: Iomap): KGen<number> {
    return this.fs.ext4IomapBegin(pos, length, flags, iomap);
  }
  iomapEnd(_inode: Inode, pos: number, length: number, written: number, flags: number): KGen<number> {
    return this.fs.ext4IomapEnd(pos, length, written, flags);
  }
}

/** ext4_iomap_overwrite_ops (inode.c L3500-3503): writes under the shared lock that allocate nothing. */
class Ext4IomapOverwriteOps extends Ext4IomapOps {
  // ext4_iomap_end is the same entry in both tables.
  override iomapBegin(_inode: Inode, pos: number, length: number, flags: number, iomap: Iomap): KGen<number> {
    return this.fs.ext4IomapOverwriteBegin(pos, length, flags, iomap);
  }
}

/** ext4_dio_write_ops (fs/ext4/file.c L406-408). */
class Ext4DioWriteOps implements IomapDioOps {
  constructor(private readonly fs: ModelExt4) {}
  endIo(iocb: Kiocb, size: number, error: number, flags: number): KGen<number> {
    return this.fs.ext4DioWriteEndIo(iocb, size, error, flags);
  }
}
