/**
 * The interleaving point after inode_dio_end (seed L116) in iomap_dio_complete: a completion
 * context (irq, poll, workqueue, the io_uring task work) yields there, so that a task in
 * inode_dio_wait may run before the result is delivered; the submitting task completing its own
 * dio does not, because it still holds the IOLOCK every such waiter takes first (spec/atomicity.md,
 * `no-yield-after-dio-end` and `iolock-held`).
 *
 * properties/atomicity.test.ts checks this with every other pair of the map, on every setting;
 * here the two sides are pinned on one run each, cheap enough for the mutation suite: the step of
 * the inode's dio-count drop against the step of the accesses that follow it in the same context.
 */
import { describe, expect, it } from 'vitest';
import { FIXED_OPS } from '../../model/kernel/ops.ts';
import { observeRun } from '../atomicity/derive.ts';
import type { Access } from '../atomicity/observe.ts';
import { SCENARIOS } from '../atomicity/scenarios.ts';

/** The completing context's accesses from inode_dio_end on: the dio count, ki_pos, the result. */
function afterDioEnd(name: string): { kind: string; steps: number[] } {
  const s = SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no atomicity scenario ${name}`);
  const { log, outcome } = observeRun(s, FIXED_OPS);
  expect(outcome).toBe('pass');
  // inode_dio_end, not inode_dio_begin: the count's drop inside iomap_dio_complete.
  const at = log.accesses.findIndex(
    (a) => a.where.startsWith('iomapDioComplete:') && a.obj === 'inode' && a.field === 'iDioCount',
  );
  expect(at).toBeGreaterThanOrEqual(0);
  const end = log.accesses[at] as Access;
  const same = log.accesses.slice(at).filter((a) => a.ctx === end.ctx);
  const delivered = same.findIndex((a) => a.obj === 'result');
  expect(delivered).toBeGreaterThan(0);
  return { kind: end.ctxKind, steps: same.slice(0, delivered + 1).map((a) => a.step) };
}

describe('after inode_dio_end (seed L116)', () => {
  it('the submitting task runs on to the delivery of its result in one step (iolock-held)', () => {
    for (const name of ['sync-write-2bios', 'sync-read-2bios']) {
      const { kind, steps } = afterDioEnd(name);
      expect(kind, name).toBe('task');
      expect(new Set(steps).size, `${name}: steps ${steps.join(' ')}`).toBe(1);
    }
  });

  it('a workqueue completion yields before ki_pos and the delivery', () => {
    const { kind, steps } = afterDioEnd('aio-write-unwritten');
    expect(kind).toBe('workqueue');
    const [dioEnd = -1, ...rest] = steps;
    expect(rest.length).toBeGreaterThan(0);
    // The yield sits right after the count drops: every later access is in a later step.
    for (const step of rest) expect(step).toBeGreaterThan(dioEnd);
  });
});
