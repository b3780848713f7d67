/**
 * Linux 6.12's completion routing (model/kernel/v6_12.ts; spec/kernel-versions.md items 1 and 2),
 * branch by branch, against the seed's: iomap_dio_done never completes a failed dio inline
 * (6.12 L185-191), and s_dio_done_wq exists for async reads too (6.12 L681-686).
 */
import { describe, expect, it } from 'vitest';
import { EIO, EIOCBQUEUED } from '../../model/kernel/flags.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { Violation } from '../../model/runtime/violation.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { OpSpec, Scenario } from '../../model/world/scenario.ts';
import { completionOf, expectPass, KiB, mapped, req, scenario } from './helpers.ts';

/** One op over an 8 KiB written extent of the scripted filesystem, with or without a read end_io. */
function oneOp(op: OpSpec, readEndIo = false): Scenario {
  return scenario({ fs: { extents: [mapped(0, 8 * KiB)], ...(readEndIo ? { readEndIo } : {}) }, ops: [op] });
}

/** Runs on `ops`; `fail` makes the first bio complete with BLK_STS_IOERR. */
function runOn(s: Scenario, ops: Readonly<KernelOps>, fail: boolean): RunResult {
  return runScenario(s, {
    source: new ArrayChoices(fail ? [1] : []),
    faults: { ...NO_FAULTS, bioErrors: fail },
    tracing: true,
    ops,
  });
}

const V612 = KERNEL_VERSIONS['6.12.117'];
const SEED = KERNEL_VERSIONS.seed;
const ASYNC_READ: OpSpec = { kind: 'dio_read', pos: 0, len: 4 * KiB, async: true };

describe('Linux 6.12: iomap_dio_done', () => {
  it('completes a successful async read inline, in the bio completion (6.12 L193-195)', () => {
    const r = runOn(oneOp(ASYNC_READ), V612, false);
    expectPass(r);
    expect(completionOf(req(r, 1))).toEqual({ res: 4096, context: 'bio1', contextKind: 'irq' });
  });

  it('sends a failed async read to s_dio_done_wq, which exists for reads (6.12 L185-191, L681-686)', () => {
    const r = runOn(oneOp(ASYNC_READ, true), V612, true);
    expectPass(r);
    expect(req(r, 1).returned).toBe(-EIOCBQUEUED);
    expect(completionOf(req(r, 1))).toEqual({ res: -EIO, context: 'dio_done_wq', contextKind: 'workqueue' });
  });

  it('where the seed completes it inline, so a read end_io that may sleep runs in interrupt context', () => {
    const r = runOn(oneOp(ASYNC_READ, true), SEED, true);
    expect(r.violation).toBeInstanceOf(Violation);
    expect(r.violation?.invariant).toBe('CTX-01');
  });

  it('still hands a failed caller-completed write to the issuer (6.12 L195-218)', () => {
    const write: OpSpec = {
      kind: 'dio_write',
      pos: 0,
      len: 4 * KiB,
      async: true,
      iocbFlags: ['caller_comp'],
    };
    const r = runOn(oneOp(write), V612, true);
    expectPass(r);
    expect(completionOf(req(r, 1))).toEqual({ res: -EIO, context: 'issuer:req1', contextKind: 'issuer' });
  });

  it('wakes the submitter of a failed synchronous read, which completes it (6.12 L173-182)', () => {
    const r = runOn(oneOp({ kind: 'dio_read', pos: 0, len: 4 * KiB }), V612, true);
    expectPass(r);
    expect(completionOf(req(r, 1))).toEqual({ res: -EIO, context: 'task1', contextKind: 'task' });
  });

  it('creates no workqueue for a synchronous read', () => {
    const r = runOn(oneOp({ kind: 'dio_read', pos: 0, len: 4 * KiB }), V612, false);
    expectPass(r);
    expect(r.inode.iSb.sDioDoneWq).toBeNull();
  });
});
