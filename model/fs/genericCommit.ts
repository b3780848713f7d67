/**
 * The committed metadata of the scripted filesystem as a whole filesystem (FsSpec.generic): what
 * btrfs and gfs2 promise around their direct I/O, and what the model keeps of it.
 *
 * A filesystem's metadata (which blocks hold the file's data, the size on disk) changes in memory
 * and becomes durable only when a commit writes it: btrfs_sync_file (6.12.117 fs/btrfs/file.c
 * L1581-1858) writes the dirty pages back and waits for their ordered extents (start_ordered_ops
 * L1622, L1651; btrfs_wait_ordered_range L1686), logs the inode into the log tree (L1755) and
 * syncs it (L1793, btrfs_sync_log, fs/btrfs/tree-log.c L2980: the log blocks are written and
 * waited for, then write_all_supers, fs/btrfs/disk-io.c L3990, flushes every device,
 * barrier_all_devices L3914, and writes the super blocks with REQ_FUA, write_dev_supers L3713);
 * gfs2 flushes its journal (gfs2_fsync, fs/gfs2/file.c L742). The size logged is disk_i_size
 * (fs/btrfs/inode.c L3998), which grows only as ordered extents complete
 * (btrfs_inode_safe_disk_i_size_write, fs/btrfs/file-item.c L46). After power loss,
 * log replay makes the file what the last commit on media says.
 *
 * The model: every commit takes a snapshot of the metadata (GenericMeta), numbers it, and writes
 * its number in one sector past the data area with REQ_PREFLUSH|REQ_FUA, serialised (btrfs's
 * log_mutex); recovery reads that sector from media and returns the snapshot it names (the initial
 * metadata if none landed). The flush orders the data of every write completed before the commit
 * ahead of the metadata that points at it. Scope: no background transaction commit (btrfs's
 * commit interval): the metadata reaches the disk only through a sync; a commit record is one
 * sector, where btrfs writes log tree blocks and super blocks.
 */
import { type Bio, REQ_FUA, REQ_OP_WRITE, REQ_PREFLUSH, REQ_SYNC } from '../block/bio.ts';
import { bioAlloc, bioPut } from '../block/bioOps.ts';
import type { Disk } from '../block/disk.ts';
import { EIO } from '../kernel/flags.ts';
import { UserBuffer } from '../mm/userBuffer.ts';
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { logTag } from './journal.ts';

/** Sectors the commit record takes past the data area (one 4 KiB block, for any logical block size). */
export const GENERIC_COMMIT_SECTORS = 8;

/** What the filesystem's metadata says about the file: the model ScriptedFs's state, copied. */
export interface GenericMeta {
  /** The size on disk (btrfs's disk_i_size): grown only by writes whose data completed. */
  readonly size: number;
  /** Blocks of 'new' extents a completed write made the file's. */
  readonly published: ReadonlySet<number>;
  /** Blocks of unwritten extents a completed write converted. */
  readonly converted: ReadonlySet<number>;
  /** File blocks writeback placed on a disk address of their own (file block to byte address). */
  readonly placed: ReadonlyMap<number, number>;
  /** Inline data, which lives in the inode: per inline extent, its tags (by extent index). */
  readonly inline: ReadonlyMap<number, Int32Array>;
}

/** One commit's record write in flight. */
interface RecordWrite {
  done: boolean;
  status: number;
}

export class GenericCommit {
  /** Snapshot of each commit by number; 0 is the metadata at mount. */
  private readonly snapshots: GenericMeta[];
  /** Metadata changes so far (a counter), and how many the last completed commit covers. */
  changes = 0;
  private committedChanges = 0;
  /** The size the last completed commit made durable. */
  committedSize: number;
  /** A commit is writing its record: the next waits (btrfs's log_mutex, gfs2's log lock). */
  private busy = false;

  constructor(
    private readonly rt: Runtime,
    private readonly disk: Disk,
    /** The sector of the commit record, past the file data's part of the disk. */
    readonly recordSector: number,
    initial: GenericMeta,
  ) {
    this.snapshots = [initial];
    this.committedSize = initial.size;
  }

  /** Has metadata changed since the last completed commit (XFS's xfs_ipincount, btrfs's unlogged inode)? */
  get dirty(): boolean {
    return this.changes !== this.committedChanges;
  }

  /**
   * Commit the metadata `take` returns once this commit holds the log (before the flush below, so
   * that it covers only writes whose data completed before the flush; after any earlier commit, so
   * that commits land in the order of their snapshots): its record with REQ_PREFLUSH|REQ_FUA
   * (`preflush` false: a planted defect's record without the flush), waited for. 0, or -EIO if
   * the record failed.
   */
  *commit(take: () => GenericMeta, preflush: boolean): KGen<number> {
    const rt = this.rt;
    yield* rt.waitUntil(() => !this.busy, 'btrfs_sync_log');
    this.busy = true;
    const meta = take();
    const seq = this.snapshots.length;
    const covers = this.changes;
    this.snapshots.push(meta);
    const w: RecordWrite = { done: false, status: 0 };
    const bio = bioAlloc(rt, this.disk, 1, REQ_OP_WRITE | (preflush ? REQ_PREFLUSH : 0) | REQ_FUA | REQ_SYNC);
    const buf = new UserBuffer(0, 512, false);
    buf.tags[0] = logTag(seq);
    bio.buf = buf;
    bio.biIterSector = this.recordSector;
    bio.biSize = 512;
    bio.biEndIo = (b) => recordEndIo(rt, w, b);
    if (rt.tracing) rt.ev(0, 'btrfs_sync_log', `commit ${seq}: size ${meta.size}`);
    this.disk.submitBio(bio);
    yield* rt.waitUntil(() => w.done, 'write_all_supers');
    this.busy = false;
    if (w.status) return -EIO;
    // A later commit may have completed first only if it began first: the busy flag orders them.
    this.committedChanges = covers;
    this.committedSize = meta.size;
    return 0;
  }

  /** What log replay finds after power loss: the snapshot whose number the record on media holds. */
  recovered(media: Int32Array): GenericMeta {
    const tag = media[this.recordSector] ?? 0;
    const seq = -tag - 16;
    return this.snapshots[seq >= 1 && seq < this.snapshots.length ? seq : 0] as GenericMeta;
  }
}

/** The record bio's end_io: its status for the waiting commit. */
// biome-ignore lint/correctness/useYield: bi_end_io runs to completion in interrupt context.
function* recordEndIo(rt: Runtime, w: RecordWrite, b: Bio): KGen {
  w.status = b.biStatus;
  w.done = true;
  bioPut(rt, b, 0);
}
