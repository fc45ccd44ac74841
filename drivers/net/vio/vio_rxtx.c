/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The bursts and the statistics.
 *
 * Rx (guest to host) is a dequeue from the port; Tx (host to guest) an
 * enqueue, after which the PMD frees the mbufs it sent (vio copies). A Tx
 * shortfall is what the guest had no room for: tx_burst returns fewer, the
 * application keeps (retries or frees) the rest, and the PMD counts them in
 * oerrors and tx_qN_no_room, as DPDK's net_vhost does.
 */

#include <stdio.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_net.h>

#include "vio_ethdev.h"

static __rte_always_inline void
counter_add(_Atomic uint64_t *c, uint64_t v)
{
	/* One writer (the lcore): a relaxed load and store, no atomic read-modify-write. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

uint16_t
vio_pmd_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct vio_rxq *q = queue;
	uint16_t n = vio_port_dequeue_burst(q->port, q->qp, q->mp, pkts, nb_pkts);
	uint16_t i, kept = 0;
	uint64_t bytes = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		/* linear-buffer=1: the application takes one segment per packet. */
		if (unlikely(q->linear && m->nb_segs > 1)) {
			rte_pktmbuf_free(m);
			continue;
		}
		m->port = q->port_id;
		bytes += m->pkt_len;
		pkts[kept++] = m;
	}
	if (kept != 0) {
		counter_add(&q->c.packets, kept);
		counter_add(&q->c.bytes, bytes);
	}
	if (unlikely(kept != n))
		counter_add(&q->c.dropped, n - kept);
	return kept;
}

uint16_t
vio_pmd_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct vio_txq *q = queue;
	uint16_t sent = 0, n, i;
	uint64_t bytes = 0;

	/* The engine takes at most VIO_MAX_BURST a call: go on while it takes all it may. */
	do {
		n = vio_port_enqueue_burst(q->port, q->qp, pkts + sent, nb_pkts - sent);
		sent += n;
	} while (n == VIO_MAX_BURST && sent < nb_pkts);
	for (i = 0; i < sent; i++)
		bytes += pkts[i]->pkt_len;
	if (sent != 0) {
		rte_pktmbuf_free_bulk(pkts, sent);
		counter_add(&q->c.packets, sent);
		counter_add(&q->c.bytes, bytes);
	}
	if (unlikely(sent != nb_pkts))
		counter_add(&q->c.dropped, nb_pkts - sent);
	return sent;
}

/*
 * A frontend port (path=): Rx takes what the device sent, Tx posts the mbufs
 * themselves (no copy); the port frees them once the device has used them.
 */
uint16_t
vio_pmd_fe_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct vio_rxq *q = queue;
	uint16_t n = vio_port_recv(q->port, q->qp, pkts, nb_pkts), i;
	uint64_t bytes = 0;

	for (i = 0; i < n; i++) {
		pkts[i]->port = q->port_id;
		bytes += pkts[i]->pkt_len;
	}
	if (n != 0) {
		counter_add(&q->c.packets, n);
		counter_add(&q->c.bytes, bytes);
	}
	return n;
}

uint16_t
vio_pmd_fe_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct vio_txq *q = queue;
	uint16_t sent = vio_port_send(q->port, q->qp, pkts, nb_pkts), i;
	uint64_t bytes = 0;

	/* The mbufs sent are the port's now, but none is freed before the next burst. */
	for (i = 0; i < sent; i++)
		bytes += pkts[i]->pkt_len;
	if (sent != 0) {
		counter_add(&q->c.packets, sent);
		counter_add(&q->c.bytes, bytes);
	}
	if (unlikely(sent != nb_pkts))
		counter_add(&q->c.dropped, nb_pkts - sent);
	return sent;
}

/*
 * rte_eth_tx_prepare(), both roles: the pseudo-header sum in the L4 checksum
 * field of every mbuf that asks for a checksum or TSO offload, which is what
 * both sides of virtio expect there (virtio 1.2, 5.1.6.2: NEEDS_CSUM) and
 * what an application that calls this before the burst (testpmd's csum
 * engine) leaves to the PMD. Not the IPv4 header checksum: vio computes it
 * (backend ports) or does not offer it (frontend ports), so it is not zeroed.
 * On a frontend port, a chain of more than VIO_VNET_TX_SEGS_MAX segments
 * (tx_desc_lim.nb_seg_max) is refused with EINVAL: no ring would take it.
 */
uint16_t
vio_pmd_tx_prepare(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	const struct vio_txq *q = queue;
	uint16_t i;

	for (i = 0; i < nb_pkts; i++) {
		struct rte_mbuf *m = pkts[i];
		int ret;

		if (unlikely(q->frontend && m->nb_segs > VIO_VNET_TX_SEGS_MAX)) {
			rte_errno = EINVAL;
			break;
		}
		if (!(m->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)))
			continue;
		ret = rte_net_intel_cksum_flags_prepare(m, m->ol_flags & ~RTE_MBUF_F_TX_IP_CKSUM);
		if (unlikely(ret < 0)) {
			rte_errno = -ret;
			break;
		}
	}
	return i;
}

