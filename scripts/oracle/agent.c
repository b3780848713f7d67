/*
 * diocheck oracle agent: runs as init inside a User-Mode Linux guest, executes a corpus of
 * direct I/O scenarios against real XFS and ext4, and writes one JSON line of observations per
 * scenario. Batch mode: the corpus and the results are files on the hostfs root, so no console
 * protocol is needed (../shared/notes/real-kernel-oracle.md §5.2 suggests a pipe agent; a batch
 * is simpler and the boot costs well under a second).
 *
 * Corpus lines (written by scripts/oracle/agentCorpus.ts; numbers are decimal):
 *   S <scenario> <device> <fstype> <blocksize>   begin a scenario on /dev/ubd<device>
 *   M <off> <len> <isize>      initial written blocks: pattern of write 0, zero past isize
 *   Z <isize>                  initial size: ftruncate (after M, whose writes may extend the file)
 *   U <off> <len>              initial unwritten blocks: fallocate(FALLOC_FL_KEEP_SIZE)
 *   F <nth> <times>            freeze and thaw the filesystem (all metadata written back), then
 *                              arm fail_make_request: the nth bio from here fails, <times> of them;
 *                              disarmed before the final read
 *   A <nth> <times>            arm fail_make_request as F does, but here, between operations and
 *                              without the freeze (which would commit what the operations left in
 *                              the journal); the kernel logs the failed bio with its stack
 *   G                          keep the kernel log: each later operation's record carries the
 *                              kernel's messages during it as "klog" (and the file's "mtime" after
 *                              it), and each E and R record those since the last operation (or
 *                              since its crash image's mount)
 *   W                          wait until the coarse clock ticks, so that the next write finds the
 *                              file's timestamps out of date and updates them
 *   O <id> <kind> <a> <b> <bufoff> <rwf> <async> [<page> <how>]   one operation (kinds below);
 *                              async 0: pwritev2/preadv2, 1: aio (io_submit, reaped at once),
 *                              2: io_uring with IORING_SETUP_IOPOLL (uring_rw below; the record
 *                              then carries "polled", the requests waiting for a poll after the
 *                              submission returned);
 *                              with <page>, page <page> of the buffer (from the page holding its
 *                              first byte) is taken away for the call: how 1 munmap, 2 mprotect
 *                              PROT_NONE (after the buffer is filled; given back, zeroed or as it
 *                              was, before the result is read); a failure shows as "badPage":-errno
 *   Q                          freeze and thaw the filesystem (metadata written back, deferred
 *                              work done, log covered), before the operations
 *   T                          the operations start: a dm-log-writes mark `st<scenario>`
 *   P                          power fails here: a dm-log-writes mark `pl<scenario>` (the host
 *                              replays the log to it onto the pristine image: the crash image)
 *   E <readlen>                end: a final O_DIRECT read of [0, readlen), fstat, FIEMAP, unlink
 * Devices: /dev/ubd<device>, unless declared by
 *   L <device> <data ubd> <log ubd>   a dm-log-writes device over ubd<data>, logging to ubd<log>
 *   K <device> <disk>                 the scsi_debug disk /dev/<disk> (4096-byte sectors), with
 *                                     the image of ubd<device> copied onto it first
 *   N <device> <ubd> <max_sectors> [<depth>]   device <device> is a memory-backed null_blk disk
 *                                     made through configfs, with a poll queue (nullb_create
 *                                     below) of <depth> tags (null_blk's 64 by default), the
 *                                     pristine image of ubd<ubd> copied onto it first (XFS mounts
 *                                     it with nouuid: it shares that image's UUID)
 *   Y <id> <pos> <len> <rwf> <pos2> <len2> <rwf2>   two direct reads through the IOPOLL ring,
 *                                     submitted by one io_uring_enter, then both reaped
 *                                     (uring_pair below); its record has both results
 * Recovery (a second boot over crash images):
 *   R <scenario> <ubd> <fstype> <readlen> <point>   mount crash image <point> of the scenario
 *                                           (log recovery), then as E for s<scenario>
 * Kinds: dio_write dio_read buffered_write buffered_read fsync fdatasync truncate fallocate mmap_read.
 *
 * Data is never random: every 512-byte sector a write carries names its scenario, its write id and
 * its unit (the model's sector provenance tags, model/mm/tags.ts), so what a read returns can be
 * classified per sector as zeros, stale disk contents (the host filled each image with a marker
 * before mkfs), another scenario's data, or write <id> unit <n>.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/dm-ioctl.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define MAGIC 0xD10C0DA7u
#define STALE 0x5EA1DA7Au
#define SECT 512
#define BUFMAX (1 << 20)

static unsigned scen;
static char devpath[24][32];    /* the block device of each corpus device index */
static char *buf;          /* 64 KiB aligned */
static FILE *out;
static int ndev;
static char mounted[24][8];

