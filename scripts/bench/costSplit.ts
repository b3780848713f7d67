/**
 * Where a campaign run's CPU goes, by taking parts away (issue 16 item 3: the campaign at 25 % of
 * the bare ceiling): the bench's cases run in alternating blocks in one process as the bench runs
 * them (every invariant checked), without the invariant probe, as the world alone (the same
 * scenarios with their threads taken out: build, start, quiescence, recovery of nothing, the
 * checkers' end-of-run hooks, recycling), the world alone without the probe, and the bare ceiling
 * (scripts/bench/throughput.ts bareRun: the same steps over contexts that only yield).
 *
 *   npx tsx scripts/bench/costSplit.ts [--cases N] [--blocks N] [--block-ms MS] [--warmup-ms MS]
 *
 * From the medians (CPU µs a run): the checkers cost full - no probe; the world's build and
 * end-of-run work costs the world alone without the probe; the steps (the model's kernel,
 * filesystem, block and mm code, the scheduler and the generator chain) cost the rest. A profile
 * attributes samples to functions; taking a part away also takes its allocations and their
 * collection, and what the part did to the others' caches. At 25 % of the ceiling a run may cost
 * four bare runs: the last line says how far the steps alone are from that.
 */
import { pathToFileURL } from 'node:url';
import { FIXED_OPS } from '../../model/kernel/ops.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import type { Probe } from '../../model/world/probe.ts';
import { recycleRun, runScenario } from '../../model/world/run.ts';
import { makeProbe } from '../../properties/invariants/registry.ts';
import { type CampaignCase, runCase } from '../commands/campaign.ts';
import { asksHelp, parseScriptOptions, wholeNumberOption } from '../scriptOptions.ts';
import { median, round, sampleCases } from './measure.ts';
import { BENCH_SEED } from './options.ts';
import { type BareCase, bareRun, emptyTally, runCases, warmUp } from './throughput.ts';

export const USAGE = `usage: npx tsx scripts/bench/costSplit.ts [--cases N] [--blocks N] [--block-ms MS] [--warmup-ms MS]
  --cases N        campaign cases of the bench seed (default 1000)
  --blocks N       rounds of alternating blocks, one block of each part a round (default 16)
  --block-ms MS    CPU time of one block (default 250)
  --warmup-ms MS   untimed warm-up of the model first (default 3000)`;

export class CostSplitUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CostSplitUsageError';
  }
}

export interface CostSplitOptions {
  readonly cases: number;
  readonly blocks: number;
  readonly blockMs: number;
  readonly warmupMs: number;
}

export function parseCostSplitArgs(argv: readonly string[]): CostSplitOptions {
  const parsed = parseScriptOptions(
    'costSplit',
    argv,
    { values: ['cases', 'blocks', 'block-ms', 'warmup-ms'], flags: [] },
    CostSplitUsageError,
  );
  const option = (name: string, fallback: number, min: number): number =>
    wholeNumberOption('costSplit', name, parsed.options.get(name), fallback, CostSplitUsageError, min);
  return {
    cases: option('cases', 1000, 1),
    blocks: option('blocks', 16, 1),
    blockMs: option('block-ms', 250, 1),
    warmupMs: option('warmup-ms', 3000, 0),
  };
}

/** The parts, in the order of a round (the next round runs them backwards). */
export const PARTS = ['full', 'noProbe', 'world', 'worldNoProbe', 'bare'] as const;
export type Part = (typeof PARTS)[number];

export interface CostSplit {
  readonly cases: number;
  readonly meanStepsPerRun: number;
  readonly blocks: number;
  /** Median CPU µs a run of each part. */
  readonly us: Readonly<Record<Part, number>>;
  /** Derived, µs a run: the checkers, the world's build and end of run, the steps. */
  readonly checks: number;
  readonly worldBuild: number;
  readonly steps: number;
  /** Bare over full: the bench's ratio to the ceiling, from these blocks. */
  readonly ratio: number;
  /** Bare over the steps alone: the ratio if the world and the checkers cost nothing. */
  readonly stepsOnlyRatio: number;
}

