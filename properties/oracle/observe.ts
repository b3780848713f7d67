/**
 * What one oracle case shows, in a form both sides produce: the real kernel (the agent's JSON
 * line, scripts/oracle/agent.c) and the model (a run of the case's scenario). Comparing two
 * observations field by field is the conformance check.
 *
 * - ops: each operation's result (bytes, or -errno) and, for reads, what each 512-byte sector of
 *   the user buffer held afterwards, by origin: `z` zeros, `s` stale disk contents, `u` untouched,
 *   `<write>.<unit>` unit <unit> of write <write>'s buffer (write 0 is the initial data). An mmap
 *   read is reduced to the EOF block, which is what the model's mmap read returns.
 * - size: i_size at the end; final / contents: a last O_DIRECT read of the whole window; after a
 *   power loss, all of these are of the file on the crash image after log recovery (`missing` if
 *   recovery lost the file), and the operations' results are those returned before it;
 * - extents: the state of every block of the window after that read: W written, U unwritten,
 *   D delalloc, H hole (from FIEMAP on the real side, the model filesystem's data fork here);
 * - ops[].bios: every bio an operation submitted, in order (the block_bio_queue tracepoint on the
 *   real side, the device's log here), until it returned. A read or write of the file's blocks is
 *   `r`/`w` with its file offset and length in bytes, then `F` for FUA and `P` for PREFLUSH; an
 *   empty flush, or any other bio with PREFLUSH (a log write), is a `flush` (repeats collapse), and
 *   other metadata I/O is left out: the model's journal is not XFS's log format, only its ordering.
 * - ops[].polled: on a disk with a poll queue (OracleCase.poll) only, the bios of an io_uring
 *   request that went to the poll queue: the agent's count of the disk's requests still in flight
 *   after the submission returned (only a poll completes them there), the model's REQ_POLLED bios
 *   that submit_bio queued.
 * Sector runs are compressed (`3.0-7` is write 3, units 0 to 7; `z*4` four zero sectors).
 */

import { EXT_DELALLOC, EXT_UNWRITTEN, EXT_WRITTEN } from '../../model/fs/extentMap.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { formatTag, isUserTag, TAG_STALE, TAG_UNTOUCHED, TAG_ZERO } from '../../model/mm/tags.ts';
import type { ChoiceSource } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { Probe, WorldView } from '../../model/world/probe.ts';
import type { RecoveredFile } from '../../model/fs/xfs.ts';
import {
  type Bio,
  REQ_FUA,
  REQ_NOWAIT,
  REQ_OP_MASK,
  REQ_OP_READ,
  REQ_POLLED,
  REQ_PREFLUSH,
} from '../../model/block/bio.ts';
import type { OpSpec, Scenario } from '../../model/world/scenario.ts';
import { type OracleCase, POLL_MAX_SECTORS, WINDOW_BLOCKS } from './corpus.ts';

export interface OpObservation {
  readonly id: number;
  readonly ret: number;
  readonly data?: string;
  readonly bios?: string;
  readonly polled?: number;
}

export interface Observation {
  readonly ops: readonly OpObservation[];
  readonly size: number;
  readonly final: number;
  readonly contents: string;
  readonly extents: string;
  /**
   * A power-loss case: the file after log recovery at each durability point of its operations (after
   * each flush or FUA write, the kernel's from the dm-log-writes log, the model's from its device)
   * and at the power loss, as `size contents | extents`, repeats collapsed.
   */
  readonly points?: readonly string[];
}

/** One bio as both sides report it: disk byte address, length, and its flags. */
interface BioSeen {
  readonly addr: number;
  readonly bytes: number;
  readonly write: boolean;
  readonly fua: boolean;
  readonly preflush: boolean;
}

/** The file's blocks on disk, as [file offset, disk byte address, length] runs. */
type PhysicalMap = ReadonlyArray<readonly [number, number, number]>;

