/**
 * Regenerates the two tables of spec/ that mirror code: the invariant table of spec/invariants.md
 * (from the registry) and the bug table of spec/bugs.md (from the catalogue). The text around
 * each table is kept. `npm run spec:tables`; spec/catalogue.test.ts is its check. It also writes the
 * seed's cross-reference index spec/seed-xref.json when the seed listing is beside the repository
 * (spec/citations.test.ts checks it against the listing).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUGS } from '../model/bugs/catalogue.ts';
import { MODEL_RAISED } from '../properties/invariants/modelRaised.ts';
import { ALL_INVARIANTS } from '../properties/invariants/registry.ts';
import { REQUEST_CHECKS } from '../properties/invariants/requestChecks.ts';
import { formatSeedXref, SEED_XREF_PATH, seedXref } from '../spec/seedIndex.ts';

const code = (s: string): string => `\`${s}\``;
const cell = (s: string): string => s.replace(/\|/g, '\\|');

function checkedIn(id: string): string {
  const inv = ALL_INVARIANTS.find((i) => i.id === id);
  if (inv === undefined) return '';
  if (MODEL_RAISED.includes(inv)) return cell(inv.raisedIn ?? '');
  const file = REQUEST_CHECKS.includes(inv) ? 'requestChecks.ts' : 'worldChecks.ts';
  const hooks = Object.keys(inv.probe ?? {}).join(', ');
  return `${code(`properties/invariants/${file}`)} (${hooks})`;
}

function invariantRows(): string[] {
  const head = '| ID | Name | Kind | Family | Statement | Source | Checked in | Planted bugs |';
  const rule = '| --- | --- | --- | --- | --- | --- | --- | --- |';
  const rows = ALL_INVARIANTS.map((i) => {
    const bugs = BUGS.filter((b) => b.invariant === i.id).map((b) => code(b.name));
    return `| ${code(i.id)} | ${i.name} | ${i.kind} | ${i.family} | ${cell(i.statement)} | ${cell(i.source)} | ${checkedIn(i.id)} | ${bugs.join(', ')} |`;
  });
  return [head, rule, ...rows];
}

function bugRows(): string[] {
  const head = '| Name | Commit | Title | Year | Lines | Invariant | In seed? |';
  const rule = '| --- | --- | --- | --- | --- | --- | --- |';
  const rows = BUGS.map((b) => {
    const commit = b.commit === 'synthetic' ? 'synthetic' : code(b.commit);
    return `| ${code(b.name)} | ${commit} | ${cell(b.title)} | ${b.year ?? '—'} | ${cell(b.lines)} | ${code(b.invariant)} | ${b.inSeed ? 'yes' : 'no'} |`;
  });
  return [head, rule, ...rows];
}

/** Replace the first markdown table whose header starts with `firstHeader`. */
function replaceTable(path: string, firstHeader: string, rows: string[]): void {
  const lines = readFileSync(path, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.replace(/\s+/g, ' ').startsWith(`| ${firstHeader} |`));
  if (start < 0) throw new Error(`${path}: no table starting with ${firstHeader}`);
  let end = start;
  while (end < lines.length && (lines[end] ?? '').startsWith('|')) end++;
  lines.splice(start, end - start, ...rows);
  writeFileSync(path, lines.join('\n'));
}

replaceTable('spec/invariants.md', 'ID', invariantRows());
replaceTable('spec/bugs.md', 'Name', bugRows());
console.log(`spec tables: ${ALL_INVARIANTS.length} invariants, ${BUGS.length} bugs`);

// The seed's cross-reference index, for clones without ../shared (spec/seed-xref.json).
const listing = resolve('../shared/seed/direct-io.c.lines.txt');
if (existsSync(listing)) {
  writeFileSync(SEED_XREF_PATH, formatSeedXref(seedXref(readFileSync(listing, 'utf8'), listing)));
  console.log(`spec/seed-xref.json: from ${listing}`);
} else {
  console.log(`spec/seed-xref.json: kept as it is (no seed listing at ${listing})`);
}
