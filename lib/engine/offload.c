/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Software checksums and TCP segmentation, for the packets whose offloads
 * one side asked for and the other side cannot take (offload.h).
 */

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "net_offload.h"
#include "offload.h"
#include "vq_internal.h"

/*
 * Longest header run a segment repeats (link, IP and TCP headers). Ethernet
 * with two VLAN tags (22), IPv6 with extension headers, TCP with options
 * (60); a longer one is refused.
 */
#define SEG_HDR_MAX 256

#define TCP_FLAGS_LAST_ONLY  (RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG)
#define TCP_FLAGS_FIRST_ONLY RTE_TCP_CWR_FLAG

/* Fold a 32-bit one's complement sum to 16 bits. */
static inline uint16_t
csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The one's complement sum of the TCP/UDP pseudo-header (RFC 793, RFC 8200 8.1). */
static uint32_t
phdr_sum(const uint8_t *l3, bool v6, uint8_t proto, uint32_t l4_bytes)
{
	uint32_t sum;

	if (v6) {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)l3;

		sum = rte_raw_cksum(ip->src_addr, sizeof(ip->src_addr) + sizeof(ip->dst_addr));
	} else {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

		sum = rte_raw_cksum(&ip->src_addr, sizeof(ip->src_addr) + sizeof(ip->dst_addr));
	}
	/* The length and the protocol as big-endian words, summed as the packet's words are. */
	sum += rte_cpu_to_be_16((uint16_t)(l4_bytes >> 16)) + rte_cpu_to_be_16((uint16_t)l4_bytes);
	sum += rte_cpu_to_be_16(proto);
	return sum;
}

/* The full TCP checksum of a segment whose headers start at @p l3 in its first mbuf. */
static int
tcp_csum_full(struct rte_mbuf *s, const uint8_t *l3, bool v6, uint32_t l4_off)
{
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(s, struct rte_tcp_hdr *, l4_off);
	uint32_t l4_bytes = s->pkt_len - l4_off;
	uint16_t raw;

	th->cksum = 0;
	if (rte_raw_cksum_mbuf(s, l4_off, l4_bytes, &raw) != 0)
		return -EINVAL;
	th->cksum = (uint16_t)~csum_fold(phdr_sum(l3, v6, IPPROTO_TCP, l4_bytes) + raw);
	return 0;
}

/* Append @p len bytes of @p src from offset @p off to the packet @p dst, chaining mbufs. */
static int
mbuf_append_from(struct rte_mbuf *dst, struct rte_mempool *mp, const struct rte_mbuf *src,
		 uint32_t off, uint32_t len)
{
	struct rte_mbuf *last = rte_pktmbuf_lastseg(dst);

	while (src != NULL && off >= src->data_len) {
		off -= src->data_len;
		src = src->next;
	}
	while (len > 0) {
		uint32_t n;

		if (src == NULL)
			return -EINVAL;
		if (rte_pktmbuf_tailroom(last) == 0) {
			struct rte_mbuf *next = rte_pktmbuf_alloc(mp);

			if (next == NULL)
				return -ENOMEM;
			last->next = next;
			last = next;
			dst->nb_segs++;
		}
		n = RTE_MIN(len, (uint32_t)src->data_len - off);
		n = RTE_MIN(n, (uint32_t)rte_pktmbuf_tailroom(last));
		memcpy(rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len),
		       rte_pktmbuf_mtod_offset(src, const uint8_t *, off), n);
		last->data_len += n;
		dst->pkt_len += n;
		len -= n;
		off += n;
		if (off == src->data_len) {
			src = src->next;
			off = 0;
		}
	}
	return 0;
}

