/**
 * The disk behind the block device: durable media and a volatile write cache, one provenance tag
 * per 512-byte sector each, the queue of bios in flight, and the device context that completes them.
 *
 * Rules (spec/disk.md, from Documentation/block/writeback_cache_control.rst):
 * - A write completes into the cache when the device has a volatile write cache, else onto media.
 * - REQ_PREFLUSH empties the cache onto media before the write; an empty REQ_OP_FLUSH does only that.
 * - REQ_FUA reaches media before completion: natively, or, on a device with a cache and no FUA,
 *   emulated by the block layer as the write followed by a cache flush.
 * - Reads see the cache over the media. The cache may destage any cached sector at any device step.
 * - Power loss: a write in flight may have landed whole, in part or not at all (tornWrites), one
 *   with REQ_PREFLUSH only after its flush; the cache may have written back a prefix of what it
 *   held (destage); the rest of the cache is lost; bios in flight never complete; every context
 *   stops.
 * Faults (each a FaultProfile class): completion order, error status, a failed write that wrote a
 * prefix or all of its sectors, destaging, power loss.
 * Completions run in a new interrupt context per bio (a polled bio's in the issuer's context, as
 * io_uring's iopoll reaps it from task context); a bio that fails inside submit_bio ends in its
 * submitter, before submit_bio returns.
 */
import { SECTOR_SHIFT, TAG_STALE, TAG_ZERO } from '../mm/tags.ts';
import { PristinePool } from '../runtime/arrayPool.ts';
import { Context, GenContext, type KGen } from '../runtime/context.ts';
import { removeAt, type Runtime } from '../runtime/runtime.ts';
import { ModelAssertion, modelAssert, Violation } from '../runtime/violation.ts';
import { noYield } from '../runtime/yieldPoint.ts';
import {
  BIO_ERROR_STATUSES,
  BLK_STS_AGAIN,
  BLK_STS_IOERR,
  BLK_STS_OK,
  type Bio,
  blkStatusToErrno,
  formatOpf,
  REQ_FUA,
  REQ_OP_FLUSH,
  REQ_OP_READ,
  REQ_OP_WRITE,
  REQ_NOWAIT,
  REQ_POLLED,
  REQ_PREFLUSH,
} from './bio.ts';
import type { BlockDevice, BlockDeviceLimits } from './blockDevice.ts';

export interface DiskGeometry extends BlockDeviceLimits {
  /** Capacity in 512-byte sectors. */
  readonly sectors: number;
}

/** One submitted bio as the device saw it (what tests assert and dm-log-writes would record). */
export interface BioRecord {
  readonly serial: number;
  readonly sector: number;
  readonly size: number;
  readonly opf: number;
  /** It failed inside submit_bio (FaultProfile.submitErrors) and never reached the device. */
  readonly submitFailed: boolean;
  /** The scheduler step it was submitted at (which operation's it is). */
  readonly step: number;
}

/**
 * Spare media of finished runs, every sector stale again (Disk.recycleMedia refills only the
 * sectors the run may have written).
 */
const MEDIA_POOL = new PristinePool<Int32Array>((n) => new Int32Array(n), TAG_STALE);

/** Completion contexts' names by bio serial (`bio3`, `poll:bio3`), built once for every run. */
const BIO_NAMES: string[] = [];
const POLL_NAMES: string[] = [];

function contextName(names: string[], prefix: string, serial: number): string {
  let name = names[serial];
  if (name === undefined) {
    name = `${prefix}${serial}`;
    if (serial < 4096) names[serial] = name;
  }
  return name;
}

/** Thrown out of the scheduler when power fails: not a finding, the start of recovery. */
export class PowerLoss {
  readonly name = 'PowerLoss';
  /** Not an Error: a control transfer that happens in many runs, so it records no stack trace. */
  constructor(readonly step: number) {}
  get message(): string {
    return `power lost at step ${this.step}`;
  }
}

/**
 * How the block layer treats a REQ_FUA write on a device with a cache and no native FUA. The
 * correct rule flushes after the write (blk-flush.c's POSTFLUSH); a planted bug may skip it (B22).
 */
