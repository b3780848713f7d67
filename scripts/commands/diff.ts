/**
 * `diocheck diff --kernel A --kernel B [--runs N | --time T] [--seed S] [--json FILE]`: one
 * campaign's scenarios run on two kernel settings, and the scenarios whose observable outcome
 * differs, grouped as findings are (spec/findings.md, "Differences between settings"). Between
 * neighbouring stable releases this is the backport reviewer's question: what does this release do
 * differently for a program?
 *
 * The scenarios are those of `run --seed S` (the same arbitraries, so `repro --seed S --path P
 * --kernel A` replays a difference on either side). Each runs without invariant checkers: what is
 * compared is what a program sees, not what the model judges. The observable outcome of a run:
 * - the result of every direct read and write, fsync, buffered and mmap operation;
 * - the data each read returned (its buffer's tags for the bytes it reported);
 * - at the end, i_size and the file's contents as a direct read sees them (model XFS), or, after
 *   power loss, what recovery finds: size and contents;
 * - how the run ended when it did not end normally (a bound, or an error the model itself raised).
 * A difference is grouped by its first differing item (what, the operation, the filesystem, and
 * each side's result class) and one scenario per group is shrunk, keeping the group.
 *
 * Side A answers the case's choice stream; side B gets, for each question, A's answer to its next
 * question of the same label (AlignedChoices), so a fault class only one side has does not shift
 * every later answer. The report says when the two sides asked different questions.
 *
 * Exit status: 0 once the differences are printed (a difference is information, not a failure),
 * 2 bad input, 3 when the model threw.
 */
import fc from 'fast-check';
import { EXT_WRITTEN } from '../../model/fs/extentMap.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import type { KernelVersion } from '../../model/kernel/ops.ts';
import { ArrayChoices, type ChoiceSource, type RecordedChoice } from '../../model/runtime/choice.ts';
import { TAG_ZERO } from '../../model/mm/tags.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { budgetFor, freshSeed } from '../../properties/support/budget.ts';
import { parseDuration, parseKernel, parseRuns, seedOption, UsageError } from './args.ts';
import { optionSpec } from './definitions.ts';
import { parseOptions } from './options.ts';
import {
  type CampaignCase,
  caseProperty,
  IndexedCaseProperty,
  kernelOps,
  reproCommand,
  timeLimit,
} from './campaign.ts';
import type { Output } from './output.ts';
import { EXIT_MODEL_ERROR, EXIT_PASS, prepareOutput, summaryJson, writeText } from './run.ts';

export interface DiffCommand {
  readonly a: KernelVersion;
  readonly b: KernelVersion;
  readonly runs: number | null;
  readonly timeMs: number | null;
  readonly seed: number | null;
  readonly json: string | null;
}

/** Runs of a diff without --runs or --time: small, for CI's fast tier. */
export const DIFF_DEFAULT_RUNS = 2_000;

