/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The frontend role's virtio-net queues (vio_vnet.h): split or packed rings
 * in DPDK memory, driven from the driver side with lib/virtio's primitives.
 * The ring layout is one branch per call (ring_*), taken the same way for
 * the life of the queue.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>

#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "net_offload.h"
#include "packed_ring.h"
#include "split_ring.h"
#include "vio_virtio.h"
#include "vio_vnet.h"

RTE_LOG_REGISTER(vio_vnet_logtype, lib.vio.vnet, INFO);
#define VNET_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, vio_vnet_logtype, "vio_vnet: " fmt "\n", ##__VA_ARGS__)

/* Most descriptors one transmit chain takes: the header and 63 mbuf segments. */
#define TX_SEGS_MAX (VIO_VNET_TX_SEGS_MAX + 1)
/*
 * With VIRTIO_F_RING_INDIRECT_DESC, a transmit chain of 2 to 7 mbuf segments
 * (a 9000-byte frame in 2 KiB mbufs takes 6; with the header's own
 * descriptor at most TX_IND_MAX) goes through an indirect table and takes one ring slot;
 * each slot has its table, 128 bytes, made with the queue. A one-segment
 * frame stays direct (one descriptor with the header pushed into its
 * headroom, or two side by side), where a table would cost the device one
 * more translation and cache line a packet (reasoned, not measured).
 */
#define TX_IND_MIN_SEGS 2
#define TX_IND_MAX      8
/* The ring parts start on pages of their own (virtio 1.2, 2.7: 16, 2 and 4 bytes suffice). */
#define RING_ALIGN 4096
/* The mbuf transmit flags that ask for work in the net header. */
#define TX_OL_MASK (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)
/* Receive header flags VIRTIO_NET_F_GUEST_CSUM allows (RSC_INFO needs RSC_EXT). */
#define RX_HDR_FLAGS (VIO_NET_HDR_F_NEEDS_CSUM | VIO_NET_HDR_F_DATA_VALID)

struct vio_vnet_vq {
	/* Read-mostly. */
	struct vio_split_drv drv;   /* split rings */
	struct vio_packed_drv pdrv; /* packed rings */
	bool packed;
	bool in_order; /* VIRTIO_F_IN_ORDER: the _in_order ring primitives */
	bool indirect; /* tx: VIRTIO_F_RING_INDIRECT_DESC, the tables below */
	bool hdr_push; /* tx: the header may share the first segment's descriptor (any layout) */
	uint16_t size;
	bool rx;
	uint32_t hdr_len;
	bool mrg;
	bool csum;            /* tx: VIRTIO_NET_F_CSUM, partial checksums go to the device */
	bool tso4, tso6;      /* tx: HOST_TSO4/6 (CSUM too) */
	bool guest_csum;      /* rx: VIRTIO_NET_F_GUEST_CSUM, the device may flag checksums */
	atomic_uint offloads; /* rx: VIO_VNET_OFFLOAD_*, what the application finishes */
	int kickfd;
	struct rte_mempool *mp;
	uint8_t *ring_mem;
	char name[32];

	/* Owned by the polling lcore. */
	struct rte_mbuf **mbufs;         /* per descriptor id: what the device holds */
	struct vio_net_hdr_mrg *tx_hdrs; /* per id: the net header of a transmit chain */
	void *ind_tables;                /* tx: per id, TX_IND_MAX descriptors of 16 bytes */
	struct rte_mbuf *pend_head;      /* rx: a mergeable packet still arriving */
	struct rte_mbuf *pend_tail;
	uint16_t pend_left;
	struct vio_net_hdr pend_hdr; /* rx: its header, read once (flags 0: no offload) */
	atomic_bool broken;
	struct vio_vnet_vq_stats stats;
};

