/**
 * A set of the explorer's hashes (fingerprint.ts Hasher.value and combine: integers in
 * [0, 2^53)), by open addressing with linear probing over a Float64Array.
 *
 * A Set<number> boxes every such number past the small integers in a heap object of its own, and
 * the walk's set of distinct states keeps each one to the end: at sync N = 4 some 325,000 boxes,
 * each allocated young and copied by the scavenges that it survives. Here a hash is 8 bytes in
 * one typed array that the garbage collector does not trace.
 */
const EMPTY = -1;

export class HashSet53 {
  private table: Float64Array;
  private mask: number;
  /** How many hashes the set holds. */
  size = 0;

  constructor(capacity = 1024) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.table = new Float64Array(n).fill(EMPTY);
    this.mask = n - 1;
  }

  /** Adds `x` (an integer in [0, 2^53)); true if it was not in the set. */
  add(x: number): boolean {
    if (!(x >= 0 && x <= Number.MAX_SAFE_INTEGER && Math.floor(x) === x))
      throw new RangeError(`HashSet53: ${x} is not a hash`);
    const i = this.find(x);
    if (this.table[i] === x) return false;
    this.table[i] = x;
    this.size++;
    if (this.size * 2 > this.table.length) this.grow();
    return true;
  }

  has(x: number): boolean {
    return this.table[this.find(x)] === x;
  }

  /** The slot that holds `x`, or the empty slot where it would go. */
  private find(x: number): number {
    const t = this.table;
    const mask = this.mask;
    let i = slot(x) & mask;
    while (t[i] !== x && t[i] !== EMPTY) i = (i + 1) & mask;
    return i;
  }

  private grow(): void {
    const old = this.table;
    const t = new Float64Array(old.length * 2).fill(EMPTY);
    const mask = t.length - 1;
    for (let k = 0; k < old.length; k++) {
      const x = old[k] as number;
      if (x === EMPTY) continue;
      let i = slot(x) & mask;
      while (t[i] !== EMPTY) i = (i + 1) & mask;
      t[i] = x;
    }
    this.table = t;
    this.mask = mask;
  }
}

/** A hash's start slot: its low 32 bits mixed with the high 21 (the lanes of Hasher.value). */
function slot(x: number): number {
  const lo = x % 0x100000000;
  const hi = (x - lo) / 0x100000000;
  return Math.imul((lo ^ Math.imul(hi, 0x9e3779b1)) | 0, 0x85ebca6b) >>> 7;
}
