/**
 * The file operations above iomap_dio_rw, as ext4 has them (fs/ext4/file.c of the pinned 6.12
 * releases; line numbers are 6.12.117's, and these functions are the same in all six but for the
 * inode_dio_wait in ext4_buffered_write_iter, L296-300, which 6.12.107 lacks):
 * ext4_file_read_iter / ext4_dio_read_iter (i_rwsem shared), ext4_file_write_iter /
 * ext4_dio_write_iter with ext4_dio_write_checks (shared for overwrites, exclusive with
 * IOMAP_DIO_FORCE_WAIT for extending or unaligned writes, an orphan for extending ones), the
 * cleanup after an extending write, and the buffered fallback for what a direct write left undone.
 *
 * The lock is the inode's i_rwsem; the class extends XfsFile only to share the page-cache side
 * (model/fs/xfsBuffered.ts, with ext4's buffered write and truncate in ext4Buffered.ts, takes its
 * lock from here); ext4's writeback is a later stage.
 */
import { EAGAIN, EIO, EIOCBQUEUED, ENOTBLK, IOCB_NOWAIT, IOMAP_DIO_FORCE_WAIT } from '../kernel/flags.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { type IovIter, iovIterAdvance, iovIterCount } from '../mm/iovIter.ts';
import { PAGE_SIZE } from '../mm/tags.ts';
import { UserBuffer } from '../mm/userBuffer.ts';
import type { KGen } from '../runtime/context.ts';
import { after, returnNow } from '../runtime/yieldPoint.ts';
import { EXT4_MAP_MAPPED, type ModelExt4 } from './ext4.ts';
import type { IomapOps } from './iomap.ts';
import { RwSem } from './rwsem.ts';
import { genericWriteSync, inodeDioWait, type Kiocb } from './vfs.ts';
import { XfsFile } from './xfsFile.ts';

/** include/uapi/asm-generic/errno.h (model/kernel/flags.ts has no EOPNOTSUPP). */
const EOPNOTSUPP = 95;

/** What ext4_dio_write_checks decides, for ext4_dio_write_iter. */
interface DioWriteChecks {
  ret: number;
  ilockShared: boolean;
  extend: boolean;
  unwritten: boolean;
  dioFlags: number;
}

export class Ext4File extends XfsFile {
  /** inode->i_rwsem. */
  override readonly iolock = new RwSem('i_rwsem');

  constructor(readonly ext4: ModelExt4) {
    super(ext4);
  }

  /**
   * inode_lock / inode_lock_shared, or their trylock for IOCB_NOWAIT. Without a generator
   * (yieldPoint.ts after): the lock's own steps, then 0.
   */
  private lockIocb(k: Kernel, iocb: Kiocb, shared: boolean): KGen<number> {
    if (iocb.kiFlags & IOCB_NOWAIT) return returnNow(this.iolock.tryLock(!shared) ? 0 : -EAGAIN);
    return after(this.iolock.lock(k.rt, !shared), 0);
  }

  /** ext4_file_read_iter() (L130-148) -> ext4_dio_read_iter() (L69-100). */
  override *dioRead(k: Kernel, iocb: Kiocb, to: IovIter, dioFlags: number, doneBefore: number): KGen<number> {
    // L134-135 (an aborted journal counts as a shutdown: ModelExt4.ext4ForcedShutdown).
    if (this.ext4.ext4ForcedShutdown()) return -EIO;
    // L137-138: an empty read returns 0 before the lock.
    if (iovIterCount(to) === 0) return 0;
    const ret = yield* this.lockIocb(k, iocb, true);
    if (ret) return ret;
    // L81-92: ext4_should_use_dio() is true (ext4_dio_alignment() is 1: no encryption, verity,
    // data journalling or inline data here), so iomap checks the alignment.
    const r = yield* k.ops.iomapDioRw(k, iocb, to, this.ext4.readOps, null, dioFlags, doneBefore);
    this.iolock.unlock(false);
    return r;
  }

