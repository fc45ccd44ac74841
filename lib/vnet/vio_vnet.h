/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VNET_H
#define VIO_VNET_H

/**
 * @file
 * The frontend role's virtio-net device: the driver side of the rings, whose
 * rings and buffers live in this process's DPDK memory, and whose device
 * side is any vhost backend (a vhost-user process, vhost-net, vDPA). It is the
 * mirror of the engine (vio_engine.h): the engine is the device of a guest's
 * driver; this is the driver of someone else's device. Both share the ring
 * primitives of lib/virtio and nothing else.
 *
 * Addresses: the device sees this process's memory through a memory table
 * whose guest addresses are the process's virtual addresses
 * (vio_vnet_mem_regions() lists it), so every buffer address in a descriptor
 * is a virtual address, as DPDK's virtio_user does.
 *
 * What it drives: split or packed rings (VIRTIO_F_RING_PACKED in the
 * features), VIRTIO_F_VERSION_1 with or without VIRTIO_NET_F_MRG_RXBUF,
 * event idx, VIRTIO_F_IN_ORDER (descriptors taken in ring order; a used
 * entry may return a batch of buffers), VIRTIO_F_RING_INDIRECT_DESC (a
 * transmit chain of several mbuf segments takes one ring slot, through an
 * indirect table of its own made with the queue); the device is polled (no
 * interrupts asked unless vio_vnet_vq_intr_set() asks), kicked when its
 * event suppression asks.
 *
 * Offloads, the mirror of the engine's contract (doc/pmd.md, "Offloads of
 * frontend ports"). Transmit: an mbuf's RTE_MBUF_F_TX_TCP_CKSUM /
 * _UDP_CKSUM becomes NEEDS_CSUM in the net header when VIRTIO_NET_F_CSUM is
 * negotiated (else the checksum is completed in software), its
 * RTE_MBUF_F_TX_TCP_SEG a TCP GSO header when HOST_TSO4 / HOST_TSO6 is
 * (else the packet is refused). Receive, with VIRTIO_NET_F_GUEST_CSUM:
 * DATA_VALID becomes RTE_MBUF_F_RX_L4_CKSUM_GOOD; a partial checksum
 * (NEEDS_CSUM) is completed in software, or, with VIO_VNET_OFFLOAD_RX_CSUM,
 * left to the application with RTE_MBUF_F_RX_L4_CKSUM_NONE. Receiving GSO
 * packets (GUEST_TSO4/6) is not driven.
 *
 * The device is untrusted: every used entry is checked (an id in flight, a
 * length within the buffer, num_buffers within the ring), and so is every
 * receive header (flags and gso_type the features allow, a checksum field
 * inside the packet). A bad one stops the queue, which then moves nothing
 * (vio_vnet_vq_is_broken()).
 *
 * Threads: a queue belongs to one lcore; the bursts take no lock, allocate
 * nothing but mbufs, and make no system call but the kick (an eventfd write).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vio_vnet_vq;

/**
 * Receive offloads the application finishes itself (vio_vnet_vq_config.offloads,
 * vio_vnet_vq_offloads_set()): a partial checksum the device sent (NEEDS_CSUM)
 * is left partial, flagged RTE_MBUF_F_RX_L4_CKSUM_NONE, with packet_type and
 * l2/l3/l4_len set. Without it vio completes the checksum in software.
 */
#define VIO_VNET_OFFLOAD_RX_CSUM (1u << 0)

/** A virtqueue of the device. */
struct vio_vnet_vq_config {
	const char *name;       /**< for log lines; copied */
	uint64_t features;      /**< negotiated virtio feature bits */
	uint16_t size;          /**< ring entries, a power of two, 2 to 32768 */
	bool rx;                /**< receive queue (the device writes) or transmit */
	struct rte_mempool *mp; /**< rx: the buffers posted to the device */
	int kickfd;             /**< eventfd that kicks the device, or -1 (it polls) */
	int socket_id;          /**< NUMA socket of the rings, or SOCKET_ID_ANY */
	uint32_t offloads;      /**< rx: VIO_VNET_OFFLOAD_* */
};

