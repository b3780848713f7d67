/**
 * Litmus tests of the disk alone (model/block/disk.ts), as sets of possible outcomes (STYLE rule 6,
 * after loom's litmus tests): each test drives a Disk directly with a few bios, enumerates every
 * choice path exhaustively (crash points, destaging, torn writes, error statuses), and asserts the
 * exact set of what the written sectors hold once power has failed.
 *
 * The rules come from Documentation/block/writeback_cache_control.rst and block/blk-flush.c
 * (spec/disk.md). Each set is split by what the submitter saw before the crash: `acked` outcomes are
 * those where the bio named in the test had completed successfully, `lost` those where it had not.
 * A safety claim ("FUA is durable") is only meaningful next to its may-claim ("without FUA, the data
 * may be lost"), so every case that promises durability has a twin that shows the loss it prevents.
 *
 * Names: `old` is what the sector held before (TAG_STALE), and each write is named by the test
 * (`new`, `A`, `B`); a multi-sector region prints one name per sector.
 */
import { describe, expect, it } from 'vitest';
import {
  type Bio,
  BLK_STS_OK,
  REQ_FUA,
  REQ_OP_FLUSH,
  REQ_OP_READ,
  REQ_OP_WRITE,
  REQ_PREFLUSH,
  REQ_SYNC,
} from '../../model/block/bio.ts';
import { bioAlloc, bioPut } from '../../model/block/bioOps.ts';
import { Disk, type FuaEmulation, PowerLoss } from '../../model/block/disk.ts';
import { SECTOR_SHIFT, TAG_STALE, TAG_ZERO, tagWriteId, isUserTag } from '../../model/mm/tags.ts';
import { UserBuffer } from '../../model/mm/userBuffer.ts';
import type { ChoiceSource } from '../../model/runtime/choice.ts';
import { GenContext, type KGen } from '../../model/runtime/context.ts';
import { type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import { Runtime } from '../../model/runtime/runtime.ts';
import { ModelAssertion } from '../../model/runtime/violation.ts';
import { type Enumeration, enumerateOutcomes, outcomesWith } from '../support/enumerate.ts';

/** The device under test: its capabilities as the block layer sees them. */
interface LitmusDevice {
  readonly writeCache: boolean;
  readonly fua: boolean;
  /** How the block layer emulates FUA without native support ('none' is B22). */
  readonly fuaEmulation?: FuaEmulation;
}

/**
 * What the submitting task does, in order. A write or read with `wait` (the default) sleeps until
 * its bio completes, as submit_bio_wait does; `flush` is blkdev_issue_flush (an empty PREFLUSH,
 * waited for); `wait` sleeps until every bio submitted so far has completed.
 */
type LitmusOp =
  | {
      readonly kind: 'write';
      readonly name: string;
      readonly sector: number;
      readonly sectors?: number;
      readonly flags?: number;
      readonly wait?: boolean;
    }
  | { readonly kind: 'read'; readonly name: string; readonly sector: number; readonly wait?: boolean }
  | { readonly kind: 'flush'; readonly name: string }
  | { readonly kind: 'wait' };

interface Litmus {
  readonly device: LitmusDevice;
  readonly faults: Partial<FaultProfile>;
  readonly ops: readonly LitmusOp[];
  /** Does power fail once all is quiet, if it did not fail earlier? (Default true.) */
  readonly crashAtEnd?: boolean;
}

/** What one path of a litmus test ended with. */
interface LitmusRun {
  readonly disk: Disk;
  /** Bios that completed with BLK_STS_OK before the crash, by name. */
  readonly acked: ReadonlySet<string>;
  /** Names of the bios that completed before the crash, in completion order. */
  readonly order: readonly string[];
  /** Bios that completed with an error status before the crash, by name. */
  readonly failed: ReadonlySet<string>;
  /** What each read returned, one tag per sector. */
  readonly reads: ReadonlyMap<string, readonly number[]>;
  /** Write id → name, for printing sectors. */
  readonly names: ReadonlyMap<number, string>;
}

const GEOMETRY = { sectors: 64, logicalBlockSize: 512, dmaAlignment: 511 } as const;
const BUF_ADDR = 0x10000;
/** Paths any case here may take; the largest walks a few dozen. */
const MAX_PATHS = 2_000;

/** Runs one litmus test under one choice stream. */
function runLitmus(t: Litmus, source: ChoiceSource): LitmusRun {
  const rt = new Runtime({ source, faults: { ...NO_FAULTS, ...t.faults } });
  const disk = rt.spawn(new Disk(rt, { ...GEOMETRY, writeCache: t.device.writeCache, fua: t.device.fua }));
  disk.fuaEmulation = t.device.fuaEmulation ?? 'postflush';
  const acked = new Set<string>();
  const failed = new Set<string>();
  const order: string[] = [];
  const reads = new Map<string, number[]>();
  const names = new Map<number, string>();
  let pending = 0;

  const submit = (name: string, opf: number, sector: number, buf: UserBuffer | null): (() => boolean) => {
    const bio = bioAlloc(rt, disk, buf === null ? 0 : 1, opf);
    bio.buf = buf;
    bio.biIterSector = sector;
    bio.biSize = buf === null ? 0 : buf.length;
    let done = false;
    pending++;
    // biome-ignore lint/correctness/useYield: bi_end_io runs to completion in interrupt context.
    bio.biEndIo = function* litmusEndIo(b: Bio): KGen {
      (b.biStatus === BLK_STS_OK ? acked : failed).add(name);
      order.push(name);
      if (b.op === REQ_OP_READ && buf !== null) reads.set(name, [...buf.tags.subarray(0, buf.length >> 9)]);
      done = true;
      pending--;
      bioPut(rt, b, 0);
    };
    disk.submitBio(bio);
    return () => done;
  };

  function* task(): KGen {
    let writeId = 0;
    for (const op of t.ops) {
      let done: () => boolean = () => true;
      switch (op.kind) {
        case 'write': {
          names.set(++writeId, op.name);
          const buf = UserBuffer.forWrite(BUF_ADDR, (op.sectors ?? 1) << SECTOR_SHIFT, writeId, false);
          done = submit(op.name, REQ_OP_WRITE | REQ_SYNC | (op.flags ?? 0), op.sector, buf);
          if (op.wait === false) continue;
          break;
        }
        case 'read': {
          done = submit(op.name, REQ_OP_READ, op.sector, new UserBuffer(BUF_ADDR, 512, false));
          if (op.wait === false) continue;
          break;
        }
        case 'flush':
          done = submit(op.name, REQ_OP_FLUSH | REQ_PREFLUSH, 0, null);
          break;
        case 'wait':
          done = () => pending === 0;
          break;
      }
      yield* rt.waitUntil(done, op.kind);
    }
  }

  rt.spawn(new GenContext('task1', 'task').start(task()));
  try {
    rt.run();
    if (t.crashAtEnd ?? true) disk.powerFailAtEnd();
  } catch (e) {
    if (!(e instanceof PowerLoss)) throw e;
  }
  return { disk, acked, order, failed, reads, names };
}

/** A sector's tag by name: `old` for the disk's prior contents, else the write's name. */
function tagName(tag: number, names: ReadonlyMap<number, string>): string {
  if (tag === TAG_STALE) return 'old';
  if (tag === TAG_ZERO) return 'zero';
  if (isUserTag(tag)) return names.get(tagWriteId(tag)) ?? `w${tagWriteId(tag)}`;
  return `tag${tag}`;
}

/** What a read of `count` sectors at `first` returns now (after power loss: the media). */
function sectors(r: LitmusRun, first: number, count = 1): string {
  return [...r.disk.readSectors(first, count)].map((t) => tagName(t, r.names)).join(' ');
}

/** `acked:` or `lost:` by whether the bio `name` completed successfully before the crash. */
function ack(r: LitmusRun, name: string): string {
  return r.acked.has(name) ? 'acked:' : 'lost:';
}

function enumerate(t: Litmus, key: (r: LitmusRun) => string): Enumeration {
  return enumerateOutcomes((src) => runLitmus(t, src), key, MAX_PATHS);
}

function set(...outcomes: string[]): Set<string> {
  return new Set(outcomes);
}

/** Power may fail before any device step, and fails at the end if it did not fail earlier. */
const CRASH_ANYWHERE = { powerLoss: true, destage: true } as const;
const CACHE_NO_FUA: LitmusDevice = { writeCache: true, fua: false };
const CACHE_FUA: LitmusDevice = { writeCache: true, fua: true };
const NO_CACHE: LitmusDevice = { writeCache: false, fua: false };
/**
 * The device keeps serving other requests after the write under test (a read of an unrelated
 * sector), so the cache has a device step in which to destage before the crash.
 */
const OTHER_IO: LitmusOp = { kind: 'read', name: 'other', sector: 40 };

describe('disk litmus: acknowledged writes and power loss', () => {
  it('after an acknowledged non-FUA write and a crash, reads may return old or new data', () => {
    const e = enumerate(
      {
        device: CACHE_FUA,
        faults: CRASH_ANYWHERE,
        ops: [{ kind: 'write', name: 'new', sector: 0 }, OTHER_IO],
      },
      (r) => ack(r, 'new') + sectors(r, 0),
    );
    expect(outcomesWith(e, 'acked:')).toEqual(set('old', 'new'));
    expect(outcomesWith(e, 'lost:')).toEqual(set('old'));
  });

  // writeback_cache_control.rst lets a volatile cache write back at any time, idle or not: power
  // loss first lets the cache write back a prefix of what it holds (Disk.powerFail).
  it('after an acknowledged non-FUA write and a crash of an idle device, reads may return old or new data', () => {
    const e = enumerate(
      { device: CACHE_FUA, faults: CRASH_ANYWHERE, ops: [{ kind: 'write', name: 'new', sector: 0 }] },
      (r) => ack(r, 'new') + sectors(r, 0),
    );
    expect(outcomesWith(e, 'acked:')).toEqual(set('old', 'new'));
  });

  it('after an acknowledged REQ_FUA write on a FUA device and a crash, reads return new data', () => {
    const e = enumerate(
      {
        device: CACHE_FUA,
        faults: CRASH_ANYWHERE,
        ops: [{ kind: 'write', name: 'new', sector: 0, flags: REQ_FUA }, OTHER_IO],
      },
      (r) => ack(r, 'new') + sectors(r, 0),
    );
    expect(outcomesWith(e, 'acked:')).toEqual(set('new'));
    expect(outcomesWith(e, 'lost:')).toEqual(set('old'));
  });

  it('after an acknowledged REQ_FUA write emulated by a post-flush and a crash, reads return new data', () => {
    const e = enumerate(
      {
        device: CACHE_NO_FUA,
        faults: CRASH_ANYWHERE,
        ops: [{ kind: 'write', name: 'new', sector: 0, flags: REQ_FUA }, OTHER_IO],
      },
      (r) => ack(r, 'new') + sectors(r, 0),
    );
    expect(outcomesWith(e, 'acked:')).toEqual(set('new'));
  });

  it('after an acknowledged REQ_FUA write whose post-flush was skipped (B22) and a crash, reads may return old or new data', () => {
    const e = enumerate(
      {
        device: { ...CACHE_NO_FUA, fuaEmulation: 'none' },
        faults: CRASH_ANYWHERE,
        ops: [{ kind: 'write', name: 'new', sector: 0, flags: REQ_FUA }, OTHER_IO],
      },
      (r) => ack(r, 'new') + sectors(r, 0),
    );
    expect(outcomesWith(e, 'acked:')).toEqual(set('old', 'new'));
  });

  it('after an acknowledged write on a device without a volatile cache and a crash, reads return new data', () => {
    const e = enumerate(
      {
        device: NO_CACHE,
        faults: CRASH_ANYWHERE,
        ops: [{ kind: 'write', name: 'new', sector: 0 }, OTHER_IO],
      },
      (r) => ack(r, 'new') + sectors(r, 0),
    );
    expect(outcomesWith(e, 'acked:')).toEqual(set('new'));
    expect(outcomesWith(e, 'lost:')).toEqual(set('old'));
  });
});

describe('disk litmus: flushes', () => {
  it('after write A completed and a REQ_PREFLUSH write B completed, a crash keeps A in every outcome', () => {
    const e = enumerate(
      {
        device: CACHE_FUA,
        faults: CRASH_ANYWHERE,
        ops: [
          { kind: 'write', name: 'A', sector: 0 },
          OTHER_IO,
          { kind: 'write', name: 'B', sector: 8, flags: REQ_PREFLUSH },
          OTHER_IO,
        ],
      },
      (r) => `${ack(r, 'B')}A=${sectors(r, 0)} B=${sectors(r, 8)}`,
    );
    // B's own data is only in the cache: the pre-flush orders what completed before B, not B.
    expect(outcomesWith(e, 'acked:')).toEqual(set('A=A B=old', 'A=A B=B'));
    // Before B completed, A was only cached, or destaged by chance: the flush made the difference.
    expect(outcomesWith(e, 'lost:')).toEqual(set('A=old B=old', 'A=A B=old'));
  });

  it('a write that completes after a REQ_PREFLUSH write was issued may be lost even once both are acknowledged', () => {
    // A and B are in flight together; the device may complete B (and run its pre-flush) before A.
    const e = enumerate(
      {
        device: CACHE_FUA,
        faults: { ...CRASH_ANYWHERE, reorder: true },
        ops: [
          { kind: 'write', name: 'A', sector: 0, wait: false },
          { kind: 'write', name: 'B', sector: 8, flags: REQ_PREFLUSH, wait: false },
          { kind: 'wait' },
          OTHER_IO,
        ],
      },
      (r) => `${r.acked.has('A') && r.acked.has('B') ? 'acked:' : 'lost:'}A=${sectors(r, 0)}`,
    );
    expect(outcomesWith(e, 'acked:')).toEqual(set('A=old', 'A=A'));
  });

  /** `flushed:` once the flush completed, `written:` once only the write did, else `lost:`. */
  const flushState = (r: LitmusRun): string =>
    r.acked.has('flush') ? 'flushed:' : r.acked.has('new') ? 'written:' : 'lost:';
  const writeThenFlush: readonly LitmusOp[] = [
    { kind: 'write', name: 'new', sector: 0 },
    OTHER_IO,
    { kind: 'flush', name: 'flush' },
    OTHER_IO,
  ];

  it('after a write and an empty flush both completed, a crash keeps the write', () => {
    const e = enumerate(
      { device: CACHE_FUA, faults: CRASH_ANYWHERE, ops: writeThenFlush },
      (r) => flushState(r) + sectors(r, 0),
    );
    expect(outcomesWith(e, 'flushed:')).toEqual(set('new'));
    expect(outcomesWith(e, 'written:')).toEqual(set('old', 'new'));
    expect(outcomesWith(e, 'lost:')).toEqual(set('old'));
  });

  it('on a device without a volatile cache, a completed write is durable before any flush', () => {
    const e = enumerate(
      { device: NO_CACHE, faults: CRASH_ANYWHERE, ops: writeThenFlush },
      (r) => flushState(r) + sectors(r, 0),
    );
    expect(outcomesWith(e, 'flushed:')).toEqual(set('new'));
    expect(outcomesWith(e, 'written:')).toEqual(set('new'));
    expect(outcomesWith(e, 'lost:')).toEqual(set('old'));
  });
});

describe('disk litmus: writes that did not complete cleanly', () => {
  const inFlight = (device: LitmusDevice, tornWrites: boolean): Litmus => ({
    device,
    faults: { powerLoss: true, tornWrites },
    ops: [{ kind: 'write', name: 'new', sector: 0, wait: false }],
  });

  it('after a crash with a write still in flight, reads return old data when writes never tear', () => {
    const e = enumerate(inFlight(NO_CACHE, false), (r) => ack(r, 'new') + sectors(r, 0));
    expect(outcomesWith(e, 'lost:')).toEqual(set('old'));
    expect(outcomesWith(e, 'acked:')).toEqual(set('new'));
  });

  it('after a crash with a write still in flight, reads may return old or new data when writes may land', () => {
    const e = enumerate(inFlight(NO_CACHE, true), (r) => ack(r, 'new') + sectors(r, 0));
    expect(outcomesWith(e, 'lost:')).toEqual(set('old', 'new'));
  });

  it('after a crash with a multi-sector write still in flight, reads may return any prefix of it', () => {
    const e = enumerate(
      {
        device: NO_CACHE,
        faults: { powerLoss: true, tornWrites: true },
        ops: [{ kind: 'write', name: 'new', sector: 0, sectors: 3, wait: false }],
      },
      (r) => ack(r, 'new') + sectors(r, 0, 3),
    );
    expect(outcomesWith(e, 'lost:')).toEqual(set('old old old', 'new old old', 'new new old', 'new new new'));
  });

  // The data of a write not yet acknowledged may already be on media (written back from the cache,
  // or its completion lost), so with torn writes Disk.powerFail may land it whole or in part.
  it('after a crash with a write still in flight on a device with a volatile cache, reads may return old or new data when writes may land', () => {
    const e = enumerate(inFlight(CACHE_FUA, true), (r) => ack(r, 'new') + sectors(r, 0));
    expect(outcomesWith(e, 'lost:')).toEqual(set('old', 'new'));
  });

  it('after a failed write, reads may return old data, any prefix of the write, or all of it when writes may tear', () => {
    const e = enumerate(
      {
        device: NO_CACHE,
        faults: { bioErrors: true, tornWrites: true },
        ops: [{ kind: 'write', name: 'new', sector: 0, sectors: 4 }],
      },
      (r) => `${r.failed.has('new') ? 'failed:' : 'ok:'}${sectors(r, 0, 4)}`,
    );
    expect(outcomesWith(e, 'failed:')).toEqual(
      set('old old old old', 'new old old old', 'new new old old', 'new new new old', 'new new new new'),
    );
    expect(outcomesWith(e, 'ok:')).toEqual(set('new new new new'));
  });

  it('after a failed write, reads return old data when writes never tear', () => {
    const e = enumerate(
      {
        device: NO_CACHE,
        faults: { bioErrors: true },
        ops: [{ kind: 'write', name: 'new', sector: 0, sectors: 4 }],
      },
      (r) => `${r.failed.has('new') ? 'failed:' : 'ok:'}${sectors(r, 0, 4)}`,
    );
    expect(outcomesWith(e, 'failed:')).toEqual(set('old old old old'));
  });
});

describe('disk litmus: reads before power loss', () => {
  it('a read after an acknowledged write returns new data whether or not the cache has destaged it', () => {
    const e = enumerate(
      {
        device: CACHE_FUA,
        faults: { destage: true },
        ops: [
          { kind: 'write', name: 'new', sector: 0 },
          { kind: 'read', name: 'r', sector: 0 },
        ],
        crashAtEnd: false,
      },
      (r) => {
        const read = (r.reads.get('r') ?? []).map((t) => tagName(t, r.names)).join(' ');
        return `read=${read} media=${tagName(r.disk.media[0] ?? TAG_STALE, r.names)}`;
      },
    );
    // The second outcome shows the read was served from the cache while the media still held old data.
    expect(e.outcomes).toEqual(set('read=new media=new', 'read=new media=old'));
  });
});

describe('disk litmus: the worked trace of spec/disk.md', () => {
  it('after A and B flushed, C and E written with FUA and D cached, a crash keeps B, C, E, and A or D', () => {
    const e = enumerate(
      {
        device: CACHE_FUA,
        faults: { ...CRASH_ANYWHERE, reorder: true },
        ops: [
          { kind: 'write', name: 'A', sector: 0, wait: false },
          { kind: 'write', name: 'B', sector: 8, wait: false },
          { kind: 'wait' },
          { kind: 'flush', name: 'F' },
          { kind: 'write', name: 'C', sector: 16, flags: REQ_FUA },
          { kind: 'write', name: 'D', sector: 0 },
          { kind: 'write', name: 'E', sector: 24, flags: REQ_FUA },
        ],
      },
      (r) => {
        const all = ['A', 'B', 'F', 'C', 'D', 'E'].every((n) => r.acked.has(n));
        const first = r.order.slice(0, 2).join('');
        return `${all ? 'acked:' : 'lost:'}${first} ${[0, 8, 16, 24].map((s) => sectors(r, s)).join(' ')}`;
      },
    );
    // Both completion orders of A and B (the trace shows B first), each with D lost or destaged.
    expect(outcomesWith(e, 'acked:')).toEqual(set('AB A B C E', 'AB D B C E', 'BA A B C E', 'BA D B C E'));
  });
});

describe('the exhaustive enumerator', () => {
  it('walks every path of a small tree once and reports the number of paths', () => {
    const e = enumerateOutcomes(
      (src) => {
        const a = src.next(3, 'a');
        const b = a === 1 ? src.next(2, 'b') : 0;
        return `${a}${b}`;
      },
      (k) => k,
      10,
    );
    expect(e.paths).toBe(4);
    expect(e.outcomes).toEqual(set('00', '10', '11', '20'));
    expect(e.witnesses.get('11')).toEqual([1, 1]);
  });

  it('throws when a run is not a function of its choices', () => {
    let calls = 0;
    const flaky = (src: ChoiceSource): number => {
      calls++;
      return src.next(2, 'a') + (calls === 2 ? src.next(2, 'b') : src.next(3, 'c'));
    };
    expect(() => enumerateOutcomes(flaky, String, 100)).toThrow(/not a function of its choices/);
  });

  it('throws when the tree has more paths than the bound allows', () => {
    expect(() => enumerateOutcomes((src) => src.next(2, 'a') + src.next(2, 'b'), String, 3)).toThrow(
      /more than 3 choice paths/,
    );
  });
});

describe('the device end', () => {
  const write = (sector: number, sectors: number): Litmus => ({
    device: NO_CACHE,
    faults: {},
    ops: [{ kind: 'write', name: 'new', sector, sectors }],
    crashAtEnd: false,
  });
  const source: ChoiceSource = { next: () => 0 };

  it('a write ending at the last sector lands there', () => {
    const r = runLitmus(write(GEOMETRY.sectors - 2, 2), source);
    expect(r.acked.has('new')).toBe(true);
    expect(sectors(r, GEOMETRY.sectors - 2, 2)).toBe('new new');
  });

  it('a bio past the end is a model assertion, not a write that goes nowhere', () => {
    expect(() => runLitmus(write(GEOMETRY.sectors - 1, 2), source)).toThrow(ModelAssertion);
    expect(() => runLitmus(write(GEOMETRY.sectors - 1, 2), source)).toThrow(/past the end of the device/);
  });
});
