/**
 * Detection by the general campaign: for every planted bug, the runs and CPU milliseconds until
 * the default campaign catches it, that is the campaign's own cases (its default arbitraries: the
 * campaign scenarios, a swarm fault profile per run, the choice streams; fast-check samples from a
 * seed) run with the bug planted, not the bug's own scenario. Any violation counts as caught (the
 * correct model passes every campaign case: the throughput section checks that on its cases); the
 * invariant that caught it is kept, and whether it is the one the catalogue names.
 *
 * Case k of seed s is the same for every bug (batches of BATCH cases, each sampled from a seed
 * derived from s and the batch number), so the rows compare like with like. The first batches are
 * kept in memory and shared; later ones are sampled again for each bug that gets that far.
 */
import fc from 'fast-check';
import { BUGS, opsFor, type PlantedBug } from '../../model/bugs/catalogue.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { runScenario } from '../../model/world/run.ts';
import { choicesArbitrary } from '../../properties/arbitraries/choices.ts';
import { faultProfileArbitrary } from '../../properties/arbitraries/faults.ts';
import { type CampaignCase, CHECKS, campaignScenarioArbitrary } from '../commands/campaign.ts';
import { deriveSeed, finite, median, round } from './measure.ts';

const BATCH = 500;
/** Batches kept in memory for every bug (20,000 cases). */
const SHARED_BATCHES = 40;

export interface DetectionRow {
  readonly name: string;
  readonly invariant: string;
  /** Seeds whose campaign caught the bug within the budget. */
  readonly caught: number;
  /** Seeds whose catch was by another invariant than the catalogue names. */
  readonly otherInvariant: number;
  readonly caughtBy: readonly string[];
  /** Runs (the catching one included) and CPU ms per seed; null where the budget ran out. */
  readonly runs: readonly (number | null)[];
  readonly cpuMs: readonly (number | null)[];
  readonly medianRuns: number | null;
  readonly medianCpuMs: number | null;
  readonly met: boolean;
}

export interface DetectionSection {
  readonly what: string;
  readonly seeds: readonly number[];
  readonly budget: number;
  readonly targetRuns: number;
  readonly rows: readonly DetectionRow[];
  /** Bugs the general campaign did not catch from any seed within the budget: generator gaps. */
  readonly gaps: readonly string[];
  readonly cpuMs: number;
}

export const DETECTION_TARGET_RUNS = 1000;

function caseArbitrary(): fc.Arbitrary<CampaignCase> {
  return fc.tuple(campaignScenarioArbitrary(), faultProfileArbitrary(), choicesArbitrary());
}

/** The campaign's cases from one seed, batch by batch. */
export class CaseStream {
  private readonly shared: CampaignCase[][] = [];
  private readonly arb = caseArbitrary();
  constructor(private readonly seed: number) {}
  batch(b: number): readonly CampaignCase[] {
    const kept = this.shared[b];
    if (kept !== undefined) return kept;
    const cases = fc.sample(this.arb, { seed: deriveSeed(this.seed, 5000 + b), numRuns: BATCH });
    if (b < SHARED_BATCHES) this.shared[b] = cases;
    return cases;
  }
}

const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** Runs the seed's campaign cases with the bug planted until one violates or the budget runs out. */
export function campaignCatch(
  bug: PlantedBug,
  stream: CaseStream,
  budget: number,
): { runs: number | null; cpuMs: number; invariant: string | null } {
  const ops = opsFor(bug);
  const quirks = bug.quirks ?? {};
  let runs = 0;
  let cpu = 0;
  for (let b = 0; runs < budget; b++) {
    const cases = stream.batch(b);
    const c0 = cpuNow();
    for (let i = 0; i < cases.length && runs < budget; i++) {
      const [scenario, faults, choices] = cases[i] as CampaignCase;
      runs++;
      let invariant: string | null = null;
      try {
        const r = runScenario(scenario, {
          source: new ArrayChoices(choices),
          faults,
          probe: CHECKS,
          ops,
          quirks,
        });
        invariant = r.violation?.invariant ?? null;
      } catch (e) {
        // A model assertion under a planted bug is the bug showing too (the model's bookkeeping broke).
        invariant = `model error: ${(e as Error).message.split('\n', 1)[0]}`;
      }
      if (invariant !== null) return { runs, cpuMs: cpu + cpuNow() - c0, invariant };
    }
    cpu += cpuNow() - c0;
  }
  return { runs: null, cpuMs: cpu, invariant: null };
}

export function measureDetection(
  seeds: readonly number[],
  budget: number,
  bugs: readonly PlantedBug[] = BUGS,
  log: (line: string) => void = () => {},
): DetectionSection {
  const c0 = cpuNow();
  const streams = seeds.map((s) => new CaseStream(s));
  const rows: DetectionRow[] = [];
  for (const bug of bugs) {
    const runs: (number | null)[] = [];
    const cpuMs: (number | null)[] = [];
    const caughtBy = new Set<string>();
    let other = 0;
    for (const stream of streams) {
      const r = campaignCatch(bug, stream, budget);
      runs.push(r.runs);
      cpuMs.push(r.runs === null ? null : round(r.cpuMs, 1));
      if (r.invariant !== null) {
        caughtBy.add(r.invariant);
        if (r.invariant !== bug.invariant) other++;
      }
    }
    const inf = (x: number | null): number => x ?? Number.POSITIVE_INFINITY;
    const medianRuns = median(runs.map(inf));
    const medianCpu = median(cpuMs.map(inf));
    const row: DetectionRow = {
      name: bug.name,
      invariant: bug.invariant,
      caught: runs.filter((x) => x !== null).length,
      otherInvariant: other,
      caughtBy: [...caughtBy].sort(),
      runs,
      cpuMs,
      medianRuns: finite(medianRuns, 1),
      medianCpuMs: finite(medianCpu, 1),
      met: medianRuns <= DETECTION_TARGET_RUNS,
    };
    log(`  ${bug.name}: ${runs.map((x) => x ?? `>${budget}`).join(', ')} runs`);
    rows.push(row);
  }
  return {
    what: 'the default campaign (campaign scenarios, swarm fault profiles, default generators) with each bug planted',
    seeds,
    budget,
    targetRuns: DETECTION_TARGET_RUNS,
    rows,
    gaps: rows.filter((r) => r.caught === 0).map((r) => r.name),
    cpuMs: round(cpuNow() - c0),
  };
}
