/** Replay files: round trip, validation messages, and exact replay with divergence detection. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReplayDivergence } from '../model/runtime/choice.ts';
import { NO_FAULTS } from '../model/runtime/faults.ts';
import type { Scenario } from '../model/world/scenario.ts';
import {
  makeReplayFile,
  modelVersion,
  parseReplayFile,
  type ReplayFile,
  readReplayFile,
  replayRun,
  writeReplayFile,
} from '../properties/replay/replayFile.ts';

const TMP = mkdtempSync(join(tmpdir(), 'diocheck-replay-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const SCENARIO: Scenario = {
  device: { logicalBlockSize: 512, fua: false, writeCache: false },
  fs: {
    model: 'scripted',
    blockSize: 4096,
    iSize: 4096,
    extents: [{ offset: 0, length: 4096, type: 'mapped', addr: 0 }],
    readEndIo: true,
  },
  bioMaxVecs: 1,
  threads: [[{ kind: 'dio_read', pos: 0, len: 4096, async: true }]],
};

const FILE: ReplayFile = makeReplayFile({
  invariant: 'CTX-01',
  scenario: SCENARIO,
  faults: { ...NO_FAULTS, bioErrors: true },
  choices: [{ label: 'bio_status', n: 5, value: 1 }],
  note: 'read end_io in interrupt context',
  kernel: 'seed',
});

/** The file with one field replaced (a path of keys and indices) or removed (undefined). */
function withField(path: ReadonlyArray<string | number>, value: unknown): string {
  const copy = JSON.parse(JSON.stringify(FILE)) as Record<string | number, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return JSON.stringify(copy);
}

