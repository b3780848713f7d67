/**
 * The trace: one entry per model event and per choice, in kernel vocabulary.
 *
 * Cost when off: callers guard with `if (rt.tracing)`, so no string or object is built; the choice
 * values themselves are always recorded (they are the replay). Format: see spec/trace-format.md.
 */

export interface TraceEntry {
  /** Scheduler step at which the event happened. */
  readonly step: number;
  /** The context that ran it: task1, bio3, dio_done_wq, issuer, device. */
  readonly context: string;
  /** Seed line mirrored (0 for events of the world outside the seed). */
  readonly line: number;
  /** Kernel tracepoint or function name, snake_case (iomap_dio_rw_begin, submit_bio, choice). */
  readonly event: string;
  /** `key value` fields and state deltas, already formatted. */
  readonly detail: string;
}

export function formatTraceEntry(e: TraceEntry): string {
  const line = e.line > 0 ? `L${e.line}` : '';
  return `#${String(e.step).padEnd(4)} ${e.context.padEnd(12)} ${line.padEnd(5)} ${e.event.padEnd(30)} ${e.detail}`.trimEnd();
}

export function formatTrace(entries: readonly TraceEntry[]): string {
  return entries.map(formatTraceEntry).join('\n');
}
