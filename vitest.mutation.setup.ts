/**
 * Mutation testing only (vitest.mutation.config.ts): the fast tier's budgets, made smaller. The
 * campaign runs MUTATION_CAMPAIGN_RUNS cases instead of 50 000 and other properties
 * MUTATION_PROPERTY_RUNS, so that the suite that judges each mutant takes about a second.
 */
import { vi } from 'vitest';

export const MUTATION_CAMPAIGN_RUNS = 1000;
export const MUTATION_PROPERTY_RUNS = 100;

vi.mock('./properties/support/budget.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('./properties/support/budget.ts')>();
  const small = (b: ReturnType<typeof real.budgetFor>) => ({
    ...b,
    campaignRuns: Math.min(b.campaignRuns, MUTATION_CAMPAIGN_RUNS),
    propertyRuns: Math.min(b.propertyRuns, MUTATION_PROPERTY_RUNS),
  });
  return {
    ...real,
    budgetFor: (tier: Parameters<typeof real.budgetFor>[0]) => small(real.budgetFor(tier)),
    currentBudget: (env?: NodeJS.ProcessEnv) => small(real.currentBudget(env)),
  };
});
