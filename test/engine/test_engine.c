/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The device engine driven by vio's own driver-side primitives over memfd
 * guest memory: each case for split and packed rings.
 */

#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "vio_test.h"
#include "vio_test_guest.h"

#define F_BASE  (VIO_BIT(VIO_F_VERSION_1))
#define HDR_LEN 12

static struct rte_mempool *pool;

static uint8_t
pattern(uint32_t seq, uint32_t off)
{
	return tg_pattern(seq, off);
}

/* Guest memory holding a packet to transmit: header + payload, pattern filled. */
static uint64_t
guest_tx_buf(struct tg_mem *g, uint32_t seq, uint32_t len, const struct vio_net_hdr *h)
{
	uint64_t gpa = tg_alloc(g, HDR_LEN + len, 64);

	tg_put_packet(g, gpa, HDR_LEN, h, seq, len);
	return gpa;
}

static int
check_mbuf(const struct rte_mbuf *m, uint32_t seq, uint32_t len)
{
	uint32_t off = 0;

	T_EQ(rte_pktmbuf_pkt_len(m), len);
	for (; m != NULL; m = m->next) {
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t i;

		for (i = 0; i < m->data_len; i++, off++)
			T_ASSERT(d[i] == pattern(seq, off), "byte %u", off);
	}
	T_EQ(off, len);
	return 0;
}

static struct rte_mbuf *
make_mbuf(uint32_t seq, uint32_t len)
{
	struct rte_mbuf *head = NULL, *last = NULL;
	uint32_t off = 0;

	/* Chained when larger than one mbuf: 1000 bytes per segment to cross edges often. */
	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t n = RTE_MIN(len - off, 1000u);
		uint8_t *d;
		uint32_t i;

		if (m == NULL)
			return NULL;
		d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		for (i = 0; i < n; i++)
			d[i] = pattern(seq, off + i);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		last = m;
	} while (off < len);
	return head;
}

static int
run_dequeue(bool packed, bool indirect, uint32_t nb_regions)
{
	uint64_t features = F_BASE | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0) |
			    (indirect ? VIO_BIT(VIO_F_RING_INDIRECT_DESC) : 0);
	static const uint32_t sizes[] = { 60, 64, 1500, 2048, 2049, 4000, 9000 };
	struct rte_mbuf *out[RTE_DIM(sizes)];
	unsigned int avail_before = rte_mempool_avail_count(pool);
	struct tg_mem g;
	struct tg_vq q;
	uint32_t i;
	uint16_t n;

	T_EQ(tg_mem_init(&g, 8 << 20, nb_regions), 0);
	T_EQ(tg_vq_init(&q, &g, 256, features, indirect ? 8 : 0), 0);
	for (i = 0; i < RTE_DIM(sizes); i++) {
		uint64_t gpa = guest_tx_buf(&g, i, sizes[i], NULL);
		/* Header and payload in separate descriptors, payload split in two. */
		uint32_t half = sizes[i] / 2;
		struct vio_ring_buf b[3] = {
			{ gpa, HDR_LEN, 0 },
			{ gpa + HDR_LEN, half, 0 },
			{ gpa + HDR_LEN + half, sizes[i] - half, 0 },
		};

		T_ASSERT(tg_vq_post(&q, b, 3, indirect) >= 0, "post %u", i);
	}
	tg_vq_publish(&q);
	n = vio_vq_dequeue_burst(q.vq, pool, out, RTE_DIM(out));
	T_EQ(n, RTE_DIM(sizes));
	for (i = 0; i < n; i++) {
		T_EQ(check_mbuf(out[i], i, sizes[i]), 0);
		rte_pktmbuf_free(out[i]);
	}
	for (i = 0; i < n; i++) {
		uint16_t id;
		uint32_t len;

		T_EQ(tg_vq_reap(&q, &id, &len), 0);
		T_EQ(len, 0);
	}
	T_EQ(tg_vq_nb_free(&q), 256);
	T_EQ(vio_vq_dequeue_burst(q.vq, pool, out, 4), 0);
	T_EQ(tg_vq_stats(&q).packets, RTE_DIM(sizes));
	T_ASSERT(!vio_vq_is_broken(q.vq), "broken");
	tg_vq_fini(&q);
	tg_mem_fini(&g);
	T_EQ(rte_mempool_avail_count(pool), avail_before);
	return 0;
}

static int
test_engine_dequeue_split(void)
{
	return run_dequeue(false, false, 1);
}

static int
test_engine_dequeue_packed(void)
{
	return run_dequeue(true, false, 1);
}

static int
test_engine_dequeue_split_indirect(void)
{
	return run_dequeue(false, true, 1);
}

static int
test_engine_dequeue_packed_indirect(void)
{
	return run_dequeue(true, true, 1);
}

