/**
 * Throughput: campaign cases run through runCase with every invariant checked, after seconds of
 * warm-up, in runs and scheduler steps per CPU second and per wall-clock second; next to it,
 * measured in alternating blocks, the ceiling: a bare Runtime whose contexts only yield, taking
 * exactly each case's steps; and, in blocks after them, the campaign as `diocheck run` runs it
 * (fast-check drawing each case, the property, the tally), which the pre-drawn cases leave out.
 */
import fc from 'fast-check';
import { COVERAGE_POOL } from '../../model/runtime/arrayPool.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { GenContext, type KGen } from '../../model/runtime/context.ts';
import type { FaultProfile } from '../../model/runtime/faults.ts';
import { Runtime } from '../../model/runtime/runtime.ts';
import { type RunResult, recycleRun } from '../../model/world/run.ts';
import { type CampaignCase, CampaignTally, campaignProperty, runCase } from '../commands/campaign.ts';
import { deriveSeed, now, perSecond, round, sampleCases, type Timing, timed } from './measure.ts';
import { BENCH_SEED, type Sizes } from './options.ts';

export interface RunTally {
  runs: number;
  steps: number;
  passes: number;
  violations: number;
  bounds: number;
  modelErrors: number;
}

export const emptyTally = (): RunTally => ({
  runs: 0,
  steps: 0,
  passes: 0,
  violations: 0,
  bounds: 0,
  modelErrors: 0,
});

/** Runs every case once with every checker; with `steps`, records each case's steps (0 for a model error). */
export function runCases(
  cases: readonly CampaignCase[],
  tally: RunTally,
  steps: number[] | null = null,
): void {
  for (let i = 0; i < cases.length; i++) {
    let n = 0;
    try {
      const r = runCase(cases[i] as CampaignCase);
      n = r.steps;
      if (r.outcome === 'pass') tally.passes++;
      else if (r.outcome === 'violation') tally.violations++;
      else tally.bounds++;
      // As the campaign property does: only counts outlive the run.
      recycleRun(r);
    } catch {
      tally.modelErrors++;
    }
    tally.runs++;
    tally.steps += n;
    if (steps !== null) steps[i] = n;
  }
}

/** Rounds over the cases until `ms` has passed (the JIT's warm-up); returns the rounds run. */
export function warmUp(cases: readonly CampaignCase[], ms: number): number {
  const t0 = now();
  let rounds = 0;
  do {
    runCases(cases, emptyTally());
    rounds++;
  } while (now() - t0 < ms);
  return rounds;
}

/** The campaign's tally, with the steps of its runs (the ratio to the ceiling is in steps). */
export class StepTally extends CampaignTally {
  steps = 0;
  override record(result: RunResult): void {
    if (!this.failed) this.steps += result.steps;
    super.record(result);
  }
}

/**
 * `runs` runs of the campaign as `diocheck run` makes them: fast-check draws each case from the
 * campaign's arbitraries (seed `seed`) and the campaign property runs it into the tally.
 */
export function campaignBlock(tally: StepTally, runs: number, seed: number): void {
  fc.check(campaignProperty(tally), { seed, numRuns: runs });
}

/** What the bare scheduler replays of one case: as many steps over as many contexts. */
export interface BareCase {
  readonly steps: number;
  readonly contexts: number;
  readonly faults: FaultProfile;
  readonly choices: readonly number[];
}

function* justYield(yields: number): KGen {
  for (let i = 0; i < yields; i++) yield;
}

/**
 * The ceiling: a Runtime (heap, coverage array, scheduler, choice stream) whose contexts do nothing
 * but yield, taking exactly `steps` steps: a context that yields y times takes y + 1 steps.
 */
export function bareRun(c: BareCase): number {
  const rt = new Runtime({ source: new ArrayChoices(c.choices), faults: c.faults });
  const k = Math.min(c.contexts, c.steps);
  if (k === 0) return 0;
  const yields = c.steps - k;
  const each = Math.floor(yields / k);
  const extra = yields % k;
  for (let i = 0; i < k; i++) {
    rt.spawn(new GenContext(`task${i + 1}`, 'task').start(justYield(each + (i < extra ? 1 : 0))));
  }
  rt.run();
  // Its coverage array goes to the next run, as the campaign's does (recycleRun).
  COVERAGE_POOL.give(rt.coverage);
  return rt.step;
}

export interface Rate {
  readonly runs: number;
  readonly steps: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Per CPU second: what one core does, whatever else the machine runs. */
  readonly runsPerCpuSecond: number;
  readonly stepsPerCpuSecond: number;
  /** Per wall-clock second over all blocks, and in the fastest block. */
  readonly runsPerSecond: number;
  readonly stepsPerSecond: number;
  readonly bestBlockRunsPerSecond: number;
}

