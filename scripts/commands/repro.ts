/**
 * `diocheck repro`: replays a counterexample and prints its timeline.
 * - `repro --seed S --path P` replays the fast-check case exactly (seed, path, endOnFailure): the
 *   same scenario, fault profile and choice stream that fast-check printed.
 * - `repro --seed S` runs the campaign from that seed until the first failure, and shrinks it.
 * - `--kernel seed|6.12.117|...` does either on that kernel version instead of the correct model, as
 *   `run --kernel` did (its printed replay commands carry the option).
 * - `repro FILE` replays a replay file with ReplayChoices, which checks every question the model
 *   asks against the recorded one, so a model that changed since stops with a divergence.
 * Exit status: 0 when the case passes now, 1 when it still fails (a violation, or a bound hit that
 * leaves it undecided), 3 when the replay diverged or the model threw.
 */
import fc from 'fast-check';
import { ReplayDivergence } from '../../model/runtime/choice.ts';
import type { RunResult } from '../../model/world/run.ts';
import { modelVersion, readReplayFile, replayRun } from '../../properties/replay/replayFile.ts';
import { currentBudget } from '../../properties/support/budget.ts';
import { type ReproFileCommand, type ReproSeedCommand, UsageError } from './args.ts';
import {
  type CampaignCase,
  CaseViolation,
  campaignProperty,
  failureOf,
  formatCaseReport,
  formatRunDetails,
  kernelOps,
  verdictLine,
} from './campaign.ts';
import type { Output } from './output.ts';
import { EXIT_MODEL_ERROR, EXIT_PASS, EXIT_VIOLATION } from './run.ts';

function exitFor(result: RunResult | null): number {
  if (result === null) return EXIT_MODEL_ERROR;
  return result.outcome === 'pass' ? EXIT_PASS : EXIT_VIOLATION;
}

/**
 * The one case at a fast-check path. A path fast-check cannot walk (a segment too many, an index
 * past the shrinks it offers) is bad input, not a failure of the model.
 */
function checkPath(
  property: ReturnType<typeof campaignProperty>,
  seed: number,
  path: string,
): fc.RunDetails<CampaignCase> {
  try {
    return fc.check(property, { seed, path, numRuns: 1, endOnFailure: true });
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('Unable to replay'))
      throw new UsageError(
        `--path ${path} is not a path of seed ${seed}'s campaign (fast-check cannot walk it)`,
      );
    throw e;
  }
}

/** `repro --seed S [--path P] [--kernel K]`. */
export function reproSeed(cmd: ReproSeedCommand, out: Output): number {
  let last: CampaignCase | null = null;
  const { kernel } = cmd;
  const property = campaignProperty(
    null,
    (value) => {
      last = value;
    },
    kernelOps(kernel),
  );
  const details =
    cmd.path === null
      ? fc.check(property, { seed: cmd.seed, numRuns: cmd.runs ?? currentBudget().campaignRuns })
      : checkPath(property, cmd.seed, cmd.path);
  const failure = failureOf(details);
  if (failure !== null) {
    out.line(formatCaseReport({ seed: cmd.seed, path: failure.path, value: failure.value, kernel }));
    return failure.error instanceof CaseViolation ? EXIT_VIOLATION : EXIT_MODEL_ERROR;
  }
  if (cmd.path === null) {
    out.line(
      `PASSES    no violation in ${details.numRuns} runs from seed ${cmd.seed}${kernel === null ? '' : ` on kernel ${kernel}`}`,
    );
    return EXIT_PASS;
  }
  const value: CampaignCase | null = last;
  if (value === null) throw new UsageError(`--path ${cmd.path} names no case for seed ${cmd.seed}`);
  out.line(formatCaseReport({ seed: cmd.seed, path: cmd.path, value, kernel }));
  return EXIT_PASS;
}

/** `repro FILE`. */
export function reproFile(cmd: ReproFileCommand, out: Output): number {
  let file: ReturnType<typeof readReplayFile>;
  try {
    file = readReplayFile(cmd.file);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  out.line(`replay ${cmd.file}`);
  const note = file.note === undefined ? '' : ` (${file.note})`;
  out.line(`recorded: ${file.invariant} with diocheck ${file.modelVersion}${note}`);
  const version = modelVersion();
  if (version !== file.modelVersion) out.line(`note:     this is diocheck ${version}`);
  let result: RunResult | null = null;
  try {
    result = replayRun(file);
  } catch (e) {
    if (e instanceof ReplayDivergence) {
      out.err(`diocheck: ${e.message} (the model changed since ${cmd.file} was recorded)`);
      return EXIT_MODEL_ERROR;
    }
    out.line(verdictLine(null, e));
    return EXIT_MODEL_ERROR;
  }
  out.line(verdictLine(result, null));
  const now = result.violation?.invariant;
  if (now !== undefined && now !== file.invariant)
    out.line(`note:     recorded as ${file.invariant}, now ${now}`);
  out.line(formatRunDetails(file.scenario, file.faults, result));
  return exitFor(result);
}
