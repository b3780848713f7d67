/**
 * The release baselines (properties/regressions/baseline/<setting>/NAME.json, the known findings of
 * `run --kernel K`) and the tables of spec/ that say what causes each: every table whose first
 * column is headed `Baseline ...` (spec/fs.md) names baselines in its first cells, in backticks.
 * A baseline no table names has no cause in spec/ but its file's note; a name no file has is a
 * row about nothing. spec/baselineTables.test.ts checks both.
 */
import { splitRow } from './markdownRow.ts';
import type { Problem } from './seedIndex.ts';

/** One baseline name in the first cell of a baseline table's row. */
export interface ListedBaseline {
  readonly name: string;
  readonly file: string;
  readonly line: number;
}

/** One baseline file: its setting's directory and its name (the file name without `.json`). */
export interface BaselineFile {
  readonly setting: string;
  readonly name: string;
}

/** The backticked names in the first cells of the body rows of every `Baseline` table of `markdown`. */
export function listedBaselines(file: string, markdown: string): ListedBaseline[] {
  const lines = markdown.split('\n');
  const listed: ListedBaseline[] = [];
  let inTable = false;
  lines.forEach((text, i) => {
    if (!text.startsWith('|')) {
      inTable = false;
      return;
    }
    const first = splitRow(text)[0] ?? '';
    const previous = lines[i - 1] ?? '';
    // A header row: the line before is not a row; its first cell names the table.
    if (!previous.startsWith('|')) {
      inTable = first.startsWith('Baseline');
      return;
    }
    if (!inTable || /^-+$/.test(first)) return;
    for (const m of first.matchAll(/`([^`]+)`/g)) listed.push({ name: m[1] as string, file, line: i + 1 });
  });
  return listed;
}

/** Baseline files that no table names, and names in a table that no baseline file has. */
export function checkBaselineTables(
  files: readonly BaselineFile[],
  listed: readonly ListedBaseline[],
): Problem[] {
  const problems: Problem[] = [];
  const names = new Set(listed.map((l) => l.name));
  const bySetting = new Map<string, string[]>();
  for (const f of files) {
    if (names.has(f.name)) continue;
    bySetting.set(f.name, [...(bySetting.get(f.name) ?? []), f.setting]);
  }
  for (const [name, settings] of [...bySetting].sort(([a], [b]) => a.localeCompare(b))) {
    problems.push({
      file: 'spec/fs.md',
      line: 0,
      message: `baseline ${name} (${settings.join(', ')}) is in no baseline table of spec/: add it to a row that names its cause`,
    });
  }
  const fileNames = new Set(files.map((f) => f.name));
  for (const l of listed) {
    if (!fileNames.has(l.name)) {
      problems.push({
        file: l.file,
        line: l.line,
        message: `${l.name} is no file under properties/regressions/baseline/<setting>/`,
      });
    }
  }
  return problems;
}
