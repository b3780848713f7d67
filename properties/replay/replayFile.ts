/**
 * Replay files: one counterexample as JSON, replayable forever with ReplayChoices.
 *
 *   { "format": "diocheck-replay", "version": 1, "modelVersion": "0.1.0",
 *     "invariant": "CTX-01", "scenario": {...}, "faults": {...},
 *     "choices": [{ "label": "bio_status", "n": 5, "value": 1 }], "note": "..." }
 *
 * `choices` is the run's whole decision log: every question the model asked, with its label, its
 * arity and the answer. Replaying checks label and arity at each step, so a model that now asks a
 * different question stops with ReplayDivergence instead of silently replaying something else.
 * `invariant` is what the run violated when it was recorded (informational: the replay reports
 * what happens now). `modelVersion` is package.json's version at recording time.
 *
 * Optional, for the regression corpus (properties/regressions/): `name` (the file's name without
 * .json), `expect` ("violation": replaying it must violate `invariant`; "pass": it must pass, for
 * a case that failed before a fix) and `note`. Files without them stay valid.
 *
 * Optional `kernel` ("seed" or an exact release such as "6.12.117", model/kernel/ops.ts KERNEL_VERSIONS): replay on that kernel
 * version instead of the correct model (the seed with every upstream and candidate fix), to keep a
 * counterexample of a bug the seed has and the correct model fixed.
 *
 * Optional `bug` (a planted bug of model/bugs/catalogue.ts, planted on that kernel with its quirks)
 * and `crashImages` (power loss asked, per cached block, whether it reached media): what
 * `explore --bug`, `explore --crash` and `hunt --out` ran, so that their files replay too.
 *
 * `invariant` must be an ID of spec/invariants.md. A run that ends before it has used every
 * recorded choice is not the recorded run either: replayRun stops it as diverged.
 *
 * Reading validates the whole file; a malformed one is an Error whose message is one line naming
 * the file and the first problem (`scenario.threads[0][1].pos must be an integer >= 0`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readText } from '../support/readText.ts';
import { dirname } from 'node:path';
import type { RecordedChoice } from '../../model/runtime/choice.ts';
import { ReplayChoices, ReplayDivergence } from '../../model/runtime/choice.ts';
import { ALL_FAULTS, type FaultProfile, NO_FAULTS } from '../../model/runtime/faults.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { FIXED_OPS, KERNEL_VERSIONS, type KernelVersion } from '../../model/kernel/ops.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import { invariantById, makeProbe } from '../invariants/registry.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import type { WorldQuirks } from '../../model/world/quirks.ts';
import { bugByName, opsFor } from '../../model/bugs/catalogue.ts';

export const REPLAY_FORMAT = 'diocheck-replay';
export const REPLAY_VERSION = 1;

/** What a regression expects of a replay: the recorded invariant broken, or a pass. */
export type ReplayExpect = 'pass' | 'violation';
export const REPLAY_EXPECTS: readonly ReplayExpect[] = ['pass', 'violation'];

export interface ReplayFile {
  readonly format: typeof REPLAY_FORMAT;
  readonly version: typeof REPLAY_VERSION;
  readonly modelVersion: string;
  readonly invariant: string;
  readonly scenario: Scenario;
  readonly faults: FaultProfile;
  readonly choices: readonly RecordedChoice[];
  readonly note?: string;
  readonly name?: string;
  readonly expect?: ReplayExpect;
  readonly kernel?: KernelVersion;
  /** A planted bug (model/bugs/catalogue.ts) the run had, on the kernel above: `explore --bug`. */
  readonly bug?: string;
  /** Power loss asked, per cached block, whether it reached media (`explore --crash`). */
  readonly crashImages?: boolean;
  /** What `diocheck confirm --record` found when it ran this finding on the real kernel. */
  readonly confirmation?: ReplayConfirmation;
}

export const CONFIRMATION_VERDICTS = ['confirmed', 'refuted', 'not-confirmable'] as const;

