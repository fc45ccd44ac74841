/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The packed ring primitives of packed_ring.h, driver side and device side
 * driven against each other: posting, walking, batches of used entries, wrap
 * counters over many laps, event suppression with off_wrap, and every reason
 * a device walk refuses a hand-built hostile chain.
 */

#include "ring_test.h"

/* ------------------------------------------------------------------------ */
/* Packed ring fixture                                                       */
/* ------------------------------------------------------------------------ */

struct packed_fx {
	struct vio_packed_drv d; /* the driver; d.r is the ring both sides use */
	struct ind_area ia;
	uint16_t avail_idx; /* device: next slot to take */
	bool avail_wrap;
	uint16_t used_idx; /* device: next slot to fill */
	bool used_wrap;
};

static void
packed_fx_fini(struct packed_fx *f)
{
	free(f->d.r.desc);
	free(f->d.r.driver_event);
	free(f->d.r.device_event);
	free(f->d.id_next);
	free(f->d.chain_len);
	free(f->ia.base);
}

static int
packed_fx_init(struct packed_fx *f, uint16_t size, uint16_t indirect_max, bool event_idx)
{
	memset(f, 0, sizeof(*f));
	f->d.r.size = size;
	f->d.r.desc = ring_alloc(vio_vring_packed_desc_bytes(size));
	f->d.r.driver_event = ring_alloc(sizeof(struct vio_vring_packed_event));
	f->d.r.device_event = ring_alloc(sizeof(struct vio_vring_packed_event));
	f->d.id_next = ring_alloc((uint64_t)size * sizeof(uint16_t));
	f->d.chain_len = ring_alloc((uint64_t)size * sizeof(uint16_t));
	f->d.event_idx = event_idx;
	if (indirect_max > 0) {
		f->ia.bytes = (uint64_t)size * indirect_max * sizeof(struct vio_vring_packed_desc);
		f->ia.base = ring_alloc(f->ia.bytes);
		f->d.indirect = f->ia.base;
		f->d.indirect_gpa = IND_GPA;
		f->d.indirect_max = indirect_max;
		T_ASSERT(f->ia.base != NULL, "out of memory");
	}
	T_ASSERT(f->d.r.desc != NULL && f->d.r.driver_event != NULL &&
			 f->d.r.device_event != NULL && f->d.id_next != NULL &&
			 f->d.chain_len != NULL,
		 "out of memory");
	vio_packed_drv_init(&f->d);
	f->avail_wrap = true;
	f->used_wrap = true;
	return 0;
}

/* A packed ring fixture @p f released when it goes out of scope. */
#define PACKED_FX(f, size, indirect_max, event_idx)                              \
	struct packed_fx f __attribute__((cleanup(packed_fx_fini)));             \
	do {                                                                     \
		if (packed_fx_init(&f, (size), (indirect_max), (event_idx)) < 0) \
			return -1;                                               \
	} while (0)

/* Device: take the chain at its position. -1 when none, else the walk's result. */
static int
packed_dev_take(struct packed_fx *f, struct vio_ring_seg *seg, uint32_t max_segs, uint32_t *nb_segs,
		uint16_t *id, uint16_t *nb_desc)
{
	int ret;

	if (!vio_packed_dev_avail(&f->d.r, f->avail_idx, f->avail_wrap))
		return -1;
	ret = vio_packed_dev_walk(&f->d.r, f->avail_idx, seg, max_segs, nb_segs, id, nb_desc,
				  ind_map, &f->ia);
	if (ret == VIO_RING_ERR_NONE)
		vio_packed_advance(f->d.r.size, &f->avail_idx, &f->avail_wrap, *nb_desc);
	return ret;
}

static void
packed_dev_flush(struct packed_fx *f, const struct vio_packed_used *u, uint32_t n)
{
	vio_packed_dev_flush_used(&f->d.r, u, n, &f->used_idx, &f->used_wrap);
}

/* Device: walk a hand-built chain at slot @p idx with room for @p max_segs segments. */
static int
packed_walk(struct packed_fx *f, uint16_t idx, uint32_t max_segs)
{
	struct vio_ring_seg seg[64];
	uint32_t nb_segs = 0;
	uint16_t id, nb_desc;

	return vio_packed_dev_walk(&f->d.r, idx, seg, RTE_MIN(max_segs, RTE_DIM(seg)), &nb_segs,
				   &id, &nb_desc, ind_map, &f->ia);
}

static void
set_pdesc(struct vio_vring_packed_desc *d, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	d->addr = addr;
	d->len = len;
	d->id = id;
	d->flags = flags;
}

/* Post @p nb chains of @p n buffers, publish, take, complete them all and reap them. */
static int
packed_cycle(struct packed_fx *f, unsigned int nb, uint16_t n)
{
	struct vio_packed_used u[64];
	struct vio_ring_seg seg[64];
	struct vio_ring_buf b[64];
	unsigned int i;
	uint32_t nb_segs, len;
	uint16_t id;

	T_ASSERT(nb <= RTE_DIM(u) && n <= RTE_DIM(b), "too many");
	make_bufs(b, n, 0);
	for (i = 0; i < nb; i++)
		T_ASSERT(vio_packed_drv_post(&f->d, b, n, false) >= 0, "post %u", i);
	vio_packed_drv_publish(&f->d);
	for (i = 0; i < nb; i++) {
		T_EQ(packed_dev_take(f, seg, RTE_DIM(seg), &nb_segs, &u[i].id, &u[i].nb_desc), 0);
		u[i].len = 1;
	}
	packed_dev_flush(f, u, nb);
	for (i = 0; i < nb; i++)
		T_EQ(vio_packed_drv_reap(&f->d, &id, &len), 0);
	T_EQ(f->d.nb_free, f->d.r.size);
	return 0;
}

#define PF_AVAIL VIO_VRING_PACKED_DESC_F_AVAIL
#define PF_USED  VIO_VRING_PACKED_DESC_F_USED
#define PF_WRAPS (PF_AVAIL | PF_USED)

/* ------------------------------------------------------------------------ */
/* Packed ring: driver and device against each other                        */
/* ------------------------------------------------------------------------ */

