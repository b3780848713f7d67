/**
 * Paired throughput: the campaign's cases on two checkouts of the model IN ONE PROCESS, in
 * alternating blocks (A B B A ...), with every invariant checked. On a machine whose load comes and
 * goes (2 cores shared with other engineers' tests), two processes a minute apart differ by 1.5x on
 * the same code; two blocks a fraction of a second apart see the same machine, so the ratio of a
 * pair is what the change did. The figure is the median over pairs of B's CPU time per run over
 * A's, with the spread of the pairs.
 *
 *   npx tsx scripts/bench/paired.ts --base DIR [--other DIR] [--cases N] [--blocks N] [--block-ms MS] [--warmup-ms MS]
 *
 * A is the checkout at DIR (made with `git archive <rev> | tar -x -C DIR`, with node_modules linked
 * in); B is this checkout, or --other DIR. Both run the same cases (each checkout samples them
 * from the bench seed with its own arbitraries), and the outcomes of one round must agree (passes,
 * violations, bounds, model errors, steps), or the comparison stops: a faster model that runs other
 * runs is no comparison (scripts/bench/sameRuns.ts checks the runs bit for bit).
 *
 * Under a load that comes in bursts, many short blocks beat a few long ones: with load 4 to 6 on
 * 2 cores (session 13), two copies of one commit measured 1.045x in 20 pairs of 300 ms, and
 * 1.018x / 0.988x (A first / B first; 1.003x both) in 300 pairs of 40 ms (`--blocks 300
 * --block-ms 40`), where session 13's change measured 1.044x / 1.037x.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { asksHelp, parseScriptOptions, wholeNumberOption } from '../scriptOptions.ts';
import { median, round } from './measure.ts';
import type { RunTally } from './throughput.ts';

export const USAGE = `usage: npx tsx scripts/bench/paired.ts --base DIR [--other DIR] [--cases N] [--blocks N] [--block-ms MS] [--warmup-ms MS]
  --base DIR       checkout A (the reference, e.g. main's commit: git archive <rev> | tar -x -C DIR)
  --other DIR      checkout B (default: this checkout)
  --cases N        campaign cases of the bench seed (default 1000)
  --blocks N       timed pairs of blocks (default 20)
  --block-ms MS    CPU time of one block (default 300)
  --warmup-ms MS   untimed warm-up of each side, alternating (default 3000)
Two processes run the pairs, one loading A first, the other B (the order can move the ratio).`;

export class PairedUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PairedUsageError';
  }
}

export interface PairedOptions {
  readonly base: string;
  readonly other: string;
  readonly cases: number;
  readonly blocks: number;
  readonly blockMs: number;
  readonly warmupMs: number;
  /** Which checkout this process loads first (a child's; the parent runs one child of each). */
  readonly first: 'a' | 'b' | null;
}

/** This checkout's root (scripts/bench/ is two levels down). */
export const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function checkout(value: string, name: string): string {
  const dir = resolve(value);
  if (!existsSync(join(dir, 'scripts', 'bench', 'throughput.ts')))
    throw new PairedUsageError(
      `paired: --${name} ${value} is not a diocheck checkout (no scripts/bench/throughput.ts)`,
    );
  return dir;
}

function first(value: string | undefined): 'a' | 'b' | null {
  if (value === undefined) return null;
  if (value === 'a' || value === 'b') return value;
  throw new PairedUsageError(`paired: --first must be a or b, not '${value}'`);
}

/** Parses the flags (argv without node and the script); throws PairedUsageError. */
export function parsePairedArgs(argv: readonly string[]): PairedOptions {
  const parsed = parseScriptOptions(
    'paired',
    argv,
    { values: ['base', 'other', 'cases', 'blocks', 'block-ms', 'warmup-ms', 'first'], flags: [] },
    PairedUsageError,
  );
  const base = parsed.options.get('base');
  if (base === undefined)
    throw new PairedUsageError('paired: --base DIR is required (the checkout to compare with)');
  const option = (name: string, fallback: number, min: number): number =>
    wholeNumberOption('paired', name, parsed.options.get(name), fallback, PairedUsageError, min);
  return {
    base: checkout(base, 'base'),
    other: checkout(parsed.options.get('other') ?? HERE, 'other'),
    cases: option('cases', 1000, 1),
    blocks: option('blocks', 20, 1),
    blockMs: option('block-ms', 300, 1),
    warmupMs: option('warmup-ms', 3000, 0),
    first: first(parsed.options.get('first')),
  };
}

