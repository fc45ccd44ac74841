/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The DPDK vhost CVE classes of the control path, replayed by a hostile
 * frontend against vio's backend over its socket (doc/testing.md, "The DPDK
 * vhost CVE classes"). As in test-cve, each case is named after its CVE and
 * meson runs each class as its own test. Each case: no crash, each bad
 * message closes its connection with a log line that names the message and
 * the field, a connection to another socket opened before the attack still
 * answers after it, the attacked socket takes a new connection, and the
 * process's fds, shared mappings and DPDK heap bytes are the same after the
 * case as before it (and, for the repeated messages, the same after 1000 as
 * after 10).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "vhost_user_msg.h"
#include "vio_test.h"
#include "vio_test_frontend.h"
#include "vio_test_guest.h"
#include "vio_vhost.h"
#include "vio_virtio.h"
#include "vq_inflight.h"

#define V VHOST_USER_VERSION
/* The attacked socket's vrings: one queue pair (vio's default). */
#define NB_VRINGS 2u
#define MEM_GPA   UINT64_C(0x100000000)
#define MEM_SIZE  (1u << 20) /* tf_send's memfds are 1 MiB */
/* How long vio's control thread may take to close a connection and free what it held. */
#define CLOSE_MS 2000

static char sock_path[64];       /* the attacked socket */
static char sock_path2[64];      /* a bystander socket */
static struct rte_mempool *pool; /* the inflight region case's dequeues */
static char *log_buf;
static size_t log_len;
static FILE *log_stream;

/* A connection to @p path with the features negotiated (REPLY_ACK left out), or -1. */
static int
conn_open(const char *path)
{
	uint64_t f = VIO_BIT(VIO_F_PROTOCOL_FEATURES) | VIO_BIT(VIO_F_VERSION_1);
	int tries, sock = -1;

	/* vio serves one connection per socket: the previous one may still be closing. */
	for (tries = 0; tries < 100 && sock < 0; tries++) {
		sock = tf_connect(path);
		if (sock >= 0 &&
		    tf_negotiate(sock, f, VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK)) != 0) {
			close(sock);
			sock = -1;
		}
		if (sock < 0)
			usleep(10000);
	}
	return sock;
}

/* @p sock answers GET_FEATURES. */
static int
check_answers(int sock)
{
	struct vhost_user_msg msg;

	T_EQ(tf_send(sock, VHOST_USER_GET_FEATURES, V, NULL, 0, 0), 0);
	T_EQ(tf_recv_reply(sock, &msg), 0);
	T_EQ(msg.hdr.request, VHOST_USER_GET_FEATURES);
	T_ASSERT(msg.payload.u64 & VIO_BIT(VIO_F_VERSION_1), "features 0x%" PRIx64,
		 msg.payload.u64);
	return 0;
}

/* A new connection to @p path answers. */
static int
check_socket_serves(const char *path)
{
	int sock = conn_open(path);
	int ret;

	T_ASSERT(sock >= 0, "connect %s", path);
	ret = check_answers(sock);
	close(sock);
	return ret;
}

/*
 * vio closed @p sock, and logged since @p mark a line that names the message
 * @p req and has @p field (NULL: no line is required).
 */
static int
check_closed(int sock, size_t mark, uint32_t req, const char *field)
{
	bool closed = tf_closed_by_peer(sock, CLOSE_MS);
	const char *log;

	close(sock);
	T_ASSERT(closed, "%s: connection not closed", vhost_user_req_name(req));
	fflush(log_stream);
	log = log_buf + mark;
	if (field != NULL)
		T_ASSERT(strstr(log, vhost_user_req_name(req)) != NULL &&
				 strstr(log, field) != NULL,
			 "%s: the log does not name the message and '%s':\n%s",
			 vhost_user_req_name(req), field, log);
	return 0;
}

/* Send one message on a fresh connection; vio must close it and log @p field. */
static int
check_refused(uint32_t req, const void *payload, uint32_t size, uint32_t nb_fds, const char *field)
{
	size_t mark;
	int sock = conn_open(sock_path);

	T_ASSERT(sock >= 0, "connect");
	fflush(log_stream);
	mark = log_len;
	T_EQ(tf_send(sock, req, V, payload, size, nb_fds), 0);
	return check_closed(sock, mark, req, field);
}