  /**
   * ext4_file_write_iter() (L690-707) for IOCB_DIRECT. Past the shutdown test it only hands on, so
   * it gives its caller's `yield*` ext4_dio_write_iter's KGen (yieldPoint.ts): the same steps.
   */
  override writeIter(
    k: Kernel,
    iocb: Kiocb,
    from: IovIter,
    dioFlags: number,
    doneBefore: number,
  ): KGen<number> {
    // L695-696 (an aborted journal counts as a shutdown: ModelExt4.ext4ForcedShutdown).
    if (this.ext4.ext4ForcedShutdown()) return returnNow(-EIO);
    return this.ext4DioWriteIter(k, iocb, from, dioFlags, doneBefore);
  }

  /** ext4_extending_io() (L207-215). */
  private ext4ExtendingIo(offset: number, len: number): boolean {
    return offset + len > this.ext4.inodeSize() || offset + len > this.ext4.iDisksize;
  }

  /** ext4_unaligned_io() (L195-205): position or user buffer not block-aligned. */
  private ext4UnalignedIo(from: IovIter, pos: number): boolean {
    const blockmask = this.ext4.blockSize - 1;
    // iov_iter_alignment(): the buffer's address and length.
    return ((pos | from.address | iovIterCount(from)) & blockmask) !== 0;
  }

  /** ext4_overwrite_io() (L217-241): is [pos, pos + len) inside i_size and one allocated extent? */
  private ext4OverwriteIo(pos: number, len: number): { overwrite: boolean; unwritten: boolean } {
    const fs = this.ext4;
    if (pos + len > fs.inodeSize()) return { overwrite: false, unwritten: false };
    const bs = fs.blockSize;
    const lblk = Math.floor(pos / bs);
    const blklen = Math.ceil((pos + len) / bs) - lblk;
    const map = { mLblk: lblk, mLen: blklen, mPblk: -1, mFlags: 0 };
    const err = fs.ext4MapBlocks(null, map, 0);
    if (err !== blklen) return { overwrite: false, unwritten: false };
    // L237-239: all allocated; written (MAPPED) or not.
    return { overwrite: true, unwritten: (map.mFlags & EXT4_MAP_MAPPED) === 0 };
  }

  /** ext4_dio_write_checks() (L428-503): settle the lock and the dio flags. */
  private *ext4DioWriteChecks(
    k: Kernel,
    iocb: Kiocb,
    from: IovIter,
    ilockShared: boolean,
  ): KGen<DioWriteChecks> {
    const c: DioWriteChecks = { ret: 0, ilockShared, extend: false, unwritten: false, dioFlags: 0 };
    for (;;) {
      // restart: ext4_generic_write_checks() -> generic_write_checks(): the count, 0 for none.
      c.ret = iovIterCount(from);
      if (c.ret <= 0) break;
      const offset = iocb.kiPos;
      const count = c.ret;
      const unalignedIo = this.ext4UnalignedIo(from, offset);
      c.extend = this.ext4ExtendingIo(offset, count);
      const ow = this.ext4OverwriteIo(offset, count);
      if (ow.overwrite) c.unwritten = ow.unwritten;
      const overwrite = ow.overwrite;
      // Candidate fix (spec/ext4.md, "An unaligned overwrite's zeroing past EOF"): an unaligned
      // write ending at i_size zeroes its block past EOF (fs/iomap/direct-io.c L460-462), which
      // an extending write, exclusive but not waiting for dio, may race; XFS takes it exclusively
      // and waits (fs/xfs/xfs_file.c L652-661). 6.12 (the quirk) counts it a pure overwrite.
      const zeroesPastEof =
        unalignedIo &&
        offset + count >= this.ext4.inodeSize() &&
        !this.ext4.quirks.ext4UnalignedEofOverwriteShared;
      // L462-473: extending, non-overwrite, or unaligned into unwritten blocks needs i_rwsem
      // exclusive (IS_NOSEC holds: the file has no setuid bits or security attributes).
      if (c.ilockShared && (c.extend || !overwrite || (unalignedIo && c.unwritten) || zeroesPastEof)) {
        if (iocb.kiFlags & IOCB_NOWAIT) {
          c.ret = -EAGAIN;
          break;
        }
        this.iolock.unlock(false);
        c.ilockShared = false;
        yield* this.iolock.lock(k.rt, true);
        continue;
      }
      // L482-490: exclusive for unaligned or extending I/O: drain other dio, and wait for this one.
      if (!c.ilockShared && (unalignedIo || c.extend)) {
        if (iocb.kiFlags & IOCB_NOWAIT) {
          c.ret = -EAGAIN;
          break;
        }
        // The planted bug ext4UnalignedNoDioWait drops this wait (ext4 before e9e3bcecf44c).
        if (
          unalignedIo &&
          (!overwrite || c.unwritten || zeroesPastEof) &&
          !this.ext4.quirks.ext4UnalignedNoDioWait
        )
          yield* inodeDioWait(k.rt, this.ext4.requireInode());
        // The planted bug ext4UnalignedNoForceWait waits before an unaligned write but not after
        // it, as ext4 did before 57a0da28ced8 (extending writes stay synchronous).
        if (c.extend || !this.ext4.quirks.ext4UnalignedNoForceWait) c.dioFlags = IOMAP_DIO_FORCE_WAIT;
      }
      // L492-494 file_modified(): timestamps are not modelled.
      return c;
    }
    // out: L497-502.
    this.iolock.unlock(!c.ilockShared);
    return c;
  }

