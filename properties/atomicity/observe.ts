/**
 * Watches one run's shared accesses from the world's `observe` hook, without changing the model:
 * the fields of every dio and bio the heap allocates, of their kiocb, and of the inode become
 * accessors on this world's instances (as properties/explore/engine.ts `track` does), and each
 * access is logged with the scheduler step and the context it happens in, and where: the seed
 * function (a wrapped entry of this world's ops table, or a wrapped filesystem hook) and the last
 * seed line that function marked (rt.heap.use, rt.cover, rt.ev, which the atomics also call).
 *
 * Two accesses of one context logged in the same scheduler step ran with no yield between them:
 * a context runs from one yield to the next in one step (Runtime.run, GenContext.step).
 */
import type { KernelOps } from '../../model/kernel/kernel.ts';
import type { Context } from '../../model/runtime/context.ts';
import type { KObject } from '../../model/runtime/heap.ts';
import type { WorldView } from '../../model/world/probe.ts';

/** The shared fields watched, per object (model field names; spec/atomicity.md names the C ones). */
export const WATCHED = {
  dio: [
    'ref',
    'errorValue',
    'flags',
    'size',
    'waitForCompletion',
    'submitWaiter',
    'submitIter',
    'unionMember',
  ],
  bio: ['biStatus', 'biPrivate', 'pagePinned', 'pagesReleased'],
  iocb: ['private', 'dioComplete', 'kiComplete', 'kiPos'],
  inode: ['iDioCount', 'iSize'],
} as const;

/**
 * Pseudo-objects: `ctx.start` is logged before a context's first access, in the step the context
 * started if that is the step of the access (else as if a step earlier), so that the map can say
 * whether anything may run between a context's start and its first shared access (the model
 * XFS's ->end_io, issue 17); `result.deliver` is a request's result reaching its caller.
 */
export type PseudoKind = 'ctx' | 'result';

export type ObjKind = keyof typeof WATCHED | PseudoKind;

/** One access of a watched field (or the free of a dio or bio). */
export interface Access {
  readonly step: number;
  readonly ctx: number;
  readonly ctxKind: string;
  readonly ctxName: string;
  /** `fn:Lnn`, or `fn` before the function marked any line. */
  readonly where: string;
  readonly obj: ObjKind;
  readonly field: string;
  /** r(ead), w(rite), rw (a read then a write of the field at one place in one step), f(ree). */
  rw: 'r' | 'w' | 'rw' | 'f';
}

interface Frame {
  readonly fn: string;
  line: number;
}

/** The model's frames that are bookkeeping, not kernel code: accesses there are not the kernel's. */
const BOOKKEEPING = new Set([
  'disk.submitBio:biPrivate',
  'disk.submitBioGen:biPrivate',
  'world.issueDio:iSize',
]);

export class AccessLog {
  readonly accesses: Access[] = [];
  private readonly stacks = new Map<number, Frame[]>();
  private rt: WorldView['rt'] | null = null;
  private readonly lastOf = new Map<number, Access>();
  private readonly watched = new WeakSet<object>();
  /** Context kinds the runtime does not tell apart: a polled bio's completion is `poll`. */
  private readonly kinds = new Map<number, string>();

