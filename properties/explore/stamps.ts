/**
 * Step stamps up to their order, for comparing the end states of two walks.
 *
 * The world records the clock (Runtime.step) at a few events: each request's, sync's and file
 * operation's start and return, each result delivered, each writeback error. The checkers only
 * compare stamps with each other (a completion before a crash, a request issued after an
 * acknowledgement: data.ts, reach.ts), never with a number of steps. A reduction that runs a step
 * which records nothing earlier or later (persistent sets: an interrupt's release_bio before the
 * task's return instead of after) shifts the stamps of the events between by one and keeps their
 * order, so its end states equal the plain walk's once every stamp is replaced by its rank.
 */
import type { WorldView } from '../../model/world/probe.ts';

interface Stamped {
  startStep: number;
  returnStep: number;
}

/** Scratch for withRankedStamps (the stamps saved, then the distinct ones in order): one snapshot at a time. */
const saved: number[] = [];
const distinct: number[] = [];
let busy = false;

/**
 * Runs `fn` with the world's stamps by rank and puts them back after: the state fingerprint
 * (fingerprint.ts) of a run in progress. Sound for the state cache because the model never reads
 * a stamp and the clock is then left out of the fingerprint: from two states whose stamps agree
 * by rank, the same steps record later stamps above every earlier one in both, so every
 * comparison a checker makes comes out the same. A world has a handful of stamps: they are saved
 * and ranked in scratch arrays, without a list, a sort or a closure per snapshot.
 */
export function withRankedStamps<T>(w: WorldView, fn: () => T): T {
  if (w.requests.length + w.syncs.length + w.fileOps.length === 0) return fn();
  // A nested call (none today) gets lists of its own.
  const own = busy ? [] : saved;
  const order = busy ? [] : distinct;
  const outer = !busy;
  busy = true;
  own.length = 0;
  collect(w, own);
  assign(w, own, distinctStamps(own, order));
  try {
    return fn();
  } finally {
    assign(w, own, null);
    if (outer) busy = false;
  }
}

/** Replaces every stamp of a finished run's world by its rank among the stamps (0 stays 0: "not yet"). */
export function rankStamps(w: WorldView): void {
  const stamps = collect(w, []);
  assign(w, stamps, distinctStamps(stamps, []));
}

/** The distinct non-zero stamps of `stamps` ascending, into `out` (by insertion: there are a handful). */
function distinctStamps(stamps: readonly number[], out: number[]): number[] {
  out.length = 0;
  for (let i = 0; i < stamps.length; i++) {
    const v = stamps[i] as number;
    if (v === 0) continue;
    let j = out.length;
    while (j > 0 && (out[j - 1] as number) > v) j--;
    if (j > 0 && out[j - 1] === v) continue;
    out.push(v);
    for (let k = out.length - 1; k > j; k--) out[k] = out[k - 1] as number;
    out[j] = v;
  }
  return out;
}

/**
 * Writes `from` (in `collect`'s order) back into the world's stamps, each as its rank among
 * `sorted` or, with null, as it is.
 */
function assign(w: WorldView, from: readonly number[], sorted: readonly number[] | null): void {
  let i = assignRecords(w.requests as unknown as Stamped[], from, 0, sorted);
  i = assignRecords(w.syncs as unknown as Stamped[], from, i, sorted);
  i = assignRecords(w.fileOps as unknown as Stamped[], from, i, sorted);
  for (const r of w.requests)
    for (const c of r.completions) (c as { step: number }).step = rankIn(sorted, from[i++] as number);
  const wb = w.inode.iMapping.wbErrorSteps;
  for (let k = 0; k < wb.length; k++) wb[k] = rankIn(sorted, from[i++] as number);
}

function assignRecords(
  list: readonly Stamped[],
  from: readonly number[],
  at: number,
  sorted: readonly number[] | null,
): number {
  let i = at;
  for (const r of list) {
    r.startStep = rankIn(sorted, from[i++] as number);
    r.returnStep = rankIn(sorted, from[i++] as number);
  }
  return i;
}

/** The rank of stamp `v` among `sorted`, the distinct non-zero stamps ascending (0 stays 0); null: `v`. */
function rankIn(sorted: readonly number[] | null, v: number): number {
  if (sorted === null || v === 0) return v;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

/** Every stamp of the world, appended to `out` in a fixed order (records, completions, writeback errors). */
function collect(w: WorldView, out: number[]): number[] {
  collectRecords(w.requests as unknown as Stamped[], out);
  collectRecords(w.syncs as unknown as Stamped[], out);
  collectRecords(w.fileOps as unknown as Stamped[], out);
  for (const r of w.requests) for (const c of r.completions) out.push(c.step);
  for (const v of w.inode.iMapping.wbErrorSteps) out.push(v);
  return out;
}

function collectRecords(list: readonly Stamped[], out: number[]): void {
  for (const r of list) out.push(r.startStep, r.returnStep);
}
