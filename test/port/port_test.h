/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_TEST_PORT_TEST_H
#define VIO_TEST_PORT_TEST_H

/* What the port tests share: a clock, a sleep, and a port made from devargs and started. */

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "vio_port.h"

static inline uint64_t
now_ms(void)
{
	return rte_get_timer_cycles() * 1000 / rte_get_timer_hz();
}

static inline void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A port from devargs @p args, created and started; NULL with *err the negative errno. */
static inline struct vio_port *
port_open(const char *name, const char *args, int *err)
{
	struct vio_port_config cfg;
	struct vio_port *p;
	int ret;

	*err = vio_port_config_parse(args, &cfg);
	if (*err < 0)
		return NULL;
	p = vio_port_create(name, &cfg, NULL, NULL);
	if (p == NULL) {
		*err = -rte_errno;
		return NULL;
	}
	ret = vio_port_start(p);
	if (ret < 0) {
		vio_port_free(p);
		*err = ret;
		return NULL;
	}
	return p;
}

/*
 * The EAL on hugepages with dynamic memory (no -m: the heap grows as it is
 * used), fd-backed (--single-file-segments) so that a frontend port can share
 * it; vio logging at @p vio_log ("lib.vio.*:info"). 0 or -1.
 */
static inline int
port_test_eal_init_huge(char *prog, char *vio_log)
{
	char *eal[] = { prog,
			"-l",
			"0",
			"--in-memory",
			"--single-file-segments",
			"--no-pci",
			"--log-level",
			"lib.eal:error",
			"--log-level",
			vio_log };

	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

#endif /* VIO_TEST_PORT_TEST_H */
