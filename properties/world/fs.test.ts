/**
 * The model filesystem (model/fs/xfs.ts, xfsFile.ts, journal.ts) under direct writes, through
 * runScenario with fs.model 'xfs': allocation of unwritten blocks, conversion at completion,
 * i_size updates, the journal, fsync and O_DSYNC, and what log recovery finds after power loss
 * (spec/fs.md states the rules, with their sources in fs/xfs and fs/iomap).
 *
 * The file: 4 KiB blocks on a 512-byte device, i_size 12 KiB.
 *   block 0  [0, 4K)     written, holds write 0 (the file's original contents)
 *   block 1  [4K, 8K)    hole
 *   block 2  [8K, 12K)   unwritten
 *   block 3  [12K, 16K)  unwritten, preallocated past EOF
 *   block 4+ [16K, ...)  hole past EOF
 * Fresh allocations start after the highest mapped disk block, at disk block 260.
 *
 * Crash outcomes are enumerated exhaustively (properties/support/enumerate.ts) over every power-loss
 * point, destage and background log commit; outcome keys name the recovered size and what each block
 * of interest reads back as (`data`, `zero`, `old`, `stale`, or the tags when mixed).
 */
import { describe, expect, it } from 'vitest';
import { REQ_FUA } from '../../model/block/bio.ts';
import { EXT_HOLE, EXT_UNWRITTEN, EXT_WRITTEN } from '../../model/fs/extentMap.ts';
import type { RecoveredFile } from '../../model/fs/xfs.ts';
import { EIO } from '../../model/kernel/flags.ts';
import { formatTag, TAG_STALE, TAG_ZERO, userTag } from '../../model/mm/tags.ts';
import { ArrayChoices, type ChoiceSource } from '../../model/runtime/choice.ts';
import { type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { OpSpec, Scenario } from '../../model/world/scenario.ts';
import { DISK_BASE, expectPass, hole, KiB, mapped, unwritten, userTags, zeros } from '../seed/helpers.ts';
import { makeProbe } from '../invariants/registry.ts';
import { enumerateOutcomes, outcomesWith } from '../support/enumerate.ts';

const BS = 4 * KiB;
const SPB = BS >> 9;
const I_SIZE = 12 * KiB;
/** Disk block of the first allocation the filesystem makes (after the preallocated block 3). */
const FIRST_FREE_BLOCK = (DISK_BASE + 16 * KiB) / BS;
/** First sector of a file block of the initial layout, and of the first fresh allocation. */
const sectorOf = (fileBlock: number): number => (DISK_BASE + fileBlock * BS) >> 9;
const FRESH_SECTOR = FIRST_FREE_BLOCK * SPB;
/** Paths of the largest enumeration here, with room to spare; hitting it fails the test. */
const MAX_PATHS = 20_000;

function xfsScenario(ops: readonly OpSpec[]): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: true, writeCache: true },
    fs: {
      model: 'xfs',
      blockSize: BS,
      iSize: I_SIZE,
      extents: [mapped(0, 4 * KiB), hole(4 * KiB, 4 * KiB), unwritten(8 * KiB, 8 * KiB)],
    },
    bioMaxVecs: 16,
    threads: [ops],
  };
}

function run(
  s: Scenario,
  faults: Partial<FaultProfile> = {},
  source: ChoiceSource = new ArrayChoices([]),
): RunResult {
  return runScenario(s, { source, faults: { ...NO_FAULTS, ...faults }, tracing: true });
}

/** Runs without tracing, for enumerations. */
function runQuiet(s: Scenario, faults: Partial<FaultProfile>, source: ChoiceSource): RunResult {
  return runScenario(s, { source, faults: { ...NO_FAULTS, ...faults } });
}

function xfsOf(r: RunResult) {
  if (r.xfs === null) throw new Error('no model filesystem in this run');
  return r.xfs;
}

function recoveredOf(r: RunResult): RecoveredFile {
  const rec = r.crash?.recovered;
  if (rec === undefined || rec === null) throw new Error('no crash, or no recovery, in this run');
  return rec;
}

/** The journal records without their sequence numbers. */
function records(r: RunResult): Array<{ kind: string; block: number; count: number; size: number }> {
  return xfsOf(r).journal.records.map((x) => ({
    kind: x.kind,
    block: x.block,
    count: x.count,
    size: x.size,
  }));
}

/** The extent state of file blocks [0, n). */
function states(map: { readonly state: Int8Array }, n = 5): number[] {
  return Array.from(map.state.slice(0, n));
}

