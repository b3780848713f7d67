/**
 * Detection by the general campaign: for every planted bug, the runs and CPU milliseconds until
 * the default campaign catches it, that is the campaign's own cases (its default arbitraries: the
 * campaign scenarios, a swarm fault profile per run, the choice streams; fast-check samples from a
 * seed) run with the bug planted, not the bug's own scenario. A violation counts as caught once the
 * same case passes on the correct model; a case the correct model fails too is not the bug's doing
 * (a finding of the campaign itself): it is counted apart, kept for the report, and the campaign
 * goes on. The invariant that caught the bug is kept, and whether it is the one the catalogue names.
 *
 * Case k of seed s is the same for every bug (batches of BATCH cases, each sampled from a seed
 * derived from s and the batch number), so the rows compare like with like. The first batches are
 * kept in memory and shared; later ones are sampled again for each bug that gets that far.
 *
 * Each seed's campaign may go on past its first catch, to a number of catches per seed (--catches,
 * the bench's detectionCatches), within the budget. A run catches a bug independently of the runs
 * before it, so the runs to a first catch are geometric: the median the target is about is
 * ln 2 / -ln(1 - p) for the catch rate p, and the catches over the runs of every seed estimate p
 * (rateMedianRuns) far better than the sample median of a few first catches (medianRuns, kept for
 * comparison with the older records). Simulated over geometric first catches (20,000 draws): with
 * three seeds, a bug whose true median is 700 runs shows over 1,000 runs by the sample median of the
 * three first catches in 31 % of the draws, by the rate of those same three catches in 20 %, by the
 * rate of three catches per seed in 10.5 %; at a true median of 400, 8.1 %, 2.1 % and 0.03 %; at
 * 1,100, under 1,000 runs in 45 %, 52 % and 43 %.
 *
 * Run alone (the command line at the end of this file), it also makes a second pass with a larger
 * budget over the bugs a seed missed, and with --record writes both into the hunt history.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { BUGS, opsFor, type PlantedBug } from '../../model/bugs/catalogue.ts';
import { FIXED_OPS } from '../../model/kernel/ops.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { runScenario } from '../../model/world/run.ts';
import { parseScriptOptions } from '../scriptOptions.ts';
import { type CampaignCase, CHECKS, campaignCaseArbitrary } from '../commands/campaign.ts';
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
  /** Runs to the first catch (the catching one included) and CPU ms per seed; null where the budget ran out. */
  readonly runs: readonly (number | null)[];
  readonly cpuMs: readonly (number | null)[];
  /** The sample median of the seeds' first catches (the statistic of the records before session 14). */
  readonly medianRuns: number | null;
  readonly medianCpuMs: number | null;
  /** Catches over all seeds (up to catchesPerSeed each) and the runs they took (budgets that ran out included). */
  readonly catches: number;
  readonly casesRun: number;
  /** The median runs to a first catch that the catch rate catches / casesRun implies; null: no catch. */
  readonly rateMedianRuns: number | null;
  /** rateMedianRuns within the target. */
  readonly met: boolean;
}

export interface DetectionSection {
  readonly what: string;
  readonly seeds: readonly number[];
  readonly budget: number;
  /** Catches each seed's campaign goes on to, within the budget. */
  readonly catchesPerSeed: number;
  readonly targetRuns: number;
  readonly rows: readonly DetectionRow[];
  /** Bugs the general campaign did not catch from any seed within the budget: generator gaps. */
  readonly gaps: readonly string[];
  /**
   * Campaign cases the correct model fails too (not counted as catches): findings of the campaign
   * itself, once each by seed and run (1-based), to replay and report.
   */
  readonly correctModelFailures: readonly { seed: number; run: number; invariant: string }[];
  readonly cpuMs: number;
}

export const DETECTION_TARGET_RUNS = 1000;