/* SET_MEM_TABLE: one region of MEM_SIZE bytes at MEM_GPA (vio maps it). */
static int
send_mem_table(int sock)
{
	struct vhost_user_mem_table mt = { .nregions = 1 };

	mt.regions[0] = (struct vhost_user_mem_region){ .gpa = MEM_GPA,
							.size = MEM_SIZE,
							.uaddr = 0x7f0000000000ull };
	return tf_send(sock, VHOST_USER_SET_MEM_TABLE, V, &mt,
		       offsetof(struct vhost_user_mem_table, regions) + sizeof(mt.regions[0]), 1);
}

/* One case: what it holds before, and a connection to the bystander socket. */
struct cve {
	struct vio_test_res res;
	int bystander;
};

/* What the process holds once the last connection is closed on vio's side too. */
static struct vio_test_res
res_settled(void)
{
	struct vio_test_res a, b = vio_test_res_get();
	int i;

	for (i = 0; i < 100; i++) {
		a = b;
		usleep(20000);
		b = vio_test_res_get();
		if (memcmp(&a, &b, sizeof(a)) == 0)
			break;
	}
	return b;
}

static int
cve_begin(struct cve *x)
{
	x->res = res_settled();
	x->bystander = conn_open(sock_path2);
	T_ASSERT(x->bystander >= 0, "connect %s", sock_path2);
	return check_answers(x->bystander);
}

/*
 * The bystander connection still answers, both sockets serve a new one, and
 * once it is closed everything the case made is given back.
 */
static int
cve_end(struct cve *x, int ret)
{
	if (ret == 0)
		ret = check_answers(x->bystander);
	close(x->bystander);
	if (ret == 0)
		ret = check_socket_serves(sock_path);
	if (ret == 0)
		ret = check_socket_serves(sock_path2);
	T_EQ(ret, 0);
	return vio_test_res_check(&x->res, CLOSE_MS);
}

/* After a message repeated: @p sock still answers, and holds what it held at @p mark. */
static int
check_still(int sock, int ret, const struct vio_test_res *mark)
{
	T_EQ(ret, 0);
	T_EQ(check_answers(sock), 0);
	return vio_test_res_check(mark, 0);
}

/*
 * CVE-2019-14818: repeated SET_VRING_NUM, and messages with fds they do not
 * carry. vio keeps nothing per SET_VRING_NUM, and closes every fd it is sent
 * with a message that takes none.
 */
static int
cve_2019_14818_set_vring_num(void)
{
	struct vhost_user_vring_state st;
	struct vhost_user_msg msg;
	struct vio_test_res after10 = { 0, 0, 0 };
	struct cve x;
	int sock, i, ret = 0;
	size_t mark;

	T_EQ(cve_begin(&x), 0);
	sock = conn_open(sock_path);
	T_ASSERT(sock >= 0, "connect");
	T_EQ(send_mem_table(sock), 0);
	for (i = 0; i < 1000 && ret == 0; i++) {
		st = (struct vhost_user_vring_state){ (uint32_t)i % NB_VRINGS, 16u << (i % 8) };
		ret = tf_send(sock, VHOST_USER_SET_VRING_NUM, V, &st, sizeof(st), 0);
		if (i == 9) {
			ret = check_answers(sock);
			after10 = vio_test_res_get();
		}
	}
	T_EQ(ret, 0);
	/* Still served, the last size kept; nothing grew from message 10 to 1000. */
	st = (struct vhost_user_vring_state){ 1, 0 };
	T_EQ(tf_send(sock, VHOST_USER_GET_VRING_BASE, V, &st, sizeof(st), 0), 0);
	T_EQ(tf_recv_reply(sock, &msg), 0);
	T_EQ(msg.payload.state.index, 1);
	T_EQ(vio_test_res_check(&after10, 0), 0);
	/* And a bad one closes the connection. */
	fflush(log_stream);
	mark = log_len;
	st = (struct vhost_user_vring_state){ 0, 0 };
	T_EQ(tf_send(sock, VHOST_USER_SET_VRING_NUM, V, &st, sizeof(st), 0), 0);
	return cve_end(&x, check_closed(sock, mark, VHOST_USER_SET_VRING_NUM, "num"));
}

