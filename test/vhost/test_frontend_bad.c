/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio's vhost-user frontend against a scripted, misbehaving backend (a thread
 * of this program speaking the protocol with vio's codec): a reply of the
 * wrong size, for another request, without the REPLY flag, with a bad
 * version, with an fd attached, silence past the timeout, a close
 * mid-handshake, queue counts of 0 and 65536, too many memory slots,
 * GET_VRING_BASE for another vring, GET_CONFIG with another size, a refused
 * REPLY_ACK, and features or protocol features beyond the offer. Each case
 * checks the errno, that the connection is broken where it must be (every
 * later call -ENOTCONN), that the log names the request and the field, and
 * that the fd count after equals the count before.
 */

#define _GNU_SOURCE /* memfd_create */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "vhost_user_msg.h"
#include "vio_test.h"
#include "vio_vhost_frontend.h"

#define F_ACCESS_PLATFORM 33 /* virtio 1.2, 6: the device is behind an IOMMU */
#define OFFER_FEATURES                                \
	((1ull << F_ACCESS_PLATFORM) | (1ull << 32) | \
	 (1ull << VIO_VHOST_USER_F_PROTOCOL_FEATURES) | 0x3)
#define OFFER_PROTOCOL                                                                         \
	((1ull << VIO_VHOST_USER_PROTOCOL_F_MQ) | (1ull << VIO_VHOST_USER_PROTOCOL_F_CONFIG) | \
	 (1ull << VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |                             \
	 (1ull << VIO_VHOST_USER_PROTOCOL_F_BACKEND_REQ) |                                     \
	 (1ull << VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD) |                                  \
	 (1ull << VIO_VHOST_USER_PROTOCOL_F_DEVICE_STATE))
/* The inflight area the frontend asks for: 2 vrings of 256 entries. */
#define INFL_QUEUES      2
#define INFL_SIZE        256
#define REPLY_TIMEOUT_MS 200

/* How the backend misbehaves when the frontend sends the case's request. */
enum misbehave {
	BAD_SIZE,     /* a u64 reply of 4 bytes */
	BAD_REQUEST,  /* the reply names another request */
	BAD_NO_REPLY, /* the REPLY flag missing */
	BAD_VERSION,  /* version 2 */
	BAD_FD,       /* an fd comes with the reply */
	BAD_SILENCE,  /* no reply at all */
	BAD_CLOSE,    /* the socket closed instead of a reply */
	BAD_VALUE,    /* a well-formed reply with the case's value */
	BAD_NACK,     /* REPLY_ACK with status 1 */
	BAD_INFLIGHT, /* GET_INFLIGHT_FD answered as inflight_replies[value] */
};

struct bad_case {
	const char *name;
	uint32_t req; /* the request the backend answers badly */
	enum misbehave how;
	uint64_t value;  /* BAD_VALUE: the u64 (or vring index, or config size) */
	bool reply_ack;  /* negotiate REPLY_ACK first */
	int want_ret;    /* what the call returns */
	bool broken;     /* the connection is broken after */
	const char *log; /* what the log line says */
};

/* The GET_INFLIGHT_FD replies of BAD_INFLIGHT. */
struct inflight_reply {
	uint64_t mmap_size;
	uint32_t nb_fds; /* memfds of fd_bytes each */
	uint64_t fd_bytes;
	uint16_t num_queues; /* 0: as asked */
};

enum {
	INFL_NO_FD,
	INFL_TWO_FDS,
	INFL_BEYOND_FD,
	INFL_64_MIB,
	INFL_OTHER_QUEUES,
	INFL_NO_AREA,
};

static const struct inflight_reply inflight_replies[] = {
	[INFL_NO_FD] = { 8192, 0, 0, 0 },           [INFL_TWO_FDS] = { 8192, 2, 8192, 0 },
	[INFL_BEYOND_FD] = { 1 << 20, 1, 4096, 0 }, [INFL_64_MIB] = { 64 << 20, 1, 64 << 20, 0 },
	[INFL_OTHER_QUEUES] = { 8192, 1, 8192, 7 }, [INFL_NO_AREA] = { 0, 0, 0, 0 },
};

struct backend {
	int listen_fd;
	const struct bad_case *c;
	pthread_t thread;
};

static char *log_buf;
static size_t log_len;
static FILE *log_stream;
static char sock_path[108];

static void
reply(int fd, const struct vhost_user_msg *m, const void *payload, uint32_t size)
{
	struct vhost_user_hdr h = { m->hdr.request, VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY,
				    size };

	vhost_user_msg_send(fd, &h, payload, NULL, 0);
}

/* Answer a request the way a correct backend does. */
static void
answer(int fd, struct vhost_user_msg *m)
{
	uint64_t v = 0;

	switch (m->hdr.request) {
	case VHOST_USER_GET_FEATURES:
		v = OFFER_FEATURES;
		reply(fd, m, &v, sizeof(v));
		return;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		v = OFFER_PROTOCOL | (1ull << VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK);
		reply(fd, m, &v, sizeof(v));
		return;
	case VHOST_USER_GET_QUEUE_NUM:
		v = 2;
		reply(fd, m, &v, sizeof(v));
		return;
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_GET_CONFIG:
		reply(fd, m, &m->payload, m->hdr.size);
		return;
	default:
		if (m->hdr.flags & VHOST_USER_FLAG_NEED_REPLY)
			reply(fd, m, &v, sizeof(v));
	}
}

/* GET_INFLIGHT_FD answered with the case's area: its size, its fds and their sizes. */
static void
misbehave_inflight(int fd, struct vhost_user_msg *m, const struct bad_case *c)
{
	struct vhost_user_hdr h = { m->hdr.request, VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY,
				    sizeof(struct vhost_user_inflight) };
	const struct inflight_reply *r = &inflight_replies[c->value];
	struct vhost_user_inflight in = m->payload.inflight;
	int fds[2];
	uint32_t i;

	in.mmap_size = r->mmap_size;
	in.mmap_offset = 0;
	if (r->num_queues != 0)
		in.num_queues = r->num_queues;
	for (i = 0; i < r->nb_fds; i++) {
		fds[i] = memfd_create("bad-inflight", MFD_CLOEXEC);
		if (ftruncate(fds[i], (off_t)r->fd_bytes) < 0)
			return;
	}
	vhost_user_msg_send(fd, &h, &in, fds, r->nb_fds);
	for (i = 0; i < r->nb_fds; i++)
		close(fds[i]);
}

static void
misbehave(int fd, struct vhost_user_msg *m, const struct bad_case *c)
{
	struct vhost_user_hdr h = { m->hdr.request, VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY,
				    sizeof(uint64_t) };
	uint64_t v = c->value;
	int extra;

	switch (c->how) {
	case BAD_SIZE:
		h.size = 4;
		vhost_user_msg_send(fd, &h, &v, NULL, 0);
		break;
	case BAD_REQUEST:
		h.request = VHOST_USER_GET_PROTOCOL_FEATURES;
		vhost_user_msg_send(fd, &h, &v, NULL, 0);
		break;
	case BAD_NO_REPLY:
		h.flags = VHOST_USER_VERSION;
		vhost_user_msg_send(fd, &h, &v, NULL, 0);
		break;
	case BAD_VERSION:
		h.flags = 2 | VHOST_USER_FLAG_REPLY;
		vhost_user_msg_send(fd, &h, &v, NULL, 0);
		break;
	case BAD_FD:
		extra = dup(fd);
		vhost_user_msg_send(fd, &h, &v, &extra, 1);
		close(extra);
		break;
	case BAD_SILENCE:
		usleep(3 * REPLY_TIMEOUT_MS * 1000);
		break;
	case BAD_CLOSE:
		break;
	case BAD_VALUE:
		if (m->hdr.request == VHOST_USER_GET_VRING_BASE) {
			m->payload.state.index = (uint32_t)c->value;
			reply(fd, m, &m->payload, m->hdr.size);
		} else if (m->hdr.request == VHOST_USER_GET_CONFIG) {
			m->payload.config.size = (uint32_t)c->value;
			reply(fd, m, &m->payload, m->hdr.size);
		} else {
			reply(fd, m, &v, sizeof(v));
		}
		break;
	case BAD_NACK:
		v = 1;
		reply(fd, m, &v, sizeof(v));
		break;
	case BAD_INFLIGHT:
		misbehave_inflight(fd, m, c);
		break;
	}
}

static void *
backend_main(void *arg)
{
	struct backend *b = arg;
	int fd = accept(b->listen_fd, NULL, NULL);

	if (fd < 0)
		return NULL;
	for (;;) {
		struct vhost_user_msg m;
		int ret = vhost_user_msg_recv(fd, &m, 5000);

		if (ret == -EAGAIN) {
			usleep(1000);
			continue;
		}
		if (ret < 0) /* the frontend closed */
			break;
		vhost_user_msg_close_fds(&m);
		if (m.hdr.request == b->c->req) {
			misbehave(fd, &m, b->c);
			break;
		}
		answer(fd, &m);
	}
	close(fd);
	return NULL;
}

/* Run the case's request through the frontend. */
static int
call(struct vio_vhost_frontend *fe, uint32_t req)
{
	struct vio_vhost_frontend_inflight in;
	uint8_t cfg[8];
	uint32_t u32;
	uint16_t u16;
	uint64_t u64;
	int ret, fd;

	switch (req) {
	case VHOST_USER_GET_INFLIGHT_FD:
		ret = vio_vhost_frontend_get_inflight_fd(fe, INFL_QUEUES, INFL_SIZE, &in);
		if (in.fd >= 0)
			close(in.fd);
		return ret;
	case VHOST_USER_SET_DEVICE_STATE_FD:
		ret = vio_vhost_frontend_set_device_state_fd(fe, VIO_VHOST_FRONTEND_STATE_SAVE,
							     &fd);
		if (fd >= 0)
			close(fd);
		return ret;
	case VHOST_USER_GET_FEATURES:
		return vio_vhost_frontend_get_features(fe, &u64);
	case VHOST_USER_GET_QUEUE_NUM:
		return vio_vhost_frontend_get_queue_num(fe, &u16);
	case VHOST_USER_GET_MAX_MEM_SLOTS:
		return vio_vhost_frontend_get_max_mem_slots(fe, &u32);
	case VHOST_USER_GET_VRING_BASE:
		return vio_vhost_frontend_get_vring_base(fe, 1, &u32);
	case VHOST_USER_GET_CONFIG:
		return vio_vhost_frontend_get_config(fe, 0, cfg, sizeof(cfg));
	case VHOST_USER_SET_OWNER:
		return vio_vhost_frontend_set_owner(fe);
	default:
		return -ENOSYS;
	}
}

/* A listening socket at sock_path for a scripted backend, or -1. */
static int
listen_on(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	unlink(sock_path);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int
run_case(const struct bad_case *c)
{
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 2000,
						      .reply_timeout_ms = REPLY_TIMEOUT_MS };
	struct vio_vhost_frontend *fe;
	struct backend b = { .c = c };
	int fds_before = vio_test_fd_count(), ret;
	uint64_t features, pf;
	long mark;

	b.listen_fd = listen_on();
	T_ASSERT(b.listen_fd >= 0, "listen on %s", sock_path);
	T_EQ(pthread_create(&b.thread, NULL, backend_main, &b), 0);
	fe = vio_vhost_frontend_connect(sock_path, &fc);
	T_ASSERT(fe != NULL, "connect");
	if (c->req != VHOST_USER_GET_FEATURES) {
		T_EQ(vio_vhost_frontend_get_features(fe, &features), 0);
		T_EQ(vio_vhost_frontend_get_protocol_features(fe, &pf), 0);
		pf = OFFER_PROTOCOL |
		     (c->reply_ack ? 1ull << VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK : 0);
		T_EQ(vio_vhost_frontend_set_protocol_features(fe, pf), 0);
	}
	fflush(log_stream);
	mark = (long)log_len;
	ret = call(fe, c->req);
	T_EQ(ret, c->want_ret);
	T_EQ(vio_vhost_frontend_is_broken(fe), c->broken);
	if (c->broken)
		T_EQ(vio_vhost_frontend_set_owner(fe), -ENOTCONN);
	fflush(log_stream);
	T_ASSERT(strstr(log_buf + mark, c->log) != NULL, "log lacks '%s': %s", c->log,
		 log_buf + mark);
	vio_vhost_frontend_close(fe);
	pthread_join(b.thread, NULL);
	close(b.listen_fd);
	unlink(sock_path);
	T_EQ(vio_test_fd_count(), fds_before);
	return 0;
}

static const struct bad_case bad_cases[] = {
	{ "reply size", VHOST_USER_GET_FEATURES, BAD_SIZE, 0, false, -EPROTO, true,
	  "reply to GET_FEATURES: size 0x4" },
	{ "reply for another request", VHOST_USER_GET_QUEUE_NUM, BAD_REQUEST, 1, false, -EPROTO,
	  true, "reply to GET_QUEUE_NUM: request 0xf" },
	{ "no REPLY flag", VHOST_USER_GET_FEATURES, BAD_NO_REPLY, 0, false, -EPROTO, true,
	  "reply to GET_FEATURES: flags 0x1" },
	{ "bad version", VHOST_USER_GET_FEATURES, BAD_VERSION, 0, false, -EPROTO, true,
	  "reply to GET_FEATURES: header version not 1" },
	{ "an fd in the reply", VHOST_USER_GET_QUEUE_NUM, BAD_FD, 1, false, -EPROTO, true,
	  "reply to GET_QUEUE_NUM: number of fds 0x1" },
	{ "silence", VHOST_USER_GET_QUEUE_NUM, BAD_SILENCE, 0, false, -ETIMEDOUT, true,
	  "no reply to GET_QUEUE_NUM within 200 ms" },
	{ "close mid-handshake", VHOST_USER_GET_QUEUE_NUM, BAD_CLOSE, 0, false, -ECONNRESET, true,
	  "the backend closed the connection" },
	{ "queue count 0", VHOST_USER_GET_QUEUE_NUM, BAD_VALUE, 0, false, -EPROTO, true,
	  "reply to GET_QUEUE_NUM: count 0x0" },
	{ "queue count 65536", VHOST_USER_GET_QUEUE_NUM, BAD_VALUE, 65536, false, -EPROTO, true,
	  "reply to GET_QUEUE_NUM: count 0x10000" },
	{ "memory slots 100000", VHOST_USER_GET_MAX_MEM_SLOTS, BAD_VALUE, 100000, false, -EPROTO,
	  true, "reply to GET_MAX_MEM_SLOTS: count 0x186a0" },
	{ "vring base of another vring", VHOST_USER_GET_VRING_BASE, BAD_VALUE, 7, false, -EPROTO,
	  true, "reply to GET_VRING_BASE: index 0x7" },
	{ "config of another size", VHOST_USER_GET_CONFIG, BAD_VALUE, 4, false, -EPROTO, true,
	  "reply to GET_CONFIG: config size 0x4" },
	{ "REPLY_ACK refused", VHOST_USER_SET_OWNER, BAD_NACK, 0, true, -EIO, false,
	  "SET_OWNER refused by the backend (status 1)" },
	{ "GET_INFLIGHT_FD with no fd", VHOST_USER_GET_INFLIGHT_FD, BAD_INFLIGHT, INFL_NO_FD, false,
	  -EPROTO, true, "reply to GET_INFLIGHT_FD: number of fds 0x0" },
	{ "GET_INFLIGHT_FD with two fds", VHOST_USER_GET_INFLIGHT_FD, BAD_INFLIGHT, INFL_TWO_FDS,
	  false, -EPROTO, true, "reply to GET_INFLIGHT_FD: number of fds 0x2" },
	{ "GET_INFLIGHT_FD beyond its fd", VHOST_USER_GET_INFLIGHT_FD, BAD_INFLIGHT, INFL_BEYOND_FD,
	  false, -EPROTO, true, "reply to GET_INFLIGHT_FD: mmap_offset + mmap_size 0x100000" },
	{ "GET_INFLIGHT_FD of 64 MiB", VHOST_USER_GET_INFLIGHT_FD, BAD_INFLIGHT, INFL_64_MIB, false,
	  -EPROTO, true, "reply to GET_INFLIGHT_FD: mmap_size 0x4000000" },
	{ "GET_INFLIGHT_FD for other queues", VHOST_USER_GET_INFLIGHT_FD, BAD_INFLIGHT,
	  INFL_OTHER_QUEUES, false, -EPROTO, true, "reply to GET_INFLIGHT_FD: num_queues 0x7" },
	{ "GET_INFLIGHT_FD: no area", VHOST_USER_GET_INFLIGHT_FD, BAD_INFLIGHT, INFL_NO_AREA, false,
	  -ENOTSUP, false, "the backend keeps no inflight area" },
	{ "SET_DEVICE_STATE_FD: no fd, none announced", VHOST_USER_SET_DEVICE_STATE_FD, BAD_VALUE,
	  0, false, -EPROTO, true, "reply to SET_DEVICE_STATE_FD: number of fds 0x0" },
	{ "SET_DEVICE_STATE_FD: a failure with an fd", VHOST_USER_SET_DEVICE_STATE_FD, BAD_FD, 1,
	  false, -EPROTO, true, "reply to SET_DEVICE_STATE_FD: number of fds 0x1" },
	{ "SET_DEVICE_STATE_FD: unknown result bits", VHOST_USER_SET_DEVICE_STATE_FD, BAD_VALUE,
	  0x300, false, -EPROTO, true, "reply to SET_DEVICE_STATE_FD: result 0x300" },
	{ "SET_DEVICE_STATE_FD refused", VHOST_USER_SET_DEVICE_STATE_FD, BAD_VALUE, 0x101, false,
	  -EIO, false, "SET_DEVICE_STATE_FD (save) refused by the backend (status 1)" },
};

static int
test_frontend_bad_backend_replies(void)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(bad_cases); i++) {
		if (run_case(&bad_cases[i]) != 0) {
			fprintf(stderr, "case '%s' failed\n", bad_cases[i].name);
			return -1;
		}
		printf("ok      bad backend: %s\n", bad_cases[i].name);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Backend requests: the scripted backend asks something on its channel      */
/* ------------------------------------------------------------------------ */

#define REGION_UADDR UINT64_C(0x7f1200000000) /* never mapped: the frontend does not look */
#define REGION_SIZE  (UINT64_C(1) << 20)
#define NO_STATUS    (-1)

struct req_case {
	const char *name;
	/* What the backend sends on its channel. */
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint64_t iova;
	uint8_t perm;
	uint8_t type;
	uint32_t nb_fds;     /* memfds attached */
	bool during_request; /* sent while GET_QUEUE_NUM waits, its reply held until answered */
	bool close_channel;  /* the backend closes its end instead */
	bool no_iommu;       /* VIRTIO_F_ACCESS_PLATFORM not negotiated */
	/* What must happen. */
	int want_ret; /* of vio_vhost_frontend_handle_backend_req (get_queue_num if during) */
	bool broken;
	int64_t want_status;      /* the reply on the channel, NO_STATUS for none */
	bool want_update;         /* an IOTLB update of the region came on the main channel */
	unsigned int want_config; /* config_change_cb calls */
	const char *log;
};

struct req_backend {
	int listen_fd;
	const struct req_case *c;
	pthread_t thread;
	int64_t status;       /* what the frontend answered on the channel */
	unsigned int updates; /* IOTLB_MSG requests on the main channel */
	struct vhost_user_iotlb update;
	uint32_t update_flags;
};

static void
send_backend_req(int req_fd, const struct req_case *c)
{
	struct vhost_user_hdr h = { c->request, c->flags, c->size };
	union vhost_user_payload p;
	int fds[2];
	uint32_t i;

	memset(&p, 0, sizeof(p));
	p.iotlb.iova = c->iova;
	p.iotlb.perm = c->perm;
	p.iotlb.type = c->type;
	for (i = 0; i < c->nb_fds; i++)
		fds[i] = memfd_create("bad-req", MFD_CLOEXEC);
	vhost_user_msg_send(req_fd, &h, &p, fds, c->nb_fds);
	for (i = 0; i < c->nb_fds; i++)
		close(fds[i]);
}

/* The frontend's reply to the request on the channel, or NO_STATUS within 2 s. */
static int64_t
wait_status(int req_fd, const struct req_case *c)
{
	struct pollfd p = { .fd = req_fd, .events = POLLIN };
	struct vhost_user_msg m;
	int64_t st = NO_STATUS;

	if (poll(&p, 1, 2000) != 1 || vhost_user_msg_recv(req_fd, &m, 1000) < 0)
		return NO_STATUS;
	if (m.hdr.request == c->request &&
	    m.hdr.flags == (VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY) &&
	    m.hdr.size == sizeof(uint64_t) && m.nb_fds == 0)
		st = (int64_t)m.payload.u64;
	vhost_user_msg_close_fds(&m);
	return st;
}

/* One main-channel message: the script's triggers, the rest answered as a good backend. */
static void
req_backend_on_msg(struct req_backend *b, int fd, int *req_fd, struct vhost_user_msg *m)
{
	const struct req_case *c = b->c;

	if (m->hdr.request == VHOST_USER_SET_BACKEND_REQ_FD) {
		*req_fd = vhost_user_msg_take_fd(m, 0);
		answer(fd, m);
		if (c->close_channel) {
			close(*req_fd);
			*req_fd = -1;
		} else if (!c->during_request) {
			send_backend_req(*req_fd, c);
		}
		return;
	}
	if (m->hdr.request == VHOST_USER_GET_QUEUE_NUM && c->during_request) {
		/* A backend that answers only once its own request is answered. */
		send_backend_req(*req_fd, c);
		b->status = wait_status(*req_fd, c);
	}
	if (m->hdr.request == VHOST_USER_IOTLB_MSG) {
		b->updates++;
		b->update = m->payload.iotlb;
		b->update_flags = m->hdr.flags;
	}
	answer(fd, m);
}

static void *
req_backend_main(void *arg)
{
	struct req_backend *b = arg;
	int fd = accept(b->listen_fd, NULL, NULL), req_fd = -1;

	if (fd < 0)
		return NULL;
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = req_fd, .events = POLLIN } };
		struct vhost_user_msg m;

		if (poll(p, req_fd >= 0 ? 2 : 1, 5000) <= 0)
			break;
		if (req_fd >= 0 && p[1].revents != 0) {
			int64_t st = wait_status(req_fd, b->c);

			if (st != NO_STATUS) {
				b->status = st;
			} else if (p[1].revents & POLLHUP) {
				/*
				 * The frontend closed its channel. What it sent on
				 * the main socket before (an IOTLB update) is still
				 * read below; the main socket's end ends the loop.
				 */
				close(req_fd);
				req_fd = -1;
			}
		}
		if (p[0].revents == 0)
			continue;
		if (vhost_user_msg_recv(fd, &m, 5000) < 0)
			break; /* the frontend closed */
		req_backend_on_msg(b, fd, &req_fd, &m);
		vhost_user_msg_close_fds(&m);
	}
	if (req_fd >= 0)
		close(req_fd);
	close(fd);
	return NULL;
}