/** The tags recovery read back for one file block (empty when the block lies past the recovered size). */
function blockTags(rec: RecoveredFile, block: number): number[] {
  return Array.from(rec.tags.slice(block * SPB, (block + 1) * SPB));
}

/** One word for a block's tags: data of `writeId`, zero, old (write 0), stale, none, or the tags. */
function summary(tags: readonly number[], writeId: number): string {
  if (tags.length === 0) return 'none';
  if (tags.includes(TAG_STALE)) return 'stale';
  if (tags.every((t) => t === TAG_ZERO)) return 'zero';
  if (tags.every((t, k) => t === userTag(writeId, k))) return 'data';
  if (tags.every((t, k) => t === userTag(0, k))) return 'old';
  return tags.map(formatTag).join(',');
}

/** Trace index of the first event named `event` (whose detail includes `detail`), or -1. */
function eventAt(r: RunResult, event: string, detail = ''): number {
  return r.trace.findIndex((e) => e.event === event && e.detail.includes(detail));
}

function lastEventAt(r: RunResult, event: string): number {
  return r.trace.map((e) => e.event).lastIndexOf(event);
}

/**
 * A may-set: every outcome is one of `allowed`, and each of `required` is reached. Used where the
 * kernel allows more outcomes than the model reaches (spec/disk.md, "Departures": the idle device).
 */
function expectWithin(
  outcomes: ReadonlySet<string>,
  allowed: readonly string[],
  required: readonly string[],
): void {
  for (const o of outcomes) expect(allowed, `outcome ${o}`).toContain(o);
  for (const o of required) expect(outcomes, `outcome ${o} reached`).toContain(o);
}

/** Every fault class a crash outcome depends on, with no error or reordering. */
const CRASHES = { powerLoss: true, destage: true, backgroundLog: true } as const;

describe('xfs: a direct write into an unwritten extent', () => {
  const write = xfsScenario([{ kind: 'dio_write', pos: 12 * KiB, len: 4 * KiB }]);

  it('converts the extent and logs the new size once the write succeeded', () => {
    const r = run(write);
    expectPass(r);
    expect(r.requests[0]?.returned).toBe(4 * KiB);
    expect(states(xfsOf(r).map)).toEqual([EXT_WRITTEN, EXT_HOLE, EXT_UNWRITTEN, EXT_WRITTEN, EXT_HOLE]);
    expect(r.inode.iSize).toBe(16 * KiB);
    expect(records(r)).toEqual([
      { kind: 'convert', block: 3, count: 1, size: 0 },
      { kind: 'size', block: 0, count: 0, size: 16 * KiB },
    ]);
    // The existing unwritten extent is not new: no sub-block zeroing branch, conversion at end_io.
    expect(r.coverage[296]).toBeGreaterThan(0);
    expect(r.coverage[304]).toBe(0);
    expect(eventAt(r, 'xfs_iomap_write_unwritten')).toBeGreaterThan(lastEventAt(r, 'bio_endio'));
  });

  it('leaves the extent unwritten, i_size unchanged and the journal empty when the bio fails', () => {
    const r = run(write, { bioErrors: true }, new ArrayChoices([1]));
    expectPass(r);
    expect(r.requests[0]?.returned).toBe(-EIO);
    expect(xfsOf(r).endIoCalls.map((c) => c.error)).toEqual([-EIO]);
    expect(states(xfsOf(r).map)).toEqual([EXT_WRITTEN, EXT_HOLE, EXT_UNWRITTEN, EXT_UNWRITTEN, EXT_HOLE]);
    expect(r.inode.iSize).toBe(I_SIZE);
    expect(records(r)).toEqual([]);
  });
});