/* 64 regions of 128 KiB: 9000-byte buffers cross region edges and are split. */
static int
test_engine_dequeue_split_many_regions(void)
{
	return run_dequeue(false, false, 64);
}

static int
test_engine_dequeue_packed_many_regions(void)
{
	return run_dequeue(true, true, 64);
}

static int
run_enqueue(bool packed, bool mrg, uint32_t buf_len)
{
	uint64_t features = F_BASE | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0) |
			    (mrg ? VIO_BIT(VIO_NET_F_MRG_RXBUF) : 0);
	static const uint32_t sizes[] = { 60, 1000, 1514, 3000, 9000 };
	struct rte_mbuf *in[RTE_DIM(sizes)];
	uint64_t bufs[64];
	struct tg_mem g;
	struct tg_vq q;
	uint32_t i, nb_bufs = 0, next_buf = 0;
	uint16_t n;

	T_EQ(tg_mem_init(&g, 8 << 20, 3), 0);
	T_EQ(tg_vq_init(&q, &g, 64, features, 0), 0);
	for (i = 0; i < 64; i++) {
		struct vio_ring_buf b;

		bufs[i] = tg_alloc(&g, buf_len, 64);
		b.addr = bufs[i];
		b.len = buf_len;
		b.write = 1;
		T_ASSERT(tg_vq_post(&q, &b, 1, false) >= 0, "post");
		nb_bufs++;
	}
	tg_vq_publish(&q);
	for (i = 0; i < RTE_DIM(sizes); i++)
		T_ASSERT((in[i] = make_mbuf(i, sizes[i])) != NULL, "mbuf");
	n = vio_vq_enqueue_burst(q.vq, in, RTE_DIM(in));
	T_EQ(n, RTE_DIM(sizes));
	/* Receive: walk used buffers in order and reassemble each packet. */
	for (i = 0; i < n; i++) {
		const struct vio_net_hdr_mrg *h;
		uint32_t got = 0, nbuf, k, expect_bufs;
		uint16_t id;
		uint32_t len;

		T_EQ(tg_vq_reap(&q, &id, &len), 0);
		h = tg_ptr(&g, bufs[next_buf]);
		/* Buffers are used in the order they were posted (ids too). */
		T_ASSERT(tg_ptr(&g, bufs[next_buf]) == h, "order");
		nbuf = h->num_buffers;
		expect_bufs = mrg ? (sizes[i] + HDR_LEN + buf_len - 1) / buf_len : 1;
		T_EQ(nbuf, expect_bufs);
		for (k = 0; k < nbuf; k++) {
			const uint8_t *d = tg_ptr(&g, bufs[next_buf]);
			uint32_t j, start = k == 0 ? HDR_LEN : 0;

			if (k > 0)
				T_EQ(tg_vq_reap(&q, &id, &len), 0);
			for (j = start; j < len; j++, got++)
				T_ASSERT(d[j] == pattern(i, got), "pkt %u byte %u", i, got);
			next_buf++;
		}
		T_EQ(got, sizes[i]);
		rte_pktmbuf_free(in[i]);
	}
	T_EQ(tg_vq_stats(&q).packets, RTE_DIM(sizes));
	tg_vq_fini(&q);
	tg_mem_fini(&g);
	return 0;
}

static int
test_engine_enqueue_split(void)
{
	return run_enqueue(false, false, 9100);
}

static int
test_engine_enqueue_packed(void)
{
	return run_enqueue(true, false, 9100);
}

static int
test_engine_enqueue_split_mergeable(void)
{
	return run_enqueue(false, true, 1536);
}

static int
test_engine_enqueue_packed_mergeable(void)
{
	return run_enqueue(true, true, 1536);
}

/* Without mergeable buffers a packet larger than the buffer stops the burst, counted. */
static int
run_enqueue_too_big(bool packed)
{
	uint64_t features = F_BASE | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0);
	struct rte_mbuf *m[2];
	struct vio_ring_buf b;
	struct tg_mem g;
	struct tg_vq q;

	T_EQ(tg_mem_init(&g, 1 << 20, 1), 0);
	T_EQ(tg_vq_init(&q, &g, 16, features, 0), 0);
	b.addr = tg_alloc(&g, 1536, 64);
	b.len = 1536;
	b.write = 1;
	T_ASSERT(tg_vq_post(&q, &b, 1, false) >= 0, "post");
	tg_vq_publish(&q);
	m[0] = make_mbuf(0, 3000);
	m[1] = make_mbuf(1, 100);
	T_EQ(vio_vq_enqueue_burst(q.vq, m, 2), 0);
	T_EQ(tg_vq_stats(&q).too_big, 1);
	/* The buffer is still there for the next packet. */
	T_EQ(vio_vq_enqueue_burst(q.vq, &m[1], 1), 1);
	T_ASSERT(!vio_vq_is_broken(q.vq), "a too big packet is no error");
	rte_pktmbuf_free(m[0]);
	rte_pktmbuf_free(m[1]);
	tg_vq_fini(&q);
	tg_mem_fini(&g);
	return 0;
}

