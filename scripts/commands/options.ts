/**
 * The one tokenizer of diocheck's command line, on Node's util.parseArgs: long options only
 * (`--name value`, `--name=value`, a bare `--flag`) and positionals. parseArgs splits the words;
 * this module checks them against the command's options, so that every mistake is one UsageError
 * line: an unknown or short option, an option given twice (unless it may repeat, as diff's
 * --kernel), a flag with a value, a value option without one.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './args.ts';

export interface OptionSpec {
  /** Options that take a value. */
  readonly values: readonly string[];
  /** Options without a value. */
  readonly flags?: readonly string[];
  /** Value options that may be given more than once (all their values are kept, in order). */
  readonly repeatable?: readonly string[];
  /** Positional arguments allowed (a FILE); otherwise each one is an error with this hint. */
  readonly positionals?: boolean;
  /** Appended to the error for an unexpected positional (` (did you mean --scenario X?)`). */
  readonly positionalHint?: (arg: string) => string;
}

export interface ParsedOptions {
  /** Each value option given, with its (last) value. */
  readonly options: ReadonlyMap<string, string>;
  /** Every value of each repeatable option, in order. */
  readonly repeated: ReadonlyMap<string, readonly string[]>;
  readonly flags: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

export function parseOptions(command: string, args: readonly string[], spec: OptionSpec): ParsedOptions {
  const flagNames = spec.flags ?? [];
  const { tokens } = parseArgs({
    args: [...args],
    options: Object.fromEntries([
      ...spec.values.map((n) => [n, { type: 'string' as const }]),
      ...flagNames.map((n) => [n, { type: 'boolean' as const }]),
    ]),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const known = [...spec.values, ...flagNames].map((k) => `--${k}`).join(', ');
  const options = new Map<string, string>();
  const repeated = new Map<string, string[]>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (spec.positionals !== true)
        throw new UsageError(
          `'${command}' takes no arguments, got '${token.value}'${spec.positionalHint?.(token.value) ?? ''}`,
        );
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator')
      throw new UsageError(`unknown option '--' for '${command}' (known: ${known})`);
    const raw = args[token.index] ?? token.rawName;
    if (!token.rawName.startsWith('--'))
      throw new UsageError(`unknown option '${raw}' for '${command}' (options are long: --name)`);
    const name = token.name;
    if (flagNames.includes(name)) {
      if (token.value !== undefined) throw new UsageError(`option '--${name}' takes no value`);
      if (flags.has(name)) throw new UsageError(`option '--${name}' given twice`);
      flags.add(name);
      continue;
    }
    if (!spec.values.includes(name))
      throw new UsageError(`unknown option '--${name}' for '${command}' (known: ${known})`);
    const value = token.value;
    // `--json --runs 5`: the next word is an option, not the value (`--name=--x` is a value).
    if (value === undefined || value === '' || (!token.inlineValue && value.startsWith('--')))
      throw new UsageError(`option '--${name}' needs a value`);
    if (spec.repeatable?.includes(name)) repeated.set(name, [...(repeated.get(name) ?? []), value]);
    else if (options.has(name)) throw new UsageError(`option '--${name}' given twice`);
    options.set(name, value);
  }
  return { options, repeated, flags, positionals };
}
