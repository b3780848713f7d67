/**
 * Where the model is not expected to agree with Linux 6.12, each rule naming the code that decides
 * differently and matching exactly the differences it explains. The conformance test fails on a
 * difference no rule explains, and on a rule that explains nothing (a stale excuse).
 * ext4 cases run on the model ext4 (model/fs/ext4.ts), whose direct I/O paths, jbd2 and truncate
 * agree with the kernels on every field; what is left are two abstractions of the model's own,
 * for both filesystems. Line numbers are of Debian's linux-source-6.12 (6.12.117).
 */
import type { ReleaseName } from '../../model/kernel/releases.ts';
import { type OracleCase, POLL_MAX_SECTORS } from './corpus.ts';
import type { Observation } from './observe.ts';

export interface KnownDifference {
  readonly id: string;
  /** Why the kernel differs, with the lines that decide it. */
  readonly why: string;
  /** Does this rule explain difference `line` of case `c`, given the kernel's observation? */
  readonly explains: (c: OracleCase, line: string, kernel: Observation) => boolean;
  /** The releases whose behaviour the rule is about; all of them when absent. */
  readonly releases?: readonly ReleaseName[];
}

/** The rule that explains `line` of case `c` on `release`, if one does. */
export function explainingRule(
  release: ReleaseName,
  c: OracleCase,
  line: string,
  kernel: Observation,
): KnownDifference | undefined {
  return KNOWN_DIFFERENCES.find(
    (k) => (k.releases === undefined || k.releases.includes(release)) && k.explains(c, line, kernel),
  );
}

/** A bio difference line: the operation, then the model's and the kernel's token strings. */
function bioDiff(line: string): { op: number; model: string[]; kernel: string[] } | null {
  const m = /^op (\d+) bios: model (.*) kernel (.*)$/.exec(line);
  if (m === null) return null;
  const split = (t: string | undefined) => (t === undefined || t === '' ? [] : t.split(' '));
  return { op: Number(m[1]), model: split(m[2]), kernel: split(m[3]) };
}

/** A data token's length in bytes (`r0+32768` is 32768), or 0 for a flush. */
function tokenBytes(t: string): number {
  const m = /^[rw]\d+\+(\d+)/.exec(t);
  return m === null ? 0 : Number(m[1]);
}

/** The case's operation `id` is an io_uring request without RWF_NOWAIT, on a null_blk disk. */
function uringBlocking(c: OracleCase, id: number): boolean {
  const op = c.ops[id - 1];
  return (
    c.poll === true &&
    op !== undefined &&
    (op.kind === 'dio_read' || op.kind === 'dio_write') &&
    op.async === true &&
    op.iocbFlags?.includes('hipri') === true &&
    !op.iocbFlags.includes('nowait')
  );
}

/** Merges data tokens that continue each other (same kind and flags, adjacent file ranges). */
function mergeContiguous(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    const cur = /^([rw])(\d+)\+(\d+)([FP]*)$/.exec(t);
    const prev = /^([rw])(\d+)\+(\d+)([FP]*)$/.exec(out[out.length - 1] ?? '');
    if (cur !== null && prev !== null && cur[1] === prev[1] && cur[4] === prev[4]) {
      const end = Number(prev[2]) + Number(prev[3]);
      if (end === Number(cur[2])) {
        out[out.length - 1] = `${prev[1]}${prev[2]}+${Number(prev[3]) + Number(cur[3])}${prev[4]}`;
        continue;
      }
    }
    out.push(t);
  }
  return out;
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    id: 'model-no-bio-split',
    why:
      "The model's device has no max_sectors: the null_blk disks of the polled cases split a bio above " +
      'POLL_MAX_SECTORS (8 KiB) in blk_mq_submit_bio (6.12.117 block/blk-mq.c L3092), and a split bio ' +
      'is no longer polled (block/blk-merge.c L374-380, bio_clear_polled: the halves complete by ' +
      'interrupt). The model queues the polled bio whole. Only the polled count differs: the bio trace ' +
      'shows the bio before the split (block/blk-core.c L728), as the model has it.',
    explains: (c, line, kernel) => {
      const m = /^op (\d+) polled: model 1 kernel 0$/.exec(line);
      if (m === null || c.poll !== true) return false;
      const bios = kernel.ops.find((o) => o.id === Number(m[1]))?.bios ?? '';
      return bios.split(' ').some((t) => tokenBytes(t) > POLL_MAX_SECTORS * 512);
    },
  },
  {
    id: 'uring-nonblocking-first-issue',
    why:
      'io_uring issues every read and write first with IOCB_NOWAIT, RWF_NOWAIT or not (6.12.107 ' +
      'io_uring/rw.c L859-866, L1078-1093: issue flag IO_URING_F_NONBLOCK, io_uring/io_uring.c L1938), ' +
      'and on 6.12.107 bio_set_polled makes the polled bio of such a kiocb REQ_NOWAIT (include/linux/bio.h ' +
      'L671-676); the block layer refuses to split a REQ_NOWAIT bio (block/blk-merge.c L360-364, after the ' +
      'block_bio_queue tracepoint, block/blk-core.c L728), and io_uring issues the request again, ' +
      'blocking, from its worker (io_uring/rw.c L893-905, io_uring/io_uring.c L1913-1925). The model has ' +
      'no io_uring layer: its request is issued once, as the blocking retry is. The kernel shows the ' +
      "refused bio, then the model's.",
    releases: ['6.12.107'],
    explains: (c, line) => {
      const d = bioDiff(line);
      if (d === null || !uringBlocking(c, d.op) || d.model.length === 0) return false;
      const twice = [...d.model, ...d.model].join(' ');
      return d.kernel.join(' ') === twice && d.model.some((t) => tokenBytes(t) > POLL_MAX_SECTORS * 512);
    },
  },
  {
    id: 'model-cache-fill-without-io',
    why:
      "The model fills a page-cache page from the disk's contents without read I/O (AddressSpace.getPage " +
      'in model/mm/pageCache.ts), where the kernel reads it, and reads ahead, with read bios: buffered ' +
      'reads, mmap faults, partial-page buffered writes, the zeroing of a partial EOF block by truncate ' +
      "and fallocate, and ext4's truncate after a failed extending write. With those reads left out, " +
      'the bios agree; direct reads, whose bios the model does issue, are compared whole.',
    explains: (c, line) => {
      const d = bioDiff(line);
      if (d === null || c.ops[d.op - 1]?.kind === 'dio_read') return false;
      return d.kernel.filter((t) => !t.startsWith('r')).join(' ') === d.model.join(' ');
    },
  },
  {
    id: 'model-contiguous-layout',
    why:
      'The model places the initial extents contiguously on disk (EXTENT_BASE + file offset), so one ' +
      "mapping covers blocks that the kernel's allocator placed in separate extents, and iomap issues " +
      'one bio per mapping (seed L659-666): the kernel splits a direct I/O where the model does not. ' +
      'Merged where they continue each other, the bios agree.',
    explains: (_c, line) => {
      const d = bioDiff(line);
      return (
        d !== null &&
        d.model.join(' ') !== d.kernel.join(' ') &&
        mergeContiguous(d.model).join(' ') === mergeContiguous(d.kernel).join(' ')
      );
    },
  },
];
