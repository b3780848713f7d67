/**
 * Scenarios for the campaign: a device, a file's mappings over the scripted filesystem (fs.model
 * 'scripted': ->iomap_begin reports the extents as given), and one or two threads issuing direct
 * reads and writes.
 *
 * fast-check draws a raw description made only of independent small numbers and enums, and a pure
 * function (buildScenario) turns it into a Scenario that respects the geometry. Shrinking works on
 * the raw description, so every shrunk value is still a valid scenario and shrinks toward the plain
 * one: 512-byte device, 4 KiB blocks, one mapped extent, one aligned synchronous read.
 *
 * What the builder guarantees:
 * - the filesystem block size is a power of two, a multiple of the logical block size, at most 4096;
 * - extents are contiguous from offset 0, at most 4 of at most 4 blocks (a file of at most 64 KiB),
 *   each mapped or unwritten extent on its own range of the 2 MiB disk;
 * - flags are those a filesystem reports for the type: new, dirty and shared only on mapped and
 *   unwritten extents;
 * - an inline extent is the whole file, at offset 0, a multiple of 512 bytes, and fits its page
 *   except in the rare scenario that drives the WARN of iomap_dio_inline_iter (seed L465-466);
 * - a write stays inside a run of non-hole extents, except in the rare scenario that drives the
 *   hole -EIO of iomap_dio_iter (seed L493-494); reads may run past the mappings and past EOF;
 * - positions and lengths are mostly aligned to the logical block size, sometimes to the filesystem
 *   block, now and then (two in 19) misaligned; buffers mostly at 0x10000 multiples, sometimes at another sector
 *   of their page, occasionally misaligned;
 * - half the requests land where the request built before them did (reading back what was
 *   written, rewriting it), the rest where drawn;
 * - half the filesystems pass IOMAP_DIO_PARTIAL on every call, as btrfs and gfs2 do, and three
 *   files in four behave as a filesystem with data (FsSpec.generic), judged on it: the resume loop,
 *   the buffered fallback and the data checks meet there;
 * - half the filesystems submit bios through their own ->submit_io, half of those from a worker
 *   (btrfs);
 * - the filesystem's end_io may sleep; now and then it has one for reads too (readEndIo, as zonefs
 *   does), which reaches the seed's own bug 222f2c7c6d14 on `--kernel seed` and its fix otherwise.
 */
import fc from 'fast-check';
import type { FaultProfile } from '../../model/runtime/faults.ts';
import { DioOp } from '../../model/world/shapes.ts';
import type {
  DioFlag,
  DioOpSpec,
  ExtentFlag,
  ExtentSpec,
  ExtentType,
  FsSpec,
  IocbFlag,
  OpSpec,
  Scenario,
} from '../../model/world/scenario.ts';
import type { DrawnScenario } from './faults.ts';

const PAGE_BYTES = 4096;
/** Disk capacity in bytes: the model's default of 4096 sectors. */
export const DISK_BYTES = 4096 * 512;
/** Each mapped or unwritten extent lives in its own slot of the disk. */
const DISK_SLOT_BYTES = 256 * 1024;
const DISK_SLOTS = DISK_BYTES / DISK_SLOT_BYTES;
const EXTENTS_MAX = 4;
const EXTENT_BLOCKS_MAX = 4;
/** Largest request: four pages, enough for several bios with small BIO_MAX_VECS. */
export const OP_BYTES_MAX = 16 * 1024;
const BUF_BASE = 0x10000;

type Align = 'lbs' | 'block' | 'misaligned';
type BufPlacement = 'aligned' | 'sector' | 'misaligned';
type ISizeMode = 'end' | 'aligned' | 'unaligned';

/**
 * Who submits a direct request: a plain system call (null: `async` and the flags as drawn), or
 * io_uring, whose first issue of a request is non-blocking (6.12.117 io_uring/rw.c L843-847,
 * L1062-1073) and, on an IORING_SETUP_IOPOLL ring, polled as well (L806-812): an async kiocb with
 * IOCB_NOWAIT, and IOCB_HIPRI on a polled ring. That is io_uring's everyday direct I/O.
 */
