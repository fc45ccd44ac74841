/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_ETHDEV_H
#define VIO_ETHDEV_H

/*
 * net_vio: an ethdev PMD over a vio port. Files: vio_ethdev.c (probe,
 * remove, configuration, events), vio_rxtx.c (bursts, statistics),
 * vio_intr.c (Rx queue interrupts).
 *
 * Threads: the ops run on the application's control thread; the port's
 * events on vio's control thread; both take pmd->lock, which is never held
 * while the application's event callbacks run or while the port is freed.
 * The bursts take no lock.
 *
 * DPDK's driver interface: with VIO_HAVE_DRIVER_SDK (set by the build when
 * DPDK's driver headers are there, doc/pmd.md "How it is built") the PMD
 * uses DPDK's own ethdev_driver.h and bus_vdev_driver.h; without it,
 * ethdev_abi.h, which states the same layouts for DPDK 22.11.
 */

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

#ifdef VIO_HAVE_DRIVER_SDK
#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#else
#include "ethdev_abi.h"
#endif
#include "vio_port.h"

/* The generic device of a vdev (a struct that ethdev_abi.h keeps opaque). */
static inline struct rte_device *
vio_pmd_vdev_device(struct rte_vdev_device *vdev)
{
#ifdef VIO_HAVE_DRIVER_SDK
	return &vdev->device;
#else
	return vio_abi_vdev_to_dev(vdev);
#endif
}

extern int vio_pmd_logtype;
#define PMD_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, vio_pmd_logtype, "net_vio: " fmt "\n", ##__VA_ARGS__)

#define VIO_PMD_MAX_QUEUES VIO_VHOST_MAX_QUEUE_PAIRS

/* Counters an lcore writes and the control thread reads (relaxed). */
struct vio_queue_counters {
	_Atomic uint64_t packets;
	_Atomic uint64_t bytes;
	/* Rx: chained packets dropped for linear-buffer=1. Tx: refused, the guest had no room. */
	_Atomic uint64_t dropped;
};

/* Rx queue: the guest's transmit queue of a pair (dequeue). */
struct vio_rxq {
	alignas(RTE_CACHE_LINE_SIZE) struct vio_port *port;
	struct rte_mempool *mp;
	uint16_t qp;
	uint16_t port_id;
	bool linear;
	struct vio_queue_counters c;
};

/* Tx queue: the guest's receive queue of a pair (enqueue). */
struct vio_txq {
	alignas(RTE_CACHE_LINE_SIZE) struct vio_port *port;
	uint16_t qp;
	bool frontend; /* the rings are vio's: at most VIO_VNET_TX_SEGS_MAX segments */
	struct vio_queue_counters c;
};

/* Counter values at the last reset (control thread). */
struct vio_queue_base {
	uint64_t packets;
	uint64_t bytes;
	uint64_t dropped;
	struct vio_vq_stats vq;        /* a backend port's engine counters */
	struct vio_vnet_vq_stats vnet; /* a frontend port's queue counters */
};

struct vio_pmd {
	struct rte_eth_dev *eth_dev;
	struct vio_port *port;
	uint64_t connections_base; /* vio_port_connections() at the last stats reset */
	pthread_mutex_t lock;
	bool started;
	bool frontend;             /* path=: vio owns the rings, a backend is the device */
	bool intr_on;              /* Rx interrupts set up by dev_start */
	unsigned int link_updates; /* calls of the link_update op (the probe's ABI check) */
	struct vio_queue_base rx_base[VIO_PMD_MAX_QUEUES];
	struct vio_queue_base tx_base[VIO_PMD_MAX_QUEUES];
};

/* vio_rxtx.c */
uint16_t vio_pmd_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts);
uint16_t vio_pmd_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts);
uint16_t vio_pmd_fe_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts);
uint16_t vio_pmd_fe_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts);
uint16_t vio_pmd_tx_prepare(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts);
int vio_pmd_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *stats);
int vio_pmd_stats_reset(struct rte_eth_dev *dev);
int vio_pmd_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
			     unsigned int size);
int vio_pmd_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n);
int vio_pmd_xstats_reset(struct rte_eth_dev *dev);

/* vio_intr.c; the _locked functions run with pmd->lock held. */
int vio_pmd_intr_start_locked(struct vio_pmd *pmd);
void vio_pmd_intr_stop_locked(struct vio_pmd *pmd);
void vio_pmd_intr_refresh_locked(struct vio_pmd *pmd, uint16_t qp);
int vio_pmd_rx_intr_enable(struct rte_eth_dev *dev, uint16_t queue_id);
int vio_pmd_rx_intr_disable(struct rte_eth_dev *dev, uint16_t queue_id);

#endif /* VIO_ETHDEV_H */
