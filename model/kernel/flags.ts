/**
 * Flag and errno constants under their kernel names.
 *
 * Private IOMAP_DIO_* bits are the seed's (seed L23-28); the public ones, the iomap types and
 * flags, and the kiocb flags are from include/linux/iomap.h and include/linux/fs.h of Linux 6.12,
 * whose values match the seed revision. dio->flags uses bit 31, so every update is folded back to
 * unsigned with `>>> 0` and every test is `(flags & X) !== 0`, which does not depend on the sign
 * (the JavaScript face of the 44842f647346 sign-bit fix).
 */

/** struct iomap_dio.flags, private bits (seed L23-28) and the public end_io bits (iomap.h). */
export const IOMAP_DIO_UNWRITTEN = 1 << 0;
export const IOMAP_DIO_COW = 1 << 1;
export const IOMAP_DIO_CALLER_COMP = (1 << 26) >>> 0;
export const IOMAP_DIO_INLINE_COMP = (1 << 27) >>> 0;
export const IOMAP_DIO_WRITE_THROUGH = (1 << 28) >>> 0;
export const IOMAP_DIO_NEED_SYNC = (1 << 29) >>> 0;
export const IOMAP_DIO_WRITE = (1 << 30) >>> 0;
export const IOMAP_DIO_DIRTY = (1 << 31) >>> 0;

/** dio_flags argument of __iomap_dio_rw (iomap.h). */
export const IOMAP_DIO_FORCE_WAIT = 1 << 0;
export const IOMAP_DIO_OVERWRITE_ONLY = 1 << 1;
export const IOMAP_DIO_PARTIAL = 1 << 2;

/** struct iomap.type (iomap.h). */
export const IOMAP_HOLE = 0;
export const IOMAP_DELALLOC = 1;
export const IOMAP_MAPPED = 2;
export const IOMAP_UNWRITTEN = 3;
export const IOMAP_INLINE = 4;

/** struct iomap.flags (iomap.h). */
export const IOMAP_F_NEW = 1 << 0;
export const IOMAP_F_DIRTY = 1 << 1;
export const IOMAP_F_SHARED = 1 << 2;
export const IOMAP_F_STALE = 1 << 9;

/** iomap_iter.flags (iomap.h). */
export const IOMAP_WRITE = 1 << 0;
export const IOMAP_DIRECT = 1 << 4;
export const IOMAP_NOWAIT = 1 << 5;
export const IOMAP_OVERWRITE_ONLY = 1 << 6;

/** kiocb.ki_flags (fs.h; the low bits are the RWF_* values). */
export const IOCB_HIPRI = 0x1;
export const IOCB_DSYNC = 0x2;
export const IOCB_SYNC = 0x4;
export const IOCB_NOWAIT = 0x8;
export const IOCB_DIRECT = 1 << 17;
export const IOCB_WRITE = 1 << 18;
export const IOCB_DIO_CALLER_COMP = 1 << 22;

/** Errnos as positive numbers; the model returns them negated, as the kernel does. */
export const EIO = 5;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EAGAIN = 11;
export const ETIMEDOUT = 110;
export const ENOTBLK = 15;
export const EIOCBQUEUED = 529;
export const ENODATA = 61;
export const ENOLINK = 67;

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  [EIO]: 'EIO',
  [ENOMEM]: 'ENOMEM',
  [EFAULT]: 'EFAULT',
  [EINVAL]: 'EINVAL',
  [ENOSPC]: 'ENOSPC',
  [EAGAIN]: 'EAGAIN',
  [ETIMEDOUT]: 'ETIMEDOUT',
  [ENOTBLK]: 'ENOTBLK',
  [EIOCBQUEUED]: 'EIOCBQUEUED',
  [ENODATA]: 'ENODATA',
  [ENOLINK]: 'ENOLINK',
};

/** Is this a value the kernel could return as -errno (MAX_ERRNO is 4095)? */
export function isErrno(ret: number): boolean {
  return ret < 0 && ret >= -4095 && Number.isInteger(ret);
}

/** A result as the kernel prints it: a byte count, or -EIO style. */
export function formatResult(ret: number): string {
  if (ret >= 0) return String(ret);
  const name = ERRNO_NAMES[-ret];
  return name === undefined ? String(ret) : `-${name}`;
}

const DIO_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [IOMAP_DIO_UNWRITTEN, 'UNWRITTEN'],
  [IOMAP_DIO_COW, 'COW'],
  [IOMAP_DIO_CALLER_COMP, 'CALLER_COMP'],
  [IOMAP_DIO_INLINE_COMP, 'INLINE_COMP'],
  [IOMAP_DIO_WRITE_THROUGH, 'WRITE_THROUGH'],
  [IOMAP_DIO_NEED_SYNC, 'NEED_SYNC'],
  [IOMAP_DIO_WRITE, 'WRITE'],
  [IOMAP_DIO_DIRTY, 'DIRTY'],
];

/** dio->flags symbolically, as trace.h prints them: WRITE|NEED_SYNC|WRITE_THROUGH. */
export function formatDioFlags(flags: number): string {
  const names = DIO_FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
  return names.length === 0 ? '0' : names.join('|');
}

const IOMAP_TYPE_NAMES = ['HOLE', 'DELALLOC', 'MAPPED', 'UNWRITTEN', 'INLINE'];

export function formatIomapType(type: number): string {
  return IOMAP_TYPE_NAMES[type] ?? `TYPE${type}`;
}

export function formatIomapFlags(flags: number): string {
  const names: string[] = [];
  if (flags & IOMAP_F_NEW) names.push('NEW');
  if (flags & IOMAP_F_DIRTY) names.push('DIRTY');
  if (flags & IOMAP_F_SHARED) names.push('SHARED');
  if (flags & IOMAP_F_STALE) names.push('STALE');
  return names.length === 0 ? '0' : names.join('|');
}
