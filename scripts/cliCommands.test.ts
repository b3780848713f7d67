/**
 * The commands added with the regression corpus, end to end: each case spawns
 * `node --import tsx scripts/cli.ts` and checks the exit status and what was printed, above all
 * that every bad input is one `diocheck: ` line on stderr and exit 2. The spawns run four at a time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Spawned, spawnCli, spawnCliAll } from './spawnCli.ts';

const TMP = mkdtempSync(join(tmpdir(), 'diocheck-cli2-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const cli = (args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Spawned> => spawnCli(args, env);
const cliAll = (list: ReadonlyArray<readonly string[]>, parallel = 4): Promise<Spawned[]> =>
  spawnCliAll(list, spawnCli, parallel);

const VIOLATING = 'properties/regressions/seed-read-error-end-io-in-irq.json';
const missing = join(TMP, 'missing.json');
const notJson = join(TMP, 'not.json');
writeFileSync(notJson, '{"format": ');

describe('diocheck explain, promote, merge, export and run --shard, end to end', () => {
  // The parsing and the files of each command are checked in process (args.test.ts,
  // commands.test.ts); these spawns check that each command's bad input reaches the exit status.
  const cases: ReadonlyArray<readonly string[]> = [
    ['run', '--shard', '0/2'],
    ['run', '--runs', '5', '--annotate', missing],
    ['explain', notJson],
    ['promote', VIOLATING],
    ['merge', VIOLATING],
    ['export', '--xfs-io', missing],
  ];

  it('explains to an HTML page with exit 0, and answers bad input with exit 2 and one line', async () => {
    const html = join(TMP, 'ctx.html');
    const [explain, ...results] = await cliAll([['explain', VIOLATING, '--html', html], ...cases]);
    expect(explain?.code).toBe(0);
    expect(explain?.stdout).toContain('  MATTERS #0 bio_status=1/5  without it: passes');
    expect(readFileSync(html, 'utf8')).toContain('<h2>Causal core</h2>');
    results.forEach((r, i) => {
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      const what = `diocheck ${(cases[i] ?? []).join(' ')}`;
      expect(r.code, what).toBe(2);
      expect(lines, what).toHaveLength(1);
      expect(lines[0], what).toMatch(/^diocheck: /);
      expect(r.stdout, what).toBe('');
    });
  });

  it('takes a bad DIOSIM_TIER as bad input too', async () => {
    const r = await cli(['run', '--runs', '3'], { DIOSIM_TIER: 'slow' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("diocheck: DIOSIM_TIER must be 'fast' or 'soak', not 'slow'");
  });
});
