/**
 * The standard small scopes: XFS scenarios small enough to explore to completion in CI, each with
 * the fault classes it turns on, its fault budget and whether power may fail. Together they cover
 * the shapes the seed's bugs live in: a dio split into several bios, an O_DSYNC write that needs a
 * conversion and a log force, two requests in flight at once, an async completion in the
 * workqueue, and an extending write made durable by fsync.
 *
 * Every scope runs on a 256 KiB device with a volatile write cache and 4 KiB logical blocks (so a
 * crash image has one choice per 4 KiB block), and XFS with 4 KiB blocks; BIO_MAX_VECS 1 makes
 * every page its own bio.
 */
import { NO_FAULTS, type FaultProfile } from '../../model/runtime/faults.ts';
import type { ExtentSpec, OpSpec, Scenario } from '../../model/world/scenario.ts';
import { hole, KiB, unwritten, written } from '../../model/world/extents.ts';

export interface Scope {
  readonly name: string;
  readonly what: string;
  readonly scenario: Scenario;
  /** Fault classes the model may ask about (interleave is always on). */
  readonly faults: FaultProfile;
  /** Fault budget (--max-faults). */
  readonly maxFaults: number;
  /** Power loss at every crash point, and every crash image there (--crash). */
  readonly crash: boolean;
}

function xfs(
  extents: readonly ExtentSpec[],
  iSize: number,
  threads: ReadonlyArray<readonly OpSpec[]>,
  model: 'xfs' | 'ext4' = 'xfs',
): Scenario {
  return {
    device: { logicalBlockSize: 4096, fua: false, writeCache: true, sectors: DISK_SECTORS },
    fs: { model, blockSize: 4096, iSize, extents },
    bioMaxVecs: 1,
    threads,
  };
}

/** The same world on the model ext4 (spec/ext4.md). */
function ext4(
  extents: readonly ExtentSpec[],
  iSize: number,
  threads: ReadonlyArray<readonly OpSpec[]>,
): Scenario {
  return xfs(extents, iSize, threads, 'ext4');
}

/** 256 KiB: room for the file and the log, and a small media array to fingerprint. */
const DISK_SECTORS = 512;

const faults = (on: Partial<FaultProfile>): FaultProfile => ({ ...NO_FAULTS, interleave: true, ...on });

export const SCOPES: readonly Scope[] = [
  {
    name: 'overwrite-two-bios',
    what: 'an 8 KiB direct overwrite split into two bios, one of them failing or cut short by a page fault',
    scenario: xfs([written(0, 8 * KiB)], 8 * KiB, [[{ kind: 'dio_write', pos: 0, len: 8 * KiB }]]),
    faults: faults({ bioErrors: true, pageFaults: true }),
    maxFaults: 1,
    crash: false,
  },
  {
    name: 'dsync-unwritten-crash',
    what: 'an O_DSYNC write into an unwritten extent: conversion, log force, and power loss anywhere',
    scenario: xfs([written(0, 4 * KiB), unwritten(4 * KiB, 4 * KiB)], 8 * KiB, [
      [{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }],
    ]),
    faults: faults({ bioErrors: true }),
    maxFaults: 1,
    crash: true,
  },
  {
    name: 'two-async-writes',
    what: 'two async (aio) writes of different blocks in flight at once, completed in any order in the workqueue',
    scenario: xfs([written(0, 8 * KiB)], 8 * KiB, [
      [
        { kind: 'dio_write', pos: 0, len: 4 * KiB, async: true },
        { kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, async: true },
      ],
    ]),
    faults: faults({ reorder: true }),
    maxFaults: 0,
    crash: false,
  },
  {
    name: 'async-write-read',
    what: 'an async write into an unwritten block racing a direct read of it from a second thread',
    scenario: xfs([written(0, 4 * KiB), unwritten(4 * KiB, 4 * KiB)], 8 * KiB, [
      [{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, async: true }],
      [{ kind: 'dio_read', pos: 4 * KiB, len: 4 * KiB }],
    ]),
    faults: faults({}),
    maxFaults: 0,
    crash: false,
  },
  {
    name: 'extend-fsync-crash',
    what: 'a write that extends the file into a hole, fsync, and power loss anywhere with any cache image',
    scenario: xfs([written(0, 4 * KiB), hole(4 * KiB, 12 * KiB)], 4 * KiB, [
      [{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB }, { kind: 'fsync' }],
    ]),
    faults: faults({ bioErrors: true, destage: true }),
    maxFaults: 1,
    crash: true,
  },
  {
    name: 'ext4-extend-fsync-crash',
    what: 'on ext4: a write that extends the file into a hole (written blocks, an orphan, i_disksize at end_io), fsync, and power loss anywhere with any cache image',
    scenario: ext4([written(0, 4 * KiB), hole(4 * KiB, 12 * KiB)], 4 * KiB, [
      [{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB }, { kind: 'fsync' }],
    ]),
    faults: faults({ bioErrors: true, destage: true }),
    maxFaults: 1,
    crash: true,
  },
  {
    name: 'ext4-dsync-unwritten-crash',
    what: 'on ext4: an O_DSYNC write into an unwritten extent: conversion at end_io, the jbd2 commit, and power loss anywhere',
    scenario: ext4([written(0, 4 * KiB), unwritten(4 * KiB, 4 * KiB)], 8 * KiB, [
      [{ kind: 'dio_write', pos: 4 * KiB, len: 4 * KiB, iocbFlags: ['dsync'] }],
    ]),
    faults: faults({ bioErrors: true }),
    maxFaults: 1,
    crash: true,
  },
];

export function scopeByName(name: string): Scope | undefined {
  return SCOPES.find((s) => s.name === name);
}

/** The fault profile a scope explores: its classes, and power loss when it crashes. */
export function scopeFaults(scope: Scope): FaultProfile {
  return { ...scope.faults, ...(scope.crash ? { powerLoss: true } : {}) };
}
