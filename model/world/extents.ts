/**
 * Extent builders for hand-written scenarios (the bug catalogue and the explorer's small scopes):
 * each extent of the file sits on the disk at EXTENT_BASE plus its file offset, so a sector's
 * address says which file block it belongs to when a timeline is read.
 */
import type { ExtentSpec } from './scenario.ts';

export const KiB = 1024;
/** Disk byte address of file offset 0: clear of sector 0 so a stray zero address stands out. */
export const EXTENT_BASE = 64 * KiB;

/** A written (IOMAP_MAPPED) extent at [offset, offset + length). */
export const written = (offset: number, length: number): ExtentSpec => ({
  offset,
  length,
  type: 'mapped',
  addr: EXTENT_BASE + offset,
});

/** An unwritten (IOMAP_UNWRITTEN) extent: allocated, reads as zeroes until converted. */
export const unwritten = (offset: number, length: number): ExtentSpec => ({
  offset,
  length,
  type: 'unwritten',
  addr: EXTENT_BASE + offset,
});

/** A hole (IOMAP_HOLE): no blocks allocated. */
export const hole = (offset: number, length: number): ExtentSpec => ({ offset, length, type: 'hole' });