export type FuaEmulation = 'postflush' | 'none';

/** What runs at each device step besides the device (Disk.stepHooks). */
export interface DeviceStepHook {
  deviceStepHook(): void;
}

export class Disk extends Context implements BlockDevice {
  readonly logicalBlockSize: number;
  readonly dmaAlignment: number;
  readonly fua: boolean;
  readonly writeCache: boolean;
  /** Durable contents: what survives power loss. Stale until the file writes a sector. */
  readonly media: Int32Array;
  /** The volatile cache, sector → tag, in the order sectors entered it. */
  readonly cache = new Map<number, number>();
  readonly inFlight: Bio[] = [];
  /** Every bio submitted, in submission order. */
  readonly log: BioRecord[] = [];
  /**
   * Hooks the world runs at each device step (background log commits); may submit bios. Objects
   * with a method, not closures: a closure made per run is compiled lazily at its first call in
   * each run (perf: CompileLazy under Disk.step, 0.25 % of a campaign's CPU).
   */
  readonly stepHooks: DeviceStepHook[] = [];
  submitted = 0;
  completed = 0;
  flushes = 0;
  poweredOff = false;
  /** Sectors the volatile cache still held when power failed (lost, unless written back first). */
  cachedAtPowerLoss = 0;
  fuaEmulation: FuaEmulation = 'postflush';
  /**
   * A planted device bug (never set by the correct world): a write from user memory is reported
   * complete before its DMA reads the buffer, which happens at the next device step.
   */
  lateWriteDma = false;
  /**
   * Crash images (RunOptions.crashImages): at power loss, one choice per cached logical block
   * decides whether it reached media, so an enumeration of choices covers every image the cache
   * rules allow (whatever the cache holds is newer than the last flush; FUA data is not cached).
   * Off: a prefix of the cache in insertion order, and only with the destage fault class.
   */
  crashImages = false;
  private readonly lateDma: Bio[] = [];
  private serial = 0;
  /**
   * Sectors [#lowFrom, #lowTo) of the media's first half and [#highFrom, #highTo) of its second
   * hold every media write of the run (what recycleMedia refills): two ranges, as the model
   * filesystems write their data near the start of the disk and their log at its end, which one
   * range would span whole. Private (#) fields: the explorer's fingerprints walk a disk's own
   * fields, and these are history.
   */
  #lowFrom = Number.POSITIVE_INFINITY;
  #lowTo = 0;
  #highFrom = Number.POSITIVE_INFINITY;
  #highTo = 0;

  constructor(
    private readonly rt: Runtime,
    geometry: DiskGeometry,
  ) {
    super('device', 'device');
    this.logicalBlockSize = geometry.logicalBlockSize;
    this.dmaAlignment = geometry.dmaAlignment;
    this.fua = geometry.fua;
    this.writeCache = geometry.writeCache;
    // A finished run's media when its owner gave it back (recycleRun), refilled: see arrayPool.ts.
    this.media = MEDIA_POOL.take(geometry.sectors);
  }

