import { describe, expect, it } from 'vitest';
import { combine } from './fingerprint.ts';
import { HashSet53 } from './hashSet.ts';

describe('HashSet53', () => {
  it('counts distinct hashes as a Set does, through growth, with 0 and 2^53 - 1 among them', () => {
    const ours = new HashSet53(4);
    const ref = new Set<number>();
    const xs = [0, Number.MAX_SAFE_INTEGER, 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52];
    for (let i = 0; i < 20_000; i++) xs.push(combine(i % 7_001, 3));
    for (const x of xs) {
      const fresh = !ref.has(x);
      ref.add(x);
      expect(ours.add(x)).toBe(fresh);
    }
    expect(ours.size).toBe(ref.size);
    expect(ref.size).toBe(7_001 + 6);
    for (const x of xs) expect(ours.has(x)).toBe(true);
    expect(ours.has(combine(7_002, 4))).toBe(ref.has(combine(7_002, 4)));
  });

  it('refuses what is not a hash (a negative, a fraction, past 2^53)', () => {
    const s = new HashSet53();
    expect(() => s.add(-1)).toThrow(RangeError);
    expect(() => s.add(0.5)).toThrow(RangeError);
    expect(() => s.add(2 ** 53)).toThrow(RangeError);
    expect(() => s.add(Number.NaN)).toThrow(RangeError);
    expect(s.size).toBe(0);
  });
});
