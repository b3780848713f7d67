/** The targets, the printed table and the JSON report. */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type BugRow, type BugsSection, BUG_TARGET_MS, BUG_TARGET_RUNS } from './bugs.ts';
import { DETECTION_TARGET_RUNS, type DetectionSection } from './detection.ts';
import type { ExplorerSection } from './explorer.ts';
import type { HeapSection } from './heap.ts';
import { round } from './measure.ts';
import type { ScalingSection } from './scaling.ts';
import { SPIN_TARGET_CPU_S, type SpinSection } from './spin.ts';
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

export function targets(
  t: ThroughputSection,
  b: BugsSection,
  e: ExplorerSection,
  h: HeapSection,
  spin: SpinSection,
  d: DetectionSection,
): Target[] {
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
        ? 'judged on the explorer; each distinct state costs a fingerprint of the whole world and a run replayed from the start'
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
  const compared = spin.trails.filter((r) => r.spinKernelSteps !== null);
  const longer = compared.filter(
    (r) => r.explorer.kernelSteps === null || r.explorer.kernelSteps > (r.spinKernelSteps as number),
  );
  out.push({
    id: 'explorer-trails',
    target: "the explorer's shortest counterexample no longer than SPIN's BFS trail (kernel steps)",
    measured:
      compared.length === 0
        ? 'no trail compared (SPIN not run)'
        : compared
            .map(
              (r) =>
                `${r.define} ${r.mode} N=${r.n}: ${r.explorer.kernelSteps ?? 'none'} vs ${r.spinKernelSteps}`,
            )
            .join('; '),
    status: compared.length === 0 ? 'not measured' : longer.length === 0 ? 'met' : 'missed',
    margin: null,
    note:
      compared.length === 0
        ? ''
        : "the explorer's trails come from its shortest walk (ExploreOptions.shortest), with the peer's bugs planted on the seed's functions as the peer plants them (trails.ts); a trail longer than SPIN's may be the model's own minimum: the model counts every step of a task, also the ones that touch nothing SPIN would count, and a model step runs to the next yield, so it may hold several of the shared accesses SPIN counts one by one",
  });
  for (const [nText, limit] of Object.entries(SPIN_TARGET_CPU_S)) {
    const n = Number(nText);
    const rows = spin.rows.filter((r) => r.n === n);
    if (rows.length === 0) {
      out.push({
        id: `explorer-spin-${n}`,
        target: `explorer completes the SPIN scopes with N = ${n} bios within ${limit} CPU s each`,
        measured: 'not run (--quick runs N = 1 only)',
        status: 'not measured',
        margin: null,
        note: '',
      });
      continue;
    }
    const worst = Math.max(
      ...rows.map((r) => (r.explorer.complete ? r.explorer.cpuS : Number.POSITIVE_INFINITY)),
    );
    const met = rows.every((r) => r.explorer.complete && r.explorer.cpuS <= limit);
    out.push({
      id: `explorer-spin-${n}`,
      target: `explorer completes the SPIN scopes with N = ${n} bios within ${limit} CPU s each`,
      measured: rows
        .map(
          (r) =>
            `${r.mode} ${r.explorer.complete ? `${r.explorer.cpuS.toFixed(2)} s` : `incomplete at ${r.explorer.cpuS.toFixed(0)} s (${fmt(r.explorer.states)} states)`}`,
        )
        .join('; '),
      status: met ? 'met' : 'missed',
      margin: Number.isFinite(worst) ? round(limit / Math.max(worst, 1e-3), 3) : null,
      note: met
        ? ''
        : "every explored transition costs a run replayed from the root (a revisited state too: most runs end at one) and a fingerprint of the whole world; persistent sets cover only an interrupt's release_bio, so task, device and completion steps that race on the dio or the disk queue are still interleaved every way",
    });
  }
  const dMissed = d.rows.filter((r) => !r.met);
  const dMedian = d.rows.map((r) => r.rateMedianRuns ?? Number.POSITIVE_INFINITY).sort((x, y) => x - y);
  const mid = dMedian[dMedian.length >> 1] ?? Number.POSITIVE_INFINITY;
  out.push({
    id: 'detection',
    target: `every planted bug caught by the general campaign in a median of <= ${DETECTION_TARGET_RUNS} runs`,
    measured: `${d.rows.length - dMissed.length}/${d.rows.length} bugs by the median their catch rate implies (${d.rows.filter((r) => r.medianRuns !== null && r.medianRuns <= DETECTION_TARGET_RUNS).length} by the sample median of first catches); median over bugs ${Number.isFinite(mid) ? fmt(mid) : 'never'} runs; up to ${d.catchesPerSeed} catch(es) per seed, budget ${fmt(d.budget)} runs x ${d.seeds.length} seed(s)`,
    status: dMissed.length === 0 ? 'met' : 'missed',
    margin: null,
    note:
      dMissed.length === 0
        ? ''
        : `over the target: ${dMissed.map((r) => `${r.name} (${r.rateMedianRuns === null ? `> ${fmt(d.budget)}` : fmt(r.rateMedianRuns)})`).join(', ')}${d.gaps.length > 0 ? `; never caught (generator gaps): ${d.gaps.join(', ')}` : ''}`,
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
  readonly spin: SpinSection;
  readonly detection: DetectionSection;
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
  lines.push(rateRow('campaign as run', t.campaign));
  lines.push(
    `  model/bare ${(t.ratio * 100).toFixed(2)}% per CPU second (${(t.ratioWall * 100).toFixed(2)}% wall clock); ${t.model.meanStepsPerRun} steps/run; ${t.model.passes} pass, ${t.model.violations} violation, ${t.model.bounds} bound, ${t.model.modelErrors} model error`,
  );
  lines.push(
    `  campaign/bare ${(t.campaignRatio * 100).toFixed(2)}% per CPU second: diocheck run's cases, fast-check drawing each one (${t.campaign.violations} violation, ${t.campaign.modelErrors} model error)`,
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
      ? `  explorer: ${fmt(en.statesPerSecond)} distinct states/s, ${fmt(en.pathsPerSecond)} paths/s; ${fmt(en.states)} states, ${fmt(en.paths)} paths${en.complete ? ', complete' : `, stopped by ${en.stoppedBy}`}`
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
  const sp = r.spin;
  lines.push(
    `SPIN vs explorer: ${sp.spinVersion ?? 'SPIN not run'}; peer model ${sp.model}; CPU seconds (pan alone; the explorer capped per scope)`,
  );
  if (sp.skipped !== null) lines.push(`  SPIN rows skipped: ${sp.skipped}`);
  lines.push(
    `  ${pad('scope', 12)}${lpad('SPIN states', 13)}${lpad('SPIN s', 9)}${lpad('paths', 11)}${lpad('states', 11)}${lpad('explore s', 11)}${lpad('x cpu', 9)}${lpad('x states', 10)}`,
  );
  for (const x of sp.rows) {
    const e = x.explorer;
    lines.push(
      `  ${pad(`${x.mode} N=${x.n}`, 12)}${lpad(x.spin === null ? '-' : fmt(x.spin.states), 13)}${lpad(x.spin === null ? '-' : x.spin.cpuS.toFixed(2), 9)}${lpad(fmt(e.paths), 11)}${lpad(fmt(e.states), 11)}${lpad(`${e.cpuS.toFixed(2)}${e.complete ? '' : '+'}`, 11)}${lpad(x.cpuRatio === null ? '-' : fmt(x.cpuRatio), 9)}${lpad(x.statesRatio === null ? '-' : fmt(x.statesRatio), 10)}${e.violations.length > 0 ? `  VIOLATED ${e.violations.join(',')}` : ''}`,
    );
  }
  lines.push('  (+: the walk stopped at its CPU cap, incomplete)');
  lines.push(
    `  counterexamples, in kernel steps: ${pad('bug', 6)}${pad('scope', 11)}${lpad('SPIN BFS', 9)}${lpad('explorer', 9)}  invariant`,
  );
  for (const x of sp.trails) {
    lines.push(
      `  ${pad('', 34)}${pad(x.define, 6)}${pad(`${x.mode} N=${x.n}`, 11)}${lpad(x.spinKernelSteps === null ? '-' : String(x.spinKernelSteps), 9)}${lpad(x.explorer.kernelSteps === null ? '-' : String(x.explorer.kernelSteps), 9)}  ${x.explorer.invariant ?? `not found (${x.bug})`}`,
    );
  }
  lines.push('');
  const d = r.detection;
  lines.push(
    `detection by the general campaign: ${d.what}; seeds ${d.seeds.join(', ')}, up to ${d.catchesPerSeed} catch(es) per seed, budget ${fmt(d.budget)} runs, target median <= ${fmt(d.targetRuns)} runs (rate med: the median runs to a first catch that catches / runs imply; runs med: the sample median of the first catches)`,
  );
  lines.push(
    `  ${pad('bug', 38)}${lpad('caught', 7)}${lpad('rate med', 10)}${lpad('catches', 14)}${lpad('runs med', 10)}${lpad('cpu ms med', 12)}  first catch per seed`,
  );
  for (const x of d.rows) {
    lines.push(
      `  ${pad(x.name, 38)}${lpad(`${x.caught}/${d.seeds.length}`, 7)}${lpad(x.rateMedianRuns === null ? '-' : fmt(x.rateMedianRuns), 10)}${lpad(`${x.catches}/${fmt(x.casesRun)}`, 14)}${lpad(x.medianRuns === null ? '-' : fmt(x.medianRuns), 10)}${lpad(x.medianCpuMs === null ? '-' : x.medianCpuMs.toFixed(1), 12)}  ${x.runs.map((n) => (n === null ? `>${d.budget}` : String(n))).join(' ')}${x.met ? '' : '  OVER'}`,
    );
  }
  if (d.gaps.length > 0)
    lines.push(`  never caught within the budget (generator gaps): ${d.gaps.join(', ')}`);
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
