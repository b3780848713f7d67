/**
 * The atomicity map (spec/atomicity.json) as the test reads it, and its comparison with what the
 * runs derive (derive.ts): every disagreement as one line that says what to change.
 */
import { readFileSync } from 'node:fs';
import { type Derivation, pairKey, SETTINGS } from './derive.ts';

export interface MapRow {
  readonly row: string;
  readonly seed: string;
  readonly access: string;
  readonly shared: boolean;
  /** Why another context cannot touch it at that point (a key of `why`), for shared: false. */
  readonly why?: string;
  readonly defect?: string;
  /** The settings on which the runs reach it: every one (`all`), or these. */
  readonly settings: 'all' | readonly string[];
  /** The scenario (and setting) that reaches it. */
  readonly reachedBy: string;
}

export interface MapPair {
  readonly from: string;
  readonly to: string;
  readonly ctx: string;
  readonly model: 'yield' | 'none' | 'both';
  /** Why the kernel allows no interleaving there either (a key of `kernel`), for model none/both. */
  readonly kernel?: string;
  /** A known coarsening of the model (a key of `defects`). */
  readonly defect?: string;
  readonly reachedBy: string;
}

export interface AtomicityMap {
  readonly why: Readonly<Record<string, string>>;
  readonly kernel: Readonly<Record<string, string>>;
  readonly defects: Readonly<Record<string, string>>;
  readonly rows: readonly MapRow[];
  readonly pairs: readonly MapPair[];
}

export function loadMap(path: string): AtomicityMap {
  return JSON.parse(readFileSync(path, 'utf8')) as AtomicityMap;
}

/** Is a row shared, by the map? A row the map lacks counts as shared (and is reported). */
export function sharedBy(map: AtomicityMap): (rowId: string) => boolean {
  const shared = new Map(map.rows.map((r) => [r.row, r.shared]));
  return (id) => shared.get(id) ?? true;
}

/** The map's own consistency: every reason and defect named exists; every gap is explained. */
export function checkMapItself(map: AtomicityMap): string[] {
  const out: string[] = [];
  for (const r of map.rows) {
    if (!r.shared && (r.why === undefined || map.why[r.why] === undefined))
      out.push(`row ${r.row}: not shared, but no known reason (why)`);
    if (r.defect !== undefined && map.defects[r.defect] === undefined)
      out.push(`row ${r.row}: unknown defect ${r.defect}`);
  }
  for (const p of map.pairs) {
    const k = pairKey(p.from, p.to, p.ctx);
    if (p.model === 'yield') {
      if (p.kernel !== undefined || p.defect !== undefined)
        out.push(`pair ${k}: has a yield, needs no reason`);
      continue;
    }
    const reasons = (p.kernel !== undefined ? 1 : 0) + (p.defect !== undefined ? 1 : 0);
    if (reasons !== 1)
      out.push(`pair ${k}: runs atomically, needs exactly one of kernel (a reason) or defect`);
    if (p.kernel !== undefined && map.kernel[p.kernel] === undefined)
      out.push(`pair ${k}: unknown reason ${p.kernel}`);
    if (p.defect !== undefined && map.defects[p.defect] === undefined)
      out.push(`pair ${k}: unknown defect ${p.defect}`);
  }
  const used = new Set<string>();
  for (const r of map.rows) for (const k of [r.why, r.defect]) if (k !== undefined) used.add(k);
  for (const p of map.pairs) for (const k of [p.kernel, p.defect]) if (k !== undefined) used.add(k);
  for (const table of [map.why, map.kernel, map.defects])
    for (const k of Object.keys(table))
      if (!used.has(k)) out.push(`reason or defect ${k} is named by no row or pair`);
  return out;
}

/** Map against model: rows and pairs on both sides, and the model's gap for each pair. */
export function compare(map: AtomicityMap, d: Derivation): string[] {
  const out: string[] = [];
  const rows = new Set(map.rows.map((r) => r.row));
  for (const [id, by] of d.rows) if (!rows.has(id)) out.push(`row the map lacks: ${id} (reached by ${by})`);
  for (const r of map.rows) {
    const reached = d.rowSettings.get(r.row);
    if (reached === undefined) {
      out.push(`map row no run reaches: ${r.row} (${r.reachedBy} should reach it)`);
      continue;
    }
    const want = r.settings === 'all' ? SETTINGS.map(([name]) => name) : r.settings;
    const got = SETTINGS.map(([name]) => name).filter((name) => reached.has(name));
    if (want.join(',') !== got.join(','))
      out.push(
        `row ${r.row}: the map says it is reached on ${want.join(', ')}, the runs reach it on ${got.join(', ')}`,
      );
  }
  const pairs = new Map(map.pairs.map((p) => [pairKey(p.from, p.to, p.ctx), p]));
  for (const [k, p] of d.pairs) {
    const m = pairs.get(k);
    const seen = p.seen.size === 2 ? 'both' : p.seen.has('yield') ? 'yield' : 'none';
    const by = [...p.seen.values()].join(', ');
    if (m === undefined) {
      out.push(`pair the map lacks: ${k} (model: ${seen}, reached by ${by})`);
      continue;
    }
    if (m.model === seen) continue;
    if (m.model === 'yield' || (m.model === 'both' && seen === 'none'))
      out.push(
        `coarsening: ${k} has an interleaving point by the map, the model runs it atomically (${p.seen.get('none')})`,
      );
    else if (m.defect !== undefined)
      out.push(
        `defect ${m.defect} looks fixed at ${k} (model: ${seen}, ${by}): set its model to '${seen}' and drop the defect`,
      );
    else out.push(`pair ${k}: the map says model '${m.model}', the runs show '${seen}' (${by})`);
  }
  for (const [k, p] of pairs)
    if (!d.pairs.has(k)) out.push(`map pair no run reaches: ${k} (${p.reachedBy} should reach it)`);
  return out;
}
