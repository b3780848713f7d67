/**
 * Scenarios for the world: the model XFS over a disk with or without a volatile cache, a small
 * file of written, unwritten, shared and hole blocks, and one or two threads mixing direct and
 * buffered I/O, mmap reads, fsync, truncate, fallocate and power loss.
 *
 * The initial file keeps the invariants a real XFS file has: no written block past the EOF block,
 * the EOF block's tail zero (ModelXfs writes the original data only below i_size), a dirty cached
 * page over a hole is delalloc. Operations are placed mostly on logical-block boundaries so that
 * most requests reach the bio path.
 */
import fc from 'fast-check';
import type {
  ExtentSpec,
  ExtentType,
  FsSpec,
  IocbFlag,
  OpSpec,
  Scenario,
} from '../../model/world/scenario.ts';
import { KeepArbitrary, weighted } from './scenario.ts';

const PAGE_BYTES = 4096;
const FILE_BLOCKS_MAX = 8;
const DISK_BASE = 64 * 1024;

type BlockKind = 'written' | 'unwritten' | 'hole' | 'shared';

interface RawWorldOp {
  readonly keep: boolean;
  readonly kind: OpSpec['kind'];
  readonly at: number;
  readonly units: number;
  readonly blockAligned: boolean;
  readonly async: boolean;
  readonly flags: readonly IocbFlag[];
}

export interface RawWorld {
  readonly lbs: 512 | 4096;
  readonly fua: boolean;
  readonly writeCache: boolean;
  readonly blockSize: number;
  readonly blocks: readonly BlockKind[];
  readonly iSizeUnits: number;
  readonly iSizeTail: number;
  readonly pages: ReadonlyArray<{ readonly index: number; readonly dirty: boolean }>;
  readonly bioMaxVecs: number;
  readonly threads: ReadonlyArray<readonly RawWorldOp[]>;
}

function rawOp(): fc.Arbitrary<RawWorldOp> {
  return fc.record({
    keep: new KeepArbitrary(),
    kind: weighted<OpSpec['kind']>(
      [8, fc.constant('dio_write')],
      [6, fc.constant('dio_read')],
      [3, fc.constant('buffered_write')],
      [2, fc.constant('buffered_read')],
      [2, fc.constant('fdatasync')],
      [1, fc.constant('fsync')],
      [1, fc.constant('mmap_read')],
      [1, fc.constant('truncate')],
      [1, fc.constant('fallocate')],
      [1, fc.constant('power_loss')],
    ),
    at: fc.nat({ max: 255 }),
    units: fc.integer({ min: 1, max: 16 }),
    blockAligned: fc.boolean(),
    async: weighted<boolean>([2, fc.constant(false)], [1, fc.constant(true)]),
    flags: weighted<IocbFlag[]>(
      [4, fc.constant([])],
      [2, fc.constant(['dsync'])],
      [1, fc.constant(['sync'])],
      [1, fc.subarray<IocbFlag>(['dsync', 'nowait', 'hipri', 'caller_comp'], { minLength: 1 })],
    ),
  });
}

export function rawWorldArbitrary(): fc.Arbitrary<RawWorld> {
  return fc.record({
    lbs: weighted<512 | 4096>([3, fc.constant(512)], [1, fc.constant(4096)]),
    fua: fc.boolean(),
    writeCache: weighted<boolean>([3, fc.constant(true)], [1, fc.constant(false)]),
    blockSize: fc.constantFrom(4096, 1024, 512, 2048),
    blocks: fc.array(
      weighted<BlockKind>(
        [5, fc.constant('written')],
        [3, fc.constant('unwritten')],
        [2, fc.constant('hole')],
        [1, fc.constant('shared')],
      ),
      { minLength: 1, maxLength: FILE_BLOCKS_MAX },
    ),
    iSizeUnits: fc.nat({ max: 64 }),
    iSizeTail: weighted<number>([3, fc.constant(0)], [1, fc.integer({ min: 1, max: 511 })]),
    pages: weighted<RawWorld['pages']>(
      [3, fc.constant([])],
      [
        1,
        fc.array(fc.record({ index: fc.nat({ max: 3 }), dirty: fc.boolean() }), {
          minLength: 1,
          maxLength: 2,
        }),
      ],
    ),
    bioMaxVecs: fc.integer({ min: 1, max: 3 }),
    threads: fc.array(fc.array(rawOp(), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 2 }),
  });
}

