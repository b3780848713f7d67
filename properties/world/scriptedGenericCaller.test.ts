/**
 * The caller around iomap_dio_rw of the scripted filesystem as a whole filesystem
 * (model/fs/genericCaller.ts) and its page-cache side (model/fs/genericBuffered.ts): the buffered
 * fallback after -ENOTBLK, also part way through a request, written back and dropped; the
 * IOMAP_DIO_PARTIAL resume loop with page faults disabled; a read finished from the page cache;
 * buffered reads and writes read back; and the rules that keep the model to what btrfs, gfs2, XFS
 * and ext4 do (each test that pins one fails without it).
 */
import { describe, expect, it } from 'vitest';
import { EAGAIN, EINVAL } from '../../model/kernel/flags.ts';
import { FIXED_OPS } from '../../model/kernel/ops.ts';
import { isUserTag, TAG_ZERO, tagUnit, tagWriteId } from '../../model/mm/tags.ts';
import { ArrayChoices, SeededChoices } from '../../model/runtime/choice.ts';
import { type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import { hole, KiB, unwritten, written } from '../../model/world/extents.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { DioOpSpec, ExtentSpec, FsSpec, OpSpec, Scenario } from '../../model/world/scenario.ts';
import { makeProbe } from '../invariants/registry.ts';

const probe = makeProbe();

function scenario(
  extents: readonly ExtentSpec[],
  threads: ReadonlyArray<readonly OpSpec[]>,
  fs: Partial<FsSpec> = {},
  lbs: 512 | 4096 = 512,
): Scenario {
  return {
    device: { logicalBlockSize: lbs, fua: false, writeCache: false },
    fs: { model: 'scripted', blockSize: 4096, iSize: 16 * KiB, extents, generic: true, ...fs },
    bioMaxVecs: 1,
    threads,
  };
}

function run(s: Scenario, seed?: string, faults: FaultProfile = NO_FAULTS, tracing = false): RunResult {
  return runScenario(s, {
    source: seed === undefined ? new ArrayChoices([]) : new SeededChoices(seed, 0.3),
    faults,
    probe,
    ops: FIXED_OPS,
    tracing,
  });
}

const who = (t: number) =>
  isUserTag(t) ? `w${tagWriteId(t)}:${tagUnit(t)}` : t === TAG_ZERO ? '0' : `?${t}`;

/** What the request `id` read, one tag per sector of what it returned. */
function readOf(r: RunResult, id: number): string[] {
  const q = r.requests.find((x) => x.id === id);
  if (q === undefined) throw new Error(`no req${id}`);
  const n = Math.max(0, (q.completions[0]?.res ?? 0) >> 9);
  return Array.from(q.buf.tags.subarray(0, n)).map(who);
}

const own = (id: number, units: number, from = 0) =>
  Array.from({ length: units }, (_, u) => `w${id}:${from + u}`);
const events = (r: RunResult, name: string) => r.trace.filter((t) => t.event === name).length;
const read = (pos: number, len: number, extra: Partial<DioOpSpec> = {}): OpSpec => ({
  kind: 'dio_read',
  pos,
  len,
  ...extra,
});
const write = (pos: number, len: number, extra: Partial<DioOpSpec> = {}): OpSpec => ({
  kind: 'dio_write',
  pos,
  len,
  ...extra,
});
const TWO = [written(0, 4 * KiB), written(4 * KiB, 12 * KiB)];

describe('the buffered fallback', () => {
  it('finishes a write that hit -ENOTBLK part way through the page cache, written back and dropped', () => {
    const r = run(
      scenario(TWO, [[write(0, 8 * KiB), read(0, 8 * KiB)]], { notblkFrom: 4 * KiB }),
      undefined,
      NO_FAULTS,
      true,
    );
    expect(r.violation, r.violation?.message).toBeNull();
    expect(r.requests[0]?.completions[0]?.res).toBe(8 * KiB);
    expect(r.requests[0]?.iocb.kiPos).toBe(8 * KiB);
    // The first 4 KiB by a bio of the direct write, the rest by writeback of the page cache.
    expect(events(r, 'btrfs_buffered_write')).toBe(1);
    expect(readOf(r, 2)).toEqual(own(1, 16));
    // invalidate_mapping_pages dropped the clean pages the fallback wrote.
    expect(r.inode.iMapping.nrpages).toBe(0);
  });

  it('gives writeback a disk block for a hole the fallback wrote, which a later direct read sees', () => {
    const extents = [written(0, 4 * KiB), hole(4 * KiB, 4 * KiB)];
    const r = run(scenario(extents, [[write(0, 8 * KiB), read(4 * KiB, 4 * KiB)]], { notblkFrom: 4 * KiB }));
    expect(r.violation, r.violation?.message).toBeNull();
    expect(r.requests[0]?.completions[0]?.res).toBe(8 * KiB);
    expect(readOf(r, 2)).toEqual(own(1, 8, 8));
  });

  it("keeps a hole a hole when the fallback's writeback failed (the write fails, no stale read)", () => {
    // Campaign seed 4 run 2,925 before the fix: the block allocated for writeback was the file's
    // at once, so a read after the failed writeback returned whatever that disk block held.
    const extents = [written(0, 4 * KiB), hole(4 * KiB, 4 * KiB)];
    const s = scenario(extents, [[write(0, 8 * KiB), read(0, 8 * KiB)]], { notblkFrom: 4 * KiB });
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      const r = run(s, `fallback-wb-error:${i}`, { ...NO_FAULTS, bioErrors: true });
      expect(r.violation, r.violation?.message).toBeNull();
      if (r.requests[0]?.iocb.fellBackToBuffered && (r.requests[0]?.completions[0]?.res ?? 0) < 0) {
        failed++;
        const tags = readOf(r, 2);
        if (tags.length === 16) expect(tags.slice(8)).toEqual(Array(8).fill('0'));
      }
    }
    expect(failed).toBeGreaterThan(0);
  });

  it('refuses a NOWAIT write that would need buffered I/O part way, before any bio (-EAGAIN)', () => {
    const r = run(scenario(TWO, [[write(0, 8 * KiB, { iocbFlags: ['nowait'] })]], { notblkFrom: 4 * KiB }));
    expect(r.violation, r.violation?.message).toBeNull();
    expect(r.requests[0]?.completions[0]?.res).toBe(-EAGAIN);
    expect(r.requests[0]?.iocb.acct.biosSubmitted).toBe(0);
  });

  it('refuses a NOWAIT write its mapping does not cover whole, before any bio (-EAGAIN)', () => {
    // Campaign seed 2 run 12,483 before the rule: a NOWAIT write over two mappings wrote the
    // first and returned -EAGAIN, which no filesystem that takes NOWAIT writes lets happen.
    const r = run(scenario(TWO, [[write(0, 8 * KiB, { iocbFlags: ['nowait'] })]]));
    expect(r.requests[0]?.completions[0]?.res).toBe(-EAGAIN);
    expect(r.requests[0]?.iocb.acct.biosSubmitted).toBe(0);
    const whole = run(scenario([written(0, 16 * KiB)], [[write(0, 8 * KiB, { iocbFlags: ['nowait'] })]]));
    expect(whole.requests[0]?.completions[0]?.res).toBe(8 * KiB);
  });

  it('refuses a NOWAIT write that would allocate or copy on write, before any bio (-EAGAIN)', () => {
    // Campaign --kernel 6.12.117 seed -1393008739 run 7,623 before the rule: a NOWAIT write was
    // given new blocks, and its second mapping after a short page-get was refused part way.
    const fresh = [{ ...written(0, 8 * KiB), flags: ['new' as const] }];
    const r = run(scenario(fresh, [[write(0, 8 * KiB, { iocbFlags: ['nowait'] })]]));
    expect(r.requests[0]?.completions[0]?.res).toBe(-EAGAIN);
    expect(r.requests[0]?.iocb.acct.biosSubmitted).toBe(0);
    const shared = [{ ...written(0, 8 * KiB), flags: ['shared' as const] }];
    expect(
      run(scenario(shared, [[write(0, 4 * KiB, { iocbFlags: ['nowait'] })]])).requests[0]?.returned,
    ).toBe(-EAGAIN);
  });

  it('refuses a write not aligned to the logical block size before iomap (-EINVAL), as XFS and ext4 do', () => {
    // Campaign seed 1 run 3,963 before the rule: the page cache took a write at byte 1, which the
    // model's 512-byte data tags cannot place.
    const r = run(scenario(TWO, [[write(1, 4 * KiB)]], { notblkFrom: 0 }));
    expect(r.violation, r.violation?.message).toBeNull();
    expect(r.requests[0]?.completions[0]?.res).toBe(-EINVAL);
    expect(r.requests[0]?.iocb.acct.biosSubmitted).toBe(0);
  });
});

