/**
 * State fingerprints of a world in progress, for the explorer's state cache and its footprints.
 *
 * The model is generator based and cannot be snapshotted, so a fingerprint hashes what is
 * readable: every object reachable from the world (disk cache and media, the journal and extent
 * map, the inode and page cache, the requests with their kiocbs, iters, buffers and accounting,
 * every live heap object: dios and bios) and the runtime's scheduling state (each live context's
 * id, name, kind, sleep state, whether it waits, and its step counter, which stands in for the
 * generator's position). Nothing is hashed that is only history or report: the trace, coverage,
 * the choice log, the disk's bio log, the scenario (constant), the probe and the ops table.
 *
 * The world is hashed as components, each rooted at one object: the world's own fields, the disk,
 * the model filesystem, the inode, each request, sync and file-op record, each live heap object and
 * each context. A walk that meets another component's root hashes a reference to it instead of
 * descending, so a step that writes one component changes that component's hash only: the
 * explorer diffs components before and after a step to learn which ones it wrote (its footprint).
 *
 * What a fingerprint cannot see: locals of suspended generators and variables captured by
 * closures (a flush waiter's `done`). Two states that differ only there would be merged. The step
 * counter of each context, the live contexts and the choices already made within the current step
 * (which the explorer adds to its cache key) are the proxies for them; README's "Exhaustive
 * exploration" section states this limit, and properties/explore.test.ts checks on every standard
 * scope that pruning loses no outcome the unpruned walk finds.
 *
 * Hashes are two 32-bit lanes folded into one 53-bit number: a collision needs ~10^8 states.
 */
import { Context } from '../../model/runtime/context.ts';
import { KObject } from '../../model/runtime/heap.ts';
import type { WorldView } from '../../model/world/probe.ts';
import { sortedInto } from './sorted.ts';
import { withRankedStamps } from './stamps.ts';

const T_NULL = 0x9e3779b1;
const T_UNDEF = 0x85ebca77;
const T_TRUE = 0xc2b2ae3d;
const T_FALSE = 0x27d4eb2f;
const T_FN = 0x165667b1;
const T_REF = 0xd3a2646c;
const T_BACK = 0xfd7046c5;
const T_ARR = 0xb55a4f09;
const T_MAP = 0x6c8e9cf5;
const T_SET = 0x2f3d6b8b;
const T_VIEW = 0x4cf5ad43;
const T_SKIP = 0x7a1c2e9d;
const T_FLOAT = 0x1b873593;

/**
 * Where a heap object the explorer tracks keeps its fields' values (engine.ts `track`; a symbol:
 * for-in and Object.keys skip it), and the mark of one tracked through its class's shared
 * prototype of accessors, whose for-in order is its own keys, then the record's.
 */
export const FIELDS = Symbol('fields');
export const SHARED = Symbol('shared accessors');
/** On a tracked object's prototype: the names of its FIELDS array's slots. */
export const TRACKED = Symbol('tracked fields');
/**
 * On a tracked object's prototype: the names of the object's own fields (the untracked ones, in
 * their order), which is what Object.keys gives on it without allocating a list per visit (on the
 * world, in dictionary mode, it also sorted them).
 */
export const OWN = Symbol('own fields');

/**
 * What a shallow root's component needs of each field, by layout (its TRACKED list) and
 * component id: the field names' hashes and the ids of the parts behind them (rootPart).
 */
interface ShallowPlan {
  readonly ownHash: readonly number[];
  readonly ownPart: readonly string[];
  readonly trackedHash: readonly number[];
  readonly trackedPart: readonly string[];
}
const shallowPlans = new Map<readonly string[], Map<string, ShallowPlan>>();

function shallowPlan(tracked: readonly string[], own: readonly string[], id: string): ShallowPlan {
  let byId = shallowPlans.get(tracked);
  if (byId === undefined) {
    byId = new Map();
    shallowPlans.set(tracked, byId);
  }
  let plan = byId.get(id);
  if (plan === undefined) {
    plan = {
      ownHash: own.map(hashString),
      ownPart: own.map((key) => rootPart(id, key)),
      trackedHash: tracked.map(hashString),
      trackedPart: tracked.map((key) => rootPart(id, key)),
    };
    byId.set(id, plan);
  }
  return plan;
}

const floatView = new Float64Array(1);
const floatWords = new Int32Array(floatView.buffer);

/** A two-lane multiplicative hash (murmur3-style mixing in each lane). */
export class Hasher {
  private a = 0x811c9dc5 | 0;
  private b = 0x1234567 | 0;

  /** A copy, to resume hashing from this point later. */
  clone(): Hasher {
    const h = new Hasher();
    h.a = this.a;
    h.b = this.b;
    return h;
  }

  /** Continue from a copy's point. */
  copyFrom(other: Hasher): void {
    this.a = other.a;
    this.b = other.b;
  }

  reset(seed = 0): void {
    this.a = (0x811c9dc5 ^ seed) | 0;
    this.b = (0x1234567 + seed) | 0;
  }

