/**
 * The bio half of fs/iomap/direct-io.c: iomap_dio_alloc_bio (seed L55-62), iomap_dio_submit_bio
 * (L64-81), iomap_dio_zero (L235-251), iomap_dio_bio_opflags (L253-273) and iomap_dio_bio_iter
 * (L275-442).
 *
 * Abstractions: fscrypt contexts (L243, L380), write hints and I/O priority (L383-384) are carried
 * but have no effect; task_io_account_write (L402) is not modelled; blk_plug is not modelled, so a
 * bio may complete as soon as it is submitted (a superset of the kernel's orders).
 * Faults reach this code through bio_iov_iter_get_pages (a short bio or -EFAULT) and through the
 * completions of bios already submitted, which may set dio->error while the loop still runs.
 */
import {
  bioAlloc,
  bioIovIterGetPages,
  bioIovVecsToAlloc,
  bioPut,
  bioSetPagesDirty,
  bioSetPolled,
} from '../block/bioOps.ts';
import { type Bio, REQ_FUA, REQ_IDLE, REQ_OP_READ, REQ_OP_WRITE, REQ_SYNC } from '../block/bio.ts';
import {
  bdevDmaAlignment,
  bdevFua,
  bdevLogicalBlockSize,
  bdevWriteCache,
  type BlockDevice,
} from '../block/blockDevice.ts';
import { type Iomap, type IomapIter, iomapLength, iomapSector } from '../fs/iomap.ts';
import { iBlocksize, iSizeRead, isSyncKiocb, type Kiocb } from '../fs/vfs.ts';
import {
  type IovIter,
  iovIterCount,
  iovIterIsAligned,
  iovIterReexpand,
  iovIterRevert,
  iovIterTruncate,
} from '../mm/iovIter.ts';
import { atomicInc, barrier } from '../runtime/atomics.ts';
import type { KGen } from '../runtime/context.ts';
import { BoundHit, modelAssert } from '../runtime/violation.ts';
import { after, returnNow } from '../runtime/yieldPoint.ts';
import {
  EINVAL,
  IOCB_HIPRI,
  IOMAP_DIO_CALLER_COMP,
  IOMAP_DIO_COW,
  IOMAP_DIO_DIRTY,
  IOMAP_DIO_INLINE_COMP,
  IOMAP_DIO_NEED_SYNC,
  IOMAP_DIO_UNWRITTEN,
  IOMAP_DIO_WRITE,
  IOMAP_DIO_WRITE_THROUGH,
  IOMAP_F_DIRTY,
  IOMAP_F_NEW,
  IOMAP_F_SHARED,
  IOMAP_MAPPED,
  IOMAP_UNWRITTEN,
} from './flags.ts';
import type { IomapDio } from './iomapDio.ts';
import type { Kernel } from './kernel.ts';

function iomapBdev(iomap: Iomap): BlockDevice {
  modelAssert(iomap.bdev !== null, 'a bio mapping without a block device');
  return iomap.bdev;
}

/** bdev_iter_is_aligned(): buffer address against dma_alignment, length against the block size. */
function bdevIterIsAligned(bdev: BlockDevice, iter: IovIter): boolean {
  return iovIterIsAligned(iter, bdevDmaAlignment(bdev), bdevLogicalBlockSize(bdev) - 1);
}

/** The iter of a dio that is still submitting; reading it after INIT_WORK clobbered it fails a model assertion. */
export function dioSubmitIter(k: Kernel, dio: IomapDio, seedLine: number): IovIter {
  k.rt.heap.use(dio, seedLine);
  modelAssert(dio.unionMember === 'submit' && dio.submitIter !== null, 'submit.iter read outside submission');
  return dio.submitIter;
}

/** iomap_dio_alloc_bio() (seed L55-62): from the filesystem's bio_set if it has one. */
export function iomapDioAllocBio(
  k: Kernel,
  iter: IomapIter,
  dio: IomapDio,
  nrVecs: number,
  opf: number,
): Bio {
  k.rt.heap.use(dio, 58);
  if (dio.dops?.bioSet) {
    k.rt.cover(59);
    return bioAlloc(k.rt, iomapBdev(iter.iomap), nrVecs, opf);
  }
  k.rt.cover(61);
  return bioAlloc(k.rt, iomapBdev(iter.iomap), nrVecs, opf);
}

