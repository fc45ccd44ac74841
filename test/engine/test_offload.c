/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The offload contract of the engine (doc/engine.md, "Offloads"), on real
 * Ethernet/IP/TCP/UDP packets built here:
 * - guest to host: NEEDS_CSUM for TCP and UDP over IPv4 and IPv6, with the
 *   checksum's start in the first or a later descriptor, DATA_VALID, TCP GSO
 *   over IPv4 and IPv6 (and ECN), each with and without the consumer's
 *   receive offloads (VIO_VQ_OFFLOAD_RX_CSUM, _RX_LRO): the mbuf carries a
 *   checksum that verifies, or the flags and lengths that let a transmit
 *   side finish it (and then a guest without GUEST_CSUM gets it finished);
 * - the GSO types vio never offers, gso_size 0, GSO without NEEDS_CSUM or
 *   not negotiated, a checksum field outside the packet: the queue breaks;
 *   GSO headers at odds with the packet: that packet is dropped and counted;
 * - host to guest: checksum and TSO requests towards a guest that accepts
 *   them (net header) and one that does not (software; all or none).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vio_test.h"
#include "vio_test_guest.h"
#include "vio_virtio.h"

#define HDR_LEN 12 /* VERSION_1: struct vio_net_hdr_mrg */
#define F_BASE  VIO_BIT(VIO_F_VERSION_1)
#define F_HOST                                                             \
	(F_BASE | VIO_BIT(VIO_NET_F_CSUM) | VIO_BIT(VIO_NET_F_HOST_TSO4) | \
	 VIO_BIT(VIO_NET_F_HOST_TSO6))
#define F_GUEST                                                                   \
	(F_BASE | VIO_BIT(VIO_NET_F_GUEST_CSUM) | VIO_BIT(VIO_NET_F_GUEST_TSO4) | \
	 VIO_BIT(VIO_NET_F_GUEST_TSO6))
#define L2_LEN  14
#define MSS     1448
#define PKT_MAX (64 * 1024)
#define RX_BUF  2048

static struct rte_mempool *pool;

/* What a test packet is. */
struct pkt_spec {
	bool v6;
	bool udp;
	uint32_t payload;
	uint8_t tcp_flags;
};

static uint8_t
pattern(uint32_t off)
{
	return (uint8_t)(off * 7 + (off >> 8) + 3);
}

static uint32_t
l3_len(const struct pkt_spec *s)
{
	return s->v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
}

static uint32_t
l4_len(const struct pkt_spec *s)
{
	return s->udp ? sizeof(struct rte_udp_hdr) : sizeof(struct rte_tcp_hdr);
}

static uint32_t
csum_off(const struct pkt_spec *s)
{
	return s->udp ? offsetof(struct rte_udp_hdr, dgram_cksum)
		      : offsetof(struct rte_tcp_hdr, cksum);
}

/*
 * Build the packet at @p p as a guest's stack leaves a packet with a partial
 * checksum: a valid IPv4 header checksum, the pseudo-header's sum in the
 * L4 checksum field (@p phdr_ol: the ethdev flags rte_ipv4_phdr_cksum takes).
 * Returns its length.
 */
static uint32_t
build_pkt(uint8_t *p, const struct pkt_spec *s, uint64_t phdr_ol)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	uint8_t *l3 = p + L2_LEN, *l4 = l3 + l3_len(s);
	uint32_t l4_bytes = l4_len(s) + s->payload, i;
	uint16_t phdr;

	memset(p, 0, L2_LEN + l3_len(s) + l4_len(s));
	memset(eth->dst_addr.addr_bytes, 0x02, RTE_ETHER_ADDR_LEN);
	memset(eth->src_addr.addr_bytes, 0x04, RTE_ETHER_ADDR_LEN);
	if (s->v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)l4_bytes);
		ip->proto = s->udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip->hop_limits = 64;
		for (i = 0; i < 16; i++) {
			ip->src_addr[i] = (uint8_t)(0x20 + i);
			ip->dst_addr[i] = (uint8_t)(0x40 + i);
		}
		phdr = rte_ipv6_phdr_cksum(ip, phdr_ol);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3_len(s) + l4_bytes));
		ip->packet_id = rte_cpu_to_be_16(1000);
		ip->time_to_live = 64;
		ip->next_proto_id = s->udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(VIO_IPV4(192, 0, 2, 1));
		ip->dst_addr = rte_cpu_to_be_32(VIO_IPV4(192, 0, 2, 2));
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		phdr = rte_ipv4_phdr_cksum(ip, phdr_ol);
	}
	if (s->udp) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;

		u->src_port = rte_cpu_to_be_16(5000);
		u->dst_port = rte_cpu_to_be_16(5001);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)l4_bytes);
		u->dgram_cksum = phdr;
	} else {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;

		t->src_port = rte_cpu_to_be_16(80);
		t->dst_port = rte_cpu_to_be_16(40000);
		t->sent_seq = rte_cpu_to_be_32(0x10000000);
		t->recv_ack = rte_cpu_to_be_32(77);
		t->data_off = (sizeof(*t) / 4) << 4;
		t->tcp_flags = s->tcp_flags != 0 ? s->tcp_flags : RTE_TCP_ACK_FLAG;
		t->rx_win = rte_cpu_to_be_16(65535);
		t->cksum = phdr;
	}
	for (i = 0; i < s->payload; i++)
		l4[l4_len(s) + i] = pattern(i);
	return L2_LEN + l3_len(s) + l4_bytes;
}