static int
test_packed_ring_post_direct_chain(void)
{
	struct vio_ring_buf b[3] = {
		{ 0x1000, 100, 0 },
		{ 0x2000, 200, 1 },
		{ 0x3000, 300, 1 },
	};
	struct vio_ring_buf e, g[2];
	struct vio_ring_seg seg[8];
	uint32_t nb_segs;
	uint16_t i, id, nb_desc;
	int ret;
	PACKED_FX(f, 8, 0, false);

	ret = vio_packed_drv_post(&f.d, b, 3, false);
	T_EQ(ret, 0);
	T_EQ(f.d.nb_free, 5);
	T_EQ(f.d.avail_idx, 3);
	T_EQ(f.d.avail_wrap, true);
	T_EQ(f.d.chain_len[0], 3);
	for (i = 0; i < 3; i++) {
		T_EQ(f.d.r.desc[i].addr, b[i].addr);
		T_EQ(f.d.r.desc[i].len, b[i].len);
		T_EQ(f.d.r.desc[i].id, 0);
	}
	/* Wrap counter 1: AVAIL set, USED clear; the head waits for publish. */
	T_EQ(f.d.r.desc[0].flags, 0);
	T_EQ(f.d.r.desc[1].flags, VIO_VRING_DESC_F_NEXT | VIO_VRING_DESC_F_WRITE | PF_AVAIL);
	T_EQ(f.d.r.desc[2].flags, VIO_VRING_DESC_F_WRITE | PF_AVAIL);
	T_ASSERT(!vio_packed_dev_avail(&f.d.r, 0, true), "visible before publish");
	vio_packed_drv_publish(&f.d);
	T_EQ(f.d.r.desc[0].flags, VIO_VRING_DESC_F_NEXT | PF_AVAIL);
	T_ASSERT(vio_packed_dev_avail(&f.d.r, 0, true), "not visible after publish");
	T_ASSERT(!vio_packed_dev_avail(&f.d.r, 0, false), "visible to the wrong lap");
	T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), 0);
	T_EQ(id, 0);
	T_EQ(nb_desc, 3);
	T_EQ(check_segs(seg, nb_segs, b, 3), 0);
	T_EQ(f.ia.nb_map, 0);

	/* A batch of two chains: the first head is written last, at publish. */
	make_bufs(&e, 1, 4);
	make_bufs(g, 2, 5);
	T_EQ(vio_packed_drv_post(&f.d, &e, 1, false), 1);
	T_EQ(vio_packed_drv_post(&f.d, g, 2, false), 2);
	T_ASSERT(!vio_packed_dev_avail(&f.d.r, 3, true), "batch visible before publish");
	T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), -1);
	vio_packed_drv_publish(&f.d);
	T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), 0);
	T_EQ(id, 1);
	T_EQ(check_segs(seg, nb_segs, &e, 1), 0);
	T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), 0);
	T_EQ(id, 2);
	T_EQ(nb_desc, 2);
	T_EQ(check_segs(seg, nb_segs, g, 2), 0);
	T_EQ(f.avail_idx, 6);
	T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), -1);
	return 0;
}

static int
test_packed_ring_post_second_lap_flags(void)
{
	struct vio_ring_buf b[3];
	struct vio_ring_seg seg[8];
	uint32_t nb_segs;
	uint16_t id, nb_desc;
	PACKED_FX(f, 8, 0, false);

	/* One lap: the driver's wrap counter is now 0. */
	T_EQ(packed_cycle(&f, 2, 4), 0);
	T_EQ(f.d.avail_idx, 0);
	T_EQ(f.d.avail_wrap, false);
	make_bufs(b, 3, 1);
	T_EQ(vio_packed_drv_post(&f.d, b, 3, false) >= 0, 1);
	/* Wrap counter 0: AVAIL clear, USED set. */
	T_EQ(f.d.r.desc[1].flags & PF_WRAPS, PF_USED);
	T_EQ(f.d.r.desc[2].flags & PF_WRAPS, PF_USED);
	T_ASSERT(!vio_packed_dev_avail(&f.d.r, 0, false), "visible before publish");
	vio_packed_drv_publish(&f.d);
	T_EQ(f.d.r.desc[0].flags,
	     (b[0].write ? VIO_VRING_DESC_F_WRITE : 0) | VIO_VRING_DESC_F_NEXT | PF_USED);
	T_ASSERT(vio_packed_dev_avail(&f.d.r, 0, false), "not visible after publish");
	T_ASSERT(!vio_packed_dev_avail(&f.d.r, 0, true), "visible to the wrong lap");
	T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), 0);
	T_EQ(check_segs(seg, nb_segs, b, 3), 0);
	return 0;
}

static int
test_packed_ring_avail_flag_combinations(void)
{
	static const uint16_t combos[] = { 0, PF_AVAIL, PF_USED, PF_WRAPS };
	unsigned int i, w;
	PACKED_FX(f, 8, 0, false);

	/* virtio 1.2, 2.8.1: available means AVAIL == wrap counter and USED != it. */
	for (i = 0; i < RTE_DIM(combos); i++) {
		for (w = 0; w < 2; w++) {
			bool want = combos[i] == (w ? PF_AVAIL : PF_USED);

			f.d.r.desc[3].flags = combos[i] | VIO_VRING_DESC_F_WRITE;
			T_ASSERT(vio_packed_dev_avail(&f.d.r, 3, w) == want,
				 "flags 0x%x wrap %u: want %d", combos[i], w, want);
		}
	}
	return 0;
}

static int
test_packed_ring_post_indirect_chain(void)
{
	const struct vio_vring_packed_desc *tbl;
	struct vio_ring_buf b[5], b2[2];
	struct vio_ring_seg seg[8];
	uint32_t nb_segs;
	uint16_t i, id, nb_desc;
	PACKED_FX(f, 8, 4, false);

	make_bufs(b, 4, 1);
	T_EQ(vio_packed_drv_post(&f.d, b, 4, true), 0);
	T_EQ(f.d.nb_free, 7);
	T_EQ(f.d.avail_idx, 1);
	T_EQ(f.d.chain_len[0], 1);
	T_EQ(f.d.r.desc[0].addr, IND_GPA);
	T_EQ(f.d.r.desc[0].len, 4 * sizeof(struct vio_vring_packed_desc));
	T_EQ(f.d.r.desc[0].id, 0);
	T_EQ(f.d.r.desc[0].flags, 0);
	tbl = f.d.indirect;
	for (i = 0; i < 4; i++) {
		T_EQ(tbl[i].addr, b[i].addr);
		T_EQ(tbl[i].len, b[i].len);
		/* A packed indirect table is sequential: no NEXT. */
		T_EQ(tbl[i].flags, b[i].write ? VIO_VRING_DESC_F_WRITE : 0);
	}
	T_ASSERT(!vio_packed_dev_avail(&f.d.r, 0, true), "visible before publish");
	vio_packed_drv_publish(&f.d);
	T_EQ(f.d.r.desc[0].flags, VIO_VRING_DESC_F_INDIRECT | PF_AVAIL);
	T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), 0);
	T_EQ(id, 0);
	T_EQ(nb_desc, 1);
	T_EQ(check_segs(seg, nb_segs, b, 4), 0);
	T_EQ(f.ia.nb_map, 1);

	make_bufs(b2, 2, 2);
	T_EQ(vio_packed_drv_post(&f.d, b2, 2, true), 1);
	T_EQ(f.d.r.desc[1].addr, IND_GPA + 4 * sizeof(struct vio_vring_packed_desc));
	T_EQ(f.d.r.desc[1].id, 1);
	vio_packed_drv_publish(&f.d);
	T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), 0);
	T_EQ(id, 1);
	T_EQ(check_segs(seg, nb_segs, b2, 2), 0);

	make_bufs(b, 5, 3);
	T_EQ(vio_packed_drv_post(&f.d, b, 5, true), -EINVAL);
	T_EQ(f.d.nb_free, 6);
	T_EQ(f.d.avail_idx, 2);
	return 0;
}

