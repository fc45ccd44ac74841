/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_BACKEND_HANDOFF_H
#define VIO_BACKEND_HANDOFF_H

#include "vio_vhost_driver.h"

struct vhost_dev;

/*
 * Backend role of "kernel" and "vdpa": the device of @p dev's connection is
 * the socket's driver (vio_vhost_set_driver()) opened in the frontend role on
 * the socket's device, and the frontend's memory and rings are handed to it.
 * 0 or the driver's negative errno (the log names the device and the call).
 */
int vhost_backend_handoff_create(struct vio_backend *be, struct vhost_dev *dev);

#endif /* VIO_BACKEND_HANDOFF_H */
