/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VQ_INTERNAL_H
#define VIO_VQ_INTERNAL_H

/*
 * The queue's layout and the pieces both burst directions share: fetching an
 * available chain, mapping it to host memory, batched copies, returning used
 * entries and notifying the guest.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "packed_ring.h"
#include "split_ring.h"
#include "vio_engine.h"
#include "vq_inflight.h"
#include "vio_mem_driver.h"

/* The engine's log type; the data path never logs, the control functions do. */
extern int vio_engine_logtype;

#ifndef VIO_MAX_BURST
#define VIO_MAX_BURST 256
#endif

/*
 * Buffers one chain may have. Linux's virtio-net uses at most MAX_SKB_FRAGS + 2
 * (19) per packet; DPDK's vhost accepts 256 pieces per packet. 64 leaves room
 * for indirect tables of small buffers and keeps the vector in two pages.
 */
#define VQ_MAX_SEGS 64
/* Host pieces one chain may map to: each segment may cross one region edge. */
#define VQ_MAX_IOV (2 * VQ_MAX_SEGS)
/*
 * Copies up to this size are deferred to the end of the burst, so the
 * descriptor work of the whole burst runs back to back (DPDK's vhost uses the
 * same 256-byte threshold for its batch copies).
 */
#define VQ_BATCH_COPY_MAX_LEN 256
#define VQ_BATCH_COPY_MAX     (VIO_MAX_BURST * 4)

/* A piece of guest memory, translated. */
struct vq_iov {
	uint8_t *hva;
	uint32_t len;
	uint64_t gpa;
};

struct vq_copy {
	void *dst;
	const void *src;
	uint32_t len;
};

struct vio_vq {
	/* Read-mostly: set by the control thread before the queue runs. */
	union {
		struct vio_split_ring split;
		struct vio_packed_ring packed;
	};
	struct vio_mem *mem;
	uint64_t features;
	uint32_t hdr_len;
	uint16_t size;
	bool is_packed;
	bool mrg_rxbuf;
	bool event_idx;
	bool indirect;
	bool guest_csum;
	bool guest_tso4;
	bool guest_tso6;
	bool host_tso4; /* the guest may send TCP GSO packets over IPv4 */
	bool host_tso6;
	atomic_uint offloads; /* VIO_VQ_OFFLOAD_*: what the consumer does itself */
	int callfd;
	int errfd;
	const struct vio_iotlb *iotlb; /* NULL: addresses are GPAs */
	int missfd;
	uint64_t log_ring_gpa;
	char name[48];

	/* Owned by the polling lcore. */
	uint16_t last_avail_idx __rte_cache_aligned;
	bool avail_wrap;
	uint16_t last_used_idx;
	bool used_wrap;
	uint16_t signalled_used; /* used position at the last notify decision */
	uint32_t signalled_pos;  /* packed */
	uint32_t nb_shadow;
	uint32_t nb_copies;
	uint32_t copy_flushes; /* flushes so far, so a rollback knows its mark is stale */
	atomic_bool broken;
	const char *err_field; /* what broke the queue, for the control thread's log */
	uint64_t err_value;
	struct vio_vq_stats stats;
	bool missed; /* the last failed translation was an IOTLB miss, of: */
	uint64_t missed_iova;
	enum vio_mem_access missed_access;
	/* The miss reported to the control thread: written before miss_state goes PENDING. */
	uint64_t miss_iova;
	enum vio_mem_access miss_access;
	atomic_uint miss_state; /* VQ_MISS_*: the lcore sets PENDING, the control thread the rest */

	/* Scratch of the polling lcore, sized at creation. */
	struct vio_vring_used_elem *shadow_split;
	struct vio_packed_used *shadow_packed;
	struct vq_copy *copies;

