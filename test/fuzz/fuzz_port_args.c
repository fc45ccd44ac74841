/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The devargs parser (lib/port/port_args.c): the input is the device
 * argument string, as an application hands it over (net_vio's devargs,
 * vio-fwd's --port). Checked besides memory safety: a string the parser
 * accepts gives a configuration that holds together (a role, one of its
 * keys, strings terminated, counts in range), and parsing it again gives
 * the same configuration.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "vio_port.h"

/* Longer device arguments than any application passes. */
#define ARGS_MAX 4096

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_log_init();
	return 0;
}

static void
config_check(const struct vio_port_config *c)
{
	FUZZ_CHECK(c->role == VIO_PORT_ROLE_BACKEND || c->role == VIO_PORT_ROLE_FRONTEND, "role %d",
		   (int)c->role);
	FUZZ_CHECK(memchr(c->iface, '\0', sizeof(c->iface)) != NULL, "iface unterminated");
	FUZZ_CHECK(memchr(c->path, '\0', sizeof(c->path)) != NULL, "path unterminated");
	if (c->role == VIO_PORT_ROLE_FRONTEND)
		FUZZ_CHECK(c->path[0] != '\0', "frontend without path");
	else
		FUZZ_CHECK(c->iface[0] != '\0', "backend without iface");
	FUZZ_CHECK(c->nb_queue_pairs >= 1, "nb_queue_pairs %u", c->nb_queue_pairs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vio_port_config a, b;
	char *args;
	int ret;

	if (size > ARGS_MAX)
		return -1;
	args = malloc(size + 1);
	if (args == NULL)
		return -1;
	memcpy(args, data, size);
	args[size] = '\0';
	ret = vio_port_config_parse(args, &a);
	if (ret == 0) {
		config_check(&a);
		FUZZ_CHECK(vio_port_config_parse(args, &b) == 0, "accepted once only");
		FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0, "two parses differ");
	} else {
		FUZZ_CHECK(ret < 0, "returned %d", ret);
	}
	free(args);
	return 0;
}
