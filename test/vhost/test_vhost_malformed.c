/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * A hostile vhost-user frontend: for every request, a message with a wrong
 * payload size, a wrong number of fds, an out-of-range vring index, or
 * overflowing offsets and sizes. vio must close that connection only, log a
 * line that names the message and the field, and leak no fd (the count is
 * the same before and after 1000 bad connections).
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>

#include "vhost_user_msg.h"
#include "vio_test.h"
#include "vio_test_frontend.h"
#include "vio_vhost.h"
#include "vio_virtio.h"

static char sock_path[64];
static char sock_path2[64]; /* a second socket: what one frontend does must not stall it */
static char *log_buf;
static size_t log_len;
static FILE *log_stream;

static int
connect_vio(void)
{
	return tf_connect(sock_path);
}

/* A malformed message and the words its log line must carry. */
struct bad_msg {
	const char *what;
	uint32_t req;
	uint32_t flags;
	uint32_t size;
	uint32_t nb_fds;
	union vhost_user_payload payload;
	const char *log_field; /* NULL: no log line is required (e.g. unreadable message) */
};

#define V VHOST_USER_VERSION

static struct bad_msg bad_msgs[128];
static unsigned int nb_bad;

static struct bad_msg *
add(const char *what, uint32_t req, uint32_t size, uint32_t nb_fds, const char *log_field)
{
	struct bad_msg *b = &bad_msgs[nb_bad++];

	memset(b, 0, sizeof(*b));
	b->what = what;
	b->req = req;
	b->flags = V;
	b->size = size;
	b->nb_fds = nb_fds;
	b->log_field = log_field;
	return b;
}

/* Every request with a fixed payload: one byte too many, and one fd too many. */
static void
build_bad_msgs(void)
{
	uint32_t req;
	struct bad_msg *b;

	for (req = 1; req < VHOST_USER_REQUEST_MAX; req++) {
		const struct vhost_user_rule *r = vhost_user_rule(req);

		if (r == NULL)
			continue;
		add("payload one byte too long", req, r->size_max + 1, r->fds_min, "size");
		if (r->fds_max < VHOST_USER_MAX_FDS)
			add("one fd too many", req, r->size_min, r->fds_max + 1u, "fds");
		if (r->fds_min > 0)
			add("fd missing", req, r->size_max, 0, "fds");
	}
	b = add("vring index out of range", VHOST_USER_SET_VRING_NUM, 8, 0, "vring index");
	b->payload.state.index = 200;
	b->payload.state.num = 256;
	b = add("vring num not a power of two", VHOST_USER_SET_VRING_NUM, 8, 0, "num");
	b->payload.state.num = 100;
	b = add("kick index out of range", VHOST_USER_SET_VRING_KICK, 8, 1, "vring index");
	b->payload.u64 = 77;
	b = add("memory region overflows", VHOST_USER_SET_MEM_TABLE, 8 + 32, 1, "memory table");
	b->payload.mem.nregions = 1;
	b->payload.mem.regions[0].gpa = UINT64_MAX - 4095;
	b->payload.mem.regions[0].size = 1 << 20;
	b = add("memory region beyond its fd", VHOST_USER_SET_MEM_TABLE, 8 + 32, 1, "memory table");
	b->payload.mem.nregions = 1;
	b->payload.mem.regions[0].size = 1 << 20;
	b->payload.mem.regions[0].mmap_offset = UINT64_MAX - 100;
	b = add("nregions 9", VHOST_USER_SET_MEM_TABLE, 8 + 32, 1, "nregions");
	b->payload.mem.nregions = 9;
	b = add("config size beyond the payload", VHOST_USER_GET_CONFIG, 12 + 4, 0, "config size");
	b->payload.config.size = 200;
	b = add("features not offered", VHOST_USER_SET_FEATURES, 8, 0, "features");
	b->payload.u64 = UINT64_MAX;
	/* tf_send attaches memfds: a call fd that is no eventfd. */
	b = add("call fd not an eventfd", VHOST_USER_SET_VRING_CALL, 8, 1, "not an eventfd");
	b = add("error fd not an eventfd", VHOST_USER_SET_VRING_ERR, 8, 1, "not an eventfd");
	b = add("SET_CONFIG offset + size wraps 32 bits", VHOST_USER_SET_CONFIG, 12 + 7, 0,
		"config range");
	b->payload.config.offset = UINT32_MAX;
	b->payload.config.size = 7;
	b = add("removing a region never added", VHOST_USER_REM_MEM_REG, 40, 0, "region");
	b->payload.mem_reg.region.gpa = 0x100000;
	b->payload.mem_reg.region.size = 4096;
	/* tf_send's fds are 1 MiB memfds; no memory table was sent yet. */
	b = add("log larger than its fd, before any memory table", VHOST_USER_SET_LOG_BASE, 16, 1,
		"log");
	b->payload.log.mmap_size = 2 << 20;
	b = add("log offset + size wraps", VHOST_USER_SET_LOG_BASE, 16, 1, "log");
	b->payload.log.mmap_size = 4096;
	b->payload.log.mmap_offset = UINT64_MAX - 100;
	b = add("IOTLB miss sent by the frontend", VHOST_USER_IOTLB_MSG,
		sizeof(struct vhost_user_iotlb), 0, "type");
	b->payload.iotlb.type = VHOST_USER_IOTLB_MISS;
	b = add("IOTLB update without permission", VHOST_USER_IOTLB_MSG,
		sizeof(struct vhost_user_iotlb), 0, "perm");
	b->payload.iotlb.type = VHOST_USER_IOTLB_UPDATE;
	b->payload.iotlb.size = 4096;
	b = add("IOTLB update that wraps", VHOST_USER_IOTLB_MSG, sizeof(struct vhost_user_iotlb), 0,
		"update range");
	b->payload.iotlb.type = VHOST_USER_IOTLB_UPDATE;
	b->payload.iotlb.iova = UINT64_MAX - 4095;
	b->payload.iotlb.size = 8192;
	b->payload.iotlb.perm = VHOST_USER_ACCESS_RW;
	b = add("IOTLB update of size 0", VHOST_USER_IOTLB_MSG, sizeof(struct vhost_user_iotlb), 0,
		"update range");
	b->payload.iotlb.type = VHOST_USER_IOTLB_UPDATE;
	b->payload.iotlb.perm = VHOST_USER_ACCESS_RO;
	b = add("payload larger than any request", VHOST_USER_SET_FEATURES, 4096, 0, NULL);
	b = add("bad version", VHOST_USER_GET_FEATURES, 0, 0, NULL);
	b->flags = 2;
	add("more than 8 fds", VHOST_USER_SET_MEM_TABLE, 8, 10, NULL);
}

