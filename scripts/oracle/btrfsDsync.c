/*
 * Guest program of scripts/oracle/btrfsDsync.ts: runs as init in a UML kernel built with
 * CONFIG_BTRFS_FS (build-kernel.sh, DIOCHECK_KERNEL_FLAVOR=btrfs) and asks whether an O_DSYNC
 * direct write on btrfs is durable when it returns on a disk with FUA and a volatile write cache.
 *
 * Run boot: ubd0 holds the host's mkfs.btrfs image, copied onto the scsi_debug disk /dev/sda
 * (4096-byte sectors, FUA, write-back cache); a dm-log-writes device over sda logs every write to
 * ubd1 in durability order (a write without FUA is logged when the next flush reaches the disk), so
 * the host replaying the log to a mark gets the disk a power loss at that mark leaves.
 * Recovery boot: ubd0.. are those crash images, each mounted (tree-log replay) and read.
 *
 * Lines of /btrfs-dsync.txt (written by btrfsDsync.ts caseLines / recoveryLines):
 *   D                       the run's devices: copy ubd0 onto sda, dm-log-writes lw over sda -> ubd1
 *   M <options|->           (re)mount lw at /mnt as btrfs with those options
 *   C <id> <setup> <sync> <pos> <len>
 *                           one case, file /mnt/f<id>. setup: cow (16 KiB written, fsync), nocow
 *                           (chattr +C, then the same), prealloc (chattr +C, fallocate 16 KiB,
 *                           fsync). Then sync(2) (every transaction committed), mark st<id>, one
 *                           O_DIRECT pwrite of <len> at <pos> on a descriptor opened with <sync>
 *                           (dsync: O_DSYNC, sync: O_SYNC, none), mark pl<id>
 *   R <id> <ubd> <mark>     mount /dev/ubd<ubd> (crash image of case <id> at <mark>), read f<id>
 * Every 512-byte sector written carries {MAGIC, case, write, sector}: write 0 is the setup's,
 * write 1 the case's. A file's contents are reported per 4 KiB block: 0 or 1 (that write's data),
 * z (zeros), g (anything else).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/dm-ioctl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
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
#include <sys/utsname.h>
#include <unistd.h>

#include "guest.h"

#define MAGIC 0xB7F5D5C1u
#define SECT 512
#define BLK 4096
#define SETUP_LEN (16 * 1024)
#define READ_LEN (64 * 1024)
#define TRACE "/sys/kernel/tracing/"

static FILE *out;
static char *buf;
static char mountopts[256] = "";

/* Writes s as a JSON string. */
static void json_str(const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f) fprintf(out, "\\u%04x", ch);
		else fputc(ch, out);
	}
	fputc('"', out);
}

static void fill(char *p, size_t len, unsigned id, unsigned wid, unsigned first)
{
	for (size_t off = 0; off < len; off += SECT) {
		uint32_t rec[4] = { MAGIC, id, wid, first + (unsigned)(off / SECT) };
		for (int i = 0; i < SECT; i += 16) memcpy(p + off + i, rec, 16);
	}
}

/* One token per 4 KiB block: the write whose data it holds (0, 1), z, or g. */
static void blocks_out(const char *p, long len, unsigned id)
{
	fputs(",\"blocks\":\"", out);
	for (long off = 0; off < len; off += BLK) {
		int zero = 1, wid = -1;
		for (long s = off; s < off + BLK && s < len; s += SECT) {
			const uint32_t *w = (const uint32_t *)(p + s);
			int z = 1, rec = 1;
			for (int i = 0; i < SECT / 4; i++) {
				if (w[i]) z = 0;
				if (w[i] != w[i & 3]) rec = 0;
			}
			if (!z) zero = 0;
			int this = z ? -2 : (rec && w[0] == MAGIC && w[1] == id && w[3] == (unsigned)(s / SECT)) ? (int)w[2] : -3;
			if (s == off) wid = this;
			else if (wid != this) wid = -3;
		}
		if (off) fputc(' ', out);
		if (zero) fputc('z', out);
		else if (wid >= 0) fprintf(out, "%d", wid);
		else fputc('g', out);
	}
	fputc('"', out);
}

static void extents_out(int fd)
{
	static char fmbuf[sizeof(struct fiemap) + 64 * sizeof(struct fiemap_extent)];
	struct fiemap *fm = (struct fiemap *)fmbuf;
	memset(fmbuf, 0, sizeof fmbuf);
	fm->fm_length = ~0ULL;
	fm->fm_extent_count = 64;
	fputs(",\"extents\":[", out);
	if (ioctl(fd, FS_IOC_FIEMAP, fm) == 0)
		for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
			struct fiemap_extent *e = &fm->fm_extents[i];
			fprintf(out, "%s[%llu,%llu,%u,%llu]", i ? "," : "", (unsigned long long)e->fe_logical,
				(unsigned long long)e->fe_length, e->fe_flags, (unsigned long long)e->fe_physical);
		}
	fputc(']', out);
}