static int
test_engine_enqueue_too_big_split(void)
{
	return run_enqueue_too_big(false);
}

static int
test_engine_enqueue_too_big_packed(void)
{
	return run_enqueue_too_big(true);
}

/* Offload requests cross in both directions. */
static int
run_offloads(bool packed)
{
	uint64_t features = F_BASE | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0) |
			    VIO_BIT(VIO_NET_F_GUEST_CSUM) | VIO_BIT(VIO_NET_F_GUEST_TSO4) |
			    VIO_BIT(VIO_NET_F_CSUM) | VIO_BIT(VIO_NET_F_HOST_TSO4);
	struct vio_net_hdr h = { 0 };
	struct rte_mbuf *m, *out[2];
	const struct vio_net_hdr *gh;
	struct vio_ring_buf b;
	struct tg_mem g;
	struct tg_vq rx, tx;
	uint64_t rx_gpa, gpa;
	uint16_t id;
	uint32_t len;

	T_EQ(tg_mem_init(&g, 4 << 20, 1), 0);
	T_EQ(tg_vq_init(&rx, &g, 16, features, 0), 0);
	T_EQ(tg_vq_init(&tx, &g, 16, features, 0), 0);

	/* Host to guest: a TSO request becomes gso_type/gso_size and NEEDS_CSUM. */
	rx_gpa = tg_alloc(&g, 4096, 64);
	b.addr = rx_gpa;
	b.len = 4096;
	b.write = 1;
	T_ASSERT(tg_vq_post(&rx, &b, 1, false) >= 0, "post");
	tg_vq_publish(&rx);
	m = make_mbuf(7, 200);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG;
	m->l2_len = 14;
	m->l3_len = 20;
	m->l4_len = 20;
	m->tso_segsz = 1448;
	T_EQ(vio_vq_enqueue_burst(rx.vq, &m, 1), 1);
	rte_pktmbuf_free(m);
	T_EQ(tg_vq_reap(&rx, &id, &len), 0);
	gh = tg_ptr(&g, rx_gpa);
	T_EQ(gh->flags, VIO_NET_HDR_F_NEEDS_CSUM);
	T_EQ(gh->csum_start, 34);
	T_EQ(gh->csum_offset, offsetof(struct rte_tcp_hdr, cksum));
	T_EQ(gh->gso_type, VIO_NET_HDR_GSO_TCPV4);
	T_EQ(gh->gso_size, 1448);
	T_EQ(gh->hdr_len, 54);

	/*
	 * Guest to host: DATA_VALID becomes RX_L4_CKSUM_GOOD (NEEDS_CSUM and GSO,
	 * which need real headers, are in test_offload.c).
	 */
	memset(&h, 0, sizeof(h));
	h.flags = VIO_NET_HDR_F_DATA_VALID;
	gpa = guest_tx_buf(&g, 4, 100, &h);
	b.addr = gpa;
	b.len = HDR_LEN + 100;
	b.write = 0;
	T_ASSERT(tg_vq_post(&tx, &b, 1, false) >= 0, "post");
	tg_vq_publish(&tx);
	T_EQ(vio_vq_dequeue_burst(tx.vq, pool, out, 2), 1);
	T_EQ(out[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	T_EQ(check_mbuf(out[0], 4, 100), 0);
	rte_pktmbuf_free(out[0]);
	tg_vq_fini(&tx);
	tg_vq_fini(&rx);
	tg_mem_fini(&g);
	return 0;
}

static int
test_engine_offloads_split(void)
{
	return run_offloads(false);
}

static int
test_engine_offloads_packed(void)
{
	return run_offloads(true);
}

/*
 * Notifications: the engine tells the guest not to kick (it polls), and
 * interrupts the guest only as its event suppression asks.
 */
static int
run_notify(bool packed, bool event_idx)
{
	uint64_t features = F_BASE | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0) |
			    (event_idx ? VIO_BIT(VIO_F_RING_EVENT_IDX) : 0);
	struct rte_mbuf *out[4];
	struct tg_mem g;
	struct tg_vq q;
	eventfd_t v;
	int i;

	T_EQ(tg_mem_init(&g, 2 << 20, 1), 0);
	T_EQ(tg_vq_init(&q, &g, 64, features, 0), 0);
	/* Kicks are suppressed while the engine polls. */
	for (i = 0; i < 3; i++) {
		uint64_t gpa = guest_tx_buf(&g, i, 100, NULL);
		struct vio_ring_buf b = { gpa, HDR_LEN + 100, 0 };

		T_ASSERT(tg_vq_post(&q, &b, 1, false) >= 0, "post");
		tg_vq_publish(&q);
		T_ASSERT(!tg_vq_need_kick(&q), "kick suppressed");
	}
	/* The guest disables interrupts: the burst does not signal. */
	if (packed)
		vio_packed_drv_set_intr(&q.p, false);
	else
		vio_split_drv_set_intr(&q.s, false);
	T_EQ(vio_vq_dequeue_burst(q.vq, pool, out, 4), 3);
	rte_pktmbuf_free_bulk(out, 3);
	T_ASSERT(eventfd_read(q.callfd, &v) < 0, "no interrupt while disabled");
	T_EQ(tg_vq_stats(&q).guest_notifications_suppressed, 1);
	/* The guest reaps what is used, then enables interrupts. */
	for (i = 0; i < 3; i++) {
		uint16_t id;
		uint32_t len;

		T_EQ(tg_vq_reap(&q, &id, &len), 0);
	}
	if (packed)
		T_ASSERT(!vio_packed_drv_set_intr(&q.p, true), "nothing pending");
	else
		T_ASSERT(!vio_split_drv_set_intr(&q.s, true), "nothing pending");
	/* The engine, idle, asks for kicks: the next post kicks. */
	vio_vq_kick_enable(q.vq, true);
	{
		uint64_t gpa = guest_tx_buf(&g, 9, 100, NULL);
		struct vio_ring_buf b = { gpa, HDR_LEN + 100, 0 };

		T_ASSERT(tg_vq_post(&q, &b, 1, false) >= 0, "post");
		tg_vq_publish(&q);
		T_ASSERT(tg_vq_need_kick(&q), "kick wanted once enabled");
	}
	/* And the burst interrupts the guest. */
	T_EQ(vio_vq_dequeue_burst(q.vq, pool, out, 2), 1);
	rte_pktmbuf_free_bulk(out, 1);
	T_EQ(eventfd_read(q.callfd, &v), 0);
	T_EQ(v, 1);
	T_EQ(tg_vq_stats(&q).guest_notifications, 1);
	tg_vq_fini(&q);
	tg_mem_fini(&g);
	return 0;
}

