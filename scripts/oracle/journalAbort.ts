/**
 * `npx tsx scripts/oracle/journalAbort.ts [--release R[,R...]] [--cache DIR] [--json FILE]`: does a
 * real 6.12 kernel do what the model does after its journal's commit record fails to write (issue
 * 15; spec/ext4.md "Candidate finding: a sync after an aborted journal")?
 *
 * One shape, on the oracle's power-loss images (dm-log-writes over ubd, 4 KiB blocks on 512-byte
 * sectors): block 0 written, i_size 4 KiB; then
 *   op 1  a direct write of block 1 (extends i_size to 8 KiB: a journalled size change)
 *   op 2  fdatasync: its commit's log write fails (the commit record on ext4, the iclog on XFS)
 *   op 3  fdatasync again
 *   op 4  an RWF_DSYNC direct overwrite of block 1, inside the size the lost transaction set
 *   power fails (the dm-log-writes crash image), and the file is read back after log recovery.
 * Five variants: ext4 with op 4 issued at once, ext4 with op 4 issued after the coarse clock ticked
 * (so its file_modified must update the timestamps, which starts a handle), XFS, and the two ext4
 * ones again on the plain ubd image, whose lack of FUA sends the O_DSYNC write to ->fsync (no power
 * loss there: the results only).
 *
 * How the commit's write is failed: fail_make_request counts bios from the moment it is armed, so a
 * first boot runs every variant unarmed and finds, in op 2's block_bio_queue trace, the position of
 * the first data-carrying bio with PREFLUSH (jbd2's commit record is REQ_PREFLUSH|REQ_FUA, fs/jbd2/
 * commit.c L152-154; XFS's iclog write likewise); then each variant boots again with the agent's
 * `A <nth> 1` armed just before op 2. The kernel log (agent line G, fail_make_request verbose 2)
 * must then show exactly one injected failure, submitted from jbd2_journal_commit_transaction (ext4)
 * or from the XFS log (xlog_*), or the run says so instead of reporting.
 *
 * The model runs the same case (properties/oracle/observe.ts caseScenario): as 6.12 (the world
 * quirk that keeps 6.12's late abort check) and as the correct model, each with the bio at the same
 * place in its own log (its first PREFLUSH write of op 2) failing inside submit_bio.
 * Exit 0 when every variant agrees with the model as 6.12, or differs only in the overwrite's result
 * where the overwrite's own timestamp update noticed the abort (the model keeps no timestamps);
 * 1 on any other difference, 2 on bad options, 3 when the kernel could not be run or the injected
 * failure was not the one commit write.
 * Needs root and ptrace (UML), like `npm run oracle`; the pure parts are tested in npm test.
 */
import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REQ_PREFLUSH } from '../../model/block/bio.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { formatTag, isUserTag, TAG_STALE, TAG_UNTOUCHED, TAG_ZERO } from '../../model/mm/tags.ts';
import { type ReleaseName, releaseNamed, RELEASES } from '../../model/kernel/releases.ts';
import type { ChoiceSource } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import type { WorldQuirks } from '../../model/world/quirks.ts';
import { runScenario } from '../../model/world/run.ts';
import type { OracleCase } from '../../properties/oracle/corpus.ts';
import { EXTENT_BASE } from '../../model/world/extents.ts';
import {
  type AgentRecord,
  caseScenario,
  compressTokens,
  parseRwbs,
} from '../../properties/oracle/observe.ts';
import { caseLines } from './agentCorpus.ts';
import { asksHelp, parseScriptOptions, scriptArgsOrExit } from '../scriptOptions.ts';

const KiB = 1024;
/** The operation whose commit fails (op ids count from 1). */
export const FAILING_SYNC = 2;
/** The O_DSYNC overwrite. */
export const OVERWRITE = 4;

export type Variant = 'ext4' | 'ext4-tick' | 'xfs' | 'ext4-nofua' | 'ext4-nofua-tick';
export const VARIANTS: readonly Variant[] = ['ext4', 'ext4-tick', 'xfs', 'ext4-nofua', 'ext4-nofua-tick'];

/** The overwrite waits for the clock to tick first. */
export function waitsForTick(variant: Variant): boolean {
  return variant.endsWith('-tick');
}

/**
 * The shape as an oracle case: on a power-loss geometry (dm-log-writes over ubd, which advertises
 * FUA), or for the -nofua variants on the plain ubd image (a write cache without FUA, so an O_DSYNC
 * write calls ->fsync) with no power loss.
 */
