/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The split ring primitives of split_ring.h, driver side and device side
 * driven against each other: posting, walking, completing and reaping chains,
 * wrap around, notification decisions, and every reason a device walk
 * refuses a hand-built hostile chain.
 */

#include "ring_test.h"

/* ------------------------------------------------------------------------ */
/* Split ring fixture                                                        */
/* ------------------------------------------------------------------------ */

struct split_fx {
	struct vio_split_drv d; /* the driver; d.r is the ring both sides use */
	struct ind_area ia;
	uint16_t last_avail; /* device: next avail entry to take */
	uint16_t used_idx;   /* device: next used entry to fill */
};

static void
split_fx_fini(struct split_fx *f)
{
	free(f->d.r.desc);
	free(f->d.r.avail);
	free(f->d.r.used);
	free(f->d.chain_len);
	free(f->ia.base);
}

static int
split_fx_init(struct split_fx *f, uint16_t size, uint16_t indirect_max, bool event_idx)
{
	memset(f, 0, sizeof(*f));
	f->d.r.size = size;
	f->d.r.mask = (uint16_t)(size - 1);
	f->d.r.desc = ring_alloc(vio_vring_desc_bytes(size));
	f->d.r.avail = ring_alloc(vio_vring_avail_bytes(size));
	f->d.r.used = ring_alloc(vio_vring_used_bytes(size));
	f->d.chain_len = ring_alloc((uint64_t)size * sizeof(uint16_t));
	f->d.event_idx = event_idx;
	if (indirect_max > 0) {
		f->ia.bytes = (uint64_t)size * indirect_max * sizeof(struct vio_vring_desc);
		f->ia.base = ring_alloc(f->ia.bytes);
		f->d.indirect = f->ia.base;
		f->d.indirect_gpa = IND_GPA;
		f->d.indirect_max = indirect_max;
		T_ASSERT(f->ia.base != NULL, "out of memory");
	}
	T_ASSERT(f->d.r.desc != NULL && f->d.r.avail != NULL && f->d.r.used != NULL &&
			 f->d.chain_len != NULL,
		 "out of memory");
	T_EQ((uintptr_t)f->d.r.desc % VIO_VRING_DESC_ALIGN, 0);
	vio_split_drv_init(&f->d);
	return 0;
}

/* A split ring fixture @p f released when it goes out of scope. */
#define SPLIT_FX(f, size, indirect_max, event_idx)                              \
	struct split_fx f __attribute__((cleanup(split_fx_fini)));              \
	do {                                                                    \
		if (split_fx_init(&f, (size), (indirect_max), (event_idx)) < 0) \
			return -1;                                              \
	} while (0)

/* Device: take the next available chain. -1 when none, else the walk's result. */
static int
split_dev_take(struct split_fx *f, struct vio_ring_seg *seg, uint32_t max_segs, uint32_t *nb_segs,
	       uint16_t *head)
{
	if (vio_split_dev_avail_count(&f->d.r, f->last_avail) <= 0)
		return -1;
	*head = vio_split_dev_avail_head(&f->d.r, f->last_avail);
	f->last_avail++;
	return vio_split_dev_walk(&f->d.r, *head, seg, max_segs, nb_segs, ind_map, &f->ia);
}

/* Device: walk a hand-built chain at @p head with room for @p max_segs segments. */
static int
split_walk(struct split_fx *f, uint16_t head, uint32_t max_segs)
{
	struct vio_ring_seg seg[64];
	uint32_t nb_segs = 0;

	return vio_split_dev_walk(&f->d.r, head, seg, RTE_MIN(max_segs, RTE_DIM(seg)), &nb_segs,
				  ind_map, &f->ia);
}

static void
set_desc(struct vio_vring_desc *d, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* Post @p nb chains of one buffer each, publish them and let the device take them. */
static int
split_post_take(struct split_fx *f, unsigned int nb)
{
	struct vio_ring_seg seg[4];
	struct vio_ring_buf b;
	unsigned int i;
	uint32_t nb_segs;
	uint16_t head;

	for (i = 0; i < nb; i++) {
		make_bufs(&b, 1, i);
		T_ASSERT(vio_split_drv_post(&f->d, &b, 1, false) >= 0, "post %u", i);
	}
	vio_split_drv_publish(&f->d);
	for (i = 0; i < nb; i++)
		T_EQ(split_dev_take(f, seg, RTE_DIM(seg), &nb_segs, &head), VIO_RING_ERR_NONE);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Split ring: driver and device against each other                          */
/* ------------------------------------------------------------------------ */

static int
test_split_ring_post_direct_chain(void)
{
	struct vio_ring_buf b[3] = {
		{ 0x1000, 100, 0 },
		{ 0x2000, 200, 1 },
		{ 0x3000, 300, 1 },
	};
	struct vio_ring_buf b2;
	struct vio_ring_seg seg[8];
	uint32_t nb_segs;
	uint16_t i, idx, head;
	int id, id2;
	SPLIT_FX(f, 8, 0, false);

	id = vio_split_drv_post(&f.d, b, 3, false);
	T_EQ(id, 0);
	T_EQ(f.d.nb_free, 5);
	T_EQ(f.d.chain_len[id], 3);
	idx = (uint16_t)id;
	for (i = 0; i < 3; i++) {
		const struct vio_vring_desc *d = &f.d.r.desc[idx];

		T_EQ(d->addr, b[i].addr);
		T_EQ(d->len, b[i].len);
		T_EQ(d->flags, (b[i].write ? VIO_VRING_DESC_F_WRITE : 0) |
				       (i < 2 ? VIO_VRING_DESC_F_NEXT : 0));
		T_ASSERT(idx < 8, "desc %u", idx);
		idx = d->next;
	}
	T_EQ(f.d.r.avail->ring[0], id);
	/* Not visible before publish. */
	T_EQ(f.d.r.avail->idx, 0);
	T_EQ(vio_split_dev_avail_count(&f.d.r, 0), 0);

	/* A second chain before publish: published together. */
	make_bufs(&b2, 1, 7);
	id2 = vio_split_drv_post(&f.d, &b2, 1, false);
	T_EQ(id2, 3);
	T_EQ(f.d.r.desc[id2].flags, VIO_VRING_DESC_F_WRITE);
	T_EQ(vio_split_dev_avail_count(&f.d.r, 0), 0);
	vio_split_drv_publish(&f.d);
	T_EQ(f.d.r.avail->idx, 2);
	T_EQ(vio_split_dev_avail_count(&f.d.r, 0), 2);

	T_EQ(split_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &head), VIO_RING_ERR_NONE);
	T_EQ(head, id);
	T_EQ(check_segs(seg, nb_segs, b, 3), 0);
	T_EQ(split_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &head), VIO_RING_ERR_NONE);
	T_EQ(head, id2);
	T_EQ(check_segs(seg, nb_segs, &b2, 1), 0);
	T_EQ(split_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &head), -1);
	/* A direct chain never maps anything. */
	T_EQ(f.ia.nb_map, 0);
	return 0;
}

