/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_ENGINE_H
#define VIO_ENGINE_H

/**
 * @file
 * The device engine: the device side of virtio-net queues, between rte_mbuf
 * and guest buffers.
 *
 * A queue (struct vio_vq) is one virtqueue of a virtio-net device, split or
 * packed, whose rings and buffers live in guest memory described by a
 * struct vio_mem. The engine moves packets:
 * - vio_vq_enqueue_burst(): host to guest, into the guest's receive queue;
 * - vio_vq_dequeue_burst(): guest to host, from the guest's transmit queue.
 *
 * The guest is hostile. Every index, length and address read from guest
 * memory is copied, checked once, and only the checked copy is used. A chain
 * that breaks a rule of the virtio specification stops the burst after the
 * packets before it, marks the queue broken (every later burst returns 0),
 * increments one error counter that names the reason, and signals the
 * queue's error eventfd. Nothing outside the guest's buffers is read or
 * written, and no mbuf is leaked.
 *
 * Threads: a queue belongs to one lcore; the burst functions take no lock,
 * allocate nothing but mbufs from the caller's mempool, and make no system
 * call except the write to the guest's call eventfd (and to the error eventfd
 * when the queue breaks). The control functions (create, free, enable) run on
 * the control thread while the owning lcore does not use the queue; the
 * statistics may be read from any thread (values may be a burst old).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vio_mem.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Per-queue counters, one X-macro list: X(name, description). The first group
 * counts work, the second shortfalls that are not errors, the last group
 * (names starting with err_) the reasons a queue was marked broken.
 */
#define VIO_VQ_STATS(X)                                                                            \
	X(packets, "packets moved")                                                                \
	X(bytes, "packet bytes moved, net headers excluded")                                       \
	X(bursts, "burst calls that moved at least one packet")                                    \
	X(guest_notifications, "interrupts sent to the guest (call eventfd writes)")               \
	X(guest_notifications_suppressed, "interrupts the guest's event suppression saved")        \
	X(no_buffers, "enqueue: burst cut short, the guest posted too few receive buffers")        \
	X(too_big, "enqueue: packet larger than the guest's buffer (mergeable off)")               \
	X(csum_sw, "checksums completed in software (the other side cannot)")                      \
	X(gso_sw, "GSO packets segmented in software (the other side cannot take them whole)")     \
	X(gso_segments, "segments the software segmentation made")                                 \
	X(gso_dropped, "GSO packets dropped: headers at odds with gso_type, or too many segments") \
	X(mbuf_alloc_failed, "dequeue: burst cut short, the mempool was empty")                    \
	X(iotlb_misses, "burst cut short: an IOVA not in the IOTLB (asked, retried later)")        \
	X(inflight_resubmitted, "chains an earlier instance held, processed after a restart")      \
	X(err_avail_idx, "avail index ran ahead of the last seen one by more than the ring")       \
	X(err_desc_idx, "descriptor index out of range")                                           \
	X(err_desc_loop, "split chain with more steps than descriptors: a loop")                   \
	X(err_chain_len, "packed chain longer than the ring")                                      \
	X(err_indirect_nested, "indirect descriptor inside an indirect table")                     \
	X(err_indirect_next, "descriptor with both INDIRECT and NEXT")                             \
	X(err_indirect_len, "indirect table length zero, too big or not a multiple of 16")         \
	X(err_indirect_addr, "indirect table outside guest memory")                                \
	X(err_indirect_feature, "indirect descriptor without VIRTIO_F_RING_INDIRECT_DESC")         \
	X(err_chain_segs, "chain with more buffers than the engine's vector holds")                \
	X(err_buf_id, "packed buffer id out of range")                                             \
	X(err_addr, "buffer outside every memory region")                                          \
	X(err_addr_overflow, "buffer address plus length overflows 64 bits")                       \
	X(err_desc_dir, "device-writable buffer on transmit or read-only on receive")              \
	X(err_zero_len, "chain of zero bytes")                                                     \
	X(err_short_chain, "chain too short for the net header plus data")                         \
	X(err_pkt_len, "transmit packet longer than VIO_VQ_PKT_LEN_MAX")                           \
	X(err_csum_offset, "net header csum_start/csum_offset beyond the packet")                  \
	X(err_gso, "net header gso_type unknown or gso_size zero")                                 \
	X(err_inflight, "inflight region at odds with the ring: more chains held than slots")

