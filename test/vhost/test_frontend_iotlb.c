/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio's frontend API against vio's own backend with a vIOMMU: the backend
 * request channel answering real IOTLB misses. This process registers a
 * vhost-user socket with VIO_VHOST_F_IOMMU (vio's backend, its control
 * thread, the local driver's engine) and drives it with the generic
 * frontend, over the socket or attached in-process. Guest memory is a memfd
 * declared as two regions; with VIRTIO_F_ACCESS_PLATFORM every ring and
 * buffer address is an IOVA, which the frontend maps to its own user
 * addresses.
 *
 * Checked: the rings start once the frontend answered the backend's misses
 * (over the socket, while it waits for the acks of its own requests;
 * in-process, when it serves the channel), and not at all without the
 * channel (the control); a packet in the second region stops the transmit burst on a miss
 * until the frontend answers it with an update of that region, then goes
 * both ways byte for byte; a descriptor outside every region gets no update
 * (counted, logged) and its chain stays in the ring, the queue not broken.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "vio_test.h"
#include "vio_test_guest.h"
#include "vio_vhost.h"
#include "vio_vhost_frontend.h"

#define RING     64
#define HDR_LEN  12
#define PKT_LEN  200
#define MEM_SIZE (4u << 20)
#define HALF     (MEM_SIZE / 2) /* region A: the rings; region B: the buffers */

static char path[64];
static struct rte_mempool *pool;
static atomic_int ready_vid = -1;
static char *log_buf;
static size_t log_len;
static FILE *log_stream;

struct guest {
	struct tg_mem g;
	struct tg_vq q[2]; /* 0: guest receive, 1: guest transmit (their engine queues unused) */
	int kick[2], call[2];
	struct vio_vhost_frontend *fe;
};

static int
on_new(int vid, void *ctx)
{
	RTE_SET_USED(ctx);
	atomic_store(&ready_vid, vid);
	return 0;
}

static void
on_destroy(int vid, void *ctx)
{
	RTE_SET_USED(vid);
	RTE_SET_USED(ctx);
	atomic_store(&ready_vid, -1);
}

/* The IOVA of guest memory at @p gpa: the frontend's own address of it. */
static uint64_t
iova(const struct guest *gu, uint64_t gpa)
{
	return (uint64_t)(uintptr_t)tg_ptr(&gu->g, gpa);
}

static int
setup_vring(struct guest *gu, uint16_t q)
{
	struct tg_vq *v = &gu->q[q];

	T_EQ(tg_vq_init(v, &gu->g, RING, 0, 0), 0);
	gu->kick[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	gu->call[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	T_EQ(vio_vhost_frontend_set_vring_num(gu->fe, q, RING), 0);
	T_EQ(vio_vhost_frontend_set_vring_base(gu->fe, q, 0), 0);
	T_EQ(vio_vhost_frontend_set_vring_addr(gu->fe, q, iova(gu, v->desc_gpa),
					       iova(gu, v->driver_gpa), iova(gu, v->device_gpa),
					       false, 0),
	     0);
	T_EQ(vio_vhost_frontend_set_vring_call(gu->fe, q, gu->call[q]), 0);
	T_EQ(vio_vhost_frontend_set_vring_kick(gu->fe, q, gu->kick[q]), 0);
	T_EQ(vio_vhost_frontend_set_vring_enable(gu->fe, q, true), 0);
	return 0;
}

/* Serve the backend's requests for @p ms milliseconds, or until the device is ready. */
static int
serve(struct guest *gu, unsigned int ms, bool until_ready)
{
	uint64_t end = rte_get_timer_cycles() + ms * rte_get_timer_hz() / 1000;

	while (rte_get_timer_cycles() < end) {
		struct pollfd p = { .fd = vio_vhost_frontend_backend_req_fd(gu->fe),
				    .events = POLLIN };

		if (until_ready && atomic_load(&ready_vid) >= 0)
			return 0;
		if (poll(&p, 1, 1) == 1)
			T_ASSERT(vio_vhost_frontend_handle_backend_req(gu->fe) >= 0,
				 "handle_backend_req");
	}
	return 0;
}

static int
guest_open(struct guest *gu, bool local, bool channel)
{
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 2000 };
	struct vio_vhost_frontend_region r[2];
	uint64_t f, pf, want;
	unsigned int i;

	memset(gu, 0, sizeof(*gu));
	T_EQ(tg_mem_init(&gu->g, MEM_SIZE, 1), 0);
	gu->fe = local ? vio_vhost_frontend_connect_local(path, &fc)
		       : vio_vhost_frontend_connect(path, &fc);
	T_ASSERT(gu->fe != NULL, "connect %s: %s", path, strerror(rte_errno));
	T_EQ(vio_vhost_frontend_get_features(gu->fe, &f), 0);
	want = VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_PROTOCOL_FEATURES) |
	       VIO_BIT(VIO_F_ACCESS_PLATFORM);
	T_ASSERT((f & want) == want, "features 0x%" PRIx64 " offered", f);
	T_EQ(vio_vhost_frontend_get_protocol_features(gu->fe, &pf), 0);
	pf = VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK) |
	     (channel ? VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_BACKEND_REQ) : 0);
	T_EQ(vio_vhost_frontend_set_protocol_features(gu->fe, pf), 0);
	T_EQ(vio_vhost_frontend_set_owner(gu->fe), 0);
	if (channel)
		T_EQ(vio_vhost_frontend_set_backend_req_fd(gu->fe, NULL, NULL), 0);
	T_EQ(vio_vhost_frontend_set_features(gu->fe, want), 0);
	for (i = 0; i < 2; i++)
		r[i] = (struct vio_vhost_frontend_region){
			.gpa = TG_GPA_BASE + i * HALF,
			.size = HALF,
			.uaddr = (uint64_t)(uintptr_t)gu->g.base + i * HALF,
			.mmap_offset = i * HALF,
			.fd = gu->g.fd,
		};
	T_EQ(vio_vhost_frontend_set_mem_table(gu->fe, r, 2), 0);
	for (i = 0; i < 2; i++)
		T_EQ(setup_vring(gu, (uint16_t)i), 0);
	return 0;
}

