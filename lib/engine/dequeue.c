/* SPDX-License-Identifier: BSD-3-Clause */

/* Guest to host: the guest's transmit chains into mbufs. */

#include <rte_mbuf.h>

#include "offload.h"
#include "vq_internal.h"

enum deq_result {
	DEQ_OK,
	DEQ_STOP,    /* burst ends here; the reason is counted */
	DEQ_SEGMENT, /* the mbuf is a GSO packet to segment: the burst ends with its segments */
	DEQ_DROP,    /* the chain is consumed, its packet dropped and counted: the mbuf is free */
};

/*
 * Check the guest's offload request (virtio 1.2, 5.1.6.2.1). Returns NULL, or
 * the error counter of a header the specification does not allow: a checksum
 * field outside the packet, a GSO type the device did not offer, GSO without
 * NEEDS_CSUM or with a gso_size of 0.
 */
static __rte_always_inline uint64_t *
hdr_check(struct vio_vq *vq, const struct vio_net_hdr *h, uint32_t pkt_len, uint64_t *bad_value)
{
	if (h->flags & VIO_NET_HDR_F_NEEDS_CSUM) {
		/* The checksum field, 2 bytes at csum_start + csum_offset, lies in the packet. */
		if (unlikely((uint32_t)h->csum_start + h->csum_offset + 2 > pkt_len)) {
			*bad_value = (uint64_t)h->csum_start << 16 | h->csum_offset;
			return &vq->stats.err_csum_offset;
		}
	}
	if (h->gso_type != VIO_NET_HDR_GSO_NONE) {
		bool ok;

		switch (h->gso_type & ~VIO_NET_HDR_GSO_ECN) {
		case VIO_NET_HDR_GSO_TCPV4:
			ok = vq->host_tso4;
			break;
		case VIO_NET_HDR_GSO_TCPV6:
			ok = vq->host_tso6;
			break;
		default: /* UFO and USO are never offered */
			ok = false;
			break;
		}
		if (unlikely(!ok || h->gso_size == 0 || !(h->flags & VIO_NET_HDR_F_NEEDS_CSUM))) {
			*bad_value = (uint64_t)h->gso_type << 32 | (uint64_t)h->gso_size << 16 |
				     h->flags;
			return &vq->stats.err_gso;
		}
	}
	return NULL;
}

/* Gather the net header, which may be spread over several pieces (virtio 1.2, 2.6.4). */
static __rte_always_inline void
hdr_gather(const struct vio_vq *vq, struct vio_net_hdr_mrg *h, uint32_t *k, uint32_t *off)
{
	uint8_t *dst = (uint8_t *)h;
	uint32_t left = vq->hdr_len;

	*k = 0;
	*off = 0;
	if (likely(vq->iov[0].len >= sizeof(*h) && left == sizeof(*h))) {
		/* The usual layout: the whole header in the first piece, a fixed-size copy. */
		memcpy(h, vq->iov[0].hva, sizeof(*h));
		*off = sizeof(*h);
		if (vq->iov[0].len == sizeof(*h)) {
			*k = 1;
			*off = 0;
		}
		return;
	}
	while (left > 0) {
		const struct vq_iov *io = &vq->iov[*k];
		uint32_t n = RTE_MIN(left, io->len - *off);

		memcpy(dst, io->hva + *off, n);
		dst += n;
		left -= n;
		*off += n;
		if (*off == io->len) {
			(*k)++;
			*off = 0;
		}
	}
}

/*
 * Copy the packet bytes of the mapped chain, from piece @p k offset @p off,
 * into @p m, chaining mbufs from @p mp. Returns 0 or -ENOMEM.
 */
static __rte_always_inline int
copy_to_mbuf(struct vio_vq *vq, struct rte_mempool *mp, struct rte_mbuf *m, uint32_t nb_iov,
	     uint32_t k, uint32_t off, uint32_t pkt_len)
{
	struct rte_mbuf *cur = m;
	uint32_t room = rte_pktmbuf_tailroom(m);

	for (; k < nb_iov; k++, off = 0) {
		const struct vq_iov *io = &vq->iov[k];

		while (off < io->len) {
			uint32_t n;

			if (unlikely(room == 0)) {
				struct rte_mbuf *next = rte_pktmbuf_alloc(mp);

				if (unlikely(next == NULL))
					return -ENOMEM;
				cur->next = next;
				cur = next;
				m->nb_segs++;
				room = rte_pktmbuf_tailroom(cur);
			}
			n = RTE_MIN(room, io->len - off);
			vq_copy(vq, rte_pktmbuf_mtod_offset(cur, uint8_t *, cur->data_len),
				io->hva + off, n);
			cur->data_len += n;
			room -= n;
			off += n;
		}
	}
	m->pkt_len = pkt_len;
	return 0;
}

