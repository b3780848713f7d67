/**
 * One User-Mode Linux boot, as the oracle's scripts run it: `taskset ARGS` (ARGS start with the core
 * and the kernel) with the xstate shim preloaded (real-kernel-oracle.md §1.2), in a process group of
 * its own so that a boot past its time is killed whole. Resolves when UML exits, with its exit code
 * and the last 4,000 characters of its console (for the caller's error file).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface UmlExit {
  readonly code: number | null;
  readonly timedOut: boolean;
  readonly console: string;
}

export function bootUml(args: readonly string[], cache: string, timeoutMs: number): Promise<UmlExit> {
  return new Promise((done) => {
    const child = spawn('taskset', args, {
      env: { ...process.env, LD_PRELOAD: join(cache, 'xstate_shim.so') },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let log = '';
    const keep = (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, timedOut, console: log });
    });
  });
}
