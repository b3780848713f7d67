/**
 * `npx tsx scripts/oracle/btrfsDsync.ts [--release R] [--cache DIR] [--json FILE]`: is an O_DSYNC
 * (not O_SYNC) direct write on btrfs durable when it returns, on a disk with FUA and a volatile
 * write cache? The lead (spec/fs.md, "A lead, not a finding"): btrfs_dio_iomap_begin sets no
 * IOMAP_F_DIRTY (6.12.117 fs/btrfs/direct-io.c L567-579), so iomap would write the data with FUA,
 * clear IOMAP_DIO_NEED_SYNC (seed L697-698) and skip generic_write_sync, leaving the new extent's
 * file extent item in an uncommitted transaction.
 *
 * The run, on a UML kernel of the release built with CONFIG_BTRFS_FS (build-kernel.sh with
 * DIOCHECK_KERNEL_FLAVOR=btrfs, kept apart from the oracle's kernels): mkfs.btrfs on the host,
 * copied onto a scsi_debug disk (4096-byte sectors, FUA, write-back cache), dm-log-writes over it
 * (the log is in durability order, so replaying it to a mark is the disk a power loss there
 * leaves). Each case (CASES) makes its file durable (write or fallocate, fsync, sync), marks st<id>,
 * issues one O_DIRECT pwrite, and marks pl<id>; the guest records the return, the file, and the
 * trace of the write (block_bio_queue, iomap_dio_rw_begin, iomap_iter_dstmap, iomap_dio_complete,
 * btrfs_sync_file, btrfs_transaction_commit). A second boot mounts (tree-log replay) each crash
 * image and reads the file back. Each case runs on a default mount, then on a nodatasum mount:
 * 6.12.117 sends a direct write to a checksummed inode down the buffered path (direct-io.c
 * L941-944), so only NODATASUM inodes (nodatasum, or chattr +C) reach iomap.
 *
 * Exit 0 when every O_DSYNC and O_SYNC write survived its power loss and the unsynced control was
 * lost (so a loss would have shown); 1 when a synced write was lost (a candidate kernel bug); 2 on
 * bad options; 3 when the kernel could not be run or the result says nothing (the control survived
 * too, or a record is missing). Needs root and ptrace (UML); the pure parts are tested in npm test.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelIsRelease } from '../../properties/oracle/golden.ts';
import { parseRwbs } from '../../properties/oracle/observe.ts';
import { type ReleaseName, releaseNamed, RELEASES } from '../../model/kernel/releases.ts';
import { bootUml } from './uml.ts';
import { asksHelp, parseScriptOptions, scriptArgsOrExit } from '../scriptOptions.ts';
import { LOG_FUA, readWriteLog, replayEntries, type WriteLog } from './logWrites.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const BLOCK = 4096;
/** The setup's file: four blocks (btrfsDsync.c SETUP_LEN). */
const SETUP_BLOCKS = 4;
/** mkfs.btrfs refuses a device under 109 MiB. */
const IMAGE_MIB = 128;
const LOG_MIB = 1024;
const RECOVERY_BATCH = 15;
const BOOT_TIMEOUT_MS = 10 * 60 * 1000;

export type Setup = 'cow' | 'nocow' | 'prealloc';
export type SyncMode = 'dsync' | 'sync' | 'none';

export interface BtrfsCase {
  readonly id: number;
  readonly name: string;
  /** Mount options of the phase ('' for the defaults). */
  readonly mount: string;
  readonly setup: Setup;
  readonly sync: SyncMode;
  readonly pos: number;
  readonly len: number;
}

const SHAPES: ReadonlyArray<Omit<BtrfsCase, 'id' | 'name' | 'mount'> & { readonly shape: string }> = [
  { shape: 'a-dsync-cow-overwrite', setup: 'cow', sync: 'dsync', pos: BLOCK, len: BLOCK },
  { shape: 'b-sync-cow-overwrite', setup: 'cow', sync: 'sync', pos: BLOCK, len: BLOCK },
  { shape: 'c-dsync-extend', setup: 'cow', sync: 'dsync', pos: SETUP_BLOCKS * BLOCK, len: BLOCK },
  { shape: 'd-dsync-nocow-prealloc', setup: 'prealloc', sync: 'dsync', pos: BLOCK, len: BLOCK },
  { shape: 'e-dsync-nocow-overwrite', setup: 'nocow', sync: 'dsync', pos: BLOCK, len: BLOCK },
  { shape: 'f-nosync-cow-overwrite', setup: 'cow', sync: 'none', pos: BLOCK, len: BLOCK },
];

