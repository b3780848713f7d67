/**
 * Every crash image at the crash point a run chose: for random runs (campaigns, hunts) that lost
 * power once, enumerate every device image the write-cache rules allow there, not only the one
 * the run drew, and run recovery and the checks on each.
 *
 * The run's decision log is replayed up to its power failure, that is up to the first question the
 * failure itself asks; every question from there on is enumerated: with RunOptions.crashImages on,
 * one per cached logical block (reached media or not), and for a write in flight how much of it
 * landed. Power fails at most once and recovery asks nothing, so these are exactly the images.
 * The recording may come from a run without crash images: its answers after the power loss (a
 * prefix of the cache) are simply not used.
 */
import type { ChoiceSource, RecordedChoice } from '../../model/runtime/choice.ts';
import { ReplayDivergence } from '../../model/runtime/choice.ts';
import { type RunOptions, type RunResult, runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { ExhaustiveChoices } from '../support/enumerate.ts';

/** Questions the power failure itself asks (Disk.powerFail). */
const CRASH_LABELS = new Set([
  'destage_block_before_power_loss',
  'destage_before_power_loss',
  'inflight_write_written',
  'inflight_write_written_sectors',
]);

export interface CrashImages {
  /** Did the recorded run lose power at all? (If not, there is nothing to enumerate.) */
  readonly crashed: boolean;
  /** Images enumerated (runs made; 1 when the run did not lose power). */
  readonly images: number;
  /** Each invariant violated on some image, with the first image's whole decision log. */
  readonly violations: ReadonlyMap<string, readonly RecordedChoice[]>;
}

/** Replays the recording until the power failure asks its first question, then enumerates. */
class ReplayThenEnumerate implements ChoiceSource {
  private at = 0;
  private enumerating = false;
  readonly log: RecordedChoice[] = [];
  constructor(
    private readonly recorded: readonly RecordedChoice[],
    private readonly rest: ExhaustiveChoices,
  ) {}
  next(n: number, label: string): number {
    if (!this.enumerating && CRASH_LABELS.has(label)) this.enumerating = true;
    let v: number;
    if (this.enumerating) v = this.rest.next(n, label);
    else {
      const i = this.at++;
      const r = this.recorded[i];
      if (r === undefined || r.label !== label || r.n !== n) {
        const had = r === undefined ? 'the end of the recording' : `${r.label}/${r.n}`;
        throw new ReplayDivergence(
          `crash-image replay diverged at choice ${i}: recorded ${had}, asked ${label}/${n}`,
        );
      }
      v = r.value;
    }
    this.log.push({ label, n, value: v });
    return v;
  }
}

/**
 * Enumerates every crash image at the power loss of a recorded run (its decision log, with labels:
 * a run made with `tracing`, or a replay file's choices). `options` are the run's own (faults, ops,
 * quirks, probe); crash images are turned on. Stops after `maxImages` (then throws).
 */
export function exploreCrashImages(
  scenario: Scenario,
  options: Omit<RunOptions, 'source' | 'crashImages'>,
  recorded: readonly RecordedChoice[],
  maxImages = 1 << 16,
): CrashImages {
  const rest = new ExhaustiveChoices();
  const violations = new Map<string, readonly RecordedChoice[]>();
  let images = 0;
  let crashed = false;
  do {
    if (images >= maxImages) throw new Error(`more than ${maxImages} crash images`);
    const source = new ReplayThenEnumerate(recorded, rest);
    const r: RunResult = runScenario(scenario, { ...options, source, crashImages: true });
    images++;
    crashed ||= r.crash !== null;
    const v = r.violation;
    if (v !== null && !violations.has(v.invariant)) violations.set(v.invariant, source.log);
  } while (rest.advance());
  return { crashed, images, violations };
}