/* The file as a fresh read shows it: size, blocks, extents. */
static void file_out(int fd, unsigned id)
{
	struct stat st;
	fstat(fd, &st);
	memset(buf, 0xA5, READ_LEN);
	long r = pread(fd, buf, READ_LEN, 0);
	fprintf(out, ",\"size\":%lld,\"read\":%ld", (long long)st.st_size, r < 0 ? -errno : r);
	if (r > 0) blocks_out(buf, r, id);
	extents_out(fd);
}

static void write_file(const char *path, const char *text)
{
	int f = open(path, O_WRONLY | O_TRUNC);
	if (f >= 0) {
		if (write(f, text, strlen(text)) < 0) fprintf(out, "{\"fatal\":\"write %s: %d\"}\n", path, errno);
		close(f);
	}
}

static void trace_setup(void)
{
	static const char *events[] = { "block/block_bio_queue", "iomap/iomap_dio_rw_begin",
		"iomap/iomap_iter_dstmap", "iomap/iomap_dio_complete", "btrfs/btrfs_sync_file",
		"btrfs/btrfs_transaction_commit", "btrfs/btrfs_sync_fs" };
	mkdir("/sys/kernel/tracing", 0755);
	mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	write_file(TRACE "buffer_size_kb", "8192");
	char path[128];
	for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
		snprintf(path, sizeof path, TRACE "events/%s/enable", events[i]);
		write_file(path, "1");
	}
}

static void trace_clear(void) { write_file(TRACE "trace", ""); }

/* The trace since trace_clear, one string per event, the log device's (ubd, major 98) left out. */
static void trace_out(void)
{
	fputs(",\"trace\":[", out);
	FILE *f = fopen(TRACE "trace", "r");
	char line[1024];
	int n = 0;
	while (f && fgets(line, sizeof line, f)) {
		if (line[0] == '#' || strstr(line, "block_bio_queue: 98,")) continue;
		size_t len = strcspn(line, "\n");
		if (n++) fputc(',', out);
		json_str(line, len);
	}
	if (f) fclose(f);
	fputc(']', out);
}

static void klog_out(void)
{
	static char kb[1 << 16];
	int n = klogctl(3, kb, sizeof kb - 1);
	klogctl(5, NULL, 0);
	fputs(",\"klog\":", out);
	json_str(kb, n > 0 ? (size_t)n : 0);
}

/* dm-log-writes "lw" over data, logging to log; its node at /dev/lw. */
static int lw_create(const char *data, const char *log)
{
	return dm_log_writes_create("lw", data, log, "/dev/lw");
}

static int lw_mark(const char *mark)
{
	return dm_log_writes_mark("lw", mark);
}

/* A block device's queue limits that decide FUA and flushes (sysfs). */
static void queue_out(const char *name)
{
	static const char *keys[] = { "fua", "write_cache", "logical_block_size" };
	char path[128], val[64];
	fprintf(out, "\"%s\":{", name);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "/sys/block/%s/queue/%s", name, keys[i]);
		FILE *f = fopen(path, "r");
		val[0] = 0;
		if (f) {
			if (!fgets(val, sizeof val, f)) val[0] = 0;
			fclose(f);
		}
		fprintf(out, "%s\"%s\":", i ? "," : "", keys[i]);
		json_str(val, strcspn(val, "\n"));
	}
	fputc('}', out);
}

static void devices(void)
{
	int r = copy_device("/dev/ubda", "/dev/sda");
	if (!r) r = lw_create("/dev/sda", "/dev/ubdb");
	fprintf(out, "{\"devices\":%d,\"queues\":{", r);
	queue_out("sda");
	fputc(',', out);
	queue_out("dm-0");
	fputs("}}\n", out);
}

static void do_mount(const char *opts)
{
	umount("/mnt");
	snprintf(mountopts, sizeof mountopts, "%s", strcmp(opts, "-") ? opts : "");
	int r = mount("/dev/lw", "/mnt", "btrfs", 0, mountopts[0] ? mountopts : NULL) ? -errno : 0;
	fprintf(out, "{\"mount\":");
	json_str(mountopts, strlen(mountopts));
	fprintf(out, ",\"ret\":%d}\n", r);
}

