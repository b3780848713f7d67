/**
 * A scenario: the device and filesystem geometry, the file's mappings, its cached pages, and the
 * operations each thread issues. Plain JSON, so that replay files carry it whole.
 *
 * The extents are the file's initial data fork on the model XFS (the default), or, with fs.model
 * 'scripted', the mappings ->iomap_begin reports as given, for unit tests of single seed branches.
 */

export type ExtentType = 'hole' | 'delalloc' | 'mapped' | 'unwritten' | 'inline';
export type ExtentFlag = 'new' | 'dirty' | 'shared';

export interface ExtentSpec {
  /** File offset in bytes. */
  readonly offset: number;
  readonly length: number;
  readonly type: ExtentType;
  readonly flags?: readonly ExtentFlag[];
  /** Disk address of `offset` in bytes (mapped and unwritten extents). */
  readonly addr?: number;
  /** Where inline data starts within its page (inline extents); a buffer crossing a page is invalid. */
  readonly inlineOffsetInPage?: number;
}

export type IocbFlag = 'dsync' | 'sync' | 'nowait' | 'hipri' | 'caller_comp';
export type DioFlag = 'force_wait' | 'overwrite_only' | 'partial';

/** A direct read or write: pread/pwrite(2) on an O_DIRECT file descriptor. */
export interface DioOpSpec {
  readonly kind: 'dio_read' | 'dio_write';
  /** File position and length in bytes. */
  readonly pos: number;
  readonly len: number;
  /** User buffer address; its alignment is checked against the device (default 0x10000). */
  readonly bufAddr?: number;
  /** ITER_UBUF (default) or kernel pages (ITER_BVEC). */
  readonly userBacked?: boolean;
  /** Async kiocb: aio (ki_complete), or io_uring when caller_comp is set. */
  readonly async?: boolean;
  readonly iocbFlags?: readonly IocbFlag[];
  readonly dioFlags?: readonly DioFlag[];
  readonly doneBefore?: number;
  /**
   * A page of the user buffer that is not there for the whole call, counted from the page that
   * holds bufAddr: pinning it (bio_iov_iter_get_pages) and copying to or from it (hole zeroing,
   * copy_to_iter) fault on every try, deterministically; the pages before it are mapped. The real
   * kernel's oracle unmaps it (munmap) or makes it PROT_NONE (mprotect) before the call.
   */
  readonly badPage?: BadPageSpec;
}

export interface BadPageSpec {
  readonly index: number;
  /** How the oracle's agent takes the page away; both fault alike in the paths the model covers. */
  readonly how: 'munmap' | 'mprotect';
}

/** fsync(2) or fdatasync(2) of the whole file. */
export interface SyncOpSpec {
  readonly kind: 'fsync' | 'fdatasync';
}

/**
 * Wait until every async request this thread issued has delivered its result, as io_getevents(2)
 * or io_uring_wait_cqe do. Not a request: it takes no id.
 */
export interface WaitAsyncOpSpec {
  readonly kind: 'wait_async';
}

/** Power fails right here (every context stops; recovery and the post-crash checks follow). */
export interface PowerLossOpSpec {
  readonly kind: 'power_loss';
}

/** Buffered read(2) or write(2) through the page cache (the model filesystem only). */
export interface BufferedOpSpec {
  readonly kind: 'buffered_read' | 'buffered_write';
  readonly pos: number;
  readonly len: number;
}

/** A read fault on the page of the EOF block through a shared mapping: the user sees the whole block. */
export interface MmapReadOpSpec {
  readonly kind: 'mmap_read';
}

/** truncate(2) to `size`. */
export interface TruncateOpSpec {
  readonly kind: 'truncate';
  readonly size: number;
}

/** fallocate(2) mode 0 over [pos, pos + len). */
export interface FallocateOpSpec {
  readonly kind: 'fallocate';
  readonly pos: number;
  readonly len: number;
}

/** Operations outside direct I/O, each done under the filesystem's own locks (model filesystem only). */
export type FileOpSpec = BufferedOpSpec | MmapReadOpSpec | TruncateOpSpec | FallocateOpSpec;

export type OpSpec = DioOpSpec | SyncOpSpec | PowerLossOpSpec | WaitAsyncOpSpec | FileOpSpec;

export interface DeviceSpec {
  readonly logicalBlockSize: 512 | 4096;
  readonly fua: boolean;
  readonly writeCache: boolean;
  /** dma_alignment mask (default 511). */
  readonly dmaAlignment?: number;
  /** Capacity in 512-byte sectors (default 4096). */
  readonly sectors?: number;
}

