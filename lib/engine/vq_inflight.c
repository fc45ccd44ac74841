/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Inflight tracking, control side: a queue's region is read and checked once,
 * when the queue starts. A fresh region is initialised; one an earlier
 * instance left behind is recovered as the vhost-user specification
 * describes ("Inflight I/O tracking", "When reconnecting"), and the chains
 * it still held are queued for resubmission in the order they were fetched.
 *
 * The engine is in order: within a burst it returns chains in the order it
 * fetched them, and it holds none between bursts. So the held chains are the
 * ones right after the used position, and the ring's next available chain
 * comes after all of them. A region that contradicts itself (an index out of
 * range, a chain that overlaps another, more slots than the ring has) is the
 * frontend's doing: the queue is refused, and the log names the field.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "vq_internal.h"

#define BAD_REGION(vq, field, fmt, ...)                                                         \
	({                                                                                      \
		rte_log(RTE_LOG_ERR, vio_engine_logtype,                                        \
			"vio_engine: %s: inflight region: bad %s " fmt "\n", (vq)->name, field, \
			##__VA_ARGS__);                                                         \
		-EINVAL;                                                                        \
	})

size_t
vio_vq_inflight_size(uint16_t size, bool packed)
{
	if (packed)
		return sizeof(struct vq_inflight_packed) +
		       (size_t)size * sizeof(struct vq_inflight_packed_desc);
	return sizeof(struct vq_inflight_split) +
	       (size_t)size * sizeof(struct vq_inflight_split_desc);
}

static int
resubmit_cmp(const void *a, const void *b)
{
	const struct vq_resubmit *x = a, *y = b;

	if (x->counter != y->counter)
		return x->counter < y->counter ? -1 : 1;
	return (int)x->head - (int)y->head;
}

static void
resubmit_sort(struct vio_vq *vq)
{
	uint16_t i;

	qsort(vq->resubmit, vq->nb_resubmit, sizeof(vq->resubmit[0]), resubmit_cmp);
	vq->inf_counter = 0;
	for (i = 0; i < vq->nb_resubmit; i++)
		vq->inf_counter = RTE_MAX(vq->inf_counter, vq->resubmit[i].counter);
}

static int
recover_split(struct vio_vq *vq, struct vq_inflight_split *r, uint32_t base)
{
	uint16_t version = r->version, desc_num = r->desc_num;
	uint16_t used = vq->last_used_idx; /* used->idx, read at creation */
	uint16_t region_used, head, i;
	uint32_t n = 0;

	vq->inf_split = r;
	if (version == 0) {
		for (i = 0; i < vq->size; i++)
			r->desc[i].inflight = 0;
		r->features = 0;
		r->desc_num = vq->size;
		r->last_batch_head = 0;
		r->used_idx = used;
		vq_inflight_order();
		r->version = VQ_INFLIGHT_VERSION;
		vq->inf_batch_head = 0;
		return 0;
	}
	if (version != VQ_INFLIGHT_VERSION)
		return BAD_REGION(vq, "version", "%u (vio knows %u)", version, VQ_INFLIGHT_VERSION);
	if (desc_num != vq->size)
		return BAD_REGION(vq, "desc_num", "%u (the ring has %u)", desc_num, vq->size);
	region_used = r->used_idx;
	if (region_used != used) {
		/* The last batch reached the ring, not the region: it is no longer held. */
		uint16_t batch = (uint16_t)(used - region_used);
		uint16_t k;

		if (batch > vq->size)
			return BAD_REGION(vq, "used_idx", "%u (used->idx is %u)", region_used,
					  used);
		head = r->last_batch_head;
		for (k = 0; k < batch; k++) {
			if (head >= vq->size)
				return BAD_REGION(vq, "last batch entry", "%u", head);
			r->desc[head].inflight = 0;
			head = r->desc[head].next;
		}
		vq_inflight_order();
		r->used_idx = used;
	}
	for (i = 0; i < vq->size; i++) {
		uint8_t v = r->desc[i].inflight;

		if (v == 0)
			continue;
		if (v != 1)
			return BAD_REGION(vq, "inflight", "%u of descriptor %u", v, i);
		vq->resubmit[n].head = i;
		vq->resubmit[n].counter = r->desc[i].counter;
		vq->resubmit[n].num = 1;
		n++;
	}
	vq->nb_resubmit = (uint16_t)n;
	resubmit_sort(vq);
	vq->inf_batch_head = r->last_batch_head;
	/* The held chains come right after used->idx; the ring's next one after them. */
	vq->last_avail_idx = (uint16_t)(used + n);
	if (vq->last_avail_idx != (uint16_t)base || n > 0)
		rte_log(RTE_LOG_INFO, vio_engine_logtype,
			"vio_engine: %s: inflight region: %u chains to resubmit, resuming at avail "
			"index %u (base %u)\n",
			vq->name, n, vq->last_avail_idx, base & 0xffff);
	return 0;
}

/* What recovery found an entry to be. */
enum {
	ENT_UNSEEN,
	ENT_FREE,
	ENT_CHAIN
};

/* Link every entry that holds no chain into the free list, in index order. */
static void
packed_free_list_rebuild(struct vio_vq *vq, const uint8_t *state)
{
	struct vq_inflight_packed *r = vq->inf_packed;
	uint16_t head = vq->size, i;

	for (i = vq->size; i-- > 0;) {
		if (state[i] == ENT_CHAIN)
			continue;
		vq->inf_next[i] = head;
		r->desc[i].next = head;
		r->desc[i].inflight = 0;
		head = i;
	}
	vq->inf_free_head = head;
	r->free_head = head;
	r->old_free_head = head;
}

static int
recover_packed_chains(struct vio_vq *vq, uint8_t *state, uint16_t free_head, uint32_t *slots)
{
	struct vq_inflight_packed *r = vq->inf_packed;
	uint32_t steps = 0, n = 0, total = 0;
	uint16_t cur, i, k;

	for (i = 0; i < vq->size; i++) {
		uint16_t next = r->desc[i].next;

		vq->inf_next[i] = RTE_MIN(next, vq->size); /* size: the end */
	}
	/* Entries on the free list hold nothing, whatever their inflight field says. */
	for (cur = free_head; cur < vq->size && state[cur] == ENT_UNSEEN; cur = vq->inf_next[cur]) {
		state[cur] = ENT_FREE;
		if (++steps > vq->size)
			break;
	}
	for (i = 0; i < vq->size; i++) {
		struct vq_resubmit *rs = &vq->resubmit[n];
		uint8_t v;

		if (state[i] != ENT_UNSEEN)
			continue;
		v = r->desc[i].inflight;
		if (v == 0)
			continue;
		if (v != 1)
			return BAD_REGION(vq, "inflight", "%u of entry %u", v, i);
		rs->head = i;
		rs->num = r->desc[i].num;
		rs->last = r->desc[i].last;
		rs->counter = r->desc[i].counter;
		if (rs->num == 0 || rs->num > vq->size || total + rs->num > vq->size)
			return BAD_REGION(vq, "num", "%u of entry %u (%u slots held before it)",
					  rs->num, i, total);
		for (cur = i, k = 0; k < rs->num; k++) {
			if (cur >= vq->size || state[cur] != ENT_UNSEEN)
				return BAD_REGION(vq, "chain", "of entry %u: entry %u", i, cur);
			state[cur] = ENT_CHAIN;
			if (k + 1 < rs->num)
				cur = vq->inf_next[cur];
		}
		if (cur != rs->last)
			return BAD_REGION(vq, "last", "%u of entry %u (the chain ends at %u)",
					  rs->last, i, cur);
		total += rs->num;
		n++;
	}
	vq->nb_resubmit = (uint16_t)n;
	*slots = total;
	return 0;
}

static int
recover_packed(struct vio_vq *vq, struct vq_inflight_packed *r, uint32_t base)
{
	uint16_t version = r->version, desc_num = r->desc_num;
	uint16_t free_head = r->free_head, old_free_head = r->old_free_head;
	uint16_t used_idx = r->used_idx, old_used_idx = r->old_used_idx;
	uint8_t used_wrap = r->used_wrap_counter, old_used_wrap = r->old_used_wrap_counter;
	uint8_t *state;
	uint32_t slots = 0;
	int ret;

	vq->inf_packed = r;
	if (version == 0) {
		/* Fresh: every entry free (the rebuild clears their inflight fields). */
		state = calloc(vq->size, 1); /* ENT_UNSEEN */
		if (state == NULL)
			return -ENOMEM;
		packed_free_list_rebuild(vq, state);
		free(state);
		r->features = 0;
		r->desc_num = vq->size;
		r->used_idx = r->old_used_idx = vq->last_used_idx;
		r->used_wrap_counter = r->old_used_wrap_counter = vq->used_wrap;
		vq_inflight_order();
		r->version = VQ_INFLIGHT_VERSION;
		return 0;
	}
	if (version != VQ_INFLIGHT_VERSION)
		return BAD_REGION(vq, "version", "%u (vio knows %u)", version, VQ_INFLIGHT_VERSION);
	if (desc_num != vq->size)
		return BAD_REGION(vq, "desc_num", "%u (the ring has %u)", desc_num, vq->size);
	if (used_idx >= vq->size || old_used_idx >= vq->size || used_wrap > 1 || old_used_wrap > 1)
		return BAD_REGION(vq, "used position", "%u/%u, old %u/%u", used_idx, used_wrap,
				  old_used_idx, old_used_wrap);
	if (used_idx != old_used_idx || used_wrap != old_used_wrap) {
		/*
		 * A batch was being published; its first entry's flags were the
		 * one store that published it all. Unpublished, the slot still
		 * holds the head the backend fetched, available for the old wrap
		 * counter: roll back. Anything else (used, or already reposted
		 * by a guest that took the batch) means published: commit. (The
		 * specification only tests for "used", which a quick guest has
		 * overwritten by then: its chains would be replayed.)
		 */
		if (!vio_packed_dev_avail(&vq->packed, old_used_idx, old_used_wrap)) {
			old_free_head = free_head;
			old_used_idx = used_idx;
			old_used_wrap = used_wrap;
		}
	}
	state = calloc(vq->size, 1);
	if (state == NULL)
		return -ENOMEM;
	ret = recover_packed_chains(vq, state, old_free_head, &slots);
	if (ret == 0)
		packed_free_list_rebuild(vq, state);
	free(state);
	if (ret < 0)
		return ret;
	resubmit_sort(vq);
	vq->last_used_idx = old_used_idx;
	vq->used_wrap = old_used_wrap;
	r->used_idx = r->old_used_idx = old_used_idx;
	r->used_wrap_counter = r->old_used_wrap_counter = old_used_wrap;
	vq->signalled_pos = vio_packed_pos(vq->size, vq->last_used_idx, vq->used_wrap);
	/* The held chains take the slots right after the used position. */
	vq->last_avail_idx = vq->last_used_idx;
	vq->avail_wrap = vq->used_wrap;
	vio_packed_advance(vq->size, &vq->last_avail_idx, &vq->avail_wrap, (uint16_t)slots);
	if (vio_vq_base(vq) != base || vq->nb_resubmit > 0)
		rte_log(RTE_LOG_INFO, vio_engine_logtype,
			"vio_engine: %s: inflight region: %u chains (%u slots) to resubmit, used "
			"at "
			"%u/%u, avail at %u/%u (base 0x%x)\n",
			vq->name, vq->nb_resubmit, slots, vq->last_used_idx, vq->used_wrap,
			vq->last_avail_idx, vq->avail_wrap, base);
	return 0;
}

int
vq_inflight_init(struct vio_vq *vq, void *region, uint32_t base, int socket_id)
{
	vq->shadow_inf = rte_zmalloc_socket("vio_vq_inflight", vq->size * sizeof(*vq->shadow_inf),
					    RTE_CACHE_LINE_SIZE, socket_id);
	vq->resubmit = rte_zmalloc_socket("vio_vq_resubmit", vq->size * sizeof(*vq->resubmit),
					  RTE_CACHE_LINE_SIZE, socket_id);
	if (vq->shadow_inf == NULL || vq->resubmit == NULL)
		return -ENOMEM;
	if (!vq->is_packed)
		return recover_split(vq, region, base);
	vq->inf_next = rte_zmalloc_socket("vio_vq_inflight_next", vq->size * sizeof(*vq->inf_next),
					  RTE_CACHE_LINE_SIZE, socket_id);
	vq->resub_ring = rte_zmalloc_socket("vio_vq_resubmit_ring",
					    vq->size * sizeof(*vq->resub_ring), RTE_CACHE_LINE_SIZE,
					    socket_id);
	if (vq->inf_next == NULL || vq->resub_ring == NULL)
		return -ENOMEM;
	return recover_packed(vq, region, base);
}

void
vq_inflight_fini(struct vio_vq *vq)
{
	rte_free(vq->shadow_inf);
	rte_free(vq->resubmit);
	rte_free(vq->inf_next);
	rte_free(vq->resub_ring);
}

int
vq_fetch_resubmit(struct vio_vq *vq, bool packed, struct vq_avail_pos *pos, struct vq_chain *c)
{
	const struct vq_resubmit *rs = &vq->resubmit[pos->resub];
	vio_ring_map_fn map = vq->indirect ? vq_map_table : NULL;
	int ret;

	c->resub = rs;
	c->id = rs->head; /* for the error report */
	if (!packed) {
		c->nb_desc = 1;
		ret = vio_split_dev_walk(&vq->split, rs->head, vq->seg, VQ_MAX_SEGS, &c->nb_segs,
					 map, vq);
	} else {
		/* The region's copies, laid out as an available chain at slot 0 of a scratch ring. */
		struct vio_packed_ring tmp = { .desc = vq->resub_ring, .size = vq->size };
		uint16_t cur = rs->head, k;

		for (k = 0; k < rs->num; k++) {
			const struct vq_inflight_packed_desc *d = &vq->inf_packed->desc[cur];
			struct vio_vring_packed_desc *t = &tmp.desc[k];
			uint16_t flags = d->flags;

			t->addr = d->addr;
			t->len = d->len;
			t->id = d->id;
			t->flags = (flags & (VIO_VRING_DESC_F_WRITE | VIO_VRING_DESC_F_INDIRECT)) |
				   (k + 1 < rs->num ? VIO_VRING_DESC_F_NEXT : 0);
			cur = vq->inf_next[cur];
		}
		c->slot = 0;
		ret = vio_packed_dev_walk(&tmp, 0, vq->seg, VQ_MAX_SEGS, &c->nb_segs, &c->id,
					  &c->nb_desc, map, vq);
		if (ret == 0)
			pos->slots += c->nb_desc;
	}
	if (ret == 0)
		pos->resub++;
	return ret;
}
