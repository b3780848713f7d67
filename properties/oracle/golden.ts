/**
 * Golden files: what the real kernel showed for each case of the conformance corpus, written by
 * `npm run oracle` and read by the conformance test. A case is keyed by id and carries its name, so
 * a corpus that changed without the golden file being recorded again is reported, not misread.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OracleCase } from './corpus.ts';
import type { Observation } from './observe.ts';

/** Where the golden files live, relative to the checkout. */
export const GOLDEN_DIR = 'properties/oracle/golden';

/** The golden file of one exact release (6.12.117), relative to the checkout: one file per release. */
export function goldenPath(release: string): string {
  return `${GOLDEN_DIR}/linux-${release}.json`;
}

const GOLDEN_NAME = /^linux-(.+)\.json$/;

/** The releases that have a golden file in `root`'s golden directory, in name order. */
export function goldenReleases(root: string): string[] {
  return readdirSync(join(root, GOLDEN_DIR))
    .flatMap((f) => {
      const m = GOLDEN_NAME.exec(f);
      return m?.[1] === undefined ? [] : [m[1]];
    })
    .sort();
}

/**
 * Whether `uname -r` (the golden file's `kernel` starts with it) is `release`: the same numbers,
 * then the end or a non-digit, so that 6.12.11 is not 6.12.117.
 */
export function kernelIsRelease(kernel: string, release: string): boolean {
  return kernel.startsWith(release) && !/^[0-9]/.test(kernel.slice(release.length));
}

export interface GoldenCase {
  readonly id: number;
  readonly name: string;
  readonly observed: Observation;
}

export interface GoldenFile {
  readonly format: 'diocheck-oracle-golden';
  /** uname -r and machine of the kernel that ran the corpus: `6.12.117 x86_64`. */
  readonly kernel: string;
  readonly corpus: number;
  readonly cases: GoldenCase[];
}

export function goldenCase(c: OracleCase, observed: Observation): GoldenCase {
  return { id: c.id, name: c.name, observed };
}

/** The file's text: one case per line, so that a re-recording reads as a diff of the cases that changed. */
export function formatGolden(g: GoldenFile): string {
  const head = JSON.stringify({ format: g.format, kernel: g.kernel, corpus: g.corpus });
  const cases = g.cases.map((c) => JSON.stringify(c)).join(',\n');
  return `${head.slice(0, -1)},"cases":[\n${cases}\n]}\n`;
}

export function readGolden(path: string): GoldenFile {
  const json = JSON.parse(readFileSync(path, 'utf8')) as GoldenFile;
  if (json.format !== 'diocheck-oracle-golden') throw new Error(`${path} is not a diocheck golden file`);
  return json;
}

/**
 * Where a fresh recording differs from the recorded golden file (null: none recorded): the kernel,
 * the corpus size, and each case by id and name. Empty when they agree.
 */
export function goldenChanges(recorded: GoldenFile | null, fresh: GoldenFile): string[] {
  if (recorded === null) return ['no golden file recorded'];
  const out: string[] = [];
  if (recorded.kernel !== fresh.kernel) out.push(`kernel: recorded ${recorded.kernel}, now ${fresh.kernel}`);
  if (recorded.corpus !== fresh.corpus)
    out.push(`corpus: recorded ${recorded.corpus} cases, now ${fresh.corpus}`);
  const before = new Map(recorded.cases.map((c) => [c.id, c]));
  for (const c of fresh.cases) {
    const old = before.get(c.id);
    if (old === undefined) out.push(`case ${c.id} ${c.name}: not recorded`);
    else if (JSON.stringify(old) !== JSON.stringify(c)) out.push(`case ${c.id} ${c.name}: differs`);
    before.delete(c.id);
  }
  for (const c of before.values()) out.push(`case ${c.id} ${c.name}: no longer in the corpus`);
  return out;
}
