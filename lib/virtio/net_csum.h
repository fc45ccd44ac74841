/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_NET_CSUM_H
#define VIO_NET_CSUM_H

/*
 * The net header's partial checksum (virtio 1.2, 5.1.6.2 and 5.1.6.4:
 * NEEDS_CSUM, csum_start, csum_offset) completed in software, in an mbuf.
 * Both sides need it: the engine completes what a guest's driver left
 * partial, the frontend role's queues (lib/vnet) what a device left partial,
 * each when the application did not say it would. Private and inline, like
 * the ring primitives; no allocation.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

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

#endif /* VIO_NET_CSUM_H */
