/**
 * The command line of diocheck, parsed into one Command value. Long options only (`--runs 20` or
 * `--runs=20`); every mistake is a UsageError whose message is one line, which cli.ts prints after
 * `diocheck: ` before exiting with status 2.
 */
import { KERNEL_VERSIONS, type KernelVersion, resolveKernel } from '../../model/kernel/ops.ts';
import { KERNEL_ALIASES } from '../../model/kernel/releases.ts';
import { REPLAY_EXPECTS, type ReplayExpect } from '../../properties/replay/replayFile.ts';
import { parseSeed } from '../../properties/support/budget.ts';
import { optionSpec } from './definitions.ts';
import { parseOptions } from './options.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Campaign profiles (run.ts says what each changes); null means DIOSIM_TIER decides. */
export type Profile = 'fast' | 'soak' | 'swarm';
export const PROFILES: readonly Profile[] = ['fast', 'soak', 'swarm'];

/** Shard `index` of `count`, counted from 1 as vitest does: `--shard 2/4`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export interface RunCommand {
  readonly kind: 'run';
  /** Exactly one of runs and timeMs is set when the user gave one; both null means the default. */
  readonly runs: number | null;
  readonly timeMs: number | null;
  readonly seed: number | null;
  readonly json: string | null;
  readonly out: string;
  readonly profile: Profile | null;
  readonly shard: Shard | null;
  readonly junit: string | null;
  /** --coverage: list every marked seed line with its hits. */
  readonly coverage: boolean;
  /** --annotate FILE: a copy of FILE with hit counts in the margin, written into `out`. */
  readonly annotate: string | null;
  /** --kernel: run on that kernel version (KERNEL_VERSIONS); null: the correct model (FIXED_OPS). */
  readonly kernel: KernelVersion | null;
  /** --stop-at-first: end at the first violation and shrink it (the campaign before triage). */
  readonly stopAtFirst: boolean;
  /** --max-findings N: end the campaign once N distinct signatures were seen; null: the whole budget. */
  readonly maxFindings: number | null;
  /** --baseline DIR: the known findings (expect: violation replay files); default the regression corpus. */
  readonly baseline: string;
}

export interface ExplainCommand {
  readonly kind: 'explain';
  readonly file: string;
  readonly html: string | null;
}

export interface PromoteCommand {
  readonly kind: 'promote';
  readonly file: string;
  readonly name: string;
  readonly note: string | null;
  /** null: what the replay does now. */
  readonly expect: ReplayExpect | null;
  readonly dir: string;
}

export interface MergeCommand {
  readonly kind: 'merge';
  readonly files: readonly string[];
  readonly json: string | null;
  readonly junit: string | null;
}

export interface ExportCommand {
  readonly kind: 'export';
  readonly format: 'xfs-io';
  readonly file: string;
  readonly out: string | null;
}

export interface ReproSeedCommand {
  readonly kind: 'repro-seed';
  readonly seed: number;
  readonly path: string | null;
  /** Runs to search when no path is given (default: the tier's campaign runs). */
  readonly runs: number | null;
  /** --kernel: replay on that kernel version; null: the correct model, as `run` without --kernel. */
  readonly kernel: KernelVersion | null;
}

export interface ReproFileCommand {
  readonly kind: 'repro-file';
  readonly file: string;
}

export interface HelpCommand {
  readonly kind: 'help';
}

export type Command =
  | RunCommand
  | ReproSeedCommand
  | ReproFileCommand
  | HelpCommand
  | ExplainCommand
  | PromoteCommand
  | MergeCommand
  | ExportCommand;

export const DEFAULT_OUT_DIR = 'out/counterexamples';
export const DEFAULT_REGRESSIONS_DIR = 'properties/regressions';

const COMMANDS = ['run', 'repro', 'explain', 'promote', 'merge', 'export', 'help'] as const;
type CommandName = Exclude<(typeof COMMANDS)[number], 'help'>;

const HELP_WORDS = new Set(['help', '--help', '-h']);

/** A positive whole number of runs, in decimal. */
export function parseRuns(text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1) {
    throw new UsageError(`--runs must be a positive whole number, not '${text}'`);
  }
  return Number(text);
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration such as 60s, 2m, 1h, 500ms or 90 (seconds); positive, at most a week. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(text);
  const amount = m?.[1];
  if (m === null || amount === undefined) {
    throw new UsageError(`--time must be a duration such as 60s, 5m or 1h, not '${text}'`);
  }
  const ms = Number(amount) * (DURATION_UNITS_MS[m[2] ?? 's'] ?? 1000);
  if (ms < 1 || ms > 7 * 24 * 3_600_000)
    throw new UsageError(`--time must be between 1ms and a week, not '${text}'`);
  return ms;
}

