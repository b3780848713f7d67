/**
 * The exhaustive explorer (properties/explore): every standard scope explored to completion with
 * no violation on the correct model; pruning and sleep sets lose no end state; crash images cover
 * every subset of the cache; and every planted bug is found, in its own scenario with its own
 * fault profile, by the invariant it names (with one fault, or two where the bug needs two).
 */
import { describe, expect, it } from 'vitest';
import { BUGS, opsFor, type PlantedBug } from '../model/bugs/catalogue.ts';
import { SEED_OPS } from '../model/kernel/ops.ts';
import { ArrayChoices, ReplayChoices } from '../model/runtime/choice.ts';
import { NO_FAULTS } from '../model/runtime/faults.ts';
import { runScenario } from '../model/world/run.ts';
import type { Scenario } from '../model/world/scenario.ts';
import { exploreCrashImages } from './explore/crashImages.ts';
import { type ExploreOptions, type ExploreResult, explore } from './explore/engine.ts';
import { SCOPES, type Scope, scopeByName, scopeFaults } from './explore/scopes.ts';
import { SPIN_MODES, spinScope } from './explore/spinScopes.ts';
import { makeProbe } from './invariants/registry.ts';
import { tierFromEnv } from './support/budget.ts';

const PROBE = makeProbe();

function exploreScope(scope: Scope, extra: Partial<ExploreOptions> = {}): ExploreResult {
  return explore({
    scenario: scope.scenario,
    faults: scopeFaults(scope),
    maxFaults: scope.maxFaults,
    probe: PROBE,
    ...extra,
  });
}

function plantedBug(name: string): PlantedBug {
  const bug = BUGS.find((b) => b.name === name);
  if (bug === undefined) throw new Error(`no bug ${name}`);
  return bug;
}

/** A planted bug's whole walk at one fault, without persistent sets, with its outcomes, and `extra`. */
function walkOneFault(bug: PlantedBug, extra: Partial<ExploreOptions>): ExploreResult {
  return explore({
    scenario: bug.scenario,
    faults: bug.faults,
    maxFaults: 1,
    ops: opsFor(bug),
    quirks: bug.quirks ?? {},
    probe: PROBE,
    persistent: false,
    collectOutcomes: true,
    ...extra,
  });
}

function counts(r: ExploreResult): string {
  return `${r.paths} paths (${r.completedPaths} to the end, ${r.prunedPaths} pruned, ${r.sleepBlockedPaths} asleep), ${r.states} states, ${Math.round(r.milliseconds)} ms`;
}

function scope(name: string): Scope {
  const s = scopeByName(name);
  if (s === undefined) throw new Error(`no scope ${name}`);
  return s;
}

/**
 * Persistent sets (`all`) against a walk without them (`ref`, which reaches every state): the same
 * end states and verdicts, only states of `ref` in between, and no more paths than `sleep`, the
 * same walk without persistent sets.
 */
function expectPersistent(all: ExploreResult, ref: ExploreResult, sleep: ExploreResult): void {
  expect(all.complete).toBe(true);
  expect([...all.violations.keys()].sort()).toEqual([...ref.violations.keys()].sort());
  expect([...all.outcomes].sort()).toEqual([...ref.outcomes].sort());
  for (const x of all.worlds) expect(ref.worlds.has(x)).toBe(true);
  expect(all.paths).toBeLessThanOrEqual(sleep.paths);
}

/** The standard scopes' default walks (with their end states), for the tests after theirs. */
const walked = new Map<string, ExploreResult>();

function standardWalk(s: Scope): ExploreResult {
  let r = walked.get(s.name);
  if (r === undefined) {
    r = exploreScope(s, { collectOutcomes: true });
    walked.set(s.name, r);
  }
  return r;
}