export interface ReplayConfirmation {
  readonly verdict: (typeof CONFIRMATION_VERDICTS)[number];
  /** `uname -r` and machine of the kernel that ran it, or the release when it could not run. */
  readonly kernel: string;
  /** The day it ran, YYYY-MM-DD. */
  readonly date: string;
  /** The line `confirm` ended with. */
  readonly detail: string;
}

/** package.json's version: the model version a replay file was recorded with. */
export function modelVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

export function makeReplayFile(fields: {
  invariant: string;
  scenario: Scenario;
  faults: FaultProfile;
  choices: readonly RecordedChoice[];
  note?: string;
  name?: string;
  expect?: ReplayExpect;
  kernel?: KernelVersion;
  bug?: string;
  crashImages?: boolean;
}): ReplayFile {
  return {
    format: REPLAY_FORMAT,
    version: REPLAY_VERSION,
    modelVersion: modelVersion(),
    invariant: fields.invariant,
    scenario: fields.scenario,
    faults: fields.faults,
    choices: fields.choices.map(({ label, n, value }) => ({ label, n, value })),
    ...(fields.note === undefined ? {} : { note: fields.note }),
    ...(fields.name === undefined ? {} : { name: fields.name }),
    ...(fields.expect === undefined ? {} : { expect: fields.expect }),
    ...(fields.kernel === undefined ? {} : { kernel: fields.kernel }),
    ...(fields.bug === undefined ? {} : { bug: fields.bug }),
    ...(fields.crashImages === true ? { crashImages: true } : {}),
  };
}

/** The ops table a replay file runs on: its kernel version, or the correct model. */
export function replayOps(file: ReplayFile): Readonly<KernelOps> {
  const base = file.kernel === undefined ? FIXED_OPS : KERNEL_VERSIONS[file.kernel];
  const bug = file.bug === undefined ? undefined : bugByName(file.bug);
  return bug === undefined ? base : opsFor(bug, base);
}

/** The run options a replay file's world needs besides its choices: ops, quirks, crash images. */
export function replayWorld(file: ReplayFile): {
  ops: Readonly<KernelOps>;
  quirks?: WorldQuirks;
  crashImages?: boolean;
} {
  const quirks = file.bug === undefined ? undefined : bugByName(file.bug)?.quirks;
  return {
    ops: replayOps(file),
    ...(quirks === undefined ? {} : { quirks }),
    ...(file.crashImages === true ? { crashImages: true } : {}),
  };
}

export function writeReplayFile(path: string, file: ReplayFile): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
}

/** Reads and validates a replay file; every failure is an Error with a one-line message. */
export function readReplayFile(path: string): ReplayFile {
  return parseReplayFile(
    readText(path, 'replay file', (m) => new Error(m)),
    path,
  );
}

/** Parses and validates the text of a replay file; `source` names it in error messages. */
export function parseReplayFile(text: string, source: string): ReplayFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`replay file ${source} is not JSON: ${oneLine((e as Error).message)}`);
  }
  try {
    return validateReplayFile(json);
  } catch (e) {
    if (e instanceof ShapeError) throw new Error(`replay file ${source}: ${e.message}`);
    throw e;
  }
}

/** Replays a file exactly, with tracing (the timeline and decision log come back in the result). */
export function replayRun(file: ReplayFile): RunResult {
  const result = runScenario(file.scenario, {
    source: new ReplayChoices(file.choices),
    faults: file.faults,
    tracing: true,
    probe: makeProbe(),
    ...replayWorld(file),
  });
  // The recording is the run's whole decision log: a run that ends before using all of it is not
  // the recorded run (a changed model, or a file edited by hand).
  const asked = result.choiceLog.length;
  if (asked < file.choices.length) {
    const next = file.choices[asked] as RecordedChoice;
    throw new ReplayDivergence(
      `replay diverged at choice ${asked}: the run ended, the recording goes on with ${next.label}/${next.n} (${file.choices.length - asked} choice(s) left)`,
    );
  }
  return result;
}