/**
 * Longest packet a guest may transmit: 64 KiB of IP datagram (the largest a
 * GSO packet can carry) plus 256 bytes of link and tunnel headers. A longer
 * chain is hostile: copying it would drain the mempool on every poll.
 */
#define VIO_VQ_PKT_LEN_MAX (65536 + 256)

/** Per-queue statistics; read with vio_vq_stats_get(). */
struct vio_vq_stats {
#define VIO_VQ_STATS_FIELD(name, desc) uint64_t name;
	VIO_VQ_STATS(VIO_VQ_STATS_FIELD)
#undef VIO_VQ_STATS_FIELD
};

/** Number of counters in struct vio_vq_stats. */
#define VIO_VQ_NB_STATS (sizeof(struct vio_vq_stats) / sizeof(uint64_t))

/** How a queue reaches its rings: host addresses and, for logging, guest ones. */
struct vio_vq_config {
	const char *name;    /**< for log lines, e.g. "vhost0/rxq0"; copied */
	struct vio_mem *mem; /**< guest memory; must outlive the queue */
	uint64_t features;   /**< negotiated virtio feature bits */
	uint16_t size;       /**< ring entries; split: a power of two */
	void *desc;          /**< descriptor table (split) or ring (packed), host address */
	void *driver_area;   /**< avail ring (split) or driver event structure (packed) */
	void *device_area;   /**< used ring (split) or device event structure (packed) */
	/** GPA of the used ring (split) or descriptor ring (packed), for the dirty log */
	uint64_t log_ring_gpa;
	/**
	 * Where the device resumes: the vhost-user vring base. Split: the next
	 * avail index. Packed: bits 0-14 the next slot, bit 15 the wrap counter.
	 * The used position starts equal to it (and, for split, at used->idx).
	 */
	uint32_t base;
	int callfd; /**< eventfd to interrupt the guest, or -1 */
	int errfd;  /**< eventfd signalled when the queue breaks, or -1 */
	/**
	 * vIOMMU: buffer addresses are IOVAs, translated through this cache
	 * (which must outlive the queue; NULL: addresses are GPAs). A miss
	 * stops the burst before the chain, leaves the chain in the ring, and
	 * records the IOVA for vio_vq_iotlb_miss().
	 */
	const struct vio_iotlb *iotlb;
	int missfd; /**< eventfd signalled on a new IOTLB miss, or -1 */
	/**
	 * Inflight tracking (vhost-user protocol feature INFLIGHT_SHMFD): the
	 * queue's region, vio_vq_inflight_size() bytes of memory that outlives
	 * the process (the frontend keeps it), aligned to VIO_VQ_INFLIGHT_ALIGN,
	 * or NULL for none. A fresh region (all zero) is initialised. One an
	 * earlier instance wrote is checked and recovered: the chains it held
	 * are processed first, each once, and the queue resumes where the
	 * region and the ring say, whatever @c base says (a frontend cannot
	 * know where a crashed backend stood).
	 */
	void *inflight;
	/** What the consumer of the queue's mbufs takes care of: VIO_VQ_OFFLOAD_* bits. */
	uint32_t offloads;
};

/**
 * @name Offloads the consumer of a queue's mbufs handles itself
 *
 * Without these bits (the default), the engine hands over only finished
 * packets: a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) is completed in
 * software, and a GSO packet is segmented in software into packets of
 * gso_size payload bytes with full checksums. With a bit set, the engine
 * leaves that work to the consumer and describes it in the mbuf instead (the
 * ethdev receive offload contract). See doc/engine.md, "Offloads".
 * @{
 */
/**
 * Receive checksum offload: a packet whose partial checksum sits where its
 * parsed TCP or UDP header says comes with RTE_MBUF_F_RX_L4_CKSUM_NONE,
 * packet_type, l2_len, l3_len and l4_len, the checksum field holding the
 * pseudo-header sum (what RTE_MBUF_F_TX_TCP_CKSUM / _UDP_CKSUM expect).
 */
