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
 * With a vIOMMU (VIRTIO_F_ACCESS_PLATFORM) the addresses in the rings are
 * IOVAs: a queue then translates through the IOTLB cache
 * (vio_iotlb_lookup()), whose entries carry host addresses and GPAs resolved
 * when the frontend sent them, and the permission an access must have.
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

/** One entry of an index: [start, end) maps to hva. */
struct vio_mem_range {
	uint64_t start;
	uint64_t end; /**< exclusive */
	uintptr_t hva;
	uint64_t other; /**< the start in the other address space (uaddr for GPA, GPA for uaddr) */
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

/*
 * The range holding @p addr. A branch-free binary search for the last range
 * that starts at or below addr: the step compiles to a conditional move, so a
 * random address costs no mispredictions. app/vio-bench measured it against a
 * branchy search and a linear scan (2, 8, 509 regions: 14.7, 25.7, 84 cycles
 * against 22.6, 42.8, 688 for the scan), so it serves every table size.
 */
static __rte_always_inline void *
vio_mem_range_lookup(const struct vio_mem_range *r, uint32_t nb, uint64_t addr, uint64_t *len)
{
	const struct vio_mem_range *hit = r;
	uint64_t avail;

	if (unlikely(nb == 0))
		return NULL;
	while (nb > 1) {
		uint32_t half = nb / 2;

		hit = hit[half].start <= addr ? hit + half : hit;
		nb -= half;
	}
	if (unlikely(addr < hit->start || addr >= hit->end))
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

/** One IOTLB entry: IOVAs [start, end) map to hva (and to gpa, for the dirty log). */
struct vio_iotlb_entry {
	uint64_t start;
	uint64_t end; /**< exclusive */
	uintptr_t hva;
	uint64_t gpa;
	uint64_t uaddr; /**< the frontend's address, to resolve again on a new memory table */
	uint32_t perm;  /**< enum vio_mem_access bits */
};

/** The IOTLB cache: disjoint entries sorted by start. */
struct vio_iotlb {
	uint32_t nb;
	uint32_t max;
	uint64_t rand;      /**< xorshift state of the eviction */
	uint64_t evictions; /**< entries dropped because the cache was full */
	struct vio_iotlb_entry e[];
};

/**
 * Translate the start of [@p iova, @p iova + *@p len) for @p access through
 * the IOTLB; *@p len shrinks to what the entry covers, *@p gpa is the GPA of
 * @p iova. NULL on a miss: no entry, or one without the permission.
 */
static __rte_always_inline void *
vio_iotlb_lookup(const struct vio_iotlb *tlb, uint64_t iova, uint64_t *len,
		 enum vio_mem_access access, uint64_t *gpa)
{
	const struct vio_iotlb_entry *hit = tlb->e;
	uint32_t nb = tlb->nb;
	uint64_t avail;

	if (unlikely(nb == 0))
		return NULL;
	/* The same branch-free search as vio_mem_range_lookup(). */
	while (nb > 1) {
		uint32_t half = nb / 2;

		hit = hit[half].start <= iova ? hit + half : hit;
		nb -= half;
	}
	if (unlikely(iova < hit->start || iova >= hit->end ||
		     (hit->perm & (uint32_t)access) != (uint32_t)access))
		return NULL;
	avail = hit->end - iova;
	if (*len > avail)
		*len = avail;
	*gpa = hit->gpa + (iova - hit->start);
	return (void *)(hit->hva + (iova - hit->start));
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
