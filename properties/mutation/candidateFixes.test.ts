/**
 * The candidate fixes the correct model (FIXED_OPS) carries for candidate findings of the seed
 * (model/kernel/ops.ts CANDIDATE_FIXES, spec/bugs.md), each on the smallest scenario that shows
 * it, side by side with the seed: what the fix changes, and that it changes only that.
 */
import { describe, expect, it } from 'vitest';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { EAGAIN } from '../../model/kernel/flags.ts';
import { CANDIDATE_FIXES, FIXED_OPS, KERNEL_VERSIONS, SEED_OPS } from '../../model/kernel/ops.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import { runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { makeProbe } from '../invariants/registry.ts';
import { type ReplayFile, readReplayFile } from '../replay/replayFile.ts';
import {
  bios,
  KiB,
  mapped,
  media,
  scenario,
  unwritten,
  userTags,
  WRITE_OPF,
  zeros,
} from '../seed/helpers.ts';

function runOn(
  ops: Readonly<KernelOps>,
  s: Scenario,
  faults: Partial<FaultProfile> = {},
  choices: number[] = [],
) {
  const r = runScenario(s, { source: new ArrayChoices(choices), faults: { ...NO_FAULTS, ...faults }, ops });
  expect(r.outcome).toBe('pass');
  return r;
}

describe('zero-bio-not-polled: iomap_dio_zero clears IOCB_HIPRI first', () => {
  // A polled io_uring write of the last 512 bytes below EOF, inside a block: its tail past EOF is
  // zeroed with a bio of its own (seed L428-435), submitted while IOCB_HIPRI is still set.
  const s = scenario({
    device: { fua: false },
    fs: { iSize: 8 * KiB + 512, extents: [mapped(0, 16 * KiB)] },
    bioMaxVecs: 1,
    ops: [
      { kind: 'dio_write', pos: 8 * KiB, len: 512, async: true, iocbFlags: ['hipri', 'caller_comp'] },
      { kind: 'wait_async' },
    ],
  });
  const polled = `${WRITE_OPF}|POLLED`;

  it('the seed polls the data bio and the zeroing bio', () => {
    expect(bios(runOn(SEED_OPS, s)).map((b) => b.opf)).toEqual([polled, polled]);
  });

  it('the correct model polls the data bio only, and leaves the other kiocb flags alone', () => {
    const r = runOn(FIXED_OPS, s);
    expect(bios(r)).toEqual([
      { sector: 2064, size: 512, opf: polled },
      { sector: 2065, size: 3584, opf: WRITE_OPF },
    ]);
    expect(r.requests[0]?.completions.map((c) => [c.res, c.context])).toEqual([[512, 'issuer:req1']]);
    const seed = runOn(SEED_OPS, s);
    expect(r.requests[0]?.iocb.kiFlags).toBe(seed.requests[0]?.iocb.kiFlags);
  });
});

describe('head-zero-only-at-start: a resumed iteration does not zero the head it already wrote', () => {
  // An IOMAP_DIO_PARTIAL write into an unwritten extent whose second page faults: the first bio
  // holds 3584 bytes, and the iteration that retries from 3584 starts mid-block (seed L356-361).
  const s = scenario({
    fs: { iSize: 8 * KiB, extents: [unwritten(0, 8 * KiB)] },
    bioMaxVecs: 1,
    ops: [{ kind: 'dio_write', pos: 0, len: 8 * KiB, bufAddr: 0x10200, dioFlags: ['partial'] }],
  });
  const faults = { pageFaults: true };
  const choices = [0, 1, 1];

  it('the seed zeroes [0, 3584) again, over the data it reports as written', () => {
    const r = runOn(SEED_OPS, s, faults, choices);
    expect(r.requests[0]?.returned).toBe(3584);
    expect(media(r, 2048, 8)).toEqual(zeros(8));
  });

  it('the correct model keeps the data: only the tail of the block is zeroed, once per iteration', () => {
    const r = runOn(FIXED_OPS, s, faults, choices);
    expect(r.requests[0]?.returned).toBe(3584);
    expect(bios(r)).toEqual([
      { sector: 2048, size: 3584, opf: WRITE_OPF },
      { sector: 2055, size: 512, opf: WRITE_OPF },
      { sector: 2055, size: 512, opf: WRITE_OPF },
    ]);
    expect(media(r, 2048, 8)).toEqual([...userTags(1, 0, 7), ...zeros(1)]);
  });
});

