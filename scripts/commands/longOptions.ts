/**
 * The long-option parser of the commands that parse their own arguments (hunt, explore): only
 * `--name value`, `--name=value` and bare `--flag`; each mistake is one UsageError line.
 */
import { UsageError } from './args.ts';

export interface LongOptions {
  readonly options: ReadonlyMap<string, string>;
  readonly flags: ReadonlySet<string>;
}

export function parseLongOptions(
  command: string,
  args: readonly string[],
  valueOptions: readonly string[],
  flagOptions: readonly string[],
  positionalHint: (arg: string) => string = () => '',
): LongOptions {
  const options = new Map<string, string>();
  const flags = new Set<string>();
  const known = [...valueOptions, ...flagOptions].map((k) => `--${k}`).join(', ');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) {
      throw new UsageError(
        arg.startsWith('-')
          ? `unknown option '${arg}' for '${command}' (options are long: --name)`
          : `'${command}' takes no arguments, got '${arg}'${positionalHint(arg)}`,
      );
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (options.has(name) || flags.has(name)) throw new UsageError(`option '--${name}' given twice`);
    if (flagOptions.includes(name)) {
      if (eq !== -1) throw new UsageError(`option '--${name}' takes no value`);
      flags.add(name);
      continue;
    }
    if (!valueOptions.includes(name))
      throw new UsageError(`unknown option '--${name}' for '${command}' (known: ${known})`);
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '' || (eq === -1 && value.startsWith('--')))
      throw new UsageError(`option '--${name}' needs a value`);
    options.set(name, value);
  }
  return { options, flags };
}
