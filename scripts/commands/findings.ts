/**
 * Triage: a campaign that goes on past its violations and reports findings, one per signature,
 * each with how often it occurred, its smallest replay and whether it is known (spec/findings.md).
 *
 * A signature is what a kernel developer would call "the same bug": the invariant, the seed line
 * and the kind of context where it broke, the filesystem of the scenario (the model XFS or the
 * scripted provider, kept apart), and the shape of the choices that matter. It is computed twice:
 * - during the campaign, cheaply, for every violating run: the choices that deviate from the
 *   uneventful option 0, by label, without the scheduling ones (`raw` signature); every violation
 *   of a run is counted under it;
 * - after the campaign, on one representative per raw signature shrunk by fast-check (replaying its
 *   run index from the seed, accepting only shrinks that keep invariant, line, context kind and
 *   filesystem): the labels of the causal core, the deviations without which the invariant no
 *   longer fails (`explain`), scheduling ones left out again. Raw signatures whose shrunk cases have the same final signature are
 *   one finding; their counts add up.
 *
 * Known findings are the regression corpus's `expect: "violation"` replay files of the same kernel
 * setting (properties/regressions/ and its subfolders, properties/regressions/baseline/<setting>/): each is replayed and its final signature
 * computed the same way, so the baseline holds no signature text that could drift from the model.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { type KernelVersion, sameModel } from '../../model/kernel/ops.ts';
import type { RecordedChoice } from '../../model/runtime/choice.ts';
import { ReplayChoices } from '../../model/runtime/choice.ts';
import type { RunResult } from '../../model/world/run.ts';
import { runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import {
  makeReplayFile,
  readReplayFile,
  type ReplayConfirmation,
  type ReplayFile,
  replayWorld,
  writeReplayFile,
} from '../../properties/replay/replayFile.ts';
import {
  type CampaignCase,
  CaseViolation,
  CHECKS,
  caseProperty,
  IndexedCaseProperty,
  kernelOption,
  reproCommand,
  runCase,
  timeLimit,
} from './campaign.ts';
import { causalCore } from './explain.ts';
import { DIOCHECK } from './invocation.ts';

/** What a later `diocheck confirm` attaches to a finding; every finding starts unconfirmed. */
export type Confirmation = 'unconfirmed' | 'confirmed' | 'refuted' | 'not-confirmable';

/** The part of a signature that shrinking must keep. */
export interface FindingKey {
  readonly invariant: string;
  readonly seedLine: number;
  /** The kind of context that was running: task, irq, poll, workqueue, issuer, world, ... */
  readonly contextKind: string;
  /** The filesystem of the scenario: findings on ext4 and on the scripted provider are kept apart. */
  readonly fs: 'xfs' | 'ext4' | 'scripted';
}

/** One finding of a campaign, as printed and as the JSON summary holds it. */
export interface Finding extends FindingKey {
  readonly signature: string;
  /** Labels of the choices that matter (the causal core of the smallest replay). */
  readonly labels: readonly string[];
  /** Violating runs of the campaign with this signature. */
  readonly count: number;
  /** The first run (fast-check index) that had it. */
  readonly firstRun: number;
  /** The fast-check path of the smallest replay (seed and path replay it). */
  readonly path: string;
  readonly replayFile: string | null;
  /** The violation's message on the smallest replay. */
  readonly message: string;
  /** Operations and deviating choices of the smallest replay. */
  readonly ops: number;
  readonly deviations: number;
  /** Whether the shrinking finished within its budget. */
  readonly shrunk: boolean;
  /** The baseline replay file that holds it (null: a new finding). */
  readonly known: string | null;
  readonly knownReason: string | null;
  /** What `diocheck confirm --record` found for the baseline file that holds it. */
  readonly confirmation: Confirmation;
  /** The kernel and day of that confirmation, and its last line (null: unconfirmed). */
  readonly confirmationDetail: string | null;
}

/** Labels of scheduling decisions: they say when, not what, so the raw signature leaves them out. */
const SCHEDULING = new Set(['schedule', 'complete_which', 'writeback_which', 'destage_which']);

/** A choice label without its refinement (`get_pages_fault_at` is the same fault as `get_pages_fault`). */
export function labelClass(label: string): string {
  return label.replace(/_(at|sectors|which)$/, '');
}

/** `poll:bio2` → poll, `task1` → task, `issuer:req1` → issuer, `dio_done_wq` → dio_done_wq. */
export function contextKindOf(context: string): string {
  return (context.split(':', 1)[0] ?? context).replace(/\d+$/, '');
}

