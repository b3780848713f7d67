/**
 * scripts/bench/sameRuns.ts: its digests are a function of the runs (the same options twice give
 * the same digests; one more case, or the timelines, change them), and its command line refuses
 * what it does not know in one line.
 */
import { describe, expect, it } from 'vitest';
import { parseSameRunsArgs, SameRunsUsageError, sameRunsDigests } from './sameRuns.ts';

const small = { cases: 60, bugRuns: 1, seedCases: 20, traced: false };

describe('sameRuns digests', () => {
  it('are the same for the same runs and differ when the runs differ', () => {
    const a = sameRunsDigests(small);
    const b = sameRunsDigests(small);
    expect(b).toEqual(a);
    expect(a.errors).toBe(0);
    const more = sameRunsDigests({ ...small, cases: 61 });
    expect(more.campaign).not.toBe(a.campaign);
    expect(more.bugs).toBe(a.bugs);
    const traced = sameRunsDigests({ ...small, traced: true });
    expect(traced.campaign).not.toBe(a.campaign);
  });
});

describe('sameRuns command line', () => {
  it('takes counts and --traced, with the documented defaults', () => {
    expect(parseSameRunsArgs([])).toEqual({ cases: 12_000, bugRuns: 30, seedCases: 2_000, traced: false });
    expect(parseSameRunsArgs(['--cases', '5', '--bug-runs=2', '--seed-cases', '0', '--traced'])).toEqual({
      cases: 5,
      bugRuns: 2,
      seedCases: 0,
      traced: true,
    });
  });

  it('refuses a bad count or an unknown flag with one line', () => {
    expect(() => parseSameRunsArgs(['--cases', 'many'])).toThrow(
      new SameRunsUsageError("sameRuns: --cases must be a whole number, not 'many'"),
    );
    expect(() => parseSameRunsArgs(['--fast'])).toThrow(SameRunsUsageError);
  });
});
