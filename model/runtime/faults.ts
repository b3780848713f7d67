/**
 * The fault profile: which classes of environment events a run may choose. A class that is off is
 * never asked about, so its choices do not lengthen the stream. Every class defaults to off; tests
 * that pin a behaviour turn on what they need, and campaigns draw a profile per run (swarm testing).
 */
export interface FaultProfile {
  /** The device may complete a bio with an error status (BLK_STS_IOERR, NOSPC, TIMEOUT, MEDIUM). */
  readonly bioErrors: boolean;
  /**
   * A bio may fail inside submit_bio (fail_make_request, a device gone away): it completes with
   * BLK_STS_IOERR at once, before the submitter goes on, instead of reaching the device.
   */
  readonly submitErrors?: boolean;
  /**
   * A REQ_NOWAIT bio may find no free request inside submit_bio and end at once with BLK_STS_AGAIN
   * (-EAGAIN) instead of waiting for one. Only bio_set_polled sets REQ_NOWAIT on the seed's bios
   * (a polled bio of a NOWAIT kiocb), and only up to 6.12.107.
   */
  readonly wouldBlock?: boolean;
  /** The device may complete in-flight bios in any order, not only the oldest first. */
  readonly reorder: boolean;
  /** bio_iov_iter_get_pages may stop at a page it cannot pin (a short bio, or -EFAULT). */
  readonly pageFaults: boolean;
  /** A copy to or from user memory (hole zeroing, inline data) may fault part way. */
  readonly copyFaults: boolean;
  /** invalidate_inode_pages2_range may fail (a page it cannot drop). */
  readonly invalidateFailures: boolean;
  /** The scheduler may run any runnable context at each step, not only the preferred one. */
  readonly interleave: boolean;
  /** Power may fail before any device step (and once all is quiet); recovery and checks follow. */
  readonly powerLoss?: boolean;
  /** The volatile write cache may destage cached blocks to media at any device step. */
  readonly destage?: boolean;
  /** A failed write may have written some or all of its sectors; an in-flight write at power loss too. */
  readonly tornWrites?: boolean;
  /** The filesystem may commit its log in the background at any device step. */
  readonly backgroundLog?: boolean;
  /** The flusher may start writeback of any dirty page at any device step. */
  readonly writeback?: boolean;
}

export const NO_FAULTS: FaultProfile = {
  bioErrors: false,
  reorder: false,
  pageFaults: false,
  copyFaults: false,
  invalidateFailures: false,
  interleave: false,
};

export const ALL_FAULTS: FaultProfile = {
  bioErrors: true,
  submitErrors: true,
  wouldBlock: true,
  reorder: true,
  pageFaults: true,
  copyFaults: true,
  invalidateFailures: true,
  interleave: true,
  powerLoss: true,
  destage: true,
  tornWrites: true,
  backgroundLog: true,
  writeback: true,
};

/**
 * A profile as the runtime holds it: every class present, as a boolean, in one shape. The
 * campaign's profiles come from fast-check's record, which builds about half of them on a null
 * prototype: V8 keeps such an object as a dictionary, so every read of a class (a device step
 * reads four) was a hash lookup, and the sites that read them saw two shapes, or more with the
 * tests' and replays' profiles that leave optional classes out. The values read are the same: a
 * class is on exactly when it is `true` in the given profile.
 */
export class Faults implements FaultProfile {
  readonly bioErrors: boolean;
  readonly submitErrors: boolean;
  readonly wouldBlock: boolean;
  readonly reorder: boolean;
  readonly pageFaults: boolean;
  readonly copyFaults: boolean;
  readonly invalidateFailures: boolean;
  readonly interleave: boolean;
  readonly powerLoss: boolean;
  readonly destage: boolean;
  readonly tornWrites: boolean;
  readonly backgroundLog: boolean;
  readonly writeback: boolean;

  constructor(f: FaultProfile) {
    this.bioErrors = f.bioErrors === true;
    this.submitErrors = f.submitErrors === true;
    this.wouldBlock = f.wouldBlock === true;
    this.reorder = f.reorder === true;
    this.pageFaults = f.pageFaults === true;
    this.copyFaults = f.copyFaults === true;
    this.invalidateFailures = f.invalidateFailures === true;
    this.interleave = f.interleave === true;
    this.powerLoss = f.powerLoss === true;
    this.destage = f.destage === true;
    this.tornWrites = f.tornWrites === true;
    this.backgroundLog = f.backgroundLog === true;
    this.writeback = f.writeback === true;
  }

  /** `f` as a Faults (itself when it is one already). */
  static of(f: FaultProfile): Faults {
    return f instanceof Faults ? f : new Faults(f);
  }
}

/** Compiles only for `never`: a type listing what a copy leaves out must list nothing (shapes.ts too). */
export type NoneLeftOut<T extends never> = T;

/** A class FaultProfile gains and Faults does not copy fails to compile here (it would read off). */
export type FaultsCopyEveryClass = NoneLeftOut<Exclude<keyof FaultProfile, keyof Faults>>;
