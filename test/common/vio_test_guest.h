/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_TEST_GUEST_H
#define VIO_TEST_GUEST_H

/*
 * A guest for tests: memory from a memfd that the "guest" (vio's own
 * driver-side ring primitives) maps once and the engine maps again through a
 * vio_mem table, the way a VMM shares guest RAM with a vhost-user backend.
 * GPAs start at TG_GPA_BASE; the memfd may be split into several adjacent
 * regions so that buffers cross region edges.
 */

#include <stdbool.h>
#include <stdint.h>

#include "packed_ring.h"
#include "split_ring.h"
#include "vio_engine.h"
#include "vio_mem.h"

#define TG_GPA_BASE UINT64_C(0x100000000)

struct tg_mem {
	int fd;
	uint8_t *base; /* the guest's own mapping */
	uint64_t size;
	uint64_t brk; /* bump allocator, offset into the memfd */
	struct vio_mem *mem;
};

/* @p size bytes of guest memory in @p nb_regions equal adjacent regions. */
int tg_mem_init(struct tg_mem *g, uint64_t size, unsigned int nb_regions);
void tg_mem_fini(struct tg_mem *g);
/* Allocate guest memory; returns its GPA (0 when out of memory). */
uint64_t tg_alloc(struct tg_mem *g, uint64_t len, uint64_t align);
/* The guest's pointer to a GPA. */
void *tg_ptr(const struct tg_mem *g, uint64_t gpa);

/* The test pattern: byte @p off of packet @p seq. */
uint8_t tg_pattern(uint32_t seq, uint32_t off);
/*
 * A packet to transmit at @p gpa: a net header of @p hdr_len bytes, zero or
 * @p h (NULL: zero), then @p len bytes of packet @p seq's pattern.
 */
void tg_put_packet(struct tg_mem *g, uint64_t gpa, uint32_t hdr_len, const struct vio_net_hdr *h,
		   uint32_t seq, uint32_t len);

/* A virtqueue seen from the guest's driver, and its engine queue. */
struct tg_vq {
	struct tg_mem *g;
	bool packed;
	uint16_t size;
	uint64_t features;
	uint64_t desc_gpa, driver_gpa, device_gpa;
	union {
		struct vio_split_drv s;
		struct vio_packed_drv p;
	};
	uint16_t *chain_len;
	uint16_t *id_next;
	int callfd;
	int errfd;
	struct vio_vq *vq;
};

/*
 * Lay out a ring of @p size entries in guest memory, initialise the driver
 * side, and create the engine queue with @p features. @p indirect_max > 0
 * reserves indirect tables of that many entries per id. Returns 0 or -1.
 */
int tg_vq_init(struct tg_vq *q, struct tg_mem *g, uint16_t size, uint64_t features,
	       uint16_t indirect_max);
/* The same, the engine queue tracking inflight chains in @p inflight (vio_vq_config.inflight). */
int tg_vq_init_inflight(struct tg_vq *q, struct tg_mem *g, uint16_t size, uint64_t features,
			uint16_t indirect_max, void *inflight);
void tg_vq_fini(struct tg_vq *q);

/* Driver-side operations on either ring type. */
int tg_vq_post(struct tg_vq *q, const struct vio_ring_buf *buf, uint16_t n, bool indirect);
void tg_vq_publish(struct tg_vq *q);
int tg_vq_reap(struct tg_vq *q, uint16_t *id, uint32_t *len);
bool tg_vq_need_kick(struct tg_vq *q);
uint16_t tg_vq_nb_free(const struct tg_vq *q);

/*
 * Forging what no well-behaved driver posts, straight into guest memory (the
 * driver side's own state is left alone: use it for chains that break the
 * queue). A descriptor to forge: split follows @c next, packed takes @c id
 * from the last one; @c flags are NEXT, WRITE, INDIRECT (the packed AVAIL/USED
 * bits are added).
 */
struct tg_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
	uint16_t id;
};

/*
 * Write @p n descriptors as one chain. Split: at indices @p first, @p first +
 * 1, ... (the caller's next fields link them), head @p first made available.
 * Packed: in the slots from the driver's next one, head flags last. Visible
 * at the next tg_vq_publish().
 */
void tg_vq_forge(struct tg_vq *q, uint16_t first, const struct tg_desc *d, unsigned int n);
/* Make split head @p head available at the next avail index. */
void tg_vq_forge_avail(struct tg_vq *q, uint16_t head);
/* An indirect table of @p n entries at @p gpa, in the ring's format. */
void tg_vq_forge_table(const struct tg_vq *q, uint64_t gpa, const struct tg_desc *d,
		       unsigned int n);

/* The engine queue's counters. */
struct vio_vq_stats tg_vq_stats(const struct tg_vq *q);

/* An mbuf pool for tests (2 KiB data room). */
struct rte_mempool *tg_pktmbuf_pool(const char *name, unsigned int n);

#endif /* VIO_TEST_GUEST_H */
