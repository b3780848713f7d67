/**
 * The conformance corpus: scenarios in the model's own scenario format, run once on a real Linux
 * 6.12 (scripts/oracle) and on every CI run against the model (properties/oracle/conformance.test.ts).
 *
 * Each case is one file on a fresh filesystem (XFS or ext4, block size 512 to 4096, on a 512-byte
 * device with a volatile write cache and no FUA, as UML's ubd is), an initial layout of written,
 * unwritten and hole blocks that both sides can build (written blocks hold write 0 up to i_size,
 * then zeros; unwritten blocks may lie past EOF), one thread of operations, and optionally one
 * injected I/O error: the first bio the first operation submits fails with EIO.
 *
 * The corpus is generated, not hand-written: every class of the issue (operation kind, alignment,
 * extent type, flag, fault) is crossed with every filesystem geometry, and a seeded draw adds
 * sequences of two or three operations. After those, in sections of their own so that earlier ids
 * never move: requests whose user buffer has a page taken away (a short page-get, a faulting copy,
 * or nothing pinned at all), the request edges (NOWAIT writes that need allocation, zero-length
 * requests, requests ending one sector past EOF), and polled io_uring requests on a null_blk disk
 * with a poll queue (POLL_GEOMETRIES). The same code always gives the same corpus.
 */
import seedrandom from 'seedrandom';
import type { ExtentSpec, IocbFlag, OpSpec } from '../../model/world/scenario.ts';
import { EXTENT_BASE } from '../../model/world/extents.ts';

export type OracleFs = 'xfs' | 'ext4';

/**
 * A filesystem geometry and the device under it: UML's ubd (512-byte sectors, a volatile write
 * cache, no FUA) or, with 4096-byte sectors, scsi_debug (4096-byte sectors, a volatile write
 * cache, FUA), as the 6.12 kernel reports them in /sys/block/DEV/queue.
 */
export interface Geometry {
  readonly fs: OracleFs;
  readonly blockSize: number;
  readonly sectorSize: 512 | 4096;
  /** A null_blk disk with a poll queue (POLL_GEOMETRIES), not ubd. */
  readonly poll?: boolean;
}

export interface OracleCase {
  /** Stable within one corpus; the golden file keys on it. */
  readonly id: number;
  /** Geometry, layout and operation classes, for reports: `xfs-4096/mixed/dio_write.subblock+dsync`. */
  readonly name: string;
  readonly fs: OracleFs;
  readonly blockSize: number;
  /** The device's logical block size: 4096 is a scsi_debug disk with FUA, 512 a ubd without. */
  readonly sectorSize: 512 | 4096;
  /**
   * The case runs on a null_blk disk with a poll queue (POLL_GEOMETRIES), whose bios above
   * POLL_MAX_SECTORS are split; absent on every other case.
   */
  readonly poll?: boolean;
  readonly iSize: number;
  /** Written and unwritten blocks (holes are what is left). */
  readonly extents: readonly ExtentSpec[];
  /** One thread; every operation's write id is its index + 1 (write 0 is the initial data). */
  readonly ops: readonly OpSpec[];
  /** The first bio the first operation submits fails with BLK_STS_IOERR (fail_make_request). */
  readonly failFirstBio: boolean;
  /**
   * Power fails after the last operation: the case is observed on its crash image (the
   * dm-log-writes log replayed to that point onto the pristine device, mounted with log recovery).
   */
  readonly powerLoss: boolean;
}

/**
 * Geometries of the power-loss cases, each on a dm-log-writes device of its own (scripts/oracle:
 * its data image, kept pristine for replay, and its log image).
 */
export const POWER_LOSS_GEOMETRIES: readonly Geometry[] = [
  { fs: 'xfs', blockSize: 4096, sectorSize: 512 },
  { fs: 'xfs', blockSize: 1024, sectorSize: 512 },
  { fs: 'ext4', blockSize: 4096, sectorSize: 512 },
];

