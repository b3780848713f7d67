/**
 * `diocheck hunt`: detection power of the invariants over the planted bugs (model/bugs/catalogue.ts).
 *
 * - `hunt [--bug NAME] [--seeds K] [--budget N] [--json FILE] [--record] [--strict] [--history FILE]`
 *   hunts each planted bug (or the one named) from the seeds '1'..'K' (properties/support/hunt.ts:
 *   run i of seed s uses the run seed `NAME:s:i`) until its first counterexample, and prints per bug
 *   the runs and milliseconds to detection (median and worst over the seeds), the invariant that
 *   fired, the size of the smallest counterexample (steps, choices that are not 0) and the command
 *   that replays it. The figures are compared with the last ones recorded in the repository
 *   (properties/bugs/hunt-history.json): a bug whose median runs to detect got more than twice as
 *   bad is flagged (a warning; a failure with --strict). --record writes the new figures there.
 * - `hunt --bug NAME --replay RUNSEED` replays one hunted run with tracing and prints its timeline.
 *
 * Exit status: 0 every bug caught by the invariant it names (replay: the run passes now), 1 a bug
 * escaped its budget, was caught by another invariant, or (--strict) detects more than twice as
 * slowly as recorded (replay: the run still fails), 2 bad input, 3 the model threw.
 *
 * The options are parsed here, not in args.ts; errors are UsageErrors all the same (one line, exit 2).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BUGS, bugByName, type PlantedBug } from '../../model/bugs/catalogue.ts';
import type { RunResult } from '../../model/world/run.ts';
import { BUG_HUNT_BUDGET } from '../../properties/support/budget.ts';
import { makeReplayFile, replaysTo } from '../../properties/replay/replayFile.ts';
import { hunt, runBugOnce } from '../../properties/support/hunt.ts';
import { UsageError } from './args.ts';
import { optionSpec } from './definitions.ts';
import { parseOptions } from './options.ts';
import { formatRunDetails, verdictLine } from './campaign.ts';
import type { Output } from './output.ts';
import { EXIT_MODEL_ERROR, EXIT_PASS, EXIT_VIOLATION, prepareOutput, writeText } from './run.ts';
import { DIOCHECK } from './invocation.ts';
import { firstProblem } from '../schema/fields.ts';
import { huntHistorySchema } from '../schema/reports.ts';

/** Seeds '1'..'K' of a default hunt: more than the teeth gate's three, for a steadier median. */
export const DEFAULT_HUNT_SEEDS = 20;
/** Runs per seed of a default hunt: the teeth gate's budget. */
export const DEFAULT_HUNT_BUDGET = BUG_HUNT_BUDGET;
/** A bug is flagged when its median runs to detect exceed this many times the recorded one. */
export const REGRESSION_FACTOR = 2;

/** The recorded figures, as the repository keeps them (relative to the repository's root). */
export const HISTORY_FILE = 'properties/bugs/hunt-history.json';
const HISTORY_PATH = fileURLToPath(new URL(`../../${HISTORY_FILE}`, import.meta.url));

const SEEDS_MAX = 1000;
const BUDGET_MAX = 1_000_000;

export interface HuntCommand {
  readonly kind: 'hunt';
  /** One bug, or null for the whole catalogue. */
  readonly bug: string | null;
  readonly seeds: number;
  readonly budget: number;
  readonly json: string | null;
  readonly record: boolean;
  readonly strict: boolean;
  /** The history file to compare with (and --record to). */
  readonly history: string;
  /** A run seed to replay (with --bug), instead of hunting. */
  readonly replay: string | null;
  /** --out DIR: save each bug's smallest counterexample (or the replayed run) as a replay file. */
  readonly out: string | null;
}

const { values: VALUE_OPTIONS, flags: FLAG_OPTIONS } = optionSpec('hunt');