/*
 * The same for the messages that map memory: SET_MEM_TABLE repeated, and
 * ADD_MEM_REG of the same region repeated (counted; its fd not kept): one
 * region mapped, the fds of the earlier ones closed.
 */
static int
cve_2019_14818_mem_table_repeated(void)
{
	struct vhost_user_mem_reg reg = { .region = { .gpa = MEM_GPA + 2 * MEM_SIZE,
						      .size = MEM_SIZE,
						      .uaddr = 0x7f0000800000ull } };
	struct vio_test_res after10 = { 0, 0, 0 };
	struct cve x;
	int sock, i, ret = 0;

	T_EQ(cve_begin(&x), 0);
	sock = conn_open(sock_path);
	T_ASSERT(sock >= 0, "connect");
	for (i = 0; i < 500 && ret == 0; i++) {
		ret = send_mem_table(sock);
		if (i == 9) {
			ret = ret != 0 ? ret : check_answers(sock);
			after10 = vio_test_res_get();
		}
	}
	T_EQ(check_still(sock, ret, &after10), 0);
	for (i = 0; i < 500 && ret == 0; i++) {
		ret = tf_send(sock, VHOST_USER_ADD_MEM_REG, V, &reg, sizeof(reg), 1);
		if (i == 0) {
			ret = ret != 0 ? ret : check_answers(sock);
			after10 = vio_test_res_get();
		}
	}
	ret = check_still(sock, ret, &after10);
	close(sock);
	return cve_end(&x, ret);
}

static int
cve_2019_14818_extra_fds(void)
{
	/* Requests that take no fd, with their payload sizes. */
	static const struct {
		uint32_t req, size;
	} reqs[] = {
		{ VHOST_USER_GET_FEATURES, 0 },
		{ VHOST_USER_SET_FEATURES, 8 },
		{ VHOST_USER_SET_OWNER, 0 },
		{ VHOST_USER_SET_VRING_NUM, sizeof(struct vhost_user_vring_state) },
		{ VHOST_USER_SET_VRING_BASE, sizeof(struct vhost_user_vring_state) },
		{ VHOST_USER_GET_VRING_BASE, sizeof(struct vhost_user_vring_state) },
		{ VHOST_USER_SET_VRING_ADDR, sizeof(struct vhost_user_vring_addr) },
		{ VHOST_USER_SET_VRING_ENABLE, sizeof(struct vhost_user_vring_state) },
		{ VHOST_USER_GET_PROTOCOL_FEATURES, 0 },
		{ VHOST_USER_GET_QUEUE_NUM, 0 },
		{ VHOST_USER_SET_STATUS, 8 },
		{ VHOST_USER_GET_MAX_MEM_SLOTS, 0 },
		/* The kick fd given, and the NOFD bit set as well. */
		{ VHOST_USER_SET_VRING_KICK, 8 },
	};
	static const uint32_t nb_fds[] = { 1, 3, VHOST_USER_MAX_FDS };
	union vhost_user_payload p;
	unsigned int i, j;
	struct cve x;
	int ret = 0;

	memset(&p, 0, sizeof(p));
	T_EQ(cve_begin(&x), 0);
	for (i = 0; i < RTE_DIM(reqs) && ret == 0; i++) {
		p.u64 = reqs[i].req == VHOST_USER_SET_VRING_KICK ? VHOST_USER_VRING_NOFD : 0;
		for (j = 0; j < RTE_DIM(nb_fds) && ret == 0; j++)
			ret = check_refused(reqs[i].req, &p, reqs[i].size, nb_fds[j],
					    "number of fds");
	}
	/* More fds than any message carries: the kernel drops the rest, vio the message. */
	if (ret == 0)
		ret = check_refused(VHOST_USER_GET_FEATURES, &p, 0, VHOST_USER_MAX_FDS + 4, NULL);
	/* A memory table of one region with two fds. */
	if (ret == 0) {
		memset(&p, 0, sizeof(p));
		p.mem.nregions = 1;
		p.mem.regions[0].size = MEM_SIZE;
		ret = check_refused(VHOST_USER_SET_MEM_TABLE, &p,
				    offsetof(struct vhost_user_mem_table, regions) +
					    sizeof(p.mem.regions[0]),
				    2, "number of fds");
	}
	return cve_end(&x, ret);
}

