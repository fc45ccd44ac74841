/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VHOST_H
#define VIO_VHOST_H

/**
 * @file
 * vhost-user backend: serve virtio-net devices to vhost-user frontends (QEMU
 * guests, DPDK virtio-user) over Unix sockets.
 *
 * Model. The application registers a socket path, optionally tunes the
 * features offered and its callbacks, and starts it. One control thread,
 * created at the first start, serves every socket with epoll: it accepts (or,
 * in client mode, connects and reconnects), reads the frontend's messages and
 * maps them onto the device's backend ops. Each connection is a device,
 * named by a small integer @c vid. The device's virtqueues are driven by
 * vio's engine ("local" driver): the application's lcores move packets with
 * vio_vhost_enqueue_burst() / vio_vhost_dequeue_burst() on queue ids in
 * virtio-net order (2n: the guest's receive queue n, 2n+1: its transmit
 * queue n).
 *
 * Threads. Callbacks run on the control thread, never under a queue lock; a
 * callback may call any function of this API, vio_vhost_unregister()
 * included. Bursts on one queue must come from one lcore at a time; they take
 * no lock: the control thread stops a queue by unpublishing it and waiting
 * until the lcore has left the burst (a quiescent point), then reconfigures
 * it. Registration functions may be called from any thread.
 *
 * The frontend is hostile: every message field is checked once, on arrival;
 * a bad message closes its connection only, with a log line that names the
 * message, the field and the value.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vio_vhost_user.h"
#include <sys/types.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vio_engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Connect to the path instead of listening on it (the frontend listens). */
#define VIO_VHOST_F_CLIENT (UINT64_C(1) << 0)
/** Client mode: do not reconnect when the frontend goes away. */
#define VIO_VHOST_F_NO_RECONNECT (UINT64_C(1) << 1)
/** Offer VIRTIO_F_ACCESS_PLATFORM (vIOMMU; IOTLB messages). */
#define VIO_VHOST_F_IOMMU (UINT64_C(1) << 2)

/** Most devices (connections) at once, and queue pairs per device. */
#define VIO_VHOST_MAX_DEVICES     64
#define VIO_VHOST_MAX_QUEUE_PAIRS 16

/** Application callbacks; any may be NULL. They run on the control thread. */
struct vio_vhost_ops {
	/**
	 * The device is ready: memory set, first queue pair live. Return 0 to
	 * accept it; anything else makes vio close the connection.
	 */
	int (*new_device_cb)(int vid, void *ctx);
	/** The device stopped (frontend gone, reset, or a ring stopped); bursts now return 0. */
	void (*destroy_device_cb)(int vid, void *ctx);
	/** Queue @p queue_id was enabled or disabled by the frontend. */
	void (*vring_state_changed_cb)(int vid, uint16_t queue_id, bool enabled, void *ctx);
	/** The frontend acknowledged @p features. */
	void (*features_changed_cb)(int vid, uint64_t features, void *ctx);
};

/**
 * Register a socket path.
 *
 * @param path
 *   Unix socket path (at most 107 bytes).
 * @param flags
 *   VIO_VHOST_F_*.
 * @return
 *   0, -EINVAL (path), -EEXIST (already registered), -ENOMEM.
 *
 * Thread safety: any thread.
 */
int vio_vhost_register(const char *path, uint64_t flags);

/**
 * Features offered on @p path (default: what vio supports). Bits vio does not
 * support are dropped.
 *
 * @return 0 or -ENOENT.
 */
int vio_vhost_set_features(const char *path, uint64_t features);

/** Remove @p features from what @p path offers. @return 0 or -ENOENT. */
int vio_vhost_disable_features(const char *path, uint64_t features);

/** Features offered on @p path, in @p features. @return 0 or -ENOENT. */
int vio_vhost_get_features_offered(const char *path, uint64_t *features);

/** Remove protocol features (VIO_VHOST_USER_PROTOCOL_F_* bits) from what is offered. */
int vio_vhost_mask_protocol_features(const char *path, uint64_t mask);

/**
 * What the application does itself with the packets it dequeues on @p path:
 * VIO_VQ_OFFLOAD_* bits (vio_engine.h), 0 by default (vio completes partial
 * checksums and segments GSO packets in software). Applies to the queues of
 * the current connection at their next burst, and to later connections.
 *
 * @return 0, -EINVAL (an unknown bit) or -ENOENT.
 *
 * Thread safety: any thread.
 */
int vio_vhost_set_offloads(const char *path, uint32_t offloads);