function wholeNumber(name: string, text: string, max: number): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}, not '${text}'`);
  }
  return Number(text);
}

/** Parses the arguments after `hunt`; throws UsageError (one line) on any mistake. */
export function parseHuntArgs(args: readonly string[]): HuntCommand {
  const { options, flags } = parseOptions('hunt', args, { values: VALUE_OPTIONS, flags: FLAG_OPTIONS });
  const bug = options.get('bug') ?? null;
  if (bug !== null && bugByName(bug) === undefined) {
    throw new UsageError(`no planted bug named '${bug}' (${BUGS.length} in model/bugs/catalogue.ts)`);
  }
  const seedsText = options.get('seeds');
  const budgetText = options.get('budget');
  const seeds = seedsText === undefined ? DEFAULT_HUNT_SEEDS : wholeNumber('seeds', seedsText, SEEDS_MAX);
  const budget =
    budgetText === undefined ? DEFAULT_HUNT_BUDGET : wholeNumber('budget', budgetText, BUDGET_MAX);
  const replay = options.get('replay') ?? null;
  if (replay !== null) {
    if (bug === null) throw new UsageError("'hunt --replay RUNSEED' needs --bug NAME");
    const other = [...options.keys(), ...flags].find((k) => k !== 'bug' && k !== 'replay' && k !== 'out');
    if (other !== undefined)
      throw new UsageError(`'hunt --replay' takes only --bug and --out (got --${other})`);
    // A run seed is `NAME:SEED:RUN` as the hunt prints it; any other text would seed a run that
    // the hunt never made, and its pass would say nothing.
    const m = /^(.+):(\d{1,9}):(\d{1,9})$/.exec(replay);
    if (m === null || m[1] !== bug)
      throw new UsageError(
        `--replay takes a run seed the hunt printed, ${bug}:SEED:RUN (such as ${bug}:1:0), not '${replay}'`,
      );
  }
  const record = flags.has('record');
  if (record && (seeds !== DEFAULT_HUNT_SEEDS || budget !== DEFAULT_HUNT_BUDGET)) {
    throw new UsageError(
      `--record keeps the figures of the default hunt (${DEFAULT_HUNT_SEEDS} seeds, budget ${DEFAULT_HUNT_BUDGET}): drop --seeds and --budget`,
    );
  }
  return {
    kind: 'hunt',
    bug,
    seeds,
    budget,
    json: options.get('json') ?? null,
    record,
    strict: flags.has('strict'),
    history: options.get('history') ?? HISTORY_PATH,
    replay,
    out: options.get('out') ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// The hunt.

/** One seed's hunt of one bug. */
export interface SeedHunt {
  readonly seed: string;
  readonly runs: number;
  readonly milliseconds: number;
  /** The invariant that fired, or null when the budget ran out. */
  readonly invariant: string | null;
  readonly runSeed: string | null;
  /** Steps of the counterexample, and its choices that are not option 0. */
  readonly steps: number | null;
  readonly deviations: number | null;
}

export type BugStatus = 'caught' | 'escaped' | 'wrong-invariant' | 'model-error';

export interface BugHunt {
  readonly name: string;
  readonly commit: string;
  /** The invariant the catalogue names. */
  readonly invariant: string;
  readonly status: BugStatus;
  /** The invariants that fired, over the seeds. */
  readonly caughtBy: readonly string[];
  /** Seeds whose budget ran out. */
  readonly escapes: number;
  readonly medianRuns: number;
  readonly worstRuns: number;
  readonly medianMs: number;
  readonly worstMs: number;
  /** The smallest counterexample (fewest steps, then fewest deviations), or null. */
  readonly smallest: SeedHunt | null;
  readonly seeds: readonly SeedHunt[];
  /** The model's exception, when it threw. */
  readonly error: string | null;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const hi = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? 0) + hi) / 2;
}

function seedHunt(bug: PlantedBug, seed: string, budget: number): SeedHunt {
  const found = hunt(bug, seed, budget);
  return {
    seed,
    runs: found.runs,
    milliseconds: found.milliseconds,
    invariant: found.invariant,
    runSeed: found.runSeed,
    steps: found.result?.steps ?? null,
    deviations: found.result === null ? null : found.result.choices.filter((c) => c !== 0).length,
  };
}

/** Hunts one bug from the seeds '1'..'K'. */
export function huntBug(bug: PlantedBug, seedCount: number, budget: number): BugHunt {
  const seeds: SeedHunt[] = [];
  let error: string | null = null;
  try {
    for (let s = 1; s <= seedCount; s++) seeds.push(seedHunt(bug, String(s), budget));
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const caught = seeds.filter((s) => s.invariant !== null);
  const caughtBy = [...new Set(caught.map((s) => s.invariant as string))].sort();
  const escapes = seeds.filter((s) => s.invariant === null).length;
  const smallest =
    [...caught].sort(
      (a, b) =>
        (a.steps ?? 0) - (b.steps ?? 0) || (a.deviations ?? 0) - (b.deviations ?? 0) || a.runs - b.runs,
    )[0] ?? null;
  let status: BugStatus = 'caught';
  if (error !== null) status = 'model-error';
  else if (caughtBy.some((id) => id !== bug.invariant)) status = 'wrong-invariant';
  else if (escapes > 0) status = 'escaped';
  const runs = seeds.map((s) => s.runs);
  const ms = seeds.map((s) => s.milliseconds);
  return {
    name: bug.name,
    commit: bug.commit,
    invariant: bug.invariant,
    status,
    caughtBy,
    escapes,
    medianRuns: median(runs),
    worstRuns: Math.max(0, ...runs),
    medianMs: median(ms),
    worstMs: Math.max(0, ...ms),
    smallest,
    seeds,
    error,
  };
}

// ---------------------------------------------------------------------------------------------
// The history of detection power.

export interface HistoryEntry {
  /** The day the figures were recorded (YYYY-MM-DD). */
  readonly date: string;
  readonly medianRuns: number;
  readonly worstRuns: number;
}

export interface HuntHistory {
  /** The hunt the figures are for: seeds '1'..seeds, budget runs per seed. */
  readonly seeds: number;
  readonly budget: number;
  readonly bugs: Readonly<Record<string, HistoryEntry>>;
  /**
   * Other sections of the history file that `hunt --record` does not write (the bench's runs until
   * the general campaign catches each bug, `generalCampaign`): kept as they are.
   */
  readonly [section: string]: unknown;
}

export interface Regression {
  readonly name: string;
  readonly was: number;
  readonly now: number;
  readonly date: string;
}

/**
 * The bugs whose median runs to detect got more than `factor` times as bad as recorded. Bugs the
 * history does not know are not compared.
 */
export function compareWithHistory(
  current: ReadonlyArray<{ readonly name: string; readonly medianRuns: number }>,
  history: HuntHistory,
  factor: number = REGRESSION_FACTOR,
): Regression[] {
  const regressions: Regression[] = [];
  for (const bug of current) {
    const was = history.bugs[bug.name];
    if (was !== undefined && bug.medianRuns > factor * was.medianRuns) {
      regressions.push({ name: bug.name, was: was.medianRuns, now: bug.medianRuns, date: was.date });
    }
  }
  return regressions;
}

export function readHistory(path: string): HuntHistory | null {
  if (!existsSync(path)) return null;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${path}: not JSON (${(e as Error).message})`);
  }
  const parsed = huntHistorySchema.safeParse(data);
  if (!parsed.success) throw new UsageError(`${path}: not a hunt history: ${firstProblem(parsed.error)}`);
  return parsed.data as HuntHistory;
}

