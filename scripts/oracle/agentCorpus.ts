/**
 * The oracle corpus in the agent's line format (scripts/oracle/agent.c documents it), and the
 * images the agent's devices are made from: one per filesystem geometry, each filled with the
 * stale-data marker before mkfs so that stale disk contents are recognisable when read back.
 */
import type { OracleCase } from '../../properties/oracle/corpus.ts';
import {
  GEOMETRIES,
  type Geometry,
  POLL_GEOMETRIES,
  POLL_MAX_SECTORS,
  POWER_LOSS_GEOMETRIES,
  WINDOW_BLOCKS,
} from '../../properties/oracle/corpus.ts';
import type { DioOpSpec, OpSpec } from '../../model/world/scenario.ts';

/** pwritev2/preadv2 flags (include/uapi/linux/fs.h). */
const RWF_HIPRI = 0x1;
const RWF_DSYNC = 0x2;
const RWF_SYNC = 0x4;
const RWF_NOWAIT = 0x8;

/** The 32-bit word the agent's classify() calls stale: every word of a fresh image. */
export const STALE_WORD = 0x5ea1da7a;

/**
 * The agent's devices: ubd0.. hold one image per geometry (GEOMETRIES order); after them, one
 * dm-log-writes device per power-loss geometry, over a data ubd of the same number, logging to a
 * ubd after all of those.
 */
export const LOG_WRITES_BASE = GEOMETRIES.length;
export const LOG_DEVICE_BASE = LOG_WRITES_BASE + POWER_LOSS_GEOMETRIES.length;
export const UBD_COUNT = LOG_DEVICE_BASE + POWER_LOSS_GEOMETRIES.length;
/** After the ubd devices: one null_blk disk per POLL_GEOMETRIES entry (the agent's N lines). */
export const NULLB_BASE = UBD_COUNT;

/** The index in `list` of the geometry of `c`'s shape (poll or not as `poll` says). */
function geometryIndex(list: readonly Geometry[], c: OracleCase, poll: boolean): number {
  return list.findIndex(
    (g) =>
      g.fs === c.fs &&
      g.blockSize === c.blockSize &&
      g.sectorSize === c.sectorSize &&
      (g.poll === true) === poll,
  );
}

/**
 * The agent's device index of a case: its geometry's image, its dm-log-writes device, or its
 * null_blk disk.
 */
export function deviceOf(c: OracleCase): number {
  const poll = c.poll === true;
  const list = c.powerLoss ? POWER_LOSS_GEOMETRIES : poll ? POLL_GEOMETRIES : GEOMETRIES;
  const i = geometryIndex(list, c, poll);
  if (i < 0 || (poll && c.powerLoss))
    throw new Error(
      `case ${c.id}: no ${c.powerLoss ? 'power-loss ' : poll ? 'null_blk ' : ''}image for ${c.fs} with ${c.blockSize}-byte blocks`,
    );
  return c.powerLoss ? LOG_WRITES_BASE + i : poll ? NULLB_BASE + i : i;
}

/**
 * The lines that make the null_blk disks with a poll queue, each from the pristine image of the
 * ubd geometry of its shape (before any case mounts that image).
 */
export function nullbLines(): string[] {
  return POLL_GEOMETRIES.map((g, i) => {
    const ubd = GEOMETRIES.findIndex(
      (u) => u.fs === g.fs && u.blockSize === g.blockSize && u.sectorSize === g.sectorSize && u.poll !== true,
    );
    if (ubd < 0) throw new Error(`no ubd image for the null_blk geometry ${g.fs} ${g.blockSize}`);
    return `N ${NULLB_BASE + i} ${ubd} ${POLL_MAX_SECTORS}`;
  });
}

/**
 * The lines that put each 4096-byte-sector geometry on a scsi_debug disk (sda, sdb, ...: the
 * kernel command line makes one per such geometry): the agent copies its ubd image there.
 */
export function scsiDebugLines(): string[] {
  const lines: string[] = [];
  let disk = 0;
  GEOMETRIES.forEach((g, i) => {
    if (g.sectorSize === 4096) lines.push(`K ${i} sd${String.fromCharCode(97 + disk++)}`);
  });
  return lines;
}

/** How many scsi_debug disks the corpus needs. */
export const SCSI_DEBUG_DISKS = GEOMETRIES.filter((g) => g.sectorSize === 4096).length;

/** The lines that declare the dm-log-writes devices, first in every corpus file. */
export function logWritesLines(): string[] {
  return POWER_LOSS_GEOMETRIES.map(
    (_, i) => `L ${LOG_WRITES_BASE + i} ${LOG_WRITES_BASE + i} ${LOG_DEVICE_BASE + i}`,
  );
}

/** The mark the agent writes into the log where a case's power fails. */
export function powerLossMark(c: OracleCase): string {
  return `pl${c.id}`;
}

function rwf(op: OpSpec): number {
  if (op.kind !== 'dio_read' && op.kind !== 'dio_write') return 0;
  let f = 0;
  for (const flag of op.iocbFlags ?? []) {
    if (flag === 'dsync') f |= RWF_DSYNC;
    else if (flag === 'sync') f |= RWF_SYNC;
    else if (flag === 'nowait') f |= RWF_NOWAIT;
    else if (flag === 'hipri') f |= RWF_HIPRI;
    else throw new Error(`the oracle cannot issue iocb flag ${flag}`);
  }
  return f;
}

