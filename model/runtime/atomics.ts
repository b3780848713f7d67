/**
 * atomic_t and the ordered accesses the seed uses, as model operations with a yield point after
 * each: atomic_inc, atomic_dec_and_test, cmpxchg, READ_ONCE, WRITE_ONCE. The yield lets any other
 * context run between the operation and the next statement, which is what makes the orders behind
 * a use-after-free (B02) or a lost error reachable. Each returns a one-yield iterator
 * (yieldPoint.ts): its work is done when it is called, which under `yield*` is when a generator
 * body would have run it.
 */
import type { KGen } from './context.ts';
import type { KObject } from './heap.ts';
import type { Runtime } from './runtime.ts';
import { Violation } from './violation.ts';
import { yieldOnce } from './yieldPoint.ts';

/**
 * The exhaustive explorer's hook (properties/explore/engine.ts `Walk.onDecrement`), like
 * Runtime.forget an annotation with no effect on the run: told of each atomic_dec_and_test whose
 * count stayed above zero, with the count left, so that two such decrements of one count may be
 * taken as commuting (the caller branches only on the verdict). Null in every other run, where
 * it costs one test.
 */
export const atomicsHook: { decremented: ((obj: Refcounted, field: 'ref', left: number) => void) | null } = {
  decremented: null,
};

/** An object with an atomic reference count. */
export interface Refcounted extends KObject {
  ref: number;
  refZeroCount: number;
}

/** atomic_inc(): taking a reference on an object whose count already reached zero is LIFE-07. */
export function atomicInc(rt: Runtime, obj: Refcounted, seedLine: number): KGen {
  rt.heap.use(obj, seedLine);
  if (obj.ref <= 0) {
    throw new Violation(
      'LIFE-07',
      rt.currentName(),
      seedLine,
      `${obj.kind}#${obj.heapId} ref taken at ${obj.ref}`,
    );
  }
  obj.ref++;
  if (rt.tracing) rt.ev(seedLine, 'atomic_inc', `ref ${obj.ref - 1}→${obj.ref}`);
  // The count read here only decided LIFE-07 (which ends the run): nothing of it lives on.
  rt.forget(obj, 'ref');
  return yieldOnce();
}

/** atomic_dec_and_test(): a count below zero, or reaching zero twice, is LIFE-07. */
export function atomicDecAndTest(rt: Runtime, obj: Refcounted, seedLine: number): KGen<boolean> {
  rt.heap.use(obj, seedLine);
  const v = --obj.ref;
  if (rt.tracing) rt.ev(seedLine, 'atomic_dec_and_test', `ref ${v + 1}→${v}`);
  if (v < 0) {
    throw new Violation(
      'LIFE-07',
      rt.currentName(),
      seedLine,
      `${obj.kind}#${obj.heapId} ref dropped below zero`,
    );
  }
  if (v === 0 && ++obj.refZeroCount > 1) {
    throw new Violation(
      'LIFE-07',
      rt.currentName(),
      seedLine,
      `${obj.kind}#${obj.heapId} ref reached zero twice`,
    );
  }
  if (v > 0 && atomicsHook.decremented !== null) atomicsHook.decremented(obj, 'ref', v);
  // Only the verdict (did it reach zero) lives on, not the count nor the bookkeeping.
  rt.forget(obj, 'ref', v === 0 ? 1 : 0);
  rt.forget(obj, 'refZeroCount');
  return yieldOnce(v === 0);
}

/** A yield point after a READ_ONCE/WRITE_ONCE or any store another context may race with. */
export function barrier(): KGen {
  return yieldOnce();
}
