/**
 * spec/atomicity.md's tables, rendered from spec/atomicity.json: the test checks that the
 * document carries exactly these (cell by cell), and `npx tsx properties/atomicity/render.ts --write`
 * rewrites them after the map changed, for `npx biome format --write spec/atomicity.md` to align
 * (the prose around them is written by hand). `--stubs` prints the
 * rows and pairs the runs reach and the map lacks, as JSON entries to complete by hand: their
 * seed line, kind of access, and the reason (or defect) are left empty, which the test rejects.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitRow } from '../../spec/markdownRow.ts';
import { type Derivation, derive, pairKey, SETTINGS } from './derive.ts';
import { type AtomicityMap, loadMap, type MapPair, type MapRow, sharedBy } from './map.ts';

const cell = (s: string): string => s.replaceAll('|', '\\|');
const code = (s: string): string => `\`${s}\``;

/** The generated sections, by name: between `<!-- atomicity:NAME -->` and `<!-- /atomicity:NAME -->`. */
export function renderSections(map: AtomicityMap): Map<string, string> {
  const out = new Map<string, string>();
  const rows = [
    '| Row (where, field, access) [context] | Seed | Kind of access | Shared | Why not / defect |',
  ];
  rows.push('| --- | --- | --- | --- | --- |');
  for (const r of map.rows) {
    const note = [r.why, r.defect === undefined ? undefined : `defect: ${r.defect}`].filter(
      (x) => x !== undefined,
    );
    rows.push(
      `| ${code(r.row)} | ${cell(r.seed)} | ${cell(r.access)} | ${r.shared ? 'yes' : 'no'} | ${note.join('; ')} | ${r.settings === 'all' ? 'all' : r.settings.join(', ')} |`,
    );
  }
  out.set('rows', rows.join('\n'));
  const pairs = [
    '| Context | From | To | Model | Kernel reason / defect |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const p of map.pairs) {
    const note = p.kernel ?? (p.defect === undefined ? '' : `**defect: ${p.defect}**`);
    pairs.push(`| ${p.ctx} | ${code(p.from)} | ${code(p.to)} | ${p.model} | ${note} |`);
  }
  out.set('pairs', pairs.join('\n'));
  const count = (xs: readonly unknown[]): string => String(xs.length);
  const summary = ['| Measure | Count |', '| --- | --- |'];
  summary.push(`| rows | ${count(map.rows)} |`);
  summary.push(`| rows shared | ${count(map.rows.filter((r) => r.shared))} |`);
  summary.push(
    `| places (functions, hooks, pseudo) | ${new Set(map.rows.map((r) => r.row.split(/[ :]/)[0])).size} |`,
  );
  summary.push(`| pairs | ${count(map.pairs)} |`);
  for (const m of ['yield', 'none', 'both'] as const)
    summary.push(`| pairs, model ${m} | ${count(map.pairs.filter((p) => p.model === m))} |`);
  for (const k of Object.keys(map.kernel))
    summary.push(`| pairs, kernel reason ${code(k)} | ${count(map.pairs.filter((p) => p.kernel === k))} |`);
  for (const k of Object.keys(map.defects)) {
    const pairs = map.pairs.filter((p) => p.defect === k).length;
    const rows = map.rows.filter((r) => r.defect === k).length;
    summary.push(`| defect ${code(k)} | ${pairs} pairs, ${rows} rows |`);
  }
  out.set('summary', summary.join('\n'));
  const reasons = ['| Key | Meaning |', '| --- | --- |'];
  for (const [title, table] of [
    ['why', map.why],
    ['kernel', map.kernel],
    ['defect', map.defects],
  ] as const)
    for (const [k, v] of Object.entries(table)) reasons.push(`| ${title}: ${code(k)} | ${cell(v)} |`);
  out.set('reasons', reasons.join('\n'));
  return out;
}

/** The rows and pairs `d` reached that `map` lacks, as entries to complete (empty fields). */
export function stubsFor(map: AtomicityMap, d: Derivation): { rows: MapRow[]; pairs: MapPair[] } {
  const rows = new Set(map.rows.map((r) => r.row));
  const pairs = new Set(map.pairs.map((p) => pairKey(p.from, p.to, p.ctx)));
  return {
    rows: [...d.rows]
      .filter(([id]) => !rows.has(id))
      .map(([row, by]) => {
        const reached = d.rowSettings.get(row) ?? new Set<string>();
        const settings = SETTINGS.map(([name]) => name).filter((name) => reached.has(name));
        return {
          row,
          seed: '',
          access: '',
          shared: true,
          settings: settings.length === SETTINGS.length ? ('all' as const) : settings,
          reachedBy: by,
        };
      }),
    pairs: [...d.pairs]
      .filter(([k]) => !pairs.has(k))
      .map(([, p]) => ({
        from: p.from,
        to: p.to,
        ctx: p.ctxKind,
        model: p.seen.size === 2 ? 'both' : p.seen.has('yield') ? 'yield' : 'none',
        reachedBy: [...p.seen.values()].join(', '),
      })),
  };
}

/**
 * The cells of each generated section's table, as `biome format` leaves them comparable: it pads
 * the cells and the separator, so tables are compared cell by cell, not as text.
 */
export function sectionCells(doc: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const m of doc.matchAll(/<!-- atomicity:(\w+) -->([\s\S]*?)<!-- \/atomicity:\1 -->/g)) {
    const lines = (m[2] ?? '').split('\n').filter((l) => l.trim().startsWith('|'));
    out.set(
      m[1] ?? '',
      lines.map((l) => splitRow(l).map((c) => (/^-+$/.test(c) ? '---' : c))),
    );
  }
  return out;
}

/** The document with each generated section replaced by its rendering. */
export function withSections(doc: string, sections: Map<string, string>): string {
  let out = doc;
  for (const [name, body] of sections) {
    const open = `<!-- atomicity:${name} -->`;
    const close = `<!-- /atomicity:${name} -->`;
    const i = out.indexOf(open);
    const j = out.indexOf(close);
    if (i < 0 || j < i) throw new Error(`spec/atomicity.md has no section ${name}`);
    out = `${out.slice(0, i + open.length)}\n\n${body}\n\n${out.slice(j)}`;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const json = fileURLToPath(new URL('../../spec/atomicity.json', import.meta.url));
  const md = fileURLToPath(new URL('../../spec/atomicity.md', import.meta.url));
  const map = loadMap(json);
  if (process.argv.includes('--stubs')) {
    console.log(JSON.stringify(stubsFor(map, derive(sharedBy(map))), null, 1));
    process.exit(0);
  }
  const doc = readFileSync(md, 'utf8');
  const next = withSections(doc, renderSections(map));
  if (process.argv.includes('--write')) writeFileSync(md, next);
  else if (JSON.stringify([...sectionCells(next)]) !== JSON.stringify([...sectionCells(doc)])) {
    console.error(
      'spec/atomicity.md: tables differ from spec/atomicity.json (run with --write, then biome format)',
    );
    process.exit(2);
  }
}