/** The history with the new figures of these bugs (the others kept, unless the hunt changed). */
export function recordHistory(
  previous: HuntHistory | null,
  hunted: readonly BugHunt[],
  seeds: number,
  budget: number,
  date: string,
  wholeCatalogue: boolean,
): HuntHistory {
  const kept = previous !== null && previous.seeds === seeds && previous.budget === budget && !wholeCatalogue;
  const bugs: Record<string, HistoryEntry> = kept ? { ...previous.bugs } : {};
  for (const b of hunted) bugs[b.name] = { date, medianRuns: b.medianRuns, worstRuns: b.worstRuns };
  const order = new Map(BUGS.map((b, i) => [b.name, i]));
  const sorted = Object.fromEntries(
    Object.entries(bugs).sort(([a], [b]) => (order.get(a) ?? BUGS.length) - (order.get(b) ?? BUGS.length)),
  );
  // Sections other tools write into the same file survive a re-recording.
  const others = Object.fromEntries(
    Object.entries(previous ?? {}).filter(([k]) => k !== 'seeds' && k !== 'budget' && k !== 'bugs'),
  );
  return { ...others, seeds, budget, bugs: sorted };
}

// ---------------------------------------------------------------------------------------------
// Printing.

export function replayCommand(name: string, runSeed: string): string {
  return `${DIOCHECK} hunt --bug ${name} --replay ${runSeed}`;
}

function fmtNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function statusText(b: BugHunt, budget: number, regression: Regression | undefined): string {
  const parts: string[] = [];
  if (b.status === 'model-error') parts.push(`MODEL ERROR: ${b.error}`);
  if (b.status === 'wrong-invariant') parts.push(`WRONG INVARIANT (${b.caughtBy.join(', ')})`);
  if (b.escapes > 0) parts.push(`ESCAPED ${b.escapes}/${b.seeds.length} seeds (budget ${budget})`);
  if (regression !== undefined)
    parts.push(`SLOWER: median ${fmtNumber(regression.now)} runs, was ${fmtNumber(regression.was)}`);
  return parts.length === 0 ? 'ok' : parts.join('; ');
}

