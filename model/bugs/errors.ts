/**
 * Planted bugs of the errors (ERR) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { BLK_STS_MEDIUM } from '../block/bio.ts';
import { EIO, EIOCBQUEUED } from '../kernel/flags.ts';
import { KiB } from '../world/extents.ts';

import { afterIomapDioRw, FILE16, faults, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const ERRORS_BUGS: readonly PlantedBug[] = [
  {
    name: 'set-error-plain-store',
    commit: 'synthetic',
    title: 'iomap_dio_set_error stores instead of cmpxchg',
    lines: 'seed L154-157',
    what: 'A later error overwrites the first one.',
    invariant: 'ERR-01',
    ops: () => ({
      // biome-ignore lint/correctness/useYield: a plain store has no interleaving point.
      *iomapDioSetError(k, dio, ret) {
        k.rt.heap.use(dio, 156);
        dio.error = ret;
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 8 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'medium-errors-ignored',
    commit: 'synthetic',
    title: 'iomap_dio_bio_end_io treats BLK_STS_MEDIUM as success',
    lines: 'seed L165-166',
    what: 'A medium error on a bio is never recorded, and the read reports success over garbage.',
    invariant: 'ERR-02',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        if (bio.biStatus === BLK_STS_MEDIUM) bio.biStatus = 0;
        yield* base.iomapDioBioEndIo(k, bio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'errors-reported-as-eio',
    commit: 'synthetic',
    title: 'every error reaches the caller as -EIO',
    lines: 'seed L88, L752',
    what: 'The caller sees -EIO instead of the first error (ENOSPC, ETIMEDOUT, ENODATA).',
    invariant: 'ERR-03',
    ops: afterIomapDioRw((ret) => {
      return ret < 0 && ret !== -EIOCBQUEUED ? -EIO : ret;
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'write-errors-ignored',
    commit: 'synthetic',
    title: 'iomap_dio_bio_end_io ignores the status of write bios',
    lines: 'seed L165-166',
    what: 'A failed write reports success.',
    invariant: 'ERR-02',
    ops: (base) => ({
      *iomapDioBioEndIo(k, bio) {
        if (bio.op === 1) bio.biStatus = 0;
        yield* base.iomapDioBioEndIo(k, bio);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'end-io-rewrites-errors',
    commit: 'synthetic',
    title: 'the filesystem end_io reports every error as -EIO',
    lines: 'seed L90-91; fs/xfs/xfs_file.c xfs_dio_write_end_io',
    what: 'The caller sees -EIO instead of the first error.',
    invariant: 'ERR-03',
    quirks: { xfsEndIoRewritesError: true },
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'set-error-clears-first',
    commit: 'synthetic',
    title: 'iomap_dio_set_error clears dio->error before storing',
    lines: 'seed L154-157',
    what: 'A later error replaces the first one, going through 0.',
    invariant: 'ERR-01',
    ops: () => ({
      // biome-ignore lint/correctness/useYield: two plain stores, no interleaving point.
      *iomapDioSetError(k, dio, ret) {
        k.rt.heap.use(dio, 156);
        dio.error = 0;
        dio.error = ret;
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_write', pos: 0, len: 8 * KiB }]]),
    faults: faults({ bioErrors: true }),
  },
];
