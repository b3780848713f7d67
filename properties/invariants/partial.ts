/**
 * RES-07: what the result of an IOMAP_DIO_PARTIAL request means. btrfs and gfs2 call iomap_dio_rw
 * with page faults disabled and IOMAP_DIO_PARTIAL, and on a fault resume where it stopped: they take
 * its result as the cumulative count ("No increment (+=) because iomap_dio_rw returns a cumulative
 * value", 6.12.117 fs/gfs2/file.c L853 and L922, fs/btrfs/direct-io.c L990 and L1099), the rest of
 * the iov_iter as what is left to do (iov_iter_count, gfs2 L779-799 and L928, btrfs L994-1011 and
 * L1125-1146), and ki_pos as where to go on. So a result must be 0 (this call moved nothing) or
 * done_before plus the k > 0 bytes this call moved (seed L118-129: done_before is added to a
 * positive count only), the iter of a synchronous call must have moved by exactly k, a call that
 * faulted part way must tell its caller so synchronously unless it is NOWAIT (seed L678-682; the
 * NOWAIT case is the one btrfs's ->iomap_begin keeps away from, fs/btrfs/direct-io.c L521-532), and
 * the file must hold the first k bytes of a write and none of the bytes past them: the caller
 * writes those again from the rest of its iter, or falls back to buffered I/O for them.
 */
import { EIOCBQUEUED } from '../../model/kernel/flags.ts';
import { EXT_UNWRITTEN, EXT_WRITTEN } from '../../model/fs/extentMap.ts';
import {
  formatTag,
  isUserTag,
  SECTOR_SHIFT,
  SECTOR_SIZE,
  TAG_ZERO,
  tagUnit,
  tagWriteId,
} from '../../model/mm/tags.ts';
import type { CompletionView, RequestView, WorldView } from '../../model/world/probe.ts';
import { ownCount, type WriteInfo, writesOf } from './data.ts';
import { fail } from './fail.ts';
import type { Invariant } from './invariant.ts';
import {
  dioWriteAcked,
  fellBack,
  genericFallbackBehindWritebackError,
  genericTagNow,
  genericWhole,
  mayReplace,
  mixedWithPageCache,
  reshapedAfter,
  staleAfterPostInvalidation,
  tagsSplitByResume,
} from './worldChecks.ts';

const isPartial = (r: RequestView): boolean => r.partial;
const isNowait = (r: RequestView): boolean => r.nowait;

/** fileSector's answer for data the inode holds itself (an inline extent of the scripted provider). */
export const INLINE = -2;

/**
 * The disk sector holding file offset `off` now, whatever the state of its block (written or
 * unwritten): where a write's data lands, read or not. -1 where the file has no disk block, INLINE
 * where the inode holds the data.
 * The model XFS answers from its data fork; the scripted provider from the extents it reports.
 */
export function fileSector(w: WorldView, off: number): number {
  const xfs = w.xfs;
  if (xfs !== null) {
    const b = Math.floor(off / xfs.blockSize);
    const state = xfs.map.state[b];
    if (state !== EXT_WRITTEN && state !== EXT_UNWRITTEN) return -1;
    const addr = xfs.map.addr[b] ?? -1;
    return addr < 0 ? -1 : addr * xfs.sectorsPerBlock + ((off % xfs.blockSize) >> SECTOR_SHIFT);
  }
  for (const e of w.scenario.fs.extents) {
    if (off < e.offset || off >= e.offset + e.length) continue;
    if (e.type === 'inline') return INLINE;
    if ((e.type !== 'mapped' && e.type !== 'unwritten') || e.addr === undefined || e.addr < 0) return -1;
    return (e.addr + off - e.offset) >> SECTOR_SHIFT;
  }
  return -1;
}

/**
 * Is `off` in an unwritten extent of the scripted provider? It never converts one (no ->end_io
 * work), so a later sub-block write into that block zeroes around itself again, over data a
 * real filesystem would have converted to written by then.
 */