/** Every shape on a default mount, then on a nodatasum mount (real iomap direct writes to COW files). */
export const MOUNTS: readonly string[] = ['', 'nodatasum'];

export const CASES: readonly BtrfsCase[] = MOUNTS.flatMap((mount, m) =>
  SHAPES.map(({ shape, ...s }, i) => ({
    id: m * SHAPES.length + i + 1,
    name: `${mount === '' ? 'default' : mount}/${shape}`,
    mount,
    ...s,
  })),
);

/** The run boot's lines (btrfsDsync.c): the devices, then each phase's mount and cases. */
export function runLines(cases: readonly BtrfsCase[]): string[] {
  const lines = ['D'];
  let mount: string | null = null;
  for (const c of cases) {
    if (c.mount !== mount) {
      lines.push(`M ${c.mount === '' ? '-' : c.mount}`);
      mount = c.mount;
    }
    lines.push(`C ${c.id} ${c.setup} ${c.sync} ${c.pos} ${c.len}`);
  }
  return lines;
}

/**
 * A crash image to read: case `id` replayed to `mark` (st<id>: before the write; pl<id>: after it
 * returned), or for dt<id> through the first FUA write after st<id> only: the data of a
 * write-through direct write with nothing after it, the state the lead says the write returns in.
 */
export interface CrashImage {
  readonly id: number;
  readonly mark: string;
}

export function crashImages(cases: readonly BtrfsCase[]): CrashImage[] {
  return cases.flatMap((c) => [
    { id: c.id, mark: `st${c.id}` },
    ...(c.sync === 'dsync' ? [{ id: c.id, mark: `dt${c.id}` }] : []),
    { id: c.id, mark: `pl${c.id}` },
  ]);
}

/**
 * How many log entries the image `mark` replays: up to its mark (st, pl), or for dt<id> through
 * the first FUA write between st<id> and pl<id>; null when the log has no such point.
 */
export function replayCount(log: WriteLog, mark: string): number | null {
  if (!mark.startsWith('dt')) {
    const end = log.entries.findIndex((e) => e.mark === mark);
    return end < 0 ? null : end;
  }
  const id = mark.slice(2);
  const start = log.entries.findIndex((e) => e.mark === `st${id}`);
  const end = log.entries.findIndex((e) => e.mark === `pl${id}`);
  if (start < 0 || end < start) return null;
  for (let i = start + 1; i < end; i++) if ((log.entries[i]?.flags ?? 0) & LOG_FUA) return i + 1;
  return null;
}

/** The recovery boot's lines for a batch of crash images, ubd0.. in order. */
export function recoveryLines(batch: readonly CrashImage[]): string[] {
  return batch.map((im, ubd) => `R ${im.id} ${ubd} ${im.mark}`);
}

/** What the guest wrote for one case's write (btrfsDsync.c run_case). */
export interface RunRecord {
  readonly id: number;
  readonly setup: number;
  readonly ret?: number;
  readonly marks?: readonly number[];
  readonly trace?: readonly string[];
  readonly size?: number;
  readonly read?: number;
  readonly blocks?: string;
  readonly extents?: ReadonlyArray<readonly number[]>;
}

/** What the guest read from one crash image (btrfsDsync.c recover). */
export interface RecoveryRecord {
  readonly id: number;
  readonly mark: string;
  readonly mount: number;
  readonly open?: number;
  readonly size?: number;
  readonly read?: number;
  readonly blocks?: string;
  readonly extents?: ReadonlyArray<readonly number[]>;
  readonly klog?: string;
}

export interface Bio {
  /** major,minor */
  readonly dev: string;
  readonly rwbs: string;
  readonly sector: number;
  readonly sectors: number;
}

