/**
 * Tracing is an observer (model/runtime/runtime.ts, ev): a run without it records no event and
 * builds no event text (every call site is guarded by `if (rt.tracing)`), and a run with it takes
 * the same course. Random campaign cases on the correct model and on the seed, each run twice;
 * the events the traced runs show must include every event model/kernel can emit in a campaign,
 * so that the untraced half has passed every guarded call site.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { FIXED_OPS, SEED_OPS } from '../../model/kernel/ops.ts';
import type { RunResult } from '../../model/world/run.ts';
import { type CampaignCase, caseProperty, runCase } from '../../scripts/commands/campaign.ts';

/** Cases per kernel: enough to pass every kernel event below (checked), under a second. */
const CASES = 100;
const SEED = 20261206;

/**
 * The events of model/kernel the sampled cases reach. Not required of them: iomap_dio_invalidate_fail
 * (L642) and pr_warn (L511), rare in a campaign (properties/mutation/submission.test.ts pins both),
 * and WARN_ON_ONCE (6.12.117 L261-265), unreachable at the model's block sizes (spec/mutation.md).
 */
const KERNEL_EVENTS = [
  'iomap_dio_rw_begin',
  'iomap_dio_iter',
  'iomap_dio_rw_submitted',
  'iomap_dio_rw_queued',
  'blk_io_schedule',
  'iomap_dio_complete',
  'ki_complete',
  'iomap_dio_set_error',
  'WRITE_ONCE',
  'blk_wake_io_task',
  'queue_work',
  'bio_iov_iter_get_pages',
  'iomap_dio_zero',
];

function cases(): CampaignCase[] {
  const out: CampaignCase[] = [];
  // caseProperty's arbitraries, sampled: the predicate only collects.
  fc.assert(
    caseProperty((c) => {
      out.push(c);
    }),
    { numRuns: CASES, seed: SEED },
  );
  return out;
}

/** What a run did, trace aside: enough to tell two courses apart. */
function course(r: RunResult): unknown {
  return {
    outcome: r.outcome,
    violation: r.violation?.message ?? null,
    steps: r.steps,
    choices: r.choices,
    requests: r.requests.map((q) => ({ returned: q.returned, completions: q.completions })),
    coverage: Array.from(r.coverage),
  };
}

describe('tracing observes and changes nothing (every `if (rt.tracing)` of model/kernel)', () => {
  const all = cases();
  for (const [name, ops] of [
    ['the correct model', FIXED_OPS],
    ['the seed', SEED_OPS],
  ] as ReadonlyArray<readonly [string, Readonly<KernelOps>]>) {
    it(`${name}: an untraced run records no event, and a traced one takes the same course`, () => {
      const seen = new Set<string>();
      for (const c of all) {
        const quiet = runCase(c, false, ops);
        expect(quiet.trace, JSON.stringify(quiet.trace.slice(0, 3))).toHaveLength(0);
        const quietCourse = course(quiet);
        const traced = runCase(c, true, ops);
        for (const e of traced.trace) seen.add(e.event);
        expect(course(traced)).toEqual(quietCourse);
      }
      expect(KERNEL_EVENTS.filter((e) => !seen.has(e))).toEqual([]);
    });
  }
});