  /** ext4_dio_write_iter() (L505-633). */
  private *ext4DioWriteIter(
    k: Kernel,
    iocb: Kiocb,
    from: IovIter,
    extraFlags: number,
    doneBefore: number,
  ): KGen<number> {
    const fs = this.ext4;
    let offset = iocb.kiPos;
    const count0 = iovIterCount(from);
    let iomapOps: IomapOps = fs.writeOps;
    // L517-523: a quick unlocked check for an extending write.
    let ilockShared = !(offset + count0 > fs.inodeSize());
    // L525-538.
    const locked = yield* this.lockIocb(k, iocb, ilockShared);
    if (locked) return locked;
    // L540-547 ext4_should_use_dio(): true here (see dioRead).
    const c = yield* this.ext4DioWriteChecks(k, iocb, from, ilockShared);
    if (c.ret <= 0) return c.ret;
    ilockShared = c.ilockShared;
    offset = iocb.kiPos;
    let ret = 0;
    let out = false;
    // L566-580: an extending write puts the inode on the orphan list first, in its own handle.
    if (c.extend) {
      const handle = fs.journal.journalStart();
      ret = fs.ext4OrphanAdd(handle);
      if (ret) out = true;
    }
    if (!out) {
      // L582-583: a shared-lock write needs no allocation: the overwrite ops map it as a read.
      if (ilockShared && !c.unwritten) iomapOps = fs.overwriteOps;
      ret = yield* k.ops.iomapDioRw(
        k,
        iocb,
        from,
        iomapOps,
        fs.dioWriteOps,
        c.dioFlags | extraFlags,
        doneBefore,
      );
      if (ret === -ENOTBLK) ret = 0;
      let needTrunc = ret < 0;
      // The planted bug ext4SizeUpdateAfterDio: i_disksize and the orphan are settled here, after
      // the O_(D)SYNC flush of iomap_dio_complete (ext4_dio_write_iter and its
      // ext4_handle_inode_extension(inode, offset, written, count) before 91562895f803, which also
      // truncated the blocks allocated past what a short write wrote).
      if (c.extend && fs.quirks.ext4SizeUpdateAfterDio && ret >= 0) {
        fs.ext4HandleInodeExtension(offset, ret, count0);
        const bs = fs.blockSize;
        needTrunc = Math.ceil((offset + ret) / bs) < Math.ceil((offset + count0) / bs);
      }
      // L588-597: extending writes are synchronous (FORCE_WAIT): clean up after them.
      if (c.extend) {
        if (ret === -EIOCBQUEUED && k.rt.tracing)
          k.rt.ev(0, 'WARN', 'ext4_dio_write_iter: extending write queued');
        yield* this.ext4InodeExtensionCleanup(needTrunc);
      }
    }
    // out: L599-603.
    this.iolock.unlock(!ilockShared);
    // L605-630: what the direct write left undone goes through the page cache.
    if (ret >= 0 && iovIterCount(from)) {
      offset = iocb.kiPos;
      iocb.fellBackToBuffered = true;
      const err = yield* this.ext4BufferedWriteIter(k, iocb, from);
      if (err < 0) return err;
      ret += err;
      const endbyte = offset + err - 1;
      const mapping = fs.requireInode().iMapping;
      const werr = yield* mapping.writeAndWaitRange(k.rt, offset, endbyte);
      if (!werr) invalidateMappingPages(mapping, offset, endbyte);
    }
    return ret;
  }