describe('the standard scopes, explored to completion on the correct model', () => {
  for (const s of SCOPES) {
    it(`${s.name}: every path walked, no violation (${s.what})`, () => {
      const r = standardWalk(s);
      console.log(`explore ${s.name}: ${counts(r)}`);
      expect(r.modelError).toBeNull();
      expect(r.complete).toBe(true);
      expect(r.boundHits).toBe(0);
      expect([...r.violations.values()].map((v) => v.shortest.message)).toEqual([]);
      expect(r.states).toBeGreaterThan(0);
      expect(r.prunedPaths).toBeGreaterThan(0);
    });
  }

  it('the faithful seed (with B01, 4ad357e39b2e) fails overwrite-two-bios: RES-06, replayable', () => {
    const s = scope('overwrite-two-bios');
    const r = exploreScope(s, { ops: SEED_OPS, stopOn: (id) => id === 'RES-06' });
    const found = r.violations.get('RES-06')?.shortest;
    expect(found, counts(r)).toBeDefined();
    if (found === undefined) return;
    const replay = runScenario(s.scenario, {
      source: new ReplayChoices(found.choices),
      faults: scopeFaults(s),
      ops: SEED_OPS,
      probe: PROBE,
    });
    expect(replay.violation?.invariant).toBe('RES-06');
  });
});

describe('reductions lose nothing: every state of the plain walk is still reached', () => {
  // two-async-writes left this list with issue 17's interleaving point after the dio is handed on
  // (seed L225): its plain walk went from 7,407 paths to 126,549 (29 CPU s), and this test walks
  // each scope four times, out of CI's budget. The SPIN scopes below still check the reductions on
  // interleaved completions against the plain walk.
  for (const name of ['dsync-unwritten-crash', 'extend-fsync-crash', 'ext4-extend-fsync-crash']) {
    it(`${name}: pruning, sleep sets and both reach every world state and end state of the plain walk`, () => {
      const s = scope(name);
      const plain = exploreScope(s, { prune: false, reduce: false, collectOutcomes: true });
      const pruned = exploreScope(s, { reduce: false, collectOutcomes: true });
      // Default options: persistent sets are off with power loss (a crash freezes every context,
      // so the order of release_bio is part of the end state), which these world comparisons check.
      const slept = exploreScope(s, { prune: false, collectOutcomes: true });
      const both = exploreScope(s, { collectOutcomes: true });
      console.log(
        `reduction ${name}: plain ${plain.paths} paths, pruned ${pruned.paths}, sleep sets ${slept.paths}, both ${both.paths}`,
      );
      // Pruning skips only subtrees already walked from an equal state: the same states, views included.
      expect(pruned.states).toBe(plain.states);
      for (const r of [pruned, slept, both]) {
        expect(r.complete).toBe(true);
        expect([...r.worlds].sort()).toEqual([...plain.worlds].sort());
        expect([...r.outcomes].sort()).toEqual([...plain.outcomes].sort());
      }
      expect(pruned.paths).toBeLessThan(plain.paths);
      expect(slept.paths).toBeLessThan(plain.paths);
      // With exact views pruning alone may already merge every interleaving sleep sets would cut
      // (the crash scopes): together they never walk more.
      expect(both.paths).toBeLessThanOrEqual(pruned.paths);
    });
  }
});

