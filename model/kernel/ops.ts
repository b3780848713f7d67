/**
 * The table of seed functions: the correct model. Planted bugs are copies of this table with one
 * entry replaced (model/bugs), so the correct code carries no bug switches.
 */
import type { KernelOps } from './kernel.ts';
import {
  iomapDioAllocBio,
  iomapDioBioIter,
  iomapDioBioIterPureOverwrite,
  iomapDioBioIterUnwind,
  iomapDioBioIterUnwindFixed,
  iomapDioBioIterZeroHead,
  iomapDioBioIterZeroHeadAtStart,
  iomapDioBioIterZeroTailAfterShortGet,
  iomapDioBioIterZeroHeadPad,
  iomapDioBioIterZeroTailPad,
  iomapDioBioOpflags,
  iomapDioSubmitBio,
  iomapDioSubmitBioMarkPolled,
  iomapDioZero,
  iomapDioZeroNoPoll,
} from './iomapDioBio.ts';
import {
  iomapDioBioEndIo,
  iomapDioComplete,
  iomapDioCompleteWork,
  iomapDioDeferredComplete,
  iomapDioSetError,
} from './iomapDioComplete.ts';
import { iomapDioHoleIter, iomapDioInlineIter, iomapDioIter } from './iomapDioIter.ts';
import {
  __iomapDioRw,
  iomapDioRw,
  iomapDioRwDoneWqForReads,
  iomapDioRwFallsBack,
  iomapDioRwNeedsDoneWq,
  iomapDioRwPartialStops,
  iomapDioRwPartialStopsOnEagain,
  iomapDioRwPartialWaits,
  iomapDioRwReadPastEof,
  iomapDioRwWaits,
} from './iomapDioRw.ts';
import { type ReleaseName, releaseNamed } from './releases.ts';
import type { WorldQuirks } from '../world/quirks.ts';
import {
  iomapDioBioEndIo as iomapDioBioEndIo612,
  iomapDioBioIterZeroHeadPad612,
  iomapDioBioIterZeroHeadPad6118,
  iomapDioBioIterZeroTailPad612,
  iomapDioRwDoneWqForReads as doneWqForReads612,
  iomapDioSubmitBioMarkPolled6111,
  iomapDioZero612,
  iomapDioZero6118,
} from './v6_12.ts';

/**
 * An ops table in the one shape every table of the model has: an object literal of the entries in
 * one order, frozen (with the release world's quirks last, when the table has them). Tables made
 * by Object.assign({}, ...) over the 29 entries were dictionaries (V8's %HasFastProperties false:
 * FIXED_OPS, the campaign's, and every release's), so each `k.ops.f(...)` of a run looked `f` up
 * in a hash table, which TurboFan cannot fold into a known call; a literal has fast properties,
 * and every table the same hidden class. Throws on an entry it does not know (a new one belongs
 * here).
 */
export function opsTable(o: Readonly<KernelOps>): Readonly<KernelOps> {
  const t: KernelOps = {
    iomapDioAllocBio: o.iomapDioAllocBio,
    iomapDioSubmitBio: o.iomapDioSubmitBio,
    iomapDioSubmitBioMarkPolled: o.iomapDioSubmitBioMarkPolled,
    iomapDioComplete: o.iomapDioComplete,
    iomapDioDeferredComplete: o.iomapDioDeferredComplete,
    iomapDioCompleteWork: o.iomapDioCompleteWork,
    iomapDioSetError: o.iomapDioSetError,
    iomapDioBioEndIo: o.iomapDioBioEndIo,
    iomapDioZero: o.iomapDioZero,
    iomapDioBioOpflags: o.iomapDioBioOpflags,
    iomapDioBioIter: o.iomapDioBioIter,
    iomapDioBioIterPureOverwrite: o.iomapDioBioIterPureOverwrite,
    iomapDioBioIterUnwind: o.iomapDioBioIterUnwind,
    iomapDioBioIterZeroHead: o.iomapDioBioIterZeroHead,
    iomapDioBioIterZeroHeadPad: o.iomapDioBioIterZeroHeadPad,
    iomapDioBioIterZeroTailPad: o.iomapDioBioIterZeroTailPad,
    iomapDioBioIterZeroTailAfterShortGet: o.iomapDioBioIterZeroTailAfterShortGet,
    iomapDioHoleIter: o.iomapDioHoleIter,
    iomapDioInlineIter: o.iomapDioInlineIter,
    iomapDioIter: o.iomapDioIter,
    __iomapDioRw: o.__iomapDioRw,
    iomapDioRwWaits: o.iomapDioRwWaits,
    iomapDioRwDoneWqForReads: o.iomapDioRwDoneWqForReads,
    iomapDioRwReadPastEof: o.iomapDioRwReadPastEof,
    iomapDioRwNeedsDoneWq: o.iomapDioRwNeedsDoneWq,
    iomapDioRwPartialStops: o.iomapDioRwPartialStops,
    iomapDioRwPartialWaits: o.iomapDioRwPartialWaits,
    iomapDioRwFallsBack: o.iomapDioRwFallsBack,
    iomapDioRw: o.iomapDioRw,
  };
  for (const key of Object.keys(o))
    if (!(key in t) && key !== 'releaseWorld') throw new Error(`opsTable: unknown ops entry '${key}'`);
  // Added to the literal, not spread into a copy: every release table takes the same transition.
  if (o.releaseWorld !== undefined) (t as { releaseWorld?: WorldQuirks }).releaseWorld = o.releaseWorld;
  return Object.freeze(t);
}

