/**
 * Vacuity guards: the dangerous situations each family of invariants guards, counted over a
 * campaign. A property that never meets its situation passes vacuously, so a test requires every
 * guard to be reached within the fast budget (properties/reach.test.ts), and `diocheck run`
 * prints the counts.
 */
import { EXT_HOLE, EXT_UNWRITTEN } from '../../model/fs/extentMap.ts';
import { isUserTag, tagWriteId } from '../../model/mm/tags.ts';
import type { RunResult } from '../../model/world/run.ts';
import type { Leftover, TruncateOpSpec } from '../../model/world/scenario.ts';
import type { Family } from './invariant.ts';

export interface ReachGuard {
  readonly id: string;
  readonly family: Family;
  readonly what: string;
  reached(r: RunResult): boolean;
}

const hit = (r: RunResult, line: number): boolean => (r.coverage[line] ?? 0) > 0;

/** Did two requests of the run overlap in time (one began before the other delivered)? */
function overlapping(r: RunResult): boolean {
  const spans = r.requests.map(
    (q) => [q.startStep, q.completions[0]?.step ?? Number.POSITIVE_INFINITY] as const,
  );
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const a = spans[i];
      const b = spans[j];
      if (a !== undefined && b !== undefined && a[0] < b[1] && b[0] < a[1]) return true;
    }
  }
  return false;
}

