/**
 * The pure parts of scripts/oracle/btrfsDsync.ts (no kernel here): the guest's lines, reading its
 * trace, what a crash image kept, the verdict, and the command line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BtrfsDsyncUsageError,
  type BtrfsCase,
  CASES,
  type CaseResult,
  caseResult,
  crashImages,
  formatResult,
  parseBtrfsDsyncArgs,
  parseLines,
  type RecoveryRecord,
  recoveryLines,
  replayCount,
  runLines,
  summarizeWrite,
  survival,
  traceBios,
  verdict,
} from './btrfsDsync.ts';
import { LOG_FUA, type WriteLog } from './logWrites.ts';

const caseNamed = (name: string): BtrfsCase => {
  const c = CASES.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no case ${name}`);
  return c;
};

/**
 * The trace of case 7 (nodatasum/a-dsync-cow-overwrite) in the live run on 6.12.117: the data
 * written with FUA through iomap, then btrfs_sync_file from btrfs_do_write_iter (log tree nodes,
 * two copies each, a flush, the super block with FUA).
 */
const DIO_TRACE = [
  '     btrfs-dsync-1       [000] .....     1.690000: iomap_dio_rw_begin: dev 0:18 ino 0x107 size 0x4000 offset 0x1000 length 0x1000 done_before 0x0 flags DSYNC|DIRECT dio_flags DIO_PARTIAL aio 0',
  '     btrfs-dsync-1       [000] .....     1.690000: iomap_iter_dstmap: dev 0:18 ino 0x107 bdev 253:0 addr 0xd20000 offset 0x1000 length 0x1000 type MAPPED flags',
  '     btrfs-dsync-1       [000] .....     1.690000: block_bio_queue: 253,0 WFS 26880 + 8 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .....     1.690000: block_bio_queue: 8,0 WFS 26880 + 8 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .n...     1.690000: iomap_dio_complete: dev 0:18 ino 0x107 size 0x4000 offset 0x2000 flags DSYNC|DIRECT aio 0 error 0 ret 4096',
  '     btrfs-dsync-1       [000] .n...     1.690000: btrfs_sync_file: 5eadeba9-4cc2-4190-b46f-4179d13aa159: root=5(FS_TREE) ino=263 parent=256 datasync=1',
  '     btrfs-dsync-1       [000] .n...     1.690000: block_bio_queue: 253,0 WSM 76128 + 32 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .n...     1.690000: block_bio_queue: 8,0 WSM 76128 + 32 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .n...     1.690000: block_bio_queue: 253,0 WSM 141664 + 32 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .n...     1.690000: block_bio_queue: 8,0 WSM 141664 + 32 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .....     1.690000: block_bio_queue: 253,0 WSM 76096 + 32 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .....     1.690000: block_bio_queue: 8,0 WSM 76096 + 32 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .....     1.690000: block_bio_queue: 253,0 WSM 141632 + 32 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .....     1.690000: block_bio_queue: 8,0 WSM 141632 + 32 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .....     1.690000: block_bio_queue: 253,0 FWS 0 + 0 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .....     1.690000: block_bio_queue: 8,0 FWS 0 + 0 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .....     1.690000: block_bio_queue: 253,0 WFSM 128 + 8 [btrfs-dsync]',
  '     btrfs-dsync-1       [000] .....     1.690000: block_bio_queue: 8,0 WFSM 128 + 8 [btrfs-dsync]',
];

const rec = (c: BtrfsCase, mark: string, over: Partial<RecoveryRecord>): RecoveryRecord => ({
  id: c.id,
  mark: `${mark}${c.id}`,
  mount: 0,
  open: 0,
  size: 16384,
  read: 16384,
  blocks: '0 0 0 0',
  extents: [],
  ...over,
});