/* The L4 checksum of the packet at @p p (contiguous) verifies. */
static int
verify_l4(const uint8_t *p, bool v6)
{
	const uint8_t *l3 = p + L2_LEN;

	if (v6)
		return rte_ipv6_udptcp_cksum_verify((const struct rte_ipv6_hdr *)l3,
						    l3 + sizeof(struct rte_ipv6_hdr));
	return rte_ipv4_udptcp_cksum_verify((const struct rte_ipv4_hdr *)l3,
					    l3 + sizeof(struct rte_ipv4_hdr));
}

/* The same for a (possibly chained) mbuf. */
static int
verify_mbuf(const struct rte_mbuf *m, bool v6)
{
	uint8_t buf[60];
	const void *l3 = rte_pktmbuf_read(m, L2_LEN, v6 ? 40 : 20, buf);

	T_ASSERT(l3 != NULL, "read the IP header");
	if (v6)
		return rte_ipv6_udptcp_cksum_mbuf_verify(m, l3, L2_LEN + 40);
	T_EQ(rte_ipv4_cksum(l3), 0); /* the header checksum verifies too */
	return rte_ipv4_udptcp_cksum_mbuf_verify(m, l3, L2_LEN + 20);
}

/* One guest, its transmit and receive queues in the same memory. */
struct env {
	struct tg_mem g;
	struct tg_vq tx; /* guest to host: dequeue */
	struct tg_vq rx; /* host to guest: enqueue */
	unsigned int avail_before;
};

static int
env_init(struct env *e, bool packed, uint64_t tx_features, uint64_t rx_features, uint32_t offloads)
{
	uint64_t ring = packed ? VIO_BIT(VIO_F_RING_PACKED) : 0;

	e->avail_before = rte_mempool_avail_count(pool);
	T_EQ(tg_mem_init(&e->g, 8 << 20, 1), 0);
	T_EQ(tg_vq_init(&e->tx, &e->g, 256, tx_features | ring, 0), 0);
	T_EQ(tg_vq_init(&e->rx, &e->g, 256, rx_features | ring, 0), 0);
	T_EQ(vio_vq_offloads_set(e->tx.vq, offloads), 0);
	return 0;
}

/* Tear down and check that no mbuf leaked. */
static int
env_fini(struct env *e)
{
	tg_vq_fini(&e->rx);
	tg_vq_fini(&e->tx);
	tg_mem_fini(&e->g);
	T_EQ(rte_mempool_avail_count(pool), e->avail_before);
	return 0;
}

/*
 * Post a packet for the engine to dequeue: net header @p h, then the packet;
 * @p split_at > 0 puts the first split_at packet bytes with the header in
 * one descriptor and the rest in a second.
 */