static int
test_split_ring_post_indirect_chain(void)
{
	struct vio_ring_buf b[4], b2[2];
	struct vio_ring_seg seg[8];
	const struct vio_vring_desc *tbl;
	uint32_t nb_segs;
	uint16_t i, head;
	int id, id2;
	SPLIT_FX(f, 8, 4, false);

	make_bufs(b, 4, 1);
	id = vio_split_drv_post(&f.d, b, 4, true);
	T_EQ(id, 0);
	T_EQ(f.d.nb_free, 7);
	T_EQ(f.d.chain_len[id], 1);
	T_EQ(f.d.r.desc[id].flags, VIO_VRING_DESC_F_INDIRECT);
	T_EQ(f.d.r.desc[id].len, 4 * sizeof(struct vio_vring_desc));
	T_EQ(f.d.r.desc[id].addr, IND_GPA);
	tbl = f.d.indirect;
	for (i = 0; i < 4; i++) {
		T_EQ(tbl[i].addr, b[i].addr);
		T_EQ(tbl[i].len, b[i].len);
		T_EQ(tbl[i].flags, (b[i].write ? VIO_VRING_DESC_F_WRITE : 0) |
					   (i < 3 ? VIO_VRING_DESC_F_NEXT : 0));
		if (i < 3)
			T_EQ(tbl[i].next, i + 1);
	}
	T_EQ(vio_split_dev_avail_count(&f.d.r, 0), 0);

	/* The second chain gets its own table, indirect_max entries further. */
	make_bufs(b2, 2, 2);
	id2 = vio_split_drv_post(&f.d, b2, 2, true);
	T_EQ(id2, 1);
	T_EQ(f.d.r.desc[id2].addr, IND_GPA + 4 * sizeof(struct vio_vring_desc));
	T_EQ(f.d.r.desc[id2].len, 2 * sizeof(struct vio_vring_desc));
	T_EQ(tbl[4].addr, b2[0].addr);
	T_EQ(tbl[5].addr, b2[1].addr);
	T_EQ(tbl[5].flags & VIO_VRING_DESC_F_NEXT, 0);
	vio_split_drv_publish(&f.d);

	T_EQ(split_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &head), VIO_RING_ERR_NONE);
	T_EQ(head, id);
	T_EQ(check_segs(seg, nb_segs, b, 4), 0);
	T_EQ(split_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &head), VIO_RING_ERR_NONE);
	T_EQ(head, id2);
	T_EQ(check_segs(seg, nb_segs, b2, 2), 0);
	T_EQ(f.ia.nb_map, 2);

	/* A table of exactly indirect_max entries fits; one more does not. */
	{
		struct vio_ring_buf b5[5];

		make_bufs(b5, 5, 3);
		T_EQ(vio_split_drv_post(&f.d, b5, 5, true), -EINVAL);
		T_EQ(f.d.nb_free, 6);
		T_ASSERT(vio_split_drv_post(&f.d, b5, 4, true) >= 0, "post of 4");
	}
	return 0;
}

static int
test_split_ring_indirect_without_table_returns_einval(void)
{
	struct vio_ring_buf b;
	SPLIT_FX(f, 8, 0, false);

	make_bufs(&b, 1, 0);
	T_EQ(vio_split_drv_post(&f.d, &b, 1, true), -EINVAL);
	T_EQ(f.d.nb_free, 8);
	T_EQ(f.d.avail_idx, 0);
	return 0;
}

static int
test_split_ring_used_and_reap(void)
{
	static const uint16_t nb[] = { 1, 3, 2, 2 };
	static const bool ind[] = { false, false, false, true };
	/* Completion order and lengths: out of order, as a device may. */
	static const unsigned int order[] = { 2, 0, 3, 1 };
	static const uint32_t lens[] = { 10, 0, 30, 4000 };
	struct vio_ring_buf b[4];
	struct vio_ring_seg seg[8];
	uint16_t ids[4], head, id;
	uint32_t nb_segs, len;
	unsigned int i, seen = 0;
	SPLIT_FX(f, 8, 4, false);

	for (i = 0; i < 4; i++) {
		int ret;

		make_bufs(b, nb[i], i);
		ret = vio_split_drv_post(&f.d, b, nb[i], ind[i]);
		T_ASSERT(ret >= 0, "post %u: %d", i, ret);
		ids[i] = (uint16_t)ret;
	}
	T_EQ(f.d.nb_free, 1);
	vio_split_drv_publish(&f.d);
	for (i = 0; i < 4; i++) {
		T_EQ(split_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &head), VIO_RING_ERR_NONE);
		T_EQ(head, ids[i]);
		make_bufs(b, nb[i], i);
		T_EQ(check_segs(seg, nb_segs, b, nb[i]), 0);
	}
	T_EQ(vio_split_drv_reap(&f.d, &id, &len), -EAGAIN);

	for (i = 0; i < 4; i++)
		vio_split_dev_put_used(&f.d.r, f.used_idx++, ids[order[i]], lens[i]);
	/* Written but not published: nothing to reap. */
	T_EQ(vio_split_drv_reap(&f.d, &id, &len), -EAGAIN);
	vio_split_dev_publish_used(&f.d.r, 2);
	for (i = 0; i < 2; i++) {
		T_EQ(vio_split_drv_reap(&f.d, &id, &len), 0);
		T_EQ(id, ids[order[i]]);
		T_EQ(len, lens[i]);
		/* The reaped chain heads the free list. */
		T_EQ(f.d.free_head, id);
	}
	T_EQ(vio_split_drv_reap(&f.d, &id, &len), -EAGAIN);
	T_EQ(f.d.nb_free, 1 + nb[order[0]] + nb[order[1]]);
	vio_split_dev_publish_used(&f.d.r, f.used_idx);
	for (i = 2; i < 4; i++) {
		T_EQ(vio_split_drv_reap(&f.d, &id, &len), 0);
		T_EQ(id, ids[order[i]]);
		T_EQ(len, lens[i]);
	}
	T_EQ(vio_split_drv_reap(&f.d, &id, &len), -EAGAIN);
	T_EQ(f.d.nb_free, 8);
	for (i = 0; i < 8; i++)
		T_EQ(f.d.chain_len[i], 0);

	/* Every descriptor is back on the free list: 8 single chains, all distinct. */
	for (i = 0; i < 8; i++) {
		int ret;

		make_bufs(b, 1, i);
		ret = vio_split_drv_post(&f.d, b, 1, false);
		T_ASSERT(ret >= 0 && ret < 8, "post %u: %d", i, ret);
		T_ASSERT(!(seen & (1u << ret)), "id %d twice", ret);
		seen |= 1u << ret;
	}
	T_EQ(seen, 0xff);
	T_EQ(vio_split_drv_post(&f.d, b, 1, false), -ENOSPC);
	return 0;
}

