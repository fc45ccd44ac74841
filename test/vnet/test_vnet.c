/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The frontend role's queues (vio_vnet.h) against a device in this process:
 * the device side of lib/virtio's ring primitives, driven by the test on the
 * queue's own rings (DPDK memory, addresses as they are: the queue's guest
 * addresses are virtual addresses). The device can do what a real backend
 * may not do on demand: flag checksums in receive headers, write one used
 * entry for a batch of buffers (VIRTIO_F_IN_ORDER), return hostile entries.
 * Every packet that crosses is checked byte for byte and by its checksum.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_atomic.h> /* rte_compiler_barrier(), used but not included by the ring headers */
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "packed_ring.h"
#include "split_ring.h"
#include "vio_test.h"
#include "vio_virtio.h"
#include "vio_vnet.h"

#define RING     16
#define HDR_LEN  ((uint32_t)sizeof(struct vio_net_hdr_mrg))
#define MAX_SEGS 64
#define FRAME    9100 /* the longest frame a test builds */
#define BASE     (VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_RING_EVENT_IDX))
#define L2       RTE_ETHER_HDR_LEN
#define L3_V4    ((uint32_t)sizeof(struct rte_ipv4_hdr))
#define L3_V6    ((uint32_t)sizeof(struct rte_ipv6_hdr))

static struct rte_mempool *pool;
static unsigned int pool_before; /* mbufs free before the first case */

/* ------------------------------------------------------------------------ */
/* The device                                                                */
/* ------------------------------------------------------------------------ */

struct dev {
	bool packed;
	struct vio_split_ring r;
	struct vio_packed_ring pr;
	uint16_t last_avail; /* split: avail index; packed: slot */
	bool avail_wrap;
	uint16_t used_idx; /* split: used index; packed: slot */
	bool used_wrap;
};

/* A chain the device took. */
struct chain {
	uint16_t id;
	uint16_t nb_desc; /* packed: slots it took */
	uint32_t nb_segs;
	struct vio_ring_seg seg[MAX_SEGS];
	unsigned int nb_map; /* indirect tables mapped by the walk */
};

/* The queue's guest addresses are this process's virtual addresses. */
static const void *
va_map(void *ctx, uint64_t addr, uint64_t len)
{
	RTE_SET_USED(len);
	(*(unsigned int *)ctx)++;
	return (const void *)(uintptr_t)addr;
}

static void
dev_init(struct dev *d, const struct vio_vnet_vq *vq, bool packed)
{
	uint64_t desc, avail, used;

	memset(d, 0, sizeof(*d));
	vio_vnet_vq_addrs(vq, &desc, &avail, &used);
	d->packed = packed;
	if (packed) {
		d->pr.desc = (struct vio_vring_packed_desc *)(uintptr_t)desc;
		d->pr.driver_event = (struct vio_vring_packed_event *)(uintptr_t)avail;
		d->pr.device_event = (struct vio_vring_packed_event *)(uintptr_t)used;
		d->pr.size = RING;
		d->avail_wrap = d->used_wrap = true;
	} else {
		d->r.desc = (struct vio_vring_desc *)(uintptr_t)desc;
		d->r.avail = (struct vio_vring_avail *)(uintptr_t)avail;
		d->r.used = (struct vio_vring_used *)(uintptr_t)used;
		d->r.size = RING;
		d->r.mask = RING - 1;
	}
}

/* Take the next available chain: 0, -1 when there is none, or the walk's error. */
static int
dev_take(struct dev *d, struct chain *c)
{
	int ret;

	memset(c, 0, sizeof(*c));
	if (d->packed) {
		if (!vio_packed_dev_avail(&d->pr, d->last_avail, d->avail_wrap))
			return -1;
		ret = vio_packed_dev_walk(&d->pr, d->last_avail, c->seg, MAX_SEGS, &c->nb_segs,
					  &c->id, &c->nb_desc, va_map, &c->nb_map);
		if (ret == 0)
			vio_packed_advance(RING, &d->last_avail, &d->avail_wrap, c->nb_desc);
		return ret;
	}
	if (vio_split_dev_avail_count(&d->r, d->last_avail) <= 0)
		return -1;
	c->id = vio_split_dev_avail_head(&d->r, d->last_avail++);
	c->nb_desc = 1;
	return vio_split_dev_walk(&d->r, c->id, c->seg, MAX_SEGS, &c->nb_segs, va_map, &c->nb_map);
}

/*
 * Return chains @p c[0..n-1] as used, @p len bytes written into each: one
 * entry each, or (@p batch, VIRTIO_F_IN_ORDER) one entry for all of them,
 * the last one's, and the ring skipped forward by the whole batch.
 */
static void
dev_used(struct dev *d, const struct chain *c, const uint32_t *len, uint16_t n, bool batch)
{
	struct vio_packed_used u[RING];
	uint16_t i, k = 0;

	if (!d->packed) {
		for (i = 0; i < n; i++) {
			if (!batch || i + 1 == n)
				vio_split_dev_put_used(&d->r,
						       (uint16_t)(d->used_idx + (batch ? 0 : i)),
						       c[i].id, len[i]);
		}
		/* virtio 1.2, 2.7.9: used->idx moves by the size of the batch. */
		d->used_idx = (uint16_t)(d->used_idx + n);
		vio_split_dev_publish_used(&d->r, d->used_idx);
		return;
	}
	for (i = 0; i < n; i++) {
		if (batch && k == 1) {
			u[0].id = c[i].id;
			u[0].len = len[i];
			u[0].nb_desc = (uint16_t)(u[0].nb_desc + c[i].nb_desc);
			continue;
		}
		u[k++] = (struct vio_packed_used){ c[i].id, c[i].nb_desc, len[i] };
	}
	vio_packed_dev_flush_used(&d->pr, u, k, &d->used_idx, &d->used_wrap);
}

/* The bytes of a chain (header included), flat; returns how many. */
static uint32_t
chain_read(const struct chain *c, uint8_t *buf, uint32_t max)
{
	uint32_t i, n = 0;

	for (i = 0; i < c->nb_segs && n + c->seg[i].len <= max; i++) {
		memcpy(buf + n, (const void *)(uintptr_t)c->seg[i].addr, c->seg[i].len);
		n += c->seg[i].len;
	}
	return n;
}

/* Write @p len bytes into a receive chain; returns how many fit. */
static uint32_t
chain_write(const struct chain *c, const uint8_t *src, uint32_t len)
{
	uint32_t i, n = 0;

	for (i = 0; i < c->nb_segs && n < len; i++) {
		uint32_t k = RTE_MIN(len - n, c->seg[i].len);

		memcpy((void *)(uintptr_t)c->seg[i].addr, src + n, k);
		n += k;
	}
	return n;
}

