/**
 * Where the command line writes: stdout lines, stderr lines, and the one-line progress display
 * that only a terminal gets (no progress when stdout is a pipe or a file, so logs stay clean).
 */
import type { CampaignTally } from './campaign.ts';

export interface Output {
  line(text: string): void;
  err(text: string): void;
  /** Rewrites the current terminal line (only called when isTTY). */
  status(text: string): void;
  readonly isTTY: boolean;
}

export function processOutput(): Output {
  return {
    line: (text) => {
      process.stdout.write(`${text}\n`);
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

/** The progress line: runs, runs/s, elapsed, failures; redrawn at most every 200 ms. */
export class ProgressLine {
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly out: Output) {}

  update(tally: CampaignTally): void {
    if (!this.out.isTTY) return;
    const now = performance.now();
    if (now - this.lastDraw < PROGRESS_INTERVAL_MS) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const rate = Math.round(tally.runs / Math.max(elapsed, 1e-3));
    let violating = 0;
    for (const n of tally.violations.values()) violating += n;
    // A triaging campaign goes on: it counts violating runs; one that stops at its first shrinks it.
    const failures = !tally.stopAtFirst
      ? `${violating + tally.modelErrors} violating run(s)`
      : tally.failed
        ? `1 failure, shrinking (${tally.shrinkRuns} runs)`
        : '0 failures';
    this.out.status(`runs ${tally.runs}  ${rate} runs/s  elapsed ${elapsed.toFixed(1)} s  ${failures}`);
    this.drawn = true;
  }

  /** Erases the progress line before the summary is printed. */
  clear(): void {
    if (this.drawn) this.out.status('');
    this.drawn = false;
  }
}