/** Blocks in every case's file window; the final read and the extent map cover all of them. */
export const WINDOW_BLOCKS = 12;
/** Geometries the oracle's images provide (XFS takes 512-byte blocks only without CRCs). */
export const GEOMETRIES: readonly Geometry[] = [
  { fs: 'xfs', blockSize: 512, sectorSize: 512 },
  { fs: 'xfs', blockSize: 1024, sectorSize: 512 },
  { fs: 'xfs', blockSize: 2048, sectorSize: 512 },
  { fs: 'xfs', blockSize: 4096, sectorSize: 512 },
  { fs: 'ext4', blockSize: 1024, sectorSize: 512 },
  { fs: 'ext4', blockSize: 2048, sectorSize: 512 },
  { fs: 'ext4', blockSize: 4096, sectorSize: 512 },
  { fs: 'xfs', blockSize: 4096, sectorSize: 4096 },
  { fs: 'ext4', blockSize: 4096, sectorSize: 4096 },
];

/**
 * Geometries on a disk that really polls: a memory-backed null_blk disk made through configfs
 * with one poll queue, 512-byte sectors, a volatile cache with FUA, completions inline, and
 * POLL_MAX_SECTORS (scripts/oracle/agent.c nullb_create). ubd and scsi_debug have no poll queue,
 * and on 6.12 a polled bio to such a disk ends with BLK_STS_NOTSUPP (6.12.117 block/blk-mq.c L3086-3090):
 * io_uring's IOPOLL needs this disk. Each copies the pristine image of the GEOMETRIES entry of its
 * shape (the UML kernel has at most 16 ubd devices, and they are all taken).
 */
export const POLL_GEOMETRIES: readonly Geometry[] = [
  { fs: 'xfs', blockSize: 4096, sectorSize: 512, poll: true },
  { fs: 'ext4', blockSize: 4096, sectorSize: 512, poll: true },
];

/** The null_blk disks' max_sectors: a bio of more than 8 KiB is split by the block layer. */
export const POLL_MAX_SECTORS = 16;

/**
 * A geometry as it appears in case names: `xfs-4096`, `xfs-4096-4kn` on 4096-byte sectors,
 * `xfs-4096-poll` on the null_blk disk with a poll queue.
 */
export function geometryName(g: Geometry): string {
  return `${g.fs}-${g.blockSize}${g.sectorSize === 4096 ? '-4kn' : ''}${g.poll === true ? '-poll' : ''}`;
}

interface Layout {
  readonly name: string;
  /** In blocks: [first, count, 'W' | 'U']. */
  readonly blocks: ReadonlyArray<readonly [number, number, 'W' | 'U']>;
  /** i_size from the block size. */
  readonly size: (bs: number) => number;
}

const LAYOUTS: readonly Layout[] = [
  { name: 'written', blocks: [[0, 8, 'W']], size: (bs) => 8 * bs },
  { name: 'unwritten', blocks: [[0, 8, 'U']], size: (bs) => 8 * bs },
  { name: 'hole', blocks: [], size: (bs) => 8 * bs },
  {
    name: 'mixed',
    blocks: [
      [0, 2, 'W'],
      [4, 2, 'U'],
      [6, 2, 'W'],
    ],
    size: (bs) => 8 * bs,
  },
  { name: 'empty', blocks: [], size: () => 0 },
  // EOF inside a block (for blocks above 512 bytes), on a sector boundary: the model keeps data per
  // sector, so a sector half inside the file is not something it can be compared on.
  { name: 'short-eof', blocks: [[0, 3, 'W']], size: (bs) => 3 * bs - 512 },
  {
    name: 'prealloc-past-eof',
    blocks: [
      [0, 2, 'W'],
      [2, 4, 'U'],
    ],
    size: (bs) => 2 * bs,
  },
];

/** A direct I/O of one alignment class, placed relative to the layout's blocks. */
interface DioShape {
  readonly name: string;
  readonly pos: (bs: number, size: number) => number;
  readonly len: (bs: number) => number;
  readonly bufOff?: number;
  /** Needs a block larger than a sector (the class is the same as `aligned` otherwise). */
  readonly subBlock?: boolean;
}

