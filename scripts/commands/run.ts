/**
 * `diocheck run`: the campaign property under one seed, for a number of runs or a time budget,
 * with a progress line on a terminal, a summary table at the end, and on a failure the replay
 * commands, a replay file and the timeline.
 *
 * Profiles (`--profile`; without it DIOSIM_TIER picks fast or soak, as before):
 * - fast: the fast tier's budget (60 s by default, 60 s more to finish shrinking);
 * - soak: the soak tier's budget (10 min by default, 5 min to finish shrinking); the same as
 *   DIOSIM_TIER=soak;
 * - swarm: the fast budget, and the summary adds how many runs had each fault class on. The
 *   property is the same in every profile: each run draws its own fault profile (swarm testing,
 *   properties/arbitraries/faults.ts), so a seed and path replay whatever the profile was.
 *
 * Shards (`--shard i/n`, i from 1): shard i runs the fast-check runs whose index is i-1 modulo n,
 * out of the one campaign the seed defines, and skips the others without generating them (run k of
 * fast-check depends only on the seed and k). n shards of `--runs N` therefore run exactly the N
 * runs of the unsharded campaign, each once, and `diocheck merge` adds their counts. A shard's
 * counterexample keeps its global path, so its replay command needs no shard.
 *
 * Kernel (`--kernel seed|6.12.117|...`, model/kernel/ops.ts KERNEL_VERSIONS): the campaign runs on that
 * kernel version instead of the correct model (FIXED_OPS). The header and the JSON summary name
 * it, the replay file records it, and the replay commands carry `--kernel K`.
 *
 * Exit status: 0 when nothing failed, 1 on a violation, 3 when the model itself failed (an
 * exception that is not a finding about the kernel logic).
 */
import type { KernelVersion } from '../../model/kernel/ops.ts';
import { REACH_GUARDS } from '../../properties/invariants/reach.ts';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ReplayChoices } from '../../model/runtime/choice.ts';
import { runScenario } from '../../model/world/run.ts';
import { FAULT_CLASSES } from '../../properties/arbitraries/faults.ts';
import {
  makeReplayFile,
  modelVersion,
  replayOps,
  writeReplayFile,
} from '../../properties/replay/replayFile.ts';
import { type Budget, budgetFor, freshSeed, tierFromEnv } from '../../properties/support/budget.ts';
import { DEFAULT_REGRESSIONS_DIR, type Profile, type RunCommand, type Shard, UsageError } from './args.ts';
import {
  collectingProperty,
  type Finding,
  FindingCollector,
  formatFindings,
  loadBaseline,
  triage,
} from './findings.ts';
import {
  type CampaignCase,
  CampaignTally,
  CaseViolation,
  CHECKS,
  campaignProperty,
  type Failure,
  failureOf,
  formatCaseReport,
  kernelLabel,
  kernelOps,
  kernelOption,
  markedSeedLines,
  reproCommand,
  runCase,
  summarizeCoverage,
  timeLimit,
} from './campaign.ts';
import {
  annotatedName,
  annotateSource,
  formatCoverageList,
  hitsOfMarked,
  readSourceText,
  type SourceText,
  sourceMismatch,
  trackedCopyWarning,
} from './coverage.ts';
import { type JunitFailure, junitXml } from './junit.ts';
import { type Output, ProgressLine } from './output.ts';
import { enableStop, signalExitStatus, stopSignal } from './stop.ts';
import { DIOCHECK } from './invocation.ts';

export const EXIT_PASS = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_USAGE = 2;
export const EXIT_MODEL_ERROR = 3;

export const SUMMARY_FORMAT = 'diocheck-summary';
export const SUMMARY_VERSION = 1;

