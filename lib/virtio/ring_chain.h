/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_RING_CHAIN_H
#define VIO_RING_CHAIN_H

/*
 * What both ring types share: the segments of a descriptor chain, the reasons
 * a chain is refused, the driver's buffer list, and the event-index test.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_atomic.h>
#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "ring_atomic.h"
#include "vio_virtio.h"

/* One guest buffer of a chain, as the descriptor gave it (not yet translated). */
struct vio_ring_seg {
	uint64_t addr;
	uint32_t len;
	uint32_t write; /* device-writable */
};

/* A buffer the driver side posts. */
struct vio_ring_buf {
	uint64_t addr;
	uint32_t len;
	uint32_t write; /* device-writable */
};

/*
 * Why a device-side walk refused a chain. Each is a hostile driver: a
 * well-behaved one never produces any of them.
 */
enum vio_ring_err {
	VIO_RING_ERR_NONE = 0,
	VIO_RING_ERR_DESC_IDX,         /* descriptor index >= ring or table size */
	VIO_RING_ERR_DESC_LOOP,        /* split: more steps than entries: a loop */
	VIO_RING_ERR_CHAIN_LEN,        /* packed: chain longer than the ring */
	VIO_RING_ERR_INDIRECT_NESTED,  /* INDIRECT inside an indirect table */
	VIO_RING_ERR_INDIRECT_NEXT,    /* INDIRECT and NEXT on one descriptor */
	VIO_RING_ERR_INDIRECT_LEN,     /* table length 0, not a multiple of 16, too big */
	VIO_RING_ERR_INDIRECT_ADDR,    /* table not inside one mapped region */
	VIO_RING_ERR_INDIRECT_FEATURE, /* INDIRECT without VIRTIO_F_RING_INDIRECT_DESC */
	VIO_RING_ERR_SEGS,             /* more segments than the caller's vector holds */
	VIO_RING_ERR_BUF_ID,           /* packed: buffer id >= ring size */
};

/*
 * Maps @p len bytes of guest memory at @p addr for reading an indirect table;
 * returns NULL when the range is not inside one mapping. The walks take it as a
 * parameter so that one walk serves every way of reaching guest memory; a
 * NULL map means indirect descriptors were not negotiated (virtio 1.2,
 * 2.7.5.3.1: the driver MUST NOT set INDIRECT then).
 */
typedef const void *(*vio_ring_map_fn)(void *ctx, uint64_t addr, uint64_t len);

/* Largest indirect table vio accepts: one entry per possible ring slot. */
#define VIO_RING_INDIRECT_MAX VIO_VRING_SIZE_MAX

/*
 * Event index test (virtio 1.2, 2.7.10): notify when the other side asked to
 * be told once index @p event_idx is passed, and the indices moved from
 * @p old_idx to @p new_idx. 16-bit free-running arithmetic.
 */
static inline bool
vio_ring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

#endif /* VIO_RING_CHAIN_H */