const SHAPES: readonly DioShape[] = [
  { name: 'aligned', pos: (bs) => bs, len: (bs) => 2 * bs },
  { name: 'subblock', pos: (bs) => 4 * bs + 512, len: () => 512, subBlock: true },
  { name: 'subblock-head', pos: (bs) => 4 * bs, len: (bs) => bs - 512, subBlock: true },
  { name: 'unaligned-pos', pos: (bs) => bs + 100, len: (bs) => bs },
  { name: 'unaligned-len', pos: (bs) => bs, len: () => 100 },
  { name: 'unaligned-buf', pos: (bs) => bs, len: (bs) => bs, bufOff: 1 },
  { name: 'sector-buf', pos: (bs) => bs, len: (bs) => bs, bufOff: 512 },
  { name: 'whole', pos: () => 0, len: (bs) => 8 * bs },
  {
    name: 'cross-eof',
    pos: (_bs, size) => Math.max(0, Math.floor(size / 512) * 512 - 512),
    len: (bs) => 2 * bs,
  },
  { name: 'past-eof', pos: (bs, size) => Math.ceil(size / bs) * bs + bs, len: (bs) => bs },
  { name: 'zero-len', pos: (bs) => bs, len: () => 0 },
];

const FLAGS: ReadonlyArray<{ name: string; iocb: readonly IocbFlag[]; async: boolean }> = [
  { name: 'plain', iocb: [], async: false },
  { name: 'dsync', iocb: ['dsync'], async: false },
  { name: 'sync', iocb: ['sync'], async: false },
  { name: 'nowait', iocb: ['nowait'], async: false },
  { name: 'hipri', iocb: ['hipri'], async: false },
  { name: 'aio', iocb: [], async: true },
];

/**
 * The layout's extents for a block size. Written blocks end at the EOF block: setting the size frees
 * written blocks wholly past EOF on a real filesystem, so only unwritten ones (fallocate with
 * KEEP_SIZE) may lie there.
 */
function layoutExtents(l: Layout, bs: number): ExtentSpec[] {
  const eofBlocks = Math.ceil(l.size(bs) / bs);
  return l.blocks.flatMap(([first, count, t]): ExtentSpec[] => {
    const n = t === 'W' ? Math.min(count, eofBlocks - first) : count;
    if (n <= 0) return [];
    return [
      {
        offset: first * bs,
        length: n * bs,
        type: t === 'W' ? 'mapped' : 'unwritten',
        addr: EXTENT_BASE + first * bs,
      },
    ];
  });
}

function dio(
  kind: 'dio_read' | 'dio_write',
  shape: DioShape,
  bs: number,
  size: number,
  flags: (typeof FLAGS)[number],
): OpSpec {
  return {
    kind,
    pos: shape.pos(bs, size),
    len: shape.len(bs),
    bufAddr: 0x10000 + (shape.bufOff ?? 0),
    ...(flags.iocb.length ? { iocbFlags: flags.iocb } : {}),
    ...(flags.async ? { async: true } : {}),
  };
}

/** Follow-up operations drawn for sequences: each exercises another path against the first op's effect. */
function followUps(bs: number): ReadonlyArray<{ name: string; ops: readonly OpSpec[] }> {
  return [
    { name: 'fsync', ops: [{ kind: 'fsync' }] },
    { name: 'fdatasync', ops: [{ kind: 'fdatasync' }] },
    { name: 'truncate-down', ops: [{ kind: 'truncate', size: 3 * bs + 512 }] },
    { name: 'truncate-up', ops: [{ kind: 'truncate', size: 10 * bs }] },
    { name: 'fallocate', ops: [{ kind: 'fallocate', pos: 2 * bs, len: 4 * bs }] },
    { name: 'buffered-write', ops: [{ kind: 'buffered_write', pos: 2 * bs + 512, len: 1024 }] },
    { name: 'buffered-read', ops: [{ kind: 'buffered_read', pos: 0, len: 8 * bs }] },
    { name: 'mmap-read', ops: [{ kind: 'mmap_read' }] },
    { name: 'dio-read', ops: [{ kind: 'dio_read', pos: 0, len: 8 * bs }] },
    { name: 'dio-overwrite', ops: [{ kind: 'dio_write', pos: 2 * bs, len: 2 * bs }] },
    { name: 'dio-extend', ops: [{ kind: 'dio_write', pos: 8 * bs + 512, len: 1024 }] },
  ];
}