describe("a task's view folds what it read of the shared state, and that matters", () => {
  // The read-view rule (engine.ts Walk.taskFold): two states whose world agrees are merged when
  // each task read the same things. Folding too little merges paths whose tasks hold different
  // values in their locals: in async-write-read the reader's mapping of the block (unwritten or
  // written, read before or after the write's conversion) decides what it returns. A walk whose
  // task views fold nothing they read (blindTaskViews, unsound on purpose) loses end states there,
  // so the scope tells a rule that folds too little from the real one; the whole-state reference
  // (wholeTaskViews, 193,027 paths without persistent sets) reached the default walk's 44 end
  // states and no other when measured (session 8), too slow for CI.
  it('async-write-read: blind task views lose end states the default walk reaches, and reach none it does not', () => {
    const s = scope('async-write-read');
    const read = standardWalk(s);
    // In list order (the device last), where blind views lose end states: with the device first
    // this scope's blind walk happens to reach them all (an unsound rule may be lucky in an order).
    const blind = exploreScope(s, { blindTaskViews: true, collectOutcomes: true, order: 'list' });
    console.log(`read views ${s.name}: ${read.outcomes.size} end states; blind views ${blind.outcomes.size}`);
    expect(read.complete && blind.complete).toBe(true);
    for (const o of blind.outcomes) expect(read.outcomes.has(o)).toBe(true);
    expect(read.outcomes.size).toBeGreaterThan(blind.outcomes.size);
    expect(blind.paths).toBeLessThan(read.paths);
  });

  // The other side: the whole-state reference (wholeTaskViews: a task step folds the whole shared
  // state, as workqueue steps do), which the read views refine, reaches the same end states. It
  // took 71,067 paths and 34 CPU s on a loaded machine (session 9; the read views 9,254), out of
  // CI's budget: it runs in the soak tier only (DIOSIM_TIER=soak).
  it.runIf(tierFromEnv() === 'soak')(
    'async-write-read: the whole-state reference reaches exactly the end states of the read views (soak tier)',
    { timeout: 900_000 },
    () => {
      const s = scope('async-write-read');
      const read = standardWalk(s);
      const whole = exploreScope(s, { wholeTaskViews: true, collectOutcomes: true });
      console.log(`whole views ${s.name}: ${counts(whole)}, ${whole.outcomes.size} end states`);
      expect(whole.complete).toBe(true);
      expect(whole.modelError).toBeNull();
      expect([...whole.outcomes].sort()).toEqual([...read.outcomes].sort());
      expect(whole.paths).toBeGreaterThan(read.paths);
    },
  );
});

describe("the SPIN peer's scopes: errno classes and the reductions lose no verdict of the plain walk", () => {
  for (const mode of SPIN_MODES) {
    it(`${mode}, N = 1: classes, pruning and sleep sets reach every verdict; without classes every end state`, () => {
      const s = spinScope(mode, 1);
      const base = { scenario: s.scenario, faults: s.faults, maxFaults: s.maxFaults, probe: PROBE };
      const plain = explore({
        ...base,
        prune: false,
        reduce: false,
        errnoClasses: false,
        collectOutcomes: true,
      });
      const noClasses = explore({ ...base, errnoClasses: false, collectOutcomes: true });
      const all = explore({ ...base, collectOutcomes: true });
      console.log(
        `spin ${s.name}: plain ${plain.paths} paths, no classes ${noClasses.paths}, all ${all.paths}`,
      );
      for (const r of [plain, noClasses, all]) {
        expect(r.complete).toBe(true);
        expect(r.modelError).toBeNull();
        expect([...r.violations.keys()]).toEqual([]);
      }
      expect([...noClasses.outcomes].sort()).toEqual([...plain.outcomes].sort());
      // Classes walk one status per class: their end states are plain end states, fewer of them.
      for (const o of all.outcomes) expect(plain.outcomes.has(o)).toBe(true);
      expect(all.paths).toBeLessThan(noClasses.paths);
    });
  }
});