describe('btrfsDsync: the cases and the guest lines', () => {
  it('runs every shape on a default mount, then on a nodatasum mount, ids from 1', () => {
    expect(CASES.map((c) => c.id)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(CASES.filter((c) => c.mount === '').length).toBe(6);
    expect(CASES.filter((c) => c.mount === 'nodatasum').length).toBe(6);
    expect(CASES.filter((c) => c.sync === 'none').length).toBe(2);
  });

  it('sets the devices up first and mounts once per phase, before its cases', () => {
    const lines = runLines(CASES);
    expect(lines[0]).toBe('D');
    expect(lines[1]).toBe('M -');
    expect(lines[2]).toBe('C 1 cow dsync 4096 4096');
    expect(lines[8]).toBe('M nodatasum');
    expect(lines.filter((l) => l.startsWith('M ')).length).toBe(2);
    expect(lines).toContain('C 3 cow dsync 16384 4096');
    expect(lines).toContain('C 10 prealloc dsync 4096 4096');
  });

  it("reads crash images before and after each write, and through an O_DSYNC write's FUA data, each on its own ubd", () => {
    const images = crashImages(CASES);
    expect(images.length).toBe(24 + 8);
    expect(images.slice(0, 5)).toEqual([
      { id: 1, mark: 'st1' },
      { id: 1, mark: 'dt1' },
      { id: 1, mark: 'pl1' },
      { id: 2, mark: 'st2' },
      { id: 2, mark: 'pl2' },
    ]);
    expect(recoveryLines(images.slice(3, 6))).toEqual(['R 2 0 st2', 'R 2 1 pl2', 'R 3 2 st3']);
  });

  it('replays to a mark, or through the first FUA write after the start mark', () => {
    const entry = (flags: number, mark: string | null = null) => ({
      sector: 0,
      sectors: 1,
      flags,
      mark,
      dataAt: 0,
    });
    const log: WriteLog = {
      sectorSize: 4096,
      entries: [
        entry(0),
        entry(LOG_FUA),
        entry(8, 'st1'),
        entry(0),
        entry(LOG_FUA),
        entry(0),
        entry(LOG_FUA),
        entry(8, 'pl1'),
      ],
    };
    expect(replayCount(log, 'st1')).toBe(2);
    expect(replayCount(log, 'pl1')).toBe(7);
    expect(replayCount(log, 'dt1')).toBe(5);
    expect(replayCount(log, 'pl2')).toBeNull();
    expect(
      replayCount({ ...log, entries: log.entries.filter((e) => !(e.flags & LOG_FUA)) }, 'dt1'),
    ).toBeNull();
  });
});

describe('btrfsDsync: the trace of a write', () => {
  it('reads the bios of block_bio_queue lines', () => {
    const bios = traceBios(DIO_TRACE);
    expect(bios.length).toBe(14);
    expect(bios.slice(0, 3)).toEqual([
      { dev: '253,0', rwbs: 'WFS', sector: 26880, sectors: 8 },
      { dev: '8,0', rwbs: 'WFS', sector: 26880, sectors: 8 },
      { dev: '253,0', rwbs: 'WSM', sector: 76128, sectors: 32 },
    ]);
    expect(bios.at(-1)).toEqual({ dev: '8,0', rwbs: 'WFSM', sector: 128, sectors: 8 });
  });

  it("counts the disk's bios only, and tells iomap from the buffered fallback", () => {
    const s = summarizeWrite(DIO_TRACE);
    expect(s).toEqual({
      iomapDio: true,
      mappings: ['MAPPED -'],
      syncFile: 1,
      commits: 0,
      fua: 2,
      preflush: 0,
      flushOnly: 1,
      meta: 5,
      writes: 6,
    });
    const buffered = summarizeWrite(DIO_TRACE.filter((l) => !l.includes('iomap_')));
    expect(buffered.iomapDio).toBe(false);
    expect(buffered.mappings).toEqual([]);
  });

  it('reads a mapping with flags', () => {
    const s = summarizeWrite([
      'init-1 [000] ..... 1.0: iomap_iter_dstmap: dev 0:27 ino 0x101 bdev 253:0 addr 0x0 offset 0x0 length 0x1000 type MAPPED flags NEW|DIRTY',
    ]);
    expect(s.mappings).toEqual(['MAPPED NEW|DIRTY']);
  });
});

describe('btrfsDsync: what a crash image kept', () => {
  const a = caseNamed('default/a-dsync-cow-overwrite');
  const ext = caseNamed('nodatasum/c-dsync-extend');
  const pre = caseNamed('default/d-dsync-nocow-prealloc');

  it('calls an overwrite durable only when its block holds the new data', () => {
    expect(survival(a, rec(a, 'pl', { blocks: '0 1 0 0' })).what).toBe('durable');
    expect(survival(a, rec(a, 'pl', { blocks: '0 0 0 0' })).what).toBe('lost');
    expect(survival(a, rec(a, 'pl', { blocks: '0 g 0 0' })).what).toBe('unreadable');
    expect(survival(a, rec(a, 'pl', { mount: -22 })).what).toBe('unreadable');
    expect(survival(a, rec(a, 'pl', { read: -5 })).what).toBe('unreadable');
    expect(survival(a, undefined).what).toBe('unreadable');
  });

  it('calls an extending write lost when the size stops short, even with the block there', () => {
    expect(survival(ext, rec(ext, 'pl', { size: 20480, read: 20480, blocks: '0 0 0 0 1' })).what).toBe(
      'durable',
    );
    expect(survival(ext, rec(ext, 'pl', { size: 16384, blocks: '0 0 0 0' })).what).toBe('lost');
    expect(survival(ext, rec(ext, 'pl', { size: 20480, read: 20480, blocks: '0 0 0 0 z' })).what).toBe(
      'lost',
    );
  });

  it('takes zeros for the old contents of a preallocated block', () => {
    expect(survival(pre, rec(pre, 'pl', { blocks: 'z z z z' })).what).toBe('lost');
    expect(survival(pre, rec(pre, 'pl', { blocks: 'z 1 z z' })).what).toBe('durable');
  });
});

describe('btrfsDsync: the image through the FUA data alone', () => {
  const c = caseNamed('nodatasum/a-dsync-cow-overwrite');
  const st = rec(c, 'st', {});
  const pl = rec(c, 'pl', { blocks: '0 1 0 0' });
  const dt = rec(c, 'dt', { blocks: '0 0 0 0' });

  it('is judged for a write that went through iomap', () => {
    const r = caseResult(c, { id: c.id, setup: 0, ret: 4096, trace: DIO_TRACE }, st, pl, dt);
    expect(r.atDataFua?.what).toBe('lost');
    expect(r.after.what).toBe('durable');
    expect(formatResult(r)).toMatch(
      /iomap dio \[MAPPED -\], sync_file 1, .*after power loss: durable .*at its FUA data alone: lost$/,
    );
  });

  it('is not judged for the buffered fallback, whose first FUA write is the super block', () => {
    const buffered = DIO_TRACE.filter((l) => !l.includes('iomap_'));
    const r = caseResult(c, { id: c.id, setup: 0, ret: 4096, trace: buffered }, st, pl, dt);
    expect(r.atDataFua).toBeNull();
    expect(formatResult(r)).toMatch(/buffered fallback/);
  });
});

describe('btrfsDsync: the verdict', () => {
  const results = (after: (c: BtrfsCase) => string): CaseResult[] =>
    CASES.map((c) => {
      const setupBlocks = c.setup === 'prealloc' ? 'z z z z' : '0 0 0 0';
      const st = rec(c, 'st', { blocks: setupBlocks });
      const blocks = after(c);
      const grows = c.pos >= 16384 && blocks.split(' ').length > 4;
      const pl = rec(c, 'pl', { blocks, size: grows ? 20480 : 16384, read: grows ? 20480 : 16384 });
      return caseResult(c, { id: c.id, setup: 0, ret: c.len, trace: DIO_TRACE }, st, pl);
    });
  const written = (c: BtrfsCase) => {
    const zero = c.setup === 'prealloc' ? 'z' : '0';
    return c.pos >= 16384 ? '0 0 0 0 1' : `${zero} 1 ${zero} ${zero}`;
  };
  const unchanged = (c: BtrfsCase) => (c.setup === 'prealloc' ? 'z z z z' : '0 0 0 0');

  it('refutes the lead when every synced write survived and every unsynced control was lost', () => {
    const v = verdict(results((c) => (c.sync === 'none' ? unchanged(c) : written(c))));
    expect(v).toEqual({ verdict: 'refuted', reasons: [] });
  });

  it('reports a synced write lost as lost, naming it', () => {
    const v = verdict(
      results((c) =>
        c.sync === 'none' || c.name === 'nodatasum/a-dsync-cow-overwrite' ? unchanged(c) : written(c),
      ),
    );
    expect(v.verdict).toBe('lost');
    expect(v.reasons).toEqual([
      expect.stringMatching(/^7 nodatasum\/a-dsync-cow-overwrite: returned 4096 with O_DSYNC, lost/),
    ]);
  });

  it('says nothing when the unsynced control survived too: a loss could not have shown', () => {
    const v = verdict(results(written));
    expect(v.verdict).toBe('inconclusive');
    expect(v.reasons.length).toBe(2);
  });

  it('says nothing when a write failed or the image before it lost the setup', () => {
    const rs = results((c) => (c.sync === 'none' ? unchanged(c) : written(c)));
    const failed = rs.map((r) => (r.c.id === 2 ? { ...r, ret: -5 } : r));
    expect(verdict(failed).verdict).toBe('inconclusive');
    const c = CASES[0] as BtrfsCase;
    const noSetup = caseResult(
      c,
      { id: 1, setup: 0, ret: 4096, trace: [] },
      rec(c, 'st', { size: 0, read: 0, blocks: '' }),
      rec(c, 'pl', { blocks: '0 1 0 0' }),
    );
    expect(noSetup.before.setupIntact).toBe(false);
    expect(verdict([noSetup]).verdict).toBe('inconclusive');
  });
});

describe('btrfsDsync: the command line', () => {
  it('takes a release, a cache and a JSON file; 6.12.117 by default', () => {
    expect(parseBtrfsDsyncArgs(['--help'])).toBe('help');
    const o = parseBtrfsDsyncArgs(['--cache', '/tmp/c', '--json', '/tmp/r.json']);
    expect(o).toEqual({ release: '6.12.117', cache: '/tmp/c', json: '/tmp/r.json' });
    expect(parseBtrfsDsyncArgs(['--release', '6.12'])).toMatchObject({ release: '6.12.118' });
  });

  it('refuses an unknown release or option', () => {
    expect(() => parseBtrfsDsyncArgs(['--release', '5.10'])).toThrow(BtrfsDsyncUsageError);
    expect(() => parseBtrfsDsyncArgs(['--release', '5.10'])).toThrow(/unknown release '5.10'/);
    expect(() => parseBtrfsDsyncArgs(['--bogus'])).toThrow(BtrfsDsyncUsageError);
  });

  it('names a guest line that is not JSON', () => {
    expect(parseLines('{"id":1}\n\n{"id":2}\n')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(() => parseLines('{"id":1}\nKernel panic\n')).toThrow(/not JSON: Kernel panic/);
  });

  it('answers bad input with one line and exit 2', () => {
    const script = fileURLToPath(new URL('./btrfsDsync.ts', import.meta.url));
    const r = spawnSync('npx', ['tsx', script, '--release', 'nope'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^btrfsDsync: unknown release 'nope'/),
    ]);
    const h = spawnSync('npx', ['tsx', script, '--help'], { encoding: 'utf8' });
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/^usage: /);
  });
});

