/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_PACKED_RING_H
#define VIO_PACKED_RING_H

/*
 * Packed virtqueue primitives (virtio 1.2, 2.8), driver side and device side.
 *
 * Pure and inline, like split_ring.h. A ring position is a slot index plus a
 * wrap counter that starts at 1 and flips each time the index wraps.
 *
 * Memory ordering. A descriptor becomes available when its flags carry
 * AVAIL == driver wrap counter and USED != it; the driver writes addr, len
 * and id first and the head's flags last, with release. The device loads the
 * head's flags with acquire before reading anything else of the chain. Used
 * descriptors are published the same way in the other direction: id and len
 * first, flags last with release, loaded by the driver with acquire. A batch
 * (either side) writes the first entry's flags last, so one release covers
 * the whole batch.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>

#include "ring_chain.h"
#include "vio_virtio.h"

struct vio_packed_ring {
	struct vio_vring_packed_desc *desc;
	struct vio_vring_packed_event *driver_event; /* written by the driver */
	struct vio_vring_packed_event *device_event; /* written by the device */
	uint16_t size; /* any size up to 32768 (virtio 1.2, 2.8.10.1) */
};

/* Flags that mark a descriptor available (or used) for wrap counter @p wrap. */
static inline uint16_t
vio_packed_avail_flags(bool wrap)
{
	return wrap ? VIO_VRING_PACKED_DESC_F_AVAIL : VIO_VRING_PACKED_DESC_F_USED;
}

static inline uint16_t
vio_packed_used_flags(bool wrap)
{
	return wrap ? (VIO_VRING_PACKED_DESC_F_AVAIL | VIO_VRING_PACKED_DESC_F_USED) : 0;
}

/* Advance a position by @p n slots. */
static inline void
vio_packed_advance(uint16_t size, uint16_t *idx, bool *wrap, uint16_t n)
{
	uint32_t next = (uint32_t)*idx + n;

	if (next >= size) {
		next -= size;
		*wrap = !*wrap;
	}
	*idx = (uint16_t)next;
}

/*
 * Event test for packed rings (virtio 1.2, 2.8.10): positions are mapped onto
 * [0, 2 * size) so that the split-ring formula works across wraps.
 */
static inline uint32_t
vio_packed_pos(uint16_t size, uint16_t idx, bool wrap)
{
	return idx + (wrap ? 0u : size);
}

static inline bool
vio_packed_need_event(uint16_t size, uint16_t off_wrap, uint32_t new_pos, uint32_t old_pos)
{
	uint32_t span = 2u * size;
	uint16_t off = off_wrap & 0x7fff;
	bool wrap = off_wrap >> VIO_VRING_PACKED_EVENT_F_WRAP_CTR;
	uint32_t ev = vio_packed_pos(size, off, wrap);

	return (new_pos + span - ev - 1) % span < (new_pos + span - old_pos) % span;
}

/* Decision shared by both sides: does the other side want an event? */
static inline bool
vio_packed_event_wanted(const struct vio_packed_ring *r, const struct vio_vring_packed_event *ev,
			uint32_t new_pos, uint32_t old_pos)
{
	uint16_t flags, off_wrap;

	/* virtio 1.2, 2.8.21.2 / 2.8.21.3.1: full barrier before reading the peer's flags. */
	vio_smp_mb();
	flags = vio_load_relaxed_u16(&ev->flags);
	if (flags == VIO_VRING_PACKED_EVENT_FLAG_ENABLE)
		return true;
	if (flags != VIO_VRING_PACKED_EVENT_FLAG_DESC)
		return false;
	off_wrap = vio_load_relaxed_u16(&ev->off_wrap);
	return vio_packed_need_event(r->size, off_wrap, new_pos, old_pos);
}

/* ------------------------------------------------------------------------ */
/* Device side                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Whether the slot at @p idx is available for device wrap counter @p wrap.
 * The acquire load pairs with the driver's release store of the head flags.
 */
static inline bool
vio_packed_dev_avail(const struct vio_packed_ring *r, uint16_t idx, bool wrap)
{
	uint16_t flags = vio_load_acquire_u16(&r->desc[idx].flags);

	return !!(flags & VIO_VRING_PACKED_DESC_F_AVAIL) == wrap &&
	       !!(flags & VIO_VRING_PACKED_DESC_F_USED) != wrap;
}

/*
 * Available slots from (@p idx, @p wrap) on, counting up to @p max: an upper
 * bound of the chains waiting (a chain takes one slot or more).
 */