export const SEED_OPS: Readonly<KernelOps> = opsTable({
  iomapDioAllocBio,
  iomapDioSubmitBio,
  iomapDioSubmitBioMarkPolled,
  iomapDioComplete,
  iomapDioDeferredComplete,
  iomapDioCompleteWork,
  iomapDioSetError,
  iomapDioBioEndIo,
  iomapDioZero,
  iomapDioBioOpflags,
  iomapDioBioIter,
  iomapDioBioIterPureOverwrite,
  iomapDioBioIterUnwind,
  iomapDioBioIterZeroHead,
  iomapDioBioIterZeroHeadPad,
  iomapDioBioIterZeroTailPad,
  iomapDioBioIterZeroTailAfterShortGet,
  iomapDioHoleIter,
  iomapDioInlineIter,
  iomapDioIter,
  __iomapDioRw,
  iomapDioRwWaits,
  iomapDioRwDoneWqForReads,
  iomapDioRwReadPastEof,
  iomapDioRwNeedsDoneWq,
  iomapDioRwPartialStops,
  iomapDioRwPartialWaits,
  iomapDioRwFallsBack,
  iomapDioRw,
});

/**
 * Upstream fixes of bugs present in the seed revision, each a replacement of one entry. The
 * faithful model (SEED_OPS) has the bugs and the suite must find them; with these it must not.
 */
export const UPSTREAM_FIXES = {
  /** 4ad357e39b2e iomap: fix submission side handling of completion side errors (2026). */
  '4ad357e39b2e': { iomapDioBioIterUnwind: iomapDioBioIterUnwindFixed },
  /**
   * 222f2c7c6d14 iomap: always run error completions in user context (2025): a failed dio never
   * completes inline from the bio's interrupt (6.12.117 L185-191). Carried with its follow-up
   * 7fd8720dff2d (s_dio_done_wq for async reads too, 6.12.117 L681-686), without which a failed async
   * read is queued on no workqueue (the planted bug read-errors-complete-in-workqueue).
   */
  '222f2c7c6d14': { iomapDioBioEndIo: iomapDioBioEndIo612, iomapDioRwDoneWqForReads: doneWqForReads612 },
  /**
   * 47f28b493daf iomap: don't make REQ_POLLED imply REQ_NOWAIT (2026; 6.12.111 L79-82): a polled
   * bio gets REQ_POLLED alone, so no bio of a NOWAIT request can end with BLK_STS_AGAIN after the
   * request submitted it (ARG-02); the seed's bio_set_polled also set REQ_NOWAIT.
   */
  '47f28b493daf': { iomapDioSubmitBioMarkPolled: iomapDioSubmitBioMarkPolled6111 },
} as const satisfies Record<string, Partial<KernelOps>>;

export type FixId = keyof typeof UPSTREAM_FIXES;

/** The seed with the named upstream fixes applied. */
export function withFixes(
  fixes: readonly FixId[],
  base: Readonly<KernelOps> = SEED_OPS,
): Readonly<KernelOps> {
  return opsTable(Object.assign({}, base, ...fixes.map((f) => UPSTREAM_FIXES[f])));
}

/**
 * Fixes this model proposes for behaviour of the seed that breaks an invariant and that no
 * upstream commit is known to address yet: candidate findings, to be confirmed on a real kernel.
 */