/** The bios of a trace (block_bio_queue lines), in order. */
export function traceBios(trace: readonly string[]): Bio[] {
  const bios: Bio[] = [];
  for (const line of trace) {
    const m = /block_bio_queue: (\d+,\d+) (\S+) (\d+) \+ (\d+)/.exec(line);
    if (m !== null)
      bios.push({ dev: m[1] as string, rwbs: m[2] as string, sector: Number(m[3]), sectors: Number(m[4]) });
  }
  return bios;
}

/** What one write did, from its trace, counted on the disk under dm-log-writes (scsi_debug: 8,0). */
export interface WriteSummary {
  /** iomap_dio_rw_begin ran: the write went through iomap, not btrfs's buffered fallback. */
  readonly iomapDio: boolean;
  /** The iomap_iter_dstmap mappings: "type flags" each. */
  readonly mappings: readonly string[];
  /** btrfs_sync_file calls (->fsync from generic_write_sync). */
  readonly syncFile: number;
  readonly commits: number;
  /** Writes with FUA, writes with PREFLUSH, flush-only bios, REQ_META writes, and all writes. */
  readonly fua: number;
  readonly preflush: number;
  readonly flushOnly: number;
  readonly meta: number;
  readonly writes: number;
}

export const DISK_DEV = '8,0';

export function summarizeWrite(trace: readonly string[], dev = DISK_DEV): WriteSummary {
  let fua = 0;
  let preflush = 0;
  let flushOnly = 0;
  let meta = 0;
  let writes = 0;
  for (const b of traceBios(trace)) {
    if (b.dev !== dev) continue;
    const f = parseRwbs(b.rwbs);
    if (b.sectors === 0 && f.preflush) flushOnly++;
    if (!f.write || b.sectors === 0) continue;
    writes++;
    if (f.fua) fua++;
    if (f.preflush) preflush++;
    if (b.rwbs.includes('M')) meta++;
  }
  const mappings = trace.flatMap((l) => {
    const m = /iomap_iter_dstmap: .* type (\S+) flags ?(\S*)/.exec(l);
    return m === null ? [] : [`${m[1]} ${m[2] === '' ? '-' : m[2]}`];
  });
  return {
    iomapDio: trace.some((l) => l.includes('iomap_dio_rw_begin:')),
    mappings,
    syncFile: trace.filter((l) => l.includes('btrfs_sync_file:')).length,
    commits: trace.filter((l) => l.includes('btrfs_transaction_commit:')).length,
    fua,
    preflush,
    flushOnly,
    meta,
    writes,
  };
}

export type Survival = 'durable' | 'lost' | 'unreadable';

/**
 * What a crash image kept of the case's write: durable when every written block reads as the
 * write's data and the size covers it; lost when the blocks read as before (the setup's data, or
 * zeros for a preallocated or new block) or the size stops short; unreadable otherwise (a mount,
 * open or read error, or data that is neither).
 */
export function survival(c: BtrfsCase, r: RecoveryRecord | undefined): { what: Survival; why: string } {
  if (r === undefined) return { what: 'unreadable', why: 'no record' };
  if (r.mount !== 0) return { what: 'unreadable', why: `mount ${r.mount}` };
  if (r.open !== 0) return { what: 'unreadable', why: `open ${r.open ?? 'missing'}` };
  if (r.read === undefined || r.read < 0) return { what: 'unreadable', why: `read ${r.read ?? 'missing'}` };
  const blocks = (r.blocks ?? '').split(' ');
  const first = c.pos / BLOCK;
  const written = blocks.slice(first, first + c.len / BLOCK);
  const end = c.pos + c.len;
  const desc = `size ${r.size ?? '?'}, blocks ${r.blocks ?? ''}`;
  if ((r.size ?? 0) >= end && written.length === c.len / BLOCK && written.every((b) => b === '1'))
    return { what: 'durable', why: desc };
  const before = c.setup === 'prealloc' || c.pos >= SETUP_BLOCKS * BLOCK ? ['z', '0'] : ['0'];
  if ((r.size ?? 0) < end || written.every((b) => before.includes(b))) return { what: 'lost', why: desc };
  return { what: 'unreadable', why: desc };
}

