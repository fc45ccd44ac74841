/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_RING_ATOMIC_H
#define VIO_RING_ATOMIC_H

/*
 * Accessors for ring fields shared with the other side of a virtqueue.
 *
 * The ring layouts are plain structs (they describe guest memory), so the
 * shared fields are accessed through C11 atomics on an _Atomic view of the
 * same address. Naturally aligned 16-bit loads and stores are single
 * instructions on every target vio builds for.
 */

#include <stdatomic.h>
#include <stdint.h>

static inline uint16_t
vio_load_acquire_u16(const uint16_t *p)
{
	return atomic_load_explicit((const _Atomic uint16_t *)p, memory_order_acquire);
}

static inline uint16_t
vio_load_relaxed_u16(const uint16_t *p)
{
	return atomic_load_explicit((const _Atomic uint16_t *)p, memory_order_relaxed);
}

static inline void
vio_store_release_u16(uint16_t *p, uint16_t v)
{
	atomic_store_explicit((_Atomic uint16_t *)p, v, memory_order_release);
}

static inline void
vio_store_relaxed_u16(uint16_t *p, uint16_t v)
{
	atomic_store_explicit((_Atomic uint16_t *)p, v, memory_order_relaxed);
}

/*
 * Full barrier between a store that publishes work and the load of the other
 * side's suppression field (virtio 1.2, 2.7.13.4 and 2.8.21.2: "the driver
 * MUST perform a suitable memory barrier before reading" the flags or
 * event). A release/acquire pair cannot order a store before a later load.
 */
static inline void
vio_smp_mb(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}

#endif /* VIO_RING_ATOMIC_H */
