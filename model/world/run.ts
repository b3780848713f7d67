/**
 * Runs one scenario under one choice stream: builds the runtime, the disk, the filesystem (the
 * model XFS, or the scripted provider), the inode and the threads, steps the contexts to
 * quiescence or power loss, and then checks what the runtime itself can judge: at quiescence no
 * leaked object or pinned page, balanced inode_dio_begin/end, exactly one result per request;
 * after power loss, the filesystem's recovery is run and its result kept for the checkers.
 *
 * The same scenario and the same choices give the same run, step for step: nothing here reads a
 * clock, a random source or an iteration order that depends on anything but the run itself.
 */
import { Disk, PowerLoss } from '../block/disk.ts';
import type { IomapDioOps, IomapOps } from '../fs/iomap.ts';
import { Inode, isSyncKiocb, Kiocb, SuperBlock } from '../fs/vfs.ts';
import type { ModelXfs, RecoveredFile } from '../fs/xfs.ts';
import type { XfsFile } from '../fs/xfsFile.ts';
import {
  EIOCBQUEUED,
  IOCB_DIO_CALLER_COMP,
  IOCB_DIRECT,
  IOCB_DSYNC,
  IOCB_HIPRI,
  IOCB_NOWAIT,
  IOCB_SYNC,
  IOCB_WRITE,
  IOMAP_DIO_FORCE_WAIT,
  IOMAP_DIO_OVERWRITE_ONLY,
  IOMAP_DIO_PARTIAL,
} from '../kernel/flags.ts';
import { type Kernel, type KernelOps, makeKernel } from '../kernel/kernel.ts';
import { SEED_OPS } from '../kernel/ops.ts';
import { IovIter, READ, WRITE } from '../mm/iovIter.ts';
import { AddressSpace } from '../mm/pageCache.ts';
import { UserBuffer } from '../mm/userBuffer.ts';
import { COVERAGE_POOL, INT32_POOL } from '../runtime/arrayPool.ts';
import { ExtentMap } from '../fs/extentMap.ts';
import type { ChoiceSource, RecordedChoice } from '../runtime/choice.ts';
import { GenContext, type KGen, type Program, TaskWork } from '../runtime/context.ts';
import type { FaultProfile } from '../runtime/faults.ts';
import { type Bounds, Runtime } from '../runtime/runtime.ts';
import type { TraceEntry } from '../runtime/trace.ts';
import { BoundHit, Violation } from '../runtime/violation.ts';
import { buildExt4 } from './buildExt4.ts';
import { buildXfs } from './buildXfs.ts';
import { XfsBuffered } from '../fs/xfsBuffered.ts';
import { GenericIomapCaller } from '../fs/genericCaller.ts';
import { GenericBuffered } from '../fs/genericBuffered.ts';
import { GENERIC_COMMIT_SECTORS } from '../fs/genericCommit.ts';
import { RwSem } from '../fs/rwsem.ts';
import { ScenarioError } from './buildXfs.ts';
import type {
  BufferedOpSpec,
  DioFlag,
  DioOpSpec,
  FileOpSpec,
  IocbFlag,
  OpSpec,
  Scenario,
  SyncOpSpec,
} from './scenario.ts';
import type { Probe, RequestOpFields, WorldView } from './probe.ts';
import type { WorldQuirks } from './quirks.ts';
import { ScriptedFs, seedScriptedDisk } from './scriptedFs.ts';
import { shapedScenario } from './shapes.ts';
import { stopped, yieldOnce } from '../runtime/yieldPoint.ts';

export interface Completion {
  readonly res: number;
  /** The context that delivered the result, and its kind. */
  readonly context: string;
  readonly contextKind: string;
  readonly step: number;
}

/** One direct read or write and what became of it. */
export interface RequestRecord extends RequestOpFields {
  readonly id: number;
  readonly thread: number;
  readonly op: DioOpSpec;
  readonly iocb: Kiocb;
  readonly iter: IovIter;
  readonly buf: UserBuffer;
  /** What the call returned to the caller (null until it returned). */
  returned: number | null;
  readonly startPos: number;
  readonly startSize: number;
  readonly startStep: number;
  returnStep: number;
  /** Every result delivered: the return value of a completed call, or a ki_complete. */
  readonly completions: Completion[];
  /** The dio flags the op asks for, as kernel bits (dioCall passes them). */
  readonly dioFlags: number;
}

/** A buffered read or write, mmap read, truncate or fallocate, and its result. */
export interface FileOpRecord {
  readonly id: number;
  readonly thread: number;
  readonly op: FileOpSpec;
  /** op.kind, in the record's one shape (the checkers filter by it; the ops come in several shapes). */
  readonly kind: FileOpSpec['kind'];
  /** The user buffer of reads and writes (writes hold write `id`'s data). */
  readonly buf: UserBuffer | null;
  /** File offset of the first byte a read returned (an mmap read returns the EOF block). */
  readPos: number;
  readonly startStep: number;
  returned: number | null;
  returnStep: number;
}