/** A fast-check path: colon-separated naturals, as fast-check prints it (`12:0:3`). */
export function parsePath(text: string): string {
  if (!/^\d{1,9}(:\d{1,9})*$/.test(text)) {
    throw new UsageError(`--path must be a fast-check path such as 12:0:3, not '${text}'`);
  }
  return text;
}

/** `--shard i/n`: shard i of n, 1 <= i <= n <= 1000. */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(text);
  if (m === null) throw new UsageError(`--shard must be i/n such as 1/4, not '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 1000)
    throw new UsageError(`--shard count must be between 1 and 1000, not ${count}`);
  if (index < 1 || index > count)
    throw new UsageError(`--shard ${text}: shards count from 1, so i must be between 1 and ${count}`);
  return { index, count };
}

function oneOfOption<T extends string>(name: string, text: string, allowed: readonly T[]): T {
  if (!allowed.includes(text as T))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not '${text}'`);
  return text as T;
}

/** The kernel versions `--kernel` takes (model/kernel/ops.ts KERNEL_VERSIONS), and their aliases. */
export const KERNEL_NAMES = Object.keys(KERNEL_VERSIONS) as KernelVersion[];

/** `--kernel seed|6.12.107|...|6.12.118|6.12`: an exact kernel setting; an alias names its release. */
export function parseKernel(text: string): KernelVersion {
  const kernel = resolveKernel(text);
  if (kernel === undefined) {
    const aliases = Object.entries(KERNEL_ALIASES).map(([a, r]) => `${a} (= ${r})`);
    throw new UsageError(
      `--kernel must be one of ${[...KERNEL_NAMES, ...aliases].join(', ')}, not '${text}'`,
    );
  }
  return kernel;
}

function kernelOf(text: string | undefined): KernelVersion | null {
  return text === undefined ? null : parseKernel(text);
}

/** A regression name: letters, digits, '-', '_' and '.', as a file name under properties/regressions/. */
export function parseRegressionName(text: string): string {
  const name = text.endsWith('.json') ? text.slice(0, -'.json'.length) : text;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(name)) {
    throw new UsageError(`--name must be letters, digits, '-', '_' or '.' (a file name), not '${text}'`);
  }
  return name;
}

/** fast-check's seeds are 32-bit integers; it would quietly wrap a larger one (2^32 runs seed 0). */
export const SEED_MIN = -0x8000_0000;
export const SEED_MAX = 0x7fff_ffff;

