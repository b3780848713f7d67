/**
 * A reader-writer semaphore (XFS's IOLOCK, the VFS i_rwsem): shared holders, or one exclusive
 * holder; NOWAIT callers only try. Waiting is a runtime wait, so a cycle of waiters is a reported
 * deadlock (PROG-01).
 */
import type { KGen } from '../runtime/context.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { noYield } from '../runtime/yieldPoint.ts';

export class RwSem {
  readers = 0;
  writer = false;

  constructor(readonly name: string) {}

  tryLock(exclusive: boolean): boolean {
    if (this.writer || (exclusive && this.readers > 0)) return false;
    if (exclusive) this.writer = true;
    else this.readers++;
    return true;
  }

  lock(rt: Runtime, exclusive: boolean): KGen {
    // Uncontended (most calls): taken at once, with no generator (runtime/yieldPoint.ts).
    if (this.tryLock(exclusive)) return noYield();
    return this.lockContended(rt, exclusive);
  }

  private *lockContended(rt: Runtime, exclusive: boolean): KGen {
    // Another waiter may take the lock between our wake-up and our turn: try until it is ours.
    while (!this.tryLock(exclusive)) {
      yield* rt.waitUntil(
        () => !this.writer && (!exclusive || this.readers === 0),
        `${this.name} ${exclusive ? 'excl' : 'shared'}`,
      );
    }
  }

  /** downgrade_write(): exclusive becomes shared without a window for another writer. */
  demote(): void {
    this.writer = false;
    this.readers++;
  }

  unlock(exclusive: boolean): void {
    if (exclusive) this.writer = false;
    else this.readers--;
  }
}
