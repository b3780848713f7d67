/**
 * The caller around iomap_dio_rw of the scripted filesystem when it behaves as a whole filesystem
 * (FsSpec.generic): the locking every real iomap user does so that sub-block zeroing never races
 * another direct write into the same block (seed L356-361, L428-435 leave that to the caller).
 *
 * Mirrors xfs_file_dio_write_unaligned (6.12.117 fs/xfs/xfs_file.c L640-700) in its exclusive form,
 * which XFS takes for every extending sub-block write: a write not aligned to the filesystem block
 * takes the inode lock exclusive, drains the direct I/O in flight (inode_dio_wait, L688-689) and
 * passes IOMAP_DIO_FORCE_WAIT (L661), so that it is the only direct I/O of the inode until it
 * completes. Block-aligned writes and reads take the lock shared (xfs_file_dio_write_aligned,
 * xfs_file_dio_read). A NOWAIT caller only tries the lock (xfs_ilock_iocb), and a NOWAIT sub-block
 * write is refused with -EAGAIN, as XFS refuses one that must wait (L657-660).
 */
import { EAGAIN, IOCB_NOWAIT, IOMAP_DIO_FORCE_WAIT } from '../kernel/flags.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { type IovIter, iovIterCount } from '../mm/iovIter.ts';
import type { KGen } from '../runtime/context.ts';
import type { IomapDioOps, IomapOps } from './iomap.ts';
import { RwSem } from './rwsem.ts';
import { inodeDioWait, type Inode, type Kiocb } from './vfs.ts';

export class GenericIomapCaller {
  readonly iolock = new RwSem('i_rwsem');

  constructor(
    private readonly inode: Inode,
    private readonly blockSize: number,
  ) {}

  /** A direct read or write through iomap_dio_rw under the inode lock. */
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
    const subBlock = write && ((iocb.kiPos | iovIterCount(iter)) & (this.blockSize - 1)) !== 0;
    const nowait = (iocb.kiFlags & IOCB_NOWAIT) !== 0;
    if (subBlock && nowait) return -EAGAIN;
    if (nowait) {
      if (!this.iolock.tryLock(false)) return -EAGAIN;
    } else {
      yield* this.iolock.lock(k.rt, subBlock);
    }
    let flags = dioFlags;
    if (subBlock) {
      yield* inodeDioWait(k.rt, this.inode);
      flags |= IOMAP_DIO_FORCE_WAIT;
    }
    const ret = yield* k.ops.iomapDioRw(k, iocb, iter, ops, dops, flags, doneBefore);
    this.iolock.unlock(subBlock);
    return ret;
  }
}
