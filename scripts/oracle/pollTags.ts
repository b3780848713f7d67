/**
 * `npx tsx scripts/oracle/pollTags.ts [--release R[,R...]] [--cache DIR] [--json FILE]`: what does a
 * real 6.12 kernel do with a polled request that finds the poll queue's tags all held by requests
 * nobody has polled yet (issue 17 item 4; spec/oracle-confirmations.md, "Polled requests on a
 * shallow poll queue")?
 *
 * Two direct reads of 4 KiB through the oracle agent's IOPOLL ring (agent line Y), submitted by one
 * io_uring_enter and reaped after it, on XFS (4 KiB blocks, written) on a null_blk disk whose poll
 * queue has one tag: the first read's request holds that tag until it is polled, and only the
 * reaping polls. The second read is RWF_NOWAIT or not, and so is the first. The control is a single
 * NOWAIT read of 8 KiB (agent line O, one request). On 6.12.107 bio_set_polled makes the polled bio
 * of a NOWAIT kiocb REQ_NOWAIT (include/linux/bio.h L671-676), and io_uring issues every request
 * first with IOCB_NOWAIT (io_uring/rw.c L859-866): the tag allocation fails and the bio ends with
 * BLK_STS_AGAIN (block/blk-mq.c L2984-2985). From 6.12.111 on the polled bio is REQ_POLLED alone
 * (fs/iomap/direct-io.c L80, upstream 47f28b493daf): the allocation sleeps for the tag.
 *
 * The model runs the same two requests (one thread: both async, then wait_async) on a device whose
 * poll queue has one tag: a REQ_NOWAIT bio is refused (the device's would-block fault class) while
 * another REQ_POLLED bio is in flight. The model has no tag wait: a bio without REQ_NOWAIT is queued.
 * Prints each variant's results on the kernel (and how long the submission took) beside the
 * model's as that release. Exit 0 when every result agrees, 1 when some differ (listed), 2 on bad
 * options, 3 when the kernel could not be run. Needs root and ptrace, like `npm run oracle`; the
 * pure parts are tested in npm test (pollTags.test.ts).
 */
import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Bio, REQ_POLLED } from '../../model/block/bio.ts';
import type { KernelOps } from '../../model/kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';
import { type ReleaseName, RELEASES, releaseNamed } from '../../model/kernel/releases.ts';
import type { ChoiceSource } from '../../model/runtime/choice.ts';
import { NO_FAULTS } from '../../model/runtime/faults.ts';
import { EXTENT_BASE } from '../../model/world/extents.ts';
import type { WorldView } from '../../model/world/probe.ts';
import { runScenario } from '../../model/world/run.ts';
import type { DioOpSpec, IocbFlag } from '../../model/world/scenario.ts';
import { GEOMETRIES, type OracleCase, POLL_MAX_SECTORS } from '../../properties/oracle/corpus.ts';
import { type AgentRecord, caseScenario } from '../../properties/oracle/observe.ts';
import { asksHelp, parseScriptOptions, scriptArgsOrExit } from '../scriptOptions.ts';
import { NULLB_BASE } from './agentCorpus.ts';
import { prepareKernel, releasePaths, runCases } from './oracle.ts';

const KiB = 1024;
const RWF_HIPRI = 0x1;
const RWF_NOWAIT = 0x8;
/** The file: 8 written blocks of 4 KiB. */
const FILE_BYTES = 32 * KiB;
/** The agent's device index of the shallow disk (after the corpus's own null_blk disks). */
export const SHALLOW_DEVICE = NULLB_BASE + 2;
/** Tags of the shallow disk's poll queue (and of its other queue). */
export const SHALLOW_DEPTH = 1;

export interface Variant {
  readonly name: string;
  /** RWF_NOWAIT on each read, in submission order; one entry: a single read. */
  readonly nowait: readonly boolean[];
  /**
   * The file is written, hole, unwritten, written by 8 KiB (blocks 0-1, 2-3, 4-5, 6-7), and the
   * single read takes all of it: one dio of two bios, the first mapping's polled, the last's not
   * (seed L665), each in a queue of its own (the poll queue, the default queue: each one tag).
   */
  readonly mixed?: boolean;
}

export const VARIANTS: readonly Variant[] = [
  { name: 'pair: blocking, then NOWAIT', nowait: [false, true] },
  { name: 'pair: NOWAIT, then NOWAIT', nowait: [true, true] },
  { name: 'pair: blocking, then blocking', nowait: [false, false] },
  { name: 'single NOWAIT read of 8 KiB', nowait: [true] },
  { name: 'single NOWAIT read of 32 KiB over two written mappings', nowait: [true], mixed: true },
];

