import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { campaignCaseArbitrary, runCase } from '../scripts/commands/campaign.ts';
import { REACH_GUARDS, ReachTally } from './invariants/reach.ts';
import { REACH_RUNS, REACH_SEED } from './support/budget.ts';

describe(`vacuity guards (seed ${REACH_SEED}, ${REACH_RUNS} runs)`, () => {
  const tally = new ReachTally();
  const cases = fc.sample(campaignCaseArbitrary(), { seed: REACH_SEED, numRuns: REACH_RUNS });
  for (const c of cases) tally.record(runCase(c));

  for (const guard of REACH_GUARDS) {
    it(`${guard.id} (${guard.family}) reaches ${guard.what}`, () => {
      expect(tally.counts.get(guard.id) ?? 0).toBeGreaterThan(0);
    });
  }
});
