/**
 * The 6.12 stable releases where their fs/iomap/direct-io.c differ from each other in behaviour
 * (model/kernel/v6_12.ts, RELEASE_STEPS in model/kernel/ops.ts; spec/kernel-versions.md):
 * - 6.12.107-117 assign the tail zeroing's result to `ret` (6.12.117 L460-467), so a page-get that
 *   fails inside a zeroing block ends the request with a short count instead of -EFAULT;
 * - the seed and 6.12.107 mark a polled bio of a NOWAIT kiocb REQ_NOWAIT (bio_set_polled), so it
 *   may end with BLK_STS_AGAIN; 6.12.111 on set REQ_POLLED alone (6.12.111 L79-82).
 */
import { describe, expect, it } from 'vitest';
import { EAGAIN, EFAULT, IOMAP_DIO_UNWRITTEN, IOMAP_DIO_WRITE } from '../../model/kernel/flags.ts';
import { FIXED_OPS, KERNEL_VERSIONS, type KernelVersion } from '../../model/kernel/ops.ts';
import { RELEASES } from '../../model/kernel/releases.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import { makeProbe } from '../invariants/registry.ts';
import { FS_BLOCK_SIZES } from '../replay/replayFile.ts';
import { IOMAP_ZERO_PAGE_SIZE } from '../../model/kernel/v6_12.ts';
import type { OpSpec, Scenario } from '../../model/world/scenario.ts';
import {
  BASE_SECTOR,
  DISK_BASE,
  bios,
  choicesAsked,
  completionOf,
  expectPass,
  expectSyncResult,
  KiB,
  mapped,
  media,
  req,
  scenario,
  stale,
  unwritten,
  userTags,
  WRITE_OPF,
  zeros,
} from './helpers.ts';

function runOn(
  s: Scenario,
  kernel: KernelVersion,
  faults: Partial<FaultProfile>,
  choices: readonly number[],
): RunResult {
  return runScenario(s, {
    source: new ArrayChoices(choices),
    faults: { ...NO_FAULTS, ...faults },
    tracing: true,
    ops: KERNEL_VERSIONS[kernel],
  });
}

/** Releases by what they do at a point, from the release table (so a new release must be placed). */
const RETURNS_INT = ['6.12.107', '6.12.111', '6.12.113', '6.12.115', '6.12.117'] as const;
const RETURNS_VOID = ['seed', '6.12.118'] as const;
const NOWAIT_POLLED = ['seed', '6.12.107'] as const;
const POLLED_ONLY = ['6.12.111', '6.12.113', '6.12.115', '6.12.117', '6.12.118'] as const;

describe('the release table', () => {
  it('places every release in each of the groups this file tests', () => {
    const names = RELEASES.map((r) => r.name).sort();
    expect([...RETURNS_INT, ...RETURNS_VOID].filter((k) => k !== 'seed').sort()).toEqual(names);
    expect([...NOWAIT_POLLED, ...POLLED_ONLY].filter((k) => k !== 'seed').sort()).toEqual(names);
  });
});

