/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_BACKEND_REMOTE_H
#define VIO_BACKEND_REMOTE_H

#include "vio_vhost_driver.h"

/* The "remote" driver (frontend role): a vhost-user backend at t->path. */
int vhost_backend_remote_open(struct vio_backend *be, const struct vio_backend_target *t);

#endif /* VIO_BACKEND_REMOTE_H */
