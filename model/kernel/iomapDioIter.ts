/**
 * The per-mapping actors of fs/iomap/direct-io.c: iomap_dio_hole_iter (seed L444-453),
 * iomap_dio_inline_iter (L455-486) and the dispatcher iomap_dio_iter (L488-518).
 *
 * Holes and unwritten extents read as zeros without I/O; inline data is copied to or from the
 * inode's inline buffer. A copy that faults with no progress is -EFAULT.
 */
import { type IomapIter, iomapInlineData, iomapInlineDataValid, iomapLength } from '../fs/iomap.ts';
import { iSizeWrite } from '../fs/vfs.ts';
import { copyFromIter, copyToIter, iovIterZero } from '../mm/iovIter.ts';
import { SECTOR_SHIFT, TAG_ZERO } from '../mm/tags.ts';
import type { KGen } from '../runtime/context.ts';
import { modelAssert } from '../runtime/violation.ts';
import { returnNow } from '../runtime/yieldPoint.ts';
import { dioSubmitIter } from './iomapDioBio.ts';
import {
  EFAULT,
  EIO,
  IOMAP_DELALLOC,
  IOMAP_DIO_WRITE,
  IOMAP_HOLE,
  IOMAP_INLINE,
  IOMAP_MAPPED,
  IOMAP_UNWRITTEN,
} from './flags.ts';
import type { IomapDio } from './iomapDio.ts';
import type { Kernel } from './kernel.ts';

/**
 * iomap_dio_hole_iter() (seed L444-453): zero-fill the user buffer for the mapping. It never blocks:
 * its answer comes without a generator (returnNow: the same steps as a generator function that
 * returns at its first resumption).
 */
export function iomapDioHoleIter(k: Kernel, iter: IomapIter, dio: IomapDio): KGen<number> {
  const length = iovIterZero(k.rt, iomapLength(iter), dioSubmitIter(k, dio, 447));
  dio.size += length;
  if (!length) {
    k.rt.cover(451);
    return returnNow(-EFAULT);
  }
  return returnNow(length);
}

/**
 * iomap_dio_inline_iter() (seed L455-486): copy to or from the inline buffer. A write past i_size
 * first zeroes the gap between the old size and pos, and grows i_size only by what was copied.
 */
export function* iomapDioInlineIter(k: Kernel, iomi: IomapIter, dio: IomapDio): KGen<number> {
  const rt = k.rt;
  const iomap = iomi.iomap;
  const iter = dioSubmitIter(k, dio, 459);
  const inlineAt = iomapInlineData(iomap, iomi.pos);
  const length = iomapLength(iomi);
  const pos = iomi.pos;
  let copied: number;

  // L465-466: WARN_ON_ONCE, the inline buffer may not cross a page.
  if (!iomapInlineDataValid(iomap)) {
    rt.cover(466);
    return -EIO;
  }
  const inline = iomap.inlineData;
  modelAssert(inline !== null, 'inline mapping without data');

  if (dio.flags & IOMAP_DIO_WRITE) {
    const size = iomi.inode.iSize;
    // L471-472
    if (pos > size) {
      rt.cover(472);
      const from = iomapInlineData(iomap, size);
      inline.tags.fill(TAG_ZERO, from, from + ((pos - size) >> SECTOR_SHIFT));
    }
    // L473-478
    copied = copyFromIter(rt, inline.tags, inlineAt, length, iter);
    // copy_from_iter may fault the user page in and sleep between the i_size read above and the
    // i_size_write below (spec/atomicity.md).
    yield;
    if (copied) {
      rt.cover(475);
      if (pos + copied > size) iSizeWrite(iomi.inode, pos + copied);
      iomi.inode.dirtied++;
    }
  } else {
    rt.cover(480);
    copied = copyToIter(rt, inline.tags, inlineAt, length, iter);
  }
  dio.size += copied;
  if (!copied) {
    rt.cover(484);
    return -EFAULT;
  }
  return copied;
}

/**
 * iomap_dio_iter() (seed L488-518): dispatch on the mapping type. It only hands on to an actor or
 * returns an error, so it gives its caller's `yield*` the actor's KGen (yieldPoint.ts): the same
 * steps as a generator function, without one, and a chain level fewer at each of the actor's yields.
 */
export function iomapDioIter(k: Kernel, iter: IomapIter, dio: IomapDio): KGen<number> {
  const rt = k.rt;
  rt.heap.use(dio, 493);
  switch (iter.iomap.type) {
    case IOMAP_HOLE:
      // L493-494: a filesystem must never hand a hole to a write.
      if (dio.flags & IOMAP_DIO_WRITE) {
        rt.cover(494);
        return returnNow(-EIO);
      }
      rt.cover(495);
      return k.ops.iomapDioHoleIter(k, iter, dio);
    case IOMAP_UNWRITTEN:
      if (!(dio.flags & IOMAP_DIO_WRITE)) {
        rt.cover(498);
        return k.ops.iomapDioHoleIter(k, iter, dio);
      }
      rt.cover(499);
      return k.ops.iomapDioBioIter(k, iter, dio);
    case IOMAP_MAPPED:
      rt.cover(501);
      return k.ops.iomapDioBioIter(k, iter, dio);
    case IOMAP_INLINE:
      rt.cover(503);
      return k.ops.iomapDioInlineIter(k, iter, dio);
    case IOMAP_DELALLOC:
      // L504-513: a page_mkwrite raced with this dio; not serialised, so refuse.
      rt.cover(511);
      if (rt.tracing) rt.ev(511, 'pr_warn', 'Direct I/O collision with buffered writes!');
      return returnNow(-EIO);
    default:
      rt.cover(515);
      return returnNow(-EIO);
  }
}
