/**
 * Where the command line writes: stdout lines, stderr lines, and the progress display (a line
 * redrawn on a terminal; a `progress: ` line on stderr every few seconds otherwise).
 */
import type { CampaignTally } from './campaign.ts';

export interface Output {
  line(text: string): void;
  err(text: string): void;
  /** Rewrites the current terminal line (only called when isTTY). */
  status(text: string): void;
  readonly isTTY: boolean;
}

/**
 * A reader that went away (`diocheck help | head -1`) is not an error: the rest of the output is
 * dropped and the command ends with the status it would have had, without a stack trace.
 */
let stdoutClosed = false;
function quietOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    if (stream === process.stdout) stdoutClosed = true;
  });
}

export function processOutput(): Output {
  quietOnEpipe(process.stdout);
  quietOnEpipe(process.stderr);
  return {
    line: (text) => {
      if (!stdoutClosed) process.stdout.write(`${text}\n`);
    },
    err: (text) => {
      process.stderr.write(`${text}\n`);
    },
    status: (text) => {
      process.stdout.write(`\r\x1b[2K${text}`);
    },
    isTTY: process.stdout.isTTY === true,
  };
}

/** Shortest time between two redraws of the progress line. */
export const PROGRESS_INTERVAL_MS = 200;

/**
 * Time between two progress lines when stdout is not a terminal (a CI log, a file, a pipe):
 * DIOCHECK_PROGRESS_MS, default 5 s. Those lines go to stderr, so stdout stays the report.
 */
export function progressLogIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.DIOCHECK_PROGRESS_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : 5000;
}

/** What a progress line says: runs, rate, elapsed time and failures so far. */
export interface ProgressState {
  readonly runs: number;
  readonly failures: string;
}

/**
 * The progress of a campaign: on a terminal, one line redrawn at most every 200 ms; otherwise a
 * `progress: ` line on stderr every few seconds.
 */
export class ProgressLine {
  private readonly started = performance.now();
  private lastDraw = 0;
  private lastLog: number;
  private drawn = false;
  private readonly logInterval = progressLogIntervalMs();

  constructor(private readonly out: Output) {
    this.lastLog = this.started;
  }

  update(tally: CampaignTally): void {
    const now = performance.now();
    if (now - this.lastDraw < PROGRESS_INTERVAL_MS) return;
    this.lastDraw = now;
    let violating = 0;
    for (const n of tally.violations.values()) violating += n;
    // A triaging campaign goes on: it counts violating runs; one that stops at its first shrinks it.
    const failures = !tally.stopAtFirst
      ? `${violating + tally.modelErrors} violating run(s)`
      : tally.failed
        ? `1 failure, shrinking (${tally.shrinkRuns} runs)`
        : '0 failures';
    this.show({ runs: tally.runs, failures }, now);
  }

  /** Shows a progress state (also that of several workers added up). */
  show(state: ProgressState, now: number = performance.now()): void {
    const elapsed = (now - this.started) / 1000;
    const rate = Math.round(state.runs / Math.max(elapsed, 1e-3));
    const text = `runs ${state.runs}  ${rate} runs/s  elapsed ${elapsed.toFixed(1)} s  ${state.failures}`;
    if (this.out.isTTY) {
      this.out.status(text);
      this.drawn = true;
    } else if (now - this.lastLog >= this.logInterval) {
      this.lastLog = now;
      this.out.err(`progress: ${text}`);
    }
  }

  /** Erases the progress line before the summary is printed. */
  clear(): void {
    if (this.drawn) this.out.status('');
    this.drawn = false;
  }
}