describe("the SPIN peer's scopes, N = 2: sleep sets lose no state of the walk without them, finer buffer views no world state", () => {
  for (const mode of SPIN_MODES) {
    it(`${mode}: device completions asleep, commuting decrements of dio->ref and revisits that wake only the new sleepers reach every state between steps and every end state`, () => {
      const s = spinScope(mode, 2);
      const base = { scenario: s.scenario, faults: s.faults, maxFaults: s.maxFaults, probe: PROBE };
      // Questions only: a step whose context alone can run runs unchecked (ExploreOptions.loneSteps,
      // compared with these walks in its own test below: it keeps world states, not every view).
      const pruned = explore({ ...base, reduce: false, loneSteps: false, collectOutcomes: true });
      const questions = { persistent: false, loneSteps: false, collectOutcomes: true };
      const both = explore({ ...base, ...questions });
      // Sleep sets with whole heap objects: a completion's write to its dio conflicts with every
      // step that touches the dio (engine.ts `independent`, ExploreOptions.fieldExact).
      const whole = explore({ ...base, ...questions, fieldExact: false });
      // Sleep sets where a step that delivered a result or returned is dependent on every other
      // (before session 12; engine.ts `independent`, ExploreOptions.sleepAcrossResults).
      const visibleDependent = explore({ ...base, ...questions, sleepAcrossResults: false });
      // Sleep sets where the device is one transition for every bio in flight (before session 13;
      // ExploreOptions.deviceByBio).
      const wholeDevice = explore({ ...base, ...questions, deviceByBio: false });
      const all = explore({ ...base, collectOutcomes: true });
      // The views as they were before a task folded only the buffer entries it changed.
      const wholeBufs = explore({
        ...base,
        reduce: false,
        loneSteps: false,
        wholeBufferViews: true,
        collectOutcomes: true,
      });
      console.log(
        `spin ${s.name}: pruned ${pruned.paths} paths (${wholeBufs.paths} with whole buffers in task views), with sleep sets on whole objects ${whole.paths}, field by field ${both.paths} (${visibleDependent.paths} with results dependent on every step, ${wholeDevice.paths} with the device one transition), and persistent sets ${all.paths}`,
      );
      for (const r of [pruned, both, whole, wholeBufs, visibleDependent, wholeDevice]) {
        expect(r.complete).toBe(true);
        expect([...r.violations.keys()]).toEqual([]);
      }
      // The finer buffer folds merge states, never world states nor end states.
      expect([...pruned.worlds].sort()).toEqual([...wholeBufs.worlds].sort());
      expect([...pruned.outcomes].sort()).toEqual([...wholeBufs.outcomes].sort());
      expect(pruned.paths).toBeLessThanOrEqual(wholeBufs.paths);
      for (const r of [both, whole, visibleDependent, wholeDevice]) {
        expect([...r.worlds].sort()).toEqual([...pruned.worlds].sort());
        expect([...r.outcomes].sort()).toEqual([...pruned.outcomes].sort());
        // Every state between steps, views included (not the questions inside a step asleep
        // there: ExploreResult.between).
        expect([...r.between].sort()).toEqual([...pruned.between].sort());
        expect(r.paths).toBeLessThan(pruned.paths);
      }
      // Field by field, two completions of one dio that drop references other than the last commute.
      expect(both.paths).toBeLessThan(whole.paths);
      // The device and the interrupts sleep across the submitter's return of an aio (-EIOCBQUEUED).
      if (mode === 'sync') expect(both.paths).toBeLessThanOrEqual(visibleDependent.paths);
      else expect(both.paths).toBeLessThan(visibleDependent.paths);
      // A completion and the submitter's next allocation or submission commute, bio by bio.
      expect(both.paths).toBeLessThan(wholeDevice.paths);
      expectPersistent(all, pruned, both);
      expect(all.paths).toBeLessThan(both.paths);
    });
  }
});

