/**
 * struct iomap_dio (seed L30-53) as a checked heap object.
 *
 * The seed's union of `submit` (iter and waiter, used during submission and for synchronous
 * completion) and `aio.work` (used for asynchronous completion) is modelled: INIT_WORK on aio.work
 * (seed L222) clobbers submit.iter and submit.waiter, and reading them afterwards is a model assertion.
 */
import type { IomapDioOps } from '../fs/iomap.ts';
import { IocbAccounting, type Kiocb } from '../fs/vfs.ts';
import { WorkStruct } from '../fs/workqueue.ts';
import type { IovIter } from '../mm/iovIter.ts';
import type { GenContext } from '../runtime/context.ts';
import { KObject } from '../runtime/heap.ts';
import { PendingViolation } from '../runtime/violation.ts';

export class IomapDio extends KObject {
  readonly kind = 'iomap_dio';
  iocb: Kiocb;
  dops: IomapDioOps | null = null;
  iSize = 0;
  size = 0;
  ref = 0;
  flags = 0;
  private errorValue = 0;
  doneBefore = 0;
  waitForCompletion = false;
  /** Which member of the submit/aio union was written last. */
  unionMember: 'submit' | 'aio' = 'submit';
  submitIter: IovIter | null = null;
  submitWaiter: GenContext | null = null;
  readonly aioWork: WorkStruct = new WorkStruct(this);
  /** Model bookkeeping, not a kernel field: bios this dio submitted (for the bios-per-dio bound). */
  biosSubmitted = 0;
  /** Model bookkeeping: how often ref reached zero (must be exactly once). */
  refZeroCount = 0;

  constructor(iocb: Kiocb) {
    super();
    this.iocb = iocb;
    // Model bookkeeping: `iocb` again, for the error setter's accounting, off the dio's fields: the
    // setter's read of it is not iomap_dio_set_error's (a cmpxchg of dio->error alone), so it stays
    // out of the running context's view in the explorer (KObject.bookkeeping says where it lives).
    this.bookkeeping = iocb;
    // Model bookkeeping: each dio is a new attempt at the request.
    iocb.acct = new IocbAccounting();
  }

  get error(): number {
    return this.errorValue;
  }

  /**
   * dio->error. It must move from 0 at most once (ERR-01): iomap_dio_set_error is a cmpxchg
   * because submission and completions race to set it. The initialisation to 0 (seed L573) is the
   * only other store. The first value is also kept on the kiocb for the result checks.
   */
  set error(v: number) {
    if (this.errorValue !== 0 && v !== this.errorValue) {
      throw new PendingViolation('ERR-01', 156, `dio->error overwritten: ${this.errorValue} → ${v}`);
    }
    if (this.errorValue === 0 && v !== 0) (this.bookkeeping as Kiocb).acct.firstError = v;
    this.errorValue = v;
  }
}
