/**
 * Where the model is not expected to agree with Linux 6.12: ext4 decisions the model (which is
 * XFS) does not make, and two abstractions of the model's own. Each rule names the code that
 * decides differently and matches exactly the differences it explains. The conformance test fails
 * on a difference no rule explains, and on a rule that explains nothing (a stale excuse).
 * Line numbers are of Debian's linux-source-6.12 (6.12.117).
 */
import type { ReleaseName } from '../../model/kernel/releases.ts';
import type { DioOpSpec } from '../../model/world/scenario.ts';
import type { OracleCase } from './corpus.ts';
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

function firstWrite(c: OracleCase): DioOpSpec | null {
  const op = c.ops[0];
  return op?.kind === 'dio_write' ? op : null;
}

/** Per-sector tokens of a compressed token string (`1.0-3 z*2` is 1.0 1.1 1.2 1.3 z z). */
function expandTokens(s: string): string[] {
  const out: string[] = [];
  for (const t of s === '' ? [] : s.split(' ')) {
    const run = /^(\d+)\.(\d+)-(\d+)$/.exec(t);
    const rep = /^(.+)\*(\d+)$/.exec(t);
    if (run !== null) for (let u = Number(run[2]); u <= Number(run[3]); u++) out.push(`${run[1]}.${u}`);
    else if (rep !== null) for (let i = 0; i < Number(rep[2]); i++) out.push(rep[1] as string);
    else out.push(t);
  }
  return out;
}

