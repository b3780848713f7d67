/**
 * The model ext4 (model/fs/ext4.ts, ext4File.ts, jbd2.ts) under direct I/O, through runScenario with
 * fs.model 'ext4': where it allocates and what (written at or past i_size, unwritten inside), when
 * it converts and grows i_size and i_disksize, the orphan of extending writes, i_rwsem and
 * IOMAP_DIO_FORCE_WAIT, IOCB_NOWAIT, what fsync and fdatasync commit or flush, and what jbd2
 * recovery with orphan cleanup finds after power loss (spec/ext4.md states the rules, with the
 * lines of fs/ext4 and fs/jbd2 they come from).
 *
 * The file, as in properties/world/fs.test.ts: 4 KiB blocks on a 512-byte FUA device, i_size 12 KiB.
 *   block 0  [0, 4K)     written, holds write 0
 *   block 1  [4K, 8K)    hole
 *   block 2  [8K, 12K)   unwritten
 *   block 3  [12K, 16K)  unwritten, preallocated past EOF
 *   block 4+ [16K, ...)  hole past EOF
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REQ_FUA, REQ_OP_FLUSH, REQ_OP_MASK, REQ_PREFLUSH } from '../../model/block/bio.ts';
import type { ModelExt4 } from '../../model/fs/ext4.ts';
import { EXT_DELALLOC, EXT_HOLE, EXT_UNWRITTEN, EXT_WRITTEN } from '../../model/fs/extentMap.ts';
import { EAGAIN, EIO, EIOCBQUEUED, IOMAP_DIO_UNWRITTEN } from '../../model/kernel/flags.ts';
import { FIXED_OPS, KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { TAG_STALE, TAG_ZERO, userTag } from '../../model/mm/tags.ts';
import { ArrayChoices, type ChoiceSource } from '../../model/runtime/choice.ts';
import { ALL_FAULTS, type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { WorldQuirks } from '../../model/world/quirks.ts';
import type { OpSpec, Scenario } from '../../model/world/scenario.ts';
import { BUGS } from '../../model/bugs/catalogue.ts';
import { choicesArbitrary } from '../arbitraries/choices.ts';
import { faultProfileArbitrary } from '../arbitraries/faults.ts';
import { worldScenarioArbitrary } from '../arbitraries/worldScenario.ts';
import { invariantById, makeProbe } from '../invariants/registry.ts';
import { generateCorpus } from '../oracle/corpus.ts';
import { runCaseOnModel } from '../oracle/observe.ts';
import { expectPass, hole, KiB, mapped, unwritten } from '../seed/helpers.ts';
import { hunt } from '../support/hunt.ts';
import { enumerateOutcomes, outcomesWith } from '../support/enumerate.ts';

const BS = 4 * KiB;
const SPB = BS >> 9;
const I_SIZE = 12 * KiB;
const MAX_PATHS = 20_000;
const CRASHES = { powerLoss: true, destage: true, backgroundLog: true } as const;

function ext4Scenario(ops: readonly OpSpec[]): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: true, writeCache: true },
    fs: {
      model: 'ext4',
      blockSize: BS,
      iSize: I_SIZE,
      extents: [mapped(0, 4 * KiB), hole(4 * KiB, 4 * KiB), unwritten(8 * KiB, 8 * KiB)],
    },
    bioMaxVecs: 16,
    threads: [ops],
  };
}

/** A 3,584-byte file: its EOF block written and cached clean, nothing past it; then `ops`. */
function cachedEofBlock(ops: readonly OpSpec[]): Scenario {
  return {
    ...ext4Scenario(ops),
    fs: {
      model: 'ext4',
      blockSize: BS,
      iSize: 3584,
      extents: [mapped(0, 4 * KiB)],
      pageCache: [{ index: 0, dirty: false }],
    },
  };
}

function run(s: Scenario, faults: Partial<FaultProfile> = {}, source: ChoiceSource = new ArrayChoices([])) {
  return runScenario(s, { source, faults: { ...NO_FAULTS, ...faults }, tracing: true });
}

