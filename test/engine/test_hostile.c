/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The engine against a hostile guest (doc/engine.md, "The guest is hostile").
 * Each case posts two good packets, then forges one chain that breaks a rule
 * of virtio 1.2 by writing the descriptors straight into guest memory, and
 * checks, for split and packed rings, that the burst delivers the good
 * packets byte for byte and stops; that exactly the one err_* counter that
 * names the rule is 1; that the queue is broken, says why and signals its
 * error eventfd; that later bursts return 0; that no mbuf leaks; that nothing
 * in guest memory changed but the delivered buffers and the used entries
 * (canaries surround every receive buffer); and that another queue on the
 * same memory goes on.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "vio_test.h"
#include "vio_test_guest.h"

#define F_BASE                                                                                    \
	(VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_RING_INDIRECT_DESC) | VIO_BIT(VIO_NET_F_CSUM) | \
	 VIO_BIT(VIO_NET_F_GUEST_CSUM))
#define F_NEXT     VIO_VRING_DESC_F_NEXT
#define F_WRITE    VIO_VRING_DESC_F_WRITE
#define F_INDIRECT VIO_VRING_DESC_F_INDIRECT
#define HDR_LEN    12
#define RING_SIZE  16
#define MEM_SIZE   (1u << 20)
/* The good packets: one descriptor (split) or slot (packed) each, 0 and 1. */
#define NB_GOOD 2
/* Where the forged chain starts: split descriptor index, packed buffer id. */
#define BAD 2
/* Bytes of an indirect table of @p n entries (both ring types: 16 bytes an entry). */
#define TBL_LEN(n) ((uint32_t)(n)*16)
#define RX_LEN     2048
#define CANARY_LEN 64
#define CANARY     0xa5
#define RX_FILL    0x5a
/* A TCP/IPv4 checksum request: Ethernet + IPv4 headers, then the TCP checksum field. */
#define CSUM_START  34
#define CSUM_OFFSET offsetof(struct rte_tcp_hdr, cksum)
/* Payload bytes of packet @p seq. */
#define PKT_LEN(seq) (100u + 50u * (seq))
/* Segment of the oversized transmit chain. */
#define OVERSIZED_SEG (512u << 10)

static struct rte_mempool *pool;

static uint8_t
pattern(uint32_t seq, uint32_t off)
{
	return (uint8_t)(seq * 131 + off * 7 + (off >> 8));
}

/* Guest memory holding a packet to transmit: an empty header, then the payload. */
static uint64_t
guest_tx_buf(struct tg_mem *g, uint32_t seq)
{
	uint64_t gpa = tg_alloc(g, HDR_LEN + PKT_LEN(seq), 64);
	uint8_t *p = tg_ptr(g, gpa);
	uint32_t i;

	memset(p, 0, HDR_LEN);
	for (i = 0; i < PKT_LEN(seq); i++)
		p[HDR_LEN + i] = pattern(seq, i);
	return gpa;
}

/* A receive buffer of RX_LEN bytes between two canaries. */
static uint64_t
guest_rx_buf(struct tg_mem *g)
{
	uint64_t gpa = tg_alloc(g, CANARY_LEN + RX_LEN + CANARY_LEN, 64);
	uint8_t *p = tg_ptr(g, gpa);

	memset(p, CANARY, CANARY_LEN);
	memset(p + CANARY_LEN, RX_FILL, RX_LEN);
	memset(p + CANARY_LEN + RX_LEN, CANARY, CANARY_LEN);
	return gpa + CANARY_LEN;
}

static struct rte_mbuf *
make_mbuf(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;
	uint32_t i;

	if (m == NULL)
		return NULL;
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)PKT_LEN(seq));
	for (i = 0; i < PKT_LEN(seq); i++)
		d[i] = pattern(seq, i);
	return m;
}

/* Payload of packet @p seq: in a receive buffer, or in an mbuf. */
static int
check_payload(const uint8_t *d, uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < PKT_LEN(seq); i++)
		T_ASSERT(d[i] == pattern(seq, i), "packet %u byte %u", seq, i);
	return 0;
}

static int
check_mbuf(const struct rte_mbuf *m, uint32_t seq)
{
	T_EQ(rte_pktmbuf_pkt_len(m), PKT_LEN(seq));
	T_EQ(m->data_len, PKT_LEN(seq)); /* small enough for one segment */
	return check_payload(rte_pktmbuf_mtod(m, const uint8_t *), seq);
}

/* One attack: the guest, the queue under attack, and a bystander queue. */
struct hostile {
	struct tg_mem g;
	struct tg_vq q;
	struct tg_vq other; /* same memory, created before the attack; must go on */
	bool packed;
	bool enq;               /* receive queue (enqueue) rather than transmit (dequeue) */
	uint16_t w;             /* F_WRITE on a receive chain, 0 on a transmit chain */
	uint64_t good[NB_GOOD]; /* the good packets' buffers */
	uint64_t buf;           /* a well-formed buffer for the forged chain (packet BAD) */
	uint32_t buf_len;
	uint8_t *snap;          /* guest memory just before the burst */
	struct rte_mbuf *in[4]; /* enqueue: packets 0..BAD, and one spare */
};

