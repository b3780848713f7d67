/**
 * scripts/bench/callChain.ts: its counts are consistent (every generator is resumed at least once,
 * each resumption either yields or returns) and leave the generator prototype as it was; its
 * command line refuses what it does not know in one line.
 */
import { describe, expect, it } from 'vitest';
import { BENCH_SEED } from './options.ts';
import { sampleCases } from './measure.ts';
import { CallChainUsageError, countChain, parseCallChainArgs, unitCosts } from './callChain.ts';

describe('callChain counts', () => {
  it('counts generators and resumptions of campaign runs, and restores next()', () => {
    const proto = Object.getPrototypeOf(Object.getPrototypeOf((function* () {})())) as { next: unknown };
    const next = proto.next;
    const c = countChain(sampleCases(BENCH_SEED, 40), 5);
    expect(proto.next).toBe(next);
    expect(c.runs).toBe(40);
    expect(c.generators).toBeGreaterThan(1);
    expect(c.neverYielded).toBeLessThan(c.generators);
    // Every generator is resumed once more than it yields, at the least; a resumption yields or returns.
    expect(c.resumes).toBeGreaterThanOrEqual(c.generators);
    expect(c.resumes - c.yieldResumes).toBeLessThanOrEqual(c.generators + 1e-9);
    expect(c.top.length).toBeGreaterThan(0);
    expect(c.top.length).toBeLessThanOrEqual(5);
    expect(c.top.map((f) => f.name)).toContain('iomapIter');
  });

  it('measures positive unit costs', () => {
    const u = unitCosts(20_000);
    expect(u.perCall).toBeGreaterThan(0);
    expect(Number.isFinite(u.perLevel)).toBe(true);
  });
});

describe('callChain command line', () => {
  it('takes counts with the documented defaults', () => {
    expect(parseCallChainArgs([])).toEqual({ cases: 1000, warmupMs: 3000, functions: 0 });
    expect(parseCallChainArgs(['--cases', '5', '--warmup-ms=0', '--functions', '3'])).toEqual({
      cases: 5,
      warmupMs: 0,
      functions: 3,
    });
  });

  it('refuses a bad count or an unknown flag with one line', () => {
    expect(() => parseCallChainArgs(['--cases', 'many'])).toThrow(
      new CallChainUsageError("callChain: --cases must be a whole number of at least 1, not 'many'"),
    );
    expect(() => parseCallChainArgs(['--cases', '0'])).toThrow(CallChainUsageError);
    expect(() => parseCallChainArgs(['--fast'])).toThrow(CallChainUsageError);
  });
});
