/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_PORT_INTERNAL_H
#define VIO_PORT_INTERNAL_H

#include <rte_log.h>

extern int vio_port_logtype;
#define PORT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, vio_port_logtype, "vio_port: " fmt "\n", ##__VA_ARGS__)

#endif /* VIO_PORT_INTERNAL_H */
