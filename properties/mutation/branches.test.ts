/**
 * Seed branches whose only trace is a filesystem hook called, an inode marked dirty, a count the
 * result carries, or a coverage mark (a seed call the model does not carry out: the reach guards and
 * the campaign's coverage summary count these), each pinned on the smallest scenario that takes it.
 */
import { describe, expect, it } from 'vitest';
import { KERNEL_VERSIONS, resolveKernel } from '../../model/kernel/ops.ts';
import { releaseNamed } from '../../model/kernel/releases.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { runScenario } from '../../model/world/run.ts';
import {
  bios,
  expectPass,
  expectSyncResult,
  KiB,
  mapped,
  req,
  run,
  scenario,
  unwritten,
} from '../seed/helpers.ts';

describe('->submit_io (seed L77-80)', () => {
  it('hands every bio of the dio, zeroing bios included, to the filesystem that has one', () => {
    const s = (submitIo: boolean) =>
      scenario({
        fs: { extents: [unwritten(0, 8 * KiB)], submitIo },
        ops: [{ kind: 'dio_write', pos: 1 * KiB, len: 1 * KiB }],
      });
    const r = run(s(true));
    expectPass(r);
    expect(bios(r)).toHaveLength(3);
    expect(r.fs.submitIoCalls).toBe(3);
    expect([r.coverage[78], r.coverage[80]]).toEqual([3, 0]);
    const plain = run(s(false));
    expect(plain.fs.submitIoCalls).toBe(0);
    expect([plain.coverage[78], plain.coverage[80]]).toEqual([0, 3]);
  });
});

describe('task_io_account_write (seed L400-402, not modelled beyond its mark)', () => {
  it('is reached once per data bio of a write, never by a read', () => {
    const s = scenario({
      fs: { extents: [mapped(0, 8 * KiB)] },
      bioMaxVecs: 1,
      ops: [
        { kind: 'dio_write', pos: 0, len: 8 * KiB },
        { kind: 'dio_read', pos: 0, len: 8 * KiB },
      ],
    });
    const r = run(s);
    expectPass(r);
    expect(r.coverage[402]).toBe(2);
    expect(r.coverage[405]).toBe(2);
  });
});

describe('6.12 head zeroing (6.12.117 L382-389): called for every write into a zeroing extent', () => {
  it('marks seed L360 only where the write starts inside a block', () => {
    const s = (pos: number) =>
      scenario({ fs: { extents: [unwritten(0, 8 * KiB)] }, ops: [{ kind: 'dio_write', pos, len: 1 * KiB }] });
    for (const kernel of ['6.12.117', '6.12.118'] as const) {
      const at = (pos: number) =>
        runScenario(s(pos), { source: new ArrayChoices([]), faults: NO_FAULTS, ops: KERNEL_VERSIONS[kernel] })
          .coverage[360];
      expect([at(0), at(1 * KiB)], kernel).toEqual([0, 1]);
    }
  });
});

describe('inline data: mark_inode_dirty (seed L473-478)', () => {
  const INLINE = { offset: 0, length: 2 * KiB, type: 'inline' as const, inlineOffsetInPage: 1024 };
  it('marks the inode dirty for a write that copied, not for one that copied nothing', () => {
    const s = scenario({
      fs: { iSize: 2 * KiB, extents: [INLINE] },
      ops: [{ kind: 'dio_write', pos: 0, len: 1 * KiB }],
    });
    const ok = run(s);
    expectSyncResult(ok, 1, 1 * KiB);
    expect(ok.inode.dirtied).toBe(1);
    const faulted = run(s, { faults: { copyFaults: true }, choices: [1, 0] });
    expectSyncResult(faulted, 1, -14);
    expect(faulted.inode.dirtied).toBe(0);
  });
});

describe('done_before after a failed sync (seed L125-128)', () => {
  it('is not added to the error generic_write_sync returned', () => {
    const r = run(
      scenario({
        device: { fua: false },
        fs: { extents: [mapped(0, 8 * KiB)], fsyncErrno: 5 },
        ops: [{ kind: 'dio_write', pos: 0, len: 4 * KiB, iocbFlags: ['dsync'], doneBefore: 4 * KiB }],
      }),
    );
    expectPass(r);
    expect(r.fs.fsyncCalls).toBe(1);
    expectSyncResult(r, 1, -5);
    expect(req(r, 1).iocb.kiPos).toBe(4 * KiB);
  });
});

describe('kernel names (--kernel, replay files)', () => {
  it('resolves the seed, each exact release and the 6.12 alias, and nothing else', () => {
    expect(resolveKernel('seed')).toBe('seed');
    expect(resolveKernel('6.12.111')).toBe('6.12.111');
    expect(resolveKernel('6.12')).toBe('6.12.118');
    expect([resolveKernel('6.12.112'), resolveKernel('6.13'), resolveKernel('')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect([releaseNamed('6.12.107'), releaseNamed('seed')]).toEqual(['6.12.107', undefined]);
  });
});