function ext4Of(r: RunResult): ModelExt4 {
  const fs = r.xfs;
  if (fs === null || !('iDatasyncTid' in fs)) throw new Error('no model ext4 in this run');
  return fs as ModelExt4;
}

/** The journal records without sequence numbers: the handle's changes, in order. */
function records(r: RunResult): string[] {
  return ext4Of(r).journal.records.map((x) =>
    x.kind === 'size' ? `size ${x.size}` : `${x.kind} ${x.block}+${x.count}`,
  );
}

function states(map: { readonly state: Int8Array }, n = 5): number[] {
  return Array.from(map.state.slice(0, n));
}

function eventAt(r: RunResult, event: string): number {
  return r.trace.findIndex((e) => e.event === event);
}

function lastEventAt(r: RunResult, event: string): number {
  return r.trace.map((e) => e.event).lastIndexOf(event);
}

/** Each bio the run submitted, as `flush`, `commit` (a journal commit record) or `data`, with FUA. */
function bioKinds(r: RunResult): string[] {
  const logStart = ext4Of(r).journal.logStart;
  return r.disk.log.map((b) => {
    if ((b.opf & REQ_OP_MASK) === REQ_OP_FLUSH) return 'flush';
    const f = `${b.opf & REQ_PREFLUSH ? 'P' : ''}${b.opf & REQ_FUA ? 'F' : ''}`;
    return `${b.sector >= logStart ? 'commit' : 'data'}${f === '' ? '' : `:${f}`}`;
  });
}

describe('ext4: an aligned overwrite of written blocks', () => {
  it('takes i_rwsem shared, maps through the overwrite ops, and logs nothing', () => {
    const r = run(ext4Scenario([{ kind: 'dio_write', pos: 0, len: 4 * KiB }]));
    expectPass(r);
    expect(r.requests[0]?.returned).toBe(4 * KiB);
    expect(records(r)).toEqual([]);
    expect(ext4Of(r).orphanChanges).toEqual([]);
    expect(ext4Of(r).endIoCalls.map((c) => c.flags & IOMAP_DIO_UNWRITTEN)).toEqual([0]);
    expect(r.trace.some((e) => e.detail.includes('i_rwsem excl'))).toBe(false);
  });

  it('is refused with -EAGAIN under NOWAIT only when it would need the lock exclusive', () => {
    const nowait = (op: OpSpec): RunResult => run(ext4Scenario([{ ...op, iocbFlags: ['nowait'] } as OpSpec]));
    // A sub-block overwrite of a written block stays shared (file.c L464-476).
    expect(nowait({ kind: 'dio_write', pos: 512, len: 512 }).requests[0]?.returned).toBe(512);
    // Into an unwritten block it needs the lock exclusive, and so does an extending write.
    for (const op of [
      { kind: 'dio_write', pos: 8 * KiB + 512, len: 512 },
      { kind: 'dio_write', pos: 12 * KiB, len: 4 * KiB },
      { kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB },
    ] as const) {
      const r = nowait(op);
      expectPass(r);
      expect(r.requests[0]?.returned, JSON.stringify(op)).toBe(-EAGAIN);
      expect(records(r)).toEqual([]);
      expect(r.disk.log).toEqual([]);
    }
  });
});

