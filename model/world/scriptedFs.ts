/**
 * A scripted filesystem: ->iomap_begin reports the scenario's extents as given (trimmed to nothing,
 * as XFS reports whole extents), ->iomap_end and ->end_io record what they were told, and ->fsync
 * sleeps and succeeds (or fails as scripted).
 *
 * Scope: no allocation, no conversion, no journal; that is the model XFS (model/fs/xfs.ts). This
 * provider exists so that each branch of the seed can be driven by a mapping chosen in a test.
 *
 * It reports only what a real filesystem could report for the operation asked (spec/scope.md,
 * "The scripted filesystem"): IOMAP_F_NEW means "->iomap_begin allocated these blocks just now",
 * which only a write does (XFS: 6.12.117 fs/xfs/xfs_iomap.c L895-906, after xfs_iomap_write_direct
 * in xfs_direct_write_iomap_begin; ext4: fs/ext4/inode.c L3307-3308, EXT4_MAP_NEW from the
 * allocating ext4_map_blocks of ext4_iomap_alloc) and only once per block. So a read sees a 'new'
 * extent as plain blocks, and a block that one write was told is new is old to every later write.
 * IOMAP_F_DIRTY and IOMAP_F_SHARED stay on reads: XFS and ext4 set F_DIRTY on any mapping while the
 * inode has unsynced metadata (fs/xfs/xfs_iomap.c L136-138, fs/ext4/inode.c L3303-3305), and XFS
 * reports shared blocks to a read (xfs_read_iomap_begin).
 */
