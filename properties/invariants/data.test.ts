import { describe, expect, it } from 'vitest';
import type { Probe, WorldView } from '../../model/world/probe.ts';
import { FIXED_OPS } from '../../model/kernel/ops.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { recycleRun, runScenario } from '../../model/world/run.ts';
import { sampleCases } from '../../scripts/bench/measure.ts';
import { freshWrites, type WriteInfo, writesOf } from './data.ts';
import { makeProbe } from './registry.ts';

/** A map's entries in its order, as plain records (an entry kept in place is compared by value). */
const entries = (m: ReadonlyMap<number, WriteInfo>) => [...m].map(([id, e]) => [id, { ...e }]);

describe('writesOf', () => {
  it('keeps, at every hook of campaign runs, the map a fresh build gives, in the same order', () => {
    const checks = makeProbe();
    const seen = { compared: 0, both: 0, truncated: 0, kept: 0 };
    let previous: ReadonlyMap<number, WriteInfo> | null = null;
    const compare = (w: WorldView) => {
      const kept = writesOf(w);
      const fresh = freshWrites(w);
      expect(entries(kept)).toEqual(entries(fresh));
      seen.compared++;
      const kinds = new Set([...kept.values()].map((e) => e.kind));
      if (kinds.has('dio') && kinds.has('buffered')) seen.both++;
      if ([...kept.values()].some((e) => e.removed.length > 0 && e.kind !== 'prior')) seen.truncated++;
      if (kept === previous) seen.kept++;
      previous = kept;
    };
    // Every hook asks first, then the checkers run as in a campaign (they ask too).
    const probe: Probe = {
      onReturn: (w, r) => {
        compare(w);
        checks.onReturn?.(w, r);
      },
      onResult: (w, r, c) => {
        compare(w);
        checks.onResult?.(w, r, c);
      },
      onFileOp: (w, f) => {
        compare(w);
        checks.onFileOp?.(w, f);
      },
      onSync: (w, s) => {
        compare(w);
        checks.onSync?.(w, s);
      },
      onQuiescent: (w) => {
        compare(w);
        checks.onQuiescent?.(w);
      },
      onRecovered: (w, rec, step) => {
        compare(w);
        checks.onRecovered?.(w, rec, step);
      },
    };
    for (const [s, faults, choices] of sampleCases(16, 2000)) {
      recycleRun(runScenario(s, { source: new ArrayChoices(choices), faults, probe, ops: FIXED_OPS }));
    }
    // Not vacuous (2,000 cases: 11,114 maps compared, 8,899 kept from the hook before, 579 with
    // direct and buffered writes, 867 with a truncate's removals).
    expect(seen.compared).toBeGreaterThan(8000);
    expect(seen.kept).toBeGreaterThan(5000);
    expect(seen.both).toBeGreaterThan(200);
    expect(seen.truncated).toBeGreaterThan(300);
  });
});
