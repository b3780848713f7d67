/** `diocheck help`: the usage text. */

export const HELP = `diocheck: an executable model of fs/iomap/direct-io.c, checked by property campaigns

usage:
  diocheck run [--runs N | --time 60s] [--seed S] [--json FILE] [--out DIR]
      Run the campaign: random scenarios, fault profiles and choice streams against the model.
      Prints 'seed S' first and a summary at the end (runs, passes, violations by invariant,
      bound hits, runs/s, seed-line coverage). Default budget: --time 60s (DIOSIM_TIER=soak: 10m).
      On a violation: the replay commands, a replay file under --out (default
      out/counterexamples/) and the timeline. --json FILE also writes the summary as JSON.
  diocheck repro --seed S --path P
      Replay one fast-check counterexample exactly and print its timeline.
  diocheck repro --seed S [--runs N]
      Run the campaign from seed S until its first failure, shrink it, and print it.
  diocheck repro FILE
      Replay a replay file (exact decision log) and print its timeline.
  diocheck help
      This text.

durations: 500ms, 60s, 5m, 1h (a bare number is seconds). seeds: decimal integers.
exit status: 0 nothing failed (or the replayed case passes now), 1 a violation (or the replay
still fails), 2 bad input, 3 the model itself failed or a replay diverged from its recording.
environment: DIOSIM_TIER=fast|soak picks the budgets (properties/support/budget.ts).
through npm: npm run diocheck -- <command> ...   (npm run campaign is 'diocheck run')`;
