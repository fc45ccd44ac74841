/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The DPDK vhost CVE classes of the data path, each replayed against vio's
 * engine (doc/testing.md, "The DPDK vhost CVE classes"). A case is named
 * after its CVE; meson runs each class as its own test (cve-YYYY-NNNN, the
 * class's cases selected by name). Each case, split and packed: no crash
 * (and nothing for ASan or UBSan), the one err_* counter that names the rule
 * is 1 and the others 0, vio_vq_error() names the field, only the attacked
 * queue is broken (another queue on the same memory moves a packet after),
 * no mbuf is lost, and the process's fds and mappings are the same after
 * the case as before it. Valid input that looks like an attack (a buffer
 * across two adjacent regions, a zero-length descriptor at a bad address)
 * is delivered byte for byte.
 */

#define _GNU_SOURCE
#include <inttypes.h>
#include <sched.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vio_test.h"
#include "vio_test_guest.h"

#define F_BASE                                                                                    \
	(VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_RING_INDIRECT_DESC) | VIO_BIT(VIO_NET_F_CSUM) | \
	 VIO_BIT(VIO_NET_F_GUEST_CSUM))
#define F_WRITE    VIO_VRING_DESC_F_WRITE
#define F_NEXT     VIO_VRING_DESC_F_NEXT
#define F_INDIRECT VIO_VRING_DESC_F_INDIRECT
#define HDR_LEN    12
#define RING_SIZE  32
/* Three regions of 1 MiB; with a hole, the middle one is left out of the table. */
#define REGION (UINT64_C(1) << 20)
#define R1     (TG_GPA_BASE + REGION)     /* the edge between regions 0 and 1 */
#define R2     (TG_GPA_BASE + 2 * REGION) /* the edge between regions 1 and 2 */
#define HOLE   (R1 + 4096)                /* in the hole, when there is one */
/* Split index of a forged chain: clear of the driver's (it posts from 0). */
#define FORGED     (RING_SIZE / 2)
#define PKT_LEN    100u
#define RX_LEN     2048u
#define TBL_LEN(n) ((uint32_t)(n)*16u)
/* A TCP/IPv4 checksum request: after the Ethernet and IPv4 headers, the TCP checksum field. */
#define CSUM_START  34u
#define CSUM_OFFSET 16u
/* Packets of the double-fetch cases (the guest rewrites a field while the engine reads). */
#define RACE_ROUNDS 3000u

static struct rte_mempool *pool;

/* A case: the guest, the queue under attack, and a bystander that must go on. */
struct cve {
	struct tg_mem g;
	struct tg_vq q;
	struct tg_vq other;
	bool packed;
	bool enq; /* a receive queue (enqueue), else transmit (dequeue) */
	bool hole;
	uint64_t q_lo, q_hi; /* x->q's rings: [q_lo, q_hi) in the memfd */
};

static int
cve_setup(struct cve *x, bool packed, bool enq, bool hole)
{
	uint64_t features = F_BASE | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0);

	memset(x, 0, sizeof(*x));
	x->packed = packed;
	x->enq = enq;
	x->hole = hole;
	T_EQ(tg_mem_init(&x->g, 3 * REGION, 3), 0);
	if (hole) {
		/* The guest's memory stays one mapping; the engine's table leaves out region 1. */
		const struct vio_mem_region_desc r[2] = {
			{ x->g.fd, 0, TG_GPA_BASE, 0x7f0000000000ull, REGION },
			{ x->g.fd, 2 * REGION, R2, 0x7f0000000000ull + 2 * REGION, REGION },
		};

		vio_mem_free(x->g.mem);
		x->g.mem = vio_mem_create(r, RTE_DIM(r));
		T_ASSERT(x->g.mem != NULL, "vio_mem_create");
	}
	x->q_lo = x->g.brk;
	T_EQ(tg_vq_init(&x->q, &x->g, RING_SIZE, features, 0), 0);
	x->q_hi = x->g.brk;
	T_EQ(tg_vq_init(&x->other, &x->g, RING_SIZE, features, 0), 0);
	return 0;
}

/* x->q made again on the same, cleared rings, as a frontend does after a reset. */
static int
cve_requeue(struct cve *x)
{
	uint64_t brk = x->g.brk, features = x->q.features;
	int ret;

	tg_vq_fini(&x->q);
	memset(x->g.base + x->q_lo, 0, x->q_hi - x->q_lo);
	x->g.brk = x->q_lo;
	ret = tg_vq_init(&x->q, &x->g, RING_SIZE, features, 0);
	x->g.brk = brk;
	return ret;
}

static void
cve_teardown(struct cve *x)
{
	tg_vq_fini(&x->other);
	tg_vq_fini(&x->q);
	tg_mem_fini(&x->g);
}

/* Packet @p seq to transmit at @p gpa: net header @p h (NULL: none asked), @p len bytes. */
static void
put_tx(struct cve *x, uint64_t gpa, const struct vio_net_hdr *h, uint32_t seq, uint32_t len)
{
	tg_put_packet(&x->g, gpa, HDR_LEN, h, seq, len);
}

static struct rte_mbuf *
make_mbuf(uint32_t seq, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;
	uint32_t i;

	if (m == NULL)
		return NULL;
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	for (i = 0; i < len; i++)
		d[i] = tg_pattern(seq, i);
	return m;
}

/* @p len bytes at @p d are packet @p seq's. */
static int
check_bytes(const uint8_t *d, uint32_t seq, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		T_ASSERT(d[i] == tg_pattern(seq, i), "packet %u byte %u", seq, i);
	return 0;
}