/** The corpus, in a fixed order. */
export function generateCorpus(): OracleCase[] {
  const cases: OracleCase[] = [];
  const rng = seedrandom('diocheck-oracle-corpus-1');
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.quick() * xs.length)] as T;
  const add = (
    g: Geometry,
    l: Layout,
    ops: readonly OpSpec[],
    what: string,
    failFirstBio = false,
    powerLoss = false,
  ): void => {
    const bs = g.blockSize;
    cases.push({
      id: cases.length + 1,
      name: `${geometryName(g)}/${l.name}/${what}${failFirstBio ? '+eio' : ''}${powerLoss ? '|crash' : ''}`,
      fs: g.fs,
      blockSize: bs,
      sectorSize: g.sectorSize,
      iSize: l.size(bs),
      extents: layoutExtents(l, bs),
      ops,
      failFirstBio,
      powerLoss,
      ...(g.poll === true ? { poll: true } : {}),
    });
  };

  for (const g of GEOMETRIES) {
    const bs = g.blockSize;
    for (const l of LAYOUTS) {
      const size = l.size(bs);
      // Every alignment class, reads and writes, without flags.
      for (const shape of SHAPES) {
        if (shape.subBlock && bs === 512) continue;
        for (const kind of ['dio_write', 'dio_read'] as const) {
          const op = dio(kind, shape, bs, size, FLAGS[0] as (typeof FLAGS)[number]);
          add(g, l, [op], `${kind}.${shape.name}`);
        }
      }
      // Every flag on a write and a read of a drawn shape.
      for (const f of FLAGS.slice(1)) {
        const wshape = pick(SHAPES.filter((s) => !(s.subBlock && bs === 512) && s.name !== 'zero-len'));
        add(g, l, [dio('dio_write', wshape, bs, size, f)], `dio_write.${wshape.name}+${f.name}`);
        const rshape = pick(SHAPES.filter((s) => s.name !== 'zero-len'));
        add(g, l, [dio('dio_read', rshape, bs, size, f)], `dio_read.${rshape.name}+${f.name}`);
      }
      // A write followed by another path, and an injected error on the first bio of a write.
      const fu = followUps(bs);
      for (let i = 0; i < 2; i++) {
        const wshape = pick(
          SHAPES.filter(
            (s) => !(s.subBlock && bs === 512) && !s.name.startsWith('unaligned') && s.name !== 'zero-len',
          ),
        );
        const f = pick(FLAGS);
        const then = pick(fu);
        add(
          g,
          l,
          [dio('dio_write', wshape, bs, size, f), ...then.ops],
          `dio_write.${wshape.name}+${f.name},${then.name}`,
        );
      }
      const eshape = pick(
        SHAPES.filter(
          (s) => ['aligned', 'subblock', 'whole', 'past-eof'].includes(s.name) && !(s.subBlock && bs === 512),
        ),
      );
      add(
        g,
        l,
        [dio('dio_write', eshape, bs, size, FLAGS[0] as (typeof FLAGS)[number])],
        `dio_write.${eshape.name}`,
        true,
      );
      if (size > 0) add(g, l, [{ kind: 'dio_read', pos: 0, len: 2 * bs }], 'dio_read.head', true);
    }
  }

  // Power loss after one or two operations: what survives, on the crash image, of writes with
  // every kind of sync (none, RWF_DSYNC, RWF_SYNC, a later fsync or fdatasync, aio with DSYNC).
  const SYNCED: ReadonlyArray<{ name: string; flags: (typeof FLAGS)[number]; after: OpSpec[] }> = [
    { name: 'plain', flags: FLAGS[0] as (typeof FLAGS)[number], after: [] },
    { name: 'dsync', flags: FLAGS[1] as (typeof FLAGS)[number], after: [] },
    { name: 'sync', flags: FLAGS[2] as (typeof FLAGS)[number], after: [] },
    { name: 'fsync', flags: FLAGS[0] as (typeof FLAGS)[number], after: [{ kind: 'fsync' }] },
    { name: 'fdatasync', flags: FLAGS[0] as (typeof FLAGS)[number], after: [{ kind: 'fdatasync' }] },
    { name: 'aio+dsync', flags: { name: 'aio+dsync', iocb: ['dsync'], async: true }, after: [] },
  ];
  for (const g of POWER_LOSS_GEOMETRIES) {
    const bs = g.blockSize;
    for (const l of LAYOUTS) {
      const size = l.size(bs);
      for (const sync of SYNCED) {
        const shape = pick(
          SHAPES.filter((x) => ['aligned', 'subblock', 'whole', 'past-eof', 'cross-eof'].includes(x.name)),
        );
        const ops = [dio('dio_write', shape, bs, size, sync.flags), ...sync.after];
        add(g, l, ops, `dio_write.${shape.name}+${sync.name}`, false, true);
      }
      // A synced write, then an unsynced one: the crash image keeps the first and may lose the second.
      const second = pick(SHAPES.filter((x) => ['aligned', 'subblock', 'past-eof'].includes(x.name)));
      add(
        g,
        l,
        [
          dio('dio_write', SHAPES[0] as DioShape, bs, size, FLAGS[1] as (typeof FLAGS)[number]),
          { kind: 'dio_write', pos: second.pos(bs, size) + bs, len: second.len(bs) },
        ],
        `dio_write.aligned+dsync,dio_write.${second.name}`,
        false,
        true,
      );
      add(
        g,
        l,
        [{ kind: 'buffered_write', pos: bs, len: 2 * bs }, { kind: 'fsync' }],
        'buffered_write,fsync',
        false,
        true,
      );
    }
  }

  addFaultCases(add);
  addEdgeCases(add);
  addPolledCases(add);
  return cases;
}

