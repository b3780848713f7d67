/**
 * A swarm fault profile: each class of environment event (FaultProfile in
 * model/runtime/faults.ts) is on or off for the whole run, independently of the others: on in half
 * the profiles, interleaving in two in three.
 *
 * Swarm testing (Groce et al., TigerBeetle's `random_enum_weights`) finds more than "everything on"
 * does: a run with only reordering on explores orders that a run drowning in bio errors never
 * reaches. Every class shrinks toward off, so a counterexample keeps only the classes it needs.
 * The classes are read from ALL_FAULTS, so a class added to the model joins the swarm by itself.
 */
import fc from 'fast-check';
import { ALL_FAULTS, type FaultProfile, Faults, NO_FAULTS } from '../../model/runtime/faults.ts';
import type { Scenario } from '../../model/world/scenario.ts';

/** Every fault class the model knows, in FaultProfile order. */
export const FAULT_CLASSES: readonly (keyof FaultProfile)[] = Object.keys(
  ALL_FAULTS,
) as (keyof FaultProfile)[];

/**
 * Interleaving on in two profiles in three (one in two before): the lifetime races (a completion
 * that frees the dio between two reads of it by another context) need it and nothing else, and the
 * bugs it hides have families that turn it off (FAMILY_FAULTS, POLLED_FAULTS). In 120,000
 * campaign cases from seed 13, submitter-reads-freed-dio was caught 104 times (75 at one in two),
 * release-bio-reads-handed-dio 69 (51). Shrinks toward off, as the others.
 */
function interleaveArbitrary(): fc.Arbitrary<boolean> {
  return fc.oneof(
    { withCrossShrink: true },
    { weight: 1, arbitrary: fc.constant(false) },
    { weight: 2, arbitrary: fc.constant(true) },
  );
}

/** Each class's arbitrary, in FAULT_CLASSES order. */
function classArbitraries(): fc.Arbitrary<boolean>[] {
  return FAULT_CLASSES.map((key) => (key === 'interleave' ? interleaveArbitrary() : fc.boolean()));
}

/**
 * The profile as a Faults, the one shape the runtime reads (Faults.of keeps it as it is). Drawn as
 * fc.record draws a record (`profileRecordArbitrary`): a tuple of the classes and one more boolean,
 * which the record spends on a null prototype (a dictionary-mode object, a hash lookup per class
 * read, 31 % of the bench's profiles); the boolean is still drawn, and left unused, so the same
 * seed draws the same profiles and the same runs after it, and shrinks the same way.
 */
export function faultProfileArbitrary(): fc.Arbitrary<FaultProfile> {
  return fc.tuple(...classArbitraries(), fc.boolean()).map((drawn) => faultsOf(drawn));
}

/** The record this arbitrary drew before, for the test that the two draw the same classes. */
export function profileRecordArbitrary(): fc.Arbitrary<FaultProfile> {
  const arbitraries = classArbitraries();
  const fields: Record<string, fc.Arbitrary<boolean>> = {};
  FAULT_CLASSES.forEach((key, i) => {
    fields[key] = arbitraries[i] as fc.Arbitrary<boolean>;
  });
  return fc.record(fields) as unknown as fc.Arbitrary<FaultProfile>;
}

/** The classes drawn (FAULT_CLASSES order; the record's prototype bit after them) as a Faults. */
function faultsOf(on: readonly boolean[]): Faults {
  // Set on a Faults, whose every class is there already: adding the classes to an object one by
  // one, by a key read at run time, cost a draw several times the record (59-79 against 11-23 ms
  // per 4,000 draws; set here, 9-13 ms).
  const faults = new Faults(NO_FAULTS);
  const set = faults as { -readonly [K in keyof Faults]: Faults[K] };
  for (let i = 0; i < FAULT_CLASSES.length; i++) set[FAULT_CLASSES[i] as keyof FaultProfile] = on[i] === true;
  return faults;
}

/** The profile as one short line: the classes that are on, or `none`. */
export function formatFaultProfile(faults: FaultProfile): string {
  const on = FAULT_CLASSES.filter((k) => faults[k] === true);
  return on.length === 0 ? 'none' : on.join(' ');
}

/**
 * A campaign scenario and the fault classes its family sets over the drawn profile (null: none;
 * FAMILY_FAULTS for the world families, POLLED_FAULTS for the polled scripted one). A family is a
 * shape for a few bugs that need one class on and are hidden by another, which a profile drawn
 * class by class gives in one family scenario in four or eight.
 */
export interface DrawnScenario {
  readonly scenario: Scenario;
  readonly faults: Partial<FaultProfile> | null;
}

/** The profile a drawn scenario runs with: the drawn one with its family's classes set. */
export function profileFor(drawn: DrawnScenario, faults: FaultProfile): FaultProfile {
  return drawn.faults === null ? faults : new Faults({ ...faults, ...drawn.faults });
}