export interface CaseResult {
  readonly c: BtrfsCase;
  readonly ret: number | null;
  readonly write: WriteSummary | null;
  /** Before the write (st mark): the setup must have survived, or the case says nothing. */
  readonly before: { what: Survival; why: string; setupIntact: boolean };
  readonly after: { what: Survival; why: string };
  /** O_DSYNC only: the image with the log replayed through the write's FUA data alone. */
  readonly atDataFua: { what: Survival; why: string } | null;
}

/** Whether the st image holds the setup as made durable: its blocks all the setup's (or zeros). */
export function setupIntact(c: BtrfsCase, r: RecoveryRecord | undefined): boolean {
  if (r === undefined || r.mount !== 0 || r.open !== 0 || r.blocks === undefined) return false;
  const want = c.setup === 'prealloc' ? 'z' : '0';
  const blocks = r.blocks.split(' ').slice(0, SETUP_BLOCKS);
  return r.size === SETUP_BLOCKS * BLOCK && blocks.length === SETUP_BLOCKS && blocks.every((b) => b === want);
}

export function caseResult(
  c: BtrfsCase,
  run: RunRecord | undefined,
  st: RecoveryRecord | undefined,
  pl: RecoveryRecord | undefined,
  dt?: RecoveryRecord,
): CaseResult {
  const write = run?.trace === undefined ? null : summarizeWrite(run.trace);
  return {
    c,
    ret: run?.ret ?? null,
    write,
    before: { ...survival(c, st), setupIntact: setupIntact(c, st) },
    after: survival(c, pl),
    // Through the buffered fallback the first FUA write is the sync's super block, not the data.
    atDataFua: dt === undefined || write?.iomapDio !== true ? null : survival(c, dt),
  };
}

export type Verdict = 'refuted' | 'lost' | 'inconclusive';

/**
 * The run's answer. lost: some O_DSYNC or O_SYNC write that returned its count is not in its crash
 * image (a candidate kernel bug). refuted: every one is, every unsynced control was lost (so a
 * loss shows), and every case started from its intact setup. inconclusive otherwise.
 */
export function verdict(results: readonly CaseResult[]): { verdict: Verdict; reasons: string[] } {
  const reasons: string[] = [];
  let lost = false;
  let sound = true;
  for (const r of results) {
    const label = `${r.c.id} ${r.c.name}`;
    if (r.ret !== r.c.len) {
      reasons.push(`${label}: the write returned ${r.ret ?? 'nothing'}, not ${r.c.len}`);
      sound = false;
      continue;
    }
    if (!r.before.setupIntact) {
      reasons.push(`${label}: the image before the write does not hold the setup (${r.before.why})`);
      sound = false;
    }
    if (r.c.sync === 'none') {
      if (r.after.what !== 'lost') {
        reasons.push(
          `${label}: the unsynced control is ${r.after.what} (${r.after.why}): a loss could not show`,
        );
        sound = false;
      }
    } else if (r.after.what === 'lost') {
      reasons.push(
        `${label}: returned ${r.ret} with O_${r.c.sync.toUpperCase()}, lost at power loss (${r.after.why})`,
      );
      lost = true;
    } else if (r.after.what !== 'durable') {
      reasons.push(`${label}: crash image ${r.after.what} (${r.after.why})`);
      sound = false;
    }
  }
  if (lost) return { verdict: 'lost', reasons };
  return { verdict: sound ? 'refuted' : 'inconclusive', reasons };
}

/** One line per case: what the write did and what survived. */
export function formatResult(r: CaseResult): string {
  const w = r.write;
  const io =
    w === null
      ? 'no trace'
      : `${w.iomapDio ? `iomap dio [${w.mappings.join(', ')}]` : 'buffered fallback'}, sync_file ${w.syncFile}, commits ${w.commits}; disk: ${w.writes} writes (${w.fua} FUA, ${w.preflush} PREFLUSH, ${w.meta} META), ${w.flushOnly} flushes`;
  return `${String(r.c.id).padStart(2)} ${r.c.name.padEnd(36)} ret ${r.ret ?? '-'}; ${io}; after power loss: ${r.after.what} (${r.after.why})${r.atDataFua === null ? '' : `; at its FUA data alone: ${r.atDataFua.what}`}`;
}

