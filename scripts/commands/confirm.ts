/**
 * `diocheck confirm FILE [--cache DIR] [--bug NAME]`: does the real kernel show a finding?
 *
 * The replay file (a finding of `run`) is translated into one oracle case for its kernel release
 * (properties/oracle/corpus.ts OracleCase): its operations for the guest agent, and each choice
 * that deviates from the uneventful run either expressed as something the agent can do to the real
 * kernel or named as the reason the finding is not confirmable:
 *   - a page-get fault (get_pages_fault/_at) at page k of a request's buffer: that page taken away
 *     before the call (DioOpSpec.badPage; UserBuffer.unmapPage explains why a fault from the start
 *     at the page where the model's fault begins is the same fault);
 *   - a failure of the first bio of the run (submit_fails, or bio_status EIO on the first bio to
 *     complete): fail_make_request on that bio (OracleCase.failFirstBio);
 *   - power loss after every operation returned (power_loss, power_loss_at_end, a trailing
 *     power_loss step): the oracle's dm-log-writes crash images (OracleCase.powerLoss);
 *   - anything else (an interleaving, a completion order, a bio error on another bio or of another
 *     status, a would-block, a user-copy fault, a destage, writeback or log choice, the scripted
 *     filesystem, two threads): not confirmable, named.
 * The case is then run on the model as observeModel runs it, with the invariants: it must still
 * show the finding's invariant there, or the translation lost it (not confirmable). Then the case
 * runs on the release's User-Mode Linux kernel through the oracle's own machinery
 * (scripts/oracle/oracle.ts runCases), and both observations are printed side by side.
 *
 * Verdict on the fields that carry a finding (results, data read back by origin, i_size, the final
 * read, the crash points): confirmed when the kernel agrees with the model on all of them, refuted
 * when it differs on one. Extents and bios are printed and their differences listed, but a finding
 * is about what the program sees. Exit 0 confirmed, 1 refuted, 3 not confirmable, 2 bad input.
 * Needs root and ptrace like `npm run oracle`; only translateReplay runs in CI.
 */
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { BIO_ERROR_STATUSES, BLK_STS_IOERR } from '../../model/block/bio.ts';
import { bugByName, opsFor } from '../../model/bugs/catalogue.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { type ReleaseName, RELEASES, releaseNamed } from '../../model/kernel/releases.ts';
import { type ChoiceSource, ReplayChoices, ReplayDivergence } from '../../model/runtime/choice.ts';
import type { WorldView } from '../../model/world/probe.ts';
import { runScenario } from '../../model/world/run.ts';
import type { DioOpSpec, ExtentSpec, OpSpec, Scenario } from '../../model/world/scenario.ts';
import { makeProbe } from '../../properties/invariants/registry.ts';
import {
  type Geometry,
  GEOMETRIES,
  geometryName,
  type OracleCase,
  POWER_LOSS_GEOMETRIES,
} from '../../properties/oracle/corpus.ts';
import {
  caseScenario,
  diffObservations,
  type Observation,
  observeModel,
  observeReal,
  runCaseOnModel,
} from '../../properties/oracle/observe.ts';
import {
  FS_BEHAVIOUR_FIELDS,
  readReplayFile,
  type ReplayConfirmation,
  type ReplayFile,
  writeReplayFile,
} from '../../properties/replay/replayFile.ts';
import { UsageError } from './args.ts';
import { optionSpec } from './definitions.ts';
import { parseOptions } from './options.ts';
import type { Output } from './output.ts';

export const EXIT_CONFIRMED = 0;
export const EXIT_REFUTED = 1;
export const EXIT_NOT_CONFIRMABLE = 3;

/** The id of the one case a confirmation runs. */
const CASE_ID = 1;