function rate(runs: number, steps: number, blocks: readonly Timing[]): Rate {
  const wallMs = blocks.reduce((a, b) => a + b.wallMs, 0);
  const cpuMs = blocks.reduce((a, b) => a + b.cpuMs, 0);
  const fastest = blocks.reduce((a, b) => Math.min(a, b.wallMs), Number.POSITIVE_INFINITY);
  return {
    runs,
    steps,
    wallMs: round(wallMs, 1),
    cpuMs: round(cpuMs, 1),
    runsPerCpuSecond: round(perSecond(runs, cpuMs)),
    stepsPerCpuSecond: round(perSecond(steps, cpuMs)),
    runsPerSecond: round(perSecond(runs, wallMs)),
    stepsPerSecond: round(perSecond(steps, wallMs)),
    bestBlockRunsPerSecond: round(perSecond(runs / Math.max(1, blocks.length), fastest)),
  };
}

export interface ThroughputSection {
  readonly seed: number;
  readonly cases: number;
  readonly warmupRounds: number;
  readonly blocks: number;
  readonly model: Rate & {
    readonly passes: number;
    readonly violations: number;
    readonly bounds: number;
    readonly modelErrors: number;
    readonly meanStepsPerRun: number;
  };
  readonly ceiling: Rate;
  /**
   * The campaign as it runs, fast-check drawing every case (other cases than the model's, as many
   * per block): what a user's `diocheck run` does per CPU second.
   */
  readonly campaign: Rate & { readonly violations: number; readonly modelErrors: number };
  /** The campaign's steps per CPU second over the bare scheduler's. */
  readonly campaignRatio: number;
  /** Model steps per CPU second over the bare scheduler's (the same steps, so also runs). */
  readonly ratio: number;
  /** The same ratio from wall-clock time. */
  readonly ratioWall: number;
}

export function measureThroughput(sizes: Sizes): ThroughputSection {
  const cases = sampleCases(BENCH_SEED, sizes.throughputCases);
  // The first round records each case's steps for the bare scheduler.
  const steps: number[] = new Array(cases.length).fill(0);
  runCases(cases, emptyTally(), steps);
  const warmupRounds = 1 + warmUp(cases, sizes.warmupMs);
  const bare: BareCase[] = cases.map(([scenario, faults, choices], i) => ({
    steps: steps[i] ?? 0,
    contexts: scenario.threads.length + 1,
    faults,
    choices,
  }));
  const bareRound = (): number => {
    let n = 0;
    for (const b of bare) n += bareRun(b);
    return n;
  };
  // The bare scheduler takes exactly the model's steps (and warms up while checking so).
  for (const b of bare) {
    const n = bareRun(b);
    if (n !== b.steps) throw new Error(`bare scheduler took ${n} steps instead of ${b.steps}`);
  }
  const tally = emptyTally();
  const modelBlocks: Timing[] = [];
  const bareBlocks: Timing[] = [];
  const campaignBlocks: Timing[] = [];
  const campaignTally = new StepTally(false);
  let bareRuns = 0;
  let bareSteps = 0;
  // Model and bare blocks alternate, so that a busy spell of the machine hits both alike.
  for (let k = 0; k < sizes.blocks; k++) {
    modelBlocks.push(timed(() => runCases(cases, tally)));
    bareBlocks.push(
      timed(() => {
        const t0 = now();
        do {
          bareSteps += bareRound();
          bareRuns += bare.length;
        } while (now() - t0 < sizes.bareMinMs);
      }),
    );
  }
  // The campaign as it runs comes after, in blocks of its own: interleaved with the model's
  // blocks, fast-check's generation cost the model 20 to 30 % of its runs per CPU second in the
  // same process (session 9: 24,400-28,300 alone against 12,000-24,200 interleaved, load 0.2).
  // fast-check's generation warms up first (the blocks' seeds are others).
  campaignBlock(new StepTally(false), cases.length, deriveSeed(BENCH_SEED, 3000));
  for (let k = 0; k < sizes.blocks; k++)
    campaignBlocks.push(
      timed(() => campaignBlock(campaignTally, cases.length, deriveSeed(BENCH_SEED, 3001 + k))),
    );
  const model = rate(tally.runs, tally.steps, modelBlocks);
  const ceiling = rate(bareRuns, bareSteps, bareBlocks);
  const campaign = rate(campaignTally.runs, campaignTally.steps, campaignBlocks);
  return {
    seed: BENCH_SEED,
    cases: cases.length,
    warmupRounds,
    blocks: sizes.blocks,
    model: {
      ...model,
      passes: tally.passes,
      violations: tally.violations,
      bounds: tally.bounds,
      modelErrors: tally.modelErrors,
      meanStepsPerRun: round(tally.steps / Math.max(1, tally.runs), 1),
    },
    ceiling,
    campaign: {
      ...campaign,
      violations: [...campaignTally.violations.values()].reduce((a, b) => a + b, 0),
      modelErrors: campaignTally.modelErrors,
    },
    campaignRatio: round(campaign.stepsPerCpuSecond / Math.max(1, ceiling.stepsPerCpuSecond), 4),
    ratio: round(model.stepsPerCpuSecond / Math.max(1, ceiling.stepsPerCpuSecond), 4),
    ratioWall: round(model.stepsPerSecond / Math.max(1, ceiling.stepsPerSecond), 4),
  };
}
