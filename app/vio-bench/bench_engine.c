/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The engine cells. Each cell (ring type, packet size, direction) has its own
 * guest: memfd memory, one virtqueue driven by vio's driver-side ring code
 * (test/common/vio_test_guest.h), and the engine queue over it. The guest
 * behaves like a polling driver (a DPDK virtio PMD): interrupts suppressed,
 * buffers set up once and posted again as soon as the engine returns them.
 *
 * Only the engine call is timed: rte_rdtsc_precise() (mfence, rdtsc) before
 * and after vio_vq_enqueue_burst() / vio_vq_dequeue_burst(). Reaping, posting,
 * publishing and freeing mbufs happen outside.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "bench.h"
#include "vio_test_guest.h"
#include "vio_virtio.h"

/*
 * Distinct packets an enqueue cell sends round robin: a ring's worth, capped
 * so that a 32768-entry ring does not need 75 MB of mbufs per cell.
 */
#define TX_PKTS_MAX 1024
/* mbufs of a dequeue cell's pool: bursts are freed at once, so the per-lcore cache serves. */
#define RX_POOL_SIZE  4095
#define RX_POOL_CACHE 256

struct bench_engine {
	bool csum;     /* --csum: UDP/IPv4 with partial checksums, completed in software */
	char name[40]; /* "split 64 enqueue", for messages */
	enum bench_dir dir;
	bool packed;
	bool mrg;
	uint32_t pkt_len;
	uint32_t hdr_len;
	uint32_t buf_len; /* bytes of each guest buffer as posted */
	uint16_t burst;
	uint16_t ring;
	struct tg_mem g;
	struct tg_vq q;
	bool g_up;
	bool q_up;
	struct vio_ring_buf *bufs; /* the guest's buffers, one per ring entry */
	uint16_t *owner;           /* per descriptor id in flight: its buffer */
	uint8_t *ref;              /* the packet's bytes */
	struct rte_mempool *mp;
	struct rte_mbuf **pkts; /* enqueue: the packets, sent round robin; dequeue: a burst */
	uint32_t nb_pkts;
	uint32_t next_pkt;
};

static uint8_t
pkt_byte(uint32_t off)
{
	return (uint8_t)(off * 131 + (off >> 8) + 1);
}

/* --csum: Ethernet, IPv4, UDP; the checksum field, 2 bytes at CSUM_FIELD, differs by run. */
#define CSUM_START 34
#define CSUM_FIELD (CSUM_START + 6)
#define CSUM_HDRS  (CSUM_START + 8)

/* The reference packet of --csum: UDP/IPv4, the pseudo-header sum in the checksum field. */
static void
csum_ref_build(uint8_t *p, uint32_t len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + 14);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(p + CSUM_START);

	memset(p, 0x02, 12);
	p[12] = 0x08; /* IPv4 */
	p[13] = 0x00;
	memset(ip, 0, sizeof(*ip) + sizeof(*u));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(VIO_IPV4(192, 0, 2, 1));
	ip->dst_addr = rte_cpu_to_be_32(VIO_IPV4(192, 0, 2, 2));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	u->src_port = rte_cpu_to_be_16(9);
	u->dst_port = rte_cpu_to_be_16(9);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(len - CSUM_START));
	u->dgram_cksum = rte_ipv4_phdr_cksum(ip, 0);
}

/* The packet's bytes are the reference's (with --csum: but for the checksum field). */
static bool
bytes_match(const struct bench_engine *b, const uint8_t *p)
{
	if (!b->csum)
		return memcmp(p, b->ref, b->pkt_len) == 0;
	return memcmp(p, b->ref, CSUM_FIELD) == 0 &&
	       memcmp(p + CSUM_FIELD + 2, b->ref + CSUM_FIELD + 2, b->pkt_len - CSUM_FIELD - 2) ==
		       0;
}

/* --csum: what an application asks of the transmit side, set again before each burst. */
static void
csum_request(struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		pkts[i]->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
		pkts[i]->l2_len = 14;
		pkts[i]->l3_len = 20;
	}
}

/* Post buffer @p i and remember which id holds it. */
static int
guest_post(struct bench_engine *b, uint16_t i)
{
	int id = tg_vq_post(&b->q, &b->bufs[i], 1, false);

	if (id < 0) {
		fprintf(stderr, "vio-bench: %s: the guest could not post buffer %u: %s\n", b->name,
			i, strerror(-id));
		return -1;
	}
	b->owner[id] = i;
	return 0;
}

