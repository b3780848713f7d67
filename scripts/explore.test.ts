/**
 * `diocheck explore`, end to end: each case spawns `node --import tsx scripts/cli.ts explore ...`
 * and checks the exit status and what was printed. The walks are the small ones (a standard scope
 * of a few hundred paths, a planted bug found on its first paths), so the file stays within seconds.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Scenario } from '../model/world/scenario.ts';
import { type Spawned, spawnCli, spawnCliAll } from './spawnCli.ts';

const TMP = mkdtempSync(join(tmpdir(), 'diocheck-explore-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const cli = (args: readonly string[], command = 'explore'): Promise<Spawned> => spawnCli([command, ...args]);
const cliAll = (list: ReadonlyArray<readonly string[]>, parallel = 3): Promise<Spawned[]> =>
  spawnCliAll(list, (args) => cli(args), parallel);

/** One 4 KiB direct read of written data: a handful of paths. */
const SMALL: Scenario = {
  device: { logicalBlockSize: 512, fua: false, writeCache: true, sectors: 512 },
  fs: {
    model: 'xfs',
    blockSize: 4096,
    iSize: 4096,
    extents: [{ offset: 0, length: 4096, type: 'mapped', addr: 65536 }],
  },
  bioMaxVecs: 1,
  threads: [[{ kind: 'dio_read', pos: 0, len: 4096 }]],
};

