/**
 * scripts/bench/costSplit.ts: every part is measured, the derived parts add up to the full run, and
 * the command line refuses what it does not know in one line.
 */
import { describe, expect, it } from 'vitest';
import {
  CostSplitUsageError,
  formatCostSplit,
  measureCostSplit,
  PARTS,
  parseCostSplitArgs,
} from './costSplit.ts';

describe('cost split', () => {
  it('measures each part, and checkers, world and steps add up to the full run', () => {
    const r = measureCostSplit({ cases: 20, blocks: 2, blockMs: 5, warmupMs: 0 });
    expect(r.cases).toBe(20);
    expect(r.meanStepsPerRun).toBeGreaterThan(1);
    for (const p of PARTS) expect(r.us[p]).toBeGreaterThan(0);
    expect(r.checks + r.worldBuild + r.steps).toBeCloseTo(r.us.full, 1);
    expect(r.ratio).toBeCloseTo(r.us.bare / r.us.full, 3);
    expect(formatCostSplit(r)).toContain('ratio to the ceiling');
  });
});

describe('cost split command line', () => {
  it('takes counts with the documented defaults', () => {
    expect(parseCostSplitArgs([])).toEqual({ cases: 1000, blocks: 16, blockMs: 250, warmupMs: 3000 });
    expect(parseCostSplitArgs(['--blocks=3', '--warmup-ms', '0']).blocks).toBe(3);
  });

  it('refuses a bad count or an unknown flag with one line', () => {
    expect(() => parseCostSplitArgs(['--cases', 'many'])).toThrow(
      new CostSplitUsageError("costSplit: --cases must be a whole number of at least 1, not 'many'"),
    );
    expect(() => parseCostSplitArgs(['--blocks', '0'])).toThrow(CostSplitUsageError);
    expect(() => parseCostSplitArgs(['--fast'])).toThrow(CostSplitUsageError);
  });
});
