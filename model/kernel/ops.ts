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
  iomapDioBioOpflags,
  iomapDioSubmitBio,
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
  iomapDioRwReadPastEof,
  iomapDioRwWaits,
} from './iomapDioRw.ts';
import {
  iomapDioBioEndIo as iomapDioBioEndIo612,
  iomapDioRwDoneWqForReads as doneWqForReads612,
} from './v6_12.ts';

export const SEED_OPS: Readonly<KernelOps> = Object.freeze({
  iomapDioAllocBio,
  iomapDioSubmitBio,
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
  iomapDioBioIterZeroTailAfterShortGet,
  iomapDioHoleIter,
  iomapDioInlineIter,
  iomapDioIter,
  __iomapDioRw,
  iomapDioRwWaits,
  iomapDioRwDoneWqForReads,
  iomapDioRwReadPastEof,
  iomapDioRwNeedsDoneWq,
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
   * completes inline from the bio's interrupt (6.12 L185-191). Carried with its follow-up
   * 7fd8720dff2d (s_dio_done_wq for async reads too, 6.12 L681-686), without which a failed async
   * read is queued on no workqueue (the planted bug read-errors-complete-in-workqueue).
   */
  '222f2c7c6d14': { iomapDioBioEndIo: iomapDioBioEndIo612, iomapDioRwDoneWqForReads: doneWqForReads612 },
} as const satisfies Record<string, Partial<KernelOps>>;

export type FixId = keyof typeof UPSTREAM_FIXES;

/** The seed with the named upstream fixes applied. */
export function withFixes(
  fixes: readonly FixId[],
  base: Readonly<KernelOps> = SEED_OPS,
): Readonly<KernelOps> {
  return Object.freeze(Object.assign({}, base, ...fixes.map((f) => UPSTREAM_FIXES[f])));
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
} as const satisfies Record<string, Partial<KernelOps>>;

/** The seed with every known upstream fix and candidate fix: "the correct model" of the campaign. */
export const FIXED_OPS: Readonly<KernelOps> = Object.freeze(
  Object.assign({}, withFixes(Object.keys(UPSTREAM_FIXES) as FixId[]), ...Object.values(CANDIDATE_FIXES)),
);

/**
 * The kernel-version setting: the model runs as the seed revision (4b132aac) or as Linux 6.12
 * (Debian's 6.12.117, the kernel the real-kernel oracle runs). 6.12 is the seed with the two
 * upstream fixes above; every other difference between the two files is behaviour-neutral for
 * what the model covers (spec/kernel-versions.md, which cites both sides line by line).
 */
export const KERNEL_VERSIONS = {
  seed: SEED_OPS,
  '6.12': withFixes(['4ad357e39b2e', '222f2c7c6d14']),
} as const satisfies Record<string, Readonly<KernelOps>>;

export type KernelVersion = keyof typeof KERNEL_VERSIONS;