/* Fix the copied headers of segment @p i (payload @p len bytes at @p off of the original). */
static int
seg_headers_fix(struct rte_mbuf *s, const struct rte_mbuf *m, bool v6, unsigned int i, bool last,
		uint32_t off, uint32_t len)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(s, uint8_t *, m->l2_len);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(l3 + m->l3_len);
	uint8_t flags = th->tcp_flags;

	if (v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		/* Extension headers count in the payload length (RFC 8200, 3). */
		ip->payload_len =
			rte_cpu_to_be_16((uint16_t)(m->l3_len - sizeof(*ip) + m->l4_len + len));
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		ip->total_length = rte_cpu_to_be_16((uint16_t)(m->l3_len + m->l4_len + len));
		ip->packet_id = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->packet_id) + i));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	th->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + off);
	if (!last)
		flags &= (uint8_t)~TCP_FLAGS_LAST_ONLY;
	if (i != 0)
		flags &= (uint8_t)~TCP_FLAGS_FIRST_ONLY;
	th->tcp_flags = flags;
	return tcp_csum_full(s, l3, v6, m->l2_len + m->l3_len);
}

int
vq_tso_segment(const struct rte_mbuf *m, bool v6, uint16_t mss, struct rte_mempool *mp,
	       struct rte_mbuf **out, unsigned int max)
{
	uint32_t hdr = (uint32_t)m->l2_len + m->l3_len + m->l4_len;
	uint8_t hbuf[SEG_HDR_MAX];
	const void *h;
	uint32_t payload, off;
	unsigned int n, i;
	int ret;

	if (mss == 0 || m->l4_len < sizeof(struct rte_tcp_hdr) || hdr > SEG_HDR_MAX ||
	    hdr > m->pkt_len ||
	    m->l3_len < (v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr)))
		return -EINVAL;
	payload = m->pkt_len - hdr;
	n = payload == 0 ? 1 : (payload + mss - 1) / mss;
	if (n > max)
		return -E2BIG;
	h = rte_pktmbuf_read(m, 0, hdr, hbuf);
	if (h == NULL)
		return -EINVAL;
	for (i = 0, off = 0; i < n; i++, off += mss) {
		uint32_t len = RTE_MIN((uint32_t)mss, payload - off);
		struct rte_mbuf *s = rte_pktmbuf_alloc(mp);
		char *p;

		if (s == NULL) {
			ret = -ENOMEM;
			goto err_free;
		}
		out[i] = s;
		/* A segment's headers stay in its first mbuf, where the fixes below find them. */
		p = rte_pktmbuf_append(s, (uint16_t)hdr);
		if (p == NULL) {
			ret = -EINVAL;
			i++;
			goto err_free;
		}
		memcpy(p, h, hdr);
		ret = mbuf_append_from(s, mp, m, hdr + off, len);
		if (ret == 0)
			ret = seg_headers_fix(s, m, v6, i, i + 1 == n, off, len);
		if (ret < 0) {
			i++;
			goto err_free;
		}
		s->packet_type = m->packet_type;
		s->l2_len = m->l2_len;
		s->l3_len = m->l3_len;
		s->l4_len = m->l4_len;
		s->port = m->port;
	}
	return (int)n;

err_free:
	rte_pktmbuf_free_bulk(out, i);
	return ret;
}

