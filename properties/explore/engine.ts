/**
 * The exhaustive small-scope explorer: walks every choice stream of one scenario depth first and
 * runs every invariant on every path.
 *
 * Like properties/support/enumerate.ts it is stateless in the model's sense: each path is a fresh
 * run that replays the answers of the path so far and explores past them, and backtracking moves
 * the deepest question that has an untried option to its next option. On top of that walk:
 *
 * - Fault budget. A question whose label is a fault class (faultClasses.ts) offers only option 0
 *   once the path has used its K faults, so paths with more than K faults are never run.
 * - State cache. At every question the world is fingerprinted (fingerprint.ts) and paired with
 *   each live context's view (a hash of what its steps read, the stand-in for its generator's
 *   locals; see Walk). The cache key is that state; for a question asked inside a step, also the
 *   state the step began in and the answers given since; and the question (label and arity). Each
 *   key keeps the visits explored from it, each with its sleep set and fault budget left. A
 *   question whose key had a visit with at least the budget left now and a sleep set contained in
 *   today's is not explored again: its subtree is (a superset of) the one already walked. The run
 *   stops there (a pruned path). properties/explore.test.ts checks on standard scopes that the
 *   pruned walk reaches exactly the states of the plain one.
 * - Sleep sets (Godefroid 1996) at scheduling questions. When the step of context t is explored
 *   after the steps of z1..zk from the same state, every zi independent of t goes to sleep in t's
 *   subtree: running zi next there would only reach, by swapping two independent steps, a state
 *   zi's own subtree already reached. A sleeping context is not offered until a step dependent on
 *   it runs. The independence relation is in `independent` below, with the argument for it.
 *
 * - Persistent sets (Godefroid 1996, ch. 4) of one step: when the step explored at a scheduling
 *   question is an interrupt's last and touches only what it owns (Walk.ownedOnly: release_bio),
 *   no other option of that question is explored: every other context's steps commute with it,
 *   so running it first loses no end state. Unlike sleep sets this removes states, not edges.
 *   End states are compared with the world's step stamps by rank (stamps.ts), which the state
 *   fingerprint hashes that way too, leaving the clock out.
 * - Errno classes at `bio_status` questions (CLASS_LABEL): one representative per renaming of the
 *   error statuses no kernel code tells apart.
 * - Context keys (fingerprint.ts contextKeys): contexts are named by what they serve (bio3), not
 *   by their spawn order, so completions spawned in another order reach the same state.
 * - Tasks' views of the shared state (Walk.taskFold): a task step folds into its view the fields
 *   of the world's, filesystem's and inode's roots it read (accessors put in where the replayed
 *   prefix ends) and the parts behind object fields it has read since (held), not the whole of
 *   them before every step: two tasks that each read the extent map once no longer tell apart
 *   every position of the other's steps between their own.
 *
 * The cache compares sleep sets (a visit prunes a later one only if every context asleep in it is
 * asleep in the later one too), so a state first explored with some contexts asleep never prunes a
 * later visit that must run them (the classic unsoundness of combining the two); such a revisit
 * runs only those contexts (`cached`).
 */
import { Bio } from '../../model/block/bio.ts';
import type { UserBuffer } from '../../model/mm/userBuffer.ts';
import { SECTOR_SHIFT } from '../../model/mm/tags.ts';
import type { RecordedChoice } from '../../model/runtime/choice.ts';
import { atomicsHook, type Refcounted } from '../../model/runtime/atomics.ts';
import { Context } from '../../model/runtime/context.ts';
import type { FaultProfile } from '../../model/runtime/faults.ts';
import { KObject } from '../../model/runtime/heap.ts';
import type { Bounds } from '../../model/runtime/runtime.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { FIXED_OPS, KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import type { Probe, WorldView } from '../../model/world/probe.ts';
import type { WorldQuirks } from '../../model/world/quirks.ts';
import { type RunOptions, type RunResult, runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { makeProbe } from '../invariants/registry.ts';
import { isFaultLabel } from './faultClasses.ts';
import { HashSet53 } from './hashSet.ts';
import { sortedInto } from './sorted.ts';
import { rankStamps } from './stamps.ts';
import {
  combine,
  contextId,
  FIELDS,
  rootPart,
  Hasher,
  hashString,
  objectId,
  OWN,
  SHARED,
  type Snapshot,
  TRACKED,
  WorldFingerprint,
  worldRoot,
} from './fingerprint.ts';

export interface ExploreOptions {
  readonly scenario: Scenario;
  /** The fault profile: which classes of choice the model asks at all (interleave for schedules). */
  readonly faults: FaultProfile;
  /** At most this many non-zero answers to fault questions on one path (faultClasses.ts). */
  readonly maxFaults: number;
  /** The seed functions (a planted bug's), and world quirks; the correct model (FIXED_OPS) by default. */
  readonly ops?: KernelOps;
  readonly quirks?: WorldQuirks;
  /** Every crash image at power loss (one choice per cached block); default: faults.powerLoss. */
  readonly crashImages?: boolean;
  /** Prune revisited (state, question) pairs; default true. */
  readonly prune?: boolean;
  /**
   * Explore bio error statuses up to a renaming of the non-EIO ones (CLASS_LABEL); default on for
   * the kernel's own ops tables (FIXED_OPS, KERNEL_VERSIONS) without quirks, off otherwise.
   */
  readonly errnoClasses?: boolean;
  /**
   * Shortest counterexamples (trails as short as a breadth-first search's): persistent sets are off
   * (an interrupt's release_bio run first lengthens a trail that ends before it needs it: BUG1 on
   * the aio read, 13 kernel steps for 12, 16 for 15); the state cache keeps each visit's kernel
   * steps (steps of contexts other than the device, the peer's trail measure) and prunes a revisit
   * only if an earlier visit reached the state in no more (the contexts' step counters in the
   * fingerprint make that rare); and the shortest violation is the one with the fewest kernel
   * steps, then questions. An invariant's id instead of true adds branch and bound: once a path
   * violated that invariant in k kernel steps, every path is cut (counted as pruned) at its first
   * new question with k steps taken, as it cannot end in a shorter violation. The walk then proves
   * the shortest trail of that invariant, not the absence of longer violations. Default false.
   */
  readonly shortest?: boolean | string;
  /** Sleep-set reduction of independent interleavings; default true. */
  readonly reduce?: boolean;
  /**
   * Persistent sets (with `reduce`): a scheduling question whose explored step is an interrupt's
   * last, touching only what no other context can touch (`ownedOnly`), explores no other option;
   * default: as `reduce`.
   */
  readonly persistent?: boolean;
  /**
   * Field-exact independence on heap objects (with `reduce`; `independent`): steps on disjoint
   * fields of one dio or bio, and decrements of its count that leave it above zero, commute;
   * default true. Off, a step that writes a heap object conflicts with every step that touches it.
   */
  readonly fieldExact?: boolean;
  /**
   * The order a scheduling question's options are explored in (any order is sound; `preferred`):
   * 'device-first' explores the device's step before the others (fewer paths and states for a
   * whole walk), 'list' in the runtime's list order (interrupts, then tasks, the device last: the
   * other contexts race ahead of the device on the first paths, which is where a planted race is
   * found soonest). Either way a step seen to be a persistent set on its own goes first. Default:
   * 'list' with `stopOn` (a hunt that stops at its violation), 'device-first' otherwise.
   */
  readonly order?: 'device-first' | 'list';
  /**
   * Fold the whole shared state (the world's, filesystem's and inode's components) into a task
   * step's view, as workqueue steps do, instead of what the task read of it (Walk.taskFold);
   * default false. The reference the finer views are checked against: properties/explore.test.ts
   * compares their end states on async-write-read in the soak tier (DIOSIM_TIER=soak; 71,067
   * paths, too slow for CI).
   */
  readonly wholeTaskViews?: boolean;
  /**
   * A task step that changed a request's user buffer folds the whole buffer before and after
   * into its view, instead of the entries it changed (Walk.foldBufferChange); default false. The
   * reference properties/explore.test.ts compares the finer views with on the SPIN scopes at N = 2.
   */
  readonly wholeBufferViews?: boolean;
  /**
   * Deliberately unsound, for the test that shows the comparison of views has teeth: a task
   * step's view folds nothing of the shared state it read (neither Walk.taskFold nor the shared
   * roots' fields in its read log), so paths whose tasks read different things merge.
   */
  readonly blindTaskViews?: boolean;
  /**
   * A step that delivered a result or returned from a call (a visible step: the checks then read
   * the whole world) never goes to sleep, but other steps may sleep across it when neither
   * touches what the other does (`independent`); default true. False: a visible step is dependent
   * on every other, as before session 12 (properties/explore.test.ts compares the two).
   */
  readonly sleepAcrossResults?: boolean;
  /**
   * The device's completions are transitions bio by bio (`Walk.deviceTid`): completing one bio
   * sleeps and wakes on its own, and touches the disk's queue, the request's buffer and the
   * allocator only where it does (part ids, `independent`), so a completion and the submitter's
   * next allocation or submission commute; default true. False: the device is one transition
   * for every bio in flight, as before session 13 (properties/explore.test.ts compares the two).
   */
  readonly deviceByBio?: boolean;
  /**
   * A step the runtime runs unasked, its context alone able to run, is checked as a question of
   * one option would be (`Walk.lone`): with `reduce`, the path is cut (sleep-blocked) when that
   * context is asleep; with `prune`, it is cut (pruned) at a state whose step was explored
   * before. The state before it is taken (`Walk.beforeStep`), so each step a context runs alone
   * is measured on its own, where two in a row were one step in its view. Only with
   * interleaving. Default true; false: such a step runs unchecked, as before session 15
   * (properties/explore.test.ts compares the two).
   */
  readonly loneSteps?: boolean;
  /** Stop (incomplete) once more distinct states than this were seen. */
  readonly maxStates?: number;
  /** Stop (incomplete) after this many paths. */
  readonly maxPaths?: number;
  /** Stop (incomplete) after this long. */
  readonly timeLimitMs?: number;
  /** Stop (incomplete, stoppedBy 'time') after this much CPU time of the process (process.cpuUsage). */
  readonly cpuLimitMs?: number;
  /** Stop at the first violation this accepts (the result is then incomplete, stoppedBy 'found'). */
  readonly stopOn?: (invariant: string) => boolean;
  /** Collect every world fingerprint seen, and each path's end state with its verdict (cross-checks). */
  readonly collectOutcomes?: boolean;
  readonly probe?: Probe;
  readonly bounds?: Bounds;
  /**
   * Called with each scheduled step's footprint as stored for sleep sets (a step eligible for
   * independence, `independent`): the context's kind and the components it may have read and
   * it wrote. For tests of the read sets.
   */
  readonly onFootprint?: (kind: string, reads: ReadonlySet<string>, writes: ReadonlySet<string>) => void;
}

export interface FoundViolation {
  readonly invariant: string;
  readonly message: string;
  /** The path's whole decision log: replay it with ReplayChoices. */
  readonly choices: readonly RecordedChoice[];
  /** Steps the path ran of contexts other than the device (SPIN's trail steps count those). */
  readonly kernelSteps: number;
}

export interface ViolationTally {
  /** Paths that ended in this invariant's violation. */
  readonly count: number;
  /** The shortest path found (fewest questions, then fewest deviations from option 0). */
  readonly shortest: FoundViolation;
}

/** Why a walk stopped before every path was walked; 'model-error' is a run that threw. */
export type StopReason = 'states' | 'paths' | 'time' | 'found' | 'model-error';

export interface ExploreResult {
  /** Every path was walked (no limit stopped the walk). */
  readonly complete: boolean;
  readonly stoppedBy: StopReason | null;
  /** Runs made: completed + pruned + sleep-blocked. */
  readonly paths: number;
  /** Runs that reached their end (pass, violation or bound). */
  readonly completedPaths: number;
  /** Runs stopped at a (state, question) already explored. */
  readonly prunedPaths: number;
  /** Runs stopped at a scheduling question whose every option was asleep. */
  readonly sleepBlockedPaths: number;
  /** Scheduling options skipped because their context was asleep. */
  readonly sleepSkips: number;
  /** Fault questions whose fault options were withheld (budget spent). */
  readonly faultCuts: number;
  /** Distinct states (world fingerprint and the contexts' views) seen at questions and path ends. */
  readonly states: number;
  readonly boundHits: number;
  readonly milliseconds: number;
  readonly violations: ReadonlyMap<string, ViolationTally>;
  /** The shortest violating path over all invariants, or null. */
  readonly shortest: FoundViolation | null;
  /** With collectOutcomes: hash of (end world state, verdict) of every completed path. */
  readonly outcomes: ReadonlySet<number>;
  /** With collectOutcomes: every world fingerprint seen between steps (at a scheduling question or path end; no views). */
  readonly worlds: ReadonlySet<number>;
  /**
   * With collectOutcomes: every state (world and views) seen between steps. `states` also counts
   * the keys of questions asked inside a step (its base state and the answers since), which depend
   * on the state the step began in: where a step is asleep, the walk reaches the state after it by
   * another order, not the questions inside it from there.
   */
  readonly between: ReadonlySet<number>;
  /** A run that threw something other than a finding (a model assertion): the walk stops there. */
  readonly modelError: { readonly message: string; readonly choices: readonly RecordedChoice[] } | null;
}

/** Thrown when a replayed prefix asks a different question: the model is not a function of its choices. */
export class ExploreDivergence extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExploreDivergence';
  }
}

/** Thrown out of the model to end a path early (never escapes explore()). */
class Cut {
  constructor(readonly why: 'pruned' | 'asleep') {}
}
const PRUNED = new Cut('pruned');
const ASLEEP = new Cut('asleep');

/**
 * A shared root's pseudo heap id (trackRoot), where its accessors find it: a symbol, which the
 * fingerprint's walk does not enumerate, set by assignment (defineProperty of a hidden `heapId`
 * cost a fifth of tracking the roots, which every path does again).
 */
const ROOT_ID = Symbol('root heap id');

interface Tracked {
  readonly heapId: number;
  [FIELDS]: unknown[];
  [SHARED]?: true;
  [ROOT_ID]: number;
}
/** The walk whose run is in progress: tracked fields report their reads to it. */
let reader: Walk | null = null;

/**
 * The accessor of a tracked field `key`, kept in slot `slot` of the object's FIELDS array: it
 * reports each read to `reader`, a heap object's to `onRead`; a shared root's (`root`) to
 * `onRootRead`, and a write that replaces an object there tells the reader (a local may keep the
 * old one). One per layout and field (`layoutOf`), shared by every object of that layout.
 */
function accessor(key: string, slot: number, root: boolean): PropertyDescriptor {
  const keyHash = hashString(key);
  return root
    ? {
        enumerable: true,
        configurable: true,
        get(this: Tracked): unknown {
          const value = this[FIELDS][slot];
          reader?.onRootRead(this, key, keyHash, value);
          return value;
        },
        set(this: Tracked, value: unknown): void {
          const old = this[FIELDS][slot];
          if (old !== value && typeof old === 'object' && old !== null)
            reader?.onRootReplace(this[ROOT_ID], key);
          this[FIELDS][slot] = value;
        },
      }
    : {
        enumerable: true,
        configurable: true,
        get(this: Tracked): unknown {
          const value = this[FIELDS][slot];
          reader?.onRead(this.heapId, keyHash, value);
          return value;
        },
        set(this: Tracked, value: unknown): void {
          const fields = this[FIELDS];
          // Field-exact writes (Walk.onWrite), for the independence of steps on one object.
          if (reader !== null) reader.onWrite(this, slot, keyHash, fields[slot]);
          fields[slot] = value;
        },
      };
}

interface Layout {
  /** An object's own fields in order, and whether each becomes a tracked accessor. */
  readonly keys: readonly string[];
  readonly tracked: readonly boolean[];
  /** The index of the first tracked field (keys.length if none): shareFields leaves those before it. */
  readonly from: number;
  /** Every field from `from` on is tracked (a heap object's, all but its heapId). */
  readonly rest: boolean;
  /**
   * Its class's prototype with one accessor per tracked field (`accessor`) and, under TRACKED,
   * the tracked fields' names in slot order (the fingerprint's walk names them so).
   */
  readonly proto: object;
}

/** Layouts by class prototype: one per order of own fields and choice of tracked ones. */
const layouts = new Map<object, Layout[]>();

