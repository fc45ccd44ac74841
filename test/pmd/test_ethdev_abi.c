/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * drivers/net/vio/ethdev_abi.h, the PMD's fallback for a build without
 * DPDK's driver headers, against those headers (doc/pmd.md "How it is
 * built"): every member it states has DPDK's offset, size and bit, each
 * structure the size its rule asks, and the member list leaves none of
 * ethdev_abi.h's members out. Skipped (77) when the build has no DPDK
 * driver headers.
 */

#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "ethdev_abi_members.h"
#include "vio_test.h"

#ifdef VIO_HAVE_DRIVER_SDK

static struct vio_abi_layout fallback, real;

static const struct vio_abi_member *
member_find(const struct vio_abi_layout *l, const char *type, const char *member)
{
	unsigned int i;

	for (i = 0; i < l->nb_members; i++)
		if (strcmp(l->members[i].type, type) == 0 &&
		    strcmp(l->members[i].member, member) == 0)
			return &l->members[i];
	return NULL;
}

static const struct vio_abi_type *
type_find(const struct vio_abi_layout *l, const char *type)
{
	unsigned int i;

	for (i = 0; i < l->nb_types; i++)
		if (strcmp(l->types[i].type, type) == 0)
			return &l->types[i];
	return NULL;
}

static int
test_ethdev_abi_members_match_dpdk(void)
{
	unsigned int i, nb = 0, bad = 0;

	for (i = 0; i < fallback.nb_members; i++) {
		const struct vio_abi_member *f = &fallback.members[i], *r;

		if (f->only_here)
			continue;
		r = member_find(&real, f->type, f->member);
		T_ASSERT(r != NULL, "%s.%s: not in the real table", f->type, f->member);
		nb++;
		if (f->offset == r->offset && f->size == r->size && f->bit == r->bit)
			continue;
		bad++;
		fprintf(stderr,
			"%s.%s: ethdev_abi.h offset 0x%zx size %zu bit 0x%02x, DPDK offset 0x%zx "
			"size %zu bit 0x%02x\n",
			f->type, f->member, f->offset, f->size, f->bit, r->offset, r->size, r->bit);
	}
	printf("%u members compared, %u differ\n", nb, bad);
	T_EQ(bad, 0);
	return 0;
}

/* Each bit field found in both, one bit (so that members_match_dpdk compared something). */
static int
test_ethdev_abi_bit_fields_placed(void)
{
	const struct vio_abi_layout *layouts[] = { &fallback, &real };
	unsigned int l, i, nb[2] = { 0, 0 };

	for (l = 0; l < RTE_DIM(layouts); l++)
		for (i = 0; i < layouts[l]->nb_members; i++) {
			const struct vio_abi_member *m = &layouts[l]->members[i];

			if (!m->bit_field)
				continue;
			T_ASSERT(m->bit != 0, "%s.%s: not one bit in %s", m->type, m->member,
				 l == 0 ? "ethdev_abi.h" : "DPDK");
			nb[l]++;
		}
	T_ASSERT(nb[0] > 0, "no bit field");
	T_EQ(nb[0], nb[1]);
	return 0;
}

static int
test_ethdev_abi_sizes_match_dpdk(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < fallback.nb_types; i++) {
		const struct vio_abi_type *f = &fallback.types[i];
		const struct vio_abi_type *r = type_find(&real, f->type);
		bool ok;

		T_ASSERT(r != NULL, "%s", f->type);
		ok = f->rule == VIO_ABI_PREFIX ? f->size <= r->size : f->size >= r->size;
		printf("struct %s: ethdev_abi.h %zu bytes, DPDK %zu (%s)\n", f->type, f->size,
		       r->size, f->rule == VIO_ABI_PREFIX ? "a prefix" : "covers it");
		if (!ok)
			bad++;
	}
	T_EQ(bad, 0);
	T_EQ(fallback.vdev_device_offset, real.vdev_device_offset);
	return 0;
}

/*
 * The list is complete for ethdev_abi.h: in each structure the members not
 * inside the one before follow it with no more than alignment padding
 * between, from offset 0 to the end of the structure.
 */
static int
test_ethdev_abi_list_covers_fallback(void)
{
	unsigned int t, i;

	for (t = 0; t < fallback.nb_types; t++) {
		const struct vio_abi_type *ty = &fallback.types[t];
		size_t start = 0, end = 0, want;
		bool first = true;

		for (i = 0; i < fallback.nb_members; i++) {
			const struct vio_abi_member *m = &fallback.members[i];

			if (strcmp(m->type, ty->type) != 0)
				continue;
			if (!first && m->offset >= start && m->offset + m->size <= end)
				continue; /* inside the one before: driver.name, a bit field */
			want = (end + m->align - 1) / m->align * m->align;
			T_ASSERT(m->offset == want,
				 "%s.%s at 0x%zx, 0x%zx expected: ethdev_abi_members.h misses a "
				 "member of ethdev_abi.h before it, or lists them in another order",
				 ty->type, m->member, m->offset, want);
			start = m->offset;
			end = m->offset + m->size;
			first = false;
		}
		want = (end + ty->align - 1) / ty->align * ty->align;
		T_ASSERT(ty->size == want,
			 "struct %s: %zu bytes, its members end at 0x%zx: a member at its end is "
			 "not in ethdev_abi_members.h",
			 ty->type, ty->size, end);
	}
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_ethdev_abi_list_covers_fallback),
	VIO_TEST(test_ethdev_abi_members_match_dpdk),
	VIO_TEST(test_ethdev_abi_bit_fields_placed),
	VIO_TEST(test_ethdev_abi_sizes_match_dpdk),
};

int
main(int argc, char **argv)
{
	vio_abi_layout_fallback(&fallback);
	vio_abi_layout_real(&real);
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}

#else /* !VIO_HAVE_DRIVER_SDK */

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("skipped: this build has no DPDK driver headers to check ethdev_abi.h against "
	       "(devtools/setup.sh headers caches them; then reconfigure with "
	       "-Ddpdk_driver_headers=auto)\n");
	printf("cases: 0 ok, 0 failed, 1 skipped\n");
	return VIO_TEST_SKIP;
}

#endif /* VIO_HAVE_DRIVER_SDK */
