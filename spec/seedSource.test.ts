/**
 * spec/seedSource.ts: DIOCHECK_SEED may name a Linux checkout, a plain direct-io.c at the seed
 * revision or the numbered listing; ../shared/seed comes next; the committed xref last.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSeed, SEED_REVISION } from './seedIndex.ts';
import { listingOfText, loadSeedSource } from './seedSource.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(repoRoot, '../shared/seed/direct-io.c.lines.txt');
const TMP = mkdtempSync(join(tmpdir(), 'diocheck-seed-'));

/** The seed's C text, from the listing beside the repository. */
function seedText(): string {
  const listing = parseSeed(readFileSync(shared, 'utf8'), shared);
  return Array.from({ length: listing.lineCount }, (_, k) => listing.text(k + 1) ?? '').join('\n');
}

describe('where the citation checks read the seed', () => {
  it('reads the xref of the repository when the listing is not beside it', () => {
    const clone = join(TMP, 'clone', 'repo');
    mkdirSync(join(clone, 'spec'), { recursive: true });
    for (const f of ['spec/seed-xref.json', 'spec/kernel-hunks.json'])
      writeFileSync(join(clone, f), readFileSync(join(repoRoot, f)));
    const src = loadSeedSource(clone, {});
    expect(src.kind).toBe('xref');
    expect(src.seed.revision).toBe(SEED_REVISION);
    expect(src.seed.functionNamed('iomap_dio_zero')).toMatchObject({ start: 235, end: 251 });
  });

  it('refuses a DIOCHECK_SEED that does not exist, is the wrong file, or is no checkout of the revision', () => {
    expect(() => loadSeedSource(repoRoot, { DIOCHECK_SEED: join(TMP, 'nothing') })).toThrow(/does not exist/);
    const wrong = join(TMP, 'wrong.c');
    writeFileSync(wrong, 'int main(void) { return 0; }\n');
    expect(() => loadSeedSource(repoRoot, { DIOCHECK_SEED: wrong })).toThrow(
      /^DIOCHECK_SEED: .*wrong\.c is not fs\/iomap\/direct-io\.c at 4b132aacb076/,
    );
    const notTree = join(TMP, 'empty-dir');
    mkdirSync(notTree, { recursive: true });
    expect(() => loadSeedSource(repoRoot, { DIOCHECK_SEED: notTree })).toThrow(/is no Linux git checkout/);
  });

  it.skipIf(!existsSync(shared))(
    'takes the plain file at the seed revision, and refuses a git checkout without that revision',
    () => {
      const text = seedText();
      const plain = join(TMP, 'direct-io.c');
      writeFileSync(plain, text);
      const file = loadSeedSource(repoRoot, { DIOCHECK_SEED: plain });
      expect(file.kind).toBe('file');
      expect(file.seed.lineCount).toBe(756);
      expect(file.listing?.text(235)).toBe(parseSeed(readFileSync(shared, 'utf8'), shared).text(235));
      expect(parseSeed(listingOfText(text, SEED_REVISION), 'x').lineCount).toBe(756);

      // A checkout whose commit is not the seed revision has no such object: git show fails.
      const tree = join(TMP, 'linux');
      mkdirSync(join(tree, 'fs/iomap'), { recursive: true });
      writeFileSync(join(tree, 'fs/iomap/direct-io.c'), text);
      const git = (...a: string[]) => spawnSync('git', ['-C', tree, ...a], { encoding: 'utf8' });
      git('init', '-q');
      git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qam', 'x', '--allow-empty');
      git('add', '.');
      git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'seed');
      expect(() => loadSeedSource(repoRoot, { DIOCHECK_SEED: tree })).toThrow(/is no Linux git checkout/);
    },
  );
});
