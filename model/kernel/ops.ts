/**
 * The table of seed functions: the correct model. Planted bugs are copies of this table with one
 * entry replaced (model/bugs), so the correct code carries no bug switches.
 */
import type { KernelOps } from './kernel.ts';
import {
  iomapDioAllocBio,
  iomapDioBioIter,
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
  iomapDioHoleIter,
  iomapDioInlineIter,
  iomapDioIter,
  __iomapDioRw,
  iomapDioRw,
});
