/**
 * Where the citation checks read the seed (fs/iomap/direct-io.c at revision 4b132aac) from, first
 * found first:
 * 1. DIOCHECK_SEED: a Linux git checkout (the file is read at the seed revision with `git show`),
 *    a plain direct-io.c at that revision (checked against the seed's sha256 in
 *    spec/kernel-hunks.json), or the numbered listing;
 * 2. the numbered listing ../shared/seed/direct-io.c.lines.txt beside the repository;
 * 3. the committed cross-reference index spec/seed-xref.json, which has no kernel text but every
 *    answer the checks need.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  parseSeed,
  parseSeedXref,
  SEED_REVISION,
  SEED_XREF_PATH,
  type Seed,
  type SeedListing,
  seedFromXref,
} from './seedIndex.ts';

export interface SeedSource {
  /** `tree` and `file` come from DIOCHECK_SEED; `listing` from there or from ../shared. */
  readonly kind: 'tree' | 'file' | 'listing' | 'xref';
  readonly path: string;
  readonly seed: Seed;
  /** The seed with its text, when the source has the text (all but the xref). */
  readonly listing: SeedListing | null;
}

/** The listing of a plain C file: the header, then every line numbered (the empty one after the last newline too). */
export function listingOfText(text: string, revision: string): string {
  const rows = text.split('\n').map((line, i) => `${i + 1} ${line}`);
  return `xref: /linux/fs/iomap/direct-io.c (revision ${revision})\n${rows.join('\n')}\n`;
}

/** The sha256 of the seed's C text that spec/kernel-hunks.json records. */
function recordedSeedSha256(repoRoot: string): string {
  const doc = JSON.parse(readFileSync(join(repoRoot, 'spec/kernel-hunks.json'), 'utf8')) as {
    seed: { sha256: string };
  };
  return doc.seed.sha256;
}

function fromText(text: string, path: string, kind: 'tree' | 'file', repoRoot: string): SeedSource {
  const sha = createHash('sha256').update(text).digest('hex');
  if (sha !== recordedSeedSha256(repoRoot)) {
    throw new Error(
      `DIOCHECK_SEED: ${path} is not fs/iomap/direct-io.c at ${SEED_REVISION.slice(0, 12)} (sha256 ${sha.slice(0, 12)})`,
    );
  }
  const listing = parseSeed(listingOfText(text, SEED_REVISION), path);
  return { kind, path, seed: listing, listing };
}

function fromEnv(path: string, repoRoot: string): SeedSource {
  if (!existsSync(path)) throw new Error(`DIOCHECK_SEED: ${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const r = spawnSync('git', ['-C', path, 'show', `${SEED_REVISION}:fs/iomap/direct-io.c`], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) {
      throw new Error(
        `DIOCHECK_SEED: ${path} is no Linux git checkout with revision ${SEED_REVISION.slice(0, 12)} (git show failed)`,
      );
    }
    return fromText(r.stdout, `${path} at ${SEED_REVISION.slice(0, 12)}`, 'tree', repoRoot);
  }
  const raw = readFileSync(path, 'utf8');
  if (raw.startsWith('xref:')) {
    const listing = parseSeed(raw, path);
    return { kind: 'listing', path, seed: listing, listing };
  }
  return fromText(raw, path, 'file', repoRoot);
}

export function loadSeedSource(repoRoot: string, env: NodeJS.ProcessEnv = process.env): SeedSource {
  const named = env.DIOCHECK_SEED;
  if (named !== undefined && named !== '') return fromEnv(resolve(named), repoRoot);
  const shared = resolve(repoRoot, '../shared/seed/direct-io.c.lines.txt');
  if (existsSync(shared)) {
    const listing = parseSeed(readFileSync(shared, 'utf8'), shared);
    return { kind: 'listing', path: shared, seed: listing, listing };
  }
  const xrefPath = join(repoRoot, SEED_XREF_PATH);
  const seed = seedFromXref(parseSeedXref(readFileSync(xrefPath, 'utf8'), xrefPath), xrefPath);
  return { kind: 'xref', path: xrefPath, seed, listing: null };
}