/* ------------------------------------------------------------------------ */
/* Packets                                                                   */
/* ------------------------------------------------------------------------ */

static uint8_t
pattern(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 31 + i * 7 + 3);
}

/*
 * An Ethernet frame of @p len bytes: IPv4 (or @p v6) and TCP (or UDP when
 * @p udp), the L4 checksum complete, the payload a pattern of @p seq.
 */
static void
frame_build(uint8_t *p, uint32_t len, bool v6, bool udp, uint32_t seq)
{
	uint32_t l3 = v6 ? L3_V6 : L3_V4;
	uint8_t *l4 = p + L2 + l3;
	uint32_t l4_len = udp ? sizeof(struct rte_udp_hdr) : sizeof(struct rte_tcp_hdr);
	uint32_t i;

	memset(p, 0, L2 + l3 + l4_len);
	memset(p, 0x02, 6);
	memset(p + 6, 0x04, 6);
	p[12] = v6 ? 0x86 : 0x08;
	p[13] = v6 ? 0xdd : 0x00;
	for (i = L2 + l3 + l4_len; i < len; i++)
		p[i] = pattern(seq, i);
	if (v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + L2);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(len - L2 - l3));
		ip->proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip->hop_limits = 64;
		ip->src_addr[15] = 1;
		ip->dst_addr[15] = 2;
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + L2);

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(len - L2));
		ip->time_to_live = 64;
		ip->next_proto_id = udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(VIO_IPV4(192, 0, 2, 1));
		ip->dst_addr = rte_cpu_to_be_32(VIO_IPV4(192, 0, 2, 2));
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if (udp) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;

		u->src_port = rte_cpu_to_be_16(9);
		u->dst_port = rte_cpu_to_be_16(9);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(len - L2 - l3));
	} else {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;

		t->src_port = rte_cpu_to_be_16(1000);
		t->dst_port = rte_cpu_to_be_16(2000);
		t->sent_seq = rte_cpu_to_be_32(seq);
		t->data_off = (sizeof(*t) / 4) << 4;
		t->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
		t->rx_win = rte_cpu_to_be_16(65535);
	}
	if (v6)
		*(uint16_t *)(l4 + (udp ? 6 : 16)) =
			rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)(p + L2), l4);
	else
		*(uint16_t *)(l4 + (udp ? 6 : 16)) =
			rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)(p + L2), l4);
}

/* Whether the frame's L4 checksum is right. */
static bool
frame_csum_ok(const uint8_t *p, bool v6)
{
	const void *l3 = p + L2;
	const uint8_t *l4 = p + L2 + (v6 ? L3_V6 : L3_V4);

	return v6 ? rte_ipv6_udptcp_cksum_verify(l3, l4) == 0
		  : rte_ipv4_udptcp_cksum_verify(l3, l4) == 0;
}

/* The 16 bits at @p off of a frame. */
static uint16_t
frame_u16(const uint8_t *p, uint32_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/* The L4 checksum field of the frame replaced by the pseudo-header sum (ethdev's Tx contract). */
static void
frame_phdr(uint8_t *p, bool v6, bool udp, uint64_t ol_flags)
{
	uint8_t *field = p + L2 + (v6 ? L3_V6 : L3_V4) + (udp ? 6 : 16);
	uint16_t sum = v6 ? rte_ipv6_phdr_cksum((const void *)(p + L2), ol_flags)
			  : rte_ipv4_phdr_cksum((const void *)(p + L2), ol_flags);

	memcpy(field, &sum, sizeof(sum));
}

/*
 * An mbuf holding the frame, in segments of at most @p seg_len bytes, the
 * first with @p headroom bytes of headroom (below the net header's, the
 * queue cannot push the header there: it takes a descriptor of its own).
 */
static struct rte_mbuf *
mbuf_from_hr(const uint8_t *p, uint32_t len, uint32_t seg_len, uint16_t headroom)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	uint32_t off = 0;

	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t n = RTE_MIN(seg_len, len - off);

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (head == NULL)
			m->data_off = headroom;
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), p + off, n);
		off += n;
		if (head == NULL) {
			head = tail = m;
			continue;
		}
		tail->next = m;
		tail = m;
		head->nb_segs++;
		head->pkt_len += n;
	}
	return head;
}

static struct rte_mbuf *
mbuf_from(const uint8_t *p, uint32_t len, uint32_t seg_len)
{
	return mbuf_from_hr(p, len, seg_len, RTE_PKTMBUF_HEADROOM);
}

/* A queue of the test: RING entries, features @p f. */
static struct vio_vnet_vq *
vq_make(bool rx, uint64_t f, uint32_t offloads)
{
	const struct vio_vnet_vq_config c = {
		.name = rx ? "test/rxq0" : "test/txq0",
		.features = f,
		.size = RING,
		.rx = rx,
		.mp = pool,
		.kickfd = -1,
		.socket_id = SOCKET_ID_ANY,
		.offloads = offloads,
	};

	return vio_vnet_vq_create(&c);
}

static struct vio_vnet_vq_stats
stats_of(const struct vio_vnet_vq *vq)
{
	struct vio_vnet_vq_stats st;

	vio_vnet_vq_stats_get(vq, &st);
	return st;
}

static void
vq_cleanup(struct vio_vnet_vq **vq)
{
	vio_vnet_vq_free(*vq);
}

#define VQ(name, rx, f, ol)                                                                 \
	struct vio_vnet_vq *name __attribute__((cleanup(vq_cleanup))) = vq_make(rx, f, ol); \
	T_ASSERT(name != NULL, "queue not made")

/* ------------------------------------------------------------------------ */
/* Transmit offloads                                                         */
/* ------------------------------------------------------------------------ */

/*
 * Send one frame with @p ol_flags through a transmit queue of features @p f;
 * the device takes it and leaves its header in @p h and the bytes after it
 * in @p out. Returns the packets the burst took (0 or 1), or -1.
 */
