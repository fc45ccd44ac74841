/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The memory table of lib/mem: creation and its refusals, translation of
 * guest physical and frontend addresses (linear and binary search, against a
 * brute-force reference), ranges across adjacent regions and holes, and the
 * dirty log.
 *
 * Guest memory is a memfd that the test maps once itself; every word of it
 * holds its own file offset, so that a translated address can be checked by
 * what it points at, independently of the translation code. No EAL: mem.c
 * logs through rte_log, which works without it.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>

#include "vio_mem.h"
#include "vio_mem_driver.h"
#include "vio_test.h"

#define PAGE    4096u
#define GPA_A   UINT64_C(0x10000)
#define UADDR_A UINT64_C(0x7f0000000000)

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* A memfd, the test's own mapping of it, and a table built over it. */
struct mem_fx {
	const char *name;
	int fd;
	uint8_t *base;
	uint64_t size;
	struct vio_mem *mem;
};

static void
mem_fx_fini(struct mem_fx *f)
{
	vio_mem_free(f->mem);
	if (f->base != NULL)
		munmap(f->base, f->size);
	if (f->fd >= 0)
		close(f->fd);
}

/* The byte at file offset @p off: each aligned 32-bit word holds its offset. */
static uint8_t
pattern_byte(uint64_t off)
{
	uint32_t word = (uint32_t)(off & ~UINT64_C(3));

	return (uint8_t)(word >> (8 * (off & 3)));
}

static int
mem_fx_init(struct mem_fx *f, const char *name, uint64_t size)
{
	uint64_t off;

	memset(f, 0, sizeof(*f));
	f->name = name;
	f->size = size;
	f->fd = memfd_create(name, MFD_CLOEXEC);
	T_ASSERT(f->fd >= 0, "memfd_create: %s", strerror(errno));
	T_ASSERT(ftruncate(f->fd, (off_t)size) == 0, "ftruncate: %s", strerror(errno));
	f->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	if (f->base == MAP_FAILED) {
		f->base = NULL;
		T_ASSERT(0, "mmap: %s", strerror(errno));
	}
	for (off = 0; off + 4 <= size; off += 4) {
		uint32_t word = (uint32_t)off;

		memcpy(f->base + off, &word, sizeof(word));
	}
	for (; off < size; off++)
		f->base[off] = pattern_byte(off);
	return 0;
}

/* A memfd fixture @p f of @p size bytes, released when it goes out of scope. */
#define MEM_FX(f, name, size)                                  \
	struct mem_fx f __attribute__((cleanup(mem_fx_fini))); \
	do {                                                   \
		if (mem_fx_init(&f, (name), (size)) < 0)       \
			return -1;                             \
	} while (0)

/* Whether @p hva points at file offset @p off of the fixture's memfd. */
static bool
at_offset(const struct mem_fx *f, const void *hva, uint64_t off)
{
	return *(const uint8_t *)hva == pattern_byte(off) && *(const uint8_t *)hva == f->base[off];
}

