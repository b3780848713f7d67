/**
 * Planted bugs of the stale data (STALE) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { iBlocksize } from '../fs/vfs.ts';
import { NO_FAULTS } from '../runtime/faults.ts';
import { hole, KiB, written } from '../world/extents.ts';

import { FILE16, faults, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const STALE_BUGS: readonly PlantedBug[] = [
  {
    name: 'no-sub-block-zeroing',
    commit: 'synthetic',
    title: 'iomap_dio_zero submits nothing',
    lines: 'seed L235-251, L356-361, L428-435',
    what: 'A sub-block write into an unwritten block leaves the rest of the block stale, and conversion exposes it.',
    invariant: 'STALE-01',
    ops: () => ({ *iomapDioZero() {} }),
    scenario: xfs(FILE16, 16 * KiB, [
      [
        { kind: 'dio_write', pos: 8 * KiB + 512, len: 512 },
        { kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB },
      ],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'no-eof-tail-zeroing',
    commit: 'synthetic',
    title: 'iomap_dio_zero skips the block tail past EOF',
    lines: 'seed L422-435',
    what: 'An extending sub-block write leaves the EOF block tail stale, and an mmap read of the EOF block sees it.',
    invariant: 'STALE-02',
    ops: (base) => ({
      *iomapDioZero(k, iter, dio, pos, len) {
        if (pos >= iter.inode.iSize) return;
        yield* base.iomapDioZero(k, iter, dio, pos, len);
      },
    }),
    scenario: xfs([written(0, 4 * KiB), hole(4 * KiB, 8 * KiB)], 4 * KiB, [
      [{ kind: 'dio_write', pos: 4 * KiB, len: 512 }, { kind: 'mmap_read' }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'convert-on-error',
    commit: 'synthetic',
    title: 'xfs_dio_write_end_io converts unwritten blocks although the write failed',
    lines: 'fs/xfs/xfs_file.c xfs_dio_write_end_io',
    what: 'Blocks whose data never reached the disk become readable after recovery.',
    invariant: 'STALE-03',
    quirks: { xfsConvertOnError: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }],
    ]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'short-get-skips-zero-tail',
    commit: '4721a6010990',
    title: 'iomap: dio data corruption and spurious errors when pipes fill',
    year: 2018,
    lines: 'seed L388-398, L428-435',
    what: 'A short bio_iov_iter_get_pages returns at once instead of zeroing the block tail, so unwritten conversion exposes stale data.',
    invariant: 'STALE-01',
    ops: () => ({ iomapDioBioIterZeroTailAfterShortGet: () => false }),
    scenario: xfs(
      FILE16,
      16 * KiB,
      [
        [
          // A filesystem that passes IOMAP_DIO_PARTIAL (gfs2, btrfs): the short write succeeds.
          {
            kind: 'dio_write',
            pos: 8 * KiB + 512,
            len: 3 * KiB,
            bufAddr: 0x10000 + 3584,
            dioFlags: ['partial'],
          },
          { kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB },
        ],
      ],
      {},
      4,
    ),
    faults: faults({ pageFaults: true }),
  },
  {
    name: 'log-without-preflush',
    commit: 'synthetic',
    title: 'the filesystem writes its log with REQ_FUA but without REQ_PREFLUSH',
    lines: 'Documentation/block/writeback_cache_control.rst; fs/xfs log writes',
    what: 'An unwritten conversion reaches the disk before the data it converts, exposing stale blocks after power loss.',
    invariant: 'STALE-03',
    quirks: { xfsLogWithoutPreflush: true },
    scenario: xfs(
      FILE16,
      16 * KiB,
      [[{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB }, { kind: 'fsync' }, { kind: 'power_loss' }]],
      { fua: true },
    ),
    faults: NO_FAULTS,
  },
  {
    name: 'tail-zeroing-head-length',
    commit: 'synthetic',
    title: 'the tail zeroing of iomap_dio_bio_iter zeroes pad bytes, the length of the head zeroing',
    lines: 'seed L356-361, L428-435',
    what: 'A sub-block write into an unwritten block leaves the end of the block stale, and conversion exposes it to buffered reads.',
    invariant: 'STALE-02',
    ops: (base) => ({
      *iomapDioZero(k, iter, dio, pos, len) {
        // L434 copied from L360: iomap_dio_zero(iter, dio, pos, pad), not fs_block_size - pad.
        const tail = pos > iter.pos;
        yield* base.iomapDioZero(k, iter, dio, pos, tail ? iBlocksize(iter.inode) - len : len);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [
      [
        { kind: 'dio_write', pos: 8 * KiB + 512, len: 512 },
        { kind: 'buffered_read', pos: 8 * KiB, len: 4 * KiB },
      ],
    ]),
    faults: NO_FAULTS,
  },
];