static void fill_sector(char *p, unsigned wid, unsigned unit)
{
	uint32_t rec[4] = { MAGIC, scen, wid, unit };
	for (int i = 0; i < SECT; i += 16)
		memcpy(p + i, rec, 16);
}

/*
 * One token per sector: z zero, s stale, u untouched (the 0xA5 fill a read buffer starts with),
 * g garbage, x another scenario's data, or <wid>.<unit>.
 */
static void classify(const char *p, size_t len)
{
	fputc('"', out);
	for (size_t off = 0; off < len; off += SECT) {
		const uint32_t *w = (const uint32_t *)(p + off);
		int zero = 1, stale = 1, rec = 1, untouched = 1;
		for (int i = 0; i < SECT / 4; i++) {
			if (w[i]) zero = 0;
			if (w[i] != STALE) stale = 0;
			if (w[i] != w[i & 3]) rec = 0;
			if (w[i] != 0xA5A5A5A5u) untouched = 0;
		}
		if (off) fputc(' ', out);
		if (zero) fputc('z', out);
		else if (stale) fputc('s', out);
		else if (untouched) fputc('u', out);
		else if (!rec || w[0] != MAGIC) fputc('g', out);
		else if (w[1] != scen) fputc('x', out);
		else fprintf(out, "%u.%u", w[2], w[3]);
	}
	fputc('"', out);
}

static long sys_ret(long r) { return r < 0 ? -errno : r; }

/*
 * Bio trace: the block_bio_queue tracepoint (6.12 build, tracefs) logs every bio that enters the
 * block layer, with its sector, length and flags (rwbs: F before the op is PREFLUSH, F after it
 * FUA, S sync, M meta). Cleared before each operation and dumped after it, into its record.
 */
#define TRACE "/sys/kernel/tracing/"
static int tracing;

static void trace_setup(void)
{
	mkdir("/sys/kernel/tracing", 0755);
	mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	int f = open(TRACE "events/block/block_bio_queue/enable", O_WRONLY);
	if (f >= 0) {
		tracing = write(f, "1", 1) == 1;
		close(f);
	}
	f = open(TRACE "buffer_size_kb", O_WRONLY);
	if (f >= 0) {
		if (write(f, "8192", 4) != 4) tracing = 0;
		close(f);
	}
}

static void trace_clear(void)
{
	int f = open(TRACE "trace", O_WRONLY | O_TRUNC);
	if (f >= 0) close(f);
}

static void trace_dump(unsigned maj, unsigned min)
{
	fputs(",\"bios\":[", out);
	FILE *f = tracing ? fopen(TRACE "trace", "r") : NULL;
	char line[512];
	int n = 0;
	while (f && fgets(line, sizeof line, f)) {
		char *p = strstr(line, "block_bio_queue: ");
		unsigned a, b, nr;
		unsigned long long sector;
		char rwbs[16];
		if (!p || sscanf(p + 17, "%u,%u %15s %llu + %u", &a, &b, rwbs, &sector, &nr) != 5) continue;
		if (a != maj || b != min) continue;
		fprintf(out, "%s[%llu,%u,\"%s\"]", n++ ? "," : "", sector, nr, rwbs);
	}
	if (f) fclose(f);
	fputc(']', out);
}

static int fail_plan(long nth, long times, int verbose)
{
	/*
	 * fail_make_request (6.12 build): interval counts bios submitted to the disk. The disk's sysfs
	 * directory by its device number, which also finds a device-mapper disk (dm-N, not its name).
	 */
	char path[96];
	struct stat st;
	if (stat(devpath[ndev], &st)) return -1;
	snprintf(path, sizeof path, "/sys/dev/block/%u:%u/make-it-fail", major(st.st_rdev), minor(st.st_rdev));
	FILE *f = fopen(path, "w");
	if (!f) return -1;
	fprintf(f, "%d\n", times > 0);
	fclose(f);
	if (times <= 0) return 0;
	f = fopen("/sys/kernel/debug/fail_make_request/interval", "w");
	if (f) { fprintf(f, "%ld\n", nth); fclose(f); }
	f = fopen("/sys/kernel/debug/fail_make_request/probability", "w");
	if (f) { fprintf(f, "100\n"); fclose(f); }
	f = fopen("/sys/kernel/debug/fail_make_request/times", "w");
	if (f) { fprintf(f, "%ld\n", times); fclose(f); }
	/* verbose 2: "FAULT_INJECTION: forcing a failure" and the stack that submitted the bio. */
	f = fopen("/sys/kernel/debug/fail_make_request/verbose", "w");
	if (f) { fprintf(f, "%d\n", verbose); fclose(f); }
	return 0;
}

/*
 * The kernel log since the last call (G): read whole, then cleared, as a JSON array of its lines
 * (printk's own "<level>" prefix and timestamp kept; control characters escaped).
 */
static int klog;
static char klogbuf[1 << 17];

static void klog_clear(void)
{
	if (klog) klogctl(5, NULL, 0); /* SYSLOG_ACTION_CLEAR */
}

