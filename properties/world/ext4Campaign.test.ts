/**
 * The model ext4 in the campaign: the world scenarios (properties/arbitraries/worldScenario.ts) draw
 * ext4 as often as XFS, with ext4's geometry and the operations the model ext4 has; and what the
 * general campaign found on the model ext4 once it drew it (model artefacts, fixed here).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EIO } from '../../model/kernel/flags.ts';
import { TAG_ZERO, userTag } from '../../model/mm/tags.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { runScenario } from '../../model/world/run.ts';
import type { WorldQuirks } from '../../model/world/quirks.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { buildWorld, rawWorldArbitrary, worldScenarioArbitrary } from '../arbitraries/worldScenario.ts';
import { makeProbe } from '../invariants/registry.ts';
import { enumerateOutcomes } from '../support/enumerate.ts';
import { KiB, mapped } from '../seed/helpers.ts';

const SAMPLES = 4_000;

describe('world scenarios: ext4 drawn as often as XFS', () => {
  const samples = fc.sample(worldScenarioArbitrary(), { numRuns: SAMPLES, seed: 15 });
  const ext4 = samples.filter((s) => s.fs.model === 'ext4');
  const xfs = samples.filter((s) => s.fs.model === 'xfs');

  it('draws each model filesystem about half the time, and nothing else but the generic filesystem', () => {
    // About 29 % of worlds are on the scripted filesystem as a whole filesystem (RawWorld.generic,
    // drawn two in seven).
    const generic = samples.filter((s) => s.fs.model === 'scripted' && s.fs.generic === true);
    expect(ext4.length + xfs.length + generic.length).toBe(SAMPLES);
    expect(generic.length / SAMPLES).toBeGreaterThan(0.24);
    expect(generic.length / SAMPLES).toBeLessThan(0.34);
    expect(ext4.length / (ext4.length + xfs.length)).toBeGreaterThan(0.45);
    expect(ext4.length / (ext4.length + xfs.length)).toBeLessThan(0.55);
  });

  it('gives ext4 its block sizes (1 KiB to 4 KiB) on 512-byte and 4 KiB sectors, XFS 512 B too', () => {
    const geometries = (list: readonly Scenario[]): Set<string> =>
      new Set(list.map((s) => `${s.fs.blockSize}/${s.device.logicalBlockSize}`));
    expect([...geometries(ext4)].sort()).toEqual(['1024/512', '2048/512', '4096/4096', '4096/512']);
    expect(geometries(xfs)).toContain('512/512');
  });

  it('gives ext4 no fallocate and no shared blocks, and keeps both for XFS', () => {
    const kinds = (list: readonly Scenario[]): Set<string> =>
      new Set(list.flatMap((s) => s.threads.flatMap((ops) => ops.map((op) => op.kind))));
    const shared = (list: readonly Scenario[]): boolean =>
      list.some((s) => s.fs.extents.some((e) => e.flags?.includes('shared') === true));
    expect(kinds(ext4)).not.toContain('fallocate');
    expect(shared(ext4)).toBe(false);
    expect(kinds(xfs)).toContain('fallocate');
    expect(shared(xfs)).toBe(true);
    // Every other operation the world draws, ext4 gets too.
    for (const k of [
      'dio_write',
      'dio_read',
      'buffered_write',
      'buffered_read',
      'fsync',
      'fdatasync',
      'truncate',
      'mmap_read',
      'power_loss',
    ])
      expect(kinds(ext4), k).toContain(k);
  });

  it('keeps written blocks past the EOF block on ext4 (a short extending write leaves them), on XFS only after a lost size update', () => {
    const writtenPastEof = (s: Scenario): boolean => {
      const eofBlock = Math.ceil(s.fs.iSize / s.fs.blockSize);
      return s.fs.extents.some((e) => e.type === 'mapped' && e.offset / s.fs.blockSize >= eofBlock);
    };
    const lostSize = (s: Scenario): boolean => (s.fs.leftovers ?? []).includes('past-eof');
    expect(ext4.some(writtenPastEof)).toBe(true);
    expect(xfs.filter((s) => !lostSize(s)).some(writtenPastEof)).toBe(false);
  });

  it('turns the same raw draw into the same scenario on either filesystem but for the model', () => {
    const [raw] = fc.sample(rawWorldArbitrary(), { numRuns: 1, seed: 3 });
    if (raw === undefined) throw new Error('no sample');
    // Without leftovers: ext4 draws fewer kinds of them than XFS (spec/fs.md, "Initial states").
    const onXfs = buildWorld({
      ...raw,
      leftovers: [],
      generic: false,
      fs: 'xfs',
      blockSize: 4096,
      blocks: ['written', 'hole'],
    });
    const onExt4 = buildWorld({
      ...raw,
      leftovers: [],
      generic: false,
      fs: 'ext4',
      ext4BlockSize: 4096,
      blocks: ['written', 'hole'],
    });
    expect(onXfs.fs.model).toBe('xfs');
    expect(onExt4.fs.model).toBe('ext4');
    expect({ ...onExt4, fs: { ...onExt4.fs, model: 'xfs' }, threads: [] }).toEqual({ ...onXfs, threads: [] });
  });
});

describe('ext4: what the general campaign found on the model ext4', () => {
  it('a buffered write past EOF inside the EOF block keeps its bytes (ext4_zero_partial_blocks zeroes only the gap)', () => {
    // properties/regressions/ext4-buffered-write-past-eof-keeps-data.json: the model zeroed the
    // whole tail of the old EOF block after the copy, and fsync made the zeros durable.
    const s: Scenario = {
      device: { logicalBlockSize: 512, fua: false, writeCache: true },
      fs: { model: 'ext4', blockSize: 4096, iSize: 512, extents: [mapped(0, 4 * KiB)] },
      bioMaxVecs: 1,
      threads: [[{ kind: 'buffered_write', pos: 1024, len: 512 }, { kind: 'fsync' }, { kind: 'power_loss' }]],
    };
    const r = runScenario(s, { source: new ArrayChoices([]), faults: NO_FAULTS, probe: makeProbe() });
    expect(r.violation?.message ?? 'pass').toBe('pass');
    const rec = r.crash?.recovered;
    expect(rec?.size).toBe(1536);
    // The gap [512, 1024) reads as zeros, the write's sector at 1024 as the write.
    expect(Array.from(rec?.tags.subarray(1, 3) ?? [])).toEqual([TAG_ZERO, userTag(1, 0)]);
  });

  it('an O_SYNC write after a background commit failed that nobody saw: lost on 6.12, -EIO on the correct model', () => {
    // The campaign's shape (seed 3, run 18639): write 1 extends the file in transaction 1; the
    // commit timer commits it and the commit record fails (the journal aborts), reported to no one;
    // write 2, an O_SYNC overwrite, syncs transaction 1, which jbd2 counts committed, so 6.12
    // returns success and the size is gone after power loss (DUR-01). The candidate fix fails it.
    const s: Scenario = {
      device: { logicalBlockSize: 512, fua: false, writeCache: true },
      fs: { model: 'ext4', blockSize: 4096, iSize: 0, extents: [mapped(0, 4 * KiB)] },
      bioMaxVecs: 1,
      threads: [
        [
          { kind: 'dio_write', pos: 0, len: 512 },
          { kind: 'dio_write', pos: 0, len: 512, iocbFlags: ['sync'] },
          { kind: 'power_loss' },
        ],
      ],
    };
    const outcomes = (quirks: WorldQuirks) =>
      enumerateOutcomes(
        (src) =>
          runScenario(s, {
            source: src,
            faults: { ...NO_FAULTS, submitErrors: true, backgroundLog: true },
            probe: makeProbe(),
            quirks,
          }),
        (r) => `write2=${r.requests[1]?.returned} ${r.violation?.invariant ?? 'pass'}`,
        20_000,
      ).outcomes;
    expect(outcomes({ ext4MissesJournalAbort: true })).toContain('write2=512 DUR-01');
    const fixed = outcomes({});
    expect(fixed).toContain(`write2=${-EIO} pass`);
    for (const o of fixed) expect(o, o).toMatch(/ pass$/);
  });

  it("an O_DSYNC overwrite between i_disksize and i_size: lost with 6.12's in-core EOF test, kept on the correct model", () => {
    // The campaign's shape (detection seed 8, run 17,570): a written block past i_disksize but
    // inside i_size (here left past EOF by an earlier short extending write, then covered by an
    // extending buffered write whose delayed blocks keep i_disksize back). ext4_set_iomap flags
    // IOMAP_F_DIRTY only past the in-core i_size, so the O_DSYNC write goes out FUA and skips
    // generic_write_sync; its end_io logs i_disksize in a transaction nobody commits.
    const s = (rule: 'in-core' | 'on-disk'): Scenario => ({
      device: { logicalBlockSize: 512, fua: true, writeCache: true },
      fs: { model: 'ext4', blockSize: 4096, iSize: 0, extents: [mapped(0, 4 * KiB)], sizeDirtyRule: rule },
      bioMaxVecs: 1,
      threads: [
        [
          { kind: 'buffered_write', pos: 8 * KiB, len: 512 },
          { kind: 'dio_write', pos: 0, len: 4 * KiB, iocbFlags: ['dsync'] },
          { kind: 'power_loss' },
        ],
      ],
    });
    const run = (rule: 'in-core' | 'on-disk') =>
      runScenario(s(rule), { source: new ArrayChoices([]), faults: NO_FAULTS, probe: makeProbe() });
    expect(run('in-core').violation?.invariant).toBe('DUR-01');
    const fixed = run('on-disk');
    expect(fixed.violation?.message ?? 'pass').toBe('pass');
    expect(fixed.crash?.recovered?.size).toBeGreaterThanOrEqual(4 * KiB);
  });

  it("a failed extending write's EOF-block zeroing races an async overwrite of that block on 6.12, not on the correct model", () => {
    // The campaign's case (detection seed 3, run 20,106): write 1, an async sub-block overwrite of
    // the EOF block, is in flight when write 2, an aligned extending write, fails (its buffer
    // faults); ext4_truncate_failed_write zeroes the EOF block's tail through the page cache, which
    // reads the block before write 1 landed, and writeback puts the old bytes back over it.
    const s: Scenario = {
      device: { logicalBlockSize: 512, fua: false, writeCache: true },
      fs: {
        model: 'ext4',
        blockSize: 4096,
        iSize: 14836,
        extents: [
          mapped(0, 4 * KiB),
          mapped(4 * KiB, 4 * KiB),
          mapped(8 * KiB, 4 * KiB),
          mapped(12 * KiB, 4 * KiB),
        ],
      },
      bioMaxVecs: 3,
      threads: [
        [
          { kind: 'dio_write', pos: 13312, len: 1024, async: true, iocbFlags: ['nowait'] },
          { kind: 'dio_write', pos: 12288, len: 16384 },
          { kind: 'mmap_read' },
        ],
        [
          { kind: 'buffered_read', pos: 14848, len: 1024 },
          { kind: 'dio_write', pos: 3072, len: 7680, async: true, iocbFlags: ['dsync', 'caller_comp'] },
        ],
      ],
    };
    const faults = {
      ...NO_FAULTS,
      bioErrors: true,
      submitErrors: true,
      wouldBlock: true,
      reorder: true,
      pageFaults: true,
      destage: true,
      tornWrites: true,
      writeback: true,
    };
    const run = (quirks: WorldQuirks) =>
      runScenario(s, { source: new ArrayChoices([0, 0, 1, 3, 0, 0]), faults, probe: makeProbe(), quirks });
    expect(run({ ext4FailedWriteNoDioWait: true }).violation?.message).toBe(
      'SYS-03 in world at seed L0: write req1 returned 1024 but offset 13312 reads back w0+26',
    );
    expect(run({}).violation?.message ?? 'pass').toBe('pass');
  });
});

describe("ext4: an unaligned overwrite's zeroing past EOF (candidate finding, spec/ext4.md)", () => {
  // The file's one block is written and i_size is 512: the aio write of [0, 512) ends at i_size, so
  // ext4 6.12 takes it as a pure overwrite under the shared lock, not waited for, and iomap zeroes
  // [512, 4096) past EOF in a bio of its own (fs/iomap/direct-io.c L460-462). The extending write of
  // [0, 4096) after it takes the lock exclusively but does not wait for direct I/O in flight (only an
  // unaligned write does, fs/ext4/file.c L482-490): when the device completes the zeroing bio last, it
  // lands over the extending write's data. Met by the swarm campaign (seed 1, run 132,331, on the
  // general campaign's generators in an intermediate version of session 10) with one deviating answer, the completion order.
  const s: Scenario = {
    device: { logicalBlockSize: 512, fua: false, writeCache: true },
    fs: { model: 'ext4', blockSize: 4 * KiB, iSize: 512, extents: [mapped(0, 4 * KiB)] },
    bioMaxVecs: 1,
    threads: [
      [
        { kind: 'dio_write', pos: 0, len: 512, async: true },
        { kind: 'dio_write', pos: 0, len: 4 * KiB },
        { kind: 'dio_read', pos: 512, len: 512 },
      ],
    ],
  };
  const outcomes = (quirks: WorldQuirks) =>
    enumerateOutcomes(
      (src) =>
        runScenario(s, { source: src, faults: { ...NO_FAULTS, reorder: true }, probe: makeProbe(), quirks }),
      (r) => `${r.requests.map((q) => q.returned).join(',')} ${r.violation?.invariant ?? 'pass'}`,
      1_000,
    );

  it('6.12 (the quirk) loses the extending write past the old EOF in some completion order', () => {
    const asIs = outcomes({ ext4UnalignedEofOverwriteShared: true });
    // -529 is -EIOCBQUEUED: the unaligned write was queued, not waited for.
    expect([...asIs.outcomes].sort()).toEqual([
      '-529,4096,512 DATA-01',
      '-529,4096,512 SYS-03',
      '-529,4096,512 pass',
    ]);
  });

  it('the candidate fix takes the write exclusively and waits for it, as XFS does: every order passes', () => {
    const fixed = outcomes({});
    expect([...fixed.outcomes]).toEqual(['512,4096,512 pass']);
  });
});