export function parseDiffArgs(args: readonly string[]): DiffCommand {
  const { options, repeated } = parseOptions('diff', args, optionSpec('diff'));
  const kernels = (repeated.get('kernel') ?? []).map(parseKernel);
  const [a, b] = kernels;
  if (a === undefined || b === undefined || kernels.length !== 2)
    throw new UsageError(`'diff' needs two kernel settings: --kernel A --kernel B (got ${kernels.length})`);
  if (a === b) throw new UsageError(`'diff' needs two different kernel settings, got ${a} twice`);
  const runs = options.get('runs');
  const time = options.get('time');
  if (runs !== undefined && time !== undefined) throw new UsageError('give --runs or --time, not both');
  const seed = options.get('seed');
  const seedValue = seed === undefined ? null : seedOption(seed);
  return {
    a,
    b,
    runs: runs === undefined ? null : parseRuns(runs),
    timeMs: time === undefined ? null : parseDuration(time),
    seed: seedValue,
    json: options.get('json') ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// The observable outcome of one run.

/** One item of an outcome: what it is about, and what a program sees of it. */
interface Item {
  /** result, data, size, contents, durability, end */
  readonly what: string;
  /** The operation (dio_write, fsync, ...) or `file`. */
  readonly op: string;
  readonly value: string;
  /** A coarse class of the value, for grouping (errno name, 0, short, all, ...). */
  readonly cls: string;
}

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM',
  4: 'EINTR',
  5: 'EIO',
  11: 'EAGAIN',
  12: 'ENOMEM',
  14: 'EFAULT',
  15: 'ENOTBLK',
  16: 'EBUSY',
  22: 'EINVAL',
  28: 'ENOSPC',
  61: 'ENODATA',
  62: 'ETIME',
  95: 'EOPNOTSUPP',
  110: 'ETIMEDOUT',
  529: 'EIOCBQUEUED',
};

function resultClass(res: number | null, len: number): string {
  if (res === null) return 'none';
  if (res < 0) return `-${ERRNO_NAMES[-res] ?? -res}`;
  if (res === 0) return '0';
  return res >= len ? 'all' : 'short';
}

function tagsText(tags: Int32Array, units: number): string {
  const parts: string[] = [];
  for (let u = 0; u < units; u++) parts.push((tags[u] ?? TAG_ZERO).toString(36));
  return parts.join(',');
}

/** What a direct read of the whole file returns at the end (model XFS), sector by sector. */
function contentsNow(r: RunResult): string {
  const xfs = r.xfs;
  if (xfs === null) return '';
  const bs = xfs.blockSize;
  const spb = xfs.sectorsPerBlock;
  const parts: string[] = [];
  for (let off = 0; off < r.inode.iSize; off += 512) {
    const b = Math.floor(off / bs);
    const tag =
      xfs.map.state[b] === EXT_WRITTEN
        ? r.disk.readTag((xfs.map.addr[b] ?? -1) * spb + ((off % bs) >> 9))
        : TAG_ZERO;
    parts.push(tag.toString(36));
  }
  return parts.join(',');
}

export function outcomeOf(r: RunResult | null, error: unknown): Item[] {
  if (r === null) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n', 1)[0] ?? '';
    return [{ what: 'end', op: 'run', value: `throws ${message}`, cls: 'throws' }];
  }
  const items: Item[] = [];
  for (const q of r.requests) {
    const res = q.completions[0]?.res ?? null;
    items.push({
      what: 'result',
      op: q.op.kind,
      value: `req${q.id} ${res}`,
      cls: resultClass(res, q.op.len),
    });
    if (q.op.kind === 'dio_read' && res !== null && res > 0)
      items.push({
        what: 'data',
        op: q.op.kind,
        value: `req${q.id} ${tagsText(q.buf.tags, res >> 9)}`,
        cls: 'data',
      });
  }
  for (const f of r.fileOps) {
    items.push({
      what: 'result',
      op: f.op.kind,
      value: `op${f.id} ${f.returned}`,
      cls: resultClass(f.returned, 'len' in f.op ? f.op.len : 0),
    });
    if (f.buf !== null && f.op.kind !== 'buffered_write' && f.returned !== null && f.returned > 0)
      items.push({
        what: 'data',
        op: f.op.kind,
        value: `op${f.id} ${tagsText(f.buf.tags, f.returned >> 9)}`,
        cls: 'data',
      });
  }
  for (const s of r.syncs)
    items.push({
      what: 'result',
      op: s.op.kind,
      value: `op${s.id} ${s.returned}`,
      cls: resultClass(s.returned, 0),
    });
  if (r.outcome === 'bound')
    items.push({ what: 'end', op: 'run', value: `bound ${r.bound?.bound}`, cls: 'bound' });
  if (r.violation !== null)
    items.push({
      what: 'end',
      op: 'run',
      value: `model raised ${r.violation.invariant}`,
      cls: r.violation.invariant,
    });
  const rec = r.crash?.recovered ?? null;
  if (r.crash !== null) {
    if (rec !== null)
      items.push({
        what: 'durability',
        op: 'file',
        value: `size ${rec.size} ${tagsText(rec.tags, rec.tags.length)}`,
        cls: 'recovered',
      });
  } else if (r.xfs !== null) {
    items.push({ what: 'size', op: 'file', value: String(r.inode.iSize), cls: 'size' });
    items.push({ what: 'contents', op: 'file', value: contentsNow(r), cls: 'contents' });
  }
  return items;
}

/** Side A's choice source: the case's choices, with every question asked recorded. */
class RecordingChoices implements ChoiceSource {
  readonly log: RecordedChoice[] = [];
  private readonly inner: ArrayChoices;
  constructor(values: readonly number[]) {
    this.inner = new ArrayChoices(values);
  }
  next(n: number, label: string): number {
    const value = this.inner.next(n);
    this.log.push({ label, n, value });
    return value;
  }
}