static int
test_engine_notify_split(void)
{
	return run_notify(false, false);
}

static int
test_engine_notify_split_event_idx(void)
{
	return run_notify(false, true);
}

static int
test_engine_notify_packed(void)
{
	return run_notify(true, false);
}

static int
test_engine_notify_packed_event_idx(void)
{
	return run_notify(true, true);
}

/* With the dirty log on, every guest page the engine writes is marked. */
static int
run_dirty_log(bool packed)
{
	uint64_t features = F_BASE | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0) |
			    VIO_BIT(VIO_NET_F_MRG_RXBUF);
	uint8_t *log;
	uint64_t log_size, buf_gpa, page, ring_page;
	struct vio_ring_buf b;
	struct rte_mbuf *m;
	struct tg_mem g;
	struct tg_vq q;
	uint16_t id;
	uint32_t len;

	T_EQ(tg_mem_init(&g, 1 << 20, 1), 0);
	T_EQ(tg_vq_init(&q, &g, 16, features, 0), 0);
	/* One bit per 4 KiB page of GPA space up to the end of guest memory. */
	log_size = (TG_GPA_BASE + g.size) / VIO_MEM_LOG_PAGE / 8 + 1;
	log = calloc(1, log_size);
	T_ASSERT(log != NULL, "calloc");
	T_EQ(vio_mem_log_attach(g.mem, log, log_size), 0);
	buf_gpa = tg_alloc(&g, 8192, 4096) + 4000; /* straddles two pages */
	b.addr = buf_gpa;
	b.len = 3000;
	b.write = 1;
	T_ASSERT(tg_vq_post(&q, &b, 1, false) >= 0, "post");
	tg_vq_publish(&q);
	m = make_mbuf(1, 500);
	/* Logging off: nothing marked. */
	T_EQ(vio_mem_log_enable(g.mem, true), 0);
	T_EQ(vio_vq_enqueue_burst(q.vq, &m, 1), 1);
	T_EQ(tg_vq_reap(&q, &id, &len), 0);
	page = buf_gpa / VIO_MEM_LOG_PAGE;
	T_ASSERT(log[page / 8] & (1u << (page % 8)), "first buffer page logged");
	page++;
	T_ASSERT(log[page / 8] & (1u << (page % 8)), "second buffer page logged");
	ring_page = (packed ? q.desc_gpa : q.device_gpa) / VIO_MEM_LOG_PAGE;
	T_ASSERT(log[ring_page / 8] & (1u << (ring_page % 8)), "used ring page logged");
	page++;
	T_ASSERT(!(log[page / 8] & (1u << (page % 8))), "untouched page not logged");
	T_EQ(vio_mem_log_overflows(g.mem), 0);
	rte_pktmbuf_free(m);
	vio_mem_log_attach(g.mem, NULL, 0);
	free(log);
	tg_vq_fini(&q);
	tg_mem_fini(&g);
	return 0;
}