/** The reads of a variant: 4 KiB at 0 and at 16 KiB for a pair, 8 KiB at 0 alone. */
export function variantOps(v: Variant): DioOpSpec[] {
  const flags = (nowait: boolean): IocbFlag[] => (nowait ? ['hipri', 'nowait'] : ['hipri']);
  if (v.nowait.length === 1)
    return [
      {
        kind: 'dio_read',
        pos: 0,
        len: v.mixed === true ? FILE_BYTES : 8 * KiB,
        async: true,
        iocbFlags: flags(v.nowait[0] === true),
      },
    ];
  return v.nowait.map((nowait, i) => ({
    kind: 'dio_read',
    pos: i * 16 * KiB,
    len: 4 * KiB,
    async: true,
    iocbFlags: flags(nowait),
  }));
}

/** A variant as a case: XFS with 4 KiB blocks on 512-byte sectors, the whole file written. */
export function tagCase(v: Variant, id: number): OracleCase {
  return {
    id,
    name: `xfs-4096-poll-depth${SHALLOW_DEPTH}/written/${v.name}`,
    fs: 'xfs',
    blockSize: 4096,
    sectorSize: 512,
    poll: true,
    iSize: FILE_BYTES,
    extents:
      v.mixed === true
        ? [
            { offset: 0, length: 8 * KiB, type: 'mapped', addr: EXTENT_BASE },
            { offset: 16 * KiB, length: 8 * KiB, type: 'unwritten', addr: EXTENT_BASE + 16 * KiB },
            { offset: 24 * KiB, length: 8 * KiB, type: 'mapped', addr: EXTENT_BASE + 24 * KiB },
          ]
        : [{ offset: 0, length: FILE_BYTES, type: 'mapped', addr: EXTENT_BASE }],
    ops: variantOps(v),
    failFirstBio: false,
    powerLoss: false,
  };
}

/** The ubd image the shallow disk is copied from: the corpus's XFS 4096 on 512-byte sectors. */
function sourceUbd(): number {
  const i = GEOMETRIES.findIndex((g) => g.fs === 'xfs' && g.blockSize === 4096 && g.sectorSize === 512);
  if (i < 0) throw new Error('no xfs-4096 image in the corpus geometries');
  return i;
}

/**
 * A variant's agent lines: the shallow disk first (the first case only), then the file, a quiet
 * filesystem, the reads (Y for a pair, O through the ring for one) and the end.
 */
export function tagLines(c: OracleCase, first: boolean): string[] {
  const rwf = (op: DioOpSpec) => RWF_HIPRI | (op.iocbFlags?.includes('nowait') === true ? RWF_NOWAIT : 0);
  const [a, b] = c.ops as DioOpSpec[];
  if (a === undefined) throw new Error(`case ${c.id} has no read`);
  const reads =
    b === undefined
      ? `O 1 dio_read ${a.pos} ${a.len} 0 ${rwf(a)} 2`
      : `Y 1 ${a.pos} ${a.len} ${rwf(a)} ${b.pos} ${b.len} ${rwf(b)}`;
  return [
    ...(first ? [`N ${SHALLOW_DEVICE} ${sourceUbd()} ${POLL_MAX_SECTORS} ${SHALLOW_DEPTH}`] : []),
    `S ${c.id} ${SHALLOW_DEVICE} xfs 4096`,
    // As the corpus's caseLines: written extents, the size, then unwritten ones.
    ...c.extents.filter((e) => e.type === 'mapped').map((e) => `M ${e.offset} ${e.length} ${FILE_BYTES}`),
    `Z ${FILE_BYTES}`,
    ...c.extents.filter((e) => e.type === 'unwritten').map((e) => `U ${e.offset} ${e.length}`),
    'Q',
    reads,
    `E ${FILE_BYTES}`,
  ];
}

/** What one side returned: each read's result, and (the kernel) how long the submission took. */
export interface PairResult {
  readonly results: readonly number[];
  readonly submitMs?: number;
  readonly polled?: number;
}

/** The agent's record of a variant. */
export function readPair(c: OracleCase, rec: AgentRecord | undefined): PairResult {
  if (rec === undefined) throw new Error(`case ${c.id} (${c.name}) has no result: the agent stopped early`);
  if (rec.fatal !== undefined) throw new Error(`case ${c.id}: ${rec.fatal}`);
  const op = rec.ops?.[0] as (AgentRecord['ops'] & object)[number] & {
    ret2?: number;
    submitMs?: number;
  };
  if (op?.ret === undefined) throw new Error(`case ${c.id}: no result for its reads`);
  const results = c.ops.length === 2 ? [op.ret, op.ret2 ?? Number.NaN] : [op.ret];
  return {
    results,
    ...(op.submitMs === undefined ? {} : { submitMs: op.submitMs }),
    ...(op.polled === undefined ? {} : { polled: op.polled }),
  };
}

/**
 * The model's uneventful run, except that its device's poll queue has `depth` tags: a REQ_NOWAIT
 * bio is refused while `depth` REQ_POLLED bios are in flight (blk_mq_get_tag with BLK_MQ_REQ_NOWAIT,
 * 6.12.107 block/blk-mq.c L2984-2985).
 */