export type Uring = null | 'nonblock' | 'iopoll';

interface RawExtent {
  readonly type: Exclude<ExtentType, 'inline'>;
  readonly blocks: number;
  readonly flags: readonly ExtentFlag[];
  readonly slot: number;
  readonly jitterBlocks: number;
}

interface RawInline {
  readonly sectors: number;
  /** Place the inline buffer so that it crosses its page (the WARN path). */
  readonly crossesPage: boolean;
}

interface RawOp {
  /** Always true when generated; shrinking sets it false to drop the operation. */
  readonly keep: boolean;
  readonly write: boolean;
  readonly align: Align;
  readonly start: number;
  readonly at: number;
  readonly units: number;
  readonly misalignBytes: number;
  /** A zero-length request (iomap_dio_rw returns at once, seed L561-562). */
  readonly empty: boolean;
  readonly intoHole: boolean;
  readonly buf: BufPlacement;
  readonly bufPage: number;
  readonly userBacked: boolean;
  /**
   * A page of the user buffer that is not there (DioOpSpec.badPage), counted from its first page
   * and folded onto the pages it spans; null for none (most requests).
   */
  readonly badPage: number | null;
  readonly async: boolean;
  readonly iocbFlags: readonly IocbFlag[];
  readonly dioFlags: readonly DioFlag[];
  /** Submitted by io_uring (see Uring): async, IOCB_NOWAIT, and IOCB_HIPRI when polled. */
  readonly uring: Uring;
  /** Lands where the request built before it did: see OpGeometry.last. */
  readonly again: boolean;
}

/** The independent numbers fast-check draws and shrinks; buildScenario makes them a Scenario. */
export interface RawScenario {
  readonly logicalBlockSize: 512 | 4096;
  readonly fua: boolean;
  readonly writeCache: boolean;
  readonly blockSize: number;
  readonly extents: readonly RawExtent[];
  readonly inline: RawInline | null;
  readonly iSizeMode: ISizeMode;
  readonly iSizeFrac: number;
  readonly pageCache: ReadonlyArray<{ readonly index: number; readonly dirty: boolean }>;
  readonly fsyncFails: boolean;
  /** The filesystem's dio ops: a bio_set, a ->submit_io hook, -ENOTBLK from ->iomap_begin past a point. */
  readonly bioSet: boolean;
  readonly submitIo: boolean;
  /**
   * Its ->submit_io hands the bio to a worker that submits it later (btrfs checksums direct writes
   * in a workqueue, btrfs_submit_bio -> btrfs_wq_submit_bio, 6.12.117 fs/btrfs/bio.c): the refused
   * or failed bio then ends after its submitter went on. Only with submitIo.
   */
  readonly submitIoDeferred: boolean;
  /** The filesystem passes its dio ops for reads too (zonefs does), so a read's end_io runs. */
  readonly readEndIo: boolean;
  readonly notblkAt: number | null;
  /**
   * The filesystem passes IOMAP_DIO_PARTIAL on every call, as btrfs and gfs2 do (btrfs_dio_read,
   * btrfs_direct_write, gfs2_file_direct_read/_write): a fault or -ENOTBLK part way returns what
   * was done, and the caller resumes with done_before.
   */
  readonly partialFs: boolean;
  readonly bioMaxVecs: number;
  readonly threads: ReadonlyArray<readonly RawOp[]>;
  /**
   * A polled NOWAIT write family (one file in eight): a filesystem whose ->submit_io hands
   * direct write bios to a worker (btrfs's checksumming workqueue before 968f19c5b1b7), a file whose
   * first two extents are plain written ones, and a first thread that ends with an async NOWAIT
   * IOCB_HIPRI write with caller completion over both: the one overwrite that keeps IOCB_HIPRI to
   * its first bio (seed L343-354) while the second mapping is submitted after it (seed L71-75).
   * Each of those is drawn rarely and independently above. Where the file draws -ENOTBLK
   * (notblkAt), it starts at the third extent: a NOWAIT write sent to buffered I/O part way after
   * two mappings' bios. Drawn last, so that the fields above draw as before. See withPolledWrite.
   */
  readonly polled: boolean;
}