/* Ack VERSION_1, PROTOCOL_FEATURES, ACCESS_PLATFORM, and every protocol feature vio offers. */
static int
negotiate(int sock)
{
	uint64_t f = VIO_BIT(VIO_F_PROTOCOL_FEATURES) | VIO_BIT(VIO_F_VERSION_1) |
		     VIO_BIT(VIO_F_ACCESS_PLATFORM);

	/* Not REPLY_ACK: a malformed message must close without a status in between. */
	T_EQ(tf_negotiate(sock, f, UINT64_C(1) << VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK), 0);
	return 0;
}

/* Send @p b on a fresh connection; vio must close it and log the field. */
static int
run_bad(const struct bad_msg *b)
{
	char payload[4096] = { 0 };
	int sock = connect_vio();
	size_t mark = log_len;

	T_ASSERT(sock >= 0, "connect");
	memcpy(payload, &b->payload, RTE_MIN(sizeof(b->payload), sizeof(payload)));
	/* Negotiate first, so the request is not merely refused as un-negotiated. */
	if (b->req != VHOST_USER_GET_FEATURES && b->req != VHOST_USER_SET_FEATURES)
		T_EQ(negotiate(sock), 0);
	tf_send(sock, b->req, b->flags, payload, b->size, b->nb_fds);
	if (!tf_closed_by_peer(sock, 2000)) {
		close(sock);
		fprintf(stderr, "%s %s: connection not closed\n", vhost_user_req_name(b->req),
			b->what);
		return -1;
	}
	close(sock);
	fflush(log_stream);
	if (b->log_field != NULL) {
		const char *line = log_buf + mark;

		if (strstr(line, vhost_user_req_name(b->req)) == NULL ||
		    strstr(line, b->log_field) == NULL) {
			fprintf(stderr, "%s %s: log does not name the message and '%s':\n%s\n",
				vhost_user_req_name(b->req), b->what, b->log_field, line);
			return -1;
		}
	}
	return 0;
}

/* Wait until vio has dropped the previous connection (its slot frees on close). */
static void
settle(void)
{
	usleep(2000);
}

