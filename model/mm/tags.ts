/**
 * Sector provenance tags. Data is never modelled as bytes: every 512-byte unit of a disk or of a
 * user buffer holds one 32-bit tag saying where its contents came from.
 *
 * ZERO: zeros written by the kernel (a zeroing bio, a hole or unwritten read, iov_iter_zero).
 * STALE: whatever the disk held before the file owned the block; must never reach a user.
 * UNTOUCHED: a user read buffer that the kernel has not filled.
 * user data: write `writeId`, unit `unit` of that write's buffer.
 */
export const SECTOR_SIZE = 512;
export const SECTOR_SHIFT = 9;
export const PAGE_SIZE = 4096;

export const TAG_ZERO = 0;
export const TAG_STALE = 1;
export const TAG_UNTOUCHED = 2;
const TAG_USER_BASE = 16;
const UNITS_PER_WRITE = 1 << 16;

export function userTag(writeId: number, unit: number): number {
  return TAG_USER_BASE + writeId * UNITS_PER_WRITE + unit;
}

export function isUserTag(tag: number): boolean {
  return tag >= TAG_USER_BASE;
}

export function formatTag(tag: number): string {
  if (tag === TAG_ZERO) return 'zero';
  if (tag === TAG_STALE) return 'stale';
  if (tag === TAG_UNTOUCHED) return 'untouched';
  const v = tag - TAG_USER_BASE;
  return `w${Math.floor(v / UNITS_PER_WRITE)}+${v % UNITS_PER_WRITE}`;
}

/** The write a user tag came from (0 is the file's original contents). */
export function tagWriteId(tag: number): number {
  return Math.floor((tag - TAG_USER_BASE) / UNITS_PER_WRITE);
}

/** The 512-byte unit of that write's buffer. */
export function tagUnit(tag: number): number {
  return (tag - TAG_USER_BASE) % UNITS_PER_WRITE;
}
