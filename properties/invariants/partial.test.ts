/**
 * RES-07 (properties/invariants/partial.ts) clause by clause: each check fails on a run that breaks
 * it and only it (the probe holds RES-07 alone, so no older invariant speaks first), and the correct
 * model passes the same scenarios. The planted bugs of the catalogue test it through the whole probe
 * (properties/bugs.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { FILE16, scripted, xfs } from '../../model/bugs/builders.ts';
import { EIOCBQUEUED, IOCB_NOWAIT, IOMAP_DIO_PARTIAL } from '../../model/kernel/flags.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { FIXED_OPS } from '../../model/kernel/ops.ts';
import { iovIterRevert } from '../../model/mm/iovIter.ts';
import { ArrayChoices, SeededChoices } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { KiB, written } from '../../model/world/extents.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { DioOpSpec, Scenario } from '../../model/world/scenario.ts';
import { PARTIAL_CHECKS } from './partial.ts';
import { invariantById, makeProbe } from './registry.ts';

const ONLY_RES07 = makeProbe(PARTIAL_CHECKS);

/** A change of what iomap_dio_rw returns for PARTIAL requests (the others untouched). */
function partialOnly(
  change: (ret: number, done: number, fix: (bytes: number, iter: boolean) => void) => number,
): Readonly<KernelOps> {
  const iomapDioRw: KernelOps['iomapDioRw'] = function* (k, iocb, iter, o, d, f, done) {
    const ret = yield* FIXED_OPS.iomapDioRw(k, iocb, iter, o, d, f, done);
    if (!(f & IOMAP_DIO_PARTIAL) || ret <= 0) return ret;
    return change(ret, done, (bytes, moveIter) => {
      iocb.kiPos += bytes;
      if (moveIter) iovIterRevert(iter, -bytes);
    });
  };
  return Object.freeze({ ...FIXED_OPS, iomapDioRw });
}

function run(scenario: Scenario, ops: Readonly<KernelOps> = FIXED_OPS, seed?: string): RunResult {
  return runScenario(scenario, {
    source: seed === undefined ? new ArrayChoices([]) : new SeededChoices(seed, 0.25),
    faults: NO_FAULTS,
    probe: ONLY_RES07,
    ops,
  });
}

const write8k: DioOpSpec = { kind: 'dio_write', pos: 0, len: 8 * KiB, dioFlags: ['partial'] };

describe('RES-07 PartialResultResumes', () => {
  it('is in the registry with its checker', () => {
    expect(invariantById('RES-07')?.probe?.onResult).toBeDefined();
    expect(invariantById('RES-07')?.probe?.onQuiescent).toBeDefined();
  });

  it('passes the correct model: a PARTIAL write cut by a fault, resumed calls, an aio read cut by a fault', () => {
    const faulting = { ...write8k, badPage: { index: 1, how: 'munmap' as const } };
    for (let i = 0; i < 30; i++) {
      const s = `partial-correct:${i}`;
      expect(run(xfs(FILE16, 16 * KiB, [[faulting]]), FIXED_OPS, s).violation).toBeNull();
      expect(
        run(xfs(FILE16, 16 * KiB, [[{ ...faulting, pos: 4 * KiB, doneBefore: 4 * KiB }]]), FIXED_OPS, s)
          .violation,
      ).toBeNull();
      expect(
        run(
          scripted([written(0, 16 * KiB)], 16 * KiB, [[{ ...faulting, kind: 'dio_read', async: true }]]),
          FIXED_OPS,
          s,
        ).violation,
      ).toBeNull();
    }
  });

  it('returns a cut-short aio request synchronously on the correct model, and -EIOCBQUEUED only for NOWAIT', () => {
    const op: DioOpSpec = { ...write8k, async: true, badPage: { index: 1, how: 'munmap' } };
    const sync = run(xfs(FILE16, 16 * KiB, [[op]]));
    expect(sync.requests[0]?.returned).toBe(4 * KiB);
    expect(sync.requests[0]?.iocb.acct.partialFault).toBe(true);
    const nowait = run(xfs(FILE16, 16 * KiB, [[{ ...op, iocbFlags: ['nowait'] }]]));
    expect((nowait.requests[0]?.iocb.kiFlags ?? 0) & IOCB_NOWAIT).toBeTruthy();
    expect(nowait.violation).toBeNull();
    expect(nowait.requests.map((r) => r.returned)).toEqual([-EIOCBQUEUED]);
  });

  it('fails a count whose iter moved by something else', () => {
    // The count and ki_pos say 4 KiB less than the iter moved.
    const ops = partialOnly((ret, _done, fix) => {
      fix(-4 * KiB, false);
      return ret - 4 * KiB;
    });
    const r = run(xfs(FILE16, 16 * KiB, [[write8k]]), ops);
    expect(r.violation?.invariant).toBe('RES-07');
    expect(r.violation?.message).toContain('its iter moved 8192');
  });

  it('fails a write whose bytes past its count are on disk', () => {
    // The count, ki_pos and the iter all say 4 KiB less than was written.
    const ops = partialOnly((ret, _done, fix) => {
      fix(-4 * KiB, true);
      return ret - 4 * KiB;
    });
    const r = run(xfs(FILE16, 16 * KiB, [[write8k]]), ops);
    expect(r.violation?.invariant).toBe('RES-07');
    expect(r.violation?.message).toContain('its byte 4096 is on disk at offset 4096');
  });

  it('fails a write whose first k bytes are not all on disk', () => {
    // The count, ki_pos and the iter claim 4 KiB more than the bios wrote.
    const ops = partialOnly((ret, _done, fix) => {
      fix(4 * KiB, true);
      return ret + 4 * KiB;
    });
    const r = run(xfs(FILE16, 16 * KiB, [[{ ...write8k, len: 4 * KiB }]]), ops);
    expect(r.violation?.invariant).toBe('RES-07');
    expect(r.violation?.message).toMatch(/returned 8192 but offset 4096 holds/);
  });

  it("reads the scripted provider's disk blocks too", () => {
    const ops = partialOnly((ret, _done, fix) => {
      fix(-4 * KiB, true);
      return ret - 4 * KiB;
    });
    const s = scripted([written(0, 16 * KiB)], 16 * KiB, [[write8k]]);
    expect(run(s).violation).toBeNull();
    expect(run(s, ops).violation?.message).toContain('is on disk at offset 4096');
  });
});

describe('ARG-04 and PARTIAL', () => {
  const probe = makeProbe();
  const nowaitRead = (badPage: boolean): Scenario =>
    scripted([written(0, 16 * KiB)], 16 * KiB, [
      [
        {
          kind: 'dio_read',
          pos: 0,
          len: 8 * KiB,
          iocbFlags: ['nowait'],
          dioFlags: ['partial'],
          ...(badPage ? { badPage: { index: 1, how: 'munmap' as const } } : {}),
        },
      ],
    ]);
  const runAll = (s: Scenario, ops: Readonly<KernelOps> = FIXED_OPS) =>
    runScenario(s, { source: new ArrayChoices([]), faults: NO_FAULTS, probe, ops });

  it('lets a NOWAIT PARTIAL request that a fault cut short return its count', () => {
    const r = runAll(nowaitRead(true));
    expect(r.violation).toBeNull();
    expect(r.requests[0]?.returned).toBe(4 * KiB);
  });

  it('holds a NOWAIT PARTIAL request no fault cut short to all or nothing', () => {
    const short = partialOnly((ret, _done, fix) => {
      fix(-512, true);
      return ret - 512;
    });
    expect(runAll(nowaitRead(false), short).violation?.invariant).toBe('ARG-04');
  });
});
