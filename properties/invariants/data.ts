/**
 * What a correct read may return at a file offset: zeros, or data a write put at exactly that
 * offset and nothing has removed since. Every user tag names its write and the unit of that
 * write's buffer, so a tag is well placed when the write's position plus the unit's offset is the
 * file offset read; and a well-placed tag is still stale when its data was removed before the
 * read began: the leftovers of the initial state (FsSpec.leftovers, bytes of an earlier write the
 * file no longer has) always, and a write's bytes at or past the size of a truncate that began
 * after the write was done and returned before the read began (spec/invariants.md, "Data by
 * history").
 */
import { isUserTag, SECTOR_SIZE, TAG_STALE, TAG_ZERO, tagUnit, tagWriteId } from '../../model/mm/tags.ts';
import { PRIOR_WRITE_ID } from '../../model/world/buildXfs.ts';
import type { CompletionView, FileOpView, RequestView, WorldView } from '../../model/world/probe.ts';
import type { BufferedOpSpec, TruncateOpSpec } from '../../model/world/scenario.ts';

/**
 * Does the history rule hold for a read begun at `readStart`? Not once a writeback failed before
 * it: the zeroing a truncate or an extension left in the page cache may then never have reached
 * the disk, which Linux reports to the next fsync (errseq) and to the call that waited for it, and
 * old bytes read back after that are the lost write's, as with any other write the device failed.
 */
export function historyHolds(w: WorldView, readStart: number): boolean {
  for (const step of w.inode.iMapping.wbErrorSteps) if (step <= readStart) return false;
  return true;
}

/**
 * A truncate that removed a write's bytes at and past `from`, for reads that begin at or after
 * `step` (a step is one context's run: one that ends with the truncate's return and begins the
 * read is the same task doing one after the other).
 */
export interface Removal {
  readonly step: number;
  readonly from: number;
}

export interface WriteInfo {
  readonly id: number;
  readonly pos: number;
  readonly len: number;
  /** 'prior': the leftovers' earlier write (PRIOR_WRITE_ID), removed before mount. */
  readonly kind: 'initial' | 'prior' | 'dio' | 'buffered';
  readonly startStep: number;
  /** Step at which its result, success or not, reached the caller; Infinity until then. */
  readonly doneStep: number;
  /** The truncates that removed part of it (see Removal); empty for most writes. */
  readonly removed: readonly Removal[];
  /** Step at which its successful result reached the caller; Infinity if it has not (yet). */
  readonly ackStep: number;
  /** Bytes the caller was told were written (0 until acknowledged). */
  readonly acked: number;
  readonly dsync: boolean;
}

/** A write's entry as writesOf keeps it: the fields its result sets are filled in when it comes. */
type WriteEntry = { -readonly [K in keyof WriteInfo]: WriteInfo[K] };

/**
 * What writesOf last built, for which world, and what it depends on that can still change: records
 * added to w.requests and w.fileOps, and the result of a write or truncate that had none yet.
 * Everything else it reads (ids, ops, start steps, a first completion, a returned value) is set
 * once and never changes.
 */
interface WritesCache {
  readonly world: WorldView;
  readonly map: Map<number, WriteEntry>;
  /** Records of w.requests and w.fileOps taken in. */
  requests: number;
  fileOps: number;
  /** Direct writes without a result, and buffered writes that had not returned, when taken in. */
  readonly pendingDio: RequestView[];
  readonly pendingBuffered: FileOpView[];
  /** Truncates that had not returned. */
  readonly pendingTruncates: readonly FileOpView[];
  /** The truncates that succeeded, in issue order (truncatesOf). */
  readonly truncates: readonly Truncation[];
  /** The buffered writes' entries, in issue order: the map holds them after every direct write. */
  readonly buffered: WriteEntry[];
}

/**
 * One entry: checks run on one world at a time, so the last world is the only one worth keeping
 * (a WeakMap keyed by world costs more than it saves: most runs ask once or twice). It keeps that
 * one world alive until the next run's checks ask about theirs.
 */
let last: WritesCache | null = null;

/**
 * Every write of the run, by id; write 0 is the file's original contents. Kept: the checkers may
 * ask for it at every result and at every sector a read returned. For another world, or once a
 * truncate was issued or returned, it is built anew; a write issued since is added, and a write's
 * result that came since fills its entry in. Either way the map is what a fresh build gives, in
 * the same order (the file's contents, the leftovers, the direct writes, the buffered writes).
 * The entries change in place: a caller must not keep the map, or an entry, across results.
 */
