/**
 * jbd2 in ordered mode, as far as ext4's direct I/O needs it (fs/jbd2/journal.c, commit.c of the
 * pinned 6.12 releases; the functions below are the same in 6.12.107-6.12.118, line numbers are
 * 6.12.117's):
 * - one running transaction (tid j_transaction_sequence) that every handle joins; a handle that
 *   changes the inode records the tid in the inode (i_sync_tid, and i_datasync_tid for changes
 *   fdatasync needs, fs/ext4/ext4_jbd2.h L438-449);
 * - a commit closes the running transaction and writes it to the log; its commit record goes out
 *   with REQ_PREFLUSH|REQ_FUA (fs/jbd2/commit.c L152-154, journal_submit_commit_record, after
 *   T_COMMIT_JFLUSH at L877), so every data write that completed before it is on media first;
 * - j_commit_sequence is the last transaction whose commit record completed; commits complete in
 *   tid order (one kjournald2 commits one transaction at a time);
 * - jbd2_complete_transaction, jbd2_log_wait_commit, jbd2_trans_will_send_data_barrier and
 *   jbd2_transaction_committed answer fsync and ext4_set_iomap;
 * - recovery replays the transactions whose commit records are on media, in order, stopping at the
 *   first missing one (fs/jbd2/recovery.c do_one_pass).
 * The records themselves are the model journal's (model/fs/journal.ts), shared with XFS: a jbd2
 * commit is one log write, so transaction `tid` is log write `tid`. Not modelled: the descriptor
 * and metadata blocks as separate bios (the oracle leaves non-flush metadata I/O out), checkpointing,
 * the ordered-data list (a direct write has no page-cache data in its range), fast commits, and the
 * async_commit feature (off by default; mkfs.ext4 does not set it).
 */
import { type Bio, REQ_FUA, REQ_OP_WRITE, REQ_PREFLUSH, REQ_SYNC } from '../block/bio.ts';
import { bioAlloc, bioPut } from '../block/bioOps.ts';
import type { Disk } from '../block/disk.ts';
import { EIO } from '../kernel/flags.ts';
import { UserBuffer } from '../mm/userBuffer.ts';
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { Journal, type LogWrite, logTag } from './journal.ts';

/** tid_geq() (include/linux/jbd2.h): tids here never wrap. */
function tidGeq(x: number, y: number): boolean {
  return x >= y;
}

export class Jbd2 extends Journal {
  /** j_running_transaction's tid (j_transaction_sequence); 1 is the first. */
  runningTid = 1;
  /** Has a handle joined the running transaction (t_updates was ever non-zero)? */
  runningUsed = false;
  /** j_commit_request: the highest tid a commit was asked for. */
  commitRequest = 0;
  /** j_committing_transaction's tid, 0 when no commit is in flight. */
  committingTid = 0;
  /** j_commit_sequence: the last tid whose commit record completed. */
  commitSequence = 0;
  /** JBD2_ABORT: a log write failed (jbd2_journal_abort). */
  aborted = false;
  /** JBD2_BARRIER: the `barrier` mount option, ext4's default. */
  barrier = true;

  /** ext4_journal_start() / jbd2__journal_start(): a handle joins the running transaction. */
  journalStart(): number {
    this.runningUsed = true;
    return this.runningTid;
  }

  /** jbd2_transaction_committed() (fs/jbd2/journal.c L772-775). */
  transactionCommitted(tid: number): boolean {
    return tidGeq(this.commitSequence, tid);
  }

  /**
   * jbd2_trans_will_send_data_barrier() (L609-641): will the commit of `tid` still flush the data
   * device? Not if it is committed already, nor once its commit record (PREFLUSH) was submitted;
   * a running transaction will (its commit is still to come). The journal is on the filesystem's
   * device (j_fs_dev == j_dev), so the T_COMMIT_JFLUSH branch (L634-635) is the one taken.
   */
  transWillSendDataBarrier(tid: number): boolean {
    if (!this.barrier) return false;
    if (tidGeq(this.commitSequence, tid)) return false;
    if (this.committingTid === 0 || this.committingTid !== tid) return true;
    // The model submits the commit record as soon as the commit starts: T_COMMIT_JFLUSH at once.
    return false;
  }

