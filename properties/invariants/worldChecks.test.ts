/**
 * DATA-01, PC-01 and SYS-03 let a racing direct write's zeroing stand inside its own range
 * (racing-write-zeroes-inside-its-own-range.json): only where that write had not said it wrote
 * the offset by the time the data was seen. Clause by clause on hand-made write records.
 * SYS-03 and RES-07 skip a generic fallback write behind a writeback error another waiter
 * consumed: the replay that needs it shows the data lost and the exemption applying.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ReplayChoices } from '../../model/runtime/choice.ts';
import { isUserTag, tagWriteId } from '../../model/mm/tags.ts';
import type { WorldView } from '../../model/world/probe.ts';
import { runScenario } from '../../model/world/run.ts';
import { readReplayFile, replayWorld } from '../replay/replayFile.ts';
import { type WriteInfo, writesOf } from './data.ts';
import { makeProbe } from './registry.ts';
import { genericFallbackBehindWritebackError, genericTagNow, zeroedByRacingWrite } from './worldChecks.ts';

function write(id: number, pos: number, len: number, at: Partial<WriteInfo>): WriteInfo {
  return {
    id,
    pos,
    len,
    kind: 'dio',
    startStep: 0,
    doneStep: Infinity,
    removed: [],
    ackStep: Infinity,
    acked: 0,
    dsync: false,
    ...at,
  };
}

// `n` began at step 10 and returned 4 KiB at step 20; the read starts at step 50.
const n = write(1, 0, 4096, { startStep: 10, doneStep: 20, ackStep: 20, acked: 4096 });
const READ = 50;
const all = (x: WriteInfo) => new Map([n, x].map((w) => [w.id, w]));

describe('zeroedByRacingWrite', () => {
  it('allows zeros of a write still in flight, or that failed, inside its range', () => {
    const inFlight = write(2, 0, 4096, { startStep: 15 });
    expect(zeroedByRacingWrite(all(inFlight), 512, n, READ)).toBe(true);
    const failed = write(2, 0, 4096, { startStep: 15, doneStep: 30 });
    expect(zeroedByRacingWrite(all(failed), 512, n, READ)).toBe(true);
  });

  it('does not allow zeros outside the racing write or from one that began after n returned', () => {
    const elsewhere = write(2, 4096, 4096, { startStep: 15 });
    expect(zeroedByRacingWrite(all(elsewhere), 512, n, READ)).toBe(false);
    const later = write(2, 0, 4096, { startStep: 21, ackStep: Infinity });
    // ackStep Infinity > n.startStep: a write that never returned counts as racing; one that
    // returned before n began does not.
    expect(zeroedByRacingWrite(all(later), 512, n, READ)).toBe(true);
    const before = write(2, 0, 4096, { startStep: 1, doneStep: 5, ackStep: 5, acked: 4096 });
    expect(zeroedByRacingWrite(all(before), 512, n, READ)).toBe(false);
    // Nor one that failed before n began: it is over (the 6.12.107-6.12.117 head zeroing under a
    // later write's count, baseline sys-03-world-xfs-bio-status-get-pages-fault.json, has that shape).
    const failedBefore = write(2, 0, 4096, { startStep: 1, doneStep: 5 });
    expect(zeroedByRacingWrite(all(failedBefore), 512, n, READ)).toBe(false);
  });

  it('does not allow zeros where the racing write acknowledged its data before they were seen', () => {
    const acked = write(2, 0, 4096, { startStep: 15, doneStep: 30, ackStep: 30, acked: 4096 });
    expect(zeroedByRacingWrite(all(acked), 512, n, READ)).toBe(false);
    expect(zeroedByRacingWrite(all(acked), 512, n, Infinity)).toBe(false);
    // Seen while it was still in flight, or past the count it acknowledged: still its to leave.
    expect(zeroedByRacingWrite(all(acked), 512, n, 25)).toBe(true);
    const short = write(2, 0, 4096, { startStep: 15, doneStep: 30, ackStep: 30, acked: 1024 });
    expect(zeroedByRacingWrite(all(short), 512, n, READ)).toBe(false);
    expect(zeroedByRacingWrite(all(short), 2048, n, READ)).toBe(true);
  });

  it('after power loss no acknowledgment counts (checkDurable passes -Infinity): unsynced data may be lost', () => {
    const acked = write(2, 0, 4096, { startStep: 15, doneStep: 30, ackStep: 30, acked: 4096 });
    expect(zeroedByRacingWrite(all(acked), 512, n, -Infinity)).toBe(true);
    // Still only inside a racing write's range, and not from one over before n began.
    expect(zeroedByRacingWrite(all(write(2, 4096, 4096, { startStep: 15 })), 512, n, -Infinity)).toBe(false);
    const before = write(2, 0, 4096, { startStep: 1, doneStep: 5, ackStep: 5, acked: 4096 });
    expect(zeroedByRacingWrite(all(before), 512, n, -Infinity)).toBe(false);
  });
});

describe('genericFallbackBehindWritebackError', () => {
  const file = readReplayFile(
    fileURLToPath(
      new URL('../regressions/generic-fallback-behind-writeback-error-not-judged.json', import.meta.url),
    ),
  );

  it('is what keeps a fallback write whose data a concurrent fsync lost from SYS-03', () => {
    const seen: { acked: number; exempt: boolean; tag: number }[] = [];
    const probe = makeProbe();
    const capture = (w: WorldView): void => {
      const wr = writesOf(w).get(2);
      if (wr === undefined) return;
      seen.push({
        acked: wr.acked,
        exempt: genericFallbackBehindWritebackError(w, wr),
        tag: genericTagNow(w, 0),
      });
    };
    const r = runScenario(file.scenario, {
      source: new ReplayChoices(file.choices),
      faults: file.faults,
      probe: {
        ...probe,
        onQuiescent: (w) => {
          probe.onQuiescent?.(w);
          capture(w);
        },
      },
      ...replayWorld(file),
    });
    expect(r.outcome).toBe('pass');
    // The fdatasync got the writeback error; the fallback write returned its whole count.
    expect(r.syncs.find((s) => s.op.kind === 'fdatasync')?.returned).toBe(-5);
    expect(r.requests.find((q) => q.id === 2)?.returned).toBe(512);
    const last = seen.at(-1);
    expect(last?.acked).toBe(512);
    // Its first sector does not hold its data (SYS-03's test), and the exemption applies.
    expect(last !== undefined && isUserTag(last.tag) && tagWriteId(last.tag) === 2).toBe(false);
    expect(last?.exempt).toBe(true);
  });
});