/* CVE-2020-10722: SET_LOG_BASE whose offset + size overflows, or runs past its fd. */
static int
cve_2020_10722_log_base_overflow(void)
{
	static const struct vhost_user_log bad[] = {
		{ .mmap_size = 4096, .mmap_offset = UINT64_MAX - 100 },
		{ .mmap_size = UINT64_MAX, .mmap_offset = 4096 },
		{ .mmap_size = UINT64_MAX - 4095, .mmap_offset = 4096 }, /* exactly 2^64 */
		{ .mmap_size = UINT64_C(1) << 63, .mmap_offset = UINT64_C(1) << 63 },
		{ .mmap_size = 2 * MEM_SIZE, .mmap_offset = 0 }, /* past the end of its fd */
		{ .mmap_size = 0, .mmap_offset = 0 },
	};
	const struct vhost_user_log good = { .mmap_size = 4096, .mmap_offset = 4096 };
	struct vhost_user_msg msg;
	unsigned int i;
	struct cve x;
	int ret = 0;

	T_EQ(cve_begin(&x), 0);
	for (i = 0; i < RTE_DIM(bad) && ret == 0; i++) {
		int sock = conn_open(sock_path);
		size_t mark;

		T_ASSERT(sock >= 0, "connect");
		/* After a memory table, so that the log would be mapped at once. */
		T_EQ(send_mem_table(sock), 0);
		fflush(log_stream);
		mark = log_len;
		T_EQ(tf_send(sock, VHOST_USER_SET_LOG_BASE, V, &bad[i], sizeof(bad[i]), 1), 0);
		ret = check_closed(sock, mark, VHOST_USER_SET_LOG_BASE, "log");
		if (ret != 0)
			fprintf(stderr, "log %u: size 0x%" PRIx64 " offset 0x%" PRIx64 "\n", i,
				bad[i].mmap_size, bad[i].mmap_offset);
	}
	/* The control: a log that fits is mapped and acknowledged; the connection goes on. */
	if (ret == 0) {
		int sock = conn_open(sock_path);

		T_ASSERT(sock >= 0, "connect");
		T_EQ(send_mem_table(sock), 0);
		T_EQ(tf_send(sock, VHOST_USER_SET_LOG_BASE, V, &good, sizeof(good), 1), 0);
		T_EQ(tf_recv_reply(sock, &msg), 0);
		T_EQ(msg.hdr.request, VHOST_USER_SET_LOG_BASE);
		T_EQ(msg.payload.u64, 0);
		ret = check_answers(sock);
		close(sock);
	}
	return cve_end(&x, ret);
}

/* CVE-2020-10723: a vring index above 65535 that would truncate into range. */
static int
cve_2020_10723_vring_index_truncates(void)
{
	static const uint32_t reqs[] = {
		VHOST_USER_SET_VRING_NUM,  VHOST_USER_SET_VRING_BASE,   VHOST_USER_GET_VRING_BASE,
		VHOST_USER_SET_VRING_ADDR, VHOST_USER_SET_VRING_ENABLE,
	};
	static const uint32_t idx[] = { 0x10000, 0x10001, UINT32_MAX };
	union vhost_user_payload p;
	struct vhost_user_msg msg;
	unsigned int i, j;
	struct cve x;
	int ret = 0, sock;

	T_EQ(cve_begin(&x), 0);
	for (i = 0; i < RTE_DIM(reqs) && ret == 0; i++) {
		uint32_t size = reqs[i] == VHOST_USER_SET_VRING_ADDR
					? sizeof(struct vhost_user_vring_addr)
					: sizeof(struct vhost_user_vring_state);

		for (j = 0; j < RTE_DIM(idx) && ret == 0; j++) {
			char want[32];

			memset(&p, 0, sizeof(p));
			if (reqs[i] == VHOST_USER_SET_VRING_ADDR)
				p.addr.index = idx[j];
			else
				p.state = (struct vhost_user_vring_state){ idx[j], 256 };
			snprintf(want, sizeof(want), "vring index %u", idx[j]);
			ret = check_refused(reqs[i], &p, size, 0, want);
		}
	}
	/* A split ring's base above 65535, which would truncate to 5. */
	if (ret == 0) {
		p.state = (struct vhost_user_vring_state){ 0, 0x10005 };
		ret = check_refused(VHOST_USER_SET_VRING_BASE, &p, sizeof(p.state), 0, "base");
	}
	/* KICK, CALL, ERR: an index in the low byte, NOFD, nothing else. */
	for (i = 0; i < 3 && ret == 0; i++) {
		memset(&p, 0, sizeof(p));
		p.u64 = UINT64_C(0x10000) | VHOST_USER_VRING_NOFD;
		ret = check_refused(VHOST_USER_SET_VRING_KICK + i, &p, 8, 0, "payload");
	}
	/* The control: index 0 is vring 0. */
	sock = conn_open(sock_path);
	T_ASSERT(sock >= 0, "connect");
	p.state = (struct vhost_user_vring_state){ 0, 0 };
	T_EQ(tf_send(sock, VHOST_USER_GET_VRING_BASE, V, &p, sizeof(p.state), 0), 0);
	T_EQ(tf_recv_reply(sock, &msg), 0);
	T_EQ(msg.payload.state.index, 0);
	close(sock);
	return cve_end(&x, ret);
}