static int
test_engine_dirty_log_split(void)
{
	return run_dirty_log(false);
}

static int
test_engine_dirty_log_packed(void)
{
	return run_dirty_log(true);
}

/* Bursts larger than 32 are served whole. */
static int
run_big_burst(bool packed)
{
	uint64_t features = F_BASE | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0);
	struct rte_mbuf *out[200];
	struct tg_mem g;
	struct tg_vq q;
	int i;

	T_EQ(tg_mem_init(&g, 4 << 20, 1), 0);
	T_EQ(tg_vq_init(&q, &g, 256, features, 0), 0);
	for (i = 0; i < 200; i++) {
		uint64_t gpa = guest_tx_buf(&g, i, 64, NULL);
		struct vio_ring_buf b = { gpa, HDR_LEN + 64, 0 };

		T_ASSERT(tg_vq_post(&q, &b, 1, false) >= 0, "post");
	}
	tg_vq_publish(&q);
	T_EQ(vio_vq_dequeue_burst(q.vq, pool, out, 200), 200);
	for (i = 0; i < 200; i++)
		T_EQ(check_mbuf(out[i], i, 64), 0);
	rte_pktmbuf_free_bulk(out, 200);
	tg_vq_fini(&q);
	tg_mem_fini(&g);
	return 0;
}

static int
test_engine_burst_200_split(void)
{
	return run_big_burst(false);
}

static int
test_engine_burst_200_packed(void)
{
	return run_big_burst(true);
}

/* ------------------------------------------------------------------------ */
/* vIOMMU: buffer addresses are IOVAs (here equal to the GPAs) through an IOTLB */
/* ------------------------------------------------------------------------ */

#define TG_UADDR_BASE UINT64_C(0x7f0000000000) /* vio_test_guest.c's frontend addresses */

/* Swap the engine queue of @p q for one that translates through @p tlb. */
static int
vq_with_iotlb(struct tg_vq *q, struct vio_iotlb *tlb, int missfd)
{
	struct vio_vq_config cfg;

	vio_vq_free(q->vq);
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "iotlb";
	cfg.mem = q->g->mem;
	cfg.features = q->features;
	cfg.size = q->size;
	cfg.desc = tg_ptr(q->g, q->desc_gpa);
	cfg.driver_area = tg_ptr(q->g, q->driver_gpa);
	cfg.device_area = tg_ptr(q->g, q->device_gpa);
	cfg.base = q->packed ? 1u << 15 : 0;
	cfg.callfd = -1;
	cfg.errfd = q->errfd;
	cfg.iotlb = tlb;
	cfg.missfd = missfd;
	q->vq = vio_vq_create(&cfg, SOCKET_ID_ANY);
	return q->vq == NULL ? -1 : 0;
}

/* The identity map of the whole test guest (IOVA = GPA), read-write. */
static int
iotlb_map_all(struct vio_iotlb *tlb, struct tg_mem *g)
{
	return vio_iotlb_update(tlb, g->mem, TG_GPA_BASE, g->size, TG_UADDR_BASE,
				VIO_MEM_ACCESS_RW);
}

static bool
fd_signalled(int fd)
{
	eventfd_t v;

	return eventfd_read(fd, &v) == 0 && v > 0;
}

/*
 * A miss stops the burst before the chain, breaks nothing, is reported once
 * (missfd, vio_vq_iotlb_miss), and the chain goes through once the IOTLB has
 * the page and the queue was told to retry. @p hole: 0 the second packet's
 * buffer page is missing, 1 the whole IOTLB is empty (with indirect tables,
 * the first table misses).
 */