export class BtrfsDsyncUsageError extends Error {}

export interface BtrfsDsyncOptions {
  readonly release: ReleaseName;
  readonly cache: string;
  readonly json: string | null;
}

export const USAGE = 'usage: npx tsx scripts/oracle/btrfsDsync.ts [--release R] [--cache DIR] [--json FILE]';

export function parseBtrfsDsyncArgs(argv: readonly string[]): BtrfsDsyncOptions | 'help' {
  if (asksHelp(argv)) return 'help';
  const parsed = parseScriptOptions(
    'btrfsDsync',
    argv,
    { values: ['release', 'cache', 'json'] },
    BtrfsDsyncUsageError,
  );
  const name = parsed.options.get('release') ?? '6.12.117';
  const release = releaseNamed(name);
  if (release === undefined)
    throw new BtrfsDsyncUsageError(
      `unknown release '${name}' (one of: ${RELEASES.map((r) => r.name).join(', ')})`,
    );
  const cache =
    parsed.options.get('cache') ??
    process.env.DIOCHECK_ORACLE_CACHE ??
    join(homedir(), '.cache', 'diocheck', 'oracle');
  const json = parsed.options.get('json');
  return { release, cache: resolve(cache), json: json === undefined ? null : resolve(json) };
}

/** Parses the guest's JSON lines; a line that is not JSON is an Error naming it. */
export function parseLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new Error(`the guest wrote a line that is not JSON: ${l.slice(0, 80)}`);
      }
    });
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

interface Paths {
  readonly kernel: string;
  readonly root: string;
  readonly work: string;
}

/** Boots the btrfs kernel on `images` (ubd0..) with `lines` as the guest's input; returns its output. */
function boot(
  p: Paths,
  images: readonly string[],
  lines: readonly string[],
  scsiDebug: boolean,
  cache: string,
): Promise<string> {
  const input = join(p.root, 'btrfs-dsync.txt');
  const output = join(p.root, 'btrfs-dsync.jsonl');
  writeFileSync(input, `${lines.join('\n')}\n`);
  rmSync(output, { force: true });
  const args = [
    '-c',
    '0',
    p.kernel,
    'mem=384M',
    'rootfstype=hostfs',
    `rootflags=${p.root}`,
    'rw',
    ...images.map((img, i) => `ubd${i}=${img}`),
    'init=/btrfs-dsync',
    ...(scsiDebug
      ? [
          'scsi_debug.add_host=1',
          `scsi_debug.dev_size_mb=${IMAGE_MIB}`,
          'scsi_debug.sector_size=4096',
          'scsi_debug.delay=0',
        ]
      : []),
    'con=null',
    'con0=null,fd:1',
    'quiet',
  ];
  return bootUml(args, cache, BOOT_TIMEOUT_MS).then((exit) => {
    if (exit.code !== 0 || !existsSync(output)) {
      const consoleLog = join(p.work, 'console.log');
      writeFileSync(consoleLog, exit.console);
      const how = exit.timedOut ? 'timed out' : `exited ${exit.code} without results`;
      throw new Error(`UML ${how} (its console: ${consoleLog})`);
    }
    return readFileSync(output, 'utf8');
  });
}