/** A campaign's outcome, as printed and as written by --json. */
export interface CampaignSummary {
  readonly format: typeof SUMMARY_FORMAT;
  readonly version: typeof SUMMARY_VERSION;
  readonly modelVersion: string;
  readonly seed: number;
  readonly profile: Profile;
  readonly tier: string;
  /** The kernel version the campaign ran on (`--kernel`); null: the correct model. */
  readonly kernel: KernelVersion | null;
  /** This report's shard (null: the whole campaign). */
  readonly shard: Shard | null;
  readonly runs: number;
  readonly passes: number;
  readonly violations: Record<string, number>;
  readonly boundHits: number;
  readonly boundHitsByName: Record<string, number>;
  readonly modelErrors: number;
  readonly shrinkRuns: number;
  readonly elapsedMs: number;
  readonly runsPerSecond: number;
  readonly coverage: {
    readonly marked: number;
    readonly reached: number;
    readonly unreached: readonly number[];
    /** Hits of every marked seed line (keys are line numbers): merge sums them. */
    readonly hits: Record<string, number>;
  };
  /** Runs that reached each vacuity guard's dangerous situation (properties/invariants/reach.ts). */
  readonly reach: Record<string, number>;
  /** Runs that had each fault class on (the swarm: each run draws its own profile). */
  readonly faultClasses: Record<string, number>;
  /** The signal that stopped the campaign early (SIGINT, SIGTERM): its counts are partial. */
  readonly interrupted?: NodeJS.Signals;
  readonly failure: {
    readonly invariant: string | null;
    readonly verdict: string;
    readonly path: string;
    readonly replayFile: string | null;
  } | null;
  /**
   * The findings of a triaging campaign (absent with --stop-at-first, and in reports from before
   * triage): one per signature, known or new (scripts/commands/findings.ts, spec/findings.md).
   */
  readonly findings?: readonly Finding[];
}

/** A summary with its findings; `failure` names the first new one (or the first known one). */
export function withFindings(s: CampaignSummary, findings: readonly Finding[]): CampaignSummary {
  const first = findings.find((f) => f.known === null) ?? findings[0];
  return {
    ...s,
    findings,
    failure:
      first === undefined
        ? null
        : {
            invariant: first.invariant,
            verdict: `VIOLATED  ${first.message}`,
            path: first.path,
            replayFile: first.replayFile,
          },
  };
}

/** Violations per invariant as JUnit sees them: a triaged campaign fails only on new findings. */
export function junitViolations(s: CampaignSummary): Record<string, number> {
  if (s.findings === undefined) return s.violations;
  const counts: Record<string, number> = {};
  for (const f of s.findings)
    if (f.known === null) counts[f.invariant] = (counts[f.invariant] ?? 0) + f.count;
  return counts;
}

/**
 * fast-check's time limit stops shrinking too, so a counterexample found late is only partly
 * shrunk. Shrinking resumes from its path (fast-check replays seed and path, then keeps
 * shrinking), within its own time limit.
 */
function finishShrinking(
  seed: number,
  failure: Failure,
  budget: Budget,
  kernel: KernelVersion | null,
): Failure {
  const details = fc.check(campaignProperty(null, null, kernelOps(kernel)), {
    seed,
    path: failure.path,
    plugins: [timeLimit(budget.shrinkTimeMs)],
  });
  return failureOf(details) ?? failure;
}

/**
 * Saves the counterexample as a replay file (its whole decision log, and its kernel version when
 * the campaign ran on one); null if it cannot.
 */
function saveReplayFile(
  dir: string,
  seed: number,
  failure: Failure,
  out: Output,
  kernel: KernelVersion | null,
): string | null {
  const ops = kernelOps(kernel);
  let traced: ReturnType<typeof runCase>;
  try {
    traced = runCase(failure.value, true, ops);
  } catch {
    return null;
  }
  const violation = traced.violation;
  if (violation === null) return null;
  const runIndex = failure.path.split(':')[0] ?? '0';
  const onKernel = kernel === null ? '' : `-kernel-${kernel}`;
  const file = join(dir, `${violation.invariant}-seed${seed}-run${runIndex}${onKernel}.json`);
  const replay = makeReplayFile({
    invariant: violation.invariant,
    scenario: failure.value[0],
    faults: failure.value[1],
    choices: traced.choiceLog,
    note: `diocheck run --seed ${seed}${kernelOption(kernel)}, fast-check path ${failure.path}: ${violation.message}`,
    ...(kernel === null ? {} : { kernel }),
  });
  try {
    writeReplayFile(file, replay);
  } catch (e) {
    out.err(`diocheck: cannot write the replay file ${file}: ${(e as Error).message}`);
    return null;
  }
  const again = runScenario(replay.scenario, {
    source: new ReplayChoices(replay.choices),
    faults: replay.faults,
    probe: CHECKS,
    ops: replayOps(replay),
  });
  if (again.violation?.invariant !== violation.invariant) {
    out.err(`diocheck: warning: ${file} does not replay to ${violation.invariant}`);
  }
  return file;
}

