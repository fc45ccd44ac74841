/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VHOST_DRIVER_H
#define VIO_VHOST_DRIVER_H

/**
 * @file
 * Driver SDK: the backend ops, the one interface between whoever speaks the
 * vhost protocol or owns the rings (the vhost-user server in the backend
 * role; a port's virtio device in the frontend role) and whoever processes
 * the device side of the rings (a driver: "local", vio's own engine, in the
 * backend role; "remote", another process over vhost-user, in the frontend
 * role; "kernel", Linux vhost-net and a TAP, and "vdpa", a vhost-vdpa
 * device, in the frontend role).
 *
 * The calls follow the vhost protocol's vocabulary (the kernel's VHOST_*
 * ioctls and the vhost-user messages are the same operations). Every
 * argument has been checked by the caller against the protocol (indexes in
 * range, sizes, fds valid); a driver checks what only it can know. Each op
 * returns 0 or a negative errno. The fds of a vring config stay the caller's
 * and stay open until the vring is stopped or started again with new ones;
 * the fd of set_log_base becomes the driver's.
 *
 * Thread safety: ops are called on the control thread only.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vio_mem.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vio_backend;

/** One vring as the frontend set it up. */
struct vio_backend_vring_config {
	uint16_t size; /**< SET_VRING_NUM */
	bool addr_set;
	bool log_used;       /**< SET_VRING_ADDR flag VHOST_VRING_F_LOG */
	uint64_t desc_uaddr; /**< SET_VRING_ADDR, frontend addresses */
	uint64_t avail_uaddr;
	uint64_t used_uaddr;
	uint64_t log_gpa; /**< GPA of the used ring, for the dirty log */
	uint32_t base;    /**< SET_VRING_BASE */
	int kickfd;       /**< -1: none (polling) */
	int callfd;       /**< -1: none */
	int errfd;        /**< -1: none */
};

/** The operations a driver implements. */
struct vio_backend_ops {
	const char *name;
	/**
	 * Backend role: the driver's device moves the packets itself (vhost-net,
	 * a vDPA device), so no engine queue is published and the
	 * application's bursts on the device move nothing; a vring counts as
	 * live once started and enabled. get_features and get_queue_num, when
	 * set, say what the device can serve: the server offers no more.
	 */
	bool handoff;
	/** Negotiated features (also on LOG_ALL toggles). */
	int (*set_features)(struct vio_backend *be, uint64_t features);
	/** Replace the memory table; the region fds stay the caller's. */
	int (*set_mem_table)(struct vio_backend *be, const struct vio_mem_region_desc *regions,
			     unsigned int nb_regions);
	/** Map a dirty log (fd becomes the driver's). */
	int (*set_log_base)(struct vio_backend *be, int fd, uint64_t offset, uint64_t size);
	/** Start a vring (first kick, or its config changed while started). */
	int (*vring_start)(struct vio_backend *be, uint16_t idx,
			   const struct vio_backend_vring_config *cfg);
	/** Stop a vring and report where it stands (GET_VRING_BASE encoding). */
	int (*vring_stop)(struct vio_backend *be, uint16_t idx, uint32_t *base);
	/** Let the data path use a started vring, or not. */
	int (*vring_enable)(struct vio_backend *be, uint16_t idx, bool enable);
	/** Stop everything and release every resource. */
	void (*reset)(struct vio_backend *be);
	/** Reset, then free the instance (be->priv); @p be is unusable after. */
	void (*destroy)(struct vio_backend *be);
	/**
	 * The device's error eventfd fired (the driver's queues signal it):
	 * report what broke to the frontend, ask it for missing translations.
	 * NULL: the driver never signals it.
	 */
	void (*error_event)(struct vio_backend *be);
	/**
	 * vIOMMU (VIRTIO_F_ACCESS_PLATFORM): IOVAs [iova, iova + size) now map
	 * to frontend addresses from @p uaddr with permission @p perm
	 * (enum vio_mem_access bits). NULL: the driver has no IOTLB.
	 */
	int (*iotlb_update)(struct vio_backend *be, uint64_t iova, uint64_t size, uint64_t uaddr,
			    uint32_t perm);
	/** vIOMMU: forget IOVAs [iova, iova + size); done before the op returns. */
	int (*iotlb_invalidate)(struct vio_backend *be, uint64_t iova, uint64_t size);
	/**
	 * vIOMMU: how many translations the IOTLB holds now, in @p nb (for
	 * monitoring). -ENOTSUP: no IOTLB in use (VIRTIO_F_ACCESS_PLATFORM
	 * not negotiated). NULL: the driver has no IOTLB.
	 */
	int (*iotlb_entries)(struct vio_backend *be, unsigned int *nb);
	/**
	 * Inflight tracking (INFLIGHT_SHMFD): the frontend's inflight area,
	 * @p size bytes at @p offset of @p fd (the fd becomes the driver's),
	 * one region of vio_vq_inflight_size(@p queue_size) per vring for
	 * @p num_queues vrings. Called while no vring is started; vrings
	 * started later recover from it. NULL: the driver does not track.
	 */
	int (*set_inflight)(struct vio_backend *be, int fd, uint64_t offset, uint64_t size,
			    uint16_t num_queues, uint16_t queue_size);