/* Mappings of the memfd called @p name in this process. */
static int
map_count(const char *name)
{
	char line[4096], tag[256];
	FILE *fp = fopen("/proc/self/maps", "r");
	int n = 0;

	if (fp == NULL)
		return -1;
	snprintf(tag, sizeof(tag), "/memfd:%s ", name);
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, tag) != NULL;
	fclose(fp);
	return n;
}

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64: deterministic, so that a failure reproduces. */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
shuffle(unsigned int *v, unsigned int n, uint64_t *seed)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n; i > 1; i--) {
		unsigned int j = (unsigned int)(rnd(seed) % i);
		unsigned int t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/*
 * Lay @p nb ranges of sizes @p size out from @p start in the order @p order,
 * back to back or (one time in three) after a hole of up to 4 pages.
 */
static void
layout(uint64_t *start, const uint64_t *size, const unsigned int *order, unsigned int nb,
       uint64_t base, uint64_t *seed)
{
	uint64_t cursor = base;
	unsigned int k;

	for (k = 0; k < nb; k++) {
		start[order[k]] = cursor;
		cursor += size[order[k]];
		if (rnd(seed) % 3 == 0)
			cursor += 1 + rnd(seed) % (4 * PAGE);
	}
}

/* The region of @p r (by its descriptor) that holds @p addr, or -1. */
static int
ref_find(const struct vio_mem_region_desc *r, unsigned int nb, bool uaddr, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < nb; i++) {
		uint64_t start = uaddr ? r[i].uaddr : r[i].gpa;

		if (addr >= start && addr - start < r[i].size)
			return (int)i;
	}
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Creation and translation                                                  */
/* ------------------------------------------------------------------------ */

static int
test_mem_create_one_region(void)
{
	struct vio_mem_region_desc r;
	uint8_t *hva, *p;
	uint64_t len;
	MEM_FX(f, "vio-test-mem-one", 16 * PAGE);

	r = (struct vio_mem_region_desc){ f.fd, 0, GPA_A, UADDR_A, 16 * PAGE };
	f.mem = vio_mem_create(&r, 1);
	T_ASSERT(f.mem != NULL, "rte_errno %d", rte_errno);
	T_EQ(vio_mem_nb_regions(f.mem), 1);

	len = 16;
	hva = vio_mem_gpa_to_hva(f.mem, GPA_A, &len);
	T_ASSERT(hva != NULL, "first byte");
	T_EQ(len, 16);
	T_ASSERT(at_offset(&f, hva, 0), "first byte content");
	len = 100;
	p = vio_mem_gpa_to_hva(f.mem, GPA_A + 1000, &len);
	T_ASSERT(p == hva + 1000, "hva %p, want %p", (void *)p, (void *)(hva + 1000));
	T_EQ(len, 100);
	/* Clipped at the region's end. */
	len = 1000;
	p = vio_mem_gpa_to_hva(f.mem, GPA_A + 16 * PAGE - 10, &len);
	T_ASSERT(p == hva + 16 * PAGE - 10, "near the end");
	T_EQ(len, 10);
	T_ASSERT(at_offset(&f, p + 9, 16 * PAGE - 1), "last byte content");
	len = UINT64_MAX;
	T_ASSERT(vio_mem_gpa_to_hva(f.mem, GPA_A, &len) == hva, "whole region");
	T_EQ(len, 16 * PAGE);
	/* The frontend's address of the same byte gives the same hva. */
	len = 8;
	T_ASSERT(vio_mem_uaddr_to_hva(f.mem, UADDR_A + 5, &len) == hva + 5, "uaddr");
	T_EQ(len, 8);
	len = 8;
	T_ASSERT(vio_mem_xlate(f.mem, GPA_A + 5, &len, VIO_MEM_ACCESS_RW) == hva + 5, "xlate");
	/* Outside. */
	len = 1;
	T_ASSERT(vio_mem_gpa_to_hva(f.mem, GPA_A - 1, &len) == NULL, "byte before");
	T_ASSERT(vio_mem_gpa_to_hva(f.mem, GPA_A + 16 * PAGE, &len) == NULL, "byte after");
	T_ASSERT(vio_mem_gpa_to_hva(f.mem, UADDR_A, &len) == NULL, "uaddr as gpa");
	T_ASSERT(vio_mem_uaddr_to_hva(f.mem, GPA_A, &len) == NULL, "gpa as uaddr");
	/* Shared: a write through the table is seen in the file. */
	hva[7] = 0xee;
	T_EQ(f.base[7], 0xee);
	return 0;
}

static int
test_mem_create_509_regions(void)
{
	static struct vio_mem_region_desc r[VIO_MEM_MAX_REGIONS];
	unsigned int gorder[VIO_MEM_MAX_REGIONS], uorder[VIO_MEM_MAX_REGIONS];
	uint64_t size[VIO_MEM_MAX_REGIONS], gpa[VIO_MEM_MAX_REGIONS], uaddr[VIO_MEM_MAX_REGIONS];
	uint8_t *hva[VIO_MEM_MAX_REGIONS];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned int i, nb_adjacent = 0, nb_hole = 0;
	MEM_FX(f, "vio-test-mem-509", (uint64_t)VIO_MEM_MAX_REGIONS * PAGE);

	for (i = 0; i < VIO_MEM_MAX_REGIONS; i++)
		size[i] = PAGE;
	shuffle(gorder, VIO_MEM_MAX_REGIONS, &seed);
	shuffle(uorder, VIO_MEM_MAX_REGIONS, &seed);
	layout(gpa, size, gorder, VIO_MEM_MAX_REGIONS, UINT64_C(0x100000000), &seed);
	layout(uaddr, size, uorder, VIO_MEM_MAX_REGIONS, UADDR_A, &seed);
	for (i = 0; i < VIO_MEM_MAX_REGIONS; i++)
		r[i] = (struct vio_mem_region_desc){ f.fd, (uint64_t)i * PAGE, gpa[i], uaddr[i],
						     PAGE };
	f.mem = vio_mem_create(r, VIO_MEM_MAX_REGIONS);
	T_ASSERT(f.mem != NULL, "rte_errno %d", rte_errno);
	T_EQ(vio_mem_nb_regions(f.mem), VIO_MEM_MAX_REGIONS);

	for (i = 0; i < VIO_MEM_MAX_REGIONS; i++) {
		uint64_t off = (uint64_t)i * PAGE, len;
		uint8_t *p;
		int next;

		/* First byte: the whole region is contiguous. */
		len = 2 * PAGE;
		hva[i] = vio_mem_gpa_to_hva(f.mem, gpa[i], &len);
		T_ASSERT(hva[i] != NULL, "region %u first byte", i);
		T_EQ(len, PAGE);
		T_ASSERT(at_offset(&f, hva[i], off), "region %u first byte content", i);
		len = 1;
		T_ASSERT(vio_mem_uaddr_to_hva(f.mem, uaddr[i], &len) == hva[i], "region %u uaddr",
			 i);
		/* Last byte. */
		len = 2;
		p = vio_mem_gpa_to_hva(f.mem, gpa[i] + PAGE - 1, &len);
		T_ASSERT(p == hva[i] + PAGE - 1, "region %u last byte", i);
		T_EQ(len, 1);
		T_ASSERT(at_offset(&f, p, off + PAGE - 1), "region %u last byte content", i);
		len = 2;
		T_ASSERT(vio_mem_uaddr_to_hva(f.mem, uaddr[i] + PAGE - 1, &len) == p,
			 "region %u last uaddr", i);
		T_EQ(len, 1);
		/* One past the end: the next region when adjacent, else a hole. */
		next = ref_find(r, VIO_MEM_MAX_REGIONS, false, gpa[i] + PAGE);
		len = 1;
		p = vio_mem_gpa_to_hva(f.mem, gpa[i] + PAGE, &len);
		if (next < 0) {
			nb_hole++;
			T_ASSERT(p == NULL, "region %u: byte past the end is in a hole", i);
			T_EQ(vio_mem_gpa_range_check(f.mem, gpa[i], PAGE + 1), -EFAULT);
		} else {
			nb_adjacent++;
			T_ASSERT(p != NULL && at_offset(&f, p, (uint64_t)next * PAGE),
				 "region %u: byte past the end is region %d", i, next);
			T_EQ(vio_mem_gpa_range_check(f.mem, gpa[i], PAGE + 1), 0);
		}
		next = ref_find(r, VIO_MEM_MAX_REGIONS, true, uaddr[i] + PAGE);
		len = 1;
		p = vio_mem_uaddr_to_hva(f.mem, uaddr[i] + PAGE, &len);
		if (next < 0)
			T_ASSERT(p == NULL, "region %u: uaddr past the end is in a hole", i);
		else
			T_ASSERT(p != NULL && at_offset(&f, p, (uint64_t)next * PAGE),
				 "region %u: uaddr past the end is region %d", i, next);
		T_EQ(vio_mem_gpa_range_check(f.mem, gpa[i], PAGE), 0);
		/* The byte before: the previous region's last byte when adjacent, else a hole. */
		next = ref_find(r, VIO_MEM_MAX_REGIONS, false, gpa[i] - 1);
		len = 2;
		p = vio_mem_gpa_to_hva(f.mem, gpa[i] - 1, &len);
		if (next < 0)
			T_ASSERT(p == NULL, "region %u: byte before is in a hole", i);
		else
			T_ASSERT(p != NULL && len == 1 &&
					 at_offset(&f, p, (uint64_t)next * PAGE + PAGE - 1),
				 "region %u: byte before is region %d", i, next);
	}
	/* The layout exercised both cases. */
	T_ASSERT(nb_adjacent > 100 && nb_hole > 100, "%u adjacent, %u holes", nb_adjacent, nb_hole);
	return 0;
}

static int
test_mem_range_across_adjacent_regions_comes_in_pieces(void)
{
	/* Adjacent in GPA and uaddr, scattered in the file. */
	struct vio_mem_region_desc r[3];
	static const uint64_t want_len[3] = { 0x100, 0x1000, 0x100 };
	static const uint64_t want_off[3] = { 6 * PAGE - 0x100, 0, 2 * PAGE };
	uint64_t gpa = GPA_A + 2 * PAGE - 0x100, left = 0x1200, len;
	unsigned int i;
	MEM_FX(f, "vio-test-mem-adjacent", 8 * PAGE);

	r[0] = (struct vio_mem_region_desc){ f.fd, 4 * PAGE, GPA_A, UADDR_A, 2 * PAGE };
	r[1] = (struct vio_mem_region_desc){ f.fd, 0, GPA_A + 2 * PAGE, UADDR_A + 2 * PAGE, PAGE };
	r[2] = (struct vio_mem_region_desc){ f.fd, 2 * PAGE, GPA_A + 3 * PAGE, UADDR_A + 3 * PAGE,
					     PAGE };
	f.mem = vio_mem_create(r, 3);
	T_ASSERT(f.mem != NULL, "rte_errno %d", rte_errno);
	T_EQ(vio_mem_gpa_range_check(f.mem, gpa, left), 0);
	for (i = 0; left > 0; i++) {
		uint8_t *p;

		T_ASSERT(i < 3, "more than 3 pieces");
		len = left;
		p = vio_mem_gpa_to_hva(f.mem, gpa, &len);
		T_ASSERT(p != NULL, "piece %u", i);
		T_EQ(len, want_len[i]);
		T_ASSERT(at_offset(&f, p, want_off[i]), "piece %u first byte", i);
		T_ASSERT(at_offset(&f, p + len - 1, want_off[i] + len - 1), "piece %u last byte",
			 i);
		gpa += len;
		left -= len;
	}
	T_EQ(i, 3);
	/* The same through the frontend's addresses. */
	len = 0x1200;
	T_ASSERT(vio_mem_uaddr_to_hva(f.mem, UADDR_A + 2 * PAGE - 0x100, &len) != NULL, "uaddr");
	T_EQ(len, 0x100);
	len = 0x1100;
	T_ASSERT(vio_mem_uaddr_to_hva(f.mem, UADDR_A + 2 * PAGE, &len) != NULL, "uaddr");
	T_EQ(len, 0x1000);
	return 0;
}

static int
test_mem_range_touching_hole_is_refused(void)
{
	struct vio_mem_region_desc r[2];
	uint64_t len;
	MEM_FX(f, "vio-test-mem-hole", 2 * PAGE);

	/* [A, A + 1 page), a hole of one page, [A + 2 pages, A + 3 pages). */
	r[0] = (struct vio_mem_region_desc){ f.fd, 0, GPA_A, UADDR_A, PAGE };
	r[1] = (struct vio_mem_region_desc){ f.fd, PAGE, GPA_A + 2 * PAGE, UADDR_A + 2 * PAGE,
					     PAGE };
	f.mem = vio_mem_create(r, 2);
	T_ASSERT(f.mem != NULL, "rte_errno %d", rte_errno);
	T_EQ(vio_mem_gpa_range_check(f.mem, GPA_A + PAGE - 0x100, 0x100), 0);
	T_EQ(vio_mem_gpa_range_check(f.mem, GPA_A + PAGE - 0x100, 0x101), -EFAULT);
	T_EQ(vio_mem_gpa_range_check(f.mem, GPA_A + PAGE - 0x100, 0x200), -EFAULT);
	T_EQ(vio_mem_gpa_range_check(f.mem, GPA_A + PAGE, 1), -EFAULT);
	T_EQ(vio_mem_gpa_range_check(f.mem, GPA_A + 2 * PAGE - 1, 2), -EFAULT);
	T_EQ(vio_mem_gpa_range_check(f.mem, GPA_A, 3 * PAGE), -EFAULT);
	T_EQ(vio_mem_gpa_range_check(f.mem, GPA_A + 2 * PAGE, PAGE), 0);
	T_EQ(vio_mem_gpa_range_check(f.mem, GPA_A + 2 * PAGE, PAGE + 1), -EFAULT);
	T_EQ(vio_mem_gpa_range_check(f.mem, GPA_A - 1, 2), -EFAULT);
	len = 1;
	T_ASSERT(vio_mem_gpa_to_hva(f.mem, GPA_A + PAGE, &len) == NULL, "hole start");
	T_ASSERT(vio_mem_gpa_to_hva(f.mem, GPA_A + 2 * PAGE - 1, &len) == NULL, "hole end");
	T_ASSERT(vio_mem_gpa_to_hva(f.mem, GPA_A + 3 * PAGE, &len) == NULL, "past the last");
	T_ASSERT(vio_mem_gpa_to_hva(f.mem, 0, &len) == NULL, "address 0");
	T_ASSERT(vio_mem_gpa_to_hva(f.mem, UINT64_MAX, &len) == NULL, "address max");
	/* A piece that ends at the hole comes back clipped; the next lookup fails. */
	len = 0x200;
	T_ASSERT(vio_mem_gpa_to_hva(f.mem, GPA_A + PAGE - 0x100, &len) != NULL, "before the hole");
	T_EQ(len, 0x100);
	return 0;
}

static int
test_mem_range_check_overflow_returns_einval(void)
{
	struct vio_mem_region_desc r;
	uint64_t top = UINT64_MAX - 2 * PAGE + 1, len;
	uint8_t *p;
	MEM_FX(f, "vio-test-mem-top", PAGE);

	/* A region in the last pages of the 64-bit space: [2^64 - 8192, 2^64 - 4096). */
	r = (struct vio_mem_region_desc){ f.fd, 0, top, top, PAGE };
	f.mem = vio_mem_create(&r, 1);
	T_ASSERT(f.mem != NULL, "rte_errno %d", rte_errno);
	T_EQ(vio_mem_gpa_range_check(f.mem, UINT64_MAX, 2), -EINVAL);
	T_EQ(vio_mem_gpa_range_check(f.mem, UINT64_MAX - 10, 100), -EINVAL);
	T_EQ(vio_mem_gpa_range_check(f.mem, 1, UINT64_MAX), -EINVAL);
	T_EQ(vio_mem_gpa_range_check(f.mem, top, UINT64_MAX), -EINVAL);
	T_EQ(vio_mem_gpa_range_check(f.mem, top, PAGE), 0);
	T_EQ(vio_mem_gpa_range_check(f.mem, top, PAGE + 1), -EFAULT);
	len = UINT64_MAX;
	p = vio_mem_gpa_to_hva(f.mem, top + PAGE - 1, &len);
	T_ASSERT(p != NULL && at_offset(&f, p, PAGE - 1), "last byte");
	T_EQ(len, 1);
	len = 1;
	T_ASSERT(vio_mem_gpa_to_hva(f.mem, top + PAGE, &len) == NULL, "past the end");
	return 0;
}

/*
 * Tables of @p nb regions of random sizes and file offsets (not page aligned),
 * in shuffled GPA and uaddr order with random holes; every lookup of random
 * and boundary addresses compared with a linear scan of the descriptors and
 * with the mapping the table made for each region.
 */
static int
lookup_vs_reference(unsigned int nb, uint64_t seed)
{
	static struct vio_mem_region_desc r[VIO_MEM_MAX_REGIONS];
	static uint64_t size[VIO_MEM_MAX_REGIONS], gpa[VIO_MEM_MAX_REGIONS],
		uaddr[VIO_MEM_MAX_REGIONS], foff[VIO_MEM_MAX_REGIONS];
	static unsigned int gorder[VIO_MEM_MAX_REGIONS], uorder[VIO_MEM_MAX_REGIONS];
	uint64_t file_size = 0, lo[2], hi[2];
	unsigned int i, n;
	MEM_FX(f, "vio-test-mem-ref", (uint64_t)nb * 3 * PAGE + 64 * nb + PAGE);

	for (i = 0; i < nb; i++) {
		size[i] = 1 + rnd(&seed) % (3 * PAGE);
		foff[i] = file_size + rnd(&seed) % 64;
		file_size = foff[i] + size[i];
	}
	T_ASSERT(file_size <= f.size, "file too small");
	shuffle(gorder, nb, &seed);
	shuffle(uorder, nb, &seed);
	layout(gpa, size, gorder, nb, UINT64_C(0x40000000) + rnd(&seed) % PAGE, &seed);
	layout(uaddr, size, uorder, nb, UADDR_A + rnd(&seed) % PAGE, &seed);
	for (i = 0; i < nb; i++)
		r[i] = (struct vio_mem_region_desc){ f.fd, foff[i], gpa[i], uaddr[i], size[i] };
	f.mem = vio_mem_create(r, nb);
	T_ASSERT(f.mem != NULL, "%u regions: rte_errno %d", nb, rte_errno);
	for (i = 0; i < nb; i++) {
		/* The table's own mapping of region i (from its offset rounded down to a page). */
		const uint8_t *base = (const uint8_t *)f.mem->maps[i].addr + foff[i] % PAGE;

		T_ASSERT(at_offset(&f, base, foff[i]), "region %u first byte", i);
		T_ASSERT(at_offset(&f, base + size[i] - 1, foff[i] + size[i] - 1),
			 "region %u last byte", i);
	}
	lo[0] = gpa[gorder[0]] - 2 * PAGE;
	hi[0] = gpa[gorder[nb - 1]] + size[gorder[nb - 1]] + 2 * PAGE;
	lo[1] = uaddr[uorder[0]] - 2 * PAGE;
	hi[1] = uaddr[uorder[nb - 1]] + size[uorder[nb - 1]] + 2 * PAGE;

	for (n = 0; n < 20000; n++) {
		bool by_uaddr = n % 2;
		uint64_t addr, len, want_len, got_len;
		const uint8_t *got, *want = NULL;
		int k;

		if (rnd(&seed) % 2) {
			/* Around a boundary of a random region. */
			static const int64_t delta[] = { -2, -1, 0, 1 };
			unsigned int j = (unsigned int)(rnd(&seed) % nb);
			uint64_t start = by_uaddr ? uaddr[j] : gpa[j];

			addr = start + (rnd(&seed) % 2 ? size[j] : 0) +
			       (uint64_t)delta[rnd(&seed) % RTE_DIM(delta)];
		} else {
			addr = lo[by_uaddr] + rnd(&seed) % (hi[by_uaddr] - lo[by_uaddr]);
		}
		switch (rnd(&seed) % 4) {
		case 0:
			len = 1;
			break;
		case 1:
			len = UINT64_MAX;
			break;
		default:
			len = 1 + rnd(&seed) % (4 * PAGE);
			break;
		}
		k = ref_find(r, nb, by_uaddr, addr);
		want_len = len;
		if (k >= 0) {
			uint64_t off = addr - (by_uaddr ? uaddr[k] : gpa[k]);

			want = (const uint8_t *)f.mem->maps[k].addr + foff[k] % PAGE + off;
			want_len = RTE_MIN(len, size[k] - off);
		}
		got_len = len;
		got = by_uaddr ? vio_mem_uaddr_to_hva(f.mem, addr, &got_len)
			       : vio_mem_gpa_to_hva(f.mem, addr, &got_len);
		T_ASSERT(got == want, "%u regions, %s 0x%" PRIx64 ": hva %p, want %p (region %d)",
			 nb, by_uaddr ? "uaddr" : "gpa", addr, (const void *)got,
			 (const void *)want, k);
		if (want == NULL)
			continue;
		T_ASSERT(got_len == want_len,
			 "%u regions, 0x%" PRIx64 ": len %" PRIu64 ", want %" PRIu64, nb, addr,
			 got_len, want_len);
		T_ASSERT(at_offset(&f, got, foff[k] + (addr - (by_uaddr ? uaddr[k] : gpa[k]))),
			 "content at 0x%" PRIx64, addr);
		if (!by_uaddr) {
			got_len = len;
			T_ASSERT(vio_mem_xlate(f.mem, addr, &got_len, VIO_MEM_ACCESS_RO) == got,
				 "xlate");
		}
	}

	/* Range checks against the reference: walk the pieces by the descriptors. */
	for (n = 0; n < 5000; n++) {
		uint64_t addr = lo[0] + rnd(&seed) % (hi[0] - lo[0]);
		uint64_t len = 1 + rnd(&seed) % (8 * PAGE), a = addr, left = len;
		int want = 0;

		while (left > 0) {
			int k = ref_find(r, nb, false, a);
			uint64_t piece;

			if (k < 0) {
				want = -EFAULT;
				break;
			}
			piece = RTE_MIN(left, gpa[k] + size[k] - a);
			a += piece;
			left -= piece;
		}
		T_ASSERT(vio_mem_gpa_range_check(f.mem, addr, len) == want,
			 "%u regions: range 0x%" PRIx64 " + 0x%" PRIx64 ": want %d", nb, addr, len,
			 want);
	}
	return 0;
}

static int
test_mem_lookup_few_regions_matches_reference(void)
{
	unsigned int nb;

	for (nb = 1; nb <= 7; nb++)
		if (lookup_vs_reference(nb, 0x1234567ull * nb) < 0)
			return -1;
	return 0;
}

static int
test_mem_lookup_many_regions_matches_reference(void)
{
	static const unsigned int nbs[] = { 8, 9, 16, 33, 100, 508, VIO_MEM_MAX_REGIONS };
	unsigned int i;

	for (i = 0; i < RTE_DIM(nbs); i++)
		if (lookup_vs_reference(nbs[i], 0xabcdefull * (i + 1)) < 0)
			return -1;
	return 0;
}

/* A refused vio_mem_create(): NULL, rte_errno EINVAL, no fd and no mapping left. */
static int
check_refused(const struct mem_fx *f, const struct vio_mem_region_desc *r, unsigned int nb,
	      const char *what)
{
	int fds = vio_test_fd_count(), maps = map_count(f->name);
	struct vio_mem *mem;

	rte_errno = 0;
	mem = vio_mem_create(r, nb);
	if (mem != NULL)
		vio_mem_free(mem);
	T_ASSERT(mem == NULL, "%s: accepted", what);
	T_ASSERT(rte_errno == EINVAL, "%s: rte_errno %d", what, rte_errno);
	T_ASSERT(vio_test_fd_count() == fds, "%s: %d fds, %d before", what, vio_test_fd_count(),
		 fds);
	T_ASSERT(map_count(f->name) == maps, "%s: %d mappings, %d before", what, map_count(f->name),
		 maps);
	return 0;
}

static int
test_mem_create_refuses_bad_regions(void)
{
	static struct vio_mem_region_desc many[VIO_MEM_MAX_REGIONS + 1];
	struct vio_mem_region_desc good[3], r[3];
	unsigned int i;
	MEM_FX(f, "vio-test-mem-refuse", 4 * PAGE);

	/* The bad region comes last, so that the good ones before it must be unmapped. */
	for (i = 0; i < 3; i++)
		good[i] = (struct vio_mem_region_desc){ f.fd, i * PAGE, GPA_A + i * 0x10000,
							UADDR_A + i * 0x10000, PAGE };
	f.mem = vio_mem_create(good, 3);
	T_ASSERT(f.mem != NULL, "the good set: rte_errno %d", rte_errno);
	vio_mem_free(f.mem);
	f.mem = NULL;
	T_EQ(map_count(f.name), 1);

	T_EQ(check_refused(&f, good, 0, "0 regions"), 0);
	T_EQ(check_refused(&f, NULL, 1, "NULL regions"), 0);
	for (i = 0; i < RTE_DIM(many); i++)
		many[i] = (struct vio_mem_region_desc){ f.fd, 0, GPA_A + i * 0x10000,
							UADDR_A + i * 0x10000, PAGE };
	T_EQ(check_refused(&f, many, VIO_MEM_MAX_REGIONS + 1, "510 regions"), 0);

#define REFUSED(what, field, value)                       \
	do {                                              \
		memcpy(r, good, sizeof(r));               \
		r[2].field = (value);                     \
		T_EQ(check_refused(&f, r, 3, (what)), 0); \
	} while (0)

	REFUSED("size 0", size, 0);
	REFUSED("fd -1", fd, -1);
	REFUSED("fd -100", fd, -100);
	REFUSED("gpa overlap by one byte", gpa, GPA_A + 0x10000 + PAGE - 1);
	REFUSED("gpa equal", gpa, GPA_A);
	REFUSED("gpa covering another", gpa, GPA_A + 0x10000 - 1);
	REFUSED("uaddr overlap", uaddr, UADDR_A + 100);
	REFUSED("gpa + size overflows", gpa, UINT64_MAX - 100);
	REFUSED("gpa + size is 2^64", gpa, UINT64_MAX - PAGE + 1);
	REFUSED("uaddr + size overflows", uaddr, UINT64_MAX - 100);
	REFUSED("mmap_offset + size overflows", mmap_offset, UINT64_MAX - 100);
	REFUSED("mmap_offset + size past the file by one byte", mmap_offset, 3 * PAGE + 1);
	REFUSED("mmap_offset past the file", mmap_offset, UINT64_C(1) << 40);
	REFUSED("size past the file", size, 2 * PAGE + 1);
#undef REFUSED

	/* And a bad region first. */
	memcpy(r, good, sizeof(r));
	r[0].size = 0;
	T_EQ(check_refused(&f, r, 3, "size 0 first"), 0);
	T_EQ(map_count(f.name), 1);
	return 0;
}

static int
test_mem_create_unaligned_offset(void)
{
	struct vio_mem_region_desc r[3];
	uint64_t len;
	uint8_t *p;
	MEM_FX(f, "vio-test-mem-unaligned", 3 * PAGE + 100);

	/* The file is not a multiple of the page size either; the last region ends with it. */
	r[0] = (struct vio_mem_region_desc){ f.fd, 100, GPA_A, UADDR_A, 4000 };
	r[1] = (struct vio_mem_region_desc){ f.fd, PAGE + 123, GPA_A + PAGE, UADDR_A + PAGE, 5000 };
	r[2] = (struct vio_mem_region_desc){ f.fd, 3 * PAGE, GPA_A + 3 * PAGE, UADDR_A + 3 * PAGE,
					     100 };
	f.mem = vio_mem_create(r, 3);
	T_ASSERT(f.mem != NULL, "rte_errno %d", rte_errno);
	len = UINT64_MAX;
	p = vio_mem_gpa_to_hva(f.mem, GPA_A, &len);
	T_ASSERT(p != NULL && at_offset(&f, p, 100), "region 0 first byte");
	T_EQ(len, 4000);
	T_ASSERT(at_offset(&f, p + 3999, 4099), "region 0 last byte");
	len = UINT64_MAX;
	p = vio_mem_gpa_to_hva(f.mem, GPA_A + PAGE, &len);
	T_ASSERT(p != NULL && at_offset(&f, p, PAGE + 123), "region 1 first byte");
	T_EQ(len, 5000);
	/* Across a page boundary of the file. */
	T_ASSERT(at_offset(&f, p + PAGE - 123, 2 * PAGE), "region 1 page boundary");
	T_ASSERT(at_offset(&f, p + 4999, PAGE + 123 + 4999), "region 1 last byte");
	p[10] = 0x5c;
	T_EQ(f.base[PAGE + 133], 0x5c);
	len = UINT64_MAX;
	p = vio_mem_gpa_to_hva(f.mem, GPA_A + 3 * PAGE + 99, &len);
	T_ASSERT(p != NULL && at_offset(&f, p, 3 * PAGE + 99), "region 2 last byte");
	T_EQ(len, 1);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Dirty log                                                                 */
/* ------------------------------------------------------------------------ */

/* A table of one region, for the log tests. */
static int
one_region(struct mem_fx *f)
{
	struct vio_mem_region_desc r = { f->fd, 0, GPA_A, UADDR_A, f->size };

	f->mem = vio_mem_create(&r, 1);
	T_ASSERT(f->mem != NULL, "rte_errno %d", rte_errno);
	return 0;
}

static int
test_mem_log_disabled_marks_nothing(void)
{
	uint8_t bitmap[64];
	unsigned int i;
	MEM_FX(f, "vio-test-mem-log-off", PAGE);

	T_EQ(one_region(&f), 0);
	memset(bitmap, 0, sizeof(bitmap));
	T_EQ(vio_mem_log_attach(f.mem, bitmap, sizeof(bitmap)), 0);
	T_ASSERT(!vio_mem_log_enabled(f.mem), "attach turned logging on");
	vio_mem_log_write(f.mem, 0, 64 * 8 * PAGE);
	vio_mem_log_write(f.mem, 5 * PAGE, 1);
	vio_mem_log(f.mem, 0, 64 * 8 * PAGE);
	for (i = 0; i < sizeof(bitmap); i++)
		T_ASSERT(bitmap[i] == 0, "byte %u = 0x%x", i, bitmap[i]);
	T_EQ(vio_mem_log_overflows(f.mem), 0);
	/* Off again after being on. */
	T_EQ(vio_mem_log_enable(f.mem, true), 0);
	T_EQ(vio_mem_log_enable(f.mem, false), 0);
	T_ASSERT(!vio_mem_log_enabled(f.mem), "still on");
	vio_mem_log_write(f.mem, 0, 64 * 8 * PAGE);
	for (i = 0; i < sizeof(bitmap); i++)
		T_ASSERT(bitmap[i] == 0, "byte %u = 0x%x", i, bitmap[i]);
	return 0;
}

static int
test_mem_log_marks_touched_pages(void)
{
	static const struct {
		uint64_t gpa, len;
		unsigned int first, nb; /* pages that must be marked */
	} c[] = {
		{ 0, 1, 0, 1 },
		{ 3 * PAGE, 1, 3, 1 },
		{ 4 * PAGE - 1, 1, 3, 1 },
		{ 5 * PAGE - 1, 2, 4, 2 },
		{ 16 * PAGE, PAGE, 16, 1 },
		{ 16 * PAGE + 1, PAGE, 16, 2 },
		{ 32 * PAGE - 1, PAGE + 2, 31, 3 },
		{ 64 * PAGE, 8 * PAGE, 64, 8 },
		{ 100 * PAGE + 7, 0, 0, 0 },
		{ 511 * PAGE, PAGE, 511, 1 },
	};
	uint8_t bitmap[64], want[64];
	unsigned int i, j;
	MEM_FX(f, "vio-test-mem-log-pages", PAGE);

	T_EQ(one_region(&f), 0);
	T_EQ(vio_mem_log_attach(f.mem, bitmap, sizeof(bitmap)), 0);
	T_EQ(vio_mem_log_enable(f.mem, true), 0);
	T_ASSERT(vio_mem_log_enabled(f.mem), "not on");
	for (i = 0; i < RTE_DIM(c); i++) {
		memset(bitmap, 0, sizeof(bitmap));
		memset(want, 0, sizeof(want));
		for (j = c[i].first; j < c[i].first + c[i].nb; j++)
			want[j / 8] |= (uint8_t)(1u << (j % 8));
		/* Through the API and through the data path's inline check. */
		if (i % 2)
			vio_mem_log_write(f.mem, c[i].gpa, c[i].len);
		else
			vio_mem_log(f.mem, c[i].gpa, c[i].len);
		for (j = 0; j < sizeof(bitmap); j++)
			T_ASSERT(bitmap[j] == want[j],
				 "case %u (0x%" PRIx64 " + 0x%" PRIx64
				 "): byte %u = 0x%x, want 0x%x",
				 i, c[i].gpa, c[i].len, j, bitmap[j], want[j]);
	}
	T_EQ(vio_mem_log_overflows(f.mem), 0);
	return 0;
}

static int
test_mem_log_counts_pages_beyond_the_log(void)
{
	/* Exactly 2 bytes: 16 pages, so that ASan sees any write past them. */
	uint8_t bitmap[2] = { 0 };
	uint64_t ovf;
	MEM_FX(f, "vio-test-mem-log-overflow", PAGE);

	T_EQ(one_region(&f), 0);
	T_EQ(vio_mem_log_attach(f.mem, bitmap, sizeof(bitmap)), 0);
	T_EQ(vio_mem_log_enable(f.mem, true), 0);
	/* Pages 14..20: 14 and 15 logged, 5 counted. */
	vio_mem_log_write(f.mem, 14 * PAGE, 7 * PAGE);
	T_EQ(bitmap[0], 0);
	T_EQ(bitmap[1], 0xc0);
	T_EQ(vio_mem_log_overflows(f.mem), 5);
	vio_mem_log_write(f.mem, 16 * PAGE, 1);
	vio_mem_log_write(f.mem, UINT64_C(1) << 40, 2 * PAGE);
	/* A range that runs past 2^64 is cut there: here one page, the last one. */
	vio_mem_log_write(f.mem, UINT64_MAX - 100, 1000);
	T_EQ(vio_mem_log_overflows(f.mem), 5 + 1 + 2 + 1);
	T_EQ(bitmap[1], 0xc0);
	/* Everything: 16 pages logged, every other page of the 64-bit space counted. */
	ovf = vio_mem_log_overflows(f.mem);
	vio_mem_log_write(f.mem, 0, UINT64_MAX);
	T_ASSERT(vio_mem_log_overflows(f.mem) - ovf == (UINT64_MAX - 1) / PAGE + 1 - 16,
		 "%" PRIu64 " pages counted", vio_mem_log_overflows(f.mem) - ovf);
	T_EQ(bitmap[0], 0xff);
	T_EQ(bitmap[1], 0xff);
	return 0;
}

static int
test_mem_log_enable_without_log_returns_enodev(void)
{
	uint8_t bitmap[8] = { 0 };
	MEM_FX(f, "vio-test-mem-log-enodev", PAGE);

	T_EQ(one_region(&f), 0);
	T_EQ(vio_mem_log_enable(f.mem, true), -ENODEV);
	T_ASSERT(!vio_mem_log_enabled(f.mem), "on without a log");
	T_EQ(vio_mem_log_enable(f.mem, false), 0);
	vio_mem_log_write(f.mem, 0, PAGE);
	T_EQ(vio_mem_log_overflows(f.mem), 0);
	T_EQ(vio_mem_log_attach(f.mem, NULL, 0), 0);
	T_EQ(vio_mem_log_attach(f.mem, bitmap, 0), -EINVAL);
	T_EQ(vio_mem_log_enable(f.mem, true), -ENODEV);

	T_EQ(vio_mem_log_attach(f.mem, bitmap, sizeof(bitmap)), 0);
	T_EQ(vio_mem_log_enable(f.mem, true), 0);
	T_ASSERT(vio_mem_log_enabled(f.mem), "not on");
	/* Detaching turns logging off; it cannot come back on without a log. */
	T_EQ(vio_mem_log_attach(f.mem, NULL, 0), 0);
	T_ASSERT(!vio_mem_log_enabled(f.mem), "on after detach");
	T_EQ(vio_mem_log_enable(f.mem, true), -ENODEV);
	vio_mem_log_write(f.mem, 0, PAGE);
	T_EQ(bitmap[0], 0);
	return 0;
}

static int
test_mem_log_map_memfd(void)
{
	MEM_FX(f, "vio-test-mem-log-guest", PAGE);
	MEM_FX(lg, "vio-test-mem-log-map", 2 * PAGE);

	T_EQ(one_region(&f), 0);
	memset(lg.base, 0, lg.size);
	T_EQ(map_count(lg.name), 1);
	T_EQ(vio_mem_log_map(f.mem, -1, 0, 64), -EINVAL);
	T_EQ(vio_mem_log_map(f.mem, lg.fd, 0, 0), -EINVAL);
	T_EQ(vio_mem_log_map(f.mem, lg.fd, UINT64_MAX - 10, 64), -EINVAL);
	T_EQ(map_count(lg.name), 1);

	/* 64 bytes at offset 4096: 512 pages. */
	T_EQ(vio_mem_log_map(f.mem, lg.fd, PAGE, 64), 0);
	T_EQ(map_count(lg.name), 2);
	T_ASSERT(!vio_mem_log_enabled(f.mem), "map turned logging on");
	T_EQ(vio_mem_log_enable(f.mem, true), 0);
	vio_mem_log_write(f.mem, 9 * PAGE, 1);
	T_EQ(lg.base[PAGE + 1], 0x02);
	T_EQ(lg.base[1], 0);
	vio_mem_log_write(f.mem, 511 * PAGE, PAGE + 1);
	T_EQ(lg.base[PAGE + 63], 0x80);
	T_EQ(lg.base[PAGE + 64], 0);
	T_EQ(vio_mem_log_overflows(f.mem), 1);

	/* A new log replaces the old mapping and turns logging off. */
	T_EQ(vio_mem_log_map(f.mem, lg.fd, 0, 128), 0);
	T_EQ(map_count(lg.name), 2);
	T_ASSERT(!vio_mem_log_enabled(f.mem), "still on after remap");
	T_EQ(vio_mem_log_enable(f.mem, true), 0);
	vio_mem_log_write(f.mem, 0, 1);
	T_EQ(lg.base[0], 0x01);

	/* Detaching unmaps it; so does freeing the table. */
	T_EQ(vio_mem_log_attach(f.mem, NULL, 0), 0);
	T_EQ(map_count(lg.name), 1);
	T_EQ(vio_mem_log_map(f.mem, lg.fd, 0, 128), 0);
	T_EQ(map_count(lg.name), 2);
	vio_mem_free(f.mem);
	f.mem = NULL;
	T_EQ(map_count(lg.name), 1);
	return 0;
}

/*
 * Regression: a log whose offset + size runs past the end of its fd is
 * mapped, and the first write to a page past the end raises SIGBUS. Creation
 * of regions refuses the same thing (region_check); the log must too.
 */
static int
test_mem_log_map_refuses_log_beyond_file(void)
{
	int ret;
	MEM_FX(f, "vio-test-mem-log-eof-guest", PAGE);
	MEM_FX(lg, "vio-test-mem-log-eof", PAGE);

	T_EQ(one_region(&f), 0);
	ret = vio_mem_log_map(f.mem, lg.fd, 0, 2 * PAGE + 1);
	T_ASSERT(ret == -EINVAL, "log of 8193 bytes in a file of 4096 bytes: %d", ret);
	ret = vio_mem_log_map(f.mem, lg.fd, PAGE, 1);
	T_ASSERT(ret == -EINVAL, "log at the end of the file: %d", ret);
	T_EQ(vio_mem_log_map(f.mem, lg.fd, PAGE - 1, 1), 0);
	return 0;
}

/*
 * Concurrency test: the main thread and one writer mark the even and the odd
 * pages of the same bytes at the same time, round after round, one running up
 * the log and the other down so that they meet on the same bytes. Rounds start
 * by spinning on a counter (yielding, for a machine with one free CPU): a
 * futex wake-up would put the writers whole bytes apart. Rounds only count
 * when both writers really ran at once, which a busy machine does not always
 * grant; the test runs until MT_MIN_OVERLAP such rounds or MT_MAX_NS. A plain
 * non-atomic OR fails it within a few rounds on a two-CPU machine.
 */
#define MT_LOG_BYTES   256
#define MT_MIN_OVERLAP 500
#define MT_MAX_NS      (UINT64_C(3) * 1000 * 1000 * 1000)
#define MT_STOP        UINT_MAX

static uint8_t mt_bitmap[MT_LOG_BYTES];

/* Per writer: the last round it started and finished, and rounds it saw the other running. */
struct mt_writer {
	atomic_uint started;
	atomic_uint finished;
	unsigned int nb_overlap;
};

struct mt_shared {
	struct vio_mem *mem;
	atomic_uint go; /* round the main thread started, MT_STOP to end */
	struct mt_writer w[2];
};

/* Parity 0 runs up the log, parity 1 down. */
static void
mt_mark(struct mt_shared *s, unsigned int parity, unsigned int round)
{
	struct mt_writer *me = &s->w[parity], *other = &s->w[!parity];
	unsigned int i;

	atomic_store(&me->started, round);
	for (i = 0; i < MT_LOG_BYTES * 4; i++) {
		unsigned int page = parity ? MT_LOG_BYTES * 8 - 1 - 2 * i : 2 * i;

		vio_mem_log_write(s->mem, (uint64_t)page * PAGE, 1);
	}
	/* The other started and has not finished: the two ran at once. */
	if (atomic_load(&other->started) == round && atomic_load(&other->finished) != round)
		me->nb_overlap++;
	atomic_store(&me->finished, round);
}

static void *
mt_writer_run(void *arg)
{
	struct mt_shared *s = arg;
	unsigned int round = 0, go;

	for (;;) {
		/* Pairs with the main thread's release: the cleared log is visible. */
		while ((go = atomic_load_explicit(&s->go, memory_order_acquire)) == round)
			sched_yield();
		if (go == MT_STOP)
			return NULL;
		round = go;
		mt_mark(s, 1, round);
	}
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static int
test_mem_log_concurrent_writers_lose_no_bit(void)
{
	static struct mt_shared s;
	uint64_t deadline = now_ns() + MT_MAX_NS;
	unsigned int round, i, nb_lost = 0, first_round = 0, first_byte = 0, nb_overlap = 0;
	pthread_t tid;
	MEM_FX(f, "vio-test-mem-log-mt", PAGE);

	T_EQ(one_region(&f), 0);
	T_EQ(vio_mem_log_attach(f.mem, mt_bitmap, sizeof(mt_bitmap)), 0);
	T_EQ(vio_mem_log_enable(f.mem, true), 0);
	memset(&s, 0, sizeof(s));
	s.mem = f.mem;
	T_EQ(pthread_create(&tid, NULL, mt_writer_run, &s), 0);
	for (round = 1; nb_overlap < MT_MIN_OVERLAP && now_ns() < deadline; round++) {
		memset(mt_bitmap, 0, sizeof(mt_bitmap));
		atomic_store_explicit(&s.go, round, memory_order_release);
		mt_mark(&s, 0, round);
		/* Pairs with the writer's store: its bits are visible. */
		while (atomic_load(&s.w[1].finished) != round)
			sched_yield();
		for (i = 0; i < MT_LOG_BYTES; i++) {
			if (mt_bitmap[i] != 0xff && nb_lost++ == 0) {
				first_round = round;
				first_byte = i;
			}
		}
		nb_overlap = s.w[0].nb_overlap + s.w[1].nb_overlap;
	}
	atomic_store_explicit(&s.go, MT_STOP, memory_order_release);
	pthread_join(tid, NULL);
	T_ASSERT(nb_lost == 0, "bits lost in %u bytes, first in round %u byte %u", nb_lost,
		 first_round, first_byte);
	T_EQ(vio_mem_log_overflows(f.mem), 0);
	if (nb_overlap == 0) {
		printf("no round ran both writers at once (%u rounds): one CPU?\n", round - 1);
		return VIO_TEST_SKIP;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* IOTLB                                                                     */
/* ------------------------------------------------------------------------ */

#define IOVA_A UINT64_C(0xfee00000)

/* Free a cache when it goes out of scope. */
static void
iotlb_put(struct vio_iotlb **t)
{
	vio_iotlb_free(*t);
}
#define IOTLB(t, n) struct vio_iotlb *t __attribute__((cleanup(iotlb_put))) = vio_iotlb_create(n)

/* Two regions: pages 0-3 of the file at UADDR_A, pages 8-11 at UADDR_A + 4 pages (adjacent). */
static int
iotlb_mem(struct mem_fx *f)
{
	struct vio_mem_region_desc r[2] = {
		{ f->fd, 0, GPA_A, UADDR_A, 4 * PAGE },
		{ f->fd, 8 * PAGE, GPA_A + 4 * PAGE, UADDR_A + 4 * PAGE, 4 * PAGE },
	};

	f->mem = vio_mem_create(r, 2);
	T_ASSERT(f->mem != NULL, "rte_errno %d", rte_errno);
	return 0;
}

static int
test_iotlb_update_then_lookup_translates(void)
{
	uint64_t len, gpa;
	uint8_t *p;
	MEM_FX(f, "vio-test-iotlb", 16 * PAGE);
	IOTLB(t, 64);

	T_ASSERT(t != NULL, "create");
	T_EQ(iotlb_mem(&f), 0);
	len = 16;
	T_ASSERT(vio_iotlb_lookup(t, IOVA_A, &len, VIO_MEM_ACCESS_RO, &gpa) == NULL, "empty");
	/* IOVA page 0 -> frontend page 2, read-only. */
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A, PAGE, UADDR_A + 2 * PAGE, VIO_MEM_ACCESS_RO), 0);
	len = 100;
	p = vio_iotlb_lookup(t, IOVA_A + 10, &len, VIO_MEM_ACCESS_RO, &gpa);
	T_ASSERT(p != NULL && at_offset(&f, p, 2 * PAGE + 10), "content");
	T_EQ(len, 100);
	T_EQ(gpa, GPA_A + 2 * PAGE + 10);
	/* Clipped at the entry's end; nothing beyond it. */
	len = PAGE;
	T_ASSERT(vio_iotlb_lookup(t, IOVA_A + PAGE - 8, &len, VIO_MEM_ACCESS_RO, &gpa) != NULL,
		 "near end");
	T_EQ(len, 8);
	len = 1;
	T_ASSERT(vio_iotlb_lookup(t, IOVA_A + PAGE, &len, VIO_MEM_ACCESS_RO, &gpa) == NULL,
		 "after");
	T_ASSERT(vio_iotlb_lookup(t, IOVA_A - 1, &len, VIO_MEM_ACCESS_RO, &gpa) == NULL, "before");
	/* A write needs a writable entry. */
	len = 1;
	T_ASSERT(vio_iotlb_lookup(t, IOVA_A, &len, VIO_MEM_ACCESS_WO, &gpa) == NULL, "perm");
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A, PAGE, UADDR_A + 2 * PAGE, VIO_MEM_ACCESS_RW), 0);
	T_EQ(vio_iotlb_nb_entries(t), 1);
	T_ASSERT(vio_iotlb_lookup(t, IOVA_A, &len, VIO_MEM_ACCESS_WO, &gpa) != NULL, "rw");
	return 0;
}

static int
test_iotlb_update_across_regions_splits(void)
{
	uint64_t len, gpa;
	uint8_t *p;
	MEM_FX(f, "vio-test-iotlb-split", 16 * PAGE);
	IOTLB(t, 64);

	T_EQ(iotlb_mem(&f), 0);
	/* Frontend pages 3-4 straddle the two regions, scattered in the file (pages 3 and 8). */
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A, 2 * PAGE, UADDR_A + 3 * PAGE, VIO_MEM_ACCESS_RW),
	     0);
	T_EQ(vio_iotlb_nb_entries(t), 2);
	len = 2 * PAGE;
	p = vio_iotlb_lookup(t, IOVA_A, &len, VIO_MEM_ACCESS_RW, &gpa);
	T_ASSERT(p != NULL && at_offset(&f, p, 3 * PAGE), "first piece");
	T_EQ(len, PAGE);
	len = PAGE;
	p = vio_iotlb_lookup(t, IOVA_A + PAGE, &len, VIO_MEM_ACCESS_RW, &gpa);
	T_ASSERT(p != NULL && at_offset(&f, p, 8 * PAGE), "second piece");
	T_EQ(gpa, GPA_A + 4 * PAGE);
	/* Outside shared memory, a wrapping range, a bad permission: refused. */
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A, PAGE, UADDR_A + 8 * PAGE, VIO_MEM_ACCESS_RW),
	     -EFAULT);
	T_EQ(vio_iotlb_update(t, f.mem, UINT64_MAX - 10, PAGE, UADDR_A, VIO_MEM_ACCESS_RW),
	     -EINVAL);
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A, 0, UADDR_A, VIO_MEM_ACCESS_RW), -EINVAL);
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A, PAGE, UADDR_A, 4), -EINVAL);
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A, PAGE, UADDR_A, 0), -EINVAL);
	T_EQ(vio_iotlb_nb_entries(t), 2);
	return 0;
}