export async function runBtrfsDsync(
  o: BtrfsDsyncOptions,
  say: (line: string) => void,
): Promise<{ results: CaseResult[]; verdict: ReturnType<typeof verdict>; uname: string; queues: unknown }> {
  say(`btrfsDsync: building or reusing the btrfs kernel of ${o.release} in ${o.cache}`);
  run('bash', [join(HERE, 'build-kernel.sh'), o.cache, o.release], {
    ...process.env,
    DIOCHECK_KERNEL_FLAVOR: 'btrfs',
  });
  const p: Paths = {
    kernel: join(o.cache, 'kernels', `${o.release}-btrfs`, 'linux.uml'),
    root: join(o.cache, 'root'),
    work: join(o.cache, 'work', `btrfs-dsync-${o.release}`),
  };
  run('gcc', ['-O2', '-static', '-Wall', '-o', join(p.root, 'btrfs-dsync'), join(HERE, 'btrfsDsync.c')]);
  rmSync(p.work, { recursive: true, force: true });
  mkdirSync(p.work, { recursive: true });
  const pristine = join(p.work, 'pristine.img');
  writeFileSync(pristine, '');
  truncateSync(pristine, IMAGE_MIB << 20);
  run('mkfs.btrfs', ['-q', '-f', pristine]);
  const source = join(p.work, 'source.img');
  copyFileSync(pristine, source);
  const logImage = join(p.work, 'log.img');
  writeFileSync(logImage, '');
  truncateSync(logImage, LOG_MIB << 20);
  say(`btrfsDsync: ${CASES.length} cases`);
  const first = parseLines<Record<string, unknown>>(
    await boot(p, [source, logImage], runLines(CASES), true, o.cache),
  );
  const uname = String(first.find((l) => 'uname' in l)?.uname ?? '');
  if (!kernelIsRelease(uname, o.release))
    throw new Error(`${p.kernel} says it is '${uname}', not ${o.release}`);
  const devices = first.find((l) => 'devices' in l);
  if (devices?.devices !== 0)
    throw new Error(`the guest could not set up its devices: ${JSON.stringify(devices)}`);
  const fatal = first.find((l) => 'fatal' in l);
  if (fatal !== undefined) throw new Error(`guest: ${String(fatal.fatal)}`);
  for (const m of first.filter((l) => 'mount' in l))
    if (m.ret !== 0) throw new Error(`mount -o '${String(m.mount)}' failed: ${String(m.ret)}`);
  const runs = new Map<number, RunRecord>();
  for (const l of first) if ('id' in l) runs.set(Number(l.id), l as unknown as RunRecord);
  const log = readWriteLog(logImage);
  const images = crashImages(CASES);
  const recovered = new Map<string, RecoveryRecord>();
  for (let i = 0; i < images.length; i += RECOVERY_BATCH) {
    const batch = images.slice(i, i + RECOVERY_BATCH);
    const files = batch.map((im) => {
      const file = join(p.work, `${im.mark}.img`);
      copyFileSync(pristine, file);
      const count = replayCount(log, im.mark);
      if (count === null) throw new Error(`crash point ${im.mark} is not in the log`);
      replayEntries(logImage, log, count, file);
      return file;
    });
    const out = parseLines<RecoveryRecord & { uname?: string }>(
      await boot(p, files, recoveryLines(batch), false, o.cache),
    );
    for (const r of out) if (r.uname === undefined) recovered.set(r.mark, r);
    for (const f of files) rmSync(f, { force: true });
  }
  writeFileSync(
    join(p.work, 'run.json'),
    JSON.stringify({ first, recovered: [...recovered.values()] }, null, 1),
  );
  const results = CASES.map((c) =>
    caseResult(
      c,
      runs.get(c.id),
      recovered.get(`st${c.id}`),
      recovered.get(`pl${c.id}`),
      recovered.get(`dt${c.id}`),
    ),
  );
  return { results, verdict: verdict(results), uname, queues: devices.queues };
}

async function main(): Promise<void> {
  const o = scriptArgsOrExit('btrfsDsync', USAGE, parseBtrfsDsyncArgs);
  if (o === null) return;
  const say = (l: string) => process.stdout.write(`${l}\n`);
  try {
    const r = await runBtrfsDsync(o, say);
    say(`btrfsDsync: ${r.uname}; queues ${JSON.stringify(r.queues)}`);
    for (const c of r.results) say(formatResult(c));
    say(
      `btrfsDsync: ${r.verdict.verdict}${r.verdict.reasons.length ? `:\n  ${r.verdict.reasons.join('\n  ')}` : ''}`,
    );
    if (o.json !== null)
      writeFileSync(
        o.json,
        `${JSON.stringify({ uname: r.uname, queues: r.queues, verdict: r.verdict, results: r.results }, null, 1)}\n`,
      );
    process.exitCode = r.verdict.verdict === 'refuted' ? 0 : r.verdict.verdict === 'lost' ? 1 : 3;
  } catch (e) {
    process.stderr.write(`btrfsDsync: ${(e as Error).message.split('\n', 1)[0]}\n`);
    process.exitCode = 3;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
