/** The argument parser of the diocheck command line. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OUT_DIR,
  parseCommandLine,
  parseDuration,
  parsePath,
  parseRegressionName,
  parseRuns,
  parseShard,
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
      profile: null,
      shard: null,
      junit: null,
      coverage: false,
      annotate: null,
      kernel: null,
      stopAtFirst: false,
      maxFindings: null,
      baseline: 'properties/regressions',
    });
  });

  it('reads the triage options of run', () => {
    expect(parseCommandLine(['run', '--stop-at-first'])).toMatchObject({
      stopAtFirst: true,
      maxFindings: null,
    });
    expect(parseCommandLine(['run', '--max-findings', '3', '--baseline=b'])).toMatchObject({
      stopAtFirst: false,
      maxFindings: 3,
      baseline: 'b',
    });
    expect(usageError(['run', '--max-findings', '0'])).toBe(
      "--max-findings must be a positive whole number, not '0'",
    );
    expect(usageError(['run', '--max-findings', 'x'])).toBe(
      "--max-findings must be a positive whole number, not 'x'",
    );
    expect(usageError(['run', '--stop-at-first', '--max-findings', '2'])).toBe(
      'give --max-findings or --stop-at-first, not both',
    );
    expect(usageError(['run', '--stop-at-first=1'])).toBe("option '--stop-at-first' takes no value");
  });

  it('reads every run option, spaced or with =', () => {
    expect(parseCommandLine(['run', '--runs', '20', '--seed=-7', '--json', 'x.json', '--out=cx'])).toEqual({
      kind: 'run',
      runs: 20,
      timeMs: null,
      seed: -7,
      json: 'x.json',
      out: 'cx',
      profile: null,
      shard: null,
      junit: null,
      coverage: false,
      annotate: null,
      kernel: null,
      stopAtFirst: false,
      maxFindings: null,
      baseline: 'properties/regressions',
    });
    expect(parseCommandLine(['run', '--time', '2m'])).toMatchObject({ runs: null, timeMs: 120_000 });
  });

  it('reads repro with a seed and path, a seed alone, or a file', () => {
    expect(parseCommandLine(['repro', '--seed', '12', '--path', '3:0:1'])).toEqual({
      kind: 'repro-seed',
      seed: 12,
      path: '3:0:1',
      runs: null,
      kernel: null,
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
    expect(usageError(['frob'])).toBe(
      "unknown command 'frob' (commands: run, repro, explain, promote, merge, export, hunt, explore, diff, confirm, help)",
    );
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

  it('reads --kernel seed|<release>|6.12 on run and on repro --seed, and rejects any other value', () => {
    expect(parseCommandLine(['run', '--kernel', 'seed'])).toMatchObject({ kind: 'run', kernel: 'seed' });
    // The alias names the newest release: what is run, reported and recorded is the exact release.
    expect(parseCommandLine(['run', '--kernel=6.12', '--runs', '5'])).toMatchObject({
      kernel: '6.12.118',
      runs: 5,
    });
    for (const r of ['6.12.107', '6.12.111', '6.12.113', '6.12.115', '6.12.117', '6.12.118'])
      expect(parseCommandLine(['run', '--kernel', r])).toMatchObject({ kernel: r });
    expect(parseCommandLine(['repro', '--seed', '3', '--path', '1:2', '--kernel', 'seed'])).toEqual({
      kind: 'repro-seed',
      seed: 3,
      path: '1:2',
      runs: null,
      kernel: 'seed',
    });
    expect(parseCommandLine(['repro', '--seed', '3', '--kernel=6.12.117'])).toMatchObject({
      path: null,
      kernel: '6.12.117',
    });
    const one =
      '--kernel must be one of seed, 6.12.107, 6.12.111, 6.12.113, 6.12.115, 6.12.117, 6.12.118, 6.12 (= 6.12.118)';
    for (const bad of ['6.1', 'Seed', 'correct', 'fixed', '6.12 ', '6.12.116', '6.12.1170'])
      expect(usageError(['run', '--kernel', bad])).toBe(`${one}, not '${bad}'`);
    expect(usageError(['repro', '--seed', '3', '--path', '1', '--kernel', 'linus'])).toBe(
      `${one}, not 'linus'`,
    );
    expect(usageError(['run', '--kernel'])).toBe("option '--kernel' needs a value");
    expect(usageError(['run', '--kernel', 'seed', '--kernel=6.12'])).toBe("option '--kernel' given twice");
    expect(usageError(['repro', 'x.json', '--kernel', 'seed'])).toBe(
      "'repro FILE' takes no --kernel: a replay file names its own kernel",
    );
    expect(usageError(['explain', 'x.json', '--kernel', 'seed'])).toMatch(/^unknown option '--kernel'/);
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

describe('the commands added with the regression corpus', () => {
  it('reads run --profile, --shard, --junit, --coverage and --annotate', () => {
    expect(
      parseCommandLine([
        'run',
        '--profile',
        'swarm',
        '--shard=2/4',
        '--junit',
        'j.xml',
        '--coverage',
        '--annotate',
        'direct-io.c',
      ]),
    ).toMatchObject({
      profile: 'swarm',
      shard: { index: 2, count: 4 },
      junit: 'j.xml',
      coverage: true,
      annotate: 'direct-io.c',
    });
    expect(usageError(['run', '--profile', 'slow'])).toBe(
      "--profile must be one of fast, soak, swarm, not 'slow'",
    );
    expect(usageError(['run', '--coverage=yes'])).toBe("option '--coverage' takes no value");
    expect(usageError(['run', '--coverage', '--coverage'])).toBe("option '--coverage' given twice");
  });

  it('parses shards i/n counted from 1', () => {
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    expect(parseShard('3/8')).toEqual({ index: 3, count: 8 });
    expect(() => parseShard('0/4')).toThrow(/shards count from 1/);
    expect(() => parseShard('5/4')).toThrow(/between 1 and 4/);
    for (const bad of ['', '1', '1/', '/2', 'a/b', '1/0', '1/2/3', '-1/2', '1.0/2', '1/1001'])
      expect(() => parseShard(bad)).toThrow(UsageError);
  });

  it('reads explain, promote, merge and export', () => {
    expect(parseCommandLine(['explain', 'x.json'])).toEqual({ kind: 'explain', file: 'x.json', html: null });
    expect(parseCommandLine(['explain', 'x.json', '--html', 'o.html'])).toMatchObject({ html: 'o.html' });
    expect(parseCommandLine(['promote', 'x.json', '--name', 'a-b.c_d.json', '--expect', 'pass'])).toEqual({
      kind: 'promote',
      file: 'x.json',
      name: 'a-b.c_d',
      note: null,
      expect: 'pass',
      dir: 'properties/regressions',
    });
    expect(parseCommandLine(['merge', 'a.json', 'b.json', '--json', 'm.json'])).toEqual({
      kind: 'merge',
      files: ['a.json', 'b.json'],
      json: 'm.json',
      junit: null,
    });
    expect(parseCommandLine(['export', '--xfs-io', 'x.json', '--out', 'x.sh'])).toEqual({
      kind: 'export',
      format: 'xfs-io',
      file: 'x.json',
      out: 'x.sh',
    });
  });

  it('rejects their bad input with one line', () => {
    expect(usageError(['explain'])).toBe("'explain' needs a replay file");
    expect(usageError(['explain', 'a.json', 'b.json'])).toBe("'explain' takes one replay file, got 2");
    expect(usageError(['explain', 'a.json', '--htm', 'x'])).toMatch(/^unknown option '--htm' for 'explain'/);
    expect(usageError(['promote', 'a.json'])).toBe("'promote' needs --name NAME");
    expect(usageError(['promote', 'a.json', '--name', '../x'])).toMatch(/^--name must be/);
    expect(usageError(['promote', 'a.json', '--name', 'x', '--expect', 'fail'])).toMatch(
      /^--expect must be one of pass, violation/,
    );
    expect(usageError(['merge'])).toMatch(/^'merge' needs the JSON reports/);
    expect(usageError(['export', 'x.json'])).toBe("'export' takes no arguments, got 'x.json'");
    expect(usageError(['export'])).toMatch(/^'export' needs --xfs-io FILE/);
    expect(usageError(['export', '--xfs-io'])).toBe("option '--xfs-io' needs a value");
  });

  it('accepts regression names that are plain file names', () => {
    expect(parseRegressionName('dsync-write_1.v2')).toBe('dsync-write_1.v2');
    for (const bad of ['', '.hidden', 'a/b', 'a b', '-x', 'x'.repeat(81), 'ä'])
      expect(() => parseRegressionName(bad)).toThrow(UsageError);
  });
});
