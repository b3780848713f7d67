/**
 * `diocheck run`: the campaign property under one seed, for a number of runs or a time budget,
 * with a progress line on a terminal, a summary table at the end, and on a failure the replay
 * commands, a replay file and the timeline.
 *
 * Exit status: 0 when nothing failed, 1 on a violation, 3 when the model itself failed (an
 * exception that is not a finding about the kernel logic).
 */
import { REACH_GUARDS } from '../../properties/invariants/reach.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ReplayChoices } from '../../model/runtime/choice.ts';
import { runScenario } from '../../model/world/run.ts';
import { makeReplayFile, writeReplayFile } from '../../properties/replay/replayFile.ts';
import { type Budget, currentBudget, freshSeed } from '../../properties/support/budget.ts';
import type { RunCommand } from './args.ts';
import {
  CampaignTally,
  CaseViolation,
  campaignProperty,
  type Failure,
  failureOf,
  formatCaseReport,
  markedSeedLines,
  runCase,
  summarizeCoverage,
  timeLimit,
} from './campaign.ts';
import { type Output, ProgressLine } from './output.ts';

export const EXIT_PASS = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_USAGE = 2;
export const EXIT_MODEL_ERROR = 3;

/** A campaign's outcome, as printed and as written by --json. */
export interface CampaignSummary {
  readonly seed: number;
  readonly tier: string;
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
  };
  /** Runs that reached each vacuity guard's dangerous situation (properties/invariants/reach.ts). */
  readonly reach: Record<string, number>;
  readonly failure: {
    readonly invariant: string | null;
    readonly verdict: string;
    readonly path: string;
    readonly replayFile: string | null;
  } | null;
}

/**
 * fast-check's time limit stops shrinking too, so a counterexample found late is only partly
 * shrunk. Shrinking resumes from its path (fast-check replays seed and path, then keeps
 * shrinking), within its own time limit.
 */
function finishShrinking(seed: number, failure: Failure, budget: Budget): Failure {
  const details = fc.check(campaignProperty(), {
    seed,
    path: failure.path,
    plugins: [timeLimit(budget.shrinkTimeMs)],
  });
  return failureOf(details) ?? failure;
}

/** Saves the counterexample as a replay file (its whole decision log); null if it cannot. */
function saveReplayFile(dir: string, seed: number, failure: Failure, out: Output): string | null {
  let traced: ReturnType<typeof runCase>;
  try {
    traced = runCase(failure.value, true);
  } catch {
    return null;
  }
  const violation = traced.violation;
  if (violation === null) return null;
  const runIndex = failure.path.split(':')[0] ?? '0';
  const file = join(dir, `${violation.invariant}-seed${seed}-run${runIndex}.json`);
  const replay = makeReplayFile({
    invariant: violation.invariant,
    scenario: failure.value[0],
    faults: failure.value[1],
    choices: traced.choiceLog,
    note: `diocheck run --seed ${seed}, fast-check path ${failure.path}: ${violation.message}`,
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
  });
  if (again.violation?.invariant !== violation.invariant) {
    out.err(`diocheck: warning: ${file} does not replay to ${violation.invariant}`);
  }
  return file;
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
  lines.push(row('seed coverage', `${s.coverage.reached}/${s.coverage.marked} marked seed lines reached`));
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

function summarize(
  seed: number,
  budget: Budget,
  tally: CampaignTally,
  elapsedMs: number,
  marked: readonly number[],
): CampaignSummary {
  return {
    seed,
    tier: budget.tier,
    runs: tally.runs,
    passes: tally.passes,
    violations: Object.fromEntries(tally.violations),
    boundHits: tally.bounds,
    boundHitsByName: Object.fromEntries(tally.boundsByName),
    modelErrors: tally.modelErrors,
    shrinkRuns: tally.shrinkRuns,
    elapsedMs: Math.round(elapsedMs),
    runsPerSecond: Math.round(tally.runs / Math.max(elapsedMs / 1000, 1e-3)),
    coverage: summarizeCoverage(tally.coverage, marked),
    reach: Object.fromEntries(tally.reach.counts),
    failure: null,
  };
}

function writeJson(file: string, summary: CampaignSummary, out: Output): void {
  try {
    writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  } catch (e) {
    out.err(`diocheck: cannot write ${file}: ${(e as Error).message}`);
  }
}

/** Runs the campaign; returns the exit status. */
export function runCampaign(cmd: RunCommand, out: Output): number {
  const budget = currentBudget();
  const seed = cmd.seed ?? freshSeed();
  const timeMs = cmd.runs === null ? (cmd.timeMs ?? budget.campaignTimeMs) : null;
  const marked = markedSeedLines();
  out.line(`seed ${seed}`);
  const span = cmd.runs === null ? `${(timeMs ?? 0) / 1000} s` : `${cmd.runs} runs`;
  out.line(`campaign: ${span}, tier ${budget.tier}, ${marked.length} seed lines marked by rt.cover`);

  const tally = new CampaignTally();
  const progress = new ProgressLine(out);
  tally.onRun = (t) => progress.update(t);
  const started = performance.now();
  const details = fc.check(campaignProperty(tally), {
    seed,
    numRuns: cmd.runs ?? budget.timedRunsMax,
    ...(timeMs === null ? {} : { plugins: [timeLimit(timeMs)] }),
  });
  let failure = failureOf(details);
  if (failure !== null && details.interrupted) failure = finishShrinking(seed, failure, budget);
  // The campaign ends at its first failure; shrinking after it is not counted in runs/s.
  const elapsedMs = (tally.failedAtMs ?? performance.now()) - started;
  progress.clear();

  let summary = summarize(seed, budget, tally, elapsedMs, marked);
  let report: string | null = null;
  if (failure !== null) {
    const replayFile = saveReplayFile(cmd.out, seed, failure, out);
    report = formatCaseReport({ seed, path: failure.path, value: failure.value, replayFile });
    const invariant = failure.error instanceof CaseViolation ? failure.error.violation.invariant : null;
    const verdict = report.split('\n', 1)[0] ?? '';
    summary = { ...summary, failure: { invariant, verdict, path: failure.path, replayFile } };
  }
  out.line(formatSummary(summary, budget.boundShareMax));
  if (report !== null) out.line(`\n${report}`);
  if (cmd.json !== null) writeJson(cmd.json, summary, out);
  if (failure === null) return EXIT_PASS;
  return failure.error instanceof CaseViolation ? EXIT_VIOLATION : EXIT_MODEL_ERROR;
}
