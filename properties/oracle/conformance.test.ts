/**
 * Conformance with real kernels: for every exact release of model/kernel/releases.ts, every case
 * of the oracle corpus, run on the model as that release (KERNEL_VERSIONS[release]), must show
 * what that release showed (its golden file, properties/oracle/golden/linux-<release>.json, which
 * `npm run oracle` recorded under User-Mode Linux), except for the model abstractions
 * knownDifferences.ts explains. XFS cases run on the model XFS, ext4 cases on the model ext4
 * (model/fs/ext4.ts). Ordinary CI needs no kernel.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateCorpus, GEOMETRIES, type OracleCase } from './corpus.ts';
import { type GoldenFile, goldenPath, goldenReleases, kernelIsRelease, readGolden } from './golden.ts';
import { explainingRule, KNOWN_DIFFERENCES } from './knownDifferences.ts';
import { diffObservations, type Observation, observeModel } from './observe.ts';
import { bugByName, opsFor } from '../../model/bugs/catalogue.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { KERNEL_ALIASES, type ReleaseName, RELEASES } from '../../model/kernel/releases.ts';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
const corpus = generateCorpus();
/** The newest release: the one `6.12` stands for. */
const NEWEST: ReleaseName = KERNEL_ALIASES['6.12'];

/** A release's golden file, or null when it has none (a test below fails then). */
function goldenOf(release: ReleaseName): GoldenFile | null {
  const path = join(ROOT, goldenPath(release));
  return existsSync(path) ? readGolden(path) : null;
}

/**
 * The model's observation of each case under one ops table. Releases that carry the same
 * fs/iomap/direct-io.c share their table (model/kernel/ops.ts), and the model is deterministic
 * (same case, same table, same trace), so one run serves every release that shares the table:
 * that keeps six releases within the time of three.
 */
const observed = new Map<Readonly<KernelOps>, Observation[]>();
function modelObservations(ops: Readonly<KernelOps>): Observation[] {
  let list = observed.get(ops);
  if (list === undefined) {
    list = corpus.map((c) => observeModel(c, ops));
    observed.set(ops, list);
  }
  return list;
}

describe('the golden files', () => {
  it('are one per release of model/kernel/releases.ts, and no other', () => {
    expect(goldenReleases(ROOT)).toEqual(RELEASES.map((r) => r.name).sort());
  });
});