static int
guest_send(struct env *e, const struct vio_net_hdr *h, const struct pkt_spec *s, uint64_t phdr_ol,
	   uint32_t split_at)
{
	uint64_t gpa = tg_alloc(&e->g, HDR_LEN + PKT_MAX, 64);
	uint8_t *p = tg_ptr(&e->g, gpa);
	struct vio_ring_buf b[2];
	uint32_t len;

	memset(p, 0, HDR_LEN);
	memcpy(p, h, sizeof(*h));
	len = build_pkt(p + HDR_LEN, s, phdr_ol);
	b[0] = (struct vio_ring_buf){ gpa, HDR_LEN + (split_at ? split_at : len), 0 };
	b[1] = (struct vio_ring_buf){ gpa + HDR_LEN + split_at, len - split_at, 0 };
	T_ASSERT(tg_vq_post(&e->tx, b, split_at ? 2 : 1, false) >= 0, "post");
	tg_vq_publish(&e->tx);
	return (int)len;
}

static struct vio_net_hdr
partial_hdr(const struct pkt_spec *s)
{
	struct vio_net_hdr h = { 0 };

	h.flags = VIO_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = (uint16_t)(L2_LEN + l3_len(s));
	h.csum_offset = (uint16_t)csum_off(s);
	return h;
}

/* Post @p n receive buffers of RX_BUF bytes; their addresses by id in @p gpa. */
static int
guest_post_rx(struct env *e, unsigned int n, uint64_t *gpa)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t a = tg_alloc(&e->g, RX_BUF, 64);
		struct vio_ring_buf b = { a, RX_BUF, 1 };
		int id = tg_vq_post(&e->rx, &b, 1, false);

		T_ASSERT(id >= 0 && id < 256, "post rx");
		gpa[id] = a;
	}
	tg_vq_publish(&e->rx);
	return 0;
}

/* A received packet in the guest: its net header and bytes. */
static int
guest_recv(struct env *e, const uint64_t *gpa, struct vio_net_hdr *h, const uint8_t **pkt,
	   uint32_t *len)
{
	uint16_t id;
	uint32_t used;

	T_EQ(tg_vq_reap(&e->rx, &id, &used), 0);
	T_ASSERT(used > HDR_LEN, "used length %u", used);
	memcpy(h, tg_ptr(&e->g, gpa[id]), sizeof(*h));
	*pkt = (const uint8_t *)tg_ptr(&e->g, gpa[id]) + HDR_LEN;
	*len = used - HDR_LEN;
	return 0;
}

/*
 * NEEDS_CSUM, one packet: without RX_CSUM the mbuf's checksum verifies; with
 * it the mbuf says where the checksum is, and the ethdev transmit flags made
 * from that finish it: in software towards a guest without GUEST_CSUM, in
 * the net header towards one with it.
 */
static int
run_partial(bool packed, bool v6, bool udp, uint32_t split_at, bool rx_csum)
{
	const struct pkt_spec s = { .v6 = v6, .udp = udp, .payload = 1000 };
	struct vio_net_hdr h = partial_hdr(&s), gh;
	uint32_t ptype_l3 = v6 ? RTE_PTYPE_L3_IPV6 : RTE_PTYPE_L3_IPV4;
	uint32_t ptype_l4 = udp ? RTE_PTYPE_L4_UDP : RTE_PTYPE_L4_TCP;
	struct rte_mbuf *m;
	uint64_t gpa[256];
	const uint8_t *pkt;
	uint32_t len;
	struct env e;
	int plen;

	/* The receiving guest has no GUEST_CSUM unless rx_csum: both transmit paths run. */
	T_EQ(env_init(&e, packed, F_HOST, rx_csum ? F_GUEST : F_BASE,
		      rx_csum ? VIO_VQ_OFFLOAD_RX_CSUM : 0),
	     0);
	plen = guest_send(&e, &h, &s, 0, split_at);
	T_EQ(vio_vq_dequeue_burst(e.tx.vq, pool, &m, 1), 1);
	T_EQ(m->pkt_len, (uint32_t)plen);
	if (rx_csum) { /* what a transmit side needs to finish it */
		T_EQ(m->l2_len, L2_LEN);
		T_EQ(m->l3_len, l3_len(&s));
		T_EQ(m->l4_len, l4_len(&s));
		T_EQ(m->packet_type & RTE_PTYPE_L4_MASK, ptype_l4);
		T_EQ(m->packet_type & RTE_PTYPE_L3_MASK, ptype_l3);
	}
	if (!rx_csum) {
		T_EQ(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, 0);
		T_EQ(verify_mbuf(m, v6), 0);
		T_EQ(tg_vq_stats(&e.tx).csum_sw, 1);
		/* Forwarded as it is, towards a guest without GUEST_CSUM: it stays right. */
	} else {
		T_EQ(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_NONE);
		T_ASSERT(verify_mbuf(m, v6) != 0, "left partial");
		T_EQ(tg_vq_stats(&e.tx).csum_sw, 0);
		/* What a forwarding application does with the flags: ask the transmit side. */
		m->ol_flags = (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) |
			      (udp ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM);
	}
	T_EQ(guest_post_rx(&e, 1, gpa), 0);
	T_EQ(vio_vq_enqueue_burst(e.rx.vq, &m, 1), 1);
	rte_pktmbuf_free(m);
	T_EQ(guest_recv(&e, gpa, &gh, &pkt, &len), 0);
	T_EQ(len, (uint32_t)plen);
	if (rx_csum) {
		/* The receiving guest takes it partial: the header says where to finish. */
		T_EQ(gh.flags, VIO_NET_HDR_F_NEEDS_CSUM);
		T_EQ(gh.csum_start, h.csum_start);
		T_EQ(gh.csum_offset, h.csum_offset);
	} else {
		T_EQ(gh.flags, 0);
		T_EQ(verify_l4(pkt, v6), 0);
	}
	T_ASSERT(!vio_vq_is_broken(e.tx.vq) && !vio_vq_is_broken(e.rx.vq), "not broken");
	return env_fini(&e);
}