type AddCase = (g: Geometry, l: Layout, ops: readonly OpSpec[], what: string) => void;

/** A request placed against a layout, for the fault and edge sections: position and length. */
interface Placement {
  readonly name: string;
  readonly at: (bs: number, size: number) => { pos: number; len: number };
}

/** Requests a faulting buffer is tried on: each spans two pages or more of an aligned buffer. */
const FAULT_PLACEMENTS: readonly Placement[] = [
  { name: 'aligned', at: (bs) => ({ pos: bs, len: Math.max(2 * bs, 8192) }) },
  { name: 'whole', at: (bs) => ({ pos: 0, len: Math.max(8 * bs, 8192) }) },
  // A sub-block start (for blocks above 512 bytes): head and tail zeroing around the data.
  { name: 'subblock', at: (bs) => ({ pos: 4 * bs + 512, len: 8192 }) },
  // From one sector before EOF (or 0) on: the write extends the file, the read crosses EOF.
  { name: 'eof', at: (_bs, size) => ({ pos: Math.max(0, Math.floor(size / 512) * 512 - 512), len: 8192 }) },
];

/** Where the buffer starts in its page: page boundaries then fall inside a sector's reach or not. */
const FAULT_BUF_OFFSETS = [0, 2048, 3584, 512] as const;

/** Pages a buffer of `len` bytes at page offset `off` lies in. */
function pagesSpanned(off: number, len: number): number {
  return Math.floor((off + Math.max(1, len) - 1) / 4096) + 1;
}

/** A request's position and length suit the device (the others are -EINVAL before any page is pinned). */
function sectorAligned(g: Geometry, pos: number, len: number): boolean {
  return pos % g.sectorSize === 0 && len % g.sectorSize === 0;
}

/**
 * How a case takes a page away where it may use PROT_NONE: munmap for ext4 writes. UML reads a
 * resident PROT_NONE page through copy_from_user (its pte counts as present, arch/um/include/asm/
 * pgtable.h L103, and a read only needs a present pte, arch/um/kernel/skas/uaccess.c L51-52) where
 * x86 faults, and ext4's buffered fallback after a short direct write copies from the buffer
 * (fs/ext4/file.c L605-612). Pinning checks the VMA's protection and fails on both, so every other
 * case shows what x86 shows.
 */
function protNone(g: Geometry, kind: 'dio_read' | 'dio_write'): 'mprotect' | 'munmap' {
  return g.fs === 'ext4' && kind === 'dio_write' ? 'munmap' : 'mprotect';
}

/**
 * Faulting user buffers: for every geometry, layout and direction, two requests (a placement and a
 * buffer offset, taken in turn from all of them), each with every page it spans taken away in
 * turn (page 0: pinning or copying fails at once; a later page: a short page-get, or a short
 * copy into a hole or unwritten extent, or past EOF). Sync and aio, munmap and mprotect alternate.
 * Then the case that shows how the releases differ on a write whose buffer faults inside a block
 * (6.12.117 fs/iomap/direct-io.c L458-465 against 6.12.118): each geometry and layout, the buffer
 * at three page offsets, the second page taken away, sync and aio.
 */
