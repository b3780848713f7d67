/**
 * The disk behind the block device: media tags per 512-byte sector, the queue of bios in flight,
 * and the device context that completes them.
 *
 * Scope (this file): media only; a write is durable when it completes. The volatile write cache,
 * FUA and PREFLUSH semantics and power loss belong to the world model (spec/disk.md).
 * Faults: the order of completions (FaultProfile.reorder) and an error status per bio
 * (FaultProfile.bioErrors); a failed write transfers no data here.
 * Completions run in a new interrupt context per bio (a polled bio's in the issuer's context, as
 * io_uring's iopoll reaps it from task context).
 */
import { SECTOR_SHIFT, TAG_STALE, TAG_ZERO } from '../mm/tags.ts';
import { Context, GenContext } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { modelAssert } from '../runtime/violation.ts';
import {
  BIO_ERROR_STATUSES,
  BLK_STS_OK,
  type Bio,
  formatOpf,
  REQ_OP_READ,
  REQ_OP_WRITE,
  REQ_POLLED,
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
}

export class Disk extends Context implements BlockDevice {
  readonly logicalBlockSize: number;
  readonly dmaAlignment: number;
  readonly fua: boolean;
  readonly writeCache: boolean;
  /** What a read of each sector returns: stale until the file writes it. */
  readonly media: Int32Array;
  readonly inFlight: Bio[] = [];
  /** Every bio submitted, in submission order. */
  readonly log: BioRecord[] = [];
  submitted = 0;
  completed = 0;
  private serial = 0;

  constructor(
    private readonly rt: Runtime,
    geometry: DiskGeometry,
  ) {
    super('device', 'device');
    this.logicalBlockSize = geometry.logicalBlockSize;
    this.dmaAlignment = geometry.dmaAlignment;
    this.fua = geometry.fua;
    this.writeCache = geometry.writeCache;
    this.media = new Int32Array(geometry.sectors).fill(TAG_STALE);
  }

  submitBio(bio: Bio): void {
    bio.serial = ++this.serial;
    this.submitted++;
    this.inFlight.push(bio);
    this.log.push({ serial: bio.serial, sector: bio.biIterSector, size: bio.biSize, opf: bio.biOpf });
    if (this.rt.tracing) {
      this.rt.ev(
        0,
        'submit_bio',
        `bio${bio.serial} sector 0x${bio.biIterSector.toString(16)} size ${bio.biSize} opf ${formatOpf(bio.biOpf)}`,
      );
    }
  }

  isRunnable(): boolean {
    return this.inFlight.length > 0;
  }

  isBlocked(): boolean {
    return false;
  }

  /** One device step: complete one bio in flight, with a status the choice stream picks. */
  step(): void {
    const rt = this.rt;
    const n = this.inFlight.length;
    const at = rt.faults.reorder ? rt.choose(n, 'complete_which') : 0;
    const bio = this.inFlight[at];
    modelAssert(bio !== undefined, 'device stepped with no bio in flight');
    this.inFlight.splice(at, 1);
    const status = rt.faults.bioErrors ? rt.choose(1 + BIO_ERROR_STATUSES.length, 'bio_status') : 0;
    bio.biStatus = status === 0 ? BLK_STS_OK : (BIO_ERROR_STATUSES[status - 1] ?? BLK_STS_OK);
    if (bio.biStatus === BLK_STS_OK) this.transfer(bio);
    this.completed++;
    this.endio(bio);
  }

  /** Move the data: a read fills the bio's pages from media, a write stores them. */
  private transfer(bio: Bio): void {
    const first = bio.biIterSector;
    const units = bio.biSize >> SECTOR_SHIFT;
    if (bio.op === REQ_OP_READ) {
      modelAssert(bio.buf !== null, 'read bio without pages');
      const base = bio.buf.unitAt(bio.bufOffset);
      for (let k = 0; k < units; k++) bio.buf.tags[base + k] = this.media[first + k] ?? TAG_STALE;
    } else if (bio.op === REQ_OP_WRITE) {
      const src = bio.buf;
      const base = src === null ? 0 : src.unitAt(bio.bufOffset);
      for (let k = 0; k < units; k++) {
        this.media[first + k] = src === null ? TAG_ZERO : (src.tags[base + k] ?? TAG_ZERO);
      }
    }
  }

  /** bio_endio(): run bi_end_io in a new completion context. */
  private endio(bio: Bio): void {
    const rt = this.rt;
    modelAssert(!bio.ended, `bio${bio.serial} ended twice`);
    bio.ended = true;
    if (rt.tracing) rt.ev(0, 'bio_endio', `bio${bio.serial} status ${bio.biStatus}`);
    const endIo = bio.biEndIo;
    modelAssert(endIo !== null, `bio${bio.serial} has no bi_end_io`);
    const polled = (bio.biOpf & REQ_POLLED) !== 0;
    const ctx = new GenContext(
      polled ? `poll:bio${bio.serial}` : `bio${bio.serial}`,
      polled ? 'issuer' : 'irq',
    );
    rt.spawn(ctx.start(endIo(bio)));
  }

  /** Tags of a sector range as a read would see them (for checks and tests). */
  readSectors(first: number, count: number): Int32Array {
    return this.media.slice(first, first + count);
  }
}
