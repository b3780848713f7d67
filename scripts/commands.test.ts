/**
 * The commands added with the regression corpus, in process (no spawn): run's profiles, shards,
 * JUnit, coverage list and annotation; merge; explain with its causal core and HTML page; promote;
 * export. Budgets are tiny (a few dozen runs) so the file stays within a few seconds; the end to
 * end exit statuses are in cliCommands.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SEED_OPS } from '../model/kernel/ops.ts';
import { ArrayChoices, SeededChoices } from '../model/runtime/choice.ts';
import { NO_FAULTS } from '../model/runtime/faults.ts';
import { runScenario } from '../model/world/run.ts';
import type { Scenario } from '../model/world/scenario.ts';
import { REACH_GUARDS } from '../properties/invariants/reach.ts';
import { ALL_INVARIANTS, makeProbe } from '../properties/invariants/registry.ts';
import { makeReplayFile, readReplayFile, replayOps, replayRun } from '../properties/replay/replayFile.ts';
import { DEFAULT_OUT_DIR, type RunCommand, UsageError } from './commands/args.ts';
import { markedSeedLines } from './commands/campaign.ts';
import {
  annotateSource,
  formatCoverageList,
  readSourceText,
  trackedCopyWarning,
} from './commands/coverage.ts';
import { causalCore, deriveStates, explainFile, explainHtml, LANES, laneOf } from './commands/explain.ts';
import { exportFile, xfsIoScript } from './commands/export.ts';
import { junitXml } from './commands/junit.ts';
import { mergeReports, mergeSummaries, readReport } from './commands/merge.ts';
import { promoteFile } from './commands/promote.ts';
import { capture, runCmd as runCommand } from './commandFixtures.ts';
import { type CampaignSummary, runCampaign } from './commands/run.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REGRESSIONS = join(ROOT, 'properties/regressions');
const TMP = mkdtempSync(join(tmpdir(), 'diocheck-commands-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const runCmd = (over: Partial<RunCommand>): RunCommand => runCommand(join(TMP, 'cx'), over);

function usage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('no UsageError');
}

const readJson = (file: string): CampaignSummary => JSON.parse(readFileSync(file, 'utf8')) as CampaignSummary;

/** The counts that must add up over shards. */
function additive(s: CampaignSummary): unknown {
  return {
    runs: s.runs,
    passes: s.passes,
    violations: s.violations,
    boundHits: s.boundHits,
    modelErrors: s.modelErrors,
    hits: s.coverage.hits,
    reached: s.coverage.reached,
    reach: s.reach,
    faultClasses: s.faultClasses,
  };
}

