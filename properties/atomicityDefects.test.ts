/**
 * The atomicity defects issue 17 left (spec/atomicity.md, "Defects fixed"), each as the behaviour
 * the finer model now shows: a bio that fails inside submit_bio ends in its submitter; an io_uring
 * caller completion is task_work of the task that issued it; a waiter in inode_dio_wait may run
 * between a completion's inode_dio_end and the delivery of its result; and another dio's ->end_io
 * may grow i_size between the filesystem's read of it and __iomap_dio_rw's i_size_read (seed L571).
 * The map (properties/atomicity.test.ts) checks where the yields are; these check what they allow.
 */
import { describe, expect, it } from 'vitest';
import { FIXED_OPS } from '../model/kernel/ops.ts';
import { ArrayChoices, SeededChoices } from '../model/runtime/choice.ts';
import { NO_FAULTS } from '../model/runtime/faults.ts';
import { KiB, unwritten, written } from '../model/world/extents.ts';
import { runScenario } from '../model/world/run.ts';
import type { OpSpec, Scenario } from '../model/world/scenario.ts';
import { makeProbe } from './invariants/registry.ts';

function xfs(threads: ReadonlyArray<readonly OpSpec[]>, iSize = 16 * KiB): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: false, writeCache: true, sectors: 2048 },
    fs: { model: 'xfs', blockSize: 4096, iSize, extents: [written(0, 16 * KiB)] },
    bioMaxVecs: 1,
    threads,
  };
}

const W = (pos: number, len: number, extra: Partial<OpSpec> = {}): OpSpec =>
  ({ kind: 'dio_write', pos, len, ...extra }) as OpSpec;

/** The first seeded run (interleaving on) for which `pick` holds, or null within `budget` runs. */
function firstRun(
  scenario: Scenario,
  pick: (r: ReturnType<typeof runScenario>) => boolean,
  budget = 400,
): ReturnType<typeof runScenario> | null {
  for (let i = 0; i < budget; i++) {
    const r = runScenario(scenario, {
      source: new SeededChoices(`atomicity-defects:${i}`, 0.3),
      faults: { ...NO_FAULTS, interleave: true },
      probe: makeProbe(),
      ops: FIXED_OPS,
    });
    expect(r.violation?.message ?? null, `run ${i}`).toBeNull();
    if (pick(r)) return r;
  }
  return null;
}

describe('a bio that fails inside submit_bio (irq-in-submit)', () => {
  it('ends in the submitting task before submit_bio returns, and its end_io sets the error there', () => {
    // An aio write of two bios; the first fails inside submit_bio (choice submit_fails = 1).
    const r = runScenario(xfs([[W(0, 8 * KiB, { async: true })]]), {
      source: new ArrayChoices([1]),
      faults: { ...NO_FAULTS, submitErrors: true },
      probe: makeProbe(),
      ops: FIXED_OPS,
      tracing: true,
    });
    expect(r.violation).toBeNull();
    const ended = r.trace.findIndex((e) => e.event === 'bio_endio' && e.detail.includes('in submit_bio'));
    expect(ended).toBeGreaterThanOrEqual(0);
    expect(r.trace[ended]?.context).toBe('task1');
    // Its end_io ran in the task, before the task tested dio->error for the next bio: the second
    // bio is never submitted, and no interrupt context ran for the first.
    const after = r.trace.slice(ended + 1);
    expect(after.find((e) => e.event === 'iomap_dio_set_error')?.context).toBe('task1');
    expect(after.some((e) => e.event === 'submit_bio')).toBe(false);
    expect(r.trace.some((e) => e.context === 'bio1')).toBe(false);
    expect(r.requests[0]?.completions.map((c) => c.res)).toEqual([-5]);
  });

  it('of a log, flush or writeback bio runs its end_io to completion in the submitter too', () => {
    // The model XFS's log write of an O_DSYNC conversion fails inside submit_bio: the log force
    // that waits for it sees the error at once (no context of its own is left to run).
    const s: Scenario = {
      ...xfs([[W(0, 4 * KiB, { iocbFlags: ['dsync'] })]]),
      fs: { model: 'xfs', blockSize: 4096, iSize: 16 * KiB, extents: [unwritten(0, 16 * KiB)] },
    };
    let seen = false;
    for (let first = 0; first < 4 && !seen; first++) {
      const choices = [0, 0, 0, 0];
      choices[first] = 1;
      const r = runScenario(s, {
        source: new ArrayChoices(choices),
        faults: { ...NO_FAULTS, submitErrors: true },
        probe: makeProbe(),
        ops: FIXED_OPS,
        tracing: true,
      });
      const ended = r.trace.find((e) => e.event === 'bio_endio' && e.detail.includes('in submit_bio'));
      if (ended === undefined) continue;
      expect(ended.context).not.toMatch(/^bio\d/);
      expect(r.violation?.invariant ?? null).not.toBe('CTX-01');
      seen = true;
    }
    expect(seen).toBe(true);
  });
});

