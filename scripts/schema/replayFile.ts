/**
 * The replay file's format, stated once: the zod schema that properties/replay/replayFile.ts reads
 * every replay file through, and that generate.ts turns into spec/schema/replay-file.schema.json.
 *
 * What a schema cannot say stays here as refinements, not in a second validator: a choice's
 * answer below its arity, a filesystem block no smaller than the device's logical block, an
 * invariant ID of the registry (spec/invariants.md), a bug of the planted-bug catalogue. The JSON
 * Schema states the kernel settings (an enum) and leaves the catalogue lookups to the reader.
 */
import { z } from 'zod';
import type { RecordedChoice } from '../../model/runtime/choice.ts';
import type { FaultProfile } from '../../model/runtime/faults.ts';
import { KERNEL_VERSIONS, type KernelVersion } from '../../model/kernel/ops.ts';
import type { Scenario } from '../../model/world/scenario.ts';
import { bugByName } from '../../model/bugs/catalogue.ts';
import { invariantById } from '../../properties/invariants/registry.ts';
import type { ReplayFile } from '../../properties/replay/replayFile.ts';
import {
  anyText,
  array,
  bool,
  date,
  type Fits,
  firstProblem,
  int,
  must,
  object,
  oneOf,
  oneOfNumbers,
  text,
} from './fields.ts';

export const REPLAY_FORMAT = 'diocheck-replay';
export const REPLAY_VERSION = 1;

/** What a regression expects of a replay: the recorded invariant broken, or a pass. */
export const REPLAY_EXPECTS = ['pass', 'violation'] as const;
export type ReplayExpect = (typeof REPLAY_EXPECTS)[number];

export const CONFIRMATION_VERDICTS = ['confirmed', 'refuted', 'not-confirmable'] as const;

/** The filesystem block sizes a scenario may have (the campaign's and the oracle's). */
export const FS_BLOCK_SIZES = [512, 1024, 2048, 4096] as const;

/** The exact kernel settings a file may name: `seed` and each release (never an alias such as 6.12). */
const KERNEL_SETTINGS = Object.keys(KERNEL_VERSIONS) as [KernelVersion, ...KernelVersion[]];

// ---------------------------------------------------------------------------------------------
// The scenario (model/world/scenario.ts).

const device = object({
  logicalBlockSize: oneOfNumbers([512, 4096]),
  fua: bool(),
  writeCache: bool().describe('A volatile write cache (flushes and FUA matter)'),
  dmaAlignment: int(0).optional().describe('dma_alignment mask (default 511)'),
  sectors: int(1).optional().describe('Capacity in 512-byte sectors (default 4096)'),
});

const extent = object({
  offset: int(0).describe('File offset in bytes'),
  length: int(1),
  type: oneOf(['hole', 'delalloc', 'mapped', 'unwritten', 'inline']),
  flags: array(oneOf(['new', 'dirty', 'shared'])).optional(),
  addr: int(-1).optional().describe('Disk address of `offset` in bytes (mapped and unwritten extents)'),
  inlineOffsetInPage: int(0).optional(),
});

/** The filesystem behaviours a scenario may set (the scripted filesystem's; XFS and ext4 have their own). */
const fsBehaviour = {
  endIo: bool().optional().describe('The filesystem passes a dio end_io for writes (default true)'),
  readEndIo: bool().optional().describe('It passes one for reads too (default false)'),
  endIoMaySleep: bool().optional().describe('end_io sleeps when it has work (default true)'),
  fsyncErrno: int(1).optional().describe('->fsync fails with this errno instead of succeeding'),
  sizeDirtyRule: oneOf(['in-core', 'on-disk']).optional(),
  bioSet: bool().optional().describe("Scripted provider: a bio_set of the filesystem's own"),
  submitIo: bool().optional().describe('Scripted provider: a ->submit_io hook'),
  submitIoDeferred: bool().optional().describe('Scripted provider: ->submit_io defers to a worker'),
  notblkFrom: int(0).optional().describe('Scripted provider: a write gets -ENOTBLK from this offset on'),
  generic: bool()
    .optional()
    .describe('Scripted provider: behave as a filesystem whose file has data (model/world/scriptedFs.ts)'),
};

/** The filesystem behaviours a scenario may set: confirm refuses a file that sets one (not XFS). */
export const FS_BEHAVIOUR_FIELDS = Object.keys(fsBehaviour) as (keyof typeof fsBehaviour)[];

