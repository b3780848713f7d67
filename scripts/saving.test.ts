/**
 * What explore and hunt save replays to what they found: `explore --bug` files carry the planted
 * bug, `explore --crash` files the crash images, explore on a replay file its kernel, and
 * `hunt --out DIR` saves each bug's smallest counterexample as a replay file that repro, explain
 * and export read. Each saved file is read back and replayed here.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readReplayFile, replaysTo } from '../properties/replay/replayFile.ts';
import { capture } from './commandFixtures.ts';
import { explainFile } from './commands/explain.ts';
import { exploreCommand } from './commands/explore.ts';
import { exportFile } from './commands/export.ts';
import { huntCommand } from './commands/hunt.ts';

const TMP = mkdtempSync(join(tmpdir(), 'diocheck-saving-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

function savedBy(args: readonly string[], dir: string): string[] {
  const out = capture();
  const code = exploreCommand([...args, '--out', dir], out);
  expect(code, out.errs.join('\n')).toBe(1);
  expect(out.errs.filter((l) => l.includes('warning'))).toEqual([]);
  return readdirSync(dir).map((f) => join(dir, f));
}

describe('saved counterexamples replay to what was found', () => {
  it.each([
    ['bio-put-twice-on-error', [], 'LIFE-02'],
    ['dsync-fua-into-unwritten', [], 'DUR-01'],
    ['emulated-fua-without-postflush', [], 'DUR-01'],
    ['fsync-without-flush', ['--crash'], 'DUR-02'],
  ] as const)('explore --bug %s %j: the file carries the bug and replays to %s', (bug, extra, invariant) => {
    const dir = join(TMP, `explore-${bug}`);
    const files = savedBy(['--bug', bug, ...extra], dir);
    expect(files).toHaveLength(1);
    const file = readReplayFile(files[0] as string);
    expect(file.bug).toBe(bug);
    expect(file.invariant).toBe(invariant);
    expect(file.crashImages === true).toBe(extra.length > 0);
    expect(replaysTo(file)).toBe(invariant);
    // Without its crash images a crash path is another run: the field is what makes it replay.
    if (file.crashImages === true)
      expect(replaysTo({ ...file, crashImages: false })).toMatch(/^an error \(replay diverged/);
    // Without its bug the correct model does not fail the same way.
    expect(replaysTo({ ...file, bug: undefined } as typeof file)).not.toBe(invariant);
  });

  it('hunt --out DIR saves each smallest counterexample; repro, explain and export read it', () => {
    const dir = join(TMP, 'hunt');
    const out = capture();
    expect(huntCommand(['--bug', 'set-error-plain-store', '--seeds', '2', '--out', dir], out)).toBe(0);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const path = join(dir, files[0] as string);
    expect(out.text()).toContain(`npx diocheck repro ${path}`);
    const file = readReplayFile(path);
    expect(file).toMatchObject({ bug: 'set-error-plain-store', invariant: 'ERR-01' });
    expect(replaysTo(file)).toBe('ERR-01');
    const explained = capture();
    expect(explainFile({ kind: 'explain', file: path, html: null }, explained)).toBe(0);
    expect(explained.text()).toMatch(/^VIOLATED {2}ERR-01 /m);
    const exported = capture();
    expect(exportFile({ kind: 'export', format: 'xfs-io', file: path, out: null }, exported)).toBe(0);
    expect(exported.text()).toMatch(/^#!\/bin\/sh\n/);
  });

  it('hunt --replay RUNSEED --out DIR saves that run', () => {
    const dir = join(TMP, 'hunt-replay');
    const out = capture();
    const code = huntCommand(
      ['--bug', 'set-error-plain-store', '--replay', 'set-error-plain-store:1:20', '--out', dir],
      out,
    );
    expect(code).toBe(1);
    const files = readdirSync(dir);
    expect(files).toEqual(['hunt-set-error-plain-store-1-20-ERR-01.json']);
    expect(replaysTo(readReplayFile(join(dir, files[0] as string)))).toBe('ERR-01');
  });
});