describe('xfs: a direct write into a hole', () => {
  // 1 KiB at 4.5 KiB: sub-block, so the unaligned path retries exclusive and iomap zeroes around it.
  const write = xfsScenario([{ kind: 'dio_write', pos: 4 * KiB + 512, len: 1 * KiB }]);

  it('allocates unwritten blocks reported IOMAP_F_NEW, zeroes around the data and converts at completion', () => {
    const r = run(write);
    expectPass(r);
    expect(r.requests[0]?.returned).toBe(1 * KiB);
    expect(r.disk.log.map((b) => [b.sector, b.size])).toEqual([
      [FRESH_SECTOR, 512],
      [FRESH_SECTOR + 1, 1024],
      [FRESH_SECTOR + 3, 2560],
    ]);
    // IOMAP_F_NEW (seed L303-304) set need_zeroout: head and tail zeroing (seed L356-361, L428-435).
    expect(r.coverage[304]).toBeGreaterThan(0);
    expect(r.trace.filter((e) => e.event === 'iomap_dio_zero').map((e) => e.detail)).toEqual([
      'pos 4096 len 512',
      'pos 5632 len 2560',
    ]);
    expect(records(r)).toEqual([
      { kind: 'alloc', block: 1, count: 1, size: 0 },
      { kind: 'convert', block: 1, count: 1, size: 0 },
    ]);
    // Allocated before any bio, converted only after the last one ended.
    expect(eventAt(r, 'xfs_iomap_alloc')).toBeLessThan(eventAt(r, 'submit_bio'));
    expect(eventAt(r, 'xfs_iomap_write_unwritten')).toBeGreaterThan(lastEventAt(r, 'bio_endio'));
    expect(states(xfsOf(r).map)).toEqual([EXT_WRITTEN, EXT_WRITTEN, EXT_UNWRITTEN, EXT_UNWRITTEN, EXT_HOLE]);
    expect(xfsOf(r).map.addr[1]).toBe(FIRST_FREE_BLOCK);
    expect(Array.from(r.disk.readSectors(FRESH_SECTOR, SPB))).toEqual([
      ...zeros(1),
      ...userTags(1, 0, 2),
      ...zeros(5),
    ]);
    expect(r.inode.iSize).toBe(I_SIZE);
  });
});

describe('xfs: power loss before the log is written', () => {
  const write: OpSpec = { kind: 'dio_write', pos: 8 * KiB, len: 8 * KiB };

  it('leaves the extent unwritten after recovery, so the range reads back as zeros at the old size', () => {
    const r = run(xfsScenario([write, { kind: 'power_loss' }]));
    expect(r.requests[0]?.returned).toBe(8 * KiB);
    expect(r.inode.iSize).toBe(16 * KiB);
    const rec = recoveredOf(r);
    expect(rec.durableSeq).toBe(0);
    expect(rec.size).toBe(I_SIZE);
    expect(states(rec.map)).toEqual([EXT_WRITTEN, EXT_HOLE, EXT_UNWRITTEN, EXT_UNWRITTEN, EXT_HOLE]);
    expect(Array.from(rec.tags)).toEqual([...userTags(0, 0, SPB), ...zeros(SPB), ...zeros(SPB)]);
  });

  it('reads back zeros at the old size after a crash at any point, even when the data reached media', () => {
    const e = enumerateOutcomes(
      (src) => runQuiet(xfsScenario([write]), { powerLoss: true, destage: true }, src),
      (r) => {
        if (r.outcome !== 'pass') return `${r.outcome}: ${r.violation?.message ?? r.bound?.message}`;
        const rec = r.crash?.recovered;
        if (rec === undefined || rec === null) return 'no crash';
        return `size=${rec.size} map=${states(rec.map).join('')} b2=${summary(blockTags(rec, 2), 1)}`;
      },
      MAX_PATHS,
    );
    expect(e.outcomes).toEqual(new Set(['no crash', `size=${I_SIZE} map=30220 b2=zero`]));
  });
});

describe('xfs: fdatasync after a direct write into a hole past EOF', () => {
  const s = xfsScenario([{ kind: 'dio_write', pos: 16 * KiB, len: 4 * KiB }, { kind: 'fdatasync' }]);

  it('makes the data and the new size durable once it returned; before, old or new but never stale', () => {
    const e = enumerateOutcomes(
      (src) => runQuiet(s, CRASHES, src),
      (r) => {
        if (r.outcome !== 'pass') return `${r.outcome}: ${r.violation?.message ?? r.bound?.message}`;
        const rec = r.crash?.recovered;
        if (rec === undefined || rec === null) return 'no crash';
        const sync = r.syncs[0];
        const synced =
          sync !== undefined && sync.returned !== null && (r.crash?.step ?? 0) >= sync.returnStep;
        const all = rec.tags.includes(TAG_STALE) ? ' STALE' : '';
        return `${synced ? 'synced:' : 'unsynced:'}size=${rec.size} b4=${summary(blockTags(rec, 4), 1)}${all}`;
      },
      MAX_PATHS,
    );
    expect(e.outcomes.has('no crash')).toBe(true);
    expect(outcomesWith(e, 'synced:')).toEqual(new Set([`size=${20 * KiB} b4=data`]));
    // Before it returned: the old size (block 4 past it), or the new size with the data; never stale.
    expectWithin(
      outcomesWith(e, 'unsynced:'),
      [`size=${I_SIZE} b4=none`, `size=${20 * KiB} b4=data`],
      [`size=${I_SIZE} b4=none`],
    );
  });

  // The kernel's log worker commits on a timer, so the records end_io logged may be durable before
  // fdatasync forces them: the model lets the log be pushed after any commit (Journal.onCommit).
  it('may make the new size and the data durable before fdatasync returned (background log commit)', () => {
    const e = enumerateOutcomes(
      (src) => runQuiet(s, CRASHES, src),
      (r) => {
        const rec = r.crash?.recovered;
        if (rec === undefined || rec === null || (r.syncs[0]?.returned ?? null) !== null) return 'other';
        return `size=${rec.size} b4=${summary(blockTags(rec, 4), 1)}`;
      },
      MAX_PATHS,
    );
    expect(e.outcomes).toContain(`size=${20 * KiB} b4=data`);
  });
});

