/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The body of vio_abi_layout_real() and vio_abi_layout_fallback(): included
 * by ethdev_abi_real.c and ethdev_abi_fallback.c after the headers whose
 * layout they measure, with VIO_ABI_PADDING(type, member) defined as
 * VIO_ABI_ENTRY(type, member, true) (ethdev_abi.h has that padding) or as
 * nothing (DPDK has not).
 */

#include <string.h>

#include <rte_common.h>

#include "ethdev_abi_members.h"

/* A member's entry; here: only ethdev_abi.h has it (padding). */
#define VIO_ABI_ENTRY(t, m, here)                   \
	{ .type = #t,                               \
	  .member = #m,                             \
	  .offset = offsetof(struct t, m),          \
	  .size = sizeof(((struct t *)0)->m),       \
	  .align = __alignof__(((struct t *)0)->m), \
	  .only_here = (here) },
#define VIO_ABI_M(t, m)    VIO_ABI_ENTRY(t, m, false)
#define VIO_ABI_B(t, m)    { .type = #t, .member = #m, .size = 1, .align = 1, .bit_field = true },
#define VIO_ABI_T(t, rule) { #t, sizeof(struct t), __alignof__(struct t), rule },
#define VIO_ABI_SKIP(t, m)

static struct vio_abi_member abi_members[] = { VIO_ABI_MEMBERS(VIO_ABI_M, VIO_ABI_B,
							       VIO_ABI_PADDING) };

static const struct vio_abi_type abi_types[] = { VIO_ABI_TYPES(VIO_ABI_T) };

/* Each bit field set alone in a zeroed struct, found by its byte and mask. */
#define VIO_ABI_PLACE(t, m)                                            \
	for (i = 0; i < RTE_DIM(abi_members); i++) {                   \
		static struct t obj;                                   \
		if (strcmp(abi_members[i].type, #t) != 0 ||            \
		    strcmp(abi_members[i].member, #m) != 0)            \
			continue;                                      \
		memset(&obj, 0, sizeof(obj));                          \
		obj.m = 1;                                             \
		vio_abi_bit_place(&abi_members[i], &obj, sizeof(obj)); \
	}

static void
abi_layout_get(struct vio_abi_layout *layout, size_t vdev_device_offset)
{
	unsigned int i;

	VIO_ABI_MEMBERS(VIO_ABI_SKIP, VIO_ABI_PLACE, VIO_ABI_SKIP)
	layout->members = abi_members;
	layout->nb_members = RTE_DIM(abi_members);
	layout->types = abi_types;
	layout->nb_types = RTE_DIM(abi_types);
	layout->vdev_device_offset = vdev_device_offset;
}