static void klog_dump(void)
{
	if (!klog) return;
	int n = klogctl(3, klogbuf, sizeof klogbuf - 1); /* SYSLOG_ACTION_READ_ALL */
	klogctl(5, NULL, 0);
	fputs(",\"klog\":[\"", out);
	for (int i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)klogbuf[i];
		if (ch == '\n') fputs(i + 1 < n ? "\",\"" : "", out);
		else if (ch == '"' || ch == '\\') fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f) fprintf(out, "\\u%04x", ch);
		else fputc(ch, out);
	}
	fputs("\"]", out);
}

/* Waits until the coarse clock (the one file timestamps take) moves on. */
static void next_tick(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_REALTIME_COARSE, &a);
	do clock_gettime(CLOCK_REALTIME_COARSE, &b);
	while (a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec);
}

/* dm-log-writes device lw<dev> over ubd<data>, logging to ubd<log>: /dev/lw<dev>. */
static int lw_create(int dev, int data, int log)
{
	char name[16], data_path[32], log_path[32], node[32];
	snprintf(name, sizeof name, "lw%d", dev);
	snprintf(data_path, sizeof data_path, "/dev/ubd%c", 'a' + data);
	snprintf(log_path, sizeof log_path, "/dev/ubd%c", 'a' + log);
	snprintf(node, sizeof node, "/dev/%s", name);
	int r = dm_log_writes_create(name, data_path, log_path, node);
	if (!r) snprintf(devpath[dev], sizeof devpath[dev], "%s", node);
	return r;
}

static int lw_mark(int dev, const char *mark)
{
	char name[16];
	snprintf(name, sizeof name, "lw%d", dev);
	return dm_log_writes_mark(name, mark);
}

/*
 * Removes dm-log-writes device lw<dev> (unmounted): its destructor waits until every logged entry
 * and the log's super block (the entry count) are on the log device. Without it, a power-off right
 * after the last operations can leave the newest entries, the marks among them, out of the log.
 */
static int lw_remove(int dev)
{
	char name[16];
	snprintf(name, sizeof name, "lw%d", dev);
	struct dm_ioctl *io = dm_begin(name);
	return ioctl(dm_ctl, DM_DEV_REMOVE, io) ? -errno : 0;
}

/*
 * One aio context for the whole run, set up before any case: io_setup maps its ring into the
 * address space, and a ring set up per request could land in the hole a case's munmap just made,
 * mapping the very page the case takes away.
 */
static aio_context_t aio_ctx;

static long aio_rw(int fd, int write, char *b, long len, long pos, int rwf)
{
	aio_context_t ctx = aio_ctx;
	if (!ctx) return -ENOSYS;
	struct iocb cb;
	memset(&cb, 0, sizeof cb);
	cb.aio_fildes = fd;
	cb.aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
	cb.aio_buf = (uint64_t)(uintptr_t)b;
	cb.aio_nbytes = len;
	cb.aio_offset = pos;
	cb.aio_rw_flags = rwf;
	struct iocb *cbs[1] = { &cb };
	long r = syscall(SYS_io_submit, ctx, 1, cbs);
	if (r < 0) return -errno;
	struct io_event ev;
	r = syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL);
	return r < 0 ? -errno : (long)ev.res;
}

/*
 * One io_uring for the whole run, set up before any case (as the aio context, and for the same
 * reason), with IORING_SETUP_IOPOLL: a ring whose reads and writes the kernel issues with
 * IOCB_HIPRI and whose completions the task reaps by polling in io_uring_enter (6.12 io_uring/rw.c
 * io_rw_init_file: IOCB_HIPRI, ki_complete io_complete_rw_iopoll). Raw system calls and the
 * mapped rings: the agent is static and needs no liburing.
 */
static int uring_fd = -1;
static unsigned *sq_head, *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
static struct io_uring_sqe *sqes;
static struct io_uring_cqe *cqes;

static void uring_setup(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_IOPOLL;
	int fd = (int)syscall(SYS_io_uring_setup, 4, &p);
	if (fd < 0) return;
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) sq_len = cq_len = sq_len > cq_len ? sq_len : cq_len;
	char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	char *cq = p.features & IORING_FEAT_SINGLE_MMAP
		? sq
		: mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
	void *se = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || se == MAP_FAILED) {
		close(fd);
		return;
	}
	sq_head = (unsigned *)(sq + p.sq_off.head);
	sq_tail = (unsigned *)(sq + p.sq_off.tail);
	sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	sq_array = (unsigned *)(sq + p.sq_off.array);
	cq_head = (unsigned *)(cq + p.cq_off.head);
	cq_tail = (unsigned *)(cq + p.cq_off.tail);
	cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	sqes = se;
	uring_fd = fd;
}