static int
tx_one(struct vio_vnet_vq *vq, struct dev *d, uint8_t *frame, uint32_t len, bool v6, bool udp,
       uint64_t ol_flags, uint32_t seg_len, struct vio_net_hdr_mrg *h, uint8_t *out,
       uint32_t *out_len, struct chain *c)
{
	static uint8_t buf[FRAME + 64];
	struct rte_mbuf *m;
	uint32_t n;
	uint16_t sent;

	if (ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG))
		frame_phdr(frame, v6, udp, ol_flags);
	m = mbuf_from(frame, len, seg_len);
	T_ASSERT(m != NULL, "no mbuf");
	m->ol_flags = ol_flags;
	m->l2_len = L2;
	m->l3_len = v6 ? L3_V6 : L3_V4;
	m->l4_len = udp ? sizeof(struct rte_udp_hdr) : sizeof(struct rte_tcp_hdr);
	m->tso_segsz = ol_flags & RTE_MBUF_F_TX_TCP_SEG ? 1400 : 0;
	sent = vio_vnet_tx_burst(vq, &m, 1);
	if (sent == 0) {
		rte_pktmbuf_free(m);
		return 0;
	}
	T_EQ(dev_take(d, c), 0);
	n = chain_read(c, buf, sizeof(buf));
	T_ASSERT(n >= HDR_LEN, "a chain of %u bytes", n);
	memcpy(h, buf, HDR_LEN);
	memcpy(out, buf + HDR_LEN, n - HDR_LEN);
	*out_len = n - HDR_LEN;
	return 1;
}

/* What a device does with NEEDS_CSUM (virtio 1.2, 5.1.6.2.1): sum from csum_start, store. */
static void
dev_csum(uint8_t *p, uint32_t len, const struct vio_net_hdr *h)
{
	uint16_t sum = (uint16_t)~rte_raw_cksum(p + h->csum_start, len - h->csum_start);

	memcpy(p + h->csum_start + h->csum_offset, &sum, sizeof(sum));
}

static int
tx_csum_in_header(bool packed)
{
	static uint8_t frame[FRAME], out[FRAME + 64];
	const bool v6s[] = { false, true, false }, udps[] = { true, false, false };
	struct vio_net_hdr_mrg h;
	struct chain c;
	struct dev d;
	uint32_t len, i;
	VQ(vq, false, BASE | VIO_BIT(VIO_NET_F_CSUM) | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0),
	   0);

	dev_init(&d, vq, packed);
	for (i = 0; i < RTE_DIM(v6s); i++) {
		uint64_t ol = (v6s[i] ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) |
			      (udps[i] ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM);
		uint32_t l3 = v6s[i] ? L3_V6 : L3_V4;

		frame_build(frame, 1000, v6s[i], udps[i], i);
		/* The last in 3 segments: the checksum spans them on both sides. */
		T_EQ(tx_one(vq, &d, frame, 1000, v6s[i], udps[i], ol, i == 2 ? 300 : 2048, &h, out,
			    &len, &c),
		     1);
		T_EQ(len, 1000);
		T_EQ(h.hdr.flags, VIO_NET_HDR_F_NEEDS_CSUM);
		T_EQ(h.hdr.gso_type, VIO_NET_HDR_GSO_NONE);
		T_EQ(h.hdr.csum_start, L2 + l3);
		T_EQ(h.hdr.csum_offset, udps[i] ? 6 : 16);
		/* The frame as sent, the field holding the pseudo-header sum, */
		T_ASSERT(memcmp(out, frame, len) == 0, "frame %u changed", i);
		T_ASSERT(!frame_csum_ok(out, v6s[i]), "frame %u: complete before the device", i);
		/* which the device's sum completes. */
		dev_csum(out, len, &h.hdr);
		T_ASSERT(frame_csum_ok(out, v6s[i]), "frame %u: wrong after the device", i);
		dev_used(&d, &c, (uint32_t[]){ 0 }, 1, false);
	}
	T_EQ(stats_of(vq).csum_sw, 0);
	return 0;
}

static int
test_vnet_tx_csum_in_header_split(void)
{
	return tx_csum_in_header(false);
}

static int
test_vnet_tx_csum_in_header_packed(void)
{
	return tx_csum_in_header(true);
}

/* Without VIRTIO_NET_F_CSUM the device takes complete packets: vio finishes them. */
static int
test_vnet_tx_csum_in_software_without_csum(void)
{
	static uint8_t frame[FRAME], out[FRAME + 64];
	struct vio_net_hdr_mrg h;
	struct chain c;
	struct dev d;
	uint32_t len;
	VQ(vq, false, BASE, 0);

	dev_init(&d, vq, false);
	frame_build(frame, 700, false, true, 1);
	T_EQ(tx_one(vq, &d, frame, 700, false, true, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM,
		    256, &h, out, &len, &c),
	     1);
	T_EQ(h.hdr.flags, 0);
	T_ASSERT(frame_csum_ok(out, false), "not completed");
	T_EQ(stats_of(vq).csum_sw, 1);
	return 0;
}