static int
test_vhost_malformed_each_request_closes_connection(void)
{
	unsigned int i;
	int failed = 0;

	for (i = 0; i < nb_bad; i++) {
		if (run_bad(&bad_msgs[i]) != 0)
			failed++;
		settle();
	}
	printf("  %u malformed messages, %d not handled as expected\n", nb_bad, failed);
	return failed == 0 ? 0 : -1;
}

static int
test_vhost_malformed_no_fd_leak_after_1000_connections(void)
{
	int before, after, i, tries;

	settle();
	before = vio_test_fd_count();
	for (i = 0; i < 1000; i++) {
		if (run_bad(&bad_msgs[i % nb_bad]) != 0)
			return -1;
	}
	/* The last close may still be in flight on the control thread. */
	for (tries = 0; tries < 100 && (after = vio_test_fd_count()) != before; tries++)
		usleep(10000);
	T_EQ(after, before);
	return 0;
}

static int
test_vhost_malformed_unknown_request_refused_with_reply(void)
{
	uint64_t pf = 1u << VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK;
	uint64_t f = VIO_BIT(VIO_F_PROTOCOL_FEATURES);
	struct vhost_user_msg msg;
	int sock = connect_vio();
	int ret;

	T_ASSERT(sock >= 0, "connect");
	T_EQ(tf_send(sock, VHOST_USER_SET_FEATURES, V, &f, 8, 0), 0);
	T_EQ(tf_send(sock, VHOST_USER_SET_PROTOCOL_FEATURES, V, &pf, 8, 0), 0);
	/* Request 999 with NEED_REPLY: a failure status comes back, the connection stays. */
	T_EQ(tf_send(sock, 999, V | VHOST_USER_FLAG_NEED_REPLY, NULL, 0, 0), 0);
	{
		struct pollfd p = { .fd = sock, .events = POLLIN };

		T_EQ(poll(&p, 1, 2000), 1);
	}
	ret = vhost_user_msg_recv(sock, &msg, 1000);
	T_EQ(ret, 0);
	T_EQ(msg.hdr.request, 999);
	T_ASSERT(msg.hdr.flags & VHOST_USER_FLAG_REPLY, "reply flag");
	T_EQ(msg.payload.u64, 1);
	/* Still served: GET_FEATURES answers. */
	T_EQ(tf_send(sock, VHOST_USER_GET_FEATURES, V, NULL, 0, 0), 0);
	ret = vhost_user_msg_recv(sock, &msg, 1000);
	if (ret == -EAGAIN) {
		struct pollfd p = { .fd = sock, .events = POLLIN };

		poll(&p, 1, 2000);
		ret = vhost_user_msg_recv(sock, &msg, 1000);
	}
	T_EQ(ret, 0);
	T_EQ(msg.hdr.request, VHOST_USER_GET_FEATURES);
	close(sock);
	settle();
	return 0;
}

static int
test_vhost_malformed_second_connection_refused(void)
{
	int a = connect_vio(), b;

	T_ASSERT(a >= 0, "connect");
	usleep(20000);
	b = connect_vio();
	T_ASSERT(b >= 0, "connect");
	T_ASSERT(tf_closed_by_peer(b, 2000), "second connection closed");
	close(b);
	close(a);
	settle();
	return 0;
}