/** The bio sequence token string (see the file comment). */
export function bioTokens(bios: readonly BioSeen[], map: PhysicalMap): string {
  const out: string[] = [];
  for (const b of bios) {
    const run = map.find(([, addr, len]) => b.addr >= addr && b.addr < addr + len);
    let t: string | null = null;
    if (b.bytes > 0 && run !== undefined) {
      t = `${b.write ? 'w' : 'r'}${run[0] + (b.addr - run[1])}+${b.bytes}${b.fua ? 'F' : ''}${b.preflush ? 'P' : ''}`;
    } else if (b.preflush || b.bytes === 0) {
      t = 'flush';
    }
    if (t !== null && !(t === 'flush' && out[out.length - 1] === 'flush')) out.push(t);
  }
  return out.join(' ');
}

/** Parses the kernel's rwbs: an F before the operation letter is PREFLUSH, one after it FUA. */
export function parseRwbs(rwbs: string): { write: boolean; fua: boolean; preflush: boolean } {
  const m = /^(F?)([RWDN])(F?)/.exec(rwbs);
  return { write: m?.[2] === 'W', fua: m?.[3] === 'F', preflush: m?.[1] === 'F' };
}

/** Compresses per-sector tokens into runs. */
export function compressTokens(tokens: readonly string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i] as string;
    const dot = t.indexOf('.');
    let j = i + 1;
    if (dot < 0) {
      while (j < tokens.length && tokens[j] === t) j++;
      out.push(j - i > 1 ? `${t}*${j - i}` : t);
    } else {
      const w = t.slice(0, dot);
      const u0 = Number(t.slice(dot + 1));
      while (j < tokens.length && tokens[j] === `${w}.${u0 + (j - i)}`) j++;
      out.push(j - i > 1 ? `${w}.${u0}-${u0 + (j - i) - 1}` : t);
    }
    i = j;
  }
  return out.join(' ');
}

/** Compresses per-block states (W, U, D, H) into runs: `W2H2U2W2`. */
export function compressBlocks(states: readonly string[]): string {
  let out = '';
  let i = 0;
  while (i < states.length) {
    let j = i + 1;
    while (j < states.length && states[j] === states[i]) j++;
    out += `${states[i]}${j - i}`;
    i = j;
  }
  return out;
}

function tagToken(tag: number): string {
  if (tag === TAG_ZERO) return 'z';
  if (tag === TAG_STALE) return 's';
  if (tag === TAG_UNTOUCHED || !isUserTag(tag)) return 'u';
  return formatTag(tag).slice(1).replace('+', '.');
}

/**
 * Sectors a result of `bytes` covers whole. A sector covered in part is left out on both sides: the
 * model keeps provenance per 512-byte sector, so it cannot say that a sector was zeroed in part
 * (a 100-byte read of a hole), while the kernel's buffer then holds zeros and the untouched fill.
 */
function sectors(bytes: number): number {
  return Math.floor(bytes / 512);
}

/** The case as a model scenario: one thread, its operations, then the final read of the window. */
export function caseScenario(c: OracleCase): Scenario {
  const last: OpSpec = c.powerLoss
    ? { kind: 'power_loss' }
    : { kind: 'dio_read', pos: 0, len: WINDOW_BLOCKS * c.blockSize };
  return {
    // UML's ubd has a volatile cache and no FUA; the dm-log-writes device of a power-loss case
    // advertises FUA (6.12 drivers/md/dm-table.c L1878-1879) and the block layer emulates it below;
    // scsi_debug with 4096-byte sectors, and null_blk with a cache, have a volatile cache and FUA
    // (6.12 drivers/block/null_blk/main.c L1945-1949).
    device: {
      logicalBlockSize: c.sectorSize,
      fua: c.powerLoss || c.sectorSize === 4096 || c.poll === true,
      writeCache: true,
    },
    fs: {
      // Each case on the model of its filesystem: ext4 cases on the model ext4 (model/fs/ext4.ts).
      model: c.fs,
      blockSize: c.blockSize,
      iSize: c.iSize,
      extents: c.extents,
      // Setting an EOF inside a block zeroes its tail through the page cache (iomap_truncate_page):
      // after the setup's fsync that page stays cached, clean, on the real kernel too.
      ...(c.iSize % c.blockSize ? { pageCache: [{ index: Math.floor(c.iSize / 4096), dirty: false }] } : {}),
    },
    bioMaxVecs: 256,
    // The agent reaps each aio request before its next step (io_getevents), and so does the model.
    threads: [[...c.ops.flatMap((op): OpSpec[] => ('async' in op && op.async ? [op, WAIT] : [op])), last]],
  };
}