/** What a replay file does when replayed: the invariant it violates, or how it ends. */
export function replaysTo(file: ReplayFile): string {
  try {
    const r = replayRun(file);
    return r.violation?.invariant ?? r.outcome;
  } catch (e) {
    return `an error (${(e as Error).message.split('\n', 1)[0]})`;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// Validation: small checkers that name the path of the first bad field.

class ShapeError extends Error {}

type Json = Record<string, unknown>;

function fail(path: string, expected: string): never {
  throw new ShapeError(`${path === '' ? 'the file' : path} must be ${expected}`);
}

function object(v: unknown, path: string, known: readonly string[]): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'a JSON object');
  for (const key of Object.keys(v)) {
    if (!known.includes(key))
      throw new ShapeError(`${path === '' ? key : `${path}.${key}`} is not a known field`);
  }
  return v as Json;
}

function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'an array');
  return v;
}

function int(v: unknown, path: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(path, `an integer >= ${min}`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'true or false');
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(path, 'a non-empty string');
  return v;
}

/** The filesystem block sizes a scenario may have (the campaign's and the oracle's). */
export const FS_BLOCK_SIZES = [512, 1024, 2048, 4096] as const;

function oneOf<T>(v: unknown, path: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) fail(path, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  return v as T;
}

function optional<T>(o: Json, key: string, path: string, check: (v: unknown, p: string) => T): void {
  if (o[key] !== undefined) check(o[key], `${path}.${key}`);
}

function listOf(v: unknown, path: string, allowed: readonly string[]): void {
  array(v, path).forEach((x, i) => {
    oneOf(x, `${path}[${i}]`, allowed);
  });
}

function validateDevice(v: unknown, path: string): void {
  const d = object(v, path, ['logicalBlockSize', 'fua', 'writeCache', 'dmaAlignment', 'sectors']);
  oneOf(d.logicalBlockSize, `${path}.logicalBlockSize`, [512, 4096]);
  bool(d.fua, `${path}.fua`);
  bool(d.writeCache, `${path}.writeCache`);
  optional(d, 'dmaAlignment', path, (x, p) => int(x, p, 0));
  optional(d, 'sectors', path, (x, p) => int(x, p, 1));
}

function validateExtent(v: unknown, path: string): void {
  const e = object(v, path, ['offset', 'length', 'type', 'flags', 'addr', 'inlineOffsetInPage']);
  int(e.offset, `${path}.offset`, 0);
  int(e.length, `${path}.length`, 1);
  oneOf(e.type, `${path}.type`, ['hole', 'delalloc', 'mapped', 'unwritten', 'inline']);
  optional(e, 'flags', path, (x, p) => listOf(x, p, ['new', 'dirty', 'shared']));
  optional(e, 'addr', path, (x, p) => int(x, p, -1));
  optional(e, 'inlineOffsetInPage', path, (x, p) => int(x, p, 0));
}

/** The filesystem behaviours a scenario may set (the scripted filesystem's; XFS and ext4 have their own). */
export const FS_BEHAVIOUR_FIELDS = [
  'endIo',
  'readEndIo',
  'endIoMaySleep',
  'fsyncErrno',
  'sizeDirtyRule',
  'bioSet',
  'submitIo',
  'submitIoDeferred',
  'notblkFrom',
] as const;

function validateFs(v: unknown, path: string, logicalBlockSize: number): void {
  const f = object(v, path, ['model', 'blockSize', 'iSize', 'extents', 'pageCache', ...FS_BEHAVIOUR_FIELDS]);
  for (const key of ['bioSet', 'submitIo', 'submitIoDeferred']) optional(f, key, path, bool);
  optional(f, 'notblkFrom', path, (x, p) => int(x, p, 0));
  optional(f, 'sizeDirtyRule', path, (x, p) => oneOf(x, p, ['in-core', 'on-disk']));
  optional(f, 'model', path, (x, p) => oneOf(x, p, ['xfs', 'ext4', 'scripted']));
  const blockSize = oneOf(f.blockSize, `${path}.blockSize`, FS_BLOCK_SIZES);
  if (blockSize < logicalBlockSize) fail(`${path}.blockSize`, 'a multiple of the logical block size');
  int(f.iSize, `${path}.iSize`, 0);
  array(f.extents, `${path}.extents`).forEach((e, i) => {
    validateExtent(e, `${path}.extents[${i}]`);
  });
  optional(f, 'pageCache', path, (x, p) => {
    array(x, p).forEach((page, i) => {
      const pg = object(page, `${p}[${i}]`, ['index', 'dirty']);
      int(pg.index, `${p}[${i}].index`, 0);
      bool(pg.dirty, `${p}[${i}].dirty`);
    });
  });
  for (const key of ['endIo', 'readEndIo', 'endIoMaySleep']) optional(f, key, path, bool);
  optional(f, 'fsyncErrno', path, (x, p) => int(x, p, 1));
}