/* An mbuf holds packet @p seq of @p len bytes (copied out: it may be chained). */
static int
check_mbuf(const struct rte_mbuf *m, uint32_t seq, uint32_t len)
{
	uint8_t buf[RX_LEN];
	const uint8_t *d;

	T_EQ(rte_pktmbuf_pkt_len(m), len);
	d = rte_pktmbuf_read(m, 0, len, buf);
	T_ASSERT(d != NULL, "mbuf shorter than its pkt_len");
	return check_bytes(d, seq, len);
}

/* Post chain @p b of @p n buffers on @p q and publish it; returns its id, or -1. */
static int
post(struct tg_vq *q, const struct vio_ring_buf *b, uint16_t n, bool indirect)
{
	int id = tg_vq_post(q, b, n, indirect);

	if (id >= 0)
		tg_vq_publish(q);
	return id;
}

/* One burst of up to @p n packets on @p q in the case's direction (enqueue: packet @p seq). */
static uint16_t
burst(struct cve *x, struct tg_vq *q, struct rte_mbuf **out, uint16_t n, uint32_t seq)
{
	struct rte_mbuf *in[8];
	uint16_t i, done;

	if (!x->enq)
		return vio_vq_dequeue_burst(q->vq, pool, out, n);
	n = RTE_MIN(n, (uint16_t)RTE_DIM(in));
	for (i = 0; i < n; i++)
		if ((in[i] = make_mbuf(seq + i, PKT_LEN)) == NULL)
			break;
	done = vio_vq_enqueue_burst(q->vq, in, i);
	rte_pktmbuf_free_bulk(in, i);
	return done;
}

/* The err_* counters: exactly @p err is 1 (NULL: all are 0). */
static int
check_err_counters(const struct tg_vq *q, const char *err)
{
	struct vio_vq_stats st = tg_vq_stats(q);
	uint64_t v[VIO_VQ_NB_STATS];
	unsigned int i;

	memcpy(v, &st, sizeof(v));
	for (i = 0; i < VIO_VQ_NB_STATS; i++) {
		const char *name = vio_vq_stat_name(i);
		bool want = err != NULL && strcmp(name, err) == 0;

		if (strncmp(name, "err_", 4) == 0)
			T_ASSERT(v[i] == want, "%s = %" PRIu64 ", expected %d", name, v[i], want);
	}
	return 0;
}

/* Valid input: nothing counted as an error, the queue up, its error eventfd quiet. */
static int
check_clean(const struct tg_vq *q)
{
	const char *field;
	uint64_t value;
	eventfd_t ev;

	T_EQ(check_err_counters(q, NULL), 0);
	T_ASSERT(!vio_vq_is_broken(q->vq), "valid input broke the queue");
	T_EQ(vio_vq_error(q->vq, &field, &value), -ENOENT);
	T_ASSERT(eventfd_read(q->errfd, &ev) < 0, "error eventfd signalled");
	return 0;
}

/*
 * The burst refused the chain: counter @p err is 1 and no other, the queue
 * is broken and vio_vq_error() names @p field, the error eventfd fired once,
 * later bursts do nothing, and the bystander queue is up.
 */
static int
check_broken(struct cve *x, const char *err, const char *field)
{
	struct rte_mbuf *out[4];
	const char *f = NULL;
	uint64_t value = 0;
	eventfd_t ev;

	T_EQ(check_err_counters(&x->q, err), 0);
	T_ASSERT(vio_vq_is_broken(x->q.vq), "queue not broken");
	T_EQ(vio_vq_error(x->q.vq, &f, &value), 0);
	T_ASSERT(f != NULL && strcmp(f, field) == 0, "vio_vq_error names '%s', expected '%s'",
		 f != NULL ? f : "(null)", field);
	T_EQ(eventfd_read(x->q.errfd, &ev), 0);
	T_EQ(ev, 1);
	T_EQ(burst(x, &x->q, out, 4, 50), 0);
	T_ASSERT(eventfd_read(x->q.errfd, &ev) < 0, "error eventfd signalled again");
	T_ASSERT(!vio_vq_is_broken(x->other.vq), "the bystander queue broke too");
	return 0;
}

/* Queue @p q moves packet @p seq through a buffer at @p gpa (0: one of its own). */
static int
check_moves_at(struct cve *x, struct tg_vq *q, uint32_t seq, uint64_t gpa)
{
	struct vio_ring_buf b = { gpa, x->enq ? RX_LEN : HDR_LEN + PKT_LEN, x->enq };
	struct rte_mbuf *m = NULL;
	uint16_t id;
	uint32_t len;

	if (b.addr == 0)
		b.addr = tg_alloc(&x->g, RX_LEN, 64);
	T_ASSERT(b.addr != 0, "guest memory");
	if (!x->enq)
		put_tx(x, b.addr, NULL, seq, PKT_LEN);
	T_ASSERT(post(q, &b, 1, false) >= 0, "post");
	T_EQ(burst(x, q, &m, 1, seq), 1);
	if (x->enq) {
		T_EQ(check_bytes((const uint8_t *)tg_ptr(&x->g, b.addr) + HDR_LEN, seq, PKT_LEN),
		     0);
	} else {
		T_EQ(check_mbuf(m, seq, PKT_LEN), 0);
		rte_pktmbuf_free(m);
	}
	T_EQ(tg_vq_reap(q, &id, &len), 0);
	T_EQ(len, x->enq ? HDR_LEN + PKT_LEN : 0);
	T_EQ(check_clean(q), 0);
	return 0;
}

