import { describe, expect, it } from 'vitest';
import { Disk } from '../../model/block/disk.ts';
import { BufferPool, PristinePool, TypedArrayPool } from '../../model/runtime/arrayPool.ts';
import { SeededChoices } from '../../model/runtime/choice.ts';
import { ALL_FAULTS } from '../../model/runtime/faults.ts';
import { Runtime } from '../../model/runtime/runtime.ts';
import { formatTrace } from '../../model/runtime/trace.ts';
import { type RunResult, recycleRun, runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { TAG_STALE } from '../../model/mm/tags.ts';
import { type CampaignCase, runCase } from '../../scripts/commands/campaign.ts';
import { sampleCases } from '../../scripts/bench/measure.ts';
import { BENCH_SEED } from '../../scripts/bench/options.ts';
import { runDigest } from '../../scripts/bench/sameRuns.ts';

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

  it('hands the extent maps, the COW fork and large user buffers to the next run, reset', () => {
    const r = run('4');
    const fs = r.xfs;
    expect(fs).not.toBeNull();
    const given = new Set<object>([
      fs?.map as object,
      fs?.initialMap as object,
      fs?.cow as object,
      // 12,288 and 16,384 bytes: more tags than stay in V8's heap.
      ...r.requests.map((q) => q.buf),
    ]);
    recycleRun(r);
    const next = run('4');
    const reused = [
      next.xfs?.map,
      next.xfs?.initialMap,
      next.xfs?.cow,
      ...next.requests.map((q) => q.buf),
      // After power loss, recovery's map may take one of the maps first.
      next.crash?.recovered?.map,
      next.crash?.recovered?.tags,
    ].filter((b) => b !== undefined && given.has(b));
    expect(reused).toHaveLength(given.size);
    // Reset, not left as the last run had them: the fresh map is the scenario's.
    expect(Array.from(next.xfs?.initialMap.state ?? [])).toEqual(Array.from(fs?.initialMap.state ?? []));
    recycleRun(next);
  });

  it('leaks nothing of a run into the next on what it gave back: case A, then B, then A again digests as A', () => {
    // Campaign cases of every filesystem, with every checker and the timeline (sameRuns.ts digests):
    // the second A runs on the maps, COW forks, user buffers and media B gave back.
    const cases = sampleCases(BENCH_SEED, 120);
    const digest = (c: CampaignCase): string => {
      const r = runCase(c, true);
      // And what the digest leaves out of the reused objects: the user buffers' page state, the
      // model filesystem's maps and COW fork.
      const bufs = [...r.requests.map((q) => q.buf), ...r.fileOps.map((f) => f.buf)].map((b) =>
        b === null
          ? '-'
          : [b.pins, b.dirty, b.dmaFilled].map((a) => Array.from(a).join()).join('/') +
            `/${b.unmappedFrom}/${b.delivered}/${b.addr}/${b.length}/${b.userBacked}`,
      );
      const fs = r.xfs;
      const maps =
        fs === null
          ? []
          : [fs.map, fs.initialMap].flatMap((m) =>
              [m.state, m.addr, m.shared].map((a) => Array.from(a).join()),
            );
      const d = `${runDigest(r, true)} ${bufs.join(' ')} ${maps.join(' ')} ${fs?.cow.join()}`;
      recycleRun(r);
      return d;
    };
    const models = new Set<string>();
    for (let i = 0; i + 1 < cases.length; i++) {
      const a = cases[i] as CampaignCase;
      const b = cases[i + 1] as CampaignCase;
      models.add(`${a[0].fs.model ?? 'xfs'}${a[0].fs.generic === true ? ' generic' : ''}`);
      const first = digest(a);
      digest(b);
      expect(digest(a)).toBe(first);
    }
    expect(models.size).toBe(4);
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

describe('recycled media', () => {
  it('comes back all stale whatever the run wrote (each model filesystem, power loss, crash images)', () => {
    const models = ['xfs', 'ext4', 'scripted'] as const;
    let checked = 0;
    let wrote = 0;
    for (const model of models) {
      for (const generic of [false, true]) {
        if (generic && model !== 'scripted') continue;
        // The initial states' old bytes (FsSpec.leftovers) are written at mount: they count too.
        const leftovers = model === 'scripted' ? {} : { leftovers: ['unwritten', 'free'] as const };
        const s: Scenario = {
          ...scenario,
          fs: { ...scenario.fs, model, ...(generic ? { generic } : {}), ...leftovers },
        };
        for (const seed of ['1', '2', '3', '4', '5', '6', '7', '8']) {
          const r: RunResult = runScenario(s, {
            source: new SeededChoices(`${model}${generic}${seed}`, 0.3),
            faults: ALL_FAULTS,
            crashImages: seed === '8',
          });
          const media = r.disk.media;
          if (media.some((t) => t !== TAG_STALE)) wrote++;
          recycleRun(r);
          // The next disk takes exactly this array back, refilled.
          const next = new Disk(new Runtime({ source: new SeededChoices('0', 0) }), {
            logicalBlockSize: 512,
            fua: false,
            writeCache: true,
            dmaAlignment: 511,
            sectors: media.length,
          });
          expect(next.media).toBe(media);
          expect(media.every((t) => t === TAG_STALE)).toBe(true);
          next.recycleMedia();
          checked++;
        }
      }
    }
    expect(checked).toBe(32);
    // Runs left data on the media (a run may lose power before any write reaches it).
    expect(wrote).toBeGreaterThanOrEqual(16);
  });
});

describe('PristinePool', () => {
  it('hands out arrays all one value, refilling only the range it is told was written', () => {
    const pool = new PristinePool<Int32Array>((n) => new Int32Array(n), TAG_STALE);
    const a = pool.take(8);
    expect(Array.from(a)).toEqual(new Array(8).fill(TAG_STALE));
    a[2] = 5;
    a[5] = 6;
    pool.give(a, 2, 6);
    pool.give(a, 0, 8);
    expect(pool.take(4)).not.toBe(a);
    const back = pool.take(8);
    expect(back).toBe(a);
    expect(Array.from(back)).toEqual(new Array(8).fill(TAG_STALE));
    // Given twice while spare, it is still handed out once.
    expect(pool.take(8)).not.toBe(a);
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

describe('PristinePool with two written ranges', () => {
  it('refills both ranges and nothing else', () => {
    const pool = new PristinePool<Int32Array>((n) => new Int32Array(n), TAG_STALE);
    const a = pool.take(16);
    a[1] = 5;
    a[14] = 6;
    // Entries outside the ranges it is told of are left as they are (the holder promised them).
    a[8] = 7;
    pool.give(a, 0, 3, 12, 16);
    const back = pool.take(16);
    expect(back).toBe(a);
    const want = new Array(16).fill(TAG_STALE);
    want[8] = 7;
    expect(Array.from(back)).toEqual(want);
  });
});
