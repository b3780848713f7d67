/**
 * struct bio, just enough for the seed: operation and flags, sector and size, status, the end_io
 * callback and its private pointer, the pages it holds (a range of one UserBuffer, or ZERO_PAGE),
 * and the pin bookkeeping of bio_release_pages / bio_check_pages_dirty (block/bio.c, Linux 6.12).
 *
 * Scope: one bio_vec range per bio (the buffers are contiguous); bi_status is a BLK_STS code and
 * blk_status_to_errno maps it as block/blk-core.c does for the codes modelled.
 */
import type { IomapDio } from '../kernel/iomapDio.ts';
import type { UserBuffer } from '../mm/userBuffer.ts';
import type { KGen } from '../runtime/context.ts';
import { KObject } from '../runtime/heap.ts';
import type { BlockDevice } from './blockDevice.ts';

/** blk_opf_t: the operation in the low bits, flags above (include/linux/blk_types.h). */
export const REQ_OP_READ = 0;
export const REQ_OP_WRITE = 1;
export const REQ_OP_FLUSH = 2;
export const REQ_OP_MASK = 0xff;
export const REQ_SYNC = 1 << 11;
export const REQ_FUA = 1 << 17;
export const REQ_PREFLUSH = 1 << 18;
export const REQ_IDLE = 1 << 15;
/** Don't wait if the request would block: such a bio may end with BLK_STS_AGAIN instead. */
export const REQ_NOWAIT = 1 << 21;
export const REQ_POLLED = 1 << 22;

/** blk_status_t codes modelled, and their errnos (blk-core.c blk_errors[]). */
export const BLK_STS_OK = 0;
export const BLK_STS_NOSPC = 3;
export const BLK_STS_TIMEOUT = 6;
export const BLK_STS_IOERR = 10;
export const BLK_STS_MEDIUM = 7;
/** blk_types.h: returned only for a REQ_NOWAIT bio that would have to wait (6.12.117 blk_types.h L114-117). */
export const BLK_STS_AGAIN = 12;

/** The errors a device may complete a bio with, in choice order after option 0 (success). */
export const BIO_ERROR_STATUSES = [BLK_STS_IOERR, BLK_STS_NOSPC, BLK_STS_TIMEOUT, BLK_STS_MEDIUM] as const;

export function blkStatusToErrno(status: number): number {
  switch (status) {
    case BLK_STS_OK:
      return 0;
    case BLK_STS_NOSPC:
      return -28;
    case BLK_STS_TIMEOUT:
      return -110;
    case BLK_STS_MEDIUM:
      return -61;
    case BLK_STS_AGAIN:
      return -11;
    default:
      return -5;
  }
}

export type BioEndIo = (bio: Bio) => KGen;

export class Bio extends KObject {
  readonly kind = 'bio';
  biIterSector = 0;
  /** bi_iter.bi_size in bytes. */
  biSize = 0;
  biStatus = BLK_STS_OK;
  biPrivate: IomapDio | null = null;
  biEndIo: BioEndIo | null = null;
  biIoprio = 0;
  biWriteHint = 0;
  /** Data pages: a range of a user buffer, or null for ZERO_PAGE (iomap_dio_zero). */
  buf: UserBuffer | null = null;
  bufOffset = 0;
  /** BIO_PAGE_PINNED: pages were pinned from user memory and must be unpinned once. */
  pagePinned = false;
  pinnedFirstPage = 0;
  pinnedPageCount = 0;
  pagesReleased = false;
  /** Serial number among the run's bios: bio1, bio2, ... in traces. */
  serial = 0;
  /** Has the device completed it (bio_endio called)? */
  ended = false;

  constructor(
    readonly bdev: BlockDevice,
    readonly nrVecs: number,
    public biOpf: number,
  ) {
    super();
  }

  get op(): number {
    return this.biOpf & REQ_OP_MASK;
  }
}

export function formatOpf(opf: number): string {
  const op = opf & REQ_OP_MASK;
  const parts = [op === REQ_OP_READ ? 'READ' : op === REQ_OP_WRITE ? 'WRITE' : 'FLUSH'];
  if (opf & REQ_SYNC) parts.push('SYNC');
  if (opf & REQ_IDLE) parts.push('IDLE');
  if (opf & REQ_FUA) parts.push('FUA');
  if (opf & REQ_PREFLUSH) parts.push('PREFLUSH');
  if (opf & REQ_NOWAIT) parts.push('NOWAIT');
  if (opf & REQ_POLLED) parts.push('POLLED');
  return parts.join('|');
}
