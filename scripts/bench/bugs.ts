/** Runs and milliseconds until hunt() catches each planted bug in its own scenario. */
import { BUGS } from '../../model/bugs/catalogue.ts';
import { hunt } from '../../properties/support/hunt.ts';
import { finite, median, now, round } from './measure.ts';
import type { Sizes } from './options.ts';

export interface BugRow {
  readonly name: string;
  readonly invariant: string;
  /** Seeds from which the hunt caught the bug (by any invariant) within the budget. */
  readonly detected: number;
  /** Seeds from which it was caught by another invariant than the catalogue names. */
  readonly otherInvariant: number;
  readonly medianRuns: number | null;
  readonly worstRuns: number | null;
  readonly medianMs: number | null;
  readonly worstMs: number | null;
  readonly met: boolean;
}

export interface BugsSection {
  readonly seeds: readonly string[];
  readonly budget: number;
  readonly targetRuns: number;
  readonly targetMs: number;
  readonly bugs: readonly BugRow[];
  readonly totalMs: number;
}

export const BUG_TARGET_RUNS = 200;
export const BUG_TARGET_MS = 1000;

export function measureBugs(sizes: Sizes): BugsSection {
  const t0 = now();
  const rows: BugRow[] = [];
  for (const bug of BUGS) {
    const runs: number[] = [];
    const ms: number[] = [];
    let detected = 0;
    let other = 0;
    for (const seed of sizes.bugSeeds) {
      const h = hunt(bug, seed, sizes.bugBudget);
      if (h.invariant === null) {
        runs.push(Number.POSITIVE_INFINITY);
        ms.push(Number.POSITIVE_INFINITY);
        continue;
      }
      detected++;
      if (h.invariant !== bug.invariant) other++;
      runs.push(h.runs);
      ms.push(h.milliseconds);
    }
    const medianRuns = median(runs);
    const medianMs = median(ms);
    rows.push({
      name: bug.name,
      invariant: bug.invariant,
      detected,
      otherInvariant: other,
      medianRuns: finite(medianRuns, 1),
      worstRuns: finite(Math.max(...runs)),
      medianMs: finite(medianMs, 2),
      worstMs: finite(Math.max(...ms), 2),
      met: medianRuns <= BUG_TARGET_RUNS && medianMs <= BUG_TARGET_MS,
    });
  }
  return {
    seeds: sizes.bugSeeds,
    budget: sizes.bugBudget,
    targetRuns: BUG_TARGET_RUNS,
    targetMs: BUG_TARGET_MS,
    bugs: rows,
    totalMs: round(now() - t0),
  };
}
