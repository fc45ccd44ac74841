/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio's backend driven over its socket by a frontend made of vio's own
 * driver-side ring primitives (the test guest): a whole vhost-user device set
 * up message by message, then traffic, the dirty log of live migration,
 * SEND_RARP, a hostile ring that breaks only its own queue, and the ring
 * stop of GET_VRING_BASE. The real peers (testpmd, QEMU) are in the peers and
 * guest suites; this one reaches what they do not exercise.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "vhost_user_msg.h"
#include "vio_test.h"
#include "vio_test_guest.h"
#include "vio_vhost.h"

#define V       VHOST_USER_VERSION
#define RING    64
#define HDR_LEN 12

static char path[64];
static struct rte_mempool *pool;
static atomic_int ready_vid = -1;
static atomic_int destroyed;
static char *log_buf;
static size_t log_len;
static FILE *log_stream;

/* The frontend: guest memory, two split rings (0: guest receive, 1: guest transmit). */
struct frontend {
	int sock;
	struct tg_mem g;
	struct vio_split_drv drv[2];
	uint16_t chain_len[2][RING];
	uint64_t ring_gpa[2];
	int kick[2], call[2], err[2];
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
	atomic_fetch_add(&destroyed, 1);
}

static int
send_msg(struct frontend *f, uint32_t req, const void *payload, uint32_t size, const int *fds,
	 uint32_t nb_fds)
{
	struct vhost_user_hdr hdr = { .request = req,
				      .flags = V | VHOST_USER_FLAG_NEED_REPLY,
				      .size = size };

	return vhost_user_msg_send(f->sock, &hdr, payload, fds, nb_fds);
}

static int
recv_reply(struct frontend *f, struct vhost_user_msg *msg)
{
	struct pollfd p = { .fd = f->sock, .events = POLLIN };

	if (poll(&p, 1, 3000) != 1)
		return -ETIMEDOUT;
	return vhost_user_msg_recv(f->sock, msg, 1000);
}

/* Send a request with NEED_REPLY and check the REPLY_ACK status (or read its own reply). */
static int
req(struct frontend *f, uint32_t r, const void *payload, uint32_t size, const int *fds,
    uint32_t nb_fds, struct vhost_user_msg *reply)
{
	struct vhost_user_msg msg;

	T_EQ(send_msg(f, r, payload, size, fds, nb_fds), 0);
	T_EQ(recv_reply(f, &msg), 0);
	T_EQ(msg.hdr.request, r);
	if (reply != NULL)
		*reply = msg;
	else
		T_EQ(msg.payload.u64, 0);
	return 0;
}

static uint64_t
uaddr(const struct frontend *f, uint64_t gpa)
{
	return (uint64_t)(uintptr_t)tg_ptr(&f->g, gpa);
}

static int
setup_vring(struct frontend *f, unsigned int q)
{
	struct vio_split_drv *d = &f->drv[q];
	struct vhost_user_vring_state st = { .index = q, .num = RING };
	struct vhost_user_vring_addr a = { .index = q };
	uint64_t desc = tg_alloc(&f->g, vio_vring_desc_bytes(RING), 4096);
	uint64_t avail = tg_alloc(&f->g, vio_vring_avail_bytes(RING), 2);
	uint64_t used = tg_alloc(&f->g, vio_vring_used_bytes(RING), 4096);
	uint64_t v;

	d->r.desc = tg_ptr(&f->g, desc);
	d->r.avail = tg_ptr(&f->g, avail);
	d->r.used = tg_ptr(&f->g, used);
	d->r.size = RING;
	d->r.mask = RING - 1;
	d->chain_len = f->chain_len[q];
	vio_split_drv_init(d);
	f->ring_gpa[q] = used;
	f->kick[q] = eventfd(0, EFD_NONBLOCK);
	f->call[q] = eventfd(0, EFD_NONBLOCK);
	f->err[q] = eventfd(0, EFD_NONBLOCK);
	T_EQ(req(f, VHOST_USER_SET_VRING_NUM, &st, sizeof(st), NULL, 0, NULL), 0);
	st.num = 0;
	T_EQ(req(f, VHOST_USER_SET_VRING_BASE, &st, sizeof(st), NULL, 0, NULL), 0);
	a.desc_uaddr = uaddr(f, desc);
	a.avail_uaddr = uaddr(f, avail);
	a.used_uaddr = uaddr(f, used);
	a.log_gpa = used;
	a.flags = VHOST_USER_VRING_F_LOG;
	T_EQ(req(f, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0, NULL), 0);
	v = q;
	T_EQ(req(f, VHOST_USER_SET_VRING_CALL, &v, 8, &f->call[q], 1, NULL), 0);
	T_EQ(req(f, VHOST_USER_SET_VRING_ERR, &v, 8, &f->err[q], 1, NULL), 0);
	T_EQ(req(f, VHOST_USER_SET_VRING_KICK, &v, 8, &f->kick[q], 1, NULL), 0);
	st.num = 1;
	T_EQ(req(f, VHOST_USER_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0, NULL), 0);
	return 0;
}