/* Post packet @p seq's buffer on @p q: a receive buffer, or the packet to transmit. */
static uint64_t
post_buf(struct hostile *x, struct tg_vq *q, uint32_t seq)
{
	struct vio_ring_buf b = { 0, RX_LEN, x->enq };

	b.addr = x->enq ? guest_rx_buf(&x->g) : guest_tx_buf(&x->g, seq);
	if (!x->enq)
		b.len = HDR_LEN + PKT_LEN(seq);
	return tg_vq_post(q, &b, 1, false) >= 0 ? b.addr : 0;
}

static int
hostile_setup(struct hostile *x, bool packed, bool enq)
{
	uint64_t features = F_BASE | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0);
	unsigned int i;

	memset(x, 0, sizeof(*x));
	x->packed = packed;
	x->enq = enq;
	x->w = enq ? F_WRITE : 0;
	T_EQ(tg_mem_init(&x->g, MEM_SIZE, 1), 0);
	T_EQ(tg_vq_init(&x->q, &x->g, RING_SIZE, features, 0), 0);
	T_EQ(tg_vq_init(&x->other, &x->g, RING_SIZE, features, 0), 0);
	x->snap = malloc(x->g.size);
	T_ASSERT(x->snap != NULL, "malloc");
	for (i = 0; i < NB_GOOD; i++)
		T_ASSERT((x->good[i] = post_buf(x, &x->q, i)) != 0, "post");
	x->buf = enq ? guest_rx_buf(&x->g) : guest_tx_buf(&x->g, BAD);
	x->buf_len = enq ? RX_LEN : HDR_LEN + PKT_LEN(BAD);
	if (enq) {
		for (i = 0; i < RTE_DIM(x->in); i++)
			T_ASSERT((x->in[i] = make_mbuf(i)) != NULL, "mbuf");
	}
	tg_vq_publish(&x->q);
	return 0;
}

static void
hostile_teardown(struct hostile *x)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(x->in); i++)
		rte_pktmbuf_free(x->in[i]);
	tg_vq_fini(&x->other);
	tg_vq_fini(&x->q);
	tg_mem_fini(&x->g);
	free(x->snap);
}

/* Enqueue packets x->in[first..first+n), or dequeue up to @p n into @p out. */
static uint16_t
burst(struct hostile *x, struct tg_vq *q, unsigned int first, struct rte_mbuf **out, uint16_t n)
{
	if (x->enq)
		return vio_vq_enqueue_burst(q->vq, &x->in[first], n);
	return vio_vq_dequeue_burst(q->vq, pool, out, n);
}

/*
 * The good packets arrived whole (dequeue: the mbufs, which are then freed;
 * enqueue: the guest's buffers) and the guest reaps exactly their used entries.
 */
static int
check_good(struct hostile *x, struct rte_mbuf **out, uint16_t n)
{
	const struct vio_net_hdr_mrg want = { .num_buffers = 1 };
	unsigned int i;

	for (i = 0; i < n; i++) {
		const uint8_t *d = tg_ptr(&x->g, x->good[i]);
		uint16_t id;
		uint32_t len;

		if (x->enq) {
			T_ASSERT(memcmp(d, &want, HDR_LEN) == 0, "packet %u header", i);
			T_EQ(check_payload(d + HDR_LEN, i), 0);
		} else {
			T_EQ(check_mbuf(out[i], i), 0);
			rte_pktmbuf_free(out[i]);
		}
		T_EQ(tg_vq_reap(&x->q, &id, &len), 0);
		T_EQ(id, i);
		T_EQ(len, x->enq ? HDR_LEN + PKT_LEN(i) : 0);
	}
	return 0;
}

/* A range of guest memory the device may write. */
struct span {
	uint64_t gpa;
	uint64_t len;
};

/* Where the device writes @p nb_used used entries of a queue that has returned none before. */
static struct span
used_span(const struct hostile *x, uint16_t nb_used)
{
	if (nb_used == 0)
		return (struct span){ 0, 0 };
	if (x->packed)
		return (struct span){ x->q.desc_gpa,
				      nb_used * sizeof(struct vio_vring_packed_desc) };
	return (struct span){ x->q.device_gpa,
			      offsetof(struct vio_vring_used, ring) +
				      nb_used * sizeof(struct vio_vring_used_elem) };
}

/* No byte of guest memory changed since the snapshot outside @p ok. */
static int
check_untouched(const struct hostile *x, const struct span *ok, unsigned int nb_ok)
{
	uint64_t off;

	if (memcmp(x->snap, x->g.base, x->g.size) == 0)
		return 0;
	for (off = 0; off < x->g.size; off++) {
		uint64_t gpa = TG_GPA_BASE + off;
		bool allowed = false;
		unsigned int i;

		if (x->snap[off] == x->g.base[off])
			continue;
		for (i = 0; i < nb_ok; i++)
			allowed |= gpa >= ok[i].gpa && gpa - ok[i].gpa < ok[i].len;
		T_ASSERT(allowed, "guest byte at gpa 0x%" PRIx64 " written: 0x%02x -> 0x%02x", gpa,
			 x->snap[off], x->g.base[off]);
	}
	return 0;
}

/* In place of a counter name: exactly one err_* counter is 1, whichever. */
#define ERR_ANY "err_*"

/*
 * Counters, broken state and error eventfd. @p err names the one err_*
 * counter that must be 1 (or is ERR_ANY), or is NULL for input that is valid.
 */
