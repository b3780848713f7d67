/**
 * Planted bugs of the stale data (STALE) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { iBlocksize } from '../fs/vfs.ts';
import { IOMAP_DIO_WRITE, IOMAP_UNWRITTEN } from '../kernel/flags.ts';
import { NO_FAULTS } from '../runtime/faults.ts';
import { hole, KiB, unwritten, written } from '../world/extents.ts';
import type { Scenario } from '../world/scenario.ts';

import { FILE16, faults, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

/** A scenario with leftovers on the disk at mount (FsSpec.leftovers, spec/fs.md "Initial states"). */
function withLeftovers(scenario: Scenario, leftovers: NonNullable<Scenario['fs']['leftovers']>): Scenario {
  return { ...scenario, fs: { ...scenario.fs, leftovers } };
}

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
  // The three below give the history rule of the data checkers (spec/invariants.md, "Data by
  // history") its teeth: on their scenarios the data that comes back sits at its own offset, so
  // judging by placement alone, as the checkers did before, accepts it (properties/world/leftovers.test.ts).
  {
    name: 'unwritten-read-as-mapped',
    commit: 'synthetic',
    title: 'iomap_dio_iter reads an unwritten mapping from the disk',
    lines: 'seed L496-499',
    what: 'A direct read of an unwritten block returns what its media holds, here the data of a write whose conversion a crash lost, instead of zeros.',
    invariant: 'STALE-01',
    ops: (base) => ({
      *iomapDioIter(k, iter, dio) {
        if (iter.iomap.type === IOMAP_UNWRITTEN && !(dio.flags & IOMAP_DIO_WRITE))
          return yield* base.iomapDioBioIter(k, iter, dio);
        return yield* base.iomapDioIter(k, iter, dio);
      },
    }),
    scenario: withLeftovers(
      xfs([written(0, 4 * KiB), unwritten(4 * KiB, 4 * KiB)], 8 * KiB, [
        [{ kind: 'dio_read', pos: 0, len: 8 * KiB }],
      ]),
      ['unwritten'],
    ),
    faults: NO_FAULTS,
  },
  {
    name: 'new-block-head-not-zeroed',
    commit: 'synthetic',
    title: 'iomap_dio_bio_iter never zeroes the head of a new block',
    lines: 'seed L356-361',
    what: 'A sub-block write into a hole leaves the head of the block it allocates as the disk had it, here the bytes of a deleted earlier copy of the file, and conversion exposes them.',
    invariant: 'STALE-01',
    ops: () => ({ iomapDioBioIterZeroHead: () => false }),
    scenario: withLeftovers(
      xfs([hole(0, 4 * KiB), written(4 * KiB, 4 * KiB)], 8 * KiB, [
        [
          { kind: 'dio_write', pos: 512, len: 512 },
          { kind: 'dio_read', pos: 0, len: 4 * KiB },
        ],
      ]),
      ['free'],
    ),
    faults: NO_FAULTS,
  },
  {
    name: 'truncate-keeps-eof-tail',
    commit: 'synthetic',
    title: 'xfs_setattr_size neither zeroes the new EOF block past the new size nor the cached folio',
    lines: '6.12.117 fs/xfs/xfs_iops.c L864-874 (xfs_truncate_page); mm/truncate.c L218-245',
    what: 'After a truncate down into a block, an mmap read of the EOF block still sees the data the truncate cut off.',
    invariant: 'STALE-02',
    quirks: { xfsTruncateKeepsEofTail: true },
    scenario: xfs([written(0, 4 * KiB)], 4 * KiB, [
      [{ kind: 'dio_write', pos: 0, len: 4 * KiB }, { kind: 'truncate', size: 1024 }, { kind: 'mmap_read' }],
    ]),
    faults: NO_FAULTS,
  },
];
