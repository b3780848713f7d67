/**
 * `diocheck explore`: the exhaustive small-scope explorer (properties/explore/engine.ts).
 *
 *   explore [--scenario NAME|FILE] [--bug NAME] [--max-faults K] [--crash] [--max-states M]
 *           [--json FILE] [--out DIR] [--no-prune] [--no-reduce]
 *
 * walks every choice stream of a small scenario depth first (every interleaving, every placement
 * of up to K faults, with --crash every power-loss point and every crash image there), runs every
 * invariant on every path, and prints paths, distinct states, pruned paths, the sleep-set cuts and
 * the time; the shortest violating path found is saved as a replay file. Without --scenario and
 * --bug it explores every standard scope (properties/explore/scopes.ts).
 *
 * - --scenario NAME is a standard scope (its faults, budget and crash setting are the defaults);
 *   FILE is a JSON Scenario (explored with interleavings, reordering, bio errors, page and copy
 *   faults and invalidation failures) or a replay file (its scenario and fault profile).
 * - --bug NAME plants a bug of the catalogue; alone, it explores the bug's own scenario and fault
 *   profile. The replay file then records the bug in its note: `repro` replays the correct model.
 * - --max-faults K (default: the scope's, else 1) bounds the faults on one path
 *   (properties/explore/faultClasses.ts); --crash turns power loss and crash images on;
 *   --max-states M stops a walk after M distinct states (incomplete).
 *
 * Exit status: 0 every walk completed without a violation; 1 a violation, a run that hit a bound,
 * or a walk stopped by --max-states (never a pass); 2 bad input; 3 the model threw.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { readText } from '../../properties/support/readText.ts';
import { join } from 'node:path';
import { BUGS, bugByName, opsFor, type PlantedBug } from '../../model/bugs/catalogue.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { KERNEL_VERSIONS, type KernelVersion } from '../../model/kernel/ops.ts';
import { NO_FAULTS, type FaultProfile } from '../../model/runtime/faults.ts';
import type { WorldQuirks } from '../../model/world/quirks.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { type ExploreResult, explore } from '../../properties/explore/engine.ts';
import { SCOPES, scopeByName, scopeFaults } from '../../properties/explore/scopes.ts';
import {
  makeReplayFile,
  parseReplayFile,
  replaysTo,
  validateScenario,
  writeReplayFile,
} from '../../properties/replay/replayFile.ts';
import { DEFAULT_OUT_DIR, UsageError } from './args.ts';
import { optionSpec, synopsis, USAGE } from './definitions.ts';
import { parseOptions } from './options.ts';
import { DIOCHECK } from './invocation.ts';
import type { Output } from './output.ts';
import { EXIT_MODEL_ERROR, EXIT_PASS, EXIT_VIOLATION } from './run.ts';

export const EXPLORE_HELP = `${synopsis('explore', USAGE.explore[0] ?? '', '')}

Walks every choice stream of a small scenario: every interleaving, every placement of up to K
faults, with --crash every power-loss point and every crash image. Checks every invariant on every
path; prints paths, distinct states, pruned paths and time; saves the shortest violating path as a
replay file in DIR (default ${DEFAULT_OUT_DIR}). Without --scenario or --bug: every standard scope.

Standard scopes: ${SCOPES.map((s) => s.name).join(', ')}.
Exit: 0 complete and clean, 1 violation / bound / incomplete, 2 bad input, 3 model error.`;

/** The fault classes a bare scenario file is explored with (power loss only with --crash). */
export const FILE_FAULTS: FaultProfile = {
  ...NO_FAULTS,
  interleave: true,
  reorder: true,
  bioErrors: true,
  pageFaults: true,
  copyFaults: true,
  invalidateFailures: true,
};

const MAX_FAULTS_MAX = 8;
const MAX_STATES_MAX = 100_000_000;

export interface ExploreCommand {
  readonly scenario: string | null;
  readonly bug: string | null;
  readonly maxFaults: number | null;
  readonly crash: boolean;
  readonly maxStates: number | null;
  readonly json: string | null;
  readonly out: string;
  readonly prune: boolean;
  readonly reduce: boolean;
  readonly help: boolean;
}

const { values: VALUE_OPTIONS, flags: USAGE_FLAGS } = optionSpec('explore');
const FLAG_OPTIONS = [...USAGE_FLAGS, 'help'];

