/**
 * Planted bugs of the workqueue and polling (WQ, POLL) family of invariants (spec/invariants.md); the catalogue
 * (model/bugs/catalogue.ts) lists every family's in turn.
 */
import { IOMAP_DIO_CALLER_COMP } from '../kernel/flags.ts';
import { iomapDioRwDoneWqForReads as seedDoneWqForReads } from '../kernel/iomapDioRw.ts';
import { NO_FAULTS } from '../runtime/faults.ts';
import { KiB } from '../world/extents.ts';

import { FILE16, faults, xfs } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const WORKQUEUE_BUGS: readonly PlantedBug[] = [
  {
    name: 'read-errors-complete-in-workqueue',
    commit: '7fd8720dff2d',
    title: 'iomap: allocate s_dio_done_wq for async reads as well (the bug it fixed)',
    year: 2025,
    lines: 'seed L649-653 (6.12.117 L185-191, L681-686)',
    what: 'With 222f2c7c6d14 a failed async read no longer completes inline, but s_dio_done_wq is only created for async writes, so it queues work on no workqueue.',
    invariant: 'WQ-01',
    // 222f2c7c6d14 (in the correct model) without its follow-up: the workqueue for writes only.
    ops: () => ({ iomapDioRwDoneWqForReads: seedDoneWqForReads }),
    scenario: xfs(FILE16, 16 * KiB, [[{ kind: 'dio_read', pos: 0, len: 4 * KiB, async: true }]]),
    faults: faults({ bioErrors: true }),
  },
  {
    name: 'caller-comp-skips-workqueue',
    commit: 'synthetic',
    title:
      '__iomap_dio_rw creates no s_dio_done_wq for a write whose issuer completes it (IOCB_DIO_CALLER_COMP)',
    lines: 'seed L343-346, L606-607, L649-653',
    what: 'A caller-completed async write into an unwritten extent loses IOMAP_DIO_CALLER_COMP to its zeroing, and its completion is queued on a workqueue that was never created.',
    invariant: 'WQ-01',
    ops: () => ({
      iomapDioRwNeedsDoneWq(_k, dio, waitForCompletion) {
        // L649 trusts the flag set at L606-607, which L343-346 may still clear.
        return !waitForCompletion && !(dio.flags & IOMAP_DIO_CALLER_COMP);
      },
    }),
    scenario: xfs(FILE16, 16 * KiB, [
      [{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, async: true, iocbFlags: ['caller_comp'] }],
    ]),
    faults: NO_FAULTS,
  },
];
