/**
 * Indexes for the citation checks in spec/citations.test.ts: the seed (fs/iomap/direct-io.c with
 * line numbers), the model's TypeScript sources, and the markdown tables of spec/kernel-map.md; and
 * the catalogue checks of spec/catalogue.test.ts: spec/invariants.md against the invariant registry,
 * spec/bugs.md against the bug catalogue, and the invariant IDs model/ raises.
 *
 * Every checker is a pure function that returns a list of problems, each with the file and line a
 * reader must fix, so that the test can print them all at once and so that a fixture can show that
 * a wrong citation is reported.
 */
import ts from 'typescript';
import { listingLines, listingRevision, SeedListingError, stripCComments, textRows } from './seedListing.ts';
import { splitRow } from './markdownRow.ts';

/** The revision of fs/iomap/direct-io.c that the model mirrors (spec/README.md). */
export const SEED_REVISION = '4b132aacb0768ac1e652cf517097ea6f237214b9';

/** Something a reader has to fix: where, and what. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n');
}

/** iomap_dio_rw → iomapDioRw, __iomap_dio_rw → __iomapDioRw. */
export function camelCase(cName: string): string {
  const lead = /^_*/.exec(cName)?.[0] ?? '';
  return lead + cName.slice(lead.length).replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

// ---------------------------------------------------------------------------------------------
// The seed

/** A function defined in the seed: header line to closing brace, and where its leading comment starts. */
export interface SeedFunction {
  readonly name: string;
  /** First line of the definition (the return type when it has a line of its own). */
  readonly start: number;
  /** The line holding the closing brace at column 0. */
  readonly end: number;
  /** First line of the comment block directly above the definition, or `start` when there is none. */
  readonly docStart: number;
}

export interface Seed {
  readonly path: string;
  readonly revision: string;
  /** Number of numbered lines; valid line numbers are 1..lineCount. */
  readonly lineCount: number;
  readonly functions: readonly SeedFunction[];
  /** Does line n hold code (not blank, not only a comment)? */
  isCode(n: number): boolean;
  /**
   * Do lines from..to mention every C identifier of `needle` (`IOMAP_DIO_WRITE`, `dops->end_io`,
   * `submit.iter`) as whole identifiers, outside comments?
   */
  mentions(from: number, to: number, needle: string): boolean;
  /** The goto label defined at the start of line n, if any. */
  labelAt(n: number): string | undefined;
  /** Does line n jump to `label` (`goto label;`)? */
  jumpsTo(n: number, label: string): boolean;
  functionNamed(name: string): SeedFunction | undefined;
}

/** The seed read from the numbered listing itself, which also has the text of each line. */
export interface SeedListing extends Seed {
  /** The C text of line n (undefined outside 1..lineCount). */
  text(n: number): string | undefined;
}

/**
 * Parses the seed file: an `xref:` header naming the revision, then one line per source line,
 * `N` + a separator (a space or a no-break space) + the text. Throws with the path and line on any
 * other shape, so that a damaged seed cannot pass silently.
 */
export function parseSeed(raw: string, path: string): SeedListing {
  const rows = textRows(raw);
  const revision = listingRevision(rows[0] ?? '');
  if (revision === null) throw new Error(`${path}:1: expected an "xref: ... (revision <sha>)" header`);
  let lines: string[];
  try {
    lines = listingLines(rows);
  } catch (e) {
    if (e instanceof SeedListingError) throw new Error(`${path}:${e.fileLine}: ${e.message}`);
    throw e;
  }
  const code = stripCComments(lines);
  const lineCount = lines.length - 1;
  const xref = xrefOfCode(revision, code, findFunctions(lines, code));
  const seed = seedFromXref(xref, path);
  return {
    ...seed,
    text: (n) => (Number.isInteger(n) && n >= 1 && n <= lineCount ? lines[n] : undefined),
  };
}

// ---------------------------------------------------------------------------------------------
// The cross-reference index of the seed (spec/seed-xref.json)

/**
 * What the citation checks need of the seed, without its text: which lines hold code, where the
 * functions are, on which lines each C identifier occurs outside comments, and the goto labels and
 * jumps. It is committed (spec/seed-xref.json, written by `npm run spec:tables` when the listing is
 * beside the repository), so that a clone without ../shared checks every citation all the same.
 */
/** Where the xref is committed, from the repository root. */
export const SEED_XREF_PATH = 'spec/seed-xref.json';

export interface SeedXref {
  readonly format: 'diocheck-seed-xref/1';
  readonly revision: string;
  readonly lineCount: number;
  readonly functions: readonly SeedFunction[];
  /** The lines that hold code, as ranges `a-b` (or `a`), comma separated. */
  readonly codeLines: string;
  /** Each identifier and the lines it occurs on, ascending. */
  readonly identifiers: Readonly<Record<string, readonly number[]>>;
  /** Line → the label defined there. */
  readonly labels: Readonly<Record<string, string>>;
  /** Label → the lines that `goto` it. */
  readonly gotos: Readonly<Record<string, readonly number[]>>;
}

const IDENTIFIER = /[A-Za-z_]\w*/g;

function xrefOfCode(revision: string, code: readonly string[], functions: SeedFunction[]): SeedXref {
  const identifiers = new Map<string, number[]>();
  const labels: Record<string, string> = {};
  const gotos = new Map<string, number[]>();
  const codeRanges: string[] = [];
  let runStart = 0;
  for (let n = 1; n <= code.length; n++) {
    const line = code[n] ?? '';
    const isCode = n < code.length && line.trim() !== '';
    if (isCode && runStart === 0) runStart = n;
    if (!isCode && runStart !== 0) {
      codeRanges.push(runStart === n - 1 ? `${runStart}` : `${runStart}-${n - 1}`);
      runStart = 0;
    }
    if (!isCode) continue;
    for (const m of line.matchAll(IDENTIFIER)) {
      const at = identifiers.get(m[0]) ?? [];
      if (at[at.length - 1] !== n) at.push(n);
      identifiers.set(m[0], at);
    }
    const label = /^([A-Za-z_]\w*):(?!:)/.exec(line)?.[1];
    if (label !== undefined && label !== 'default') labels[n] = label;
    for (const g of line.matchAll(/\bgoto\s+([A-Za-z_]\w*)\s*;/g)) {
      const at = gotos.get(g[1] ?? '') ?? [];
      at.push(n);
      gotos.set(g[1] ?? '', at);
    }
  }
  const sorted = <T>(m: Map<string, T>): Record<string, T> =>
    Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    format: 'diocheck-seed-xref/1',
    revision,
    lineCount: code.length - 1,
    functions,
    codeLines: codeRanges.join(','),
    identifiers: sorted(identifiers),
    labels,
    gotos: sorted(gotos),
  };
}

