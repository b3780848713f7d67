/**
 * The polled NOWAIT write family of the scripted scenarios (properties/arbitraries/scenario.ts,
 * RawScenario.polled, withPolledWrite): its share, and the shape it promises, an async NOWAIT
 * IOCB_HIPRI write with caller completion over two plain written extents of a plain scripted file
 * whose ->submit_io defers the bios.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildScenario, type RawScenario, rawScenarioArbitrary } from './scenario.ts';

const RAWS: readonly RawScenario[] = fc.sample(rawScenarioArbitrary(), { seed: 43, numRuns: 3000 });

describe('polled write family', () => {
  it('is drawn in one scripted scenario in eight', () => {
    const share = RAWS.filter((r) => r.polled).length / RAWS.length;
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.16);
  });

  it('ends the first thread with a polled NOWAIT write over two plain written extents, -ENOTBLK past them where drawn', () => {
    let checked = 0;
    let notblk = 0;
    for (const raw of RAWS.slice(0, 800)) {
      if (raw.inline !== null) continue;
      const s = buildScenario({ ...raw, polled: true });
      expect(s.fs.submitIo).toBe(true);
      expect(s.fs.submitIoDeferred).toBe(true);
      expect(s.fs.generic).toBeUndefined();
      // No cached page, over which a NOWAIT write returns -EAGAIN before any I/O.
      expect(s.fs.pageCache).toBeUndefined();
      const ops = s.threads[0] ?? [];
      const w = ops[ops.length - 1];
      if (w?.kind !== 'dio_write') throw new Error('the first thread does not end with a direct write');
      expect(w.async).toBe(true);
      expect([...(w.iocbFlags ?? [])].sort()).toEqual(['caller_comp', 'hipri', 'nowait']);
      expect(w.badPage).toBeUndefined();
      expect(w.pos).toBe(0);
      const [e0, e1] = s.fs.extents;
      expect(e0?.type).toBe('mapped');
      expect(e1?.type).toBe('mapped');
      expect(e0?.flags).toBeUndefined();
      expect(e1?.flags).toBeUndefined();
      // Over both mappings, inside the end of file: a pure overwrite.
      expect(w.len).toBeGreaterThan(e0?.length ?? 0);
      expect(w.pos + w.len).toBeLessThanOrEqual(s.fs.iSize);
      // -ENOTBLK, where drawn, only past the two extents: the write's first two mappings submit.
      if (raw.notblkAt === null) expect(s.fs.notblkFrom).toBeUndefined();
      else expect(s.fs.notblkFrom).toBe((e0?.length ?? 0) + (e1?.length ?? 0));
      if (s.fs.notblkFrom !== undefined && w.pos + w.len > s.fs.notblkFrom) notblk++;
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
    // Some of them reach a third extent that sends them to buffered I/O part way.
    expect(notblk).toBeGreaterThan(50);
  });

  it('leaves a scenario without it as drawn', () => {
    for (const raw of RAWS.slice(0, 300)) {
      if (raw.polled) continue;
      expect(buildScenario(raw)).toEqual(buildScenario({ ...raw, polled: false }));
    }
  });
});