  /** The observe hook: install the watchers on this world's instances. */
  attach(w: WorldView): void {
    const rt = w.rt;
    this.rt = rt;
    const heap = rt.heap;
    const use = heap.use.bind(heap);
    const free = heap.free.bind(heap);
    const alloc = heap.alloc.bind(heap);
    const cover = rt.cover.bind(rt);
    const ev = rt.ev.bind(rt);
    heap.use = (obj: KObject, line: number): void => {
      this.mark(line);
      use(obj, line);
    };
    heap.free = (obj: KObject, line: number): void => {
      this.mark(line);
      if (this.watched.has(obj)) this.record(obj.kind === 'bio' ? 'bio' : 'dio', 'free', 'f');
      free(obj, line);
    };
    const spawn = rt.spawn.bind(rt);
    rt.spawn = <C extends Context>(ctx: C): C => {
      const c = spawn(ctx);
      // The runtime's issuer kind holds both the io_uring issuer and the poller of a polled bio.
      if (c.kind === 'issuer' && c.name.startsWith('poll:')) this.kinds.set(c.id, 'poll');
      return c;
    };
    heap.alloc = <T extends KObject>(obj: T): T => {
      const o = alloc(obj);
      // Only the dio path's bios: the filesystem's log and flush bios are not the seed's.
      if (o.kind === 'bio' && !this.inSeed()) return o;
      if (o.kind === 'iomap_dio') {
        this.watch(o, 'dio');
        const iocb = (o as unknown as { iocb: object }).iocb;
        // XFS may call iomap_dio_rw twice with one kiocb (a retry): watch it once.
        if (!this.watched.has(iocb)) this.watch(iocb, 'iocb');
      } else this.watch(o, 'bio');
      return o;
    };
    rt.cover = (line: number): void => {
      this.mark(line);
      cover(line);
    };
    rt.ev = (line: number, event: string, detail?: string): void => {
      if (line > 0) this.mark(line);
      ev(line, event, detail);
    };
    this.watch(w.inode, 'inode');
    // The world's kernel environment (run.ts World.k): its ops table, wrapped entry by entry.
    const k = (w as unknown as { k: { ops: KernelOps } }).k;
    k.ops = this.wrapAll(k.ops as unknown as Record<string, unknown>, '') as unknown as KernelOps;
    // The filesystems' hooks, and the block layer's submit_bio and bio completion.
    // The model ext4 extends the model XFS (w.xfs holds either); each hook is named by its model.
    const xfs = w.xfs as unknown as Record<string, unknown> | null;
    if (xfs !== null) {
      this.wrapMethods(xfs, 'xfs.', ['readIomapBegin', 'writeIomapBegin', 'dioWriteEndIo', 'fsync']);
      this.wrapMethods(xfs, 'ext4.', [
        'ext4IomapBegin',
        'ext4IomapOverwriteBegin',
        'ext4IomapEnd',
        'ext4DioWriteEndIo',
      ]);
    }
    const file = (w as unknown as { xfsFile: Record<string, unknown> | null }).xfsFile;
    if (file !== null) {
      const prefix = file.constructor.name === 'Ext4File' ? 'ext4File.' : 'xfsFile.';
      this.wrapMethods(file, prefix, ['writeIter', 'dioRead', 'dioWrite']);
    }
    const fs = (w as unknown as { fs: Record<string, unknown> }).fs;
    this.wrapMethods(fs, 'scripted.', ['iomapBegin', 'iomapEnd', 'submitIo', 'endIo']);
    // The scripted filesystem's caller around iomap_dio_rw as a whole filesystem (FsSpec.generic):
    // its lock, resume loop, buffered fallback and page-cache read.
    const caller = (w as unknown as { caller: Record<string, unknown> | null }).caller;
    if (caller !== null) this.wrapMethods(caller, 'generic.', ['rw', 'dio', 'read', 'write', 'fallback']);
    this.wrapMethods(w.disk as unknown as Record<string, unknown>, 'disk.', [
      'submitBio',
      'submitBioGen',
      'step',
      'endio',
    ]);
    this.wrapMethods(w as unknown as Record<string, unknown>, 'world.', [
      'issueDio',
      'kiComplete',
      'issuerTaskWork',
    ]);
    const world = w as unknown as { deliver: (...a: unknown[]) => void };
    const deliver = world.deliver.bind(w);
    world.deliver = (...a: unknown[]): void => {
      this.record('result', 'deliver', 'w');
      deliver(...a);
    };
    const buffered = (w as unknown as { buffered: Record<string, unknown> | null }).buffered;
    if (buffered !== null)
      this.wrapMethods(buffered, 'buffered.', [
        'bufferedRead',
        'bufferedWrite',
        'mmapReadEofBlock',
        'truncate',
        'fallocate',
      ]);
  }

  /** Is the running context inside a seed function (an entry of the ops table)? */
  private inSeed(): boolean {
    const s = this.stack();
    const top = s?.[s.length - 1];
    return top !== undefined && !top.fn.includes('.');
  }

  private current(): Context | null {
    return this.rt?.current ?? null;
  }

  private stack(): Frame[] | null {
    const c = this.current();
    if (c === null) return null;
    let s = this.stacks.get(c.id);
    if (s === undefined) {
      s = [];
      this.stacks.set(c.id, s);
    }
    return s;
  }

  private mark(line: number): void {
    const s = this.stack();
    const top = s?.[s.length - 1];
    if (top !== undefined) top.line = line;
  }

