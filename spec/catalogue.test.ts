/**
 * The catalogues of spec/ are read by programs as well as people, so they must say what the code
 * says. These tests fail when:
 * (a) spec/invariants.md and the registry (properties/invariants/registry.ts, ALL_INVARIANTS)
 *     disagree: the same IDs in the same order, and per ID the same name, kind, family and
 *     statement, and the planted bugs of model/bugs/catalogue.ts that name it;
 * (b) spec/bugs.md and BUGS disagree: the same bug names in the same order, and per bug the same
 *     commit and invariant;
 * (c) model/ raises an invariant ID (`new Violation('ID'`, `new PendingViolation('ID'`) that the
 *     registry lacks, or the registry says the model raises an ID that none of the files it names
 *     raises.
 * The tables are parsed by column name, cell by cell, so padding, column order and a formatter's
 * escapes do not matter. Each check has a fixture that breaks one row and expects the problem.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUGS } from '../model/bugs/catalogue.ts';
import { ALL_INVARIANTS } from '../properties/invariants/registry.ts';
import {
  checkBugTable,
  checkInvariantTable,
  checkRaisedIds,
  formatProblems,
  type Problem,
  raisedIds,
} from './seedIndex.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function readSpec(name: string): string {
  return readFileSync(join(repoRoot, 'spec', name), 'utf8');
}

function modelSources(): { path: string; text: string }[] {
  return readdirSync(join(repoRoot, 'model'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `model/${f.split('\\').join('/')}`)
    .sort()
    .map((path) => ({ path, text: readFileSync(join(repoRoot, path), 'utf8') }));
}

/** Fails with every problem listed as file:line: message. */
function expectNone(problems: readonly Problem[]): void {
  expect(problems, `\n${formatProblems(problems)}\n`).toEqual([]);
}

const at = (problems: readonly Problem[]): string[] => problems.map((p) => `${p.file}:${p.line}`);

describe('(a) spec/invariants.md', () => {
  it('lists the registry in order, with its names, kinds, families, statements and planted bugs', () => {
    expect(ALL_INVARIANTS.length).toBeGreaterThan(30);
    expectNone(checkInvariantTable('spec/invariants.md', readSpec('invariants.md'), ALL_INVARIANTS, BUGS));
  });
});

describe('(b) spec/bugs.md', () => {
  it('lists the bug catalogue in order, with its commits and invariants', () => {
    expect(BUGS.length).toBeGreaterThan(30);
    expectNone(checkBugTable('spec/bugs.md', readSpec('bugs.md'), BUGS));
  });
});

describe('(c) invariant IDs raised in model/', () => {
  it('are all in the registry, and the model raises each invariant where the registry says', () => {
    const raised = raisedIds(modelSources());
    // A guard against a pattern that silently finds nothing: the model raises a dozen IDs or more.
    expect(new Set(raised.map((r) => r.id)).size).toBeGreaterThan(10);
    expectNone(checkRaisedIds(raised, ALL_INVARIANTS));
  });
});

/**
 * Tables built from the registry and the catalogue themselves, as spec/ lays them out, so that the
 * fixtures below do not depend on the state of the real files.
 */
function invariantTable(): string {
  const rows = ALL_INVARIANTS.map((i) => {
    const planted = BUGS.filter((b) => b.invariant === i.id).map((b) => `\`${b.name}\``);
    const cells = [`\`${i.id}\``, i.name, i.kind, i.family, i.statement, i.source, i.raisedIn ?? 'probe'];
    return `| ${[...cells, planted.join(', ') || '—'].join(' | ')} |`;
  });
  const head = '| ID | Name | Kind | Family | Statement | Source | Checked in | Planted bugs |';
  return ['# Invariants', '', head, `|${' --- |'.repeat(8)}`, ...rows, ''].join('\n');
}

function bugTable(): string {
  const rows = BUGS.map((b) => {
    const commit = b.commit.startsWith('synthetic') ? b.commit : `\`${b.commit}\``;
    const cells = [`\`${b.name}\``, commit, b.title, String(b.year ?? '—'), b.lines, `\`${b.invariant}\``];
    return `| ${[...cells, b.inSeed ? 'yes' : 'no'].join(' | ')} |`;
  });
  const head = '| Name | Commit | Title | Year | Lines | Invariant | In seed? |';
  return ['# Bugs', '', head, `|${' --- |'.repeat(7)}`, ...rows, ''].join('\n');
}