export function writesOf(w: WorldView): ReadonlyMap<number, WriteInfo> {
  const c = last;
  if (c !== null && c.world === w && takeIn(w, c)) return c.map;
  const built = buildWrites(w);
  last = built;
  return built.map;
}

/** The run's writes built anew, not kept (a test holds writesOf's kept map to it). */
export function freshWrites(w: WorldView): ReadonlyMap<number, WriteInfo> {
  return buildWrites(w).map;
}

/**
 * Brings `c` up to date with `w` in place, or false when it must be built anew (a truncate was
 * issued or returned since: it may remove bytes of every write).
 */
function takeIn(w: WorldView, c: WritesCache): boolean {
  for (const f of c.pendingTruncates) if (f.returned !== null) return false;
  const fileOps = w.fileOps;
  for (let i = c.fileOps; i < fileOps.length; i++)
    if ((fileOps[i] as FileOpView).kind === 'truncate') return false;
  const pendingDio = c.pendingDio;
  for (let i = 0; i < pendingDio.length; i++) {
    const r = pendingDio[i] as RequestView;
    if (r.completions.length === 0) continue;
    fillDio(c.map.get(r.id) as WriteEntry, r, c.truncates);
    pendingDio.splice(i--, 1);
  }
  const pendingBuffered = c.pendingBuffered;
  for (let i = 0; i < pendingBuffered.length; i++) {
    const f = pendingBuffered[i] as FileOpView;
    if (f.returned === null) continue;
    fillBuffered(c.map.get(f.id) as WriteEntry, f, c.truncates);
    pendingBuffered.splice(i--, 1);
  }
  const requests = w.requests;
  if (c.requests !== requests.length) {
    for (let i = c.requests; i < requests.length; i++) addDio(c, requests[i] as RequestView);
    c.requests = requests.length;
    // The buffered writes after the direct ones again, as a fresh build orders them.
    for (const e of c.buffered) {
      c.map.delete(e.id);
      c.map.set(e.id, e);
    }
  }
  for (let i = c.fileOps; i < fileOps.length; i++) addBuffered(c, fileOps[i] as FileOpView);
  c.fileOps = fileOps.length;
  return true;
}

function buildWrites(w: WorldView): WritesCache {
  const pendingTruncates: FileOpView[] = [];
  const truncates = truncatesOf(w, pendingTruncates);
  const c: WritesCache = {
    world: w,
    map: new Map(),
    requests: w.requests.length,
    fileOps: w.fileOps.length,
    pendingDio: [],
    pendingBuffered: [],
    pendingTruncates,
    truncates,
    buffered: [],
  };
  const m = c.map;
  m.set(0, {
    id: 0,
    pos: 0,
    len: w.scenario.fs.iSize,
    kind: 'initial',
    startStep: 0,
    doneStep: 0,
    removed: removedAfter(truncates, 0),
    ackStep: 0,
    acked: w.scenario.fs.iSize,
    dsync: false,
  });
  if ((w.scenario.fs.leftovers?.length ?? 0) > 0) {
    // Placed at file offsets from 0, acknowledged never: no write may yield to it, no reader see it.
    m.set(PRIOR_WRITE_ID, {
      id: PRIOR_WRITE_ID,
      pos: 0,
      len: Number.MAX_SAFE_INTEGER,
      kind: 'prior',
      startStep: 0,
      doneStep: 0,
      removed: [{ step: -1, from: 0 }],
      ackStep: 0,
      acked: 0,
      dsync: false,
    });
  }
  for (const r of w.requests) addDio(c, r);
  for (const f of w.fileOps) addBuffered(c, f);
  return c;
}

/** The entry of direct write `r` (nothing for a read), its result filled in if it has one. */
function addDio(c: WritesCache, r: RequestView): void {
  if (!r.write) return;
  const e: WriteEntry = {
    id: r.id,
    pos: r.startPos,
    len: r.len,
    kind: 'dio',
    startStep: r.startStep,
    doneStep: Number.POSITIVE_INFINITY,
    removed: NONE,
    ackStep: Number.POSITIVE_INFINITY,
    acked: 0,
    dsync: dioDsync(r),
  };
  c.map.set(r.id, e);
  if (r.completions.length === 0) c.pendingDio.push(r);
  else fillDio(e, r, c.truncates);
}

