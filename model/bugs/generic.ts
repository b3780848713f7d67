/**
 * Planted bugs of the caller around iomap_dio_rw of the scripted filesystem as a whole filesystem
 * (model/fs/genericCaller.ts): its buffered fallback and its IOMAP_DIO_PARTIAL resume loop, after
 * btrfs_direct_write (6.12.117 fs/btrfs/direct-io.c L948-1058). Each is a world quirk of that caller,
 * caught only because the invariants judge these runs on their data and their counts.
 */
import { KiB, written } from '../world/extents.ts';
import { faults, scripted } from './builders.ts';
import type { PlantedBug } from './catalogue.ts';

export const GENERIC_BUGS: readonly PlantedBug[] = [
  {
    name: 'generic-fallback-at-request-start',
    commit: 'synthetic',
    title:
      'The buffered fallback after a direct write that stopped part way writes the rest at the request start',
    lines: '6.12.117 fs/btrfs/direct-io.c L1036-1056 (btrfs_direct_write); seed L684-688',
    what: 'The bytes the page cache writes land over the ones the direct part wrote, one offset too early, and the file no longer holds what the write returned.',
    invariant: 'SYS-03',
    quirks: { genericFallbackAtRequestStart: true },
    scenario: scripted(
      [written(0, 4 * KiB), written(4 * KiB, 12 * KiB)],
      16 * KiB,
      [[{ kind: 'dio_write', pos: 0, len: 8 * KiB }]],
      { generic: true, notblkFrom: 4 * KiB },
    ),
    faults: faults({}),
  },
  {
    name: 'generic-resume-loses-done-before',
    commit: 'synthetic',
    title: 'The IOMAP_DIO_PARTIAL resume loop calls iomap_dio_rw again with done_before 0',
    lines: '6.12.117 fs/btrfs/direct-io.c L966, L987-989 (btrfs_direct_write); seed L118-129',
    what: 'A write resumed after a page fault reports only the bytes of its last call, while ki_pos and the file hold them all.',
    invariant: 'RES-02',
    quirks: { genericResumeLosesDoneBefore: true },
    scenario: scripted(
      [written(0, 16 * KiB)],
      16 * KiB,
      [[{ kind: 'dio_write', pos: 0, len: 12 * KiB, dioFlags: ['partial'] }]],
      { generic: true },
    ),
    faults: faults({ pageFaults: true }),
  },
];