describe('run --profile --shard --junit --coverage --annotate, and merge', () => {
  it('splits one campaign into shards that merge back into exactly the unsharded counts', () => {
    const all = join(TMP, 'all.json');
    const out = capture();
    expect(runCampaign(runCmd({ json: all, profile: 'swarm', coverage: true }), out)).toBe(0);
    expect(out.lines[1]).toMatch(/^campaign: 30 runs, profile swarm \(tier fast\)/);
    expect(out.text()).toMatch(/^swarm: runs with each fault class on/m);
    const marked = markedSeedLines();
    const listed = out.text().match(/^ {2}L\d+ +(\d+|UNREACHED)/gm) ?? [];
    expect(listed).toHaveLength(marked.length);
    expect(out.text()).toMatch(/^coverage: \d+\/\d+ marked seed lines reached \(\d+\.\d%\)$/m);

    const files = [1, 2, 3].map((i) => {
      const file = join(TMP, `shard${i}.json`);
      const o = capture();
      expect(runCampaign(runCmd({ json: file, shard: { index: i, count: 3 } }), o)).toBe(0);
      expect(o.lines[1]).toContain(`shard ${i}/3 (runs whose index is ${i - 1} mod 3)`);
      return file;
    });
    const shards = files.map(readReport);
    expect(shards.map((s) => s.runs)).toEqual([10, 10, 10]);
    const merged = mergeSummaries(shards, files);
    expect(additive(merged)).toEqual(additive(readJson(all)));
    expect(merged.shards).toEqual({ count: 3, merged: [1, 2, 3], missing: [] });

    const mo = capture();
    const mergedFile = join(TMP, 'merged.json');
    expect(mergeReports({ kind: 'merge', files, json: mergedFile, junit: join(TMP, 'merged.xml') }, mo)).toBe(
      0,
    );
    expect(mo.lines[0]).toBe('merged 3 report(s) of seed 11: shards 1, 2, 3 of 3');
    expect(mo.errs).toEqual([]);
    expect(readJson(mergedFile).runs).toBe(30);
    // A merged report is not merged again, and a partial merge warns.
    expect(usage(() => readReport(mergedFile))).toMatch(/already a merged report/);
    const partial = capture();
    expect(mergeReports({ kind: 'merge', files: files.slice(0, 2), json: null, junit: null }, partial)).toBe(
      0,
    );
    expect(partial.errs).toEqual(['diocheck: warning: shard(s) 3/3 missing: their runs are not counted']);
  });

  it('refuses reports that do not belong together', () => {
    const base = readReport(join(TMP, 'shard1.json'));
    const other = { ...base, seed: 12 };
    expect(() => mergeSummaries([base, base], ['a', 'b'])).toThrow(/shard 1\/3 given twice \(a and b\)/);
    expect(() => mergeSummaries([base, other], ['a', 'b'])).toThrow(/b has seed 12, a seed 11/);
    expect(() => mergeSummaries([base, { ...base, shard: { index: 2, count: 4 } }], ['a', 'b'])).toThrow(
      /b is a shard of 4, a of 3/,
    );
    expect(() =>
      mergeSummaries([base, { ...base, shard: { index: 2, count: 3 }, kernel: 'seed' }], ['a', 'b']),
    ).toThrow('b ran on kernel seed, a on correct model (seed + fixes)');
    const replay = join(REGRESSIONS, 'seed-read-error-end-io-in-irq.json');
    expect(usage(() => readReport(replay))).toMatch(/is not a 'diocheck run --json' report/);
    const broken = join(TMP, 'broken.json');
    writeFileSync(broken, JSON.stringify({ ...base, runs: -1 }));
    expect(usage(() => readReport(broken))).toBe(`report ${broken}: runs must be an integer >= 0`);
    expect(usage(() => readReport(join(TMP, 'nope.json')))).toMatch(/no such file/);
  });

  it('carries failures into the merged summary, the exit status and the JUnit XML', () => {
    // Reports of campaigns that stop at their first failure (--stop-at-first) carry no findings.
    const base = Object.fromEntries(
      Object.entries(readReport(join(TMP, 'shard1.json'))).filter(([k]) => k !== 'findings'),
    ) as unknown as CampaignSummary;
    const failing: CampaignSummary = {
      ...base,
      shard: { index: 2, count: 3 },
      runs: 4,
      passes: 3,
      violations: { 'CTX-01': 1 },
      failure: {
        invariant: 'CTX-01',
        verdict: 'VIOLATED  CTX-01 in bio1 at seed L91: ->end_io may sleep but runs in interrupt context',
        path: '4:1',
        replayFile: 'out/counterexamples/CTX-01-seed11-run4.json',
      },
    };
    const m = mergeSummaries([base, failing]);
    expect(m.violations).toEqual({ 'CTX-01': 1 });
    expect(m.failures[0]?.replay).toEqual([
      'npx diocheck repro --seed 11 --path 4:1',
      'npx diocheck repro out/counterexamples/CTX-01-seed11-run4.json',
    ]);
    const a = join(TMP, 'fa.json');
    const b = join(TMP, 'fb.json');
    writeFileSync(a, JSON.stringify(base));
    writeFileSync(b, JSON.stringify(failing));
    const junit = join(TMP, 'fail.xml');
    const o = capture();
    expect(mergeReports({ kind: 'merge', files: [a, b], json: null, junit }, o)).toBe(1);
    expect(o.text()).toContain('shard 2/3: VIOLATED  CTX-01');
    const xml = readFileSync(junit, 'utf8');
    const cases = xml.match(/<testcase /g) ?? [];
    expect(cases).toHaveLength(ALL_INVARIANTS.length + 1 + REACH_GUARDS.length);
    const failures = xml.match(/<failure [^>]*>[^<]*<\/failure>/g) ?? [];
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain('type="CTX-01"');
    expect(failures[0]).toContain('replay: npx diocheck repro --seed 11 --path 4:1');
    expect(xml).toMatch(/<testsuites name="[^"]*" tests="\d+" failures="1" errors="0"/);
  });

  it('writes JUnit with a testcase per invariant, grouped by family, and escapes text', () => {
    const xml = junitXml({
      title: 'a <b> & "c"',
      runs: 1,
      elapsedMs: 5,
      violations: { 'NEW-99': 2 },
      modelErrors: 1,
      failures: [
        {
          invariant: null,
          verdict: 'MODEL ERROR  boom <x>',
          replay: ['npx diocheck repro --seed 1 --path 0'],
        },
      ],
      reach: {},
      properties: { seed: 1 },
    });
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="a &lt;b&gt; &amp; &quot;c&quot;"',
      ),
    ).toBe(true);
    const families = new Set(ALL_INVARIANTS.map((i) => i.family));
    for (const f of families) expect(xml).toContain(`<testsuite name="diocheck.${f}"`);
    expect(xml).toContain(
      '<testcase classname="diocheck.other" name="NEW-99" time="0"><failure type="NEW-99"',
    );
    expect(xml).toContain('<error type="model-error" message="1 run(s) threw">MODEL ERROR  boom &lt;x&gt;');
    expect((xml.match(/<skipped /g) ?? []).length).toBe(REACH_GUARDS.length);
    // Balanced: every opened suite is closed.
    expect((xml.match(/<testsuite /g) ?? []).length).toBe((xml.match(/<\/testsuite>/g) ?? []).length);
  });

  it('lists coverage, annotates a C file or the numbered listing, and stops early on a bad one', () => {
    const marked = [3, 5];
    const hits = { '3': 7, '5': 0 };
    const c = join(TMP, 'direct-io.c');
    writeFileSync(c, 'line one\nline two\n\tif (x)\nfour\n\treturn y;\n');
    const source = readSourceText(c);
    expect(source.kind).toBe('c');
    expect(formatCoverageList({ marked, hits }, source)).toBe(
      [
        'coverage: 1/2 marked seed lines reached (50.0%)',
        '  L3         7  if (x)',
        '  L5     UNREACHED  return y;',
        'unreached: L5',
      ].join('\n'),
    );
    const annotated = annotateSource(source, { marked, hits }, { runs: 9, seed: 4 }).split('\n');
    expect(annotated[0]).toBe(`        -:    0:Source:${c}`);
    expect(annotated.slice(4, 9)).toEqual([
      '        -:    1:line one',
      '        -:    2:line two',
      '        7:    3:\tif (x)',
      '        -:    4:four',
      '    #####:    5:\treturn y;',
    ]);
    const listing = join(TMP, 'direct-io.c.lines.txt');
    writeFileSync(
      listing,
      'xref: /linux/fs/iomap/direct-io.c (revision x)\n1 line one\n2 line two\n3 \tif (x)\n',
    );
    expect(readSourceText(listing)).toMatchObject({
      kind: 'listing',
      lines: ['', 'line one', 'line two', '\tif (x)'],
    });
    const bad = join(TMP, 'bad.lines.txt');
    writeFileSync(bad, 'xref: x\n1 a\n3 c\n');
    expect(usage(() => readSourceText(bad))).toBe(
      `--annotate file ${bad}:3: a numbered listing needs "2 <text>" here`,
    );
    const empty = join(TMP, 'empty.c');
    writeFileSync(empty, '');
    expect(usage(() => readSourceText(empty))).toMatch(/is empty$/);
    // A bad --annotate stops the run before its campaign starts.
    const o = capture();
    expect(usage(() => runCampaign(runCmd({ annotate: join(TMP, 'missing.c') }), o))).toMatch(/no such file/);
    expect(o.lines).toEqual([]);
    // An annotated run writes DIR/<name>.gcov, warns about line counts that cannot be the seed's.
    const ao = capture();
    expect(runCampaign(runCmd({ runs: 5, annotate: c, out: join(TMP, 'ann') }), ao)).toBe(0);
    const gcov = readFileSync(join(TMP, 'ann', 'direct-io.c.gcov'), 'utf8');
    expect(gcov).toContain('        -:    0:Runs:5');
    expect(ao.errs.some((e) => /has 5 lines but the model marks seed line/.test(e))).toBe(true);
    expect(trackedCopyWarning(join(ROOT, 'out', 'x.gcov'))).toBeNull();
    expect(trackedCopyWarning(join(ROOT, 'properties', 'x.gcov'))).toMatch(/do not commit it/);
    expect(trackedCopyWarning(join(TMP, 'x.gcov'))).toBeNull();
  });

  it('prepares its output paths before running', () => {
    expect(usage(() => runCampaign(runCmd({ json: TMP }), capture()))).toBe(`--json ${TMP} is a directory`);
    expect(DEFAULT_OUT_DIR).toBe('out/counterexamples');
  });
});

