/**
 * The caller around iomap_dio_rw of the scripted filesystem when it behaves as a whole filesystem
 * (FsSpec.generic): what btrfs, gfs2, ext4 and XFS do around it.
 *
 * Locking, after xfs_file_dio_write_unaligned (6.12.117 fs/xfs/xfs_file.c L640-700) in its
 * exclusive form: a write not aligned to the filesystem block takes the inode lock exclusive,
 * drains the direct I/O in flight (inode_dio_wait, L688-689) and passes IOMAP_DIO_FORCE_WAIT
 * (L661), so that sub-block zeroing (seed L356-361, L428-435) never races another direct write;
 * block-aligned writes and reads take it shared. A NOWAIT caller only tries the lock
 * (xfs_ilock_iocb), and a NOWAIT sub-block write is refused with -EAGAIN (L657-660).
 *
 * Around the call, after btrfs_direct_write and btrfs_direct_read (6.12.117 fs/btrfs/direct-io.c
 * L851-1058, L1086-1150):
 * - IOMAP_DIO_PARTIAL with page faults disabled, and the resume loop (L948-1016, L1112-1148): the
 *   user buffer is not faulted in beforehand, so a page that is mapped but not resident faults
 *   (a choice, see `attempt`); iomap_dio_rw returns the cumulative count of what moved, the loop
 *   faults the rest in and calls again with done_before = that count, under the same lock; a call
 *   that made no progress since the last one ends the loop. gfs2 has the same loop with a fault-in
 *   window (fs/gfs2/file.c L845-862, L912-931, should_fault_in_pages L778-808).
 * - The buffered fallback (L1018-1058): when the direct write returned -ENOTBLK, or a count short
 *   of the request, the rest is written through the page cache (btrfs_buffered_write), written
 *   back and waited for (btrfs_fdatawrite_range, filemap_fdatawait_range), and its clean pages
 *   dropped (invalidate_mapping_pages), so that a later direct read sees the data on disk; the
 *   result is the direct part plus the buffered part, or the first error. ext4 does the same
 *   after a short direct write (ext4_dio_write_iter, fs/ext4/file.c L605-630, direct_write_fallback
 *   in mm/filemap.c); an O_DSYNC write then syncs what it wrote (gfs2_file_write_iter, gfs2 L1142-1158).
 * - A read that stopped short inside i_size is finished from the page cache (btrfs_file_read_iter,
 *   fs/btrfs/file.c L3803-3815: filemap_read with what was read already).
 *
 * A request with done_before > 0 (DioOpSpec.doneBefore) stands for one call of such a loop, made
 * as is: one iomap_dio_rw under the lock, its result returned.
 */
import {
  EAGAIN,
  EFAULT,
  EINVAL,
  ENOTBLK,
  IOCB_NOWAIT,
  IOMAP_DIO_FORCE_WAIT,
  IOMAP_DIO_PARTIAL,
} from '../kernel/flags.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { type IovIter, iovIterCount } from '../mm/iovIter.ts';
import type { KGen } from '../runtime/context.ts';
import { after, returnNow } from '../runtime/yieldPoint.ts';
import type { WorldQuirks } from '../world/quirks.ts';
import type { GenericBuffered } from './genericBuffered.ts';
import type { IomapDioOps, IomapOps } from './iomap.ts';
import { RwSem } from './rwsem.ts';
import { genericWriteSync, type IocbAccounting, inodeDioWait, type Inode, type Kiocb } from './vfs.ts';

export class GenericIomapCaller {
  /** Planted defects of this caller (a bug of the catalogue); none in the correct world. */
  quirks: WorldQuirks = {};

  constructor(
    private readonly inode: Inode,
    private readonly blockSize: number,
    /** The page-cache side (fallback, read-back); null for a caller without one. */
    readonly buffered: GenericBuffered | null = null,
    /** The inode lock (i_rwsem), shared with the page-cache side's buffered writes. */
    readonly iolock = new RwSem('i_rwsem'),
    private readonly logicalBlockSize = 512,
  ) {}