static __rte_always_inline enum deq_result
dequeue_one(struct vio_vq *vq, struct rte_mempool *mp, struct rte_mbuf *m, const bool packed,
	    const bool inflight, struct vq_avail_pos *pos, uint16_t avail_end)
{
	const struct vq_avail_pos start = *pos;
	const struct vq_copy_mark copies_mark = vq_copy_mark(vq);
	struct vio_net_hdr_mrg hdr;
	struct vq_chain c;
	uint64_t total, bad;
	uint64_t *err;
	uint32_t nb_iov, k, off, pkt_len;
	int ret;

	ret = vq_fetch(vq, packed, inflight, pos, avail_end, &c);
	if (ret == VQ_FETCH_EMPTY)
		return DEQ_STOP;
	if (unlikely(ret != 0)) {
		*pos = start;
		if (vq->missed) /* an indirect table not in the IOTLB yet */
			vio_vq_iotlb_missed(vq);
		else
			vio_vq_break(vq, vq_ring_err_counter(vq, ret), "descriptor chain", c.id);
		return DEQ_STOP;
	}
	err = vq_map_chain(vq, c.nb_segs, false, &nb_iov, &total);
	if (unlikely(err != NULL)) {
		*pos = start;
		if (err == &vq->stats.iotlb_misses)
			vio_vq_iotlb_missed(vq);
		else
			vio_vq_break(vq, err, "transmit chain head", c.id);
		return DEQ_STOP;
	}
	if (unlikely(total <= vq->hdr_len || total - vq->hdr_len > VIO_VQ_PKT_LEN_MAX)) {
		*pos = start;
		err = total == 0             ? &vq->stats.err_zero_len
		      : total <= vq->hdr_len ? &vq->stats.err_short_chain
					     : &vq->stats.err_pkt_len;
		vio_vq_break(vq, err, "transmit chain length", total);
		return DEQ_STOP;
	}
	pkt_len = (uint32_t)total - vq->hdr_len;
	hdr_gather(vq, &hdr, &k, &off);
	err = hdr_check(vq, &hdr.hdr, pkt_len, &bad);
	if (unlikely(err != NULL)) {
		*pos = start;
		vio_vq_break(vq, err, "net header", bad);
		return DEQ_STOP;
	}
	if (unlikely(copy_to_mbuf(vq, mp, m, nb_iov, k, off, pkt_len) != 0)) {
		*pos = start;
		vq_copy_rollback(vq, copies_mark);
		vq->stats.mbuf_alloc_failed++;
		return DEQ_STOP;
	}
	/* Transmit chains are read-only: the device wrote 0 bytes (virtio 1.2, 2.7.8). */
	vq_used_add(vq, packed, inflight, &c, 0);
	vq->stats.bytes += pkt_len;
	if (likely(hdr.hdr.flags == 0 && hdr.hdr.gso_type == VIO_NET_HDR_GSO_NONE))
		return DEQ_OK;
	/* The offload reads and writes the packet: its batched copies must have landed. */
	vq_copy_flush(vq);
	switch (vq_rx_offload(vq, m, &hdr.hdr)) {
	case VQ_RX_OL_SEGMENT:
		return DEQ_SEGMENT;
	case VQ_RX_OL_DROP:
		return DEQ_DROP;
	default:
		return DEQ_OK;
	}
}

/* An mbuf whose packet was dropped, made ready for the next chain of the burst. */
static __rte_cold void
mbuf_recycle(struct rte_mbuf *m)
{
	if (m->next != NULL)
		rte_pktmbuf_free(m->next);
	rte_pktmbuf_reset(m);
}

/* Hand over segments kept from an earlier burst, in order. */
static __rte_cold uint16_t
gso_stash_drain(struct vio_vq *vq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	uint16_t n = RTE_MIN(nb_pkts, vq->gso_stash_nb);

	memcpy(pkts, &vq->gso_stash[vq->gso_stash_head], n * sizeof(*pkts));
	vq->gso_stash_head += n;
	vq->gso_stash_nb -= n;
	return n;
}

/*
 * Segment the GSO packet at @p pkts[@p at] (the last of the burst; the slots
 * after it are free): its segments take its place and the free slots, the
 * rest wait in the stash for the next burst. Returns the burst's new count.
 */
