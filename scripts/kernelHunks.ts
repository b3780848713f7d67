/**
 * Fingerprints of every hunk of `diff -U3 seed release` for fs/iomap/direct-io.c, and the check that
 * spec/kernel-versions.md accounts for each of them (issue 13, item 2).
 *
 *   npm run kernel:hunks -- [--seed FILE] [--release NAME=PATH ...] [--out FILE] [--check]
 *   npm run kernel:hunks -- --rows
 *
 * Without options the seed is ../shared/seed/direct-io.c.lines.txt beside the repository and every
 * release of model/kernel/releases.ts is read from $DIOCHECK_KSRC (default ~/.cache/diocheck/ksrc)
 * /<release>/linux-source-6.12/fs/iomap/direct-io.c. Writing replaces spec/kernel-hunks.json;
 * `--check` recomputes and compares with it (exit 1, one line per difference); `--rows` lists what
 * the hunk tables of spec/kernel-versions.md still lack (exit 1 if anything), without the kernel.
 *
 * The JSON holds ranges and hashes only, never kernel text: the project does not carry the kernel.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RELEASES } from '../model/kernel/releases.ts';
import type { Problem } from '../spec/seedIndex.ts';
import { splitRow } from '../spec/markdownRow.ts';
import {
  listingLines,
  listingRevision,
  SeedListingError,
  stripCComments,
  textRows,
} from '../spec/seedListing.ts';
import { asksHelp, parseScriptOptions } from './scriptOptions.ts';

export const HUNKS_FORMAT = 'diocheck-kernel-hunks/1';
export const KERNEL_FILE = 'fs/iomap/direct-io.c';

/** A line range as `diff` states it: first line and number of lines (0 for a pure insertion point). */
export type Span = readonly [start: number, count: number];

export interface HunkPrint {
  /** `h` + the first 8 hex digits of sha256: the same change in two releases has the same id. */
  readonly id: string;
  readonly seed: Span;
  readonly release: Span;
  /** sha256 of the hunk's body (its ` `, `-`, `+` lines, trailing whitespace stripped, `\n` after each). */
  readonly sha256: string;
  /** Old and new side are the same C tokens once comments are gone: the hunk cannot change behaviour. */
  readonly commentOnly: boolean;
}

/** One distinct release file: the releases that ship it byte for byte, and its hunks against the seed. */
export interface FilePrint {
  readonly sha256: string;
  readonly releases: readonly string[];
  readonly hunks: readonly HunkPrint[];
}

export interface HunkDoc {
  readonly format: string;
  readonly file: string;
  readonly seed: { readonly revision: string; readonly sha256: string };
  readonly files: readonly FilePrint[];
}

/** Bad input (a missing file, a bad option, a damaged JSON): one line, exit 2. */
export class InputError extends Error {}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Hunks

/** One hunk of a unified diff: its two spans and its body lines (without the `@@` header). */
export interface RawHunk {
  readonly seed: Span;
  readonly release: Span;
  readonly body: readonly string[];
}

/** The hunks of `diff -U` output; the `---`/`+++` header is skipped. Throws on a body that does not add up. */
export function splitHunks(diffOutput: string): RawHunk[] {
  const lines = diffOutput.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const hunks: RawHunk[] = [];
  let i = 0;
  while (i < lines.length && !(lines[i] ?? '').startsWith('@@')) i++;
  while (i < lines.length) {
    const head = lines[i] ?? '';
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(head);
    if (m === null)
      throw new InputError(`diff output: line ${i + 1} is not a hunk header: ${head.slice(0, 40)}`);
    const seed: Span = [Number(m[1]), m[2] === undefined ? 1 : Number(m[2])];
    const release: Span = [Number(m[3]), m[4] === undefined ? 1 : Number(m[4])];
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? '').startsWith('@@'); i++) body.push(lines[i] ?? '');
    const old = body.filter((l) => l.startsWith(' ') || l.startsWith('-')).length;
    const neu = body.filter((l) => l.startsWith(' ') || l.startsWith('+')).length;
    if (old !== seed[1] || neu !== release[1] || body.some((l) => !/^[ +\-\\]/.test(l))) {
      throw new InputError(`diff output: the hunk at ${head.trim()} does not match its header`);
    }
    hunks.push({ seed, release, body });
  }
  return hunks;
}

