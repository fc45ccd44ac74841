/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_SPLIT_RING_H
#define VIO_SPLIT_RING_H

/*
 * Split virtqueue primitives (virtio 1.2, 2.7), driver side and device side.
 *
 * Pure and inline: they read and write ring memory and nothing else (no I/O,
 * no allocation, no logging). Translation of guest addresses is the caller's,
 * except for indirect tables, which the device walk reaches through a map
 * callback.
 *
 * Memory ordering. The driver publishes a chain by writing the descriptors,
 * then avail->ring[], then avail->idx with release; the device loads
 * avail->idx with acquire and only then reads ring entries and descriptors.
 * The device publishes used entries by writing used->ring[] then used->idx
 * with release; the driver loads used->idx with acquire. The kick and
 * interrupt decisions need a full barrier between the index store and the
 * load of the other side's suppression field (vio_smp_mb()).
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>

#include "ring_chain.h"
#include "vio_virtio.h"

/* A split ring as three host-mapped parts. */
struct vio_split_ring {
	struct vio_vring_desc *desc;
	struct vio_vring_avail *avail;
	struct vio_vring_used *used;
	uint16_t size; /* power of two, at most 32768 */
	uint16_t mask;
};

static inline uint16_t *
vio_split_used_event(const struct vio_split_ring *r)
{
	return &r->avail->ring[r->size];
}

static inline uint16_t *
vio_split_avail_event(const struct vio_split_ring *r)
{
	return (uint16_t *)&r->used->ring[r->size];
}

/* ------------------------------------------------------------------------ */
/* Device side                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Number of chains the driver made available since @p last_avail_idx, or -1
 * when avail->idx ran ahead by more than the ring size (a hostile driver).
 * Pairs with the driver's release store of avail->idx (vio_split_drv_publish).
 */
static inline int
vio_split_dev_avail_count(const struct vio_split_ring *r, uint16_t last_avail_idx)
{
	uint16_t n = (uint16_t)(vio_load_acquire_u16(&r->avail->idx) - last_avail_idx);

	if (unlikely(n > r->size))
		return -1;
	return n;
}

/* Head of the chain at free-running avail index @p idx; the caller checks the range. */
static inline uint16_t
vio_split_dev_avail_head(const struct vio_split_ring *r, uint16_t idx)
{
	return vio_load_relaxed_u16(&r->avail->ring[idx & r->mask]);
}

/*
 * Walk the chain that starts at descriptor @p head into @p seg (at most
 * @p max_segs). Each descriptor is copied to a local before it is checked,
 * and only the local is used, so a driver that rewrites the ring under our
 * feet cannot make a checked value change. Returns 0 or a VIO_RING_ERR_*.
 */
static __rte_always_inline int
vio_split_dev_walk(const struct vio_split_ring *r, uint16_t head, struct vio_ring_seg *seg,
		   uint32_t max_segs, uint32_t *nb_segs, vio_ring_map_fn map, void *map_ctx)
{
	/* The ring is aligned, an indirect table anywhere (virtio 1.2 sets it no alignment). */
	const uint8_t *tbl = (const uint8_t *)r->desc;
	uint32_t tbl_size = r->size;
	uint32_t idx = head;
	uint32_t steps = 0;
	uint32_t n = 0;
	bool in_indirect = false;

	for (;;) {
		struct vio_vring_desc d;

		if (unlikely(idx >= tbl_size))
			return VIO_RING_ERR_DESC_IDX;
		/* virtio 1.2, 2.7.5.2: a chain longer than the table is a loop. */
		if (unlikely(++steps > tbl_size))
			return VIO_RING_ERR_DESC_LOOP;
		memcpy(&d, tbl + (size_t)idx * sizeof(d), sizeof(d));
		rte_compiler_barrier(); /* use the local copy only */

		if (d.flags & VIO_VRING_DESC_F_INDIRECT) {
			/* virtio 1.2, 2.7.5.3.1 */
			if (unlikely(in_indirect))
				return VIO_RING_ERR_INDIRECT_NESTED;
			if (unlikely(d.flags & VIO_VRING_DESC_F_NEXT))
				return VIO_RING_ERR_INDIRECT_NEXT;
			if (unlikely(d.len == 0 || d.len % sizeof(struct vio_vring_desc) != 0 ||
				     d.len / sizeof(struct vio_vring_desc) > VIO_RING_INDIRECT_MAX))
				return VIO_RING_ERR_INDIRECT_LEN;
			if (unlikely(map == NULL))
				return VIO_RING_ERR_INDIRECT_FEATURE;
			tbl = map(map_ctx, d.addr, d.len);
			if (unlikely(tbl == NULL))
				return VIO_RING_ERR_INDIRECT_ADDR;
			tbl_size = d.len / sizeof(struct vio_vring_desc);
			in_indirect = true;
			idx = 0;
			steps = 0;
			continue;
		}
		if (unlikely(n == max_segs))
			return VIO_RING_ERR_SEGS;
		seg[n].addr = d.addr;
		seg[n].len = d.len;
		seg[n].write = d.flags & VIO_VRING_DESC_F_WRITE;
		n++;
		if (!(d.flags & VIO_VRING_DESC_F_NEXT))
			break;
		idx = d.next;
	}
	*nb_segs = n;
	return VIO_RING_ERR_NONE;
}