describe('head-zero-only-at-start applies on top of a release', () => {
  // The releases zero the head in their own entries (6.12.117 L382-389, 6.12.118 L381-385), which
  // consult the same seam: a release with the candidate fix keeps the data as the correct model does.
  const s = scenario({
    fs: { iSize: 8 * KiB, extents: [unwritten(0, 8 * KiB)] },
    bioMaxVecs: 1,
    ops: [{ kind: 'dio_write', pos: 0, len: 8 * KiB, bufAddr: 0x10200, dioFlags: ['partial'] }],
  });
  const fix = CANDIDATE_FIXES['head-zero-only-at-start'];
  for (const release of ['6.12.117', '6.12.118'] as const) {
    it(`${release} zeroes [0, 3584) again; ${release} with the fix keeps it`, () => {
      const ops = KERNEL_VERSIONS[release];
      expect(media(runOn(ops, s, { pageFaults: true }, [0, 1, 1]), 2048, 7)).toEqual(zeros(7));
      const fixed = runOn({ ...ops, ...fix }, s, { pageFaults: true }, [0, 1, 1]);
      expect(media(fixed, 2048, 7)).toEqual(userTags(1, 0, 7));
    });
  }
});

/** A regression file's run on `ops`, every checker on (its choices by value: the kernels may ask more). */
function replayOn(file: ReplayFile, ops: Readonly<KernelOps>) {
  return runScenario(file.scenario, {
    source: new ArrayChoices(file.choices.map((c) => c.value)),
    faults: file.faults,
    ops,
    probe: makeProbe(),
  });
}

describe('nowait-partial-eagain-returns-count: a NOWAIT PARTIAL write refused part way returns its count', () => {
  // Detection stream seed 5 run 83,309: a NOWAIT PARTIAL write (done_before 3,584) maps [0, 12 KiB)
  // whole, submits its first bio, faults at 8 KiB, and the next ->iomap_begin answers -EAGAIN.
  const file = readReplayFile(
    'properties/regressions/nowait-partial-write-refused-part-way-returns-count.json',
  );
  const replay = (ops: Readonly<KernelOps>) => replayOn(file, ops);
  const last = (r: ReturnType<typeof replay>) =>
    r.requests.find((q) => q.id === 5)?.completions.map((c) => c.res);

  it('the seed and the releases return -EAGAIN after the first bio wrote (ARG-02)', () => {
    for (const ops of [SEED_OPS, KERNEL_VERSIONS['6.12.117'], KERNEL_VERSIONS['6.12.118']]) {
      const r = replay(ops);
      expect(r.violation?.invariant).toBe('ARG-02');
      expect(last(r)).toEqual([-EAGAIN]);
    }
  });

  it('the correct model returns done_before and the 4 KiB the bio wrote, and changes nothing before', () => {
    const r = replay(FIXED_OPS);
    expect(r.outcome).toBe('pass');
    expect(last(r)).toEqual([3584 + 4 * KiB]);
    expect(r.requests.slice(0, 4).map((q) => q.completions.map((c) => c.res))).toEqual(
      replay(KERNEL_VERSIONS['6.12.118'])
        .requests.slice(0, 4)
        .map((q) => q.completions.map((c) => c.res)),
    );
  });
});

describe('nowait-partial-eagain-returns-count leaves a NOWAIT write without IOMAP_DIO_PARTIAL failing', () => {
  // Swarm campaign seed 2 run 157,525: a NOWAIT write of 12 KiB without IOMAP_DIO_PARTIAL maps
  // [0, 12 KiB) whole, its page-get faults after its first bio, and the next ->iomap_begin refuses
  // the rest, which another write's conversion split (as XFS would, 6.12.117 fs/xfs/xfs_iomap.c
  // L852-856, or over a contended ILOCK, L733-737). Without PARTIAL the request fails either way
  // (the next page-get faults): ARG-02 does not hold its -EAGAIN (spec/fs.md).
  const file = readReplayFile('properties/regressions/nowait-write-faulted-then-refused-part-way.json');
  const replay = (ops: Readonly<KernelOps>) => replayOn(file, ops);

  it('every kernel returns -EAGAIN after the first bio wrote, and no invariant fails', () => {
    for (const ops of [SEED_OPS, KERNEL_VERSIONS['6.12.117'], KERNEL_VERSIONS['6.12.118'], FIXED_OPS]) {
      const r = replay(ops);
      expect(r.violation, r.violation?.message).toBeNull();
      const q = r.requests.find((x) => x.op.iocbFlags?.includes('nowait') === true);
      expect(q?.op.dioFlags ?? []).not.toContain('partial');
      expect(q?.completions.map((c) => c.res)).toEqual([-EAGAIN]);
      // What ARG-02 holds any other request to: its bios did I/O. Its page-get failed first.
      expect((q?.iocb.acct.biosSubmitted ?? 0) - (q?.iocb.acct.biosRefused ?? 0)).toBeGreaterThan(0);
      expect(q?.iocb.acct.pageGetFailed).toBe(true);
    }
  });
});