/**
 * The layout of `obj` whose own fields are `keys` (Object.keys), those marked in `tracked` to be
 * tracked: made once per class and layout, not once per object and run (defineProperty on
 * each object put every tracked object into V8's dictionary mode, slowing every access to it).
 */
function layoutOf(obj: object, keys: readonly string[], tracked: readonly boolean[], root: boolean): Layout {
  const base = Object.getPrototypeOf(obj) as object;
  let list = layouts.get(base);
  if (list === undefined) {
    list = [];
    layouts.set(base, list);
  }
  search: for (const e of list) {
    if (e.keys.length !== keys.length) continue;
    for (let i = 0; i < keys.length; i++)
      if (e.keys[i] !== keys[i] || e.tracked[i] !== tracked[i]) continue search;
    return e;
  }
  const proto = Object.create(base) as object;
  const names = keys.filter((_, i) => tracked[i]);
  for (let i = 0; i < names.length; i++)
    Object.defineProperty(proto, names[i] as string, accessor(names[i] as string, i, root));
  Object.defineProperty(proto, TRACKED, { value: names, enumerable: false });
  Object.defineProperty(proto, OWN, { value: keys.filter((_, i) => !tracked[i]), enumerable: false });
  // The mark of a tracked object (fingerprint.ts protoInfo), here once rather than on each one.
  Object.defineProperty(proto, SHARED, { value: true, enumerable: false });
  const first = tracked.indexOf(true);
  const from = first < 0 ? keys.length : first;
  const e: Layout = {
    keys: [...keys],
    tracked: [...tracked],
    from,
    rest: tracked.every((t, i) => i < from || t),
    proto,
  };
  list.push(e);
  return e;
}

/**
 * Moves an object's tracked fields (its layout's; `values` are its own fields' values, as
 * Object.values gives them) to its FIELDS array and puts it over the layout's prototype. Its own
 * fields from the first tracked one on are deleted last first and the untracked ones among them
 * put back in their order: V8 undoes the deletion of an object's last-added field (the object
 * keeps its fast layout), where deleting any other field, or redefining it as an accessor, turns
 * the object into a dictionary (so does a private field declared after the public ones: World
 * declares its own first, a heap object's bookkeeping is KObject's first field, and every tracked
 * object stays fast). The untracked fields before the first tracked one (a heap object's heapId)
 * stay as they are: deleting and adding them again gave the same layout, at a runtime call each.
 * The values are read in one call (Object.values, in Object.keys' order: the layout's), not by
 * a keyed load per field, which meets every tracked class and goes megamorphic. The same object
 * (closures in its fields may hold it) with the same values.
 */
function shareFields(obj: object, layout: Layout, values: unknown[], rootId?: number): void {
  const rec = obj as Record<string, unknown>;
  const keys = layout.keys;
  const from = layout.from;
  for (let i = keys.length - 1; i >= from; i--) delete rec[keys[i] as string];
  let fields: unknown[];
  if (layout.rest) fields = from === 0 ? values : values.slice(from);
  else {
    const tracked = layout.tracked;
    fields = [];
    for (let i = from; i < keys.length; i++) {
      if (tracked[i] === true) fields.push(values[i]);
      else rec[keys[i] as string] = values[i];
    }
  }
  (obj as unknown as Tracked)[FIELDS] = fields;
  // Before the prototype changes: V8 caches no transition for a field added after
  // setPrototypeOf, so every root got a hidden class of its own on every run (1.3 µs and a map
  // allocated per root, and the model's and the fingerprint's inline caches on those objects
  // went megamorphic).
  if (rootId !== undefined) (obj as unknown as Tracked)[ROOT_ID] = rootId;
  Object.setPrototypeOf(obj, layout.proto);
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Heap objects' layouts: every own field tracked but the heap id (the object's name in the log). */
const heapLayouts = new Map<object, Layout>();

/** What one step did, as far as the explorer could observe. */
interface Footprint {
  /** The transition: its context, or a device completion's `deviceTid` (ExploreOptions.deviceByBio). */
  readonly ctx: number;
  /** Eligible for independence: see `independent`. */
  readonly local: boolean;
  /**
   * It delivered a result or returned from a call, where the checks read the whole world: it
   * never goes to sleep (it runs from every state where it can), but others may sleep across it
   * (see `independent`).
   */
  readonly visible: boolean;
  /** Components it may have read, and components it wrote (ids as in fingerprint.ts). */
  readonly reads: ReadonlySet<string>;
  readonly writes: ReadonlySet<string>;
  /**
   * Of the heap objects (obj:N) among those, the ones whose accesses are known field by field
   * (Walk.fieldAccess); any other is read or written whole.
   */
  readonly fields: ReadonlyMap<string, FieldAccess> | null;
}

/** What a step did to one heap object, field by field (fields named by their key's hash). */
interface FieldAccess {
  /** Every field it read (forgotten reads too: forget() concerns views, not what a step depends on). */
  readonly reads: ReadonlySet<number>;
  /** Every field whose value it changed; null: it changed more than its fields' setters say (the whole object). */
  readonly writes: ReadonlySet<number> | null;
  /**
   * Fields whose only access in the step was one atomic_dec_and_test that left them above zero
   * (atomicsHook), with the count left: see `fieldsApart`.
   */
  readonly decrements: ReadonlyMap<number, number> | null;
}

const DEPENDENT = (ctx: number): Footprint => ({
  ctx,
  local: false,
  visible: false,
  reads: new Set(),
  writes: new Set(),
  fields: null,
});

/** The disk's components (fingerprint.ts): its queue and counters, its cache, its media. */
const DISK_PARTS: ReadonlySet<string> = new Set(['disk', 'disk.cache', 'disk.media']);

/** The questions a device step asks to complete a bio (Disk.step): which one, its status, what reached the disk. */
const DEVICE_LABELS: ReadonlySet<string> = new Set([
  'complete_which',
  'bio_status',
  'failed_write_written',
  'failed_write_written_sectors',
]);

/**
 * Does a device step only complete a bio? Not with power loss or destaging (they move the cache
 * to media and stop every context), nor with the world's step hooks active (background log
 * commits and writeback read the filesystem and submit bios), nor with the planted late DMA.
 */
function completionOnly(w: WorldView): boolean {
  const f = w.rt.faults;
  return !f.powerLoss && !f.destage && !f.backgroundLog && !f.writeback && !w.disk.lateWriteDma;
}

/** Components whose write makes a step dependent on every other step. */
const GLOBAL_COMPONENTS = new Set([
  'world',
  'disk',
  'disk.cache',
  'disk.media',
  'xfs',
  'inode',
  'xfsFile',
  'buffered',
  'fs',
]);

/**
 * Components the model writes and never reads: a kiocb's accounting (IocbAccounting) exists for
 * the checkers, which read it from the world (so it is part of every fingerprint). No step's
 * behaviour depends on it, so it is neither in a view nor in a read set (writes still conflict).
 */
const WRITE_ONLY = /\.acct$/;

/**
 * Shared state that code outside interrupts may read without going through the heap. The disk's
 * data (DISK_DATA) is not among them: the only reader of it inside a step is Disk.readTag (a
 * buffered read), which `attach` watches on this world's instance, so a step folds the disk's data
 * into its view only when it read it. Log recovery reads the media after the run, outside steps.
 */
const TASK_READS = ['world', 'xfs', 'inode', 'xfsFile', 'buffered', 'fs'];
/** The world's fields that are component roots (fingerprint.ts collectRoots). */
const FIXED_ROOTS = ['disk', 'xfs', 'inode', 'xfsFile', 'buffered', 'fs'];
/** The pseudo heap id of the i-th shared root in read logs is this less i (trackRoot; below forget's -1). */
const ROOT_HEAP_ID = -16;
/** The world's lists of records: read through `this` each time, never kept (Walk.onRootRead). */
const LOGGED: ReadonlySet<string> = new Set(['requests', 'syncs', 'fileOps', 'tasks', 'pendingTaskWork']);
/** The read log's value for a part a task now holds (Walk.onRootRead). */
const HELD = 0x2c1b3c6d;

/** A plain object whose own fields are all scalars (a lock, a geometry record): an inner root. */
function scalarRecord(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || Array.isArray(v)) return false;
  const rec = v as Record<string, unknown>;
  let n = 0;
  // The own fields first: most objects a root holds (the disk, the journal) fail there, before
  // the lookups below, each of which walks the prototype chain of an object of another class.
  // By for-in (Object.keys' own keys, without a list of them per object and run).
  for (const key in rec) {
    if (!Object.hasOwn(rec, key)) continue;
    const x = rec[key];
    if ((typeof x === 'object' && x !== null) || typeof x === 'function') return false;
    n++;
  }
  if (v instanceof Map || v instanceof Set || v instanceof KObject || v instanceof Context) return false;
  // A record runs share (a planted bug's quirks) was made a root by an earlier run (trackRoot):
  // its tracked fields are in FIELDS, and it is a record as it was then.
  const fields = (v as Partial<Tracked>)[FIELDS];
  if (fields !== undefined) {
    for (const x of fields) if (typeof x === 'object' && x !== null) return false;
    n += fields.length;
  }
  return n > 0;
}
const DISK_DATA = ['disk.cache', 'disk.media'];

/**
 * The independence relation. Two steps taken from the same state are independent when neither
 * writes what the other reads or writes; then they commute (either order ends in the same state)
 * and neither enables or disables the other (runnability is the context's own state, which only a
 * write to it changes). What a step writes is observed exactly: the components whose hash changed
 * (fingerprint.ts), less its own context's step counter. What it reads is over-approximated:
 * - every component it wrote, every heap object it used (heap.use, heap.free) or read a field of
 *   (the read log), and its own context (its sleep state, which a wake-up writes);
 * - for code outside interrupts (task, workqueue, issuer) also the shared state such code reads
 *   without the heap: the world's records, the filesystem, inode and page cache, and the disk's
 *   data (TASK_READS). Interrupt code (bio completion) reads only its bio and dio (logged field by
 *   field), the kiocb and buffer they point to (components of their own, req:N.iocb and
 *   req:N.buf, whose fields log nothing: every request part a context read a reference to is
 *   read by each of its later steps, Walk.holdRequest) and, to queue work, the superblock, right
 *   before a spawn that makes the step dependent anyway.
 * A step is not eligible at all (dependent on every step) when it is the device's doing more than
 * complete a bio (`completionOnly`; a completion's footprint is `deviceFootprint`), asked a question of its own
 * (its effect then depends on the answer), allocated a heap object (heap ids follow allocation
 * order), woke a task (wake_up_process reads the task's state: a wake-up before the task's
 * set_current_state leaves it to sleep, one after makes it run; and it writes that state only
 * in the second case), spawned a context (scheduling order follows spawn order; but see
 * `completionOnly` for the device's interrupts), or wrote any of GLOBAL_COMPONENTS.
 *
 * With ExploreOptions.deviceByBio (session 13) the device's completions are transitions bio by
 * bio: the completion of bio k (`deviceTid`) sleeps and wakes on its own, and a `complete_which`
 * question skips the bios whose completion is asleep at the scheduling question that ran the
 * device (`bioSkips`; the device's option is asleep when every bio it may complete is,
 * `blockedOptions`). A completion's footprint (`bioFootprint`) names parts of the disk and of
 * its request's buffer, not the whole (PART_MARK, `wholeMeetsPart`): its place in the queue, the
 * device's counters, the pages it covers. On the task side, a step that only appended bios to
 * the queue (`appendedBios`) names their places and the submission counters, and a step that
 * changed a buffer's pages only names those pages (`bufferParts`); an allocation is no longer
 * dependent on every step but reads and writes HEAP_ALLOC, which only other allocations touch
 * (heap ids follow allocation order; nothing else reads the heap's serial). So a completion
 * commutes with the submitter's allocation, page-get and submission of the next bio: one
 * as one transition for every bio in flight it did not, since the submission enables the completion
 * of a new bio that the device's earlier exploration did not cover.
 *
 * A step that delivered a result or returned from a call is visible (Footprint.visible): the
 * checks then read the whole world, so the step must run from every reachable state where it can,
 * and it never goes to sleep (`a.visible`, `a` being the candidate sleeper). Another step z may
 * sleep across it as across any step it commutes with: z checks nothing, records no stamp (a step
 * that does starts a request, writing the world, or delivers a result) and, asleep, has been
 * explored first from an earlier state, in whose subtree the visible step ran after z with its
 * checks; from there on the two orders are one state (the checks keep nothing between calls but
 * a cache: properties/invariants/data.ts writesOf). Before session 12 a visible step was
 * dependent on every other (ExploreOptions.sleepAcrossResults false): at aio read N = 3 the
 * device's completions and the interrupts were walked again after the submitter's return, 7,563
 * paths for 5,895 now.
 *
 * Heap objects (dios and bios) are refined field by field where both steps' accesses to the
 * object are known so (Walk.fieldAccess): then one's write to the object conflicts only if it
 * changed a field the other read or changed (`fieldsApart`). Field-exact because every field of
 * a tracked heap object is an accessor: its getter logs each read (forgotten ones too) and its
 * setter each write with the value it replaced; a step's change to the object counts as its
 * fields' writes only when undoing those writes gives back the object's hash before the step
 * (nothing inside it, such as the dio's work item, changed behind the setters), else it writes
 * the whole object. Liveness is a field too: heap.use reads `freed`, and a free, which removes
 * the object's component, writes the whole object. Two steps that touch disjoint fields of one
 * object commute as steps on two objects do: either order leaves each field as the step that
 * wrote it left it, and each step reads the same values. Both orders also fold the same reads into
 * each context's view (which holds only what a step read of a heap object).
 *
 * One kind of overlap commutes too: two atomic_dec_and_test of one count that each leave it above
 * zero, when that decrement is the only access either step makes to the field (atomicsHook; the
 * caller branches only on the verdict, and its view keeps only that, Runtime.forget). From a
 * state with count c both orders end with c - 2 and the same verdicts if c - 2 > 0, that is if the
 * later-measured step left c - 1 >= 2. A sleeping step's footprint may be older than the step it
 * is checked against, measured where the count was higher: every step taken since was
 * independent of it, so none but such decrements wrote the count (an atomic_inc writes it
 * otherwise), and the count only fell. So both counts left must be at least 2 (the smaller one is
 * the current state's). Then submitting completions of one dio, each dropping a reference that is
 * not the last, commute; the one that drops the last, or sets dio->error first (cmpxchg), does not.
 */
function independent(a: Footprint, b: Footprint): boolean {
  if (a.ctx === b.ctx || !a.local || !b.local || a.visible) return false;
  for (const x of a.writes) {
    if ((b.reads.has(x) || b.writes.has(x)) && !fieldsApart(a, b, x) && !partial(x)) return false;
    if (wholeMeetsPart(x, b.reads) || wholeMeetsPart(x, b.writes)) return false;
  }
  for (const x of b.writes) {
    if (a.reads.has(x) && !fieldsApart(a, b, x) && !partial(x)) return false;
    if (wholeMeetsPart(x, a.reads)) return false;
  }
  return true;
}

/**
 * Part ids (`deviceTid`): a step that touches only some parts of a component names each part
 * (`disk@q:3`, `req:1.buf@2`) and the component with PART_MARK (`disk~`), not the component. Two
 * such steps conflict on a part they share; one that touches the whole component conflicts with
 * every step that touches a part of it.
 */
const PART_MARK = '~';
const PART_SEP = '@';

function partial(x: string): boolean {
  return x.endsWith(PART_MARK);
}

/**
 * In each of `sets`, `component` touched only in `parts`: each part (`component@part`) and the
 * component's PART_MARK instead of the component itself.
 */
function touchParts(
  sets: readonly Set<string>[],
  component: string,
  parts: ReadonlyArray<string | number> | ReadonlySet<number>,
): void {
  for (const set of sets) {
    set.delete(component);
    set.add(component + PART_MARK);
    for (const p of parts) set.add(`${component}${PART_SEP}${p}`);
  }
}

/** Does `x` (written) conflict with a part access in `set`: `x` whole and `set` has a part of it, or the reverse? */
function wholeMeetsPart(x: string, set: ReadonlySet<string>): boolean {
  if (partial(x)) return set.has(x.slice(0, -1));
  return set.has(x + PART_MARK);
}

