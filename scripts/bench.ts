/**
 * `npm run bench`: what diocheck costs on this machine, in one process. One module per section
 * under scripts/bench/; this file runs them in order, prints the table and writes the JSON.
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
 *      slope of a line fitted to it;
 *   6. SPIN: the peer's Promela model checked by pan beside the explorer on the matching scopes
 *      (sync write, aio read, aio write of N = 1..4 one-page bios), states and CPU seconds and their
 *      ratios (scripts/bench/spin.ts; installs Debian's spin when missing, else says why not);
 *   7. detection: runs and CPU ms until the general campaign (its default generators, with each
 *      bug planted) catches each planted bug (scripts/bench/detection.ts).
 *
 * Prints a table and the targets met or missed, and writes everything as JSON (out/bench.json, or
 * --json FILE). `--quick` shrinks every section to seconds (scripts/bench.test.ts uses it); `--soak S`
 * sets the heap campaign's length (default 30 s, 2 s with --quick; the target needs 300). A bad flag
 * prints one line starting `diocheck bench: ` and exits with status 2.
 *
 * CPU time is process.cpuUsage(): every thread of the process, V8's GC threads included. On a
 * machine shared with other work it is the steadier figure; wall-clock rates are printed too.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { measureBugs } from './bench/bugs.ts';
import { measureDetection } from './bench/detection.ts';
import { measureExplorer } from './bench/explorer.ts';
import { measureHeap } from './bench/heap.ts';
import { now, round } from './bench/measure.ts';
import {
  BENCH_SEED,
  type BenchOptions,
  BenchUsageError,
  EXIT_OK,
  EXIT_USAGE,
  FULL,
  parseBenchArgs,
  QUICK,
  USAGE,
} from './bench/options.ts';
import { type BenchReport, cpuModel, formatReport, targets } from './bench/report.ts';
import { measureScaling } from './bench/scaling.ts';
import { measureSpin } from './bench/spin.ts';
import { measureThroughput } from './bench/throughput.ts';

export { slope } from './bench/heap.ts';
export { deriveSeed, sampleCases } from './bench/measure.ts';
export { BenchUsageError, parseBenchArgs } from './bench/options.ts';
export type { BenchReport } from './bench/report.ts';
export { bareRun } from './bench/throughput.ts';

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
  log('bench: SPIN beside the explorer ...');
  const spin = measureSpin(sizes.spinNs, sizes.spinCapS, log, sizes.spinModes, sizes.spinOpt);
  log('bench: detection by the general campaign ...');
  const detection = measureDetection(
    sizes.detectionSeeds,
    sizes.detectionBudget,
    undefined,
    undefined,
    sizes.detectionCatches,
  );
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
    spin,
    detection,
    targets: targets(throughput, bugs, explorer, heap, spin, detection),
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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
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