/** One pass over `cases` without the probe or with `probe`, as runCase runs them (the correct model). */
function runWith(cases: readonly CampaignCase[], probe: Probe | undefined): void {
  for (const c of cases) {
    try {
      recycleRun(runScenario(c[0], { source: new ArrayChoices(c[2]), faults: c[1], probe, ops: FIXED_OPS }));
    } catch {
      // A model error counts as the runs around it do: the bench's runCases does the same.
    }
  }
}

export function measureCostSplit(o: CostSplitOptions): CostSplit {
  const cases = sampleCases(BENCH_SEED, o.cases);
  const steps: number[] = new Array(cases.length).fill(0);
  const tally = emptyTally();
  runCases(cases, tally, steps);
  const probe = makeProbe();
  const empty: CampaignCase[] = cases.map(([s, f, c]) => [{ ...s, threads: [] }, f, c]);
  const bare: BareCase[] = cases.map(([s, f, c], i) => ({
    steps: steps[i] ?? 0,
    contexts: s.threads.length + 1,
    faults: f,
    choices: c,
  }));
  const pass: Record<Part, () => void> = {
    full: () => {
      for (const c of cases) {
        try {
          recycleRun(runCase(c));
        } catch {
          // As runCases: counted, not thrown.
        }
      }
    },
    noProbe: () => runWith(cases, undefined),
    world: () => runWith(empty, probe),
    worldNoProbe: () => runWith(empty, undefined),
    bare: () => {
      for (const b of bare) bareRun(b);
    },
  };
  warmUp(cases, o.warmupMs);
  for (const p of PARTS) pass[p]();
  const cpuUs = (): number => {
    const c = process.cpuUsage();
    return c.user + c.system;
  };
  const per: Record<Part, number[]> = { full: [], noProbe: [], world: [], worldNoProbe: [], bare: [] };
  for (let k = 0; k < o.blocks; k++) {
    const order = k % 2 === 0 ? PARTS : [...PARTS].reverse();
    for (const p of order) {
      const c0 = cpuUs();
      let runs = 0;
      do {
        pass[p]();
        runs += cases.length;
      } while (cpuUs() - c0 < o.blockMs * 1000);
      per[p].push((cpuUs() - c0) / runs);
    }
  }
  const us = Object.fromEntries(PARTS.map((p) => [p, round(median(per[p]), 2)])) as Record<Part, number>;
  const stepsUs = us.noProbe - us.worldNoProbe;
  return {
    cases: cases.length,
    meanStepsPerRun: round(tally.steps / Math.max(1, tally.runs), 1),
    blocks: o.blocks,
    us,
    checks: round(us.full - us.noProbe, 2),
    worldBuild: us.worldNoProbe,
    steps: round(stepsUs, 2),
    ratio: round(us.bare / Math.max(1e-9, us.full), 4),
    stepsOnlyRatio: round(us.bare / Math.max(1e-9, stepsUs), 4),
  };
}

export function formatCostSplit(r: CostSplit): string {
  const pct = (x: number): string => `${round((100 * x) / Math.max(1e-9, r.us.full), 1)} %`;
  return [
    `cost split: ${r.cases} campaign cases (${r.meanStepsPerRun} steps a run), ${r.blocks} rounds of blocks, median CPU µs a run`,
    `  full (every invariant)      ${r.us.full}`,
    `  without the probe           ${r.us.noProbe}`,
    `  world alone (no threads)    ${r.us.world}  (without the probe ${r.us.worldNoProbe})`,
    `  bare ceiling                ${r.us.bare}`,
    `  checkers ${r.checks} (${pct(r.checks)}), world build and end ${r.worldBuild} (${pct(r.worldBuild)}), steps ${r.steps} (${pct(r.steps)})`,
    `  ratio to the ceiling ${round(r.ratio * 100, 2)} %; with the world and the checkers free ${round(r.stepsOnlyRatio * 100, 2)} % (25 % needs a run of at most ${round(4 * r.us.bare, 2)} µs)`,
  ].join('\n');
}

function main(argv: readonly string[]): number {
  if (asksHelp(argv)) {
    console.log(USAGE);
    return 0;
  }
  let o: CostSplitOptions;
  try {
    o = parseCostSplitArgs(argv);
  } catch (e) {
    if (e instanceof CostSplitUsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  console.log(formatCostSplit(measureCostSplit(o)));
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  process.exitCode = main(process.argv.slice(2));
