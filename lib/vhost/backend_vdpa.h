/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_BACKEND_VDPA_H
#define VIO_BACKEND_VDPA_H

#include "vio_vhost_driver.h"

/*
 * The "vdpa" driver (frontend role): the port's rings given to a vDPA
 * device through its vhost-vdpa character device at t->path
 * (/dev/vhost-vdpa-N). Checks t->queue_size against the device's rings.
 */
int vhost_backend_vdpa_open(struct vio_backend *be, const struct vio_backend_target *t);

#endif /* VIO_BACKEND_VDPA_H */
