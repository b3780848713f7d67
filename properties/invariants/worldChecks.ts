/**
 * Checkers of the world: what buffered and mmap reads return, what survives power loss, and the
 * page cache's coherence with direct writes.
 */
import { EXT_WRITTEN } from '../../model/fs/extentMap.ts';
import { GenericBuffered } from '../../model/fs/genericBuffered.ts';
import type { RecoveredFile } from '../../model/fs/xfs.ts';
import {
  formatTag,
  isUserTag,
  PAGE_SIZE,
  SECTOR_SHIFT,
  SECTOR_SIZE,
  TAG_ZERO,
  tagUnit,
  tagWriteId,
} from '../../model/mm/tags.ts';
import type { CompletionView, FileOpView, RequestView, WorldView } from '../../model/world/probe.ts';
import { DEFAULT_BUF_ADDR } from '../../model/world/run.ts';
import type { BufferedOpSpec } from '../../model/world/scenario.ts';
import {
  dioAcked,
  dioAckStep,
  dioDsync,
  firstBadTag,
  historyHolds,
  ownCount,
  type WriteInfo,
  writesOf,
} from './data.ts';
import { fail } from './fail.ts';
import type { Invariant } from './invariant.ts';

/*
 * The helpers below run for every acknowledged write, and some for every sector, of every run:
 * plain loops over the world's records, no arrays or closures made per call.
 */

/**
 * Did a truncate take effect after `step` (or never return)? A truncate that finished after a
 * write began may legitimately have removed that write's data.
 */
export function reshapedAfter(w: WorldView, step: number): boolean {
  const ops = w.fileOps;
  for (let i = 0; i < ops.length; i++) {
    const f = ops[i] as FileOpView;
    if (f.kind === 'truncate' && (f.returned === null || f.returnStep > step)) return true;
  }
  return false;
}

/**
 * Did a writeback error happen between these steps? Linux reports each writeback error to one
 * fsync of the file only (errseq_t, shared by the threads of one open file), so after one the
 * data behind it may be gone while other syncs return 0: a documented limit, not a finding.
 */
function writebackErrorBetween(w: WorldView, from: number, to: number): boolean {
  const steps = w.inode.iMapping.wbErrorSteps;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as number;
    if (step >= from && step <= to) return true;
  }
  return false;
}

/** The record of direct I/O request `id`, or undefined. */
function requestById(w: WorldView, id: number): RequestView | undefined {
  const rs = w.requests;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i] as RequestView;
    if (r.id === id) return r;
  }
  return undefined;
}

/**
 * Did a sync that began after this write was acknowledged fail before `to`? Then the write's loss
 * was reported, and Linux reports an error to one fsync per file description: the cursor advances
 * (6.12.117 Documentation/filesystems/vfs.rst L778-791; jbd2 likewise counts a transaction whose
 * commit record failed as committed, fs/jbd2/commit.c L1110, so a later fdatasync finds nothing to
 * wait for). A later successful sync promises nothing more for it.
 */
function syncErrorReported(w: WorldView, ackStep: number, to: number): boolean {
  for (const s of w.syncs) {
    if (s.returned !== null && s.returned < 0 && s.startStep >= ackStep && s.returnStep <= to) return true;
  }
  return false;
}

/** Did power fail after this sync returned success? Then what it promised must be on media. */
function syncedBefore(w: WorldView, crashStep: number): { startStep: number; returnStep: number } | null {
  let best: { startStep: number; returnStep: number } | null = null;
  for (const s of w.syncs) {
    if (s.returned !== 0 || s.returnStep === 0 || s.returnStep > crashStep) continue;
    if (best === null || s.startStep > best.startStep) best = s;
  }
  return best;
}

/**
 * The caller contract of O_DIRECT (open(2) NOTES): an application must not mix direct and
 * buffered or mmap I/O on the same blocks at the same time. A write that did is exempt from the
 * promises below: the page cache may legitimately write a stale copy back over it.
 */
