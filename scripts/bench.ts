/**
 * `npm run bench`: what diocheck costs on this machine, in one process.
 *
 *   1. throughput: campaign cases (fast-check samples of the campaign's arbitraries, fixed seed) run
 *      through runCase with every invariant checked, after seconds of warm-up, in runs and scheduler
 *      steps per CPU second and per wall-clock second; next to it, measured in alternating blocks,
 *      the ceiling: a bare Runtime whose contexts only yield, taking exactly each case's steps;
 *   2. scaling: the same cases (chunks sampled from seeds derived from the bench seed) split over
 *      1..all cores with worker_threads, the fastest of a few repetitions per worker count;
 *   3. bugs: runs and milliseconds until hunt() catches each planted bug of the catalogue, median and
 *      worst over seeds 1..10;
 *   4. explorer: distinct states per second of the explorer (properties/explore/engine.ts, loaded by
 *      name, as it is still being written) and, as a stand-in, scheduler steps per second of the
 *      exhaustive enumerator (properties/support/enumerate.ts), over one small scenario;
 *   5. heap: heapUsed, after a full collection, every N runs of a campaign of --soak seconds, and the
 *      slope of a line fitted to it.
 *
 * Prints a table and the targets met or missed, and writes everything as JSON (out/bench.json, or
 * --json FILE). `--quick` shrinks every section to seconds (scripts/bench.test.ts uses it); `--soak S`
 * sets the heap campaign's length (default 30 s, 2 s with --quick; the target needs 300). A bad flag
 * prints one line starting `diocheck bench: ` and exits with status 2.
 *
 * CPU time is process.cpuUsage(): every thread of the process, V8's GC threads included. On a
 * machine shared with other work it is the steadier figure; wall-clock rates are printed too.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { BUGS } from '../model/bugs/catalogue.ts';
import { FIXED_OPS } from '../model/kernel/ops.ts';
import { ArrayChoices } from '../model/runtime/choice.ts';
import { GenContext, type KGen } from '../model/runtime/context.ts';
import { type FaultProfile, NO_FAULTS } from '../model/runtime/faults.ts';
import { Runtime } from '../model/runtime/runtime.ts';
import { runScenario } from '../model/world/run.ts';
import type { Scenario } from '../model/world/scenario.ts';
import { choicesArbitrary } from '../properties/arbitraries/choices.ts';
import { faultProfileArbitrary } from '../properties/arbitraries/faults.ts';
import { ExhaustiveChoices } from '../properties/support/enumerate.ts';
import { hunt } from '../properties/support/hunt.ts';
import {
  type CampaignCase,
  CampaignTally,
  CHECKS,
  campaignProperty,
  campaignScenarioArbitrary,
  runCase,
  timeLimit,
} from './commands/campaign.ts';

// ---------------------------------------------------------------------------------------------
// Options.

export const EXIT_OK = 0;
export const EXIT_USAGE = 2;
const DEFAULT_JSON = 'out/bench.json';
const DEFAULT_SOAK_S = 30;
const QUICK_SOAK_S = 2;
const SOAK_MAX_S = 7 * 24 * 3600;

/** The one seed every section derives its cases from. */
export const BENCH_SEED = 20260214;

export interface BenchOptions {
  readonly quick: boolean;
  readonly json: string;
  readonly soakSeconds: number;
  readonly help: boolean;
}

export class BenchUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

const USAGE = `usage: npm run bench -- [--quick] [--json FILE] [--soak SECONDS]
  --quick          every section in seconds (for a test); the heap campaign runs ${QUICK_SOAK_S} s
  --json FILE      where the figures go as JSON (default ${DEFAULT_JSON})
  --soak SECONDS   length of the heap campaign (default ${DEFAULT_SOAK_S}; 300 for the five-minute target)`;

/** Parses the bench's flags (argv without node and the script); throws BenchUsageError. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let quick = false;
  let json: string | null = null;
  let soak: number | null = null;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : null;
    const takeValue = (): string => {
      let v: string | undefined;
      if (eq !== -1) v = arg.slice(eq + 1);
      else v = argv[++i];
      if (v === undefined || v === '' || (eq === -1 && v.startsWith('--')))
        throw new BenchUsageError(`option '--${name}' needs a value`);
      return v;
    };
    switch (name) {
      case 'quick':
        if (eq !== -1) throw new BenchUsageError(`option '--quick' takes no value`);
        if (quick) throw new BenchUsageError(`option '--quick' given twice`);
        quick = true;
        break;
      case 'help':
        help = true;
        break;
      case 'json':
        if (json !== null) throw new BenchUsageError(`option '--json' given twice`);
        json = takeValue();
        break;
      case 'soak': {
        if (soak !== null) throw new BenchUsageError(`option '--soak' given twice`);
        const v = takeValue();
        if (!/^\d{1,9}(\.\d{1,3})?$/.test(v) || Number(v) <= 0 || Number(v) > SOAK_MAX_S)
          throw new BenchUsageError(
            `--soak must be a positive number of seconds (at most a week), not '${v}'`,
          );
        soak = Number(v);
        break;
      }
      default:
        if (name === null)
          throw new BenchUsageError(
            `unexpected argument '${arg}' (options: --quick, --json FILE, --soak SECONDS)`,
          );
        throw new BenchUsageError(
          `unknown option '--${name}' (options: --quick, --json FILE, --soak SECONDS)`,
        );
    }
  }
  return {
    quick,
    json: json ?? DEFAULT_JSON,
    soakSeconds: soak ?? (quick ? QUICK_SOAK_S : DEFAULT_SOAK_S),
    help,
  };
}

/** How much work each section does: the full bench, or --quick. */
export interface Sizes {
  /** Distinct campaign cases timed for throughput. */
  readonly throughputCases: number;
  /** Untimed rounds over the cases until this long has passed: the JIT needs seconds to settle. */
  readonly warmupMs: number;
  /** Timed blocks: one round of the model over every case, then the bare scheduler over the same. */
  readonly blocks: number;
  /** The bare scheduler repeats its round in a block until this long has passed (it is fast). */
  readonly bareMinMs: number;
  readonly bugSeeds: readonly string[];
  /** Runs a hunt may take before the bug counts as missed from that seed. */
  readonly bugBudget: number;
  readonly explorerMaxMs: number;
  readonly explorerMaxPaths: number;
  /** Heap samples are taken every this many runs. */
  readonly heapSampleEvery: number;
  /** Cases of the scaling section in total (the same cases for every number of workers). */
  readonly scalingCases: number;
  /** Warm-up of each worker, and timed rounds over its cases. */
  readonly scalingWarmupMs: number;
  readonly scalingRounds: number;
  /** Timed repetitions per worker count; the fastest is kept (a busy spell only slows one down). */
  readonly scalingRepeats: number;
}