static int
test_vnet_tx_tso_header(void)
{
	static uint8_t frame[FRAME], out[FRAME + 64];
	const uint64_t f = BASE | VIO_BIT(VIO_NET_F_CSUM) | VIO_BIT(VIO_NET_F_HOST_TSO4) |
			   VIO_BIT(VIO_NET_F_HOST_TSO6);
	struct vio_net_hdr_mrg h;
	struct chain c;
	struct dev d;
	uint32_t len;
	int v6;
	VQ(vq, false, f, 0);

	dev_init(&d, vq, false);
	for (v6 = 0; v6 < 2; v6++) {
		uint64_t ol = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
			      (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
		uint32_t l3 = v6 ? L3_V6 : L3_V4;

		frame_build(frame, 9000, v6, false, 7);
		T_EQ(tx_one(vq, &d, frame, 9000, v6, false, ol, 2000, &h, out, &len, &c), 1);
		T_EQ(len, 9000);
		T_EQ(h.hdr.flags, VIO_NET_HDR_F_NEEDS_CSUM);
		T_EQ(h.hdr.gso_type, v6 ? VIO_NET_HDR_GSO_TCPV6 : VIO_NET_HDR_GSO_TCPV4);
		T_EQ(h.hdr.gso_size, 1400);
		T_EQ(h.hdr.hdr_len, L2 + l3 + sizeof(struct rte_tcp_hdr));
		T_EQ(h.hdr.csum_start, L2 + l3);
		T_EQ(h.hdr.csum_offset, 16);
		/* The pseudo-header sum with the TCP length in it now, as virtio has it. */
		T_EQ(frame_u16(out, L2 + l3 + 16),
		     v6 ? rte_ipv6_phdr_cksum((const void *)(frame + L2), 0)
			: rte_ipv4_phdr_cksum((const void *)(frame + L2), 0));
		T_ASSERT(memcmp(out, frame, L2 + l3 + 16) == 0 &&
				 memcmp(out + L2 + l3 + 18, frame + L2 + l3 + 18,
					len - L2 - l3 - 18) == 0,
			 "frame changed");
		dev_used(&d, &c, (uint32_t[]){ 0 }, 1, false);
	}
	return 0;
}

/* What the device cannot take stops the burst there and stays the caller's. */
static int
test_vnet_tx_refuses_what_the_device_cannot_take(void)
{
	static uint8_t frame[FRAME], out[FRAME + 64];
	struct vio_net_hdr_mrg h;
	struct rte_mbuf *m[2];
	struct chain c;
	struct dev d;
	uint32_t len;
	VQ(vq, false, BASE | VIO_BIT(VIO_NET_F_CSUM) | VIO_BIT(VIO_NET_F_HOST_TSO4), 0);

	dev_init(&d, vq, false);
	/* TSO over IPv6 without HOST_TSO6. */
	frame_build(frame, 4000, true, false, 1);
	T_EQ(tx_one(vq, &d, frame, 4000, true, false,
		    RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV6, 2048, &h,
		    out, &len, &c),
	     0);
	T_EQ(stats_of(vq).offload_refused, 1);
	/* A checksum field beyond the packet (l3_len too long), then a good one: neither goes. */
	frame_build(frame, 60, false, true, 2);
	m[0] = mbuf_from(frame, 60, 2048);
	m[1] = mbuf_from(frame, 60, 2048);
	T_ASSERT(m[0] != NULL && m[1] != NULL, "no mbuf");
	m[0]->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
	m[0]->l2_len = L2;
	m[0]->l3_len = 40;
	T_EQ(vio_vnet_tx_burst(vq, m, 2), 0);
	T_EQ(stats_of(vq).offload_refused, 2);
	T_EQ(dev_take(&d, &c), -1);
	rte_pktmbuf_free_bulk(m, 2);
	T_ASSERT(!vio_vnet_vq_is_broken(vq), "refusing a packet broke the queue");
	return 0;
}

/*
 * A chain no ring could take (64 segments; or, with no indirect table,
 * more descriptors than the ring has) is refused as such (seg_refused), not
 * counted as a full ring; the next burst sends what follows it.
 */
static int
test_vnet_tx_refuses_too_many_segments(void)
{
	static uint8_t frame[FRAME];
	struct rte_mbuf *m[2];
	struct chain c;
	struct dev d;
	VQ(vq, false, BASE, 0);

	dev_init(&d, vq, false);
	frame_build(frame, 640, false, true, 0);
	m[0] = mbuf_from(frame, 640, 10); /* 64 segments */
	m[1] = mbuf_from(frame, 60, 2048);
	T_ASSERT(m[0] != NULL && m[1] != NULL, "no mbuf");
	T_EQ(m[0]->nb_segs, VIO_VNET_TX_SEGS_MAX + 1);
	T_EQ(vio_vnet_tx_burst(vq, m, 2), 0);
	T_EQ(stats_of(vq).seg_refused, 1);
	rte_pktmbuf_free(m[0]);
	/* 16 segments and the header (no headroom for it): 17 descriptors, the ring has 16. */
	m[0] = mbuf_from_hr(frame, 160, 10, 0);
	T_ASSERT(m[0] != NULL, "no mbuf");
	T_EQ(vio_vnet_tx_burst(vq, m, 2), 0);
	T_EQ(stats_of(vq).seg_refused, 2);
	T_EQ(stats_of(vq).no_room, 0);
	rte_pktmbuf_free(m[0]);
	/* 17 segments, the header in the first one's headroom: 17 descriptors too. */
	m[0] = mbuf_from(frame, 170, 10);
	T_ASSERT(m[0] != NULL, "no mbuf");
	T_EQ(vio_vnet_tx_burst(vq, m, 2), 0);
	T_EQ(stats_of(vq).seg_refused, 3);
	T_EQ(stats_of(vq).no_room, 0);
	rte_pktmbuf_free(m[0]);
	T_EQ(vio_vnet_tx_burst(vq, &m[1], 1), 1);
	T_EQ(dev_take(&d, &c), 0);
	T_EQ(dev_take(&d, &c), -1);
	T_ASSERT(!vio_vnet_vq_is_broken(vq), "refusing a packet broke the queue");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Receive offloads                                                          */
/* ------------------------------------------------------------------------ */

/*
 * The device sends @p frame behind header @p h, over as many receive
 * buffers as it needs (num_buffers set here), and returns them one entry
 * each, or one for the lot (@p batch). Returns the buffers used, or -1.
 */
static int
dev_send(struct dev *d, const uint8_t *frame, uint32_t len, const struct vio_net_hdr *h, bool batch)
{
	static uint8_t buf[FRAME + 64];
	struct chain c[RING];
	uint32_t lens[RING], off = 0, total = HDR_LEN + len;
	struct vio_net_hdr_mrg mh = { .hdr = *h };
	uint16_t n = 0;

	memcpy(buf + HDR_LEN, frame, len);
	while (off < total) {
		T_ASSERT(n < RING, "a frame of %u bytes does not fit the ring", len);
		T_EQ(dev_take(d, &c[n]), 0);
		lens[n] = chain_write(&c[n], buf + off, total - off);
		off += lens[n];
		n++;
	}
	mh.num_buffers = n;
	chain_write(&c[0], (const uint8_t *)&mh, HDR_LEN);
	dev_used(d, c, lens, n, batch);
	return n;
}

/*
 * Receive one packet; it must be @p frame but for the 16 bits at @p field
 * (the checksum a completion writes), with an L4 checksum that is right or
 * not as @p csum_ok says, and L4 checksum flags @p want_flags.
 */
static int
rx_expect(struct vio_vnet_vq *vq, const uint8_t *frame, uint32_t len, uint32_t field, bool csum_ok,
	  uint64_t want_flags, struct rte_mbuf **out)
{
	static uint8_t buf[FRAME];
	const uint8_t *p;
	struct rte_mbuf *m;
	uint64_t flags;
	uint32_t i;
	bool ok;

	T_EQ(vio_vnet_rx_burst(vq, &m, 1), 1);
	if (m->pkt_len != len) {
		fprintf(stderr, "received %u bytes, sent %u\n", m->pkt_len, len);
		rte_pktmbuf_free(m);
		return -1;
	}
	p = rte_pktmbuf_read(m, 0, len, buf);
	for (i = 0; i < len; i++)
		if (p[i] != frame[i] && i != field && i != field + 1)
			break;
	ok = frame_csum_ok(p, false);
	flags = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (m->pkt_len != len || i != len || ok != csum_ok || flags != want_flags) {
		fprintf(stderr,
			"received %u bytes (sent %u), first difference at %u; checksum %s, "
			"flags 0x%" PRIx64 "\n",
			m->pkt_len, len, i, ok ? "right" : "wrong", flags);
		rte_pktmbuf_free(m);
		return -1;
	}
	if (out != NULL)
		*out = m;
	else
		rte_pktmbuf_free(m);
	return 0;
}

static int
rx_csum(bool packed, bool mrg)
{
	static uint8_t frame[FRAME];
	const uint64_t f = BASE | VIO_BIT(VIO_NET_F_GUEST_CSUM) |
			   (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0) |
			   (mrg ? VIO_BIT(VIO_NET_F_MRG_RXBUF) : 0);
	/* With mergeable buffers a 3000-byte frame spans two. */
	const uint32_t len = mrg ? 3000 : 1400;
	struct vio_net_hdr h = { 0 };
	struct rte_mbuf *m;
	struct dev d;
	int udp;
	VQ(vq, true, f, 0);

	dev_init(&d, vq, packed);
	for (udp = 0; udp < 2; udp++) {
		uint32_t l3 = L3_V4, field = L2 + l3 + (udp ? 6 : 16);
		uint16_t sum;

		/* NEEDS_CSUM, nothing enabled: completed in software. */
		frame_build(frame, len, false, udp, (uint32_t)udp);
		frame_phdr(frame, false, udp, 0);
		h = (struct vio_net_hdr){ .flags = VIO_NET_HDR_F_NEEDS_CSUM,
					  .csum_start = (uint16_t)(L2 + l3),
					  .csum_offset = udp ? 6 : 16 };
		T_EQ(dev_send(&d, frame, len, &h, false), mrg ? 2 : 1);
		T_EQ(rx_expect(vq, frame, len, field, true, 0, NULL), 0);
		T_EQ(stats_of(vq).csum_sw, 2 * udp + 1); /* and the odd field below */

		/* RX_CSUM enabled: left partial, flagged, parsed. */
		vio_vnet_vq_offloads_set(vq, VIO_VNET_OFFLOAD_RX_CSUM);
		T_EQ(dev_send(&d, frame, len, &h, false), mrg ? 2 : 1);
		T_EQ(rx_expect(vq, frame, len, field, false, RTE_MBUF_F_RX_L4_CKSUM_NONE, &m), 0);
		T_EQ(m->l2_len, L2);
		T_EQ(m->l3_len, l3);
		T_EQ(m->l4_len, udp ? 8 : 20);
		T_EQ(m->packet_type & RTE_PTYPE_L4_MASK, udp ? RTE_PTYPE_L4_UDP : RTE_PTYPE_L4_TCP);
		/* The field holds the pseudo-header sum: what a Tx checksum offload expects. */
		T_EQ(frame_u16(rte_pktmbuf_mtod(m, uint8_t *), field), frame_u16(frame, field));
		rte_pktmbuf_free(m);

		/*
		 * A field the parse does not find (here: a sum from the IP header on,
		 * into its checksum field): done here, and GOOD.
		 */
		h.csum_start = L2;
		h.csum_offset = 10;
		frame_build(frame, len, false, udp, 9);
		memset(frame + L2 + 10, 0, 2);
		T_EQ(dev_send(&d, frame, len, &h, false), mrg ? 2 : 1);
		T_EQ(rx_expect(vq, frame, len, L2 + 10, true, RTE_MBUF_F_RX_L4_CKSUM_GOOD, &m), 0);
		T_EQ(rte_raw_cksum_mbuf(m, L2, len - L2, &sum), 0);
		T_EQ(sum, 0xffff);
		rte_pktmbuf_free(m);
		vio_vnet_vq_offloads_set(vq, 0);

		/* DATA_VALID: the device checked it. */
		frame_build(frame, len, false, udp, 3);
		h = (struct vio_net_hdr){ .flags = VIO_NET_HDR_F_DATA_VALID };
		T_EQ(dev_send(&d, frame, len, &h, false), mrg ? 2 : 1);
		T_EQ(rx_expect(vq, frame, len, field, true, RTE_MBUF_F_RX_L4_CKSUM_GOOD, NULL), 0);
	}
	T_ASSERT(!vio_vnet_vq_is_broken(vq), "broken");
	return 0;
}

static int
test_vnet_rx_csum_split(void)
{
	return rx_csum(false, false);
}

static int
test_vnet_rx_csum_packed(void)
{
	return rx_csum(true, false);
}

static int
test_vnet_rx_csum_mergeable_split(void)
{
	return rx_csum(false, true);
}

static int
test_vnet_rx_csum_mergeable_packed(void)
{
	return rx_csum(true, true);
}

/* A header the features do not allow breaks the queue, once, with err_hdr. */
static int
rx_bad_hdr(uint64_t f, const struct vio_net_hdr *h, uint32_t len)
{
	static uint8_t frame[FRAME];
	struct rte_mbuf *m;
	struct dev d;
	VQ(vq, true, f, 0);

	dev_init(&d, vq, false);
	frame_build(frame, len, false, true, 0);
	T_EQ(dev_send(&d, frame, len, h, false), 1);
	T_EQ(vio_vnet_rx_burst(vq, &m, 1), 0);
	T_ASSERT(vio_vnet_vq_is_broken(vq), "not broken");
	T_EQ(stats_of(vq).err_hdr, 1);
	T_EQ(stats_of(vq).err_used, 0);
	/* Broken: nothing moves any more. */
	T_EQ(dev_send(&d, frame, len, &(struct vio_net_hdr){ 0 }, false), 1);
	T_EQ(vio_vnet_rx_burst(vq, &m, 1), 0);
	return 0;
}

static int
test_vnet_rx_rejects_flags_without_guest_csum(void)
{
	return rx_bad_hdr(BASE, &(struct vio_net_hdr){ .flags = VIO_NET_HDR_F_DATA_VALID }, 100);
}

static int
test_vnet_rx_rejects_unknown_flags(void)
{
	return rx_bad_hdr(BASE | VIO_BIT(VIO_NET_F_GUEST_CSUM),
			  &(struct vio_net_hdr){ .flags = VIO_NET_HDR_F_RSC_INFO }, 100);
}

static int
test_vnet_rx_rejects_gso(void)
{
	return rx_bad_hdr(BASE | VIO_BIT(VIO_NET_F_GUEST_CSUM),
			  &(struct vio_net_hdr){ .flags = VIO_NET_HDR_F_NEEDS_CSUM,
						 .gso_type = VIO_NET_HDR_GSO_TCPV4,
						 .gso_size = 1000,
						 .csum_start = 34,
						 .csum_offset = 16 },
			  100);
}

static int
test_vnet_rx_rejects_csum_beyond_packet(void)
{
	return rx_bad_hdr(BASE | VIO_BIT(VIO_NET_F_GUEST_CSUM),
			  &(struct vio_net_hdr){ .flags = VIO_NET_HDR_F_NEEDS_CSUM,
						 .csum_start = 90,
						 .csum_offset = 9 },
			  100);
}

/* ------------------------------------------------------------------------ */
/* VIRTIO_F_IN_ORDER                                                         */
/* ------------------------------------------------------------------------ */

/*
 * Receive, in order, one used entry for several buffers: a mergeable frame
 * over two buffers (the first, skipped, written completely), then three
 * frames that fill their buffers exactly, as one batch, then one entry each.
 */
static int
rx_in_order(bool packed)
{
	static uint8_t frame[FRAME];
	const uint64_t f = BASE | VIO_BIT(VIO_F_IN_ORDER) | VIO_BIT(VIO_NET_F_MRG_RXBUF) |
			   (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0);
	const struct vio_net_hdr h = { 0 };
	/* What a 2 KiB-class receive buffer holds after the header: the frame that fills it. */
	const uint32_t full = RTE_MBUF_DEFAULT_DATAROOM;
	struct rte_mbuf *m[4];
	struct chain c[3];
	struct dev d;
	uint32_t lens[3];
	uint16_t i, round;
	VQ(vq, true, f, 0);

	dev_init(&d, vq, packed);
	for (round = 0; round < 3 * RING; round++) {
		frame_build(frame, 3000, false, true, round);
		T_EQ(dev_send(&d, frame, 3000, &h, true), 2);
		T_EQ(rx_expect(vq, frame, 3000, 0, true, 0, NULL), 0);
	}
	T_EQ(stats_of(vq).batched, 3 * RING);
	/* Three frames that fill one buffer each, returned by one entry. */
	for (i = 0; i < 3; i++) {
		static uint8_t buf[FRAME + 64];
		struct vio_net_hdr_mrg mh = { .num_buffers = 1 };

		T_EQ(dev_take(&d, &c[i]), 0);
		memcpy(buf, &mh, HDR_LEN);
		frame_build(buf + HDR_LEN, full, false, true, i);
		T_EQ(chain_write(&c[i], buf, HDR_LEN + full), HDR_LEN + full);
		lens[i] = HDR_LEN + full;
	}
	dev_used(&d, c, lens, 3, true);
	T_EQ(vio_vnet_rx_burst(vq, m, 4), 3);
	for (i = 0; i < 3; i++) {
		frame_build(frame, full, false, true, i);
		T_EQ(m[i]->pkt_len, full);
		T_ASSERT(memcmp(rte_pktmbuf_mtod(m[i], void *), frame, full) == 0, "frame %u", i);
	}
	rte_pktmbuf_free_bulk(m, 3);
	T_EQ(stats_of(vq).batched, 3 * RING + 2);
	/* One entry each: nothing batched. */
	for (round = 0; round < RING; round++) {
		frame_build(frame, 3000, false, true, round);
		T_EQ(dev_send(&d, frame, 3000, &h, false), 2);
		T_EQ(rx_expect(vq, frame, 3000, 0, true, 0, NULL), 0);
	}
	T_EQ(stats_of(vq).batched, 3 * RING + 2);
	T_ASSERT(!vio_vnet_vq_is_broken(vq), "broken");
	return 0;
}

static int
test_vnet_rx_in_order_batches_split(void)
{
	return rx_in_order(false);
}

static int
test_vnet_rx_in_order_batches_packed(void)
{
	return rx_in_order(true);
}

/* Transmit, in order: one used entry frees the whole batch, lap after lap. */
static int
tx_in_order(bool packed)
{
	static uint8_t frame[FRAME], out[FRAME + 64];
	const uint64_t f = BASE | VIO_BIT(VIO_F_IN_ORDER) |
			   (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0);
	struct vio_net_hdr_mrg h;
	struct chain c[RING];
	uint32_t lens[RING] = { 0 }, len, round;
	unsigned int free_before = rte_mempool_avail_count(pool);
	struct dev d;
	VQ(vq, false, f, 0);

	dev_init(&d, vq, packed);
	for (round = 0; round < 10; round++) {
		uint16_t i,
			n = (uint16_t)(round % 3 + 2); /* chains of 2 descriptors: n <= RING / 2 */

		for (i = 0; i < n; i++) {
			frame_build(frame, 200 + i, false, true, round);
			T_EQ(tx_one(vq, &d, frame, 200 + i, false, true, 0, 2048, &h, out, &len,
				    &c[i]),
			     1);
			T_EQ(len, 200 + i);
			T_ASSERT(memcmp(out, frame, len) == 0, "round %u frame %u", round, i);
		}
		dev_used(&d, c, lens, n, true);
	}
	/* The next burst reclaims the last batch: every mbuf back. */
	T_EQ(vio_vnet_tx_burst(vq, NULL, 0), 0);
	T_EQ(rte_mempool_avail_count(pool), free_before);
	T_EQ(stats_of(vq).batched, 1 + 2 + 3 + 1 + 2 + 3 + 1 + 2 + 3 + 1);
	T_ASSERT(!vio_vnet_vq_is_broken(vq), "broken");
	return 0;
}

static int
test_vnet_tx_in_order_batches_split(void)
{
	return tx_in_order(false);
}

static int
test_vnet_tx_in_order_batches_packed(void)
{
	return tx_in_order(true);
}

/*
 * An in-order entry that names a buffer not in flight breaks the queue
 * (err_used); so does, on a split ring, a batch larger than used->idx moved,
 * after the buffers it did count.
 */
static int
in_order_bad_entry(bool packed)
{
	static uint8_t buf[FRAME + 64];
	const uint64_t f = BASE | VIO_BIT(VIO_F_IN_ORDER) |
			   (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0);
	const uint32_t full = RTE_MBUF_DEFAULT_DATAROOM;
	struct rte_mbuf *m[4];
	struct chain c[4];
	struct dev d;
	uint16_t i;
	VQ(vq, true, f, 0);
	VQ(vq2, true, f, 0);

	dev_init(&d, vq, packed);
	T_EQ(dev_take(&d, &c[0]), 0);
	c[0].id = RING + 1;
	dev_used(&d, c, (uint32_t[]){ 112 }, 1, true);
	T_EQ(vio_vnet_rx_burst(vq, m, 1), 0);
	T_ASSERT(vio_vnet_vq_is_broken(vq), "not broken");
	T_EQ(stats_of(vq).err_used, 1);
	if (packed)
		return 0;
	/* Four full buffers, the entry names the fourth, used->idx moves by two. */
	dev_init(&d, vq2, false);
	memset(buf, 0, HDR_LEN);
	frame_build(buf + HDR_LEN, full, false, true, 0);
	for (i = 0; i < 4; i++) {
		T_EQ(dev_take(&d, &c[i]), 0);
		T_EQ(chain_write(&c[i], buf, HDR_LEN + full), HDR_LEN + full);
	}
	vio_split_dev_put_used(&d.r, 0, c[3].id, HDR_LEN + full);
	vio_split_dev_publish_used(&d.r, 2);
	T_EQ(vio_vnet_rx_burst(vq2, m, 4), 2);
	rte_pktmbuf_free_bulk(m, 2);
	T_ASSERT(vio_vnet_vq_is_broken(vq2), "not broken");
	T_EQ(stats_of(vq2).err_used, 1);
	return 0;
}

static int
test_vnet_in_order_rejects_bad_entry_split(void)
{
	return in_order_bad_entry(false);
}

static int
test_vnet_in_order_rejects_bad_entry_packed(void)
{
	return in_order_bad_entry(true);
}

/* ------------------------------------------------------------------------ */
/* VIRTIO_F_RING_INDIRECT_DESC                                               */
/* ------------------------------------------------------------------------ */

/*
 * Transmit with indirect tables (the header in a descriptor of its own: no
 * headroom): a chained mbuf (the header and 2 to 7 segments) takes one ring
 * slot through its table, so the ring holds as
 * many of them as it has slots; the header and one segment, and chains of
 * more than 8 descriptors, go direct. Lap after lap, so the tables are
 * reused; every frame checked where the device reads it.
 */
static int
tx_indirect(bool packed, bool in_order)
{
	static uint8_t frame[FRAME], out[FRAME + 64];
	const uint64_t f = BASE | VIO_BIT(VIO_F_RING_INDIRECT_DESC) |
			   (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0) |
			   (in_order ? VIO_BIT(VIO_F_IN_ORDER) : 0);
	struct chain c[RING], spare;
	uint32_t lens[RING] = { 0 }, round, n;
	struct dev d;
	VQ(vq, false, f, 0);

	dev_init(&d, vq, packed);
	for (round = 0; round < 5; round++) {
		struct rte_mbuf *m[RING];
		uint16_t i;

		/* A full ring of 4-segment frames: one slot each. */
		for (i = 0; i < RING; i++) {
			frame_build(frame, 1000, false, true, round * RING + i);
			m[i] = mbuf_from_hr(frame, 1000, 250, 0);
			T_ASSERT(m[i] != NULL, "no mbuf");
		}
		T_EQ(vio_vnet_tx_burst(vq, m, RING), RING);
		for (i = 0; i < RING; i++) {
			T_EQ(dev_take(&d, &c[i]), 0);
			T_EQ(c[i].nb_map, 1);
			T_EQ(c[i].nb_desc, 1);
			T_EQ(c[i].nb_segs, 5);
			n = chain_read(&c[i], out, sizeof(out));
			frame_build(frame, 1000, false, true, round * RING + i);
			T_EQ(n, HDR_LEN + 1000);
			T_ASSERT(memcmp(out + HDR_LEN, frame, 1000) == 0, "round %u frame %u",
				 round, i);
		}
		T_EQ(dev_take(&d, &spare), -1);
		dev_used(&d, c, lens, RING, in_order);
		/* One segment: direct, two descriptors; nine segments: direct too. */
		for (i = 0; i < 2; i++) {
			uint32_t seg = i == 0 ? 2048 : 112;

			frame_build(frame, 1000, false, true, i);
			m[0] = mbuf_from_hr(frame, 1000, seg, 0);
			T_ASSERT(m[0] != NULL, "no mbuf");
			T_EQ(vio_vnet_tx_burst(vq, m, 1), 1);
			T_EQ(dev_take(&d, &c[0]), 0);
			T_EQ(c[0].nb_map, 0);
			T_EQ(c[0].nb_segs, i == 0 ? 2 : 10);
			T_EQ(c[0].nb_desc, packed ? c[0].nb_segs : 1);
			n = chain_read(&c[0], out, sizeof(out));
			T_EQ(n, HDR_LEN + 1000);
			T_ASSERT(memcmp(out + HDR_LEN, frame, 1000) == 0, "round %u direct %u",
				 round, i);
			dev_used(&d, c, lens, 1, false);
		}
	}
	T_EQ(stats_of(vq).indirect, 5 * RING);
	T_EQ(stats_of(vq).packets, 5 * (RING + 2));
	T_ASSERT(!vio_vnet_vq_is_broken(vq), "broken");
	return 0;
}

static int
test_vnet_tx_indirect_split(void)
{
	return tx_indirect(false, false);
}

static int
test_vnet_tx_indirect_packed(void)
{
	return tx_indirect(true, false);
}

static int
test_vnet_tx_indirect_in_order_split(void)
{
	return tx_indirect(false, true);
}

static int
test_vnet_tx_indirect_in_order_packed(void)
{
	return tx_indirect(true, true);
}

/*
 * The header pushed into the first segment's headroom: one descriptor for
 * header and frame where the mbuf is the queue's alone to write (direct,
 * refcnt 1, headroom for the header) and the layout is free (VERSION_1 or
 * ANY_LAYOUT); a descriptor of its own otherwise. A ring of 16 then holds 16
 * one-segment frames, not 8. What the device reads is the same either way,
 * the checksum request in the header included.
 */
static int
tx_push(uint64_t f, bool want_push)
{
	static uint8_t frame[FRAME], out[FRAME + 64];
	const uint32_t hdr_len = vio_net_hdr_len(f), zero = 0;
	const uint16_t fit = want_push ? RING : RING / 2;
	struct rte_mbuf *m[RING + 1], *shared = NULL;
	struct chain c;
	struct dev d;
	uint16_t i, kind;
	VQ(vq, false, f, 0);

	dev_init(&d, vq, false);
	for (i = 0; i <= RING; i++) {
		frame_build(frame, 100, false, true, i);
		m[i] = mbuf_from(frame, 100, 2048);
		T_ASSERT(m[i] != NULL, "no mbuf");
	}
	T_EQ(vio_vnet_tx_burst(vq, m, RING + 1), fit);
	rte_pktmbuf_free_bulk(&m[fit], RING + 1 - fit);
	for (i = 0; i < fit; i++) {
		T_EQ(dev_take(&d, &c), 0);
		T_EQ(c.nb_segs, want_push ? 1 : 2);
		T_EQ(chain_read(&c, out, sizeof(out)), hdr_len + 100);
		frame_build(frame, 100, false, true, i);
		T_ASSERT(memcmp(out + hdr_len, frame, 100) == 0, "frame %u", i);
		dev_used(&d, &c, &zero, 1, false);
	}
	if (!want_push)
		return 0;
	/*
	 * Too little headroom, and a shared mbuf (another owner's bytes): the
	 * header on its own. A checksum request: pushed, in the header.
	 */
	for (kind = 0; kind < 3; kind++) {
		frame_build(frame, 100, false, true, kind);
		m[0] = mbuf_from_hr(frame, 100, 2048, kind == 0 ? (uint16_t)(hdr_len - 1) : 64);
		T_ASSERT(m[0] != NULL, "no mbuf");
		if (kind == 1) {
			rte_mbuf_refcnt_update(m[0], 1);
			shared = m[0];
		}
		if (kind == 2) {
			m[0]->l2_len = L2;
			m[0]->l3_len = L3_V4;
			m[0]->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
		}
		T_EQ(vio_vnet_tx_burst(vq, m, 1), 1);
		T_EQ(dev_take(&d, &c), 0);
		T_EQ(c.nb_segs, kind == 2 ? 1 : 2);
		T_EQ(chain_read(&c, out, sizeof(out)), hdr_len + 100);
		if (kind == 2) {
			const struct vio_net_hdr *h = (const struct vio_net_hdr *)out;

			T_EQ(h->flags, VIO_NET_HDR_F_NEEDS_CSUM);
			T_EQ(h->csum_start, L2 + L3_V4);
		} else {
			T_ASSERT(memcmp(out + hdr_len, frame, 100) == 0, "kind %u", kind);
		}
		dev_used(&d, &c, &zero, 1, false);
	}
	/* A burst reclaims what the device used: the shared mbuf is the other owner's again. */
	T_EQ(vio_vnet_tx_burst(vq, m, 0), 0);
	T_EQ(rte_mbuf_refcnt_read(shared), 1);
	rte_pktmbuf_free(shared);
	T_ASSERT(!vio_vnet_vq_is_broken(vq), "broken");
	return 0;
}

static int
test_vnet_tx_header_pushed_into_headroom(void)
{
	return tx_push(BASE | VIO_BIT(VIO_NET_F_CSUM), true);
}

static int
test_vnet_tx_header_own_descriptor_when_framed(void)
{
	/* Legacy without ANY_LAYOUT: the header must be a descriptor of its own. */
	return tx_push(VIO_BIT(VIO_NET_F_MRG_RXBUF), false);
}

/* Without the feature every chain is direct, and the ring holds what its slots hold. */
static int
test_vnet_tx_no_indirect_without_feature(void)
{
	static uint8_t frame[FRAME];
	struct rte_mbuf *m[4];
	struct chain c;
	struct dev d;
	uint16_t i;
	VQ(vq, false, BASE | VIO_BIT(VIO_F_RING_PACKED), 0);

	dev_init(&d, vq, true);
	frame_build(frame, 1000, false, true, 0);
	for (i = 0; i < 4; i++) {
		m[i] = mbuf_from_hr(frame, 1000, 250, 0);
		T_ASSERT(m[i] != NULL, "no mbuf");
	}
	T_EQ(vio_vnet_tx_burst(vq, m, 4), 3); /* 5 slots each, 16 in the ring */
	T_EQ(stats_of(vq).no_room, 1);
	rte_pktmbuf_free(m[3]);
	for (i = 0; i < 3; i++) {
		T_EQ(dev_take(&d, &c), 0);
		T_EQ(c.nb_map, 0);
		T_EQ(c.nb_desc, 5);
	}
	T_EQ(stats_of(vq).indirect, 0);
	return 0;
}

/* Last: every queue freed every mbuf it held, and every case its own. */
static int
test_vnet_no_mbuf_leaked(void)
{
	T_EQ(rte_mempool_avail_count(pool), pool_before);
	return 0;
}

/* ------------------------------------------------------------------------ */

static const struct vio_test_case cases[] = {
	VIO_TEST(test_vnet_tx_csum_in_header_split),
	VIO_TEST(test_vnet_tx_csum_in_header_packed),
	VIO_TEST(test_vnet_tx_csum_in_software_without_csum),
	VIO_TEST(test_vnet_tx_tso_header),
	VIO_TEST(test_vnet_tx_refuses_what_the_device_cannot_take),
	VIO_TEST(test_vnet_tx_refuses_too_many_segments),
	VIO_TEST(test_vnet_rx_csum_split),
	VIO_TEST(test_vnet_rx_csum_packed),
	VIO_TEST(test_vnet_rx_csum_mergeable_split),
	VIO_TEST(test_vnet_rx_csum_mergeable_packed),
	VIO_TEST(test_vnet_rx_rejects_flags_without_guest_csum),
	VIO_TEST(test_vnet_rx_rejects_unknown_flags),
	VIO_TEST(test_vnet_rx_rejects_gso),
	VIO_TEST(test_vnet_rx_rejects_csum_beyond_packet),
	VIO_TEST(test_vnet_rx_in_order_batches_split),
	VIO_TEST(test_vnet_rx_in_order_batches_packed),
	VIO_TEST(test_vnet_tx_in_order_batches_split),
	VIO_TEST(test_vnet_tx_in_order_batches_packed),
	VIO_TEST(test_vnet_in_order_rejects_bad_entry_split),
	VIO_TEST(test_vnet_in_order_rejects_bad_entry_packed),
	VIO_TEST(test_vnet_tx_indirect_split),
	VIO_TEST(test_vnet_tx_indirect_packed),
	VIO_TEST(test_vnet_tx_indirect_in_order_split),
	VIO_TEST(test_vnet_tx_indirect_in_order_packed),
	VIO_TEST(test_vnet_tx_no_indirect_without_feature),
	VIO_TEST(test_vnet_tx_header_pushed_into_headroom),
	VIO_TEST(test_vnet_tx_header_own_descriptor_when_framed),
	VIO_TEST(test_vnet_no_mbuf_leaked),
};

int
main(int argc, char **argv)
{
	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_vnet", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	pool_before = rte_mempool_avail_count(pool);
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}
