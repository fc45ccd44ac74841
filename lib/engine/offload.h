/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_ENGINE_OFFLOAD_H
#define VIO_ENGINE_OFFLOAD_H

/*
 * The offload work one side asks for and the other cannot do: partial
 * checksums completed and TCP packets segmented in software. These are the
 * cold paths of both burst directions (a packet takes them only when a guest
 * asks for an offload the application did not enable, or the other way
 * round); doc/engine.md, "Offloads", has the table of who does what.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "vio_virtio.h"

struct vio_vq;

/* The mbuf transmit flags that ask the engine for work. */
#define VQ_TX_OL_MASK (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IP_CKSUM)

/* What a dequeued packet with a NEEDS_CSUM or GSO header is to become. */
enum vq_rx_ol {
	VQ_RX_OL_DELIVER, /* as it is now: checksum completed, or flagged for the consumer */
	VQ_RX_OL_SEGMENT, /* a GSO packet the consumer cannot take whole: segment it */
	VQ_RX_OL_DROP,    /* its headers contradict its gso_type: counted in gso_dropped */
};

/*
 * Guest to host, after the copy: honour @p h (checked already: the checksum
 * field lies inside the packet, the gso_type was negotiated) on @p m as the
 * queue's offloads say. Sets packet_type and l2/l3/l4_len, and tso_segsz for
 * a packet to segment.
 */
enum vq_rx_ol vq_rx_offload(struct vio_vq *vq, struct rte_mbuf *m, const struct vio_net_hdr *h);

/*
 * Host to guest, before the copy: turn @p m's transmit flags into @p h for
 * the offloads the guest accepted, or do the work in software on @p m.
 * Returns 0, or 1 when @p m is a TSO packet the guest cannot take whole (the
 * caller segments it with vq_tso_segment()).
 */
int vq_tx_offload(struct vio_vq *vq, struct rte_mbuf *m, struct vio_net_hdr *h);

/*
 * Segment the TCP packet @p m (l2_len, l3_len, l4_len describe its headers;
 * @p v6: IPv6, else IPv4) into packets of at most @p mss payload bytes, each
 * with its own IP length, IPv4 id and header checksum, TCP sequence number,
 * flags (FIN and PSH on the last only, CWR on the first only) and a full TCP
 * checksum. The segments come from @p mp; @p m is left as it is.
 *
 * Returns the number of segments stored in @p out, -EINVAL when the headers
 * do not fit the packet, -E2BIG when it would make more than @p max, or
 * -ENOMEM (nothing is left allocated).
 */
int vq_tso_segment(const struct rte_mbuf *m, bool v6, uint16_t mss, struct rte_mempool *mp,
		   struct rte_mbuf **out, unsigned int max);

#endif /* VIO_ENGINE_OFFLOAD_H */
