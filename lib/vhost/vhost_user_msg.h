/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VHOST_USER_MSG_H
#define VIO_VHOST_USER_MSG_H

/*
 * The vhost-user message codec, shared by both roles: read and write one
 * message with its fds, and check a request against the rules of the
 * specification (payload size, fd count) before anything looks at it.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vhost_user_proto.h"

/* What a request may carry. */
struct vhost_user_rule {
	const char *name;  /* "SET_MEM_TABLE" */
	uint32_t size_min; /* payload bytes */
	uint32_t size_max;
	uint8_t fds_min;
	uint8_t fds_max;
	bool has_reply; /* the backend answers even without NEED_REPLY */
};

/* The rule of request @p req, or NULL for an unknown request. */
const struct vhost_user_rule *vhost_user_rule(uint32_t req);

/* Name of request @p req, "UNKNOWN" if none. */
const char *vhost_user_req_name(uint32_t req);

/* Name of backend request @p req (the backend request channel), "UNKNOWN" if none. */
const char *vhost_user_backend_req_name(uint32_t req);

/* A message being received: what arrived so far, fds included. */
struct vhost_user_rx {
	struct vhost_user_msg msg;
	uint32_t got; /* bytes of header and payload received */
};

/*
 * Receive what is waiting of one message without blocking. Returns 1 when
 * @p rx holds a whole message (its fds owned by the caller), 0 when more is
 * to come (call again when the socket is readable), or a negative errno as
 * vhost_user_msg_recv() (the fds received so far are closed). Reset
 * rx->got and rx->msg.nb_fds to 0 before the next message.
 */
int vhost_user_msg_recv_nb(int sock, struct vhost_user_rx *rx);

/*
 * Receive one message into @p msg (fds into msg->fds, owned by the caller
 * from now on, CLOEXEC). Returns 0, -ECONNRESET when the peer closed,
 * -EAGAIN when nothing is waiting, or another negative errno for a message
 * that cannot be read (the caller closes the connection): -EPROTO for a bad
 * version or truncated fds, -EMSGSIZE for a payload larger than any request's.
 * Never blocks longer than @p timeout_ms waiting for the payload.
 */
int vhost_user_msg_recv(int sock, struct vhost_user_msg *msg, int timeout_ms);

/*
 * Check @p msg against its request's rule and the variable sizes
 * (SET_MEM_TABLE, GET/SET_CONFIG). On error fills @p field and @p value with
 * what was wrong and returns -EINVAL (-ENOTSUP for an unknown request).
 */
int vhost_user_msg_check(const struct vhost_user_msg *msg, const char **field, uint64_t *value);

/* Send a message with @p nb_fds fds. Returns 0 or a negative errno. */
int vhost_user_msg_send(int sock, const struct vhost_user_hdr *hdr, const void *payload,
			const int *fds, uint32_t nb_fds);

/*
 * The same without blocking, for a peer that may not read (the backend
 * request channel): -EAGAIN when the socket is full; -EIO when only part of
 * the message went (the channel is then unusable).
 */
int vhost_user_msg_send_nowait(int sock, const struct vhost_user_hdr *hdr, const void *payload,
			       const int *fds, uint32_t nb_fds);

/*
 * write() that raises no SIGPIPE (the device state channel: a pipe whose
 * reader left must not kill the process): SIGPIPE is blocked in the calling
 * thread for the call and taken back if the write raised it. Returns what
 * write() returns, errno set (EPIPE for a reader gone).
 */
ssize_t vhost_user_write_nosigpipe(int fd, const void *buf, size_t len);

/* Close every fd that came with @p msg and forget them. */
void vhost_user_msg_close_fds(struct vhost_user_msg *msg);

/* Take fd @p i out of @p msg (the caller owns it); -1 if there is none. */
int vhost_user_msg_take_fd(struct vhost_user_msg *msg, uint32_t i);

#endif /* VIO_VHOST_USER_MSG_H */