static int
frontend_connect(struct frontend *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t features, pf;
	struct vhost_user_msg msg;
	struct vhost_user_mem_table mt = { .nregions = 1 };
	unsigned int q;
	int i;

	memset(f, 0, sizeof(*f));
	T_EQ(tg_mem_init(&f->g, 4 << 20, 1), 0);
	f->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	T_EQ(connect(f->sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	T_EQ(send_msg(f, VHOST_USER_GET_FEATURES, NULL, 0, NULL, 0), 0);
	T_EQ(recv_reply(f, &msg), 0);
	features = msg.payload.u64 & (VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_PROTOCOL_FEATURES) |
				      VIO_BIT(VIO_F_RING_EVENT_IDX));
	pf = (UINT64_C(1) << VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK) |
	     (UINT64_C(1) << VIO_VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
	     (UINT64_C(1) << VIO_VHOST_USER_PROTOCOL_F_RARP);
	{
		/* REPLY_ACK holds from the next message on: this one gets no status. */
		struct vhost_user_hdr hdr = { VHOST_USER_SET_PROTOCOL_FEATURES, V, 8 };

		T_EQ(vhost_user_msg_send(f->sock, &hdr, &pf, NULL, 0), 0);
	}
	T_EQ(req(f, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, NULL), 0);
	T_EQ(req(f, VHOST_USER_SET_FEATURES, &features, 8, NULL, 0, NULL), 0);
	/* The frontend's own address of guest memory is its mapping: uaddr = host pointer. */
	mt.regions[0].gpa = TG_GPA_BASE;
	mt.regions[0].size = f->g.size;
	mt.regions[0].uaddr = (uint64_t)(uintptr_t)f->g.base;
	mt.regions[0].mmap_offset = 0;
	T_EQ(req(f, VHOST_USER_SET_MEM_TABLE, &mt, 8 + 32, &f->g.fd, 1, NULL), 0);
	for (q = 0; q < 2; q++)
		T_EQ(setup_vring(f, q), 0);
	for (i = 0; i < 300 && atomic_load(&ready_vid) < 0; i++)
		usleep(10000);
	T_ASSERT(atomic_load(&ready_vid) >= 0, "new_device_cb never came");
	return 0;
}

static void
frontend_close(struct frontend *f)
{
	unsigned int q;

	close(f->sock);
	for (q = 0; q < 2; q++) {
		close(f->kick[q]);
		close(f->call[q]);
		close(f->err[q]);
	}
	tg_mem_fini(&f->g);
	for (q = 0; q < 300 && atomic_load(&ready_vid) >= 0; q++)
		usleep(10000);
}

/* The guest transmits @p len bytes of 0x5a (header zeroed). */
static int
guest_send(struct frontend *f, uint32_t len)
{
	uint64_t gpa = tg_alloc(&f->g, HDR_LEN + len, 64);
	uint8_t *p = tg_ptr(&f->g, gpa);
	struct vio_ring_buf b = { gpa, HDR_LEN + len, 0 };

	memset(p, 0, HDR_LEN);
	memset(p + HDR_LEN, 0x5a, len);
	T_ASSERT(vio_split_drv_post(&f->drv[1], &b, 1, false) >= 0, "post");
	vio_split_drv_publish(&f->drv[1]);
	return 0;
}

static uint64_t
guest_post_rx(struct frontend *f)
{
	uint64_t gpa = tg_alloc(&f->g, 2048, 4096);
	struct vio_ring_buf b = { gpa, 2048, 1 };

	if (vio_split_drv_post(&f->drv[0], &b, 1, false) < 0)
		return 0;
	vio_split_drv_publish(&f->drv[0]);
	return gpa;
}

/* Traffic both ways through vio_vhost_*_burst. */
static int
test_vhost_frontend_traffic(void)
{
	struct frontend f;
	struct rte_mbuf *m[4];
	int vid;
	uint16_t id;
	uint32_t len;
	uint64_t rx;

	T_EQ(frontend_connect(&f), 0);
	vid = atomic_load(&ready_vid);
	T_EQ(guest_send(&f, 100), 0);
	T_EQ(vio_vhost_dequeue_burst(vid, 1, pool, m, 4), 1);
	T_EQ(rte_pktmbuf_pkt_len(m[0]), 100);
	rx = guest_post_rx(&f);
	T_EQ(vio_vhost_enqueue_burst(vid, 0, m, 1), 1);
	rte_pktmbuf_free(m[0]);
	T_EQ(vio_split_drv_reap(&f.drv[0], &id, &len), 0);
	T_EQ(len, HDR_LEN + 100);
	T_EQ(((uint8_t *)tg_ptr(&f.g, rx))[HDR_LEN + 99], 0x5a);
	/* Wrong queue parity and unknown vids move nothing. */
	T_EQ(vio_vhost_enqueue_burst(vid, 1, m, 1), 0);
	T_EQ(vio_vhost_dequeue_burst(vid + 7, 1, pool, m, 4), 0);
	frontend_close(&f);
	return 0;
}

/* LOG_ALL: the receive buffer and the used ring the engine wrote are in the log. */
static int
test_vhost_frontend_dirty_log(void)
{
	struct vhost_user_log lg;
	struct vhost_user_msg reply;
	struct frontend f;
	struct rte_mbuf *m;
	uint64_t features, log_size, rx, page;
	uint8_t *bitmap;
	int vid, log_fd;
	uint16_t id;
	uint32_t len;

	T_EQ(frontend_connect(&f), 0);
	vid = atomic_load(&ready_vid);
	log_size = (TG_GPA_BASE + f.g.size) / 4096 / 8 + 1;
	log_fd = memfd_create("vio-test-log", MFD_CLOEXEC);
	T_EQ(ftruncate(log_fd, (off_t)log_size), 0);
	bitmap = mmap(NULL, log_size, PROT_READ | PROT_WRITE, MAP_SHARED, log_fd, 0);
	T_ASSERT(bitmap != MAP_FAILED, "mmap");
	lg.mmap_size = log_size;
	lg.mmap_offset = 0;
	/* SET_LOG_BASE answers once the log is mapped (its own reply: a u64 0). */
	T_EQ(req(&f, VHOST_USER_SET_LOG_BASE, &lg, sizeof(lg), &log_fd, 1, &reply), 0);
	T_EQ(reply.payload.u64, 0);
	features = VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_PROTOCOL_FEATURES) |
		   VIO_BIT(VIO_F_RING_EVENT_IDX) | (UINT64_C(1) << 26); /* VHOST_F_LOG_ALL */
	T_EQ(req(&f, VHOST_USER_SET_FEATURES, &features, 8, NULL, 0, NULL), 0);
	rx = guest_post_rx(&f);
	m = rte_pktmbuf_alloc(pool);
	memset(rte_pktmbuf_append(m, 64), 1, 64);
	T_EQ(vio_vhost_enqueue_burst(vid, 0, &m, 1), 1);
	rte_pktmbuf_free(m);
	T_EQ(vio_split_drv_reap(&f.drv[0], &id, &len), 0);
	page = rx / 4096;
	T_ASSERT(bitmap[page / 8] & (1u << (page % 8)), "receive buffer page logged");
	page = f.ring_gpa[0] / 4096;
	T_ASSERT(bitmap[page / 8] & (1u << (page % 8)), "used ring page logged");
	munmap(bitmap, log_size);
	close(log_fd);
	frontend_close(&f);
	return 0;
}

/* SEND_RARP: the next dequeue on queue 1 starts with a RARP from that MAC. */
static int
test_vhost_frontend_send_rarp(void)
{
	uint64_t mac = 0;
	struct frontend f;
	struct rte_mbuf *m[4];
	const uint8_t *p;
	int vid, i, n;

	T_EQ(frontend_connect(&f), 0);
	vid = atomic_load(&ready_vid);
	memcpy(&mac, "\x52\x54\x00\x12\x34\x56", 6);
	T_EQ(req(&f, VHOST_USER_SEND_RARP, &mac, 8, NULL, 0, NULL), 0);
	n = vio_vhost_dequeue_burst(vid, 1, pool, m, 4);
	T_EQ(n, 1);
	p = rte_pktmbuf_mtod(m[0], const uint8_t *);
	T_EQ(p[12], 0x80);
	T_EQ(p[13], 0x35);
	T_ASSERT(memcmp(p + 6, "\x52\x54\x00\x12\x34\x56", 6) == 0, "source MAC");
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
	/* Once only. */
	T_EQ(vio_vhost_dequeue_burst(vid, 1, pool, m, 4), 0);
	frontend_close(&f);
	return 0;
}

/* A hostile transmit ring breaks that queue only: logged, error fd signalled, rx goes on. */
static int
test_vhost_frontend_hostile_ring_breaks_its_queue_only(void)
{
	struct frontend f;
	struct rte_mbuf *m[4];
	struct vio_vq_stats st;
	struct pollfd p;
	size_t mark;
	int vid;
	uint16_t id;
	uint32_t len;

	T_EQ(frontend_connect(&f), 0);
	vid = atomic_load(&ready_vid);
	fflush(log_stream);
	mark = log_len;
	/* An avail entry naming descriptor 200 of a 64-entry ring. */
	f.drv[1].r.avail->ring[0] = 200;
	f.drv[1].avail_idx = 1;
	vio_split_drv_publish(&f.drv[1]);
	T_EQ(vio_vhost_dequeue_burst(vid, 1, pool, m, 4), 0);
	T_EQ(vio_vhost_queue_stats_get(vid, 1, &st), 0);
	T_EQ(st.err_desc_idx, 1);
	p = (struct pollfd){ .fd = f.err[1], .events = POLLIN };
	T_EQ(poll(&p, 1, 2000), 1);
	fflush(log_stream);
	T_ASSERT(strstr(log_buf + mark, "vring 1: the frontend broke the queue") != NULL, "log: %s",
		 log_buf + mark);
	/* The receive queue still works. */
	guest_post_rx(&f);
	m[0] = rte_pktmbuf_alloc(pool);
	memset(rte_pktmbuf_append(m[0], 60), 2, 60);
	T_EQ(vio_vhost_enqueue_burst(vid, 0, m, 1), 1);
	rte_pktmbuf_free(m[0]);
	T_EQ(vio_split_drv_reap(&f.drv[0], &id, &len), 0);
	frontend_close(&f);
	return 0;
}

/* GET_VRING_BASE stops the ring where it stands: bursts move nothing, destroy comes. */
static int
test_vhost_frontend_get_vring_base_stops_ring(void)
{
	struct vhost_user_vring_state st = { .index = 1 };
	struct vhost_user_msg reply;
	struct frontend f;
	struct rte_mbuf *m[4];
	int vid, before = atomic_load(&destroyed);

	T_EQ(frontend_connect(&f), 0);
	vid = atomic_load(&ready_vid);
	T_EQ(guest_send(&f, 60), 0);
	T_EQ(guest_send(&f, 60), 0);
	T_EQ(vio_vhost_dequeue_burst(vid, 1, pool, m, 4), 2);
	rte_pktmbuf_free_bulk(m, 2);
	T_EQ(req(&f, VHOST_USER_GET_VRING_BASE, &st, sizeof(st), NULL, 0, &reply), 0);
	T_EQ(reply.payload.state.num, 2);
	T_EQ(guest_send(&f, 60), 0);
	T_EQ(vio_vhost_dequeue_burst(vid, 1, pool, m, 4), 0);
	usleep(50000);
	T_EQ(atomic_load(&destroyed), before + 1);
	frontend_close(&f);
	return 0;
}

/*
 * A frontend that pauses its rings around a new memory table (DPDK's
 * virtio_user does, at every growth of its heap) keeps its device running:
 * no destroy_device (no link flap); and the application's kick request
 * (Rx interrupts) survives the ring restart.
 */
static int
test_vhost_frontend_pause_keeps_device_and_kick_request(void)
{
	struct vhost_user_mem_table mt = { .nregions = 1 };
	struct vhost_user_vring_state st = { 0 };
	int vid, before = atomic_load(&destroyed);
	struct rte_mbuf *m[4];
	struct frontend f;
	uint64_t features;
	unsigned int q;

	T_EQ(frontend_connect(&f), 0);
	vid = atomic_load(&ready_vid);
	T_EQ(vio_vhost_get_negotiated_features(vid, &features), 0);
	f.drv[1].event_idx = (features & VIO_BIT(VIO_F_RING_EVENT_IDX)) != 0;
	T_EQ(vio_vhost_notify_enable(vid, 1, true), 0);
	T_EQ(guest_send(&f, 60), 0);
	T_ASSERT(vio_split_drv_need_kick(&f.drv[1]), "no kick asked after notify_enable");
	T_EQ(vio_vhost_dequeue_burst(vid, 1, pool, m, 4), 1);
	rte_pktmbuf_free(m[0]);
	/* Pause, the same table again, resume. */
	for (q = 0; q < 2; q++) {
		st.index = q;
		st.num = 0;
		T_EQ(req(&f, VHOST_USER_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0, NULL), 0);
	}
	mt.regions[0].gpa = TG_GPA_BASE;
	mt.regions[0].size = f.g.size;
	mt.regions[0].uaddr = (uint64_t)(uintptr_t)f.g.base;
	T_EQ(req(&f, VHOST_USER_SET_MEM_TABLE, &mt, 8 + 32, &f.g.fd, 1, NULL), 0);
	for (q = 0; q < 2; q++) {
		st.index = q;
		st.num = 1;
		T_EQ(req(&f, VHOST_USER_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0, NULL), 0);
	}
	usleep(50000); /* callbacks run on the control thread */
	T_EQ(atomic_load(&destroyed), before);
	T_EQ(atomic_load(&ready_vid), vid);
	T_EQ(guest_send(&f, 60), 0);
	T_ASSERT(vio_split_drv_need_kick(&f.drv[1]),
		 "the kick request did not survive the restart");
	T_EQ(vio_vhost_dequeue_burst(vid, 1, pool, m, 4), 1);
	rte_pktmbuf_free(m[0]);
	frontend_close(&f);
	return 0;
}

/* The monitoring queries (telemetry): the socket, the memory table, a vring's state. */
static int
test_vhost_frontend_monitoring_queries(void)
{
	struct vio_vhost_mem_region_info r[2];
	struct vio_vhost_socket_info si;
	struct vio_vhost_vring_info vi;
	struct rte_mbuf *m[4];
	struct frontend f;
	uint64_t before;
	int vid, i;

	T_EQ(vio_vhost_get_socket_info(path, &si), 0);
	T_EQ(si.started, 1);
	before = si.connections;
	T_EQ(frontend_connect(&f), 0);
	vid = atomic_load(&ready_vid);
	T_EQ(vio_vhost_get_socket_info(path, &si), 0);
	T_EQ(si.vid, vid);
	T_EQ(si.connections, before + 1);
	T_EQ(vio_vhost_get_mem_regions(vid, NULL, 0), 1);
	T_EQ(vio_vhost_get_mem_regions(vid, r, RTE_DIM(r)), 1);
	T_EQ(r[0].gpa, TG_GPA_BASE);
	T_EQ(r[0].size, f.g.size);
	T_EQ(r[0].uaddr, (uint64_t)(uintptr_t)f.g.base);
	T_EQ(vio_vhost_get_iotlb_entries(vid), -ENOTSUP); /* no vIOMMU on this socket */
	for (i = 0; i < 3; i++)
		T_EQ(guest_send(&f, 60), 0);
	T_EQ(vio_vhost_get_vring_info(vid, 1, &vi), 0);
	T_ASSERT(vi.live && vi.started && vi.enabled && !vi.broken && !vi.ring.packed, "vring 1");
	T_EQ(vi.size, RING);
	T_EQ(vi.ring.avail_idx, 3); /* posted, not taken yet */
	T_EQ(vi.ring.last_avail_idx, 0);
	T_EQ(vio_vhost_dequeue_burst(vid, 1, pool, m, 4), 3);
	rte_pktmbuf_free_bulk(m, 3);
	T_EQ(vio_vhost_get_vring_info(vid, 1, &vi), 0);
	T_EQ(vi.ring.last_avail_idx, 3);
	T_EQ(vi.ring.last_used_idx, 3); /* used->idx as published */
	T_EQ(vio_vhost_get_vring_info(vid, 2, &vi), 0);
	T_ASSERT(!vi.live && !vi.started && vi.size == 0, "vring 2 was never set up");
	T_EQ(vio_vhost_get_vring_info(vid, 32, &vi), -EINVAL);
	frontend_close(&f);
	T_EQ(vio_vhost_get_socket_info(path, &si), 0);
	T_EQ(si.vid, -1);
	T_EQ(vio_vhost_get_mem_regions(vid, NULL, 0), -ENODEV);
	T_EQ(vio_vhost_get_socket_info("/nonexistent.sock", &si), -ENOENT);
	return 0;
}

/* vIOMMU: vio_vhost_get_iotlb_entries() counts what IOTLB updates and invalidations leave. */
static int
test_vhost_frontend_iotlb_entries(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vhost_user_mem_table mt = { .nregions = 1 };
	struct vhost_user_iotlb u = { .perm = VHOST_USER_ACCESS_RW };
	struct vio_vhost_socket_info si;
	char ipath[sizeof(path) + 8];
	struct vhost_user_msg msg;
	struct frontend f;
	uint64_t features, pf = UINT64_C(1) << VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK;
	int vid;

	snprintf(ipath, sizeof(ipath), "%s.iommu", path);
	T_EQ(vio_vhost_register(ipath, VIO_VHOST_F_IOMMU), 0);
	T_EQ(vio_vhost_start(ipath), 0);
	memset(&f, 0, sizeof(f));
	T_EQ(tg_mem_init(&f.g, 1 << 20, 1), 0);
	f.sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ipath);
	T_EQ(connect(f.sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	T_EQ(send_msg(&f, VHOST_USER_GET_FEATURES, NULL, 0, NULL, 0), 0);
	T_EQ(recv_reply(&f, &msg), 0);
	T_ASSERT(msg.payload.u64 & VIO_BIT(VIO_F_ACCESS_PLATFORM), "no ACCESS_PLATFORM offered");
	features = msg.payload.u64 & (VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_PROTOCOL_FEATURES) |
				      VIO_BIT(VIO_F_ACCESS_PLATFORM));
	{
		struct vhost_user_hdr hdr = { VHOST_USER_SET_PROTOCOL_FEATURES, V, 8 };

		T_EQ(vhost_user_msg_send(f.sock, &hdr, &pf, NULL, 0), 0);
	}
	T_EQ(req(&f, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, NULL), 0);
	T_EQ(req(&f, VHOST_USER_SET_FEATURES, &features, 8, NULL, 0, NULL), 0);
	mt.regions[0].gpa = TG_GPA_BASE;
	mt.regions[0].size = f.g.size;
	mt.regions[0].uaddr = (uint64_t)(uintptr_t)f.g.base;
	T_EQ(req(&f, VHOST_USER_SET_MEM_TABLE, &mt, 8 + 32, &f.g.fd, 1, NULL), 0);
	T_EQ(vio_vhost_get_socket_info(ipath, &si), 0);
	vid = si.vid;
	T_ASSERT(vid >= 0, "no connection on %s", ipath);
	T_EQ(vio_vhost_get_iotlb_entries(vid), 0);
	u.type = VHOST_USER_IOTLB_UPDATE;
	u.iova = 0x10000;
	u.size = 4096;
	u.uaddr = mt.regions[0].uaddr;
	T_EQ(req(&f, VHOST_USER_IOTLB_MSG, &u, sizeof(u), NULL, 0, NULL), 0);
	u.iova = 0x40000;
	u.size = 8192;
	u.uaddr = mt.regions[0].uaddr + 8192;
	T_EQ(req(&f, VHOST_USER_IOTLB_MSG, &u, sizeof(u), NULL, 0, NULL), 0);
	T_EQ(vio_vhost_get_iotlb_entries(vid), 2);
	u.type = VHOST_USER_IOTLB_INVALIDATE;
	u.iova = 0x10000;
	u.size = 4096;
	T_EQ(req(&f, VHOST_USER_IOTLB_MSG, &u, sizeof(u), NULL, 0, NULL), 0);
	T_EQ(vio_vhost_get_iotlb_entries(vid), 1);
	close(f.sock);
	tg_mem_fini(&f.g);
	T_EQ(vio_vhost_unregister(ipath), 0);
	T_EQ(vio_vhost_get_iotlb_entries(vid), -ENODEV);
	return 0;
}

static int
test_vhost_frontend_unregister(void)
{
	T_EQ(vio_vhost_unregister(path), 0);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_vhost_frontend_traffic),
	VIO_TEST(test_vhost_frontend_dirty_log),
	VIO_TEST(test_vhost_frontend_send_rarp),
	VIO_TEST(test_vhost_frontend_hostile_ring_breaks_its_queue_only),
	VIO_TEST(test_vhost_frontend_get_vring_base_stops_ring),
	VIO_TEST(test_vhost_frontend_pause_keeps_device_and_kick_request),
	VIO_TEST(test_vhost_frontend_monitoring_queries),
	VIO_TEST(test_vhost_frontend_iotlb_entries),
	VIO_TEST(test_vhost_frontend_unregister),
};

int
main(int argc, char **argv)
{
	struct vio_vhost_ops ops = { .new_device_cb = on_new, .destroy_device_cb = on_destroy };

	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	log_stream = open_memstream(&log_buf, &log_len);
	if (log_stream == NULL || rte_openlog_stream(log_stream) < 0)
		return 1;
	pool = tg_pktmbuf_pool("frontend", 1023);
	snprintf(path, sizeof(path), "/tmp/vio-test-fe-%d.sock", getpid());
	if (pool == NULL || vio_vhost_register(path, 0) < 0 ||
	    vio_vhost_callbacks_register(path, &ops, NULL) < 0 || vio_vhost_start(path) < 0)
		return 1;
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}