#define VIO_VQ_OFFLOAD_RX_CSUM (1u << 0)
/**
 * TCP LRO: a GSO packet comes whole, with RTE_MBUF_F_RX_LRO and tso_segsz
 * (its checksum as with VIO_VQ_OFFLOAD_RX_CSUM, or completed in software).
 */
#define VIO_VQ_OFFLOAD_RX_LRO (1u << 1)
/** @} */

/**
 * Most segments one GSO packet may become in software; a packet that would
 * make more is dropped and counted (gso_dropped). 64 KiB of TCP payload at
 * the smallest IPv4 MSS a Linux guest uses for GSO (536 bytes) is 123.
 */
#define VIO_VQ_GSO_SEGS_MAX 128

/** Alignment of an inflight region: its fields of 64 bits (counters, addresses). */
#define VIO_VQ_INFLIGHT_ALIGN 8

/**
 * Bytes of the inflight region of a queue of @p size entries
 * (vhost-user "Inflight I/O tracking": QueueRegionSplit or QueueRegionPacked).
 * A multiple of VIO_VQ_INFLIGHT_ALIGN: regions of several queues laid end to
 * end from an aligned start are all aligned.
 */
size_t vio_vq_inflight_size(uint16_t size, bool packed);

struct vio_vq;

/**
 * Create a queue over rings the guest has set up.
 *
 * @param cfg
 *   Configuration; checked (size, alignment, ring ranges inside @c mem).
 * @param socket_id
 *   NUMA socket for the queue's state, or SOCKET_ID_ANY.
 * @return
 *   The queue, disabled for kicks (vio's workers poll), or NULL with
 *   rte_errno EINVAL (a field of @p cfg, named in the log) or ENOMEM.
 *
 * Thread safety: control thread.
 */
struct vio_vq *vio_vq_create(const struct vio_vq_config *cfg, int socket_id);

/**
 * Change what the consumer of the queue's mbufs handles (VIO_VQ_OFFLOAD_*),
 * as vio_vq_config.offloads. Takes effect at the next burst.
 *
 * @return 0, or -EINVAL for an unknown bit.
 *
 * Thread safety: any thread (a burst running meanwhile uses the old or the
 * new setting).
 */
int vio_vq_offloads_set(struct vio_vq *vq, uint32_t offloads);

/** Free a queue. NULL is a no-op. Thread safety: the owning lcore no longer polls it. */
void vio_vq_free(struct vio_vq *vq);

/**
 * Copy packets into the guest's receive buffers (host to guest).
 *
 * With VIRTIO_NET_F_MRG_RXBUF a packet may span several buffers
 * (num_buffers); without it each packet takes one chain, and a packet
 * larger than it stops the burst (counted in too_big). The mbuf's transmit
 * offload requests (RTE_MBUF_F_TX_IP_CKSUM, _TCP_CKSUM, _UDP_CKSUM,
 * _TCP_SEG with l2_len, l3_len, l4_len and tso_segsz set, as ethdev defines
 * them) become a NEEDS_CSUM or GSO net header when the guest accepted that
 * offload, and are done in software when it did not: the checksum is written
 * into the mbuf (which must be writable, as for any checksum offload) and its
 * flags cleared; a TSO packet is segmented into mbufs from its own pool and
 * sent as several packets, all or none.
 *
 * @param vq
 *   The queue.
 * @param pkts
 *   Packets, possibly chained. They stay the caller's: the engine copies.
 * @param nb_pkts
 *   Any number; the burst stops at VIO_MAX_BURST (a build option, 256 by default).
 * @return
 *   Packets copied, from the start of @p pkts. A shortfall is counted in the
 *   queue's statistics.
 *
 * Thread safety: the owning lcore only.
 */
uint16_t vio_vq_enqueue_burst(struct vio_vq *vq, struct rte_mbuf **pkts, uint16_t nb_pkts);

/**
 * Copy packets out of the guest's transmit buffers (guest to host) into mbufs
 * from @p mp, chained when a packet is larger than one mbuf. The net header's
 * offload requests are honoured as the queue's offloads say
 * (VIO_VQ_OFFLOAD_*): a partial checksum is completed in software or
 * reported (RTE_MBUF_F_RX_L4_CKSUM_NONE), DATA_VALID becomes
 * RTE_MBUF_F_RX_L4_CKSUM_GOOD, and a GSO packet is segmented in software or
 * delivered whole (RTE_MBUF_F_RX_LRO, tso_segsz). A burst that meets a GSO
 * packet to segment ends with its segments; those that do not fit in
 * @p pkts come first in the next burst.
 *
 * @return
 *   Packets stored in @p pkts, now the caller's.
 *
 * Thread safety: the owning lcore only.
 */
