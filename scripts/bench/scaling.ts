/**
 * Scaling over cores: the same campaign cases (chunks sampled from seeds derived from the bench
 * seed) split over 1..all cores with worker_threads, the fastest of a few repetitions per count.
 * A worker is this module started again in a worker thread (see the end of the file).
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { deriveSeed, now, perSecond, round, sampleCases } from './measure.ts';
import { BENCH_SEED, type Sizes } from './options.ts';
import { emptyTally, runCases, warmUp } from './throughput.ts';

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

export interface ScalingRow {
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

export interface ScalingSection {
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

const asWorker = (workerData as { kind?: unknown } | null)?.kind === 'diocheck-bench-worker';
if (!isMainThread && asWorker) workerMain();
