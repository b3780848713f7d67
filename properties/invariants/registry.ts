/**
 * The invariant catalogue, in the order of spec/invariants.md, and the probe that runs every
 * checker of it. A test keeps this list, spec/invariants.md and the IDs raised in model/ in step.
 */
import type { Probe } from '../../model/world/probe.ts';
import type { Invariant, ResultFilter } from './invariant.ts';
import { MODEL_RAISED } from './modelRaised.ts';
import { PARTIAL_CHECKS } from './partial.ts';
import { REQUEST_CHECKS } from './requestChecks.ts';
import { CONTRACT_CHECKS, WORLD_CHECKS } from './worldChecks.ts';

export const ALL_INVARIANTS: readonly Invariant[] = [
  ...MODEL_RAISED,
  ...REQUEST_CHECKS,
  ...CONTRACT_CHECKS,
  ...PARTIAL_CHECKS,
  ...WORLD_CHECKS,
];

export function invariantById(id: string): Invariant | undefined {
  return ALL_INVARIANTS.find((i) => i.id === id);
}

/**
 * A result's class: what a ResultFilter names, as bits (write 1, partial 2, nowait 4, failed 8).
 */
function resultClass(write: boolean, partial: boolean, nowait: boolean, failed: boolean): number {
  return (write ? 1 : 0) | (partial ? 2 : 0) | (nowait ? 4 : 0) | (failed ? 8 : 0);
}

const RESULT_CLASSES = 16;

/** Does a result of class `k` pass filter `f`? */
function passes(f: ResultFilter | undefined, k: number): boolean {
  if (f === undefined) return true;
  if (f.write !== undefined && f.write !== ((k & 1) !== 0)) return false;
  if (f.partial === true && (k & 2) === 0) return false;
  if (f.nowait === true && (k & 4) === 0) return false;
  return f.failed === undefined || f.failed === ((k & 8) !== 0);
}

type ResultHook = NonNullable<Probe['onResult']>;

/**
 * One probe that calls every checker's hooks, in catalogue order. A result goes to the onResult
 * hooks whose filter (Invariant.resultsOf) its request passes, from one list per class made here:
 * each checker a result does not concern returns at once, but a call to it costs more than its test
 * (20 checkers a result, called through one call site; a result concerns 9 to 13 of them).
 */
export function makeProbe(invariants: readonly Invariant[] = ALL_INVARIANTS): Probe {
  const probes = invariants.flatMap((i) => (i.probe === undefined ? [] : [i.probe]));
  const onReturn = probes.flatMap((p) => (p.onReturn ? [p.onReturn] : []));
  const byClass: ResultHook[][] = [];
  for (let k = 0; k < RESULT_CLASSES; k++)
    byClass.push(
      invariants.flatMap((i) => (i.probe?.onResult && passes(i.resultsOf, k) ? [i.probe.onResult] : [])),
    );
  const onFileOp = probes.flatMap((p) => (p.onFileOp ? [p.onFileOp] : []));
  const onSync = probes.flatMap((p) => (p.onSync ? [p.onSync] : []));
  const onQuiescent = probes.flatMap((p) => (p.onQuiescent ? [p.onQuiescent] : []));
  const onRecovered = probes.flatMap((p) => (p.onRecovered ? [p.onRecovered] : []));
  return {
    onReturn: (w, r) => {
      for (const f of onReturn) f(w, r);
    },
    onResult: (w, r, c) => {
      const hooks = byClass[resultClass(r.write, r.partial, r.nowait, c.res < 0)] as ResultHook[];
      for (let i = 0; i < hooks.length; i++) (hooks[i] as ResultHook)(w, r, c);
    },
    onFileOp: (w, r) => {
      for (const f of onFileOp) f(w, r);
    },
    onSync: (w, s) => {
      for (const f of onSync) f(w, s);
    },
    onQuiescent: (w) => {
      for (const f of onQuiescent) f(w);
    },
    onRecovered: (w, rec, step) => {
      for (const f of onRecovered) f(w, rec, step);
    },
  };
}