describe('the oracle corpus', () => {
  it('has at least 500 cases over XFS and ext4, blocks of 512 to 4096 bytes, sectors of 512 and 4096', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(500);
    for (const g of GEOMETRIES) {
      const on = corpus.some(
        (c) => c.fs === g.fs && c.blockSize === g.blockSize && c.sectorSize === g.sectorSize,
      );
      expect(on, `${g.fs} ${g.blockSize} on ${g.sectorSize}-byte sectors`).toBe(true);
    }
    expect(corpus.some((c) => c.sectorSize === 4096)).toBe(true);
  });

  it('covers every operation kind, extent type, flag and the injected fault', () => {
    const kinds = new Set(corpus.flatMap((c) => c.ops.map((o) => o.kind)));
    for (const k of [
      'dio_read',
      'dio_write',
      'fsync',
      'fdatasync',
      'buffered_read',
      'buffered_write',
      'mmap_read',
      'truncate',
      'fallocate',
    ])
      expect(kinds.has(k as never), k).toBe(true);
    const types = new Set(corpus.flatMap((c) => c.extents.map((e) => e.type)));
    expect([...types].sort()).toEqual(['mapped', 'unwritten']);
    expect(corpus.some((c) => c.extents.length === 0 && c.iSize > 0)).toBe(true);
    const flags = new Set(
      corpus.flatMap((c) => c.ops.flatMap((o) => ('iocbFlags' in o ? (o.iocbFlags ?? []) : []))),
    );
    expect([...flags].sort()).toEqual(['dsync', 'hipri', 'nowait', 'sync']);
    expect(corpus.some((c) => c.ops.some((o) => 'async' in o && o.async))).toBe(true);
    expect(corpus.filter((c) => c.failFirstBio).length).toBeGreaterThan(50);
    const crashes = corpus.filter((c) => c.powerLoss);
    expect(crashes.length).toBeGreaterThan(100);
    expect(new Set(crashes.map((c) => c.fs))).toEqual(new Set(['xfs', 'ext4']));
  });

  it('exercises polled requests on a disk that polls: the kernel polled reads, never writes', () => {
    const golden = goldenOf(NEWEST);
    if (golden === null) throw new Error(`no golden file for ${NEWEST}`);
    const polledOps = golden.cases.flatMap((g) => {
      const c = corpus[g.id - 1];
      return c?.poll === true ? g.observed.ops.map((o) => ({ c, polled: o.polled })) : [];
    });
    expect(polledOps.length).toBeGreaterThanOrEqual(280);
    // Every io_uring request of a polled case has its count (the disk's requests left for a poll).
    expect(polledOps.every((o) => o.polled !== undefined)).toBe(true);
    const reads = polledOps.filter((o) => o.c.ops[0]?.kind === 'dio_read');
    expect(reads.filter((o) => o.polled === 1).length).toBeGreaterThan(20);
    // No 6.12 write is polled: without caller completion iomap clears IOCB_HIPRI (seed L353-354).
    expect(polledOps.filter((o) => o.c.ops[0]?.kind === 'dio_write' && o.polled !== 0)).toEqual([]);
  });
});

/** Each rule of knownDifferences.ts, with the releases in which it explained a difference. */
const usedIn = new Map<string, Set<ReleaseName>>();

for (const { name: release } of RELEASES) {
  describe(`the model as ${release} agrees with Linux ${release}`, () => {
    const golden = goldenOf(release);
    const ops = KERNEL_VERSIONS[release];
    const unexplained: string[] = [];
    if (golden !== null) {
      const model = modelObservations(ops);
      for (const g of golden.cases) {
        const c = corpus[g.id - 1];
        const m = model[g.id - 1];
        if (c === undefined || m === undefined) continue;
        for (const line of diffObservations(m, g.observed)) {
          const rule = explainingRule(release, c, line, g.observed);
          if (rule === undefined) unexplained.push(`case ${c.id} ${c.name}: ${line}`);
          else usedIn.set(rule.id, (usedIn.get(rule.id) ?? new Set()).add(release));
        }
      }
    }

    it(`has a golden file recorded on ${release} with every case of the corpus`, () => {
      expect(
        golden,
        `${goldenPath(release)} (record it: npm run oracle -- --release ${release})`,
      ).not.toBeNull();
      if (golden === null) return;
      expect(kernelIsRelease(golden.kernel, release), `golden kernel ${golden.kernel}`).toBe(true);
      expect(golden.corpus).toBe(corpus.length);
      expect(golden.cases.map((g) => `${g.id} ${g.name}`)).toEqual(corpus.map((c) => `${c.id} ${c.name}`));
      // Some crash points inside the operations leave a state other than the final one.
      expect(golden.cases.filter((g) => (g.observed.points?.length ?? 0) > 1).length).toBeGreaterThan(0);
    });

    it('on every field of every case, except the differences a rule explains', () => {
      expect(golden).not.toBeNull();
      expect(unexplained).toEqual([]);
    });
  });
}

describe('the known differences', () => {
  // Over all releases, not per release: a rule for a background event (a log push the kernel
  // may or may not start during a case) can explain nothing in one recording and be needed in
  // the next.
  it('are each needed by some release (none is a stale excuse)', () => {
    expect([...usedIn.keys()].sort()).toEqual(KNOWN_DIFFERENCES.map((k) => k.id).sort());
  });
});