	/* Inflight tracking (vq_inflight.h); all NULL when off. */
	struct vq_inflight_split *inf_split;      /* shared: written only */
	struct vq_inflight_packed *inf_packed;    /* shared: written only */
	struct vq_inflight_ent *shadow_inf;       /* per shadow entry */
	uint16_t *inf_next;                       /* packed: private free-list links */
	struct vq_resubmit *resubmit;             /* chains to process first, in fetch order */
	struct vio_vring_packed_desc *resub_ring; /* packed: a resubmitted chain, for the walk */
	uint64_t inf_counter;
	uint16_t inf_free_head;  /* packed: private head of the free list */
	uint16_t inf_batch_head; /* split: private last_batch_head */
	uint16_t nb_resubmit;
	uint16_t resubmit_pos;
	/* Net headers of the burst's packets, copied into the guest with the batch. */
	struct vio_net_hdr_mrg hdrs[VIO_MAX_BURST];
	uint32_t nb_hdrs;
	struct vio_ring_seg seg[VQ_MAX_SEGS];
	struct vq_iov iov[VQ_MAX_IOV];
	/* Dequeue: segments of a GSO packet that did not fit in their burst. */
	uint16_t gso_stash_head;
	uint16_t gso_stash_nb;
	struct rte_mbuf *gso_stash[VIO_VQ_GSO_SEGS_MAX];
};

/* Where a packet's copies start, to drop them if the packet is rolled back. */
struct vq_copy_mark {
	uint32_t nb_copies;
	uint32_t flushes;
};

/* IOTLB miss states. */
#define VQ_MISS_NONE     0u
#define VQ_MISS_PENDING  1u /* recorded by the lcore, not yet reported */
#define VQ_MISS_REPORTED 2u /* the control thread asked the frontend */

/*
 * Translate in the queue's address space: GPAs, or IOVAs through the IOTLB.
 * *@p gpa is the GPA of @p addr (for the dirty log). A NULL return with an
 * IOTLB is a miss: recorded, so the caller retries instead of breaking.
 */
static __rte_always_inline void *
vq_xlate(struct vio_vq *vq, uint64_t addr, uint64_t *len, enum vio_mem_access access, uint64_t *gpa)
{
	void *p;

	if (likely(vq->iotlb == NULL)) {
		*gpa = addr;
		return vio_mem_xlate(vq->mem, addr, len, access);
	}
	p = vio_iotlb_lookup(vq->iotlb, addr, len, access, gpa);
	if (unlikely(p == NULL)) {
		vq->missed = true;
		vq->missed_iova = addr;
		vq->missed_access = access;
	}
	return p;
}

/* Record an IOTLB miss (vq_xlate set it up) and tell the control thread once. */
void vio_vq_iotlb_missed(struct vio_vq *vq);

/* One available chain, as fetched. */
struct vq_chain {
	uint16_t id;      /* split: head; packed: buffer id */
	uint16_t nb_desc; /* packed: ring slots */
	uint32_t nb_segs;
	uint16_t slot;                   /* packed: the head's slot */
	const struct vq_resubmit *resub; /* inflight: a chain an earlier instance held */
};

/* Where the burst stands in the avail ring, so a mergeable packet can roll back. */
struct vq_avail_pos {
	uint16_t idx;
	bool wrap;
	uint16_t resub; /* next entry of vq->resubmit */
	uint32_t slots; /* packed: ring slots the burst took */
};

/* The burst's starting position. */
static __rte_always_inline struct vq_avail_pos
vq_burst_start(const struct vio_vq *vq)
{
	return (struct vq_avail_pos){ .idx = vq->last_avail_idx,
				      .wrap = vq->avail_wrap,
				      .resub = vq->resubmit_pos };
}

/* Keep where the burst ended. */
static __rte_always_inline void
vq_burst_end(struct vio_vq *vq, const bool inflight, const struct vq_avail_pos *pos)
{
	vq->last_avail_idx = pos->idx;
	vq->avail_wrap = pos->wrap;
	if (inflight && vq->nb_resubmit != 0) {
		vq->stats.inflight_resubmitted += (uint16_t)(pos->resub - vq->resubmit_pos);
		vq->resubmit_pos = pos->resub;
		if (vq->resubmit_pos == vq->nb_resubmit)
			vq->nb_resubmit = vq->resubmit_pos = 0;
	}
}