static int
test_iotlb_invalidate_trims_and_splits(void)
{
	uint64_t len, gpa;
	uint8_t *p;
	MEM_FX(f, "vio-test-iotlb-inval", 16 * PAGE);
	IOTLB(t, 64);

	T_EQ(iotlb_mem(&f), 0);
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A, 4 * PAGE, UADDR_A, VIO_MEM_ACCESS_RW), 0);
	/* A hole in the middle: both ends stay, the right one keeps its own translation. */
	vio_iotlb_invalidate(t, IOVA_A + PAGE, PAGE);
	T_EQ(vio_iotlb_nb_entries(t), 2);
	len = 1;
	T_ASSERT(vio_iotlb_lookup(t, IOVA_A + PAGE + 5, &len, VIO_MEM_ACCESS_RO, &gpa) == NULL,
		 "hole");
	len = 1;
	p = vio_iotlb_lookup(t, IOVA_A + 2 * PAGE + 5, &len, VIO_MEM_ACCESS_RO, &gpa);
	T_ASSERT(p != NULL && at_offset(&f, p, 2 * PAGE + 5), "right part");
	T_EQ(gpa, GPA_A + 2 * PAGE + 5);
	len = PAGE;
	p = vio_iotlb_lookup(t, IOVA_A + 5, &len, VIO_MEM_ACCESS_RO, &gpa);
	T_ASSERT(p != NULL && at_offset(&f, p, 5), "left part");
	T_EQ(len, PAGE - 5);
	/* Overlapping both ends' edges. */
	vio_iotlb_invalidate(t, IOVA_A + PAGE / 2, 2 * PAGE);
	len = 1;
	T_ASSERT(vio_iotlb_lookup(t, IOVA_A + PAGE / 2, &len, VIO_MEM_ACCESS_RO, &gpa) == NULL,
		 "trimmed end");
	len = 1;
	p = vio_iotlb_lookup(t, IOVA_A + 2 * PAGE + PAGE / 2, &len, VIO_MEM_ACCESS_RO, &gpa);
	T_ASSERT(p != NULL && at_offset(&f, p, 2 * PAGE + PAGE / 2), "trimmed start");
	len = 1;
	T_ASSERT(vio_iotlb_lookup(t, IOVA_A + 2 * PAGE + PAGE / 2 - 1, &len, VIO_MEM_ACCESS_RO,
				  &gpa) == NULL,
		 "byte before the trimmed start");
	/* To the end of the space (a size that wraps), and a new mapping replaces. */
	vio_iotlb_invalidate(t, IOVA_A + 3 * PAGE, UINT64_MAX);
	T_EQ(vio_iotlb_nb_entries(t), 2);
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A, 4 * PAGE, UADDR_A + 4 * PAGE, VIO_MEM_ACCESS_RO),
	     0);
	T_EQ(vio_iotlb_nb_entries(t), 1);
	len = 1;
	p = vio_iotlb_lookup(t, IOVA_A + 2 * PAGE, &len, VIO_MEM_ACCESS_RO, &gpa);
	T_ASSERT(p != NULL && at_offset(&f, p, 10 * PAGE), "replaced");
	vio_iotlb_invalidate(t, 0, UINT64_MAX);
	T_EQ(vio_iotlb_nb_entries(t), 0);
	return 0;
}