function fillDio(e: WriteEntry, r: RequestView, truncates: readonly Truncation[]): void {
  const doneStep = (r.completions[0] as CompletionView).step;
  e.doneStep = doneStep;
  e.removed = removedAfter(truncates, doneStep);
  e.ackStep = dioAckStep(r);
  e.acked = dioAcked(r);
}

/** The entry of buffered write `f` (nothing for another file operation), its result filled in. */
function addBuffered(c: WritesCache, f: FileOpView): void {
  if (f.kind !== 'buffered_write') return;
  const e: WriteEntry = {
    id: f.id,
    // A buffered write's op (its kind is the record's).
    pos: (f.op as BufferedOpSpec).pos,
    len: (f.op as BufferedOpSpec).len,
    kind: 'buffered',
    startStep: f.startStep,
    doneStep: Number.POSITIVE_INFINITY,
    removed: NONE,
    ackStep: Number.POSITIVE_INFINITY,
    acked: 0,
    dsync: false,
  };
  c.map.set(f.id, e);
  c.buffered.push(e);
  if (f.returned === null) c.pendingBuffered.push(f);
  else fillBuffered(e, f, c.truncates);
}

function fillBuffered(e: WriteEntry, f: FileOpView, truncates: readonly Truncation[]): void {
  const ret = f.returned as number;
  const ok = ret > 0;
  e.doneStep = f.returnStep;
  e.removed = removedAfter(truncates, f.returnStep);
  e.ackStep = ok ? f.returnStep : Number.POSITIVE_INFINITY;
  e.acked = ok ? ret : 0;
}

/*
 * A direct write's entry from its record alone, so that a checker can ask whether a run has a write
 * it judges before it builds the run's writes (most runs have none).
 */

/** Step at which direct write `r`'s successful result reached the caller; Infinity if none (yet). */
export function dioAckStep(r: RequestView): number {
  const c = r.completions[0];
  return c !== undefined && c.res > 0 ? c.step : Number.POSITIVE_INFINITY;
}

/** Bytes direct write `r`'s caller was told were written (0 until acknowledged). */
export function dioAcked(r: RequestView): number {
  const c = r.completions[0];
  return c !== undefined && c.res > 0 ? c.res - r.doneBefore : 0;
}

/** Was direct write `r` issued with O_DSYNC or O_SYNC? */
export function dioDsync(r: RequestView): boolean {
  const flags = r.op.iocbFlags;
  return flags !== undefined && (flags.includes('dsync') || flags.includes('sync'));
}

const NONE: readonly Removal[] = [];

interface Truncation {
  readonly startStep: number;
  readonly removal: Removal;
}

/**
 * The removals of the truncates that began at or after `doneStep` (a write done then). A module
 * function, not a closure per build: tsx names every closure it makes (esbuild's __name, an
 * Object.defineProperty), and writesOf is rebuilt several times a run.
 */
function removedAfter(truncates: readonly Truncation[], doneStep: number): readonly Removal[] {
  if (truncates.length === 0) return NONE;
  const out: Removal[] = [];
  for (const t of truncates) if (doneStep <= t.startStep) out.push(t.removal);
  return out;
}

/**
 * The truncates of the run that succeeded, each with the removal it makes: every byte at or past
 * its size of a write done before it began (xfs_setattr_size and ext4_setattr wait for direct I/O
 * under the exclusive lock, zero the cut EOF block and free the blocks past it), for reads that
 * begin after it returned. A truncate up removes nothing below its size; the bytes past the old
 * size it exposes are the leftovers' or a failed write's, which this does not track.
 */
function truncatesOf(w: WorldView, pending: FileOpView[]): Truncation[] {
  const out: Truncation[] = [];
  for (const f of w.fileOps) {
    if (f.kind !== 'truncate') continue;
    if (f.returned === null) pending.push(f);
    else if (f.returned === 0)
      out.push({
        startStep: f.startStep,
        removal: { step: f.returnStep, from: (f.op as TruncateOpSpec).size },
      });
  }
  return out;
}

/**
 * The bytes a result reports as this call's own: done_before is added to a positive count only
 * (seed L118-129), so a call that moved nothing returns 0 whatever came before it, and an error is
 * itself.
 */