static unsigned int config_changes;

static void
on_config_change(struct vio_vhost_frontend *fe, void *ctx)
{
	RTE_SET_USED(fe);
	(*(unsigned int *)ctx)++;
}

/* Connect, negotiate, a memory table of one region, the channel. */
static int
req_setup(struct vio_vhost_frontend *fe, const struct req_case *c, int memfd)
{
	const struct vio_vhost_frontend_backend_req_ops ops = { .config_change_cb =
									on_config_change };
	const struct vio_vhost_frontend_region r = { .gpa = UINT64_C(0x100000000),
						     .size = REGION_SIZE,
						     .uaddr = REGION_UADDR,
						     .fd = memfd };
	uint64_t f, pf;

	T_EQ(vio_vhost_frontend_get_features(fe, &f), 0);
	if (c->no_iommu)
		f &= ~(1ull << F_ACCESS_PLATFORM);
	T_EQ(vio_vhost_frontend_set_features(fe, f), 0);
	T_EQ(vio_vhost_frontend_get_protocol_features(fe, &pf), 0);
	T_EQ(vio_vhost_frontend_set_protocol_features(fe, pf), 0);
	T_EQ(vio_vhost_frontend_set_mem_table(fe, &r, 1), 0);
	T_EQ(vio_vhost_frontend_backend_req_fd(fe), -1);
	T_EQ(vio_vhost_frontend_set_backend_req_fd(fe, &ops, &config_changes), 0);
	T_ASSERT(vio_vhost_frontend_backend_req_fd(fe) >= 0, "no channel");
	T_EQ(vio_vhost_frontend_set_backend_req_fd(fe, &ops, NULL), -EBUSY);
	return 0;
}

