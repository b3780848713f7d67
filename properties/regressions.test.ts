/**
 * The regression corpus: every replay file under properties/regressions/ (and baseline/<setting>/,
 * the known findings `diocheck run` compares its findings with) replays exactly on the kernel it
 * names (the correct model, FIXED_OPS, without one), every checker on, and does what it says it does: `expect: "violation"`
 * violates the invariant the file records, `expect: "pass"` passes (a file without `expect` is a
 * counterexample, so it must violate). `diocheck promote FILE --name NAME` adds files; the folder's
 * README.md says what each field means and what to do when one fails.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ReplayDivergence } from '../model/runtime/choice.ts';
import type { RunResult } from '../model/world/run.ts';
import { readReplayFile, replayRun } from './replay/replayFile.ts';

const DIR = fileURLToPath(new URL('./regressions/', import.meta.url));
/** Every replay file, the known findings of each kernel setting (baseline/<setting>/) included. */
const FILES = readdirSync(DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort();

function outcome(r: RunResult): string {
  if (r.violation !== null) return `violates ${r.violation.message}`;
  if (r.bound !== null) return `ends on a bound: ${r.bound.message}`;
  return 'passes';
}

describe('regression corpus (properties/regressions/)', () => {
  it('holds the promoted regressions, each a valid replay file named as its file', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(4);
    for (const f of FILES) {
      const file = readReplayFile(join(DIR, f));
      expect(file.name, f).toBe(basename(f, '.json'));
      expect(file.expect, f).toBeDefined();
      expect(file.note, f).toBeDefined();
    }
  });

  for (const f of FILES) {
    it(f, () => {
      const path = join(DIR, f);
      const file = readReplayFile(path);
      const want = file.expect ?? 'violation';
      const replay = `npx diocheck repro properties/regressions/${f}`;
      let r: RunResult;
      try {
        r = replayRun(file);
      } catch (e) {
        if (e instanceof ReplayDivergence) {
          expect.fail(
            `${e.message}: the model asks other questions than when ${f} was recorded; record the scenario again ` +
              'with the current model (its decision log) and promote it anew',
          );
        }
        throw e;
      }
      const what = `${f} ${outcome(r)}; expected ${want === 'pass' ? 'a pass' : `a violation of ${file.invariant}`} (${replay})`;
      if (want === 'violation') expect(r.violation?.invariant ?? null, what).toBe(file.invariant);
      else expect(r.outcome, what).toBe('pass');
    });
  }
});
