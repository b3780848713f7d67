/**
 * The scripted filesystem as a whole filesystem (FsSpec.generic, model/world/scriptedFs.ts and
 * model/fs/genericCaller.ts): the file's data on the disk, new blocks holes to reads until a write
 * completes into them, unwritten blocks converted by ->end_io, sub-block writes serialised; and the
 * data invariants (STALE-01, DATA-01) judging such runs, which they skip on the plain provider.
 */
import { describe, expect, it } from 'vitest';
import { bugByName, opsFor } from '../../model/bugs/catalogue.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { FIXED_OPS } from '../../model/kernel/ops.ts';
import { isUserTag, TAG_ZERO, tagUnit, tagWriteId } from '../../model/mm/tags.ts';
import { ArrayChoices, SeededChoices } from '../../model/runtime/choice.ts';
import { type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import { KiB, unwritten, written } from '../../model/world/extents.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { ExtentSpec, OpSpec, Scenario } from '../../model/world/scenario.ts';
import { makeProbe } from '../invariants/registry.ts';

const probe = makeProbe();

function scenario(
  extents: readonly ExtentSpec[],
  threads: ReadonlyArray<readonly OpSpec[]>,
  generic = true,
): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: false, writeCache: false },
    fs: {
      model: 'scripted',
      blockSize: 4096,
      iSize: 16 * KiB,
      extents,
      ...(generic ? { generic: true } : {}),
    },
    bioMaxVecs: 1,
    threads,
  };
}

function run(
  s: Scenario,
  seed?: string,
  ops: Readonly<KernelOps> = FIXED_OPS,
  faults: FaultProfile = NO_FAULTS,
) {
  return runScenario(s, {
    source: seed === undefined ? new ArrayChoices([]) : new SeededChoices(seed, 0.25),
    faults,
    probe,
    ops,
  });
}

/** What the last read of the run returned, one tag per sector. */
function lastRead(r: RunResult): number[] {
  const q = [...r.requests].reverse().find((x) => x.op.kind === 'dio_read');
  if (q === undefined) throw new Error('no read');
  return Array.from(q.buf.tags.subarray(0, q.op.len >> 9));
}

const writer = (t: number) =>
  isUserTag(t) ? `w${tagWriteId(t)}:${tagUnit(t)}` : t === TAG_ZERO ? '0' : `?${t}`;
const newExtent: ExtentSpec = { ...written(0, 8 * KiB), flags: ['new'] };
const read0 = (len: number): OpSpec => ({ kind: 'dio_read', pos: 0, len });