/** A finding as the agent can run it, or why it cannot. */
export type Translation =
  | {
      readonly kind: 'case';
      readonly release: ReleaseName;
      readonly case: OracleCase;
      /** Each deviating choice and what it became on the real kernel. */
      readonly mapped: readonly string[];
      /** Where the case differs from the recorded scenario in what the agent has no say over. */
      readonly adjusted: readonly string[];
      /** The model's violation on the case (the finding's invariant, checked). */
      readonly modelViolation: string;
    }
  | { readonly kind: 'not-confirmable'; readonly reason: string };

const notConfirmable = (reason: string): Translation => ({ kind: 'not-confirmable', reason });

/** Why a deviating choice of each label cannot be forced on the real kernel. */
const UNFORCEABLE: Readonly<Record<string, string>> = {
  schedule: 'an interleaving of contexts the agent cannot force',
  complete_which: 'a bio completion order the agent cannot force',
  submit_would_block: 'a NOWAIT bio that would block at submission, which the agent cannot make happen',
  user_copy_fault: 'a fault in a user copy the model chose after the pages were pinned',
  user_copy_fault_at: 'a fault in a user copy the model chose after the pages were pinned',
  destage: 'the device cache writing one block to media at a chosen step',
  destage_which: 'the device cache writing a chosen block to media',
  destage_before_power_loss: 'cached blocks reaching the media just before power fails',
  destage_block_before_power_loss: 'a cached block reaching the media just before power fails',
  writeback: 'page cache writeback at a chosen step',
  writeback_which: 'page cache writeback of a chosen page',
  log_commit_background: 'a background log commit at a chosen step',
  log_commit_idle: 'an idle log commit at a chosen step',
  invalidate_fails: 'a page cache invalidation that fails',
};

function unforceable(label: string): string {
  if (label.endsWith('_sectors')) return 'a torn write (a chosen number of sectors reaching the media)';
  return UNFORCEABLE[label] ?? 'a choice the oracle has no way to force';
}

/** One deviating choice of the recorded run, with what the world looked like when it was made. */
export interface Deviation {
  readonly index: number;
  readonly label: string;
  readonly n: number;
  readonly value: number;
  /** Bios submitted so far (the device's log, failed submissions included). */
  readonly submitted: number;
  /** Bios completed so far. */
  readonly completed: number;
  /** Every operation of the thread has been issued and has delivered its result. */
  readonly opsDone: boolean;
}

/** ReplayChoices that also notes each deviating choice and the world's state at it. */
class InspectingReplay implements ChoiceSource {
  readonly deviations: Deviation[] = [];
  world: WorldView | null = null;
  private index = 0;
  private readonly replay: ReplayChoices;
  constructor(
    file: ReplayFile,
    private readonly opCount: number,
  ) {
    this.replay = new ReplayChoices(file.choices);
  }
  next(n: number, label: string): number {
    const value = this.replay.next(n, label);
    const index = this.index++;
    if (value !== 0) {
      const w = this.world;
      this.deviations.push({
        index,
        label,
        n,
        value,
        submitted: w?.disk.log.length ?? 0,
        completed: w?.disk.completed ?? 0,
        opsDone: w !== null && opsDone(w, this.opCount),
      });
    }
    return value;
  }
}

/** All `count` operations issued and each one's result delivered (an aio's by ki_complete). */
function opsDone(w: WorldView, count: number): boolean {
  const issued = w.requests.length + w.syncs.length + w.fileOps.length;
  if (issued < count) return false;
  return (
    w.requests.every((r) => r.returned !== null && (r.op.async !== true || r.completions.length > 0)) &&
    w.syncs.every((s) => s.returned !== null) &&
    w.fileOps.every((f) => f.returned !== null)
  );
}

/** An exact release of the oracle, from the file's kernel; a reason when there is none. */
function releaseOf(file: ReplayFile): ReleaseName | string {
  if (file.kernel === undefined)
    return 'the file has no kernel: it records the correct model (the seed with every upstream and candidate fix), which is no released kernel';
  if (file.kernel === 'seed')
    return 'the file records the faithful seed revision 4b132aac, which is not a release the oracle builds (only the exact 6.12 releases run on a real kernel)';
  return releaseNamed(file.kernel) ?? `kernel ${file.kernel} is not an oracle release`;
}

