/**
 * scripts/kernelHunks.ts on small fixtures: the hunk split and fingerprints (with GNU diff), the
 * comment-only proof, the JSON round trip and comparison, the table check (each kind of problem it
 * must report, and a complete table it must accept), and the command line's exits.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSeed } from '../spec/seedIndex.ts';
import {
  buildDoc,
  checkHunkTables,
  commentOnly,
  compareDocs,
  defaultSeedPath,
  definesFunction,
  type FilePrint,
  fingerprint,
  formatDoc,
  type HunkDoc,
  type HunkPrint,
  hasTest,
  InputError,
  parseDoc,
  parseHunksArgs,
  parseSeedListing,
  rangeText,
  type RepoView,
  repoRoot,
  runHunks,
  splitHunks,
} from './kernelHunks.ts';

const REV = '4b132aacb0768ac1e652cf517097ea6f237214b9';

/** A seed listing of `lines`, as the shared seed is laid out (no-break space, numbered final empty line). */
function listing(lines: readonly string[]): string {
  const all = [...lines, ''];
  return [`xref: /linux/fs/iomap/direct-io.c (revision ${REV})`, ...all.map((l, i) => `${i + 1}\u00a0${l}`)]
    .join('\n')
    .replace(/\u00a0$/, '');
}

const SEED = [
  'static int a;',
  '',
  'void f(void)',
  '{',
  '\t/* old comment */',
  '\tg();',
  '}',
  '',
  'int b1;',
  'int b2;',
  'int b3;',
  'int b4;',
  '',
  'void h(void)',
  '{',
  '\tk();',
  '}',
];

function fixtureDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kernel-hunks-'));
  writeFileSync(join(dir, 'seed.txt'), listing(SEED));
  // 6.12.107: the comment reworded (comment only) and k() becomes k2().
  const r1 = [...SEED];
  r1[4] = '\t/* new,   longer comment */';
  r1[15] = '\tk2();';
  writeFileSync(join(dir, 'r1.c'), `${r1.join('\n')}\n`);
  writeFileSync(join(dir, 'r1b.c'), `${r1.join('\n')}\n`);
  writeFileSync(join(dir, 'same.c'), `${SEED.join('\n')}\n`);
  return dir;
}

