/**
 * The objects every step of a run reads hold one shape with fast properties: the kernel ops tables
 * (every `k.ops.f(...)` call) and the run's fault profile (every device step). Tables made by
 * Object.assign({}, ...) and half of fast-check's records were V8 dictionaries (model/kernel/ops.ts
 * opsTable, model/runtime/faults.ts Faults), and the campaign's scenarios leave optional fields out
 * in dozens of ways (model/world/shapes.ts: the fs spec and its extents).
 */
import { setFlagsFromString } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUGS, opsFor } from '../../model/bugs/catalogue.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { FIXED_OPS, KERNEL_VERSIONS, opsTable, SEED_OPS } from '../../model/kernel/ops.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { ALL_FAULTS, type FaultProfile, Faults, NO_FAULTS } from '../../model/runtime/faults.ts';
import { Runtime } from '../../model/runtime/runtime.ts';
import type { WorldView } from '../../model/world/probe.ts';
import { runScenario } from '../../model/world/run.ts';
import type { ExtentSpec, FsSpec } from '../../model/world/scenario.ts';
import { DioOp, Extent, Fs } from '../../model/world/shapes.ts';
import { campaignScenarioArbitrary } from '../../scripts/commands/campaign.ts';
import { faultProfileArbitrary, profileRecordArbitrary } from '../arbitraries/faults.ts';

setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

const TABLES: [string, Readonly<KernelOps>][] = [
  ['FIXED_OPS', FIXED_OPS],
  ...Object.entries(KERNEL_VERSIONS),
  ...BUGS.map((b): [string, Readonly<KernelOps>] => [b.name, opsFor(b)]),
  ...BUGS.map((b): [string, Readonly<KernelOps>] => [
    `${b.name} on 6.12.117`,
    opsFor(b, KERNEL_VERSIONS['6.12.117']),
  ]),
];

describe('kernel ops tables', () => {
  it('every table has fast properties, its entries in the seed order, frozen', () => {
    const order = Object.keys(SEED_OPS);
    for (const [name, t] of TABLES) {
      expect(hasFastProperties(t), name).toBe(true);
      expect(Object.isFrozen(t), name).toBe(true);
      const keys = Object.keys(t);
      expect(keys, name).toEqual(t.releaseWorld === undefined ? order : [...order, 'releaseWorld']);
    }
  });

  it('tables without release quirks share one hidden class, release tables another', () => {
    expect(haveSameMap(FIXED_OPS, SEED_OPS)).toBe(true);
    expect(haveSameMap(KERNEL_VERSIONS['6.12.107'], KERNEL_VERSIONS['6.12.118'])).toBe(true);
  });

  it('keeps every entry as given, and refuses one it does not know', () => {
    const given = { ...SEED_OPS, iomapDioZero: FIXED_OPS.iomapDioZero };
    const t = opsTable(given);
    for (const key of Object.keys(given) as (keyof KernelOps)[]) expect(t[key]).toBe(given[key]);
    expect(() => opsTable({ ...SEED_OPS, iomapDioNew: () => 0 } as unknown as KernelOps)).toThrow(
      /unknown ops entry 'iomapDioNew'/,
    );
  });
});

describe('fault profiles', () => {
  it("a run's profile has fast properties and one shape, each class on exactly when it is true", () => {
    const profiles: FaultProfile[] = [
      NO_FAULTS,
      ALL_FAULTS,
      { ...NO_FAULTS, powerLoss: true },
      // A record on a null prototype, as fast-check builds some (profileRecordArbitrary, replays'
      // hand-made profiles): V8 keeps it as a dictionary.
      Object.assign(Object.create(null) as FaultProfile, ALL_FAULTS),
      ...fc.sample(faultProfileArbitrary(), { seed: 1, numRuns: 50 }),
      ...fc.sample(profileRecordArbitrary(), { seed: 1, numRuns: 50 }),
    ];
    expect(profiles.some((p) => !hasFastProperties(p))).toBe(true);
    const first = new Runtime({ source: new ArrayChoices([]) }).faults;
    for (const p of profiles) {
      const f = new Runtime({ source: new ArrayChoices([]), faults: p }).faults;
      expect(hasFastProperties(f)).toBe(true);
      expect(haveSameMap(f, first)).toBe(true);
      expect(Object.keys(f)).toEqual(Object.keys(ALL_FAULTS));
      for (const key of Object.keys(ALL_FAULTS) as (keyof FaultProfile)[])
        expect(f[key]).toBe(p[key] === true);
    }
  });

  it('Faults.of keeps a Faults as it is', () => {
    const f = new Faults(ALL_FAULTS);
    expect(Faults.of(f)).toBe(f);
  });
});

