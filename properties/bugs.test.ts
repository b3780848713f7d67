import { describe, expect, it } from 'vitest';
import { BUGS } from '../model/bugs/catalogue.ts';
import type { KernelOps } from '../model/kernel/kernel.ts';
import {
  type FixId,
  KERNEL_VERSIONS,
  RELEASE_CONTENT,
  SEED_OPS,
  UPSTREAM_FIXES,
  withFixes,
} from '../model/kernel/ops.ts';
import { RELEASES } from '../model/kernel/releases.ts';
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

  const inSeed = BUGS.filter((b) => b.inSeed);
  it('has the bugs of the seed revision that upstream fixed, each fix carried as a switch', () => {
    expect(inSeed.map((b) => b.commit).sort()).toEqual(Object.keys(UPSTREAM_FIXES).sort());
  });

  /** Does any of the first BUG_HUNT_BUDGET seeded runs of the bug's scenario on `ops` break `id`? */
  function flags(bug: (typeof BUGS)[number], ops: Readonly<KernelOps>, id: string): boolean {
    for (let i = 0; i < BUG_HUNT_BUDGET; i++) {
      const r = runScenario(bug.scenario, {
        source: new SeededChoices(`seed-direction:${i}`, 0.25),
        faults: bug.faults,
        probe: makeProbe(),
        ops,
      });
      if (r.violation !== null) return r.violation.invariant === id;
    }
    return false;
  }

  for (const bug of inSeed) {
    it(`flags the faithful seed for ${bug.commit} (${bug.invariant}), and the seed with its fix passes`, () => {
      expect(flags(bug, SEED_OPS, bug.invariant)).toBe(true);
      expect(flags(bug, withFixes([bug.commit as FixId]), bug.invariant)).toBe(false);
    });
  }

  for (const release of RELEASES) {
    const fixes: readonly string[] = RELEASE_CONTENT[release.name].fixes;
    it(`runs ${release.name} clean on the seed bugs it carries the fix of, and flags the others`, () => {
      for (const bug of inSeed)
        expect(flags(bug, KERNEL_VERSIONS[release.name], bug.invariant), `${release.name} ${bug.name}`).toBe(
          !fixes.includes(bug.commit),
        );
    });
  }
});
