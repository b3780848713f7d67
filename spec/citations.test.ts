/**
 * The model cites the seed (fs/iomap/direct-io.c at 4b132aac, with line numbers) everywhere: in
 * comments, in coverage marks, in the seed line passed to every checked access. These tests keep the
 * citations honest as the model changes:
 * (a) every cited line exists in the seed, and a coverage mark sits on a line of code inside the
 *     function its model function mirrors;
 * (b) every function the seed defines has a camelCased counterpart exported from model/kernel/, in
 *     the ops table (which holds nothing but seed functions and named pieces of them), and rows in
 *     spec/kernel-map.md, and the map names only model code that exists;
 * (c) the line ranges of spec/kernel-map.md lie inside the function each is listed under.
 * Each failure names the file and line to fix. The seed is read from DIOCHECK_SEED (a Linux
 * checkout, direct-io.c at the seed revision, or the numbered listing) or ../shared/seed beside the
 * repository when one is there (spec/seedSource.ts), and otherwise from its committed cross-reference index
 * spec/seed-xref.json (no kernel text: which lines hold code, the functions, and the lines each
 * identifier and label occurs on), which the listing, when present, must reproduce exactly.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SEED_OPS } from '../model/kernel/ops.ts';
import {
  buildModelIndex,
  camelCase,
  checkCounterparts,
  checkKernelMap,
  checkMarkdownSeedCitations,
  checkModelCitations,
  formatProblems,
  type ModelIndex,
  formatSeedXref,
  parseSeedXref,
  type Problem,
  SEED_REVISION,
  SEED_XREF_PATH,
  type Seed,
  type SeedListing,
  seedFromXref,
  seedXref,
} from './seedIndex.ts';
import { listingOfText, loadSeedSource, type SeedSource } from './seedSource.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const xrefPath = join(repoRoot, SEED_XREF_PATH);

let sourceCache: SeedSource | undefined;
function source(): SeedSource {
  sourceCache ??= loadSeedSource(repoRoot);
  return sourceCache;
}
/** The seed: from DIOCHECK_SEED, ../shared/seed, or else the committed xref (spec/seedSource.ts). */
function loadSeed(): Seed {
  return source().seed;
}
const listingOrNull = (): SeedListing | null => source().listing;

function tsFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${dir}/${f.split('\\').join('/')}`)
    .sort();
}

let modelCache: ModelIndex | undefined;
function loadModel(): ModelIndex {
  modelCache ??= buildModelIndex(
    tsFiles('model').map((path) => ({ path, text: readFileSync(join(repoRoot, path), 'utf8') })),
  );
  return modelCache;
}

function readSpec(name: string): string {
  return readFileSync(join(repoRoot, 'spec', name), 'utf8');
}

/** Fails with every problem listed as file:line: message. */
function expectNone(problems: readonly Problem[]): void {
  expect(problems, `\n${formatProblems(problems)}\n`).toEqual([]);
}

describe('the seed', () => {
  it(`is read from ${source().kind === 'xref' ? 'the committed xref (set DIOCHECK_SEED to a Linux checkout, direct-io.c at 4b132aac or the numbered listing to check the xref too)' : source().path}`, () => {
    // The source is the first one present: DIOCHECK_SEED, then the listing beside the repository.
    const named = process.env.DIOCHECK_SEED;
    const shared = existsSync(resolve(repoRoot, '../shared/seed/direct-io.c.lines.txt'));
    const expected =
      named !== undefined && named !== '' ? ['tree', 'file', 'listing'] : shared ? ['listing'] : ['xref'];
    expect(expected).toContain(source().kind);
  });

  it('has its cross-reference index committed, for clones without ../shared', () => {
    expect(existsSync(xrefPath), `${SEED_XREF_PATH} missing: npm run spec:tables writes it`).toBe(true);
    const x = parseSeedXref(readFileSync(xrefPath, 'utf8'), xrefPath);
    expect(x.revision).toBe(SEED_REVISION);
  });

  it.skipIf(listingOrNull() === null)(
    'is indexed in spec/seed-xref.json exactly as its text reads (skipped when only the xref is here)',
    () => {
      const listing = listingOrNull();
      if (listing === null) return;
      const text = Array.from({ length: listing.lineCount }, (_, k) => listing.text(k + 1) ?? '').join('\n');
      const fresh = formatSeedXref(seedXref(listingOfText(text, SEED_REVISION), listing.path));
      expect(readFileSync(xrefPath, 'utf8'), 'spec/seed-xref.json is stale: run npm run spec:tables').toBe(
        fresh,
      );
    },
  );

  it.skipIf(listingOrNull() === null)(
    'gives every check the same answers from its xref as from its text',
    () => {
      const listing = listingOrNull();
      if (listing === null) return;
      const xref = seedFromXref(parseSeedXref(readFileSync(xrefPath, 'utf8'), xrefPath), xrefPath);
      const model = loadModel();
      const map = readSpec('kernel-map.md');
      expect(checkKernelMap(xref, model, 'spec/kernel-map.md', map)).toEqual(
        checkKernelMap(listing, model, 'spec/kernel-map.md', map),
      );
      expect(checkModelCitations(xref, model)).toEqual(checkModelCitations(listing, model));
      for (let n = 1; n <= listing.lineCount; n++) expect(xref.isCode(n), `L${n}`).toBe(listing.isCode(n));
    },
  );

  it('is the pinned revision of fs/iomap/direct-io.c', () => {
    const seed = loadSeed();
    expect(seed.revision).toBe(SEED_REVISION);
    expect(seed.lineCount).toBe(756);
  });

  it('defines the fifteen functions the model mirrors', () => {
    expect(loadSeed().functions.map((f) => `${f.name} L${f.start}-${f.end}`)).toEqual([
      'iomap_dio_alloc_bio L55-62',
      'iomap_dio_submit_bio L64-81',
      'iomap_dio_complete L83-133',
      'iomap_dio_deferred_complete L136-139',
      'iomap_dio_complete_work L141-147',
      'iomap_dio_set_error L154-157',
      'iomap_dio_bio_end_io L159-232',
      'iomap_dio_zero L235-251',
      'iomap_dio_bio_opflags L258-273',
      'iomap_dio_bio_iter L275-442',
      'iomap_dio_hole_iter L444-453',
      'iomap_dio_inline_iter L455-486',
      'iomap_dio_iter L488-518',
      '__iomap_dio_rw L540-739',
      'iomap_dio_rw L742-754',
    ]);
  });
});

describe('(a) seed citations in model/ and spec/', () => {
  it('name lines that exist, and coverage marks sit on code inside the mirrored function', () => {
    const model = loadModel();
    const counted = [...model.files.values()].flatMap((f) => f.citations);
    // A guard against a parser that silently finds nothing: the kernel files cite hundreds of lines.
    expect(counted.filter((c) => c.kind === 'cover').length).toBeGreaterThan(50);
    expect(counted.filter((c) => c.kind === 'argument').length).toBeGreaterThan(50);
    expect(counted.filter((c) => c.kind === 'comment').length).toBeGreaterThan(100);
    expectNone(checkModelCitations(loadSeed(), model));
  });

  it('in spec/*.md name lines that exist', () => {
    const seed = loadSeed();
    const names = readdirSync(join(repoRoot, 'spec')).filter((f) => f.endsWith('.md'));
    expectNone(names.flatMap((n) => checkMarkdownSeedCitations(seed, `spec/${n}`, readSpec(n))));
  });
});

describe('(b) every seed function has a model counterpart and a kernel-map row', () => {
  it('is exported from model/kernel/ under its camelCased name', () => {
    expectNone(checkCounterparts(loadSeed(), loadModel()));
  });

  it('is an entry of the ops table, whose other entries are pieces of seed functions', () => {
    const mirrors = loadSeed().functions.map((f) => camelCase(f.name));
    const keys = Object.keys(SEED_OPS);
    expect(mirrors.filter((m) => !keys.includes(m))).toEqual([]);
    // A piece split out of a seed function so that a planted bug or an upstream fix can replace it
    // is named after that function (iomapDioBioIter → iomapDioBioIterUnwind).
    const strays = keys.filter((key) => !mirrors.some((m) => key.startsWith(m)));
    expect(strays, 'ops entries that are not seed functions or named pieces of one').toEqual([]);
  });
});

describe('(b, c) spec/kernel-map.md', () => {
  it('maps every seed function and coverage mark, inside the right function, to model code that exists', () => {
    expectNone(checkKernelMap(loadSeed(), loadModel(), 'spec/kernel-map.md', readSpec('kernel-map.md')));
  });
});

/**
 * The checks must be able to fail. Each fixture below plants one wrong citation in a small model
 * file or map, built over the real seed, and expects the problem at the right file and line.
 */
describe('the checks report wrong citations with file and line', () => {
  const fixtureModel = (text: string): ModelIndex =>
    buildModelIndex([
      {
        path: 'model/runtime/rt.ts',
        text: 'export class Rt { cover(line: number): void {} ev(line: number, e: string): void {} }\n',
      },
      { path: 'model/kernel/x.ts', text },
    ]);

  it('reports a comment citing a line past the end of the seed', () => {
    const problems = checkModelCitations(loadSeed(), fixtureModel('// one\n// L800-801: nothing here\n'));
    expect(problems.map((p) => `${p.file}:${p.line}`)).toEqual(['model/kernel/x.ts:2']);
  });

  it('takes a line cited with a release in front as a line of that release, not of the seed', () => {
    const text = '// 6.12.117 L790-800 and 6.12 L786-799: the zero page; L800-801 is a seed line\n';
    const problems = checkModelCitations(loadSeed(), fixtureModel(text));
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^L800-801: seed has lines/)]);
  });

  it('takes seed L0 in markdown as no seed line, as reports print it, and reports L757', () => {
    const md = 'VIOLATED  SYS-03 in world at seed L0: x\nsee seed L757\n';
    expect(checkMarkdownSeedCitations(loadSeed(), 'x.md', md).map((p) => p.line)).toEqual([2]);
  });

  it('reports a coverage mark on a comment line, and one outside its function', () => {
    const text = [
      'declare const rt: { cover(n: number): void };',
      'export function iomapDioZero(): void {',
      '  rt.cover(253);',
      '  rt.cover(264);',
      '}',
    ].join('\n');
    const problems = checkModelCitations(loadSeed(), fixtureModel(text));
    expect(problems.map((p) => `${p.file}:${p.line}`)).toEqual([
      'model/kernel/x.ts:3',
      'model/kernel/x.ts:3',
      'model/kernel/x.ts:4',
    ]);
    expect(problems[0]?.message).toMatch(/blank or only a comment/);
  });

  it('reports a seed-line argument past the end of the seed', () => {
    const text = 'declare const rt: { ev(l: number, e: string): void };\n\nrt.ev(900, "x");\n';
    const problems = checkModelCitations(loadSeed(), fixtureModel(text));
    expect(problems.map((p) => `${p.file}:${p.line}`)).toEqual(['model/kernel/x.ts:3']);
  });

  it('reports a header that names a C function with lines of another', () => {
    const problems = checkModelCitations(
      loadSeed(),
      fixtureModel('/** iomap_dio_zero() (seed L258-273). */\n'),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/iomap_dio_zero is seed L235-251/);
  });

  it('reports a seed function with no counterpart', () => {
    const problems = checkCounterparts(loadSeed(), fixtureModel('export function iomapDioRw(): void {}\n'));
    expect(problems.map((p) => p.message)).toContain(
      'iomap_dio_zero has no exported counterpart iomapDioZero in model/kernel/',
    );
  });

  it('reports map rows outside their function, missing model code and unlisted marks', () => {
    const model = fixtureModel(
      'declare const rt: { cover(n: number): void };\nfunction iomapDioZero(): void {\n  rt.cover(242);\n}\n',
    );
    const md = [
      '| C function | Seed lines | What it does | Model file | Model function | Coverage marks |',
      '|---|---|---|---|---|---|',
      '| `iomap_dio_zero` | `L235-251` | all | `model/kernel/x.ts` | `iomapDioZero` | — |',
      '| `iomap_dio_zero` | `L260` | wrong lines | `model/kernel/x.ts` | `iomapDioZero` | — |',
      '| `iomap_dio_zero` | `L242` | no such code | `model/kernel/x.ts` | `iomapDioZeroo` | — |',
      '| `iomap_dio_zerro` | `L242` | no such function | `model/kernel/x.ts` | `iomapDioZero` | — |',
    ].join('\n');
    const problems = checkKernelMap(loadSeed(), model, 'map.md', md);
    const at = problems.map((p) => `${p.file}:${p.line}`);
    expect(at).toEqual(expect.arrayContaining(['map.md:4', 'map.md:5', 'map.md:6']));
    expect(at).not.toContain('map.md:3');
    expect(problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        'seed function iomap_dio_rw (seed L742) has no row',
        'rt.cover(242) in model/kernel/x.ts iomapDioZero is listed in no row',
      ]),
    );
  });

  it('reports a label row whose seed line is not the label', () => {
    const md = [
      '| Label | C function | Seed lines | Goto sites | Model file | Model function | Model label |',
      '|---|---|---|---|---|---|---|',
      '| `out` | `iomap_dio_bio_iter` | `L435` | `L334` | `model/kernel/x.ts` | `f` | `out` |',
    ].join('\n');
    const model = fixtureModel('function f(): void {\n  out: {\n    break out;\n  }\n}\n');
    const problems = checkKernelMap(loadSeed(), model, 'map.md', md).filter((p) => p.line === 3);
    expect(problems.map((p) => p.message)).toEqual(['seed L435 is not the label out:']);
  });
});