export function keyOf(result: RunResult, scenario: Scenario): FindingKey | null {
  const v = result.violation;
  if (v === null) return null;
  return {
    invariant: v.invariant,
    seedLine: v.seedLine,
    contextKind: contextKindOf(v.context),
    fs: scenario.fs.model ?? 'xfs',
  };
}

export function sameKey(a: FindingKey, b: FindingKey): boolean {
  return (
    a.invariant === b.invariant &&
    a.seedLine === b.seedLine &&
    a.contextKind === b.contextKind &&
    a.fs === b.fs
  );
}

export function signatureText(key: FindingKey, labels: readonly string[]): string {
  return `${key.invariant} L${key.seedLine} ${key.contextKind} ${key.fs} [${labels.join(',')}]`;
}

/** The deviating, non-scheduling labels of a decision log (the raw signature's shape). */
export function deviatingLabels(log: readonly RecordedChoice[]): string[] {
  const labels = new Set<string>();
  for (const c of log)
    if (c.value !== 0 && !SCHEDULING.has(labelClass(c.label))) labels.add(labelClass(c.label));
  return [...labels].sort();
}

/** The final signature of a replay: its key and the label classes of its causal core. */
export function finalSignature(
  file: ReplayFile,
  traced: RunResult,
): { key: FindingKey; labels: string[]; signature: string } | null {
  const key = keyOf(traced, file.scenario);
  if (key === null) return null;
  const core = causalCore(file, traced);
  // Scheduling choices that matter say when the race happens, not what happened: a finding is the
  // same whichever interleaving shows it.
  const labels = [
    ...new Set(
      core.deviations
        .filter((d) => d.matters && !SCHEDULING.has(labelClass(d.label)))
        .map((d) => labelClass(d.label)),
    ),
  ].sort();
  return { key, labels, signature: signatureText(key, labels) };
}

// ---------------------------------------------------------------------------------------------
// Collecting during the campaign.

interface RawGroup {
  readonly key: FindingKey;
  readonly signature: string;
  count: number;
  readonly firstRun: number;
}

/** Violations of a campaign by raw signature; model errors by their first line. */
export class FindingCollector {
  readonly groups = new Map<string, RawGroup>();
  readonly modelErrors = new Map<string, { count: number; firstRun: number; message: string }>();
  constructor(private readonly ops: Readonly<KernelOps>) {}

  /** A violating run: traced again (its decision log) and counted under its raw signature. */
  recordViolation(value: CampaignCase, result: RunResult, runId: number): void {
    const key = keyOf(result, value[0]);
    if (key === null) return;
    const traced = runCase(value, true, this.ops);
    const signature = signatureText(key, deviatingLabels(traced.choiceLog));
    const g = this.groups.get(signature);
    if (g === undefined) this.groups.set(signature, { key, signature, count: 1, firstRun: runId });
    else g.count++;
  }

  recordModelError(error: unknown, runId: number): void {
    const message = (error instanceof Error ? error.message : String(error)).split('\n', 1)[0] ?? '';
    const m = this.modelErrors.get(message);
    if (m === undefined) this.modelErrors.set(message, { count: 1, firstRun: runId, message });
    else m.count++;
  }

  get distinct(): number {
    return this.groups.size + this.modelErrors.size;
  }
}

/**
 * The campaign property of a triaging campaign: the campaign's cases, a predicate that records
 * violations and model errors with their run index instead of throwing, and an interruption once
 * `stop()` says so (--max-findings).
 */
export function collectingProperty(
  collector: FindingCollector,
  ops: Readonly<KernelOps>,
  onResult: (value: CampaignCase, result: RunResult | null) => void,
  stop: () => boolean,
): IndexedCaseProperty {
  return new IndexedCaseProperty((value, runId) => {
    let result: RunResult;
    try {
      result = runCase(value, false, ops);
    } catch (e) {
      collector.recordModelError(e, runId);
      onResult(value, null);
      return;
    }
    if (result.violation !== null) collector.recordViolation(value, result, runId);
    onResult(value, result);
  }, stop);
}

/** The property that shrinking a group's representative uses: only violations of the same key fail. */
function keyProperty(key: FindingKey, ops: Readonly<KernelOps>): fc.IProperty<CampaignCase> {
  return caseProperty((value) => {
    let result: RunResult;
    try {
      result = runCase(value, false, ops);
    } catch {
      return;
    }
    const k = keyOf(result, value[0]);
    if (result.violation !== null && k !== null && sameKey(k, key)) throw new CaseViolation(result.violation);
  });
}

