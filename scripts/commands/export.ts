/**
 * `diocheck export --xfs-io FILE [--out OUT]`: a replay file's scenario as a shell script of xfs_io
 * commands, to run the same operations on a real kernel (an XFS mount, see
 * /work/shared/notes/real-kernel-oracle.md for a User-Mode Linux setup).
 *
 * One xfs_io per operation, so that each opens the file as its operation needs (`-d` O_DIRECT,
 * `-s` O_SYNC, plain for buffered I/O and mmap); `-b LEN` keeps each read or write one system call,
 * as in the model; pwritev2 flags go through `-V 1` (`-D` RWF_DSYNC, `-N` RWF_NOWAIT). Each write
 * fills its buffer with its request number (`-S`), as the model tags data. Threads become shell
 * functions started together. What xfs_io cannot express (aio, polled I/O, a user buffer that
 * faults) is said in a comment where it happens; the header says what a real kernel needs to inject
 * the same faults: dm-flakey or dm-error for the failed bios, dm-log-writes for power-loss images.
 *
 * Exit status: 0 written, 2 bad input. A replay that diverges is still exported, from the scenario
 * alone, with a warning (the fault notes then lack the failed bios).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import type { RunResult } from '../../model/world/run.ts';
import type { DioOpSpec, OpSpec, Scenario } from '../../model/world/scenario.ts';
import { FAULT_CLASSES, formatFaultProfile } from '../../properties/arbitraries/faults.ts';
import { type ReplayFile, replayRun } from '../../properties/replay/replayFile.ts';
import { type ExportCommand, UsageError } from './args.ts';
import { loadReplay } from './explain.ts';
import type { Output } from './output.ts';
import { EXIT_PASS, prepareOutput } from './run.ts';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** `# text` lines, one per line of text, long lines wrapped at about 100 columns. */
function comment(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let rest = line;
    while (rest.length > 98) {
      const cut = rest.lastIndexOf(' ', 98);
      const at = cut <= 0 ? 98 : cut;
      out.push(`# ${rest.slice(0, at)}`.trimEnd());
      rest = `  ${rest.slice(at).trimStart()}`;
    }
    out.push(`# ${rest}`.trimEnd());
  }
  return out;
}

/** A failed bio of the replay, from its trace: sectors, size, op and status. */
interface FailedBio {
  readonly name: string;
  readonly detail: string;
  readonly status: number;
}

function failedBios(result: RunResult | null): FailedBio[] {
  if (result === null) return [];
  const submitted = new Map<string, string>();
  const failed: FailedBio[] = [];
  for (const e of result.trace) {
    if (e.event === 'submit_bio') {
      const name = e.detail.split(' ', 1)[0] ?? '';
      submitted.set(name, e.detail.slice(name.length + 1));
    } else if (e.event === 'bio_endio') {
      const m = /^(bio\d+) status (\d+)/.exec(e.detail);
      if (m !== null && m[2] !== '0') {
        const name = m[1] as string;
        failed.push({ name, detail: submitted.get(name) ?? '', status: Number(m[2]) });
      }
    }
  }
  return failed;
}

const STATUS_NAMES: Readonly<Record<number, string>> = {
  10: 'BLK_STS_IOERR (-EIO)',
  3: 'BLK_STS_NOSPC (-ENOSPC)',
  6: 'BLK_STS_TIMEOUT (-ETIMEDOUT)',
  7: 'BLK_STS_MEDIUM (-ENODATA)',
};