describe('the seed listing', () => {
  it('reads the text back with its final newline, as parseSeed numbers it', () => {
    const raw = listing(SEED);
    const seed = parseSeedListing(raw, 'x');
    expect(seed).toEqual({ revision: REV, text: `${SEED.join('\n')}\n` });
    const ref = parseSeed(raw, 'x');
    const fromRef = Array.from({ length: ref.lineCount }, (_, k) => ref.text(k + 1)).join('\n');
    expect(seed.text).toBe(fromRef);
  });

  it.skipIf(!existsSync(defaultSeedPath()))('agrees with parseSeed on the shared seed', () => {
    const raw = readFileSync(defaultSeedPath(), 'utf8');
    const ref = parseSeed(raw, 'seed');
    const text = Array.from({ length: ref.lineCount }, (_, k) => ref.text(k + 1)).join('\n');
    expect(parseSeedListing(raw, 'seed')).toEqual({ revision: ref.revision, text });
  });

  it('refuses a listing without its header or with a line out of place, naming the line', () => {
    expect(() => parseSeedListing('1 a\n', 's.txt')).toThrow(/^s\.txt:1: expected an "xref/);
    expect(() => parseSeedListing(`xref: x (revision ${REV})\n1 a\n3 b\n`, 's.txt')).toThrow(
      's.txt:3: expected seed line 2',
    );
    expect(() => parseSeedListing('', 's.txt')).toThrow(InputError);
  });
});

describe('hunks', () => {
  const diff = [
    '--- seed',
    '+++ release',
    '@@ -1,3 +1,4 @@',
    ' a',
    '-b   ',
    '+b',
    '+c',
    ' d',
    '@@ -9 +10,0 @@',
    '-z',
  ].join('\n');

  it('splits unified diff output into spans and bodies', () => {
    const hunks = splitHunks(diff);
    expect(hunks.map((h) => [h.seed, h.release])).toEqual([
      [
        [1, 3],
        [1, 4],
      ],
      [
        [9, 1],
        [10, 0],
      ],
    ]);
    expect(hunks[0]?.body).toEqual([' a', '-b   ', '+b', '+c', ' d']);
    expect(rangeText([9, 1])).toBe('L9');
    expect(rangeText([10, 0])).toBe('L10+0');
    expect(rangeText([1, 4])).toBe('L1-4');
  });

  it('refuses a hunk whose body does not match its header', () => {
    expect(() => splitHunks('@@ -1,2 +1,2 @@\n a\n')).toThrow(InputError);
    expect(() => splitHunks('@@ -1 +1 @@\n a\n@@ junk\n')).toThrow(InputError);
  });

  it('ids hash the body without trailing whitespace, so the same change has one id anywhere', () => {
    const [a] = fingerprint(splitHunks(diff));
    const moved = diff.replace('@@ -1,3 +1,4 @@', '@@ -100,3 +120,4 @@').replace('-b   ', '-b');
    const [b] = fingerprint(splitHunks(moved));
    expect(a?.id).toMatch(/^h[0-9a-f]{8}$/);
    expect(b?.id).toBe(a?.id);
    expect(b?.seed).toEqual([100, 3]);
    const other = fingerprint(splitHunks(diff.replace('+c', '+C')));
    expect(other[0]?.id).not.toBe(a?.id);
  });

  it('gives a second hunk with the very same body a suffix', () => {
    const twice = '@@ -1 +1 @@\n-x\n+y\n@@ -5 +5 @@\n-x\n+y\n';
    const [a, b] = fingerprint(splitHunks(twice));
    expect(b?.id).toBe(`${a?.id}.2`);
  });
});

describe('commentOnly', () => {
  const hunk = (old: string[], neu: string[], ctx: string[] = []): string[] => [
    ...ctx.map((l) => ` ${l}`),
    ...old.map((l) => `-${l}`),
    ...neu.map((l) => `+${l}`),
  ];

  it('holds for reworded, added or removed comments and reflowed whitespace', () => {
    expect(commentOnly(hunk(['\tg(); /* old */'], ['\tg();  // new']))).toBe(true);
    expect(commentOnly(hunk([], ['/*', ' * a new block', ' */'], ['int a;']))).toBe(true);
    expect(commentOnly(hunk(['\tx = f(a, b);'], ['\tx = f(a,', '\t      b);']))).toBe(true);
  });

  it('fails for any code change', () => {
    expect(commentOnly(hunk(['\tg();'], ['\tg2();']))).toBe(false);
    expect(commentOnly(hunk(['\tif (pad)', '\t\tz();'], ['\tz();']))).toBe(false);
    expect(commentOnly(hunk(['\tstr = "a b";'], ['\tstr = "a  b";']))).toBe(false);
  });

  it('does not take the same characters for the same tokens', () => {
    expect(commentOnly(hunk(['\tx = a + ++b;'], ['\tx = a++ + b;']))).toBe(false);
    expect(commentOnly(hunk(['\tx = a - -b;'], ['\tx = a--b;']))).toBe(false);
    expect(commentOnly(hunk(['\tunsigned int x;'], ['\tunsignedint x;']))).toBe(false);
  });

  it('counts the newline that ends a preprocessor directive', () => {
    expect(commentOnly(hunk(['#define A 1', 'int b;'], ['#define A 1 int b;']))).toBe(false);
    expect(commentOnly(hunk(['#define A 1 /* one */'], ['#define A 1']))).toBe(true);
    // A line splice is not undone: conservative, so a spliced directive proves nothing.
    expect(commentOnly(hunk(['#define A \\', '\t1'], ['#define A 1']))).toBe(false);
  });

  it('proves nothing for a hunk that may start inside a comment opened above it', () => {
    // Read from outside a comment, `*/ x(); /*` is code on one side only; read from inside, the
    // other way round: one of the two readings always sees a difference.
    expect(commentOnly(hunk([' * text */ x(); /*'], [' * text */ /* x(); */ /*'], [' * above']))).toBe(false);
  });
});

describe('the document', () => {
  it('groups byte-identical releases, fingerprints each distinct file once, and round-trips', () => {
    const dir = fixtureDir();
    const seed = parseSeedListing(readFileSync(join(dir, 'seed.txt'), 'utf8'), 'seed');
    const doc = buildDoc(seed, [
      { name: '6.12.111', path: join(dir, 'r1b.c') },
      { name: '6.12.107', path: join(dir, 'r1.c') },
      { name: '6.12.118', path: join(dir, 'same.c') },
    ]);
    expect(doc.files.map((f) => f.releases)).toEqual([['6.12.107', '6.12.111'], ['6.12.118']]);
    const [changed, same] = doc.files;
    expect(same?.hunks).toEqual([]);
    expect(changed?.hunks.map((h) => [h.seed, h.release, h.commentOnly])).toEqual([
      [[2, 7], [2, 7], true],
      [[13, 5], [13, 5], false],
    ]);
    const text = formatDoc(doc);
    expect(text).not.toContain('g();');
    expect(parseDoc(text, 'doc.json')).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(compareDocs(parseDoc(text, 'doc.json'), doc)).toEqual([]);
  });

  it('refuses a missing release file as bad input', () => {
    const dir = fixtureDir();
    const seed = parseSeedListing(readFileSync(join(dir, 'seed.txt'), 'utf8'), 'seed');
    expect(() => buildDoc(seed, [{ name: '6.12.107', path: join(dir, 'nope.c') }])).toThrow(
      /nope\.c: no such file \(release 6\.12\.107\)/,
    );
  });

  it('refuses JSON of another shape, naming the place', () => {
    expect(() => parseDoc('{', 'd.json')).toThrow(/^d\.json: not JSON/);
    expect(() => parseDoc('{"format":"x"}', 'd.json')).toThrow(/format/);
    const good = JSON.parse(formatDoc(sampleDoc())) as { files: { hunks: { id: string }[] }[] };
    const hunk0 = good.files[0]?.hunks[0];
    if (hunk0 !== undefined) hunk0.id = 'H1';
    expect(() => parseDoc(JSON.stringify(good), 'd.json')).toThrow(/files\[0\]\.hunks\[0\]/);
  });

  it('compares line by line: ranges, hashes, commentOnly, hunks gone or new, the file hash', () => {
    const doc = sampleDoc();
    const f = doc.files[0] as FilePrint;
    const [h1, h2] = f.hunks as [HunkPrint, HunkPrint];
    const fresh: HunkDoc = {
      ...doc,
      files: [
        {
          sha256: 'f'.repeat(64),
          releases: f.releases,
          hunks: [
            { ...h1, release: [30, 13], commentOnly: true },
            { ...h2, id: 'h99999999', sha256: '9'.repeat(64) },
          ],
        },
      ],
    };
    expect(compareDocs(doc, fresh)).toEqual([
      '6.12.107: file sha256 aaaaaaaa committed, ffffffff now',
      '6.12.107: hunk h11111111 is committed but no longer in the diff',
      '6.12.107: hunk h00000000: release L27-39 committed, L30-42 now',
      '6.12.107: hunk h00000000: commentOnly false committed, true now',
      '6.12.107: hunk h99999999 (seed L70-76) is not committed',
    ]);
    const unknown: HunkDoc = { ...doc, files: [{ ...f, releases: ['6.12.113'] }] };
    expect(compareDocs(doc, unknown)).toEqual(['6.12.113: not in the committed file']);
  });
});

/** Two hunks of one file for 6.12.107 and one comment-only hunk of another for the other releases. */
function sampleDoc(): HunkDoc {
  const h = (id: string, seed: [number, number], release: [number, number], only = false): HunkPrint => ({
    id,
    seed,
    release,
    sha256: `${id.slice(1)}${'0'.repeat(56)}`,
    commentOnly: only,
  });
  return {
    format: 'diocheck-kernel-hunks/1',
    file: 'fs/iomap/direct-io.c',
    seed: { revision: REV, sha256: 'b'.repeat(64) },
    files: [
      {
        sha256: 'a'.repeat(64),
        releases: ['6.12.107'],
        hunks: [h('h00000000', [27, 6], [27, 13]), h('h11111111', [70, 7], [77, 7])],
      },
      {
        sha256: 'c'.repeat(64),
        releases: ['6.12.111', '6.12.118'],
        hunks: [h('h22222222', [5, 3], [5, 4], true)],
      },
    ],
  };
}

describe('the hunk tables', () => {
  const files: Record<string, string> = {
    'model/kernel/v6_12.ts': 'export function iomapDioDone() {}\nexport const bioSetPolled = () => 0;\n',
    'properties/x/zero.test.ts':
      "describe('z', () => {\n  it('zeroing cannot fail at 4096', () => {});\n});\n",
  };
  const repo: RepoView = {
    exists: (p) => p in files,
    read: (p) => files[p] ?? '',
  };
  const table = (rows: string[]): string =>
    [
      '| Hunk | Seed | Release | What changes | In the model |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n');
  const good107 = [
    '| `h00000000` | `seed L27-32` | `6.12.107 L27-39` | Adds the zero page. | `model/kernel/v6_12.ts` `iomapDioDone` |',
    '| `h11111111` | `seed L70-76` | `6.12.107 L77-83` | REQ_POLLED only. | `properties/x/zero.test.ts` "zeroing cannot fail at 4096" |',
  ];
  const good111 = ['| `h22222222` | `seed L5-7` | `6.12.118 L5-8` | A comment. | comment only |'];
  const md = (rows107: string[], rows111: string[] = good111, extra = ''): string =>
    [
      '# Versions',
      '',
      '### 6.12.107 (direct-io.c sha256 aaaaaaaa)',
      '',
      table(rows107),
      '',
      '### 6.12.111, 6.12.118 (direct-io.c sha256 cccccccc)',
      '',
      table(rows111),
      '',
      '## Notes',
      '',
      '| # | Seed |',
      '| --- | --- |',
      '| 1 | L3 |',
      extra,
    ].join('\n');
  const releases = ['6.12.107', '6.12.111', '6.12.118'];
  const check = (text: string, rel: readonly string[] = releases): string[] =>
    checkHunkTables('v.md', text, sampleDoc(), rel, repo).map(
      (p) => `${p.line}${p.hunk ? ` ${p.hunk}` : ''}: ${p.message}`,
    );

  it('accepts a complete table (model function, test, comment only), ignoring other tables', () => {
    expect(check(md(good107))).toEqual([]);
  });

  it('names the hunk that has no row, and the row that names no hunk', () => {
    expect(check(md([good107[0] as string, '| `h12345678` | `seed L1` | `6.12.107 L1` | x | y |']))).toEqual([
      '8: h12345678 is not a hunk of the file of 6.12.107',
      '5 aaaaaaaa/h11111111: hunk h11111111 (seed L70-76) has no row',
    ]);
  });

  it('reports ranges that differ from the fingerprint, and an empty or TODO cell', () => {
    const rows = [
      '| `h00000000` | `seed L27-33` | `6.12.107 L27-39` |  | TODO |',
      '| `h11111111` | `seed L70-76` | `6.12.111 L77-83` | TODO | `model/kernel/v6_12.ts iomapDioDone` |',
    ];
    expect(check(md(rows))).toEqual([
      '7 aaaaaaaa/h00000000: hunk h00000000: seed is "seed L27-33", the fingerprint seed L27-32',
      '7 aaaaaaaa/h00000000: hunk h00000000: What changes is empty',
      '7 aaaaaaaa/h00000000: hunk h00000000: In the model is TODO',
      '8 aaaaaaaa/h11111111: hunk h11111111: release is "6.12.111 L77-83", the fingerprint 6.12.107 L77-83',
      '8 aaaaaaaa/h11111111: hunk h11111111: What changes is TODO',
    ]);
  });

  it('checks every model function and test a row names, and comment only against the fingerprint', () => {
    const rows = [
      '| `h00000000` | `seed L27-32` | `6.12.107 L27-39` | x | `model/kernel/v6_12.ts iomapDioZero`, `model/kernel/nope.ts f`, `model/kernel/v6_12.ts bioSetPolled` |',
      '| `h11111111` | `seed L70-76` | `6.12.107 L77-83` | x | `properties/x/zero.test.ts` "zeroing cannot fail", comment only |',
    ];
    const only = ['| `h22222222` | `seed L5-7` | `6.12.111 L5-8` | x | it changes a comment |'];
    expect(check(md(rows, only))).toEqual([
      '7 aaaaaaaa/h00000000: hunk h00000000: model/kernel/v6_12.ts defines no function iomapDioZero',
      '7 aaaaaaaa/h00000000: hunk h00000000: model/kernel/nope.ts does not exist',
      '8 aaaaaaaa/h11111111: hunk h11111111: says comment only, but its code tokens differ (commentOnly false)',
      '8 aaaaaaaa/h11111111: hunk h11111111: properties/x/zero.test.ts has no test "zeroing cannot fail"',
      '14 cccccccc/h22222222: hunk h22222222: In the model names no `model/….ts function`, no `properties/….test.ts "test"` and is not `comment only`',
    ]);
  });

  it('wants every release in exactly one section, each section matching its file', () => {
    const twice = md(good107).replace('### 6.12.111, 6.12.118', '### 6.12.111, 6.12.107');
    expect(check(twice)).toEqual([
      '1: release 6.12.107 is named by 2 file sections, not one',
      '1: release 6.12.118 is named by 0 file sections, not one',
      '10: the heading names 6.12.107, 6.12.111; the file is that of 6.12.111, 6.12.118',
    ]);
    expect(check(md(good107), [...releases, '6.12.999'])).toEqual([
      '1: release 6.12.999 is named by 0 file sections, not one',
      '1: release 6.12.999 is not fingerprinted in spec/kernel-hunks.json (npm run kernel:hunks)',
    ]);
    const noSection = md(good107).replace('sha256 cccccccc', 'sha256 dddddddd');
    expect(check(noSection)).toContain('10: no fingerprinted file has sha256 dddddddd');
    expect(check(noSection)).toContain('1: the file of 6.12.111, 6.12.118 (sha256 cccccccc) has no section');
    const stray = md(good107, good111, `\n${table(good111)}`);
    expect(check(stray)).toEqual(['22: a hunk table outside a file section (### … sha256 <prefix>)']);
    const outside = `${table(good111)}\n\n${md(good107)}`;
    expect(check(outside)).toEqual(['1: a hunk table outside a file section (### … sha256 <prefix>)']);
  });

  it('finds definitions and tests by their exact names', () => {
    expect(definesFunction('export function* gen() {}', 'gen')).toBe(true);
    expect(definesFunction('export async function go<T>(x: T) {}', 'go')).toBe(true);
    expect(definesFunction('const goAway = 1;', 'go')).toBe(false);
    expect(definesFunction('// function go()', 'goo')).toBe(false);
    expect(hasTest('it(`a "b" (c)`, () => {})', 'a "b" (c)')).toBe(true);
    expect(hasTest('test("x", () => {})', 'x')).toBe(true);
    expect(hasTest("it.skipIf(slow)('x', () => {})", 'x')).toBe(true);
    expect(hasTest("it('x y', () => {})", 'x')).toBe(false);
  });

  it('accepts the committed table of the repository in its shape (sections and columns)', () => {
    const doc = parseDoc(readFileSync(resolve(repoRoot, 'spec/kernel-hunks.json'), 'utf8'), 'doc');
    const md = readFileSync(resolve(repoRoot, 'spec/kernel-versions.md'), 'utf8');
    const realRepo: RepoView = {
      exists: (p) => existsSync(resolve(repoRoot, p)),
      read: (p) => readFileSync(resolve(repoRoot, p), 'utf8'),
    };
    const structural = checkHunkTables('spec/kernel-versions.md', md, doc, ['6.12.107'], realRepo).filter(
      (p) => !/In the model is TODO$/.test(p.message),
    );
    expect(structural).toEqual([]);
  });
});

describe('the command line', () => {
  it('reads options, and refuses bad ones as bad input', () => {
    const o = parseHunksArgs(['--seed', 's.txt', '--release', '6.12.117=/k/d.c', '--check'], {});
    expect(o.mode).toBe('check');
    expect(o.releases).toEqual([{ name: '6.12.117', path: '/k/d.c' }]);
    expect(parseHunksArgs(['--rows'], {}).mode).toBe('rows');
    expect(() => parseHunksArgs(['--release', '6.12.999=/x'], {})).toThrow(/not a release of/);
    expect(() => parseHunksArgs(['--release', '/x'], {})).toThrow(/expected NAME=PATH/);
    expect(() => parseHunksArgs(['--check', '--rows'], {})).toThrow(InputError);
    expect(() => parseHunksArgs(['--bogus'], {})).toThrow(
      new InputError(
        "unknown option '--bogus' for 'kernel:hunks' (known: --seed, --release, --out, --check, --rows)",
      ),
    );
    expect(() => parseHunksArgs([], { DIOCHECK_KSRC: '/nonexistent' })).toThrow(
      /not under \/nonexistent \(DIOCHECK_KSRC\)/,
    );
  });

  it('reads its line with util.parseArgs: --name=value, one line per mistake, help anywhere', () => {
    const bad = (argv: string[], message: string) => {
      expect(() => parseHunksArgs(argv, {}), argv.join(' ')).toThrow(InputError);
      expect(() => parseHunksArgs(argv, {}), argv.join(' ')).toThrow(new InputError(message));
    };
    bad(['--seed'], "option '--seed' needs a value");
    bad(['--out', '--rows'], "option '--out' needs a value");
    bad(['--release='], "option '--release' needs a value");
    bad(['--seed', 'a', '--seed', 'b', '--rows'], "option '--seed' given twice");
    bad(['--rows', '--rows'], "option '--rows' given twice");
    bad(['--check=yes'], "option '--check' takes no value");
    bad(['--check', '--rows'], 'give one of --check and --rows');
    bad(['--release', '6.12.117=/a', '--release=6.12.117=/b'], '--release 6.12.117 given twice');
    bad(['d.c', '--rows'], "'kernel:hunks' takes no arguments, got 'd.c'");
    const o = parseHunksArgs(
      ['--seed=s.txt', '--release=6.12.117=/k/d.c', '--release', '6.12.107=/k/e.c', '--out=o.json'],
      {},
    );
    expect(o).toEqual({
      mode: 'write',
      seed: resolve('s.txt'),
      releases: [
        { name: '6.12.117', path: '/k/d.c' },
        { name: '6.12.107', path: '/k/e.c' },
      ],
      out: resolve('o.json'),
    });
    expect(parseHunksArgs(['--bogus', '-h'], {}).mode).toBe('help');
  });

  it('writes, then checks: 0 when the same, 1 with one line per difference', async () => {
    const dir = fixtureDir();
    const out = join(dir, 'hunks.json');
    const args = [
      '--seed',
      join(dir, 'seed.txt'),
      '--release',
      `6.12.107=${join(dir, 'r1.c')}`,
      '--out',
      out,
    ];
    const lines: string[] = [];
    expect(await runHunks(parseHunksArgs(args, {}), (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toMatch(/1 releases, 1 files, 2 hunks; wrote /);
    expect(await runHunks(parseHunksArgs([...args, '--check'], {}), (l) => lines.push(l))).toBe(0);
    writeFileSync(out, readFileSync(out, 'utf8').replace('[13, 5]', '[13, 6]'));
    lines.length = 0;
    expect(await runHunks(parseHunksArgs([...args, '--check'], {}), (l) => lines.push(l))).toBe(1);
    expect(lines[0]).toMatch(/^6\.12\.107: hunk h[0-9a-f]{8}: seed L13-18 committed, L13-17 now$/);
  });

  it('says what is wrong with bad input in one line starting diocheck:, exit 2', async () => {
    const run = (args: string[]): Promise<{ code: number; stderr: string }> =>
      new Promise((done) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', 'scripts/kernelHunks.ts', ...args],
          { cwd: repoRoot },
          (error, _stdout, stderr) => done({ code: error === null ? 0 : Number(error.code), stderr }),
        );
      });
    const r = await run(['--seed', '/nonexistent/seed.txt', '--release', '6.12.117=/nonexistent/d.c']);
    expect(r).toEqual({
      code: 2,
      stderr:
        'diocheck: /nonexistent/seed.txt: no such seed listing (give the numbered listing with --seed FILE)\n',
    });
  });
});