/* GET_INFLIGHT_FD for @p num_queues of @p queue_size; the area's fd into *@p fd (or -1). */
static int
get_inflight(int sock, uint16_t num_queues, uint16_t queue_size, struct vhost_user_inflight *in,
	     int *fd)
{
	struct vhost_user_inflight q = { .num_queues = num_queues, .queue_size = queue_size };
	struct vhost_user_msg msg;

	*fd = -1;
	T_EQ(tf_send(sock, VHOST_USER_GET_INFLIGHT_FD, V, &q, sizeof(q), 0), 0);
	T_EQ(tf_recv_reply(sock, &msg), 0);
	T_EQ(msg.hdr.request, VHOST_USER_GET_INFLIGHT_FD);
	T_EQ(msg.nb_fds, 1);
	*fd = msg.fds[0];
	*in = msg.payload.inflight;
	T_ASSERT(in->mmap_size > 0 && in->mmap_size <= MEM_SIZE, "area of %" PRIu64 " bytes",
		 in->mmap_size);
	return 0;
}

/*
 * CVE-2020-10726: GET_INFLIGHT_FD repeated. Each answer is a new area that
 * only the frontend keeps: vio holds no fd and no mapping of any. Then
 * SET_INFLIGHT_FD repeated: vio maps the last area only.
 */
static int
cve_2020_10726_get_inflight_repeated(void)
{
	struct vhost_user_hdr hdr = { .request = VHOST_USER_SET_INFLIGHT_FD,
				      .flags = V,
				      .size = sizeof(struct vhost_user_inflight) };
	struct vhost_user_inflight in;
	struct vio_test_res after10 = { 0, 0, 0 }, one_area = { 0, 0, 0 };
	struct cve x;
	int sock, fd, i, ret = 0;

	T_EQ(cve_begin(&x), 0);
	sock = conn_open(sock_path);
	T_ASSERT(sock >= 0, "connect");
	for (i = 0; i < 1000 && ret == 0; i++) {
		ret = get_inflight(sock, NB_VRINGS, 256, &in, &fd);
		if (fd >= 0)
			close(fd);
		/* Once vio answered the next message, it has closed its copy of the area's fd. */
		if (i == 9) {
			ret = ret != 0 ? ret : check_answers(sock);
			after10 = vio_test_res_get();
		}
	}
	T_EQ(check_still(sock, ret, &after10), 0);
	for (i = 0; i < 100 && ret == 0; i++) {
		ret = get_inflight(sock, NB_VRINGS, 256, &in, &fd);
		if (ret == 0)
			ret = vhost_user_msg_send(sock, &hdr, &in, &fd, 1);
		if (fd >= 0)
			close(fd);
		if (i == 0) {
			/* The first area: one more mapping, and its fd closed once mapped. */
			ret = ret != 0 ? ret : check_answers(sock);
			one_area = vio_test_res_get();
			T_EQ(one_area.maps, after10.maps + 1);
			T_EQ(one_area.fds, after10.fds);
		}
	}
	ret = check_still(sock, ret, &one_area);
	close(sock);
	return cve_end(&x, ret);
}

