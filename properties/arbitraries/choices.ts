/**
 * Choice streams for ArrayChoices: arrays of naturals where 0 is the uneventful option.
 *
 * Three shapes, mixed with fc.oneof:
 * - dense: every entry is mostly 0 and sometimes a small natural, so a run deviates here and there;
 *   most of these streams are short (fast-check's small size: a median of 9 entries), so the rest
 *   of the run is uneventful;
 * - few deviations (the spirit of PCT, Burckhardt et al.): a long run of zeros with one to three
 *   (index, value) deviations, which is how most concurrency bugs need to be driven: the plain
 *   schedule everywhere except at the one or two points that matter;
 * - long (the hunt's SeededChoices, a swarm over its rate): a stream as long as a run, each entry
 *   deviating with a rate of 1/4, 1/2 or 1 (saturated) drawn per stream. Bugs that need several
 *   decisions to go the same way late in a run (two page-cache invalidations failing, an error on
 *   the second bio, a completion overtaking the submitter after it dropped its reference) are
 *   reached by this shape several times as often as by the other two (measured on the catalogue's
 *   scenarios). A saturated stream answers every yes/no question yes with odds 8/15, so two or
 *   three faults in a row (both invalidations of a write failing, a page-get that pins one page
 *   and faults on the next) come 4 to 15 times as often as at a rate of 1/2 or 1/4.
 * Long streams are half the draws, dense and few-deviation ones a quarter each (a third each
 * before): run with six streams of each shape on the same 4,000 campaign cases (seed 1 of
 * scripts/bench/detection.ts, 2026-12-06), the long shapes caught the planted bugs that need two
 * or three faults (both invalidations of a write failing, a bio error and then a power loss, a
 * completion handed to a worker and then a late one) 1.5 to 8 times as often as the other two,
 * while the bugs one deviation drives lost at most a tenth; over the 13 bugs then above the
 * detection target, 17 % more catches in 40,000 cases (seeds 3 and 4).
 * All shrink toward zeros (values to 0, arrays shorter), so a shrunk counterexample keeps only the
 * deviations it needs. ArrayChoices takes each value modulo the arity and reads 0 past the end.
 */
import fc from 'fast-check';

/** Longest stream generated; runs of the campaign's scenarios ask far fewer questions than this. */
export const CHOICES_LENGTH_MAX = 160;

/** Largest deviation value; ArrayChoices folds it modulo the arity of each question. */
export const CHOICE_VALUE_MAX = 15;

function denseChoices(): fc.Arbitrary<number[]> {
  const entry = fc.oneof(
    { withCrossShrink: true },
    { weight: 12, arbitrary: fc.constant(0) },
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: CHOICE_VALUE_MAX }) },
  );
  return fc.array(entry, { maxLength: CHOICES_LENGTH_MAX });
}

function fewDeviations(): fc.Arbitrary<number[]> {
  // Most runs ask a few dozen questions, so deviations are placed early more often than late.
  const index = fc.oneof(
    { weight: 4, arbitrary: fc.nat({ max: 31 }) },
    { weight: 1, arbitrary: fc.nat({ max: CHOICES_LENGTH_MAX - 1 }) },
  );
  const deviation = fc.tuple(index, fc.integer({ min: 1, max: CHOICE_VALUE_MAX }));
  return fc.array(deviation, { minLength: 1, maxLength: 3 }).map((deviations) => {
    const last = Math.max(...deviations.map(([at]) => at));
    const values: number[] = new Array(last + 1).fill(0);
    for (const [at, value] of deviations) values[at] = value;
    return values;
  });
}

function longChoices(): fc.Arbitrary<number[]> {
  const deviation = fc.integer({ min: 1, max: CHOICE_VALUE_MAX });
  const stream = (zeros: number): fc.Arbitrary<number[]> =>
    fc.array(
      fc.oneof(
        { withCrossShrink: true },
        { weight: zeros, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: deviation },
      ),
      // 'max': lengths spread over the whole range (a median near 80) instead of fast-check's small size.
      { maxLength: CHOICES_LENGTH_MAX, size: 'max' },
    );
  const saturated = fc.array(deviation, { maxLength: CHOICES_LENGTH_MAX, size: 'max' });
  return fc.oneof(
    { weight: 1, arbitrary: stream(3) },
    { weight: 1, arbitrary: stream(1) },
    { weight: 1, arbitrary: saturated },
  );
}

/** A choice stream: dense deviations, a few isolated ones, or a long stream at a steady rate. */
export function choicesArbitrary(): fc.Arbitrary<number[]> {
  return fc.oneof(
    { weight: 1, arbitrary: denseChoices() },
    { weight: 1, arbitrary: fewDeviations() },
    { weight: 2, arbitrary: longChoices() },
  );
}
