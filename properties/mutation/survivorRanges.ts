/**
 * The places of the mutants a Stryker report left alive (survived or no coverage), as the
 * `--mutate` ranges that judge only those again (spec/mutation.md, "Running it again"):
 *
 *   npm run mutation -- --concurrency 1 --incremental --force \
 *     --mutate "$(npx tsx properties/mutation/survivorRanges.ts out/mutation/mutation.json)"
 *
 * A report's columns count from 1, a range's from 0 (Stryker 9's project reader): each range
 * starts one column early and ends at the report's end column, so it holds its mutant whole.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Position {
  readonly line: number;
  readonly column: number;
}

/** The part of Stryker's JSON report (mutation-testing-report-schema) read here. */
export interface MutationReport {
  readonly files: Readonly<
    Record<
      string,
      {
        readonly mutants: ReadonlyArray<{
          readonly status: string;
          readonly location: { readonly start: Position; readonly end: Position };
        }>;
      }
    >
  >;
}

const ALIVE = new Set(['Survived', 'NoCoverage']);

/** One range per place of a mutant left alive, sorted, each once. */
export function survivorRanges(report: MutationReport): string[] {
  const out = new Set<string>();
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      if (!ALIVE.has(m.status)) continue;
      const { start, end } = m.location;
      out.add(`${file}:${start.line}:${Math.max(0, start.column - 1)}-${end.line}:${end.column}`);
    }
  }
  return [...out].sort();
}

function isReport(x: unknown): x is MutationReport {
  if (typeof x !== 'object' || x === null) return false;
  const files = (x as { files?: unknown }).files;
  return (
    typeof files === 'object' &&
    files !== null &&
    Object.values(files).every((f) => Array.isArray((f as { mutants?: unknown } | null)?.mutants))
  );
}

/** The command: one argument, the JSON report; prints the ranges joined by commas. */
export function main(argv: readonly string[]): number {
  const [path, ...rest] = argv;
  if (path === undefined || rest.length > 0) {
    console.error('usage: survivorRanges.ts <stryker json report>');
    return 2;
  }
  let report: unknown;
  try {
    report = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    console.error(`survivorRanges: cannot read ${path} as JSON: ${(e as Error).message.split('\n')[0]}`);
    return 2;
  }
  if (!isReport(report)) {
    console.error(`survivorRanges: ${path} is not a Stryker JSON report (no files with mutants)`);
    return 2;
  }
  const ranges = survivorRanges(report);
  if (ranges.length > 0) console.log(ranges.join(','));
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