/* Check one used entry the guest reaped (the first burst only). */
static int
used_check(const struct bench_engine *b, uint16_t i, uint32_t len)
{
	const uint8_t *p = tg_ptr(&b->g, b->bufs[i].addr);
	const struct vio_net_hdr_mrg *h = (const void *)p;

	if (b->dir == BENCH_DIR_DEQUEUE) {
		if (len == 0)
			return 0;
	} else if (b->hdr_len + b->pkt_len > b->buf_len) {
		/* Mergeable, several buffers per packet: the engine fills each but the last. */
		if (len <= b->buf_len)
			return 0;
	} else if (len == b->hdr_len + b->pkt_len && h->num_buffers == 1 &&
		   bytes_match(b, p + b->hdr_len)) {
		return 0;
	}
	fprintf(stderr, "vio-bench: %s: used entry of buffer %u: len %u or its bytes are wrong\n",
		b->name, i, len);
	return -1;
}

/* Reap what the engine used and post the same buffers again, as a driver refills its ring. */
static int
guest_recycle(struct bench_engine *b, bool check)
{
	uint16_t id;
	uint32_t len;
	int ret;

	while ((ret = tg_vq_reap(&b->q, &id, &len)) == 0) {
		if (check && used_check(b, b->owner[id], len) < 0)
			return -1;
		if (guest_post(b, b->owner[id]) < 0)
			return -1;
	}
	if (ret != -EAGAIN) {
		fprintf(stderr, "vio-bench: %s: the guest found a bad used entry: %s\n", b->name,
			strerror(-ret));
		return -1;
	}
	tg_vq_publish(&b->q);
	return 0;
}

/* A burst that moved fewer packets than the guest made room for: say why. */
static int
burst_short(const struct bench_engine *b, uint16_t n)
{
	struct vio_vq_stats st = tg_vq_stats(&b->q);
	const char *field = "";
	uint64_t value = 0;

	fprintf(stderr,
		"vio-bench: %s: the engine moved %u of %u packets (no_buffers %" PRIu64
		", too_big %" PRIu64 ", mbuf_alloc_failed %" PRIu64 ")\n",
		b->name, n, b->burst, st.no_buffers, st.too_big, st.mbuf_alloc_failed);
	if (vio_vq_error(b->q.vq, &field, &value) == 0)
		fprintf(stderr, "vio-bench: %s: queue broken by %s 0x%" PRIx64 "\n", b->name, field,
			value);
	return -1;
}

/* Lay out guest memory, the ring and the buffers, and post every buffer. */
static int
guest_setup(struct bench_engine *b, const struct bench_opts *o)
{
	uint64_t features = VIO_BIT(VIO_F_VERSION_1) |
			    (b->packed ? VIO_BIT(VIO_F_RING_PACKED) : 0) |
			    (b->mrg ? VIO_BIT(VIO_NET_F_MRG_RXBUF) : 0);
	uint64_t stride = RTE_ALIGN_CEIL(b->buf_len, 64);
	/* The rings (at most 26 bytes an entry, page aligned parts) and the buffers. */
	uint64_t size = 4 * 4096 + (uint64_t)b->ring * (32 + stride);
	uint16_t i;

	if (tg_mem_init(&b->g, size, o->regions) < 0)
		return -1;
	b->g_up = true;
	if (tg_vq_init(&b->q, &b->g, b->ring, features, 0) < 0) {
		fprintf(stderr, "vio-bench: %s: queue set-up failed%s\n", b->name,
			o->regions > 1 ? " (a ring part across a region edge? try fewer --regions)"
				       : "");
		return -1;
	}
	b->q_up = true;
	/* A polling guest: no interrupts (virtio 1.2, 2.7.10 and 2.8.10). */
	if (!o->notify && b->packed)
		vio_packed_drv_set_intr(&b->q.p, false);
	else if (!o->notify)
		vio_split_drv_set_intr(&b->q.s, false);
	for (i = 0; i < b->ring; i++) {
		uint64_t gpa = tg_alloc(&b->g, stride, 64);

		if (gpa == 0)
			return -1;
		b->bufs[i].addr = gpa;
		b->bufs[i].len = b->buf_len;
		b->bufs[i].write = b->dir == BENCH_DIR_ENQUEUE;
		/* A packet to transmit: a zero net header (no offloads), then the bytes. */
		if (b->dir == BENCH_DIR_DEQUEUE) {
			struct vio_net_hdr_mrg *h = tg_ptr(&b->g, gpa);

			memset(h, 0, b->hdr_len);
			if (b->csum) { /* --csum: as a guest's stack leaves a UDP packet */
				h->hdr.flags = VIO_NET_HDR_F_NEEDS_CSUM;
				h->hdr.csum_start = CSUM_START;
				h->hdr.csum_offset = CSUM_FIELD - CSUM_START;
			}
			memcpy((uint8_t *)h + b->hdr_len, b->ref, b->pkt_len);
		}
		if (guest_post(b, i) < 0)
			return -1;
	}
	tg_vq_publish(&b->q);
	return 0;
}

