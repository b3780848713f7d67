/**
 * Golden timelines (properties/support/timelines.ts): each canonical run's whole report must be the
 * committed text under properties/regressions/timelines/. A failure shows the changed lines; if the
 * change is intended, record them again (the command is in the message) and commit the diff.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  lineDiff,
  RECORD_COMMAND,
  readTimeline,
  renderTimeline,
  TIMELINE_CASES,
  TIMELINES_DIR,
} from './support/timelines.ts';

describe('golden timelines (properties/regressions/timelines/)', () => {
  it('has one file per case and no other', () => {
    const files = readdirSync(TIMELINES_DIR)
      .filter((f) => f.endsWith('.txt'))
      .sort();
    expect(files).toEqual(TIMELINE_CASES.map((c) => `${c.name}.txt`).sort());
    expect(TIMELINE_CASES.length).toBeGreaterThanOrEqual(5);
  });

  for (const c of TIMELINE_CASES) {
    it(`${c.name}: ${c.what}`, () => {
      const committed = readTimeline(c.name);
      const now = renderTimeline(c).text;
      if (committed !== now) {
        const why =
          committed === null
            ? `no committed timeline for ${c.name}`
            : `the timeline of ${c.name} changed (- committed, + now):\n${lineDiff(committed, now)}`;
        expect.fail(`${why}\nIf the change is intended: ${RECORD_COMMAND}, review the diff, commit it.`);
      }
    });
  }

  it('shows a readable diff: changed and inserted lines, not every line after them', () => {
    expect(lineDiff('a\nb\nc\nd', 'a\nB\nc\nx\nd')).toBe('-   2 b\n+   2 B\n+   4 x');
    expect(lineDiff('a\nb', 'a\nb')).toBe('');
    const many = Array.from({ length: 50 }, (_, i) => `l${i}`);
    expect(lineDiff('', many.join('\n'), 3).split('\n')).toHaveLength(4);
  });
});
