/**
 * The command lines of the scripts outside the diocheck CLI (npm run oracle, journalAbort, bench and
 * its detection section, kernel:hunks) on the CLI's one tokenizer (commands/options.ts
 * parseOptions, on util.parseArgs), so that every command of the project reads `--name value`,
 * `--name=value` and a bare `--flag` alike and words every mistake the same way. Each script keeps its own usage error class (its main maps
 * it to one line and exit 2), so parseOptions' UsageError is rethrown as that class.
 */
import { UsageError } from './commands/args.ts';
import { type OptionSpec, type ParsedOptions, parseOptions } from './commands/options.ts';

export function parseScriptOptions(
  command: string,
  argv: readonly string[],
  spec: OptionSpec,
  usageError: new (message: string) => Error,
): ParsedOptions {
  try {
    return parseOptions(command, argv, spec);
  } catch (e) {
    if (e instanceof UsageError) throw new usageError(e.message);
    throw e;
  }
}

/**
 * A script's `--name N`: a whole number (at most nine digits) of at least `min`, or `fallback` when
 * the option is absent; anything else is the script's usage error, `command: --name must be ...`.
 */
export function wholeNumberOption(
  command: string,
  name: string,
  value: string | undefined,
  fallback: number,
  usageError: new (message: string) => Error,
  min = 0,
): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min)
    throw new usageError(
      `${command}: --${name} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, not '${value}'`,
    );
  return Number(value);
}

/**
 * `--help` or `-h` anywhere on the line: the usage is printed whatever else the line says, since a
 * user who asks how is better answered than told what is wrong (`-h` is the one short word taken).
 */
export function asksHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

/**
 * A script's options from its own command line (process.argv): `parse` returns 'help' for --help,
 * which prints the usage and gives null; a mistake is one line `NAME: message` and exit 2.
 */
export function scriptArgsOrExit<T>(
  name: string,
  usage: string,
  parse: (argv: readonly string[]) => T | 'help',
): T | null {
  let o: T | 'help';
  try {
    o = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${name}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  if (o === 'help') {
    process.stdout.write(`${usage}\n`);
    return null;
  }
  return o;
}