describe('a step whose context alone can run is checked as a question of one option (ExploreOptions.loneSteps)', () => {
  for (const mode of SPIN_MODES) {
    it(`spin ${mode}, N = 2: the same world states, end states and verdicts as the walks where it runs unchecked; views only of states they reach`, () => {
      const s = spinScope(mode, 2);
      const base = { scenario: s.scenario, faults: s.faults, maxFaults: s.maxFaults, probe: PROBE };
      const pruned = explore({ ...base, reduce: false, collectOutcomes: true });
      const prunedRuns = explore({ ...base, reduce: false, loneSteps: false, collectOutcomes: true });
      const runs = explore({ ...base, persistent: false, loneSteps: false, collectOutcomes: true });
      const cut = explore({ ...base, persistent: false, collectOutcomes: true });
      const all = explore({ ...base, collectOutcomes: true });
      const allRuns = explore({ ...base, loneSteps: false, collectOutcomes: true });
      console.log(
        `spin ${s.name}: pruning ${counts(prunedRuns)} with lone steps unchecked, ${counts(pruned)} checked; sleep sets ${counts(runs)} unchecked, ${counts(cut)} checked; with persistent sets ${allRuns.paths} -> ${all.paths} paths`,
      );
      for (const r of [pruned, prunedRuns, runs, cut, all, allRuns]) {
        expect(r.complete).toBe(true);
        expect([...r.violations.keys()]).toEqual([]);
      }
      // Unchecked, two steps in a row of one context alone were measured as one, so a world
      // reached only that way had other views than where questions part the steps; checked, each
      // is measured on its own. So with pruning alone, and with sleep sets too, the checked walk
      // reaches every world state and end state of the unchecked one, and only states (views
      // included) the unchecked one reaches.
      for (const [on, off] of [
        [pruned, prunedRuns],
        [cut, runs],
      ] as const) {
        expect([...on.worlds].sort()).toEqual([...off.worlds].sort());
        expect([...on.outcomes].sort()).toEqual([...off.outcomes].sort());
        for (const x of on.between) expect(off.between.has(x)).toBe(true);
        expect(on.paths).toBeLessThanOrEqual(off.paths);
      }
      expect(pruned.completedPaths).toBeLessThan(prunedRuns.completedPaths);
      expect([...cut.worlds].sort()).toEqual([...pruned.worlds].sort());
      expect(cut.paths).toBeLessThanOrEqual(runs.paths);
      expect(cut.sleepBlockedPaths).toBeGreaterThan(runs.sleepBlockedPaths);
      // Two contexts' last steps: the one explored second ends the run where the first, asleep, runs alone.
      if (mode === 'sync') expect(cut.paths).toBeLessThan(runs.paths);
      expectPersistent(all, pruned, cut);
      expect([...all.outcomes].sort()).toEqual([...allRuns.outcomes].sort());
      expect(all.paths).toBeLessThanOrEqual(allRuns.paths);
    });
  }
});

describe("an interrupt's read set holds the request parts it reached (engine.ts Walk.holdRequest)", () => {
  it('spin aread N = 1: interrupt steps that read the kiocb through a local count it as read', () => {
    const s = spinScope('aread', 1);
    const irq: Array<{ reads: ReadonlySet<string>; writes: ReadonlySet<string> }> = [];
    const r = explore({
      scenario: s.scenario,
      faults: s.faults,
      maxFaults: s.maxFaults,
      probe: PROBE,
      persistent: false,
      onFootprint: (kind, reads, writes) => {
        if (kind === 'irq') irq.push({ reads, writes });
      },
    });
    expect(r.complete).toBe(true);
    // Some interrupt steps read the kiocb through the local end_io took from dio->iocb without
    // changing it: it is in their read set only as held, its fields logging nothing.
    expect(irq.some((f) => f.reads.has('req:1.iocb') && !f.writes.has('req:1.iocb'))).toBe(true);
    // release_bio reads the buffer it reached through bio->buf (and writes its pins).
    expect(irq.some((f) => f.reads.has('req:1.buf'))).toBe(true);
  });
});

describe('others sleep across a step that delivered a result or returned (ExploreOptions.sleepAcrossResults)', () => {
  // A planted bug whose walk meets its violation on some paths: the verdicts, world states and end
  // states of the walk where such a step is dependent on every other, in fewer paths. (The views
  // of a few end states differ: what a finished path's contexts read is no state of a future.)
  it('post-write-invalidation-skipped, one fault: the same verdicts, worlds and end states', () => {
    const bug = plantedBug('post-write-invalidation-skipped');
    const across = walkOneFault(bug, { sleepAcrossResults: true });
    const dependent = walkOneFault(bug, { sleepAcrossResults: false });
    console.log(`visible steps ${bug.name}: ${counts(across)}; dependent ${counts(dependent)}`);
    for (const r of [across, dependent]) expect(r.complete).toBe(true);
    expect([...across.violations.keys()]).toEqual([bug.invariant]);
    expect([...across.violations.keys()].sort()).toEqual([...dependent.violations.keys()].sort());
    expect([...across.worlds].sort()).toEqual([...dependent.worlds].sort());
    expect([...across.outcomes].sort()).toEqual([...dependent.outcomes].sort());
    expect(across.paths).toBeLessThan(dependent.paths);
  });
});