static int
check_errors(struct hostile *x, const char *err)
{
	struct vio_vq_stats st = tg_vq_stats(&x->q);
	uint64_t v[VIO_VQ_NB_STATS], nb_err = 0;
	const char *field = NULL;
	uint64_t value = 0;
	eventfd_t ev;
	unsigned int i;

	memcpy(v, &st, sizeof(v));
	for (i = 0; i < VIO_VQ_NB_STATS; i++) {
		const char *name = vio_vq_stat_name(i);
		bool want = err != NULL && strcmp(name, err) == 0;

		if (strncmp(name, "err_", 4) != 0)
			continue;
		nb_err += v[i];
		if (err == NULL || strcmp(err, ERR_ANY) != 0)
			T_ASSERT(v[i] == want, "%s = %" PRIu64 ", expected %d", name, v[i], want);
	}
	T_ASSERT(nb_err == (err != NULL), "%" PRIu64 " errors counted, expected %d", nb_err,
		 err != NULL);
	/* Refused as hostile before anything ran short. */
	T_EQ(st.no_buffers + st.too_big + st.mbuf_alloc_failed, 0);
	T_EQ(st.packets, err != NULL ? NB_GOOD : NB_GOOD + 1);
	if (err == NULL) {
		T_ASSERT(!vio_vq_is_broken(x->q.vq), "valid input broke the queue");
		T_EQ(vio_vq_error(x->q.vq, &field, &value), -ENOENT);
		T_ASSERT(eventfd_read(x->q.errfd, &ev) < 0, "error eventfd signalled");
		return 0;
	}
	T_ASSERT(vio_vq_is_broken(x->q.vq), "queue not broken");
	T_EQ(vio_vq_error(x->q.vq, &field, &value), 0);
	T_ASSERT(field != NULL && field[0] != '\0', "vio_vq_error names no field");
	T_EQ(eventfd_read(x->q.errfd, &ev), 0);
	T_EQ(ev, 1);
	T_ASSERT(!vio_vq_is_broken(x->other.vq), "the other queue broke too");
	T_ASSERT(eventfd_read(x->other.errfd, &ev) < 0, "the other queue's error eventfd");
	return 0;
}

/* A broken queue stays broken: bursts return 0, count nothing, signal nothing. */
static int
check_stays_broken(struct hostile *x)
{
	struct vio_vq_stats before = tg_vq_stats(&x->q), after;
	struct rte_mbuf *out[8];
	eventfd_t ev;

	T_EQ(burst(x, &x->q, BAD, out, x->enq ? 1 : RTE_DIM(out)), 0);
	T_EQ(burst(x, &x->q, BAD, out, x->enq ? 1 : RTE_DIM(out)), 0);
	after = tg_vq_stats(&x->q);
	T_ASSERT(memcmp(&before, &after, sizeof(before)) == 0, "counters moved");
	T_ASSERT(eventfd_read(x->q.errfd, &ev) < 0, "error eventfd signalled again");
	return 0;
}

/* Queue @p q moves one more packet (number @p seq) in the case's direction. */
static int
check_moves(struct hostile *x, struct tg_vq *q, uint32_t seq)
{
	uint64_t gpa = post_buf(x, q, seq);
	struct rte_mbuf *m = NULL;
	uint16_t id;
	uint32_t len;

	T_ASSERT(gpa != 0, "post");
	tg_vq_publish(q);
	if (x->enq) {
		T_ASSERT((m = make_mbuf(seq)) != NULL, "mbuf");
		T_EQ(vio_vq_enqueue_burst(q->vq, &m, 1), 1);
		rte_pktmbuf_free(m);
		T_EQ(check_payload((const uint8_t *)tg_ptr(&x->g, gpa) + HDR_LEN, seq), 0);
	} else {
		T_EQ(vio_vq_dequeue_burst(q->vq, pool, &m, 1), 1);
		T_EQ(check_mbuf(m, seq), 0);
		rte_pktmbuf_free(m);
	}
	T_EQ(tg_vq_reap(q, &id, &len), 0);
	T_ASSERT(!vio_vq_is_broken(q->vq), "broken");
	return 0;
}

/* Forge the chain at split index BAD (see tg_vq_forge()). */
static void
forge_chain(struct tg_vq *q, const struct tg_desc *d, unsigned int n)
{
	tg_vq_forge(q, BAD, d, n);
}

/* An indirect table of @p n entries in guest memory, in the ring's format; returns its GPA. */
static uint64_t
forge_table(struct hostile *x, const struct tg_desc *d, unsigned int n)
{
	uint64_t gpa = tg_alloc(&x->g, TBL_LEN(n), 16);

	tg_vq_forge_table(&x->q, gpa, d, n);
	return gpa;
}

/* One descriptor pointing at an indirect table (head of the forged chain). */
static void
forge_indirect(struct hostile *x, uint64_t tbl, uint32_t len, uint16_t id)
{
	const struct tg_desc d = { tbl, len, F_INDIRECT, 0, id };

	forge_chain(&x->q, &d, 1);
}

/* A header descriptor, then one of @p addr and 100 bytes with @p flags. */
static void
forge_pair(struct hostile *x, uint64_t addr, uint16_t flags)
{
	const struct tg_desc d[2] = {
		{ x->buf, HDR_LEN, x->w | F_NEXT, BAD + 1, 0 },
		{ addr, 100, flags, 0, BAD },
	};

	forge_chain(&x->q, d, 2);
}

/* Split: avail ring entry == ring size. Packed: buffer id == ring size. */
static void
forge_head_out_of_range(struct hostile *x, __rte_unused uint64_t arg)
{
	const struct tg_desc d = { x->buf, x->buf_len, x->w, 0, RING_SIZE };

	if (x->packed)
		forge_chain(&x->q, &d, 1);
	else
		tg_vq_forge_avail(&x->q, RING_SIZE);
}