/** Do `a` and `b`, both touching heap object `id` and one writing it, touch no field in conflict? */
function fieldsApart(a: Footprint, b: Footprint, id: string): boolean {
  const fa = a.fields?.get(id);
  const fb = b.fields?.get(id);
  if (fa === undefined || fb === undefined) return false;
  return writesApart(fa, fb) && writesApart(fb, fa);
}

/** Does no field `fa` changed meet a field `fb` read or changed, but for commuting decrements? */
function writesApart(fa: FieldAccess, fb: FieldAccess): boolean {
  if (fa.writes === null) return false;
  if (fa.writes.size === 0) return true;
  if (fb.writes === null) return false;
  for (const key of fa.writes) {
    if (!fb.reads.has(key) && !fb.writes.has(key)) continue;
    const da = fa.decrements?.get(key);
    const db = fb.decrements?.get(key);
    if (da === undefined || db === undefined || Math.min(da, db) < 2) return false;
  }
  return true;
}

interface Node {
  readonly label: string;
  /** The arity the model asked. */
  readonly n: number;
  /** Options explored: n, or 1 once the fault budget is spent. */
  readonly limit: number;
  readonly fault: boolean;
  value: number;
  /** Scheduling questions with reduction: the context of each option, the sleep set, footprints. */
  readonly ctx: readonly number[] | null;
  readonly sleep: ReadonlyMap<number, Footprint> | null;
  /** Scheduling questions with reduction: the options asleep (`Walk.blockedOptions`). */
  readonly blocked: ReadonlySet<number> | null;
  /** A `complete_which` question with ExploreOptions.deviceByBio: the options asleep (`Walk.bioSkips`). */
  readonly skip: ReadonlySet<number> | null;
  /**
   * A revisit of a cached state (see `cached`): only these contexts' options are explored, the
   * ones asleep at every earlier visit but awake now; null: every awake option.
   */
  readonly only: ReadonlySet<number> | null;
  readonly done: Map<number, Footprint> | null;
  /**
   * The step explored here was found to be a persistent set on its own (`ownedOnly`): no other
   * option of this question is explored after it.
   */
  stop: boolean;
  /**
   * The option explored first (`preferred`); the others follow in order (`nextOption`). 0 but
   * where a context's next step was seen to be a persistent set on its own before.
   */
  readonly first: number;
  /** Scheduling questions with persistent sets: each option's step signature (`stepSignature`). */
  readonly sigs: readonly number[] | null;
  /** The walk's bookkeeping when the question was asked, restored when a later path branches here. */
  readonly saved: Saved | null;
}

/** A point between steps the walk has accounted for: its snapshot and each context's step count. */
interface Base {
  readonly snap: Snapshot;
  /**
   * The live contexts then, and each one's step counter and kind in the same order (lists, not
   * maps: a handful of contexts, and a base is made per step).
   */
  readonly contexts: readonly number[];
  readonly steps: readonly number[];
  readonly kinds: readonly string[];
  readonly results: number;
  readonly rtStep: number;
  /** The context whose step was in progress (a question inside it), or null between steps. */
  readonly current: number | null;
  /** The contexts' views then (viewsHash): with `snap.full`, the state. */
  readonly views: number;
  /** With field-exact independence: each request's kiocb accounting then (`acctValues`), by request id. */
  readonly accts: ReadonlyMap<number, readonly unknown[]> | null;
  /** Each request's user buffer then (`bufferEntries`), by request id: what a step changed of it (`measured`, `ownedOnly`). */
  readonly bufs: ReadonlyMap<number, readonly number[]>;
  /**
   * With ExploreOptions.deviceByBio: the disk's queue then (values: a base serves later runs,
   * whose bios are other objects), and its counters of device work.
   */
  readonly inFlight: readonly QueuedBio[];
  readonly diskDone: number;
}

/** Saved's empty collections, shared (restore copies what it keeps). */
const NO_NUMBERS: ReadonlySet<number> = new Set();
const NO_STRINGS: ReadonlySet<string> = new Set();
const NO_READS: readonly number[] = [];
const NO_PARTS: ReadonlyMap<number, ReadonlySet<string>> = new Map();

interface Saved {
  readonly base: Base;
  readonly views: ReadonlyMap<number, number>;
  readonly lastSched: LastSched | null;
  /** Inside a step: what it has done so far (answers, heap objects used, an allocation). */
  readonly since: Hasher;
  readonly inside: Hasher;
  readonly answersInside: number;
  readonly deviceAnswers: number;
  readonly used: ReadonlySet<number>;
  readonly allocated: boolean;
  readonly woke: boolean;
  readonly diskRead: boolean;
  readonly reads: readonly number[];
  readonly forgotten: ReadonlySet<string>;
  readonly held: ReadonlyMap<number, ReadonlySet<string>>;
  readonly heldStep: ReadonlySet<string>;
  readonly replaced: ReadonlySet<string>;
  readonly requestHeld: ReadonlyMap<number, ReadonlySet<string>>;
}

/**
 * One visit of a cached state: its sleep set (sorted context-key hashes), fault budget left and,
 * with ExploreOptions.shortest, the kernel steps taken to it (0 otherwise).
 */
interface Visit {
  readonly asleep: readonly number[];
  readonly left: number;
  readonly depth: number;
}

/** x ∈ a, a sorted ascending. */
function sortedContains(a: readonly number[], x: number): boolean {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const y = a[mid] as number;
    if (y === x) return true;
    if (y < x) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/**
 * What the cache says of a question (see Walk.cached): prune it, explore every option, or (a
 * revisit of a scheduling question) explore only the contexts in `wake` with sleep set `asleep`.
 */
type Revisit = 'prune' | 'all' | { readonly wake: readonly number[]; readonly asleep: readonly number[] };
const PRUNE: Revisit = 'prune';
const EXPLORE_ALL: Revisit = 'all';

/** a ⊆ b, both sorted ascending. */
function sortedSubset(a: readonly number[], b: readonly number[]): boolean {
  let j = 0;
  for (const x of a) {
    while (j < b.length && (b[j] as number) < x) j++;
    if (j >= b.length || b[j] !== x) return false;
    j++;
  }
  return true;
}

interface LastSched {
  readonly node: Node;
  /** rt.step while the chosen step runs. */
  readonly stepNo: number;
}

/** Results delivered, calls returned: a change means the checks ran on the whole world. */
function resultCount(w: WorldView): number {
  let n = 0;
  for (const r of w.requests) n += r.completions.length + (r.returned === null ? 0 : 1);
  for (const s of w.syncs) n += s.returned === null ? 0 : 1;
  for (const f of w.fileOps) n += f.returned === null ? 0 : 1;
  return n;
}

const SCHEDULE = 'schedule';
/**
 * Errno classes. The device's error statuses (BIO_ERROR_STATUSES: IOERR, NOSPC, TIMEOUT, MEDIUM,
 * options 1 to 4 of `bio_status`) reach the caller as errnos that the kernel's code (FIXED_OPS and
 * every KERNEL_VERSIONS table) only copies and compares with 0 or with each other, with one
 * exception: XFS turns a failed log or writeback bio into -EIO whatever its status, so EIO can
 * meet a data error and must stay its own class. The other three are interchangeable: a path
 * whose statuses differ by a renaming of NOSPC, TIMEOUT and MEDIUM behaves the same up to that
 * renaming. With classes on, a bio_status question offers 0, IOERR, the non-EIO statuses this
 * path already used, and the first unused one (restricted growth: NOSPC before TIMEOUT before
 * MEDIUM), so one representative of each class pattern is walked; recorded answers are real
 * statuses and replay as they are. Planted bugs may tell statuses apart (medium-errors-ignored,
 * errors-reported-as-eio), so classes are off by default for any other ops table or with quirks.
 */
const CLASS_LABEL = 'bio_status';
/** Tags the part of a forgotten read that stays live (Runtime.forget's `keep`). */
const KEPT = 0x51ed270b;
/** The option explored after option `v` of `node`: `node.first`, then the others in order. */
function nextOption(node: Node, v: number): number {
  let next = v === node.first ? 0 : v + 1;
  if (next === node.first) next++;
  return next;
}

/** Is context `id` left out at a scheduling question: asleep, or not among the ones a revisit wakes? */
function skipped(id: number, blocked: ReadonlySet<number> | null, only: ReadonlySet<number> | null): boolean {
  return blocked?.has(id) || (only !== null && !only.has(id));
}

/**
 * Transition ids of the device's completions bio by bio (ExploreOptions.deviceByBio), in sleep
 * sets and done maps beside context ids (which are positive): DEV_TID less the bio's serial.
 */
const DEV_TID = -1_000_000;

function deviceTid(serial: number): number {
  return DEV_TID - serial;
}

/** The name a completion's transition has in the cache's sleep sets (a context's is its key). */
function tidName(serial: number): string {
  return `device>bio${serial}`;
}

/**
 * Are the live contexts (ids) those of `before` in its order, less `ctx` if it is no longer
 * `alive`, and (a completing `device`) apart from contexts new since? Without lists of either.
 */
function sameContexts(
  live: readonly Context[],
  before: readonly number[],
  ctx: number,
  alive: boolean,
  device: boolean,
): boolean {
  let j = 0;
  for (let i = 0; i < live.length; i++) {
    const id = (live[i] as Context).id;
    if (device && !before.includes(id)) continue;
    if (!alive && before[j] === ctx) j++;
    if (j >= before.length || before[j] !== id) return false;
    j++;
  }
  if (!alive && before[j] === ctx) j++;
  return j === before.length;
}

/** A request's user buffer's component id (fingerprint.ts requestIds). */
const BUF_ID = /^req:(\d+)\.buf$/;
/** The component id a finished context's own step names itself by (it has no key any more). */
const OWN_UNKNOWN = 'ctx:?';

interface RequestBuf {
  readonly buf: UserBuffer;
  /** The buffer's entries before the step (`bufferEntries`). */
  readonly before: readonly number[];
  /** Pages before this one the request's iter has consumed. */
  readonly behind: number;
}

/** Does `a` equal `b` from index `at` of `b` on (for `a`'s length)? */
function sameFrom(a: ArrayLike<number>, b: ArrayLike<number>, at: number): boolean {
  if (at + a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[at + i]) return false;
  return true;
}

/** The scalars at the end of `bufferEntries`. */
const BUF_SCALARS = 2;

/**
 * A user buffer's entries in one array: its tags, pins, dirty and DMA bits, then its scalars
 * (the first unmapped page, whether its result was delivered), for `Walk.foldBufferChange`. A
 * plain array: a typed one (an ArrayBuffer behind it) cost 1 % of a walk to allocate, at each
 * base whose buffer changed and each step that changed one.
 */
function bufferEntries(b: UserBuffer): number[] {
  const out: number[] = [];
  pushAll(out, b.tags);
  pushAll(out, b.pins);
  pushAll(out, b.dirty);
  pushAll(out, b.dmaFilled);
  out.push(b.unmappedFrom, b.delivered ? 1 : 0);
  return out;
}

function pushAll(out: number[], a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) out.push(a[i] as number);
}

/** Does `b` still hold the entries `e` (`bufferEntries`)? */
function sameEntries(b: UserBuffer, e: readonly number[]): boolean {
  const pinsAt = b.tags.length;
  const dirtyAt = pinsAt + b.pins.length;
  const dmaAt = dirtyAt + b.dirty.length;
  const end = dmaAt + b.dmaFilled.length;
  if (e.length !== end + BUF_SCALARS) return false;
  if (!sameFrom(b.tags, e, 0) || !sameFrom(b.pins, e, pinsAt)) return false;
  if (!sameFrom(b.dirty, e, dirtyAt) || !sameFrom(b.dmaFilled, e, dmaAt)) return false;
  return e[end] === b.unmappedFrom && e[end + 1] === (b.delivered ? 1 : 0);
}

/** idKind: an id to leave out of a step's view (WRITE_ONLY), a heap object's (obj:N), any other. */
const ID_WRITE_ONLY = -2;
const ID_OBJECT = -3;
const ID_OTHER = -1;
const idKinds = new Map<string, number>();

/**
 * What Walk.measured asks of a component id, worked out once per id (ids repeat from step to
 * step, where two regular expressions and a prefix test per id cost 0.7 % of the explorer's
 * instructions): ID_WRITE_ONLY, ID_OBJECT, a user buffer's request id (BUF_ID) or ID_OTHER.
 */
function idKind(id: string): number {
  let k = idKinds.get(id);
  if (k === undefined) {
    const m = BUF_ID.exec(id);
    if (WRITE_ONLY.test(id)) k = ID_WRITE_ONLY;
    else if (id.startsWith('obj:')) k = ID_OBJECT;
    else k = m === null ? ID_OTHER : Number(m[1]);
    idKinds.set(id, k);
  }
  return k;
}

/** A request's kiocb accounting's component id (fingerprint.ts requestIds). */
const ACCT_ID = /^req:(\d+)\.acct$/;
/** The accounting fields a device step changes (Disk.step: bios ended, the errnos of failed ones). */
const DEVICE_ACCT: ReadonlySet<number> = new Set([hashString('biosEnded'), hashString('bioErrors')]);

/** A field of a kiocb's accounting as compared before and after a step: an array by its contents. */
function acctValue(v: unknown): unknown {
  return Array.isArray(v) ? v.join(',') : v;
}

/** A kiocb accounting's fields in order (Walk.acctFields). */
function acctValues(acct: object): unknown[] {
  const rec = acct as Record<string, unknown>;
  const out: unknown[] = [];
  for (const key of Object.keys(rec)) out.push(acctValue(rec[key]));
  return out;
}

/** One heap object's field accesses as heapFields collects them. */
interface HeapAccess {
  reads: Set<number>;
  writes: Set<number> | null;
  decrements: Map<number, number> | null;
}

/** The entry of `heapId` in `byId`, made empty if absent (a function, not a closure per call). */
function heapEntry(byId: Map<number, HeapAccess>, heapId: number): HeapAccess {
  let e = byId.get(heapId);
  if (e === undefined) {
    e = { reads: new Set(), writes: new Set(), decrements: null };
    byId.set(heapId, e);
  }
  return e;
}

/** dio->iocb's field hash: what a device step reads of a dio (Walk.fieldAccess). */
const IOCB_KEY = hashString('iocb');

/** WorldFingerprint's hash of one component (its `component`, private there). */
interface ComponentHasher {
  component(o: object, id: string, rest: Map<string, number>): number;
}

/** A bio in the disk's queue as a base keeps it: its serial, request and pages (bioFootprint). */
interface QueuedBio {
  readonly serial: number;
  /** The request whose buffer it covers, or -1 (no user buffer). */
  readonly req: number;
  readonly firstPage: number;
  readonly pages: number;
}

const NO_BIOS: readonly QueuedBio[] = [];

function queued(w: WorldView): QueuedBio[] {
  const out: QueuedBio[] = [];
  for (const b of w.disk.inFlight) {
    const r = b.buf === null ? undefined : w.requests.find((x) => x.buf === b.buf);
    out.push({ serial: b.serial, req: r?.id ?? -1, firstPage: b.pinnedFirstPage, pages: b.pinnedPageCount });
  }
  return out;
}

/** The part every allocating step reads and writes (the heap's serial), with deviceByBio. */
const HEAP_ALLOC = 'heap.alloc';

/**
 * The bio a device step completed: the one bio missing from the disk's queue since `base`, the
 * rest in order, and nothing added. Null otherwise (the step is then the whole device's).
 */
function completedBio(w: WorldView, base: Base): QueuedBio | null {
  const before = base.inFlight;
  const now = w.disk.inFlight;
  if (now.length !== before.length - 1) return null;
  let gone: QueuedBio | null = null;
  let j = 0;
  for (const b of before) {
    if (j < now.length && (now[j] as Bio).serial === b.serial) j++;
    else if (gone === null) gone = b;
    else return null;
  }
  return gone;
}

/**
 * The bios a task step appended to the disk's queue, when that is all it did to the disk (the
 * queue before is a prefix of the queue after, the disk's data and the counters of its own work
 * unchanged); null otherwise. Queueing a bio (Disk.queueBio) reads the disk only to append: its
 * serial and submission counter, which no device step touches, and the queue, whose other bios
 * a completion removes without moving the new ones (either order leaves the same queue).
 */