const WAIT: OpSpec = { kind: 'wait_async' };

/**
 * The uneventful run, except that the first bio submitted fails inside submit_bio when asked, as
 * fail_make_request fails it on the real kernel (times 1, interval 1); and that on a null_blk disk
 * (OracleCase.poll) the device refuses a REQ_NOWAIT bio larger than its max_sectors with
 * BLK_STS_AGAIN, as blk_mq_submit_bio does when it would have to split one (6.12.107
 * block/blk-merge.c L360-364 and L108-115, block/blk-mq.c L3091-3093). Only a polled bio of a
 * NOWAIT kiocb is REQ_NOWAIT (bio_set_polled, 6.12.107 include/linux/bio.h L671-676), and
 * iomap_dio_submit_bio makes it iocb->private before submitting it (seed L73-74): the bio asked about.
 */
class FailFirstBio implements ChoiceSource {
  private failed = false;
  /** The run's world, to see when the case's operations are over (the agent disarms there). */
  world: WorldView | null = null;
  /** Serials of the bios refused for a split: the kernel traced them (block_bio_queue) before. */
  readonly refused = new Set<number>();
  constructor(
    private readonly fail: boolean,
    private readonly opCount: number,
    private readonly maxBytes: number,
  ) {}
  next(_n: number, label: string): number {
    if (label === 'submit_would_block') {
      const requests = this.world?.requests ?? [];
      const bio = requests[requests.length - 1]?.iocb.private as Bio | null | undefined;
      if (bio === null || bio === undefined || !(bio.biOpf & REQ_NOWAIT) || bio.biSize <= this.maxBytes)
        return 0;
      this.refused.add(bio.serial);
      return 1;
    }
    if (!this.fail || this.failed || label !== 'submit_fails') return 0;
    if (this.world?.requests.some((r) => r.id > this.opCount)) return 0;
    this.failed = true;
    return 1;
  }
}

/** The run options of a case: its source, and the fault classes it injects. */
function caseRun(c: OracleCase, ops: Readonly<KernelOps>) {
  const poll = c.poll === true;
  const source = new FailFirstBio(c.failFirstBio, c.ops.length, poll ? POLL_MAX_SECTORS * 512 : Infinity);
  return {
    source,
    faults: { ...NO_FAULTS, submitErrors: c.failFirstBio, wouldBlock: poll },
    ops,
    observe: (w: WorldView) => {
      source.world = w;
    },
  };
}

/**
 * The model's run of a case as observeModel runs it (the same scenario and choices), with a probe
 * of invariants added, and without the final read of the window when `finalRead` is false (that
 * read is the oracle's way of looking, not one of the case's operations): diocheck confirm checks
 * that the case it sends to the kernel still shows the finding on the model.
 */
export function runCaseOnModel(
  c: OracleCase,
  ops: Readonly<KernelOps>,
  probe: Probe,
  finalRead = true,
): RunResult {
  const scenario = caseScenario(c);
  const thread = scenario.threads[0] ?? [];
  const threads = finalRead || c.powerLoss ? scenario.threads : [thread.slice(0, -1)];
  return runScenario({ ...scenario, threads }, { ...caseRun(c, ops), probe });
}

const STATE_LETTER: Record<number, string> = {
  [EXT_WRITTEN]: 'W',
  [EXT_UNWRITTEN]: 'U',
  [EXT_DELALLOC]: 'D',
};