/*
 * Split: a next index == ring size. Packed chains have no next (slots are
 * consecutive); the analogue is the id of the chain's last descriptor, 0xffff.
 */
static void
forge_next_out_of_range(struct hostile *x, __rte_unused uint64_t arg)
{
	const struct tg_desc d[2] = {
		{ x->buf, HDR_LEN, x->w | F_NEXT, RING_SIZE, 0 },
		{ x->buf + HDR_LEN, x->buf_len - HDR_LEN, x->w, 0, UINT16_MAX },
	};

	forge_chain(&x->q, d, 2);
}

/*
 * Split: next inside a 2-entry indirect table == 2. Packed tables have no next
 * either; the analogue is the id of the descriptor holding the table, == ring size.
 */
static void
forge_indirect_next_out_of_range(struct hostile *x, __rte_unused uint64_t arg)
{
	const struct tg_desc t[2] = {
		{ x->buf, HDR_LEN, x->w | F_NEXT, 2, 0 },
		{ x->buf + HDR_LEN, x->buf_len - HDR_LEN, x->w, 0, 0 },
	};

	forge_indirect(x, forge_table(x, t, 2), TBL_LEN(2), RING_SIZE);
}

/*
 * Every descriptor not in use links to the next, the last back to the first:
 * split, a walk of more than ring size steps; packed, every slot of the ring
 * has NEXT (the good packets' slots too: the case forges it after the guest
 * reaped them).
 */
static void
forge_ring_long_chain(struct hostile *x, __rte_unused uint64_t arg)
{
	struct tg_desc d[RING_SIZE];
	unsigned int i, n = x->packed ? RING_SIZE : RING_SIZE - BAD;

	for (i = 0; i < n; i++)
		d[i] = (struct tg_desc){ x->buf + i, 1, x->w | F_NEXT, BAD + (i + 1) % n, BAD };
	forge_chain(&x->q, d, n);
}

/* Split: A -> B -> A, both NEXT (virtio 1.2, 2.7.5.2). Packed chains cannot loop: see above. */
static void
forge_loop(struct hostile *x, uint64_t arg)
{
	const struct tg_desc d[2] = {
		{ x->buf, HDR_LEN, x->w | F_NEXT, BAD + 1, 0 },
		{ x->buf + HDR_LEN, x->buf_len - HDR_LEN, x->w | F_NEXT, BAD, 0 },
	};

	if (x->packed)
		forge_ring_long_chain(x, arg);
	else
		forge_chain(&x->q, d, 2);
}

/*
 * Split: a loop inside an indirect table. A packed table is read straight
 * through, bounded only by its length; the analogue is a table longer than
 * the largest vio accepts (VIO_RING_INDIRECT_MAX entries).
 */
static void
forge_indirect_loop(struct hostile *x, __rte_unused uint64_t arg)
{
	const struct tg_desc t[2] = {
		{ x->buf, HDR_LEN, x->w | F_NEXT, 1, 0 },
		{ x->buf + HDR_LEN, x->buf_len - HDR_LEN, x->w | F_NEXT, 0, 0 },
	};

	if (x->packed)
		forge_indirect(x, x->buf, TBL_LEN(VIO_RING_INDIRECT_MAX + 1), BAD);
	else
		forge_indirect(x, forge_table(x, t, 2), TBL_LEN(2), BAD);
}

/* INDIRECT inside an indirect table (virtio 1.2, 2.7.5.3.1 and 2.8.19). */
static void
forge_indirect_nested(struct hostile *x, __rte_unused uint64_t arg)
{
	const struct tg_desc inner = { x->buf + HDR_LEN, x->buf_len - HDR_LEN, x->w, 0, 0 };
	const struct tg_desc t[2] = {
		{ x->buf, HDR_LEN, x->w | F_NEXT, 1, 0 },
		{ forge_table(x, &inner, 1), TBL_LEN(1), F_INDIRECT, 0, 0 },
	};

	forge_indirect(x, forge_table(x, t, 2), TBL_LEN(2), BAD);
}

/* INDIRECT and NEXT on one descriptor. */
static void
forge_indirect_with_next(struct hostile *x, __rte_unused uint64_t arg)
{
	const struct tg_desc t = { x->buf, x->buf_len, x->w, 0, 0 };
	const struct tg_desc d[2] = {
		{ forge_table(x, &t, 1), TBL_LEN(1), F_INDIRECT | F_NEXT, BAD + 1, 0 },
		{ x->buf, x->buf_len, x->w, 0, BAD },
	};

	forge_chain(&x->q, d, 2);
}

/* A well-formed 2-entry table, named with length @p len. */
static void
forge_indirect_len(struct hostile *x, uint64_t len)
{
	const struct tg_desc t[2] = {
		{ x->buf, HDR_LEN, x->w | F_NEXT, 1, 0 },
		{ x->buf + HDR_LEN, x->buf_len - HDR_LEN, x->w, 0, 0 },
	};

	forge_indirect(x, forge_table(x, t, 2), (uint32_t)len, BAD);
}

/* A 2-entry table at GPA @p gpa. */
static void
forge_indirect_at(struct hostile *x, uint64_t gpa)
{
	forge_indirect(x, gpa, TBL_LEN(2), BAD);
}

