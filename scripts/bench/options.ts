/** The bench's command line and how much work each section does (full or --quick). */
import { SPIN_MODES, type SpinMode } from '../../properties/explore/spinScopes.ts';
import { parseScriptOptions } from '../scriptOptions.ts';

export const EXIT_OK = 0;
export const EXIT_USAGE = 2;
export const DEFAULT_JSON = 'out/bench.json';
export const DEFAULT_SOAK_S = 30;
export const QUICK_SOAK_S = 2;
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

export const USAGE = `usage: npm run bench -- [--quick] [--json FILE] [--soak SECONDS]
  --quick          every section in seconds (for a test); the heap campaign runs ${QUICK_SOAK_S} s
  --json FILE      where the figures go as JSON (default ${DEFAULT_JSON})
  --soak SECONDS   length of the heap campaign (default ${DEFAULT_SOAK_S}; 300 for the five-minute target)`;

const BENCH_OPTIONS = { values: ['json', 'soak'], flags: ['quick', 'help'] };

/** Parses the bench's flags (argv without node and the script); throws BenchUsageError. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const parsed = parseScriptOptions('bench', argv, BENCH_OPTIONS, BenchUsageError);
  const quick = parsed.flags.has('quick');
  const v = parsed.options.get('soak');
  if (v !== undefined && (!/^\d{1,9}(\.\d{1,3})?$/.test(v) || Number(v) <= 0 || Number(v) > SOAK_MAX_S))
    throw new BenchUsageError(`--soak must be a positive number of seconds (at most a week), not '${v}'`);
  return {
    quick,
    json: parsed.options.get('json') ?? DEFAULT_JSON,
    soakSeconds: v !== undefined ? Number(v) : quick ? QUICK_SOAK_S : DEFAULT_SOAK_S,
    help: parsed.flags.has('help'),
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
  /** Seeds of the general campaign per planted bug, and the runs it may take from each. */
  readonly detectionSeeds: readonly number[];
  readonly detectionBudget: number;
  /** Catches each seed's campaign goes on to (the catch rate estimates the median, detection.ts). */
  readonly detectionCatches: number;
  /** Bios per dio of the SPIN comparison, and the explorer's CPU cap per scope by N (seconds). */
  readonly spinNs: readonly number[];
  readonly spinCapS: Readonly<Record<number, number>>;
  /** Modes of the SPIN comparison, and gcc's optimisation of pan (--quick: one mode, -O0: a fast build). */
  readonly spinModes: readonly SpinMode[];
  readonly spinOpt: string;
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
  detectionSeeds: [1, 2, 3],
  detectionBudget: 20_000,
  detectionCatches: 3,
  spinNs: [1, 2, 3, 4],
  spinCapS: { 1: 60, 2: 60, 3: 180, 4: 60 },
  spinModes: SPIN_MODES,
  spinOpt: '-O2',
};

export const QUICK: Sizes = {
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
  detectionSeeds: [1],
  detectionBudget: 100,
  detectionCatches: 1,
  spinNs: [1],
  spinCapS: { 1: 5 },
  spinModes: ['sync'],
  spinOpt: '-O0',
};
