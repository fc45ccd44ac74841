/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The IOTLB cache (lib/mem/iotlb.c) against a reference model. The input is
 * a cache size and a stream of operations: updates, invalidations, lookups
 * (vio_iotlb_lookup() and vio_iotlb_xlate_range()), flushes and remaps onto
 * another memory table. The model is the list of the operations that took
 * effect; the translation of an IOVA is that of the last one that covers it.
 *
 * Checked after every operation: the cache's entries are sorted, disjoint
 * and within its size; an update succeeds or fails as the model resolves it
 * (-EINVAL, -EFAULT for a hole, -E2BIG past 16 pieces); a translation the
 * cache returns is the model's, host address and GPA, over all the length it
 * gives, with the permission asked; and a miss is allowed only where the
 * model has no translation, or after the cache forgot entries (evictions, a
 * remap that dropped some).
 *
 * Guest memory: two tables over one memfd of 4 KiB pages. Table A has 18
 * pages back to back in the frontend's address space (an update across all
 * of them needs 18 pieces: -E2BIG) and two more with a hole between them;
 * table B keeps only every other page of A's run, at the same addresses.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "vio_mem.h"
#include "vio_mem_driver.h"

#define PAGE         4096u
#define RUN          18u /* back-to-back pages of table A */
#define NB_A         (RUN + 2u)
#define UADDR_RUN    UINT64_C(0x7f0000000000)
#define UADDR_ISLAND UINT64_C(0x7f0000100000)
#define GPA_STRIDE   UINT64_C(0x10000)
#define PIECES_MAX   16u  /* IOTLB_UPDATE_PIECES_MAX of iotlb.c */
#define OPS_MAX      512u /* operations one input runs (the model is a list) */

struct region {
	uint64_t uaddr, gpa, size;
};

static struct vio_mem *tables[2];
static struct region regions[2][NB_A];
static unsigned int nb_regions[2];

static void
table_make(int fd, unsigned int t)
{
	struct vio_mem_region_desc d[NB_A];
	unsigned int i, n = 0;

	for (i = 0; i < NB_A; i++) {
		uint64_t uaddr = i < RUN ? UADDR_RUN + i * PAGE
					 : UADDR_ISLAND + (i - RUN) * 3 * PAGE;

		if (t == 1 && (i >= RUN || i % 2 == 1))
			continue;
		d[n] = (struct vio_mem_region_desc){ .fd = fd,
						     .mmap_offset = i * PAGE,
						     .gpa = GPA_STRIDE * (i + 1),
						     .uaddr = uaddr,
						     .size = PAGE };
		regions[t][n] = (struct region){ uaddr, d[n].gpa, PAGE };
		n++;
	}
	nb_regions[t] = n;
	tables[t] = vio_mem_create(d, n);
	FUZZ_CHECK(tables[t] != NULL, "vio_mem_create");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	fuzz_log_init();
	fd = fuzz_memfd(NB_A * PAGE);
	FUZZ_CHECK(fd >= 0, "memfd");
	table_make(fd, 0);
	table_make(fd, 1);
	close(fd); /* the tables keep their mappings */
	return 0;
}

/* The model's region holding @p uaddr in table @p t, or NULL. */
static const struct region *
model_region(unsigned int t, uint64_t uaddr)
{
	unsigned int i;

	for (i = 0; i < nb_regions[t]; i++)
		if (uaddr >= regions[t][i].uaddr && uaddr - regions[t][i].uaddr < PAGE)
			return &regions[t][i];
	return NULL;
}

/* What vio_iotlb_update() must return for this range in table @p t. */
static int
model_resolve(unsigned int t, uint64_t iova, uint64_t size, uint64_t uaddr, uint32_t perm)
{
	unsigned int n = 0;

	if (size == 0 || iova + size <= iova || uaddr + size <= uaddr || perm == 0 ||
	    perm > VIO_MEM_ACCESS_RW)
		return -EINVAL;
	while (size > 0) {
		const struct region *r = model_region(t, uaddr);
		uint64_t len;

		if (r == NULL)
			return -EFAULT;
		if (n == PIECES_MAX)
			return -E2BIG;
		n++;
		len = r->uaddr + r->size - uaddr;
		if (len > size)
			len = size;
		uaddr += len;
		size -= len;
	}
	return 0;
}

/* One operation that took effect: an update, or an invalidation (or a flush: all). */
struct op {
	bool update;
	uint64_t iova, size, uaddr;
	uint32_t perm;
};

struct model {
	struct op ops[OPS_MAX];
	unsigned int nb;
	unsigned int table;
	bool lossy; /* the cache may have forgotten something the model has */
};

static bool
op_covers(const struct op *o, uint64_t iova)
{
	if (iova < o->iova)
		return false;
	/* An invalidation that wraps runs to the end of the space. */
	return iova - o->iova < o->size || o->iova + o->size < o->iova;
}

