/**
 * The ext4 planted bugs (model/bugs/ext4.ts) break the model ext4 the way the kernel was broken
 * before each fix, not only somewhere an invariant notices: each test runs the bug's own scenario
 * with and without its quirk and checks the step the fix changed (spec/ext4.md, Planted bugs).
 * properties/bugs.test.ts checks that each is caught by the invariant it names.
 */
import { describe, expect, it } from 'vitest';
import { REQ_FUA, REQ_OP_FLUSH, REQ_OP_MASK, REQ_PREFLUSH } from '../../model/block/bio.ts';
import { EXT4_BUGS } from '../../model/bugs/ext4.ts';
import type { ModelExt4 } from '../../model/fs/ext4.ts';
import { EXT_UNWRITTEN, EXT_WRITTEN } from '../../model/fs/extentMap.ts';
import { EIOCBQUEUED } from '../../model/kernel/flags.ts';
import { FIXED_OPS } from '../../model/kernel/ops.ts';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import { makeProbe } from '../invariants/registry.ts';
import { hunt, runBugOnce } from '../support/hunt.ts';

function bug(name: string) {
  const b = EXT4_BUGS.find((x) => x.name === name);
  if (b === undefined) throw new Error(`no ext4 bug ${name}`);
  return b;
}

/** The bug's scenario on every choice 0, with its quirks (`planted`) or on the correct model. */
function runQuiet(name: string, planted: boolean): RunResult {
  const b = bug(name);
  return runScenario(b.scenario, {
    source: new ArrayChoices([]),
    faults: b.faults,
    probe: makeProbe(),
    ops: FIXED_OPS,
    quirks: planted ? (b.quirks ?? {}) : {},
    tracing: true,
  });
}

function ext4Of(r: RunResult): ModelExt4 {
  const fs = r.xfs;
  if (fs === null || !('iDatasyncTid' in fs)) throw new Error('no model ext4 in this run');
  return fs as ModelExt4;
}

/** Each bio as `flush`, `commit` (a jbd2 commit record) or `data`, with P (PREFLUSH) and F (FUA). */
function bioKinds(r: RunResult): string[] {
  const logStart = ext4Of(r).journal.logStart;
  return r.disk.log.map((b) => {
    if ((b.opf & REQ_OP_MASK) === REQ_OP_FLUSH) return 'flush';
    const f = `${b.opf & REQ_PREFLUSH ? 'P' : ''}${b.opf & REQ_FUA ? 'F' : ''}`;
    return `${b.sector >= logStart ? 'commit' : 'data'}${f === '' ? '' : `:${f}`}`;
  });
}

const at = (r: RunResult, event: string): number => r.trace.findIndex((e) => e.event === event);

describe('the ext4 planted bugs', () => {
  it('are all on the model ext4', () => {
    expect(EXT4_BUGS.length).toBeGreaterThanOrEqual(4);
    for (const b of EXT4_BUGS) expect(b.scenario.fs.model, b.name).toBe('ext4');
  });

  it('ext4-no-dirty-past-eof: the extending O_DSYNC write goes out FUA and nothing commits its size', () => {
    const ok = runQuiet('ext4-no-dirty-past-eof', false);
    expect(ok.violation).toBeNull();
    // Correct: IOMAP_F_DIRTY, so the data goes without FUA and generic_write_sync commits.
    expect(bioKinds(ok)).toEqual(['data', 'commit:PF']);
    const bad = runQuiet('ext4-no-dirty-past-eof', true);
    expect(bioKinds(bad)).toEqual(['data:F']);
    expect(bad.requests[0]?.returned).toBe(4096);
    expect(bad.violation?.invariant).toBe('DUR-01');
  });

  it('ext4-size-update-after-dio: the O_DSYNC commit runs before ext4_handle_inode_extension', () => {
    const ok = runQuiet('ext4-size-update-after-dio', false);
    expect(ok.violation).toBeNull();
    expect(at(ok, 'ext4_handle_inode_extension')).toBeLessThan(at(ok, 'jbd2_commit_record'));
    const bad = runQuiet('ext4-size-update-after-dio', true);
    expect(at(bad, 'jbd2_commit_record')).toBeGreaterThanOrEqual(0);
    expect(at(bad, 'ext4_handle_inode_extension')).toBeGreaterThan(at(bad, 'jbd2_commit_record'));
    // The size reaches memory and the journal, but after the commit the caller waited for.
    expect(bad.inode.iSize).toBe(8192);
    expect(bad.violation?.invariant).toBe('DUR-01');
  });

  it('ext4-unaligned-aio-not-serialised: the unaligned write zeroes while the aligned one is in flight', () => {
    const b = bug('ext4-unaligned-aio-not-serialised');
    /** Does task2 zero part of block 2 after task1 submitted to it and before task1's conversion? */
    const zeroesUnderInflight = (r: RunResult): boolean => {
      const submitted = r.trace.findIndex((e) => e.context === 'task1' && e.event === 'submit_bio');
      const converted = r.trace.findIndex((e) => e.event === 'ext4_convert_unwritten_extents');
      return r.trace.some(
        (e, i) =>
          e.context === 'task2' &&
          e.event === 'iomap_dio_zero' &&
          submitted >= 0 &&
          i > submitted &&
          (converted < 0 || i < converted),
      );
    };
    const found = hunt(b, '1', 200);
    expect(found.invariant).toBe('SYS-03');
    expect(zeroesUnderInflight(runBugOnce(b, found.runSeed ?? '', false, true))).toBe(true);
    // The correct model waits (inode_dio_wait), so across the same seeds it never does.
    for (let i = 0; i < 50; i++) {
      const ok = runBugOnce(b, `${b.name}:1:${i}`, true, true);
      expect(ok.violation).toBeNull();
      expect(zeroesUnderInflight(ok), `run ${i}`).toBe(false);
    }
  });

  it('ext4-unaligned-aio-not-waited: the unaligned async write returns before it completes', () => {
    const ok = runQuiet('ext4-unaligned-aio-not-waited', false);
    expect(ok.violation).toBeNull();
    expect(ok.requests[0]?.returned).toBe(1024);
    const bad = runQuiet('ext4-unaligned-aio-not-waited', true);
    expect(bad.requests[0]?.returned).toBe(-EIOCBQUEUED);
  });

  it('ext4-convert-on-error: a failed write leaves its block written only with the bug', () => {
    const b = bug('ext4-convert-on-error');
    const found = hunt(b, '1', 200);
    expect(found.invariant).toBe('STALE-03');
    const seed = found.runSeed ?? '';
    const bad = runBugOnce(b, seed);
    const ok = runBugOnce(b, seed, true);
    // The same choices up to end_io: the write into block 2 failed in both runs.
    expect(bad.requests[0]?.returned).toBeLessThan(0);
    expect(ok.requests[0]?.returned).toBe(bad.requests[0]?.returned);
    expect(ext4Of(bad).map.state[2]).toBe(EXT_WRITTEN);
    expect(ext4Of(ok).map.state[2]).toBe(EXT_UNWRITTEN);
    expect(ok.violation).toBeNull();
  });
});