export function abortCase(variant: Variant, id: number): OracleCase {
  const fs = variant === 'xfs' ? 'xfs' : 'ext4';
  return {
    id,
    name: `journal-abort/${variant}`,
    fs,
    blockSize: 4 * KiB,
    sectorSize: 512,
    iSize: 4 * KiB,
    extents: [{ type: 'mapped', offset: 0, length: 4 * KiB, addr: EXTENT_BASE }],
    ops: [
      { kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB },
      { kind: 'fdatasync' },
      { kind: 'fdatasync' },
      { kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] },
    ],
    failFirstBio: false,
    powerLoss: !variant.includes('nofua'),
  };
}

/**
 * The agent's lines of a variant: the case's own (caseLines), the kernel log kept (G, before S),
 * fail_make_request armed for the nth bio just before the failing sync when `nth` is given (A), and
 * for ext4-tick a wait for the clock's tick just before the overwrite (W).
 */
export function abortLines(c: OracleCase, variant: Variant, nth: number | null): string[] {
  const out = ['G'];
  for (const line of caseLines(c)) {
    if (nth !== null && line.startsWith(`O ${FAILING_SYNC} `)) out.push(`A ${nth} 1`);
    if (waitsForTick(variant) && line.startsWith(`O ${OVERWRITE} `)) out.push('W');
    out.push(line);
  }
  return out;
}

type TracedBio = readonly [number, number, string];

/**
 * The 1-based position, among an operation's traced bios, of the first write that carries data and
 * PREFLUSH: jbd2's commit record, or XFS's first iclog write. Null if there is none.
 */
export function commitRecordPosition(bios: readonly TracedBio[]): number | null {
  const i = bios.findIndex(([, n, rwbs]) => {
    const f = parseRwbs(rwbs);
    return f.write && f.preflush && n > 0;
  });
  return i < 0 ? null : i + 1;
}

