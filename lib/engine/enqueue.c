/* SPDX-License-Identifier: BSD-3-Clause */

/* Host to guest: mbufs into the guest's receive buffers. */

#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "offload.h"
#include "vq_internal.h"

enum enq_result {
	ENQ_OK,
	ENQ_STOP,    /* burst ends here; the reason is counted */
	ENQ_SEGMENT, /* a TSO packet the guest cannot take whole: nothing taken yet */
};

/* The header's destination: up to hdr_len pieces of the first buffer. */
struct hdr_dst {
	uint32_t nb;
	struct vq_iov piece[sizeof(struct vio_net_hdr_mrg)];
};

/* Where the burst stood before a packet, to undo what it took when it cannot be completed. */
struct enq_mark {
	struct vq_avail_pos pos;
	struct vq_copy_mark copies;
	uint32_t shadow;
	uint16_t inf_free;
};

static __rte_always_inline struct enq_mark
enq_mark(const struct vio_vq *vq, const bool inflight, const struct vq_avail_pos *pos)
{
	return (struct enq_mark){ *pos, vq_copy_mark(vq), vq->nb_shadow,
				  inflight ? vq->inf_free_head : 0 };
}

static __rte_always_inline void
rollback(struct vio_vq *vq, const bool packed, const bool inflight, struct vq_avail_pos *pos,
	 const struct enq_mark *mk)
{
	*pos = mk->pos;
	vq_copy_rollback(vq, mk->copies);
	if (inflight)
		vq_inflight_rollback(vq, packed, mk->shadow, mk->inf_free);
	vq->nb_shadow = mk->shadow;
}

/*
 * Fill the pieces of one mapped chain: the header's bytes first (their places
 * are remembered, the header is written once num_buffers is known), then the
 * packet's. Returns the bytes the chain received.
 */
static __rte_always_inline uint32_t
fill_chain(struct vio_vq *vq, uint32_t nb_iov, struct hdr_dst *hd, uint32_t *hdr_left,
	   const struct rte_mbuf **seg, uint32_t *seg_off, uint32_t *pkt_left)
{
	uint32_t written = 0;
	uint32_t k;

	for (k = 0; k < nb_iov && (*hdr_left > 0 || *pkt_left > 0); k++) {
		struct vq_iov *io = &vq->iov[k];
		uint32_t off = 0;

		if (*hdr_left > 0) {
			uint32_t n = RTE_MIN(*hdr_left, io->len);

			hd->piece[hd->nb].hva = io->hva;
			hd->piece[hd->nb].len = n;
			hd->piece[hd->nb].gpa = io->gpa;
			hd->nb++;
			*hdr_left -= n;
			off = n;
		}
		while (*pkt_left > 0 && off < io->len) {
			uint32_t n = RTE_MIN(io->len - off, (*seg)->data_len - *seg_off);

			n = RTE_MIN(n, *pkt_left);
			vq_copy(vq, io->hva + off,
				rte_pktmbuf_mtod_offset(*seg, const uint8_t *, *seg_off), n);
			vio_mem_log(vq->mem, io->gpa + off, n);
			off += n;
			*seg_off += n;
			*pkt_left -= n;
			if (*seg_off == (*seg)->data_len && *pkt_left > 0) {
				*seg = (*seg)->next;
				*seg_off = 0;
				if (unlikely(*seg == NULL)) {
					/* pkt_len says more than the segments hold: send what exists. */
					*pkt_left = 0;
				}
			}
		}
		written += off;
	}
	return written;
}