/* Requests of the disk in flight (/sys/block/<disk>/inflight: reads and writes), -1 if unknown. */
static long disk_inflight(const char *dev)
{
	char path[64];
	const char *name = strrchr(dev, '/');
	snprintf(path, sizeof path, "/sys/block/%s/inflight", name ? name + 1 : dev);
	FILE *f = fopen(path, "r");
	long r = 0, w = 0;
	if (!f) return -1;
	int n = fscanf(f, "%ld %ld", &r, &w);
	fclose(f);
	return n == 2 ? r + w : -1;
}

/*
 * One read or write through the IOPOLL ring: submitted by one io_uring_enter, then reaped by
 * io_uring_enter with IORING_ENTER_GETEVENTS (which polls: io_iopoll_check). *polled: the disk's
 * requests still in flight when the submission returned. A request on a poll queue completes only
 * when it is polled (null_blk's null_poll; its other queues complete in queue_rq with irqmode 0),
 * so these are the requests that went to the poll queue; nothing polls between the two calls.
 */
static long uring_rw(int fd, int write, char *b, long len, long pos, int rwf, long *polled)
{
	*polled = -1;
	if (uring_fd < 0) return -ENOSYS;
	unsigned tail = *sq_tail, idx = tail & *sq_mask;
	struct io_uring_sqe *sqe = &sqes[idx];
	memset(sqe, 0, sizeof *sqe);
	sqe->opcode = write ? IORING_OP_WRITE : IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)b;
	sqe->len = (unsigned)len;
	sqe->off = (uint64_t)pos;
	/* The ring gives IOCB_HIPRI itself; RWF_HIPRI would say it again. */
	sqe->rw_flags = rwf & ~RWF_HIPRI;
	sq_array[idx] = idx;
	atomic_store_explicit((_Atomic unsigned *)sq_tail, tail + 1, memory_order_release);
	long r = syscall(SYS_io_uring_enter, uring_fd, 1, 0, 0, NULL, 0);
	if (r < 0) return -errno;
	*polled = disk_inflight(devpath[ndev]);
	for (int tries = 0; tries < 1000000; tries++) {
		unsigned head = *cq_head;
		if (head != atomic_load_explicit((_Atomic unsigned *)cq_tail, memory_order_acquire)) {
			long res = cqes[head & *cq_mask].res;
			atomic_store_explicit((_Atomic unsigned *)cq_head, head + 1, memory_order_release);
			return res;
		}
		if (syscall(SYS_io_uring_enter, uring_fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 && errno != EINTR)
			return -errno;
	}
	return -ETIME;
}

/* Milliseconds of the monotonic clock. */
static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/*
 * Two direct reads through the IOPOLL ring, submitted together (one io_uring_enter), then both
 * reaped: with a poll queue of one tag, the first holds the tag until it is polled, which only
 * the reaping does. Writes the record's fields: each result (by user_data), the requests left for
 * a poll after the submission, and how long the submission and the whole took.
 */
static void uring_pair(int fd, long pos, long len, int rwf, long pos2, long len2, int rwf2)
{
	long res[2] = { -ENOSYS, -ENOSYS }, polled = -1;
	double t0 = now_ms(), t1 = t0;
	if (uring_fd >= 0) {
		const long p[2] = { pos, pos2 }, l[2] = { len, len2 };
		const int f[2] = { rwf, rwf2 };
		unsigned tail = *sq_tail;
		for (int i = 0; i < 2; i++) {
			unsigned idx = (tail + i) & *sq_mask;
			struct io_uring_sqe *sqe = &sqes[idx];
			memset(sqe, 0, sizeof *sqe);
			sqe->opcode = IORING_OP_READ;
			sqe->fd = fd;
			sqe->addr = (uint64_t)(uintptr_t)(buf + i * 0x40000);
			sqe->len = (unsigned)l[i];
			sqe->off = (uint64_t)p[i];
			sqe->rw_flags = f[i] & ~RWF_HIPRI;
			sqe->user_data = (uint64_t)i;
			sq_array[idx] = idx;
		}
		atomic_store_explicit((_Atomic unsigned *)sq_tail, tail + 2, memory_order_release);
		long r = syscall(SYS_io_uring_enter, uring_fd, 2, 0, 0, NULL, 0);
		t1 = now_ms();
		if (r < 0) res[0] = res[1] = -errno;
		else {
			polled = disk_inflight(devpath[ndev]);
			int got = 0;
			for (int tries = 0; got < 2 && tries < 1000000; tries++) {
				unsigned head = *cq_head;
				if (head != atomic_load_explicit((_Atomic unsigned *)cq_tail, memory_order_acquire)) {
					struct io_uring_cqe *cqe = &cqes[head & *cq_mask];
					if (cqe->user_data < 2) res[cqe->user_data] = cqe->res;
					atomic_store_explicit((_Atomic unsigned *)cq_head, head + 1, memory_order_release);
					got++;
					continue;
				}
				if (syscall(SYS_io_uring_enter, uring_fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
				    errno != EINTR)
					break;
			}
		}
	}
	fprintf(out, "\"ret\":%ld,\"ret2\":%ld,\"polled\":%ld,\"submitMs\":%.1f,\"totalMs\":%.1f", res[0], res[1],
		polled, t1 - t0, now_ms() - t0);
}

/*
 * A memory-backed null_blk disk through configfs (6.12 drivers/block/null_blk/main.c, its
 * NULLB_DEVICE_ATTRs): 512-byte sectors, the size of ubd<d>'s image, one submit queue and one poll
 * queue (so the queue has BLK_FEAT_POLL: 6.12.117 block/blk-mq.c L4361-4362, and a polled bio reaches
 * the poll queue instead of ending with BLK_STS_NOTSUPP, L3086-3090), completions inline (irqmode
 * 0), a volatile cache with FUA, and max_sectors as asked (a larger bio is split). Its queue's
 * io_poll must read 1. Then the image is copied onto it.
 */
static int nullb_attr(const char *dir, const char *attr, long value)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, attr);
	FILE *f = fopen(path, "w");
	if (!f) return -errno;
	int r = fprintf(f, "%ld\n", value) < 0 ? -EIO : 0;
	if (fclose(f) && !r) r = -errno;
	return r;
}

