/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_BACKEND_KERNEL_H
#define VIO_BACKEND_KERNEL_H

#include "vio_vhost_driver.h"

/*
 * The "kernel" driver (frontend role): Linux vhost-net at t->path (one fd per
 * queue pair) with a multi-queue TAP named t->iface (NULL: the kernel picks
 * tap%d), one TAP queue per pair. doc/kernel.md.
 */
int vhost_backend_kernel_open(struct vio_backend *be, const struct vio_backend_target *t);

#endif /* VIO_BACKEND_KERNEL_H */