describe('xfs: O_DSYNC direct writes', () => {
  it('writes a written extent inside i_size on a FUA device with FUA bios only, and no fsync', () => {
    const r = run(xfsScenario([{ kind: 'dio_write', pos: 0, len: 4 * KiB, iocbFlags: ['dsync'] }]));
    expectPass(r);
    expect(r.disk.log.length).toBeGreaterThan(0);
    expect(r.disk.log.every((b) => (b.opf & REQ_FUA) !== 0)).toBe(true);
    expect(xfsOf(r).fsyncCalls).toBe(0);
    expect(records(r)).toEqual([]);
  });

  it('makes a write into a written extent on a FUA device durable once it returned, without an fsync', () => {
    const s = xfsScenario([{ kind: 'dio_write', pos: 0, len: 4 * KiB, iocbFlags: ['dsync'] }]);
    const e = enumerateOutcomes(
      (src) => runQuiet(s, CRASHES, src),
      (r) => {
        const rec = r.crash?.recovered;
        if (rec === undefined || rec === null) return r.outcome === 'pass' ? 'no crash' : r.outcome;
        const done = r.requests[0]?.returned === 4 * KiB ? 'returned:' : 'in flight:';
        return `${done}b0=${summary(blockTags(rec, 0), 1)}`;
      },
      MAX_PATHS,
    );
    expect(outcomesWith(e, 'returned:')).toEqual(new Set(['b0=data']));
    expectWithin(outcomesWith(e, 'in flight:'), ['b0=old', 'b0=data'], ['b0=old']);
  });

  it('may lose the same write without O_DSYNC after it returned', () => {
    const s = xfsScenario([{ kind: 'dio_write', pos: 0, len: 4 * KiB }]);
    const e = enumerateOutcomes(
      (src) => runQuiet(s, CRASHES, src),
      (r) => {
        const rec = r.crash?.recovered;
        if (rec === undefined || rec === null) return r.outcome === 'pass' ? 'no crash' : r.outcome;
        const done = r.requests[0]?.returned === 4 * KiB ? 'returned:' : 'in flight:';
        return `${done}b0=${summary(blockTags(rec, 0), 1)}`;
      },
      MAX_PATHS,
    );
    // The may-claim behind the previous test. Kernel rule: {old, data}; the model's idle device never
    // destages, so only `old` is reachable here (see spec/disk.md, "Not modelled").
    expect(outcomesWith(e, 'returned:')).toContain('b0=old');
  });

  it('writes an unwritten extent without FUA and forces the log at completion', () => {
    const r = run(xfsScenario([{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }]));
    expectPass(r);
    const data = r.disk.log.filter((b) => b.sector === sectorOf(2));
    expect(data).toHaveLength(1);
    expect((data[0]?.opf ?? 0) & REQ_FUA).toBe(0);
    expect(xfsOf(r).fsyncCalls).toBe(1);
    expect(xfsOf(r).journal.writes.map((w) => [w.lastSeq, w.done, w.error])).toEqual([[1, true, 0]]);
    expect(eventAt(r, 'xlog_write')).toBeGreaterThan(eventAt(r, 'xfs_iomap_write_unwritten'));
    expect(r.requests[0]?.returned).toBe(4 * KiB);
  });

  it('makes a write into an unwritten extent durable once it returned', () => {
    const s = xfsScenario([{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }]);
    const e = enumerateOutcomes(
      (src) => runQuiet(s, CRASHES, src),
      (r) => {
        if (r.outcome !== 'pass') return `${r.outcome}: ${r.violation?.message ?? r.bound?.message}`;
        const rec = r.crash?.recovered;
        if (rec === undefined || rec === null) return 'no crash';
        const done = r.requests[0]?.returned === 4 * KiB ? 'returned:' : 'in flight:';
        return `${done}b2=${summary(blockTags(rec, 2), 1)} map=${states(rec.map).join('')}`;
      },
      MAX_PATHS,
    );
    expect(outcomesWith(e, 'returned:')).toEqual(new Set(['b2=data map=30320']));
    expectWithin(
      outcomesWith(e, 'in flight:'),
      ['b2=zero map=30220', 'b2=data map=30320'],
      ['b2=zero map=30220'],
    );
  });
});