static int
test_packed_ring_indirect_without_table_returns_einval(void)
{
	struct vio_ring_buf b;
	PACKED_FX(f, 8, 0, false);

	make_bufs(&b, 1, 0);
	T_EQ(vio_packed_drv_post(&f.d, &b, 1, true), -EINVAL);
	T_EQ(f.d.nb_free, 8);
	T_EQ(f.d.avail_idx, 0);
	T_EQ(f.d.pending, false);
	return 0;
}

static int
test_packed_ring_used_batch_and_reap(void)
{
	static const uint16_t nb[] = { 1, 3, 3, 2 };
	static const bool ind[] = { false, false, true, false };
	static const uint16_t nb_slots[] = { 1, 3, 1, 2 };
	/* Completion order and lengths: out of order, as a device may. */
	static const unsigned int order[] = { 1, 3, 0, 2 };
	static const uint32_t lens[] = { 0, 500, 600, 700 };
	static const uint16_t used_slot[] = { 0, 3, 5, 6 };
	struct vio_packed_used u[4];
	struct vio_ring_buf b[4];
	struct vio_ring_seg seg[8];
	unsigned int i, seen = 0;
	uint16_t ids[4], id, nb_desc;
	uint32_t nb_segs, len;
	PACKED_FX(f, 8, 4, false);

	for (i = 0; i < 4; i++) {
		int ret;

		make_bufs(b, nb[i], i);
		ret = vio_packed_drv_post(&f.d, b, nb[i], ind[i]);
		T_ASSERT(ret >= 0, "post %u: %d", i, ret);
		ids[i] = (uint16_t)ret;
	}
	T_EQ(f.d.nb_free, 1);
	vio_packed_drv_publish(&f.d);
	for (i = 0; i < 4; i++) {
		T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), 0);
		T_EQ(id, ids[i]);
		T_EQ(nb_desc, nb_slots[i]);
		make_bufs(b, nb[i], i);
		T_EQ(check_segs(seg, nb_segs, b, nb[i]), 0);
	}
	T_EQ(f.avail_idx, 7);
	T_EQ(vio_packed_drv_reap(&f.d, &id, &len), -EAGAIN);

	/* An empty batch writes nothing. */
	packed_dev_flush(&f, u, 0);
	T_EQ(f.used_idx, 0);
	T_EQ(vio_packed_drv_reap(&f.d, &id, &len), -EAGAIN);

	for (i = 0; i < 4; i++) {
		u[i].id = ids[order[i]];
		u[i].nb_desc = nb_slots[order[i]];
		u[i].len = lens[i];
	}
	packed_dev_flush(&f, u, 4);
	T_EQ(f.used_idx, 7);
	T_EQ(f.used_wrap, true);
	for (i = 0; i < 4; i++) {
		const struct vio_vring_packed_desc *d = &f.d.r.desc[used_slot[i]];

		T_EQ(d->id, u[i].id);
		T_EQ(d->len, u[i].len);
		T_EQ(d->flags, PF_WRAPS | (lens[i] ? VIO_VRING_DESC_F_WRITE : 0));
	}
	for (i = 0; i < 4; i++) {
		T_EQ(vio_packed_drv_reap(&f.d, &id, &len), 0);
		T_EQ(id, u[i].id);
		T_EQ(len, u[i].len);
		/* The reaped id heads the free list. */
		T_EQ(f.d.free_id, id);
	}
	T_EQ(vio_packed_drv_reap(&f.d, &id, &len), -EAGAIN);
	T_EQ(f.d.nb_free, 8);
	T_EQ(f.d.last_used_idx, 7);
	T_EQ(f.d.used_wrap, true);
	for (i = 0; i < 8; i++)
		T_EQ(f.d.chain_len[i], 0);

	/* Every id is back on the free list: 8 single chains, all distinct. */
	for (i = 0; i < 8; i++) {
		int ret;

		make_bufs(b, 1, i);
		ret = vio_packed_drv_post(&f.d, b, 1, false);
		T_ASSERT(ret >= 0 && ret < 8, "post %u: %d", i, ret);
		T_ASSERT(!(seen & (1u << ret)), "id %d twice", ret);
		seen |= 1u << ret;
	}
	T_EQ(seen, 0xff);
	T_EQ(vio_packed_drv_post(&f.d, b, 1, false), -ENOSPC);
	return 0;
}

static int
test_packed_ring_wraps_over_many_laps(void)
{
	struct vio_packed_used u[8];
	struct posted p[8];
	uint32_t tag = 0, slots = 0, round;
	bool wrap = true;
	PACKED_FX(f, 8, 4, false);

	for (round = 0; slots < 10 * 8; round++) {
		struct vio_ring_seg seg[8];
		struct vio_ring_buf b[4];
		uint32_t i, nb_post = 0, nb_segs, len;
		uint16_t id, nb_desc, used_slot;
		bool used_wrap;

		while (nb_post < round % 5 + 1 && f.d.nb_free > 0) {
			uint16_t n = (uint16_t)(tag % 3 + 1);
			bool ind = tag % 4 == 3;
			int ret;

			if (!ind && n > f.d.nb_free)
				break;
			p[nb_post].slot = f.d.avail_idx;
			p[nb_post].wrap = f.d.avail_wrap;
			make_bufs(b, n, tag);
			ret = vio_packed_drv_post(&f.d, b, n, ind);
			T_ASSERT(ret >= 0 && ret < 8, "round %u tag %u: post %d", round, tag, ret);
			p[nb_post].id = (uint16_t)ret;
			p[nb_post].n = n;
			p[nb_post].indirect = ind;
			p[nb_post].tag = tag++;
			nb_post++;
		}
		T_ASSERT(nb_post > 0, "round %u: nothing posted", round);
		T_ASSERT(!vio_packed_dev_avail(&f.d.r, f.avail_idx, f.avail_wrap),
			 "round %u: visible before publish", round);
		vio_packed_drv_publish(&f.d);
		for (i = 0; i < nb_post; i++) {
			/* The head carries the wrap counter of its lap. */
			T_EQ(f.d.r.desc[p[i].slot].flags & PF_WRAPS,
			     p[i].wrap ? PF_AVAIL : PF_USED);
			T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), 0);
			T_EQ(id, p[i].id);
			T_EQ(nb_desc, p[i].indirect ? 1 : p[i].n);
			make_bufs(b, p[i].n, p[i].tag);
			T_EQ(check_segs(seg, nb_segs, b, p[i].n), 0);
			slots += nb_desc;
		}
		T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), -1);
		/* Complete in reverse order, which shuffles the free id list. */
		for (i = 0; i < nb_post; i++) {
			const struct posted *q = &p[nb_post - 1 - i];

			u[i].id = q->id;
			u[i].nb_desc = q->indirect ? 1 : q->n;
			u[i].len = q->tag;
		}
		used_slot = f.used_idx;
		used_wrap = f.used_wrap;
		packed_dev_flush(&f, u, nb_post);
		T_EQ(f.d.r.desc[used_slot].flags & PF_WRAPS, used_wrap ? PF_WRAPS : 0);
		for (i = 0; i < nb_post; i++) {
			T_EQ(vio_packed_drv_reap(&f.d, &id, &len), 0);
			T_EQ(id, u[i].id);
			T_EQ(len, u[i].len);
		}
		T_EQ(vio_packed_drv_reap(&f.d, &id, &len), -EAGAIN);
		T_EQ(f.d.nb_free, 8);

		/* All four positions agree; the wrap counter flips once per lap. */
		wrap = (slots / 8) % 2 == 0;
		T_EQ(f.d.avail_idx, slots % 8);
		T_EQ(f.d.avail_wrap, wrap);
		T_EQ(f.avail_idx, slots % 8);
		T_EQ(f.avail_wrap, wrap);
		T_EQ(f.used_idx, slots % 8);
		T_EQ(f.used_wrap, wrap);
		T_EQ(f.d.last_used_idx, slots % 8);
		T_EQ(f.d.used_wrap, wrap);
	}
	T_ASSERT(slots / 8 >= 10, "%u laps", slots / 8);
	return 0;
}