export const REACH_GUARDS: readonly ReachGuard[] = [
  {
    id: 'REACH-01',
    family: 'errors',
    what: 'a short page-get and a bio error in the same run',
    reached: (r) => hit(r, 396) && hit(r, 166),
  },
  {
    id: 'REACH-02',
    family: 'errors',
    what: 'two bios of one request failed (the cmpxchg race)',
    reached: (r) => r.requests.some((q) => q.iocb.acct.bioErrors.length >= 2),
  },
  {
    id: 'REACH-03',
    family: 'completion',
    what: 'the last reference dropped in end_io of an async request (inline, caller or workqueue)',
    reached: (r) => hit(r, 186) || hit(r, 197) || hit(r, 222),
  },
  {
    id: 'REACH-04',
    family: 'completion',
    what: 'caller completion through the io_uring issuer',
    reached: (r) => r.requests.some((q) => q.completions[0]?.contextKind === 'issuer'),
  },
  {
    id: 'REACH-05',
    family: 'durability',
    what: 'a non-FUA bio clearing WRITE_THROUGH of an O_DSYNC write',
    reached: (r) => hit(r, 631) && hit(r, 270),
  },
  {
    id: 'REACH-06',
    family: 'durability',
    what: 'power loss with an acknowledged write still in the volatile cache',
    reached: (r) =>
      r.crash !== null &&
      r.disk.cachedAtPowerLoss > 0 &&
      r.requests.some((q) => (q.completions[0]?.res ?? -1) > 0 && q.write),
  },
  {
    id: 'REACH-07',
    family: 'stale',
    what: 'sub-block zeroing of a new or unwritten block, then power loss',
    reached: (r) => (hit(r, 360) || hit(r, 434)) && r.crash !== null,
  },
  {
    id: 'REACH-08',
    family: 'lifetime',
    what: 'two requests in flight at once',
    reached: overlapping,
  },
  {
    id: 'REACH-09',
    family: 'pagecache',
    what: 'a buffered read while a direct write was in flight',
    reached: (r) =>
      r.fileOps.some(
        (f) =>
          f.kind === 'buffered_read' &&
          r.requests.some(
            (q) =>
              q.write &&
              q.startStep <= f.startStep &&
              (q.completions[0]?.step ?? Number.POSITIVE_INFINITY) > f.startStep,
          ),
      ),
  },
  {
    id: 'REACH-10',
    family: 'arguments',
    what: 'a request refused with -EINVAL, -EAGAIN or -ENOTBLK',
    reached: (r) => hit(r, 293) || hit(r, 613) || hit(r, 642),
  },
  {
    id: 'REACH-11',
    family: 'contexts',
    what: 'a filesystem end_io with work to do run from the dio_done_wq workqueue',
    reached: (r) => r.xfs?.endIoCalls.some((c) => c.context === 'dio_done_wq' && c.error === 0) === true,
  },
  {
    id: 'REACH-12',
    family: 'results',
    what: 'a direct read trimmed at end of file',
    reached: (r) => hit(r, 98),
  },
  {
    id: 'REACH-13',
    family: 'contract',
    what: 'a direct write on the model XFS whose user buffer faulted',
    reached: (r) => r.xfs !== null && r.requests.some((q) => q.write && Number.isFinite(q.buf.unmappedFrom)),
  },
  {
    id: 'REACH-14',
    family: 'contract',
    what: 'a sub-block direct write on the model XFS zeroed part of its block, returned a count, and all I/O ended',
    reached: (r) =>
      r.xfs !== null &&
      r.violation === null &&
      r.crash === null &&
      (hit(r, 360) || hit(r, 434)) &&
      r.requests.some((q) => q.write && (q.completions[0]?.res ?? -1) > 0),
  },
  {
    id: 'REACH-15',
    family: 'results',
    what: 'an IOMAP_DIO_PARTIAL request cut short by a fault, and a resumed one (done_before > 0), both returning a count',
    reached: (r) =>
      r.requests.some(
        (q) => q.iocb.acct.partialFault && (q.completions[0]?.res ?? -1) > (q.op.doneBefore ?? 0),
      ) &&
      r.requests.some(
        (q) => (q.op.doneBefore ?? 0) > 0 && (q.completions[0]?.res ?? -1) > (q.op.doneBefore ?? 0),
      ),
  },
  {
    id: 'REACH-16',
    family: 'stale',
    what: 'a direct read on the scripted filesystem as a whole filesystem (FsSpec.generic) returned data a direct write of the run put there',
    reached: (r) =>
      r.xfs === null &&
      r.fs.generic &&
      r.requests.some(
        (q) =>
          !q.write &&
          (q.completions[0]?.res ?? 0) > 0 &&
          Array.prototype.some.call(q.buf.tags, (t: number) => isUserTag(t) && tagWriteId(t) > 0),
      ),
  },
  {
    id: 'REACH-17',
    family: 'pagecache',
    what: 'a direct write on the scripted filesystem as a whole filesystem that stopped part way (-ENOTBLK) and was finished through the page cache, returning its whole count',
    reached: (r) =>
      r.xfs === null &&
      r.fs.generic &&
      r.requests.some(
        (q) =>
          q.write &&
          q.iocb.fellBackToBuffered &&
          q.iocb.acct.dataBytesSubmitted > 0 &&
          q.completions[0]?.res === q.len,
      ),
  },
  {
    id: 'REACH-18',
    family: 'results',
    what: 'an IOMAP_DIO_PARTIAL request on the scripted filesystem as a whole filesystem that a fault cut short and its caller resumed to the whole count',
    reached: (r) =>
      r.xfs === null &&
      r.fs.generic &&
      r.requests.some(
        (q) =>
          q.iocb.acct.partialFault &&
          (q.op.doneBefore ?? 0) === 0 &&
          !q.iocb.fellBackToBuffered &&
          q.len > 0 &&
          q.completions[0]?.res === q.len,
      ),
  },
  {
    id: 'REACH-19',
    family: 'contract',
    what: 'a direct read on the scripted filesystem as a whole filesystem returned data a buffered fallback wrote through the page cache',
    reached: (r) => {
      if (r.xfs !== null || !r.fs.generic) return false;
      const fellBack = new Set(r.requests.filter((q) => q.iocb.fellBackToBuffered).map((q) => q.id));
      if (fellBack.size === 0) return false;
      return r.requests.some(
        (q) =>
          !q.write &&
          (q.completions[0]?.res ?? 0) > 0 &&
          Array.prototype.some.call(q.buf.tags, (t: number) => isUserTag(t) && fellBack.has(tagWriteId(t))),
      );
    },
  },
  {
    id: 'REACH-24',
    family: 'durability',
    what: 'after power loss on the scripted filesystem as a whole filesystem, recovery read back data of a write that O_DSYNC or a sync made durable (DUR-01, DUR-02)',
    reached: (r) => genericRecovered(r, (id) => durablyAcked(r, id)),
  },
  {
    id: 'REACH-25',
    family: 'stale',
    what: "after power loss on the scripted filesystem as a whole filesystem, recovery found a block a commit made the file's (a new, unwritten or written-back block) holding data of the run (STALE-03)",
    reached: (r) => {
      const fs = r.fs;
      return genericRecovered(r, (id, off) => {
        const e = fs.extentAtOffset(off);
        return id > 0 && (e === undefined || e.type !== 'mapped' || e.flags?.includes('new') === true);
      });
    },
  },
  {
    id: 'REACH-20',
    family: 'stale',
    what: "a file whose written blocks past EOF (or EOF block, past EOF) held a lost write's bytes grew over them",
    reached: (r) => (startedWith(r, 'eof-tail') || startedWith(r, 'past-eof')) && grew(r),
  },
  {
    id: 'REACH-21',
    family: 'stale',
    what: 'a read covered an unwritten block whose media held a lost write (a crash before its conversion)',
    reached: (r) =>
      startedWith(r, 'unwritten') && initialBlocks(r, EXT_UNWRITTEN).some(([a, b]) => readBack(r, a, b)),
  },
  {
    id: 'REACH-22',
    family: 'stale',
    what: "a block was allocated from free space that held a deleted copy's bytes, and read back",
    reached: (r) =>
      startedWith(r, 'free') &&
      r.xfs !== null &&
      initialBlocks(r, EXT_HOLE).some(
        ([a, b]) => (r.xfs?.map.state[a / (r.xfs?.blockSize ?? 1)] ?? 0) !== EXT_HOLE && readBack(r, a, b),
      ),
  },
  {
    id: 'REACH-23',
    family: 'stale',
    what: 'a truncate removed data written before it, and a read that began after it returned covered the removed range (the history rule of STALE-01/02)',
    reached: truncateThenReadBack,
  },
];

