/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Two-lcore loopback: the guest (main lcore, vio's driver-side primitives)
 * transmits numbered packets of mixed sizes; the device (worker lcore, vio's
 * engine) dequeues them from the guest's transmit queue and enqueues them
 * into its receive queue; the guest checks every byte, and that nothing is
 * lost, duplicated or reordered. Run over the whole matrix: split and packed,
 * mergeable receive buffers on and off, indirect descriptors on and off,
 * event idx on and off.
 *
 *   test-loopback [--packets N] [--only NAME]
 *
 * N is the number of packets of each configuration of the matrix.
 */

#include <getopt.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "vio_test.h"
#include "vio_test_guest.h"

#define RING_SIZE    256
#define HDR_LEN      12
#define PKT_MAX      9000
#define MRG_BUF_LEN  1536
#define BIG_BUF_LEN  (HDR_LEN + PKT_MAX)
#define INDIRECT_MAX 4
#define DEV_BURST    64
#define REF_LEN      (65536 + PKT_MAX)
/* No progress for this long means a lost packet or a hung queue. */
#define STALL_SECONDS 10

struct config {
	bool packed;
	bool mrg;
	bool indirect;
	bool event_idx;
};

struct loop {
	struct config cfg;
	struct tg_mem g;
	struct tg_vq tx; /* guest transmits, device dequeues */
	struct tg_vq rx; /* device enqueues, guest receives */
	uint64_t tx_buf_gpa;
	uint64_t rx_buf_gpa;
	uint32_t rx_buf_len;
	uint64_t nb_packets;
	atomic_bool stop;
	atomic_uint_fast64_t dev_moved;
	struct rte_mempool *pool;
	/* receive-side reassembly */
	uint64_t rx_seq;
	uint32_t rx_got;  /* bytes of the current packet checked */
	uint32_t rx_left; /* buffers of the current packet still to come */
	uint32_t rx_len;  /* expected length of the current packet */
};

static uint8_t ref[REF_LEN];

/* Deterministic packet size of sequence number @p seq: half small, a third mid, the rest jumbo. */
static uint32_t
pkt_len(uint64_t seq)
{
	uint64_t h = seq * 0x9e3779b97f4a7c15ull;
	uint32_t r = (uint32_t)(h >> 32);

	if (r % 100 < 50)
		return 60 + r % 140;
	if (r % 100 < 85)
		return 200 + r % (1518 - 200 + 1);
	return 1519 + r % (PKT_MAX - 1519 + 1);
}

static const uint8_t *
pkt_data(uint64_t seq)
{
	return &ref[(seq * 7919) % 65536];
}

/* The device lcore: dequeue from tx, enqueue all of it into rx, retrying until the guest posts. */
static int
device_main(void *arg)
{
	struct loop *l = arg;
	struct rte_mbuf *pkts[DEV_BURST];

	while (!atomic_load_explicit(&l->stop, memory_order_relaxed)) {
		uint16_t n = vio_vq_dequeue_burst(l->tx.vq, l->pool, pkts, DEV_BURST);
		uint16_t sent = 0;

		while (sent < n) {
			sent += vio_vq_enqueue_burst(l->rx.vq, pkts + sent, n - sent);
			if (vio_vq_is_broken(l->rx.vq) ||
			    atomic_load_explicit(&l->stop, memory_order_relaxed))
				break;
		}
		rte_pktmbuf_free_bulk(pkts, n);
		if (n > 0)
			atomic_fetch_add_explicit(&l->dev_moved, n, memory_order_relaxed);
		if (vio_vq_is_broken(l->tx.vq) || vio_vq_is_broken(l->rx.vq))
			break;
	}
	return 0;
}

static uint64_t
tx_gpa(const struct loop *l, uint16_t id)
{
	return l->tx_buf_gpa + (uint64_t)id * RTE_ALIGN_CEIL(BIG_BUF_LEN, 64);
}

static uint64_t
rx_gpa(const struct loop *l, uint16_t id)
{
	return l->rx_buf_gpa + (uint64_t)id * RTE_ALIGN_CEIL(l->rx_buf_len, 64);
}

/*
 * Post packet @p seq. The buffer is chosen by the id the ring gives, so the
 * chain is built first with placeholder addresses of the id the free list
 * hands out next.
 */
static int
guest_send(struct loop *l, uint64_t seq)
{
	uint16_t next_id = l->cfg.packed ? l->tx.p.free_id : l->tx.s.free_head;
	uint64_t gpa = tx_gpa(l, next_id);
	uint8_t *p = tg_ptr(&l->g, gpa);
	uint32_t len = pkt_len(seq);
	struct vio_ring_buf b[3];
	uint16_t n;
	int id;

	/* With no free descriptor, the free list's head is stale: don't touch its buffer. */
	if (tg_vq_nb_free(&l->tx) < 3)
		return -ENOSPC;
	memset(p, 0, HDR_LEN);
	memcpy(p + HDR_LEN, pkt_data(seq), len);
	/* Vary the layout: header alone, header with data, payload in two. */
	switch (seq % 3) {
	case 0:
		b[0] = (struct vio_ring_buf){ gpa, HDR_LEN + len, 0 };
		n = 1;
		break;
	case 1:
		b[0] = (struct vio_ring_buf){ gpa, HDR_LEN, 0 };
		b[1] = (struct vio_ring_buf){ gpa + HDR_LEN, len, 0 };
		n = 2;
		break;
	default:
		b[0] = (struct vio_ring_buf){ gpa, HDR_LEN + len / 2, 0 };
		b[1] = (struct vio_ring_buf){ gpa + HDR_LEN + len / 2, len - len / 2 - 1, 0 };
		b[2] = (struct vio_ring_buf){ gpa + HDR_LEN + len - 1, 1, 0 };
		n = 3;
		break;
	}
	id = tg_vq_post(&l->tx, b, n, l->cfg.indirect);
	if (id < 0)
		return id;
	T_EQ(id, next_id);
	return 0;
}

/* Post one receive buffer; non-mergeable buffers are split in two descriptors. */
static int
guest_post_rx(struct loop *l)
{
	uint16_t next_id = l->cfg.packed ? l->rx.p.free_id : l->rx.s.free_head;
	uint64_t gpa = rx_gpa(l, next_id);
	struct vio_ring_buf b[2];
	uint16_t n = 1;
	int id;

	if (tg_vq_nb_free(&l->rx) < 2)
		return -ENOSPC;
	if (l->cfg.mrg) {
		b[0] = (struct vio_ring_buf){ gpa, l->rx_buf_len, 1 };
	} else {
		b[0] = (struct vio_ring_buf){ gpa, 1024, 1 };
		b[1] = (struct vio_ring_buf){ gpa + 1024, l->rx_buf_len - 1024, 1 };
		n = 2;
	}
	id = tg_vq_post(&l->rx, b, n, l->cfg.indirect);
	if (id < 0)
		return id;
	T_EQ(id, next_id);
	return 0;
}

/* Check one used receive buffer against the packet stream. */
static int
guest_check_rx(struct loop *l, uint16_t id, uint32_t len)
{
	const uint8_t *p = tg_ptr(&l->g, rx_gpa(l, id));

	T_ASSERT(len <= l->rx_buf_len, "used len %u > buffer %u", len, l->rx_buf_len);
	if (l->rx_left == 0) {
		const struct vio_net_hdr_mrg *h = (const void *)p;

		l->rx_len = pkt_len(l->rx_seq);
		l->rx_got = 0;
		l->rx_left = l->cfg.mrg ? h->num_buffers : 1;
		T_ASSERT(l->rx_left >= 1 && l->rx_left <= RING_SIZE, "num_buffers %u", l->rx_left);
		T_ASSERT(len >= HDR_LEN, "packet %" PRIu64 ": used len %u", l->rx_seq, len);
		T_EQ(h->hdr.flags, 0);
		T_EQ(h->hdr.gso_type, 0);
		p += HDR_LEN;
		len -= HDR_LEN;
	}
	T_ASSERT(l->rx_got + len <= l->rx_len, "packet %" PRIu64 ": %u bytes, expected %u",
		 l->rx_seq, l->rx_got + len, l->rx_len);
	T_ASSERT(memcmp(p, pkt_data(l->rx_seq) + l->rx_got, len) == 0,
		 "packet %" PRIu64 " (len %u): bytes %u..%u differ (lost, duplicated or reordered)",
		 l->rx_seq, l->rx_len, l->rx_got, l->rx_got + len);
	l->rx_got += len;
	if (--l->rx_left == 0) {
		T_ASSERT(l->rx_got == l->rx_len, "packet %" PRIu64 ": got %u of %u bytes",
			 l->rx_seq, l->rx_got, l->rx_len);
		l->rx_seq++;
	}
	return 0;
}

static int
guest_loop(struct loop *l)
{
	uint64_t tx_seq = 0, last_progress_seq = 0;
	uint64_t deadline = rte_get_timer_cycles() + STALL_SECONDS * rte_get_timer_hz();

	while (l->rx_seq < l->nb_packets) {
		uint16_t id;
		uint32_t len;
		int ret;

		/* Transmit while there is room. */
		while (tx_seq < l->nb_packets && guest_send(l, tx_seq) == 0)
			tx_seq++;
		tg_vq_publish(&l->tx);
		while ((ret = tg_vq_reap(&l->tx, &id, &len)) == 0)
			T_EQ(len, 0);
		T_EQ(ret, -EAGAIN);
		/* Receive and refill. */
		while ((ret = tg_vq_reap(&l->rx, &id, &len)) == 0) {
			ret = guest_check_rx(l, id, len);
			T_EQ(ret, 0);
		}
		T_EQ(ret, -EAGAIN);
		while (guest_post_rx(l) == 0)
			;
		tg_vq_publish(&l->rx);

		if (l->rx_seq != last_progress_seq) {
			last_progress_seq = l->rx_seq;
			deadline = rte_get_timer_cycles() + STALL_SECONDS * rte_get_timer_hz();
		} else if (rte_get_timer_cycles() > deadline) {
			fprintf(stderr,
				"no progress for %d s at packet %" PRIu64 " (sent %" PRIu64
				", device moved %" PRIu64 ")\n",
				STALL_SECONDS, l->rx_seq, tx_seq,
				(uint64_t)atomic_load(&l->dev_moved));
			return -1;
		}
		T_ASSERT(!vio_vq_is_broken(l->tx.vq) && !vio_vq_is_broken(l->rx.vq),
			 "a queue broke");
	}
	return 0;
}

static int
loop_setup(struct loop *l, const struct config *c, uint64_t nb_packets, struct rte_mempool *pool)
{
	uint64_t features = VIO_BIT(VIO_F_VERSION_1) |
			    (c->packed ? VIO_BIT(VIO_F_RING_PACKED) : 0) |
			    (c->mrg ? VIO_BIT(VIO_NET_F_MRG_RXBUF) : 0) |
			    (c->indirect ? VIO_BIT(VIO_F_RING_INDIRECT_DESC) : 0) |
			    (c->event_idx ? VIO_BIT(VIO_F_RING_EVENT_IDX) : 0);

	memset(l, 0, sizeof(*l));
	l->cfg = *c;
	l->nb_packets = nb_packets;
	l->pool = pool;
	l->rx_buf_len = c->mrg ? MRG_BUF_LEN : BIG_BUF_LEN;
	/* Three regions: buffers cross region edges now and then. */
	T_EQ(tg_mem_init(&l->g, 12 << 20, 3), 0);
	T_EQ(tg_vq_init(&l->tx, &l->g, RING_SIZE, features, c->indirect ? INDIRECT_MAX : 0), 0);
	T_EQ(tg_vq_init(&l->rx, &l->g, RING_SIZE, features, c->indirect ? INDIRECT_MAX : 0), 0);
	l->tx_buf_gpa = tg_alloc(&l->g, RING_SIZE * RTE_ALIGN_CEIL(BIG_BUF_LEN, 64), 64);
	l->rx_buf_gpa = tg_alloc(&l->g, RING_SIZE * RTE_ALIGN_CEIL(l->rx_buf_len, 64), 64);
	T_ASSERT(l->tx_buf_gpa != 0 && l->rx_buf_gpa != 0, "guest memory");
	/* A polling guest: no interrupts wanted. */
	if (c->packed) {
		vio_packed_drv_set_intr(&l->tx.p, false);
		vio_packed_drv_set_intr(&l->rx.p, false);
	} else {
		vio_split_drv_set_intr(&l->tx.s, false);
		vio_split_drv_set_intr(&l->rx.s, false);
	}
	return 0;
}

static int
run_config(const struct config *c, uint64_t nb_packets, struct rte_mempool *pool)
{
	unsigned int avail_before = rte_mempool_avail_count(pool);
	unsigned int worker = rte_get_next_lcore(-1, 1, 0);
	static struct loop l;
	uint64_t start = rte_get_timer_cycles();
	double secs;
	int ret;

	if (worker >= RTE_MAX_LCORE) {
		fprintf(stderr, "needs two lcores\n");
		return -1;
	}
	T_EQ(loop_setup(&l, c, nb_packets, pool), 0);
	T_EQ(rte_eal_remote_launch(device_main, &l, worker), 0);
	ret = guest_loop(&l);
	atomic_store(&l.stop, true);
	rte_eal_wait_lcore(worker);
	secs = (double)(rte_get_timer_cycles() - start) / rte_get_timer_hz();
	printf("  %-6s mrg=%d indirect=%d event_idx=%d: %" PRIu64 " packets in %.2f s "
	       "(%.2f Mpps), guest interrupts %" PRIu64 " (suppressed %" PRIu64 ")\n",
	       c->packed ? "packed" : "split", c->mrg, c->indirect, c->event_idx, l.rx_seq, secs,
	       l.rx_seq / secs / 1e6, tg_vq_stats(&l.rx).guest_notifications,
	       tg_vq_stats(&l.rx).guest_notifications_suppressed);
	T_EQ(ret, 0);
	T_EQ(l.rx_seq, nb_packets);
	T_EQ(tg_vq_stats(&l.tx).packets, nb_packets);
	T_EQ(tg_vq_stats(&l.rx).packets, nb_packets);
	T_EQ(tg_vq_stats(&l.tx).mbuf_alloc_failed, 0);
	T_EQ(rte_mempool_avail_count(pool), avail_before);
	tg_vq_fini(&l.tx);
	tg_vq_fini(&l.rx);
	tg_mem_fini(&l.g);
	return 0;
}

static uint64_t opt_packets = 100000;
static const char *opt_only;

static int
test_loopback_matrix(void)
{
	struct rte_mempool *pool = tg_pktmbuf_pool("loopback", 8191);
	unsigned int i;
	int ret = 0;

	T_ASSERT(pool != NULL, "mempool");
	for (i = 0; i < 16 && ret == 0; i++) {
		struct config c = {
			.packed = i & 1,
			.mrg = i & 2,
			.indirect = i & 4,
			.event_idx = i & 8,
		};
		char name[64];

		snprintf(name, sizeof(name), "%s-mrg%d-ind%d-evt%d", c.packed ? "packed" : "split",
			 c.mrg, c.indirect, c.event_idx);
		if (opt_only != NULL && strstr(name, opt_only) == NULL)
			continue;
		ret = run_config(&c, opt_packets, pool);
		if (ret != 0)
			fprintf(stderr, "configuration %s failed\n", name);
	}
	rte_mempool_free(pool);
	return ret;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_loopback_matrix),
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "packets", required_argument, NULL, 'p' },
		{ "only", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int i;
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			opt_packets = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			opt_only = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [--packets N] [--only NAME]\n", argv[0]);
			return 1;
		}
	}
	/* Reference bytes from a fixed LCG, so a failure replays. */
	for (i = 0; i < REF_LEN; i++) {
		static uint64_t x = 42;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		ref[i] = (uint8_t)(x >> 56);
	}
	if (vio_test_eal_init(argv[0], "0-1") < 0)
		return 1;
	return vio_test_run(1, argv, cases, RTE_DIM(cases));
}
