/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The IOTLB cache: IOVA ranges the frontend's vIOMMU translated for vio,
 * resolved once, on update, to host addresses and GPAs through the memory
 * table's frontend-address index. A sorted array of disjoint ranges: the data
 * path looks an IOVA up with the same branch-free binary search as the memory
 * table. Updates and invalidations run on the control thread while no queue
 * that uses the cache is inside a burst (the caller quiesces them).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_log.h>

#include "vio_mem.h"
#include "vio_mem_driver.h"

/* Pieces one update may resolve to: one per memory region its range crosses. */
#define IOTLB_UPDATE_PIECES_MAX 16

struct vio_iotlb *
vio_iotlb_create(uint32_t max_entries)
{
	struct vio_iotlb *tlb;

	if (max_entries == 0 || max_entries > VIO_IOTLB_MAX_ENTRIES) {
		rte_errno = EINVAL;
		return NULL;
	}
	tlb = calloc(1, sizeof(*tlb) + max_entries * sizeof(tlb->e[0]));
	if (tlb == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	tlb->max = max_entries;
	tlb->rand = 0x9e3779b97f4a7c15ull; /* any non-zero xorshift seed */
	return tlb;
}

void
vio_iotlb_free(struct vio_iotlb *tlb)
{
	free(tlb);
}

unsigned int
vio_iotlb_nb_entries(const struct vio_iotlb *tlb)
{
	return tlb->nb;
}

void
vio_iotlb_flush(struct vio_iotlb *tlb)
{
	tlb->nb = 0;
}

static void
entry_remove(struct vio_iotlb *tlb, uint32_t i)
{
	memmove(&tlb->e[i], &tlb->e[i + 1], (tlb->nb - i - 1) * sizeof(tlb->e[0]));
	tlb->nb--;
}

/* A cache may forget anything: when full, drop a random entry (a later miss brings it back). */
static void
evict_one(struct vio_iotlb *tlb)
{
	uint64_t x = tlb->rand;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	tlb->rand = x;
	entry_remove(tlb, (uint32_t)(x % tlb->nb));
	tlb->evictions++;
}

/* Insert @p n into the sorted array; its range overlaps no entry. */
static void
entry_insert(struct vio_iotlb *tlb, const struct vio_iotlb_entry *n)
{
	uint32_t i;

	if (tlb->nb == tlb->max)
		evict_one(tlb);
	for (i = tlb->nb; i > 0 && tlb->e[i - 1].start > n->start; i--)
		;
	memmove(&tlb->e[i + 1], &tlb->e[i], (tlb->nb - i) * sizeof(tlb->e[0]));
	tlb->e[i] = *n;
	tlb->nb++;
}

/* Cut the first @p to - e->start bytes off @p e. */
static void
entry_trim_front(struct vio_iotlb_entry *e, uint64_t to)
{
	uint64_t d = to - e->start;

	e->start = to;
	e->hva += d;
	e->gpa += d;
	e->uaddr += d;
}

void
vio_iotlb_invalidate(struct vio_iotlb *tlb, uint64_t iova, uint64_t size)
{
	uint64_t a = iova, b = iova + size;
	struct vio_iotlb_entry right;
	bool split = false;
	uint32_t i, w = 0;

	if (size == 0)
		return;
	if (b < a)
		b = UINT64_MAX; /* to the end of the space */
	for (i = 0; i < tlb->nb; i++) {
		struct vio_iotlb_entry e = tlb->e[i];

		if (e.end <= a || e.start >= b) {
			tlb->e[w++] = e;
			continue;
		}
		if (e.start < a && e.end > b) {
			/* A hole in the middle: keep both ends. */
			right = e;
			entry_trim_front(&right, b);
			split = true;
			e.end = a;
		} else if (e.start < a) {
			e.end = a;
		} else if (e.end > b) {
			entry_trim_front(&e, b);
		} else {
			continue; /* all of it goes */
		}
		tlb->e[w++] = e;
	}
	tlb->nb = w;
	if (split)
		entry_insert(tlb, &right);
}

/* Resolve [uaddr, uaddr + size) into pieces, each inside one memory region. */
static int
resolve(const struct vio_mem *mem, uint64_t iova, uint64_t size, uint64_t uaddr, uint32_t perm,
	struct vio_iotlb_entry *pieces, uint32_t *nb)
{
	uint32_t n = 0;

	while (size > 0) {
		uint64_t len = size, gpa;
		void *hva = vio_mem_uaddr_to_hva(mem, uaddr, &len);

		if (hva == NULL || vio_mem_uaddr_to_gpa(mem, uaddr, &gpa) < 0)
			return -EFAULT;
		if (n == IOTLB_UPDATE_PIECES_MAX)
			return -E2BIG;
		pieces[n].start = iova;
		pieces[n].end = iova + len;
		pieces[n].hva = (uintptr_t)hva;
		pieces[n].gpa = gpa;
		pieces[n].uaddr = uaddr;
		pieces[n].perm = perm;
		n++;
		iova += len;
		uaddr += len;
		size -= len;
	}
	*nb = n;
	return 0;
}

int
vio_iotlb_update(struct vio_iotlb *tlb, const struct vio_mem *mem, uint64_t iova, uint64_t size,
		 uint64_t uaddr, uint32_t perm)
{
	struct vio_iotlb_entry pieces[IOTLB_UPDATE_PIECES_MAX];
	uint32_t nb, i;
	int ret;

	if (size == 0 || iova + size <= iova || uaddr + size <= uaddr || perm == 0 ||
	    perm > VIO_MEM_ACCESS_RW)
		return -EINVAL;
	if (mem == NULL)
		return -EFAULT;
	ret = resolve(mem, iova, size, uaddr, perm, pieces, &nb);
	if (ret < 0)
		return ret;
	/* A new translation replaces whatever the range held. */
	vio_iotlb_invalidate(tlb, iova, size);
	for (i = 0; i < nb; i++)
		entry_insert(tlb, &pieces[i]);
	return 0;
}

unsigned int
vio_iotlb_remap(struct vio_iotlb *tlb, const struct vio_mem *mem)
{
	uint32_t i, w = 0, dropped;

	for (i = 0; i < tlb->nb; i++) {
		struct vio_iotlb_entry e = tlb->e[i];
		uint64_t len = e.end - e.start, got = len;
		void *hva = mem != NULL ? vio_mem_uaddr_to_hva(mem, e.uaddr, &got) : NULL;

		if (hva == NULL || got != len || vio_mem_uaddr_to_gpa(mem, e.uaddr, &e.gpa) < 0)
			continue;
		e.hva = (uintptr_t)hva;
		tlb->e[w++] = e;
	}
	dropped = tlb->nb - w;
	tlb->nb = w;
	return dropped;
}

int
vio_iotlb_xlate_range(const struct vio_iotlb *tlb, uint64_t iova, uint64_t len,
		      enum vio_mem_access access, void **hva, uint64_t *gpa, uint64_t *miss_iova)
{
	uintptr_t next = 0;
	uint64_t piece_gpa;

	if (len == 0 || iova + len < iova)
		return -EINVAL;
	*hva = NULL;
	while (len > 0) {
		uint64_t piece = len;
		void *p = vio_iotlb_lookup(tlb, iova, &piece, access, &piece_gpa);

		if (p == NULL) {
			*miss_iova = iova;
			return -EAGAIN;
		}
		if (*hva == NULL) {
			*hva = p;
			*gpa = piece_gpa;
		} else if ((uintptr_t)p != next) {
			return -EFAULT; /* contiguous IOVAs, scattered host memory */
		}
		next = (uintptr_t)p + piece;
		iova += piece;
		len -= piece;
	}
	return 0;
}
