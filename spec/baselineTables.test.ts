/**
 * Every release baseline (properties/regressions/baseline/<setting>/) is named, with its cause, in a
 * baseline table of spec/, and every name those tables give is a baseline file (spec/baselineTables.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type BaselineFile, checkBaselineTables, listedBaselines } from './baselineTables.ts';
import { formatProblems } from './seedIndex.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BASELINE = join(repoRoot, 'properties', 'regressions', 'baseline');

function baselineFiles(): BaselineFile[] {
  return readdirSync(BASELINE).flatMap((setting) =>
    readdirSync(join(BASELINE, setting))
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({ setting, name: f.slice(0, -'.json'.length) })),
  );
}

function specTables() {
  return readdirSync(join(repoRoot, 'spec'))
    .filter((f) => f.endsWith('.md'))
    .flatMap((f) => listedBaselines(`spec/${f}`, readFileSync(join(repoRoot, 'spec', f), 'utf8')));
}

const TABLE = [
  'Text before.',
  '',
  '| Baseline (settings) | Cause |',
  '| ------------------- | ----- |',
  '| `a-01-task-xfs`, `b-02-world-xfs` (6.12.117) | one cause |',
  '| `c-03-bio-xfs` | another |',
  '',
  '| Name | Other |',
  '| ---- | ----- |',
  '| `d-04-not-a-baseline-table` | x |',
].join('\n');

describe('the baseline tables of spec/', () => {
  it('reads the backticked names of the first column of every Baseline table, and no other table', () => {
    expect(listedBaselines('spec/x.md', TABLE)).toEqual([
      { name: 'a-01-task-xfs', file: 'spec/x.md', line: 5 },
      { name: 'b-02-world-xfs', file: 'spec/x.md', line: 5 },
      { name: 'c-03-bio-xfs', file: 'spec/x.md', line: 6 },
    ]);
  });

  it('names a baseline file no table lists, and a listed name no file has', () => {
    const listed = listedBaselines('spec/x.md', TABLE);
    const files = [
      { setting: '6.12.117', name: 'a-01-task-xfs' },
      { setting: '6.12.117', name: 'b-02-world-xfs' },
      { setting: 'seed', name: 'e-05-task-xfs' },
      { setting: '6.12.118', name: 'e-05-task-xfs' },
    ];
    expect(checkBaselineTables(files, listed).map((p) => p.message)).toEqual([
      'baseline e-05-task-xfs (seed, 6.12.118) is in no baseline table of spec/: add it to a row that names its cause',
      'c-03-bio-xfs is no file under properties/regressions/baseline/<setting>/',
    ]);
  });

  it('list every baseline file of every setting, and name no other', () => {
    const files = baselineFiles();
    expect(files.length).toBeGreaterThan(100);
    const problems = checkBaselineTables(files, specTables());
    expect(problems, formatProblems(problems)).toEqual([]);
  });
});