/** The xref of a parsed listing (what `npm run spec:tables` writes to spec/seed-xref.json). */
export function seedXref(raw: string, path: string): SeedXref {
  const seed = parseSeed(raw, path);
  const lines = ['', ...Array.from({ length: seed.lineCount }, (_, k) => seed.text(k + 1) ?? '')];
  return xrefOfCode(seed.revision, stripCComments(lines), [...seed.functions]);
}

/** The xref as committed: one identifier a line, so that a change reads as a small diff. */
export function formatSeedXref(x: SeedXref): string {
  const entries = (o: Readonly<Record<string, unknown>>): string =>
    Object.entries(o)
      .map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
      .join(',\n');
  return [
    '{',
    `  "format": ${JSON.stringify(x.format)},`,
    `  "revision": ${JSON.stringify(x.revision)},`,
    `  "lineCount": ${x.lineCount},`,
    `  "functions": ${JSON.stringify(x.functions)},`,
    `  "codeLines": ${JSON.stringify(x.codeLines)},`,
    `  "labels": ${JSON.stringify(x.labels)},`,
    `  "gotos": ${JSON.stringify(x.gotos)},`,
    '  "identifiers": {',
    entries(x.identifiers),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Reads a committed xref; a file of another shape is an error naming it. */
export function parseSeedXref(text: string, path: string): SeedXref {
  const x = JSON.parse(text) as Partial<SeedXref>;
  if (
    x.format !== 'diocheck-seed-xref/1' ||
    typeof x.revision !== 'string' ||
    typeof x.lineCount !== 'number' ||
    !Array.isArray(x.functions) ||
    typeof x.codeLines !== 'string' ||
    typeof x.identifiers !== 'object' ||
    typeof x.labels !== 'object' ||
    typeof x.gotos !== 'object'
  ) {
    throw new Error(`${path} is not a diocheck-seed-xref/1 file`);
  }
  return x as SeedXref;
}

/** The seed as the citation checks see it, from its xref. */
export function seedFromXref(x: SeedXref, path: string): Seed {
  const code = new Uint8Array(x.lineCount + 1);
  for (const r of x.codeLines === '' ? [] : x.codeLines.split(',')) {
    const [a, b] = r.split('-').map(Number);
    for (let n = a ?? 0; n <= (b ?? a ?? 0); n++) code[n] = 1;
  }
  const lineSets = new Map<string, ReadonlySet<number>>(
    Object.entries(x.identifiers).map(([k, v]) => [k, new Set(v)]),
  );
  const byName = new Map(x.functions.map((f) => [f.name, f]));
  return {
    path,
    revision: x.revision,
    lineCount: x.lineCount,
    functions: x.functions,
    isCode: (n) => code[n] === 1,
    mentions: (from, to, needle) => {
      const words = needle.match(IDENTIFIER) ?? [];
      if (words.length === 0) return false;
      return words.every((w) => {
        const at = lineSets.get(w);
        if (at === undefined) return false;
        for (let n = from; n <= to; n++) if (at.has(n)) return true;
        return false;
      });
    },
    labelAt: (n) => x.labels[n],
    jumpsTo: (n, label) => (x.gotos[label] ?? []).includes(n),
    functionNamed: (name) => byName.get(name),
  };
}

/**
 * Function definitions in kernel style: a header starting at column 0 (with the return type on its
 * own line or not), the parameter list, then `{` alone at column 0, and the body up to `}` at
 * column 0. Prototypes, macros, EXPORT_SYMBOL lines and struct definitions do not match.
 */
function findFunctions(lines: readonly string[], code: readonly string[]): SeedFunction[] {
  const found: SeedFunction[] = [];
  const last = code.length - 1;
  for (let n = 1; n <= last; n++) {
    const head = code[n] ?? '';
    if (!/^[A-Za-z_]/.test(head)) continue;
    let nameLine = n;
    if (!head.includes('(')) {
      if (head.trimEnd().endsWith(';') || head.includes('{')) continue;
      nameLine = n + 1;
      if (!/^[A-Za-z_]\w*\s*\(/.test(code[nameLine] ?? '')) continue;
    }
    const name = /([A-Za-z_]\w*)\s*\(/.exec(code[nameLine] ?? '')?.[1];
    if (name === undefined) continue;
    const close = closingParenLine(code, nameLine);
    if (close === undefined || (code[close + 1] ?? '').trimEnd() !== '{') continue;
    let end = close + 2;
    while (end <= last && !(code[end] ?? '').startsWith('}')) end++;
    if (end > last) continue;
    let docStart = n;
    while (
      docStart > 1 &&
      (lines[docStart - 1] ?? '').trim() !== '' &&
      (code[docStart - 1] ?? '').trim() === ''
    ) {
      docStart--;
    }
    found.push({ name, start: n, end, docStart });
    n = end;
  }
  return found;
}

/** The line on which the parenthesis opened on `from` closes. */
function closingParenLine(code: readonly string[], from: number): number | undefined {
  let depth = 0;
  let opened = false;
  for (let n = from; n < code.length && n < from + 20; n++) {
    for (const c of code[n] ?? '') {
      if (c === '(') {
        depth++;
        opened = true;
      } else if (c === ')') {
        depth--;
      }
    }
    if (opened && depth === 0) return n;
  }
  return undefined;
}

/** A range `L12` or `L12-34` as two numbers, or undefined if the text is not one. */
export function parseRange(text: string): { from: number; to: number } | undefined {
  const m = /^L(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (m === null) return undefined;
  const from = Number(m[1]);
  return { from, to: m[2] === undefined ? from : Number(m[2]) };
}

// ---------------------------------------------------------------------------------------------
// The model

/** A seed line the model names: in a comment, in a `seed L` string, or as a numeric argument. */
export interface Citation {
  readonly file: string;
  readonly line: number;
  readonly kind: 'comment' | 'argument' | 'cover';
  readonly from: number;
  readonly to: number;
  /** The cited text, for messages. */
  readonly text: string;
  /** For a comment of the form `c_function() (seed L1-2)`: the C function it names. */
  readonly namedFunction?: string;
  /** For a coverage mark: the model function it sits in. */
  readonly enclosing?: string;
}

/** A declaration in a model file: a function, a class method (`Class.method`), a class or a constant. */
export interface ModelDecl {
  readonly name: string;
  readonly exported: boolean;
  readonly line: number;
  readonly labels: Set<string>;
  /** Seed lines of the rt.cover() marks inside it. */
  readonly covers: number[];
  /** For a class: its properties, methods and parameter properties. */
  readonly members: Set<string>;
}

export interface ModelFile {
  /** Repo-relative, with forward slashes: model/kernel/iomapDio.ts. */
  readonly path: string;
  readonly decls: Map<string, ModelDecl>;
  readonly citations: Citation[];
}

export interface ModelIndex {
  readonly files: Map<string, ModelFile>;
}

/** Parameter names that carry a seed line (Runtime.ev and Runtime.cover call theirs `line`). */
const SEED_LINE_PARAMS = new Set(['seedLine', 'line']);

/**
 * Builds the index of the model: declarations, labelled blocks, coverage marks and every seed-line
 * citation. Seed-line arguments are found by declaration: any function, method or constructor with
 * a parameter named `seedLine` (or `line`) makes the numeric literal passed in that position at each
 * call a citation.
 */
export function buildModelIndex(sources: ReadonlyArray<{ path: string; text: string }>): ModelIndex {
  const parsed = sources.map((s) => ({
    path: s.path,
    sf: ts.createSourceFile(s.path, s.text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS),
  }));
  const lineParams = new Map<string, Set<number>>();
  for (const { sf } of parsed) collectLineParams(sf, lineParams);
  const files = new Map<string, ModelFile>();
  for (const { path, sf } of parsed) {
    const file: ModelFile = { path, decls: new Map(), citations: [] };
    collectDecls(sf, file);
    collectCommentCitations(sf, file);
    collectArgumentCitations(sf, file, lineParams);
    files.set(path, file);
  }
  return { files };
}

function lineOf(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

function hasExport(node: ts.Node): boolean {
  return (
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}

/** The name a function-like node is known by: `f`, `Class.method`, or the const it is assigned to. */
function declName(node: ts.Node): string | undefined {
  if (ts.isFunctionDeclaration(node)) return node.name?.text;
  if (ts.isMethodDeclaration(node) && ts.isIdentifier(node.name)) {
    const cls = node.parent;
    return ts.isClassDeclaration(cls) && cls.name ? `${cls.name.text}.${node.name.text}` : node.name.text;
  }
  if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isVariableDeclaration(node.parent)) {
    return ts.isIdentifier(node.parent.name) ? node.parent.name.text : undefined;
  }
  return undefined;
}

function collectLineParams(sf: ts.SourceFile, out: Map<string, Set<number>>): void {
  const visit = (node: ts.Node): void => {
    let key: string | undefined;
    let params: ts.NodeArray<ts.ParameterDeclaration> | undefined;
    if (ts.isConstructorDeclaration(node) && ts.isClassDeclaration(node.parent)) {
      key = node.parent.name?.text;
      params = node.parameters;
    } else if (ts.isFunctionLike(node) && !ts.isConstructorDeclaration(node)) {
      key = declName(node)?.split('.').pop();
      params = node.parameters;
    }
    if (key !== undefined && params !== undefined) {
      params.forEach((p, i) => {
        if (ts.isIdentifier(p.name) && SEED_LINE_PARAMS.has(p.name.text)) {
          const set = out.get(key) ?? new Set<number>();
          set.add(i);
          out.set(key, set);
        }
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

function collectDecls(sf: ts.SourceFile, file: ModelFile): void {
  const add = (name: string, node: ts.Node, exported: boolean): ModelDecl => {
    const line = lineOf(sf, node.getStart(sf));
    const decl: ModelDecl = { name, exported, line, labels: new Set(), covers: [], members: new Set() };
    file.decls.set(name, decl);
    return decl;
  };
  const visit = (node: ts.Node, owner: ModelDecl | undefined): void => {
    let inner = owner;
    if (ts.isClassDeclaration(node) && node.name) {
      const cls = add(node.name.text, node, hasExport(node));
      for (const m of node.members) {
        if (m.name !== undefined && ts.isIdentifier(m.name)) cls.members.add(m.name.text);
        if (ts.isConstructorDeclaration(m)) {
          for (const p of m.parameters) {
            const isProperty = (ts.getModifiers(p) ?? []).length > 0;
            if (isProperty && ts.isIdentifier(p.name)) cls.members.add(p.name.text);
          }
        }
      }
    }
    if (ts.isVariableStatement(node) && ts.isSourceFile(node.parent)) {
      for (const d of node.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) add(d.name.text, d, hasExport(node));
      }
    }
    const name = ts.isFunctionLike(node) ? declName(node) : undefined;
    if (name !== undefined) {
      const exported = ts.isFunctionDeclaration(node)
        ? hasExport(node)
        : (file.decls.get(name)?.exported ?? false);
      inner = add(name, node, exported);
    }
    if (ts.isLabeledStatement(node) && inner) inner.labels.add(node.label.text);
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const arg = node.arguments[0];
      if (node.expression.name.text === 'cover' && arg !== undefined && ts.isNumericLiteral(arg)) {
        const seedLine = Number(arg.text);
        inner?.covers.push(seedLine);
        file.citations.push({
          file: file.path,
          line: lineOf(sf, arg.getStart(sf)),
          kind: 'cover',
          from: seedLine,
          to: seedLine,
          text: `cover(${arg.text})`,
          ...(inner === undefined ? {} : { enclosing: inner.name }),
        });
      }
    }
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(sf, undefined);
}

/** Every comment in the file, once: the trivia before each token, found through the full token tree. */
function comments(sf: ts.SourceFile): ts.CommentRange[] {
  const text = sf.getFullText();
  const seen = new Map<number, ts.CommentRange>();
  const visit = (node: ts.Node): void => {
    for (const r of ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []) seen.set(r.pos, r);
    for (const r of ts.getTrailingCommentRanges(text, node.getEnd()) ?? []) seen.set(r.pos, r);
    for (const child of node.getChildren(sf)) visit(child);
  };
  visit(sf);
  return [...seen.values()].sort((a, b) => a.pos - b.pos);
}

/**
 * Seed citations in text: `seed L12` or `seed L12-34` anywhere in a model file (comments and
 * strings), and any `L12` / `L12-34` in a comment under model/kernel/, where every line number is a
 * seed line. Elsewhere a bare `L123` may cite another file (block/bio.c L1357), so it is not taken.
 */
function collectCommentCitations(sf: ts.SourceFile, file: ModelFile): void {
  const text = sf.getFullText();
  const taken = new Set<number>();
  const push = (at: number, from: string, to: string | undefined, cited: string, named?: string): void => {
    if (taken.has(at)) return;
    taken.add(at);
    file.citations.push({
      file: file.path,
      line: lineOf(sf, at),
      kind: 'comment',
      from: Number(from),
      to: to === undefined ? Number(from) : Number(to),
      text: cited,
      ...(named === undefined ? {} : { namedFunction: named }),
    });
  };
  const named = /\b([A-Za-z_]\w*)(?:\(\))?[\s*]*\((?:seed )?L(\d+)(?:-(\d+))?\)/g;
  // A line cited with a release in front (`6.12.117 L790-800`) is that release's, not the seed's.
  const bare = /(?<!\b\d+\.\d+(?:\.\d+)?\s+)\bL(\d+)(?:-(\d+))?\b/g;
  for (const r of comments(sf)) {
    const body = text.slice(r.pos, r.end);
    const inKernel = file.path.startsWith('model/kernel/');
    for (const m of body.matchAll(named)) {
      if (!inKernel && !m[0].includes('seed L')) continue;
      const at = r.pos + m.index + m[0].lastIndexOf('L');
      push(at, m[2] ?? '', m[3], m[0].replace(/\s*\n[\s*]*/g, ' '), m[1]);
    }
    if (!inKernel) continue;
    for (const m of body.matchAll(bare)) push(r.pos + m.index, m[1] ?? '', m[2], m[0]);
  }
  for (const m of text.matchAll(/\bseed L(\d+)(?:-(\d+))?/g)) push(m.index + 5, m[1] ?? '', m[2], m[0]);
}

function collectArgumentCitations(
  sf: ts.SourceFile,
  file: ModelFile,
  lineParams: Map<string, Set<number>>,
): void {
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = node.expression;
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : undefined;
      const positions = name === undefined || name === 'cover' ? undefined : lineParams.get(name);
      for (const i of positions ?? []) {
        const arg = node.arguments?.[i];
        if (arg === undefined || !ts.isNumericLiteral(arg)) continue;
        const n = Number(arg.text);
        file.citations.push({
          file: file.path,
          line: lineOf(sf, arg.getStart(sf)),
          kind: 'argument',
          from: n,
          to: n,
          text: `${name}(… ${arg.text} …)`,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

// ---------------------------------------------------------------------------------------------
// Checks of the model's citations against the seed

/**
 * Check (a): every cited line exists in the seed. A numeric argument of 0 means "no seed line" and
 * is allowed; a coverage mark must name a line of code (not blank, not only a comment), and when it
 * sits in the mirror of a seed function it must lie inside that function. A comment that names a C
 * function and a range (`iomap_dio_zero() (seed L235-251)`) must cite lines of that function or of
 * the comment block just above it.
 */
export function checkModelCitations(seed: Seed, model: ModelIndex): Problem[] {
  const problems: Problem[] = [];
  const byMirror = new Map(seed.functions.map((f) => [camelCase(f.name), f]));
  for (const file of model.files.values()) {
    for (const c of file.citations) {
      const bad = (message: string): void => {
        problems.push({ file: c.file, line: c.line, message: `${c.text}: ${message}` });
      };
      if (c.kind === 'argument' && c.from === 0) continue;
      if (c.from < 1 || c.to > seed.lineCount || c.from > c.to) {
        bad(
          `seed has lines 1..${seed.lineCount}; L${c.from}${c.to === c.from ? '' : `-${c.to}`} is not a range in it`,
        );
        continue;
      }
      if (c.kind === 'cover') {
        if (!seed.isCode(c.from))
          bad(`seed L${c.from} is blank or only a comment; a coverage mark needs code`);
        const fn = c.enclosing === undefined ? undefined : byMirror.get(c.enclosing);
        if (fn !== undefined && (c.from < fn.start || c.from > fn.end)) {
          bad(
            `${c.enclosing} mirrors ${fn.name} (seed L${fn.start}-${fn.end}), which does not hold L${c.from}`,
          );
        }
      }
      const named = c.namedFunction === undefined ? undefined : seed.functionNamed(c.namedFunction);
      if (named !== undefined && (c.from < named.docStart || c.to > named.end)) {
        bad(`${named.name} is seed L${named.docStart}-${named.end} (with its comment)`);
      }
    }
  }
  return problems;
}

/** Check (a) for markdown: every `seed L12` or `seed L12-34` in the text names seed lines. */
export function checkMarkdownSeedCitations(seed: Seed, file: string, markdown: string): Problem[] {
  const problems: Problem[] = [];
  markdown.split('\n').forEach((text, i) => {
    for (const m of text.matchAll(/\bseed L(\d+)(?:-(\d+))?/g)) {
      const from = Number(m[1]);
      const to = m[2] === undefined ? from : Number(m[2]);
      // `seed L0` is how a report names no seed line (a violation the world found), as in the model.
      if (from === 0 && to === 0) continue;
      if (from < 1 || to > seed.lineCount || from > to) {
        problems.push({ file, line: i + 1, message: `${m[0]}: seed has lines 1..${seed.lineCount}` });
      }
    }
  });
  return problems;
}

/**
 * Check (b), model side: every seed function has a counterpart, camelCased, exported as a function
 * from a file under model/kernel/.
 */
export function checkCounterparts(seed: Seed, model: ModelIndex): Problem[] {
  const exported = new Set<string>();
  for (const file of model.files.values()) {
    if (!file.path.startsWith('model/kernel/')) continue;
    for (const d of file.decls.values()) if (d.exported) exported.add(d.name);
  }
  return seed.functions
    .filter((f) => !exported.has(camelCase(f.name)))
    .map((f) => ({
      file: seed.path,
      line: f.start,
      message: `${f.name} has no exported counterpart ${camelCase(f.name)} in model/kernel/`,
    }));
}

// ---------------------------------------------------------------------------------------------
// Markdown tables and spec/kernel-map.md

export interface MdRow {
  readonly line: number;
  readonly cells: readonly string[];
}

export interface MdTable {
  readonly line: number;
  readonly header: readonly string[];
  readonly rows: readonly MdRow[];
}

export function parseTables(markdown: string): MdTable[] {
  const lines = markdown.split('\n');
  const tables: MdTable[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i] ?? '';
    if (!head.trim().startsWith('|') || !/^\s*\|\s*:?-{3,}/.test(lines[i + 1] ?? '')) continue;
    const rows: MdRow[] = [];
    let j = i + 2;
    while (j < lines.length && (lines[j] ?? '').trim().startsWith('|')) {
      rows.push({ line: j + 1, cells: splitRow(lines[j] ?? '') });
      j++;
    }
    tables.push({ line: i + 1, header: splitRow(head).map((h) => h.toLowerCase()), rows });
    i = j - 1;
  }
  return tables;
}

/** The contents of every `code span` in a cell. */
function spans(cell: string | undefined): string[] {
  return [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
}

/** The kinds of table kernel-map.md holds, by their header. */
const SHAPES = {
  seed: ['c function', 'seed lines', 'what it does', 'model file', 'model function', 'coverage marks'],
  flag: ['flag', 'seed lines', 'meaning', 'model file', 'model constant'],
  label: ['label', 'c function', 'seed lines', 'goto sites', 'model file', 'model function', 'model label'],
  service: ['kernel service', 'linux 6.12 source', 'called at', 'model file', 'model function', 'notes'],
  field: ['field', 'seed lines', 'model file', 'model class', 'model member', 'notes'],
} as const;

type Shape = keyof typeof SHAPES;

function shapeOf(header: readonly string[]): Shape | undefined {
  for (const [shape, cols] of Object.entries(SHAPES) as [Shape, readonly string[]][]) {
    if (cols.length === header.length && cols.every((c, i) => header[i] === c)) return shape;
  }
  return undefined;
}

/** Context for checking one table row. */
interface RowCheck {
  readonly seed: Seed;
  readonly model: ModelIndex;
  readonly file: string;
  readonly row: MdRow;
  readonly problems: Problem[];
}

function report(r: RowCheck, message: string): void {
  r.problems.push({ file: r.file, line: r.row.line, message });
}

/** The seed lines a cell cites (`L12`, `L12-34`, several allowed), each checked to exist. */
function citedRanges(r: RowCheck, cell: string | undefined): { from: number; to: number }[] {
  const ranges: { from: number; to: number }[] = [];
  for (const s of spans(cell)) {
    const range = parseRange(s);
    if (range === undefined) {
      report(r, `\`${s}\` is not a seed range like \`L12\` or \`L12-34\``);
    } else if (range.from < 1 || range.to > r.seed.lineCount || range.from > range.to) {
      report(r, `\`${s}\` is not inside the seed's lines 1..${r.seed.lineCount}`);
    } else {
      ranges.push(range);
    }
  }
  if (ranges.length === 0) report(r, 'no seed lines given');
  return ranges;
}

/** The declaration a row names, or a problem when the file or the declaration does not exist. */
function modelDecl(
  r: RowCheck,
  fileCell: string | undefined,
  nameCell: string | undefined,
): ModelDecl | undefined {
  const [path] = spans(fileCell);
  const [name] = spans(nameCell);
  if (path === undefined || name === undefined) {
    report(r, 'model file and model name must be given in backticks');
    return undefined;
  }
  const file = r.model.files.get(path);
  if (file === undefined) {
    report(r, `model file ${path} does not exist`);
    return undefined;
  }
  const decl = file.decls.get(name);
  if (decl === undefined) report(r, `${path} declares no ${name}`);
  return decl;
}

function inside(fn: SeedFunction, range: { from: number; to: number }): boolean {
  return range.from >= fn.start && range.to <= fn.end;
}

/**
 * Checks (b), map side, and (c): every seed function has rows in kernel-map.md, and every row of a
 * seed-function table names a seed function, a range inside it, a model function that exists in the
 * named file, and coverage marks that the model function really holds, inside the row's range. Every
 * coverage mark in the model must be listed in some row for its function. Flag, label and service
 * rows are checked against the seed text they cite.
 */
export function checkKernelMap(seed: Seed, model: ModelIndex, file: string, markdown: string): Problem[] {
  const problems: Problem[] = [];
  const mapped = new Set<string>();
  const listedCovers = new Set<string>();
  for (const table of parseTables(markdown)) {
    const shape = shapeOf(table.header);
    if (shape === undefined) {
      problems.push({
        file,
        line: table.line,
        message: `unrecognised table header | ${table.header.join(' | ')} |`,
      });
      continue;
    }
    for (const row of table.rows) {
      const r: RowCheck = { seed, model, file, row, problems };
      if (shape === 'seed') checkSeedRow(r, mapped, listedCovers);
      else if (shape === 'flag') checkFlagRow(r);
      else if (shape === 'label') checkLabelRow(r);
      else if (shape === 'field') checkFieldRow(r);
      else checkServiceRow(r);
    }
  }
  for (const f of seed.functions) {
    if (!mapped.has(f.name)) {
      problems.push({ file, line: 1, message: `seed function ${f.name} (seed L${f.start}) has no row` });
    }
  }
  for (const mf of model.files.values()) {
    for (const d of mf.decls.values()) {
      for (const n of d.covers) {
        if (!listedCovers.has(`${mf.path}#${d.name}#${n}`)) {
          problems.push({
            file,
            line: 1,
            message: `rt.cover(${n}) in ${mf.path} ${d.name} is listed in no row`,
          });
        }
      }
    }
  }
  return problems;
}

function checkSeedRow(r: RowCheck, mapped: Set<string>, listedCovers: Set<string>): void {
  const [cFn] = spans(r.row.cells[0]);
  const fn = cFn === undefined ? undefined : r.seed.functionNamed(cFn);
  if (fn === undefined) {
    report(r, `\`${cFn ?? r.row.cells[0]}\` is not a function defined in the seed`);
    return;
  }
  mapped.add(fn.name);
  const ranges = citedRanges(r, r.row.cells[1]);
  for (const range of ranges) {
    if (!inside(fn, range))
      report(r, `L${range.from}-${range.to} is outside ${fn.name} (seed L${fn.start}-${fn.end})`);
  }
  const decl = modelDecl(r, r.row.cells[3], r.row.cells[4]);
  if (decl === undefined) return;
  const [path] = spans(r.row.cells[3]);
  for (const mark of spans(r.row.cells[5])) {
    const m = /^rt\.cover\((\d+)\)$/.exec(mark);
    if (m === null) {
      report(r, `\`${mark}\` is not a coverage mark like \`rt.cover(123)\``);
      continue;
    }
    const n = Number(m[1]);
    if (!decl.covers.includes(n)) report(r, `${decl.name} has no rt.cover(${n})`);
    if (!ranges.some((range) => n >= range.from && n <= range.to))
      report(r, `rt.cover(${n}) is outside this row's lines`);
    listedCovers.add(`${path}#${decl.name}#${n}`);
  }
}

function checkFlagRow(r: RowCheck): void {
  const [flag] = spans(r.row.cells[0]);
  for (const range of citedRanges(r, r.row.cells[1])) {
    if (flag === undefined || !r.seed.mentions(range.from, range.to, flag))
      report(r, `seed L${range.from}-${range.to} does not mention ${flag}`);
  }
  const decl = modelDecl(r, r.row.cells[3], r.row.cells[4]);
  if (decl !== undefined && !decl.exported) report(r, `${decl.name} is not exported`);
}

function checkLabelRow(r: RowCheck): void {
  const [label] = spans(r.row.cells[0]);
  const [cFn] = spans(r.row.cells[1]);
  const fn = cFn === undefined ? undefined : r.seed.functionNamed(cFn);
  if (label === undefined || fn === undefined) {
    report(r, 'a label row needs a label and a seed function in backticks');
    return;
  }
  for (const range of citedRanges(r, r.row.cells[2])) {
    if (r.seed.labelAt(range.from) !== label) report(r, `seed L${range.from} is not the label ${label}:`);
    if (!inside(fn, range)) report(r, `L${range.from} is outside ${fn.name}`);
  }
  for (const range of citedRanges(r, r.row.cells[3])) {
    if (!r.seed.jumpsTo(range.from, label)) report(r, `seed L${range.from} has no goto ${label}`);
    if (!inside(fn, range)) report(r, `L${range.from} is outside ${fn.name}`);
  }
  const decl = modelDecl(r, r.row.cells[4], r.row.cells[5]);
  const [modelLabel] = spans(r.row.cells[6]);
  if (decl !== undefined && (modelLabel === undefined || !decl.labels.has(modelLabel))) {
    report(r, `${decl.name} has no labelled block ${modelLabel ?? '(none given)'}`);
  }
}

function checkServiceRow(r: RowCheck): void {
  const [service] = spans(r.row.cells[0]);
  const call = (service ?? '').replace(/\(\)$/, '');
  for (const range of citedRanges(r, r.row.cells[2])) {
    if (call === '' || !r.seed.mentions(range.from, range.to, call))
      report(r, `seed L${range.from}-${range.to} does not call ${call}`);
  }
  if ((r.row.cells[4] ?? '').trim() !== '—') modelDecl(r, r.row.cells[3], r.row.cells[4]);
}

function checkFieldRow(r: RowCheck): void {
  const [field] = spans(r.row.cells[0]);
  const last = (field ?? '').split('.').pop() ?? '';
  for (const range of citedRanges(r, r.row.cells[1])) {
    if (last === '' || !r.seed.mentions(range.from, range.from, last))
      report(r, `seed L${range.from} does not declare ${field}`);
  }
  const cls = modelDecl(r, r.row.cells[2], r.row.cells[3]);
  const [member] = spans(r.row.cells[4]);
  if (cls !== undefined && (member === undefined || !cls.members.has(member))) {
    report(r, `${cls.name} has no member ${member ?? '(none given)'}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The catalogues: spec/invariants.md, spec/bugs.md and the IDs raised in model/

/** What the invariant table is checked against: an entry of the registry (properties/invariants). */
export interface CatalogueInvariant {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly family: string;
  readonly statement: string;
  readonly raisedIn?: string;
}

/** What the bug table is checked against: an entry of BUGS (model/bugs/catalogue.ts). */
export interface CatalogueBug {
  readonly name: string;
  readonly commit: string;
  readonly invariant: string;
}

/**
 * A cell as a reader sees it: backslash escapes undone, code-span backticks dropped, whitespace
 * collapsed; so a formatter's padding or escaping, or an identifier set in code, changes nothing.
 */
export function cellText(cell: string | undefined): string {
  return (cell ?? '')
    .replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, '$1')
    .replace(/`/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The first code span of a cell, or its text when it has none. */
function codeOrText(cell: string | undefined): string {
  return spans(cell)[0]?.trim() ?? cellText(cell);
}

/** Is the cell empty, or a dash that stands for "none"? */
function isNone(cell: string | undefined): boolean {
  const t = cellText(cell);
  return t === '' || t === '—' || t === '-';
}

/**
 * The one table of a file whose header has all these columns (any order, any case), with the index
 * of each; a problem if there is none or more than one.
 */
function catalogueTable(
  file: string,
  markdown: string,
  columns: readonly string[],
  problems: Problem[],
): { table: MdTable; col: Map<string, number> } | undefined {
  const found = parseTables(markdown).filter((t) => columns.every((c) => t.header.includes(c)));
  if (found.length !== 1) {
    problems.push({
      file,
      line: found[1]?.line ?? 1,
      message: `expected one table with the columns ${columns.join(' | ')}, found ${found.length}`,
    });
    return undefined;
  }
  const table = found[0] as MdTable;
  return { table, col: new Map(columns.map((c) => [c, table.header.indexOf(c)])) };
}

/**
 * Reports where a table's keys (IDs, names) differ from the expected sequence: a key missing, one
 * not expected, one listed twice, and, when the same keys are listed, the first out of order.
 */
function compareSequence(
  file: string,
  what: string,
  rows: ReadonlyArray<{ key: string; line: number }>,
  expected: readonly string[],
  tableLine: number,
  problems: Problem[],
): void {
  const before = problems.length;
  const want = new Set(expected);
  const seen = new Set<string>();
  for (const r of rows) {
    if (!want.has(r.key))
      problems.push({ file, line: r.line, message: `${what} ${r.key} is not in ${sourceOf(what)}` });
    else if (seen.has(r.key))
      problems.push({ file, line: r.line, message: `${what} ${r.key} is listed twice` });
    seen.add(r.key);
  }
  for (const key of expected) {
    if (!seen.has(key)) problems.push({ file, line: tableLine, message: `${what} ${key} has no row` });
  }
  const listed = rows.map((r) => r.key).filter((k) => want.has(k));
  const order = expected.filter((k) => seen.has(k));
  const at = order.findIndex((k, i) => listed[i] !== k);
  if (problems.length === before && at >= 0) {
    const row = rows.find((r) => r.key === listed[at]);
    problems.push({
      file,
      line: row?.line ?? tableLine,
      message: `${what} ${listed[at]} is out of order: ${sourceOf(what)} has ${order[at]} in its place`,
    });
  }
}

function sourceOf(what: string): string {
  return what === 'invariant' ? 'the registry (ALL_INVARIANTS)' : 'the bug catalogue (BUGS)';
}

/**
 * spec/invariants.md against the registry: one row per invariant, in registry order, with the same
 * name, kind, family and statement, and, in the planted-bugs column, exactly the bugs whose
 * invariant is that ID.
 */
export function checkInvariantTable(
  file: string,
  markdown: string,
  registry: readonly CatalogueInvariant[],
  bugs: readonly CatalogueBug[],
): Problem[] {
  const problems: Problem[] = [];
  const cols = ['id', 'name', 'kind', 'family', 'statement', 'planted bugs'];
  const found = catalogueTable(file, markdown, cols, problems);
  if (found === undefined) return problems;
  const { table, col } = found;
  const cell = (r: MdRow, c: string): string | undefined => r.cells[col.get(c) ?? -1];
  const rows = table.rows.map((r) => ({ key: codeOrText(cell(r, 'id')), line: r.line, row: r }));
  compareSequence(
    file,
    'invariant',
    rows,
    registry.map((i) => i.id),
    table.line,
    problems,
  );
  const byId = new Map(registry.map((i) => [i.id, i]));
  for (const { key, line, row } of rows) {
    const inv = byId.get(key);
    if (inv === undefined) continue;
    for (const field of ['name', 'kind', 'family', 'statement'] as const) {
      const got = cellText(cell(row, field));
      const want = cellText(inv[field]);
      if (got !== want)
        problems.push({
          file,
          line,
          message: `${key} ${field}: the registry has "${want}", the table "${got}"`,
        });
    }
    const listed = isNone(cell(row, 'planted bugs')) ? [] : spans(cell(row, 'planted bugs'));
    const want = bugs.filter((b) => b.invariant === key).map((b) => b.name);
    if ([...listed].sort().join(', ') !== [...want].sort().join(', ')) {
      problems.push({
        file,
        line,
        message: `${key} planted bugs: the catalogue has [${want.join(', ')}], the table [${listed.join(', ')}]`,
      });
    }
  }
  return problems;
}

/** spec/bugs.md against BUGS: one row per bug, in catalogue order, with the same commit and invariant. */
export function checkBugTable(file: string, markdown: string, bugs: readonly CatalogueBug[]): Problem[] {
  const problems: Problem[] = [];
  const found = catalogueTable(file, markdown, ['name', 'commit', 'invariant'], problems);
  if (found === undefined) return problems;
  const { table, col } = found;
  const cell = (r: MdRow, c: string): string | undefined => r.cells[col.get(c) ?? -1];
  const rows = table.rows.map((r) => ({ key: codeOrText(cell(r, 'name')), line: r.line, row: r }));
  compareSequence(
    file,
    'bug',
    rows,
    bugs.map((b) => b.name),
    table.line,
    problems,
  );
  const byName = new Map(bugs.map((b) => [b.name, b]));
  for (const { key, line, row } of rows) {
    const bug = byName.get(key);
    if (bug === undefined) continue;
    for (const field of ['commit', 'invariant'] as const) {
      const got = codeOrText(cell(row, field));
      if (got !== bug[field])
        problems.push({
          file,
          line,
          message: `${key} ${field}: the catalogue has ${bug[field]}, the table ${got}`,
        });
    }
  }
  return problems;
}

/** One `new Violation('ID'` or `new PendingViolation('ID'` in a model file. */
export interface RaisedId {
  readonly id: string;
  readonly file: string;
  readonly line: number;
}

/** Every invariant ID raised in the given sources, with file and line (the ID may be on the next line). */
export function raisedIds(sources: ReadonlyArray<{ path: string; text: string }>): RaisedId[] {
  const out: RaisedId[] = [];
  for (const { path, text } of sources) {
    for (const m of text.matchAll(/\bnew\s+(?:Pending)?Violation\(\s*(['"])([A-Z]+-\d{2})\1/g)) {
      const at = m.index + m[0].length - (m[2] ?? '').length - 1;
      out.push({ id: m[2] ?? '', file: path, line: text.slice(0, at).split('\n').length });
    }
  }
  return out;
}

/**
 * The IDs model/ raises against the registry: each must be in it, and each invariant the registry
 * says the model raises (raisedIn) must be raised in one of the model files raisedIn names.
 */
export function checkRaisedIds(
  raised: readonly RaisedId[],
  registry: readonly CatalogueInvariant[],
): Problem[] {
  const problems: Problem[] = [];
  const ids = new Set(registry.map((i) => i.id));
  for (const r of raised) {
    if (!ids.has(r.id))
      problems.push({
        file: r.file,
        line: r.line,
        message: `${r.id} is raised here but is not in the registry`,
      });
  }
  for (const inv of registry) {
    if (inv.raisedIn === undefined) continue;
    const files = [...inv.raisedIn.matchAll(/model\/[\w/.-]+\.ts/g)].map((m) => m[0]);
    if (!raised.some((r) => r.id === inv.id && files.includes(r.file))) {
      problems.push({
        file: 'properties/invariants/modelRaised.ts',
        line: 1,
        message: `${inv.id} is said to be raised in ${inv.raisedIn}, but none of those files raises it`,
      });
    }
  }
  return problems;
}
