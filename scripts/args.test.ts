/** The argument parser of the diocheck command line. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OUT_DIR,
  parseCommandLine,
  parseDuration,
  parsePath,
  parseRuns,
  UsageError,
} from './commands/args.ts';

function usageError(argv: readonly string[]): string {
  try {
    parseCommandLine(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`no UsageError for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('reads run with its defaults', () => {
    expect(parseCommandLine(['run'])).toEqual({
      kind: 'run',
      runs: null,
      timeMs: null,
      seed: null,
      json: null,
      out: DEFAULT_OUT_DIR,
    });
  });

  it('reads every run option, spaced or with =', () => {
    expect(parseCommandLine(['run', '--runs', '20', '--seed=-7', '--json', 'x.json', '--out=cx'])).toEqual({
      kind: 'run',
      runs: 20,
      timeMs: null,
      seed: -7,
      json: 'x.json',
      out: 'cx',
    });
    expect(parseCommandLine(['run', '--time', '2m'])).toMatchObject({ runs: null, timeMs: 120_000 });
  });

  it('reads repro with a seed and path, a seed alone, or a file', () => {
    expect(parseCommandLine(['repro', '--seed', '12', '--path', '3:0:1'])).toEqual({
      kind: 'repro-seed',
      seed: 12,
      path: '3:0:1',
      runs: null,
    });
    expect(parseCommandLine(['repro', '--seed', '12', '--runs', '50'])).toMatchObject({
      path: null,
      runs: 50,
    });
    expect(parseCommandLine(['repro', 'out/cx.json'])).toEqual({ kind: 'repro-file', file: 'out/cx.json' });
  });

  it('treats no command, help, -h and --help anywhere as help', () => {
    for (const argv of [[], ['help'], ['-h'], ['--help'], ['run', '--runs', '3', '--help']]) {
      expect(parseCommandLine(argv)).toEqual({ kind: 'help' });
    }
  });

  it('rejects unknown commands and options, repeats, missing values and stray arguments', () => {
    expect(usageError(['frob'])).toBe("unknown command 'frob' (commands: run, repro, help)");
    expect(usageError(['-x'])).toMatch(/^unknown option '-x'/);
    expect(usageError(['run', '--path', '1'])).toMatch(/^unknown option '--path' for 'run'/);
    expect(usageError(['run', '-r', '1'])).toMatch(/^unknown option '-r' for 'run'/);
    expect(usageError(['run', '--seed', '1', '--seed', '2'])).toBe("option '--seed' given twice");
    expect(usageError(['run', '--json'])).toBe("option '--json' needs a value");
    expect(usageError(['run', '--json='])).toBe("option '--json' needs a value");
    expect(usageError(['run', 'now'])).toBe("'run' takes no arguments, got 'now'");
    expect(usageError(['run', '--runs', '5', '--time', '5s'])).toBe('give --runs or --time, not both');
  });

  it('rejects a repro that is neither a file nor a seed, or mixes them', () => {
    expect(usageError(['repro'])).toMatch(/needs a replay file or --seed/);
    expect(usageError(['repro', '--path', '1'])).toMatch(/needs a replay file or --seed/);
    expect(usageError(['repro', 'a.json', 'b.json'])).toMatch(/takes one replay file/);
    expect(usageError(['repro', 'a.json', '--seed', '1'])).toMatch(/takes no options/);
    expect(usageError(['repro', '--seed', '1', '--path', '2', '--runs', '3'])).toBe(
      'give --path or --runs, not both',
    );
  });

  it('accepts decimal seeds only', () => {
    expect(parseCommandLine(['run', '--seed', '0'])).toMatchObject({ seed: 0 });
    expect(parseCommandLine(['run', '--seed', '-2147483648'])).toMatchObject({ seed: -2147483648 });
    for (const bad of ['0x10', '1.5', '1e3', ' 1', 'seed', '99999999999999999']) {
      expect(usageError(['run', '--seed', bad])).toMatch(/^--seed /);
    }
  });
});

describe('option values', () => {
  it('parses durations with units, a bare number being seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    for (const bad of ['', '0s', '1.5s', '1d', '-5s', 's', '10 s'])
      expect(() => parseDuration(bad)).toThrow(UsageError);
  });

  it('parses runs as positive whole numbers', () => {
    expect(parseRuns('1')).toBe(1);
    expect(parseRuns('250000')).toBe(250_000);
    for (const bad of ['0', '-1', '1.0', '1e3', 'many']) expect(() => parseRuns(bad)).toThrow(UsageError);
  });

  it('parses fast-check paths', () => {
    expect(parsePath('7')).toBe('7');
    expect(parsePath('12:0:3')).toBe('12:0:3');
    for (const bad of ['', ':1', '1:', '1::2', 'a:b', '1,2'])
      expect(() => parsePath(bad)).toThrow(UsageError);
  });
});