/*
 * Rounds of post, publish, walk, complete (in reverse order, to shuffle the
 * free list) and reap on a ring of 8 until 10 laps of the avail ring, starting
 * at free-running index @p start.
 */
static int
split_laps(uint16_t start)
{
	struct posted p[8];
	uint32_t tag = 0, nb_chains = 0, round;
	SPLIT_FX(f, 8, 4, false);

	f.d.avail_idx = start;
	f.d.kicked_idx = start;
	f.d.last_used_idx = start;
	f.d.r.avail->idx = start;
	f.d.r.used->idx = start;
	f.last_avail = start;
	f.used_idx = start;

	for (round = 0; nb_chains < 10 * 8; round++) {
		struct vio_ring_seg seg[8];
		struct vio_ring_buf b[4];
		uint32_t i, nb_post = 0, nb_segs, len;
		uint16_t head, id;

		while (nb_post < round % 5 + 1 && f.d.nb_free > 0) {
			uint16_t n = (uint16_t)(tag % 3 + 1);
			bool ind = tag % 4 == 3;
			int ret;

			if (!ind && n > f.d.nb_free)
				break;
			make_bufs(b, n, tag);
			ret = vio_split_drv_post(&f.d, b, n, ind);
			T_ASSERT(ret >= 0 && ret < 8, "round %u tag %u: post %d", round, tag, ret);
			p[nb_post].id = (uint16_t)ret;
			p[nb_post].n = n;
			p[nb_post].indirect = ind;
			p[nb_post].tag = tag++;
			nb_post++;
		}
		T_ASSERT(nb_post > 0, "round %u: nothing posted", round);
		T_EQ(vio_split_dev_avail_count(&f.d.r, f.last_avail), 0);
		vio_split_drv_publish(&f.d);
		T_EQ(vio_split_dev_avail_count(&f.d.r, f.last_avail), nb_post);
		for (i = 0; i < nb_post; i++) {
			T_EQ(split_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &head), 0);
			T_EQ(head, p[i].id);
			make_bufs(b, p[i].n, p[i].tag);
			T_EQ(check_segs(seg, nb_segs, b, p[i].n), 0);
		}
		T_EQ(vio_split_dev_avail_count(&f.d.r, f.last_avail), 0);
		for (i = nb_post; i-- > 0;)
			vio_split_dev_put_used(&f.d.r, f.used_idx++, p[i].id, p[i].tag);
		vio_split_dev_publish_used(&f.d.r, f.used_idx);
		for (i = nb_post; i-- > 0;) {
			T_EQ(vio_split_drv_reap(&f.d, &id, &len), 0);
			T_EQ(id, p[i].id);
			T_EQ(len, p[i].tag);
		}
		T_EQ(vio_split_drv_reap(&f.d, &id, &len), -EAGAIN);
		T_EQ(f.d.nb_free, 8);
		nb_chains += nb_post;
	}
	T_EQ(f.d.avail_idx, (uint16_t)(start + nb_chains));
	T_EQ(f.d.last_used_idx, (uint16_t)(start + nb_chains));
	T_EQ(f.last_avail, (uint16_t)(start + nb_chains));
	T_EQ(f.used_idx, (uint16_t)(start + nb_chains));
	return 0;
}

static int
test_split_ring_wraps_over_many_laps(void)
{
	return split_laps(0);
}

static int
test_split_ring_wraps_free_running_index_past_65535(void)
{
	return split_laps(65530);
}

static int
test_split_ring_full_returns_enospc(void)
{
	struct vio_ring_buf b[9];
	uint16_t free_head, id;
	uint32_t len;
	SPLIT_FX(f, 8, 4, false);

	make_bufs(b, 9, 0);
	T_ASSERT(vio_split_drv_post(&f.d, b, 3, false) >= 0, "post 3");
	T_ASSERT(vio_split_drv_post(&f.d, b, 3, false) >= 0, "post 3");
	free_head = f.d.free_head;
	T_EQ(vio_split_drv_post(&f.d, b, 3, false), -ENOSPC);
	/* A refused post changes nothing. */
	T_EQ(f.d.nb_free, 2);
	T_EQ(f.d.avail_idx, 2);
	T_EQ(f.d.free_head, free_head);
	T_ASSERT(vio_split_drv_post(&f.d, b, 2, false) >= 0, "post 2");
	T_EQ(f.d.nb_free, 0);
	T_EQ(vio_split_drv_post(&f.d, b, 1, false), -ENOSPC);
	T_EQ(vio_split_drv_post(&f.d, b, 1, true), -ENOSPC);
	T_EQ(f.d.avail_idx, 3);

	/* Drain, then one chain of the whole ring fits and walks. */
	vio_split_drv_publish(&f.d);
	while (f.last_avail != f.d.avail_idx) {
		uint16_t head = vio_split_dev_avail_head(&f.d.r, f.last_avail++);

		vio_split_dev_put_used(&f.d.r, f.used_idx++, head, 0);
	}
	vio_split_dev_publish_used(&f.d.r, f.used_idx);
	while (vio_split_drv_reap(&f.d, &id, &len) == 0)
		;
	T_EQ(f.d.nb_free, 8);
	T_EQ(vio_split_drv_post(&f.d, b, 9, false), -ENOSPC);
	T_ASSERT(vio_split_drv_post(&f.d, b, 8, false) >= 0, "post 8");
	vio_split_drv_publish(&f.d);
	{
		struct vio_ring_seg seg[8];
		uint32_t nb_segs;
		uint16_t head;

		T_EQ(split_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &head), 0);
		T_EQ(check_segs(seg, nb_segs, b, 8), 0);
	}
	return 0;
}