  /**
   * Sectors [first, first + count) of the media may have been written other than by the disk
   * itself (a filesystem laying down the file's original contents when the world is built).
   */
  mediaWritten(first: number, count: number): void {
    const end = first + count;
    const mid = this.media.length >> 1;
    if (first < mid) {
      if (first < this.#lowFrom) this.#lowFrom = first;
      const to = Math.min(end, mid);
      if (to > this.#lowTo) this.#lowTo = to;
    }
    if (end > mid) {
      const from = Math.max(first, mid);
      if (from < this.#highFrom) this.#highFrom = from;
      if (end > this.#highTo) this.#highTo = end;
    }
  }

  /** The run is over and nothing reads the media any more: it goes to the next run's disk. */
  recycleMedia(): void {
    const n = this.media.length;
    MEDIA_POOL.give(
      this.media,
      Math.max(0, this.#lowFrom),
      this.#lowTo,
      this.#highFrom,
      Math.min(n, this.#highTo),
    );
  }

  /**
   * submit_bio() for a caller whose bios' bi_end_io never yields (the filesystems' log, flush and
   * writeback bios, which run to completion in whatever context ends them): a bio that fails inside
   * submit_bio has its end_io run to completion here, in the submitting context.
   */
  submitBio(bio: Bio): void {
    if (!this.queueBio(bio)) return;
    const g = this.endioInSubmitter(bio);
    modelAssert(
      g.next().done === true,
      `bio${bio.serial}: bi_end_io yielded inside submit_bio (use submitBioGen)`,
    );
  }

  /**
   * submit_bio() as the dio path calls it: a bio that fails inside submit_bio (submit_bio_noacct:
   * should_fail_bio, or REQ_NOWAIT refused by blk_mq_submit_bio) ends there, and its bi_end_io runs
   * in the submitting context before submit_bio returns (6.12.117 block/blk-core.c L786-787,
   * L873-875: bio_endio from the submitter), interleaving points and all: a task may sleep there,
   * and no other context's completion runs it.
   */
  submitBioGen(bio: Bio): KGen {
    // No generator of its own: the caller's yield* runs the end_io's (the same steps).
    return this.queueBio(bio) ? this.endioInSubmitter(bio) : noYield();
  }

  /** Queues a bio, or ends it with the status submit_bio chose: true when it failed there. */
  private queueBio(bio: Bio): boolean {
    modelAssert(!this.poweredOff, 'bio submitted after power loss');
    // The kernel ends such a bio with -EIO in submit_bio_noacct (6.12.117 block/blk-core.c
    // L549-564, L790-791), but no filesystem maps a block past its device: here it can only be a
    // generator or model filesystem that did, whose bio would otherwise read back as stale media.
    modelAssert(
      bio.biIterSector + (bio.biSize >> SECTOR_SHIFT) <= this.media.length,
      'bio past the end of the device',
    );
    bio.serial = ++this.serial;
    this.submitted++;
    const acct = bio.biPrivate?.iocb.acct;
    if (acct !== undefined) {
      acct.biosSubmitted++;
      if (bio.biOpf & REQ_POLLED) acct.polledBios++;
      if (bio.buf !== null) acct.dataBytesSubmitted += bio.biSize;
    }
    if (this.rt.tracing) {
      this.rt.ev(
        0,
        'submit_bio',
        `bio${bio.serial} sector 0x${bio.biIterSector.toString(16)} size ${bio.biSize} opf ${formatOpf(bio.biOpf)}`,
      );
    }
    // submit_bio_noacct() -> should_fail_bio(): the bio ends with an error before it is queued;
    // its end_io runs in the submitter before submit_bio returns (the callers above).
    // Then blk_mq_submit_bio(): a REQ_NOWAIT bio that finds no free request (or a frozen queue)
    // ends with BLK_STS_AGAIN instead of waiting (6.12.117 block/blk-mq.c L2981-2986, blk-core.c
    // L338-341, bio_wouldblock_error).
    let status = BLK_STS_OK;
    if (this.rt.faults.submitErrors === true && this.rt.choose(2, 'submit_fails') === 1)
      status = BLK_STS_IOERR;
    else if (bio.biOpf & REQ_NOWAIT && this.rt.faults.wouldBlock === true) {
      if (this.rt.choose(2, 'submit_would_block') === 1) status = BLK_STS_AGAIN;
    }
    const fails = status !== BLK_STS_OK;
    this.log.push({
      serial: bio.serial,
      sector: bio.biIterSector,
      size: bio.biSize,
      opf: bio.biOpf,
      submitFailed: fails,
      step: this.rt.step,
    });
    // The submitter's step read the queue and its counters only to append to them: dead for it
    // (the explorer's view of the submitter leaves them out; no effect on the run).
    this.rt.forget(this);
    if (!fails) {
      this.inFlight.push(bio);
      return false;
    }
    bio.biStatus = status;
    this.completed++;
    if (acct !== undefined) {
      acct.biosEnded++;
      if (status === BLK_STS_AGAIN) acct.biosRefused++;
      acct.bioErrors.push(blkStatusToErrno(status));
    }
    return true;
  }

  isRunnable(): boolean {
    return (this.inFlight.length > 0 || this.lateDma.length > 0) && !this.poweredOff;
  }

  isBlocked(): boolean {
    return false;
  }

  /**
   * One device step. In order: power may fail (before anything else changes, so every durable
   * state between two device events is a crash point), the cache may destage a block, the world's
   * hooks run, then one bio in flight completes with a chosen status.
   */
  step(): void {
    const rt = this.rt;
    if (rt.faults.powerLoss && rt.choose(2, 'power_loss') === 1) {
      // Nothing else of the step happens: the power loss ends the run, by rt.halted if its caller
      // reads that (runScenario), else thrown as from any other context.
      const lost = this.losePower();
      if (!rt.halts) throw lost;
      rt.halted = lost;
      return;
    }
    if (rt.faults.destage && this.cache.size > 0 && rt.choose(2, 'destage') === 1) this.destageOne();
    for (const hook of this.stepHooks) hook.deviceStepHook();
    // splice(0) makes a new array even when there is nothing to take: only a planted bug queues here.
    if (this.lateDma.length > 0) {
      for (const late of this.lateDma.splice(0)) {
        this.checkBufferLive(late);
        this.execute(late);
      }
    }
    const n = this.inFlight.length;
    if (n === 0) return;
    const at = rt.faults.reorder ? rt.choose(n, 'complete_which') : 0;
    const bio = this.inFlight[at];
    modelAssert(bio !== undefined, 'device stepped with no bio in flight');
    removeAt(this.inFlight, at);
    const status = rt.faults.bioErrors ? rt.choose(1 + BIO_ERROR_STATUSES.length, 'bio_status') : 0;
    bio.biStatus = status === 0 ? BLK_STS_OK : (BIO_ERROR_STATUSES[status - 1] ?? BLK_STS_OK);
    if (this.lateWriteDma && bio.op === REQ_OP_WRITE && bio.buf?.userBacked === true) {
      this.lateDma.push(bio);
    } else {
      this.checkBufferLive(bio);
      this.execute(bio);
    }
    this.completed++;
    const acct = bio.biPrivate?.iocb.acct;
    if (acct !== undefined) {
      acct.biosEnded++;
      if (bio.biStatus !== BLK_STS_OK) acct.bioErrors.push(blkStatusToErrno(bio.biStatus));
    }
    this.endio(bio);
  }

  /** CMPL-06: DMA into or out of a user buffer whose request already returned its result. */
  private checkBufferLive(bio: Bio): void {
    const buf = bio.buf;
    if (buf === null || !buf.delivered) return;
    throw new Violation(
      'CMPL-06',
      'device',
      0,
      `bio${bio.serial} moves data of a user buffer after its request returned`,
    );
  }

  /** Carry out a bio's effect on cache and media, as far as its status lets it. */
  private execute(bio: Bio): void {
    const op = bio.op;
    if (op === REQ_OP_READ) {
      if (bio.biStatus === BLK_STS_OK) this.transferRead(bio);
      return;
    }
    if (bio.biOpf & REQ_PREFLUSH || op === REQ_OP_FLUSH) this.flushCache();
    if (op !== REQ_OP_WRITE) return;
    let units = bio.biSize >> SECTOR_SHIFT;
    if (bio.biStatus !== BLK_STS_OK) units = this.tornLength(units, 'failed_write_written');
    this.store(bio, units);
    if (bio.biStatus === BLK_STS_OK && bio.biOpf & REQ_FUA && this.writeCache && !this.fua) {
      // Emulated FUA: the block layer's post-flush makes the write durable before completion.
      if (this.fuaEmulation === 'postflush') this.flushCache();
    }
  }

  /** How many sectors of a write that did not complete cleanly reached the device. */
  private tornLength(units: number, label: string): number {
    const rt = this.rt;
    if (!rt.faults.tornWrites) return 0;
    const c = rt.choose(3, label);
    if (c === 0) return 0;
    if (c === 2 || units < 2) return units;
    return 1 + rt.choose(units - 1, `${label}_sectors`);
  }

  /** Write the first `units` sectors of a write bio into the cache, or onto media. */
  private store(bio: Bio, units: number): void {
    const first = bio.biIterSector;
    const src = bio.buf;
    const base = src === null ? 0 : src.unitAt(bio.bufOffset);
    const durable = !this.writeCache || (bio.biOpf & REQ_FUA && this.fua);
    if (durable) this.mediaWritten(first, units);
    for (let k = 0; k < units; k++) {
      const tag = src === null ? TAG_ZERO : (src.tags[base + k] ?? TAG_ZERO);
      const sector = first + k;
      if (durable) {
        this.media[sector] = tag;
        this.cache.delete(sector);
      } else {
        // Re-inserting moves the sector to the end: the cache holds only the newest data.
        this.cache.delete(sector);
        this.cache.set(sector, tag);
      }
    }
  }

  private transferRead(bio: Bio): void {
    modelAssert(bio.buf !== null, 'read bio without pages');
    const base = bio.buf.unitAt(bio.bufOffset);
    const units = bio.biSize >> SECTOR_SHIFT;
    for (let k = 0; k < units; k++) bio.buf.tags[base + k] = this.readTag(bio.biIterSector + k);
    // The VM may clean a user page while the read runs (why bio_check_pages_dirty re-dirties them).
    for (let p = bio.pinnedFirstPage; p < bio.pinnedFirstPage + bio.pinnedPageCount; p++) {
      bio.buf.dmaFilled[p] = 1;
      if (bio.buf.userBacked) bio.buf.dirty[p] = 0;
    }
  }

  /** What a read of one sector returns: the cache over the media. */
  readTag(sector: number): number {
    const cached = this.cache.get(sector);
    return cached === undefined ? (this.media[sector] ?? TAG_STALE) : cached;
  }

  /** Every cached sector reaches media. */
  flushCache(): void {
    this.flushes++;
    for (const [sector, tag] of this.cache) {
      this.media[sector] = tag;
      this.mediaWritten(sector, 1);
    }
    this.cache.clear();
    if (this.rt.tracing) this.rt.ev(0, 'blkdev_issue_flush', 'cache → media');
  }

  /** One cached sector reaches media. */
  private writeBack(sector: number): void {
    const tag = this.cache.get(sector);
    if (tag === undefined) return;
    this.media[sector] = tag;
    this.mediaWritten(sector, 1);
    this.cache.delete(sector);
  }

  /** The first `units` sectors of a write bio straight onto media (a write torn by power loss). */
  private storeDurably(bio: Bio, units: number): void {
    const src = bio.buf;
    const base = src === null ? 0 : src.unitAt(bio.bufOffset);
    this.mediaWritten(bio.biIterSector, units);
    for (let k = 0; k < units; k++) {
      this.media[bio.biIterSector + k] = src === null ? TAG_ZERO : (src.tags[base + k] ?? TAG_ZERO);
    }
  }

  /** The cache writes back one logical block of its choice. */
  private destageOne(): void {
    const rt = this.rt;
    const pick = rt.choose(this.cache.size, 'destage_which');
    let i = 0;
    let chosen = -1;
    for (const sector of this.cache.keys()) {
      if (i++ === pick) {
        chosen = sector;
        break;
      }
    }
    const per = this.logicalBlockSize >> SECTOR_SHIFT;
    const first = chosen - (chosen % per);
    for (let s = first; s < first + per; s++) {
      const tag = this.cache.get(s);
      if (tag === undefined) continue;
      this.media[s] = tag;
      this.mediaWritten(s, 1);
      this.cache.delete(s);
    }
    if (rt.tracing) rt.ev(0, 'destage', `sectors 0x${first.toString(16)}+${per}`);
  }

  /** Power fails: the cache is lost, in-flight writes land whole or not at all (tornWrites). */
  private powerFail(): never {
    throw this.losePower();
  }

  /** What power failing does to the device; the PowerLoss is for the caller to throw. */
  private losePower(): PowerLoss {
    const rt = this.rt;
    if (rt.tracing)
      rt.ev(0, 'power_loss', `cache -${this.cache.size} sectors, ${this.inFlight.length} bio(s) in flight`);
    this.cachedAtPowerLoss = this.cache.size;
    // A write in flight may have reached stable media whole, a prefix of it, or nothing; one with
    // REQ_PREFLUSH only after its flush, so if any of it landed, the cache was flushed first.
    for (const bio of this.inFlight) {
      if (bio.op !== REQ_OP_WRITE) continue;
      const units = this.tornLength(bio.biSize >> SECTOR_SHIFT, 'inflight_write_written');
      if (units > 0 && bio.biOpf & REQ_PREFLUSH) this.flushCache();
      this.storeDurably(bio, units);
    }
    // Up to the instant power fails the cache may have written back some of its sectors: here a
    // prefix in the order they entered it, or with crashImages any subset of its logical blocks.
    if (this.crashImages) this.writeBackAnyBlocks();
    else if (rt.faults.destage && this.cache.size > 0) {
      let n = rt.choose(this.cache.size + 1, 'destage_before_power_loss');
      for (const sector of [...this.cache.keys()]) if (n-- > 0) this.writeBack(sector);
    }
    this.cache.clear();
    this.poweredOff = true;
    return new PowerLoss(rt.step);
  }

  /** Each cached logical block, in the order it entered the cache, reached media or not (a choice). */
  private writeBackAnyBlocks(): void {
    const per = this.logicalBlockSize >> SECTOR_SHIFT;
    const blocks: number[] = [];
    for (const sector of this.cache.keys()) {
      const first = sector - (sector % per);
      if (!blocks.includes(first)) blocks.push(first);
    }
    for (const first of blocks) {
      if (this.rt.choose(2, 'destage_block_before_power_loss') === 0) continue;
      for (let s = first; s < first + per; s++) this.writeBack(s);
    }
  }

  /** Power fails when all is quiet (the last crash point of a run). */
  powerFailAtEnd(): never {
    return this.powerFail();
  }

  /**
   * Power fails with nothing running (the world's last crash point), or where the caller ends the
   * run itself (a task's power_loss op, through Runtime.halted): the same effect as powerFailAtEnd,
   * returned instead of thrown (a throw costs V8 a message object and a stack walk).
   */
  powerLossWhenQuiet(): PowerLoss {
    return this.losePower();
  }

  /** bio_endio() of a bio that failed inside submit_bio: bi_end_io in the submitting context. */
  private endioInSubmitter(bio: Bio): KGen {
    const rt = this.rt;
    modelAssert(!bio.ended, `bio${bio.serial} ended twice`);
    bio.ended = true;
    if (rt.tracing) rt.ev(0, 'bio_endio', `bio${bio.serial} status ${bio.biStatus} (in submit_bio)`);
    const endIo = bio.biEndIo;
    modelAssert(endIo !== null, `bio${bio.serial} has no bi_end_io`);
    return endIo(bio);
  }

  /** bio_endio(): run bi_end_io in a new completion context. */
  private endio(bio: Bio): void {
    const rt = this.rt;
    // The messages are built only when an assertion fails (at every bio they cost two strings).
    if (bio.ended) throw new ModelAssertion(`bio${bio.serial} ended twice`);
    bio.ended = true;
    if (rt.tracing) rt.ev(0, 'bio_endio', `bio${bio.serial} status ${bio.biStatus}`);
    const endIo = bio.biEndIo;
    if (endIo === null) throw new ModelAssertion(`bio${bio.serial} has no bi_end_io`);
    const polled = (bio.biOpf & REQ_POLLED) !== 0;
    const ctx = new GenContext(
      polled ? contextName(POLL_NAMES, 'poll:bio', bio.serial) : contextName(BIO_NAMES, 'bio', bio.serial),
      polled ? 'issuer' : 'irq',
    );
    rt.spawn(ctx.start(endIo(bio)));
  }

  /** Tags of a sector range as a read would see them (cache over media). */
  readSectors(first: number, count: number): Int32Array {
    const out = new Int32Array(count);
    for (let k = 0; k < count; k++) out[k] = this.readTag(first + k);
    return out;
  }
}
