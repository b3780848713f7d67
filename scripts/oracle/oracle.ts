/**
 * `npm run oracle`: the live real-kernel oracle. For each exact release it is asked for (every
 * release of model/kernel/releases.ts by default), builds (once, cached per release) a User-Mode
 * Linux kernel from that release's pinned Debian package, with the xstate shim and the guest agent
 * (build-kernel.sh), makes one image per filesystem geometry per instance, runs the conformance
 * corpus (properties/oracle/corpus.ts) in one UML instance per core, and writes that release's
 * golden file (properties/oracle/golden/linux-<release>.json) the conformance test compares the
 * model, run as that release, with.
 *
 *   npm run oracle -- [--release R[,R...]]... [--cache DIR] [--out FILE | --check] [--jobs N] [--limit N] [--compare]
 *
 * --release takes an exact release (6.12.117) or an alias (6.12); --out only with one release.
 * --check writes nothing in the checkout: it fails (exit 1) if a release's results differ from its
 * golden file (what .ci/oracle runs), leaving them in the release's work directory to diff.
 * --compare also runs the model, as the release, on every case and prints each difference.
 * Needs root, ptrace and Debian's packages (installed on first use); ordinary CI never runs it.
 * Recipe and rationale: ../shared/notes/real-kernel-oracle.md; spec/oracle.md.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeSync,
  writeFileSync,
} from 'node:fs';
import { cpus, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Geometry,
  generateCorpus,
  GEOMETRIES,
  type OracleCase,
  POWER_LOSS_GEOMETRIES,
} from '../../properties/oracle/corpus.ts';
import {
  formatGolden,
  type GoldenFile,
  goldenCase,
  goldenChanges,
  goldenPath,
  kernelIsRelease,
  readGolden,
} from '../../properties/oracle/golden.ts';
import {
  type AgentRecord,
  diffObservations,
  observeModel,
  observeReal,
} from '../../properties/oracle/observe.ts';
import {
  caseLines,
  deviceOf,
  LOG_WRITES_BASE,
  logWritesLines,
  SCSI_DEBUG_DISKS,
  scsiDebugLines,
  mkfsCommand,
  nullbLines,
  powerLossMark,
  recoveryLine,
  startMark,
  STALE_WORD,
} from './agentCorpus.ts';
import { durabilityPoints, readWriteLog, replayEntries, type WriteLog } from './logWrites.ts';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { KERNEL_ALIASES, type ReleaseName, RELEASES, releaseNamed } from '../../model/kernel/releases.ts';
import { bootUml } from './uml.ts';
import { asksHelp, parseScriptOptions, scriptArgsOrExit } from '../scriptOptions.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const IMAGE_MIB = 64;
/** Power-loss images are copied once per case, so they are small. */
const POWER_LOSS_IMAGE_MIB = 32;
/** Log images are sparse. */
const LOG_IMAGE_MIB = 512;
/** Crash images per recovery boot (ubd0..ubd15, one spare). */
const RECOVERY_BATCH = 15;
const BOOT_TIMEOUT_MS = 20 * 60 * 1000;

export interface OracleOptions {
  readonly cache: string;
  /** The releases to run, in the order asked, each once. */
  readonly releases: readonly ReleaseName[];
  /** Where to write the golden file instead of the release's own (one release only). */
  readonly out: string | null;
  /** Compare with the golden files instead of writing them. */
  readonly check: boolean;
  readonly jobs: number;
  readonly limit: number | null;
  readonly compare: boolean;
}

export class OracleUsageError extends Error {}

/** --release may repeat (its values add up); any other option given twice is a mistake. */
const ORACLE_OPTIONS = {
  values: ['release', 'cache', 'out', 'jobs', 'limit'],
  flags: ['check', 'compare'],
  repeatable: ['release'],
};

const USAGE =
  'usage: npm run oracle -- [--release R[,R...]]... [--cache DIR] [--out FILE | --check] [--jobs N] [--limit N] [--compare]';

