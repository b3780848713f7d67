/**
 * Same runs bit for bit: a SHA-256 digest of everything a run leaves (outcome, violation, steps,
 * choices and their log, request, sync and file-operation results, disk counters, cache, media,
 * coverage, crash recovery, i_size, user buffers; with --traced also the timeline) over three
 * sets: campaign cases of the bench seed on the correct model, every planted bug run 30 times, and
 * campaign cases on the faithful seed. A change meant only to make the model faster (the runtime,
 * the world's construction, the checkers' cost) must leave all three digests as they were:
 * compare the output on the base and on the change.
 *
 *   npx tsx scripts/bench/sameRuns.ts [--cases N] [--bug-runs N] [--seed-cases N] [--traced]
 *
 * Defaults 12,000 / 30 / 2,000 (sessions 7 and 8 compared these); a bad flag is one line, exit 2.
 */
import { createHash, type Hash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { BUGS } from '../../model/bugs/catalogue.ts';
import { SEED_OPS } from '../../model/kernel/ops.ts';
import { formatTraceEntry } from '../../model/runtime/trace.ts';
import { type RunResult, recycleRun } from '../../model/world/run.ts';
import { runBugOnce } from '../../properties/support/hunt.ts';
import { runCase } from '../commands/campaign.ts';
import { asksHelp, parseScriptOptions, wholeNumberOption } from '../scriptOptions.ts';
import { BENCH_SEED } from './options.ts';
import { sampleCases } from './measure.ts';

/** The seed of the faithful-seed cases (other cases than the campaign's). */
const SEED_CASES_SEED = 7;

export const USAGE = `usage: npx tsx scripts/bench/sameRuns.ts [--cases N] [--bug-runs N] [--seed-cases N] [--traced]
  --cases N        campaign cases of the bench seed on the correct model (default 12000)
  --bug-runs N     runs of each planted bug (default 30)
  --seed-cases N   campaign cases on the faithful seed (default 2000)
  --traced         run with tracing and digest the timelines too`;

export class SameRunsUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SameRunsUsageError';
  }
}

export interface SameRunsOptions {
  readonly cases: number;
  readonly bugRuns: number;
  readonly seedCases: number;
  readonly traced: boolean;
}

export interface SameRunsDigests {
  readonly campaign: string;
  readonly bugs: string;
  readonly seed: string;
  /** Runs that threw (a model error): digested by message, counted here. */
  readonly errors: number;
}

/** Parses the flags (argv without node and the script); throws SameRunsUsageError. */
export function parseSameRunsArgs(argv: readonly string[]): SameRunsOptions {
  const parsed = parseScriptOptions(
    'sameRuns',
    argv,
    { values: ['cases', 'bug-runs', 'seed-cases'], flags: ['traced'] },
    SameRunsUsageError,
  );
  const option = (name: string, fallback: number): number =>
    wholeNumberOption('sameRuns', name, parsed.options.get(name), fallback, SameRunsUsageError);
  return {
    cases: option('cases', 12_000),
    bugRuns: option('bug-runs', 30),
    seedCases: option('seed-cases', 2_000),
    traced: parsed.flags.has('traced'),
  };
}

function view(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Everything run `r` left, into `h`. */
function feed(h: Hash, r: RunResult, traced: boolean): void {
  const parts: string[] = [
    r.outcome,
    r.violation?.invariant ?? '',
    r.violation?.message ?? '',
    r.bound?.message ?? '',
    String(r.steps),
    r.choices.join(','),
  ];
  for (const c of r.choiceLog) parts.push(`${c.label}/${c.n}=${c.value}`);
  for (const q of r.requests)
    parts.push(
      `q${q.id}:${q.returned}:${q.returnStep}:${q.completions.map((c) => `${c.res}@${c.context}/${c.step}`).join(';')}`,
    );
  for (const s of r.syncs) parts.push(`s${s.id}:${s.returned}:${s.returnStep}`);
  for (const f of r.fileOps) parts.push(`f${f.id}:${f.returned}:${f.returnStep}:${f.readPos}`);
  const d = r.disk;
  parts.push(
    `d${d.submitted}/${d.completed}/${d.flushes}/${d.log.length}/${d.cachedAtPowerLoss}/${d.poweredOff}`,
  );
  parts.push(`cache${[...d.cache].join(';')}`);
  const rec = r.crash?.recovered;
  if (r.crash)
    parts.push(
      `crash${r.crash.step}:${rec?.size}:${rec?.durableSeq}:${rec ? Buffer.from(view(rec.tags)).toString('base64') : ''}`,
    );
  parts.push(`inode${r.inode.iSize}`);
  h.update(parts.join('|'));
  h.update(view(d.media));
  h.update(view(r.coverage));
  for (const q of r.requests) h.update(view(q.buf.tags));
  if (traced) for (const e of r.trace) h.update(`${formatTraceEntry(e)}\n`);
}

/** The digest of everything run `r` left (with `traced`, its timeline too), as the sets digest each run. */
export function runDigest(r: RunResult, traced: boolean): string {
  const h = createHash('sha256');
  feed(h, r, traced);
  return h.digest('hex');
}

/** Runs `run` and digests what it left; a run that throws is digested by its message. */
function digestRun(h: Hash, run: () => RunResult, traced: boolean): number {
  try {
    const r = run();
    feed(h, r, traced);
    recycleRun(r);
    return 0;
  } catch (e) {
    h.update(`error ${(e as Error).message}`);
    return 1;
  }
}

export function sameRunsDigests(o: SameRunsOptions): SameRunsDigests {
  let errors = 0;
  const campaign = createHash('sha256');
  for (const c of sampleCases(BENCH_SEED, o.cases))
    errors += digestRun(campaign, () => runCase(c, o.traced), o.traced);
  const bugs = createHash('sha256');
  for (const bug of BUGS)
    for (let i = 0; i < o.bugRuns; i++)
      errors += digestRun(bugs, () => runBugOnce(bug, `${bug.name}:hash:${i}`, false, o.traced), o.traced);
  const seed = createHash('sha256');
  for (const c of sampleCases(SEED_CASES_SEED, o.seedCases))
    errors += digestRun(seed, () => runCase(c, o.traced, SEED_OPS), o.traced);
  return { campaign: campaign.digest('hex'), bugs: bugs.digest('hex'), seed: seed.digest('hex'), errors };
}

export function formatDigests(o: SameRunsOptions, d: SameRunsDigests): string {
  return [
    `same runs (${o.traced ? 'traced' : 'plain'}): ${o.cases} campaign cases, ${BUGS.length} planted bugs x ${o.bugRuns}, ${o.seedCases} seed cases`,
    `  campaign ${d.campaign.slice(0, 16)}`,
    `  bugs     ${d.bugs.slice(0, 16)}`,
    `  seed     ${d.seed.slice(0, 16)}`,
    `  errors   ${d.errors}`,
  ].join('\n');
}

function main(argv: readonly string[]): number {
  if (asksHelp(argv)) {
    console.log(USAGE);
    return 0;
  }
  let o: SameRunsOptions;
  try {
    o = parseSameRunsArgs(argv);
  } catch (e) {
    if (e instanceof SameRunsUsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  console.log(formatDigests(o, sameRunsDigests(o)));
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  process.exitCode = main(process.argv.slice(2));
