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
 * not kept); those a call hands out (the inflight area, a device state
 * channel) are the caller's to close.
 *
 * The backend request channel (protocol feature BACKEND_REQ): after
 * vio_vhost_frontend_set_backend_req_fd() the backend may send requests of
 * its own. Nothing reads them behind the caller's back: there is no thread.
 * The caller polls vio_vhost_frontend_backend_req_fd() for POLLIN and calls
 * vio_vhost_frontend_handle_backend_req(), on the thread (or under the lock)
 * it makes its other calls of this connection with. Besides, every call that
 * waits for a reply serves the requests that arrive meanwhile, so a backend
 * that holds a reply until the frontend answers one of its requests (an
 * IOTLB miss with NEED_REPLY, say) does not deadlock the two. The answers
 * that need the main channel (an IOTLB update) then go without NEED_REPLY,
 * so that the only reply coming on it is the one being waited for. A
 * callback (struct vio_vhost_frontend_backend_req_ops) runs inside
 * vio_vhost_frontend_handle_backend_req() or inside any such waiting call,
 * on the caller's thread, and must not call this API on the same
 * connection: it notes what happened, the caller acts once the call returns.
 *
 * Every backend request is checked as a reply is: the flags (version 1, no
 * REPLY, NEED_REPLY honoured once REPLY_ACK is negotiated), the exact size,
 * the fd count, then the values. A malformed one logs the request, the field
 * and the value and breaks the connection; a well-formed one the frontend
 * does not do (an unknown request, one not negotiated, a host notifier,
 * an IOTLB miss outside the memory table) is logged, counted and answered
 * with a failure status when NEED_REPLY asks for one; its fds are closed.
 */

#include <stdbool.h>
#include <stddef.h>
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

/* ------------------------------------------------------------------------ */
/* The backend request channel (protocol feature BACKEND_REQ)                */
/* ------------------------------------------------------------------------ */

/** What the caller wants to hear of the backend's requests. */
struct vio_vhost_frontend_backend_req_ops {
	/**
	 * CONFIG_CHANGE_MSG (with protocol feature CONFIG): the device's
	 * configuration space changed; read it again (GET_CONFIG) once the
	 * call that delivered this returned. NULL: counted only.
	 */
	void (*config_change_cb)(struct vio_vhost_frontend *fe, void *ctx);
};

/** Counters of the backend request channel. */
struct vio_vhost_frontend_backend_req_stats {
	uint64_t requests;           /**< well-formed requests handled */
	uint64_t refused;            /**< answered with a failure (or would have been) */
	uint64_t config_changes;     /**< CONFIG_CHANGE_MSG delivered */
	uint64_t iotlb_misses;       /**< IOTLB_MSG misses */
	uint64_t iotlb_updates;      /**< IOTLB_MSG updates sent on the main channel for them */
	uint64_t iotlb_unmapped;     /**< misses outside every memory region: no update */
	uint64_t iotlb_access_fails; /**< IOTLB_MSG access failures reported */
	uint64_t replies_dropped;    /**< replies the backend's full channel did not take */
};

/**
 * SET_BACKEND_REQ_FD: make the channel (a Unix socket pair), give the
 * backend its end, keep this one. IOTLB misses are answered from the memory
 * table this connection sent, identity-mapped: with VIRTIO_F_ACCESS_PLATFORM
 * (bit 33) negotiated, the frontend's IOVAs are its user addresses (the
 * @c uaddr of its regions; the rings' and descriptors' addresses are then
 * uaddrs), and a miss is answered with an IOTLB update of the whole region
 * holding the IOVA, with the permission asked.
 *
 * @param ops What to call back (copied); NULL for none.
 * @param ctx Handed to the callbacks.
 * @return 0, -ENOTSUP (BACKEND_REQ not negotiated), -EBUSY (a channel is open
 *   already), or as any request.
 *
 * Thread safety: as every call of a connection.
 */
int vio_vhost_frontend_set_backend_req_fd(struct vio_vhost_frontend *fe,
					  const struct vio_vhost_frontend_backend_req_ops *ops,
					  void *ctx);

/** This side's end of the backend request channel, to poll for POLLIN; -1 if none. */
int vio_vhost_frontend_backend_req_fd(const struct vio_vhost_frontend *fe);

/** Most backend requests one vio_vhost_frontend_handle_backend_req() handles. */
#define VIO_VHOST_FRONTEND_BACKEND_REQ_BURST 64

/**
 * Handle the backend requests waiting on the channel, at most
 * VIO_VHOST_FRONTEND_BACKEND_REQ_BURST, without blocking (but for the reply
 * to an IOTLB update it sends, when REPLY_ACK is negotiated).
 *
 * @return How many were handled (0: none waiting, or only part of one), or
 *   -ENOTCONN, -ENOTSUP (no channel), -EPROTO (a malformed request: the
 *   connection is broken), -ECONNRESET (the backend closed its end: the
 *   channel is closed, the connection goes on), or what an IOTLB update
 *   returned (the connection is broken then).
 *
 * Thread safety: as every call of a connection.
 */
int vio_vhost_frontend_handle_backend_req(struct vio_vhost_frontend *fe);

/** The channel's counters. */
void vio_vhost_frontend_backend_req_stats(const struct vio_vhost_frontend *fe,
					  struct vio_vhost_frontend_backend_req_stats *stats);

/* ------------------------------------------------------------------------ */
/* Inflight I/O tracking (protocol feature INFLIGHT_SHMFD)                   */
/* ------------------------------------------------------------------------ */