/** Does `raw` draw the polled family (withPolledWrite changes it): polled, a first thread, no inline data? */
export function hasPolledWrite(raw: RawScenario): boolean {
  const ops = raw.threads[0];
  return raw.polled && ops !== undefined && ops.length > 0 && raw.inline === null;
}

/** The raw scenario the polled family makes of a drawn one (itself when not drawn). */
export function withPolledWrite(raw: RawScenario): RawScenario {
  const ops = raw.threads[0];
  const last = ops?.[ops.length - 1];
  if (!hasPolledWrite(raw) || ops === undefined || last === undefined) return raw;
  // The first extent one block long, so that the write (at most OP_BYTES_MAX) reaches the second.
  const extents = raw.extents.map((e, i) =>
    i < 2 ? { ...e, type: 'mapped' as const, flags: [], blocks: i === 0 ? 1 : e.blocks } : e,
  );
  if (extents.length < 2 && extents[0] !== undefined)
    extents.push({ ...extents[0], slot: (extents[0].slot + 1) % DISK_SLOTS });
  const write: RawOp = {
    ...last,
    keep: true,
    write: true,
    align: 'block',
    start: 0,
    at: 0,
    units: 32,
    empty: false,
    intoHole: false,
    buf: 'aligned',
    userBacked: true,
    badPage: null,
    async: true,
    iocbFlags: ['caller_comp'],
    dioFlags: [],
    uring: 'iopoll',
    again: false,
  };
  return {
    ...raw,
    extents,
    // No cached page: a NOWAIT write over one returns -EAGAIN before any I/O (seed L634-647).
    pageCache: [],
    iSizeMode: 'end',
    submitIo: true,
    submitIoDeferred: true,
    // Where one is drawn, -ENOTBLK from the third extent on (past the two the polled bugs need): a
    // NOWAIT write that the filesystem sends to buffered I/O part way, after its first two
    // mappings' bios (seed L684-690; gfs2's ->iomap_begin returns -ENOTBLK under NOWAIT too).
    notblkAt: raw.notblkAt === null ? null : 1 + (extents[1]?.blocks ?? 1),
    partialFs: false,
    threads: [[...ops.slice(0, -1), write], ...raw.threads.slice(1)],
  };
}

/** A weighted choice; the first entry is the plain one, and shrinking crosses over to it. */
export function weighted<T>(...entries: ReadonlyArray<readonly [number, fc.Arbitrary<T>]>): fc.Arbitrary<T> {
  return fc.oneof(
    { withCrossShrink: true },
    ...entries.map(([weight, arbitrary]) => ({ weight, arbitrary })),
  );
}

/** A subset that is usually empty. */
function rareSubset<T>(items: readonly T[], emptyWeight: number): fc.Arbitrary<T[]> {
  return weighted<T[]>([emptyWeight, fc.constant([])], [1, fc.subarray([...items], { minLength: 1 })]);
}

function rawExtent(): fc.Arbitrary<RawExtent> {
  return fc.record({
    type: weighted<RawExtent['type']>(
      [10, fc.constant('mapped')],
      [6, fc.constant('unwritten')],
      [3, fc.constant('hole')],
      [1, fc.constant('delalloc')],
    ),
    blocks: fc.integer({ min: 1, max: EXTENT_BLOCKS_MAX }),
    flags: rareSubset<ExtentFlag>(['new', 'dirty', 'shared'], 2),
    slot: fc.nat({ max: DISK_SLOTS - 1 }),
    jitterBlocks: fc.nat({ max: 15 }),
  });
}