static int
test_packed_ring_full_returns_enospc(void)
{
	struct vio_ring_buf b[9];
	struct vio_ring_seg seg[8];
	uint32_t nb_segs;
	uint16_t free_id, id, nb_desc;
	PACKED_FX(f, 8, 4, false);

	make_bufs(b, 9, 0);
	T_EQ(vio_packed_drv_post(&f.d, b, 3, false), 0);
	T_EQ(vio_packed_drv_post(&f.d, b, 3, false), 1);
	free_id = f.d.free_id;
	T_EQ(vio_packed_drv_post(&f.d, b, 3, false), -ENOSPC);
	/* A refused post changes nothing. */
	T_EQ(f.d.nb_free, 2);
	T_EQ(f.d.avail_idx, 6);
	T_EQ(f.d.free_id, free_id);
	T_EQ(vio_packed_drv_post(&f.d, b, 2, true), 2);
	T_EQ(vio_packed_drv_post(&f.d, b, 1, false), 3);
	T_EQ(f.d.nb_free, 0);
	T_EQ(f.d.avail_idx, 0);
	T_EQ(f.d.avail_wrap, false);
	T_EQ(vio_packed_drv_post(&f.d, b, 1, false), -ENOSPC);
	T_EQ(vio_packed_drv_post(&f.d, b, 1, true), -ENOSPC);
	vio_packed_drv_publish(&f.d);

	/* Drain, then one chain of the whole ring fits and walks, across the end. */
	while (packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc) == 0) {
		struct vio_packed_used u = { id, nb_desc, 0 };
		uint32_t len;

		packed_dev_flush(&f, &u, 1);
		T_EQ(vio_packed_drv_reap(&f.d, &id, &len), 0);
	}
	T_EQ(f.d.nb_free, 8);
	T_EQ(packed_cycle(&f, 1, 3), 0);
	T_EQ(f.d.avail_idx, 3);
	T_EQ(vio_packed_drv_post(&f.d, b, 9, false), -ENOSPC);
	T_EQ(vio_packed_drv_post(&f.d, b, 8, false) >= 0, 1);
	vio_packed_drv_publish(&f.d);
	T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), 0);
	T_EQ(nb_desc, 8);
	T_EQ(check_segs(seg, nb_segs, b, 8), 0);
	return 0;
}

static int
test_packed_ring_post_zero_returns_einval(void)
{
	struct vio_ring_buf b;
	PACKED_FX(f, 8, 4, false);

	make_bufs(&b, 1, 0);
	T_EQ(vio_packed_drv_post(&f.d, &b, 0, false), -EINVAL);
	T_EQ(vio_packed_drv_post(&f.d, &b, 0, true), -EINVAL);
	T_EQ(f.d.nb_free, 8);
	T_EQ(f.d.avail_idx, 0);
	T_EQ(f.d.free_id, 0);
	T_EQ(f.d.pending, false);
	return 0;
}

static int
test_packed_ring_reap_rejects_bad_used_id(void)
{
	static const uint16_t bad[] = { 8, 5, 0x8000, 0xffff };
	struct vio_ring_seg seg[4];
	struct vio_ring_buf b;
	uint32_t nb_segs, len, i;
	uint16_t id, nb_desc;
	PACKED_FX(f, 8, 0, false);

	make_bufs(&b, 1, 0);
	T_EQ(vio_packed_drv_post(&f.d, &b, 1, false), 0);
	vio_packed_drv_publish(&f.d);
	T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), 0);
	for (i = 0; i < RTE_DIM(bad); i++) {
		/* Out of range, or in range but not in flight (5). */
		struct vio_packed_used u = { bad[i], 1, 1 };

		f.used_idx = 0;
		f.used_wrap = true;
		packed_dev_flush(&f, &u, 1);
		T_EQ(vio_packed_drv_reap(&f.d, &id, &len), -EPROTO);
		T_EQ(f.d.last_used_idx, 0);
		T_EQ(f.d.used_wrap, true);
		T_EQ(f.d.nb_free, 7);
		T_EQ(f.d.chain_len[0], 1);
	}
	f.d.r.desc[0].id = 0;
	T_EQ(vio_packed_drv_reap(&f.d, &id, &len), 0);
	T_EQ(id, 0);
	T_EQ(f.d.nb_free, 8);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Packed ring: VIRTIO_F_IN_ORDER                                            */
/* ------------------------------------------------------------------------ */

/*
 * Over many laps, batches of 1 to 5 chains of 1 to 3 buffers (some
 * indirect), each chain's id its head slot, returned with one used
 * descriptor per batch (the last chain's id, written over the batch's first
 * slot, the device skipping the whole batch) or one per chain: every chain
 * comes back once, in order, the batch's earlier chains as "used completely"
 * (1), the last with the descriptor's length.
 */
static int
packed_in_order_laps(bool batch)
{
	struct vio_packed_used u[8];
	struct posted p[8];
	uint32_t tag = 0, slots = 0, round;
	PACKED_FX(f, 8, 4, false);

	for (round = 0; slots < 30 * 8; round++) {
		struct vio_ring_seg seg[8];
		struct vio_ring_buf b[4];
		uint32_t i, nb_post = 0, nb_u = 0, nb_segs, len;
		uint16_t id, nb_desc;

		while (nb_post < round % 5 + 1) {
			uint16_t n = (uint16_t)(tag % 3 + 1);
			bool ind = tag % 4 == 3;
			int ret;

			if ((ind ? 1 : n) > f.d.nb_free)
				break;
			p[nb_post].slot = f.d.avail_idx;
			make_bufs(b, n, tag);
			ret = vio_packed_drv_post_in_order(&f.d, b, n, ind);
			T_EQ(ret, p[nb_post].slot);
			p[nb_post].id = (uint16_t)ret;
			p[nb_post].n = ind ? 1 : n;
			p[nb_post].tag = tag++;
			nb_post++;
		}
		T_ASSERT(nb_post > 0, "round %u: nothing posted", round);
		vio_packed_drv_publish(&f.d);
		for (i = 0; i < nb_post; i++) {
			T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc), 0);
			T_EQ(id, p[i].id);
			T_EQ(nb_desc, p[i].n);
			slots += nb_desc;
			if (batch && nb_u == 1) {
				u[0].id = id;
				u[0].len = p[i].tag;
				u[0].nb_desc = (uint16_t)(u[0].nb_desc + nb_desc);
				continue;
			}
			u[nb_u++] = (struct vio_packed_used){ id, nb_desc, p[i].tag };
		}
		packed_dev_flush(&f, u, nb_u);
		for (i = 0; i < nb_post; i++) {
			len = UINT32_MAX;
			T_EQ(vio_packed_drv_reap_in_order(&f.d, &id, &len),
			     batch && i + 1 < nb_post ? 1 : 0);
			T_EQ(id, p[i].id);
			T_EQ(len, !batch || i + 1 == nb_post ? p[i].tag : UINT32_MAX);
		}
		T_EQ(vio_packed_drv_reap_in_order(&f.d, &id, &len), -EAGAIN);
		T_EQ(f.d.nb_free, 8);
		T_EQ(f.d.last_used_idx, f.used_idx);
		T_EQ(f.d.used_wrap, f.used_wrap);
	}
	return 0;
}

