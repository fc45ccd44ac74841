/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio-frontend-net: vio as the vhost-user frontend of a net backend (stock
 * DPDK net_vhost in test/peers/frontend-net-vhost.sh), through vio's own
 * pieces only: the generic frontend API for the control path
 * (vio_vhost_frontend.h), the driver-side virtio-net queues for the data
 * path (vio_vnet.h), DPDK's memory shared as the memory table.
 *
 * It sends --packets UDP/IPv4 frames of --size bytes, each with a sequence
 * number and a pattern, on queue pair 0 and receives what the backend sends
 * back (testpmd in macswap: the same frames, MACs swapped), keeping at most
 * a ring's worth in flight so that a correct backend drops none. Every frame
 * received is checked: its length, its pattern, its sequence number seen
 * once. Prints "sent N received N" and exits 0 when all came back intact.
 *
 *   vio-frontend-net EAL... -- SOCK [--packets N] [--size BYTES] [--mrg 0|1]
 *                                   [--packed 0|1] [--csum none|tx|rx]
 *                                   [--in-order 0|1|batched] [--segs N]
 *                                   [--indirect 0|1] [--tso MSS]
 *
 * --packed 1 asks for packed rings and fails unless the backend agrees;
 * --in-order 1 the same for VIRTIO_F_IN_ORDER, and --in-order batched
 * moreover fails unless the backend returned some buffers with the used
 * entry of a later one (net_vhost does on packed rings).
 *
 * --segs N sends each frame as a chain of N mbufs; --indirect 1 asks for
 * VIRTIO_F_RING_INDIRECT_DESC, fails unless it is negotiated, and with 2 to 7
 * segments every chain must have gone through an indirect table (on packed
 * rings GET_VRING_BASE must then show one slot a chain).
 *
 * --tso MSS: the frames are TCP/IPv4 instead, each sent as one TSO packet
 * (RTE_MBUF_F_TX_TCP_SEG, tso_segsz MSS: a GSO header; VIRTIO_NET_F_CSUM and
 * HOST_TSO4 must be negotiated, the backend's tso=1). What comes back is
 * checked whether the backend segmented it (vio's backend does, in
 * software, when its application takes no LRO) or not (net_vhost hands it on
 * whole): every frame's IPv4 and TCP checksums, its payload at the offset
 * its sequence number says, no frame above MSS bytes of payload when
 * segmented, and every byte of every packet back once.
 *
 * --csum: the frames carry a UDP checksum, checked on every frame that comes
 * back, and one side leaves it partial (virtio's NEEDS_CSUM):
 *   tx  vio sends it partial (RTE_MBUF_F_TX_UDP_CKSUM, the pseudo-header sum
 *       in the field: VIRTIO_NET_F_CSUM, which must be negotiated) and the
 *       backend completes it (net_vhost and vio's backend do when their
 *       application did not enable Rx checksum offload) before it sends the
 *       frame back complete;
 *   rx  the backend sends it partial (testpmd's csum engine, "csum set udp
 *       hw": VIRTIO_NET_F_GUEST_CSUM, which must be negotiated); vio completes
 *       it for the first half of the frames, and leaves it to the test with
 *       VIO_VNET_OFFLOAD_RX_CSUM for the rest, which must come flagged
 *       RTE_MBUF_F_RX_L4_CKSUM_NONE, the pseudo-header sum in the field.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vio_vhost_frontend.h"
#include "vio_virtio.h"
#include "vio_vnet.h"

#define RING        256
#define BURST       32
#define MAX_REGIONS 8
#define HDRS        (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))
#define MAX_SIZE    9000
#define TIMEOUT_S   20

enum csum_mode {
	CSUM_NONE,
	CSUM_TX, /* vio leaves the checksum partial, the backend completes it */
	CSUM_RX, /* the backend leaves it partial, vio completes it or flags it */
};

struct opts {
	const char *sock;
	uint64_t packets;
	uint32_t size;
	bool mrg;
	bool packed;
	enum csum_mode csum;
	int in_order; /* 0, 1, or 2: batched */
	uint16_t segs;
	bool indirect;
	uint16_t tso; /* MSS, 0: no TSO */
};

static uint8_t
pattern(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 13 + i * 7 + 1);
}

/* The Ethernet and IPv4 headers of a @p size-byte frame of protocol @p proto. */
static void
eth_ipv4_build(uint8_t *p, uint32_t size, uint8_t proto, uint16_t id)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);

	memset(p, 0x02, 6);
	memset(p + 6, 0x04, 6);
	p[12] = 0x08;
	p[13] = 0x00;
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(size - RTE_ETHER_HDR_LEN));
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(VIO_IPV4(192, 0, 2, 1));
	ip->dst_addr = rte_cpu_to_be_32(VIO_IPV4(192, 0, 2, 2));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/*
 * A UDP/IPv4 frame with @p seq in its first payload bytes, then the pattern;
 * with --csum a complete UDP checksum (none otherwise: 0).
 */