/** One fsync or fdatasync and its result. */
export interface SyncRecord {
  readonly id: number;
  readonly thread: number;
  readonly op: SyncOpSpec;
  /** Step at which it was called, and its result once it returned. */
  readonly startStep: number;
  returned: number | null;
  returnStep: number;
}

export interface RunOptions {
  readonly source: ChoiceSource;
  readonly faults?: FaultProfile;
  readonly tracing?: boolean;
  readonly echo?: boolean;
  readonly bounds?: Bounds;
  /** The seed functions to run; the faithful seed (SEED_OPS) unless given (FIXED_OPS, a bug's table). */
  readonly ops?: KernelOps;
  /** The invariant checkers (properties/invariants); none means no checks beyond the runtime's. */
  readonly probe?: Probe;
  /** Planted defects of the world (a bug of the catalogue); none in the correct world. */
  readonly quirks?: WorldQuirks;
  /**
   * At power loss, decide for each cached logical block whether it reached media (one choice per
   * block: every crash image), instead of writing back a prefix of the cache. Off by default.
   */
  readonly crashImages?: boolean;
  /**
   * Called once with the world, after it is built and before any thread starts: read access for
   * the exhaustive explorer's state fingerprints (properties/explore). Costs nothing when unset.
   */
  readonly observe?: (w: WorldView) => void;
}

export type Outcome = 'pass' | 'violation' | 'bound';

export interface CrashRecord {
  readonly step: number;
  /** What log recovery found (the model filesystem only). */
  readonly recovered: RecoveredFile | null;
}

export interface RunResult {
  readonly outcome: Outcome;
  readonly violation: Violation | null;
  readonly bound: BoundHit | null;
  readonly steps: number;
  readonly choices: readonly number[];
  readonly choiceLog: readonly RecordedChoice[];
  readonly trace: readonly TraceEntry[];
  readonly coverage: Uint32Array;
  readonly requests: readonly RequestRecord[];
  readonly syncs: readonly SyncRecord[];
  readonly fileOps: readonly FileOpRecord[];
  readonly disk: Disk;
  /** The scripted provider, when the scenario uses one. */
  readonly fs: ScriptedFs;
  /** The model filesystem, when the scenario uses it. */
  readonly xfs: ModelXfs | null;
  readonly inode: Inode;
  readonly crash: CrashRecord | null;
}

/*
 * The scenario's flag names as kernel bits: switches, not tables keyed by the name (a keyed load by
 * a string that varies is one of the slower property accesses, at every direct I/O of a run).
 */

function iocbFlagBits(f: IocbFlag): number {
  switch (f) {
    case 'dsync':
      return IOCB_DSYNC;
    case 'sync':
      return IOCB_SYNC | IOCB_DSYNC;
    case 'nowait':
      return IOCB_NOWAIT;
    case 'hipri':
      return IOCB_HIPRI;
    case 'caller_comp':
      return IOCB_DIO_CALLER_COMP;
  }
}

function dioFlagBits(f: DioFlag): number {
  switch (f) {
    case 'force_wait':
      return IOMAP_DIO_FORCE_WAIT;
    case 'overwrite_only':
      return IOMAP_DIO_OVERWRITE_ONLY;
    case 'partial':
      return IOMAP_DIO_PARTIAL;
  }
}

export const DEFAULT_BUF_ADDR = 0x10000;
export const DEFAULT_DISK_SECTORS = 4096;
/** Scenarios run against the model filesystem unless they ask for the scripted provider. */
export const DEFAULT_FS_MODEL: 'xfs' | 'ext4' | 'scripted' = 'xfs';