static int
test_packed_ring_in_order_reaps_batches_over_many_laps(void)
{
	return packed_in_order_laps(true);
}

static int
test_packed_ring_in_order_reaps_one_entry_each(void)
{
	return packed_in_order_laps(false);
}

/* A used descriptor that names no chain in flight; a batch half reaped still counts as used. */
static int
test_packed_ring_in_order_rejects_bad_id(void)
{
	struct vio_packed_used u = { .id = 5, .nb_desc = 1 };
	struct vio_ring_buf b;
	uint32_t len;
	uint16_t id, i;
	PACKED_FX(f, 8, 0, false);

	make_bufs(&b, 1, 0);
	for (i = 0; i < 4; i++)
		T_EQ(vio_packed_drv_post_in_order(&f.d, &b, 1, false), i);
	vio_packed_drv_publish(&f.d);
	/* Slot 5 holds no chain: refused, nothing reaped. */
	vio_packed_dev_flush_used(&f.d.r, &u, 1, &(uint16_t){ 0 }, &(bool){ true });
	T_EQ(vio_packed_drv_reap_in_order(&f.d, &id, &len), -EPROTO);
	T_EQ(f.d.nb_free, 4);
	/* The four as one batch, reaped two: the rest is still to come, interrupts or not. */
	u = (struct vio_packed_used){ .id = 3, .nb_desc = 4, .len = 7 };
	packed_dev_flush(&f, &u, 1);
	T_EQ(vio_packed_drv_reap_in_order(&f.d, &id, &len), 1);
	T_EQ(vio_packed_drv_reap_in_order(&f.d, &id, &len), 1);
	T_EQ(vio_packed_drv_set_intr(&f.d, true), true);
	T_EQ(vio_packed_drv_reap_in_order(&f.d, &id, &len), 1);
	T_EQ(vio_packed_drv_reap_in_order(&f.d, &id, &len), 0);
	T_EQ(id, 3);
	T_EQ(len, 7);
	T_EQ(vio_packed_drv_set_intr(&f.d, true), false);
	return 0;
}

static int
test_packed_ring_kick_device_event(void)
{
	struct vio_ring_buf b;
	PACKED_FX(f, 8, 0, false);

	make_bufs(&b, 1, 0);
	T_EQ(f.d.r.device_event->flags, VIO_VRING_PACKED_EVENT_FLAG_ENABLE);
	T_EQ(vio_packed_drv_post(&f.d, &b, 1, false) >= 0, 1);
	vio_packed_drv_publish(&f.d);
	T_ASSERT(vio_packed_drv_need_kick(&f.d), "kick wanted by default");

	vio_packed_dev_set_kick(&f.d.r, false);
	T_EQ(f.d.r.device_event->flags, VIO_VRING_PACKED_EVENT_FLAG_DISABLE);
	T_EQ(vio_packed_drv_post(&f.d, &b, 1, false) >= 0, 1);
	vio_packed_drv_publish(&f.d);
	T_ASSERT(!vio_packed_drv_need_kick(&f.d), "DISABLE ignored");

	vio_packed_dev_set_kick(&f.d.r, true);
	T_EQ(f.d.r.device_event->flags, VIO_VRING_PACKED_EVENT_FLAG_ENABLE);
	T_EQ(vio_packed_drv_post(&f.d, &b, 1, false) >= 0, 1);
	vio_packed_drv_publish(&f.d);
	T_ASSERT(vio_packed_drv_need_kick(&f.d), "kick after re-enable");

	/* A device that asks for a kick at a descriptor (slot 5, wrap 1). */
	f.d.r.device_event->off_wrap = 5 | 1u << VIO_VRING_PACKED_EVENT_F_WRAP_CTR;
	f.d.r.device_event->flags = VIO_VRING_PACKED_EVENT_FLAG_DESC;
	T_EQ(vio_packed_drv_post(&f.d, &b, 1, false) >= 0, 1);
	vio_packed_drv_publish(&f.d);
	T_ASSERT(!vio_packed_drv_need_kick(&f.d), "3 -> 4 does not pass 5");
	T_EQ(vio_packed_drv_post(&f.d, &b, 1, false) >= 0, 1);
	T_EQ(vio_packed_drv_post(&f.d, &b, 1, false) >= 0, 1);
	vio_packed_drv_publish(&f.d);
	T_ASSERT(vio_packed_drv_need_kick(&f.d), "4 -> 6 passes 5");
	return 0;
}

static int
test_packed_ring_intr_driver_event(void)
{
	uint16_t id;
	uint32_t len;
	unsigned int i;
	PACKED_FX(f, 8, 0, false);

	T_EQ(f.d.r.driver_event->flags, VIO_VRING_PACKED_EVENT_FLAG_ENABLE);
	T_ASSERT(vio_packed_dev_need_notify(&f.d.r, 0, 1), "interrupt wanted by default");
	T_ASSERT(!vio_packed_drv_set_intr(&f.d, false), "disable returns false");
	T_EQ(f.d.r.driver_event->flags, VIO_VRING_PACKED_EVENT_FLAG_DISABLE);
	T_ASSERT(!vio_packed_dev_need_notify(&f.d.r, 0, 1), "DISABLE ignored");
	T_ASSERT(!vio_packed_drv_set_intr(&f.d, true), "nothing pending");
	T_EQ(f.d.r.driver_event->flags, VIO_VRING_PACKED_EVENT_FLAG_ENABLE);
	T_ASSERT(vio_packed_dev_need_notify(&f.d.r, 0, 1), "interrupt after re-enable");

	/* Re-enabling with a used entry pending tells the driver to poll again. */
	T_EQ(packed_cycle(&f, 1, 1), 0);
	{
		struct vio_ring_buf b;
		struct vio_ring_seg seg[2];
		struct vio_packed_used u;
		uint32_t nb_segs;

		make_bufs(&b, 1, 0);
		T_EQ(vio_packed_drv_post(&f.d, &b, 1, false) >= 0, 1);
		vio_packed_drv_publish(&f.d);
		T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &u.id, &u.nb_desc), 0);
		u.len = 0;
		T_ASSERT(!vio_packed_drv_set_intr(&f.d, true), "in flight is not used");
		packed_dev_flush(&f, &u, 1);
	}
	T_ASSERT(vio_packed_drv_set_intr(&f.d, true), "a used entry is pending");
	T_EQ(vio_packed_drv_reap(&f.d, &id, &len), 0);
	for (i = 0; i < 8; i++)
		T_ASSERT(!vio_packed_drv_set_intr(&f.d, i % 2), "nothing pending");
	return 0;
}