/**
 * What the disk holds at mount besides the file's data: the leftovers a real file can start a
 * direct I/O with (spec/fs.md, "Initial states", with the kernel behaviour that leaves each). Their
 * bytes are those of an earlier write the file no longer has (PRIOR_WRITE_ID, model/world/buildXfs.ts),
 * at the file offsets they were written for, which no reader may ever see.
 * - 'eof-tail': the written EOF block holds them past i_size (an extending write into the EOF block
 *   whose data reached the disk and whose size update did not);
 * - 'past-eof': written blocks wholly past the EOF block hold them on XFS (a writeback whose
 *   conversion was logged and whose size update was not); on ext4 such blocks hold the disk's old
 *   contents (a short extending direct write allocated them written and never wrote them);
 * - 'unwritten': unwritten blocks hold them (a direct write whose data reached the disk and whose
 *   conversion did not);
 * - 'free': the free blocks the allocator hands out next hold them, file block j's in the j-th
 *   (a deleted earlier copy of the file, written in order).
 */
export type Leftover = 'eof-tail' | 'past-eof' | 'unwritten' | 'free';

export interface FsSpec {
  /**
   * Which filesystem answers ->iomap_begin: 'xfs' (the model filesystem, with allocation,
   * conversion, a journal and recovery; the default), 'ext4' (the model ext4: its direct I/O
   * paths, truncate and jbd2, model/fs/ext4.ts; its page-cache side is otherwise the model XFS's),
   * or 'scripted' (reports `extents` as given, for unit tests of single seed branches).
   */
  readonly model?: 'xfs' | 'ext4' | 'scripted';
  /** Filesystem block size: a power of two, a multiple of the logical block size, at most 4096. */
  readonly blockSize: number;
  readonly iSize: number;
  readonly extents: readonly ExtentSpec[];
  /** Cached pages of the file (their contents are the file's): index and dirty bit. */
  readonly pageCache?: ReadonlyArray<{ readonly index: number; readonly dirty: boolean }>;
  /** Does the filesystem pass a dio end_io for writes (XFS and ext4 do)? Default true. */
  readonly endIo?: boolean;
  /** Does it pass one for reads too (zonefs does; XFS and ext4 pass none)? Default false. */
  readonly readEndIo?: boolean;
  /** Does end_io sleep when it has work (an error, a conversion, a COW remap)? Default true. */
  readonly endIoMaySleep?: boolean;
  /**
   * When the model XFS flags a direct write IOMAP_F_DIRTY for the size: 'in-core' is XFS 6.12
   * (pos + length > i_size_read), 'on-disk' also when the write ends past the logged size
   * (di_size), which an earlier unsynced extending buffered write leaves behind. Default
   * 'on-disk'; 'in-core' loses O_DSYNC data on power loss (a candidate finding, see README).
   */
  readonly sizeDirtyRule?: 'in-core' | 'on-disk';
  /** Scripted provider: a bio_set of the filesystem's own (seed L58-60). */
  readonly bioSet?: boolean;
  /** Scripted provider: a ->submit_io hook, which submits the bio itself (seed L77-78). */
  readonly submitIo?: boolean;
  /**
   * Scripted provider: ->submit_io hands the bio to a worker that submits it later (btrfs offloaded
   * checksumming of direct writes to a workqueue, btrfs_wq_submit_bio, before 968f19c5b1b7; the 6.12
   * releases send checksummed direct writes to buffered I/O, spec/fs.md). Needs `submitIo`.
   */
  readonly submitIoDeferred?: boolean;
  /** Scripted provider: ->iomap_begin of a write returns -ENOTBLK from this offset on (seed L684-688). */
  readonly notblkFrom?: number;
  /**
   * Scripted provider: behave as a filesystem whose file has data, as btrfs, gfs2 and XFS do around
   * iomap_dio_rw (model/world/scriptedFs.ts): the file's original data is on the disk, a block
   * ->iomap_begin gives a write as IOMAP_F_NEW is a hole to reads until a successful ->end_io
   * covers it, and ->end_io converts the unwritten blocks a successful write covered. The data
   * invariants judge such runs (STALE-01). Default false: the mappings exactly as scripted, for
   * unit tests of single seed branches.
   */
  readonly generic?: boolean;
  /**
   * The model filesystems (XFS, ext4): the leftovers the disk holds at mount (Leftover). Default
   * none: zeros past i_size in the EOF block, no written block past it on XFS, and whatever the
   * disk held before (stale) in unwritten and free blocks.
   */
  readonly leftovers?: readonly Leftover[];
  /** Does ->fsync fail with this errno (positive) instead of succeeding? */
  readonly fsyncErrno?: number;
}

export interface Scenario {
  readonly device: DeviceSpec;
  readonly fs: FsSpec;
  /** BIO_MAX_VECS for this run: pages per bio. */
  readonly bioMaxVecs: number;
  /** One list of operations per thread; threads run concurrently. */
  readonly threads: ReadonlyArray<readonly OpSpec[]>;
}