/** Why the recorded filesystem is not one the kernel has, or null for the model XFS. */
function foreignFs(s: Scenario): string | null {
  if ((s.fs.model ?? 'xfs') === 'scripted')
    return "the scripted filesystem: its mappings are the scenario's, not a real filesystem's (spec/findings.md: which real ones could report them)";
  for (const key of FS_BEHAVIOUR_FIELDS)
    if (s.fs[key] !== undefined) return `the filesystem behaviour '${key}' is set, which XFS does not have`;
  return null;
}

/** The recorded scenario's filesystem and device as an oracle geometry, or why they are not one. */
function geometryOf(s: Scenario, powerLoss: boolean): Geometry | string {
  const list = powerLoss ? POWER_LOSS_GEOMETRIES : GEOMETRIES;
  const fs = s.fs.model === 'ext4' ? 'ext4' : 'xfs';
  const g = list.find(
    (x) => x.fs === fs && x.blockSize === s.fs.blockSize && x.sectorSize === s.device.logicalBlockSize,
  );
  if (g === undefined)
    return `the oracle has no ${powerLoss ? 'power-loss ' : ''}${fs === 'ext4' ? 'ext4' : 'XFS'} image with ${s.fs.blockSize}-byte blocks on ${s.device.logicalBlockSize}-byte sectors`;
  return g;
}

/** The layout's extents if the agent can build them (written blocks up to EOF, unwritten anywhere). */
function extentsOf(s: Scenario): readonly ExtentSpec[] | string {
  const bs = s.fs.blockSize;
  const eofBlocks = Math.ceil(s.fs.iSize / bs);
  for (const e of s.fs.extents) {
    if (e.type !== 'mapped' && e.type !== 'unwritten' && e.type !== 'hole')
      return `a ${e.type} extent at ${e.offset}, which the agent cannot build`;
    if ((e.flags ?? []).length > 0)
      return `an extent flagged ${(e.flags ?? []).join(',')} at ${e.offset}, which the agent cannot build`;
    if (e.offset % bs !== 0 || e.length % bs !== 0)
      return `an extent at ${e.offset}+${e.length} that is not whole blocks`;
    if (e.type === 'mapped' && (e.offset + e.length) / bs > eofBlocks)
      return `written blocks past EOF at ${e.offset}+${e.length}: setting the size frees them on a real filesystem`;
  }
  return s.fs.extents.filter((e) => e.type !== 'hole');
}

/**
 * The thread's operations as the agent runs them (aio reaped at once, wait steps dropped), and
 * whether a power_loss step ends it; a reason when the agent cannot run them.
 */
function opsOf(s: Scenario): { ops: OpSpec[]; powerLoss: boolean } | string {
  const threads = s.threads.filter((t) => t.length > 0);
  if (threads.length > 1)
    return `${threads.length} threads: an interleaving of concurrent system calls the agent cannot force`;
  const thread = threads[0] ?? [];
  const ops: OpSpec[] = [];
  let powerLoss = false;
  for (let i = 0; i < thread.length; i++) {
    const op = thread[i] as OpSpec;
    const next = thread[i + 1];
    if (op.kind === 'power_loss') {
      if (thread.slice(i + 1).some((x) => x.kind !== 'power_loss' && x.kind !== 'wait_async'))
        return `power loss at step ${i + 1} between operations (the oracle's power fails after the last one)`;
      powerLoss = true;
      break;
    }
    if (op.kind === 'wait_async') continue;
    if (op.kind === 'dio_read' || op.kind === 'dio_write') {
      if (op.userBacked === false)
        return `op ${ops.length + 1} reads or writes kernel pages (ITER_BVEC), not a user buffer`;
      if ((op.dioFlags ?? []).length > 0)
        return `op ${ops.length + 1} has iomap flags ${(op.dioFlags ?? []).join(',')} that only a filesystem sets`;
      if (op.doneBefore !== undefined && op.doneBefore !== 0)
        return `op ${ops.length + 1} starts with done_before, which only a filesystem's retry sets`;
      if ((op.iocbFlags ?? []).includes('caller_comp'))
        return `op ${ops.length + 1} is an io_uring request with caller completion; the agent issues aio`;
      if (op.async === true && next !== undefined && next.kind !== 'wait_async' && next.kind !== 'power_loss')
        return `async op ${ops.length + 1} is still in flight at the next operation; the agent reaps each aio before its next step`;
    }
    ops.push(op);
  }
  return { ops, powerLoss };
}