/* An indirect table of 65 one-byte buffers: more than the engine's vector holds (64). */
static void
forge_too_many_segs(struct hostile *x, __rte_unused uint64_t arg)
{
	struct tg_desc t[65];
	unsigned int i;

	for (i = 0; i < RTE_DIM(t); i++)
		t[i] = (struct tg_desc){ x->buf + i, 1, x->w | F_NEXT, (uint16_t)(i + 1), 0 };
	t[RTE_DIM(t) - 1].flags = x->w;
	forge_indirect(x, forge_table(x, t, RTE_DIM(t)), TBL_LEN(RTE_DIM(t)), BAD);
}

/* One descriptor of @p len bytes. */
static void
forge_len(struct hostile *x, uint64_t len)
{
	const struct tg_desc d = { x->buf, (uint32_t)len, x->w, 0, BAD };

	forge_chain(&x->q, &d, 1);
}

/* A header, then 100 bytes at @p gpa. */
static void
forge_addr(struct hostile *x, uint64_t gpa)
{
	forge_pair(x, gpa, x->w);
}

/* Transmit: the payload descriptor device-writable. Receive: read-only. */
static void
forge_wrong_direction(struct hostile *x, __rte_unused uint64_t arg)
{
	forge_pair(x, x->buf + HDR_LEN, x->w ^ F_WRITE);
}

/* Transmit net headers that ask for what the specification forbids (virtio 1.2, 5.1.6.2). */
enum {
	BAD_CSUM_START,
	BAD_CSUM_OFFSET,
	BAD_GSO_TYPE,
	BAD_GSO_SIZE
};
static const struct vio_net_hdr bad_hdr[] = {
	[BAD_CSUM_START] = { .flags = VIO_NET_HDR_F_NEEDS_CSUM, .csum_start = PKT_LEN(BAD) },
	/* The checksum field's last byte one past the packet's end. */
	[BAD_CSUM_OFFSET] = { .flags = VIO_NET_HDR_F_NEEDS_CSUM,
			      .csum_start = CSUM_START,
			      .csum_offset = PKT_LEN(BAD) - CSUM_START - 1 },
	[BAD_GSO_TYPE] = { .gso_type = 9, .gso_size = 1448 },
	[BAD_GSO_SIZE] = { .flags = VIO_NET_HDR_F_NEEDS_CSUM,
			   .gso_type = VIO_NET_HDR_GSO_TCPV4,
			   .csum_start = CSUM_START,
			   .csum_offset = CSUM_OFFSET },
};

/* The forged transmit packet, well formed but for net header bad_hdr[@p which]. */
static void
forge_net_hdr(struct hostile *x, uint64_t which)
{
	const struct tg_desc d = { x->buf, x->buf_len, 0, 0, BAD };

	memcpy(tg_ptr(&x->g, x->buf), &bad_hdr[which], sizeof(bad_hdr[which]));
	forge_chain(&x->q, &d, 1);
}

/* Split: avail->idx ahead of the device's last seen index by ring size + 1. */
static void
forge_avail_idx_ahead(struct hostile *x, __rte_unused uint64_t arg)
{
	x->q.s.avail_idx = (uint16_t)(x->q.s.avail_idx + RING_SIZE + 1);
}

/*
 * A transmit packet of 4 MiB (8 descriptors of 512 KiB), larger than any
 * packet virtio-net sends (64 KiB with GSO) and than the test's mempool.
 */
static void
forge_oversized(struct hostile *x, __rte_unused uint64_t arg)
{
	uint64_t gpa = tg_alloc(&x->g, OVERSIZED_SEG, 64);
	struct tg_desc d[8];
	unsigned int i;

	for (i = 0; i < RTE_DIM(d); i++)
		d[i] = (struct tg_desc){ gpa, OVERSIZED_SEG, F_NEXT, BAD + i + 1, BAD };
	d[RTE_DIM(d) - 1].flags = 0;
	forge_chain(&x->q, d, RTE_DIM(d));
}

/* Forge after a first burst took the good packets (the bad input hides them otherwise). */
#define AFTER_SPLIT  1u
#define AFTER_PACKED 2u

struct hostile_case {
	void (*forge)(struct hostile *x, uint64_t arg);
	uint64_t arg;
	bool enq;
	unsigned int after; /* AFTER_* */
	/* The counter that must say why, split and packed (NULL: as split), or ERR_ANY. */
	const char *err[2];
};

static int
hostile_attack(struct hostile *x, const struct hostile_case *c, unsigned int avail_before)
{
	bool after = c->after & (x->packed ? AFTER_PACKED : AFTER_SPLIT);
	unsigned int first = after ? BAD : 0; /* enqueue: the first packet of the bad burst */
	struct rte_mbuf *out[8];
	struct span ok[NB_GOOD + 1];
	unsigned int i, nb_ok = 0;
	uint16_t n, id;
	uint32_t len;

	if (after) {
		T_EQ(burst(x, &x->q, 0, out, NB_GOOD), NB_GOOD);
		T_EQ(check_good(x, out, NB_GOOD), 0);
	}
	c->forge(x, c->arg);
	tg_vq_publish(&x->q);
	memcpy(x->snap, x->g.base, x->g.size);
	n = burst(x, &x->q, first, out, x->enq ? BAD + 1 - first : RTE_DIM(out));
	T_EQ(n, after ? 0 : NB_GOOD);
	/* Written: the used entries and, on receive, the delivered bytes; nothing else. */
	ok[nb_ok++] = used_span(x, n);
	for (i = 0; x->enq && i < n; i++)
		ok[nb_ok++] = (struct span){ x->good[i], HDR_LEN + PKT_LEN(i) };
	T_EQ(check_untouched(x, ok, nb_ok), 0);
	T_EQ(check_good(x, out, n), 0);
	if (!x->enq) /* the delivered mbufs are freed, the engine gave back the rest */
		T_EQ(rte_mempool_avail_count(pool), avail_before);
	T_EQ(tg_vq_reap(&x->q, &id, &len), -EAGAIN);
	T_EQ(check_errors(x, c->err[x->packed] != NULL ? c->err[x->packed] : c->err[0]), 0);
	T_EQ(check_stays_broken(x), 0);
	return check_moves(x, &x->other, 7);
}

