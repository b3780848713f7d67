/**
 * The block device as the seed sees it: its queue limits (bdev_logical_block_size,
 * bdev_dma_alignment, bdev_fua, bdev_write_cache) and submit_bio. The disk behind it (model/block/
 * disk.ts) decides when and how each bio completes.
 */
import type { KGen } from '../runtime/context.ts';
import type { Bio } from './bio.ts';

export interface BlockDeviceLimits {
  /** Logical block size in bytes (512 or 4096). */
  readonly logicalBlockSize: number;
  /** dma_alignment mask: user buffer addresses must have these bits clear (511 by default). */
  readonly dmaAlignment: number;
  /** Does the device advertise native FUA? */
  readonly fua: boolean;
  /** Does the device have a volatile write cache? */
  readonly writeCache: boolean;
}

export interface BlockDevice extends BlockDeviceLimits {
  /**
   * submit_bio(): hand the bio to the device; it completes later, from the device context, unless
   * it fails inside submit_bio, when its bi_end_io runs in the submitter before this returns. For
   * bios whose bi_end_io never yields (log, flush, writeback).
   */
  submitBio(bio: Bio): void;
  /** submit_bio() for the dio path: as submitBio, with the failing bio's end_io yielding as it runs. */
  submitBioGen(bio: Bio): KGen;
}

export function bdevLogicalBlockSize(bdev: BlockDeviceLimits): number {
  return bdev.logicalBlockSize;
}

export function bdevFua(bdev: BlockDeviceLimits): boolean {
  return bdev.fua;
}

export function bdevWriteCache(bdev: BlockDeviceLimits): boolean {
  return bdev.writeCache;
}

export function bdevDmaAlignment(bdev: BlockDeviceLimits): number {
  return bdev.dmaAlignment;
}