static int
run_iotlb_miss_dequeue(bool packed, bool indirect, int hole)
{
	uint64_t features = F_BASE | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0) |
			    (indirect ? VIO_BIT(VIO_F_RING_INDIRECT_DESC) : 0);
	struct rte_mbuf *out[4];
	uint64_t gpa[3], iova = 0, miss_lo, miss_hi;
	enum vio_mem_access access = 0;
	struct vio_iotlb *tlb = vio_iotlb_create(64);
	int missfd = eventfd(0, EFD_NONBLOCK);
	struct tg_mem g;
	struct tg_vq q;
	uint32_t i, first;
	uint16_t n;

	T_ASSERT(tlb != NULL && missfd >= 0, "set-up");
	T_EQ(tg_mem_init(&g, 1 << 20, 1), 0);
	T_EQ(tg_vq_init(&q, &g, 64, features, indirect ? 4 : 0), 0);
	T_EQ(vq_with_iotlb(&q, tlb, missfd), 0);
	T_EQ(iotlb_map_all(tlb, &g), 0);
	for (i = 0; i < 3; i++) {
		struct vio_ring_buf b[2];

		tg_alloc(&g, 0, 4096); /* each packet in a page of its own */
		gpa[i] = guest_tx_buf(&g, i, 3000, NULL);
		b[0] = (struct vio_ring_buf){ gpa[i], HDR_LEN, 0 };
		b[1] = (struct vio_ring_buf){ gpa[i] + HDR_LEN, 3000, 0 };
		T_ASSERT(tg_vq_post(&q, b, 2, indirect) >= 0, "post %u", i);
	}
	tg_vq_publish(&q);
	if (hole == 0) {
		miss_lo = gpa[1];
		miss_hi = miss_lo + 4096;
		vio_iotlb_invalidate(tlb, miss_lo, 4096);
		first = 1;
	} else {
		miss_lo = TG_GPA_BASE;
		miss_hi = TG_GPA_BASE + g.size;
		vio_iotlb_flush(tlb);
		first = 0;
	}
	n = vio_vq_dequeue_burst(q.vq, pool, out, 4);
	T_EQ(n, first);
	for (i = 0; i < n; i++) {
		T_EQ(check_mbuf(out[i], i, 3000), 0);
		rte_pktmbuf_free(out[i]);
	}
	T_ASSERT(!vio_vq_is_broken(q.vq), "a miss broke the queue");
	T_EQ(tg_vq_stats(&q).iotlb_misses, 1);
	T_ASSERT(fd_signalled(missfd), "missfd not signalled");
	T_EQ(vio_vq_iotlb_miss(q.vq, &iova, &access), 1);
	T_ASSERT(iova >= miss_lo && iova < miss_hi, "miss at 0x%" PRIx64, iova);
	T_EQ(access, VIO_MEM_ACCESS_RO);
	T_EQ(vio_vq_iotlb_miss(q.vq, &iova, &access), 0); /* reported once */
	/* Still missing: the burst stops again, without a new report. */
	T_EQ(vio_vq_dequeue_burst(q.vq, pool, out, 4), 0);
	T_EQ(tg_vq_stats(&q).iotlb_misses, 2);
	T_ASSERT(!fd_signalled(missfd), "missfd signalled twice");
	/* The frontend answers: the rest goes through, byte-exact, in order. */
	T_EQ(iotlb_map_all(tlb, &g), 0);
	vio_vq_iotlb_retry(q.vq);
	n = vio_vq_dequeue_burst(q.vq, pool, out, 4);
	T_EQ(n, 3 - first);
	for (i = 0; i < n; i++) {
		T_EQ(check_mbuf(out[i], first + i, 3000), 0);
		rte_pktmbuf_free(out[i]);
	}
	T_EQ(tg_vq_stats(&q).packets, 3);
	T_ASSERT(!vio_vq_is_broken(q.vq), "broken");
	tg_vq_fini(&q);
	tg_mem_fini(&g);
	vio_iotlb_free(tlb);
	close(missfd);
	return 0;
}

static int
test_engine_iotlb_miss_dequeue_split(void)
{
	return run_iotlb_miss_dequeue(false, false, 0);
}

static int
test_engine_iotlb_miss_dequeue_packed(void)
{
	return run_iotlb_miss_dequeue(true, false, 0);
}

static int
test_engine_iotlb_miss_indirect_table_split(void)
{
	return run_iotlb_miss_dequeue(false, true, 1);
}

static int
test_engine_iotlb_miss_indirect_table_packed(void)
{
	return run_iotlb_miss_dequeue(true, true, 1);
}

/*
 * With the IOTLB filled page by page (as QEMU answers misses), an indirect
 * table that crosses a page edge spans two entries that are contiguous in
 * host memory: it must be read, not reported as a miss again and again.
 */