/** What a real kernel needs for each fault class the file turns on, and for its power-loss ops. */
function faultNotes(file: ReplayFile, result: RunResult | null): string[] {
  const f = file.faults;
  const hasPowerLossOp = file.scenario.threads.some((t) => t.some((op) => op.kind === 'power_loss'));
  const notes: string[] = [];
  const on = FAULT_CLASSES.filter((k) => f[k] === true);
  notes.push(`faults on in the model: ${formatFaultProfile(f)}`);
  const deviating = (result?.choiceLog ?? file.choices)
    .map((c, i) => ({ ...c, i }))
    .filter((c) => c.value !== 0);
  if (deviating.length > 0)
    notes.push(
      `choices that deviate: ${deviating.map((c) => `#${c.i} ${c.label}=${c.value}/${c.n}`).join(', ')}`,
    );
  if (on.includes('bioErrors')) {
    notes.push(
      'bio errors: put the file on dm-flakey (error_writes, drop_writes) or on a dm-linear table with an',
      "  'error' target over the failing sectors only (never the log: XFS shuts down); dm-dust for reads;",
      '  fail_make_request (a custom 6.12 UML kernel) fails the next bio. Find the sectors with',
      '  xfs_io -c "fiemap -v" "$F": the model numbers its own disk, not yours.',
    );
    const failed = failedBios(result);
    for (const b of failed)
      notes.push(`  ${b.name} failed: ${b.detail}, status ${STATUS_NAMES[b.status] ?? b.status}`);
    if (result !== null && failed.length === 0) notes.push('  (no bio failed in this replay)');
  }
  if (on.includes('powerLoss') || on.includes('destage') || on.includes('tornWrites') || hasPowerLossOp) {
    notes.push(
      'power loss: record every write bio with dm-log-writes between the filesystem and the disk',
      '  (dmsetup create lw --table "0 SECTORS log-writes DEV LOGDEV"), set LOGWRITES=lw so that this',
      '  script marks the log where the model loses power, then replay the log up to the mark onto a',
      '  copy of the pristine image and mount it (log recovery runs). Replaying the mark plus a subset',
      '  of the later unflushed writes gives the other crash states (destaging, torn writes). null_blk',
      '  with cache_size set also drops unflushed data when powered off (echo 0 > power), after',
      '  xfs_io -x -c shutdown so that nothing is flushed on the way down.',
    );
  }
  if (on.includes('submitErrors'))
    notes.push(
      'submit errors: fail_make_request (a custom 6.12 UML kernel; scripts/oracle builds one) fails a bio',
      '  inside submit_bio: echo 1 > /sys/block/DEV/make-it-fail, then interval 1, times 1, probability 100',
      '  under /sys/kernel/debug/fail_make_request. Freeze and thaw the filesystem first so that the next',
      '  bio is the I/O of interest, not metadata writeback.',
    );
  if (on.includes('wouldBlock'))
    notes.push(
      'would block: a polled NOWAIT bio (RWF_HIPRI|RWF_NOWAIT through io_uring) ends with EAGAIN when the',
      '  queue has no free tag; shrink the queue (echo 1 > /sys/block/DEV/queue/nr_requests) and keep it',
      '  busy from another process. Only kernels whose iomap uses bio_set_polled (6.12.107 and earlier)',
      '  set REQ_NOWAIT on these bios.',
    );
  if (on.includes('reorder'))
    notes.push('reorder: bio completion order cannot be forced; dm-delay on one range comes close.');
  if (on.includes('interleave'))
    notes.push('interleave: the threads below run concurrently; the model chose one interleaving of them.');
  if (on.includes('pageFaults') || on.includes('copyFaults'))
    notes.push(
      'page faults: a user buffer with a page that cannot be pinned or copied needs a small C program',
      '  (mmap the buffer, munmap or mprotect one page, or userfaultfd); xfs_io cannot do it.',
    );
  if (on.includes('invalidateFailures'))
    notes.push(
      'invalidation failures: a page the cache cannot drop (mapped and dirtied through mmap by another task).',
    );
  if (on.includes('backgroundLog'))
    notes.push('background log: the XFS log worker commits on its own schedule (fs.xfs.xfssyncd_centisecs).');
  if (on.includes('writeback'))
    notes.push(
      'writeback: start writeback of a range with xfs_io -c "sync_range -w OFF LEN" where the model did.',
    );
  return notes;
}