  private where(): string {
    const s = this.stack();
    const top = s?.[s.length - 1];
    if (top === undefined) return '?';
    return top.line > 0 ? `${top.fn}:L${top.line}` : top.fn;
  }

  private record(obj: ObjKind, field: string, rw: 'r' | 'w' | 'f'): void {
    const c = this.current();
    const rt = this.rt;
    if (c === null || rt === null) return;
    const s = this.stack();
    const top = s?.[s.length - 1];
    if (top !== undefined && BOOKKEEPING.has(`${top.fn}:${field}`)) return;
    const where = this.where();
    const prev = this.lastOf.get(c.id);
    if (prev === undefined) {
      const start: Access = {
        step: c.steps === 1 ? rt.step : rt.step - 1,
        ctx: c.id,
        ctxKind: this.kinds.get(c.id) ?? c.kind,
        ctxName: c.name,
        where: 'start',
        obj: 'ctx',
        field: 'start',
        rw: 'r',
      };
      this.accesses.push(start);
    }
    // Repeated accesses of one field at one place in one step are one access (a cmpxchg reads
    // and writes; a trace detail reads the count an atomic just wrote): a write makes it `rw`.
    if (
      prev !== undefined &&
      rw !== 'f' &&
      prev.rw !== 'f' &&
      prev.step === rt.step &&
      prev.where === where &&
      prev.obj === obj &&
      prev.field === field
    ) {
      if (rw === 'w' && prev.rw === 'r') prev.rw = 'rw';
      return;
    }
    const a: Access = {
      step: rt.step,
      ctx: c.id,
      ctxKind: this.kinds.get(c.id) ?? c.kind,
      ctxName: c.name,
      where,
      obj,
      field,
      rw,
    };
    this.lastOf.set(c.id, a);
    this.accesses.push(a);
  }

  /** Each watched own field of `target` becomes an accessor over the same value. */
  private watch(target: object, obj: keyof typeof WATCHED): void {
    const rec = target as Record<string, unknown>;
    this.watched.add(target);
    for (const field of WATCHED[obj]) {
      if (!(field in rec)) throw new Error(`atomicity: ${obj} has no field ${field} (the model changed)`);
      let value = rec[field];
      Object.defineProperty(target, field, {
        enumerable: true,
        configurable: true,
        get: () => {
          this.record(obj, field, 'r');
          return value;
        },
        set: (v: unknown) => {
          this.record(obj, field, 'w');
          value = v;
        },
      });
    }
  }

  private enter(fn: string): void {
    this.stack()?.push({ fn, line: 0 });
  }

  private leave(): void {
    this.stack()?.pop();
  }

  /** A function that keeps `fn` on the running context's frame stack while it runs. */
  private wrap(
    fn: string,
    f: (...args: unknown[]) => unknown,
    self: unknown,
  ): (...args: unknown[]) => unknown {
    const log = this;
    if (f.constructor.name === 'GeneratorFunction') {
      return function* wrapped(...args: unknown[]): Generator<void, unknown, void> {
        log.enter(fn);
        try {
          return yield* f.apply(self, args) as Generator<void, unknown, void>;
        } finally {
          log.leave();
        }
      };
    }
    return (...args: unknown[]): unknown => {
      log.enter(fn);
      try {
        const r = f.apply(self, args);
        // A plain function returning a generator (a hook that delegates): frame the generator too.
        if (isGenerator(r)) return log.frameGen(fn, r);
        return r;
      } finally {
        log.leave();
      }
    };
  }

  private *frameGen(fn: string, g: Generator<void, unknown, void>): Generator<void, unknown, void> {
    this.enter(fn);
    try {
      return yield* g;
    } finally {
      this.leave();
    }
  }

  private wrapAll(table: Record<string, unknown>, prefix: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(table)) {
      out[name] =
        typeof f === 'function' ? this.wrap(prefix + name, f as (...a: unknown[]) => unknown, table) : f;
    }
    return out;
  }

  private wrapMethods(target: Record<string, unknown>, prefix: string, names: readonly string[]): void {
    for (const name of names) {
      const f = target[name];
      if (typeof f !== 'function') continue;
      target[name] = this.wrap(prefix + name, f as (...a: unknown[]) => unknown, target);
    }
  }
}

function isGenerator(x: unknown): x is Generator<void, unknown, void> {
  return typeof x === 'object' && x !== null && typeof (x as { next?: unknown }).next === 'function';
}