  /**
   * __jbd2_log_start_commit() (L451-486) and kjournald2's jbd2_journal_commit_transaction(): the
   * running transaction `tid` becomes the committing one and its commit record is submitted.
   * Returns false when `tid` is not the running transaction (already committing or committed).
   * One commit at a time: a second waits in kjournald2 until the first completed (the model
   * starts it from the completion of the first).
   */
  logStartCommit(rt: Runtime, disk: Disk, tid: number): boolean {
    if (this.runningTid !== tid) return false;
    if (this.commitRequest < tid) this.commitRequest = tid;
    if (this.committingTid !== 0) return true;
    this.commitTransaction(rt, disk);
    return true;
  }

  /** jbd2_journal_commit_transaction(): switch transactions and submit the commit record. */
  private commitTransaction(rt: Runtime, disk: Disk): void {
    const tid = this.runningTid;
    this.committingTid = tid;
    this.runningTid = tid + 1;
    this.runningUsed = false;
    const w = this.beginWrite();
    // commit.c L152-154: REQ_PREFLUSH|REQ_FUA with barriers and no async_commit.
    const barrier = this.barrier ? REQ_PREFLUSH | REQ_FUA : 0;
    const bio = bioAlloc(rt, disk, 1, REQ_OP_WRITE | REQ_SYNC | barrier);
    const buf = new UserBuffer(0, 512, false);
    buf.tags[0] = logTag(w.index);
    bio.buf = buf;
    bio.biIterSector = this.sectorOf(w);
    bio.biSize = 512;
    // An arrow to a method, as XFS's end_io: a generator function created per commit would cost
    // V8 a new map for its generators (in the old generation, pointing back at this closure and so
    // at the whole world), which kept every ext4 world with a commit alive until a full collection.
    bio.biEndIo = (b) => this.journalEndBufferIoSync(rt, disk, w, tid, b);
    if (rt.tracing) rt.ev(0, 'jbd2_commit_record', `tid ${tid} through seq ${w.lastSeq}`);
    disk.submitBio(bio);
  }

  /** journal_end_buffer_io_sync() and the rest of the commit once its commit record completed. */
  // biome-ignore lint/correctness/useYield: bi_end_io runs to completion in interrupt context.
  private *journalEndBufferIoSync(rt: Runtime, disk: Disk, w: LogWrite, tid: number, b: Bio): KGen {
    const error = b.biStatus ? -EIO : 0;
    this.finishWrite(w, error);
    // commit.c L887, L894-895: a failed commit record aborts the journal.
    if (error) this.aborted = true;
    this.commitSequence = tid;
    this.committingTid = 0;
    bioPut(rt, b, 0);
    // kjournald2 goes on with a commit requested while this one ran.
    if (this.commitRequest > tid && this.runningTid === tid + 1) this.commitTransaction(rt, disk);
  }

  /**
   * jbd2_complete_transaction() (L785-806): ask for the commit of `tid` if it is still running,
   * then wait for it (jbd2_log_wait_commit); a stale tid is done already.
   */
  *completeTransaction(rt: Runtime, disk: Disk, tid: number): KGen<number> {
    let needToWait = true;
    if (this.runningTid === tid) {
      if (this.commitRequest !== tid) this.logStartCommit(rt, disk, tid);
    } else if (!(this.committingTid !== 0 && this.committingTid === tid)) needToWait = false;
    if (!needToWait) return 0;
    return yield* this.logWaitCommit(rt, tid);
  }

  /** jbd2_log_wait_commit() (L648-688): wait until `tid` committed; -EIO if the journal aborted. */
  *logWaitCommit(rt: Runtime, tid: number): KGen<number> {
    yield* rt.waitUntil(() => tidGeq(this.commitSequence, tid), 'jbd2_log_wait_commit');
    return this.aborted ? -EIO : 0;
  }

  /** jbd2 recovery: the last tid whose commit record, and every earlier one, is on media. */
  durableTid(media: Int32Array): number {
    let tid = 0;
    for (const w of this.writes) {
      if (media[this.sectorOf(w)] !== logTag(w.index)) break;
      tid = w.index;
    }
    return tid;
  }
}