export function mixedWithPageCache(w: WorldView, wr: WriteInfo): boolean {
  if (wr.kind === 'initial') return false;
  const bs = w.scenario.fs.blockSize;
  const first = Math.floor(wr.pos / bs);
  const last = Math.floor((wr.pos + wr.len - 1) / bs);
  // Plain loops and no closures: this runs for every acknowledged write of every run.
  // Buffered writes dirty the page cache; reads only fill it, and post-write invalidation covers them.
  for (const f of w.fileOps) {
    if (f.kind !== 'buffered_write' || f.id === wr.id) continue;
    const ended = f.returned === null ? Number.POSITIVE_INFINITY : f.returnStep;
    const op = f.op as BufferedOpSpec;
    if (overlapsWrite(wr, bs, first, last, f.startStep, ended, op.pos, op.len)) return true;
  }
  // A direct write that fell back to buffered I/O (-ENOTBLK) went through the page cache too.
  for (const r of w.requests) {
    if (!r.iocb.fellBackToBuffered || r.id === wr.id) continue;
    const ended = r.returned === null ? Number.POSITIVE_INFINITY : r.returnStep;
    if (overlapsWrite(wr, bs, first, last, r.startStep, ended, r.startPos, r.len)) return true;
  }
  return false;
}

/** Did an I/O over [pos, pos + len) run between `start` and `end` while the write was in flight? */
function overlapsWrite(
  wr: WriteInfo,
  bs: number,
  first: number,
  last: number,
  start: number,
  end: number,
  pos: number,
  len: number,
): boolean {
  return (
    start <= wr.ackStep &&
    end >= wr.startStep &&
    Math.floor(pos / bs) <= last &&
    Math.floor((pos + len - 1) / bs) >= first
  );
}

/** Did the pre-write page-cache invalidation of this direct write fail (and the write go on)? */
function preInvalidationFailed(w: WorldView, id: number): boolean {
  return requestById(w, id)?.iocb.acct.preInvalidationFailed === true;
}

/**
 * The kernel's documented hazard (mm/filemap.c kiocb_invalidate_post_direct_write warns "possible
 * data corruption"): a post-write invalidation failed, so a page may stay cached with data older
 * than this write's, which a buffered read returns and a writeback of the page puts back on disk.
 * A write whose pre-write invalidation failed is not excused: since 60263d5889e6 such a write does not
 * go on as a direct write, so one that did is the bug (`invalidation-failure-ignored`).
 */
export function staleAfterPostInvalidation(w: WorldView, id: number): boolean {
  return w.inode.iMapping.staleWarnings > 0 && !preInvalidationFailed(w, id);
}

/**
 * Did this direct write fall back to buffered I/O and leave its data in the page cache? The model
 * XFS's fallback leaves dirty pages for writeback (xfs_file_buffered_write). The caller of the
 * scripted filesystem as a whole filesystem writes its fallback back and waits for it before it
 * returns (btrfs_direct_write, model/fs/genericCaller.ts), so such a write is judged like any other.
 */
export function fellBack(w: WorldView, id: number): boolean {
  if (genericWhole(w)) return false;
  return requestById(w, id)?.iocb.fellBackToBuffered === true;
}

/** Is this a run of the scripted filesystem as a whole filesystem (FsSpec.generic)? */
export function genericWhole(w: WorldView): boolean {
  return w.xfs === null && w.scenario.fs.generic === true;
}

/**
 * Does the caller of the scripted filesystem as a whole filesystem finish this request itself
 * (resume loop, buffered fallback: model/fs/genericCaller.ts)? Not a request with done_before,
 * which stands for one call of that loop.
 */
export function callerFinishes(w: WorldView, r: RequestView): boolean {
  return genericWhole(w) && r.doneBefore === 0;
}

/**
 * Can this request's data tags be split inside one 512-byte unit? The tags are per 512 bytes of the
 * user buffer, and a copy that stops at a page boundary of a buffer that is not on a 512-byte
 * boundary stops inside a unit (hole and unwritten zeroing copies byte by byte, seed L444-453).
 * A request whose caller resumes it (model/fs/genericCaller.ts) then finishes that unit in a later
 * call, which fills only whole units: the unit reads as untouched though every byte of it moved.
 */
export function tagsSplitByResume(w: WorldView, r: RequestView): boolean {
  if (!callerFinishes(w, r) || !r.partial) return false;
  return ((r.op.bufAddr ?? DEFAULT_BUF_ADDR) & (SECTOR_SIZE - 1)) !== 0;
}

/**
 * A direct write on the scripted filesystem as a whole filesystem that fell back to buffered I/O,
 * with a writeback error while it ran (SYS-03 and RES-07 do not judge what it left).
 */
export function genericFallbackBehindWritebackError(w: WorldView, wr: WriteInfo): boolean {
  if (!genericWhole(w)) return false;
  const r = requestById(w, wr.id);
  return r !== undefined && r.iocb.fellBackToBuffered && writebackErrorBetween(w, wr.startStep, wr.ackStep);
}

