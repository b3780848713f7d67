/**
 * The kernel environment every seed function receives: the runtime (choices, heap, trace), the
 * table of seed functions through which they call each other, and BIO_MAX_VECS.
 *
 * The table is the one seam for planted bugs: a bug replaces one entry with a changed copy (or a
 * small predicate entry), and the correct model carries no bug checks. Calls between seed functions
 * go through `k.ops`, calls to kernel services outside the seed are direct.
 */
import type { Bio } from '../block/bio.ts';
import type { Iomap, IomapDioOps, IomapIter, IomapOps } from '../fs/iomap.ts';
import type { Kiocb } from '../fs/vfs.ts';
import type { WorkStruct } from '../fs/workqueue.ts';
import type { IovIter } from '../mm/iovIter.ts';
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { WorldQuirks } from '../world/quirks.ts';
import type { IomapDio } from './iomapDio.ts';

export interface KernelOps {
  iomapDioAllocBio(k: Kernel, iter: IomapIter, dio: IomapDio, nrVecs: number, opf: number): Bio;
  iomapDioSubmitBio(k: Kernel, iter: IomapIter, dio: IomapDio, bio: Bio, pos: number): KGen;
  iomapDioComplete(k: Kernel, dio: IomapDio): KGen<number>;
  iomapDioDeferredComplete(k: Kernel, data: unknown): KGen<number>;
  iomapDioCompleteWork(k: Kernel, work: WorkStruct): KGen;
  iomapDioSetError(k: Kernel, dio: IomapDio, ret: number): KGen;
  iomapDioBioEndIo(k: Kernel, bio: Bio): KGen;
  /** Returns nothing in the seed and 6.12.118, an errno or 0 in 6.12.107-117. */
  // biome-ignore lint/suspicious/noConfusingVoidType: one signature for the seed's void iomap_dio_zero and 6.12.107-117's int one
  iomapDioZero(k: Kernel, iter: IomapIter, dio: IomapDio, pos: number, len: number): KGen<number | void>;
  /** Seed L73 as its own entry: bio_set_polled (seed, 6.12.107) or REQ_POLLED alone (6.12.111 on). */
  iomapDioSubmitBioMarkPolled(k: Kernel, bio: Bio, iocb: Kiocb): void;
  /** Seed L358-360 as its own entry: head zeroing; an errno ends the iteration (6.12.107-117). */
  iomapDioBioIterZeroHeadPad(
    k: Kernel,
    iter: IomapIter,
    dio: IomapDio,
    pos: number,
    pad: number,
  ): KGen<number>;
  /** Seed L432-434 as its own entry: tail zeroing; returns the iteration's `ret` afterwards. */
  iomapDioBioIterZeroTailPad(
    k: Kernel,
    iter: IomapIter,
    dio: IomapDio,
    pos: number,
    pad: number,
    ret: number,
  ): KGen<number>;
  iomapDioBioOpflags(k: Kernel, dio: IomapDio, iomap: Iomap, useFua: boolean): number;
  iomapDioBioIter(k: Kernel, iter: IomapIter, dio: IomapDio): KGen<number>;
  /** Seed L359's head-zeroing test as its own entry (a candidate finding's seam). */
  iomapDioBioIterZeroHead(k: Kernel, dio: IomapDio, pos: number): boolean;
  /** Seed L397's jump to zero_tail as its own entry (the seam of B03). */
  iomapDioBioIterZeroTailAfterShortGet(k: Kernel): boolean;
  /** Seed L717's test as its own entry (the seam of B02). */
  iomapDioRwWaits(k: Kernel, dio: IomapDio, waitForCompletion: boolean): boolean;
  /** Seed L587's test as its own entry (the seam of B10): does the read start at or past i_size? */
  iomapDioRwReadPastEof(k: Kernel, dio: IomapDio, pos: number): boolean;
  /** Seed L649's test as its own entry: does the dio need s_dio_done_wq? */
  iomapDioRwNeedsDoneWq(k: Kernel, dio: IomapDio, waitForCompletion: boolean): boolean;
  /** Seed L678's error test as its own entry: which error after data moved ends a PARTIAL request short? */
  iomapDioRwPartialStops(k: Kernel, iocb: Kiocb, ret: number): boolean;
  /** Seed L679's test as its own entry: does a PARTIAL request that faulted part way wait? */
  iomapDioRwPartialWaits(k: Kernel, iocb: Kiocb): boolean;
  /** Seed L685's test as its own entry: does a -ENOTBLK from the iteration become a short result? */
  iomapDioRwFallsBack(k: Kernel, dio: IomapDio): boolean;
  /** Seed L305's test as its own entry (the seam of B06). */
  iomapDioBioIterPureOverwrite(k: Kernel, iomap: Iomap): boolean;
  /** Where s_dio_done_wq is created (seed L649-653: writes only; 6.12.117 L681-686: reads too). */
  iomapDioRwDoneWqForReads(k: Kernel): boolean;
  /** Seed L374-375 as its own entry, so that the upstream fix of B01 can replace it. */
  iomapDioBioIterUnwind(k: Kernel, submitIter: IovIter, copied: number): number;
  iomapDioHoleIter(k: Kernel, iter: IomapIter, dio: IomapDio): KGen<number>;
  iomapDioInlineIter(k: Kernel, iomi: IomapIter, dio: IomapDio): KGen<number>;
  iomapDioIter(k: Kernel, iter: IomapIter, dio: IomapDio): KGen<number>;
  __iomapDioRw(
    k: Kernel,
    iocb: Kiocb,
    iter: IovIter,
    ops: IomapOps,
    dops: IomapDioOps | null,
    dioFlags: number,
    doneBefore: number,
  ): KGen<IomapDio | number | null>;
  iomapDioRw(
    k: Kernel,
    iocb: Kiocb,
    iter: IovIter,
    ops: IomapOps,
    dops: IomapDioOps | null,
    dioFlags: number,
    doneBefore: number,
  ): KGen<number>;
  /**
   * Not a seed function: where the filesystems of a release setting run other code than the
   * correct world's (6.12's ext4 before a fix the correct model takes, or before a stable backport
   * a later release has), the world quirks that select that code (model/kernel/ops.ts
   * RELEASE_WORLD). The world applies them under any planted quirks (model/world/run.ts).
   */
  readonly releaseWorld?: WorldQuirks;
}