/* The case's file, set up and made durable: the setup's data is write 0. */
static int setup(unsigned id, const char *how, const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) return -errno;
	if (strcmp(how, "cow")) {
		int flags = 0;
		if (ioctl(fd, FS_IOC_GETFLAGS, &flags)) return -errno;
		flags |= FS_NOCOW_FL;
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags)) return -errno;
	}
	if (!strcmp(how, "prealloc")) {
		if (fallocate(fd, 0, 0, SETUP_LEN)) return -errno;
	} else {
		fill(buf, SETUP_LEN, id, 0, 0);
		if (pwrite(fd, buf, SETUP_LEN, 0) != SETUP_LEN) return -errno;
	}
	if (fsync(fd)) return -errno;
	close(fd);
	sync();
	return 0;
}

static void run_case(const char *line)
{
	unsigned id;
	char how[16], how_sync[16], path[32], mark[16];
	long pos, len;
	if (sscanf(line, "%u %15s %15s %ld %ld", &id, how, how_sync, &pos, &len) != 5 || len > READ_LEN) {
		fprintf(out, "{\"fatal\":\"bad case line\"}\n");
		return;
	}
	snprintf(path, sizeof path, "/mnt/f%u", id);
	fprintf(out, "{\"id\":%u", id);
	int r = setup(id, how, path);
	fprintf(out, ",\"setup\":%d", r);
	if (r) {
		fputs("}\n", out);
		return;
	}
	int flags = O_RDWR | O_DIRECT;
	if (!strcmp(how_sync, "dsync")) flags |= O_DSYNC;
	else if (!strcmp(how_sync, "sync")) flags |= O_SYNC;
	int fd = open(path, flags);
	fill(buf, len, id, 1, (unsigned)(pos / SECT));
	snprintf(mark, sizeof mark, "st%u", id);
	int m1 = lw_mark(mark);
	trace_clear();
	long w = fd < 0 ? -errno : pwrite(fd, buf, len, pos);
	if (w < 0 && fd >= 0) w = -errno;
	snprintf(mark, sizeof mark, "pl%u", id);
	int m2 = lw_mark(mark);
	fprintf(out, ",\"ret\":%ld,\"marks\":[%d,%d]", w, m1, m2);
	trace_out();
	if (fd >= 0) {
		file_out(fd, id);
		close(fd);
	}
	fputs("}\n", out);
	fflush(out);
}

/*
 * Every crash image is the same filesystem (fsid, devid 1): the kernel's device list would refuse
 * an image with an older generation than one it scanned before. Forget every unmounted device.
 */
static void forget_devices(void)
{
	static struct btrfs_ioctl_vol_args args;
	int fd = open("/dev/btrfs-control", O_RDWR);
	if (fd >= 0) {
		ioctl(fd, BTRFS_IOC_FORGET_DEV, &args);
		close(fd);
	}
}

static void recover(const char *line)
{
	unsigned id;
	int ubd;
	char mark[16], dev[32], path[32];
	if (sscanf(line, "%u %d %15s", &id, &ubd, mark) != 3) {
		fprintf(out, "{\"fatal\":\"bad recovery line\"}\n");
		return;
	}
	snprintf(dev, sizeof dev, "/dev/ubd%c", 'a' + ubd);
	klogctl(5, NULL, 0);
	int r = mount(dev, "/mnt", "btrfs", 0, NULL) ? -errno : 0;
	fprintf(out, "{\"id\":%u,\"mark\":\"%s\",\"mount\":%d", id, mark, r);
	if (!r) {
		snprintf(path, sizeof path, "/mnt/f%u", id);
		int fd = open(path, O_RDONLY);
		fprintf(out, ",\"open\":%d", fd < 0 ? -errno : 0);
		if (fd >= 0) {
			file_out(fd, id);
			close(fd);
		}
		umount("/mnt");
	}
	forget_devices();
	klog_out();
	fputs("}\n", out);
	fflush(out);
}

int main(void)
{
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	out = fopen("/btrfs-dsync.jsonl", "w");
	FILE *in = fopen("/btrfs-dsync.txt", "r");
	if (!out || !in) goto done;
	trace_setup();
	struct utsname u;
	uname(&u);
	fprintf(out, "{\"uname\":\"%s %s\"}\n", u.release, u.machine);
	char *raw = mmap(NULL, READ_LEN + BLK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = (char *)(((uintptr_t)raw + BLK - 1) & ~(uintptr_t)(BLK - 1));
	mkdir("/mnt", 0755);
	char line[256];
	while (fgets(line, sizeof line, in)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == 'D') devices();
		else if (line[0] == 'M') do_mount(line + 2);
		else if (line[0] == 'C') run_case(line + 2);
		else if (line[0] == 'R') recover(line + 2);
		fflush(out);
	}
done:
	if (out) fclose(out);
	umount("/mnt");
	if (dm_ctl >= 0) {
		/* The destructor waits until every logged entry and the log's super block are written. */
		struct dm_ioctl *io = dm_begin("lw");
		ioctl(dm_ctl, DM_DEV_REMOVE, io);
	}
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