	/*
	 * Frontend role. There vio owns the rings and the driver is the
	 * device: it says what it offers before set_features. NULL in a
	 * driver that serves the backend role only.
	 */
	/** The virtio feature bits the device offers. */
	int (*get_features)(struct vio_backend *be, uint64_t *features);
	/** How many queue pairs (net) the device has: 1 when it cannot say. */
	int (*get_queue_num)(struct vio_backend *be, uint16_t *nb);
	/**
	 * Whether the device side is still there (a remote backend may close
	 * its socket at any time). NULL: always.
	 */
	bool (*is_alive)(struct vio_backend *be);
	/**
	 * One memory region more, or one less, while the vrings run (the
	 * frontend's memory grew or shrank): vhost-user ADD_MEM_REG and
	 * REM_MEM_REG. The fd stays the caller's. -ENOTSUP (or NULL): the
	 * device takes whole tables only (set_mem_table).
	 */
	int (*mem_region_add)(struct vio_backend *be, const struct vio_mem_region_desc *r);
	int (*mem_region_remove)(struct vio_backend *be, const struct vio_mem_region_desc *r);
};

/**
 * What a driver asks of the frontend, through whoever speaks the protocol
 * (the vhost-user server: its backend request channel). Each returns 0, or
 * -ENOTSUP when the frontend did not negotiate it, or the negative errno of
 * the channel.
 */
struct vio_backend_events {
	/** A translation of @p iova for @p perm is missing: ask for it (IOTLB_MISS). */
	int (*iotlb_miss)(struct vio_backend *be, uint64_t iova, uint32_t perm);
	/**
	 * Offer the frontend @p size bytes at @p offset of @p fd as vring
	 * @p idx's doorbell (VRING_HOST_NOTIFIER_MSG); @p fd -1 withdraws it.
	 * The fd stays the driver's.
	 */
	int (*host_notifier)(struct vio_backend *be, uint16_t idx, int fd, uint64_t offset,
			     uint64_t size);
	/** The device's configuration space changed (CONFIG_CHANGE_MSG). */
	int (*config_changed)(struct vio_backend *be);
};

/** A driver instance: its ops, its private state, and who it reports to. */
struct vio_backend {
	const struct vio_backend_ops *ops;
	void *priv;
	const struct vio_backend_events *events; /**< set by the protocol side */
	void *owner;                             /**< the protocol side's device */
};

/** Where a frontend-role driver finds its device. */
struct vio_backend_target {
	const char *name;     /**< for log lines, e.g. the port's name */
	const char *path;     /**< remote: the backend's Unix socket */
	bool server;          /**< remote: listen on @c path for the backend */
	int timeout_ms;       /**< remote: connect (or wait for the backend) at most this long */
	int reply_timeout_ms; /**< remote: each reply at most this long (0: 5000) */
	/** kernel: the TAP's name (NULL: the kernel picks one); unused by the others */
	const char *iface;
	/**
	 * The queue pairs the port will use (0 taken as 1): kernel opens one
	 * vhost-net fd and one TAP queue per pair; the others ignore it.
	 */
	uint16_t nb_queue_pairs;
	/** The ring size the port will use (0: unknown); vdpa checks it against the device's */
	uint16_t queue_size;
};

/**
 * Open a driver instance for the frontend role: the device it drives is
 * reached, its owner set, its features ready for get_features.
 *
 * @param driver
 *   "remote" (a vhost-user backend on a Unix socket), "local" (a vio
 *   backend port of this process), and, where built, "kernel" (vhost-net
 *   and a TAP) and "vdpa" (a vhost-vdpa character device).
 * @param target
 *   Where the device is.
 * @param be
 *   Filled in: ops and private state. ops->destroy releases it.
 * @return
 *   0, -EINVAL (an unknown driver, or a driver with no frontend role: the
 *   log names the ones that have it), or the driver's negative errno
 *   (-ETIMEDOUT, -ECONNREFUSED, -EPROTO, ...).
 *
 * Thread safety: any thread; not the vhost control thread.
 */
int vio_backend_open(const char *driver, const struct vio_backend_target *target,
		     struct vio_backend *be);

#ifdef __cplusplus
}
#endif

#endif /* VIO_VHOST_DRIVER_H */