// ---------------------------------------------------------------------------------------------

/** Two async requests, errors, reordering and interleaving: a CTX-01 with many deviations. */
const RICH: Scenario = {
  device: { logicalBlockSize: 512, fua: false, writeCache: true },
  fs: {
    model: 'scripted',
    blockSize: 4096,
    iSize: 16384,
    extents: [{ offset: 0, length: 16384, type: 'mapped', addr: 65536 }],
    readEndIo: true,
  },
  bioMaxVecs: 1,
  threads: [
    [{ kind: 'dio_write', pos: 0, len: 8192, async: true, iocbFlags: ['dsync'] }],
    [{ kind: 'dio_read', pos: 8192, len: 8192, async: true }],
  ],
};
const RICH_FAULTS = { ...NO_FAULTS, bioErrors: true, interleave: true, reorder: true };

/** A replay file of RICH that violates with deviations that matter and free ones (seeded search). */
function richReplay(): string {
  for (let i = 0; i < 400; i++) {
    const r = runScenario(RICH, {
      source: new SeededChoices(`explain-test:${i}`, 0.3),
      faults: RICH_FAULTS,
      tracing: true,
      probe: makeProbe(),
      // The seed's own CTX-01 bug (222f2c7c6d14) is what RICH exposes; the correct model has the fix.
      ops: SEED_OPS,
    });
    if (r.violation === null || r.choiceLog.filter((c) => c.value !== 0).length < 3) continue;
    const replay = makeReplayFile({
      invariant: r.violation.invariant,
      scenario: RICH,
      faults: RICH_FAULTS,
      choices: r.choiceLog,
      kernel: 'seed',
    });
    const core = causalCore(replay, r);
    if (!core.deviations.some((d) => d.matters) || !core.deviations.some((d) => !d.matters)) continue;
    const file = join(TMP, 'rich.json');
    writeFileSync(file, JSON.stringify(replay));
    return file;
  }
  throw new Error('no rich counterexample found');
}

