/**
 * The candidate fixes the correct model (FIXED_OPS) carries for two candidate findings of the seed
 * (model/kernel/ops.ts CANDIDATE_FIXES, spec/bugs.md), each on the smallest scenario that shows
 * it, side by side with the seed: what the fix changes, and that it changes only that.
 */
import { describe, expect, it } from 'vitest';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { FIXED_OPS, SEED_OPS } from '../../model/kernel/ops.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import { runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
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