/**
 * Generates true only, and shrinks to false. fast-check shrinks an array by cutting items from its
 * front, so an operation after the one that fails could never be removed; a keep flag per operation
 * lets shrinking drop any operation, and a thread once none of its operations is left.
 */
export class KeepArbitrary extends fc.Arbitrary<boolean> {
  generate(): fc.Value<boolean> {
    return new fc.Value(true, undefined);
  }
  canShrinkWithoutContext(value: unknown): value is boolean {
    return typeof value === 'boolean';
  }
  shrink(value: boolean): fc.Stream<fc.Value<boolean>> {
    return value ? fc.Stream.of(new fc.Value(false, undefined)) : fc.Stream.nil();
  }
}

function rawOp(): fc.Arbitrary<RawOp> {
  return fc.record({
    keep: new KeepArbitrary(),
    write: fc.boolean(),
    // Misaligned two in 19 (one in 18 before): a position or length off the logical block size is
    // what the alignment checks (seed L291-293, L325-331) are for. Every catch of the planted
    // alignment-checked-after-trim in 20,000 scripted scenarios with swarm profiles and choice
    // streams (seed 1) had one: 68 at one in 18, 134 at two in 19.
    align: weighted<Align>(
      [12, fc.constant('lbs')],
      [5, fc.constant('block')],
      [2, fc.constant('misaligned')],
    ),
    start: fc.nat({ max: 255 }),
    at: fc.nat({ max: 255 }),
    units: fc.integer({ min: 1, max: 32 }),
    misalignBytes: fc.integer({ min: 1, max: 511 }),
    empty: weighted<boolean>([60, fc.constant(false)], [1, fc.constant(true)]),
    intoHole: weighted<boolean>([40, fc.constant(false)], [1, fc.constant(true)]),
    buf: weighted<BufPlacement>(
      [12, fc.constant('aligned')],
      [3, fc.constant('sector')],
      [1, fc.constant('misaligned')],
    ),
    bufPage: fc.nat({ max: 3 }),
    userBacked: weighted<boolean>([10, fc.constant(true)], [1, fc.constant(false)]),
    badPage: weighted<number | null>([4, fc.constant(null)], [1, fc.nat({ max: 3 })]),
    async: weighted<boolean>([2, fc.constant(false)], [1, fc.constant(true)]),
    iocbFlags: rareSubset<IocbFlag>(['dsync', 'sync', 'nowait', 'hipri', 'caller_comp'], 2),
    dioFlags: rareSubset<DioFlag>(['force_wait', 'overwrite_only', 'partial'], 5),
    uring: weighted<Uring>([4, fc.constant(null)], [1, fc.constant('nonblock')], [1, fc.constant('iopoll')]),
    // Reading back what was just written, rewriting a record: where requests meet (as in the world).
    again: weighted<boolean>([1, fc.constant(false)], [1, fc.constant(true)]),
  });
}