  mix(x: number): void {
    let k = Math.imul(x | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let a = this.a ^ k;
    a = (a << 13) | (a >>> 19);
    this.a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    let b = (this.b + Math.imul(x | 0, 0x85ebca6b)) | 0;
    b ^= b >>> 13;
    this.b = Math.imul(b, 0xc2b2ae35) ^ 0x27d4eb2f;
  }

  mixNumber(v: number): void {
    if ((v | 0) === v) {
      this.mix(v);
      return;
    }
    floatView[0] = v;
    this.mix(T_FLOAT);
    this.mix(floatWords[0] ?? 0);
    this.mix(floatWords[1] ?? 0);
  }

  mixString(s: string): void {
    this.mix(s.length);
    for (let i = 0; i < s.length; i++) this.mix(s.charCodeAt(i));
  }

  /** The hash so far, as a non-negative integer below 2^53. */
  value(): number {
    let a = this.a ^ (this.a >>> 16);
    a = Math.imul(a, 0x85ebca6b);
    a ^= a >>> 13;
    let b = this.b ^ (this.b >>> 15);
    b = Math.imul(b, 0x2c1b3c6d);
    b ^= b >>> 12;
    return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
  }
}

const stringHashes = new Map<string, number>();

/** Hash of a string, alone (for labels and component ids; memoised, as they repeat). */
export function hashString(s: string): number {
  let v = stringHashes.get(s);
  if (v === undefined) {
    const h = new Hasher();
    h.mixString(s);
    v = h.value();
    if (stringHashes.size < 100_000) stringHashes.set(s, v);
  }
  return v;
}

const scratch = new Hasher();

/** Combine two hashes (order matters). */
export function combine(x: number, y: number): number {
  const h = scratch;
  // reset(0) is a new Hasher's state.
  h.reset(0);
  h.mixNumber(x);
  h.mixNumber(y);
  return h.value();
}

/** The world's fields this module reads beyond WorldView (the World class has them all). */
interface WorldFields extends WorldView {
  readonly k?: unknown;
  readonly probe?: unknown;
}

/**
 * The world's field `key` as a component root: `fs`, the scripted provider, is null in a world of
 * the model XFS or ext4 (`xfs` set), whose model code never reads it (run.ts World.fs builds it
 * lazily, only for a caller of RunResult.fs): reading it here built it in every explored run and
 * hashed it at every snapshot.
 */
export function worldRoot(w: WorldView, key: string): unknown {
  if (key === 'fs' && w.xfs !== null) return null;
  return (w as unknown as Record<string, unknown>)[key];
}

/**
 * Component ids in a snapshot's order and each one's place: shared by every snapshot whose ids
 * are the same (most are: a step allocates, frees, spawns or ends little).
 */
class PartLayout {
  readonly index = new Map<string, number>();

  /**
   * `ids` in order; an id twice (the rest: a shallow root's field `xfs.geo` holding the inner
   * root of that id) is found at its last place, as a Map set twice keeps the last value.
   */
  constructor(readonly ids: readonly string[]) {
    for (let i = 0; i < ids.length; i++) this.index.set(ids[i] as string, i);
  }

  /** Are these the ids `ids[0..n)`, in order? */
  same(ids: readonly string[], n: number): boolean {
    const mine = this.ids;
    if (mine.length !== n) return false;
    for (let i = 0; i < n; i++) if (mine[i] !== ids[i]) return false;
    return true;
  }
}

/** Layouts met lately, the latest first: a walk's runs meet a few dozen, each over and over. */
const layouts: PartLayout[] = [];
const LAYOUTS_KEPT = 64;

/** The layout of ids `ids[0..n)` (a copy, when new). */
function layoutOf(ids: readonly string[], n: number): PartLayout {
  for (let i = 0; i < layouts.length; i++) {
    const l = layouts[i] as PartLayout;
    if (!l.same(ids, n)) continue;
    if (i > 0) {
      layouts.copyWithin(1, 0, i);
      layouts[0] = l;
    }
    return l;
  }
  const l = new PartLayout(ids.slice(0, n));
  if (layouts.length < LAYOUTS_KEPT) layouts.push(l);
  layouts.copyWithin(1, 0, layouts.length - 1);
  layouts[0] = l;
  return l;
}

/**
 * Component id → hash, read-only, ids in snapshot order: a layout shared
 * between snapshots and a list of hashes of this one. Two Maps of a few dozen string keys per
 * snapshot were a sixth of the bytes a walk allocated.
 */
export class PartHashes {
  constructor(
    private readonly layout: PartLayout,
    private readonly hashes: readonly number[],
  ) {}

  get(id: string): number | undefined {
    const i = this.layout.index.get(id);
    return i === undefined ? undefined : this.hashes[i];
  }

  has(id: string): boolean {
    return this.layout.index.has(id);
  }

  /** The ids, in order (a list: iterate, do not change). */
  keys(): readonly string[] {
    return this.layout.ids;
  }