static int
test_packed_ring_intr_event_desc_across_wrap(void)
{
	struct vio_packed_used u[8];
	struct vio_ring_seg seg[2];
	struct vio_ring_buf b;
	uint32_t nb_segs, len, old_pos, new_pos;
	uint16_t id;
	unsigned int i;
	PACKED_FX(f, 8, 0, true);

	/* The driver has reaped up to slot 6 of lap 1 and asks for an event there. */
	T_EQ(packed_cycle(&f, 6, 1), 0);
	T_ASSERT(!vio_packed_drv_set_intr(&f.d, true), "nothing pending");
	T_EQ(f.d.r.driver_event->flags, VIO_VRING_PACKED_EVENT_FLAG_DESC);
	T_EQ(f.d.r.driver_event->off_wrap, 6 | 1u << VIO_VRING_PACKED_EVENT_F_WRAP_CTR);

	/* The device uses slots 6, 7 and 0 of the next lap: the event is passed. */
	make_bufs(&b, 1, 0);
	for (i = 0; i < 3; i++)
		T_EQ(vio_packed_drv_post(&f.d, &b, 1, false) >= 0, 1);
	vio_packed_drv_publish(&f.d);
	for (i = 0; i < 3; i++) {
		T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &u[i].id, &u[i].nb_desc), 0);
		u[i].len = 1;
	}
	old_pos = vio_packed_pos(8, f.used_idx, f.used_wrap);
	packed_dev_flush(&f, u, 3);
	new_pos = vio_packed_pos(8, f.used_idx, f.used_wrap);
	T_EQ(f.used_idx, 1);
	T_EQ(f.used_wrap, false);
	T_ASSERT(vio_packed_dev_need_notify(&f.d.r, old_pos, new_pos), "(6,1) -> (1,0) passes 6");
	/* One slot at a time: only the step over slot 6 passes it. */
	T_ASSERT(vio_packed_dev_need_notify(&f.d.r, vio_packed_pos(8, 6, true),
					    vio_packed_pos(8, 7, true)),
		 "(6,1) -> (7,1)");
	T_ASSERT(!vio_packed_dev_need_notify(&f.d.r, vio_packed_pos(8, 7, true),
					     vio_packed_pos(8, 0, false)),
		 "(7,1) -> (0,0)");
	T_ASSERT(!vio_packed_dev_need_notify(&f.d.r, vio_packed_pos(8, 0, false),
					     vio_packed_pos(8, 1, false)),
		 "(0,0) -> (1,0)");

	/* Reaped to (1, 0): the event moves there, wrap bit clear. */
	for (i = 0; i < 3; i++)
		T_EQ(vio_packed_drv_reap(&f.d, &id, &len), 0);
	T_ASSERT(!vio_packed_drv_set_intr(&f.d, true), "nothing pending");
	T_EQ(f.d.r.driver_event->off_wrap, 1);
	T_ASSERT(vio_packed_dev_need_notify(&f.d.r, vio_packed_pos(8, 1, false),
					    vio_packed_pos(8, 3, false)),
		 "(1,0) -> (3,0) passes 1");
	T_ASSERT(!vio_packed_dev_need_notify(&f.d.r, vio_packed_pos(8, 3, false),
					     vio_packed_pos(8, 5, false)),
		 "(3,0) -> (5,0) does not");
	/* An event of the old lap at the same slot is a full lap away. */
	T_ASSERT(!vio_packed_dev_need_notify(&f.d.r, vio_packed_pos(8, 1, true),
					     vio_packed_pos(8, 3, true)),
		 "(1,1) -> (3,1) is the other lap");

	T_ASSERT(!vio_packed_drv_set_intr(&f.d, false), "disable returns false");
	T_EQ(f.d.r.driver_event->flags, VIO_VRING_PACKED_EVENT_FLAG_DISABLE);
	T_ASSERT(!vio_packed_dev_need_notify(&f.d.r, vio_packed_pos(8, 1, false),
					     vio_packed_pos(8, 3, false)),
		 "disabled");
	return 0;
}

/*
 * Regression: after chains of several slots, the driver's next slot can hold
 * the non-head descriptor of a chain of the previous lap, whose flags carry
 * USED == the current wrap counter with AVAIL != it. That is not a used
 * descriptor, and re-enabling interrupts must not say one is pending (the
 * caller would poll forever instead of sleeping).
 */
static int
test_packed_ring_set_intr_ignores_stale_descriptor(void)
{
	struct vio_packed_used u[3];
	struct vio_ring_seg seg[4];
	struct vio_ring_buf b[2];
	uint32_t nb_segs, len, i;
	uint16_t id;
	PACKED_FX(f, 4, 0, false);

	/* Lap 1: chains of 1, 2 and 1 slots; slot 2 keeps a non-head descriptor. */
	make_bufs(b, 2, 0);
	T_EQ(vio_packed_drv_post(&f.d, b, 1, false), 0);
	T_EQ(vio_packed_drv_post(&f.d, b, 2, false), 1);
	T_EQ(vio_packed_drv_post(&f.d, b, 1, false), 2);
	vio_packed_drv_publish(&f.d);
	for (i = 0; i < 3; i++) {
		T_EQ(packed_dev_take(&f, seg, RTE_DIM(seg), &nb_segs, &u[i].id, &u[i].nb_desc), 0);
		u[i].len = 0;
	}
	packed_dev_flush(&f, u, 3);
	for (i = 0; i < 3; i++)
		T_EQ(vio_packed_drv_reap(&f.d, &id, &len), 0);
	/* Lap 2: one chain of 2 slots, used and reaped; the driver is at slot 2. */
	T_EQ(packed_cycle(&f, 1, 2), 0);
	T_EQ(f.d.last_used_idx, 2);
	T_EQ(f.d.used_wrap, false);
	T_EQ(f.d.r.desc[2].flags & PF_WRAPS, PF_AVAIL);
	T_EQ(vio_packed_drv_reap(&f.d, &id, &len), -EAGAIN);
	T_ASSERT(!vio_packed_drv_set_intr(&f.d, true),
		 "set_intr reports a used entry where reap finds none (slot 2 flags 0x%x)",
		 f.d.r.desc[2].flags);
	return 0;
}

/* The off_wrap that names position @p pos of vio_packed_pos(). */
static uint16_t
packed_off_wrap(uint16_t size, uint32_t pos)
{
	if (pos < size)
		return (uint16_t)(pos | 1u << VIO_VRING_PACKED_EVENT_F_WRAP_CTR);
	return (uint16_t)(pos - size);
}