/** An exact release of model/kernel/releases.ts, or an alias of one (6.12). */
export function resolveRelease(name: string): ReleaseName {
  const release = releaseNamed(name);
  if (release !== undefined) return release;
  const names = [...RELEASES.map((r) => r.name), ...Object.keys(KERNEL_ALIASES)];
  throw new OracleUsageError(`unknown release '${name}' (one of: ${names.join(', ')})`);
}

/**
 * Everything one release's run reads or writes on the host, each path its own: two releases never
 * share a kernel, an image, a crash image, a corpus or a results file (the agent's files sit in the
 * shared hostfs root, so their names carry the release).
 */
export interface ReleasePaths {
  /** The UML kernel build-kernel.sh keeps for the release. */
  readonly kernel: string;
  /** Shard images, crash images and console logs of the release's last run. */
  readonly work: string;
  /** The agent's shard name (diocheck_shard=): /corpus-NAME.txt in, /results-NAME.jsonl out. */
  readonly shard: (s: number | string) => string;
  /** Where --check leaves the latest recording, to diff with the golden file. */
  readonly checked: string;
}

/**
 * `purpose` keeps another user of a release's kernel (diocheck confirm) out of the oracle's work
 * directory and shard names, so the two never remove each other's files.
 */
export function releasePaths(cache: string, release: ReleaseName, purpose = ''): ReleasePaths {
  const tag = purpose === '' ? release : `${purpose}-${release}`;
  return {
    kernel: join(cache, 'kernels', release, 'linux.uml'),
    work: join(cache, 'work', tag),
    shard: (s) => `${tag}-${s}`,
    checked: join(cache, 'work', `linux-${release}.json`),
  };
}

export function parseOracleArgs(argv: readonly string[]): OracleOptions | 'help' {
  if (asksHelp(argv)) return 'help';
  const parsed = parseScriptOptions('oracle', argv, ORACLE_OPTIONS, OracleUsageError);
  const given = (name: string): string | null => parsed.options.get(name) ?? null;
  const count = (name: string): number | null => {
    const v = given(name);
    if (v !== null && !/^[1-9][0-9]*$/.test(v))
      throw new OracleUsageError(`--${name} needs a positive integer, not '${v}'`);
    return v === null ? null : Number(v);
  };
  const cache =
    given('cache') ?? process.env.DIOCHECK_ORACLE_CACHE ?? join(homedir(), '.cache', 'diocheck', 'oracle');
  const out = given('out');
  const jobs = count('jobs') ?? Math.max(1, cpus().length);
  const limit = count('limit');
  const compare = parsed.flags.has('compare');
  const check = parsed.flags.has('check');
  const releases: ReleaseName[] = [];
  for (const value of parsed.repeated.get('release') ?? [])
    for (const name of value.split(',')) {
      const r = resolveRelease(name.trim());
      if (!releases.includes(r)) releases.push(r);
    }
  if (releases.length === 0) releases.push(...RELEASES.map((r) => r.name));
  if (out !== null && releases.length !== 1)
    throw new OracleUsageError(`--out needs exactly one --release (${releases.length} asked)`);
  if (out !== null && check) throw new OracleUsageError('--check writes no file: leave out --out');
  if (limit !== null && check) throw new OracleUsageError('--check runs the whole corpus: leave out --limit');
  return {
    cache: resolve(cache),
    releases,
    out: out === null ? null : resolve(out),
    check,
    jobs,
    limit,
    compare,
  };
}