/* Write one used element into the ring, not yet visible (vio_split_dev_publish_used). */
static inline void
vio_split_dev_put_used(const struct vio_split_ring *r, uint16_t used_idx, uint32_t id, uint32_t len)
{
	struct vio_vring_used_elem *e = &r->used->ring[used_idx & r->mask];

	e->id = id;
	e->len = len;
}

/* Make every used element before @p used_idx visible; pairs with vio_split_drv_reap. */
static inline void
vio_split_dev_publish_used(const struct vio_split_ring *r, uint16_t used_idx)
{
	vio_store_release_u16(&r->used->idx, used_idx);
}

/*
 * Whether to interrupt the driver after used->idx moved from @p old_used_idx
 * to @p new_used_idx (virtio 1.2, 2.7.7.2 and 2.7.10). The full barrier
 * orders the used->idx store before the load of used_event/flags; it pairs
 * with the driver's barrier in vio_split_drv_enable_intr.
 */
static inline bool
vio_split_dev_need_notify(const struct vio_split_ring *r, bool event_idx, uint16_t old_used_idx,
			  uint16_t new_used_idx)
{
	vio_smp_mb();
	if (event_idx)
		return vio_ring_need_event(vio_load_relaxed_u16(vio_split_used_event(r)),
					   new_used_idx, old_used_idx);
	return !(vio_load_relaxed_u16(&r->avail->flags) & VIO_VRING_AVAIL_F_NO_INTERRUPT);
}

/*
 * Ask for kicks (@p enable) or suppress them. With event idx the device asks
 * to be kicked once the driver passes @p last_avail_idx; to suppress, it
 * names the index just behind it, which the driver reaches again only after
 * 65536 more chains.
 */
static inline void
vio_split_dev_set_kick(const struct vio_split_ring *r, bool event_idx, bool enable,
		       uint16_t last_avail_idx)
{
	if (event_idx) {
		vio_store_relaxed_u16(vio_split_avail_event(r),
				      enable ? last_avail_idx : (uint16_t)(last_avail_idx - 1));
	} else {
		vio_store_relaxed_u16(&r->used->flags, enable ? 0 : VIO_VRING_USED_F_NO_NOTIFY);
	}
	/* Pairs with the driver's barrier in vio_split_drv_need_kick. */
	vio_smp_mb();
}

/* ------------------------------------------------------------------------ */
/* Driver side                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Driver-side state. The caller provides @c chain_len (one entry per
 * descriptor) and, for indirect chains, a table area of size *
 * @c indirect_max descriptors at host address @c indirect / guest address
 * @c indirect_gpa.
 *
 * With VIRTIO_F_IN_ORDER the driver posts and reaps with the _in_order
 * functions only: chains take the descriptors after the last chain's, in
 * ring order, and come back in the order they were posted, so the free
 * descriptors are always the run from @c free_head on (no free list), and
 * the oldest chain in flight starts at @c free_head + @c nb_free.
 */
struct vio_split_drv {
	struct vio_split_ring r;
	uint16_t free_head;
	uint16_t nb_free;
	uint16_t avail_idx;     /* next avail index to fill (not yet published) */
	uint16_t kicked_idx;    /* avail index at the last kick decision */
	uint16_t last_used_idx; /* next used entry to reap */
	bool event_idx;
	uint16_t *chain_len; /* per head: ring descriptors held, 0 when free */
	struct vio_vring_desc *indirect;
	uint64_t indirect_gpa;
	uint16_t indirect_max;
	/* In order: a used entry that covers chains not all reaped yet. */
	bool batch;
	uint16_t batch_id;  /* the head it named: the batch's last chain */
	uint32_t batch_len; /* its length */
	uint16_t used_seen; /* used->idx as last loaded */
};