/** The sentinel a shard puts in place of a run it skips (never generated, never run). */
const SKIPPED = Object.freeze([]) as unknown as CampaignCase;

/**
 * The campaign property restricted to one shard: runs whose fast-check index is not the shard's
 * are answered without generating or running them. Shrinking is untouched.
 */
export class ShardedProperty implements fc.IRawProperty<CampaignCase, false> {
  constructor(
    private readonly inner: fc.IRawProperty<CampaignCase, false>,
    private readonly shard: Shard,
  ) {}
  isAsync(): false {
    return false;
  }
  /** Is fast-check run `runId` (from 0) one of this shard's? */
  owns(runId: number): boolean {
    return runId % this.shard.count === this.shard.index - 1;
  }
  generate(mrng: fc.Random, runId?: number): fc.Value<CampaignCase> {
    if (runId !== undefined && !this.owns(runId)) return new fc.Value(SKIPPED, undefined);
    return this.inner.generate(mrng, runId);
  }
  shrink(value: fc.Value<CampaignCase>): fc.Stream<fc.Value<CampaignCase>> {
    if (value.value_ === SKIPPED) return fc.Stream.nil();
    return this.inner.shrink(value);
  }
  run(v: CampaignCase): fc.PreconditionFailure | fc.PropertyFailure | null {
    return v === SKIPPED ? null : this.inner.run(v);
  }
  runBeforeEach = (): void => this.inner.runBeforeEach();
  runAfterEach = (): void => this.inner.runAfterEach();
}

/**
 * The campaign property that ends the campaign when a signal asked it to stop (stop.ts): the run
 * about to start is answered as an interruption, so fast-check ends with the runs done so far.
 */
export class StoppableProperty implements fc.IRawProperty<CampaignCase, false> {
  constructor(private readonly inner: fc.IRawProperty<CampaignCase, false>) {}
  isAsync(): false {
    return false;
  }
  generate(mrng: fc.Random, runId?: number): fc.Value<CampaignCase> {
    return this.inner.generate(mrng, runId);
  }
  shrink(value: fc.Value<CampaignCase>): fc.Stream<fc.Value<CampaignCase>> {
    return this.inner.shrink(value);
  }
  run(v: CampaignCase): fc.PreconditionFailure | fc.PropertyFailure | null {
    if (stopSignal() !== null) return new fc.PreconditionFailure(true);
    return this.inner.run(v);
  }
  runBeforeEach = (): void => this.inner.runBeforeEach();
  runAfterEach = (): void => this.inner.runAfterEach();
}

/** How long the findings of a stopped campaign may still be shrunk: the summary comes promptly. */
const STOPPED_SHRINK_MS = 2000;