const fs = object({
  model: oneOf(['xfs', 'ext4', 'scripted']).optional().describe('Who answers ->iomap_begin (default xfs)'),
  blockSize: oneOfNumbers(FS_BLOCK_SIZES).describe('A multiple of the logical block size'),
  iSize: int(0),
  extents: array(extent),
  pageCache: array(object({ index: int(0), dirty: bool() }))
    .optional()
    .describe("Cached pages of the file (their contents are the file's)"),
  leftovers: array(oneOf(['eof-tail', 'past-eof', 'unwritten', 'free']))
    .optional()
    .describe('What the disk holds at mount besides the file data (model/world/scenario.ts Leftover)'),
  ...fsBehaviour,
});

const IOCB_FLAGS = ['dsync', 'sync', 'nowait', 'hipri', 'caller_comp'] as const;
const DIO_FLAGS = ['force_wait', 'overwrite_only', 'partial'] as const;

/** The operation kinds, by the fields they take. */
const DIO_KINDS = ['dio_read', 'dio_write'] as const;
const PLAIN_KINDS = ['fsync', 'fdatasync', 'power_loss', 'wait_async', 'mmap_read'] as const;
const RANGE_KINDS = ['buffered_read', 'buffered_write', 'fallocate'] as const;
const OP_KINDS = [...DIO_KINDS, ...PLAIN_KINDS, ...RANGE_KINDS, 'truncate'] as const;

const dioOp = object({
  kind: oneOf(DIO_KINDS),
  pos: int(0),
  len: int(0),
  bufAddr: int(0).optional().describe('User buffer address (default 0x10000)'),
  userBacked: bool().optional().describe('ITER_UBUF (default) or kernel pages (ITER_BVEC)'),
  async: bool().optional(),
  iocbFlags: array(oneOf(IOCB_FLAGS)).optional(),
  dioFlags: array(oneOf(DIO_FLAGS)).optional(),
  doneBefore: int(0).optional(),
  badPage: object({ index: int(0), how: oneOf(['munmap', 'mprotect']) })
    .optional()
    .describe('A page of the user buffer that is not there for the whole call, from the page of bufAddr'),
});

const op = z.discriminatedUnion(
  'kind',
  [
    dioOp,
    object({ kind: oneOf(PLAIN_KINDS) }),
    object({ kind: oneOf(RANGE_KINDS), pos: int(0), len: int(1) }),
    object({ kind: z.literal('truncate'), size: int(0) }),
  ],
  {
    // No `kind` it knows: name the field; not an object at all: say so.
    error: (issue) =>
      issue.code === 'invalid_union'
        ? must(`one of ${OP_KINDS.map((k) => `"${k}"`).join(', ')}`).error
        : must('a JSON object').error,
  },
);

export const scenarioSchema = object({
  device,
  fs,
  bioMaxVecs: int(1).describe('BIO_MAX_VECS for this run: pages per bio'),
  threads: array(array(op)).describe('One list of operations per thread; threads run concurrently'),
})
  .superRefine((s, ctx) => {
    if (s.fs.blockSize < s.device.logicalBlockSize)
      ctx.addIssue({
        code: 'custom',
        path: ['fs', 'blockSize'],
        message: must('a multiple of the logical block size').error,
      });
    // ext4 has no reflink: a shared extent would run the model XFS's copy-on-write completion.
    if (s.fs.model === 'ext4')
      s.fs.extents.forEach((e, i) => {
        if (e.flags?.includes('shared'))
          ctx.addIssue({
            code: 'custom',
            path: ['fs', 'extents', i, 'flags'],
            message: must('without "shared" on ext4, which has no shared (reflinked) blocks').error,
          });
      });
  })
  .describe('The device, the filesystem and its file, and the operations of each thread');

// ---------------------------------------------------------------------------------------------
// The fault profile (model/runtime/faults.ts): the classes of NO_FAULTS always stated.

const faults = object({
  bioErrors: bool(),
  submitErrors: bool().optional(),
  wouldBlock: bool().optional(),
  reorder: bool(),
  pageFaults: bool(),
  copyFaults: bool(),
  invalidateFailures: bool(),
  interleave: bool(),
  powerLoss: bool().optional(),
  destage: bool().optional(),
  tornWrites: bool().optional(),
  backgroundLog: bool().optional(),
  writeback: bool().optional(),
}).describe('Which classes of environment events the run could choose');

// ---------------------------------------------------------------------------------------------
// The file.

