/**
 * SPIN beside the explorer: the peer's Promela model (../shared/peers/spin/iomap_dio.pml, an
 * independent model of the same reference and completion protocol) checked by SPIN's pan, and
 * `diocheck explore` on the matching scope (properties/explore/spinScopes.ts), for each mode (sync
 * write, aio read, aio write) and N = 1..4 one-page bios, bio errors and reordering, up to N faults.
 *
 * SPIN is installed from Debian's packages when it is missing (apt-get install -y spin, as root or
 * with sudo -n); when it cannot be had, or the peer model or gcc is not there, each row says why
 * and carries the explorer's figures alone. pan is built as the peer's run.sh builds it
 * (`spin -a -DN=n MODE; gcc -O2 -DSAFETY -DMEMLIM=16384`) in a temporary directory; its CPU time
 * is the child's user + system time (bash's `times`), the build excluded. The explorer's is
 * process.cpuUsage() around the walk, with a cap per scope (a capped walk is marked incomplete).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explore } from '../../properties/explore/engine.ts';
import { SPIN_DEFINES, SPIN_MODES, type SpinMode, spinScope } from '../../properties/explore/spinScopes.ts';
import { CHECKS } from '../commands/campaign.ts';
import { round } from './measure.ts';
import { measureTrails, type TrailRow } from './trails.ts';

/** The peer model, beside the checkout (as CI and this machine have it). */
export const SPIN_MODEL = fileURLToPath(new URL('../../../shared/peers/spin/iomap_dio.pml', import.meta.url));

/** Counterexample lengths are compared up to this many bios (complete walks of the buggy model). */
export const TRAIL_MAX_N = 2;

/** The issue's targets: CPU seconds for the explorer to finish N = 3 and N = 4 in every mode. */
export const SPIN_TARGET_CPU_S: Readonly<Record<number, number>> = { 3: 5, 4: 60 };

export interface PanFigures {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly errors: number;
  readonly cpuS: number;
}

export interface SpinRow {
  readonly mode: SpinMode;
  readonly n: number;
  /** pan's figures, or null with `spinNote` saying why there are none. */
  readonly spin: PanFigures | null;
  readonly spinNote: string;
  readonly explorer: {
    readonly complete: boolean;
    readonly paths: number;
    readonly states: number;
    readonly cpuS: number;
    readonly violations: readonly string[];
  };
  /** Explorer CPU over pan CPU, and explorer states over pan states (null without pan). */
  readonly cpuRatio: number | null;
  readonly statesRatio: number | null;
}

export interface SpinSection {
  readonly model: string;
  readonly spinVersion: string | null;
  /** Why SPIN did not run at all (null when it did). */
  readonly skipped: string | null;
  readonly explorerCapS: Readonly<Record<number, number>>;
  /** gcc's optimisation of pan (-O2 as the peer's run.sh; -O0 with --quick). */
  readonly panOpt: string;
  readonly rows: readonly SpinRow[];
  /** The peer's planted bugs: SPIN's BFS trail beside the explorer's shortest path (trails.ts). */
  readonly trails: readonly TrailRow[];
}

