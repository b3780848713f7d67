/** The oracle script's pure parts: its options, the agent's corpus lines, and reading the agent's records. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { durabilityPoints, readWriteLog, replayToMark } from './oracle/logWrites.ts';
import {
  caseLines,
  logWritesLines,
  mkfsCommand,
  powerLossMark,
  recoveryLine,
  scsiDebugLines,
} from './oracle/agentCorpus.ts';
import { OracleUsageError, parseOracleArgs, releasePaths, resolveRelease } from './oracle/oracle.ts';
import { RELEASES } from '../model/kernel/releases.ts';
import { generateCorpus, type OracleCase } from '../properties/oracle/corpus.ts';
import {
  GOLDEN_DIR,
  type GoldenCase,
  goldenChanges,
  type GoldenFile,
  goldenPath,
  goldenReleases,
  kernelIsRelease,
} from '../properties/oracle/golden.ts';
import {
  bioTokens,
  compressBlocks,
  compressTokens,
  observeModel,
  type Observation,
  observeReal,
  parseRwbs,
} from '../properties/oracle/observe.ts';

const CASE: OracleCase = {
  powerLoss: false,
  sectorSize: 512,
  id: 7,
  name: 'xfs-4096/short-eof/test',
  fs: 'xfs',
  blockSize: 4096,
  iSize: 3 * 4096 - 512,
  extents: [
    { offset: 0, length: 12288, type: 'mapped', addr: 65536 },
    { offset: 16384, length: 8192, type: 'unwritten', addr: 81920 },
  ],
  ops: [
    { kind: 'dio_write', pos: 4096, len: 512, bufAddr: 0x10200, iocbFlags: ['dsync', 'nowait'], async: true },
    { kind: 'truncate', size: 5000 },
    { kind: 'mmap_read' },
  ],
  failFirstBio: true,
};

describe('oracle options', () => {
  it('takes its options and answers bad ones with a one-line usage error', () => {
    const o = parseOracleArgs(['--cache', '/tmp/c', '--jobs', '3', '--limit', '10', '--compare']);
    expect(o).toMatchObject({ cache: '/tmp/c', jobs: 3, limit: 10, compare: true, out: null });
    expect(parseOracleArgs(['--help'])).toBe('help');
    for (const bad of [
      ['--jobs', '0'],
      ['--limit', 'x'],
      ['--cache'],
      ['--out', '--jobs'],
      ['--frobnicate'],
      ['--release'],
      ['--release', '--jobs'],
      ['--release', '6.12.116'],
      ['--release', '6.12.117,6.1'],
      ['--release', 'seed'],
      ['--out', '/tmp/x.json'],
      ['--release', '6.12.117', '--release', '6.12.118', '--out', '/tmp/x.json'],
      ['--check', '--release', '6.12.117', '--out', '/tmp/x.json'],
      ['--check', '--limit', '3'],
    ]) {
      expect(() => parseOracleArgs(bad), bad.join(' ')).toThrow(OracleUsageError);
      try {
        parseOracleArgs(bad);
      } catch (e) {
        expect((e as Error).message).not.toContain('\n');
      }
    }
  });

  it('reads its line with util.parseArgs: --name=value, one line per mistake, help anywhere', () => {
    const bad = (argv: string[]): string => {
      try {
        parseOracleArgs(argv);
      } catch (e) {
        expect(e).toBeInstanceOf(OracleUsageError);
        return (e as Error).message;
      }
      throw new Error(`${argv.join(' ')} was accepted`);
    };
    expect(bad(['--frobnicate'])).toBe(
      "unknown option '--frobnicate' for 'oracle' (known: --release, --cache, --out, --jobs, --limit, --check, --compare)",
    );
    expect(bad(['--cache'])).toBe("option '--cache' needs a value");
    expect(bad(['--jobs', '--compare'])).toBe("option '--jobs' needs a value");
    expect(bad(['--jobs', '0'])).toBe("--jobs needs a positive integer, not '0'");
    expect(bad(['--jobs', '2', '--jobs', '3'])).toBe("option '--jobs' given twice");
    expect(bad(['--compare=yes'])).toBe("option '--compare' takes no value");
    expect(bad(['-j', '2'])).toBe("unknown option '-j' for 'oracle' (options are long: --name)");
    expect(bad(['6.12.117'])).toBe("'oracle' takes no arguments, got '6.12.117'");
    expect(
      parseOracleArgs(['--jobs=3', '--release=6.12.117', '--out=x.json', '--cache=/tmp/c']),
    ).toMatchObject({
      jobs: 3,
      releases: ['6.12.117'],
      out: resolve('x.json'),
      cache: '/tmp/c',
    });
    expect(parseOracleArgs(['--frobnicate', '-h'])).toBe('help');
  });

  it('takes its cache from DIOCHECK_ORACLE_CACHE unless --cache is given', () => {
    const saved = process.env.DIOCHECK_ORACLE_CACHE;
    process.env.DIOCHECK_ORACLE_CACHE = '/tmp/env-cache';
    try {
      expect(parseOracleArgs([])).toMatchObject({ cache: '/tmp/env-cache' });
      expect(parseOracleArgs(['--cache', '/tmp/c'])).toMatchObject({ cache: '/tmp/c' });
    } finally {
      if (saved === undefined) delete process.env.DIOCHECK_ORACLE_CACHE;
      else process.env.DIOCHECK_ORACLE_CACHE = saved;
    }
  });

  it('runs every release by default, or the ones asked for, once each, with aliases resolved', () => {
    const all = parseOracleArgs([]);
    expect(all !== 'help' && all.releases).toEqual(RELEASES.map((r) => r.name));
    const some = parseOracleArgs([
      '--release',
      '6.12.118,6.12.107',
      '--release',
      '6.12',
      '--release',
      '6.12.107',
    ]);
    expect(some !== 'help' && some.releases).toEqual(['6.12.118', '6.12.107']);
    const one = parseOracleArgs(['--release', '6.12', '--out', 'x.json']);
    expect(one).toMatchObject({ releases: ['6.12.118'], out: resolve('x.json') });
    expect(resolveRelease('6.12.111')).toBe('6.12.111');
    expect(resolveRelease(' 6.12.111'.trim())).toBe('6.12.111');
    expect(() => resolveRelease('6.12.11')).toThrow(
      /unknown release '6.12.11' \(one of: 6.12.107, .*6.12.118, 6.12\)/,
    );
  });

  it('gives each release its own kernel, work directory, agent files and golden file', () => {
    const paths = RELEASES.map((r) => releasePaths('/c', r.name));
    expect(releasePaths('/c', '6.12.117')).toMatchObject({
      kernel: '/c/kernels/6.12.117/linux.uml',
      work: '/c/work/6.12.117',
      checked: '/c/work/linux-6.12.117.json',
    });
    expect(releasePaths('/c', '6.12.117').shard(3)).toBe('6.12.117-3');
    expect(releasePaths('/c', '6.12.117').shard('r2')).toBe('6.12.117-r2');
    for (const key of ['kernel', 'work', 'checked'] as const)
      expect(new Set(paths.map((p) => p[key])).size).toBe(RELEASES.length);
    expect(new Set(paths.map((p) => p.shard(0))).size).toBe(RELEASES.length);
    expect(goldenPath('6.12.107')).toBe('properties/oracle/golden/linux-6.12.107.json');
  });

  it('accepts the kernel of a golden file only if uname -r is the release', () => {
    expect(kernelIsRelease('6.12.117 x86_64', '6.12.117')).toBe(true);
    expect(kernelIsRelease('6.12.117', '6.12.117')).toBe(true);
    expect(kernelIsRelease('6.12.117-amd64 x86_64', '6.12.117')).toBe(true);
    expect(kernelIsRelease('6.12.117 x86_64', '6.12.11')).toBe(false);
    expect(kernelIsRelease('6.12.118 x86_64', '6.12.117')).toBe(false);
    expect(kernelIsRelease('', '6.12.117')).toBe(false);
  });

  it('checks against the golden files, writing none, on --check', () => {
    expect(parseOracleArgs(['--check', '--release', '6.12.117'])).toMatchObject({
      check: true,
      out: null,
      releases: ['6.12.117'],
    });
    expect(parseOracleArgs([])).toMatchObject({ check: false });
  });

  it('names what a fresh recording changed: kernel, corpus size, each case', () => {
    const observed = { ops: [], size: 0, contents: '', extents: '' } as unknown as Observation;
    const file = (kernel: string, cases: GoldenCase[]): GoldenFile => ({
      format: 'diocheck-oracle-golden',
      kernel,
      corpus: cases.length,
      cases,
    });
    const a = { id: 1, name: 'a', observed };
    const b = { id: 2, name: 'b', observed };
    const b2 = { id: 2, name: 'b', observed: { ...observed, size: 512 } };
    const c = { id: 3, name: 'c', observed };
    expect(goldenChanges(file('6.12.117 x86_64', [a, b]), file('6.12.117 x86_64', [a, b]))).toEqual([]);
    expect(goldenChanges(null, file('6.12.117 x86_64', [a]))).toEqual(['no golden file recorded']);
    expect(goldenChanges(file('6.12.117 x86_64', [a, b]), file('6.12.118 x86_64', [b2, c]))).toEqual([
      'kernel: recorded 6.12.117 x86_64, now 6.12.118 x86_64',
      'case 2 b: differs',
      'case 3 c: not recorded',
      'case 1 a: no longer in the corpus',
    ]);
  });

  it('lists the golden files present by release', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diocheck-golden-'));
    try {
      mkdirSync(join(dir, GOLDEN_DIR), { recursive: true });
      for (const f of ['linux-6.12.118.json', 'linux-6.12.107.json', 'notes.txt', 'linux-6.12.json.orig'])
        writeFileSync(join(dir, GOLDEN_DIR, f), '');
      expect(goldenReleases(dir)).toEqual(['6.12.107', '6.12.118']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('build-kernel.sh', () => {
  const script = fileURLToPath(new URL('./oracle/build-kernel.sh', import.meta.url));

  it('answers an unknown release or a missing argument with one line and exit 2, before touching the cache', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diocheck-build-'));
    try {
      const r = spawnSync('bash', [script, join(dir, 'cache'), '6.12.116'], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(
        `oracle: unknown release '6.12.116' (one of: ${RELEASES.map((x) => x.name).join(' ')})\n`,
      );
      expect(existsSync(join(dir, 'cache'))).toBe(false);
      const dotted = spawnSync('bash', [script, join(dir, 'cache'), '6x12x117'], { encoding: 'utf8' });
      expect(dotted.status).toBe(2);
      const none = spawnSync('bash', [script, join(dir, 'cache')], { encoding: 'utf8' });
      expect(none.status).toBe(2);
      expect(none.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a package whose source tree is another release, and keeps no tree or kernel of it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diocheck-deb-'));
    try {
      // A linux-source-6.12 package as Debian lays it out, holding a 6.12.99 tree.
      const pkg = join(dir, 'pkg');
      const make = [
        `mkdir -p ${pkg}/DEBIAN ${pkg}/usr/src ${dir}/t/linux-source-6.12`,
        `printf 'VERSION = 6\\nPATCHLEVEL = 12\\nSUBLEVEL = 99\\nEXTRAVERSION =\\n' > ${dir}/t/linux-source-6.12/Makefile`,
        `tar -C ${dir}/t -cJf ${pkg}/usr/src/linux-source-6.12.tar.xz linux-source-6.12`,
        `printf 'Package: linux-source-6.12\\nVersion: 6.12.99-1\\nArchitecture: all\\nMaintainer: t <t@t>\\nDescription: t\\n' > ${pkg}/DEBIAN/control`,
        `dpkg-deb -b ${pkg} ${dir}/fake.deb`,
      ].join(' && ');
      expect(spawnSync('bash', ['-c', make], { encoding: 'utf8' }).status).toBe(0);
      const cache = join(dir, 'cache');
      const env = { ...process.env, DIOCHECK_KSRC_DEB: join(dir, 'fake.deb') };
      const r = spawnSync('bash', [script, cache, '6.12.117'], { encoding: 'utf8', env });
      expect(r.status).toBe(1);
      expect(r.stderr.split('\n')).toContain(
        'oracle: the source tree is Linux 6.12.99, not 6.12.117 (package 6.12.117-1~deb12u1); removed it',
      );
      expect(existsSync(join(cache, 'kernels', '6.12.117', 'src'))).toBe(false);
      expect(existsSync(join(cache, 'kernels', '6.12.117', 'linux.uml'))).toBe(false);
      writeFileSync(join(dir, 'junk.deb'), 'not a package');
      const junk = spawnSync('bash', [script, cache, '6.12.117'], {
        encoding: 'utf8',
        env: { ...process.env, DIOCHECK_KSRC_DEB: join(dir, 'junk.deb') },
      });
      expect(junk.status).toBe(1);
      expect(junk.stderr).toContain('holds no linux-source-6.12 tree');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pins every release to its Debian package version (read from model/kernel/releases.ts)', () => {
    const text = readFileSync(script, 'utf8');
    expect(text).toContain('apt-get download "linux-source-$series=$debian"');
    expect(text).toContain('SUBLEVEL');
    // Where oracle.ts looks for the kernel (releasePaths) is where the script keeps it.
    expect(text).toContain('kdir="$cache/kernels/$release"');
    expect(text).toContain('kbin="$kdir/linux.uml"');
  });
});

describe('the agent corpus', () => {
  it('writes written blocks, then the size, then unwritten blocks, the fault plan, the ops and the end', () => {
    expect(caseLines(CASE)).toEqual([
      'S 7 3 xfs 4096',
      'M 0 12288 11776',
      'Z 11776',
      'U 16384 8192',
      'F 1 1',
      'O 1 dio_write 4096 512 512 10 1',
      'O 2 truncate 5000 0 0 0 0',
      'O 3 mmap_read 0 0 0 0 0',
      'E 49152',
    ]);
  });

  it('puts a power-loss case on its dm-log-writes device, with the mark before the end', () => {
    const crash: OracleCase = {
      ...CASE,
      blockSize: 1024,
      powerLoss: true,
      failFirstBio: false,
      ops: [{ kind: 'fsync' }],
    };
    expect(scsiDebugLines()).toEqual(['K 7 sda', 'K 8 sdb']);
    expect(logWritesLines()).toEqual(['L 9 9 12', 'L 10 10 13', 'L 11 11 14']);
    expect(caseLines(crash)).toEqual([
      'S 7 10 xfs 1024',
      'M 0 12288 11776',
      'Z 11776',
      'U 16384 8192',
      'T',
      'O 1 fsync 0 0 0 0 0',
      'P',
      'E 12288',
    ]);
    expect(powerLossMark(crash)).toBe('pl7');
    expect(recoveryLine(crash, 3, 1)).toBe('R 7 3 xfs 12288 1');
  });

  it('refuses what user space cannot ask for', () => {
    const inline: OracleCase = { ...CASE, extents: [{ offset: 0, length: 4096, type: 'inline' }] };
    expect(() => caseLines(inline)).toThrow(/cannot build a inline extent/);
    const partial: OracleCase = {
      ...CASE,
      ops: [{ kind: 'dio_write', pos: 0, len: 4096, dioFlags: ['partial'] }],
    };
    expect(() => caseLines(partial)).toThrow(/not reachable from user space/);
    const bs: OracleCase = { ...CASE, fs: 'ext4', blockSize: 512 };
    expect(() => caseLines(bs)).toThrow(/no image for ext4 with 512-byte blocks/);
  });

  it('makes XFS with 512-byte blocks as a V4 filesystem, tells XFS the sector size, and ext4 without discarding the image', () => {
    const xfs512 = mkfsCommand({ fs: 'xfs', blockSize: 512, sectorSize: 512 }, 'i');
    expect(xfs512).toEqual(['mkfs.xfs', '-q', '-f', '-b', 'size=512', '-s', 'size=512', '-m', 'crc=0', 'i']);
    expect(mkfsCommand({ fs: 'xfs', blockSize: 4096, sectorSize: 4096 }, 'i')).toEqual([
      'mkfs.xfs',
      '-q',
      '-f',
      '-b',
      'size=4096',
      '-s',
      'size=4096',
      'i',
    ]);
    const ext4 = mkfsCommand({ fs: 'ext4', blockSize: 1024, sectorSize: 512 }, 'i');
    expect(ext4.slice(3, 5)).toEqual(['-E', 'nodiscard,lazy_itable_init=0,lazy_journal_init=0']);
  });

  it('turns the whole corpus into agent lines', () => {
    for (const c of generateCorpus()) expect(caseLines(c).length).toBeGreaterThan(2);
  });
});

describe('observations', () => {
  it('names bios by file offset and flags, collapses flushes and leaves other metadata out', () => {
    expect(parseRwbs('FWFS')).toEqual({ write: true, fua: true, preflush: true });
    expect(parseRwbs('RA')).toEqual({ write: false, fua: false, preflush: false });
    const map = [[0, 1 << 20, 8192] as const];
    const bio = (addr: number, bytes: number, rwbs: string) => ({ addr, bytes, ...parseRwbs(rwbs) });
    const bios = [
      bio((1 << 20) + 4096, 512, 'WS'),
      bio(0, 0, 'FWS'),
      bio(64 << 20, 4096, 'FWFSM'),
      bio(65 << 20, 4096, 'WM'),
      bio((1 << 20) + 512, 1024, 'WFS'),
      bio(1 << 20, 4096, 'R'),
    ];
    expect(bioTokens(bios, map)).toBe('w4096+512 flush w512+1024F r0+4096');
  });

  it('compresses sector tokens and block states into runs', () => {
    expect(compressTokens(['0.0', '0.1', '0.2', 'z', 'z', '1.5', 's', '1.7'])).toBe('0.0-2 z*2 1.5 s 1.7');
    expect(compressBlocks(['W', 'W', 'U', 'H', 'H', 'H'])).toBe('W2U1H3');
  });

  it('reads an agent record: whole sectors only, the mmap page reduced to the EOF block, FIEMAP flags', () => {
    const real = observeReal(
      { ...CASE, blockSize: 1024, failFirstBio: false },
      {
        id: 7,
        setup: true,
        ops: [
          {
            id: 1,
            ret: 700,
            data: '1.0 u',
            bios: [
              [2049, 1, 'WS'],
              [0, 0, 'FWS'],
            ],
          },
          { id: 2, ret: 0 },
          { id: 3, ret: 4096, pos: 4096, size: 5000, data: '0.8 0.9 z z u u u u' },
        ],
        size: 5000,
        final: 5000,
        contents: '0.0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 z',
        extents: [
          [0, 3072, 0, 1 << 20],
          [4096, 1024, 0x800],
          [6144, 1024, 0x4 | 0x2],
        ],
      },
    );
    expect(real.ops).toEqual([
      { id: 1, ret: 700, data: '1.0', bios: 'w512+512 flush' },
      { id: 2, ret: 0 },
      { id: 3, ret: 1024, data: '0.8-9' },
    ]);
    expect(real.contents).toBe('0.0-8');
    expect(real.extents).toBe('W3H1U1H1D1H5');
  });

  it('reports a record the agent could not set up, naming the case', () => {
    expect(() => observeReal(CASE, { id: 7, setup: true, ops: [{ setupError: 'fallocate 28' }] })).toThrow(
      /^case 7: setup failed/,
    );
    expect(() => observeReal(CASE, { id: 7, fatal: 'mount xfs: EINVAL' })).toThrow(
      'case 7: mount xfs: EINVAL',
    );
  });

  it('observes the model the same way', () => {
    const o = observeModel({
      ...CASE,
      ops: [{ kind: 'dio_write', pos: 4096, len: 512 }],
      failFirstBio: false,
    });
    expect(o.ops).toEqual([{ id: 1, ret: 512, bios: 'w4096+512' }]);
    expect(o.size).toBe(CASE.iSize);
    expect(o.contents).toBe('0.0-7 1.0 0.9-22');
    expect(o.extents).toBe('W3H1U2H6');
  });
});

describe('dm-log-writes logs', () => {
  /** A log as the target writes it: super block, then header + data per entry, 512-byte sectors. */
  function writeLog(
    path: string,
    entries: Array<{ sector: number; data?: Buffer; flags: number; mark?: string }>,
  ) {
    const parts: Buffer[] = [];
    const sb = Buffer.alloc(512);
    sb.writeBigUInt64LE(0x6a736677736872n, 0);
    sb.writeBigUInt64LE(1n, 8);
    sb.writeBigUInt64LE(BigInt(entries.length), 16);
    sb.writeUInt32LE(512, 24);
    parts.push(sb);
    for (const e of entries) {
      const h = Buffer.alloc(512);
      const sectors = e.data === undefined ? 0 : e.data.length / 512;
      h.writeBigUInt64LE(BigInt(e.sector), 0);
      h.writeBigUInt64LE(BigInt(sectors), 8);
      h.writeBigUInt64LE(BigInt(e.flags), 16);
      h.writeBigUInt64LE(BigInt(e.mark?.length ?? e.data?.length ?? 0), 24);
      if (e.mark !== undefined) h.write(e.mark, 32, 'latin1');
      parts.push(h);
      if (e.data !== undefined) parts.push(e.data);
    }
    writeFileSync(path, Buffer.concat(parts));
  }

  it('replays every write before a mark onto the image, and nothing after it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diocheck-lw-'));
    try {
      const logPath = join(dir, 'log.img');
      writeLog(logPath, [
        { sector: 2, data: Buffer.alloc(1024, 0x11), flags: 0 },
        { sector: 0, flags: 1 },
        { sector: 0, flags: 8, mark: 'pl1' },
        { sector: 4, data: Buffer.alloc(512, 0x22), flags: 2 },
        { sector: 0, flags: 8, mark: 'pl2' },
      ]);
      const log = readWriteLog(logPath);
      expect(log.entries.map((e) => e.mark)).toEqual([null, null, 'pl1', null, 'pl2']);
      const image = join(dir, 'image');
      writeFileSync(image, Buffer.alloc(4096));
      expect(replayToMark(logPath, log, 'pl1', image)).toBe(true);
      const one = readFileSync(image);
      expect([one[1023], one[1024], one[2047], one[2048]]).toEqual([0, 0x11, 0x11, 0]);
      expect(replayToMark(logPath, log, 'pl2', image)).toBe(true);
      expect(readFileSync(image)[2048]).toBe(0x22);
      expect(replayToMark(logPath, log, 'pl9', image)).toBe(false);
      writeLog(join(dir, 'points.img'), [
        { sector: 0, flags: 8, mark: 'st1' },
        { sector: 2, data: Buffer.alloc(512, 1), flags: 0 },
        { sector: 0, flags: 1 },
        { sector: 3, data: Buffer.alloc(512, 2), flags: 2 },
        { sector: 4, data: Buffer.alloc(512, 3), flags: 0 },
        { sector: 5, data: Buffer.alloc(512, 4), flags: 2 },
        { sector: 0, flags: 8, mark: 'pl1' },
      ]);
      const points = readWriteLog(join(dir, 'points.img'));
      // After the flush and the FUA write next to it (one run), and after the second FUA write.
      expect(durabilityPoints(points, 'st1', 'pl1')).toEqual([4, 6]);
      expect(durabilityPoints(points, 'st1', 'pl9')).toBeNull();
      writeFileSync(join(dir, 'bad'), Buffer.alloc(1024));
      expect(() => readWriteLog(join(dir, 'bad'))).toThrow(/not a dm-log-writes log/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