static void
guest_close(struct guest *gu)
{
	unsigned int q;

	vio_vhost_frontend_close(gu->fe);
	for (q = 0; q < 2; q++) {
		tg_vq_fini(&gu->q[q]);
		close(gu->kick[q]);
		close(gu->call[q]);
	}
	tg_mem_fini(&gu->g);
	for (q = 0; q < 300 && atomic_load(&ready_vid) >= 0; q++)
		usleep(10000);
}

/*
 * A burst (dequeue on queue 1, or enqueue of @p m on queue 0), again with the
 * channel served between tries, for at most @p ms.
 */
static uint16_t
burst_served(struct guest *gu, int vid, bool enqueue, struct rte_mbuf **m, unsigned int ms)
{
	unsigned int i;

	for (i = 0; i < ms; i++) {
		uint16_t n = enqueue ? vio_vhost_enqueue_burst(vid, 0, m, 1)
				     : vio_vhost_dequeue_burst(vid, 1, pool, m, 4);

		if (n > 0)
			return n;
		if (serve(gu, 1, false) < 0)
			return 0;
	}
	return 0;
}

static int
iotlb_run(bool local)
{
	struct vio_vhost_frontend_backend_req_stats st0, st;
	struct vio_ring_buf b;
	struct vio_vq_stats qs;
	struct rte_mbuf *m[4];
	struct guest gu;
	uint64_t tx, rx, updates;
	uint8_t *p;
	uint16_t id;
	uint32_t len, i;
	size_t mark;
	int vid, fds = vio_test_fd_count();

	T_EQ(guest_open(&gu, local, true), 0);
	T_EQ(serve(&gu, 2000, true), 0);
	vid = atomic_load(&ready_vid);
	T_ASSERT(vid >= 0, "the rings never started");
	vio_vhost_frontend_backend_req_stats(gu.fe, &st0);
	T_ASSERT(st0.iotlb_updates >= 1 && st0.iotlb_unmapped == 0, "updates %" PRIu64,
		 st0.iotlb_updates);

	/*
	 * A packet in region B: a miss, an update of region B for reading, then
	 * through; its receive buffer in region B: a miss for writing, another
	 * update, then through.
	 */
	tg_alloc(&gu.g, HALF - (gu.g.brk % HALF), 1); /* the rest of region A */
	tx = tg_alloc(&gu.g, HDR_LEN + PKT_LEN, 64);
	rx = tg_alloc(&gu.g, 2048, 64);
	T_ASSERT(tx >= TG_GPA_BASE + HALF && rx != 0, "buffers in region B");
	p = tg_ptr(&gu.g, tx);
	memset(p, 0, HDR_LEN);
	for (i = 0; i < PKT_LEN; i++)
		p[HDR_LEN + i] = (uint8_t)(i * 7 + 1);
	b = (struct vio_ring_buf){ iova(&gu, tx), HDR_LEN + PKT_LEN, false };
	T_ASSERT(tg_vq_post(&gu.q[1], &b, 1, false) >= 0, "post");
	tg_vq_publish(&gu.q[1]);
	T_EQ(vio_vhost_dequeue_burst(vid, 1, pool, m, 4), 0); /* a miss stops it */
	T_EQ(burst_served(&gu, vid, false, m, 2000), 1);
	vio_vhost_frontend_backend_req_stats(gu.fe, &st);
	T_EQ(st.iotlb_updates, st0.iotlb_updates + 1);
	T_EQ(rte_pktmbuf_pkt_len(m[0]), PKT_LEN);
	b = (struct vio_ring_buf){ iova(&gu, rx), 2048, true };
	T_ASSERT(tg_vq_post(&gu.q[0], &b, 1, false) >= 0, "post");
	tg_vq_publish(&gu.q[0]);
	T_EQ(vio_vhost_enqueue_burst(vid, 0, m, 1), 0); /* read-only so far: a miss */
	T_EQ(burst_served(&gu, vid, true, m, 2000), 1);
	rte_pktmbuf_free(m[0]);
	vio_vhost_frontend_backend_req_stats(gu.fe, &st);
	T_EQ(st.iotlb_updates, st0.iotlb_updates + 2);
	T_EQ(tg_vq_reap(&gu.q[0], &id, &len), 0);
	T_EQ(len, HDR_LEN + PKT_LEN);
	T_ASSERT(memcmp((uint8_t *)tg_ptr(&gu.g, rx) + HDR_LEN, p + HDR_LEN, PKT_LEN) == 0,
		 "received bytes differ");
	T_EQ(tg_vq_reap(&gu.q[1], &id, &len), 0);

	/* A descriptor outside every region: no update, the chain waits, nothing breaks. */
	fflush(log_stream);
	mark = log_len;
	updates = st.iotlb_updates;
	b = (struct vio_ring_buf){ iova(&gu, TG_GPA_BASE) + 2 * MEM_SIZE, 64, false };
	T_ASSERT(tg_vq_post(&gu.q[1], &b, 1, false) >= 0, "post");
	tg_vq_publish(&gu.q[1]);
	T_EQ(burst_served(&gu, vid, false, m, 300), 0);
	vio_vhost_frontend_backend_req_stats(gu.fe, &st);
	T_EQ(st.iotlb_unmapped, 1);
	T_EQ(st.iotlb_updates, updates);
	T_EQ(st.iotlb_misses, st.iotlb_updates + st.iotlb_unmapped);
	fflush(log_stream);
	T_ASSERT(strstr(log_buf + mark, "outside every memory region (2): no update") != NULL,
		 "log: %s", log_buf + mark);
	T_EQ(vio_vhost_queue_stats_get(vid, 1, &qs), 0);
	T_EQ(qs.err_addr, 0);
	T_ASSERT(!vio_vhost_frontend_is_broken(gu.fe), "connection broken");
	printf("%s: %" PRIu64 " misses, %" PRIu64 " updates, %" PRIu64 " outside memory\n",
	       local ? "in-process" : "socket", st.iotlb_misses, st.iotlb_updates,
	       st.iotlb_unmapped);
	guest_close(&gu);
	T_EQ(vio_test_fd_count_settled(fds), fds);
	return 0;
}