/** This checkout's throughput tally; the other checkout's must have the same fields. */
type Tally = RunTally;

/** What one side needs of its checkout's bench: its cases, a round over them, and its tally. */
interface Side {
  readonly dir: string;
  round(tally: Tally): void;
  readonly emptyTally: () => Tally;
}

async function loadSide(dir: string, n: number): Promise<Side> {
  const url = (p: string): string => pathToFileURL(join(dir, p)).href;
  const throughput = (await import(url('scripts/bench/throughput.ts'))) as {
    runCases(cases: readonly unknown[], tally: Tally): void;
    emptyTally(): Tally;
  };
  const measure = (await import(url('scripts/bench/measure.ts'))) as {
    sampleCases(seed: number, n: number): unknown[];
  };
  const options = (await import(url('scripts/bench/options.ts'))) as { BENCH_SEED: number };
  const cases = measure.sampleCases(options.BENCH_SEED, n);
  return {
    dir,
    emptyTally: throughput.emptyTally,
    round: (tally) => throughput.runCases(cases, tally),
  };
}

/** CPU microseconds of this process (every thread: the JS thread and V8's GC helpers). */
function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** Rounds of `side` until `ms` of CPU time has passed; returns [runs, cpu µs]. */
function block(side: Side, tally: Tally, ms: number): [number, number] {
  const runs0 = tally.runs;
  const c0 = cpuUs();
  let c = c0;
  do {
    side.round(tally);
    c = cpuUs();
  } while (c - c0 < ms * 1000);
  return [tally.runs - runs0, c - c0];
}

export interface PairedSide {
  readonly dir: string;
  readonly runs: number;
  readonly cpuMs: number;
  readonly runsPerCpuSecond: number;
  readonly usPerRun: number;
}

export interface PairedResult {
  readonly a: PairedSide;
  readonly b: PairedSide;
  readonly cases: number;
  readonly meanStepsPerRun: number;
  readonly pairs: number;
  /** B's speed over A's (A's CPU time per run over B's): median over pairs, and the pairs' range. */
  readonly speedup: number;
  readonly speedupMin: number;
  readonly speedupMax: number;
  readonly speedupQuartiles: readonly [number, number];
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
}

function sideFigures(dir: string, runs: number, us: number): PairedSide {
  return {
    dir,
    runs,
    cpuMs: round(us / 1000, 1),
    runsPerCpuSecond: round((runs * 1e6) / Math.max(1, us)),
    usPerRun: round(us / Math.max(1, runs), 2),
  };
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] as number;

/**
 * One process's pairs. Which checkout a process loads first can move the ratio: two copies of one
 * commit measured 1.024x with A loaded first and 0.951x with B first (session 9, load 5-7), though
 * other runs showed no such effect (V8's shared builtins and inline caches meet one side's code
 * first). So the command runs two processes, one loading each side first, and reports the
 * geometric mean of the two medians.
 */
export async function measurePaired(o: PairedOptions): Promise<PairedResult> {
  const loadBefore = loadavg().map((x) => round(x, 2));
  const a = o.first === 'b' ? null : await loadSide(o.base, o.cases);
  const b = await loadSide(o.other, o.cases);
  return measureSides(o, a ?? (await loadSide(o.base, o.cases)), b, loadBefore);
}

