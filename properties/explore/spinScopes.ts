/**
 * The scopes of the SPIN peer model (../shared/peers/spin/iomap_dio.pml): one direct I/O of N
 * one-page bios on the model XFS, every interleaving, every completion order, every bio error
 * status, at most N faults. The peer's three modes:
 *
 * - sync:   a sync write (the submitter waits in blk_io_schedule; `-DSYNC=1 -DREAD=0`);
 * - aread:  an aio read (the last completion completes inline; `-DSYNC=0 -DREAD=1`);
 * - awrite: an aio write (the last completion queues the work; `-DSYNC=0 -DREAD=0`).
 *
 * The peer's device verdicts are 0, -EIO and -ENOSPC; the model's are 0 and four statuses, which
 * the explorer walks as errno classes (engine.ts CLASS_LABEL).
 */
import { NO_FAULTS, type FaultProfile } from '../../model/runtime/faults.ts';
import type { OpSpec, Scenario } from '../../model/world/scenario.ts';
import { KiB, written } from '../../model/world/extents.ts';

export type SpinMode = 'sync' | 'aread' | 'awrite';
export const SPIN_MODES: readonly SpinMode[] = ['sync', 'aread', 'awrite'];

/** What `spin -a` is given for each mode (the peer's run.sh MODE table). */
export const SPIN_DEFINES: Readonly<Record<SpinMode, string>> = {
  sync: '-DSYNC=1 -DREAD=0',
  aread: '-DSYNC=0 -DREAD=1',
  awrite: '-DSYNC=0 -DREAD=0',
};

export interface SpinScope {
  readonly name: string;
  readonly mode: SpinMode;
  readonly n: number;
  readonly scenario: Scenario;
  readonly faults: FaultProfile;
  readonly maxFaults: number;
}

/** bio errors and completion order on top of every interleaving, as the peer explores. */
export const SPIN_FAULTS: FaultProfile = { ...NO_FAULTS, interleave: true, reorder: true, bioErrors: true };

export function spinScope(mode: SpinMode, n: number): SpinScope {
  const len = n * 4 * KiB;
  const op: OpSpec =
    mode === 'aread'
      ? { kind: 'dio_read', pos: 0, len, async: true }
      : { kind: 'dio_write', pos: 0, len, ...(mode === 'awrite' ? { async: true } : {}) };
  return {
    name: `spin-${mode}-${n}`,
    mode,
    n,
    scenario: {
      device: { logicalBlockSize: 4096, fua: false, writeCache: true, sectors: 512 },
      fs: { model: 'xfs', blockSize: 4096, iSize: len, extents: [written(0, len)] },
      // One page per bio, as the peer's bios are.
      bioMaxVecs: 1,
      threads: [[op]],
    },
    faults: SPIN_FAULTS,
    maxFaults: n,
  };
}