/* Chains an earlier instance held that this burst has not processed yet. */
static __rte_always_inline uint16_t
vq_resubmit_left(const struct vio_vq *vq)
{
	return (uint16_t)(vq->nb_resubmit - vq->resubmit_pos);
}

/*
 * Mark the queue broken: count the reason, remember the field and value for
 * vio_vq_error(), signal the error eventfd. Cold: hostile input only.
 */
void vio_vq_break(struct vio_vq *vq, uint64_t *counter, const char *field, uint64_t value);

/* The error counter of a ring walk error. */
static inline uint64_t *
vq_ring_err_counter(struct vio_vq *vq, int err)
{
	switch (err) {
	case VIO_RING_ERR_DESC_IDX:
		return &vq->stats.err_desc_idx;
	case VIO_RING_ERR_DESC_LOOP:
		return &vq->stats.err_desc_loop;
	case VIO_RING_ERR_CHAIN_LEN:
		return &vq->stats.err_chain_len;
	case VIO_RING_ERR_INDIRECT_NESTED:
		return &vq->stats.err_indirect_nested;
	case VIO_RING_ERR_INDIRECT_NEXT:
		return &vq->stats.err_indirect_next;
	case VIO_RING_ERR_INDIRECT_LEN:
		return &vq->stats.err_indirect_len;
	case VIO_RING_ERR_INDIRECT_ADDR:
		return &vq->stats.err_indirect_addr;
	case VIO_RING_ERR_INDIRECT_FEATURE:
		return &vq->stats.err_indirect_feature;
	case VIO_RING_ERR_SEGS:
		return &vq->stats.err_chain_segs;
	default:
		return &vq->stats.err_buf_id;
	}
}

/* Map an indirect table: all of it inside one region, read-only. */
static inline const void *
vq_map_table(void *ctx, uint64_t addr, uint64_t len)
{
	struct vio_vq *vq = ctx;
	uint64_t got = len, gpa, miss;
	void *p;
	int ret;

	if (addr + len < addr)
		return NULL;
	if (likely(vq->iotlb == NULL)) {
		p = vio_mem_xlate(vq->mem, addr, &got, VIO_MEM_ACCESS_RO);
		return got == len ? p : NULL;
	}
	/*
	 * A table may span IOTLB entries (page by page) that are contiguous in
	 * host memory; a missing piece is a miss, scattered pieces an error.
	 */
	ret = vio_iotlb_xlate_range(vq->iotlb, addr, len, VIO_MEM_ACCESS_RO, &p, &gpa, &miss);
	if (ret == -EAGAIN) {
		vq->missed = true;
		vq->missed_iova = miss;
		vq->missed_access = VIO_MEM_ACCESS_RO;
	}
	return ret == 0 ? p : NULL;
}

/* Chain fetch results besides VIO_RING_ERR_*. */
#define VQ_FETCH_EMPTY (-1)

/*
 * Fetch the next chain an earlier instance held (inflight tracking), like
 * vq_fetch(). Split chains are walked from their head in the descriptor
 * table; packed ones from the copies the region kept, since used entries may
 * have overwritten their slots.
 */
int vq_fetch_resubmit(struct vio_vq *vq, bool packed, struct vq_avail_pos *pos, struct vq_chain *c);

/* Set up inflight tracking on @p region, recovering what an earlier instance left. */
int vq_inflight_init(struct vio_vq *vq, void *region, uint32_t base, int socket_id);
void vq_inflight_fini(struct vio_vq *vq);

/*
 * Fetch the next available chain into vq->seg. @p pos is the burst's cursor,
 * @p avail_end (split) the published avail index read at the burst start.
 * @p inflight: the queue tracks inflight chains (its held chains come first).
 * Returns 0, VQ_FETCH_EMPTY, or a VIO_RING_ERR_* (the queue is then broken
 * by the caller).
 */
