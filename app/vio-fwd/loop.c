/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The forwarding loop (the data path). One template, stream_poll(), with the
 * mode a constant, instantiated once per mode; an lcore polls its streams in
 * turn until the stop flag is set. Nothing here allocates (but mbufs from the
 * pool), locks, logs or makes a system call.
 *
 * Cycles per packet, as doc/app.md explains: the TSC is read at the start of
 * every poll of a stream and again once its packets were handed to the tx
 * queue (or freed); the difference is added to busy_cycles only when the poll
 * moved packets (received at least one; txonly: had at least one accepted),
 * and the packets it moved to busy_pkts. Empty polls cost cycles too, but
 * they say how idle the lcore is, not what a packet costs.
 */

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "fwd.h"

/* Packets ahead of the one being rewritten whose headers are prefetched (as DPDK's examples do). */
#define PREFETCH_AHEAD 3

/* Set by a signal handler or the main lcore, polled by every forwarding lcore. */
static int stop_flag;

static inline bool
stop_requested(void)
{
	return __atomic_load_n(&stop_flag, __ATOMIC_RELAXED) != 0;
}

bool
fwd_stop_requested(void)
{
	return stop_requested();
}

/* Async-signal-safe: one lock-free atomic store. */
void
fwd_request_stop(void)
{
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
}

/*
 * mac and macswap: rewrite the Ethernet addresses of pkts[0..nb) in place and
 * keep the frames that hold an Ethernet header; return how many are kept (at
 * the front of pkts), the bytes received in *rx_bytes and those kept in
 * *tx_bytes. A shorter frame is freed and
 * counted as bad: writing 12 bytes into a 1-byte external buffer would
 * overrun it.
 */
static __rte_always_inline uint16_t
rewrite_macs(struct fwd_stream *fs, struct rte_mbuf **pkts, uint16_t nb, const enum fwd_mode mode,
	     uint64_t *rx_bytes, uint64_t *tx_bytes)
{
	struct rte_mbuf *runts[FWD_MAX_BURST];
	uint16_t i, kept = 0, nb_runts = 0;
	uint64_t rx = 0, tx = 0;

	for (i = 0; i < nb && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eth;

		if (i + PREFETCH_AHEAD < nb)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		rx += rte_pktmbuf_pkt_len(m);
		if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) {
			runts[nb_runts++] = m;
			continue;
		}
		eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		if (mode == FWD_MODE_MAC) {
			rte_ether_addr_copy(&fs->tx_dst, &eth->dst_addr);
			rte_ether_addr_copy(&fs->tx_src, &eth->src_addr);
		} else {
			struct rte_ether_addr tmp;

			rte_ether_addr_copy(&eth->dst_addr, &tmp);
			rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
			rte_ether_addr_copy(&tmp, &eth->src_addr);
		}
		tx += rte_pktmbuf_pkt_len(m);
		pkts[kept++] = m;
	}
	if (unlikely(nb_runts > 0)) {
		rte_pktmbuf_free_bulk(runts, nb_runts);
		FWD_STAT_ADD(&fs->stats, bad, nb_runts);
	}
	*rx_bytes = rx;
	*tx_bytes = tx;
	return kept;
}

/* icmpecho: turn requests into replies in place, free the rest; as rewrite_macs(). */
static __rte_always_inline uint16_t
echo_replies(struct fwd_stream *fs, struct rte_mbuf **pkts, uint16_t nb, uint64_t *rx_bytes,
	     uint64_t *tx_bytes)
{
	struct rte_mbuf *rest[FWD_MAX_BURST];
	uint16_t i, kept = 0, nb_rest = 0;
	uint64_t rx = 0, tx = 0;

	for (i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];

		rx += rte_pktmbuf_pkt_len(m);
		if (fwd_icmpecho_packet(fs, m)) {
			tx += rte_pktmbuf_pkt_len(m);
			pkts[kept++] = m;
		} else {
			rest[nb_rest++] = m;
		}
	}
	if (nb_rest > 0)
		rte_pktmbuf_free_bulk(rest, nb_rest);
	*rx_bytes = rx;
	*tx_bytes = tx;
	return kept;
}

static __rte_always_inline uint64_t
sum_bytes(struct rte_mbuf *const *pkts, uint16_t nb)
{
	uint64_t b = 0;
	uint16_t i;

	for (i = 0; i < nb; i++)
		b += rte_pktmbuf_pkt_len(pkts[i]);
	return b;
}

/* txonly: a burst of copies of the stream's frame; 0 when the pool ran dry. */
static __rte_always_inline uint16_t
make_frames(struct fwd_stream *fs, struct rte_mbuf **pkts)
{
	const uint16_t len = fs->tx_len;
	uint16_t i;

	if (unlikely(rte_pktmbuf_alloc_bulk(fs->pool, pkts, fs->burst) != 0)) {
		FWD_STAT_ADD(&fs->stats, tx_nombuf, 1);
		return 0;
	}
	for (i = 0; i < fs->burst; i++) {
		struct rte_mbuf *m = pkts[i];

		/* The whole frame, payload too: its UDP checksum covers it. */
		rte_memcpy(rte_pktmbuf_mtod(m, void *), fs->tx_frame, len);
		m->data_len = len;
		m->pkt_len = len;
	}
	return fs->burst;
}

/*
 * --offload: what the rx port left unfinished, the tx port is asked to
 * finish (the ethdev offload contract): a partial checksum becomes a Tx
 * checksum request, a GSO packet (RX_LRO, tso_segsz) a TSO request. The rx
 * port set packet_type and l2/l3/l4_len, and left the pseudo-header sum in
 * the checksum field, which is what the Tx requests expect.
 */
