/**
 * The deterministic runtime: one choice stream, a scheduler stepping one runnable context at a time,
 * the checked heap, the trace, coverage marks and bounds.
 *
 * Everything nondeterministic in a run is a call to choose(); the recorded values replay the run
 * bit for bit. A one-way question (n < 2) is not asked and not recorded, so streams stay short.
 */
import { COVERAGE_POOL } from './arrayPool.ts';
import type { ChoiceSource, RecordedChoice } from './choice.ts';
import { type Context, type GenContext, TASK_RUNNING, TASK_UNINTERRUPTIBLE } from './context.ts';
import { type FaultProfile, NO_FAULTS } from './faults.ts';
import { Heap } from './heap.ts';
import { formatTraceEntry, type TraceEntry } from './trace.ts';
import { BoundHit, PendingViolation, Violation } from './violation.ts';

/** Bounds on everything; hitting one ends the run as `bound`, never as a pass. */
export interface Bounds {
  readonly stepsMax: number;
  readonly biosPerDioMax: number;
  readonly contextsMax: number;
}

export const DEFAULT_BOUNDS: Bounds = { stepsMax: 20_000, biosPerDioMax: 64, contextsMax: 256 };

export interface RuntimeOptions {
  readonly source: ChoiceSource;
  readonly tracing?: boolean;
  readonly bounds?: Bounds;
  /** Print each trace entry as it happens (for debugging a hang). */
  readonly echo?: boolean;
  readonly faults?: FaultProfile;
}

/** Highest seed line (the seed has 756 numbered lines). */
export const SEED_LINES = 756;

export class Runtime {
  readonly heap: Heap;
  readonly tracing: boolean;
  readonly bounds: Bounds;
  readonly faults: FaultProfile;
  /** Every choice value, in order: the replay. */
  readonly choices: number[] = [];
  /** Labels and arities, recorded only when tracing (a replay file needs them). */
  readonly choiceLog: RecordedChoice[] = [];
  readonly trace: TraceEntry[] = [];
  /** Coverage marks: hits per seed line of each branch the model took. Always on: one increment. */
  readonly coverage = COVERAGE_POOL.take(SEED_LINES + 1, 0);
  step = 0;
  current: Context | null = null;
  private readonly contexts: Context[] = [];
  private readonly runnable: Context[] = [];
  private nextContextId = 0;
  private readonly source: ChoiceSource;
  private readonly echo: boolean;
  /**
   * The exhaustive explorer's hook for forget() (properties/explore/engine.ts); null in every
   * other run, where forget() is one test and changes nothing.
   */
  forgetHook: ((obj: object, field: string | null, keep: number | undefined) => void) | null = null;

  constructor(options: RuntimeOptions) {
    this.source = options.source;
    this.tracing = options.tracing ?? false;
    this.bounds = options.bounds ?? DEFAULT_BOUNDS;
    this.echo = options.echo ?? false;
    this.faults = options.faults ?? NO_FAULTS;
    this.heap = new Heap(this);
  }

  currentName(): string {
    return this.current === null ? 'world' : this.current.name;
  }

  /** The only source of nondeterminism. Option 0 is the uneventful one. */
  choose(n: number, label: string): number {
    if (n < 2) return 0;
    const v = this.source.next(n, label);
    this.choices.push(v);
    if (this.tracing) {
      this.choiceLog.push({ label, n, value: v });
      if (v !== 0) this.ev(0, 'choice', `${label} ${v}/${n}`);
    }
    return v;
  }

  /** Record a trace event. Call sites guard with `if (rt.tracing)` so nothing is built when off. */
  ev(line: number, event: string, detail = ''): void {
    const e: TraceEntry = { step: this.step, context: this.currentName(), line, event, detail };
    this.trace.push(e);
    if (this.echo) console.log(formatTraceEntry(e));
  }

