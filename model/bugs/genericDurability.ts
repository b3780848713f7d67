/**
 * Planted bugs of the durability promises of the scripted filesystem as a whole filesystem: its
 * commits (model/fs/genericCommit.ts), its IOMAP_F_DIRTY rule and its fsync (model/world/scriptedFs.ts),
 * and the sync of its caller's buffered fallback (model/fs/genericCaller.ts), after btrfs_sync_file
 * (6.12.117 fs/btrfs/file.c L1581-1858) and gfs2. Each is a world quirk, caught only because
 * DUR-01, DUR-02 and STALE-03 judge these runs after power loss and recovery; two per invariant.
 */
import type { ExtentSpec } from '../world/scenario.ts';
import { EXTENT_BASE, KiB, unwritten, written } from '../world/extents.ts';
import { faults, scripted } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

/** Blocks ->iomap_begin allocates for the first write into them (IOMAP_F_NEW). */
const newBlocks = (offset: number, length: number): ExtentSpec => ({
  offset,
  length,
  type: 'mapped',
  addr: EXTENT_BASE + offset,
  flags: ['new'],
});

/** A device with a volatile cache and no FUA: a commit's REQ_FUA is a flush after it too. */
const CACHED = { writeCache: true, fua: false } as const;
/** A device with a volatile cache and FUA: a commit's REQ_FUA writes its record alone. */
const CACHED_FUA = { writeCache: true, fua: true } as const;

export const GENERIC_DURABILITY_BUGS: readonly PlantedBug[] = [
  {
    name: 'generic-no-dirty-past-eof',
    commit: 'synthetic',
    title:
      "The scripted filesystem's ->iomap_begin does not flag a write past the committed size IOMAP_F_DIRTY",
    lines: 'seed L317-320, L697-698; 6.12.117 fs/xfs/xfs_iomap.c L794-795 (the rule it drops)',
    what: 'An O_DSYNC write that extends the file over mapped blocks uses FUA and skips the sync, so no commit makes its size durable.',
    invariant: 'DUR-01',
    quirks: { genericNoDirtyPastEof: true },
    scenario: {
      ...scripted(
        [written(0, 8 * KiB)],
        4 * KiB,
        [[{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }, { kind: 'power_loss' }]],
        { generic: true },
      ),
      device: { logicalBlockSize: 512, writeCache: true, fua: true },
    },
    faults: faults({ destage: true }),
  },
  {
    name: 'generic-fallback-no-sync',
    commit: 'synthetic',
    title: 'The buffered fallback of an O_DSYNC direct write does not sync what it wrote',
    lines: '6.12.117 fs/gfs2/file.c L1143-1158 (gfs2_file_write_iter); fs/btrfs/file.c L1491-1494',
    what: 'The page cache writes the rest back into the volatile cache and the write returns without a flush or a commit.',
    invariant: 'DUR-01',
    quirks: { genericFallbackNoSync: true },
    scenario: {
      ...scripted(
        [written(0, 8 * KiB)],
        8 * KiB,
        [[{ kind: 'dio_write', pos: 0, len: 4 * KiB, iocbFlags: ['dsync'] }, { kind: 'power_loss' }]],
        { generic: true, notblkFrom: 0 },
      ),
      device: { logicalBlockSize: 512, ...CACHED },
    },
    faults: faults({}),
  },
  {
    name: 'generic-fsync-skips-data',
    commit: 'synthetic',
    title: 'fsync of the scripted filesystem commits without writing back dirty pages',
    lines: '6.12.117 fs/btrfs/file.c L1622, L1651 (start_ordered_ops), L1686',
    what: 'A buffered write that fsync returned for is still only in the page cache at power loss.',
    invariant: 'DUR-02',
    quirks: { genericFsyncSkipsData: true },
    scenario: {
      ...scripted(
        [written(0, 8 * KiB)],
        8 * KiB,
        [[{ kind: 'buffered_write', pos: 0, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }]],
        { generic: true },
      ),
      device: { logicalBlockSize: 512, ...CACHED },
    },
    faults: faults({}),
  },
  {
    name: 'generic-fsync-no-commit',
    commit: 'synthetic',
    title: 'fsync of the scripted filesystem writes the data back and returns before its commit',
    lines: '6.12.117 fs/btrfs/file.c L1755, L1793 (btrfs_log_dentry_safe, btrfs_sync_log)',
    what: "A direct write into new blocks that fsync returned for is a hole after power loss: nothing made the blocks the file's on disk.",
    invariant: 'DUR-02',
    quirks: { genericFsyncNoCommit: true },
    scenario: {
      ...scripted(
        [written(0, 4 * KiB), newBlocks(4 * KiB, 4 * KiB)],
        8 * KiB,
        [[{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }]],
        { generic: true },
      ),
      device: { logicalBlockSize: 512, ...CACHED },
    },
    faults: faults({}),
  },
  {
    name: 'generic-commit-without-preflush',
    commit: 'synthetic',
    title: 'The commit record goes out with REQ_FUA but no REQ_PREFLUSH',
    lines: '6.12.117 fs/btrfs/disk-io.c L3914 (barrier_all_devices), L3990 (write_all_supers)',
    what: "The record reaches media ahead of the data it points at, and recovery shows the old contents of the blocks it made the file's.",
    invariant: 'STALE-03',
    quirks: { genericCommitWithoutPreflush: true },
    scenario: {
      ...scripted(
        [written(0, 4 * KiB), unwritten(4 * KiB, 4 * KiB)],
        8 * KiB,
        [[{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }]],
        { generic: true },
      ),
      device: { logicalBlockSize: 512, ...CACHED_FUA },
    },
    faults: faults({}),
  },
  {
    name: 'generic-publish-at-allocation',
    commit: 'synthetic',
    title: "A new block becomes the file's when ->iomap_begin allocates it, not when its data completed",
    lines: '6.12.117 fs/btrfs/direct-io.c L703-720 (btrfs_dio_end_io), fs/btrfs/inode.c L3025',
    what: 'An fsync while an async write into new blocks is in flight commits blocks whose data is not on disk yet, and recovery shows their old contents.',
    invariant: 'STALE-03',
    quirks: { genericPublishAtAllocation: true },
    scenario: {
      ...scripted(
        [written(0, 4 * KiB), newBlocks(4 * KiB, 4 * KiB)],
        8 * KiB,
        [
          [
            { kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, async: true },
            { kind: 'fsync' },
            { kind: 'power_loss' },
          ],
        ],
        { generic: true },
      ),
      device: { logicalBlockSize: 512, ...CACHED_FUA },
    },
    faults: faults({ reorder: true, interleave: true }),
  },
];