describe('IOMAP_DIO_PARTIAL with page faults disabled, and the resume loop', () => {
  const faults: FaultProfile = { ...NO_FAULTS, pageFaults: true };

  it('resumes a write whose second page was not resident: two calls, the whole count, the data in place', () => {
    // The first choice: page 1 of the buffer is not resident (option 2 of 4); nothing else faults.
    const s = scenario(
      [written(0, 16 * KiB)],
      [[write(0, 12 * KiB, { dioFlags: ['partial'] }), read(0, 12 * KiB)]],
    );
    const r = runScenario(s, { source: new ArrayChoices([2]), faults, probe, ops: FIXED_OPS, tracing: true });
    expect(r.violation, r.violation?.message).toBeNull();
    expect(events(r, 'dio_resume')).toBe(1);
    expect(events(r, 'iomap_dio_rw_begin')).toBe(3);
    expect(r.requests[0]?.completions[0]?.res).toBe(12 * KiB);
    expect(r.requests[0]?.iocb.acct.partialFault).toBe(true);
    expect(readOf(r, 2)).toEqual(own(1, 24));
  });

  it('falls back to buffered I/O when a retry makes no progress (a page that is gone)', () => {
    // Page 1 is gone for good: the retry faults at once, the loop gives up (-ENOTBLK) and the
    // page cache copy faults there too, so the write fails after its direct part.
    const s = scenario(
      [written(0, 16 * KiB)],
      [[write(0, 12 * KiB, { dioFlags: ['partial'], badPage: { index: 1, how: 'munmap' } })]],
    );
    const r = run(s, undefined, faults, true);
    expect(r.violation, r.violation?.message).toBeNull();
    expect(events(r, 'dio_resume')).toBe(1);
    expect(events(r, 'btrfs_buffered_write')).toBe(1);
    expect(r.requests[0]?.completions[0]?.res).toBe(-14);
    expect(r.requests[0]?.iocb.kiPos).toBe(4 * KiB);
  });

  it('resumes a read, and finishes one whose page is gone from the page cache (filemap_read)', () => {
    const resumed = runScenario(
      scenario([written(0, 16 * KiB)], [[read(0, 12 * KiB, { dioFlags: ['partial'] })]]),
      { source: new ArrayChoices([3]), faults, probe, ops: FIXED_OPS, tracing: true },
    );
    expect(resumed.violation, resumed.violation?.message).toBeNull();
    expect(events(resumed, 'dio_resume')).toBe(1);
    expect(readOf(resumed, 1)).toEqual(own(0, 24));
    // A buffer page that is not there at all: the loop gives up, filemap_read copies up to it.
    const gone = run(
      scenario(
        [written(0, 16 * KiB)],
        [[read(0, 12 * KiB, { dioFlags: ['partial'], badPage: { index: 2, how: 'munmap' } })]],
      ),
      undefined,
      faults,
      true,
    );
    expect(gone.violation, gone.violation?.message).toBeNull();
    expect(events(gone, 'filemap_read')).toBe(1);
    expect(gone.requests[0]?.completions[0]?.res).toBe(8 * KiB);
  });

  it('does not judge a data tag a resumed read with a buffer off a 512-byte boundary split between calls', () => {
    // Campaign seed -1685173782 run 41,727: the zeroing of an unwritten block stops at the
    // buffer's page boundary 4,095 bytes in, the resumed call zeroes the last byte, and the tag of
    // bytes 3,584-4,095 (one per 512 bytes of the buffer) stays untouched though all of it moved.
    const s = scenario(
      [{ ...written(0, 4 * KiB), type: 'unwritten' }],
      [[read(0, 4 * KiB, { dioFlags: ['partial'], bufAddr: 0x10001 })]],
    );
    // As gfs2 6.12 does (the world quirk): the loop resumes at 4,095.
    const r = runScenario(s, {
      source: new ArrayChoices([2]),
      faults,
      probe,
      ops: FIXED_OPS,
      tracing: true,
      quirks: { genericResumeMidSector: true },
    });
    expect(r.violation, r.violation?.message).toBeNull();
    expect(events(r, 'dio_resume')).toBe(1);
    expect(r.requests[0]?.completions[0]?.res).toBe(4 * KiB);
    // The copy that reaches the end of a unit tags it (iovIter fillTags): the resumed call's zeros.
    // Before 032255b the unit stayed untouched, which is why tagsSplitByResume skips such a read.
    expect(who(r.requests[0]?.buf.tags[7] ?? 0)).toBe('0');
    // The correct model ends the direct part at 4,095 and the page cache reads the last byte: the
    // same unit split between the call and filemap_read.
    const fixed = runScenario(s, {
      source: new ArrayChoices([2]),
      faults,
      probe,
      ops: FIXED_OPS,
      tracing: true,
    });
    expect(fixed.violation, fixed.violation?.message).toBeNull();
    expect(events(fixed, 'dio_resume')).toBe(0);
    expect(events(fixed, 'filemap_read')).toBe(1);
    expect(fixed.requests[0]?.completions[0]?.res).toBe(4 * KiB);
    expect(who(fixed.requests[0]?.buf.tags[7] ?? 0)).toBe('0');
  });

  it('survives every interleaving of seeded runs of an extending write beside a resumed read at EOF', () => {
    // Campaign seed 1 run 16,826 before the rule: the extending write took the inode lock shared,
    // its completion grew i_size while the read's loop resumed at the old, unaligned EOF.
    // btrfs takes it exclusive for a write past EOF (L873-874, L910-917): the read waits.
    const s = scenario(
      [written(0, 4 * KiB)],
      [[write(0, 4 * KiB)], [read(0, 4 * KiB, { dioFlags: ['partial'] })]],
      { iSize: 2 * KiB },
      4096,
    );
    for (let i = 0; i < 100; i++) {
      const r = run(s, `extend-beside-read:${i}`, { ...NO_FAULTS, interleave: true });
      expect(r.violation, r.violation?.message).toBeNull();
    }
  });
});

