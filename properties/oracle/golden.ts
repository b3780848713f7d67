/**
 * Golden files: what the real kernel showed for each case of the conformance corpus, written by
 * `npm run oracle` and read by the conformance test. A case is keyed by id and carries its name, so
 * a corpus that changed without the golden file being recorded again is reported, not misread.
 */
import { readFileSync } from 'node:fs';
import type { OracleCase } from './corpus.ts';
import type { Observation } from './observe.ts';

export const GOLDEN_PATH = 'properties/oracle/golden/linux-6.12.json';

export interface GoldenCase {
  readonly id: number;
  readonly name: string;
  readonly observed: Observation;
}

export interface GoldenFile {
  readonly format: 'diocheck-oracle-golden';
  /** uname -r and machine of the kernel that ran the corpus. */
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
