/**
 * Runs one scenario under one choice stream: builds the runtime, the disk, the scripted
 * filesystem, the inode and the threads, steps the contexts to quiescence, and checks what must
 * hold when nothing can run any more (no leaked object or pinned page, balanced inode_dio_begin/
 * end, exactly one result per request).
 *
 * The same scenario and the same choices give the same run, step for step: nothing here reads a
 * clock, a random source or an iteration order that depends on anything but the run itself.
 */
import { Disk } from '../block/disk.ts';
import { Inode, type Kiocb, Kiocb as KiocbClass, SuperBlock } from '../fs/vfs.ts';
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
import type { ChoiceSource, RecordedChoice } from '../runtime/choice.ts';
import { GenContext, type KGen } from '../runtime/context.ts';
import type { FaultProfile } from '../runtime/faults.ts';
import { type Bounds, Runtime } from '../runtime/runtime.ts';
import type { TraceEntry } from '../runtime/trace.ts';
import { BoundHit, Violation } from '../runtime/violation.ts';
import type { DioFlag, IocbFlag, OpSpec, Scenario } from './scenario.ts';
import { ScriptedFs } from './scriptedFs.ts';

export interface Completion {
  readonly res: number;
  /** The context that delivered the result, and its kind. */
  readonly context: string;
  readonly contextKind: string;
  readonly step: number;
}

export interface RequestRecord {
  readonly id: number;
  readonly thread: number;
  readonly op: OpSpec;
  readonly iocb: Kiocb;
  readonly iter: IovIter;
  readonly buf: UserBuffer;
  /** What iomap_dio_rw returned to the caller (null until it returned). */
  returned: number | null;
  /** Every result delivered: the return value of a completed call, or a ki_complete. */
  readonly completions: Completion[];
}

export interface RunOptions {
  readonly source: ChoiceSource;
  readonly faults?: FaultProfile;
  readonly tracing?: boolean;
  readonly echo?: boolean;
  readonly bounds?: Bounds;
  /** The seed functions to run: the correct model unless a planted bug replaces one. */
  readonly ops?: KernelOps;
}

export type Outcome = 'pass' | 'violation' | 'bound';

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
  readonly disk: Disk;
  readonly fs: ScriptedFs;
  readonly inode: Inode;
}

const IOCB_FLAG_BITS: Readonly<Record<IocbFlag, number>> = {
  dsync: IOCB_DSYNC,
  sync: IOCB_SYNC | IOCB_DSYNC,
  nowait: IOCB_NOWAIT,
  hipri: IOCB_HIPRI,
  caller_comp: IOCB_DIO_CALLER_COMP,
};

const DIO_FLAG_BITS: Readonly<Record<DioFlag, number>> = {
  force_wait: IOMAP_DIO_FORCE_WAIT,
  overwrite_only: IOMAP_DIO_OVERWRITE_ONLY,
  partial: IOMAP_DIO_PARTIAL,
};

export const DEFAULT_BUF_ADDR = 0x10000;

/** The world of one run: what the threads and the checks share. */
class World {
  readonly rt: Runtime;
  readonly k: Kernel;
  readonly disk: Disk;
  readonly fs: ScriptedFs;
  readonly inode: Inode;
  readonly requests: RequestRecord[] = [];

  constructor(
    readonly scenario: Scenario,
    options: RunOptions,
  ) {
    this.rt = new Runtime({
      source: options.source,
      tracing: options.tracing ?? false,
      echo: options.echo ?? false,
      ...(options.bounds === undefined ? {} : { bounds: options.bounds }),
      ...(options.faults === undefined ? {} : { faults: options.faults }),
    });
    this.k = makeKernel(this.rt, options.ops ?? SEED_OPS, scenario.bioMaxVecs);
    const d = scenario.device;
    this.disk = this.rt.spawn(
      new Disk(this.rt, {
        logicalBlockSize: d.logicalBlockSize,
        fua: d.fua,
        writeCache: d.writeCache,
        dmaAlignment: d.dmaAlignment ?? 511,
        sectors: d.sectors ?? 4096,
      }),
    );
    const mapping = new AddressSpace();
    for (const p of scenario.fs.pageCache ?? []) mapping.pages.set(p.index, p.dirty);
    this.inode = new Inode(new SuperBlock(), Math.log2(scenario.fs.blockSize), scenario.fs.iSize, mapping);
    this.fs = new ScriptedFs(this.rt, scenario.fs, this.disk);
  }