/** The recorded device and bio size limit against the case's (what the agent's devices are). */
function adjustmentsOf(s: Scenario, c: OracleCase): string[] {
  const real = caseScenario(c);
  const out: string[] = [];
  const d = s.device;
  const r = real.device;
  if (d.writeCache !== r.writeCache || d.fua !== r.fua)
    out.push(
      `device: write cache ${d.writeCache ? 'on' : 'off'}, FUA ${d.fua ? 'on' : 'off'} recorded; the kernel's has cache ${r.writeCache ? 'on' : 'off'}, FUA ${r.fua ? 'on' : 'off'}`,
    );
  if (d.dmaAlignment !== undefined || d.sectors !== undefined)
    out.push("device: the recorded DMA alignment or size is the real device's own");
  if (s.bioMaxVecs !== real.bioMaxVecs)
    out.push(
      `bios: at most ${s.bioMaxVecs} page(s) each recorded; the kernel's take ${real.bioMaxVecs} (BIO_MAX_VECS)`,
    );
  const cached = JSON.stringify(s.fs.pageCache ?? []);
  if (cached !== JSON.stringify(real.fs.pageCache ?? []))
    out.push(
      `page cache: ${cached} recorded; the case starts with ${JSON.stringify(real.fs.pageCache ?? [])}`,
    );
  return out;
}

/** What the deviating choices of a finding became on the real kernel, and those it cannot be made to take. */
export interface Classified {
  readonly mapped: string[];
  readonly refused: string[];
  readonly failFirstBio: boolean;
  readonly powerLoss: boolean;
}

/**
 * Sorts a finding's deviating choices into what the agent can do to the real kernel and what it
 * cannot (each named). Page-get faults are placed per request by translateReplay, from the page
 * where each buffer's fault begins.
 */
export function classifyDeviations(deviations: readonly Deviation[], trailingPowerLoss: boolean): Classified {
  const mapped: string[] = [];
  const refused: string[] = [];
  let failFirstBio = false;
  let powerLoss = trailingPowerLoss;
  if (powerLoss) mapped.push('a power_loss step after the last operation -> the crash images at its end');
  for (const d of deviations) {
    const at = `choice ${d.index} ${d.label}=${d.value}`;
    switch (d.label) {
      case 'get_pages_fault':
      case 'get_pages_fault_at':
        break; // Placed per request by translateReplay, from where its buffer's fault begins.
      case 'submit_fails':
        if (d.submitted === 0 && !failFirstBio) {
          failFirstBio = true;
          mapped.push(`${at}: the first bio fails at submission -> fail_make_request on it`);
        } else refused.push(`${at}: a submission failure of bio ${d.submitted + 1}, not the first`);
        break;
      case 'bio_status': {
        const status = BIO_ERROR_STATUSES[d.value - 1];
        if (status !== BLK_STS_IOERR)
          refused.push(`${at}: a bio status fail_make_request cannot give (it fails bios with EIO)`);
        else if (d.completed !== 0 || failFirstBio)
          refused.push(`${at}: an I/O error on completion ${d.completed + 1}, not on the first bio`);
        else {
          failFirstBio = true;
          mapped.push(`${at}: the first bio fails with EIO -> fail_make_request on it`);
        }
        break;
      }
      case 'power_loss':
      case 'power_loss_at_end':
        if (d.opsDone) {
          powerLoss = true;
          mapped.push(`${at}: power fails after every operation returned -> the crash images at its end`);
        } else refused.push(`${at}: power fails while an operation is still running`);
        break;
      default:
        refused.push(`${at}: ${unforceable(d.label)}`);
    }
  }
  return { mapped, refused, failFirstBio, powerLoss };
}