describe("the device's completions bio by bio (ExploreOptions.deviceByBio)", () => {
  // A planted bug whose walk meets its violation on some paths and completes bios while the
  // submitter still submits: the verdicts, world states, states between steps and end states of
  // the walk where the device is one transition for every bio in flight, in fewer paths.
  it('iter-rewound-on-completion-error, one fault: the same verdicts, states and end states', () => {
    const bug = plantedBug('iter-rewound-on-completion-error');
    const byBio = walkOneFault(bug, { deviceByBio: true });
    const whole = walkOneFault(bug, { deviceByBio: false });
    console.log(`device by bio ${bug.name}: ${counts(byBio)}; one transition ${counts(whole)}`);
    for (const r of [byBio, whole]) expect(r.complete).toBe(true);
    expect([...byBio.violations.keys()]).toEqual([bug.invariant]);
    expect([...byBio.violations.keys()].sort()).toEqual([...whole.violations.keys()].sort());
    expect([...byBio.worlds].sort()).toEqual([...whole.worlds].sort());
    expect([...byBio.between].sort()).toEqual([...whole.between].sort());
    expect([...byBio.outcomes].sort()).toEqual([...whole.outcomes].sort());
    expect(byBio.paths).toBeLessThan(whole.paths);
  });

  it('spin sync N = 2: a completion names its place in the queue and its pages, a submission its appended bios', () => {
    const s = spinScope('sync', 2);
    const seen: Array<{ kind: string; reads: ReadonlySet<string>; writes: ReadonlySet<string> }> = [];
    explore({
      scenario: s.scenario,
      faults: s.faults,
      maxFaults: s.maxFaults,
      probe: PROBE,
      onFootprint: (kind, reads, writes) => seen.push({ kind, reads, writes }),
    });
    const device = seen.filter((f) => f.kind === 'device');
    const task = seen.filter((f) => f.kind === 'task');
    expect(device.length).toBeGreaterThan(0);
    for (const f of device) {
      expect(f.writes.has('disk')).toBe(false);
      expect(f.writes.has('disk~')).toBe(true);
      expect([...f.writes].some((id) => id.startsWith('disk@q:'))).toBe(true);
    }
    expect(
      task.some((f) => f.writes.has('disk~') && [...f.writes].some((id) => id.startsWith('disk@q:'))),
    ).toBe(true);
    expect(task.some((f) => f.writes.has('heap.alloc'))).toBe(true);
    expect(task.some((f) => [...f.writes].some((id) => /^req:\d+\.buf@\d+$/.test(id)))).toBe(true);
  });
});

describe('a record every run shares is one component in every run (engine.ts scalarRecord)', () => {
  it('write-completes-before-dma: its quirks, made a root by the first run, hash alike in a second walk', () => {
    const bug = BUGS.find((b) => b.name === 'write-completes-before-dma');
    expect(bug?.quirks).toBeDefined();
    if (bug === undefined) return;
    // A record of this test's own, so that no earlier walk has made it a root already.
    const quirks = { ...bug.quirks };
    const walk = () =>
      explore({
        scenario: bug.scenario,
        faults: bug.faults,
        maxFaults: 1,
        ops: opsFor(bug),
        quirks,
        probe: PROBE,
        collectOutcomes: true,
      });
    const first = walk();
    const second = walk();
    expect(first.outcomes.size).toBeGreaterThan(0);
    expect([...first.outcomes].sort()).toEqual([...second.outcomes].sort());
    expect([...first.between].sort()).toEqual([...second.between].sort());
  });
});

