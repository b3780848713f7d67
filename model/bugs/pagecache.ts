/**
 * Planted bugs of the page-cache coherence (PC) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { KiB } from '../world/extents.ts';

import { FILE16, faults, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const PAGECACHE_BUGS: readonly PlantedBug[] = [
  {
    name: 'post-write-invalidation-skipped',
    commit: 'synthetic',
    title: 'kiocb_invalidate_post_direct_write does nothing',
    lines: 'seed L101-114',
    what: 'A page cached while the direct write ran keeps the old data for later buffered reads.',
    invariant: 'PC-01',
    quirks: { skipPostWriteInvalidation: true },
    scenario: xfs(FILE16, 16 * KiB, [
      [
        { kind: 'dio_write', pos: 0, len: 4 * KiB, async: true },
        { kind: 'buffered_read', pos: 0, len: 4 * KiB },
      ],
      [{ kind: 'buffered_read', pos: 0, len: 4 * KiB }],
    ]),
    faults: faults({ interleave: true, reorder: true }),
  },
  {
    name: 'invalidation-failure-ignored',
    commit: '60263d5889e6',
    title: 'iomap: fall back to buffered writes for invalidation failures (the bug it fixed)',
    year: 2020,
    lines: 'seed L634-647',
    what: 'A direct write goes ahead although a cached page of its range could not be dropped, so buffered reads keep seeing the old page.',
    invariant: 'PC-01',
    quirks: { ignoreInvalidationFailure: true },
    scenario: {
      ...xfs(FILE16, 16 * KiB, [
        [
          { kind: 'dio_write', pos: 0, len: 4 * KiB },
          { kind: 'buffered_read', pos: 0, len: 4 * KiB },
        ],
      ]),
      fs: {
        model: 'xfs',
        blockSize: 4096,
        iSize: 16 * KiB,
        extents: FILE16,
        pageCache: [{ index: 0, dirty: false }],
      },
    },
    faults: faults({ invalidateFailures: true }),
  },
];