/** Is write `id` a direct write whose tags a resume split (tagsSplitByResume)? */
function splitByResume(w: WorldView, id: number): boolean {
  const r = requestById(w, id);
  return r?.write === true && tagsSplitByResume(w, r);
}

/**
 * What a read(2) of the scripted filesystem as a whole filesystem returns at `off` now: the page
 * cache over the file (GenericBuffered.tagAt). The model filesystems answer from their data fork.
 */
export function genericTagNow(w: WorldView, off: number): number {
  const aops = w.inode.iMapping.aops;
  return aops instanceof GenericBuffered ? aops.tagAt(off) : TAG_ZERO;
}

/**
 * Did this write, on the scripted filesystem as a whole filesystem, write into inline data? Then
 * iomap_dio_inline_iter copied it into the inode and left IOMAP_DIO_WRITE_THROUGH set (seed
 * L467-478, no bio clears it at L270), so iomap_dio_rw dropped IOMAP_DIO_NEED_SYNC (seed L697-698)
 * and nothing synced it: O_DSYNC promises nothing there. No 6.12 filesystem writes inline data
 * directly (gfs2 answers -ENOTBLK for a stuffed inode, 6.12.117 fs/gfs2/bmap.c L1110-1119; btrfs
 * sends inline extents to buffered I/O): the scripted one does, for the seed's inline branch.
 */
function inlineWrite(w: WorldView, wr: WriteInfo): boolean {
  if (wr.kind !== 'dio' || !genericWhole(w)) return false;
  // A loop, not extents.some: a closure per call.
  for (const e of w.scenario.fs.extents)
    if (e.type === 'inline' && wr.pos < e.offset + e.length && e.offset < wr.pos + wr.len) return true;
  return false;
}

/** A write whose data must read back after recovery: its acknowledged bytes, unless later reshaped. */
function checkDurable(
  w: WorldView,
  id: string,
  wr: WriteInfo,
  rec: RecoveredFile,
  writes: ReadonlyMap<number, WriteInfo>,
  why: string,
): void {
  if (reshapedAfter(w, wr.startStep) || mixedWithPageCache(w, wr)) return;
  const end = wr.pos + wr.acked;
  if (rec.size < end)
    fail(w, id, 0, `${why}: write ${wr.id} ended at ${end} but recovery found i_size ${rec.size}`);
  for (let off = wr.pos; off < end; off += SECTOR_SIZE) {
    const tag = rec.tags[off >> SECTOR_SHIFT] ?? TAG_ZERO;
    if (isUserTag(tag) && mayReplace(writes.get(tagWriteId(tag)), wr)) continue;
    // A racing write's zeroing inside its own range, as SYS-03 and DATA-01 allow (zeroedByRacingWrite),
    // even where that write later returned a count over it: after power loss its data there is
    // durable only if it was synced, which its own DUR-01 / DUR-02 check judges, and media may keep
    // the zeros its earlier bio left (a PARTIAL write resumed after a page-get fault, seed L428-435,
    // whose zeroing a racing O_DSYNC write's flush made durable). Hence no acknowledgment counts: -Infinity.
    if (tag === TAG_ZERO && zeroedByRacingWrite(writes, off, wr, -Infinity)) continue;
    fail(
      w,
      id,
      0,
      `${why}: write ${wr.id} lost at offset ${off} after power loss (read back ${formatTag(tag)})`,
    );
  }
}

/** May write `x`'s data stand where `wr`'s was? Yes if it is `wr`, or was not finished when `wr` began. */
export function mayReplace(x: WriteInfo | undefined, wr: WriteInfo): boolean {
  return x !== undefined && (x.id === wr.id || x.ackStep > wr.startStep);
}