const OTHER_OP_KINDS = ['fsync', 'fdatasync', 'power_loss', 'wait_async', 'mmap_read'];
const RANGE_OP_KINDS = ['buffered_read', 'buffered_write', 'fallocate'];

function validateOp(v: unknown, path: string): void {
  const kind = (v as Json | null)?.kind;
  if (typeof kind === 'string' && OTHER_OP_KINDS.includes(kind)) {
    object(v, path, ['kind']);
    return;
  }
  if (typeof kind === 'string' && RANGE_OP_KINDS.includes(kind)) {
    const r = object(v, path, ['kind', 'pos', 'len']);
    int(r.pos, `${path}.pos`, 0);
    int(r.len, `${path}.len`, 1);
    return;
  }
  if (kind === 'truncate') {
    const t = object(v, path, ['kind', 'size']);
    int(t.size, `${path}.size`, 0);
    return;
  }
  const o = object(v, path, [
    'kind',
    'pos',
    'len',
    'bufAddr',
    'userBacked',
    'async',
    'iocbFlags',
    'dioFlags',
    'doneBefore',
  ]);
  oneOf(o.kind, `${path}.kind`, ['dio_read', 'dio_write', ...OTHER_OP_KINDS]);
  int(o.pos, `${path}.pos`, 0);
  int(o.len, `${path}.len`, 0);
  optional(o, 'bufAddr', path, (x, p) => int(x, p, 0));
  optional(o, 'userBacked', path, bool);
  optional(o, 'async', path, bool);
  optional(o, 'iocbFlags', path, (x, p) => listOf(x, p, ['dsync', 'sync', 'nowait', 'hipri', 'caller_comp']));
  optional(o, 'dioFlags', path, (x, p) => listOf(x, p, ['force_wait', 'overwrite_only', 'partial']));
  optional(o, 'doneBefore', path, (x, p) => int(x, p, 0));
}

/** Structural check of a Scenario (the model trusts its input; a replay file is outside input). */
export function validateScenario(v: unknown, path = 'scenario'): Scenario {
  const s = object(v, path, ['device', 'fs', 'bioMaxVecs', 'threads']);
  validateDevice(s.device, `${path}.device`);
  const lbs = (s.device as Json).logicalBlockSize as number;
  validateFs(s.fs, `${path}.fs`, lbs);
  int(s.bioMaxVecs, `${path}.bioMaxVecs`, 1);
  array(s.threads, `${path}.threads`).forEach((ops, t) => {
    array(ops, `${path}.threads[${t}]`).forEach((op, i) => {
      validateOp(op, `${path}.threads[${t}][${i}]`);
    });
  });
  return v as Scenario;
}

/** Classes every profile states (those of NO_FAULTS), and every class the model knows. */
const FAULT_KEYS_REQUIRED = Object.keys(NO_FAULTS);
const FAULT_KEYS_KNOWN = Object.keys(ALL_FAULTS);

function validateFaults(v: unknown, path: string): FaultProfile {
  const f = object(v, path, FAULT_KEYS_KNOWN);
  for (const key of FAULT_KEYS_REQUIRED) bool(f[key], `${path}.${key}`);
  for (const key of FAULT_KEYS_KNOWN) optional(f, key, path, bool);
  return v as FaultProfile;
}

