/**
 * The atomicity map (spec/atomicity.md, spec/atomicity.json) against the model: the scripted
 * scenarios of properties/atomicity/scenarios.ts run on the correct model and on every kernel
 * setting with an access log attached (properties/atomicity/observe.ts), and the shared accesses
 * each context makes, with the yields between them, must be exactly the map's. A yield added
 * where the map records a known defect fails here too, naming the row to flip.
 */
import { describe, expect, it } from 'vitest';
import { derive, fold, SETTINGS, type Derivation } from './atomicity/derive.ts';
import { checkMapItself, compare, loadMap, sharedBy } from './atomicity/map.ts';
import type { Access } from './atomicity/observe.ts';
import { SCENARIOS } from './atomicity/scenarios.ts';

const MAP = loadMap(new URL('../spec/atomicity.json', import.meta.url).pathname);

describe('atomicity map', () => {
  it('is consistent: every unshared row and every atomic pair has a reason or a known defect', () => {
    expect(checkMapItself(MAP)).toEqual([]);
  });

  it('agrees with the model on every setting (rows, pairs, and the yields between them)', () => {
    const d = derive(sharedBy(MAP));
    expect(d.failures).toEqual([]);
    expect(d.runs).toBe(SCENARIOS.length * SETTINGS.length);
    expect(compare(MAP, d)).toEqual([]);
  }, 60_000);

  it('fails on a coarsening, a missing pair and an unreached row', () => {
    const shared = sharedBy(MAP);
    const yieldPair = MAP.pairs.find((p) => p.model === 'yield');
    if (yieldPair === undefined) throw new Error('the map has no pair with a yield');
    // A run in which that pair's two accesses happen in one step: a coarsening.
    const acc = (step: number, row: string): Access => {
      const [where = '', objField = '', rw = 'r'] = row.split(' ');
      const [obj, field = ''] = objField.split('.');
      return {
        step,
        ctx: 1,
        ctxKind: yieldPair.ctx,
        ctxName: 'x',
        where,
        obj: obj as Access['obj'],
        field,
        rw: rw as Access['rw'],
      };
    };
    const d: Derivation = { rows: new Map(), pairs: new Map(), failures: [], runs: 1, accesses: 2 };
    fold(
      d,
      [acc(5, yieldPair.from), acc(5, yieldPair.to), acc(6, 'nowhere:L1 dio.flags w')],
      'synthetic',
      shared,
    );
    const out = compare(MAP, d);
    expect(out.some((l) => l.startsWith('coarsening:') && l.includes(yieldPair.from))).toBe(true);
    expect(out.some((l) => l.startsWith('row the map lacks: nowhere:L1 dio.flags w'))).toBe(true);
    expect(out.some((l) => l.startsWith('pair the map lacks:'))).toBe(true);
    expect(out.some((l) => l.startsWith('map row no run reaches:'))).toBe(true);
  });
});