describe('shortest counterexamples (ExploreOptions.shortest), as short as a breadth-first search', () => {
  // The SPIN peer's BUG1 (submitter-reads-freed-dio) on the aio read of one bio: the default walk's
  // persistent sets run an interrupt's release_bio as soon as it is enabled, a kernel step the
  // trail does not need, so its shortest trail has 13 kernel steps; the walk without pruning or
  // sleep sets meets every path, and the shortest of them has 12. The shortest walk (no persistent
  // sets, a state re-explored when met in fewer steps) finds those 12.
  it('spin aread N = 1 with BUG1: the plain minimum, 12 kernel steps, where the default walk finds 13; branch and bound agrees', () => {
    const bug = BUGS.find((b) => b.name === 'submitter-reads-freed-dio');
    if (bug === undefined) throw new Error('no submitter-reads-freed-dio');
    const s = spinScope('aread', 1);
    const base = { scenario: s.scenario, faults: s.faults, maxFaults: 1, ops: opsFor(bug), probe: PROBE };
    const trail = (r: ExploreResult): number | undefined =>
      r.violations.get(bug.invariant)?.shortest.kernelSteps;
    // The plain walk with the shortest's order of trails (fewest kernel steps first).
    const plain = explore({ ...base, prune: false, reduce: false, shortest: true });
    const walk = explore(base);
    const shortest = explore({ ...base, shortest: true });
    const bound = explore({ ...base, shortest: bug.invariant });
    console.log(
      `shortest BUG1 aread-1: plain ${trail(plain)} (${plain.paths} paths), default ${trail(walk)} (${walk.paths}), shortest ${trail(shortest)} (${shortest.paths}), bound ${trail(bound)} (${bound.paths})`,
    );
    for (const r of [plain, walk, shortest, bound]) expect(r.complete).toBe(true);
    expect(trail(plain)).toBe(12);
    expect(trail(walk)).toBeGreaterThan(12);
    expect(trail(shortest)).toBe(12);
    expect(trail(bound)).toBe(12);
    expect(bound.paths).toBeLessThan(shortest.paths);
    // The count is the replay's: its steps less the device's.
    const found = bound.violations.get(bug.invariant)?.shortest;
    if (found === undefined) return;
    const replay = runScenario(s.scenario, {
      source: new ReplayChoices(found.choices),
      faults: s.faults,
      ops: opsFor(bug),
      probe: PROBE,
      tracing: true,
    });
    expect(replay.violation?.invariant).toBe(bug.invariant);
    const device = new Set(replay.trace.filter((e) => e.context === 'device').map((e) => e.step)).size;
    expect(replay.steps - device).toBe(12);
  });
});

// ---------------------------------------------------------------------------------------------
// Crash images.

/** 8 KiB written through the cache (two 4 KiB logical blocks), then power fails. */
const CACHED_THEN_CRASH: Scenario = {
  device: { logicalBlockSize: 4096, fua: false, writeCache: true, sectors: 512 },
  fs: {
    model: 'xfs',
    blockSize: 4096,
    iSize: 8192,
    extents: [{ offset: 0, length: 8192, type: 'mapped', addr: 65536 }],
  },
  bioMaxVecs: 1,
  threads: [[{ kind: 'dio_write', pos: 0, len: 8192 }, { kind: 'power_loss' }]],
};

