/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_TEST_RING_H
#define VIO_TEST_RING_H

/*
 * What the split and packed ring tests share: indirect table areas reached
 * through a map callback, and helpers over plain heap memory (no EAL, no
 * guest memory table). Rings are malloc'ed at their exact size (malloc's
 * 16-byte alignment satisfies every ring part) so that ASan catches an access
 * past the end of any part; fixtures are released by
 * __attribute__((cleanup)) so that a failing T_ASSERT does not leak.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_atomic.h> /* rte_compiler_barrier(), used but not included by the ring headers */
#include <rte_common.h>

#include "packed_ring.h"
#include "split_ring.h"
#include "vio_test.h"

/* Guest address of the indirect table area; any value the map callback knows. */
#define IND_GPA UINT64_C(0x7e000000)

/* Fill for fresh ring memory: init must not rely on zeroed memory. */
#define GARBAGE 0xa5

/* Guest memory holding indirect tables, reached through the walk's map callback. */
struct ind_area {
	void *base;
	uint64_t bytes;
	unsigned int nb_map; /* calls of the map callback */
};

static inline const void *
ind_map(void *ctx, uint64_t addr, uint64_t len)
{
	struct ind_area *a = ctx;

	a->nb_map++;
	if (a->base == NULL || addr < IND_GPA || addr - IND_GPA > a->bytes ||
	    len > a->bytes - (addr - IND_GPA))
		return NULL;
	return (const uint8_t *)a->base + (addr - IND_GPA);
}

/* A map callback that finds nothing mapped. */
static inline const void *
null_map(void *ctx, uint64_t addr, uint64_t len)
{
	struct ind_area *a = ctx;

	RTE_SET_USED(addr);
	RTE_SET_USED(len);
	a->nb_map++;
	return NULL;
}

static inline void *
ring_alloc(uint64_t len)
{
	void *p = malloc(len);

	if (p != NULL)
		memset(p, GARBAGE, len);
	return p;
}

/* Buffers of chain @p tag: distinct addresses and lengths, read and write mixed. */
static inline void
make_bufs(struct vio_ring_buf *b, uint16_t n, uint32_t tag)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		b[i].addr = UINT64_C(0x100000) * (tag + 1) + UINT64_C(0x1000) * i;
		b[i].len = 64 + tag * 8 + i;
		b[i].write = (tag + i) % 2;
	}
}

static inline int
check_segs(const struct vio_ring_seg *seg, uint32_t nb_segs, const struct vio_ring_buf *b,
	   uint32_t n)
{
	uint32_t i;

	T_EQ(nb_segs, n);
	for (i = 0; i < n; i++) {
		T_ASSERT(seg[i].addr == b[i].addr, "seg %u addr 0x%" PRIx64, i, seg[i].addr);
		T_ASSERT(seg[i].len == b[i].len, "seg %u len %u", i, seg[i].len);
		T_ASSERT(!!seg[i].write == !!b[i].write, "seg %u write %u", i, seg[i].write);
	}
	return 0;
}

/* Length of an indirect table of one entry more than the walks accept. */
#define TOO_BIG(desc) ((uint32_t)((VIO_RING_INDIRECT_MAX + 1) * sizeof(desc)))

/* A chain in flight, as the test remembers it. */
struct posted {
	uint16_t id;
	uint16_t n;    /* buffers */
	uint16_t slot; /* packed: head slot */
	bool wrap;     /* packed: driver wrap counter at the head */
	bool indirect;
	uint32_t tag;
};

#endif /* VIO_TEST_RING_H */
