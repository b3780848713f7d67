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
 * Reading validates the whole file through its one schema, scripts/schema/replayFile.ts (published
 * as spec/schema/replay-file.schema.json); a malformed file is an Error whose message is one line
 * naming the file and the first problem (`scenario.threads[0][1].pos must be an integer >= 0`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readText } from '../support/readText.ts';
import { dirname } from 'node:path';
import type { RecordedChoice } from '../../model/runtime/choice.ts';
import { ReplayChoices, ReplayDivergence } from '../../model/runtime/choice.ts';
import type { FaultProfile } from '../../model/runtime/faults.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { FIXED_OPS, KERNEL_VERSIONS, type KernelVersion } from '../../model/kernel/ops.ts';
import { type RunResult, runScenario } from '../../model/world/run.ts';
import { makeProbe } from '../invariants/registry.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import type { WorldQuirks } from '../../model/world/quirks.ts';
import { bugByName, opsFor } from '../../model/bugs/catalogue.ts';
import {
  type CONFIRMATION_VERDICTS,
  checkReplayFile,
  checkScenario,
  REPLAY_FORMAT,
  REPLAY_VERSION,
  type ReplayExpect,
  ShapeError,
} from '../../scripts/schema/replayFile.ts';

export {
  CONFIRMATION_VERDICTS,
  FS_BEHAVIOUR_FIELDS,
  FS_BLOCK_SIZES,
  REPLAY_EXPECTS,
  REPLAY_FORMAT,
  REPLAY_VERSION,
  type ReplayExpect,
} from '../../scripts/schema/replayFile.ts';

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
    return checkReplayFile(json);
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

/** Structural check of a Scenario (the model trusts its input; a replay file is outside input). */
export function validateScenario(v: unknown, path = 'scenario'): Scenario {
  return checkScenario(v, path);
}
