import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UsageError } from './commands/args.ts';
import { splitWorkers } from './commands/workers.ts';

function cli(args: readonly string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('diocheck run --workers', () => {
  it('splits --workers, --json and --junit from the rest of the command line', () => {
    expect(splitWorkers(['--workers', '3', '--runs', '10', '--json', 'a.json'])).toEqual({
      workers: 3,
      rest: ['--runs', '10'],
      json: 'a.json',
      junit: null,
    });
    expect(() => splitWorkers(['--workers', '0'])).toThrow(UsageError);
    expect(() => splitWorkers(['--workers', '2', '--shard', '1/2'])).toThrow(UsageError);
  });

  it('runs the shards of one campaign in parallel and merges them into the unsharded counts', () => {
    const merged = cli(['run', '--workers', '2', '--runs', '200', '--seed', '9']);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toMatch(/runs\s+200\b/);
    const single = cli(['run', '--runs', '200', '--seed', '9']);
    const passes = (s: string) => s.match(/passes\s+(\d+)/)?.[1];
    expect(passes(merged.stdout)).toBe(passes(single.stdout));
  }, 60_000);

  it('refuses a bad worker count with one line and exit 2', () => {
    const r = cli(['run', '--workers', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^diocheck: /);
  });
});
