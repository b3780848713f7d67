/** `diocheck help`: the usage text; each command's forms come from definitions.ts, as its parser's options do. */
import { KERNEL_ALIASES, RELEASES } from '../../model/kernel/releases.ts';
import { type CommandName, synopsis, USAGE } from './definitions.ts';

function form(command: CommandName, i: number): string {
  return synopsis(command, USAGE[command][i] ?? '');
}

export const HELP = `diocheck: an executable model of fs/iomap/direct-io.c, checked by property campaigns

usage:
${form('run', 0)}
      Run the campaign: random scenarios, fault profiles and choice streams against the model.
      Prints 'seed S' first and a summary at the end (runs, passes, violations by invariant,
      bound hits, runs/s, seed-line coverage). Default budget: --time 60s (DIOSIM_TIER=soak: 10m).
      The campaign goes on past violations and then prints its findings, one per signature
      (invariant, seed line, context kind, filesystem, the choices that matter): how many runs
      had it, its smallest replay (a replay file under --out, default out/counterexamples/, and
      the replay commands), whether it is known, and its confirmation status; the timeline of
      each new one follows. Known findings: the 'expect: violation' replay files of the kernel
      setting under --baseline DIR (default properties/regressions, baseline/<setting>/ there).
      --max-findings N ends the campaign after N signatures; --stop-at-first ends it at the first
      violation and shrinks only that one (the campaign before triage). --json FILE also writes
      the summary, with its findings, as JSON.
      --profile: fast = the fast tier's budget; soak = the soak tier's (10m, DIOSIM_TIER=soak);
      swarm = fast, plus runs per fault class (every profile draws faults per run). Default:
      DIOSIM_TIER. --shard i/n (i from 1): only the runs whose index is i-1 mod n, so n shards
      split one campaign exactly; see 'merge'. --junit FILE: JUnit XML, a testcase per invariant.
      --coverage: every marked seed line with its hits. --annotate FILE: a copy of your
      fs/iomap/direct-io.c (or the numbered seed listing) with hit counts in the margin, written
      into the --out DIR as <name>.gcov. --workers N: the campaign over N processes (one shard
      each, the same seed), merged as 'merge' does; use every core with --workers $(nproc).
      --kernel K: run on the faithful seed revision (seed) or an exact Linux release
      (${RELEASES.map((r) => r.name).join(', ')}; ${Object.entries(KERNEL_ALIASES)
        .map(([a, r]) => `${a} = ${r}`)
        .join(', ')}) instead of the
      correct model (the seed with every upstream and candidate fix, the default); the summary
      names the exact kernel, replay files record it and the replay commands carry --kernel.
${form('diff', 0)}
      Run one campaign's scenarios (those of 'run --seed S') on two kernel settings, without
      checkers, and print the scenarios whose observable outcome differs (results, data read
      back, i_size and contents, what survives power loss), grouped by the first difference, each
      with its smallest scenario and the replay command on both sides. Default: 2000 scenarios.
      Exit 0 once printed.
${form('merge', 0)}
      Add up the --json reports of 'run --shard i/n' (one seed, one n, each shard once): runs,
      passes, violations per invariant, coverage union, guard counts. Exit as 'run' would.
${form('repro', 0)}
      Replay one fast-check counterexample exactly and print its timeline; --kernel as the
      'run --kernel' that found it (without it: the correct model).
${form('repro', 1)}
      Run the campaign from seed S until its first failure, shrink it, and print it.
${form('repro', 2)}
      Replay a replay file (exact decision log, on the kernel it records) and print its timeline.
${form('explain', 0)}
      Replay a replay file, print its timeline and its causal core: each choice that deviates
      from 0, set back to 0 alone, matters (the invariant no longer fails) or is free. --html OUT
      writes one self-contained page: swim lanes (tasks, irq, workqueue/issuer, device cache,
      media, journal) and the state after each step. Exit 0 once explained.
${form('promote', 0)}
      Copy a replay file into the regression corpus, properties/regressions/NAME.json, which
      npm test replays (expect: what the replay does now unless given).
${form('export', 0)}
      The replay file's operations as a shell script of xfs_io commands for a real kernel, with
      a header on injecting the same faults (dm-flakey/dm-error, dm-log-writes). Stdout or OUT.
${form('confirm', 0)}
      Run a finding (a replay file with a kernel release) on that release's real kernel through
      the oracle (root and ptrace, as 'npm run oracle'): a page-get fault becomes an unmapped
      buffer page, a failure of the run's first bio fail_make_request, power loss after the
      operations dm-log-writes crash images. Prints the model's outcome and the kernel's side by
      side and says CONFIRMED (exit 0), REFUTED (1) or NOT CONFIRMABLE (3, naming the choice the
      kernel cannot be made to take: an interleaving, a completion order, another bio's error...).
      --bug NAME runs the model side with that planted bug on the release. --cache: the oracle's.
      --record writes the verdict into FILE (its "confirmation"), so that 'run' reports it for the
      finding that file holds in the baseline.
${form('hunt', 0)}
      Hunt each planted bug (model/bugs/catalogue.ts) from seeds 1..K (default 20) until its first
      counterexample, at most N runs per seed (default 200): runs and ms to detection (median,
      worst), the invariant that fired, the smallest counterexample and its replay command.
      Compares with properties/bugs/hunt-history.json or --history FILE (warns when a median got
      over 2x worse; --strict fails); --record writes the new figures there. Exit 1 when a bug
      escapes or is caught by another invariant than the one it names.
${form('hunt', 1)}
      Replay one hunted run (the RUNSEED the hunt printed) and print its timeline. --out DIR (also
      on the hunt) saves each counterexample as a replay file carrying its planted bug, for repro,
      explain and export.
${form('explore', 0)}
      Walk every choice stream of a small scenario (every interleaving, every placement of up to
      K faults, with --crash every crash image) and save the shortest violating path as a replay
      file that replays on its kernel, planted bug and crash images. 'diocheck explore --help'.
  diocheck help
      This text.

durations: 500ms, 60s, 5m, 1h (a bare number is seconds). seeds: decimal integers.
exit status: 0 nothing failed or every finding is known (or the replayed case passes now), 1 a
new finding, a violation with --stop-at-first (or the replay still fails), 2 bad input, 3 the
model itself failed or a replay diverged from its recording.
signals: through the bin (npx diocheck), SIGINT or SIGTERM stops 'run' (and its --workers) with a
partial summary of the runs done, exit 130 or 143; other commands stop at once.
progress: a line redrawn on a terminal; otherwise a 'progress: ' line on stderr every 5 s
(DIOCHECK_PROGRESS_MS).
environment: DIOSIM_TIER=fast|soak picks the budgets (properties/support/budget.ts).
run as: npx diocheck <command> ... (in the repository, or anywhere after npm link or
npm install -g PATH); inside the repository also npm run diocheck -- <command> ...`;
