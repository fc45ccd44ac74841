/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VHOST_FRONTEND_INTERNAL_H
#define VIO_VHOST_FRONTEND_INTERNAL_H

/*
 * The frontend role's connection, shared by its files: vhost_frontend.c
 * (connection, requests and their replies, negotiation, memory, vrings,
 * config), vhost_frontend_state.c (the inflight area and the device state)
 * and vhost_frontend_req.c (the backend request channel). One thread at a
 * time per connection (vio_vhost_frontend.h): nothing here is locked.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include <rte_log.h>

#include "vhost_user_msg.h"
#include "vio_mem.h"
#include "vio_vhost_frontend.h"

extern int vio_vhost_logtype;

#define FE_LOG(fe, level, fmt, ...)                                                      \
	rte_log(RTE_LOG_##level, vio_vhost_logtype, "vio_vhost: frontend %s: " fmt "\n", \
		(fe)->path, ##__VA_ARGS__)

/* The most memory slots any backend offers (QEMU's and vio's limit). */
#define FE_MAX_MEM_SLOTS VIO_MEM_MAX_REGIONS

struct vio_vhost_frontend {
	int sock;                      /* -1 when attached in-process */
	struct vhost_local_link *link; /* in-process: the server's device */
	int reply_timeout_ms;
	bool broken;
	bool features_known; /* GET_FEATURES answered */
	bool protocol_known; /* GET_PROTOCOL_FEATURES answered */
	bool waiting; /* a request waits for its reply (backend requests are served meanwhile) */
	uint64_t features_offered;
	uint64_t features;
	uint64_t protocol_offered;
	uint64_t protocol;

	/* The memory table the backend has, as sent: IOTLB misses are answered from it. */
	struct vhost_user_mem_region regions[FE_MAX_MEM_SLOTS];
	uint32_t nb_regions;

	/* The backend request channel (SET_BACKEND_REQ_FD): this side's end, or -1. */
	int req_fd;
	struct vhost_user_rx req_rx; /* the backend request being received */
	struct vio_vhost_frontend_backend_req_ops req_ops;
	void *req_ctx;
	struct vio_vhost_frontend_backend_req_stats req_stats;

	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Mark the connection broken; returns @p err. */
int vhost_frontend_break(struct vio_vhost_frontend *fe, int err);

/* A reply that is not what @p req allows: log the field and the value, break, -EPROTO. */
int vhost_frontend_bad_reply(struct vio_vhost_frontend *fe, uint32_t req, const char *field,
			     uint64_t value);

bool vhost_frontend_has_protocol(const struct vio_vhost_frontend *fe, unsigned int bit);

/* What a request's reply may carry besides its payload: up to @c max fds, into @c fds. */
struct vhost_frontend_reply_fds {
	int *fds;
	uint32_t max;
	uint32_t nb; /* out: how many came (the caller's to close) */
};

/*
 * Send @p req (@p size payload bytes, @p nb_fds fds) and wait for what comes
 * back: the reply of a request that has one (exactly @p reply_size bytes into
 * @p reply; fds only as @p rfds allows, NULL for none), or the REPLY_ACK of
 * one that has not, when negotiated (-EIO for a failure status). While it
 * waits, backend requests are served (vhost_frontend_req_serve()). Returns 0
 * or a negative errno (the connection is broken for all but -EIO).
 */
int vhost_frontend_request(struct vio_vhost_frontend *fe, uint32_t req, const void *payload,
			   uint32_t size, const int *fds, uint32_t nb_fds, void *reply,
			   uint32_t reply_size, struct vhost_frontend_reply_fds *rfds);

/*
 * vhost_frontend_req.c: serve at most @p max backend requests waiting on the
 * channel without blocking. Returns how many were handled, or a negative
 * errno: -EPROTO (a malformed request: the connection is broken),
 * -ECONNRESET (the backend closed the channel: it is closed here too), or
 * what an IOTLB update on the main channel returned.
 */
int vhost_frontend_req_serve(struct vio_vhost_frontend *fe, unsigned int max);

/* Close the channel (vio_vhost_frontend_close()). */
void vhost_frontend_req_close(struct vio_vhost_frontend *fe);

#endif /* VIO_VHOST_FRONTEND_INTERNAL_H */
