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
import type { KGen } from '../runtime/context.ts';
import { RwSem } from './rwsem.ts';
import { inodeDioWait, type Kiocb } from './vfs.ts';
import type { ModelXfs } from './xfs.ts';

export class XfsFile {
  readonly iolock = new RwSem('xfs_iolock');
  constructor(readonly fs: ModelXfs) {}

  /** xfs_ilock_iocb(): a NOWAIT caller only tries the lock. */
  private *ilockIocb(k: Kernel, iocb: Kiocb, exclusive: boolean): KGen<number> {
    if (iocb.kiFlags & IOCB_NOWAIT) return this.iolock.tryLock(exclusive) ? 0 : -EAGAIN;
    yield* this.iolock.lock(k.rt, exclusive);
    return 0;
  }

  /** xfs_file_dio_read(). */
  *dioRead(k: Kernel, iocb: Kiocb, to: IovIter, dioFlags: number, doneBefore: number): KGen<number> {
    const ret = yield* this.ilockIocb(k, iocb, false);
    if (ret) return ret;
    const r = yield* k.ops.iomapDioRw(k, iocb, to, this.fs.readOps, null, dioFlags, doneBefore);
    this.iolock.unlock(false);
    return r;
  }

  /** xfs_file_dio_write(): device-aligned, then block-aligned or not. */
  *dioWrite(k: Kernel, iocb: Kiocb, from: IovIter, dioFlags: number, doneBefore: number): KGen<number> {
    const count = iovIterCount(from);
    const lbsMask = this.fs.disk.logicalBlockSize - 1;
    if ((iocb.kiPos | count) & lbsMask) return -EINVAL;
    if ((iocb.kiPos | count) & (this.fs.blockSize - 1))
      return yield* this.dioWriteUnaligned(k, iocb, from, doneBefore);
    const ret = yield* this.ilockIocb(k, iocb, false);
    if (ret) return ret;
    const r = yield* k.ops.iomapDioRw(
      k,
      iocb,
      from,
      this.fs.writeOps,
      this.fs.dioWriteOps,
      dioFlags,
      doneBefore,
    );
    this.iolock.unlock(false);
    return r;
  }

  /** xfs_file_dio_write_unaligned(). */
  private *dioWriteUnaligned(k: Kernel, iocb: Kiocb, from: IovIter, doneBefore: number): KGen<number> {
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
      // The only dio in flight: unwritten conversions of others must not race our zeroing.
      if (flags & IOMAP_DIO_FORCE_WAIT) yield* inodeDioWait(k.rt, this.fs.requireInode());
      const r = yield* k.ops.iomapDioRw(
        k,
        iocb,
        from,
        this.fs.writeOps,
        this.fs.dioWriteOps,
        flags,
        doneBefore,
      );
      this.iolock.unlock(exclusive);
      if (r === -EAGAIN && !(iocb.kiFlags & IOCB_NOWAIT) && !exclusive) {
        exclusive = true;
        flags = IOMAP_DIO_FORCE_WAIT;
        continue;
      }
      return r;
    }
  }
}
