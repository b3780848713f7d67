/**
 * scriptArgsOrExit (scripts/scriptOptions.ts), the command line of the oracle's scripts: --help
 * prints the usage and exits 0; a mistake is one line `NAME: message` and exit 2, before anything
 * runs (no kernel is needed to see either).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPTS = ['oracle/oracle', 'oracle/journalAbort', 'oracle/btrfsDsync'] as const;

function run(script: string, args: string[]) {
  return spawnSync('npx', ['tsx', `scripts/${script}.ts`, ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('the oracle scripts read their command line through scriptArgsOrExit', () => {
  it.each(SCRIPTS)(
    '%s: --help is the usage, a bad flag one line and exit 2',
    (script) => {
      const help = run(script, ['--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^usage: /);
      const bad = run(script, ['--bogus']);
      expect(bad.status).toBe(2);
      const name = script.split('/')[1];
      expect(bad.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(new RegExp(`^${name}: unknown option '--bogus'`)),
      ]);
    },
    60_000,
  );
});
