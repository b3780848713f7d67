/**
 * What a correct read may return at a file offset: zeros, or data a write put at exactly that
 * offset. Every user tag names its write and the unit of that write's buffer, so a tag is
 * well placed when the write's position plus the unit's offset is the file offset read.
 */
import { isUserTag, SECTOR_SIZE, TAG_STALE, TAG_ZERO, tagUnit, tagWriteId } from '../../model/mm/tags.ts';
import type { FileOpView, RequestView, WorldView } from '../../model/world/probe.ts';

export interface WriteInfo {
  readonly id: number;
  readonly pos: number;
  readonly len: number;
  readonly kind: 'initial' | 'dio' | 'buffered';
  readonly startStep: number;
  /** Step at which its successful result reached the caller; Infinity if it has not (yet). */
  readonly ackStep: number;
  /** Bytes the caller was told were written (0 until acknowledged). */
  readonly acked: number;
  readonly dsync: boolean;
}

/**
 * What writesOf last built, for which world, and what it depends on that can still change: records
 * added to w.requests and w.fileOps, and the result of a write that had none yet. Everything else it
 * reads (ids, ops, start steps, a first completion, a returned value) is set once and never changes.
 */
interface WritesCache {
  readonly world: WorldView;
  readonly map: ReadonlyMap<number, WriteInfo>;
  readonly requests: number;
  readonly fileOps: number;
  /** Direct writes without a result, and buffered writes that had not returned, when it was built. */
  readonly pendingDio: readonly RequestView[];
  readonly pendingBuffered: readonly FileOpView[];
}

/**
 * One entry: checks run on one world at a time, so the last world is the only one worth keeping
 * (a WeakMap keyed by world costs more than it saves: most runs ask once or twice). It keeps that
 * one world alive until the next run's checks ask about theirs.
 */
let last: WritesCache | null = null;

function stillValid(w: WorldView, c: WritesCache): boolean {
  if (c.world !== w || c.requests !== w.requests.length || c.fileOps !== w.fileOps.length) return false;
  for (const r of c.pendingDio) if (r.completions.length !== 0) return false;
  for (const f of c.pendingBuffered) if (f.returned !== null) return false;
  return true;
}

/**
 * Every write of the run, by id; write 0 is the file's original contents. Cached: the checkers may
 * ask for it at every result and at every sector a buffered read returned; it is rebuilt only for
 * another world, or when a write was issued or got its result since (the rebuilt map is exactly
 * what a fresh build gives, in the same order).
 */
export function writesOf(w: WorldView): ReadonlyMap<number, WriteInfo> {
  if (last !== null && stillValid(w, last)) return last.map;
  const pendingDio: RequestView[] = [];
  const pendingBuffered: FileOpView[] = [];
  const map = buildWrites(w, pendingDio, pendingBuffered);
  last = {
    world: w,
    map,
    requests: w.requests.length,
    fileOps: w.fileOps.length,
    pendingDio,
    pendingBuffered,
  };
  return map;
}

function buildWrites(
  w: WorldView,
  pendingDio: RequestView[],
  pendingBuffered: FileOpView[],
): Map<number, WriteInfo> {
  const m = new Map<number, WriteInfo>();
  m.set(0, {
    id: 0,
    pos: 0,
    len: w.scenario.fs.iSize,
    kind: 'initial',
    startStep: 0,
    ackStep: 0,
    acked: w.scenario.fs.iSize,
    dsync: false,
  });
  for (const r of w.requests) {
    if (r.op.kind !== 'dio_write') continue;
    const c = r.completions[0];
    if (c === undefined) pendingDio.push(r);
    const ok = c !== undefined && c.res > 0;
    const flags = r.op.iocbFlags ?? [];
    m.set(r.id, {
      id: r.id,
      pos: r.op.pos,
      len: r.op.len,
      kind: 'dio',
      startStep: r.startStep,
      ackStep: ok ? c.step : Number.POSITIVE_INFINITY,
      acked: ok ? c.res - (r.op.doneBefore ?? 0) : 0,
      dsync: flags.includes('dsync') || flags.includes('sync'),
    });
  }
  for (const f of w.fileOps) {
    if (f.op.kind !== 'buffered_write') continue;
    if (f.returned === null) pendingBuffered.push(f);
    const ok = f.returned !== null && f.returned > 0;
    m.set(f.id, {
      id: f.id,
      pos: f.op.pos,
      len: f.op.len,
      kind: 'buffered',
      startStep: f.startStep,
      ackStep: ok ? f.returnStep : Number.POSITIVE_INFINITY,
      acked: ok ? (f.returned ?? 0) : 0,
      dsync: false,
    });
  }
  return m;
}

/**
 * The bytes a result reports as this call's own: done_before is added to a positive count only
 * (seed L118-129), so a call that moved nothing returns 0 whatever came before it, and an error is
 * itself.
 */
export function ownCount(r: RequestView, c: { readonly res: number }): number {
  return c.res > 0 ? c.res - (r.op.doneBefore ?? 0) : c.res;
}

export type TagVerdict = 'ok' | 'stale' | 'misplaced';

/** Is `tag`, read at file offset `offset`, something a correct kernel could have put there? */
export function judgeTag(tag: number, offset: number, writes: ReadonlyMap<number, WriteInfo>): TagVerdict {
  if (tag === TAG_ZERO) return 'ok';
  if (tag === TAG_STALE || !isUserTag(tag)) return 'stale';
  const wr = writes.get(tagWriteId(tag));
  if (wr === undefined) return 'misplaced';
  return wr.pos + tagUnit(tag) * SECTOR_SIZE === offset ? 'ok' : 'misplaced';
}

/** The first badly placed or stale unit of `tags` read from file offset `pos`, or null. */
export function firstBadTag(
  tags: Int32Array,
  units: number,
  pos: number,
  writes: ReadonlyMap<number, WriteInfo>,
): { unit: number; verdict: TagVerdict; tag: number } | null {
  for (let u = 0; u < units; u++) {
    const tag = tags[u] ?? TAG_ZERO;
    const verdict = judgeTag(tag, pos + u * SECTOR_SIZE, writes);
    if (verdict !== 'ok') return { unit: u, verdict, tag };
  }
  return null;
}
