/**
 * The bug catalogue: planted bugs, each a named, documented change of the correct model (the seed
 * with its known upstream fixes and the candidate fixes, FIXED_OPS) that one invariant must catch.
 *
 * A bug enters through one clean seam: a replacement of entries of the kernel ops table (most are
 * wrappers around the correct function, so the change is the few lines that differ), or a world
 * quirk (model/world/quirks.ts). Nothing here is global: a run picks its bug through RunOptions.
 * Each bug carries the smallest scenario and fault profile that expose it; the teeth test runs
 * them from fixed seeds within a fixed budget (properties/bugs.test.ts).
 */
import type { KernelOps } from '../kernel/kernel.ts';
import { FIXED_OPS, opsTable } from '../kernel/ops.ts';
import type { FaultProfile } from '../runtime/faults.ts';
import type { WorldQuirks } from '../world/quirks.ts';
import type { Scenario } from '../world/scenario.ts';
import { LIFETIME_BUGS } from './lifetime.ts';
import { ERRORS_BUGS } from './errors.ts';
import { COMPLETION_BUGS } from './completion.ts';
import { CONTEXTS_BUGS } from './contexts.ts';
import { WORKQUEUE_BUGS } from './workqueue.ts';
import { ARGUMENTS_BUGS } from './arguments.ts';
import { RESULTS_BUGS } from './results.ts';
import { STALE_BUGS } from './stale.ts';
import { CONTRACT_BUGS } from './contract.ts';
import { DURABILITY_BUGS } from './durability.ts';
import { PAGECACHE_BUGS } from './pagecache.ts';
import { EXT4_BUGS } from './ext4.ts';
import { GENERIC_BUGS } from './generic.ts';
import { GENERIC_DURABILITY_BUGS } from './genericDurability.ts';

export interface PlantedBug {
  /** kebab-case name of the defect. */
  readonly name: string;
  /** The kernel commit it re-creates ("synthetic" for one made up to give an invariant teeth). */
  readonly commit: string;
  readonly title: string;
  readonly year?: number;
  /** The seed lines (or kernel file) the change touches. */
  readonly lines: string;
  /** What goes wrong, in one sentence. */
  readonly what: string;
  /** The invariant expected to catch it. */
  readonly invariant: string;
  /** Present in the seed revision (fixed upstream later): the faithful seed has it. */
  readonly inSeed?: boolean;
  /** Replacement entries of the correct ops table, built from it (so wrappers can call the original). */
  readonly ops?: (base: Readonly<KernelOps>) => Partial<KernelOps>;
  readonly quirks?: WorldQuirks;
  /** The scenario and faults that expose it. */
  readonly scenario: Scenario;
  readonly faults: FaultProfile;
}

// ---------------------------------------------------------------------------------------------
// The catalogue: each invariant family's bugs (one file each, the shared builders in builders.ts),
// then the model ext4's, then the scripted filesystem's caller's (model/fs/genericCaller.ts).

export const BUGS: readonly PlantedBug[] = [
  ...LIFETIME_BUGS,
  ...ERRORS_BUGS,
  ...COMPLETION_BUGS,
  ...CONTEXTS_BUGS,
  ...WORKQUEUE_BUGS,
  ...ARGUMENTS_BUGS,
  ...RESULTS_BUGS,
  ...STALE_BUGS,
  ...CONTRACT_BUGS,
  ...DURABILITY_BUGS,
  ...PAGECACHE_BUGS,
  ...EXT4_BUGS,
  ...GENERIC_BUGS,
  ...GENERIC_DURABILITY_BUGS,
];

/** The ops table with the bug planted: on the correct model, or on another table (a release). */
export function opsFor(bug: PlantedBug, base: Readonly<KernelOps> = FIXED_OPS): Readonly<KernelOps> {
  return opsTable({ ...base, ...(bug.ops?.(base) ?? {}) });
}

export function bugByName(name: string): PlantedBug | undefined {
  return BUGS.find((b) => b.name === name);
}
