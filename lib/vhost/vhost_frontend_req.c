/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The frontend's end of the backend request channel (vio_vhost_frontend.h,
 * "The backend request channel"): requests the backend sends, read without
 * blocking, checked field by field, answered. Served from
 * vio_vhost_frontend_handle_backend_req() and from every wait for a reply on
 * the main channel (fe->waiting), on the caller's thread.
 *
 * The backend is untrusted. A request that cannot be read or that breaks the
 * rules of its kind (flags, exact size, fd count) breaks the connection, as a
 * bad reply does; one that is well formed but not done here is refused (a
 * failure status if NEED_REPLY asks), logged and counted. Replies go with a
 * non-blocking send: a backend that does not read its end stalls nothing.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_frontend_internal.h"
#include "vio_virtio.h"

/* What a handler decided: the status of the reply, or a broken connection. */
#define STATUS_OK     0
#define STATUS_REFUSE 1

/* A malformed backend request: name it, break the connection. */
static int
bad_request(struct vio_vhost_frontend *fe, const struct vhost_user_msg *msg, const char *field,
	    uint64_t value)
{
	FE_LOG(fe, ERR, "backend request %s (%u): %s 0x%" PRIx64 " is wrong; connection closed",
	       vhost_user_backend_req_name(msg->hdr.request), msg->hdr.request, field, value);
	return vhost_frontend_break(fe, -EPROTO);
}

/* Exactly @p size payload bytes and at most @p max_fds fds, else malformed. */
static int
check_shape(struct vio_vhost_frontend *fe, const struct vhost_user_msg *msg, uint32_t size,
	    uint32_t max_fds)
{
	if (msg->hdr.size != size)
		return bad_request(fe, msg, "size", msg->hdr.size);
	if (msg->nb_fds > max_fds)
		return bad_request(fe, msg, "number of fds", msg->nb_fds);
	return 0;
}

static void
send_status(struct vio_vhost_frontend *fe, const struct vhost_user_msg *msg, uint64_t status)
{
	struct vhost_user_hdr hdr = {
		.request = msg->hdr.request,
		.flags = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY,
		.size = sizeof(status),
	};
	int ret = vhost_user_msg_send_nowait(fe->req_fd, &hdr, &status, NULL, 0);

	if (ret < 0) {
		fe->req_stats.replies_dropped++;
		FE_LOG(fe, WARNING, "reply to backend request %s: %s: dropped",
		       vhost_user_backend_req_name(msg->hdr.request), strerror(-ret));
	}
}

/* The region of the table the backend has that holds user address @p uaddr, or NULL. */
static const struct vhost_user_mem_region *
region_of(const struct vio_vhost_frontend *fe, uint64_t uaddr)
{
	uint32_t i;

	for (i = 0; i < fe->nb_regions; i++) {
		const struct vhost_user_mem_region *r = &fe->regions[i];

		if (uaddr >= r->uaddr && uaddr - r->uaddr < r->size)
			return r;
	}
	return NULL;
}

/*
 * vhost-user spec, "IOMMU support": a miss gets an update of an entry that
 * holds the IOVA with the permission asked, or nothing when the miss is
 * invalid (an IOVA or permission not to be had). IOVAs are user addresses
 * here: the update is the whole region, identity-mapped.
 */
