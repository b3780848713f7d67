/**
 * Test support for commands run in-process: an Output that keeps what was printed, and a `run`
 * command with every option at its default (tests override what they exercise).
 */
import type { RunCommand } from './commands/args.ts';
import type { Output } from './commands/output.ts';

export interface Captured extends Output {
  readonly lines: string[];
  readonly errs: string[];
  text(): string;
}

export function capture(): Captured {
  const lines: string[] = [];
  const errs: string[] = [];
  return {
    lines,
    errs,
    isTTY: false,
    line: (t) => {
      lines.push(t);
    },
    err: (t) => {
      errs.push(t);
    },
    status: () => {},
    text: () => lines.join('\n'),
  };
}

/** `run --runs 30 --seed 11 --out OUT` on the correct model, with the repository's baseline. */
export function runCmd(out: string, over: Partial<RunCommand> = {}): RunCommand {
  return {
    kind: 'run',
    runs: 30,
    timeMs: null,
    seed: 11,
    json: null,
    out,
    profile: null,
    shard: null,
    junit: null,
    coverage: false,
    annotate: null,
    kernel: null,
    stopAtFirst: false,
    maxFindings: null,
    baseline: 'properties/regressions',
    ...over,
  };
}
