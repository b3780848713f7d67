/**
 * Planted bugs of the argument checks (ARG) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { type IomapOps, iomapLength } from '../fs/iomap.ts';
import { EAGAIN, ENOTBLK, IOCB_NOWAIT, IOMAP_DIO_WRITE } from '../kernel/flags.ts';
import { iomapDioSubmitBioMarkPolled } from '../kernel/iomapDioBio.ts';
import { iovIterReexpand, iovIterRw, iovIterTruncate, READ } from '../mm/iovIter.ts';
import { NO_FAULTS } from '../runtime/faults.ts';
import { hole, KiB, written } from '../world/extents.ts';

import { afterIomapDioRw, FILE16, faults, scripted, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const ARGUMENTS_BUGS: readonly PlantedBug[] = [
  {
    name: 'polled-bio-implies-nowait',
    commit: '47f28b493daf',
    title: "iomap: don't make REQ_POLLED imply REQ_NOWAIT",
    year: 2026,
    lines: 'seed L71-75',
    what: 'bio_set_polled makes the polled first bio of a NOWAIT write REQ_NOWAIT. A filesystem whose ->submit_io hands the bio to a worker (btrfs checksummed direct writes in one before 968f19c5b1b7; the 6.12 releases send them to buffered I/O) has it refused there with BLK_STS_AGAIN, after the submitter went on to its next mapping and submitted a bio that writes: the request returns -EAGAIN after doing I/O (6.12.107 has it; 6.12.111 sets REQ_POLLED alone). Where submit_bio is called by the submitter itself, the refused bio ends before submit_bio returns and the next mapping stops at the error test (seed L373): no I/O.',
    invariant: 'ARG-02',
    inSeed: true,
    ops: () => ({ iomapDioSubmitBioMarkPolled }),
    // Two mappings (the extents lie apart on disk): the first bio is polled, the second is not.
    // A pure overwrite with caller completion keeps IOCB_HIPRI (seed L343-354).
    scenario: scripted(
      [written(0, 4 * KiB), { ...written(4 * KiB, 4 * KiB), addr: 72 * KiB }],
      8 * KiB,
      [
        [
          {
            kind: 'dio_write',
            pos: 0,
            len: 8 * KiB,
            async: true,
            iocbFlags: ['nowait', 'hipri', 'caller_comp'],
          },
        ],
      ],
      { submitIo: true, submitIoDeferred: true },
    ),
    faults: faults({ wouldBlock: true }),
  },
  {
    name: 'misaligned-write-zeroes-first',
    commit: 'synthetic',
    title: 'iomap_dio_bio_iter zeroes the head block before checking alignment',
    lines: 'seed L291-293, L356-361',
    what: 'A request rejected with -EINVAL has already written to the disk.',
    invariant: 'ARG-01',
    ops: (base) => ({
      *iomapDioBioIter(k, iter, dio) {
        if (iter.pos & 511) yield* base.iomapDioZero(k, iter, dio, iter.pos & ~511, 512);
        return yield* base.iomapDioBioIter(k, iter, dio);
      },
    }),
    scenario: scripted([written(0, 8 * KiB)], 8 * KiB, [[{ kind: 'dio_write', pos: 100, len: 512 }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'nowait-maps-first-extent-only',
    commit: 'synthetic',
    title: 'xfs_direct_write_iomap_begin does not check that a NOWAIT mapping spans the range',
    lines: 'fs/xfs/xfs_iomap.c imap_spans_range; iomap design.rst NOWAIT',
    what: 'A NOWAIT write submits bios for its first extent and then fails with -EAGAIN.',
    invariant: 'ARG-02',
    quirks: { xfsNowaitFirstExtentOnly: true },
    scenario: xfs([written(0, 4 * KiB), hole(4 * KiB, 12 * KiB)], 16 * KiB, [
      [{ kind: 'dio_write', pos: 0, len: 8 * KiB, iocbFlags: ['nowait'] }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'fallback-after-writing',
    commit: 'synthetic',
    title: 'a direct write that already wrote returns -ENOTBLK',
    lines: 'seed L684-688',
    what: 'The caller falls back to buffered I/O for data already written directly.',
    invariant: 'ARG-03',
    ops: afterIomapDioRw((ret, _iocb, iter) => {
      return ret > 0 && iovIterRw(iter) !== READ ? -ENOTBLK : ret;
    }),
    scenario: scripted([written(0, 8 * KiB)], 8 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'nowait-short-write',
    commit: 'synthetic',
    title: 'a NOWAIT write reports less than it was asked for',
    lines: 'seed L580-581',
    what: 'A NOWAIT request is neither refused nor done whole.',
    invariant: 'ARG-04',
    ops: afterIomapDioRw((ret, iocb) => {
      if (ret <= 512 || !(iocb.kiFlags & IOCB_NOWAIT)) return ret;
      iocb.kiPos -= 512;
      return ret - 512;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB, iocbFlags: ['nowait'] }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'mapping-past-position',
    commit: 'synthetic',
    title: '->iomap_begin reports a mapping that starts past the position asked for',
    lines: 'fs/iomap/iter.c iomap_iter_done',
    what: 'iomap would map the wrong file range.',
    invariant: 'FS-01',
    quirks: { xfsMappingPastPos: true },
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'write-map-end-rounded-down',
    commit: 'synthetic',
    title:
      'xfs_direct_write_iomap_begin rounds the end of the range down to a block (XFS_B_TO_FSBT for XFS_B_TO_FSB)',
    lines: 'fs/xfs/xfs_iomap.c xfs_direct_write_iomap_begin; fs/iomap/iter.c iomap_iter_done',
    what: 'A direct write that ends inside a block is given a zero-length mapping for that block.',
    invariant: 'FS-01',
    quirks: { xfsWriteEndRoundedDown: true },
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 512 }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'alignment-checked-after-trim',
    commit: 'synthetic',
    title: 'iomap_dio_bio_iter checks the alignment of the iter only after trimming it to the mapping',
    lines: 'seed L291-293, L325-331',
    what: 'A read whose length is misaligned only in its last mapping submits bios for the earlier mappings, then fails with -EINVAL.',
    invariant: 'ARG-01',
    ops: (base) => ({
      *iomapDioBioIter(k, iter, dio) {
        const it = dio.submitIter;
        const length = iomapLength(iter);
        if (it === null || it.count <= length) return yield* base.iomapDioBioIter(k, iter, dio);
        // As if L291-293 came after L330-331: the check sees the iter trimmed to this mapping.
        const full = it.count;
        iovIterTruncate(it, length);
        const ret = yield* base.iomapDioBioIter(k, iter, dio);
        iovIterReexpand(it, full - (length - it.count));
        return ret;
      },
    }),
    scenario: scripted([written(0, 4 * KiB), written(4 * KiB, 4 * KiB)], 8 * KiB, [
      [{ kind: 'dio_read', pos: 0, len: 4 * KiB + 100 }],
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'notblk-nowait-as-eagain',
    commit: 'synthetic',
    title: '__iomap_dio_rw turns a -ENOTBLK from ->iomap_begin into -EAGAIN for a NOWAIT request',
    lines: 'seed L580-581, L684-690',
    what: 'A NOWAIT write that already submitted its first mapping reports -EAGAIN, so io_uring retries from a worker a write that was done in part.',
    invariant: 'ARG-02',
    ops: (base) => ({
      *__iomapDioRw(k, iocb, iter, ops, d, f, done) {
        if (!(iocb.kiFlags & IOCB_NOWAIT)) return yield* base.__iomapDioRw(k, iocb, iter, ops, d, f, done);
        // As if L685 began with: NOWAIT must not fall back to blocking buffered I/O, so -EAGAIN.
        const end = ops.iomapEnd?.bind(ops);
        const nowaitOps: IomapOps = {
          *iomapBegin(inode, pos, length, flags, iomap, srcmap) {
            const ret = yield* ops.iomapBegin(inode, pos, length, flags, iomap, srcmap);
            return ret === -ENOTBLK ? -EAGAIN : ret;
          },
          ...(end === undefined ? {} : { iomapEnd: end }),
        };
        return yield* base.__iomapDioRw(k, iocb, iter, nowaitOps, d, f, done);
      },
    }),
    scenario: scripted(
      [written(0, 4 * KiB), written(4 * KiB, 4 * KiB)],
      8 * KiB,
      [[{ kind: 'dio_write', pos: 0, len: 8 * KiB, iocbFlags: ['nowait'] }]],
      { notblkFrom: 4 * KiB },
    ),
    faults: NO_FAULTS,
  },
  {
    name: 'notblk-after-submit-returned',
    commit: 'synthetic',
    title: '__iomap_dio_rw passes a -ENOTBLK from ->iomap_begin through like any other error',
    lines: 'seed L684-690',
    what: 'A write that already submitted its first mapping returns -ENOTBLK, and the caller redoes all of it as buffered I/O.',
    invariant: 'ARG-03',
    ops: () => ({ iomapDioRwFallsBack: () => false }),
    scenario: scripted(
      [written(0, 4 * KiB), written(4 * KiB, 4 * KiB)],
      8 * KiB,
      [[{ kind: 'dio_write', pos: 0, len: 8 * KiB }]],
      { notblkFrom: 4 * KiB },
    ),
    faults: NO_FAULTS,
  },
  {
    name: 'short-read-clamp-on-writes',
    commit: 'synthetic',
    title: 'iomap_dio_complete applies the short-read clamp to writes as well',
    lines: 'seed L93-99, L118-119',
    what: 'A write that extends the file is reported cut at the i_size it started with, so a NOWAIT write is neither refused nor done whole.',
    invariant: 'ARG-04',
    ops: (base) => ({
      *iomapDioComplete(k, dio) {
        k.rt.heap.use(dio, 96);
        const iocb = dio.iocb;
        const offset = iocb.kiPos;
        const iSize = dio.iSize;
        const write = (dio.flags & IOMAP_DIO_WRITE) !== 0;
        const ret = yield* base.iomapDioComplete(k, dio);
        // As if L96-97 lacked the write test (and L118-119 then advanced ki_pos by the clamped count).
        if (!write || ret <= 0 || offset + ret <= iSize) return ret;
        const clamped = iSize - offset;
        iocb.kiPos = offset + Math.max(clamped, 0);
        return clamped;
      },
    }),
    scenario: xfs(FILE16, 12 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 8 * KiB, iocbFlags: ['nowait'] }],
    ]),
    faults: NO_FAULTS,
  },
];
