/* SPDX-License-Identifier: BSD-3-Clause */

/* The layout of drivers/net/vio/ethdev_abi.h (see ethdev_abi_members.h). */

#include "ethdev_abi.h"

#define VIO_ABI_PADDING(t, m) VIO_ABI_ENTRY(t, m, true)
#include "ethdev_abi_layout.h"

void
vio_abi_layout_fallback(struct vio_abi_layout *layout)
{
	abi_layout_get(layout, VIO_ABI_VDEV_DEVICE_OFFSET);
}