/** The raw description; see buildScenario for what it becomes. */
export function rawScenarioArbitrary(): fc.Arbitrary<RawScenario> {
  return fc.record({
    logicalBlockSize: fc.constantFrom<512 | 4096>(512, 4096),
    fua: fc.boolean(),
    writeCache: fc.boolean(),
    blockSize: fc.constantFrom(4096, 512, 1024, 2048),
    extents: fc.array(rawExtent(), { minLength: 1, maxLength: EXTENTS_MAX }),
    inline: weighted<RawInline | null>(
      [12, fc.constant(null)],
      [
        1,
        fc.record({
          sectors: fc.integer({ min: 1, max: 8 }),
          crossesPage: weighted<boolean>([8, fc.constant(false)], [1, fc.constant(true)]),
        }),
      ],
    ),
    iSizeMode: weighted<ISizeMode>(
      [5, fc.constant('end')],
      [2, fc.constant('aligned')],
      [1, fc.constant('unaligned')],
    ),
    iSizeFrac: fc.nat({ max: 1023 }),
    pageCache: weighted<RawScenario['pageCache']>(
      [4, fc.constant([])],
      [
        1,
        fc.array(fc.record({ index: fc.nat({ max: 15 }), dirty: fc.boolean() }), {
          minLength: 1,
          maxLength: 3,
        }),
      ],
    ),
    fsyncFails: weighted<boolean>([15, fc.constant(false)], [1, fc.constant(true)]),
    bioSet: weighted<boolean>([6, fc.constant(false)], [1, fc.constant(true)]),
    // Half the filesystems submit through their own ->submit_io, as btrfs does for every direct
    // bio (btrfs_dio_submit_io, 6.12.117 fs/btrfs/direct-io.c), the filesystem that also passes
    // IOMAP_DIO_PARTIAL (was a quarter; the bugs of deferred submission need it with NOWAIT).
    submitIo: weighted<boolean>([1, fc.constant(false)], [1, fc.constant(true)]),
    submitIoDeferred: fc.boolean(),
    readEndIo: weighted<boolean>([2, fc.constant(false)], [1, fc.constant(true)]),
    // -ENOTBLK from ->iomap_begin is how a filesystem sends part of a request to buffered I/O
    // (gfs2 for blocks a direct write would have to allocate, btrfs for compressed or inline extents):
    // half the files (was a quarter), since every fallback bug needs it.
    notblkAt: weighted<number | null>([1, fc.constant(null)], [1, fc.nat({ max: 7 })]),
    partialFs: weighted<boolean>([1, fc.constant(false)], [1, fc.constant(true)]),
    bioMaxVecs: fc.integer({ min: 1, max: 4 }),
    threads: fc.array(fc.array(rawOp(), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 2 }),
    polled: weighted<boolean>([7, fc.constant(false)], [1, fc.constant(true)]),
  });
}

/** Scenarios for the campaign. */
export function scenarioArbitrary(): fc.Arbitrary<Scenario> {
  return rawScenarioArbitrary().map(buildScenario);
}

/**
 * The fault classes the polled family's files run with, set over the drawn profile: the polled bio
 * may find no free request (wouldBlock: REQ_NOWAIT, seed L71-75, up to 6.12.107), and the submitter
 * goes on to its next mapping before the worker submits the first bio (interleave off: the plain
 * order). On the planted polled-bio-implies-nowait (6,000 family files, swarm profiles and choice
 * streams, seed 1): 2.0 % caught as drawn, 8.4 % with these set; notblk-nowait-as-eagain 9.9 % and
 * 10.3 %.
 */
export const POLLED_FAULTS: Partial<FaultProfile> = { wouldBlock: true, interleave: false };

/** Scenarios for the campaign, with the polled family's fault classes where it is drawn. */
export function drawnScriptedArbitrary(): fc.Arbitrary<DrawnScenario> {
  return rawScenarioArbitrary().map((raw) => ({
    scenario: buildScenario(raw),
    faults: hasPolledWrite(raw) ? POLLED_FAULTS : null,
  }));
}

/** A byte range of the file that writes may target: consecutive extents of one kind. */
interface Run {
  readonly start: number;
  readonly end: number;
}

const FLAGGABLE: ReadonlySet<ExtentType> = new Set<ExtentType>(['mapped', 'unwritten']);

function buildExtents(raw: RawScenario, blockSize: number): ExtentSpec[] {
  if (raw.inline !== null) {
    const length = raw.inline.sectors * 512;
    const inlineOffsetInPage = raw.inline.crossesPage ? PAGE_BYTES - length + 256 : 0;
    return [{ offset: 0, length, type: 'inline', ...(inlineOffsetInPage ? { inlineOffsetInPage } : {}) }];
  }
  const usedSlots = new Set<number>();
  const extents: ExtentSpec[] = [];
  let offset = 0;
  for (const e of raw.extents) {
    const length = e.blocks * blockSize;
    const spec: { -readonly [K in keyof ExtentSpec]: ExtentSpec[K] } = { offset, length, type: e.type };
    if (FLAGGABLE.has(e.type)) {
      let slot = e.slot;
      while (usedSlots.has(slot)) slot = (slot + 1) % DISK_SLOTS;
      usedSlots.add(slot);
      spec.addr = slot * DISK_SLOT_BYTES + e.jitterBlocks * blockSize;
      if (e.flags.length > 0) spec.flags = [...e.flags];
    }
    extents.push(spec);
    offset += length;
  }
  return extents;
}