static int nullb_create(int d, int ubd, long max_sectors, long depth)
{
	char from[32], dir[64], name[16], path[64];
	snprintf(from, sizeof from, "/dev/ubd%c", 'a' + ubd);
	snprintf(name, sizeof name, "nullb%d", d);
	uint64_t bytes = 0;
	int in = open(from, O_RDONLY);
	if (in < 0 || ioctl(in, BLKGETSIZE64, &bytes)) return -errno;
	close(in);
	mkdir("/sys/kernel/config", 0755);
	mount("configfs", "/sys/kernel/config", "configfs", 0, NULL);
	snprintf(dir, sizeof dir, "/sys/kernel/config/nullb/%s", name);
	if (mkdir(dir, 0755) && errno != EEXIST) return -errno;
	const struct { const char *attr; long value; } attrs[] = {
		{ "size", (long)(bytes >> 20) }, { "blocksize", 512 }, { "memory_backed", 1 },
		{ "submit_queues", 1 }, { "poll_queues", 1 }, { "irqmode", 0 },
		{ "cache_size", 16 }, { "fua", 1 }, { "max_sectors", max_sectors },
		{ "hw_queue_depth", depth > 0 ? depth : 64 }, { "power", 1 },
	};
	for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
		int r = nullb_attr(dir, attrs[i].attr, attrs[i].value);
		if (r) return r;
	}
	snprintf(path, sizeof path, "/sys/block/%s/queue/io_poll", name);
	FILE *f = fopen(path, "r");
	int poll = 0;
	if (!f || fscanf(f, "%d", &poll) != 1 || poll != 1) {
		if (f) fclose(f);
		return -EOPNOTSUPP;
	}
	fclose(f);
	snprintf(devpath[d], sizeof devpath[d], "/dev/%s", name);
	return copy_device(from, devpath[d]);
}

/*
 * A NOWAIT write gives up with -EAGAIN when the file's timestamps need an update (kiocb_modified,
 * from xfs_file_write_checks and ext4_write_checks), which depends on whether the coarse clock ticked
 * since the setup last changed them: a race, not a property of the file. Wait for a tick, then set
 * both to now, so the write that follows at once finds them current, as the model (which keeps no
 * timestamps) always does.
 */
static void fresh_times(int fd)
{
	next_tick();
	futimens(fd, NULL);
}

/*
 * Takes page <k> of the buffer at p away (how 1: munmap, 2: mprotect PROT_NONE): pinning it and
 * copying to or from it fault. Returns the page, or NULL with errno set.
 */
static char *take_page(char *p, long k, long how)
{
	char *page = (char *)(((uintptr_t)p & ~(uintptr_t)4095) + (uintptr_t)k * 4096);
	int r = how == 1 ? munmap(page, 4096) : how == 2 ? mprotect(page, 4096, PROT_NONE) : (errno = EINVAL, -1);
	return r ? NULL : page;
}

/* Gives a page take_page took back: a fresh zero page in its place, or its old protection. */
static int give_back(char *page, long how)
{
	if (how == 2) return mprotect(page, 4096, PROT_READ | PROT_WRITE) ? -errno : 0;
	void *m = mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	return m == MAP_FAILED ? -errno : 0;
}

/*
 * Freezes and thaws the scenario's filesystem: it writes back its metadata, finishes deferred
 * work (XFS inactivates the inodes of earlier scenarios' unlinked files) and covers its log, so
 * that no log push the earlier scenarios made due lands inside this one's operations.
 */
static void quiesce(void)
{
	char dir[32];
	snprintf(dir, sizeof dir, "/mnt/%d", ndev);
	int dfd = open(dir, O_RDONLY);
	if (dfd >= 0) {
		ioctl(dfd, FIFREEZE, 0);
		ioctl(dfd, FITHAW, 0);
		close(dfd);
	}
}

static void fiemap_out(int fd);

