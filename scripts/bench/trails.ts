/**
 * Counterexample lengths beside SPIN's: the peer's two planted bugs (../shared/peers/spin/
 * iomap_dio.pml BUG1, BUG2) are the catalogue's `submitter-reads-freed-dio` (4ea899ead278) and
 * `set-error-plain-store`; for each scope the peer's run.sh measures them on (BUG1 not on the sync
 * write, whose submitter never drops a non-final reference and then reads; BUG2 from two bios), SPIN's
 * breadth-first search gives the shortest trail, and the explorer's shortest walk
 * (ExploreOptions.shortest, branch and bound on the bug's invariant) the violating path with the
 * fewest kernel steps.
 *
 * Lengths are counted in kernel steps: for SPIN the trail's transitions of the submitter, bio_end_io
 * and worker that touch shared state (the peer's trailsteps.awk); for the explorer the scheduler
 * steps of the path's replay less the device's (every device step logs a bio_endio or a flush).
 *
 * The peer models the seed's protocol, so each bug is planted on the seed's functions (SEED_OPS),
 * as the peer plants it in its model of the seed. On the correct model (FIXED_OPS) the aio read's
 * trails are longer by the protocol, not by the search: 222f2c7c6d14 sends a failed read's
 * completion through s_dio_done_wq (queue_work, then the worker: 6.12.117 L185-191), where the
 * seed completes it inline in the last bio's end_io (seed L185-189); BUG1's aio read N = 2 then
 * needs 15 kernel steps where the seed needs 13 (`trailOps` takes FIXED_OPS to show it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUGS, opsFor } from '../../model/bugs/catalogue.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { SEED_OPS } from '../../model/kernel/ops.ts';
import { ReplayChoices } from '../../model/runtime/choice.ts';
import { runScenario } from '../../model/world/run.ts';
import { explore } from '../../properties/explore/engine.ts';
import { SPIN_DEFINES, type SpinMode, spinScope } from '../../properties/explore/spinScopes.ts';
import { CHECKS } from '../commands/campaign.ts';
import { ensureSpin, SPIN_MODEL } from './spin.ts';

/** The peer's summary of a replayed trail (total steps, kernel steps, switches, contexts). */
export const TRAIL_AWK = fileURLToPath(new URL('../../../shared/peers/spin/trailsteps.awk', import.meta.url));

/** The peer's planted bugs and the catalogue's bug each re-creates. */
export const PEER_BUGS = [
  { define: 'BUG1', bug: 'submitter-reads-freed-dio', modes: ['aread', 'awrite'] as const, minN: 1 },
  { define: 'BUG2', bug: 'set-error-plain-store', modes: ['sync', 'aread', 'awrite'] as const, minN: 2 },
] as const;

export interface TrailRow {
  readonly define: string;
  readonly bug: string;
  readonly mode: SpinMode;
  readonly n: number;
  /** SPIN's BFS trail in kernel steps, or null with `spinNote` saying why there is none. */
  readonly spinKernelSteps: number | null;
  readonly spinNote: string;
  /** The explorer's shortest violating path: its invariant, questions and kernel steps (null: none found). */
  readonly explorer: {
    readonly invariant: string | null;
    readonly questions: number | null;
    readonly kernelSteps: number | null;
    readonly complete: boolean;
  };
}