/** The world of one run: what the threads and the checks share. */
class World implements WorldView {
  /**
   * The scripted provider: built when first asked for, which a world of the model XFS or ext4 does
   * only when a caller reads RunResult.fs (its maps and sets were a tenth of what a campaign run
   * allocated). Private (#): the explorer's fingerprints read it through the getter. The private
   * fields come first: the explorer deletes the public fields it tracks last first
   * (properties/explore/engine.ts shareFields), which keeps an object's fast layout only while no
   * field declared after them remains (else the world became a dictionary, 5 µs a path and every
   * later access to it slower).
   */
  #fs: ScriptedFs | null = null;
  /**
   * Does something observe the world (RunOptions.observe: the explorer, the atomicity map)? Then a
   * thread's direct I/O runs in issueDio's generator, which the atomicity observer frames. Private
   * (#): the explorer's fingerprints walk a world's own fields.
   */
  readonly #observed: boolean;
  readonly rt: Runtime;
  readonly k: Kernel;
  readonly disk: Disk;
  readonly xfs: ModelXfs | null = null;
  readonly xfsFile: XfsFile | null = null;
  readonly inode: Inode;
  readonly requests: RequestRecord[] = [];
  readonly syncs: SyncRecord[] = [];
  readonly fileOps: FileOpRecord[] = [];
  readonly probe: Probe | null;
  readonly buffered: XfsBuffered | null = null;
  /** The scripted provider's caller around iomap_dio_rw, when it behaves as a filesystem. */
  readonly caller: GenericIomapCaller | null = null;
  /** Its page-cache side (model/fs/genericBuffered.ts). */
  readonly genericBuffered: GenericBuffered | null = null;
  /** Each thread's task, and the task_work queued on it and not yet run (TaskWork). */
  private readonly tasks: GenContext[] = [];
  private readonly pendingTaskWork: number[] = [];
  /** Requests and syncs share one numbering (req1, req2, ...) in issue order. */
  private serial = 0;
  /** The scenario, its fs spec and direct I/O ops each in one shape (model/world/shapes.ts). */
  readonly scenario: Scenario;

  constructor(given: Scenario, options: RunOptions) {
    const scenario = shapedScenario(given);
    this.scenario = scenario;
    // No spreads: the Runtime takes an absent bound or fault profile as its default.
    this.rt = new Runtime({
      source: options.source,
      tracing: options.tracing ?? false,
      echo: options.echo ?? false,
      bounds: options.bounds,
      faults: options.faults,
    });
    this.k = makeKernel(this.rt, options.ops ?? SEED_OPS, scenario.bioMaxVecs);
    this.probe = options.probe ?? null;
    this.#observed = options.observe !== undefined;
    const d = scenario.device;
    this.disk = this.rt.spawn(
      new Disk(this.rt, {
        logicalBlockSize: d.logicalBlockSize,
        fua: d.fua,
        writeCache: d.writeCache,
        dmaAlignment: d.dmaAlignment ?? 511,
        // The scripted filesystem as a whole filesystem keeps its commit record past the data.
        sectors:
          (d.sectors ?? DEFAULT_DISK_SECTORS) +
          (scenario.fs.model === 'scripted' && scenario.fs.generic === true ? GENERIC_COMMIT_SECTORS : 0),
      }),
    );
    // A release setting's own filesystem code first, then the planted defects of a bug.
    const releaseWorld = options.ops?.releaseWorld;
    const quirks =
      releaseWorld === undefined ? (options.quirks ?? {}) : { ...releaseWorld, ...options.quirks };
    if (quirks.fuaWithoutPostflush) this.disk.fuaEmulation = 'none';
    if (quirks.lateWriteDma) this.disk.lateWriteDma = true;
    if (options.crashImages) this.disk.crashImages = true;
    const mapping = new AddressSpace();
    mapping.skipPostWriteInvalidation = quirks.skipPostWriteInvalidation === true;
    mapping.ignoreInvalidationFailure = quirks.ignoreInvalidationFailure === true;

    this.inode = new Inode(new SuperBlock(), Math.log2(scenario.fs.blockSize), scenario.fs.iSize, mapping);
    const model = scenario.fs.model ?? DEFAULT_FS_MODEL;
    if (model === 'scripted') {
      this.#fs = new ScriptedFs(this.rt, scenario.fs, this.disk);
      this.#fs.quirks = quirks;
      seedScriptedDisk(this.disk, scenario.fs);
    }
    if (model === 'scripted' && scenario.fs.generic === true) {
      // Its page-cache side: the fallback, buffered reads and writes, the read-back.
      const iolock = new RwSem('i_rwsem');
      const bs = scenario.fs.blockSize;
      this.genericBuffered = new GenericBuffered(this.rt, this.fs, this.inode, this.disk, iolock, bs);
      mapping.aops = this.genericBuffered;
      this.caller = new GenericIomapCaller(
        this.inode,
        bs,
        this.genericBuffered,
        iolock,
        scenario.device.logicalBlockSize,
      );
      this.caller.quirks = quirks;
    }
    if (model === 'xfs' || model === 'ext4') {
      // The model ext4 extends the model XFS (model/fs/ext4.ts): `xfs` holds either.
      const ext4 = model === 'ext4' ? buildExt4(this.rt, this.disk, scenario) : null;
      const built = ext4 ?? buildXfs(this.rt, this.disk, scenario);
      built.fs.inode = this.inode;
      built.fs.quirks = quirks;
      this.xfs = built.fs;
      this.xfsFile = built.file;
      this.disk.stepHooks.push(built.fs);
      // The CIL may also be pushed right after any transaction commits, from whatever context;
      // jbd2 commits only from kjournald2 (its timer, at a device step) or when asked.
      if (model === 'xfs') built.fs.journal.onCommit = () => built.fs.backgroundLogHook();
      // The model ext4 brings its page-cache side (ext4's truncate over the model XFS's).
      const buffered = ext4?.buffered ?? new XfsBuffered(this.rt, built.fs, built.file);
      this.buffered = buffered;
      built.file.fallback = buffered;
      mapping.aops = buffered;
      this.disk.stepHooks.push(buffered);
    }
    for (const p of scenario.fs.pageCache ?? []) mapping.getPage(p.index).dirty = p.dirty;
  }