static int
check_moves(struct cve *x, struct tg_vq *q, uint32_t seq)
{
	return check_moves_at(x, q, seq, 0);
}

/* A case: its attack on x->q, its direction, and whether region 1 is a hole. */
struct cve_case {
	int (*attack)(struct cve *x, uint64_t arg);
	uint64_t arg;
	bool enq;
	bool hole;
};

/*
 * Run @p c: the attack, then the bystander moves a packet; no mbuf lost, and
 * the fds and mappings of the process the same after teardown as before setup.
 */
static int
run(bool packed, const struct cve_case *c)
{
	unsigned int avail = rte_mempool_avail_count(pool);
	struct vio_test_res res = vio_test_res_get();
	struct cve x;
	int ret;

	T_EQ(cve_setup(&x, packed, c->enq, c->hole), 0);
	ret = c->attack(&x, c->arg);
	if (ret == 0)
		ret = check_moves(&x, &x.other, 60);
	cve_teardown(&x);
	T_EQ(ret, 0);
	T_EQ(rte_mempool_avail_count(pool), avail);
	return vio_test_res_check(&res, 0);
}

/* Post the chain @p b, burst, and check that the chain was refused for @p err. */
static int
refused(struct cve *x, const struct vio_ring_buf *b, uint16_t n, bool indirect, const char *err,
	const char *field)
{
	struct rte_mbuf *out[4];

	T_ASSERT(post(&x->q, b, n, indirect) >= 0, "post");
	T_EQ(burst(x, &x->q, out, 4, 1), 0);
	return check_broken(x, err, field);
}

/* Forge chain @p d (it breaks the queue: the driver side is not told), then as refused(). */
static int
forged_refused(struct cve *x, const struct tg_desc *d, unsigned int n, const char *err,
	       const char *field)
{
	struct rte_mbuf *out[4];

	tg_vq_forge(&x->q, FORGED, d, n);
	tg_vq_publish(&x->q);
	T_EQ(burst(x, &x->q, out, 4, 1), 0);
	return check_broken(x, err, field);
}

/*
 * CVE-2018-1059: a buffer is translated region by region, never read or
 * written past the end of the region it starts in.
 */

/* Valid: 50 bytes before the edge of two adjacent regions, the rest after it. */
static int
attack_buf_across_edge(struct cve *x, __rte_unused uint64_t arg)
{
	return check_moves_at(x, &x->q, 1, R1 - (x->enq ? 50 : HDR_LEN + 50));
}

/* A buffer that starts in region 0 and runs @p arg bytes into the hole. */
static int
attack_buf_into_hole(struct cve *x, uint64_t arg)
{
	const struct vio_ring_buf b = { R1 - 50, (uint32_t)(50 + arg), x->enq };
	uint8_t before[50];

	memcpy(before, tg_ptr(&x->g, R1 - 50), sizeof(before));
	if (!x->enq)
		put_tx(x, R1 - 50, NULL, 1, 50 - HDR_LEN);
	T_EQ(refused(x, &b, 1, false, "err_addr",
		     x->enq ? "receive chain head" : "transmit chain head"),
	     0);
	/* Mapped as a whole before any byte is written: region 0's part is intact. */
	if (x->enq)
		T_ASSERT(memcmp(before, tg_ptr(&x->g, R1 - 50), sizeof(before)) == 0,
			 "receive buffer written before the refusal");
	return 0;
}

/* A header in region 0, then the payload wholly in the hole. */
static int
attack_buf_in_hole(struct cve *x, __rte_unused uint64_t arg)
{
	const struct vio_ring_buf b[2] = {
		{ TG_GPA_BASE + REGION / 2, HDR_LEN, x->enq },
		{ HOLE, PKT_LEN, x->enq },
	};

	return refused(x, b, 2, false, "err_addr",
		       x->enq ? "receive chain head" : "transmit chain head");
}

/* An indirect table of a header and a payload descriptor, at @p gpa. */
static int
attack_table_at(struct cve *x, uint64_t gpa)
{
	uint64_t pkt = tg_alloc(&x->g, HDR_LEN + PKT_LEN, 64);
	const struct tg_desc t[2] = {
		{ pkt, HDR_LEN, (x->enq ? F_WRITE : 0) | F_NEXT, 1, 0 },
		{ pkt + HDR_LEN, PKT_LEN, x->enq ? F_WRITE : 0, 0, 0 },
	};
	const struct tg_desc head = { gpa, TBL_LEN(2), F_INDIRECT, 0, FORGED };

	tg_vq_forge_table(&x->q, gpa, t, 2);
	return forged_refused(x, &head, 1, "err_indirect_addr", "descriptor chain");
}

/*
 * An indirect table across the edge of two adjacent regions: refused, since
 * the engine reads a table in place and needs it in one region
 * (vq_map_table(); a Linux guest allocates tables with kmalloc, which never
 * crosses a page, so never a region edge).
 */
static int
attack_table_across_edge(struct cve *x, __rte_unused uint64_t arg)
{
	return attack_table_at(x, R1 - 16);
}

/*
 * Valid: a table at @p arg, 0 meaning one whose last entry ends at the edge
 * of region 0; the engine takes the chain. The specification sets no
 * alignment for indirect tables (virtio 1.2, 2.7.5.3 and 2.8.19): one at an
 * odd address is read as well (not through a misaligned struct pointer).
 */
