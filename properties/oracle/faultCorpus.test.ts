/**
 * The oracle corpus's faulting buffers and request edges (corpus.ts addFaultCases, addEdgeCases),
 * the agent lines that take a buffer page away (scripts/oracle/agentCorpus.ts), and the model's
 * deterministic bad page (DioOpSpec.badPage, UserBuffer.unmapPage) that those cases run on.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateCorpus, type OracleCase } from './corpus.ts';
import { goldenPath, goldenReleases, readGolden } from './golden.ts';
import { observeModel, observeReal } from './observe.ts';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { caseLines } from '../../scripts/oracle/agentCorpus.ts';
import { EFAULT } from '../../model/kernel/flags.ts';
import { TAG_UNTOUCHED, TAG_ZERO, userTag } from '../../model/mm/tags.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { ScenarioError } from '../../model/world/buildXfs.ts';
import { runScenario } from '../../model/world/run.ts';
import type { DioOpSpec, Scenario } from '../../model/world/scenario.ts';

const corpus = generateCorpus();
const badOp = (c: OracleCase): DioOpSpec | undefined =>
  c.ops.find((o): o is DioOpSpec => 'badPage' in o && o.badPage !== undefined);
/** Pages a request's buffer lies in, from the page of its first byte. */
const spanned = (op: DioOpSpec) =>
  Math.floor((((op.bufAddr ?? 0x10000) & 4095) + Math.max(1, op.len) - 1) / 4096) + 1;

describe('the corpus with faulting buffers', () => {
  it('keeps the 2,399 cases the first golden file was recorded on, ids and all', () => {
    const text = corpus
      .slice(0, 2399)
      .map((c) => JSON.stringify(c))
      .join('\n');
    expect(createHash('sha256').update(text).digest('hex')).toBe(
      'b691ed90aab3fd02f55ad571f4b3c062dae49093fe25c56a2f1bf6b3b9fd16ee',
    );
    expect(corpus.map((c) => c.id)).toEqual(corpus.map((_, i) => i + 1));
    expect(generateCorpus()).toEqual(corpus);
  });

  it('has at least 3,000 cases, at least 400 of them with a page of a request buffer taken away', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(3000);
    const faulting = corpus.filter((c) => badOp(c) !== undefined);
    expect(faulting.length).toBeGreaterThanOrEqual(400);
    for (const c of faulting) {
      const op = badOp(c) as DioOpSpec;
      expect(op.badPage?.index, c.name).toBeLessThan(spanned(op));
    }
    // Reads and writes, sync and aio, munmap and mprotect, on every geometry.
    const has = (f: (op: DioOpSpec, c: OracleCase) => boolean) =>
      faulting.some((c) => f(badOp(c) as DioOpSpec, c));
    expect(has((op) => op.kind === 'dio_read' && op.async === true)).toBe(true);
    expect(has((op) => op.kind === 'dio_write' && op.async !== true)).toBe(true);
    expect(has((op) => op.badPage?.how === 'munmap')).toBe(true);
    expect(has((op) => op.badPage?.how === 'mprotect')).toBe(true);
    expect(new Set(faulting.map((c) => `${c.fs}-${c.blockSize}-${c.sectorSize}`)).size).toBe(9);
  });

  it('takes away every page a request spans, one case each, for each request it faults', () => {
    const groups = new Map<string, { pages: number; seen: number[] }>();
    for (const c of corpus) {
      const op = badOp(c);
      if (op === undefined || c.name.includes('/fault-in-block.')) continue;
      const key = `${c.name.split('/').slice(0, 2).join('/')} ${op.kind} ${op.pos} ${op.len} ${op.bufAddr}`;
      const g = groups.get(key) ?? { pages: spanned(op), seen: [] };
      g.seen.push(op.badPage?.index ?? -1);
      groups.set(key, g);
    }
    expect(groups.size).toBeGreaterThan(200);
    for (const [key, g] of groups) expect(g.seen, key).toEqual([...Array(g.pages).keys()]);
  });

  it('has the edges: NOWAIT writes needing allocation, zero-length requests, ends one sector past EOF', () => {
    const named = (p: string) => corpus.filter((c) => c.name.split('/')[2]?.startsWith(p));
    expect(named('nowait.dio_write.').length).toBeGreaterThan(100);
    expect(named('zero-len.').filter((c) => (c.ops[0] as DioOpSpec).pos % 512 !== 0).length).toBeGreaterThan(
      0,
    );
    for (const c of named('eof-plus-sector.')) {
      const op = c.ops[0] as DioOpSpec;
      expect(op.pos + op.len, c.name).toBe(c.iSize + c.sectorSize);
    }
    expect(named('fault-in-block.').length).toBeGreaterThan(100);
  });
});

describe('the agent lines of a bad page', () => {
  const c = corpus.find((x) => badOp(x)?.badPage?.how === 'munmap' && (badOp(x)?.badPage?.index ?? 0) > 0);
  it('append the page and how to take it away (1 munmap, 2 mprotect) to the operation', () => {
    expect(c).toBeDefined();
    const op = badOp(c as OracleCase) as DioOpSpec;
    const line = caseLines(c as OracleCase).find((l) => l.startsWith('O 1 '));
    expect(line).toBe(
      `O 1 ${op.kind} ${op.pos} ${op.len} ${(op.bufAddr ?? 0) & 0xffff} 0 ${op.async ? 1 : 0} ${op.badPage?.index} 1`,
    );
    const p = { ...(c as OracleCase), ops: [{ ...op, badPage: { index: 0, how: 'mprotect' as const } }] };
    expect(
      caseLines(p)
        .find((l) => l.startsWith('O 1 '))
        ?.endsWith(' 0 2'),
    ).toBe(true);
  });

  it('a page the agent could not take away or give back is an error of the run, not an observation', () => {
    expect(() =>
      observeReal(c as OracleCase, {
        id: (c as OracleCase).id,
        setup: true,
        ops: [{ id: 1, ret: -14, badPage: -12 }],
      }),
    ).toThrow(/bad page/);
  });
});

