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
import { ALL_FAULTS, type FaultProfile } from '../../model/runtime/faults.ts';
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

export function faultProfileArbitrary(): fc.Arbitrary<FaultProfile> {
  const fields: Record<string, fc.Arbitrary<boolean>> = {};
  for (const key of FAULT_CLASSES) fields[key] = key === 'interleave' ? interleaveArbitrary() : fc.boolean();
  return fc.record(fields) as unknown as fc.Arbitrary<FaultProfile>;
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
  return drawn.faults === null ? faults : { ...faults, ...drawn.faults };
}
