/**
 * `diocheck merge A.json B.json ... [--json OUT] [--junit FILE]`: one summary out of the JSON
 * reports of `diocheck run --shard i/n --json FILE`.
 *
 * Sound because the shards of one seed split one campaign's fast-check runs by index (run.ts): no
 * run is in two shards, so every count adds up: runs, passes, violations per invariant, bound hits,
 * model errors, vacuity guard counts, fault classes, and the hits of each marked seed line (the
 * coverage of the whole is the union of the shards'). Wall time is the slowest shard's, since
 * shards run side by side. What would not add up is refused (exit 2): reports of different seeds,
 * shard counts, kernel versions (`run --kernel`) or model versions, the same shard twice, or files
 * that are not run reports. A missing shard is merged anyway, with a warning, since a CI job may
 * have been cancelled.
 *
 * Findings (reports of triaging campaigns) are merged by signature (mergeFindings).
 *
 * Exit status: 0 when no shard failed (for triaged shards: every finding is known), 1 when one found
 * a violation (a new finding), 3 when the model threw.
 */
import { readText } from '../../properties/support/readText.ts';
import { firstProblem } from '../schema/fields.ts';
import { runReportSchema } from '../schema/reports.ts';
import { budgetFor } from '../../properties/support/budget.ts';
import { type MergeCommand, type Shard, UsageError } from './args.ts';
import { kernelLabel, kernelOption } from './campaign.ts';
import { formatCoverageList } from './coverage.ts';
import { type JunitFailure, junitXml } from './junit.ts';
import type { Output } from './output.ts';
import {
  type CampaignSummary,
  EXIT_MODEL_ERROR,
  EXIT_PASS,
  EXIT_VIOLATION,
  formatSummary,
  junitViolations,
  prepareOutput,
  replayCommands,
  SUMMARY_FORMAT,
  SUMMARY_VERSION,
  summaryJson,
  summaryJunitFailures,
  writeText,
} from './run.ts';
import { type Finding, formatFindings } from './findings.ts';

type Failure = NonNullable<CampaignSummary['failure']>;

/** The merged summary: a run summary of the whole, plus which shards it holds and every failure. */
export interface MergedSummary extends CampaignSummary {
  readonly shards: {
    readonly count: number;
    readonly merged: readonly number[];
    readonly missing: readonly number[];
  };
  readonly failures: ReadonlyArray<Failure & { readonly shard: number; readonly replay: readonly string[] }>;
}

// ---------------------------------------------------------------------------------------------
// Reading a report: enough checking that a wrong file is named, never half merged.

class BadReport extends Error {}