// ---------------------------------------------------------------------------------------------
// The baseline: known findings per kernel setting.

export interface KnownFinding {
  readonly signature: string;
  readonly file: string;
  readonly reason: string;
  /** What `diocheck confirm --record` wrote into the file, if it ran it. */
  readonly confirmation: ReplayConfirmation | null;
}

/** The first sentence of a note: the short reason a baseline file gives. */
function shortReason(note: string | undefined): string {
  if (note === undefined) return '';
  const first = note.split(/(?<=\.)\s/, 1)[0] ?? note;
  return first.length > 160 ? `${first.slice(0, 157)}...` : first;
}

/**
 * The baseline of one kernel setting: every `expect: "violation"` replay file of `dir` recorded on
 * that setting (no `kernel` field: the correct model), with the final signature its replay has now.
 * A file that no longer violates is left out (the regression test reports it).
 */
export function loadBaseline(dir: string, kernel: KernelVersion | null): KnownFinding[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const known: KnownFinding[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    let file: ReplayFile;
    try {
      file = readReplayFile(path);
    } catch {
      continue;
    }
    // A baseline of a release with the same model (6.12.111-6.12.117) is known on this one too.
    if (file.expect !== 'violation' || !sameModel(file.kernel ?? null, kernel)) continue;
    let traced: RunResult;
    try {
      traced = runScenario(file.scenario, {
        source: new ReplayChoices(file.choices),
        faults: file.faults,
        tracing: true,
        probe: CHECKS,
        ...replayWorld(file),
      });
    } catch {
      continue;
    }
    const sig = finalSignature(file, traced);
    if (sig !== null)
      known.push({
        signature: sig.signature,
        file: path,
        reason: shortReason(file.note),
        confirmation: file.confirmation ?? null,
      });
  }
  return known;
}

// ---------------------------------------------------------------------------------------------
// After the campaign: shrink one representative per raw signature, merge, compare with the baseline.

export interface TriageInput {
  readonly seed: number;
  readonly kernel: KernelVersion | null;
  readonly ops: Readonly<KernelOps>;
  readonly collector: FindingCollector;
  /** Where the smallest replays are written (null: not written). */
  readonly outDir: string | null;
  /** Time for all shrinking together; each group gets an equal share of what is left. */
  readonly shrinkTimeMs: number;
  readonly baseline: readonly KnownFinding[];
  /** Told about a replay file it could not write. */
  readonly warn?: (text: string) => void;
}

interface Shrunk {
  readonly path: string;
  readonly value: CampaignCase;
  readonly shrunk: boolean;
}

/** Replays run `runId` of the seed and shrinks it within `ms`, keeping the key. */
function shrinkGroup(input: TriageInput, group: RawGroup, ms: number): Shrunk | null {
  const details = fc.check(keyProperty(group.key, input.ops), {
    seed: input.seed,
    path: String(group.firstRun),
    plugins: [timeLimit(Math.max(1, ms))],
  });
  if (!details.failed || details.counterexample === null || details.counterexamplePath === null) return null;
  return { path: details.counterexamplePath, value: details.counterexample, shrunk: !details.interrupted };
}

function replayFileName(key: FindingKey, seed: number, path: string, kernel: KernelVersion | null): string {
  const run = path.split(':')[0] ?? '0';
  return `${key.invariant}-seed${seed}-run${run}${kernel === null ? '' : `-kernel-${kernel}`}.json`;
}

function countOps(scenario: Scenario): number {
  return scenario.threads.reduce((n, ops) => n + ops.length, 0);
}

