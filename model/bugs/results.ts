/**
 * Planted bugs of the results (RES, DATA) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { EFAULT, EIOCBQUEUED } from '../kernel/flags.ts';
import { iomapDioBioIterUnwind } from '../kernel/iomapDioBio.ts';
import { iovIterAdvance, iovIterRevert, iovIterRw, READ } from '../mm/iovIter.ts';
import { NO_FAULTS } from '../runtime/faults.ts';
import { hole, KiB, written } from '../world/extents.ts';

import { afterIomapDioRw, FILE16, faults, scripted, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const RESULTS_BUGS: readonly PlantedBug[] = [
  {
    name: 'iter-rewound-on-completion-error',
    commit: '4ad357e39b2e',
    title: 'iomap: fix submission side handling of completion side errors',
    year: 2026,
    lines: 'seed L373-377',
    what: 'A completion error seen in the bio loop rewinds the iter over bytes already in flight, so the iter and dio->size disagree.',
    invariant: 'RES-06',
    inSeed: true,
    ops: () => ({ iomapDioBioIterUnwind }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 8 * KiB }]]),
    faults: faults({ bioErrors: true, interleave: true }),
  },
  {
    name: 'efault-as-eof',
    commit: '4721a6010990',
    title: 'iomap: dio data corruption and spurious errors when pipes fill (the part reverted later)',
    year: 2018,
    lines: 'seed L689',
    what: 'A read that cannot pin its first page returns 0, a false end of file, instead of -EFAULT.',
    invariant: 'RES-03',
    ops: afterIomapDioRw((ret) => {
      return ret === -EFAULT ? 0 : ret;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 8 * KiB }]]),
    faults: faults({ pageFaults: true }),
  },
  {
    name: 'result-u32-wrap',
    commit: 'e9f930ac88a8',
    title: 'iomap: fix return value of iomap_dio_bio_actor on 32bit systems',
    year: 2019,
    lines: 'seed L439-441',
    what: 'An error result goes through an unsigned 32-bit type and reaches the caller as a huge byte count.',
    invariant: 'RES-04',
    ops: afterIomapDioRw((ret) => {
      return ret === -EIOCBQUEUED ? ret : ret >>> 0;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 8 * KiB }]]),
    faults: faults({ pageFaults: true }),
  },
  {
    name: 'read-result-past-eof',
    commit: 'synthetic',
    title: 'a short read at end of file reports one sector more than i_size allows',
    lines: 'seed L93-99',
    what: 'The caller is told of bytes past end of file.',
    invariant: 'RES-01',
    ops: afterIomapDioRw((ret, _iocb, iter) => {
      return ret > 0 && iovIterRw(iter) === READ ? ret + 512 : ret;
    }),
    scenario: xfs(FILE16, 10 * KiB, [[{ kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'pos-advanced-on-error',
    commit: 'synthetic',
    title: 'ki_pos moves although the request failed',
    lines: 'seed L118-119',
    what: 'A failed write advances the file position.',
    invariant: 'RES-02',
    ops: afterIomapDioRw((ret, iocb) => {
      if (ret < 0 && ret !== -EIOCBQUEUED) iocb.kiPos += 512;
      return ret;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'read-iter-not-reverted-at-eof',
    commit: 'synthetic',
    title: '__iomap_dio_rw skips the iter revert at end of file',
    lines: 'seed L670-676',
    what: 'A short read leaves the iter consumed past what it reported.',
    invariant: 'RES-05',
    ops: afterIomapDioRw((ret, _iocb, iter) => {
      // As if L675-676 were gone: the iter stays consumed up to the end of the request.
      if (ret >= 0 && iovIterRw(iter) === READ) iovIterAdvance(iter, iter.count);
      return ret;
    }),
    scenario: xfs(FILE16, 10 * KiB, [[{ kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'write-result-overcounts',
    commit: 'synthetic',
    title: 'a write reports one sector more than it was asked for',
    lines: 'seed L93-95',
    what: 'The caller is told more bytes were written than it gave.',
    invariant: 'RES-01',
    ops: afterIomapDioRw((ret, _iocb, iter) => (ret > 0 && iovIterRw(iter) !== READ ? ret + 512 : ret)),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'pos-not-advanced',
    commit: 'synthetic',
    title: 'ki_pos stays where it was after a successful request',
    lines: 'seed L118-119',
    what: 'The next sequential request rewrites or rereads the same bytes.',
    invariant: 'RES-02',
    ops: afterIomapDioRw((ret, iocb) => {
      if (ret > 0) iocb.kiPos -= ret;
      return ret;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'short-read-reported-as-eof',
    commit: 'synthetic',
    title: 'a short read returns 0',
    lines: 'seed L93-99',
    what: 'A read that found data reports end of file.',
    invariant: 'RES-03',
    ops: afterIomapDioRw((ret, _iocb, iter) =>
      ret > 0 && iovIterRw(iter) === READ && iter.count > 0 ? 0 : ret,
    ),
    scenario: xfs(FILE16, 10 * KiB, [[{ kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'error-offset-encoded',
    commit: 'synthetic',
    title: 'errors are returned with an offset, outside the errno range',
    lines: 'seed L752',
    what: 'The caller receives a negative value that is not an errno.',
    invariant: 'RES-04',
    ops: afterIomapDioRw((ret) => (ret < 0 && ret !== -EIOCBQUEUED ? ret - 4096 : ret)),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'read-iter-rewound-too-far',
    commit: 'synthetic',
    title: 'the EOF revert of a read rewinds one sector too many',
    lines: 'seed L675-676',
    what: 'The iter claims fewer bytes consumed than the read reported.',
    invariant: 'RES-05',
    ops: afterIomapDioRw((ret, _iocb, iter) => {
      if (ret >= 512 && iovIterRw(iter) === READ) iovIterRevert(iter, 512);
      return ret;
    }),
    scenario: xfs(FILE16, 10 * KiB, [[{ kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'write-iter-reexpanded-short',
    commit: 'synthetic',
    title: 'the iter of a write is re-expanded one sector short',
    lines: 'seed L436-438',
    what: 'The iter no longer agrees with the data handed to bios.',
    invariant: 'RES-06',
    ops: afterIomapDioRw((ret, _iocb, iter) => {
      if (ret >= 512 && iovIterRw(iter) !== READ) iovIterRevert(iter, 512);
      return ret;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'zeroing-overlaps-data',
    commit: 'synthetic',
    title: 'iomap_dio_zero starts the tail zeroing one sector early',
    lines: 'seed L428-435',
    what: 'The zeroing bio covers the last sector of the data and, completing after it, erases it.',
    invariant: 'DATA-01',
    ops: (base) => ({
      *iomapDioZero(k, iter, dio, pos, len) {
        const tail = pos > iter.pos;
        yield* base.iomapDioZero(k, iter, dio, tail ? pos - 512 : pos, tail ? len + 512 : len);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [
      [
        { kind: 'dio_write', pos: 8 * KiB + 512, len: 1 * KiB },
        { kind: 'dio_read', pos: 8 * KiB, len: 4 * KiB },
      ],
    ]),
    faults: faults({ reorder: true }),
  },
  {
    name: 'zero-bio-aimed-at-iter-pos',
    commit: 'synthetic',
    title: 'iomap_dio_zero computes the sector of its bio from iter->pos instead of pos',
    lines: 'seed L235-251 (L245)',
    what: 'The tail-zeroing bio of a sub-block write lands at the start of the write and, completing after the data, erases it.',
    invariant: 'DATA-01',
    ops: (base) => ({
      *iomapDioZero(k, iter, dio, _pos, len) {
        yield* base.iomapDioZero(k, iter, dio, iter.pos, len);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [
      [
        { kind: 'dio_write', pos: 8 * KiB, len: 1 * KiB },
        { kind: 'dio_read', pos: 8 * KiB, len: 1 * KiB },
      ],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'read-past-eof-issued',
    commit: '74cedf9b6c60',
    title:
      'direct-io: Fix negative return from dio read beyond eof (fs/direct-io.c; B10 re-created at the iomap check)',
    year: 2015,
    lines: 'seed L587-588, L96-98',
    what: 'A read that starts past i_size is issued, and the short-read clamp turns its count into i_size - pos, a negative number that is no errno.',
    invariant: 'RES-04',
    ops: () => ({ iomapDioRwReadPastEof: () => false }),
    scenario: xfs([written(0, 4 * KiB)], 1000, [[{ kind: 'dio_read', pos: 8 * KiB, len: 512 }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'partial-nothing-returns-done-before',
    commit: 'synthetic',
    title: 'iomap_dio_complete adds done_before to a count of 0 (ret >= 0 for ret > 0 at seed L118)',
    lines: 'seed L118-129, L684-688',
    what: 'A resumed IOMAP_DIO_PARTIAL write that the filesystem sends to buffered I/O at once moved nothing, yet returns done_before, as if it had moved bytes of its own.',
    invariant: 'RES-07',
    ops: (base) => ({
      *iomapDioComplete(k, dio) {
        const before = dio.doneBefore;
        const ret = yield* base.iomapDioComplete(k, dio);
        return ret === 0 ? ret + before : ret;
      },
    }),
    // btrfs's loop after a first call wrote 4 KiB: its ->iomap_begin now asks for buffered I/O.
    scenario: scripted(
      [written(0, 16 * KiB)],
      16 * KiB,
      [[{ kind: 'dio_write', pos: 4 * KiB, len: 8 * KiB, dioFlags: ['partial'], doneBefore: 4 * KiB }]],
      { notblkFrom: 0 },
    ),
    faults: NO_FAULTS,
  },
  {
    name: 'partial-fault-completes-async',
    commit: 'synthetic',
    title: '__iomap_dio_rw does not wait for the bios of an IOMAP_DIO_PARTIAL request a fault cut short',
    lines: 'seed L678-682 (L679-680)',
    what: 'An aio write whose second buffer page is gone returns -EIOCBQUEUED with bios in flight, so the short count arrives through ki_complete and btrfs or gfs2 can never resume the rest.',
    invariant: 'RES-07',
    ops: () => ({ iomapDioRwPartialWaits: () => false }),
    scenario: xfs(FILE16, 16 * KiB, [
      [
        {
          kind: 'dio_write',
          pos: 0,
          len: 8 * KiB,
          async: true,
          dioFlags: ['partial'],
          badPage: { index: 1, how: 'munmap' },
        },
      ],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'hole-copy-fault-returns-zero',
    commit: '42c498c18a94',
    title: 'iomap: Fix iomap_dio_rw return value for user copies',
    year: 2021,
    lines: 'seed L444-453 (L450-451)',
    what: 'Zeroing a hole into a gone buffer page returns 0 instead of -EFAULT, so the iteration just stops: a PARTIAL aio read then delivers its short count through ki_complete, and its caller cannot resume.',
    invariant: 'RES-07',
    ops: (base) => ({
      *iomapDioHoleIter(k, iter, dio) {
        const ret = yield* base.iomapDioHoleIter(k, iter, dio);
        return ret === -EFAULT ? 0 : ret;
      },
    }),
    scenario: scripted([written(0, 4 * KiB), hole(4 * KiB, 4 * KiB)], 8 * KiB, [
      [
        {
          kind: 'dio_read',
          pos: 0,
          len: 8 * KiB,
          async: true,
          dioFlags: ['partial'],
          badPage: { index: 1, how: 'munmap' },
        },
      ],
    ]),
    faults: NO_FAULTS,
  },
];