static __rte_always_inline enum enq_result
enqueue_one(struct vio_vq *vq, struct rte_mbuf *m, const bool packed, const bool mrg,
	    const bool inflight, struct vq_avail_pos *pos, uint16_t avail_end)
{
	const struct enq_mark mk = enq_mark(vq, inflight, pos);
	struct vio_net_hdr_mrg hdr = { 0 };
	struct hdr_dst hd; /* not zeroed: ~290 bytes per packet, measured 30% of a 64 B enqueue */
	const struct rte_mbuf *seg = m;
	uint32_t seg_off = 0;
	uint32_t pkt_left = rte_pktmbuf_pkt_len(m);
	uint32_t hdr_left = vq->hdr_len;
	uint16_t nb_bufs = 0;
	const uint8_t *src = (const uint8_t *)&hdr;
	uint32_t k;

	hd.nb = 0;
	if (unlikely(m->ol_flags & VQ_TX_OL_MASK) && vq_tx_offload(vq, m, &hdr.hdr) != 0)
		return ENQ_SEGMENT;
	do {
		struct vq_chain c;
		uint32_t nb_iov;
		uint64_t cap;
		uint64_t *err;
		int ret;

		ret = vq_fetch(vq, packed, inflight, pos, avail_end, &c);
		if (ret == VQ_FETCH_EMPTY) {
			rollback(vq, packed, inflight, pos, &mk);
			vq->stats.no_buffers++;
			return ENQ_STOP;
		}
		if (unlikely(ret != 0)) {
			rollback(vq, packed, inflight, pos, &mk);
			if (vq->missed) /* an indirect table not in the IOTLB yet */
				vio_vq_iotlb_missed(vq);
			else
				vio_vq_break(vq, vq_ring_err_counter(vq, ret), "descriptor chain",
					     c.id);
			return ENQ_STOP;
		}
		err = vq_map_chain(vq, c.nb_segs, true, &nb_iov, &cap);
		if (unlikely(err == NULL && cap == 0))
			err = &vq->stats.err_zero_len;
		else if (unlikely(err == NULL && nb_bufs == 0 && cap <= vq->hdr_len))
			err = &vq->stats.err_short_chain;
		if (unlikely(err != NULL)) {
			rollback(vq, packed, inflight, pos, &mk);
			if (err == &vq->stats.iotlb_misses)
				vio_vq_iotlb_missed(vq);
			else
				vio_vq_break(vq, err, "receive chain head", c.id);
			return ENQ_STOP;
		}
		if (!mrg && cap < vq->hdr_len + (uint64_t)pkt_left) {
			rollback(vq, packed, inflight, pos, &mk);
			vq->stats.too_big++;
			return ENQ_STOP;
		}
		vq_used_add(vq, packed, inflight, &c,
			    fill_chain(vq, nb_iov, &hd, &hdr_left, &seg, &seg_off, &pkt_left));
		nb_bufs++;
	} while (mrg && pkt_left > 0);

	/* virtio 1.2, 5.1.6.4: num_buffers counts the buffers of this packet. */
	hdr.num_buffers = nb_bufs;
	if (likely(hd.nb == 1 && vq->hdr_len == sizeof(hdr) && vq->nb_hdrs < VIO_MAX_BURST)) {
		/*
		 * The usual layout: the whole header in the first piece. It goes
		 * with the burst's batch of small copies: written here, its line
		 * (which the guest last read) stalled every packet on its own.
		 */
		struct vio_net_hdr_mrg *h = &vq->hdrs[vq->nb_hdrs++];

		*h = hdr;
		vq_copy(vq, hd.piece[0].hva, h, sizeof(hdr));
		vio_mem_log(vq->mem, hd.piece[0].gpa, sizeof(hdr));
		hd.nb = 0;
	}
	for (k = 0; k < hd.nb; k++) {
		rte_memcpy(hd.piece[k].hva, src, hd.piece[k].len);
		vio_mem_log(vq->mem, hd.piece[k].gpa, hd.piece[k].len);
		src += hd.piece[k].len;
	}
	vq->stats.bytes += rte_pktmbuf_pkt_len(m);
	return ENQ_OK;
}

/*
 * A TSO packet the guest cannot take whole (no GUEST_TSO4/6 or no
 * GUEST_CSUM): segmented in software, from the packet's own pool, and sent as
 * that many packets, all or none. Inlined: out of line (noinline, cold) it
 * cost packed 64-byte enqueues 7% in a vio-bench A/B, by code layout alone.
 */
static __rte_always_inline enum enq_result
enqueue_segmented(struct vio_vq *vq, struct rte_mbuf *m, const bool packed, const bool mrg,
		  const bool inflight, struct vq_avail_pos *pos, uint16_t avail_end)
{
	const struct enq_mark mk = enq_mark(vq, inflight, pos);
	struct rte_mbuf *segs[VIO_VQ_GSO_SEGS_MAX];
	enum enq_result r = ENQ_OK;
	int n, k;

	if (unlikely(m->pool == NULL))
		n = -EINVAL;
	else
		n = vq_tso_segment(m, m->ol_flags & RTE_MBUF_F_TX_IPV6, m->tso_segsz, m->pool, segs,
				   RTE_DIM(segs));
	if (unlikely(n < 0)) {
		if (n == -ENOMEM) {
			vq->stats.mbuf_alloc_failed++;
			return ENQ_STOP;
		}
		/* Headers the flags misdescribe: the packet cannot be sent right. */
		vq->stats.gso_dropped++;
		return ENQ_OK;
	}
	for (k = 0; k < n && r == ENQ_OK; k++)
		r = enqueue_one(vq, segs[k], packed, mrg, inflight, pos, avail_end);
	if (r != ENQ_OK)
		rollback(vq, packed, inflight, pos, &mk);
	else
		vq_copy_flush(vq); /* the batched copies read the segments, freed now */
	rte_pktmbuf_free_bulk(segs, (unsigned int)n);
	if (r == ENQ_OK) {
		vq->stats.gso_sw++;
		vq->stats.gso_segments += n;
	}
	return r;
}

