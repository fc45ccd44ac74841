/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_TEST_H
#define VIO_TEST_H

/*
 * The test runner: a table of named cases per file, each returns 0 (pass),
 * -1 (fail) or VIO_TEST_SKIP. The program exits 0, 1 or 77 for Meson.
 */

#include <stdio.h>

#define VIO_TEST_SKIP 77

#define T_ASSERT(cond, fmt, ...)                                                             \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: assertion '%s' failed: " fmt "\n", __FILE__, \
				__LINE__, #cond, ##__VA_ARGS__);                             \
			return -1;                                                           \
		}                                                                            \
	} while (0)

/* Each operand is evaluated once. */
#define T_EQ(a, b)                                                                          \
	do {                                                                                \
		long long t_eq_a = (long long)(a), t_eq_b = (long long)(b);                 \
		if (t_eq_a != t_eq_b) {                                                     \
			fprintf(stderr, "%s:%d: %s = %lld, expected %s = %lld\n", __FILE__, \
				__LINE__, #a, t_eq_a, #b, t_eq_b);                          \
			return -1;                                                          \
		}                                                                           \
	} while (0)

struct vio_test_case {
	const char *name;
	int (*fn)(void);
};

#define VIO_TEST(fn)    \
	{               \
#fn, fn \
	}

/*
 * Initialise the EAL for a test: no hugepages, no PCI, @p lcores ("0" or
 * "0-1"). Returns 0 or -1.
 */
int vio_test_eal_init(const char *prog, const char *lcores);

/* Open file descriptors of this process (for leak checks), or -1. */
int vio_test_fd_count(void);
/*
 * The fd count once vio's control thread has closed what a peer just closed
 * (it does so asynchronously): @p want, or the count after 2 s.
 */
int vio_test_fd_count_settled(int want);

/*
 * DPDK's log captured in memory (before the EAL starts, so that it is the
 * stream from the first line): 0 or -1. Then a mark of where it stands, whether
 * it holds @p s since a mark, and the whole of it to stderr (for a failure).
 */
int vio_test_log_capture(void);
size_t vio_test_log_mark(void);
bool vio_test_log_has(size_t mark, const char *s);
void vio_test_log_dump(void);
/* vio_test_run(), and the captured log to stderr when a case failed. */
int vio_test_run_logged(int argc, char **argv, const struct vio_test_case *cases, unsigned int nb);

/*
 * Shared mappings of this process (for leak checks): what vio maps from fds
 * it is given or makes (guest memory, the dirty log, inflight areas). Private
 * ones are left out: the allocator and thread stacks come and go. -1 on error.
 */
int vio_test_map_count(void);

/* Bytes allocated from DPDK's heap (rte_malloc), on every socket. */
uint64_t vio_test_heap_bytes(void);

/* What a case must give back: its fds, its mappings and its DPDK heap memory. */
struct vio_test_res {
	int fds;
	int maps;
	uint64_t heap;
};

/* This process's fds, mappings and DPDK heap bytes now. */
struct vio_test_res vio_test_res_get(void);

/*
 * Whether the fds, mappings and heap bytes are back to @p before, waiting up to @p ms for
 * what another thread releases (a connection closed on the control thread).
 * Prints what differs. Returns 0 or -1.
 */
int vio_test_res_check(const struct vio_test_res *before, int ms);

/*
 * Run the cases whose name contains the filter given as argv[1] (all when
 * absent); print one line per case; return the exit status for Meson.
 */
int vio_test_run(int argc, char **argv, const struct vio_test_case *cases, unsigned int nb);

#endif /* VIO_TEST_H */
