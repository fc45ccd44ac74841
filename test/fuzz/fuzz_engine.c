/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The engine's descriptor walk (lib/engine) over guest memory the input
 * writes: split and packed rings, indirect tables, mergeable buffers, both
 * directions (enqueue: host to guest, into the guest's receive chains;
 * dequeue: guest to host, the guest's transmit chains and net headers),
 * inflight regions an earlier instance would have left, and the guest
 * changing the ring between bursts.
 *
 * Guest memory is one memfd of 64 KiB in two regions with a hole between
 * them: GPAs [0, 0x8000) and [0x9000, 0x10000). The rings sit at GPA 0
 * (descriptors), 0x800 (avail ring or driver event) and 0xc00 (used ring or
 * device event); everything else is buffers and indirect tables.
 *
 * An input is
 *   8 bytes of configuration (cfg_* below),
 *   16 pokes (u16 GPA offset, u8 value): the guest's writes between bursts,
 *   16 bytes of packet sizes (enqueue),
 *   then the guest memory image, from GPA 0 (bytes past 0x8000 go to the
 *   second region).
 * In "tame" mode the harness folds each ring descriptor's address and length
 * into guest memory (addr % 64 KiB, len % 4 KiB) so that the walk gets past
 * the first translation; the indirect tables are left as they are.
 *
 * Checked besides memory safety: every mbuf a dequeue returns is sane
 * (rte_mbuf_check, a length no larger than the largest packet); a dequeue
 * writes no guest byte but the used ring (split) or the descriptor ring and
 * device event (packed): the guest's buffers, tables and avail ring stay as
 * they were; an enqueue writes those and the buffers of device-writable
 * descriptors only; no mbuf leaks (the pool is full again after each input); the
 * counters only grow; and a broken queue moves nothing more.
 */

#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fuzz_common.h"
#include "vio_engine.h"
#include "vio_mem.h"
#include "vio_virtio.h"

#define MEM_SIZE   0x10000u
#define R0_SIZE    0x8000u /* GPA [0, 0x8000): file [0, 0x8000) */
#define R1_GPA     0x9000u /* GPA [0x9000, 0x10000): file [0x8000, 0xf000) */
#define R1_SIZE    0x7000u
#define DESC_GPA   0x0000u
#define DRIVER_GPA 0x0800u
#define DEVICE_GPA 0x0c00u
#define RING_MAX   64u
#define POKES      16u
#define BURST_MAX  8u
#define POOL_SIZE  2048u

/* cfg[0] */
#define CFG_PACKED   (1u << 0)
#define CFG_ENQUEUE  (1u << 1)
#define CFG_TAME     (1u << 2)
#define CFG_INFLIGHT (1u << 3) /* an inflight region, its contents the memory image's */
#define CFG_OFFLOADS (1u << 4) /* enqueue: TCP packets asking for checksums or TSO */
/* cfg[0] bits 5-6: bursts - 1; cfg[1]: features; cfg[2]: ring size; cfg[3..4]: base;
 * cfg[5]: burst size; cfg[6]: VIO_VQ_OFFLOAD_* (dequeue); cfg[7]: TSO segment size. */

static const uint64_t feature_bits[8] = {
	VIO_BIT(VIO_F_RING_INDIRECT_DESC),
	VIO_BIT(VIO_NET_F_MRG_RXBUF),
	VIO_BIT(VIO_F_RING_EVENT_IDX),
	VIO_BIT(VIO_F_IN_ORDER),
	VIO_BIT(VIO_NET_F_CSUM) | VIO_BIT(VIO_NET_F_GUEST_CSUM),
	VIO_BIT(VIO_NET_F_GUEST_TSO4) | VIO_BIT(VIO_NET_F_GUEST_TSO6),
	VIO_BIT(VIO_NET_F_HOST_TSO4) | VIO_BIT(VIO_NET_F_HOST_TSO6),
	VIO_BIT(VIO_F_VERSION_1),
};

static struct rte_mempool *pool;
static struct vio_mem *mem;
static uint8_t *guest;             /* the harness's own mapping of the whole memfd */
static uint8_t snap[MEM_SIZE];     /* guest memory before a burst */
static uint8_t writable[MEM_SIZE]; /* enqueue: file bytes some descriptor lets the device write */
static int callfd, errfd;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vio_mem_region_desc d[2];
	int fd;

	(void)argc;
	(void)argv;
	fuzz_eal_init();
	pool = rte_pktmbuf_pool_create("fuzz_engine", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	FUZZ_CHECK(pool != NULL, "mempool");
	fd = fuzz_memfd(MEM_SIZE);
	FUZZ_CHECK(fd >= 0, "memfd");
	guest = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	FUZZ_CHECK(guest != MAP_FAILED, "mmap");
	d[0] = (struct vio_mem_region_desc){
		.fd = fd, .gpa = 0, .uaddr = 0x10000000, .size = R0_SIZE
	};
	d[1] = (struct vio_mem_region_desc){ .fd = fd,
					     .mmap_offset = R0_SIZE,
					     .gpa = R1_GPA,
					     .uaddr = 0x20000000,
					     .size = R1_SIZE };
	mem = vio_mem_create(d, 2);
	FUZZ_CHECK(mem != NULL, "vio_mem_create");
	close(fd);
	callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	errfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	FUZZ_CHECK(callfd >= 0 && errfd >= 0, "eventfd");
	return 0;
}

/* The harness's address of guest byte @p gpa (in a region, or in the hole). */
static uint8_t *
gpa_ptr(uint32_t gpa)
{
	return gpa < R0_SIZE ? guest + gpa : guest + R0_SIZE + (gpa - R1_GPA);
}

/* Fold the ring's descriptors into guest memory. */
static void
tame(uint16_t size)
{
	uint16_t i;

	for (i = 0; i < size; i++) {
		struct vio_vring_desc *d = (struct vio_vring_desc *)(guest + DESC_GPA) + i;

		d->addr %= MEM_SIZE;
		d->len %= 4096;
	}
}

/* A packet of @p len bytes (TCP/IPv4 when @p tcp and it holds the headers), in 1500-byte pieces. */
static struct rte_mbuf *
pkt_make(uint32_t len, bool tcp, uint16_t mss, uint8_t seed)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	uint32_t off = 0;

	while (off < len || head == NULL) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t n = len - off < 1500 ? len - off : 1500;
		uint8_t *p;

		FUZZ_CHECK(m != NULL, "mbuf");
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		memset(p, seed + (uint8_t)off, n);
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			FUZZ_CHECK(false, "chain");
		tail = m;
		off += n;
		if (n == 0)
			break;
	}
	(void)tail;
	if (tcp && len >= 54) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(head, struct rte_ether_hdr *);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

		memset(eth, 0, sizeof(*eth) + sizeof(*ip) + sizeof(*th));
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth)));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		th->data_off = 5 << 4;
		head->l2_len = sizeof(*eth);
		head->l3_len = sizeof(*ip);
		head->l4_len = sizeof(*th);
		head->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
				 RTE_MBUF_F_TX_TCP_CKSUM;
		if (mss != 0 && len > 54u + mss) {
			head->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
			head->tso_segsz = mss;
		}
	}
	return head;
}