static uint64_t
va(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Where a receive buffer starts: the header room just before the mbuf's data. */
static uint8_t *
rx_buf(const struct vio_vnet_vq *vq, const struct rte_mbuf *m)
{
	return (uint8_t *)m->buf_addr + m->data_off - vq->hdr_len;
}

static uint32_t
rx_buf_len(const struct vio_vnet_vq *vq, const struct rte_mbuf *m)
{
	return (uint32_t)m->buf_len - m->data_off + vq->hdr_len;
}

/* @p counter: the one that names the reason (err_used, err_hdr). */
static __rte_cold void
vq_break(struct vio_vnet_vq *vq, uint64_t *counter, const char *what, uint64_t value)
{
	atomic_store_explicit(&vq->broken, true, memory_order_relaxed);
	(*counter)++;
	/* Once: the queue moves nothing from now on. */
	VNET_LOG(ERR, "%s: the device returned %s 0x%" PRIx64 "; queue stopped", vq->name, what,
		 value);
}

/* The ring, whichever its layout and order; @p ind: through the head's indirect table. */
static __rte_always_inline int
ring_post(struct vio_vnet_vq *vq, const struct vio_ring_buf *b, uint16_t n, bool ind)
{
	if (vq->packed)
		return vq->in_order ? vio_packed_drv_post_in_order(&vq->pdrv, b, n, ind)
				    : vio_packed_drv_post(&vq->pdrv, b, n, ind);
	return vq->in_order ? vio_split_drv_post_in_order(&vq->drv, b, n, ind)
			    : vio_split_drv_post(&vq->drv, b, n, ind);
}

static __rte_always_inline void
ring_publish(struct vio_vnet_vq *vq)
{
	if (vq->packed)
		vio_packed_drv_publish(&vq->pdrv);
	else
		vio_split_drv_publish(&vq->drv);
}

/*
 * 0: a buffer and the length the device wrote; 1 (in order only): a buffer
 * of a batch whose used entry named a later one, used completely, @p len not
 * set; -EAGAIN; -EPROTO.
 */
static __rte_always_inline int
ring_reap(struct vio_vnet_vq *vq, uint16_t *id, uint32_t *len)
{
	if (vq->packed)
		return vq->in_order ? vio_packed_drv_reap_in_order(&vq->pdrv, id, len)
				    : vio_packed_drv_reap(&vq->pdrv, id, len);
	return vq->in_order ? vio_split_drv_reap_in_order(&vq->drv, id, len)
			    : vio_split_drv_reap(&vq->drv, id, len);
}

static __rte_always_inline uint16_t
ring_nb_free(const struct vio_vnet_vq *vq)
{
	return vq->packed ? vq->pdrv.nb_free : vq->drv.nb_free;
}

/* The id the next posted chain gets. */
static __rte_always_inline uint16_t
ring_next_id(const struct vio_vnet_vq *vq)
{
	return vq->packed ? vq->pdrv.free_id : vq->drv.free_head;
}

/* The id of the used entry the next reap reads (for the log of a bad one). */
static uint16_t
ring_used_id(const struct vio_vnet_vq *vq)
{
	return vq->packed ? vq->pdrv.r.desc[vq->pdrv.last_used_idx].id
			  : vq->drv.r.used->ring[vq->drv.last_used_idx & vq->drv.r.mask].id;
}

/* A used entry the ring refused (-EPROTO): the queue stops. */
static __rte_cold void
used_refused(struct vio_vnet_vq *vq)
{
	vq_break(vq, &vq->stats.err_used,
		 vq->in_order ? "a used entry that names no buffer in flight, or a batch past "
				"used->idx (in order), at id"
			      : "a used id not in flight",
		 ring_used_id(vq));
}

static void
kick(struct vio_vnet_vq *vq)
{
	bool want = vq->packed ? vio_packed_drv_need_kick(&vq->pdrv)
			       : vio_split_drv_need_kick(&vq->drv);

	if (vq->kickfd >= 0 && want) {
		eventfd_write(vq->kickfd, 1);
		vq->stats.kicks++;
	}
}

/* Post up to @p n fresh receive buffers; returns how many went. */
static uint16_t
rx_refill(struct vio_vnet_vq *vq, uint16_t n)
{
	struct rte_mbuf *m[64];
	uint16_t done = 0;

	n = RTE_MIN(n, ring_nb_free(vq));
	while (done < n) {
		uint16_t k = RTE_MIN((uint16_t)(n - done), (uint16_t)RTE_DIM(m)), i;

		if (rte_pktmbuf_alloc_bulk(vq->mp, m, k) != 0) {
			vq->stats.mbuf_alloc_failed++;
			break;
		}
		for (i = 0; i < k; i++) {
			struct vio_ring_buf b = { va(rx_buf(vq, m[i])), rx_buf_len(vq, m[i]), 1 };
			int id = ring_post(vq, &b, 1, false);

			vq->mbufs[id] = m[i]; /* nb_free checked above: the post succeeds */
		}
		done += k;
	}
	if (done > 0) {
		ring_publish(vq);
		kick(vq);
	}
	return done;
}

struct vio_vnet_vq *
vio_vnet_vq_create(const struct vio_vnet_vq_config *cfg)
{
	struct vio_vnet_vq *vq;
	uint16_t size = cfg != NULL ? cfg->size : 0;
	size_t desc, avail, used;

	if (cfg == NULL || size < 2 || (size & (size - 1)) != 0 || (cfg->rx && cfg->mp == NULL)) {
		VNET_LOG(ERR, "%s: size %u (a power of two from 2)%s expected",
			 cfg != NULL && cfg->name != NULL ? cfg->name : "vq", size,
			 cfg != NULL && cfg->rx ? " and a mempool" : "");
		rte_errno = EINVAL;
		return NULL;
	}
	vq = rte_zmalloc_socket("vio_vnet_vq", sizeof(*vq), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (vq == NULL)
		goto err_nomem;
	snprintf(vq->name, sizeof(vq->name), "%s", cfg->name != NULL ? cfg->name : "vq");
	vq->rx = cfg->rx;
	vq->packed = cfg->features & VIO_BIT(VIO_F_RING_PACKED);
	vq->in_order = cfg->features & VIO_BIT(VIO_F_IN_ORDER);
	vq->indirect = !cfg->rx && (cfg->features & VIO_BIT(VIO_F_RING_INDIRECT_DESC));
	/* virtio 1.2, 2.7.4: with VERSION_1 (or ANY_LAYOUT) the device assumes no framing. */
	vq->hdr_push = !cfg->rx &&
		       (cfg->features & (VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_ANY_LAYOUT)));
	vq->size = size;
	vq->hdr_len = vio_net_hdr_len(cfg->features);
	vq->mrg = cfg->features & VIO_BIT(VIO_NET_F_MRG_RXBUF);
	vq->csum = cfg->features & VIO_BIT(VIO_NET_F_CSUM);
	vq->tso4 = vq->csum && (cfg->features & VIO_BIT(VIO_NET_F_HOST_TSO4));
	vq->tso6 = vq->csum && (cfg->features & VIO_BIT(VIO_NET_F_HOST_TSO6));
	vq->guest_csum = cfg->features & VIO_BIT(VIO_NET_F_GUEST_CSUM);
	atomic_init(&vq->offloads, cfg->offloads);
	vq->kickfd = cfg->kickfd;
	vq->mp = cfg->mp;
	if (vq->packed) {
		/* The descriptor ring, then the driver and the device event areas. */
		desc = RTE_ALIGN_CEIL(vio_vring_packed_desc_bytes(size), RING_ALIGN);
		avail = RTE_ALIGN_CEIL(sizeof(struct vio_vring_packed_event), 64);
		used = avail;
	} else {
		desc = RTE_ALIGN_CEIL(vio_vring_desc_bytes(size), RING_ALIGN);
		avail = RTE_ALIGN_CEIL(vio_vring_avail_bytes(size), RING_ALIGN);
		used = RTE_ALIGN_CEIL(vio_vring_used_bytes(size), RING_ALIGN);
	}
	/* The rings in DPDK memory, which the memory table shares with the device. */
	vq->ring_mem = rte_zmalloc_socket("vio_vnet_ring", desc + avail + used, RING_ALIGN,
					  cfg->socket_id);
	vq->mbufs = rte_zmalloc_socket("vio_vnet_mbufs", size * sizeof(*vq->mbufs), 0,
				       cfg->socket_id);
	vq->drv.chain_len = rte_zmalloc_socket("vio_vnet_chains", size * sizeof(uint16_t), 0,
					       cfg->socket_id);
	if (vq->packed)
		vq->pdrv.id_next = rte_zmalloc_socket("vio_vnet_ids", size * sizeof(uint16_t), 0,
						      cfg->socket_id);
	if (!vq->rx)
		vq->tx_hdrs = rte_zmalloc_socket("vio_vnet_hdrs", size * sizeof(*vq->tx_hdrs), 0,
						 cfg->socket_id);
	/* In DPDK memory, which the memory table shares: the device reads them there. */
	if (vq->indirect)
		vq->ind_tables = rte_zmalloc_socket("vio_vnet_ind",
						    (size_t)size * TX_IND_MAX *
							    sizeof(struct vio_vring_desc),
						    RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (vq->ring_mem == NULL || vq->mbufs == NULL || vq->drv.chain_len == NULL ||
	    (vq->packed && vq->pdrv.id_next == NULL) || (!vq->rx && vq->tx_hdrs == NULL) ||
	    (vq->indirect && vq->ind_tables == NULL)) {
		vio_vnet_vq_free(vq);
		goto err_nomem;
	}
	if (vq->packed) {
		vq->pdrv.r.desc = (struct vio_vring_packed_desc *)vq->ring_mem;
		vq->pdrv.r.driver_event = (struct vio_vring_packed_event *)(vq->ring_mem + desc);
		vq->pdrv.r.device_event =
			(struct vio_vring_packed_event *)(vq->ring_mem + desc + avail);
		vq->pdrv.r.size = size;
		vq->pdrv.chain_len = vq->drv.chain_len; /* one array, whichever layout */
		vq->pdrv.event_idx = cfg->features & VIO_BIT(VIO_F_RING_EVENT_IDX);
		if (vq->indirect) {
			vq->pdrv.indirect = vq->ind_tables;
			vq->pdrv.indirect_gpa = va(vq->ind_tables);
			vq->pdrv.indirect_max = TX_IND_MAX;
		}
		vio_packed_drv_init(&vq->pdrv);
		vio_packed_drv_set_intr(&vq->pdrv, false); /* polled */
	} else {
		vq->drv.r.desc = (struct vio_vring_desc *)vq->ring_mem;
		vq->drv.r.avail = (struct vio_vring_avail *)(vq->ring_mem + desc);
		vq->drv.r.used = (struct vio_vring_used *)(vq->ring_mem + desc + avail);
		vq->drv.r.size = size;
		vq->drv.r.mask = (uint16_t)(size - 1);
		vq->drv.event_idx = cfg->features & VIO_BIT(VIO_F_RING_EVENT_IDX);
		if (vq->indirect) {
			vq->drv.indirect = vq->ind_tables;
			vq->drv.indirect_gpa = va(vq->ind_tables);
			vq->drv.indirect_max = TX_IND_MAX;
		}
		vio_split_drv_init(&vq->drv);
		vio_split_drv_set_intr(&vq->drv, false); /* polled */
	}
	if (vq->rx && rx_refill(vq, size) != size) {
		VNET_LOG(ERR, "%s: mempool %s cannot fill %u receive buffers", vq->name,
			 cfg->mp->name, size);
		vio_vnet_vq_free(vq);
		goto err_nomem;
	}
	return vq;

err_nomem:
	rte_errno = ENOMEM;
	return NULL;
}

/*
 * Packed, in order: past the chains from (@p pos, @p wrap) through the one
 * whose id (its head slot) is @p last, a batch a used entry returned. False,
 * and the position unchanged, when @p last is not among the chains in flight.
 */
static bool
packed_skip_batch(const struct vio_packed_drv *d, uint16_t *pos, bool *wrap, uint16_t last,
		  uint16_t *steps)
{
	uint16_t p = *pos, n = *steps;
	bool w = *wrap;

	for (;;) {
		uint16_t head = p, len = d->chain_len[head];

		if (len == 0 || n + len > d->r.size)
			return false;
		vio_packed_advance(d->r.size, &p, &w, len);
		n = (uint16_t)(n + len);
		if (head == last)
			break;
	}
	*pos = p;
	*wrap = w;
	*steps = n;
	return true;
}

uint32_t
vio_vnet_vq_device_base(const struct vio_vnet_vq *vq)
{
	const struct vio_packed_drv *d = &vq->pdrv;
	uint16_t pos, steps = 0;
	bool wrap;

	if (!vq->packed)
		return __atomic_load_n(&vq->drv.r.used->idx, __ATOMIC_ACQUIRE);
	/*
	 * Packed: past the used entries not reaped yet, chain by chain (in
	 * order: batch by batch, first the rest of one the reap is in), as the
	 * reap walks them. The ids are checked: a device that wrote a bad one
	 * gets the position of the bad entry, which the reap will refuse.
	 */
	pos = d->last_used_idx;
	wrap = d->used_wrap;
	if (vq->in_order && d->batch && !packed_skip_batch(d, &pos, &wrap, d->batch_id, &steps))
		return (uint32_t)pos | (uint32_t)wrap << 15;
	while (steps < d->r.size) {
		uint16_t flags = __atomic_load_n(&d->r.desc[pos].flags, __ATOMIC_ACQUIRE);
		uint16_t id = d->r.desc[pos].id;

		if (!!(flags & VIO_VRING_PACKED_DESC_F_USED) != wrap ||
		    !!(flags & VIO_VRING_PACKED_DESC_F_AVAIL) != wrap || id >= d->r.size ||
		    d->chain_len[id] == 0)
			break;
		if (vq->in_order) {
			if (!packed_skip_batch(d, &pos, &wrap, id, &steps))
				break;
			continue;
		}
		steps = (uint16_t)(steps + d->chain_len[id]);
		vio_packed_advance(d->r.size, &pos, &wrap, d->chain_len[id]);
	}
	return (uint32_t)pos | (uint32_t)wrap << 15;
}

void
vio_vnet_vq_free(struct vio_vnet_vq *vq)
{
	uint16_t i;

	if (vq == NULL)
		return;
	for (i = 0; vq->mbufs != NULL && i < vq->size; i++)
		rte_pktmbuf_free(vq->mbufs[i]);
	rte_pktmbuf_free(vq->pend_head);
	rte_free(vq->pdrv.id_next);
	rte_free(vq->tx_hdrs);
	rte_free(vq->ind_tables);
	rte_free(vq->drv.chain_len);
	rte_free(vq->mbufs);
	rte_free(vq->ring_mem);
	rte_free(vq);
}

void
vio_vnet_vq_addrs(const struct vio_vnet_vq *vq, uint64_t *desc, uint64_t *avail, uint64_t *used)
{
	/* Packed: the descriptor ring, the driver and the device event areas. */
	*desc = vq->packed ? va(vq->pdrv.r.desc) : va(vq->drv.r.desc);
	*avail = vq->packed ? va(vq->pdrv.r.driver_event) : va(vq->drv.r.avail);
	*used = vq->packed ? va(vq->pdrv.r.device_event) : va(vq->drv.r.used);
}

void
vio_vnet_vq_offloads_set(struct vio_vnet_vq *vq, uint32_t offloads)
{
	atomic_store_explicit(&vq->offloads, offloads, memory_order_relaxed);
}

bool
vio_vnet_vq_is_broken(const struct vio_vnet_vq *vq)
{
	return atomic_load_explicit(&vq->broken, memory_order_relaxed);
}

bool
vio_vnet_vq_intr_set(struct vio_vnet_vq *vq, bool enable)
{
	return vq->packed ? vio_packed_drv_set_intr(&vq->pdrv, enable)
			  : vio_split_drv_set_intr(&vq->drv, enable);
}

void
vio_vnet_vq_stats_get(const struct vio_vnet_vq *vq, struct vio_vnet_vq_stats *st)
{
	*st = vq->stats;
}

void
vio_vnet_vq_ring_state_get(const struct vio_vnet_vq *vq, struct vio_vnet_vq_ring_state *st)
{
	/* Racy by design (monitoring): the lcore's own fields are read as they are. */
	*st = (struct vio_vnet_vq_ring_state){ .size = vq->size, .packed = vq->packed };
	if (vq->packed) {
		st->avail_idx = vq->pdrv.avail_idx;
		st->avail_wrap = vq->pdrv.avail_wrap;
		st->last_used_idx = vq->pdrv.last_used_idx;
		st->used_wrap = vq->pdrv.used_wrap;
		st->nb_free = vq->pdrv.nb_free;
		return;
	}
	st->avail_idx = vq->drv.avail_idx;
	st->last_used_idx = vq->drv.last_used_idx;
	st->nb_free = vq->drv.nb_free;
	/* The device's index: relaxed, nothing is read through it. */
	st->used_idx = vio_load_relaxed_u16(&vq->drv.r.used->idx);
}

/*
 * The first buffer of a packet carries its header: read it once into
 * vq->pend_hdr and check what the features allow (virtio 1.2, 5.1.6.4.1:
 * without GUEST_CSUM the device sets no flag; GUEST_TSO4/6 are not
 * negotiated, so no gso_type). Returns 0, or -EINVAL after breaking the queue.
 */
static int
rx_hdr_read(struct vio_vnet_vq *vq, const struct vio_net_hdr *h)
{
	vq->pend_hdr = *h;
	rte_compiler_barrier(); /* use the local copy only */
	if (likely(vq->pend_hdr.flags == 0 && vq->pend_hdr.gso_type == VIO_NET_HDR_GSO_NONE))
		return 0;
	if (vq->pend_hdr.gso_type != VIO_NET_HDR_GSO_NONE) {
		vq_break(vq, &vq->stats.err_hdr, "a receive header with gso_type (not negotiated)",
			 vq->pend_hdr.gso_type);
		return -EINVAL;
	}
	if (!vq->guest_csum || (vq->pend_hdr.flags & ~RX_HDR_FLAGS) != 0) {
		vq_break(vq, &vq->stats.err_hdr, "receive header flags not negotiated",
			 vq->pend_hdr.flags);
		return -EINVAL;
	}
	return 0;
}

/*
 * A whole packet whose header has flags (rx_hdr_read passed them): what the
 * device says of its checksum becomes mbuf flags, or work done here
 * (doc/pmd.md, "Offloads of frontend ports"). Returns 0, or -EINVAL when the
 * checksum field is not inside the packet (the caller breaks the queue).
 */
static __rte_noinline int
rx_offload(struct vio_vnet_vq *vq, struct rte_mbuf *m, const struct vio_net_hdr *h)
{
	uint32_t ol = atomic_load_explicit(&vq->offloads, memory_order_relaxed);
	bool at_l4;

	if (!(h->flags & VIO_NET_HDR_F_NEEDS_CSUM)) {
		/* DATA_VALID: the device checked the checksum (virtio 1.2, 5.1.6.4.1). */
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		return 0;
	}
	if ((uint32_t)h->csum_start + h->csum_offset + 2 > m->pkt_len)
		return -EINVAL;
	if (!(ol & VIO_VNET_OFFLOAD_RX_CSUM)) {
		/* Nobody reads the flags: finished where the device says, without parsing. */
		if (vio_net_csum_complete_hdr(m, h) == 0)
			vq->stats.csum_sw++;
		return 0;
	}
	vio_net_rx_parse(m, h, &at_l4);
	if (at_l4) {
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE; /* the application finishes it */
		return 0;
	}
	/* Anywhere else (a tunnel, SCTP, an odd csum_start): done here, and said so. */
	if (vio_net_csum_complete(m, h->csum_start, h->csum_offset, false) == 0)
		vq->stats.csum_sw++;
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	return 0;
}

/* A received packet is whole: its header's flags, if any, applied. NULL when it broke the queue. */
static struct rte_mbuf *
rx_done(struct vio_vnet_vq *vq, struct rte_mbuf *m)
{
	if (likely(vq->pend_hdr.flags == 0))
		return m;
	if (unlikely(rx_offload(vq, m, &vq->pend_hdr) < 0)) {
		vq_break(vq, &vq->stats.err_hdr, "csum_start + csum_offset beyond the packet",
			 (uint64_t)vq->pend_hdr.csum_start + vq->pend_hdr.csum_offset);
		rte_pktmbuf_free(m);
		return NULL;
	}
	return m;
}

/*
 * One used receive buffer, @p len bytes written: the start of a packet, or
 * the next piece of a mergeable one. Returns the packet when it is whole,
 * NULL otherwise (or when the entry broke the queue).
 */
static struct rte_mbuf *
rx_one(struct vio_vnet_vq *vq, struct rte_mbuf *m, uint32_t len)
{
	if (unlikely(len > rx_buf_len(vq, m))) {
		rte_pktmbuf_free(m);
		vq_break(vq, &vq->stats.err_used, "a used length beyond the buffer", len);
		return NULL;
	}
	if (vq->pend_left == 0) {
		const struct vio_net_hdr_mrg *h = (const void *)rx_buf(vq, m);
		uint16_t nb_bufs = vq->mrg ? h->num_buffers : 1;

		if (unlikely(len < vq->hdr_len || nb_bufs == 0 || nb_bufs > vq->size)) {
			rte_pktmbuf_free(m);
			vq_break(vq, &vq->stats.err_used,
				 len < vq->hdr_len ? "a used length shorter than the header"
						   : "num_buffers",
				 len < vq->hdr_len ? len : nb_bufs);
			return NULL;
		}
		if (unlikely(rx_hdr_read(vq, &h->hdr) < 0)) {
			rte_pktmbuf_free(m);
			return NULL;
		}
		m->data_len = (uint16_t)(len - vq->hdr_len);
		m->pkt_len = m->data_len;
		if (nb_bufs == 1)
			return rx_done(vq, m);
		vq->pend_head = vq->pend_tail = m;
		vq->pend_left = (uint16_t)(nb_bufs - 1);
		return NULL;
	}
	/* virtio 1.2, 5.1.6.4: the buffers after the first hold data from their start. */
	m->data_off = (uint16_t)(m->data_off - vq->hdr_len);
	m->data_len = (uint16_t)len;
	vq->pend_tail->next = m;
	vq->pend_tail = m;
	vq->pend_head->nb_segs++;
	vq->pend_head->pkt_len += len;
	if (--vq->pend_left > 0)
		return NULL;
	m = vq->pend_head;
	vq->pend_head = vq->pend_tail = NULL;
	return rx_done(vq, m);
}

uint16_t
vio_vnet_rx_burst(struct vio_vnet_vq *vq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	uint16_t n = 0, used = 0, id;
	uint32_t len;

	if (unlikely(atomic_load_explicit(&vq->broken, memory_order_relaxed)))
		return 0;
	while (n < nb_pkts) {
		struct rte_mbuf *m;
		int ret = ring_reap(vq, &id, &len);

		if (ret == -EAGAIN)
			break;
		if (unlikely(ret < 0)) {
			used_refused(vq);
			break;
		}
		used++;
		m = vq->mbufs[id];
		vq->mbufs[id] = NULL;
		if (ret > 0) {
			/* virtio 1.2, 2.7.9: a skipped buffer was written completely. */
			len = rx_buf_len(vq, m);
			vq->stats.batched++;
		}
		m = rx_one(vq, m, len);
		if (unlikely(vio_vnet_vq_is_broken(vq)))
			break;
		if (m == NULL)
			continue;
		vq->stats.bytes += m->pkt_len;
		pkts[n++] = m;
	}
	vq->stats.packets += n;
	if (used > 0 && !vio_vnet_vq_is_broken(vq))
		rx_refill(vq, used);
	return n;
}

/* Free what the device is done with. */
static void
tx_reclaim(struct vio_vnet_vq *vq)
{
	uint16_t id;
	uint32_t len;
	int ret;

	while ((ret = ring_reap(vq, &id, &len)) >= 0) {
		rte_pktmbuf_free(vq->mbufs[id]);
		vq->mbufs[id] = NULL;
		vq->stats.batched += (unsigned int)ret;
	}
	if (unlikely(ret != -EAGAIN))
		used_refused(vq);
}

/*
 * TSO: ethdev's pseudo-header sum leaves the length out (the NIC adds each
 * segment's); virtio's is the sum of the whole TCP pseudo-header (virtio 1.2,
 * 5.1.6.2), length included, which the device adjusts per segment, or, if it
 * hands the packet on whole, completes as it is: add the TCP length to it.
 */
static int
tso_phdr_add_len(struct rte_mbuf *m)
{
	uint32_t field = (uint32_t)m->l2_len + m->l3_len + VIO_NET_CSUM_OFF_TCP;
	uint16_t raw;
	const uint16_t *p = rte_pktmbuf_read(m, field, sizeof(raw), &raw);
	uint32_t sum;

	if (p == NULL)
		return -EINVAL;
	sum = (uint32_t)*p + rte_cpu_to_be_16((uint16_t)(m->pkt_len - m->l2_len - m->l3_len));
	raw = (uint16_t)((sum & 0xffff) + (sum >> 16));
	return vio_mbuf_write(m, field, &raw, sizeof(raw));
}

/*
 * A transmit packet's offload requests as its net header @p h (zeroed), as
 * ethdev's transmit offloads describe them: l2_len, l3_len, l4_len,
 * tso_segsz, the pseudo-header sum in the L4 checksum field, which is what
 * NEEDS_CSUM expects there too (virtio 1.2, 5.1.6.2; TSO: tso_phdr_add_len).
 * Returns 0, or -EINVAL for what the device cannot take (TSO it did not
 * negotiate, lengths that do not fit the packet).
 */
static __rte_noinline int
tx_offload(struct vio_vnet_vq *vq, struct rte_mbuf *m, struct vio_net_hdr *h)
{
	uint32_t start = (uint32_t)m->l2_len + m->l3_len;
	bool udp;

	switch (vio_net_tx_hdr(m, h, &udp)) {
	case VIO_NET_TX_ASK_TSO:
		/* virtio 1.2, 5.1.6.2: GSO needs HOST_TSO4/6 (and CSUM) and a gso_size. */
		if (!(m->ol_flags & RTE_MBUF_F_TX_IPV6 ? vq->tso6 : vq->tso4) ||
		    m->tso_segsz == 0 || m->l4_len < sizeof(struct rte_tcp_hdr) ||
		    start + m->l4_len > m->pkt_len)
			return -EINVAL;
		return tso_phdr_add_len(m);
	case VIO_NET_TX_ASK_CSUM:
		if (start + h->csum_offset + 2 > m->pkt_len)
			return -EINVAL;
		if (vq->csum)
			return 0;
		break;
	default:
		return 0;
	}
	/* The device takes complete packets only: finished here. */
	if (vio_net_tx_csum_sw(m, h, udp) < 0)
		return -EINVAL;
	vq->stats.csum_sw++;
	return 0;
}

uint16_t
vio_vnet_tx_burst(struct vio_vnet_vq *vq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct vio_ring_buf b[TX_SEGS_MAX];
	uint16_t n;

	if (unlikely(atomic_load_explicit(&vq->broken, memory_order_relaxed)))
		return 0;
	tx_reclaim(vq);
	for (n = 0; n < nb_pkts; n++) {
		struct rte_mbuf *m = pkts[n], *s;
		uint16_t head = ring_next_id(vq), k, segs;
		/*
		 * The header in the first segment's headroom, one descriptor for
		 * both (as the receive buffers are), where the mbuf is vio's alone
		 * to write: half the ring slots and device reads per small packet.
		 * Otherwise the chain's own header, a descriptor of its own.
		 */
		bool push = vq->hdr_push && m->data_len > 0 && RTE_MBUF_DIRECT(m) &&
			    rte_mbuf_refcnt_read(m) == 1 && rte_pktmbuf_headroom(m) >= vq->hdr_len;
		struct vio_net_hdr_mrg *h = push ? rte_pktmbuf_mtod_offset(m,
									   struct vio_net_hdr_mrg *,
									   -(int)vq->hdr_len)
						 : &vq->tx_hdrs[head];
		bool ind;

		if (unlikely(m->nb_segs + 1u > TX_SEGS_MAX)) {
			/* Never postable, however empty the ring: not no_room. */
			vq->stats.seg_refused++;
			break;
		}
		k = push ? 0 : 1;
		for (s = m; s != NULL; s = s->next)
			if (s->data_len > 0)
				b[k++] = (struct vio_ring_buf){ va(rte_pktmbuf_mtod(s, void *)),
								s->data_len, 0 };
		segs = push ? k : k - 1;
		ind = vq->indirect && segs >= TX_IND_MIN_SEGS && segs < TX_IND_MAX;
		if (unlikely(!ind && k > vq->size)) {
			vq->stats.seg_refused++;
			break;
		}
		if (unlikely((ind ? 1u : k) > ring_nb_free(vq))) {
			vq->stats.no_room += nb_pkts - n;
			break;
		}
		/* Without push, each chain's header is the entry of its head id. */
		memset(h, 0, vq->hdr_len);
		if (unlikely(m->ol_flags & TX_OL_MASK) && tx_offload(vq, m, &h->hdr) < 0) {
			vq->stats.offload_refused++;
			break;
		}
		if (push)
			b[0] = (struct vio_ring_buf){ va(h), vq->hdr_len + m->data_len, 0 };
		else
			b[0] = (struct vio_ring_buf){ va(h), vq->hdr_len, 0 };
		ring_post(vq, b, k, ind);
		vq->stats.indirect += ind;
		vq->mbufs[head] = m;
		vq->stats.bytes += m->pkt_len;
	}
	if (n > 0) {
		ring_publish(vq);
		kick(vq);
		vq->stats.packets += n;
	}
	return n;
}

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

struct mem_walk {
	struct vio_vnet_mem_region *r;
	unsigned int max;
	unsigned int n;
	int err;
};

static int
mem_walk_cb(const struct rte_memseg_list *msl, const struct rte_memseg *ms, size_t len, void *arg)
{
	struct mem_walk *w = arg;
	struct vio_vnet_mem_region *prev = w->n > 0 && w->n <= w->max ? &w->r[w->n - 1] : NULL;
	size_t offset;
	int fd;

	if (msl->external)
		return 0; /* the application's own memory: not the mbufs' or the rings' */
	fd = rte_memseg_get_fd_thread_unsafe(ms);
	if (fd < 0 || rte_memseg_get_fd_offset_thread_unsafe(ms, &offset) < 0) {
		w->err = -ENOTSUP;
		return 1;
	}
	/* The next piece of the same file, right after the last: one region. */
	if (prev != NULL && prev->fd == fd && prev->va + prev->len == va(ms->addr) &&
	    prev->offset + prev->len == offset) {
		prev->len += len;
		return 0;
	}
	if (w->n < w->max)
		w->r[w->n] = (struct vio_vnet_mem_region){ va(ms->addr), len, fd, offset };
	w->n++;
	return 0;
}

static int
mem_regions(struct vio_vnet_mem_region *regions, unsigned int max, bool locked)
{
	struct mem_walk w = { regions, max, 0, 0 };

	if (locked)
		rte_memseg_contig_walk_thread_unsafe(mem_walk_cb, &w);
	else
		rte_memseg_contig_walk(mem_walk_cb, &w);
	if (w.err < 0) {
		VNET_LOG(ERR, "a DPDK memory segment has no fd: run with --single-file-segments "
			      "(hugepages) or --no-huge, so that it can be shared");
		return w.err;
	}
	return (int)w.n;
}

int
vio_vnet_mem_regions(struct vio_vnet_mem_region *regions, unsigned int max)
{
	return mem_regions(regions, max, false);
}

int
vio_vnet_mem_regions_locked(struct vio_vnet_mem_region *regions, unsigned int max)
{
	return mem_regions(regions, max, true);
}