/* CVE-2021-3839: SET_INFLIGHT_FD (and GET_INFLIGHT_FD) with num_queues out of range. */
static int
cve_2021_3839_inflight_num_queues(void)
{
	static const struct {
		uint16_t num_queues, queue_size;
		const char *field;
	} bad[] = {
		{ 0, 256, "num_queues" },
		{ NB_VRINGS + 1, 256, "num_queues" },
		{ UINT16_MAX, 256, "num_queues" },
		{ NB_VRINGS, 0, "queue_size" },
		{ NB_VRINGS, UINT16_MAX, "queue_size" },
	};
	struct vhost_user_inflight in;
	unsigned int i, j;
	struct cve x;
	int ret = 0;

	T_EQ(cve_begin(&x), 0);
	for (j = 0; j < 2; j++) {
		uint32_t req = j == 0 ? VHOST_USER_SET_INFLIGHT_FD : VHOST_USER_GET_INFLIGHT_FD;

		for (i = 0; i < RTE_DIM(bad) && ret == 0; i++) {
			in = (struct vhost_user_inflight){ .mmap_size = 4096,
							   .num_queues = bad[i].num_queues,
							   .queue_size = bad[i].queue_size };
			ret = check_refused(req, &in, sizeof(in), req == VHOST_USER_SET_INFLIGHT_FD,
					    bad[i].field);
		}
	}
	return cve_end(&x, ret);
}

