/** The targets, the printed table and the JSON report. */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type BugRow, type BugsSection, BUG_TARGET_MS, BUG_TARGET_RUNS } from './bugs.ts';
import type { ExplorerSection } from './explorer.ts';
import type { HeapSection } from './heap.ts';
import { round } from './measure.ts';
import type { ScalingSection } from './scaling.ts';
import type { Rate, ThroughputSection } from './throughput.ts';

type TargetStatus = 'met' | 'missed' | 'not measured';

export interface Target {
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

export function targets(t: ThroughputSection, b: BugsSection, e: ExplorerSection, h: HeapSection): Target[] {
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

export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux: os.cpus() below
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function lpad(s: string | number, n: number): string {
  const t = String(s);
  return t.length >= n ? t : ' '.repeat(n - t.length) + t;
}

export function fmt(x: number | null): string {
  return x === null ? '-' : x.toLocaleString('en-US');
}

export interface Machine {
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

export function formatReport(r: BenchReport): string {
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