/* The same packet, finished by the transmit side in software: a guest without GUEST_CSUM. */
static int
run_tx_csum_sw(bool packed, bool v6, bool udp)
{
	const struct pkt_spec s = { .v6 = v6, .udp = udp, .payload = 700 };
	struct vio_net_hdr gh;
	struct rte_mbuf *m;
	const uint8_t *pkt;
	uint64_t gpa[256];
	uint32_t len, plen;
	struct env e;
	uint8_t *d;

	T_EQ(env_init(&e, packed, F_BASE, F_BASE, 0), 0);
	m = rte_pktmbuf_alloc(pool);
	T_ASSERT(m != NULL, "mbuf");
	d = (uint8_t *)rte_pktmbuf_append(m, 2000);
	plen = build_pkt(d, &s, 0);
	rte_pktmbuf_trim(m, (uint16_t)(2000 - plen));
	m->l2_len = L2_LEN;
	m->l3_len = l3_len(&s);
	m->ol_flags = (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM) |
		      (udp ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM);
	if (!v6) /* IP_CKSUM: the application leaves the header checksum to the device */
		((struct rte_ipv4_hdr *)(d + L2_LEN))->hdr_checksum = 0;
	T_EQ(guest_post_rx(&e, 1, gpa), 0);
	T_EQ(vio_vq_enqueue_burst(e.rx.vq, &m, 1), 1);
	rte_pktmbuf_free(m);
	T_EQ(guest_recv(&e, gpa, &gh, &pkt, &len), 0);
	T_EQ(len, plen);
	T_EQ(gh.flags, 0);
	T_EQ(verify_l4(pkt, v6), 0);
	if (!v6)
		T_EQ(rte_ipv4_cksum((const struct rte_ipv4_hdr *)(pkt + L2_LEN)), 0);
	T_EQ(tg_vq_stats(&e.rx).csum_sw, v6 ? 1u : 2u);
	return env_fini(&e);
}

