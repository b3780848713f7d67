/**
 * The campaign property and what is printed about it, shared by `diocheck run`, `diocheck repro
 * --seed` and properties/campaign.test.ts. Sharing matters: a `--seed S --path P` printed by one of
 * them replays in the others only because all three build the very same property.
 *
 * The property: for every (scenario, fault profile, choice stream), running the model with
 * ArrayChoices ends in a pass or a bound hit, never in a violation. A bound hit is counted, not
 * failed. Any other exception (a model assertion, a scenario the model rejects) also fails the
 * property, and is reported as a problem of diocheck, not of the kernel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import fc from 'fast-check';
import { ArrayChoices } from '../../model/runtime/choice.ts';
import type { FaultProfile } from '../../model/runtime/faults.ts';
import { SEED_LINES } from '../../model/runtime/runtime.ts';
import { formatTrace, formatTraceEntry } from '../../model/runtime/trace.ts';
import type { Violation } from '../../model/runtime/violation.ts';
import { type RunResult, recycleRun, runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { choicesArbitrary } from '../../properties/arbitraries/choices.ts';
import {
  type DrawnScenario,
  faultProfileArbitrary,
  formatFaultProfile,
  profileFor,
} from '../../properties/arbitraries/faults.ts';
import { drawnScriptedArbitrary } from '../../properties/arbitraries/scenario.ts';
import { drawnWorldArbitrary } from '../../properties/arbitraries/worldScenario.ts';
import { ReachTally } from '../../properties/invariants/reach.ts';
import { invariantById, makeProbe } from '../../properties/invariants/registry.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { FIXED_OPS, KERNEL_VERSIONS, type KernelVersion } from '../../model/kernel/ops.ts';
import { DIOCHECK } from './invocation.ts';

/*
 * V8's allocation-site pretenuring misfires on a campaign: a world lives for one run, but its arrays
 * and literals are seen to survive a scavenge (the run in progress always does), so V8 starts
 * allocating them in the old generation, where a dead world keeps every young object it points to
 * alive through the next scavenges too. Measured on the bench's cases (scripts/bench/throughput.ts,
 * 2026-12-06): 41-44 % of young objects survived each scavenge and GC paused ~3x longer than without
 * it; runs per CPU second rose by 20-30 % with it off. It is only a GC heuristic (no effect on what
 * runs compute), and V8 reads it at each collection, so setting it when this module loads, before
 * any campaign runs, suffices; worker threads share the process's flags.
 */
setFlagsFromString('--no-allocation-site-pretenuring');

/** The ops table of `--kernel K`: that kernel version, or the correct model (FIXED_OPS) for null. */
export function kernelOps(kernel: KernelVersion | null): Readonly<KernelOps> {
  return kernel === null ? FIXED_OPS : KERNEL_VERSIONS[kernel];
}

/** How a campaign names the kernel it runs on: `seed`, an exact release such as `6.12.117`, or the correct model. */
export function kernelLabel(kernel: KernelVersion | null): string {
  return kernel === null ? 'correct model (seed + fixes)' : kernel;
}

/** ` --kernel K` for a command that must run on K; nothing for the correct model (the default). */
export function kernelOption(kernel: KernelVersion | null): string {
  return kernel === null ? '' : ` --kernel ${kernel}`;
}

/** One case of the campaign, as fast-check passes it to the predicate. */
export type CampaignCase = [scenario: Scenario, faults: FaultProfile, choices: number[]];

/** Every invariant checker of properties/invariants, as one probe. */
export const CHECKS = makeProbe();

/**
 * Runs one case against a model (the seed with its known upstream fixes unless a planted bug or
 * the faithful seed is asked for); with tracing the result carries the timeline and decisions.
 */
export function runCase(
  value: CampaignCase,
  tracing = false,
  ops: Readonly<KernelOps> = FIXED_OPS,
): RunResult {
  // Indexing, not destructuring: an array pattern goes through the iterator protocol each run.
  return runScenario(value[0], {
    source: new ArrayChoices(value[2]),
    faults: value[1],
    tracing,
    probe: CHECKS,
    ops,
  });
}

/**
 * Campaign scenarios: mostly the world (model XFS), some over the scripted provider; each with the
 * fault classes its family sets (DrawnScenario).
 */
function drawnScenarioArbitrary(): fc.Arbitrary<DrawnScenario> {
  return fc.oneof(
    { weight: 3, arbitrary: drawnWorldArbitrary() },
    { weight: 1, arbitrary: drawnScriptedArbitrary() },
  );
}