static __rte_always_inline int
vq_fetch(struct vio_vq *vq, const bool packed, const bool inflight, struct vq_avail_pos *pos,
	 uint16_t avail_end, struct vq_chain *c)
{
	int ret;

	if (inflight) {
		c->resub = NULL;
		if (unlikely(pos->resub != vq->nb_resubmit))
			return vq_fetch_resubmit(vq, packed, pos, c);
	}
	if (packed) {
		c->id = 0;
		if (!vio_packed_dev_avail(&vq->packed, pos->idx, pos->wrap))
			return VQ_FETCH_EMPTY;
		c->id = pos->idx; /* the slot, for the error report until the walk finds the id */
		if (inflight)
			c->slot = pos->idx;
		ret = vio_packed_dev_walk(&vq->packed, pos->idx, vq->seg, VQ_MAX_SEGS, &c->nb_segs,
					  &c->id, &c->nb_desc, vq->indirect ? vq_map_table : NULL,
					  vq);
		if (unlikely(ret != 0))
			return ret;
		/*
		 * A burst never holds more slots than the ring has: a driver that
		 * marks a slot available again before it got it back would
		 * otherwise have the burst fetch it twice.
		 */
		if (unlikely(pos->slots + c->nb_desc > vq->size))
			return VQ_FETCH_EMPTY;
		pos->slots += c->nb_desc;
		vio_packed_advance(vq->size, &pos->idx, &pos->wrap, c->nb_desc);
		/* Prefetch where the next chain's head will be. */
		rte_prefetch0(&vq->packed.desc[pos->idx]);
		return 0;
	}
	c->id = 0;
	if (pos->idx == avail_end)
		return VQ_FETCH_EMPTY;
	c->id = vio_split_dev_avail_head(&vq->split, pos->idx);
	if (unlikely(c->id >= vq->size))
		return VIO_RING_ERR_DESC_IDX;
	ret = vio_split_dev_walk(&vq->split, c->id, vq->seg, VQ_MAX_SEGS, &c->nb_segs,
				 vq->indirect ? vq_map_table : NULL, vq);
	if (unlikely(ret != 0))
		return ret;
	pos->idx++;
	c->nb_desc = 1;
	if (pos->idx != avail_end)
		rte_prefetch0(&vq->split.desc[vio_split_dev_avail_head(&vq->split, pos->idx) &
					      vq->split.mask]);
	return 0;
}

/*
 * Translate the fetched segments into host pieces (vq->iov), checking
 * direction, overflow and that every byte is mapped. Zero-length segments
 * produce no piece. Returns 0 with the piece count and total length, or a
 * pointer to the error counter (the caller breaks the queue).
 */
static __rte_always_inline uint64_t *
vq_map_chain(struct vio_vq *vq, uint32_t nb_segs, bool want_write, uint32_t *nb_iov,
	     uint64_t *total)
{
	enum vio_mem_access access = want_write ? VIO_MEM_ACCESS_WO : VIO_MEM_ACCESS_RO;
	uint32_t i, n = 0;
	uint64_t sum = 0;

	for (i = 0; i < nb_segs; i++) {
		uint64_t addr = vq->seg[i].addr;
		uint64_t left = vq->seg[i].len;

		if (unlikely(!vq->seg[i].write != !want_write))
			return &vq->stats.err_desc_dir;
		if (unlikely(addr + left < addr))
			return &vq->stats.err_addr_overflow;
		sum += left;
		while (left > 0) {
			uint64_t piece = left, gpa;
			void *hva = vq_xlate(vq, addr, &piece, access, &gpa);

			if (unlikely(hva == NULL))
				return vq->missed ? &vq->stats.iotlb_misses : &vq->stats.err_addr;
			if (unlikely(n == VQ_MAX_IOV))
				return &vq->stats.err_chain_segs;
			vq->iov[n].hva = hva;
			vq->iov[n].len = (uint32_t)piece;
			vq->iov[n].gpa = gpa;
			n++;
			addr += piece;
			left -= piece;
		}
	}
	*nb_iov = n;
	*total = sum;
	return NULL;
}