describe('a page-get that fails inside an unwritten block, without IOMAP_DIO_PARTIAL', () => {
  // The buffer starts 512 bytes into a page, one page per bio: the first bio holds 3584 bytes, the
  // next page-get faults (and the fault persists), so the mapping is iterated again from 3584.
  const write: OpSpec = { kind: 'dio_write', pos: 0, len: 8 * KiB, bufAddr: 0x10200 };
  const s = scenario({
    fs: { iSize: 8 * KiB, extents: [unwritten(0, 8 * KiB)] },
    bioMaxVecs: 1,
    ops: [write],
  });
  const faults = { pageFaults: true };
  const choices = [0, 1, 1];
  // Iteration 1: data [0, 3584), zero_tail [3584, 4096). Iteration 2 starts at 3584 in the same
  // unwritten block: the head zeroing rewrites [0, 3584), the page-get faults, the tail is zeroed.
  const sameBios = [
    { sector: BASE_SECTOR, size: 3584, opf: WRITE_OPF },
    { sector: BASE_SECTOR + 7, size: 512, opf: WRITE_OPF },
    { sector: BASE_SECTOR, size: 3584, opf: WRITE_OPF },
    { sector: BASE_SECTOR + 7, size: 512, opf: WRITE_OPF },
  ];

  for (const kernel of RETURNS_VOID) {
    it(`fails the write with -EFAULT on ${kernel}: the tail zeroing leaves ret alone`, () => {
      const r = runOn(s, kernel, faults, choices);
      expectPass(r);
      expect(bios(r)).toEqual(sameBios);
      expectSyncResult(r, 1, -EFAULT);
      expect(r.fs.endIoCalls).toEqual([
        { size: 3584, error: -EFAULT, flags: IOMAP_DIO_UNWRITTEN | IOMAP_DIO_WRITE, context: 'task1' },
      ]);
    });
  }

  for (const kernel of RETURNS_INT) {
    it(`reports 3584 bytes written on ${kernel}, whose head zeroing erased them (6.12.117 L460-467)`, () => {
      const r = runOn(s, kernel, faults, choices);
      expect(bios(r)).toEqual(sameBios);
      // The second iteration returns 0, not -EFAULT: iomap_iter ends the request as if done.
      expectSyncResult(r, 1, 3584);
      expect(r.fs.endIoCalls).toEqual([
        { size: 3584, error: 0, flags: IOMAP_DIO_UNWRITTEN | IOMAP_DIO_WRITE, context: 'task1' },
      ]);
      // Completed in submission order, the head zeroing lands after the data it covers, and the
      // converted block reads back zeros where the write reported its data.
      expect(media(r, BASE_SECTOR, 9)).toEqual([...zeros(8), ...stale(1)]);
    });
  }

  // The same on the model XFS, with every invariant checked and a direct read of the range after.
  for (const [what, extents, iSize] of [
    ['a hole', [], 0],
    [
      'an unwritten extent',
      [{ offset: 0, length: 8 * KiB, type: 'unwritten', addr: DISK_BASE } as const],
      8 * KiB,
    ],
  ] as const) {
    const xfs: Scenario = {
      device: { logicalBlockSize: 512, fua: false, writeCache: true },
      fs: { model: 'xfs', blockSize: 4096, iSize, extents },
      bioMaxVecs: 1,
      threads: [[write, { kind: 'dio_read', pos: 0, len: 8 * KiB }]],
    };
    const checked = (kernel: KernelVersion) =>
      runScenario(xfs, {
        source: new ArrayChoices([0, 1]),
        faults: { ...NO_FAULTS, pageFaults: true },
        ops: KERNEL_VERSIONS[kernel],
        probe: makeProbe(),
      });
    for (const kernel of RETURNS_INT) {
      it(`on the model XFS, into ${what}: ${kernel} breaks DATA-01 (the read returns zeros for the 3584 bytes)`, () => {
        const r = checked(kernel);
        expect(req(r, 1).returned).toBe(3584);
        expect(r.violation?.invariant).toBe('DATA-01');
      });
    }
    for (const kernel of RETURNS_VOID) {
      it(`on the model XFS, into ${what}: ${kernel} fails the write with -EFAULT and keeps every invariant`, () => {
        const r = checked(kernel);
        expectPass(r);
        expect(req(r, 1).returned).toBe(-EFAULT);
      });
    }
  }

  it('keeps the data on 6.12.117 when the page-get fails at a block boundary (no tail to zero)', () => {
    // Buffer page-aligned: the first bio holds a whole block, the fault is at 4096, pad is 0.
    const aligned = scenario({
      fs: { iSize: 8 * KiB, extents: [unwritten(0, 8 * KiB)] },
      bioMaxVecs: 1,
      ops: [{ ...write, bufAddr: 0x10000 }],
    });
    const r = runOn(aligned, '6.12.117', faults, choices);
    expectPass(r);
    expectSyncResult(r, 1, -EFAULT);
    expect(media(r, BASE_SECTOR, 8)).toEqual(userTags(1, 0, 8));
  });
});

describe('a polled NOWAIT request (bio_set_polled against REQ_POLLED alone)', () => {
  const read: OpSpec = {
    kind: 'dio_read',
    pos: 0,
    len: 4 * KiB,
    async: true,
    iocbFlags: ['hipri', 'nowait'],
  };
  const s = scenario({ fs: { extents: [mapped(0, 8 * KiB)] }, ops: [read] });

  for (const kernel of NOWAIT_POLLED) {
    it(`marks the bio REQ_NOWAIT on ${kernel}, so it may end with BLK_STS_AGAIN (-EAGAIN)`, () => {
      const r = runOn(s, kernel, { wouldBlock: true }, [1]);
      expectPass(r);
      expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: 'READ|NOWAIT|POLLED' }]);
      expect(choicesAsked(r)).toEqual([['submit_would_block', 1]]);
      expect(completionOf(req(r, 1)).res).toBe(-EAGAIN);
    });
  }

  for (const kernel of POLLED_ONLY) {
    it(`marks the bio REQ_POLLED alone on ${kernel}: nothing may end it with BLK_STS_AGAIN`, () => {
      const r = runOn(s, kernel, { wouldBlock: true }, [1]);
      expectPass(r);
      expect(bios(r)).toEqual([{ sector: BASE_SECTOR, size: 4096, opf: 'READ|POLLED' }]);
      expect(choicesAsked(r)).toEqual([]);
      expect(completionOf(req(r, 1)).res).toBe(4096);
    });
  }
});

