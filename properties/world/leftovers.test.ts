/**
 * The initial states a real file can start a direct I/O with (FsSpec.leftovers, spec/fs.md
 * "Initial states"), how the model filesystems treat them, and the history rule of the data
 * checkers (properties/invariants/data.ts, spec/invariants.md "Data by history"): what the world
 * scenarios draw, what each leftover puts on the disk, the model artefacts the leftovers exposed
 * and their fixes, the candidate findings with their kernel behaviour, and the planted bugs that
 * only the history rule catches.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bugByName, opsFor, type PlantedBug } from '../../model/bugs/catalogue.ts';
import { EXT_HOLE, EXT_WRITTEN } from '../../model/fs/extentMap.ts';
import type { ModelXfs } from '../../model/fs/xfs.ts';
import { FIXED_OPS, KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { SECTOR_SHIFT, TAG_STALE, TAG_ZERO, userTag } from '../../model/mm/tags.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { PRIOR_WRITE_ID } from '../../model/world/buildXfs.ts';
import { hole, KiB, unwritten, written } from '../../model/world/extents.ts';
import type { WorldView } from '../../model/world/probe.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { Leftover, OpSpec, Scenario } from '../../model/world/scenario.ts';
import { buildWorld, rawWorldArbitrary } from '../arbitraries/worldScenario.ts';
import { judgeTag, judgeTagByPlacement, type WriteInfo, writesOf } from '../invariants/data.ts';
import { makeProbe } from '../invariants/registry.ts';

const BS = 4 * KiB;
const SPB = BS >> SECTOR_SHIFT;
/** Disk block of file block 0 in the written()/unwritten() extents (EXTENT_BASE, 64 KiB). */
const BLOCK0 = (64 * KiB) / BS;
const prior = (offset: number): number => userTag(PRIOR_WRITE_ID, offset >> SECTOR_SHIFT);

function xfsFile(
  extents: Scenario['fs']['extents'],
  iSize: number,
  ops: readonly OpSpec[],
  leftovers: readonly Leftover[],
  model: 'xfs' | 'ext4' = 'xfs',
): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: false, writeCache: false },
    fs: { model, blockSize: BS, iSize, extents, leftovers },
    bioMaxVecs: 16,
    threads: [ops],
  };
}

interface Ran {
  readonly r: RunResult;
  readonly w: WorldView;
}

function run(
  s: Scenario,
  opts: { ops?: typeof FIXED_OPS; checks?: boolean; gap612?: boolean; quirks?: PlantedBug['quirks'] } = {},
): Ran {
  let world: WorldView | null = null;
  const r = runScenario(s, {
    source: new ArrayChoices([]),
    faults: NO_FAULTS,
    ops: opts.ops ?? FIXED_OPS,
    ...(opts.quirks === undefined ? {} : { quirks: opts.quirks }),
    tracing: true,
    ...(opts.checks === false ? {} : { probe: makeProbe() }),
    observe: (w) => {
      world = w;
      if (opts.gap612 && w.xfs !== null) w.xfs.eofGapRule = '6.12';
    },
  });
  if (world === null) throw new Error('no world');
  return { r, w: world };
}

/** The tags a direct read (the request with this id) returned. */
function readTags(r: RunResult, id: number): number[] {
  const q = r.requests.find((x) => x.id === id);
  if (q === undefined) throw new Error(`no request ${id}`);
  return Array.from(q.buf.tags.slice(0, Math.max(0, q.completions[0]?.res ?? 0) >> SECTOR_SHIFT));
}

const zeros = (n: number): number[] => new Array<number>(n).fill(TAG_ZERO);

