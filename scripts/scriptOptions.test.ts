/**
 * scriptArgsOrExit (scripts/scriptOptions.ts), the command line of the oracle's scripts: --help
 * prints the usage and exits 0; a mistake is one line `NAME: message` and exit 2, before anything
 * runs (no kernel is needed to see either). And wholeNumberOption, the bench scripts' counts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { wholeNumberOption } from './scriptOptions.ts';

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

describe('wholeNumberOption', () => {
  class ToolUsageError extends Error {}
  it('takes a whole number of at least the minimum, the fallback when absent, and refuses the rest as the script does', () => {
    expect(wholeNumberOption('tool', 'cases', '40', 7, ToolUsageError)).toBe(40);
    expect(wholeNumberOption('tool', 'cases', undefined, 7, ToolUsageError)).toBe(7);
    expect(wholeNumberOption('tool', 'cases', '0', 7, ToolUsageError)).toBe(0);
    expect(() => wholeNumberOption('tool', 'cases', '0', 7, ToolUsageError, 1)).toThrow(
      new ToolUsageError("tool: --cases must be a whole number of at least 1, not '0'"),
    );
    for (const bad of ['many', '-1', '1.5', '', '1234567890'])
      expect(() => wholeNumberOption('tool', 'cases', bad, 7, ToolUsageError)).toThrow(
        new ToolUsageError(`tool: --cases must be a whole number, not '${bad}'`),
      );
  });
});