const choice = object({
  label: text(),
  n: int(2).describe('The arity of the question'),
  value: int(0).describe('The answer, below n'),
}).superRefine((c, ctx) => {
  if (c.value >= c.n)
    ctx.addIssue({ code: 'custom', path: ['value'], message: must(`below its arity n = ${c.n}`).error });
});

const confirmation = object({
  verdict: oneOf(CONFIRMATION_VERDICTS),
  kernel: text().describe(
    '`uname -r` and machine of the kernel that ran it, or the release when it could not',
  ),
  date: date(),
  detail: text().describe('The line `confirm` ended with'),
});

/** An invariant ID of spec/invariants.md: a file naming another is not ours. */
const invariant = text()
  .superRefine((id, ctx) => {
    if (invariantById(id) === undefined)
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(id)} is not an invariant ID of spec/invariants.md (such as CTX-01)`,
      });
  })
  .describe('The invariant the run violated when recorded: an ID of spec/invariants.md');

const bug = text()
  .superRefine((name, ctx) => {
    if (bugByName(name) === undefined)
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(name)} is not a planted bug of model/bugs/catalogue.ts`,
      });
  })
  .describe(
    'A planted bug of model/bugs/catalogue.ts the run had, on the kernel below (explore --bug, hunt --out)',
  );

export const replayFileSchema = object({
  format: z.literal(REPLAY_FORMAT, must(`"${REPLAY_FORMAT}"`)),
  version: z.literal(REPLAY_VERSION, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not supported (this diocheck reads ${REPLAY_VERSION})`,
  }),
  modelVersion: text().describe("package.json's version when the file was recorded"),
  invariant,
  scenario: scenarioSchema,
  faults,
  choices: array(choice).describe(
    'The whole decision log: every question the model asked, with its label, arity and answer',
  ),
  note: anyText().optional(),
  name: text().optional().describe("The regression's name: the file's name without .json"),
  expect: oneOf(REPLAY_EXPECTS)
    .optional()
    .describe('For the regression corpus: replaying must violate `invariant`, or pass'),
  kernel: oneOf(KERNEL_SETTINGS)
    .optional()
    .describe('Replay on this kernel setting instead of the correct model (an exact release, or seed)'),
  bug: bug.optional(),
  crashImages: bool()
    .optional()
    .describe('Power loss asked, per cached block, whether it reached media (explore --crash)'),
  confirmation: confirmation
    .optional()
    .describe('What `diocheck confirm --record` found when it ran this finding on the real kernel'),
})
  .describe(
    'A diocheck replay file: one counterexample, replayed exactly by `diocheck repro FILE` (properties/replay/replayFile.ts)',
  )
  .meta({ title: 'diocheck replay file' });

// The schema and the TypeScript types say the same: what the code writes fits the schema, and
// what the schema accepts is what the code reads. FsSpec types blockSize as a number; the campaign
// and the oracle write only FS_BLOCK_SIZES, which the schema (and the test of every bug's and
// generated scenario) holds them to.
type Written<T> = T & { readonly fs: { readonly blockSize: (typeof FS_BLOCK_SIZES)[number] } };
true satisfies Fits<
  Omit<ReplayFile, 'scenario'> & { readonly scenario: Written<Scenario> },
  z.output<typeof replayFileSchema>
>;
true satisfies Fits<z.output<typeof replayFileSchema>, ReplayFile>;
true satisfies Fits<Written<Scenario>, z.output<typeof scenarioSchema>>;
true satisfies Fits<z.output<typeof scenarioSchema>, Scenario>;
true satisfies Fits<FaultProfile, z.output<typeof faults>>;
true satisfies Fits<RecordedChoice, z.output<typeof choice>>;

/** A value that is not what it should be: its message is one line naming the first bad field. */
export class ShapeError extends Error {}

/** The replay file in `json`, or a ShapeError naming its first problem. */
export function checkReplayFile(json: unknown): ReplayFile {
  const r = replayFileSchema.safeParse(json);
  if (!r.success) throw new ShapeError(firstProblem(r.error));
  return r.data as ReplayFile;
}

/** The scenario in `json` (a replay file's, or a bare scenario file), or a ShapeError. */
export function checkScenario(json: unknown, path = 'scenario'): Scenario {
  const r = scenarioSchema.safeParse(json);
  if (!r.success) throw new ShapeError(firstProblem(r.error, [path]));
  return r.data as Scenario;
}
