/**
 * What the generator call convention costs a campaign run: how many generator objects a run
 * creates (and how many of them return without ever yielding), how many resumptions the `yield*`
 * chains add above the context's own (every level between the context and the innermost
 * generator is resumed at every yield), and what each of those costs on this machine, measured in
 * the same process; their product is the chain's share of a run's CPU time.
 *
 *   npx tsx scripts/bench/callChain.ts [--cases N] [--warmup-ms MS] [--functions N]
 *
 * The counts come from the campaign's own cases (the bench seed), every invariant checked, with
 * the generator prototype's next() wrapped for one round (one call per resumption at every
 * level: `yield*` calls the inner generator's next). With --functions N the N generator functions
 * that create most generators are listed (V8's %GeneratorGetFunction, enabled in-process).
 *
 * The unit costs are those of small generators whose work stays in the cache: a lower bound for
 * the model's (larger register files to save, megamorphic `yield*` sites), and on a loaded machine
 * a run's time grows more than they do, so the share reads low there. Session 9, quiet-machine
 * figures: 37.5 generators a run (13.7 returned without a yield; 3.0 a run come from the 18
 * functions none of whose generators ever yielded), 89 chain resumptions, ~25 ns a call and ~15 ns
 * a level: ~2.4 µs of a ~34 µs run (7 %). The upper bound, CPU profile ticks on the lines that
 * delegate or resume (`yield*`, `.next(`): 19 % of the process's time; handing callees to a
 * trampoline instead (scripts/bench/trampolineCopy.ts) measured 1.03-1.04x.
 */
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import type { KGen } from '../../model/runtime/context.ts';
import { asksHelp, parseScriptOptions, wholeNumberOption } from '../scriptOptions.ts';
import { BENCH_SEED } from './options.ts';
import { median, round, sampleCases } from './measure.ts';
import { emptyTally, runCases, warmUp } from './throughput.ts';

export const USAGE = `usage: npx tsx scripts/bench/callChain.ts [--cases N] [--warmup-ms MS] [--functions N]
  --cases N        campaign cases of the bench seed (default 1000)
  --warmup-ms MS   warm-up before the timed round and the unit costs (default 3000)
  --functions N    list the N generator functions that create most generators (default 0)`;

export class CallChainUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallChainUsageError';
  }
}

export interface CallChainOptions {
  readonly cases: number;
  readonly warmupMs: number;
  readonly functions: number;
}

export function parseCallChainArgs(argv: readonly string[]): CallChainOptions {
  const parsed = parseScriptOptions(
    'callChain',
    argv,
    { values: ['cases', 'warmup-ms', 'functions'], flags: [] },
    CallChainUsageError,
  );
  const option = (name: string, fallback: number, min = 0): number =>
    wholeNumberOption('callChain', name, parsed.options.get(name), fallback, CallChainUsageError, min);
  return {
    cases: option('cases', 1000, 1),
    warmupMs: option('warmup-ms', 3000),
    functions: option('functions', 0),
  };
}

/** Per run, over one round of the cases. */
export interface ChainCounts {
  readonly runs: number;
  readonly steps: number;
  /** Generator objects created (each resumed at least once). */
  readonly generators: number;
  /** Of them, those that returned at their first resumption: no yield on the path they took. */
  readonly neverYielded: number;
  /** Resumptions of a generator that yielded (at any level of a chain): the chain's walks. */
  readonly yieldResumes: number;
  /** Every next() on a generator object. */
  readonly resumes: number;
  /** The functions that create most generators: name, created and never-yielded per run. */
  readonly top: readonly { name: string; created: number; neverYielded: number }[];
}

interface GenInfo {
  fn: unknown;
  yields: number;
}

type GenNext = (this: object, v?: unknown) => IteratorResult<unknown>;

/** %GeneratorGetFunction, where V8 lets this process have it. */
function generatorFunction(): ((g: object) => { name: string }) | null {
  try {
    setFlagsFromString('--allow-natives-syntax');
    return new Function('g', 'return %GeneratorGetFunction(g)') as (g: object) => { name: string };
  } catch {
    return null;
  }
}

export function countChain(cases: Parameters<typeof runCases>[0], functions: number): ChainCounts {
  const proto = Object.getPrototypeOf((function* () {})()) as object;
  const genProto = Object.getPrototypeOf(proto) as { next: GenNext };
  const original = genProto.next;
  const getFn = functions > 0 ? generatorFunction() : null;
  const info = new WeakMap<object, GenInfo>();
  const perFn = new Map<unknown, { name: string; created: number; never: number }>();
  let generators = 0;
  let neverYielded = 0;
  let yieldResumes = 0;
  let resumes = 0;
  genProto.next = function (this: object, v?: unknown): IteratorResult<unknown> {
    resumes++;
    let i = info.get(this);
    if (i === undefined) {
      generators++;
      const fn = getFn === null ? null : getFn(this);
      i = { fn, yields: 0 };
      info.set(this, i);
      if (fn !== null) {
        let f = perFn.get(fn);
        if (f === undefined) {
          f = { name: (fn as { name: string }).name || '(anonymous)', created: 0, never: 0 };
          perFn.set(fn, f);
        }
        f.created++;
      }
    }
    const r = original.call(this, v);
    if (r.done !== true) {
      i.yields++;
      yieldResumes++;
    } else if (i.yields === 0) {
      neverYielded++;
      if (i.fn !== null) (perFn.get(i.fn) as { never: number }).never++;
    }
    return r;
  };
  const tally = emptyTally();
  try {
    runCases(cases, tally);
  } finally {
    genProto.next = original;
  }
  const runs = Math.max(1, tally.runs);
  const top = [...perFn.values()]
    .sort((a, b) => b.created - a.created)
    .slice(0, functions)
    .map((f) => ({
      name: f.name,
      created: round(f.created / runs, 2),
      neverYielded: round(f.never / runs, 2),
    }));
  return {
    runs: tally.runs,
    steps: round(tally.steps / runs, 2),
    generators: round(generators / runs, 2),
    neverYielded: round(neverYielded / runs, 2),
    yieldResumes: round(yieldResumes / runs, 2),
    resumes: round(resumes / runs, 2),
    top,
  };
}

