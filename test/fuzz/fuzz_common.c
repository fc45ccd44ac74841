/* SPDX-License-Identifier: BSD-3-Clause */

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>

#include "fuzz_common.h"

void
fuzz_eal_init(void)
{
	static bool up;
	char *argv[] = {
		"vio-fuzz",      "-l",       "0",           "--no-huge",      "-m",
		"256",           "--no-pci", "--no-shconf", "--no-telemetry", "--log-level",
		"lib.eal:error",
	};

	if (up)
		return;
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0) {
		fprintf(stderr, "fuzz: rte_eal_init failed\n");
		__builtin_trap();
	}
	up = true;
	fuzz_log_init();
}

void
fuzz_log_init(void)
{
	const char *log = getenv("FUZZ_LOG");
	FILE *f;

	if (log != NULL) {
		if (strcmp(log, "debug") == 0)
			rte_log_set_level_pattern("lib.vio.*", RTE_LOG_DEBUG);
		return;
	}
	f = fopen("/dev/null", "w");
	if (f != NULL)
		rte_openlog_stream(f);
}

size_t
fuzz_bytes(struct fuzz_in *in, void *dst, size_t len)
{
	size_t n = len < in->left ? len : in->left;

	memcpy(dst, in->p, n);
	memset((uint8_t *)dst + n, 0, len - n);
	in->p += n;
	in->left -= n;
	return n;
}

uint8_t
fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint16_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

uint32_t
fuzz_u32(struct fuzz_in *in)
{
	uint32_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

uint64_t
fuzz_u64(struct fuzz_in *in)
{
	uint64_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

int
fuzz_memfd(size_t size)
{
	int fd = memfd_create("vio-fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void
fuzz_fd_list(void)
{
	int fd;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			fprintf(stderr, "  fd %d: %s\n", fd, fuzz_fd_name(fd));
}

const char *
fuzz_fd_name(int fd)
{
	static char target[256];
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return "closed";
	target[n] = '\0';
	return target;
}