/** The table: one row per bug. */
export function formatHuntTable(
  hunted: readonly BugHunt[],
  budget: number,
  history: HuntHistory | null,
  regressions: readonly Regression[],
): string {
  const header = [
    'bug',
    'invariant',
    'caught by',
    'runs med',
    'worst',
    'ms med',
    'worst',
    'steps',
    'dev',
    'was',
    'status',
  ];
  const rows = hunted.map((b) => {
    const was = history?.bugs[b.name];
    return [
      b.name,
      b.invariant,
      b.caughtBy.length === 0 ? '-' : b.caughtBy.join(','),
      fmtNumber(b.medianRuns),
      String(b.worstRuns),
      b.medianMs.toFixed(1),
      b.worstMs.toFixed(1),
      b.smallest?.steps === null || b.smallest === null ? '-' : String(b.smallest.steps),
      b.smallest?.deviations === null || b.smallest === null ? '-' : String(b.smallest.deviations),
      was === undefined ? '-' : fmtNumber(was.medianRuns),
      statusText(
        b,
        budget,
        regressions.find((r) => r.name === b.name),
      ),
    ];
  });
  const numeric = new Set([3, 4, 5, 6, 7, 8, 9]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => {
        if (i === cells.length - 1) return c;
        const w = widths[i] ?? 0;
        return numeric.has(i) ? c.padStart(w) : c.padEnd(w);
      })
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

function today(now: Date): string {
  return now.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// The command.

/** `diocheck hunt ...`: parses its arguments, then hunts or replays. */
export function huntCommand(args: readonly string[], out: Output, now: Date = new Date()): number {
  const cmd = parseHuntArgs(args);
  return cmd.replay === null ? runHunt(cmd, out, now) : replayHunted(cmd, out);
}

export function runHunt(cmd: HuntCommand, out: Output, now: Date = new Date()): number {
  const bugs = cmd.bug === null ? BUGS : BUGS.filter((b) => b.name === cmd.bug);
  // An output path that cannot be written is bad input: one line now, not after the hunt.
  if (cmd.json !== null) prepareOutput(cmd.json, '--json');
  const history = readHistory(cmd.history);
  const started = performance.now();
  out.line(
    `hunt: ${bugs.length} planted bug${bugs.length === 1 ? '' : 's'}, seeds 1..${cmd.seeds}, ` +
      `budget ${cmd.budget} runs per seed`,
  );
  const hunted = bugs.map((bug) => huntBug(bug, cmd.seeds, cmd.budget));
  const elapsed = (performance.now() - started) / 1000;
  const comparable = history !== null && history.seeds === cmd.seeds && history.budget === cmd.budget;
  const regressions = comparable ? compareWithHistory(hunted, history) : [];
  out.line(formatHuntTable(hunted, cmd.budget, comparable ? history : null, regressions));
  out.line('');
  out.line(
    "runs: runs to the first counterexample, median and worst over the seeds; ms likewise; steps, dev: the smallest counterexample's steps and choices that are not 0; was: the recorded median",
  );

  const caught = hunted.filter((b) => b.status === 'caught').length;
  const escaped = hunted.filter((b) => b.escapes > 0).length;
  const wrong = hunted.filter((b) => b.status === 'wrong-invariant').length;
  const errors = hunted.filter((b) => b.status === 'model-error').length;
  out.line(
    `caught:   ${caught}/${hunted.length} by the invariant they name, within budget from every seed` +
      ` (escaped ${escaped}, wrong invariant ${wrong}${errors > 0 ? `, model errors ${errors}` : ''}); ${elapsed.toFixed(1)} s`,
  );

  const historyName = cmd.history === HISTORY_PATH ? HISTORY_FILE : cmd.history;
  if (history === null) out.line(`history:  none at ${historyName} (record one with --record)`);
  else if (!comparable)
    out.line(
      `history:  ${historyName} is for ${history.seeds} seeds, budget ${history.budget}: not compared`,
    );
  else {
    const unknown = hunted.filter((b) => history.bugs[b.name] === undefined).map((b) => b.name);
    out.line(
      `history:  compared with ${historyName}: ${regressions.length} bug${regressions.length === 1 ? '' : 's'}` +
        ` more than ${REGRESSION_FACTOR}x slower to detect (median runs)` +
        (unknown.length > 0 ? `; not recorded yet: ${unknown.join(', ')}` : ''),
    );
    for (const r of regressions) {
      out.line(
        `${cmd.strict ? 'REGRESSED' : 'WARNING  '} ${r.name}: median ${fmtNumber(r.now)} runs to detect, ` +
          `was ${fmtNumber(r.was)} (recorded ${r.date}): more than ${REGRESSION_FACTOR}x worse`,
      );
    }
  }

  out.line('replay (the smallest counterexample of each bug):');
  for (const b of hunted) {
    if (b.smallest?.runSeed) {
      out.line(`  ${replayCommand(b.name, b.smallest.runSeed)}`);
      const bug = bugByName(b.name);
      const saved =
        cmd.out === null || bug === undefined ? null : saveHunted(bug, b.smallest.runSeed, cmd.out, out);
      if (saved !== null) out.line(`  ${DIOCHECK} repro ${saved}`);
    } else out.line(`  ${b.name}: no counterexample`);
  }

  if (cmd.json !== null) {
    const report = {
      date: today(now),
      seeds: cmd.seeds,
      budget: cmd.budget,
      history: comparable ? historyName : null,
      regressions,
      bugs: hunted,
    };
    if (writeText(cmd.json, `${JSON.stringify(report, null, 2)}\n`, out)) out.line(`json:     ${cmd.json}`);
  }
  if (cmd.record) {
    const next = recordHistory(history, hunted, cmd.seeds, cmd.budget, today(now), cmd.bug === null);
    if (writeText(cmd.history, `${JSON.stringify(next, null, 2)}\n`, out))
      out.line(`recorded: ${hunted.length} bug${hunted.length === 1 ? '' : 's'} in ${historyName}`);
  }

  if (errors > 0) return EXIT_MODEL_ERROR;
  if (caught < hunted.length) return EXIT_VIOLATION;
  if (cmd.strict && regressions.length > 0) return EXIT_VIOLATION;
  return EXIT_PASS;
}

/**
 * Saves a hunted run as a replay file (the bug's scenario and faults, the run's decision log, the
 * planted bug), for repro, explain and export; checks that it replays to the same invariant.
 * Returns the file, or null (after one stderr line) when it could not be saved.
 */
export function saveHunted(bug: PlantedBug, runSeed: string, dir: string, out: Output): string | null {
  const result = runBugOnce(bug, runSeed, false, true);
  const violation = result.violation;
  if (violation === null) return null;
  const file = makeReplayFile({
    invariant: violation.invariant,
    scenario: bug.scenario,
    faults: bug.faults,
    choices: result.choiceLog,
    note: `diocheck hunt --bug ${bug.name} --replay ${runSeed}: ${violation.message}`,
    bug: bug.name,
  });
  const path = join(
    dir,
    `hunt-${bug.name}-${runSeed.split(':').slice(1).join('-')}-${violation.invariant}.json`,
  );
  if (!writeText(path, `${JSON.stringify(file, null, 2)}\n`, out)) return null;
  const replayed = replaysTo(file);
  if (replayed !== violation.invariant)
    out.err(`diocheck: warning: ${path} replays to ${replayed}, not ${violation.invariant}`);
  return path;
}

/** `hunt --bug NAME --replay RUNSEED`: one hunted run, with its timeline. */
export function replayHunted(cmd: HuntCommand, out: Output): number {
  const bug = cmd.bug === null ? undefined : bugByName(cmd.bug);
  if (bug === undefined || cmd.replay === null) throw new UsageError("'hunt --replay' needs --bug NAME");
  out.line(`planted bug ${bug.name} (${bug.commit}: ${bug.title}), run seed ${cmd.replay}`);
  out.line(`expected: ${bug.invariant}  ${bug.what}`);
  let result: RunResult | null = null;
  let error: unknown = null;
  try {
    result = runBugOnce(bug, cmd.replay, false, true);
  } catch (e) {
    error = e;
  }
  out.line(verdictLine(result, error));
  const fired = result?.violation?.invariant;
  if (fired !== undefined && fired !== bug.invariant)
    out.line(`note:     caught by ${fired}, not ${bug.invariant}`);
  out.line(`replay:   ${replayCommand(bug.name, cmd.replay)}`);
  if (cmd.out !== null && result !== null && result.violation !== null) {
    const saved = saveHunted(bug, cmd.replay, cmd.out, out);
    if (saved !== null) out.line(`          ${DIOCHECK} repro ${saved}`);
  }
  out.line(formatRunDetails(bug.scenario, bug.faults, result));
  if (result === null) return EXIT_MODEL_ERROR;
  return result.outcome === 'pass' ? EXIT_PASS : EXIT_VIOLATION;
}
