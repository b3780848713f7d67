/**
 * Records the golden timelines again (properties/support/timelines.ts): writes each case's report to
 * properties/regressions/timelines/<name>.txt, and removes files no case names any more. Run it after
 * an intended change of the trace (new yield points or events), then review the diff and commit it:
 *   npx tsx scripts/recordTimelines.ts [DIR]
 * DIR (default the committed folder) is for tests.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTimeline, TIMELINE_CASES, TIMELINES_DIR } from '../properties/support/timelines.ts';

/** Writes every case's timeline into `dir`; returns the names written and the stale files removed. */
export function recordTimelines(dir: string): { written: string[]; removed: string[] } {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const c of TIMELINE_CASES) {
    writeFileSync(join(dir, `${c.name}.txt`), renderTimeline(c).text);
    written.push(c.name);
  }
  const names = new Set(TIMELINE_CASES.map((c) => `${c.name}.txt`));
  const removed = readdirSync(dir).filter((f) => f.endsWith('.txt') && !names.has(f));
  for (const f of removed) rmSync(join(dir, f));
  return { written, removed };
}

if (process.argv[1]?.endsWith('recordTimelines.ts')) {
  const dir = process.argv[2] ?? TIMELINES_DIR;
  const { written, removed } = recordTimelines(dir);
  console.log(
    `recorded ${written.length} timelines in ${dir}${removed.length ? `; removed ${removed.join(', ')}` : ''}`,
  );
}