describe('ext4: a write into a hole inside i_size', () => {
  // 1 KiB at 4.5 KiB: unaligned, so exclusive with FORCE_WAIT; iomap zeroes around it.
  const write = ext4Scenario([{ kind: 'dio_write', pos: 4 * KiB + 512, len: 1 * KiB }]);

  it('allocates unwritten blocks (IOMAP_F_NEW) before the I/O and converts them at completion', () => {
    const r = run(write);
    expectPass(r);
    expect(r.requests[0]?.returned).toBe(1 * KiB);
    expect(records(r)).toEqual(['alloc 1+1', 'convert 1+1', `size ${I_SIZE}`]);
    expect(eventAt(r, 'ext4_ext_map_blocks')).toBeLessThan(eventAt(r, 'submit_bio'));
    expect(eventAt(r, 'ext4_convert_unwritten_extents')).toBeGreaterThan(lastEventAt(r, 'bio_endio'));
    expect(r.trace.filter((e) => e.event === 'iomap_dio_zero').map((e) => e.detail)).toEqual([
      'pos 4096 len 512',
      'pos 5632 len 2560',
    ]);
    expect(states(ext4Of(r).map)).toEqual([EXT_WRITTEN, EXT_WRITTEN, EXT_UNWRITTEN, EXT_UNWRITTEN, EXT_HOLE]);
    expect(r.inode.iSize).toBe(I_SIZE);
    expect(ext4Of(r).orphanChanges).toEqual([]);
  });

  it('leaves the blocks unwritten when the bio fails: fdatasync then only flushes, fsync commits', () => {
    for (const [kind, bios] of [
      ['fdatasync', ['flush']],
      ['fsync', ['commit:PF']],
    ] as const) {
      const r = run(
        ext4Scenario([{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB }, { kind }]),
        { bioErrors: true },
        new ArrayChoices([1]),
      );
      expectPass(r);
      expect(r.requests[0]?.returned).toBe(-EIO);
      expect(states(ext4Of(r).map)).toEqual([
        EXT_WRITTEN,
        EXT_UNWRITTEN,
        EXT_UNWRITTEN,
        EXT_UNWRITTEN,
        EXT_HOLE,
      ]);
      // The unwritten allocation moved i_sync_tid only (fs/ext4/extents.c L4488-4490).
      expect(bioKinds(r).slice(1), kind).toEqual(bios);
    }
  });
});

describe('ext4: a write past EOF', () => {
  it('converts preallocated unwritten blocks to written before the I/O, under an orphan', () => {
    const r = run(ext4Scenario([{ kind: 'dio_write', pos: 12 * KiB, len: 4 * KiB }]));
    expectPass(r);
    expect(r.requests[0]?.returned).toBe(4 * KiB);
    // Orphan add (the inode block), the conversion in ext4_iomap_alloc, then end_io's size and
    // orphan delete.
    expect(records(r)).toEqual([`size ${I_SIZE}`, 'convert 3+1', `size ${16 * KiB}`, `size ${16 * KiB}`]);
    expect(eventAt(r, 'ext4_ext_convert_to_initialized')).toBeLessThan(eventAt(r, 'submit_bio'));
    expect(ext4Of(r).endIoCalls.map((c) => c.flags & IOMAP_DIO_UNWRITTEN)).toEqual([0]);
    expect(ext4Of(r).orphanChanges.map((o) => o.on)).toEqual([true, false]);
    expect(r.inode.iSize).toBe(16 * KiB);
    expect(ext4Of(r).iDisksize).toBe(16 * KiB);
  });

  it('allocates written blocks in a hole past EOF (no conversion at completion)', () => {
    const r = run(ext4Scenario([{ kind: 'dio_write', pos: 16 * KiB, len: 4 * KiB }]));
    expectPass(r);
    expect(records(r)).toEqual([
      `size ${I_SIZE}`,
      'alloc 4+1',
      'convert 4+1',
      `size ${20 * KiB}`,
      `size ${20 * KiB}`,
    ]);
    expect(states(ext4Of(r).map)).toEqual([EXT_WRITTEN, EXT_HOLE, EXT_UNWRITTEN, EXT_UNWRITTEN, EXT_WRITTEN]);
    expect(r.inode.iSize).toBe(20 * KiB);
  });

  it('is waited for when async (IOMAP_DIO_FORCE_WAIT), where an async overwrite is queued', () => {
    const extending = run(ext4Scenario([{ kind: 'dio_write', pos: 16 * KiB, len: 4 * KiB, async: true }]));
    expectPass(extending);
    expect(extending.requests[0]?.returned).toBe(4 * KiB);
    const overwrite = run(ext4Scenario([{ kind: 'dio_write', pos: 0, len: 4 * KiB, async: true }]));
    expectPass(overwrite);
    expect(overwrite.requests[0]?.returned).toBe(-EIOCBQUEUED);
    expect(overwrite.requests[0]?.completions[0]?.res).toBe(4 * KiB);
  });

  it('truncates the blocks it allocated when it fails, and leaves the orphan list', () => {
    const r = run(
      ext4Scenario([{ kind: 'dio_write', pos: 16 * KiB, len: 4 * KiB }]),
      { bioErrors: true },
      new ArrayChoices([1]),
    );
    expectPass(r);
    expect(r.requests[0]?.returned).toBe(-EIO);
    expect(records(r)).toEqual([
      `size ${I_SIZE}`,
      'alloc 4+1',
      'convert 4+1',
      'free 3+61',
      `size ${I_SIZE}`,
      `size ${I_SIZE}`,
    ]);
    expect(states(ext4Of(r).map)).toEqual([EXT_WRITTEN, EXT_HOLE, EXT_UNWRITTEN, EXT_HOLE, EXT_HOLE]);
    expect(ext4Of(r).orphanChanges.map((o) => o.on)).toEqual([true, false]);
    expect(ext4Of(r).orphanTracked).toBe(false);
    expect(r.inode.iSize).toBe(I_SIZE);
  });
});