function neverConverted(w: WorldView, off: number): boolean {
  if (w.xfs !== null) return false;
  // A loop, not extents.some: a closure at every sector checkWritten reads.
  for (const e of w.scenario.fs.extents)
    if (e.type === 'unwritten' && off >= e.offset && off < e.offset + e.length) return true;
  return false;
}

/** The count a PARTIAL call returned: 0, or done_before + k with k > 0; the iter moved by k. */
function checkCount(w: WorldView, r: RequestView, c: CompletionView): void {
  const before = r.doneBefore;
  if (c.res === 0) {
    // Seed L118: a call that moved nothing returns 0, and its caller keeps its own total.
    if (r.len > 0 && r.iocb.acct.dataBytesSubmitted > 0 && r.iocb.acct.bioErrors.length === 0)
      fail(w, 'RES-07', 118, `PARTIAL req${r.id} returned 0 after its bios moved data`);
    return;
  }
  const k = c.res - before;
  if (k <= 0)
    fail(
      w,
      'RES-07',
      128,
      `PARTIAL req${r.id} returned ${c.res} with done_before ${before}: its own count is ${k}, not > 0`,
    );
  if (r.returned === -EIOCBQUEUED) return;
  const consumed = r.len - r.iter.count;
  if (consumed !== k)
    fail(
      w,
      'RES-07',
      128,
      `PARTIAL req${r.id} returned done_before ${before} + ${k}, but its iter moved ${consumed}`,
    );
}

/** The bytes the request could move: all of it, or for a read up to the i_size it began with. */
function wanted(r: RequestView): number {
  if (r.write) return r.len;
  // End of file as __iomap_dio_rw sampled it (seed L571), which may be past the size at issue.
  return Math.max(0, Math.min(r.len, (r.iocb.acct.sampledSize ?? r.startSize) - r.startPos));
}

/**
 * A count a fault cut short comes back from the call itself, unless NOWAIT (seed L678-682): the
 * caller must see it to fault the pages in and resume. Judged from the outside (the buffer faulted,
 * the count stops short of what the request could move), so that a fault the iteration failed to
 * report as -EFAULT (42c498c18a94) is held to it as well.
 */
function checkSynchronous(w: WorldView, r: RequestView, c: CompletionView): void {
  if (r.returned !== -EIOCBQUEUED || isNowait(r)) return;
  if (!r.iocb.acct.partialFault && !Number.isFinite(r.buf.unmappedFrom)) return;
  const k = ownCount(r, c);
  if (k < wanted(r))
    fail(
      w,
      'RES-07',
      680,
      `PARTIAL req${r.id} faulted after ${k} of ${wanted(r)} bytes, yet returned -EIOCBQUEUED: its caller cannot resume`,
    );
}

/**
 * Did another direct write into the block of `off` zero it around itself? One that ran while `wr`
 * did may have (seed L356-361, L428-435): iomap leaves serializing sub-block writes to the
 * filesystem (XFS and ext4 take their locks exclusive for them), which the scripted provider does
 * not do. On the plain scripted provider a later one may too: its mapping and i_size stay as
 * scripted (no allocation, conversion or size update), so a later sub-block write is told the
 * block is new, unwritten or past EOF again and zeroes around itself over `wr`'s data, which a
 * real filesystem (and FsSpec.generic) would have taken in by then.
 */
function zeroedByOtherWrite(
  w: WorldView,
  writes: ReadonlyMap<number, WriteInfo>,
  wr: WriteInfo,
  off: number,
): boolean {
  const bs = w.scenario.fs.blockSize;
  const block = Math.floor(off / bs);
  const staticMapping = w.xfs === null && w.scenario.fs.generic !== true;
  for (const x of writes.values()) {
    if (x.kind !== 'dio' || x.id === wr.id || x.len === 0) continue;
    if (Math.floor(x.pos / bs) > block || Math.floor((x.pos + x.len - 1) / bs) < block) continue;
    if (mayReplace(x, wr) && (staticMapping || x.startStep <= wr.ackStep)) return true;
  }
  return false;
}

