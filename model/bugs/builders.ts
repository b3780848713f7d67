/**
 * The scenario builders and ops wrappers the planted bugs of model/bugs/ share: a small XFS file on a
 * 512-byte device with 4 KiB blocks, a scripted one, the fault profile helper, and two wrappers of
 * iomap_dio_rw's result.
 */
import type { Kiocb } from '../fs/vfs.ts';
import type { KernelOps } from '../kernel/kernel.ts';
import { type IovIter, iovIterAdvance } from '../mm/iovIter.ts';
import { type FaultProfile, NO_FAULTS } from '../runtime/faults.ts';
import type { ExtentSpec, OpSpec, Scenario } from '../world/scenario.ts';
import { KiB, unwritten, written } from '../world/extents.ts';

// ---------------------------------------------------------------------------------------------
// Scenario builders: a small XFS file on a 512-byte device with 4 KiB blocks, or a scripted one.

export function xfs(
  extents: readonly ExtentSpec[],
  iSize: number,
  threads: ReadonlyArray<readonly OpSpec[]>,
  device: Partial<Scenario['device']> = {},
  bioMaxVecs = 1,
): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: false, writeCache: true, ...device },
    fs: { model: 'xfs', blockSize: 4096, iSize, extents },
    bioMaxVecs,
    threads,
  };
}

export function scripted(
  extents: readonly ExtentSpec[],
  iSize: number,
  threads: ReadonlyArray<readonly OpSpec[]>,
  fs: Partial<Scenario['fs']> = {},
): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: false, writeCache: false },
    fs: { model: 'scripted', blockSize: 4096, iSize, extents, ...fs },
    bioMaxVecs: 1,
    threads,
  };
}

export const FILE16 = [written(0, 8 * KiB), unwritten(8 * KiB, 8 * KiB)];
export const faults = (on: Partial<FaultProfile>): FaultProfile => ({ ...NO_FAULTS, ...on });

/** A bug that changes what iomap_dio_rw returns (or what it leaves behind in the kiocb and iter). */
export function afterIomapDioRw(
  change: (ret: number, iocb: Kiocb, iter: IovIter) => number,
): (base: Readonly<KernelOps>) => Partial<KernelOps> {
  return (base) => ({
    *iomapDioRw(k, iocb, iter, o, d, f, done) {
      return change(yield* base.iomapDioRw(k, iocb, iter, o, d, f, done), iocb, iter);
    },
  });
}

/**
 * A bug that reports the whole request after a fault cut it short: ki_pos moves on by the bytes it
 * claims, and with `advanceIter` the iter too, so only the contract can tell (SYS-02).
 */
export function claimsWholeRequest(advanceIter: boolean): (base: Readonly<KernelOps>) => Partial<KernelOps> {
  return (base) => ({
    *iomapDioRw(k, iocb, iter, o, d, f, done) {
      const asked = iter.count;
      const ret = yield* base.iomapDioRw(k, iocb, iter, o, d, f, done);
      const moved = ret - done;
      if (ret <= 0 || moved >= asked) return ret;
      const extra = asked - moved;
      iocb.kiPos += extra;
      if (advanceIter) iovIterAdvance(iter, extra);
      return ret + extra;
    },
  });
}
