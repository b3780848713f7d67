/**
 * Planted bugs of the system call's contract (SYS) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { EAGAIN } from '../kernel/flags.ts';
import { iomapDioBioIterZeroTailPad612 } from '../kernel/v6_12.ts';
import { iovIterRw, READ } from '../mm/iovIter.ts';
import { NO_FAULTS } from '../runtime/faults.ts';
import { KiB, written } from '../world/extents.ts';

import { afterIomapDioRw, claimsWholeRequest, FILE16, faults, scripted, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const CONTRACT_BUGS: readonly PlantedBug[] = [
  {
    name: 'unaligned-dio-not-serialised',
    commit: 'synthetic',
    title:
      'concurrent sub-block direct writes to one new block are not serialised (B24: the XFS rule of xfs_file_dio_write_unaligned)',
    lines: 'seed L356-361, L428-435; fs/xfs/xfs_file.c',
    what: "Each write zeroes the part of the block the other writes, and one write, acknowledged, is lost to the other's zeroing (caught by the contract since SYS-03; PC-01 caught it through a buffered read before).",
    invariant: 'SYS-03',
    quirks: { xfsNoUnalignedSerialisation: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 1 * KiB, async: true }],
      [{ kind: 'dio_write', pos: 9 * KiB, len: 1 * KiB, async: true }],
    ]),
    faults: faults({ interleave: true, reorder: true }),
  },
  {
    name: 'tail-zero-result-returned',
    commit: '10553a91652d',
    title:
      'iomap: fix iomap_dio_zero() for fs bs > system page size (its int result, which the tail zeroing of 6.12.107-6.12.117 assigns to ret; void again in 6.12.118)',
    year: 2024,
    lines: 'seed L428-435; 6.12.117 fs/iomap/direct-io.c L460-467',
    what: "A write whose first page cannot be pinned, inside a block with a tail to zero, returns the tail zeroing's 0 instead of -EFAULT: it moved nothing and reports success.",
    invariant: 'SYS-01',
    ops: () => ({ iomapDioBioIterZeroTailPad: iomapDioBioIterZeroTailPad612 }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 8 * KiB + 512, len: 512 }]]),
    faults: faults({ pageFaults: true }),
  },
  {
    name: 'overwrite-only-refusal-as-zero',
    commit: 'synthetic',
    title: 'A write refused for needing allocation (IOMAP_DIO_OVERWRITE_ONLY) returns 0 instead of -EAGAIN',
    lines: 'seed L609-615',
    what: 'A write that must not allocate and would have to returns 0 bytes, so the caller neither retries without the flag nor sees an error.',
    invariant: 'SYS-01',
    ops: afterIomapDioRw((ret) => (ret === -EAGAIN ? 0 : ret)),
    scenario: scripted([written(0, 4 * KiB)], 4 * KiB, [
      [{ kind: 'dio_write', pos: 4 * KiB, len: 512, dioFlags: ['overwrite_only'] }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'faulted-read-reports-request',
    commit: 'synthetic',
    title: 'A direct read cut short by a faulting buffer page reports the whole request',
    lines: 'seed L388-398, L439-441',
    what: 'A read under IOMAP_DIO_PARTIAL (gfs2, btrfs) whose second buffer page is gone reports every byte asked (ki_pos and the iter moved to match), although nothing reached the pages from the faulting one on.',
    invariant: 'SYS-02',
    ops: claimsWholeRequest(true),
    scenario: scripted([written(0, 16 * KiB)], 16 * KiB, [
      [
        {
          kind: 'dio_read',
          pos: 0,
          len: 16 * KiB,
          dioFlags: ['partial'],
          badPage: { index: 1, how: 'munmap' },
        },
      ],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'faulted-write-reports-request',
    commit: 'synthetic',
    title: 'A direct write cut short by a faulting buffer page reports the whole request',
    lines: 'seed L388-398, L439-441',
    what: 'A write under IOMAP_DIO_PARTIAL (gfs2, btrfs) whose second buffer page is gone reports every byte asked (ki_pos moved to match), so the caller never writes the rest.',
    invariant: 'SYS-02',
    ops: claimsWholeRequest(false),
    scenario: scripted([written(0, 16 * KiB)], 16 * KiB, [
      [
        {
          kind: 'dio_write',
          pos: 0,
          len: 16 * KiB,
          dioFlags: ['partial'],
          badPage: { index: 1, how: 'munmap' },
        },
      ],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'write-end-io-dropped',
    commit: 'synthetic',
    title: "iomap_dio_rw loses the filesystem's dio ops for writes",
    lines: 'seed L131-139 (dops->end_io)',
    what: 'A write completes without ->end_io, so an unwritten extent it wrote is never converted: it returns its count, yet the range reads back as zeros.',
    invariant: 'SYS-03',
    ops: (base) => ({
      *iomapDioRw(k, iocb, iter, o, d, f, done) {
        return yield* base.iomapDioRw(k, iocb, iter, o, iovIterRw(iter) === READ ? d : null, f, done);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'tail-zero-over-last-sector',
    commit: 'synthetic',
    title: 'The tail zeroing of a sub-block write starts one sector early',
    lines: 'seed L428-435',
    what: 'The zeroing bio after a sub-block write into an unwritten block covers the last sector the write put there, and lands after it.',
    invariant: 'SYS-03',
    ops: (base) => ({
      *iomapDioBioIterZeroTailPad(k, iter, dio, pos, pad, ret) {
        if (pad <= 512) return yield* base.iomapDioBioIterZeroTailPad(k, iter, dio, pos, pad, ret);
        return yield* base.iomapDioBioIterZeroTailPad(k, iter, dio, pos - 512, pad - 512, ret);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 8 * KiB + 512, len: 1 * KiB }]]),
    faults: NO_FAULTS,
  },
];
