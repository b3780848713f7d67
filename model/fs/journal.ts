/**
 * The filesystem's journal, XFS-like: every metadata change (allocation, unwritten conversion, COW
 * remap, size change) is a record committed in memory at once and durable only once a log write
 * carrying it is on media. A log write is one bio with REQ_PREFLUSH|REQ_FUA to the log area, so
 * the data writes that completed before it are durable first (the ordering that makes "convert
 * after the data is written" safe). Recovery reads the log area from media: the records of the
 * longest run of log writes 1..m that all landed are replayed; nothing after a missing one is.
 */
import { EXT_HOLE, EXT_UNWRITTEN, EXT_WRITTEN, type ExtentMap } from './extentMap.ts';

export interface JournalRecord {
  readonly seq: number;
  readonly kind: 'alloc' | 'convert' | 'remap' | 'size' | 'free';
  /** First file block and block count (alloc, convert, remap). */
  readonly block: number;
  readonly count: number;
  /** Disk block of `block` (alloc, remap). */
  readonly addr: number;
  /** New i_size (size). */
  readonly size: number;
}

/** Log tags live below zero, apart from data tags: log write `index` writes tag -(16 + index). */
export function logTag(index: number): number {
  return -(16 + index);
}

export interface LogWrite {
  readonly index: number;
  /** Records with seq <= lastSeq travel in this write. */
  readonly lastSeq: number;
  done: boolean;
  error: number;
}

export class Journal {
  readonly records: JournalRecord[] = [];
  readonly writes: LogWrite[] = [];
  /** Highest seq whose log write has completed without error (the inode is unpinned up to it). */
  completedSeq = 0;

  constructor(
    /** First sector of the log area. */
    readonly logStart: number,
    readonly logSectors: number,
  ) {}

  get lastSeq(): number {
    return this.records.length;
  }

  /** Logged but not yet written to the log: xfs_ipincount() > 0, so fdatasync must force the log. */
  get pinned(): boolean {
    return this.completedSeq < this.lastSeq;
  }

  /** Called after every commit: the log worker may push the log right then (a choice of the owner). */
  onCommit: (() => void) | null = null;

  commit(r: Omit<JournalRecord, 'seq'>): JournalRecord {
    // Field by field, not a spread (which was most of commit's time in a campaign's profile), in the
    // spread's key order (the explorer's fingerprints walk fields in order).
    const rec: JournalRecord = {
      kind: r.kind,
      block: r.block,
      count: r.count,
      addr: r.addr,
      size: r.size,
      seq: this.records.length + 1,
    };
    this.records.push(rec);
    this.onCommit?.();
    return rec;
  }

  /** Start a log write of everything committed so far. */
  beginWrite(): LogWrite {
    const w: LogWrite = { index: this.writes.length + 1, lastSeq: this.lastSeq, done: false, error: 0 };
    this.writes.push(w);
    return w;
  }

  sectorOf(w: LogWrite): number {
    return this.logStart + ((w.index - 1) % this.logSectors);
  }

  /**
   * A log write completed. Log writes complete in order, as XFS's iclog state machine runs their
   * callbacks in LSN order: a record counts as written only once every earlier write has too.
   */
  finishWrite(w: LogWrite, error: number): void {
    w.done = true;
    w.error = error;
    for (const x of this.writes) {
      if (!x.done || x.error) break;
      if (x.lastSeq > this.completedSeq) this.completedSeq = x.lastSeq;
    }
  }

  /** Have log writes 1..w all completed? Their error, if any, else 0. */
  settledThrough(w: LogWrite): { done: boolean; error: number } {
    for (const x of this.writes) {
      if (x.index > w.index) break;
      if (!x.done) return { done: false, error: 0 };
      if (x.error) return { done: true, error: x.error };
    }
    return { done: true, error: 0 };
  }

  /** The seq recovery can replay up to, reading the log area from durable media. */
  durableSeq(media: Int32Array): number {
    let seq = 0;
    for (const w of this.writes) {
      if (media[this.sectorOf(w)] !== logTag(w.index)) break;
      seq = Math.max(seq, w.lastSeq);
    }
    return seq;
  }

  /** Replay records up to `seq` over the state the file had when the run began. */
  replay(initial: ExtentMap, initialSize: number, seq: number): { map: ExtentMap; size: number } {
    const map = initial.clone();
    let size = initialSize;
    for (const r of this.records) {
      if (r.seq > seq) break;
      size = applyRecord(map, size, r);
    }
    return { map, size };
  }
}

/** Apply one record to a map; returns the new size. */
export function applyRecord(map: ExtentMap, size: number, r: JournalRecord): number {
  switch (r.kind) {
    case 'alloc':
      for (let i = 0; i < r.count; i++) map.set(r.block + i, EXT_UNWRITTEN, r.addr + i);
      return size;
    case 'convert':
      for (let i = 0; i < r.count; i++)
        if (map.state[r.block + i] === EXT_UNWRITTEN) map.state[r.block + i] = EXT_WRITTEN;
      return size;
    case 'remap':
      for (let i = 0; i < r.count; i++) map.set(r.block + i, EXT_WRITTEN, r.addr + i);
      return size;
    case 'free':
      for (let i = 0; i < r.count; i++) map.set(r.block + i, EXT_HOLE, -1);
      return size;
    case 'size':
      return r.size;
  }
}
