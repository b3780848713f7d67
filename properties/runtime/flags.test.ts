/**
 * Kernel bug B21 (44842f647346, 923936efeb74, 02d374f3418d): flag namespaces whose bits collide or
 * whose top bit turns negative. In JavaScript `1 << 31` is negative, so the model folds every
 * dio->flags update back to unsigned; these tests keep that true.
 */
import { describe, expect, it } from 'vitest';
import * as flags from '../../model/kernel/flags.ts';

const group = (prefix: string, exclude: readonly string[] = []): Array<[string, number]> =>
  Object.entries(flags).filter(
    (e): e is [string, number] =>
      e[0].startsWith(prefix) && typeof e[1] === 'number' && !exclude.includes(e[0]),
  );

function expectDisjoint(entries: Array<[string, number]>): void {
  let seen = 0;
  for (const [name, bit] of entries) {
    expect(bit, name).toBeGreaterThan(0);
    expect((seen & bit) >>> 0, `${name} overlaps another flag`).toBe(0);
    seen = (seen | bit) >>> 0;
  }
}

describe('flag encoding (B21)', () => {
  it('keeps dio->flags bits pairwise disjoint, private and public end_io bits included', () => {
    const dioFlags = group('IOMAP_DIO_', [
      'IOMAP_DIO_FORCE_WAIT',
      'IOMAP_DIO_OVERWRITE_ONLY',
      'IOMAP_DIO_PARTIAL',
    ]);
    expect(dioFlags.length).toBe(8);
    expectDisjoint(dioFlags);
  });

  it('keeps the dio_flags argument, iomap flags, iomap_iter flags and kiocb flags disjoint within each namespace', () => {
    expectDisjoint(
      group('IOMAP_DIO_', []).filter(([n]) =>
        ['IOMAP_DIO_FORCE_WAIT', 'IOMAP_DIO_OVERWRITE_ONLY', 'IOMAP_DIO_PARTIAL'].includes(n),
      ),
    );
    expectDisjoint(group('IOMAP_F_'));
    expectDisjoint(group('IOCB_'));
    expectDisjoint([
      ['IOMAP_WRITE', flags.IOMAP_WRITE],
      ['IOMAP_DIRECT', flags.IOMAP_DIRECT],
      ['IOMAP_NOWAIT', flags.IOMAP_NOWAIT],
      ['IOMAP_OVERWRITE_ONLY', flags.IOMAP_OVERWRITE_ONLY],
    ]);
  });

  it('tests membership of bit 31 (IOMAP_DIO_DIRTY) independently of the sign', () => {
    expect(flags.IOMAP_DIO_DIRTY).toBe(2 ** 31);
    let f = 0;
    f = (f | flags.IOMAP_DIO_DIRTY | flags.IOMAP_DIO_WRITE) >>> 0;
    expect(f).toBeGreaterThan(0);
    expect((f & flags.IOMAP_DIO_DIRTY) !== 0).toBe(true);
    f = (f & ~flags.IOMAP_DIO_DIRTY) >>> 0;
    expect((f & flags.IOMAP_DIO_DIRTY) !== 0).toBe(false);
    expect(flags.formatDioFlags(flags.IOMAP_DIO_DIRTY)).toBe('DIRTY');
  });
});