/* Page-sized entries at random IOVAs against a plain array: lookups agree, and a full cache evicts. */
static int
test_iotlb_many_entries_match_reference(void)
{
	enum {
		N = 512,
		SLOTS = 1024
	};
	static int8_t ref[SLOTS]; /* frontend page of IOVA page i, or -1 */
	unsigned int i, k, seed = 12345;
	uint64_t len, gpa;
	MEM_FX(f, "vio-test-iotlb-many", 16 * PAGE);
	IOTLB(t, N);

	T_EQ(iotlb_mem(&f), 0);
	memset(ref, -1, sizeof(ref));
	for (k = 0; k < 20000; k++) {
		unsigned int slot, page;

		seed = seed * 1103515245u + 12345u;
		slot = (seed >> 8) % SLOTS;
		page = (seed >> 20) % 8;
		if ((seed >> 4) % 5 == 0) {
			vio_iotlb_invalidate(t, IOVA_A + (uint64_t)slot * PAGE, PAGE);
			ref[slot] = -1;
		} else {
			T_EQ(vio_iotlb_update(t, f.mem, IOVA_A + (uint64_t)slot * PAGE, PAGE,
					      UADDR_A + (uint64_t)page * PAGE, VIO_MEM_ACCESS_RW),
			     0);
			ref[slot] = (int8_t)page;
		}
		T_ASSERT(vio_iotlb_nb_entries(t) <= N, "over the limit");
	}
	/* An entry is either what the reference says or evicted (a miss), never another page. */
	for (i = 0; i < SLOTS; i++) {
		uint8_t *p;

		len = 1;
		p = vio_iotlb_lookup(t, IOVA_A + (uint64_t)i * PAGE + 7, &len, VIO_MEM_ACCESS_RW,
				     &gpa);
		if (ref[i] < 0) {
			T_ASSERT(p == NULL, "slot %u invalidated but found", i);
			continue;
		}
		if (p == NULL)
			continue;
		k = (unsigned int)ref[i];
		T_ASSERT(at_offset(&f, p, (k < 4 ? k : k + 4) * (uint64_t)PAGE + 7), "slot %u", i);
		T_EQ(gpa, GPA_A + (uint64_t)k * PAGE + 7);
	}
	T_ASSERT(vio_iotlb_nb_entries(t) == N, "%u entries: the cache never filled",
		 vio_iotlb_nb_entries(t));
	return 0;
}

