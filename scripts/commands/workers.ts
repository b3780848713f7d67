/**
 * `diocheck run --workers N`: one campaign over every core. N child processes each run the shard
 * i/N of the same campaign (`--shard i/N`, the same seed), and their JSON reports are merged as
 * `diocheck merge` does: the runs are exactly those of the unsharded campaign, split by index.
 * Processes rather than worker threads: each child is the plain command line, so a worker's
 * counterexample prints and replays exactly like a single-process one.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine, UsageError } from './args.ts';
import { optionSpec } from './definitions.ts';
import { parseOptions } from './options.ts';
import { mergeReports } from './merge.ts';
import type { Writable } from 'node:stream';
import { type Output, ProgressLine } from './output.ts';
import { enableStop, onStop, STOP_FD_ENV, signalExitStatus } from './stop.ts';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
/** tsx's loader, found from this file: workers start wherever the command was run. */
const TSX = import.meta.resolve('tsx');
export const WORKERS_MAX = 64;

/** Takes `--workers N` (and `--json`, `--junit`) out of a `run` command line (options.ts tokenizes it). */
export function splitWorkers(argv: readonly string[]): {
  workers: number;
  rest: string[];
  json: string | null;
  junit: string | null;
} {
  const spec = optionSpec('run');
  const { options, flags, positionals } = parseOptions('run', argv, { ...spec, positionals: true });
  if (options.has('shard'))
    throw new UsageError('--workers shards the campaign itself; give --shard without it');
  const v = options.get('workers') ?? '';
  if (!/^[1-9][0-9]*$/.test(v) || Number(v) > WORKERS_MAX)
    throw new UsageError(`--workers takes a whole number from 1 to ${WORKERS_MAX}, not '${v}'`);
  const rest: string[] = [...positionals];
  for (const [name, value] of options)
    if (!['workers', 'json', 'junit'].includes(name)) rest.push(`--${name}`, value);
  for (const flag of flags) rest.push(`--${flag}`);
  return { workers: Number(v), rest, json: options.get('json') ?? null, junit: options.get('junit') ?? null };
}

/** How often a worker reports its progress to the parent, which adds them up. */
const CHILD_PROGRESS_MS = 1000;

interface Child {
  readonly done: Promise<{ code: number; stdout: string; stderr: string }>;
  /** Passes a signal on: the child stops, writes its partial report and exits 130/143. */
  stop(signal: NodeJS.Signals): void;
}

/**
 * One worker: the command line in a node process with tsx's loader (no tsx wrapper process), a
 * stop pipe on fd 3 (stop.ts) and its `progress: ` lines handed to `progress` as they come.
 */
function runChild(args: readonly string[], progress: (line: string) => void): Child {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, [STOP_FD_ENV]: '3', DIOCHECK_PROGRESS_MS: String(CHILD_PROGRESS_MS) },
  });
  const channel = child.stdio[3] as Writable;
  channel.on('error', () => {});
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('progress: ')) progress(line);
      else stderr += `${line}\n`;
    }
  });
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal === null ? 3 : signalExitStatus(signal)),
        stdout,
        stderr: stderr + partial,
      }),
    );
  });
  return {
    done,
    stop: (signal) => {
      if (channel.writable) channel.write(`${signal}\n`);
    },
  };
}

/** `progress: runs N  ...  K violating run(s)` of a worker: its runs and violating runs. */
export function parseProgress(line: string): { runs: number; violating: number } | null {
  const m = line.match(/^progress: runs (\d+) .*?(\d+) violating run\(s\)/);
  return m === null ? null : { runs: Number(m[1]), violating: Number(m[2]) };
}

/** Runs the campaign in N processes and prints the merged summary; resolves to the exit status. */
export async function runWorkers(argv: readonly string[], out: Output): Promise<number> {
  const { workers, rest, json, junit } = splitWorkers(argv.slice(1));
  // Bad input is one line here, not one per worker; every option (--kernel too) goes to each worker.
  const cmd = parseCommandLine(['run', ...rest]);
  if (cmd.kind !== 'run') throw new UsageError("'run --workers' takes no --help (see 'diocheck help')");
  const seed = String(cmd.seed ?? Math.floor(Math.random() * 0x7fffffff));
  const base = cmd.seed === null ? [...rest, '--seed', seed] : rest;
  enableStop();
  const dir = mkdtempSync(join(tmpdir(), 'diocheck-workers-'));
  out.line(`seed ${seed}`);
  out.line(`workers: ${workers} processes, shards 1/${workers}..${workers}/${workers}`);
  try {
    const files = Array.from({ length: workers }, (_, i) => join(dir, `shard-${i + 1}.json`));
    // Each worker's latest progress, added up into one line (a terminal's, or a log line).
    const progress = new ProgressLine(out);
    const latest = files.map(() => ({ runs: 0, violating: 0 }));
    const children = files.map((file, i) =>
      runChild(['run', ...base, '--shard', `${i + 1}/${workers}`, '--json', file], (line) => {
        latest[i] = parseProgress(line) ?? (latest[i] as { runs: number; violating: number });
        const runs = latest.reduce((n, p) => n + p.runs, 0);
        const violating = latest.reduce((n, p) => n + p.violating, 0);
        progress.show({ runs, failures: `${violating} violating run(s)` });
      }),
    );
    // SIGINT/SIGTERM: every worker stops and writes its partial report, which is merged below.
    let stopped: NodeJS.Signals | null = null;
    onStop((signal) => {
      stopped = signal;
      for (const c of children) c.stop(signal);
    });
    const results = await Promise.all(children.map((c) => c.done));
    progress.clear();
    let worst = 0;
    const signalled = stopped as NodeJS.Signals | null;
    if (signalled !== null)
      out.line(`interrupted by ${signalled}: the workers stopped; their partial reports merged`);
    results.forEach((r, i) => {
      if (r.code > 3) return;
      if (r.code === 2) out.err(r.stderr.trim().split('\n')[0] ?? `diocheck: worker ${i + 1} failed`);
      // A worker that found something prints its whole report: the counterexample and its replay.
      if (r.code === 1 || r.code === 3) out.line(`--- worker ${i + 1}/${workers} ---\n${r.stdout.trimEnd()}`);
      worst = Math.max(worst, r.code);
    });
    if (worst === 2) return 2;
    const merged = mergeReports(
      { kind: 'merge', files: files.filter((f) => existsSync(f)), json, junit },
      out,
    );
    if (signalled !== null) return signalExitStatus(signalled);
    return Math.max(worst, merged);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