  start(): void {
    this.scenario.threads.forEach((ops, t) => {
      const task = new GenContext(`task${t + 1}`, 'task');
      this.tasks.push(task);
      this.pendingTaskWork.push(0);
      this.rt.spawn(task.startProgram(new ThreadProgram(this, t, ops)));
    });
  }

  get fs(): ScriptedFs {
    let fs = this.#fs;
    if (fs === null) {
      fs = new ScriptedFs(this.rt, this.scenario.fs, this.disk);
      this.#fs = fs;
    }
    return fs;
  }

  get observed(): boolean {
    return this.#observed;
  }

  /**
   * A thread's wait_async: io_getevents until each of its async requests has its result. Waiting
   * in io_getevents or io_uring_enter, the task runs the task_work that posts io_uring completions
   * (6.12.117 io_uring/io_uring.c io_cqring_wait).
   */
  *waitAsync(t: number): KGen {
    const task = this.tasks[t] as GenContext;
    task.runsTaskWork = true;
    yield* this.rt.waitUntil(
      () => this.requests.every((r) => r.thread !== t || !r.op.async || r.completions.length > 0),
      'io_getevents',
    );
    task.runsTaskWork = false;
  }

  /**
   * One pread/pwrite with O_DIRECT: the generator the atomicity observer frames
   * (properties/atomicity/observe.ts wraps it), made of the pieces a ThreadProgram runs without
   * it when nothing observes the world (beginDio, dioCall, dioReturned: the same steps).
   */
  *issueDio(thread: number, op: DioOpSpec): KGen {
    const record = this.beginDio(thread, op);
    const call = this.dioCall(record);
    this.dioReturned(record, call === null ? 0 : yield* call);
  }

  /** A direct I/O's record, with its kiocb, iter and user buffer (dioCall is the call). */
  beginDio(thread: number, op: DioOpSpec): RequestRecord {
    const id = ++this.serial;
    const write = op.kind === 'dio_write';
    const pos = op.pos;
    const len = op.len;
    const addr = op.bufAddr ?? DEFAULT_BUF_ADDR;
    const userBacked = op.userBacked ?? true;
    const buf = write
      ? UserBuffer.forWrite(addr, len, id, userBacked)
      : UserBuffer.take(addr, len, userBacked);
    if (op.badPage !== undefined) {
      const k = op.badPage.index;
      if (!userBacked) throw new ScenarioError(`req${id}: a bad page needs a user buffer (userBacked)`);
      if (!Number.isInteger(k) || k < 0 || k >= buf.spannedPages)
        throw new ScenarioError(
          `req${id}: bad page ${k} is not one of the ${buf.spannedPages} page(s) of its ${len}-byte buffer`,
        );
      buf.unmapPage(k);
    }
    let flags = IOCB_DIRECT | (write ? IOCB_WRITE : 0);
    const iocbFlags = op.iocbFlags;
    if (iocbFlags !== undefined)
      for (let i = 0; i < iocbFlags.length; i++) flags |= iocbFlagBits(iocbFlags[i] as IocbFlag);
    let dioFlags = 0;
    const dioFlagNames = op.dioFlags;
    if (dioFlagNames !== undefined)
      for (let i = 0; i < dioFlagNames.length; i++) dioFlags |= dioFlagBits(dioFlagNames[i] as DioFlag);
    const async = op.async === true;
    const file = { fInode: this.inode, fOp: this.xfs ?? this.fs };
    const complete = async ? (cb: Kiocb, res: number) => this.kiComplete(record, cb, res) : null;
    const iocb = new Kiocb(file, pos, flags, complete);
    const iter = new IovIter(write ? WRITE : READ, buf);
    const record: RequestRecord = {
      id,
      thread,
      op,
      iocb,
      iter,
      buf,
      returned: null,
      startPos: pos,
      startSize: this.inode.iSize,
      startStep: this.rt.step,
      returnStep: 0,
      completions: [],
      write,
      len,
      doneBefore: op.doneBefore ?? 0,
      async,
      nowait: (flags & IOCB_NOWAIT) !== 0,
      partial: (dioFlags & IOMAP_DIO_PARTIAL) !== 0,
      dioFlags,
    };
    this.requests.push(record);
    const rt = this.rt;
    if (rt.tracing) rt.ev(0, write ? 'pwritev2' : 'preadv2', `req${id} pos ${pos} len ${len}`);
    return record;
  }

