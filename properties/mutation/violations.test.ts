/**
 * The violation lines of planted bugs, as a kernel developer reads them in a report. The first
 * group breaks an invariant inside model/kernel (the dio's error cmpxchg, ki_complete, queue_work,
 * the checked heap naming an iomap_dio); the second needs what model/kernel records for the
 * checkers (the first error a dio stored: ERR-03) or a seam of the seed's ops table (L397's jump to
 * zero_tail, ->submit_io). Each bug's first violating run of the bug hunt (properties/support/
 * hunt.ts, seed 1) must print exactly this line. bugs.test.ts checks which invariant breaks, over
 * three seeds; this checks what the report says, and is fast enough for mutation testing.
 */
import { describe, expect, it } from 'vitest';
import { BUGS } from '../../model/bugs/catalogue.ts';
import { runBugOnce } from '../support/hunt.ts';

const CASES: ReadonlyArray<readonly [bug: string, run: number, message: string]> = [
  ['set-error-plain-store', 20, 'ERR-01 in bio2 at seed L156: dio->error overwritten: -5 → -28'],
  ['set-error-clears-first', 29, 'ERR-01 in bio2 at seed L156: dio->error overwritten: -28 → 0'],
  [
    'sync-completed-through-ki-complete',
    0,
    'CMPL-01 in task1 at seed L146: ki_complete called on a synchronous kiocb',
  ],
  [
    'read-errors-complete-in-workqueue',
    3,
    'WQ-01 in bio1 at seed L223: queue_work on s_dio_done_wq, which was never created',
  ],
  [
    'complete-work-touches-freed-dio',
    0,
    'LIFE-01 in dio_done_wq at seed L146: iomap_dio#1 used after it was freed in dio_done_wq at seed L131',
  ],
  [
    'dio-freed-twice',
    0,
    'LIFE-02 in task1 at seed L131: iomap_dio#1 freed twice (first in task1 at seed L131)',
  ],
  ['errors-reported-as-eio', 6, 'ERR-03 in task1 at seed L88: req1 reported -5 but the first error was -110'],
  ['end-io-rewrites-errors', 0, 'ERR-03 in task1 at seed L88: req1 reported -5 but the first error was -110'],
  ['short-get-skips-zero-tail', 6, 'STALE-01 in task1 at seed L0: req2 returned stale data at offset 9216'],
  [
    'submit-io-bio-unreferenced',
    0,
    'CMPL-06 in device at seed L0: bio1 moves data of a user buffer after its request returned',
  ],
];

describe('violation lines of planted bugs in model/kernel', () => {
  for (const [name, run, message] of CASES) {
    it(`${name}: ${message.slice(0, message.indexOf(':'))}`, () => {
      const bug = BUGS.find((b) => b.name === name);
      if (bug === undefined) throw new Error(`no planted bug ${name}`);
      const r = runBugOnce(bug, `${name}:1:${run}`);
      expect(r.violation?.message ?? null).toBe(message);
    });
  }
});