/* Zero the ring and link every descriptor into the free list. */
static inline void
vio_split_drv_init(struct vio_split_drv *d)
{
	uint32_t i;

	for (i = 0; i < d->r.size; i++) {
		d->r.desc[i].next = (uint16_t)(i + 1);
		d->r.desc[i].flags = 0;
		d->chain_len[i] = 0;
	}
	d->r.avail->flags = 0;
	d->r.avail->idx = 0;
	d->r.used->flags = 0;
	d->r.used->idx = 0;
	*vio_split_used_event(&d->r) = 0;
	*vio_split_avail_event(&d->r) = 0;
	d->free_head = 0;
	d->nb_free = d->r.size;
	d->avail_idx = 0;
	d->kicked_idx = 0;
	d->last_used_idx = 0;
	d->batch = false;
	d->used_seen = 0;
}

/*
 * The post, for both allocation orders: @p in_order takes the descriptors
 * after the last chain's and never reads the table the device shares (virtio
 * 1.2, 2.7.5.1: in order, next is x + 1, 0 past the end of the table).
 */
static __rte_always_inline int
split_drv_post(struct vio_split_drv *d, const struct vio_ring_buf *buf, uint16_t n, bool indirect,
	       const bool in_order)
{
	uint16_t head = d->free_head;
	uint16_t idx = head;
	uint16_t i;

	if (n == 0)
		return -EINVAL;
	if (indirect) {
		struct vio_vring_desc *tbl;

		if (d->indirect == NULL || n > d->indirect_max)
			return -EINVAL;
		if (d->nb_free < 1)
			return -ENOSPC;
		tbl = d->indirect + (uint32_t)head * d->indirect_max;
		for (i = 0; i < n; i++) {
			tbl[i].addr = buf[i].addr;
			tbl[i].len = buf[i].len;
			tbl[i].flags = (buf[i].write ? VIO_VRING_DESC_F_WRITE : 0) |
				       (i + 1 < n ? VIO_VRING_DESC_F_NEXT : 0);
			tbl[i].next = (uint16_t)(i + 1);
		}
		d->free_head = in_order ? (uint16_t)((head + 1) & d->r.mask) : d->r.desc[head].next;
		d->r.desc[head].addr = d->indirect_gpa +
				       (uint64_t)head * d->indirect_max * sizeof(*tbl);
		d->r.desc[head].len = (uint32_t)n * sizeof(*tbl);
		d->r.desc[head].flags = VIO_VRING_DESC_F_INDIRECT;
		d->nb_free--;
		d->chain_len[head] = 1;
	} else {
		if (d->nb_free < n)
			return -ENOSPC;
		for (i = 0; i < n; i++) {
			struct vio_vring_desc *desc = &d->r.desc[idx];

			desc->addr = buf[i].addr;
			desc->len = buf[i].len;
			desc->flags = (buf[i].write ? VIO_VRING_DESC_F_WRITE : 0) |
				      (i + 1 < n ? VIO_VRING_DESC_F_NEXT : 0);
			if (in_order) {
				idx = (uint16_t)((idx + 1) & d->r.mask);
				desc->next = idx;
			} else if (i + 1 < n) {
				idx = desc->next;
			}
		}
		d->free_head = in_order ? idx : d->r.desc[idx].next;
		d->nb_free -= n;
		d->chain_len[head] = n;
	}
	d->r.avail->ring[d->avail_idx & d->r.mask] = head;
	d->avail_idx++;
	return head;
}

/*
 * Post a chain of @p n buffers, directly or (when @p indirect and a table
 * area exists) through an indirect table. Returns the head id, -ENOSPC when
 * the ring is full, -EINVAL for n == 0 or an indirect chain too long. The
 * chain becomes visible at the next vio_split_drv_publish().
 */
static inline int
vio_split_drv_post(struct vio_split_drv *d, const struct vio_ring_buf *buf, uint16_t n,
		   bool indirect)
{
	return split_drv_post(d, buf, n, indirect, false);
}

/* The same with VIRTIO_F_IN_ORDER: reap with vio_split_drv_reap_in_order(). */
static inline int
vio_split_drv_post_in_order(struct vio_split_drv *d, const struct vio_ring_buf *buf, uint16_t n,
			    bool indirect)
{
	return split_drv_post(d, buf, n, indirect, true);
}

/* Make every posted chain visible; pairs with vio_split_dev_avail_count. */
static inline void
vio_split_drv_publish(struct vio_split_drv *d)
{
	vio_store_release_u16(&d->r.avail->idx, d->avail_idx);
}

/*
 * Whether the device wants a kick for the chains published since the last
 * call (virtio 1.2, 2.7.13.4). The barrier orders the avail->idx store before
 * the load of avail_event/flags; pairs with vio_split_dev_set_kick.
 */