  /**
   * The ids whose hash differs from `before`'s (or that `before` lacks), `contexts` aside, in
   * order, then those of `before` this lacks: what a step between the two snapshots wrote.
   */
  changedSince(before: PartHashes): string[] {
    const out: string[] = [];
    const ids = this.layout.ids;
    const hashes = this.hashes;
    if (before.layout === this.layout) {
      for (let i = 0; i < hashes.length; i++)
        if (hashes[i] !== before.hashes[i] && ids[i] !== 'contexts') out.push(ids[i] as string);
      return out;
    }
    for (let i = 0; i < hashes.length; i++) {
      const id = ids[i] as string;
      if (id !== 'contexts' && before.get(id) !== hashes[i]) out.push(id);
    }
    const index = this.layout.index;
    for (const id of before.layout.ids) if (!index.has(id)) out.push(id);
    return out;
  }
}

/** A hash per component, and the whole. */
export interface Snapshot {
  /** The state fingerprint: every component and the runtime's clock and current context. */
  readonly full: number;
  /**
   * Component id → hash. Ids: world, disk (its queue and counters), disk.cache, disk.media, xfs,
   * inode, xfsFile, buffered, fs, req:N (a request, sync or file-op record) and, for a direct I/O
   * request, req:N.iocb, req:N.acct (the kiocb's accounting), req:N.iter, req:N.buf; obj:N (a live
   * heap object), ctx:N (a context), contexts (the runtime's clock, current context, context list).
   */
  readonly parts: PartHashes;
  /**
   * For each shallow root (WorldFingerprint.shallow) `id`: its component's hash without the
   * root's fields that hold a scalar now (what a step can read of them is in its read log); and
   * for each of its fields holding an object, `id.field`: the hash of what the walk met from there
   * (rootPart; objects already met through an earlier field count as back references).
   */
  readonly rest: PartHashes;
}

/**
 * A context's name in fingerprints and cache keys: its name when no other live context has it,
 * else the name and its rank among the live contexts of that name by creation. Context ids follow
 * spawn order, so two schedules that spawned the same completions in another order would differ
 * in ids alone; names (bio3, task1, issuer:req1) say which bio or request a context serves.
 */
export function contextKeys(contexts: readonly Context[]): Map<number, string> {
  const keys = new Map<number, string>();
  // Usually every name is its own key: a handful of contexts, compared pairwise without maps.
  let unique = true;
  for (let i = 1; unique && i < contexts.length; i++)
    for (let j = 0; j < i; j++)
      if ((contexts[i] as Context).name === (contexts[j] as Context).name) {
        unique = false;
        break;
      }
  if (unique) {
    for (const c of contexts) keys.set(c.id, c.name);
    return keys;
  }
  const count = new Map<string, number>();
  for (const c of contexts) count.set(c.name, (count.get(c.name) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const c of contexts) {
    if (count.get(c.name) === 1) {
      keys.set(c.id, c.name);
      continue;
    }
    const k = seen.get(c.name) ?? 0;
    seen.set(c.name, k + 1);
    keys.set(c.id, rankedName(c.name, k));
  }
  return keys;
}

const rankedNames = new Map<string, string[]>();

/** `name#k` (contextKeys), made once per name and rank. */
function rankedName(name: string, k: number): string {
  let list = rankedNames.get(name);
  if (list === undefined) {
    list = [];
    rankedNames.set(name, list);
  }
  let key = list[k];
  if (key === undefined) {
    key = `${name}#${k}`;
    list[k] = key;
  }
  return key;
}

const requestIdCache: string[][] = [];

/** A request's component ids: itself, its kiocb, the kiocb's accounting, its iter, its buffer. */
function requestIds(id: number): readonly [string, string, string, string, string] {
  let ids = requestIdCache[id];
  if (ids === undefined) {
    const r = `req:${id}`;
    ids = [r, `${r}.iocb`, `${r}.acct`, `${r}.iter`, `${r}.buf`];
    requestIdCache[id] = ids;
  }
  return ids as [string, string, string, string, string];
}

const rootParts = new Map<string, Map<string, string>>();

/** The id of a shallow root's part reached through its field `key` (Snapshot.rest): `id.key`. */
export function rootPart(id: string, key: string): string {
  let m = rootParts.get(id);
  if (m === undefined) {
    m = new Map();
    rootParts.set(id, m);
  }
  let part = m.get(key);
  if (part === undefined) {
    part = `${id}.${key}`;
    m.set(key, part);
  }
  return part;
}

const contextIds = new Map<string, string>();

/** A context's component id: `ctx:` and its key (contextKeys). */
export function contextId(key: string): string {
  let id = contextIds.get(key);
  if (id === undefined) {
    id = `ctx:${key}`;
    contextIds.set(key, id);
  }
  return id;
}

const objectIdCache: string[] = [];

/** A live heap object's component id. */
export function objectId(heapId: number): string {
  let id = objectIdCache[heapId];
  if (id === undefined) {
    id = `obj:${heapId}`;
    objectIdCache[heapId] = id;
  }
  return id;
}

/**
 * A typed array by its bytes: as 32-bit words when they are aligned (every array the model has),
 * else byte by byte. Each loop sees one array type only: a loop over a mix of element types runs
 * about ten times slower.
 */
function hashView(h: Hasher, o: ArrayBufferView): void {
  h.mix(o.byteLength);
  const aligned = (o.byteOffset & 3) === 0 && (o.byteLength & 3) === 0;
  // The model's arrays are read as they are: a view made over their buffer per visit (V8 makes
  // one in its runtime, ~1 µs) cost more than hashing the disk's media.
  if (o instanceof Int32Array) hashWords(h, o);
  else if (o instanceof Uint8Array) {
    if (aligned) hashByteWords(h, o);
    else hashBytes(h, o);
  } else if (o instanceof Int8Array) {
    if (aligned) hashSignedByteWords(h, o);
    else hashSignedBytes(h, o);
  } else if (aligned) hashWords(h, new Int32Array(o.buffer, o.byteOffset, o.byteLength >> 2));
  else hashBytes(h, new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
}
function hashWords(h: Hasher, a: Int32Array): void {
  for (let i = 0; i < a.length; i++) h.mix(a[i] as number);
}
function hashBytes(h: Hasher, a: Uint8Array): void {
  for (let i = 0; i < a.length; i++) h.mix(a[i] as number);
}
function hashSignedBytes(h: Hasher, a: Int8Array): void {
  for (let i = 0; i < a.length; i++) h.mix((a[i] as number) & 0xff);
}
/** Four bytes at a time as the little-endian word an Int32Array over them holds. */
function hashByteWords(h: Hasher, a: Uint8Array): void {
  for (let i = 0; i < a.length; i += 4)
    h.mix(
      (a[i] as number) |
        ((a[i + 1] as number) << 8) |
        ((a[i + 2] as number) << 16) |
        ((a[i + 3] as number) << 24),
    );
}
function hashSignedByteWords(h: Hasher, a: Int8Array): void {
  for (let i = 0; i < a.length; i += 4)
    h.mix(
      ((a[i] as number) & 0xff) |
        (((a[i + 1] as number) & 0xff) << 8) |
        (((a[i + 2] as number) & 0xff) << 16) |
        ((a[i + 3] as number) << 24),
    );
}

/** The last word array hashed as a component (wordsComponent): a copy of its words and its hash. */
const lastWords: { copy: Int32Array | null; hash: number } = { copy: null, hash: 0 };

function sameWords(a: Int32Array | null, b: Int32Array): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const SKIPPED = -1;

/** A field's hash (WorldFingerprint.fieldHash) when it holds a skipped object, and a root's. */
function refFieldHash(h: Hasher, rootHash: number): number {
  h.reset(4);
  h.mix(T_REF);
  h.mixNumber(rootHash);
  return h.value();
}
const SKIPPED_FIELD = ((): number => {
  const h = new Hasher();
  h.reset(4);
  h.mix(T_SKIP);
  return h.value();
})();
const ROOT_BASE = -2;
/** Objects a walk scans for back references before it keeps them in a map (WorldFingerprint.seen). */
const SEEN_SCAN = 32;

/** The hash of each prototype's constructor's name (ctorHash). */
const protoHashes = new Map<unknown, number>();
/** Scratch for sortedNumbers. */
const sortScratch: number[] = [];

/**
 * `xs` ascending, in `out` (by default a scratch list, valid until the next call): by insertion,
 * as they are a handful (a request's failed bios' errnos, the sectors in the disk's cache).
 */
function sortedNumbers(xs: Iterable<number>, out: number[] = sortScratch): number[] {
  return sortedInto(xs, out);
}

/** What the walk does with an object, by its prototype (protoInfo). */
const K_PLAIN = 0;
const K_CONTEXT = 1;
const K_MAP = 2;
const K_SET = 3;
/** A tracked object (engine.ts shareFields): its prototype is its layout's, which only such objects have. */
const K_SHARED = 4;

interface ProtoInfo {
  readonly kind: number;
  /** ctorHash. */
  readonly hash: number;
}
const protoInfos = new Map<unknown, ProtoInfo>();

/**
 * How the walk treats objects of `o`'s prototype, worked out from the first one met: one lookup
 * where four instanceof tests, a symbol's and the constructor's lookups each walked the prototype
 * chains of every shape the walk meets. Arrays and typed arrays are told apart before (by their
 * own checks).
 */
function protoInfo(o: object): ProtoInfo {
  const proto = Object.getPrototypeOf(o) as unknown;
  let info = protoInfos.get(proto);
  if (info === undefined) {
    const kind =
      o instanceof Context
        ? K_CONTEXT
        : o instanceof Map
          ? K_MAP
          : o instanceof Set
            ? K_SET
            : (o as { [SHARED]?: true })[SHARED] === true
              ? K_SHARED
              : K_PLAIN;
    info = { kind, hash: ctorHash(o) };
    protoInfos.set(proto, info);
  }
  return info;
}

/**
 * The hash of `o`'s constructor's name, looked up by its prototype: Object.getPrototypeOf is one
 * load where `o.constructor` searched the chain of every shape the walk meets (megamorphic).
 */
function ctorHash(o: object): number {
  const proto = Object.getPrototypeOf(o) as unknown;
  let h = protoHashes.get(proto);
  if (h === undefined) {
    const c = (o as { constructor?: unknown }).constructor;
    h = hashString(typeof c === 'function' ? c.name : '?');
    protoHashes.set(proto, h);
  }
  return h;
}

/**
 * Fingerprints one world. Built once per run (the explorer's `observe` hook hands over the
 * world); snapshot() may be called at any choice point.
 */
export class WorldFingerprint {
  private h = new Hasher();
  /** Objects never hashed: runtime internals, the constant scenario, the probe, the ops table. */
  private readonly skip = new Set<unknown>();
  private readonly roots = new Map<object, string>();
  /** One lookup per object met in a walk: SKIPPED for `skip`, ROOT_BASE - i for the i-th root of `order`. */
  private readonly marks = new Map<object, number>();
  /**
   * The objects the walk in progress (one component or value hash) has visited, other than roots,
   * and each one's visit index: a later meeting is a back reference. A component holds a few
   * objects, so a scan beats a map, whose insertion of a fresh object gives it an identity hash
   * (every run builds a fresh world: that was most of a snapshot's cost). Past SEEN_SCAN objects
   * the map `seenMap` takes over.
   */
  private readonly seen: object[] = [];
  private readonly seenAt: number[] = [];
  /** How many of `seen` this walk uses (the arrays keep their storage from walk to walk). */
  private seenN = 0;
  private readonly seenMap = new Map<object, number>();
  private visits = 0;
  private root: object | null = null;
  /** Maps hashed in key order, not insertion order (see the constructor). */
  private readonly sortedMaps = new Set<unknown>();
  /**
   * Arrays hashed as multisets (sorted): each request's IocbAccounting.bioErrors, the errnos of its
   * failed bios in completion order. The model never reads it; the checkers read its length and,
   * for a message only, its first element (requestChecks.ts ERR-02, the reach targets), so paths
   * whose bios failed in another order reach the same verdicts from there.
   */
  private readonly multisets = new Set<unknown>();
  /**
   * Roots whose own scalar fields the explorer tracks (engine.ts `trackRoot`): their component
   * hash is that of the rest (Snapshot.rest) combined with the tracked scalars' hash.
   */
  private readonly shallowRoots = new Set<object>();
  /** Scratch: a shallow root's scalars, and one of its object fields (shallowComponent). */
  private readonly scalars = new Hasher();
  private readonly sub = new Hasher();
  /** The context keys of the last snapshot (contextKeys). */
  keys: Map<number, string> = new Map();

  /**
   * `canonicalCache`: hash the disk's write cache in sector order. Its insertion order changes
   * what the device can do only at power loss (a prefix of the cache in that order may reach
   * media, Disk.powerFail), so it is canonical only when power cannot fail.
   */
  constructor(
    private readonly w: WorldView,
    canonicalCache = false,
  ) {
    if (canonicalCache) this.sortedMaps.add(w.disk.cache);
    const f = w as WorldFields;
    for (const o of [w.rt, w.scenario, f.k, f.probe, w.disk.log, w.disk.stepHooks, w.xfs?.initialMap]) {
      if (o !== undefined && o !== null) this.skip.add(o);
    }
    // A root's mark takes the place of SKIPPED while it is a root (settle puts it back).
    for (const o of this.skip) this.marks.set(o as object, SKIPPED);
  }

  /** Is `o` one of the objects never hashed (runtime internals, constants)? */
  skipped(o: unknown): boolean {
    return this.skip.has(o);
  }

  /** Marks `o`, a component root whose own scalar fields are tracked (FIELDS), as shallow. */
  shallow(o: object): void {
    this.shallowRoots.add(o);
  }

  /** Inner roots (engine.ts Walk.attach): objects inside the world's components made components. */
  private readonly inner: Array<readonly [string, object]> = [];

  /** Makes `o`, an object inside a component, a component of its own named `id`. */
  innerRoot(id: string, o: object): void {
    this.inner.push([id, o]);
  }

  /** Component roots in snapshot order (ids and objects), as of the last `collectRoots`. */
  private readonly order: Array<string | object> = [];
  /** The hash of each root's id (hashString), by its place in `order` (half the index). */
  private readonly rootHashes: number[] = [];
  private live: readonly KObject[] = [];
  private contexts: readonly Context[] = [];
  /** Where the contexts' roots begin in `order` (they come last). */
  private contextsFrom = 0;
  /** Scratch: the contexts' positions in `order`, sorted by component id (snapshot). */
  private readonly byKey: number[] = [];

  /**
   * The candidate roots of the last collectRoots in their order, before duplicates and
   * non-objects were dropped (id, object...), and for each candidate the length `order` had after
   * it: a later collection that meets the same candidates up to some point keeps what they gave
   * (a step allocates, frees, spawns or ends little, and those roots come last).
   */
  private readonly raw: unknown[] = [];
  private readonly rawOrder: number[] = [];
  private rawLength = 0;
  /** Each request's IocbAccounting.bioErrors as the last collectRoots found them (`multisets`). */
  private readonly bioErrors: unknown[] = [];

  /**
   * Names every component root (`roots`, `order`, `keys`) without hashing anything: what the
   * explorer's read log needs to name the values a step reads (see valueHash). The maps are
   * updated from the first candidate root that differs from the last collection's: rebuilding
   * them (Map.clear, then growing them again) was a third of a snapshot's own cost.
   */
  collectRoots(): void {
    const w = this.w as WorldFields;
    const rt = w.rt;
    this.rawLength = 0;
    this.candidate('world', w);
    this.candidate('disk', w.disk);
    // The disk's data apart from its queue, so that reading data is not reading the queue.
    this.candidate('disk.cache', w.disk.cache);
    this.candidate('disk.media', w.disk.media);
    this.candidate('xfs', w.xfs);
    this.candidate('inode', w.inode);
    this.candidate('xfsFile', worldRoot(w, 'xfsFile'));
    this.candidate('buffered', worldRoot(w, 'buffered'));
    this.candidate('fs', worldRoot(w, 'fs'));
    const inner = this.inner;
    for (let i = 0; i < inner.length; i++) {
      const e = inner[i] as readonly [string, object];
      this.candidate(e[0], e[1]);
    }
    const requests = w.requests;
    const errors = this.bioErrors;
    let sameErrors = errors.length === requests.length;
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i] as WorldView['requests'][number];
      if (sameErrors && errors[i] !== r.iocb.acct.bioErrors) sameErrors = false;
      const ids = requestIds(r.id);
      this.candidate(ids[0], r);
      // Finer components, so that a step's footprint names the part of a request it changed.
      this.candidate(ids[1], r.iocb);
      this.candidate(ids[2], r.iocb.acct);
      this.candidate(ids[3], r.iter);
      this.candidate(ids[4], r.buf);
    }
    if (!sameErrors) {
      this.multisets.clear();
      errors.length = 0;
      for (const r of requests) {
        this.multisets.add(r.iocb.acct.bioErrors);
        errors.push(r.iocb.acct.bioErrors);
      }
    }
    for (const s of w.syncs) this.candidate(requestIds(s.id)[0], s);
    for (const f of w.fileOps) this.candidate(requestIds(f.id)[0], f);
    const live: readonly KObject[] = rt.heap.liveObjects();
    for (let i = 0; i < live.length; i++) {
      const o = live[i] as KObject;
      this.candidate(objectId(o.heapId), o);
    }
    const contexts: readonly Context[] = rt.liveContexts();
    const keys = this.contextKeysOf(contexts);
    this.keys = keys;
    // The contexts come last: where they begin in `order` is fixed by the candidates before them.
    const firstContext = this.rawLength;
    for (let i = 0; i < contexts.length; i++) {
      const c = contexts[i] as Context;
      this.candidate(contextId(keys.get(c.id) ?? '?'), c);
    }
    this.settle();
    this.contextsFrom = firstContext === 0 ? 0 : (this.rawOrder[firstContext / 2 - 1] as number);
    this.live = live;
    this.contexts = contexts;
  }

  /** Index in `raw` of the first candidate that differs from the last collection's (collectRoots). */
  private firstChange = 0;

  /** Appends one candidate root (collectRoots), noting where it first differs from the last collection. */
  private candidate(id: string, o: unknown): void {
    const raw = this.raw;
    const at = this.rawLength;
    if (this.firstChange === at && at < raw.length && raw[at] === id && raw[at + 1] === o) {
      this.firstChange = at + 2;
    } else {
      raw[at] = id;
      raw[at + 1] = o;
    }
    this.rawLength = at + 2;
  }

  /**
   * Brings `roots`, `marks` and `order` up to date with the candidates of this collection: those
   * from the first change on are dropped and added again, as the whole collection would add them.
   */
  private settle(): void {
    const raw = this.raw;
    const n = this.rawLength;
    const from = this.firstChange;
    this.firstChange = 0;
    if (from === n && n === raw.length) return;
    this.parts = null;
    const roots = this.roots;
    const marks = this.marks;
    const order = this.order;
    const rawOrder = this.rawOrder;
    const keep = from === 0 ? 0 : (rawOrder[from / 2 - 1] as number);
    for (let i = keep; i < order.length; i += 2) {
      const o = order[i + 1] as object;
      roots.delete(o);
      if (this.skip.has(o)) marks.set(o, SKIPPED);
      else marks.delete(o);
    }
    order.length = keep;
    for (let i = from; i < n; i += 2) {
      const o = raw[i + 1];
      if (typeof o === 'object' && o !== null && !roots.has(o)) {
        roots.set(o, raw[i] as string);
        marks.set(o, ROOT_BASE - order.length / 2);
        this.rootHashes[order.length / 2] = hashString(raw[i] as string);
        order.push(raw[i] as string, o);
      }
      rawOrder[i / 2] = order.length;
    }
    raw.length = n;
    rawOrder.length = n / 2;
  }

  /** The last contexts' ids and names (contextKeysOf). */
  private readonly ctxIds: number[] = [];
  private readonly ctxNames: string[] = [];

  /** contextKeys(contexts), the last collection's map when the contexts' ids and names are the same. */
  private contextKeysOf(contexts: readonly Context[]): Map<number, string> {
    const ids = this.ctxIds;
    const names = this.ctxNames;
    let same = ids.length === contexts.length;
    for (let i = 0; same && i < contexts.length; i++) {
      const c = contexts[i] as Context;
      same = ids[i] === c.id && names[i] === c.name;
    }
    if (same) return this.keys;
    ids.length = 0;
    names.length = 0;
    for (const c of contexts) {
      ids.push(c.id);
      names.push(c.name);
    }
    return contextKeys(contexts);
  }

  /** Every component's hash, and the fingerprint of the whole state (stamps by rank: stamps.ts). */
  snapshot(): Snapshot {
    return withRankedStamps(this.w, this.now);
  }

  private readonly now = (): Snapshot => this.snapshotNow();

  private snapshotNow(): Snapshot {
    this.collectRoots();
    const order = this.order;
    const keys = this.keys;
    const hashes: number[] = [];
    this.restVals = [];
    this.restN = 0;
    const whole = new Hasher();
    const rootHashes = this.rootHashes;
    for (let i = 0; i < order.length; i += 2) {
      const v = this.component(order[i + 1] as object, order[i] as string);
      hashes.push(v);
      if (i >= this.contextsFrom) continue;
      whole.mixNumber(rootHashes[i >> 1] as number);
      whole.mixNumber(v);
    }
    // The contexts by key, not in the runtime's list order: completions spawned in another order
    // (bio2's interrupt before bio1's) are the same state. The list order only says which context
    // each scheduling option names; every runnable one is offered either way.
    const byKey = this.byKey;
    byKey.length = 0;
    for (let i = this.contextsFrom; i < order.length; i += 2) byKey.push(i);
    // By insertion, without a comparator's closure: a handful of contexts, each key once.
    for (let j = 1; j < byKey.length; j++) {
      const x = byKey[j] as number;
      const key = order[x] as string;
      let k = j;
      while (k > 0 && key < (order[byKey[k - 1] as number] as string)) {
        byKey[k] = byKey[k - 1] as number;
        k--;
      }
      byKey[k] = x;
    }
    for (const i of byKey) {
      whole.mixNumber(rootHashes[i >> 1] as number);
      whole.mixNumber(hashes[i >> 1] as number);
    }
    // The runtime: its clock, who runs, and the live contexts in scheduling order.
    const h = this.h;
    // Not the clock: the stamps the world recorded are hashed by rank (withRankedStamps).
    const rt = this.w.rt;
    h.reset(7);
    h.mixNumber(rt.current === null ? -1 : hashString(keys.get(rt.current.id) ?? '?'));
    h.mix(this.contexts.length);
    // The live contexts' keys in order (their ids, `ctx:` and the key, sort alike).
    for (const i of byKey) h.mixNumber(rootHashes[i >> 1] as number);
    h.mix(this.live.length);
    const runtime = h.value();
    hashes.push(runtime);
    whole.mixNumber(runtime);
    const parts = new PartHashes(this.partLayout(), hashes);
    return {
      full: whole.value(),
      parts,
      rest: new PartHashes(layoutOf(this.restIds, this.restN), this.restVals),
    };
  }

  /** The layout of `parts` (snapshotNow): the roots' ids in `order`, then `contexts`. */
  private partLayout(): PartLayout {
    const order = this.order;
    const layout = this.parts;
    // Unchanged since the last snapshot (settle drops it when `order` changes).
    if (layout !== null) return layout;
    const ids = this.layoutScratch;
    ids.length = 0;
    for (let i = 0; i < order.length; i += 2) ids.push(order[i] as string);
    ids.push('contexts');
    this.parts = layoutOf(ids, ids.length);
    return this.parts;
  }

  /** The layout of `parts` as of the last snapshot (null when `order` changed since), and scratch. */
  private parts: PartLayout | null = null;
  private readonly layoutScratch: string[] = [];
  /** The rest's ids (in `restIds`, up to restN) and hashes of the snapshot in progress. */
  private readonly restIds: string[] = [];
  private restN = 0;
  private restVals: number[] = [];

  /** Appends `id`'s hash to the rest of the snapshot in progress. */
  private restSet(id: string, v: number): void {
    this.restIds[this.restN++] = id;
    this.restVals.push(v);
  }

  /** The component rooted at `o` as of the last snapshot, or undefined. */
  rootOf(o: object): string | undefined {
    return this.roots.get(o);
  }

  /**
   * Hash of one value a context read from a heap object's field (the explorer's read log): a
   * scalar as itself, a component root (another heap object, a context, a request's part) by its
   * id, any other object by its contents as they are now (a reference into the object's own
   * component, such as a dio's work item).
   */
  valueHash(v: unknown): number {
    if (typeof v === 'object' && v !== null) {
      const id = this.roots.get(v);
      if (id !== undefined) return hashString(id);
      // Allocated or spawned since the last snapshot: its id (as a root it will have) or name.
      if (v instanceof KObject && v.heapId > 0) return hashString(objectId(v.heapId));
      if (v instanceof Context) return hashString(`ctx:${v.name}`);
    }
    this.root = null;
    this.startWalk();
    this.h.reset(3);
    this.walk(v);
    return this.h.value();
  }

  private startWalk(): void {
    this.visits = 0;
    this.seenN = 0;
    if (this.seenMap.size > 0) this.seenMap.clear();
  }

  /** The visit index of `o` if this walk met it already (a non-root), else -1; records it if not. */
  private visitOf(o: object): number {
    const seen = this.seen;
    const n = this.seenN;
    if (n < SEEN_SCAN) {
      for (let i = 0; i < n; i++) if (seen[i] === o) return this.seenAt[i] as number;
      seen[n] = o;
      this.seenAt[n] = this.visits;
      this.seenN = n + 1;
      return -1;
    }
    const at = this.seenMap.get(o);
    if (at !== undefined) return at;
    for (let i = 0; i < n; i++) if (seen[i] === o) return this.seenAt[i] as number;
    this.seenMap.set(o, this.visits);
    return -1;
  }

  private component(o: object, id: string): number {
    this.root = o;
    this.startWalk();
    this.h.reset(1);
    if (this.shallowRoots.has(o)) return this.shallowComponent(o, id);
    if (o instanceof Int32Array) return this.wordsComponent(o);
    this.walk(o);
    return this.h.value();
  }

  /**
   * A component that is a word array (the disk's media, a tag per sector): its hash as the last
   * one hashed had it when its words are the same (a step seldom writes media, and comparing
   * words costs a fraction of mixing them), else walked as any root.
   */
  private wordsComponent(o: Int32Array): number {
    const m = lastWords;
    if (sameWords(m.copy, o)) return m.hash;
    this.walk(o);
    const v = this.h.value();
    if (m.copy === null || m.copy.length !== o.length) m.copy = new Int32Array(o.length);
    m.copy.set(o);
    m.hash = v;
    return v;
  }

  /**
   * A shallow root's component: the walk of everything but its tracked fields holding a scalar
   * now (restHash), combined with those fields' hash. A tracked field holding an object is walked
   * with the rest: a step may keep that object in a local and read it later without the accessor.
   */
  private shallowComponent(o: object, id: string): number {
    const h = this.h;
    const sc = this.scalars;
    sc.reset(2);
    // The root keeps its mark (collectRoots), as in walk.
    this.visits++;
    h.mix(ctorHash(o));
    const rec = o as Record<string, unknown>;
    const fields = (o as { [FIELDS]?: unknown[] })[FIELDS];
    if (fields === undefined) {
      for (const key in rec) this.rootField(rootPart(id, key), hashString(key), rec[key]);
    } else {
      // Its own fields (functions, pinned roots), then the tracked ones from the array (no read to log).
      const own = (o as { [OWN]: readonly string[] })[OWN];
      const names = (o as { [TRACKED]: readonly string[] })[TRACKED];
      const plan = shallowPlan(names, own, id);
      for (let i = 0; i < own.length; i++)
        this.rootField(plan.ownPart[i] as string, plan.ownHash[i] as number, rec[own[i] as string]);
      for (let i = 0; i < names.length; i++)
        this.rootField(plan.trackedPart[i] as string, plan.trackedHash[i] as number, fields[i]);
    }
    const restHash = h.value();
    this.restSet(id, restHash);
    return combine(restHash, sc.value());
  }

  /**
   * One field of a shallow root (shallowComponent), named by its part's id (rootPart) and its
   * name's hash: a scalar into the scalars' hash, an object into the rest.
   */
  private rootField(part: string, keyHash: number, v: unknown): void {
    const h = this.h;
    if (typeof v !== 'object' || v === null) {
      this.scalars.mixNumber(keyHash);
      // Scalars hash alike in any hasher: walk them into the scalars' one.
      this.h = this.scalars;
      this.walk(v);
      this.h = h;
      return;
    }
    const value = this.fieldHash(v);
    this.restSet(part, value);
    h.mixNumber(keyHash);
    h.mixNumber(value);
  }

  /**
   * What the walk of object `v` from a fresh `sub` hasher gives (rootField): for another
   * component's root or a skipped object, what that walk would mix is fixed, and so is the hash
   * (a shallow root's fields are mostly such references: the world's, to the disk, inode...).
   */
  private fieldHash(v: object): number {
    const mark = this.marks.get(v);
    if (mark === SKIPPED) return SKIPPED_FIELD;
    if (mark !== undefined && mark <= ROOT_BASE && v !== this.root) {
      const i = ROOT_BASE - mark;
      const rootHash = this.rootHashes[i] as number;
      if (this.refOf[i] === rootHash) return this.refHash[i] as number;
      const value = refFieldHash(this.sub, rootHash);
      this.refOf[i] = rootHash;
      this.refHash[i] = value;
      return value;
    }
    const h = this.h;
    const sub = this.sub;
    sub.reset(4);
    this.h = sub;
    this.walk(v);
    this.h = h;
    return sub.value();
  }

  /** fieldHash of a reference to the i-th root, for the root id hash refOf[i]. */
  private readonly refOf: number[] = [];
  private readonly refHash: number[] = [];

  private walk(v: unknown): void {
    const h = this.h;
    switch (typeof v) {
      case 'number':
        h.mixNumber(v);
        return;
      case 'string':
        h.mixString(v);
        return;
      case 'boolean':
        h.mix(v ? T_TRUE : T_FALSE);
        return;
      case 'undefined':
        h.mix(T_UNDEF);
        return;
      case 'function':
        h.mix(T_FN);
        return;
      case 'bigint':
        h.mixString(v.toString());
        return;
      case 'symbol':
        h.mix(T_SKIP);
        return;
    }
    if (v === null) {
      h.mix(T_NULL);
      return;
    }
    const o = v as object;
    let info: ProtoInfo | undefined;
    const mark = this.marks.get(o);
    if (mark !== undefined) {
      if (mark === SKIPPED) {
        h.mix(T_SKIP);
        return;
      }
      if (mark <= ROOT_BASE) {
        if (o !== this.root) {
          // The other root's id, by its hash.
          h.mix(T_REF);
          h.mixNumber(this.rootHashes[ROOT_BASE - mark] as number);
          return;
        }
        if (this.visits > 0) {
          // Back to the component's own root, which is always visited first.
          h.mix(T_BACK);
          h.mix(0);
          return;
        }
      }
    } else {
      info = protoInfo(o);
      if (info.kind === K_CONTEXT) {
        // A finished context (live ones are roots): by its name, as a reference to its root was
        // while it ran, so that its end changes no component that points to it (a dio's waiter,
        // the world's list of tasks). Its liveness is the runtime's part (`contexts`).
        h.mix(T_REF);
        h.mixNumber(hashString(contextId((o as Context).name)));
        return;
      }
      const at = this.visitOf(o);
      if (at >= 0) {
        h.mix(T_BACK);
        h.mix(at);
        return;
      }
    }
    // A root keeps its mark (its walk is the first visit of its own component).
    this.visits++;
    if (ArrayBuffer.isView(o)) {
      h.mix(T_VIEW);
      hashView(h, o);
      return;
    }
    if (Array.isArray(o)) {
      if (this.multisets.has(o)) {
        h.mix(T_ARR);
        h.mix(o.length);
        if (o.length === 1) h.mixNumber(o[0] as number);
        else if (o.length > 1) {
          const sorted = sortedNumbers(o as number[]);
          for (let i = 0; i < sorted.length; i++) h.mixNumber(sorted[i] as number);
        }
        return;
      }
      h.mix(T_ARR);
      h.mix(o.length);
      for (const x of o) this.walk(x);
      return;
    }
    info ??= protoInfo(o);
    const kind = info.kind;
    if (kind === K_MAP) {
      const m = o as Map<unknown, unknown>;
      h.mix(T_MAP);
      h.mix(m.size);
      if (this.sortedMaps.has(m)) {
        // The keys into a list of their own: walking a value may sort another map's.
        const keys = sortedNumbers(m.keys() as Iterable<number>, []);
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i] as number;
          this.walk(k);
          this.walk(m.get(k));
        }
        return;
      }
      for (const [k, x] of m) {
        this.walk(k);
        this.walk(x);
      }
      return;
    }
    if (kind === K_SET) {
      const set = o as Set<unknown>;
      h.mix(T_SET);
      h.mix(set.size);
      for (const x of set) this.walk(x);
      return;
    }
    h.mix(info.hash);
    const rec = o as Record<string, unknown>;
    if (kind === K_SHARED) {
      // A tracked heap object: what for-in would visit, without a getter call per field.
      const own = (o as { [OWN]: readonly string[] })[OWN];
      for (let i = 0; i < own.length; i++) this.walk(rec[own[i] as string]);
      const fields = (o as { [FIELDS]: unknown[] })[FIELDS];
      for (let i = 0; i < fields.length; i++) this.walk(fields[i]);
      return;
    }
    // A context's id is its spawn order, which contextKeys stands in for. (Only live contexts,
    // the roots, get here: a finished one is a reference by name, above.)
    if (kind === K_CONTEXT) {
      for (const key in rec) if (key !== 'id') this.walk(rec[key]);
      return;
    }
    for (const key in rec) this.walk(rec[key]);
  }
}