/**
 * Side B's choice source: each question gets the answer side A gave to its next question of the
 * same label, skipping questions only A asked (a fault class one release has and the other has not,
 * such as 6.12.107's submit_would_block), and 0 when A asked no more of that label. Answering by
 * position instead would shift every answer after such a question, and the two sides would differ
 * for that reason alone.
 */
class AlignedChoices implements ChoiceSource {
  private at = 0;
  readonly labels: string[] = [];
  constructor(private readonly log: readonly RecordedChoice[]) {}
  next(n: number, label: string): number {
    this.labels.push(label);
    for (let i = this.at; i < this.log.length; i++) {
      const c = this.log[i] as RecordedChoice;
      if (c.label !== label) continue;
      this.at = i + 1;
      return c.value % n;
    }
    return 0;
  }
}

/** One case on both sides, without checkers (the outcome a program sees), and its first difference. */
export function differenceOf(
  value: CampaignCase,
  opsA: Readonly<KernelOps>,
  opsB: Readonly<KernelOps>,
): { d: Difference | null; sameQuestions: boolean } {
  const [scenario, faults, choices] = value;
  const recording = new RecordingChoices(choices);
  let a: Item[];
  try {
    a = outcomeOf(runScenario(scenario, { source: recording, faults, ops: opsA }), null);
  } catch (e) {
    a = outcomeOf(null, e);
  }
  const aligned = new AlignedChoices(recording.log);
  let b: Item[];
  try {
    b = outcomeOf(runScenario(scenario, { source: aligned, faults, ops: opsB }), null);
  } catch (e) {
    b = outcomeOf(null, e);
  }
  const sameQuestions =
    aligned.labels.length === recording.log.length &&
    aligned.labels.every((l, i) => recording.log[i]?.label === l);
  return { d: firstDifference(a, b, scenario), sameQuestions };
}

export interface Difference {
  /** The group: what differs, the operation, the filesystem, and each side's class. */
  readonly key: string;
  readonly a: string;
  readonly b: string;
}