function blockStates(state: Int8Array): string {
  const states: string[] = [];
  for (let b = 0; b < WINDOW_BLOCKS; b++) states.push(STATE_LETTER[state[b] ?? 0] ?? 'H');
  return compressBlocks(states);
}

/** A file that log recovery did not bring back. */
const MISSING = { size: -1, final: 0, contents: '', extents: 'missing' } as const;

/** The file as log recovery left it, observed as a final read would see it. */
function recoveredState(c: OracleCase, rec: RecoveredFile | null): Omit<Observation, 'ops'> {
  if (rec === null) return MISSING;
  const finalBytes = Math.min(rec.size, WINDOW_BLOCKS * c.blockSize);
  return {
    size: rec.size,
    final: finalBytes,
    contents: compressTokens(Array.from(rec.tags.subarray(0, sectors(finalBytes)), tagToken)),
    extents: blockStates(rec.map.state),
  };
}

/** A crash point's state in one line. */
function pointText(o: Omit<Observation, 'ops'>): string {
  return `${o.size} ${o.contents} | ${o.extents}`;
}

/** Drops each state equal to the one before it. */
function collapse(points: readonly string[]): string[] {
  return points.filter((p, i) => i === 0 || p !== points[i - 1]);
}

/** Flush and FUA bios the device has completed (logged, not failed at submission, not in flight). */
function durableBiosCompleted(w: WorldView): number {
  const inFlight = new Set(w.disk.inFlight.map((b) => b.serial));
  let n = 0;
  for (const b of w.disk.log)
    if (!b.submitFailed && b.opf & (REQ_FUA | REQ_PREFLUSH) && !inFlight.has(b.serial)) n++;
  return n;
}

/** The uneventful run, except that power fails at the first device step after `k` flush or FUA bios completed. */
class PowerAfterDurableBios implements ChoiceSource {
  world: WorldView | null = null;
  fired = false;
  constructor(private readonly k: number) {}
  next(_n: number, label: string): number {
    if (label !== 'power_loss' || this.fired || this.world === null) return 0;
    if (durableBiosCompleted(this.world) < this.k) return 0;
    this.fired = true;
    return 1;
  }
}

/**
 * The model's crash states inside a power-loss case: power fails right after its 1st, 2nd, ...
 * flush or FUA bio, until the case's own power loss comes first.
 */
function modelDurabilityPoints(c: OracleCase, ops: Readonly<KernelOps>): Array<Omit<Observation, 'ops'>> {
  const out: Array<Omit<Observation, 'ops'>> = [];
  for (let k = 1; k <= 64; k++) {
    const source = new PowerAfterDurableBios(k);
    const r = runScenario(caseScenario(c), {
      source,
      faults: { ...NO_FAULTS, powerLoss: true },
      ops,
      observe: (w) => {
        source.world = w;
      },
    });
    if (!source.fired) break;
    out.push(recoveredState(c, r.crash?.recovered ?? null));
  }
  return out;
}