/* What the case asks of the frontend: serve the channel, or a request that waits. */
static int
req_act(struct vio_vhost_frontend *fe, const struct req_case *c)
{
	struct pollfd p = { .fd = vio_vhost_frontend_backend_req_fd(fe), .events = POLLIN };
	uint16_t nb;

	if (c->during_request)
		return vio_vhost_frontend_get_queue_num(fe, &nb);
	if (poll(&p, 1, 2000) != 1)
		return -ETIMEDOUT;
	return vio_vhost_frontend_handle_backend_req(fe);
}

static int
run_req_case(const struct req_case *c)
{
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 2000,
						      .reply_timeout_ms = REPLY_TIMEOUT_MS };
	struct vio_vhost_frontend_backend_req_stats st;
	struct req_backend b = { .c = c, .status = NO_STATUS };
	struct vio_vhost_frontend *fe;
	int fds_before = vio_test_fd_count(), memfd, ret;
	long mark;

	config_changes = 0;
	memfd = memfd_create("req-region", MFD_CLOEXEC);
	T_ASSERT(memfd >= 0 && ftruncate(memfd, (off_t)REGION_SIZE) == 0, "memfd");
	b.listen_fd = listen_on();
	T_ASSERT(b.listen_fd >= 0, "listen on %s", sock_path);
	T_EQ(pthread_create(&b.thread, NULL, req_backend_main, &b), 0);
	fe = vio_vhost_frontend_connect(sock_path, &fc);
	T_ASSERT(fe != NULL, "connect");
	T_EQ(req_setup(fe, c, memfd), 0);
	fflush(log_stream);
	mark = (long)log_len;
	ret = req_act(fe, c);
	T_EQ(ret, c->want_ret);
	T_EQ(vio_vhost_frontend_is_broken(fe), c->broken);
	if (c->broken)
		T_EQ(vio_vhost_frontend_handle_backend_req(fe), -ENOTCONN);
	else if (c->close_channel)
		T_EQ(vio_vhost_frontend_backend_req_fd(fe), -1);
	else
		T_EQ(vio_vhost_frontend_handle_backend_req(fe), 0); /* nothing left */
	fflush(log_stream);
	T_ASSERT(strstr(log_buf + mark, c->log) != NULL, "log lacks '%s': %s", c->log,
		 log_buf + mark);
	vio_vhost_frontend_backend_req_stats(fe, &st);
	T_EQ(st.refused, c->want_status == 1);
	T_EQ(st.iotlb_updates, c->want_update);
	T_EQ(config_changes, c->want_config);
	vio_vhost_frontend_close(fe);
	pthread_join(b.thread, NULL);
	close(b.listen_fd);
	close(memfd);
	unlink(sock_path);
	T_EQ(b.status, c->want_status);
	T_EQ(b.updates, c->want_update);
	if (c->want_update) {
		/* The whole region, identity-mapped, the permission asked. */
		T_EQ(b.update.iova, REGION_UADDR);
		T_EQ(b.update.uaddr, REGION_UADDR);
		T_EQ(b.update.size, REGION_SIZE);
		T_EQ(b.update.perm, c->perm);
		T_EQ(b.update.type, VHOST_USER_IOTLB_UPDATE);
		/* Sent while a reply was awaited: no NEED_REPLY, else it is acked. */
		T_EQ(b.update_flags,
		     VHOST_USER_VERSION | (c->during_request ? 0 : VHOST_USER_FLAG_NEED_REPLY));
	}
	T_EQ(vio_test_fd_count(), fds_before);
	return 0;
}