/** Maximal runs of extents that are (holes) or are not (everything else) holes. */
function runsOf(extents: readonly ExtentSpec[], holes: boolean): Run[] {
  const runs: Run[] = [];
  for (const e of extents) {
    if ((e.type === 'hole') !== holes) continue;
    const last = runs[runs.length - 1];
    if (last !== undefined && last.end === e.offset)
      runs[runs.length - 1] = { start: last.start, end: e.offset + e.length };
    else runs.push({ start: e.offset, end: e.offset + e.length });
  }
  return runs;
}

function buildISize(raw: RawScenario, fileBytes: number): number {
  switch (raw.iSizeMode) {
    case 'end':
      return fileBytes;
    case 'aligned':
      return (raw.iSizeFrac % (fileBytes / 512 + 1)) * 512;
    case 'unaligned':
      return ((raw.iSizeFrac * 97) % fileBytes) + 1;
  }
}

interface OpGeometry {
  readonly lbs: number;
  readonly blockSize: number;
  readonly fileBytes: number;
  readonly inline: boolean;
  readonly writeRuns: readonly Run[];
  readonly holeRuns: readonly Run[];
  readonly partial: boolean;
  /**
   * The byte range of the request built last (thread after thread, so the first of the second
   * thread may land where the last of the first did), or null before the first: RawOp.again.
   */
  last: { readonly pos: number; readonly len: number } | null;
}

/** Position and length of a write inside one run (a run is a whole number of units long). */
function placeInRun(run: Run, unit: number, raw: RawOp): { pos: number; len: number } {
  const slots = Math.max(1, Math.floor((run.end - run.start) / unit));
  const pos = run.start + (raw.at % slots) * unit;
  return { pos, len: Math.min(raw.units * unit, OP_BYTES_MAX, run.end - pos) };
}