static int
test_split_ring_post_zero_returns_einval(void)
{
	struct vio_ring_buf b;
	SPLIT_FX(f, 8, 4, false);

	make_bufs(&b, 1, 0);
	T_EQ(vio_split_drv_post(&f.d, &b, 0, false), -EINVAL);
	T_EQ(vio_split_drv_post(&f.d, &b, 0, true), -EINVAL);
	T_EQ(f.d.nb_free, 8);
	T_EQ(f.d.avail_idx, 0);
	T_EQ(f.d.free_head, 0);
	return 0;
}

static int
test_split_ring_reap_rejects_bad_used_id(void)
{
	static const uint32_t bad[] = { 8, 5, 0xffff, 0x10000, UINT32_MAX };
	uint16_t id;
	uint32_t len, i;
	SPLIT_FX(f, 8, 0, false);

	T_EQ(split_post_take(&f, 1), 0);
	T_EQ(f.d.nb_free, 7);
	for (i = 0; i < RTE_DIM(bad); i++) {
		/* Out of range, or in range but not in flight (5). */
		vio_split_dev_put_used(&f.d.r, 0, bad[i], 1);
		vio_split_dev_publish_used(&f.d.r, 1);
		T_EQ(vio_split_drv_reap(&f.d, &id, &len), -EPROTO);
		T_EQ(f.d.last_used_idx, 0);
		T_EQ(f.d.nb_free, 7);
		T_EQ(f.d.chain_len[0], 1);
	}
	/* The id in flight is accepted. */
	vio_split_dev_put_used(&f.d.r, 0, 0, 1);
	T_EQ(vio_split_drv_reap(&f.d, &id, &len), 0);
	T_EQ(id, 0);
	/* Returning it again: no longer in flight. */
	vio_split_dev_put_used(&f.d.r, 1, 0, 1);
	vio_split_dev_publish_used(&f.d.r, 2);
	T_EQ(vio_split_drv_reap(&f.d, &id, &len), -EPROTO);
	T_EQ(f.d.nb_free, 8);
	return 0;
}

static int
test_split_ring_kick_no_notify(void)
{
	struct vio_ring_buf b;
	SPLIT_FX(f, 8, 0, false);

	make_bufs(&b, 1, 0);
	T_ASSERT(vio_split_drv_post(&f.d, &b, 1, false) >= 0, "post");
	vio_split_drv_publish(&f.d);
	T_ASSERT(vio_split_drv_need_kick(&f.d), "kick wanted by default");

	vio_split_dev_set_kick(&f.d.r, false, false, 1);
	T_EQ(f.d.r.used->flags, VIO_VRING_USED_F_NO_NOTIFY);
	T_ASSERT(vio_split_drv_post(&f.d, &b, 1, false) >= 0, "post");
	vio_split_drv_publish(&f.d);
	T_ASSERT(!vio_split_drv_need_kick(&f.d), "NO_NOTIFY ignored");

	vio_split_dev_set_kick(&f.d.r, false, true, 2);
	T_EQ(f.d.r.used->flags, 0);
	T_ASSERT(vio_split_drv_post(&f.d, &b, 1, false) >= 0, "post");
	vio_split_drv_publish(&f.d);
	T_ASSERT(vio_split_drv_need_kick(&f.d), "kick after re-enable");
	return 0;
}

static int
test_split_ring_kick_event_idx(void)
{
	struct vio_ring_buf b;
	unsigned int i;
	SPLIT_FX(f, 8, 0, true);

	make_bufs(&b, 1, 0);
	vio_split_dev_set_kick(&f.d.r, true, true, 0);
	T_EQ(*vio_split_avail_event(&f.d.r), 0);
	/* Event idx mode ignores the flags. */
	f.d.r.used->flags = VIO_VRING_USED_F_NO_NOTIFY;

	T_ASSERT(vio_split_drv_post(&f.d, &b, 1, false) >= 0, "post");
	vio_split_drv_publish(&f.d);
	T_ASSERT(vio_split_drv_need_kick(&f.d), "0 -> 1 passes event 0");
	T_ASSERT(vio_split_drv_post(&f.d, &b, 1, false) >= 0, "post");
	vio_split_drv_publish(&f.d);
	T_ASSERT(!vio_split_drv_need_kick(&f.d), "1 -> 2 does not pass event 0");

	/* The device caught up to 2 and asks again. */
	vio_split_dev_set_kick(&f.d.r, true, true, 2);
	T_EQ(*vio_split_avail_event(&f.d.r), 2);
	for (i = 0; i < 3; i++)
		T_ASSERT(vio_split_drv_post(&f.d, &b, 1, false) >= 0, "post");
	vio_split_drv_publish(&f.d);
	T_ASSERT(vio_split_drv_need_kick(&f.d), "2 -> 5 passes event 2");
	T_ASSERT(!vio_split_drv_need_kick(&f.d), "nothing new since the last decision");

	/* Suppressed: the event names the index just behind the device. */
	vio_split_dev_set_kick(&f.d.r, true, false, 5);
	T_EQ(*vio_split_avail_event(&f.d.r), 4);
	T_ASSERT(vio_split_drv_post(&f.d, &b, 1, false) >= 0, "post");
	vio_split_drv_publish(&f.d);
	T_ASSERT(!vio_split_drv_need_kick(&f.d), "5 -> 6 with kicks suppressed");

	vio_split_dev_set_kick(&f.d.r, true, false, 0);
	T_EQ(*vio_split_avail_event(&f.d.r), 65535);
	return 0;
}