  /** ext4_inode_extension_cleanup() (L344-379). */
  private *ext4InodeExtensionCleanup(needTrunc: boolean): KGen {
    const fs = this.ext4;
    if (needTrunc) {
      yield* this.ext4TruncateFailedWrite();
      // L349-355: an early failure may leave it on the in-memory list.
      fs.ext4OrphanDel(null);
      return;
    }
    // L357-378: i_disksize may have grown under the write (delalloc writeback, truncate up).
    if (fs.orphanTracked) fs.ext4OrphanDel(fs.journal.journalStart());
  }

  /**
   * ext4_truncate_failed_write() (fs/ext4/truncate.h L12-24): drop the page cache past i_size and
   * the blocks past it; ext4_truncate zeroes the EOF block's tail in the page cache first
   * (ext4_block_truncate_page, when i_size is inside a block), for writeback to write.
   */
  private *ext4TruncateFailedWrite(): KGen {
    const fs = this.ext4;
    const inode = fs.requireInode();
    const bs = fs.blockSize;
    // Candidate fix (spec/ext4.md, "A failed extending write's EOF-block zeroing"): wait for direct
    // I/O in flight first, as ext4_setattr does before it truncates (inode.c L5553-5565). 6.12 does
    // not: an aligned extending write takes no inode_dio_wait (file.c L482-490), so an async
    // sub-block overwrite of the EOF block may still be in flight while ext4_block_truncate_page
    // reads that block, zeroes its tail and dirties it, and writeback then puts the old bytes back
    // over the overwrite. The quirk ext4FailedWriteNoDioWait keeps that code.
    if (!fs.quirks.ext4FailedWriteNoDioWait) yield* inodeDioWait(this.ext4.runtime, inode);
    inode.iMapping.truncateFrom(Math.ceil(inode.iSize / bs) * bs);
    if (this.fallback !== null && inode.iSize % bs) yield* this.fallback.zeroEofGap(inode.iSize);
    fs.ext4Truncate();
  }

  /**
   * ext4_buffered_write_iter() (L285-313) for the rest of a direct write: NOWAIT is refused
   * (L291-292); the write itself is the model ext4's page-cache write (Ext4Buffered.bufferedWrite:
   * i_rwsem, inode_dio_wait, generic_perform_write, which returns -EFAULT when the user buffer
   * faults at once), then generic_write_sync (L310-312).
   */
  private *ext4BufferedWriteIter(k: Kernel, iocb: Kiocb, from: IovIter): KGen<number> {
    if (iocb.kiFlags & IOCB_NOWAIT) return -EOPNOTSUPP;
    if (this.fallback === null) return 0;
    const count = iovIterCount(from);
    const buf = from.buf;
    // The bytes still to write as a buffer of their own at the same user address: their tags, and
    // the page that faults if one does (faults stay, as the direct write found them).
    const rest = new UserBuffer(from.address, count, true);
    rest.tags.set(buf.tags.subarray(from.iovOffset >> 9, (from.iovOffset >> 9) + rest.tags.length));
    if (Number.isFinite(buf.unmappedFrom)) {
      const firstPage = Math.floor(buf.addr / PAGE_SIZE) + buf.unmappedFrom;
      rest.unmapPage(Math.max(0, firstPage - Math.floor(rest.addr / PAGE_SIZE)));
    }
    if (k.rt.tracing) k.rt.ev(0, 'ext4_buffered_write_iter', `fallback ${iocb.kiPos}+${count}`);
    const written = yield* this.fallback.bufferedWrite(iocb.kiPos, count, rest);
    if (written <= 0) return written;
    iovIterAdvance(from, written);
    iocb.kiPos += written;
    return yield* genericWriteSync(k.rt, iocb, written, 0);
  }
}

/** invalidate_mapping_pages() (mm/truncate.c): drop the clean pages of the range; never fails. */
function invalidateMappingPages(
  mapping: { pages: Map<number, { dirty: boolean; writeback: boolean }> },
  start: number,
  end: number,
): void {
  for (let i = Math.floor(start / PAGE_SIZE); i <= Math.floor(end / PAGE_SIZE); i++) {
    const p = mapping.pages.get(i);
    if (p !== undefined && !p.dirty && !p.writeback) mapping.pages.delete(i);
  }
}