describe('the world scenarios draw the initial states', () => {
  const raws = fc.sample(rawWorldArbitrary(), { seed: 19, numRuns: 3000 });
  const worlds = raws.map(buildWorld);

  it('draws every leftover but eof-tail on XFS, and on ext4 only those ext4 can start with', () => {
    const seen = { xfs: new Set<Leftover>(), ext4: new Set<Leftover>() };
    for (const w of worlds)
      for (const l of w.fs.leftovers ?? []) seen[w.fs.model === 'ext4' ? 'ext4' : 'xfs'].add(l);
    expect([...seen.xfs].sort()).toEqual(['free', 'past-eof', 'unwritten']);
    expect([...seen.ext4].sort()).toEqual(['free', 'unwritten']);
    // Two model-filesystem worlds in three start clean, as the worlds before leftovers did (the
    // generic filesystem's start clean always: leftovers are the model filesystems').
    const model = worlds.filter((w) => w.fs.model !== 'scripted');
    const clean = model.filter((w) => (w.fs.leftovers ?? []).length === 0).length;
    expect(clean / model.length).toBeGreaterThan(0.55);
    expect(clean / model.length).toBeLessThan(0.8);
  });

  it('keeps written blocks past the EOF block on XFS only when a lost size update left them', () => {
    let pastEof = 0;
    for (const w of worlds) {
      // XFS only: ext4 keeps such blocks, the generic filesystem's past EOF are new (unallocated).
      if (w.fs.model !== 'xfs') continue;
      const eofBlocks = Math.ceil(w.fs.iSize / w.fs.blockSize);
      const written = w.fs.extents.filter(
        (e) => e.type === 'mapped' && e.offset / w.fs.blockSize >= eofBlocks,
      );
      if (written.length > 0) pastEof++;
      if (!(w.fs.leftovers ?? []).includes('past-eof')) expect(written).toEqual([]);
    }
    expect(pastEof).toBeGreaterThan(0);
  });
});

describe('what each leftover puts on the disk', () => {
  const media = (s: Scenario, diskBlock: number): number[] => {
    const { r } = run({ ...s, threads: [[]] }, { checks: false });
    return Array.from(r.disk.media.slice(diskBlock * SPB, (diskBlock + 1) * SPB));
  };

  it("eof-tail: the written EOF block past i_size holds the lost write's bytes, from the sector after i_size", () => {
    const s = xfsFile([written(0, BS)], 1000, [], ['eof-tail']);
    expect(media(s, BLOCK0)).toEqual([
      userTag(0, 0),
      userTag(0, 1),
      ...[2, 3, 4, 5, 6, 7].map((u) => prior(u * 512)),
    ]);
    expect(media({ ...s, fs: { ...s.fs, leftovers: [] } }, BLOCK0)).toEqual([
      userTag(0, 0),
      userTag(0, 1),
      ...zeros(6),
    ]);
  });

  it("past-eof: on XFS a written block past the EOF block holds them, on ext4 the disk's old contents", () => {
    const s = xfsFile([written(0, BS), written(BS, BS)], 1000, [], ['past-eof']);
    expect(media(s, BLOCK0 + 1)).toEqual([...Array(SPB).keys()].map((u) => prior(BS + u * 512)));
    expect(media({ ...s, fs: { ...s.fs, model: 'ext4' } }, BLOCK0 + 1)).toEqual(
      new Array<number>(SPB).fill(TAG_STALE),
    );
  });

  it('unwritten: an unwritten block holds them; free: the j-th free block holds file block j of the deleted copy', () => {
    const s = xfsFile([written(0, BS), unwritten(BS, BS)], 2 * BS, [], ['unwritten', 'free']);
    expect(media(s, BLOCK0 + 1)).toEqual([...Array(SPB).keys()].map((u) => prior(BS + u * 512)));
    expect(media(s, BLOCK0 + 2)).toEqual([...Array(SPB).keys()].map((u) => prior(u * 512)));
    expect(media(s, BLOCK0 + 3)).toEqual([...Array(SPB).keys()].map((u) => prior(BS + u * 512)));
  });
});