static int
test_iotlb_xlate_range_and_remap(void)
{
	uint64_t gpa, miss = 0;
	void *hva;
	struct vio_mem_region_desc r;
	struct vio_mem *other;
	MEM_FX(f, "vio-test-iotlb-range", 16 * PAGE);
	IOTLB(t, 64);

	T_EQ(iotlb_mem(&f), 0);
	/* Two IOVA pages, adjacent in host memory (frontend pages 0 and 1). */
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A, PAGE, UADDR_A, VIO_MEM_ACCESS_RW), 0);
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A + PAGE, PAGE, UADDR_A + PAGE, VIO_MEM_ACCESS_RW), 0);
	T_EQ(vio_iotlb_xlate_range(t, IOVA_A + 100, PAGE, VIO_MEM_ACCESS_RW, &hva, &gpa, &miss), 0);
	T_ASSERT(at_offset(&f, hva, 100), "start");
	T_EQ(gpa, GPA_A + 100);
	/* The third page is missing: which IOVA to ask for. */
	T_EQ(vio_iotlb_xlate_range(t, IOVA_A, 3 * PAGE, VIO_MEM_ACCESS_RW, &hva, &gpa, &miss),
	     -EAGAIN);
	T_EQ(miss, IOVA_A + 2 * PAGE);
	/* Present but scattered in host memory (frontend page 3, then page 4 = file page 8). */
	T_EQ(vio_iotlb_update(t, f.mem, IOVA_A + 2 * PAGE, PAGE, UADDR_A + 5 * PAGE,
			      VIO_MEM_ACCESS_RW),
	     0);
	T_EQ(vio_iotlb_xlate_range(t, IOVA_A + PAGE, 2 * PAGE, VIO_MEM_ACCESS_RW, &hva, &gpa,
				   &miss),
	     -EFAULT);
	/* A new memory table without region 2: its entries go, the others follow the new map. */
	r = (struct vio_mem_region_desc){ f.fd, 12 * PAGE, GPA_A, UADDR_A, 4 * PAGE };
	other = vio_mem_create(&r, 1);
	T_ASSERT(other != NULL, "second table");
	T_EQ(vio_iotlb_remap(t, other), 1);
	T_EQ(vio_iotlb_nb_entries(t), 2);
	T_EQ(vio_iotlb_xlate_range(t, IOVA_A, 2 * PAGE, VIO_MEM_ACCESS_RW, &hva, &gpa, &miss), 0);
	T_ASSERT(at_offset(&f, hva, 12 * PAGE), "remapped");
	vio_iotlb_flush(t);
	T_EQ(vio_iotlb_nb_entries(t), 0);
	vio_mem_free(other);
	T_ASSERT(vio_iotlb_create(0) == NULL && rte_errno == EINVAL, "create 0");
	T_ASSERT(vio_iotlb_create(VIO_IOTLB_MAX_ENTRIES + 1) == NULL, "create too many");
	return 0;
}