/*
 * Valid: a net header spread over descriptors of 3, 0, 4 and 5 bytes, in
 * reverse order in memory, then the payload (virtio 1.2, 2.6.4: the device
 * must not assume any framing). Transmit: the header's checksum request is
 * parsed; receive: the header is written across the pieces.
 */
static const struct {
	uint32_t off, len; /* in a 64-byte area */
} hdr_piece[] = { { 40, 3 }, { 60, 0 }, { 20, 4 }, { 0, 5 } };

static int
header_spread(struct hostile *x, __rte_unused const struct hostile_case *c,
	      __rte_unused unsigned int avail_before)
{
	bool enq = x->enq;
	struct vio_net_hdr_mrg want = { 0 };
	struct vio_ring_buf b[RTE_DIM(hdr_piece) + 1];
	struct rte_mbuf *out[8];
	uint8_t hdr[HDR_LEN];
	unsigned int i, off;
	uint8_t *p;
	uint64_t hg;
	uint16_t id;
	uint32_t len;

	want.hdr.flags = VIO_NET_HDR_F_NEEDS_CSUM;
	want.hdr.csum_start = CSUM_START;
	want.hdr.csum_offset = CSUM_OFFSET;
	want.num_buffers = enq;
	hg = tg_alloc(&x->g, 64, 64);
	p = tg_ptr(&x->g, hg);
	memset(p, RX_FILL, 64);
	for (i = 0, off = 0; i < RTE_DIM(hdr_piece); off += hdr_piece[i++].len) {
		if (!enq)
			memcpy(p + hdr_piece[i].off, (uint8_t *)&want + off, hdr_piece[i].len);
		b[i] = (struct vio_ring_buf){ hg + hdr_piece[i].off, hdr_piece[i].len, enq };
	}
	b[i] = (struct vio_ring_buf){ x->buf + HDR_LEN, x->buf_len - HDR_LEN, enq };
	T_EQ(tg_vq_post(&x->q, b, RTE_DIM(b), false), BAD);
	tg_vq_publish(&x->q);
	if (enq) {
		x->in[BAD]->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
		x->in[BAD]->l2_len = 14;
		x->in[BAD]->l3_len = 20;
	}
	memcpy(x->snap, x->g.base, x->g.size);
	T_EQ(burst(x, &x->q, 0, out, enq ? BAD + 1 : RTE_DIM(out)), NB_GOOD + 1);
	{
		const struct span ok[] = {
			used_span(x, NB_GOOD + 1),
			{ enq ? x->good[0] : 0, HDR_LEN + PKT_LEN(0) },
			{ enq ? x->good[1] : 0, HDR_LEN + PKT_LEN(1) },
			{ enq ? hg : 0, 64 },
			{ enq ? x->buf + HDR_LEN : 0, PKT_LEN(BAD) },
		};

		T_EQ(check_untouched(x, ok, RTE_DIM(ok)), 0);
	}
	T_EQ(check_good(x, out, NB_GOOD), 0);
	T_EQ(tg_vq_reap(&x->q, &id, &len), 0);
	T_EQ(id, BAD);
	if (enq) {
		T_EQ(len, HDR_LEN + PKT_LEN(BAD));
		for (i = 0, off = 0; i < RTE_DIM(hdr_piece); off += hdr_piece[i++].len)
			memcpy(hdr + off, p + hdr_piece[i].off, hdr_piece[i].len);
		T_ASSERT(memcmp(hdr, &want, HDR_LEN) == 0, "header pieces");
		T_EQ(check_payload((const uint8_t *)tg_ptr(&x->g, x->buf) + HDR_LEN, BAD), 0);
	} else {
		T_EQ(len, 0);
		uint8_t data[PKT_LEN(BAD)];
		struct vio_vq_stats st;
		uint16_t sum, phdr;

		/*
		 * The request was gathered from the pieces: the partial checksum
		 * is completed in software (no receive offload enabled), two bytes
		 * at csum_start + csum_offset, the rest as the guest sent it.
		 */
		T_EQ(vio_vq_stats_get(x->q.vq, &st), 0);
		T_EQ(st.csum_sw, 1);
		T_EQ(out[BAD]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, 0);
		/*
		 * The field held the pseudo-header's sum (here: whatever the
		 * guest's bytes were); with it added back, the sum checks.
		 */
		memcpy(&phdr,
		       (const uint8_t *)tg_ptr(&x->g, x->buf) + HDR_LEN + CSUM_START + CSUM_OFFSET,
		       sizeof(phdr));
		T_EQ(rte_raw_cksum_mbuf(out[BAD], CSUM_START, PKT_LEN(BAD) - CSUM_START, &sum), 0);
		T_EQ(sum, (uint16_t)~phdr);
		T_EQ(rte_pktmbuf_pkt_len(out[BAD]), PKT_LEN(BAD));
		memcpy(data, rte_pktmbuf_mtod(out[BAD], const uint8_t *), sizeof(data));
		memcpy(data + CSUM_START + CSUM_OFFSET, &phdr, sizeof(phdr));
		T_EQ(check_payload(data, BAD), 0);
		rte_pktmbuf_free(out[BAD]);
	}
	T_EQ(check_errors(x, NULL), 0);
	T_EQ(check_moves(x, &x->q, 6), 0);
	return check_moves(x, &x->other, 7);
}