describe('explain', () => {
  const rich = richReplay();

  it('prints the timeline and the causal core: which deviations matter and which are free', () => {
    const out = capture();
    const html = join(TMP, 'html', 'rich.html');
    expect(explainFile({ kind: 'explain', file: rich, html }, out)).toBe(0);
    const text = out.text();
    expect(text).toMatch(/^VIOLATED {2}/m);
    expect(text).toMatch(/^timeline: \d+ events/m);
    expect(text).toMatch(/^causal core of [A-Z]+-\d\d: each deviating choice set back to 0 on its own$/m);
    expect(text).toMatch(/^ {2}MATTERS #\d+ \w+=\d+\/\d+ {2}without it: /m);
    expect(out.lines.at(-1)).toBe(`html:     ${html}`);

    // The verdicts agree with replaying each zeroed stream by hand.
    const file = readReplayFile(rich);
    const core = causalCore(file, replayRun(file));
    expect(core.deviations.length).toBeGreaterThanOrEqual(3);
    expect(core.deviations.some((d) => d.matters)).toBe(true);
    for (const d of core.deviations) {
      const values = file.choices.map((c, i) => (i === d.index ? 0 : c.value));
      const again = runScenario(file.scenario, {
        source: new ArrayChoices(values),
        faults: file.faults,
        probe: makeProbe(),
        ops: replayOps(file),
      });
      expect(d.matters).toBe(again.violation?.invariant !== file.invariant);
      expect(d.matters).toBe(d.without !== `violates ${file.invariant}`);
    }
  });

  it('writes one self-contained page with swim lanes, the state per step and the core marked', () => {
    const page = readFileSync(join(TMP, 'html', 'rich.html'), 'utf8');
    expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(page).toContain('<style>');
    expect(page).toContain('<script>');
    // Nothing fetched from anywhere: no URL, no external stylesheet, script or image.
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).not.toMatch(/<link|<img|<iframe|\ssrc=|@import|url\(/);
    for (const lane of LANES) expect(page).toContain(`<th class="lane-${lane.id}">${lane.title}</th>`);
    expect(page).toContain('<th>step</th><th>context</th><th>line</th><th>event</th><th>detail</th>');
    expect(page).toContain('<th>in flight</th><th>cache</th><th>journal</th>');
    const file = readReplayFile(rich);
    const result = replayRun(file);
    const start = page.indexOf('<tbody>\n') + 8;
    const tbody = page.slice(start, page.indexOf('</tbody>', start));
    const rows = tbody.split('\n').filter((r) => r.startsWith('<tr'));
    expect(rows).toHaveLength(result.trace.length + 1);
    for (const row of rows.slice(0, -1)) {
      expect((row.match(/<td/g) ?? []).length).toBe(5 + LANES.length + 3);
      expect((row.match(/<td class="lane [^"]* on">/g) ?? []).length).toBe(1);
    }
    expect(rows.at(-1)).toMatch(/^<tr class="violation"/);
    expect(page).toContain('class="dev-matters"');
    expect(page).toContain('<span class="tag matters">matters</span>');
    // Opening and closing tags balance for the structural elements.
    for (const tag of ['table', 'tr', 'section', 'tbody', 'thead', 'script', 'style'])
      expect((page.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length, tag).toBe(
        (page.match(new RegExp(`</${tag}>`, 'g')) ?? []).length,
      );
  });

  it('puts events in lanes and derives the cache, in-flight and journal state from the trace', () => {
    const e = (context: string, event: string, detail = '') => ({ step: 1, context, line: 0, event, detail });
    expect(laneOf(e('task1', 'submit_bio'))).toBe('task');
    expect(laneOf(e('bio3', 'atomic_dec_and_test'))).toBe('irq');
    expect(laneOf(e('dio_done_wq', 'iomap_dio_complete'))).toBe('wq');
    expect(laneOf(e('issuer:req2', 'ki_complete'))).toBe('wq');
    expect(laneOf(e('device', 'bio_endio'))).toBe('cache');
    expect(laneOf(e('device', 'blkdev_issue_flush'))).toBe('media');
    expect(laneOf(e('task1', 'xlog_write'))).toBe('journal');
    const states = deriveStates(
      [
        e('task1', 'submit_bio', 'bio1 sector 0x80 size 4096 opf WRITE|SYNC|IDLE'),
        e('device', 'bio_endio', 'bio1 status 0'),
        e('task1', 'xlog_write', 'log write 1 through seq 1'),
        e('device', 'destage', 'sectors 0x80+1'),
        e('device', 'blkdev_issue_flush', 'cache → media'),
      ],
      { writeCache: true },
    );
    expect(states.map((s) => [s.inFlight, s.cacheSectors, s.journal])).toEqual([
      [['bio1'], 0, '-'],
      [[], 8, '-'],
      [[], 8, 'log write 1 through seq 1'],
      [[], 7, 'log write 1 through seq 1'],
      [[], 0, 'log write 1 through seq 1'],
    ]);
  });

  it('explains a passing file and the corpus violation, and rejects bad input', () => {
    const pass = capture();
    const passing = join(REGRESSIONS, 'dsync-write-past-logged-size.json');
    expect(explainFile({ kind: 'explain', file: passing, html: null }, pass)).toBe(0);
    expect(pass.text()).toContain('causal core: the run passes now, so there is no failure to explain');
    const html = explainHtml({
      path: passing,
      file: readReplayFile(passing),
      result: replayRun(readReplayFile(passing)),
      core: { invariant: null, deviations: [], coreAlone: null, coreAloneFails: null },
      version: '0.1.0',
    });
    expect(html).toContain('<td class="lane lane-journal on">xlog_write</td>');
    const seedBug = capture();
    const violating = join(REGRESSIONS, 'seed-read-error-end-io-in-irq.json');
    expect(explainFile({ kind: 'explain', file: violating, html: null }, seedBug)).toBe(0);
    expect(seedBug.text()).toContain('  MATTERS #0 bio_status=1/5  without it: passes');
    expect(
      usage(() => explainFile({ kind: 'explain', file: join(TMP, 'nope.json'), html: null }, capture())),
    ).toMatch(/no such file/);
    expect(usage(() => explainFile({ kind: 'explain', file: violating, html: TMP }, capture()))).toBe(
      `--html ${TMP} is a directory`,
    );
    const diverging = join(TMP, 'diverging.json');
    const file = readReplayFile(violating);
    writeFileSync(diverging, JSON.stringify({ ...file, choices: [{ label: 'schedule', n: 2, value: 1 }] }));
    const d = capture();
    expect(explainFile({ kind: 'explain', file: diverging, html: null }, d)).toBe(3);
    expect(d.errs).toHaveLength(1);
    expect(d.errs[0]).toMatch(/^diocheck: replay diverged at choice 0/);
  });
});

describe('promote', () => {
  const dir = join(TMP, 'regressions');
  const violating = join(REGRESSIONS, 'seed-read-error-end-io-in-irq.json');

  it('copies a replay file into the corpus with name, expect and note, never over another', () => {
    const src = join(TMP, 'cx.json');
    const original = readReplayFile(violating);
    writeFileSync(src, JSON.stringify(makeReplayFile({ ...original, note: 'found by a campaign' }), null, 2));
    const out = capture();
    expect(promoteFile({ kind: 'promote', file: src, name: 'ctx', note: null, expect: null, dir }, out)).toBe(
      0,
    );
    expect(out.lines[0]).toMatch(
      /^promoted .*cx\.json to .*ctx\.json: expect violation \(it violates CTX-01 now\)$/,
    );
    const promoted = readReplayFile(join(dir, 'ctx.json'));
    expect(promoted).toMatchObject({
      name: 'ctx',
      expect: 'violation',
      invariant: 'CTX-01',
      note: 'found by a campaign',
    });
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'ctx.json'), 'utf8'))).slice(0, 6)).toEqual([
      'format',
      'version',
      'modelVersion',
      'name',
      'expect',
      'invariant',
    ]);
    expect(promoted.choices).toEqual(original.choices);
    expect(
      usage(() =>
        promoteFile({ kind: 'promote', file: src, name: 'ctx', note: null, expect: null, dir }, capture()),
      ),
    ).toMatch(/ctx\.json already exists/);
  });

  it('keeps the verdict confirm --record wrote into the file', () => {
    const src = join(TMP, 'confirmed.json');
    const confirmation = {
      verdict: 'confirmed',
      kernel: '6.12.117 x86_64',
      date: '2026-12-06',
      detail: 'CTX-01 as the model shows it',
    } as const;
    writeFileSync(src, JSON.stringify({ ...readReplayFile(violating), confirmation }, null, 2));
    const name = 'confirmed';
    expect(promoteFile({ kind: 'promote', file: src, name, note: null, expect: null, dir }, capture())).toBe(
      0,
    );
    expect(readReplayFile(join(dir, `${name}.json`)).confirmation).toEqual(confirmation);
  });

  it('writes an --expect that disagrees with the replay, with a warning', () => {
    const out = capture();
    expect(
      promoteFile(
        { kind: 'promote', file: violating, name: 'tdd', note: 'before the fix', expect: 'pass', dir },
        out,
      ),
    ).toBe(0);
    expect(out.errs).toEqual([
      'diocheck: warning: tdd violates CTX-01 now, not a pass: properties/regressions.test.ts fails until it does',
    ]);
    expect(readReplayFile(join(dir, 'tdd.json'))).toMatchObject({ expect: 'pass', note: 'before the fix' });
  });

  it('asks for --expect when the replay breaks another invariant than recorded', () => {
    const other = join(TMP, 'other.json');
    writeFileSync(other, JSON.stringify({ ...readReplayFile(violating), invariant: 'LIFE-01' }));
    expect(
      usage(() =>
        promoteFile({ kind: 'promote', file: other, name: 'o', note: null, expect: null, dir }, capture()),
      ),
    ).toMatch(/violates CTX-01 now but records LIFE-01: say --expect pass or violation$/);
  });
});

