/**
 * Which questions are faults, for the explorer's fault budget (--max-faults K): a path whose
 * answers deviate from option 0 at more than K of these is cut (the explorer offers only option 0
 * once the budget is spent, so no run is wasted on it).
 *
 * Faults are the environment misbehaving: a bio's error status, a page that cannot be pinned, a
 * user copy that faults, a page-cache invalidation that fails, and a failed write that wrote some
 * or all of its sectors anyway. Power loss is not counted: --crash turns it on at every crash point
 * (a run loses power at most once), and what an interrupted write left on media
 * (`inflight_write_written`) is part of the crash image, like the cache's per-block answers.
 * Never counted either: the schedule and the device's completion order (interleavings, covered in
 * full), the device's background work (destaging, background log commits, writeback), and the
 * refinements that only say where or how much a counted fault did (`*_at`, `*_sectors`).
 */

export const FAULT_LABELS: ReadonlySet<string> = new Set([
  'bio_status',
  'submit_would_block',
  'get_pages_fault',
  'user_copy_fault',
  'invalidate_fails',
  'failed_write_written',
]);

export function isFaultLabel(label: string): boolean {
  return FAULT_LABELS.has(label);
}
