/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_BACKEND_LOCAL_H
#define VIO_BACKEND_LOCAL_H

#include "vio_vhost_driver.h"

struct vhost_dev;

/* Make @p be the local driver of @p dev (vio's engine on the rings). */
int vhost_backend_local_init(struct vio_backend *be, struct vhost_dev *dev);
void vhost_backend_local_fini(struct vio_backend *be);
/* Ask the frontend for the IOTLB misses the queues recorded (control thread). */
void vhost_backend_local_poll_misses(struct vio_backend *be);

#endif /* VIO_BACKEND_LOCAL_H */