  /**
   * The filesystem's direct I/O call of a request, or null for one that returns 0 at once.
   */
  dioCall(record: RequestRecord): KGen<number> | null {
    const { iocb, iter } = record;
    // The op's fields as beginDio read them into the record: the ops come in dozens of shapes, and
    // each read of one of their fields is a stub-cache lookup.
    const write = record.write;
    const doneBefore = record.doneBefore;
    const dioFlags = record.dioFlags;
    if (this.xfsFile !== null && isSyncKiocb(iocb) && record.buf.length === 0) {
      // pwritev2/preadv2 of nothing on a file user space opened: vfs_writev and vfs_readv return 0
      // before ->write_iter or ->read_iter (6.12.117 fs/read_write.c L1059-1061 and L1021-1023), where
      // io_submit calls them with the zero count (fs/aio.c L1611-1613 and L1639-1644). The scripted
      // provider stands for an in-kernel caller of iomap_dio_rw, which has no such check.
      return null;
    }
    if (this.xfsFile !== null) {
      // XFS chooses its own dio_flags (OVERWRITE_ONLY, FORCE_WAIT); flags the op asks for are added,
      // as a filesystem like XFS that also passed them (IOMAP_DIO_PARTIAL is gfs2's and btrfs's).
      return write
        ? this.xfsFile.writeIter(this.k, iocb, iter, dioFlags, doneBefore)
        : this.xfsFile.dioRead(this.k, iocb, iter, dioFlags, doneBefore);
    }
    const ops: IomapOps = this.fs;
    const dops: IomapDioOps | null = this.fs.dioOps(write);
    return this.caller === null
      ? this.k.ops.iomapDioRw(this.k, iocb, iter, ops, dops, dioFlags, doneBefore)
      : this.caller.rw(this.k, iocb, iter, write, ops, dops, dioFlags, doneBefore);
  }

  /** The call returned `ret` to the task: a result unless queued (-EIOCBQUEUED). */
  dioReturned(record: RequestRecord, ret: number): void {
    record.returned = ret;
    record.returnStep = this.rt.step;
    this.probe?.onReturn?.(this, record);
    if (ret !== -EIOCBQUEUED) this.deliver(record, ret);
  }

  /*
   * fsync, buffered I/O, mmap reads, truncate and fallocate run as a ThreadProgram's pieces
   * without a generator of the world around the filesystem's call: begin* makes the record and
   * gives the call (the piece), *Returned takes its result, in the step in which it returned, as a
   * generator function around the call would (one generator level fewer at each of its steps).
   */

  /** fsync(2) / fdatasync(2) of the whole file: its record (fsyncCall is the call). */
  beginFsync(thread: number, op: SyncOpSpec): SyncRecord {
    const record: SyncRecord = {
      id: ++this.serial,
      thread,
      op,
      startStep: this.rt.step,
      returned: null,
      returnStep: 0,
    };
    this.syncs.push(record);
    if (this.rt.tracing) this.rt.ev(0, op.kind, `req${record.id}`);
    return record;
  }

  fsyncCall(record: SyncRecord): KGen<number> {
    const file = { fInode: this.inode, fOp: this.xfs ?? this.fs };
    return file.fOp.fsync(file, 0, Number.MAX_SAFE_INTEGER, record.op.kind === 'fdatasync');
  }

  syncReturned(record: SyncRecord, ret: number): void {
    record.returned = ret;
    record.returnStep = this.rt.step;
    this.probe?.onSync?.(this, record);
  }

  /** Buffered I/O, mmap reads, truncate and fallocate: the record (fileOpCall is the call). */
  beginFileOp(thread: number, op: FileOpSpec): FileOpRecord {
    const generic =
      this.genericBuffered !== null && (op.kind === 'buffered_read' || op.kind === 'buffered_write');
    if (!generic && this.buffered === null)
      throw new ScenarioError(`${op.kind} needs a model filesystem (fs.model 'xfs' or 'ext4')`);
    const id = ++this.serial;
    let buf: UserBuffer | null = null;
    if (op.kind === 'buffered_write') buf = UserBuffer.forWrite(DEFAULT_BUF_ADDR, op.len, id, true);
    else if (op.kind === 'buffered_read') buf = UserBuffer.take(DEFAULT_BUF_ADDR, op.len, true);
    else if (op.kind === 'mmap_read')
      buf = UserBuffer.take(DEFAULT_BUF_ADDR, this.scenario.fs.blockSize, true);
    const record: FileOpRecord = {
      id,
      thread,
      op,
      kind: op.kind,
      buf,
      // A generic buffered write's record reads from its position too (as a read's does).
      readPos: op.kind === 'buffered_read' || generic ? (op as BufferedOpSpec).pos : 0,
      startStep: this.rt.step,
      returned: null,
      returnStep: 0,
    };
    this.fileOps.push(record);
    if (this.rt.tracing) this.rt.ev(0, op.kind, `req${id} ${JSON.stringify(op)}`);
    return record;
  }

