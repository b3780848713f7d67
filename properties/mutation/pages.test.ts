/**
 * The user pages a direct I/O pinned, when its bios complete (seed L225-231, release_bio): a read
 * into user memory leaves them dirty (bio_check_pages_dirty: the device wrote them), a write only
 * unpins them (bio_release_pages(bio, false)): a write reads its source pages, and dirtying them
 * would have a page-cache-backed buffer written back for nothing. On the seed and on 6.12, whose
 * iomap_dio_bio_end_io is its own copy (model/kernel/v6_12.ts).
 */
import { describe, expect, it } from 'vitest';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { runScenario } from '../../model/world/run.ts';
import { KiB, mapped, scenario } from '../seed/helpers.ts';

const s = scenario({
  fs: { extents: [mapped(0, 16 * KiB)], iSize: 16 * KiB },
  bioMaxVecs: 1,
  ops: [
    { kind: 'dio_write', pos: 0, len: 8 * KiB },
    { kind: 'dio_read', pos: 0, len: 8 * KiB },
    { kind: 'dio_write', pos: 8 * KiB, len: 8 * KiB, async: true },
    { kind: 'dio_read', pos: 8 * KiB, len: 8 * KiB, async: true },
    { kind: 'wait_async' },
  ],
});

describe('the pinned user pages after completion (seed L225-231)', () => {
  for (const kernel of ['seed', '6.12.117'] as const) {
    it(`${kernel}: a write leaves its source pages clean, a read leaves its pages dirty; all unpinned`, () => {
      const r = runScenario(s, {
        source: new ArrayChoices([]),
        faults: NO_FAULTS,
        ops: KERNEL_VERSIONS[kernel],
      });
      expect(r.outcome).toBe('pass');
      expect(r.requests.map((q) => q.returned)).toEqual([8 * KiB, 8 * KiB, -529, -529]);
      // Each buffer has a page past its end, which no bio pinned.
      expect(r.requests.map((q) => Array.from(q.buf.dirty))).toEqual([
        [0, 0, 0],
        [1, 1, 0],
        [0, 0, 0],
        [1, 1, 0],
      ]);
      for (const q of r.requests) expect(Array.from(q.buf.pins)).toEqual([0, 0, 0]);
    });
  }
});