/**
 * Create a queue: its rings in DPDK memory, initialised. A receive queue
 * posts a buffer in every entry (mbufs from @c mp) right away.
 *
 * @return The queue, or NULL with rte_errno EINVAL (a field of @p cfg, named in
 *   the log) or ENOMEM.
 *
 * Thread safety: control thread.
 */
struct vio_vnet_vq *vio_vnet_vq_create(const struct vio_vnet_vq_config *cfg);

/** Free a queue and every mbuf it holds. NULL is a no-op. */
void vio_vnet_vq_free(struct vio_vnet_vq *vq);

/**
 * Where the ring parts are, for SET_VRING_ADDR: virtual addresses, which are
 * also their guest addresses in vio_vnet_mem_regions(). Packed rings: the
 * descriptor ring, the driver event area, the device event area.
 */
void vio_vnet_vq_addrs(const struct vio_vnet_vq *vq, uint64_t *desc, uint64_t *avail,
		       uint64_t *used);

/**
 * Where a device takes the queue up (SET_VRING_BASE): split, the used index
 * the last device published; packed, the slot and wrap counter (bit 15)
 * past the last used entry it wrote (found by walking the used entries not
 * reaped yet, chain by chain). A new queue: 0, or 1 << 15 for packed. After
 * a device went away, the chains it had taken and not completed are offered
 * again (transmit: sent once more; receive: filled by the new device), none
 * is lost.
 *
 * Thread safety: any thread; a device must not be running the queue.
 */
uint32_t vio_vnet_vq_device_base(const struct vio_vnet_vq *vq);

/**
 * Change a receive queue's VIO_VNET_OFFLOAD_* bits; packets from the next
 * burst on follow them.
 *
 * Thread safety: any thread.
 */
void vio_vnet_vq_offloads_set(struct vio_vnet_vq *vq, uint32_t offloads);

/** Whether a bad used entry stopped the queue. Thread safety: any thread. */
bool vio_vnet_vq_is_broken(const struct vio_vnet_vq *vq);

/**
 * Ask the device to signal the queue's call eventfd when it uses a buffer
 * (@p enable, e.g. a receive queue an application sleeps on), or not (the
 * default: the queue is polled). Event suppression as the spec has it: the
 * used event index with VIRTIO_F_RING_EVENT_IDX, the flags otherwise.
 *
 * @return true when used buffers arrived before the request took effect:
 *   the device may not signal for them, so poll once more (or signal the
 *   call eventfd yourself) instead of sleeping.
 *
 * Thread safety: the queue's lcore.
 */
bool vio_vnet_vq_intr_set(struct vio_vnet_vq *vq, bool enable);

/**
 * Receive: take what the device filled, chained when it spans several
 * buffers (mergeable), and post fresh buffers in their place.
 *
 * @return Packets stored in @p pkts, now the caller's.
 *
 * Thread safety: the owning lcore.
 */
uint16_t vio_vnet_rx_burst(struct vio_vnet_vq *vq, struct rte_mbuf **pkts, uint16_t nb_pkts);

/**
 * Transmit: post @p pkts (chained mbufs too) to the device, each behind a
 * net header that carries its offload requests (l2_len, l3_len, l4_len,
 * tso_segsz and the pseudo-header sum in the L4 checksum field, as ethdev's
 * transmit offloads have them), and free the mbufs the device is done with.
 * The mbufs become the queue's; it frees them once the device has used
 * them, in a later burst on the queue (never in the call that took them:
 * the caller may still read them until its next burst).
 *
 * @return Packets taken from the start of @p pkts; fewer when the ring is
 *   full (no_room), at a packet whose offload request the device cannot
 *   take (offload_refused) or at one of too many segments (seg_refused):
 *   it stays the caller's, as the rest.
 *
 * Thread safety: the owning lcore.
 */
uint16_t vio_vnet_tx_burst(struct vio_vnet_vq *vq, struct rte_mbuf **pkts, uint16_t nb_pkts);

/** Most segments of a transmitted mbuf chain (one descriptor more carries the net header). */
#define VIO_VNET_TX_SEGS_MAX 63