static int
test_mem_free_null_is_a_noop(void)
{
	vio_mem_free(NULL);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_mem_create_one_region),
	VIO_TEST(test_mem_create_509_regions),
	VIO_TEST(test_mem_range_across_adjacent_regions_comes_in_pieces),
	VIO_TEST(test_mem_range_touching_hole_is_refused),
	VIO_TEST(test_mem_range_check_overflow_returns_einval),
	VIO_TEST(test_mem_lookup_few_regions_matches_reference),
	VIO_TEST(test_mem_lookup_many_regions_matches_reference),
	VIO_TEST(test_mem_create_refuses_bad_regions),
	VIO_TEST(test_mem_create_unaligned_offset),
	VIO_TEST(test_mem_log_disabled_marks_nothing),
	VIO_TEST(test_mem_log_marks_touched_pages),
	VIO_TEST(test_mem_log_counts_pages_beyond_the_log),
	VIO_TEST(test_mem_log_enable_without_log_returns_enodev),
	VIO_TEST(test_mem_log_map_memfd),
	VIO_TEST(test_mem_log_map_refuses_log_beyond_file),
	VIO_TEST(test_mem_log_concurrent_writers_lose_no_bit),
	VIO_TEST(test_iotlb_update_then_lookup_translates),
	VIO_TEST(test_iotlb_update_across_regions_splits),
	VIO_TEST(test_iotlb_invalidate_trims_and_splits),
	VIO_TEST(test_iotlb_many_entries_match_reference),
	VIO_TEST(test_iotlb_xlate_range_and_remap),
	VIO_TEST(test_mem_free_null_is_a_noop),
};

int
main(int argc, char **argv)
{
	/* No EAL: the table is plain mmap and calloc, and rte_log works without it. */
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}