/** Is `sub` what is left of `all` after dropping some of its tokens (in order)? */
function isSubsequence(sub: readonly string[], all: readonly string[]): boolean {
  let i = 0;
  for (const t of all) if (i < sub.length && sub[i] === t) i++;
  return i === sub.length;
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    id: 'ext4-failed-write-blocks',
    why:
      'After a direct write that fails, the blocks ext4 holds differ from XFS: ext4 allocates in ' +
      '->iomap_begin before iomap checks the alignment of position and length (seed L291-293; XFS ' +
      'rejects them first, fs/xfs/xfs_file.c L722-723), so a misaligned write into a hole inside EOF ' +
      'leaves unwritten blocks; and a failed extending write truncates every block past EOF, ' +
      'preallocated ones included, zeroing the EOF block in the page cache for the next sync to ' +
      'write back (fs/ext4/file.c L586-597, ext4_inode_extension_cleanup -> ' +
      'ext4_truncate_failed_write), where XFS leaves them for xfs_free_eofblocks.',
    explains: (c, line, kernel) => {
      if (c.fs !== 'ext4' || !c.ops.some((op, i) => op.kind === 'dio_write' && (kernel.ops[i]?.ret ?? 0) < 0))
        return false;
      if (line.startsWith('extents:')) return true;
      // The cleanup's page-cache zeroing written back by a later sync: the flushes still agree.
      const d = bioDiff(line);
      const flushes = (ts: readonly string[]) => ts.filter((t) => t === 'flush').join(' ');
      return d !== null && c.ops[d.op - 1]?.kind !== 'dio_write' && flushes(d.model) === flushes(d.kernel);
    },
  },
  {
    id: 'ext4-nowait-unaligned',
    why:
      'ext4 answers a NOWAIT write that is not block-aligned with -EAGAIN before iomap sees it, since ' +
      'it would need the inode lock exclusively (fs/ext4/file.c L464-488, ext4_dio_write_checks), ' +
      'where XFS passes it on and iomap rejects a misaligned one with -EINVAL (seed L291-293).',
    explains: (c, line) =>
      c.fs === 'ext4' &&
      (firstWrite(c)?.iocbFlags ?? []).includes('nowait') &&
      line === 'op 1 result: model -22 kernel -11',
  },
  {
    id: 'ext4-truncate-writes-back-later',
    why:
      'ext4 zeroes the tail of the old EOF block on a truncate up in the page cache and leaves it to ' +
      'writeback (fs/ext4/inode.c L5598-5603, ext4_block_truncate_page), where XFS writes back ' +
      'everything between the logged size and the new one before it returns (fs/xfs/xfs_iops.c ' +
      'L902-910), which the model does.',
    explains: (c, line) => {
      const d = bioDiff(line);
      return (
        c.fs === 'ext4' &&
        d !== null &&
        c.ops[d.op - 1]?.kind === 'truncate' &&
        d.kernel.length === 0 &&
        d.model.every((t) => t.startsWith('w'))
      );
    },
  },
  {
    id: 'ext4-eof-gap-not-zeroed',
    why:
      'A write that starts past EOF makes XFS zero the old EOF block past i_size in the page cache ' +
      '(fs/xfs/xfs_file.c L417, xfs_file_write_zero_eof), which the next sync writes back, as the ' +
      'model does; ext4 does not dirty it, and zeroes a folio that straddles i_size whenever it ' +
      'writes it back instead (fs/ext4/page-io.c L458-465).',
    explains: (c, line) => {
      const d = bioDiff(line);
      const prev = c.ops[(d?.op ?? 0) - 2];
      return (
        c.fs === 'ext4' &&
        d !== null &&
        prev?.kind === 'dio_write' &&
        prev.pos > c.iSize &&
        c.iSize % c.blockSize !== 0 &&
        d.model.filter((t) => !t.startsWith('w')).join(' ') === d.kernel.join(' ')
      );
    },
  },
  {
    id: 'ext4-faulting-write',
    why:
      'A direct write whose user buffer faults part way ends differently on ext4. ext4 allocates the ' +
      'blocks of a write at or past EOF written, not unwritten (fs/ext4/inode.c L3388-3389, ' +
      'EXT4_GET_BLOCKS_CREATE), so the mapping after a short page-get that starts inside such a block ' +
      'is neither unwritten nor new and iomap does not zero its head (fs/iomap/direct-io.c L321-331, ' +
      'L381-389). A failed extending write frees the blocks it allocated (fs/ext4/file.c L588-597, ' +
      'ext4_inode_extension_cleanup), so its bios map to no block of the file; the fallback reads the ' +
      'partial block it would write.',
    explains: (c, line) => {
      const op = firstWrite(c);
      if (c.fs !== 'ext4' || op?.badPage === undefined) return false;
      const d = bioDiff(line);
      return (
        d !== null &&
        d.op === 1 &&
        isSubsequence(
          d.kernel.filter((t) => !t.startsWith('r')),
          d.model,
        )
      );
    },
  },
  {
    id: 'ext4-faulting-write-short-count',
    why:
      'On 6.12.107-6.12.117 a direct write whose buffer faults inside a block returns a short count ' +
      "(the tail zeroing assigns iomap_dio_zero's 0 to ret, 6.12.117 fs/iomap/direct-io.c L460-467). " +
      'On XFS, which allocates unwritten, the next iteration has zeroed the head of that block over ' +
      'the data; ext4 allocates written (fs/ext4/inode.c L3388-3389), so its data survives, and the ' +
      'short count sends ext4 to its buffered fallback, which faults at once on the same page and ' +
      'returns -EFAULT for the whole call (fs/ext4/file.c L605-612, mm/filemap.c L4063-4066). ' +
      '6.12.118 returns -EFAULT from iomap itself, as the model as 6.12.118 does.',
    releases: ['6.12.107', '6.12.111', '6.12.113', '6.12.115', '6.12.117'],
    explains: (c, line) => {
      const op = firstWrite(c);
      if (c.fs !== 'ext4' || op?.badPage === undefined) return false;
      const result = /^op 1 result: model (-?\d+) kernel (-?\d+)$/.exec(line);
      if (result !== null) return Number(result[1]) >= 0 && Number(result[2]) === -14;
      const contents = /^contents: model (.*) kernel (.*)$/.exec(line);
      if (contents === null) return false;
      const m = expandTokens(contents[1] as string);
      const k = expandTokens(contents[2] as string);
      return m.length === k.length && m.every((t, i) => t === k[i] || (t === 'z' && k[i]?.startsWith('1.')));
    },
  },
  {
    id: 'ext4-nowait-extending',
    why:
      'ext4 answers a NOWAIT write that extends the file with -EAGAIN before iomap sees it, since it ' +
      'would need the inode lock exclusively (fs/ext4/file.c L448 and L461-468), where XFS writes into ' +
      'blocks already allocated past EOF under its shared IOLOCK and updates the size at completion.',
    explains: (c, line, kernel) => {
      const op = firstWrite(c);
      if (
        c.fs !== 'ext4' ||
        op === null ||
        !(op.iocbFlags ?? []).includes('nowait') ||
        op.pos + op.len <= c.iSize ||
        kernel.ops[0]?.ret !== -11
      )
        return false;
      return (
        /^op 1 result: model \d+ kernel -11$/.test(line) ||
        /^op 1 bios: model \S.* kernel $/.test(line) ||
        /^(size|final read): model \d+ kernel \d+$/.test(line) ||
        line.startsWith('contents:') ||
        line.startsWith('extents:')
      );
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
