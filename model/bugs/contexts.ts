/**
 * Planted bugs of the contexts and progress (CTX, PROG) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { isSyncKiocb } from '../fs/vfs.ts';
import {
  IOCB_DIO_CALLER_COMP,
  IOCB_HIPRI,
  IOCB_WRITE,
  IOMAP_DIO_INLINE_COMP,
  IOMAP_DIO_WRITE,
} from '../kernel/flags.ts';
import { iomapDioBioEndIo as seedBioEndIo } from '../kernel/iomapDioComplete.ts';
import { iomapDioRwDoneWqForReads as seedDoneWqForReads } from '../kernel/iomapDioRw.ts';
import { NO_FAULTS } from '../runtime/faults.ts';
import { KiB, written } from '../world/extents.ts';

import { FILE16, faults, scripted, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const CONTEXTS_BUGS: readonly PlantedBug[] = [
  {
    name: 'read-error-end-io-in-irq',
    commit: '222f2c7c6d14',
    title: 'iomap: always run error completions in user context',
    year: 2025,
    lines: 'seed L185-189, L90-91',
    what: 'A failed async read completes inline, so a filesystem end_io that sleeps on errors (zonefs) runs in interrupt context.',
    invariant: 'CTX-01',
    inSeed: true,
    ops: () => ({ iomapDioBioEndIo: seedBioEndIo, iomapDioRwDoneWqForReads: seedDoneWqForReads }),
    scenario: scripted(
      [written(0, 8 * KiB)],
      8 * KiB,
      [[{ kind: 'dio_read', pos: 0, len: 4 * KiB, async: true }]],
      {
        readEndIo: true,
      },
    ),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'iolock-kept-on-error',
    commit: 'synthetic',
    title: 'xfs_file_dio_write keeps the IOLOCK when the write fails',
    lines: 'fs/xfs/xfs_file.c xfs_file_dio_write_aligned',
    what: 'The next writer waits forever.',
    invariant: 'PROG-01',
    quirks: { xfsKeepIolockOnError: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 0, len: 4 * KiB }],
      [{ kind: 'buffered_write', pos: 4 * KiB, len: 4 * KiB }],
    ]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'writes-complete-inline',
    commit: 'synthetic',
    title: 'writes are flagged IOMAP_DIO_INLINE_COMP',
    lines: 'seed L585, L185-189',
    what: 'An async write runs the filesystem end_io (unwritten conversion, a transaction) in interrupt context.',
    invariant: 'CTX-01',
    ops: (base) => ({
      *iomapDioIter(k, iter, dio) {
        if (dio.flags & IOMAP_DIO_WRITE) dio.flags = (dio.flags | IOMAP_DIO_INLINE_COMP) >>> 0;
        return yield* base.iomapDioIter(k, iter, dio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, async: true }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'waiter-never-woken',
    commit: 'synthetic',
    title: 'iomap_dio_bio_end_io clears submit.waiter but wakes nobody',
    lines: 'seed L174-180',
    what: 'A synchronous submitter that went to sleep is never woken: a lost wake-up.',
    invariant: 'PROG-01',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        const dio = bio.biPrivate;
        const wake = k.rt.wakeUpProcess;
        if (dio?.waitForCompletion) k.rt.wakeUpProcess = () => {};
        try {
          yield* base.iomapDioBioEndIo(k, bio);
        } finally {
          k.rt.wakeUpProcess = wake;
        }
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: NO_FAULTS,
  },
  {
    name: 'uring-write-caller-comp',
    commit: '099ada2c8726',
    title: 'io_uring/rw: add write support for IOCB_DIO_CALLER_COMP',
    year: 2023,
    lines: 'seed L195-214, L606-607; io_uring/rw.c io_write (6.6-rc1)',
    what: "The issuer sets IOCB_DIO_CALLER_COMP on every async write that is not polled, so the write's completion, inode_dio_end included, is task_work of the issuing task; that task then truncates the file and sleeps in inode_dio_wait, where it runs no task_work: i_dio_count never drops.",
    invariant: 'PROG-01',
    ops: (base) => ({
      *__iomapDioRw(k, iocb, iter, ops, dops, dioFlags, doneBefore) {
        // io_write, before call_write_iter: the flag that says this issuer completes the dio itself.
        if (iocb.kiFlags & IOCB_WRITE && !isSyncKiocb(iocb) && !(iocb.kiFlags & IOCB_HIPRI))
          iocb.kiFlags |= IOCB_DIO_CALLER_COMP;
        return yield* base.__iomapDioRw(k, iocb, iter, ops, dops, dioFlags, doneBefore);
      },
    }),
    // A pure overwrite keeps IOMAP_DIO_CALLER_COMP (seed L343-346); the same task truncates next.
    scenario: xfs(FILE16, 16 * KiB, [
      [
        { kind: 'dio_write', pos: 0, len: 4 * KiB, async: true },
        { kind: 'truncate', size: 8 * KiB },
      ],
    ]),
    faults: NO_FAULTS,
  },
];