#define NR            (VHOST_USER_VERSION | VHOST_USER_FLAG_NEED_REPLY)
#define IOTLB         VHOST_USER_BACKEND_IOTLB_MSG
#define IOTLB_SIZE    sizeof(struct vhost_user_iotlb)
#define NOTIFIER_SIZE sizeof(struct vhost_user_host_notifier)

static const struct req_case req_cases[] = {
	{ "IOTLB miss in memory", IOTLB, NR, IOTLB_SIZE, REGION_UADDR + 0x1234, 2,
	  VHOST_USER_IOTLB_MISS, 0, false, false, false, 1, false, 0, true, 0, "" },
	{ "IOTLB miss while a request waits", IOTLB, NR, IOTLB_SIZE, REGION_UADDR + 0x10, 3,
	  VHOST_USER_IOTLB_MISS, 0, true, false, false, 0, false, 0, true, 0, "" },
	{ "IOTLB miss outside memory", IOTLB, NR, IOTLB_SIZE, REGION_UADDR + REGION_SIZE, 1,
	  VHOST_USER_IOTLB_MISS, 0, false, false, false, 1, false, 1, false, 0,
	  "IOTLB miss iova 0x7f1200100000 (permission 1): outside every memory region (1): "
	  "no update" },
	{ "IOTLB miss of permission 0", IOTLB, NR, IOTLB_SIZE, REGION_UADDR, 0,
	  VHOST_USER_IOTLB_MISS, 0, false, false, false, 1, false, 1, false, 0,
	  "IOTLB miss iova 0x7f1200000000: permission 0: no update" },
	{ "IOTLB miss without ACCESS_PLATFORM", IOTLB, NR, IOTLB_SIZE, REGION_UADDR, 1,
	  VHOST_USER_IOTLB_MISS, 0, false, false, true, 1, false, 1, false, 0,
	  "IOTLB_MSG without VIRTIO_F_ACCESS_PLATFORM negotiated: refused" },
	{ "IOTLB update from the backend", IOTLB, NR, IOTLB_SIZE, REGION_UADDR, 1,
	  VHOST_USER_IOTLB_UPDATE, 0, false, false, false, 1, false, 1, false, 0,
	  "backend request IOTLB_MSG of type 2 (miss 1 or access failure 4): refused" },
	{ "backend request of a bad size", IOTLB, NR, 8, 0, 0, 0, 0, false, false, false, -EPROTO,
	  true, NO_STATUS, false, 0,
	  "backend request IOTLB_MSG (1): size 0x8 is wrong; connection closed" },
	{ "backend request with the REPLY flag", VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
	  VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY, 0, 0, 0, 0, 0, false, false, false, -EPROTO,
	  true, NO_STATUS, false, 0, "backend request CONFIG_CHANGE_MSG (2): flags 0x5 is wrong" },
	{ "an fd with CONFIG_CHANGE_MSG", VHOST_USER_BACKEND_CONFIG_CHANGE_MSG, NR, 0, 0, 0, 0, 1,
	  false, false, false, -EPROTO, true, NO_STATUS, false, 0,
	  "backend request CONFIG_CHANGE_MSG (2): number of fds 0x1 is wrong" },
	{ "CONFIG_CHANGE_MSG", VHOST_USER_BACKEND_CONFIG_CHANGE_MSG, NR, 0, 0, 0, 0, 0, false,
	  false, false, 1, false, 0, false, 1, "" },
	{ "host notifier with an fd", VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG, NR, NOTIFIER_SIZE,
	  0, 0, 0, 1, false, false, false, 1, false, 1, false, 0,
	  "VRING_HOST_NOTIFIER_MSG for vring 0 (1 fd): refused, host notifiers are not mapped" },
	{ "host notifier with two fds", VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG, NR,
	  NOTIFIER_SIZE, 0, 0, 0, 2, false, false, false, -EPROTO, true, NO_STATUS, false, 0,
	  "backend request VRING_HOST_NOTIFIER_MSG (3): number of fds 0x2 is wrong" },
	{ "an unknown backend request", 99, NR, 16, 0, 0, 0, 1, false, false, false, 1, false, 1,
	  false, 0, "backend request 99 (16 bytes, 1 fds): unknown here, refused" },
	{ "the backend closes its channel", 0, 0, 0, 0, 0, 0, 0, false, true, false, -ECONNRESET,
	  false, NO_STATUS, false, 0, "the backend closed its request channel" },
};