static inline bool
vio_split_drv_need_kick(struct vio_split_drv *d)
{
	uint16_t old = d->kicked_idx;
	bool kick;

	vio_smp_mb();
	d->kicked_idx = d->avail_idx;
	if (d->event_idx)
		kick = vio_ring_need_event(vio_load_relaxed_u16(vio_split_avail_event(&d->r)),
					   d->avail_idx, old);
	else
		kick = !(vio_load_relaxed_u16(&d->r.used->flags) & VIO_VRING_USED_F_NO_NOTIFY);
	return kick;
}

/*
 * Reap one used chain: its head id in @p id and the bytes the device wrote in
 * @p len. Returns 0, -EAGAIN when nothing is used, -EPROTO when the device
 * returned an id that is out of range or not in flight (a hostile device: the
 * caller stops using the ring). Pairs with vio_split_dev_publish_used.
 */
static inline int
vio_split_drv_reap(struct vio_split_drv *d, uint16_t *id, uint32_t *len)
{
	struct vio_vring_used_elem e;
	uint16_t used_idx = vio_load_acquire_u16(&d->r.used->idx);
	uint16_t nb, idx, i;

	if (used_idx == d->last_used_idx)
		return -EAGAIN;
	e = d->r.used->ring[d->last_used_idx & d->r.mask];
	rte_compiler_barrier(); /* use the local copy only */
	if (e.id >= d->r.size || d->chain_len[e.id] == 0)
		return -EPROTO;
	d->last_used_idx++;
	nb = d->chain_len[e.id];
	d->chain_len[e.id] = 0;
	idx = (uint16_t)e.id;
	for (i = 1; i < nb; i++)
		idx = d->r.desc[idx].next;
	d->r.desc[idx].next = d->free_head;
	d->free_head = (uint16_t)e.id;
	d->nb_free += nb;
	*id = (uint16_t)e.id;
	*len = e.len;
	return 0;
}

/*
 * VIRTIO_F_IN_ORDER: reap the oldest chain in flight (virtio 1.2, 2.7.9). The
 * device may return a batch of chains with one used entry that names the
 * last of them, and move used->idx by the size of the batch: the chains
 * before that one come back first, each with 1 (the device used them
 * completely; @p len is not set), then the last with 0 and the entry's
 * length. A device that writes an entry per chain returns batches of one.
 * Returns 1, 0, -EAGAIN when nothing is used, or -EPROTO: an entry that
 * names no chain in flight, or a batch larger than used->idx moved (a hostile
 * device: the caller stops using the ring). Pairs with
 * vio_split_dev_publish_used.
 */
static inline int
vio_split_drv_reap_in_order(struct vio_split_drv *d, uint16_t *id, uint32_t *len)
{
	uint16_t head = (uint16_t)((d->free_head + d->nb_free) & d->r.mask);
	uint16_t nb;

	if (!d->batch) {
		struct vio_vring_used_elem e;

		d->used_seen = vio_load_acquire_u16(&d->r.used->idx);
		if (d->used_seen == d->last_used_idx)
			return -EAGAIN;
		e = d->r.used->ring[d->last_used_idx & d->r.mask];
		rte_compiler_barrier(); /* use the local copy only */
		if (e.id >= d->r.size || d->chain_len[e.id] == 0)
			return -EPROTO;
		d->batch = true;
		d->batch_id = (uint16_t)e.id;
		d->batch_len = e.len;
	}
	/* Every chain of the batch counts in used->idx. */
	if (unlikely(d->used_seen == d->last_used_idx)) {
		d->used_seen = vio_load_acquire_u16(&d->r.used->idx);
		if (d->used_seen == d->last_used_idx)
			return -EPROTO;
	}
	d->last_used_idx++;
	nb = d->chain_len[head];
	d->chain_len[head] = 0;
	d->nb_free += nb;
	*id = head;
	if (head != d->batch_id)
		return 1;
	d->batch = false;
	*len = d->batch_len;
	return 0;
}

/*
 * Ask for interrupts (@p enable) or suppress them (virtio 1.2, 2.7.10).
 * Returns true when used entries arrived meanwhile, so the caller polls once
 * more instead of sleeping. Pairs with vio_split_dev_need_notify.
 */
static inline bool
vio_split_drv_set_intr(struct vio_split_drv *d, bool enable)
{
	if (d->event_idx) {
		/* Disabled: name the index just behind, reached again after 65536 entries. */
		vio_store_relaxed_u16(vio_split_used_event(&d->r),
				      enable ? d->last_used_idx : (uint16_t)(d->last_used_idx - 1));
	} else {
		vio_store_relaxed_u16(&d->r.avail->flags,
				      enable ? 0 : VIO_VRING_AVAIL_F_NO_INTERRUPT);
	}
	vio_smp_mb();
	return enable && vio_load_relaxed_u16(&d->r.used->idx) != d->last_used_idx;
}

#endif /* VIO_SPLIT_RING_H */