describe('the model XFS over the leftovers (artefacts found by the campaign, fixed)', () => {
  // Block 0 written up to i_size 1000, block 1 written past EOF with a lost write's bytes.
  const file = (ops: readonly OpSpec[]): Scenario =>
    xfsFile([written(0, BS), written(BS, BS), hole(2 * BS, 2 * BS)], 1000, ops, ['eof-tail', 'past-eof']);

  it('a truncate up zeroes all of [old EOF, new EOF), written blocks past the EOF block included', () => {
    const { r } = run(
      file([
        { kind: 'truncate', size: 2 * BS },
        { kind: 'dio_read', pos: 0, len: 2 * BS },
      ]),
    );
    expect(r.outcome).toBe('pass');
    expect(readTags(r, 2).slice(2)).toEqual(zeros(2 * SPB - 2));
  });

  it('so does fallocate when it grows the file (xfs_falloc_setsize goes through xfs_setattr_size)', () => {
    const { r } = run(
      file([
        { kind: 'fallocate', pos: BS, len: BS },
        { kind: 'dio_read', pos: 0, len: 2 * BS },
      ]),
    );
    expect(r.outcome).toBe('pass');
    expect(readTags(r, 2).slice(2)).toEqual(zeros(2 * SPB - 2));
  });

  it('a buffered write past EOF zeroes the gap first (xfs_file_write_zero_eof)', () => {
    const { r } = run(
      file([
        { kind: 'buffered_write', pos: BS + 2048, len: 512 },
        { kind: 'dio_read', pos: 0, len: 2 * BS },
      ]),
    );
    expect(r.outcome).toBe('pass');
    expect(readTags(r, 2).slice(2, SPB + 4)).toEqual(zeros(SPB + 2));
  });

  it('writeback of the folio that straddles EOF zeroes it past EOF (iomap_writepage_handle_eof)', () => {
    const { r } = run(file([{ kind: 'buffered_write', pos: 0, len: 512 }, { kind: 'fsync' }]));
    expect(r.outcome).toBe('pass');
    expect(Array.from(r.disk.media.slice(BLOCK0 * SPB + 2, (BLOCK0 + 1) * SPB))).toEqual(zeros(SPB - 2));
  });

  it('an mmap read of the EOF block sees the bytes past EOF as the kernel shows them, and the checks accept them there', () => {
    const { r, w } = run(file([{ kind: 'mmap_read' }]));
    expect(r.outcome).toBe('pass');
    expect(Array.from(w.fileOps[0]?.buf?.tags ?? []).slice(2, SPB)).toEqual(
      [2, 3, 4, 5, 6, 7].map((u) => prior(u * 512)),
    );
  });
});

describe('finding F1: XFS zeroes a written block past EOF in the page cache only, and a direct write drops it', () => {
  // A direct write at 6 KiB into block 1 (written past EOF): its invalidation writes back folio 1,
  // which lies wholly past EOF, so writeback skips it and the zeroed gap [4 KiB, 6 KiB) is lost.
  const s = xfsFile(
    [written(0, BS), written(BS, BS)],
    1000,
    [
      { kind: 'dio_write', pos: BS + 2048, len: 512 },
      { kind: 'dio_read', pos: BS, len: BS },
    ],
    ['past-eof'],
  );

  it('on 6.12 (eofGapRule 6.12) the lost write comes back inside EOF: STALE-01', () => {
    const { r } = run(s, { gap612: true });
    expect(r.violation?.invariant).toBe('STALE-01');
    expect(readTags(run(s, { gap612: true, checks: false }).r, 2).slice(0, 4)).toEqual(
      [0, 1, 2, 3].map((u) => prior(BS + u * 512)),
    );
  });

  it('with the candidate fix (xfs_free_eofblocks first, the default) the gap is a hole and reads zeros', () => {
    const { r } = run(s);
    expect(r.outcome).toBe('pass');
    expect(readTags(r, 2).slice(0, 4)).toEqual(zeros(4));
    expect(r.trace.some((e) => e.event === 'xfs_free_eofblocks')).toBe(true);
  });
});

describe('finding F2: ext4 on 6.12.107-6.12.117 exposes stale blocks a short extending write left past EOF', () => {
  // An extending write whose user buffer faults inside its first block: iomap returns a short
  // count, ext4 keeps the blocks it allocated written (ret >= 0), the buffered fallback faults and
  // returns -EFAULT; a truncate up then exposes the never-written blocks (ext4_setattr grows
  // without zeroing whole blocks past the old EOF block).
  const s: Scenario = {
    device: { logicalBlockSize: 512, fua: false, writeCache: false },
    fs: { model: 'ext4', blockSize: BS, iSize: BS, extents: [written(0, BS)] },
    bioMaxVecs: 16,
    threads: [
      [
        {
          kind: 'dio_write',
          pos: BS,
          len: 3 * BS,
          badPage: { index: 1, how: 'munmap' },
          bufAddr: 0x10000 + 2048,
        },
        { kind: 'truncate', size: 4 * BS },
        { kind: 'dio_read', pos: 0, len: 4 * BS },
      ],
    ],
  };

  it("on 6.12.117 the read returns the disk's old contents (STALE-01); on 6.12.118 and the correct model zeros", () => {
    const old = run(s, { ops: KERNEL_VERSIONS['6.12.117'] });
    expect(old.r.violation?.invariant).toBe('STALE-01');
    expect(old.r.requests[0]?.completions[0]?.res).toBe(-14);
    for (const ops of [KERNEL_VERSIONS['6.12.118'], FIXED_OPS])
      expect(run(s, { ops }).r.outcome).toBe('pass');
  });
});