function measureSides(o: PairedOptions, a: Side, b: Side, loadBefore: readonly number[]): PairedResult {
  // One round each: the same runs, or no comparison.
  const ta = a.emptyTally();
  const tb = b.emptyTally();
  a.round(ta);
  b.round(tb);
  for (const k of ['runs', 'steps', 'passes', 'violations', 'bounds', 'modelErrors'] as const)
    if (ta[k] !== tb[k])
      throw new Error(
        `paired: the two checkouts ran other runs (${k}: ${ta[k]} against ${tb[k]}); no comparison`,
      );
  const half = o.warmupMs / 2;
  for (let w = 0; w < 4; w++) {
    block(a, a.emptyTally(), half / 4);
    block(b, b.emptyTally(), half / 4);
  }
  const tallyA = a.emptyTally();
  const tallyB = b.emptyTally();
  let usA = 0;
  let usB = 0;
  const ratios: number[] = [];
  for (let k = 0; k < o.blocks; k++) {
    // A B, then B A: a drift of the machine within a pair hits the two sides alike over the run.
    const first = k % 2 === 0 ? a : b;
    const second = first === a ? b : a;
    const r1 = block(first, first === a ? tallyA : tallyB, o.blockMs);
    const r2 = block(second, second === a ? tallyA : tallyB, o.blockMs);
    const [ra, rb] = first === a ? [r1, r2] : [r2, r1];
    usA += ra[1];
    usB += rb[1];
    ratios.push(ra[1] / ra[0] / (rb[1] / rb[0]));
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  return {
    a: sideFigures(a.dir, tallyA.runs, usA),
    b: sideFigures(b.dir, tallyB.runs, usB),
    cases: ta.runs,
    meanStepsPerRun: round(ta.steps / Math.max(1, ta.runs), 1),
    pairs: ratios.length,
    speedup: round(median(ratios), 3),
    speedupMin: round(sorted[0] ?? Number.NaN, 3),
    speedupMax: round(sorted[sorted.length - 1] ?? Number.NaN, 3),
    speedupQuartiles: [round(quantile(sorted, 0.25), 3), round(quantile(sorted, 0.75), 3)],
    loadBefore,
    loadAfter: loadavg().map((x) => round(x, 2)),
  };
}

export function formatPaired(r: PairedResult): string {
  const side = (name: string, s: PairedSide): string =>
    `  ${name} ${s.runsPerCpuSecond} runs/cpu-s (${s.usPerRun} cpu-µs a run, ${s.runs} runs)  ${s.dir}`;
  return [
    `paired: ${r.cases} cases (${r.meanStepsPerRun} steps a run), ${r.pairs} pairs of blocks, load ${r.loadBefore.join(' ')} -> ${r.loadAfter.join(' ')}`,
    side('A', r.a),
    side('B', r.b),
    `  B/A speed: median ${r.speedup}x (quartiles ${r.speedupQuartiles[0]}-${r.speedupQuartiles[1]}, range ${r.speedupMin}-${r.speedupMax})`,
  ].join('\n');
}

/** The two processes' results as one: the geometric mean of their medians, the wider range. */
export function combinePaired(ab: PairedResult, ba: PairedResult): PairedCombined {
  return {
    aFirst: ab,
    bFirst: ba,
    speedup: round(Math.sqrt(ab.speedup * ba.speedup), 3),
    loadBefore: ab.loadBefore,
    loadAfter: ba.loadAfter,
  };
}

export interface PairedCombined {
  readonly aFirst: PairedResult;
  readonly bFirst: PairedResult;
  /** B's speed over A's: the geometric mean of the two processes' medians. */
  readonly speedup: number;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
}

export function formatCombined(c: PairedCombined): string {
  return [
    '-- A loaded first',
    formatPaired(c.aFirst),
    '-- B loaded first',
    formatPaired(c.bFirst),
    `B/A speed, both orders: ${c.speedup}x (load ${c.loadBefore.join(' ')} -> ${c.loadAfter.join(' ')})`,
  ].join('\n');
}

/** Runs this script in a child process that loads side `first` first, and reads its JSON line. */
function child(argv: readonly string[], first: 'a' | 'b'): PairedResult {
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, script, ...argv, '--first', first], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`paired: the child loading ${first} first failed (exit ${r.status})`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as PairedResult;
}

async function main(argv: readonly string[]): Promise<number> {
  if (asksHelp(argv)) {
    console.log(USAGE);
    return 0;
  }
  let o: PairedOptions;
  try {
    o = parsePairedArgs(argv);
  } catch (e) {
    if (e instanceof PairedUsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  if (o.first !== null) {
    console.log(JSON.stringify(await measurePaired(o)));
    return 0;
  }
  console.log(formatCombined(combinePaired(child(argv, 'a'), child(argv, 'b'))));
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
