/**
 * `npm run oracle`: the live real-kernel oracle. Builds (once, cached) a User-Mode Linux 6.12
 * kernel, the xstate shim and the guest agent (build-kernel.sh), makes one image per filesystem
 * geometry per instance, runs the conformance corpus (properties/oracle/corpus.ts) in one UML
 * instance per core, and writes the golden file the conformance test compares the model with.
 *
 *   npm run oracle -- [--cache DIR] [--out FILE] [--jobs N] [--limit N] [--compare]
 *
 * --compare also runs the model on every case and prints each difference (what the test checks).
 * Needs root, ptrace and Debian's packages (installed on first use); ordinary CI never runs it.
 * Recipe and rationale: ../shared/notes/real-kernel-oracle.md; spec/oracle.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
  writeFileSync,
} from 'node:fs';
import { cpus, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCorpus, GEOMETRIES, type OracleCase } from '../../properties/oracle/corpus.ts';
import { formatGolden, GOLDEN_PATH, type GoldenFile, goldenCase } from '../../properties/oracle/golden.ts';
import {
  type AgentRecord,
  diffObservations,
  observeModel,
  observeReal,
} from '../../properties/oracle/observe.ts';
import { caseLines, mkfsCommand, STALE_WORD } from './agentCorpus.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const IMAGE_MIB = 64;
const BOOT_TIMEOUT_MS = 20 * 60 * 1000;

export interface OracleOptions {
  readonly cache: string;
  readonly out: string;
  readonly jobs: number;
  readonly limit: number | null;
  readonly compare: boolean;
}

export class OracleUsageError extends Error {}

const USAGE = 'usage: npm run oracle -- [--cache DIR] [--out FILE] [--jobs N] [--limit N] [--compare]';

export function parseOracleArgs(argv: readonly string[]): OracleOptions | 'help' {
  let cache = process.env.DIOCHECK_ORACLE_CACHE ?? join(homedir(), '.cache', 'diocheck', 'oracle');
  let out = join(ROOT, GOLDEN_PATH);
  let jobs = Math.max(1, cpus().length);
  let limit: number | null = null;
  let compare = false;
  const count = (flag: string, v: string | undefined): number => {
    if (v === undefined || !/^[1-9][0-9]*$/.test(v))
      throw new OracleUsageError(`${flag} needs a positive integer`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    switch (a) {
      case '--help':
      case '-h':
        return 'help';
      case '--cache':
      case '--out':
        if (v === undefined || v.startsWith('--')) throw new OracleUsageError(`${a} needs a path`);
        if (a === '--cache') cache = v;
        else out = v;
        i++;
        break;
      case '--jobs':
        jobs = count(a, v);
        i++;
        break;
      case '--limit':
        limit = count(a, v);
        i++;
        break;
      case '--compare':
        compare = true;
        break;
      default:
        throw new OracleUsageError(`unknown option ${a ?? ''} (${USAGE})`);
    }
  }
  return { cache: resolve(cache), out: resolve(out), jobs, limit, compare };
}

function run(cmd: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** A fresh image: the stale marker in every word, then mkfs (fstests' variables allow small XFS). */
function makeImage(path: string, fs: 'xfs' | 'ext4', blockSize: number): void {
  const chunk = Buffer.alloc(1 << 20);
  for (let o = 0; o < chunk.length; o += 4) chunk.writeUInt32LE(STALE_WORD, o);
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < IMAGE_MIB; i++) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  run(mkfsCommand(fs, blockSize, path), { ...process.env, TEST_DIR: '1', TEST_DEV: '1', QA_CHECK_FS: '1' });
}