describe('crash images', () => {
  it('power loss with crash images asks once per cached block: 4 images of 2 blocks, all different', () => {
    const r = explore({
      scenario: CACHED_THEN_CRASH,
      faults: NO_FAULTS,
      maxFaults: 0,
      crashImages: true,
      collectOutcomes: true,
    });
    expect(r.complete).toBe(true);
    expect(r.completedPaths).toBe(4);
    expect(r.outcomes.size).toBe(4);
    const one = runScenario(CACHED_THEN_CRASH, {
      source: new ArrayChoices([1, 0]),
      faults: NO_FAULTS,
      crashImages: true,
      tracing: true,
    });
    expect(one.choiceLog.map((c) => c.label)).toEqual([
      'destage_block_before_power_loss',
      'destage_block_before_power_loss',
    ]);
    expect(one.disk.cachedAtPowerLoss).toBe(16);
  });

  it('a flushed cache leaves a single image; the default keeps the prefix rule', () => {
    const synced: Scenario = {
      ...CACHED_THEN_CRASH,
      threads: [[{ kind: 'dio_write', pos: 0, len: 8192 }, { kind: 'fsync' }, { kind: 'power_loss' }]],
    };
    const r = explore({ scenario: synced, faults: NO_FAULTS, maxFaults: 0, crashImages: true });
    expect(r.completedPaths).toBe(1);
    const prefix = runScenario(CACHED_THEN_CRASH, {
      source: new ArrayChoices([]),
      faults: { ...NO_FAULTS, destage: true },
      tracing: true,
    });
    expect(prefix.choiceLog.map((c) => `${c.label}/${c.n}`)).toEqual([
      'destage/2',
      'destage_before_power_loss/17',
    ]);
  });

  it("a random run's crash point: every image there is enumerated and checked", () => {
    const run = runScenario(CACHED_THEN_CRASH, {
      source: new ArrayChoices([]),
      faults: { ...NO_FAULTS, destage: true },
      probe: PROBE,
      tracing: true,
    });
    expect(run.crash).not.toBeNull();
    expect(run.choiceLog.map((c) => c.label)).toEqual(['destage', 'destage_before_power_loss']);
    const faults = { ...NO_FAULTS, destage: true };
    const images = exploreCrashImages(CACHED_THEN_CRASH, { faults, probe: PROBE }, run.choiceLog);
    expect(images).toMatchObject({ crashed: true, images: 4 });
    expect(images.violations.size).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Every planted bug, in its own scenario with its own faults.

/**
 * Bugs the explorer does not find within the budget here, and why (README lists them too): it
 * walks the interleavings depth first, and these need a deep one in a scope with millions of paths.
 */
const NOT_FOUND: Readonly<Record<string, string>> = {
  // unaligned-dio-not-serialised was listed here (not found within 3.5 million paths) until its
  // invariant became SYS-03, which the first path already breaks.
};

/** Paths per bug and fault budget: a bug found at all is found within a few tens of thousands. */
const BUG_PATHS = 40_000;
/** For a bug known not to be found within the budget, a token walk (it must not find it either). */
const NOT_FOUND_PATHS = 2_000;

function exploreBug(bug: PlantedBug, maxFaults: number): ExploreResult {
  return explore({
    scenario: bug.scenario,
    faults: bug.faults,
    maxFaults,
    ops: opsFor(bug),
    quirks: bug.quirks ?? {},
    probe: PROBE,
    maxPaths: NOT_FOUND[bug.name] === undefined ? BUG_PATHS : NOT_FOUND_PATHS,
    stopOn: (id) => id === bug.invariant,
  });
}

describe('every planted bug is found by the explorer, by the invariant it names', () => {
  for (const bug of BUGS) {
    const why = NOT_FOUND[bug.name];
    it(`${bug.name}: ${why === undefined ? `found by ${bug.invariant}` : `not found (${why})`}`, () => {
      let r = exploreBug(bug, 1);
      let k = 1;
      if (r.violations.get(bug.invariant) === undefined && r.complete) {
        r = exploreBug(bug, 2);
        k = 2;
      }
      const found = r.violations.get(bug.invariant)?.shortest;
      console.log(
        `explore bug ${bug.name}: max-faults ${k}, ${counts(r)}, ${found === undefined ? 'not found' : `${bug.invariant} in ${found.choices.length} choices`}`,
      );
      expect(r.modelError?.message ?? null).toBeNull();
      if (why !== undefined) {
        expect(found).toBeUndefined();
        return;
      }
      expect(found, `${[...r.violations.keys()].join(', ') || 'no violation'}; ${counts(r)}`).toBeDefined();
      if (found === undefined) return;
      // The shortest path replays to the same violation with the bug planted.
      const replay = runScenario(bug.scenario, {
        source: new ReplayChoices(found.choices),
        faults: bug.faults,
        ops: opsFor(bug),
        quirks: bug.quirks ?? {},
        probe: PROBE,
      });
      expect(replay.violation?.invariant).toBe(bug.invariant);
    });
  }
});
