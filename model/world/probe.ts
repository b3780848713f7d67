/**
 * The seam between the world and the invariant checkers of properties/: the world calls these
 * hooks where an invariant can break, and a checker throws a Violation there. With no probe the
 * world makes no calls, so an unchecked run pays nothing.
 */
import type { Disk } from '../block/disk.ts';
import type { Inode } from '../fs/vfs.ts';
import type { ModelXfs, RecoveredFile } from '../fs/xfs.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Scenario } from './scenario.ts';

/** What a checker may read of a run in progress. */
export interface WorldView {
  readonly scenario: Scenario;
  readonly rt: Runtime;
  readonly disk: Disk;
  readonly inode: Inode;
  readonly xfs: ModelXfs | null;
  readonly requests: readonly RequestView[];
  readonly syncs: readonly SyncView[];
  readonly fileOps: readonly FileOpView[];
}

export interface FileOpView {
  readonly id: number;
  readonly thread: number;
  readonly op: import('./scenario.ts').FileOpSpec;
  /** op.kind, in the record's one shape (a read of the op's own is a stub-cache lookup). */
  readonly kind: import('./scenario.ts').FileOpSpec['kind'];
  readonly buf: import('../mm/userBuffer.ts').UserBuffer | null;
  readonly readPos: number;
  readonly startStep: number;
  readonly returned: number | null;
  readonly returnStep: number;
}

export interface CompletionView {
  readonly res: number;
  readonly context: string;
  readonly contextKind: string;
  readonly step: number;
}

/**
 * The op's fields as the request was issued with them, in the record's one shape (a read of the
 * op's own, one of dozens of shapes, is a stub-cache lookup): beginDio fills them once and the
 * checkers read them at every result. Shared by the record (run.ts RequestRecord) and the view.
 */
export interface RequestOpFields {
  /** A write (op.kind 'dio_write'), not a read. */
  readonly write: boolean;
  /** op.len (its position is startPos) and op.doneBefore (0 when left out). */
  readonly len: number;
  readonly doneBefore: number;
  /** op.async, IOCB_NOWAIT among its iocb flags, IOMAP_DIO_PARTIAL among its dio flags. */
  readonly async: boolean;
  readonly nowait: boolean;
  readonly partial: boolean;
}

export interface RequestView extends RequestOpFields {
  readonly id: number;
  readonly thread: number;
  readonly op: import('./scenario.ts').DioOpSpec;
  readonly iocb: import('../fs/vfs.ts').Kiocb;
  readonly iter: import('../mm/iovIter.ts').IovIter;
  readonly buf: import('../mm/userBuffer.ts').UserBuffer;
  readonly returned: number | null;
  /** ki_pos when the request was issued. */
  readonly startPos: number;
  /** i_size when the request was issued. */
  readonly startSize: number;
  /** Step at which the request was issued, and at which it returned (0 until then). */
  readonly startStep: number;
  readonly returnStep: number;
  readonly completions: readonly CompletionView[];
}

export interface SyncView {
  readonly id: number;
  readonly op: import('./scenario.ts').SyncOpSpec;
  readonly startStep: number;
  readonly returned: number | null;
  readonly returnStep: number;
}

export interface Probe {
  /** iomap_dio_rw (or the filesystem's dio path) returned to the submitting task. */
  onReturn?(w: WorldView, r: RequestView): void;
  /** A request's result reached the caller (a return of a completed call, or ki_complete). */
  onResult?(w: WorldView, r: RequestView, c: CompletionView): void;
  /** A buffered read or write, mmap read, truncate or fallocate returned. */
  onFileOp?(w: WorldView, r: FileOpView): void;
  /** An fsync or fdatasync returned. */
  onSync?(w: WorldView, s: SyncView): void;
  /** Nothing can run any more and power did not fail. */
  onQuiescent?(w: WorldView): void;
  /** Power failed and recovery ran. */
  onRecovered?(w: WorldView, recovered: RecoveredFile | null, crashStep: number): void;
}
