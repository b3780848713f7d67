/**
 * Helpers for the seed scenario tests: build a Scenario with defaults, run it under a pinned choice
 * stream, and read back what the tests assert (the bio log, the results, media and buffer tags).
 *
 * Every run here is deterministic: with no fault class turned on no choice is asked at all, and a
 * test that turns one on pins every value it needs with ArrayChoices (past its end every choice is 0).
 */
import { expect } from 'vitest';
import { formatOpf } from '../../model/block/bio.ts';
import { ArrayChoices, type RecordedChoice } from '../../model/runtime/choice.ts';
import { type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import { TAG_STALE, TAG_ZERO, userTag } from '../../model/mm/tags.ts';
import { type RequestRecord, type RunResult, runScenario } from '../../model/world/run.ts';
import type { DeviceSpec, ExtentSpec, FsSpec, OpSpec, Scenario } from '../../model/world/scenario.ts';

export const KiB = 1024;
/** Disk address used for the first extent of most scenarios: sector 2048. */
export const DISK_BASE = 1024 * KiB;
export const BASE_SECTOR = DISK_BASE >> 9;

export interface ScenarioInput {
  readonly device?: Partial<DeviceSpec>;
  readonly fs: Partial<FsSpec> & { readonly extents: readonly ExtentSpec[] };
  readonly bioMaxVecs?: number;
  /** One thread's operations (the common case). */
  readonly ops?: readonly OpSpec[];
  /** Several threads (overrides ops). */
  readonly threads?: ReadonlyArray<readonly OpSpec[]>;
}

/**
 * A Scenario with defaults: 512-byte device with FUA and a write cache, the scripted filesystem
 * (->iomap_begin reports the extents as given) with 4 KiB blocks and an 8 KiB file.
 */
export function scenario(input: ScenarioInput): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: true, writeCache: true, ...input.device },
    fs: { model: 'scripted', blockSize: 4096, iSize: 8 * KiB, ...input.fs },
    bioMaxVecs: input.bioMaxVecs ?? 16,
    threads: input.threads ?? [input.ops ?? []],
  };
}

export interface RunInput {
  readonly faults?: Partial<FaultProfile>;
  readonly choices?: readonly number[];
}

/** Runs with tracing on (so that choiceLog records labels), under the given faults and choices. */
export function run(s: Scenario, input: RunInput = {}): RunResult {
  return runScenario(s, {
    source: new ArrayChoices(input.choices ?? []),
    faults: { ...NO_FAULTS, ...input.faults },
    tracing: true,
  });
}

export interface BioView {
  readonly sector: number;
  readonly size: number;
  readonly opf: string;
}

/** The submitted bios, in submission order, with their flags spelled as formatOpf does. */
export function bios(r: RunResult): BioView[] {
  return r.disk.log.map((b) => ({ sector: b.sector, size: b.size, opf: formatOpf(b.opf) }));
}

export const WRITE_OPF = 'WRITE|SYNC|IDLE';
export const FUA_OPF = 'WRITE|SYNC|IDLE|FUA';
export const READ_OPF = 'READ';

/** The i-th request (1-based, as the model numbers them). */
export function req(r: RunResult, id: number): RequestRecord {
  const rec = r.requests[id - 1];
  if (rec === undefined) throw new Error(`no request ${id}`);
  return rec;
}

/** The one result delivered for a request: its value, and the context that delivered it. */
export function completionOf(rec: RequestRecord): { res: number; context: string; contextKind: string } {
  expect(rec.completions).toHaveLength(1);
  const c = rec.completions[0];
  if (c === undefined) throw new Error('no completion');
  return { res: c.res, context: c.context, contextKind: c.contextKind };
}

/** A synchronous request: returned `res` and delivered it once, from its own task. */
export function expectSyncResult(r: RunResult, id: number, res: number, task = 'task1'): void {
  const rec = req(r, id);
  expect(rec.returned).toBe(res);
  expect(completionOf(rec)).toEqual({ res, context: task, contextKind: 'task' });
}

/** The run ended clean: no violation, no bound, no leak, balanced i_dio_count, one result each. */
export function expectPass(r: RunResult): void {
  expect(r.violation?.message ?? null).toBeNull();
  expect(r.bound).toBeNull();
  expect(r.outcome).toBe('pass');
}

export function expectCovered(r: RunResult, ...lines: number[]): void {
  for (const line of lines) expect(r.coverage[line], `seed L${line} covered`).toBeGreaterThan(0);
}

export function expectNotCovered(r: RunResult, ...lines: number[]): void {
  for (const line of lines) expect(r.coverage[line], `seed L${line} not covered`).toBe(0);
}

/** Device tags of `count` sectors from `first`, as a read would see them (write cache over media). */
export function media(r: RunResult, first: number, count: number): number[] {
  return Array.from(r.disk.readSectors(first, count));
}

/** Tags a write with id `writeId` carries in units [first, first + count) of its buffer. */
export function userTags(writeId: number, first: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => userTag(writeId, first + k));
}

export function zeros(count: number): number[] {
  return new Array<number>(count).fill(TAG_ZERO);
}

export function stale(count: number): number[] {
  return new Array<number>(count).fill(TAG_STALE);
}

/** The first `count` tags of a request's buffer (one per 512 bytes). */
export function bufTags(r: RunResult, id: number, count: number): number[] {
  return Array.from(req(r, id).buf.tags.slice(0, count));
}

/** Labels and values of the choices asked, in order. */
export function choicesAsked(r: RunResult): Array<[string, number]> {
  return r.choiceLog.map((c: RecordedChoice) => [c.label, c.value]);
}

/** A written (mapped) extent at disk address `addr` (default DISK_BASE + offset). */
export function mapped(
  offset: number,
  length: number,
  flags: ExtentSpec['flags'] = [],
  addr = DISK_BASE + offset,
): ExtentSpec {
  return { offset, length, type: 'mapped', addr, flags };
}

/** An allocated but unwritten extent at disk address `addr` (default DISK_BASE + offset). */
export function unwritten(offset: number, length: number, addr = DISK_BASE + offset): ExtentSpec {
  return { offset, length, type: 'unwritten', addr };
}

export function hole(offset: number, length: number): ExtentSpec {
  return { offset, length, type: 'hole' };
}
