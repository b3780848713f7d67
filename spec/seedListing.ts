/**
 * The numbered seed listing (`../shared/seed/direct-io.c.lines.txt`): an `xref: … (revision <sha>)`
 * header, then source line n as `n` + a space or a no-break space + the text. One reader for the
 * citation checks (spec/seedIndex.ts), the hunk fingerprints (scripts/kernelHunks.ts) and
 * `run --annotate` (scripts/commands/coverage.ts); it imports nothing, so that scripts which only
 * need the text do not load the TypeScript compiler.
 */

/** A line of the listing that is not `n text` for the next n: where, and what was expected. */
export class SeedListingError extends Error {
  constructor(
    /** 1-based line of the file. */
    readonly fileLine: number,
    /** The seed line number expected there. */
    readonly seedLine: number,
  ) {
    super(`expected seed line ${seedLine} as "${seedLine} <text>"`);
  }
}

/** Rows of a text file, without the empty row after a final newline. */
export function textRows(raw: string): string[] {
  const rows = raw.split('\n');
  if (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
  return rows;
}

/** The revision an `xref: … (revision <sha>)` header names, or null if the row is no such header. */
export function listingRevision(header: string): string | null {
  return /^xref: .*\(revision ([0-9a-f]{40})\)\s*$/.exec(header)?.[1] ?? null;
}

/**
 * The text of every numbered row after the header: lines[n] is line n, lines[0] is ''. Throws a
 * SeedListingError at the first row that is not the next line number.
 */
export function listingLines(rows: readonly string[]): string[] {
  const lines = [''];
  for (let i = 1; i < rows.length; i++) {
    const m = /^(\d+)(?:[ \u00a0](.*))?$/.exec(rows[i] ?? '');
    if (m === null || Number(m[1]) !== i) throw new SeedListingError(i + 1, i);
    lines.push(m[2] ?? '');
  }
  return lines;
}
