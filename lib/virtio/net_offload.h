/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_NET_OFFLOAD_H
#define VIO_NET_OFFLOAD_H

/*
 * The net header's offloads (virtio 1.2, 5.1.6.2 and 5.1.6.4: NEEDS_CSUM,
 * csum_start, csum_offset, DATA_VALID, gso_type) in mbuf terms, for both
 * sides: the engine is the device of a guest's driver, the frontend role's
 * queues (lib/vnet) the driver of another process's device, and each turns
 * ethdev's transmit requests into a header and a header into ethdev's receive
 * flags, or completes a partial checksum in software when the application
 * did not say it would. Private and inline, like the ring primitives; no
 * allocation.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vio_virtio.h"

/* Where the L4 checksum field lies in each header (csum_offset). */
#define VIO_NET_CSUM_OFF_TCP ((uint16_t)offsetof(struct rte_tcp_hdr, cksum))
#define VIO_NET_CSUM_OFF_UDP ((uint16_t)offsetof(struct rte_udp_hdr, dgram_cksum))

/* Write @p len bytes at offset @p off of the packet, across segments; 0 or -EINVAL. */
static inline int
vio_mbuf_write(struct rte_mbuf *m, uint32_t off, const void *src, uint32_t len)
{
	const uint8_t *s = src;

	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (len > 0 && m != NULL) {
		uint32_t n = RTE_MIN(len, (uint32_t)m->data_len - off);

		memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, off), s, n);
		s += n;
		len -= n;
		off = 0;
		m = m->next;
	}
	return len == 0 ? 0 : -EINVAL;
}

/*
 * Complete the Internet checksum of bytes @p start to the end of @p m into the
 * 16 bits at @p start + @p offset, which hold the pseudo-header sum (virtio's
 * NEEDS_CSUM and ethdev's TX checksum offload alike). @p udp: a sum of 0 is
 * sent as 0xffff (RFC 768). Returns 0, or -EINVAL when the field is not inside
 * the packet.
 */
static inline int
vio_net_csum_complete(struct rte_mbuf *m, uint32_t start, uint32_t offset, bool udp)
{
	uint16_t sum, csum;

	if (start > m->pkt_len || (uint64_t)start + offset + 2 > m->pkt_len)
		return -EINVAL;
	if (rte_raw_cksum_mbuf(m, start, m->pkt_len - start, &sum) != 0)
		return -EINVAL;
	csum = (uint16_t)~sum;
	if (udp && csum == 0)
		csum = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
	return vio_mbuf_write(m, start + offset, &csum, sizeof(csum));
}

/*
 * Complete the partial checksum of header @p h where it says, without
 * parsing: a field at UDP's offset is taken for UDP's (a 0 sent as 0xffff).
 */
static inline int
vio_net_csum_complete_hdr(struct rte_mbuf *m, const struct vio_net_hdr *h)
{
	return vio_net_csum_complete(m, h->csum_start, h->csum_offset,
				     h->csum_offset == VIO_NET_CSUM_OFF_UDP);
}

/*
 * Receive: parse @p m's headers into packet_type and l2/l3/l4_len, and say in
 * @p at_l4 whether header @p h's partial checksum is the TCP or UDP checksum
 * the parse found, where a consumer's transmit offload finishes it (false
 * without NEEDS_CSUM). Returns the packet type.
 */
static inline uint32_t
vio_net_rx_parse(struct rte_mbuf *m, const struct vio_net_hdr *h, bool *at_l4)
{
	struct rte_net_hdr_lens hl;
	uint32_t ptype = rte_net_get_ptype(
		m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
	bool tcp = (ptype & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_TCP;
	bool udp = (ptype & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_UDP;

	m->packet_type = ptype;
	m->l2_len = hl.l2_len;
	m->l3_len = hl.l3_len;
	m->l4_len = tcp || udp ? hl.l4_len : 0;
	*at_l4 = (h->flags & VIO_NET_HDR_F_NEEDS_CSUM) &&
		 h->csum_start == (uint32_t)hl.l2_len + hl.l3_len &&
		 ((tcp && h->csum_offset == VIO_NET_CSUM_OFF_TCP) ||
		  (udp && h->csum_offset == VIO_NET_CSUM_OFF_UDP));
	return ptype;
}

/* What an mbuf's transmit flags ask of the net header. */
enum vio_net_tx_ask {
	VIO_NET_TX_ASK_NONE = 0, /* nothing (SCTP's CRC32c included: no Internet checksum) */
	VIO_NET_TX_ASK_CSUM,     /* a partial TCP or UDP checksum */
	VIO_NET_TX_ASK_TSO,      /* TCP segmentation, with its partial checksum */
};

/*
 * Transmit: the net header @p h (zeroed) asks for what @p m's flags ask,
 * as ethdev's transmit offloads describe it (l2_len, l3_len, l4_len,
 * tso_segsz): NEEDS_CSUM at csum_start = l2_len + l3_len and the field's
 * offset; for TSO also gso_type by the IP version (RTE_MBUF_F_TX_IPV6),
 * gso_size and hdr_len. Whether the other side accepts it, and whether the
 * lengths fit the packet, is the caller's. @p udp: the checksum is UDP's.
 */
static inline enum vio_net_tx_ask
vio_net_tx_hdr(const struct rte_mbuf *m, struct vio_net_hdr *h, bool *udp)
{
	uint64_t ol = m->ol_flags;
	uint32_t start = (uint32_t)m->l2_len + m->l3_len;

	*udp = false;
	if (ol & RTE_MBUF_F_TX_TCP_SEG) {
		h->flags = VIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = (uint16_t)start;
		h->csum_offset = VIO_NET_CSUM_OFF_TCP;
		h->gso_type = ol & RTE_MBUF_F_TX_IPV6 ? VIO_NET_HDR_GSO_TCPV6
						      : VIO_NET_HDR_GSO_TCPV4;
		h->gso_size = m->tso_segsz;
		h->hdr_len = (uint16_t)(start + m->l4_len);
		return VIO_NET_TX_ASK_TSO;
	}
	switch (ol & RTE_MBUF_F_TX_L4_MASK) {
	case RTE_MBUF_F_TX_TCP_CKSUM:
		h->csum_offset = VIO_NET_CSUM_OFF_TCP;
		break;
	case RTE_MBUF_F_TX_UDP_CKSUM:
		h->csum_offset = VIO_NET_CSUM_OFF_UDP;
		*udp = true;
		break;
	default:
		return VIO_NET_TX_ASK_NONE;
	}
	h->flags = VIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)start;
	return VIO_NET_TX_ASK_CSUM;
}

/*
 * Transmit, when the other side takes complete packets only: complete the
 * checksum @p h asked for (vio_net_tx_hdr) in @p m, then clear the header
 * and the request (a retried packet is not redone). Returns 0 or -EINVAL.
 */
static inline int
vio_net_tx_csum_sw(struct rte_mbuf *m, struct vio_net_hdr *h, bool udp)
{
	int ret = vio_net_csum_complete(m, h->csum_start, h->csum_offset, udp);

	memset(h, 0, sizeof(*h));
	m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
	return ret;
}

#endif /* VIO_NET_OFFLOAD_H */