/** Runs the case on the model with `ops` (by default as Linux 6.12) and observes it. */
export function observeModel(
  c: OracleCase,
  ops: Readonly<KernelOps> = KERNEL_VERSIONS['6.12.117'],
): Observation {
  const r = runScenario(caseScenario(c), caseRun(c, ops));
  const finalId = c.ops.length + 1;
  const byId = new Map<number, OpObservation>();
  let final = 0;
  let contents = '';
  for (const q of r.requests) {
    const ret = q.completions[0]?.res ?? q.returned ?? 0;
    const data =
      q.op.kind === 'dio_read' && ret > 0
        ? compressTokens(Array.from(q.buf.tags.subarray(0, sectors(ret)), tagToken))
        : undefined;
    if (q.id === finalId) {
      final = ret;
      contents = data ?? '';
    } else byId.set(q.id, { id: q.id, ret, ...(data === undefined ? {} : { data }) });
  }
  for (const s of r.syncs) byId.set(s.id, { id: s.id, ret: s.returned ?? 0 });
  for (const f of r.fileOps) {
    const ret = f.returned ?? 0;
    const reads = f.op.kind === 'buffered_read' || f.op.kind === 'mmap_read';
    const data =
      reads && ret > 0 && f.buf !== null
        ? compressTokens(Array.from(f.buf.tags.subarray(0, sectors(ret)), tagToken))
        : undefined;
    byId.set(f.id, { id: f.id, ret, ...(data === undefined ? {} : { data }) });
  }
  const bios = modelBios(c, ops);
  const opsSeen = [...byId.values()]
    .sort((a, b) => a.id - b.id)
    .map((o) => {
      const seen = bios.get(o.id);
      const b = seen?.tokens ?? '';
      const polled = c.poll === true && isUring(c.ops[o.id - 1]) ? { polled: seen?.polled ?? 0 } : {};
      return b === '' ? { ...o, ...polled } : { ...o, bios: b, ...polled };
    });
  if (c.powerLoss) {
    const last = recoveredState(c, r.crash?.recovered ?? null);
    return {
      ops: opsSeen,
      ...last,
      points: collapse([...modelDurabilityPoints(c, ops), last].map(pointText)),
    };
  }
  const states: string[] = [];
  for (let b = 0; b < WINDOW_BLOCKS; b++) states.push(STATE_LETTER[r.xfs?.map.state[b] ?? 0] ?? 'H');
  return {
    ops: opsSeen,
    size: r.inode.iSize,
    final,
    contents,
    extents: compressBlocks(states),
  };
}

/** An operation the agent issues through its IOPOLL ring: an async kiocb with IOCB_HIPRI. */
function isUring(op: OpSpec | undefined): boolean {
  return (
    op !== undefined &&
    (op.kind === 'dio_read' || op.kind === 'dio_write') &&
    op.async === true &&
    op.iocbFlags?.includes('hipri') === true
  );
}

/**
 * The bios of each of the case's operations on the model, by operation id: the same run without the
 * final read (the same choices give the same prefix), each bio the operation's whose step falls
 * between its start and the next one's, mapped through the data fork as it stands at the end; and
 * how many of them were REQ_POLLED and queued. A bio that failed inside submit_bio is left out
 * (fail_make_request fails it before the block_bio_queue tracepoint, 6.12.107 block/blk-core.c
 * L786-787 and L728), except one refused for a split, after it (FailFirstBio).
 */
function modelBios(c: OracleCase, ops: Readonly<KernelOps>): Map<number, { tokens: string; polled: number }> {
  const scenario = caseScenario(c);
  const thread = scenario.threads[0] ?? [];
  const run = caseRun(c, ops);
  // A crash case ends at power loss, which is where its bios end too; others drop the final read.
  const r = runScenario({ ...scenario, threads: [c.powerLoss ? thread : thread.slice(0, -1)] }, run);
  const refused = run.source.refused;
  const bs = c.blockSize;
  const map: Array<[number, number, number]> = [];
  const fork = r.xfs?.map;
  for (let b = 0; fork !== undefined && b < fork.blocks; b++) {
    const addr = fork.addr[b] ?? -1;
    if (addr >= 0 && (fork.state[b] === EXT_WRITTEN || fork.state[b] === EXT_UNWRITTEN))
      map.push([b * bs, addr * bs, bs]);
  }
  const starts = [...r.requests, ...r.syncs, ...r.fileOps]
    .map((x) => [x.id, x.startStep] as const)
    .sort((a, b) => a[0] - b[0]);
  const out = new Map<number, { tokens: string; polled: number }>();
  starts.forEach(([id, from], i) => {
    const to = starts[i + 1]?.[1] ?? Number.POSITIVE_INFINITY;
    const logged = r.disk.log.filter(
      (b) => (!b.submitFailed || refused.has(b.serial)) && b.step >= from && b.step < to,
    );
    const polled = logged.filter((b) => !b.submitFailed && b.opf & REQ_POLLED).length;
    const seen: BioSeen[] = logged.map((b) => ({
      addr: b.sector * 512,
      bytes: b.size,
      write: (b.opf & REQ_OP_MASK) !== REQ_OP_READ,
      fua: (b.opf & REQ_FUA) !== 0,
      preflush: (b.opf & REQ_PREFLUSH) !== 0,
    }));
    out.set(id, { tokens: bioTokens(seen, map), polled });
  });
  return out;
}

