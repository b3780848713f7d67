/**
 * Exhaustive enumeration of choice streams, for small scopes (litmus tests, STYLE rule 6).
 *
 * ExhaustiveChoices is a ChoiceSource that walks every choice stream of a deterministic run depth
 * first. On each path it records the arity and label of every question asked; the next path keeps
 * the answers up to the deepest question that still has an untried option, takes that option, and
 * answers every question after it with 0 (the uneventful option) until a new arity is recorded.
 * A run that asks a different question at the same depth of a replayed prefix is not deterministic
 * in its choices, and the walk stops with an error instead of silently exploring a different tree.
 *
 * enumerateOutcomes runs a function once per path and collects the distinct outcome keys, with the
 * first choice stream that produced each (the witness a failing assertion should print). It throws
 * when the number of paths exceeds its bound: a bound hit is never a pass.
 */
import type { ChoiceSource } from '../../model/runtime/choice.ts';

export class ExhaustiveChoices implements ChoiceSource {
  /** Answers of the current path, one per question asked so far (or to be replayed). */
  private readonly values: number[] = [];
  private readonly arities: number[] = [];
  private readonly labels: string[] = [];
  /** Questions asked on the current path. */
  private depth = 0;
  private exhausted = false;

  next(n: number, label: string): number {
    const i = this.depth++;
    if (i < this.values.length) {
      if (this.arities[i] !== n || this.labels[i] !== label) {
        throw new Error(
          `choice ${i} asked as ${label}/${n} after ${this.labels[i]}/${this.arities[i]} on the same prefix: ` +
            'the run is not a function of its choices',
        );
      }
      return this.values[i] ?? 0;
    }
    this.values.push(0);
    this.arities.push(n);
    this.labels.push(label);
    return 0;
  }

  /** The answers given on the path just run. */
  path(): number[] {
    return this.values.slice(0, this.depth);
  }

  /**
   * Moves to the next path: increments the deepest answer that has an untried option and drops the
   * answers after it. Returns false once every path has been walked.
   */
  advance(): boolean {
    if (this.exhausted) return false;
    if (this.depth < this.values.length) {
      throw new Error(
        `the run asked ${this.depth} questions on a replayed prefix of ${this.values.length}: ` +
          'the run is not a function of its choices',
      );
    }
    this.depth = 0;
    for (let i = this.values.length - 1; i >= 0; i--) {
      const v = this.values[i] ?? 0;
      const n = this.arities[i] ?? 0;
      if (v + 1 < n) {
        this.values[i] = v + 1;
        this.truncate(i + 1);
        return true;
      }
    }
    this.exhausted = true;
    return false;
  }

  private truncate(length: number): void {
    this.values.length = length;
    this.arities.length = length;
    this.labels.length = length;
  }
}

export interface Enumeration {
  /** The distinct outcome keys, in the order first seen. */
  readonly outcomes: Set<string>;
  /** Paths walked (complete runs). */
  readonly paths: number;
  /** For each outcome, the first choice stream that produced it (ArrayChoices replays it). */
  readonly witnesses: Map<string, readonly number[]>;
}

/** Thrown when a walk would need more than maxPaths runs: the scope is too large for the bound. */
export class EnumerationBoundHit extends Error {
  constructor(readonly maxPaths: number) {
    super(`more than ${maxPaths} choice paths: the enumeration is incomplete, so it cannot pass`);
    this.name = 'EnumerationBoundHit';
  }
}

/** Runs `run` once per choice path and returns the set of distinct `key`s of the results. */
export function enumerateOutcomes<T>(
  run: (src: ChoiceSource) => T,
  key: (t: T) => string,
  maxPaths: number,
): Enumeration {
  const src = new ExhaustiveChoices();
  const outcomes = new Set<string>();
  const witnesses = new Map<string, readonly number[]>();
  let paths = 0;
  do {
    if (paths >= maxPaths) throw new EnumerationBoundHit(maxPaths);
    const k = key(run(src));
    paths++;
    if (!outcomes.has(k)) {
      outcomes.add(k);
      witnesses.set(k, src.path());
    }
  } while (src.advance());
  return { outcomes, paths, witnesses };
}

/** The outcome keys that start with `prefix`, with the prefix removed (for keys like `acked:new`). */
export function outcomesWith(e: Enumeration, prefix: string): Set<string> {
  const out = new Set<string>();
  for (const k of e.outcomes) if (k.startsWith(prefix)) out.add(k.slice(prefix.length));
  return out;
}