function appendedBios(w: WorldView, base: Base, writes: ReadonlySet<string>): Bio[] | null {
  if (writes.has('disk.cache') || writes.has('disk.media') || diskDone(w) !== base.diskDone) return null;
  const before = base.inFlight;
  const now = w.disk.inFlight;
  if (now.length <= before.length) return null;
  for (let i = 0; i < before.length; i++)
    if ((now[i] as Bio).serial !== (before[i] as QueuedBio).serial) return null;
  return now.slice(before.length);
}

/** The disk's counters of what only its own steps do (complete bios, flush, lose power). */
function diskDone(w: WorldView): number {
  const d = w.disk;
  return combine(combine(d.completed, d.flushes), d.poweredOff ? 1 : 0);
}

/** The pseudo-context of code that runs outside any context (the world's idle loop, end-of-run). */
const WORLD_CTX = 0;

/**
 * The walk: a ChoiceSource that replays the current path's answers and explores past them.
 *
 * Generator locals are invisible to fingerprints, so each live context carries a view: a hash
 * folded over its steps of what each step could have read. When exactly one step ran between two
 * questions (the usual case once interleaving is on: every step starts with a scheduling question)
 * the step is measured precisely: the components it wrote (diff of the snapshots before and after),
 * each with its hash before and after, except heap objects (dios and bios), of which it folds in
 * only the fields it read and the values it found (the read log, `track`), less the reads the model
 * declared dead (Runtime.forget: the count an atomic_inc checked, an atomic_dec_and_test's count
 * beyond its verdict, cmpxchg's discarded old value, the disk queue a submit_bio appended to), and
 * the answers given during the step; a step of a task, workqueue or
 * issuer also folds in the shared state such code reads without heap.use, as it was before the
 * step (TASK_READS). Otherwise every context that stepped folds in the whole state before and
 * after and every answer since (conservative). A context spawned by a step starts from that step's
 * hash (its generator's arguments and closure come from the spawner: which work item a workqueue
 * context runs). The device has no view: its step is a plain function, nothing survives it. Two
 * paths whose world and views agree have contexts that read the same things: their futures agree.
 */
class Walk {
  readonly nodes: Node[] = [];
  private depth = 0;
  private faultsUsed = 0;
  /** Highest bio_status answer on this path so far, at least 1 (errno classes: see CLASS_LABEL). */
  private statusMax = 1;
  private world: WorldView | null = null;
  private fp: WorldFingerprint | null = null;
  /** State key → the visits explored from it: the sleep set each had and its fault budget left. */
  private readonly cache = new Map<number, Visit[]>();
  /** Distinct states (numbers in a typed array: see HashSet53). */
  readonly states = new HashSet53();
  /** World fingerprints seen (collected only for cross-checks). */
  worlds: Set<number> | null = null;
  /** States (world and views) seen between steps (collected only for cross-checks). */
  between: Set<number> | null = null;
  private views = new Map<number, number>();
  private base: Base | null = null;
  /** Every answer since the base, and the answers other than scheduling ones (asked inside steps). */
  private readonly since = new Hasher();
  private readonly inside = new Hasher();
  private answersInside = 0;
  /** Of those, answers to the device's completion questions (DEVICE_LABELS). */
  private deviceAnswers = 0;
  private readonly used = new Set<number>();
  private allocated = false;
  /** The step called wake_up_process (see `independent`). */
  private woke = false;
  private diskRead = false;
  /**
   * The read log of the step in progress: (heap id, field, value hash) of every field of a heap
   * object read since the base, less what forget() declared dead; see `track`.
   */
  private reads: number[] = [];
  /** Components (not heap objects) whose reads in this step forget() declared dead. */
  private readonly forgotten = new Set<string>();
  /**
   * Field-exact accesses to heap objects since the base (`fieldAccess`): (heap id, field) of every
   * read, forgotten or not; each write's object, slot in its FIELDS, field and the value it
   * replaced; (heap id, field, count left) of each atomic_dec_and_test that left a count above zero.
   */
  private readonly fieldReads: number[] = [];
  private readonly writeObjs: Tracked[] = [];
  private readonly writeSlots: number[] = [];
  private readonly writeKeys: number[] = [];
  private readonly writeOld: unknown[] = [];
  private readonly decrements: number[] = [];
  /** The node this run branches at (its last replayed question; -1 on the first run). */
  private branchAt = -1;
  /** Step signatures (`stepSignatures`) whose step was a persistent set on its own. */
  private readonly owned = new Set<number>();
  /**
   * Above 0 while the explorer itself reads the world (snapshots, value hashes, its own calls
   * from the model: next, the step hooks, attach, finish): those reads are not the model's.
   */
  private quiet = 0;
  /**
   * On while the run replays the prefix before its branch question: everything the walk would
   * record there is replaced by the branch node's saved bookkeeping (restore), so it is not kept.
   */
  private replaying = false;
  private lastSched: LastSched | null = null;
  /** Heap objects the replayed prefix allocated, not yet tracked (trackPrefix). */
  private readonly untracked: KObject[] = [];
  private readonly labelHashes = new Map<string, number>();
  faultCuts = 0;
  sleepSkips = 0;
  /** ExploreOptions.shortest. */
  shortest = false;
  /** With ExploreOptions.shortest's branch and bound: the fewest kernel steps of a violation so far. */
  bound = Number.POSITIVE_INFINITY;
  /** Steps of this run so far of contexts other than the device (FoundViolation.kernelSteps). */
  kernelSteps = 0;
  /** ExploreOptions.onFootprint. */
  onFootprint: ExploreOptions['onFootprint'] = undefined;
  /** ExploreOptions.wholeTaskViews, wholeBufferViews and blindTaskViews. */
  wholeTaskViews = false;
  wholeBufferViews = false;
  blindTaskViews = false;
  /** ExploreOptions.sleepAcrossResults. */
  sleepAcrossResults = true;
  /** ExploreOptions.deviceByBio. */
  deviceByBio = true;
  /** ExploreOptions.loneSteps. */
  loneSteps = true;
  /** The done-map key of the step just measured (its context, or a completion's `deviceTid`). */
  private takenKey: number | null = null;
  /** Fields of the shared roots left untracked, with what they held: (object, key, value)... */
  private readonly pins: unknown[] = [];
  /** Component ids of the shared roots by pseudo heap id (trackRoot), and the roots. */
  private readonly rootIds: string[] = [];
  private readonly rootObjects: object[] = [];
  /** Scratch: which of a root's fields trackRoot tracks. */
  private readonly trackedScratch: boolean[] = [];
  /**
   * The world's fixed component roots and the shared roots (isRoot), as trackRoots found them: a
   * list, as there are a dozen (a set gave each of this run's fresh objects an identity hash).
   */
  private readonly fixedRoots: object[] = [];
  /** Each task's held parts of the shared roots (onRootRead, taskFold): never changed, replaced. */
  private held = new Map<number, ReadonlySet<string>>();
  /** Parts the step in progress took (onRootRead). */
  private readonly heldStep = new Set<string>();
  /** Parts whose object a write replaced on this path (onRootReplace). */
  private replaced = new Set<string>();
  /**
   * Each context's request components (req:N.iocb, req:N.buf, req:N.iter) that a step of it had
   * from a tracked field (dio->iocb, bio->buf): a local may keep them, and the fields behind them
   * are no accessors, so every later step of the context may read them unlogged (`holdRequest`).
   */
  private requestHeld = new Map<number, ReadonlySet<string>>();

  constructor(
    private readonly maxFaults: number,
    private readonly prune: boolean,
    private readonly reduce: boolean,
    private readonly classes: boolean,
    private readonly persistent: boolean,
    private readonly fieldExact: boolean,
    private readonly deviceFirst: boolean,
  ) {}

  /** The `observe` hook: the world of the run that starts now. */
  attach(w: WorldView): void {
    this.quiet++;
    try {
      this.attachUnrecorded(w);
    } finally {
      this.quiet--;
    }
  }