/* The host's side: the packets to enqueue, or the pool to dequeue into. */
static int
host_setup(struct bench_engine *b)
{
	static unsigned int seq;
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t i;

	snprintf(name, sizeof(name), "bench%u", seq++);
	if (b->dir == BENCH_DIR_DEQUEUE) {
		b->nb_pkts = b->burst;
		b->mp = rte_pktmbuf_pool_create(name, RX_POOL_SIZE, RX_POOL_CACHE, 0,
						RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	} else {
		b->nb_pkts = RTE_ALIGN_CEIL(RTE_MIN(b->ring, TX_PKTS_MAX), b->burst);
		b->mp = rte_pktmbuf_pool_create(name, b->nb_pkts, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						SOCKET_ID_ANY);
	}
	b->pkts = calloc(b->nb_pkts, sizeof(*b->pkts));
	if (b->mp == NULL || b->pkts == NULL) {
		fprintf(stderr, "vio-bench: %s: mbuf pool: %s\n", b->name, rte_strerror(rte_errno));
		return -1;
	}
	if (b->dir == BENCH_DIR_DEQUEUE)
		return 0;
	if (rte_pktmbuf_alloc_bulk(b->mp, b->pkts, b->nb_pkts) != 0)
		return -1;
	for (i = 0; i < b->nb_pkts; i++) {
		char *d = rte_pktmbuf_append(b->pkts[i], (uint16_t)b->pkt_len);

		if (d == NULL)
			return -1;
		memcpy(d, b->ref, b->pkt_len);
	}
	return 0;
}

/* The packets of a dequeue burst: length, one segment, the guest's bytes. */
static int
mbufs_check(const struct bench_engine *b, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = b->pkts[i];

		if (m->pkt_len != b->pkt_len || m->nb_segs != 1 ||
		    !bytes_match(b, rte_pktmbuf_mtod(m, const uint8_t *)) ||
		    (b->csum &&
		     rte_ipv4_udptcp_cksum_verify(
			     rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, 14),
			     rte_pktmbuf_mtod_offset(m, const void *, CSUM_START)) != 0)) {
			fprintf(stderr, "vio-bench: %s: packet %u: length %u or bytes wrong\n",
				b->name, i, m->pkt_len);
			return -1;
		}
	}
	return 0;
}

/* One burst end to end with every byte checked, before any timing. */
static int
engine_verify(struct bench_engine *b)
{
	struct vio_vq_stats st;
	uint16_t n;
	int ret;

	if (b->dir == BENCH_DIR_ENQUEUE) {
		if (b->csum)
			csum_request(b->pkts, b->burst);
		n = vio_vq_enqueue_burst(b->q.vq, b->pkts, b->burst);
		b->next_pkt = b->burst % b->nb_pkts;
		ret = 0;
	} else {
		n = vio_vq_dequeue_burst(b->q.vq, b->mp, b->pkts, b->burst);
		ret = mbufs_check(b, n);
		rte_pktmbuf_free_bulk(b->pkts, n);
	}
	if (n != b->burst)
		return burst_short(b, n);
	if (ret < 0 || guest_recycle(b, true) < 0)
		return -1;
	st = tg_vq_stats(&b->q);
	if (st.packets != n || st.bytes != (uint64_t)n * b->pkt_len) {
		fprintf(stderr,
			"vio-bench: %s: counters say %" PRIu64 " packets, %" PRIu64 " bytes\n",
			b->name, st.packets, st.bytes);
		return -1;
	}
	return 0;
}

