/**
 * scripts/bench/paired.ts: two copies of one checkout run the same runs, and their speed ratio is
 * a finite figure near 1; two results combine as the geometric mean of their medians; the command
 * line refuses what it does not know, and a directory that is no checkout, in one line.
 */
import { describe, expect, it } from 'vitest';
import { combinePaired, HERE, measurePaired, PairedUsageError, parsePairedArgs } from './paired.ts';

describe('paired measurement', () => {
  it('runs both sides over the same cases and gives their speed ratio', async () => {
    const o = { base: HERE, other: HERE, cases: 20, blocks: 2, blockMs: 5, warmupMs: 0, first: 'a' as const };
    const r = await measurePaired(o);
    expect(r.cases).toBe(20);
    expect(r.pairs).toBe(2);
    expect(r.a.runs).toBeGreaterThanOrEqual(40);
    expect(r.b.runs).toBeGreaterThanOrEqual(40);
    expect(r.speedup).toBeGreaterThan(0.2);
    expect(r.speedup).toBeLessThan(5);
    const c = combinePaired(r, { ...r, speedup: 1 / r.speedup });
    expect(c.speedup).toBeCloseTo(1, 2);
  });
});

describe('paired command line', () => {
  it('needs --base and takes counts with the documented defaults', () => {
    expect(parsePairedArgs(['--base', HERE])).toEqual({
      base: HERE,
      other: HERE,
      cases: 1000,
      blocks: 20,
      blockMs: 300,
      warmupMs: 3000,
      first: null,
    });
    expect(parsePairedArgs(['--base', HERE, '--blocks=4', '--first', 'b']).blocks).toBe(4);
  });

  it('refuses a missing base, a non-checkout, a bad count or an unknown flag with one line', () => {
    expect(() => parsePairedArgs([])).toThrow(
      new PairedUsageError('paired: --base DIR is required (the checkout to compare with)'),
    );
    expect(() => parsePairedArgs(['--base', '/nonexistent'])).toThrow(
      new PairedUsageError(
        'paired: --base /nonexistent is not a diocheck checkout (no scripts/bench/throughput.ts)',
      ),
    );
    expect(() => parsePairedArgs(['--base', HERE, '--blocks', '0'])).toThrow(PairedUsageError);
    expect(() => parsePairedArgs(['--base', HERE, '--first', 'c'])).toThrow(PairedUsageError);
    expect(() => parsePairedArgs(['--base', HERE, '--fast'])).toThrow(PairedUsageError);
  });
});