/**
 * Translates a finding into the oracle case that shows it on the release's real kernel, or says
 * why it cannot. `ops` is the model the finding was recorded on (the file's release, or that
 * release with a planted bug).
 */
export function translateReplay(file: ReplayFile, ops: Readonly<KernelOps>): Translation {
  const release = releaseOf(file);
  if (!RELEASES.some((r) => r.name === release)) return notConfirmable(release);
  const s = file.scenario;
  const fs = foreignFs(s);
  if (fs !== null) return notConfirmable(fs);
  const shape = opsOf(s);
  if (typeof shape === 'string') return notConfirmable(shape);
  const extents = extentsOf(s);
  if (typeof extents === 'string') return notConfirmable(extents);

  // Replay the finding and note every deviating choice with the world around it.
  const source = new InspectingReplay(file, shape.ops.length);
  let result: ReturnType<typeof runScenario>;
  try {
    result = runScenario(s, {
      source,
      faults: file.faults,
      ops,
      probe: makeProbe(),
      observe: (w) => {
        source.world = w;
      },
    });
  } catch (e) {
    if (e instanceof ReplayDivergence)
      throw new UsageError(`${e.message} (the model changed since the file was recorded)`);
    throw e;
  }
  const { mapped, refused, failFirstBio, powerLoss } = classifyDeviations(source.deviations, shape.powerLoss);
  if (refused.length > 0) return notConfirmable(refused.join('; '));
  if (result.violation?.invariant !== file.invariant)
    return notConfirmable(
      `the replay no longer shows ${file.invariant} on the model (${result.violation === null ? 'it passes' : `it shows ${result.violation.invariant}`})`,
    );

  // Each request whose buffer faulted: the page where its fault begins is taken away from the start.
  const thread = s.threads.find((t) => t.length > 0) ?? [];
  const badPages = new Map<OpSpec, number>();
  for (const q of result.requests) {
    if (!Number.isFinite(q.buf.unmappedFrom) || q.op.badPage !== undefined) continue;
    badPages.set(q.op, q.buf.unmappedFrom);
  }
  const caseOps = shape.ops.map((op, i): OpSpec => {
    const page = badPages.get(op);
    if (page === undefined) return op;
    mapped.push(
      `get_pages_fault at page ${page} of op ${i + 1}'s buffer (step ${thread.indexOf(op) + 1}) -> that page unmapped before the call`,
    );
    return { ...(op as DioOpSpec), badPage: { index: page, how: 'munmap' } };
  });
  if ([...badPages.keys()].some((op) => !shape.ops.includes(op)))
    return notConfirmable('a faulting buffer of a request the translation cannot place');

  const g = geometryOf(s, powerLoss);
  if (typeof g === 'string') return notConfirmable(g);
  const c: OracleCase = {
    id: CASE_ID,
    name: `confirm/${geometryName(g)}/${file.invariant}${failFirstBio ? '+eio' : ''}${powerLoss ? '|crash' : ''}`,
    fs: g.fs,
    blockSize: g.blockSize,
    sectorSize: g.sectorSize,
    iSize: s.fs.iSize,
    extents,
    ops: caseOps,
    failFirstBio,
    powerLoss,
  };
  const adjusted = adjustmentsOf(s, c);
  // The kernel runs the case, not the recording: it must still show the finding on the model.
  const onCase = runCaseOnModel(c, ops, makeProbe(), false);
  if (onCase.violation?.invariant !== file.invariant)
    return notConfirmable(
      `the case the agent can run does not show ${file.invariant} on the model (${onCase.violation === null ? 'it passes' : `it shows ${onCase.violation.invariant}`})${adjusted.length > 0 ? `; it differs from the recording in ${adjusted.join('; ')}` : ''}`,
    );
  return {
    kind: 'case',
    release: release as ReleaseName,
    case: c,
    mapped,
    adjusted,
    modelViolation: onCase.violation.message,
  };
}