/* The model's translation of @p iova: true and its uaddr and permission if it has one. */
static bool
model_find(const struct model *m, uint64_t iova, uint64_t *uaddr, uint32_t *perm)
{
	unsigned int i = m->nb;

	while (i-- > 0) {
		const struct op *o = &m->ops[i];

		if (!op_covers(o, iova))
			continue;
		if (!o->update)
			return false;
		*uaddr = o->uaddr + (iova - o->iova);
		*perm = o->perm;
		return true;
	}
	return false;
}

/* Whether the model maps @p iova for @p access. */
static bool
model_maps(const struct model *m, uint64_t iova, uint32_t access)
{
	uint64_t uaddr;
	uint32_t perm;

	return model_find(m, iova, &uaddr, &perm) && (perm & access) == access;
}

/* The host address and GPA the model gives @p iova (which it maps). */
static uintptr_t
model_hva(const struct model *m, uint64_t iova, uint64_t *gpa)
{
	const struct region *r;
	uint64_t uaddr, len = 1;
	uint32_t perm;
	void *hva;

	FUZZ_CHECK(model_find(m, iova, &uaddr, &perm), "iova 0x%" PRIx64 " unmapped", iova);
	r = model_region(m->table, uaddr);
	FUZZ_CHECK(r != NULL, "uaddr 0x%" PRIx64 " outside the table", uaddr);
	*gpa = r->gpa + (uaddr - r->uaddr);
	hva = vio_mem_uaddr_to_hva(tables[m->table], uaddr, &len);
	FUZZ_CHECK(hva != NULL, "uaddr 0x%" PRIx64, uaddr);
	return (uintptr_t)hva;
}

static void
model_add(struct model *m, const struct op *o)
{
	if (m->nb == OPS_MAX) {
		/* Never reached: an input stops at OPS_MAX operations. */
		m->lossy = true;
		return;
	}
	m->ops[m->nb++] = *o;
}

static void
cache_check(const struct vio_iotlb *tlb)
{
	uint32_t i;

	FUZZ_CHECK(tlb->nb <= tlb->max, "%u entries, max %u", tlb->nb, tlb->max);
	for (i = 0; i < tlb->nb; i++) {
		const struct vio_iotlb_entry *e = &tlb->e[i];

		FUZZ_CHECK(e->start < e->end, "entry %u: [0x%" PRIx64 ", 0x%" PRIx64 ")", i,
			   e->start, e->end);
		FUZZ_CHECK(e->perm >= 1 && e->perm <= VIO_MEM_ACCESS_RW, "entry %u: perm %u", i,
			   e->perm);
		if (i > 0)
			FUZZ_CHECK(tlb->e[i - 1].end <= e->start, "entries %u and %u overlap",
				   i - 1, i);
	}
}

/* An IOVA, a size or a uaddr from the input: mostly near the interesting places. */
static uint64_t
pick_iova(struct fuzz_in *in)
{
	uint8_t how = fuzz_u8(in);

	switch (how & 3) {
	case 0:
		return (uint64_t)fuzz_u16(in) * 64;
	case 1:
		return UINT64_MAX - (uint64_t)fuzz_u16(in) * 64;
	case 2:
		return UADDR_RUN + (uint64_t)(int16_t)fuzz_u16(in) * 8;
	default:
		return fuzz_u64(in);
	}
}

static uint64_t
pick_size(struct fuzz_in *in)
{
	uint8_t how = fuzz_u8(in);

	switch (how & 3) {
	case 0:
		return fuzz_u8(in);
	case 1:
		return (uint64_t)fuzz_u16(in) * 8;
	case 2:
		return (uint64_t)fuzz_u8(in) * PAGE;
	default:
		return fuzz_u64(in);
	}
}

static uint64_t
pick_uaddr(struct fuzz_in *in)
{
	uint8_t how = fuzz_u8(in);

	switch (how & 3) {
	case 0:
		return UADDR_RUN + (uint64_t)fuzz_u16(in) * 8;
	case 1:
		return UADDR_ISLAND + (uint64_t)fuzz_u16(in);
	case 2:
		return UADDR_RUN - (uint64_t)fuzz_u8(in);
	default:
		return fuzz_u64(in);
	}
}

