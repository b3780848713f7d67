#!/usr/bin/env node
// The package's bin: runs the TypeScript command line (scripts/cli.ts) in one child process with
// tsx's loader, so no build step is needed, and passes signals on. A campaign computes without
// returning to its event loop, so its own signal handlers could not run: the child says on a pipe
// (fd 3) that it stops by itself, and then SIGINT/SIGTERM go down that pipe as words
// (scripts/commands/stop.ts); it prints a partial summary and exits 130/143. Any other child gets
// the signal itself. A second signal kills the child outright.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const child = spawn(process.execPath, ['--import', tsx, cli, ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
  env: { ...process.env, DIOCHECK_STOP_FD: '3' },
});
const channel = child.stdio[3];
let stoppable = false;
let signalled = null;
channel.on('data', (d) => {
  if (d.toString().includes('stoppable')) stoppable = true;
});
channel.on('error', () => {});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (signalled !== null) child.kill('SIGKILL');
    else if (stoppable && signal !== 'SIGHUP') channel.write(`${signal}\n`);
    else child.kill(signal);
    signalled ??= signal;
  });
}
child.on('exit', (code, signal) => {
  if (code !== null) process.exit(code);
  const s = signal ?? signalled ?? 'SIGTERM';
  process.exit(128 + (constants.signals[s] ?? 15));
});