/** iomap_dio_submit_bio() (seed L64-81): take a reference for the bio, poll if allowed, submit. */
export function* iomapDioSubmitBio(k: Kernel, iter: IomapIter, dio: IomapDio, bio: Bio, pos: number): KGen {
  const rt = k.rt;
  rt.heap.use(dio, 67);
  const iocb = dio.iocb;
  if (++dio.biosSubmitted > rt.bounds.biosPerDioMax)
    throw new BoundHit('biosPerDioMax', rt.bounds.biosPerDioMax);
  // Model bookkeeping, read only for the bound (which ends the run).
  rt.forget(dio, 'biosSubmitted');

  yield* atomicInc(rt, dio, 69);

  // L71-75: a synchronous dio cannot be polled reliably.
  if (iocb.kiFlags & IOCB_HIPRI && !isSyncKiocb(iocb)) {
    rt.cover(73);
    k.ops.iomapDioSubmitBioMarkPolled(k, bio, iocb);
    iocb.private = bio;
    yield* barrier();
  }

  // L77-80
  rt.heap.use(dio, 77);
  const dops = dio.dops;
  if (dops?.submitIo) {
    rt.cover(78);
    yield* dops.submitIo(iter, bio, pos);
  } else {
    rt.cover(80);
    // A bio that fails inside submit_bio runs its end_io here, in this task (BlockDevice.submitBioGen).
    yield* iomapBdev(iter.iomap).submitBioGen(bio);
    yield;
  }
}

/**
 * Seed L73 as its own entry: bio_set_polled(bio, iocb), which also sets REQ_NOWAIT for a NOWAIT
 * kiocb (6.12.107 L80 too; 6.12.111 sets REQ_POLLED alone, upstream fix 47f28b493daf: model/kernel/v6_12.ts).
 */
export function iomapDioSubmitBioMarkPolled(_k: Kernel, bio: Bio, iocb: Kiocb): void {
  bioSetPolled(bio, iocb);
}

/** iomap_dio_zero() (seed L235-251): write ZERO_PAGE over [pos, pos + len) with its own bio. */
export function* iomapDioZero(
  k: Kernel,
  iter: IomapIter,
  dio: IomapDio,
  pos: number,
  len: number,
  // biome-ignore lint/suspicious/noConfusingVoidType: one signature for the seed's void iomap_dio_zero and 6.12.107-117's int one
): KGen<number | void> {
  k.rt.heap.use(dio, 238);
  yield* iomapDioZeroBio(k, iter, dio, pos, len);
}

/**
 * The lines of iomap_dio_zero() every release shares (seed L242-250; 6.12.117 L268-275): a
 * one-page synchronous write bio of the zero page (ZERO_PAGE(0), or 6.12's 64 KiB zero_page: the
 * same bytes at the model's block sizes), submitted like any data bio.
 */
export function* iomapDioZeroBio(k: Kernel, iter: IomapIter, dio: IomapDio, pos: number, len: number): KGen {
  const bio = k.ops.iomapDioAllocBio(k, iter, dio, 1, REQ_OP_WRITE | REQ_SYNC | REQ_IDLE);
  bio.biIterSector = iomapSector(iter.iomap, pos);
  bio.biPrivate = dio;
  bio.biEndIo = k.bioEndIo;
  // L249: __bio_add_page(bio, ZERO_PAGE(0), len, 0).
  bio.buf = null;
  bio.biSize = len;
  if (k.rt.tracing) k.rt.ev(242, 'iomap_dio_zero', `pos ${pos} len ${len}`);
  yield* k.ops.iomapDioSubmitBio(k, iter, dio, bio, pos);
}

/**
 * iomap_dio_bio_opflags() (seed L253-273): REQ_OP_READ for reads; for writes SYNC|IDLE, plus FUA
 * when chosen, and any write without FUA clears WRITE_THROUGH, so a cache flush will follow.
 */
