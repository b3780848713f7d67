/**
 * Seed-line coverage for `diocheck run --coverage` and `--annotate FILE`: the full list of the
 * branch lines the model marks with rt.cover(N) and how often a campaign reached each, and an
 * annotated copy of a user's fs/iomap/direct-io.c (or of the numbered seed listing) with the hit
 * counts in the margin, in gcov's layout (`count:line:source`; `#####` for a marked line never
 * reached, `-` for a line the model does not mark).
 *
 * The annotated copy is written under --out (out/ is ignored by git): diocheck never carries a copy
 * of the kernel file itself.
 */
import { readText } from '../../properties/support/readText.ts';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEED_LINES } from '../../model/runtime/runtime.ts';
import { UsageError } from './args.ts';
import { listingLines, SeedListingError, textRows } from '../../spec/seedListing.ts';

/** Hits per marked seed line, as the JSON summary stores them (keys are line numbers). */
export type LineHits = Readonly<Record<string, number>>;

/** The hits of the marked lines out of a campaign's per-line counters. */
export function hitsOfMarked(coverage: Uint32Array, marked: readonly number[]): Record<string, number> {
  const hits: Record<string, number> = {};
  for (const line of marked) hits[String(line)] = coverage[line] ?? 0;
  return hits;
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? '0.0%' : `${((100 * part) / whole).toFixed(1)}%`;
}

/** A source the user gave: its lines, numbered from 1 like the seed. */
export interface SourceText {
  readonly path: string;
  /** 'listing': the numbered seed listing (`xref:` header, `N text` rows); 'c': the C file itself. */
  readonly kind: 'listing' | 'c';
  /** lines[n] is the text of line n; lines[0] is unused. */
  readonly lines: readonly string[];
}

/** Reads fs/iomap/direct-io.c or the numbered listing; a bad file is a UsageError (exit 2). */
export function readSourceText(path: string): SourceText {
  const raw = readText(path, '--annotate file', (m) => new UsageError(m));
  if (raw.includes('\u0000')) throw new UsageError(`--annotate file ${path} is not a text file`);
  const rows = textRows(raw);
  if (rows.length === 0) throw new UsageError(`--annotate file ${path} is empty`);
  if (!(rows[0] ?? '').startsWith('xref:')) return { path, kind: 'c', lines: ['', ...rows] };
  let lines: string[];
  try {
    lines = listingLines(rows);
  } catch (e) {
    if (!(e instanceof SeedListingError)) throw e;
    throw new UsageError(
      `--annotate file ${path}:${e.fileLine}: a numbered listing needs "${e.seedLine} <text>" here`,
    );
  }
  return { path, kind: 'listing', lines };
}

/** A warning when the source cannot be the seed revision line for line (null when it can). */
export function sourceMismatch(source: SourceText, marked: readonly number[]): string | null {
  const count = source.lines.length - 1;
  const last = marked[marked.length - 1] ?? 0;
  if (count < last) {
    return `${source.path} has ${count} lines but the model marks seed line ${last}: hits past its end are dropped`;
  }
  if (count !== SEED_LINES && count !== SEED_LINES - 1) {
    return `${source.path} has ${count} lines, the seed revision ${SEED_LINES - 1}: counts are placed by seed line number, check they fall on the branches`;
  }
  return null;
}

export interface CoverageInput {
  readonly marked: readonly number[];
  readonly hits: LineHits;
}

/** `--coverage`: the count, the percentage, and every marked line with its hits (and its text). */
export function formatCoverageList(input: CoverageInput, source: SourceText | null = null): string {
  const reached = input.marked.filter((l) => (input.hits[String(l)] ?? 0) > 0);
  const unreached = input.marked.filter((l) => (input.hits[String(l)] ?? 0) === 0);
  const lines = [
    `coverage: ${reached.length}/${input.marked.length} marked seed lines reached (${percent(reached.length, input.marked.length)})`,
  ];
  const width = Math.max(5, ...input.marked.map((l) => String(input.hits[String(l)] ?? 0).length));
  for (const line of input.marked) {
    const n = input.hits[String(line)] ?? 0;
    const count = n === 0 ? 'UNREACHED'.padEnd(width) : String(n).padStart(width);
    const text = source?.lines[line]?.trim() ?? '';
    lines.push(`  ${`L${line}`.padEnd(6)} ${count}${text === '' ? '' : `  ${text}`}`.trimEnd());
  }
  lines.push(`unreached: ${unreached.length === 0 ? '(none)' : unreached.map((l) => `L${l}`).join(' ')}`);
  return lines.join('\n');
}

/** The annotated copy, gcov-style: `count:line:source`, `#####` unreached, `-` not marked. */
export function annotateSource(
  source: SourceText,
  input: CoverageInput,
  meta: { readonly runs: number; readonly seed: number | string },
): string {
  const marked = new Set(input.marked);
  const width = Math.max(9, ...input.marked.map((l) => String(input.hits[String(l)] ?? 0).length + 1));
  const lineWidth = Math.max(5, String(source.lines.length).length);
  const margin = (count: string, line: number): string =>
    `${count.padStart(width)}:${String(line).padStart(lineWidth)}:`;
  const out = [
    `${margin('-', 0)}Source:${source.path}`,
    `${margin('-', 0)}Runs:${meta.runs}`,
    `${margin('-', 0)}Seed:${meta.seed}`,
    `${margin('-', 0)}Marked:${input.marked.length} lines reached by rt.cover in model/ (diocheck)`,
  ];
  for (let n = 1; n < source.lines.length; n++) {
    const hits = input.hits[String(n)] ?? 0;
    const count = !marked.has(n) ? '-' : hits === 0 ? '#####' : String(hits);
    out.push(`${margin(count, n)}${source.lines[n] ?? ''}`);
  }
  return `${out.join('\n')}\n`;
}

/** Where the annotated copy of `source` goes inside `dir`: gcov's name, `<file>.gcov`. */
export function annotatedName(sourcePath: string): string {
  return `${basename(sourcePath).replace(/\.lines\.txt$/, '')}.gcov`;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A warning when an annotated copy (a copy of the kernel file) would land in git's reach. */
export function trackedCopyWarning(file: string): string | null {
  const rel = relative(REPO_ROOT, resolve(file));
  if (rel.startsWith('..') || isAbsolute(rel) || rel.startsWith(`out${sep}`)) return null;
  return `${file} is inside the repository but outside out/: it copies the kernel file, do not commit it`;
}