/** The page the agent takes away for the call (munmap 1, mprotect 2), after the other fields. */
function badPage(op: DioOpSpec): string {
  if (op.badPage === undefined) return '';
  return ` ${op.badPage.index} ${op.badPage.how === 'munmap' ? 1 : 2}`;
}

/**
 * How the agent issues a direct I/O: 0 pwritev2/preadv2, 1 aio, 2 io_uring with IOPOLL (an async
 * kiocb with IOCB_HIPRI is io_uring's: aio clears the flag, 6.12 fs/aio.c L1540).
 */
function issuer(op: DioOpSpec): 0 | 1 | 2 {
  if (!op.async) return 0;
  return op.iocbFlags?.includes('hipri') === true ? 2 : 1;
}

/** The agent line of an operation; null for wait_async (the agent reaps each async request at once). */
function opLine(id: number, op: OpSpec): string | null {
  switch (op.kind) {
    case 'dio_read':
    case 'dio_write':
      if (op.dioFlags?.length || op.doneBefore || op.userBacked === false)
        throw new Error(
          `op ${id}: dio_flags, done_before and kernel pages are not reachable from user space`,
        );
      return `O ${id} ${op.kind} ${op.pos} ${op.len} ${(op.bufAddr ?? 0x10000) & 0xffff} ${rwf(op)} ${issuer(op)}${badPage(op)}`;
    case 'buffered_read':
    case 'buffered_write':
    case 'fallocate':
      return `O ${id} ${op.kind} ${op.pos} ${op.len} 0 0 0`;
    case 'truncate':
      return `O ${id} truncate ${op.size} 0 0 0 0`;
    case 'fsync':
    case 'fdatasync':
    case 'mmap_read':
      return `O ${id} ${op.kind} 0 0 0 0 0`;
    case 'wait_async':
      return null;
    case 'power_loss':
      throw new Error(`op ${id}: power loss is not in the oracle corpus`);
  }
}

/** The agent's lines for one case. */
export function caseLines(c: OracleCase): string[] {
  // Written blocks first (their O_DIRECT writes may extend the file past i_size), then the size,
  // then unwritten blocks (FALLOC_FL_KEEP_SIZE, so they may lie past EOF).
  const lines = [`S ${c.id} ${deviceOf(c)} ${c.fs} ${c.blockSize}`];
  for (const e of c.extents) {
    if (e.type === 'mapped') lines.push(`M ${e.offset} ${e.length} ${c.iSize}`);
    else if (e.type !== 'unwritten' && e.type !== 'hole')
      throw new Error(`case ${c.id}: the oracle cannot build a ${e.type} extent`);
  }
  lines.push(`Z ${c.iSize}`);
  for (const e of c.extents) if (e.type === 'unwritten') lines.push(`U ${e.offset} ${e.length}`);
  // Every case starts on a quiet filesystem (the fault plan's line quiesces it too): a log push
  // that earlier cases made due would otherwise land in whichever operation runs then. Power-loss
  // cases start from their start mark as they are.
  if (c.failFirstBio) lines.push('F 1 1');
  else if (!c.powerLoss) lines.push('Q');
  if (c.powerLoss) lines.push('T');
  c.ops.forEach((op, i) => {
    const line = opLine(i + 1, op);
    if (line !== null) lines.push(line);
  });
  if (c.powerLoss) lines.push('P');
  lines.push(`E ${WINDOW_BLOCKS * c.blockSize}`);
  return lines;
}

/** A recovery line: mount crash image `ubd` (the case's crash point `point`) and report the file. */
export function recoveryLine(c: OracleCase, ubd: number, point: number): string {
  return `R ${c.id} ${ubd} ${c.fs} ${WINDOW_BLOCKS * c.blockSize} ${point}`;
}

/** The mark the agent writes into the log where a case's operations start. */
export function startMark(c: OracleCase): string {
  return `st${c.id}`;
}

/**
 * mkfs command line for a geometry's image (XFS takes 512-byte blocks only as a V4 filesystem, and
 * is told the sector size, which it cannot read from an image file; mkfs.xfs does not discard an
 * image file, mke2fs does unless told not to).
 */
export function mkfsCommand(g: Geometry, image: string): string[] {
  if (g.fs === 'xfs')
    return [
      'mkfs.xfs',
      '-q',
      '-f',
      '-b',
      `size=${g.blockSize}`,
      '-s',
      `size=${g.sectorSize}`,
      ...(g.blockSize < 1024 ? ['-m', 'crc=0'] : []),
      image,
    ];
  // nodiscard: on an image file mke2fs's discard punches every block (e2fsprogs unix_io), which
  // turns the stale marker into zeros and hides any stale block an ext4 case exposes. Without the
  // discard mke2fs no longer knows the inode tables read as zeros and would leave them to the
  // kernel's ext4lazyinit thread, whose background writes would meet a case's injected bio
  // failure: it zeroes them (and the journal) itself instead.
  return [
    'mkfs.ext4',
    '-q',
    '-F',
    '-E',
    'nodiscard,lazy_itable_init=0,lazy_journal_init=0',
    '-b',
    String(g.blockSize),
    image,
  ];
}