describe('ext4: fsync and fdatasync', () => {
  it('flush the device after an overwrite: the inode has no transaction to commit', () => {
    for (const kind of ['fsync', 'fdatasync'] as const) {
      const r = run(ext4Scenario([{ kind: 'dio_write', pos: 0, len: 4 * KiB }, { kind }]));
      expectPass(r);
      expect(bioKinds(r), kind).toEqual(['data', 'flush']);
    }
  });

  it('commit the transaction of an extending write with PREFLUSH|FUA and no extra flush', () => {
    const r = run(ext4Scenario([{ kind: 'dio_write', pos: 16 * KiB, len: 4 * KiB }, { kind: 'fdatasync' }]));
    expectPass(r);
    expect(bioKinds(r)).toEqual(['data', 'commit:PF']);
    expect(ext4Of(r).journal.commitSequence).toBe(1);
  });

  it('an O_DSYNC overwrite inside i_size goes out FUA and needs nothing else', () => {
    const r = run(ext4Scenario([{ kind: 'dio_write', pos: 0, len: 4 * KiB, iocbFlags: ['dsync'] }]));
    expectPass(r);
    expect(bioKinds(r)).toEqual(['data:F']);
  });

  it('an O_DSYNC extending write is IOMAP_F_DIRTY: written plain, then its transaction committed', () => {
    const r = run(ext4Scenario([{ kind: 'dio_write', pos: 16 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }]));
    expectPass(r);
    expect(bioKinds(r)).toEqual(['data', 'commit:PF']);
  });
});

describe('ext4: buffered writes (ext4_buffered_write_iter)', () => {
  it('wait for direct I/O in flight even inside EOF (file.c L296-300; XFS waits only past EOF)', () => {
    const r = run(
      ext4Scenario([
        { kind: 'dio_write', pos: 0, len: 4 * KiB, async: true },
        { kind: 'buffered_write', pos: 8 * KiB, len: 4 * KiB },
        { kind: 'wait_async' },
      ]),
    );
    expectPass(r);
    // It returns only once the dio's bio has ended (its end_io then inode_dio_end ran); since
    // inode_dio_end is an interleaving point of the completion (spec/atomicity.md), it may return
    // before the dio's own result is delivered.
    const ended = r.trace.find((e) => e.event === 'bio_endio')?.step ?? Number.POSITIVE_INFINITY;
    expect(r.fileOps[0]?.returnStep).toBeGreaterThan(ended);
  });

  it('past EOF zero the old EOF block in the page cache and log the inode; i_disksize waits for writeback', () => {
    const s = cachedEofBlock([{ kind: 'buffered_write', pos: 8 * KiB, len: 4 * KiB }]);
    const r = run(s);
    expectPass(r);
    expect(r.inode.iSize).toBe(12 * KiB);
    // The new EOF block is delayed, not written: i_disksize stays until writeback.
    expect(ext4Of(r).iDisksize).toBe(3584);
    expect(states(ext4Of(r).map, 3)).toEqual([EXT_WRITTEN, EXT_HOLE, EXT_DELALLOC]);
    const page = r.inode.iMapping.pages.get(0);
    expect(page?.dirty).toBe(true);
    expect(Array.from(page?.tags.slice(7, 8) ?? [])).toEqual([TAG_ZERO]);
    expect(records(r)).toEqual(['size 3584']);
  });
});