/* The order QEMU uses: protocol features (with REPLY_ACK) before SET_FEATURES. */
static int
test_vhost_protocol_features_count_before_set_features(void)
{
	uint64_t pf = (UINT64_C(1) << VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK) |
		      (UINT64_C(1) << VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |
		      (UINT64_C(1) << VIO_VHOST_USER_PROTOCOL_F_STATUS);
	struct vhost_user_msg msg;
	uint64_t st = 0;
	int sock = connect_vio();

	T_ASSERT(sock >= 0, "connect");
	T_EQ(tf_send(sock, VHOST_USER_GET_FEATURES, V, NULL, 0, 0), 0);
	T_EQ(tf_recv_reply(sock, &msg), 0);
	T_EQ(tf_send(sock, VHOST_USER_SET_PROTOCOL_FEATURES, V, &pf, 8, 0), 0);
	T_EQ(tf_send(sock, VHOST_USER_GET_MAX_MEM_SLOTS, V, NULL, 0, 0), 0);
	T_EQ(tf_recv_reply(sock, &msg), 0);
	T_EQ(msg.hdr.request, VHOST_USER_GET_MAX_MEM_SLOTS);
	T_EQ(msg.payload.u64, 509);
	/* A device reset (SET_STATUS 0) keeps the protocol features: the ack still comes. */
	T_EQ(tf_send(sock, VHOST_USER_SET_STATUS, V | VHOST_USER_FLAG_NEED_REPLY, &st, 8, 0), 0);
	T_EQ(tf_recv_reply(sock, &msg), 0);
	T_EQ(msg.hdr.request, VHOST_USER_SET_STATUS);
	T_EQ(msg.payload.u64, 0);
	close(sock);
	settle();
	return 0;
}

/* GET_VRING_BASE of a ring that never started reports what SET_VRING_BASE set. */
static int
test_vhost_get_vring_base_of_stopped_ring(void)
{
	struct vhost_user_vring_state st = { .index = 1, .num = 100 };
	struct vhost_user_msg msg;
	int sock = connect_vio();

	T_ASSERT(sock >= 0, "connect");
	T_EQ(negotiate(sock), 0);
	T_EQ(tf_send(sock, VHOST_USER_SET_VRING_BASE, V, &st, sizeof(st), 0), 0);
	st.num = 0;
	T_EQ(tf_send(sock, VHOST_USER_GET_VRING_BASE, V, &st, sizeof(st), 0), 0);
	T_EQ(tf_recv_reply(sock, &msg), 0);
	T_EQ(msg.payload.state.index, 1);
	T_EQ(msg.payload.state.num, 100);
	close(sock);
	settle();
	return 0;
}

/*
 * A frontend that sends half a message and stops holds its own connection
 * only: another socket is served at once, and the message completes later.
 */
static int
test_vhost_half_message_does_not_stall_other_sockets(void)
{
	struct vhost_user_hdr hdr = { .request = VHOST_USER_GET_FEATURES, .flags = V };
	struct vhost_user_msg msg;
	struct timespec t0, t1;
	int a = connect_vio(), b = tf_connect(sock_path2);
	double ms;

	T_ASSERT(a >= 0 && b >= 0, "connect");
	T_EQ(send(a, &hdr, 5, 0), 5);
	usleep(20000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	T_EQ(tf_send(b, VHOST_USER_GET_FEATURES, V, NULL, 0, 0), 0);
	T_EQ(tf_recv_reply(b, &msg), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	T_ASSERT(ms < 200, "the other socket waited %.0f ms", ms);
	/* The rest of the first message, a second later: it is answered. */
	sleep(1);
	T_EQ(send(a, (const char *)&hdr + 5, sizeof(hdr) - 5, 0), (ssize_t)(sizeof(hdr) - 5));
	T_EQ(tf_recv_reply(a, &msg), 0);
	T_EQ(msg.hdr.request, VHOST_USER_GET_FEATURES);
	close(a);
	close(b);
	settle();
	return 0;
}

static int
test_vhost_malformed_unregister_removes_socket(void)
{
	T_EQ(vio_vhost_unregister(sock_path), 0);
	T_ASSERT(access(sock_path, F_OK) != 0, "socket file still there");
	T_EQ(vio_vhost_unregister(sock_path), -ENOENT);
	T_EQ(vio_vhost_unregister(sock_path2), 0);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_vhost_malformed_each_request_closes_connection),
	VIO_TEST(test_vhost_malformed_no_fd_leak_after_1000_connections),
	VIO_TEST(test_vhost_malformed_unknown_request_refused_with_reply),
	VIO_TEST(test_vhost_malformed_second_connection_refused),
	VIO_TEST(test_vhost_protocol_features_count_before_set_features),
	VIO_TEST(test_vhost_get_vring_base_of_stopped_ring),
	VIO_TEST(test_vhost_half_message_does_not_stall_other_sockets),
	VIO_TEST(test_vhost_malformed_unregister_removes_socket),
};

int
main(int argc, char **argv)
{
	int ret;

	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	log_stream = open_memstream(&log_buf, &log_len);
	if (log_stream == NULL || rte_openlog_stream(log_stream) < 0)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "/tmp/vio-test-bad-%d.sock", getpid());
	snprintf(sock_path2, sizeof(sock_path2), "/tmp/vio-test-bad2-%d.sock", getpid());
	/* With a vIOMMU offered, so that IOTLB messages are checked, not merely refused. */
	if (vio_vhost_register(sock_path, VIO_VHOST_F_IOMMU) < 0 ||
	    vio_vhost_start(sock_path) < 0 || vio_vhost_register(sock_path2, 0) < 0 ||
	    vio_vhost_start(sock_path2) < 0)
		return 1;
	build_bad_msgs();
	ret = vio_test_run(argc, argv, cases, RTE_DIM(cases));
	return ret;
}