static __rte_always_inline void
carry_offloads(struct rte_mbuf **pkts, uint16_t nb)
{
	uint16_t i;

	for (i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t ol = m->ol_flags, tx;
		uint32_t l4 = m->packet_type & RTE_PTYPE_L4_MASK;

		if (likely((ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_NONE &&
			   !(ol & RTE_MBUF_F_RX_LRO)))
			continue;
		tx = RTE_ETH_IS_IPV6_HDR(m->packet_type) ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4;
		tx |= l4 == RTE_PTYPE_L4_UDP ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM;
		if (ol & RTE_MBUF_F_RX_LRO)
			tx |= RTE_MBUF_F_TX_TCP_SEG;
		m->ol_flags = tx;
	}
}

/* One poll of one stream; @p mode is a constant in every instance. */
static __rte_always_inline void
stream_poll(struct fwd_stream *fs, const enum fwd_mode mode)
{
	struct rte_mbuf *pkts[FWD_MAX_BURST];
	struct fwd_stream_stats *st = &fs->stats;
	uint64_t start = rte_rdtsc();
	uint64_t rx_bytes = 0, tx_bytes = 0;
	uint16_t nb_rx = 0, nb_fwd, nb_tx, moved;

	if (mode == FWD_MODE_TXONLY) {
		nb_fwd = make_frames(fs, pkts);
		if (nb_fwd == 0)
			return;
		tx_bytes = (uint64_t)nb_fwd * fs->tx_len;
	} else {
		nb_rx = rte_eth_rx_burst(fs->rx_port, fs->rx_queue, pkts, fs->burst);
		if (nb_rx == 0)
			return;
		switch (mode) {
		case FWD_MODE_MAC:
		case FWD_MODE_MACSWAP:
			nb_fwd = rewrite_macs(fs, pkts, nb_rx, mode, &rx_bytes, &tx_bytes);
			break;
		case FWD_MODE_ICMPECHO:
			nb_fwd = echo_replies(fs, pkts, nb_rx, &rx_bytes, &tx_bytes);
			break;
		case FWD_MODE_RXONLY:
			rx_bytes = sum_bytes(pkts, nb_rx);
			rte_pktmbuf_free_bulk(pkts, nb_rx);
			nb_fwd = 0;
			break;
		default: /* io */
			rx_bytes = sum_bytes(pkts, nb_rx);
			tx_bytes = rx_bytes;
			nb_fwd = nb_rx;
			break;
		}
	}

	nb_tx = 0;
	if (mode != FWD_MODE_TXONLY && mode != FWD_MODE_ICMPECHO && fs->offload)
		carry_offloads(pkts, nb_fwd);
	if (nb_fwd > 0) {
		nb_tx = rte_eth_tx_burst(fs->tx_port, fs->tx_queue, pkts, nb_fwd);
		if (unlikely(nb_tx < nb_fwd)) {
			/* Still ours: the tx queue took only the first nb_tx. */
			tx_bytes -= sum_bytes(&pkts[nb_tx], nb_fwd - nb_tx);
			rte_pktmbuf_free_bulk(&pkts[nb_tx], nb_fwd - nb_tx);
			FWD_STAT_ADD(st, tx_dropped, nb_fwd - nb_tx);
		}
	}

	moved = mode == FWD_MODE_TXONLY ? nb_tx : nb_rx;
	if (moved > 0) {
		FWD_STAT_ADD(st, busy_cycles, rte_rdtsc() - start);
		FWD_STAT_ADD(st, busy_pkts, moved);
	}
	if (nb_rx > 0) {
		FWD_STAT_ADD(st, rx_pkts, nb_rx);
		FWD_STAT_ADD(st, rx_bytes, rx_bytes);
	}
	if (nb_tx > 0) {
		FWD_STAT_ADD(st, tx_pkts, nb_tx);
		FWD_STAT_ADD(st, tx_bytes, tx_bytes);
	}
}

/* One loop per mode, each with its stream_poll() inlined. */
#define FWD_LOOP(name, mode)                                               \
	static __rte_noinline void loop_##name(const struct fwd_lcore *lc) \
	{                                                                  \
		unsigned int i;                                            \
                                                                           \
		while (!stop_requested())                                  \
			for (i = 0; i < lc->nb_streams; i++)               \
				stream_poll(lc->streams[i], mode);         \
	}

FWD_LOOP(io, FWD_MODE_IO)
FWD_LOOP(mac, FWD_MODE_MAC)
FWD_LOOP(macswap, FWD_MODE_MACSWAP)
FWD_LOOP(rxonly, FWD_MODE_RXONLY)
FWD_LOOP(txonly, FWD_MODE_TXONLY)
FWD_LOOP(icmpecho, FWD_MODE_ICMPECHO)

int
fwd_lcore_main(void *arg)
{
	const struct fwd_lcore *lc = arg;

	switch (lc->mode) {
	case FWD_MODE_IO:
		loop_io(lc);
		break;
	case FWD_MODE_MAC:
		loop_mac(lc);
		break;
	case FWD_MODE_MACSWAP:
		loop_macswap(lc);
		break;
	case FWD_MODE_RXONLY:
		loop_rxonly(lc);
		break;
	case FWD_MODE_TXONLY:
		loop_txonly(lc);
		break;
	case FWD_MODE_ICMPECHO:
		loop_icmpecho(lc);
		break;
	default:
		return -1;
	}
	return 0;
}
