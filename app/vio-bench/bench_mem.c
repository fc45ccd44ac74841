/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The memory table lines: cycles per translation of random guest physical
 * addresses through vio_mem_gpa_to_hva(), the lookup every guest address of a
 * burst goes through (the engine inlines the same code as vio_mem_xlate()),
 * next to a linear scan of the same regions, written here as the reference.
 *
 * Both loops call a function that is not inlined (the library's through the
 * PLT), pass the length by address and sum the results, so they do the same
 * work around the lookup itself; the loop's own cost is in both figures.
 */

#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "bench.h"
#include "vio_test_guest.h"

/*
 * Random addresses per table: 128 KiB, read in order (so from L2 at worst),
 * and a sequence far too long for the branch predictors to learn.
 */
#define NB_GPAS 16384
/* Bytes of each region: the lookup does not depend on it, the address space does. */
#define REGION_SIZE 4096

/* Where the loops' sums go, so that the compiler cannot drop a lookup. */
static volatile uintptr_t bench_mem_sink;

struct lin_region {
	uint64_t start;
	uint64_t end; /* exclusive */
	uintptr_t hva;
};

struct mem_table {
	struct tg_mem g;
	struct lin_region *lin; /* by ascending GPA */
	unsigned int nb;
	uint64_t *gpas;
};

/* The reference: the first region that holds @p gpa, in address order. */
static __rte_noinline void *
linear_lookup(const struct lin_region *r, unsigned int nb, uint64_t gpa, uint64_t *len)
{
	unsigned int i;

	for (i = 0; i < nb; i++) {
		if (gpa >= r[i].start && gpa < r[i].end) {
			uint64_t avail = r[i].end - gpa;

			if (*len > avail)
				*len = avail;
			return (void *)(r[i].hva + (gpa - r[i].start));
		}
	}
	return NULL;
}

/* xorshift64* (Vigna 2016): fixed seed, so every run and both methods see the same addresses. */
static uint64_t
rand_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/*
 * Build the table, the reference's region list and the addresses, and check
 * that both lookups agree with what the guest wrote at every region start.
 */
static int
table_setup(struct mem_table *t, unsigned int nb)
{
	uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->nb = nb;
	if (tg_mem_init(&t->g, (uint64_t)nb * REGION_SIZE, nb) < 0)
		return -1;
	t->lin = calloc(nb, sizeof(*t->lin));
	t->gpas = calloc(NB_GPAS, sizeof(*t->gpas));
	if (t->lin == NULL || t->gpas == NULL)
		return -1;
	for (i = 0; i < nb; i++) {
		uint64_t gpa = TG_GPA_BASE + (uint64_t)i * REGION_SIZE;
		uint64_t len = 1;
		uint32_t *seen;

		*(uint32_t *)tg_ptr(&t->g, gpa) = i;
		seen = vio_mem_gpa_to_hva(t->g.mem, gpa, &len);
		if (seen == NULL || *seen != i)
			return -1;
		t->lin[i].start = gpa;
		t->lin[i].end = gpa + REGION_SIZE;
		t->lin[i].hva = (uintptr_t)seen;
	}
	for (i = 0; i < NB_GPAS; i++) {
		uint64_t len_a = 64, len_b = 64;

		t->gpas[i] = TG_GPA_BASE + rand_next(&seed) % ((uint64_t)nb * REGION_SIZE);
		if (vio_mem_gpa_to_hva(t->g.mem, t->gpas[i], &len_a) !=
			    linear_lookup(t->lin, nb, t->gpas[i], &len_b) ||
		    len_a != len_b)
			return -1;
	}
	return 0;
}

static void
table_free(struct mem_table *t)
{
	free(t->gpas);
	free(t->lin);
	if (t->g.mem != NULL)
		tg_mem_fini(&t->g);
}

static double
time_xlate(const struct mem_table *t, uint64_t lookups, uintptr_t *sink)
{
	uintptr_t acc = 0;
	uint64_t i, t0, t1;

	t0 = rte_rdtsc_precise();
	for (i = 0; i < lookups; i++) {
		uint64_t len = 64;

		acc += (uintptr_t)vio_mem_gpa_to_hva(t->g.mem, t->gpas[i % NB_GPAS], &len) + len;
	}
	t1 = rte_rdtsc_precise();
	*sink += acc;
	return (double)(t1 - t0) / (double)lookups;
}

static double
time_linear(const struct mem_table *t, uint64_t lookups, uintptr_t *sink)
{
	uintptr_t acc = 0;
	uint64_t i, t0, t1;

	t0 = rte_rdtsc_precise();
	for (i = 0; i < lookups; i++) {
		uint64_t len = 64;

		acc += (uintptr_t)linear_lookup(t->lin, t->nb, t->gpas[i % NB_GPAS], &len) + len;
	}
	t1 = rte_rdtsc_precise();
	*sink += acc;
	return (double)(t1 - t0) / (double)lookups;
}

int
bench_mem_run(const struct bench_opts *o, struct bench_mem_row *row)
{
	struct mem_table t;
	uintptr_t sink = 0;
	unsigned int r;

	if (table_setup(&t, row->regions) < 0) {
		fprintf(stderr, "vio-bench: memory table of %u regions: set-up or check failed\n",
			row->regions);
		table_free(&t);
		return -1;
	}
	/* Warm-up: caches, TLB, predictors. */
	time_xlate(&t, NB_GPAS, &sink);
	time_linear(&t, NB_GPAS, &sink);
	for (r = 0; r < o->runs; r++) {
		/* Alternate which goes first, so that a drift of the machine hits both alike. */
		if (r % 2 == 0) {
			bench_sample_add(&row->xlate, time_xlate(&t, o->lookups, &sink));
			bench_sample_add(&row->linear, time_linear(&t, o->lookups, &sink));
		} else {
			bench_sample_add(&row->linear, time_linear(&t, o->lookups, &sink));
			bench_sample_add(&row->xlate, time_xlate(&t, o->lookups, &sink));
		}
	}
	bench_mem_sink = sink;
	table_free(&t);
	return 0;
}
