/**
 * What a correct read may return at a file offset: zeros, or data a write put at exactly that
 * offset. Every user tag names its write and the unit of that write's buffer, so a tag is
 * well placed when the write's position plus the unit's offset is the file offset read.
 */
import { isUserTag, SECTOR_SIZE, TAG_STALE, TAG_ZERO, tagUnit, tagWriteId } from '../../model/mm/tags.ts';
import type { WorldView } from '../../model/world/probe.ts';

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

/** Every write of the run, by id; write 0 is the file's original contents. */
export function writesOf(w: WorldView): Map<number, WriteInfo> {
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