/** The campaign's cases from one seed, batch by batch. */
export class CaseStream {
  private readonly shared: CampaignCase[][] = [];
  private readonly arb = campaignCaseArbitrary();
  constructor(readonly seed: number) {}
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

/**
 * The median runs to a first catch when each run catches with the rate `catches / runs`: runs to a
 * first catch are geometric, whose median is the least n with 1 - (1 - p)^n >= 1/2. Null without a
 * catch.
 */
export function rateMedian(catches: number, runs: number): number | null {
  if (catches <= 0 || runs <= 0) return null;
  const p = Math.min(1, catches / runs);
  return p === 1 ? 1 : Math.max(1, Math.ceil(Math.LN2 / -Math.log1p(-p)));
}

/**
 * Runs the seed's campaign cases with the bug planted until `want` of them violate or the budget
 * runs out: the first catch's runs, CPU ms and invariant, and the catches and runs in all.
 */
export function campaignCatch(
  bug: PlantedBug,
  stream: CaseStream,
  budget: number,
  want = 1,
): {
  runs: number | null;
  cpuMs: number;
  invariant: string | null;
  catches: number;
  casesRun: number;
  correctModelFails: CorrectModelFailure[];
} {
  const ops = opsFor(bug);
  const correctModelFails: CorrectModelFailure[] = [];
  const quirks = bug.quirks ?? {};
  let runs = 0;
  let cpu = 0;
  let first: { runs: number; cpuMs: number; invariant: string } | null = null;
  let catches = 0;
  const done = () => ({
    runs: first?.runs ?? null,
    cpuMs: first?.cpuMs ?? cpu,
    invariant: first?.invariant ?? null,
    catches,
    casesRun: runs,
    correctModelFails,
  });
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
      if (invariant !== null) {
        const correct = correctModelViolation(cases[i] as CampaignCase);
        if (correct === null) {
          catches++;
          first ??= { runs, cpuMs: cpu + cpuNow() - c0, invariant };
          if (catches >= want) {
            cpu += cpuNow() - c0;
            return done();
          }
        } else correctModelFails.push({ run: runs, invariant: correct });
      }
    }
    cpu += cpuNow() - c0;
  }
  return done();
}

/** A campaign case the correct model fails as well: run `run` (1-based) of the seed's stream. */
export interface CorrectModelFailure {
  readonly run: number;
  readonly invariant: string;
}

/** The invariant the correct model (no bug planted) violates on this case, or null when it passes. */
export function correctModelViolation(value: CampaignCase): string | null {
  const [scenario, faults, choices] = value;
  try {
    const r = runScenario(scenario, {
      source: new ArrayChoices(choices),
      faults,
      probe: CHECKS,
      ops: FIXED_OPS,
      quirks: {},
    });
    return r.violation?.invariant ?? null;
  } catch (e) {
    return `model error: ${(e as Error).message.split('\n', 1)[0]}`;
  }
}

export function measureDetection(
  seeds: readonly number[],
  budget: number,
  bugs: readonly PlantedBug[] = BUGS,
  log: (line: string) => void = () => {},
  catchesPerSeed = 1,
): DetectionSection {
  const c0 = cpuNow();
  const streams = seeds.map((s) => new CaseStream(s));
  const rows: DetectionRow[] = [];
  const correctFails = new Map<string, { seed: number; run: number; invariant: string }>();
  for (const bug of bugs) {
    const runs: (number | null)[] = [];
    const cpuMs: (number | null)[] = [];
    const caughtBy = new Set<string>();
    let other = 0;
    let catches = 0;
    let casesRun = 0;
    for (const stream of streams) {
      const r = campaignCatch(bug, stream, budget, catchesPerSeed);
      catches += r.catches;
      casesRun += r.casesRun;
      for (const f of r.correctModelFails)
        correctFails.set(`${stream.seed}:${f.run}`, { seed: stream.seed, ...f });
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
    const rateMedianRuns = rateMedian(catches, casesRun);
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
      catches,
      casesRun,
      rateMedianRuns,
      met: rateMedianRuns !== null && rateMedianRuns <= DETECTION_TARGET_RUNS,
    };

    log(
      `  ${bug.name}: ${runs.map((x) => x ?? `>${budget}`).join(', ')} runs; median ${row.medianRuns ?? `>${budget}`} runs, ${row.medianCpuMs ?? '-'} cpu ms; ${catches} catches in ${casesRun} runs, rate median ${rateMedianRuns ?? '-'} runs`,
    );
    rows.push(row);
  }
  return {
    what: 'the default campaign (campaign scenarios, swarm fault profiles, default generators) with each bug planted',
    seeds,
    budget,
    catchesPerSeed,
    targetRuns: DETECTION_TARGET_RUNS,
    rows,
    gaps: rows.filter((r) => r.caught === 0).map((r) => r.name),
    correctModelFailures: [...correctFails.values()],
    cpuMs: round(cpuNow() - c0),
  };
}

// ---------------------------------------------------------------------------------------------
// The record in the hunt history (properties/bugs/hunt-history.json, section `generalCampaign`).