static void
frame_build(uint8_t *p, uint32_t size, uint64_t seq, bool csum)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *pl = (uint8_t *)(u + 1);
	uint32_t i;

	eth_ipv4_build(p, size, IPPROTO_UDP, 0);
	u->src_port = rte_cpu_to_be_16(9);
	u->dst_port = rte_cpu_to_be_16(9);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(size - RTE_ETHER_HDR_LEN - sizeof(*ip)));
	u->dgram_cksum = 0;
	memcpy(pl, &seq, sizeof(seq));
	for (i = sizeof(seq); i < size - HDRS; i++)
		pl[i] = pattern(seq, i);
	if (csum)
		u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
}

/* Frames that came back with a partial checksum (RTE_MBUF_F_RX_L4_CKSUM_NONE), as asked. */
static uint64_t partial;

/*
 * With --csum: the frame's UDP checksum must be right; or, when vio left it
 * partial (--csum rx, VIO_VNET_OFFLOAD_RX_CSUM), flagged so, with the headers
 * parsed and the pseudo-header sum in the field. Returns 0 or -1.
 */
static int
frame_csum_check(const struct rte_mbuf *m, const uint8_t *p, bool partial_asked)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)(ip + 1);
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	if (!partial_asked)
		return l4 == 0 && rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, HDRS - sizeof(*u)) == 0
			       ? 0
			       : -1;
	if (l4 != RTE_MBUF_F_RX_L4_CKSUM_NONE || m->l2_len != RTE_ETHER_HDR_LEN ||
	    m->l3_len != sizeof(*ip) || m->l4_len != sizeof(*u) ||
	    (m->packet_type & RTE_PTYPE_L4_MASK) != RTE_PTYPE_L4_UDP ||
	    u->dgram_cksum != rte_ipv4_phdr_cksum(ip, 0))
		return -1;
	partial++;
	return 0;
}

/*
 * Check a frame that came back (with --csum its checksum too, frame_csum_check);
 * returns its sequence number, or UINT64_MAX.
 */
static uint64_t
frame_check(const struct rte_mbuf *m, uint32_t size, bool csum, bool partial_asked)
{
	uint8_t buf[MAX_SIZE];
	const uint8_t *p;
	uint64_t seq;
	uint32_t i;

	if (m->pkt_len != size)
		return UINT64_MAX;
	p = rte_pktmbuf_read(m, 0, size, buf);
	memcpy(&seq, p + HDRS, sizeof(seq));
	for (i = sizeof(seq); i < size - HDRS; i++)
		if (p[HDRS + i] != pattern(seq, i))
			return UINT64_MAX;
	if (csum && frame_csum_check(m, p, partial_asked) < 0)
		return UINT64_MAX;
	return seq;
}

