/**
 * Execution contexts: the submitting task, each bio's completion (interrupt), the completion
 * workqueue, the io_uring issuer, and the device.
 *
 * Kernel code runs as generator functions (KGen) that yield wherever another context could run in
 * the kernel: around atomics, after submit_bio, before sleeping, around WRITE_ONCE/READ_ONCE. A task
 * sleeps the kernel's way (set_current_state, then schedule only if nobody woke it in between), so a
 * lost wake-up is a reachable deadlock. Service contexts (workqueue, issuer, device) are idle, not
 * blocked, when they have nothing to do.
 */

/** A kernel code path: yields at interleaving points, returns its C return value. */
export type KGen<T = void> = Generator<void, T, void>;

/**
 * Kinds in scheduling rank order: option 0 of a scheduling choice runs the first runnable context in
 * this order (an interrupt preempts, then the waiting task resumes, then deferred work, then the
 * device moves), which makes the all-zeros schedule the plain one.
 */
export type ContextKind = 'irq' | 'task' | 'issuer' | 'workqueue' | 'device';

export const CONTEXT_RANK: Readonly<Record<ContextKind, number>> = {
  irq: 0,
  task: 1,
  issuer: 2,
  workqueue: 3,
  device: 4,
};

/** May code running in this kind of context sleep? Interrupt (bio completion) context may not. */
export function contextMaySleep(kind: ContextKind): boolean {
  return kind !== 'irq';
}

export abstract class Context {
  id = 0;
  finished = false;
  /**
   * Steps this context has taken (the runtime counts them): with the world's data, the explorer's
   * stand-in for the generator's position, which no state fingerprint can read (properties/explore).
   */
  steps = 0;
  constructor(
    readonly name: string,
    readonly kind: ContextKind,
  ) {}
  /** CONTEXT_RANK[kind], by a switch: a keyed load by a kind that varies was a stub-cache lookup. */
  get rank(): number {
    switch (this.kind) {
      case 'irq':
        return CONTEXT_RANK.irq;
      case 'task':
        return CONTEXT_RANK.task;
      case 'issuer':
        return CONTEXT_RANK.issuer;
      case 'workqueue':
        return CONTEXT_RANK.workqueue;
      default:
        return CONTEXT_RANK.device;
    }
  }
  abstract isRunnable(): boolean;
  /** Is it waiting on something (a deadlock if nothing else can run), rather than idle? */
  abstract isBlocked(): boolean;
  abstract step(): void;
}

export const TASK_RUNNING = 0;
export const TASK_UNINTERRUPTIBLE = 2;

/**
 * What a task runs one piece after another within its steps, as a generator looping over calls to
 * generators would, one generator level fewer at every step (a campaign run's tasks are most of its
 * steps): when a piece returns, the next one starts in the same step.
 */
export interface Program {
  /** The piece after the one that returned `result` (undefined before the first); null at the end. */
  next(result: unknown): KGen<unknown> | null;
}

/** A context that runs one generator to its end: a task, an interrupt, a work item, the issuer. */
export class GenContext extends Context {
  /** __state of a task_struct: TASK_RUNNING or TASK_UNINTERRUPTIBLE. */
  state = TASK_RUNNING;
  /** Asleep in schedule(); only wake_up_process makes it runnable again. */
  sleeping = false;
  /** Waiting for a condition the model polls (inode_dio_wait, a bio the task waits on). */
  waitFor: (() => boolean) | null = null;
  /** What the context is waiting for, for deadlock reports. */
  waitReason = '';
  /**
   * A task at a point where it runs its task_work: returning to user space between two system
   * calls, or waiting in io_uring_enter (TaskWork).
   */
  runsTaskWork = false;
  /*
   * What runs, in private (#) fields: the explorer's fingerprints walk a context's own fields, and
   * a generator shows them nothing of its position (the step counter stands in for it).
   */
  #gen: KGen<unknown> | null = null;
  /**
   * #gen's next, read once per piece: the generators of a hundred functions and the yieldPoint.ts
   * objects each have their own map, so `gen.next` at every step was a megamorphic load.
   */
  #next: (() => IteratorResult<void, unknown>) | null = null;
  #program: Program | null = null;

  start(gen: KGen): this {
    this.#gen = gen;
    this.#next = gen.next;
    return this;
  }

  /** Runs `program`'s pieces one after another (its first piece starts at the first step). */
  startProgram(program: Program): this {
    this.#program = program;
    return this;
  }

  isRunnable(): boolean {
    if (this.finished || this.sleeping) return false;
    return this.waitFor === null || this.waitFor();
  }

  isBlocked(): boolean {
    return !this.finished;
  }

  step(): void {
    // The condition held when this context was picked; the wait is over only now that it runs.
    this.waitFor = null;
    this.waitReason = '';
    const program = this.#program;
    if (program === null) {
      const gen = this.#gen;
      if (gen === null || (this.#next as () => IteratorResult<void, unknown>).call(gen).done)
        this.finished = true;
      return;
    }
    let gen = this.#gen;
    let next = this.#next;
    let result: unknown;
    for (;;) {
      if (gen === null) {
        gen = program.next(result);
        this.#gen = gen;
        if (gen === null) {
          this.finished = true;
          return;
        }
        next = gen.next;
        this.#next = next;
      }
      const r = (next as () => IteratorResult<void, unknown>).call(gen);
      if (r.done !== true) return;
      result = r.value;
      gen = null;
      this.#gen = null;
    }
  }
}

/**
 * Work queued on a task with task_work_add (io_uring's completion of a request whose issuer set
 * IOCB_DIO_CALLER_COMP: 6.12.117 io_uring/rw.c io_complete_rw queues io_req_rw_complete). It runs
 * in that task, and only where the task runs its task_work: when it returns to user space or waits
 * in io_uring_enter. A task blocked in the kernel (on the inode lock, in inode_dio_wait) never runs
 * it, nor does any other context. Modelled as a context of its own that may run only while its
 * task is at such a point (the task waits there until its pending work has run) or has exited.
 */
export class TaskWork extends GenContext {
  constructor(
    name: string,
    readonly owner: GenContext,
  ) {
    super(name, 'issuer');
  }

  override isRunnable(): boolean {
    return (this.owner.finished || this.owner.runsTaskWork) && super.isRunnable();
  }
}
