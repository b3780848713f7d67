/**
 * The checked heap: kernel objects (struct iomap_dio, struct bio) are allocated
 * and freed through it, and every field access the model cares about goes through use().
 *
 * Scope: it tracks object identity and liveness, not memory. Access after free and double free are
 * reported where they happen, with the context and the seed line; objects still live at quiescence
 * are leaks. Pinned user pages are counted in model/mm/userBuffer.ts, which reports through the
 * same violation IDs.
 */
import { Violation } from './violation.ts';

export type ObjectKind = 'iomap_dio' | 'bio';

/** Base of every heap-tracked kernel object. */
export abstract class KObject {
  /**
   * Model bookkeeping a subclass keeps of its own, out of the kernel object's fields (IomapDio:
   * its kiocb, for the error setter's accounting). Private, so no field the explorer tracks or
   * hashes, and declared first: the explorer deletes the fields it tracks (all but heapId) last
   * first, which keeps the object's fast layout only while no field declared after them remains
   * (properties/explore/tracking.test.ts). A subclass's own private field comes after `freed` and
   * would not; a module WeakMap would, but an entry per object made a campaign run about twice as
   * slow (an ephemeron per dio in every scavenge).
   */
  #bookkeeping: unknown = undefined;
  abstract readonly kind: ObjectKind;
  /** Heap serial number, unique per run; 0 until allocated. */
  heapId = 0;
  freed = false;
  freedIn = '';
  freedAtLine = 0;

  protected get bookkeeping(): unknown {
    return this.#bookkeeping;
  }

  protected set bookkeeping(v: unknown) {
    this.#bookkeeping = v;
  }
}

/** Where the heap learns which context is running, for reports. */
export interface ContextName {
  currentName(): string;
}

export class Heap {
  private serial = 0;
  /**
   * Every object allocated, in allocation order, and how many are not freed: a run allocates a few
   * dozen, and an array push and a count cost less than a Set's add and delete (the live ones are
   * listed only when something leaked).
   */
  private readonly allocated: KObject[] = [];
  private live = 0;
  constructor(private readonly where: ContextName) {}

  alloc<T extends KObject>(obj: T): T {
    obj.heapId = ++this.serial;
    this.allocated.push(obj);
    this.live++;
    return obj;
  }

  /** kfree / bio_put's final put: a second free of the same object is LIFE-02. */
  free(obj: KObject, seedLine: number): void {
    if (obj.freed) {
      throw new Violation(
        'LIFE-02',
        this.where.currentName(),
        seedLine,
        `${obj.kind}#${obj.heapId} freed twice (first in ${obj.freedIn} at seed L${obj.freedAtLine})`,
      );
    }
    obj.freed = true;
    obj.freedIn = this.where.currentName();
    obj.freedAtLine = seedLine;
    this.live--;
  }

  /** A field access: touching a freed object is LIFE-01. */
  use(obj: KObject, seedLine: number): void {
    if (obj.freed) {
      throw new Violation(
        'LIFE-01',
        this.where.currentName(),
        seedLine,
        `${obj.kind}#${obj.heapId} used after it was freed in ${obj.freedIn} at seed L${obj.freedAtLine}`,
      );
    }
  }

  /** The objects not freed, in allocation order. */
  liveObjects(): readonly KObject[] {
    return this.allocated.filter((o) => !o.freed);
  }

  get liveCount(): number {
    return this.live;
  }
}