/** An inflight area, as GET_INFLIGHT_FD gives it and SET_INFLIGHT_FD takes it back. */
struct vio_vhost_frontend_inflight {
	int fd;               /**< the area's file; the caller's, to keep and to close */
	uint64_t mmap_size;   /**< bytes */
	uint64_t mmap_offset; /**< where in @c fd the area starts */
	uint16_t num_queues;
	uint16_t queue_size;
};

/**
 * GET_INFLIGHT_FD: the backend's area for @p num_queues vrings of
 * @p queue_size entries. The reply is checked: the counts as asked, exactly
 * one fd, @c mmap_offset page-aligned, the area within the fd's size, and
 * @c mmap_size at most twice the largest layout of the specification (32
 * bytes a queue and 32 an entry, packed) rounded up to 2 MiB. Keep the area
 * as long as the device lives (a VMM: until the guest resets it) and give it
 * to every backend that takes over (vio_vhost_frontend_set_inflight_fd(),
 * before the rings start).
 *
 * @param in Filled on success (in->fd the caller's); in->fd is -1 otherwise.
 * @return 0, -EINVAL (counts of 0, or beyond VIO_VHOST_FRONTEND_MAX_QUEUES
 *   or VIO_VHOST_FRONTEND_MAX_RING), -ENOTSUP (INFLIGHT_SHMFD not negotiated,
 *   or the backend answered an area of 0 bytes with no fd: it does not
 *   track), -EPROTO (a bad reply), or as any request.
 *
 * Thread safety: as every call of a connection.
 */
int vio_vhost_frontend_get_inflight_fd(struct vio_vhost_frontend *fe, uint16_t num_queues,
				       uint16_t queue_size, struct vio_vhost_frontend_inflight *in);

/**
 * SET_INFLIGHT_FD: give @p in (as GET_INFLIGHT_FD gave it, maybe by an
 * earlier backend) to the backend, before its rings start.
 *
 * @return 0, -EINVAL (no fd, a size of 0, an overflowing range, counts out of
 *   range), -ENOTSUP (not negotiated), -EIO (refused), or as any request.
 *
 * Thread safety: as every call of a connection.
 */
int vio_vhost_frontend_set_inflight_fd(struct vio_vhost_frontend *fe,
				       const struct vio_vhost_frontend_inflight *in);

/* ------------------------------------------------------------------------ */
/* Device state (protocol feature DEVICE_STATE)                              */
/* ------------------------------------------------------------------------ */

/** Which way the backend's state goes (SET_DEVICE_STATE_FD's direction). */
enum vio_vhost_frontend_state_direction {
	VIO_VHOST_FRONTEND_STATE_SAVE = 0, /**< from the backend: read it */
	VIO_VHOST_FRONTEND_STATE_LOAD = 1, /**< into the backend: write it */
};

/**
 * SET_DEVICE_STATE_FD, in the one phase the specification has (the device
 * stopped: every vring stopped with GET_VRING_BASE first). Makes a pipe, gives
 * the backend its end (saving: the write end; loading: the read end) and
 * hands back this side's: the other end of the pipe, or the backend's own
 * channel if its reply carries one. Then read @p fd to its end of file
 * (saving) or write the state and close it (loading), and call
 * vio_vhost_frontend_check_device_state(). The reply is checked: bits 0-7
 * the status, bit 8 "no fd", nothing else set; an fd exactly when bit 8 is
 * clear, and never with a failure.
 *
 * @param fd Out: this side's end of the channel, the caller's; -1 on failure.
 * @return 0, -EINVAL (@p dir), -ENOTSUP (DEVICE_STATE not negotiated), -EIO
 *   (the backend refused: a status in bits 0-7), -EPROTO, or as any request.
 *
 * Thread safety: as every call of a connection.
 */
int vio_vhost_frontend_set_device_state_fd(struct vio_vhost_frontend *fe,
					   enum vio_vhost_frontend_state_direction dir, int *fd);

/**
 * CHECK_DEVICE_STATE: whether the backend saved or loaded its state whole.
 *
 * @return 0, -ENOTSUP, -EIO (the backend says it did not), or as any request.
 */
int vio_vhost_frontend_check_device_state(struct vio_vhost_frontend *fe);

/**
 * Save the backend's state into @p buf: SET_DEVICE_STATE_FD (save), the
 * channel read to its end, CHECK_DEVICE_STATE. Each read waits at most the
 * reply timeout for data.
 *
 * @param len Out: the state's bytes.
 * @return 0, -EFBIG (more than @p size bytes), -ETIMEDOUT (the backend stopped
 *   writing), the errno of a read, or as the two calls.
 */
int vio_vhost_frontend_save_device_state(struct vio_vhost_frontend *fe, void *buf, size_t size,
					 size_t *len);

/**
 * Load @p len bytes of state (a vio_vhost_frontend_save_device_state() of
 * another backend) into the backend: SET_DEVICE_STATE_FD (load), the state
 * written and the channel closed, CHECK_DEVICE_STATE. A backend that closes
 * its end before it read all gives -EPIPE (no SIGPIPE is raised).
 *
 * @return 0, -EPIPE, -ETIMEDOUT (the backend stopped reading), the errno of
 *   a write, or as the two calls.
 */
int vio_vhost_frontend_load_device_state(struct vio_vhost_frontend *fe, const void *buf,
					 size_t len);

#ifdef __cplusplus
}
#endif

#endif /* VIO_VHOST_FRONTEND_H */
