/**
 * scripts/bench/throughput.ts's campaign block: the campaign as `diocheck run` runs it (fast-check
 * drawing each case) makes as many runs as asked, counts their steps, and draws the same cases
 * from the same seed.
 */
import { describe, expect, it } from 'vitest';
import { campaignBlock, StepTally } from './throughput.ts';

describe('the campaign block of the throughput section', () => {
  it('runs the cases fast-check draws, counting runs and steps, the same from the same seed', () => {
    const a = new StepTally(false);
    campaignBlock(a, 30, 11);
    expect(a.runs).toBe(30);
    expect(a.modelErrors).toBe(0);
    expect([...a.violations.values()].reduce((x, y) => x + y, 0)).toBe(0);
    expect(a.steps).toBeGreaterThan(30);
    const b = new StepTally(false);
    campaignBlock(b, 30, 11);
    expect(b.steps).toBe(a.steps);
    const c = new StepTally(false);
    campaignBlock(c, 30, 12);
    expect(c.steps).not.toBe(a.steps);
  });
});
