/**
 * Checkers that judge one direct I/O request when its result reaches the caller: lifetime of user
 * pages, errors, completion, results, stale data in what a read returned, and the argument rules.
 */
import { EAGAIN, EFAULT, EINVAL, EIOCBQUEUED, ENOTBLK, isErrno } from '../../model/kernel/flags.ts';
import { SECTOR_SHIFT, SECTOR_SIZE } from '../../model/mm/tags.ts';
import type { CompletionView, RequestView, WorldView } from '../../model/world/probe.ts';
import { firstBadTag, historyHolds, ownCount } from './data.ts';
import { fail } from './fail.ts';
import type { Invariant } from './invariant.ts';
import { bytesBeforeFault, callerFinishes, tagsSplitByResume } from './worldChecks.ts';

type Check = (w: WorldView, r: RequestView, c: CompletionView) => void;

/**
 * Did the last iomap_dio_rw call of a request the caller of the scripted filesystem as a whole
 * filesystem finishes end in -EFAULT with no bio error, which that caller handled? It faults the
 * pages in and calls again, or goes on through the page cache (btrfs_direct_write and
 * btrfs_direct_read, 6.12.117 fs/btrfs/direct-io.c L991-1016, L1127-1147; btrfs_file_read_iter,
 * fs/btrfs/file.c L3808-3814): dio->error was that call's result, not the request's.
 */
function loopHandledFault(w: WorldView, r: RequestView): boolean {
  const a = r.iocb.acct;
  // Or a resumed NOWAIT call that would block, whose -EAGAIN the loop turned into the count
  // written before it (the candidate fix of model/fs/genericCaller.ts).
  const handled = a.firstError === -EFAULT || (a.firstError === -EAGAIN && a.eagainAfterPartial);
  return callerFinishes(w, r) && a.bioErrors.length === 0 && handled;
}

/**
 * Was a NOWAIT request without IOMAP_DIO_PARTIAL refused after its page-get failed part way? Such a
 * request cannot complete: the short iteration is progress (seed L659-660), so iomap asks for the
 * next mapping, whose page-get faults again (-EFAULT, seed L689-690); it ends in an error after its
 * first bios did I/O whatever happens. XFS's NOWAIT ->iomap_begin may refuse that mapping with
 * -EAGAIN (the ILOCK only tried, 6.12.117 fs/xfs/xfs_iomap.c L733-737; a range another write's
 * conversion split since the first mapping, L852-856), and the error is then -EAGAIN; retried
 * blocking, the write rewrites the same bytes and fails with -EFAULT. With IOMAP_DIO_PARTIAL the
 * fault is a short count instead, which such an -EAGAIN loses (spec/fs.md, "A NOWAIT write refused
 * part way"): ARG-02 holds that.
 */
function refusedAfterFault(r: RequestView): boolean {
  return r.iocb.acct.pageGetFailed && r.nowait && !r.partial;
}

function onResult(check: Check): Invariant['probe'] {
  return { onResult: check };
}

const isRead = (r: RequestView) => !r.write;
const isAsync = (r: RequestView) => r.async;
const bytes = ownCount;

