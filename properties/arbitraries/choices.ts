/**
 * Choice streams for ArrayChoices: arrays of naturals where 0 is the uneventful option.
 *
 * Two shapes, mixed with fc.oneof:
 * - dense: every entry is mostly 0 and sometimes a small natural, so a run deviates here and there;
 * - few deviations (the spirit of PCT, Burckhardt et al.): a long run of zeros with one to three
 *   (index, value) deviations, which is how most concurrency bugs need to be driven: the plain
 *   schedule everywhere except at the one or two points that matter.
 * Both shrink toward zeros (values to 0, arrays shorter), so a shrunk counterexample keeps only the
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

/** A choice stream: dense deviations or a few isolated ones. */
export function choicesArbitrary(): fc.Arbitrary<number[]> {
  return fc.oneof({ weight: 1, arbitrary: denseChoices() }, { weight: 1, arbitrary: fewDeviations() });
}