static inline uint16_t
vio_packed_dev_avail_slots(const struct vio_packed_ring *r, uint16_t idx, bool wrap, uint16_t max)
{
	uint16_t last_idx = idx, n = 0;
	bool last_wrap = wrap;

	if (max == 0)
		return 0;
	/* Busy ring: the max-th slot is available, so are the ones before it. One load. */
	vio_packed_advance(r->size, &last_idx, &last_wrap, RTE_MIN(max, r->size) - 1);
	if (vio_packed_dev_avail(r, last_idx, last_wrap))
		return RTE_MIN(max, r->size);
	while (n < max && vio_packed_dev_avail(r, idx, wrap)) {
		n++;
		vio_packed_advance(r->size, &idx, &wrap, 1);
	}
	return n;
}

/*
 * Walk the available chain whose head is slot @p idx (already checked by
 * vio_packed_dev_avail). Returns 0 with the buffer id in @p id and the ring
 * slots the chain takes in @p nb_desc, or a VIO_RING_ERR_*.
 */
static __rte_always_inline int
vio_packed_dev_walk(const struct vio_packed_ring *r, uint16_t idx, struct vio_ring_seg *seg,
		    uint32_t max_segs, uint32_t *nb_segs, uint16_t *id, uint16_t *nb_desc,
		    vio_ring_map_fn map, void *map_ctx)
{
	uint32_t steps = 0;
	uint32_t n = 0;

	for (;;) {
		struct vio_vring_packed_desc d = r->desc[idx];

		rte_compiler_barrier(); /* use the local copy only */
		/* virtio 1.2, 2.8.17: a chain never exceeds the ring. */
		if (unlikely(++steps > r->size))
			return VIO_RING_ERR_CHAIN_LEN;
		if (d.flags & VIO_VRING_DESC_F_INDIRECT) {
			/* At any address: virtio 1.2 sets an indirect table no alignment. */
			const uint8_t *tbl;
			uint32_t i, tbl_size;

			/* virtio 1.2, 2.8.19 */
			if (unlikely(d.flags & VIO_VRING_DESC_F_NEXT))
				return VIO_RING_ERR_INDIRECT_NEXT;
			if (unlikely(d.len == 0 || d.len % sizeof(d) != 0 ||
				     d.len / sizeof(d) > VIO_RING_INDIRECT_MAX))
				return VIO_RING_ERR_INDIRECT_LEN;
			if (unlikely(map == NULL))
				return VIO_RING_ERR_INDIRECT_FEATURE;
			tbl = map(map_ctx, d.addr, d.len);
			if (unlikely(tbl == NULL))
				return VIO_RING_ERR_INDIRECT_ADDR;
			tbl_size = d.len / sizeof(d);
			for (i = 0; i < tbl_size; i++) {
				struct vio_vring_packed_desc t;

				memcpy(&t, tbl + (size_t)i * sizeof(t), sizeof(t));
				rte_compiler_barrier();
				if (unlikely(t.flags & VIO_VRING_DESC_F_INDIRECT))
					return VIO_RING_ERR_INDIRECT_NESTED;
				if (unlikely(n == max_segs))
					return VIO_RING_ERR_SEGS;
				seg[n].addr = t.addr;
				seg[n].len = t.len;
				seg[n].write = t.flags & VIO_VRING_DESC_F_WRITE;
				n++;
			}
		} else {
			if (unlikely(n == max_segs))
				return VIO_RING_ERR_SEGS;
			seg[n].addr = d.addr;
			seg[n].len = d.len;
			seg[n].write = d.flags & VIO_VRING_DESC_F_WRITE;
			n++;
		}
		if (!(d.flags & VIO_VRING_DESC_F_NEXT)) {
			/* virtio 1.2, 2.8.6: the buffer id is in the chain's last descriptor. */
			if (unlikely(d.id >= r->size))
				return VIO_RING_ERR_BUF_ID;
			*id = d.id;
			break;
		}
		if (++idx == r->size)
			idx = 0;
	}
	*nb_segs = n;
	*nb_desc = (uint16_t)steps;
	return VIO_RING_ERR_NONE;
}

/* A used entry waiting in a shadow array (the batch of one burst). */
struct vio_packed_used {
	uint16_t id;
	uint16_t nb_desc;
	uint32_t len;
};