/* Set up, run @p fn, tear down (when @p fn fails too), and check that no mbuf leaked. */
static int
run(bool packed, bool enq,
    int (*fn)(struct hostile *x, const struct hostile_case *c, unsigned int avail_before),
    const struct hostile_case *c)
{
	unsigned int avail_before = rte_mempool_avail_count(pool);
	struct hostile x;
	int ret;

	T_EQ(hostile_setup(&x, packed, enq), 0);
	ret = fn(&x, c, avail_before);
	hostile_teardown(&x);
	T_EQ(ret, 0);
	T_EQ(rte_mempool_avail_count(pool), avail_before);
	return 0;
}

static int
run_hostile(bool packed, const struct hostile_case *c)
{
	return run(packed, c->enq, hostile_attack, c);
}

static int
run_header_spread(bool packed, bool enq)
{
	return run(packed, enq, header_spread, NULL);
}

#define DEQ     false
#define ENQ     true
#define E(name) "err_" #name

/* test_hostile_<name>_split and test_hostile_<name>_packed: @p run(packed, @p arg). */
#define TEST_PAIR(name, run, arg)                     \
	static int test_hostile_##name##_split(void)  \
	{                                             \
		return run(false, arg);               \
	}                                             \
	static int test_hostile_##name##_packed(void) \
	{                                             \
		return run(true, arg);                \
	}

/* A hostile case: forge, forge's argument, direction, AFTER_*, counter for split and packed. */
#define HOSTILE_CASE(name, ...)                                  \
	static const struct hostile_case name = { __VA_ARGS__ }; \
	TEST_PAIR(name, run_hostile, &name)

/* The same for a case that exists for split rings only. */
#define HOSTILE_CASE_SPLIT(name, ...)                            \
	static const struct hostile_case name = { __VA_ARGS__ }; \
	static int test_hostile_##name##_split(void)             \
	{                                                        \
		return run_hostile(false, &name);                \
	}

/* 1. Descriptor index out of range; packed: buffer id out of range. */
HOSTILE_CASE(desc_idx_out_of_range, forge_head_out_of_range, 0, DEQ, 0, { E(desc_idx), E(buf_id) })
HOSTILE_CASE(enqueue_desc_idx_out_of_range, forge_head_out_of_range, 0, ENQ, 0,
	     { E(desc_idx), E(buf_id) })
HOSTILE_CASE(desc_next_out_of_range, forge_next_out_of_range, 0, DEQ, 0, { E(desc_idx), E(buf_id) })
HOSTILE_CASE(indirect_next_out_of_range, forge_indirect_next_out_of_range, 0, DEQ, 0,
	     { E(desc_idx), E(buf_id) })
/* 2. Loops; packed chains cannot loop, their analogue is 3. */
HOSTILE_CASE(desc_loop, forge_loop, 0, DEQ, AFTER_PACKED, { E(desc_loop), E(chain_len) })
HOSTILE_CASE(indirect_loop, forge_indirect_loop, 0, DEQ, 0, { E(desc_loop), E(indirect_len) })
/* 3. Longer than the ring: split, a walk of ring size + 1 steps must be a loop. */
HOSTILE_CASE(chain_longer_than_ring, forge_ring_long_chain, 0, DEQ, AFTER_PACKED,
	     { E(desc_loop), E(chain_len) })
HOSTILE_CASE(enqueue_chain_longer_than_ring, forge_ring_long_chain, 0, ENQ, AFTER_PACKED,
	     { E(desc_loop), E(chain_len) })
HOSTILE_CASE(too_many_segs, forge_too_many_segs, 0, DEQ, 0, { E(chain_segs) })
/* 4. and 5. Indirect tables. */
HOSTILE_CASE(indirect_nested, forge_indirect_nested, 0, DEQ, 0, { E(indirect_nested) })
HOSTILE_CASE(indirect_with_next, forge_indirect_with_next, 0, DEQ, 0, { E(indirect_next) })
HOSTILE_CASE(indirect_len_unaligned, forge_indirect_len, 24, DEQ, 0, { E(indirect_len) })
HOSTILE_CASE(indirect_len_zero, forge_indirect_len, 0, DEQ, 0, { E(indirect_len) })
HOSTILE_CASE(indirect_addr_outside, forge_indirect_at, TG_GPA_BASE + MEM_SIZE + 4096, DEQ, 0,
	     { E(indirect_addr) })
/* The table's first entry is the last 16 bytes of guest memory, its second beyond. */
HOSTILE_CASE(indirect_addr_past_end, forge_indirect_at, TG_GPA_BASE + MEM_SIZE - 16, DEQ, 0,
	     { E(indirect_addr) })