static int
attack_table_valid(struct cve *x, uint64_t arg)
{
	uint64_t pkt = tg_alloc(&x->g, RX_LEN, 64);
	const struct tg_desc t[2] = {
		{ pkt, HDR_LEN, F_NEXT, 1, 0 },
		{ pkt + HDR_LEN, PKT_LEN, 0, 0, 0 },
	};
	const struct tg_desc head = { arg != 0 ? arg : R1 - TBL_LEN(2), TBL_LEN(2), F_INDIRECT, 0,
				      FORGED };
	struct rte_mbuf *m = NULL;

	put_tx(x, pkt, NULL, 1, PKT_LEN);
	tg_vq_forge_table(&x->q, head.addr, t, 2);
	tg_vq_forge(&x->q, FORGED, &head, 1);
	tg_vq_publish(&x->q);
	T_EQ(burst(x, &x->q, &m, 1, 1), 1);
	T_EQ(check_mbuf(m, 1, PKT_LEN), 0);
	rte_pktmbuf_free(m);
	/* Not reaped: the driver side never posted this chain. */
	return check_clean(&x->q);
}

/*
 * CVE-2020-10725: a zero-length descriptor is never translated, so its
 * address does not matter; a chain of nothing but such is refused.
 */

/* Valid: @p arg packets, each a header and payload then a zero-length descriptor at a bad address. */
static int
attack_zero_len_bad_addr_tail(struct cve *x, uint64_t arg)
{
	static const uint64_t bad[] = { HOLE, UINT64_MAX, 0 };
	struct rte_mbuf *out[8];
	uint64_t gpa[8];
	uint32_t i;
	uint16_t id;
	uint32_t len;

	for (i = 0; i < arg; i++) {
		struct vio_ring_buf b[3];

		gpa[i] = tg_alloc(&x->g, RX_LEN, 64);
		if (!x->enq)
			put_tx(x, gpa[i], NULL, i, PKT_LEN);
		/* Receive: the zero-length descriptor first, where the header would go. */
		b[x->enq ? 0 : 2] = (struct vio_ring_buf){ bad[i % RTE_DIM(bad)], 0, x->enq };
		b[x->enq ? 1 : 0] = (struct vio_ring_buf){ gpa[i], HDR_LEN, x->enq };
		b[x->enq ? 2 : 1] = (struct vio_ring_buf){ gpa[i] + HDR_LEN, PKT_LEN, x->enq };
		T_ASSERT(tg_vq_post(&x->q, b, 3, false) >= 0, "post");
	}
	tg_vq_publish(&x->q);
	/* One burst: the packets go through the batched copies together. */
	T_EQ(burst(x, &x->q, out, (uint16_t)arg, 0), arg);
	for (i = 0; i < arg; i++) {
		if (x->enq) {
			T_EQ(check_bytes((const uint8_t *)tg_ptr(&x->g, gpa[i]) + HDR_LEN, i,
					 PKT_LEN),
			     0);
		} else {
			T_EQ(check_mbuf(out[i], i, PKT_LEN), 0);
			rte_pktmbuf_free(out[i]);
		}
		T_EQ(tg_vq_reap(&x->q, &id, &len), 0);
		T_EQ(len, x->enq ? HDR_LEN + PKT_LEN : 0);
	}
	T_EQ(check_clean(&x->q), 0);
	return check_moves(x, &x->q, 40);
}

/* A chain of two zero-length descriptors at bad addresses. */
static int
attack_zero_len_only(struct cve *x, __rte_unused uint64_t arg)
{
	const struct vio_ring_buf b[2] = { { HOLE, 0, x->enq }, { UINT64_MAX, 0, x->enq } };

	return refused(x, b, 2, false, "err_zero_len",
		       x->enq ? "receive chain head" : "transmit chain length");
}

/* An indirect descriptor of length 0 at a bad address. */
static int
attack_zero_len_table(struct cve *x, uint64_t gpa)
{
	const struct tg_desc head = { gpa, 0, F_INDIRECT, 0, FORGED };

	return forged_refused(x, &head, 1, "err_indirect_len", "descriptor chain");
}

/*
 * CVE-2020-14374 / 14375 class: the lengths the guest gives are bounds to
 * check, never the amount of data to trust.
 */

/* A descriptor that says 4 GiB - 1 from a valid address: runs off the end of memory. */
static int
attack_len_huge(struct cve *x, __rte_unused uint64_t arg)
{
	const struct vio_ring_buf b = { TG_GPA_BASE + 2 * REGION + 4096, UINT32_MAX, x->enq };

	if (!x->enq)
		put_tx(x, b.addr, NULL, 1, PKT_LEN);
	return refused(x, &b, 1, false, "err_addr",
		       x->enq ? "receive chain head" : "transmit chain head");
}

/*
 * Transmit: the packet's length is what its descriptors hold (here 100 bytes
 * behind an IPv4 header that claims 1500), and the checksum asked for is
 * computed over those bytes only. Receive: the used length is what the
 * device wrote, not the 2048 bytes the descriptor offers.
 */