describe('the zero page (6.12: a 64 KiB zero_page allocated at boot; the seed: ZERO_PAGE(0))', () => {
  // A 512-byte write into the middle of an unwritten block: both edges of the block are zeroed.
  const s = scenario({
    fs: { iSize: 8 * KiB, extents: [unwritten(0, 8 * KiB)] },
    ops: [{ kind: 'dio_write', pos: 1024, len: 512 }],
  });

  it('zeroes with the same bios and the same zeros on the seed and every release', () => {
    const expected = [
      { sector: BASE_SECTOR, size: 1024, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 2, size: 512, opf: WRITE_OPF },
      { sector: BASE_SECTOR + 3, size: 2560, opf: WRITE_OPF },
    ];
    for (const kernel of ['seed', ...RELEASES.map((r) => r.name)] as KernelVersion[]) {
      const r = runOn(s, kernel, {}, []);
      expectPass(r);
      expect(bios(r), kernel).toEqual(expected);
      expect(media(r, BASE_SECTOR, 8), kernel).toEqual([...zeros(2), ...userTags(1, 0, 1), ...zeros(5)]);
    }
  });

  it('is larger than any block the model has, so the 64 KiB limit of iomap_dio_zero never applies', () => {
    // The largest zeroing is a block less one sector, and a scenario's block is at most 4096 bytes.
    expect(IOMAP_ZERO_PAGE_SIZE).toBe(64 * KiB);
    expect(Math.max(...FS_BLOCK_SIZES)).toBeLessThan(IOMAP_ZERO_PAGE_SIZE);
  });
});

describe("the releases' filesystem code (RELEASE_WORLD)", () => {
  /** An async overwrite, then a buffered write in the next block, on the model ext4. */
  const s: Scenario = {
    device: { logicalBlockSize: 512, fua: false, writeCache: true },
    fs: {
      model: 'ext4',
      blockSize: 4096,
      iSize: 8192,
      extents: [{ offset: 0, length: 8192, type: 'mapped', addr: 65536 }],
    },
    bioMaxVecs: 1,
    threads: [
      [
        { kind: 'dio_write', pos: 0, len: 4096, async: true },
        { kind: 'buffered_write', pos: 4096, len: 512 },
      ],
    ],
  };

  it("runs 6.12's ext4 where the correct model takes a candidate fix, and nothing else", () => {
    for (const r of RELEASES) {
      const world = KERNEL_VERSIONS[r.name].releaseWorld;
      expect(world?.ext4MissesJournalAbort, r.name).toBe(true);
      expect(world?.ext4FailedWriteNoDioWait, r.name).toBe(true);
      expect(world?.ext4UnalignedEofOverwriteShared, r.name).toBe(true);
      expect(world?.ext4BufferedWriteNoDioWait === true, r.name).toBe(r.name === '6.12.107');
    }
    expect(KERNEL_VERSIONS.seed.releaseWorld).toBeUndefined();
    expect(FIXED_OPS.releaseWorld).toBeUndefined();
  });

  it("ext4's buffered write waits for direct I/O in flight from 6.12.111 on (file.c L296-300)", () => {
    // The dio is over for inode_dio_wait once its bio ended and its completion ran inode_dio_end;
    // that is an interleaving point of the completion (spec/atomicity.md), so a waiter may return
    // before the dio's own result is delivered: compare with the bio's end.
    const at = (k: KernelVersion): { written: number | null; done: number; dio: number } => {
      const r = runScenario(s, {
        source: new ArrayChoices([]),
        faults: NO_FAULTS,
        ops: KERNEL_VERSIONS[k],
        tracing: true,
      });
      const bw = r.fileOps[0];
      return {
        written: bw?.returned ?? null,
        done: bw?.returnStep ?? 0,
        dio: r.trace.find((e) => e.event === 'bio_endio')?.step ?? 0,
      };
    };
    const old = at('6.12.107');
    const fixed = at('6.12.111');
    expect(old.written).toBe(512);
    expect(fixed.written).toBe(512);
    expect(old.done).toBeLessThan(old.dio);
    expect(fixed.done).toBeGreaterThan(fixed.dio);
    for (const k of ['6.12.113', '6.12.115', '6.12.117', '6.12.118'] as const) expect(at(k)).toEqual(fixed);
  });
});