  /** A direct read or write as one iomap_dio_rw call under the inode lock. */
  *dio(
    k: Kernel,
    iocb: Kiocb,
    iter: IovIter,
    write: boolean,
    ops: IomapOps,
    dops: IomapDioOps | null,
    dioFlags: number,
    doneBefore: number,
  ): KGen<number> {
    const subBlock = this.isSubBlock(iocb, iter, write);
    const locked = yield* this.lock(k, iocb, subBlock, this.extending(iocb, iter, write));
    if (locked < 0) return locked;
    const flags = yield* this.serialise(k, subBlock, dioFlags);
    const ret = yield* k.ops.iomapDioRw(k, iocb, iter, ops, dops, flags, doneBefore);
    this.iolock.unlock(locked === 1);
    return ret;
  }

  /**
   * The system call: a whole read or write, with the resume loop and the page-cache fallback. It
   * only picks one of them, so it gives its caller's `yield*` that one's KGen (yieldPoint.ts): the
   * same steps, a chain level fewer at each of their yields.
   */
  rw(
    k: Kernel,
    iocb: Kiocb,
    iter: IovIter,
    write: boolean,
    ops: IomapOps,
    dops: IomapDioOps | null,
    dioFlags: number,
    doneBefore: number,
  ): KGen<number> {
    if (doneBefore > 0 || this.buffered === null)
      return this.dio(k, iocb, iter, write, ops, dops, dioFlags, doneBefore);
    return write
      ? this.write(k, iocb, iter, ops, dops, dioFlags)
      : this.read(k, iocb, iter, ops, dops, dioFlags);
  }

  private isSubBlock(iocb: Kiocb, iter: IovIter, write: boolean): boolean {
    return write && ((iocb.kiPos | iovIterCount(iter)) & (this.blockSize - 1)) !== 0;
  }

  /**
   * The inode lock: exclusive for a sub-block write (XFS) and for a write that ends past i_size
   * (btrfs_direct_write takes it shared only inside EOF, 6.12.117 fs/btrfs/direct-io.c L873-874,
   * L910-917), else shared; a NOWAIT caller only tries. 1 if taken exclusive, 0 if shared, or
   * -EAGAIN. Without a generator (yieldPoint.ts after): the lock's own steps, then the answer.
   */
  private lock(k: Kernel, iocb: Kiocb, subBlock: boolean, extending: boolean): KGen<number> {
    const nowait = (iocb.kiFlags & IOCB_NOWAIT) !== 0;
    if (subBlock && nowait) return returnNow(-EAGAIN);
    const exclusive = subBlock || extending;
    if (nowait) {
      if (!this.iolock.tryLock(exclusive)) return returnNow(-EAGAIN);
      return returnNow(exclusive ? 1 : 0);
    }
    return after(this.iolock.lock(k.rt, exclusive), exclusive ? 1 : 0);
  }

  /** Does a write of what is left of `iter` at ki_pos end past i_size? */
  private extending(iocb: Kiocb, iter: IovIter, write: boolean): boolean {
    return write && iocb.kiPos + iovIterCount(iter) > this.inode.iSize;
  }

  /**
   * A sub-block write is the only direct I/O of the inode: drain the others, wait for its own.
   * Without a generator (yieldPoint.ts after): the wait's own steps, then the flags.
   */
  private serialise(k: Kernel, subBlock: boolean, dioFlags: number): KGen<number> {
    if (!subBlock) return returnNow(dioFlags);
    return after(inodeDioWait(k.rt, this.inode), dioFlags | IOMAP_DIO_FORCE_WAIT);
  }