/*
 * Write @p n used entries starting at position (@p idx, @p wrap) and advance
 * the position. The first entry's flags are stored last, with release, so the
 * driver (vio_packed_drv_reap, acquire) sees the batch in order.
 */
static inline void
vio_packed_dev_flush_used(const struct vio_packed_ring *r, const struct vio_packed_used *u,
			  uint32_t n, uint16_t *idx, bool *wrap)
{
	uint16_t first_idx = *idx;
	uint16_t first_flags = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct vio_vring_packed_desc *d = &r->desc[*idx];
		uint16_t flags = vio_packed_used_flags(*wrap) |
				 (u[i].len ? VIO_VRING_DESC_F_WRITE : 0);

		d->id = u[i].id;
		d->len = u[i].len;
		if (i == 0)
			first_flags = flags;
		else
			vio_store_relaxed_u16(&d->flags, flags);
		vio_packed_advance(r->size, idx, wrap, u[i].nb_desc);
	}
	if (n > 0)
		vio_store_release_u16(&r->desc[first_idx].flags, first_flags);
}

/* Whether to interrupt the driver after used moved from @p old_pos to @p new_pos. */
static inline bool
vio_packed_dev_need_notify(const struct vio_packed_ring *r, uint32_t old_pos, uint32_t new_pos)
{
	return vio_packed_event_wanted(r, r->driver_event, new_pos, old_pos);
}

/* Ask for kicks or suppress them (device event suppression structure). */
static inline void
vio_packed_dev_set_kick(const struct vio_packed_ring *r, bool enable)
{
	vio_store_relaxed_u16(&r->device_event->flags,
			      enable ? VIO_VRING_PACKED_EVENT_FLAG_ENABLE
				     : VIO_VRING_PACKED_EVENT_FLAG_DISABLE);
	vio_smp_mb();
}

/* ------------------------------------------------------------------------ */
/* Driver side                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Driver-side state. The caller provides @c id_next and @c chain_len (one
 * entry per buffer id, ring size entries) and optionally an indirect table
 * area of size * @c indirect_max descriptors.
 *
 * With VIRTIO_F_IN_ORDER the driver posts and reaps with the _in_order
 * functions only: a chain's buffer id is the slot of its first descriptor
 * (no free id list), and chains come back in the order they were posted, so
 * the oldest in flight starts at @c last_used_idx.
 */
struct vio_packed_drv {
	struct vio_packed_ring r;
	uint16_t avail_idx; /* next slot to fill */
	bool avail_wrap;
	uint16_t last_used_idx; /* next slot to reap */
	bool used_wrap;
	uint16_t nb_free; /* free slots */
	uint16_t free_id; /* head of the free buffer-id list */
	bool event_idx;
	bool pending; /* a head whose flags wait for publish */
	uint16_t pending_idx;
	uint16_t pending_flags;
	uint32_t kicked_pos; /* position at the last kick decision */
	uint16_t *id_next;
	uint16_t *chain_len; /* per id: slots held, 0 when free */
	struct vio_vring_packed_desc *indirect;
	uint64_t indirect_gpa;
	uint16_t indirect_max;
	/* In order: a used entry that covers chains not all reaped yet. */
	bool batch;
	uint16_t batch_id;  /* the buffer id it named: the batch's last chain */
	uint32_t batch_len; /* its length */
};

static inline void
vio_packed_drv_init(struct vio_packed_drv *d)
{
	uint32_t i;

	for (i = 0; i < d->r.size; i++) {
		d->r.desc[i].flags = 0;
		d->r.desc[i].id = 0;
		d->id_next[i] = (uint16_t)(i + 1);
		d->chain_len[i] = 0;
	}
	d->r.driver_event->flags = VIO_VRING_PACKED_EVENT_FLAG_ENABLE;
	d->r.driver_event->off_wrap = 0;
	d->r.device_event->flags = VIO_VRING_PACKED_EVENT_FLAG_ENABLE;
	d->r.device_event->off_wrap = 0;
	d->avail_idx = 0;
	d->avail_wrap = true;
	d->last_used_idx = 0;
	d->used_wrap = true;
	d->nb_free = d->r.size;
	d->free_id = 0;
	d->pending = false;
	d->kicked_pos = 0;
	d->batch = false;
}

/* Make every posted chain visible; pairs with vio_packed_dev_avail. */
static inline void
vio_packed_drv_publish(struct vio_packed_drv *d)
{
	if (d->pending) {
		vio_store_release_u16(&d->r.desc[d->pending_idx].flags, d->pending_flags);
		d->pending = false;
	}
}