static int
attack_len_not_trusted(struct cve *x, __rte_unused uint64_t arg)
{
	const struct vio_net_hdr h = { .flags = VIO_NET_HDR_F_NEEDS_CSUM,
				       .csum_start = CSUM_START,
				       .csum_offset = CSUM_OFFSET };
	uint64_t gpa = tg_alloc(&x->g, RX_LEN, 64);
	const struct vio_ring_buf b = { gpa, x->enq ? RX_LEN : HDR_LEN + PKT_LEN, x->enq };
	struct rte_mbuf *m = NULL;
	uint8_t *ip = (uint8_t *)tg_ptr(&x->g, gpa) + HDR_LEN + 14;
	uint16_t id, sum;
	uint32_t len;

	if (x->enq)
		return check_moves_at(x, &x->q, 1, gpa); /* checks the used length */
	put_tx(x, gpa, &h, 1, PKT_LEN);
	ip[2] = 1500 >> 8; /* IPv4 total length */
	ip[3] = 1500 & 0xff;
	memset(ip + 20 + CSUM_OFFSET, 0, 2); /* the pseudo-header sum: 0 */
	T_ASSERT(post(&x->q, &b, 1, false) >= 0, "post");
	T_EQ(burst(x, &x->q, &m, 1, 1), 1);
	T_EQ(rte_pktmbuf_pkt_len(m), PKT_LEN);
	T_EQ(rte_raw_cksum_mbuf(m, CSUM_START, PKT_LEN - CSUM_START, &sum), 0);
	T_EQ(sum, 0xffff); /* completed over the 66 bytes there are */
	rte_pktmbuf_free(m);
	T_EQ(tg_vq_reap(&x->q, &id, &len), 0);
	return check_clean(&x->q);
}

/* The guest's side of a double fetch: a thread rewriting one 16- or 32-bit field. */
struct flipper {
	pthread_t thread;
	atomic_bool stop;
	uint8_t *field;
	unsigned int width; /* 2 or 4 bytes */
	uint32_t v[2];      /* it writes these, in turn */
	unsigned int nb;    /* the fields at field + i * stride, i < nb */
	size_t stride;
	atomic_uint flips; /* passes over the fields so far */
};

static void *
flip(void *arg)
{
	struct flipper *f = arg;
	unsigned int n = 0, i;

	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		uint32_t v = f->v[n++ & 1];

		for (i = 0; i < f->nb; i++) {
			uint8_t *p = f->field + i * f->stride;

			if (f->width == 2)
				__atomic_store_n((uint16_t *)p, (uint16_t)v, __ATOMIC_RELAXED);
			else
				__atomic_store_n((uint32_t *)p, v, __ATOMIC_RELAXED);
		}
		atomic_fetch_add(&f->flips, 1);
	}
	return NULL;
}

/* On any CPU: the EAL pinned this thread, and a race on one CPU is rarely mid-read. */
static int
flipper_start(struct flipper *f)
{
	long i, n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t all;

	CPU_ZERO(&all);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	atomic_store(&f->stop, false);
	if (pthread_create(&f->thread, NULL, flip, f) != 0)
		return -1;
	pthread_setaffinity_np(f->thread, sizeof(all), &all);
	return 0;
}

/* Wait until the guest has rewritten the fields since the caller posted (so each round races). */
static void
flipper_wait(struct flipper *f)
{
	unsigned int seen = atomic_load(&f->flips);

	while (atomic_load(&f->flips) - seen < 2)
		sched_yield();
}

static void
flipper_stop(struct flipper *f)
{
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
}

/*
 * Double fetch of a descriptor: while the engine reads it, the guest rewrites
 * the length of every descriptor of the ring between 100 and 1000 bytes of
 * payload (the buffer holds 1000). Each packet is either whole: its length
 * one of the two and every byte the guest's; nothing is counted as an error.
 */
static int
attack_desc_len_race(struct cve *x, __rte_unused uint64_t arg)
{
	const uint32_t lens[2] = { HDR_LEN + PKT_LEN, HDR_LEN + 1000 };
	uint64_t gpa = tg_alloc(&x->g, HDR_LEN + 1000, 64);
	struct flipper f = { .v = { lens[0], lens[1] }, .width = 4, .nb = RING_SIZE };
	unsigned int i, seen[2] = { 0, 0 };
	int ret = 0;

	if (x->enq)
		return 0; /* a receive descriptor's length bounds a write: see the transmit case */
	put_tx(x, gpa, NULL, 1, 1000);
	if (x->packed) {
		f.field = (uint8_t *)&x->q.p.r.desc[0].len;
		f.stride = sizeof(struct vio_vring_packed_desc);
	} else {
		f.field = (uint8_t *)&x->q.s.r.desc[0].len;
		f.stride = sizeof(struct vio_vring_desc);
	}
	T_EQ(flipper_start(&f), 0);
	for (i = 0; i < RACE_ROUNDS && ret == 0; i++) {
		const struct vio_ring_buf b = { gpa, lens[i & 1], false };
		struct rte_mbuf *m = NULL;
		uint16_t id;
		uint32_t len, pkt_len;

		if (post(&x->q, &b, 1, false) < 0)
			ret = -1;
		flipper_wait(&f);
		if (ret != 0 || burst(x, &x->q, &m, 1, 0) != 1 ||
		    tg_vq_reap(&x->q, &id, &len) != 0) {
			fprintf(stderr, "round %u: the packet did not go through\n", i);
			ret = -1;
			rte_pktmbuf_free(m);
			break;
		}
		pkt_len = rte_pktmbuf_pkt_len(m);
		if (pkt_len != PKT_LEN && pkt_len != 1000) {
			fprintf(stderr, "round %u: packet of %u bytes\n", i, pkt_len);
			ret = -1;
		} else {
			seen[pkt_len == 1000]++;
			ret = check_mbuf(m, 1, pkt_len);
		}
		rte_pktmbuf_free(m);
	}
	flipper_stop(&f);
	T_EQ(ret, 0);
	printf("  %u packets of %u bytes, %u of 1000\n", seen[0], PKT_LEN, seen[1]);
	return check_clean(&x->q);
}

/*
 * CVE-2022-2132: chains no longer than the net header are refused; a header
 * spread over several descriptors is gathered (transmit) or written across
 * them (receive).
 */

