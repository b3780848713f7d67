/**
 * The per-world toggles of the campaign's world scenarios (properties/arbitraries/worldScenario.ts):
 * aio, omit, prealloc and inPlace, each drawn per world (swarm testing). Each test builds worlds
 * with a toggle on and off from the same draw and checks what the toggle promises, and the shares
 * over a sample; then the scenario families (withFamily), which set some toggles themselves, and
 * the buffers that start inside their page (bufSectors).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OpSpec } from '../../model/world/scenario.ts';
import { buildWorld, bufSectors, keptKind, type RawWorld, rawWorldArbitrary } from './worldScenario.ts';

const DRAWN: readonly RawWorld[] = fc.sample(rawWorldArbitrary(), { seed: 41, numRuns: 3000 });
// The toggles as drawn, without the families, which set some of them (withFamily).
const RAWS: readonly RawWorld[] = DRAWN.map((r) => ({ ...r, family: null }));
const DIRECT = new Set<OpSpec['kind']>(['dio_read', 'dio_write']);
const POSITIONED = new Set<OpSpec['kind']>([
  'dio_read',
  'dio_write',
  'buffered_read',
  'buffered_write',
  'fallocate',
]);
const ops = (raw: RawWorld): OpSpec[] => buildWorld(raw).threads.flat();
const share = (f: (r: RawWorld) => boolean): number => RAWS.filter(f).length / RAWS.length;

describe('world toggles', () => {
  it('are each on in about a quarter of the worlds, aio in a third; omit in about half', () => {
    for (const f of [(r: RawWorld) => r.prealloc, (r: RawWorld) => r.inPlace]) {
      expect(share(f)).toBeGreaterThan(0.2);
      expect(share(f)).toBeLessThan(0.3);
    }
    expect(share((r) => r.aio)).toBeGreaterThan(0.29);
    expect(share((r) => r.aio)).toBeLessThan(0.38);
    expect(share((r) => r.omit.length > 0)).toBeGreaterThan(0.4);
    expect(share((r) => r.omit.length > 0)).toBeLessThan(0.6);
  });

  it('aio: every direct request of the world is asynchronous, and the requests are otherwise as drawn', () => {
    let direct = 0;
    // What the world adds at the end of the first thread follows: it reaps async requests before
    // its power loss (wait_async), and has none after a caller-completion request (buildWorld).
    const reaped = (list: OpSpec[]) =>
      list.filter((op) => op.kind !== 'wait_async' && op.kind !== 'power_loss');
    for (const raw of RAWS.slice(0, 500)) {
      const on = reaped(ops({ ...raw, aio: true }));
      const off = reaped(ops({ ...raw, aio: false }));
      expect(on.length).toBe(off.length);
      on.forEach((op, i) => {
        const was = off[i] as OpSpec;
        if (!DIRECT.has(op.kind)) return;
        direct++;
        expect('async' in op && op.async).toBe(true);
        // IOCB_DIO_CALLER_COMP is kept on an async request only (buildOp), the rest as drawn.
        const plain = (o: OpSpec) => {
          const flags = 'iocbFlags' in o ? (o.iocbFlags ?? []).filter((f) => f !== 'caller_comp') : [];
          return { ...o, async: undefined, iocbFlags: flags.length > 0 ? flags : undefined };
        };
        expect(plain(op)).toEqual(plain(was));
      });
    }
    expect(direct).toBeGreaterThan(500);
  });

  it('prealloc: no hole is left in the file, and the blocks that were holes are unwritten', () => {
    for (const raw of RAWS.slice(0, 500)) {
      const on = buildWorld({ ...raw, prealloc: true });
      const off = buildWorld({ ...raw, prealloc: false });
      expect(on.fs.extents.some((e) => e.type === 'hole' || e.type === 'delalloc')).toBe(false);
      expect(on.fs.iSize).toBe(off.fs.iSize);
      off.fs.extents.forEach((e, i) => {
        const now = on.fs.extents[i];
        if (e.type === 'hole' && !raw.generic) expect(now?.type).toBe('unwritten');
      });
    }
  });

  it('inPlace: every positioned request of a file with a whole unit lies inside the end of file', () => {
    let inside = 0;
    for (const raw of RAWS) {
      const world = buildWorld({ ...raw, inPlace: true });
      const lbs = world.device.logicalBlockSize;
      for (const op of world.threads.flat()) {
        if (!POSITIONED.has(op.kind) || !('pos' in op) || !('len' in op)) continue;
        // A unit is the logical block or the filesystem block: below one, the request is as drawn.
        if (world.fs.iSize < world.fs.blockSize || world.fs.iSize < lbs) continue;
        if (op.pos + op.len <= world.fs.iSize) inside++;
        else expect(Math.floor(world.fs.iSize / lbs) * lbs).toBeLessThan(world.fs.blockSize);
      }
    }
    expect(inside).toBeGreaterThan(1000);
  });

  it('omit: a world keeps only the kinds it does not omit, direct I/O always', () => {
    for (const raw of RAWS) {
      if (raw.omit.length === 0) continue;
      const kept = new Set(
        buildWorld(raw)
          .threads.flat()
          .map((op) => op.kind),
      );
      const direct = !raw.omit.includes('dio_write') || !raw.omit.includes('dio_read');
      for (const k of kept) {
        // power_loss and wait_async are added by the world itself (crashAfter, log worlds).
        if (k === 'power_loss' || k === 'wait_async') continue;
        expect(!raw.omit.includes(k) || (!direct && k === 'dio_write'), `${k} in ${raw.omit}`).toBe(true);
      }
    }
  });

  it('keptKind: a kept kind as drawn; an omitted one by the kept kinds weights; dio_write when all are omitted', () => {
    const op = (kind: OpSpec['kind'], alt: number) =>
      ({ kind, alt }) as unknown as Parameters<typeof keptKind>[0];
    expect(keptKind(op('fsync', 7), [])).toBe('fsync');
    expect(keptKind(op('fsync', 7), ['truncate'])).toBe('fsync');
    // Only dio_read (6) and fsync (1) kept: alt 0-5 -> dio_read, 6 -> fsync, 7 wraps.
    const all = ['dio_write', 'buffered_write', 'buffered_read', 'fdatasync', 'mmap_read', 'truncate'];
    const omit = [...all, 'fallocate', 'power_loss'] as OpSpec['kind'][];
    expect(keptKind(op('truncate', 0), omit)).toBe('dio_read');
    expect(keptKind(op('truncate', 5), omit)).toBe('dio_read');
    expect(keptKind(op('truncate', 6), omit)).toBe('fsync');
    expect(keptKind(op('truncate', 7), omit)).toBe('dio_read');
    const everything = [...omit, 'dio_read', 'fsync'] as OpSpec['kind'][];
    expect(keptKind(op('fsync', 3), everything)).toBe('dio_write');
  });
});

describe('world scenario families', () => {
  const first = (raw: RawWorld): readonly OpSpec[] => buildWorld(raw).threads[0] ?? [];
  const dio = (op: OpSpec | undefined) => {
    if (op === undefined || (op.kind !== 'dio_write' && op.kind !== 'dio_read'))
      throw new Error('not direct');
    return op;
  };

  it('are drawn in twelve worlds in 32: subBlockRace and cachedOverwrite three in 32 each, aioAlone two, the others one in 32 each', () => {
    const drawn = (f: RawWorld['family']) => DRAWN.filter((r) => r.family === f).length / DRAWN.length;
    expect(1 - drawn(null)).toBeGreaterThan(0.33);
    expect(1 - drawn(null)).toBeLessThan(0.42);
    expect(drawn('aioAlone')).toBeGreaterThan(0.045);
    expect(drawn('aioAlone')).toBeLessThan(0.085);
    for (const f of ['subBlockRace', 'cachedOverwrite'] as const) {
      expect(drawn(f)).toBeGreaterThan(0.08);
      expect(drawn(f)).toBeLessThan(0.13);
    }
    for (const f of ['dsyncAppend', 'shortGet', 'genericFallback', 'bufferedFsync'] as const) {
      expect(drawn(f)).toBeGreaterThan(0.02);
      expect(drawn(f)).toBeLessThan(0.05);
    }
  });

  it('subBlockRace: an async direct write and one of the other alignment to its block, inside the end of file, into unwritten blocks, alone in their thread', () => {
    let unaligned = 0;
    for (const raw of RAWS.slice(0, 500)) {
      const world = buildWorld({ ...raw, family: 'subBlockRace' });
      const ops = first({ ...raw, family: 'subBlockRace' });
      const [a, b] = [dio(ops[0]), dio(ops[1])];
      // No power loss and nothing after the two in their thread; XFS or ext4 on 512-byte sectors.
      expect(ops.length).toBe(2);
      expect(world.fs.model).not.toBe('scripted');
      expect(world.device.logicalBlockSize).toBe(512);
      expect(world.fs.blockSize).toBeGreaterThanOrEqual(1024);
      const bs = world.fs.blockSize;
      expect([a.kind, b.kind]).toEqual(['dio_write', 'dio_write']);
      expect(a.async).toBe(true);
      expect(a.iocbFlags ?? []).toEqual([]);
      expect(b.iocbFlags ?? []).toEqual([]);
      expect(a.bufAddr ?? 0x10000).toBe(0x10000);
      expect(Math.floor(b.pos / bs)).toBe(Math.floor(a.pos / bs));
      for (const op of [a, b]) expect(op.pos + op.len).toBeLessThanOrEqual(world.fs.iSize);
      // Holes are preallocated (unwritten); written blocks too, but those ext4 or a log keeps.
      expect(world.fs.extents.some((e) => e.type === 'hole' || e.type === 'delalloc')).toBe(false);
      const sub = (op: typeof a) => (op.pos | op.len) % bs !== 0;
      if (sub(a) !== sub(b)) unaligned++;
    }
    // One of the two is a sub-block write: a sector is smaller than a block in every one.
    expect(unaligned).toBe(500);
  });

  it('cachedOverwrite: a synchronous direct write over a cached page, then a buffered read of it', () => {
    for (const raw of RAWS.slice(0, 500)) {
      const drawn = { ...raw, family: 'cachedOverwrite' as const };
      const world = buildWorld(drawn);
      const [a, b] = first(drawn);
      const w = dio(a);
      expect(w.kind).toBe('dio_write');
      expect(w.async ?? false).toBe(false);
      expect(w.iocbFlags ?? []).not.toContain('nowait');
      expect(b?.kind).toBe('buffered_read');
      if (b?.kind !== 'buffered_read') continue;
      expect(b.pos).toBe(w.pos);
      expect(world.fs.iSize).toBe(world.fs.extents.length * world.fs.blockSize);
      // In place: the write overwrites the file, where the page under it is.
      expect(w.pos + w.len).toBeLessThanOrEqual(world.fs.iSize);
      // The page under the write is cached wherever the file has one there.
      const page = Math.floor(w.pos / 4096);
      if (page < Math.ceil(world.fs.iSize / 4096))
        expect(world.fs.pageCache?.map((p) => p.index)).toContain(page);
    }
  });

  it('dsyncAppend: one O_DSYNC write from the end of file to the end of its written last block, then power loss, on a FUA device', () => {
    let whole = 0;
    for (const raw of RAWS.slice(0, 500)) {
      const drawn = { ...raw, family: 'dsyncAppend' as const };
      const world = buildWorld(drawn);
      expect(world.threads.length).toBe(1);
      const [a, end] = first(drawn);
      const w = dio(a);
      expect(end?.kind).toBe('power_loss');
      expect(w.kind).toBe('dio_write');
      expect(w.iocbFlags).toEqual(['dsync']);
      expect(w.async ?? false).toBe(false);
      expect(world.device.fua).toBe(true);
      const { iSize, blockSize: bs, extents } = world.fs;
      const last = extents[extents.length - 1];
      if (iSize % bs === 0) continue;
      // The end of file lies inside the last block, which the log wrote.
      expect(Math.floor(iSize / bs)).toBe(extents.length - 1);
      expect(last?.type).toBe('mapped');
      expect(w.pos).toBe(Math.floor(iSize / world.device.logicalBlockSize) * world.device.logicalBlockSize);
      if (w.pos + w.len === extents.length * bs) whole++;
    }
    expect(whole).toBeGreaterThan(300);
  });

  it('shortGet: a PARTIAL write from a buffer that starts inside its page and lacks its second page, into new or unwritten blocks, then an async read of it', () => {
    let inside = 0;
    for (const raw of RAWS.slice(0, 500)) {
      const drawn = { ...raw, family: 'shortGet' as const };
      const world = buildWorld(drawn);
      const [a, b, more] = first(drawn);
      const [w, r] = [dio(a), dio(b)];
      expect(more).toBeUndefined();
      expect(world.fs.generic).toBe(true);
      expect(world.device.logicalBlockSize).toBe(512);
      const bs = world.fs.blockSize;
      expect(bs).toBeGreaterThanOrEqual(1024);
      for (const e of world.fs.extents) expect(e.type === 'unwritten' || e.flags?.includes('new')).toBe(true);
      expect(w.kind).toBe('dio_write');
      expect(w.dioFlags).toEqual(['partial']);
      expect(w.async ?? false).toBe(false);
      const off = (w.bufAddr ?? 0x10000) % 4096;
      expect(off % 512).toBe(0);
      expect(off).toBeGreaterThan(0);
      expect(w.pos + w.len).toBeLessThanOrEqual(world.fs.iSize);
      expect([r.kind, r.pos, r.len, r.async]).toEqual(['dio_read', w.pos, w.len, true]);
      expect(r.badPage).toBeUndefined();
      // Where the write reaches its second page, that page is missing: its page-get stops at a
      // page boundary, inside a block unless the boundary falls on one.
      if (off + w.len > 4096) {
        expect(w.badPage?.index).toBe(1);
        if ((4096 - off) % bs !== 0) inside++;
      }
    }
    expect(inside).toBeGreaterThan(300);
  });

  it('genericFallback: a blocking direct write of two to four blocks on the generic filesystem with -ENOTBLK from its second block, O_DSYNC before power loss in two worlds in three, else read back', () => {
    let crash = 0;
    for (const raw of RAWS.slice(0, 600)) {
      const drawn = { ...raw, family: 'genericFallback' as const };
      const world = buildWorld(drawn);
      const [a, b, more] = first(drawn);
      const w = dio(a);
      expect(world.fs.generic).toBe(true);
      expect(world.device.writeCache).toBe(true);
      const bs = world.fs.blockSize;
      expect(w.kind).toBe('dio_write');
      expect(w.async ?? false).toBe(false);
      expect(w.badPage).toBeUndefined();
      expect(w.bufAddr ?? 0x10000).toBe(0x10000);
      expect(w.pos % bs).toBe(0);
      expect(w.len).toBeGreaterThanOrEqual(2 * bs);
      expect(world.fs.notblkFrom).toBe(w.pos + bs);
      if (b?.kind === 'power_loss') {
        crash++;
        expect(w.iocbFlags).toEqual(['dsync']);
        expect(more).toBeUndefined();
      } else {
        expect(w.iocbFlags ?? []).toEqual([]);
        expect(b?.kind).toBe('dio_read');
        const r = dio(b);
        expect([r.pos, r.len]).toEqual([w.pos, w.len]);
      }
    }
    expect(crash).toBeGreaterThan(330);
    expect(crash).toBeLessThan(470);
  });

  it('aioAlone: one async direct read or write of one to four whole blocks inside the end of file, alone in the world but for a truncate after a write', () => {
    let reads = 0;
    for (const raw of RAWS.slice(0, 600)) {
      const drawn = { ...raw, family: 'aioAlone' as const };
      const world = buildWorld(drawn);
      expect(world.threads.length).toBe(1);
      const [a, next, more] = first(drawn);
      expect(more).toBeUndefined();
      const op = dio(a);
      expect(next?.kind).toBe(op.kind === 'dio_write' && !world.fs.generic ? 'truncate' : undefined);
      expect(['dio_read', 'dio_write']).toContain(op.kind);
      if (op.kind === 'dio_read') reads++;
      expect(op.async).toBe(true);
      expect(op.iocbFlags ?? []).toEqual([]);
      expect(op.badPage).toBeUndefined();
      expect(op.bufAddr ?? 0x10000).toBe(0x10000);
      const bs = world.fs.blockSize;
      expect(op.pos % bs).toBe(0);
      expect(op.len % bs).toBe(0);
      expect(op.len).toBeLessThanOrEqual(4 * bs);
      if (world.fs.iSize >= bs) expect(op.pos + op.len).toBeLessThanOrEqual(world.fs.iSize);
    }
    expect(reads).toBeGreaterThan(240);
    expect(reads).toBeLessThan(360);
  });

  it('bufferedFsync: a buffered write of one to four units on the generic filesystem on a cached device, then fsync or fdatasync and power loss, alone', () => {
    let fsyncs = 0;
    for (const raw of RAWS.slice(0, 600)) {
      const world = buildWorld({ ...raw, family: 'bufferedFsync' as const });
      expect(world.fs.generic).toBe(true);
      expect(world.device.writeCache).toBe(true);
      expect(world.threads.length).toBe(1);
      const [w, sync, cut, more] = world.threads[0] ?? [];
      if (w?.kind !== 'buffered_write') throw new Error('not a buffered write');
      expect(w.len).toBeGreaterThan(0);
      expect(w.len % world.device.logicalBlockSize).toBe(0);
      expect(w.len).toBeLessThanOrEqual(4 * world.fs.blockSize);
      expect(['fsync', 'fdatasync']).toContain(sync?.kind);
      if (sync?.kind === 'fsync') fsyncs++;
      expect(cut?.kind).toBe('power_loss');
      expect(more).toBeUndefined();
    }
    expect(fsyncs).toBeGreaterThan(240);
    expect(fsyncs).toBeLessThan(360);
  });

  it('bufSectors: a quarter of the requests on 512-byte sectors start 1-7 sectors into their page, none on 4 KiB', () => {
    const alts = Array.from({ length: 1024 }, (_, alt) => alt);
    expect(alts.filter((a) => bufSectors(a, 512) > 0).length).toBe(256);
    expect(alts.every((a) => bufSectors(a, 4096) === 0)).toBe(true);
    expect(new Set(alts.map((a) => bufSectors(a, 512)))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
    expect(bufSectors(0, 512)).toBe(0);
  });
});
