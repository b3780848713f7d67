/**
 * The numbered seed listing (`../shared/seed/direct-io.c.lines.txt`): an `xref: … (revision <sha>)`
 * header, then source line n as `n` + a space or a no-break space + the text. One reader for the
 * citation checks (spec/seedIndex.ts), the hunk fingerprints (scripts/kernelHunks.ts) and
 * `run --annotate` (scripts/commands/coverage.ts), and the C comment stripping the first two share;
 * it imports nothing, so that scripts which only
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

/**
 * C text with its comments removed, line by line, string and character literals respected. A block
 * comment becomes one space, so that it still separates the tokens on either side; a `//` comment
 * ends the line. `startInComment`: the first line begins inside a block comment.
 */
export function stripCComments(lines: readonly string[], startInComment = false): string[] {
  const out: string[] = [];
  let inBlock = startInComment;
  for (const line of lines) {
    let kept = '';
    let quote = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i] ?? '';
      const next = line[i + 1];
      if (inBlock) {
        if (c === '*' && next === '/') {
          inBlock = false;
          kept += ' ';
          i++;
        }
        continue;
      }
      if (quote !== '') {
        kept += c;
        if (c === '\\') {
          kept += next ?? '';
          i++;
        } else if (c === quote) {
          quote = '';
        }
        continue;
      }
      if (c === '/' && next === '*') {
        inBlock = true;
        i++;
        continue;
      }
      if (c === '/' && next === '/') break;
      if (c === '"' || c === "'") quote = c;
      kept += c;
    }
    out.push(kept);
  }
  return out;
}