/** The campaign's scenarios alone. */
export function campaignScenarioArbitrary(): fc.Arbitrary<Scenario> {
  return drawnScenarioArbitrary().map((d) => d.scenario);
}

/**
 * The campaign's cases: a scenario, a swarm fault profile and a choice stream, drawn in that order;
 * a family's fault classes are set over the drawn profile, so that the case holds the profile the
 * run has.
 */
export function campaignCaseArbitrary(): fc.Arbitrary<CampaignCase> {
  return fc
    .tuple(drawnScenarioArbitrary(), faultProfileArbitrary(), choicesArbitrary())
    .map(([d, faults, choices]): CampaignCase => [d.scenario, profileFor(d, faults), choices]);
}

/** What the property throws on a violation, so that fast-check records it and shrinks. */
export class CaseViolation extends Error {
  constructor(readonly violation: Violation) {
    super(violation.message);
    this.name = 'CaseViolation';
  }
}

/**
 * Counts of a campaign. Runs before the first failure are the campaign; runs after it are
 * fast-check shrinking the failure, counted apart so that they do not inflate the summary.
 */
export class CampaignTally {
  runs = 0;
  passes = 0;
  bounds = 0;
  modelErrors = 0;
  readonly violations = new Map<string, number>();
  /** Bound hits by bound name (stepsMax, biosPerDioMax, contextsMax). */
  readonly boundsByName = new Map<string, number>();
  shrinkRuns = 0;
  failed = false;
  /** performance.now() when the first failure was seen: the campaign ended there, shrinking began. */
  failedAtMs: number | null = null;
  /** Runs that reached each vacuity guard's situation (not the shrinking runs). */
  readonly reach = new ReachTally();
  /** Hits per seed line over the campaign's runs (not the shrinking runs). */
  readonly coverage = new Uint32Array(SEED_LINES + 1);
  /** Called after each run (progress display). */
  onRun: ((tally: CampaignTally) => void) | null = null;

  /**
   * @param stopAtFirst the campaign ends at its first failure (fast-check then shrinks it), as
   *   `run --stop-at-first` and `repro --seed`; false: a triaging campaign counts every violation
   *   and model error and goes on (scripts/commands/findings.ts).
   */
  constructor(readonly stopAtFirst = true) {}

  record(result: RunResult): void {
    if (this.failed) {
      this.shrinkRuns++;
    } else {
      this.runs++;
      if (result.outcome === 'pass') this.passes++;
      else if (result.outcome === 'bound') {
        this.bounds++;
        const name = result.bound?.bound ?? 'unknown';
        this.boundsByName.set(name, (this.boundsByName.get(name) ?? 0) + 1);
      } else {
        const id = result.violation?.invariant ?? 'unknown';
        this.violations.set(id, (this.violations.get(id) ?? 0) + 1);
        if (this.stopAtFirst) this.fail();
      }
      this.reach.record(result);
      const cov = result.coverage;
      for (let line = 0; line < cov.length; line++)
        this.coverage[line] = (this.coverage[line] ?? 0) + (cov[line] ?? 0);
    }
    this.onRun?.(this);
  }

  recordError(): void {
    if (this.failed) {
      this.shrinkRuns++;
    } else {
      this.runs++;
      this.modelErrors++;
      if (this.stopAtFirst) this.fail();
    }
    this.onRun?.(this);
  }

  private fail(): void {
    this.failed = true;
    this.failedAtMs = performance.now();
  }
}

/**
 * A property over the campaign's cases: the scenario, the fault profile and the choice stream, drawn
 * by the same arbitraries in the same order everywhere, so that a fast-check run index or path
 * means the same case to the campaign, the triage, its shrinking and `diff`.
 */
export function caseProperty(predicate: (value: CampaignCase) => void): fc.IProperty<CampaignCase> {
  return new CaseTupleProperty(fc.property(campaignCaseArbitrary(), predicate));
}

/**
 * A property over one arbitrary passes its value as a one-element tuple; the campaign's code reads
 * a case as the case itself. Each value keeps the tuple's as its context, which shrinking needs.
 */