/** At rest: the file holds the first k bytes of a PARTIAL write at [pos, pos + k), none past them. */
function checkWritten(w: WorldView): void {
  // Most runs have no PARTIAL write that reported bytes: the map of writes only for one that has.
  if (!dioWriteAcked(w, true)) return;
  const writes = writesOf(w);
  for (const r of w.requests) {
    if (!r.write || !isPartial(r)) continue;
    const wr = writes.get(r.id);
    if (wr === undefined || wr.acked <= 0) continue;
    if (reshapedAfter(w, wr.startStep) || fellBack(w, wr.id) || mixedWithPageCache(w, wr)) continue;
    // Its tags split between two calls of the resume cannot be judged (tagsSplitByResume).
    if (tagsSplitByResume(w, r)) continue;
    // Nor its fallback's data after a writeback error reported to another waiter (as SYS-03).
    if (genericFallbackBehindWritebackError(w, wr)) continue;
    const end = wr.pos + wr.acked;
    // The scripted filesystem as a whole filesystem is read back through its page cache (what a
    // read(2) returns): its blocks move (writeback places some) and convert.
    const generic = genericWhole(w);
    if (!staleAfterPostInvalidation(w, wr.id)) {
      for (let off = wr.pos; off + SECTOR_SIZE <= end; off += SECTOR_SIZE) {
        const sector = generic ? 0 : fileSector(w, off);
        if (sector === INLINE || (!generic && neverConverted(w, off))) continue;
        const tag = generic ? genericTagNow(w, off) : sector < 0 ? -1 : w.disk.readTag(sector);
        if (isUserTag(tag)) {
          const id = tagWriteId(tag);
          if (id === wr.id && tagUnit(tag) === (off - wr.pos) >> SECTOR_SHIFT) continue;
          if (id !== wr.id && mayReplace(writes.get(id), wr)) continue;
        } else if (tag === TAG_ZERO && zeroedByOtherWrite(w, writes, wr, off)) continue;
        fail(
          w,
          'RES-07',
          0,
          `PARTIAL write req${wr.id} returned ${wr.acked} but offset ${off} holds ${sector < 0 ? 'no disk block' : formatTag(tag)}`,
        );
      }
    }
    for (let off = end; off < wr.pos + wr.len; off += SECTOR_SIZE) {
      const sector = generic ? 0 : fileSector(w, off);
      if (sector < 0) continue;
      const tag = generic ? genericTagNow(w, off) : w.disk.readTag(sector);
      if (isUserTag(tag) && tagWriteId(tag) === wr.id && tagUnit(tag) === (off - wr.pos) >> SECTOR_SHIFT)
        fail(
          w,
          'RES-07',
          0,
          `PARTIAL write req${wr.id} returned ${wr.acked} but its byte ${off - wr.pos} is on disk at offset ${off}`,
        );
    }
  }
}

export const PARTIAL_CHECKS: readonly Invariant[] = [
  {
    id: 'RES-07',
    name: 'PartialResultResumes',
    kind: 'safety',
    family: 'results',
    statement:
      'An IOMAP_DIO_PARTIAL request returns 0 having moved nothing, or done_before plus the k > 0 bytes it moved, with its iter moved by k, synchronously after a fault unless NOWAIT; a write then holds its first k bytes on disk and none past them.',
    source:
      'seed L118-129, L678-682; 6.12.117 fs/gfs2/file.c L845-862, L912-931; fs/btrfs/direct-io.c L521-532, L963-1011, L1116-1146',
    resultsOf: { partial: true, failed: false },
    probe: {
      onResult(w, r, c) {
        if (!isPartial(r) || c.res < 0) return;
        checkCount(w, r, c);
        checkSynchronous(w, r, c);
      },
      onQuiescent: checkWritten,
    },
  },
];
