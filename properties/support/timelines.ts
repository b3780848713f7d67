/**
 * Golden timelines: a handful of canonical runs whose whole report (the verdict, fault profile,
 * deviations, scenario and timeline that `diocheck repro` prints) is committed under
 * properties/regressions/timelines/ and compared by properties/timelines.test.ts, so that the
 * timeline, which users read, cannot change unnoticed. `npx tsx scripts/recordTimelines.ts`
 * records them again after an intended change (new yield points, new events, new wording).
 *
 * A case that needs an event (a bio error, a short page-get) does not pin a choice array, which
 * new yield points would give another meaning: it names the event, and the run is the first of the
 * seeded choice streams `timeline:<name>:<i>` (i from 0) that has it. Re-recording finds it again.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FIXED_OPS } from '../../model/kernel/ops.ts';
import { ArrayChoices, SeededChoices } from '../../model/runtime/choice.ts';
import { type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import { KiB, unwritten, written } from '../../model/world/extents.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { ExtentSpec, OpSpec, Scenario } from '../../model/world/scenario.ts';
import { formatRunDetails, verdictLine } from '../../scripts/commands/campaign.ts';
import { makeProbe } from '../invariants/registry.ts';

export const TIMELINES_DIR = fileURLToPath(new URL('../regressions/timelines/', import.meta.url));

/** Seeded streams a searched case may try before it counts as lost. */
export const SEARCH_MAX = 500;
/** How often a seeded choice deviates from option 0 in a searched case. */
const DEVIATION = 0.25;

export interface TimelineCase {
  readonly name: string;
  /** One line: what the run shows. */
  readonly what: string;
  readonly scenario: Scenario;
  readonly faults: FaultProfile;
  /** The event the run must show; absent: every choice is 0 (the uneventful run). */
  readonly wants?: { readonly what: string; has(r: RunResult): boolean };
}

function fs(
  model: 'xfs' | 'ext4' | 'scripted',
  extents: readonly ExtentSpec[],
  iSize: number,
  ops: readonly OpSpec[],
  device: Partial<Scenario['device']> = {},
  bioMaxVecs = 1,
): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: false, writeCache: true, ...device },
    fs: { model, blockSize: 4096, iSize, extents },
    bioMaxVecs,
    threads: [ops],
  };
}

const FILE16 = [written(0, 8 * KiB), unwritten(8 * KiB, 8 * KiB)];

export const TIMELINE_CASES: readonly TimelineCase[] = [
  {
    name: 'sync-write-xfs',
    what: 'a synchronous direct write over written blocks of the model XFS',
    scenario: fs('xfs', FILE16, 16 * KiB, [{ kind: 'dio_write', pos: 0, len: 8 * KiB }]),
    faults: NO_FAULTS,
  },
  {
    name: 'aio-read-bio-error',
    what: 'an aio read of two bios, one of which the device fails',
    scenario: fs('xfs', FILE16, 16 * KiB, [{ kind: 'dio_read', pos: 0, len: 8 * KiB, async: true }]),
    faults: { ...NO_FAULTS, bioErrors: true },
    wants: {
      what: 'a failed bio, and the result through ki_complete',
      has: (r) =>
        r.requests.some((q) => q.iocb.acct.bioErrors.length > 0 && q.completions[0]?.context !== 'task1'),
    },
  },
  {
    name: 'short-page-get',
    what: 'a write whose page-get comes back short, then faults: IOMAP_DIO_PARTIAL returns the bytes before it',
    scenario: fs(
      'xfs',
      FILE16,
      16 * KiB,
      [
        {
          kind: 'dio_write',
          pos: 0,
          len: 8 * KiB,
          dioFlags: ['partial'],
          badPage: { index: 1, how: 'munmap' },
        },
      ],
      {},
      4,
    ),
    faults: NO_FAULTS,
  },
  {
    name: 'dsync-fua-xfs',
    what: 'an O_DSYNC overwrite on the model XFS with a FUA device: write-through, no flush at completion',
    scenario: fs(
      'xfs',
      FILE16,
      16 * KiB,
      [{ kind: 'dio_write', pos: 0, len: 4 * KiB, iocbFlags: ['dsync'] }],
      {
        fua: true,
      },
    ),
    faults: NO_FAULTS,
  },
  {
    name: 'ext4-extending-write',
    what: 'a direct write past end of file on the model ext4: allocation, the orphan, i_disksize in end_io',
    scenario: fs('ext4', [written(0, 4 * KiB)], 4 * KiB, [{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB }]),
    faults: NO_FAULTS,
  },
  {
    name: 'nowait-eagain',
    what: 'a NOWAIT direct write into a hole of the model XFS: -EAGAIN before any I/O',
    scenario: fs('xfs', [written(0, 4 * KiB)], 16 * KiB, [
      { kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB, iocbFlags: ['nowait'] },
    ]),
    faults: NO_FAULTS,
  },
  {
    name: 'partial-resumed-read',
    what: 'a resumed IOMAP_DIO_PARTIAL read (done_before 4096) on the scripted filesystem',
    scenario: fs('scripted', [written(0, 16 * KiB)], 16 * KiB, [
      { kind: 'dio_read', pos: 4 * KiB, len: 8 * KiB, dioFlags: ['partial'], doneBefore: 4 * KiB },
    ]),
    faults: NO_FAULTS,
  },
];

