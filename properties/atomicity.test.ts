/**
 * The atomicity map (spec/atomicity.md, spec/atomicity.json) against the model: the scripted
 * scenarios of properties/atomicity/scenarios.ts run on the correct model and on every kernel
 * setting with an access log attached (properties/atomicity/observe.ts), and the shared accesses
 * each context makes, with the yields between them, must be exactly the map's. A yield added
 * where the map records a known defect fails here too, naming the row to flip.
 */
import { describe, expect, it } from 'vitest';
import type { Kernel, KernelOps } from '../model/kernel/kernel.ts';
import { FIXED_OPS } from '../model/kernel/ops.ts';
import type { KGen } from '../model/runtime/context.ts';
import { derive, fold, SETTINGS, type Derivation } from './atomicity/derive.ts';
import { readFileSync } from 'node:fs';
import { checkMapItself, compare, loadMap, sharedBy } from './atomicity/map.ts';
import { renderSections, sectionCells, stubsFor, withSections } from './atomicity/render.ts';
import type { Access } from './atomicity/observe.ts';
import { SCENARIOS } from './atomicity/scenarios.ts';

const MAP = loadMap(new URL('../spec/atomicity.json', import.meta.url).pathname);

describe('atomicity map', () => {
  it('is consistent: every unshared row and every atomic pair has a reason or a known defect', () => {
    expect(checkMapItself(MAP)).toEqual([]);
  });

  it('spec/atomicity.md carries the tables of spec/atomicity.json (npx tsx properties/atomicity/render.ts --write)', () => {
    const doc = readFileSync(new URL('../spec/atomicity.md', import.meta.url), 'utf8');
    const cells = sectionCells(doc);
    expect([...cells.keys()]).toEqual(['summary', 'reasons', 'rows', 'pairs']);
    expect(cells).toEqual(sectionCells(withSections(doc, renderSections(MAP))));
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
    const d: Derivation = {
      rows: new Map(),
      rowSettings: new Map(),
      pairs: new Map(),
      failures: [],
      runs: 1,
      accesses: 2,
    };
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
    // --stubs offers the missing row and pair, with nothing filled in that the map must state.
    const stubs = stubsFor(MAP, d);
    expect(stubs.rows.map((r) => [r.row, r.seed, r.access])).toEqual([
      [`nowhere:L1 dio.flags w [${yieldPair.ctx}]`, '', ''],
    ]);
    expect(stubs.pairs.length).toBeGreaterThan(0);
    expect(stubs.pairs.every((p) => p.kernel === undefined && p.defect === undefined)).toBe(true);
  });

  it('reports a yield taken away from the model as a coarsening', () => {
    // iomap_dio_set_error run with its yield swallowed: the cmpxchg and the decrement at L167
    // now run in one step.
    const setError = FIXED_OPS.iomapDioSetError;
    const ops: KernelOps = {
      ...FIXED_OPS,
      // biome-ignore lint/correctness/useYield: the point is a step with the inner yield removed.
      *iomapDioSetError(k: Kernel, dio, ret): KGen {
        const g = setError(k, dio, ret);
        while (!g.next().done);
      },
    };
    const d = derive(sharedBy(MAP), scenarios('aio-read-bio-error'), [['no-yield', ops]]);
    const out = compare(MAP, d).filter((l) => l.startsWith('coarsening:'));
    expect(
      out.some((l) => l.includes('iomapDioSetError:L156 dio.errorValue rw -> iomapDioBioEndIo:L167')),
    ).toBe(true);
  });

  it('reports a known defect the model no longer has, naming the pair to flip', () => {
    // The map as it was before the fix: the yield after the hand-off to the worker (seed L222-226)
    // recorded as the known defect release-after-handoff. The model now yields there.
    const from = 'iomapDioBioEndIo:L222 dio.unionMember w';
    const to = 'iomapDioBioEndIo:L229 bio.pagesReleased rw';
    const pair = MAP.pairs.find((p) => p.from === from && p.to === to && p.ctx === 'irq');
    if (pair === undefined) throw new Error('the map lacks the hand-off pair');
    expect(pair.model).toBe('yield');
    const old = {
      ...MAP,
      defects: { ...MAP.defects, 'release-after-handoff': 'no yield before release_bio' },
      pairs: MAP.pairs.map((p) =>
        p === pair ? { ...p, model: 'none' as const, defect: 'release-after-handoff' } : p,
      ),
    };
    const d = derive(sharedBy(old), scenarios('aio-write-unwritten'));
    const out = compare(old, d).filter((l) => l.startsWith('defect release-after-handoff looks fixed'));
    expect(out).toHaveLength(1);
    expect(out[0]).toContain(`${from} -> ${to} [irq]`);
    expect(out[0]).toContain("set its model to 'yield'");
  });
});

function scenarios(name: string): typeof SCENARIOS {
  const s = SCENARIOS.filter((x) => x.name === name);
  if (s.length === 0) throw new Error(`no scenario ${name}`);
  return s;
}