  fileOpCall(record: FileOpRecord): KGen<number> {
    const op = record.op;
    const g = this.genericBuffered;
    if (g !== null && (op.kind === 'buffered_read' || op.kind === 'buffered_write')) {
      // The scripted filesystem as a whole filesystem (FsSpec.generic).
      const write = op.kind === 'buffered_write';
      const iter = new IovIter(write ? WRITE : READ, record.buf as UserBuffer);
      return write ? g.bufferedWrite(op.pos, iter) : g.bufferedRead(op.pos, iter, 0, false);
    }
    const b = this.buffered as XfsBuffered;
    switch (op.kind) {
      case 'buffered_read':
        return b.bufferedRead(op.pos, op.len, record.buf as UserBuffer);
      case 'buffered_write':
        return b.bufferedWrite(op.pos, op.len, record.buf as UserBuffer);
      case 'mmap_read': {
        const bs = this.scenario.fs.blockSize;
        record.readPos = Math.floor(Math.max(0, this.inode.iSize - 1) / bs) * bs;
        return b.mmapReadEofBlock(record.buf as UserBuffer);
      }
      case 'truncate':
        return b.truncate(op.size);
      case 'fallocate':
        return b.fallocate(op.pos, op.len);
    }
  }

  fileOpReturned(record: FileOpRecord, ret: number): void {
    record.returned = ret;
    record.returnStep = this.rt.step;
    this.probe?.onFileOp?.(this, record);
  }

  /** ->ki_complete: aio posts the result; io_uring defers a set dio_complete to the issuer. */
  private kiComplete(record: RequestRecord, iocb: Kiocb, res: number): void {
    const complete = iocb.dioComplete;
    if (complete === null) {
      this.deliver(record, res);
      return;
    }
    const data = iocb.private;
    // io_complete_rw: the completion is task_work of the task that issued the request.
    const t = record.thread;
    const work = new TaskWork(`issuer:req${record.id}`, this.tasks[t] as GenContext);
    this.pendingTaskWork[t] = (this.pendingTaskWork[t] ?? 0) + 1;
    this.rt.spawn(work.start(this.issuerTaskWork(record, complete, data)));
  }

  /*
   * Between two system calls: the task is in user space, where any other context may run (an
   * interleaving point), and it runs the task_work queued on it before it enters the kernel again.
   * A ThreadProgram runs it as two pieces (a generator function around them allocated a generator
   * and a closure at every op after the first, most of which only yield once): enterUser, then
   * leaveUser once that yield is over, in the step the generator would have gone on in.
   */

  /** The task returns to user space: it runs its task_work from here, and yields (any context may run). */
  enterUser(t: number): KGen {
    (this.tasks[t] as GenContext).runsTaskWork = true;
    return yieldOnce();
  }

  /**
   * Back from that yield: null when no task_work is pending (the task enters the kernel again at
   * once), or the wait for it, after which the task calls userReturned.
   */
  leaveUser(t: number): KGen | null {
    if (this.pendingTaskWork[t] === 0) {
      this.userReturned(t);
      return null;
    }
    return this.rt.waitUntil(() => this.pendingTaskWork[t] === 0, 'task_work');
  }

  /** Its task_work run, the task leaves user space. */
  userReturned(t: number): void {
    (this.tasks[t] as GenContext).runsTaskWork = false;
  }

  /** The issuer's task work: the deferred dio_complete runs, and its result reaches the caller. */
  private *issuerTaskWork(
    record: RequestRecord,
    complete: (data: unknown) => KGen<number>,
    data: unknown,
  ): KGen {
    const r = yield* complete(data);
    this.deliver(record, r);
    this.pendingTaskWork[record.thread] = (this.pendingTaskWork[record.thread] ?? 1) - 1;
  }

  /** A result reaches the caller; a second one for the same request is CMPL-02. */
  deliver(record: RequestRecord, res: number): void {
    const ctx = this.rt.current;
    if (record.completions.length > 0) {
      throw new Violation('CMPL-02', this.rt.currentName(), 0, `req${record.id} got a second result ${res}`);
    }
    record.buf.delivered = true;
    const c: Completion = {
      res,
      context: ctx?.name ?? 'world',
      contextKind: ctx?.kind ?? 'task',
      step: this.rt.step,
    };
    record.completions.push(c);
    this.probe?.onResult?.(this, record, c);
  }

