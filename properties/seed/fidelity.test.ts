/**
 * Branches that survived mutation testing (README, "Mutation testing"): each test pins one seed
 * behaviour that no other test observed.
 */
import { describe, expect, it } from 'vitest';
import { IOMAP_DIRECT, IOMAP_NOWAIT, IOMAP_OVERWRITE_ONLY, IOMAP_WRITE } from '../../model/kernel/flags.ts';
import { KiB, mapped, run, scenario } from './helpers.ts';

describe('iomap_iter flags seen by ->iomap_begin (seed L546-552, L580-581, L597, L614)', () => {
  it('asks for IOMAP_DIRECT on a read and IOMAP_DIRECT|IOMAP_WRITE on a write', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [
          { kind: 'dio_read', pos: 0, len: 4 * KiB },
          { kind: 'dio_write', pos: 0, len: 4 * KiB },
        ],
      }),
    );
    expect(r.fs.iomapBeginCalls.map((c) => c.flags)).toEqual([IOMAP_DIRECT, IOMAP_DIRECT | IOMAP_WRITE]);
  });

  it('adds IOMAP_NOWAIT for IOCB_NOWAIT and IOMAP_OVERWRITE_ONLY for IOMAP_DIO_OVERWRITE_ONLY', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [
          { kind: 'dio_write', pos: 0, len: 4 * KiB, iocbFlags: ['nowait'] },
          { kind: 'dio_write', pos: 0, len: 4 * KiB, dioFlags: ['overwrite_only'] },
        ],
      }),
    );
    expect(r.fs.iomapBeginCalls.map((c) => c.flags)).toEqual([
      IOMAP_DIRECT | IOMAP_WRITE | IOMAP_NOWAIT,
      IOMAP_DIRECT | IOMAP_WRITE | IOMAP_OVERWRITE_ONLY,
    ]);
  });

  it('refuses OVERWRITE_ONLY when the write ends past i_size, even if it starts inside (L611-612)', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)], iSize: 6 * KiB },
        ops: [{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, dioFlags: ['overwrite_only'] }],
      }),
    );
    expect(r.requests[0]?.returned).toBe(-11);
    expect(r.fs.iomapBeginCalls).toEqual([]);
  });
});

describe('done_before (seed L127-128)', () => {
  it('is added to a positive result only, never to an error', () => {
    const r = run(
      scenario({
        fs: { extents: [mapped(0, 8 * KiB)] },
        ops: [{ kind: 'dio_write', pos: 0, len: 4 * KiB, doneBefore: 1024 }],
      }),
      { faults: { bioErrors: true }, choices: [1] },
    );
    expect(r.requests[0]?.returned).toBe(-5);
  });
});

describe('inline data (seed L468-485)', () => {
  const inline = { offset: 0, length: 4 * KiB, type: 'inline' as const };

  it('leaves i_size alone for a write that ends inside it', () => {
    const r = run(
      scenario({
        fs: { extents: [inline], iSize: 3 * KiB },
        ops: [{ kind: 'dio_write', pos: 0, len: 1 * KiB }],
      }),
    );
    expect(r.requests[0]?.returned).toBe(1 * KiB);
    expect(r.inode.iSize).toBe(3 * KiB);
  });

  it('returns -EFAULT when the copy into user memory faults at once', () => {
    const r = run(
      scenario({
        fs: { extents: [inline], iSize: 4 * KiB },
        ops: [{ kind: 'dio_read', pos: 0, len: 1 * KiB }],
      }),
      { faults: { copyFaults: true }, choices: [1, 0] },
    );
    expect(r.requests[0]?.returned).toBe(-14);
  });
});
