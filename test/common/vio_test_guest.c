/* SPDX-License-Identifier: BSD-3-Clause */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "vio_test_guest.h"

int
tg_mem_init(struct tg_mem *g, uint64_t size, unsigned int nb_regions)
{
	struct vio_mem_region_desc r[VIO_MEM_MAX_REGIONS];
	uint64_t per;
	unsigned int i;

	memset(g, 0, sizeof(*g));
	per = RTE_ALIGN_CEIL(size / nb_regions, 4096);
	size = per * nb_regions;
	g->fd = memfd_create("vio-test-guest", MFD_CLOEXEC);
	if (g->fd < 0 || ftruncate(g->fd, (off_t)size) < 0) {
		perror("memfd");
		return -1;
	}
	g->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
	if (g->base == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	g->size = size;
	g->brk = 4096; /* GPA TG_GPA_BASE itself stays unused */
	for (i = 0; i < nb_regions; i++) {
		r[i].fd = g->fd;
		r[i].mmap_offset = i * per;
		r[i].gpa = TG_GPA_BASE + i * per;
		r[i].uaddr = 0x7f0000000000ull + i * per;
		r[i].size = per;
	}
	g->mem = vio_mem_create(r, nb_regions);
	if (g->mem == NULL) {
		fprintf(stderr, "vio_mem_create failed\n");
		return -1;
	}
	return 0;
}

void
tg_mem_fini(struct tg_mem *g)
{
	vio_mem_free(g->mem);
	munmap(g->base, g->size);
	close(g->fd);
}

uint64_t
tg_alloc(struct tg_mem *g, uint64_t len, uint64_t align)
{
	uint64_t off = RTE_ALIGN_CEIL(g->brk, align);

	if (off + len > g->size)
		return 0;
	g->brk = off + len;
	return TG_GPA_BASE + off;
}

void *
tg_ptr(const struct tg_mem *g, uint64_t gpa)
{
	return g->base + (gpa - TG_GPA_BASE);
}

uint8_t
tg_pattern(uint32_t seq, uint32_t off)
{
	return (uint8_t)(seq * 131 + off * 7 + (off >> 8));
}

void
tg_put_packet(struct tg_mem *g, uint64_t gpa, uint32_t hdr_len, const struct vio_net_hdr *h,
	      uint32_t seq, uint32_t len)
{
	uint8_t *p = tg_ptr(g, gpa);
	uint32_t i;

	memset(p, 0, hdr_len);
	if (h != NULL)
		memcpy(p, h, RTE_MIN(sizeof(*h), (size_t)hdr_len));
	for (i = 0; i < len; i++)
		p[hdr_len + i] = tg_pattern(seq, i);
}

static void *
engine_ptr(struct tg_mem *g, uint64_t gpa, uint64_t len)
{
	uint64_t got = len;
	void *p = vio_mem_gpa_to_hva(g->mem, gpa, &got);

	return got == len ? p : NULL;
}

int
tg_vq_init(struct tg_vq *q, struct tg_mem *g, uint16_t size, uint64_t features,
	   uint16_t indirect_max)
{
	return tg_vq_init_inflight(q, g, size, features, indirect_max, NULL);
}

int
tg_vq_init_inflight(struct tg_vq *q, struct tg_mem *g, uint16_t size, uint64_t features,
		    uint16_t indirect_max, void *inflight)
{
	struct vio_vq_config cfg;
	char name[32];
	static unsigned int seq;

	memset(q, 0, sizeof(*q));
	q->g = g;
	q->size = size;
	q->features = features;
	q->packed = features & VIO_BIT(VIO_F_RING_PACKED);
	q->chain_len = calloc(size, sizeof(uint16_t));
	q->id_next = calloc(size, sizeof(uint16_t));
	if (q->chain_len == NULL || q->id_next == NULL)
		return -1;
	if (q->packed) {
		q->desc_gpa = tg_alloc(g, vio_vring_packed_desc_bytes(size), 4096);
		q->driver_gpa = tg_alloc(g, sizeof(struct vio_vring_packed_event), 4);
		q->device_gpa = tg_alloc(g, sizeof(struct vio_vring_packed_event), 4);
	} else {
		q->desc_gpa = tg_alloc(g, vio_vring_desc_bytes(size), 4096);
		q->driver_gpa = tg_alloc(g, vio_vring_avail_bytes(size), 2);
		q->device_gpa = tg_alloc(g, vio_vring_used_bytes(size), 4096);
	}
	if (q->desc_gpa == 0 || q->driver_gpa == 0 || q->device_gpa == 0)
		return -1;
	if (q->packed) {
		q->p.r.desc = tg_ptr(g, q->desc_gpa);
		q->p.r.driver_event = tg_ptr(g, q->driver_gpa);
		q->p.r.device_event = tg_ptr(g, q->device_gpa);
		q->p.r.size = size;
		q->p.id_next = q->id_next;
		q->p.chain_len = q->chain_len;
		q->p.event_idx = features & VIO_BIT(VIO_F_RING_EVENT_IDX);
		if (indirect_max > 0) {
			q->p.indirect_max = indirect_max;
			q->p.indirect_gpa = tg_alloc(g, (uint64_t)size * indirect_max * 16, 16);
			q->p.indirect = tg_ptr(g, q->p.indirect_gpa);
		}
		vio_packed_drv_init(&q->p);
	} else {
		q->s.r.desc = tg_ptr(g, q->desc_gpa);
		q->s.r.avail = tg_ptr(g, q->driver_gpa);
		q->s.r.used = tg_ptr(g, q->device_gpa);
		q->s.r.size = size;
		q->s.r.mask = size - 1;
		q->s.chain_len = q->chain_len;
		q->s.event_idx = features & VIO_BIT(VIO_F_RING_EVENT_IDX);
		if (indirect_max > 0) {
			q->s.indirect_max = indirect_max;
			q->s.indirect_gpa = tg_alloc(g, (uint64_t)size * indirect_max * 16, 16);
			q->s.indirect = tg_ptr(g, q->s.indirect_gpa);
		}
		vio_split_drv_init(&q->s);
	}
	q->callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->errfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	snprintf(name, sizeof(name), "test%u", seq++);
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = name;
	cfg.mem = g->mem;
	cfg.features = features;
	cfg.size = size;
	cfg.desc = engine_ptr(g, q->desc_gpa,
			      q->packed ? vio_vring_packed_desc_bytes(size)
					: vio_vring_desc_bytes(size));
	cfg.driver_area = engine_ptr(g, q->driver_gpa, q->packed ? 4 : vio_vring_avail_bytes(size));
	cfg.device_area = engine_ptr(g, q->device_gpa, q->packed ? 4 : vio_vring_used_bytes(size));
	cfg.log_ring_gpa = q->packed ? q->desc_gpa : q->device_gpa;
	cfg.base = q->packed ? 1u << 15 : 0; /* packed rings start with wrap counter 1 */
	cfg.callfd = q->callfd;
	cfg.errfd = q->errfd;
	cfg.inflight = inflight;
	q->vq = vio_vq_create(&cfg, SOCKET_ID_ANY);
	return q->vq == NULL ? -1 : 0;
}

void
tg_vq_fini(struct tg_vq *q)
{
	vio_vq_free(q->vq);
	close(q->callfd);
	close(q->errfd);
	free(q->chain_len);
	free(q->id_next);
}

int
tg_vq_post(struct tg_vq *q, const struct vio_ring_buf *buf, uint16_t n, bool indirect)
{
	return q->packed ? vio_packed_drv_post(&q->p, buf, n, indirect)
			 : vio_split_drv_post(&q->s, buf, n, indirect);
}

void
tg_vq_publish(struct tg_vq *q)
{
	if (q->packed)
		vio_packed_drv_publish(&q->p);
	else
		vio_split_drv_publish(&q->s);
}

int
tg_vq_reap(struct tg_vq *q, uint16_t *id, uint32_t *len)
{
	return q->packed ? vio_packed_drv_reap(&q->p, id, len) : vio_split_drv_reap(&q->s, id, len);
}

bool
tg_vq_need_kick(struct tg_vq *q)
{
	return q->packed ? vio_packed_drv_need_kick(&q->p) : vio_split_drv_need_kick(&q->s);
}

uint16_t
tg_vq_nb_free(const struct tg_vq *q)
{
	return q->packed ? q->p.nb_free : q->s.nb_free;
}

void
tg_vq_forge_avail(struct tg_vq *q, uint16_t head)
{
	q->s.r.avail->ring[q->s.avail_idx & q->s.r.mask] = head;
	q->s.avail_idx++;
}

void
tg_vq_forge(struct tg_vq *q, uint16_t first, const struct tg_desc *d, unsigned int n)
{
	uint16_t slot, head_flags = 0;
	unsigned int i;
	bool wrap;

	if (!q->packed) {
		for (i = 0; i < n; i++)
			q->s.r.desc[first + i] = (struct vio_vring_desc){ d[i].addr, d[i].len,
									  d[i].flags, d[i].next };
		tg_vq_forge_avail(q, first);
		return;
	}
	slot = q->p.avail_idx;
	wrap = q->p.avail_wrap;
	for (i = 0; i < n; i++) {
		struct vio_vring_packed_desc *pd = &q->p.r.desc[slot];
		uint16_t flags = d[i].flags | vio_packed_avail_flags(wrap);

		pd->addr = d[i].addr;
		pd->len = d[i].len;
		pd->id = d[i].id;
		if (i == 0)
			head_flags = flags;
		else
			pd->flags = flags;
		vio_packed_advance(q->size, &slot, &wrap, 1);
	}
	vio_store_release_u16(&q->p.r.desc[q->p.avail_idx].flags, head_flags);
}

void
tg_vq_forge_table(const struct tg_vq *q, uint64_t gpa, const struct tg_desc *d, unsigned int n)
{
	uint8_t *p = tg_ptr(q->g, gpa); /* a hostile guest's table may sit at any address */
	unsigned int i;

	for (i = 0; i < n; i++) {
		/* Packed tables are read in order: no next, and NEXT means nothing. */
		const struct vio_vring_packed_desc pd = { d[i].addr, d[i].len, 0,
							  d[i].flags & ~VIO_VRING_DESC_F_NEXT };
		const struct vio_vring_desc sd = { d[i].addr, d[i].len, d[i].flags, d[i].next };

		if (q->packed)
			memcpy(p + i * sizeof(pd), &pd, sizeof(pd));
		else
			memcpy(p + i * sizeof(sd), &sd, sizeof(sd));
	}
}

struct vio_vq_stats
tg_vq_stats(const struct tg_vq *q)
{
	struct vio_vq_stats st;

	vio_vq_stats_get(q->vq, &st);
	return st;
}

struct rte_mempool *
tg_pktmbuf_pool(const char *name, unsigned int n)
{
	return rte_pktmbuf_pool_create(name, n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
}
