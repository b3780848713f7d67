/**
 * The polled cases of the oracle corpus (properties/oracle/corpus.ts addPolledCases): their agent
 * lines (the null_blk disks with a poll queue, io_uring with IOPOLL), how a record's polled count is
 * read, and how the model is run and observed for them (the device's refusal of a REQ_NOWAIT bio it
 * would have to split, the REQ_POLLED bios it queued). No kernel: the live side is `npm run oracle`.
 */
import { describe, expect, it } from 'vitest';
import { caseLines, deviceOf, NULLB_BASE, nullbLines } from './agentCorpus.ts';
import {
  generateCorpus,
  GEOMETRIES,
  type OracleCase,
  POLL_GEOMETRIES,
  POLL_MAX_SECTORS,
} from '../../properties/oracle/corpus.ts';
import { observeModel, observeReal } from '../../properties/oracle/observe.ts';
import { KERNEL_VERSIONS } from '../../model/kernel/ops.ts';

const corpus = generateCorpus();
const polled = corpus.filter((c) => c.poll === true);
const named = (name: string): OracleCase => {
  const c = corpus.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no case ${name}`);
  return c;
};

describe('the polled cases', () => {
  it('are the last section: both families, reads and writes, every layout, on XFS and ext4', () => {
    expect(polled).toHaveLength(280);
    const first = polled[0] as OracleCase;
    expect(corpus.slice(first.id - 1).every((c) => c.poll === true)).toBe(true);
    const families = new Set(polled.map((c) => /\/(uring-hipri(?:-nowait)?)\./.exec(c.name)?.[1]));
    expect([...families].sort()).toEqual(['uring-hipri', 'uring-hipri-nowait']);
    expect(new Set(polled.map((c) => c.fs))).toEqual(new Set(['xfs', 'ext4']));
    expect(new Set(polled.map((c) => c.ops[0]?.kind))).toEqual(new Set(['dio_read', 'dio_write']));
    expect(new Set(polled.map((c) => c.name.split('/')[1])).size).toBe(7);
    // Some requests are larger than the disk's max_sectors: the block layer splits their bio.
    expect(polled.some((c) => (c.ops[0] as { len: number }).len > POLL_MAX_SECTORS * 512)).toBe(true);
    for (const c of polled)
      expect(c.ops[0]).toMatchObject({ async: true, iocbFlags: expect.arrayContaining(['hipri']) });
  });

  it('run on the null_blk disks, each made from the pristine ubd image of its shape', () => {
    expect(nullbLines()).toEqual([
      `N ${NULLB_BASE} 3 ${POLL_MAX_SECTORS}`,
      `N ${NULLB_BASE + 1} 6 ${POLL_MAX_SECTORS}`,
    ]);
    expect(GEOMETRIES[3]).toMatchObject({ fs: 'xfs', blockSize: 4096, sectorSize: 512 });
    expect(GEOMETRIES[6]).toMatchObject({ fs: 'ext4', blockSize: 4096, sectorSize: 512 });
    const c = named('ext4-4096-poll/written/uring-hipri-nowait.dio_read.aligned');
    expect(deviceOf(c)).toBe(NULLB_BASE + POLL_GEOMETRIES.findIndex((g) => g.fs === 'ext4'));
    // Issued through the IOPOLL ring (issuer 2), RWF_NOWAIT (8) and RWF_HIPRI (1) in the flags.
    expect(caseLines(c)).toContain('O 1 dio_read 4096 8192 0 9 2');
    const control = named('xfs-4096-poll/hole/uring-hipri.dio_write.past-eof');
    expect(caseLines(control).find((l) => l.startsWith('O 1'))).toBe('O 1 dio_write 36864 4096 0 1 2');
    // A plain aio request stays aio.
    const aio = corpus.find((x) => x.poll !== true && x.ops.some((o) => 'async' in o && o.async));
    expect(aio).toBeDefined();
    expect(caseLines(aio as OracleCase).some((l) => / 1$/.test(l) && l.startsWith('O '))).toBe(true);
  });

  it('read the polled count of an io_uring request from the record, on a disk that polls only', () => {
    const c = named('xfs-4096-poll/written/uring-hipri-nowait.dio_read.aligned');
    const rec = {
      id: c.id,
      setup: true,
      ops: [{ id: 1, ret: 8192, polled: 1, data: '0.8 0.9', bios: [] }],
      size: 32768,
      final: 0,
      extents: [],
    };
    expect(observeReal(c, rec).ops[0]).toMatchObject({ id: 1, polled: 1 });
    expect(observeReal({ ...c, poll: undefined }, rec).ops[0]?.polled).toBeUndefined();
    expect(() => observeReal(c, { ...rec, ops: [{ id: 1, ret: 8192, polled: -1 }] })).toThrow(
      /requests in flight could not be read/,
    );
  });
});

describe('the model side of the polled cases', () => {
  const v107 = KERNEL_VERSIONS['6.12.107'];
  const v111 = KERNEL_VERSIONS['6.12.111'];

  it('polls a read of one bio and never a write (no caller completion on 6.12: seed L353-354)', () => {
    const read = observeModel(named('xfs-4096-poll/written/uring-hipri-nowait.dio_read.aligned'), v111);
    expect(read.ops[0]).toMatchObject({ ret: 8192, polled: 1 });
    const write = observeModel(named('xfs-4096-poll/written/uring-hipri-nowait.dio_write.aligned'), v111);
    expect(write.ops[0]).toMatchObject({ ret: 8192, polled: 0 });
    // Only the first mapping's bio of a read over several mappings (seed L665).
    const mixed = observeModel(named('ext4-4096-poll/mixed/uring-hipri.dio_read.whole'), v111);
    expect(mixed.ops[0]).toMatchObject({ ret: 32768, polled: 1 });
  });

  it('has the disk refuse a REQ_NOWAIT bio above max_sectors: 6.12.107 returns -EAGAIN, 6.12.111 reads', () => {
    const c = named('xfs-4096-poll/written/uring-hipri-nowait.dio_read.whole');
    const old = observeModel(c, v107);
    // The refused bio was traced before the split refused it, as the kernel's block_bio_queue shows.
    expect(old.ops[0]).toEqual({ id: 1, ret: -11, bios: 'r0+32768', polled: 0 });
    expect(observeModel(c, v111).ops[0]).toMatchObject({ ret: 32768, bios: 'r0+32768', polled: 1 });
    // Without RWF_NOWAIT the model's kiocb is not NOWAIT, so no bio is REQ_NOWAIT on 6.12.107 either.
    const control = named('xfs-4096-poll/written/uring-hipri.dio_read.whole');
    expect(observeModel(control, v107).ops[0]).toMatchObject({ ret: 32768, polled: 1 });
  });
});