import type { Disk } from '../block/disk.ts';
import type { Bio } from '../block/bio.ts';
import type { Iomap, IomapDioOps, IomapIter, IomapOps } from '../fs/iomap.ts';
import { type File, type FileOperations, type Inode, type Kiocb, mightSleep } from '../fs/vfs.ts';
import {
  EAGAIN,
  ENOTBLK,
  IOMAP_DELALLOC,
  IOMAP_DIO_COW,
  IOMAP_DIO_UNWRITTEN,
  IOMAP_DIO_WRITE,
  IOMAP_F_DIRTY,
  IOMAP_F_NEW,
  IOMAP_F_SHARED,
  IOMAP_HOLE,
  IOMAP_INLINE,
  IOMAP_MAPPED,
  IOMAP_NOWAIT,
  IOMAP_UNWRITTEN,
  IOMAP_WRITE,
  formatIomapType,
} from '../kernel/flags.ts';
import { SECTOR_SHIFT, TAG_ZERO, userTag } from '../mm/tags.ts';
import { INT32_POOL } from '../runtime/arrayPool.ts';
import { GenContext, type KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { returnNow } from '../runtime/yieldPoint.ts';
import { EXT_WRITTEN, ExtentMap } from '../fs/extentMap.ts';
import { GENERIC_COMMIT_SECTORS, GenericCommit, type GenericMeta } from '../fs/genericCommit.ts';
import type { RecoveredFile } from '../fs/xfs.ts';
import type { WorldQuirks } from './quirks.ts';
import type { ExtentSpec, ExtentType, FsSpec } from './scenario.ts';

const TYPE: Readonly<Record<ExtentType, number>> = {
  hole: IOMAP_HOLE,
  delalloc: IOMAP_DELALLOC,
  mapped: IOMAP_MAPPED,
  unwritten: IOMAP_UNWRITTEN,
  inline: IOMAP_INLINE,
};

export interface IomapEndCall {
  readonly pos: number;
  readonly length: number;
  readonly written: number;
}

export interface EndIoCall {
  readonly size: number;
  readonly error: number;
  readonly flags: number;
  readonly context: string;
}

export class ScriptedFs implements IomapOps, FileOperations {
  /** What ->iomap_begin was asked: position, length and the iomap_iter flags (IOMAP_WRITE, ...). */
  readonly iomapBeginCalls: Array<{ readonly pos: number; readonly length: number; readonly flags: number }> =
    [];
  readonly iomapEndCalls: IomapEndCall[] = [];
  readonly endIoCalls: EndIoCall[] = [];
  fsyncCalls = 0;
  submitIoCalls = 0;
  private readonly inlineTags = new Map<ExtentSpec, Int32Array>();
  /** Blocks of 'new' extents that a write's ->iomap_begin was already told are new (allocated). */
  private readonly allocated = new Set<number>();
  /** Blocks of 'new' extents a successful write's ->end_io covered: reads see them from then on. */
  private readonly published = new Set<number>();
  /**
   * Allocated blocks a failed write left unpublished: the next write is told IOMAP_F_NEW again (its
   * zeroing covers what the failed one never wrote), while a write already given them may still
   * publish them.
   */
  private readonly failedNew = new Set<number>();
  /** Blocks of unwritten extents a successful write's ->end_io converted to written. */
  private readonly converted = new Set<number>();
  /**
   * File blocks that had no disk block (holes, delalloc, past the extents) and that writeback of
   * the page cache allocated one for: file block to disk byte address (model/fs/genericBuffered.ts).
   */
  private readonly writebackPlaced = new Map<number, number>();
  /** Blocks allocated for a writeback still in flight: the file's only once it succeeded. */
  private readonly writebackPending = new Map<number, number>();
  /**
   * As a whole filesystem (FsSpec.generic): its committed metadata and the commits that write it
   * (model/fs/genericCommit.ts), which recovery after power loss reads back; null otherwise.
   */
  readonly commits: GenericCommit | null = null;
  /**
   * The size on disk (btrfs's disk_i_size): what a commit logs. It grows only when a write's data
   * completed: a direct write's ->end_io, a block's writeback (btrfs_finish_one_ordered ->
   * btrfs_inode_safe_disk_i_size_write, 6.12.117 fs/btrfs/file-item.c L46), never at the copy
   * into the page cache that grows i_size.
   */
  private diskSize: number;
  /** Sectors of the disk that hold file data (the commit record lies past them). */
  private readonly dataSectors: number;
  /** Planted defects of the filesystem as a whole (a bug of the catalogue); none in the correct world. */
  quirks: WorldQuirks = {};
  /** dioOps' tables, built at the first request of each direction (undefined: not yet). */
  #readDioOps: IomapDioOps | null | undefined = undefined;
  #writeDioOps: IomapDioOps | null | undefined = undefined;

  constructor(
    private readonly rt: Runtime,
    private readonly spec: FsSpec,
    private readonly disk: Disk,
  ) {
    for (const e of spec.extents) {
      if (e.type === 'inline')
        this.inlineTags.set(e, new Int32Array(Math.ceil(e.length / 512) + 1).fill(TAG_ZERO));
    }
    this.diskSize = spec.iSize;
    // As a whole filesystem, the world gives the disk GENERIC_COMMIT_SECTORS more (model/world/run.ts).
    const commitArea = spec.generic === true && spec.model === 'scripted';
    this.dataSectors = disk.media.length - (commitArea ? GENERIC_COMMIT_SECTORS : 0);
    if (commitArea) this.commits = new GenericCommit(rt, disk, this.dataSectors, this.meta());
  }

  /** The metadata as it stands, copied: what a commit now would make durable. */
  private meta(): GenericMeta {
    const inline = new Map<number, Int32Array>();
    this.spec.extents.forEach((e, i) => {
      const tags = this.inlineTags.get(e);
      if (tags !== undefined) inline.set(i, tags.slice());
    });
    return {
      size: this.diskSize,
      published: copySet(this.published),
      converted: copySet(this.converted),
      placed: this.writebackPlaced.size === 0 ? new Map() : new Map(this.writebackPlaced),
      inline,
    };
  }

  /** A change of the metadata that only a commit makes durable. */
  private metaChanged(): void {
    if (this.commits !== null) this.commits.changes++;
  }

  /** The size on disk grows to `end` (bounded by i_size): a change when it does. */
  private growDiskSize(end: number): void {
    if (end > this.diskSize) {
      this.diskSize = end;
      this.metaChanged();
    }
  }

  /**
   * IOMAP_F_DIRTY for a write mapping of [pos, pos + length), as a whole filesystem: while the
   * inode has metadata no commit made durable, or when the write ends past the committed size
   * (its completion changes the size). XFS's rule (6.12.117 fs/xfs/xfs_iomap.c L136-138,
   * xfs_ipincount and ili_fsync_fields; L871-873 past i_size; commit 7684e2c4384d): without it an
   * O_DSYNC write on a device with FUA takes the write-through path (seed L303-323) and skips
   * generic_write_sync, so nothing commits the metadata it needs. (btrfs and gfs2 set no
   * IOMAP_F_DIRTY: gfs2 writes directly only inside EOF into mapped blocks, fs/gfs2/bmap.c
   * L1110-1119, fs/gfs2/file.c L908-910; btrfs, spec/fs.md.)
   */
  private dirtyFlag(pos: number, length: number): number {
    const c = this.commits;
    if (c === null) return 0;
    if (c.dirty) return IOMAP_F_DIRTY;
    if (pos + length > c.committedSize && !this.quirks.genericNoDirtyPastEof) return IOMAP_F_DIRTY;
    return 0;
  }

  /** Does it behave as a filesystem whose file has data (FsSpec.generic)? */
  get generic(): boolean {
    return this.spec.generic === true;
  }

  /** The dio ops the filesystem passes to iomap_dio_rw (NULL when it has no end_io). */
  dioOps(write: boolean): IomapDioOps | null {
    // One table per direction for the filesystem's life, as a filesystem's static iomap_dio_ops:
    // built at each request, its object and two closures were allocations, and each new closure's
    // first call a lazy compile (perf: CompileLazy under the end_io and submit calls).
    const built = write ? this.#writeDioOps : this.#readDioOps;
    if (built !== undefined) return built;
    const ops = this.buildDioOps(write);
    if (write) this.#writeDioOps = ops;
    else this.#readDioOps = ops;
    return ops;
  }

  private buildDioOps(write: boolean): IomapDioOps | null {
    const endIo = write ? this.spec.endIo !== false : this.spec.readEndIo === true;
    if (!endIo && !this.spec.bioSet && !this.spec.submitIo) return null;
    // One shape whatever the spec asks for (an absent hook undefined): the iomap code that reads
    // these hooks also reads XFS's and ext4's, and eight shapes of these made its loads megamorphic.
    return new ScriptedDioOps(
      endIo ? (iocb, size, error, flags) => this.endIo(iocb, size, error, flags) : undefined,
      this.spec.submitIo ? (iter, bio, pos) => this.submitIo(iter, bio, pos) : undefined,
      this.spec.bioSet ? 'scripted_bio_set' : undefined,
    );
  }

  /**
   * ->iomap_begin: never blocks, so its answer comes without a generator (returnNow: the same
   * steps as a generator function that returns at its first resumption).
   */
  iomapBegin(inode: Inode, pos: number, length: number, iterFlags: number, iomap: Iomap): KGen<number> {
    return returnNow(this.mapBlocks(inode, pos, length, iterFlags, iomap));
  }

  /** What ->iomap_begin answers, and the mapping it fills in. */
  private mapBlocks(_inode: Inode, pos: number, length: number, iterFlags: number, iomap: Iomap): number {
    this.iomapBeginCalls.push({ pos, length, flags: iterFlags });
    const notblk = this.spec.notblkFrom;
    // As a whole filesystem, a NOWAIT write that would need buffered I/O part way is refused at
    // once: btrfs answers -EAGAIN for a NOWAIT range its mapping does not cover whole, so that no
    // NOWAIT request does part of its I/O (6.12.117 fs/btrfs/direct-io.c L507, L514-532).
    if (
      this.spec.generic === true &&
      notblk !== undefined &&
      iterFlags & IOMAP_WRITE &&
      iterFlags & IOMAP_NOWAIT &&
      pos + length > notblk
    )
      return -EAGAIN;
    // A filesystem that cannot do this part of a write directly asks for buffered I/O.
    if (notblk !== undefined && iterFlags & IOMAP_WRITE && pos >= notblk) {
      return -ENOTBLK;
    }
    const bs = this.spec.blockSize;
    const placed = this.spec.generic === true ? this.writebackPlaced.get(Math.floor(pos / bs)) : undefined;
    if (placed !== undefined) {
      if (
        iterFlags & IOMAP_WRITE &&
        iterFlags & IOMAP_NOWAIT &&
        (Math.floor(pos / bs) + 1) * bs < pos + length
      )
        return -EAGAIN;
      // A block writeback allocated (model/fs/genericBuffered.ts) is written file data now, whatever
      // the scripted extent said: btrfs's delalloc becomes a regular extent when the ordered
      // extent of its writeback finishes (6.12.117 fs/btrfs/inode.c btrfs_finish_one_ordered).
      // Field by field (an object literal for Object.assign was an allocation a mapping).
      iomap.addr = placed;
      iomap.offset = Math.floor(pos / bs) * bs;
      iomap.length = bs;
      iomap.type = IOMAP_MAPPED;
      iomap.flags = iterFlags & IOMAP_WRITE ? this.dirtyFlag(pos, length) : 0;
      iomap.bdev = this.disk;
      iomap.inlineData = null;
      if (this.rt.tracing)
        this.rt.ev(0, 'iomap_iter_dstmap', `offset ${iomap.offset} length ${bs} type mapped (written back)`);
      return 0;
    }
    const e = this.extentAt(pos);
    if (e === undefined) {
      // Past the scripted extents: a hole to the end of the address space (or to a block
      // writeback placed there).
      const hole = this.trimPlaced(pos, pos, 1 << 30);
      this.mapHole(iomap, hole.offset, hole.length);
      return 0;
    }
    let readRun: { offset: number; length: number } | null = null;
    const generic = this.spec.generic === true;
    // As a whole filesystem, a NOWAIT write never allocates nor copies on write: XFS refuses both
    // with -EAGAIN (6.12.117 fs/xfs/xfs_iomap.c L826-828, L877-879), and btrfs a NOWAIT write
    // that must COW (btrfs_get_blocks_direct_write, fs/btrfs/direct-io.c). Campaign
    // --kernel 6.12.117 seed -1393008739 run 7,623: without it a NOWAIT write's second mapping
    // after a short page-get was refused part way.
    if (
      generic &&
      iterFlags & IOMAP_WRITE &&
      iterFlags & IOMAP_NOWAIT &&
      (e.flags?.includes('shared') ||
        (e.flags?.includes('new') &&
          !this.runAround(e, pos, (b) => this.allocated.has(b) && !this.failedNew.has(b)).value))
    )
      return -EAGAIN;
    if (generic && e.flags?.includes('new') && !(iterFlags & IOMAP_WRITE)) {
      // A block no write has completed into yet is a hole to a read: btrfs makes a direct write's
      // new extent the file's when its ordered extent finishes, from the bio's end_io
      // (btrfs_dio_end_io, 6.12.117 fs/btrfs/direct-io.c L703-720), and XFS's read mapping is the
      // data fork as it is (xfs_read_iomap_begin, fs/xfs/xfs_iomap.c L1271-1297).
      const run = this.runAround(e, pos, (b) => this.published.has(b));
      if (!run.value) {
        this.mapHole(iomap, run.offset, run.length);
        return 0;
      }
      readRun = run;
    }
    let flags = generic && iterFlags & IOMAP_WRITE ? this.dirtyFlag(pos, length) : 0;
    for (const f of e.flags ?? []) if (f !== 'new') flags |= f === 'dirty' ? IOMAP_F_DIRTY : IOMAP_F_SHARED;
    let offset = readRun?.offset ?? e.offset;
    let extentLength = readRun?.length ?? e.length;
    let type = TYPE[e.type];
    if (generic && e.type === 'unwritten') {
      // Blocks ->end_io converted are written now (xfs_dio_write_end_io converts the range of an
      // IOMAP_DIO_UNWRITTEN write, 6.12.117 fs/xfs/xfs_file.c L495-542; ext4_dio_write_end_io,
      // fs/ext4/file.c L387-388).
      const run = this.runAround(e, pos, (b) => this.converted.has(b));
      offset = run.offset;
      extentLength = run.length;
      if (run.value) type = IOMAP_MAPPED;
    }
    if (e.flags?.includes('new') && iterFlags & IOMAP_WRITE) {
      // Only a write allocates, once per block: report the run of blocks around pos that are all
      // still to allocate (IOMAP_F_NEW) or all allocated already, and allocate what the write asks.
      const run = this.runAround(e, pos, (b) => this.allocated.has(b) && !this.failedNew.has(b));
      offset = run.offset;
      extentLength = run.length;
      // Blocks another write allocated and no ->end_io has published yet are not the file's in any
      // commit, even one made since the allocation: a write into them must sync, and its own
      // ->end_io publishes them (XFS hands it the unwritten extent whose conversion is pending,
      // 6.12.117 fs/xfs/xfs_iomap.c L136-138; btrfs makes it wait for the ordered extent,
      // lock_extent_direct, fs/btrfs/direct-io.c L35-108). Detection stream seed 5 run 166,152: an
      // fdatasync between the allocation and the end_io let the second O_DSYNC write take the FUA
      // path, and power loss before the first write's end_io lost it (DUR-01).
      // And, as XFS's unwritten extent, they are IOMAP_UNWRITTEN to it (6.12.117
      // fs/xfs/xfs_iomap.c L122-125; need_zeroout, seed L295-298): the other write may still fail and leave them unwritten, so a short page-get
      // zeroes this write's block tail (L428-435) before its ->end_io publishes the block. Reported
      // mapped, a short write published the tail no write reached (STALE-02, correct model, swarm
      // campaign seed 1 run 106,226: the first write's zeroing bio failed in submit_bio).
      if (run.value && generic && this.anyUnpublished(offset, extentLength, pos, length)) {
        flags |= IOMAP_F_DIRTY;
        type = IOMAP_UNWRITTEN;
      }
      if (!run.value) {
        flags |= IOMAP_F_NEW;
        const last = Math.min((run.offset + run.length) / bs, Math.ceil((pos + length) / bs));
        // An allocation is a metadata change: until a commit, a write into these blocks (which
        // its own ->end_io publishes, settle) must sync, as XFS's allocation pins the inode
        // (campaign seed 1492902782 run 9,094: an O_DSYNC write into a block another write had
        // just allocated took the FUA path and nothing committed the block).
        if (generic) this.metaChanged();
        for (let k = Math.floor(pos / bs); k < last; k++) {
          this.allocated.add(k);
          this.failedNew.delete(k);
          // A planted defect makes the block the file's before any data reached it.
          if (this.quirks.genericPublishAtAllocation && generic && !this.published.has(k)) {
            this.published.add(k);
            this.metaChanged();
          }
        }
      }
    }
    if (generic && (e.addr === undefined || e.addr < 0)) {
      // A hole or delalloc extent ends where writeback placed a block of it (see iomapBegin's start).
      const trimmed = this.trimPlaced(pos, offset, extentLength);
      offset = trimmed.offset;
      extentLength = trimmed.length;
    }
    // A NOWAIT write needs one mapping over its whole range on btrfs (6.12.117
    // fs/btrfs/direct-io.c L514-532), XFS (fs/xfs/xfs_iomap.c L852-860) and ext4 (ext4_overwrite_io,
    // fs/ext4/file.c L217, L449): as a whole filesystem, the scripted one refuses a NOWAIT write
    // its mapping does not cover whole with -EAGAIN, before any of it is done.
    if (
      generic &&
      iterFlags & IOMAP_WRITE &&
      iterFlags & IOMAP_NOWAIT &&
      offset + extentLength < pos + length
    )
      return -EAGAIN;
    const inline = this.inlineTags.get(e);
    iomap.addr = e.addr === undefined || e.addr < 0 ? (e.addr ?? -1) : e.addr + (offset - e.offset);
    iomap.offset = offset;
    iomap.length = extentLength;
    iomap.type = type;
    iomap.flags = flags;
    iomap.bdev = this.disk;
    iomap.inlineData =
      inline === undefined ? null : { tags: inline, offsetInPage: e.inlineOffsetInPage ?? 0 };
    if (this.rt.tracing)
      this.rt.ev(
        0,
        'iomap_iter_dstmap',
        `offset ${offset} length ${extentLength} type ${formatIomapType(type).toLowerCase()}${flags & IOMAP_F_NEW ? ' new' : ''}`,
      );
    return 0;
  }

  /**
   * A hole mapping of [offset, offset + length), field by field (an object literal for
   * Object.assign was an allocation a mapping). The iomap comes cleared (iomap_iter_advance).
   */
  private mapHole(iomap: Iomap, offset: number, length: number): void {
    iomap.addr = -1;
    iomap.offset = offset;
    iomap.length = length;
    iomap.type = IOMAP_HOLE;
    iomap.flags = 0;
    iomap.bdev = this.disk;
    iomap.inlineData = null;
  }

  /** Is a block of the mapping [offset, offset + length) inside the request not published yet? */
  private anyUnpublished(offset: number, length: number, pos: number, count: number): boolean {
    const bs = this.spec.blockSize;
    const end = Math.ceil(Math.min(offset + length, pos + count) / bs);
    for (let b = Math.floor(Math.max(offset, pos) / bs); b < end; b++)
      if (!this.published.has(b)) return true;
    return false;
  }

  /** [offset, offset + length) around `pos` cut short of every block writeback placed. */
  private trimPlaced(pos: number, offset: number, length: number): { offset: number; length: number } {
    const bs = this.spec.blockSize;
    let start = offset;
    let end = offset + length;
    for (const b of this.writebackPlaced.keys()) {
      const at = b * bs;
      if (at + bs <= pos && at + bs > start) start = at + bs;
      if (at > pos && at < end) end = at;
    }
    return { offset: start, length: end - start };
  }

  /** The run of blocks of `e` around `pos` for which `key` is the same, and that value. */
  private runAround(
    e: ExtentSpec,
    pos: number,
    key: (block: number) => boolean,
  ): { offset: number; length: number; value: boolean } {
    const bs = this.spec.blockSize;
    const first = Math.floor(e.offset / bs);
    const end = Math.ceil((e.offset + e.length) / bs);
    const b = Math.floor(pos / bs);
    const value = key(b);
    let s = b;
    while (s > first && key(s - 1) === value) s--;
    let t = b + 1;
    while (t < end && key(t) === value) t++;
    const offset = Math.max(e.offset, s * bs);
    return { offset, length: Math.min(e.offset + e.length, t * bs) - offset, value };
  }

  /** ->iomap_end of a scripted mapping: never blocks (returnNow, as iomapBegin). */
  iomapEnd(
    _inode: Inode,
    pos: number,
    length: number,
    written: number,
    _flags: number,
    iomap: Iomap,
  ): KGen<number> {
    this.iomapEndCalls.push({ pos, length, written });
    // A direct write into inline data changed the inode (mark_inode_dirty, seed L474-477).
    if (this.commits !== null && iomap.type === IOMAP_INLINE && _flags & IOMAP_WRITE && written > 0) {
      this.metaChanged();
      this.growDiskSize(_inode.iSize);
    }
    // Blocks this mapping allocated (IOMAP_F_NEW) that no bio was submitted to are given back: btrfs ends the
    // unsubmitted part of the ordered extent truncated (btrfs_dio_iomap_end, 6.12.117
    // fs/btrfs/direct-io.c L623-692), which drops its new extent there.
    if (this.spec.generic && iomap.flags & IOMAP_F_NEW && written < length) {
      // Every block past the one the submitted bytes end in, all of them if nothing was submitted
      // (a sub-block write that failed first gives its block back too).
      const bs = this.spec.blockSize;
      this.markFailedNew(
        Math.floor(written === 0 ? pos / bs : (pos + written + bs - 1) / bs),
        Math.ceil((pos + length) / bs),
      );
    }
    return returnNow(0);
  }

  /**
   * ->submit_io: the filesystem submits the bio itself (btrfs does, to add its own end_io), at once
   * or, with `submitIoDeferred`, from a worker context that runs later.
   */
  *submitIo(_iter: IomapIter, bio: Bio, _pos: number): KGen {
    this.submitIoCalls++;
    if (this.spec.submitIoDeferred) {
      const worker = new GenContext('fs_submit_worker', 'workqueue');
      this.rt.spawn(worker.start(deferredSubmit(this.disk, bio)));
    } else {
      yield* this.disk.submitBioGen(bio);
    }
    yield;
  }

  /** ->end_io: passes the error through; with work to do it may sleep (transactions, locks). */
  *endIo(iocb: Kiocb, size: number, error: number, flags: number): KGen<number> {
    this.endIoCalls.push({ size, error, flags, context: this.rt.currentName() });
    // A successful write's blocks become the file's: new blocks are published, unwritten ones
    // converted (ki_pos is still the write's start: iomap_dio_complete calls end_io at seed L91,
    // before L118-119 move it). A failed write changes nothing (xfs_dio_write_end_io, 6.12.117
    // fs/xfs/xfs_file.c L511-512; ext4_dio_write_end_io, fs/ext4/file.c L387-390).
    // A failed write publishes nothing: its new blocks stay holes to reads (btrfs_dio_end_io
    // finishes the ordered extent as not uptodate, 6.12.117 fs/btrfs/direct-io.c L717-719).
    // And its range is freed (btrfs drops the ordered extent's reserved range): the next write into
    // those blocks is told IOMAP_F_NEW and zeroes around its data, rather than publishing the bytes
    // the failed write never wrote.
    if (this.spec.generic && flags & IOMAP_DIO_WRITE && error !== 0 && size > 0) {
      const bs = this.spec.blockSize;
      this.markFailedNew(Math.floor(iocb.kiPos / bs), Math.ceil((iocb.kiPos + size) / bs));
    }
    // Conversion and COW remapping are write work; a read's end_io (zonefs's) has work only on an
    // error, although iomap flags a read of shared blocks IOMAP_DIO_COW too (seed L300-301).
    const conversion =
      (flags & IOMAP_DIO_WRITE) !== 0 && (flags & (IOMAP_DIO_UNWRITTEN | IOMAP_DIO_COW)) !== 0;
    const hasWork = error !== 0 || conversion;
    const sleeps = hasWork && this.spec.endIoMaySleep !== false;
    if (this.spec.generic && flags & IOMAP_DIO_WRITE && error === 0 && size > 0) {
      // The conversion's transaction and ILOCK come first and may sleep, before the extents and
      // i_size change (xfs_reflink_end_cow, xfs_iomap_write_unwritten: 6.12.117
      // fs/xfs/xfs_iomap.c L613-614; ext4_convert_unwritten_extents: fs/ext4/extents.c L4877-4878),
      // as in the model XFS's ->end_io (spec/atomicity.md, xfs-end-io).
      if (sleeps) {
        mightSleep(this.rt, '->end_io', 91);
        yield;
      }
      this.settle(iocb.kiPos, size);
      // A write past EOF grows i_size at completion, as XFS's and ext4's end_io do (6.12.117
      // fs/xfs/xfs_file.c L556-571; fs/ext4/file.c L400-403, ext4_handle_inode_extension): without
      // it a later sub-block write at the old EOF would zero the tail over this write's data.
      const inode = iocb.kiFilp.fInode;
      const end = iocb.kiPos + size;
      if (end > inode.iSize) inode.iSize = end;
      // Its ordered extent finished: the size on disk covers it (btrfs_finish_one_ordered).
      this.growDiskSize(end);
      return error;
    }
    if (sleeps) {
      mightSleep(this.rt, '->end_io', 91);
      yield;
    }
    return error;
  }

  /** The blocks of [pos, pos + size) become the file's (see endIo). */
  private settle(pos: number, size: number): void {
    const bs = this.spec.blockSize;
    for (let b = Math.floor(pos / bs); b < Math.ceil((pos + size) / bs); b++) {
      const e = this.extentAt(b * bs);
      if (e === undefined) continue;
      if (e.flags?.includes('new') && this.allocated.has(b)) {
        if (!this.published.has(b)) this.metaChanged();
        this.published.add(b);
        this.failedNew.delete(b);
      }
      if (e.type === 'unwritten' && !this.converted.has(b)) {
        this.converted.add(b);
        this.metaChanged();
      }
    }
  }

  /**
   * Allocated, unpublished new blocks from `first` up to `end` that a write gave up: the next write
   * is told IOMAP_F_NEW again (see failedNew), while a write already given them may still publish
   * them.
   */
  private markFailedNew(first: number, end: number): void {
    for (let b = first; b < end; b++)
      if (this.allocated.has(b) && !this.published.has(b)) this.failedNew.add(b);
  }

  /** The scripted extent holding file offset `off`, if any (the checkers' vacuity guards read it). */
  extentAtOffset(off: number): ExtentSpec | undefined {
    return this.extentAt(off);
  }

  /** The extent holding file offset `off`, if the scripted mapping has one (a loop: no closure a call). */
  private extentAt(off: number): ExtentSpec | undefined {
    const extents = this.spec.extents;
    for (let i = 0; i < extents.length; i++) {
      const x = extents[i] as ExtentSpec;
      if (x.offset <= off && off < x.offset + x.length) return x;
    }
    return undefined;
  }

  /**
   * What a read of the file's sector at `off` returns now, below the page cache (FsSpec.generic):
   * a block writeback placed, a written block and a published new one from the disk, a converted
   * unwritten one too; holes, delalloc, unpublished new and unconverted unwritten blocks as zeros
   * (as ->iomap_begin reports them to a read, above); inline data from the inode.
   */
  readTagNow(off: number): number {
    const bs = this.spec.blockSize;
    const b = Math.floor(off / bs);
    const placed = this.writebackPlaced.get(b);
    if (placed !== undefined) return this.disk.readTag((placed + (off % bs)) >> SECTOR_SHIFT);
    const e = this.extentAt(off);
    if (e === undefined) return TAG_ZERO;
    if (e.type === 'inline') return this.inlineTags.get(e)?.[(off - e.offset) >> SECTOR_SHIFT] ?? TAG_ZERO;
    if (e.type !== 'mapped' && e.type !== 'unwritten') return TAG_ZERO;
    if (e.addr === undefined || e.addr < 0) return TAG_ZERO;
    if (e.flags?.includes('new') && !this.published.has(b)) return TAG_ZERO;
    if (e.type === 'unwritten' && !this.converted.has(b)) return TAG_ZERO;
    return this.disk.readTag((e.addr + off - e.offset) >> SECTOR_SHIFT);
  }

  /**
   * The inline data holding file offset `off`, and the unit there, for writeback into the inode
   * (btrfs writes an inline extent's data with its inode item, cow_file_range_inline); null if the
   * block is not inline.
   */
  inlineAt(off: number): { tags: Int32Array; unit: number } | null {
    const e = this.extentAt(off);
    if (e === undefined || e.type !== 'inline') return null;
    const tags = this.inlineTags.get(e);
    return tags === undefined ? null : { tags, unit: (off - e.offset) >> SECTOR_SHIFT };
  }

  /**
   * Where writeback writes file block `block` (a disk byte address): its own disk block, or for a
   * block that has none (a hole, delalloc, past the extents) one allocated now, as btrfs allocates
   * a delalloc range when it writes it back (run_delalloc_range, 6.12.117 fs/btrfs/inode.c), away
   * from every extent's blocks. -1 if the disk has no room (then writeback fails with -ENOSPC).
   */
  writebackAddr(block: number): number {
    const bs = this.spec.blockSize;
    const placed = this.writebackPlaced.get(block) ?? this.writebackPending.get(block);
    if (placed !== undefined) return placed;
    const e = this.extentAt(block * bs);
    if (
      e !== undefined &&
      (e.type === 'mapped' || e.type === 'unwritten') &&
      e.addr !== undefined &&
      e.addr >= 0
    )
      return e.addr + block * bs - e.offset;
    // Allocate from the end of the disk down, outside every extent and every block placed already.
    const used = (a: number): boolean =>
      this.spec.extents.some(
        (x) => x.addr !== undefined && x.addr >= 0 && a < x.addr + x.length && x.addr < a + bs,
      ) ||
      [...this.writebackPlaced.values()].some((p) => p === a) ||
      [...this.writebackPending.values()].some((p) => p === a);
    for (let a = Math.floor((this.dataSectors << SECTOR_SHIFT) / bs) * bs - bs; a >= 0; a -= bs) {
      if (used(a)) continue;
      this.writebackPending.set(block, a);
      return a;
    }
    return -1;
  }

  /**
   * Writeback of file block `block` failed: a block allocated for it is given back, and the file
   * block stays what it was (btrfs finishes the ordered extent as not uptodate and drops its
   * extent, btrfs_finish_one_ordered, 6.12.117 fs/btrfs/inode.c L3025).
   */
  writebackFailed(block: number): void {
    this.writebackPending.delete(block);
  }

  /**
   * Writeback of file block `block` completed without error: the block is the file's written data
   * now. A new block is published (its ordered extent finished: btrfs_finish_one_ordered, 6.12.117
   * fs/btrfs/inode.c), an unwritten one converted (xfs_end_ioend converts what writeback wrote,
   * fs/xfs/xfs_aops.c; btrfs writes a prealloc extent's blocks NOCOW and marks them written).
   */
  writebackDone(block: number, iSize: number): void {
    // Its ordered extent finished: the size on disk covers the block, up to i_size.
    const bs = this.spec.blockSize;
    this.growDiskSize(Math.min(iSize, (block + 1) * bs));
    const pending = this.writebackPending.get(block);
    if (pending !== undefined) {
      this.writebackPending.delete(block);
      this.writebackPlaced.set(block, pending);
      this.metaChanged();
      return;
    }
    const e = this.extentAt(block * bs);
    if (e === undefined || this.writebackPlaced.has(block)) return;
    if (e.flags?.includes('new')) {
      if (!this.published.has(block)) this.metaChanged();
      this.allocated.add(block);
      this.published.add(block);
      this.failedNew.delete(block);
    }
    if (e.type === 'unwritten' && !this.converted.has(block)) {
      this.converted.add(block);
      this.metaChanged();
    }
  }

  *fsync(file: File, _start: number, _end: number, _datasync: boolean): KGen<number> {
    this.fsyncCalls++;
    mightSleep(this.rt, '->fsync', 126);
    const commits = this.commits;
    if (commits === null) {
      yield;
      return this.spec.fsyncErrno ? -this.spec.fsyncErrno : 0;
    }
    // As a whole filesystem, btrfs_sync_file (6.12.117 fs/btrfs/file.c L1581-1858) over the whole
    // file (L1612-1614): the dirty pages written back and waited for (start_ordered_ops L1622,
    // btrfs_wait_ordered_range L1686), the inode logged and the log synced (L1755, L1793): a
    // commit (model/fs/genericCommit.ts); then a writeback error is reported once, unless the
    // commit failed (file_check_and_advance_wb_err, L1846-1848).
    const mapping = file.fInode.iMapping;
    if (!this.quirks.genericFsyncSkipsData)
      yield* mapping.writeAndWaitRange(this.rt, 0, Number.MAX_SAFE_INTEGER);
    else yield;
    if (this.spec.fsyncErrno) return -this.spec.fsyncErrno;
    // A planted defect returns before the commit (its data written back, its metadata not).
    const ret = this.quirks.genericFsyncNoCommit
      ? 0
      : yield* commits.commit(() => this.meta(), !this.quirks.genericCommitWithoutPreflush);
    const err = mapping.checkAndAdvanceWbErr();
    return ret || err;
  }

  /**
   * After power loss, as a whole filesystem: the file as the last commit on media says it is
   * (log replay), read back from media up to the end of its EOF block, as ModelXfs.recover does;
   * null otherwise (the scripted provider keeps no metadata).
   */
  recover(): RecoveredFile | null {
    const commits = this.commits;
    if (commits === null) return null;
    const media = this.disk.media;
    const meta = commits.recovered(media);
    const bs = this.spec.blockSize;
    const spb = bs >> SECTOR_SHIFT;
    const blocks = Math.ceil(meta.size / bs);
    const map = ExtentMap.take(blocks);
    // Every entry is written below, so a recycled buffer needs no clearing (recycleRun gives it back).
    const tags = INT32_POOL.takeToOverwrite(blocks * spb);
    for (let b = 0; b < blocks; b++) {
      const addr = this.committedAddr(meta, b * bs);
      if (addr >= 0) map.set(b, EXT_WRITTEN, Math.floor(addr / bs));
      for (let s = 0; s < spb; s++)
        tags[b * spb + s] = this.committedTag(meta, media, b * bs + (s << SECTOR_SHIFT));
    }
    return { size: meta.size, map, tags, durableSeq: -(media[commits.recordSector] ?? 0) - 16 };
  }

  /** The disk byte address the committed metadata gives file offset `off`, or -1 (zeros, inline). */
  private committedAddr(meta: GenericMeta, off: number): number {
    const bs = this.spec.blockSize;
    const b = Math.floor(off / bs);
    const placed = meta.placed.get(b);
    if (placed !== undefined) return placed + (off % bs);
    const e = this.extentAt(off);
    if (e === undefined || (e.type !== 'mapped' && e.type !== 'unwritten')) return -1;
    if (e.addr === undefined || e.addr < 0) return -1;
    if (e.flags?.includes('new') && !meta.published.has(b)) return -1;
    if (e.type === 'unwritten' && !meta.converted.has(b)) return -1;
    return e.addr + off - e.offset;
  }

  /** What the committed metadata reads at `off` from media (as readTagNow does from the live state). */
  private committedTag(meta: GenericMeta, media: Int32Array, off: number): number {
    const e = this.extentAt(off);
    if (e !== undefined && e.type === 'inline' && !meta.placed.has(Math.floor(off / this.spec.blockSize)))
      return meta.inline.get(this.spec.extents.indexOf(e))?.[(off - e.offset) >> SECTOR_SHIFT] ?? TAG_ZERO;
    const addr = this.committedAddr(meta, off);
    return addr < 0 ? TAG_ZERO : (media[addr >> SECTOR_SHIFT] ?? TAG_ZERO);
  }
}

/**
 * The scripted file's original contents on the disk (FsSpec.generic), as the model XFS lays its own down
 * (ModelXfs.seedInitialData): write 0's data in the blocks of mapped extents up to i_size, zeros
 * after it. A block that ->iomap_begin reports IOMAP_F_NEW to a write is not the file's yet (reads
 * see a hole there, below), so it keeps whatever the disk held; unwritten blocks read as zeros
 * whatever they hold.
 */
export function seedScriptedDisk(disk: Disk, spec: FsSpec): void {
  if (spec.generic !== true) return;
  for (const e of spec.extents) {
    if (e.type !== 'mapped' || e.addr === undefined || e.addr < 0 || e.flags?.includes('new')) continue;
    const first = e.addr >> SECTOR_SHIFT;
    // Recycled media are refilled only where a run wrote (Disk.mediaWritten).
    disk.mediaWritten(first, Math.min(e.length >> SECTOR_SHIFT, Math.max(0, disk.media.length - first)));
    for (let k = 0; k < e.length >> SECTOR_SHIFT; k++) {
      const unit = (e.offset >> SECTOR_SHIFT) + k;
      if (first + k < disk.media.length)
        disk.media[first + k] = unit << SECTOR_SHIFT < spec.iSize ? userTag(0, unit) : TAG_ZERO;
    }
  }
}

/** The worker of a deferred ->submit_io (declared once, not per bio). */
function* deferredSubmit(disk: Disk, bio: Bio): KGen {
  yield* disk.submitBioGen(bio);
}

/** The scripted filesystem's iomap_dio_ops: the hooks its spec asks for, the others undefined. */
class ScriptedDioOps implements IomapDioOps {
  constructor(
    readonly endIo: ((iocb: Kiocb, size: number, error: number, flags: number) => KGen<number>) | undefined,
    readonly submitIo: ((iter: IomapIter, bio: Bio, pos: number) => KGen) | undefined,
    readonly bioSet: string | undefined,
  ) {}
}

/**
 * A copy of `s`: an empty one without the iteration a copy constructor makes (about three times
 * the cost, at every generic world's start and commit, where the sets are mostly empty).
 */
function copySet(s: ReadonlySet<number>): Set<number> {
  return s.size === 0 ? new Set() : new Set(s);
}