/** One bug's figures as the hunt history keeps them. */
export interface DetectionHistoryBug {
  /** The sample median of the seeds' first catches, as every record keeps it. */
  readonly medianRuns: number | null;
  readonly medianCpuMs: number | null;
  readonly runs: readonly (number | null)[];
  /** From session 14 on: catches and runs over the seeds, and the median their rate implies (DetectionRow). */
  readonly catches: number;
  readonly casesRun: number;
  readonly rateMedianRuns: number | null;
  readonly caughtBy: readonly string[];
  /** For a bug some seed missed within the budget: the same seeds again with the gap budget. */
  readonly gapBudget?: {
    readonly budget: number;
    readonly medianRuns: number | null;
    readonly runs: readonly (number | null)[];
  };
}

export interface DetectionHistory {
  readonly what: string;
  readonly date: string;
  readonly seeds: readonly number[];
  readonly budget: number;
  readonly catchesPerSeed: number;
  readonly gapBudget: number;
  readonly targetMedianRuns: number;
  /** Bugs over the target: the median their catch rate implies above it (rateMedianRuns). */
  readonly overTarget: readonly string[];
  /** Bugs no seed caught within the gap budget: generator gaps. */
  readonly gaps: readonly string[];
  /** Cases of the campaign the correct model fails too (seed, run): not catches; see DetectionSection. */
  readonly correctModelFailures: readonly { seed: number; run: number; invariant: string }[];
  readonly bugs: Readonly<Record<string, DetectionHistoryBug>>;
}

/**
 * The `generalCampaign` section of the hunt history: the detection section over every bug and,
 * for the bugs a seed missed within its budget, the second pass with the larger gap budget.
 */
export function detectionHistory(
  main: DetectionSection,
  gapPass: DetectionSection | null,
  date: string,
): DetectionHistory {
  const again = new Map((gapPass?.rows ?? []).map((r) => [r.name, r]));
  const bugs: Record<string, DetectionHistoryBug> = {};
  for (const r of main.rows) {
    const g = again.get(r.name);
    bugs[r.name] = {
      medianRuns: r.medianRuns,
      medianCpuMs: r.medianCpuMs,
      runs: r.runs,
      catches: r.catches,
      casesRun: r.casesRun,
      rateMedianRuns: r.rateMedianRuns,
      caughtBy: [...new Set([...r.caughtBy, ...(g?.caughtBy ?? [])])].sort(),
      ...(g === undefined || gapPass === null
        ? {}
        : { gapBudget: { budget: gapPass.budget, medianRuns: g.medianRuns, runs: g.runs } }),
    };
  }
  const gapBudget = gapPass?.budget ?? main.budget;
  return {
    what: `runs (the catching one included) and CPU ms until ${main.what} catches each planted bug (scripts/bench/detection.ts); null: not within the budget; rateMedianRuns: the median runs to a first catch that the catches over the runs of every seed imply (up to ${main.catchesPerSeed} per seed); gapBudget: the bugs a seed missed, again with ${gapBudget} runs`,
    date,
    seeds: main.seeds,
    budget: main.budget,
    catchesPerSeed: main.catchesPerSeed,
    gapBudget,
    targetMedianRuns: main.targetRuns,
    overTarget: main.rows.filter((r) => !r.met).map((r) => r.name),
    gaps: main.rows
      .filter((r) => r.caught === 0 && (again.get(r.name)?.caught ?? 0) === 0)
      .map((r) => r.name),
    correctModelFailures: [
      ...new Map(
        [...main.correctModelFailures, ...(gapPass?.correctModelFailures ?? [])].map((f) => [
          `${f.seed}:${f.run}`,
          f,
        ]),
      ).values(),
    ],
    bugs,
  };
}

/** Bugs of the main pass that some seed missed: the gap pass runs them again. */
export function missedBySomeSeed(main: DetectionSection): string[] {
  return main.rows.filter((r) => r.caught < main.seeds.length).map((r) => r.name);
}

// ---------------------------------------------------------------------------------------------
// The command line: `npx tsx scripts/bench/detection.ts [--seeds A-B] [--budget N]
// [--gap-budget N] [--catches K] [--bug NAME,...] [--record]`, the detection section alone (the bench runs it
// with its own sizes). --record writes the section into the hunt history, other sections kept.

export interface DetectionOptions {
  readonly seeds: readonly number[];
  readonly budget: number;
  readonly gapBudget: number;
  readonly catches: number;
  readonly bugs: readonly string[] | null;
  readonly record: boolean;
}

export class DetectionUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DetectionUsageError';
  }
}

const RUNS_MAX = 10_000_000;

function parseRuns(name: string, v: string): number {
  if (!/^\d{1,8}$/.test(v) || Number(v) < 1 || Number(v) > RUNS_MAX)
    throw new DetectionUsageError(
      `--${name} must be a whole number of runs from 1 to ${RUNS_MAX}, not '${v}'`,
    );
  return Number(v);
}

