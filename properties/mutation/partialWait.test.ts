/**
 * IOMAP_DIO_PARTIAL after a fault part way (seed L678-682, iomapDioRwPartialWaits): the submitter
 * of an async request waits for the bios it did submit, so that its caller (btrfs, gfs2, with page
 * faults disabled) gets the short count back at once, faults the pages in and resumes; a NOWAIT
 * request may not sleep, so it is queued as any async request and its result comes through
 * ->ki_complete. A mutant that forgets the wait (or waits under NOWAIT) delivers the other way.
 */
import { describe, expect, it } from 'vitest';
import type { IocbFlag } from '../../model/world/scenario.ts';
import { bios, choicesAsked, expectPass, KiB, mapped, run, scenario, WRITE_OPF } from '../seed/helpers.ts';

// The buffer starts 512 bytes into a page and a bio holds one page: the first bio takes 3584 bytes,
// the next page-get faults (choice 1), and so does the retried iteration's.
function asyncPartialWrite(iocbFlags: readonly IocbFlag[]) {
  return run(
    scenario({
      fs: { iSize: 8 * KiB, extents: [mapped(0, 8 * KiB)] },
      bioMaxVecs: 1,
      ops: [
        {
          kind: 'dio_write',
          pos: 0,
          len: 8 * KiB,
          bufAddr: 0x10200,
          dioFlags: ['partial'],
          async: true,
          iocbFlags,
        },
        { kind: 'wait_async' },
      ],
    }),
    { faults: { pageFaults: true }, choices: [0, 1, 1] },
  );
}

describe('an async IOMAP_DIO_PARTIAL write that faults part way (seed L678-682)', () => {
  it('waits for its bios and returns the short count from the submitting task', () => {
    const r = asyncPartialWrite([]);
    expectPass(r);
    expect(choicesAsked(r)).toEqual([
      ['get_pages_fault', 0],
      ['get_pages_fault', 1],
    ]);
    expect(bios(r)).toEqual([{ sector: 2048, size: 3584, opf: WRITE_OPF }]);
    const q = r.requests[0];
    expect(q?.returned).toBe(3584);
    expect(q?.completions.map((c) => [c.res, c.context])).toEqual([[3584, 'task1']]);
    expect(r.trace.filter((e) => e.context === 'task1' && e.line === 727).map((e) => e.event)).toEqual([
      'blk_io_schedule',
    ]);
  });

  it('under NOWAIT does not wait: -EIOCBQUEUED, and the short count through ki_complete', () => {
    const r = asyncPartialWrite(['nowait']);
    expectPass(r);
    const q = r.requests[0];
    expect(q?.returned).toBe(-529);
    expect(q?.completions.map((c) => [c.res, c.context])).toEqual([[3584, 'dio_done_wq']]);
    expect(
      r.trace
        .filter((e) => e.line === 718 || e.line === 146)
        .map((e) => `${e.context} ${e.event} ${e.detail}`),
    ).toEqual(['task1 iomap_dio_rw_queued pos 3584 len 4608', 'dio_done_wq ki_complete res 3584']);
  });
});