function wholeNumber(name: string, text: string, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not '${text}'`);
  }
  return Number(text);
}

/** Parses the arguments after `explore`; throws UsageError (one line) on any mistake. */
export function parseExploreArgs(args: readonly string[]): ExploreCommand {
  const { options, flags } = parseOptions('explore', args, {
    values: VALUE_OPTIONS,
    flags: FLAG_OPTIONS,
    positionalHint: (arg) => ` (did you mean --scenario ${arg}?)`,
  });
  const bug = options.get('bug') ?? null;
  if (bug !== null && bugByName(bug) === undefined) {
    throw new UsageError(`no planted bug named '${bug}' (${BUGS.length} in model/bugs/catalogue.ts)`);
  }
  const scenario = options.get('scenario') ?? null;
  if (scenario !== null && scopeByName(scenario) === undefined && !existsSync(scenario)) {
    throw new UsageError(
      `--scenario '${scenario}' is neither a standard scope (${SCOPES.map((s) => s.name).join(', ')}) nor a file`,
    );
  }
  const k = options.get('max-faults');
  const m = options.get('max-states');
  return {
    scenario,
    bug,
    maxFaults: k === undefined ? null : wholeNumber('max-faults', k, 0, MAX_FAULTS_MAX),
    crash: flags.has('crash'),
    maxStates: m === undefined ? null : wholeNumber('max-states', m, 1, MAX_STATES_MAX),
    json: options.get('json') ?? null,
    out: options.get('out') ?? DEFAULT_OUT_DIR,
    prune: !flags.has('no-prune'),
    reduce: !flags.has('no-reduce'),
    help: flags.has('help'),
  };
}

/** One walk to make: a scenario, its faults and budget, and the model to run. */
export interface Target {
  readonly name: string;
  readonly scenario: Scenario;
  readonly faults: FaultProfile;
  readonly maxFaults: number;
  readonly ops?: KernelOps;
  readonly quirks?: WorldQuirks;
  readonly bug: string | null;
  /** The kernel release a replay file named; its replay files record it too. */
  readonly kernel?: KernelVersion | null;
}

/** A scenario file: a replay file (scenario and faults) or a bare Scenario. */
function readScenarioFile(path: string): {
  scenario: Scenario;
  faults: FaultProfile | null;
  kernel: KernelVersion | null;
} {
  const text = readText(path, 'scenario file', (m) => new UsageError(m));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`scenario file ${path} is not JSON: ${(e as Error).message.split('\n', 1)[0]}`);
  }
  try {
    if (typeof json === 'object' && json !== null && 'format' in json) {
      const file = parseReplayFile(text, path);
      return {
        scenario: file.scenario,
        faults: { ...file.faults, interleave: true },
        kernel: file.kernel ?? null,
      };
    }
    return { scenario: validateScenario(json), faults: null, kernel: null };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`scenario file ${path}: ${(e as Error).message.split('\n', 1)[0]}`);
  }
}

/** What the command line asks to explore. */
export function targetsOf(cmd: ExploreCommand): Target[] {
  const bug: PlantedBug | null = cmd.bug === null ? null : (bugByName(cmd.bug) ?? null);
  const planted = bug === null ? {} : { ops: opsFor(bug), quirks: bug.quirks ?? {} };
  const crash = (f: FaultProfile): FaultProfile => (cmd.crash ? { ...f, powerLoss: true } : f);
  if (cmd.scenario === null && bug !== null) {
    return [
      {
        name: `bug ${bug.name}`,
        scenario: bug.scenario,
        faults: crash(bug.faults),
        maxFaults: cmd.maxFaults ?? 1,
        bug: bug.name,
        ...planted,
      },
    ];
  }
  const scopes = cmd.scenario === null ? SCOPES : [scopeByName(cmd.scenario)].filter((s) => s !== undefined);
  if (scopes.length > 0) {
    return scopes.map((s) => ({
      name: s.name,
      scenario: s.scenario,
      faults: crash(scopeFaults(s)),
      maxFaults: cmd.maxFaults ?? s.maxFaults,
      bug: bug?.name ?? null,
      ...planted,
    }));
  }
  const path = cmd.scenario as string;
  const file = readScenarioFile(path);
  // A replay file recorded on a kernel release explores that release (a planted bug wins).
  const kernel = bug === null && file.kernel !== null ? { ops: KERNEL_VERSIONS[file.kernel] } : {};
  return [
    {
      name: file.kernel === null ? path : `${path} (kernel ${file.kernel})`,
      kernel: file.kernel,
      scenario: file.scenario,
      faults: crash(file.faults ?? FILE_FAULTS),
      maxFaults: cmd.maxFaults ?? 1,
      bug: bug?.name ?? null,
      ...kernel,
      ...planted,
    },
  ];
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The one-line summary of a walk. */
export function summaryLine(name: string, r: ExploreResult): string {
  const verdict = r.modelError
    ? 'MODEL ERROR'
    : r.violations.size > 0
      ? `${[...r.violations.values()].reduce((n, v) => n + v.count, 0)} violating path(s)`
      : r.boundHits > 0
        ? `${r.boundHits} bound hit(s)`
        : r.complete
          ? 'no violation'
          : 'no violation so far';
  const stop = r.complete ? 'complete' : `stopped (${r.stoppedBy})`;
  return (
    `${name}: ${r.paths} paths (${r.completedPaths} run to the end, ${r.prunedPaths} pruned at a revisited state, ` +
    `${r.sleepBlockedPaths} cut by sleep sets), ${r.states} states, ${seconds(r.milliseconds)}, ${stop}: ${verdict}`
  );
}

/** The explorer's counters, kept in the JSON report as the engine gives them. */
const COUNTERS = [
  'complete',
  'stoppedBy',
  'paths',
  'completedPaths',
  'prunedPaths',
  'sleepBlockedPaths',
  'sleepSkips',
  'faultCuts',
  'states',
  'boundHits',
] as const;

type WalkCounts = Pick<ExploreResult, (typeof COUNTERS)[number]>;

function counts(r: ExploreResult): WalkCounts {
  return Object.fromEntries(COUNTERS.map((k) => [k, r[k]])) as unknown as WalkCounts;
}

export interface WalkSummary extends WalkCounts {
  readonly name: string;
  readonly bug: string | null;
  readonly maxFaults: number;
  readonly crash: boolean;
  readonly elapsedMs: number;
  readonly violations: Record<string, { count: number; shortestChoices: number; message: string }>;
  readonly replayFile: string | null;
  readonly modelError: string | null;
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
}

/** Runs `diocheck explore ARGS`; returns the exit status. */
export function exploreCommand(args: readonly string[], out: Output): number {
  const cmd = parseExploreArgs(args);
  if (cmd.help) {
    out.line(EXPLORE_HELP);
    return EXIT_PASS;
  }
  const targets = targetsOf(cmd);
  const summaries: WalkSummary[] = [];
  let exit = EXIT_PASS;
  for (const t of targets) {
    const r = explore({
      scenario: t.scenario,
      faults: t.faults,
      maxFaults: t.maxFaults,
      prune: cmd.prune,
      reduce: cmd.reduce,
      ...(t.ops === undefined ? {} : { ops: t.ops }),
      ...(t.quirks === undefined ? {} : { quirks: t.quirks }),
      ...(cmd.maxStates === null ? {} : { maxStates: cmd.maxStates }),
    });
    out.line(summaryLine(t.name, r));
    let replayFile: string | null = null;
    for (const [id, v] of [...r.violations].sort((a, b) => a[0].localeCompare(b[0]))) {
      out.line(
        `  ${id}: ${v.count} path(s); shortest ${v.shortest.choices.length} choices: ${v.shortest.message}`,
      );
    }
    const s = r.shortest;
    if (s !== null) {
      replayFile = join(cmd.out, `explore-${slug(t.name)}-${s.invariant}.json`);
      const note =
        t.bug === null
          ? `exhaustive exploration of ${t.name}, max-faults ${t.maxFaults}`
          : `exhaustive exploration of ${t.name} with planted bug ${t.bug}, max-faults ${t.maxFaults}`;
      // The file records what the walk ran: its kernel, its planted bug, and every crash image at
      // power loss (the explorer's default with powerLoss), so that repro takes the same path.
      const file = makeReplayFile({
        invariant: s.invariant,
        scenario: t.scenario,
        faults: t.faults,
        choices: s.choices,
        note,
        ...(t.kernel === undefined || t.kernel === null ? {} : { kernel: t.kernel }),
        ...(t.bug === null ? {} : { bug: t.bug }),
        ...(t.faults.powerLoss === true ? { crashImages: true } : {}),
      });
      try {
        writeReplayFile(replayFile, file);
      } catch (e) {
        throw new UsageError(`cannot write ${replayFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      out.line(
        `  shortest violating path: ${s.invariant}, ${s.choices.length} choices, saved to ${replayFile}`,
      );
      const replayed = replaysTo(file);
      if (replayed !== s.invariant)
        out.err(`diocheck: warning: ${replayFile} replays to ${replayed}, not ${s.invariant}`);
      out.line(`  replay:   ${DIOCHECK} repro ${replayFile}`);
    }
    if (r.modelError !== null) {
      out.line(`  model error: ${r.modelError.message}`);
      out.line(`  at choices: ${JSON.stringify(r.modelError.choices.map((c) => c.value))}`);
    }
    const status =
      r.modelError !== null
        ? EXIT_MODEL_ERROR
        : r.violations.size > 0 || r.boundHits > 0 || !r.complete
          ? EXIT_VIOLATION
          : EXIT_PASS;
    exit = Math.max(exit, status);
    summaries.push({
      name: t.name,
      bug: t.bug,
      maxFaults: t.maxFaults,
      crash: t.faults.powerLoss === true,
      ...counts(r),
      elapsedMs: Math.round(r.milliseconds),
      violations: Object.fromEntries(
        [...r.violations].map(([id, v]) => [
          id,
          { count: v.count, shortestChoices: v.shortest.choices.length, message: v.shortest.message },
        ]),
      ),
      replayFile,
      modelError: r.modelError?.message ?? null,
    });
  }
  if (targets.length > 1) {
    const paths = summaries.reduce((n, s) => n + s.paths, 0);
    const states = summaries.reduce((n, s) => n + s.states, 0);
    const ms = summaries.reduce((n, s) => n + s.elapsedMs, 0);
    out.line(`total: ${targets.length} scopes, ${paths} paths, ${states} states, ${seconds(ms)}`);
  }
  if (cmd.json !== null) {
    const text = `${JSON.stringify({ format: 'diocheck-explore', version: 1, walks: summaries }, null, 2)}\n`;
    try {
      writeFileSync(cmd.json, text);
    } catch (e) {
      throw new UsageError(
        `cannot write --json ${cmd.json}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  return exit;
}
