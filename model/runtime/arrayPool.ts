/**
 * Spare typed arrays and buffers of finished runs, handed to the next run instead of a fresh
 * allocation.
 *
 * A campaign runs hundreds of thousands of worlds, each with a disk's media (one Int32Array entry
 * per sector, its pool in model/block/disk.ts) and a coverage array; allocating and collecting them
 * was a fifth of a campaign's time.
 * A run's owner that is done with its result gives the arrays back (recycleRun in
 * model/world/run.ts); a run that is never given back simply leaves its arrays to the collector.
 * A taken array is filled with the value asked for, so a run never sees another run's data.
 */

/** How many spare arrays of one length are kept (a run gives back one of each). */
const SPARES_MAX = 4;

export class TypedArrayPool<T extends { readonly length: number; fill(value: number): unknown }> {
  private readonly spares = new Map<number, T[]>();

  constructor(private readonly make: (length: number) => T) {}

  /** An array of `length` entries, every one `fill`. */
  take(length: number, fill: number): T {
    const a = this.spares.get(length)?.pop();
    if (a === undefined) {
      const fresh = this.make(length);
      if (fill !== 0) fresh.fill(fill);
      return fresh;
    }
    a.fill(fill);
    return a;
  }

  /** An array of `length` entries whose contents are undefined: its taker writes every one. */
  takeToOverwrite(length: number): T {
    return this.spares.get(length)?.pop() ?? this.make(length);
  }

  /** Gives an array back: its holder must not read or write it any more. */
  give(a: T): void {
    let list = this.spares.get(a.length);
    if (list === undefined) {
      list = [];
      this.spares.set(a.length, list);
    }
    if (list.length < SPARES_MAX && !list.includes(a)) list.push(a);
  }
}

/**
 * Typed arrays handed out with every entry `value`, and given back with the range their holder may
 * have changed: only that range is refilled. For an array a run writes little of (the disk's media:
 * a run writes a few dozen of its thousands of sectors), where filling all of it cost more than
 * the rest of the world's allocation (~3 µs a run on the bench's machine).
 */
export class PristinePool<
  T extends { readonly length: number; fill(value: number, start?: number, end?: number): unknown },
> {
  private readonly spares = new Map<number, T[]>();

  constructor(
    private readonly make: (length: number) => T,
    readonly value: number,
  ) {}

  /** An array of `length` entries, every one `value`. */
  take(length: number): T {
    const a = this.spares.get(length)?.pop();
    if (a !== undefined) return a;
    const fresh = this.make(length);
    if (this.value !== 0) fresh.fill(this.value);
    return fresh;
  }

  /**
   * Gives an array back whose entries outside [from, to) and [from2, to2) are all still `value`:
   * its holder must not read or write it any more.
   */
  give(a: T, from: number, to: number, from2 = 0, to2 = 0): void {
    let list = this.spares.get(a.length);
    if (list === undefined) {
      list = [];
      this.spares.set(a.length, list);
    }
    if (list.length >= SPARES_MAX || list.includes(a)) return;
    if (from < to) a.fill(this.value, from, to);
    if (from2 < to2) a.fill(this.value, from2, to2);
    list.push(a);
  }
}

/** Spare ArrayBuffers by byte length (several of one length: a world has two extent maps). */
export class BufferPool {
  private readonly spares = new Map<number, ArrayBuffer[]>();

  /**
   * A buffer of `bytes` bytes whose contents are undefined: a fresh one is zero, a recycled one
   * holds what its last run left. The taker fills every view it makes of it.
   */
  take(bytes: number): ArrayBuffer {
    return this.spares.get(bytes)?.pop() ?? new ArrayBuffer(bytes);
  }

  /** Gives a buffer back: no view of it may be read or written any more. */
  give(b: ArrayBufferLike): void {
    if (!(b instanceof ArrayBuffer)) return;
    let list = this.spares.get(b.byteLength);
    if (list === undefined) {
      list = [];
      this.spares.set(b.byteLength, list);
    }
    if (list.length < BUFFERS_MAX && !list.includes(b)) list.push(b);
  }
}

const BUFFERS_MAX = 16;

/** Buffers of extent maps, the COW fork and user buffers (recycleRun gives them back). */
export const BUFFER_POOL = new BufferPool();
/** The model filesystem's COW fork (model/fs/xfs.ts; recycleRun gives it back). */
export const INT32_POOL = new TypedArrayPool<Int32Array>((n) => new Int32Array(n));
/** Coverage arrays (model/runtime/runtime.ts). */
export const COVERAGE_POOL = new TypedArrayPool<Uint32Array>((n) => new Uint32Array(n));