export function iomapDioBioOpflags(k: Kernel, dio: IomapDio, _iomap: Iomap, useFua: boolean): number {
  let opflags = REQ_SYNC | REQ_IDLE;
  k.rt.heap.use(dio, 263);
  if (!(dio.flags & IOMAP_DIO_WRITE)) {
    k.rt.cover(264);
    return REQ_OP_READ;
  }
  opflags |= REQ_OP_WRITE;
  if (useFua) {
    k.rt.cover(268);
    opflags |= REQ_FUA;
  } else {
    k.rt.cover(270);
    dio.flags = (dio.flags & ~IOMAP_DIO_WRITE_THROUGH) >>> 0;
  }
  return opflags;
}

/**
 * iomap_dio_bio_iter() (seed L275-442): issue the bios for one mapping.
 *
 * The seed's two goto labels are labelled blocks: `break zeroTail` is `goto zero_tail` (L397) and
 * `break out` is `goto out` (L334, L376). A short page-get must still zero the tail of the block it
 * stopped in, or a short write into a new or unwritten block would expose stale data (L390-394).
 */
export function* iomapDioBioIter(k: Kernel, iter: IomapIter, dio: IomapDio): KGen<number> {
  const rt = k.rt;
  const iomap = iter.iomap;
  const inode = iter.inode;
  const fsBlockSize = iBlocksize(inode);
  const length = iomapLength(iter);
  let pos = iter.pos;
  const bdev = iomapBdev(iomap);
  let needZeroout = false;
  let useFua = false;
  let nrPages = 0;
  let ret = 0;
  let copied = 0;
  let pad = 0;
  const submitIter = dioSubmitIter(k, dio, 292);

  // L291-293: the position, length and user buffer must be aligned to the device.
  if ((pos | length) & (bdevLogicalBlockSize(bdev) - 1) || !bdevIterIsAligned(bdev, submitIter)) {
    rt.cover(293);
    return -EINVAL;
  }

  // L295-298
  if (iomap.type === IOMAP_UNWRITTEN) {
    rt.cover(296);
    dio.flags = (dio.flags | IOMAP_DIO_UNWRITTEN) >>> 0;
    needZeroout = true;
  }

  // L300-301
  if (iomap.flags & IOMAP_F_SHARED) {
    rt.cover(301);
    dio.flags = (dio.flags | IOMAP_DIO_COW) >>> 0;
  }

  // L303-323: FUA only for a pure overwrite of written blocks with no metadata to sync, on a device
  // with FUA or no volatile cache; a sync that cannot write through cannot complete in the caller.
  if (iomap.flags & IOMAP_F_NEW) {
    rt.cover(304);
    needZeroout = true;
  } else if (k.ops.iomapDioBioIterPureOverwrite(k, iomap)) {
    if (
      !(iomap.flags & (IOMAP_F_SHARED | IOMAP_F_DIRTY)) &&
      dio.flags & IOMAP_DIO_WRITE_THROUGH &&
      (bdevFua(bdev) || !bdevWriteCache(bdev))
    ) {
      rt.cover(320);
      useFua = true;
    } else if (dio.flags & IOMAP_DIO_NEED_SYNC) {
      rt.cover(322);
      dio.flags = (dio.flags & ~IOMAP_DIO_CALLER_COMP) >>> 0;
    }
  }

  // L330-331: trim the iter to this mapping; re-expanded at out.
  const origCount = iovIterCount(submitIter);
  iovIterTruncate(submitIter, length);

  out: {
    zeroTail: {
      // L333-334
      if (!iovIterCount(submitIter)) {
        rt.cover(334);
        break out;
      }

      // L343-346: caller completion only for pure overwrites needing no I/O at completion.
      if (
        needZeroout ||
        (dio.flags & IOMAP_DIO_NEED_SYNC && !useFua) ||
        (dio.flags & IOMAP_DIO_WRITE && pos >= iSizeRead(inode))
      ) {
        rt.cover(346);
        dio.flags = (dio.flags & ~IOMAP_DIO_CALLER_COMP) >>> 0;
      }

      // L353-354: polling only where completion can run inline or in the caller.
      if (!(dio.flags & (IOMAP_DIO_INLINE_COMP | IOMAP_DIO_CALLER_COMP))) {
        rt.cover(354);
        dio.iocb.kiFlags &= ~IOCB_HIPRI;
      }

      // L356-361: zero from the start of the block to the write offset. 6.12.107-117 L382-389 end
      // the iteration if that zeroing fails; the seed and 6.12.118 cannot fail there.
      if (needZeroout) {
        pad = pos & (fsBlockSize - 1);
        ret = yield* k.ops.iomapDioBioIterZeroHeadPad(k, iter, dio, pos, pad);
        if (ret) break out;
      }

      // L368
      const bioOpf = k.ops.iomapDioBioOpflags(k, dio, iomap, useFua);

      // L370-420
      nrPages = bioIovVecsToAlloc(submitIter, k.bioMaxVecs);
      do {
        // L373-377: a completion already failed; stop submitting.
        rt.heap.use(dio, 373);
        if (dio.error) {
          rt.cover(374);
          copied = k.ops.iomapDioBioIterUnwind(k, submitIter, copied);
          ret = 0;
          break out;
        }

        // L379-386
        const bio = k.ops.iomapDioAllocBio(k, iter, dio, nrPages, bioOpf);
        bio.biIterSector = iomapSector(iomap, pos);
        bio.biWriteHint = inode.iWriteHint;
        bio.biIoprio = dio.iocb.kiIoprio;
        bio.biPrivate = dio;
        bio.biEndIo = k.bioEndIo;

        // L388-398: stopping part way must still zero the block tail (fall through to zero_tail).
        ret = bioIovIterGetPages(rt, bio, submitIter);
        if (ret) {
          rt.cover(396);
          // The page-get faulted the user pages in (and may have slept) before it failed: a
          // completion may set dio->error after the test at L373 (spec/atomicity.md).
          yield;
          if (rt.tracing) rt.ev(388, 'bio_iov_iter_get_pages', `pos ${pos} ret ${ret}`);
          bioPut(rt, bio, 396);
          // Model bookkeeping for ARG-02: the request's buffer faulted part way.
          dio.iocb.acct.pageGetFailed = true;
          if (!k.ops.iomapDioBioIterZeroTailAfterShortGet(k)) break out;
          break zeroTail;
        }

        // L400-406
        const n = bio.biSize;
        if (dio.flags & IOMAP_DIO_WRITE) {
          rt.cover(402);
        } else if (dio.flags & IOMAP_DIO_DIRTY) {
          rt.cover(405);
          bioSetPagesDirty(bio);
        }

        // L408-409
        dio.size += n;
        copied += n;

        // L411-417: only a single-bio dio may be polled.
        nrPages = bioIovVecsToAlloc(submitIter, k.bioMaxVecs);
        if (nrPages) {
          rt.cover(417);
          dio.iocb.kiFlags &= ~IOCB_HIPRI;
        }
        yield* k.ops.iomapDioSubmitBio(k, iter, dio, bio, pos);
        pos += n;
      } while (nrPages);
    }

    // L428-435 zero_tail: zero the rest of the block for zeroing extents and for writes past EOF,
    // or an mmap read of the EOF block could see stale data.
    rt.heap.use(dio, 429);
    if (needZeroout || (dio.flags & IOMAP_DIO_WRITE && pos >= iSizeRead(inode))) {
      pad = pos & (fsBlockSize - 1);
      ret = yield* k.ops.iomapDioBioIterZeroTailPad(k, iter, dio, pos, pad, ret);
    }
  }

  // L436-441 out: undo the trim.
  iovIterReexpand(submitIter, origCount - copied);
  if (copied) return copied;
  return ret;
}