function validateChoices(v: unknown, path: string): RecordedChoice[] {
  return array(v, path).map((c, i) => {
    const p = `${path}[${i}]`;
    const o = object(c, p, ['label', 'n', 'value']);
    const label = str(o.label, `${p}.label`);
    const n = int(o.n, `${p}.n`, 2);
    const value = int(o.value, `${p}.value`, 0);
    if (value >= n) fail(`${p}.value`, `below its arity n = ${n}`);
    return { label, n, value };
  });
}

/** A planted bug of model/bugs/catalogue.ts. */
function knownBug(name: string): string {
  if (bugByName(name) === undefined)
    throw new ShapeError(`bug ${JSON.stringify(name)} is not a planted bug of model/bugs/catalogue.ts`);
  return name;
}

/** An invariant ID of the catalogue (spec/invariants.md): a file naming another is not ours. */
function knownInvariant(id: string): string {
  if (invariantById(id) === undefined)
    throw new ShapeError(
      `invariant ${JSON.stringify(id)} is not an invariant ID of spec/invariants.md (such as CTX-01)`,
    );
  return id;
}

function validateReplayFile(json: unknown): ReplayFile {
  const f = object(json, '', [
    'format',
    'version',
    'modelVersion',
    'invariant',
    'scenario',
    'faults',
    'choices',
    'note',
    'name',
    'expect',
    'kernel',
    'bug',
    'crashImages',
    'confirmation',
  ]);
  if (f.format !== REPLAY_FORMAT) fail('format', `"${REPLAY_FORMAT}"`);
  if (f.version !== REPLAY_VERSION) {
    throw new ShapeError(
      `version ${JSON.stringify(f.version)} is not supported (this diocheck reads ${REPLAY_VERSION})`,
    );
  }
  const file: ReplayFile = {
    format: REPLAY_FORMAT,
    version: REPLAY_VERSION,
    modelVersion: str(f.modelVersion, 'modelVersion'),
    invariant: knownInvariant(str(f.invariant, 'invariant')),
    scenario: validateScenario(f.scenario),
    faults: validateFaults(f.faults, 'faults'),
    choices: validateChoices(f.choices, 'choices'),
  };
  return {
    ...file,
    ...(f.note === undefined ? {} : { note: typeof f.note === 'string' ? f.note : fail('note', 'a string') }),
    ...(f.name === undefined ? {} : { name: str(f.name, 'name') }),
    ...(f.expect === undefined ? {} : { expect: oneOf(f.expect, 'expect', REPLAY_EXPECTS) }),
    ...(f.kernel === undefined
      ? {}
      : { kernel: oneOf(f.kernel, 'kernel', Object.keys(KERNEL_VERSIONS) as KernelVersion[]) }),
    // A file names an exact release (or `seed`); an alias such as `6.12` would change meaning with
    // the next release, so the writer resolves it and the reader refuses it.
    ...(f.bug === undefined ? {} : { bug: knownBug(str(f.bug, 'bug')) }),
    ...(f.crashImages === undefined
      ? {}
      : {
          crashImages:
            typeof f.crashImages === 'boolean' ? f.crashImages : fail('crashImages', 'true or false'),
        }),
    ...(f.confirmation === undefined ? {} : { confirmation: validateConfirmation(f.confirmation) }),
  };
}

function validateConfirmation(v: unknown): ReplayConfirmation {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('confirmation', 'an object');
  const c = v as Record<string, unknown>;
  const extra = Object.keys(c).find((k) => !['verdict', 'kernel', 'date', 'detail'].includes(k));
  if (extra !== undefined) fail(`confirmation.${extra}`, 'absent (verdict, kernel, date, detail)');
  const date = str(c.date, 'confirmation.date');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) fail('confirmation.date', 'a date YYYY-MM-DD');
  return {
    verdict: oneOf(c.verdict, 'confirmation.verdict', CONFIRMATION_VERDICTS),
    kernel: str(c.kernel, 'confirmation.kernel'),
    date,
    detail: str(c.detail, 'confirmation.detail'),
  };
}
