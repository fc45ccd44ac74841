/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The frontend role of a port: vio owns the rings (lib/vnet queues in DPDK
 * memory) and drives a device through a driver's backend ops, the way a
 * VMM or DPDK's virtio_user drives a vhost backend. The driver comes from
 * the table of drivers by name (vio_backend_open): nothing here knows
 * which one it is.
 *
 * Life of a frontend port:
 *   open    (vio_port_start, at probe): the driver reaches the device, the
 *           features are negotiated, the queue count checked;
 *   start   (vio_port_queues_start, at dev_start): the memory table, then
 *           per vring NUM, BASE, ADDR, CALL, KICK and ENABLE, receive rings
 *           full of mbufs;
 *   stop    (vio_port_queues_stop, at dev_stop): every vring disabled and
 *           stopped (GET_VRING_BASE), the rings and their mbufs freed;
 *   close   (vio_port_free): stop, then the driver destroyed.
 * The bursts run only between start and stop (ethdev guarantees it for the
 * PMD), so the queues they use never change under them.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>

#include "port_internal.h"
#include "vio_virtio.h"
#include "vio_vnet.h"

/* The features a frontend port negotiates when the device offers them. */
#define FE_FEATURES (VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_RING_EVENT_IDX))

/* The backend waits this long for a frontend port's first connection. */
#define FE_CONNECT_TIMEOUT_MS 5000
#define FE_ACCEPT_TIMEOUT_MS  60000
/* DPDK's memory as a table: one region per virtually contiguous, fd-backed run. */
#define FE_MAX_REGIONS 512

/* A driver that cannot lose its device has no is_alive op. */
static bool
fe_alive(struct port_fe *fe)
{
	return fe->be.ops->is_alive == NULL || fe->be.ops->is_alive(&fe->be);
}

static void
fds_close(struct port_fe *fe)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(fe->kickfd); i++) {
		if (fe->kickfd[i] >= 0)
			close(fe->kickfd[i]);
		if (fe->callfd[i] >= 0)
			close(fe->callfd[i]);
		fe->kickfd[i] = -1;
		fe->callfd[i] = -1;
	}
}

int
port_fe_open(struct port_fe **out, const char *name, const struct vio_port_config *cfg)
{
	const struct vio_backend_target t = {
		.name = name,
		.path = cfg->path,
		.server = cfg->server,
		.timeout_ms = cfg->server ? FE_ACCEPT_TIMEOUT_MS : FE_CONNECT_TIMEOUT_MS,
	};
	uint64_t offer = 0, want = FE_FEATURES;
	struct port_fe *fe;
	uint16_t nb = 0;
	unsigned int i;
	int ret;

	fe = calloc(1, sizeof(*fe));
	if (fe == NULL)
		return -ENOMEM;
	snprintf(fe->name, sizeof(fe->name), "%s", name);
	fe->cfg = cfg;
	for (i = 0; i < RTE_DIM(fe->kickfd); i++)
		fe->kickfd[i] = fe->callfd[i] = -1;
	if (cfg->server)
		PORT_LOG(INFO, "%s: path=%s: waiting for the backend to connect (at most %d s)",
			 name, cfg->path, FE_ACCEPT_TIMEOUT_MS / 1000);
	ret = vio_backend_open("remote", &t, &fe->be);
	if (ret < 0) {
		PORT_LOG(ERR, "%s: path=%s: no backend: %s", name, cfg->path, strerror(-ret));
		free(fe);
		return ret;
	}
	if (fe->be.ops->get_features == NULL || fe->be.ops->get_queue_num == NULL) {
		PORT_LOG(ERR, "%s: driver %s has no frontend role", name, fe->be.ops->name);
		ret = -ENOTSUP;
		goto err;
	}
	ret = fe->be.ops->get_features(&fe->be, &offer);
	if (ret == 0)
		ret = fe->be.ops->get_queue_num(&fe->be, &nb);
	if (ret < 0)
		goto err;
	if (!(offer & VIO_BIT(VIO_F_VERSION_1))) {
		PORT_LOG(ERR,
			 "%s: the backend offers features 0x%" PRIx64 " without VERSION_1 "
			 "(legacy virtio is not driven)",
			 name, offer);
		ret = -ENOTSUP;
		goto err;
	}
	if (cfg->nb_queue_pairs > 1) {
		if (!(offer & VIO_BIT(VIO_NET_F_MQ)) || nb < cfg->nb_queue_pairs) {
			PORT_LOG(ERR, "%s: queues=%u: the backend has %u queue pair%s (MQ %s)",
				 name, cfg->nb_queue_pairs, nb, nb == 1 ? "" : "s",
				 offer & VIO_BIT(VIO_NET_F_MQ) ? "offered" : "not offered");
			ret = -EINVAL;
			goto err;
		}
		want |= VIO_BIT(VIO_NET_F_MQ);
	}
	if (cfg->mrg_rxbuf)
		want |= VIO_BIT(VIO_NET_F_MRG_RXBUF);
	fe->features = offer & want;
	ret = fe->be.ops->set_features(&fe->be, fe->features);
	if (ret < 0)
		goto err;
	PORT_LOG(INFO, "%s: path=%s: features 0x%" PRIx64 " negotiated of 0x%" PRIx64 " offered%s",
		 name, cfg->path, fe->features, offer,
		 cfg->in_order ? "; in_order=1: VIRTIO_F_IN_ORDER is not negotiated yet" : "");
	*out = fe;
	return 0;

err:
	PORT_LOG(ERR, "%s: path=%s: negotiation failed: %s", name, cfg->path, strerror(-ret));
	fe->be.ops->destroy(&fe->be);
	free(fe);
	return ret;
}