describe('the scripted filesystem as a whole filesystem (FsSpec.generic)', () => {
  it("holds the file's original data in its mapped blocks", () => {
    const r = run(scenario([written(0, 16 * KiB)], [[read0(1024)]]));
    expect(r.violation).toBeNull();
    expect(lastRead(r).map(writer)).toEqual(['w0:0', 'w0:1']);
  });

  it('shows a new block to reads as a hole until a write completed into it', () => {
    const before = run(scenario([newExtent], [[read0(1024)]]));
    expect(lastRead(before).map(writer)).toEqual(['0', '0']);
    const after = run(scenario([newExtent], [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }, read0(1024)]]));
    expect(after.violation).toBeNull();
    expect(lastRead(after).map(writer)).toEqual(['w1:0', 'w1:1']);
  });

  it('converts the unwritten blocks a write covered, in ->end_io', () => {
    const ops: OpSpec[] = [{ kind: 'dio_write', pos: 0, len: 512 }, read0(1024)];
    const r = run(scenario([unwritten(0, 16 * KiB)], [ops]));
    expect(r.violation).toBeNull();
    expect(lastRead(r).map(writer)).toEqual(['w1:0', '0']);
    // The plain provider never converts: the same read sees zeros where the write put data.
    const plain = run(scenario([unwritten(0, 16 * KiB)], [ops], false));
    expect(lastRead(plain).map(writer)).toEqual(['0', '0']);
  });

  it("serialises sub-block writes into one block, so that no interleaving loses one to the other's zeroing", () => {
    const s = scenario(
      [unwritten(0, 16 * KiB)],
      [[{ kind: 'dio_write', pos: 0, len: 512 }, read0(1024)], [{ kind: 'dio_write', pos: 512, len: 512 }]],
    );
    for (let i = 0; i < 60; i++)
      expect(
        run(s, `generic-serial:${i}`, FIXED_OPS, { ...NO_FAULTS, interleave: true }).violation,
      ).toBeNull();
  });

  it('gives back a new block a failed sub-block write allocated, so the next write zeroes around its data', () => {
    // A write whose user buffer is misaligned fails (-EINVAL) after ->iomap_begin allocated the
    // block and before any bio; ->iomap_end gives the block back (btrfs_dio_iomap_end). The next
    // sub-block write must then be told IOMAP_F_NEW again, or the rest of its block, never
    // zeroed, is read back as stale disk contents (campaign seed 889856612, run 7759).
    const s = scenario(
      [{ ...written(0, 4 * KiB), flags: ['new'] }],
      [
        [{ kind: 'dio_write', pos: 0, len: 512, bufAddr: 65537 }],
        [{ kind: 'dio_write', pos: 0, len: 512 }, read0(1024)],
      ],
    );
    const r = run(s);
    expect(r.requests[0]?.returned).toBe(-22);
    expect(r.violation).toBeNull();
    expect(lastRead(r).map(writer)).toEqual(['w2:0', '0']);
  });

  it('grows i_size when a write past EOF completes, so a later write at the old EOF zeroes nothing of it', () => {
    // Campaign seed 11 run 120,243: without the size update, the second write's EOF tail zeroing
    // (seed L428-435) wiped the first write's data past the old size (RES-07 on the correct model).
    const base = scenario(
      [written(0, 4 * KiB)],
      [[{ kind: 'dio_write', pos: 0, len: 4 * KiB }, { kind: 'dio_write', pos: 0, len: 512 }, read0(1024)]],
    );
    const r = run({ ...base, fs: { ...base.fs, iSize: 512 } });
    expect(r.violation).toBeNull();
    expect(lastRead(r).map(writer)).toEqual(['w2:0', 'w1:1']);
  });

  it('gives back the new blocks of a write that failed, so the next write into them zeroes around its data', () => {
    // Campaign seed 66 run 18,082: a sub-block write's data bio failed after its zeroing bios
    // reached the new blocks; the next sub-block write into one of them was not told IOMAP_F_NEW,
    // and its success published the failed write's never-written bytes (STALE-01).
    const s = scenario(
      [{ ...written(0, 8 * KiB), flags: ['new'] }],
      [
        [
          { kind: 'dio_write', pos: 512, len: 4 * KiB },
          { kind: 'dio_write', pos: 4608, len: 512 },
          { kind: 'dio_read', pos: 4 * KiB, len: 1024 },
        ],
      ],
    );
    let reached = 0;
    for (let i = 0; i < 200; i++) {
      const r = run(s, `generic-failed:${i}`, FIXED_OPS, { ...NO_FAULTS, submitErrors: true });
      expect(r.violation, r.violation?.message).toBeNull();
      if (r.requests[0]?.returned === -5 && r.requests[1]?.returned === 512) reached++;
    }
    expect(reached).toBeGreaterThan(0);
  });

  it('lets a write that shares a new block with a failed one still publish it', () => {
    // Campaign seed 77 run 187,550: two aligned writes were given the same new block; the first
    // failed, and giving the block back then hid the second's data from the read (DATA-01).
    const s = scenario(
      [{ ...written(0, 8 * KiB), flags: ['new'] }],
      [
        [{ kind: 'dio_write', pos: 0, len: 8 * KiB }],
        [
          { kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB },
          { kind: 'dio_read', pos: 4 * KiB, len: 1024 },
        ],
      ],
    );
    let reached = 0;
    for (let i = 0; i < 300; i++) {
      const faults = { ...NO_FAULTS, submitErrors: true, interleave: true };
      const r = run(s, `generic-shared:${i}`, FIXED_OPS, faults);
      expect(r.violation, r.violation?.message).toBeNull();
      const [first, second] = r.requests;
      if (first?.returned === -5 && second?.returned === 4 * KiB && second.returnStep > first.returnStep)
        reached++;
    }
    expect(reached).toBeGreaterThan(0);
  });

  it('lets the data invariants catch a zeroing bug the plain provider hides', () => {
    const bug = bugByName('zeroing-overlaps-data');
    if (bug === undefined) throw new Error('no such bug');
    const threads = bug.scenario.threads;
    const ops = opsFor(bug);
    const generic = run(scenario([unwritten(0, 16 * KiB)], threads), undefined, ops);
    expect(generic.violation?.invariant).toMatch(/^(DATA-01|STALE-01)$/);
    expect(run(scenario([unwritten(0, 16 * KiB)], threads, false), undefined, ops).violation).toBeNull();
  });
});
