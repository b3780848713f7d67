/**
 * Where the model, which is XFS, is not expected to agree with Linux 6.12 on ext4: each rule names
 * the ext4 code that decides differently and matches exactly the differences it explains. The
 * conformance test fails on a difference no rule explains, and on a rule that explains nothing (a
 * stale excuse). XFS cases have no rules: on XFS the model and the kernel must agree on every field.
 * Line numbers are of Debian's linux-source-6.12 (6.12.117).
 */
import type { DioOpSpec } from '../../model/world/scenario.ts';
import type { OracleCase } from './corpus.ts';
import type { Observation } from './observe.ts';

export interface KnownDifference {
  readonly id: string;
  /** Why the kernel differs, with the lines that decide it. */
  readonly why: string;
  /** Does this rule explain difference `line` of case `c`, given the kernel's observation? */
  readonly explains: (c: OracleCase, line: string, kernel: Observation) => boolean;
}

function firstWrite(c: OracleCase): DioOpSpec | null {
  const op = c.ops[0];
  return op?.kind === 'dio_write' ? op : null;
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    id: 'ext4-failed-write-blocks',
    why:
      'After a direct write that fails, the blocks ext4 holds differ from XFS: ext4 allocates in ' +
      '->iomap_begin before iomap checks the alignment of position and length (seed L291-293; XFS ' +
      'rejects them first, fs/xfs/xfs_file.c L722-723), so a misaligned write into a hole inside EOF ' +
      'leaves unwritten blocks; and a failed extending write truncates every block past EOF, ' +
      'preallocated ones included (fs/ext4/file.c L586-597, ext4_inode_extension_cleanup -> ' +
      'ext4_truncate_failed_write), where XFS leaves them for xfs_free_eofblocks.',
    explains: (c, line, kernel) =>
      c.fs === 'ext4' &&
      line.startsWith('extents:') &&
      firstWrite(c) !== null &&
      (kernel.ops[0]?.ret ?? 0) < 0,
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
];
