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

  constructor(readonly blocks: number) {
    // Three views of one buffer: one allocation instead of three (a model XFS builds two maps), and
    // a finished campaign run's buffer when one was given back (recycleRun), hence the fills.
    const buf = BUFFER_POOL.take(blocks * 6);
    this.state = new Int8Array(buf, blocks * 4, blocks).fill(0);
    this.addr = new Int32Array(buf, 0, blocks).fill(-1);
    this.shared = new Uint8Array(buf, blocks * 5, blocks).fill(0);
  }

  clone(): ExtentMap {
    const m = new ExtentMap(this.blocks);
    m.state.set(this.state);
    m.addr.set(this.addr);
    m.shared.set(this.shared);
    return m;
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

  /** The buffer behind the three arrays (for recycleRun). */
  get buffer(): ArrayBufferLike {
    return this.addr.buffer;
  }

  set(block: number, state: number, addr: number, shared = 0): void {
    this.state[block] = state;
    this.addr[block] = addr;
    this.shared[block] = shared;
  }
}