/** The quirk alone, and 6.12.117 with its release world, expose the old bytes after recovery. */
function expectStale03On612(s: Scenario): void {
  expect(run(s, { quirks: { xfsEofGapCachedOnly: true } }).r.violation?.invariant).toBe('STALE-03');
  const ops = KERNEL_VERSIONS['6.12.117'];
  expect(run(s, { ops, quirks: ops.releaseWorld }).r.violation?.invariant).toBe('STALE-03');
}

describe('finding F3: XFS leaves the EOF gap of a direct write zeroed in the page cache only', () => {
  // The EOF block holds a lost write's bytes past i_size 3584; an O_SYNC write past EOF, then power
  // loss: the write's range is synced and its size logged, the zeroed gap is not.
  const s = xfsFile(
    [written(0, BS)],
    3584,
    [{ kind: 'dio_write', pos: BS, len: BS, iocbFlags: ['sync'] }, { kind: 'power_loss' }],
    ['eof-tail'],
  );

  it("on 6.12 (the releases' quirk xfsEofGapCachedOnly) recovery finds the old bytes inside EOF: STALE-03", () => {
    expectStale03On612(s);
  });

  it('with the candidate fix (the zeroing written back before the write) it reads zeros', () => {
    expect(run(s).r.outcome).toBe('pass');
  });
});

describe('finding F5: a buffered write from inside EOF grows the file over a written block past EOF', () => {
  // Block 1 is written past EOF (past-eof). A buffered write from inside EOF over it grows i_size
  // and stays dirty; an O_SYNC direct write past it (block 2) logs a size that covers block 1
  // (xfs_dio_write_end_io -> xfs_setfilesize), whose media still holds the lost write's bytes.
  const s = xfsFile(
    [written(0, BS), written(BS, BS)],
    BS,
    [
      { kind: 'buffered_write', pos: 2048, len: BS },
      { kind: 'dio_write', pos: 2 * BS, len: BS, iocbFlags: ['sync'] },
      { kind: 'power_loss' },
    ],
    ['past-eof'],
  );

  it("on 6.12 (the releases' quirk xfsEofGapCachedOnly) recovery finds the old bytes inside EOF: STALE-03", () => {
    expectStale03On612(s);
  });

  it('with the candidate fix (xfs_free_eofblocks before the write grows the file) recovery reads zeros there', () => {
    const { r } = run(s);
    expect(r.outcome).toBe('pass');
    expect(r.trace.some((e) => e.event === 'xfs_free_eofblocks')).toBe(true);
    const old = run(s, { quirks: { xfsEofGapCachedOnly: true }, checks: false }).r;
    expect(old.trace.some((e) => e.event === 'xfs_free_eofblocks')).toBe(false);
  });
});

describe('data by history', () => {
  const w = (over: Partial<WriteInfo>): WriteInfo => ({
    id: 1,
    pos: 0,
    len: BS,
    kind: 'dio',
    startStep: 1,
    doneStep: 5,
    removed: [],
    ackStep: 5,
    acked: BS,
    dsync: false,
    ...over,
  });
  const writes = new Map<number, WriteInfo>([
    [1, w({ removed: [{ step: 10, from: 1024 }] })],
    [
      PRIOR_WRITE_ID,
      w({ id: PRIOR_WRITE_ID, kind: 'prior', removed: [{ step: -1, from: 0 }], ackStep: 0, acked: 0 }),
    ],
  ]);

  it('a truncate removes what was written at and past its size, for reads that begin once it returned', () => {
    expect(judgeTag(userTag(1, 2), 1024, writes, 9)).toBe('ok');
    expect(judgeTag(userTag(1, 2), 1024, writes, 10)).toBe('stale');
    expect(judgeTag(userTag(1, 1), 512, writes, 20)).toBe('ok');
    expect(judgeTagByPlacement(userTag(1, 2), 1024, writes)).toBe('ok');
    // After a writeback error the history is not held against a read.
    expect(judgeTag(userTag(1, 2), 1024, writes, 10, Number.POSITIVE_INFINITY, false)).toBe('ok');
  });

  it("the leftovers' write is stale inside EOF and accepted past it; misplaced stays misplaced", () => {
    expect(judgeTag(prior(512), 512, writes, 0)).toBe('stale');
    expect(judgeTag(prior(512), 512, writes, 0, 512)).toBe('ok');
    expect(judgeTag(prior(512), 1024, writes, 0, 512)).toBe('misplaced');
    expect(judgeTagByPlacement(prior(512), 512, writes)).toBe('ok');
  });
});