  start(): void {
    this.scenario.threads.forEach((ops, t) => {
      const task = new GenContext(`task${t + 1}`, 'task');
      this.rt.spawn(task.start(this.thread(t, ops)));
    });
  }

  private *thread(t: number, ops: readonly OpSpec[]): KGen {
    for (const op of ops) yield* this.issue(t, op);
  }

  /** One pread/pwrite with O_DIRECT: build the kiocb and iter, call iomap_dio_rw. */
  private *issue(thread: number, op: OpSpec): KGen {
    const id = this.requests.length + 1;
    const write = op.kind === 'dio_write';
    const addr = op.bufAddr ?? DEFAULT_BUF_ADDR;
    const userBacked = op.userBacked ?? true;
    const buf = write
      ? UserBuffer.forWrite(addr, op.len, id, userBacked)
      : new UserBuffer(addr, op.len, userBacked);
    let flags = IOCB_DIRECT | (write ? IOCB_WRITE : 0);
    for (const f of op.iocbFlags ?? []) flags |= IOCB_FLAG_BITS[f];
    let dioFlags = 0;
    for (const f of op.dioFlags ?? []) dioFlags |= DIO_FLAG_BITS[f];
    const file = { fInode: this.inode, fOp: this.fs };
    const iocb = new KiocbClass(
      file,
      op.pos,
      flags,
      op.async ? (cb, res) => this.kiComplete(record, cb, res) : null,
    );
    const iter = new IovIter(write ? WRITE : READ, buf);
    const record: RequestRecord = { id, thread, op, iocb, iter, buf, returned: null, completions: [] };
    this.requests.push(record);
    const rt = this.rt;
    if (rt.tracing) rt.ev(0, write ? 'pwritev2' : 'preadv2', `req${id} pos ${op.pos} len ${op.len}`);
    const ret = yield* this.k.ops.iomapDioRw(
      this.k,
      iocb,
      iter,
      this.fs,
      this.fs.dioOps(write),
      dioFlags,
      op.doneBefore ?? 0,
    );
    record.returned = ret;
    if (ret !== -EIOCBQUEUED) this.deliver(record, ret);
  }

  /** ->ki_complete: aio posts the result; io_uring defers a set dio_complete to the issuer. */
  private kiComplete(record: RequestRecord, iocb: Kiocb, res: number): void {
    const complete = iocb.dioComplete;
    if (complete === null) {
      this.deliver(record, res);
      return;
    }
    const data = iocb.private;
    const issuer = new GenContext(`issuer:req${record.id}`, 'issuer');
    const world = this;
    this.rt.spawn(
      issuer.start(
        (function* issuerTaskWork(): KGen {
          const r = yield* complete(data);
          world.deliver(record, r);
        })(),
      ),
    );
  }

  /** A result reaches the caller; a second one for the same request is CMPL-02. */
  deliver(record: RequestRecord, res: number): void {
    const ctx = this.rt.current;
    if (record.completions.length > 0) {
      throw new Violation('CMPL-02', this.rt.currentName(), 0, `req${record.id} got a second result ${res}`);
    }
    record.completions.push({
      res,
      context: ctx?.name ?? 'world',
      contextKind: ctx?.kind ?? 'task',
      step: this.rt.step,
    });
  }

  /** What must hold at quiescence. */
  checkQuiescent(): void {
    const leaked = this.rt.heap.liveObjects();
    const first = leaked[0];
    if (first !== undefined) {
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
  }
}

export function runScenario(scenario: Scenario, options: RunOptions): RunResult {
  const w = new World(scenario, options);
  let violation: Violation | null = null;
  let bound: BoundHit | null = null;
  try {
    w.start();
    w.rt.run();
    w.checkQuiescent();
  } catch (e) {
    if (e instanceof Violation) violation = e;
    else if (e instanceof BoundHit) bound = e;
    else throw e;
  }
  const rt = w.rt;
  return {
    outcome: violation !== null ? 'violation' : bound !== null ? 'bound' : 'pass',
    violation,
    bound,
    steps: rt.step,
    choices: rt.choices,
    choiceLog: rt.choiceLog,
    trace: rt.trace,
    coverage: rt.coverage,
    requests: w.requests,
    disk: w.disk,
    fs: w.fs,
    inode: w.inode,
  };
}