  /**
   * One iomap_dio_rw call of the loop. With page faults disabled (`nofault`), a page of what is
   * left of a user buffer may be mapped but not resident: a choice (option 0: all resident) when
   * the run has user faults. The call faults on it as on a page that is gone; once the call
   * returned, the page is faulted in (fault_in_iov_iter_readable / _writeable), so only a page
   * that is really gone (UserBuffer.unmappedFrom) faults again. A later call's accounting adds
   * the earlier calls' (the checkers judge the request as a whole).
   */
  private *attempt(
    k: Kernel,
    iocb: Kiocb,
    iter: IovIter,
    ops: IomapOps,
    dops: IomapDioOps | null,
    dioFlags: number,
    doneBefore: number,
    nofault: boolean,
    first: boolean,
  ): KGen<number> {
    const rt = k.rt;
    const buf = iter.buf;
    const gone = buf.unmappedFrom;
    let notResident = Number.POSITIVE_INFINITY;
    const count = iovIterCount(iter);
    if (nofault && (rt.faults.pageFaults || rt.faults.copyFaults) && buf.userBacked && count > 0) {
      const firstPage = buf.pageIndex(iter.address);
      const pages = buf.pageIndex(iter.address + count - 1) - firstPage + 1;
      const c = rt.choose(pages + 1, 'nofault_not_resident');
      if (c > 0) notResident = firstPage + c - 1;
    }
    if (notResident < gone) {
      buf.unmappedFrom = notResident;
      if (rt.tracing) rt.ev(0, 'nofault', `user page ${notResident} not resident`);
    }
    const before = iocb.acct;
    const ret = yield* k.ops.iomapDioRw(k, iocb, iter, ops, dops, dioFlags, doneBefore);
    // Faulted in now, unless the call found a page that is really gone before it.
    if (notResident < gone && buf.unmappedFrom === notResident) buf.unmappedFrom = gone;
    if (!first && iocb.acct !== before) addAccounting(iocb.acct, before);
    // Model bookkeeping for addAccounting: the loop goes on from this call only after a fault.
    if (ret === -EFAULT) iocb.acct.endedInFault = true;
    return ret;
  }

  /** btrfs_direct_write() with the fallback of its `buffered:` label. */
  private *write(
    k: Kernel,
    iocb: Kiocb,
    from: IovIter,
    ops: IomapOps,
    dops: IomapDioOps | null,
    dioFlags: number,
  ): KGen<number> {
    const rt = k.rt;
    // A write not aligned to the logical block size is refused before anything, as XFS and ext4
    // refuse it (6.12.117 fs/xfs/xfs_file.c L722-723; btrfs sends it to buffered I/O instead,
    // fs/btrfs/direct-io.c L925-928, which the model's 512-byte data tags cannot represent).
    if ((iocb.kiPos | iovIterCount(from)) & (this.logicalBlockSize - 1)) return -EINVAL;
    const subBlock = this.isSubBlock(iocb, from, true);
    const locked = yield* this.lock(k, iocb, subBlock, this.extending(iocb, from, true));
    if (locked < 0) return locked;
    const flags = yield* this.serialise(k, subBlock, dioFlags);
    const resume = (dioFlags & IOMAP_DIO_PARTIAL) !== 0;
    let written = 0;
    let prevLeft = 0;
    let ret: number;
    for (let first = true; ; first = false) {
      // L966: done_before is what the calls before this one moved (a planted defect passes 0).
      const before = this.quirks.genericResumeLosesDoneBefore ? 0 : written;
      ret = yield* this.attempt(k, iocb, from, ops, dops, flags, before, resume, first);
      // L987-989: no increment, iomap_dio_rw returns a cumulative value.
      if (ret > 0) written = ret;
      const left = iovIterCount(from);
      // L991-1015: more to write after a fault or a short count: fault in and retry, unless the
      // last retry made no progress, then fall back to buffered I/O.
      if (resume && left > 0 && (ret === -EFAULT || ret > 0)) {
        if (left === prevLeft) {
          // Model bookkeeping: a call that ended in -EFAULT returned that, not a bio error that
          // came after it (seed L156: the first error stays), and the page cache redoes its
          // zeroing, whose blocks its writeback writes whole: such bio errors are not the
          // request's, as addAccounting drops them for a call the loop went on from (generic world
          // scenarios, seed 7 case 482: a zeroing bio of an unwritten block failed after the
          // fault, the fallback wrote and converted the block).
          if (ret === -EFAULT) iocb.acct.bioErrors.length = 0;
          ret = -ENOTBLK;
          break;
        }
        prevLeft = left;
        if (rt.tracing) rt.ev(0, 'dio_resume', `${left} bytes left, done_before ${written}`);
        continue;
      }
      break;
    }
    this.iolock.unlock(locked === 1);
    // A NOWAIT call resumed after a fault that would block returns -EAGAIN after earlier calls
    // wrote part of the request: the same candidate finding as the NOWAIT fallback below (the
    // candidate fix returns what was written; campaign seed -1721228710 run 32,671).
    if (ret === -EAGAIN && written > 0 && !this.quirks.genericNowaitEagainAfterPartial) {
      iocb.acct.eagainAfterPartial = true;
      return written;
    }
    // L1018-1022: an error other than -ENOTBLK, or nothing left, ends here.
    if ((ret < 0 && ret !== -ENOTBLK) || iovIterCount(from) === 0) return ret < 0 ? ret : written;
    // L1024-1034: buffered I/O may block, so a NOWAIT write returns -EAGAIN, also after its loop
    // wrote part of it (btrfs 6.12, a world quirk); the candidate fix returns what was written.
    if (iocb.kiFlags & IOCB_NOWAIT)
      return written > 0 && !this.quirks.genericNowaitEagainAfterPartial ? written : -EAGAIN;
    return yield* this.fallback(k, iocb, from, written);
  }