static __rte_always_inline void
vq_copy_flush(struct vio_vq *vq)
{
	uint32_t i;

	for (i = 0; i < vq->nb_copies; i++)
		rte_memcpy(vq->copies[i].dst, vq->copies[i].src, vq->copies[i].len);
	vq->nb_copies = 0;
	vq->nb_hdrs = 0;
	vq->copy_flushes++;
}

static __rte_always_inline struct vq_copy_mark
vq_copy_mark(const struct vio_vq *vq)
{
	return (struct vq_copy_mark){ vq->nb_copies, vq->copy_flushes };
}

/*
 * Drop the copies queued since @p m. If the batch was flushed meanwhile, what
 * is queued now all came after the mark (the flushed ones wrote into buffers
 * the guest never gets back, which is harmless).
 */
static __rte_always_inline void
vq_copy_rollback(struct vio_vq *vq, struct vq_copy_mark m)
{
	vq->nb_copies = m.flushes == vq->copy_flushes ? m.nb_copies : 0;
}

/* Copy now, or later with the burst's other small copies. */
static __rte_always_inline void
vq_copy(struct vio_vq *vq, void *dst, const void *src, uint32_t len)
{
	/*
	 * While the dirty log is on, copy now: the caller marks the page right
	 * after, and a page marked before it is written could be sent (and its
	 * bit cleared) by the frontend before the write lands.
	 */
	if (len > VQ_BATCH_COPY_MAX_LEN ||
	    unlikely(atomic_load_explicit(&vq->mem->log_on, memory_order_relaxed) != 0)) {
		rte_memcpy(dst, src, len);
		return;
	}
	if (unlikely(vq->nb_copies == VQ_BATCH_COPY_MAX))
		vq_copy_flush(vq);
	vq->copies[vq->nb_copies].dst = dst;
	vq->copies[vq->nb_copies].src = src;
	vq->copies[vq->nb_copies].len = len;
	vq->nb_copies++;
}

/*
 * Inflight tracking: record in the region that the burst holds chain @p c,
 * the shadow entry @p i. Split: mark its head. Packed: copy its descriptors
 * into entries taken from the free list (the slots are intact until the
 * batch is published), then mark the first one.
 */
static __rte_always_inline void
vq_inflight_add(struct vio_vq *vq, const bool packed, const struct vq_chain *c, uint32_t i)
{
	struct vq_inflight_ent *e = &vq->shadow_inf[i];

	if (!packed) {
		struct vq_inflight_split_desc *d = &vq->inf_split->desc[c->id];

		e->head = c->id;
		e->resubmitted = c->resub != NULL;
		d->counter = ++vq->inf_counter;
		vq_inflight_order();
		d->inflight = 1;
		return;
	}
	if (c->resub != NULL) {
		e->head = c->resub->head;
		e->last = c->resub->last;
		e->resubmitted = true;
		return;
	}
	{
		struct vq_inflight_packed *r = vq->inf_packed;
		uint16_t first = vq->inf_free_head, cur = first, last = first, slot = c->slot;
		uint16_t k;

		for (k = 0; k < c->nb_desc; k++) {
			const struct vio_vring_packed_desc *s = &vq->packed.desc[slot];
			struct vq_inflight_packed_desc *d = &r->desc[cur];

			/*
			 * A burst holds at most size slots (vq_fetch), so the list
			 * lasts, unless the ring contradicts what the region said
			 * after a restart (a frontend that fed a foreign region).
			 */
			if (unlikely(cur >= vq->size)) {
				vio_vq_break(vq, &vq->stats.err_inflight, "inflight entries",
					     c->nb_desc);
				e->head = e->last = vq->size;
				return;
			}

			d->inflight = 0; /* only the first entry marks the chain */
			d->addr = s->addr;
			d->len = s->len;
			d->id = s->id;
			d->flags = s->flags;
			last = cur;
			cur = vq->inf_next[cur];
			if (++slot == vq->size)
				slot = 0;
		}
		r->desc[first].num = c->nb_desc;
		r->desc[first].last = last;
		r->desc[first].counter = ++vq->inf_counter;
		vq_inflight_order();
		r->desc[first].inflight = 1;
		vq_inflight_order();
		vq->inf_free_head = cur;
		r->free_head = cur;
		r->old_free_head = cur;
		e->head = first;
		e->last = last;
		e->resubmitted = false;
	}
}

