/**
 * diocheck confirm without a kernel: a finding translated into an oracle case (or the named reason
 * it cannot be), the verdict's fields, and the command line's exits before the live part.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bugByName } from '../model/bugs/catalogue.ts';
import type { KernelOps } from '../model/kernel/kernel.ts';
import { KERNEL_VERSIONS, type KernelVersion } from '../model/kernel/ops.ts';
import { type FaultProfile, NO_FAULTS } from '../model/runtime/faults.ts';
import { runScenario } from '../model/world/run.ts';
import type { OpSpec, Scenario } from '../model/world/scenario.ts';
import { makeProbe } from '../properties/invariants/registry.ts';
import type { Observation } from '../properties/oracle/observe.ts';
import { makeReplayFile, type ReplayFile, readReplayFile } from '../properties/replay/replayFile.ts';
import {
  carryingDifferences,
  classifyDeviations,
  type Deviation,
  describeCase,
  sideBySide,
  translateReplay,
} from './commands/confirm.ts';
import { spawnCli } from './spawnCli.ts';

/** A 4 KiB-block model XFS on a 512-byte device, one unwritten block past EOF (the campaign's finding). */
function scenario(
  threads: ReadonlyArray<readonly OpSpec[]>,
  fs: Partial<Scenario['fs']> = {},
  bioMaxVecs = 1,
) {
  return {
    device: { logicalBlockSize: 512 as const, fua: false, writeCache: true },
    fs: {
      model: 'xfs' as const,
      blockSize: 4096,
      iSize: 0,
      extents: [{ offset: 0, length: 4096, type: 'unwritten' as const, addr: 65536 }],
      ...fs,
    },
    bioMaxVecs,
    threads,
  } satisfies Scenario;
}

/**
 * A finding as `run` records it: the scenario run on `ops` with the invariants, each question
 * answered by `answer` (by label and how often it was asked), its whole decision log kept.
 */
function record(
  s: Scenario,
  faults: FaultProfile,
  kernel: KernelVersion | undefined,
  answer: (label: string, asked: number) => number,
  ops: Readonly<KernelOps> = KERNEL_VERSIONS[kernel ?? '6.12.117'],
): ReplayFile {
  const asked = new Map<string, number>();
  const r = runScenario(s, {
    source: {
      next: (n, label) => {
        const k = asked.get(label) ?? 0;
        asked.set(label, k + 1);
        return Math.min(n - 1, answer(label, k));
      },
    },
    faults,
    ops,
    probe: makeProbe(),
    tracing: true,
  });
  // Some fixtures are files confirm must refuse before it runs anything (no kernel, the scripted
  // filesystem): they need not violate, and are labelled SYS-01 as the finding they stand for.
  return makeReplayFile({
    invariant: r.violation?.invariant ?? 'SYS-01',
    scenario: s,
    faults,
    choices: r.choiceLog,
    ...(kernel === undefined ? {} : { kernel }),
  });
}

const PAGE_FAULTS: FaultProfile = { ...NO_FAULTS, pageFaults: true };
/** The first page-get faults, at the page the `_at` answer names. */
const firstPageGetFaults =
  (at = 0) =>
  (label: string, asked: number) =>
    (label === 'get_pages_fault' && asked === 0) || (label === 'get_pages_fault_at' && asked === 0)
      ? label === 'get_pages_fault'
        ? 1
        : at
      : 0;

/** The campaign's SYS-01 on 6.12.107-117: a sub-block write whose only page cannot be pinned returns 0. */
const SYS01 = scenario([[{ kind: 'dio_write', pos: 512, len: 512 }]]);

function translateOrThrow(file: ReplayFile) {
  const t = translateReplay(file, KERNEL_VERSIONS['6.12.117']);
  if (t.kind !== 'case') throw new Error(t.reason);
  return t.case;
}