/** The checks must be able to fail: each fixture breaks a table, or a model file, in one place. */
describe('the checks report a wrong catalogue with file and line', () => {
  const invariants = invariantTable();
  const bugs = bugTable();
  const lines = (text: string) => text.split('\n');
  const rowOf = (text: string, key: string): number =>
    lines(text).findIndex((l) => l.startsWith(`| \`${key}\``));
  /** The text with the row of `key` changed by `edit` (cells split on ` | `). */
  const editRow = (text: string, key: string, edit: (cells: string[]) => string[]): string => {
    const ls = lines(text);
    const i = rowOf(text, key);
    ls[i] = edit((ls[i] ?? '').split(' | ')).join(' | ');
    return ls.join('\n');
  };
  const checkInv = (text: string) => checkInvariantTable('inv.md', text, ALL_INVARIANTS, BUGS);
  const checkBugs = (text: string) => checkBugTable('bugs.md', text, BUGS);

  it('passes the tables built from the registry and the catalogue, and finds the rows it edits', () => {
    expectNone(checkInv(invariants));
    expectNone(checkBugs(bugs));
    expect(rowOf(invariants, 'CTX-01')).toBeGreaterThan(0);
    expect(rowOf(bugs, 'no-dirty-past-eof')).toBeGreaterThan(0);
  });

  it('reports a changed statement, name, kind and family at the row', () => {
    const line = rowOf(invariants, 'ERR-01') + 1;
    const text = editRow(invariants, 'ERR-01', (c) => {
      c[1] = 'ErrorSetTwice';
      c[2] = 'liveness';
      c[3] = 'results';
      c[4] = 'dio->error moves from 0 at most twice.';
      return c;
    });
    const problems = checkInv(text);
    expect(at(problems)).toEqual([`inv.md:${line}`, `inv.md:${line}`, `inv.md:${line}`, `inv.md:${line}`]);
    expect(problems.map((p) => p.message.split(':')[0])).toEqual([
      'ERR-01 name',
      'ERR-01 kind',
      'ERR-01 family',
      'ERR-01 statement',
    ]);
  });

  it('ignores padding and code spans, but not a planted bug left out', () => {
    const padded = editRow(invariants, 'CTX-01', (c) => c.map((x) => `  ${x}  `));
    expectNone(checkInv(padded.replace(/\|\s+NoSleepInInterrupt/, '| `NoSleepInInterrupt`')));
    const dropped = editRow(invariants, 'CTX-01', (c) => {
      c[7] = '`read-error-end-io-in-irq` |';
      return c;
    });
    const problems = checkInv(dropped);
    expect(at(problems)).toEqual([`inv.md:${rowOf(invariants, 'CTX-01') + 1}`]);
    expect(problems[0]?.message).toMatch(/CTX-01 planted bugs/);
  });

  it('reports a missing row, an unknown ID and rows out of order', () => {
    const ls = lines(invariants);
    const i = rowOf(invariants, 'RES-04');
    const j = rowOf(invariants, 'RES-03');
    const missing = ls.filter((_, k) => k !== i).join('\n');
    expect(checkInv(missing).map((p) => p.message)).toEqual(['invariant RES-04 has no row']);
    const unknown = editRow(invariants, 'RES-04', (c) => {
      c[0] = '| `RES-99`';
      return c;
    });
    expect(checkInv(unknown).map((p) => p.message)).toEqual(
      expect.arrayContaining([
        'invariant RES-99 is not in the registry (ALL_INVARIANTS)',
        'invariant RES-04 has no row',
      ]),
    );
    const swapped = [...ls];
    [swapped[i], swapped[j]] = [ls[j] ?? '', ls[i] ?? ''];
    const problems = checkInv(swapped.join('\n'));
    expect(problems.map((p) => p.message)).toEqual([
      'invariant RES-03 is out of order: the registry (ALL_INVARIANTS) has RES-04 in its place',
    ]);
    expect(at(problems)).toEqual([`inv.md:${i + 1}`]);
  });

  it('reports a bug row with another commit or invariant, and a bug missing', () => {
    const line = rowOf(bugs, 'no-dirty-past-eof') + 1;
    const text = editRow(bugs, 'no-dirty-past-eof', (c) => {
      c[1] = '`0929d8580071`';
      c[5] = '`DUR-02`';
      return c;
    });
    const problems = checkBugs(text);
    expect(at(problems)).toEqual([`bugs.md:${line}`, `bugs.md:${line}`]);
    expect(problems.map((p) => p.message)).toEqual([
      'no-dirty-past-eof commit: the catalogue has 7684e2c4384d, the table 0929d8580071',
      'no-dirty-past-eof invariant: the catalogue has DUR-01, the table DUR-02',
    ]);
    const missing = lines(bugs)
      .filter((_, k) => k !== line - 1)
      .join('\n');
    expect(checkBugs(missing).map((p) => p.message)).toEqual(['bug no-dirty-past-eof has no row']);
  });

  it('reports a file without the table', () => {
    expect(checkBugs('# Bugs\n\nNone yet.\n').map((p) => p.message)).toEqual([
      'expected one table with the columns name | commit | invariant, found 0',
    ]);
  });

  it('reports an ID raised in model/ that the registry lacks, on its line', () => {
    const text = [
      "import { Violation } from '../runtime/violation.ts';",
      'export function f(): never {',
      '  throw new Violation(',
      "    'LIFE-99',",
      "    'world',",
      '    0,',
      "    'no such invariant',",
      '  );',
      '}',
      "export const g = () => new PendingViolation('CTX-01', 0, 'known');",
    ].join('\n');
    const raised = raisedIds([{ path: 'model/x.ts', text }]);
    expect(raised).toEqual([
      { id: 'LIFE-99', file: 'model/x.ts', line: 4 },
      { id: 'CTX-01', file: 'model/x.ts', line: 10 },
    ]);
    const real = raisedIds(modelSources());
    const problems = checkRaisedIds([...real, ...raised], ALL_INVARIANTS);
    expect(problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
      'model/x.ts:4: LIFE-99 is raised here but is not in the registry',
    ]);
  });

  it('reports a model-raised invariant that no file it names raises', () => {
    const real = raisedIds(modelSources()).filter((r) => r.id !== 'WQ-01');
    expect(checkRaisedIds(real, ALL_INVARIANTS).map((p) => p.message)).toEqual([
      'WQ-01 is said to be raised in model/kernel/iomapDioComplete.ts, but none of those files raises it',
    ]);
  });
});
