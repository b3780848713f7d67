/*
 * LD_PRELOAD shim for User-Mode Linux on hosts whose XSAVE area is larger than UML's fixed
 * buffer (AVX-512 + AMX: 11,008 bytes against UML's 2,696). The host refuses a short
 * PTRACE_SETREGSET(NT_X86_XSTATE) with EFAULT; this reads the full state, overlays UML's bytes
 * and writes the full size back. Everything else passes through.
 * Source: ../shared/notes/real-kernel-oracle.md §1.2 (tested there on this machine kind).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define BIG 65536
static char sbuf[BIG] __attribute__((aligned(64)));
static volatile int busy;

static long raw_ptrace(long req, long pid, void *addr, void *data)
{
	return syscall(SYS_ptrace, req, pid, addr, data);
}

long ptrace(enum __ptrace_request request, ...)
{
	va_list ap;
	va_start(ap, request);
	pid_t pid = va_arg(ap, pid_t);
	void *addr = va_arg(ap, void *);
	void *data = va_arg(ap, void *);
	va_end(ap);
	if ((long)addr == NT_X86_XSTATE && request == PTRACE_SETREGSET) {
		struct iovec *uio = data;
		char *buf = sbuf;
		/* UML's helper threads can race here: the second one uses a private buffer. */
		int nested = __sync_lock_test_and_set(&busy, 1);
		if (nested) {
			buf = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (buf == MAP_FAILED) {
				errno = ENOMEM;
				return -1;
			}
		}
		struct iovec full = { buf, BIG };
		long r = raw_ptrace(PTRACE_GETREGSET, pid, addr, &full);
		if (r == 0 && uio->iov_len < full.iov_len) {
			memcpy(buf, uio->iov_base, uio->iov_len);
			r = raw_ptrace(PTRACE_SETREGSET, pid, addr, &full);
		} else if (r == 0) {
			r = raw_ptrace(PTRACE_SETREGSET, pid, addr, data);
		}
		int e = errno;
		if (nested)
			munmap(buf, BIG);
		else
			__sync_lock_release(&busy);
		errno = e;
		return r;
	}
	static long (*real)(enum __ptrace_request, ...);
	if (!real)
		real = (long (*)(enum __ptrace_request, ...))dlsym(RTLD_NEXT, "ptrace");
	return real(request, pid, addr, data);
}