/* Vring 2q is queue pair q's receive queue, 2q + 1 its transmit queue (virtio-net). */
static struct vio_vnet_vq *
fe_vq(struct port_fe *fe, unsigned int vring)
{
	return vring & 1 ? fe->txq[vring / 2] : fe->rxq[vring / 2];
}

static int
fe_mem_table(struct port_fe *fe)
{
	struct vio_vnet_mem_region *mr = calloc(FE_MAX_REGIONS, sizeof(*mr));
	struct vio_mem_region_desc *rd = calloc(FE_MAX_REGIONS, sizeof(*rd));
	int n, i, ret;

	if (mr == NULL || rd == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	n = vio_vnet_mem_regions(mr, FE_MAX_REGIONS);
	if (n < 0 || n > FE_MAX_REGIONS) {
		PORT_LOG(ERR, "%s: DPDK's memory cannot be shared with the backend: %s", fe->name,
			 n < 0 ? "a segment has no fd (use --single-file-segments or --no-huge)"
			       : "too many regions");
		ret = n < 0 ? n : -E2BIG;
		goto out;
	}
	for (i = 0; i < n; i++)
		rd[i] = (struct vio_mem_region_desc){ .fd = mr[i].fd,
						      .mmap_offset = mr[i].offset,
						      .gpa = mr[i].va,
						      .uaddr = mr[i].va,
						      .size = mr[i].len };
	ret = fe->be.ops->set_mem_table(&fe->be, rd, (unsigned int)n);
	if (ret == 0)
		PORT_LOG(INFO, "%s: memory table of %d region%s", fe->name, n, n == 1 ? "" : "s");
out:
	free(mr);
	free(rd);
	return ret;
}

void
port_fe_queues_stop(struct port_fe *fe)
{
	unsigned int v, nb_vrings;
	uint32_t base;

	if (fe == NULL || !fe->started)
		return;
	nb_vrings = 2u * fe->active;
	for (v = 0; v < nb_vrings; v++) {
		if (fe_vq(fe, v) == NULL || !fe_alive(fe))
			continue;
		/* Disabling is refused without F_PROTOCOL_FEATURES; GET_VRING_BASE stops it. */
		(void)fe->be.ops->vring_enable(&fe->be, (uint16_t)v, false);
		if (fe->be.ops->vring_stop(&fe->be, (uint16_t)v, &base) == 0)
			PORT_LOG(DEBUG, "%s: vring %u stopped at %u", fe->name, v, base);
	}
	for (v = 0; v < fe->active; v++) {
		vio_vnet_vq_free(fe->rxq[v]);
		vio_vnet_vq_free(fe->txq[v]);
		fe->rxq[v] = fe->txq[v] = NULL;
	}
	fds_close(fe);
	fe->active = 0;
	fe->started = false;
}

int
port_fe_queues_start(struct port_fe *fe, struct rte_mempool *const *rx_mps, uint16_t nb_qp,
		     int socket_id)
{
	unsigned int v, nb_vrings = 2u * nb_qp;
	int ret;

	if (fe->started)
		return 0;
	if (!fe_alive(fe)) {
		PORT_LOG(ERR, "%s: path=%s: the backend is gone", fe->name, fe->cfg->path);
		return -ENOTCONN;
	}
	fe->started = true; /* from here port_fe_queues_stop() undoes what was done */
	fe->active = nb_qp;
	for (v = 0; v < nb_vrings; v++) {
		char qname[96];
		struct vio_vnet_vq_config vc = {
			.name = qname,
			.features = fe->features,
			.size = fe->cfg->queue_size,
			.rx = !(v & 1),
			.mp = rx_mps[v / 2],
			.socket_id = socket_id,
		};
		struct vio_vnet_vq *vq;

		snprintf(qname, sizeof(qname), "%s/%sq%u", fe->name, v & 1 ? "tx" : "rx", v / 2);
		fe->kickfd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		fe->callfd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fe->kickfd[v] < 0 || fe->callfd[v] < 0) {
			ret = -errno;
			goto err;
		}
		vc.kickfd = fe->kickfd[v];
		vq = vio_vnet_vq_create(&vc);
		if (vq == NULL) {
			ret = -rte_errno;
			goto err;
		}
		if (v & 1)
			fe->txq[v / 2] = vq;
		else
			fe->rxq[v / 2] = vq;
	}
	/* After the queues: the receive rings' mbufs must be in the table. */
	ret = fe_mem_table(fe);
	if (ret < 0)
		goto err;
	for (v = 0; v < nb_vrings; v++) {
		struct vio_backend_vring_config c = {
			.size = fe->cfg->queue_size,
			.addr_set = true,
			.base = 0,
			.kickfd = fe->kickfd[v],
			.callfd = fe->callfd[v],
			.errfd = -1,
		};

		vio_vnet_vq_addrs(fe_vq(fe, v), &c.desc_uaddr, &c.avail_uaddr, &c.used_uaddr);
		ret = fe->be.ops->vring_start(&fe->be, (uint16_t)v, &c);
		if (ret == 0)
			ret = fe->be.ops->vring_enable(&fe->be, (uint16_t)v, true);
		if (ret < 0) {
			PORT_LOG(ERR, "%s: vring %u: the backend refused it: %s", fe->name, v,
				 strerror(-ret));
			goto err;
		}
	}
	PORT_LOG(INFO, "%s: %u queue pair%s of %u entries started", fe->name, nb_qp,
		 nb_qp == 1 ? "" : "s", fe->cfg->queue_size);
	return 0;

err:
	PORT_LOG(ERR, "%s: queues not started: %s", fe->name, strerror(-ret));
	port_fe_queues_stop(fe);
	return ret;
}

void
port_fe_close(struct port_fe *fe)
{
	if (fe == NULL)
		return;
	port_fe_queues_stop(fe);
	fe->be.ops->destroy(&fe->be);
	free(fe);
}

bool
port_fe_link_up(struct port_fe *fe)
{
	return fe != NULL && fe->started && fe_alive(fe);
}

int
port_fe_queue_stats(const struct port_fe *fe, uint16_t qp, bool tx, struct vio_vnet_vq_stats *st)
{
	const struct vio_vnet_vq *vq = tx ? fe->txq[qp] : fe->rxq[qp];

	if (vq == NULL)
		return -ENODEV;
	vio_vnet_vq_stats_get(vq, st);
	return 0;
}
