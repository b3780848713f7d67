/**
 * A swarm fault profile: each class of environment event (FaultProfile in
 * model/runtime/faults.ts) is on or off for the whole run, independently of the others.
 *
 * Swarm testing (Groce et al., TigerBeetle's `random_enum_weights`) finds more than "everything on"
 * does: a run with only reordering on explores orders that a run drowning in bio errors never
 * reaches. Every class shrinks toward off, so a counterexample keeps only the classes it needs.
 * The classes are read from ALL_FAULTS, so a class added to the model joins the swarm by itself.
 */
import fc from 'fast-check';
import { ALL_FAULTS, type FaultProfile } from '../../model/runtime/faults.ts';

/** Every fault class the model knows, in FaultProfile order. */
export const FAULT_CLASSES: readonly (keyof FaultProfile)[] = Object.keys(
  ALL_FAULTS,
) as (keyof FaultProfile)[];

export function faultProfileArbitrary(): fc.Arbitrary<FaultProfile> {
  const fields: Record<string, fc.Arbitrary<boolean>> = {};
  for (const key of FAULT_CLASSES) fields[key] = fc.boolean();
  return fc.record(fields) as unknown as fc.Arbitrary<FaultProfile>;
}

/** The profile as one short line: the classes that are on, or `none`. */
export function formatFaultProfile(faults: FaultProfile): string {
  const on = FAULT_CLASSES.filter((k) => faults[k] === true);
  return on.length === 0 ? 'none' : on.join(' ');
}
