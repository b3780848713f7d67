/**
 * `diocheck run --workers N`: one campaign over every core. N child processes each run the shard
 * i/N of the same campaign (`--shard i/N`, the same seed), and their JSON reports are merged as
 * `diocheck merge` does: the runs are exactly those of the unsharded campaign, split by index.
 * Processes rather than worker threads: each child is the plain command line, so a worker's
 * counterexample prints and replays exactly like a single-process one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine, UsageError } from './args.ts';
import { mergeReports } from './merge.ts';
import type { Output } from './output.ts';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
export const WORKERS_MAX = 64;

/** Takes `--workers N` (and `--json`, `--junit`) out of a `run` command line. */
export function splitWorkers(argv: readonly string[]): {
  workers: number;
  rest: string[];
  json: string | null;
  junit: string | null;
} {
  const rest: string[] = [];
  let workers = 0;
  let json: string | null = null;
  let junit: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--workers') {
      const v = value();
      if (!/^[1-9][0-9]*$/.test(v) || Number(v) > WORKERS_MAX) {
        throw new UsageError(`--workers takes a whole number from 1 to ${WORKERS_MAX}, not '${v}'`);
      }
      workers = Number(v);
    } else if (a === '--json') json = value();
    else if (a === '--junit') junit = value();
    else if (a === '--shard')
      throw new UsageError('--workers shards the campaign itself; give --shard without it');
    else rest.push(a);
  }
  return { workers, rest, json, junit };
}

function runChild(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const require = createRequire(import.meta.url);
  const tsx = require.resolve('tsx/cli');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsx, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? 3, stdout, stderr }));
  });
}

/** Runs the campaign in N processes and prints the merged summary; resolves to the exit status. */
export async function runWorkers(argv: readonly string[], out: Output): Promise<number> {
  const { workers, rest, json, junit } = splitWorkers(argv.slice(1));
  // Bad input is one line here, not one per worker; every option (--kernel too) goes to each worker.
  const cmd = parseCommandLine(['run', ...rest]);
  if (cmd.kind !== 'run') throw new UsageError("'run --workers' takes no --help (see 'diocheck help')");
  const seed = String(cmd.seed ?? Math.floor(Math.random() * 0x7fffffff));
  const base = cmd.seed === null ? [...rest, '--seed', seed] : rest;
  const dir = mkdtempSync(join(tmpdir(), 'diocheck-workers-'));
  out.line(`seed ${seed}`);
  out.line(`workers: ${workers} processes, shards 1/${workers}..${workers}/${workers}`);
  try {
    const files = Array.from({ length: workers }, (_, i) => join(dir, `shard-${i + 1}.json`));
    const results = await Promise.all(
      files.map((file, i) => runChild(['run', ...base, '--shard', `${i + 1}/${workers}`, '--json', file])),
    );
    let worst = 0;
    results.forEach((r, i) => {
      if (r.code === 2) out.err(r.stderr.trim().split('\n')[0] ?? `diocheck: worker ${i + 1} failed`);
      // A worker that found something prints its whole report: the counterexample and its replay.
      if (r.code === 1 || r.code === 3) out.line(`--- worker ${i + 1}/${workers} ---\n${r.stdout.trimEnd()}`);
      worst = Math.max(worst, r.code);
    });
    if (worst === 2) return 2;
    const merged = mergeReports({ kind: 'merge', files, json, junit }, out);
    return Math.max(worst, merged);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
