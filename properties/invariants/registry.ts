/**
 * The invariant catalogue, in the order of spec/invariants.md, and the probe that runs every
 * checker of it. A test keeps this list, spec/invariants.md and the IDs raised in model/ in step.
 */
import type { Probe } from '../../model/world/probe.ts';
import type { Invariant } from './invariant.ts';
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

/** One probe that calls every checker's hooks, in catalogue order. */
export function makeProbe(invariants: readonly Invariant[] = ALL_INVARIANTS): Probe {
  const probes = invariants.flatMap((i) => (i.probe === undefined ? [] : [i.probe]));
  const onReturn = probes.flatMap((p) => (p.onReturn ? [p.onReturn] : []));
  const onResult = probes.flatMap((p) => (p.onResult ? [p.onResult] : []));
  const onFileOp = probes.flatMap((p) => (p.onFileOp ? [p.onFileOp] : []));
  const onSync = probes.flatMap((p) => (p.onSync ? [p.onSync] : []));
  const onQuiescent = probes.flatMap((p) => (p.onQuiescent ? [p.onQuiescent] : []));
  const onRecovered = probes.flatMap((p) => (p.onRecovered ? [p.onRecovered] : []));
  return {
    onReturn: (w, r) => {
      for (const f of onReturn) f(w, r);
    },
    onResult: (w, r, c) => {
      for (const f of onResult) f(w, r, c);
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
