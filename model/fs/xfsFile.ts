/**
 * The file operations above iomap_dio_rw, as XFS has them (fs/xfs/xfs_file.c, Linux 6.12):
 * xfs_file_dio_read (IOLOCK shared), xfs_file_dio_write with its aligned path (IOLOCK shared) and
 * unaligned path (first OVERWRITE_ONLY under the shared lock, then retried exclusive with
 * inode_dio_wait and IOMAP_DIO_FORCE_WAIT, so sub-block zeroing never races another dio; unaligned
 * writes to a reflinked file bounce to buffered I/O with -ENOTBLK), and xfs_file_fsync.
 */
import {
  EAGAIN,
  EINVAL,
  ENOTBLK,
  IOCB_NOWAIT,
  IOMAP_DIO_FORCE_WAIT,
  IOMAP_DIO_OVERWRITE_ONLY,
} from '../kernel/flags.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { type IovIter, iovIterCount } from '../mm/iovIter.ts';
import type { UserBuffer } from '../mm/userBuffer.ts';
import type { KGen } from '../runtime/context.ts';
import { after, returnNow } from '../runtime/yieldPoint.ts';
import { RwSem } from './rwsem.ts';
import { genericWriteSync, IocbAccounting, inodeDioWait, type Kiocb } from './vfs.ts';
import type { ModelXfs } from './xfs.ts';

/** The page-cache paths the direct write path uses: the -ENOTBLK fallback, and EOF zeroing. */
export interface BufferedFallback {
  bufferedWrite(pos: number, len: number, buf: UserBuffer): KGen<number>;
  /**
   * xfs_zero_range(ip, isize, pos - isize): zero [isize, pos) in the page cache; without `pos`, the
   * old EOF block past `isize` only (ext4's EOF-block tail zeroing).
   */
  zeroEofGap(isize: number, pos?: number): KGen<number>;
}

export class XfsFile {
  readonly iolock = new RwSem('xfs_iolock');
  fallback: BufferedFallback | null = null;
  constructor(readonly fs: ModelXfs) {}

  /**
   * xfs_file_write_iter() for O_DIRECT: a direct write that returns -ENOTBLK (page cache could not
   * be invalidated, or an unaligned write to a reflinked file) is redone as a buffered write.
   */
  *writeIter(k: Kernel, iocb: Kiocb, from: IovIter, dioFlags: number, doneBefore: number): KGen<number> {
    // xfs_file_write_iter (6.12.117 fs/xfs/xfs_file.c L846-847): an empty write returns 0 before
    // any check, so a misaligned one is not refused (io_submit passes it down; the oracle saw 0).
    if (iovIterCount(from) === 0) return 0;
    const ret = yield* this.dioWrite(k, iocb, from, dioFlags, doneBefore);
    if (ret !== -ENOTBLK || this.fallback === null) return ret;
    if (k.rt.tracing) k.rt.ev(0, 'xfs_file_buffered_write', 'fallback from -ENOTBLK');
    iocb.fellBackToBuffered = true;
    const n = yield* this.fallback.bufferedWrite(iocb.kiPos, iovIterCount(from), from.buf);
    if (n <= 0) return n;
    iocb.kiPos += n;
    // xfs_file_buffered_write(): a DSYNC write syncs what it wrote.
    return yield* genericWriteSync(k.rt, iocb, n, 0);
  }

  /**
   * xfs_ilock_iocb(): a NOWAIT caller only tries the lock. Without a generator (yieldPoint.ts
   * after): the lock's own steps, then 0.
   */
  private ilockIocb(k: Kernel, iocb: Kiocb, exclusive: boolean): KGen<number> {
    if (iocb.kiFlags & IOCB_NOWAIT) return returnNow(this.iolock.tryLock(exclusive) ? 0 : -EAGAIN);
    return after(this.iolock.lock(k.rt, exclusive), 0);
  }

  /** xfs_file_dio_read(). */
  *dioRead(k: Kernel, iocb: Kiocb, to: IovIter, dioFlags: number, doneBefore: number): KGen<number> {
    // 6.12.117 fs/xfs/xfs_file.c L240-241: an empty read returns 0 before the lock.
    if (iovIterCount(to) === 0) return 0;
    const ret = yield* this.ilockIocb(k, iocb, false);
    if (ret) return ret;
    const r = yield* k.ops.iomapDioRw(k, iocb, to, this.fs.readOps, null, dioFlags, doneBefore);
    this.iolock.unlock(false);
    return r;
  }

  /**
   * xfs_file_dio_write(): device-aligned, then block-aligned or not. It only picks a path, so it
   * gives its caller's `yield*` that path's KGen (yieldPoint.ts): the same steps, a chain level
   * fewer at each of the path's yields.
   */
  dioWrite(k: Kernel, iocb: Kiocb, from: IovIter, dioFlags: number, doneBefore: number): KGen<number> {
    const count = iovIterCount(from);
    const lbsMask = this.fs.disk.logicalBlockSize - 1;
    if ((iocb.kiPos | count) & lbsMask) return returnNow(-EINVAL);
    if ((iocb.kiPos | count) & (this.fs.blockSize - 1))
      return this.dioWriteUnaligned(k, iocb, from, dioFlags, doneBefore);
    return this.dioWriteShared(k, iocb, from, dioFlags, doneBefore);
  }