/** One request on a 4096-byte-block model XFS whose first 8 blocks are written (layout `written`). */
function run(op: DioOpSpec, extents: 'mapped' | 'hole' = 'mapped') {
  const scenario: Scenario = {
    device: { logicalBlockSize: 512, fua: false, writeCache: true },
    fs: {
      blockSize: 4096,
      iSize: 8 * 4096,
      extents: extents === 'mapped' ? [{ offset: 0, length: 8 * 4096, type: 'mapped', addr: 1 << 20 }] : [],
    },
    bioMaxVecs: 256,
    threads: [[op]],
  };
  return runScenario(scenario, { source: { next: () => 0 }, faults: NO_FAULTS });
}

describe('a bad page on the model (no choice made: the fault is the scenario)', () => {
  it('cuts a write page-get short at the page, and the request fails with -EFAULT after the bytes before it went out', () => {
    const r = run({
      kind: 'dio_write',
      pos: 0,
      len: 16384,
      bufAddr: 0x10000 + 2048,
      badPage: { index: 2, how: 'munmap' },
    });
    expect(r.outcome).toBe('pass');
    expect(r.requests[0]?.completions[0]?.res).toBe(-EFAULT);
    // Page 0 holds 2048 bytes of the buffer, page 1 4096: one bio of 6144 bytes, then nothing.
    expect(r.disk.log.filter((b) => b.size > 0).map((b) => b.size)).toEqual([6144]);
    expect(r.choices).toEqual([]);
  });

  it('fails at once when the first page is the bad one', () => {
    const r = run({ kind: 'dio_write', pos: 0, len: 8192, badPage: { index: 0, how: 'mprotect' } });
    expect(r.requests[0]?.completions[0]?.res).toBe(-EFAULT);
    expect(r.disk.log.length).toBe(0);
  });

  it('stops zeroing a hole read at the page, leaving the rest of the buffer as it was', () => {
    const r = run({ kind: 'dio_read', pos: 0, len: 12288, badPage: { index: 1, how: 'munmap' } }, 'hole');
    const q = r.requests[0];
    expect(q?.completions[0]?.res).toBe(-EFAULT);
    expect(Array.from(q?.buf.tags.subarray(0, 8) ?? [])).toEqual(Array(8).fill(TAG_ZERO));
    expect(Array.from(q?.buf.tags.subarray(8, 24) ?? [])).toEqual(Array(16).fill(TAG_UNTOUCHED));
  });

  it('leaves a request whose buffer faults after its last byte alone', () => {
    const r = run({ kind: 'dio_write', pos: 0, len: 4096, badPage: { index: 0, how: 'munmap' } });
    expect(r.requests[0]?.completions[0]?.res).toBe(-EFAULT);
    const ok = run({ kind: 'dio_write', pos: 0, len: 4096 });
    expect(ok.requests[0]?.completions[0]?.res).toBe(4096);
    expect(ok.requests[0]?.buf.tags[0]).toBe(userTag(1, 0));
  });

  it('answers a page outside the buffer with one clear line', () => {
    expect(() => run({ kind: 'dio_write', pos: 0, len: 8192, badPage: { index: 2, how: 'munmap' } })).toThrow(
      ScenarioError,
    );
    expect(() => run({ kind: 'dio_write', pos: 0, len: 8192, badPage: { index: 2, how: 'munmap' } })).toThrow(
      /bad page 2 is not one of the 2 page\(s\) of its 8192-byte buffer/,
    );
  });
});

describe('a write whose buffer faults inside a block, per release (the cases that show the releases apart)', () => {
  const c = corpus.find((x) => x.name === 'xfs-4096/hole/fault-in-block.dio_write@2048+page1') as OracleCase;
  it('returns the bytes before the fault on 6.12.107-117, whose data the head zeroing of the next mapping wiped', () => {
    for (const r of ['6.12.107', '6.12.111', '6.12.113', '6.12.115', '6.12.117'] as const) {
      const o = observeModel(c, KERNEL_VERSIONS[r]);
      expect(o.ops[0]?.ret, r).toBe(2048);
      // Block 0 written (converted for the 2048 bytes), all zeros: the write's data is gone.
      expect(o.contents, r).toBe('z*64');
      expect(o.extents, r).toBe('W1U1H10');
    }
  });

  it('fails with -EFAULT on 6.12.118 and the seed, which leave the blocks unwritten', () => {
    for (const r of ['6.12.118', 'seed'] as const) {
      const o = observeModel(c, KERNEL_VERSIONS[r]);
      expect(o.ops[0]?.ret, r).toBe(-EFAULT);
      expect(o.extents, r).toBe('U2H10');
    }
  });
});

describe('every golden file', () => {
  const root = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
  for (const release of goldenReleases(root)) {
    it(`${release}: at least 400 cases fault a user buffer on the kernel (-EFAULT, or a short count)`, () => {
      const golden = readGolden(join(root, goldenPath(release)));
      const faulted = golden.cases.filter((g) => {
        const op = badOp(corpus[g.id - 1] as OracleCase);
        const ret = g.observed.ops[0]?.ret ?? 0;
        return op !== undefined && (ret === -EFAULT || (ret > 0 && ret < op.len));
      });
      expect(faulted.length).toBeGreaterThanOrEqual(400);
    });
  }
});
