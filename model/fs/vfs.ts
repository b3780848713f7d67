/**
 * The VFS objects the seed touches: inode (i_size, i_blkbits, i_dio_count, i_sb), super_block
 * (s_dio_done_wq), file, kiocb (ki_pos, ki_flags, ki_complete, private, dio_complete), and the
 * helpers is_sync_kiocb, iocb_is_dsync, i_size_read/write, inode_dio_begin/end, inode_dio_wait,
 * might_sleep (include/linux/fs.h, fs/inode.c, Linux 6.12).
 */
import { contextMaySleep, type KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { Violation } from '../runtime/violation.ts';
import { IOCB_DSYNC, IOCB_SYNC } from '../kernel/flags.ts';
import type { AddressSpace } from '../mm/pageCache.ts';
import type { Workqueue } from './workqueue.ts';

export class SuperBlock {
  /** s_dio_done_wq: created on first need by sb_init_dio_done_wq. */
  sDioDoneWq: Workqueue | null = null;
}

export class Inode {
  iSize: number;
  iDioCount = 0;
  iWriteHint = 0;
  /** mark_inode_dirty() calls, for inline-data writes. */
  dirtied = 0;
  constructor(
    readonly iSb: SuperBlock,
    /** log2 of the filesystem block size. */
    readonly iBlkbits: number,
    iSize: number,
    readonly iMapping: AddressSpace,
  ) {
    this.iSize = iSize;
  }
}

/** The file_operations entry the seed reaches: ->fsync, through generic_write_sync. */
export interface FileOperations {
  fsync(file: File, start: number, end: number, datasync: boolean): KGen<number>;
}

export interface File {
  readonly fInode: Inode;
  readonly fOp: FileOperations;
}

/** A kiocb's completion callback (aio_complete_rw, io_complete_rw). */
export type KiComplete = (iocb: Kiocb, res: number) => void;

/**
 * Model bookkeeping carried by a kiocb, not a kernel field: what happened to the request's bios,
 * kept outside the dio so that the checkers can read it after the dio is freed. Only the world
 * (disk, completion) writes it; the seed functions never read it.
 */
export class IocbAccounting {
  biosSubmitted = 0;
  biosEnded = 0;
  /** Bios a REQ_NOWAIT refusal ended inside submit_bio (BLK_STS_AGAIN): they did no I/O. */
  biosRefused = 0;
  polledBios = 0;
  /** Errnos (negative) of the bios that failed, in completion order. */
  readonly bioErrors: number[] = [];
  /** The first value stored into dio->error (0 if none). */
  firstError = 0;
  /** Bytes of data bios submitted (not zeroing bios). */
  dataBytesSubmitted = 0;
  /**
   * The page cache could not be invalidated before the write and the write went on as a direct
   * write all the same (kiocb_invalidate_pages failed under the planted B13; the kernel falls back).
   */
  preInvalidationFailed = false;
  /** The count was cut by a fault and IOMAP_DIO_PARTIAL made it a short result (seed L678-682). */
  partialFault = false;
  /**
   * A page-get of the user buffer failed (seed L388-396). Without IOMAP_DIO_PARTIAL the request
   * cannot complete: its next iteration faults again, or its next mapping is refused first (ARG-02).
   */
  pageGetFailed = false;
  /**
   * The i_size __iomap_dio_rw sampled at seed L571 (dio->i_size), which bounds what a read
   * reports (or the one a caller's page-cache read finishing it saw); null before it ran. i_size
   * may have grown since the request was issued.
   */
  sampledSize: number | null = null;
  /** A caller finished this read from the page cache (filemap_read), which may stop short. */
  readFromCache = false;
  /** A caller's resume loop: this iomap_dio_rw call returned -EFAULT (model/fs/genericCaller.ts). */
  endedInFault = false;
  /** A caller's resume loop turned this call's NOWAIT -EAGAIN into the count written before it. */
  eagainAfterPartial = false;
}

export class Kiocb {
  /** Accounting of the current attempt: a filesystem may call iomap_dio_rw again (XFS's retry). */
  acct = new IocbAccounting();
  /** Model bookkeeping: the filesystem redid this direct write as a buffered one (-ENOTBLK). */
  fellBackToBuffered = false;
  kiPos: number;
  kiFlags: number;
  /** NULL for a synchronous kiocb (is_sync_kiocb). */
  kiComplete: KiComplete | null;
  kiIoprio = 0;
  /** iocb->private: the polled bio, or the dio for caller completion. */
  private: unknown = null;
  /** iocb->dio_complete: set by iomap for IOCB_DIO_CALLER_COMP. */
  dioComplete: ((data: unknown) => KGen<number>) | null = null;
  constructor(
    readonly kiFilp: File,
    pos: number,
    flags: number,
    kiComplete: KiComplete | null,
  ) {
    this.kiPos = pos;
    this.kiFlags = flags;
    this.kiComplete = kiComplete;
  }
}

export function fileInode(f: File): Inode {
  return f.fInode;
}

export function isSyncKiocb(iocb: Kiocb): boolean {
  return iocb.kiComplete === null;
}

export function iocbIsDsync(iocb: Kiocb): boolean {
  return (iocb.kiFlags & (IOCB_DSYNC | IOCB_SYNC)) !== 0;
}

export function iSizeRead(inode: Inode): number {
  return inode.iSize;
}

export function iSizeWrite(inode: Inode, size: number): void {
  inode.iSize = size;
}

export function iBlocksize(inode: Inode): number {
  return 1 << inode.iBlkbits;
}

export function inodeDioBegin(inode: Inode): void {
  inode.iDioCount++;
}

/** inode_dio_end(): a count below zero is LIFE-06 (unbalanced begin/end). */
export function inodeDioEnd(rt: Runtime, inode: Inode, seedLine: number): void {
  if (inode.iDioCount <= 0) {
    throw new Violation('LIFE-06', rt.currentName(), seedLine, 'inode_dio_end without inode_dio_begin');
  }
  inode.iDioCount--;
}

/**
 * inode_dio_wait(): sleep until no direct I/O is in flight on the inode. The runtime's wait itself,
 * not a generator around it (one generator fewer per call; model/runtime/yieldPoint.ts).
 */
export function inodeDioWait(rt: Runtime, inode: Inode): KGen {
  return rt.waitUntil(() => inode.iDioCount === 0, 'inode_dio_wait');
}

/** might_sleep(): code that can block must not run in bio completion (interrupt) context. */
export function mightSleep(rt: Runtime, what: string, seedLine: number): void {
  const ctx = rt.current;
  if (ctx !== null && !contextMaySleep(ctx.kind)) {
    throw new Violation('CTX-01', ctx.name, seedLine, `${what} may sleep but runs in interrupt context`);
  }
}

/**
 * generic_write_sync() (include/linux/fs.h): for a DSYNC iocb, fsync the range just written
 * (fdatasync semantics unless IOCB_SYNC); returns the count or the fsync error.
 */
export function* genericWriteSync(rt: Runtime, iocb: Kiocb, count: number, seedLine: number): KGen<number> {
  if (iocbIsDsync(iocb)) {
    mightSleep(rt, 'generic_write_sync', seedLine);
    const file = iocb.kiFilp;
    const ret = yield* file.fOp.fsync(
      file,
      iocb.kiPos - count,
      iocb.kiPos - 1,
      (iocb.kiFlags & IOCB_SYNC) === 0,
    );
    if (ret) return ret;
  }
  return count;
}