export const CANDIDATE_FIXES = {
  /**
   * iomap_dio_zero() submits through iomap_dio_submit_bio() with IOCB_HIPRI still set, so a
   * sub-block write at EOF polls both its data bio and its tail-zeroing bio (seed L250, L72-75,
   * L428-435), although only single-bio I/O may be polled (L413-417); with IOMAP_DIO_FORCE_WAIT
   * the submitter then sleeps on polled bios. Candidate fix: a zeroing bio is never polled.
   */
  'zero-bio-not-polled': { iomapDioZero: iomapDioZeroNoPoll },
  /**
   * After a short bio_iov_iter_get_pages under IOMAP_DIO_PARTIAL, the next iteration of the same
   * mapping starts mid-block and zeroes the block head (seed L356-361) over data the previous
   * iteration submitted and the dio reports as written. Candidate fix: zero the head only where
   * the request starts.
   */
  'head-zero-only-at-start': { iomapDioBioIterZeroHead: iomapDioBioIterZeroHeadAtStart },
  /**
   * A NOWAIT IOMAP_DIO_PARTIAL request whose mapping after a short iteration answers -EAGAIN returns
   * -EAGAIN (seed L678, L689-690) though its first bios wrote: btrfs refuses the rest when it finds
   * the ordered extent its own ->iomap_end just finished (6.12.117 fs/btrfs/direct-io.c L85-89).
   * Candidate fix: end it with the bytes it moved, as after a fault.
   */
  'nowait-partial-eagain-returns-count': { iomapDioRwPartialStops: iomapDioRwPartialStopsOnEagain },
} as const satisfies Record<string, Partial<KernelOps>>;

/** The seed with every known upstream fix and candidate fix: "the correct model" of the campaign. */
export const FIXED_OPS: Readonly<KernelOps> = opsTable(
  Object.assign({}, withFixes(Object.keys(UPSTREAM_FIXES) as FixId[]), ...Object.values(CANDIDATE_FIXES)),
);

/**
 * The steps of the 6.12 stable series in fs/iomap/direct-io.c, each a set of replaced entries
 * that are not upstream fixes of seed bugs (model/kernel/v6_12.ts; spec/kernel-versions.md accounts
 * for every hunk of every release).
 */
export const RELEASE_STEPS = {
  /**
   * 6.12.107 L30-35, 6.12.107 L253-277, 6.12.107 L382-389, 6.12.107 L460-467 and 6.12.107 L790-800:
   * iomap_dio_zero writes from a 64 KiB zero page and returns an errno, which the head zeroing
   * checks and the tail zeroing assigns.
   */
  'zero-page-64k': {
    iomapDioZero: iomapDioZero612,
    iomapDioBioIterZeroHeadPad: iomapDioBioIterZeroHeadPad612,
    iomapDioBioIterZeroTailPad: iomapDioBioIterZeroTailPad612,
  },
  /** 6.12.118 L253-276, 6.12.118 L381-385, 6.12.118 L456-463: iomap_dio_zero returns nothing again. */
  'zero-returns-void': {
    iomapDioZero: iomapDioZero6118,
    iomapDioBioIterZeroHeadPad: iomapDioBioIterZeroHeadPad6118,
    iomapDioBioIterZeroTailPad: iomapDioBioIterZeroTailPad,
  },
} as const satisfies Record<string, Partial<KernelOps>>;

type ReleaseStep = keyof typeof RELEASE_STEPS;

/** What each release is made of: the upstream fixes it carries and the steps of the series it has. */
export const RELEASE_CONTENT = {
  '6.12.107': { fixes: ['4ad357e39b2e', '222f2c7c6d14'], steps: ['zero-page-64k'] },
  '6.12.111': { fixes: ['4ad357e39b2e', '222f2c7c6d14', '47f28b493daf'], steps: ['zero-page-64k'] },
  '6.12.113': { fixes: ['4ad357e39b2e', '222f2c7c6d14', '47f28b493daf'], steps: ['zero-page-64k'] },
  '6.12.115': { fixes: ['4ad357e39b2e', '222f2c7c6d14', '47f28b493daf'], steps: ['zero-page-64k'] },
  '6.12.117': { fixes: ['4ad357e39b2e', '222f2c7c6d14', '47f28b493daf'], steps: ['zero-page-64k'] },
  '6.12.118': {
    fixes: ['4ad357e39b2e', '222f2c7c6d14', '47f28b493daf'],
    steps: ['zero-page-64k', 'zero-returns-void'],
  },
} as const satisfies Record<ReleaseName, { fixes: readonly FixId[]; steps: readonly ReleaseStep[] }>;