function addFaultCases(add: AddCase): void {
  let n = 0;
  let turn = 0;
  for (const g of GEOMETRIES) {
    const bs = g.blockSize;
    for (const l of LAYOUTS) {
      const size = l.size(bs);
      for (const kind of ['dio_write', 'dio_read'] as const) {
        for (let pick = 0; pick < 2; pick++) {
          // The next placement and offset, in turn, that suits the device.
          let place: Placement;
          let off: number;
          let at: { pos: number; len: number };
          do {
            place = FAULT_PLACEMENTS[turn % FAULT_PLACEMENTS.length] as Placement;
            off = FAULT_BUF_OFFSETS[
              Math.floor(turn / FAULT_PLACEMENTS.length) % FAULT_BUF_OFFSETS.length
            ] as number;
            at = place.at(bs, size);
            turn++;
          } while (!sectorAligned(g, at.pos, at.len));
          for (let k = 0; k < pagesSpanned(off, at.len); k++) {
            const async = n % 2 === 1;
            const how = Math.floor(n / 2) % 2 === 0 ? protNone(g, kind) : 'munmap';
            n++;
            add(
              g,
              l,
              [
                {
                  kind,
                  pos: at.pos,
                  len: at.len,
                  bufAddr: 0x10000 + off,
                  badPage: { index: k, how },
                  ...(async ? { async: true } : {}),
                },
              ],
              `fault.${kind}.${place.name}@${off}+page${k}.${how}${async ? '+aio' : ''}`,
            );
          }
        }
      }
    }
  }
  for (const g of GEOMETRIES) {
    const bs = g.blockSize;
    for (const l of LAYOUTS.filter((x) => ['hole', 'unwritten', 'empty', 'written'].includes(x.name))) {
      for (const off of [512, 2048, 3584]) {
        for (const async of [false, true]) {
          const len = Math.max(2 * bs, 8192);
          add(
            g,
            l,
            [
              {
                kind: 'dio_write',
                pos: 0,
                len,
                bufAddr: 0x10000 + off,
                badPage: { index: 1, how: async ? 'munmap' : protNone(g, 'dio_write') },
                ...(async ? { async: true } : {}),
              },
            ],
            `fault-in-block.dio_write@${off}+page1${async ? '+aio' : ''}`,
          );
        }
      }
    }
  }
}

/**
 * Edges of the request: NOWAIT writes that need an allocation, an EOF update or the exclusive lock;
 * zero-length requests at aligned and misaligned offsets; requests that end one sector past EOF.
 * Each both sync and aio (aio reaches ->write_iter with a zero count, pwritev2 does not).
 */