  /** When nothing runs: the log worker may still commit the log (a choice). True if it did. */
  idleWork(): boolean {
    const xfs = this.xfs;
    if (xfs === null || !this.rt.faults.backgroundLog || !xfs.journal.pinned) return false;
    if (this.rt.choose(2, 'log_commit_idle') === 0) return false;
    xfs.submitLogWrite();
    return true;
  }

  /** The last crash point: power may fail once all is quiet. The power loss, if it did. */
  maybeCrashAtEnd(): PowerLoss | null {
    if (this.rt.faults.powerLoss && this.rt.choose(2, 'power_loss_at_end') === 1)
      return this.disk.powerLossWhenQuiet();
    return null;
  }

  /** After power loss: the filesystem's log recovery, and the checkers' look at what it found. */
  recoverFrom(e: PowerLoss): CrashRecord {
    this.rt.current = null;
    // The model filesystems' log recovery, or the scripted one's as a whole filesystem (its last commit).
    const crash = {
      step: e.step,
      recovered: this.xfs !== null ? this.xfs.recover() : (this.#fs?.recover() ?? null),
    };
    this.probe?.onRecovered?.(this, crash.recovered, crash.step);
    return crash;
  }

  /** What must hold at quiescence. */
  checkQuiescent(): void {
    // The list only when something leaked (the heap's live objects).
    if (this.rt.heap.liveCount !== 0) {
      const leaked = this.rt.heap.liveObjects();
      const first = leaked[0];
      if (first !== undefined)
        throw new Violation(
          'LIFE-03',
          'world',
          0,
          `${leaked.length} object(s) leaked, first ${first.kind}#${first.heapId}`,
        );
    }
    for (const r of this.requests) {
      const pinned = r.buf.pinnedPages();
      if (pinned !== 0)
        throw new Violation('LIFE-04', 'world', 0, `req${r.id} left ${pinned} user page pin(s)`);
      if (r.completions.length !== 1) throw new Violation('CMPL-02', 'world', 0, `req${r.id} got no result`);
    }
    if (this.inode.iDioCount !== 0) {
      throw new Violation('LIFE-06', 'world', 0, `i_dio_count is ${this.inode.iDioCount} at quiescence`);
    }
    this.probe?.onQuiescent?.(this);
  }
}

/**
 * A thread's ops as its task runs them, one after another (GenContext.startProgram): each op's
 * filesystem call (dioCall, fsyncCall, fileOpCall) or wait is the task's piece, its record made
 * before it and its result taken after it, in the same steps as a generator looping over the ops
 * and a generator per op around the call would run them, two generator levels fewer at every task
 * step (an observed world runs a direct I/O in issueDio's generator: see World.observed).
 */
class ThreadProgram implements Program {
  private i = 0;
  /** The request, sync or file operation whose call is the running piece (its result comes to next). */
  private dio: RequestRecord | null = null;
  private sync: SyncRecord | null = null;
  private fileOp: FileOpRecord | null = null;
  /**
   * Between two system calls the task returns to user space first (World.enterUser): 0 not there,
   * 1 in its yield (leaveUser next), 2 waiting for its task_work (userReturned next).
   */
  private inUser = 0;

  constructor(
    private readonly w: World,
    private readonly t: number,
    private readonly ops: readonly OpSpec[],
  ) {}

