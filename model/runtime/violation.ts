/**
 * Violations and bound hits: how a run reports that something went wrong.
 *
 * A violation is a finding about the modelled kernel logic (an invariant broke). A bound hit is
 * neither a pass nor a finding: the run was cut short, and campaigns count it separately. A model
 * assertion is a bug in the model itself (its own bookkeeping disagrees) and is never reported as a
 * kernel finding.
 */

/** Raised by a checker where an invariant breaks; carries what a kernel developer needs to locate it. */
export class Violation extends Error {
  constructor(
    /** Stable invariant ID from spec/invariants.md, such as LIFE-01. */
    readonly invariant: string,
    /** The context that was running (task, bio3 irq, dio_done_wq, ...). */
    readonly context: string,
    /** The seed line the model was mirroring when it broke (0 when not tied to one line). */
    readonly seedLine: number,
    readonly detail: string,
  ) {
    super(`${invariant} in ${context} at seed L${seedLine}: ${detail}`);
    this.name = 'Violation';
  }
}

/**
 * Raised by model code that does not know which context runs it (a field store, say); the
 * scheduler turns it into a Violation naming the running context.
 */
export class PendingViolation extends Error {
  constructor(
    readonly invariant: string,
    readonly seedLine: number,
    readonly detail: string,
  ) {
    super(`${invariant} at seed L${seedLine}: ${detail}`);
    this.name = 'PendingViolation';
  }
}

/** Raised when a run exceeds one of its bounds (steps, bios per dio, contexts). */
export class BoundHit extends Error {
  constructor(
    readonly bound: string,
    readonly limit: number,
  ) {
    super(`bound ${bound} (${limit}) reached`);
    this.name = 'BoundHit';
  }
}

/** Raised when the model's own bookkeeping is inconsistent: a bug in diocheck, not in the kernel. */
export class ModelAssertion extends Error {
  constructor(message: string) {
    super(`model assertion: ${message}`);
    this.name = 'ModelAssertion';
  }
}

export function modelAssert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ModelAssertion(message);
}
