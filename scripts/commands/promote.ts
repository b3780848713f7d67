/**
 * `diocheck promote FILE --name NAME [--note TEXT] [--expect pass|violation] [--dir DIR]`: copies a
 * replay file into the regression corpus, properties/regressions/NAME.json, with its name, what it
 * is expected to do and a note. properties/regressions.test.ts replays every file there on the
 * correct model: `expect: "violation"` must still violate the recorded invariant (a bug the model
 * keeps on purpose, e.g. one present in the seed), `expect: "pass"` must pass (a case that failed
 * before a fix).
 *
 * Without --expect, the file records what the replay does now. An --expect that disagrees with
 * what it does now is written anyway, with a warning (a regression test written before its fix).
 * An existing NAME is never overwritten.
 *
 * Exit status: 0 written, 2 bad input (or NAME taken), 3 the replay diverged or the model threw.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReplayExpect, ReplayFile } from '../../properties/replay/replayFile.ts';
import { DEFAULT_REGRESSIONS_DIR, type PromoteCommand, UsageError } from './args.ts';
import { loadReplay, replayOrReport } from './explain.ts';
import type { Output } from './output.ts';
import { EXIT_MODEL_ERROR, EXIT_PASS } from './run.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The corpus folder: the repository's properties/regressions/ unless --dir names another. */
export function regressionsDir(dir: string): string {
  return dir === DEFAULT_REGRESSIONS_DIR ? join(REPO_ROOT, DEFAULT_REGRESSIONS_DIR) : dir;
}

/** The promoted file: the recording as it was (its confirmation too), with name, expect and note first. */
export function promoted(
  file: ReplayFile,
  name: string,
  expect: ReplayExpect,
  note: string | null,
): ReplayFile {
  const text = note ?? file.note;
  return {
    format: file.format,
    version: file.version,
    modelVersion: file.modelVersion,
    name,
    expect,
    invariant: file.invariant,
    ...(text === undefined ? {} : { note: text }),
    ...(file.kernel === undefined ? {} : { kernel: file.kernel }),
    scenario: file.scenario,
    faults: file.faults,
    choices: file.choices.map(({ label, n, value }) => ({ label, n, value })),
    // A verdict 'confirm --record' wrote stays with the finding: 'run' reports it from the baseline.
    ...(file.confirmation === undefined ? {} : { confirmation: file.confirmation }),
  };
}

export function promoteFile(cmd: PromoteCommand, out: Output): number {
  const file = loadReplay(cmd.file);
  const dir = regressionsDir(cmd.dir);
  const target = join(dir, `${cmd.name}.json`);
  if (existsSync(target))
    throw new UsageError(`${target} already exists: pick another --name or remove it first`);
  const result = replayOrReport(cmd.file, file, out);
  if (result === null) return EXIT_MODEL_ERROR;
  const now = result.violation?.invariant ?? null;
  const nowText =
    now !== null ? `violates ${now}` : result.outcome === 'bound' ? 'ends on a bound' : 'passes';
  let expect = cmd.expect;
  if (expect === null) {
    if (result.outcome === 'pass') expect = 'pass';
    else if (now === file.invariant) expect = 'violation';
    else
      throw new UsageError(
        `${cmd.file} ${nowText} now but records ${file.invariant}: say --expect pass or violation`,
      );
  }
  const agrees = expect === 'pass' ? result.outcome === 'pass' : now === file.invariant;
  if (!agrees) {
    const want = expect === 'pass' ? 'a pass' : `a violation of ${file.invariant}`;
    out.err(
      `diocheck: warning: ${cmd.name} ${nowText} now, not ${want}: properties/regressions.test.ts fails until it does`,
    );
  }
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(target, `${JSON.stringify(promoted(file, cmd.name, expect, cmd.note), null, 2)}\n`, {
      flag: 'wx',
    });
  } catch (e) {
    throw new UsageError(`cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const shown = relative(process.cwd(), target) || target;
  out.line(`promoted ${cmd.file} to ${shown}: expect ${expect} (it ${nowText} now)`);
  out.line('check:    npx vitest run properties/regressions.test.ts');
  return EXIT_PASS;
}