/* A chain of the descriptor lengths in @p arg (one byte each, 0 ends), with no payload after. */
static int
attack_short_chain(struct cve *x, uint64_t arg)
{
	uint64_t gpa = tg_alloc(&x->g, 64, 64);
	struct vio_ring_buf b[8];
	uint32_t off = 0;
	uint16_t n;

	for (n = 0; n < 8 && ((arg >> (8 * n)) & 0xff) != 0; n++) {
		b[n] = (struct vio_ring_buf){ gpa + off, (uint32_t)((arg >> (8 * n)) & 0xff),
					      x->enq };
		off += b[n].len;
	}
	return refused(x, b, n, false, "err_short_chain",
		       x->enq ? "receive chain head" : "transmit chain length");
}

/*
 * Valid: the header over the descriptor lengths in @p arg (one byte each, 0
 * ends; 12 bytes in all), then the payload; transmit asks for a checksum,
 * which must be completed; receive must find num_buffers 1 across the pieces.
 */
static int
attack_header_spread(struct cve *x, uint64_t arg)
{
	const struct vio_net_hdr_mrg want = {
		.hdr = { .flags = VIO_NET_HDR_F_NEEDS_CSUM,
			 .csum_start = CSUM_START,
			 .csum_offset = CSUM_OFFSET },
		.num_buffers = 1,
	};
	uint64_t hg = tg_alloc(&x->g, 256, 64), pg = tg_alloc(&x->g, RX_LEN, 64);
	struct vio_ring_buf b[9];
	struct vio_net_hdr_mrg got;
	struct rte_mbuf *m = NULL;
	uint32_t off = 0;
	uint16_t n, id, sum;
	uint32_t len;

	/* The pieces out of order in memory, 32 bytes apart. */
	for (n = 0; n < 8 && ((arg >> (8 * n)) & 0xff) != 0; n++) {
		uint32_t l = (uint32_t)((arg >> (8 * n)) & 0xff);
		uint64_t at = hg + 224 - 32u * n;

		if (!x->enq)
			memcpy(tg_ptr(&x->g, at), (const uint8_t *)&want + off, l);
		b[n] = (struct vio_ring_buf){ at, l, x->enq };
		off += l;
	}
	T_EQ(off, HDR_LEN);
	if (!x->enq) {
		for (off = 0; off < PKT_LEN; off++)
			((uint8_t *)tg_ptr(&x->g, pg))[off] = tg_pattern(1, off);
		memset((uint8_t *)tg_ptr(&x->g, pg) + CSUM_START + CSUM_OFFSET, 0, 2);
	}
	b[n++] = (struct vio_ring_buf){ pg, x->enq ? RX_LEN : PKT_LEN, x->enq };
	T_ASSERT(post(&x->q, b, n, false) >= 0, "post");
	T_EQ(burst(x, &x->q, &m, 1, 1), 1);
	T_EQ(tg_vq_reap(&x->q, &id, &len), 0);
	if (x->enq) {
		T_EQ(len, HDR_LEN + PKT_LEN);
		for (n = 0, off = 0; off < HDR_LEN; n++) {
			memcpy((uint8_t *)&got + off, tg_ptr(&x->g, b[n].addr), b[n].len);
			off += b[n].len;
		}
		T_EQ(got.num_buffers, 1);
		T_EQ(check_bytes(tg_ptr(&x->g, pg), 1, PKT_LEN), 0);
	} else {
		T_EQ(rte_pktmbuf_pkt_len(m), PKT_LEN);
		T_EQ(tg_vq_stats(&x->q).csum_sw, 1);
		T_EQ(rte_raw_cksum_mbuf(m, CSUM_START, PKT_LEN - CSUM_START, &sum), 0);
		T_EQ(sum, 0xffff);
		rte_pktmbuf_free(m);
	}
	return check_clean(&x->q);
}

/* CVE-2024-11614: the checksum request is checked against the packet, from one read of it. */

/* A transmit header asking for a checksum at csum_start (@p arg >> 16), csum_offset (low 16). */
static int
attack_csum(struct cve *x, uint64_t arg)
{
	const struct vio_net_hdr h = { .flags = VIO_NET_HDR_F_NEEDS_CSUM,
				       .csum_start = (uint16_t)(arg >> 16),
				       .csum_offset = (uint16_t)arg };
	uint64_t gpa = tg_alloc(&x->g, HDR_LEN + PKT_LEN, 64);
	const struct vio_ring_buf b = { gpa, HDR_LEN + PKT_LEN, false };
	const char *f;
	uint64_t value;

	if (x->enq)
		return 0; /* the guest's header is read on transmit only */
	put_tx(x, gpa, &h, 1, PKT_LEN);
	T_EQ(refused(x, &b, 1, false, "err_csum_offset", "net header"), 0);
	T_EQ(vio_vq_error(x->q.vq, &f, &value), 0);
	T_EQ(value, arg); /* the value named: csum_start << 16 | csum_offset */
	return 0;
}

/*
 * Double fetch of the header: while the engine reads it, the guest rewrites
 * csum_start between 34 (valid) and 4000 (beyond the packet). Each packet is
 * either delivered with its checksum completed at 34, or refused as
 * err_csum_offset (the queue is then made again); never anything else.
 */
