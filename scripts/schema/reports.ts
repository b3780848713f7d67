/**
 * The JSON reports the command line writes, stated once as zod schemas; generate.ts turns each into
 * a JSON Schema under spec/schema/ (the README links them), and schema.test.ts holds real runs'
 * reports to them.
 *
 * - run report: `run --json` (one process, or one `--shard i/n`), scripts/commands/run.ts.
 * - merge report: `merge --json` and `run --workers N --json` (the shards merged), merge.ts.
 * - diff report: `diff --json`, diff.ts.
 * - explore report: `explore --json`, explore.ts.
 * - hunt report: `hunt --json`, hunt.ts; hunt history: `hunt --record` (properties/bugs/hunt-history.json).
 *
 * Objects are strict: a field the code starts writing fails the tests until the schema states it.
 */
import { z } from 'zod';
import { KERNEL_VERSIONS, type KernelVersion } from '../../model/kernel/ops.ts';
import type { StopReason } from '../../properties/explore/engine.ts';
import type { Shard } from '../commands/args.ts';
import type { DiffReport } from '../commands/diff.ts';
import type { WalkSummary } from '../commands/explore.ts';
import type { Finding } from '../commands/findings.ts';
import type { BugHunt, HuntHistory, Regression } from '../commands/hunt.ts';
import type { MergedSummary } from '../commands/merge.ts';
import type { CampaignSummary } from '../commands/run.ts';
import {
  anyText,
  array,
  bool,
  count,
  counts,
  date,
  type Fits,
  figure,
  int,
  must,
  object,
  oneOf,
  text,
} from './fields.ts';

const KERNEL_SETTINGS = Object.keys(KERNEL_VERSIONS) as [KernelVersion, ...KernelVersion[]];

/** A campaign seed: fast-check takes a 32-bit integer. */
function seed() {
  const expected = must('a 32-bit integer');
  return z
    .int(expected)
    .min(-(2 ** 31), expected)
    .max(2 ** 31 - 1, expected);
}

// ---------------------------------------------------------------------------------------------
// run --json, merge --json.

const shard = object({ index: int(1), count: int(1) }).describe('Shard index of count, from 1');

const failure = object({
  invariant: text().nullable().describe('The invariant violated; null when the model threw'),
  verdict: text(),
  path: anyText().describe('The fast-check path: `repro --seed SEED --path PATH` replays it'),
  replayFile: text().nullable(),
}).describe('The first new finding (or the first known one), or the first failure of --stop-at-first');

const finding = object({
  invariant: text(),
  seedLine: int(0).describe('The seed line the violation was found at'),
  contextKind: text().describe('The kind of context that was running: task, irq, poll, workqueue, ...'),
  fs: oneOf(['xfs', 'ext4', 'scripted']),
  signature: text(),
  labels: array(text()).describe(
    'Labels of the choices that matter (the causal core of the smallest replay)',
  ),
  count: count().describe('Violating runs with this signature'),
  firstRun: count(),
  path: anyText(),
  replayFile: text().nullable(),
  message: anyText(),
  ops: count(),
  deviations: count(),
  shrunk: bool(),
  known: text().nullable().describe('The baseline replay file that holds it; null: a new finding'),
  knownReason: anyText().nullable(),
  confirmation: oneOf(['unconfirmed', 'confirmed', 'refuted', 'not-confirmable']),
  confirmationDetail: anyText().nullable(),
}).describe('One finding: the violating runs of one signature (spec/findings.md)');