export interface Kernel {
  readonly rt: Runtime;
  readonly ops: KernelOps;
  /** BIO_MAX_VECS: pages per bio. The kernel's is 256; small values make multi-bio dios common. */
  readonly bioMaxVecs: number;
  /** bio->bi_end_io = iomap_dio_bio_end_io, bound once so that no closure is built per bio. */
  readonly bioEndIo: (bio: Bio) => KGen;
  /** The work function INIT_WORK installs: iomap_dio_complete_work. */
  readonly completeWork: (work: WorkStruct) => KGen;
  /** iocb->dio_complete = iomap_dio_deferred_complete. */
  readonly deferredComplete: (data: unknown) => KGen<number>;
}

/** The kernel environment of one run: its entry points are bound once here, not per bio. */
class KernelEnv implements Kernel {
  readonly bioEndIo: (bio: Bio) => KGen;
  readonly completeWork: (work: WorkStruct) => KGen;
  readonly deferredComplete: (data: unknown) => KGen<number>;

  constructor(
    readonly rt: Runtime,
    readonly ops: KernelOps,
    readonly bioMaxVecs: number,
  ) {
    // Assigned, not written as properties of an object literal: under tsx (esbuild's keepNames) a
    // function a literal names costs an Object.defineProperty call, and a world builds one kernel.
    this.bioEndIo = (bio) => this.ops.iomapDioBioEndIo(this, bio);
    this.completeWork = (work) => this.ops.iomapDioCompleteWork(this, work);
    this.deferredComplete = (data) => this.ops.iomapDioDeferredComplete(this, data);
  }
}

/** Builds the kernel environment over a runtime and an ops table (the correct one, or a bug's). */
export function makeKernel(rt: Runtime, ops: KernelOps, bioMaxVecs: number): Kernel {
  return new KernelEnv(rt, ops, bioMaxVecs);
}