  private attachUnrecorded(w: WorldView): void {
    this.world = w;
    reader = this;
    this.fp = new WorldFingerprint(w, w.rt.faults.powerLoss !== true);
    this.rootIds.length = 0;
    this.rootObjects.length = 0;
    this.pins.length = 0;
    for (const id of TASK_READS) {
      const o = id === 'world' ? w : worldRoot(w, id);
      if (typeof o === 'object' && o !== null) this.planRoot(o, id);
    }
    // Their fields holding a small object of scalars (a lock, the geometry): roots of their own,
    // so that a task that read the lock does not fold the whole file into its view.
    const n = this.rootIds.length;
    for (let i = 0; i < n; i++) {
      const id = this.rootIds[i] as string;
      const o = this.rootObjects[i] as Record<string, unknown>;
      // Keys and values in two calls, not a keyed load per field (megamorphic over the roots).
      const keys = Object.keys(o);
      const values = Object.values(o);
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k] as string;
        const v = values[k];
        if (scalarRecord(v) && !this.rootObjects.includes(v as object)) {
          const part = rootPart(id, key);
          this.fp.innerRoot(part, v as object);
          this.planRoot(v as object, part);
        }
      }
    }
    // The replayed prefix runs without accessors: they go in where it ends (trackPrefix), and
    // takes no snapshot, so the roots are named there too (nextUnrecorded), not twice per run.
    if (!this.replaying) {
      this.trackRoots();
      this.fp.collectRoots();
    }
    // Watch heap accesses (this world's instance only; the model's code is unchanged).
    const heap = w.rt.heap;
    const use = heap.use.bind(heap);
    const free = heap.free.bind(heap);
    const alloc = heap.alloc.bind(heap);
    heap.use = (obj: KObject, line: number): void => {
      if (!this.replaying) this.used.add(obj.heapId);
      use(obj, line);
    };
    heap.free = (obj: KObject, line: number): void => {
      if (!this.replaying) this.used.add(obj.heapId);
      free(obj, line);
    };
    const disk = w.disk as unknown as { readTag(sector: number): number };
    const readTag = disk.readTag.bind(disk);
    disk.readTag = (sector: number): number => {
      this.diskRead = true;
      return readTag(sector);
    };
    this.untracked.length = 0;
    heap.alloc = <T extends KObject>(obj: T): T => {
      this.allocated = true;
      const o = alloc(obj);
      // The replayed prefix logs no reads: its objects are tracked where it ends (trackPrefix).
      if (this.replaying) this.untracked.push(o);
      else this.track(o);
      return o;
    };
    w.rt.forgetHook = (obj, field, keep) => this.forget(obj, field, keep);
    const wake = w.rt.wakeUpProcess.bind(w.rt);
    w.rt.wakeUpProcess = (task): void => {
      if (!this.replaying) this.woke = true;
      wake(task);
    };
    // Watch step boundaries: every context now, and each one spawned later.
    const rt = w.rt;
    for (const c of rt.liveContexts()) this.watchStep(c);
    const spawn = rt.spawn.bind(rt);
    rt.spawn = <C extends Context>(ctx: C): C => {
      this.watchStep(ctx);
      return spawn(ctx);
    };
  }

  /** Calls beforeStep ahead of each step of `c` (this world's instance only). */
  private watchStep(c: Context): void {
    const step = c.step.bind(c);
    const kernel = c !== (this.world?.disk as Context | undefined);
    c.step = (): void => {
      if (kernel) this.kernelSteps++;
      this.beforeStep(c);
      step();
    };
  }

  /**
   * A step of `c` is about to run. When another context stepped since the base and no question
   * came in between (it ran alone: say the last completion, which then woke the waiting task),
   * its steps are accounted for here, measured on their own; otherwise, at the next question,
   * both contexts would fold the whole state before and after into their views (the
   * conservative case of `account`), and paths that agree on what each read would still differ.
   * With ExploreOptions.loneSteps also when `c` itself ran a step alone since the base (no
   * question since), so that each step it runs alone is measured on its own, as a question
   * between them would have it (two in a row were folded into its view as one step, and the
   * state between them was never a cache key). Either way the step is then checked (`lone`).
   * The runtime has already counted the step (its clock, the context's counter, the current
   * context): they are set back while the state is taken, as a scheduling question sees them.
   */
  private beforeStep(c: Context): void {
    this.quiet++;
    try {
      this.beforeStepUnrecorded(c);
    } finally {
      this.quiet--;
    }
  }

  private beforeStepUnrecorded(c: Context): void {
    const w = this.world;
    const base = this.base;
    if (this.replaying || base === null || this.fp === null || w === null) return;
    const rt = w.rt;
    if (base.current === c.id) return;
    const stepped = this.steppedSince(base, w);
    let other = false;
    for (let i = 0; i < stepped.length; i++) if (stepped[i] !== c.id) other = true;
    // c ran on alone: a step of it since the base, which a question did not start.
    const alone = stepped.length === 1 && base.rtStep < rt.step - 1 && this.loneChecks(w);
    if (!other && !alone) return;
    rt.current = null;
    c.steps--;
    rt.step--;
    const snap = this.snapshot();
    this.account(w, snap);
    const cut = this.lone(w, c, snap);
    rt.step++;
    c.steps++;
    rt.current = c;
    if (cut !== null) throw cut;
  }

  /** ExploreOptions.loneSteps, in a run that interleaves (`lone`). */
  private loneChecks(w: WorldView): boolean {
    return this.loneSteps && w.rt.faults.interleave === true;
  }

  /**
   * A step of `c` the runtime runs unasked (Runtime.choose asks nothing of one option), from the
   * state `snap` just accounted for, treated as a question of one option (ExploreOptions.loneSteps).
   * Sleep sets: `c` may be asleep there, explored first from the question before and commuting
   * with the step taken there (two contexts' last steps, say: the one explored second then ran the
   * other, asleep, alone to an end state already reached); a question would have found its every
   * option asleep and cut the path, and so does this, with the sleep set that question would
   * have had (`sleepSetHere`, from the step just accounted for). State cache: the state (world and
   * views) and question (`schedule` of one option, which no real question has) are a cache key
   * as at any question (`cached`); a visit that left `c` awake explored `c`'s step and what
   * follows, so a later visit with no fewer asleep and no larger fault budget is pruned. The
   * state is not counted among `states` (a question's are), so pruning alone keeps the plain
   * walk's states. Null: the step runs. Only with interleaving: without it the first runnable
   * context runs unasked whatever the others.
   */
  private lone(w: WorldView, c: Context, snap: Snapshot): Cut | null {
    if (!this.loneChecks(w)) return null;
    const ids = [c.id];
    const sleep = this.reduce ? this.sleepSetHere(w, ids) : null;
    if (sleep !== null && sleep.size > 0 && this.blockedOptions(w, ids, sleep).has(c.id)) {
      this.sleepSkips++;
      return ASLEEP;
    }
    if (!this.prune) return null;
    // The state cache, as at a question of one option (n = 1: a question has at least two),
    // between steps (0: no answers inside one).
    const key = this.questionKey(combine(snap.full, (this.base as Base).views), 0, SCHEDULE, 1);
    return this.revisitHere(key, this.asleepKeys(sleep)) === PRUNE ? PRUNED : null;
  }

  /**
   * The state cache's key of a question: the state, the answers given inside the step, the label
   * and arity, and with errno classes the statuses used.
   */
  private questionKey(state: number, inStep: number, label: string, n: number): number {
    const key = combine(combine(state, inStep), this.labelHash(label) + n);
    return this.classes ? combine(key, this.statusMax) : key;
  }

  /** A sleep set as the state cache compares it: its contexts' keys, sorted. */
  private asleepKeys(sleep: ReadonlyMap<number, Footprint> | null): number[] {
    const asleep: number[] = [];
    if (sleep === null || sleep.size === 0) return asleep;
    for (const id of sleep.keys()) asleep.push(this.sleepKey(id));
    return asleep.sort((a, b) => a - b);
  }

  /** What the cache says of `key` with this path's sleep set, fault budget left and depth. */
  private revisitHere(key: number, asleep: readonly number[]): Revisit {
    return this.cached(key, asleep, this.maxFaults - this.faultsUsed, this.shortest ? this.kernelSteps : 0);
  }

  /**
   * Field-exact reads of a heap object (a dio or bio): each own field becomes an accessor over the
   * same value, on this world's instance only, so the walk learns which fields a step read and
   * what it found there. The model sees the same values; the fingerprint walks the same keys in
   * the same order. A step's view then folds in the fields it read, not the whole object: a
   * completion that reads dio->flags does not carry dio->size, which the submitter moves.
   */
  private track<T extends KObject>(obj: T): T {
    const keys = Object.keys(obj);
    const base = Object.getPrototypeOf(obj) as object;
    let layout = heapLayouts.get(base);
    if (layout === undefined || !sameKeys(layout.keys, keys)) {
      layout = layoutOf(
        obj,
        keys,
        keys.map((key) => key !== 'heapId'),
        false,
      );
      heapLayouts.set(base, layout);
    }
    shareFields(obj, layout, Object.values(obj));
    return obj;
  }

  /**
   * Field-exact reads of a shared root's scalars (the world's, the filesystem's, the inode's...;
   * TASK_READS): each own field holding a scalar now becomes an accessor, as `track` does for heap
   * objects, with a pseudo heap id naming the root in the read log. A scalar can be had only by
   * reading the field, so the read log has every read of it; the rest of the component (objects,
   * which a step may keep in a local and read later without an accessor) is folded whole into a
   * task step's view (Snapshot.rest). A field that holds an object later is in the rest then.
   */
  private planRoot(o: object, id: string): void {
    this.rootIds.push(id);
    this.rootObjects.push(o);
    (this.fp as WorldFingerprint).shallow(o);
  }

  /** Puts in the accessors of the roots planned at attach (planRoot): see trackRoot. */
  private trackRoots(): void {
    const w = this.world;
    const roots = this.fixedRoots;
    roots.length = 0;
    if (w !== null) {
      roots.push(w);
      for (const key of FIXED_ROOTS) {
        const o = worldRoot(w, key);
        if (typeof o === 'object' && o !== null) roots.push(o);
      }
      roots.push(w.disk.cache, w.disk.media);
    }
    for (const o of this.rootObjects) roots.push(o);
    for (let i = 0; i < this.rootObjects.length; i++)
      this.trackRoot(this.rootObjects[i] as object, ROOT_HEAP_ID - i);
  }

  private trackRoot(o: object, heapId: number): void {
    if (FIELDS in o) {
      // Shared with an earlier run (scalarRecord): named by this run's place for it.
      (o as Tracked)[ROOT_ID] = heapId;
      return;
    }
    const rec = o as Record<string, unknown>;
    const fp = this.fp as WorldFingerprint;
    const keys = Object.keys(rec);
    const values = Object.values(rec);
    const pins = this.pins;
    const tracked = this.trackedScratch;
    tracked.length = 0;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k] as string;
      const v = values[k];
      // Not a function, a constant never hashed (the runtime, the ops table) or another root
      // (the disk, the inode): what a read of them would log is the same on every path. They are
      // pinned instead: a write that replaced one would go unseen (checkPins).
      const pin =
        typeof v === 'function' || fp.skipped(v) || (typeof v === 'object' && v !== null && this.isRoot(v));
      if (pin) pins.push(o, key, v);
      tracked.push(!pin);
    }
    shareFields(o, layoutOf(o, keys, tracked, true), values, heapId);
  }

  /** Is `v` one of the world's fixed component roots (collectRoots: the world, disk, fs, inode...)? */
  private isRoot(v: object): boolean {
    return this.fixedRoots.includes(v);
  }

  /** Throws if a pinned field of a shared root (trackRoot) no longer holds what it held. */
  private checkPins(): void {
    const p = this.pins;
    for (let i = 0; i < p.length; i += 3) {
      const o = p[i] as Record<string, unknown>;
      const key = p[i + 1] as string;
      if (o[key] !== p[i + 2]) throw new Error(`explorer: the shared field ${key} was replaced (trackRoot)`);
    }
  }

  /** The component id of a pseudo heap id (trackRoot), or undefined for a heap object's. */
  private rootIdOf(heapId: number): string | undefined {
    return heapId <= ROOT_HEAP_ID ? this.rootIds[ROOT_HEAP_ID - heapId] : undefined;
  }

  /**
   * A field of a shared root was read. A scalar or another component's root goes to the read log
   * as it is (a root by its id: what is read of it is accounted for as that component's). Any
   * other object (an array, a map, the extent map) the step may keep in a local and read from
   * later without an accessor: the part behind the field (rootPart) is held by the task from now
   * on (its hash before each later step is folded into its view, `taskFold`), and the read log
   * says which. The world's lists of records (LOGGED) are read afresh each time (run.ts keeps
   * none in a local): their contents go to the log instead.
   */
  onRootRead(holder: Tracked, key: string, keyHash: number, value: unknown): void {
    if (this.quiet !== 0 || this.replaying) return;
    // Its pseudo heap id only now: the explorer's own reads (quiet) skip the lookup.
    const heapId = holder[ROOT_ID];
    if (typeof value !== 'object' || value === null) {
      this.logRead(heapId, keyHash, value);
      return;
    }
    const fp = this.fp;
    if (fp === null) return;
    const root = fp.rootOf(value);
    if (root !== undefined) {
      this.holdRequest(root);
      this.reads.push(heapId, keyHash, hashString(root));
      return;
    }
    const id = this.rootIdOf(heapId) ?? '?';
    if (id === 'world' && LOGGED.has(key)) {
      this.logRead(heapId, keyHash, value);
      return;
    }
    this.heldStep.add(rootPart(id, key));
    this.reads.push(heapId, keyHash, HELD);
  }

  /** An object a shared root's field held was replaced: any task may still hold it (see taskFold). */
  onRootReplace(heapId: number, key: string): void {
    const id = this.rootIdOf(heapId);
    if (id !== undefined) this.replaced.add(rootPart(id, key));
  }

  /**
   * A task's view fold of the shared state (TASK_READS and their inner roots) around a step: of
   * the roots' fields, what the read log has; of the parts behind them, those the task has held
   * since a step read them (`held`, this step's too: `heldStep`) and any whose object was
   * replaced (a local may keep the old one), as they were before the step. Sound for the world's
   * tasks because their generator (World.thread) starts with nothing of the shared state but the
   * world itself: every object they reach in it is had by reading a root's field (a heap object
   * or a request that points into it got that pointer from a task or a completion that read it).
   */
  private taskFold(h: Hasher, ctx: number, snap: Snapshot): void {
    const before = this.held.get(ctx);
    let all: Set<string> | null = null;
    if (this.heldStep.size > 0 || this.replaced.size > 0) {
      all = new Set(before);
      for (const id of this.heldStep) all.add(id);
      this.held.set(ctx, all);
      for (const id of this.replaced) all.add(id);
    }
    const parts = all ?? before;
    if (parts === undefined) return;
    // In no order: two tasks that took the same parts in another order hold the same.
    let sum = 0;
    let xor = 0;
    for (const id of parts) {
      const v = combine(hashString(id), snap.rest.get(id) ?? snap.parts.get(id) ?? 0);
      sum = (sum + (v % 0x40000000)) % 0x40000000;
      xor ^= v % 0x40000000;
    }
    h.mixNumber(parts.size);
    h.mixNumber(sum);
    h.mixNumber(xor);
  }

  /**
   * Tracks the objects the replayed prefix allocated (freed ones too: model code may still read
   * them), now that reads count. Deferring it keeps the prefix off the accessors: a replay runs at
   * the model's own speed until its branch question.
   */
  private trackPrefix(): void {
    this.trackRoots();
    for (const o of this.untracked) this.track(o);
    this.untracked.length = 0;
  }

  /** A tracked field was read (see `track`). */
  onRead(heapId: number, keyHash: number, value: unknown): void {
    if (this.quiet === 0 && !this.replaying) {
      this.fieldReads.push(heapId, keyHash);
      if (typeof value === 'object' && value !== null) {
        const root = this.fp?.rootOf(value);
        if (root !== undefined) this.holdRequest(root);
      }
      this.logRead(heapId, keyHash, value);
    }
  }

  /**
   * The running interrupt read a reference to component `id`: if it is a part of a request (the
   * kiocb, its iter or buffer: plain objects, no accessors), the context holds it from now on
   * (`requestHeld`), and each of its later steps counts as reading it (`measured`): an interrupt
   * that read dio->iocb in iomap_dio_bio_end_io (seed L163) may read the kiocb's fields steps
   * later through its local. Not for persistent sets (`ownedOnly`): release_bio uses only the bio and
   * its own flag (seed L225-231), not the kiocb its context holds. Interrupts only: the device's
   * step is a plain function (nothing survives it; its footprint names every request's kiocb and
   * buffer, `deviceFootprint`). Task code reaches requests through the world's records,
   * whose fields log nothing, and is not covered: held for tasks too, the SPIN scopes at N = 2 take
   * 813 / 614 / 557 paths for 528 / 452 / 407 (the submitter holds its buffer while the device
   * fills it); without persistent sets either walk reaches every state between steps that the
   * walk without sleep sets reaches.
   */
  private holdRequest(id: string): void {
    if (!id.startsWith('req:') || idKind(id) === ID_WRITE_ONLY) return;
    const w = this.world;
    const ctx = w?.rt.current;
    if (w === null || ctx === null || ctx === undefined || ctx.kind !== 'irq') return;
    const before = this.requestHeld.get(ctx.id);
    if (before?.has(id)) return;
    const now = new Set(before);
    now.add(id);
    this.requestHeld.set(ctx.id, now);
  }

  /** A tracked heap object's field (slot `slot` of its FIELDS) is about to be written over `old`. */
  onWrite(obj: Tracked, slot: number, keyHash: number, old: unknown): void {
    if (this.quiet !== 0 || this.replaying) return;
    this.writeObjs.push(obj);
    this.writeSlots.push(slot);
    this.writeKeys.push(keyHash);
    this.writeOld.push(old);
  }

  /** atomicsHook: an atomic_dec_and_test of `obj[field]` left `left` (> 0). */
  onDecrement(obj: Refcounted, field: string, left: number): void {
    if (this.quiet !== 0 || this.replaying) return;
    this.decrements.push(obj.heapId, hashString(field), left);
  }

  private logRead(heapId: number, keyHash: number, value: unknown): void {
    this.quiet++;
    const fp = this.fp;
    const v = fp === null ? 0 : fp.valueHash(value);
    this.quiet--;
    this.reads.push(heapId, keyHash, v);
  }

  /** Runtime.forget: drop reads the model declares dead (see there), keeping `keep`. */
  private forget(obj: object, field: string | null, keep: number | undefined): void {
    if (this.replaying) return;
    if (field === null) {
      const id = this.fp?.rootOf(obj);
      if (id !== undefined) this.forgotten.add(id);
      return;
    }
    const heapId = (obj as Partial<KObject>).heapId ?? (obj as Partial<Tracked>)[ROOT_ID] ?? -1;
    const keyHash = hashString(field);
    const r = this.reads;
    let out = 0;
    for (let i = 0; i < r.length; i += 3) {
      if (r[i] === heapId && r[i + 1] === keyHash) continue;
      r[out++] = r[i] as number;
      r[out++] = r[i + 1] as number;
      r[out++] = r[i + 2] as number;
    }
    r.length = out;
    if (keep !== undefined) r.push(heapId, keyHash, combine(KEPT, keep));
  }

  private collectRoots(): void {
    this.quiet++;
    (this.fp as WorldFingerprint).collectRoots();
    this.quiet--;
  }

  private snapshot(): Snapshot {
    this.quiet++;
    const snap = (this.fp as WorldFingerprint).snapshot();
    this.quiet--;
    return snap;
  }

  startRun(): void {
    this.replaying = this.nodes.length > 0;
    this.branchAt = this.nodes.length - 1;
    this.depth = 0;
    this.kernelSteps = 0;
    this.faultsUsed = 0;
    this.statusMax = 1;
    this.world = null;
    this.fp = null;
    this.views = new Map();
    this.held = new Map();
    this.replaced = new Set();
    this.requestHeld = new Map();
    this.base = null;
    this.resetSince();
    this.lastSched = null;
  }

  /** Runs per step: a Set's clear() allocates a new table even when the set is empty, hence the guards. */
  private resetSince(): void {
    this.since.reset(5);
    this.inside.reset(6);
    this.answersInside = 0;
    this.deviceAnswers = 0;
    if (this.used.size > 0) this.used.clear();
    this.allocated = false;
    this.woke = false;
    this.diskRead = false;
    this.reads.length = 0;
    if (this.forgotten.size > 0) this.forgotten.clear();
    if (this.heldStep.size > 0) this.heldStep.clear();
    this.fieldReads.length = 0;
    this.writeObjs.length = 0;
    this.writeSlots.length = 0;
    this.writeKeys.length = 0;
    this.writeOld.length = 0;
    this.decrements.length = 0;
  }

  next(n: number, label: string): number {
    this.quiet++;
    try {
      return this.nextUnrecorded(n, label);
    } finally {
      this.quiet--;
    }
  }

  private nextUnrecorded(n: number, label: string): number {
    const i = this.depth++;
    const w = this.world;
    let node = this.nodes[i];
    if (node !== undefined) {
      if (node.label !== label || node.n !== n) {
        throw new ExploreDivergence(
          `choice ${i} asked as ${label}/${n} after ${node.label}/${node.n} on the same prefix: ` +
            'the run is not a function of its choices',
        );
      }
      // The last replayed question is where this path branches off: resume the bookkeeping there.
      if (i === this.nodes.length - 1) {
        this.replaying = false;
        this.trackPrefix();
        if (node.saved !== null) this.restore(node.saved);
        // The read log names component roots as of the last snapshot: name them here, where the
        // replayed prefix (which takes no snapshot, nor names them at attach) ends.
        if (this.fp !== null) this.collectRoots();
      }
    } else {
      node = this.newNode(n, label, w);
      this.nodes.push(node);
    }
    const v = node.value;
    if (v !== 0 && node.fault) this.faultsUsed++;
    if (label === CLASS_LABEL && v > this.statusMax) this.statusMax = v;
    const labelHash = this.labelHash(label);
    this.since.mix(labelHash);
    this.since.mix(v);
    if (label !== SCHEDULE) {
      this.inside.mix(labelHash);
      this.inside.mix(v);
      this.answersInside++;
      if (DEVICE_LABELS.has(label)) this.deviceAnswers++;
    }
    if (label === SCHEDULE && w !== null) this.lastSched = { node, stepNo: w.rt.step + 1 };
    // An answer to the world's own code (between runs of the scheduler) steers what it does next.
    else if (w !== null && w.rt.current === null) this.fold(WORLD_CTX, combine(labelHash, v));
    return v;
  }

  private restore(saved: Saved): void {
    this.base = saved.base;
    this.views = new Map(saved.views);
    this.lastSched = saved.lastSched;
    this.since.copyFrom(saved.since);
    this.inside.copyFrom(saved.inside);
    this.answersInside = saved.answersInside;
    this.deviceAnswers = saved.deviceAnswers;
    if (this.used.size > 0) this.used.clear();
    for (const id of saved.used) this.used.add(id);
    this.allocated = saved.allocated;
    this.woke = saved.woke;
    this.diskRead = saved.diskRead;
    this.reads = saved.reads.length === 0 ? [] : [...saved.reads];
    if (this.forgotten.size > 0) this.forgotten.clear();
    for (const id of saved.forgotten) this.forgotten.add(id);
    this.held = new Map(saved.held);
    if (this.heldStep.size > 0) this.heldStep.clear();
    for (const id of saved.heldStep) this.heldStep.add(id);
    this.replaced = new Set(saved.replaced);
    this.requestHeld = new Map(saved.requestHeld);
  }

  private labelHash(label: string): number {
    let h = this.labelHashes.get(label);
    if (h === undefined) {
      h = hashString(label);
      this.labelHashes.set(label, h);
    }
    return h;
  }

  private newNode(n: number, label: string, w: WorldView | null): Node {
    const fault = isFaultLabel(label);
    let limit = fault && this.faultsUsed >= this.maxFaults ? 1 : n;
    if (this.classes && label === CLASS_LABEL) limit = Math.min(limit, this.statusMax + 2);
    if (limit < n) this.faultCuts++;
    if (w === null || this.fp === null) {
      return {
        label,
        n,
        limit,
        fault,
        value: 0,
        ctx: null,
        sleep: null,
        blocked: null,
        skip: null,
        only: null,
        done: null,
        stop: false,
        first: 0,
        sigs: null,
        saved: null,
      };
    }
    // Branch and bound (ExploreOptions.shortest): no path from here ends in a shorter violation.
    if (this.kernelSteps >= this.bound) throw PRUNED;
    // Inside a step that alone ran since the base, the state is a function of the base state
    // (world and views) and the answers given since: no snapshot is taken (see inStepKey).
    const inStep = this.inStepKey(w);
    let state: number;
    if (inStep !== 0) {
      state = combine(inStep, (this.base as Base).views);
    } else {
      const snap = this.snapshot();
      this.account(w, snap);
      state = combine(snap.full, (this.base as Base).views);
      if (w.rt.current === null) {
        this.worlds?.add(snap.full);
        this.between?.add(state);
      }
    }
    let ctx: number[] | null = null;
    let sleep: Map<number, Footprint> | null = null;
    if (label === SCHEDULE && this.reduce) {
      const runnable = w.rt.liveContexts().filter((c: Context) => c.isRunnable());
      if (runnable.length === n) {
        ctx = runnable.map((c) => c.id);
        sleep = this.sleepSetHere(w, ctx);
      }
    }
    // The state is reached even when every option is asleep (then its successors are reached
    // by the other orders of the same steps).
    this.states.add(state);
    let value = 0;
    let blocked: Set<number> | null = null;
    if (sleep !== null && ctx !== null) {
      blocked = this.blockedOptions(w, ctx, sleep);
      while (value < limit && blocked.has(ctx[value] ?? -1)) {
        value++;
        this.sleepSkips++;
      }
      if (value >= limit) throw ASLEEP;
    }
    // The device's completion of a bio asleep at the scheduling question that ran it (deviceTid).
    const skip = label === 'complete_which' ? this.bioSkips(w, n) : null;
    if (skip !== null) {
      while (value < limit && skip.has(value)) {
        value++;
        this.sleepSkips++;
      }
      if (value >= limit) throw ASLEEP;
    }
    let only: Set<number> | null = null;
    if (this.prune) {
      const key = this.questionKey(state, inStep, label, n);
      const asleep = this.asleepKeys(sleep);
      // The completions skipped here are asleep at this question (a visit that skipped fewer
      // prunes this one; one that skipped more does not).
      if (skip !== null) {
        const inFlight = w.disk.inFlight;
        for (const v of skip) asleep.push(hashString(tidName((inFlight[v] as Bio).serial)));
        asleep.sort((a, b) => a - b);
      }
      const revisit = this.revisitHere(key, asleep);
      if (revisit === PRUNE) throw PRUNED;
      if (revisit !== EXPLORE_ALL && typeof revisit !== 'string' && sleep !== null && ctx !== null) {
        // Explore the contexts asleep at the earlier visits and awake now, with the sleep set
        // both visits had (Godefroid 1996, 6.2).
        const keys = this.key();
        only = new Set();
        for (const id of ctx) if (revisit.wake.includes(hashString(keys.get(id) ?? '?'))) only.add(id);
        // The device, when a completion of one of its bios is among them.
        for (const id of sleep.keys())
          if (id <= DEV_TID && revisit.wake.includes(this.sleepKey(id))) only.add(w.disk.id);
        for (const id of [...sleep.keys()])
          if (!sortedContains(revisit.asleep, this.sleepKey(id))) sleep.delete(id);
        blocked = this.blockedOptions(w, ctx, sleep);
        value = 0;
        while (value < limit && (!only.has(ctx[value] ?? -1) || blocked.has(ctx[value] ?? -1))) value++;
        if (value >= limit) throw PRUNED;
      }
    }
    // A step seen to be a persistent set on its own goes first (the others then need no path),
    // else the device's (`preferred`).
    let sigs: number[] | null = null;
    if (ctx !== null && !this.shortest) {
      if (this.persistent) sigs = this.stepSignatures(w, ctx);
      value = this.preferred(w, ctx, sigs, limit, value, blocked, only);
    }
    const first = value;
    // A path branches here only if another option is awake: otherwise nothing is saved.
    let more = ctx === null ? value + 1 : nextOption({ first } as Node, value);
    while (more < limit && ctx !== null && skipped(ctx[more] ?? -1, blocked, only))
      more = nextOption({ first } as Node, more);
    while (more < limit && skip?.has(more)) more++;
    const saved: Saved | null =
      more >= limit
        ? null
        : {
            base: this.base as Base,
            views: new Map(this.views),
            lastSched: this.lastSched,
            since: this.since.clone(),
            inside: this.inside.clone(),
            answersInside: this.answersInside,
            deviceAnswers: this.deviceAnswers,
            // Between steps most of these are empty: one shared empty record each, not a copy.
            used: this.used.size === 0 ? NO_NUMBERS : new Set(this.used),
            allocated: this.allocated,
            woke: this.woke,
            diskRead: this.diskRead,
            reads: this.reads.length === 0 ? NO_READS : [...this.reads],
            forgotten: this.forgotten.size === 0 ? NO_STRINGS : new Set(this.forgotten),
            held: this.held.size === 0 ? NO_PARTS : new Map(this.held),
            heldStep: this.heldStep.size === 0 ? NO_STRINGS : new Set(this.heldStep),
            replaced: this.replaced.size === 0 ? NO_STRINGS : new Set(this.replaced),
            requestHeld: this.requestHeld.size === 0 ? NO_PARTS : new Map(this.requestHeld),
          };
    const done = ctx === null ? null : new Map<number, Footprint>();
    return {
      label,
      n,
      limit,
      fault,
      value,
      ctx,
      sleep,
      blocked,
      skip,
      only,
      done,
      stop: false,
      first,
      sigs,
      saved,
    };
  }

  /**
   * Each option's step signature at a scheduling question: its context's key, step count and
   * view (what its steps read so far: with the world, what its next step does). A signature whose
   * step was a persistent set on its own (`ownedOnly`) is remembered (`owned`, in `advance`).
   */
  private stepSignatures(w: WorldView, ctx: readonly number[]): number[] {
    const keys = this.key();
    const live = w.rt.liveContexts();
    const out: number[] = [];
    for (const id of ctx) {
      const c = live.find((x) => x.id === id);
      const h = combine(hashString(keys.get(id) ?? '?'), c?.steps ?? -1);
      out.push(combine(h, this.views.get(id) ?? 0));
    }
    return out;
  }

  /**
   * The option to explore first. Only the order changes: sleep sets, the cache and persistent
   * sets hold for any order of a question's options. First an awake option whose step signature
   * was a persistent set on its own before (then, if it is one again, no other option is
   * explored); a signature is a guess (the world may differ), checked when the step runs
   * (`ownedOnly` sets `stop`). Else, with ExploreOptions.order 'device-first', the device's step:
   * it has the most variants (which bio completes, its status, what reached the disk) and
   * conflicts with few completion steps (field by field, `independent`), so explored first it
   * sleeps in its siblings' subtrees, where explored last it is walked again under each of them
   * (SPIN sync write, N = 3: 12,263 paths and 30,874 states in list order, 8,927 and 21,334 with
   * the device first). Else `value` (list order).
   */
  private preferred(
    w: WorldView,
    ctx: readonly number[],
    sigs: readonly number[] | null,
    limit: number,
    value: number,
    blocked: ReadonlySet<number> | null,
    only: ReadonlySet<number> | null,
  ): number {
    if (sigs !== null && this.owned.size > 0) {
      for (let k = 0; k < limit; k++) {
        if (skipped(ctx[k] ?? -1, blocked, only)) continue;
        if (this.owned.has(sigs[k] as number)) return k;
      }
    }
    if (!this.deviceFirst) return value;
    const device = w.disk.id;
    for (let k = 0; k < limit; k++) if (ctx[k] === device && !skipped(device, blocked, only)) return k;
    return value;
  }

  /**
   * State caching with sleep sets (Godefroid 1996, section 6.2): a visit with sleep set Z explored
   * every path from the state but those that begin with a step of a sleeping context. A later
   * visit with sleep set Z' ⊇ Z and no larger fault budget has nothing left to explore. Otherwise,
   * if a visit with at least this budget exists, only the contexts in Z \ Z' are left: they are
   * explored, with sleep set Z ∩ Z', and the state is recorded as visited with Z ∩ Z' (exploring
   * every option again instead walked whole subtrees twice: a revisit differs from the first
   * visit in its sleep set far more often than in its budget). With no such visit it is explored
   * in full. Dominated visits are dropped.
   */
  private cached(key: number, asleep: readonly number[], left: number, depth: number): Revisit {
    const visits = this.cache.get(key);
    if (visits === undefined) {
      this.cache.set(key, [{ asleep, left, depth }]);
      return EXPLORE_ALL;
    }
    for (const v of visits)
      if (v.left >= left && v.depth <= depth && sortedSubset(v.asleep, asleep)) return PRUNE;
    // Godefroid's refinement: a visit with at least this budget explored every option but those
    // asleep then; of those, the ones awake now are all that is left (the fewest, if several).
    let best: Visit | null = null;
    let wake: number[] = [];
    for (const v of visits) {
      if (v.left < left || v.depth > depth) continue;
      const w = v.asleep.filter((x) => !sortedContains(asleep, x));
      if (best === null || w.length < wake.length) {
        best = v;
        wake = w;
      }
    }
    const now = best === null ? asleep : best.asleep.filter((x) => sortedContains(asleep, x));
    const kept = visits.filter((v) => !(v.left <= left && v.depth >= depth && sortedSubset(now, v.asleep)));
    kept.push({ asleep: now, left, depth });
    this.cache.set(key, kept);
    return best === null ? EXPLORE_ALL : { wake, asleep: now };
  }

  /** Context id → key (fingerprint.ts contextKeys), as of the last snapshot. */
  private key(): Map<number, string> {
    return (this.fp as WorldFingerprint).keys;
  }

  private viewsHash(w: WorldView): number {
    const h = this.viewsHasher;
    h.reset(0);
    h.mixNumber(this.views.get(WORLD_CTX) ?? 0);
    const keys = this.key();
    // The live contexts by key (stable: by insertion into scratch lists, as there are a handful).
    const byKey = this.byKeyScratch;
    const ids = this.idScratch;
    byKey.length = 0;
    ids.length = 0;
    for (const c of w.rt.liveContexts()) {
      const k = keys.get(c.id) ?? '?';
      let j = byKey.length;
      byKey.push(k);
      ids.push(c.id);
      while (j > 0 && (byKey[j - 1] as string) > k) {
        byKey[j] = byKey[j - 1] as string;
        ids[j] = ids[j - 1] as number;
        j--;
      }
      byKey[j] = k;
      ids[j] = c.id;
    }
    for (let i = 0; i < byKey.length; i++) {
      h.mixNumber(hashString(byKey[i] as string));
      h.mixNumber(this.views.get(ids[i] as number) ?? 0);
    }
    return h.value();
  }

  /** Scratch for viewsHash. */
  private readonly viewsHasher = new Hasher();
  private readonly byKeyScratch: string[] = [];
  private readonly idScratch: number[] = [];

  private makeBase(w: WorldView, snap: Snapshot): Base {
    const contexts: number[] = [];
    const steps: number[] = [];
    const kinds: string[] = [];
    for (const c of w.rt.liveContexts()) {
      contexts.push(c.id);
      steps.push(c.steps);
      kinds.push(c.kind);
    }
    const current = w.rt.current?.id ?? null;
    const views = this.viewsHash(w);
    const bufs = new Map<number, readonly number[]>();
    const prev = this.base?.bufs;
    for (const r of w.requests) {
      // Unchanged since the last base (most steps touch no buffer): its copy serves again.
      const old = prev?.get(r.id);
      bufs.set(r.id, old !== undefined && sameEntries(r.buf, old) ? old : bufferEntries(r.buf));
    }
    let accts: Map<number, unknown[]> | null = null;
    if (this.reduce && this.fieldExact) {
      accts = new Map();
      for (const r of w.requests) accts.set(r.id, acctValues(r.iocb.acct));
    }
    const byBio = this.deviceByBio && this.reduce;
    return {
      snap,
      contexts,
      steps,
      kinds,
      results: resultCount(w),
      rtStep: w.rt.step,
      current,
      views,
      accts,
      bufs,
      inFlight: byBio ? queued(w) : NO_BIOS,
      diskDone: byBio ? diskDone(w) : 0,
    };
  }

  private fold(ctx: number, value: number): void {
    // The device's step is a plain function: nothing of it survives the step, so it has no view.
    if (ctx === this.world?.disk.id) return;
    this.views.set(ctx, combine(this.views.get(ctx) ?? 0, value));
  }

  /** Scratch for measured: the step's hash, its touched components in order. */
  private readonly stepHasher = new Hasher();
  private readonly sortScratch: string[] = [];
  /** Scratch for steppedSince. */
  private readonly steppedScratch: number[] = [];

  /**
   * Contexts that ran since `base`: the one whose step was in progress then, and any that stepped.
   * A scratch list (no list per step), valid until the next call.
   */
  private steppedSince(base: Base, w: WorldView): readonly number[] {
    const stepped = this.steppedScratch;
    stepped.length = 0;
    if (base.current !== null) stepped.push(base.current);
    const live = w.rt.liveContexts();
    // Plain loops: this runs before every step, and a handful of contexts are live.
    const ids = base.contexts;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k] as number;
      const count = base.steps[k] as number;
      if (id === base.current) continue;
      let steps = -1;
      for (let i = 0; i < live.length; i++) {
        const c = live[i] as Context;
        if (c.id === id) {
          steps = c.steps;
          break;
        }
      }
      if (steps !== count) stepped.push(id);
    }
    for (let i = 0; i < live.length; i++) {
      const c = live[i] as Context;
      if (!base.contexts.includes(c.id) && c.steps > 0 && c.id !== base.current) stepped.push(c.id);
    }
    return stepped;
  }

  /**
   * The cache key part of a question inside a step whose context is the only one that ran since
   * the base: the base state and the answers given since, of which the running context's locals
   * and the world are a function (the run is deterministic); the step is accounted for only when
   * it ends. 0 otherwise: the question is between steps (or others ran too), and the caller
   * accounts for what ran since the base and snapshots the state.
   */
  private inStepKey(w: WorldView): number {
    const base = this.base;
    const current = w.rt.current?.id ?? null;
    if (base !== null && current !== null) {
      const stepped = this.steppedSince(base, w);
      let alone = true;
      for (let i = 0; i < stepped.length; i++) if (stepped[i] !== current) alone = false;
      if (alone) return combine(base.snap.full, this.since.value());
    }
    return 0;
  }

  /**
   * Accounts for what ran since the base (see the class comment), stores the footprint of a
   * measured scheduled step, and makes the current state the new base.
   */
  account(w: WorldView, cur: Snapshot): void {
    const base = this.base;
    const rt = w.rt;
    this.takenKey = null;
    if (base !== null) {
      const stepped = this.steppedSince(base, w);
      // A context spawned since the base starts with what its spawner knew: its generator's
      // arguments and closure (the work item a workqueue context will run) are invisible.
      const spawned = rt.liveContexts().filter((c) => !base.contexts.includes(c.id) && c.id !== base.current);
      const one = stepped[0];
      if (stepped.length === 1 && one !== undefined && rt.current === null) {
        const h = this.measured(w, base, cur, one, this.inside.value());
        const byDevice = one === w.disk.id;
        const keys = this.key();
        for (const c of spawned) {
          const name = hashString(keys.get(c.id) ?? '?');
          this.views.set(c.id, byDevice ? name : combine(h, name));
        }
      } else if (stepped.length > 0) {
        const all = combine(combine(base.snap.full, this.since.value()), cur.full);
        const keys = this.key();
        for (const c of spawned) this.views.set(c.id, combine(all, hashString(keys.get(c.id) ?? '?')));
        for (const id of stepped) this.fold(id, all);
        // Parts taken now are held from now on by whichever task took them.
        if (this.heldStep.size > 0)
          for (const id of stepped) {
            const held = new Set(this.held.get(id));
            for (const part of this.heldStep) held.add(part);
            this.held.set(id, held);
          }
        if (rt.current !== null && !stepped.includes(rt.current.id)) this.fold(rt.current.id, all);
        // A scheduled step that ran here unmeasured (others ran too).
        const last = this.lastSched;
        const ran = last?.node.ctx?.[last.node.value];
        if (last !== null && ran !== undefined && last.stepNo > base.rtStep && !last.node.done?.has(ran)) {
          last.node.done?.set(ran, DEPENDENT(ran));
        }
      }
    }
    this.base = this.makeBase(w, cur);
    this.resetSince();
  }

  /**
   * Exactly one step, of context `ctx`, ran since `base`: fold what it touched into its view.
   * Returns the step's hash (what a context it spawned inherits).
   */
  private measured(w: WorldView, base: Base, cur: Snapshot, ctx: number, since: number): number {
    const kind = base.kinds[base.contexts.indexOf(ctx)] ?? '?';
    const written = cur.parts.changedSince(base.snap.parts);
    const touched = new Set(written);
    for (const id of this.used) touched.add(objectId(id));
    const h = this.stepHasher;
    h.reset(0);
    h.mixNumber(since);
    // Heap objects: the fields the step read (the read log), not their whole state.
    const blind = kind === 'task' && this.blindTaskViews;
    const r = this.reads;
    for (let i = 0; i < r.length; i += 3) {
      if (blind && (r[i] as number) <= ROOT_HEAP_ID) continue;
      h.mixNumber(r[i] as number);
      h.mixNumber(r[i + 1] as number);
      h.mixNumber(r[i + 2] as number);
    }
    const sorted = sortedInto(touched, this.sortScratch);
    for (let k = 0; k < sorted.length; k++) {
      const id = sorted[k] as string;
      const idk = idKind(id);
      if (idk === ID_WRITE_ONLY || idk === ID_OBJECT || this.forgotten.has(id)) continue;
      if (kind === 'task' && !this.wholeBufferViews && idk >= 0 && this.foldBufferChange(h, w, base, id, idk))
        continue;
      h.mixNumber(hashString(id));
      h.mixNumber(base.snap.parts.get(id) ?? 0);
      h.mixNumber(cur.parts.get(id) ?? 0);
    }
    if (blind) {
      // ExploreOptions.blindTaskViews: nothing of the shared state (unsound on purpose).
    } else if (kind === 'task' && !this.wholeTaskViews) this.taskFold(h, ctx, base.snap);
    else if (kind !== 'irq') {
      // Workqueue and issuer code reads the filesystem, the inode and page cache without
      // heap.use, through objects its work item brought: fold them in as they were before (of
      // the roots' own scalars only what the read log has).
      for (const id of this.rootIds) {
        h.mixNumber(hashString(id));
        h.mixNumber(base.snap.rest.get(id) ?? base.snap.parts.get(id) ?? 0);
      }
    }
    if (kind !== 'irq') {
      // A buffered read reads the disk directly: its data as it was before.
      if (this.diskRead)
        for (const id of DISK_DATA) {
          h.mixNumber(hashString(id));
          h.mixNumber(base.snap.parts.get(id) ?? 0);
        }
    }
    const step = h.value();
    this.fold(ctx, step);
    // The footprint of the scheduled step, for sleep sets.
    const last = this.lastSched;
    if (last === null || last.stepNo !== w.rt.step || base.rtStep !== w.rt.step - 1) return step;
    if (last.node.done === null || last.node.ctx === null) return step;
    if (last.node.ctx[last.node.value] !== ctx) return step;
    const device = kind === 'device' && completionOnly(w);
    // A completion is a transition of its own, bio by bio (deviceTid).
    const bio = device && this.deviceByBio ? completedBio(w, base) : null;
    const key = bio === null ? ctx : deviceTid(bio.serial);
    this.takenKey = key;
    if (last.node.done.has(key)) return step;
    // An allocation conflicts only with another (heap ids follow allocation order): HEAP_ALLOC.
    let global = (this.allocated && !this.deviceByBio) || this.woke || (kind === 'device' && !device);
    global ||= this.answersInside !== (device ? this.deviceAnswers : 0);
    const visible = resultCount(w) !== base.results;
    if (visible && !this.sleepAcrossResults) global = true;
    const own = contextId(this.key().get(ctx) ?? '?');
    const writes = new Set(written.filter((id) => id !== own));
    // A task's submission only appends to the disk's queue (its parts, below).
    const appended =
      this.deviceByBio && kind === 'task' && writes.has('disk') ? appendedBios(w, base, writes) : null;
    for (const id of writes)
      if (
        GLOBAL_COMPONENTS.has(id) &&
        !(device && DISK_PARTS.has(id)) &&
        !(appended !== null && id === 'disk')
      )
        global = true;
    // Contexts: the step's own may have finished; any other change (a spawn) is global, but for
    // the interrupt a completing device spawns (appended: the list order is not the state).
    const live = w.rt.liveContexts();
    let alive = false;
    for (let i = 0; i < live.length; i++) if ((live[i] as Context).id === ctx) alive = true;
    if (!sameContexts(live, base.contexts, ctx, alive, device)) global = true;
    if (global) {
      last.node.done.set(key, DEPENDENT(key));
      return step;
    }
    const reads = new Set<string>();
    for (const id of touched) if (idKind(id) !== ID_WRITE_ONLY) reads.add(id);
    reads.add(own);
    // Every heap object whose fields it read (the read log), used or not.
    for (let i = 0; i < this.reads.length; i += 3) {
      const heapId = this.reads[i] as number;
      reads.add(this.rootIdOf(heapId) ?? objectId(heapId));
    }
    if (bio !== null) this.bioFootprint(w, bio, reads, writes);
    else if (device) this.deviceFootprint(w, reads, writes);
    if (this.deviceByBio) {
      if (this.allocated) {
        reads.add(HEAP_ALLOC);
        writes.add(HEAP_ALLOC);
      }
      if (appended !== null)
        touchParts([reads, writes], 'disk', ['submit', ...appended.map((b) => `q:${b.serial}`)]);
      if (kind === 'task') this.bufferParts(w, base, reads, writes);
    }
    if (kind !== 'irq') for (const id of this.rootIds) reads.add(id);
    if (kind !== 'irq' && this.diskRead) for (const id of DISK_DATA) reads.add(id);
    if (
      this.persistent &&
      !visible &&
      kind === 'irq' &&
      !alive &&
      !w.rt.faults.powerLoss &&
      this.ownedOnly(w, base, cur, reads, writes)
    )
      last.node.stop = true;
    // The request parts it holds (holdRequest), this step's reads among them.
    const heldParts = this.requestHeld.get(ctx);
    if (heldParts !== undefined) for (const id of heldParts) reads.add(id);
    const fields = this.fieldAccess(w, base, cur, last.node, reads, writes, device);
    last.node.done.set(key, { ctx: key, local: true, visible, reads, writes, fields });
    this.onFootprint?.(kind, reads, writes);
    return step;
  }

  /**
   * A task step that changed a request's user buffer (`id` is req:N.buf) folds the entries it
   * changed, each with its value before and after, and the buffer's scalars, not the whole
   * buffer before and after: task code reads the buffer's pages it pins, dirties or copies
   * (get_user_pages, bio_set_pages_dirty: each a change of that page's entry), and a step that
   * reads the buffer without changing it folds nothing of it (buffers are not among TASK_READS).
   * The other pages move on under the device and the interrupts (DMA, release_bio), which the
   * submitter's later steps do not read: with the whole buffer, the submitter's view of its
   * k-th bio's pages told apart every point the completions of the earlier ones had reached.
   * `rid` is the buffer's request (idKind). False if the base or the world has no such buffer
   * (the caller folds it whole).
   */
  private foldBufferChange(h: Hasher, w: WorldView, base: Base, id: string, rid: number): boolean {
    const before = base.bufs.get(rid);
    const r = w.requests.find((x) => x.id === rid);
    if (before === undefined || r === undefined) return false;
    const now = bufferEntries(r.buf);
    if (now.length !== before.length) return false;
    h.mixNumber(hashString(id));
    for (let i = 0; i < now.length; i++) {
      if (i >= now.length - BUF_SCALARS || now[i] !== before[i]) {
        h.mixNumber(i);
        h.mixNumber(before[i] as number);
        h.mixNumber(now[i] as number);
      }
    }
    return true;
  }

  /**
   * Is the step just measured (an interrupt's last, with a local footprint) a persistent set on
   * its own at the question that chose it (Godefroid 1996, ch. 4; Valmari's stubborn sets)? It is
   * when no sequence of steps of the other contexts from that state can touch what it touched,
   * so each such sequence is independent of it and exploring it alone loses no end state. What
   * it may touch, then: its own context (gone now), heap objects it freed (gone now: any later
   * access by another context would be a use after free) and, of a request's user buffer, the
   * pin counts and dirty bits of pages (release_bio: bio_release_pages, bio_check_pages_dirty)
   * that no live bio covers and that the request's iter has left behind (no later bio can cover
   * them; iov_iter_revert happens only in the submitter's own return path, which pins nothing
   * after it). Reads only of what it wrote (and its own context). The checkers read buffers'
   * pins and dirty bits only at quiescence (LIFE-04/05), when every order has run the step. Not
   * with power loss: a crash freezes every context, so whether the step ran before it is part of
   * the end state (the crash scopes lose end states otherwise: properties/explore.test.ts).
   */
  private ownedOnly(
    w: WorldView,
    base: Base,
    cur: Snapshot,
    reads: ReadonlySet<string>,
    writes: ReadonlySet<string>,
  ): boolean {
    for (const id of reads) if (!writes.has(id) && id !== OWN_UNKNOWN) return false;
    let bufs: RequestBuf[] | null = null;
    for (const id of writes) {
      if (!cur.parts.has(id) && (id.startsWith('ctx:') || id.startsWith('obj:'))) continue;
      const m = BUF_ID.exec(id);
      if (m === null) return false;
      bufs ??= [];
      const r = w.requests.find((x) => x.id === Number(m[1]));
      const before = r === undefined ? undefined : base.bufs.get(r.id);
      if (r === undefined || before === undefined) return false;
      bufs.push({
        buf: r.buf,
        before,
        behind: r.iter.count === 0 ? Number.POSITIVE_INFINITY : r.buf.pageIndex(r.iter.address),
      });
    }
    if (bufs === null) return true;
    this.quiet++;
    try {
      for (const { buf, before, behind } of bufs) {
        // bufferEntries' layout: tags, pins, dirty bits, DMA bits (one per page), scalars.
        const pages = buf.pins.length;
        const pinsAt = buf.tags.length;
        const dirtyAt = pinsAt + pages;
        if (!sameFrom(buf.tags, before, 0) || !sameFrom(buf.dmaFilled, before, dirtyAt + pages)) return false;
        for (let p = 0; p < pages; p++) {
          if (before[pinsAt + p] === buf.pins[p] && before[dirtyAt + p] === buf.dirty[p]) continue;
          if (p >= behind) return false;
          for (const o of w.rt.heap.liveObjects()) {
            if (!(o instanceof Bio) || o.buf !== buf) continue;
            if (p >= o.pinnedFirstPage && p < o.pinnedFirstPage + o.pinnedPageCount) return false;
          }
        }
      }
      return true;
    } finally {
      this.quiet--;
    }
  }

  /**
   * The heap objects among a measured step's components whose accesses are known field by field
   * (Footprint.fields; see `independent`), or null. Not when this run branched inside the step (at
   * a question after `node`, the one that scheduled it): its replayed part logged nothing. An
   * object counts only if it was live before and after the step (a free or an allocation touches
   * it whole); one the step changed, only if undoing the writes its setters logged gives back its
   * hash before the step. For a device step (`device`), whose footprint stands for every answer
   * to its questions (`deviceFootprint`), only a dio: every answer reads dio->iocb alone (the
   * accounting, Disk.step) of the dio of the bio it completes, and the dios of every bio in flight
   * go in with that read.
   */
  private fieldAccess(
    w: WorldView,
    base: Base,
    cur: Snapshot,
    node: Node,
    reads: Set<string>,
    writes: ReadonlySet<string>,
    device: boolean,
  ): ReadonlyMap<string, FieldAccess> | null {
    if (!this.fieldExact) return null;
    const out = new Map<string, FieldAccess>();
    if (this.branchAt <= this.nodes.lastIndexOf(node))
      this.heapFields(w, base, cur, reads, writes, device, out);
    this.acctFields(w, base, writes, device, out);
    return out.size === 0 ? null : out;
  }

  /**
   * Of the kiocb accountings a step changed (`req:N.acct`, which no step reads: WRITE_ONLY), the
   * fields, against the base's copy. A device step stands for every answer: each changes
   * biosEnded and bioErrors of the request whose bio it completes (Disk.step), so those two, on
   * every request, when what it changed is among them. Two steps that change disjoint fields of
   * a record nobody reads commute.
   */
  private acctFields(
    w: WorldView,
    base: Base,
    writes: ReadonlySet<string>,
    device: boolean,
    out: Map<string, FieldAccess>,
  ): void {
    const before = base.accts;
    if (before === null) return;
    for (const id of writes) {
      const m = ACCT_ID.exec(id);
      if (m === null) continue;
      const r = w.requests.find((x) => x.id === Number(m[1]));
      const old = r === undefined ? undefined : before.get(r.id);
      if (r === undefined || old === undefined) continue;
      const acct = r.iocb.acct as unknown as Record<string, unknown>;
      const keys = Object.keys(acct);
      if (keys.length !== old.length) continue;
      const changed = new Set<number>();
      for (let i = 0; i < keys.length; i++)
        if (acctValue(acct[keys[i] as string]) !== old[i]) changed.add(hashString(keys[i] as string));
      if (device) {
        if ([...changed].some((k) => !DEVICE_ACCT.has(k))) continue;
        out.set(id, { reads: new Set(), writes: DEVICE_ACCT, decrements: null });
      } else out.set(id, { reads: new Set(), writes: changed, decrements: null });
    }
  }

  /** The heap objects' part of `fieldAccess`. */
  private heapFields(
    w: WorldView,
    base: Base,
    cur: Snapshot,
    reads: Set<string>,
    writes: ReadonlySet<string>,
    device: boolean,
    out: Map<string, FieldAccess>,
  ): void {
    const byId = new Map<number, HeapAccess>();
    const r = this.fieldReads;
    for (let i = 0; i < r.length; i += 2) heapEntry(byId, r[i] as number).reads.add(r[i + 1] as number);
    // Writes, verified by undoing them (in reverse) on the objects and hashing them again.
    this.quiet++;
    try {
      const objs = this.writeObjs;
      const done = new Set<Tracked>();
      for (const obj of objs) {
        if (done.has(obj)) continue;
        done.add(obj);
        const e = heapEntry(byId, obj.heapId);
        const id = objectId(obj.heapId);
        const before = base.snap.parts.get(id);
        if (before === undefined || !cur.parts.has(id)) {
          e.writes = null;
          continue;
        }
        const fields = obj[FIELDS];
        const now = fields.slice();
        for (let i = objs.length - 1; i >= 0; i--)
          if (objs[i] === obj) fields[this.writeSlots[i] as number] = this.writeOld[i];
        const undone = this.componentHash(obj, id);
        const changed = e.writes as Set<number>;
        for (let i = 0; i < objs.length; i++) {
          const slot = this.writeSlots[i] as number;
          if (objs[i] === obj && fields[slot] !== now[slot]) changed.add(this.writeKeys[i] as number);
        }
        for (let k = 0; k < now.length; k++) fields[k] = now[k];
        if (undone !== before) e.writes = null;
      }
    } finally {
      this.quiet--;
    }
    // Decrements that were the field's only access in the step: one read, one write, by one.
    const d = this.decrements;
    for (let i = 0; i < d.length; i += 3) {
      const heapId = d[i] as number;
      const key = d[i + 1] as number;
      let nr = 0;
      for (let j = 0; j < r.length; j += 2) if (r[j] === heapId && r[j + 1] === key) nr++;
      let nw = 0;
      for (let j = 0; j < this.writeObjs.length; j++)
        if (this.writeObjs[j]?.heapId === heapId && this.writeKeys[j] === key) nw++;
      const e = byId.get(heapId);
      if (nr !== 1 || nw !== 1 || e === undefined) continue;
      e.decrements ??= new Map();
      e.decrements.set(key, d[i + 2] as number);
    }
    for (const [heapId, e] of byId) {
      const id = objectId(heapId);
      if (!cur.parts.has(id) || !base.snap.parts.has(id)) continue;
      out.set(id, e);
    }
    // Every object the footprint names must be live before and after (a use without a read of
    // `freed` cannot happen: heap.use reads it).
    if (device) {
      // Only the dios of bios in flight, with the one read every answer makes of them.
      // A dio this answer touched otherwise is whole (and stays so for the other answers).
      const whole = new Set<string>();
      for (const [id, e] of out) {
        if (!this.isDio(w, id)) out.delete(id);
        else if (e.writes === null || e.writes.size > 0 || [...e.reads].some((k) => k !== IOCB_KEY)) {
          out.delete(id);
          whole.add(id);
        }
      }
      for (const bio of w.disk.inFlight) {
        const dio = bio.biPrivate;
        if (dio === null) continue;
        const id = objectId(dio.heapId);
        reads.add(id);
        if (!out.has(id) && !whole.has(id) && !writes.has(id))
          out.set(id, { reads: new Set([IOCB_KEY]), writes: new Set(), decrements: null });
      }
    }
  }

  /** A heap object's component hash as a snapshot now would have it (fingerprint.ts). */
  private componentHash(obj: object, id: string): number {
    return (this.fp as unknown as ComponentHasher).component(obj, id, new Map());
  }

  private isDio(w: WorldView, id: string): boolean {
    for (const o of w.rt.heap.liveObjects()) if (objectId(o.heapId) === id) return o.kind === 'iomap_dio';
    return false;
  }

  /**
   * A completing device step, whatever its answers: the recorded footprint is one variant's (the
   * first measured), and a sleeping device stands for every variant of its step. Each one takes a
   * bio off the queue (the disk), reads that bio and its pages, stores into the cache or fills the
   * pages (a read), counts on the kiocb and spawns the bio's interrupt. So every bio in flight
   * before the step (those still queued and the one it took, which it read), the disk's data and
   * queue, and each request's buffer and accounting go in, read and written, and each request's
   * kiocb, read (dio->iocb->acct).
   */
  private deviceFootprint(w: WorldView, reads: Set<string>, writes: Set<string>): void {
    for (const id of DISK_PARTS) {
      reads.add(id);
      writes.add(id);
    }
    for (const bio of w.disk.inFlight) reads.add(objectId(bio.heapId));
    for (const r of w.requests) {
      for (const id of [`req:${r.id}.buf`, `req:${r.id}.acct`]) {
        reads.add(id);
        writes.add(id);
      }
      // The kiocb, read to reach the accounting (dio->iocb->acct).
      reads.add(`req:${r.id}.iocb`);
    }
  }

  /**
   * The footprint of the device's completion of `bio` (ExploreOptions.deviceByBio), which stands
   * for every answer to its questions but which bio: the disk's data (read and written, whole:
   * the cache, a flush, what reached media), of the disk's queue and counters only the bio's
   * place and the counters of device work (parts of `disk`, so that a submission's append
   * commutes with it), of its request's buffer only the pages the bio covers (the DMA fills them
   * or reads them), and each request's accounting and kiocb as deviceFootprint has them. Two
   * completions conflict on the counters (and the cache), so they are never independent.
   */
  private bioFootprint(w: WorldView, bio: QueuedBio, reads: Set<string>, writes: Set<string>): void {
    touchParts([reads, writes], 'disk', ['device', `q:${bio.serial}`]);
    for (const id of DISK_DATA) {
      reads.add(id);
      writes.add(id);
    }
    for (const r of w.requests) {
      const buf = `req:${r.id}.buf`;
      if (r.id === bio.req && bio.pages > 0) {
        const pages: number[] = [];
        for (let p = bio.firstPage; p < bio.firstPage + bio.pages; p++) pages.push(p);
        touchParts([reads, writes], buf, pages);
      } else if (r.id === bio.req) {
        reads.add(buf);
        writes.add(buf);
      }
      const acct = `req:${r.id}.acct`;
      reads.add(acct);
      writes.add(acct);
      reads.add(`req:${r.id}.iocb`);
    }
  }

  /**
   * With ExploreOptions.deviceByBio, a task step that changed a request's buffer only in pages
   * (pins, dirty bits, data: not its scalars) touches those pages (req:N.buf@p), not the whole
   * buffer: task code reads the pages it pins, dirties or copies (foldBufferChange), each a change.
   */
  private bufferParts(w: WorldView, base: Base, reads: Set<string>, writes: Set<string>): void {
    for (const id of [...writes]) {
      const rid = idKind(id);
      if (rid < 0) continue;
      const before = base.bufs.get(rid);
      const r = w.requests.find((x) => x.id === rid);
      if (before === undefined || r === undefined) continue;
      const now = bufferEntries(r.buf);
      if (now.length !== before.length) continue;
      const n = now.length - BUF_SCALARS;
      if (now[n] !== before[n] || now[n + 1] !== before[n + 1]) continue;
      const b = r.buf;
      const pages = b.pins.length;
      if (b.dirty.length !== pages || b.dmaFilled.length !== pages) continue;
      const changed = new Set<number>();
      for (let i = 0; i < n; i++) {
        if (now[i] === before[i]) continue;
        // A tag is a sector's (bufferEntries), on the page its address falls in.
        changed.add(
          i < b.tags.length ? b.pageIndex(b.addr + (i << SECTOR_SHIFT)) : (i - b.tags.length) % pages,
        );
      }
      touchParts([reads, writes], id, changed);
    }
  }

  /**
   * The options asleep at a scheduling question: a context in the sleep set, and with
   * ExploreOptions.deviceByBio the device when the completion of every bio it may complete next
   * (any in flight with reordering, else the first) is asleep.
   */
  private blockedOptions(
    w: WorldView,
    ctx: readonly number[],
    sleep: ReadonlyMap<number, Footprint>,
  ): Set<number> {
    const out = new Set<number>();
    for (const id of ctx) if (sleep.has(id)) out.add(id);
    const device = w.disk.id;
    if (this.deviceByBio && !out.has(device) && ctx.includes(device)) {
      const next = this.nextBios(w);
      if (next.length > 0 && next.every((b) => sleep.has(deviceTid(b.serial)))) out.add(device);
    }
    return out;
  }

  /** The bios the device's next step may complete. */
  private nextBios(w: WorldView): readonly Bio[] {
    const q = w.disk.inFlight;
    return w.rt.faults.reorder ? q : q.slice(0, 1);
  }

  /**
   * A `complete_which` question of a device step (ExploreOptions.deviceByBio): the options whose
   * completion is asleep at the scheduling question that ran the step; null when none is.
   */
  private bioSkips(w: WorldView, n: number): Set<number> | null {
    if (!this.deviceByBio || !this.reduce) return null;
    const last = this.lastSched;
    if (last === null || last.stepNo !== w.rt.step || w.rt.current !== w.disk) return null;
    const sleep = last.node.sleep;
    if (sleep === null || sleep.size === 0) return null;
    const q = w.disk.inFlight;
    if (q.length !== n) return null;
    let out: Set<number> | null = null;
    for (let v = 0; v < n; v++) {
      if (!sleep.has(deviceTid((q[v] as Bio).serial))) continue;
      out ??= new Set();
      out.add(v);
    }
    return out;
  }

  /** A sleep-set entry's name in the cache (a context's key, a completion's tidName), hashed. */
  private sleepKey(id: number): number {
    return hashString(id <= DEV_TID ? tidName(DEV_TID - id) : (this.key().get(id) ?? '?'));
  }

  /** At the end of a run: account for the last steps (their footprints serve later siblings). */
  finish(w: WorldView): void {
    this.quiet++;
    try {
      this.finishUnrecorded(w);
    } finally {
      this.quiet--;
    }
  }

  private finishUnrecorded(w: WorldView): void {
    if (this.fp === null) return;
    this.checkPins();
    const snap = this.snapshot();
    this.account(w, snap);
    const state = combine(snap.full, this.viewsHash(w));
    this.states.add(state);
    this.worlds?.add(snap.full);
    this.between?.add(state);
  }

  /** The sleep set of a new scheduling question, from the one before it and the step it took. */
  private sleepSetHere(w: WorldView, runnable: readonly number[]): Map<number, Footprint> {
    const out = new Map<number, Footprint>();
    const last = this.lastSched;
    if (last === null || w.rt.step !== last.stepNo) return out;
    const prev = last.node;
    if (prev.ctx === null || prev.done === null) return out;
    const taken = prev.done.get(this.takenKey ?? prev.ctx[prev.value] ?? -1);
    if (taken === undefined || !taken.local) return out;
    const candidates: Footprint[] = [...(prev.sleep?.values() ?? [])];
    // The options explored before this one (in `nextOption` order).
    for (const [id, f] of prev.done) if (id !== taken.ctx) candidates.push(f);
    const next = this.deviceByBio && runnable.includes(w.disk.id) ? this.nextBios(w) : NO_BIOS;
    for (const f of candidates) {
      const enabled =
        f.ctx <= DEV_TID ? next.some((b) => deviceTid(b.serial) === f.ctx) : runnable.includes(f.ctx);
      if (enabled && independent(f, taken)) out.set(f.ctx, f);
    }
    return out;
  }

  /** The path just run, as a decision log. */
  path(): RecordedChoice[] {
    return this.nodes.slice(0, this.depth).map((x) => ({ label: x.label, n: x.n, value: x.value }));
  }

  /** Moves to the next path; false once every path has been walked. */
  advance(cut: boolean): boolean {
    if (!cut && this.depth < this.nodes.length) {
      throw new ExploreDivergence(
        `the run asked ${this.depth} questions on a replayed prefix of ${this.nodes.length}: ` +
          'the run is not a function of its choices',
      );
    }
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i] as Node;
      if (node.stop) {
        if (node.sigs !== null) this.owned.add(node.sigs[node.value] as number);
        continue;
      }
      let v = node.ctx === null ? node.value + 1 : nextOption(node, node.value);
      if (node.ctx !== null) {
        while (v < node.limit && skipped(node.ctx[v] ?? -1, node.blocked, node.only)) {
          v = nextOption(node, v);
          this.sleepSkips++;
        }
      } else if (node.skip !== null) {
        while (v < node.limit && node.skip.has(v)) {
          v++;
          this.sleepSkips++;
        }
      }
      if (v < node.limit) {
        node.value = v;
        this.nodes.length = i + 1;
        return true;
      }
    }
    this.nodes.length = 0;
    return false;
  }

  /** Hash of the end state of a completed run (the world, not the views), for outcome cross-checks. */
  endState(): number {
    if (this.fp === null) return 0;
    return this.snapshot().full;
  }

  attachedWorld(): WorldView | null {
    return this.world;
  }
}