/**
 * Is `off` inside the range of a direct write, other than `n`, that had not returned when `n` began
 * (its result, success or error, had not reached its caller: a write that failed before `n` began
 * is over and left nothing in flight), and that had not acknowledged `off` as written by `seenAt`
 * (the step the data was seen: a read's start, or Infinity at quiescence)? Once a write has said it
 * wrote `off`, a zero there is not its to leave.
 *
 * Why such zeros are no finding: iomap zeroes the rest of a block after a page-get fault (seed
 * L388-398, L428-435) in a write whose buffer starts inside a page, and an aligned write runs under
 * the shared lock, so a concurrent write to the block may finish in between. Overlapping concurrent
 * writes have no order, and a write that fails or comes up short promises nothing about the bytes
 * of its range past its count (write(2) reports what it wrote; 6.12.118 returns -EFAULT there, seed
 * L439-441 and iomap_dio_complete's error over its size, L88-99): those bytes are its to leave.
 * Zeros a write leaves where it returned a count over them (the 6.12.107-6.12.117 head zeroing,
 * baseline sys-03-world-xfs-bio-status-get-pages-fault.json) stay a violation: that write is `n`.
 */
export function zeroedByRacingWrite(
  all: ReadonlyMap<number, WriteInfo>,
  off: number,
  n: WriteInfo,
  seenAt: number,
): boolean {
  for (const x of all.values()) {
    if (x.kind !== 'dio' || x.id === n.id || x.doneStep <= n.startStep) continue;
    if (off < x.pos || off >= x.pos + x.len) continue;
    if (off < x.pos + x.acked && x.ackStep <= seenAt) continue;
    return true;
  }
  return false;
}

const ACKED_SCRATCH: WriteInfo[] = [];

/**
 * Did a direct write return success by `step` (ackStep, data.ts buildWrites)? The records' own
 * fields, so that a read with none before it does not build the run's writes.
 */
function dioWriteAckedBy(w: WorldView, step: number): boolean {
  const rs = w.requests;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i] as RequestView;
    if (r.write && dioAckStep(r) <= step) return true;
  }
  return false;
}

/** Did an O_DSYNC direct write report bytes (DUR-01's: acked not 0) by `step`? */
function dsyncWriteAckedBy(w: WorldView, step: number): boolean {
  const rs = w.requests;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i] as RequestView;
    if (r.write && dioAcked(r) !== 0 && dioAckStep(r) <= step && dioDsync(r)) return true;
  }
  return false;
}

/** Did a direct write (a PARTIAL one only, if `partial`) report a count of its own above 0? */
export function dioWriteAcked(w: WorldView, partial: boolean): boolean {
  const rs = w.requests;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i] as RequestView;
    if (r.write && (!partial || r.partial) && dioAcked(r) > 0) return true;
  }
  return false;
}

/** Is the newest acknowledged write `n` exempt from what a read begun at `startStep` saw? */
function exemptFromAckedRead(w: WorldView, n: WriteInfo, startStep: number): boolean {
  if (reshapedAfter(w, n.startStep)) return true;
  if (mixedWithPageCache(w, n) || fellBack(w, n.id)) return true;
  // A resumed write whose buffer is off a 512-byte boundary splits a tag between two calls: its
  // data cannot be judged by tags (tagsSplitByResume; campaign seed 303 run 62,933).
  if (splitByResume(w, n.id)) return true;
  // The stale page a failed post-write invalidation left is what a page-cache read returns, and
  // what a direct read reads once a later buffered write into that page, or the read's own flush
  // (filemap_write_and_wait_range), wrote it back over this write: the documented hazard, as
  // SYS-03 exempts it (swarm campaign seed 4 run 52,835, ext4-direct-read-after-stale-page-written-back).
  if (staleAfterPostInvalidation(w, n.id)) return true;
  return writebackErrorBetween(w, n.startStep, startStep);
}

/**
 * The first offset where a read that started at `startStep` returned data older than the newest
 * direct write that had returned success before it, or null. Writes that mixed with the page
 * cache, fell back to buffered I/O, or lost data to a writeback error are exempt, and so is a
 * failed post-write invalidation after a successful pre-write one (the kernel's documented
 * "tough"), for a page-cache read and for a direct read alike (a later buffered write into the
 * stale page, or the read's own flush, writes it back; the model does not record whether that
 * happened, and SYS-03 exempts the same way).
 */
