/**
 * __iomap_dio_rw (seed L540-739) and the mapping actors (L444-518) where the pinned seed scenarios
 * do not look: what the caller's iov_iter holds afterwards, a fault before the first byte, and the
 * seed events only a failure path prints (the invalidation that fails, the delalloc collision), as
 * a user reads them in a timeline.
 */
import { describe, expect, it } from 'vitest';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import {
  bios,
  expectPass,
  expectSyncResult,
  hole,
  KiB,
  mapped,
  type RunInput,
  req,
  run,
  scenario,
} from '../seed/helpers.ts';

/** The seed-line events of a run (context, line, event, detail), as the timeline prints them. */
function seedEvents(r: RunResult): string[] {
  return r.trace.filter((e) => e.line !== 0).map((e) => `${e.context} L${e.line} ${e.event} ${e.detail}`);
}

describe("the caller's iov_iter after the call (seed L675-676)", () => {
  it('of a read cut short at i_size: advanced by the bytes returned only', () => {
    const r = run(
      scenario({
        fs: { iSize: 6 * KiB, extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_read', pos: 4 * KiB, len: 4 * KiB }],
      }),
    );
    expectPass(r);
    expectSyncResult(r, 1, 2 * KiB);
    expect([req(r, 1).iter.iovOffset, req(r, 1).iter.count]).toEqual([2 * KiB, 2 * KiB]);
  });

  it('of a write past i_size: all consumed (only reads are reverted)', () => {
    const r = run(
      scenario({
        fs: { iSize: 4 * KiB, extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB }],
      }),
    );
    expectPass(r);
    expectSyncResult(r, 1, 4 * KiB);
    expect([req(r, 1).iter.iovOffset, req(r, 1).iter.count]).toEqual([4 * KiB, 0]);
  });
});

describe('a fault before the first byte', () => {
  it('fails an IOMAP_DIO_PARTIAL write with -EFAULT: there is no short count to return (L678)', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [
          {
            kind: 'dio_write',
            pos: 0,
            len: 4 * KiB,
            dioFlags: ['partial'],
            badPage: { index: 0, how: 'munmap' },
          },
        ],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, -14);
    expect(req(r, 1).iter.count).toBe(4 * KiB);
  });

  it('fails a read of a hole with -EFAULT when no byte could be zeroed (L449-451)', () => {
    const r = run(
      scenario({
        fs: { extents: [hole(0, 8 * KiB)] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4 * KiB, badPage: { index: 0, how: 'munmap' } }],
      }),
    );
    expectPass(r);
    expectSyncResult(r, 1, -14);
    expect(seedEvents(r)).toEqual([
      'task1 L559 iomap_dio_rw_begin pos 0 count 4096 dio_flags 0',
      'task1 L660 iomap_dio_iter pos 0 processed -EFAULT',
      'task1 L156 iomap_dio_set_error error 0→-EFAULT',
      'task1 L715 iomap_dio_rw_submitted dio_flags INLINE_COMP|DIRTY size 0',
      'task1 L716 atomic_dec_and_test ref 1→0',
      'task1 L130 iomap_dio_complete error -EFAULT ret -EFAULT',
    ]);
  });
});

/** The run traced, after checking that untraced it records nothing (spec/trace-format.md). */
function runBothWays(s: Scenario, input: RunInput = {}): RunResult {
  const quiet = runScenario(s, {
    source: new ArrayChoices(input.choices ?? []),
    faults: { ...NO_FAULTS, ...input.faults },
  });
  expect(quiet.trace).toEqual([]);
  return run(s, input);
}

describe('the events of the failure paths', () => {
  it('a page cache that cannot be invalidated: iomap_dio_invalidate_fail, and no dio left (L639-647)', () => {
    const r = runBothWays(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)], pageCache: [{ index: 0, dirty: true }] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096 }],
      }),
      { faults: { invalidateFailures: true }, choices: [1] },
    );
    expectPass(r);
    expectSyncResult(r, 1, -15);
    expect(seedEvents(r)).toEqual([
      'task1 L559 iomap_dio_rw_begin pos 0 count 4096 dio_flags 0',
      'task1 L642 iomap_dio_invalidate_fail pos 0 len 4096',
    ]);
  });

  it('a write over delalloc: the pr_warn of the collision with buffered writes, then -EIO (L504-513)', () => {
    const r = runBothWays(
      scenario({
        fs: { extents: [{ offset: 0, length: 8 * KiB, type: 'delalloc' }] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4096 }],
      }),
    );
    expectPass(r);
    expectSyncResult(r, 1, -5);
    expect(seedEvents(r)).toEqual([
      'task1 L559 iomap_dio_rw_begin pos 0 count 4096 dio_flags 0',
      'task1 L511 pr_warn Direct I/O collision with buffered writes!',
      'task1 L660 iomap_dio_iter pos 0 processed -EIO',
      'task1 L156 iomap_dio_set_error error 0→-EIO',
      'task1 L715 iomap_dio_rw_submitted dio_flags WRITE size 0',
      'task1 L716 atomic_dec_and_test ref 1→0',
      'task1 L130 iomap_dio_complete error -EIO ret -EIO',
    ]);
  });
});