describe('buffered I/O and the read-back', () => {
  it('reads back a buffered write through the page cache, and a direct read writes it back first', () => {
    const s = scenario(
      [written(0, 16 * KiB)],
      [
        [
          { kind: 'buffered_write', pos: 4 * KiB, len: 4 * KiB },
          { kind: 'buffered_read', pos: 0, len: 8 * KiB },
          read(4 * KiB, 4 * KiB),
        ],
      ],
    );
    const r = run(s);
    expect(r.violation, r.violation?.message).toBeNull();
    const b = r.fileOps[1]?.buf;
    expect(Array.from(b?.tags.subarray(0, 16) ?? []).map(who)).toEqual([...own(0, 8), ...own(1, 8)]);
    expect(readOf(r, 3)).toEqual(own(1, 8));
  });

  it('lets a buffered read see a direct write that returned (PC-01 on the generic filesystem)', () => {
    const s = scenario(
      [written(0, 16 * KiB)],
      [
        [
          { kind: 'buffered_read', pos: 0, len: 4 * KiB },
          write(0, 4 * KiB),
          { kind: 'buffered_read', pos: 0, len: 4 * KiB },
        ],
      ],
    );
    const r = run(s);
    expect(r.violation, r.violation?.message).toBeNull();
    expect(Array.from(r.fileOps[1]?.buf?.tags.subarray(0, 8) ?? []).map(who)).toEqual(own(2, 8));
  });
});