function olderThanAckedWrite(
  w: WorldView,
  tags: Int32Array,
  pos: number,
  bytes: number,
  startStep: number,
): { offset: number; write: number } | null {
  // Most reads follow no acknowledged direct write: then the run's writes are not built at all.
  if (!dioWriteAckedBy(w, startStep)) return null;
  const all = writesOf(w);
  // The direct writes acknowledged before the read began, in a scratch array (no call nests).
  const writes = ACKED_SCRATCH;
  writes.length = 0;
  for (const x of all.values()) if (x.kind === 'dio' && x.ackStep <= startStep) writes.push(x);
  if (writes.length === 0) return null;
  // Whether the newest write of the last sector was exempt: the sectors of a run of them share it.
  let judged: WriteInfo | null = null;
  let exempt = false;
  for (let off = pos; off < pos + bytes; off += SECTOR_SIZE) {
    let newest: WriteInfo | null = null;
    for (let i = 0; i < writes.length; i++) {
      const x = writes[i] as WriteInfo;
      // Whole sectors only: a count that ends inside a sector (a buffered fallback's short copy)
      // left that sector part new, part old, which a sector's tag cannot say; SYS-03 alike.
      if (
        off >= x.pos &&
        off + SECTOR_SIZE <= x.pos + x.acked &&
        (newest === null || x.ackStep > newest.ackStep)
      )
        newest = x;
    }
    if (newest === null) continue;
    const n = newest;
    if (n !== judged) {
      judged = n;
      exempt = exemptFromAckedRead(w, n, startStep);
    }
    if (exempt) continue;
    const tag = tags[(off - pos) >> SECTOR_SHIFT] ?? TAG_ZERO;
    if (isUserTag(tag) && tagWriteId(tag) >= n.id) continue;
    // A write issued before `newest` finished may still legitimately win the race.
    if (isUserTag(tag) && (all.get(tagWriteId(tag))?.ackStep ?? 0) > n.startStep) continue;
    // So may a racing write's zeroing inside its own range (the tail and head zeroing around a
    // page-get fault, seed L432-435 and L303-305): that range is the racing write's to fill, and
    // until it says it wrote there (or after it fails) its contents are whatever it left. Zeroing
    // outside a write's own range is another matter (the reason sub-block writes are serialised)
    // and stays a violation, as do zeros where it had acknowledged its data before the read.
    if (tag === TAG_ZERO && zeroedByRacingWrite(all, off, n, startStep)) continue;
    return { offset: off, write: n.id };
  }
  return null;
}

/**
 * The end of file a read saw, for judging what it returned past it (data.ts judgeTag): i_size now,
 * or, when a write, truncate or fallocate ran while it did (the size may have moved under it), the
 * start of what it read, so that all of an mmap read's EOF block counts as past EOF.
 */
function eofSeen(w: WorldView, f: FileOpView): number {
  const end = f.returnStep;
  for (const o of w.fileOps) {
    if (o.id === f.id || o.kind === 'buffered_read' || o.kind === 'mmap_read') continue;
    if (o.startStep <= end && (o.returned === null || o.returnStep >= f.startStep)) return f.readPos;
  }
  for (const r of w.requests) {
    if (!r.write) continue;
    const done = r.completions[0]?.step ?? Number.POSITIVE_INFINITY;
    if (r.startStep <= end && done >= f.startStep) return f.readPos;
  }
  return w.inode.iSize;
}

