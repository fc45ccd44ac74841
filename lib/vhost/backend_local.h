/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_BACKEND_LOCAL_H
#define VIO_BACKEND_LOCAL_H

#include "vio_vhost_driver.h"

struct vhost_dev;

/*
 * Make @p be the local driver of @p dev (vio's engine on the rings). Only the
 * table of drivers (vhost_drivers.c) calls it; everything else goes through
 * be->ops.
 */
int vhost_backend_local_create(struct vio_backend *be, struct vhost_dev *dev);

#endif /* VIO_BACKEND_LOCAL_H */