/** Boots one instance on core `core` over shard `shard`'s corpus; resolves with its result lines. */
function boot(o: OracleOptions, shard: number, core: number): Promise<string> {
  const dir = join(o.cache, `shard${shard}`);
  const ubd = GEOMETRIES.map((_, i) => `ubd${i}=${join(dir, `dev${i}.img`)}`);
  const args = [
    '-c',
    String(core),
    join(o.cache, 'linux-6.12.uml'),
    'mem=384M',
    'rootfstype=hostfs',
    `rootflags=${join(o.cache, 'root')}`,
    'rw',
    ...ubd,
    'init=/agent',
    `diocheck_shard=${shard}`,
    'con=null',
    'con0=null,fd:1',
    'quiet',
  ];
  return new Promise((done, fail) => {
    const child = spawn('taskset', args, {
      env: { ...process.env, LD_PRELOAD: join(o.cache, 'xstate_shim.so') },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => {
      log += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      fail(new Error(`UML instance ${shard} timed out; its console:\n${log.slice(-2000)}`));
    }, BOOT_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const results = join(o.cache, 'root', `results-${shard}.jsonl`);
      if (code !== 0 || !existsSync(results))
        fail(new Error(`UML instance ${shard} exited ${code}; its console:\n${log.slice(-2000)}`));
      else done(readFileSync(results, 'utf8'));
    });
  });
}

export async function runOracle(o: OracleOptions, say: (line: string) => void): Promise<number> {
  say(`oracle: building or reusing the kernel, shim and agent in ${o.cache}`);
  run(['bash', join(HERE, 'build-kernel.sh'), o.cache]);
  let cases = generateCorpus();
  if (o.limit !== null) cases = cases.slice(0, o.limit);
  const jobs = Math.min(o.jobs, cases.length);
  const shards: OracleCase[][] = Array.from({ length: jobs }, () => []);
  cases.forEach((c, i) => {
    shards[i % jobs]?.push(c);
  });
  for (let s = 0; s < jobs; s++) {
    const dir = join(o.cache, `shard${s}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    GEOMETRIES.forEach((g, i) => {
      makeImage(join(dir, `dev${i}.img`), g.fs, g.blockSize);
    });
    const lines = (shards[s] ?? []).flatMap(caseLines);
    writeFileSync(join(o.cache, 'root', `corpus-${s}.txt`), `${lines.join('\n')}\n`);
    rmSync(join(o.cache, 'root', `results-${s}.jsonl`), { force: true });
  }
  say(`oracle: ${cases.length} cases on ${jobs} UML instance(s)`);
  const t0 = Date.now();
  const outputs = await Promise.all(shards.map((_, s) => boot(o, s, s % Math.max(1, cpus().length))));
  const seconds = (Date.now() - t0) / 1000;
  const records = new Map<number, AgentRecord>();
  let uname = '';
  for (const text of outputs) {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const rec = JSON.parse(line) as AgentRecord & { uname?: string };
      if (rec.uname !== undefined) uname = rec.uname;
      else records.set(rec.id, rec);
    }
  }
  const golden: GoldenFile = {
    format: 'diocheck-oracle-golden',
    kernel: uname,
    corpus: cases.length,
    cases: [],
  };
  let differing = 0;
  for (const c of cases) {
    const rec = records.get(c.id);
    if (rec === undefined) throw new Error(`case ${c.id} (${c.name}) has no result: the agent stopped early`);
    const real = observeReal(c, rec);
    golden.cases.push(goldenCase(c, real));
    if (o.compare) {
      const diff = diffObservations(observeModel(c), real);
      if (diff.length > 0) {
        differing++;
        say(`case ${c.id} ${c.name}:\n  ${diff.join('\n  ')}`);
      }
    }
  }
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, formatGolden(golden));
  say(
    `oracle: ${cases.length} cases in ${seconds.toFixed(1)} s on ${uname}; wrote ${o.out}` +
      (o.compare ? `; ${differing} differ from the model` : ''),
  );
  return 0;
}

async function main(): Promise<void> {
  let opts: OracleOptions | 'help';
  try {
    opts = parseOracleArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`oracle: ${(e as Error).message}\n`);
    process.exit(2);
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    process.exitCode = await runOracle(opts, (l) => process.stdout.write(`${l}\n`));
  } catch (e) {
    process.stderr.write(`oracle: ${(e as Error).message.split('\n', 1)[0]}\n`);
    process.exitCode = 3;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