/** The first item where the two outcomes differ, or null when they agree. */
export function firstDifference(
  x: readonly Item[],
  y: readonly Item[],
  scenario: Scenario,
): Difference | null {
  const fs = scenario.fs.model ?? 'xfs';
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x[i];
    const q = y[i];
    if (p !== undefined && q !== undefined && p.what === q.what && p.op === q.op && p.value === q.value)
      continue;
    const what = p?.what ?? q?.what ?? 'end';
    const op = p?.op ?? q?.op ?? 'run';
    return {
      key: `${what} ${op} ${fs}: ${p?.cls ?? '(none)'} → ${q?.cls ?? '(none)'}`,
      a: p === undefined ? '(nothing)' : `${p.what} ${p.value}`,
      b: q === undefined ? '(nothing)' : `${q.what} ${q.value}`,
    };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The campaign of a diff.

interface Group {
  readonly key: string;
  count: number;
  readonly firstRun: number;
}

export interface DiffGroup {
  readonly key: string;
  readonly count: number;
  readonly firstRun: number;
  readonly path: string;
  readonly ops: number;
  readonly shrunk: boolean;
  readonly a: string;
  readonly b: string;
  /** The two sides asked different questions of the choice stream (B answered by label). */
  readonly differentQuestions: boolean;
}

export interface DiffReport {
  readonly format: 'diocheck-diff';
  readonly version: 1;
  readonly seed: number;
  readonly a: KernelVersion;
  readonly b: KernelVersion;
  readonly runs: number;
  readonly differing: number;
  readonly elapsedMs: number;
  readonly groups: readonly DiffGroup[];
}

class SameDifference extends Error {}

/** Shrinks a group's first scenario, keeping its difference key. */
function shrinkGroup(
  seed: number,
  group: Group,
  opsA: Readonly<KernelOps>,
  opsB: Readonly<KernelOps>,
  ms: number,
): { path: string; value: CampaignCase; shrunk: boolean } | null {
  const property = caseProperty((value) => {
    const { d } = differenceOf(value, opsA, opsB);
    if (d !== null && d.key === group.key) throw new SameDifference(d.key);
  });
  const details = fc.check(property, {
    seed,
    path: String(group.firstRun),
    plugins: [timeLimit(Math.max(1, ms))],
  });
  if (!details.failed || details.counterexample === null || details.counterexamplePath === null) return null;
  return { path: details.counterexamplePath, value: details.counterexample, shrunk: !details.interrupted };
}

export function runDiff(cmd: DiffCommand, shrinkTimeMs: number): DiffReport {
  const seed = cmd.seed ?? freshSeed();
  const opsA = kernelOps(cmd.a);
  const opsB = kernelOps(cmd.b);
  const groups = new Map<string, Group>();
  let differing = 0;
  let runs = 0;
  const property = new IndexedCaseProperty((value, runId) => {
    runs++;
    const { d } = differenceOf(value, opsA, opsB);
    if (d === null) return;
    differing++;
    const g = groups.get(d.key);
    if (g === undefined) groups.set(d.key, { key: d.key, count: 1, firstRun: runId });
    else g.count++;
  });
  const started = performance.now();
  fc.check(property, {
    seed,
    numRuns: cmd.runs ?? (cmd.timeMs === null ? DIFF_DEFAULT_RUNS : 2_000_000_000),
    ...(cmd.timeMs === null ? {} : { plugins: [timeLimit(cmd.timeMs)] }),
  });
  const elapsedMs = performance.now() - started;
  const sorted = [...groups.values()].sort((x, y) => y.count - x.count || x.firstRun - y.firstRun);
  const shrinkStarted = performance.now();
  const out: DiffGroup[] = [];
  sorted.forEach((g, i) => {
    const left = shrinkTimeMs - (performance.now() - shrinkStarted);
    const s = shrinkGroup(seed, g, opsA, opsB, left / (sorted.length - i));
    if (s === null) return;
    const { d, sameQuestions } = differenceOf(s.value, opsA, opsB);
    out.push({
      key: g.key,
      count: g.count,
      firstRun: g.firstRun,
      path: s.path,
      ops: s.value[0].threads.reduce((n, t) => n + t.length, 0),
      shrunk: s.shrunk,
      a: d?.a ?? '',
      b: d?.b ?? '',
      differentQuestions: !sameQuestions,
    });
  });
  return {
    format: 'diocheck-diff',
    version: 1,
    seed,
    a: cmd.a,
    b: cmd.b,
    runs,
    differing,
    elapsedMs: Math.round(elapsedMs),
    groups: out,
  };
}

export function formatDiff(report: DiffReport): string {
  const lines = [
    `diff: ${report.a} → ${report.b}, seed ${report.seed}: ${report.runs} scenarios in ${(report.elapsedMs / 1000).toFixed(1)} s, ${report.differing} differ, in ${report.groups.length} group(s)`,
  ];
  report.groups.forEach((g, i) => {
    lines.push(`  [${i + 1}] ${g.key}  ${g.count} scenario(s), first run ${g.firstRun}`);
    lines.push(`      ${report.a}: ${g.a}`);
    lines.push(`      ${report.b}: ${g.b}`);
    lines.push(
      `      smallest: ${g.ops} op(s)${g.shrunk ? '' : ' (shrinking stopped at its time limit)'}${g.differentQuestions ? `; ${report.b} is asked other questions (answered by label as ${report.a} answered them; repro answers by position)` : ''}`,
    );
    lines.push(`      replay:   ${reproCommand(report.seed, g.path, report.a)}`);
    lines.push(`                ${reproCommand(report.seed, g.path, report.b)}`);
  });
  if (report.groups.length === 0) lines.push('  no scenario differs in what a program sees');
  return lines.join('\n');
}

/** `diocheck diff ...`; returns the exit status. */
export function diffCommand(args: readonly string[], out: Output): number {
  const cmd = parseDiffArgs(args);
  if (cmd.json !== null) prepareOutput(cmd.json, '--json');
  let report: DiffReport;
  try {
    report = runDiff(cmd, budgetFor('fast').shrinkTimeMs / 4);
  } catch (e) {
    out.err(`diocheck: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT_MODEL_ERROR;
  }
  out.line(formatDiff(report));
  if (cmd.json !== null) writeText(cmd.json, summaryJson(report), out);
  return EXIT_PASS;
}