export const REQUEST_CHECKS: readonly Invariant[] = [
  {
    id: 'LIFE-05',
    name: 'ReadPagesDirtied',
    kind: 'safety',
    family: 'lifetime',
    statement:
      'When a read filled user-backed memory by DMA, those pages are dirty once its bios are released.',
    source: 'seed L404-405, L590-591, L226-227',
    probe: {
      // At quiescence: ki_complete of an inline completion runs before release_bio re-dirties.
      onQuiescent(w) {
        for (const r of w.requests) {
          if (!isRead(r) || !r.buf.userBacked) continue;
          for (let p = 0; p < r.buf.dmaFilled.length; p++) {
            if (r.buf.dmaFilled[p] && !r.buf.dirty[p]) {
              fail(w, 'LIFE-05', 405, `req${r.id} user page ${p} filled by DMA but left clean`);
            }
          }
        }
      },
    },
  },
  {
    id: 'RES-04',
    name: 'NegativeOnlyErrno',
    kind: 'safety',
    family: 'results',
    statement: 'A negative result is always an errno, and no result is a converted error.',
    source: 'seed L439-441; commit e9f930ac88a8',
    probe: onResult((w, r, c) => {
      if (c.res < 0 && !isErrno(c.res)) fail(w, 'RES-04', 441, `req${r.id} returned ${c.res}, not an errno`);
      // A byte count beyond what ssize_t of a 32-bit kernel holds can only be a converted error.
      if (!Number.isSafeInteger(c.res) || c.res > 0x7fffffff) {
        fail(w, 'RES-04', 441, `req${r.id} returned ${c.res} for a ${r.len}-byte request`);
      }
    }),
  },
  {
    id: 'RES-03',
    name: 'ZeroMeansEndOfFile',
    kind: 'safety',
    family: 'results',
    statement: 'A read returns 0 only for an empty request or at end of file.',
    source: 'seed L561-562, L587-588; commits 17614445576b, 4721a6010990',
    resultsOf: { write: false, failed: false },
    probe: onResult((w, r, c) => {
      if (!isRead(r) || bytes(r, c) !== 0 || r.len === 0) return;
      const size = Math.min(r.startSize, w.inode.iSize);
      if (r.startPos < size)
        fail(w, 'RES-03', 588, `req${r.id} returned 0 at pos ${r.startPos} inside i_size ${size}`);
    }),
  },
  {
    id: 'ERR-02',
    name: 'NoErrorLost',
    kind: 'safety',
    family: 'errors',
    statement: 'If a bio of a request failed or dio->error was set, the request reports an error.',
    source: 'seed L165-166, L88, L93, L689-690',
    resultsOf: { failed: false },
    probe: onResult((w, r, c) => {
      const a = r.iocb.acct;
      if (loopHandledFault(w, r)) return;
      const failed = a.bioErrors[0] ?? (a.firstError !== 0 ? a.firstError : undefined);
      if (failed !== undefined && c.res >= 0) {
        fail(w, 'ERR-02', 166, `req${r.id} had error ${failed} but reported ${c.res}`);
      }
    }),
  },
  {
    id: 'ERR-03',
    name: 'FirstErrorReported',
    kind: 'safety',
    family: 'errors',
    statement: 'An error result is the first error stored in dio->error.',
    source: 'seed L88, L149-157, L689-690',
    resultsOf: { failed: true },
    probe: onResult((w, r, c) => {
      if (loopHandledFault(w, r)) return;
      const first = r.iocb.acct.firstError;
      if (first !== 0 && c.res < 0 && c.res !== first) {
        fail(w, 'ERR-03', 88, `req${r.id} reported ${c.res} but the first error was ${first}`);
      }
    }),
  },
  {
    id: 'CMPL-03',
    name: 'ResultAfterEveryBio',
    kind: 'safety',
    family: 'completion',
    statement: 'A result reaches the caller only after every bio of the request completed.',
    source: 'seed L167-168, L716-730',
    probe: onResult((w, r) => {
      const a = r.iocb.acct;
      if (a.biosEnded !== a.biosSubmitted) {
        fail(
          w,
          'CMPL-03',
          716,
          `req${r.id} delivered with ${a.biosSubmitted - a.biosEnded} bio(s) in flight`,
        );
      }
    }),
  },
  {
    id: 'CMPL-04',
    name: 'QueuedIffAsync',
    kind: 'safety',
    family: 'completion',
    statement:
      'A request returns -EIOCBQUEUED only if it is asynchronous, and then its result comes from ki_complete.',
    source: 'seed L715-720',
    resultsOf: { failed: true },
    probe: {
      onReturn(w, r) {
        if (r.returned === -EIOCBQUEUED && !isAsync(r)) {
          fail(w, 'CMPL-04', 719, `synchronous req${r.id} returned -EIOCBQUEUED`);
        }
      },
      onResult(w, r, c) {
        if (c.res === -EIOCBQUEUED)
          fail(w, 'CMPL-04', 719, `req${r.id} delivered -EIOCBQUEUED as its result`);
      },
    },
  },
  {
    id: 'POLL-01',
    name: 'OnlyOneBioPolled',
    kind: 'safety',
    family: 'completion',
    statement:
      'Only an asynchronous request polls, and it polls at most one bio: HIPRI is cleared before any further bio.',
    source: 'seed L71-75, L353-354, L413-417, L662-665',
    probe: onResult((w, r) => {
      const a = r.iocb.acct;
      if (a.polledBios === 0) return;
      if (!isAsync(r)) fail(w, 'POLL-01', 72, `synchronous req${r.id} submitted a polled bio`);
      if (a.polledBios > 1) fail(w, 'POLL-01', 417, `req${r.id} polled ${a.polledBios} bios`);
    }),
  },
  {
    id: 'RES-01',
    name: 'ByteCountBounded',
    kind: 'safety',
    family: 'results',
    statement:
      'A non-negative result is at most the request length plus done_before, and a read stops at the i_size it started with or the one __iomap_dio_rw sampled.',
    source: 'seed L93-99, L127-128',
    resultsOf: { failed: false },
    probe: onResult((w, r, c) => {
      if (c.res < 0) return;
      const n = bytes(r, c);
      if (n > r.len) fail(w, 'RES-01', 94, `req${r.id} reported ${n} bytes of a ${r.len}-byte request`);
      // The i_size __iomap_dio_rw sampled at seed L571 (dio->i_size) bounds the read: a write's
      // completion may grow i_size between the request's issue and L571 (the read waiting for the
      // inode lock, or at the point at L564), and a truncate may shrink it before the result.
      const size = Math.max(r.startSize, r.iocb.acct.sampledSize ?? 0, w.inode.iSize);
      if (isRead(r) && r.startPos + n > Math.max(size, r.startPos)) {
        fail(w, 'RES-01', 98, `req${r.id} read ${n} bytes past i_size ${size}`);
      }
    }),
  },
  {
    id: 'RES-02',
    name: 'PositionAdvancesByResult',
    kind: 'safety',
    family: 'results',
    statement:
      'ki_pos advances by exactly the bytes reported; an error leaves it alone unless the data was written and only the sync failed.',
    source: 'seed L118-129',
    probe: onResult((w, r, c) => {
      const moved = r.iocb.kiPos - r.startPos;
      if (c.res >= 0 && moved !== bytes(r, c)) {
        fail(w, 'RES-02', 119, `req${r.id} reported ${bytes(r, c)} bytes but ki_pos moved ${moved}`);
      }
      const syncFailed = c.res < 0 && r.iocb.acct.firstError === 0 && r.iocb.acct.bioErrors.length === 0;
      // btrfs and gfs2 return the error of a later call of their loop, or of the buffered
      // fallback, although earlier calls moved data and ki_pos ("User space doesn't expect partial
      // success", 6.12.117 fs/gfs2/file.c L868-871, L943-946; fs/btrfs/direct-io.c L1038-1041,
      // L1057, L1149): ki_pos then stays where those calls left it, inside the request.
      if (c.res < 0 && callerFinishes(w, r) && moved >= 0 && moved <= r.len) return;
      if (c.res < 0 && moved !== 0 && !syncFailed)
        fail(w, 'RES-02', 119, `req${r.id} failed with ${c.res} but ki_pos moved ${moved}`);
    }),
  },
  {
    id: 'RES-05',
    name: 'ReadIterMatchesResult',
    kind: 'safety',
    family: 'results',
    statement: 'After a synchronous read, the bytes consumed from the iov_iter equal the bytes reported.',
    source: 'seed L670-676, L436-441',
    resultsOf: { write: false, failed: false },
    probe: onResult((w, r, c) => {
      if (!isRead(r) || isAsync(r) || c.res < 0) return;
      const consumed = r.len - r.iter.count;
      if (consumed !== bytes(r, c))
        fail(w, 'RES-05', 676, `req${r.id} reported ${bytes(r, c)} but consumed ${consumed}`);
    }),
  },
  {
    id: 'RES-06',
    name: 'WriteIterMatchesSubmitted',
    kind: 'safety',
    family: 'results',
    statement:
      'After a synchronous write returns, the bytes consumed from the iov_iter equal the data handed to bios.',
    source: 'seed L373-377, L408-409, L436-441; commit 4ad357e39b2e',
    resultsOf: { write: true },
    probe: onResult((w, r) => {
      if (!r.write || isAsync(r) || r.iocb.acct.dataBytesSubmitted === 0) return;
      // The rest of a write that fell back went through the page cache, not the request's bios.
      if (r.iocb.fellBackToBuffered) return;
      const consumed = r.len - r.iter.count;
      const submitted = r.iocb.acct.dataBytesSubmitted;
      if (consumed !== submitted) {
        fail(
          w,
          'RES-06',
          374,
          `req${r.id} handed ${submitted} bytes to bios but the iter shows ${consumed} consumed`,
        );
      }
    }),
  },
  {
    id: 'STALE-01',
    name: 'DirectReadNeverStale',
    kind: 'safety',
    family: 'stale',
    statement:
      'A direct read returns, for every byte it reports, zeros or data written at that offset that no truncate removed before the read began, never stale disk contents nor what the file lost before mount.',
    source:
      'seed L295-298, L356-361, L388-398, L428-435; commit 4721a6010990; 6.12.117 fs/xfs/xfs_iops.c L864-874, mm/truncate.c L218-245 (spec/invariants.md, "Data by history")',
    resultsOf: { write: false, failed: false },
    probe: onResult((w, r, c) => {
      if (!isRead(r) || bytes(r, c) <= 0) return;
      // The scripted provider has file data to judge only as a whole filesystem (FsSpec.generic).
      if (w.xfs === null && w.scenario.fs.generic !== true) return;
      // Tags are per 512 bytes of the buffer: a read at a position not on a sector boundary cannot be
      // judged by them. The model filesystems refuse it (-EINVAL) before iomap, as XFS, ext4 and
      // btrfs do; the scripted provider, an in-kernel caller of iomap_dio_rw, lets a hole's or
      // unwritten extent's zeroing (seed L444-453) through, which checks no alignment.
      if ((r.startPos | r.len) & (SECTOR_SIZE - 1)) return;
      // Nor a resumed request whose buffer is not on a 512-byte boundary (campaign seed
      // -1685173782 run 41,727: tagsSplitByResume).
      if (tagsSplitByResume(w, r)) return;
      const bad = firstBadTag(
        r.buf.tags,
        bytes(r, c) >> SECTOR_SHIFT,
        r.startPos,
        w,
        r.startStep,
        Number.POSITIVE_INFINITY,
        historyHolds(w, c.step),
      );
      if (bad !== null) {
        fail(
          w,
          'STALE-01',
          0,
          `req${r.id} returned ${bad.verdict} data at offset ${r.startPos + (bad.unit << SECTOR_SHIFT)}`,
        );
      }
    }),
  },
  {
    id: 'ARG-01',
    name: 'MisalignedTouchesNothing',
    kind: 'safety',
    family: 'arguments',
    statement: 'A misaligned request fails with -EINVAL and submits nothing and changes no metadata.',
    source: 'seed L291-293',
    resultsOf: { failed: true },
    probe: onResult((w, r, c) => {
      if (c.res !== -EINVAL) return;
      if (r.iocb.acct.biosSubmitted !== 0)
        fail(w, 'ARG-01', 293, `req${r.id} returned -EINVAL after submitting bios`);
    }),
  },
  {
    id: 'ARG-02',
    name: 'EagainTouchesNothing',
    kind: 'safety',
    family: 'arguments',
    statement:
      "A request that returns -EAGAIN (NOWAIT, OVERWRITE_ONLY) submitted no bio of its own that did I/O (a polled NOWAIT bio the block layer refused inside submit_bio did none; a NOWAIT request without IOMAP_DIO_PARTIAL whose page-get failed part way, which fails either way, may report its next mapping's -EAGAIN).",
    source:
      'seed L580-581, L609-615, L641; iomap design.rst NOWAIT contract; 6.12.107 include/linux/bio.h L664-670 (async polled I/O must expect -EWOULDBLOCK when no request can be allocated); 6.12.117 fs/xfs/xfs_iomap.c L733-737, L852-856 (a NOWAIT mapping after a fault)',
    resultsOf: { failed: true },
    probe: onResult((w, r, c) => {
      if (c.res !== -EAGAIN) return;
      if (r.iocb.acct.biosSubmitted - r.iocb.acct.biosRefused === 0 || refusedAfterFault(r)) return;
      fail(w, 'ARG-02', 613, `req${r.id} returned -EAGAIN after submitting bios`);
    }),
  },
  {
    id: 'ARG-03',
    name: 'NotblkWritesNothing',
    kind: 'safety',
    family: 'arguments',
    statement: 'A write that returns -ENOTBLK (fall back to buffered I/O) wrote nothing.',
    source: 'seed L634-647, L684-688; commit 60263d5889e6',
    resultsOf: { failed: true },
    probe: onResult((w, r, c) => {
      if (c.res !== -ENOTBLK) return;
      if (r.iocb.acct.biosSubmitted !== 0)
        fail(w, 'ARG-03', 644, `req${r.id} returned -ENOTBLK after submitting bios`);
    }),
  },
  {
    id: 'ARG-04',
    name: 'NowaitAllOrNothing',
    kind: 'safety',
    family: 'arguments',
    statement:
      'An IOCB_NOWAIT request either fails with -EAGAIN having done nothing, or is done whole (up to end of file for reads; a read its caller finishes from the page cache may stop short where a page is not cached, as a buffered RWF_NOWAIT read does; a request whose buffer faulted may stop short there, as any request may).',
    source: 'seed L580-581; iomap design.rst NOWAIT contract; pwritev2(2) and preadv2(2) RWF_NOWAIT',
    resultsOf: { nowait: true, failed: false },
    probe: onResult((w, r, c) => {
      if (!r.nowait || c.res < 0) return;
      // IOMAP_DIO_PARTIAL turns a fault part way into a short count (seed L678-682), and only a
      // fault: such a count is RES-07's to judge. Without a fault a PARTIAL request is held here too.
      if (r.iocb.acct.partialFault) return;
      // End of file is the i_size __iomap_dio_rw sampled at seed L571 (another dio's ->end_io may
      // grow i_size between the request's issue and that read).
      const eof = r.iocb.acct.sampledSize ?? r.startSize;
      const want = isRead(r) ? Math.max(0, Math.min(r.len, eof - r.startPos)) : r.len;
      // Where the filesystem answers -ENOTBLK, the write returns what it did directly and its caller
      // falls back to buffered I/O for the rest (L684-688): a partial count is the contract there.
      // (The caller of the scripted filesystem as a whole filesystem does that fallback itself, and
      // is held here: model/fs/genericCaller.ts.)
      const notblk = w.scenario.fs.notblkFrom;
      if (!isRead(r) && notblk !== undefined && r.startPos + r.len > notblk && !callerFinishes(w, r)) return;
      // A read its caller finished from the page cache may stop short where a page is not cached:
      // a buffered RWF_NOWAIT read returns what it read (preadv2(2) RWF_NOWAIT; mm/filemap.c
      // filemap_read), never more than the whole.
      if (isRead(r) && r.iocb.acct.readFromCache && bytes(r, c) <= want) return;
      // A buffer that faults ends a request short, NOWAIT or not: the buffered write a direct write
      // falls back to (-ENOTBLK) stops at the first page it cannot fault in and returns what it
      // copied (6.12.117 fs/iomap/buffered-io.c L985-988, which NOWAIT does not change). That count
      // is SYS-02's to judge (swarm campaign seed 1 run 23,160 once XFS worlds drew bad pages). Not
      // a count of 0, which no fault explains (6.12.107-6.12.117's tail zeroing, SYS-01).
      const done = bytes(r, c);
      if (done > 0 && done < want && Number.isFinite(bytesBeforeFault(r))) return;
      if (done !== want) fail(w, 'ARG-04', 581, `NOWAIT req${r.id} did ${done} of ${want} bytes`);
    }),
  },
];