static int
attack_csum_race(struct cve *x, __rte_unused uint64_t arg)
{
	const struct vio_net_hdr h = { .flags = VIO_NET_HDR_F_NEEDS_CSUM,
				       .csum_start = CSUM_START,
				       .csum_offset = CSUM_OFFSET };
	uint64_t gpa = tg_alloc(&x->g, HDR_LEN + PKT_LEN, 64);
	const struct vio_ring_buf b = { gpa, HDR_LEN + PKT_LEN, false };
	struct flipper f = { .v = { CSUM_START, 4000 }, .width = 2, .nb = 1 };
	unsigned int i, ok = 0, refusals = 0;
	int ret = 0;

	if (x->enq)
		return 0;
	put_tx(x, gpa, &h, 1, PKT_LEN);
	memset((uint8_t *)tg_ptr(&x->g, gpa) + HDR_LEN + CSUM_START + CSUM_OFFSET, 0, 2);
	f.field = (uint8_t *)tg_ptr(&x->g, gpa) + offsetof(struct vio_net_hdr, csum_start);
	T_EQ(flipper_start(&f), 0);
	for (i = 0; i < RACE_ROUNDS && ret == 0; i++) {
		struct rte_mbuf *m = NULL;
		uint16_t id, sum;
		uint32_t len;

		if (post(&x->q, &b, 1, false) < 0) {
			ret = -1;
			break;
		}
		flipper_wait(&f);
		if (burst(x, &x->q, &m, 1, 0) == 1) {
			ok++;
			if (tg_vq_reap(&x->q, &id, &len) != 0 ||
			    rte_raw_cksum_mbuf(m, CSUM_START, PKT_LEN - CSUM_START, &sum) != 0 ||
			    sum != 0xffff) {
				fprintf(stderr, "round %u: checksum not completed at %u\n", i,
					CSUM_START);
				ret = -1;
			}
			rte_pktmbuf_free(m);
			continue;
		}
		refusals++;
		ret = check_err_counters(&x->q, "err_csum_offset");
		if (ret == 0 && !vio_vq_is_broken(x->q.vq)) {
			fprintf(stderr, "round %u: refused, queue not broken\n", i);
			ret = -1;
		}
		if (ret == 0)
			ret = cve_requeue(x);
	}
	flipper_stop(&f);
	T_EQ(ret, 0);
	printf("  %u packets delivered, %u refused\n", ok, refusals);
	T_ASSERT(ok > 0, "no packet delivered");
	return 0;
}

#define DEQ      false
#define ENQ      true
#define HOLE_OFF false
#define HOLE_ON  true
/* Descriptor lengths, one a byte from the lowest (see attack_short_chain()). */
#define LENS3(a, b, c)    ((uint64_t)(a) | (uint64_t)(b) << 8 | (uint64_t)(c) << 16)
#define LENS4(a, b, c, d) (LENS3(a, b, c) | (uint64_t)(d) << 24)