static __rte_cold uint16_t
gso_deliver(struct vio_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t at,
	    uint16_t nb_pkts)
{
	struct rte_mbuf *m = pkts[at];
	uint32_t ol = atomic_load_explicit(&vq->offloads, memory_order_relaxed);
	int n = vq_tso_segment(m, RTE_ETH_IS_IPV6_HDR(m->packet_type), m->tso_segsz, mp,
			       vq->gso_stash, VIO_VQ_GSO_SEGS_MAX);
	int i;

	rte_pktmbuf_free(m);
	if (n <= 0) {
		if (n == -ENOMEM)
			vq->stats.mbuf_alloc_failed++;
		else
			vq->stats.gso_dropped++;
		return at;
	}
	for (i = 0; i < n; i++) {
		/* Each segment's checksums are complete: tell a consumer that asked. */
		if (ol & VIO_VQ_OFFLOAD_RX_CSUM)
			vq->gso_stash[i]->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD |
						      (RTE_ETH_IS_IPV4_HDR(m->packet_type)
							       ? RTE_MBUF_F_RX_IP_CKSUM_GOOD
							       : 0);
	}
	vq->stats.gso_sw++;
	vq->stats.gso_segments += n;
	vq->gso_stash_head = 0;
	vq->gso_stash_nb = (uint16_t)n;
	return at + gso_stash_drain(vq, pkts + at, nb_pkts - at);
}

static __rte_always_inline uint16_t
dequeue(struct vio_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t nb_pkts,
	const bool packed, const bool inflight)
{
	struct vq_avail_pos pos = vq_burst_start(vq);
	uint16_t avail_end = 0;
	bool segment = false;
	uint16_t i;

	/* Segments of a GSO packet that did not fit in the last burst come first. */
	if (unlikely(vq->gso_stash_nb != 0))
		return gso_stash_drain(vq, pkts, nb_pkts);
	if (unlikely(atomic_load_explicit(&vq->broken, memory_order_relaxed)))
		return 0;
	if (!packed) {
		int n = vio_split_dev_avail_count(&vq->split, vq->last_avail_idx);

		if (unlikely(n < 0)) {
			vio_vq_break(vq, &vq->stats.err_avail_idx, "avail->idx",
				     vio_load_relaxed_u16(&vq->split.avail->idx));
			return 0;
		}
		avail_end = (uint16_t)(vq->last_avail_idx + n);
		if (inflight)
			n += vq_resubmit_left(vq);
		nb_pkts = (uint16_t)RTE_MIN((int)nb_pkts, n);
	} else {
		/* Allocate no more mbufs than there are chains waiting. */
		uint16_t resub = inflight ? vq_resubmit_left(vq) : 0;

		nb_pkts = RTE_MIN(nb_pkts, VIO_MAX_BURST);
		if (likely(resub == 0))
			nb_pkts = vio_packed_dev_avail_slots(&vq->packed, pos.idx, pos.wrap,
							     nb_pkts);
		else
			nb_pkts = RTE_MIN(nb_pkts, resub); /* the ring's next chains, next burst */
	}
	nb_pkts = RTE_MIN(nb_pkts, VIO_MAX_BURST);
	if (nb_pkts == 0)
		return 0;
	if (unlikely(rte_pktmbuf_alloc_bulk(mp, pkts, nb_pkts) != 0)) {
		vq->stats.mbuf_alloc_failed++;
		return 0;
	}
	for (i = 0; i < nb_pkts;) {
		enum deq_result r = dequeue_one(vq, mp, pkts[i], packed, inflight, &pos, avail_end);

		if (likely(r == DEQ_OK)) {
			i++;
			continue;
		}
		if (r == DEQ_DROP) {
			mbuf_recycle(pkts[i]);
			continue;
		}
		if (r == DEQ_SEGMENT) {
			segment = true;
			i++;
		}
		break;
	}
	if (i < nb_pkts)
		rte_pktmbuf_free_bulk(&pkts[i], nb_pkts - i);
	vq_burst_end(vq, inflight, &pos);
	vq_used_flush(vq, packed, inflight);
	if (i > 0) {
		vq->stats.packets += i;
		vq->stats.bursts++;
	}
	if (unlikely(segment))
		i = gso_deliver(vq, mp, pkts, i - 1, nb_pkts);
	return i;
}

/* One function per ring layout and inflight tracking (see enqueue.c). */
#define DEQUEUE_FN(name, packed, inflight)                                             \
	static __rte_noinline uint16_t name(struct vio_vq *vq, struct rte_mempool *mp, \
					    struct rte_mbuf **pkts, uint16_t nb)       \
	{                                                                              \
		return dequeue(vq, mp, pkts, nb, packed, inflight);                    \
	}
DEQUEUE_FN(dequeue_split, false, false)
DEQUEUE_FN(dequeue_packed, true, false)
DEQUEUE_FN(dequeue_split_inflight, false, true)
DEQUEUE_FN(dequeue_packed_inflight, true, true)

uint16_t
vio_vq_dequeue_burst(struct vio_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts,
		     uint16_t nb_pkts)
{
	if (unlikely(vq->shadow_inf != NULL))
		return vq->is_packed ? dequeue_packed_inflight(vq, mp, pkts, nb_pkts)
				     : dequeue_split_inflight(vq, mp, pkts, nb_pkts);
	if (vq->is_packed)
		return dequeue_packed(vq, mp, pkts, nb_pkts);
	return dequeue_split(vq, mp, pkts, nb_pkts);
}