/* What a file holds now: its size, a final O_DIRECT read of [0, readlen) by origin, its extents. */
static void report_file(int fd, long readlen)
{
	long r = 0;
	if (readlen > 0) {
		memset(buf, 0xA5, readlen);
		r = sys_ret(pread(fd, buf, readlen, 0));
	}
	struct stat st;
	fstat(fd, &st);
	fprintf(out, ",\"size\":%lld,\"final\":%ld", (long long)st.st_size, r);
	if (r > 0) {
		fputs(",\"contents\":", out);
		classify(buf, (size_t)((r + SECT - 1) / SECT * SECT));
	}
	fiemap_out(fd);
}

static void fiemap_out(int fd)
{
	static char fmbuf[sizeof(struct fiemap) + 256 * sizeof(struct fiemap_extent)];
	struct fiemap *fm = (struct fiemap *)fmbuf;
	memset(fm, 0, sizeof(struct fiemap));
	fm->fm_length = ~0ULL;
	fm->fm_extent_count = 256;
	fputs(",\"extents\":[", out);
	if (ioctl(fd, FS_IOC_FIEMAP, fm) == 0) {
		for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
			struct fiemap_extent *e = &fm->fm_extents[i];
			fprintf(out, "%s[%llu,%llu,%u,%llu]", i ? "," : "", (unsigned long long)e->fe_logical,
				(unsigned long long)e->fe_length, e->fe_flags, (unsigned long long)e->fe_physical);
		}
	}
	fputc(']', out);
}

