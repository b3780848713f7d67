/**
 * vitest setup (vitest.config.ts setupFiles): one seed and one tier for every property in a file.
 *
 * DIOSIM_SEED fixes the seed (decimal, as fast-check prints it); without it a fresh seed is taken
 * from the clock, which is what CI gets unless its script passes one. Either way the seed is printed
 * once per test process as `DIOSIM_SEED=<seed> DIOSIM_TIER=<tier>`, a prefix that can be pasted in
 * front of `npm test` to run the same cases again. DIOSIM_TIER picks the budgets
 * (properties/support/budget.ts). A malformed variable stops the suite with a one-line error.
 */
import fc from 'fast-check';
import { currentBudget, freshSeed, parseSeed } from './budget.ts';

const budget = currentBudget();
const given = process.env.DIOSIM_SEED;
const seed = given === undefined || given === '' ? freshSeed() : parseSeed(given, 'DIOSIM_SEED');

fc.configureGlobal({ seed, numRuns: budget.propertyRuns });

const printed = globalThis as { __diosimSeedPrinted?: boolean };
if (printed.__diosimSeedPrinted !== true) {
  printed.__diosimSeedPrinted = true;
  const origin = given ? '' : process.env.CI ? '  (generated in CI from the clock)' : '  (generated)';
  console.log(`DIOSIM_SEED=${seed} DIOSIM_TIER=${budget.tier}${origin}`);
}
