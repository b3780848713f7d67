/**
 * The explorer's speed on one small scenario (states per second), and as a stand-in the
 * exhaustive enumerator's (properties/support/enumerate.ts) scheduler steps per second.
 */
import { FIXED_OPS } from '../../model/kernel/ops.ts';
import { type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import { runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { explore as exploreEngine } from '../../properties/explore/engine.ts';
import { ExhaustiveChoices } from '../../properties/support/enumerate.ts';
import { CHECKS } from '../commands/campaign.ts';
import { now, perSecond, round } from './measure.ts';
import type { Sizes } from './options.ts';

const KiB = 1024;

/**
 * A small world: the model XFS, a direct write into an unwritten block racing a direct read of the
 * written block and the hole after it, with every interleaving and completion order.
 */
export const EXPLORER_SCENARIO: Scenario = {
  device: { logicalBlockSize: 512, fua: true, writeCache: true },
  fs: {
    model: 'xfs',
    blockSize: 4 * KiB,
    iSize: 12 * KiB,
    extents: [
      { offset: 0, length: 4 * KiB, type: 'mapped', addr: 64 * KiB },
      { offset: 4 * KiB, length: 4 * KiB, type: 'hole' },
      { offset: 8 * KiB, length: 8 * KiB, type: 'unwritten', addr: 72 * KiB },
    ],
  },
  bioMaxVecs: 1,
  threads: [
    [{ kind: 'dio_write', pos: 8 * KiB, len: 4 * KiB }],
    [{ kind: 'dio_read', pos: 0, len: 8 * KiB }],
  ],
};
const EXPLORER_FAULTS: FaultProfile = { ...NO_FAULTS, interleave: true, reorder: true };

export interface StandInSection {
  readonly what: string;
  /** Did the walk visit every choice path (false: it stopped at its time or path bound)? */
  readonly complete: boolean;
  readonly paths: number;
  /** Scheduler steps executed over every path, replayed prefixes included (no state hashing). */
  readonly states: number;
  /** Choice points first reached on each path (nodes of the choice tree). */
  readonly choicePoints: number;
  readonly ms: number;
  readonly statesPerSecond: number;
  readonly pathsPerSecond: number;
  readonly choicePointsPerSecond: number;
  readonly violations: number;
}

/** The explorer of properties/explore/engine.ts, when it is there to be measured. */
export interface EngineSection {
  readonly what: string;
  readonly available: boolean;
  /** Why it was not measured (missing, or it threw). */
  readonly note: string;
  readonly complete: boolean;
  readonly stoppedBy: string | null;
  readonly paths: number;
  /** Distinct state fingerprints. */
  readonly states: number;
  readonly ms: number;
  readonly statesPerSecond: number;
  readonly pathsPerSecond: number;
}

export interface ExplorerSection {
  readonly scenario: string;
  readonly maxMs: number;
  /** Which figure the target is judged on: the explorer if it ran, else the stand-in. */
  readonly judgedOn: 'explorer' | 'stand-in';
  readonly standIn: StandInSection;
  readonly engine: EngineSection;
}

const EXPLORER_SCENARIO_TEXT =
  'model XFS: dio_write 4 KiB into an unwritten block || dio_read 8 KiB; interleave + reorder';

function measureStandIn(sizes: Sizes): StandInSection {
  const src = new ExhaustiveChoices();
  const options = { source: src, faults: EXPLORER_FAULTS, probe: CHECKS, ops: FIXED_OPS };
  // Warm-up on a separate walk so that the JIT's work is not counted.
  const warm = new ExhaustiveChoices();
  for (let i = 0; i < 500; i++) {
    runScenario(EXPLORER_SCENARIO, { ...options, source: warm });
    if (!warm.advance()) break;
  }
  let paths = 0;
  let states = 0;
  let choicePoints = 0;
  let violations = 0;
  let previous: number[] = [];
  let complete = false;
  const t0 = now();
  for (;;) {
    const r = runScenario(EXPLORER_SCENARIO, options);
    paths++;
    states += r.steps;
    if (r.violation !== null) violations++;
    const path = src.path();
    let common = 0;
    while (common < path.length && common < previous.length && path[common] === previous[common]) common++;
    choicePoints += path.length - common;
    previous = path;
    if (!src.advance()) {
      complete = true;
      break;
    }
    if (paths >= sizes.explorerMaxPaths || now() - t0 >= sizes.explorerMaxMs) break;
  }
  const ms = now() - t0;
  return {
    what: 'stand-in: the exhaustive enumerator (properties/support/enumerate.ts), depth first over choice streams, every invariant checked; states = scheduler steps, replayed prefixes included, no state hashing',
    complete,
    paths,
    states,
    choicePoints,
    ms: round(ms, 1),
    statesPerSecond: round(perSecond(states, ms)),
    pathsPerSecond: round(perSecond(paths, ms)),
    choicePointsPerSecond: round(perSecond(choicePoints, ms)),
    violations,
  };
}

/** What the bench reads of the explorer's result (its module is loaded by name, not typed here). */
interface EngineResult {
  readonly complete: boolean;
  readonly stoppedBy: string | null;
  readonly paths: number;
  readonly states: number;
  readonly milliseconds: number;
}
type ExploreFn = (options: Record<string, unknown>) => EngineResult;

function measureEngine(sizes: Sizes): EngineSection {
  const what =
    'the explorer (properties/explore/engine.ts: state cache, sleep sets, fault budget 1); states = distinct state fingerprints';
  const none = (note: string): EngineSection => ({
    what,
    available: false,
    note,
    complete: false,
    stoppedBy: null,
    paths: 0,
    states: 0,
    ms: 0,
    statesPerSecond: 0,
    pathsPerSecond: 0,
  });
  const explore = exploreEngine as unknown as ExploreFn;
  try {
    const options = { scenario: EXPLORER_SCENARIO, faults: EXPLORER_FAULTS, maxFaults: 1 };
    explore({ ...options, timeLimitMs: Math.min(500, sizes.explorerMaxMs / 4) });
    const r = explore({ ...options, timeLimitMs: sizes.explorerMaxMs, maxPaths: sizes.explorerMaxPaths });
    const ms = r.milliseconds;
    return {
      what,
      available: true,
      note: 'the exhaustive explorer of `diocheck explore`',
      complete: r.complete,
      stoppedBy: r.stoppedBy,
      paths: r.paths,
      states: r.states,
      ms: round(ms, 1),
      statesPerSecond: round(perSecond(r.states, ms)),
      pathsPerSecond: round(perSecond(r.paths, ms)),
    };
  } catch (e) {
    return none(`the explorer threw: ${(e as Error).message.split('\n', 1)[0]}`);
  }
}

export async function measureExplorer(sizes: Sizes): Promise<ExplorerSection> {
  const standIn = measureStandIn(sizes);
  const engine = measureEngine(sizes);
  return {
    scenario: EXPLORER_SCENARIO_TEXT,
    maxMs: sizes.explorerMaxMs,
    judgedOn: engine.available ? 'explorer' : 'stand-in',
    standIn,
    engine,
  };
}
