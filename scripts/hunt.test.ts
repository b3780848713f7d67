/**
 * `diocheck hunt`: the hunt of a bug or two passes and replays, bad input is one line and exit 2,
 * and the comparison with the recorded history flags a bug that got more than twice as slow to
 * detect. Mostly in process (the hunt of one bug from three seeds takes milliseconds); the exit
 * status of bad input is checked end to end, through scripts/cli.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BUGS } from '../model/bugs/catalogue.ts';
import { UsageError } from './commands/args.ts';
import {
  type BugHunt,
  compareWithHistory,
  DEFAULT_HUNT_BUDGET,
  DEFAULT_HUNT_SEEDS,
  HISTORY_FILE,
  type HuntHistory,
  huntBug,
  huntCommand,
  median,
  parseHuntArgs,
  readHistory,
  recordHistory,
} from './commands/hunt.ts';
import type { Output } from './commands/output.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), 'diocheck-hunt-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface Captured extends Output {
  readonly lines: string[];
  readonly errors: string[];
}

function capture(): Captured {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    line: (t) => lines.push(...t.split('\n')),
    err: (t) => errors.push(t),
    status: () => {},
    isTTY: false,
  };
}

const NOW = new Date('2026-01-02T03:04:05Z');
const FIRST = BUGS[0]?.name ?? '';
const SECOND = BUGS[1]?.name ?? '';

function historyFile(name: string, history: HuntHistory): string {
  const file = join(TMP, name);
  writeFileSync(file, JSON.stringify(history));
  return file;
}

describe('diocheck hunt', () => {
  it('hunts two bugs: caught by the invariants they name, a table row each, replay commands that replay', () => {
    const out = capture();
    const json = join(TMP, 'hunt.json');
    const absent = join(TMP, 'no-history.json');
    for (const name of [FIRST, SECOND]) {
      const code = huntCommand(
        ['--bug', name, '--seeds', '3', '--json', json, '--history', absent],
        out,
        NOW,
      );
      expect(code).toBe(0);
    }
    const rows = out.lines.filter((l) => l.startsWith(`${FIRST} `) || l.startsWith(`${SECOND} `));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/ ok$/);
    expect(out.lines).toContain(`history:  none at ${absent} (record one with --record)`);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { seeds: number; bugs: BugHunt[] };
    expect(report.seeds).toBe(3);
    const [bug] = report.bugs;
    expect(bug?.name).toBe(SECOND);
    expect(bug?.status).toBe('caught');
    expect(bug?.seeds.map((s) => s.seed)).toEqual(['1', '2', '3']);

    const replayLine = out.lines.find((l) => l.includes(`hunt --bug ${FIRST} --replay `)) ?? '';
    const runSeed = replayLine.split(' --replay ')[1] ?? '';
    expect(runSeed).toMatch(new RegExp(`^${FIRST}:\\d+:\\d+$`));
    const replayed = capture();
    expect(huntCommand(['--bug', FIRST, '--replay', runSeed], replayed)).toBe(1);
    const invariant = BUGS[0]?.invariant ?? '';
    expect(replayed.lines.some((l) => l.startsWith(`VIOLATED  ${invariant} `))).toBe(true);
    expect(replayed.lines.some((l) => /^timeline: \d+ events, \d+ steps$/.test(l))).toBe(true);
  });

  it('records the figures, and with --strict fails on a bug that got more than twice as slow', () => {
    const file = join(TMP, 'recorded.json');
    const name = 'set-error-plain-store';
    const out = capture();
    expect(huntCommand(['--bug', name, '--record', '--history', file], out, NOW)).toBe(0);
    const recorded = readHistory(file);
    const entry = recorded?.bugs[name];
    expect(recorded?.seeds).toBe(DEFAULT_HUNT_SEEDS);
    expect(entry?.date).toBe('2026-01-02');
    expect(entry?.medianRuns).toBeGreaterThan(1);

    const flat = historyFile('flat.json', {
      seeds: DEFAULT_HUNT_SEEDS,
      budget: DEFAULT_HUNT_BUDGET,
      bugs: { [name]: { date: '2025-12-31', medianRuns: 0.25, worstRuns: 1 } },
    });
    const warned = capture();
    expect(huntCommand(['--bug', name, '--history', flat], warned, NOW)).toBe(0);
    expect(warned.lines.some((l) => l.startsWith(`WARNING   ${name}: median `))).toBe(true);
    const strict = capture();
    expect(huntCommand(['--bug', name, '--history', flat, '--strict'], strict, NOW)).toBe(1);
    expect(strict.lines.some((l) => l.startsWith(`REGRESSED ${name}: `))).toBe(true);
  });

  it('refuses a history file by its first bad field, in one line', () => {
    const bad = historyFile('bad.json', {
      seeds: DEFAULT_HUNT_SEEDS,
      budget: DEFAULT_HUNT_BUDGET,
      bugs: { x: { date: '2025-12-31', medianRuns: 'fast', worstRuns: 1 } },
    } as unknown as HuntHistory);
    expect(() => readHistory(bad)).toThrow(UsageError);
    expect(() => readHistory(bad)).toThrow(
      `${bad}: not a hunt history: bugs.x.medianRuns must be a number >= 0`,
    );
  });

  it('keeps a recorded history of the default hunt in the repository', () => {
    const history = readHistory(join(ROOT, HISTORY_FILE));
    expect(history?.seeds).toBe(DEFAULT_HUNT_SEEDS);
    expect(history?.budget).toBe(DEFAULT_HUNT_BUDGET);
    expect(Object.keys(history?.bugs ?? {}).length).toBeGreaterThan(0);
  });
});

describe('the history comparison', () => {
  const history: HuntHistory = {
    seeds: 20,
    budget: 200,
    bugs: {
      steady: { date: '2026-01-01', medianRuns: 5, worstRuns: 20 },
      slower: { date: '2026-01-01', medianRuns: 5, worstRuns: 20 },
      twice: { date: '2026-01-01', medianRuns: 5, worstRuns: 20 },
      faster: { date: '2026-01-01', medianRuns: 40, worstRuns: 90 },
      quick: { date: '2026-01-01', medianRuns: 1, worstRuns: 1 },
    },
  };

  it('flags a median more than twice as bad, and nothing else', () => {
    const current = [
      { name: 'steady', medianRuns: 6 },
      { name: 'slower', medianRuns: 10.5 },
      { name: 'twice', medianRuns: 10 },
      { name: 'faster', medianRuns: 2 },
      { name: 'quick', medianRuns: 3 },
      { name: 'new-bug', medianRuns: 150 },
    ];
    expect(compareWithHistory(current, history)).toEqual([
      { name: 'slower', was: 5, now: 10.5, date: '2026-01-01' },
      { name: 'quick', was: 1, now: 3, date: '2026-01-01' },
    ]);
    expect(compareWithHistory(current, history, 3).map((r) => r.name)).toEqual([]);
  });

  it('records one bug into the history, keeping the others', () => {
    const first = BUGS[0];
    if (first === undefined) throw new Error('the catalogue is empty');
    const bug = huntBug(first, 3, 200);
    const next = recordHistory(history, [bug], 20, 200, '2026-02-03', false);
    expect(next.bugs.steady).toEqual(history.bugs.steady);
    expect(next.bugs[bug.name]).toEqual({
      date: '2026-02-03',
      medianRuns: bug.medianRuns,
      worstRuns: bug.worstRuns,
    });
    const whole = recordHistory(history, [bug], 20, 200, '2026-02-03', true);
    expect(Object.keys(whole.bugs)).toEqual([bug.name]);
  });

  it('keeps the sections of the history file that other tools write, such as generalCampaign', () => {
    const withBench = { ...history, generalCampaign: { budget: 20000, bugs: { steady: 11 } } };
    const first = BUGS[0];
    if (first === undefined) throw new Error('the catalogue is empty');
    for (const whole of [false, true]) {
      const next = recordHistory(withBench, [huntBug(first, 3, 200)], 20, 200, '2026-02-03', whole);
      expect(next.generalCampaign).toEqual(withBench.generalCampaign);
    }
  });

  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe('bad input', () => {
  const usage = (args: string[]): string => {
    try {
      parseHuntArgs(args);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    return 'accepted';
  };

  it('rejects each mistake with one line', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--bug', 'no-such-bug'], /^no planted bug named 'no-such-bug'/],
      [['--seeds', '0'], /^--seeds must be a whole number from 1 to 1000, not '0'$/],
      [['--seeds', '2.5'], /^--seeds must be a whole number/],
      [['--budget', '-3'], /^option '--budget' needs a value$|^--budget must be/],
      [['--budget', 'lots'], /^--budget must be a whole number from 1 to 1000000, not 'lots'$/],
      [['--seeds'], /^option '--seeds' needs a value$/],
      [['--record=yes'], /^option '--record' takes no value$/],
      [['--frobnicate'], /^unknown option '--frobnicate' for 'hunt'/],
      [['extra'], /^'hunt' takes no arguments, got 'extra'$/],
      [['--replay', 'x:1:0'], /needs --bug NAME$/],
      [['--bug', FIRST, '--replay', 'x', '--seeds', '3'], /takes only --bug/],
      [['--record', '--seeds', '3'], /^--record keeps the figures of the default hunt/],
      [['--seeds', '3', '--seeds', '4'], /^option '--seeds' given twice$/],
    ];
    for (const [args, message] of cases) {
      const text = usage(args);
      expect(text, args.join(' ')).toMatch(message);
      expect(text).not.toContain('\n');
    }
  });

  it('exits 2 with one line on stderr from the command line', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', 'scripts/cli.ts', 'hunt', ...args],
          { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
          (error, stdout, stderr) => {
            const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
            resolve({ code, stdout, stderr });
          },
        );
      });
    const results = await Promise.all([run(['--bug', 'no-such-bug']), run(['--seeds', 'many'])]);
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^diocheck: /);
    }
  });
});