/**
 * Seed L358-360 as its own entry (the releases differ here, spec/kernel-versions.md): zero the
 * block head when the write starts inside it. The seed's iomap_dio_zero returns nothing, so this
 * never ends the iteration: the result is always 0.
 */
export function iomapDioBioIterZeroHeadPad(
  k: Kernel,
  iter: IomapIter,
  dio: IomapDio,
  pos: number,
  pad: number,
): KGen<number> {
  // Without a generator (yieldPoint.ts after): no pad, no step; else the zeroing's, then 0.
  if (pad && k.ops.iomapDioBioIterZeroHead(k, dio, pos)) {
    k.rt.cover(360);
    return after(k.ops.iomapDioZero(k, iter, dio, pos - pad, pad), 0);
  }
  return returnNow(0);
}

/**
 * Seed L432-434 as its own entry (the releases differ here): zero from the end of the write to the
 * end of its block. The seed leaves `ret` as it was (-EFAULT after a failed page-get, say).
 */
export function iomapDioBioIterZeroTailPad(
  k: Kernel,
  iter: IomapIter,
  dio: IomapDio,
  pos: number,
  pad: number,
  ret: number,
): KGen<number> {
  // Without a generator (yieldPoint.ts after): no pad, no step; else the zeroing's, then `ret`.
  if (pad) {
    k.rt.cover(434);
    return after(k.ops.iomapDioZero(k, iter, dio, pos, iBlocksize(iter.inode) - pad), ret);
  }
  return returnNow(ret);
}

