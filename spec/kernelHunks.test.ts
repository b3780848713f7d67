/**
 * Issue 13, item 2: spec/kernel-versions.md accounts for every hunk of `diff -U3 seed release` of
 * fs/iomap/direct-io.c, for every release of model/kernel/releases.ts. The hunks are the
 * fingerprints of spec/kernel-hunks.json (ranges and hashes, no kernel text), so this needs neither
 * the kernel sources nor ../shared: one test per hunk, named after it, fails while its row is
 * missing, wrong, or still says TODO. `npm run kernel:hunks -- --rows` prints the same list.
 *
 * Where the kernel sources are unpacked (~/.cache/diocheck/ksrc, or $DIOCHECK_KSRC) and the seed is
 * beside the repository, the fingerprints are also recomputed with diff and compared; elsewhere
 * (CI) that test is skipped and its name says why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RELEASES } from '../model/kernel/releases.ts';
import {
  buildDoc,
  checkHunkTables,
  compareDocs,
  DOC_PATH,
  defaultReleasePath,
  defaultSeedPath,
  type HunkProblem,
  hunkKey,
  ksrcRoot,
  parseDoc,
  type RepoView,
  rangeText,
  readSeed,
  repoRoot,
  TABLE_PATH,
} from '../scripts/kernelHunks.ts';

const read = (path: string): string => readFileSync(resolve(repoRoot, path), 'utf8');
const repo: RepoView = { exists: (p) => existsSync(resolve(repoRoot, p)), read };
const show = (problems: readonly HunkProblem[]): string =>
  problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n');

const doc = parseDoc(read(DOC_PATH), DOC_PATH);
const releaseNames = RELEASES.map((r) => r.name);
const problems = checkHunkTables(TABLE_PATH, read(TABLE_PATH), doc, releaseNames, repo);

describe(`${TABLE_PATH} has a complete row for every hunk (list: npm run kernel:hunks -- --rows)`, () => {
  it('every release in exactly one file section, every fingerprinted file in one, no stray table', () => {
    expect(show(problems.filter((p) => p.hunk === undefined))).toBe('');
  });
  for (const f of doc.files) {
    for (const h of f.hunks) {
      it(`${f.releases.join(', ')}: hunk ${h.id} (seed ${rangeText(h.seed)})`, () => {
        expect(show(problems.filter((p) => p.hunk === hunkKey(f, h)))).toBe('');
      });
    }
  }
});

describe(`${DOC_PATH} fingerprints`, () => {
  it('cover every release of model/kernel/releases.ts exactly once', () => {
    const listed = doc.files.flatMap((f) => f.releases);
    expect([...listed].sort()).toEqual([...releaseNames].sort());
  });

  const seedPath = defaultSeedPath();
  const root = ksrcRoot();
  const sources = [seedPath, ...releaseNames.map((r) => defaultReleasePath(root, r))];
  const missing = sources.filter((p) => !existsSync(p));
  const name =
    missing.length === 0
      ? 'match a fresh diff of the seed against each release'
      : `match a fresh diff of the seed against each release (skipped: ${missing.length} of ${sources.length} files not here, as ${missing[0]})`;
  it.skipIf(missing.length > 0)(name, () => {
    const fresh = buildDoc(
      readSeed(seedPath),
      releaseNames.map((r) => ({ name: r, path: defaultReleasePath(root, r) })),
    );
    expect(compareDocs(doc, fresh)).toEqual([]);
    expect(fresh.files.map((f) => f.releases)).toEqual(doc.files.map((f) => f.releases));
  });
});
