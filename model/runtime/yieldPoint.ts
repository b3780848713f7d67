/**
 * Yield points without a generator object. The runtime's small helpers that a kernel function
 * delegates to at an interleaving point (barrier, the atomics, waitUntil, schedule, a lock) yield
 * at most once, and a campaign run calls a dozen or more of them: as generator functions each call
 * allocated a generator and resumed it twice (measured: ~200 ns a call against ~60 ns for these
 * objects). A caller delegates to them exactly as to a generator (`yield* barrier()`), and what
 * happens is the same, step for step: `yield*` takes the first result at once, so work a helper
 * did in its generator body before the yield may run when the helper is called.
 *
 * Results are shared constants: `yield*` reads `done` and `value` of each result and keeps none.
 */
import type { KGen } from './context.ts';

const YIELDED: IteratorYieldResult<void> = Object.freeze({ value: undefined, done: false });
const RETURNED: IteratorReturnResult<void> = Object.freeze({ value: undefined, done: true });
const RETURNED_TRUE: IteratorReturnResult<boolean> = Object.freeze({ value: true, done: true });
const RETURNED_FALSE: IteratorReturnResult<boolean> = Object.freeze({ value: false, done: true });

function returned<T>(value: T): IteratorReturnResult<T> {
  if (value === undefined) return RETURNED as IteratorReturnResult<T>;
  if (value === true) return RETURNED_TRUE as IteratorReturnResult<T>;
  if (value === false) return RETURNED_FALSE as IteratorReturnResult<T>;
  return { value, done: true };
}

/** A KGen that yields once and then returns `value` (a one-yield generator's whole life). */
class YieldOnce<T> implements KGen<T> {
  private yielded = false;
  constructor(private readonly value: T) {}

  next(): IteratorResult<void, T> {
    if (this.yielded) return returned(this.value);
    this.yielded = true;
    return YIELDED;
  }

  return(value: T): IteratorResult<void, T> {
    this.yielded = true;
    return returned(value);
  }

  throw(e: unknown): IteratorResult<void, T> {
    this.yielded = true;
    throw e;
  }

  [Symbol.iterator](): KGen<T> {
    return this;
  }
}

/** A KGen that returns at once: a delegation that does not yield (shared, it holds no state). */
class Done implements KGen<void> {
  next(): IteratorResult<void, void> {
    return RETURNED;
  }

  return(): IteratorResult<void, void> {
    return RETURNED;
  }

  throw(e: unknown): IteratorResult<void, void> {
    throw e;
  }

  [Symbol.iterator](): KGen<void> {
    return this;
  }
}

const DONE: KGen<void> = new Done();

/** A KGen that only ever yields (shared, it holds no state). */
class Stopped implements KGen<never> {
  next(): IteratorResult<void, never> {
    return YIELDED;
  }

  return(): IteratorResult<void, never> {
    return YIELDED;
  }

  throw(e: unknown): IteratorResult<void, never> {
    throw e;
  }

  [Symbol.iterator](): KGen<never> {
    return this;
  }
}

const STOPPED: KGen<never> = new Stopped();

/** A KGen that returns `value` at once, without yielding (a callback that never blocks). */
class ReturnsNow<T> implements KGen<T> {
  private readonly result: IteratorReturnResult<T>;
  constructor(value: T) {
    this.result = { value, done: true };
  }

  next(): IteratorResult<void, T> {
    return this.result;
  }

  return(value: T): IteratorResult<void, T> {
    return returned(value);
  }

  throw(e: unknown): IteratorResult<void, T> {
    throw e;
  }

  [Symbol.iterator](): KGen<T> {
    return this;
  }
}

/** The most common answer of a callback (0: success), shared: it holds no state. */
const RETURNS_ZERO: KGen<number> = new ReturnsNow(0);

/** `yield* yieldOnce(v)`: one yield point, then `v` (barrier, the atomics, a wait that waits). */
export function yieldOnce(): KGen<void>;
export function yieldOnce<T>(value: T): KGen<T>;
export function yieldOnce<T>(value?: T): KGen<T | undefined> {
  return new YieldOnce(value);
}

/**
 * A piece of a context's program that yields and never returns: where the run ends at that yield
 * (Runtime.halted) and the context is left as one stopped there.
 */
export function stopped(): KGen<never> {
  return STOPPED;
}

/**
 * `yield* returnNow(v)`: no yield point, the value `v`: what a generator function that never
 * yields gives its caller, without the generator (the scripted filesystem's ->iomap_begin).
 */
export function returnNow(value: number): KGen<number> {
  return value === 0 ? RETURNS_ZERO : new ReturnsNow(value);
}

/** `yield* noYield()`: no yield point (a wait whose condition already holds). */
export function noYield(): KGen<void> {
  return DONE;
}

/**
 * `yield* after(g, v)`: g's steps, then `v` (what g returns is dropped), as a generator function's
 * `yield* g; return v;`.
 * When g is noYield()'s (an uncontended lock, a wait whose condition holds), with no generator.
 */
export function after(g: KGen<unknown>, value: number): KGen<number> {
  return g === DONE ? returnNow(value) : afterYields(g, value);
}

function* afterYields(g: KGen<unknown>, value: number): KGen<number> {
  yield* g;
  return value;
}