describe("a world's scenario", () => {
  it('holds its fs spec and extents in one shape each, every field as given', () => {
    const scenarios = fc.sample(campaignScenarioArbitrary(), { seed: 5, numRuns: 150 });
    const given = (o: object, k: string) => (o as Record<string, unknown>)[k];
    const worlds: WorldView[] = [];
    for (const s of scenarios) {
      let world: WorldView | null = null;
      try {
        runScenario(s, { source: new ArrayChoices([]), observe: (w) => (world = w) });
      } catch {
        // A scenario the world refuses still shaped its spec first.
      }
      if (world === null) continue;
      const w: WorldView = world;
      worlds.push(w);
      for (const k of Object.keys(s.fs))
        if (k !== 'extents') expect(given(w.scenario.fs, k)).toBe(given(s.fs, k));
      expect(w.scenario.fs.extents.length).toBe(s.fs.extents.length);
      s.fs.extents.forEach((e, i) => {
        for (const k of Object.keys(e))
          expect(given(w.scenario.fs.extents[i] as object, k)).toBe(given(e, k));
      });
    }
    expect(worlds.length).toBeGreaterThan(100);
    const first = worlds[0] as WorldView;
    // The drawn specs come in many shapes; the world's, in one.
    expect(new Set(scenarios.map((s) => Object.keys(s.fs).join())).size).toBeGreaterThan(4);
    for (const w of worlds) expect(haveSameMap(w.scenario.fs, first.scenario.fs)).toBe(true);
    const extents = worlds.flatMap((w) => w.scenario.fs.extents);
    expect(
      new Set(scenarios.flatMap((s) => s.fs.extents.map((e) => Object.keys(e).join()))).size,
    ).toBeGreaterThan(2);
    for (const e of extents) expect(haveSameMap(e, extents[0] as object)).toBe(true);
  });

  it("holds the campaign's direct I/O requests in one shape, as drawn, the other ops in three", () => {
    const scenarios = fc.sample(campaignScenarioArbitrary(), { seed: 7, numRuns: 300 });
    const ops = scenarios.flatMap((s) => s.threads.flat());
    const dio = ops.filter((op) => op.kind === 'dio_read' || op.kind === 'dio_write');
    expect(dio.length).toBeGreaterThan(300);
    const first = dio[0] as object;
    for (const op of dio) {
      expect(op).toBeInstanceOf(DioOp);
      expect(haveSameMap(op, first)).toBe(true);
    }
    // The fields each request leaves out read undefined, and a replay's JSON leaves them out: the
    // requests still come in many sets of fields.
    const written = new Set(dio.map((op) => Object.keys(JSON.parse(JSON.stringify(op))).join()));
    expect(written.size).toBeGreaterThan(10);
    const others = ops.filter((op) => !dio.includes(op));
    const maps: object[] = [];
    for (const op of others) if (!maps.some((m) => haveSameMap(m, op))) maps.push(op);
    expect(maps.length).toBe(3);
  });

  it('copies every field a spec has (each with its own value) and leaves the others undefined', () => {
    // Every field of the spec types, each a value of its own: a case the shapes' switches lack, or
    // one that writes another field, shows here (the campaign draws only some of these fields).
    const extent: Required<ExtentSpec> = {
      offset: 4096,
      length: 8192,
      type: 'mapped',
      flags: ['shared'],
      addr: 0x20000,
      inlineOffsetInPage: 7,
    };
    const fs: Required<FsSpec> = {
      model: 'scripted',
      blockSize: 2048,
      iSize: 5000,
      extents: [extent, { offset: 0, length: 4096, type: 'hole' }],
      pageCache: [{ index: 1, dirty: true }],
      endIo: false,
      readEndIo: true,
      endIoMaySleep: true,
      sizeDirtyRule: 'in-core',
      bioSet: true,
      submitIo: false,
      submitIoDeferred: true,
      notblkFrom: 12288,
      generic: false,
      leftovers: ['free'],
      fsyncErrno: -5,
    };
    const shaped = new Fs(fs);
    for (const k of Object.keys(fs) as (keyof FsSpec)[])
      if (k !== 'extents') expect(shaped[k], k).toBe(fs[k]);
    const [all, hole] = shaped.extents as Extent[];
    for (const k of Object.keys(extent) as (keyof ExtentSpec)[]) expect(all?.[k], k).toBe(extent[k]);
    expect(hole).toEqual(new Extent({ offset: 0, length: 4096, type: 'hole' }));
    expect([hole?.flags, hole?.addr, hole?.inlineOffsetInPage]).toEqual([undefined, undefined, undefined]);
    // Left out, a field reads undefined; the shapes are the same either way.
    const bare = new Fs({ blockSize: 512, iSize: 0, extents: [] });
    expect(Object.keys(bare)).toEqual(Object.keys(shaped));
    expect(haveSameMap(bare, shaped)).toBe(true);
    for (const k of Object.keys(fs) as (keyof FsSpec)[])
      if (!['blockSize', 'iSize', 'extents'].includes(k)) expect(bare[k], k).toBeUndefined();
  });
});
