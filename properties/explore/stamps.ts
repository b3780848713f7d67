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
  const records = [...w.requests, ...w.syncs, ...w.fileOps] as unknown as Stamped[];
  if (records.length === 0) return fn();
  const saved: number[] = [];
  for (const r of records) saved.push(r.startStep, r.returnStep);
  for (const r of w.requests) for (const c of r.completions) saved.push(c.step);
  const wb = w.inode.iMapping.wbErrorSteps;
  saved.push(...wb);
  rankStamps(w);
  try {
    return fn();
  } finally {
    let i = 0;
    for (const r of records) {
      r.startStep = saved[i++] as number;
      r.returnStep = saved[i++] as number;
    }
    for (const r of w.requests)
      for (const c of r.completions) (c as { step: number }).step = saved[i++] as number;
    for (let k = 0; k < wb.length; k++) wb[k] = saved[i++] as number;
  }
}

/** Replaces every stamp of a finished run's world by its rank among the stamps (0 stays 0: "not yet"). */
export function rankStamps(w: WorldView): void {
  const values: number[] = [];
  const records = [...w.requests, ...w.syncs, ...w.fileOps] as unknown as Stamped[];
  for (const r of records) values.push(r.startStep, r.returnStep);
  for (const r of w.requests) for (const c of r.completions) values.push(c.step);
  const wb = w.inode.iMapping.wbErrorSteps;
  values.push(...wb);
  const ranks = new Map<number, number>([[0, 0]]);
  for (const v of [...new Set(values)].sort((a, b) => a - b)) if (v !== 0) ranks.set(v, ranks.size);
  const rank = (v: number): number => ranks.get(v) ?? v;
  for (const r of records) {
    r.startStep = rank(r.startStep);
    r.returnStep = rank(r.returnStep);
  }
  for (const r of w.requests) for (const c of r.completions) (c as { step: number }).step = rank(c.step);
  for (let i = 0; i < wb.length; i++) wb[i] = rank(wb[i] as number);
}