describe('ext4: truncate (ext4_setattr)', () => {
  it('on the way up zeroes the old EOF block in the page cache and leaves it to writeback', () => {
    const s = cachedEofBlock([{ kind: 'truncate', size: 16 * KiB }, { kind: 'fsync' }]);
    const r = run(s);
    expectPass(r);
    // No bio before fsync started (XFS writes the zeroed tail back inside truncate); fsync writes it.
    const fsyncStep = r.syncs[0]?.startStep ?? 0;
    expect(r.disk.log.filter((b) => b.step < fsyncStep)).toEqual([]);
    expect(bioKinds(r)).toEqual(['data', 'commit:PF']);
    expect(r.inode.iSize).toBe(16 * KiB);
    expect(ext4Of(r).iDisksize).toBe(16 * KiB);
    expect(ext4Of(r).orphanChanges).toEqual([]);
  });

  it('on the way down holds an orphan and frees every block past the new EOF, preallocated ones too', () => {
    const r = run(ext4Scenario([{ kind: 'truncate', size: 6 * KiB }]));
    expectPass(r);
    expect(ext4Of(r).orphanChanges.map((o) => o.on)).toEqual([true, false]);
    expect(states(ext4Of(r).map)).toEqual([EXT_WRITTEN, EXT_HOLE, EXT_HOLE, EXT_HOLE, EXT_HOLE]);
    expect(r.inode.iSize).toBe(6 * KiB);
    expect(ext4Of(r).iDisksize).toBe(6 * KiB);
  });

  it('to the same size still frees the blocks preallocated past EOF (ext4_truncate runs anyway)', () => {
    const r = run(ext4Scenario([{ kind: 'truncate', size: I_SIZE }]));
    expectPass(r);
    expect(states(ext4Of(r).map)).toEqual([EXT_WRITTEN, EXT_HOLE, EXT_UNWRITTEN, EXT_HOLE, EXT_HOLE]);
    expect(ext4Of(r).orphanChanges).toEqual([]);
  });
});

