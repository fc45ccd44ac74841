/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VHOST_FRONTEND_H
#define VIO_VHOST_FRONTEND_H

/**
 * @file
 * The vhost-user frontend: vio as the side that owns the memory and the
 * rings (what a VMM or DPDK's virtio_user plays) and drives one backend over
 * a Unix socket. Generic: nothing here is net-specific, so a block backend
 * (QEMU's qemu-storage-daemon) is driven the same way as a net one.
 *
 * One struct vio_vhost_frontend is one connection. Each call sends one
 * request and, where the protocol has a reply (or REPLY_ACK was negotiated,
 * which this API then uses on every request that allows it), waits for it,
 * at most the configured timeout. Every reply is checked before it is used:
 * the request code, the REPLY flag and version, the exact size, no fds, and
 * the values themselves (a feature set must be a subset of what was offered,
 * queue counts and sizes in range, GET_VRING_BASE for the vring asked). A bad
 * reply, a timeout or a closed socket logs an error that names the request,
 * the field and the value, and breaks the connection: every later call
 * returns -ENOTCONN until vio_vhost_frontend_close().
 *
 * Return values: 0 or a negative errno: -EINVAL (an argument), -ENOTSUP (the
 * backend did not negotiate what the call needs), -EPROTO (a bad reply),
 * -ETIMEDOUT, -ECONNRESET (the backend closed), -EIO (the backend answered a
 * REPLY_ACK with a failure), -ENOTCONN (broken earlier), or the errno of the
 * socket.
 *
 * Thread safety: one thread at a time per connection; connections are
 * independent. File descriptors passed in stay the caller's (they are sent,
 * not kept).
 */

#include <stdbool.h>
#include <stdint.h>

#include "vio_vhost_user.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vio_vhost_frontend;

/** How to reach the backend. */
struct vio_vhost_frontend_config {
	/**
	 * false: connect to a backend listening on the path (retrying until
	 * @c connect_timeout_ms). true: listen on the path and accept one
	 * backend (waiting at most @c connect_timeout_ms; a stale socket file
	 * is replaced).
	 */
	bool server;
	int connect_timeout_ms; /**< 0: one try (client), wait forever (server) */
	int reply_timeout_ms;   /**< 0: 5000 */
};

/** Most vrings a backend may report (GET_QUEUE_NUM counts queue pairs for net). */
#define VIO_VHOST_FRONTEND_MAX_QUEUES 1024
/** Largest ring a vring may have (virtio 1.2, 2.6: Queue Size up to 32768). */
#define VIO_VHOST_FRONTEND_MAX_RING 32768

/**
 * Connect to the backend at @p path.
 *
 * @return The connection, or NULL with rte_errno: EINVAL (path too long for
 *   sun_path, or empty), ETIMEDOUT, or the errno of socket/connect/bind.
 *
 * Thread safety: any thread.
 */
struct vio_vhost_frontend *vio_vhost_frontend_connect(const char *path,
						      const struct vio_vhost_frontend_config *cfg);

/**
 * Attach in-process to the vhost-user server socket that this process
 * registered and started at @p path (vio_vhost_register(), server mode):
 * no connection, no second process. Requests and replies are the same as
 * on a socket and are checked the same way, both sides; they are delivered
 * by function calls on the caller's thread. The server's application sees
 * an ordinary frontend connect. What @p cfg says of connecting does not
 * apply (NULL is accepted).
 *
 * @return The connection, or NULL with rte_errno: ENOENT (no such socket
 *   registered and started here), EINVAL (it is in client mode), EBUSY (a
 *   frontend is connected to it already).
 *
 * Thread safety: any thread but the vhost control thread (a server
 * callback).
 */
struct vio_vhost_frontend *
vio_vhost_frontend_connect_local(const char *path, const struct vio_vhost_frontend_config *cfg);

/** Close the connection and free it. NULL is a no-op. */
void vio_vhost_frontend_close(struct vio_vhost_frontend *fe);

/** Whether a bad reply, a timeout or a close broke the connection. */
bool vio_vhost_frontend_is_broken(const struct vio_vhost_frontend *fe);

/**
 * Whether the backend is still there between requests: a closed socket (or
 * a message nobody asked for) breaks the connection now rather than at the
 * next request. Makes no request; does not block.
 */
bool vio_vhost_frontend_is_alive(struct vio_vhost_frontend *fe);

/** GET_FEATURES: the virtio feature bits the backend offers. */
int vio_vhost_frontend_get_features(struct vio_vhost_frontend *fe, uint64_t *features);

/**
 * SET_FEATURES. @p features must be a subset of what GET_FEATURES offered
 * (called first), -EINVAL otherwise.
 */
int vio_vhost_frontend_set_features(struct vio_vhost_frontend *fe, uint64_t features);

/**
 * GET_PROTOCOL_FEATURES (needs VHOST_USER_F_PROTOCOL_FEATURES, bit 30, in
 * what GET_FEATURES offered; -ENOTSUP otherwise).
 */