function sh(cmd: string, cwd: string): { ok: boolean; out: string } {
  const r = spawnSync('bash', ['-c', cmd], { cwd, encoding: 'utf8', timeout: 600_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** The second field of trailsteps.awk's line: the trail's kernel steps (null: no trail was replayed). */
export function parseTrailSteps(line: string): number | null {
  const f = line.trim().split(/\s+/);
  const k = Number(f[1]);
  return f.length >= 4 && f[0] !== '-' && Number.isInteger(k) ? k : null;
}

function spinTrail(dir: string, define: string, mode: SpinMode, n: number, opt: string): number | string {
  const defs = `-DN=${n} -D${define} ${SPIN_DEFINES[mode]}`;
  const build = sh(
    `rm -f m.pml.trail && cp ${JSON.stringify(SPIN_MODEL)} m.pml && spin -a ${defs} m.pml >/dev/null && gcc ${opt} -w -DSAFETY -DBFS -DMEMLIM=16384 -o pan pan.c`,
    dir,
  );
  if (!build.ok) return `pan did not build: ${build.out.trim().split('\n').pop() ?? ''}`;
  sh('./pan > pan.out 2>&1', dir);
  const replay = sh(
    `test -f m.pml.trail && spin -t -p ${defs} m.pml > trail.txt 2>&1; awk -f ${JSON.stringify(TRAIL_AWK)} trail.txt`,
    dir,
  );
  const k = parseTrailSteps(replay.out);
  return k === null ? 'pan found no error (no trail)' : k;
}

export function explorerTrail(
  bugName: string,
  mode: SpinMode,
  n: number,
  capS: number,
  trailOps: Readonly<KernelOps> = SEED_OPS,
): TrailRow['explorer'] {
  const bug = BUGS.find((b) => b.name === bugName);
  if (bug === undefined) return { invariant: null, questions: null, kernelSteps: null, complete: false };
  const s = spinScope(mode, n);
  const ops = opsFor(bug, trailOps);
  const r = explore({
    scenario: s.scenario,
    faults: s.faults,
    maxFaults: s.maxFaults,
    ops,
    probe: CHECKS,
    cpuLimitMs: capS * 1000,
    shortest: bug.invariant,
  });
  const found = r.violations.get(bug.invariant)?.shortest ?? null;
  if (found === null) return { invariant: null, questions: null, kernelSteps: null, complete: r.complete };
  const replay = runScenario(s.scenario, {
    source: new ReplayChoices(found.choices),
    faults: s.faults,
    probe: CHECKS,
    ops,
    tracing: true,
  });
  const deviceSteps = new Set(replay.trace.filter((e) => e.context === 'device').map((e) => e.step)).size;
  if (replay.steps - deviceSteps !== found.kernelSteps)
    throw new Error(
      `trails: ${bugName} ${mode} N=${n}: the replay ran ${replay.steps - deviceSteps} kernel steps, the walk counted ${found.kernelSteps}`,
    );
  return {
    invariant: found.invariant,
    questions: found.choices.length,
    kernelSteps: replay.steps - deviceSteps,
    complete: r.complete,
  };
}

/** Every (bug, mode, N) of `ns` the peer measures, SPIN's BFS trail beside the explorer's shortest. */
export function measureTrails(
  ns: readonly number[],
  modes: readonly SpinMode[],
  capS: number,
  opt: string,
  log: (line: string) => void,
): TrailRow[] {
  const skipped = ensureSpin(log);
  const dir = mkdtempSync(join(tmpdir(), 'diocheck-trails-'));
  const rows: TrailRow[] = [];
  try {
    for (const peer of PEER_BUGS) {
      for (const mode of peer.modes) {
        if (!modes.includes(mode)) continue;
        for (const n of ns) {
          if (n < peer.minN) continue;
          const spin = skipped === null ? spinTrail(dir, peer.define, mode, n, opt) : skipped;
          const explorer = explorerTrail(peer.bug, mode, n, capS);
          log(
            `bench: trail ${peer.define} ${mode} N=${n}: SPIN BFS ${typeof spin === 'number' ? `${spin} kernel steps` : `- (${spin})`}; explorer ${explorer.kernelSteps ?? '-'} kernel steps (${explorer.invariant ?? 'not found'})`,
          );
          rows.push({
            define: peer.define,
            bug: peer.bug,
            mode,
            n,
            spinKernelSteps: typeof spin === 'number' ? spin : null,
            spinNote: typeof spin === 'number' ? '' : spin,
            explorer,
          });
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