static int
on_iotlb_miss(struct vio_vhost_frontend *fe, const struct vhost_user_iotlb *m)
{
	struct vhost_user_iotlb u;
	const struct vhost_user_mem_region *r;
	int ret;

	fe->req_stats.iotlb_misses++;
	if (m->perm == 0 || m->perm > VHOST_USER_ACCESS_RW) {
		FE_LOG(fe, WARNING, "IOTLB miss iova 0x%" PRIx64 ": permission %u: no update",
		       m->iova, m->perm);
		return STATUS_REFUSE;
	}
	r = region_of(fe, m->iova);
	if (r == NULL) {
		fe->req_stats.iotlb_unmapped++;
		FE_LOG(fe, WARNING,
		       "IOTLB miss iova 0x%" PRIx64 " (permission %u): outside every memory "
		       "region (%u): no update",
		       m->iova, m->perm, fe->nb_regions);
		return STATUS_REFUSE;
	}
	memset(&u, 0, sizeof(u));
	u.iova = r->uaddr;
	u.size = r->size;
	u.uaddr = r->uaddr;
	u.perm = m->perm;
	u.type = VHOST_USER_IOTLB_UPDATE;
	if (fe->waiting) {
		/*
		 * A request waits for its reply, which may wait for this answer:
		 * no NEED_REPLY, so that the awaited reply stays the only one.
		 */
		struct vhost_user_hdr hdr = { VHOST_USER_IOTLB_MSG, VHOST_USER_VERSION, sizeof(u) };

		ret = vhost_user_msg_send(fe->sock, &hdr, &u, NULL, 0);
		if (ret < 0) {
			FE_LOG(fe, ERR, "send IOTLB_MSG: %s; connection closed", strerror(-ret));
			return vhost_frontend_break(fe, ret);
		}
	} else {
		ret = vhost_frontend_request(fe, VHOST_USER_IOTLB_MSG, &u, sizeof(u), NULL, 0, NULL,
					     0, NULL);
		if (ret == -EIO)
			return STATUS_REFUSE; /* the backend refused the update (logged) */
		if (ret < 0)
			return ret;
	}
	fe->req_stats.iotlb_updates++;
	return STATUS_OK;
}

static int
on_iotlb_msg(struct vio_vhost_frontend *fe, const struct vhost_user_msg *msg)
{
	const struct vhost_user_iotlb *m = &msg->payload.iotlb;
	int ret = check_shape(fe, msg, sizeof(*m), 0);

	if (ret < 0)
		return ret;
	if (!(fe->features & VIO_BIT(VIO_F_ACCESS_PLATFORM))) {
		FE_LOG(fe, WARNING,
		       "backend request IOTLB_MSG without VIRTIO_F_ACCESS_PLATFORM "
		       "negotiated: refused");
		return STATUS_REFUSE;
	}
	switch (m->type) {
	case VHOST_USER_IOTLB_MISS:
		return on_iotlb_miss(fe, m);
	case VHOST_USER_IOTLB_ACCESS_FAIL:
		fe->req_stats.iotlb_access_fails++;
		FE_LOG(fe, WARNING,
		       "the backend failed to access iova 0x%" PRIx64 " (permission %u)", m->iova,
		       m->perm);
		return STATUS_OK;
	default:
		FE_LOG(fe, WARNING,
		       "backend request IOTLB_MSG of type %u (miss 1 or access failure 4): refused",
		       m->type);
		return STATUS_REFUSE;
	}
}

static int
on_config_change(struct vio_vhost_frontend *fe, const struct vhost_user_msg *msg)
{
	int ret = check_shape(fe, msg, 0, 0);

	if (ret < 0)
		return ret;
	if (!vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_CONFIG)) {
		FE_LOG(fe, WARNING,
		       "backend request CONFIG_CHANGE_MSG without protocol feature "
		       "CONFIG negotiated: refused");
		return STATUS_REFUSE;
	}
	fe->req_stats.config_changes++;
	if (fe->req_ops.config_change_cb != NULL)
		fe->req_ops.config_change_cb(fe, fe->req_ctx);
	return STATUS_OK;
}

/* Host notifiers would map the backend's memory into a guest: vio has no guest to give it. */
static int
on_host_notifier(struct vio_vhost_frontend *fe, const struct vhost_user_msg *msg)
{
	int ret = check_shape(fe, msg, sizeof(struct vhost_user_host_notifier), 1);

	if (ret < 0)
		return ret;
	FE_LOG(fe, WARNING,
	       "backend request VRING_HOST_NOTIFIER_MSG for vring %" PRIu64
	       " (%u fd): refused, host notifiers are not mapped",
	       msg->payload.notifier.index_flags & 0xff, msg->nb_fds);
	return STATUS_REFUSE;
}

