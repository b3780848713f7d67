/**
 * The bin (scripts/diocheck.mjs) under signals, pipes and logs: SIGINT and SIGTERM stop a
 * campaign with a partial summary and exit 130/143, with --workers too, and leave no process
 * behind; a reader that goes away (`| head -1`) ends the output quietly; progress lines come
 * every few seconds when stdout is not a terminal, added up over the workers.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProgress } from './commands/workers.ts';
import { ROOT } from './spawnCli.ts';

const BIN = join(ROOT, 'scripts/diocheck.mjs');
const BASELINE_FILE = 'properties/regressions/baseline/6.12.117/sys-01-task-xfs-get-pages-fault.json';

interface Ended {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the signal to the exit. */
  readonly afterSignalMs: number;
}

/**
 * Starts the bin, waits until its stdout has `ready` (the campaign started) and some more time,
 * sends `signal` to the bin alone (not to its process group), and collects the end.
 */
function signalled(
  args: readonly string[],
  signal: NodeJS.Signals,
  ready: RegExp,
  waitMs: number,
): Promise<Ended> {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, DIOSIM_TIER: 'fast', NO_COLOR: '1', DIOCHECK_PROGRESS_MS: '500' },
  });
  let stdout = '';
  let stderr = '';
  let sentAt = 0;
  return new Promise((resolve) => {
    // `ready` is looked for in stdout and stderr (a worker's first progress line is on stderr).
    const check = (): void => {
      if (sentAt !== 0 || !ready.test(`${stdout}\n${stderr}`)) return;
      sentAt = -1;
      setTimeout(() => {
        sentAt = performance.now();
        child.kill(signal);
      }, waitMs);
    };
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      check();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      check();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr, afterSignalMs: performance.now() - sentAt }));
  });
}

/** Waits until no process has `marker` on its command line (or `ms` passed); returns those left. */
async function gone(marker: string, ms: number): Promise<string[]> {
  const until = performance.now() + ms;
  let left = processesWith(marker);
  while (left.length > 0 && performance.now() < until) {
    await new Promise((done) => setTimeout(done, 250));
    left = processesWith(marker);
  }
  return left;
}

/**
 * This checkout's processes whose command line has `marker` (a seed no other test uses): the bin
 * and its workers name their script by its path under ROOT, so a run of the same test in another
 * checkout on the machine (a git worktree, a CI clone) is not counted.
 */
function processesWith(marker: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  const here = join(ROOT, 'scripts');
  return ps.split('\n').filter((l) => l.includes(marker) && l.includes(here) && !l.includes('ps -eo'));
}

describe('signals, pipes and progress', () => {
  it('SIGINT stops a campaign with a partial summary and exit 130', async () => {
    const r = await signalled(['run', '--time', '60s', '--seed', '424201'], 'SIGINT', /^kernel: /m, 1500);
    expect(r.code).toBe(130);
    const runs = Number(r.stdout.match(/^interrupted by SIGINT after (\d+) runs/m)?.[1]);
    expect(runs).toBeGreaterThan(0);
    expect(r.stdout).toMatch(new RegExp(`^ {2}runs +${runs}$`, 'm'));
    expect(r.stdout).toMatch(/^findings: /m);
    expect(r.afterSignalMs).toBeLessThan(15_000);
    expect(r.stderr).not.toMatch(/Error|at /);
    expect(processesWith('424201')).toEqual([]);
  }, 90_000);

  it('SIGTERM stops every worker of run --workers, merges their partial reports, exit 143', async () => {
    const r = await signalled(
      ['run', '--workers', '2', '--time', '60s', '--seed', '424202'],
      'SIGTERM',
      /^progress: runs /m,
      500,
    );
    expect(r.code).toBe(143);
    expect(r.stdout).toMatch(/^interrupted by SIGTERM: the workers stopped/m);
    expect(r.stdout).toMatch(/^merged 2 report\(s\) of seed 424202: shards 1, 2 of 2$/m);
    expect(r.afterSignalMs).toBeLessThan(15_000);
    // Progress of both workers, added up, while they ran.
    expect(r.stderr).toMatch(/^progress: runs \d+ {2}\d+ runs\/s/m);
    expect(await gone('424202', 10_000)).toEqual([]);
  }, 90_000);

  it('a campaign whose bin is killed outright stops by itself (no orphaned workers)', async () => {
    const r = await signalled(
      ['run', '--workers', '2', '--time', '60s', '--seed', '424203'],
      'SIGKILL',
      /^progress: runs /m,
      500,
    );
    expect(r.code).toBeNull();
    // The workers' parent sees its pipe end, stops them and ends; on a busy machine that takes a
    // few seconds (each writes its partial report first).
    expect(await gone('424203', 30_000)).toEqual([]);
  }, 90_000);

  it('a command that cannot stop by itself gets the signal: exit 143 at once', async () => {
    const r = await signalled(['hunt', '--seeds', '200', '--budget', '5000'], 'SIGTERM', /^hunt: /m, 1000);
    expect(r.code).toBe(143);
    expect(r.afterSignalMs).toBeLessThan(5000);
  }, 60_000);

  it('a reader that goes away ends the output quietly', () => {
    const r = spawnShell(`node ${BIN} repro ${BASELINE_FILE} | head -1; node ${BIN} help | head -1`);
    expect(r.stdout.split('\n').filter((l) => l !== '')).toEqual([
      `replay ${BASELINE_FILE}`,
      'diocheck: an executable model of fs/iomap/direct-io.c, checked by property campaigns',
    ]);
    expect(r.stderr).toBe('');
  }, 60_000);

  it('prints a progress line every few seconds to stderr when stdout is not a terminal', () => {
    const r = spawnShell(`DIOCHECK_PROGRESS_MS=300 node ${BIN} run --runs 3000 --seed 424204`);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('progress: '));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.map(parseProgress).every((p) => p !== null && p.runs > 0 && p.runs <= 3000)).toBe(true);
    expect(r.stdout).not.toContain('progress: ');
  }, 60_000);
});

function spawnShell(command: string): { stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', command], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DIOSIM_TIER: 'fast', NO_COLOR: '1' },
  });
  return { stdout: r.stdout, stderr: r.stderr };
}