describe(`the comparison with Linux ${NEWEST} has teeth`, () => {
  const golden = goldenOf(NEWEST);
  const base = KERNEL_VERSIONS[NEWEST];

  /**
   * The cases of `fs` (crash cases only, if asked) on which the model as the newest release with
   * planted bug `name` differs from the kernel although the model without it agrees.
   */
  function caughtBy(name: string, crashOnly: boolean, fs: OracleCase['fs'] = 'xfs'): number {
    const bug = bugByName(name);
    if (bug === undefined) throw new Error(`no planted bug ${name}`);
    if (golden === null) throw new Error(`no golden file for ${NEWEST}`);
    const planted = opsFor(bug, base);
    const clean = modelObservations(base);
    return golden.cases.filter((g) => {
      const c: OracleCase | undefined = corpus[g.id - 1];
      const m = clean[g.id - 1];
      if (c === undefined || m === undefined || c.fs !== fs || (crashOnly && !c.powerLoss)) return false;
      return (
        diffObservations(m, g.observed).length === 0 &&
        diffObservations(observeModel(c, planted), g.observed).length > 0
      );
    }).length;
  }

  it('catches a planted bug: a wrong tail-zeroing length shows in the goldens', () => {
    expect(caughtBy('tail-zeroing-head-length', false)).toBeGreaterThan(0);
  });

  it('catches a planted durability bug on the crash images: FUA for an O_DSYNC write into unwritten blocks', () => {
    expect(caughtBy('dsync-fua-into-unwritten', true)).toBeGreaterThan(0);
  });

  it("catches 47f28b493daf reverted (bio_set_polled's REQ_NOWAIT) on the polled NOWAIT reads the disk splits", () => {
    // The polled cases the model as the newest release matches up to the rules, and that the
    // planted bug makes differ where no rule explains it: the split read then returns -EAGAIN.
    const bug = bugByName('polled-bio-implies-nowait');
    if (bug === undefined || golden === null) throw new Error('no planted bug or golden file');
    const planted = opsFor(bug, base);
    const clean = modelObservations(base);
    const unexplained = (c: OracleCase, m: Observation, k: Observation) =>
      diffObservations(m, k).filter((line) => explainingRule(NEWEST, c, line, k) === undefined);
    const caught = golden.cases.filter((g) => {
      const c: OracleCase | undefined = corpus[g.id - 1];
      const m = clean[g.id - 1];
      if (c?.poll !== true || m === undefined || unexplained(c, m, g.observed).length > 0) return false;
      return unexplained(c, observeModel(c, planted), g.observed).some((l) =>
        /^op 1 result: model -11 /.test(l),
      );
    });
    expect(new Set(caught.map((g) => corpus[g.id - 1]?.fs))).toEqual(new Set(['xfs', 'ext4']));
  });

  it('catches the planted tail-zeroing bug on the ext4 cases too, run on the model ext4', () => {
    expect(caughtBy('tail-zeroing-head-length', false, 'ext4')).toBeGreaterThan(0);
  });

  it("tells the model ext4 from the model XFS: ext4 cases that agree on ext4's model and not on XFS's", () => {
    if (golden === null) throw new Error(`no golden file for ${NEWEST}`);
    const clean = modelObservations(base);
    const told = golden.cases.filter((g) => {
      const c: OracleCase | undefined = corpus[g.id - 1];
      const m = clean[g.id - 1];
      if (c === undefined || m === undefined || c.fs !== 'ext4') return false;
      // The same case with the model XFS answering for ext4 (what every ext4 case ran on before).
      return (
        diffObservations(m, g.observed).length === 0 &&
        diffObservations(observeModel({ ...c, fs: 'xfs' }, base), g.observed).length > 0
      );
    }).length;
    // spec/ext4.md: on the newest release 1877 ext4 cases agreed on the model XFS, 2038 agree on the
    // model ext4, 161 more.
    expect(told).toBeGreaterThanOrEqual(150);
  });
});