  /** L1036-1057: the rest through the page cache, written back and waited for, pages dropped. */
  private *fallback(k: Kernel, iocb: Kiocb, from: IovIter, written: number): KGen<number> {
    const rt = k.rt;
    const buffered = this.buffered;
    if (buffered === null) return written;
    const pos = iocb.kiPos;
    // L1036-1037: the rest goes where the direct part stopped, at ki_pos (a planted defect puts
    // it at the request's first byte, over what the direct part wrote).
    const at = this.quirks.genericFallbackAtRequestStart ? pos - written : pos;
    if (rt.tracing) rt.ev(0, 'btrfs_buffered_write', `fallback at ${at}, ${iovIterCount(from)} bytes`);
    // Model bookkeeping: the page cache holds this write's data for a while (other writes that
    // overlap it mix with the page cache, worldChecks.mixedWithPageCache).
    iocb.fellBackToBuffered = true;
    const n = yield* buffered.bufferedWrite(at, from);
    if (n < 0) return n;
    // L1046-1052: btrfs_fdatawrite_range and filemap_fdatawait_range of what it wrote.
    const ret = yield* this.inode.iMapping.writeAndWaitRange(rt, at, at + n - 1);
    if (ret) return ret;
    // L1053-1056
    iocb.kiPos = pos + n;
    buffered.invalidateMappingPages(at, at + n - 1);
    // An O_DSYNC write syncs what the page cache wrote (gfs2 L1142, L1157; btrfs_do_write_iter,
    // fs/btrfs/file.c L1491-1494).
    const synced = this.quirks.genericFallbackNoSync ? n : yield* genericWriteSync(rt, iocb, n, 0);
    if (synced < 0) return synced;
    return written + n;
  }

