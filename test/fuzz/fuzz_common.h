/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_FUZZ_COMMON_H
#define VIO_FUZZ_COMMON_H

/*
 * What the libFuzzer targets of test/fuzz share: the EAL for those that need
 * DPDK memory, quiet logs, a reader of the fuzzed bytes, memfds, and the
 * checks that end an input (a failed check traps: libFuzzer reports it as a
 * crash and keeps the input).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Initialise the EAL once (no hugepages, no PCI, one lcore); the targets
 * that allocate DPDK memory (engine queues, mempools) call it first.
 */
void fuzz_eal_init(void);

/*
 * vio's logs go to /dev/null (formatted all the same, so a bad argument to a
 * log line still shows), or to stderr when FUZZ_LOG is set in the
 * environment (FUZZ_LOG=debug: vio's debug lines too). Every target calls it
 * once.
 */
void fuzz_log_init(void);

/* The fuzzed bytes, read front to back; past the end every read gives 0. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
uint32_t fuzz_u32(struct fuzz_in *in);
uint64_t fuzz_u64(struct fuzz_in *in);
/* Copy up to @p len bytes into @p dst (the rest zeroed); returns how many came from the input. */
size_t fuzz_bytes(struct fuzz_in *in, void *dst, size_t len);

/* A memfd of @p size bytes (zeroed), or -1. */
int fuzz_memfd(size_t size);

/* Print the open fds and what they are, for a report of a leak. */
void fuzz_fd_list(void);

/* What fd @p fd is ("anon_inode:[eventfd]", "/memfd:vio-fuzz (deleted)"), for a report. */
const char *fuzz_fd_name(int fd);

/* A failed invariant: print it and trap. */
#define FUZZ_CHECK(cond, fmt, ...)                                                                 \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check '%s' failed: " fmt "\n", __FILE__, __LINE__, \
				#cond, ##__VA_ARGS__);                                             \
			__builtin_trap();                                                          \
		}                                                                                  \
	} while (0)

/* libFuzzer's entry points, defined by each target. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* VIO_FUZZ_COMMON_H */
