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

#include <rte_mbuf.h>

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

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct vio_rxq *q = dev->data->rx_queues[i];

		if (q != NULL)
			counters_read(&q->c, &pmd->rx_base[i]);
		vq_read(pmd, i, VIO_PORT_DIR_FROM_GUEST, &pmd->rx_base[i].vq);
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		const struct vio_txq *q = dev->data->tx_queues[i];

		if (q != NULL)
			counters_read(&q->c, &pmd->tx_base[i]);
		vq_read(pmd, i, VIO_PORT_DIR_TO_GUEST, &pmd->tx_base[i].vq);
	}
	return 0;
}

/*
 * Extended statistics, per queue: rx_qN_dropped_nonlinear (linear-buffer=1),
 * tx_qN_no_room, then every counter of vio's engine for the queue's vring,
 * named rx_qN_vio_<counter> / tx_qN_vio_<counter> (vio_vq_stat_name()). The basic
 * per-queue figures (rx_qN_packets, ...) come from ethdev itself.
 */
#define XSTATS_PER_QUEUE (1 + VIO_VQ_NB_STATS)

static unsigned int
xstats_count(const struct rte_eth_dev *dev)
{
	return (dev->data->nb_rx_queues + dev->data->nb_tx_queues) * XSTATS_PER_QUEUE;
}

int
vio_pmd_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
			 unsigned int size)
{
	unsigned int n = xstats_count(dev), k = 0, i;
	uint16_t q;

	if (names == NULL || size < n)
		return (int)n;
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "rx_q%u_dropped_nonlinear", q);
		for (i = 0; i < VIO_VQ_NB_STATS; i++)
			snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "rx_q%u_vio_%s", q,
				 vio_vq_stat_name(i));
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "tx_q%u_no_room", q);
		for (i = 0; i < VIO_VQ_NB_STATS; i++)
			snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "tx_q%u_vio_%s", q,
				 vio_vq_stat_name(i));
	}
	return (int)n;
}

static unsigned int
xstats_queue(struct rte_eth_xstat *xs, unsigned int k, const struct vio_queue_counters *c,
	     const struct vio_queue_base *b, const struct vio_vq_stats *st)
{
	const uint64_t *now = (const uint64_t *)st, *base = (const uint64_t *)&b->vq;
	uint64_t dropped = c != NULL ? atomic_load_explicit(&c->dropped, memory_order_relaxed) : 0;
	unsigned int i;

	xs[k].id = k;
	xs[k].value = since(dropped, b->dropped);
	k++;
	for (i = 0; i < VIO_VQ_NB_STATS; i++, k++) {
		xs[k].id = k;
		xs[k].value = since(now[i], base[i]);
	}
	return k;
}

int
vio_pmd_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	unsigned int count = xstats_count(dev), k = 0;
	struct vio_vq_stats st;
	uint16_t q;

	if (xstats == NULL || n < count)
		return (int)count;
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		const struct vio_rxq *rxq = dev->data->rx_queues[q];

		vq_read(pmd, q, VIO_PORT_DIR_FROM_GUEST, &st);
		k = xstats_queue(xstats, k, rxq != NULL ? &rxq->c : NULL, &pmd->rx_base[q], &st);
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct vio_txq *txq = dev->data->tx_queues[q];

		vq_read(pmd, q, VIO_PORT_DIR_TO_GUEST, &st);
		k = xstats_queue(xstats, k, txq != NULL ? &txq->c : NULL, &pmd->tx_base[q], &st);
	}
	return (int)count;
}

int
vio_pmd_xstats_reset(struct rte_eth_dev *dev)
{
	/* One reset for everything shown: the basic figures and vio's counters. */
	return vio_pmd_stats_reset(dev);
}
