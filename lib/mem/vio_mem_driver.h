/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_MEM_DRIVER_H
#define VIO_MEM_DRIVER_H

/**
 * @file
 * Driver SDK of the memory table: its layout and the inline translation that
 * the data path calls. Applications use vio_mem.h.
 *
 * Translation is the one place where every guest address of a burst goes
 * through, so it is written for the data path: no branch on the table size
 * inside the loop, the regions in one array sorted by start address.
 *
 * Room for an IOTLB: a queue translates through vio_mem_xlate() with an
 * access mode. Today the address is a GPA; when a vIOMMU is in use the
 * vhost-user layer will put an IOVA-to-uaddr cache in front of the uaddr
 * index (vio_mem_uaddr_to_hva), and the mode then carries the permission the
 * IOTLB entry must grant.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "vio_mem.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Up to this many regions a linear scan beats binary search: the common case
 * (QEMU with memfd: one or two regions) stays a couple of compares. Chosen by
 * the mem lookup benchmark in app/vio-bench (binary search wins from 8 up).
 */
#define VIO_MEM_LINEAR_MAX 6

/** One entry of an index: [start, end) maps to hva. */
struct vio_mem_range {
	uint64_t start;
	uint64_t end; /**< exclusive */
	uintptr_t hva;
};

/** The table. Immutable after creation except the log fields. */
struct vio_mem {
	uint32_t nb_regions;
	struct vio_mem_range *by_gpa;   /**< sorted by start */
	struct vio_mem_range *by_uaddr; /**< sorted by start */

	/* Dirty log: written by any lcore, attached by the control thread. */
	atomic_uint log_on;
	uint8_t *log_base;
	uint64_t log_size;
	atomic_uint_fast64_t log_overflows;
	void *log_map; /**< owned mapping from vio_mem_log_map(), or NULL */
	uint64_t log_map_len;

	/** The mappings, in the order the regions were given. */
	struct {
		void *addr;
		uint64_t len;
	} maps[];
};

/** Access modes; an IOTLB lookup will check them against the entry's permission. */
enum vio_mem_access {
	VIO_MEM_ACCESS_RO = 1,
	VIO_MEM_ACCESS_WO = 2,
	VIO_MEM_ACCESS_RW = 3,
};

static __rte_always_inline void *
vio_mem_range_lookup(const struct vio_mem_range *r, uint32_t nb, uint64_t addr, uint64_t *len)
{
	const struct vio_mem_range *hit = NULL;
	uint64_t avail;

	if (nb <= VIO_MEM_LINEAR_MAX) {
		uint32_t i;

		for (i = 0; i < nb; i++) {
			if (addr >= r[i].start && addr < r[i].end) {
				hit = &r[i];
				break;
			}
		}
	} else {
		uint32_t lo = 0, hi = nb;

		/* First range whose end lies past addr; ranges do not overlap. */
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;

			if (r[mid].end <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nb && r[lo].start <= addr)
			hit = &r[lo];
	}
	if (unlikely(hit == NULL))
		return NULL;
	avail = hit->end - addr;
	if (*len > avail)
		*len = avail;
	return (void *)(hit->hva + (addr - hit->start));
}

/**
 * Translate the start of [@p addr, @p addr + *@p len) in the queue's address
 * space; *@p len shrinks to what is contiguous. NULL when unmapped.
 */
static __rte_always_inline void *
vio_mem_xlate(const struct vio_mem *mem, uint64_t addr, uint64_t *len, enum vio_mem_access access)
{
	RTE_SET_USED(access);
	return vio_mem_range_lookup(mem->by_gpa, mem->nb_regions, addr, len);
}

/** Log writes to [@p gpa, @p gpa + @p len) when logging is on. */
static __rte_always_inline void
vio_mem_log(struct vio_mem *mem, uint64_t gpa, uint64_t len)
{
	if (likely(atomic_load_explicit(&mem->log_on, memory_order_relaxed) == 0))
		return;
	vio_mem_log_write(mem, gpa, len);
}

#ifdef __cplusplus
}
#endif

#endif /* VIO_MEM_DRIVER_H */
