/**
 * The fixed scripted scenarios the atomicity test runs: sync, aio and io_uring (caller completion)
 * reads and writes, bio errors, a bio failing inside submit_bio, short page-gets, polled and
 * NOWAIT requests, O_DSYNC, and a truncate waiting in inode_dio_wait; each on the model XFS
 * (its ->iomap_begin and ->end_io) or on the scripted filesystem (->submit_io).
 *
 * Each runs under a pinned choice stream: `choices` answers the questions in order (past its end
 * every answer is 0), and `interleave` turns scheduling questions on. Streams that move the
 * device ahead of the submitter reach the orders where a completion, not the submitter, drops the
 * last reference, and the reverse.
 */
import { NO_FAULTS, type FaultProfile } from '../../model/runtime/faults.ts';
import { hole, KiB, unwritten, written } from '../../model/world/extents.ts';
import type { OpSpec, Scenario } from '../../model/world/scenario.ts';

export interface AtomicityScenario {
  readonly name: string;
  readonly scenario: Scenario;
  readonly faults: FaultProfile;
  /** Pinned answers, in order; 0 past the end. */
  readonly choices: readonly number[];
}

function xfs(
  threads: ReadonlyArray<readonly OpSpec[]>,
  extents = [written(0, 16 * KiB)],
  iSize = 16 * KiB,
): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: false, writeCache: true, sectors: 2048 },
    fs: { model: 'xfs', blockSize: 4096, iSize, extents },
    bioMaxVecs: 1,
    threads,
  };
}

/** The same layout on the model ext4 (its ->iomap_begin, ->iomap_end and ->end_io). */
function ext4(
  threads: ReadonlyArray<readonly OpSpec[]>,
  extents = [written(0, 16 * KiB)],
  iSize = 16 * KiB,
): Scenario {
  const s = xfs(threads, extents, iSize);
  return { ...s, fs: { ...s.fs, model: 'ext4' } };
}

function scripted(threads: ReadonlyArray<readonly OpSpec[]>, fs: Partial<Scenario['fs']> = {}): Scenario {
  return {
    device: { logicalBlockSize: 512, fua: true, writeCache: true, sectors: 2048 },
    fs: {
      model: 'scripted',
      blockSize: 4096,
      iSize: 16 * KiB,
      extents: [{ offset: 0, length: 16 * KiB, type: 'mapped', addr: 64 * KiB }],
      submitIo: true,
      readEndIo: true,
      ...fs,
    },
    bioMaxVecs: 1,
    threads,
  };
}

const f = (on: Partial<FaultProfile>): FaultProfile => ({ ...NO_FAULTS, ...on });
const PLAIN = NO_FAULTS;
const INTERLEAVE = f({ interleave: true });

const R = (pos: number, len: number, more: Partial<OpSpec & { kind: 'dio_read' }> = {}): OpSpec => ({
  kind: 'dio_read',
  pos,
  len,
  ...more,
});
const W = (pos: number, len: number, more: Partial<OpSpec & { kind: 'dio_write' }> = {}): OpSpec => ({
  kind: 'dio_write',
  pos,
  len,
  ...more,
});