export const FULL: Sizes = {
  throughputCases: 4000,
  warmupMs: 5000,
  blocks: 5,
  bareMinMs: 300,
  bugSeeds: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'],
  bugBudget: 2000,
  explorerMaxMs: 5000,
  explorerMaxPaths: 1_000_000,
  heapSampleEvery: 2000,
  scalingCases: 8000,
  scalingWarmupMs: 4000,
  scalingRounds: 2,
  scalingRepeats: 3,
};

const QUICK: Sizes = {
  throughputCases: 400,
  warmupMs: 800,
  blocks: 3,
  bareMinMs: 50,
  bugSeeds: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'],
  bugBudget: 400,
  explorerMaxMs: 600,
  explorerMaxPaths: 1_000_000,
  heapSampleEvery: 250,
  scalingCases: 400,
  scalingWarmupMs: 400,
  scalingRounds: 1,
  scalingRepeats: 1,
};

// ---------------------------------------------------------------------------------------------
// Helpers.

const now = (): number => performance.now();

/** A 32-bit seed for part `index` of the work, derived from one seed (a splitmix-style mix). */
export function deriveSeed(seed: number, index: number): number {
  let z = (seed ^ Math.imul(index + 1, 0x9e3779b9)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}

/** The campaign's arbitraries, as the campaign property draws them. */
function campaignCaseArbitrary(): fc.Arbitrary<CampaignCase> {
  return fc.tuple(campaignScenarioArbitrary(), faultProfileArbitrary(), choicesArbitrary());
}

export function sampleCases(seed: number, n: number): CampaignCase[] {
  return fc.sample(campaignCaseArbitrary(), { seed, numRuns: n });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const perSecond = (count: number, ms: number): number => (ms <= 0 ? 0 : (count * 1000) / ms);
const round = (x: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
/** JSON has no Infinity: a figure that was never reached is null. */
const finite = (x: number, digits = 0): number | null => (Number.isFinite(x) ? round(x, digits) : null);

// ---------------------------------------------------------------------------------------------
// 1. Throughput, and the bare scheduler's ceiling.

interface RunTally {
  runs: number;
  steps: number;
  passes: number;
  violations: number;
  bounds: number;
  modelErrors: number;
}

const emptyTally = (): RunTally => ({
  runs: 0,
  steps: 0,
  passes: 0,
  violations: 0,
  bounds: 0,
  modelErrors: 0,
});

/** Runs every case once with every checker; with `steps`, records each case's steps (0 for a model error). */
function runCases(cases: readonly CampaignCase[], tally: RunTally, steps: number[] | null = null): void {
  for (let i = 0; i < cases.length; i++) {
    let n = 0;
    try {
      const r = runCase(cases[i] as CampaignCase);
      n = r.steps;
      if (r.outcome === 'pass') tally.passes++;
      else if (r.outcome === 'violation') tally.violations++;
      else tally.bounds++;
    } catch {
      tally.modelErrors++;
    }
    tally.runs++;
    tally.steps += n;
    if (steps !== null) steps[i] = n;
  }
}

/** Rounds over the cases until `ms` has passed (the JIT's warm-up); returns the rounds run. */
function warmUp(cases: readonly CampaignCase[], ms: number): number {
  const t0 = now();
  let rounds = 0;
  do {
    runCases(cases, emptyTally());
    rounds++;
  } while (now() - t0 < ms);
  return rounds;
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
  return rt.step;
}

/** Wall-clock and CPU time (every thread of the process: the JS thread and V8's GC helpers). */
interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

function timed(f: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = now();
  f();
  const wallMs = now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

interface Rate {
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

interface ThroughputSection {
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
  /** Model steps per CPU second over the bare scheduler's (the same steps, so also runs). */
  readonly ratio: number;
  /** The same ratio from wall-clock time. */
  readonly ratioWall: number;
}

function measureThroughput(sizes: Sizes): ThroughputSection {
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
  const model = rate(tally.runs, tally.steps, modelBlocks);
  const ceiling = rate(bareRuns, bareSteps, bareBlocks);
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
    ratio: round(model.stepsPerCpuSecond / Math.max(1, ceiling.stepsPerCpuSecond), 4),
    ratioWall: round(model.stepsPerSecond / Math.max(1, ceiling.stepsPerSecond), 4),
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Runs and milliseconds to catch each planted bug.

interface BugRow {
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

interface BugsSection {
  readonly seeds: readonly string[];
  readonly budget: number;
  readonly targetRuns: number;
  readonly targetMs: number;
  readonly bugs: readonly BugRow[];
  readonly totalMs: number;
}

const BUG_TARGET_RUNS = 200;
const BUG_TARGET_MS = 1000;

function measureBugs(sizes: Sizes): BugsSection {
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

// ---------------------------------------------------------------------------------------------
// 3. The explorer (stand-in: the exhaustive enumerator).

const KiB = 1024;

/**
 * A small world: the model XFS, a direct write into an unwritten block racing a direct read of the
 * written block and the hole after it, with every interleaving and completion order.
 */
export const EXPLORER_SCENARIO: Scenario = {
  device: { logicalBlockSize: 512, fua: true, writeCache: true },
  fs: {
    model: 'xfs',
    blockSize: 4 * KiB,
    iSize: 12 * KiB,
    extents: [
      { offset: 0, length: 4 * KiB, type: 'mapped', addr: 64 * KiB },
      { offset: 4 * KiB, length: 4 * KiB, type: 'hole' },
      { offset: 8 * KiB, length: 8 * KiB, type: 'unwritten', addr: 72 * KiB },
    ],
  },
  bioMaxVecs: 1,
  threads: [
    [{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB }],
    [{ kind: 'dio_read', pos: 0, len: 8 * KiB }],
  ],
};
const EXPLORER_FAULTS: FaultProfile = { ...NO_FAULTS, interleave: true, reorder: true };

interface StandInSection {
  readonly what: string;
  /** Did the walk visit every choice path (false: it stopped at its time or path bound)? */
  readonly complete: boolean;
  readonly paths: number;
  /** Scheduler steps executed over every path, replayed prefixes included (no state hashing). */
  readonly states: number;
  /** Choice points first reached on each path (nodes of the choice tree). */
  readonly choicePoints: number;
  readonly ms: number;
  readonly statesPerSecond: number;
  readonly pathsPerSecond: number;
  readonly choicePointsPerSecond: number;
  readonly violations: number;
}

/** The explorer of properties/explore/engine.ts, when it is there to be measured. */
interface EngineSection {
  readonly what: string;
  readonly available: boolean;
  /** Why it was not measured (missing, or it threw). */
  readonly note: string;
  readonly complete: boolean;
  readonly stoppedBy: string | null;
  readonly paths: number;
  /** Distinct state fingerprints. */
  readonly states: number;
  readonly ms: number;
  readonly statesPerSecond: number;
  readonly pathsPerSecond: number;
}

interface ExplorerSection {
  readonly scenario: string;
  readonly maxMs: number;
  /** Which figure the target is judged on: the explorer if it ran, else the stand-in. */
  readonly judgedOn: 'explorer' | 'stand-in';
  readonly standIn: StandInSection;
  readonly engine: EngineSection;
}

const EXPLORER_SCENARIO_TEXT =
  'model XFS: dio_write 4 KiB into an unwritten block || dio_read 8 KiB; interleave + reorder';

function measureStandIn(sizes: Sizes): StandInSection {
  const src = new ExhaustiveChoices();
  const options = { source: src, faults: EXPLORER_FAULTS, probe: CHECKS, ops: FIXED_OPS };
  // Warm-up on a separate walk so that the JIT's work is not counted.
  const warm = new ExhaustiveChoices();
  for (let i = 0; i < 500; i++) {
    runScenario(EXPLORER_SCENARIO, { ...options, source: warm });
    if (!warm.advance()) break;
  }
  let paths = 0;
  let states = 0;
  let choicePoints = 0;
  let violations = 0;
  let previous: number[] = [];
  let complete = false;
  const t0 = now();
  for (;;) {
    const r = runScenario(EXPLORER_SCENARIO, options);
    paths++;
    states += r.steps;
    if (r.violation !== null) violations++;
    const path = src.path();
    let common = 0;
    while (common < path.length && common < previous.length && path[common] === previous[common]) common++;
    choicePoints += path.length - common;
    previous = path;
    if (!src.advance()) {
      complete = true;
      break;
    }
    if (paths >= sizes.explorerMaxPaths || now() - t0 >= sizes.explorerMaxMs) break;
  }
  const ms = now() - t0;
  return {
    what: 'stand-in: the exhaustive enumerator (properties/support/enumerate.ts), depth first over choice streams, every invariant checked; states = scheduler steps, replayed prefixes included, no state hashing',
    complete,
    paths,
    states,
    choicePoints,
    ms: round(ms, 1),
    statesPerSecond: round(perSecond(states, ms)),
    pathsPerSecond: round(perSecond(paths, ms)),
    choicePointsPerSecond: round(perSecond(choicePoints, ms)),
    violations,
  };
}

/** What the bench reads of the explorer's result (its module is loaded by name, not typed here). */
interface EngineResult {
  readonly complete: boolean;
  readonly stoppedBy: string | null;
  readonly paths: number;
  readonly states: number;
  readonly milliseconds: number;
}
type ExploreFn = (options: Record<string, unknown>) => EngineResult;

async function measureEngine(sizes: Sizes): Promise<EngineSection> {
  const what =
    'the explorer (properties/explore/engine.ts: state cache, sleep sets, fault budget 1); states = distinct state fingerprints';
  const none = (note: string): EngineSection => ({
    what,
    available: false,
    note,
    complete: false,
    stoppedBy: null,
    paths: 0,
    states: 0,
    ms: 0,
    statesPerSecond: 0,
    pathsPerSecond: 0,
  });
  let explore: ExploreFn;
  try {
    // Loaded by name: the explorer is being written; the bench measures it when it is there.
    const specifier = new URL('../properties/explore/engine.ts', import.meta.url).href;
    const mod = (await import(specifier)) as { explore?: unknown };
    if (typeof mod.explore !== 'function') return none('properties/explore/engine.ts exports no explore()');
    explore = mod.explore as ExploreFn;
  } catch (e) {
    return none(`the explorer could not be loaded: ${(e as Error).message.split('\n', 1)[0]}`);
  }
  try {
    const options = { scenario: EXPLORER_SCENARIO, faults: EXPLORER_FAULTS, maxFaults: 1 };
    explore({ ...options, timeLimitMs: Math.min(500, sizes.explorerMaxMs / 4) });
    const r = explore({ ...options, timeLimitMs: sizes.explorerMaxMs, maxPaths: sizes.explorerMaxPaths });
    const ms = r.milliseconds;
    return {
      what,
      available: true,
      note: 'in development: a snapshot of its speed today',
      complete: r.complete,
      stoppedBy: r.stoppedBy,
      paths: r.paths,
      states: r.states,
      ms: round(ms, 1),
      statesPerSecond: round(perSecond(r.states, ms)),
      pathsPerSecond: round(perSecond(r.paths, ms)),
    };
  } catch (e) {
    return none(`the explorer threw: ${(e as Error).message.split('\n', 1)[0]}`);
  }
}

async function measureExplorer(sizes: Sizes): Promise<ExplorerSection> {
  const standIn = measureStandIn(sizes);
  const engine = await measureEngine(sizes);
  return {
    scenario: EXPLORER_SCENARIO_TEXT,
    maxMs: sizes.explorerMaxMs,
    judgedOn: engine.available ? 'explorer' : 'stand-in',
    standIn,
    engine,
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Heap over a long campaign.

/** The runtime's gc(), when it can be had without a command-line flag. */
function gcFunction(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const f = runInNewContext('gc') as unknown;
    return typeof f === 'function' ? (f as () => void) : null;
  } catch {
    return null;
  }
}

interface HeapSample {
  readonly runs: number;
  readonly ms: number;
  readonly heapUsed: number;
}

interface HeapSection {
  readonly seconds: number;
  readonly seed: number;
  readonly sampleEvery: number;
  /** Samples were taken right after a full collection (otherwise heapUsed includes garbage). */
  readonly forcedGc: boolean;
  readonly runs: number;
  readonly violations: number;
  readonly samples: readonly HeapSample[];
  /** Samples fitted (the first fifth is warm-up and left out). */
  readonly fitted: number;
  readonly slopeBytesPerRun: number;
  readonly slopeBytesPerMinute: number;
  /** Growth of the fitted line over the fitted span, and the mean of the fitted samples. */
  readonly growthBytes: number;
  readonly meanBytes: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** Growth below max(1 MiB, 5% of the mean) over the fitted span. */
  readonly flat: boolean;
}

/** Least squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    num += dx * ((ys[i] as number) - my);
    den += dx * dx;
  }
  return den === 0 ? 0 : num / den;
}

const FLAT_BYTES = 1024 * 1024;
const FLAT_SHARE = 0.05;

function measureHeap(sizes: Sizes, seconds: number): HeapSection {
  const gc = gcFunction();
  const samples: HeapSample[] = [];
  const sample = (runs: number, ms: number): void => {
    gc?.();
    samples.push({ runs, ms: round(ms, 1), heapUsed: process.memoryUsage().heapUsed });
  };
  const tally = new CampaignTally();
  let runs = 0;
  const t0 = now();
  sample(0, 0);
  tally.onRun = () => {
    runs++;
    if (runs % sizes.heapSampleEvery === 0) sample(runs, now() - t0);
  };
  const seed = deriveSeed(BENCH_SEED, 1000);
  fc.check(campaignProperty(tally), {
    seed,
    numRuns: 2_000_000_000,
    plugins: [timeLimit(seconds * 1000)],
  });
  const ms = now() - t0;
  if (runs % sizes.heapSampleEvery !== 0) sample(runs, ms);
  const fit = samples.slice(Math.floor(samples.length / 5));
  const xs = fit.map((s) => s.runs);
  const ys = fit.map((s) => s.heapUsed);
  const perRun = slope(xs, ys);
  const perMs = slope(
    fit.map((s) => s.ms),
    ys,
  );
  const span = (xs[xs.length - 1] ?? 0) - (xs[0] ?? 0);
  const growth = perRun * span;
  const mean = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
  const heaps = samples.map((s) => s.heapUsed);
  return {
    seconds,
    seed,
    sampleEvery: sizes.heapSampleEvery,
    forcedGc: gc !== null,
    runs: tally.runs,
    violations: [...tally.violations.values()].reduce((a, b) => a + b, 0) + tally.modelErrors,
    samples,
    fitted: fit.length,
    slopeBytesPerRun: round(perRun, 3),
    slopeBytesPerMinute: round(perMs * 60_000),
    growthBytes: round(growth),
    meanBytes: round(mean),
    minBytes: Math.min(...heaps),
    maxBytes: Math.max(...heaps),
    flat: fit.length >= 3 && Math.abs(growth) <= Math.max(FLAT_BYTES, FLAT_SHARE * mean),
  };
}

// ---------------------------------------------------------------------------------------------
// 5. Scaling over cores with worker_threads.

/** What a worker is given: the seeds of its chunks of cases, and how long to warm up. */
interface WorkerTask {
  readonly kind: 'diocheck-bench-worker';
  readonly chunkSeeds: readonly number[];
  readonly casesPerChunk: number;
  readonly warmupMs: number;
  readonly rounds: number;
}

type FromWorker =
  | { readonly kind: 'ready'; readonly cases: number }
  | { readonly kind: 'done'; readonly runs: number; readonly steps: number; readonly ms: number };

/** A worker's side: sample its chunks, warm up, then at each `go` run its rounds and report. */
function workerMain(): void {
  const port = parentPort;
  if (port === null) return;
  const task = workerData as WorkerTask;
  const cases = task.chunkSeeds.flatMap((s) => sampleCases(s, task.casesPerChunk));
  if (cases.length > 0) warmUp(cases, task.warmupMs);
  port.on('message', () => {
    const tally = emptyTally();
    const t0 = now();
    for (let r = 0; r < task.rounds; r++) runCases(cases, tally);
    const msg: FromWorker = { kind: 'done', runs: tally.runs, steps: tally.steps, ms: now() - t0 };
    port.postMessage(msg);
  });
  const ready: FromWorker = { kind: 'ready', cases: cases.length };
  port.postMessage(ready);
}

/** Starts this file as a worker; tsx's hooks do not reach workers by themselves, so it imports it. */
function startWorker(task: WorkerTask): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const self = import.meta.url;
  const boot = `import(${JSON.stringify(api)}).then((api) => api.tsImport(${JSON.stringify(self)}, ${JSON.stringify(self)}))`;
  return new Worker(boot, { eval: true, workerData: task, execArgv: [] });
}

interface ScalingRow {
  readonly workers: number;
  readonly runs: number;
  readonly steps: number;
  readonly wallMs: number;
  readonly runsPerSecond: number;
  readonly stepsPerSecond: number;
  /** Runs/s over the one-worker row's, and that over the number of workers. */
  readonly speedup: number;
  readonly efficiency: number;
  /** CPU time of the process over wall-clock time while the workers ran: the cores it got. */
  readonly coresUsed: number;
}

interface ScalingSection {
  readonly cores: number;
  readonly chunks: number;
  readonly cases: number;
  readonly rounds: number;
  /** Timed repetitions per worker count, the fastest kept. */
  readonly repeats: number;
  readonly rows: readonly ScalingRow[];
}

function nextMessage(w: Worker): Promise<FromWorker> {
  return new Promise<FromWorker>((res, rej) => {
    const onError = (e: Error): void => {
      w.off('message', onMessage);
      rej(e);
    };
    const onMessage = (m: FromWorker): void => {
      w.off('error', onError);
      res(m);
    };
    w.once('error', onError);
    w.once('message', onMessage);
  });
}

async function measureWorkers(
  k: number,
  sizes: Sizes,
  chunkSeeds: readonly number[],
  perChunk: number,
): Promise<ScalingRow> {
  const workers: Worker[] = [];
  for (let i = 0; i < k; i++) {
    const task: WorkerTask = {
      kind: 'diocheck-bench-worker',
      chunkSeeds: chunkSeeds.filter((_, j) => j % k === i),
      casesPerChunk: perChunk,
      warmupMs: sizes.scalingWarmupMs,
      rounds: sizes.scalingRounds,
    };
    workers.push(startWorker(task));
  }
  try {
    await Promise.all(workers.map(nextMessage));
    let best: ScalingRow | null = null;
    for (let rep = 0; rep < sizes.scalingRepeats; rep++) {
      const done = workers.map(nextMessage);
      const c0 = process.cpuUsage();
      const t0 = now();
      for (const w of workers) w.postMessage('go');
      const results = await Promise.all(done);
      const wallMs = now() - t0;
      const cpu = process.cpuUsage(c0);
      let runs = 0;
      let steps = 0;
      for (const m of results) {
        if (m.kind !== 'done') throw new Error('a worker answered out of turn');
        runs += m.runs;
        steps += m.steps;
      }
      const row: ScalingRow = {
        workers: k,
        runs,
        steps,
        wallMs: round(wallMs, 1),
        runsPerSecond: round(perSecond(runs, wallMs)),
        stepsPerSecond: round(perSecond(steps, wallMs)),
        speedup: 1,
        efficiency: 1,
        coresUsed: round((cpu.user + cpu.system) / 1000 / Math.max(wallMs, 1e-3), 2),
      };
      if (best === null || row.runsPerSecond > best.runsPerSecond) best = row;
    }
    if (best === null) throw new Error('no scaling repetition ran');
    return best;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export async function measureScaling(sizes: Sizes): Promise<ScalingSection> {
  const cores = Math.max(1, availableParallelism());
  const chunks = 4 * cores;
  const perChunk = Math.ceil(sizes.scalingCases / chunks);
  // Chunk j is sampled from its own seed, derived from the bench seed: every row runs the same cases.
  const chunkSeeds = Array.from({ length: chunks }, (_, j) => deriveSeed(BENCH_SEED, 2000 + j));
  const rows: ScalingRow[] = [];
  for (let k = 1; k <= cores; k++) rows.push(await measureWorkers(k, sizes, chunkSeeds, perChunk));
  const base = rows[0]?.runsPerSecond ?? 1;
  return {
    cores,
    chunks,
    cases: chunks * perChunk,
    rounds: sizes.scalingRounds,
    repeats: sizes.scalingRepeats,
    rows: rows.map((r) => {
      const speedup = round(r.runsPerSecond / Math.max(1, base), 2);
      return { ...r, speedup, efficiency: round(speedup / r.workers, 2) };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Targets, the table and the JSON.

type TargetStatus = 'met' | 'missed' | 'not measured';

interface Target {
  readonly id: string;
  readonly target: string;
  readonly measured: string;
  readonly status: TargetStatus;
  /** Measured over required, where 1 or more meets the target (null when it has no such ratio). */
  readonly margin: number | null;
  readonly note: string;
}

const THROUGHPUT_SHARE = 0.25;
const EXPLORER_STATES_PER_S = 100_000;
const FIVE_MINUTES_S = 300;

const mib = (bytes: number): string => (bytes / 1048576).toFixed(2);

function targets(t: ThroughputSection, b: BugsSection, e: ExplorerSection, h: HeapSection): Target[] {
  const out: Target[] = [];
  const tpMet = t.ratio >= THROUGHPUT_SHARE;
  out.push({
    id: 'throughput',
    target: 'random-scenario throughput >= 1/4 of the bare scheduler ceiling (steps per CPU second)',
    measured: `${fmt(t.model.stepsPerCpuSecond)} vs ${fmt(t.ceiling.stepsPerCpuSecond)} steps/cpu-s = ${(t.ratio * 100).toFixed(2)}% (wall clock ${(t.ratioWall * 100).toFixed(2)}%)`,
    status: tpMet ? 'met' : 'missed',
    margin: round(t.ratio / THROUGHPUT_SHARE, 3),
    note: tpMet
      ? ''
      : `${round(THROUGHPUT_SHARE / Math.max(t.ratio, 1e-9), 1)}x short: a model step runs kernel code, the filesystem, the disk and the checks and allocates for them; a bare step is one generator resume`,
  });
  const slowest = b.bugs.reduce<BugRow | null>(
    (m, r) =>
      m === null || (r.medianRuns ?? Number.POSITIVE_INFINITY) > (m.medianRuns ?? Number.POSITIVE_INFINITY)
        ? r
        : m,
    null,
  );
  const slowestMs = b.bugs.reduce((m, r) => Math.max(m, r.medianMs ?? Number.POSITIVE_INFINITY), 0);
  const missed = b.bugs.filter((r) => !r.met);
  const finiteMedians = missed.every((r) => r.medianRuns !== null);
  out.push({
    id: 'bugs',
    target: `every planted bug caught in a median of <= ${BUG_TARGET_RUNS} runs and <= ${BUG_TARGET_MS} ms`,
    measured: `${b.bugs.length - missed.length}/${b.bugs.length} bugs; most runs: ${slowest?.name ?? '-'} (median ${fmt(slowest?.medianRuns ?? null)}); slowest median ${Number.isFinite(slowestMs) ? `${slowestMs.toFixed(1)} ms` : 'never caught'}`,
    status: missed.length === 0 ? 'met' : 'missed',
    margin:
      finiteMedians && typeof slowest?.medianRuns === 'number' && Number.isFinite(slowestMs)
        ? round(
            Math.min(
              BUG_TARGET_RUNS / Math.max(slowest.medianRuns, 1),
              BUG_TARGET_MS / Math.max(slowestMs, 1e-3),
            ),
            2,
          )
        : null,
    note:
      missed.length === 0
        ? ''
        : `missed: ${missed.map((r) => `${r.name} (${r.detected}/${b.seeds.length} seeds within ${b.budget} runs)`).join(', ')}`,
  });
  const judged = e.judgedOn === 'explorer' ? e.engine.statesPerSecond : e.standIn.statesPerSecond;
  out.push({
    id: 'explorer',
    target: `explorer >= ${EXPLORER_STATES_PER_S / 1000}k states/s on one core`,
    measured:
      e.judgedOn === 'explorer'
        ? `explorer ${fmt(e.engine.statesPerSecond)} distinct states/s; stand-in (enumerator) ${fmt(e.standIn.statesPerSecond)} steps/s`
        : `stand-in (enumerator) ${fmt(e.standIn.statesPerSecond)} steps/s; explorer not measured`,
    status: judged >= EXPLORER_STATES_PER_S ? 'met' : 'missed',
    margin: round(judged / EXPLORER_STATES_PER_S, 3),
    note:
      e.judgedOn === 'explorer'
        ? 'judged on the explorer (in development); each distinct state costs a fingerprint of the whole world and a run replayed from the start'
        : `judged on the stand-in, whose states are scheduler steps: ${e.engine.note}`,
  });
  const long = h.seconds >= FIVE_MINUTES_S;
  out.push({
    id: 'heap',
    target: 'heap flat over a five-minute campaign',
    measured: `${h.flat ? 'flat' : 'growing'} over ${h.seconds} s, ${fmt(h.runs)} runs: ${h.slopeBytesPerRun} B/run, fitted growth ${(h.growthBytes / 1024).toFixed(0)} KiB on ${mib(h.meanBytes)} MiB`,
    status: long ? (h.flat ? 'met' : 'missed') : 'not measured',
    margin: null,
    note: long ? '' : `the campaign ran ${h.seconds} s; the target needs --soak ${FIVE_MINUTES_S}`,
  });
  return out;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux: os.cpus() below
  }
  return cpus()[0]?.model ?? 'unknown';
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function lpad(s: string | number, n: number): string {
  const t = String(s);
  return t.length >= n ? t : ' '.repeat(n - t.length) + t;
}

function fmt(x: number | null): string {
  return x === null ? '-' : x.toLocaleString('en-US');
}

interface Machine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly date: string;
  /** 1-minute load average at the start and the end: other work on the machine skews wall-clock figures. */
  readonly loadAtStart: number;
  readonly loadAtEnd: number;
}

export interface BenchReport {
  readonly format: 'diocheck-bench';
  readonly version: 1;
  readonly machine: Machine;
  readonly quick: boolean;
  readonly seed: number;
  readonly throughput: ThroughputSection;
  readonly scaling: ScalingSection;
  readonly bugs: BugsSection;
  readonly explorer: ExplorerSection;
  readonly heap: HeapSection;
  readonly targets: readonly Target[];
  readonly elapsedMs: number;
}

function formatReport(r: BenchReport): string {
  const m = r.machine;
  const t = r.throughput;
  const lines: string[] = [];
  lines.push(
    `diocheck bench${r.quick ? ' (--quick)' : ''}: ${m.cpuModel}, ${m.nproc} cores, node ${m.node}, ${m.date}; load ${m.loadAtStart.toFixed(1)} -> ${m.loadAtEnd.toFixed(1)}`,
  );
  if (Math.max(m.loadAtStart, m.loadAtEnd) > m.nproc)
    lines.push(
      '  note: the machine was busy with other work; wall-clock figures are low, per-CPU-second ones hold',
    );
  lines.push('');
  lines.push(
    `throughput: one core, ${t.cases} campaign cases (seed ${t.seed}), every invariant checked; ${t.warmupRounds} warm-up rounds, ${t.blocks} timed blocks`,
  );
  lines.push(
    `  ${pad('', 18)}${lpad('runs/cpu-s', 12)}${lpad('steps/cpu-s', 14)}${lpad('runs/s', 10)}${lpad('best runs/s', 13)}${lpad('runs', 9)}${lpad('steps', 11)}`,
  );
  const rateRow = (name: string, x: Rate): string =>
    `  ${pad(name, 18)}${lpad(fmt(x.runsPerCpuSecond), 12)}${lpad(fmt(x.stepsPerCpuSecond), 14)}${lpad(fmt(x.runsPerSecond), 10)}${lpad(fmt(x.bestBlockRunsPerSecond), 13)}${lpad(x.runs, 9)}${lpad(x.steps, 11)}`;
  lines.push(rateRow('model + checks', t.model));
  lines.push(rateRow('bare scheduler', t.ceiling));
  lines.push(
    `  model/bare ${(t.ratio * 100).toFixed(2)}% per CPU second (${(t.ratioWall * 100).toFixed(2)}% wall clock); ${t.model.meanStepsPerRun} steps/run; ${t.model.passes} pass, ${t.model.violations} violation, ${t.model.bounds} bound, ${t.model.modelErrors} model error`,
  );
  lines.push('');
  const sc = r.scaling;
  lines.push(
    `scaling: worker_threads, ${sc.cases} cases in ${sc.chunks} chunks (a seed each, from the bench seed), ${sc.rounds} round(s), fastest of ${sc.repeats}`,
  );
  lines.push(
    `  ${pad('workers', 10)}${lpad('runs/s', 10)}${lpad('steps/s', 12)}${lpad('speedup', 10)}${lpad('eff.', 7)}${lpad('cores used', 12)}`,
  );
  for (const s of sc.rows)
    lines.push(
      `  ${pad(String(s.workers), 10)}${lpad(fmt(s.runsPerSecond), 10)}${lpad(fmt(s.stepsPerSecond), 12)}${lpad(s.speedup.toFixed(2), 10)}${lpad(s.efficiency.toFixed(2), 7)}${lpad(s.coresUsed.toFixed(2), 12)}`,
    );
  const one = sc.rows[0]?.coresUsed ?? 1;
  const starved = sc.rows.filter((x) => x.coresUsed < 0.8 * Math.min(x.workers * one, sc.cores));
  if (starved.length > 0)
    lines.push(
      `  note: other work held the cores: ${starved.map((x) => `${x.workers} workers got ${x.coresUsed.toFixed(2)} cores`).join(', ')} (one worker uses ${one.toFixed(2)}: the JS thread and V8's GC threads)`,
    );
  lines.push('');
  const b = r.bugs;
  lines.push(
    `bugs: hunt() from seeds ${b.seeds[0]}..${b.seeds[b.seeds.length - 1]}, budget ${b.budget} runs, target median <= ${b.targetRuns} runs and <= ${b.targetMs} ms`,
  );
  lines.push(
    `  ${pad('bug', 38)}${pad('invariant', 10)}${lpad('found', 6)}${lpad('runs med', 10)}${lpad('worst', 7)}${lpad('ms med', 8)}${lpad('worst', 8)}`,
  );
  const ms = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
  for (const x of b.bugs) {
    const flags = `${x.met ? '' : '  MISSED'}${x.otherInvariant > 0 ? `  (${x.otherInvariant} by another invariant)` : ''}`;
    lines.push(
      `  ${pad(x.name, 38)}${pad(x.invariant, 10)}${lpad(`${x.detected}/${b.seeds.length}`, 6)}${lpad(fmt(x.medianRuns), 10)}${lpad(fmt(x.worstRuns), 7)}${lpad(ms(x.medianMs), 8)}${lpad(ms(x.worstMs), 8)}${flags}`,
    );
  }
  lines.push('');
  const e = r.explorer;
  lines.push(`explorer: ${e.scenario}, up to ${(e.maxMs / 1000).toFixed(1)} s each`);
  const si = e.standIn;
  lines.push(
    `  stand-in enumerator: ${fmt(si.statesPerSecond)} states (steps)/s, ${fmt(si.pathsPerSecond)} paths/s, ${fmt(si.choicePointsPerSecond)} choice points/s; ${fmt(si.paths)} paths${si.complete ? ', complete' : ', bounded'}`,
  );
  const en = e.engine;
  lines.push(
    en.available
      ? `  explorer (in development): ${fmt(en.statesPerSecond)} distinct states/s, ${fmt(en.pathsPerSecond)} paths/s; ${fmt(en.states)} states, ${fmt(en.paths)} paths${en.complete ? ', complete' : `, stopped by ${en.stoppedBy}`}`
      : `  explorer: not measured (${en.note})`,
  );
  lines.push('');
  const h = r.heap;
  lines.push(
    `heap: campaign of ${h.seconds} s, ${fmt(h.runs)} runs, heapUsed every ${h.sampleEvery} runs${h.forcedGc ? ' after a full gc' : ' (no forced gc)'}`,
  );
  lines.push(
    `  ${mib(h.meanBytes)} MiB mean (min ${mib(h.minBytes)}, max ${mib(h.maxBytes)}); slope ${h.slopeBytesPerRun} B/run, ${(h.slopeBytesPerMinute / 1024).toFixed(1)} KiB/min; ${h.flat ? 'flat' : 'GROWING'}`,
  );
  lines.push('');
  lines.push('targets');
  for (const x of r.targets) {
    lines.push(`  ${pad(x.status.toUpperCase(), 14)}${x.target}`);
    lines.push(`  ${pad('', 14)}${x.measured}${x.margin === null ? '' : `  (x${x.margin} of the target)`}`);
    if (x.note) lines.push(`  ${pad('', 14)}${x.note}`);
  }
  lines.push('');
  lines.push(`elapsed ${(r.elapsedMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<BenchReport> {
  const sizes = options.quick ? QUICK : FULL;
  const t0 = now();
  const loadAtStart = loadavg()[0] ?? 0;
  log('bench: throughput ...');
  const throughput = measureThroughput(sizes);
  log('bench: scaling ...');
  const scaling = await measureScaling(sizes);
  log('bench: bugs ...');
  const bugs = measureBugs(sizes);
  log('bench: explorer ...');
  const explorer = await measureExplorer(sizes);
  log(`bench: heap (${options.soakSeconds} s) ...`);
  const heap = measureHeap(sizes, options.soakSeconds);
  return {
    format: 'diocheck-bench',
    version: 1,
    machine: {
      nproc: availableParallelism(),
      cpuModel: cpuModel(),
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      date: new Date().toISOString(),
      loadAtStart: round(loadAtStart, 2),
      loadAtEnd: round(loadavg()[0] ?? 0, 2),
    },
    quick: options.quick,
    seed: BENCH_SEED,
    throughput,
    scaling,
    bugs,
    explorer,
    heap,
    targets: targets(throughput, bugs, explorer, heap),
    elapsedMs: round(now() - t0),
  };
}

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (e) {
    if (e instanceof BenchUsageError) {
      process.stderr.write(`diocheck bench: ${e.message.split('\n', 1)[0]}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  const report = await runBench(options, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${formatReport(report)}\n`);
  const file = resolve(options.json);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`wrote ${options.json}\n`);
  return EXIT_OK;
}

const asWorker = (workerData as { kind?: unknown } | null)?.kind === 'diocheck-bench-worker';
if (!isMainThread && asWorker) {
  workerMain();
} else if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(resolve(process.argv[1])).href
) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(
        `diocheck bench: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exitCode = 3;
    },
  );
}
