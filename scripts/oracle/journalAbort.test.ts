/**
 * The pure parts of scripts/oracle/journalAbort.ts (no kernel here): the agent lines of each
 * variant, finding the commit write in a bio trace, reading the kernel log and the agent's records,
 * the comparison, and the model's side of the shape, which the live run compares the kernel with.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EIO } from '../../model/kernel/flags.ts';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import type { AgentRecord } from '../../properties/oracle/observe.ts';
import { caseLines } from './agentCorpus.ts';
import {
  abortCase,
  abortLines,
  caseKlog,
  commitRecordPosition,
  injected,
  JournalAbortUsageError,
  kernelOutcome,
  modelOutcome,
  notableKlog,
  outcomeDifferences,
  overwriteStartedHandle,
  parseJournalAbortArgs,
  traceText,
  VARIANTS,
} from './journalAbort.ts';

const KiB = 1024;

describe('journalAbort: the agent lines', () => {
  it('keeps the kernel log, arms the failure just before the first fdatasync, and waits a tick only in ext4-tick', () => {
    const c = abortCase('ext4-tick', 2);
    const plain = caseLines(c);
    const armed = abortLines(c, 'ext4-tick', 6);
    expect(armed[0]).toBe('G');
    expect(armed.filter((l) => !['G', 'A 6 1', 'W'].includes(l))).toEqual(plain);
    expect(armed[armed.indexOf('A 6 1') + 1]).toMatch(/^O 2 fdatasync /);
    expect(armed[armed.indexOf('W') + 1]).toMatch(/^O 4 dio_write 4096 4096 \d+ 2 0$/);
    // Unarmed (the probe boot): no A line; the other variants never wait.
    expect(abortLines(c, 'ext4-tick', null).some((l) => l.startsWith('A '))).toBe(false);
    expect(abortLines(abortCase('ext4', 1), 'ext4', 6)).not.toContain('W');
    expect(abortLines(abortCase('xfs', 3), 'xfs', 1)).not.toContain('W');
  });

  it('puts each variant on ext4 or XFS, 4 KiB blocks on 512-byte sectors, with a power loss unless -nofua', () => {
    for (const v of VARIANTS) {
      const c = abortCase(v, 1);
      const crash = !v.includes('nofua');
      expect(c.fs).toBe(v === 'xfs' ? 'xfs' : 'ext4');
      expect([c.blockSize, c.sectorSize, c.powerLoss, c.failFirstBio]).toEqual([4096, 512, crash, false]);
      expect(caseLines(c).includes('P')).toBe(crash);
      expect(abortLines(c, v, null).includes('W')).toBe(v.endsWith('-tick'));
    }
  });

  it('uses only line kinds the agent knows', () => {
    const agent = readFileSync(join(import.meta.dirname, 'agent.c'), 'utf8');
    for (const kind of ['A', 'G', 'W']) expect(agent).toContain(`case '${kind}':`);
  });
});

describe('journalAbort: the kernel side', () => {
  it('finds the commit write: the first bio with PREFLUSH that carries data', () => {
    const ext4: Array<[number, number, string]> = [
      [200, 8, 'WSM'],
      [208, 8, 'WSM'],
      [216, 8, 'WSM'],
      [224, 8, 'WSM'],
      [232, 8, 'WSM'],
      [240, 8, 'FWFSM'],
    ];
    expect(commitRecordPosition(ext4)).toBe(6);
    expect(commitRecordPosition([[32825, 3, 'FWFSM']])).toBe(1);
    // An empty flush carries no data; a FUA write without PREFLUSH is no commit record.
    expect(
      commitRecordPosition([
        [0, 0, 'FWS'],
        [88, 8, 'WFSM'],
      ]),
    ).toBeNull();
    expect(commitRecordPosition([])).toBeNull();
    expect(traceText(ext4.slice(4))).toBe('WSM 232+8, FWFSM 240+8');
    expect(traceText([])).toBe('none');
  });

  it('reads the kernel log: one injected failure, the frame that submitted it, the lines worth keeping', () => {
    const log = [
      '<6>[    1.20] EXT4-fs (dm-2): mounted filesystem r/w with ordered data mode.',
      '<4>[    1.30] FAULT_INJECTION: forcing a failure.',
      '<4>[    1.30] name fail_make_request, interval 6, probability 100, space 0, times 1',
      '<4>[    1.30]  [<60234e11>] jbd2_journal_commit_transaction+0xfb5/0x15bc',
      '<4>[    1.30]  [<6001b2c3>] kthread+0x1/0x2',
      '<3>[    1.31] Aborting journal on device dm-2-8.',
    ];
    expect(injected(log)).toEqual({ count: 1, frame: 'jbd2_journal_commit_transaction' });
    expect(notableKlog(log)).toEqual([
      'EXT4-fs (dm-2): mounted filesystem r/w with ordered data mode.',
      'FAULT_INJECTION: forcing a failure.',
      ' [<60234e11>] jbd2_journal_commit_transaction+0xfb5/0x15bc',
      'Aborting journal on device dm-2-8.',
    ]);
    expect(injected(['FAULT_INJECTION: forcing a failure.', ' [<1>] xlog_write_iclog+0x2ce/0x2dd'])).toEqual({
      count: 1,
      frame: 'xlog_write_iclog',
    });
    expect(injected([])).toEqual({ count: 0, frame: null });
  });

  it('places each kernel message at the operation it came during, and keeps each mtime', () => {
    const rec = {
      id: 1,
      setup: true,
      ops: [
        { id: 2, ret: -EIO, klog: ['<3>[ 1.0] Aborting journal on device dm-2-8.'], mtime: '5.000000001' },
        { powerLoss: 0 },
      ],
      klog: ['<2>[ 2.0] EXT4-fs (dm-2): Remounting filesystem read-only', '<6>[ 2.0] random: crng init done'],
    } as AgentRecord & { klog: string[] };
    const k = caseKlog(rec);
    expect(k.all).toHaveLength(3);
    expect(k.placed).toEqual([
      'op 2: Aborting journal on device dm-2-8.',
      'end: EXT4-fs (dm-2): Remounting filesystem read-only',
    ]);
    expect(k.mtimes).toEqual(['op 2 5.000000001']);
  });

  it('tells when the overwrite itself noticed the abort: its mtime moved and the kernel said so during it', () => {
    const mtimes = ['op 1 5.1', 'op 2 5.1', 'op 3 5.1', 'op 4 5.2'];
    const during = [
      'op 2: Aborting journal on device dm-2-8.',
      'op 4: EXT4-fs error (device dm-2): ext4_journal_check_start:84: comm agent: Detected aborted journal',
    ];
    expect(overwriteStartedHandle(during, mtimes)).toBe(true);
    // Same tick: no timestamp update, the abort found later (the final read's atime).
    expect(
      overwriteStartedHandle(
        [during[0] as string, 'end: Detected aborted journal'],
        ['op 3 5.1', 'op 4 5.1'],
      ),
    ).toBe(false);
    expect(overwriteStartedHandle(during, ['op 3 5.1', 'op 4 5.1'])).toBe(false);
    expect(overwriteStartedHandle([], mtimes)).toBe(false);
  });

  it("reads the operations' results and the file on the last crash image", () => {
    const c = abortCase('ext4', 1);
    const rec: AgentRecord = {
      id: 1,
      setup: true,
      ops: [
        { id: 1, ret: 4096 },
        { id: 2, ret: -EIO },
        { id: 3, ret: 0 },
        { id: 4, ret: 4096 },
        { powerLoss: 0 },
      ],
    };
    const points: AgentRecord[] = [
      {
        id: 1,
        recovered: true,
        size: 8192,
        final: 8192,
        contents: `${'0.0 '.repeat(8)}${'1.0 '.repeat(8)}`.trim(),
      },
      { id: 1, recovered: true, size: 4096, final: 4096, contents: '0.0 0.1 0.2 0.3 0.4 0.5 0.6 0.7' },
    ];
    const k = kernelOutcome(c, rec, points);
    expect(k).toEqual({ rets: [4096, -EIO, 0, 4096], recoveredSize: 4096, recoveredContents: '0.0-7' });
    expect(kernelOutcome(c, rec, [])).toMatchObject({ recoveredSize: -1, recoveredContents: 'missing' });
    expect(outcomeDifferences(k, k)).toEqual([]);
    expect(outcomeDifferences(k, { ...k, rets: [4096, -EIO, -EIO, -EIO], recoveredSize: 8192 })).toEqual([
      'op 3: model 0, kernel -5',
      'op 4: model 4096, kernel -5',
      'recovered size: model 4096, kernel 8192',
    ]);
  });
});

describe('journalAbort: the model side', () => {
  const ops = KERNEL_VERSIONS['6.12.117'];

  it('ext4 as 6.12: the first fdatasync fails, the second returns 0, the O_DSYNC overwrite succeeds and is lost', () => {
    for (const v of ['ext4', 'ext4-tick'] as const) {
      const m = modelOutcome(abortCase(v, 1), ops, { ext4MissesJournalAbort: true });
      expect(m.rets).toEqual([4 * KiB, -EIO, 0, 4 * KiB]);
      // Recovery stops before the lost commit: the old size, and block 1 is not the file's.
      expect([m.recoveredSize, m.recoveredContents]).toEqual([4 * KiB, '0.0-7']);
      expect(m.failed).toMatch(/^bio \d+ of the run: .*opf 0x/);
    }
  });

  it('without FUA (no power loss) the same results, and nothing recovered to compare', () => {
    const m = modelOutcome(abortCase('ext4-nofua', 1), ops, { ext4MissesJournalAbort: true });
    expect(m.rets).toEqual([4 * KiB, -EIO, 0, 4 * KiB]);
    expect([m.recoveredSize, m.recoveredContents]).toEqual([-1, 'missing']);
  });

  it('the release setting alone runs 6.12 ext4: the same results without a planted quirk', () => {
    const m = modelOutcome(abortCase('ext4-nofua', 1), ops, {});
    expect(m.rets).toEqual([4 * KiB, -EIO, 0, 4 * KiB]);
  });

  it('the correct ext4 and XFS fail every sync and the overwrite after the failed commit', () => {
    for (const c of [abortCase('ext4', 1), abortCase('xfs', 1)]) {
      const m = modelOutcome(c, { ...ops, releaseWorld: {} }, {});
      expect(m.rets).toEqual([4 * KiB, -EIO, -EIO, -EIO]);
      expect(m.recoveredSize).toBe(4 * KiB);
    }
  });
});

describe('journalAbort: options', () => {
  it('runs 6.12.117 by default, takes exact releases, and answers bad options with one line', () => {
    const o = parseJournalAbortArgs([]);
    expect(o).not.toBe('help');
    if (o !== 'help') expect(o.releases).toEqual(['6.12.117']);
    const two = parseJournalAbortArgs(['--release', '6.12.107,6.12.118,6.12.107', '--json', 'out.json']);
    if (two !== 'help') {
      expect(two.releases).toEqual(['6.12.107', '6.12.118']);
      expect(two.json).toMatch(/out\.json$/);
    }
    expect(parseJournalAbortArgs(['--help'])).toBe('help');
    expect(() => parseJournalAbortArgs(['--release', '6.11'])).toThrow(JournalAbortUsageError);
    expect(() => parseJournalAbortArgs(['--release'])).toThrow(/needs a value/);
    expect(() => parseJournalAbortArgs(['--fast'])).toThrow(
      new JournalAbortUsageError(
        "unknown option '--fast' for 'journalAbort' (known: --release, --cache, --json)",
      ),
    );
  });

  it('reads its line with util.parseArgs: --name=value, one line per mistake, help anywhere', () => {
    const bad = (argv: string[], message: string) => {
      expect(() => parseJournalAbortArgs(argv), argv.join(' ')).toThrow(JournalAbortUsageError);
      expect(() => parseJournalAbortArgs(argv), argv.join(' ')).toThrow(new JournalAbortUsageError(message));
    };
    bad(['--release'], "option '--release' needs a value");
    bad(['--json', '--release', '6.12.117'], "option '--json' needs a value");
    bad(['--cache', '/a', '--cache', '/b'], "option '--cache' given twice");
    bad(['6.12.117'], "'journalAbort' takes no arguments, got '6.12.117'");
    bad(
      ['--release=6.12.116'],
      "unknown release '6.12.116' (one of: 6.12.107, 6.12.111, 6.12.113, 6.12.115, 6.12.117, 6.12.118)",
    );
    const o = parseJournalAbortArgs([
      '--release=6.12.118',
      '--release',
      '6.12.107',
      '--json=r.json',
      '--cache=/tmp/c',
    ]);
    expect(o).toEqual({ releases: ['6.12.118', '6.12.107'], json: resolve('r.json'), cache: '/tmp/c' });
    expect(parseJournalAbortArgs(['--fast', '-h'])).toBe('help');
    const saved = process.env.DIOCHECK_ORACLE_CACHE;
    process.env.DIOCHECK_ORACLE_CACHE = '/tmp/env-cache';
    try {
      expect(parseJournalAbortArgs([])).toMatchObject({ cache: '/tmp/env-cache' });
    } finally {
      if (saved === undefined) delete process.env.DIOCHECK_ORACLE_CACHE;
      else process.env.DIOCHECK_ORACLE_CACHE = saved;
    }
  });
});