export function ownCount(r: RequestView, c: { readonly res: number }): number {
  return c.res > 0 ? c.res - r.doneBefore : c.res;
}

export type TagVerdict = 'ok' | 'stale' | 'misplaced';

/**
 * Is `tag`, read at file offset `offset` by a read that began at step `readStart`, something a
 * correct kernel could have put there? Zeros, or a write's data at its own offset that nothing
 * removed before the read began (see the header). Recovery reads pass the step of the last sync
 * that returned 0 before the crash (a truncate is durable only once a sync followed it), or 0.
 */
export function judgeTag(
  tag: number,
  offset: number,
  writes: ReadonlyMap<number, WriteInfo>,
  readStart: number,
  eof: number = Number.POSITIVE_INFINITY,
  history = true,
): TagVerdict {
  // The placement rule (judgeTagByPlacement) inline, so that the write is looked up once: this
  // runs for every sector every read returns.
  if (tag === TAG_ZERO) return 'ok';
  if (tag === TAG_STALE || !isUserTag(tag)) return 'stale';
  return judgeUserTag(tag, writes.get(tagWriteId(tag)), offset, readStart, eof, history);
}

/** judgeTag of user tag `tag`, whose write (or undefined) the caller looked up. */
function judgeUserTag(
  tag: number,
  wr: WriteInfo | undefined,
  offset: number,
  readStart: number,
  eof: number,
  history: boolean,
): TagVerdict {
  if (wr === undefined || wr.pos + tagUnit(tag) * SECTOR_SIZE !== offset) return 'misplaced';
  if (!history) return 'ok';
  // Past EOF in the EOF block (what an mmap read of it, or recovery's read up to its end, sees),
  // the leftovers' bytes are what the kernel shows there: ->read_folio reads the EOF block whole
  // (6.12.117 fs/iomap/buffered-io.c L419-429), and only a crash can have left them (spec/fs.md,
  // "Initial states"). Inside EOF they are stale.
  if (wr.kind === 'prior' && offset >= eof) return 'ok';
  for (const r of wr.removed) if (r.step <= readStart && offset >= r.from) return 'stale';
  return 'ok';
}

/**
 * The placement rule alone, as the checkers judged data before history (any data ever written at
 * an offset was accepted there): kept to show what the history rule adds (properties/world tests).
 */
export function judgeTagByPlacement(
  tag: number,
  offset: number,
  writes: ReadonlyMap<number, WriteInfo>,
): TagVerdict {
  if (tag === TAG_ZERO) return 'ok';
  if (tag === TAG_STALE || !isUserTag(tag)) return 'stale';
  const wr = writes.get(tagWriteId(tag));
  if (wr === undefined) return 'misplaced';
  return wr.pos + tagUnit(tag) * SECTOR_SIZE === offset ? 'ok' : 'misplaced';
}

/**
 * The first badly placed or stale unit of `tags` read from file offset `pos` by a read begun at
 * `readStart`, or null; `eof`: the file's size, for reads that see past it (judgeTag); `history`:
 * judge by history too (historyHolds). The run's writes (writesOf) are asked for at the first user
 * tag only: most reads return zeros, and a zero or a stale tag is judged without them.
 */
export function firstBadTag(
  tags: Int32Array,
  units: number,
  pos: number,
  w: WorldView,
  readStart: number,
  eof: number = Number.POSITIVE_INFINITY,
  history = true,
): { unit: number; verdict: TagVerdict; tag: number } | null {
  let writes: ReadonlyMap<number, WriteInfo> | null = null;
  // The write of the last user tag: the units of one write's data come in a row.
  let id = -1;
  let wr: WriteInfo | undefined;
  for (let u = 0; u < units; u++) {
    const tag = tags[u] ?? TAG_ZERO;
    if (tag === TAG_ZERO) continue;
    let verdict: TagVerdict = 'stale';
    if (tag !== TAG_STALE && isUserTag(tag)) {
      if (writes === null) writes = writesOf(w);
      if (tagWriteId(tag) !== id) {
        id = tagWriteId(tag);
        wr = writes.get(id);
      }
      verdict = judgeUserTag(tag, wr, pos + u * SECTOR_SIZE, readStart, eof, history);
    }
    if (verdict !== 'ok') return { unit: u, verdict, tag };
  }
  return null;
}
