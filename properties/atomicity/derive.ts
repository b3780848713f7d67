/**
 * The model's side of the atomicity map, derived by running: every scenario of scenarios.ts on
 * every setting (the correct model and each kernel-version table), with an AccessLog attached,
 * gives each context's sequence of shared accesses; consecutive accesses with the same row key
 * (same place, same field, same kind) in one step fold into one, and each remaining consecutive
 * pair is recorded with whether a yield separated it (the context's next access came in a later
 * scheduler step).
 */
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { FIXED_OPS, KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { runScenario } from '../../model/world/run.ts';
import { type Access, AccessLog } from './observe.ts';
import { type AtomicityScenario, SCENARIOS } from './scenarios.ts';

/** The settings every scenario runs on: the correct model, the faithful seed, each release. */
export const SETTINGS: ReadonlyArray<readonly [string, Readonly<KernelOps>]> = [
  ['correct', FIXED_OPS],
  ...Object.entries(KERNEL_VERSIONS).map(([name, ops]) => [name, ops] as const),
];

/** A row of the map: where, what, and how (`dio.ref w`), the key both sides share. */
export function rowKey(a: Access): string {
  return `${a.where} ${a.obj}.${a.field} ${a.rw}`;
}

/** What the model does between two consecutive shared accesses of one context. */
export type Gap = 'yield' | 'none';

export interface DerivedPair {
  readonly from: string;
  readonly to: string;
  readonly ctxKind: string;
  /** Gaps seen, and the first scenario and setting that showed each. */
  readonly seen: Map<Gap, string>;
}

export interface Derivation {
  /** Row id (rowId) → first `scenario @ setting` that reached it. */
  readonly rows: Map<string, string>;
  /** Row id → the settings on which some run reached it. */
  readonly rowSettings: Map<string, Set<string>>;
  /** `from → to [ctxKind]` → the pair. */
  readonly pairs: Map<string, DerivedPair>;
  /** Runs that did not pass (a scenario should pass on every setting). */
  readonly failures: string[];
  readonly runs: number;
  readonly accesses: number;
}

export function pairKey(from: string, to: string, ctxKind: string): string {
  return `${from} -> ${to} [${ctxKind}]`;
}

/** Runs one scenario on one setting and returns its access log. */
export function observeRun(
  s: AtomicityScenario,
  ops: Readonly<KernelOps>,
): { log: AccessLog; outcome: string } {
  const log = new AccessLog();
  const r = runScenario(s.scenario, {
    source: new ArrayChoices(s.choices),
    faults: s.faults,
    // Tracing off: its details read fields (the count an atomic just wrote) the kernel does not.
    tracing: false,
    ops,
    observe: (w) => log.attach(w),
  });
  const outcome =
    r.outcome === 'pass' ? 'pass' : `${r.outcome}: ${r.violation?.message ?? r.bound?.message ?? ''}`;
  return { log, outcome };
}

/** A row as the map names it: the row key and the kind of context it runs in. */
export function rowId(key: string, ctxKind: string): string {
  return `${key} [${ctxKind}]`;
}

/** Does the map say another context can touch what this row accesses, at that point? */
export type SharedTest = (rowId: string) => boolean;

/**
 * Folds one run's accesses into the derivation. Every access counts as a row reached; pairs are
 * formed over the shared rows only (an access to state only this context can touch at that point
 * needs no interleaving point around it), and a pair has a yield between it when any step boundary
 * lies between its two accesses.
 */
export function fold(
  d: Derivation,
  accesses: readonly Access[],
  label: string,
  shared: SharedTest,
  setting = '',
): void {
  const last = new Map<number, { key: string; step: number }>();
  for (const a of accesses) {
    const key = rowKey(a);
    const id = rowId(key, a.ctxKind);
    if (!d.rows.has(id)) d.rows.set(id, label);
    let settings = d.rowSettings.get(id);
    if (settings === undefined) {
      settings = new Set();
      d.rowSettings.set(id, settings);
    }
    settings.add(setting);
    if (!shared(id)) continue;
    const prev = last.get(a.ctx);
    last.set(a.ctx, { key, step: a.step });
    if (prev === undefined) continue;
    const gap: Gap = prev.step === a.step ? 'none' : 'yield';
    const pk = pairKey(prev.key, key, a.ctxKind);
    let p = d.pairs.get(pk);
    if (p === undefined) {
      p = { from: prev.key, to: key, ctxKind: a.ctxKind, seen: new Map() };
      d.pairs.set(pk, p);
    }
    if (!p.seen.has(gap)) p.seen.set(gap, label);
  }
}

export function derive(shared: SharedTest, scenarios = SCENARIOS, settings = SETTINGS): Derivation {
  const d: Derivation = {
    rows: new Map(),
    rowSettings: new Map(),
    pairs: new Map(),
    failures: [],
    runs: 0,
    accesses: 0,
  };
  for (const [setting, ops] of settings) {
    for (const s of scenarios) {
      const { log, outcome } = observeRun(s, ops);
      const label = `${s.name} @ ${setting}`;
      if (outcome !== 'pass') d.failures.push(`${label}: ${outcome}`);
      (d as { runs: number }).runs++;
      (d as { accesses: number }).accesses += log.accesses.length;
      fold(d, log.accesses, label, shared, setting);
    }
  }
  return d;
}