describe('ext4: jbd2', () => {
  it('a failed commit record aborts the journal: fsync returns -EIO, and only then', () => {
    const s = ext4Scenario([{ kind: 'dio_write', pos: 16 * KiB, len: 4 * KiB }, { kind: 'fsync' }]);
    const e = enumerateOutcomes(
      (src) => runScenario(s, { source: src, faults: { ...NO_FAULTS, bioErrors: true } }),
      (r) => {
        const aborted = ext4Of(r).journal.aborted;
        return `write=${r.requests[0]?.returned} fsync=${r.syncs[0]?.returned} aborted=${aborted}`;
      },
      MAX_PATHS,
    );
    expect(e.outcomes).toContain(`write=${4 * KiB} fsync=0 aborted=false`);
    expect(e.outcomes).toContain(`write=${4 * KiB} fsync=${-EIO} aborted=true`);
    // Whatever the write did, fsync fails exactly when the journal aborted.
    for (const o of e.outcomes) expect(o.endsWith('aborted=true'), o).toBe(o.includes(`fsync=${-EIO}`));
  });

  it('after a failed commit record, a second fdatasync returns 0 on 6.12 (ext4-sync-misses-journal-abort) and -EIO on the correct model', () => {
    // fdatasync 1 waits for the commit and gets -EIO (journal.c L685-686); the tid is committed for
    // jbd2 all the same (commit.c L1110), so in 6.12 fdatasync 2 finds nothing to wait for, flushes
    // and returns 0 (journal.c L785-806, fsync.c L123-127): ext4 notices the abort only when a
    // handle starts (ext4_jbd2.c L83-86). Linux reports a lost write to one sync (vfs.rst
    // L778-791), so DUR-02 does not hold the second call to it. The correct model takes the
    // candidate fix (spec/ext4.md): an aborted journal fails every later sync, as XFS's shutdown does.
    const s = ext4Scenario([
      { kind: 'dio_write', pos: 16 * KiB, len: 4 * KiB },
      { kind: 'fdatasync' },
      { kind: 'fdatasync' },
      { kind: 'power_loss' },
    ]);
    const outcomes = (quirks: WorldQuirks) =>
      enumerateOutcomes(
        (src) =>
          runScenario(s, {
            source: src,
            faults: { ...NO_FAULTS, submitErrors: true },
            probe: makeProbe(),
            quirks,
          }),
        (r) => {
          const b4 = r.crash?.recovered?.tags.slice(4 * SPB, 5 * SPB);
          const lost = b4 !== undefined && (b4.length < SPB || !b4.every((t, k) => t === userTag(1, k)));
          return `write=${r.requests[0]?.returned} syncs=${r.syncs.map((x) => x.returned).join(',')} aborted=${ext4Of(r).journal.aborted} ${r.violation?.invariant ?? 'pass'}${lost ? ' lost' : ''}`;
        },
        MAX_PATHS,
      ).outcomes;
    const asIs = outcomes({ ext4MissesJournalAbort: true });
    // The shape is reached (the write is gone after the power loss) and judged a pass.
    expect(asIs).toContain(`write=${4 * KiB} syncs=${-EIO},0 aborted=true pass lost`);
    expect(asIs).toContain(`write=${4 * KiB} syncs=0,0 aborted=false pass`);
    for (const o of asIs) expect(o, o).not.toContain('DUR-02');
    const fixed = outcomes({});
    expect(fixed).toContain(`write=${4 * KiB} syncs=${-EIO},${-EIO} aborted=true pass lost`);
    expect(fixed).toContain(`write=${4 * KiB} syncs=0,0 aborted=false pass`);
    for (const o of fixed) expect(o, o).not.toContain(`syncs=${-EIO},0`);
  });

  it('answers which commits still send a barrier: none once committed, a running one will', () => {
    const r = run(ext4Scenario([{ kind: 'dio_write', pos: 16 * KiB, len: 4 * KiB }, { kind: 'fdatasync' }]));
    const j = ext4Of(r).journal;
    expect(j.commitSequence).toBe(1);
    expect(j.transactionCommitted(1)).toBe(true);
    expect(j.transWillSendDataBarrier(1)).toBe(false);
    expect(j.transWillSendDataBarrier(j.runningTid)).toBe(true);
    expect(j.durableTid(r.disk.media)).toBe(1);
  });
});

/** A crash outcome: whether fdatasync had returned, the recovered size, block 4 and staleness. */
function crashKey(r: RunResult): string {
  if (r.outcome !== 'pass') return `${r.outcome}: ${r.violation?.message ?? r.bound?.message}`;
  const rec = r.crash?.recovered;
  if (rec === undefined || rec === null) return 'no crash';
  const sync = r.syncs[0];
  const synced = sync !== undefined && sync.returned !== null && (r.crash?.step ?? 0) >= sync.returnStep;
  const b4 = Array.from(rec.tags.slice(4 * SPB, 5 * SPB));
  const what =
    b4.length === 0
      ? 'none'
      : b4.every((t, k) => t === userTag(1, k))
        ? 'data'
        : b4.every((t) => t === TAG_ZERO)
          ? 'zero'
          : 'mixed';
  const map4 = rec.map.state[4] === EXT_WRITTEN ? 'W' : rec.map.state[4] === EXT_HOLE ? 'H' : 'U';
  return `${synced ? 'synced:' : 'unsynced:'}size=${rec.size} b4=${what} map4=${map4}${rec.tags.includes(TAG_STALE) ? ' STALE' : ''}`;
}

