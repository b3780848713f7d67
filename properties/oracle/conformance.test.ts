/**
 * Conformance with a real kernel: every case of the oracle corpus, run on the model as Linux 6.12,
 * must show what Linux 6.12 showed (the golden file `npm run oracle` recorded under User-Mode
 * Linux), except for the ext4 differences knownDifferences.ts explains. Ordinary CI needs no kernel.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateCorpus, GEOMETRIES } from './corpus.ts';
import { GOLDEN_PATH, readGolden } from './golden.ts';
import { KNOWN_DIFFERENCES } from './knownDifferences.ts';
import { diffObservations, observeModel } from './observe.ts';
import { bugByName, opsFor } from '../../model/bugs/catalogue.ts';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
const golden = readGolden(join(ROOT, GOLDEN_PATH));
const corpus = generateCorpus();

describe('the oracle corpus and its golden file', () => {
  it('has at least 500 cases over XFS and ext4, blocks of 512 to 4096 bytes, sectors of 512 and 4096, all recorded', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(500);
    expect(golden.corpus).toBe(corpus.length);
    expect(golden.cases.map((g) => `${g.id} ${g.name}`)).toEqual(corpus.map((c) => `${c.id} ${c.name}`));
    expect(golden.kernel).toMatch(/^6\.12\./);
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
    // Some crash points inside the operations leave a state other than the final one.
    expect(golden.cases.filter((g) => (g.observed.points?.length ?? 0) > 1).length).toBeGreaterThan(0);
  });
});

describe('the model as Linux 6.12 agrees with Linux 6.12', () => {
  const unexplained: string[] = [];
  const used = new Set<string>();
  for (const g of golden.cases) {
    const c = corpus[g.id - 1];
    if (c === undefined) continue;
    for (const line of diffObservations(observeModel(c, KERNEL_VERSIONS['6.12']), g.observed)) {
      const rule = KNOWN_DIFFERENCES.find((k) => k.explains(c, line, g.observed));
      if (rule === undefined) unexplained.push(`case ${c.id} ${c.name}: ${line}`);
      else used.add(rule.id);
    }
  }

  it('on every field of every case, except the ext4 differences a rule explains', () => {
    expect(unexplained).toEqual([]);
  });

  it('needs every rule of knownDifferences.ts (none is a stale excuse)', () => {
    expect([...used].sort()).toEqual(KNOWN_DIFFERENCES.map((k) => k.id).sort());
  });

  /** The XFS cases (crash cases only, if asked) on which planted bug `name` differs from the kernel. */
  function caughtBy(name: string, crashOnly: boolean): number {
    const bug = bugByName(name);
    if (bug === undefined) throw new Error(`no planted bug ${name}`);
    const ops = opsFor(bug);
    return golden.cases.filter((g) => {
      const c = corpus[g.id - 1];
      if (c === undefined || c.fs !== 'xfs' || (crashOnly && !c.powerLoss)) return false;
      return diffObservations(observeModel(c, ops), g.observed).length > 0;
    }).length;
  }

  it('catches a planted bug: a wrong tail-zeroing length shows in the goldens', () => {
    expect(caughtBy('tail-zeroing-head-length', false)).toBeGreaterThan(0);
  });

  it('catches a planted durability bug on the crash images: FUA for an O_DSYNC write into unwritten blocks', () => {
    expect(caughtBy('dsync-fua-into-unwritten', true)).toBeGreaterThan(0);
  });
});