const KIND_TYPE: Readonly<Record<BlockKind, ExtentType>> = {
  written: 'mapped',
  shared: 'mapped',
  unwritten: 'unwritten',
  hole: 'hole',
};

/** Turns a raw world into a valid Scenario (pure). */
export function buildWorld(raw: RawWorld): Scenario {
  const bs = Math.max(raw.lbs, raw.blockSize);
  const fileBytes = raw.blocks.length * bs;
  const iSize = Math.min(fileBytes, raw.iSizeUnits * 512 + raw.iSizeTail);
  const eofBlocks = Math.ceil(iSize / bs);
  const dirtyPages = new Set(raw.pages.filter((p) => p.dirty).map((p) => p.index));
  const extents: ExtentSpec[] = raw.blocks.map((kind, b) => {
    // No written block wholly past the EOF block: XFS frees them on truncate, writes leave none.
    let k: BlockKind = b >= eofBlocks && (kind === 'written' || kind === 'shared') ? 'unwritten' : kind;
    const offset = b * bs;
    const page = Math.floor(offset / PAGE_BYTES);
    let type: ExtentType = KIND_TYPE[k];
    if (k === 'hole' && dirtyPages.has(page)) type = 'delalloc';
    if (type === 'hole' || type === 'delalloc') return { offset, length: bs, type };
    if (k === 'shared' && b >= eofBlocks) k = 'unwritten';
    return {
      offset,
      length: bs,
      type,
      addr: DISK_BASE + b * 2 * bs,
      ...(k === 'shared' ? { flags: ['shared' as const] } : {}),
    };
  });
  const fs: { -readonly [K in keyof FsSpec]: FsSpec[K] } = { model: 'xfs', blockSize: bs, iSize, extents };
  const pages = new Map<number, boolean>();
  const pageCount = Math.max(1, Math.ceil(fileBytes / PAGE_BYTES));
  for (const p of raw.pages)
    if (p.index < pageCount) pages.set(p.index, p.dirty || (pages.get(p.index) ?? false));
  if (pages.size > 0) fs.pageCache = [...pages].map(([index, dirty]) => ({ index, dirty }));
  return {
    device: { logicalBlockSize: raw.lbs, fua: raw.fua, writeCache: raw.writeCache },
    fs,
    bioMaxVecs: raw.bioMaxVecs,
    threads: raw.threads
      .map((ops) => ops.filter((op) => op.keep).map((op) => buildOp(op, raw.lbs, bs, fileBytes)))
      .filter((ops) => ops.length > 0),
  };
}

function buildOp(raw: RawWorldOp, lbs: number, bs: number, fileBytes: number): OpSpec {
  const unit = raw.blockAligned ? bs : lbs;
  const span = fileBytes + 2 * bs;
  const pos = (raw.at % Math.max(1, Math.floor(span / unit))) * unit;
  const len = Math.min(raw.units * unit, 4 * PAGE_BYTES);
  switch (raw.kind) {
    case 'dio_read':
    case 'dio_write': {
      const flags = raw.flags.filter((f) => f !== 'caller_comp' || raw.async);
      return {
        kind: raw.kind,
        pos,
        len,
        ...(raw.async ? { async: true } : {}),
        ...(flags.length > 0 ? { iocbFlags: flags } : {}),
      };
    }
    case 'buffered_read':
    case 'buffered_write':
    case 'fallocate':
      return { kind: raw.kind, pos, len };
    case 'truncate':
      return { kind: 'truncate', size: (raw.at * 97) % span };
    default:
      return { kind: raw.kind };
  }
}

/** World scenarios for the campaign. */
export function worldScenarioArbitrary(): fc.Arbitrary<Scenario> {
  return rawWorldArbitrary().map(buildWorld);
}