describe('ext4: power loss around an extending write', () => {
  const s = ext4Scenario([{ kind: 'dio_write', pos: 16 * KiB, len: 4 * KiB }, { kind: 'fdatasync' }]);

  it('recovers the old size with the new block freed by orphan cleanup, or the new size with the data', () => {
    const e = enumerateOutcomes(
      (src) => runScenario(s, { source: src, faults: { ...NO_FAULTS, ...CRASHES } }),
      crashKey,
      MAX_PATHS,
    );
    expect(e.outcomes.has('no crash')).toBe(true);
    expect(outcomesWith(e, 'synced:')).toEqual(new Set([`size=${20 * KiB} b4=data map4=W`]));
    // Before fdatasync returned: the old size, with block 4 a hole whether or not the allocation's
    // transaction committed (the orphan it committed with frees it), or the new size with the data
    // (a kjournald2 commit after end_io, which the model's device steps do not reach here: the
    // kernel's commit timer may fire at any time).
    const unsynced = outcomesWith(e, 'unsynced:');
    for (const o of unsynced)
      expect([`size=${I_SIZE} b4=none map4=H`, `size=${20 * KiB} b4=data map4=W`]).toContain(o);
    expect(unsynced).toContain(`size=${I_SIZE} b4=none map4=H`);
  });

  it('needs the orphan: a committed allocation past the recovered size is freed by recovery', () => {
    // kjournald2 commits the running transaction (orphan + allocation) at the first device step.
    const e = enumerateOutcomes(
      (src) => runScenario(s, { source: src, faults: { ...NO_FAULTS, ...CRASHES } }),
      (r) => {
        const rec = r.crash?.recovered;
        if (rec === undefined || rec === null) return 'other';
        const j = ext4Of(r).journal;
        const tid = j.durableTid(r.disk.media);
        const orphanOn =
          ext4Of(r)
            .orphanChanges.filter((o) => o.tid <= tid)
            .at(-1)?.on === true;
        // What the log alone holds for block 4, before orphan cleanup.
        const fs = ext4Of(r);
        const logged = j.replay(fs.initialMap, fs.initialSize, rec.durableSeq).map.state[4];
        return orphanOn ? `orphan:logged4=${logged} size=${rec.size} map4=${rec.map.state[4]}` : 'other';
      },
      MAX_PATHS,
    );
    expect(outcomesWith(e, 'orphan:')).toEqual(
      new Set([`logged4=${EXT_WRITTEN} size=${I_SIZE} map4=${EXT_HOLE}`]),
    );
  });
});