/* A xorshift64 generator, seeded the same every run. */
static uint64_t
rnd(void)
{
	static uint64_t x = UINT64_C(0x9e3779b97f4a7c15);

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Mostly @p likely, sometimes anything. */
static uint16_t
rnd_u16(uint16_t likely)
{
	return rnd() % 16 != 0 ? likely : (uint16_t)rnd();
}

/*
 * An inflight region no earlier instance left: right version and size most
 * of the time, and inside them indexes, links, counts and descriptor copies
 * mostly in or near range.
 */
static void
region_garbage(void *region, uint16_t size, bool packed)
{
	uint16_t i;

	if (!packed) {
		struct vq_inflight_split *r = region;

		r->version = rnd_u16(VQ_INFLIGHT_VERSION);
		r->desc_num = rnd_u16(size);
		r->last_batch_head = (uint16_t)(rnd() % (size + 2u));
		/* The ring's used->idx is 0: mostly no batch, sometimes one to release. */
		r->used_idx = rnd() % 4 != 0 ? 0 : (uint16_t)(0 - rnd() % (size + 2u));
		for (i = 0; i < size; i++) {
			r->desc[i].inflight = (uint8_t)(rnd() % 3 == 0 ? rnd_u16(1) : 0);
			r->desc[i].next = rnd_u16((uint16_t)((i + 1) % size));
			r->desc[i].counter = rnd() % 64;
		}
		return;
	}
	struct vq_inflight_packed *r = region;

	r->version = rnd_u16(VQ_INFLIGHT_VERSION);
	r->desc_num = rnd_u16(size);
	r->free_head = r->old_free_head = size;
	r->used_idx = r->old_used_idx = rnd_u16(0);
	r->used_wrap_counter = r->old_used_wrap_counter = (uint8_t)rnd_u16(1);
	if (rnd() % 4 == 0)
		r->old_used_idx = (uint16_t)(rnd() % size);
	/* Chains of 1 to 3 consecutive entries, the others free; then a field in 16 spoilt. */
	for (i = 0; i < size; i++) {
		struct vq_inflight_packed_desc *d = &r->desc[i];
		uint16_t num = (uint16_t)(1 + rnd() % 3), k;

		if (rnd() % 3 != 0 || i + num > size) {
			d->inflight = 0;
			d->next = rnd_u16(r->free_head);
			r->free_head = r->old_free_head = i;
			continue;
		}
		for (k = 0; k < num; k++) {
			r->desc[i + k].next = rnd_u16((uint16_t)(i + k + 1));
			r->desc[i + k].inflight = 0;
		}
		d->inflight = (uint8_t)rnd_u16(1);
		d->num = rnd_u16(num);
		d->last = rnd_u16((uint16_t)(i + num - 1));
		i = (uint16_t)(i + num - 1);
	}
	for (i = 0; i < size; i++) {
		struct vq_inflight_packed_desc *d = &r->desc[i];

		d->counter = rnd() % 64;
		d->id = (uint16_t)(rnd() % (size + 2u));
		d->flags = (uint16_t)(rnd() & (VIO_VRING_DESC_F_WRITE | VIO_VRING_DESC_F_INDIRECT));
		d->len = (uint32_t)(rnd() % 3000);
		d->addr = TG_GPA_BASE + rnd() % (2 * MEM_SIZE);
	}
}

/* Random descriptors in a split ring's table, as the chains the region names would be. */
static void
desc_garbage(struct tg_vq *q)
{
	uint16_t i;

	for (i = 0; i < q->size; i++)
		q->s.r.desc[i] = (struct vio_vring_desc){
			TG_GPA_BASE + rnd() % (2 * MEM_SIZE), (uint32_t)(rnd() % 3000),
			(uint16_t)(rnd() & (VIO_VRING_DESC_F_NEXT | VIO_VRING_DESC_F_WRITE |
					    VIO_VRING_DESC_F_INDIRECT)),
			(uint16_t)(rnd() % (q->size + 2u))
		};
}

/*
 * The engine's side of CVE-2021-3839: a region whose num_queues was in range
 * but whose contents are garbage, as a frontend may hand over. Each of 2000
 * is refused when the queue is made (-EINVAL, the log names the field), or
 * recovered and the chains it names walked like any the guest posts
 * (delivered, or the queue broken with an err_* counter); never a crash, a
 * read outside the region or the guest's memory, or a leak.
 */
static int
cve_2021_3839_inflight_region_garbage(void)
{
	struct vio_test_res res = res_settled();
	unsigned int round, refused = 0, broken = 0, resubmitted = 0;
	struct tg_mem g;

	T_EQ(tg_mem_init(&g, MEM_SIZE, 1), 0);
	for (round = 0; round < 2000; round++) {
		bool packed = round & 1;
		uint64_t features = VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_RING_INDIRECT_DESC) |
				    (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0);
		size_t len = vio_vq_inflight_size(NB_VRINGS * 8, packed);
		uint64_t start = g.brk, region = tg_alloc(&g, len, 64);
		struct rte_mbuf *out[32];
		struct tg_vq q;
		int ret;

		T_ASSERT(region != 0, "guest memory");
		region_garbage(tg_ptr(&g, region), NB_VRINGS * 8, packed);
		ret = tg_vq_init_inflight(&q, &g, NB_VRINGS * 8, features, 0, tg_ptr(&g, region));
		if (ret != 0) {
			refused++;
			T_EQ(rte_errno, EINVAL);
		} else {
			struct vio_vq_stats st;
			uint16_t n;

			if (!packed)
				desc_garbage(&q);
			while ((n = vio_vq_dequeue_burst(q.vq, pool, out, RTE_DIM(out))) > 0)
				rte_pktmbuf_free_bulk(out, n);
			T_EQ(vio_vq_stats_get(q.vq, &st), 0);
			resubmitted += st.inflight_resubmitted > 0;
			broken += vio_vq_is_broken(q.vq);
		}
		tg_vq_fini(&q);
		/* The next round's region and rings in the same guest memory, cleared. */
		memset(g.base + start, 0, g.brk - start);
		g.brk = start;
	}
	tg_mem_fini(&g);
	printf("  2000 regions: %u refused, %u recovered with chains resubmitted, %u queues "
	       "broken by what they named\n",
	       refused, resubmitted, broken);
	T_ASSERT(refused > 0 && refused < 2000, "every region refused, or none");
	return vio_test_res_check(&res, 0);
}

/*
 * A region at an address its 64-bit fields cannot be read from (SET_INFLIGHT_FD
 * takes the frontend's mmap_offset): refused when the queue is made, not read
 * through a misaligned pointer. Over the socket, the message is refused.
 */