function header(path: string, file: ReplayFile, result: RunResult | null): string[] {
  const s = file.scenario;
  const d = s.device;
  const lines = [
    '#!/bin/sh',
    `# diocheck export --xfs-io ${path}`,
    `# recorded: ${file.invariant} with diocheck ${file.modelVersion}${file.name === undefined ? '' : `, regression ${file.name}`}${file.expect === undefined ? '' : ` (expect ${file.expect})`}`,
    ...(file.note === undefined ? [] : comment(`note: ${file.note}`)),
    '#',
    '# usage: LOGWRITES=<dm-log-writes device name, optional> sh THIS-SCRIPT /mnt/scratch/file',
    `# on a scratch ${s.fs.model === 'ext4' ? 'ext4' : 'XFS'} made to match the model:`,
    `#   device: logical block size ${d.logicalBlockSize}, FUA ${d.fua ? 'yes' : 'no'}, volatile write cache ${d.writeCache ? 'yes' : 'no'}${d.dmaAlignment === undefined ? '' : `, dma_alignment ${d.dmaAlignment}`}`,
    s.fs.model === 'ext4'
      ? `#   mkfs.ext4 -F -b ${s.fs.blockSize} DEV   (the sector size is the device's)`
      : `#   mkfs.xfs -f -b size=${s.fs.blockSize} -s size=${d.logicalBlockSize} DEV`,
    `#   BIO_MAX_VECS ${s.bioMaxVecs} in the model: bios of at most ${s.bioMaxVecs} page(s); to split alike, echo ${s.bioMaxVecs * 4} > /sys/block/DEV/queue/max_sectors_kb`,
  ];
  if ((s.fs.model ?? 'xfs') === 'scripted') {
    lines.push(
      '#   fs: the scripted provider (its mappings are given, no real filesystem reports them as such);',
      '#   the setup below builds the nearest XFS file.',
    );
    if (s.fs.readEndIo)
      lines.push('#   fs.readEndIo: a filesystem with an end_io for direct reads (zonefs; XFS has none)');
    if (s.fs.endIo === false) lines.push('#   fs.endIo false: a filesystem without a direct-write end_io');
  }
  lines.push(
    '#',
    '# faults: what a real kernel needs to inject the same ones',
    ...comment(faultNotes(file, result).join('\n')),
  );
  return lines;
}

/** The commands that build the scenario's file: written extents, size, preallocation, cache. */
function setup(s: Scenario): string[] {
  const fs = s.fs;
  const out: string[] = ['# setup: the file as the scenario starts it (buffered, then synced)'];
  const cmds: string[] = ['truncate 0'];
  const notes: string[] = [];
  let donor = false;
  for (const e of fs.extents) {
    const flags = e.flags ?? [];
    if (e.type === 'mapped' && flags.includes('shared')) {
      donor = true;
      cmds.push(`reflink $F.donor ${e.offset} ${e.offset} ${e.length}`);
    } else if (e.type === 'mapped') cmds.push(`pwrite -q -S 0x00 -b ${e.length} ${e.offset} ${e.length}`);
    if (e.type === 'inline') notes.push(`[${e.offset}, +${e.length}) inline: XFS has no inline data`);
    if (e.type === 'delalloc')
      notes.push(`[${e.offset}, +${e.length}) delalloc: written below, after the sync`);
    if (flags.includes('new') || flags.includes('dirty'))
      notes.push(
        `[${e.offset}, +${e.length}) ${flags.join(',')}: the filesystem's own state, not set from user space`,
      );
    if (e.addr !== undefined && e.addr >= 0)
      notes.push(
        `[${e.offset}, +${e.length}) ${e.type} at disk byte ${hex(e.addr)} in the model; XFS picks its own blocks`,
      );
  }
  cmds.push('fsync', `truncate ${fs.iSize}`);
  for (const e of fs.extents) if (e.type === 'unwritten') cmds.push(`falloc -k ${e.offset} ${e.length}`);
  cmds.push('fsync');
  for (const e of fs.extents)
    if (e.type === 'delalloc') cmds.push(`pwrite -q -S 0x00 -b ${e.length} ${e.offset} ${e.length}`);
  for (const p of fs.pageCache ?? []) {
    const at = p.index * 4096;
    cmds.push(p.dirty ? `pwrite -q -S 0x00 -b 4096 ${at} 4096` : `pread -q -b 4096 ${at} 4096`);
  }
  for (const n of notes) out.push(`# ${n}`);
  if (donor) {
    const size = Math.max(...fs.extents.map((e) => e.offset + e.length));
    out.push(`xfs_io -f -c "truncate 0" -c "pwrite -q -S 0x00 -b ${size} 0 ${size}" -c fsync "$F.donor"`);
  }
  out.push(`xfs_io -f ${cmds.map((c) => `-c "${c}"`).join(' ')} "$F"`);
  return out;
}

