/**
 * Planted defects of the world around the seed (block layer, device, filesystem, page cache), for
 * the bug catalogue: each is off in the correct world, and a planted bug turns one on. Kept apart
 * from the model's code paths so that the correct world carries no defect switches but these few
 * fields, each read once at a decision point.
 */
export interface WorldQuirks {
  /** Block layer: an emulated REQ_FUA skips its post-flush (kernel bug B22, 28b241237470). */
  readonly fuaWithoutPostflush?: boolean;
  /** Device: a write from user memory completes before its DMA has read the buffer. */
  readonly lateWriteDma?: boolean;
  /** XFS: ->iomap_begin does not flag a write past i_size IOMAP_F_DIRTY (B07, 7684e2c4384d). */
  readonly xfsNoDirtyPastEof?: boolean;
  /** XFS: ->iomap_begin reports a mapping that starts past the position asked for. */
  readonly xfsMappingPastPos?: boolean;
  /** XFS: ->iomap_begin of a direct write rounds the end of the range down to a block. */
  readonly xfsWriteEndRoundedDown?: boolean;
  /** XFS: a direct write that returns an error keeps the IOLOCK. */
  readonly xfsKeepIolockOnError?: boolean;
  /** XFS: fsync neither forces the log nor flushes the device cache. */
  readonly xfsFsyncNoFlush?: boolean;
  /** XFS: under NOWAIT, ->iomap_begin maps the first extent without checking it spans the range. */
  readonly xfsNowaitFirstExtentOnly?: boolean;
  /** XFS: ->end_io converts unwritten blocks even when the write failed. */
  readonly xfsConvertOnError?: boolean;
  /** XFS: log writes go out without REQ_PREFLUSH, so the log may overtake the data it covers. */
  readonly xfsLogWithoutPreflush?: boolean;
  /** XFS: fsync does not write back dirty page-cache data (file_write_and_wait_range skipped). */
  readonly xfsFsyncSkipsData?: boolean;
  /** XFS: ->end_io reports every error as -EIO. */
  readonly xfsEndIoRewritesError?: boolean;
  /** XFS: sub-block direct writes are not serialised (no OVERWRITE_ONLY, no exclusive lock; B24). */
  readonly xfsNoUnalignedSerialisation?: boolean;
  /**
   * XFS as in 6.12: a direct write past EOF zeroes [i_size, pos) in the page cache only, without the
   * candidate fixes of the correct model (spec/fs.md, findings F1 and F3: written blocks past the
   * EOF block are not freed first, and the zeroing is not written back before the write).
   */
  readonly xfsEofGapCachedOnly?: boolean;
  /**
   * XFS: a truncate down zeroes neither the new EOF block past the new size (xfs_truncate_page) nor
   * the cached folio past it (truncate_inode_partial_folio): what it cut off stays readable there.
   */
  readonly xfsTruncateKeepsEofTail?: boolean;
  /** ext4: ext4_set_iomap does not flag a write past i_size IOMAP_F_DIRTY (before 2e9b51d78229). */
  readonly ext4NoDirtyPastEof?: boolean;
  /**
   * ext4: i_disksize and the orphan are settled in ext4_dio_write_iter after iomap_dio_rw returned,
   * so after the O_(D)SYNC flush of iomap_dio_complete (before 91562895f803).
   */
  readonly ext4SizeUpdateAfterDio?: boolean;
  /**
   * ext4: an unaligned direct write does not wait for direct I/O in flight before it starts, so its
   * zeroing races an aligned write into the same new block (before e9e3bcecf44c).
   */
  readonly ext4UnalignedNoDioWait?: boolean;
  /**
   * ext4: an unaligned direct write under the exclusive lock is not waited for (no
   * IOMAP_DIO_FORCE_WAIT), so an aligned write can overlap its zeroing (before 57a0da28ced8).
   */
  readonly ext4UnalignedNoForceWait?: boolean;
  /** ext4: ext4_dio_write_end_io converts unwritten extents although the write failed. */
  readonly ext4ConvertOnError?: boolean;
  /**
   * ext4: an aborted journal (a failed jbd2 commit record) is noticed only when a handle starts, as
   * in the 6.12 releases: until then direct writes go on and a sync whose transaction jbd2 counts
   * committed returns 0. The correct model takes the candidate fix, an aborted journal counts as a
   * shutdown (spec/ext4.md, "A sync after an aborted journal").
   */
  readonly ext4MissesJournalAbort?: boolean;
  /**
   * ext4: ext4_truncate_failed_write does not wait for direct I/O in flight before it zeroes the
   * EOF block's tail through the page cache, as in the 6.12 releases; the correct model takes the
   * candidate fix (spec/ext4.md, "A failed extending write's EOF-block zeroing").
   */
  readonly ext4FailedWriteNoDioWait?: boolean;
  /**
   * ext4: an unaligned direct write that ends at i_size counts as a pure overwrite
   * (ext4_overwrite_io tests pos + len > i_size, 6.12.117 fs/ext4/file.c L224-225) and runs under
   * the shared lock, not waited for, though iomap zeroes its block past EOF (fs/iomap/direct-io.c
   * L460-462), as in the 6.12 releases; XFS takes such a write exclusively and waits
   * (fs/xfs/xfs_file.c L652-661). The correct model takes the candidate fix (spec/ext4.md, "An
   * unaligned overwrite's zeroing past EOF").
   */
  readonly ext4UnalignedEofOverwriteShared?: boolean;
  /**
   * ext4: ext4_buffered_write_iter does not wait for direct I/O in flight before it dirties pages
   * (6.12.107; 6.12.111 added the inode_dio_wait, fs/ext4/file.c L296-300, Debian's changelog of
   * 6.12.111-1~deb12u1: "ext4: drain in-flight DIO before buffered write fallback").
   */
  readonly ext4BufferedWriteNoDioWait?: boolean;
  /**
   * Scripted filesystem as a whole filesystem: the buffered fallback after a direct write that
   * stopped part way writes the rest at the request's first byte instead of at ki_pos, over the
   * bytes the direct part wrote (model/fs/genericCaller.ts).
   */
  readonly genericFallbackAtRequestStart?: boolean;
  /**
   * Scripted filesystem as a whole filesystem: the resume loop after IOMAP_DIO_PARTIAL calls
   * iomap_dio_rw again with done_before 0 instead of what the calls before it moved, so the
   * request reports only its last call's bytes (model/fs/genericCaller.ts).
   */
  readonly genericResumeLosesDoneBefore?: boolean;
  /**
   * Scripted filesystem as a whole filesystem, as btrfs 6.12 does (6.12.117 fs/btrfs/direct-io.c
   * L1018-1034): a NOWAIT write whose resume loop gave up after writing part of the request returns
   * -EAGAIN from its fallback, losing the count. The correct model takes the candidate fix: it
   * returns the bytes written (spec/fs.md, the scripted filesystem as a whole filesystem).
   */
  readonly genericNowaitEagainAfterPartial?: boolean;
  /**
   * Scripted filesystem as a whole filesystem, as btrfs and gfs2 6.12 do (fs/btrfs/direct-io.c
   * L1127-1147, fs/gfs2/file.c L857-862): the read loop calls again after a count iomap_dio_rw
   * trimmed at EOF (it leaves the rest in the iter, seed L675-676), and returns that call's error.
   * The correct model takes the candidate fix: a read that reached the EOF it started with ends.
   */
  readonly genericResumePastEof?: boolean;
  /**
   * Scripted filesystem as a whole filesystem, as gfs2 6.12 does (fs/gfs2/file.c L851-862,
   * L868-870): a PARTIAL read whose hole zeroing stopped at a user page it could not fault in
   * (iov_iter_zero stops at the page, 6.12.117 fs/iomap/direct-io.c L477-486) returns a count that
   * ends inside a logical block; the loop calls again at that position, which a mapped block
   * refuses -EINVAL (L317-319), and the read returns that error after data moved. The correct
   * model takes the candidate fix: the direct part ends there, the rest is read through the page
   * cache.
   */
  readonly genericResumeMidSector?: boolean;
  /**
   * Scripted filesystem as a whole filesystem: ->iomap_begin does not flag a write that ends past
   * the committed size IOMAP_F_DIRTY, so an O_DSYNC write past EOF on a device with FUA takes the
   * write-through path and nothing commits its size (as B07 on XFS, 7684e2c4384d).
   */
  readonly genericNoDirtyPastEof?: boolean;
  /**
   * Scripted filesystem as a whole filesystem: the buffered fallback of an O_DSYNC direct write
   * does not sync what it wrote (gfs2_file_write_iter's generic_write_sync, 6.12.117
   * fs/gfs2/file.c L1158, left out).
   */
  readonly genericFallbackNoSync?: boolean;
  /** Scripted filesystem as a whole filesystem: fsync commits without writing back dirty pages first. */
  readonly genericFsyncSkipsData?: boolean;
  /** Scripted filesystem as a whole filesystem: fsync writes the data back and returns before the commit. */
  readonly genericFsyncNoCommit?: boolean;
  /**
   * Scripted filesystem as a whole filesystem: the commit record goes out with REQ_FUA but without
   * REQ_PREFLUSH (write_all_supers without barrier_all_devices), so it may reach media before the
   * data it points at.
   */
  readonly genericCommitWithoutPreflush?: boolean;
  /**
   * Scripted filesystem as a whole filesystem: a new block becomes the file's when ->iomap_begin
   * allocates it, not when the write's data completed (btrfs inserts the file extent item when the
   * ordered extent finishes, btrfs_finish_one_ordered), so a commit meanwhile points at old bytes.
   */
  readonly genericPublishAtAllocation?: boolean;
  /** mm: a failed pre-write invalidation does not stop the direct write (B13, before 60263d5889e6). */
  readonly ignoreInvalidationFailure?: boolean;
  /** mm: kiocb_invalidate_post_direct_write does nothing. */
  readonly skipPostWriteInvalidation?: boolean;
}