/* The control: with no channel, the misses go unanswered and the rings never start. */
static int
test_frontend_iotlb_no_channel_control(void)
{
	struct guest gu;
	int fds = vio_test_fd_count();

	T_EQ(guest_open(&gu, false, false), 0);
	T_EQ(vio_vhost_frontend_backend_req_fd(gu.fe), -1);
	usleep(300000);
	T_ASSERT(atomic_load(&ready_vid) < 0, "the rings started with no IOTLB update");
	guest_close(&gu);
	T_EQ(vio_test_fd_count_settled(fds), fds);
	return 0;
}

static int
test_frontend_iotlb_socket(void)
{
	return iotlb_run(false);
}

static int
test_frontend_iotlb_local(void)
{
	return iotlb_run(true);
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_frontend_iotlb_no_channel_control),
	VIO_TEST(test_frontend_iotlb_socket),
	VIO_TEST(test_frontend_iotlb_local),
};

int
main(int argc, char **argv)
{
	struct vio_vhost_ops ops = { .new_device_cb = on_new, .destroy_device_cb = on_destroy };
	int ret;

	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	log_stream = open_memstream(&log_buf, &log_len);
	if (log_stream == NULL || rte_openlog_stream(log_stream) < 0)
		return 1;
	pool = tg_pktmbuf_pool("iotlb", 1023);
	snprintf(path, sizeof(path), "/tmp/vio-test-fe-iotlb-%d.sock", getpid());
	if (pool == NULL || vio_vhost_register(path, VIO_VHOST_F_IOMMU) < 0 ||
	    vio_vhost_callbacks_register(path, &ops, NULL) < 0 || vio_vhost_start(path) < 0)
		return 1;
	ret = vio_test_run(argc, argv, cases, RTE_DIM(cases));
	vio_vhost_unregister(path);
	if (ret != 0) {
		fflush(log_stream);
		fprintf(stderr, "--- log:\n%s", log_buf);
	}
	return ret;
}