  /** btrfs_direct_read(), then btrfs_file_read_iter()'s filemap_read of what is left. */
  private *read(
    k: Kernel,
    iocb: Kiocb,
    to: IovIter,
    ops: IomapOps,
    dops: IomapDioOps | null,
    dioFlags: number,
  ): KGen<number> {
    const rt = k.rt;
    const locked = yield* this.lock(k, iocb, false, false);
    if (locked < 0) return locked;
    const resume = (dioFlags & IOMAP_DIO_PARTIAL) !== 0;
    let read = 0;
    let prevLeft = 0;
    let ret: number;
    for (let first = true; ; first = false) {
      ret = yield* this.attempt(k, iocb, to, ops, dops, dioFlags, read, resume, first);
      if (ret > 0) read = ret;
      const left = iovIterCount(to);
      // A count trimmed at the EOF the call sampled (seed L571, L675-676) leaves the rest in the
      // iter: btrfs and gfs2 6.12 call again at that EOF (a world quirk), where a file grown
      // meanwhile makes the call fail; the candidate fix ends the read there. That EOF is the
      // call's dio->i_size (model bookkeeping: i_size may grow between the call's start and L571).
      const sampled = iocb.acct.sampledSize ?? Number.POSITIVE_INFINITY;
      if (ret > 0 && iocb.kiPos >= sampled && !this.quirks.genericResumePastEof) break;
      // Inside that EOF, hole zeroing stops at the user page it could not fault in (iov_iter_zero,
      // 6.12.117 fs/iomap/direct-io.c L477-486), so the count may end inside a logical block, where
      // no bio may start (L317-319): gfs2 6.12 calls again there once it faulted the page in
      // (fs/gfs2/file.c L856-862; a world quirk) and returns -EINVAL after data moved if the block
      // was mapped meanwhile (L868-870); the candidate fix ends the direct part there and reads the
      // rest through the page cache. A page that is gone is not faulted in: gfs2 ends there too.
      if (ret > 0 && iocb.kiPos < sampled && (iocb.kiPos & (this.logicalBlockSize - 1)) !== 0) {
        const buf = to.buf;
        if (!this.quirks.genericResumeMidSector || buf.pageIndex(to.address) >= buf.unmappedFrom) break;
      }
      // L1127-1147: no progress since the last retry: the rest is left to buffered reads.
      if (resume && left > 0 && (ret === -EFAULT || ret > 0)) {
        if (left === prevLeft) {
          ret = read;
          break;
        }
        prevLeft = left;
        if (rt.tracing) rt.ev(0, 'dio_resume', `${left} bytes left, done_before ${read}`);
        continue;
      }
      break;
    }
    this.iolock.unlock(false);
    const result = ret < 0 ? ret : read;
    // fs/btrfs/file.c L3808-3814
    if (result < 0 || iovIterCount(to) === 0 || iocb.kiPos >= this.inode.iSize || this.buffered === null)
      return result;
    if (rt.tracing) rt.ev(0, 'filemap_read', `rest at ${iocb.kiPos}, ${iovIterCount(to)} bytes`);
    const pos = iocb.kiPos;
    iocb.acct.readFromCache = true;
    const r = yield* this.buffered.bufferedRead(pos, to, result, (iocb.kiFlags & IOCB_NOWAIT) !== 0);
    if (r > result) {
      iocb.kiPos = pos + r - result;
      // Model bookkeeping: the read then ends at the i_size filemap_read saw (mm/filemap.c
      // filemap_read), which another write's completion may have grown since seed L571; a NOWAIT
      // read that found nothing cached stays where the direct read stopped.
      iocb.acct.sampledSize = this.inode.iSize;
    }
    return r;
  }
}

/**
 * The accounting of an earlier iomap_dio_rw call of the same request, added to the current one.
 * An earlier call the loop went on from ended with a count or with -EFAULT (a bio error ends the
 * loop): its dio->error, -EFAULT at seed L690 when it moved nothing, was that call's result, which
 * the loop handled, not an error of the request, so firstError stays the current call's.
 */
function addAccounting(into: IocbAccounting, from: IocbAccounting): void {
  into.biosSubmitted += from.biosSubmitted;
  into.biosEnded += from.biosEnded;
  into.biosRefused += from.biosRefused;
  into.polledBios += from.polledBios;
  // A call that ended in -EFAULT may have seen a zeroing bio fail after the fault set dio->error
  // (seed L156: the first error stays), and the next call redoes that zeroing from the same
  // position: such an error is not the request's (campaign seed 104402115 run 20,830).
  if (!from.endedInFault) into.bioErrors.unshift(...from.bioErrors);
  into.dataBytesSubmitted += from.dataBytesSubmitted;
  into.preInvalidationFailed ||= from.preInvalidationFailed;
  into.partialFault ||= from.partialFault;
  into.pageGetFailed ||= from.pageGetFailed;
}