/* test_cve_<cve>_<name>_split and _packed: attack @p fn with @p arg. */
#define CVE_CASE(name, fn, arg, enq, hole)                                 \
	static const struct cve_case name##_case = { fn, arg, enq, hole }; \
	static int test_##name##_split(void)                               \
	{                                                                  \
		return run(false, &name##_case);                           \
	}                                                                  \
	static int test_##name##_packed(void)                              \
	{                                                                  \
		return run(true, &name##_case);                            \
	}

CVE_CASE(cve_2018_1059_buf_across_region_edge, attack_buf_across_edge, 0, DEQ, HOLE_OFF)
CVE_CASE(cve_2018_1059_enqueue_buf_across_region_edge, attack_buf_across_edge, 0, ENQ, HOLE_OFF)
CVE_CASE(cve_2018_1059_buf_into_hole, attack_buf_into_hole, 50, DEQ, HOLE_ON)
CVE_CASE(cve_2018_1059_enqueue_buf_into_hole, attack_buf_into_hole, 1, ENQ, HOLE_ON)
CVE_CASE(cve_2018_1059_buf_in_hole, attack_buf_in_hole, 0, DEQ, HOLE_ON)
CVE_CASE(cve_2018_1059_enqueue_buf_in_hole, attack_buf_in_hole, 0, ENQ, HOLE_ON)
CVE_CASE(cve_2018_1059_table_ends_at_region_edge, attack_table_valid, 0, DEQ, HOLE_ON)
CVE_CASE(cve_2018_1059_table_unaligned, attack_table_valid, R1 - 4093, DEQ, HOLE_ON)
CVE_CASE(cve_2018_1059_table_across_region_edge, attack_table_across_edge, 0, DEQ, HOLE_OFF)
CVE_CASE(cve_2018_1059_table_into_hole, attack_table_at, R1 - 16, DEQ, HOLE_ON)
CVE_CASE(cve_2018_1059_table_in_hole, attack_table_at, HOLE, DEQ, HOLE_ON)
CVE_CASE(cve_2020_10725_zero_len_bad_addr_batch, attack_zero_len_bad_addr_tail, 8, DEQ, HOLE_ON)
CVE_CASE(cve_2020_10725_enqueue_zero_len_bad_addr_batch, attack_zero_len_bad_addr_tail, 8, ENQ,
	 HOLE_ON)
CVE_CASE(cve_2020_10725_zero_len_only, attack_zero_len_only, 0, DEQ, HOLE_ON)
CVE_CASE(cve_2020_10725_enqueue_zero_len_only, attack_zero_len_only, 0, ENQ, HOLE_ON)
CVE_CASE(cve_2020_10725_zero_len_table_in_hole, attack_zero_len_table, HOLE, DEQ, HOLE_ON)
CVE_CASE(cve_2020_10725_zero_len_table_at_max, attack_zero_len_table, UINT64_MAX, DEQ, HOLE_ON)
CVE_CASE(cve_2020_14374_len_huge, attack_len_huge, 0, DEQ, HOLE_OFF)
CVE_CASE(cve_2020_14374_enqueue_len_huge, attack_len_huge, 0, ENQ, HOLE_OFF)
CVE_CASE(cve_2020_14374_len_not_trusted, attack_len_not_trusted, 0, DEQ, HOLE_OFF)
CVE_CASE(cve_2020_14374_enqueue_used_len_not_trusted, attack_len_not_trusted, 0, ENQ, HOLE_OFF)
CVE_CASE(cve_2020_14374_desc_len_double_fetch, attack_desc_len_race, 0, DEQ, HOLE_OFF)
CVE_CASE(cve_2022_2132_shorter_than_header, attack_short_chain, LENS3(2, 2, 2), DEQ, HOLE_OFF)
CVE_CASE(cve_2022_2132_header_only_3_descs, attack_short_chain, LENS3(4, 4, 4), DEQ, HOLE_OFF)
CVE_CASE(cve_2022_2132_enqueue_header_only_3_descs, attack_short_chain, LENS3(4, 4, 4), ENQ,
	 HOLE_OFF)
CVE_CASE(cve_2022_2132_enqueue_shorter_than_header, attack_short_chain, LENS3(1, 5, 0), ENQ,
	 HOLE_OFF)
CVE_CASE(cve_2022_2132_header_over_3_descs, attack_header_spread, LENS3(1, 1, 10), DEQ, HOLE_OFF)
CVE_CASE(cve_2022_2132_header_over_4_descs, attack_header_spread, LENS4(3, 3, 3, 3), DEQ, HOLE_OFF)
CVE_CASE(cve_2022_2132_enqueue_header_over_3_descs, attack_header_spread, LENS3(4, 4, 4), ENQ,
	 HOLE_OFF)
CVE_CASE(cve_2024_11614_csum_start_beyond_packet, attack_csum, (uint64_t)PKT_LEN << 16, DEQ,
	 HOLE_OFF)
CVE_CASE(cve_2024_11614_csum_start_max, attack_csum, UINT64_C(0xffff) << 16, DEQ, HOLE_OFF)
CVE_CASE(cve_2024_11614_csum_start_offset_wrap, attack_csum, UINT64_C(0xffffffff), DEQ, HOLE_OFF)
CVE_CASE(cve_2024_11614_csum_start_double_fetch, attack_csum_race, 0, DEQ, HOLE_OFF)

#define BOTH(name) VIO_TEST(test_##name##_split), VIO_TEST(test_##name##_packed)

static const struct vio_test_case cases[] = {
	BOTH(cve_2018_1059_buf_across_region_edge),
	BOTH(cve_2018_1059_enqueue_buf_across_region_edge),
	BOTH(cve_2018_1059_buf_into_hole),
	BOTH(cve_2018_1059_enqueue_buf_into_hole),
	BOTH(cve_2018_1059_buf_in_hole),
	BOTH(cve_2018_1059_enqueue_buf_in_hole),
	BOTH(cve_2018_1059_table_ends_at_region_edge),
	BOTH(cve_2018_1059_table_unaligned),
	BOTH(cve_2018_1059_table_across_region_edge),
	BOTH(cve_2018_1059_table_into_hole),
	BOTH(cve_2018_1059_table_in_hole),
	BOTH(cve_2020_10725_zero_len_bad_addr_batch),
	BOTH(cve_2020_10725_enqueue_zero_len_bad_addr_batch),
	BOTH(cve_2020_10725_zero_len_only),
	BOTH(cve_2020_10725_enqueue_zero_len_only),
	BOTH(cve_2020_10725_zero_len_table_in_hole),
	BOTH(cve_2020_10725_zero_len_table_at_max),
	BOTH(cve_2020_14374_len_huge),
	BOTH(cve_2020_14374_enqueue_len_huge),
	BOTH(cve_2020_14374_len_not_trusted),
	BOTH(cve_2020_14374_enqueue_used_len_not_trusted),
	BOTH(cve_2020_14374_desc_len_double_fetch),
	BOTH(cve_2022_2132_shorter_than_header),
	BOTH(cve_2022_2132_header_only_3_descs),
	BOTH(cve_2022_2132_enqueue_header_only_3_descs),
	BOTH(cve_2022_2132_enqueue_shorter_than_header),
	BOTH(cve_2022_2132_header_over_3_descs),
	BOTH(cve_2022_2132_header_over_4_descs),
	BOTH(cve_2022_2132_enqueue_header_over_3_descs),
	BOTH(cve_2024_11614_csum_start_beyond_packet),
	BOTH(cve_2024_11614_csum_start_max),
	BOTH(cve_2024_11614_csum_start_offset_wrap),
	BOTH(cve_2024_11614_csum_start_double_fetch),
};

int
main(int argc, char **argv)
{
	uint32_t field;
	struct flipper warm = { .field = (uint8_t *)&field, .width = 4, .nb = 1 };
	struct cve x;

	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	pool = tg_pktmbuf_pool("test_cve", 1023);
	if (pool == NULL)
		return 1;
	/*
	 * Once through, so that what is made on first use is not taken for a
	 * leak: the memory of a first packet, a thread's stack (glibc keeps it).
	 */
	if (cve_setup(&x, false, false, true) != 0 || check_moves(&x, &x.q, 0) != 0)
		return 1;
	cve_teardown(&x);
	if (flipper_start(&warm) != 0)
		return 1;
	flipper_stop(&warm);
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}
