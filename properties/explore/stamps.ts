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

/**
 * Runs `fn` with the world's stamps by rank and puts them back after: the state fingerprint
 * (fingerprint.ts) of a run in progress. Sound for the state cache because the model never reads
 * a stamp and the clock is then left out of the fingerprint: from two states whose stamps agree
 * by rank, the same steps record later stamps above every earlier one in both, so every
 * comparison a checker makes comes out the same.
 */
export function withRankedStamps<T>(w: WorldView, fn: () => T): T {
  if (w.requests.length + w.syncs.length + w.fileOps.length === 0) return fn();
  const saved = collect(w, []);
  rankStamps(w);
  try {
    return fn();
  } finally {
    let i = 0;
    for (const list of [w.requests, w.syncs, w.fileOps] as unknown as Stamped[][])
      for (const r of list) {
        r.startStep = saved[i++] as number;
        r.returnStep = saved[i++] as number;
      }
    for (const r of w.requests)
      for (const c of r.completions) (c as { step: number }).step = saved[i++] as number;
    const wb = w.inode.iMapping.wbErrorSteps;
    for (let k = 0; k < wb.length; k++) wb[k] = saved[i++] as number;
  }
}

/** Every stamp of the world, appended to `out` in a fixed order (records, completions, writeback errors). */
function collect(w: WorldView, out: number[]): number[] {
  for (const list of [w.requests, w.syncs, w.fileOps] as unknown as Stamped[][])
    for (const r of list) out.push(r.startStep, r.returnStep);
  for (const r of w.requests) for (const c of r.completions) out.push(c.step);
  for (const v of w.inode.iMapping.wbErrorSteps) out.push(v);
  return out;
}

const byValue = (a: number, b: number): number => a - b;

/** Replaces every stamp of a finished run's world by its rank among the stamps (0 stays 0: "not yet"). */
export function rankStamps(w: WorldView): void {
  // The distinct non-zero stamps in order: a stamp's rank is its index there plus one.
  const sorted = collect(w, []).sort(byValue);
  let n = 0;
  for (const v of sorted) if (v !== 0 && (n === 0 || sorted[n - 1] !== v)) sorted[n++] = v;
  sorted.length = n;
  const rank = (v: number): number => {
    if (v === 0) return 0;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  for (const list of [w.requests, w.syncs, w.fileOps] as unknown as Stamped[][])
    for (const r of list) {
      r.startStep = rank(r.startStep);
      r.returnStep = rank(r.returnStep);
    }
  for (const r of w.requests) for (const c of r.completions) (c as { step: number }).step = rank(c.step);
  const wb = w.inode.iMapping.wbErrorSteps;
  for (let i = 0; i < wb.length; i++) wb[i] = rank(wb[i] as number);
}
