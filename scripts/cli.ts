/**
 * The diocheck command line: parse, dispatch, and map every outcome to an exit status.
 *
 *   0  nothing failed (run), or the replayed case passes now (repro)
 *   1  a new finding (one not in the baseline of its kernel setting), or with --stop-at-first any
 *      violation: a finding about the modelled kernel logic
 *   2  bad input: one line on stderr starting `diocheck: `, never a stack trace
 *   3  the model itself failed (an exception that is not a finding), or a replay diverged
 * `confirm` has its own: 0 confirmed, 1 refuted, 3 not confirmable, 2 bad input.
 *
 * 130/143 `run` stopped by SIGINT/SIGTERM (scripts/commands/stop.ts), with a partial summary.
 * Run through the bin scripts/diocheck.mjs (`npx diocheck ...`), which passes signals on, or with tsx.
 */
import { type Command, parseCommandLine, UsageError } from './commands/args.ts';
import { HELP } from './commands/help.ts';
import { huntCommand } from './commands/hunt.ts';
import { type Output, processOutput } from './commands/output.ts';
import { confirmCommand } from './commands/confirm.ts';
import { diffCommand } from './commands/diff.ts';
import { explainFile } from './commands/explain.ts';
import { exploreCommand } from './commands/explore.ts';
import { exportFile } from './commands/export.ts';
import { mergeReports } from './commands/merge.ts';
import { promoteFile } from './commands/promote.ts';
import { reproFile, reproSeed } from './commands/repro.ts';
import { EXIT_MODEL_ERROR, EXIT_PASS, EXIT_USAGE, failedWrites, runCampaign } from './commands/run.ts';
import { runWorkers } from './commands/workers.ts';

function dispatch(command: Command, out: Output): number {
  switch (command.kind) {
    case 'help':
      out.line(HELP);
      return EXIT_PASS;
    case 'run':
      return runCampaign(command, out);
    case 'repro-seed':
      return reproSeed(command, out);
    case 'repro-file':
      return reproFile(command, out);
    case 'explain':
      return explainFile(command, out);
    case 'promote':
      return promoteFile(command, out);
    case 'merge':
      return mergeReports(command, out);
    case 'export':
      return exportFile(command, out);
  }
}

/** `confirm` is async (it boots a kernel): its errors become exit statuses as main's do. */
function confirmLive(argv: readonly string[], out: Output): Promise<number> {
  return confirmCommand(argv, out).catch((e: unknown) => {
    if (e instanceof UsageError) {
      out.err(`diocheck: ${e.message.split('\n', 1)[0]}`);
      return EXIT_USAGE;
    }
    out.err(`diocheck: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT_MODEL_ERROR;
  });
}

/** Runs one command line; returns the exit status (a promise for `run --workers` and `confirm`). */
function main(argv: readonly string[], out: Output = processOutput()): number | Promise<number> {
  try {
    if (argv[0] === 'hunt' && !argv.includes('--help')) return huntCommand(argv.slice(1), out);
    if (argv[0] === 'explore') return exploreCommand(argv.slice(1), out);
    if (argv[0] === 'diff' && !argv.includes('--help')) return diffCommand(argv.slice(1), out);
    if (argv[0] === 'confirm' && !argv.includes('--help')) return confirmLive(argv.slice(1), out);
    if (argv[0] === 'run' && argv.includes('--workers')) {
      return runWorkers(argv, out).catch((e: unknown) => {
        out.err(`diocheck: ${e instanceof Error ? e.message.split('\n', 1)[0] : String(e)}`);
        return e instanceof UsageError ? EXIT_USAGE : EXIT_MODEL_ERROR;
      });
    }
    return dispatch(parseCommandLine(argv), out);
  } catch (e) {
    if (e instanceof UsageError) {
      out.err(`diocheck: ${e.message.split('\n', 1)[0]}`);
      return EXIT_USAGE;
    }
    out.err(`diocheck: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT_MODEL_ERROR;
  }
}

/** A file the command could not write (--json, --junit, --annotate, ...) makes it exit 2. */
function withWrites(code: number): number {
  return failedWrites() > 0 && code < EXIT_USAGE ? EXIT_USAGE : code;
}

const status = main(process.argv.slice(2));
if (typeof status === 'number') process.exitCode = withWrites(status);
else
  void status.then((code) => {
    process.exitCode = withWrites(code);
  });