/** One direct read or write: its xfs_io line and the comments on what xfs_io cannot say. */
function dioLines(op: DioOpSpec, id: number): string[] {
  const write = op.kind === 'dio_write';
  const flags = op.iocbFlags ?? [];
  const notes: string[] = [];
  const open = ['-d'];
  const cmd: string[] = [write ? 'pwrite -q' : 'pread -q'];
  if (write) cmd.push(`-S ${hex(id & 0xff)}`);
  cmd.push(`-b ${Math.max(op.len, 1)}`);
  const v2: string[] = [];
  if (flags.includes('sync')) open.push('-s');
  if (flags.includes('dsync') && write && !flags.includes('sync')) v2.push('-D');
  if (flags.includes('dsync') && !write) notes.push('dsync on a read changes nothing');
  if (flags.includes('nowait')) {
    if (write) v2.push('-N');
    else notes.push("RWF_NOWAIT: xfs_io's pread has no -N; this read blocks");
  }
  if (flags.includes('hipri'))
    notes.push('hipri (polled I/O): needs io_uring with IORING_SETUP_IOPOLL, not xfs_io');
  if (flags.includes('caller_comp'))
    notes.push('caller_comp: io_uring completes in the issuer (IOCB_DIO_CALLER_COMP), not xfs_io');
  if (op.async)
    notes.push(
      'async (aio) in the model: xfs_io issues it synchronously; fio --ioengine=libaio keeps it in flight',
    );
  if (op.userBacked === false)
    notes.push('kernel pages (ITER_BVEC) in the model: user space always passes user memory');
  if (op.bufAddr !== undefined && op.bufAddr % 512 !== 0)
    notes.push(`user buffer at ${hex(op.bufAddr)}: misaligned in the model, xfs_io aligns its buffers`);
  if (op.dioFlags?.length)
    notes.push(`dio_flags ${op.dioFlags.join(',')}: chosen by the filesystem, not by user space`);
  if (op.doneBefore)
    notes.push(`done_before ${op.doneBefore}: a retried request, not expressible from user space`);
  if (v2.length > 0) cmd.push('-V 1', ...v2);
  cmd.push(String(op.pos), String(op.len));
  const what = `${op.kind} req${id}${flags.length > 0 ? ` ${flags.join('|')}` : ''}${op.async ? ' async' : ''}`;
  return [`# ${what}`, ...notes.map((n) => `# ${n}`), `xfs_io ${open.join(' ')} -c "${cmd.join(' ')}" "$F"`];
}

