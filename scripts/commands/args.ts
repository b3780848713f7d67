/**
 * The command line of diocheck, parsed into one Command value. Long options only (`--runs 20` or
 * `--runs=20`); every mistake is a UsageError whose message is one line, which cli.ts prints after
 * `diocheck: ` before exiting with status 2.
 */
import { parseSeed } from '../../properties/support/budget.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface RunCommand {
  readonly kind: 'run';
  /** Exactly one of runs and timeMs is set when the user gave one; both null means the default. */
  readonly runs: number | null;
  readonly timeMs: number | null;
  readonly seed: number | null;
  readonly json: string | null;
  readonly out: string;
}

export interface ReproSeedCommand {
  readonly kind: 'repro-seed';
  readonly seed: number;
  readonly path: string | null;
  /** Runs to search when no path is given (default: the tier's campaign runs). */
  readonly runs: number | null;
}

export interface ReproFileCommand {
  readonly kind: 'repro-file';
  readonly file: string;
}

export interface HelpCommand {
  readonly kind: 'help';
}

export type Command = RunCommand | ReproSeedCommand | ReproFileCommand | HelpCommand;

export const DEFAULT_OUT_DIR = 'out/counterexamples';

/** Options each command takes; all take a value. */
const OPTIONS: Readonly<Record<'run' | 'repro', readonly string[]>> = {
  run: ['runs', 'time', 'seed', 'json', 'out'],
  repro: ['seed', 'path', 'runs'],
};

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

function seedOption(text: string): number {
  try {
    return parseSeed(text, '--seed');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

interface Parsed {
  readonly options: ReadonlyMap<string, string>;
  readonly positionals: readonly string[];
}

/** Splits `--name value`, `--name=value` and positionals; rejects unknown and repeated options. */
function splitArgs(command: string, args: readonly string[], known: readonly string[]): Parsed {
  const options = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--'))
      throw new UsageError(`unknown option '${arg}' for '${command}' (options are long: --name)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!known.includes(name)) {
      const list = known.map((k) => `--${k}`).join(', ');
      throw new UsageError(`unknown option '--${name}' for '${command}' (known: ${list})`);
    }
    if (options.has(name)) throw new UsageError(`option '--${name}' given twice`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      i++;
    }
    if (value === undefined || value === '') throw new UsageError(`option '--${name}' needs a value`);
    options.set(name, value);
  }
  return { options, positionals };
}

function parseRun(args: readonly string[]): RunCommand {
  const { options, positionals } = splitArgs('run', args, OPTIONS.run);
  const extra = positionals[0];
  if (extra !== undefined) throw new UsageError(`'run' takes no arguments, got '${extra}'`);
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
  };
}

function parseRepro(args: readonly string[]): ReproSeedCommand | ReproFileCommand {
  const { options, positionals } = splitArgs('repro', args, OPTIONS.repro);
  if (positionals.length > 1)
    throw new UsageError(`'repro' takes one replay file, got ${positionals.length}`);
  const file = positionals[0];
  const seed = options.get('seed');
  const path = options.get('path');
  const runs = options.get('runs');
  if (file !== undefined) {
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
  };
}

/** Parses argv (without node and the script); throws UsageError on any mistake. */
export function parseCommandLine(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || HELP_WORDS.has(command) || rest.some((a) => a === '--help')) {
    return { kind: 'help' };
  }
  if (command === 'run') return parseRun(rest);
  if (command === 'repro') return parseRepro(rest);
  if (command.startsWith('-'))
    throw new UsageError(`unknown option '${command}' (commands: run, repro, help)`);
  throw new UsageError(`unknown command '${command}' (commands: run, repro, help)`);
}