function addEdgeCases(add: AddCase): void {
  const nowait: readonly Placement[] = [
    { name: 'aligned', at: (bs) => ({ pos: bs, len: 2 * bs }) },
    { name: 'past-eof', at: (bs, size) => ({ pos: Math.ceil(size / bs) * bs + bs, len: bs }) },
    { name: 'append', at: (bs, size) => ({ pos: Math.ceil(size / bs) * bs, len: 2 * bs }) },
    { name: 'subblock', at: (bs) => ({ pos: 4 * bs + 512, len: 512 }) },
  ];
  for (const g of GEOMETRIES) {
    const bs = g.blockSize;
    for (const l of LAYOUTS) {
      const size = l.size(bs);
      for (const place of nowait) {
        const { pos, len } = place.at(bs, size);
        if (!sectorAligned(g, pos, len) || (place.name === 'subblock' && bs === 512)) continue;
        for (const async of [false, true])
          add(
            g,
            l,
            [{ kind: 'dio_write', pos, len, iocbFlags: ['nowait'], ...(async ? { async: true } : {}) }],
            `nowait.dio_write.${place.name}${async ? '+aio' : ''}`,
          );
      }
    }
  }
  const zero: readonly Placement[] = [
    { name: 'start', at: () => ({ pos: 0, len: 0 }) },
    { name: 'block', at: (bs) => ({ pos: bs, len: 0 }) },
    { name: 'sector', at: (bs) => ({ pos: bs + 512, len: 0 }) },
    { name: 'byte', at: (bs) => ({ pos: bs + 100, len: 0 }) },
    { name: 'eof', at: (_bs, size) => ({ pos: size, len: 0 }) },
    { name: 'past-eof', at: (bs, size) => ({ pos: size + bs + 100, len: 0 }) },
  ];
  for (const g of GEOMETRIES) {
    const bs = g.blockSize;
    for (const l of LAYOUTS.filter((x) => ['written', 'short-eof'].includes(x.name))) {
      const size = l.size(bs);
      for (const place of zero) {
        const { pos, len } = place.at(bs, size);
        for (const kind of ['dio_write', 'dio_read'] as const)
          for (const async of [false, true])
            add(
              g,
              l,
              [{ kind, pos, len, ...(async ? { async: true } : {}) }],
              `zero-len.${kind}.${place.name}${async ? '+aio' : ''}`,
            );
      }
    }
  }
  for (const g of GEOMETRIES) {
    const bs = g.blockSize;
    for (const l of LAYOUTS.filter((x) => x.size(bs) > 0)) {
      const size = l.size(bs);
      // From the start of the block before EOF's sector to one sector past EOF.
      const pos = Math.max(0, Math.floor((size - 1) / bs) * bs);
      const len = size + g.sectorSize - pos;
      if (!sectorAligned(g, pos, len)) continue;
      for (const kind of ['dio_write', 'dio_read'] as const)
        for (const async of [false, true])
          add(
            g,
            l,
            [{ kind, pos, len, ...(async ? { async: true } : {}) }],
            `eof-plus-sector.${kind}${async ? '+aio' : ''}`,
          );
    }
  }
}

/**
 * Polled requests, the last section: reads and writes through an io_uring ring set up with
 * IORING_SETUP_IOPOLL (the agent's uring_rw), on the null_blk disks with a poll queue. The model's
 * op is an async kiocb with IOCB_HIPRI: io_uring's (6.12 io_uring/rw.c L822-828), where aio clears
 * the flag (fs/aio.c L1540) and a synchronous kiocb is never polled (seed L71-75). Two families:
 * `uring-hipri-nowait` with RWF_NOWAIT in the SQE, and `uring-hipri`, its control, without. Every
 * layout, each request shape that matters: a block-aligned request (an overwrite, an allocating
 * write, an unwritten extent), a sub-block one, the whole file (above POLL_MAX_SECTORS: the block
 * layer splits its bio, and refuses to split a REQ_NOWAIT one, 6.12.107 block/blk-merge.c
 * L360-364), across EOF, and past EOF.
 */
function addPolledCases(add: AddCase): void {
  const shapes: readonly Placement[] = [
    { name: 'aligned', at: (bs) => ({ pos: bs, len: 2 * bs }) },
    { name: 'subblock', at: (bs) => ({ pos: 4 * bs + 512, len: 512 }) },
    { name: 'whole', at: (bs) => ({ pos: 0, len: 8 * bs }) },
    {
      name: 'cross-eof',
      at: (bs, size) => ({ pos: Math.max(0, Math.floor(size / 512) * 512 - 512), len: 2 * bs }),
    },
    { name: 'past-eof', at: (bs, size) => ({ pos: Math.ceil(size / bs) * bs + bs, len: bs }) },
  ];
  const families: ReadonlyArray<{ name: string; flags: readonly IocbFlag[] }> = [
    { name: 'uring-hipri-nowait', flags: ['hipri', 'nowait'] },
    { name: 'uring-hipri', flags: ['hipri'] },
  ];
  for (const family of families)
    for (const g of POLL_GEOMETRIES) {
      const bs = g.blockSize;
      for (const l of LAYOUTS) {
        const size = l.size(bs);
        for (const shape of shapes) {
          const { pos, len } = shape.at(bs, size);
          for (const kind of ['dio_write', 'dio_read'] as const)
            add(
              g,
              l,
              [{ kind, pos, len, async: true, iocbFlags: family.flags }],
              `${family.name}.${kind}.${shape.name}`,
            );
        }
      }
    }
}