/* DATA_VALID: flagged good, the packet untouched. */
static int
run_data_valid(bool packed)
{
	const struct pkt_spec s = { .payload = 300 };
	struct vio_net_hdr h = { .flags = VIO_NET_HDR_F_DATA_VALID };
	struct rte_mbuf *m;
	struct env e;

	T_EQ(env_init(&e, packed, F_HOST, F_BASE, 0), 0);
	guest_send(&e, &h, &s, 0, 0);
	T_EQ(vio_vq_dequeue_burst(e.tx.vq, pool, &m, 1), 1);
	T_EQ(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	T_EQ(tg_vq_stats(&e.tx).csum_sw, 0);
	rte_pktmbuf_free(m);
	return env_fini(&e);
}

/* Check segment @p i of @p n of the TCP packet @p s cut at @p mss. */
static int
check_segment(const struct rte_mbuf *m, const struct pkt_spec *s, unsigned int i, unsigned int n,
	      uint32_t mss)
{
	uint32_t hdr = L2_LEN + l3_len(s) + l4_len(s);
	uint32_t want = RTE_MIN(mss, s->payload - i * mss);
	uint8_t buf[128];
	const uint8_t *h = rte_pktmbuf_read(m, 0, hdr, buf);
	const struct rte_tcp_hdr *t = (const struct rte_tcp_hdr *)(h + L2_LEN + l3_len(s));
	uint32_t k;

	T_EQ(m->pkt_len, hdr + want);
	T_EQ(verify_mbuf(m, s->v6), 0);
	if (s->v6) {
		T_EQ(rte_be_to_cpu_16(((const struct rte_ipv6_hdr *)(h + L2_LEN))->payload_len),
		     l4_len(s) + want);
	} else {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(h + L2_LEN);

		T_EQ(rte_be_to_cpu_16(ip->total_length), l3_len(s) + l4_len(s) + want);
		T_EQ(rte_be_to_cpu_16(ip->packet_id), 1000 + i);
	}
	T_EQ(rte_be_to_cpu_32(t->sent_seq), 0x10000000u + i * mss);
	T_EQ(!!(t->tcp_flags & RTE_TCP_PSH_FLAG), i + 1 == n);
	T_EQ(!!(t->tcp_flags & RTE_TCP_CWR_FLAG), i == 0 && (s->tcp_flags & RTE_TCP_CWR_FLAG));
	for (k = 0; k < want; k++) {
		uint8_t b;

		T_EQ(*(const uint8_t *)rte_pktmbuf_read(m, hdr + k, 1, &b), pattern(i * mss + k));
	}
	return 0;
}

/*
 * TCP GSO from the guest: segmented in software (no LRO), or delivered whole
 * with RTE_MBUF_F_RX_LRO. @p burst smaller than the segment count: the rest
 * come first in the next bursts, then the next packet.
 */
static int
run_gso(bool packed, bool v6, bool lro, bool ecn, uint16_t burst)
{
	const struct pkt_spec s = { .v6 = v6,
				    .payload = 20 * MSS + 100,
				    .tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG |
						 (ecn ? RTE_TCP_CWR_FLAG : 0) };
	const struct pkt_spec after = { .payload = 64 };
	const unsigned int n = 21;
	struct vio_net_hdr h = partial_hdr(&s), h2 = partial_hdr(&after);
	struct rte_mbuf *out[64];
	unsigned int got = 0, i;
	struct env e;

	h.gso_type = (v6 ? VIO_NET_HDR_GSO_TCPV6 : VIO_NET_HDR_GSO_TCPV4) |
		     (ecn ? VIO_NET_HDR_GSO_ECN : 0);
	h.gso_size = MSS;
	T_EQ(env_init(&e, packed, F_HOST, F_BASE, lro ? VIO_VQ_OFFLOAD_RX_LRO : 0), 0);
	/* Linux leaves the pseudo-header sum of the whole packet in a GSO packet. */
	guest_send(&e, &h, &s, 0, 100);
	guest_send(&e, &h2, &after, 0, 0);
	if (lro) {
		T_EQ(vio_vq_dequeue_burst(e.tx.vq, pool, out, 8), 2);
		T_ASSERT(out[0]->ol_flags & RTE_MBUF_F_RX_LRO, "LRO flag");
		T_EQ(out[0]->tso_segsz, MSS);
		T_EQ(out[0]->pkt_len, L2_LEN + l3_len(&s) + l4_len(&s) + s.payload);
		T_EQ(verify_mbuf(out[0], v6), 0); /* no RX_CSUM: completed over the whole */
		T_EQ(verify_mbuf(out[1], false), 0);
		rte_pktmbuf_free_bulk(out, 2);
		return env_fini(&e);
	}
	while (got < n + 1) {
		uint16_t k = vio_vq_dequeue_burst(e.tx.vq, pool, out + got, burst);

		T_ASSERT(k > 0 && k <= burst, "burst of %u after %u", k, got);
		got += k;
	}
	for (i = 0; i < n; i++)
		T_EQ(check_segment(out[i], &s, i, n, MSS), 0);
	T_EQ(out[n]->pkt_len, L2_LEN + 20 + 20 + 64u); /* the next packet, after them */
	T_EQ(verify_mbuf(out[n], false), 0);
	T_EQ(vio_vq_dequeue_burst(e.tx.vq, pool, out + got, burst), 0);
	T_EQ(tg_vq_stats(&e.tx).gso_sw, 1);
	T_EQ(tg_vq_stats(&e.tx).gso_segments, n);
	rte_pktmbuf_free_bulk(out, got);
	return env_fini(&e);
}

/* A header the specification forbids breaks the queue, and names the counter. */
static int
run_bad_hdr(bool packed, uint64_t features, const struct vio_net_hdr *h, size_t err_off,
	    uint32_t payload)
{
	const struct pkt_spec s = { .payload = payload };
	struct rte_mbuf *m;
	struct vio_vq_stats st;
	struct env e;

	T_EQ(env_init(&e, packed, features, F_BASE, 0), 0);
	guest_send(&e, h, &s, 0, 0);
	T_EQ(vio_vq_dequeue_burst(e.tx.vq, pool, &m, 1), 0);
	T_ASSERT(vio_vq_is_broken(e.tx.vq), "broken");
	st = tg_vq_stats(&e.tx);
	T_EQ(*(const uint64_t *)((const uint8_t *)&st + err_off), 1);
	return env_fini(&e);
}

#define GSO_HDR(type, size, fl)                           \
	((struct vio_net_hdr){ .flags = (fl),             \
			       .gso_type = (type),        \
			       .gso_size = (size),        \
			       .csum_start = L2_LEN + 20, \
			       .csum_offset = 16 })
#define ERR(name) offsetof(struct vio_vq_stats, name)

static int
run_bad_hdrs(bool packed)
{
	const uint8_t nc = VIO_NET_HDR_F_NEEDS_CSUM;
	struct vio_net_hdr far = { .flags = nc, .csum_start = 2000, .csum_offset = 16 };

	T_EQ(run_bad_hdr(packed, F_HOST, &GSO_HDR(VIO_NET_HDR_GSO_UDP, MSS, nc), ERR(err_gso),
			 3000),
	     0);
	T_EQ(run_bad_hdr(packed, F_HOST, &GSO_HDR(VIO_NET_HDR_GSO_UDP_L4, MSS, nc), ERR(err_gso),
			 3000),
	     0);
	T_EQ(run_bad_hdr(packed, F_HOST, &GSO_HDR(VIO_NET_HDR_GSO_TCPV4, 0, nc), ERR(err_gso),
			 3000),
	     0);
	T_EQ(run_bad_hdr(packed, F_HOST, &GSO_HDR(VIO_NET_HDR_GSO_TCPV4, MSS, 0), ERR(err_gso),
			 3000),
	     0);
	/* TSO the device never offered. */
	T_EQ(run_bad_hdr(packed, F_BASE, &GSO_HDR(VIO_NET_HDR_GSO_TCPV4, MSS, nc), ERR(err_gso),
			 3000),
	     0);
	/* csum_start + csum_offset beyond the packet. */
	return run_bad_hdr(packed, F_HOST, &far, ERR(err_csum_offset), 1000);
}

/* GSO headers at odds with the packet (a UDP packet said to be TCPV4): dropped, counted. */
static int
run_gso_mismatch(bool packed)
{
	const struct pkt_spec udp = { .udp = true, .payload = 3000 };
	const struct pkt_spec next = { .payload = 64 };
	struct vio_net_hdr h = GSO_HDR(VIO_NET_HDR_GSO_TCPV4, MSS, VIO_NET_HDR_F_NEEDS_CSUM);
	struct vio_net_hdr h2 = partial_hdr(&next);
	struct rte_mbuf *m[2];
	struct env e;

	h.csum_offset = 6;
	T_EQ(env_init(&e, packed, F_HOST, F_BASE, 0), 0);
	guest_send(&e, &h, &udp, 0, 0);
	guest_send(&e, &h2, &next, 0, 0);
	T_EQ(vio_vq_dequeue_burst(e.tx.vq, pool, m, 2), 1);
	T_EQ(m[0]->pkt_len, L2_LEN + 20 + 20 + 64u);
	T_EQ(tg_vq_stats(&e.tx).gso_dropped, 1);
	T_ASSERT(!vio_vq_is_broken(e.tx.vq), "not broken");
	rte_pktmbuf_free(m[0]);
	return env_fini(&e);
}

/* An mbuf asking for TSO, as ethdev defines it. */
static struct rte_mbuf *
tso_mbuf(const struct pkt_spec *s)
{
	uint64_t ol = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
		      (s->v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
	static uint8_t buf[PKT_MAX];
	uint32_t len = build_pkt(buf, s, ol), off = 0;
	struct rte_mbuf *head = NULL, *last = NULL;

	/* Chained in 1000-byte pieces, as a large packet would be. */
	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t n = RTE_MIN(len - off, 1000u);

		if (m == NULL)
			return NULL;
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), buf + off, n);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		last = m;
	}
	head->ol_flags = ol;
	head->l2_len = L2_LEN;
	head->l3_len = l3_len(s);
	head->l4_len = l4_len(s);
	head->tso_segsz = MSS;
	return head;
}