/** The findings of a campaign, most frequent first. */
export function triage(input: TriageInput): Finding[] {
  const groups = [...input.collector.groups.values()].sort(
    (a, b) => b.count - a.count || a.firstRun - b.firstRun,
  );
  const started = performance.now();
  const merged = new Map<string, Finding>();
  groups.forEach((group, i) => {
    const left = input.shrinkTimeMs - (performance.now() - started);
    const shrunk = shrinkGroup(input, group, left / (groups.length - i));
    if (shrunk === null) return;
    const traced = runCase(shrunk.value, true, input.ops);
    const violation = traced.violation;
    if (violation === null) return;
    const file = makeReplayFile({
      invariant: violation.invariant,
      scenario: shrunk.value[0],
      faults: shrunk.value[1],
      choices: traced.choiceLog,
      note: `diocheck run --seed ${input.seed}${kernelOption(input.kernel)}, fast-check path ${shrunk.path}: ${violation.message}`,
      ...(input.kernel === null ? {} : { kernel: input.kernel }),
    });
    const sig = finalSignature(file, traced) ?? {
      key: group.key,
      labels: [],
      signature: signatureText(group.key, []),
    };
    const deviations = traced.choiceLog.filter((c) => c.value !== 0).length;
    const previous = merged.get(sig.signature);
    if (previous !== undefined) {
      // The same finding reached from another raw signature: add its runs, keep the smaller replay.
      const smaller =
        countOps(shrunk.value[0]) + deviations < previous.ops + previous.deviations ? shrunk : null;
      merged.set(sig.signature, {
        ...previous,
        count: previous.count + group.count,
        firstRun: Math.min(previous.firstRun, group.firstRun),
        ...(smaller === null
          ? {}
          : { path: smaller.path, ops: countOps(smaller.value[0]), deviations, message: violation.message }),
      });
      return;
    }
    let replayFile: string | null = null;
    if (input.outDir !== null) {
      const path = join(input.outDir, replayFileName(sig.key, input.seed, shrunk.path, input.kernel));
      try {
        writeReplayFile(path, file);
        replayFile = path;
      } catch (e) {
        input.warn?.(`cannot write the replay file ${path}: ${(e as Error).message}`);
      }
    }
    const known = input.baseline.find((k) => k.signature === sig.signature) ?? null;
    merged.set(sig.signature, {
      ...sig.key,
      signature: sig.signature,
      labels: sig.labels,
      count: group.count,
      firstRun: group.firstRun,
      path: shrunk.path,
      replayFile,
      message: violation.message,
      ops: countOps(shrunk.value[0]),
      deviations,
      shrunk: shrunk.shrunk,
      known: known?.file ?? null,
      knownReason: known?.reason ?? null,
      confirmation: known?.confirmation?.verdict ?? 'unconfirmed',
      confirmationDetail:
        known?.confirmation === null || known?.confirmation === undefined
          ? null
          : `on ${known.confirmation.kernel}, ${known.confirmation.date}: ${known.confirmation.detail}`,
    });
  });
  return [...merged.values()].sort(
    (a, b) => Number(a.known !== null) - Number(b.known !== null) || b.count - a.count,
  );
}

// ---------------------------------------------------------------------------------------------
// Printing.

function percent(n: number, runs: number): string {
  return runs === 0 ? '0' : ((100 * n) / runs).toFixed(n * 1000 < runs ? 3 : 2);
}

/** The findings block of a campaign's output. */
export function formatFindings(
  findings: readonly Finding[],
  runs: number,
  seed: number,
  kernel: KernelVersion | null,
  modelErrors: ReadonlyMap<string, { count: number; firstRun: number; message: string }> = new Map(),
): string {
  const fresh = findings.filter((f) => f.known === null).length;
  const violating = findings.reduce((n, f) => n + f.count, 0);
  const lines = [
    `findings: ${findings.length} (${findings.length - fresh} known, ${fresh} new) from ${violating} violating run(s) of ${runs}`,
  ];
  findings.forEach((f, i) => {
    const status = f.known === null ? 'NEW  ' : 'known';
    lines.push(
      `  [${i + 1}] ${status} ${f.signature}  ${f.count} run(s) (${percent(f.count, runs)}%), first run ${f.firstRun}`,
    );
    lines.push(`      ${f.message}`);
    lines.push(
      `      smallest: ${f.ops} op(s), ${f.deviations} deviating choice(s)${f.shrunk ? '' : ' (shrinking stopped at its time limit)'}${f.fs === 'scripted' ? '; scripted filesystem (spec/findings.md: which real ones)' : ''}`,
    );
    lines.push(`      replay:   ${reproCommand(seed, f.path, kernel)}`);
    if (f.replayFile !== null) lines.push(`                ${DIOCHECK} repro ${f.replayFile}`);
    if (f.known !== null)
      lines.push(`      baseline: ${f.known}${f.knownReason ? `: ${f.knownReason}` : ''}`);
    lines.push(
      `      confirmation: ${f.confirmation}${f.confirmationDetail === null ? '' : ` ${f.confirmationDetail}`}`,
    );
  });
  for (const m of modelErrors.values())
    lines.push(
      `  MODEL ERROR ${m.count} run(s), first run ${m.firstRun}: ${m.message} (a problem in diocheck, not a kernel finding)`,
    );
  return lines.join('\n');
}
