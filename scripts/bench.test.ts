/**
 * `npm run bench -- --quick` end to end: it exits 0, writes JSON with every section, and the figures
 * in it are sane (positive rates, the ceiling above the model, the same work in every scaling row,
 * every planted bug listed). Flag mistakes exit 2 with one line. The quick bench takes ~10 s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUGS } from '../model/bugs/catalogue.ts';
import { FIXED_OPS } from '../model/kernel/ops.ts';
import { BenchUsageError, type BenchReport, bareRun, deriveSeed, parseBenchArgs, slope } from './bench.ts';
import { parsePan, parseTimes } from './bench/spin.ts';
import { explorerTrail, measureTrails, parseTrailSteps } from './bench/trails.ts';

const dir = mkdtempSync(join(tmpdir(), 'diocheck-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bench(args: readonly string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('npm run bench -- --quick', () => {
  it('writes every section with sane figures', { timeout: 120_000 }, () => {
    const file = join(dir, 'bench.json');
    const run = bench(['--quick', '--json', file]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('targets');
    const r = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
    expect(r.format).toBe('diocheck-bench');
    expect(r.quick).toBe(true);
    expect(r.machine.nproc).toBe(availableParallelism());
    expect(r.machine.node).toBe(process.version);

    const t = r.throughput;
    expect(t.model.runs).toBe(t.cases * t.blocks);
    expect(t.model.violations + t.model.modelErrors).toBe(0);
    expect(t.model.runsPerCpuSecond).toBeGreaterThan(0);
    expect(t.model.runsPerSecond).toBeGreaterThan(0);
    // The bare scheduler replays the model's steps, whole rounds at a time, and is faster.
    expect(t.ceiling.runs % t.cases).toBe(0);
    expect(t.ceiling.steps * t.cases).toBe((t.ceiling.runs * t.model.steps) / t.blocks);
    expect(t.ceiling.stepsPerCpuSecond).toBeGreaterThan(t.model.stepsPerCpuSecond);
    expect(t.ratio).toBeGreaterThan(0);
    expect(t.ratio).toBeLessThan(1);

    // One row per worker count, each running the very same cases.
    const s = r.scaling;
    expect(s.rows.map((x) => x.workers)).toEqual(Array.from({ length: s.cores }, (_, i) => i + 1));
    for (const row of s.rows) {
      expect(row.runs).toBe(s.cases * s.rounds);
      expect(row.steps).toBe(s.rows[0]?.steps);
      expect(row.runsPerSecond).toBeGreaterThan(0);
    }

    expect(r.bugs.bugs.map((b) => b.name)).toEqual(BUGS.map((b) => b.name));
    for (const b of r.bugs.bugs) {
      expect(b.detected).toBeGreaterThanOrEqual(0);
      expect(b.detected).toBeLessThanOrEqual(r.bugs.seeds.length);
      if (b.medianRuns !== null) expect(b.medianRuns).toBeGreaterThanOrEqual(1);
      if (b.worstRuns !== null) expect(b.worstRuns).toBeLessThanOrEqual(r.bugs.budget);
    }

    const e = r.explorer;
    expect(e.standIn.paths).toBeGreaterThan(0);
    expect(e.standIn.states).toBeGreaterThan(e.standIn.paths);
    expect(e.standIn.statesPerSecond).toBeGreaterThan(0);
    expect(e.standIn.violations).toBe(0);
    if (e.engine.available) expect(e.engine.paths).toBeGreaterThan(0);
    else expect(e.engine.note).not.toBe('');

    const h = r.heap;
    expect(h.runs).toBeGreaterThan(0);
    expect(h.violations).toBe(0);
    expect(h.samples.length).toBeGreaterThanOrEqual(2);
    for (const x of h.samples) expect(x.heapUsed).toBeGreaterThan(0);
    expect(typeof h.flat).toBe('boolean');

    // SPIN beside the explorer (--quick: the sync write of one bio); without spin the row says why.
    expect(r.spin.rows.map((x) => `${x.mode}${x.n}`)).toEqual(['sync1']);
    for (const x of r.spin.rows) {
      expect(x.explorer.complete).toBe(true);
      expect(x.explorer.violations).toEqual([]);
      expect(x.explorer.states).toBeGreaterThan(0);
      if (x.spin === null) expect(x.spinNote).not.toBe('');
      else {
        expect(x.spin.states).toBeGreaterThan(0);
        expect(x.spin.errors).toBe(0);
        expect(x.cpuRatio).not.toBeNull();
      }
    }
    // Detection by the general campaign: every bug listed, runs within the budget.
    const d = r.detection;
    expect(d.rows.map((x) => x.name)).toEqual(BUGS.map((b) => b.name));
    for (const x of d.rows) for (const n of x.runs) if (n !== null) expect(n).toBeLessThanOrEqual(d.budget);
    expect(d.gaps).toEqual(d.rows.filter((x) => x.caught === 0).map((x) => x.name));

    expect(r.targets.map((x) => x.id)).toEqual([
      'throughput',
      'bugs',
      'explorer',
      'heap',
      'explorer-trails',
      'explorer-spin-3',
      'explorer-spin-4',
      'detection',
    ]);
    for (const x of r.targets) expect(['met', 'missed', 'not measured']).toContain(x.status);
    // Two seconds of heap samples cannot judge five minutes.
    expect(r.targets.find((x) => x.id === 'heap')?.status).toBe('not measured');
  });

  it('rejects a bad flag with one line and status 2', () => {
    const run = bench(['--soak', 'soon']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^diocheck bench: --soak must be a positive number of seconds[^\n]*\n$/);
  });
});

describe('the bench, piece by piece', () => {
  it("measures the explorer's shortest counterexample of the peer's BUG2 beside SPIN's BFS trail", {
    timeout: 120_000,
  }, () => {
    const rows = measureTrails([1, 2], ['sync'], 60, '-O0', () => {});
    // BUG1 is not measured on the sync write, BUG2 needs two bios: one row.
    expect(rows.map((r) => `${r.define} ${r.mode} ${r.n}`)).toEqual(['BUG2 sync 2']);
    const [row] = rows;
    expect(row?.explorer.invariant).toBe('ERR-01');
    expect(row?.explorer.complete).toBe(true);
    expect(row?.explorer.kernelSteps).toBeGreaterThan(0);
    if (row?.spinKernelSteps === null) expect(row.spinNote).not.toBe('');
    else expect(row?.explorer.kernelSteps).toBeLessThanOrEqual(row?.spinKernelSteps ?? 0);
  });

  it("plants the peer's BUG1 on the seed's protocol, as the peer does", { timeout: 120_000 }, () => {
    // SPIN's BFS trail of BUG1 on the aio read with two bios is 14 kernel steps (bench, 2026-12-06).
    const seed = explorerTrail('submitter-reads-freed-dio', 'aread', 2, 60);
    expect(seed).toMatchObject({ invariant: 'LIFE-01', complete: true, kernelSteps: 13 });
    // The correct model sends the failed read's completion through the workqueue (222f2c7c6d14):
    // two kernel steps more, by the protocol.
    const fixed = explorerTrail('submitter-reads-freed-dio', 'aread', 2, 60, FIXED_OPS);
    expect(fixed).toMatchObject({ invariant: 'LIFE-01', complete: true, kernelSteps: 15 });
  });

  it("reads the kernel steps of the peer's trail summary", () => {
    expect(parseTrailSteps('44 17 5 s>b1>s>b2>s\n')).toBe(17);
    // No trail file: the awk script's summary of nothing.
    expect(parseTrailSteps('- 0 0 -')).toBeNull();
    expect(parseTrailSteps('')).toBeNull();
  });

  it('parses its flags', () => {
    expect(parseBenchArgs([])).toEqual({
      quick: false,
      json: 'out/bench.json',
      soakSeconds: 30,
      help: false,
    });
    expect(parseBenchArgs(['--quick'])).toMatchObject({ quick: true, soakSeconds: 2 });
    expect(parseBenchArgs(['--soak', '300', '--json=x.json'])).toMatchObject({
      soakSeconds: 300,
      json: 'x.json',
    });
    expect(parseBenchArgs(['--quick', '--soak=5'])).toMatchObject({ quick: true, soakSeconds: 5 });
    for (const bad of [
      ['--soak'],
      ['--soak', '0'],
      ['--soak', '-3'],
      ['--json'],
      ['--json', '--quick'],
      ['--quick', '--quick'],
      ['--quick=yes'],
      ['--runs', '3'],
      ['extra'],
    ]) {
      expect(() => parseBenchArgs(bad), bad.join(' ')).toThrow(BenchUsageError);
    }
  });

  it('reads its flags with util.parseArgs, one line naming the option per mistake', () => {
    const bad = (argv: string[], message: string) => {
      expect(() => parseBenchArgs(argv), argv.join(' ')).toThrow(BenchUsageError);
      expect(() => parseBenchArgs(argv), argv.join(' ')).toThrow(new BenchUsageError(message));
    };
    bad(['--runs', '3'], "unknown option '--runs' for 'bench' (known: --json, --soak, --quick, --help)");
    bad(['--soak'], "option '--soak' needs a value");
    bad(['--json', '--quick'], "option '--json' needs a value");
    bad(['--json='], "option '--json' needs a value");
    bad(['--quick', '--quick'], "option '--quick' given twice");
    bad(['--quick=yes'], "option '--quick' takes no value");
    bad(['--soak', '-3'], "--soak must be a positive number of seconds (at most a week), not '-3'");
    bad(['--soak=1e3'], "--soak must be a positive number of seconds (at most a week), not '1e3'");
    bad(['-q'], "unknown option '-q' for 'bench' (options are long: --name)");
    bad(['extra'], "'bench' takes no arguments, got 'extra'");
    expect(parseBenchArgs(['--json=--x.json', '--soak=0.5', '--help'])).toEqual({
      quick: false,
      json: '--x.json',
      soakSeconds: 0.5,
      help: true,
    });
  });

  it('gives the bare scheduler exactly the steps asked for', () => {
    const faults = {
      bioErrors: false,
      reorder: false,
      pageFaults: false,
      copyFaults: false,
      invalidateFailures: false,
    };
    for (const [steps, contexts] of [
      [0, 3],
      [1, 3],
      [2, 3],
      [17, 3],
      [40, 2],
    ] as const) {
      for (const interleave of [false, true]) {
        expect(bareRun({ steps, contexts, faults: { ...faults, interleave }, choices: [1, 2, 0, 1] })).toBe(
          steps,
        );
      }
    }
  });

  it("reads pan's report and the children's CPU time", () => {
    const pan = [
      'State-vector 44 byte, depth reached 32, errors: 0',
      '      329 states, stored',
      '       91 states, matched',
      '      420 transitions (= stored+matched)',
    ].join('\n');
    expect(parsePan(pan)).toEqual({ states: 329, transitions: 420, depth: 32, errors: 0 });
    expect(parsePan('pan: no such file')).toBeNull();
    expect(parseTimes(`${pan}\n0m0.120s 0m0.010s\n0m1.500s 0m0.250s\n`)).toBeCloseTo(1.75);
    expect(parseTimes('nothing')).toBeNull();
  });

  it('derives distinct seeds and fits slopes', () => {
    const seeds = new Set(Array.from({ length: 64 }, (_, j) => deriveSeed(7, j)));
    expect(seeds.size).toBe(64);
    expect(deriveSeed(7, 3)).toBe(deriveSeed(7, 3));
    expect(slope([0, 1, 2, 3], [5, 7, 9, 11])).toBeCloseTo(2);
    expect(slope([0, 1, 2], [4, 4, 4])).toBe(0);
  });
});