static int
test_split_ring_intr_no_interrupt(void)
{
	uint16_t id;
	uint32_t len;
	SPLIT_FX(f, 8, 0, false);

	T_EQ(split_post_take(&f, 3), 0);
	vio_split_dev_put_used(&f.d.r, f.used_idx++, 0, 1);
	vio_split_dev_publish_used(&f.d.r, f.used_idx);
	T_ASSERT(vio_split_dev_need_notify(&f.d.r, false, 0, 1), "interrupt wanted by default");

	T_ASSERT(!vio_split_drv_set_intr(&f.d, false), "disable returns false");
	T_EQ(f.d.r.avail->flags, VIO_VRING_AVAIL_F_NO_INTERRUPT);
	vio_split_dev_put_used(&f.d.r, f.used_idx++, 1, 1);
	vio_split_dev_publish_used(&f.d.r, f.used_idx);
	T_ASSERT(!vio_split_dev_need_notify(&f.d.r, false, 1, 2), "NO_INTERRUPT ignored");

	/* Re-enabling with used entries pending tells the driver to poll again. */
	T_ASSERT(vio_split_drv_set_intr(&f.d, true), "two used entries pending");
	T_EQ(f.d.r.avail->flags, 0);
	T_ASSERT(vio_split_dev_need_notify(&f.d.r, false, 1, 2), "interrupt after re-enable");
	T_EQ(vio_split_drv_reap(&f.d, &id, &len), 0);
	T_EQ(vio_split_drv_reap(&f.d, &id, &len), 0);
	T_ASSERT(!vio_split_drv_set_intr(&f.d, true), "nothing pending");
	return 0;
}

static int
test_split_ring_intr_used_event(void)
{
	uint16_t id;
	uint32_t len;
	unsigned int i;
	SPLIT_FX(f, 8, 0, true);

	T_EQ(split_post_take(&f, 6), 0);
	T_ASSERT(!vio_split_drv_set_intr(&f.d, true), "nothing pending");
	T_EQ(*vio_split_used_event(&f.d.r), 0);
	/* Event idx mode ignores the flags. */
	f.d.r.avail->flags = VIO_VRING_AVAIL_F_NO_INTERRUPT;

	vio_split_dev_put_used(&f.d.r, f.used_idx++, 0, 1);
	vio_split_dev_publish_used(&f.d.r, f.used_idx);
	T_ASSERT(vio_split_dev_need_notify(&f.d.r, true, 0, 1), "0 -> 1 passes event 0");
	vio_split_dev_put_used(&f.d.r, f.used_idx++, 1, 1);
	vio_split_dev_publish_used(&f.d.r, f.used_idx);
	T_ASSERT(!vio_split_dev_need_notify(&f.d.r, true, 1, 2), "1 -> 2 does not pass event 0");

	for (i = 0; i < 2; i++)
		T_EQ(vio_split_drv_reap(&f.d, &id, &len), 0);
	T_ASSERT(!vio_split_drv_set_intr(&f.d, true), "nothing pending");
	T_EQ(*vio_split_used_event(&f.d.r), 2);
	vio_split_dev_put_used(&f.d.r, f.used_idx++, 2, 1);
	vio_split_dev_put_used(&f.d.r, f.used_idx++, 3, 1);
	vio_split_dev_publish_used(&f.d.r, f.used_idx);
	T_ASSERT(vio_split_dev_need_notify(&f.d.r, true, 2, 4), "2 -> 4 passes event 2");

	/* Re-arming while entries are pending says so. */
	T_ASSERT(vio_split_drv_set_intr(&f.d, true), "two entries pending");
	for (i = 0; i < 2; i++)
		T_EQ(vio_split_drv_reap(&f.d, &id, &len), 0);

	/* Suppressed: the event names the index just behind the driver. */
	T_ASSERT(!vio_split_drv_set_intr(&f.d, false), "disable returns false");
	T_EQ(*vio_split_used_event(&f.d.r), 3);
	vio_split_dev_put_used(&f.d.r, f.used_idx++, 4, 1);
	vio_split_dev_publish_used(&f.d.r, f.used_idx);
	T_ASSERT(!vio_split_dev_need_notify(&f.d.r, true, 4, 5), "suppressed");
	return 0;
}