uint16_t vio_vq_dequeue_burst(struct vio_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts,
			      uint16_t nb_pkts);

/**
 * Ask the guest to kick (notify) the queue after it posts buffers, or tell it
 * not to (the default: vio's workers poll).
 *
 * Thread safety: the owning lcore, or the control thread while it does not poll.
 */
void vio_vq_kick_enable(struct vio_vq *vq, bool enable);

/** Whether the queue was marked broken by hostile input. Thread safety: any thread. */
bool vio_vq_is_broken(const struct vio_vq *vq);

/**
 * What broke the queue: the field of the guest's input and its value.
 *
 * @return 0 with @p field (a static string) and @p value filled, or -ENOENT
 *   when the queue is not broken.
 *
 * Thread safety: any thread once vio_vq_is_broken() returned true (the error
 * eventfd fires after these are written).
 */
int vio_vq_error(const struct vio_vq *vq, const char **field, uint64_t *value);

/**
 * Where the device stands, as the vhost-user GET_VRING_BASE reports it (same
 * encoding as vio_vq_config.base). Thread safety: while the lcore does not poll.
 */
uint32_t vio_vq_base(const struct vio_vq *vq);

/** Where a queue stands in its ring, for monitoring (vio_vq_ring_state_get()). */
struct vio_vq_ring_state {
	uint16_t size;           /**< ring entries */
	bool packed;             /**< VIRTIO_F_RING_PACKED */
	uint16_t last_avail_idx; /**< split: next avail index to take; packed: next slot */
	bool avail_wrap;         /**< packed: wrap counter of last_avail_idx */
	uint16_t last_used_idx;  /**< split: used->idx as published; packed: next slot to write */
	bool used_wrap;          /**< packed: wrap counter of last_used_idx */
	/** split: the guest's avail->idx (avail_idx - last_avail_idx chains wait); packed: 0 */
	uint16_t avail_idx;
};

/**
 * A snapshot of where the queue stands, for monitoring (telemetry): the
 * fields the polling lcore owns are read without synchronisation, so while
 * it polls they may be a burst old and not all from the same instant.
 *
 * Thread safety: any thread, while the queue exists.
 */
void vio_vq_ring_state_get(const struct vio_vq *vq, struct vio_vq_ring_state *st);

/**
 * The IOTLB miss the queue is waiting for, if it was not reported yet: the
 * lcore records the first miss, signals missfd and keeps stopping at that
 * chain until vio_vq_iotlb_retry().
 *
 * @return 1 with the IOVA and the access wanted (reported from now on), 0
 *   when there is nothing new to report.
 *
 * Thread safety: control thread, while the lcore may be polling.
 */
int vio_vq_iotlb_miss(struct vio_vq *vq, uint64_t *iova, enum vio_mem_access *access);

/**
 * Let the queue look its missing IOVA up again (the IOTLB changed).
 *
 * Thread safety: control thread, while no lcore is inside a burst on @p vq.
 */
void vio_vq_iotlb_retry(struct vio_vq *vq);

/**
 * Read the counters.
 *
 * @return 0, or -EINVAL for a NULL argument.
 *
 * Thread safety: any thread.
 */
int vio_vq_stats_get(const struct vio_vq *vq, struct vio_vq_stats *stats);

/** Reset the counters. Thread safety: the owning lcore, or while it does not poll. */
void vio_vq_stats_reset(struct vio_vq *vq);

/**
 * Name of counter @p i of struct vio_vq_stats, in declaration order.
 *
 * @return The name, or NULL when @p i >= VIO_VQ_NB_STATS.
 */
const char *vio_vq_stat_name(unsigned int i);

/** Description of counter @p i, or NULL. */
const char *vio_vq_stat_desc(unsigned int i);

#ifdef __cplusplus
}
#endif

#endif /* VIO_ENGINE_H */