/* ------------------------------------------------------------------------ */
/* Statistics (application control thread)                                  */
/* ------------------------------------------------------------------------ */

/* Counters since the last reset; a counter below its base restarted (a new connection). */
static uint64_t
since(uint64_t now, uint64_t base)
{
	return now >= base ? now - base : now;
}

static void
counters_read(const struct vio_queue_counters *c, struct vio_queue_base *v)
{
	v->packets = atomic_load_explicit(&c->packets, memory_order_relaxed);
	v->bytes = atomic_load_explicit(&c->bytes, memory_order_relaxed);
	v->dropped = atomic_load_explicit(&c->dropped, memory_order_relaxed);
}

/* vio's counters of one queue, zero without a connection. */
static void
vq_read(const struct vio_pmd *pmd, uint16_t qp, enum vio_port_dir dir, struct vio_vq_stats *st)
{
	if (vio_port_queue_stats_get(pmd->port, qp, dir, st) < 0)
		memset(st, 0, sizeof(*st));
}

/* A frontend port's counters of one queue, zero while its queues are stopped. */
static void
vnet_read(const struct vio_pmd *pmd, uint16_t qp, bool tx, struct vio_vnet_vq_stats *st)
{
	if (vio_port_frontend_stats_get(pmd->port, qp, tx, st) < 0)
		memset(st, 0, sizeof(*st));
}

/* The counters of struct vio_vnet_vq_stats, in order, as xstats name them. */
static const char *const vnet_stat_names[] = {
	"packets", "bytes",           "kicks",   "no_room", "mbuf_alloc_failed", "err_used",
	"csum_sw", "offload_refused", "err_hdr", "batched", "indirect",          "seg_refused",
};
#define VNET_NB_STATS RTE_DIM(vnet_stat_names)
_Static_assert(sizeof(struct vio_vnet_vq_stats) == VNET_NB_STATS * sizeof(uint64_t),
	       "vnet_stat_names lists every counter of struct vio_vnet_vq_stats");

int
vio_pmd_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *stats)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	struct vio_queue_base v;
	struct vio_vq_stats st;
	uint64_t nombuf = 0;
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct vio_rxq *q = dev->data->rx_queues[i];
		const struct vio_queue_base *b = &pmd->rx_base[i];

		if (q == NULL)
			continue;
		counters_read(&q->c, &v);
		stats->ipackets += since(v.packets, b->packets);
		stats->ibytes += since(v.bytes, b->bytes);
		stats->ierrors += since(v.dropped, b->dropped);
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_ipackets[i] = since(v.packets, b->packets);
			stats->q_ibytes[i] = since(v.bytes, b->bytes);
			stats->q_errors[i] = since(v.dropped, b->dropped);
		}
		if (pmd->frontend) {
			struct vio_vnet_vq_stats vs;

			vnet_read(pmd, i, false, &vs);
			nombuf += since(vs.mbuf_alloc_failed, b->vnet.mbuf_alloc_failed);
			continue;
		}
		vq_read(pmd, i, VIO_PORT_DIR_FROM_GUEST, &st);
		nombuf += since(st.mbuf_alloc_failed, b->vq.mbuf_alloc_failed);
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		const struct vio_txq *q = dev->data->tx_queues[i];
		const struct vio_queue_base *b = &pmd->tx_base[i];

		if (q == NULL)
			continue;
		counters_read(&q->c, &v);
		stats->opackets += since(v.packets, b->packets);
		stats->obytes += since(v.bytes, b->bytes);
		stats->oerrors += since(v.dropped, b->dropped);
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_opackets[i] = since(v.packets, b->packets);
			stats->q_obytes[i] = since(v.bytes, b->bytes);
		}
	}
	/* Bursts the mempool cut short (vio counts bursts, not mbufs). */
	stats->rx_nombuf = nombuf;
	return 0;
}

int
vio_pmd_stats_reset(struct rte_eth_dev *dev)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	uint16_t i;

	pmd->connections_base = vio_port_connections(pmd->port);
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct vio_rxq *q = dev->data->rx_queues[i];

		if (q != NULL)
			counters_read(&q->c, &pmd->rx_base[i]);
		vq_read(pmd, i, VIO_PORT_DIR_FROM_GUEST, &pmd->rx_base[i].vq);
		vnet_read(pmd, i, false, &pmd->rx_base[i].vnet);
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		const struct vio_txq *q = dev->data->tx_queues[i];

		if (q != NULL)
			counters_read(&q->c, &pmd->tx_base[i]);
		vq_read(pmd, i, VIO_PORT_DIR_TO_GUEST, &pmd->tx_base[i].vq);
		vnet_read(pmd, i, true, &pmd->tx_base[i].vnet);
	}
	return 0;
}

