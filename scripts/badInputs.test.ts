/**
 * Bad input is one `diocheck: ` line and exit 2 (a replay that is not the recorded run: exit 3),
 * never a stack trace and never a silent run of something else. First the seven inputs that once
 * misbehaved, end to end; then properties that fuzz the command line and replay files in process:
 * every parser either returns a command or throws a one-line UsageError, and every replay file
 * either is refused with one line or replays (or stops as diverged).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ReplayDivergence } from '../model/runtime/choice.ts';
import { parseReplayFile, replayRun } from '../properties/replay/replayFile.ts';
import { currentBudget } from '../properties/support/budget.ts';
import { type Command, parseCommandLine, SEED_MAX, SEED_MIN, UsageError } from './commands/args.ts';
import { parseDiffArgs } from './commands/diff.ts';
import { parseExploreArgs } from './commands/explore.ts';
import { parseHuntArgs } from './commands/hunt.ts';
import { splitWorkers } from './commands/workers.ts';
import { spawnCliAll } from './spawnCli.ts';

const TMP = mkdtempSync(join(tmpdir(), 'diocheck-bad-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const VIOLATING = 'properties/regressions/seed-read-error-end-io-in-irq.json';
const BUG = 'set-error-plain-store';
/** A path no file system lets even root write (sysfs refuses new files). */
const UNWRITABLE = '/sys/diocheck-test';

function variant(name: string, edit: (json: Record<string, unknown>) => void): string {
  const json = JSON.parse(readFileSync(VIOLATING, 'utf8')) as Record<string, unknown>;
  edit(json);
  const file = join(TMP, name);
  writeFileSync(file, JSON.stringify(json));
  return file;
}

/** stderr is one `diocheck: ` line (after any warnings the command printed before it). */
function oneLine(stderr: string): string[] {
  const lines = stderr.trim().split('\n');
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines;
}