int vio_vhost_frontend_get_protocol_features(struct vio_vhost_frontend *fe, uint64_t *features);

/**
 * SET_PROTOCOL_FEATURES: a subset of what was offered (-EINVAL otherwise).
 * From now on REPLY_ACK, if in @p features, is asked on every request that
 * has no reply of its own.
 */
int vio_vhost_frontend_set_protocol_features(struct vio_vhost_frontend *fe, uint64_t features);

/** SET_OWNER: the first request of a session. */
int vio_vhost_frontend_set_owner(struct vio_vhost_frontend *fe);

/** RESET_DEVICE when negotiated (protocol feature RESET_DEVICE), else RESET_OWNER. */
int vio_vhost_frontend_reset(struct vio_vhost_frontend *fe);

/** GET_QUEUE_NUM (protocol feature MQ): 1 to VIO_VHOST_FRONTEND_MAX_QUEUES. */
int vio_vhost_frontend_get_queue_num(struct vio_vhost_frontend *fe, uint16_t *nb);

/** GET_MAX_MEM_SLOTS (protocol feature CONFIGURE_MEM_SLOTS): 1 to 509. */
int vio_vhost_frontend_get_max_mem_slots(struct vio_vhost_frontend *fe, uint32_t *nb);

/** A memory region shared with the backend: @c size bytes at @c mmap_offset of @c fd. */
struct vio_vhost_frontend_region {
	uint64_t gpa;   /**< the address the rings and buffers use for it */
	uint64_t size;  /**< bytes */
	uint64_t uaddr; /**< where the frontend has it (SET_VRING_ADDR uses these) */
	uint64_t mmap_offset;
	int fd;
};

/**
 * The memory table. Up to 8 regions go in one SET_MEM_TABLE; more need
 * CONFIGURE_MEM_SLOTS and go as ADD_MEM_REG, one each, up to
 * GET_MAX_MEM_SLOTS.
 */
int vio_vhost_frontend_set_mem_table(struct vio_vhost_frontend *fe,
				     const struct vio_vhost_frontend_region *regions,
				     unsigned int nb);

/** ADD_MEM_REG / REM_MEM_REG (CONFIGURE_MEM_SLOTS): one region more, or less. */
int vio_vhost_frontend_add_mem_region(struct vio_vhost_frontend *fe,
				      const struct vio_vhost_frontend_region *r);
int vio_vhost_frontend_rem_mem_region(struct vio_vhost_frontend *fe,
				      const struct vio_vhost_frontend_region *r);

/** SET_VRING_NUM: 1 to VIO_VHOST_FRONTEND_MAX_RING entries. */
int vio_vhost_frontend_set_vring_num(struct vio_vhost_frontend *fe, uint16_t idx, uint16_t num);

/** SET_VRING_ADDR, frontend addresses of the three ring parts; @p log_gpa with @p log. */
int vio_vhost_frontend_set_vring_addr(struct vio_vhost_frontend *fe, uint16_t idx, uint64_t desc,
				      uint64_t avail, uint64_t used, bool log, uint64_t log_gpa);

/** SET_VRING_BASE: where the device starts (split: avail index; packed: index and wrap). */
int vio_vhost_frontend_set_vring_base(struct vio_vhost_frontend *fe, uint16_t idx, uint32_t base);

/** GET_VRING_BASE: stops the vring and says where the device stands. */
int vio_vhost_frontend_get_vring_base(struct vio_vhost_frontend *fe, uint16_t idx, uint32_t *base);

/** SET_VRING_KICK / CALL / ERR: an eventfd, or -1 for none (polling). */
int vio_vhost_frontend_set_vring_kick(struct vio_vhost_frontend *fe, uint16_t idx, int fd);
int vio_vhost_frontend_set_vring_call(struct vio_vhost_frontend *fe, uint16_t idx, int fd);
int vio_vhost_frontend_set_vring_err(struct vio_vhost_frontend *fe, uint16_t idx, int fd);

/** SET_VRING_ENABLE (needs VHOST_USER_F_PROTOCOL_FEATURES negotiated). */
int vio_vhost_frontend_set_vring_enable(struct vio_vhost_frontend *fe, uint16_t idx, bool enable);

/**
 * GET_CONFIG (protocol feature CONFIG): @p len bytes (1 to 256) of the
 * device's configuration space from @p offset into @p buf.
 */
int vio_vhost_frontend_get_config(struct vio_vhost_frontend *fe, uint32_t offset, void *buf,
				  uint32_t len);

/** SET_CONFIG (protocol feature CONFIG). */
int vio_vhost_frontend_set_config(struct vio_vhost_frontend *fe, uint32_t offset, const void *buf,
				  uint32_t len);

/** SET_STATUS / GET_STATUS (protocol feature STATUS): the virtio device status byte. */
int vio_vhost_frontend_set_status(struct vio_vhost_frontend *fe, uint8_t status);
int vio_vhost_frontend_get_status(struct vio_vhost_frontend *fe, uint8_t *status);

#ifdef __cplusplus
}
#endif

#endif /* VIO_VHOST_FRONTEND_H */
