/**
 * A workqueue and struct work_struct: INIT_WORK, queue_work (kernel/workqueue.c). Each queued item
 * runs in its own workqueue context, as an unbound WQ_MEM_RECLAIM queue with max_active > 1 lets
 * items of s_dio_done_wq run concurrently.
 */
import { GenContext, type KGen } from '../runtime/context.ts';
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
    rt.spawn(ctx.start(processOneWork(work, func)));
    return true;
  }
}

/**
 * A worker runs one item: process_one_work() clears PENDING before calling the function. Declared
 * once, not per item (under tsx each named function expression costs a defineProperty call).
 */
function* processOneWork(work: WorkStruct, func: (work: WorkStruct) => KGen): KGen {
  work.pending = false;
  yield* func(work);
}

export function initWork(work: WorkStruct, func: (work: WorkStruct) => KGen): void {
  work.func = func;
  work.pending = false;
}
