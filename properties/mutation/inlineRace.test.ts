/**
 * iomap_dio_inline_iter (seed L468-478) with a stale i_size. copy_from_iter may fault the user page
 * in and sleep between the i_size read at L469 and the i_size_write at L476 (the model's
 * interleaving point there, spec/atomicity.md). The plain scripted world takes no inode lock around
 * a direct write (a real filesystem takes its lock exclusive for an extending one), so two inline
 * writers interleave there: one copies past i_size and, before it grows i_size, the other reads
 * the old i_size. The seed's code then does what it says, and so must the model:
 * - the gap memset (L471-472) covers exactly [the i_size read, pos): it wipes the other writer's
 *   data where that lies in the gap, never data at or past its own pos;
 * - the size test (L475) grows i_size only past the size read, so a write that ends at that size
 *   never writes i_size, and a grow by the other writer stands.
 * Single-threaded, both are invisible: data past i_size is zeros (the inline buffer starts zeroed
 * and only a write that grows i_size over it writes it), so a memset of another length, or an
 * i_size_write of the size i_size already has, changes nothing. Every schedule of the two writers
 * is run (a depth-first walk over the choice stream: 3,432 runs of a few steps each).
 */
import { describe, expect, it } from 'vitest';
import { TAG_ZERO, userTag } from '../../model/mm/tags.ts';
import type { ChoiceSource } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { KiB, scenario } from '../seed/helpers.ts';

/**
 * Every run of `s` with scheduling questions on (each choice point's every option, once), handed to
 * `visit` as it ends; returns how many.
 */
function everySchedule(s: Scenario, visit: (r: RunResult) => void): number {
  let runs = 0;
  const stack: number[][] = [[]];
  for (let prefix = stack.pop(); prefix !== undefined; prefix = stack.pop()) {
    // The stream as given, then zeros; the arity of every question asked (tracing stays off).
    const asked: number[] = [];
    const given = prefix;
    const source: ChoiceSource = {
      next: (n) => {
        const v = (given[asked.length] ?? 0) % n;
        asked.push(n);
        return v;
      },
    };
    visit(runScenario(s, { source, faults: { ...NO_FAULTS, interleave: true } }));
    runs++;
    for (let i = prefix.length; i < asked.length; i++)
      for (let v = 1; v < (asked[i] ?? 0); v++)
        stack.push([...prefix, ...new Array<number>(i - prefix.length).fill(0), v]);
  }
  return runs;
}

/** Two threads, one 512-byte direct write each, into inline data at file offset 0. */
function twoWriters(inlineLength: number, iSize: number, posA: number, posB: number): Scenario {
  return scenario({
    fs: { iSize, extents: [{ offset: 0, length: inlineLength, type: 'inline', inlineOffsetInPage: 1024 }] },
    threads: [[{ kind: 'dio_write', pos: posA, len: 512 }], [{ kind: 'dio_write', pos: posB, len: 512 }]],
  });
}

/** The inline buffer's sector at file offset `pos`, after the run. */
function inlineSector(r: RunResult, pos: number): number {
  const at = r.fs.inlineAt(pos);
  if (at === null) throw new Error(`no inline data at ${pos}`);
  return at.tags[at.unit] ?? TAG_ZERO;
}

/** The data of the request thread `t` issued (writes are numbered in issue order). */
function dataOf(r: RunResult, t: number): number {
  const rec = r.requests.find((q) => q.thread === t);
  // A write that did not copy all its 512 bytes has no data to find (never here: no faults).
  if (rec === undefined || rec.returned !== 512) return -1;
  return userTag(rec.id, 0);
}

describe('inline writers racing on i_size (seed L469-476)', () => {
  it('the gap memset wipes a racing write inside [old i_size, pos), never one at or past pos', () => {
    // i_size 512; thread 0 writes [2048, 2560), thread 1 writes [1536, 2048).
    // Plain counts, one expect each: an expect per run costs more than the run.
    let wiped = 0;
    const bad: string[] = [];
    const runs = everySchedule(twoWriters(3 * KiB, 512, 2 * KiB, 3 * 512), (r) => {
      const a = inlineSector(r, 2 * KiB);
      const b = inlineSector(r, 3 * 512);
      const gap = [inlineSector(r, 512), inlineSector(r, 1024)];
      // Thread 1's memset from i_size 512 stops at 1536: thread 0's data always stands.
      // Thread 0's memset from a stale i_size 512 reaches 2048, over thread 1's sector.
      // The gap below both is zeros, whoever zeroed it.
      if (b === TAG_ZERO) wiped++;
      if (
        r.outcome !== 'pass' ||
        a !== dataOf(r, 0) ||
        (b !== TAG_ZERO && b !== dataOf(r, 1)) ||
        gap.some((t) => t !== TAG_ZERO)
      )
        bad.push(`${r.outcome} ${a} ${b} ${gap.join(',')} choices ${r.choices.join('')}`);
    });
    expect(runs).toBeGreaterThan(100);
    expect(bad.slice(0, 3)).toEqual([]);
    // The race is there: in some schedules thread 1 copied, and thread 0 read i_size before
    // thread 1 grew it.
    expect(wiped).toBeGreaterThan(0);
    expect(wiped).toBeLessThan(runs);
  });

  it('a write that ends at the i_size it read never writes i_size, so a racing grow stands', () => {
    // i_size 1024; thread 0 overwrites [512, 1024), thread 1 extends with [1024, 1536).
    const bad: string[] = [];
    const runs = everySchedule(twoWriters(2 * KiB, 1 * KiB, 512, 1 * KiB), (r) => {
      const data = [inlineSector(r, 512), inlineSector(r, 1024)];
      if (
        r.outcome !== 'pass' ||
        r.inode.iSize !== 3 * 512 ||
        data[0] !== dataOf(r, 0) ||
        data[1] !== dataOf(r, 1)
      )
        bad.push(`${r.outcome} i_size ${r.inode.iSize} ${data.join(',')} choices ${r.choices.join('')}`);
    });
    expect(runs).toBeGreaterThan(100);
    expect(bad.slice(0, 3)).toEqual([]);
  });
});