/** Parses the flags (argv without node and the script); throws DetectionUsageError. */
export function parseDetectionArgs(argv: readonly string[]): DetectionOptions {
  const parsed = parseScriptOptions(
    'detection',
    argv,
    { values: ['seeds', 'budget', 'gap-budget', 'catches', 'bug'], flags: ['record'] },
    DetectionUsageError,
  );
  let seeds: number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const range = parsed.options.get('seeds');
  if (range !== undefined) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(range);
    const a = Number(m?.[1]);
    const b = Number(m?.[2] ?? m?.[1]);
    if (m === null || a < 1 || b < a)
      throw new DetectionUsageError(`--seeds must be a seed or a range such as 1-10, not '${range}'`);
    seeds = Array.from({ length: b - a + 1 }, (_, k) => a + k);
  }
  const runs = (name: string, fallback: number): number => {
    const v = parsed.options.get(name);
    return v === undefined ? fallback : parseRuns(name, v);
  };
  const budget = runs('budget', 20_000);
  const gapBudget = runs('gap-budget', 200_000);
  const catchesArg = parsed.options.get('catches') ?? '1';
  if (!/^\d{1,3}$/.test(catchesArg) || Number(catchesArg) < 1 || Number(catchesArg) > 100)
    throw new DetectionUsageError(`--catches must be a whole number from 1 to 100, not '${catchesArg}'`);
  const catches = Number(catchesArg);
  let bugs: string[] | null = null;
  const names = parsed.options.get('bug');
  if (names !== undefined) {
    const list = names.split(',');
    const unknown = list.filter((n) => !BUGS.some((b) => b.name === n));
    if (unknown.length > 0) throw new DetectionUsageError(`no planted bug named '${unknown[0]}'`);
    bugs = list;
  }
  const record = parsed.flags.has('record');
  if (record && bugs !== null)
    throw new DetectionUsageError('--record keeps the figures of every planted bug: drop --bug');
  if (gapBudget < budget)
    throw new DetectionUsageError(`--gap-budget (${gapBudget}) must be at least --budget (${budget})`);
  return { seeds, budget, gapBudget, catches, bugs, record };
}

/** The hunt history with its `generalCampaign` section replaced (every other section kept). */
export function withDetectionHistory(
  file: Record<string, unknown>,
  section: DetectionHistory,
): Record<string, unknown> {
  return { ...file, generalCampaign: section };
}

const HISTORY = fileURLToPath(new URL('../../properties/bugs/hunt-history.json', import.meta.url));

function detectionMain(argv: readonly string[]): number {
  let options: DetectionOptions;
  try {
    options = parseDetectionArgs(argv);
  } catch (e) {
    if (!(e instanceof DetectionUsageError)) throw e;
    process.stderr.write(`diocheck detection: ${e.message}\n`);
    return 2;
  }
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const chosen = options.bugs === null ? BUGS : BUGS.filter((b) => options.bugs?.includes(b.name));
  log(
    `detection: seeds ${options.seeds.join(', ')}, budget ${options.budget} runs, up to ${options.catches} catch(es) per seed`,
  );
  const main = measureDetection(options.seeds, options.budget, chosen, log, options.catches);
  const missed = new Set(missedBySomeSeed(main));
  let gapPass: DetectionSection | null = null;
  if (missed.size > 0 && options.gapBudget > options.budget) {
    log(`gap pass: ${[...missed].join(', ')} with ${options.gapBudget} runs`);
    gapPass = measureDetection(
      options.seeds,
      options.gapBudget,
      chosen.filter((b) => missed.has(b.name)),
      log,
    );
  }
  const section = detectionHistory(main, gapPass, new Date().toISOString().slice(0, 10));
  log(
    `met ${main.rows.length - section.overTarget.length} of ${main.rows.length} (rate median <= ${main.targetRuns} runs), ${main.rows.filter((r) => r.medianRuns !== null && r.medianRuns <= main.targetRuns).length} by the sample median of first catches; over: ${section.overTarget.join(', ') || 'none'}; gaps: ${section.gaps.join(', ') || 'none'}; cpu ${Math.round(main.cpuMs / 1000)} s`,
  );
  for (const f of section.correctModelFailures)
    log(`the correct model fails too: seed ${f.seed} run ${f.run} (${f.invariant}), not counted as a catch`);
  if (options.record) {
    const file = JSON.parse(readFileSync(HISTORY, 'utf8')) as Record<string, unknown>;
    writeFileSync(HISTORY, `${JSON.stringify(withDetectionHistory(file, section), null, 2)}\n`);
    log(`recorded: generalCampaign in ${HISTORY}`);
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = detectionMain(process.argv.slice(2));
}