function buildOp(raw: RawOp, g: OpGeometry): DioOpSpec {
  const unit = g.inline ? 512 : raw.align === 'block' ? g.blockSize : g.lbs;
  let write = raw.write;
  let run: Run | undefined;
  let again = raw.again ? g.last : null;
  if (write) {
    const pool = raw.intoHole && g.holeRuns.length > 0 ? g.holeRuns : g.writeRuns;
    const at = again?.pos ?? -1;
    const under = pool.find((r) => r.start <= at && at < r.end);
    // A write lands again only where writes may go; elsewhere it is placed as drawn.
    if (under === undefined) again = null;
    run = under ?? pool[raw.start % Math.max(1, pool.length)];
    // A file of holes only: the write becomes a read rather than an unintended hole write.
    if (run === undefined) write = false;
  }
  let pos: number;
  let len: number;
  if (again !== null) {
    // The units the previous request touched (runs start on block boundaries, so pos stays in run).
    pos = Math.floor(again.pos / unit) * unit;
    const end = Math.ceil((again.pos + Math.max(1, again.len)) / unit) * unit;
    len = Math.min(end - pos, OP_BYTES_MAX, run === undefined ? OP_BYTES_MAX : run.end - pos);
  } else if (run !== undefined) {
    ({ pos, len } = placeInRun(run, unit, raw));
  } else {
    pos = (raw.start % (Math.ceil(g.fileBytes / unit) + 1)) * unit;
    len = Math.min(raw.units * unit, OP_BYTES_MAX);
  }
  if (raw.align === 'misaligned' && !g.inline) {
    const delta = raw.misalignBytes % unit || 1;
    if (raw.at % 2 === 0) {
      pos += delta;
      if (run !== undefined) len = Math.min(len, run.end - pos);
    } else {
      len = len > delta ? len - delta : len + delta;
      if (run !== undefined) len = Math.min(len, run.end - pos);
    }
  }
  if (raw.empty) len = 0;
  g.last = { pos, len };
  // A sector-aligned buffer (posix_memalign(512)) may start at any sector of its page, so that a
  // page boundary falls inside a block of the request: where a short page-get leaves a block tail.
  // On a 4 KiB-sector device a PARTIAL read with such a buffer may stop mid-sector at a page to
  // fault in (zeroing a hole or unwritten block, 6.12.117 fs/iomap/direct-io.c L477-486,
  // L529-531); gfs2 then resumes there, on the release settings (baseline
  // arg-01-task-scripted-resume-mid-sector), and the correct model ends the direct part there
  // (model/fs/genericCaller.ts).
  const bufOffset =
    raw.buf === 'aligned'
      ? 0
      : raw.buf === 'sector'
        ? 512 * (1 + (raw.misalignBytes % 7))
        : raw.misalignBytes % 512 || 1;
  const async = raw.async || raw.uring !== null;
  const iocbFlags = raw.iocbFlags.filter((f) => f !== 'caller_comp' || async);
  if (raw.uring !== null && !iocbFlags.includes('nowait')) iocbFlags.push('nowait');
  if (raw.uring === 'iopoll' && !iocbFlags.includes('hipri')) iocbFlags.push('hipri');
  const bufAddr = BUF_BASE * (1 + raw.bufPage) + bufOffset;
  const op = new DioOp(write ? 'dio_write' : 'dio_read', pos, len);
  op.bufAddr = bufAddr;
  if (!raw.userBacked) op.userBacked = false;
  // A buffer with a page unmapped or PROT_NONE, as the oracle's agent makes them (the corpus's
  // fault.* cases): pinning stops there, a copy faults there, deterministically, as a program that
  // munmaps part of its buffer (or races munmap with its I/O) sees.
  if (raw.badPage !== null && raw.userBacked && len > 0) {
    const spanned = Math.ceil(((bufAddr % PAGE_BYTES) + len) / PAGE_BYTES);
    op.badPage = { index: raw.badPage % spanned, how: raw.misalignBytes % 2 === 0 ? 'munmap' : 'mprotect' };
  }
  if (async) op.async = true;
  if (iocbFlags.length > 0) op.iocbFlags = iocbFlags;
  const dioFlags =
    g.partial && !raw.dioFlags.includes('partial') ? [...raw.dioFlags, 'partial' as const] : raw.dioFlags;
  if (dioFlags.length > 0) op.dioFlags = [...dioFlags];
  // A quarter of the PARTIAL requests are a resumed call of btrfs's or gfs2's loop as is: the bytes
  // of the calls before it come in as done_before (RES-07); the generic caller's own loop makes the
  // others' resumed calls. Derived from drawn values, so no draw is added.
  if (dioFlags.includes('partial') && raw.at % 4 === 1) op.doneBefore = ((raw.misalignBytes % 16) + 1) * 512;
  return op;
}

function buildPageCache(raw: RawScenario, fileBytes: number): FsSpec['pageCache'] {
  const pages = Math.max(1, Math.ceil(fileBytes / PAGE_BYTES));
  const byIndex = new Map<number, boolean>();
  for (const p of raw.pageCache) byIndex.set(p.index % pages, p.dirty);
  return [...byIndex].map(([index, dirty]) => ({ index, dirty }));
}

