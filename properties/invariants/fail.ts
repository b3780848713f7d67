import type { WorldView } from '../../model/world/probe.ts';
import { Violation } from '../../model/runtime/violation.ts';

/** Report a broken invariant from a checker, naming the running context. */
export function fail(w: WorldView, id: string, seedLine: number, detail: string): never {
  throw new Violation(id, w.rt.currentName(), seedLine, detail);
}