/* The post, for both id allocations: @p in_order, the id is the head's slot. */
static __rte_always_inline int
packed_drv_post(struct vio_packed_drv *d, const struct vio_ring_buf *buf, uint16_t n, bool indirect,
		const bool in_order)
{
	uint16_t id = in_order ? d->avail_idx : d->free_id;
	uint16_t head = d->avail_idx;
	uint16_t head_flags = 0;
	uint16_t slots = indirect ? 1 : n;
	uint16_t i;

	if (n == 0 || (indirect && (d->indirect == NULL || n > d->indirect_max)))
		return -EINVAL;
	if (d->nb_free < slots)
		return -ENOSPC;
	if (indirect) {
		struct vio_vring_packed_desc *tbl = d->indirect + (uint32_t)id * d->indirect_max;
		struct vio_vring_packed_desc *desc = &d->r.desc[head];

		for (i = 0; i < n; i++) {
			tbl[i].addr = buf[i].addr;
			tbl[i].len = buf[i].len;
			tbl[i].id = 0;
			tbl[i].flags = buf[i].write ? VIO_VRING_DESC_F_WRITE : 0;
		}
		desc->addr = d->indirect_gpa + (uint64_t)id * d->indirect_max * sizeof(*tbl);
		desc->len = (uint32_t)n * sizeof(*tbl);
		desc->id = id;
		head_flags = VIO_VRING_DESC_F_INDIRECT | vio_packed_avail_flags(d->avail_wrap);
		vio_packed_advance(d->r.size, &d->avail_idx, &d->avail_wrap, 1);
	} else {
		for (i = 0; i < n; i++) {
			struct vio_vring_packed_desc *desc = &d->r.desc[d->avail_idx];
			uint16_t flags = (buf[i].write ? VIO_VRING_DESC_F_WRITE : 0) |
					 (i + 1 < n ? VIO_VRING_DESC_F_NEXT : 0) |
					 vio_packed_avail_flags(d->avail_wrap);

			desc->addr = buf[i].addr;
			desc->len = buf[i].len;
			desc->id = id;
			if (i == 0)
				head_flags = flags;
			else
				vio_store_relaxed_u16(&desc->flags, flags);
			vio_packed_advance(d->r.size, &d->avail_idx, &d->avail_wrap, 1);
		}
	}
	/* In order the next id is the next slot, where ring_next_id-style callers look. */
	d->free_id = in_order ? d->avail_idx : d->id_next[id];
	d->chain_len[id] = slots;
	d->nb_free -= slots;
	if (d->pending) {
		/* Only the batch's first head waits; later ones hide behind it. */
		vio_store_relaxed_u16(&d->r.desc[head].flags, head_flags);
	} else {
		d->pending = true;
		d->pending_idx = head;
		d->pending_flags = head_flags;
	}
	return id;
}

/*
 * Post a chain of @p n buffers, directly or through an indirect table.
 * Returns the buffer id, -ENOSPC, or -EINVAL. Visible at the next
 * vio_packed_drv_publish() (the first head of a batch is written last).
 */
static inline int
vio_packed_drv_post(struct vio_packed_drv *d, const struct vio_ring_buf *buf, uint16_t n,
		    bool indirect)
{
	return packed_drv_post(d, buf, n, indirect, false);
}

/* The same with VIRTIO_F_IN_ORDER: reap with vio_packed_drv_reap_in_order(). */
static inline int
vio_packed_drv_post_in_order(struct vio_packed_drv *d, const struct vio_ring_buf *buf, uint16_t n,
			     bool indirect)
{
	return packed_drv_post(d, buf, n, indirect, true);
}

/* Whether the device wants a kick for what was published since the last call. */
static inline bool
vio_packed_drv_need_kick(struct vio_packed_drv *d)
{
	uint32_t old = d->kicked_pos;
	uint32_t now = vio_packed_pos(d->r.size, d->avail_idx, d->avail_wrap);

	d->kicked_pos = now;
	return vio_packed_event_wanted(&d->r, d->r.device_event, now, old);
}

/*
 * Reap one used buffer. Returns 0, -EAGAIN, or -EPROTO for an id out of range
 * or not in flight (a hostile device). Pairs with vio_packed_dev_flush_used.
 */