struct bench_engine *
bench_engine_create(const struct bench_opts *o, bool packed, enum bench_dir dir, uint32_t pkt_len)
{
	struct bench_engine *b = calloc(1, sizeof(*b));
	uint32_t i;

	if (b == NULL)
		return NULL;
	snprintf(b->name, sizeof(b->name), "%s %u %s", packed ? "packed" : "split", pkt_len,
		 dir == BENCH_DIR_ENQUEUE ? "enqueue" : "dequeue");
	b->dir = dir;
	b->packed = packed;
	b->mrg = o->mrg;
	b->csum = o->csum;
	b->pkt_len = pkt_len;
	b->hdr_len = sizeof(struct vio_net_hdr_mrg); /* VERSION_1 (virtio 1.2, 5.1.6) */
	b->buf_len = dir == BENCH_DIR_ENQUEUE ? o->buf_len : b->hdr_len + pkt_len;
	b->burst = o->burst;
	b->ring = o->ring;
	b->bufs = calloc(b->ring, sizeof(*b->bufs));
	b->owner = calloc(b->ring, sizeof(*b->owner));
	b->ref = malloc(pkt_len);
	if (b->bufs == NULL || b->owner == NULL || b->ref == NULL)
		goto err;
	for (i = 0; i < pkt_len; i++)
		b->ref[i] = pkt_byte(i);
	if (b->csum && pkt_len < CSUM_HDRS) {
		fprintf(stderr, "vio-bench: %s: --csum needs packets of %u bytes or more\n",
			b->name, CSUM_HDRS);
		goto err;
	}
	if (b->csum)
		csum_ref_build(b->ref, pkt_len);
	if (guest_setup(b, o) < 0 || host_setup(b) < 0 || engine_verify(b) < 0)
		goto err;
	return b;
err:
	fprintf(stderr, "vio-bench: %s: set-up failed\n", b->name);
	bench_engine_free(b);
	return NULL;
}

static double
enqueue_run(struct bench_engine *b, uint64_t nb_pkts)
{
	uint64_t cycles = 0, done = 0;

	while (done < nb_pkts) {
		struct rte_mbuf **pkts = &b->pkts[b->next_pkt];
		uint64_t t0, t1;
		uint16_t n;

		if (guest_recycle(b, false) < 0)
			return -1;
		if (b->csum)
			csum_request(pkts, b->burst);
		t0 = rte_rdtsc_precise();
		n = vio_vq_enqueue_burst(b->q.vq, pkts, b->burst);
		t1 = rte_rdtsc_precise();
		if (unlikely(n != b->burst))
			return burst_short(b, n);
		cycles += t1 - t0;
		done += n;
		b->next_pkt += b->burst;
		if (b->next_pkt == b->nb_pkts)
			b->next_pkt = 0;
	}
	return (double)cycles / (double)done;
}

static double
dequeue_run(struct bench_engine *b, uint64_t nb_pkts)
{
	uint64_t cycles = 0, done = 0;

	while (done < nb_pkts) {
		uint64_t t0, t1;
		uint16_t n;

		if (guest_recycle(b, false) < 0)
			return -1;
		t0 = rte_rdtsc_precise();
		n = vio_vq_dequeue_burst(b->q.vq, b->mp, b->pkts, b->burst);
		t1 = rte_rdtsc_precise();
		if (unlikely(n != b->burst))
			return burst_short(b, n);
		cycles += t1 - t0;
		done += n;
		rte_pktmbuf_free_bulk(b->pkts, n);
	}
	return (double)cycles / (double)done;
}

double
bench_engine_run(struct bench_engine *b, uint64_t nb_pkts)
{
	double c = b->dir == BENCH_DIR_ENQUEUE ? enqueue_run(b, nb_pkts) : dequeue_run(b, nb_pkts);

	if (c >= 0 && vio_vq_is_broken(b->q.vq)) {
		fprintf(stderr, "vio-bench: %s: the queue broke\n", b->name);
		return -1;
	}
	return c;
}

void
bench_engine_free(struct bench_engine *b)
{
	if (b == NULL)
		return;
	if (b->dir == BENCH_DIR_ENQUEUE && b->pkts != NULL) {
		uint32_t i;

		for (i = 0; i < b->nb_pkts; i++)
			rte_pktmbuf_free(b->pkts[i]);
	}
	rte_mempool_free(b->mp);
	free(b->pkts);
	if (b->q_up)
		tg_vq_fini(&b->q);
	if (b->g_up)
		tg_mem_fini(&b->g);
	free(b->ref);
	free(b->owner);
	free(b->bufs);
	free(b);
}