/** The lines of one operation; `id` is its request number (requests share one numbering). */
function opLines(op: OpSpec, id: number, mmapPos: number | null, blockSize: number): string[] {
  switch (op.kind) {
    case 'dio_read':
    case 'dio_write':
      return dioLines(op, id);
    case 'fsync':
    case 'fdatasync':
      return [`# ${op.kind} req${id}`, `xfs_io -c ${op.kind} "$F"`];
    case 'power_loss':
      return [
        '# power_loss: the model loses power here; every thread stops and log recovery follows',
        '[ -n "$LOGWRITES" ] && dmsetup message "$LOGWRITES" 0 mark diocheck-power-loss',
        'return 0',
      ];
    case 'buffered_write':
      return [
        `# buffered_write req${id}`,
        `xfs_io -c "pwrite -q -S ${hex(id & 0xff)} -b ${op.len} ${op.pos} ${op.len}" "$F"`,
      ];
    case 'buffered_read':
      return [`# buffered_read req${id}`, `xfs_io -c "pread -q -b ${op.len} ${op.pos} ${op.len}" "$F"`];
    case 'mmap_read': {
      const pos = mmapPos ?? 0;
      const note = mmapPos === null ? ' (the replay did not reach it: offset 0 assumed)' : '';
      return [
        `# mmap_read req${id}: a read fault on the page of the EOF block${note}`,
        `xfs_io -c "mmap -r ${pos} ${blockSize}" -c "mread ${pos} ${blockSize}" -c munmap "$F"`,
      ];
    }
    case 'truncate':
      return [`# truncate req${id}`, `xfs_io -c "truncate ${op.size}" "$F"`];
    case 'wait_async':
      return ['# wait_async: xfs_io runs every request to completion, so nothing is left to wait for'];
    case 'fallocate':
      return [`# fallocate req${id}`, `xfs_io -c "falloc ${op.pos} ${op.len}" "$F"`];
  }
}

/**
 * Request numbers as the model gives them (req1, req2, ... in issue order across threads): taken
 * from the replay when there is one, else numbered thread by thread.
 */
function requestIds(s: Scenario, result: RunResult | null): Map<OpSpec, number> {
  const ids = new Map<OpSpec, number>();
  if (result !== null) {
    for (const r of result.requests) ids.set(r.op, r.id);
    for (const r of result.syncs) ids.set(r.op, r.id);
    for (const r of result.fileOps) ids.set(r.op, r.id);
  }
  let next = Math.max(0, ...ids.values()) + 1;
  for (const t of s.threads)
    for (const op of t)
      if (op.kind !== 'power_loss' && op.kind !== 'wait_async' && !ids.has(op)) ids.set(op, next++);
  return ids;
}

/** The whole script. */
export function xfsIoScript(path: string, file: ReplayFile, result: RunResult | null): string {
  const s = file.scenario;
  const ids = requestIds(s, result);
  const mmapAt = new Map<OpSpec, number>();
  for (const f of result?.fileOps ?? [])
    if (f.op.kind === 'mmap_read' && f.returned !== null) mmapAt.set(f.op, f.readPos);
  const lines = [...header(path, file, result), '', `F="\${1:?usage: sh $0 FILE-ON-A-SCRATCH-XFS}"`, ''];
  lines.push(...setup(s), '');
  const threads = s.threads.map((ops, t) => {
    const body = ops.flatMap((op) => opLines(op, ids.get(op) ?? 0, mmapAt.get(op) ?? null, s.fs.blockSize));
    return [`thread${t + 1}() {`, ...body.map((l) => `  ${l}`), '}'];
  });
  for (const t of threads) lines.push(...t, '');
  if (s.threads.length === 1) lines.push('thread1');
  else {
    lines.push('# the threads run concurrently, as in the model');
    lines.push(`${s.threads.map((_, t) => `thread${t + 1} &`).join(' ')}`, 'wait');
  }
  return `${lines.join('\n')}\n`;
}

export function exportFile(cmd: ExportCommand, out: Output): number {
  const file = loadReplay(cmd.file);
  if (cmd.out !== null) prepareOutput(cmd.out, '--out');
  let result: RunResult | null = null;
  try {
    result = replayRun(file);
  } catch (e) {
    out.err(`diocheck: warning: ${(e as Error).message.split('\n', 1)[0]}; exporting the scenario alone`);
  }
  const script = xfsIoScript(cmd.file, file, result);
  if (cmd.out === null) {
    out.line(script.trimEnd());
    return EXIT_PASS;
  }
  try {
    writeFileSync(cmd.out, script);
    chmodSync(cmd.out, 0o755);
  } catch (e) {
    throw new UsageError(`cannot write --out ${cmd.out}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  out.line(`xfs_io script: ${cmd.out}`);
  return EXIT_PASS;
}