static int
run_iotlb_indirect_table_across_pages(bool packed)
{
	uint64_t features = F_BASE | VIO_BIT(VIO_F_RING_INDIRECT_DESC) |
			    (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0);
	struct vio_iotlb *tlb = vio_iotlb_create(VIO_IOTLB_MAX_ENTRIES);
	struct rte_mbuf *out[60];
	struct tg_mem g;
	struct tg_vq q;
	uint64_t off;
	uint32_t i;
	uint16_t n;

	T_ASSERT(tlb != NULL, "set-up");
	T_EQ(tg_mem_init(&g, 1 << 20, 1), 0);
	/* 5 entries of 16 bytes per table: 60 tables of 80 bytes, some across a page edge. */
	T_EQ(tg_vq_init(&q, &g, 64, features, 5), 0);
	T_EQ(vq_with_iotlb(&q, tlb, -1), 0);
	for (off = 0; off < g.size; off += 4096)
		T_EQ(vio_iotlb_update(tlb, g.mem, TG_GPA_BASE + off, 4096, TG_UADDR_BASE + off,
				      VIO_MEM_ACCESS_RW),
		     0);
	for (i = 0; i < RTE_DIM(out); i++) {
		uint64_t gpa = guest_tx_buf(&g, i, 100, NULL);
		struct vio_ring_buf b[2] = { { gpa, HDR_LEN, 0 }, { gpa + HDR_LEN, 100, 0 } };

		T_ASSERT(tg_vq_post(&q, b, 2, true) >= 0, "post %u", i);
	}
	tg_vq_publish(&q);
	n = vio_vq_dequeue_burst(q.vq, pool, out, RTE_DIM(out));
	T_EQ(n, RTE_DIM(out));
	for (i = 0; i < n; i++) {
		T_EQ(check_mbuf(out[i], i, 100), 0);
		rte_pktmbuf_free(out[i]);
	}
	T_EQ(tg_vq_stats(&q).iotlb_misses, 0);
	T_ASSERT(!vio_vq_is_broken(q.vq), "broken");
	tg_vq_fini(&q);
	tg_mem_fini(&g);
	vio_iotlb_free(tlb);
	return 0;
}

static int
test_engine_iotlb_indirect_table_across_pages_split(void)
{
	return run_iotlb_indirect_table_across_pages(false);
}

static int
test_engine_iotlb_indirect_table_across_pages_packed(void)
{
	return run_iotlb_indirect_table_across_pages(true);
}

/*
 * Enqueue, mergeable: a packet whose second buffer misses is rolled back
 * whole (nothing of it used), and goes out complete after the update; a
 * read-only entry is a miss for a receive buffer. The dirty log gets GPAs.
 */
static int
run_iotlb_miss_enqueue(bool packed)
{
	uint64_t features = F_BASE | VIO_BIT(VIO_NET_F_MRG_RXBUF) |
			    (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0);
	struct vio_iotlb *tlb = vio_iotlb_create(64);
	struct rte_mbuf *in[2];
	uint64_t bufs[8], iova;
	enum vio_mem_access access;
	struct tg_mem g;
	struct tg_vq q;
	uint32_t i, len, got = 0;
	uint16_t id;

	T_ASSERT(tlb != NULL, "set-up");
	T_EQ(tg_mem_init(&g, 1 << 20, 1), 0);
	T_EQ(tg_vq_init(&q, &g, 64, features, 0), 0);
	T_EQ(vq_with_iotlb(&q, tlb, -1), 0);
	for (i = 0; i < 8; i++) {
		struct vio_ring_buf b;

		bufs[i] = tg_alloc(&g, 4096, 4096);
		b = (struct vio_ring_buf){ bufs[i], 1024, 1 };
		T_ASSERT(tg_vq_post(&q, &b, 1, false) >= 0, "post");
	}
	tg_vq_publish(&q);
	T_EQ(iotlb_map_all(tlb, &g), 0);
	/* The second buffer's page is read-only: a receive buffer must be writable. */
	T_EQ(vio_iotlb_update(tlb, g.mem, bufs[1], 4096, TG_UADDR_BASE + (bufs[1] - TG_GPA_BASE),
			      VIO_MEM_ACCESS_RO),
	     0);
	in[0] = make_mbuf(0, 1500); /* 1512 bytes with the header: buffers 0 and 1 */
	in[1] = make_mbuf(1, 60);
	T_ASSERT(in[0] != NULL && in[1] != NULL, "mbufs");
	T_EQ(vio_vq_enqueue_burst(q.vq, in, 2), 0);
	T_ASSERT(!vio_vq_is_broken(q.vq), "broken");
	T_EQ(tg_vq_reap(&q, &id, &len), -EAGAIN); /* nothing used */
	T_EQ(vio_vq_iotlb_miss(q.vq, &iova, &access), 1);
	T_EQ(iova, bufs[1]);
	T_EQ(access, VIO_MEM_ACCESS_WO);
	T_EQ(iotlb_map_all(tlb, &g), 0);
	vio_vq_iotlb_retry(q.vq);
	T_EQ(vio_vq_enqueue_burst(q.vq, in, 2), 2);
	for (i = 0; i < 2; i++) {
		const uint8_t *d = tg_ptr(&g, bufs[i]);
		uint32_t j;

		T_EQ(tg_vq_reap(&q, &id, &len), 0);
		for (j = i == 0 ? HDR_LEN : 0; j < len; j++, got++)
			T_ASSERT(d[j] == pattern(0, got), "byte %u", got);
	}
	T_EQ(got, 1500);
	T_EQ(((const struct vio_net_hdr_mrg *)tg_ptr(&g, bufs[0]))->num_buffers, 2);
	rte_pktmbuf_free(in[0]);
	rte_pktmbuf_free(in[1]);
	tg_vq_fini(&q);
	tg_mem_fini(&g);
	vio_iotlb_free(tlb);
	return 0;
}

