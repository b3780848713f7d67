/**
 * scripts/bench/trampolineCopy.ts: its rewrites apply to this checkout's text (the anchors are
 * still there), leave no `yield*` in the rewritten code, and refuse text they do not know in one
 * line, so that a change to GenContext.step or Disk.submitBio stops the copy instead of measuring
 * something else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HERE } from './paired.ts';
import {
  patchContext,
  patchDisk,
  REWRITTEN_DIRS,
  rewriteDelegations,
  TrampolineCopyError,
} from './trampolineCopy.ts';

const read = (p: string): string => readFileSync(join(HERE, p), 'utf8');

describe('trampoline copy rewrites', () => {
  it('turns every delegation of model/kernel and model/fs into a yield of the callee', () => {
    let total = 0;
    for (const d of REWRITTEN_DIRS)
      for (const f of readdirSync(join(HERE, d)).filter(
        (x) => x.endsWith('.ts') && !x.endsWith('.test.ts'),
      )) {
        const r = rewriteDelegations(read(join(d, f)));
        total += r.count;
        expect(r.text).not.toMatch(/\byield\s*\*/);
      }
    expect(total).toBeGreaterThan(100);
    expect(rewriteDelegations('x = yield* f(a) + (yield *g());').text).toBe('x = yield f(a) + (yield g());');
  });

  it("replaces GenContext.step and Disk.submitBio's check of this checkout", () => {
    const ctx = patchContext(read('model/runtime/context.ts'));
    expect(ctx).toContain('#stack: KGen<unknown>[] = [];');
    expect(ctx).toContain('export function runToEnd(');
    expect(ctx).toContain('export class TaskWork extends GenContext');
    expect(ctx).not.toContain('// The condition held when this context was picked');
    const disk = patchDisk(read('model/block/disk.ts'));
    expect(disk).toContain('runToEnd(g),');
    expect(disk).not.toContain('g.next().done === true');
  });

  it('refuses text it does not know', () => {
    expect(() => patchContext('class GenContext {}')).toThrow(TrampolineCopyError);
    expect(() => patchDisk('submitBio() {}')).toThrow(TrampolineCopyError);
  });
});
