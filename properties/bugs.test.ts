import { describe, expect, it } from 'vitest';
import { BUGS } from '../model/bugs/catalogue.ts';
import { SEED_OPS } from '../model/kernel/ops.ts';
import { SeededChoices } from '../model/runtime/choice.ts';
import { runScenario } from '../model/world/run.ts';
import { ALL_INVARIANTS } from './invariants/registry.ts';
import { makeProbe } from './invariants/registry.ts';
import { BUG_HUNT_BUDGET, BUG_HUNT_SEEDS } from './support/budget.ts';
import { hunt } from './support/hunt.ts';

describe('teeth: every planted bug is caught by the invariant it names', () => {
  for (const bug of BUGS) {
    it(`${bug.name} (${bug.commit}) is caught by ${bug.invariant}`, () => {
      for (const seed of BUG_HUNT_SEEDS) {
        const found = hunt(bug, seed, BUG_HUNT_BUDGET);
        expect(found.invariant, `seed ${seed}: ${found.result?.violation?.message ?? 'not caught'}`).toBe(
          bug.invariant,
        );
      }
    });
  }
});

describe('teeth: the correct model passes every planted bug scenario', () => {
  for (const bug of BUGS) {
    // A bug present in the seed with no upstream fix modelled stays in the correct model too.
    if (bug.inSeed && bug.ops === undefined) continue;
    it(`${bug.name}: no violation without the bug`, () => {
      for (const seed of BUG_HUNT_SEEDS) {
        const found = hunt(bug, seed, BUG_HUNT_BUDGET, true);
        expect(found.result?.violation?.message ?? null).toBeNull();
      }
    });
  }
});

describe('the catalogue', () => {
  it('names only invariants of the registry, and gives every invariant at least two planted bugs', () => {
    const ids = new Set(ALL_INVARIANTS.map((i) => i.id));
    for (const bug of BUGS) expect(ids.has(bug.invariant), bug.name).toBe(true);
    const count = (id: string) => BUGS.filter((b) => b.invariant === id).length;
    const short = [...ids].filter((id) => count(id) < 2).map((id) => `${id} (${count(id)})`);
    expect(short).toEqual([]);
  });

  it('has unique names', () => {
    expect(new Set(BUGS.map((b) => b.name)).size).toBe(BUGS.length);
  });

  it('flags the faithful seed for the bugs present in it (upstream fixes off)', () => {
    const b01 = BUGS.find((b) => b.commit === '4ad357e39b2e');
    expect(b01).toBeDefined();
    if (b01 === undefined) return;
    let flagged = false;
    for (let i = 0; i < BUG_HUNT_BUDGET && !flagged; i++) {
      const r = runScenario(b01.scenario, {
        source: new SeededChoices(`seed-direction:${i}`, 0.25),
        faults: b01.faults,
        probe: makeProbe(),
        ops: SEED_OPS,
      });
      flagged = r.violation?.invariant === 'RES-06';
    }
    expect(flagged).toBe(true);
  });
});