/* 6. Zero-length and header-only chains. */
HOSTILE_CASE(zero_len_chain, forge_len, 0, DEQ, 0, { E(zero_len) })
HOSTILE_CASE(header_only_chain, forge_len, HDR_LEN, DEQ, 0, { E(short_chain) })
HOSTILE_CASE(enqueue_zero_len_chain, forge_len, 0, ENQ, 0, { E(zero_len) })
HOSTILE_CASE(enqueue_header_only_chain, forge_len, HDR_LEN, ENQ, 0, { E(short_chain) })
/* 8. and 9. Buffers outside guest memory; past the end: 50 bytes in, 50 beyond. */
HOSTILE_CASE(addr_below_memory, forge_addr, TG_GPA_BASE - 4096, DEQ, 0, { E(addr) })
HOSTILE_CASE(addr_beyond_memory, forge_addr, TG_GPA_BASE + MEM_SIZE, DEQ, 0, { E(addr) })
HOSTILE_CASE(addr_past_end, forge_addr, TG_GPA_BASE + MEM_SIZE - 50, DEQ, 0, { E(addr) })
HOSTILE_CASE(enqueue_addr_past_end, forge_addr, TG_GPA_BASE + MEM_SIZE - 50, ENQ, 0, { E(addr) })
HOSTILE_CASE(addr_overflow, forge_addr, UINT64_MAX - 8, DEQ, 0, { E(addr_overflow) })
HOSTILE_CASE(enqueue_addr_overflow, forge_addr, UINT64_MAX - 8, ENQ, 0, { E(addr_overflow) })
/* 10. Net header requests beyond the packet, or unknown. */
HOSTILE_CASE(csum_start_beyond_packet, forge_net_hdr, BAD_CSUM_START, DEQ, 0, { E(csum_offset) })
HOSTILE_CASE(csum_offset_beyond_packet, forge_net_hdr, BAD_CSUM_OFFSET, DEQ, 0, { E(csum_offset) })
HOSTILE_CASE(gso_type_unknown, forge_net_hdr, BAD_GSO_TYPE, DEQ, 0, { E(gso) })
HOSTILE_CASE(gso_size_zero, forge_net_hdr, BAD_GSO_SIZE, DEQ, 0, { E(gso) })
/* 12. Direction. */
HOSTILE_CASE(writable_desc_on_transmit, forge_wrong_direction, 0, DEQ, 0, { E(desc_dir) })
HOSTILE_CASE(readonly_desc_on_receive, forge_wrong_direction, 0, ENQ, 0, { E(desc_dir) })
/*
 * A transmit chain no packet can need must break the queue, whatever counter
 * says why. Today the engine tries to copy it, runs the mempool dry, counts
 * mbuf_alloc_failed and retries it on every burst: the queue is stuck, never
 * broken, and each burst drains the shared mempool (reported engine bug).
 */
HOSTILE_CASE(oversized_chain, forge_oversized, 0, DEQ, 0, { ERR_ANY })

/*
 * 11. avail->idx too far ahead. Split only: a packed ring has no avail index
 * (availability is per descriptor, in its flags), so there is no packed test.
 */
HOSTILE_CASE_SPLIT(avail_idx_ahead, forge_avail_idx_ahead, 0, DEQ, AFTER_SPLIT, { E(avail_idx) })
HOSTILE_CASE_SPLIT(enqueue_avail_idx_ahead, forge_avail_idx_ahead, 0, ENQ, AFTER_SPLIT,
		   { E(avail_idx) })

/* 7. Valid: a net header over several descriptors is delivered, the queue stays up. */
TEST_PAIR(net_header_spread, run_header_spread, DEQ)
TEST_PAIR(enqueue_net_header_spread, run_header_spread, ENQ)

#define BOTH(name) VIO_TEST(test_hostile_##name##_split), VIO_TEST(test_hostile_##name##_packed)

static const struct vio_test_case cases[] = {
	BOTH(desc_idx_out_of_range),
	BOTH(enqueue_desc_idx_out_of_range),
	BOTH(desc_next_out_of_range),
	BOTH(indirect_next_out_of_range),
	BOTH(desc_loop),
	BOTH(indirect_loop),
	BOTH(chain_longer_than_ring),
	BOTH(enqueue_chain_longer_than_ring),
	BOTH(too_many_segs),
	BOTH(indirect_nested),
	BOTH(indirect_with_next),
	BOTH(indirect_len_unaligned),
	BOTH(indirect_len_zero),
	BOTH(indirect_addr_outside),
	BOTH(indirect_addr_past_end),
	BOTH(zero_len_chain),
	BOTH(header_only_chain),
	BOTH(enqueue_zero_len_chain),
	BOTH(enqueue_header_only_chain),
	BOTH(net_header_spread),
	BOTH(enqueue_net_header_spread),
	BOTH(addr_below_memory),
	BOTH(addr_beyond_memory),
	BOTH(addr_past_end),
	BOTH(enqueue_addr_past_end),
	BOTH(addr_overflow),
	BOTH(enqueue_addr_overflow),
	BOTH(csum_start_beyond_packet),
	BOTH(csum_offset_beyond_packet),
	BOTH(gso_type_unknown),
	BOTH(gso_size_zero),
	VIO_TEST(test_hostile_avail_idx_ahead_split),
	VIO_TEST(test_hostile_enqueue_avail_idx_ahead_split),
	BOTH(writable_desc_on_transmit),
	BOTH(readonly_desc_on_receive),
	BOTH(oversized_chain),
};

int
main(int argc, char **argv)
{
	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	pool = tg_pktmbuf_pool("test_hostile", 1023);
	if (pool == NULL)
		return 1;
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}
