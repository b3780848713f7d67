/**
 * The data fork of one inode, one entry per filesystem block: its state (hole, delalloc,
 * unwritten, written), its disk block, and whether it is shared with another file (reflink).
 * Files are small here, so a flat array is both the simplest and the fastest representation;
 * iomap_begin reports the run of equal entries starting at a position, as XFS reports an extent.
 */
import { BUFFER_POOL } from '../runtime/arrayPool.ts';

export const EXT_HOLE = 0;
export const EXT_DELALLOC = 1;
export const EXT_UNWRITTEN = 2;
export const EXT_WRITTEN = 3;

export class ExtentMap {
  readonly state: Int8Array;
  /** Disk block number (in filesystem blocks) of each mapped file block; -1 for none. */
  readonly addr: Int32Array;
  readonly shared: Uint8Array;

  /**
   * An empty map (every block a hole), or with `from` a copy of that map. A world's maps come from
   * ExtentMap.take and its clones, which reuse a finished run's map (recycleRun gives them back).
   */
  constructor(
    readonly blocks: number,
    from: ExtentMap | null = null,
  ) {
    // Three views of one buffer: one allocation instead of three (a model XFS builds two maps), and
    // a finished campaign run's buffer when one was given back (recycleRun), hence the fills.
    const buf = BUFFER_POOL.take(blocks * 6);
    this.state = new Int8Array(buf, blocks * 4, blocks);
    this.addr = new Int32Array(buf, 0, blocks);
    this.shared = new Uint8Array(buf, blocks * 5, blocks);
    this.reset(from);
  }

  /** Every entry a hole, or with `from` that map's entries (of as many blocks). */
  private reset(from: ExtentMap | null): void {
    if (from === null) {
      this.state.fill(0);
      this.addr.fill(-1);
      this.shared.fill(0);
    } else {
      // A copy overwrites every entry: no fill first.
      this.state.set(from.state);
      this.addr.set(from.addr);
      this.shared.set(from.shared);
    }
  }

  /**
   * As `new ExtentMap(blocks, from)`, in a map a finished run gave back when there is one: its
   * three views are reused, not made again (a typed array's construction costs more than its fill).
   */
  static take(blocks: number, from: ExtentMap | null = null): ExtentMap {
    const m = SPARE_MAPS.get(blocks)?.pop();
    if (m === undefined) return new ExtentMap(blocks, from);
    m.reset(from);
    return m;
  }

  /** Gives a map back for take: its holder must not read or write it any more. */
  static give(m: ExtentMap): void {
    let list = SPARE_MAPS.get(m.blocks);
    if (list === undefined) {
      list = [];
      SPARE_MAPS.set(m.blocks, list);
    }
    if (list.length < SPARE_MAPS_MAX && !list.includes(m)) list.push(m);
  }

  clone(): ExtentMap {
    return ExtentMap.take(this.blocks, this);
  }

  /** Length in blocks of the run starting at `block` with the same state, sharing and contiguous addresses. */
  runLength(block: number, maxBlocks: number): number {
    const s = this.state[block];
    const sh = this.shared[block];
    const a = this.addr[block] ?? -1;
    let n = 1;
    while (n < maxBlocks && block + n < this.blocks) {
      const b = block + n;
      if (this.state[b] !== s || this.shared[b] !== sh) break;
      if (a >= 0 && this.addr[b] !== a + n) break;
      n++;
    }
    return n;
  }

  /**
   * set() of blocks [block, block + count), block + i mapped at addr + i (null: at -1, none): the
   * same entries as one set() per block, and like those nothing outside the map changes.
   */
  setRun(block: number, count: number, state: number, addr: number | null, shared: number): void {
    const from = Math.max(0, block);
    const to = Math.min(this.blocks, block + count);
    // One loop, not fills: a typed array's fill is a builtin call that costs more than a loop over
    // the few blocks of an extent (a campaign world's extents are one block each).
    for (let b = from; b < to; b++) {
      this.state[b] = state;
      this.shared[b] = shared;
      this.addr[b] = addr === null ? -1 : addr + (b - block);
    }
  }

  set(block: number, state: number, addr: number, shared = 0): void {
    this.state[block] = state;
    this.addr[block] = addr;
    this.shared[block] = shared;
  }
}

/** Spare maps by length in blocks (ExtentMap.give); a run gives back up to three of one length. */
const SPARE_MAPS = new Map<number, ExtentMap[]>();
const SPARE_MAPS_MAX = 16;