describe('ext4: the campaign world on the model ext4', () => {
  /** The campaign's world scenarios (the model filesystem ones), on the model ext4. */
  const ext4World = worldScenarioArbitrary()
    .filter((s) => (s.fs.model ?? 'xfs') === 'xfs')
    .map((s): Scenario => {
      // ext4 draws only these initial states (worldScenario.ts: its orphan cleanup removes the
      // others); an XFS world's written blocks past EOF full of old bytes are no ext4 state. Nor
      // is a shared (reflinked) block: ext4 has none, and the world draws its blocks written
      // instead (worldScenario.ts buildWorld); kept, it sent the model ext4 down XFS's COW
      // completion (an O_DSYNC overwrite of a shared block lost after power loss, seed -697385781).
      const leftovers = s.fs.leftovers?.filter((l) => l === 'unwritten' || l === 'free');
      const { leftovers: _xfs, ...fs } = s.fs;
      const extents = fs.extents.map((e) => {
        const flags = e.flags?.filter((f) => f !== 'shared');
        const { flags: _flags, ...rest } = e;
        return flags?.length ? { ...rest, flags } : rest;
      });
      return { ...s, fs: { ...fs, extents, model: 'ext4', ...(leftovers?.length ? { leftovers } : {}) } };
    });

  it('never violates an invariant with the seed defects fixed (FIXED_OPS), under any faults', () => {
    fc.assert(
      fc.property(ext4World, faultProfileArbitrary(), choicesArbitrary(), (s, faults, choices) => {
        const r = runScenario(s, {
          source: new ArrayChoices(choices),
          faults,
          ops: FIXED_OPS,
          probe: makeProbe(),
        });
        if (r.outcome === 'violation') throw new Error(`${r.violation?.message}`);
      }),
    );
  });

  it('is deterministic: the same scenario and choices give the same trace', () => {
    const [s] = fc.sample(ext4World, { numRuns: 1, seed: 15 });
    if (s === undefined) throw new Error('no sample');
    const once = (): string =>
      JSON.stringify(
        runScenario(s, { source: new ArrayChoices([1, 0, 1, 1, 0, 1]), faults: ALL_FAULTS, tracing: true })
          .trace,
      );
    expect(once()).toBe(once());
  });
});

describe('ext4: exposure to the 6.12.107-6.12.117 tail zeroing over written data', () => {
  // The oracle corpus's direct writes whose buffer has a page taken away, each run as an XFS case
  // and as an ext4 case on the model as 6.12.117: on XFS the tail zeroing's short count hides data
  // (SYS-03, spec/kernel-versions.md); ext4 allocates such blocks written and completes a short
  // direct write through the page cache, which faults and returns -EFAULT (spec/ext4.md).
  const faulting = generateCorpus().filter((c) =>
    c.ops.some((o) => o.kind === 'dio_write' && o.badPage !== undefined),
  );
  const sys03 = invariantById('SYS-03');
  if (sys03 === undefined) throw new Error('no SYS-03');
  const violations = (fs: 'xfs' | 'ext4'): number =>
    faulting.filter(
      (c) =>
        runCaseOnModel({ ...c, fs }, KERNEL_VERSIONS['6.12.117'], makeProbe([sys03]), false).outcome ===
        'violation',
    ).length;

  it('shows on the model XFS and never on the model ext4', () => {
    expect(faulting.length).toBeGreaterThan(500);
    expect(violations('xfs')).toBeGreaterThan(100);
    expect(violations('ext4')).toBe(0);
  });
});

describe('ext4: the planted-bug scenarios of the catalogue, on the model ext4', () => {
  // Each planted bug's model-filesystem scenario with fs.model 'ext4' (spec/ext4.md, "Exposure":
  // with the full hunt budget, 59 of the 73 are caught on ext4 too, 58 by the invariant they name).
  const onExt4 = BUGS.filter((b) => (b.scenario.fs.model ?? 'xfs') === 'xfs').map((b) => ({
    ...b,
    scenario: { ...b.scenario, fs: { ...b.scenario.fs, model: 'ext4' as const } },
  }));

  it('pass on the correct model ext4, every one', () => {
    expect(onExt4.length).toBeGreaterThan(60);
    for (const bug of onExt4) {
      const found = hunt(bug, '1', 25, true);
      expect(found.result?.violation?.message ?? null, bug.name).toBeNull();
    }
  });

  it('catch an iomap bug on ext4 by the invariant it names (the tail zeroing length, a lost end_io)', () => {
    for (const name of ['tail-zeroing-head-length', 'write-end-io-dropped', 'zeroing-overlaps-data']) {
      const bug = onExt4.find((b) => b.name === name);
      if (bug === undefined) throw new Error(`no planted bug ${name}`);
      expect(hunt(bug, '1', 200).invariant, name).toBe(bug.invariant);
    }
  });
});
