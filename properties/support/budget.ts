/**
 * Every budget of the property suite and the campaign, in one place (STYLE rule 12).
 *
 * Two tiers, chosen with DIOSIM_TIER:
 * - fast (the default, and CI): the vitest suite stays within about 30 s on a 2-core machine, and
 *   `diocheck run` without --runs or --time runs for a minute;
 * - soak: many more runs per property, and a ten-minute default campaign.
 * Bounds on a single run (steps, bios per dio, contexts) are the model's DEFAULT_BOUNDS
 * (model/runtime/runtime.ts); a run that hits one is counted, never passed or failed.
 * Seeds are read here too, so that DIOSIM_SEED and `--seed` accept exactly the same text.
 */

export type Tier = 'fast' | 'soak';

export interface Budget {
  readonly tier: Tier;
  /** Runs of the campaign property in properties/campaign.test.ts. */
  readonly campaignRuns: number;
  /** Runs of any other property (the fc.configureGlobal default). */
  readonly propertyRuns: number;
  /** Length of `diocheck run` when neither --runs nor --time is given. */
  readonly campaignTimeMs: number;
  /** Extra time `diocheck run` gives shrinking when the time budget ran out mid-shrink. */
  readonly shrinkTimeMs: number;
  /** numRuns handed to fast-check for a time-limited campaign: never reached in practice. */
  readonly timedRunsMax: number;
  /** Largest share of runs that may end on a bound before a campaign counts as vacuous. */
  readonly boundShareMax: number;
}

const BUDGETS: Readonly<Record<Tier, Budget>> = {
  fast: {
    tier: 'fast',
    campaignRuns: 50_000,
    propertyRuns: 200,
    campaignTimeMs: 60_000,
    shrinkTimeMs: 60_000,
    timedRunsMax: 2_000_000_000,
    boundShareMax: 0.01,
  },
  soak: {
    tier: 'soak',
    campaignRuns: 2_000_000,
    propertyRuns: 5_000,
    campaignTimeMs: 600_000,
    shrinkTimeMs: 300_000,
    timedRunsMax: 2_000_000_000,
    boundShareMax: 0.01,
  },
};

/** The tier named by DIOSIM_TIER ('fast' when unset); anything else is an error. */
export function tierFromEnv(env: NodeJS.ProcessEnv = process.env): Tier {
  const raw = env.DIOSIM_TIER;
  if (raw === undefined || raw === '') return 'fast';
  if (raw === 'fast' || raw === 'soak') return raw;
  throw new Error(`DIOSIM_TIER must be 'fast' or 'soak', not '${raw}'`);
}

export function budgetFor(tier: Tier): Budget {
  return BUDGETS[tier];
}

/** The budget of the tier DIOSIM_TIER selects. */
export function currentBudget(env: NodeJS.ProcessEnv = process.env): Budget {
  return budgetFor(tierFromEnv(env));
}

/**
 * A fast-check seed from its decimal text (what DIOSIM_SEED, `--seed` and fast-check's own reports
 * use). Anything else is an error naming `what`: no hex, no exponent, no fraction, no spaces.
 */
export function parseSeed(text: string, what: string): number {
  if (!/^-?\d{1,16}$/.test(text)) throw new Error(`${what} must be a decimal integer, not '${text}'`);
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`${what} is out of range: '${text}'`);
  return seed;
}

/** A fresh seed from the clock (mixed with Math.random, as fast-check does), a 32-bit integer. */
export function freshSeed(): number {
  return (Date.now() ^ (Math.random() * 0x1_0000_0000)) | 0;
}

/** The teeth gate: every planted bug must be caught from each of these seeds within this many runs. */
export const BUG_HUNT_SEEDS: readonly string[] = ['1', '2', '3'];
export const BUG_HUNT_BUDGET = 200;

/** The vacuity guards: every dangerous situation must be reached in this many campaign cases. */
export const REACH_SEED = 20261125;
export const REACH_RUNS = 4000;