describe('translateReplay', () => {
  it('turns a page-get fault of a 6.12.117 finding into that page unmapped before the call', () => {
    const file = record(SYS01, PAGE_FAULTS, '6.12.117', firstPageGetFaults());
    expect(file.invariant).toBe('SYS-01');
    const t = translateReplay(file, KERNEL_VERSIONS['6.12.117']);
    if (t.kind !== 'case') throw new Error(t.reason);
    expect(t.release).toBe('6.12.117');
    expect(t.case.ops).toEqual([
      { kind: 'dio_write', pos: 512, len: 512, badPage: { index: 0, how: 'munmap' } },
    ]);
    expect(t.case).toMatchObject({
      fs: 'xfs',
      blockSize: 4096,
      sectorSize: 512,
      iSize: 0,
      failFirstBio: false,
    });
    expect(t.case.powerLoss).toBe(false);
    expect(t.mapped.join('\n')).toMatch(/page 0 of op 1's buffer/);
    expect(t.adjusted.join('\n')).toMatch(/BIO_MAX_VECS/);
    expect(t.modelViolation).toMatch(/SYS-01 .* returned 0/);
  });

  it('places a fault that begins at a later page of the buffer at that page (the SYS-03 finding)', () => {
    const s = scenario([[{ kind: 'dio_write', pos: 8704, len: 4608 }]], {}, 2);
    const file = record(s, PAGE_FAULTS, '6.12.117', firstPageGetFaults(1));
    expect(file.invariant).toBe('SYS-03');
    const t = translateReplay(file, KERNEL_VERSIONS['6.12.117']);
    if (t.kind !== 'case') throw new Error(t.reason);
    expect(t.case.ops[0]).toMatchObject({ badPage: { index: 1, how: 'munmap' } });
    expect(t.modelViolation).toMatch(/^SYS-03 /);
  });

  it('translates the ext4 stale-block finding (confirmed on 6.12.117) and names ext4 in its case line', () => {
    // A faulting extending write leaves a written block past EOF that the next extending write exposes.
    const s = scenario(
      [
        [
          { kind: 'dio_write', pos: 22016, len: 3072 },
          { kind: 'dio_write', pos: 25088, len: 512, iocbFlags: ['sync'] },
          { kind: 'power_loss' },
        ],
      ],
      { model: 'ext4', extents: [] },
    );
    const file = record(s, { ...PAGE_FAULTS, powerLoss: true }, '6.12.117', firstPageGetFaults());
    expect(file.invariant).toBe('STALE-03');
    const t = translateReplay(file, KERNEL_VERSIONS['6.12.117']);
    if (t.kind !== 'case') throw new Error(t.reason);
    expect(t.case).toMatchObject({ fs: 'ext4', blockSize: 4096, iSize: 0, powerLoss: true });
    expect(describeCase(t.case)[0]).toMatch(/: ext4, 4096-byte blocks on 512-byte sectors, i_size 0$/);
    expect(
      describeCase(translateOrThrow(record(SYS01, PAGE_FAULTS, '6.12.117', firstPageGetFaults())))[0],
    ).toMatch(/: XFS, 4096-byte blocks/);
  });

  it('runs the model side with a planted bug, and says the plain release no longer shows it', () => {
    const bug = bugByName('tail-zero-result-returned');
    if (bug?.ops === undefined) throw new Error('the catalogue lost tail-zero-result-returned');
    const base = KERNEL_VERSIONS['6.12.118'];
    const planted = { ...base, ...bug.ops(base) };
    const file = record(SYS01, PAGE_FAULTS, '6.12.118', firstPageGetFaults(), planted);
    expect(file.invariant).toBe('SYS-01');
    const t = translateReplay(file, planted);
    expect(t.kind).toBe('case');
    const plain = translateReplay(file, base);
    expect(plain).toEqual({
      kind: 'not-confirmable',
      reason: 'the replay no longer shows SYS-01 on the model (it passes)',
    });
  });

  it('refuses a file without a release: the correct model and the seed run on no real kernel', () => {
    const noKernel = record(SYS01, PAGE_FAULTS, undefined, firstPageGetFaults());
    const t = translateReplay(noKernel, KERNEL_VERSIONS['6.12.117']);
    expect(t.kind === 'not-confirmable' && t.reason).toMatch(/no kernel: it records the correct model/);
    const seed = record(SYS01, PAGE_FAULTS, 'seed', firstPageGetFaults());
    const s = translateReplay(seed, KERNEL_VERSIONS.seed);
    expect(s.kind === 'not-confirmable' && s.reason).toMatch(/faithful seed revision/);
  });

  it.each([
    [
      'the scripted filesystem',
      scenario([[{ kind: 'dio_write', pos: 512, len: 512 }]], {
        model: 'scripted',
        extents: [{ offset: 0, length: 4096, type: 'mapped', addr: 0 }],
        iSize: 4096,
      }),
      /scripted filesystem/,
    ],
    [
      'two threads',
      scenario([[{ kind: 'dio_write', pos: 512, len: 512 }], [{ kind: 'dio_read', pos: 0, len: 4096 }]]),
      /2 threads: an interleaving/,
    ],
    [
      'an aio still in flight at the next operation',
      scenario([[{ kind: 'dio_write', pos: 512, len: 512, async: true }, { kind: 'fsync' }]]),
      /async op 1 is still in flight/,
    ],
    [
      'written blocks past EOF',
      scenario([[{ kind: 'dio_write', pos: 512, len: 512 }]], {
        extents: [{ offset: 0, length: 4096, type: 'mapped', addr: 65536 }],
      }),
      /written blocks past EOF/,
    ],
    [
      'power loss between operations',
      scenario([[{ kind: 'dio_write', pos: 512, len: 512 }, { kind: 'power_loss' }, { kind: 'fsync' }]]),
      /power loss at step 2 between operations/,
    ],
  ])('names %s as not confirmable', (_what, s, reason) => {
    const file = record(s, PAGE_FAULTS, '6.12.117', firstPageGetFaults());
    const t = translateReplay(file, KERNEL_VERSIONS['6.12.117']);
    expect(t.kind).toBe('not-confirmable');
    expect(t.kind === 'not-confirmable' && t.reason).toMatch(reason);
  });

  it('names a completion order the agent cannot force, with its choice', () => {
    // Two bios in flight (one page each), the second completing first.
    const s = scenario([[{ kind: 'dio_write', pos: 0, len: 8192 }]], {
      iSize: 8192,
      extents: [{ offset: 0, length: 8192, type: 'mapped', addr: 65536 }],
    });
    const file = record(s, { ...NO_FAULTS, reorder: true }, '6.12.117', (label) =>
      label === 'complete_which' ? 1 : 0,
    );
    expect(file.choices.some((c) => c.label === 'complete_which' && c.value === 1)).toBe(true);
    const t = translateReplay(file, KERNEL_VERSIONS['6.12.117']);
    expect(t.kind === 'not-confirmable' && t.reason).toMatch(
      /^choice \d+ complete_which=1: a bio completion order the agent cannot force/,
    );
  });
});

describe('classifyDeviations', () => {
  const d = (label: string, value: number, at: Partial<Deviation> = {}): Deviation => ({
    index: 7,
    label,
    n: 5,
    value,
    submitted: 0,
    completed: 0,
    opsDone: false,
    ...at,
  });

  it('maps the first bio failing, at submission or with EIO on completion, to fail_make_request', () => {
    expect(classifyDeviations([d('submit_fails', 1)], false)).toMatchObject({
      failFirstBio: true,
      refused: [],
    });
    expect(classifyDeviations([d('bio_status', 1)], false)).toMatchObject({
      failFirstBio: true,
      refused: [],
    });
  });

  it('refuses another bio failing, another status, or a second failure', () => {
    expect(classifyDeviations([d('submit_fails', 1, { submitted: 2 })], false).refused).toEqual([
      'choice 7 submit_fails=1: a submission failure of bio 3, not the first',
    ]);
    expect(classifyDeviations([d('bio_status', 1, { completed: 1 })], false).refused[0]).toMatch(
      /completion 2, not on the first bio/,
    );
    expect(classifyDeviations([d('bio_status', 4)], false).refused[0]).toMatch(/cannot give/);
    const two = classifyDeviations([d('submit_fails', 1), d('bio_status', 1)], false);
    expect(two.failFirstBio).toBe(true);
    expect(two.refused).toHaveLength(1);
  });

  it('maps power loss after every operation to the crash images, and refuses it mid-operation', () => {
    expect(classifyDeviations([d('power_loss', 1, { opsDone: true })], false)).toMatchObject({
      powerLoss: true,
      refused: [],
    });
    expect(classifyDeviations([d('power_loss_at_end', 1, { opsDone: true })], false).powerLoss).toBe(true);
    expect(classifyDeviations([d('power_loss', 1)], false).refused[0]).toMatch(/still running/);
    expect(classifyDeviations([], true).powerLoss).toBe(true);
  });

  it.each([
    ['schedule', /interleaving of contexts/],
    ['submit_would_block', /would block/],
    ['user_copy_fault', /user copy/],
    ['destage_before_power_loss', /reaching the media/],
    ['writeback', /writeback/],
    ['log_commit_idle', /log commit/],
    ['invalidate_fails', /invalidation/],
    ['torn_write_sectors', /torn write/],
  ])('names %s as a choice the agent cannot force', (label, reason) => {
    const c = classifyDeviations([d(label, 1)], false);
    expect(c.refused).toHaveLength(1);
    expect(c.refused[0]).toMatch(new RegExp(`^choice 7 ${label}=1: `));
    expect(c.refused[0]).toMatch(reason);
  });

  it('leaves page-get faults to the per-request placement', () => {
    expect(classifyDeviations([d('get_pages_fault', 1), d('get_pages_fault_at', 1)], false)).toEqual({
      mapped: [],
      refused: [],
      failFirstBio: false,
      powerLoss: false,
    });
  });
});

describe('the verdict', () => {
  const base: Observation = {
    ops: [{ id: 1, ret: 0, bios: 'w0+512' }],
    size: 0,
    final: 0,
    contents: '',
    extents: 'U1H11',
  };

  it('rests on what the program sees, not on extents or bios', () => {
    const other = { ...base, ops: [{ id: 1, ret: 0, bios: 'w0+4096' }], extents: 'W1H11' };
    expect(carryingDifferences(base, other)).toEqual([]);
    const refuting = { ...base, ops: [{ id: 1, ret: -14, bios: 'w0+512' }] };
    expect(carryingDifferences(base, refuting)).toEqual(['op 1 result: model 0 kernel -14']);
    expect(carryingDifferences(base, { ...base, contents: 'z*8' })).toEqual(['contents: model  kernel z*8']);
    expect(carryingDifferences(base, { ...base, size: 512 })).toEqual(['size: model 0 kernel 512']);
  });

  it('prints both sides, marking what differs', () => {
    const lines = sideBySide(
      base,
      { ...base, ops: [{ id: 1, ret: -14, bios: 'w0+512' }] },
      'model X',
      'kernel Y',
    );
    expect(lines[0]).toMatch(/model X +\| kernel Y/);
    expect(lines.find((l) => l.includes('op 1 result'))).toMatch(/0 +\| -14$/);
    expect(lines.find((l) => l.includes('extents'))).toMatch(/U1H11 +\(same\)$/);
  });
});

describe('diocheck confirm (before the live part)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'diocheck-confirm-'));
  const noKernel = join(dir, 'no-kernel.json');
  writeFileSync(noKernel, JSON.stringify(record(SYS01, PAGE_FAULTS, undefined, firstPageGetFaults())));

  it('says not confirmable (exit 3) for a finding on the correct model, without a kernel', async () => {
    const r = await spawnCli(['confirm', noKernel]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/NOT CONFIRMABLE {2}the file has no kernel/);
  });

  it('records a verdict into the file with --record, which the reader then validates', async () => {
    const copy = join(dir, 'recorded.json');
    writeFileSync(copy, readFileSync(noKernel));
    const r = await spawnCli(['confirm', copy, '--record']);
    expect(r.code).toBe(3);
    const recorded = readReplayFile(copy);
    expect(recorded.confirmation).toMatchObject({ verdict: 'not-confirmable', kernel: 'none' });
    expect(recorded.confirmation?.detail).toMatch(/the file has no kernel/);
    expect(recorded.confirmation?.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(recorded.choices).toEqual(readReplayFile(noKernel).choices);
    const bad = { ...JSON.parse(readFileSync(copy, 'utf8')), confirmation: { verdict: 'maybe' } };
    writeFileSync(copy, JSON.stringify(bad));
    expect(() => readReplayFile(copy)).toThrow(/confirmation/);
  });

  it.each([
    [
      ['confirm', noKernel, '--record', '--bug', 'tail-zero-result-returned'],
      /^diocheck: 'confirm --record' records/,
    ],
    [['confirm'], /^diocheck: 'confirm' needs FILE/],
    [['confirm', join(dir, 'missing.json')], /^diocheck: .*missing\.json/],
    [['confirm', noKernel, '--bug', 'no-such-bug'], /^diocheck: unknown planted bug 'no-such-bug'/],
    [['confirm', noKernel, '--jobs', '2'], /^diocheck: unknown option '--jobs' for 'confirm'/],
  ])('refuses %j with one line and exit 2', async (args, message) => {
    const r = await spawnCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
