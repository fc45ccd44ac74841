/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VHOST_DRIVER_H
#define VIO_VHOST_DRIVER_H

/**
 * @file
 * Driver SDK: the backend ops, the one interface between whoever speaks the
 * vhost protocol (the vhost-user server; later the frontend role) and
 * whoever processes the device side of the rings (a driver: "local", vio's
 * own engine; later "kernel" and "vdpa").
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
	 * Inflight tracking (INFLIGHT_SHMFD): the frontend's inflight area,
	 * @p size bytes at @p offset of @p fd (the fd becomes the driver's),
	 * one region of vio_vq_inflight_size(@p queue_size) per vring for
	 * @p num_queues vrings. Called while no vring is started; vrings
	 * started later recover from it. NULL: the driver does not track.
	 */
	int (*set_inflight)(struct vio_backend *be, int fd, uint64_t offset, uint64_t size,
			    uint16_t num_queues, uint16_t queue_size);
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

#ifdef __cplusplus
}
#endif

#endif /* VIO_VHOST_DRIVER_H */
