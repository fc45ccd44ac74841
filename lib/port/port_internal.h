/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_PORT_INTERNAL_H
#define VIO_PORT_INTERNAL_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include "vio_port.h"
#include "vio_vhost_driver.h"
#include "vio_vnet.h"

extern int vio_port_logtype;
#define PORT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, vio_port_logtype, "vio_port: " fmt "\n", ##__VA_ARGS__)

#define PORT_NAME_MAX 64

/* "local", "remote", "kernel", "vdpa": the name in devargs and the driver table. */
const char *vio_port_driver_name(enum vio_port_driver d);

/* What one lcore writes: its own cache line, so two lcores never share one. */
struct port_lcore {
	alignas(RTE_CACHE_LINE_SIZE) atomic_uint busy;
};

struct vio_port {
	/* Data path, read by every lcore: the running device, -1 without one. */
	alignas(RTE_CACHE_LINE_SIZE) atomic_int vid;
	/*
	 * Frontend role: the device and its queues (NULL before vio_port_start;
	 * set under the registry lock, which telemetry reads it under).
	 */
	struct port_fe *fe;
	uint32_t fe_offloads; /* VIO_VNET_OFFLOAD_*, kept for the fe to come */

	/* Written by the lcores, one line each: [direction][queue pair]. */
	struct port_lcore lcore[2][VIO_VHOST_MAX_QUEUE_PAIRS];

	/* Control. */
	alignas(RTE_CACHE_LINE_SIZE) char name[PORT_NAME_MAX];
	struct vio_port_config cfg;
	struct vio_port_ops ops;
	void *ctx;
	int last_vid; /* the vid new_device gave, until destroy_device */
	/* Backend role: times the device came up (new_device), for telemetry. */
	atomic_uint link_ups;
	/* The registry (port.c): under its lock. */
	TAILQ_ENTRY(vio_port) reg_next;
	unsigned int id; /* the registry's number, never reused in a process */
};

/*
 * port.c: the registry of the ports that exist, for telemetry (control path
 * only). A port joins at the end of vio_port_create() and leaves at the start
 * of vio_port_free(), before anything of it is freed, so a reader that holds
 * the lock never sees a freed port. Lock order: the registry lock before a
 * port's fe->lock and before the vhost layer's lock; no holder of either
 * takes it.
 */
void port_registry_lock(void);
void port_registry_unlock(void);
/* The port after @p p in creation order (NULL: the first), or NULL. Under the lock. */
struct vio_port *port_registry_next(const struct vio_port *p);
/* The port of @p key: its id in decimal, or else its name; NULL. Under the lock. */
struct vio_port *port_registry_find(const char *key);

/* port_frontend.c: a port in the frontend role. */
struct port_fe {
	/* Data path: the queues, set between queues_start and queues_stop. */
	struct vio_vnet_vq *rxq[VIO_VHOST_MAX_QUEUE_PAIRS];
	struct vio_vnet_vq *txq[VIO_VHOST_MAX_QUEUE_PAIRS];
	/* Control, under lock but for the atomics. */
	pthread_mutex_t lock;
	char name[64];
	const struct vio_port_config *cfg; /* the port's */
	struct vio_backend be;             /* the driver instance, while connected */
	uint64_t features;                 /* negotiated with the first device */
	uint16_t active;                   /* queue pairs started (0: the queues are stopped) */
	atomic_bool connected;             /* be is open */
	atomic_bool programmed;            /* the device has the started rings */
	atomic_bool stop;                  /* the watcher must end */
	unsigned int connections;          /* devices this port has had */
	atomic_uint offloads;              /* VIO_VNET_OFFLOAD_* of the receive queues */
	pthread_t watcher;
	void (*link_cb)(void *arg, bool up);
	void *link_arg;
	int kickfd[2 * VIO_VHOST_MAX_QUEUE_PAIRS];
	int callfd[2 * VIO_VHOST_MAX_QUEUE_PAIRS];
	/*
	 * DPDK's memory as the device has it, and what the memory event
	 * callback works in (no allocation there): FE_MAX_REGIONS each.
	 */
	struct vio_mem_region_desc *table, *next;
	struct vio_vnet_mem_region *walk;
	unsigned int nb_table;
	/* The memory event callback is registered (dynamic memory; not --no-huge, --legacy-mem). */
	bool mem_events;
	char mem_cb_name[RTE_MEM_EVENT_CALLBACK_NAME_LEN];
	uint64_t mem_updates;             /* changes of DPDK's memory the device was told of */
	atomic_uint_least64_t mem_missed; /* changes it could not be told of */
};

int port_fe_open(struct port_fe **out, const char *name, const struct vio_port_config *cfg,
		 void (*link_cb)(void *arg, bool up), void *link_arg);
void port_fe_close(struct port_fe *fe);
int port_fe_queues_start(struct port_fe *fe, struct rte_mempool *const *rx_mps, uint16_t nb_qp,
			 int socket_id);
void port_fe_queues_stop(struct port_fe *fe);
void port_fe_offloads_set(struct port_fe *fe, uint32_t offloads);
bool port_fe_link_up(const struct port_fe *fe);
void port_fe_info(struct port_fe *fe, struct vio_port_frontend_info *info);
/* Rx interrupts: a copy of receive queue @p qp's call eventfd; ask the device to use it. */
int port_fe_notify_fd(struct port_fe *fe, uint16_t qp);
int port_fe_notify_enable(struct port_fe *fe, uint16_t qp, bool enable);
int port_fe_queue_stats(const struct port_fe *fe, uint16_t qp, bool tx,
			struct vio_vnet_vq_stats *st);

/* A frontend port as telemetry shows it; port_fe_status() fills it under fe->lock. */
struct port_fe_status {
	struct vio_port_frontend_info info;
	uint64_t features; /* negotiated with the first device */
	bool connected;    /* a device is there */
	bool programmed;   /* the device has the started rings */
	uint16_t active;   /* queue pairs started */
};
void port_fe_status(struct port_fe *fe, struct port_fe_status *st);
/*
 * Counters and ring state of queue pair @p qp's receive (@p tx false) or
 * transmit queue, under fe->lock (the queues are freed only after they have
 * been taken out of the port under it). 0, or -ENODEV (not started).
 */
int port_fe_queue_snapshot(struct port_fe *fe, uint16_t qp, bool tx, struct vio_vnet_vq_stats *st,
			   struct vio_vnet_vq_ring_state *ring);
/*
 * The memory table the device has: the first @p max regions into @p out.
 * Returns how many it has (0 while the rings are not programmed).
 */
unsigned int port_fe_mem_regions(struct port_fe *fe, struct vio_vhost_mem_region_info *out,
				 unsigned int max);

#endif /* VIO_PORT_INTERNAL_H */