class CaseTupleProperty implements fc.IProperty<CampaignCase> {
  constructor(private readonly inner: fc.IProperty<[CampaignCase]>) {}
  isAsync(): false {
    return false;
  }
  generate(mrng: fc.Random, runId?: number): fc.Value<CampaignCase> {
    return unwrapCase(this.inner.generate(mrng, runId));
  }
  shrink(value: fc.Value<CampaignCase>): fc.Stream<fc.Value<CampaignCase>> {
    return this.inner.shrink(value.context as fc.Value<[CampaignCase]>).map(unwrapCase);
  }
  run(v: CampaignCase): fc.PreconditionFailure | fc.PropertyFailure | null {
    return this.inner.run([v]);
  }
  runBeforeEach = (): void => this.inner.runBeforeEach();
  runAfterEach = (): void => this.inner.runAfterEach();
}

function unwrapCase(v: fc.Value<[CampaignCase]>): fc.Value<CampaignCase> {
  return new fc.Value(v.value_[0], v);
}

/**
 * The campaign property. A tally counts runs, outcomes and coverage; onCase sees each case before
 * it runs (repro keeps the last one, to print a case that passes now).
 */
export function campaignProperty(
  tally: CampaignTally | null = null,
  onCase: ((value: CampaignCase) => void) | null = null,
  ops: Readonly<KernelOps> = FIXED_OPS,
): fc.IProperty<CampaignCase> {
  return caseProperty((value) => {
    onCase?.(value);
    let result: RunResult;
    try {
      result = runCase(value, false, ops);
    } catch (e) {
      tally?.recordError();
      throw e;
    }
    tally?.record(result);
    const violation = result.violation;
    // Only counts outlive the run: its media and coverage arrays go to the next one.
    recycleRun(result);
    if (violation !== null) throw new CaseViolation(violation);
  });
}

/** A shrunk counterexample: its fast-check path, its value and what the predicate threw. */
export interface Failure {
  readonly path: string;
  readonly value: CampaignCase;
  readonly error: unknown;
}

/** fast-check's counterexample of a failed check, if it has one. */
export function failureOf(details: fc.RunDetails<CampaignCase>): Failure | null {
  if (!details.failed || details.counterexample === null || details.counterexamplePath === null) return null;
  return { path: details.counterexamplePath, value: details.counterexample, error: details.errorInstance };
}

/**
 * fast-check's time limit plugin, typed for the campaign (the plugin is generic in what it
 * interrupts, and Plugin<unknown> does not unify with the property's type).
 */
export function timeLimit(ms: number): fc.Plugin<CampaignCase> {
  return fc.interruptAfterTimeLimit(ms) as unknown as fc.Plugin<CampaignCase>;
}

// ---------------------------------------------------------------------------------------------
// Seed-line coverage marks.

const MODEL_DIR = fileURLToPath(new URL('../../model/', import.meta.url));

/** The seed lines the model marks with rt.cover(N), found by scanning model/**\/*.ts. */
export function markedSeedLines(modelDir: string = MODEL_DIR): number[] {
  const lines = new Set<number>();
  const files = readdirSync(modelDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const text = readFileSync(join(modelDir, file), 'utf8');
    for (const m of text.matchAll(/\bcover\((\d+)\)/g)) lines.add(Number(m[1]));
  }
  return [...lines].sort((a, b) => a - b);
}

export interface CoverageSummary {
  readonly marked: number;
  readonly reached: number;
  readonly unreached: readonly number[];
}

export function summarizeCoverage(coverage: Uint32Array, marked: readonly number[]): CoverageSummary {
  const unreached = marked.filter((line) => (coverage[line] ?? 0) === 0);
  return { marked: marked.length, reached: marked.length - unreached.length, unreached };
}

// ---------------------------------------------------------------------------------------------
// The failure report.

/** The command that replays a fast-check counterexample (on `kernel`, when the campaign ran on one). */
export function reproCommand(seed: number, path: string, kernel: KernelVersion | null = null): string {
  return `${DIOCHECK} repro --seed ${seed} --path ${path}${kernelOption(kernel)}`;
}

/** A scenario as JSON, one top-level field per line (still valid JSON, short enough to read). */
export function formatScenarioJson(scenario: Scenario): string {
  const fields = Object.entries(scenario).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${fields.join(',\n')}\n}`;
}

/** The deviations of a run: the choices that were not the uneventful option 0. */
export function formatDeviations(result: RunResult): string {
  const asked = result.choiceLog.length;
  const deviations = result.choiceLog
    .map((c, i) => ({ ...c, i }))
    .filter((c) => c.value !== 0)
    .map((c) => `#${c.i} ${c.label}=${c.value}/${c.n}`);
  const head = `${asked} asked, ${deviations.length} deviating from 0`;
  return deviations.length === 0 ? head : `${head}: ${deviations.join(', ')}`;
}