/** The normalised body a hunk's hash is taken over: trailing whitespace stripped, a newline after each line. */
export function hunkBody(body: readonly string[]): string {
  return body.map((l) => `${l.trimEnd()}\n`).join('');
}

/** Fingerprints the hunks of one file; a second hunk with the very same body gets the suffix `.2`. */
export function fingerprint(hunks: readonly RawHunk[]): HunkPrint[] {
  const seen = new Map<string, number>();
  return hunks.map((h) => {
    const hash = sha256(hunkBody(h.body));
    const base = `h${hash.slice(0, 8)}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return {
      id: n === 1 ? base : `${base}.${n}`,
      seed: h.seed,
      release: h.release,
      sha256: hash,
      commentOnly: commentOnly(h.body),
    };
  });
}

/**
 * Whether a hunk changes comments (and whitespace) only: the old side (context and `-` lines) and
 * the new side (context and `+` lines) are the same C tokens once comments are removed. A hunk may
 * start inside a block comment that opened above it, so both readings are tried and both must
 * agree. Tokens, not text with all whitespace removed: `a + ++b` and `a++ + b` are the same
 * characters but not the same program. A preprocessor directive ends at its newline, so that
 * newline counts there.
 */
export function commentOnly(body: readonly string[]): boolean {
  const old = body.filter((l) => l.startsWith(' ') || l.startsWith('-')).map((l) => l.slice(1));
  const neu = body.filter((l) => l.startsWith(' ') || l.startsWith('+')).map((l) => l.slice(1));
  return [false, true].every((inComment) => {
    const a = cTokens(old, inComment);
    const b = cTokens(neu, inComment);
    return a.length === b.length && a.every((t, k) => t === b[k]);
  });
}

const TOKEN =
  /"(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?|[A-Za-z0-9_.]+|<<=|>>=|->|\+\+|--|<<|>>|&&|\|\||##|[-+*/%&|^!=<>]=|\S/g;

/** The C tokens of some lines, comments replaced by a space; `\n` closes a preprocessor directive. */
export function cTokens(lines: readonly string[], startInComment: boolean): string[] {
  const out: string[] = [];
  let inDirective = false;
  for (const code of stripCComments(lines, startInComment)) {
    const toks = code.match(TOKEN) ?? [];
    if (!inDirective && toks[0] === '#') inDirective = true;
    out.push(...toks);
    if (inDirective && !code.trimEnd().endsWith('\\')) {
      out.push('\n');
      inDirective = false;
    }
  }
  return out;
}

/** `L12-34` for a span, `L12` for one line; an insertion point (count 0) is `L12+0`. */
export function rangeText([start, count]: Span): string {
  if (count === 0) return `L${start}+0`;
  return count === 1 ? `L${start}` : `L${start}-${start + count - 1}`;
}

// ---------------------------------------------------------------------------------------------
// Building the document

export interface SeedText {
  readonly revision: string;
  /** The C text, line numbers stripped. */
  readonly text: string;
}

/** The seed listing's C text (spec/seedListing.ts reads the format); a bad listing is bad input. */
export function parseSeedListing(raw: string, path: string): SeedText {
  const rows = textRows(raw);
  const revision = listingRevision(rows[0] ?? '');
  if (revision === null) throw new InputError(`${path}:1: expected an "xref: ... (revision <sha>)" header`);
  try {
    // The listing numbers the empty line after the file's last newline: joining restores that newline.
    return { revision, text: listingLines(rows).slice(1).join('\n') };
  } catch (e) {
    if (e instanceof SeedListingError) throw new InputError(`${path}:${e.fileLine}: ${e.message}`);
    throw e;
  }
}

export function readSeed(path: string): SeedText {
  if (!existsSync(path))
    throw new InputError(`${path}: no such seed listing (give the numbered listing with --seed FILE)`);
  return parseSeedListing(readFileSync(path, 'utf8'), path);
}

/** `diff -U3` (GNU diff) of the seed text, on its standard input, against a release file. */
export function runDiff(seedText: string, path: string): string {
  const r = spawnSync('diff', ['-a', '-U3', '--label', 'seed', '--label', 'release', '-', path], {
    input: seedText,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error !== undefined) throw new InputError(`cannot run diff (GNU diffutils): ${r.error.message}`);
  if (r.status === 0) return '';
  if (r.status !== 1)
    throw new InputError(`diff ${path}: ${(r.stderr || `exit ${r.status}`).split('\n', 1)[0]}`);
  return r.stdout;
}

export interface ReleaseFile {
  readonly name: string;
  readonly path: string;
}

const releaseOrder = new Map<string, number>(RELEASES.map((r, i) => [r.name, i]));

/** The document for these releases: one entry per distinct file, in release order. */
export function buildDoc(seed: SeedText, releases: readonly ReleaseFile[]): HunkDoc {
  const sorted = [...releases].sort(
    (a, b) => (releaseOrder.get(a.name) ?? 1e9) - (releaseOrder.get(b.name) ?? 1e9),
  );
  const byHash = new Map<string, { path: string; releases: string[] }>();
  for (const r of sorted) {
    if (!existsSync(r.path)) throw new InputError(`${r.path}: no such file (release ${r.name})`);
    const hash = sha256(readFileSync(r.path));
    const entry = byHash.get(hash);
    if (entry === undefined) byHash.set(hash, { path: r.path, releases: [r.name] });
    else entry.releases.push(r.name);
  }
  const files: FilePrint[] = [];
  for (const [hash, entry] of byHash) {
    files.push({
      sha256: hash,
      releases: entry.releases,
      hunks: fingerprint(splitHunks(runDiff(seed.text, entry.path))),
    });
  }
  return {
    format: HUNKS_FORMAT,
    file: KERNEL_FILE,
    seed: { revision: seed.revision, sha256: sha256(seed.text) },
    files,
  };
}

/** The committed form: two-space JSON, one hunk per line, a newline at the end. */
export function formatDoc(doc: HunkDoc): string {
  const hunk = (h: HunkPrint): string =>
    JSON.stringify(h)
      .replace(/,"/g, ', "')
      .replace(/":/g, '": ')
      .replace(/\[(\d+),(\d+)\]/g, '[$1, $2]');
  const files = doc.files.map((f) =>
    [
      '    {',
      `      "sha256": ${JSON.stringify(f.sha256)},`,
      `      "releases": ${JSON.stringify(f.releases).replace(/,/g, ', ')},`,
      '      "hunks": [',
      f.hunks.map((h) => `        ${hunk(h).replace(/^\{/, '{ ').replace(/\}$/, ' }')}`).join(',\n'),
      '      ]',
      '    }',
    ].join('\n'),
  );
  return [
    '{',
    `  "format": ${JSON.stringify(doc.format)},`,
    `  "file": ${JSON.stringify(doc.file)},`,
    `  "seed": { "revision": ${JSON.stringify(doc.seed.revision)}, "sha256": ${JSON.stringify(doc.seed.sha256)} },`,
    '  "files": [',
    files.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

const isHex = (s: unknown, n: number): s is string =>
  typeof s === 'string' && new RegExp(`^[0-9a-f]{${n}}$`).test(s);
const isSpan = (s: unknown): s is Span =>
  Array.isArray(s) && s.length === 2 && s.every((n) => Number.isInteger(n) && (n as number) >= 0);

/** Parses and validates spec/kernel-hunks.json; any other shape is an InputError naming the place. */
export function parseDoc(text: string, path: string): HunkDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: not JSON (${(e as Error).message})`);
  }
  const bad = (where: string): never => {
    throw new InputError(`${path}: ${where} is not as npm run kernel:hunks writes it`);
  };
  const d = raw as Partial<Record<keyof HunkDoc, unknown>>;
  if (typeof d !== 'object' || d === null || d.format !== HUNKS_FORMAT) bad(`format (want ${HUNKS_FORMAT})`);
  const seed = d.seed as Partial<HunkDoc['seed']> | undefined;
  if (!isHex(seed?.revision, 40) || !isHex(seed?.sha256, 64)) bad('seed');
  if (!Array.isArray(d.files)) bad('files');
  (d.files as unknown[]).forEach((f, i) => {
    const file = f as Partial<Record<keyof FilePrint, unknown>>;
    if (!isHex(file?.sha256, 64)) bad(`files[${i}].sha256`);
    if (!Array.isArray(file.releases) || !file.releases.every((r) => typeof r === 'string'))
      bad(`files[${i}].releases`);
    if (!Array.isArray(file.hunks)) bad(`files[${i}].hunks`);
    (file.hunks as unknown[]).forEach((h, k) => {
      const hunk = h as Partial<Record<keyof HunkPrint, unknown>>;
      const ok =
        typeof hunk?.id === 'string' &&
        /^h[0-9a-f]{8}(\.\d+)?$/.test(hunk.id) &&
        isSpan(hunk.seed) &&
        isSpan(hunk.release) &&
        isHex(hunk.sha256, 64) &&
        typeof hunk.commentOnly === 'boolean';
      if (!ok) bad(`files[${i}].hunks[${k}]`);
    });
  });
  return raw as HunkDoc;
}

