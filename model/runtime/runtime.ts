/**
 * The deterministic runtime: one choice stream, a scheduler stepping one runnable context at a time,
 * the checked heap, the trace, coverage marks and bounds.
 *
 * Everything nondeterministic in a run is a call to choose(); the recorded values replay the run
 * bit for bit. A one-way question (n < 2) is not asked and not recorded, so streams stay short.
 */
import { COVERAGE_POOL } from './arrayPool.ts';
import type { ChoiceSource, RecordedChoice } from './choice.ts';
import { type Context, type GenContext, type KGen, TASK_RUNNING, TASK_UNINTERRUPTIBLE } from './context.ts';
import { type FaultProfile, Faults, NO_FAULTS } from './faults.ts';
import { Heap } from './heap.ts';
import { formatTraceEntry, type TraceEntry } from './trace.ts';
import { BoundHit, PendingViolation, Violation } from './violation.ts';
import { noYield, yieldOnce } from './yieldPoint.ts';

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
  /** The run's fault profile, in the one shape every run's has (Faults). */
  readonly faults: Faults;
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
  /**
   * Does the caller of run() read `halted` after it (runScenario does)? Then a context may end the
   * run by setting `halted` instead of throwing through it: power failing at a device step, in a
   * quarter of a campaign's runs, where a throw cost V8 a message object and a stack walk (~3 µs).
   */
  halts = false;
  /** What ended the run at the end of the last step (see `halts`); run() returns at once. */
  halted: unknown = null;

  constructor(options: RuntimeOptions) {
    this.source = options.source;
    this.tracing = options.tracing ?? false;
    this.bounds = options.bounds ?? DEFAULT_BOUNDS;
    this.echo = options.echo ?? false;
    this.faults = Faults.of(options.faults ?? NO_FAULTS);
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
    insertAt(this.contexts, at, ctx);
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
  schedule(): KGen {
    const task = this.currentTask();
    if (task.state === TASK_RUNNING) return noYield();
    task.sleeping = true;
    return yieldOnce();
  }

  /** wake_up_process(): makes a sleeping task runnable, or cancels a pending sleep. */
  wakeUpProcess(task: GenContext): void {
    if (task.state === TASK_UNINTERRUPTIBLE) task.state = TASK_RUNNING;
    task.sleeping = false;
  }

  /** Block the current context until cond() holds (inode_dio_wait, waiting on a flush). */
  waitUntil(cond: () => boolean, reason: string): KGen {
    if (cond()) return noYield();
    const ctx = this.currentTask();
    ctx.waitFor = cond;
    ctx.waitReason = reason;
    return yieldOnce();
  }

  /**
   * Runs until no context can run. Returns normally at quiescence; throws Violation (a finding,
   * including PROG-01 when a context is left waiting) or BoundHit.
   */
  run(): void {
    const interleave = this.faults.interleave;
    for (;;) {
      // Without interleaving the first runnable context runs: the rest need not be asked (asking
      // is pure: a context's wait condition only reads the world).
      const n = interleave ? this.collectRunnable() : this.firstRunnable();
      if (n === 0) {
        this.checkNoDeadlock();
        return;
      }
      const pick = n === 1 ? 0 : this.choose(n, 'schedule');
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
      if (ctx.finished) removeAt(this.contexts, this.contexts.indexOf(ctx));
      if (this.halted !== null) return;
    }
  }

  private collectRunnable(): number {
    const contexts = this.contexts;
    let n = 0;
    for (let i = 0; i < contexts.length; i++) {
      const c = contexts[i] as Context;
      if (c.isRunnable()) this.runnable[n++] = c;
    }
    return n;
  }

  /** 1 with the first runnable context in runnable[0], or 0 if none can run. */
  private firstRunnable(): number {
    const contexts = this.contexts;
    for (let i = 0; i < contexts.length; i++) {
      const c = contexts[i] as Context;
      if (c.isRunnable()) {
        this.runnable[0] = c;
        return 1;
      }
    }
    return 0;
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

/*
 * In place, without splice: splice returns a new array of what it removed, an allocation at every
 * spawn, every finished context and every completed bio of a campaign run.
 */

/** Inserts `x` at index `at` (0 <= at <= a.length), moving the rest up. */
export function insertAt<T>(a: T[], at: number, x: T): void {
  let i = a.length;
  a.push(x);
  for (; i > at; i--) a[i] = a[i - 1] as T;
  a[at] = x;
}

/** Removes the entry at index `at` (nothing if it is out of range), moving the rest down. */
export function removeAt<T>(a: T[], at: number): void {
  if (at < 0 || at >= a.length) return;
  for (let i = at; i < a.length - 1; i++) a[i] = a[i + 1] as T;
  a.pop();
}