const KERNEL_TABLES: ReadonlySet<KernelOps> = new Set<KernelOps>([
  FIXED_OPS,
  ...Object.values(KERNEL_VERSIONS),
]);

function isKernelOps(ops: KernelOps): boolean {
  return KERNEL_TABLES.has(ops);
}

function noQuirks(q: WorldQuirks | undefined): boolean {
  return q === undefined || Object.values(q).every((v) => v === undefined || v === false);
}

function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

function shorter(a: FoundViolation, b: FoundViolation, byKernelSteps: boolean): boolean {
  if (byKernelSteps && a.kernelSteps !== b.kernelSteps) return a.kernelSteps < b.kernelSteps;
  if (a.choices.length !== b.choices.length) return a.choices.length < b.choices.length;
  const dev = (f: FoundViolation): number => f.choices.filter((c) => c.value !== 0).length;
  return dev(a) < dev(b);
}

/** Walks every path of the scope; see the module comment. */
export function explore(options: ExploreOptions): ExploreResult {
  const start = performance.now();
  const probe = options.probe ?? makeProbe();
  const classes = options.errnoClasses ?? (isKernelOps(options.ops ?? FIXED_OPS) && noQuirks(options.quirks));
  const reduce = options.reduce ?? true;
  const byKernelSteps = options.shortest !== undefined && options.shortest !== false;
  const boundBy = typeof options.shortest === 'string' ? options.shortest : null;
  const walk = new Walk(
    options.maxFaults,
    options.prune ?? true,
    reduce,
    classes,
    reduce && !byKernelSteps && (options.persistent ?? true),
    options.fieldExact ?? true,
    (options.order ?? (options.stopOn === undefined ? 'device-first' : 'list')) === 'device-first',
  );
  walk.shortest = byKernelSteps;
  if (options.collectOutcomes) {
    walk.worlds = new Set();
    walk.between = new Set();
  }
  walk.wholeTaskViews = options.wholeTaskViews ?? false;
  walk.wholeBufferViews = options.wholeBufferViews ?? false;
  walk.onFootprint = options.onFootprint;
  walk.blindTaskViews = options.blindTaskViews ?? false;
  walk.sleepAcrossResults = options.sleepAcrossResults ?? true;
  walk.deviceByBio = options.deviceByBio ?? true;
  walk.loneSteps = options.loneSteps ?? true;
  const crashImages = options.crashImages ?? options.faults.powerLoss === true;
  const violations = new Map<string, ViolationTally>();
  const outcomes = new Set<number>();
  let shortest: FoundViolation | null = null;
  let paths = 0;
  let completed = 0;
  let pruned = 0;
  let asleep = 0;
  let bounds = 0;
  let stoppedBy: StopReason | null = null;
  let modelError: ExploreResult['modelError'] = null;
  let more = true;
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const maxPaths = options.maxPaths ?? Number.POSITIVE_INFINITY;
  const deadline = options.timeLimitMs === undefined ? Number.POSITIVE_INFINITY : start + options.timeLimitMs;
  const cpuDeadline =
    options.cpuLimitMs === undefined ? Number.POSITIVE_INFINITY : cpuMs() + options.cpuLimitMs;
  atomicsHook.decremented = (obj, field, left) => reader?.onDecrement(obj, field, left);
  try {
    // One options record for every run (a closure made per run cost a name definition each).
    const runOptions: RunOptions = {
      source: walk,
      faults: options.faults,
      probe,
      ops: options.ops ?? FIXED_OPS,
      crashImages,
      observe: (w) => walk.attach(w),
      ...(options.quirks === undefined ? {} : { quirks: options.quirks }),
      ...(options.bounds === undefined ? {} : { bounds: options.bounds }),
    };
    while (more) {
      walk.startRun();
      let result: RunResult | null = null;
      let cut = false;
      paths++;
      try {
        result = runScenario(options.scenario, runOptions);
      } catch (e) {
        if (e instanceof ExploreDivergence) throw e;
        if (!(e instanceof Cut)) {
          modelError = { message: e instanceof Error ? e.message : String(e), choices: walk.path() };
          stoppedBy = 'model-error';
          break;
        }
        cut = true;
        if (e.why === 'pruned') pruned++;
        else asleep++;
      }
      if (result !== null) {
        completed++;
        const w = walk.attachedWorld();
        if (w !== null) walk.finish(w);
        const outcome = result.violation?.invariant ?? result.outcome;
        if (options.collectOutcomes) {
          if (w !== null) rankStamps(w);
          const oh = combine(walk.endState(), hashString(outcome));
          outcomes.add(oh);
        }
        if (result.bound !== null) bounds++;
        const v = result.violation;
        if (v !== null) {
          const found: FoundViolation = {
            invariant: v.invariant,
            message: v.message,
            choices: walk.path(),
            kernelSteps: walk.kernelSteps,
          };
          const prev = violations.get(v.invariant);
          const best =
            prev === undefined || shorter(found, prev.shortest, byKernelSteps) ? found : prev.shortest;
          violations.set(v.invariant, { count: (prev?.count ?? 0) + 1, shortest: best });
          if (shortest === null || shorter(found, shortest, byKernelSteps)) shortest = found;
          if (v.invariant === boundBy) walk.bound = Math.min(walk.bound, found.kernelSteps);
          if (options.stopOn?.(v.invariant)) stoppedBy = 'found';
        }
      }
      more = walk.advance(cut);
      if (!more || stoppedBy !== null) break;
      if (walk.states.size > maxStates) stoppedBy = 'states';
      else if (paths >= maxPaths) stoppedBy = 'paths';
      else if (deadline !== Number.POSITIVE_INFINITY && performance.now() > deadline) stoppedBy = 'time';
      else if ((paths & 255) === 0 && cpuMs() > cpuDeadline) stoppedBy = 'time';
      if (stoppedBy !== null) break;
    }
  } finally {
    reader = null;
    atomicsHook.decremented = null;
  }
  return {
    complete: stoppedBy === null,
    stoppedBy,
    paths,
    completedPaths: completed,
    prunedPaths: pruned,
    sleepBlockedPaths: asleep,
    sleepSkips: walk.sleepSkips,
    faultCuts: walk.faultCuts,
    states: walk.states.size,
    boundHits: bounds,
    milliseconds: performance.now() - start,
    violations,
    shortest,
    outcomes,
    worlds: walk.worlds ?? new Set(),
    between: walk.between ?? new Set(),
    modelError,
  };
}