describe('the seven bad inputs', () => {
  const unknownInvariant = variant('unknown-invariant.json', (j) => {
    j.invariant = 'NOPE-01';
  });
  const extraChoice = variant('extra-choice.json', (j) => {
    (j.choices as unknown[]).push({ label: 'bio_status', n: 5, value: 0 });
  });
  const cases: ReadonlyArray<{ args: string[]; code: number; err: RegExp }> = [
    {
      args: ['run', '--seed', '4294967296', '--runs', '5'],
      code: 2,
      err: /^diocheck: --seed must be between -2147483648 and 2147483647 \(a 32-bit integer\), not '4294967296'$/,
    },
    {
      args: ['repro', '--seed', '11', '--path', '0:999999:999999:99999'],
      code: 2,
      err: /^diocheck: --path 0:999999:999999:99999 is not a path of seed 11's campaign/,
    },
    {
      args: ['repro', unknownInvariant],
      code: 2,
      err: /^diocheck: replay file .*: invariant "NOPE-01" is not an invariant ID/,
    },
    {
      args: ['repro', extraChoice],
      code: 3,
      err: /^diocheck: replay diverged at choice \d+: the run ended, the recording goes on with bio_status\/5 \(1 choice\(s\) left\)/,
    },
    {
      args: ['run', '--runs', '5', '--seed', '1', '--junit', `${UNWRITABLE}.xml`],
      code: 2,
      err: /^diocheck: cannot write \/sys\/diocheck-test\.xml: /,
    },
    {
      args: ['run', '--runs', '5', '--seed', '1', '--annotate', VIOLATING, '--out', UNWRITABLE],
      code: 2,
      err: /^diocheck: cannot write \/sys\/diocheck-test\/[^ ]+\.gcov: /,
    },
    {
      args: ['hunt', '--bug', BUG, '--seeds', '1', '--json', `${UNWRITABLE}.json`],
      code: 2,
      err: /^diocheck: cannot write \/sys\/diocheck-test\.json: /,
    },
    {
      args: ['hunt', '--bug', BUG, '--replay', 'garbage'],
      code: 2,
      err: /^diocheck: --replay takes a run seed the hunt printed, set-error-plain-store:SEED:RUN/,
    },
  ];

  it('each gives one diocheck: line and exit 2, or a divergence and exit 3', async () => {
    const results = await spawnCliAll(cases.map((c) => c.args));
    results.forEach((r, i) => {
      const c = cases[i] as (typeof cases)[number];
      const lines = oneLine(r.stderr).filter((l) => !l.includes('warning'));
      expect({ args: c.args.join(' '), code: r.code, lines: lines.length }).toEqual({
        args: c.args.join(' '),
        code: c.code,
        lines: 1,
      });
      expect(lines[0]).toMatch(c.err);
    });
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// Fuzzing.

/** Command lines that parse, which the fuzzer then breaks. */
const VALID: ReadonlyArray<readonly string[]> = [
  ['run', '--runs', '20', '--seed', '5', '--kernel', '6.12.117'],
  ['run', '--time', '2s', '--shard', '1/2', '--json', 'out/a.json', '--max-findings', '3'],
  ['run', '--workers', '2', '--runs', '10'],
  ['repro', '--seed', '11', '--path', '4:1'],
  ['repro', VIOLATING],
  ['explain', VIOLATING, '--html', 'out/x.html'],
  ['promote', VIOLATING, '--name', 'x', '--expect', 'pass'],
  ['merge', 'a.json', 'b.json', '--json', 'out/m.json'],
  ['export', '--xfs-io', VIOLATING, '--out', 'out/x.sh'],
  ['hunt', '--bug', BUG, '--seeds', '2', '--budget', '10'],
  ['hunt', '--bug', BUG, '--replay', `${BUG}:1:0`],
  ['explore', '--scenario', 'two-async-writes', '--max-faults', '1', '--max-states', '10'],
  ['diff', '--kernel', 'seed', '--kernel', '6.12.118', '--runs', '10', '--seed', '1'],
];

/** Tokens a user might mistype: option names, odd numbers, empty and strange text. */
const JUNK = fc.oneof(
  fc.constantFrom(
    '',
    '-',
    '--',
    '---',
    '-x',
    '--runs',
    '--seed',
    '--path',
    '--kernel',
    '--time',
    '--shard',
    '--json',
    '--workers',
    '--bug',
    '--replay',
    '--help',
    '--runs=',
    '--seed=1',
    '0',
    '-1',
    '1e9',
    'NaN',
    'Infinity',
    '0x10',
    '4294967296',
    '-2147483649',
    '2147483647',
    '99999999999999999999',
    '1:2:x',
    '::',
    '1/0',
    '0/1',
    '6.12',
    '6.12.999',
    '5m',
    '0ms',
    '8d',
    'help',
    'run',
  ),
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
);

type Edit = { kind: 'insert' | 'replace' | 'delete'; at: number; token: string };
const EDIT: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('insert', 'replace', 'delete'),
  at: fc.nat(12),
  token: JUNK,
});

function applyEdits(argv: readonly string[], edits: readonly Edit[]): string[] {
  const out = [...argv];
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    if (e.kind === 'insert') out.splice(at, 0, e.token);
    else if (e.kind === 'replace' && at < out.length) out[at] = e.token;
    else if (e.kind === 'delete' && at < out.length && out.length > 1) out.splice(at, 1);
  }
  return out;
}

/** The parse step of cli.ts for one command line (no command is run). */
function parse(argv: readonly string[]): unknown {
  const rest = argv.slice(1);
  if (argv[0] === 'hunt' && !argv.includes('--help')) return parseHuntArgs(rest);
  if (argv[0] === 'explore') return parseExploreArgs(rest);
  if (argv[0] === 'diff' && !argv.includes('--help')) return parseDiffArgs(rest);
  if (argv[0] === 'run' && argv.includes('--workers')) {
    const split = splitWorkers(rest);
    return parseCommandLine(['run', ...split.rest]);
  }
  return parseCommandLine(argv);
}

function seedOf(parsed: unknown): number | null {
  const seed = (parsed as { seed?: unknown }).seed;
  return typeof seed === 'number' ? seed : null;
}

/** The forms of a refused replay file's message (scripts/schema/fields.ts firstProblem). */
const REFUSAL =
  /^replay file fuzz\.json( is not JSON: .+|: (the file|[\w.[\]]+) (must be .+|is not a known field|.+ is not supported \(this diocheck reads \d+\)|".*" is not (an invariant ID|a planted bug) .+))$/;

describe('fuzzing', () => {
  const runs = Math.min(currentBudget().propertyRuns, 500);

  it('every broken command line parses or is one UsageError line; seeds are 32-bit', () => {
    const seen = { parsed: 0, refused: 0 };
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        fc.array(EDIT, { minLength: 1, maxLength: 4 }),
        (valid, edits) => {
          const argv = applyEdits(valid, edits);
          let parsed: unknown;
          try {
            parsed = parse(argv);
          } catch (e) {
            if (!(e instanceof UsageError))
              throw new Error(`${JSON.stringify(argv)}: not a UsageError: ${e}`);
            expect(e.message.trim()).not.toBe('');
            expect(e.message).not.toContain('\n');
            seen.refused++;
            return;
          }
          seen.parsed++;
          const seed = seedOf(parsed);
          if (seed !== null) expect(seed >= SEED_MIN && seed <= SEED_MAX).toBe(true);
          expect((parsed as Command).kind ?? 'parsed').toBeTruthy();
        },
      ),
      { numRuns: runs * 5 },
    );
    // Not vacuous: the edits break command lines, and leave some that still parse.
    expect(seen.refused).toBeGreaterThan(runs);
    expect(seen.parsed).toBeGreaterThan(0);
  });

  const original = JSON.parse(readFileSync(VIOLATING, 'utf8')) as Record<string, unknown>;
  const KEYS = [...Object.keys(original), 'extra'];
  const fileEdit = fc.oneof(
    fc.record({
      kind: fc.constant('set' as const),
      key: fc.constantFrom(...KEYS),
      value: fc.jsonValue({ maxDepth: 2 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...KEYS) }),
    fc.record({
      kind: fc.constant('choice' as const),
      at: fc.nat(40),
      value: fc.oneof(fc.integer({ min: -2, max: 9 }), fc.constant(null), fc.string({ maxLength: 3 })),
      field: fc.constantFrom('label', 'n', 'value'),
    }),
    fc.record({ kind: fc.constant('drop-choice' as const), at: fc.nat(40) }),
    fc.record({ kind: fc.constant('add-choice' as const), n: fc.integer({ min: 2, max: 6 }) }),
    fc.record({
      kind: fc.constant('scenario' as const),
      path: fc.constantFrom('device', 'fs', 'threads', 'bioMaxVecs'),
      value: fc.jsonValue({ maxDepth: 2 }),
    }),
  );

  it('every broken replay file is refused with one line, or replays, or stops as diverged', () => {
    const seen = { refused: 0, replayed: 0, diverged: 0 };
    fc.assert(
      fc.property(fc.array(fileEdit, { minLength: 1, maxLength: 3 }), (edits) => {
        const json = structuredClone(original) as Record<string, unknown>;
        for (const e of edits) {
          const choices = json.choices as Array<Record<string, unknown>> | undefined;
          if (e.kind === 'set') json[e.key] = e.value;
          else if (e.kind === 'delete') delete json[e.key];
          else if (e.kind === 'choice' && Array.isArray(choices) && choices.length > 0) {
            const c = choices[e.at % choices.length];
            if (c !== null && typeof c === 'object') c[e.field] = e.value;
          } else if (e.kind === 'drop-choice' && Array.isArray(choices) && choices.length > 0)
            choices.splice(e.at % choices.length, 1);
          else if (e.kind === 'add-choice' && Array.isArray(choices))
            choices.push({ label: 'bio_status', n: e.n, value: 0 });
          else if (e.kind === 'scenario' && typeof json.scenario === 'object' && json.scenario !== null)
            (json.scenario as Record<string, unknown>)[e.path] = e.value;
        }
        let file: ReturnType<typeof parseReplayFile>;
        try {
          file = parseReplayFile(JSON.stringify(json), 'fuzz.json');
        } catch (e) {
          expect((e as Error).message).toMatch(/^replay file fuzz\.json[: ]/);
          expect((e as Error).message).not.toContain('\n');
          // Through the schema, too, each refusal names a field and what it must be (never the
          // schema library's own words).
          expect((e as Error).message).toMatch(REFUSAL);
          seen.refused++;
          return;
        }
        try {
          replayRun(file);
          seen.replayed++;
        } catch (e) {
          if (!(e instanceof ReplayDivergence)) throw e;
          seen.diverged++;
        }
      }),
      { numRuns: runs },
    );
    expect(seen.refused).toBeGreaterThan(0);
    expect(seen.diverged).toBeGreaterThan(0);
    expect(seen.replayed).toBeGreaterThan(0);
  });
});