/** The budget of a profile; without one, the tier DIOSIM_TIER names (as before profiles). */
export function budgetOfProfile(profile: Profile | null): { budget: Budget; profile: Profile } {
  if (profile !== null) return { budget: budgetFor(profile === 'soak' ? 'soak' : 'fast'), profile };
  try {
    const tier = tierFromEnv();
    return { budget: budgetFor(tier), profile: tier };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Creates the folder of an output file now, so that a bad path stops the run before it starts. */
export function prepareOutput(file: string, what: string): void {
  let isDir = false;
  try {
    isDir = statSync(file).isDirectory();
  } catch {
    // Does not exist yet: fine.
  }
  if (isDir) throw new UsageError(`${what} ${file} is a directory`);
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (e) {
    throw new UsageError(
      `cannot create the folder of ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

let writeFailures = 0;

/** How many writeText calls failed in this process: any makes the command exit 2 (cli.ts). */
export function failedWrites(): number {
  return writeFailures;
}

/**
 * Writes a text file; a failure is reported on stderr, the command goes on (the campaign's result
 * still stands) and then exits 2, as for any output path it cannot use.
 */
export function writeText(file: string, text: string, out: Output): boolean {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return true;
  } catch (e) {
    writeFailures++;
    out.err(`diocheck: cannot write ${file}: ${(e as Error).message.split('\n', 1)[0]}`);
    return false;
  }
}

/** The replay commands of a summary's failure (on the campaign's kernel version, if it had one). */
export function replayCommands(
  seed: number,
  failure: { readonly path: string; readonly replayFile: string | null },
  kernel: KernelVersion | null = null,
): string[] {
  const commands = [reproCommand(seed, failure.path, kernel)];
  if (failure.replayFile !== null) commands.push(`${DIOCHECK} repro ${failure.replayFile}`);
  return commands;
}

export function summaryJunitFailures(s: CampaignSummary): JunitFailure[] {
  if (s.findings !== undefined)
    return s.findings
      .filter((f) => f.known === null)
      .map((f) => ({
        invariant: f.invariant,
        verdict: `VIOLATED  ${f.message}  (${f.signature}, ${f.count} run(s))`,
        replay: replayCommands(s.seed, f, s.kernel),
      }));
  if (s.failure === null) return [];
  return [
    {
      invariant: s.failure.invariant,
      verdict: s.failure.verdict,
      replay: replayCommands(s.seed, s.failure, s.kernel),
    },
  ];
}

function shardText(shard: Shard | null): string {
  return shard === null ? '' : ` --shard ${shard.index}/${shard.count}`;
}

/** The fault classes line of the swarm profile: runs with each class on. */
export function formatFaultClasses(s: CampaignSummary): string {
  const lines = ['swarm: runs with each fault class on (each run draws its own profile)'];
  for (const k of FAULT_CLASSES) {
    const n = s.faultClasses[k] ?? 0;
    lines.push(
      row(`  ${k}`.padEnd(22), `${n}  (${s.runs === 0 ? '0.0' : ((100 * n) / s.runs).toFixed(1)}%)`),
    );
  }
  return lines.join('\n');
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(14)}${value}`;
}

function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
}

export function formatSummary(s: CampaignSummary, boundShareMax: number): string {
  const violationCount = Object.values(s.violations).reduce((a, b) => a + b, 0);
  const byId = formatCounts(s.violations);
  const share = s.runs === 0 ? 0 : s.boundHits / s.runs;
  const byBound = formatCounts(s.boundHitsByName);
  const unreached = s.coverage.unreached.map((l) => `L${l}`).join(' ');
  const lines = [
    'summary',
    ...(s.shard === null ? [] : [row('shard', `${s.shard.index}/${s.shard.count}`)]),
    row('runs', String(s.runs)),
    row('passes', String(s.passes)),
    row('violations', `${violationCount}${byId ? `  (${byId})` : ''}`),
    row(
      'bound hits',
      `${s.boundHits}  (${(share * 100).toFixed(2)}% of runs${byBound ? `; ${byBound}` : ''})`,
    ),
  ];
  if (s.modelErrors > 0) lines.push(row('model errors', String(s.modelErrors)));
  if (s.shrinkRuns > 0) lines.push(row('shrink runs', String(s.shrinkRuns)));
  lines.push(row('runs/s', `${s.runsPerSecond}  (${(s.elapsedMs / 1000).toFixed(1)} s)`));
  lines.push(
    row(
      'seed coverage',
      `${s.coverage.reached}/${s.coverage.marked} marked seed lines reached (${s.coverage.marked === 0 ? '0.0' : ((100 * s.coverage.reached) / s.coverage.marked).toFixed(1)}%)`,
    ),
  );
  lines.push(row('unreached', unreached === '' ? '(none)' : unreached));
  const guards = Object.entries(s.reach);
  const unmet = guards.filter(([, n]) => n === 0).map(([id]) => id);
  lines.push(
    row(
      'guards',
      `${guards.length - unmet.length}/${guards.length} reached${unmet.length ? `; not reached: ${unmet.join(' ')}` : ''}`,
    ),
  );
  for (const [id, n] of guards)
    lines.push(row(`  ${id}`, `${n}  ${REACH_GUARDS.find((g) => g.id === id)?.what ?? ''}`));
  if (share > boundShareMax) {
    lines.push(`  warning: bound hits exceed ${boundShareMax * 100}% of runs; those runs checked nothing`);
  }
  return lines.join('\n');
}

interface SummaryContext {
  readonly seed: number;
  readonly kernel: KernelVersion | null;
  readonly budget: Budget;
  readonly profile: Profile;
  readonly shard: Shard | null;
  readonly marked: readonly number[];
  readonly faultClasses: Record<string, number>;
}

function summarize(ctx: SummaryContext, tally: CampaignTally, elapsedMs: number): CampaignSummary {
  const { seed, budget, marked } = ctx;
  return {
    format: SUMMARY_FORMAT,
    version: SUMMARY_VERSION,
    modelVersion: modelVersion(),
    seed,
    profile: ctx.profile,
    tier: budget.tier,
    kernel: ctx.kernel,
    shard: ctx.shard,
    runs: tally.runs,
    passes: tally.passes,
    violations: Object.fromEntries(tally.violations),
    boundHits: tally.bounds,
    boundHitsByName: Object.fromEntries(tally.boundsByName),
    modelErrors: tally.modelErrors,
    shrinkRuns: tally.shrinkRuns,
    elapsedMs: Math.round(elapsedMs),
    runsPerSecond: Math.round(tally.runs / Math.max(elapsedMs / 1000, 1e-3)),
    coverage: { ...summarizeCoverage(tally.coverage, marked), hits: hitsOfMarked(tally.coverage, marked) },
    reach: Object.fromEntries(tally.reach.counts),
    faultClasses: ctx.faultClasses,
    failure: null,
  };
}

export function summaryJson(summary: unknown): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/** Where the regression corpus is, whatever the working directory (the default --baseline). */
const REGRESSIONS_DIR = fileURLToPath(new URL('../../properties/regressions/', import.meta.url));

/** The baseline folder of a command: the regression corpus unless --baseline names another. */
export function baselineDir(dir: string): string {
  if (dir === DEFAULT_REGRESSIONS_DIR) return REGRESSIONS_DIR;
  // A mistyped folder would make every known finding new without a word.
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`--baseline ${dir} is not a directory`);
  return dir;
}

/** What the campaign loop leaves for the report: today's first failure, or the triaged findings. */
interface CampaignEnd {
  readonly failure: Failure | null;
  readonly findings: readonly Finding[] | null;
  readonly collector: FindingCollector | null;
  readonly elapsedMs: number;
}

/** The campaign as it was before triage: it ends at its first failure and shrinks it. */
function loopStopAtFirst(
  cmd: RunCommand,
  seed: number,
  budget: Budget,
  timeMs: number | null,
  tally: CampaignTally,
  countFaults: (value: CampaignCase) => void,
): CampaignEnd {
  const kernel = cmd.kernel;
  const property = campaignProperty(tally, countFaults, kernelOps(kernel));
  const started = performance.now();
  const sharded = cmd.shard === null ? property : new ShardedProperty(property, cmd.shard);
  const details = fc.check(new StoppableProperty(sharded), {
    seed,
    numRuns: cmd.runs ?? budget.timedRunsMax,
    ...(timeMs === null ? {} : { plugins: [timeLimit(timeMs)] }),
  });
  let failure = failureOf(details);
  if (failure !== null && details.interrupted) failure = finishShrinking(seed, failure, budget, kernel);
  // The campaign ends at its first failure; shrinking after it is not counted in runs/s.
  const elapsedMs = (tally.failedAtMs ?? performance.now()) - started;
  return { failure, findings: null, collector: null, elapsedMs };
}

/**
 * The triaging campaign: every run of the budget (or until --max-findings signatures), then one
 * shrunk replay per signature, compared with the baseline of the kernel setting.
 */
function loopTriage(
  cmd: RunCommand,
  seed: number,
  budget: Budget,
  timeMs: number | null,
  tally: CampaignTally,
  countFaults: (value: CampaignCase) => void,
  out: Output,
  progress: ProgressLine,
): CampaignEnd {
  const kernel = cmd.kernel;
  const ops = kernelOps(kernel);
  const collector = new FindingCollector(ops);
  const max = cmd.maxFindings;
  const property = collectingProperty(
    collector,
    ops,
    (value, result) => {
      countFaults(value);
      if (result === null) tally.recordError();
      else tally.record(result);
    },
    () => stopSignal() !== null || (max !== null && collector.distinct >= max),
  );
  const started = performance.now();
  fc.check(cmd.shard === null ? property : new ShardedProperty(property, cmd.shard), {
    seed,
    numRuns: cmd.runs ?? budget.timedRunsMax,
    ...(timeMs === null ? {} : { plugins: [timeLimit(timeMs)] }),
  });
  const elapsedMs = performance.now() - started;
  progress.clear();
  const baseline = loadBaseline(baselineDir(cmd.baseline), kernel);
  const findings = triage({
    seed,
    kernel,
    ops,
    collector,
    outDir: cmd.out,
    shrinkTimeMs:
      stopSignal() === null ? budget.shrinkTimeMs : Math.min(budget.shrinkTimeMs, STOPPED_SHRINK_MS),
    baseline,
    warn: (text) => out.err(`diocheck: ${text}`),
  });
  return { failure: null, findings, collector, elapsedMs };
}

/** Runs the campaign; returns the exit status. */
export function runCampaign(cmd: RunCommand, out: Output): number {
  const { budget, profile } = budgetOfProfile(cmd.profile);
  enableStop();
  // Bad input stops here, before the campaign: the annotated source and the output paths.
  const source: SourceText | null = cmd.annotate === null ? null : readSourceText(cmd.annotate);
  if (cmd.json !== null) prepareOutput(cmd.json, '--json');
  if (cmd.junit !== null) prepareOutput(cmd.junit, '--junit');
  const seed = cmd.seed ?? freshSeed();
  const timeMs = cmd.runs === null ? (cmd.timeMs ?? budget.campaignTimeMs) : null;
  const marked = markedSeedLines();
  out.line(`seed ${seed}`);
  const span = cmd.runs === null ? `${(timeMs ?? 0) / 1000} s` : `${cmd.runs} runs`;
  const shard = cmd.shard;
  const shardNote =
    shard === null
      ? ''
      : `, shard ${shard.index}/${shard.count} (runs whose index is ${shard.index - 1} mod ${shard.count})`;
  const mode = cmd.stopAtFirst
    ? 'stops at the first failure'
    : cmd.maxFindings === null
      ? 'goes on past findings'
      : `stops after ${cmd.maxFindings} finding(s)`;
  out.line(
    `campaign: ${span}${shardNote}, profile ${profile} (tier ${budget.tier}), ${marked.length} seed lines marked by rt.cover, ${mode}`,
  );
  const kernel = cmd.kernel;
  out.line(`kernel: ${kernelLabel(kernel)}`);

  const tally = new CampaignTally(cmd.stopAtFirst);
  const progress = new ProgressLine(out);
  tally.onRun = (t) => progress.update(t);
  const faultClasses: Record<string, number> = Object.fromEntries(FAULT_CLASSES.map((k) => [k, 0]));
  const countFaults = (value: CampaignCase): void => {
    if (tally.failed) return;
    for (const k of FAULT_CLASSES) if (value[1][k] === true) faultClasses[k] = (faultClasses[k] ?? 0) + 1;
  };
  const end = cmd.stopAtFirst
    ? loopStopAtFirst(cmd, seed, budget, timeMs, tally, countFaults)
    : loopTriage(cmd, seed, budget, timeMs, tally, countFaults, out, progress);
  const failure = end.failure;
  progress.clear();

  let summary = summarize(
    { seed, kernel, budget, profile, shard, marked, faultClasses },
    tally,
    end.elapsedMs,
  );
  let report: string | null = null;
  if (failure !== null) {
    const replayFile = saveReplayFile(cmd.out, seed, failure, out, kernel);
    report = formatCaseReport({ seed, path: failure.path, value: failure.value, replayFile, kernel });
    const invariant = failure.error instanceof CaseViolation ? failure.error.violation.invariant : null;
    const verdict = report.split('\n', 1)[0] ?? '';
    summary = { ...summary, failure: { invariant, verdict, path: failure.path, replayFile } };
  }
  if (end.findings !== null) summary = withFindings(summary, end.findings);
  const stopped = stopSignal();
  if (stopped !== null) {
    summary = { ...summary, interrupted: stopped };
    out.line(
      `interrupted by ${stopped} after ${summary.runs} runs: the summary and findings are of those runs`,
    );
  }
  out.line(formatSummary(summary, budget.boundShareMax));
  if (profile === 'swarm') out.line(formatFaultClasses(summary));
  const coverage = { marked, hits: summary.coverage.hits };
  if (cmd.coverage) out.line(formatCoverageList(coverage, source));
  if (source !== null) {
    const mismatch = sourceMismatch(source, marked);
    if (mismatch !== null) out.err(`diocheck: warning: ${mismatch}`);
    const file = join(cmd.out, annotatedName(source.path));
    const tracked = trackedCopyWarning(file);
    if (tracked !== null) out.err(`diocheck: warning: ${tracked}`);
    if (writeText(file, annotateSource(source, coverage, { runs: summary.runs, seed }), out))
      out.line(
        `annotated: ${file}  (${source.kind === 'listing' ? 'numbered listing' : 'C source'}, gcov layout)`,
      );
  }
  if (report !== null) out.line(`\n${report}`);
  if (end.findings !== null) {
    out.line(`\n${formatFindings(end.findings, summary.runs, seed, kernel, end.collector?.modelErrors)}`);
    // The timeline of each new finding (the first few; `explain FILE` shows any of them).
    const fresh = end.findings.filter((f) => f.known === null);
    for (const f of fresh.slice(0, NEW_REPORTS_MAX)) {
      const value = replayValue(seed, f.path, kernel);
      if (value !== null)
        out.line(`\n${formatCaseReport({ seed, path: f.path, value, replayFile: f.replayFile, kernel })}`);
    }
    if (fresh.length > NEW_REPORTS_MAX)
      out.line(`\n(${fresh.length - NEW_REPORTS_MAX} more new finding(s): see 'diocheck explain FILE')`);
  }
  if (cmd.json !== null) writeText(cmd.json, summaryJson(summary), out);
  if (cmd.junit !== null) {
    const xml = junitXml({
      title: `diocheck run --seed ${seed}${kernelOption(kernel)}${shardText(shard)}`,
      runs: summary.runs,
      elapsedMs: summary.elapsedMs,
      violations: junitViolations(summary),
      modelErrors: summary.modelErrors,
      failures: summaryJunitFailures(summary),
      reach: summary.reach,
      properties: {
        seed,
        profile,
        kernel: kernelLabel(kernel),
        runs: summary.runs,
        shard: shard === null ? 'none' : `${shard.index}/${shard.count}`,
        modelVersion: summary.modelVersion,
      },
    });
    writeText(cmd.junit, xml, out);
  }
  return stopped !== null ? signalExitStatus(stopped) : exitStatus(summary, failure);
}

/** Timelines printed in full after the findings list. */
const NEW_REPORTS_MAX = 3;

/** The case at a fast-check path of the campaign (to print a finding's timeline). */
function replayValue(seed: number, path: string, kernel: KernelVersion | null): CampaignCase | null {
  const details = fc.check(campaignProperty(null, null, kernelOps(kernel)), {
    seed,
    path,
    endOnFailure: true,
  });
  return details.counterexample ?? null;
}

/** The exit status of a campaign: 3 the model failed, 1 a new finding (or today's first failure), else 0. */
export function exitStatus(summary: CampaignSummary, failure: Failure | null): number {
  if (failure !== null) return failure.error instanceof CaseViolation ? EXIT_VIOLATION : EXIT_MODEL_ERROR;
  if (summary.modelErrors > 0) return EXIT_MODEL_ERROR;
  if (summary.findings?.some((f) => f.known === null)) return EXIT_VIOLATION;
  return EXIT_PASS;
}
