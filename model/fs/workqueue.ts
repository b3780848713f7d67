/**
 * A workqueue and struct work_struct: INIT_WORK, queue_work (kernel/workqueue.c). Each queued item
 * runs in its own workqueue context, as an unbound WQ_MEM_RECLAIM queue with max_active > 1 lets
 * items of s_dio_done_wq run concurrently.
 */
import { GenContext, type KGen, type Program } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';

export class WorkStruct {
  func: ((work: WorkStruct) => KGen) | null = null;
  pending = false;
  /** The object embedding this work item, for container_of(). */
  constructor(readonly container: unknown) {}
}

export class Workqueue {
  queued = 0;
  constructor(
    private readonly rt: Runtime,
    readonly name: string,
  ) {}

  /** queue_work(): false if the item is already pending. */
  queueWork(work: WorkStruct): boolean {
    if (work.pending) return false;
    const func = work.func;
    if (func === null) return false;
    work.pending = true;
    this.queued++;
    const rt = this.rt;
    const ctx = new GenContext(this.name, 'workqueue');
    rt.spawn(ctx.startProgram(new ProcessOneWork(work, func)));
    return true;
  }
}

/**
 * A worker runs one item: process_one_work() clears PENDING before calling the function. The
 * worker's program (GenContext.startProgram) rather than a generator around the function: one
 * generator level fewer at each of its steps, the same steps.
 */
class ProcessOneWork implements Program {
  private started = false;
  constructor(
    private readonly work: WorkStruct,
    private readonly func: (work: WorkStruct) => KGen,
  ) {}

  /** Its only piece: the work function, once the item is no longer pending (in its first step). */
  next(): KGen | null {
    if (this.started) return null;
    this.started = true;
    this.work.pending = false;
    return this.func(this.work);
  }
}

export function initWork(work: WorkStruct, func: (work: WorkStruct) => KGen): void {
  work.func = func;
  work.pending = false;
}