const runFields = {
  format: z.literal('diocheck-summary', must('"diocheck-summary"')),
  version: z.literal(1, must('1')),
  modelVersion: text(),
  seed: seed(),
  profile: oneOf(['fast', 'soak', 'swarm']),
  tier: oneOf(['fast', 'soak']),
  kernel: oneOf(KERNEL_SETTINGS)
    .nullable()
    .describe('The kernel setting of `run --kernel`; null: the correct model'),
  shard: shard.nullable().describe("This report's shard; null: the whole campaign"),
  runs: count(),
  passes: count(),
  violations: counts().describe('Violating runs per invariant'),
  boundHits: count(),
  boundHitsByName: counts(),
  modelErrors: count(),
  shrinkRuns: count(),
  elapsedMs: count(),
  runsPerSecond: count(),
  coverage: object({
    marked: count(),
    reached: count(),
    unreached: array(int(1)).describe('Marked seed lines no run reached'),
    hits: counts().describe('Hits of every marked seed line, keyed by line number'),
  }),
  reach: counts().describe('Runs that reached each vacuity guard (properties/invariants/reach.ts)'),
  faultClasses: counts().describe('Runs that had each fault class on'),
  interrupted: text()
    .regex(/^SIG[A-Z0-9]+$/, must('a signal name'))
    .optional()
    .describe('The signal that stopped the campaign early: its counts are partial'),
  failure: failure.nullable(),
  findings: array(finding).optional().describe('The findings of a triaging campaign, one per signature'),
};

export const runReportSchema = object(runFields)
  .describe('The summary of one campaign, or of one shard: `diocheck run --json FILE`')
  .meta({ title: 'diocheck run report' });

const shardFailure = failure
  .extend({
    shard: int(1),
    replay: array(text()).describe('The commands that replay it'),
  })
  .describe('A failure of one shard');

export const mergeReportSchema = object({
  ...runFields,
  failure: shardFailure.nullable().describe("The first failing shard's failure"),
  shards: object({ count: int(1), merged: array(int(1)), missing: array(int(1)) }),
  failures: array(shardFailure).describe('Every failing shard, by shard'),
})
  .describe(
    'The shards of one campaign merged: `diocheck merge A.json B.json --json FILE`, `diocheck run --workers N --json FILE`',
  )
  .meta({ title: 'diocheck merge report' });

// ---------------------------------------------------------------------------------------------
// diff --json.

export const diffReportSchema = object({
  format: z.literal('diocheck-diff', must('"diocheck-diff"')),
  version: z.literal(1, must('1')),
  seed: seed(),
  a: oneOf(KERNEL_SETTINGS),
  b: oneOf(KERNEL_SETTINGS),
  runs: count(),
  differing: count().describe('Scenarios whose observable outcome differs'),
  elapsedMs: count(),
  groups: array(
    object({
      key: text().describe('The first differing item: what, the operation, the filesystem, each side'),
      count: count(),
      firstRun: count(),
      path: anyText().describe('`repro --seed SEED --path PATH --kernel A|B` replays the smallest'),
      ops: count(),
      shrunk: bool(),
      a: anyText(),
      b: anyText(),
      differentQuestions: bool().describe('The two sides asked different questions of the choice stream'),
    }),
  ),
})
  .describe('Scenarios whose outcome differs between two kernel settings: `diocheck diff --json FILE`')
  .meta({ title: 'diocheck diff report' });

// ---------------------------------------------------------------------------------------------
// explore --json.

const STOP_REASONS = [
  'states',
  'paths',
  'time',
  'found',
  'model-error',
] as const satisfies readonly StopReason[];

const walk = object({
  name: text(),
  bug: text().nullable(),
  maxFaults: count(),
  crash: bool(),
  complete: bool().describe('Every path was walked (no limit stopped the walk)'),
  stoppedBy: oneOf(STOP_REASONS).nullable(),
  paths: count(),
  completedPaths: count(),
  prunedPaths: count(),
  sleepBlockedPaths: count(),
  sleepSkips: count(),
  faultCuts: count(),
  states: count(),
  boundHits: count(),
  elapsedMs: count(),
  violations: z
    .record(z.string(), object({ count: count(), shortestChoices: count(), message: anyText() }))
    .describe('Violating paths per invariant, with the shortest'),
  replayFile: text().nullable(),
  modelError: anyText().nullable(),
});

