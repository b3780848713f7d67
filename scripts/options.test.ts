/** The tokenizer every command shares (scripts/commands/options.ts, on util.parseArgs). */
import { describe, expect, it } from 'vitest';
import { UsageError } from './commands/args.ts';
import { parseOptions } from './commands/options.ts';

const SPEC = {
  values: ['seed', 'json', 'kernel'],
  flags: ['record'],
  repeatable: ['kernel'],
  positionals: true,
};

function error(args: readonly string[], spec: Parameters<typeof parseOptions>[2] = SPEC): string {
  try {
    parseOptions('cmd', args, spec);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`${args.join(' ')} parsed`);
}

describe('parseOptions', () => {
  it('takes --name value, --name=value, flags, repeated options and positionals', () => {
    const p = parseOptions(
      'cmd',
      ['FILE', '--seed', '-5', '--json=--odd', '--kernel', 'a', '--kernel=b', '--record'],
      SPEC,
    );
    expect(Object.fromEntries(p.options)).toEqual({ seed: '-5', json: '--odd', kernel: 'b' });
    expect(p.repeated.get('kernel')).toEqual(['a', 'b']);
    expect([...p.flags]).toEqual(['record']);
    expect(p.positionals).toEqual(['FILE']);
  });

  it('answers each mistake with one line', () => {
    expect(error(['-x'])).toBe("unknown option '-x' for 'cmd' (options are long: --name)");
    expect(error(['-rx'])).toBe("unknown option '-rx' for 'cmd' (options are long: --name)");
    expect(error(['--', 'a'])).toBe(
      "unknown option '--' for 'cmd' (known: --seed, --json, --kernel, --record)",
    );
    expect(error(['--nope'])).toBe(
      "unknown option '--nope' for 'cmd' (known: --seed, --json, --kernel, --record)",
    );
    expect(error(['--seed', '1', '--seed=2'])).toBe("option '--seed' given twice");
    expect(error(['--record', '--record'])).toBe("option '--record' given twice");
    expect(error(['--record=yes'])).toBe("option '--record' takes no value");
    expect(error(['--json'])).toBe("option '--json' needs a value");
    expect(error(['--json='])).toBe("option '--json' needs a value");
    expect(error(['--json', '--record'])).toBe("option '--json' needs a value");
    expect(error(['x'], { values: [], positionalHint: (a) => ` (did you mean --scenario ${a}?)` })).toBe(
      "'cmd' takes no arguments, got 'x' (did you mean --scenario x?)",
    );
  });
});
