import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TIMELINE_CASES } from '../properties/support/timelines.ts';
import { recordTimelines } from './recordTimelines.ts';

describe('scripts/recordTimelines.ts', () => {
  it('writes one file per case, each the text the golden test compares, and removes stale ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'timelines-'));
    writeFileSync(join(dir, 'gone-case.txt'), 'old\n');
    const { written, removed } = recordTimelines(dir);
    expect(written).toEqual(TIMELINE_CASES.map((c) => c.name));
    expect(removed).toEqual(['gone-case.txt']);
    expect(readdirSync(dir).sort()).toEqual(TIMELINE_CASES.map((c) => `${c.name}.txt`).sort());
    const text = readFileSync(join(dir, 'sync-write-xfs.txt'), 'utf8');
    expect(text.startsWith('# sync-write-xfs: ')).toBe(true);
    expect(text).toContain('iomap_dio_complete');
  });
});