static int
test_packed_ring_need_event_edges(void)
{
	static const uint16_t sizes[] = { 1, 3, 8 };
	unsigned int s;

	/* Size 8: positions 0..7 are lap wrap 1, 8..15 lap wrap 0. */
	T_EQ(vio_packed_pos(8, 0, true), 0);
	T_EQ(vio_packed_pos(8, 0, false), 8);
	T_EQ(vio_packed_pos(8, 7, false), 15);
	/* Equal positions: never an event. */
	T_ASSERT(!vio_packed_need_event(8, 3 | 0x8000, 3, 3), "equal");
	T_ASSERT(!vio_packed_need_event(8, 2 | 0x8000, 3, 3), "equal");
	/* Across a wrap: (6,1) -> (2,0). */
	T_ASSERT(vio_packed_need_event(8, 6 | 0x8000, 10, 6), "event at old");
	T_ASSERT(vio_packed_need_event(8, 7 | 0x8000, 10, 6), "event (7,1)");
	T_ASSERT(vio_packed_need_event(8, 0, 10, 6), "event (0,0)");
	T_ASSERT(vio_packed_need_event(8, 1, 10, 6), "event (1,0)");
	T_ASSERT(!vio_packed_need_event(8, 2, 10, 6), "event (2,0) == new");
	T_ASSERT(!vio_packed_need_event(8, 5 | 0x8000, 10, 6), "event (5,1) behind");
	T_ASSERT(!vio_packed_need_event(8, 7, 10, 6), "event (7,0): the other lap");
	/* And back: (6,0) -> (1,1). */
	T_ASSERT(vio_packed_need_event(8, 7, 1, 14), "event (7,0)");
	T_ASSERT(vio_packed_need_event(8, 0 | 0x8000, 1, 14), "event (0,1)");
	T_ASSERT(!vio_packed_need_event(8, 1 | 0x8000, 1, 14), "event (1,1) == new");
	T_ASSERT(!vio_packed_need_event(8, 5, 1, 14), "event (5,0) behind");
	/* The largest ring: positions reach 65535. */
	T_ASSERT(vio_packed_need_event(32768, 32767 | 0x8000, vio_packed_pos(32768, 0, false),
				       vio_packed_pos(32768, 32767, true)),
		 "32768: (32767,1) -> (0,0)");
	T_ASSERT(vio_packed_need_event(32768, 32767, vio_packed_pos(32768, 0, true),
				       vio_packed_pos(32768, 32767, false)),
		 "32768: (32767,0) -> (0,1)");
	T_ASSERT(!vio_packed_need_event(32768, 0, vio_packed_pos(32768, 0, true),
					vio_packed_pos(32768, 32767, false)),
		 "32768: event (0,0) a lap behind");

	/* Exhaustively for small rings: true exactly for event in [old, new) mod 2 * size. */
	for (s = 0; s < RTE_DIM(sizes); s++) {
		uint32_t span = 2u * sizes[s], old_pos, step, ev;

		for (old_pos = 0; old_pos < span; old_pos++) {
			for (step = 0; step <= sizes[s]; step++) {
				uint32_t new_pos = (old_pos + step) % span;

				for (ev = 0; ev < span; ev++) {
					uint16_t off_wrap = packed_off_wrap(sizes[s], ev);
					bool want = (ev + span - old_pos) % span < step;

					T_ASSERT(vio_packed_need_event(sizes[s], off_wrap, new_pos,
								       old_pos) == want,
						 "size %u event %u old %u new %u: want %d",
						 sizes[s], ev, old_pos, new_pos, want);
				}
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Packed ring: hostile chains refused by the device walk                    */
/* ------------------------------------------------------------------------ */

static int
test_packed_ring_rejects_chain_longer_than_ring(void)
{
	struct vio_ring_seg seg[16];
	uint32_t nb_segs;
	uint16_t i, id, nb_desc;
	PACKED_FX(f, 8, 0, false);

	for (i = 0; i < 8; i++)
		set_pdesc(&f.d.r.desc[i], 0x1000 * i, 1, 0, VIO_VRING_DESC_F_NEXT | PF_AVAIL);
	T_EQ(packed_walk(&f, 0, 64), VIO_RING_ERR_CHAIN_LEN);
	/* Refused at the first slot past the ring, before the segment vector is full. */
	T_EQ(packed_walk(&f, 0, 8), VIO_RING_ERR_CHAIN_LEN);
	T_EQ(packed_walk(&f, 5, 64), VIO_RING_ERR_CHAIN_LEN);
	/* A chain of the whole ring is the longest legal one, here across the end. */
	set_pdesc(&f.d.r.desc[2], 0x2000, 1, 7, PF_AVAIL);
	T_EQ(vio_packed_dev_walk(&f.d.r, 3, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc, ind_map,
				 &f.ia),
	     VIO_RING_ERR_NONE);
	T_EQ(nb_segs, 8);
	T_EQ(nb_desc, 8);
	T_EQ(id, 7);
	T_EQ(seg[0].addr, 0x3000);
	T_EQ(seg[7].addr, 0x2000);
	return 0;
}

static int
test_packed_ring_rejects_nested_indirect(void)
{
	struct vio_vring_packed_desc *tbl;
	PACKED_FX(f, 8, 4, false);

	tbl = f.d.indirect;
	set_pdesc(&tbl[0], 0x1000, 1, 0, 0);
	set_pdesc(&tbl[1], IND_GPA, 2 * sizeof(*tbl), 0, VIO_VRING_DESC_F_INDIRECT);
	set_pdesc(&f.d.r.desc[0], IND_GPA, 2 * sizeof(*tbl), 0,
		  VIO_VRING_DESC_F_INDIRECT | PF_AVAIL);
	T_EQ(packed_walk(&f, 0, 64), VIO_RING_ERR_INDIRECT_NESTED);
	return 0;
}

static int
test_packed_ring_rejects_indirect_with_next(void)
{
	struct vio_vring_packed_desc *tbl;
	PACKED_FX(f, 8, 4, false);

	tbl = f.d.indirect;
	set_pdesc(&tbl[0], 0x1000, 1, 0, 0);
	set_pdesc(&f.d.r.desc[0], IND_GPA, sizeof(*tbl), 0,
		  VIO_VRING_DESC_F_INDIRECT | VIO_VRING_DESC_F_NEXT | PF_AVAIL);
	set_pdesc(&f.d.r.desc[1], 0x2000, 1, 0, PF_AVAIL);
	T_EQ(packed_walk(&f, 0, 64), VIO_RING_ERR_INDIRECT_NEXT);
	T_EQ(f.ia.nb_map, 0);
	return 0;
}

static int
test_packed_ring_rejects_bad_indirect_len(void)
{
	/* 0, not a multiple of 16, one entry more than the most, and far more. */
	static const uint32_t bad[] = {
		0, 1, 8, 15, 17, 24, TOO_BIG(struct vio_vring_packed_desc), UINT32_MAX & ~15u
	};
	unsigned int i;
	PACKED_FX(f, 8, 4, false);

	memset(f.d.indirect, 0, 4 * sizeof(struct vio_vring_packed_desc));
	for (i = 0; i < RTE_DIM(bad); i++) {
		set_pdesc(&f.d.r.desc[0], IND_GPA, bad[i], 0, VIO_VRING_DESC_F_INDIRECT | PF_AVAIL);
		T_ASSERT(packed_walk(&f, 0, 64) == VIO_RING_ERR_INDIRECT_LEN, "len %u", bad[i]);
	}
	T_EQ(f.ia.nb_map, 0);
	set_pdesc(&f.d.r.desc[0], IND_GPA, 16, 0, VIO_VRING_DESC_F_INDIRECT | PF_AVAIL);
	T_EQ(packed_walk(&f, 0, 64), VIO_RING_ERR_NONE);
	return 0;
}

static int
test_packed_ring_rejects_unmapped_indirect(void)
{
	struct vio_ring_seg seg[4];
	uint32_t nb_segs;
	uint16_t id, nb_desc;
	PACKED_FX(f, 8, 4, false);

	set_pdesc(&f.d.r.desc[0], 0xdead0000, 32, 0, VIO_VRING_DESC_F_INDIRECT | PF_AVAIL);
	T_EQ(packed_walk(&f, 0, 64), VIO_RING_ERR_INDIRECT_ADDR);
	set_pdesc(&f.d.r.desc[0], IND_GPA + f.ia.bytes - 16, 32, 0,
		  VIO_VRING_DESC_F_INDIRECT | PF_AVAIL);
	T_EQ(packed_walk(&f, 0, 64), VIO_RING_ERR_INDIRECT_ADDR);
	set_pdesc(&f.d.r.desc[0], IND_GPA, 32, 0, VIO_VRING_DESC_F_INDIRECT | PF_AVAIL);
	T_EQ(vio_packed_dev_walk(&f.d.r, 0, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc, null_map,
				 &f.ia),
	     VIO_RING_ERR_INDIRECT_ADDR);
	T_EQ(f.ia.nb_map, 3);
	return 0;
}

static int
test_packed_ring_rejects_too_many_segments(void)
{
	struct vio_vring_packed_desc *tbl;
	uint16_t i;
	PACKED_FX(f, 8, 4, false);

	tbl = f.d.indirect;
	for (i = 0; i < 3; i++)
		set_pdesc(&f.d.r.desc[i], 0x1000 * i, 1, 0,
			  (i < 2 ? VIO_VRING_DESC_F_NEXT : 0) | PF_AVAIL);
	T_EQ(packed_walk(&f, 0, 2), VIO_RING_ERR_SEGS);
	T_EQ(packed_walk(&f, 0, 3), VIO_RING_ERR_NONE);
	T_EQ(packed_walk(&f, 0, 0), VIO_RING_ERR_SEGS);
	for (i = 0; i < 4; i++)
		set_pdesc(&tbl[i], 0x1000 * i, 1, 0, 0);
	set_pdesc(&f.d.r.desc[4], IND_GPA, 4 * sizeof(*tbl), 0,
		  VIO_VRING_DESC_F_INDIRECT | PF_AVAIL);
	T_EQ(packed_walk(&f, 4, 3), VIO_RING_ERR_SEGS);
	T_EQ(packed_walk(&f, 4, 4), VIO_RING_ERR_NONE);
	/* A direct descriptor, then an indirect table: they count together. */
	set_pdesc(&f.d.r.desc[3], 0x9000, 1, 0, VIO_VRING_DESC_F_NEXT | PF_AVAIL);
	T_EQ(packed_walk(&f, 3, 4), VIO_RING_ERR_SEGS);
	T_EQ(packed_walk(&f, 3, 5), VIO_RING_ERR_NONE);
	return 0;
}

static int
test_packed_ring_rejects_bad_buffer_id(void)
{
	struct vio_vring_packed_desc *tbl;
	struct vio_ring_seg seg[4];
	uint32_t nb_segs;
	uint16_t id, nb_desc;
	PACKED_FX(f, 8, 4, false);

	tbl = f.d.indirect;
	/* The id is taken from the chain's last descriptor only. */
	set_pdesc(&f.d.r.desc[0], 0x1000, 1, 0xffff, VIO_VRING_DESC_F_NEXT | PF_AVAIL);
	set_pdesc(&f.d.r.desc[1], 0x2000, 1, 8, PF_AVAIL);
	T_EQ(packed_walk(&f, 0, 64), VIO_RING_ERR_BUF_ID);
	f.d.r.desc[1].id = 0xffff;
	T_EQ(packed_walk(&f, 0, 64), VIO_RING_ERR_BUF_ID);
	f.d.r.desc[1].id = 7;
	T_EQ(vio_packed_dev_walk(&f.d.r, 0, seg, RTE_DIM(seg), &nb_segs, &id, &nb_desc, ind_map,
				 &f.ia),
	     VIO_RING_ERR_NONE);
	T_EQ(id, 7);
	T_EQ(nb_desc, 2);
	/* An indirect head carries the id. */
	set_pdesc(&tbl[0], 0x1000, 1, 0, 0);
	set_pdesc(&f.d.r.desc[2], IND_GPA, sizeof(*tbl), 8, VIO_VRING_DESC_F_INDIRECT | PF_AVAIL);
	T_EQ(packed_walk(&f, 2, 64), VIO_RING_ERR_BUF_ID);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_packed_ring_post_direct_chain),
	VIO_TEST(test_packed_ring_post_second_lap_flags),
	VIO_TEST(test_packed_ring_avail_flag_combinations),
	VIO_TEST(test_packed_ring_post_indirect_chain),
	VIO_TEST(test_packed_ring_indirect_without_table_returns_einval),
	VIO_TEST(test_packed_ring_used_batch_and_reap),
	VIO_TEST(test_packed_ring_wraps_over_many_laps),
	VIO_TEST(test_packed_ring_full_returns_enospc),
	VIO_TEST(test_packed_ring_post_zero_returns_einval),
	VIO_TEST(test_packed_ring_reap_rejects_bad_used_id),
	VIO_TEST(test_packed_ring_in_order_reaps_batches_over_many_laps),
	VIO_TEST(test_packed_ring_in_order_reaps_one_entry_each),
	VIO_TEST(test_packed_ring_in_order_rejects_bad_id),
	VIO_TEST(test_packed_ring_kick_device_event),
	VIO_TEST(test_packed_ring_intr_driver_event),
	VIO_TEST(test_packed_ring_intr_event_desc_across_wrap),
	VIO_TEST(test_packed_ring_set_intr_ignores_stale_descriptor),
	VIO_TEST(test_packed_ring_need_event_edges),
	VIO_TEST(test_packed_ring_rejects_chain_longer_than_ring),
	VIO_TEST(test_packed_ring_rejects_nested_indirect),
	VIO_TEST(test_packed_ring_rejects_indirect_with_next),
	VIO_TEST(test_packed_ring_rejects_bad_indirect_len),
	VIO_TEST(test_packed_ring_rejects_unmapped_indirect),
	VIO_TEST(test_packed_ring_rejects_too_many_segments),
	VIO_TEST(test_packed_ring_rejects_bad_buffer_id),
};

int
main(int argc, char **argv)
{
	/* Pure inline code over heap memory: no EAL. */
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}
