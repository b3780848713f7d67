/**
 * Planted bugs of the durability (DUR) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { NO_FAULTS } from '../runtime/faults.ts';
import { KiB, written } from '../world/extents.ts';

import { FILE16, faults, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const DURABILITY_BUGS: readonly PlantedBug[] = [
  {
    name: 'dsync-fua-into-unwritten',
    commit: '0929d8580071',
    title: 'iomap: FUA is wrong for DIO O_DSYNC writes into unwritten extents',
    year: 2018,
    lines: 'seed L305',
    what: 'An O_DSYNC write into an unwritten extent uses FUA and skips the sync, so the conversion is never forced to disk.',
    invariant: 'DUR-01',
    ops: () => ({ iomapDioBioIterPureOverwrite: () => true }),
    scenario: xfs(
      FILE16,
      16 * KiB,
      [[{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }, { kind: 'power_loss' }]],
      { fua: true },
    ),
    faults: faults({ destage: true }),
  },
  {
    name: 'no-dirty-past-eof',
    commit: '7684e2c4384d',
    title: 'iomap: iomap that extends beyond EOF should be marked dirty',
    year: 2019,
    lines: 'fs/xfs/xfs_iomap.c xfs_direct_write_iomap_begin; seed L317',
    what: 'An O_DSYNC write that extends the file over written blocks uses FUA, and the new size is never logged durably.',
    invariant: 'DUR-01',
    quirks: { xfsNoDirtyPastEof: true },
    scenario: xfs(
      [written(0, 8 * KiB)],
      4 * KiB,
      [[{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }, { kind: 'power_loss' }]],
      { fua: true },
    ),
    faults: faults({ destage: true }),
  },
  {
    name: 'emulated-fua-without-postflush',
    commit: '28b241237470',
    title: 'blk-flush: fix rq->flush.seq for post-flush requests',
    year: 2023,
    lines: 'block/blk-flush.c',
    what: 'A REQ_FUA write on a cached device without FUA completes before its post-flush, so a log write is lost on power loss.',
    invariant: 'DUR-01',
    quirks: { fuaWithoutPostflush: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }, { kind: 'power_loss' }],
    ]),
    faults: faults({ destage: true }),
  },
  {
    name: 'fsync-without-flush',
    commit: 'synthetic',
    title: 'xfs_file_fsync forces neither the log nor the device cache',
    lines: 'fs/xfs/xfs_file.c xfs_file_fsync',
    what: 'Data and metadata an fsync returned for are still in the volatile cache at power loss.',
    invariant: 'DUR-02',
    quirks: { xfsFsyncNoFlush: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 0, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'fsync-skips-data',
    commit: 'synthetic',
    title: 'xfs_file_fsync forgets file_write_and_wait_range',
    lines: 'fs/xfs/xfs_file.c xfs_file_fsync',
    what: 'Buffered data that fsync returned for is still in the page cache at power loss.',
    invariant: 'DUR-02',
    quirks: { xfsFsyncSkipsData: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'buffered_write', pos: 0, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }],
    ]),
    faults: NO_FAULTS,
  },
];
