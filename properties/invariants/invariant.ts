/**
 * An invariant: a stable ID, a name, one sentence, where it comes from, and where it is checked.
 * Invariants the model raises itself (the checked heap, the scheduler, the context rules) carry
 * `raisedIn`; the others carry probe hooks that the world calls where they can break.
 */
import type { Probe } from '../../model/world/probe.ts';

export type InvariantKind = 'safety' | 'liveness';

export type Family =
  | 'lifetime'
  | 'errors'
  | 'completion'
  | 'results'
  | 'stale'
  | 'durability'
  | 'pagecache'
  | 'arguments'
  | 'contexts'
  | 'workqueue'
  | 'contract';

export interface Invariant {
  /** Stable ID, family prefix and two digits: LIFE-01. Never reused. */
  readonly id: string;
  /** PascalCase sentence. */
  readonly name: string;
  readonly kind: InvariantKind;
  readonly family: Family;
  /** One English sentence. */
  readonly statement: string;
  /** Seed lines or the kernel document it comes from. */
  readonly source: string;
  /** The model file that raises it, for invariants checked inside the model. */
  readonly raisedIn?: string;
  /** The checker, for invariants checked through the probe. */
  readonly probe?: Probe;
  /**
   * The results its onResult judges, by what must hold of the request and the result (a read's
   * only, a failed one's only): the probe calls it for no other result. Its check keeps its own
   * test as well, which returns at once for the others; this only spares the call (registry.ts
   * makeProbe).
   */
  readonly resultsOf?: ResultFilter;
}

export interface ResultFilter {
  /** The request is a write (RequestOpFields.write), or a read. */
  readonly write?: boolean;
  /** With IOMAP_DIO_PARTIAL, with IOCB_NOWAIT. */
  readonly partial?: true;
  readonly nowait?: true;
  /** The result is negative (an error), or not (a count). */
  readonly failed?: boolean;
}
