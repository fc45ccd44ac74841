/* SPDX-License-Identifier: BSD-3-Clause */

/* The layout of DPDK's driver headers (see ethdev_abi_members.h). */

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>

/* DPDK has none of ethdev_abi.h's padding. */
#define VIO_ABI_PADDING(t, m)
#include "ethdev_abi_layout.h"

void
vio_abi_layout_real(struct vio_abi_layout *layout)
{
	abi_layout_get(layout, offsetof(struct rte_vdev_device, device));
}