/** Queue pairs offered on @p path (1 to VIO_VHOST_MAX_QUEUE_PAIRS, default 1). */
int vio_vhost_set_max_queue_pairs(const char *path, uint16_t nb_pairs);

/**
 * The driver of the devices of @p path (default "local": vio's engine, the
 * application's bursts move the packets). "kernel" hands each connection's
 * rings to Linux vhost-net on @p device (e.g. /dev/vhost-net), its packets
 * through the TAP @p iface (NULL: the kernel names it; an existing
 * multi-queue TAP is attached to, otherwise one is created for the
 * connection); "vdpa" hands them to the vDPA device @p device
 * (/dev/vhost-vdpa-N). With those the device moves the packets itself: the
 * bursts on the connection move nothing, and the features offered are those
 * the device can serve (doc/handoff.md). Before vio_vhost_start().
 *
 * @return 0, -EINVAL (an unknown driver, a missing device, an iface for a
 *   driver other than kernel; the log says which), -ENOENT, -EBUSY (started).
 *
 * Thread safety: any thread.
 */
int vio_vhost_set_driver(const char *path, const char *driver, const char *device,
			 const char *iface);

/**
 * Mode and owner of the socket file created in server mode (default: as
 * created, umask applied). @p uid or @p gid (uid_t)-1 leaves it unchanged.
 */
int vio_vhost_set_socket_owner(const char *path, mode_t mode, uid_t uid, gid_t gid);

/** Register callbacks for @p path; @p ctx is passed to each. @return 0 or -ENOENT. */
int vio_vhost_callbacks_register(const char *path, const struct vio_vhost_ops *ops, void *ctx);

/**
 * Start serving @p path: listen (a stale socket file, one nobody listens on,
 * is replaced; a live one, a symlink or another kind of file at the path is
 * refused) or connect.
 *
 * @return 0, -ENOENT, -EALREADY, -ELOOP (symlink), -EEXIST (not a socket),
 *   -EADDRINUSE (another process listens there), or the negative errno of
 *   socket/bind/listen/chmod/chown. In client mode a refused
 *   connection is retried in the background (unless NO_RECONNECT).
 */
int vio_vhost_start(const char *path);

/**
 * Stop serving @p path and forget it: close the listener and its connection
 * (the device is destroyed first, with its callback), remove the socket file.
 * Safe while a frontend is connected and from inside a callback. Called from
 * another thread, it returns once destroy_device_cb has run on the control
 * thread, so the application may free the callbacks' context afterwards;
 * called from a callback, destroy_device_cb runs when that callback returns.
 *
 * @return 0 or -ENOENT.
 */
int vio_vhost_unregister(const char *path);

/* Per-device queries; -ENODEV for a vid that is not connected. */

/** Negotiated virtio features. */
int vio_vhost_get_negotiated_features(int vid, uint64_t *features);
/** MTU set by the frontend (NET_SET_MTU), 0 if none. */
int vio_vhost_get_mtu(int vid, uint16_t *mtu);
/** NUMA node of the guest memory (of its first page), or -1 when unknown. */
int vio_vhost_get_numa_node(int vid);
/** Number of virtqueues the frontend set up (2 per queue pair). */
int vio_vhost_get_vring_num(int vid);
/** Socket path of the device. */
int vio_vhost_get_path(int vid, char *buf, size_t len);

/*
 * Monitoring (telemetry): snapshots under the vhost layer's lock, from any
 * thread. A vid is reused by the next connection (of any socket) once its
 * device is gone, so a series of these calls may see two connections.
 */

/** A registered socket (vio_vhost_get_socket_info()). */
struct vio_vhost_socket_info {
	int vid;              /**< the current connection, ready or not yet; -1 without one */
	uint64_t connections; /**< connections it has had since it was registered */
	bool started;         /**< vio_vhost_start() called: listening or connecting */
};

/**
 * The state of socket @p path.
 *
 * @return 0, -EINVAL, -ENOENT (@p path not registered).
 */
int vio_vhost_get_socket_info(const char *path, struct vio_vhost_socket_info *info);

/** One region of a device's memory table, as the frontend described it. */
struct vio_vhost_mem_region_info {
	uint64_t gpa;         /**< guest physical address */
	uint64_t size;        /**< bytes */
	uint64_t uaddr;       /**< in the frontend's address space */
	uint64_t mmap_offset; /**< of the region in the fd the frontend sent */
};

