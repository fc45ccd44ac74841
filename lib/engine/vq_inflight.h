/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VQ_INFLIGHT_H
#define VIO_VQ_INFLIGHT_H

/*
 * Inflight tracking: the per-queue regions of the vhost-user specification
 * ("Inflight I/O tracking", protocol feature INFLIGHT_SHMFD). The frontend
 * keeps the memory across backend restarts; the backend records in it which
 * chains it holds, so that after a crash the next instance completes each of
 * them exactly once.
 *
 * The engine holds chains only inside a burst: a chain is recorded when it
 * joins the burst's used batch and released when the batch is published. The
 * region is shared with the frontend, so the data path only writes it; every
 * value it would read back (packed free-list links) has a private copy, and
 * the region is read and checked once, when a queue starts (vq_inflight.c).
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

/* Split ring: one entry per descriptor, indexed by head. */
struct vq_inflight_split_desc {
	uint8_t inflight; /* 1: the head's chain is held by the backend */
	uint8_t padding[5];
	uint16_t next;    /* the last published batch, as a list */
	uint64_t counter; /* fetch order */
};

struct vq_inflight_split {
	uint64_t features; /* 0 */
	uint16_t version;  /* 1; 0: a fresh region */
	uint16_t desc_num; /* ring size */
	uint16_t last_batch_head;
	uint16_t used_idx; /* used->idx once the last batch was released */
	struct vq_inflight_split_desc desc[];
};

/* Packed ring: entries hold copies of the descriptors of held chains. */
struct vq_inflight_packed_desc {
	uint8_t inflight; /* head entries: 1 while held */
	uint8_t padding;
	uint16_t next; /* free list, and the entries of one chain */
	uint16_t last; /* head entries: the chain's last entry */
	uint16_t num;  /* head entries: the chain's descriptors */
	uint64_t counter;
	uint16_t id;
	uint16_t flags;
	uint32_t len;
	uint64_t addr;
};

struct vq_inflight_packed {
	uint64_t features;
	uint16_t version;
	uint16_t desc_num;
	uint16_t free_head;
	uint16_t old_free_head; /* free_head at the last commit point */
	uint16_t used_idx;
	uint16_t old_used_idx;
	uint8_t used_wrap_counter;
	uint8_t old_used_wrap_counter;
	uint8_t padding[10]; /* 7 in the specification, then alignment of desc[] */
	struct vq_inflight_packed_desc desc[];
};

_Static_assert(sizeof(struct vq_inflight_split_desc) == 16, "DescStateSplit is 16 bytes");
_Static_assert(sizeof(struct vq_inflight_split) == 16, "QueueRegionSplit header is 16 bytes");
_Static_assert(sizeof(struct vq_inflight_packed_desc) == 32, "DescStatePacked is 32 bytes");
_Static_assert(sizeof(struct vq_inflight_packed) == 32, "QueueRegionPacked header is 32 bytes");

#define VQ_INFLIGHT_VERSION 1

/* The region entries of one chain of the used batch. */
struct vq_inflight_ent {
	uint16_t head;    /* split: the head id; packed: the chain's first entry */
	uint16_t last;    /* packed: its last entry */
	bool resubmitted; /* recorded by an earlier instance: no entries taken */
};

/* A chain an earlier instance held, to be processed before the ring's next ones. */
struct vq_resubmit {
	uint64_t counter;
	uint16_t head; /* split: head id; packed: first region entry */
	uint16_t last;
	uint16_t num;
};

/* Keep region stores in program order: a crash may stop the process between any two. */
static __rte_always_inline void
vq_inflight_order(void)
{
	atomic_thread_fence(memory_order_release);
}

#endif /* VIO_VQ_INFLIGHT_H */
