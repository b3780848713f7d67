/** heapUsed, after a full collection, every N runs of a long campaign, and the slope of a line fitted to it. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { CampaignTally, campaignProperty, timeLimit } from '../commands/campaign.ts';
import { deriveSeed, now, round } from './measure.ts';
import { BENCH_SEED, type Sizes } from './options.ts';

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

export interface HeapSection {
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

export function measureHeap(sizes: Sizes, seconds: number): HeapSection {
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