static void
stats_check(const struct vio_vq_stats *old, const struct vio_vq_stats *now)
{
	const uint64_t *a = (const uint64_t *)old, *b = (const uint64_t *)now;
	unsigned int i;

	for (i = 0; i < VIO_VQ_NB_STATS; i++)
		FUZZ_CHECK(b[i] >= a[i], "counter %s went from %lu to %lu", vio_vq_stat_name(i),
			   (unsigned long)a[i], (unsigned long)b[i]);
}

/* Guest bytes [from, to) are as before the burst. */
static void
unchanged(uint32_t from, uint32_t to)
{
	uint32_t i;

	if (from >= to || memcmp(guest + from, snap + from, to - from) == 0)
		return;
	for (i = from; i < to; i++)
		FUZZ_CHECK(guest[i] == snap[i],
			   "dequeue wrote guest memory at file offset 0x%x (0x%02x to 0x%02x)", i,
			   snap[i], guest[i]);
}

/* Mark guest bytes [gpa, gpa + len) writable, as far as they are guest memory. */
static void
writable_mark(uint64_t gpa, uint64_t len)
{
	uint64_t end = len > MEM_SIZE ? MEM_SIZE : gpa + len;

	for (; gpa < end && gpa < MEM_SIZE; gpa++)
		if (gpa < R0_SIZE || gpa >= R1_GPA)
			writable[gpa_ptr((uint32_t)gpa) - guest] = 1;
}