/** One line of the agent's output for a case, as JSON. */
export interface AgentRecord {
  readonly id: number;
  readonly setup?: boolean;
  /** Recovery boots: whether the crash image still had the file. */
  readonly recovered?: boolean;
  readonly fatal?: string;
  readonly ops?: ReadonlyArray<{
    id?: number;
    ret?: number;
    data?: string;
    /** block_bio_queue events of the operation on the file's disk: sector, sectors, rwbs. */
    bios?: ReadonlyArray<readonly [number, number, string]>;
    pos?: number;
    size?: number;
    setupError?: string;
    /** Where power fails: the result of writing the dm-log-writes mark (0, or -errno). */
    powerLoss?: number;
    /** Only when writing the start mark failed: its -errno. */
    startMark?: number;
    /** Only when taking the buffer's bad page away, or giving it back, failed: its -errno. */
    badPage?: number;
    /** io_uring requests: the disk's requests in flight after the submission returned (-1: unknown). */
    polled?: number;
  }>;
  readonly size?: number;
  readonly final?: number;
  readonly contents?: string;
  /** FIEMAP: logical, length, flags, physical (bytes). */
  readonly extents?: ReadonlyArray<readonly [number, number, number, number?]>;
}

const FIEMAP_EXTENT_DELALLOC = 0x4;
const FIEMAP_EXTENT_UNWRITTEN = 0x800;

/** The agent's record of a case, observed as the model's run is; an error names what is wrong. */
export function observeReal(
  c: OracleCase,
  rec: AgentRecord,
  recovered?: readonly AgentRecord[],
): Observation {
  if (rec.fatal !== undefined) throw new Error(`case ${c.id}: ${rec.fatal}`);
  const setupErrors = (rec.ops ?? []).filter((o) => o.setupError !== undefined);
  if (rec.setup !== true || setupErrors.length > 0)
    throw new Error(`case ${c.id}: setup failed ${JSON.stringify(setupErrors)}`);
  const bs = c.blockSize;
  const map: PhysicalMap = (rec.extents ?? []).map(([lo, len, , phys]) => [lo, phys ?? -1, len] as const);
  const ops: OpObservation[] = [];
  for (const o of rec.ops ?? []) {
    if (o.startMark !== undefined) throw new Error(`case ${c.id}: the start mark failed (${o.startMark})`);
    if (o.badPage !== undefined)
      throw new Error(`case ${c.id}: op ${o.id}: the bad page of its buffer failed (${o.badPage})`);
    if (o.powerLoss !== undefined) {
      // The dm-log-writes mark where power fails; the crash image is replayed to it.
      if (o.powerLoss !== 0) throw new Error(`case ${c.id}: the power-loss mark failed (${o.powerLoss})`);
      continue;
    }
    const id = o.id ?? 0;
    const op = c.ops[id - 1];
    let ret = o.ret ?? 0;
    let tokens = o.data === undefined ? null : o.data.split(' ').slice(0, sectors(ret));
    if (op?.kind === 'mmap_read' && ret > 0 && tokens !== null) {
      // The agent maps the EOF page; the model's mmap read returns the EOF block.
      const size = o.size ?? 0;
      const block = Math.floor(Math.max(0, size - 1) / bs) * bs;
      const from = (block - (o.pos ?? 0)) / 512;
      tokens = tokens.slice(from, from + bs / 512);
      ret = bs;
    }
    const bios = bioTokens(
      (o.bios ?? []).map(([sector, n, rwbs]) => ({ addr: sector * 512, bytes: n * 512, ...parseRwbs(rwbs) })),
      map,
    );
    if (o.polled !== undefined && o.polled < 0)
      throw new Error(`case ${c.id}: op ${id}: the disk's requests in flight could not be read`);
    ops.push({
      id,
      ret,
      ...(tokens === null ? {} : { data: compressTokens(tokens) }),
      ...(bios === '' ? {} : { bios }),
      // Only a disk with a poll queue tells a polled request apart (OracleCase.poll).
      ...(o.polled === undefined || c.poll !== true ? {} : { polled: o.polled }),
    });
  }
  if (c.powerLoss) {
    if (recovered === undefined || recovered.length === 0)
      throw new Error(`case ${c.id}: no crash image was recovered`);
    const states = recovered.map((p, i) => {
      if (p === undefined) throw new Error(`case ${c.id}: crash point ${i} was not recovered`);
      if (p.fatal !== undefined) throw new Error(`case ${c.id}: ${p.fatal}`);
      return p.recovered === true ? fileState(c, p) : MISSING;
    });
    const last = states[states.length - 1] as Omit<Observation, 'ops'>;
    return { ops, ...last, points: collapse(states.map(pointText)) };
  }
  return { ops, ...fileState(c, rec) };
}