/**
 * Did a run on the scripted filesystem as a whole filesystem lose power and recover a file one of
 * whose sectors holds data for which `keep(write id, file offset)` holds?
 */
function genericRecovered(r: RunResult, keep: (id: number, off: number) => boolean): boolean {
  const rec = r.crash?.recovered;
  if (r.xfs !== null || !r.fs.generic || rec === null || rec === undefined) return false;
  for (let u = 0; u < rec.tags.length; u++) {
    const t = rec.tags[u] ?? 0;
    if (isUserTag(t) && keep(tagWriteId(t), u * 512)) return true;
  }
  return false;
}

/** Was write `id` acknowledged as O_DSYNC, or before a sync that returned 0? */
function durablyAcked(r: RunResult, id: number): boolean {
  const q = r.requests.find((x) => x.id === id);
  const f = r.fileOps.find((x) => x.id === id);
  const ack =
    q !== undefined
      ? (q.completions[0]?.res ?? -1) > 0
        ? q.completions[0]?.step
        : undefined
      : f !== undefined && (f.returned ?? -1) > 0
        ? f.returnStep
        : undefined;
  if (ack === undefined) return false;
  const flags = q?.op.iocbFlags ?? [];
  if (flags.includes('dsync') || flags.includes('sync')) return true;
  return r.syncs.some((s) => s.returned === 0 && s.startStep >= ack);
}

/** Did the run's file start with leftover `kind` on the disk (FsSpec.leftovers)? */
const startedWith = (r: RunResult, kind: Leftover): boolean => r.xfs?.leftovers.includes(kind) === true;

/** Did a read (direct, buffered or mmap) of the run return data from [from, to)? */
function readBack(r: RunResult, from: number, to: number, after = -1): boolean {
  for (const q of r.requests) {
    const res = q.completions[0]?.res ?? 0;
    if (!q.write && res > 0 && q.startStep >= after && q.startPos < to && q.startPos + res > from)
      return true;
  }
  for (const f of r.fileOps) {
    const res = f.returned ?? 0;
    if (f.kind !== 'buffered_read' && f.kind !== 'mmap_read') continue;
    if (res > 0 && f.startStep >= after && f.readPos < to && f.readPos + res > from) return true;
  }
  return false;
}

/** Did the file grow past its size at mount (through what lay past EOF)? */
const grew = (r: RunResult): boolean => r.xfs !== null && r.inode.iSize > r.xfs.initialSize;

/** The initial blocks of a kind: [from, to) byte ranges. */
function initialBlocks(r: RunResult, state: number): Array<readonly [number, number]> {
  const fs = r.xfs;
  if (fs === null) return [];
  const out: Array<readonly [number, number]> = [];
  for (let b = 0; b < fs.initialMap.blocks; b++)
    if (fs.initialMap.state[b] === state) out.push([b * fs.blockSize, (b + 1) * fs.blockSize]);
  return out;
}

/**
 * The history rule's situation: a truncate removed bytes a write done before it had put at or past
 * its size, and a read that began after it returned covered some of them.
 */
function truncateThenReadBack(r: RunResult): boolean {
  for (const t of r.fileOps) {
    if (t.kind !== 'truncate' || t.returned !== 0) continue;
    const size = (t.op as TruncateOpSpec).size;
    const before = r.xfs !== null && r.xfs.initialSize > size;
    const wrote =
      before ||
      r.requests.some(
        (q) =>
          q.write &&
          (q.completions[0]?.step ?? Number.POSITIVE_INFINITY) <= t.startStep &&
          q.startPos + q.len > size,
      );
    if (wrote && readBack(r, size, Number.MAX_SAFE_INTEGER, t.returnStep)) return true;
  }
  return false;
}

/** Counts per guard over many runs. */
export class ReachTally {
  readonly counts = new Map<string, number>(REACH_GUARDS.map((g) => [g.id, 0]));
  record(r: RunResult): void {
    for (const g of REACH_GUARDS) if (g.reached(r)) this.counts.set(g.id, (this.counts.get(g.id) ?? 0) + 1);
  }
  unreached(): ReachGuard[] {
    return REACH_GUARDS.filter((g) => (this.counts.get(g.id) ?? 0) === 0);
  }
}