function need(cond: boolean, what: string): asserts cond {
  if (!cond) throw new BadReport(what);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A run report as the schema states it (scripts/schema/reports.ts), after the checks that name a
 * wrong kind of file as such rather than by its first odd field.
 */
function checkReport(v: unknown): CampaignSummary {
  need(isRecord(v), 'it is not a JSON object');
  need(
    v.format === SUMMARY_FORMAT,
    `it is not a 'diocheck run --json' report (format must be "${SUMMARY_FORMAT}")`,
  );
  need(v.version === SUMMARY_VERSION, `its version ${JSON.stringify(v.version)} is not ${SUMMARY_VERSION}`);
  need(!('shards' in v), 'it is already a merged report');
  // Reports from before `run --kernel` have no kernel: they ran on the correct model.
  const parsed = runReportSchema.safeParse('kernel' in v ? v : { ...v, kernel: null });
  if (!parsed.success) throw new BadReport(firstProblem(parsed.error));
  const shard = parsed.data.shard;
  need(shard === null || shard.index <= shard.count, 'shard must have 1 <= index <= count');
  return parsed.data as CampaignSummary;
}

export function readReport(file: string): CampaignSummary {
  const text = readText(file, 'report', (m) => new UsageError(m));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`report ${file} is not JSON`);
  }
  try {
    return checkReport(json);
  } catch (e) {
    if (e instanceof BadReport) throw new UsageError(`report ${file}: ${e.message}`);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Merging.

function add(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

function sum(
  reports: readonly CampaignSummary[],
  key: 'runs' | 'passes' | 'boundHits' | 'modelErrors' | 'shrinkRuns',
): number {
  return reports.reduce((a, r) => a + r[key], 0);
}

const shardOf = (r: CampaignSummary): Shard => r.shard ?? { index: 1, count: 1 };

/** Merges the reports of one sharded campaign; throws UsageError when they do not belong together. */
export function mergeSummaries(
  reports: readonly CampaignSummary[],
  files: readonly string[] = reports.map((_, i) => `report ${i + 1}`),
): MergedSummary {
  const first = reports[0];
  if (first === undefined) throw new UsageError("'merge' needs at least one report");
  const firstShard = shardOf(first);
  const seen = new Map<number, string>();
  reports.forEach((r, i) => {
    const file = files[i] ?? `report ${i + 1}`;
    const s = shardOf(r);
    if (r.seed !== first.seed)
      throw new UsageError(
        `${file} has seed ${r.seed}, ${files[0]} seed ${first.seed}: shards of one campaign share a seed`,
      );
    if (r.kernel !== first.kernel)
      throw new UsageError(
        `${file} ran on kernel ${kernelLabel(r.kernel)}, ${files[0]} on ${kernelLabel(first.kernel)}`,
      );
    if (s.count !== firstShard.count)
      throw new UsageError(`${file} is a shard of ${s.count}, ${files[0]} of ${firstShard.count}`);
    if (r.modelVersion !== first.modelVersion)
      throw new UsageError(
        `${file} was made by diocheck ${r.modelVersion}, ${files[0]} by ${first.modelVersion}`,
      );
    const marked = Object.keys(r.coverage.hits).join(',');
    if (marked !== Object.keys(first.coverage.hits).join(','))
      throw new UsageError(`${file} marks other seed lines than ${files[0]}: not the same model`);
    const twice = seen.get(s.index);
    if (twice !== undefined)
      throw new UsageError(
        `shard ${s.index}/${s.count} given twice (${twice} and ${file}): its runs would count twice`,
      );
    seen.set(s.index, file);
  });
  const total = firstShard.count;
  const merged = [...seen.keys()].sort((a, b) => a - b);
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !seen.has(i));

  const violations: Record<string, number> = {};
  const boundHitsByName: Record<string, number> = {};
  const reach: Record<string, number> = {};
  const faultClasses: Record<string, number> = {};
  const hits: Record<string, number> = {};
  for (const r of reports) {
    add(violations, r.violations);
    add(boundHitsByName, r.boundHitsByName);
    add(reach, r.reach);
    add(faultClasses, r.faultClasses);
    add(hits, r.coverage.hits);
  }
  const marked = Object.keys(hits).map(Number);
  const unreached = marked.filter((l) => (hits[String(l)] ?? 0) === 0);
  const runs = sum(reports, 'runs');
  const elapsedMs = Math.max(...reports.map((r) => r.elapsedMs));
  const failures = reports
    .map((r) => ({ r, s: shardOf(r) }))
    .filter(({ r }) => r.failure !== null)
    .sort((a, b) => a.s.index - b.s.index)
    .map(({ r, s }) => {
      const f = r.failure as Failure;
      return { ...f, shard: s.index, replay: replayCommands(r.seed, f, r.kernel) };
    });
  return {
    format: SUMMARY_FORMAT,
    version: SUMMARY_VERSION,
    modelVersion: first.modelVersion,
    seed: first.seed,
    profile: first.profile,
    tier: first.tier,
    kernel: first.kernel,
    shard: null,
    runs,
    passes: sum(reports, 'passes'),
    violations,
    boundHits: sum(reports, 'boundHits'),
    boundHitsByName,
    modelErrors: sum(reports, 'modelErrors'),
    shrinkRuns: sum(reports, 'shrinkRuns'),
    elapsedMs,
    runsPerSecond: Math.round(runs / Math.max(elapsedMs / 1000, 1e-3)),
    coverage: { marked: marked.length, reached: marked.length - unreached.length, unreached, hits },
    reach,
    faultClasses,
    failure: failures[0] === undefined ? null : { ...failures[0] },
    ...(reports.some((r) => r.findings !== undefined) ? { findings: mergeFindings(reports) } : {}),
    shards: { count: total, merged, missing },
    failures,
  };
}

/**
 * The findings of the shards, one per signature: counts add up, the first run is the smallest, the
 * smallest replay (fewest operations, then fewest deviating choices) is kept, and a finding is known
 * when a shard found it in the baseline (every shard reads the same baseline).
 */
export function mergeFindings(reports: readonly CampaignSummary[]): Finding[] {
  const bySignature = new Map<string, Finding>();
  for (const r of reports) {
    for (const f of r.findings ?? []) {
      const prev = bySignature.get(f.signature);
      if (prev === undefined) {
        bySignature.set(f.signature, f);
        continue;
      }
      const smaller = f.ops + f.deviations < prev.ops + prev.deviations ? f : prev;
      bySignature.set(f.signature, {
        ...smaller,
        count: prev.count + f.count,
        firstRun: Math.min(prev.firstRun, f.firstRun),
        known: prev.known ?? f.known,
        knownReason: prev.knownReason ?? f.knownReason,
      });
    }
  }
  return [...bySignature.values()].sort(
    (a, b) => Number(a.known !== null) - Number(b.known !== null) || b.count - a.count,
  );
}

export function mergedJunitFailures(m: MergedSummary): JunitFailure[] {
  return m.failures.map((f) => ({
    invariant: f.invariant,
    verdict: `shard ${f.shard}/${m.shards.count}: ${f.verdict}`,
    replay: f.replay,
  }));
}

/** `diocheck merge`. */
export function mergeReports(cmd: MergeCommand, out: Output): number {
  if (cmd.json !== null) prepareOutput(cmd.json, '--json');
  if (cmd.junit !== null) prepareOutput(cmd.junit, '--junit');
  const reports = cmd.files.map(readReport);
  const m = mergeSummaries(reports, cmd.files);
  const { count: n, merged, missing } = m.shards;
  out.line(`merged ${reports.length} report(s) of seed ${m.seed}: shards ${merged.join(', ')} of ${n}`);
  out.line(`kernel: ${kernelLabel(m.kernel)}`);
  if (missing.length > 0)
    out.err(
      `diocheck: warning: shard(s) ${missing.map((i) => `${i}/${n}`).join(', ')} missing: their runs are not counted`,
    );
  const profiles = [...new Set(reports.map((r) => r.profile))];
  if (profiles.length > 1) out.line(`note: the shards ran different profiles (${profiles.join(', ')})`);
  out.line(formatSummary(m, budgetFor(m.tier === 'soak' ? 'soak' : 'fast').boundShareMax));
  out.line(formatCoverageList({ marked: Object.keys(m.coverage.hits).map(Number), hits: m.coverage.hits }));
  if (m.findings !== undefined) out.line(`\n${formatFindings(m.findings, m.runs, m.seed, m.kernel)}`);
  else
    for (const f of m.failures) {
      out.line(`\nshard ${f.shard}/${n}: ${f.verdict}`);
      for (const r of f.replay) out.line(`replay:   ${r}`);
    }
  if (cmd.json !== null) writeText(cmd.json, summaryJson(m), out);
  if (cmd.junit !== null) {
    const xml = junitXml({
      title: `diocheck merge --seed ${m.seed}${kernelOption(m.kernel)} (${merged.length}/${n} shards)`,
      runs: m.runs,
      elapsedMs: m.elapsedMs,
      violations: junitViolations(m),
      modelErrors: m.modelErrors,
      failures: m.findings === undefined ? mergedJunitFailures(m) : summaryJunitFailures(m),
      reach: m.reach,
      properties: {
        seed: m.seed,
        kernel: kernelLabel(m.kernel),
        runs: m.runs,
        shards: `${merged.join(',')} of ${n}`,
        modelVersion: m.modelVersion,
      },
    });
    writeText(cmd.junit, xml, out);
  }
  if (m.modelErrors > 0) return EXIT_MODEL_ERROR;
  // Triaged shards: only a finding outside the baseline fails the merged campaign.
  if (m.findings !== undefined) return m.findings.some((f) => f.known === null) ? EXIT_VIOLATION : EXIT_PASS;
  return Object.values(m.violations).some((v) => v > 0) ? EXIT_VIOLATION : EXIT_PASS;
}