/* The buffers of the device-writable descriptors in @p n descriptors at file offset @p off. */
static void
writable_table(uint32_t off, uint32_t n, bool top)
{
	uint32_t i;

	for (i = 0; i < n && off + 16u * (i + 1) <= MEM_SIZE; i++) {
		struct vio_vring_desc d;
		struct vio_vring_packed_desc p;
		uint16_t flags;

		/* A table may sit anywhere: copied, not dereferenced in place. */
		memcpy(&d, snap + off + 16u * i, sizeof(d));
		memcpy(&p, snap + off + 16u * i, sizeof(p));
		/* The flags: split descriptors have them at byte 12, packed ones at byte 14. */
		flags = d.flags | p.flags;
		if (flags & VIO_VRING_DESC_F_WRITE)
			writable_mark(d.addr, d.len);
		if (top && (flags & VIO_VRING_DESC_F_INDIRECT) && d.addr < MEM_SIZE &&
		    (d.addr < R0_SIZE || d.addr >= R1_GPA))
			writable_table((uint32_t)(gpa_ptr((uint32_t)d.addr) - guest), d.len / 16,
				       false);
	}
}

/*
 * After an enqueue: what changed lies in the ring parts the device writes or
 * in the buffer of a descriptor the guest made device-writable (any in the
 * ring or its indirect tables: a superset of what the chains taken offer).
 */
static void
enqueue_writes_check(bool packed, uint16_t size)
{
	uint32_t i;

	memset(writable, 0, sizeof(writable));
	writable_table(DESC_GPA, size, true);
	if (packed) {
		memset(writable + DESC_GPA, 1, 16u * size);
		memset(writable + DEVICE_GPA, 1, 4);
	} else {
		memset(writable + DEVICE_GPA, 1, 6u + 8u * size);
	}
	if (memcmp(guest, snap, MEM_SIZE) == 0)
		return;
	for (i = 0; i < MEM_SIZE; i++)
		FUZZ_CHECK(guest[i] == snap[i] || writable[i],
			   "enqueue wrote guest memory at file offset 0x%x (0x%02x to 0x%02x), "
			   "in no device-writable buffer",
			   i, snap[i], guest[i]);
}

/* After a dequeue: what changed in guest memory lies in what the device writes. */
static void
writes_check(bool packed, uint16_t size)
{
	if (packed) {
		/* The descriptor ring (used descriptors), then the device event structure. */
		unchanged(DESC_GPA + 16u * size, DEVICE_GPA);
		unchanged(DEVICE_GPA + 4u, MEM_SIZE);
	} else {
		/* The used ring: flags, idx, the elements, avail_event. */
		unchanged(0, DEVICE_GPA);
		unchanged(DEVICE_GPA + 6u + 8u * size, MEM_SIZE);
	}
}

