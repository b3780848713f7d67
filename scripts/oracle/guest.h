/*
 * Guest helpers the oracle's static init programs share (agent.c, btrfsDsync.c): dm-log-writes
 * through the device-mapper ioctls, and copying a block device. Included once by each program
 * (static functions, no header guard needed beyond the one below); build-kernel.sh rebuilds the
 * agent when this file changes too, and btrfsDsync.ts compiles its program on every run.
 * Needs _GNU_SOURCE, errno.h, fcntl.h, linux/dm-ioctl.h, linux/fs.h, stdint.h, stdio.h, string.h,
 * sys/ioctl.h, sys/stat.h, sys/sysmacros.h and unistd.h before it.
 */
#ifndef DIOCHECK_GUEST_H
#define DIOCHECK_GUEST_H

/*
 * dm-log-writes through the device-mapper ioctls (no dmsetup in the guest): create, load a
 * one-target table, resume; marks go through DM_TARGET_MSG.
 */
static int dm_ctl = -1;
static char dmbuf[16384] __attribute__((aligned(8)));

static struct dm_ioctl *dm_begin(const char *name)
{
	struct dm_ioctl *io = (struct dm_ioctl *)dmbuf;
	memset(dmbuf, 0, sizeof dmbuf);
	io->version[0] = DM_VERSION_MAJOR;
	io->data_size = sizeof dmbuf;
	io->data_start = sizeof(struct dm_ioctl);
	snprintf(io->name, sizeof io->name, "%s", name);
	return io;
}

/* dm-log-writes device <name> over <data>, logging to <log>; its block device node at <node>. */
static int dm_log_writes_create(const char *name, const char *data, const char *log, const char *node)
{
	if (dm_ctl < 0) dm_ctl = open("/dev/mapper/control", O_RDWR);
	if (dm_ctl < 0) return -errno;
	struct dm_ioctl *io = dm_begin(name);
	if (ioctl(dm_ctl, DM_DEV_CREATE, io)) return -errno;
	uint64_t devno = io->dev;
	uint64_t bytes = 0;
	int dfd = open(data, O_RDONLY);
	if (dfd < 0 || ioctl(dfd, BLKGETSIZE64, &bytes)) return -errno;
	close(dfd);
	io = dm_begin(name);
	struct dm_target_spec *sp = (struct dm_target_spec *)(dmbuf + sizeof(struct dm_ioctl));
	sp->sector_start = 0;
	sp->length = bytes >> 9;
	snprintf(sp->target_type, sizeof sp->target_type, "log-writes");
	snprintf((char *)(sp + 1), 256, "%s %s", data, log);
	io->target_count = 1;
	if (ioctl(dm_ctl, DM_TABLE_LOAD, io)) return -errno;
	io = dm_begin(name);
	if (ioctl(dm_ctl, DM_DEV_SUSPEND, io)) return -errno; /* no DM_SUSPEND_FLAG: resume */
	unsigned maj = (unsigned)((devno & 0xfff00) >> 8);
	unsigned min = (unsigned)((devno & 0xff) | ((devno >> 12) & 0xfff00));
	if (mknod(node, S_IFBLK | 0600, makedev(maj, min)) && errno != EEXIST) return -errno;
	return 0;
}

/* A mark in dm-log-writes device <name>'s log. */
static int dm_log_writes_mark(const char *name, const char *mark)
{
	struct dm_ioctl *io = dm_begin(name);
	struct dm_target_msg *m = (struct dm_target_msg *)(dmbuf + sizeof(struct dm_ioctl));
	m->sector = 0;
	snprintf(m->message, 256, "mark %s", mark);
	return ioctl(dm_ctl, DM_TARGET_MSG, io) ? -errno : 0;
}

/* Copies a whole block device onto another (an image onto a scsi_debug or null_blk disk), then syncs it. */
static int copy_device(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), o = open(to, O_WRONLY);
	if (in < 0 || o < 0) return -errno;
	static char chunk[1 << 20];
	ssize_t n;
	while ((n = read(in, chunk, sizeof chunk)) > 0)
		if (write(o, chunk, n) != n) return -EIO;
	int r = n < 0 || fsync(o) ? -errno : 0;
	close(in);
	close(o);
	return r;
}

#endif