describe('an io_uring caller completion (issuer-not-task)', () => {
  const callerComp = W(0, 4 * KiB, { async: true, iocbFlags: ['caller_comp'] });

  it('is task_work of the issuing task: a task that then sleeps in inode_dio_wait never runs it', () => {
    const r = runScenario(xfs([[callerComp, { kind: 'truncate', size: 8 * KiB }]]), {
      source: new ArrayChoices([]),
      faults: NO_FAULTS,
      probe: makeProbe(),
      ops: FIXED_OPS,
    });
    expect(r.violation?.invariant).toBe('PROG-01');
    expect(r.violation?.message).toContain('inode_dio_wait');
    expect(r.requests[0]?.completions).toEqual([]);
  });

  it('runs while its task waits in io_uring_enter', () => {
    const waited = runScenario(
      xfs([[callerComp, { kind: 'wait_async' }, { kind: 'truncate', size: 8 * KiB }]]),
      { source: new ArrayChoices([]), faults: NO_FAULTS, probe: makeProbe(), ops: FIXED_OPS },
    );
    expect(waited.violation).toBeNull();
    const c = waited.requests[0]?.completions[0];
    expect(c?.context).toBe('issuer:req1');
    expect(c?.step).toBeLessThan(waited.fileOps[0]?.startStep ?? 0);
  });

  it('never runs while its task runs in the kernel, whatever the interleaving', () => {
    // Two writes on one thread: the first one's task_work may run only between the two calls or
    // after the second returned, never inside the second.
    for (let i = 0; i < 200; i++) {
      const r = runScenario(xfs([[callerComp, W(8 * KiB, 4 * KiB)]]), {
        source: new SeededChoices(`task-work:${i}`, 0.3),
        faults: { ...NO_FAULTS, interleave: true },
        probe: makeProbe(),
        ops: FIXED_OPS,
      });
      expect(r.violation).toBeNull();
      const c = r.requests[0]?.completions[0];
      const second = r.requests[1];
      if (c === undefined || second === undefined) throw new Error(`run ${i}: a result is missing`);
      const inside = c.step > second.startStep && c.step <= second.returnStep;
      expect(
        inside,
        `run ${i}: completion at step ${c.step} inside [${second.startStep}, ${second.returnStep}]`,
      ).toBe(false);
    }
  });
});

describe('a waiter in inode_dio_wait after inode_dio_end (no-yield-after-dio-end)', () => {
  it('may return before the completion that let it through delivers its result', () => {
    // task1: an aio write; task2: a truncate, which waits for i_dio_count to drop to zero.
    const r = firstRun(
      xfs([[W(0, 4 * KiB, { async: true })], [{ kind: 'truncate', size: 8 * KiB }]]),
      (x) => {
        const req = x.requests[0];
        const t = x.fileOps[0];
        const done = req?.completions[0];
        if (req === undefined || t === undefined || done === undefined || t.returned === null) return false;
        // The truncate began while the write was in flight and returned before its result.
        return t.startStep > req.startStep && t.startStep < done.step && t.returnStep < done.step;
      },
    );
    expect(r).not.toBeNull();
  });
});

describe('i_size between the filesystem and __iomap_dio_rw (submitter-isize)', () => {
  it("may grow between a read's ->read_iter and its i_size_read at seed L571", () => {
    // task1: an aio write extending the file from 8 to 12 KiB; task2: a read of 8 to 12 KiB. When
    // the write's ->end_io grows i_size after the read was issued but before L571, the read
    // returns the new bytes although i_size was 8 KiB when it began.
    const r = firstRun(
      xfs(
        [[W(8 * KiB, 4 * KiB, { async: true })], [{ kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB }]],
        8 * KiB,
      ),
      (x) => {
        const read = x.requests.find((q) => q.op.kind === 'dio_read');
        return read !== undefined && read.startSize === 8 * KiB && read.returned === 4 * KiB;
      },
      2000,
    );
    expect(r).not.toBeNull();
  });
});
