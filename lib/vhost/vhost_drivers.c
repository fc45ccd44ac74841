/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The table of drivers: the one place that names them. A device gets its
 * driver instance from here; from then on the server and the device reach
 * it through its backend ops only. Adding a driver adds a file and a line.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend_handoff.h"
#include "backend_kernel.h"
#include "backend_local.h"
#include "backend_remote.h"
#include "backend_vdpa.h"
#include "vhost_internal.h"

/*
 * kernel, vdpa: frontend role, the port's rings given to vhost-net or a vDPA
 * device; backend role, a frontend's rings handed to the same device
 * (backend_handoff.c).
 *
 * local: vio's engine. Backend role: it serves a frontend's rings. Frontend
 * role: a port's rings are given, in-process, to a vio backend port of the
 * same process (a loopback with no socket).
 */
static const struct vhost_driver drivers[] = {
	{ "local", vhost_backend_local_create, vhost_backend_remote_open_in_process },
	{ "remote", NULL, vhost_backend_remote_open },
	{ "kernel", vhost_backend_handoff_create, vhost_backend_kernel_open },
	{ "vdpa", vhost_backend_handoff_create, vhost_backend_vdpa_open },
};

const struct vhost_driver *
vhost_driver_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(drivers); i++)
		if (strcmp(drivers[i].name, name) == 0)
			return &drivers[i];
	return NULL;
}

int
vio_backend_open(const char *driver, const struct vio_backend_target *target,
		 struct vio_backend *be)
{
	const struct vhost_driver *d = driver != NULL ? vhost_driver_find(driver) : NULL;

	if (target == NULL || be == NULL)
		return -EINVAL;
	if (d == NULL || d->open == NULL) {
		char names[64] = "";
		unsigned int i;

		for (i = 0; i < RTE_DIM(drivers); i++)
			if (drivers[i].open != NULL)
				snprintf(names + strlen(names), sizeof(names) - strlen(names),
					 "%s%s", names[0] != '\0' ? ", " : "", drivers[i].name);
		VHOST_LOG(ERR,
			  "%s: driver \"%s\" has no frontend role in this build (accepted: %s)",
			  target->name != NULL ? target->name : "?", driver != NULL ? driver : "",
			  names);
		return -EINVAL;
	}
	memset(be, 0, sizeof(*be));
	return d->open(be, target);
}