static int
test_ring_need_event_edges(void)
{
	static const uint16_t olds[] = { 0, 1, 5, 32767, 32768, 65530, 65534, 65535 };
	static const uint16_t steps[] = { 0, 1, 2, 7, 10, 256, 32768, 65535 };
	unsigned int i, j;

	/* Equal indices: nothing moved, never an event. */
	T_ASSERT(!vio_ring_need_event(5, 5, 5), "equal");
	T_ASSERT(!vio_ring_need_event(4, 5, 5), "equal");
	T_ASSERT(!vio_ring_need_event(6, 5, 5), "equal");
	/* The event at the old index is passed by one step; the new index is not passed. */
	T_ASSERT(vio_ring_need_event(5, 6, 5), "event == old");
	T_ASSERT(vio_ring_need_event(9, 10, 5), "event == new - 1");
	T_ASSERT(!vio_ring_need_event(10, 10, 5), "event == new");
	T_ASSERT(!vio_ring_need_event(4, 10, 5), "event behind old");
	/* Across 65535 -> 0. */
	T_ASSERT(vio_ring_need_event(65535, 0, 65535), "65535 -> 0, event 65535");
	T_ASSERT(!vio_ring_need_event(65534, 0, 65535), "65535 -> 0, event 65534");
	T_ASSERT(!vio_ring_need_event(0, 0, 65535), "65535 -> 0, event 0");
	T_ASSERT(vio_ring_need_event(0, 1, 65534), "65534 -> 1, event 0");
	T_ASSERT(vio_ring_need_event(65535, 1, 65534), "65534 -> 1, event 65535");
	T_ASSERT(!vio_ring_need_event(1, 1, 65534), "65534 -> 1, event 1");
	T_ASSERT(!vio_ring_need_event(65533, 1, 65534), "65534 -> 1, event 65533");

	/* Exhaustively over the event: true exactly for event in [old, new). */
	for (i = 0; i < RTE_DIM(olds); i++) {
		for (j = 0; j < RTE_DIM(steps); j++) {
			uint16_t old_idx = olds[i];
			uint16_t new_idx = (uint16_t)(old_idx + steps[j]);
			uint32_t ev, hits = 0;

			for (ev = 0; ev < 65536; ev++) {
				bool want = (uint16_t)(ev - old_idx) < steps[j];

				if (vio_ring_need_event((uint16_t)ev, new_idx, old_idx) != want) {
					T_ASSERT(0, "event %u old %u new %u: want %d", ev, old_idx,
						 new_idx, want);
				}
				hits += want;
			}
			T_EQ(hits, steps[j]);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Split ring: VIRTIO_F_IN_ORDER                                             */
/* ------------------------------------------------------------------------ */

/*
 * Device, in order: return the next @p n chains it took with one used entry
 * (@p batch: the last one's id and @p len, used->idx moved by @p n) or one
 * each. The chains are posted[first..first+n-1].
 */
static void
split_dev_used_in_order(struct split_fx *f, const struct posted *p, uint16_t n, bool batch)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		if (!batch || i + 1 == n)
			vio_split_dev_put_used(&f->d.r, (uint16_t)(f->used_idx + (batch ? 0 : i)),
					       p[i].id, p[i].tag);
	f->used_idx = (uint16_t)(f->used_idx + n);
	vio_split_dev_publish_used(&f->d.r, f->used_idx);
}

/* Chains take the descriptors after the last chain's, wrapping at the end of the table. */
static int
test_split_ring_in_order_posts_in_ring_order(void)
{
	const uint16_t lens[] = { 1, 3, 2, 2 }, heads[] = { 0, 1, 4, 6 };
	struct vio_ring_buf b[4];
	struct vio_ring_seg seg[8];
	uint32_t nb_segs, len;
	uint16_t i, head, id;
	SPLIT_FX(f, 8, 4, false);

	for (i = 0; i < 3; i++) {
		make_bufs(b, lens[i], i);
		T_EQ(vio_split_drv_post_in_order(&f.d, b, lens[i], false), heads[i]);
	}
	T_EQ(f.d.free_head, 6);
	T_EQ(f.d.nb_free, 2);
	/* The table is not read: the next fields are the ring's order. */
	T_EQ(f.d.r.desc[1].next, 2);
	T_EQ(f.d.r.desc[2].next, 3);
	vio_split_drv_publish(&f.d);
	for (i = 0; i < 3; i++) {
		T_EQ(split_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &head), VIO_RING_ERR_NONE);
		T_EQ(head, heads[i]);
		make_bufs(b, lens[i], i);
		T_EQ(check_segs(seg, nb_segs, b, lens[i]), 0);
	}
	/* The first chain back; the next one wraps: descriptors 6, 7 and 0. */
	vio_split_dev_put_used(&f.d.r, f.used_idx++, 0, 0);
	vio_split_dev_publish_used(&f.d.r, f.used_idx);
	T_EQ(vio_split_drv_reap_in_order(&f.d, &id, &len), 0);
	T_EQ(id, 0);
	make_bufs(b, 3, 9);
	T_EQ(vio_split_drv_post_in_order(&f.d, b, 3, false), 6);
	T_EQ(f.d.r.desc[7].next, 0);
	T_EQ(f.d.free_head, 1);
	T_EQ(f.d.nb_free, 0);
	vio_split_drv_publish(&f.d);
	T_EQ(split_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &head), VIO_RING_ERR_NONE);
	T_EQ(head, 6);
	T_EQ(check_segs(seg, nb_segs, b, 3), 0);
	/* An indirect chain takes one descriptor, the next. */
	T_EQ(vio_split_drv_post_in_order(&f.d, b, 3, true), -ENOSPC);
	return 0;
}

/*
 * Over many laps, batches of 1 to 5 chains of 1 to 3 buffers (some
 * indirect), returned one entry per batch or one per chain: every chain
 * comes back once, in order, the batch's earlier chains as "used
 * completely" (1), its last with the entry's length.
 */
static int
in_order_laps(bool batch)
{
	struct posted p[8];
	uint32_t tag = 0, round, chains = 0;
	SPLIT_FX(f, 8, 4, false);

	for (round = 0; chains < 200; round++) {
		struct vio_ring_seg seg[8];
		struct vio_ring_buf b[4];
		uint32_t i, nb_post = 0, nb_segs, len;
		uint16_t head, id;

		while (nb_post < round % 5 + 1) {
			uint16_t n = (uint16_t)(tag % 3 + 1);
			bool ind = tag % 4 == 3;
			int ret;

			if ((ind ? 1 : n) > f.d.nb_free)
				break;
			make_bufs(b, n, tag);
			ret = vio_split_drv_post_in_order(&f.d, b, n, ind);
			T_ASSERT(ret >= 0, "round %u tag %u: post %d", round, tag, ret);
			p[nb_post++] = (struct posted){ .id = (uint16_t)ret, .n = n, .tag = tag++ };
		}
		T_ASSERT(nb_post > 0, "round %u: nothing posted", round);
		vio_split_drv_publish(&f.d);
		for (i = 0; i < nb_post; i++) {
			T_EQ(split_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &head), 0);
			T_EQ(head, p[i].id);
		}
		split_dev_used_in_order(&f, p, (uint16_t)nb_post, batch);
		for (i = 0; i < nb_post; i++) {
			len = UINT32_MAX;
			T_EQ(vio_split_drv_reap_in_order(&f.d, &id, &len),
			     batch && i + 1 < nb_post ? 1 : 0);
			T_EQ(id, p[i].id);
			if (!batch || i + 1 == nb_post)
				T_EQ(len, p[i].tag);
			else
				T_EQ(len, UINT32_MAX); /* not set for a chain without its entry */
		}
		T_EQ(vio_split_drv_reap_in_order(&f.d, &id, &len), -EAGAIN);
		T_EQ(f.d.nb_free, 8);
		T_EQ(f.d.last_used_idx, f.used_idx);
		chains += nb_post;
	}
	return 0;
}

static int
test_split_ring_in_order_reaps_batches_over_many_laps(void)
{
	return in_order_laps(true);
}

static int
test_split_ring_in_order_reaps_one_entry_each(void)
{
	return in_order_laps(false);
}