function sh(cmd: string, cwd?: string): { ok: boolean; out: string } {
  const r = spawnSync('bash', ['-c', cmd], { cwd, encoding: 'utf8', timeout: 600_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Is spin there, or can Debian's package be installed? Returns why not, or null. */
export function ensureSpin(log: (line: string) => void): string | null {
  if (!existsSync(SPIN_MODEL)) return `the peer model ${SPIN_MODEL} is not there`;
  if (!sh('command -v gcc').ok) return 'gcc is not installed (pan is a C program)';
  if (sh('command -v spin').ok) return null;
  log('bench: spin is missing; apt-get install -y spin ...');
  const sudo = process.getuid?.() === 0 ? '' : 'sudo -n ';
  const r = sh(`DEBIAN_FRONTEND=noninteractive ${sudo}apt-get install -y spin`);
  if (r.ok && sh('command -v spin').ok) return null;
  const why = r.out.trim().split('\n').pop() ?? '';
  return `spin is not installed and apt-get install -y spin failed (${why.slice(0, 120)})`;
}

/** Fields of pan's report (the same ones the peer's run.sh reads). */
export function parsePan(text: string): Omit<PanFigures, 'cpuS'> | null {
  const num = (re: RegExp): number | null => {
    const m = re.exec(text);
    return m?.[1] === undefined ? null : Number(m[1]);
  };
  const states = num(/^\s*(\d+) states, stored/m);
  const transitions = num(/^\s*(\d+) transitions \(= stored\+matched\)/m);
  const depth = num(/depth reached (\d+)/);
  const errors = num(/errors: (\d+)/);
  if (states === null || transitions === null || depth === null || errors === null) return null;
  return { states, transitions, depth, errors };
}

/** The children's user and system time from bash's `times` (its second line). */
export function parseTimes(text: string): number | null {
  const lines = text.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(last.trim());
  if (m === null) return null;
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

function runPan(dir: string, mode: SpinMode, n: number, opt: string): PanFigures | string {
  const build = sh(
    `cp ${JSON.stringify(SPIN_MODEL)} m.pml && spin -a -DN=${n} ${SPIN_DEFINES[mode]} m.pml >/dev/null && gcc ${opt} -w -DSAFETY -DMEMLIM=16384 -o pan pan.c`,
    dir,
  );
  if (!build.ok) return `pan did not build: ${build.out.trim().split('\n').pop() ?? ''}`;
  const run = sh('./pan > pan.out 2>&1; cat pan.out; times', dir);
  const figures = parsePan(run.out);
  const cpuS = parseTimes(run.out);
  if (figures === null || cpuS === null) return 'pan printed no state count';
  return { ...figures, cpuS };
}

export function measureSpin(
  ns: readonly number[],
  capS: Readonly<Record<number, number>>,
  log: (line: string) => void,
  modes: readonly SpinMode[] = SPIN_MODES,
  opt = '-O2',
): SpinSection {
  const skipped = ensureSpin(log);
  const version = skipped === null ? (sh('spin -V').out.trim().split('\n')[0] ?? null) : null;
  if (skipped !== null) log(`bench: SPIN rows skipped: ${skipped}`);
  const dir = mkdtempSync(join(tmpdir(), 'diocheck-spin-'));
  const rows: SpinRow[] = [];
  try {
    for (const n of ns) {
      for (const mode of modes) {
        let spin: PanFigures | null = null;
        let spinNote = skipped ?? '';
        if (skipped === null) {
          const r = runPan(dir, mode, n, opt);
          if (typeof r === 'string') spinNote = r;
          else spin = r;
        }
        const s = spinScope(mode, n);
        const c0 = process.cpuUsage();
        const r = explore({
          scenario: s.scenario,
          faults: s.faults,
          maxFaults: s.maxFaults,
          probe: CHECKS,
          cpuLimitMs: (capS[n] ?? 60) * 1000,
        });
        const c = process.cpuUsage(c0);
        const cpuS = (c.user + c.system) / 1e6;
        const explorer = {
          complete: r.complete,
          paths: r.paths,
          states: r.states,
          cpuS: round(cpuS, 3),
          violations: [...r.violations.keys()].sort(),
        };
        log(
          `bench: spin ${mode} N=${n}: pan ${spin === null ? `- (${spinNote})` : `${spin.states} states ${spin.cpuS} s`}; explore ${r.paths} paths ${r.states} states ${cpuS.toFixed(2)} cpu-s${r.complete ? '' : ' (capped)'}`,
        );
        rows.push({
          mode,
          n,
          spin,
          spinNote,
          explorer,
          cpuRatio: spin === null ? null : round(cpuS / Math.max(spin.cpuS, 0.001), 1),
          statesRatio: spin === null ? null : round(r.states / Math.max(spin.states, 1), 2),
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Counterexamples: complete walks of the buggy model, so only the scopes that finish in seconds.
  const trails = measureTrails(
    ns.filter((n) => n <= TRAIL_MAX_N),
    modes,
    capS[1] ?? 60,
    opt,
    log,
  );
  return { model: SPIN_MODEL, spinVersion: version, skipped, explorerCapS: capS, panOpt: opt, rows, trails };
}
