import { describe, expect, it } from 'vitest';
import { BufferPool, TypedArrayPool } from '../../model/runtime/arrayPool.ts';
import { SeededChoices } from '../../model/runtime/choice.ts';
import { ALL_FAULTS } from '../../model/runtime/faults.ts';
import { formatTrace } from '../../model/runtime/trace.ts';
import { recycleRun, runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { TAG_STALE } from '../../model/mm/tags.ts';

const scenario: Scenario = {
  device: { logicalBlockSize: 512, fua: false, writeCache: true },
  fs: {
    blockSize: 4096,
    iSize: 12288,
    extents: [
      { offset: 0, length: 8192, type: 'mapped', addr: 0x10000 },
      { offset: 8192, length: 8192, type: 'unwritten', addr: 0x20000 },
    ],
  },
  bioMaxVecs: 1,
  threads: [
    [
      { kind: 'dio_write', pos: 0, len: 12288, iocbFlags: ['dsync'] },
      { kind: 'dio_read', pos: 0, len: 16384 },
    ],
    [{ kind: 'fsync' }],
  ],
};

const run = (seed: string) =>
  runScenario(scenario, { source: new SeededChoices(seed, 0.3), faults: ALL_FAULTS, tracing: true });

describe('recycleRun', () => {
  it('gives a run the same result on recycled arrays as on fresh ones', () => {
    for (const seed of ['1', '2', '3', '4', '5', '6']) {
      const fresh = run(seed);
      const media = Array.from(fresh.disk.media);
      const coverage = Array.from(fresh.coverage);
      const trace = formatTrace(fresh.trace);
      // The next run takes these arrays back, dirty with this run's writes and marks.
      recycleRun(fresh);
      const again = run(seed);
      expect(formatTrace(again.trace)).toBe(trace);
      expect(Array.from(again.disk.media)).toEqual(media);
      expect(Array.from(again.coverage)).toEqual(coverage);
      recycleRun(again);
    }
  });

  it('hands the buffers of extent maps, the COW fork and large user buffers to the next run', () => {
    const r = run('4');
    const fs = r.xfs;
    expect(fs).not.toBeNull();
    const buffers = new Set<ArrayBufferLike>([
      fs?.map.buffer as ArrayBufferLike,
      fs?.initialMap.buffer as ArrayBufferLike,
      fs?.cow.buffer as ArrayBufferLike,
      // 12,288 and 16,384 bytes: more tags than stay in V8's heap.
      ...r.requests.map((q) => q.buf.tags.buffer),
    ]);
    recycleRun(r);
    const next = run('4');
    const reused = [
      next.xfs?.map.buffer,
      next.xfs?.initialMap.buffer,
      next.xfs?.cow.buffer,
      ...next.requests.map((q) => q.buf.tags.buffer),
      // After power loss, recovery's map may take one of the maps' buffers first.
      next.crash?.recovered?.map.buffer,
      next.crash?.recovered?.tags.buffer,
    ].filter((b) => b !== undefined && buffers.has(b));
    expect(reused).toHaveLength(buffers.size);
    // Refilled, not left as the last run had them: the fresh map is the scenario's.
    expect(Array.from(next.xfs?.initialMap.state ?? [])).toEqual(Array.from(fs?.initialMap.state ?? []));
    recycleRun(next);
  });

  it('leaves a recycled result an empty coverage, and a second call gives nothing back twice', () => {
    const r = run('1');
    const media = r.disk.media;
    recycleRun(r);
    recycleRun(r);
    expect(r.coverage).toHaveLength(0);
    const a = run('2');
    const b = run('3');
    // Given back once, so at most one of two later runs got it.
    expect(a.disk.media === media && b.disk.media === media).toBe(false);
    expect(a.disk.media).not.toBe(b.disk.media);
  });
});

describe('TypedArrayPool', () => {
  it('refills what it hands out and keeps arrays apart by length', () => {
    const pool = new TypedArrayPool<Int32Array>((n) => new Int32Array(n));
    const a = pool.take(8, TAG_STALE);
    expect(Array.from(a)).toEqual(new Array(8).fill(TAG_STALE));
    a.fill(5);
    pool.give(a);
    pool.give(a);
    expect(pool.take(4, 0)).not.toBe(a);
    const back = pool.take(8, 7);
    expect(back).toBe(a);
    expect(Array.from(back)).toEqual(new Array(8).fill(7));
    // Given twice while spare, it is still handed out once.
    expect(pool.take(8, 0)).not.toBe(a);
  });
});

describe('BufferPool', () => {
  it('hands a given buffer back once, by length, as it was left (its taker fills it)', () => {
    const pool = new BufferPool();
    const b = pool.take(24);
    new Int32Array(b).fill(9);
    pool.give(b);
    pool.give(b);
    expect(pool.take(16)).not.toBe(b);
    const again = pool.take(24);
    expect(again).toBe(b);
    expect(Array.from(new Int32Array(again))).toEqual(new Array(6).fill(9));
    expect(pool.take(24)).not.toBe(b);
  });
});
