/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The table of drivers: the one place that names them. A device gets its
 * driver instance from here; from then on the server and the device reach
 * it through its backend ops only. Adding a driver adds a file and a line.
 */

#include <string.h>

#include "backend_local.h"
#include "vhost_internal.h"

static const struct vhost_driver drivers[] = {
	{ "local", vhost_backend_local_create },
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