/** `--seed S`: a decimal integer fast-check takes as it is, from -2^31 to 2^31-1. */
export function seedOption(text: string, what = '--seed'): number {
  let seed: number;
  try {
    seed = parseSeed(text, what);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (seed < SEED_MIN || seed > SEED_MAX)
    throw new UsageError(
      `${what} must be between ${SEED_MIN} and ${SEED_MAX} (a 32-bit integer), not '${text}'`,
    );
  return seed;
}

interface Parsed {
  readonly options: ReadonlyMap<string, string>;
  readonly flags: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/** `--name value`, `--name=value`, flags and positionals of one command (options.ts). */
function splitArgs(command: CommandName, args: readonly string[]): Parsed {
  const { values, flags } = optionSpec(command);
  // `run --workers N` never gets here: cli.ts hands it to workers.ts, which takes the option out.
  return parseOptions(command, args, {
    values: values.filter((v) => v !== 'workers'),
    flags,
    positionals: true,
  });
}

function noPositionals(command: string, positionals: readonly string[]): void {
  const extra = positionals[0];
  if (extra !== undefined) throw new UsageError(`'${command}' takes no arguments, got '${extra}'`);
}

/** Exactly one positional FILE (`what` names it without an article: 'replay file'). */
function oneFile(command: string, positionals: readonly string[], what: string): string {
  const file = positionals[0];
  if (file === undefined) throw new UsageError(`'${command}' needs a ${what}`);
  if (positionals.length > 1)
    throw new UsageError(`'${command}' takes one ${what}, got ${positionals.length}`);
  return file;
}

function parseRun(args: readonly string[]): RunCommand {
  const { options, flags, positionals } = splitArgs('run', args);
  noPositionals('run', positionals);
  const runs = options.get('runs');
  const time = options.get('time');
  if (runs !== undefined && time !== undefined) throw new UsageError('give --runs or --time, not both');
  const seed = options.get('seed');
  return {
    kind: 'run',
    runs: runs === undefined ? null : parseRuns(runs),
    timeMs: time === undefined ? null : parseDuration(time),
    seed: seed === undefined ? null : seedOption(seed),
    json: options.get('json') ?? null,
    out: options.get('out') ?? DEFAULT_OUT_DIR,
    profile: profileOf(options.get('profile')),
    shard: shardOf(options.get('shard')),
    junit: options.get('junit') ?? null,
    coverage: flags.has('coverage'),
    annotate: options.get('annotate') ?? null,
    kernel: kernelOf(options.get('kernel')),
    stopAtFirst: flags.has('stop-at-first'),
    maxFindings: maxFindingsOf(options.get('max-findings'), flags.has('stop-at-first')),
    baseline: options.get('baseline') ?? DEFAULT_REGRESSIONS_DIR,
  };
}

/** `--max-findings N`: a positive whole number, and not with --stop-at-first (which is N = 1 unshrunk). */
function maxFindingsOf(text: string | undefined, stopAtFirst: boolean): number | null {
  if (text === undefined) return null;
  if (stopAtFirst) throw new UsageError('give --max-findings or --stop-at-first, not both');
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1)
    throw new UsageError(`--max-findings must be a positive whole number, not '${text}'`);
  return Number(text);
}

function profileOf(text: string | undefined): Profile | null {
  return text === undefined ? null : oneOfOption('profile', text, PROFILES);
}

function shardOf(text: string | undefined): Shard | null {
  return text === undefined ? null : parseShard(text);
}

function parseExplain(args: readonly string[]): ExplainCommand {
  const { options, positionals } = splitArgs('explain', args);
  const file = oneFile('explain', positionals, 'replay file');
  return { kind: 'explain', file, html: options.get('html') ?? null };
}

function parsePromote(args: readonly string[]): PromoteCommand {
  const { options, positionals } = splitArgs('promote', args);
  const file = oneFile('promote', positionals, 'replay file');
  const name = options.get('name');
  if (name === undefined) throw new UsageError("'promote' needs --name NAME");
  const expect = options.get('expect');
  return {
    kind: 'promote',
    file,
    name: parseRegressionName(name),
    note: options.get('note') ?? null,
    expect: expect === undefined ? null : oneOfOption('expect', expect, REPLAY_EXPECTS),
    dir: options.get('dir') ?? DEFAULT_REGRESSIONS_DIR,
  };
}

function parseMerge(args: readonly string[]): MergeCommand {
  const { options, positionals } = splitArgs('merge', args);
  if (positionals.length === 0)
    throw new UsageError("'merge' needs the JSON reports of 'run --shard i/n --json FILE'");
  return {
    kind: 'merge',
    files: positionals,
    json: options.get('json') ?? null,
    junit: options.get('junit') ?? null,
  };
}

function parseExport(args: readonly string[]): ExportCommand {
  const { options, positionals } = splitArgs('export', args);
  noPositionals('export', positionals);
  const file = options.get('xfs-io');
  if (file === undefined) throw new UsageError("'export' needs --xfs-io FILE (the replay file to export)");
  return { kind: 'export', format: 'xfs-io', file, out: options.get('out') ?? null };
}

function parseRepro(args: readonly string[]): ReproSeedCommand | ReproFileCommand {
  const { options, positionals } = splitArgs('repro', args);
  if (positionals.length > 1)
    throw new UsageError(`'repro' takes one replay file, got ${positionals.length}`);
  const file = positionals[0];
  const seed = options.get('seed');
  const path = options.get('path');
  const runs = options.get('runs');
  if (file !== undefined) {
    if (options.has('kernel'))
      throw new UsageError("'repro FILE' takes no --kernel: a replay file names its own kernel");
    if (options.size > 0)
      throw new UsageError(`'repro FILE' takes no options (got --${[...options.keys()][0]})`);
    return { kind: 'repro-file', file };
  }
  if (seed === undefined) throw new UsageError("'repro' needs a replay file or --seed S [--path P]");
  if (path !== undefined && runs !== undefined) throw new UsageError('give --path or --runs, not both');
  return {
    kind: 'repro-seed',
    seed: seedOption(seed),
    path: path === undefined ? null : parsePath(path),
    runs: runs === undefined ? null : parseRuns(runs),
    kernel: kernelOf(options.get('kernel')),
  };
}

/** Parses argv (without node and the script); throws UsageError on any mistake. */
export function parseCommandLine(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || HELP_WORDS.has(command) || rest.some((a) => a === '--help')) {
    return { kind: 'help' };
  }
  switch (command) {
    case 'run':
      return parseRun(rest);
    case 'repro':
      return parseRepro(rest);
    case 'explain':
      return parseExplain(rest);
    case 'promote':
      return parsePromote(rest);
    case 'merge':
      return parseMerge(rest);
    case 'export':
      return parseExport(rest);
  }
  // hunt parses its own options (scripts/commands/hunt.ts) but is a command all the same.
  const list = [...COMMANDS.filter((c) => c !== 'help'), 'hunt', 'explore', 'diff', 'confirm', 'help'].join(
    ', ',
  );
  if (command.startsWith('-')) throw new UsageError(`unknown option '${command}' (commands: ${list})`);
  throw new UsageError(`unknown command '${command}' (commands: ${list})`);
}