static __rte_always_inline uint16_t
enqueue(struct vio_vq *vq, struct rte_mbuf **pkts, uint16_t nb_pkts, const bool packed,
	const bool mrg, const bool inflight)
{
	struct vq_avail_pos pos = vq_burst_start(vq);
	uint16_t avail_end = 0;
	uint16_t i;

	if (unlikely(atomic_load_explicit(&vq->broken, memory_order_relaxed)))
		return 0;
	if (!packed) {
		int n = vio_split_dev_avail_count(&vq->split, vq->last_avail_idx);

		if (unlikely(n < 0)) {
			vio_vq_break(vq, &vq->stats.err_avail_idx, "avail->idx",
				     vio_load_relaxed_u16(&vq->split.avail->idx));
			return 0;
		}
		if (n == 0 && (!inflight || vq_resubmit_left(vq) == 0)) {
			vq->stats.no_buffers += nb_pkts > 0;
			return 0;
		}
		avail_end = (uint16_t)(vq->last_avail_idx + n);
	}
	nb_pkts = RTE_MIN(nb_pkts, VIO_MAX_BURST);
	for (i = 0; i < nb_pkts; i++) {
		if (i + 1 < nb_pkts)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		enum enq_result r = enqueue_one(vq, pkts[i], packed, mrg, inflight, &pos,
						avail_end);

		if (unlikely(r == ENQ_SEGMENT))
			r = enqueue_segmented(vq, pkts[i], packed, mrg, inflight, &pos, avail_end);
		if (r != ENQ_OK)
			break;
	}
	vq_burst_end(vq, inflight, &pos);
	vq_used_flush(vq, packed, inflight);
	if (i > 0) {
		vq->stats.packets += i;
		vq->stats.bursts++;
	}
	return i;
}

/*
 * One function per ring layout, mergeable setting and inflight tracking, so
 * that each inlines only the paths it takes: a queue without an inflight
 * region runs no tracking code at all.
 */
#define ENQUEUE_FN(name, packed, mrg, inflight)                                        \
	static __rte_noinline uint16_t name(struct vio_vq *vq, struct rte_mbuf **pkts, \
					    uint16_t nb)                               \
	{                                                                              \
		return enqueue(vq, pkts, nb, packed, mrg, inflight);                   \
	}
ENQUEUE_FN(enqueue_split, false, false, false)
ENQUEUE_FN(enqueue_split_mrg, false, true, false)
ENQUEUE_FN(enqueue_packed, true, false, false)
ENQUEUE_FN(enqueue_packed_mrg, true, true, false)
ENQUEUE_FN(enqueue_split_inflight, false, false, true)
ENQUEUE_FN(enqueue_split_mrg_inflight, false, true, true)
ENQUEUE_FN(enqueue_packed_inflight, true, false, true)
ENQUEUE_FN(enqueue_packed_mrg_inflight, true, true, true)

uint16_t
vio_vq_enqueue_burst(struct vio_vq *vq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	if (unlikely(vq->shadow_inf != NULL)) {
		if (vq->is_packed)
			return vq->mrg_rxbuf ? enqueue_packed_mrg_inflight(vq, pkts, nb_pkts)
					     : enqueue_packed_inflight(vq, pkts, nb_pkts);
		return vq->mrg_rxbuf ? enqueue_split_mrg_inflight(vq, pkts, nb_pkts)
				     : enqueue_split_inflight(vq, pkts, nb_pkts);
	}
	if (vq->is_packed)
		return vq->mrg_rxbuf ? enqueue_packed_mrg(vq, pkts, nb_pkts)
				     : enqueue_packed(vq, pkts, nb_pkts);
	return vq->mrg_rxbuf ? enqueue_split_mrg(vq, pkts, nb_pkts)
			     : enqueue_split(vq, pkts, nb_pkts);
}