/**
 * The filesystem code of the 6.12 releases where it is not the correct world's, as world quirks
 * (model/world/quirks.ts): ext4 noticing an aborted journal only when a handle starts (confirmed
 * on all six releases, spec/oracle-confirmations.md), truncating a failed extending write
 * without waiting for direct I/O in flight, and an unaligned write ending at EOF run as a pure
 * overwrite though it zeroes past EOF (spec/ext4.md), where the correct model takes candidate
 * fixes; and 6.12.107's buffered write without the inode_dio_wait 6.12.111 added. The seed setting
 * is an iomap revision and runs the correct world around it.
 */
const EXT4_6_12: WorldQuirks = {
  ext4MissesJournalAbort: true,
  ext4FailedWriteNoDioWait: true,
  ext4UnalignedEofOverwriteShared: true,
  // XFS 6.12 too: the EOF gap of a write past EOF is zeroed in the page cache only (spec/fs.md F1, F3).
  xfsEofGapCachedOnly: true,
  // And btrfs's and gfs2's loops around iomap_dio_rw, the same in all six releases (fs/btrfs/direct-io.c:
  // btrfs_direct_write at 6.12.117 L991-1034, btrfs_direct_read at 6.12.117 L1127-1147; fs/gfs2/file.c
  // at 6.12.117 L851-862; spec/fs.md, the scripted filesystem as a whole filesystem): a NOWAIT write
  // that gave up part way returns -EAGAIN, and a direct read that reached the EOF it sampled, or
  // stopped inside a logical block (gfs2), calls again.
  genericNowaitEagainAfterPartial: true,
  genericResumePastEof: true,
  genericResumeMidSector: true,
};
export const RELEASE_WORLD = {
  '6.12.107': { ...EXT4_6_12, ext4BufferedWriteNoDioWait: true },
  '6.12.111': EXT4_6_12,
  '6.12.113': EXT4_6_12,
  '6.12.115': EXT4_6_12,
  '6.12.117': EXT4_6_12,
  '6.12.118': EXT4_6_12,
} as const satisfies Record<ReleaseName, WorldQuirks>;

function release(name: ReleaseName): Readonly<KernelOps> {
  const { fixes, steps } = RELEASE_CONTENT[name];
  return opsTable(
    Object.assign({}, withFixes(fixes), ...steps.map((s) => RELEASE_STEPS[s]), {
      releaseWorld: Object.freeze({ ...RELEASE_WORLD[name] }),
    }),
  );
}

/**
 * The kernel-version setting: the model runs as the seed revision (4b132aac) or as one exact 6.12
 * stable release Debian serves (model/kernel/releases.ts), built from RELEASE_CONTENT. Releases
 * that carry the same fs/iomap/direct-io.c (6.12.111 to 6.12.117) have the same content; the
 * filesystem side is the same model in every release (spec/kernel-versions-fs.md) but for
 * RELEASE_WORLD.
 */
export const KERNEL_VERSIONS = {
  seed: SEED_OPS,
  '6.12.107': release('6.12.107'),
  '6.12.111': release('6.12.111'),
  '6.12.113': release('6.12.113'),
  '6.12.115': release('6.12.115'),
  '6.12.117': release('6.12.117'),
  '6.12.118': release('6.12.118'),
} as const satisfies Record<'seed' | ReleaseName, Readonly<KernelOps>>;

export type KernelVersion = keyof typeof KERNEL_VERSIONS;

/**
 * Whether two settings run the same model: the same setting, or two releases with the same
 * upstream fixes, the same steps of the series and the same world quirks (6.12.111 to 6.12.117).
 * A baseline recorded on one of them is a behaviour of the other, replayed through the same code.
 */
export function sameModel(a: KernelVersion | null, b: KernelVersion | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === 'seed' || b === 'seed') return false;
  const ca = RELEASE_CONTENT[a];
  const cb = RELEASE_CONTENT[b];
  const same = (x: readonly string[], y: readonly string[]) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  return same(ca.fixes, cb.fixes) && same(ca.steps, cb.steps) && RELEASE_WORLD[a] === RELEASE_WORLD[b];
}

/** An exact kernel setting for a name `--kernel` or a replay file may give: a release, `seed`, or an alias. */
export function resolveKernel(name: string): KernelVersion | undefined {
  return name === 'seed' ? 'seed' : releaseNamed(name);
}