  next(result: unknown): KGen<unknown> | null {
    const w = this.w;
    if (this.dio !== null) {
      w.dioReturned(this.dio, result as number);
      this.dio = null;
    } else if (this.sync !== null) {
      w.syncReturned(this.sync, result as number);
      this.sync = null;
    } else if (this.fileOp !== null) {
      w.fileOpReturned(this.fileOp, result as number);
      this.fileOp = null;
    }
    while (this.i < this.ops.length) {
      if (this.i > 0) {
        if (this.inUser === 0) {
          this.inUser = 1;
          return w.enterUser(this.t);
        }
        if (this.inUser === 1) {
          const wait = w.leaveUser(this.t);
          if (wait !== null) {
            this.inUser = 2;
            return wait;
          }
        } else w.userReturned(this.t);
      }
      this.inUser = 0;
      const op = this.ops[this.i++] as OpSpec;
      switch (op.kind) {
        case 'dio_read':
        case 'dio_write': {
          if (w.observed) return w.issueDio(this.t, op);
          const record = w.beginDio(this.t, op);
          const call = w.dioCall(record);
          if (call === null) {
            // It returned at once: the next op starts in this step, as after a generator that did not yield.
            w.dioReturned(record, 0);
            continue;
          }
          this.dio = record;
          return call;
        }
        case 'fsync':
        case 'fdatasync': {
          const record = w.beginFsync(this.t, op);
          this.sync = record;
          return w.fsyncCall(record);
        }
        case 'power_loss':
          // Power fails under this task: the run ends after this step, through rt.halted when
          // runScenario reads it (a throw costs V8 a message object), the task stopped where it is.
          if (!w.rt.halts) w.disk.powerFailAtEnd();
          w.rt.halted = w.disk.powerLossWhenQuiet();
          return stopped();
        case 'wait_async':
          return w.waitAsync(this.t);
        default: {
          const record = w.beginFileOp(this.t, op);
          this.fileOp = record;
          return w.fileOpCall(record);
        }
      }
    }
    return null;
  }
}

export function runScenario(scenario: Scenario, options: RunOptions): RunResult {
  const w = new World(scenario, options);
  options.observe?.(w);
  let violation: Violation | null = null;
  let bound: BoundHit | null = null;
  let crash: CrashRecord | null = null;
  try {
    try {
      const rt = w.rt;
      // Power failing at a device step ends rt.run() with rt.halted (a PowerLoss), not a throw.
      rt.halts = true;
      w.start();
      rt.run();
      // An idle system still has a log worker: it may commit, and the device then writes again.
      while (rt.halted === null && w.idleWork()) rt.run();
      if (rt.halted !== null) crash = w.recoverFrom(rt.halted as PowerLoss);
      else {
        w.checkQuiescent();
        const lost = w.maybeCrashAtEnd();
        if (lost !== null) crash = w.recoverFrom(lost);
      }
    } catch (e) {
      if (!(e instanceof PowerLoss)) throw e;
      crash = w.recoverFrom(e);
    }
  } catch (e) {
    if (e instanceof Violation) violation = e;
    else if (e instanceof BoundHit) bound = e;
    else throw e;
  }
  return new Result(w, violation, bound, crash);
}

/**
 * A run's result: a class, so that every result has one shape and `fs` a getter on the prototype
 * (a getter in an object literal is a new function per result, and gave each result its own
 * hidden class: old-generation garbage that tripled a campaign's collection time).
 */
class Result implements RunResult {
  readonly outcome: Outcome;
  readonly steps: number;
  readonly choices: readonly number[];
  readonly choiceLog: readonly RecordedChoice[];
  readonly trace: readonly TraceEntry[];
  coverage: Uint32Array;
  readonly requests: readonly RequestRecord[];
  readonly syncs: readonly SyncRecord[];
  readonly fileOps: readonly FileOpRecord[];
  readonly disk: Disk;
  readonly xfs: ModelXfs | null;
  readonly inode: Inode;
  readonly #world: World;

  constructor(
    w: World,
    readonly violation: Violation | null,
    readonly bound: BoundHit | null,
    readonly crash: CrashRecord | null,
  ) {
    const rt = w.rt;
    this.outcome = violation !== null ? 'violation' : bound !== null ? 'bound' : 'pass';
    this.steps = rt.step;
    this.choices = rt.choices;
    this.choiceLog = rt.choiceLog;
    this.trace = rt.trace;
    this.coverage = rt.coverage;
    this.requests = w.requests;
    this.syncs = w.syncs;
    this.fileOps = w.fileOps;
    this.disk = w.disk;
    this.xfs = w.xfs;
    this.inode = w.inode;
    this.#world = w;
  }

  /** The scripted provider: built only if a caller reads it, for a world of XFS or ext4 (World.fs). */
  get fs(): ScriptedFs {
    return this.#world.fs;
  }
}

/** What a recycled result's coverage becomes: empty, and the mark that it was given back. */
const RECYCLED = new Uint32Array(0);

/**
 * The caller is done with a run: its disk's media, its coverage array, and the buffers behind the
 * model filesystem's extent maps and COW fork, the recovered map and the requests' user buffers go
 * to the next runs (model/runtime/arrayPool.ts), so none of them may be read after this, and
 * `r.coverage` is left empty. A campaign that keeps only counts calls it after each run; a second call does
 * nothing.
 */
export function recycleRun(r: RunResult): void {
  if (r.coverage === RECYCLED) return;
  r.disk.recycleMedia();
  COVERAGE_POOL.give(r.coverage);
  const fs = r.xfs;
  if (fs !== null) {
    ExtentMap.give(fs.map);
    ExtentMap.give(fs.initialMap);
    INT32_POOL.give(fs.cow);
  }
  const recovered = r.crash?.recovered;
  if (recovered !== undefined && recovered !== null) {
    ExtentMap.give(recovered.map);
    INT32_POOL.give(recovered.tags);
  }
  for (const q of r.requests) UserBuffer.give(q.buf);
  for (const f of r.fileOps) if (f.buf !== null) UserBuffer.give(f.buf);
  (r as { coverage: Uint32Array }).coverage = RECYCLED;
}