function runCommand(cmd: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** A fresh image: the stale marker in every word, then mkfs (fstests' variables allow small XFS). */
function makeImage(path: string, g: Geometry, mib: number): void {
  const chunk = Buffer.alloc(1 << 20);
  for (let o = 0; o < chunk.length; o += 4) chunk.writeUInt32LE(STALE_WORD, o);
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  runCommand(mkfsCommand(g, path), { ...process.env, TEST_DIR: '1', TEST_DEV: '1', QA_CHECK_FS: '1' });
}

/**
 * Boots one instance on core `core` with `images` as ubd0.. and the agent reading
 * /corpus-NAME.txt; resolves with the lines of /results-NAME.jsonl.
 */
function boot(run: ReleaseRun, name: string, images: readonly string[], core: number): Promise<string[]> {
  const { o, paths } = run;
  const shard = paths.shard(name);
  const results = join(o.cache, 'root', `results-${shard}.jsonl`);
  rmSync(results, { force: true });
  const args = [
    '-c',
    String(core),
    paths.kernel,
    'mem=384M',
    'rootfstype=hostfs',
    `rootflags=${join(o.cache, 'root')}`,
    'rw',
    ...images.map((img, i) => `ubd${i}=${img}`),
    'init=/agent',
    // One scsi_debug disk per 4096-byte-sector geometry, each with a store of its own.
    `scsi_debug.add_host=${SCSI_DEBUG_DISKS}`,
    'scsi_debug.per_host_store=1',
    `scsi_debug.dev_size_mb=${IMAGE_MIB}`,
    'scsi_debug.sector_size=4096',
    'scsi_debug.delay=0',
    `diocheck_shard=${shard}`,
    'con=null',
    'con0=null,fd:1',
    'quiet',
  ];
  return bootUml(args, o.cache, BOOT_TIMEOUT_MS).then((exit) => {
    // A failed boot is one line on stderr; the console's last lines go to a file it names.
    if (exit.timedOut || exit.code !== 0 || !existsSync(results)) {
      const consoleLog = join(paths.work, `console-${name}.log`);
      writeFileSync(consoleLog, exit.console);
      const what = exit.timedOut ? 'timed out' : `exited ${exit.code} without results`;
      throw new Error(`UML instance ${shard} ${what} (its console: ${consoleLog})`);
    }
    const lines = readFileSync(results, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    rmSync(results, { force: true });
    return lines;
  });
}

/** Runs `tasks` with at most `jobs` at a time, one core each. */
async function pool<T>(jobs: number, tasks: ReadonlyArray<(core: number) => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const cores = Math.max(1, cpus().length);
  await Promise.all(
    Array.from({ length: Math.min(jobs, tasks.length) }, async (_, w) => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await (tasks[i] as (core: number) => Promise<T>)(w % cores);
      }
    }),
  );
  return out;
}

/** One release's run: the options, the release and its own paths. */
export interface ReleaseRun {
  readonly o: OracleOptions;
  readonly release: ReleaseName;
  readonly paths: ReleasePaths;
}

/** Each instance's images: one per geometry, then the power-loss data images, then their logs. */
function shardImages(run: ReleaseRun, s: number): string[] {
  const dir = join(run.paths.work, `shard${s}`);
  return [
    ...GEOMETRIES.map((_, i) => join(dir, `dev${i}.img`)),
    ...POWER_LOSS_GEOMETRIES.map((_, i) => join(dir, `pl${i}.img`)),
    ...POWER_LOSS_GEOMETRIES.map((_, i) => join(dir, `log${i}.img`)),
  ];
}

/** A case's lines for the agent: the corpus's own (caseLines), or a script's that adds to them. */
export type CaseLines = (c: OracleCase) => string[];

function prepareShard(
  run: ReleaseRun,
  s: number,
  cases: readonly OracleCase[],
  linesOf: CaseLines = caseLines,
): void {
  const dir = join(run.paths.work, `shard${s}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  GEOMETRIES.forEach((g, i) => {
    makeImage(join(dir, `dev${i}.img`), g, IMAGE_MIB);
  });
  POWER_LOSS_GEOMETRIES.forEach((g, i) => {
    makeImage(join(dir, `pl${i}.img`), g, POWER_LOSS_IMAGE_MIB);
    copyFileSync(join(dir, `pl${i}.img`), join(dir, `pl${i}.pristine`));
    writeFileSync(join(dir, `log${i}.img`), '');
    truncateSync(join(dir, `log${i}.img`), LOG_IMAGE_MIB << 20);
  });
  // The null_blk disks only where a case needs one: each holds a copy of a whole image in memory.
  const nullb = cases.some((c) => c.poll === true) ? nullbLines() : [];
  const lines = [...scsiDebugLines(), ...logWritesLines(), ...nullb, ...cases.flatMap(linesOf)];
  writeFileSync(join(run.o.cache, 'root', `corpus-${run.paths.shard(s)}.txt`), `${lines.join('\n')}\n`);
}

/** One crash image to recover: a case, and how many log entries its image replays. */
interface CrashPoint {
  readonly c: OracleCase;
  readonly shard: number;
  /** Index among the case's crash points; the last is the power-loss mark. */
  readonly point: number;
  readonly entries: number;
}

/**
 * The crash images of every power-loss case: its device's log replayed onto the pristine image to
 * each durability point between its start and power-loss marks (each run of FLUSH or FUA entries:
 * logWrites.ts durabilityPoints) and to the power-loss mark, each mounted (log recovery) and read,
 * in batches of up to 15 images per boot. Returns each case's records in point order.
 */
async function recoverCrashImages(
  run: ReleaseRun,
  shards: readonly (readonly OracleCase[])[],
  unames: Set<string>,
  recoveryPrefix: readonly string[],
): Promise<Map<number, AgentRecord[]>> {
  const { o, paths } = run;
  const crashDir = join(paths.work, 'crash');
  rmSync(crashDir, { recursive: true, force: true });
  mkdirSync(crashDir, { recursive: true });
  const logs = new Map<string, WriteLog>();
  const logOf = (c: OracleCase, shard: number) => {
    const path = join(paths.work, `shard${shard}`, `log${deviceOf(c) - LOG_WRITES_BASE}.img`);
    let log = logs.get(path);
    if (log === undefined) {
      log = readWriteLog(path);
      logs.set(path, log);
    }
    return { path, log };
  };
  const todo: CrashPoint[] = [];
  shards.forEach((cs, shard) => {
    for (const c of cs) {
      if (!c.powerLoss) continue;
      const { path, log } = logOf(c, shard);
      const points = durabilityPoints(log, startMark(c), powerLossMark(c));
      const end = log.entries.findIndex((e) => e.mark === powerLossMark(c));
      if (points === null || end < 0)
        throw new Error(`case ${c.id} (${c.name}): its marks are missing in ${path}`);
      [...points, end].forEach((entries, point) => {
        todo.push({ c, shard, point, entries });
      });
    }
  });
  const batches: CrashPoint[][] = [];
  for (let i = 0; i < todo.length; i += RECOVERY_BATCH) batches.push(todo.slice(i, i + RECOVERY_BATCH));
  const outputs = await pool(
    o.jobs,
    batches.map((batch, b) => async (core: number) => {
      const images: string[] = [];
      const lines: string[] = [...recoveryPrefix];
      for (const p of batch) {
        const { path, log } = logOf(p.c, p.shard);
        const image = join(crashDir, `c${p.c.id}-${p.point}.img`);
        const g = deviceOf(p.c) - LOG_WRITES_BASE;
        copyFileSync(join(paths.work, `shard${p.shard}`, `pl${g}.pristine`), image);
        replayEntries(path, log, p.entries, image);
        lines.push(recoveryLine(p.c, images.length, p.point));
        images.push(image);
      }
      writeFileSync(join(o.cache, 'root', `corpus-${paths.shard(`r${b}`)}.txt`), `${lines.join('\n')}\n`);
      const out = await boot(run, `r${b}`, images, core);
      for (const image of images) rmSync(image, { force: true });
      return out;
    }),
  );
  const recovered = new Map<number, AgentRecord[]>();
  for (const line of outputs.flat()) {
    const rec = JSON.parse(line) as AgentRecord & { uname?: string; point?: number };
    if (rec.uname !== undefined) {
      unames.add(rec.uname);
      continue;
    }
    const list = recovered.get(rec.id) ?? [];
    list[rec.point ?? 0] = rec;
    recovered.set(rec.id, list);
  }
  return recovered;
}

/**
 * Runs the corpus on every release asked for, one release after the other (each on all `jobs`),
 * and writes each release's golden file.
 */
export async function runOracle(o: OracleOptions, say: (line: string) => void): Promise<number> {
  let cases = generateCorpus();
  if (o.limit !== null) cases = cases.slice(0, o.limit);
  let agree = true;
  for (const release of o.releases)
    if (!(await runRelease({ o, release, paths: releasePaths(o.cache, release) }, cases, say))) agree = false;
  return agree ? 0 : 1;
}

/** Builds the release's kernel, the shim and the agent, or reuses them (build-kernel.sh caches them). */
export function prepareKernel(run: ReleaseRun, say: (line: string) => void): void {
  const { o, release } = run;
  say(`oracle: ${release}: building or reusing its kernel, the shim and the agent in ${o.cache}`);
  const tb = Date.now();
  runCommand(['bash', join(HERE, 'build-kernel.sh'), o.cache, release]);
  say(`oracle: ${release}: kernel ready in ${((Date.now() - tb) / 1000).toFixed(1)} s`);
}

/**
 * Writes the release's golden file (or, on --check, compares with it). A case must differ in two
 * runs to count as a change: a kernel may start background work during a case (an XFS log push:
 * an extra flush), so one run in a few differs from the last in a case or two by chance.
 */
async function runRelease(
  run: ReleaseRun,
  cases: readonly OracleCase[],
  say: (line: string) => void,
): Promise<boolean> {
  const { o, release, paths } = run;
  prepareKernel(run, say);
  const recorded = join(ROOT, goldenPath(release));
  const out = o.check ? paths.checked : (o.out ?? recorded);
  const record = async (): Promise<GoldenFile> => {
    const golden = await recordRelease(run, cases, say);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, formatGolden(golden));
    say(`oracle: ${release}: wrote ${out}`);
    return golden;
  };
  const golden = await record();
  if (!o.check) return true;
  const before = existsSync(recorded) ? readGolden(recorded) : null;
  let changes = goldenChanges(before, golden);
  if (changes.length > 0 && before !== null) {
    say(
      `oracle: ${release}: ${changes.length} difference(s) from ${goldenPath(release)}; running again to tell a change from chance`,
    );
    const again = goldenChanges(before, await record());
    const chance = changes.filter((c) => !again.includes(c));
    if (chance.length > 0) say(`oracle: ${release}: differed in one run only:\n  ${chance.join('\n  ')}`);
    changes = changes.filter((c) => again.includes(c));
  }
  if (changes.length === 0) say(`oracle: ${release}: agrees with ${goldenPath(release)}`);
  else
    say(
      `oracle: ${release}: differs from ${goldenPath(release)} in ${changes.length} place(s) (diff it with ${out}):\n  ` +
        changes.slice(0, 20).join('\n  '),
    );
  return changes.length === 0;
}

/** What the release's kernel showed for a set of cases: the agent's records, by case id. */
export interface CaseRecords {
  readonly records: ReadonlyMap<number, AgentRecord>;
  /** Each power-loss case's crash images, in point order (the last is the power loss itself). */
  readonly recovered: ReadonlyMap<number, AgentRecord[]>;
  /** The kernel's uname -r, checked to be the release. */
  readonly uname: string;
  readonly seconds: number;
}

/**
 * Runs cases on the release's kernel (built already): one UML instance per job, then the crash
 * images of the power-loss cases. Throws when the kernel that ran is not the release. `linesOf`
 * writes each case for the agent, and `recoveryPrefix` starts each recovery boot's corpus
 * (scripts/oracle/journalAbort.ts adds fault lines, and G to keep the kernel log in both).
 */
export async function runCases(
  run: ReleaseRun,
  cases: readonly OracleCase[],
  say: (line: string) => void,
  linesOf: CaseLines = caseLines,
  recoveryPrefix: readonly string[] = [],
): Promise<CaseRecords> {
  const { o, release, paths } = run;
  const jobs = Math.min(o.jobs, cases.length);
  const shards: OracleCase[][] = Array.from({ length: jobs }, () => []);
  cases.forEach((c, i) => {
    shards[i % jobs]?.push(c);
  });
  rmSync(paths.work, { recursive: true, force: true });
  mkdirSync(paths.work, { recursive: true });
  shards.forEach((cs, s) => {
    prepareShard(run, s, cs, linesOf);
  });
  say(`oracle: ${release}: ${cases.length} cases on ${jobs} UML instance(s)`);
  const t0 = Date.now();
  const outputs = await pool(
    jobs,
    shards.map((_, s) => (core: number) => boot(run, String(s), shardImages(run, s), core)),
  );
  const records = new Map<number, AgentRecord>();
  const unames = new Set<string>();
  for (const line of outputs.flat()) {
    const rec = JSON.parse(line) as AgentRecord & { uname?: string };
    if (rec.uname !== undefined) unames.add(rec.uname);
    else if (rec.fatal !== undefined && rec.id === undefined) throw new Error(`agent: ${rec.fatal}`);
    else records.set(rec.id, rec);
  }
  const recovered = await recoverCrashImages(run, shards, unames, recoveryPrefix);
  const seconds = (Date.now() - t0) / 1000;
  // The kernel that ran is the release asked for, or the run records nothing.
  const uname = [...unames][0] ?? '';
  if (unames.size !== 1 || !kernelIsRelease(uname, release))
    throw new Error(`${paths.kernel} says it is ${[...unames].join(', ') || 'nothing'}, not ${release}`);
  return { records, recovered, uname, seconds };
}

/** One run of the corpus on the release's kernel (built already): what it showed, as a golden file. */
async function recordRelease(
  run: ReleaseRun,
  cases: readonly OracleCase[],
  say: (line: string) => void,
): Promise<GoldenFile> {
  const { o, release } = run;
  const { records, recovered, uname, seconds } = await runCases(run, cases, say);
  const golden: GoldenFile = {
    format: 'diocheck-oracle-golden',
    kernel: uname,
    corpus: cases.length,
    cases: [],
  };
  const ops = KERNEL_VERSIONS[release];
  let differing = 0;
  for (const c of cases) {
    const rec = records.get(c.id);
    if (rec === undefined) throw new Error(`case ${c.id} (${c.name}) has no result: the agent stopped early`);
    const real = observeReal(c, rec, recovered.get(c.id));
    golden.cases.push(goldenCase(c, real));
    if (o.compare) {
      const diff = diffObservations(observeModel(c, ops), real);
      if (diff.length > 0) {
        differing++;
        say(`case ${c.id} ${c.name}:\n  ${diff.join('\n  ')}`);
      }
    }
  }
  say(
    `oracle: ${release}: ${cases.length} cases (${[...recovered.values()].reduce((n, l) => n + l.length, 0)} crash images) in ${seconds.toFixed(1)} s on ${uname}` +
      (o.compare ? `; ${differing} differ from the model as ${release}` : ''),
  );
  return golden;
}

async function main(): Promise<void> {
  const opts = scriptArgsOrExit('oracle', USAGE, parseOracleArgs);
  if (opts === null) return;
  try {
    process.exitCode = await runOracle(opts, (l) => process.stdout.write(`${l}\n`));
  } catch (e) {
    process.stderr.write(`oracle: ${(e as Error).message.split('\n', 1)[0]}\n`);
    process.exitCode = 3;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