/*
 * TSO towards the guest: a GSO net header when it has GUEST_TSO4/6, else
 * segments made in software, all or none.
 */
static int
run_tx_tso(bool packed, bool v6, bool guest_tso)
{
	const struct pkt_spec s = { .v6 = v6,
				    .payload = 5 * MSS + 10,
				    .tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG };
	const unsigned int n = 6;
	struct rte_mbuf *m, *seg;
	struct vio_net_hdr gh;
	const uint8_t *pkt;
	uint64_t gpa[256];
	unsigned int i;
	uint32_t len;
	struct env e;

	T_EQ(env_init(&e, packed, F_BASE, guest_tso ? F_GUEST : F_BASE, 0), 0);
	m = tso_mbuf(&s);
	T_ASSERT(m != NULL, "mbuf");
	if (guest_tso) {
		/* Mergeable off: one 2 KiB buffer cannot take 7 KiB (too_big), more buffers can't help. */
		T_EQ(guest_post_rx(&e, 1, gpa), 0);
		T_EQ(vio_vq_enqueue_burst(e.rx.vq, &m, 1), 0);
		T_EQ(tg_vq_stats(&e.rx).too_big, 1);
		rte_pktmbuf_free(m);
		return env_fini(&e);
	}
	/* Too few buffers: nothing is sent, the mbuf stays the caller's, nothing leaks. */
	T_EQ(guest_post_rx(&e, n - 1, gpa), 0);
	T_EQ(vio_vq_enqueue_burst(e.rx.vq, &m, 1), 0);
	T_ASSERT(tg_vq_reap(&e.rx, &(uint16_t){ 0 }, &len) != 0, "nothing used");
	T_EQ(guest_post_rx(&e, 1, gpa), 0);
	T_EQ(vio_vq_enqueue_burst(e.rx.vq, &m, 1), 1);
	rte_pktmbuf_free(m);
	for (i = 0; i < n; i++) {
		T_EQ(guest_recv(&e, gpa, &gh, &pkt, &len), 0);
		T_EQ(gh.flags, 0);
		T_EQ(gh.gso_type, 0);
		/* Check it as an mbuf would be: copy it into one. */
		seg = rte_pktmbuf_alloc(pool);
		T_ASSERT(seg != NULL, "mbuf");
		memcpy(rte_pktmbuf_append(seg, (uint16_t)len), pkt, len);
		T_EQ(check_segment(seg, &s, i, n, MSS), 0);
		rte_pktmbuf_free(seg);
	}
	T_EQ(tg_vq_stats(&e.rx).gso_sw, 1);
	T_EQ(tg_vq_stats(&e.rx).gso_segments, n);
	return env_fini(&e);
}