/** Base scenarios; each is run with the stream as given and with the interleavings of `ORDERS`. */
const BASE: ReadonlyArray<Omit<AtomicityScenario, 'choices'> & { readonly choices?: readonly number[] }> = [
  { name: 'sync-read-2bios', scenario: xfs([[R(0, 8 * KiB)]]), faults: PLAIN },
  { name: 'sync-write-2bios', scenario: xfs([[W(0, 8 * KiB)]]), faults: PLAIN },
  {
    name: 'sync-write-unwritten-extending',
    scenario: xfs([[W(8 * KiB, 8 * KiB)]], [written(0, 8 * KiB), unwritten(8 * KiB, 8 * KiB)], 8 * KiB),
    faults: PLAIN,
  },
  { name: 'aio-read-2bios', scenario: xfs([[R(0, 8 * KiB, { async: true })]]), faults: PLAIN },
  {
    name: 'aio-write-unwritten',
    scenario: xfs([[W(0, 8 * KiB, { async: true })]], [unwritten(0, 16 * KiB)]),
    faults: PLAIN,
  },
  {
    name: 'aio-write-dsync',
    scenario: xfs([[W(0, 4 * KiB, { async: true, iocbFlags: ['dsync'] })]]),
    faults: PLAIN,
  },
  {
    name: 'uring-write-caller-comp',
    scenario: xfs([[W(0, 4 * KiB, { async: true, iocbFlags: ['caller_comp'] })]]),
    faults: PLAIN,
  },
  {
    name: 'uring-read-polled',
    scenario: xfs([[R(0, 4 * KiB, { async: true, iocbFlags: ['hipri'] })]]),
    faults: PLAIN,
  },
  {
    name: 'uring-read-polled-nowait',
    scenario: xfs([[R(0, 4 * KiB, { async: true, iocbFlags: ['hipri', 'nowait'] })]]),
    faults: f({ wouldBlock: true }),
    choices: [1],
  },
  {
    name: 'uring-write-polled-caller-comp',
    scenario: xfs([[W(0, 4 * KiB, { async: true, iocbFlags: ['hipri', 'caller_comp'] })]]),
    faults: PLAIN,
  },
  {
    name: 'sync-write-dsync-fua',
    scenario: {
      ...xfs([[W(0, 4 * KiB, { iocbFlags: ['dsync'] })]]),
      device: { logicalBlockSize: 512, fua: true, writeCache: true, sectors: 2048 },
    },
    faults: PLAIN,
  },
  {
    name: 'aio-read-bio-error',
    scenario: xfs([[R(0, 8 * KiB, { async: true })]]),
    faults: f({ bioErrors: true }),
    choices: [1, 0],
  },
  {
    name: 'sync-write-bio-error',
    scenario: xfs([[W(0, 8 * KiB)]]),
    faults: f({ bioErrors: true }),
    choices: [0, 1],
  },
  {
    name: 'aio-write-submit-fails',
    scenario: xfs([[W(0, 8 * KiB, { async: true })]]),
    faults: f({ submitErrors: true }),
    choices: [0, 1],
  },
  {
    name: 'sync-read-short-page-get',
    scenario: xfs([[R(0, 8 * KiB, { dioFlags: ['partial'] })]]),
    faults: f({ pageFaults: true }),
    choices: [0, 1, 0],
  },
  {
    name: 'sync-read-page-fault',
    scenario: xfs([[R(0, 8 * KiB)]]),
    faults: f({ pageFaults: true }),
    choices: [0, 1, 0],
  },
  {
    name: 'aio-write-page-fault',
    scenario: xfs([[W(0, 8 * KiB, { async: true })]]),
    faults: f({ pageFaults: true }),
    choices: [0, 1, 0],
  },
  {
    name: 'aio-write-subblock-unwritten',
    scenario: xfs(
      [[W(4 * KiB + 512, 1024, { async: true })]],
      [written(0, 4 * KiB), unwritten(4 * KiB, 12 * KiB)],
    ),
    faults: PLAIN,
  },
  {
    name: 'ext4-sync-write-unwritten-extending',
    scenario: ext4([[W(8 * KiB, 8 * KiB)]], [written(0, 8 * KiB), unwritten(8 * KiB, 8 * KiB)], 8 * KiB),
    faults: PLAIN,
  },
  {
    name: 'ext4-aio-write-unwritten',
    scenario: ext4([[W(0, 8 * KiB, { async: true })]], [unwritten(0, 16 * KiB)]),
    faults: PLAIN,
  },
  {
    name: 'ext4-aio-write-extending',
    scenario: ext4([[W(8 * KiB, 4 * KiB, { async: true })]], [written(0, 16 * KiB)], 8 * KiB),
    faults: PLAIN,
  },
  {
    name: 'aio-write-extending',
    scenario: xfs([[W(8 * KiB, 4 * KiB, { async: true })]], [written(0, 16 * KiB)], 8 * KiB),
    faults: PLAIN,
  },
  { name: 'ext4-sync-read', scenario: ext4([[R(0, 8 * KiB)]]), faults: PLAIN },
  {
    name: 'sync-read-hole',
    scenario: xfs([[R(0, 16 * KiB)]], [written(0, 4 * KiB), hole(4 * KiB, 12 * KiB)]),
    faults: PLAIN,
  },
  { name: 'sync-read-past-eof', scenario: xfs([[R(16 * KiB, 4 * KiB)]]), faults: PLAIN },
  {
    name: 'scripted-inline',
    scenario: scripted([[W(0, 1024), R(0, 2048)]], {
      iSize: 0,
      extents: [{ offset: 0, length: 2 * KiB, type: 'inline', inlineOffsetInPage: 1024 }],
    }),
    faults: PLAIN,
  },
  { name: 'scripted-notblk', scenario: scripted([[W(0, 8 * KiB)]], { notblkFrom: 4 * KiB }), faults: PLAIN },
  {
    name: 'scripted-submit-io',
    scenario: scripted([[R(0, 8 * KiB)], [W(8 * KiB, 8 * KiB, { async: true })]]),
    faults: PLAIN,
  },
  {
    // The scripted filesystem as a whole filesystem (FsSpec.generic, model/fs/genericCaller.ts): an
    // extending aio write into unwritten blocks, whose ->end_io converts and grows i_size, beside
    // a read of the old EOF.
    name: 'generic-aio-write-unwritten-extending',
    scenario: scripted([[W(8 * KiB, 8 * KiB, { async: true })], [R(0, 8 * KiB)]], {
      generic: true,
      iSize: 8 * KiB,
      submitIo: false,
      readEndIo: false,
      extents: [
        { offset: 0, length: 8 * KiB, type: 'mapped', addr: 64 * KiB },
        { offset: 8 * KiB, length: 8 * KiB, type: 'unwritten', addr: 72 * KiB },
      ],
    }),
    faults: PLAIN,
  },
  {
    // Its IOMAP_DIO_PARTIAL resume loop: a page not resident ends the first call, the loop faults
    // it in and calls again with done_before.
    name: 'generic-sync-read-resumed',
    scenario: scripted([[R(0, 8 * KiB, { dioFlags: ['partial'] })]], {
      generic: true,
      submitIo: false,
      readEndIo: false,
    }),
    faults: f({ pageFaults: true }),
    choices: [2, 0, 0, 0],
  },
  {
    name: 'aio-write-then-truncate',
    scenario: xfs([[W(0, 8 * KiB, { async: true }), { kind: 'truncate', size: 4 * KiB }]]),
    faults: PLAIN,
  },
];

/**
 * Interleavings run on top of each base stream (scheduling questions on): 0 the plain order,
 * then streams that pick the device, or the last runnable context, early.
 */
const ORDERS: readonly (readonly number[])[] = [
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  [0, 0, 1, 0, 1, 0, 1, 0, 2, 0, 1, 2, 1, 0, 1],
  [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
];

export const SCENARIOS: readonly AtomicityScenario[] = BASE.flatMap((b) => {
  const plain: AtomicityScenario = {
    name: b.name,
    scenario: b.scenario,
    faults: b.faults,
    choices: b.choices ?? [],
  };
  // Interleaved variants only where no fault question competes for the stream.
  if (b.choices !== undefined) return [plain];
  return [
    plain,
    ...ORDERS.map((o, i) => ({
      name: `${b.name}~${i + 1}`,
      scenario: b.scenario,
      faults: { ...b.faults, ...INTERLEAVE },
      choices: o,
    })),
  ];
});
