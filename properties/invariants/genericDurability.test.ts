/**
 * The durability of the scripted filesystem as a whole filesystem (FsSpec.generic): its commits,
 * its IOMAP_F_DIRTY rule and its recovery (model/fs/genericCommit.ts, model/world/scriptedFs.ts),
 * which DUR-01, DUR-02 and STALE-03 judge; and the world scenarios that draw it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scripted } from '../../model/bugs/builders.ts';
import { GENERIC_DURABILITY_BUGS } from '../../model/bugs/genericDurability.ts';
import { userTag } from '../../model/mm/tags.ts';
import { SeededChoices } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { EXTENT_BASE, hole, KiB, written } from '../../model/world/extents.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { OpSpec, Scenario } from '../../model/world/scenario.ts';
import { buildWorld, rawWorldArbitrary } from '../arbitraries/worldScenario.ts';
import { makeProbe } from './registry.ts';

function run(s: Scenario, seed = 'generic-durability'): RunResult {
  return runScenario(s, { source: new SeededChoices(seed, 0), faults: NO_FAULTS, probe: makeProbe() });
}

/** A generic file on a 512-byte device with a volatile cache. */
function generic(
  extents: Scenario['fs']['extents'],
  iSize: number,
  ops: readonly OpSpec[],
  device: Partial<Scenario['device']> = {},
): Scenario {
  const s = scripted(extents, iSize, [ops], { generic: true });
  return { ...s, device: { logicalBlockSize: 512, writeCache: true, fua: false, ...device } };
}

describe('the scripted filesystem as a whole filesystem after power loss', () => {
  it('recovers what the last commit says: nothing of an unsynced write, all of a synced one', () => {
    const ops: OpSpec[] = [{ kind: 'buffered_write', pos: 4 * KiB, len: 4 * KiB }];
    const unsynced = run(
      generic([written(0, 4 * KiB), hole(4 * KiB, 4 * KiB)], 4 * KiB, [...ops, { kind: 'power_loss' }]),
    );
    expect(unsynced.violation).toBeNull();
    expect(unsynced.crash?.recovered?.size).toBe(4 * KiB);
    const synced = run(
      generic([written(0, 4 * KiB), hole(4 * KiB, 4 * KiB)], 4 * KiB, [
        ...ops,
        { kind: 'fsync' },
        { kind: 'power_loss' },
      ]),
    );
    expect(synced.violation).toBeNull();
    const rec = synced.crash?.recovered;
    expect(rec?.size).toBe(8 * KiB);
    // The hole's block was placed by writeback and committed: write 1's data, unit by unit.
    expect(Array.from(rec?.tags.slice(8, 16) ?? [])).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((u) => userTag(1, u)),
    );
    // The original data below stays write 0's.
    expect(rec?.tags[0]).toBe(userTag(0, 0));
  });

  it('flags an O_DSYNC write past the committed size IOMAP_F_DIRTY, so that it syncs even with FUA', () => {
    const s = generic(
      [{ offset: 0, length: 8 * KiB, type: 'mapped', addr: EXTENT_BASE }],
      4 * KiB,
      [{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }, { kind: 'power_loss' }],
      { fua: true },
    );
    const r = run(s);
    expect(r.violation).toBeNull();
    expect(r.fs.fsyncCalls).toBe(1);
    expect(r.crash?.recovered?.size).toBe(8 * KiB);
    // Inside the committed size and with nothing uncommitted, the same write takes the FUA path.
    const inside = run({ ...s, fs: { ...s.fs, iSize: 8 * KiB } });
    expect(inside.violation).toBeNull();
    expect(inside.fs.fsyncCalls).toBe(0);
    expect(inside.crash?.recovered?.tags[8]).toBe(userTag(1, 0));
  });

  it('has two planted bugs for each of DUR-01, DUR-02 and STALE-03 on its runs', () => {
    const by = (id: string) => GENERIC_DURABILITY_BUGS.filter((b) => b.invariant === id).length;
    expect([by('DUR-01'), by('DUR-02'), by('STALE-03')]).toEqual([2, 2, 2]);
  });
});

describe('the world scenarios draw the generic filesystem', () => {
  const worlds = fc.sample(rawWorldArbitrary(), { seed: 29, numRuns: 2000 }).map(buildWorld);
  const gen = worlds.filter((w) => w.fs.model === 'scripted');

  it('in about 29 % of the worlds, with buffered I/O, syncs and power loss beside its direct I/O', () => {
    expect(gen.length / worlds.length).toBeGreaterThan(0.23);
    expect(gen.length / worlds.length).toBeLessThan(0.35);
    const kinds = new Set(gen.flatMap((w) => w.threads.flat().map((op) => op.kind)));
    for (const k of ['dio_write', 'dio_read', 'buffered_write', 'buffered_read', 'fsync', 'power_loss'])
      expect(kinds.has(k as OpSpec['kind']), k).toBe(true);
    for (const k of ['truncate', 'fallocate', 'mmap_read'])
      expect(kinds.has(k as OpSpec['kind']), k).toBe(false);
  });

  it('as btrfs does: every direct request IOMAP_DIO_PARTIAL, holes allocated by the first write, no leftovers', () => {
    for (const w of gen) {
      expect(w.fs.generic).toBe(true);
      expect(w.fs.leftovers).toBeUndefined();
      for (const op of w.threads.flat())
        if (op.kind === 'dio_read' || op.kind === 'dio_write') expect(op.dioFlags).toEqual(['partial']);
      for (const e of w.fs.extents) expect(e.type === 'hole' || e.type === 'delalloc').toBe(false);
    }
  });
});