static inline int
vio_packed_drv_reap(struct vio_packed_drv *d, uint16_t *id, uint32_t *len)
{
	const struct vio_vring_packed_desc *desc = &d->r.desc[d->last_used_idx];
	uint16_t flags = vio_load_acquire_u16(&desc->flags);
	uint16_t used_id;
	uint32_t used_len;

	if (!!(flags & VIO_VRING_PACKED_DESC_F_USED) != d->used_wrap ||
	    !!(flags & VIO_VRING_PACKED_DESC_F_AVAIL) != d->used_wrap)
		return -EAGAIN;
	used_id = desc->id;
	used_len = desc->len;
	rte_compiler_barrier(); /* use the local copies only */
	if (used_id >= d->r.size || d->chain_len[used_id] == 0)
		return -EPROTO;
	vio_packed_advance(d->r.size, &d->last_used_idx, &d->used_wrap, d->chain_len[used_id]);
	d->nb_free += d->chain_len[used_id];
	d->chain_len[used_id] = 0;
	d->id_next[used_id] = d->free_id;
	d->free_id = used_id;
	*id = used_id;
	*len = used_len;
	return 0;
}

/*
 * VIRTIO_F_IN_ORDER: reap the oldest chain in flight (virtio 1.2, 2.8.8). The
 * device may return a batch of chains with one used descriptor, written over
 * the batch's first and naming its last chain's buffer id, and skip forward
 * by the whole batch: the chains before that one come back first, each with
 * 1 (the device used them completely; @p len is not set), then the last with
 * 0 and the descriptor's length. Returns 1, 0, -EAGAIN, or -EPROTO for an id
 * that names no chain in flight (a hostile device). Pairs with
 * vio_packed_dev_flush_used.
 */
static inline int
vio_packed_drv_reap_in_order(struct vio_packed_drv *d, uint16_t *id, uint32_t *len)
{
	uint16_t head = d->last_used_idx; /* the oldest chain in flight: its id is this slot */
	uint16_t nb;

	if (!d->batch) {
		const struct vio_vring_packed_desc *desc = &d->r.desc[head];
		uint16_t flags = vio_load_acquire_u16(&desc->flags);
		uint16_t used_id;

		if (!!(flags & VIO_VRING_PACKED_DESC_F_USED) != d->used_wrap ||
		    !!(flags & VIO_VRING_PACKED_DESC_F_AVAIL) != d->used_wrap)
			return -EAGAIN;
		used_id = desc->id;
		d->batch_len = desc->len;
		rte_compiler_barrier(); /* use the local copies only */
		if (used_id >= d->r.size || d->chain_len[used_id] == 0)
			return -EPROTO;
		d->batch = true;
		d->batch_id = used_id;
	}
	nb = d->chain_len[head];
	if (unlikely(nb == 0))
		return -EPROTO; /* nothing in flight: no batch can name a chain */
	vio_packed_advance(d->r.size, &d->last_used_idx, &d->used_wrap, nb);
	d->nb_free += nb;
	d->chain_len[head] = 0;
	*id = head;
	if (head != d->batch_id)
		return 1;
	d->batch = false;
	*len = d->batch_len;
	return 0;
}

/* Ask for interrupts or suppress them; true when used entries arrived meanwhile. */
static inline bool
vio_packed_drv_set_intr(struct vio_packed_drv *d, bool enable)
{
	if (enable && d->event_idx) {
		vio_store_relaxed_u16(&d->r.driver_event->off_wrap,
				      (uint16_t)(d->last_used_idx |
						 (d->used_wrap
						  << VIO_VRING_PACKED_EVENT_F_WRAP_CTR)));
		vio_store_relaxed_u16(&d->r.driver_event->flags, VIO_VRING_PACKED_EVENT_FLAG_DESC);
	} else {
		vio_store_relaxed_u16(&d->r.driver_event->flags,
				      enable ? VIO_VRING_PACKED_EVENT_FLAG_ENABLE
					     : VIO_VRING_PACKED_EVENT_FLAG_DISABLE);
	}
	vio_smp_mb();
	if (!enable)
		return false;
	if (d->batch)
		return true; /* in order: chains of a batch are still to reap */
	{
		uint16_t flags = vio_load_relaxed_u16(&d->r.desc[d->last_used_idx].flags);

		/* Both bits, as in reap: a stale non-head slot may match on USED alone. */
		return !!(flags & VIO_VRING_PACKED_DESC_F_USED) == d->used_wrap &&
		       !!(flags & VIO_VRING_PACKED_DESC_F_AVAIL) == d->used_wrap;
	}
}

#endif /* VIO_PACKED_RING_H */