static int
cve_2021_3839_inflight_region_misaligned(void)
{
	struct vio_test_res res = res_settled();
	struct vhost_user_inflight in;
	struct tg_mem g;
	struct tg_vq q;
	unsigned int i;
	int ret = 0;

	T_EQ(tg_mem_init(&g, MEM_SIZE, 1), 0);
	for (i = 0; i < 2 && ret == 0; i++) {
		uint64_t features = VIO_BIT(VIO_F_VERSION_1) | (i ? VIO_BIT(VIO_F_RING_PACKED) : 0);
		uint64_t region = tg_alloc(&g, vio_vq_inflight_size(16, i) + 64, 64) + 4;

		ret = tg_vq_init_inflight(&q, &g, 16, features, 0, tg_ptr(&g, region)) == 0 ? -1
											    : 0;
		if (ret == 0 && rte_errno != EINVAL)
			ret = -1;
		tg_vq_fini(&q);
	}
	tg_mem_fini(&g);
	T_EQ(ret, 0);
	for (i = 1; i < 8 && ret == 0; i *= 2) {
		in = (struct vhost_user_inflight){ .mmap_offset = i,
						   .mmap_size = 4096,
						   .num_queues = NB_VRINGS,
						   .queue_size = 256 };
		ret = check_refused(VHOST_USER_SET_INFLIGHT_FD, &in, sizeof(in), 1, "area");
	}
	T_EQ(ret, 0);
	return vio_test_res_check(&res, CLOSE_MS);
}

/* CVE-2022-0669: GET_INFLIGHT_FD and SET_INFLIGHT_FD with more (or fewer) fds than they take. */
static int
cve_2022_0669_inflight_extra_fds(void)
{
	static const struct {
		uint32_t req, nb_fds;
	} bad[] = {
		{ VHOST_USER_GET_INFLIGHT_FD, 1 },
		{ VHOST_USER_GET_INFLIGHT_FD, 2 },
		{ VHOST_USER_GET_INFLIGHT_FD, VHOST_USER_MAX_FDS },
		{ VHOST_USER_SET_INFLIGHT_FD, 0 },
		{ VHOST_USER_SET_INFLIGHT_FD, 2 },
		{ VHOST_USER_SET_INFLIGHT_FD, VHOST_USER_MAX_FDS },
	};
	const struct vhost_user_inflight in = { .mmap_size = 4096,
						.num_queues = NB_VRINGS,
						.queue_size = 256 };
	unsigned int i;
	struct cve x;
	int ret = 0;

	T_EQ(cve_begin(&x), 0);
	for (i = 0; i < RTE_DIM(bad) && ret == 0; i++)
		ret = check_refused(bad[i].req, &in, sizeof(in), bad[i].nb_fds, "number of fds");
	return cve_end(&x, ret);
}

static const struct vio_test_case cases[] = {
	VIO_TEST(cve_2019_14818_set_vring_num),
	VIO_TEST(cve_2019_14818_mem_table_repeated),
	VIO_TEST(cve_2019_14818_extra_fds),
	VIO_TEST(cve_2020_10722_log_base_overflow),
	VIO_TEST(cve_2020_10723_vring_index_truncates),
	VIO_TEST(cve_2020_10726_get_inflight_repeated),
	VIO_TEST(cve_2021_3839_inflight_num_queues),
	VIO_TEST(cve_2021_3839_inflight_region_garbage),
	VIO_TEST(cve_2021_3839_inflight_region_misaligned),
	VIO_TEST(cve_2022_0669_inflight_extra_fds),
};

int
main(int argc, char **argv)
{
	int ret, sock, i;

	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	pool = tg_pktmbuf_pool("test_cve_vhost", 1023);
	if (pool == NULL)
		return 1;
	log_stream = open_memstream(&log_buf, &log_len);
	if (log_stream == NULL || rte_openlog_stream(log_stream) < 0)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "/tmp/vio-test-cve-%d.sock", getpid());
	snprintf(sock_path2, sizeof(sock_path2), "/tmp/vio-test-cve2-%d.sock", getpid());
	if (vio_vhost_register(sock_path, 0) < 0 || vio_vhost_start(sock_path) < 0 ||
	    vio_vhost_register(sock_path2, 0) < 0 || vio_vhost_start(sock_path2) < 0)
		return 1;
	/*
	 * Once through, so that what is made on first use is not taken for a
	 * leak: a memory table mapped, and every device slot, which vio keeps
	 * once allocated and hands out round robin (vhost_dev_alloc()).
	 */
	for (i = 0; i < VIO_VHOST_MAX_DEVICES; i++) {
		sock = conn_open(sock_path);
		if (sock < 0 || check_answers(sock) != 0 || send_mem_table(sock) != 0)
			return 1;
		close(sock);
	}
	ret = vio_test_run(argc, argv, cases, RTE_DIM(cases));
	unlink(sock_path);
	unlink(sock_path2);
	return ret;
}