describe('diocheck explore', () => {
  it('explores a standard scope to completion: exit 0, counts on one line, --json summary', async () => {
    const json = join(TMP, 'scope.json');
    const r = await cli(['--scenario', 'dsync-unwritten-crash', '--json', json]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^dsync-unwritten-crash: \d+ paths \(\d+ run to the end, \d+ pruned at a revisited state, \d+ cut by sleep sets\), \d+ states, [\d.]+ s, complete: no violation$/m,
    );
    const summary = JSON.parse(readFileSync(json, 'utf8')) as {
      format: string;
      walks: Array<{ name: string; complete: boolean; paths: number; states: number; violations: object }>;
    };
    expect(summary.format).toBe('diocheck-explore');
    expect(summary.walks).toHaveLength(1);
    expect(summary.walks[0]).toMatchObject({ name: 'dsync-unwritten-crash', complete: true, violations: {} });
    expect(summary.walks[0]?.paths).toBeGreaterThan(0);
    expect(summary.walks[0]?.states).toBeGreaterThan(0);
  });

  it('finds a planted bug: exit 1, the shortest path saved as a replay file that repro reads', async () => {
    const out = join(TMP, 'cx');
    const r = await cli(['--bug', 'errors-reported-as-eio', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}ERR-03: \d+ path\(s\); shortest 1 choices: ERR-03 in task1/m);
    const file = join(out, 'explore-bug-errors-reported-as-eio-ERR-03.json');
    expect(r.stdout).toContain(`saved to ${file}`);
    expect(existsSync(file)).toBe(true);
    const replay = JSON.parse(readFileSync(file, 'utf8')) as {
      format: string;
      invariant: string;
      note: string;
    };
    expect(replay).toMatchObject({ format: 'diocheck-replay', invariant: 'ERR-03' });
    expect(replay.note).toContain('planted bug errors-reported-as-eio');
    // The file carries the planted bug, so repro shows the violation the walk found.
    expect(replay).toMatchObject({ bug: 'errors-reported-as-eio' });
    const repro = await cli([file], 'repro');
    expect(repro.stderr).toBe('');
    expect(repro.code).toBe(1);
    expect(repro.stdout).toContain('recorded: ERR-03');
    expect(repro.stdout).toMatch(/^VIOLATED {2}ERR-03 /m);
  });

  it('explores a scenario file, with --crash, and stops at --max-states (exit 1, never a pass)', async () => {
    const file = join(TMP, 'small.json');
    writeFileSync(file, JSON.stringify(SMALL));
    const [plain, crash, capped] = await cliAll([
      ['--scenario', file, '--max-faults', '0'],
      ['--scenario', file, '--max-faults', '0', '--crash'],
      ['--scenario', 'two-async-writes', '--max-states', '5'],
    ]);
    expect(plain?.code).toBe(0);
    expect(plain?.stdout).toContain(`${file}: `);
    expect(crash?.code).toBe(0);
    const paths = (s: Spawned | undefined): number => Number(/: (\d+) paths/.exec(s?.stdout ?? '')?.[1]);
    expect(paths(crash)).toBeGreaterThan(paths(plain));
    expect(capped?.code).toBe(1);
    expect(capped?.stdout).toContain('stopped (states): no violation so far');
  });

  it('explores a replay file on the kernel it names, and saves that kernel in the counterexample', async () => {
    // Fails on the faithful seed (kernel: seed) and passes on the correct model.
    const seedFile = 'properties/regressions/seed-read-error-end-io-in-irq.json';
    const out = join(TMP, 'kernel');
    const r = await cli(['--scenario', seedFile, '--max-faults', '1', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${seedFile} (kernel seed): `);
    expect(r.stdout).toMatch(/^ {2}CTX-01: \d+ path\(s\)/m);
    const saved = /saved to (\S+)/.exec(r.stdout)?.[1] ?? '';
    const replay = JSON.parse(readFileSync(saved, 'utf8')) as { kernel?: string; invariant: string };
    expect(replay).toMatchObject({ kernel: 'seed', invariant: 'CTX-01' });
  });

  it('prints its usage with --help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('diocheck explore [--scenario NAME|FILE]');
    expect(r.stdout).toContain('overwrite-two-bios');
  });

  it('rejects bad input with one line on stderr and exit 2', async () => {
    const notJson = join(TMP, 'not.json');
    writeFileSync(notJson, '{ nope');
    const badScenario = join(TMP, 'bad.json');
    writeFileSync(badScenario, JSON.stringify({ ...SMALL, bioMaxVecs: 0 }));
    const cases: Array<[readonly string[], RegExp]> = [
      [['--bogus'], /^diocheck: unknown option '--bogus' for 'explore'/],
      [['two-writers'], /^diocheck: 'explore' takes no arguments, got 'two-writers'/],
      [['--max-faults', 'x'], /^diocheck: --max-faults must be a whole number from 0 to 8, not 'x'$/],
      [['--max-faults', '9'], /^diocheck: --max-faults must be a whole number from 0 to 8/],
      [['--max-states', '0'], /^diocheck: --max-states must be a whole number from 1/],
      [['--bug', 'no-such-bug'], /^diocheck: no planted bug named 'no-such-bug'/],
      [['--scenario', 'no-such-scope'], /^diocheck: --scenario 'no-such-scope' is neither a standard scope/],
      [['--scenario', notJson], /^diocheck: scenario file .* is not JSON/],
      [
        ['--scenario', badScenario],
        /^diocheck: scenario file .*: scenario\.bioMaxVecs must be an integer >= 1$/,
      ],
      [['--scenario', TMP], /^diocheck: cannot read scenario file .*: is a directory$/],
      [['--crash=yes'], /^diocheck: option '--crash' takes no value$/],
      [['--json'], /^diocheck: option '--json' needs a value$/],
      [['--bug', 'a', '--bug', 'b'], /^diocheck: option '--bug' given twice$/],
      [['-x'], /^diocheck: unknown option '-x' for 'explore'/],
    ];
    const results = await cliAll(cases.map(([args]) => args));
    cases.forEach(([args, pattern], i) => {
      const r = results[i];
      expect(r?.code, args.join(' ')).toBe(2);
      expect(r?.stdout, args.join(' ')).toBe('');
      const lines = (r?.stderr ?? '').trimEnd().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0], args.join(' ')).toMatch(pattern);
    });
  });
});