/** Turns a raw description into a valid Scenario (pure: the same raw value, the same scenario). */
export function buildScenario(drawn: RawScenario): Scenario {
  const raw = withPolledWrite(drawn);
  const lbs = raw.logicalBlockSize;
  const blockSize = Math.max(lbs, raw.blockSize);
  const extents = buildExtents(raw, blockSize);
  const fileBytes = extents.reduce((end, e) => Math.max(end, e.offset + e.length), 0);
  const geometry: OpGeometry = {
    lbs,
    blockSize,
    fileBytes,
    inline: raw.inline !== null,
    writeRuns: runsOf(extents, false),
    holeRuns: runsOf(extents, true),
    partial: raw.partialFs,
    last: null,
  };
  const pageCache = buildPageCache(raw, fileBytes);
  const fs: { -readonly [K in keyof FsSpec]: FsSpec[K] } = {
    model: 'scripted',
    blockSize,
    iSize: buildISize(raw, fileBytes),
    extents,
  };
  if (pageCache !== undefined && pageCache.length > 0) fs.pageCache = pageCache;
  if (raw.fsyncFails) fs.fsyncErrno = 5;
  if (raw.bioSet) fs.bioSet = true;
  if (raw.submitIo) fs.submitIo = true;
  if (raw.submitIo && raw.submitIoDeferred) fs.submitIoDeferred = true;
  if (raw.readEndIo) fs.readEndIo = true;
  if (raw.notblkAt !== null) fs.notblkFrom = raw.notblkAt * blockSize;
  // Three scripted files in four behave as a filesystem with data, judged by STALE-01 and DATA-01
  // (FsSpec.generic), but only half of those whose ->iomap_begin returns -ENOTBLK part way: the
  // generic caller masks a NOWAIT -ENOTBLK, as btrfs, whose ->iomap_begin answers -EAGAIN under
  // NOWAIT instead (6.12.117 fs/btrfs/direct-io.c L110, L126, L507), while gfs2's returns -ENOTBLK
  // under NOWAIT too (fs/gfs2/bmap.c L1112-1119): plain files keep that shape. Derived from drawn
  // values, so no draw is added.
  // The polled family's file is a plain scripted one: as a whole filesystem its caller never
  // reaches the shape (0 of 500 streams on the planted bug's own scenario with generic set).
  if (!raw.polled && (raw.notblkAt === null ? raw.iSizeFrac % 4 !== 3 : raw.iSizeFrac % 2 === 0))
    fs.generic = true;
  return {
    device: { logicalBlockSize: lbs, fua: raw.fua, writeCache: raw.writeCache },
    fs,
    bioMaxVecs: raw.bioMaxVecs,
    threads: raw.threads
      .map((ops) => callerCompLast(ops.filter((op) => op.keep).map((op) => buildOp(op, geometry))))
      .filter((ops) => ops.length > 0),
  };
}

/**
 * IOCB_DIO_CALLER_COMP only on a thread's last operation. Its completion is task_work of the
 * issuing task (model/runtime/context.ts TaskWork), which a task blocked in the kernel never runs:
 * a later call of the same thread that waits in inode_dio_wait would deadlock, as io_uring did with
 * 099ada2c8726 until 838b35bb6a89 (the planted bug uring-write-caller-comp). No kernel since sets
 * the flag; the campaign keeps the caller-completion paths (seed L195-214) without that shape.
 * Derived from drawn values: no draw is added.
 */
export function callerCompLast<T extends OpSpec>(ops: T[]): T[] {
  return ops.map((op, i) => {
    if (i === ops.length - 1 || !('iocbFlags' in op) || !op.iocbFlags?.includes('caller_comp')) return op;
    const iocbFlags = op.iocbFlags.filter((f) => f !== 'caller_comp');
    // The generators' requests keep their one shape (model/world/shapes.ts DioOp).
    if (op instanceof DioOp)
      return op.withIocbFlags(iocbFlags.length > 0 ? iocbFlags : undefined) as unknown as T;
    const { iocbFlags: _, ...rest } = op;
    return (iocbFlags.length > 0 ? { ...rest, iocbFlags } : rest) as T;
  });
}