/*
 * Inflight tracking: a packet rolled back the shadow entries from @p shadow_mark
 * on; @p free_mark is the packed free-list head before them. Their chains go
 * back to the ring (or to the resubmit list), so the region no longer holds
 * them.
 */
static __rte_always_inline void
vq_inflight_rollback(struct vio_vq *vq, const bool packed, uint32_t shadow_mark, uint16_t free_mark)
{
	uint32_t i;

	if (packed) {
		vq->inf_free_head = free_mark;
		vq->inf_packed->free_head = free_mark;
		vq->inf_packed->old_free_head = free_mark;
		return;
	}
	for (i = shadow_mark; i < vq->nb_shadow; i++)
		if (!vq->shadow_inf[i].resubmitted)
			vq->inf_split->desc[vq->shadow_inf[i].head].inflight = 0;
}

/* Queue a used entry in the shadow ring; written out by vq_used_flush. */
static __rte_always_inline void
vq_used_add(struct vio_vq *vq, const bool packed, const bool inflight, const struct vq_chain *c,
	    uint32_t len)
{
	if (inflight)
		vq_inflight_add(vq, packed, c, vq->nb_shadow);
	if (packed) {
		struct vio_packed_used *u = &vq->shadow_packed[vq->nb_shadow++];

		u->id = c->id;
		u->nb_desc = c->nb_desc;
		u->len = len;
	} else {
		struct vio_vring_used_elem *u = &vq->shadow_split[vq->nb_shadow++];

		u->id = c->id;
		u->len = len;
	}
}

/*
 * Log what a flush wrote: @p n used elements and used->idx (split), or @p n
 * descriptor slots from slot @p first (packed).
 */
static __rte_always_inline void
vq_log_ring(struct vio_vq *vq, const bool packed, uint16_t first, uint32_t n)
{
	uint64_t base = vq->log_ring_gpa;
	uint64_t elem = packed ? sizeof(struct vio_vring_packed_desc)
			       : sizeof(struct vio_vring_used_elem);
	uint32_t head_part;

	if (likely(atomic_load_explicit(&vq->mem->log_on, memory_order_relaxed) == 0))
		return;
	if (!packed) {
		base += offsetof(struct vio_vring_used, ring);
		first &= vq->split.mask;
	}
	head_part = RTE_MIN(n, (uint32_t)vq->size - first);
	vio_mem_log_write(vq->mem, base + first * elem, head_part * elem);
	if (n > head_part)
		vio_mem_log_write(vq->mem, base, (n - head_part) * elem);
	if (!packed)
		vio_mem_log_write(vq->mem, vq->log_ring_gpa + offsetof(struct vio_vring_used, idx),
				  sizeof(uint16_t));
}

/* Interrupt the guest if its event suppression asks for it (one eventfd write). */
static __rte_always_inline void
vq_notify(struct vio_vq *vq, const bool packed)
{
	bool need;

	if (vq->callfd < 0)
		return;
	if (packed) {
		uint32_t now = vio_packed_pos(vq->size, vq->last_used_idx, vq->used_wrap);

		need = vio_packed_dev_need_notify(&vq->packed, vq->signalled_pos, now);
		vq->signalled_pos = now;
	} else {
		need = vio_split_dev_need_notify(&vq->split, vq->event_idx, vq->signalled_used,
						 vq->last_used_idx);
		vq->signalled_used = vq->last_used_idx;
	}
	if (need) {
		eventfd_write(vq->callfd, 1);
		vq->stats.guest_notifications++;
	} else {
		vq->stats.guest_notifications_suppressed++;
	}
}