/**
 * The seed's unwind when a completion error stops the bio loop (seed L374-375): rewind the iter by
 * what this mapping already handed to bios and report none of it. This is the behaviour upstream
 * fixed in 4ad357e39b2e (B01): those bytes are in flight, so the iter, dio->size and the `written`
 * given to ->iomap_end stop agreeing. Returns the new `copied`.
 */
export function iomapDioBioIterUnwind(_k: Kernel, submitIter: IovIter, copied: number): number {
  iovIterRevert(submitIter, copied);
  return 0;
}

/** The upstream fix (4ad357e39b2e): keep what was submitted; the iter is re-expanded at out. */
export function iomapDioBioIterUnwindFixed(_k: Kernel, _submitIter: IovIter, copied: number): number {
  return copied;
}

/** Candidate fix (ops.ts CANDIDATE_FIXES): iomap_dio_zero with IOCB_HIPRI cleared first. */
export function* iomapDioZeroNoPoll(
  k: Kernel,
  iter: IomapIter,
  dio: IomapDio,
  pos: number,
  len: number,
  // biome-ignore lint/suspicious/noConfusingVoidType: one signature for the seed's void iomap_dio_zero and 6.12.107-117's int one
): KGen<number | void> {
  k.rt.heap.use(dio, 238);
  dio.iocb.kiFlags &= ~IOCB_HIPRI;
  return yield* iomapDioZero(k, iter, dio, pos, len);
}

/**
 * The seed's test at L305, as its own entry: only a mapping of written blocks (IOMAP_MAPPED) is a
 * pure overwrite that may use FUA. Dropping it is kernel bug B06 (0929d8580071).
 */
export function iomapDioBioIterPureOverwrite(_k: Kernel, iomap: Iomap): boolean {
  return iomap.type === IOMAP_MAPPED;
}

/**
 * Seed L397 as its own entry (the seam of B03, 4721a6010990): a short page-get must fall through
 * to zero_tail, or the tail of a new or unwritten block is never zeroed and conversion exposes it.
 */
export function iomapDioBioIterZeroTailAfterShortGet(_k: Kernel): boolean {
  return true;
}

/**
 * Seed L359's test as its own entry: the seed zeroes the block head whenever the mapping starts
 * mid-block, also when an earlier iteration of the same request already wrote that head and only
 * stopped short (a short page-get under IOMAP_DIO_PARTIAL), erasing data it reports as written.
 */
export function iomapDioBioIterZeroHead(_k: Kernel, _dio: IomapDio, _pos: number): boolean {
  return true;
}

/** Candidate fix (ops.ts CANDIDATE_FIXES): zero the head only where the request itself starts. */
export function iomapDioBioIterZeroHeadAtStart(k: Kernel, dio: IomapDio, pos: number): boolean {
  k.rt.heap.use(dio, 359);
  return pos === dio.iocb.kiPos;
}