export const WORLD_CHECKS: readonly Invariant[] = [
  {
    id: 'STALE-02',
    name: 'BufferedAndMmapReadsNeverStale',
    kind: 'safety',
    family: 'stale',
    statement:
      'A buffered read, or an mmap read of the EOF block, never returns stale disk contents, data from another offset, or data a truncate removed before it began; past EOF an mmap read may see what a crash left there.',
    source:
      'seed L422-435 (the EOF block tail); iomap operations.rst; commit 4721a6010990; 6.12.117 fs/iomap/buffered-io.c L419-429, mm/truncate.c L218-245 (spec/invariants.md, "Data by history")',
    probe: {
      onFileOp(w: WorldView, f: FileOpView) {
        if (f.buf === null || f.returned === null || f.returned <= 0) return;
        if (f.kind !== 'buffered_read' && f.kind !== 'mmap_read') return;
        const pos = f.readPos;
        const bad = firstBadTag(
          f.buf.tags,
          f.returned >> SECTOR_SHIFT,
          pos,
          w,
          f.startStep,
          eofSeen(w, f),
          historyHolds(w, f.returnStep),
        );
        if (bad !== null) {
          fail(
            w,
            'STALE-02',
            434,
            `${f.kind} req${f.id} saw ${bad.verdict} data at offset ${pos + (bad.unit << SECTOR_SHIFT)}`,
          );
        }
      },
    },
  },
  {
    id: 'STALE-03',
    name: 'NoStaleAfterPowerLoss',
    kind: 'safety',
    family: 'stale',
    statement:
      'After power loss at any step and recovery, the file up to the end of its EOF block holds only zeros or data written at that offset, none that a truncate a successful sync followed removed, and past EOF nothing but that or what an earlier crash left there.',
    source:
      'writeback_cache_control.rst; seed L295-298, L422-435; fs/xfs xfs_dio_write_end_io; spec/invariants.md, "Data by history"',
    probe: {
      onRecovered(w: WorldView, rec: RecoveredFile | null, crashStep: number) {
        if (rec === null) return;
        // A truncate's removal is durable once a sync that began after it returned 0 (data.ts).
        const synced = syncedBefore(w, crashStep)?.startStep ?? 0;
        const bad = firstBadTag(
          rec.tags,
          rec.tags.length,
          0,
          w,
          synced,
          rec.size,
          historyHolds(w, crashStep),
        );
        if (bad !== null)
          fail(
            w,
            'STALE-03',
            0,
            `recovery exposes ${bad.verdict} data at offset ${bad.unit << SECTOR_SHIFT}`,
          );
      },
    },
  },
  {
    id: 'DUR-01',
    name: 'DsyncWriteSurvivesPowerLoss',
    kind: 'safety',
    family: 'durability',
    statement:
      'An O_DSYNC or O_SYNC direct write that returned success survives power loss, with the size and extent state needed to read it.',
    source: 'open(2) O_DSYNC; seed L303-323, L617-632, L692-698; commits 0929d8580071, 7684e2c4384d',
    probe: {
      onRecovered(w: WorldView, rec: RecoveredFile | null, crashStep: number) {
        if (rec === null || !dsyncWriteAckedBy(w, crashStep)) return;
        const writes = writesOf(w);
        for (const wr of writes.values()) {
          if (!wr.dsync || wr.acked === 0 || wr.ackStep > crashStep) continue;
          if (inlineWrite(w, wr)) continue;
          if (!writebackErrorBetween(w, wr.startStep, wr.ackStep))
            checkDurable(w, 'DUR-01', wr, rec, writes, 'O_DSYNC');
        }
      },
    },
  },
  {
    id: 'DUR-02',
    name: 'FsyncedWritesSurvivePowerLoss',
    kind: 'safety',
    family: 'durability',
    statement:
      'Every write that returned success before an fsync or fdatasync began survives power loss once that sync returned 0, unless an earlier sync that began after the write already returned an error (Linux reports a lost write to one sync per file description).',
    source: 'fsync(2); writeback_cache_control.rst; 6.12.117 vfs.rst L778-791; fs/xfs xfs_file_fsync',
    probe: {
      onRecovered(w: WorldView, rec: RecoveredFile | null, crashStep: number) {
        if (rec === null) return;
        const sync = syncedBefore(w, crashStep);
        if (sync === null) return;
        const writes = writesOf(w);
        for (const wr of writes.values()) {
          if (wr.kind === 'initial' || wr.acked === 0 || wr.ackStep > sync.startStep) continue;
          if (writebackErrorBetween(w, wr.startStep, sync.returnStep)) continue;
          if (syncErrorReported(w, wr.ackStep, sync.startStep)) continue;
          checkDurable(w, 'DUR-02', wr, rec, writes, 'fsync');
        }
      },
    },
  },
  {
    id: 'PC-01',
    name: 'BufferedReadSeesDirectWrite',
    kind: 'safety',
    family: 'pagecache',
    statement:
      "A buffered read that starts after a direct write returned success sees that write's data (or newer), unless post-write invalidation failed.",
    source: 'seed L101-114; mm/filemap.c kiocb_invalidate_post_direct_write; commit 60263d5889e6',
    probe: {
      onFileOp(w: WorldView, f: FileOpView) {
        if (f.kind !== 'buffered_read' || f.buf === null || f.returned === null || f.returned <= 0) return;
        const pos = (f.op as BufferedOpSpec).pos;
        const lost = olderThanAckedWrite(w, f.buf.tags, pos, f.returned, f.startStep);
        if (lost !== null) {
          fail(
            w,
            'PC-01',
            114,
            `buffered read req${f.id} at ${lost.offset} returned older data than direct write ${lost.write}`,
          );
        }
      },
    },
  },
  {
    id: 'DATA-01',
    name: 'DirectReadSeesDirectWrite',
    kind: 'safety',
    family: 'results',
    statement:
      "A direct read that starts after a direct write returned success returns that write's data (or newer) wherever they overlap.",
    source: 'seed L356-361, L428-435 (zeroing must not overlap written data); read(2)/write(2) ordering',
    resultsOf: { write: false, failed: false },
    probe: {
      onResult(w: WorldView, r: RequestView, c: CompletionView) {
        if (r.write || c.res <= 0) return;
        // The scripted provider has file data to judge only as a whole filesystem (FsSpec.generic).
        if (w.xfs === null && w.scenario.fs.generic !== true) return;
        if (tagsSplitByResume(w, r)) return;
        const lost = olderThanAckedWrite(w, r.buf.tags, r.startPos, c.res - r.doneBefore, r.startStep);
        if (lost !== null) {
          fail(
            w,
            'DATA-01',
            0,
            `direct read req${r.id} at ${lost.offset} returned older data than direct write ${lost.write}`,
          );
        }
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------
/*
 * The system call's contract: what pread(2)/pwrite(2) with O_DIRECT promise the program that
 * called them, as the kernel keeps it for direct I/O (spec/invariants.md, "The syscall's contract",
 * says where each rule comes from and what was checked before adopting it).
 *
 * The other rules of that contract are older invariants: a read returns 0 only at or past end of
 * file (RES-03), a count never exceeds the request (RES-01), NOWAIT is all or nothing (ARG-04), and
 * an error may follow a partial transfer (iomap_dio_complete lets dio->error win over dio->size,
 * seed L88-99), so only non-negative results are judged here.
 */
/** Bytes this call reported (a retried call's done_before is not its own). */
const bytes = ownCount;

/**
 * Did the scripted filesystem answer -ENOTBLK inside the range? Then iomap_dio_rw returns what it
 * did directly and its caller (the filesystem) does the rest by buffered I/O (seed L684-688): the
 * direct part alone is not the system call's result.
 */
function scriptedFallback(w: WorldView, r: RequestView): boolean {
  const from = w.scenario.fs.notblkFrom;
  return w.xfs === null && from !== undefined && r.startPos + r.len > from && !callerFinishes(w, r);
}

/**
 * The most bytes a request whose buffer faulted can have moved (Infinity if none faulted). A page
 * taken away before the call (DioOpSpec.badPage, the oracle's munmap) moves none of its bytes, so
 * the count ends at its start. A fault the choice stream makes mid-request stands for a page that
 * went away while the request ran (another thread's munmap): bytes of that page that an earlier
 * bio pinned, or a copy wrote, before the fault did move, so the count may reach into the page
 * but never past it; every access goes forward through the buffer (seed L370-420, L447).
 */
export function bytesBeforeFault(r: RequestView): number {
  const b = r.buf;
  if (!Number.isFinite(b.unmappedFrom)) return Number.POSITIVE_INFINITY;
  // Up to the end of a page the choice stream made fault, up to the start of one gone before the
  // call (badPage); a fault the stream made lands before the missing page, never after it.
  const page = b.unmappedFrom + (r.op.badPage?.index === b.unmappedFrom ? 0 : 1);
  return Math.max(0, (Math.floor(b.addr / PAGE_SIZE) + page) * PAGE_SIZE - b.addr);
}

/**
 * What a read of sector `off` of the file returns now: on the model XFS, written blocks from the
 * disk; on the scripted filesystem as a whole filesystem, the page cache over the file.
 */
function fileTagNow(w: WorldView, off: number): number {
  const xfs = w.xfs;
  if (xfs === null) return genericTagNow(w, off);
  const bs = xfs.blockSize;
  const b = Math.floor(off / bs);
  if (xfs.map.state[b] !== EXT_WRITTEN) return TAG_ZERO;
  const addr = xfs.map.addr[b] ?? -1;
  return w.disk.readTag(addr * xfs.sectorsPerBlock + ((off % bs) >> SECTOR_SHIFT));
}

export const CONTRACT_CHECKS: readonly Invariant[] = [
  {
    id: 'SYS-01',
    name: 'WriteNeverReturnsZero',
    kind: 'safety',
    family: 'contract',
    statement:
      'A direct write of n > 0 bytes never returns 0: it moved something, or it failed (a caller that writes in a loop would spin).',
    source:
      'write(2) RETURN VALUE and POSIX write(); seed L439-441, L447-451; 6.12.118 fs/iomap/direct-io.c L456-463 against 6.12.117 L460-467',
    resultsOf: { write: true, failed: false },
    probe: {
      onResult(w, r, c) {
        if (!r.write || r.len === 0 || c.res < 0 || bytes(r, c) !== 0) return;
        if (scriptedFallback(w, r)) return;
        fail(w, 'SYS-01', 440, `write req${r.id} of ${r.len} bytes at ${r.startPos} returned ${c.res}`);
      },
    },
  },
  {
    id: 'SYS-02',
    name: 'CountNeverPastFault',
    kind: 'safety',
    family: 'contract',
    statement:
      'A direct read or write whose user buffer faulted reports an error or a count that covers only bytes that moved: never past the page that faulted, nor into a page that was gone before the call.',
    source:
      'read(2)/write(2) EFAULT and short counts; seed L388-398, L439-441, L447-451; block/bio.c bio_iov_iter_get_pages',
    resultsOf: { failed: false },
    probe: {
      onResult(w, r, c) {
        if (c.res < 0) return;
        const limit = bytesBeforeFault(r);
        if (bytes(r, c) > limit)
          fail(
            w,
            'SYS-02',
            398,
            `req${r.id} reported ${bytes(r, c)} bytes, but its buffer faults after ${limit}`,
          );
      },
    },
  },
  {
    id: 'SYS-03',
    name: 'WrittenCountReadsBack',
    kind: 'safety',
    family: 'contract',
    statement:
      'When a direct write returned k > 0, the file holds its first k bytes at [pos, pos + k) and i_size covers them once all I/O is done, unless a write that overlapped or followed it, a truncate, or buffered I/O on the same blocks changed them, or a failed post-write invalidation left a page that was written back over them.',
    source:
      'write(2) RETURN VALUE ("the number of bytes written"); seed L93-99, L428-435; 6.12.117 fs/iomap/direct-io.c L460-467 (spec/kernel-versions.md); golden files linux-6.12.117.json and linux-6.12.118.json',
    probe: {
      // At quiescence, not at the write's result: what the write left must still be there when
      // nothing is in flight, and later checks (DATA-01, PC-01, CMPL-06) keep their own findings.
      onQuiescent(w) {
        if (w.xfs === null && !genericWhole(w)) return;
        if (!dioWriteAcked(w, false)) return;
        const writes = writesOf(w);
        for (const wr of writes.values()) {
          if (wr.kind !== 'dio' || wr.acked <= 0) continue;
          if (reshapedAfter(w, wr.startStep) || fellBack(w, wr.id) || mixedWithPageCache(w, wr)) continue;
          // Its tags split between two calls of a resume cannot be judged (splitByResume).
          if (splitByResume(w, wr.id)) continue;
          // On the scripted filesystem as a whole filesystem, a write finished through the page
          // cache whose writeback someone else's failed: Linux reports the error to one waiter
          // only (AS_EIO, errseq), here to the fsync that wrote the pages back, and the fallback's
          // filemap_fdatawait_range may return 0 (6.12.117 fs/btrfs/direct-io.c L1046-1052): the
          // data is lost and the write returns its count (swarm campaign seed 3 run 44,310).
          if (genericFallbackBehindWritebackError(w, wr)) continue;
          // A later buffered write or fallback that dirties the stale page writes it back whole.
          if (staleAfterPostInvalidation(w, wr.id)) continue;
          const end = wr.pos + wr.acked;
          if (w.inode.iSize < end)
            fail(
              w,
              'SYS-03',
              0,
              `write req${wr.id} returned ${wr.acked} but i_size is ${w.inode.iSize} < ${end}`,
            );
          for (let off = wr.pos; off + SECTOR_SIZE <= end; off += SECTOR_SIZE) {
            const tag = fileTagNow(w, off);
            if (isUserTag(tag)) {
              const id = tagWriteId(tag);
              if (id === wr.id && tagUnit(tag) === (off - wr.pos) >> SECTOR_SHIFT) continue;
              // A write that was not finished when this one began (or came later) may stand there.
              if (id !== wr.id && mayReplace(writes.get(id), wr)) continue;
            }
            // So may such a write's zeroing inside its own range, as DATA-01 allows
            // (zeroedByRacingWrite; racing-write-zeroes-inside-its-own-range.json).
            if (tag === TAG_ZERO && zeroedByRacingWrite(writes, off, wr, Infinity)) continue;
            fail(
              w,
              'SYS-03',
              0,
              `write req${wr.id} returned ${wr.acked} but offset ${off} reads back ${formatTag(tag)}`,
            );
          }
        }
      },
    },
  },
];