static int
test_frontend_bad_backend_requests(void)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(req_cases); i++) {
		if (run_req_case(&req_cases[i]) != 0) {
			fprintf(stderr, "case '%s' failed\n", req_cases[i].name);
			return -1;
		}
		printf("ok      backend request: %s\n", req_cases[i].name);
	}
	return 0;
}

/* What the frontend refuses itself, before anything is sent. */
static int
test_frontend_bad_arguments(void)
{
	const struct bad_case none = { "", 0, BAD_CLOSE, 0, false, 0, false, "" };
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 2000 };
	struct backend b = { .c = &none };
	struct vio_vhost_frontend *fe;
	char long_path[200];
	uint64_t f, pf;

	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	T_ASSERT(vio_vhost_frontend_connect(long_path, &fc) == NULL, "a path too long");
	T_EQ(rte_errno, EINVAL);
	b.listen_fd = listen_on();
	T_ASSERT(b.listen_fd >= 0, "listen on %s", sock_path);
	T_EQ(pthread_create(&b.thread, NULL, backend_main, &b), 0);
	fe = vio_vhost_frontend_connect(sock_path, &fc);
	T_ASSERT(fe != NULL, "connect");
	T_EQ(vio_vhost_frontend_set_features(fe, 1), -EINVAL); /* before GET_FEATURES */
	T_EQ(vio_vhost_frontend_get_features(fe, &f), 0);
	T_EQ(f, OFFER_FEATURES);
	T_EQ(vio_vhost_frontend_set_features(fe, f | (1ull << 40)), -EINVAL);
	T_EQ(vio_vhost_frontend_get_protocol_features(fe, &pf), 0);
	T_EQ(vio_vhost_frontend_set_protocol_features(fe, pf | (1ull << 20)), -EINVAL);
	T_EQ(vio_vhost_frontend_set_protocol_features(fe, 0), 0);
	/* Not negotiated: refused without a message. */
	T_EQ(vio_vhost_frontend_get_queue_num(fe, &(uint16_t){ 0 }), -ENOTSUP);
	T_EQ(vio_vhost_frontend_set_vring_num(fe, 0, 0), -EINVAL);
	T_EQ(vio_vhost_frontend_set_vring_kick(fe, 300, -1), -EINVAL);
	T_EQ(vio_vhost_frontend_set_mem_table(fe, NULL, 0), -EINVAL);
	T_ASSERT(!vio_vhost_frontend_is_broken(fe), "not broken by refusals");
	vio_vhost_frontend_close(fe);
	pthread_join(b.thread, NULL);
	close(b.listen_fd);
	unlink(sock_path);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_frontend_bad_backend_replies),
	VIO_TEST(test_frontend_bad_backend_requests),
	VIO_TEST(test_frontend_bad_arguments),
};

int
main(int argc, char **argv)
{
	int ret;

	snprintf(sock_path, sizeof(sock_path), "/tmp/vio-fe-bad-%d.sock", (int)getpid());
	log_stream = open_memstream(&log_buf, &log_len);
	if (log_stream == NULL || rte_openlog_stream(log_stream) < 0)
		return 1;
	ret = vio_test_run(argc, argv, cases, RTE_DIM(cases));
	if (ret != 0) {
		fflush(log_stream);
		fprintf(stderr, "--- log:\n%s", log_buf);
	}
	return ret;
}
