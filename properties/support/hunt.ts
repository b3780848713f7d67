/**
 * The hunt: run one planted bug's scenario under seeded choice streams until an invariant breaks.
 * Deterministic: run i of a hunt uses the seed `${bug.name}:${seed}:${i}`.
 */
import { type PlantedBug, opsFor } from '../../model/bugs/catalogue.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { FIXED_OPS } from '../../model/kernel/ops.ts';
import { SeededChoices } from '../../model/runtime/choice.ts';
import type { WorldQuirks } from '../../model/world/quirks.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import { makeProbe } from '../invariants/registry.ts';

/** Probability that a seeded choice deviates from option 0 in a hunt. */
export const HUNT_DEVIATION = 0.25;

const PROBE = makeProbe();

export interface HuntResult {
  /** Runs until the first violation (inclusive), or the budget if none was found. */
  readonly runs: number;
  readonly milliseconds: number;
  /** The first violation, or null if the budget ran out. */
  readonly invariant: string | null;
  readonly result: RunResult | null;
  /** The seed string of the failing run, for `diocheck repro`. */
  readonly runSeed: string | null;
}

/** Run a bug's scenario with the bug planted (or, with `correct`, on the correct model). */
export function runBugOnce(bug: PlantedBug, runSeed: string, correct = false, tracing = false): RunResult {
  const ops: Readonly<KernelOps> = correct ? FIXED_OPS : opsFor(bug);
  const quirks: WorldQuirks = correct ? {} : (bug.quirks ?? {});
  return runScenario(bug.scenario, {
    source: new SeededChoices(runSeed, HUNT_DEVIATION),
    faults: bug.faults,
    probe: PROBE,
    ops,
    quirks,
    tracing,
  });
}

export function hunt(bug: PlantedBug, seed: string, budget: number, correct = false): HuntResult {
  const start = performance.now();
  for (let i = 0; i < budget; i++) {
    const runSeed = `${bug.name}:${seed}:${i}`;
    const result = runBugOnce(bug, runSeed, correct);
    if (result.violation !== null) {
      return {
        runs: i + 1,
        milliseconds: performance.now() - start,
        invariant: result.violation.invariant,
        result,
        runSeed,
      };
    }
  }
  return {
    runs: budget,
    milliseconds: performance.now() - start,
    invariant: null,
    result: null,
    runSeed: null,
  };
}