/** The fields a finding is about: everything a program sees (not the extents or bios). */
export function carryingDifferences(model: Observation, real: Observation): string[] {
  return diffObservations(model, real).filter((d) => !d.startsWith('extents:') && !/^op \d+ bios:/.test(d));
}

/** The two observations side by side, one field a line. */
export function sideBySide(
  model: Observation,
  real: Observation,
  modelName: string,
  kernelName: string,
): string[] {
  const rows: Array<[string, string, string]> = [];
  const ids = [...new Set([...model.ops.map((o) => o.id), ...real.ops.map((o) => o.id)])].sort(
    (a, b) => a - b,
  );
  for (const id of ids) {
    const m = model.ops.find((o) => o.id === id);
    const k = real.ops.find((o) => o.id === id);
    rows.push([`op ${id} result`, String(m?.ret ?? '-'), String(k?.ret ?? '-')]);
    if (m?.data !== undefined || k?.data !== undefined)
      rows.push([`op ${id} data`, m?.data ?? '-', k?.data ?? '-']);
    rows.push([`op ${id} bios`, m?.bios ?? '', k?.bios ?? '']);
  }
  rows.push(['i_size', String(model.size), String(real.size)]);
  rows.push(['final read', String(model.final), String(real.final)]);
  rows.push(['contents', model.contents, real.contents]);
  rows.push(['extents', model.extents, real.extents]);
  if (model.points !== undefined || real.points !== undefined)
    rows.push(['crash points', (model.points ?? []).join(' ; '), (real.points ?? []).join(' ; ')]);
  const w0 = Math.max(...rows.map((r) => r[0].length), 5);
  const w1 = Math.max(...rows.map((r) => r[1].length), modelName.length);
  const line = (a: string, b: string, c: string) =>
    `  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${b === c ? '(same)' : `| ${c}`}`.trimEnd();
  return [line('', modelName, kernelName), ...rows.map(([a, b, c]) => line(a, b, c))];
}

/** The case line confirm prints before the live part: filesystem, geometry, extents, operations. */
export function describeCase(c: OracleCase): string[] {
  return [
    `case:     ${c.name}: ${c.fs === 'ext4' ? 'ext4' : 'XFS'}, ${c.blockSize}-byte blocks on ${c.sectorSize}-byte sectors, i_size ${c.iSize}`,
    `          extents ${c.extents.map((e) => `${e.type === 'mapped' ? 'W' : 'U'}@${e.offset}+${e.length}`).join(' ') || 'none'}`,
    ...c.ops.map((op, i) => `          op ${i + 1}: ${JSON.stringify(op)}`),
    `          ${c.failFirstBio ? 'the first bio fails (fail_make_request); ' : ''}${c.powerLoss ? 'power fails after the last op (dm-log-writes)' : 'then a direct read of the window'}`,
  ];
}