static void
burst(struct vio_vq *vq, const uint8_t *cfg, const uint8_t *sizes, bool packed, uint16_t size)
{
	struct rte_mbuf *pkts[BURST_MAX];
	uint16_t n = (cfg[5] % BURST_MAX) + 1, got, i;
	bool broken = vio_vq_is_broken(vq);
	const char *reason;

	if (cfg[0] & CFG_ENQUEUE) {
		for (i = 0; i < n; i++)
			pkts[i] = pkt_make(14u + sizes[i] * 24u + sizes[i + 8],
					   cfg[0] & CFG_OFFLOADS, cfg[7] * 8u, sizes[i]);
		memcpy(snap, guest, MEM_SIZE);
		got = vio_vq_enqueue_burst(vq, pkts, n);
		enqueue_writes_check(packed, size);
		FUZZ_CHECK(got <= n, "enqueued %u of %u", got, n);
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(pkts[i]); /* the caller's either way: the engine copies */
	} else {
		memcpy(snap, guest, MEM_SIZE);
		got = vio_vq_dequeue_burst(vq, pool, pkts, n);
		writes_check(packed, size);
		FUZZ_CHECK(got <= n, "dequeued %u of %u", got, n);
		for (i = 0; i < got; i++) {
			FUZZ_CHECK(rte_mbuf_check(pkts[i], 1, &reason) == 0, "mbuf %u: %s", i,
				   reason);
			FUZZ_CHECK(rte_pktmbuf_pkt_len(pkts[i]) <= VIO_VQ_PKT_LEN_MAX,
				   "packet of %u bytes", rte_pktmbuf_pkt_len(pkts[i]));
			rte_pktmbuf_free(pkts[i]);
		}
	}
	if (broken)
		FUZZ_CHECK(got == 0, "a broken queue moved %u packets", got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t cfg[8], pokes[POKES][3], sizes[16];
	struct vio_vq_config c = { .name = "fuzz", .mem = mem, .callfd = callfd, .errfd = errfd };
	struct vio_vq_stats old, now;
	struct vio_vq_ring_state st;
	void *inflight = NULL;
	struct vio_vq *vq;
	unsigned int i, b, nb_bursts;
	bool packed;

	if (size > 8 + sizeof(pokes) + sizeof(sizes) + MEM_SIZE)
		return -1;
	fuzz_bytes(&in, cfg, sizeof(cfg));
	fuzz_bytes(&in, pokes, sizeof(pokes));
	fuzz_bytes(&in, sizes, sizeof(sizes));
	memset(guest, 0, MEM_SIZE);
	fuzz_bytes(&in, guest, R0_SIZE + R1_SIZE);

	packed = cfg[0] & CFG_PACKED;
	for (i = 0; i < 8; i++)
		if (cfg[1] & (1u << i))
			c.features |= feature_bits[i];
	if (packed)
		c.features |= VIO_BIT(VIO_F_RING_PACKED);
	c.size = packed ? (cfg[2] % RING_MAX) + 1 : 1u << (cfg[2] % 7);
	c.base = (uint32_t)cfg[3] | (uint32_t)cfg[4] << 8;
	if (packed)
		c.base = (c.base & 0x8000) | ((c.base & 0x7fff) % c.size);
	c.offloads = cfg[6] & (VIO_VQ_OFFLOAD_RX_CSUM | VIO_VQ_OFFLOAD_RX_LRO);
	c.desc = gpa_ptr(DESC_GPA);
	c.driver_area = gpa_ptr(DRIVER_GPA);
	c.device_area = gpa_ptr(DEVICE_GPA);
	c.log_ring_gpa = packed ? DESC_GPA : DEVICE_GPA;
	if (cfg[0] & CFG_TAME)
		tame(c.size);
	if (cfg[0] & CFG_INFLIGHT) {
		size_t len = vio_vq_inflight_size(c.size, packed);

		inflight = malloc(len);
		FUZZ_CHECK(inflight != NULL, "alloc");
		/* An earlier instance's region: what the image holds from 0x4000 on. */
		memcpy(inflight, guest + 0x4000, len < 0x4000 ? len : 0x4000);
		if (len > 0x4000)
			memset((uint8_t *)inflight + 0x4000, 0, len - 0x4000);
		c.inflight = inflight;
	}
	vq = vio_vq_create(&c, SOCKET_ID_ANY);
	if (vq != NULL) {
		nb_bursts = ((cfg[0] >> 5) & 3) + 1;
		memset(&old, 0, sizeof(old));
		for (b = 0; b < nb_bursts; b++) {
			/* The guest writes between bursts (4 pokes each). */
			for (i = 0; b > 0 && i < 4; i++) {
				const uint8_t *p = pokes[(b - 1) * 4 + i];
				uint32_t gpa = ((uint32_t)p[0] | (uint32_t)p[1] << 8) % MEM_SIZE;

				if (gpa < R0_SIZE || gpa >= R1_GPA)
					*gpa_ptr(gpa) = p[2];
			}
			burst(vq, cfg, sizes, packed, c.size);
			FUZZ_CHECK(vio_vq_stats_get(vq, &now) == 0, "stats");
			stats_check(&old, &now);
			old = now;
		}
		vio_vq_ring_state_get(vq, &st);
		FUZZ_CHECK(st.size == c.size, "ring state size %u", st.size);
		vio_vq_free(vq);
	}
	free(inflight);
	FUZZ_CHECK(rte_mempool_avail_count(pool) == POOL_SIZE, "mbufs leaked: %u of %u in the pool",
		   rte_mempool_avail_count(pool), POOL_SIZE);
	return 0;
}