  /** xfs_file_dio_write_aligned(): IOLOCK shared across the I/O. */
  private *dioWriteShared(
    k: Kernel,
    iocb: Kiocb,
    from: IovIter,
    dioFlags: number,
    doneBefore: number,
  ): KGen<number> {
    const ret = yield* this.ilockIocb(k, iocb, false);
    if (ret) return ret;
    const chk = yield* this.writeChecks(k, iocb, false);
    if (chk.ret) {
      this.iolock.unlock(chk.exclusive);
      return chk.ret;
    }
    // The exclusive lock is not needed across the I/O: demote it back to shared.
    if (chk.exclusive) this.iolock.demote();
    const ops = this.fs;
    const r = yield* k.ops.iomapDioRw(k, iocb, from, ops.writeOps, ops.dioWriteOps, dioFlags, doneBefore);
    // A planted defect: the error path forgets the unlock.
    if (!(r < 0 && this.fs.quirks.xfsKeepIolockOnError)) this.iolock.unlock(false);
    return r;
  }

  /**
   * xfs_file_write_checks() / xfs_file_write_zero_eof(): a write that starts past EOF takes the
   * IOLOCK exclusive, drains direct I/O in flight (inode_dio_wait), since AIO completions may still
   * move EOF, and zeroes the gap between EOF and the write in the page cache (xfs_zero_range: the
   * old EOF block's tail, and written blocks past it that a lost size update left, spec/fs.md
   * "Initial states"; left dirty for writeback: 6.12 fs/xfs/xfs_file.c xfs_file_write_zero_eof,
   * found missing by the real-kernel oracle).
   */
  *writeChecks(k: Kernel, iocb: Kiocb, exclusive: boolean): KGen<{ ret: number; exclusive: boolean }> {
    if (iocb.kiPos <= this.fs.inodeSize()) return { ret: 0, exclusive };
    if (iocb.kiFlags & IOCB_NOWAIT) return { ret: -EAGAIN, exclusive };
    if (!exclusive) {
      this.iolock.unlock(false);
      // Another task may take the IOLOCK between the unlock and the relock (xfs-relock-no-yield).
      yield;
      yield* this.iolock.lock(k.rt, true);
    }
    yield* inodeDioWait(k.rt, this.fs.requireInode());
    const isize = this.fs.inodeSize();
    if (this.fallback !== null && iocb.kiPos > isize) {
      this.fs.freeWrittenPastEof(isize);
      const r = yield* this.fallback.zeroEofGap(isize, iocb.kiPos);
      if (r < 0) return { ret: r, exclusive: true };
      // Candidate fix F3 (spec/fs.md): write the zeroing back before the write can grow the file,
      // as xfs_setattr_size does for a truncate up (6.12.117 fs/xfs/xfs_iops.c L910-916); 6.12
      // leaves it dirty, and an O_(D)SYNC write syncs only its own range and logs the new size.
      const mapping = this.fs.requireInode().iMapping;
      if (this.fs.eofGapFixed && mapping.rangeNeedsWriteback(isize, iocb.kiPos - 1)) {
        const ret = yield* mapping.writeAndWaitRange(k.rt, isize, iocb.kiPos - 1);
        if (ret < 0) return { ret, exclusive: true };
      }
    }
    return { ret: 0, exclusive: true };
  }

  /** xfs_file_dio_write_unaligned(). */
  private *dioWriteUnaligned(
    k: Kernel,
    iocb: Kiocb,
    from: IovIter,
    extraFlags: number,
    doneBefore: number,
  ): KGen<number> {
    // A planted defect (B24): sub-block writes treated like aligned ones, with no serialisation.
    if (this.fs.quirks.xfsNoUnalignedSerialisation)
      return yield* this.dioWriteShared(k, iocb, from, 0, doneBefore);
    const isize = this.fs.inodeSize();
    const count = iovIterCount(from);
    let exclusive = false;
    let flags = IOMAP_DIO_OVERWRITE_ONLY;
    // Extending writes always zero a partial tail block: go exclusive at once.
    if (iocb.kiPos > isize || iocb.kiPos + count >= isize) {
      if (iocb.kiFlags & IOCB_NOWAIT) return -EAGAIN;
      exclusive = true;
      flags = IOMAP_DIO_FORCE_WAIT;
    }
    for (;;) {
      const ret = yield* this.ilockIocb(k, iocb, exclusive);
      if (ret) return ret;
      if (this.fs.isReflinked()) {
        this.iolock.unlock(exclusive);
        return -ENOTBLK;
      }
      const chk = yield* this.writeChecks(k, iocb, exclusive);
      exclusive = chk.exclusive;
      if (chk.ret) {
        this.iolock.unlock(exclusive);
        return chk.ret;
      }
      // The only dio in flight: unwritten conversions of others must not race our zeroing.
      if (flags & IOMAP_DIO_FORCE_WAIT) {
        // 6.12.117 fs/xfs/xfs_file.c L491: xfs_file_write_checks ended in kiocb_modified
        // (file_update_time), which may start a transaction and sleep: another dio's ->end_io may
        // grow i_size after the checks read it (spec/atomicity.md).
        yield;
        yield* inodeDioWait(k.rt, this.fs.requireInode());
      }
      const r = yield* k.ops.iomapDioRw(
        k,
        iocb,
        from,
        this.fs.writeOps,
        this.fs.dioWriteOps,
        flags | extraFlags,
        doneBefore,
      );
      this.iolock.unlock(exclusive);
      if (r === -EAGAIN && !(iocb.kiFlags & IOCB_NOWAIT) && !exclusive) {
        // 6.12.117 fs/xfs/xfs_file.c L700-703: retry exclusively. Between the unlock above and
        // the relock at L664 another task (a truncate, another writer) may take the IOLOCK
        // (spec/atomicity.md, xfs-relock-no-yield).
        exclusive = true;
        flags = IOMAP_DIO_FORCE_WAIT;
        // Model bookkeeping: the retry is a new attempt even if it fails before its dio (in
        // xfs_file_write_checks' zeroing writeback), so no checker reads the last one's errors.
        iocb.acct = new IocbAccounting();
        yield;
        continue;
      }
      return r;
    }
  }
}
