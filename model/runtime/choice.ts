/**
 * The one source of nondeterminism: choose(n, label) returns an option in [0, n).
 *
 * Option 0 is always the uneventful one (run the preferred context, complete in order, no fault),
 * so a stream of zeros is the plain run, and shrinking a stream toward zeros removes every deviation
 * a failure does not need. Three sources feed the same call: an array of naturals (fast-check
 * generates and shrinks it; past its end every choice is 0), a seedrandom generator (campaigns and
 * `repro --seed`), and replay of a recorded run, which also checks that each choice is asked with
 * the same label and arity as when it was recorded.
 */
import seedrandom from 'seedrandom';

export interface ChoiceSource {
  /** Returns an option in [0, n); n is at least 2 (the runtime never asks a one-way question). */
  next(n: number, label: string): number;
}

/** A plain array of naturals, each taken modulo the arity; 0 past the end. */
export class ArrayChoices implements ChoiceSource {
  private index = 0;
  constructor(private readonly values: readonly number[]) {}
  next(n: number): number {
    const v = this.values[this.index++];
    return v === undefined ? 0 : v % n;
  }
}

/**
 * A seeded stream: the same seed gives the same stream on any machine (seedrandom's ARC4 is
 * specified bit for bit). Each choice deviates from 0 with probability `deviation`; a deviating
 * choice is uniform over the other options.
 */
export class SeededChoices implements ChoiceSource {
  private readonly rng: seedrandom.PRNG;
  constructor(
    seed: string,
    private readonly deviation: number,
  ) {
    this.rng = seedrandom(seed);
  }
  next(n: number): number {
    if (this.rng.quick() >= this.deviation) return 0;
    return 1 + Math.floor(this.rng.quick() * (n - 1));
  }
}

/** One recorded choice, as replay files store it. */
export interface RecordedChoice {
  readonly label: string;
  readonly n: number;
  readonly value: number;
}

/** Thrown when a replayed run asks a different question than the recorded one: the model changed. */
export class ReplayDivergence extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayDivergence';
  }
}

/** Replays a recorded run exactly, checking label and arity at every step. */
export class ReplayChoices implements ChoiceSource {
  private index = 0;
  constructor(private readonly recorded: readonly RecordedChoice[]) {}
  next(n: number, label: string): number {
    const r = this.recorded[this.index];
    const at = this.index++;
    // A recorded log is complete: a model that asks more questions has changed.
    if (r === undefined)
      throw new ReplayDivergence(
        `replay diverged at choice ${at}: the model asked ${label}/${n} past the end of the recording`,
      );
    if (r.label !== label || r.n !== n) {
      throw new ReplayDivergence(
        `replay diverged at choice ${at}: recorded ${r.label}/${r.n}, model asked ${label}/${n}`,
      );
    }
    return r.value;
  }
}
