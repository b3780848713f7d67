/**
 * Stopping a long command cleanly on SIGINT and SIGTERM. A campaign runs synchronously, so a
 * signal handler of its process would run only after the campaign; instead the parent (the bin,
 * scripts/diocheck.mjs, or `run --workers`) catches the signal and writes its name down a pipe,
 * the child's file descriptor DIOCHECK_STOP_FD. A worker thread of the child reads that pipe while
 * the main thread computes and sets a shared flag, which the campaign reads before each run
 * (one Atomics.load). The pipe's end (the parent died) stops the command as SIGTERM would, so no
 * campaign outlives its parent.
 *
 * Protocol on the pipe: the child writes `stoppable` once it will stop by itself; the parent then
 * writes `SIGINT` or `SIGTERM` instead of killing it. A command that never says so is killed
 * with the signal (it has nothing to summarise).
 */
import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export const STOP_FD_ENV = 'DIOCHECK_STOP_FD';

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGINT: 2, SIGTERM: 15 };

/** 0, or the number of the signal that asked the command to stop. */
const flag = new Int32Array(new SharedArrayBuffer(4));
const listeners: Array<(signal: NodeJS.Signals) => void> = [];

/** The signal that asked to stop, or null: read before each campaign run. */
export function stopSignal(): NodeJS.Signals | null {
  const n = Atomics.load(flag, 0);
  if (n === 0) return null;
  return n === 2 ? 'SIGINT' : 'SIGTERM';
}

/** The exit status of a command stopped by `signal`: 128 + its number (130, 143). */
export function signalExitStatus(signal: NodeJS.Signals): number {
  return 128 + (SIGNAL_NUMBERS[signal] ?? 15);
}

/** Asks the running command to stop (the first signal wins); calls the onStop listeners. */
export function requestStop(signal: NodeJS.Signals): void {
  if (Atomics.compareExchange(flag, 0, 0, SIGNAL_NUMBERS[signal] ?? 15) !== 0) return;
  for (const listener of listeners) listener(signal);
}

/** Runs `listener` when a stop is requested (for a parent whose event loop is free: --workers). */
export function onStop(listener: (signal: NodeJS.Signals) => void): void {
  listeners.push(listener);
}

/** The watcher thread: plain JavaScript, so it needs no TypeScript loader. */
const WATCHER = `
const { workerData, parentPort } = require('node:worker_threads');
const net = require('node:net');
const socket = new net.Socket({ fd: workerData.fd, readable: true, writable: false });
let text = '';
const stop = (n) => {
  if (Atomics.compareExchange(workerData.flag, 0, 0, n) === 0) parentPort.postMessage(n);
};
socket.on('data', (d) => {
  text += d.toString();
  if (text.includes('SIGINT')) stop(2);
  else if (text.includes('SIGTERM')) stop(15);
});
socket.on('end', () => stop(15));
socket.on('error', () => stop(15));
`;

let enabled = false;

/**
 * Makes this process stop cleanly when its parent passes a signal down the pipe; returns false
 * when there is no pipe (run directly, without the bin: signals then act as usual).
 */
export function enableStop(): boolean {
  if (enabled) return true;
  const fd = Number(process.env[STOP_FD_ENV]);
  if (!Number.isInteger(fd) || fd < 3) return false;
  try {
    writeSync(fd, 'stoppable\n');
  } catch {
    return false;
  }
  enabled = true;
  // No execArgv: the TypeScript loader (--import tsx) would wait for the busy main thread.
  const watcher = new Worker(WATCHER, { eval: true, execArgv: [], workerData: { fd, flag } });
  watcher.on('message', (n: number) => {
    for (const listener of listeners) listener(n === 2 ? 'SIGINT' : 'SIGTERM');
  });
  watcher.unref();
  // The terminal sends Ctrl-C to the whole process group: this process ignores it (the parent
  // passes it down the pipe); when its event loop is free it also stops on it directly.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => requestStop(signal));
  return true;
}