/*
 * Inflight tracking, before the batch is published: link its chains as the
 * last batch (split) or back into the free list with the used position it
 * will reach (packed). A crash from here on is told apart by the ring itself
 * (split: used->idx; packed: the first entry's flags).
 */
static __rte_always_inline void
vq_inflight_flush_begin(struct vio_vq *vq, const bool packed)
{
	uint32_t i, n = vq->nb_shadow;

	if (!packed) {
		struct vq_inflight_split *r = vq->inf_split;

		for (i = 0; i < n; i++) {
			uint16_t head = vq->shadow_inf[i].head;

			r->desc[head].next = vq->inf_batch_head;
			vq->inf_batch_head = head;
		}
		r->last_batch_head = vq->inf_batch_head;
	} else {
		struct vq_inflight_packed *r = vq->inf_packed;
		uint16_t fh = vq->inf_free_head, idx = vq->last_used_idx;
		bool wrap = vq->used_wrap;

		for (i = 0; i < n; i++) {
			const struct vq_inflight_ent *e = &vq->shadow_inf[i];

			vio_packed_advance(vq->size, &idx, &wrap, vq->shadow_packed[i].nb_desc);
			if (unlikely(e->head >= vq->size))
				continue; /* not recorded: the queue broke */
			r->desc[e->last].next = fh;
			vq->inf_next[e->last] = fh;
			fh = e->head;
		}
		vq->inf_free_head = fh;
		r->free_head = fh;
		r->used_idx = idx;
		r->used_wrap_counter = wrap;
	}
	vq_inflight_order();
}

/* Inflight tracking, once the batch is published: release its chains, commit. */
static __rte_always_inline void
vq_inflight_flush_end(struct vio_vq *vq, const bool packed)
{
	uint32_t i, n = vq->nb_shadow;

	vq_inflight_order();
	if (!packed) {
		for (i = 0; i < n; i++)
			vq->inf_split->desc[vq->shadow_inf[i].head].inflight = 0;
		vq_inflight_order();
		vq->inf_split->used_idx = vq->last_used_idx;
	} else {
		struct vq_inflight_packed *r = vq->inf_packed;

		for (i = 0; i < n; i++)
			if (likely(vq->shadow_inf[i].head < vq->size))
				r->desc[vq->shadow_inf[i].head].inflight = 0;
		vq_inflight_order();
		r->old_free_head = vq->inf_free_head;
		r->old_used_idx = vq->last_used_idx;
		r->old_used_wrap_counter = vq->used_wrap;
	}
}

/*
 * Write the shadow used entries to the ring, make them visible with one
 * release store (split: used->idx; packed: the first entry's flags), log
 * them, and notify the guest.
 */
static __rte_always_inline void
vq_used_flush(struct vio_vq *vq, const bool packed, const bool inflight)
{
	uint32_t n = vq->nb_shadow;
	uint16_t first = vq->last_used_idx;

	if (n == 0)
		return;
	/* The guest must see the data before the used entries that cover it. */
	vq_copy_flush(vq);
	if (inflight)
		vq_inflight_flush_begin(vq, packed);
	if (packed) {
		uint32_t i, slots = 0;

		for (i = 0; i < n; i++)
			slots += vq->shadow_packed[i].nb_desc;
		vio_packed_dev_flush_used(&vq->packed, vq->shadow_packed, n, &vq->last_used_idx,
					  &vq->used_wrap);
		vq_log_ring(vq, true, first, slots);
	} else {
		uint32_t i;

		for (i = 0; i < n; i++)
			vio_split_dev_put_used(&vq->split, (uint16_t)(first + i),
					       vq->shadow_split[i].id, vq->shadow_split[i].len);
		vq->last_used_idx = (uint16_t)(first + n);
		vio_split_dev_publish_used(&vq->split, vq->last_used_idx);
		vq_log_ring(vq, false, first, n);
	}
	if (inflight)
		vq_inflight_flush_end(vq, packed);
	vq->nb_shadow = 0;
	vq_notify(vq, packed);
}

#endif /* VIO_VQ_INTERNAL_H */