describe('the planted bugs only the history rule catches', () => {
  /** The data the bug's read returned: every sector at its own offset, yet some removed. */
  function offending(bug: PlantedBug): { placement: string[]; history: string[] } {
    let world: WorldView | null = null;
    const r = runScenario(bug.scenario, {
      source: new ArrayChoices([]),
      faults: bug.faults,
      ops: opsFor(bug),
      ...(bug.quirks === undefined ? {} : { quirks: bug.quirks }),
      observe: (v) => {
        world = v;
      },
    });
    const v = world as WorldView | null;
    if (v === null) throw new Error('no world');
    const reads: Array<{ tags: Int32Array; pos: number; start: number; eof: number }> = [];
    for (const q of r.requests)
      if (q.op.kind === 'dio_read')
        reads.push({
          tags: q.buf.tags.slice(0, (q.completions[0]?.res ?? 0) >> SECTOR_SHIFT),
          pos: q.op.pos,
          start: q.startStep,
          eof: Number.POSITIVE_INFINITY,
        });
    for (const f of v.fileOps)
      if (f.op.kind === 'mmap_read' && f.buf !== null)
        reads.push({
          tags: f.buf.tags.slice(0, (f.returned ?? 0) >> SECTOR_SHIFT),
          pos: f.readPos,
          start: f.startStep,
          eof: v.inode.iSize,
        });
    // Write ids and history as the checkers build them (data.ts writesOf).
    const all = writesOf(v);
    const placement: string[] = [];
    const history: string[] = [];
    for (const rd of reads)
      rd.tags.forEach((tag, u) => {
        placement.push(judgeTagByPlacement(tag, rd.pos + u * 512, all));
        history.push(judgeTag(tag, rd.pos + u * 512, all, rd.start, rd.eof));
      });
    return { placement, history };
  }

  for (const name of ['unwritten-read-as-mapped', 'new-block-head-not-zeroed', 'truncate-keeps-eof-tail']) {
    it(`${name}: placement alone accepts what it returns, history does not`, () => {
      const bug = bugByName(name);
      if (bug === undefined) throw new Error(name);
      const { placement, history } = offending(bug);
      expect(placement.length).toBeGreaterThan(0);
      expect(placement.every((v) => v === 'ok')).toBe(true);
      expect(history).toContain('stale');
      // And the checkers, which judge by history, catch it on the first run.
      const { r } = run(bug.scenario, {
        ops: opsFor(bug),
        ...(bug.quirks === undefined ? {} : { quirks: bug.quirks }),
      });
      expect(r.violation?.invariant).toBe(bug.invariant);
    });
  }

  it('the correct model passes each of their scenarios', () => {
    for (const name of ['unwritten-read-as-mapped', 'new-block-head-not-zeroed', 'truncate-keeps-eof-tail']) {
      const bug = bugByName(name);
      if (bug === undefined) throw new Error(name);
      expect(run(bug.scenario).r.outcome, name).toBe('pass');
    }
  });
});

describe('the model XFS keeps the EOF block of a clean world as it was', () => {
  it("no leftovers: no xfs_free_eofblocks, unwritten blocks hold the disk's old contents", () => {
    const s = xfsFile(
      [written(0, BS), unwritten(BS, BS)],
      1000,
      [{ kind: 'dio_write', pos: 2 * BS, len: BS }],
      [],
    );
    const { r } = run(s);
    expect(r.outcome).toBe('pass');
    expect(r.trace.some((e) => e.event === 'xfs_free_eofblocks')).toBe(false);
    expect(r.disk.media[(BLOCK0 + 1) * SPB]).toBe(TAG_STALE);
    const fs = r.xfs as ModelXfs;
    expect(fs.map.state[1]).not.toBe(EXT_HOLE);
    expect(fs.map.state[0]).toBe(EXT_WRITTEN);
  });
});