/**
 * The device's memory table: the first @p max regions, in the frontend's
 * order, into @p regions (NULL with @p max 0 to count them).
 *
 * @return The number of regions in the table (0 before SET_MEM_TABLE; more
 *   than @p max when they did not all fit), or -ENODEV.
 */
int vio_vhost_get_mem_regions(int vid, struct vio_vhost_mem_region_info *regions, unsigned int max);

/**
 * vIOMMU: how many translations the device's IOTLB holds.
 *
 * @return The count, -ENODEV, or -ENOTSUP (no IOTLB: VIRTIO_F_ACCESS_PLATFORM
 *   not negotiated, or a driver without one).
 */
int vio_vhost_get_iotlb_entries(int vid);

/** One vring of a device (vio_vhost_get_vring_info()). */
struct vio_vhost_vring_info {
	uint16_t size; /**< SET_VRING_NUM; 0 before */
	bool started;  /**< kicked (or given its kick fd) since the last stop */
	bool enabled;  /**< SET_VRING_ENABLE */
	bool live;     /**< an engine queue serves it: the bursts reach it */
	bool broken;   /**< live, and hostile input stopped the queue */
	/** live only: where the engine stands (a racy snapshot, vio_vq_ring_state_get()) */
	struct vio_vq_ring_state ring;
};

/**
 * The state of vring @p queue_id.
 *
 * @return 0, -EINVAL (@p queue_id out of range), -ENODEV.
 */
int vio_vhost_get_vring_info(int vid, uint16_t queue_id, struct vio_vhost_vring_info *info);

/**
 * Copy packets to the guest's receive queue @p queue_id (even).
 *
 * @return Packets copied (the mbufs stay the caller's); 0 when the queue is
 *   not live.
 *
 * Thread safety: one lcore per queue at a time.
 */
uint16_t vio_vhost_enqueue_burst(int vid, uint16_t queue_id, struct rte_mbuf **pkts,
				 uint16_t nb_pkts);

/**
 * Take packets from the guest's transmit queue @p queue_id (odd) into mbufs
 * from @p mp.
 *
 * @return Packets stored in @p pkts; 0 when the queue is not live.
 *
 * Thread safety: one lcore per queue at a time.
 */
uint16_t vio_vhost_dequeue_burst(int vid, uint16_t queue_id, struct rte_mempool *mp,
				 struct rte_mbuf **pkts, uint16_t nb_pkts);

/**
 * Counters of queue @p queue_id (they survive ring restarts within a
 * connection). @return 0, -ENODEV, -EINVAL.
 */
int vio_vhost_queue_stats_get(int vid, uint16_t queue_id, struct vio_vq_stats *stats);

/**
 * Counters of queue @p queue_id over the life of the socket at @p path:
 * every connection it has had, the current one included; and in
 * @p connections (if not NULL) how many connections it has had.
 * @return 0, -EINVAL, -ENOENT (no such socket).
 *
 * Thread safety: any thread.
 */
int vio_vhost_socket_stats_get(const char *path, uint16_t queue_id, struct vio_vq_stats *stats,
			       unsigned int *connections);

/*
 * Receive interrupts: an application that sleeps when the guest's transmit
 * queue is empty asks the guest to kick, waits on the kick eventfd, and
 * polls again when it fires.
 */

/**
 * A copy of the guest's kick eventfd of queue @p queue_id (odd: a guest
 * transmit queue), for epoll. The frontend may replace its kick fd when it
 * restarts the ring; ask again after new_device_cb / vring_state_changed_cb.
 *
 * @return A new fd the caller must close, or -EINVAL (vid or queue_id out of
 *   range), -ENODEV (not connected), -ENOENT (the frontend gave no kick fd:
 *   it never kicks), or the negative errno of the dup.
 *
 * Thread safety: any thread.
 */
int vio_vhost_get_kick_fd(int vid, uint16_t queue_id);

/**
 * Ask the guest to kick queue @p queue_id after it posts buffers (@p enable
 * true), or to stop kicking (the default: vio polls). The request lasts for
 * the connection: a ring restarted (a new memory table, a pause, an IOTLB
 * miss) starts with it. One made while the ring is not live is remembered
 * for its start, and -ENODEV says the queue is not live now.
 *
 * @return 0, -EINVAL, or -ENODEV when the queue is not live.
 *
 * Thread safety: the lcore that bursts on the queue.
 */
int vio_vhost_notify_enable(int vid, uint16_t queue_id, bool enable);

#ifdef __cplusplus
}
#endif

#endif /* VIO_VHOST_H */