function problem(text: string): string {
  try {
    parseReplayFile(text, 'x.json');
  } catch (e) {
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('the file was accepted');
}

describe('replay file', () => {
  it('records the format, version and model version', () => {
    expect(FILE.format).toBe('diocheck-replay');
    expect(FILE.version).toBe(1);
    expect(FILE.modelVersion).toBe(modelVersion());
    expect(modelVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('round-trips through write and read', () => {
    const path = join(TMP, 'deep', 'dir', 'cx.json');
    writeReplayFile(path, FILE);
    expect(readReplayFile(path)).toEqual(FILE);
  });

  it('replays exactly: the recorded violation comes back with its decision log', () => {
    const result = replayRun(FILE);
    expect(result.violation?.invariant).toBe('CTX-01');
    expect(result.choiceLog).toEqual(FILE.choices);
    expect(result.trace.length).toBeGreaterThan(0);
  });

  it('reports a model that asks a different question as a ReplayDivergence', () => {
    const diverging = { ...FILE, choices: [{ label: 'schedule', n: 2, value: 1 }] };
    expect(() => replayRun(diverging)).toThrow(ReplayDivergence);
  });

  it('names a missing file, a directory and text that is not JSON in one line', () => {
    expect(() => readReplayFile(join(TMP, 'none.json'))).toThrow(
      /^cannot read replay file .*none\.json: no such file$/,
    );
    expect(() => readReplayFile(TMP)).toThrow(/: is a directory$/);
    expect(problem('{"format": ')).toMatch(/^replay file x\.json is not JSON: /);
    writeFileSync(join(TMP, 'empty.json'), '');
    expect(() => readReplayFile(join(TMP, 'empty.json'))).toThrow(/is not JSON/);
  });

  it('names the first malformed field', () => {
    expect(problem('[]')).toBe('replay file x.json: the file must be a JSON object');
    expect(problem(withField(['format'], 'other'))).toBe(
      'replay file x.json: format must be "diocheck-replay"',
    );
    expect(problem(withField(['version'], 2))).toMatch(/version 2 is not supported/);
    expect(problem(withField(['extra'], 1))).toBe('replay file x.json: extra is not a known field');
    expect(problem(withField(['invariant'], ''))).toBe(
      'replay file x.json: invariant must be a non-empty string',
    );
    expect(problem(withField(['scenario'], undefined))).toBe(
      'replay file x.json: scenario must be a JSON object',
    );
    expect(problem(withField(['scenario', 'device', 'logicalBlockSize'], 1024))).toBe(
      'replay file x.json: scenario.device.logicalBlockSize must be one of 512, 4096',
    );
    expect(problem(withField(['scenario', 'fs', 'blockSize'], 3000))).toMatch(
      /scenario\.fs\.blockSize must be one of/,
    );
    expect(problem(withField(['scenario', 'fs', 'extents', 0, 'type'], 'cow'))).toMatch(
      /^replay file x\.json: scenario\.fs\.extents\[0\]\.type must be one of "hole"/,
    );
    expect(problem(withField(['scenario', 'threads', 0, 0, 'pos'], -1))).toBe(
      'replay file x.json: scenario.threads[0][0].pos must be an integer >= 0',
    );
    expect(problem(withField(['scenario', 'threads', 0, 0, 'iocbFlags'], ['odirect']))).toMatch(
      /scenario\.threads\[0\]\[0\]\.iocbFlags\[0\] must be one of/,
    );
    expect(problem(withField(['scenario', 'fs', 'readEndio'], true))).toBe(
      'replay file x.json: scenario.fs.readEndio is not a known field',
    );
    expect(problem(withField(['faults', 'reorder'], undefined))).toBe(
      'replay file x.json: faults.reorder must be true or false',
    );
    expect(problem(withField(['choices', 0, 'value'], 5))).toBe(
      'replay file x.json: choices[0].value must be below its arity n = 5',
    );
    expect(problem(withField(['choices', 0, 'n'], 1))).toBe(
      'replay file x.json: choices[0].n must be an integer >= 2',
    );
    expect(problem(withField(['note'], 3))).toBe('replay file x.json: note must be a string');
  });

  it('accepts the other operation kinds of a scenario', () => {
    const threads = [[{ kind: 'fsync' }, { kind: 'fdatasync' }, { kind: 'power_loss' }]];
    expect(
      parseReplayFile(withField(['scenario', 'threads'], threads), 'x.json').scenario.threads[0],
    ).toHaveLength(3);
    expect(problem(withField(['scenario', 'threads'], [[{ kind: 'fsync', pos: 0 }]]))).toBe(
      'replay file x.json: scenario.threads[0][0].pos is not a known field',
    );
    expect(problem(withField(['scenario', 'threads', 0, 0, 'kind'], 'pread'))).toMatch(
      /^replay file x\.json: scenario\.threads\[0\]\[0\]\.kind must be one of "dio_read", "dio_write", "fsync", .*"truncate"$/,
    );
  });

  it("accepts a direct I/O's bad buffer page (explore --bug and hunt --out save them), and checks it", () => {
    const badPage = { index: 1, how: 'munmap' };
    const file = parseReplayFile(withField(['scenario', 'threads', 0, 0, 'badPage'], badPage), 'x.json');
    expect(file.scenario.threads[0]?.[0]).toMatchObject({ badPage });
    expect(problem(withField(['scenario', 'threads', 0, 0, 'badPage'], { index: 1, how: 'unmap' }))).toBe(
      'replay file x.json: scenario.threads[0][0].badPage.how must be one of "munmap", "mprotect"',
    );
  });

  it('names a choice or a filesystem block that breaks a rule across fields', () => {
    const small = JSON.parse(withField(['scenario', 'fs', 'blockSize'], 1024)) as ReplayFile;
    const fourK = { ...small.scenario, device: { ...small.scenario.device, logicalBlockSize: 4096 } };
    expect(problem(JSON.stringify({ ...small, scenario: fourK }))).toBe(
      'replay file x.json: scenario.fs.blockSize must be a multiple of the logical block size',
    );
    // ext4 has no reflink: a shared extent is refused, not run through XFS's copy-on-write.
    const ext4 = JSON.parse(withField(['scenario', 'fs', 'model'], 'ext4')) as ReplayFile;
    const extent = { offset: 0, length: 4096, type: 'mapped', addr: 65536 };
    const sharedOn = (f: ReplayFile) =>
      JSON.stringify({
        ...f,
        scenario: { ...f.scenario, fs: { ...f.scenario.fs, extents: [{ ...extent, flags: ['shared'] }] } },
      });
    expect(problem(sharedOn(ext4))).toBe(
      'replay file x.json: scenario.fs.extents[0].flags must be without "shared" on ext4, which has no shared (reflinked) blocks',
    );
    expect(() => parseReplayFile(sharedOn(small), 'x.json')).not.toThrow();
    expect(problem(withField(['seed'], 1))).toBe('replay file x.json: seed is not a known field');
    expect(
      problem(withField(['confirmation'], { verdict: 'confirmed', kernel: 'k', date: '6 Dec', detail: 'd' })),
    ).toBe('replay file x.json: confirmation.date must be a date YYYY-MM-DD');
  });
});
