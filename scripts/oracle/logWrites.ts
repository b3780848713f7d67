/**
 * dm-log-writes logs, read on the host: the log device holds a super block (sector 0) and then,
 * from the second sector, one entry per logged write: a one-sector header {sector, nr_sectors,
 * flags, data_len} and its data. A mark's name sits in its header after the entry. The log is in
 * durability order: a write without FUA is logged when the next flush reaches the device, so
 * replaying the log up to a mark onto the pristine device gives the device as a power loss at that
 * mark leaves it when the volatile cache loses everything unflushed (drivers/md/dm-log-writes.c,
 * 6.12 L17-60, L317-345, L430-470).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const MAGIC = 0x6a736677736872n;
export const LOG_FLUSH = 1;
export const LOG_FUA = 2;
export const LOG_DISCARD = 4;
export const LOG_MARK = 8;

export interface LogEntry {
  /** In the log's sector size. */
  readonly sector: number;
  readonly sectors: number;
  readonly flags: number;
  readonly mark: string | null;
  /** Byte offset of the entry's data in the log. */
  readonly dataAt: number;
}

export interface WriteLog {
  readonly sectorSize: number;
  readonly entries: readonly LogEntry[];
}

function readAt(fd: number, at: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  readSync(fd, b, 0, len, at);
  return b;
}

/** Parses the log device image at `path`; a malformed log is an Error naming what is wrong. */
export function readWriteLog(path: string): WriteLog {
  const fd = openSync(path, 'r');
  try {
    const sb = readAt(fd, 0, 32);
    if (sb.readBigUInt64LE(0) !== MAGIC) throw new Error(`${path} is not a dm-log-writes log (bad magic)`);
    const count = Number(sb.readBigUInt64LE(16));
    const sectorSize = sb.readUInt32LE(24);
    if (sectorSize < 512 || sectorSize & (sectorSize - 1))
      throw new Error(`${path}: bad sector size ${sectorSize}`);
    const entries: LogEntry[] = [];
    let at = sectorSize;
    for (let i = 0; i < count; i++) {
      const h = readAt(fd, at, sectorSize);
      const sector = Number(h.readBigUInt64LE(0));
      const sectors = Number(h.readBigUInt64LE(8));
      const flags = Number(h.readBigUInt64LE(16));
      const dataLen = Number(h.readBigUInt64LE(24));
      const mark =
        flags & LOG_MARK
          ? h
              .subarray(32, 32 + dataLen)
              .toString('latin1')
              .replace(/\0.*$/, '')
          : null;
      entries.push({ sector, sectors, flags, mark, dataAt: at + sectorSize });
      at += sectorSize + (flags & LOG_DISCARD ? 0 : sectors * sectorSize);
    }
    return { sectorSize, entries };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes every logged write before mark `mark` onto the image at `image` (a copy of the pristine
 * device); returns false if the log has no such mark.
 */
export function replayToMark(logPath: string, log: WriteLog, mark: string, image: string): boolean {
  const end = log.entries.findIndex((e) => e.mark === mark);
  if (end < 0) return false;
  replayEntries(logPath, log, end, image);
  return true;
}

/**
 * The durability points between two marks: after each run of consecutive FLUSH or FUA entries, as
 * the number of entries to replay (a crash right after that flush or FUA write). The log's order
 * is durability order, so each is a state a power loss can leave; null if a mark is missing.
 */
export function durabilityPoints(log: WriteLog, from: string, to: string): number[] | null {
  const start = log.entries.findIndex((e) => e.mark === from);
  const end = log.entries.findIndex((e) => e.mark === to);
  if (start < 0 || end < start) return null;
  const points: number[] = [];
  for (let i = start + 1; i < end; i++) {
    const durable = (log.entries[i]?.flags ?? 0) & (LOG_FLUSH | LOG_FUA);
    const nextDurable = (log.entries[i + 1]?.flags ?? 0) & (LOG_FLUSH | LOG_FUA);
    if (durable && !(i + 1 < end && nextDurable)) points.push(i + 1);
  }
  return points;
}

/**
 * Writes the first `count` logged writes onto the image at `image`. Discards are not replayed: the
 * filesystems here do not discard, and a discarded range may read back as anything.
 */
export function replayEntries(logPath: string, log: WriteLog, count: number, image: string): void {
  const src = openSync(logPath, 'r');
  const dst = openSync(image, 'r+');
  try {
    for (const e of log.entries.slice(0, count)) {
      if (e.flags & (LOG_MARK | LOG_DISCARD) || e.sectors === 0) continue;
      const data = readAt(src, e.dataAt, e.sectors * log.sectorSize);
      writeSync(dst, data, 0, data.length, e.sector * log.sectorSize);
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}