export class PollTags implements ChoiceSource {
  world: WorldView | null = null;
  constructor(private readonly depth: number) {}
  next(_n: number, label: string): number {
    if (label !== 'submit_would_block' || this.world === null) return 0;
    const held = this.world.disk.inFlight.filter((b: Bio) => b.biOpf & REQ_POLLED).length;
    return held >= this.depth ? 1 : 0;
  }
}

/** The model's run of a variant with `ops`: the reads issued one after the other, then reaped. */
export function modelPair(c: OracleCase, ops: Readonly<KernelOps>): PairResult {
  const scenario = caseScenario(c);
  const source = new PollTags(SHALLOW_DEPTH);
  const r = runScenario(
    { ...scenario, threads: [[...c.ops, { kind: 'wait_async' }]] },
    {
      source,
      faults: { ...NO_FAULTS, wouldBlock: true },
      ops,
      observe: (w: WorldView) => {
        source.world = w;
      },
    },
  );
  return { results: r.requests.map((q) => q.completions[0]?.res ?? q.returned ?? Number.NaN) };
}

export interface TagsOptions {
  readonly releases: readonly ReleaseName[];
  readonly cache: string;
  readonly json: string | null;
}

const USAGE = 'usage: npx tsx scripts/oracle/pollTags.ts [--release R[,R...]] [--cache DIR] [--json FILE]';

export class TagsUsageError extends Error {}

export function parseTagsArgs(argv: readonly string[]): TagsOptions | 'help' {
  if (asksHelp(argv)) return 'help';
  const parsed = parseScriptOptions(
    'pollTags',
    argv,
    { values: ['release', 'cache', 'json'], flags: [], repeatable: [] },
    TagsUsageError,
  );
  const releases: ReleaseName[] = [];
  for (const name of (parsed.options.get('release') ?? '').split(',').filter((n) => n !== '')) {
    const r = releaseNamed(name.trim());
    if (r === undefined)
      throw new TagsUsageError(
        `unknown release '${name}' (one of: ${RELEASES.map((x) => x.name).join(', ')})`,
      );
    if (!releases.includes(r)) releases.push(r);
  }
  if (releases.length === 0) releases.push(...RELEASES.map((x) => x.name));
  const cache =
    parsed.options.get('cache') ??
    process.env.DIOCHECK_ORACLE_CACHE ??
    join(homedir(), '.cache', 'diocheck', 'oracle');
  const json = parsed.options.get('json');
  return { releases, cache: resolve(cache), json: json === undefined ? null : resolve(json) };
}

/** One release's rows: each variant on the kernel and on the model as the release. */
export interface TagsRow {
  readonly release: ReleaseName;
  readonly variant: string;
  readonly kernel: PairResult;
  readonly model: PairResult;
  readonly agree: boolean;
}

/** A row in one line: `6.12.118 pair: ... kernel -110 4096 (6219 ms to submit) model 4096 4096`. */
export function formatRow(r: TagsRow): string {
  const ms = r.kernel.submitMs === undefined ? '' : ` (${r.kernel.submitMs.toFixed(1)} ms to submit)`;
  return `${r.release} ${r.variant}: kernel ${r.kernel.results.join(' ')}${ms}, model ${r.model.results.join(' ')}${r.agree ? '' : '  DIFFERS'}`;
}

async function runRelease(
  o: TagsOptions,
  release: ReleaseName,
  say: (l: string) => void,
): Promise<TagsRow[]> {
  const run = {
    o: { cache: o.cache, releases: [release], out: null, check: false, jobs: 1, limit: null, compare: false },
    release,
    paths: releasePaths(o.cache, release, 'poll-tags'),
  };
  prepareKernel(run, say);
  const cases = VARIANTS.map((v, i) => tagCase(v, i + 1));
  // Not the corpus's null_blk disks (OracleCase.poll would add them): only the shallow one.
  const plain = cases.map((c) => ({ ...c, poll: false }));
  const { records } = await runCases(run, plain, say, (c) => tagLines(c, c.id === 1));
  const ops = KERNEL_VERSIONS[release];
  return cases.map((c, i) => {
    const kernel = readPair(c, records.get(c.id));
    const model = modelPair(c, ops);
    const agree = kernel.results.join(' ') === model.results.join(' ');
    return { release, variant: (VARIANTS[i] as Variant).name, kernel, model, agree };
  });
}

async function main(): Promise<void> {
  const o = scriptArgsOrExit('pollTags', USAGE, parseTagsArgs);
  if (o === null) return;
  const say = (l: string) => process.stdout.write(`${l}\n`);
  try {
    const rows: TagsRow[] = [];
    for (const release of o.releases) {
      const got = await runRelease(o, release, () => {});
      for (const r of got) say(formatRow(r));
      rows.push(...got);
    }
    if (o.json !== null) writeFileSync(o.json, `${JSON.stringify(rows, null, 1)}\n`);
    process.exitCode = rows.every((r) => r.agree) ? 0 : 1;
  } catch (e) {
    process.stderr.write(`pollTags: ${(e as Error).message.split('\n', 1)[0]}\n`);
    process.exitCode = 3;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