/*
 * Extended statistics: first "connections", how many connections the port
 * has had (frontends connected to a backend port, devices a frontend port
 * reached); then per queue: rx_qN_dropped_nonlinear (linear-buffer=1),
 * tx_qN_no_room, then every counter of vio's engine for the queue's vring,
 * named rx_qN_vio_<counter> / tx_qN_vio_<counter> (vio_vq_stat_name()). The basic
 * per-queue figures (rx_qN_packets, ...) come from ethdev itself. vio's
 * counters of a backend port add up over every connection; all of them go
 * back to 0 with xstats_reset (or stats_reset) only.
 */
#define XSTATS_PER_QUEUE (1 + VIO_VQ_NB_STATS)

/*
 * A frontend port (path=) shows, per queue, the PMD's own drop counter and
 * the counters of its lib/vnet queue: rx_qN_vio_<counter>, tx_qN_vio_<counter>.
 */
#define XSTATS_PER_QUEUE_FE (1 + VNET_NB_STATS)

static unsigned int
xstats_count(const struct rte_eth_dev *dev)
{
	const struct vio_pmd *pmd = dev->data->dev_private;

	return 1 + (dev->data->nb_rx_queues + dev->data->nb_tx_queues) *
			   (pmd->frontend ? XSTATS_PER_QUEUE_FE : XSTATS_PER_QUEUE);
}

static const char *
stat_name(const struct vio_pmd *pmd, unsigned int i)
{
	return pmd->frontend ? vnet_stat_names[i] : vio_vq_stat_name(i);
}

int
vio_pmd_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
			 unsigned int size)
{
	const struct vio_pmd *pmd = dev->data->dev_private;
	unsigned int n = xstats_count(dev), k = 0, i;
	unsigned int per = pmd->frontend ? VNET_NB_STATS : VIO_VQ_NB_STATS;
	uint16_t q;

	if (names == NULL || size < n)
		return (int)n;
	snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "connections");
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "rx_q%u_dropped_nonlinear", q);
		for (i = 0; i < per; i++)
			snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "rx_q%u_vio_%s", q,
				 stat_name(pmd, i));
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "tx_q%u_no_room", q);
		for (i = 0; i < per; i++)
			snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "tx_q%u_vio_%s", q,
				 stat_name(pmd, i));
	}
	return (int)n;
}

/* One queue's xstats: the PMD's drop counter, then @p nb counters @p now against @p base. */
static unsigned int
xstats_queue(struct rte_eth_xstat *xs, unsigned int k, const struct vio_queue_counters *c,
	     const struct vio_queue_base *b, const uint64_t *now, const uint64_t *base,
	     unsigned int nb)
{
	uint64_t dropped = c != NULL ? atomic_load_explicit(&c->dropped, memory_order_relaxed) : 0;
	unsigned int i;

	xs[k].id = k;
	xs[k].value = since(dropped, b->dropped);
	k++;
	for (i = 0; i < nb; i++, k++) {
		xs[k].id = k;
		xs[k].value = since(now[i], base[i]);
	}
	return k;
}

/* The xstats of Rx queue @p q (@p tx false) or Tx queue @p q, from slot @p k on. */
static unsigned int
xstats_of(const struct vio_pmd *pmd, uint16_t q, bool tx, const struct vio_queue_counters *c,
	  struct rte_eth_xstat *xs, unsigned int k)
{
	const struct vio_queue_base *b = tx ? &pmd->tx_base[q] : &pmd->rx_base[q];
	struct vio_vnet_vq_stats vs;
	struct vio_vq_stats st;

	if (pmd->frontend) {
		vnet_read(pmd, q, tx, &vs);
		return xstats_queue(xs, k, c, b, (const uint64_t *)&vs, (const uint64_t *)&b->vnet,
				    VNET_NB_STATS);
	}
	vq_read(pmd, q, tx ? VIO_PORT_DIR_TO_GUEST : VIO_PORT_DIR_FROM_GUEST, &st);
	return xstats_queue(xs, k, c, b, (const uint64_t *)&st, (const uint64_t *)&b->vq,
			    VIO_VQ_NB_STATS);
}

int
vio_pmd_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n)
{
	const struct vio_pmd *pmd = dev->data->dev_private;
	unsigned int count = xstats_count(dev), k = 0;
	uint16_t q;

	if (xstats == NULL || n < count)
		return (int)count;
	xstats[k].id = k;
	xstats[k].value = since(vio_port_connections(pmd->port), pmd->connections_base);
	k++;
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		const struct vio_rxq *rxq = dev->data->rx_queues[q];

		k = xstats_of(pmd, q, false, rxq != NULL ? &rxq->c : NULL, xstats, k);
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct vio_txq *txq = dev->data->tx_queues[q];

		k = xstats_of(pmd, q, true, txq != NULL ? &txq->c : NULL, xstats, k);
	}
	return (int)count;
}

int
vio_pmd_xstats_reset(struct rte_eth_dev *dev)
{
	/* One reset for everything shown: the basic figures and vio's counters. */
	return vio_pmd_stats_reset(dev);
}
