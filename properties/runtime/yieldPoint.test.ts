import { describe, expect, it } from 'vitest';
import type { KGen } from '../../model/runtime/context.ts';
import { noYield, returnNow, yieldOnce } from '../../model/runtime/yieldPoint.ts';

/** Steps a delegating generator to its end: how many times it yielded, and what it returned. */
function drive<T>(g: KGen<T>): { yields: number; value: T } {
  let yields = 0;
  for (;;) {
    const r = g.next();
    if (r.done === true) return { yields, value: r.value };
    yields++;
  }
}

describe('yield points without a generator', () => {
  it('returnNow gives its value to yield* without a yield, as a generator that never yields', () => {
    // biome-ignore lint/correctness/useYield: the generator that never yields is what returnNow stands for.
    function* generatorOf(v: number): KGen<number> {
      return v;
    }
    function* caller(inner: () => KGen<number>): KGen<number> {
      const a = yield* inner();
      const b = yield* inner();
      return a + b;
    }
    for (const v of [0, -11, 4096]) {
      expect(drive(caller(() => returnNow(v)))).toEqual(drive(caller(() => generatorOf(v))));
      expect(drive(caller(() => returnNow(v)))).toEqual({ yields: 0, value: 2 * v });
    }
  });

  it('yieldOnce yields once then returns; noYield returns at once', () => {
    function* caller(): KGen<boolean> {
      yield* noYield();
      return yield* yieldOnce(true);
    }
    expect(drive(caller())).toEqual({ yields: 1, value: true });
  });
});
