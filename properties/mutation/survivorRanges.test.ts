/** properties/mutation/survivorRanges.ts: the --mutate ranges of the mutants a report left alive. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main, type MutationReport, survivorRanges } from './survivorRanges.ts';

const at = (line: number, column: number, endColumn: number) => ({
  start: { line, column },
  end: { line, column: endColumn },
});

const REPORT: MutationReport = {
  files: {
    'model/kernel/b.ts': {
      mutants: [
        { status: 'Survived', location: at(76, 11, 30) },
        { status: 'Killed', location: at(80, 1, 9) },
        // Two mutants at one place: one range.
        { status: 'NoCoverage', location: at(5, 1, 4) },
        { status: 'Survived', location: at(5, 1, 4) },
      ],
    },
    'model/kernel/a.ts': { mutants: [{ status: 'Timeout', location: at(3, 2, 5) }] },
  },
};

describe('survivorRanges', () => {
  it('gives each place of a survivor or no-coverage mutant once, its columns counted from 0', () => {
    expect(survivorRanges(REPORT)).toEqual(['model/kernel/b.ts:5:0-5:4', 'model/kernel/b.ts:76:10-76:30']);
    expect(survivorRanges({ files: {} })).toEqual([]);
  });

  it('prints them joined by commas; bad input is one line on stderr and exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'survivor-ranges-'));
    const good = join(dir, 'report.json');
    writeFileSync(good, JSON.stringify(REPORT));
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{');
    const notReport = join(dir, 'other.json');
    writeFileSync(notReport, '{"files": {"x.ts": {}}}');
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(main([good])).toBe(0);
      expect(out.mock.calls).toEqual([['model/kernel/b.ts:5:0-5:4,model/kernel/b.ts:76:10-76:30']]);
      for (const argv of [[], [good, good], [join(dir, 'missing.json')], [notJson], [notReport]]) {
        err.mockClear();
        expect(main(argv), argv.join(' ')).toBe(2);
        expect(err.mock.calls, argv.join(' ')).toHaveLength(1);
        expect(String(err.mock.calls[0]?.[0])).not.toContain('\n');
      }
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});
