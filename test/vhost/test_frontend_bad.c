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

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "vhost_user_msg.h"
#include "vio_test.h"
#include "vio_vhost_frontend.h"

#define OFFER_FEATURES ((1ull << 32) | (1ull << VIO_VHOST_USER_F_PROTOCOL_FEATURES) | 0x3)
#define OFFER_PROTOCOL                                                                         \
	((1ull << VIO_VHOST_USER_PROTOCOL_F_MQ) | (1ull << VIO_VHOST_USER_PROTOCOL_F_CONFIG) | \
	 (1ull << VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS))
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
	uint8_t cfg[8];
	uint32_t u32;
	uint16_t u16;
	uint64_t u64;

	switch (req) {
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

static int
run_case(const struct bad_case *c)
{
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 2000,
						      .reply_timeout_ms = REPLY_TIMEOUT_MS };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vio_vhost_frontend *fe;
	struct backend b = { .c = c };
	int fds_before = vio_test_fd_count(), ret;
	uint64_t features, pf;
	long mark;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	unlink(sock_path);
	b.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	T_ASSERT(b.listen_fd >= 0 && bind(b.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			 listen(b.listen_fd, 1) == 0,
		 "listen on %s", sock_path);
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

/* What the frontend refuses itself, before anything is sent. */
static int
test_frontend_bad_arguments(void)
{
	const struct bad_case none = { "", 0, BAD_CLOSE, 0, false, 0, false, "" };
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 2000 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct backend b = { .c = &none };
	struct vio_vhost_frontend *fe;
	char long_path[200];
	uint64_t f, pf;

	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	T_ASSERT(vio_vhost_frontend_connect(long_path, &fc) == NULL, "a path too long");
	T_EQ(rte_errno, EINVAL);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	unlink(sock_path);
	b.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	T_ASSERT(bind(b.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			 listen(b.listen_fd, 1) == 0,
		 "listen");
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