/* GUEST_TSO with mergeable buffers: one packet, a GSO header, the checksum partial. */
static int
run_tx_tso_header(bool packed)
{
	const struct pkt_spec s = { .payload = 5 * MSS + 10 };
	struct vio_net_hdr_mrg gh;
	struct rte_mbuf *m;
	uint64_t gpa[256];
	struct env e;
	uint16_t id;
	uint32_t len;

	T_EQ(env_init(&e, packed, F_BASE, F_GUEST | VIO_BIT(VIO_NET_F_MRG_RXBUF), 0), 0);
	m = tso_mbuf(&s);
	T_ASSERT(m != NULL, "mbuf");
	T_EQ(guest_post_rx(&e, 8, gpa), 0);
	T_EQ(vio_vq_enqueue_burst(e.rx.vq, &m, 1), 1);
	rte_pktmbuf_free(m);
	T_EQ(tg_vq_reap(&e.rx, &id, &len), 0);
	memcpy(&gh, tg_ptr(&e.g, gpa[id]), sizeof(gh));
	T_EQ(gh.hdr.flags, VIO_NET_HDR_F_NEEDS_CSUM);
	T_EQ(gh.hdr.gso_type, VIO_NET_HDR_GSO_TCPV4);
	T_EQ(gh.hdr.gso_size, MSS);
	T_EQ(gh.hdr.csum_start, L2_LEN + 20);
	T_EQ(gh.num_buffers, 4);
	/* The IPv4 header checksum, which no guest offload covers, was done in software. */
	T_EQ(rte_ipv4_cksum((const struct rte_ipv4_hdr *)((const uint8_t *)tg_ptr(&e.g, gpa[id]) +
							  HDR_LEN + L2_LEN)),
	     0);
	while (tg_vq_reap(&e.rx, &id, &len) == 0)
		;
	return env_fini(&e);
}

