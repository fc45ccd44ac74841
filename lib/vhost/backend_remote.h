/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_BACKEND_REMOTE_H
#define VIO_BACKEND_REMOTE_H

#include "vio_vhost_driver.h"

/* The "remote" driver (frontend role): a vhost-user backend at t->path. */
int vhost_backend_remote_open(struct vio_backend *be, const struct vio_backend_target *t);

/*
 * The "local" driver's frontend role: the same requests, handed in-process
 * to the device of vio's own server socket at t->path (whose driver, the
 * engine, processes the rings), with no connection between them.
 */
int vhost_backend_remote_open_in_process(struct vio_backend *be,
					 const struct vio_backend_target *t);

#endif /* VIO_BACKEND_REMOTE_H */