  /**
   * A liveness annotation for the exhaustive explorer, with no effect on the run: what the running
   * context read of `obj` in its current step (the field `field`, or with null anything of the
   * component rooted at `obj`) is dead from here to its next yield and after, so the explorer's
   * view of the context (the stand-in for its generator's locals) leaves it out; `keep` is the
   * part of it that stays live (atomic_dec_and_test's verdict). Call it only where no later code
   * of the context depends on those values beyond `keep` (spec/runtime.md).
   */
  forget(obj: object, field: string | null = null, keep?: number): void {
    if (this.forgetHook !== null) this.forgetHook(obj, field, keep);
  }

  /** A coverage mark for the branch that starts at this seed line. */
  cover(line: number): void {
    this.coverage[line] = (this.coverage[line] ?? 0) + 1;
  }

  spawn<C extends Context>(ctx: C): C {
    if (this.contexts.length >= this.bounds.contextsMax) {
      throw new BoundHit('contextsMax', this.bounds.contextsMax);
    }
    ctx.id = ++this.nextContextId;
    // Keep contexts in rank order, creation order within a rank: option 0 picks the first.
    let at = this.contexts.length;
    while (at > 0) {
      const prev = this.contexts[at - 1];
      if (prev === undefined || prev.rank <= ctx.rank) break;
      at--;
    }
    this.contexts.splice(at, 0, ctx);
    return ctx;
  }

  /** The running context as a task (only tasks and other generator contexts sleep). */
  currentTask(): GenContext {
    return this.current as GenContext;
  }

  /** set_current_state(): the first half of the kernel's sleep protocol. */
  setCurrentState(state: number): void {
    this.currentTask().state = state;
  }

  /** schedule(): sleeps only if no wake-up came since set_current_state(). */
  *schedule(): Generator<void, void, void> {
    const task = this.currentTask();
    if (task.state !== TASK_RUNNING) {
      task.sleeping = true;
      yield;
    }
  }

  /** wake_up_process(): makes a sleeping task runnable, or cancels a pending sleep. */
  wakeUpProcess(task: GenContext): void {
    if (task.state === TASK_UNINTERRUPTIBLE) task.state = TASK_RUNNING;
    task.sleeping = false;
  }

  /** Block the current context until cond() holds (inode_dio_wait, waiting on a flush). */
  *waitUntil(cond: () => boolean, reason: string): Generator<void, void, void> {
    if (cond()) return;
    const ctx = this.currentTask();
    ctx.waitFor = cond;
    ctx.waitReason = reason;
    yield;
  }

  /**
   * Runs until no context can run. Returns normally at quiescence; throws Violation (a finding,
   * including PROG-01 when a context is left waiting) or BoundHit.
   */
  run(): void {
    for (;;) {
      const n = this.collectRunnable();
      if (n === 0) {
        this.checkNoDeadlock();
        return;
      }
      const pick = n === 1 || !this.faults.interleave ? 0 : this.choose(n, 'schedule');
      const ctx = this.runnable[pick] as Context;
      if (++this.step > this.bounds.stepsMax) throw new BoundHit('stepsMax', this.bounds.stepsMax);
      this.current = ctx;
      ctx.steps++;
      try {
        ctx.step();
      } catch (e) {
        if (e instanceof PendingViolation) throw new Violation(e.invariant, ctx.name, e.seedLine, e.detail);
        throw e;
      }
      this.current = null;
      if (ctx.finished) this.contexts.splice(this.contexts.indexOf(ctx), 1);
    }
  }

  private collectRunnable(): number {
    let n = 0;
    for (const c of this.contexts) {
      if (c.isRunnable()) this.runnable[n++] = c;
    }
    return n;
  }

  private checkNoDeadlock(): void {
    const stuck = this.contexts.filter((c) => c.isBlocked());
    if (stuck.length === 0) return;
    const names = stuck.map((c) => {
      const g = c as GenContext;
      return g.sleeping ? `${c.name} (asleep, never woken)` : `${c.name} (waiting: ${g.waitReason})`;
    });
    throw new Violation('PROG-01', stuck[0]?.name ?? 'world', 0, `no context can run; ${names.join(', ')}`);
  }

  /** Contexts still present (for end-of-run reports). */
  liveContexts(): readonly Context[] {
    return this.contexts;
  }
}
