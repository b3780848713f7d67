/**
 * Test support for the command line: spawn `node --import tsx scripts/cli.ts ...` from the
 * repository root and collect the exit status and output; run several at a time.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Spawned {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Spawned> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/cli.ts', ...args],
      { cwd: ROOT, env: { ...process.env, DIOSIM_TIER: 'fast', NO_COLOR: '1', ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the command lines `parallel` at a time (the machine has two cores). */
export async function spawnCliAll(
  list: ReadonlyArray<readonly string[]>,
  run: (args: readonly string[]) => Promise<Spawned> = spawnCli,
  parallel = 3,
): Promise<Spawned[]> {
  const results: Spawned[] = new Array(list.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < list.length) {
      const i = next++;
      results[i] = await run(list[i] ?? []);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}
