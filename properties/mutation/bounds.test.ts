/**
 * The bios-per-dio bound (model/runtime/runtime.ts DEFAULT_BOUNDS, checked in iomap_dio_submit_bio):
 * a dio may submit exactly biosPerDioMax bios; the next one ends the run on the bound, which is
 * not a verdict on the kernel (a campaign counts bound hits apart).
 */
import { describe, expect, it } from 'vitest';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { DEFAULT_BOUNDS } from '../../model/runtime/runtime.ts';
import { runScenario } from '../../model/world/run.ts';
import { KiB, mapped, scenario } from '../seed/helpers.ts';

// One page per bio: a write of n pages is n bios.
const write = (pages: number) =>
  runScenario(
    scenario({
      fs: { extents: [mapped(0, 16 * KiB)], iSize: 16 * KiB },
      bioMaxVecs: 1,
      ops: [{ kind: 'dio_write', pos: 0, len: pages * 4 * KiB }],
    }),
    { source: new ArrayChoices([]), faults: NO_FAULTS, bounds: { ...DEFAULT_BOUNDS, biosPerDioMax: 3 } },
  );

describe('the bios-per-dio bound (iomap_dio_submit_bio)', () => {
  it('lets a dio submit exactly biosPerDioMax bios', () => {
    const r = write(3);
    expect(r.bound).toBeNull();
    expect(r.outcome).toBe('pass');
    expect(r.disk.log).toHaveLength(3);
  });

  it('ends the run on the bound at the next bio', () => {
    const r = write(4);
    expect(r.violation).toBeNull();
    expect(r.bound?.message).toBe('bound biosPerDioMax (3) reached');
    expect(r.disk.log).toHaveLength(3);
  });
});