/** The verdict line of a run: VIOLATED, BOUND, PASSES, or MODEL ERROR when it threw. */
export function verdictLine(result: RunResult | null, error: unknown): string {
  if (result?.violation) {
    const inv = invariantById(result.violation.invariant);
    const head = `VIOLATED  ${result.violation.message}`;
    return inv === undefined
      ? head
      : `${head}\n          ${inv.id} ${inv.name} (${inv.kind}): ${inv.statement}`;
  }
  if (result?.bound) return `BOUND     ${result.bound.message} (neither a pass nor a finding)`;
  if (result !== null) return 'PASSES    the run ends without a violation';
  const message = error instanceof Error ? error.message : String(error);
  return `MODEL ERROR  ${message} (a problem in diocheck or the scenario, not a kernel finding)`;
}

/** The lines that follow a verdict: fault profile, deviations, scenario JSON and timeline. */
export function formatRunDetails(scenario: Scenario, faults: FaultProfile, result: RunResult | null): string {
  const lines = [`faults:   ${formatFaultProfile(faults)}`];
  if (result !== null) lines.push(`choices:  ${formatDeviations(result)}`);
  lines.push(`scenario: ${formatScenarioJson(scenario)}`);
  if (result !== null) {
    lines.push(`timeline: ${result.trace.length} events, ${result.steps} steps`);
    lines.push(formatTrace(result.trace));
    const v = result.violation;
    if (v !== null) {
      const end = {
        step: result.steps,
        context: v.context,
        line: v.seedLine,
        event: `VIOLATED ${v.invariant}`,
      };
      lines.push(formatTraceEntry({ ...end, detail: v.detail }));
    }
  }
  return lines.join('\n');
}

export interface CaseReportInput {
  readonly seed: number;
  readonly path: string;
  readonly value: CampaignCase;
  /** The replay file the counterexample was saved to, if it was. */
  readonly replayFile?: string | null;
  /** The kernel version the case runs on (null or absent: the correct model). */
  readonly kernel?: KernelVersion | null;
}

/**
 * The report of one campaign case (a counterexample, or a case replayed by repro): the verdict,
 * the commands that replay it, then the details, from a re-run of the case with tracing.
 */
export function formatCaseReport(input: CaseReportInput): string {
  const [scenario, faults] = input.value;
  const kernel = input.kernel ?? null;
  let result: RunResult | null = null;
  let error: unknown = null;
  try {
    result = runCase(input.value, true, kernelOps(kernel));
  } catch (e) {
    error = e;
  }
  const lines = [verdictLine(result, error), `replay:   ${reproCommand(input.seed, input.path, kernel)}`];
  if (input.replayFile) lines.push(`          ${DIOCHECK} repro ${input.replayFile}`);
  lines.push(formatRunDetails(scenario, faults, result));
  return lines.join('\n');
}

/**
 * The campaign's cases (campaignProperty's arbitraries, in the same order, so a run index replays in
 * both) under a predicate that records instead of throwing and also learns the fast-check run
 * index; `stop()` interrupts the campaign (--max-findings). Used by the triaging campaign and by
 * `diff`.
 */
export class IndexedCaseProperty implements fc.IRawProperty<CampaignCase, false> {
  private runId = 0;
  private readonly inner: fc.IProperty<CampaignCase>;
  constructor(
    predicate: (value: CampaignCase, runId: number) => void,
    private readonly stop: () => boolean = () => false,
  ) {
    this.inner = caseProperty((value) => predicate(value, this.runId));
  }
  isAsync(): false {
    return false;
  }
  generate(mrng: fc.Random, runId?: number): fc.Value<CampaignCase> {
    this.runId = runId ?? 0;
    return this.inner.generate(mrng, runId);
  }
  shrink(value: fc.Value<CampaignCase>): fc.Stream<fc.Value<CampaignCase>> {
    return this.inner.shrink(value);
  }
  run(v: CampaignCase): fc.PreconditionFailure | fc.PropertyFailure | null {
    if (this.stop()) return new fc.PreconditionFailure(true);
    return this.inner.run(v);
  }
  runBeforeEach = (): void => this.inner.runBeforeEach();
  runAfterEach = (): void => this.inner.runAfterEach();
}