#define BOTH_RINGS(name, call)                        \
	static int test_offload_##name##_split(void)  \
	{                                             \
		return call(false);                   \
	}                                             \
	static int test_offload_##name##_packed(void) \
	{                                             \
		return call(true);                    \
	}

static int
partial_cases(bool packed)
{
	unsigned int i;
	/* IPv4/IPv6, TCP/UDP, checksum start in the first or the second descriptor, RX_CSUM. */
	for (i = 0; i < 16; i++) {
		bool v6 = i & 1, udp = i & 2, later = i & 4, rx = i & 8;
		uint32_t split_at = later ? L2_LEN + 10 : 0;

		if (run_partial(packed, v6, udp, split_at, rx) != 0) {
			fprintf(stderr,
				"partial checksum case: %s %s, start in descriptor %d, %s\n",
				v6 ? "IPv6" : "IPv4", udp ? "UDP" : "TCP", later ? 2 : 1,
				rx ? "RX_CSUM" : "no receive offload");
			return 1;
		}
	}
	return 0;
}

static int
gso_cases(bool packed)
{
	T_EQ(run_gso(packed, false, false, false, 32), 0);
	T_EQ(run_gso(packed, true, false, false, 32), 0);
	T_EQ(run_gso(packed, false, false, true, 8), 0); /* ECN; the stash across bursts */
	T_EQ(run_gso(packed, true, false, false, 1), 0);
	T_EQ(run_gso(packed, false, true, false, 32), 0); /* LRO */
	return run_gso(packed, true, true, false, 32);
}

static int
tx_cases(bool packed)
{
	T_EQ(run_tx_csum_sw(packed, false, false), 0);
	T_EQ(run_tx_csum_sw(packed, false, true), 0);
	T_EQ(run_tx_csum_sw(packed, true, false), 0);
	T_EQ(run_tx_csum_sw(packed, true, true), 0);
	T_EQ(run_tx_tso(packed, false, false), 0);
	T_EQ(run_tx_tso(packed, true, false), 0);
	T_EQ(run_tx_tso(packed, false, true), 0);
	return run_tx_tso_header(packed);
}

BOTH_RINGS(partial_checksum, partial_cases)
BOTH_RINGS(data_valid, run_data_valid)
BOTH_RINGS(gso, gso_cases)
BOTH_RINGS(bad_headers_break_the_queue, run_bad_hdrs)
BOTH_RINGS(gso_at_odds_with_packet_dropped, run_gso_mismatch)
BOTH_RINGS(transmit_offloads, tx_cases)

static const struct vio_test_case cases[] = {
	VIO_TEST(test_offload_partial_checksum_split),
	VIO_TEST(test_offload_partial_checksum_packed),
	VIO_TEST(test_offload_data_valid_split),
	VIO_TEST(test_offload_data_valid_packed),
	VIO_TEST(test_offload_gso_split),
	VIO_TEST(test_offload_gso_packed),
	VIO_TEST(test_offload_bad_headers_break_the_queue_split),
	VIO_TEST(test_offload_bad_headers_break_the_queue_packed),
	VIO_TEST(test_offload_gso_at_odds_with_packet_dropped_split),
	VIO_TEST(test_offload_gso_at_odds_with_packet_dropped_packed),
	VIO_TEST(test_offload_transmit_offloads_split),
	VIO_TEST(test_offload_transmit_offloads_packed),
};

int
main(int argc, char **argv)
{
	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	pool = tg_pktmbuf_pool("test_offload", 8191);
	if (pool == NULL)
		return 1;
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}