/* An entry that names no chain in flight, or a batch larger than used->idx moved. */
static int
test_split_ring_in_order_rejects_bad_batch(void)
{
	struct vio_ring_buf b;
	uint32_t len;
	uint16_t id, i;
	SPLIT_FX(f, 8, 0, false);

	make_bufs(&b, 1, 0);
	for (i = 0; i < 4; i++)
		T_EQ(vio_split_drv_post_in_order(&f.d, &b, 1, false), i);
	vio_split_drv_publish(&f.d);
	/* Not in flight: head 5. */
	vio_split_dev_put_used(&f.d.r, 0, 5, 0);
	vio_split_dev_publish_used(&f.d.r, 1);
	T_EQ(vio_split_drv_reap_in_order(&f.d, &id, &len), -EPROTO);
	/* The fourth chain named, used->idx moved by two. */
	vio_split_dev_put_used(&f.d.r, 0, 3, 0);
	vio_split_dev_publish_used(&f.d.r, 2);
	T_EQ(vio_split_drv_reap_in_order(&f.d, &id, &len), 1);
	T_EQ(vio_split_drv_reap_in_order(&f.d, &id, &len), 1);
	T_EQ(vio_split_drv_reap_in_order(&f.d, &id, &len), -EPROTO);
	T_EQ(f.d.nb_free, 6);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Split ring: hostile chains refused by the device walk                     */
/* ------------------------------------------------------------------------ */

static int
test_split_ring_rejects_avail_idx_ahead(void)
{
	SPLIT_FX(f, 8, 0, false);

	f.d.r.avail->idx = 8;
	T_EQ(vio_split_dev_avail_count(&f.d.r, 0), 8);
	f.d.r.avail->idx = 9;
	T_EQ(vio_split_dev_avail_count(&f.d.r, 0), -1);
	f.d.r.avail->idx = 65535;
	T_EQ(vio_split_dev_avail_count(&f.d.r, 0), -1);
	/* Across the 16-bit wrap. */
	f.d.r.avail->idx = 3;
	T_EQ(vio_split_dev_avail_count(&f.d.r, 65531), 8);
	T_EQ(vio_split_dev_avail_count(&f.d.r, 65530), -1);
	return 0;
}

static int
test_split_ring_rejects_descriptor_index_out_of_range(void)
{
	struct vio_vring_desc *tbl;
	SPLIT_FX(f, 8, 4, false);

	tbl = f.d.indirect;
	T_EQ(split_walk(&f, 8, 64), VIO_RING_ERR_DESC_IDX);
	T_EQ(split_walk(&f, 65535, 64), VIO_RING_ERR_DESC_IDX);
	set_desc(&f.d.r.desc[0], 0x1000, 1, VIO_VRING_DESC_F_NEXT, 8);
	T_EQ(split_walk(&f, 0, 64), VIO_RING_ERR_DESC_IDX);
	set_desc(&f.d.r.desc[0], 0x1000, 1, VIO_VRING_DESC_F_NEXT, 7);
	set_desc(&f.d.r.desc[7], 0x2000, 1, 0, 0);
	T_EQ(split_walk(&f, 0, 64), VIO_RING_ERR_NONE);
	/* Inside an indirect table the bound is the table's size. */
	set_desc(&tbl[0], 0x1000, 1, VIO_VRING_DESC_F_NEXT, 2);
	set_desc(&tbl[1], 0x2000, 1, 0, 0);
	set_desc(&tbl[2], 0x3000, 1, 0, 0);
	set_desc(&f.d.r.desc[1], IND_GPA, 2 * sizeof(*tbl), VIO_VRING_DESC_F_INDIRECT, 0);
	T_EQ(split_walk(&f, 1, 64), VIO_RING_ERR_DESC_IDX);
	set_desc(&tbl[0], 0x1000, 1, VIO_VRING_DESC_F_NEXT, 1);
	T_EQ(split_walk(&f, 1, 64), VIO_RING_ERR_NONE);
	return 0;
}

static int
test_split_ring_rejects_descriptor_loop(void)
{
	struct vio_vring_desc *tbl;
	struct vio_ring_seg seg[16];
	uint32_t nb_segs = 0;
	uint16_t i;
	SPLIT_FX(f, 8, 4, false);

	tbl = f.d.indirect;
	/* 0 -> 1 -> 2 -> 0 */
	for (i = 0; i < 3; i++)
		set_desc(&f.d.r.desc[i], 0x1000 * i, 1, VIO_VRING_DESC_F_NEXT, (i + 1) % 3);
	T_EQ(split_walk(&f, 0, 64), VIO_RING_ERR_DESC_LOOP);
	/* Refused at the first step past the table, before the segment vector is full. */
	T_EQ(split_walk(&f, 0, 8), VIO_RING_ERR_DESC_LOOP);
	/* 5 -> 5 */
	set_desc(&f.d.r.desc[5], 0x5000, 1, VIO_VRING_DESC_F_NEXT, 5);
	T_EQ(split_walk(&f, 5, 64), VIO_RING_ERR_DESC_LOOP);
	/* A chain through every descriptor once is the longest legal one. */
	for (i = 0; i < 8; i++)
		set_desc(&f.d.r.desc[i], 0x1000 * i, 1, i < 7 ? VIO_VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	T_EQ(vio_split_dev_walk(&f.d.r, 0, seg, RTE_DIM(seg), &nb_segs, ind_map, &f.ia),
	     VIO_RING_ERR_NONE);
	T_EQ(nb_segs, 8);
	/* A loop inside an indirect table: 0 -> 1 -> 0. */
	set_desc(&tbl[0], 0x1000, 1, VIO_VRING_DESC_F_NEXT, 1);
	set_desc(&tbl[1], 0x2000, 1, VIO_VRING_DESC_F_NEXT, 0);
	set_desc(&f.d.r.desc[3], IND_GPA, 2 * sizeof(*tbl), VIO_VRING_DESC_F_INDIRECT, 0);
	T_EQ(split_walk(&f, 3, 64), VIO_RING_ERR_DESC_LOOP);
	return 0;
}

static int
test_split_ring_rejects_nested_indirect(void)
{
	struct vio_vring_desc *tbl;
	SPLIT_FX(f, 8, 4, false);

	tbl = f.d.indirect;
	set_desc(&tbl[0], 0x1000, 1, VIO_VRING_DESC_F_NEXT, 1);
	set_desc(&tbl[1], IND_GPA, 2 * sizeof(*tbl), VIO_VRING_DESC_F_INDIRECT, 0);
	set_desc(&f.d.r.desc[0], IND_GPA, 2 * sizeof(*tbl), VIO_VRING_DESC_F_INDIRECT, 0);
	T_EQ(split_walk(&f, 0, 64), VIO_RING_ERR_INDIRECT_NESTED);
	/* Nested in the first entry too. */
	set_desc(&tbl[0], IND_GPA, 2 * sizeof(*tbl), VIO_VRING_DESC_F_INDIRECT, 0);
	T_EQ(split_walk(&f, 0, 64), VIO_RING_ERR_INDIRECT_NESTED);
	return 0;
}

static int
test_split_ring_rejects_indirect_with_next(void)
{
	struct vio_vring_desc *tbl;
	SPLIT_FX(f, 8, 4, false);

	tbl = f.d.indirect;
	set_desc(&tbl[0], 0x1000, 1, 0, 0);
	set_desc(&f.d.r.desc[0], IND_GPA, sizeof(*tbl),
		 VIO_VRING_DESC_F_INDIRECT | VIO_VRING_DESC_F_NEXT, 1);
	set_desc(&f.d.r.desc[1], 0x2000, 1, 0, 0);
	T_EQ(split_walk(&f, 0, 64), VIO_RING_ERR_INDIRECT_NEXT);
	/* Also behind a direct descriptor. */
	set_desc(&f.d.r.desc[2], 0x3000, 1, VIO_VRING_DESC_F_NEXT, 0);
	T_EQ(split_walk(&f, 2, 64), VIO_RING_ERR_INDIRECT_NEXT);
	T_EQ(f.ia.nb_map, 0);
	return 0;
}

static int
test_split_ring_rejects_bad_indirect_len(void)
{
	/* 0, not a multiple of 16, one entry more than the most, and far more. */
	static const uint32_t bad[] = {
		0, 1, 8, 15, 17, 24, TOO_BIG(struct vio_vring_desc), UINT32_MAX & ~15u
	};
	unsigned int i;
	SPLIT_FX(f, 8, 4, false);

	memset(f.d.indirect, 0, 4 * sizeof(struct vio_vring_desc));
	for (i = 0; i < RTE_DIM(bad); i++) {
		set_desc(&f.d.r.desc[0], IND_GPA, bad[i], VIO_VRING_DESC_F_INDIRECT, 0);
		T_ASSERT(split_walk(&f, 0, 64) == VIO_RING_ERR_INDIRECT_LEN, "len %u", bad[i]);
	}
	/* Refused before any attempt to map the table. */
	T_EQ(f.ia.nb_map, 0);
	set_desc(&f.d.r.desc[0], IND_GPA, 16, VIO_VRING_DESC_F_INDIRECT, 0);
	T_EQ(split_walk(&f, 0, 64), VIO_RING_ERR_NONE);
	return 0;
}

static int
test_split_ring_rejects_unmapped_indirect(void)
{
	struct vio_ring_seg seg[4];
	uint32_t nb_segs;
	SPLIT_FX(f, 8, 4, false);

	set_desc(&f.d.r.desc[0], 0xdead0000, 32, VIO_VRING_DESC_F_INDIRECT, 0);
	T_EQ(split_walk(&f, 0, 64), VIO_RING_ERR_INDIRECT_ADDR);
	T_EQ(f.ia.nb_map, 1);
	/* Past the end of the area. */
	set_desc(&f.d.r.desc[0], IND_GPA + f.ia.bytes - 16, 32, VIO_VRING_DESC_F_INDIRECT, 0);
	T_EQ(split_walk(&f, 0, 64), VIO_RING_ERR_INDIRECT_ADDR);
	set_desc(&f.d.r.desc[0], IND_GPA, 32, VIO_VRING_DESC_F_INDIRECT, 0);
	T_EQ(vio_split_dev_walk(&f.d.r, 0, seg, RTE_DIM(seg), &nb_segs, null_map, &f.ia),
	     VIO_RING_ERR_INDIRECT_ADDR);
	T_EQ(f.ia.nb_map, 3);
	return 0;
}

static int
test_split_ring_rejects_too_many_segments(void)
{
	struct vio_vring_desc *tbl;
	uint16_t i;
	SPLIT_FX(f, 8, 4, false);

	tbl = f.d.indirect;
	for (i = 0; i < 3; i++)
		set_desc(&f.d.r.desc[i], 0x1000 * i, 1, i < 2 ? VIO_VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	T_EQ(split_walk(&f, 0, 2), VIO_RING_ERR_SEGS);
	T_EQ(split_walk(&f, 0, 3), VIO_RING_ERR_NONE);
	T_EQ(split_walk(&f, 0, 0), VIO_RING_ERR_SEGS);
	for (i = 0; i < 4; i++)
		set_desc(&tbl[i], 0x1000 * i, 1, i < 3 ? VIO_VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	set_desc(&f.d.r.desc[4], IND_GPA, 4 * sizeof(*tbl), VIO_VRING_DESC_F_INDIRECT, 0);
	T_EQ(split_walk(&f, 4, 3), VIO_RING_ERR_SEGS);
	T_EQ(split_walk(&f, 4, 4), VIO_RING_ERR_NONE);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_split_ring_post_direct_chain),
	VIO_TEST(test_split_ring_post_indirect_chain),
	VIO_TEST(test_split_ring_indirect_without_table_returns_einval),
	VIO_TEST(test_split_ring_used_and_reap),
	VIO_TEST(test_split_ring_wraps_over_many_laps),
	VIO_TEST(test_split_ring_wraps_free_running_index_past_65535),
	VIO_TEST(test_split_ring_full_returns_enospc),
	VIO_TEST(test_split_ring_post_zero_returns_einval),
	VIO_TEST(test_split_ring_reap_rejects_bad_used_id),
	VIO_TEST(test_split_ring_in_order_posts_in_ring_order),
	VIO_TEST(test_split_ring_in_order_reaps_batches_over_many_laps),
	VIO_TEST(test_split_ring_in_order_reaps_one_entry_each),
	VIO_TEST(test_split_ring_in_order_rejects_bad_batch),
	VIO_TEST(test_split_ring_kick_no_notify),
	VIO_TEST(test_split_ring_kick_event_idx),
	VIO_TEST(test_split_ring_intr_no_interrupt),
	VIO_TEST(test_split_ring_intr_used_event),
	VIO_TEST(test_ring_need_event_edges),
	VIO_TEST(test_split_ring_rejects_avail_idx_ahead),
	VIO_TEST(test_split_ring_rejects_descriptor_index_out_of_range),
	VIO_TEST(test_split_ring_rejects_descriptor_loop),
	VIO_TEST(test_split_ring_rejects_nested_indirect),
	VIO_TEST(test_split_ring_rejects_indirect_with_next),
	VIO_TEST(test_split_ring_rejects_bad_indirect_len),
	VIO_TEST(test_split_ring_rejects_unmapped_indirect),
	VIO_TEST(test_split_ring_rejects_too_many_segments),
};

int
main(int argc, char **argv)
{
	/* Pure inline code over heap memory: no EAL. */
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}