static int
parse(int argc, char **argv, struct opts *o)
{
	int i;

	o->packets = 100000;
	o->size = 64;
	o->mrg = true;
	o->packed = false;
	o->csum = CSUM_NONE;
	o->in_order = 0;
	o->segs = 1;
	o->indirect = false;
	o->tso = 0;
	if (argc < 1)
		return -1;
	o->sock = argv[0];
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--packets") == 0)
			o->packets = strtoull(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--size") == 0)
			o->size = (uint32_t)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--mrg") == 0)
			o->mrg = atoi(argv[i + 1]) != 0;
		else if (strcmp(argv[i], "--packed") == 0)
			o->packed = atoi(argv[i + 1]) != 0;
		else if (strcmp(argv[i], "--segs") == 0)
			o->segs = (uint16_t)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--tso") == 0)
			o->tso = (uint16_t)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--indirect") == 0)
			o->indirect = atoi(argv[i + 1]) != 0;
		else if (strcmp(argv[i], "--in-order") == 0)
			o->in_order = strcmp(argv[i + 1], "batched") == 0 ? 2
									  : atoi(argv[i + 1]) != 0;
		else if (strcmp(argv[i], "--csum") == 0 && strcmp(argv[i + 1], "none") == 0)
			o->csum = CSUM_NONE;
		else if (strcmp(argv[i], "--csum") == 0 && strcmp(argv[i + 1], "tx") == 0)
			o->csum = CSUM_TX;
		else if (strcmp(argv[i], "--csum") == 0 && strcmp(argv[i + 1], "rx") == 0)
			o->csum = CSUM_RX;
		else
			return -1;
	}
	return o->size >= HDRS + 8 && o->size <= MAX_SIZE && o->packets > 0 && o->segs >= 1 &&
			       o->segs <= 32 && o->size / o->segs > 0
		       ? 0
		       : -1;
}

struct dev {
	struct vio_vhost_frontend *fe;
	struct vio_vnet_vq *rxq, *txq;
	int kick[2], call[2];
	uint64_t features;
};