/* One whole request: check, handle, answer. Its fds are closed by the caller. */
static int
dispatch(struct vio_vhost_frontend *fe, const struct vhost_user_msg *msg)
{
	uint32_t flags = msg->hdr.flags;
	bool need_reply = (flags & VHOST_USER_FLAG_NEED_REPLY) &&
			  vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK);
	int ret;

	/* A request has the version and maybe NEED_REPLY; a REPLY flag answers nothing asked. */
	if (flags & ~(uint32_t)(VHOST_USER_VERSION_MASK | VHOST_USER_FLAG_NEED_REPLY))
		return bad_request(fe, msg, "flags", flags);
	switch (msg->hdr.request) {
	case VHOST_USER_BACKEND_IOTLB_MSG:
		ret = on_iotlb_msg(fe, msg);
		break;
	case VHOST_USER_BACKEND_CONFIG_CHANGE_MSG:
		ret = on_config_change(fe, msg);
		break;
	case VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG:
		ret = on_host_notifier(fe, msg);
		break;
	default:
		FE_LOG(fe, WARNING, "backend request %u (%u bytes, %u fds): unknown here, refused",
		       msg->hdr.request, msg->hdr.size, msg->nb_fds);
		ret = STATUS_REFUSE;
		break;
	}
	if (ret < 0)
		return ret;
	fe->req_stats.requests++;
	if (ret == STATUS_REFUSE)
		fe->req_stats.refused++;
	if (need_reply)
		send_status(fe, msg, (uint64_t)ret);
	return 0;
}

void
vhost_frontend_req_close(struct vio_vhost_frontend *fe)
{
	if (fe->req_fd < 0)
		return;
	vhost_user_msg_close_fds(&fe->req_rx.msg);
	close(fe->req_fd);
	fe->req_fd = -1;
}

int
vhost_frontend_req_serve(struct vio_vhost_frontend *fe, unsigned int max)
{
	unsigned int n;

	for (n = 0; n < max; n++) {
		struct vhost_user_msg msg;
		int ret;

		if (fe->broken)
			return -ENOTCONN;
		if (fe->req_fd < 0)
			return -ENOTSUP;
		ret = vhost_user_msg_recv_nb(fe->req_fd, &fe->req_rx);
		if (ret == 0)
			break; /* nothing more, or only part of a request: its rest comes later */
		if (ret == -ECONNRESET) {
			FE_LOG(fe, WARNING, "the backend closed its request channel");
			fe->req_rx.msg.nb_fds = 0; /* closed by the codec */
			vhost_frontend_req_close(fe);
			return -ECONNRESET;
		}
		if (ret < 0) {
			FE_LOG(fe, ERR, "backend request: %s; connection closed",
			       ret == -EPROTO     ? "header version not 1, or its fds cut short"
			       : ret == -EMSGSIZE ? "payload size larger than any request's"
						  : strerror(-ret));
			fe->req_rx.got = 0;
			fe->req_rx.msg.nb_fds = 0;
			return vhost_frontend_break(fe, ret == -EMSGSIZE ? -EPROTO : ret);
		}
		msg = fe->req_rx.msg;
		fe->req_rx.got = 0;
		fe->req_rx.msg.nb_fds = 0;
		ret = dispatch(fe, &msg);
		vhost_user_msg_close_fds(&msg);
		if (ret < 0)
			return ret;
	}
	return (int)n;
}

int
vio_vhost_frontend_set_backend_req_fd(struct vio_vhost_frontend *fe,
				      const struct vio_vhost_frontend_backend_req_ops *ops,
				      void *ctx)
{
	int sv[2], ret;

	if (fe->broken)
		return -ENOTCONN;
	if (!vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_BACKEND_REQ))
		return -ENOTSUP;
	if (fe->req_fd >= 0)
		return -EBUSY;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	ret = vhost_frontend_request(fe, VHOST_USER_SET_BACKEND_REQ_FD, NULL, 0, &sv[1], 1, NULL, 0,
				     NULL);
	close(sv[1]); /* the backend has its copy */
	if (ret < 0) {
		close(sv[0]);
		return ret;
	}
	fe->req_fd = sv[0];
	memset(&fe->req_rx, 0, sizeof(fe->req_rx));
	memset(&fe->req_ops, 0, sizeof(fe->req_ops));
	if (ops != NULL)
		fe->req_ops = *ops;
	fe->req_ctx = ctx;
	return 0;
}

int
vio_vhost_frontend_backend_req_fd(const struct vio_vhost_frontend *fe)
{
	return fe->req_fd;
}

int
vio_vhost_frontend_handle_backend_req(struct vio_vhost_frontend *fe)
{
	return vhost_frontend_req_serve(fe, VIO_VHOST_FRONTEND_BACKEND_REQ_BURST);
}

void
vio_vhost_frontend_backend_req_stats(const struct vio_vhost_frontend *fe,
				     struct vio_vhost_frontend_backend_req_stats *stats)
{
	*stats = fe->req_stats;
}