describe('export --xfs-io', () => {
  it('writes the operations as xfs_io commands, threads run together, with the fault notes', () => {
    const path = join(REGRESSIONS, 'dsync-write-racing-sync-cow-write.json');
    const file = readReplayFile(path);
    const script = xfsIoScript(path, file, replayRun(file));
    expect(script.startsWith('#!/bin/sh\n# diocheck export --xfs-io ')).toBe(true);
    expect(script).toContain('xfs_io -d -s -c "pwrite -q -S 0x1 -b 4096 0 4096" "$F"');
    expect(script).toContain('xfs_io -d -c "pwrite -q -S 0x2 -b 512 -V 1 -D 0 512" "$F"');
    expect(script).toContain('reflink $F.donor 0 0 4096');
    expect(script).toContain('falloc -k 4096 4096');
    expect(script).toContain(
      '[ -n "$LOGWRITES" ] && dmsetup message "$LOGWRITES" 0 mark diocheck-power-loss',
    );
    expect(script).toContain('thread1 & thread2 &\nwait\n');
    expect(script).toMatch(/^# power loss: record every write bio with dm-log-writes/m);
    const sh = join(TMP, 'cow.sh');
    const out = capture();
    expect(exportFile({ kind: 'export', format: 'xfs-io', file: path, out: sh }, out)).toBe(0);
    expect(statSync(sh).mode & 0o111).not.toBe(0);
    expect(spawnSync('sh', ['-n', sh]).status).toBe(0);
  });

  it('names the failed bios and what injects them, and maps the other operations', () => {
    const violating = join(REGRESSIONS, 'seed-read-error-end-io-in-irq.json');
    const file = readReplayFile(violating);
    const script = xfsIoScript(violating, file, replayRun(file));
    expect(script).toMatch(/^# bio errors: put the file on dm-flakey/m);
    expect(script).toMatch(
      /^# {3}bio1 failed: sector 0x[0-9a-f]+ size 4096 opf READ, status BLK_STS_IOERR \(-EIO\)$/m,
    );
    expect(script).toContain('xfs_io -d -c "pread -q -b 4096 0 4096" "$F"');
    expect(script).toContain('# async (aio) in the model');
    const ops: Scenario = {
      ...file.scenario,
      fs: {
        model: 'xfs',
        blockSize: 4096,
        iSize: 4096,
        extents: [{ offset: 0, length: 8192, type: 'unwritten' }],
      },
      threads: [
        [
          { kind: 'buffered_write', pos: 0, len: 100 },
          { kind: 'mmap_read' },
          { kind: 'truncate', size: 10 },
          { kind: 'fallocate', pos: 0, len: 4096 },
          { kind: 'fdatasync' },
          { kind: 'dio_write', pos: 0, len: 512, iocbFlags: ['nowait', 'hipri'] },
        ],
      ],
    };
    const plain = xfsIoScript('x.json', { ...file, scenario: ops, faults: NO_FAULTS, choices: [] }, null);
    expect(plain).toContain('xfs_io -c "pwrite -q -S 0x1 -b 100 0 100" "$F"');
    expect(plain).toContain('xfs_io -c "mmap -r 0 4096" -c "mread 0 4096" -c munmap "$F"');
    expect(plain).toContain('xfs_io -c "truncate 10" "$F"');
    expect(plain).toContain('xfs_io -c "falloc 0 4096" "$F"');
    expect(plain).toContain('xfs_io -c fdatasync "$F"');
    expect(plain).toContain('xfs_io -d -c "pwrite -q -S 0x6 -b 512 -V 1 -N 0 512" "$F"');
    expect(plain).toContain('# hipri (polled I/O): needs io_uring');
    expect(plain).toContain('thread1\n');
    const scriptFile = join(TMP, 'plain.sh');
    writeFileSync(scriptFile, plain);
    expect(spawnSync('sh', ['-n', scriptFile]).status).toBe(0);
  });

  it('rejects a missing file and an --out that is a directory', () => {
    expect(
      usage(() =>
        exportFile({ kind: 'export', format: 'xfs-io', file: join(TMP, 'no.json'), out: null }, capture()),
      ),
    ).toMatch(/no such file/);
    const ok = join(TMP, 'copy.json');
    copyFileSync(join(REGRESSIONS, 'seed-read-error-end-io-in-irq.json'), ok);
    mkdirSync(join(TMP, 'isdir'), { recursive: true });
    expect(
      usage(() =>
        exportFile({ kind: 'export', format: 'xfs-io', file: ok, out: join(TMP, 'isdir') }, capture()),
      ),
    ).toBe(`--out ${join(TMP, 'isdir')} is a directory`);
  });
});