/* The control path: negotiate, share memory, set up vrings 0 (rx) and 1 (tx). */
static int
dev_setup(struct dev *d, const struct opts *o, struct rte_mempool *mp)
{
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 10000 };
	const uint64_t want = VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_RING_EVENT_IDX) |
			      VIO_BIT(VIO_VHOST_USER_F_PROTOCOL_FEATURES) |
			      (o->mrg ? VIO_BIT(VIO_NET_F_MRG_RXBUF) : 0) |
			      (o->packed ? VIO_BIT(VIO_F_RING_PACKED) : 0) |
			      (o->csum == CSUM_TX ? VIO_BIT(VIO_NET_F_CSUM) : 0) |
			      (o->csum == CSUM_RX ? VIO_BIT(VIO_NET_F_GUEST_CSUM) : 0) |
			      (o->in_order ? VIO_BIT(VIO_F_IN_ORDER) : 0) |
			      (o->indirect ? VIO_BIT(VIO_F_RING_INDIRECT_DESC) : 0) |
			      (o->tso ? VIO_BIT(VIO_NET_F_CSUM) | VIO_BIT(VIO_NET_F_HOST_TSO4) : 0);
	/* What the options ask for must be negotiated: a test of it must not pass without. */
	const uint64_t need = want &
			      (VIO_BIT(VIO_F_RING_PACKED) | VIO_BIT(VIO_NET_F_CSUM) |
			       VIO_BIT(VIO_NET_F_GUEST_CSUM) | VIO_BIT(VIO_F_IN_ORDER) |
			       VIO_BIT(VIO_F_RING_INDIRECT_DESC) | VIO_BIT(VIO_NET_F_HOST_TSO4));
	struct vio_vhost_frontend_region fr[MAX_REGIONS];
	struct vio_vnet_mem_region mr[MAX_REGIONS];
	uint64_t offer, pf;
	int n, i, q;

	d->fe = vio_vhost_frontend_connect(o->sock, &fc);
	if (d->fe == NULL)
		return -rte_errno;
	if (vio_vhost_frontend_get_features(d->fe, &offer) < 0 ||
	    vio_vhost_frontend_get_protocol_features(d->fe, &pf) < 0 ||
	    vio_vhost_frontend_set_protocol_features(
		    d->fe, pf & VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK)) < 0 ||
	    vio_vhost_frontend_set_owner(d->fe) < 0)
		return -EPROTO;
	d->features = offer & want;
	printf("features offered 0x%" PRIx64 ", negotiated 0x%" PRIx64 "\n", offer, d->features);
	if ((need & ~d->features) != 0) {
		fprintf(stderr, "features 0x%" PRIx64 " asked, the backend does not offer them\n",
			need & ~d->features);
		return -ENOTSUP;
	}
	if (vio_vhost_frontend_set_features(d->fe, d->features) < 0)
		return -EPROTO;
	n = vio_vnet_mem_regions(mr, MAX_REGIONS);
	if (n <= 0 || n > MAX_REGIONS) {
		fprintf(stderr, "memory: %d regions (1 to %d fit)\n", n, MAX_REGIONS);
		return -E2BIG;
	}
	for (i = 0; i < n; i++)
		fr[i] = (struct vio_vhost_frontend_region){ mr[i].va, mr[i].len, mr[i].va,
							    mr[i].offset, mr[i].fd };
	printf("memory table: %d region%s\n", n, n > 1 ? "s" : "");
	if (vio_vhost_frontend_set_mem_table(d->fe, fr, (unsigned int)n) < 0)
		return -EPROTO;
	for (q = 0; q < 2; q++) {
		struct vio_vnet_vq_config vc = { .name = q == 0 ? "rxq0" : "txq0",
						 .features = d->features,
						 .size = RING,
						 .rx = q == 0,
						 .mp = mp,
						 .socket_id = SOCKET_ID_ANY };
		uint64_t desc, avail, used;
		struct vio_vnet_vq *vq;

		d->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		d->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		vc.kickfd = d->kick[q];
		vq = vio_vnet_vq_create(&vc);
		if (vq == NULL)
			return -ENOMEM;
		if (q == 0)
			d->rxq = vq;
		else
			d->txq = vq;
		vio_vnet_vq_addrs(vq, &desc, &avail, &used);
		if (vio_vhost_frontend_set_vring_num(d->fe, q, RING) < 0 ||
		    vio_vhost_frontend_set_vring_base(d->fe, q, vio_vnet_vq_device_base(vq)) < 0 ||
		    vio_vhost_frontend_set_vring_addr(d->fe, q, desc, avail, used, false, 0) < 0 ||
		    vio_vhost_frontend_set_vring_call(d->fe, q, d->call[q]) < 0 ||
		    vio_vhost_frontend_set_vring_kick(d->fe, q, d->kick[q]) < 0 ||
		    vio_vhost_frontend_set_vring_enable(d->fe, q, true) < 0)
			return -EPROTO;
	}
	return 0;
}

/*
 * --csum tx: ask the frontend to leave the UDP checksum of @p m (frame at @p p)
 * to the device: ethdev's transmit contract, the pseudo-header sum in the field.
 */
static void
tx_partial(struct rte_mbuf *m, uint8_t *p)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(*ip);
	u->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
}

/* --tso: the TCP/IPv4 headers before the payload. */
#define TSO_HDRS (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr))

/*
 * --tso: packet @p seq as one TSO packet in @p m (frame at @p p): its
 * sequence number is seq << 16, so that a segment's says both the packet and
 * the payload offset; the L4 checksum field holds the pseudo-header sum
 * without the length, as ethdev's TSO wants.
 */
static void
tso_build(struct rte_mbuf *m, uint8_t *p, uint32_t size, uint64_t seq, uint16_t mss)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t i;

	eth_ipv4_build(p, size, IPPROTO_TCP, (uint16_t)seq);
	memset(t, 0, sizeof(*t));
	t->src_port = rte_cpu_to_be_16(1000);
	t->dst_port = rte_cpu_to_be_16(2000);
	t->sent_seq = rte_cpu_to_be_32((uint32_t)seq << 16);
	t->data_off = (sizeof(*t) / 4) << 4;
	t->tcp_flags = RTE_TCP_ACK_FLAG;
	t->rx_win = rte_cpu_to_be_16(65535);
	for (i = 0; i < size - TSO_HDRS; i++)
		p[TSO_HDRS + i] = pattern(seq, i);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_SEG;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(*ip);
	m->l4_len = sizeof(*t);
	m->tso_segsz = mss;
	t->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
}