describe('xfs: a direct write past EOF', () => {
  const write: OpSpec = { kind: 'dio_write', pos: 16 * KiB, len: 4 * KiB };

  it('updates i_size only at completion, and logs the new size', () => {
    const r = run(xfsScenario([write]));
    expectPass(r);
    expect(r.requests[0]?.startSize).toBe(I_SIZE);
    expect(r.inode.iSize).toBe(20 * KiB);
    expect(xfsOf(r).diskSize).toBe(20 * KiB);
    expect(records(r)).toEqual([
      { kind: 'alloc', block: 4, count: 1, size: 0 },
      { kind: 'convert', block: 4, count: 1, size: 0 },
      { kind: 'size', block: 0, count: 0, size: 20 * KiB },
    ]);
    const setSize = eventAt(r, 'xfs_setfilesize', `size ${20 * KiB}`);
    expect(setSize).toBeGreaterThan(lastEventAt(r, 'bio_endio'));
    expect(setSize).toBeLessThan(eventAt(r, 'iomap_dio_complete'));
  });

  it('leaves i_size and the logged size unchanged when the write fails', () => {
    const r = run(xfsScenario([write]), { bioErrors: true }, new ArrayChoices([1]));
    expectPass(r);
    expect(r.requests[0]?.returned).toBe(-EIO);
    expect(r.inode.iSize).toBe(I_SIZE);
    expect(xfsOf(r).diskSize).toBe(I_SIZE);
    expect(records(r).map((x) => x.kind)).toEqual(['alloc']);
  });

  it('updates i_size to the end of a sub-block write and zeroes the rest of the new EOF block', () => {
    const r = run(xfsScenario([{ kind: 'dio_write', pos: 16 * KiB, len: 1 * KiB }]));
    expectPass(r);
    expect(r.inode.iSize).toBe(17 * KiB);
    expect(records(r).at(-1)).toEqual({ kind: 'size', block: 0, count: 0, size: 17 * KiB });
    expect(Array.from(r.disk.readSectors(FRESH_SECTOR, SPB))).toEqual([...userTags(1, 0, 2), ...zeros(6)]);
  });
});

describe("xfs: a direct write's buffered fallback over a missing buffer page", () => {
  // A sub-block write into a shared (reflinked) block is refused with -ENOTBLK and done through the
  // page cache (xfs_file_write_iter); the copy faults in the user buffer page by page and stops at the
  // first page it cannot (iomap_write_iter, 6.12.117 fs/iomap/buffered-io.c L985): a write whose
  // first page is gone returns -EFAULT, not its whole count (SYS-02; found by session 10's detection
  // work when world requests drew missing buffer pages).
  const s = (badIndex: number, len: number): Scenario => ({
    device: { logicalBlockSize: 512, fua: false, writeCache: true },
    fs: {
      model: 'xfs',
      blockSize: 4 * KiB,
      iSize: 16 * KiB,
      extents: [{ ...mapped(0, 16 * KiB), flags: ['shared'] }],
    },
    bioMaxVecs: 1,
    threads: [
      [{ kind: 'dio_write', pos: 512, len, bufAddr: 256 * KiB, badPage: { index: badIndex, how: 'munmap' } }],
    ],
  });
  const run = (sc: Scenario): RunResult =>
    runScenario(sc, { source: new ArrayChoices([]), faults: NO_FAULTS, probe: makeProbe() });

  it('returns -EFAULT when the first page is gone', () => {
    const r = run(s(0, 512));
    expect(r.requests[0]?.returned).toBe(-14);
    expect(r.violation).toBeNull();
  });

  it('returns the bytes before the first missing page', () => {
    const r = run(s(1, 6 * KiB));
    expect(r.requests[0]?.returned).toBe(4 * KiB);
    expect(r.violation).toBeNull();
  });
});