int main(int argc, char **argv)
{
	(void)argc; (void)argv;
	const char *shard = getenv("diocheck_shard");
	if (!shard) shard = "0";
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	trace_setup();
	/*
	 * XFS's log worker forces the log (a flush) every xfssyncd_centisecs (30 s) on a filesystem
	 * with pending changes, at whatever operation is running then: a timer, not a property of the
	 * case. Two hours is beyond any run.
	 */
	FILE *sysctl = fopen("/proc/sys/fs/xfs/xfssyncd_centisecs", "w");
	if (sysctl) {
		fputs("720000\n", sysctl);
		fclose(sysctl);
	}
	char path[128];
	snprintf(path, sizeof path, "/corpus-%s.txt", shard);
	FILE *in = fopen(path, "r");
	snprintf(path, sizeof path, "/results-%s.jsonl", shard);
	out = fopen(path, "w");
	if (!in || !out) goto done;
	{
		struct utsname u;
		uname(&u);
		fprintf(out, "{\"uname\":\"%s %s\"}\n", u.release, u.machine);
	}
	if (syscall(SYS_io_setup, 1, &aio_ctx) < 0) aio_ctx = 0;
	uring_setup();
	char *raw = mmap(NULL, BUFMAX + 0x10000 * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = (char *)(((uintptr_t)raw + 0xffff) & ~(uintptr_t)0xffff);
	char line[512];
	int fd = -1, bfd = -1, first = 1;
	unsigned dev_major = 0, dev_minor = 0;
	char file[64] = "";
	while (fgets(line, sizeof line, in)) {
		char kind[32];
		long a = 0, b = 0, c = 0, d = 0, e = 0, id = 0;
		switch (line[0]) {
		case 'S': {
			char fstype[16];
			unsigned bsz;
			sscanf(line + 2, "%u %d %15s %u", &scen, &ndev, fstype, &bsz);
			klog_clear();
			if (!devpath[ndev][0]) snprintf(devpath[ndev], sizeof devpath[ndev], "/dev/ubd%c", 'a' + ndev);
			if (!mounted[ndev][0]) {
				char dir[32];
				snprintf(dir, sizeof dir, "/mnt/%d", ndev);
				mkdir(dir, 0755);
				int copy = !strcmp(fstype, "xfs") && !strncmp(devpath[ndev], "/dev/nullb", 10);
				if (mount(devpath[ndev], dir, fstype, 0, copy ? "nouuid" : NULL) != 0) {
					fprintf(out, "{\"id\":%u,\"fatal\":\"mount %s: %s\"}\n", scen, fstype, strerror(errno));
					fflush(out);
					continue;
				}
				strcpy(mounted[ndev], "y");
			}
			snprintf(file, sizeof file, "/mnt/%d/s%u", ndev, scen);
			fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
			bfd = open(file, O_RDWR);
			fprintf(out, "{\"id\":%u,\"setup\":%s,\"ops\":[", scen, fd < 0 || bfd < 0 ? "false" : "true");
			struct stat dst;
			if (stat(devpath[ndev], &dst) == 0) {
				dev_major = major(dst.st_rdev);
				dev_minor = minor(dst.st_rdev);
			}
			first = 1;
			break;
		}
		case 'Z':
			sscanf(line + 2, "%ld", &a);
			if (ftruncate(fd, a)) fprintf(out, "{\"setupError\":\"truncate %d\"},", errno);
			if (fsync(fd)) fprintf(out, "{\"setupError\":\"fsync %d\"},", errno);
			break;
		case 'M':
			sscanf(line + 2, "%ld %ld %ld", &a, &b, &c);
			for (long off = 0; off < b; off += SECT) {
				if (a + off < c) fill_sector(buf + off, 0, (unsigned)((a + off) / SECT));
				else memset(buf + off, 0, SECT);
			}
			if (pwrite(fd, buf, b, a) != b) fprintf(out, "{\"setupError\":\"pwrite %d\"},", errno);
			if (fsync(fd)) fprintf(out, "{\"setupError\":\"fsync %d\"},", errno);
			break;
		case 'U':
			sscanf(line + 2, "%ld %ld", &a, &b);
			if (fallocate(fd, FALLOC_FL_KEEP_SIZE, a, b)) fprintf(out, "{\"setupError\":\"fallocate %d\"},", errno);
			if (fsync(fd)) fprintf(out, "{\"setupError\":\"fsync %d\"},", errno);
			break;
		case 'F':
			a = b = 0;
			sscanf(line + 2, "%ld %ld", &a, &b);
			/* Freeze and thaw first: the filesystem writes back and covers its log, so the
			 * next bio to the disk is the operation's own, not a metadata writeback. */
			quiesce();
			fail_plan(a, b, 0);
			break;
		case 'A':
			a = b = 0;
			sscanf(line + 2, "%ld %ld", &a, &b);
			fail_plan(a, b, 2);
			break;
		case 'G':
			klog = 1;
			break;
		case 'W':
			next_tick();
			break;
		case 'Q':
			quiesce();
			break;
		case 'O': {
			long bad = -1, how = 0;
			sscanf(line + 2, "%ld %31s %ld %ld %ld %ld %ld %ld %ld", &id, kind, &a, &b, &c, &d, &e, &bad, &how);
			trace_clear();
			long r = 0, badr = 0, polled = -2;
			char *p = buf + c, *gone = NULL;
			int read = 0;
			if (!strcmp(kind, "dio_write") || !strcmp(kind, "buffered_write")) {
				for (long off = 0; off < b; off += SECT) fill_sector(p + off, (unsigned)id, (unsigned)(off / SECT));
				if (bad >= 0 && !(gone = take_page(p, bad, how))) badr = -errno;
				int wfd = kind[0] == 'd' ? fd : bfd;
				if (d & RWF_NOWAIT) fresh_times(wfd);
				if (e == 2) r = uring_rw(wfd, 1, p, b, a, (int)d, &polled);
				else if (e) r = aio_rw(wfd, 1, p, b, a, (int)d);
				else {
					struct iovec iov = { p, (size_t)b };
					r = sys_ret(pwritev2(wfd, &iov, 1, a, (int)d));
				}
			} else if (!strcmp(kind, "dio_read") || !strcmp(kind, "buffered_read")) {
				memset(p, 0xA5, b);
				if (bad >= 0 && !(gone = take_page(p, bad, how))) badr = -errno;
				int rfd = kind[0] == 'd' ? fd : bfd;
				if (e == 2) r = uring_rw(rfd, 0, p, b, a, (int)d, &polled);
				else if (e) r = aio_rw(rfd, 0, p, b, a, (int)d);
				else {
					struct iovec iov = { p, (size_t)b };
					r = sys_ret(preadv2(rfd, &iov, 1, a, (int)d));
				}
				read = 1;
			} else if (!strcmp(kind, "fsync")) {
				r = sys_ret(fsync(fd));
			} else if (!strcmp(kind, "fdatasync")) {
				r = sys_ret(fdatasync(fd));
			} else if (!strcmp(kind, "truncate")) {
				r = sys_ret(ftruncate(fd, a));
			} else if (!strcmp(kind, "fallocate")) {
				r = sys_ret(fallocate(fd, 0, a, b));
			} else if (!strcmp(kind, "mmap_read")) {
				struct stat st;
				fstat(fd, &st);
				long page = st.st_size ? (st.st_size - 1) & ~4095L : 0;
				char *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, bfd, page);
				if (m == MAP_FAILED) r = -errno;
				else {
					memcpy(p, m, 4096);
					munmap(m, 4096);
					r = 4096;
					a = page;
					read = 1;
				}
			}
			if (gone && !badr) badr = give_back(gone, how);
			fprintf(out, "%s{\"id\":%ld,\"ret\":%ld", first ? "" : ",", id, r);
			if (badr) fprintf(out, ",\"badPage\":%ld", badr);
			if (polled != -2) fprintf(out, ",\"polled\":%ld", polled);
			if (!strcmp(kind, "mmap_read") && r > 0) {
				struct stat st;
				fstat(fd, &st);
				fprintf(out, ",\"pos\":%ld,\"size\":%lld", a, (long long)st.st_size);
			}
			if (read && r > 0) {
				fputs(",\"data\":", out);
				classify(p, (size_t)((r + SECT - 1) / SECT * SECT));
			}
			trace_dump(dev_major, dev_minor);
			if (klog) {
				/* With G: the file's mtime after the operation, and what the kernel said during it. */
				struct stat st;
				if (fstat(fd, &st) == 0)
					fprintf(out, ",\"mtime\":\"%lld.%09ld\"", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
				klog_dump();
			}
			fputc('}', out);
			first = 0;
			break;
		}
		case 'Y': {
			long pos2 = 0, len2 = 0, rwf2 = 0;
			sscanf(line + 2, "%ld %ld %ld %ld %ld %ld %ld", &id, &a, &b, &d, &pos2, &len2, &rwf2);
			trace_clear();
			fprintf(out, "%s{\"id\":%ld,", first ? "" : ",", id);
			if ((d | rwf2) & RWF_NOWAIT) fresh_times(fd);
			uring_pair(fd, a, b, (int)d, pos2, len2, (int)rwf2);
			trace_dump(dev_major, dev_minor);
			fputc('}', out);
			first = 0;
			break;
		}
		case 'K': {
			int d;
			char disk[16];
			if (sscanf(line + 2, "%d %15s", &d, disk) == 2 && d >= 0 && d < 16) {
				char from[32];
				snprintf(from, sizeof from, "/dev/ubd%c", 'a' + d);
				snprintf(devpath[d], sizeof devpath[d], "/dev/%s", disk);
				int r = copy_device(from, devpath[d]);
				if (r) fprintf(out, "{\"fatal\":\"copy %s to %s: %s\"}\n", from, devpath[d], strerror(-r));
			}
			break;
		}
		case 'N': {
			int d, ubd;
			long maxs, depth = 0;
			if (sscanf(line + 2, "%d %d %ld %ld", &d, &ubd, &maxs, &depth) >= 3 && d >= 0 && d < 24 && ubd >= 0 && ubd < 16) {
				int r = nullb_create(d, ubd, maxs, depth);
				if (r) fprintf(out, "{\"fatal\":\"null_blk nullb%d: %s\"}\n", d, strerror(-r));
			}
			break;
		}
		case 'L': {
			int d, data, log;
			if (sscanf(line + 2, "%d %d %d", &d, &data, &log) == 3 && d >= 0 && d < 16) {
				int r = lw_create(d, data, log);
				if (r) fprintf(out, "{\"fatal\":\"dm-log-writes lw%d: %s\"}\n", d, strerror(-r));
			}
			break;
		}
		case 'T': {
			char mark[32];
			snprintf(mark, sizeof mark, "st%u", scen);
			int r = lw_mark(ndev, mark);
			if (r) fprintf(out, "%s{\"startMark\":%d}", first ? "" : ",", r), first = 0;
			break;
		}
		case 'P': {
			char mark[32];
			snprintf(mark, sizeof mark, "pl%u", scen);
			int r = lw_mark(ndev, mark);
			fprintf(out, "%s{\"powerLoss\":%d}", first ? "" : ",", r);
			first = 0;
			break;
		}
		case 'R': {
			char fstype[16], dev[32], name[48];
			int ubd, point = 0;
			sscanf(line + 2, "%u %d %15s %ld %d", &scen, &ubd, fstype, &a, &point);
			snprintf(dev, sizeof dev, "/dev/ubd%c", 'a' + ubd);
			mkdir("/mnt/r", 0755);
			klog_clear();
			/* Every crash image of one filesystem has its UUID: XFS needs nouuid to mount them. */
			if (mount(dev, "/mnt/r", fstype, 0, strcmp(fstype, "xfs") ? NULL : "nouuid") != 0) {
				fprintf(out, "{\"id\":%u,\"point\":%d,\"fatal\":\"mount crash image: %s\"", scen, point,
					strerror(errno));
				klog_dump();
				fputs("}\n", out);
				fflush(out);
				break;
			}
			snprintf(name, sizeof name, "/mnt/r/s%u", scen);
			int rfd = open(name, O_RDONLY | O_DIRECT);
			fprintf(out, "{\"id\":%u,\"point\":%d,\"recovered\":%s", scen, point, rfd < 0 ? "false" : "true");
			if (rfd >= 0) {
				report_file(rfd, a);
				close(rfd);
			}
			klog_dump();
			fputs("}\n", out);
			fflush(out);
			umount("/mnt/r");
			break;
		}
		case 'E': {
			sscanf(line + 2, "%ld", &a);
			fail_plan(0, 0, 0);
			fputc(']', out);
			report_file(fd, a);
			klog_dump();
			fputs("}\n", out);
			fflush(out);
			close(fd);
			close(bfd);
			unlink(file);
			fd = bfd = -1;
			break;
		}
		}
	}
done:
	if (out) fclose(out);
	for (int i = 0; i < 24; i++) {
		if (mounted[i][0]) {
			snprintf(path, sizeof path, "/mnt/%d", i);
			umount(path);
		}
		if (!strncmp(devpath[i], "/dev/lw", 7)) lw_remove(i);
	}
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