/** The kernel log lines worth reporting: filesystem, jbd2, fault injection and I/O error messages. */
export function notableKlog(lines: readonly string[]): string[] {
  return lines
    .map((l) => l.replace(/^<\d+>(\[[ 0-9.]+\] )?/, ''))
    .filter((l) =>
      /FAULT_INJECTION|JBD2|jbd2_journal_commit_transaction|EXT4-fs|XFS \(|I\/O error|Buffer I\/O|xlog_\w+|Aborting journal|aborted/.test(
        l,
      ),
    );
}

/** How the injected failure looks in the kernel log: how many, and the stack's filesystem frame. */
export function injected(lines: readonly string[]): { count: number; frame: string | null } {
  const count = lines.filter((l) => l.includes('FAULT_INJECTION: forcing a failure')).length;
  const frame =
    lines.map((l) => /\b(jbd2_journal_commit_transaction|xlog_\w+)\b/.exec(l)?.[1]).find((x) => x) ?? null;
  return { count, frame };
}

/** What one side showed: the operations' results, and the file after recovery at the power loss. */
export interface AbortOutcome {
  readonly rets: readonly number[];
  readonly recoveredSize: number;
  /** The recovered file's sectors by origin (observe.ts tokens, runs compressed). */
  readonly recoveredContents: string;
}

function tagToken(tag: number): string {
  if (tag === TAG_ZERO) return 'z';
  if (tag === TAG_STALE) return 's';
  if (tag === TAG_UNTOUCHED || !isUserTag(tag)) return 'u';
  return formatTag(tag).slice(1).replace('+', '.');
}

/** A ChoiceSource that answers 0 (the uneventful run) except that the nth bio submitted fails. */
class FailNthBio implements ChoiceSource {
  private asked = 0;
  constructor(private readonly nth: number | null) {}
  next(_n: number, label: string): number {
    if (label !== 'submit_fails') return 0;
    this.asked++;
    return this.asked === this.nth ? 1 : 0;
  }
}

/**
 * The model's run of the case with its own commit write failing: an uneventful run finds the first
 * PREFLUSH write with data submitted during the failing sync, a second fails exactly that bio.
 */
export function modelOutcome(
  c: OracleCase,
  ops: Readonly<KernelOps>,
  quirks: WorldQuirks,
): AbortOutcome & { failed: string } {
  const scenario = caseScenario(c);
  const run = (nth: number | null) =>
    runScenario(scenario, {
      source: new FailNthBio(nth),
      faults: { ...NO_FAULTS, submitErrors: true },
      ops,
      quirks,
    });
  const probe = run(null);
  const sync = probe.syncs.find((s) => s.id === FAILING_SYNC);
  if (sync === undefined) throw new Error('the model ran no failing sync');
  const at = probe.disk.log.findIndex((b) => b.step >= sync.startStep && b.opf & REQ_PREFLUSH && b.size > 0);
  if (at < 0) throw new Error('the model wrote no commit record in the failing sync');
  const r = run(at + 1);
  const bio = r.disk.log[at];
  if (bio === undefined || !bio.submitFailed || r.disk.log.filter((b) => b.submitFailed).length !== 1)
    throw new Error('the model failed another bio than its commit record');
  const rets = new Array<number>(c.ops.length).fill(0);
  for (const q of r.requests)
    if (q.id <= c.ops.length) rets[q.id - 1] = q.completions[0]?.res ?? q.returned ?? 0;
  for (const s of r.syncs) rets[s.id - 1] = s.returned ?? 0;
  const rec = r.crash?.recovered ?? null;
  const size = rec?.size ?? -1;
  const sectors = Math.floor(Math.min(Math.max(size, 0), 12 * c.blockSize) / 512);
  return {
    rets,
    recoveredSize: size,
    recoveredContents:
      rec === null ? 'missing' : compressTokens(Array.from(rec.tags.subarray(0, sectors), tagToken)),
    failed: `bio ${at + 1} of the run: sector ${bio.sector} +${bio.size >> 9}, opf 0x${bio.opf.toString(16)}`,
  };
}

/** The kernel's outcome from the agent's record of the case and its last crash image's. */
export function kernelOutcome(
  c: OracleCase,
  rec: AgentRecord,
  recovered: readonly AgentRecord[],
): AbortOutcome {
  const rets = new Array<number>(c.ops.length).fill(0);
  for (const o of rec.ops ?? []) if (o.id !== undefined && o.id <= c.ops.length) rets[o.id - 1] = o.ret ?? 0;
  const last = recovered[recovered.length - 1];
  if (last === undefined || last.recovered !== true)
    return { rets, recoveredSize: -1, recoveredContents: last?.fatal ?? 'missing' };
  const size = last.size ?? -1;
  const tokens = (last.contents ?? '').split(' ').filter((t) => t !== '');
  return {
    rets,
    recoveredSize: size,
    recoveredContents: compressTokens(tokens.slice(0, Math.floor(Math.min(size, last.final ?? 0) / 512))),
  };
}

/** The fields on which two outcomes differ, one phrase each; empty when they agree. */
export function outcomeDifferences(model: AbortOutcome, kernel: AbortOutcome): string[] {
  const out: string[] = [];
  model.rets.forEach((m, i) => {
    const k = kernel.rets[i];
    if (m !== k) out.push(`op ${i + 1}: model ${m}, kernel ${k}`);
  });
  if (model.recoveredSize !== kernel.recoveredSize)
    out.push(`recovered size: model ${model.recoveredSize}, kernel ${kernel.recoveredSize}`);
  if (model.recoveredContents !== kernel.recoveredContents)
    out.push(`recovered contents: model ${model.recoveredContents}, kernel ${kernel.recoveredContents}`);
  return out;
}

export class JournalAbortUsageError extends Error {}

/** --release may repeat (its values add up); --cache or --json twice is a mistake. */
const JOURNAL_ABORT_OPTIONS = { values: ['release', 'cache', 'json'], repeatable: ['release'] };

export interface JournalAbortOptions {
  readonly releases: readonly ReleaseName[];
  readonly cache: string;
  readonly json: string | null;
}

const USAGE =
  'usage: npx tsx scripts/oracle/journalAbort.ts [--release R[,R...]] [--cache DIR] [--json FILE]';

export function parseJournalAbortArgs(argv: readonly string[]): JournalAbortOptions | 'help' {
  if (asksHelp(argv)) return 'help';
  const parsed = parseScriptOptions('journalAbort', argv, JOURNAL_ABORT_OPTIONS, JournalAbortUsageError);
  const cache =
    parsed.options.get('cache') ??
    process.env.DIOCHECK_ORACLE_CACHE ??
    join(homedir(), '.cache', 'diocheck', 'oracle');
  const json = parsed.options.get('json') ?? null;
  const releases: ReleaseName[] = [];
  for (const value of parsed.repeated.get('release') ?? [])
    for (const name of value.split(',')) {
      const r = releaseNamed(name.trim());
      if (r === undefined)
        throw new JournalAbortUsageError(
          `unknown release '${name}' (one of: ${RELEASES.map((x) => x.name).join(', ')})`,
        );
      if (!releases.includes(r)) releases.push(r);
    }
  return {
    releases: releases.length > 0 ? releases : ['6.12.117'],
    cache: resolve(cache),
    json: json === null ? null : resolve(json),
  };
}

/** One variant's result on one release. */
export interface VariantResult {
  readonly release: ReleaseName;
  readonly variant: Variant;
  readonly uname: string;
  /** The failed bio: its position after arming, and the probe's trace of it. */
  readonly nth: number;
  readonly bio: TracedBio;
  /** Each operation's block_bio_queue trace (rwbs and sectors): op 2's in the probe, then every op's in the failing run. */
  readonly probeBios: string;
  readonly bios: readonly string[];
  readonly injection: { count: number; frame: string | null };
  readonly kernel: AbortOutcome;
  /** Kernel messages during each operation and after them, and at the crash image's mount (log recovery). */
  readonly klog: readonly string[];
  /** The file's mtime after each operation (whether the overwrite updated it, and so started a handle). */
  readonly mtimes: readonly string[];
  readonly recoveryKlog: readonly string[];
  readonly model612: AbortOutcome & { failed: string };
  readonly modelCorrect: AbortOutcome & { failed: string };
  readonly differences612: readonly string[];
  /**
   * The overwrite changed the file's mtime and the kernel noticed the aborted journal during it: its
   * file_modified started a handle (ext4_dirty_inode), which the model, keeping no timestamps, has not.
   */
  readonly timestampHandle: boolean;
}

/**
 * Whether the overwrite's timestamp update started the handle that found the aborted journal: its
 * mtime moved, and the kernel said so during it.
 */
export function overwriteStartedHandle(placed: readonly string[], mtimes: readonly string[]): boolean {
  const mtime = (id: number) => mtimes.find((m) => m.startsWith(`op ${id} `))?.split(' ')[2];
  const before = mtime(OVERWRITE - 1);
  const after = mtime(OVERWRITE);
  return (
    before !== undefined &&
    after !== undefined &&
    before !== after &&
    placed.some((l) => l.startsWith(`op ${OVERWRITE}: `) && l.includes('Detected aborted journal'))
  );
}

/** Differences the model's lack of timestamps explains: only the overwrite's result, when its handle found the abort. */
export function explainedByTimestamps(r: VariantResult): boolean {
  return r.timestampHandle && r.differences612.every((d) => d.startsWith(`op ${OVERWRITE}: `));
}

type Klogged = AgentRecord & { klog?: string[] };

/**
 * The kernel log of a case in order, each line with where it was said: `op N` (during operation N,
 * which the agent's G line records with the file's mtime after it) or `end` (the final read, fstat
 * and FIEMAP after the operations).
 */
export function caseKlog(rec: Klogged): { all: string[]; placed: string[]; mtimes: string[] } {
  const all: string[] = [];
  const placed: string[] = [];
  const mtimes: string[] = [];
  for (const o of (rec.ops ?? []) as ReadonlyArray<{ id?: number; klog?: string[]; mtime?: string }>) {
    if (o.id === undefined) continue;
    all.push(...(o.klog ?? []));
    placed.push(...notableKlog(o.klog ?? []).map((l) => `op ${o.id}: ${l}`));
    if (o.mtime !== undefined) mtimes.push(`op ${o.id} ${o.mtime}`);
  }
  all.push(...(rec.klog ?? []));
  placed.push(...notableKlog(rec.klog ?? []).map((l) => `end: ${l}`));
  return { all, placed, mtimes };
}

async function runRelease(o: JournalAbortOptions, release: ReleaseName, say: (l: string) => void) {
  const { prepareKernel, releasePaths, runCases } = await import('./oracle.ts');
  const run = {
    o: { cache: o.cache, releases: [release], out: null, check: false, jobs: 1, limit: null, compare: false },
    release,
    paths: releasePaths(o.cache, release, 'journal-abort'),
  };
  prepareKernel(run, say);
  const cases = VARIANTS.map((v, i) => abortCase(v, i + 1));
  const variantOf = (c: OracleCase) => VARIANTS[c.id - 1] as Variant;
  // Boot 1: every variant unarmed, to find where each one's commit write falls.
  const probe = await runCases(run, cases, say, (c) => abortLines(c, variantOf(c), null));
  const results: VariantResult[] = [];
  for (const c of cases) {
    const variant = variantOf(c);
    const bios = probe.records.get(c.id)?.ops?.find((x) => x.id === FAILING_SYNC)?.bios ?? [];
    const nth = commitRecordPosition(bios);
    if (nth === null)
      throw new Error(
        `${release} ${variant}: op ${FAILING_SYNC} wrote no PREFLUSH bio: ${JSON.stringify(bios)}`,
      );
    // Boot 2: the same variant, the nth bio after arming failing.
    const shown = await runCases(run, [c], say, (x) => abortLines(x, variant, nth), ['G']);
    const rec = shown.records.get(c.id) as Klogged | undefined;
    const recovered = (shown.recovered.get(c.id) ?? []) as Klogged[];
    if (rec === undefined) throw new Error(`${release} ${variant}: the agent reported nothing`);
    const klog = caseKlog(rec);
    const injection = injected(klog.all);
    const expected = variant === 'xfs' ? /^xlog_/ : /^jbd2_journal_commit_transaction$/;
    if (injection.count !== 1 || injection.frame === null || !expected.test(injection.frame))
      throw new Error(
        `${release} ${variant}: the injected failure is not the one commit write (${injection.count} failure(s), frame ${injection.frame}); kernel log:\n${klog.placed.join('\n')}`,
      );
    const kernel = kernelOutcome(c, rec, recovered);
    const ops = KERNEL_VERSIONS[release];
    // The release setting runs 6.12's ext4 (RELEASE_WORLD); the correct model, the candidate fix.
    const model612 = modelOutcome(c, ops, {});
    const modelCorrect = modelOutcome(c, { ...ops, releaseWorld: {} }, {});
    results.push({
      release,
      variant,
      uname: shown.uname,
      nth,
      bio: bios[nth - 1] as TracedBio,
      probeBios: traceText(bios),
      bios: (rec.ops ?? [])
        .filter((x) => x.id !== undefined)
        .map((x) => `op ${x.id}: ${traceText(x.bios ?? [])}`),
      injection,
      kernel,
      klog: klog.placed,
      mtimes: klog.mtimes,
      recoveryKlog: notableKlog(recovered[recovered.length - 1]?.klog ?? []),
      model612,
      modelCorrect,
      differences612: outcomeDifferences(model612, kernel),
      timestampHandle: overwriteStartedHandle(klog.placed, klog.mtimes),
    });
  }
  return results;
}

/** A bio trace in short: `FWFSM 240+8` per bio. */
export function traceText(bios: readonly TracedBio[]): string {
  return bios.map(([sector, n, rwbs]) => `${rwbs} ${sector}+${n}`).join(', ') || 'none';
}

/** A result as report lines. */
export function describe(r: VariantResult): string[] {
  return [
    `${r.release} ${r.variant} (${r.uname}): failed bio ${r.nth} of op ${FAILING_SYNC} [${r.bio.join(' ')}], from ${r.injection.frame}`,
    `  kernel:        ops ${r.kernel.rets.join(' ')}; recovered size ${r.kernel.recoveredSize}, contents ${r.kernel.recoveredContents}`,
    `  model 6.12:    ops ${r.model612.rets.join(' ')}; recovered size ${r.model612.recoveredSize}, contents ${r.model612.recoveredContents}`,
    `  model correct: ops ${r.modelCorrect.rets.join(' ')}; recovered size ${r.modelCorrect.recoveredSize}, contents ${r.modelCorrect.recoveredContents}`,
    `  ${r.differences612.length === 0 ? 'AGREES with the model as 6.12' : `DIFFERS from the model as 6.12: ${r.differences612.join('; ')}`}${explainedByTimestamps(r) && r.differences612.length > 0 ? ' (explained: the overwrite updated the timestamps, and that handle found the aborted journal; the model keeps no timestamps)' : ''}`,
    `  the overwrite ${r.timestampHandle ? 'updated the timestamps and its handle found the aborted journal' : 'started no handle that found the aborted journal'}`,
    `  mtime after: ${r.mtimes.join(', ')}`,
    `  probe op ${FAILING_SYNC} bios: ${r.probeBios}`,
    ...r.bios.map((b) => `  bios ${b}`),
    ...r.klog.map((l) => `  klog ${l}`),
    ...r.recoveryKlog.map((l) => `  recovery klog: ${l}`),
  ];
}

async function main(): Promise<void> {
  const o = scriptArgsOrExit('journalAbort', USAGE, parseJournalAbortArgs);
  if (o === null) return;
  const say = (l: string) => process.stdout.write(`${l}\n`);
  try {
    const all: VariantResult[] = [];
    for (const release of o.releases) {
      const results = await runRelease(o, release, say);
      for (const r of results) for (const l of describe(r)) say(l);
      all.push(...results);
    }
    if (o.json !== null) writeFileSync(o.json, `${JSON.stringify(all, null, 2)}\n`);
    process.exitCode = all.every((r) => r.differences612.length === 0 || explainedByTimestamps(r)) ? 0 : 1;
  } catch (e) {
    process.stderr.write(`journalAbort: ${(e as Error).message}\n`);
    process.exitCode = 3;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