/* --tso: frames back, and those with less payload than the whole packet (segments). */
static uint64_t tso_frames, tso_segments;

/*
 * --tso: check a frame that came back, a whole packet or a segment of one,
 * and count its payload in @p bytes. Returns 1 when its packet is complete,
 * 0 when more is to come, -1 for a bad frame.
 */
static int
tso_check(const struct rte_mbuf *m, const struct opts *o, uint32_t *bytes)
{
	uint8_t buf[MAX_SIZE];
	const uint32_t payload = o->size - TSO_HDRS;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *t;
	const uint8_t *p;
	uint32_t seq, off, len, i;
	uint64_t pkt;

	if (m->pkt_len < TSO_HDRS || m->pkt_len > o->size)
		return -1;
	p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	ip = (const struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	t = (const struct rte_tcp_hdr *)(ip + 1);
	len = m->pkt_len - TSO_HDRS;
	seq = rte_be_to_cpu_32(t->sent_seq);
	pkt = seq >> 16;
	off = seq & 0xffff;
	if (ip->next_proto_id != IPPROTO_TCP || rte_ipv4_cksum(ip) != 0 ||
	    rte_be_to_cpu_16(ip->total_length) != m->pkt_len - RTE_ETHER_HDR_LEN ||
	    rte_ipv4_udptcp_cksum_verify(ip, t) != 0 || pkt >= o->packets || off + len > payload ||
	    (len < payload && len > o->tso))
		return -1;
	for (i = 0; i < len; i++)
		if (p[TSO_HDRS + i] != pattern(pkt, off + i))
			return -1;
	tso_frames++;
	tso_segments += len < payload;
	bytes[pkt] += len;
	if (bytes[pkt] > payload)
		return -1;
	return bytes[pkt] == payload;
}

/* --segs: the frame in @p m as a chain of @p segs mbufs of @p mp; 0 or -ENOMEM. */
static int
frame_split(struct rte_mbuf *m, uint16_t segs, struct rte_mempool *mp)
{
	uint32_t len = m->pkt_len, per = (len + segs - 1) / segs, off = per;
	struct rte_mbuf *tail = m;

	while (off < len) {
		struct rte_mbuf *s = rte_pktmbuf_alloc(mp);
		uint32_t n = RTE_MIN(per, len - off);

		if (s == NULL)
			return -ENOMEM;
		memcpy(rte_pktmbuf_append(s, (uint16_t)n), rte_pktmbuf_mtod_offset(m, void *, off),
		       n);
		tail->next = s;
		tail = s;
		m->nb_segs++;
		off += n;
	}
	m->data_len = (uint16_t)RTE_MIN(per, len);
	return 0;
}

/* The data path: send, receive, check; a window of a ring's worth in flight. */
/* Received frames that came in several buffers (mergeable): the chaining path ran. */
static uint64_t multi_seg;

static int
traffic(struct dev *d, const struct opts *o, struct rte_mempool *mp)
{
	uint8_t *seen = calloc(o->packets, 1);
	uint32_t *bytes = calloc(o->packets, sizeof(*bytes));
	uint64_t sent = 0, got = 0, bad = 0, dup = 0, deadline;
	/* --tso: each packet may come back as this many frames, which the ring must hold. */
	uint32_t per = o->tso ? (o->size - TSO_HDRS + o->tso - 1) / o->tso : 1;
	struct rte_mbuf *pkts[BURST];
	bool partial_asked = false;
	uint16_t i, n;

	if (seen == NULL || bytes == NULL) {
		free(seen);
		free(bytes);
		return -ENOMEM;
	}
	deadline = rte_get_timer_cycles() + TIMEOUT_S * rte_get_timer_hz();
	while (got + bad < o->packets && rte_get_timer_cycles() < deadline) {
		uint16_t k = (uint16_t)RTE_MIN((uint64_t)BURST, o->packets - sent);

		if ((sent - got - bad + k) * per > RING / 2)
			k = (uint16_t)(sent - got - bad < RING / 2 / per ? 1 : 0);
		if (k > 0 && rte_pktmbuf_alloc_bulk(mp, pkts, k) == 0) {
			for (i = 0; i < k; i++) {
				uint8_t *p = (uint8_t *)rte_pktmbuf_append(pkts[i],
									   (uint16_t)o->size);

				if (p == NULL) { /* the pool's data room is sized for it */
					rte_pktmbuf_free_bulk(pkts, k);
					free(seen);
					free(bytes);
					return -ENOMEM;
				}
				if (o->tso)
					tso_build(pkts[i], p, o->size, sent + i, o->tso);
				else
					frame_build(p, o->size, sent + i, o->csum != CSUM_NONE);
				if (o->csum == CSUM_TX)
					tx_partial(pkts[i], p);
				if (o->segs > 1 && frame_split(pkts[i], o->segs, mp) < 0) {
					rte_pktmbuf_free_bulk(pkts, k);
					free(seen);
					free(bytes);
					return -ENOMEM;
				}
			}
			n = vio_vnet_tx_burst(d->txq, pkts, k);
			if (n < k)
				rte_pktmbuf_free_bulk(&pkts[n], k - n);
			sent += n;
		}
		/* --csum rx: the second half of the frames left partial by vio. */
		if (o->csum == CSUM_RX && !partial_asked && got >= o->packets / 2) {
			vio_vnet_vq_offloads_set(d->rxq, VIO_VNET_OFFLOAD_RX_CSUM);
			partial_asked = true;
		}
		n = vio_vnet_rx_burst(d->rxq, pkts, BURST);
		for (i = 0; i < n && o->tso; i++) {
			int r = tso_check(pkts[i], o, bytes);

			multi_seg += pkts[i]->nb_segs > 1;
			got += r > 0;
			bad += r < 0;
		}
		for (i = 0; i < n && !o->tso; i++) {
			uint64_t seq = frame_check(pkts[i], o->size, o->csum != CSUM_NONE,
						   partial_asked);

			multi_seg += pkts[i]->nb_segs > 1;
			if (seq >= o->packets)
				bad++;
			else if (seen[seq]++ != 0)
				dup++;
			else
				got++;
		}
		rte_pktmbuf_free_bulk(pkts, n);
		if (vio_vnet_vq_is_broken(d->rxq) || vio_vnet_vq_is_broken(d->txq))
			break;
	}
	free(seen);
	free(bytes);
	if (o->tso)
		printf("TSO: %" PRIu64 " frames back, %" PRIu64 " of them segments of at most %u "
		       "payload bytes\n",
		       tso_frames, tso_segments, o->tso);
	printf("sent %" PRIu64 " received %" PRIu64 " (bad %" PRIu64 ", duplicates %" PRIu64
	       ") of %u bytes\n",
	       sent, got, bad, dup, o->size);
	return sent == o->packets && got == o->packets && bad == 0 && dup == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct vio_vnet_vq_stats rs, ts;
	struct rte_mempool *mp, *rx_mp;
	struct dev d = { 0 };
	struct opts o;
	uint32_t base;
	bool ind;
	int n, ret;

	n = rte_eal_init(argc, argv);
	if (n < 0)
		return 1;
	if (parse(argc - n - 1, argv + n + 1, &o) < 0) {
		fprintf(stderr, "usage: vio-frontend-net EAL... -- SOCK [--packets N] "
				"[--size 50..9000] [--mrg 0|1] [--packed 0|1]\n");
		return 2;
	}
	/* Transmit mbufs hold a whole frame; receive buffers are DPDK's default 2 KiB,
	 * so that with mergeable buffers a larger frame spans several. */
	mp = rte_pktmbuf_pool_create("fe_net_tx", 4095, 256, 0,
				     (uint16_t)(RTE_MAX(o.size, 2048u) + RTE_PKTMBUF_HEADROOM),
				     SOCKET_ID_ANY);
	rx_mp = rte_pktmbuf_pool_create("fe_net_rx", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	if (mp == NULL || rx_mp == NULL)
		return 1;
	ret = dev_setup(&d, &o, rx_mp);
	if (ret < 0) {
		fprintf(stderr, "set-up failed: %s\n", strerror(-ret));
		return 1;
	}
	ret = traffic(&d, &o, mp);
	vio_vnet_vq_stats_get(d.rxq, &rs);
	vio_vnet_vq_stats_get(d.txq, &ts);
	printf("rxq0: %" PRIu64 " packets %" PRIu64 " bytes, %" PRIu64 " kicks, %" PRIu64
	       " err; txq0: %" PRIu64 " packets, %" PRIu64 " kicks, %" PRIu64 " no room\n",
	       rs.packets, rs.bytes, rs.kicks, rs.err_used, ts.packets, ts.kicks, ts.no_room);
	printf("received frames of several buffers: %" PRIu64 "\n", multi_seg);
	if (o.in_order)
		printf("in order: %" PRIu64 " rx and %" PRIu64
		       " tx buffers came back with the used entry of a later one\n",
		       rs.batched, ts.batched);
	if (o.in_order == 2 && rs.batched + ts.batched == 0)
		ret = -1;
	/* Indirect: a chain of the header and 2 to 7 segments takes one slot through its table. */
	ind = o.indirect && o.segs >= 2 && o.segs + 1 <= 8;
	if (o.indirect)
		printf("indirect: %" PRIu64 " of %" PRIu64 " chains through a table\n", ts.indirect,
		       ts.packets);
	if (ind != (ts.indirect == ts.packets) || (!ind && ts.indirect != 0))
		ret = -1;
	if (o.csum != CSUM_NONE)
		printf("UDP checksums: tx %" PRIu64 " completed by vio; rx %" PRIu64
		       " completed by vio, %" PRIu64 " left partial as asked\n",
		       ts.csum_sw, rs.csum_sw, partial);
	/* tx: every checksum went to the device; rx: every one came partial. */
	if (o.csum == CSUM_TX && ts.csum_sw != 0)
		ret = -1;
	if (o.csum == CSUM_RX &&
	    (rs.csum_sw == 0 || partial == 0 || rs.csum_sw + partial != o.packets))
		ret = -1;
	/* A frame larger than a 2 KiB receive buffer must have come in pieces (not a segment). */
	if ((d.features & VIO_BIT(VIO_NET_F_MRG_RXBUF)) && tso_segments == 0 &&
	    o.size + 12 > RTE_MBUF_DEFAULT_DATAROOM && multi_seg == 0) {
		printf("mergeable buffers negotiated, %u-byte frames, none in several buffers\n",
		       o.size);
		ret = -1;
	}
	/* Stop both vrings as a frontend does, and see where the device stands. */
	if (vio_vhost_frontend_get_vring_base(d.fe, 1, &base) == 0)
		printf("txq0 stopped at %u (%" PRIu64 " chains posted)\n", base, ts.packets);
	if (d.features & VIO_BIT(VIO_F_RING_PACKED)) {
		/* Packed: the slot past the last chain (header and segments, or one) and the wrap. */
		/* The header shares the first segment's descriptor with VERSION_1 (its headroom is free). */
		bool push = d.features & (VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_ANY_LAYOUT));
		uint64_t slots = (ind ? 1 : (push ? 0u : 1u) + o.segs) * ts.packets;
		uint32_t want = (uint32_t)(slots % RING) | (uint32_t)(((slots / RING) & 1) == 0)
								   << 15;

		/* vio's backend adds the used half in bits 16-31 (the vhost-user spec's packed form). */
		if ((base & 0xffff) != want || (base >> 16 != 0 && base >> 16 != want))
			ret = -1;
	} else if (base != (uint16_t)ts.packets) {
		ret = -1;
	}
	vio_vhost_frontend_close(d.fe);
	vio_vnet_vq_free(d.rxq);
	vio_vnet_vq_free(d.txq);
	printf("%s\n", ret == 0 ? "PASS" : "FAIL");
	return ret == 0 ? 0 : 1;
}