const spanEq = (a: Span, b: Span): boolean => a[0] === b[0] && a[1] === b[1];

/**
 * Where a freshly computed document differs from the committed one, one line each. Only the
 * releases the fresh one covers are compared (a run over some releases checks those).
 */
export function compareDocs(committed: HunkDoc, fresh: HunkDoc): string[] {
  const out: string[] = [];
  if (committed.seed.revision !== fresh.seed.revision)
    out.push(`seed: revision ${committed.seed.revision} committed, ${fresh.seed.revision} now`);
  if (committed.seed.sha256 !== fresh.seed.sha256)
    out.push(
      `seed: sha256 ${committed.seed.sha256.slice(0, 8)} committed, ${fresh.seed.sha256.slice(0, 8)} now`,
    );
  for (const f of fresh.files) {
    const label = f.releases.join(', ');
    const holders = new Set(f.releases.map((r) => committed.files.find((c) => c.releases.includes(r))));
    for (const r of f.releases) {
      if (!committed.files.some((c) => c.releases.includes(r))) out.push(`${r}: not in the committed file`);
    }
    for (const c of holders) {
      if (c === undefined) continue;
      const shared = c.releases.filter((r) => f.releases.includes(r));
      const together = fresh.files.flatMap((x) => x.releases).filter((r) => c.releases.includes(r));
      if (together.length !== shared.length)
        out.push(
          `${together.join(', ')}: one file committed, ${together.length - shared.length + 1} files now`,
        );
      if (c.sha256 !== f.sha256) {
        out.push(`${label}: file sha256 ${c.sha256.slice(0, 8)} committed, ${f.sha256.slice(0, 8)} now`);
      }
      const was = new Map(c.hunks.map((h) => [h.id, h]));
      const now = new Map(f.hunks.map((h) => [h.id, h]));
      for (const h of c.hunks)
        if (!now.has(h.id)) out.push(`${label}: hunk ${h.id} is committed but no longer in the diff`);
      for (const h of f.hunks) {
        const w = was.get(h.id);
        if (w === undefined) {
          out.push(`${label}: hunk ${h.id} (seed ${rangeText(h.seed)}) is not committed`);
          continue;
        }
        if (!spanEq(w.seed, h.seed))
          out.push(`${label}: hunk ${h.id}: seed ${rangeText(w.seed)} committed, ${rangeText(h.seed)} now`);
        if (!spanEq(w.release, h.release))
          out.push(
            `${label}: hunk ${h.id}: release ${rangeText(w.release)} committed, ${rangeText(h.release)} now`,
          );
        if (w.sha256 !== h.sha256) out.push(`${label}: hunk ${h.id}: sha256 differs`);
        if (w.commentOnly !== h.commentOnly)
          out.push(`${label}: hunk ${h.id}: commentOnly ${w.commentOnly} committed, ${h.commentOnly} now`);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The hunk tables of spec/kernel-versions.md

/** What the table check reads besides the markdown: the repository's files, by repository path. */
export interface RepoView {
  exists(path: string): boolean;
  read(path: string): string;
}

/** A problem with the hunk tables; `hunk` (`<file sha256 prefix>/<id>`) when it is about one hunk's row. */
export interface HunkProblem extends Problem {
  readonly hunk?: string;
}

export const hunkKey = (file: FilePrint, h: HunkPrint): string => `${file.sha256.slice(0, 8)}/${h.id}`;

const COLUMNS = ['hunk', 'seed', 'release', 'what changes', 'in the model'] as const;

/** A cell as read: backticks dropped, whitespace collapsed. */
const plain = (cell: string | undefined): string =>
  (cell ?? '').replace(/`/g, '').replace(/\s+/g, ' ').trim();

interface Section {
  readonly line: number;
  readonly level: number;
  readonly shaPrefix: string;
  readonly releases: string[];
  readonly tables: { line: number; header: string[]; rows: { line: number; cells: string[] }[] }[];
}

/** File sections (a heading with `sha256 <hex>`) and the hunk tables outside them. */
function parseSections(markdown: string): { sections: Section[]; strayTables: number[] } {
  const lines = markdown.split('\n');
  const sections: Section[] = [];
  const strayTables: number[] = [];
  let current: Section | undefined;
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
    if (fenced) continue;
    const h = /^(#{1,6})\s+(.*)$/.exec(text);
    if (h !== null) {
      const level = (h[1] ?? '').length;
      if (current !== undefined && level <= current.level) current = undefined;
      const sha = /\bsha256 ([0-9a-f]{8,64})\b/.exec(h[2] ?? '');
      if (sha !== null) {
        current = {
          line: i + 1,
          level,
          shaPrefix: sha[1] ?? '',
          releases: [...(h[2] ?? '').matchAll(/\b\d+\.\d+\.\d+\b/g)].map((m) => m[0]),
          tables: [],
        };
        sections.push(current);
      }
      continue;
    }
    if (!text.trim().startsWith('|') || !/^\s*\|\s*:?-{3,}/.test(lines[i + 1] ?? '')) continue;
    const header = splitRow(text).map((c) => plain(c).toLowerCase());
    const rows: { line: number; cells: string[] }[] = [];
    let j = i + 2;
    for (; j < lines.length && (lines[j] ?? '').trim().startsWith('|'); j++)
      rows.push({ line: j + 1, cells: splitRow(lines[j] ?? '') });
    if (header[0] === 'hunk') {
      if (current === undefined) strayTables.push(i + 1);
      else current.tables.push({ line: i + 1, header, rows });
    }
    i = j - 1;
  }
  return { sections, strayTables };
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Does the TypeScript file define `name` (`function name`, `function* name`, `const name`)? */
export function definesFunction(source: string, name: string): boolean {
  const n = escapeRe(name);
  return new RegExp(`\\bfunction\\s*\\*?\\s*${n}\\s*[(<]|\\b(?:const|let)\\s+${n}\\b`).test(source);
}

/** Does the test file hold `it('name'` / `it(\`name\`` / `test("name"` with exactly this name? */
export function hasTest(source: string, name: string): boolean {
  return new RegExp(`\\b(?:it|test)(?:\\.\\w+(?:\\([^)]*\\))?)*\\(\\s*(['"\`])${escapeRe(name)}\\1`).test(
    source,
  );
}

/**
 * Checks that the hunk tables account for every fingerprinted hunk: one section per distinct file
 * (its releases and sha256 prefix in the heading), every release of `releases` in exactly one
 * section, one row per hunk with the fingerprint's ranges, what the hunk changes, and where the
 * model has it (`model/….ts name`), which test shows it changes no run (`properties/….test.ts
 * "name"`, `spec/….test.ts "name"`), or `comment only` for a hunk fingerprinted commentOnly.
 */
export function checkHunkTables(
  file: string,
  markdown: string,
  doc: HunkDoc,
  releases: readonly string[],
  repo: RepoView,
): HunkProblem[] {
  const problems: HunkProblem[] = [];
  const say = (line: number, message: string, hunk?: string): void => {
    problems.push(hunk === undefined ? { file, line, message } : { file, line, message, hunk });
  };
  const { sections, strayTables } = parseSections(markdown);
  for (const line of strayTables) say(line, 'a hunk table outside a file section (### … sha256 <prefix>)');
  for (const r of releases) {
    const n = sections.filter((s) => s.releases.includes(r)).length;
    if (n !== 1) say(1, `release ${r} is named by ${n} file sections, not one`);
    if (!doc.files.some((f) => f.releases.includes(r)))
      say(1, `release ${r} is not fingerprinted in spec/kernel-hunks.json (npm run kernel:hunks)`);
  }
  const covered = new Set<FilePrint>();
  for (const s of sections) {
    const f = doc.files.find((x) => x.sha256.startsWith(s.shaPrefix));
    if (f === undefined) {
      say(s.line, `no fingerprinted file has sha256 ${s.shaPrefix}`);
      continue;
    }
    if (covered.has(f)) say(s.line, `a second section for the file sha256 ${s.shaPrefix}`);
    covered.add(f);
    const want = [...f.releases].sort().join(', ');
    const got = [...s.releases].sort().join(', ');
    if (want !== got) say(s.line, `the heading names ${got || 'no release'}; the file is that of ${want}`);
    if (s.tables.length !== 1) {
      say(s.line, `expected one hunk table in this section, found ${s.tables.length}`);
      if (s.tables.length === 0) {
        for (const h of f.hunks) say(s.line, `hunk ${h.id} has no row`, hunkKey(f, h));
        continue;
      }
    }
    checkTable(f, s.tables[0] as Section['tables'][number]);
  }
  for (const f of doc.files) {
    if (!covered.has(f))
      say(1, `the file of ${f.releases.join(', ')} (sha256 ${f.sha256.slice(0, 8)}) has no section`);
  }
  return problems;

  function checkTable(f: FilePrint, table: Section['tables'][number]): void {
    const col = new Map(COLUMNS.map((c) => [c, table.header.indexOf(c)]));
    const missing = COLUMNS.filter((c) => (col.get(c) ?? -1) < 0);
    if (missing.length > 0) {
      say(table.line, `the hunk table lacks the columns ${missing.join(', ')}`);
      for (const h of f.hunks) say(table.line, `hunk ${h.id}: no row can be read`, hunkKey(f, h));
      return;
    }
    const cell = (cells: string[], c: (typeof COLUMNS)[number]): string => plain(cells[col.get(c) ?? -1]);
    const byId = new Map(f.hunks.map((h) => [h.id, h]));
    const rowed = new Set<string>();
    for (const row of table.rows) {
      const id = cell(row.cells, 'hunk');
      const h = byId.get(id);
      if (h === undefined) {
        say(row.line, `${id || '(empty)'} is not a hunk of the file of ${f.releases.join(', ')}`);
        continue;
      }
      const key = hunkKey(f, h);
      if (rowed.has(id)) say(row.line, `hunk ${id} has a second row`, key);
      rowed.add(id);
      checkRow(h, key, row.line, (c) => cell(row.cells, c));
    }
    for (const h of f.hunks) {
      if (!rowed.has(h.id))
        say(table.line, `hunk ${h.id} (seed ${rangeText(h.seed)}) has no row`, hunkKey(f, h));
    }

    function checkRow(
      h: HunkPrint,
      key: string,
      line: number,
      c: (name: (typeof COLUMNS)[number]) => string,
    ): void {
      const seedWant = `seed ${rangeText(h.seed)}`;
      if (c('seed') !== seedWant)
        say(line, `hunk ${h.id}: seed is "${c('seed')}", the fingerprint ${seedWant}`, key);
      const rel = c('release');
      const relOk = f.releases.some((r) => rel === `${r} ${rangeText(h.release)}`);
      if (!relOk)
        say(
          line,
          `hunk ${h.id}: release is "${rel}", the fingerprint ${f.releases[0]} ${rangeText(h.release)}`,
          key,
        );
      const what = c('what changes');
      if (what === '' || /\bTODO\b/.test(what))
        say(line, `hunk ${h.id}: What changes is ${what || 'empty'}`, key);
      const model = c('in the model');
      if (/\bTODO\b/.test(model) || model === '') {
        say(line, `hunk ${h.id}: In the model is ${model || 'empty'}`, key);
        return;
      }
      let refs = 0;
      if (/\bcomment only\b/i.test(model)) {
        refs++;
        if (!h.commentOnly)
          say(line, `hunk ${h.id}: says comment only, but its code tokens differ (commentOnly false)`, key);
      }
      for (const m of model.matchAll(/\b(model\/[\w./-]+\.ts)\s+([A-Za-z_$][\w$]*)/g)) {
        refs++;
        const [, path = '', name = ''] = m;
        if (!repo.exists(path)) say(line, `hunk ${h.id}: ${path} does not exist`, key);
        else if (!definesFunction(repo.read(path), name))
          say(line, `hunk ${h.id}: ${path} defines no function ${name}`, key);
      }
      for (const m of model.matchAll(/\b((?:properties|spec)\/[\w./-]+\.test\.ts)\s+"([^"]+)"/g)) {
        refs++;
        const [, path = '', name = ''] = m;
        if (!repo.exists(path)) say(line, `hunk ${h.id}: ${path} does not exist`, key);
        else if (!hasTest(repo.read(path), name))
          say(line, `hunk ${h.id}: ${path} has no test "${name}"`, key);
      }
      if (refs === 0)
        say(
          line,
          `hunk ${h.id}: In the model names no \`model/….ts function\`, no \`properties/….test.ts "test"\` and is not \`comment only\``,
          key,
        );
    }
  }
}

/** Skeleton rows for a file's table: ids and ranges from the fingerprint, the rest TODO. */
export function skeletonRows(f: FilePrint): string[] {
  const rel = f.releases[0] ?? '?';
  return [
    '| Hunk | Seed | Release | What changes | In the model |',
    '| --- | --- | --- | --- | --- |',
    ...f.hunks.map(
      (h) =>
        `| \`${h.id}\` | \`seed ${rangeText(h.seed)}\` | \`${rel} ${rangeText(h.release)}\` | TODO | ${h.commentOnly ? 'comment only' : 'TODO'} |`,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Command line

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DOC_PATH = 'spec/kernel-hunks.json';
export const TABLE_PATH = 'spec/kernel-versions.md';

/** Where the release sources are unpacked (as in the brief's cache layout). */
export function ksrcRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.DIOCHECK_KSRC ?? join(homedir(), '.cache', 'diocheck', 'ksrc');
}

export function defaultReleasePath(root: string, release: string): string {
  return join(root, release, 'linux-source-6.12', KERNEL_FILE);
}

export const defaultSeedPath = (): string => resolve(repoRoot, '../shared/seed/direct-io.c.lines.txt');

export interface HunksOptions {
  readonly mode: 'write' | 'check' | 'rows' | 'help';
  readonly seed: string;
  readonly releases: readonly ReleaseFile[];
  readonly out: string;
}

const USAGE =
  'usage: npm run kernel:hunks -- [--seed FILE] [--release NAME=PATH ...] [--out FILE] [--check | --rows]';

/** --release repeats, once per release; --check and --rows are two ways to run, one at a time. */
const HUNKS_OPTIONS = {
  values: ['seed', 'release', 'out'],
  flags: ['check', 'rows'],
  repeatable: ['release'],
};

export function parseHunksArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): HunksOptions {
  const out = resolve(repoRoot, DOC_PATH);
  if (asksHelp(argv)) return { mode: 'help', seed: resolve(defaultSeedPath()), releases: [], out };
  const parsed = parseScriptOptions('kernel:hunks', argv, HUNKS_OPTIONS, InputError);
  if (parsed.flags.has('check') && parsed.flags.has('rows'))
    throw new InputError('give one of --check and --rows');
  const mode: HunksOptions['mode'] = parsed.flags.has('check')
    ? 'check'
    : parsed.flags.has('rows')
      ? 'rows'
      : 'write';
  const releases: ReleaseFile[] = [];
  for (const v of parsed.repeated.get('release') ?? []) {
    const eq = v.indexOf('=');
    const name = eq < 0 ? '' : v.slice(0, eq);
    if (eq <= 0 || eq === v.length - 1)
      throw new InputError(`--release ${v}: expected NAME=PATH, as 6.12.117=/path/direct-io.c`);
    if (!releaseOrder.has(name))
      throw new InputError(
        `--release ${name}: not a release of model/kernel/releases.ts (${RELEASES.map((r) => r.name).join(', ')})`,
      );
    if (releases.some((r) => r.name === name)) throw new InputError(`--release ${name} given twice`);
    releases.push({ name, path: resolve(v.slice(eq + 1)) });
  }
  if (releases.length === 0 && (mode === 'write' || mode === 'check')) {
    const root = ksrcRoot(env);
    const found = RELEASES.map((r) => ({ name: r.name, path: defaultReleasePath(root, r.name) }));
    const missing = found.filter((r) => !existsSync(r.path)).map((r) => r.name);
    if (missing.length > 0)
      throw new InputError(
        `${missing.join(', ')}: not under ${root} (DIOCHECK_KSRC); give each as --release NAME=PATH`,
      );
    releases.push(...found);
  }
  const given = parsed.options.get('out');
  return {
    mode,
    seed: resolve(parsed.options.get('seed') ?? defaultSeedPath()),
    releases,
    out: given === undefined ? out : resolve(given),
  };
}

const repoView: RepoView = {
  exists: (p) => existsSync(resolve(repoRoot, p)),
  read: (p) => readFileSync(resolve(repoRoot, p), 'utf8'),
};

function readDoc(path: string): HunkDoc {
  if (!existsSync(path)) throw new InputError(`${path}: no such file`);
  return parseDoc(readFileSync(path, 'utf8'), path);
}

/** Runs one command; lines go to `say`. Returns the exit code (InputError is the caller's: exit 2). */
export async function runHunks(o: HunksOptions, say: (line: string) => void): Promise<number> {
  if (o.mode === 'help') {
    say(USAGE);
    return 0;
  }
  if (o.mode === 'rows') {
    const doc = readDoc(o.out);
    const md = readFileSync(resolve(repoRoot, TABLE_PATH), 'utf8');
    const problems = checkHunkTables(
      TABLE_PATH,
      md,
      doc,
      RELEASES.map((r) => r.name),
      repoView,
    );
    for (const p of problems) say(`${p.file}:${p.line}: ${p.message}`);
    say(`kernel:hunks: ${problems.length} problem(s) in the hunk tables of ${TABLE_PATH}`);
    return problems.length === 0 ? 0 : 1;
  }
  const fresh = buildDoc(readSeed(o.seed), o.releases);
  const hunks = fresh.files.reduce((n, f) => n + f.hunks.length, 0);
  if (o.mode === 'check') {
    const diffs = compareDocs(readDoc(o.out), fresh);
    for (const d of diffs) say(d);
    say(
      `kernel:hunks: ${o.releases.length} releases, ${fresh.files.length} files, ${hunks} hunks; ${diffs.length} difference(s) from ${o.out}`,
    );
    return diffs.length === 0 ? 0 : 1;
  }
  writeFileSync(o.out, formatDoc(fresh));
  say(
    `kernel:hunks: ${o.releases.length} releases, ${fresh.files.length} files, ${hunks} hunks; wrote ${o.out}`,
  );
  return 0;
}

async function main(): Promise<void> {
  try {
    process.exitCode = await runHunks(parseHunksArgs(process.argv.slice(2)), (l) =>
      process.stdout.write(`${l}\n`),
    );
  } catch (e) {
    // Bad input is the user's to fix (exit 2); anything else is ours (exit 3); one line either way.
    const first = ((e as Error).message ?? String(e)).split('\n', 1)[0];
    process.stderr.write(`diocheck: ${first}\n`);
    process.exitCode = e instanceof InputError ? 2 : 3;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