static void
op_update(struct vio_iotlb *tlb, struct model *m, struct fuzz_in *in)
{
	struct op o = { .update = true };
	int ret, want;

	o.iova = pick_iova(in);
	o.size = pick_size(in);
	o.uaddr = pick_uaddr(in);
	o.perm = fuzz_u8(in) & 7;
	want = model_resolve(m->table, o.iova, o.size, o.uaddr, o.perm);
	ret = vio_iotlb_update(tlb, tables[m->table], o.iova, o.size, o.uaddr, o.perm);
	FUZZ_CHECK(ret == want,
		   "update iova 0x%" PRIx64 " size 0x%" PRIx64 " uaddr 0x%" PRIx64
		   " perm %u: %d, model %d",
		   o.iova, o.size, o.uaddr, o.perm, ret, want);
	if (ret == 0)
		model_add(m, &o);
}

static void
op_invalidate(struct vio_iotlb *tlb, struct model *m, struct fuzz_in *in)
{
	struct op o = { .update = false };

	o.iova = pick_iova(in);
	o.size = pick_size(in);
	vio_iotlb_invalidate(tlb, o.iova, o.size);
	if (o.size != 0)
		model_add(m, &o);
}

/* [iova, iova + len) translated by the cache as @p hva and @p gpa: the model agrees. */
static void
range_agrees(const struct model *m, uint64_t iova, uint64_t len, uint32_t access, uintptr_t hva,
	     uint64_t gpa)
{
	uint64_t last = iova + len - 1, mgpa;

	FUZZ_CHECK(model_maps(m, iova, access),
		   "iova 0x%" PRIx64 " access %u: a translation "
		   "the model has not",
		   iova, access);
	FUZZ_CHECK(model_maps(m, last, access),
		   "iova 0x%" PRIx64 " access %u: a translation "
		   "the model has not",
		   last, access);
	FUZZ_CHECK(model_hva(m, iova, &mgpa) == hva && mgpa == gpa,
		   "iova 0x%" PRIx64 ": hva or gpa 0x%" PRIx64 " (model 0x%" PRIx64 ")", iova, gpa,
		   mgpa);
	FUZZ_CHECK(model_hva(m, last, &mgpa) == hva + len - 1,
		   "iova 0x%" PRIx64 ": a range of %" PRIu64 " bytes not contiguous in the model",
		   iova, len);
}

static void
op_lookup(struct vio_iotlb *tlb, struct model *m, struct fuzz_in *in)
{
	uint64_t iova = pick_iova(in), want = pick_size(in), len = want, gpa = 0, miss = 0;
	uint32_t access = (fuzz_u8(in) % 3) + 1;
	void *hva;
	int ret;

	if (want == 0)
		want = len = 1;
	hva = vio_iotlb_lookup(tlb, iova, &len, (enum vio_mem_access)access, &gpa);
	if (hva != NULL) {
		FUZZ_CHECK(len >= 1 && len <= want, "length %" PRIu64 " of %" PRIu64, len, want);
		range_agrees(m, iova, len, access, (uintptr_t)hva, gpa);
	} else {
		FUZZ_CHECK(m->lossy || !model_maps(m, iova, access),
			   "iova 0x%" PRIx64 " access %u: a miss the model has mapped", iova,
			   access);
	}
	ret = vio_iotlb_xlate_range(tlb, iova, want, (enum vio_mem_access)access, &hva, &gpa,
				    &miss);
	if (ret == 0) {
		range_agrees(m, iova, want, access, (uintptr_t)hva, gpa);
	} else if (ret == -EAGAIN) {
		FUZZ_CHECK(miss >= iova && miss - iova < want, "miss 0x%" PRIx64 " outside", miss);
		FUZZ_CHECK(m->lossy || !model_maps(m, miss, access),
			   "xlate_range: iova 0x%" PRIx64 ": a miss the model has mapped", miss);
	} else {
		FUZZ_CHECK(ret == -EFAULT || (ret == -EINVAL && iova + want < iova),
			   "xlate_range: %d", ret);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vio_iotlb *tlb;
	struct model *m;
	unsigned int n;

	tlb = vio_iotlb_create((fuzz_u8(&in) % 16) + 1);
	m = calloc(1, sizeof(*m));
	FUZZ_CHECK(tlb != NULL && m != NULL, "alloc");
	for (n = 0; n < OPS_MAX && in.left > 0; n++) {
		uint8_t op = fuzz_u8(&in);

		switch (op % 6) {
		case 0:
		case 1:
			op_update(tlb, m, &in);
			break;
		case 2:
			op_invalidate(tlb, m, &in);
			break;
		case 3:
			op_lookup(tlb, m, &in);
			break;
		case 4:
			vio_iotlb_flush(tlb);
			m->nb = 0;
			break;
		default:
			/* The memory table changed: entries still in it are kept, moved. */
			m->table = (op >> 3) & 1;
			if (vio_iotlb_remap(tlb, tables[m->table]) > 0)
				m->lossy = true;
			break;
		}
		if (tlb->evictions > 0)
			m->lossy = true;
		cache_check(tlb);
	}
	free(m);
	vio_iotlb_free(tlb);
	return 0;
}
