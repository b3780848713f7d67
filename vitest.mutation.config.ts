/**
 * The vitest configuration of mutation testing (`npm run mutation`, stryker.config.json): the fast,
 * deterministic suites that judge model/kernel, imported in one file (properties/mutation/
 * all.mutation.ts says why and in which order), with a fixed seed and small budgets. Not the
 * project's test command: `npm test` uses vitest.config.ts.
 *
 * vitest.mutation.setup.ts shrinks the campaign to MUTATION_CAMPAIGN_RUNS cases and the other
 * properties to MUTATION_PROPERTY_RUNS; DIOSIM_SEED is fixed so that a mutant is killed or not,
 * the same on every run.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['properties/mutation/all.mutation.ts'],
    setupFiles: ['vitest.mutation.setup.ts', 'properties/support/setup.ts'],
    env: { DIOSIM_SEED: '20260101', DIOSIM_TIER: 'fast' },
    testTimeout: 60_000,
    reporters: ['dot'],
  },
});