/** Size, final read and block states of a file, from the agent's report of it. */
function fileState(c: OracleCase, rec: AgentRecord): Omit<Observation, 'ops'> {
  const bs = c.blockSize;
  const states: string[] = [];
  for (let b = 0; b < WINDOW_BLOCKS; b++) {
    const off = b * bs;
    const e = (rec.extents ?? []).find(([lo, len]) => off >= lo && off < lo + len);
    if (e === undefined) states.push('H');
    else if (e[2] & FIEMAP_EXTENT_UNWRITTEN) states.push('U');
    else if (e[2] & FIEMAP_EXTENT_DELALLOC) states.push('D');
    else states.push('W');
  }
  return {
    size: rec.size ?? -1,
    final: rec.final ?? 0,
    contents:
      rec.contents === undefined
        ? ''
        : compressTokens(rec.contents.split(' ').slice(0, sectors(rec.final ?? 0))),
    extents: compressBlocks(states),
  };
}

/** The fields where two observations differ, each as `field: model … kernel …`. */
export function diffObservations(model: Observation, real: Observation): string[] {
  const out: string[] = [];
  const ids = new Set([...model.ops.map((o) => o.id), ...real.ops.map((o) => o.id)]);
  for (const id of [...ids].sort((a, b) => a - b)) {
    const m = model.ops.find((o) => o.id === id);
    const k = real.ops.find((o) => o.id === id);
    if (m?.ret !== k?.ret) out.push(`op ${id} result: model ${m?.ret} kernel ${k?.ret}`);
    else if ((m?.data ?? '') !== (k?.data ?? ''))
      out.push(`op ${id} data: model ${m?.data} kernel ${k?.data}`);
    if ((m?.bios ?? '') !== (k?.bios ?? ''))
      out.push(`op ${id} bios: model ${m?.bios ?? ''} kernel ${k?.bios ?? ''}`);
    if (m?.polled !== k?.polled) out.push(`op ${id} polled: model ${m?.polled} kernel ${k?.polled}`);
  }
  if (model.size !== real.size) out.push(`size: model ${model.size} kernel ${real.size}`);
  if (model.final !== real.final) out.push(`final read: model ${model.final} kernel ${real.final}`);
  else if (model.contents !== real.contents)
    out.push(`contents: model ${model.contents} kernel ${real.contents}`);
  if (model.extents !== real.extents) out.push(`extents: model ${model.extents} kernel ${real.extents}`);
  const mp = (model.points ?? []).join(' ; ');
  const kp = (real.points ?? []).join(' ; ');
  if (mp !== kp) out.push(`crash points: model ${mp} kernel ${kp}`);
  return out;
}