static int
test_engine_iotlb_miss_enqueue_split(void)
{
	return run_iotlb_miss_enqueue(false);
}

static int
test_engine_iotlb_miss_enqueue_packed(void)
{
	return run_iotlb_miss_enqueue(true);
}

/*
 * An inflight region that is not VIO_VQ_INFLIGHT_ALIGN-aligned is refused
 * (fuzz_vhost_msg found SET_INFLIGHT_FD with mmap_offset 0x11 placing every
 * queue region at a misaligned address); an aligned one is taken.
 */
static int
test_engine_rejects_misaligned_inflight(void)
{
	struct vio_vq_config cfg;
	struct tg_mem g;
	struct tg_vq q;
	struct vio_vq *vq;
	uint64_t *area;

	T_EQ(tg_mem_init(&g, 1 << 20, 1), 0);
	T_EQ(tg_vq_init(&q, &g, 64, VIO_BIT(VIO_F_VERSION_1), 0), 0);
	area = calloc(1, vio_vq_inflight_size(64, false) + VIO_VQ_INFLIGHT_ALIGN);
	T_ASSERT(area != NULL, "calloc");
	memset(&cfg, 0, sizeof(cfg));
	cfg.mem = g.mem;
	cfg.features = q.features;
	cfg.size = q.size;
	cfg.desc = tg_ptr(&g, q.desc_gpa);
	cfg.driver_area = tg_ptr(&g, q.driver_gpa);
	cfg.device_area = tg_ptr(&g, q.device_gpa);
	cfg.callfd = -1;
	cfg.errfd = -1;
	cfg.missfd = -1;
	cfg.inflight = (uint8_t *)area + 1;
	T_ASSERT(vio_vq_create(&cfg, SOCKET_ID_ANY) == NULL, "misaligned inflight region taken");
	T_EQ(rte_errno, EINVAL);
	cfg.inflight = area;
	vq = vio_vq_create(&cfg, SOCKET_ID_ANY);
	T_ASSERT(vq != NULL, "aligned inflight region refused");
	vio_vq_free(vq);
	free(area);
	tg_vq_fini(&q);
	tg_mem_fini(&g);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_engine_dequeue_split),
	VIO_TEST(test_engine_dequeue_packed),
	VIO_TEST(test_engine_dequeue_split_indirect),
	VIO_TEST(test_engine_dequeue_packed_indirect),
	VIO_TEST(test_engine_dequeue_split_many_regions),
	VIO_TEST(test_engine_dequeue_packed_many_regions),
	VIO_TEST(test_engine_enqueue_split),
	VIO_TEST(test_engine_enqueue_packed),
	VIO_TEST(test_engine_enqueue_split_mergeable),
	VIO_TEST(test_engine_enqueue_packed_mergeable),
	VIO_TEST(test_engine_enqueue_too_big_split),
	VIO_TEST(test_engine_enqueue_too_big_packed),
	VIO_TEST(test_engine_offloads_split),
	VIO_TEST(test_engine_offloads_packed),
	VIO_TEST(test_engine_notify_split),
	VIO_TEST(test_engine_notify_split_event_idx),
	VIO_TEST(test_engine_notify_packed),
	VIO_TEST(test_engine_notify_packed_event_idx),
	VIO_TEST(test_engine_dirty_log_split),
	VIO_TEST(test_engine_dirty_log_packed),
	VIO_TEST(test_engine_burst_200_split),
	VIO_TEST(test_engine_burst_200_packed),
	VIO_TEST(test_engine_iotlb_miss_dequeue_split),
	VIO_TEST(test_engine_iotlb_miss_dequeue_packed),
	VIO_TEST(test_engine_iotlb_miss_indirect_table_split),
	VIO_TEST(test_engine_iotlb_miss_indirect_table_packed),
	VIO_TEST(test_engine_iotlb_indirect_table_across_pages_split),
	VIO_TEST(test_engine_iotlb_indirect_table_across_pages_packed),
	VIO_TEST(test_engine_iotlb_miss_enqueue_split),
	VIO_TEST(test_engine_iotlb_miss_enqueue_packed),
	VIO_TEST(test_engine_rejects_misaligned_inflight),
};

int
main(int argc, char **argv)
{
	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	pool = tg_pktmbuf_pool("test_engine", 8191);
	if (pool == NULL)
		return 1;
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}
