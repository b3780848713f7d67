/**
 * Planted bugs of the model ext4, each a world quirk (model/world/quirks.ts) read by the model ext4
 * at the line it changes (model/fs/ext4.ts, ext4File.ts). All but the last re-create ext4's direct
 * I/O code as it was before a fix in the kernel's history (the commit each names); the last is
 * synthetic. Each carries the smallest ext4 scenario and fault profile that expose it;
 * properties/bugs.test.ts hunts them like the rest of the catalogue (model/bugs/catalogue.ts
 * includes this array), and properties/world/ext4Bugs.test.ts checks the step each changes.
 */
import { KiB, unwritten, written } from '../world/extents.ts';
import type { ExtentSpec, OpSpec, Scenario } from '../world/scenario.ts';
import { faults } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

/** A small ext4 file with 4 KiB blocks on a 512-byte device with a volatile write cache. */
function ext4(
  extents: readonly ExtentSpec[],
  iSize: number,
  threads: ReadonlyArray<readonly OpSpec[]>,
  device: Partial<Scenario['device']> = {},
): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: false, writeCache: true, ...device },
    fs: { model: 'ext4', blockSize: 4096, iSize, extents },
    bioMaxVecs: 1,
    threads,
  };
}

export const EXT4_BUGS: readonly PlantedBug[] = [
  {
    name: 'ext4-no-dirty-past-eof',
    commit: '2e9b51d78229',
    title: 'ext4: iomap that extends beyond EOF should be marked dirty',
    year: 2019,
    lines: '6.12.117 fs/ext4/inode.c L3297-3305 (ext4_set_iomap); seed L305-317',
    what: 'An O_DSYNC write that extends the file over blocks already written past i_size is not IOMAP_F_DIRTY, so it takes the FUA path and skips generic_write_sync: the i_disksize end_io logged is never committed, and recovery truncates the write away.',
    invariant: 'DUR-01',
    quirks: { ext4NoDirtyPastEof: true },
    // Written blocks past i_size (left by an earlier write that failed after allocating): the
    // extending write allocates nothing, so only the EOF test makes the mapping dirty.
    scenario: ext4(
      [written(0, 8 * KiB)],
      4 * KiB,
      [[{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }, { kind: 'power_loss' }]],
      { fua: true },
    ),
    faults: faults({ destage: true }),
  },
  {
    name: 'ext4-size-update-after-dio',
    commit: '91562895f803',
    title: 'ext4: properly sync file size update after O_SYNC direct IO',
    year: 2023,
    lines: '6.12.117 fs/ext4/file.c L392-403 (ext4_dio_write_end_io), L584-597 (ext4_dio_write_iter)',
    what: 'An extending O_DSYNC write settles i_disksize and the orphan in ext4_dio_write_iter after iomap_dio_rw returned, so generic_write_sync in iomap_dio_complete commits the allocation and the orphan but not the new size: at power loss, orphan cleanup truncates the write that returned success.',
    invariant: 'DUR-01',
    quirks: { ext4SizeUpdateAfterDio: true },
    scenario: ext4([written(0, 4 * KiB)], 4 * KiB, [
      [{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }, { kind: 'power_loss' }],
    ]),
    faults: faults({ destage: true }),
  },
  {
    name: 'ext4-unaligned-aio-not-serialised',
    commit: 'e9e3bcecf44c',
    title: 'ext4: serialize unaligned asynchronous DIO',
    year: 2011,
    lines: '6.12.117 fs/ext4/file.c L482-490 (ext4_dio_write_checks); seed L356-361, L428-435',
    what: 'An unaligned write into an unwritten block does not wait for the aligned async write still in flight to it, finds the block still unwritten and zeroes the rest of it: the aligned write, acknowledged, reads back zeros.',
    invariant: 'SYS-03',
    quirks: { ext4UnalignedNoDioWait: true },
    scenario: ext4([written(0, 8 * KiB), unwritten(8 * KiB, 8 * KiB)], 16 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, async: true }],
      [{ kind: 'dio_write', pos: 8 * KiB + 512, len: 1 * KiB, async: true }],
    ]),
    faults: faults({ interleave: true, reorder: true }),
  },
  {
    name: 'ext4-unaligned-aio-not-waited',
    commit: '57a0da28ced8',
    title: 'ext4: fix data corruption caused by overlapping unaligned and aligned IO',
    year: 2019,
    lines: '6.12.117 fs/ext4/file.c L482-490 (ext4_dio_write_checks); seed L356-361, L428-435',
    what: 'An unaligned async write into unwritten blocks waits for direct I/O in flight before it starts but returns before it completes, so an aligned write to the same block that follows under the shared lock can land before the unaligned write zeroes the rest of the block: the aligned write, acknowledged, reads back zeros.',
    invariant: 'SYS-03',
    quirks: { ext4UnalignedNoForceWait: true },
    scenario: ext4([written(0, 8 * KiB), unwritten(8 * KiB, 8 * KiB)], 16 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB + 512, len: 1 * KiB, async: true }],
      [{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB }],
    ]),
    faults: faults({ interleave: true, reorder: true }),
  },
  {
    name: 'ext4-convert-on-error',
    commit: 'synthetic',
    title: 'ext4_dio_write_end_io converts unwritten extents although the write failed',
    lines: '6.12.117 fs/ext4/file.c L387-390 (ext4_dio_write_end_io)',
    what: 'A failed direct write into unwritten blocks inside i_size converts them, and once the conversion commits the range reads back whatever the blocks held before.',
    invariant: 'STALE-03',
    quirks: { ext4ConvertOnError: true },
    scenario: ext4([written(0, 8 * KiB), unwritten(8 * KiB, 8 * KiB)], 16 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }],
    ]),
    faults: faults({ bioErrors: true }),
  },
];
