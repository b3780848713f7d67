/**
 * The result filters (Invariant.resultsOf) change no verdict: each filter must be implied by its
 * check's own guard, or a result the check would judge never reaches it. Every planted bug, run
 * from fixed seeds with the catalogue's probe and with one whose filters are taken off, must give
 * the same violation (invariant and step) or none in both.
 */
import { describe, expect, it } from 'vitest';
import { BUGS, opsFor } from '../../model/bugs/catalogue.ts';
import { SeededChoices } from '../../model/runtime/choice.ts';
import type { Probe } from '../../model/world/probe.ts';
import { recycleRun, runScenario } from '../../model/world/run.ts';
import { HUNT_DEVIATION } from '../support/hunt.ts';
import type { Invariant } from './invariant.ts';
import { ALL_INVARIANTS, makeProbe } from './registry.ts';

const RUNS_PER_BUG = 12;

/** Each bug's verdicts over its seeds, as `invariant@step` or `-`. */
function verdicts(probe: Probe): string[] {
  const out: string[] = [];
  for (const bug of BUGS) {
    for (let i = 0; i < RUNS_PER_BUG; i++) {
      let v = '-';
      try {
        const r = runScenario(bug.scenario, {
          source: new SeededChoices(`${bug.name}:filters:${i}`, HUNT_DEVIATION),
          faults: bug.faults,
          probe,
          ops: opsFor(bug),
          quirks: bug.quirks ?? {},
        });
        if (r.violation !== null) v = `${r.violation.invariant}@${r.steps}`;
        recycleRun(r);
      } catch (e) {
        v = `error ${(e as Error).name}`;
      }
      out.push(`${bug.name} ${i} ${v}`);
    }
  }
  return out;
}

/** The catalogue with every result filter taken off. */
function unfiltered(invariants: readonly Invariant[]): Invariant[] {
  return invariants.map((i) => ({ ...i, resultsOf: undefined }));
}

describe('result filters', () => {
  it('some invariants have one (else this test checks nothing)', () => {
    expect(ALL_INVARIANTS.filter((i) => i.resultsOf !== undefined).length).toBeGreaterThan(5);
  });

  it('change no planted bug verdict', () => {
    const filtered = verdicts(makeProbe());
    const plain = verdicts(makeProbe(unfiltered(ALL_INVARIANTS)));
    expect(filtered.filter((v) => v.endsWith(' -')).length).toBeLessThan(filtered.length);
    expect(filtered).toEqual(plain);
  });
});
