/** scripts/oracle/pollTags.ts without a kernel: its cases, agent lines, record reading and the model's side. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import type { OracleCase } from '../../properties/oracle/corpus.ts';
import type { AgentRecord } from '../../properties/oracle/observe.ts';
import { caseLines } from './agentCorpus.ts';
import {
  formatRow,
  modelPair,
  parseTagsArgs,
  readPair,
  SHALLOW_DEVICE,
  TagsUsageError,
  tagCase,
  tagLines,
  VARIANTS,
} from './pollTags.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const cases = VARIANTS.map((v, i) => tagCase(v, i + 1));
const at = (i: number): OracleCase => cases[i] as OracleCase;

describe('pollTags cases', () => {
  it('are two 4 KiB reads through the ring (or one of 8 KiB) on the shallow null_blk disk', () => {
    expect(cases.map((c) => c.ops.length)).toEqual([2, 2, 2, 1, 1]);
    expect(tagLines(at(0), true)).toEqual([
      `N ${SHALLOW_DEVICE} 3 16 1`,
      `S 1 ${SHALLOW_DEVICE} xfs 4096`,
      'M 0 32768 32768',
      'Z 32768',
      'Q',
      // RWF_HIPRI alone, then RWF_HIPRI | RWF_NOWAIT.
      'Y 1 0 4096 1 16384 4096 9',
      'E 32768',
    ]);
    expect(tagLines(at(3), false)).toEqual([
      `S 4 ${SHALLOW_DEVICE} xfs 4096`,
      'M 0 32768 32768',
      'Z 32768',
      'Q',
      'O 1 dio_read 0 8192 0 9 2',
      'E 32768',
    ]);
    expect(tagLines(at(4), false)).toEqual([
      `S 5 ${SHALLOW_DEVICE} xfs 4096`,
      'M 0 8192 32768',
      'M 24576 8192 32768',
      'Z 32768',
      'U 16384 8192',
      'Q',
      'O 1 dio_read 0 32768 0 9 2',
      'E 32768',
    ]);
    // The single read's line is the corpus's own for the same op.
    expect(caseLines({ ...at(3), poll: true })).toContain('O 1 dio_read 0 8192 0 9 2');
  });

  it('reads both results, the submission time and the polled count from a record', () => {
    const c = at(0);
    const rec = { id: 1, setup: true, ops: [{ id: 1, ret: -110, ret2: 4096, polled: 1, submitMs: 6050.2 }] };
    expect(readPair(c, rec as AgentRecord)).toEqual({ results: [-110, 4096], submitMs: 6050.2, polled: 1 });
    expect(() => readPair(c, undefined)).toThrow(/has no result/);
    expect(() => readPair(c, { id: 1, fatal: 'null_blk nullb17: No such device' })).toThrow(/nullb17/);
  });

  it('runs the model with one tag on its poll queue: 6.12.107 refuses the second NOWAIT bio, 6.12.111 has no tag wait', () => {
    const v107 = KERNEL_VERSIONS['6.12.107'];
    const v111 = KERNEL_VERSIONS['6.12.111'];
    expect(cases.map((c) => modelPair(c, v107).results)).toEqual([
      [4096, -11],
      [4096, -11],
      [4096, 4096],
      [8192],
      [32768],
    ]);
    expect(cases.map((c) => modelPair(c, v111).results)).toEqual([
      [4096, 4096],
      [4096, 4096],
      [4096, 4096],
      [8192],
      [32768],
    ]);
  });

  it('prints a row with both sides, and marks a difference', () => {
    const row = {
      release: '6.12.118' as const,
      variant: 'pair: NOWAIT, then NOWAIT',
      kernel: { results: [-110, 4096], submitMs: 6392.04 },
      model: { results: [4096, 4096] },
      agree: false,
    };
    expect(formatRow(row)).toBe(
      '6.12.118 pair: NOWAIT, then NOWAIT: kernel -110 4096 (6392.0 ms to submit), model 4096 4096  DIFFERS',
    );
  });

  it('takes releases, a cache and a JSON file, and answers bad input with one line and exit 2', () => {
    const o = parseTagsArgs(['--release', '6.12.107,6.12.118', '--cache', '/tmp/c', '--json', '/tmp/j.json']);
    expect(o).toEqual({ releases: ['6.12.107', '6.12.118'], cache: '/tmp/c', json: '/tmp/j.json' });
    expect(parseTagsArgs(['--help'])).toBe('help');
    expect(() => parseTagsArgs(['--release', '6.12.1'])).toThrow(TagsUsageError);
    const r = spawnSync('npx', ['tsx', join(HERE, 'pollTags.ts'), '--release', 'nope'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^pollTags: unknown release 'nope'/)]);
  });
});