/** The verdict `--record` writes into the replay file, so that `run` reports it for that finding. */
function recordVerdict(
  file: string,
  replay: ReplayFile,
  verdict: ReplayConfirmation['verdict'],
  kernel: string,
  detail: string,
  now: Date,
): void {
  const confirmation: ReplayConfirmation = { verdict, kernel, date: now.toISOString().slice(0, 10), detail };
  try {
    writeReplayFile(file, { ...replay, confirmation });
  } catch (e) {
    throw new UsageError(
      `cannot record the verdict in ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** `confirm FILE [--cache DIR] [--bug NAME] [--record]`. */
export async function confirmCommand(
  argv: readonly string[],
  out: Output,
  now: Date = new Date(),
): Promise<number> {
  const [file, ...rest] = argv;
  if (file === undefined || file.startsWith('--'))
    throw new UsageError("'confirm' needs FILE, a replay file (a finding of 'run'), before its options");
  const { options, flags } = parseOptions('confirm', rest, optionSpec('confirm'));
  const record = flags.has('record');
  if (record && options.has('bug'))
    throw new UsageError("'confirm --record' records a verdict on the finding itself: not with --bug");
  let replay: ReplayFile;
  try {
    replay = readReplayFile(file);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const bugName = options.get('bug');
  const bug = bugName === undefined ? undefined : bugByName(bugName);
  if (bugName !== undefined && bug === undefined)
    throw new UsageError(`unknown planted bug '${bugName}' (model/bugs/catalogue.ts)`);
  if (bug?.quirks !== undefined)
    throw new UsageError(
      `planted bug '${bug.name}' changes the world, not the ops table; confirm plants only the latter`,
    );
  out.line(
    `confirm ${file}: ${replay.invariant}${replay.kernel === undefined ? '' : ` on ${replay.kernel}`}`,
  );
  const notConfirmable = (reason: string): number => {
    out.line(`NOT CONFIRMABLE  ${reason}`);
    if (record) recordVerdict(file, replay, 'not-confirmable', replay.kernel ?? 'none', reason, now);
    return EXIT_NOT_CONFIRMABLE;
  };
  if (replay.kernel === undefined) return notConfirmable(releaseOf(replay));
  const base = KERNEL_VERSIONS[replay.kernel];
  const ops = bug === undefined ? base : opsFor(bug, base);
  const t = translateReplay(replay, ops);
  if (t.kind === 'not-confirmable') return notConfirmable(t.reason);
  const modelName = `model ${t.release}${bug === undefined ? '' : ` + ${bug.name}`}`;
  for (const l of describeCase(t.case)) out.line(l);
  for (const m of t.mapped) out.line(`mapped:   ${m}`);
  for (const a of t.adjusted) out.line(`adjusted: ${a}`);
  out.line(`model:    ${t.modelViolation}`);

  // The live part: the oracle's machinery, in a work directory of its own.
  const cache = resolve(
    options.get('cache') ??
      process.env.DIOCHECK_ORACLE_CACHE ??
      join(homedir(), '.cache', 'diocheck', 'oracle'),
  );
  const { prepareKernel, releasePaths, runCases } = await import('../oracle/oracle.ts');
  const run = {
    o: { cache, releases: [t.release], out: null, check: false, jobs: 1, limit: null, compare: false },
    release: t.release,
    paths: releasePaths(cache, t.release, 'confirm'),
  };
  let real: Observation;
  let uname: string;
  try {
    const say = (l: string) => {
      out.line(l);
    };
    prepareKernel(run, say);
    const shown = await runCases(run, [t.case], say);
    const rec = shown.records.get(CASE_ID);
    if (rec === undefined) throw new Error('the agent reported nothing for the case');
    real = observeReal(t.case, rec, shown.recovered.get(CASE_ID));
    uname = shown.uname;
  } catch (e) {
    // Not recorded: the finding is not what failed here, the machine is.
    out.line(
      `NOT CONFIRMABLE  the oracle could not run the case: ${(e as Error).message.split('\n', 1)[0]} (it needs root, ptrace and the release's kernel: npm run oracle -- --release ${t.release})`,
    );
    return EXIT_NOT_CONFIRMABLE;
  }
  const model = observeModel(t.case, ops);
  for (const l of sideBySide(model, real, modelName, `kernel ${uname}`)) out.line(l);
  const carrying = carryingDifferences(model, real);
  const other = diffObservations(model, real).filter((d) => !carrying.includes(d));
  for (const d of other) out.line(`also differs (not what a finding is about): ${d}`);
  if (carrying.length === 0) {
    out.line(`CONFIRMED  ${uname} shows what the model shows on ${basename(file)}: ${t.modelViolation}`);
    if (record) recordVerdict(file, replay, 'confirmed', uname, t.modelViolation, now);
    return EXIT_CONFIRMED;
  }
  out.line(`REFUTED  ${uname} differs from the ${modelName}: ${carrying.join('; ')}`);
  if (record) recordVerdict(file, replay, 'refuted', uname, carrying.join('; '), now);
  return EXIT_REFUTED;
}