export interface Timeline {
  readonly text: string;
  /** The seeded stream the run came from, or null for the all-zero run. */
  readonly seed: string | null;
}

function runOnce(c: TimelineCase, seed: string | null): RunResult {
  return runScenario(c.scenario, {
    source: seed === null ? new ArrayChoices([]) : new SeededChoices(seed, DEVIATION),
    faults: c.faults,
    probe: makeProbe(),
    ops: FIXED_OPS,
    tracing: true,
  });
}

/** The case's run and its report; an error if no stream within SEARCH_MAX shows what it wants. */
export function renderTimeline(c: TimelineCase): Timeline {
  let result: RunResult | null = null;
  let seed: string | null = null;
  if (c.wants === undefined) {
    result = runOnce(c, null);
  } else {
    for (let i = 0; i < SEARCH_MAX && result === null; i++) {
      const s = `timeline:${c.name}:${i}`;
      const r = runOnce(c, s);
      if (c.wants.has(r)) {
        result = r;
        seed = s;
      }
    }
    if (result === null) throw new Error(`timeline ${c.name}: no run of ${SEARCH_MAX} shows ${c.wants.what}`);
  }
  const header = [
    `# ${c.name}: ${c.what}`,
    `# run: ${seed === null ? 'every choice 0' : `seeded choices '${seed}' (deviation ${DEVIATION}), the first to show ${c.wants?.what}`} on the correct model`,
  ];
  const text = `${[...header, verdictLine(result, null), formatRunDetails(c.scenario, c.faults, result)].join('\n')}\n`;
  return { text, seed };
}

export function timelinePath(name: string): string {
  return `${TIMELINES_DIR}${name}.txt`;
}

/** The committed timeline of a case, or null if none was recorded. */
export function readTimeline(name: string): string | null {
  try {
    return readFileSync(timelinePath(name), 'utf8');
  } catch {
    return null;
  }
}

/**
 * A line diff of two texts, readable in a test failure: the lines only the committed text has (`-`)
 * and those only the new one has (`+`), each with its line number in its own text, in order, at
 * most `max` of them. Lines common to both (their longest common subsequence) are left out, so an
 * inserted event shows as one `+` line, not as every line after it.
 */
export function lineDiff(committed: string, now: string, max = 40): string {
  const a = committed.split('\n');
  const b = now.split('\n');
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Int32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    const row = lcs[i] as Int32Array;
    const below = lcs[i + 1] as Int32Array;
    for (let j = b.length - 1; j >= 0; j--)
      row[j] = a[i] === b[j] ? (below[j + 1] ?? 0) + 1 : Math.max(below[j] ?? 0, row[j + 1] ?? 0);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  let changed = 0;
  const push = (line: string) => {
    if (changed++ < max) out.push(line);
  };
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < a.length && (j === b.length || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      push(`-${String(i + 1).padStart(4)} ${a[i]}`);
      i++;
    } else {
      push(`+${String(j + 1).padStart(4)} ${b[j]}`);
      j++;
    }
  }
  if (changed > max) out.push(`... and ${changed - max} more changed lines`);
  return out.join('\n');
}

export const RECORD_COMMAND = 'npx tsx scripts/recordTimelines.ts';