describe('build-kernel.sh: the btrfs flavor', () => {
  const script = fileURLToPath(new URL('./build-kernel.sh', import.meta.url));

  it('refuses an unknown flavor with one line and exit 2, before touching the cache', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diocheck-flavor-'));
    try {
      const env = { ...process.env, DIOCHECK_KERNEL_FLAVOR: 'zfs' };
      const r = spawnSync('bash', [script, join(dir, 'cache'), '6.12.117'], { encoding: 'utf8', env });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe("oracle: unknown DIOCHECK_KERNEL_FLAVOR 'zfs' (one of: btrfs)\n");
      expect(existsSync(join(dir, 'cache'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps a flavor's kernel beside the release's and adds its options only when asked", () => {
    const text = readFileSync(script, 'utf8');
    expect(text).toContain('btrfs) extra_config=(-e BTRFS_FS -e BTRFS_FS_POSIX_ACL) ;;');
    expect(text).toContain('if [[ -n "$flavor" ]]; then kdir="$kdir-$flavor"; fi');
    // With no flavor the array is empty and the script's own expansion of it, the last word of
    // scripts/config's line, adds no word.
    const expansion = /^\s*(\$\{extra_config\[@\]\+"\$\{extra_config\[@\]\}"\})$/m.exec(text)?.[1];
    expect(expansion).toBeDefined();
    const words = spawnSync('bash', ['-c', `set -u; extra_config=(); printf "[%s]" a ${expansion} b`], {
      encoding: 'utf8',
    });
    expect(words.stdout).toBe('[a][b]');
  });
});