/** Per-queue counters. */
struct vio_vnet_vq_stats {
	uint64_t packets;           /**< moved */
	uint64_t bytes;             /**< moved, net headers excluded */
	uint64_t kicks;             /**< eventfd writes to the device */
	uint64_t no_room;           /**< tx: packets refused, the ring full */
	uint64_t mbuf_alloc_failed; /**< rx: refills that found the pool empty */
	uint64_t err_used;          /**< the device returned a used entry that broke the queue */
	uint64_t csum_sw;           /**< partial checksums completed in software */
	/**
	 * tx: packets refused (the burst stopped there): TSO without HOST_TSO4/6
	 * for its IP version, or l2/l3/l4 lengths that do not fit the packet
	 */
	uint64_t offload_refused;
	/** rx: a net header that broke the queue (flags or gso_type not negotiated, a
	 *  checksum field outside the packet) */
	uint64_t err_hdr;
	/** buffers returned by the used entry of a later one (VIRTIO_F_IN_ORDER batches) */
	uint64_t batched;
	/** tx: chains posted through an indirect table (VIRTIO_F_RING_INDIRECT_DESC) */
	uint64_t indirect;
	/**
	 * tx: packets refused (the burst stopped there) that no ring could take:
	 * more than VIO_VNET_TX_SEGS_MAX segments, or more descriptors than
	 * the ring has entries without an indirect table
	 */
	uint64_t seg_refused;
};

/** Read the counters. Thread safety: any thread (values may be a burst old). */
void vio_vnet_vq_stats_get(const struct vio_vnet_vq *vq, struct vio_vnet_vq_stats *st);

/** Where a queue stands in its ring, for monitoring (vio_vnet_vq_ring_state_get()). */
struct vio_vnet_vq_ring_state {
	uint16_t size;          /**< ring entries */
	bool packed;            /**< VIRTIO_F_RING_PACKED */
	uint16_t avail_idx;     /**< split: next avail index to fill; packed: next slot */
	bool avail_wrap;        /**< packed: wrap counter of avail_idx */
	uint16_t last_used_idx; /**< split: next used index to reap; packed: next slot */
	bool used_wrap;         /**< packed: wrap counter of last_used_idx */
	/** split: the device's used->idx (used_idx - last_used_idx entries wait); packed: 0 */
	uint16_t used_idx;
	uint16_t nb_free; /**< descriptors (split) or slots (packed) free to post into */
};

/**
 * A snapshot of where the queue stands, for monitoring (telemetry): the
 * fields the polling lcore owns are read without synchronisation, so while
 * it polls they may be a burst old and not all from the same instant.
 *
 * Thread safety: any thread, while the queue exists.
 */
void vio_vnet_vq_ring_state_get(const struct vio_vnet_vq *vq, struct vio_vnet_vq_ring_state *st);

/** One memory region of this process for the device: @c len bytes at @c va. */
struct vio_vnet_mem_region {
	uint64_t va; /**< its guest address too */
	uint64_t len;
	int fd;          /**< DPDK's; stays DPDK's */
	uint64_t offset; /**< of @c va in @c fd */
};

/**
 * DPDK's memory, as regions to share with a device: every run of
 * virtually contiguous, fd-backed memory segments (hugepages with
 * --single-file-segments, or --no-huge, which is memfd-backed).
 *
 * @return The number of regions (at most @p max are stored), or -ENOTSUP when
 *   a segment has no fd (--in-memory without --single-file-segments: one
 *   fd per page, which vhost-user cannot carry; say so in the log).
 *
 * Thread safety: any thread.
 */
int vio_vnet_mem_regions(struct vio_vnet_mem_region *regions, unsigned int max);

/**
 * vio_vnet_mem_regions() for a caller that holds DPDK's memory hotplug lock:
 * inside a memory event callback (rte_mem_event_callback_register), or
 * between rte_mcfg_mem_read_lock() and rte_mcfg_mem_read_unlock().
 */
int vio_vnet_mem_regions_locked(struct vio_vnet_mem_region *regions, unsigned int max);

#ifdef __cplusplus
}
#endif

#endif /* VIO_VNET_H */