export const exploreReportSchema = object({
  format: z.literal('diocheck-explore', must('"diocheck-explore"')),
  version: z.literal(1, must('1')),
  walks: array(walk),
})
  .describe('Exhaustive walks of scopes: `diocheck explore --json FILE`')
  .meta({ title: 'diocheck explore report' });

// ---------------------------------------------------------------------------------------------
// hunt --json, hunt --record.

const seedHunt = object({
  seed: text(),
  runs: count(),
  milliseconds: figure(),
  invariant: text().nullable().describe('The invariant that fired; null: the budget ran out'),
  runSeed: text().nullable().describe('`hunt --bug NAME --replay RUNSEED` replays it'),
  steps: count().nullable(),
  deviations: count().nullable(),
});

const bugHunt = object({
  name: text(),
  commit: text(),
  invariant: text().describe('The invariant the catalogue names'),
  status: oneOf(['caught', 'escaped', 'wrong-invariant', 'model-error']),
  caughtBy: array(text()),
  escapes: count(),
  medianRuns: figure(),
  worstRuns: count(),
  medianMs: figure(),
  worstMs: figure(),
  smallest: seedHunt.nullable(),
  seeds: array(seedHunt),
  error: anyText().nullable(),
});

const regression = object({ name: text(), was: figure(), now: figure(), date: date() });

export const huntReportSchema = object({
  date: date(),
  seeds: int(1),
  budget: int(1),
  history: text().nullable().describe('The history compared with; null: none comparable'),
  regressions: array(regression).describe('Bugs more than twice as slow to detect as recorded'),
  bugs: array(bugHunt),
})
  .describe('Detection power over the planted bugs: `diocheck hunt --json FILE`')
  .meta({ title: 'diocheck hunt report' });

export const huntHistorySchema = z
  .looseObject(
    {
      seeds: int(1),
      budget: int(1),
      bugs: z.record(
        z.string(),
        object({ date: date(), medianRuns: figure(), worstRuns: count() }),
        must('an object of bugs'),
      ),
    },
    must('a JSON object'),
  )
  .describe(
    "The recorded detection figures: `diocheck hunt --record` (properties/bugs/hunt-history.json); other sections (the bench's generalCampaign) are kept as they are",
  )
  .meta({ title: 'diocheck hunt history' });

// What the commands write fits their schemas (types the code states more loosely than it writes
// are narrowed here: the tier is the budget's, the signal one the campaign stops on).
type Narrowed<T> = Omit<T, 'tier' | 'interrupted'> & {
  readonly tier: 'fast' | 'soak';
  readonly interrupted?: string;
};
true satisfies Fits<Narrowed<CampaignSummary>, z.output<typeof runReportSchema>>;
// merge.ts types the merged `failure` as a shard's plain one; it writes the first of `failures`,
// with its shard and replay commands (a real merge's report showed it), as the schema says.
type MergedFailure = MergedSummary['failures'][number];
true satisfies Fits<
  Omit<Narrowed<MergedSummary>, 'failure'> & { readonly failure: MergedFailure | null },
  z.output<typeof mergeReportSchema>
>;
true satisfies Fits<Finding, z.output<typeof finding>>;
true satisfies Fits<Shard, z.output<typeof shard>>;
true satisfies Fits<DiffReport, z.output<typeof diffReportSchema>>;
true satisfies Fits<WalkSummary, z.output<typeof walk>>;
true satisfies Fits<BugHunt, z.output<typeof bugHunt>>;
true satisfies Fits<Regression, z.output<typeof regression>>;
true satisfies Fits<HuntHistory, z.output<typeof huntHistorySchema>>;

/** Every report, by the name of its JSON Schema file under spec/schema/ (without .schema.json). */
export const REPORT_SCHEMAS = {
  'run-report': runReportSchema,
  'merge-report': mergeReportSchema,
  'diff-report': diffReportSchema,
  'explore-report': exploreReportSchema,
  'hunt-report': huntReportSchema,
  'hunt-history': huntHistorySchema,
} as const;