enum vq_rx_ol
vq_rx_offload(struct vio_vq *vq, struct rte_mbuf *m, const struct vio_net_hdr *h)
{
	uint32_t ol = atomic_load_explicit(&vq->offloads, memory_order_relaxed);
	uint32_t ptype;
	bool layout;

	if (h->gso_type == VIO_NET_HDR_GSO_NONE && !(ol & VIO_VQ_OFFLOAD_RX_CSUM)) {
		/*
		 * Nobody reads the flags or the lengths: finish the checksum where
		 * the guest says, without parsing (it halves the cost of a 64-byte
		 * packet).
		 */
		if (h->flags & VIO_NET_HDR_F_DATA_VALID)
			m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		if ((h->flags & VIO_NET_HDR_F_NEEDS_CSUM) && vio_net_csum_complete_hdr(m, h) == 0)
			vq->stats.csum_sw++;
		return VQ_RX_OL_DELIVER;
	}
	/* layout: the checksum is where the parsed TCP or UDP header has it. */
	ptype = vio_net_rx_parse(m, h, &layout);

	if (h->gso_type != VIO_NET_HDR_GSO_NONE) {
		bool v6 = (h->gso_type & ~VIO_NET_HDR_GSO_ECN) == VIO_NET_HDR_GSO_TCPV6;

		/* Only TCP GSO is negotiated (HOST_TSO4/6); the caller refused the rest. */
		if ((ptype & RTE_PTYPE_L4_MASK) != RTE_PTYPE_L4_TCP || !layout ||
		    (v6 ? !RTE_ETH_IS_IPV6_HDR(ptype) : !RTE_ETH_IS_IPV4_HDR(ptype))) {
			vq->stats.gso_dropped++;
			return VQ_RX_OL_DROP;
		}
		m->tso_segsz = h->gso_size;
		if (!(ol & VIO_VQ_OFFLOAD_RX_LRO))
			return VQ_RX_OL_SEGMENT; /* each segment gets full checksums */
		m->ol_flags |= RTE_MBUF_F_RX_LRO;
	}
	if (!(h->flags & VIO_NET_HDR_F_NEEDS_CSUM)) {
		if (h->flags & VIO_NET_HDR_F_DATA_VALID)
			m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		return VQ_RX_OL_DELIVER;
	}
	if ((ol & VIO_VQ_OFFLOAD_RX_CSUM) && layout) {
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE;
		return VQ_RX_OL_DELIVER;
	}
	/* Bounds checked before the copy: the field lies inside the packet. */
	if (vio_net_csum_complete(m, h->csum_start, h->csum_offset,
				  layout && (ptype & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_UDP) == 0)
		vq->stats.csum_sw++;
	if (ol & VIO_VQ_OFFLOAD_RX_CSUM)
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	return VQ_RX_OL_DELIVER;
}

/* The IPv4 header checksum, which virtio cannot offload: always in software. */
static int
ipv4_csum_sw(struct rte_mbuf *m)
{
	uint8_t buf[60]; /* the longest IPv4 header (IHL 15) */
	struct rte_ipv4_hdr *ip;
	uint16_t csum;

	if (m->l3_len < sizeof(*ip) || m->l3_len > sizeof(buf))
		return -EINVAL;
	ip = (struct rte_ipv4_hdr *)(uintptr_t)rte_pktmbuf_read(m, m->l2_len, m->l3_len, buf);
	if (ip == NULL)
		return -EINVAL;
	if (ip != (void *)buf) {
		memcpy(buf, ip, m->l3_len);
		ip = (struct rte_ipv4_hdr *)buf;
	}
	ip->hdr_checksum = 0;
	csum = rte_ipv4_cksum(ip);
	return vio_mbuf_write(m, m->l2_len + offsetof(struct rte_ipv4_hdr, hdr_checksum), &csum,
			      sizeof(csum));
}

int
vq_tx_offload(struct vio_vq *vq, struct rte_mbuf *m, struct vio_net_hdr *h)
{
	bool udp;

	if (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) {
		if (ipv4_csum_sw(m) == 0)
			vq->stats.csum_sw++;
		m->ol_flags &= ~RTE_MBUF_F_TX_IP_CKSUM; /* done: a retried packet is not redone */
	}
	switch (vio_net_tx_hdr(m, h, &udp)) {
	case VIO_NET_TX_ASK_TSO:
		if (vq->guest_csum &&
		    (m->ol_flags & RTE_MBUF_F_TX_IPV6 ? vq->guest_tso6 : vq->guest_tso4))
			return 0;
		memset(h, 0, sizeof(*h));
		return 1;
	case VIO_NET_TX_ASK_CSUM:
		if (vq->guest_csum)
			return 0;
		break;
	default:
		return 0;
	}
	/* No GUEST_CSUM: the guest gets the checksum complete. */
	if (vio_net_tx_csum_sw(m, h, udp) == 0)
		vq->stats.csum_sw++;
	return 0;
}