/** Nanoseconds of CPU per unit of work `f(n)` does n of, the least of three timings. */
function nsPer(f: (n: number) => unknown, n: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 4; k++) {
    const c0 = process.cpuUsage();
    f(n);
    const c = process.cpuUsage(c0);
    if (k > 0) best = Math.min(best, ((c.user + c.system) * 1000) / n);
  }
  return best;
}

function* leaf(n: number): KGen<number> {
  for (let i = 0; i < n; i++) yield;
  return 1;
}

function* level(depth: number, n: number): KGen<number> {
  if (depth === 0) return yield* leaf(n);
  return (yield* level(depth - 1, n)) + 1;
}

// biome-ignore lint/correctness/useYield: a generator that returns without a yield is the call measured.
function* callee(i: number): KGen<number> {
  return i & 1;
}

function* caller(n: number): KGen<number> {
  let s = 0;
  for (let i = 0; i < n; i++) s += yield* callee(i);
  return s;
}

function drain(g: KGen<number>): number {
  let r = g.next();
  while (r.done !== true) r = g.next();
  return r.value;
}

/** The unit costs on this machine now: nanoseconds of CPU. */
export interface UnitCosts {
  /** One more level of `yield*` between the resumer and the yield, per yield. */
  readonly perLevel: number;
  /** Creating a generator, delegating to it, and its return without a yield. */
  readonly perCall: number;
}

export function unitCosts(n: number): UnitCosts {
  const d1 = nsPer((k) => drain(level(0, k)), n);
  const d7 = nsPer((k) => drain(level(6, k)), n);
  const call = nsPer((k) => drain(caller(k)), n);
  return { perLevel: round((d7 - d1) / 6, 1), perCall: round(call, 1) };
}

export interface CallChainResult {
  readonly cases: number;
  readonly counts: ChainCounts;
  readonly units: UnitCosts;
  /** CPU microseconds a run of the cases takes (after warm-up, counting off; median of the blocks). */
  readonly usPerRun: number;
  /** The chain's estimate per run: generators x perCall + yield resumptions x perLevel. */
  readonly chainUsPerRun: number;
  /** The median over blocks of the chain's estimate over the block's run time. */
  readonly chainShare: number;
}

/**
 * The run's CPU time and the unit costs move together with the machine's load (2 cores shared):
 * they are measured in alternating blocks, and the share is the median of the blocks' shares.
 */
export function measureCallChain(o: CallChainOptions, blocks = 5): CallChainResult {
  const cases = sampleCases(BENCH_SEED, o.cases);
  warmUp(cases, o.warmupMs);
  const runUs: number[] = [];
  const perCall: number[] = [];
  const perLevel: number[] = [];
  const shares: number[] = [];
  const counts = countChain(cases, o.functions);
  for (let k = 0; k < blocks; k++) {
    const tally = emptyTally();
    const c0 = process.cpuUsage();
    runCases(cases, tally);
    const c = process.cpuUsage(c0);
    const us = (c.user + c.system) / Math.max(1, tally.runs);
    const u = unitCosts(100_000);
    runUs.push(us);
    perCall.push(u.perCall);
    perLevel.push(u.perLevel);
    shares.push((counts.generators * u.perCall + counts.yieldResumes * u.perLevel) / 1000 / us);
  }
  const units = { perCall: round(median(perCall), 1), perLevel: round(median(perLevel), 1) };
  return {
    cases: cases.length,
    counts,
    units,
    usPerRun: round(median(runUs), 2),
    chainUsPerRun: round(
      (counts.generators * units.perCall + counts.yieldResumes * units.perLevel) / 1000,
      2,
    ),
    chainShare: round(median(shares), 3),
  };
}

export function formatCallChain(r: CallChainResult): string {
  const k = r.counts;
  const lines = [
    `call chain: ${r.cases} campaign cases, ${k.steps} steps a run, ${r.usPerRun} cpu-µs a run`,
    `  per run: ${k.generators} generators created (${k.neverYielded} returned without a yield), ${k.resumes} resumptions, ${k.yieldResumes} of them through a yield`,
    `  unit costs: ${r.units.perCall} ns a generator call (create, delegate, return), ${r.units.perLevel} ns a chain level per yield`,
    `  chain: ${r.chainUsPerRun} cpu-µs a run, ${round(r.chainShare * 100, 1)} % of a run`,
  ];
  if (k.top.length > 0) {
    lines.push('  generators a run by function (created, returned without a yield):');
    for (const f of k.top)
      lines.push(
        `    ${f.name.padEnd(32)} ${String(f.created).padStart(6)} ${String(f.neverYielded).padStart(6)}`,
      );
  }
  return lines.join('\n');
}

function main(argv: readonly string[]): number {
  if (asksHelp(argv)) {
    console.log(USAGE);
    return 0;
  }
  let o: CallChainOptions;
  try {
    o = parseCallChainArgs(argv);
  } catch (e) {
    if (e instanceof CallChainUsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  console.log(formatCallChain(measureCallChain(o)));
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  process.exitCode = main(process.argv.slice(2));
