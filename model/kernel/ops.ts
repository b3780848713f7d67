/**
 * The table of seed functions: the correct model. Planted bugs are copies of this table with one
 * entry replaced (model/bugs), so the correct code carries no bug switches.
 */
import type { KernelOps } from './kernel.ts';
import {
  iomapDioAllocBio,
  iomapDioBioIter,
  iomapDioBioIterUnwind,
  iomapDioBioIterUnwindFixed,
  iomapDioBioOpflags,
  iomapDioSubmitBio,
  iomapDioZero,
} from './iomapDioBio.ts';
import {
  iomapDioBioEndIo,
  iomapDioComplete,
  iomapDioCompleteWork,
  iomapDioDeferredComplete,
  iomapDioSetError,
} from './iomapDioComplete.ts';
import { iomapDioHoleIter, iomapDioInlineIter, iomapDioIter } from './iomapDioIter.ts';
import { __iomapDioRw, iomapDioRw } from './iomapDioRw.ts';

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
  iomapDioBioIterUnwind,
  iomapDioHoleIter,
  iomapDioInlineIter,
  iomapDioIter,
  __iomapDioRw,
  iomapDioRw,
});

/**
 * Upstream fixes of bugs present in the seed revision, each a replacement of one entry. The
 * faithful model (SEED_OPS) has the bugs and the suite must find them; with these it must not.
 */
export const UPSTREAM_FIXES = {
  /** 4ad357e39b2e iomap: fix submission side handling of completion side errors (2026). */
  '4ad357e39b2e': { iomapDioBioIterUnwind: iomapDioBioIterUnwindFixed },
} as const satisfies Record<string, Partial<KernelOps>>;

export type FixId = keyof typeof UPSTREAM_FIXES;

/** The seed with the named upstream fixes applied. */
export function withFixes(
  fixes: readonly FixId[],
  base: Readonly<KernelOps> = SEED_OPS,
): Readonly<KernelOps> {
  return Object.freeze(Object.assign({}, base, ...fixes.map((f) => UPSTREAM_FIXES[f])));
}

/** The seed with every known upstream fix: what "the correct model" means for the campaign. */
export const FIXED_OPS: Readonly<KernelOps> = withFixes(Object.keys(UPSTREAM_FIXES) as FixId[]);