describe('candidate findings on btrfs and gfs2 6.12: the release behaviour as a world quirk, the candidate fix in the correct model', () => {
  it('resumes a PARTIAL read trimmed at an unaligned EOF at that EOF, which fails -EINVAL once the file grew', () => {
    // Campaign seed 11 run 77,175: iomap_dio_rw leaves the iter count > 0 for a read trimmed at
    // EOF (seed L675-676), so the loop calls again at the old EOF; an async write's completion
    // grew i_size meanwhile, and on a 4 KiB-sector device that position is misaligned: -EINVAL,
    // returned for a read that had moved 3 KiB (ARG-01 with the request's bios, ki_pos moved).
    // gfs2 reaches the same when another task extends the file while it dropped its glock to fault
    // pages in (6.12.117 fs/gfs2/file.c L851-862, L868-871); btrfs sets the size of an extending
    // direct write at submission, under the inode lock the read holds shared.
    const s = scenario(
      [written(0, 4 * KiB)],
      [[write(0, 4 * KiB, { async: true }), read(0, 4 * KiB, { dioFlags: ['partial'] })]],
      { iSize: 3 * KiB },
      4096,
    );
    const quirk = runScenario(s, {
      source: new ArrayChoices([]),
      faults: NO_FAULTS,
      probe,
      ops: FIXED_OPS,
      quirks: { genericResumePastEof: true },
    });
    expect(quirk.violation?.invariant).toBe('ARG-01');
    expect(quirk.requests[1]?.iocb.kiPos).toBe(3 * KiB);
    // The candidate fix: the read ends at the EOF it sampled, and btrfs_file_read_iter reads the
    // part the file grew by through the page cache.
    const fixed = run(s);
    expect(fixed.violation, fixed.violation?.message).toBeNull();
    expect(fixed.requests[1]?.completions[0]?.res).toBe(4 * KiB);
    expect(readOf(fixed, 2)).toEqual(own(1, 8));
  });

  it('resumes a PARTIAL read whose hole zeroing stopped inside a logical block there, which a mapped block refuses -EINVAL', () => {
    // gfs2 6.12 (fs/gfs2/file.c L851-862, L868-870): the second read's hole zeroing (iov_iter_zero,
    // 6.12.117 fs/iomap/direct-io.c L477-486) stops at its buffer's third page, not resident under
    // page faults disabled (the buffer is 512-byte aligned, 3 KiB into its page), so the call
    // returns 5 KiB: mid-sector on a 4 KiB-sector device. While gfs2 faults the page in, the other
    // task's write maps the block, and the resumed call at 5 KiB is refused -EINVAL (L317-319),
    // returned after the read moved data (ARG-01). btrfs takes only buffers aligned to its sector
    // size (fs/btrfs/direct-io.c L837-849).
    const partialRead = (extra: Partial<DioOpSpec> = {}): Scenario => ({
      ...scenario(
        [written(0, 4 * KiB), unwritten(4 * KiB, 8 * KiB)],
        [
          [
            read(0, 4 * KiB),
            read(0, 8 * KiB, { bufAddr: 0x10000 + 3 * KiB, dioFlags: ['partial'], ...extra }),
          ],
          [write(4 * KiB, 4 * KiB)],
        ],
        { iSize: 12 * KiB },
        4096,
      ),
      bioMaxVecs: 4,
    });
    const s = partialRead();
    // get_pages_fault twice (none), then nofault_not_resident: the buffer's third page.
    const choices = [0, 0, 3];
    const faults = { ...NO_FAULTS, pageFaults: true };
    const gfs2 = { genericResumeMidSector: true };
    const quirk = runScenario(s, {
      source: new ArrayChoices(choices),
      faults,
      probe,
      ops: FIXED_OPS,
      quirks: gfs2,
    });
    expect(quirk.violation?.invariant).toBe('ARG-01');
    expect(quirk.requests[2]?.completions[0]?.res).toBe(-EINVAL);
    expect(quirk.requests[2]?.iocb.kiPos).toBe(5 * KiB);
    // The candidate fix: the direct part ends at 5 KiB and the page cache reads the rest, which the
    // write had reached: zeros where the hole was read, then the write's data.
    const fixed = runScenario(s, { source: new ArrayChoices(choices), faults, probe, ops: FIXED_OPS });
    expect(fixed.violation, fixed.violation?.message).toBeNull();
    expect(fixed.requests[2]?.completions[0]?.res).toBe(8 * KiB);
    expect(readOf(fixed, 3).slice(8)).toEqual(['0', '0', ...own(2, 6, 2)]);
    // A page that is gone (PROT_NONE) cannot be faulted in: gfs2 does not call again and returns
    // the 5 KiB it read, in the release setting too.
    const protNone = runScenario(partialRead({ badPage: { index: 2, how: 'mprotect' } }), {
      source: new ArrayChoices([]),
      faults: NO_FAULTS,
      probe,
      ops: FIXED_OPS,
      quirks: gfs2,
    });
    expect(protNone.violation, protNone.violation?.message).toBeNull();
    expect(protNone.requests[2]?.completions[0]?.res).toBe(5 * KiB);
  });

  it('returns -EAGAIN for a NOWAIT write after writing part of it, when a later buffer page is gone', () => {
    // btrfs_direct_write (6.12.117 fs/btrfs/direct-io.c L991-1034): the first call writes the
    // first page and returns its count (IOMAP_DIO_PARTIAL); the retry faults at once, no progress
    // turns into -ENOTBLK, and the buffered fallback of a NOWAIT write is -EAGAIN: ARG-02.
    const s = scenario(
      [written(0, 16 * KiB)],
      [
        [
          write(0, 8 * KiB, {
            dioFlags: ['partial'],
            iocbFlags: ['nowait'],
            badPage: { index: 1, how: 'munmap' },
          }),
        ],
      ],
    );
    const quirk = runScenario(s, {
      source: new ArrayChoices([]),
      faults: NO_FAULTS,
      probe,
      ops: FIXED_OPS,
      quirks: { genericNowaitEagainAfterPartial: true },
    });
    expect(quirk.violation?.invariant).toBe('ARG-02');
    expect(quirk.requests[0]?.iocb.kiPos).toBe(4 * KiB);
    // The candidate fix: the bytes written are the result.
    const fixed = run(s);
    expect(fixed.violation, fixed.violation?.message).toBeNull();
    expect(fixed.requests[0]?.completions[0]?.res).toBe(4 * KiB);
  });
});

describe('the timeline of the scripted filesystem as a whole filesystem', () => {
  it('names the type of the mapping it returns: a block a write converted maps as written', () => {
    const s = scenario(
      [unwritten(0, 4 * KiB), written(4 * KiB, 12 * KiB)],
      [[write(0, 4 * KiB), read(0, 4 * KiB)]],
    );
    const r = run(s, undefined, NO_FAULTS, true);
    expect(r.violation, r.violation?.message).toBeNull();
    const maps = r.trace.filter((t) => t.event === 'iomap_iter_dstmap').map((t) => t.detail);
    expect(maps).toEqual(['offset 0 length 4096 type unwritten', 'offset 0 length 4096 type mapped']);
  });
});
