/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio-responder: a vhost-user backend on vio's API for the guest tests. It
 * plays a host at 192.0.2.1 (MAC 02:00:00:00:02:01) behind one socket: it
 * answers ARP requests and ICMP echo requests for that address, on the queue
 * pair they came from, and drops everything else. The offered checksum
 * offloads are switched off, so the guest sends full checksums; the
 * responder checks them, which checks that vio moved every byte intact.
 *
 *   vio-responder [EAL args] -- --socket PATH [--client] [--iommu] [--queues N]
 *                 [--seconds S] [--idle-us U]
 *
 * --idle-us: sleep this long after a poll round that found nothing (default
 * 100; 0 busy-polls). Under TCG the guest's QEMU needs the CPU more than the
 * responder does.
 *
 * Output at exit (SIGINT, SIGTERM or after --seconds), one line per queue
 * pair, a total, then vio's own non-zero counters per vring as last seen:
 *   queue 0: dequeued N enqueued N dropped N arp N icmp N other N bad N
 *   total: dequeued N enqueued N dropped N arp N icmp N other N bad N devices ready N
 *   vring 0: packets=N bytes=N ...
 * dequeued: packets the guest sent; arp, icmp: replies built; enqueued:
 * replies vio took; dropped: replies it did not take (receive ring full);
 * other: packets not for us; bad: packets for us that are malformed or carry
 * a wrong checksum.
 */

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "vio_vhost.h"
#include "vio_virtio.h"

#define BURST 32
/* How often the lcore copies vio's per-vring counters (they vanish with the connection). */
#define STATS_PERIOD_MS 100

static const struct rte_ether_addr my_mac = { { 0x02, 0x00, 0x00, 0x00, 0x02, 0x01 } };
#define MY_IP VIO_IPV4(192, 0, 2, 1)

static const char *opt_socket;
static bool opt_client;
static bool opt_iommu;
static unsigned int opt_queues = 1;
static unsigned int opt_seconds = 600;
static unsigned int opt_idle_us = 100;

static atomic_int cur_vid = -1;
static atomic_uint connections;
static volatile sig_atomic_t stop;

struct qstats {
	uint64_t dequeued, enqueued, dropped, arp, icmp, other, bad;
};
static struct qstats qs[VIO_VHOST_MAX_QUEUE_PAIRS];
static struct vio_vq_stats vring_stats[2 * VIO_VHOST_MAX_QUEUE_PAIRS];
static bool vring_stats_valid;

enum verdict {
	VERDICT_ARP,
	VERDICT_ICMP,
	VERDICT_OTHER,
	VERDICT_BAD,
};

static int
on_new(int vid, void *ctx)
{
	uint64_t features = 0;

	(void)ctx;
	vio_vhost_get_negotiated_features(vid, &features);
	atomic_store(&cur_vid, vid);
	atomic_fetch_add(&connections, 1);
	printf("vio-responder: device %d ready, features 0x%" PRIx64 ", %d vrings\n", vid, features,
	       vio_vhost_get_vring_num(vid));
	fflush(stdout);
	return 0;
}

static void
on_destroy(int vid, void *ctx)
{
	(void)ctx;
	atomic_compare_exchange_strong(&cur_vid, &vid, -1);
	printf("vio-responder: device %d gone\n", vid);
	fflush(stdout);
}

static void
on_vring_state(int vid, uint16_t queue_id, bool enabled, void *ctx)
{
	(void)ctx;
	printf("vio-responder: device %d vring %u %s\n", vid, queue_id,
	       enabled ? "enabled" : "disabled");
	fflush(stdout);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
parse(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "client", no_argument, NULL, 'c' },
		{ "iommu", no_argument, NULL, 'I' },
		{ "queues", required_argument, NULL, 'q' },
		{ "seconds", required_argument, NULL, 't' },
		{ "idle-us", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			opt_socket = optarg;
			break;
		case 'c':
			opt_client = true;
			break;
		case 'I':
			opt_iommu = true;
			break;
		case 'q':
			opt_queues = (unsigned int)atoi(optarg);
			break;
		case 't':
			opt_seconds = (unsigned int)atoi(optarg);
			break;
		case 'i':
			opt_idle_us = (unsigned int)atoi(optarg);
			break;
		default:
			return -1;
		}
	}
	if (opt_socket == NULL || opt_queues == 0 || opt_queues > VIO_VHOST_MAX_QUEUE_PAIRS)
		return -1;
	return 0;
}

/* An ARP request for MY_IP becomes the reply, in place. */
static enum verdict
answer_arp(struct rte_ether_hdr *eth, uint32_t len)
{
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	struct rte_arp_ipv4 *a = &arp->arp_data;

	if (len < sizeof(*eth) + sizeof(*arp))
		return VERDICT_OTHER;
	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4 ||
	    arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	    a->arp_tip != rte_cpu_to_be_32(MY_IP))
		return VERDICT_OTHER;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&a->arp_sha, &a->arp_tha);
	a->arp_tip = a->arp_sip;
	rte_ether_addr_copy(&my_mac, &a->arp_sha);
	a->arp_sip = rte_cpu_to_be_32(MY_IP);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&my_mac, &eth->src_addr);
	return VERDICT_ARP;
}

/* An ICMP echo request to MY_IP becomes the echo reply, in place. */
static enum verdict
answer_icmp(struct rte_ether_hdr *eth, uint32_t len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp;
	uint32_t ihl, ip_len, tmp;

	if (len < sizeof(*eth) + sizeof(*ip))
		return VERDICT_OTHER;
	if (ip->dst_addr != rte_cpu_to_be_32(MY_IP) || ip->next_proto_id != IPPROTO_ICMP)
		return VERDICT_OTHER;
	ihl = rte_ipv4_hdr_len(ip);
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || ip_len < ihl + sizeof(*icmp) ||
	    sizeof(*eth) + ip_len > len)
		return VERDICT_BAD;
	/* A valid header sums to 0xffff, its checksum field included (RFC 1071). */
	if (rte_raw_cksum(ip, ihl) != 0xffff)
		return VERDICT_BAD;
	if ((rte_be_to_cpu_16(ip->fragment_offset) &
	     (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return VERDICT_OTHER;
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return VERDICT_OTHER;
	if (rte_raw_cksum(icmp, ip_len - ihl) != 0xffff)
		return VERDICT_BAD;

	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, ip_len - ihl);
	tmp = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&my_mac, &eth->src_addr);
	return VERDICT_ICMP;
}

static enum verdict
answer(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth;

	/* A 1400-byte ping fits one 2 KiB mbuf; a longer packet fits or is bad. */
	if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) < 0)
		return VERDICT_BAD;
	if (m->data_len < sizeof(*eth))
		return VERDICT_BAD;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	/* Replies are new packets: no offload request carried over. */
	m->ol_flags = 0;
	switch (rte_be_to_cpu_16(eth->ether_type)) {
	case RTE_ETHER_TYPE_ARP:
		return answer_arp(eth, m->data_len);
	case RTE_ETHER_TYPE_IPV4:
		return answer_icmp(eth, m->data_len);
	default:
		return VERDICT_OTHER;
	}
}

/*
 * Replies the guest had no buffer for yet (or, with a vIOMMU, whose buffers
 * vio is still asking QEMU to translate) wait here and are sent again on the
 * next rounds, up to BACKLOG_MS, as a forwarding app with a retry would.
 */
#define BACKLOG    (4 * BURST)
#define BACKLOG_MS 500
struct backlog {
	struct rte_mbuf *pkts[BACKLOG];
	uint16_t nb;
	int vid;
	uint64_t since; /* timer cycles when the oldest one came */
};
static struct backlog backlogs[VIO_VHOST_MAX_QUEUE_PAIRS];

/* Send what waits on queue pair @p q; returns 1 while something still waits. */
static int
backlog_flush(int vid, unsigned int q)
{
	struct backlog *b = &backlogs[q];
	struct qstats *s = &qs[q];
	uint16_t sent = 0;

	if (b->nb == 0)
		return 0;
	if (b->vid == vid)
		sent = vio_vhost_enqueue_burst(vid, (uint16_t)(2 * q), b->pkts, b->nb);
	s->enqueued += sent;
	rte_pktmbuf_free_bulk(b->pkts, sent);
	memmove(b->pkts, b->pkts + sent, (b->nb - sent) * sizeof(b->pkts[0]));
	b->nb -= sent;
	if (sent > 0)
		b->since = rte_get_timer_cycles();
	if (b->nb > 0 && (b->vid != vid || rte_get_timer_cycles() - b->since >
						   rte_get_timer_hz() * BACKLOG_MS / 1000)) {
		s->dropped += b->nb;
		rte_pktmbuf_free_bulk(b->pkts, b->nb);
		b->nb = 0;
	}
	return b->nb > 0;
}

/* One burst on queue pair @p q; returns the packets dequeued (1 if only replies wait). */
static uint16_t
serve_queue(int vid, unsigned int q, struct rte_mempool *mp)
{
	struct rte_mbuf *pkts[BURST];
	struct backlog *b = &backlogs[q];
	struct qstats *s = &qs[q];
	uint16_t n, i;
	int waiting;

	waiting = backlog_flush(vid, q);
	n = vio_vhost_dequeue_burst(vid, (uint16_t)(2 * q + 1), mp, pkts, BURST);
	if (n == 0)
		return waiting;
	s->dequeued += n;
	for (i = 0; i < n; i++) {
		enum verdict v = answer(pkts[i]);

		if (v == VERDICT_ARP || v == VERDICT_ICMP) {
			if (v == VERDICT_ARP)
				s->arp++;
			else
				s->icmp++;
			if (b->nb == BACKLOG) {
				s->dropped++;
				rte_pktmbuf_free(pkts[i]);
				continue;
			}
			if (b->nb == 0) {
				b->vid = vid;
				b->since = rte_get_timer_cycles();
			}
			b->pkts[b->nb++] = pkts[i];
			continue;
		}
		if (v == VERDICT_OTHER)
			s->other++;
		else
			s->bad++;
		rte_pktmbuf_free(pkts[i]);
	}
	backlog_flush(vid, q);
	return n;
}

/* Copy vio's counters of every vring while the device is there. */
static void
snapshot_vring_stats(int vid)
{
	struct vio_vq_stats tmp[2 * VIO_VHOST_MAX_QUEUE_PAIRS];
	unsigned int i;

	for (i = 0; i < 2 * opt_queues; i++)
		if (vio_vhost_queue_stats_get(vid, (uint16_t)i, &tmp[i]) < 0)
			return;
	memcpy(vring_stats, tmp, 2 * opt_queues * sizeof(tmp[0]));
	vring_stats_valid = true;
}

static void
respond_loop(struct rte_mempool *mp)
{
	uint64_t hz = rte_get_timer_hz();
	uint64_t now = rte_get_timer_cycles();
	uint64_t end = now + opt_seconds * hz;
	uint64_t next_snapshot = now;

	while (!stop && (now = rte_get_timer_cycles()) < end) {
		int vid = atomic_load(&cur_vid);
		unsigned int q, found = 0;

		if (vid < 0) {
			usleep(1000);
			continue;
		}
		for (q = 0; q < opt_queues; q++)
			found += serve_queue(vid, q, mp);
		if (now >= next_snapshot) {
			snapshot_vring_stats(vid);
			next_snapshot = now + hz * STATS_PERIOD_MS / 1000;
		}
		if (found == 0 && opt_idle_us > 0)
			usleep(opt_idle_us);
	}
}

static void
print_stats(void)
{
	struct qstats t = { 0 };
	unsigned int q, i, k;

	for (q = 0; q < opt_queues; q++) {
		const struct qstats *s = &qs[q];

		printf("queue %u: dequeued %" PRIu64 " enqueued %" PRIu64 " dropped %" PRIu64
		       " arp %" PRIu64 " icmp %" PRIu64 " other %" PRIu64 " bad %" PRIu64 "\n",
		       q, s->dequeued, s->enqueued, s->dropped, s->arp, s->icmp, s->other, s->bad);
		t.dequeued += s->dequeued;
		t.enqueued += s->enqueued;
		t.dropped += s->dropped;
		t.arp += s->arp;
		t.icmp += s->icmp;
		t.other += s->other;
		t.bad += s->bad;
	}
	printf("total: dequeued %" PRIu64 " enqueued %" PRIu64 " dropped %" PRIu64 " arp %" PRIu64
	       " icmp %" PRIu64 " other %" PRIu64 " bad %" PRIu64 " devices ready %u\n",
	       t.dequeued, t.enqueued, t.dropped, t.arp, t.icmp, t.other, t.bad,
	       atomic_load(&connections));
	if (!vring_stats_valid)
		return;
	for (i = 0; i < 2 * opt_queues; i++) {
		const uint64_t *v = (const uint64_t *)&vring_stats[i];

		printf("vring %u:", i);
		for (k = 0; k < VIO_VQ_NB_STATS; k++)
			if (v[k] != 0)
				printf(" %s=%" PRIu64, vio_vq_stat_name(k), v[k]);
		printf("\n");
	}
}

int
main(int argc, char **argv)
{
	struct vio_vhost_ops ops = {
		.new_device_cb = on_new,
		.destroy_device_cb = on_destroy,
		.vring_state_changed_cb = on_vring_state,
	};
	struct rte_mempool *mp;
	unsigned int q;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		return 1;
	argc -= ret;
	argv += ret;
	if (parse(argc, argv) < 0) {
		fprintf(stderr,
			"usage: vio-responder [EAL args] -- --socket PATH [--client] [--iommu] "
			"[--queues 1..%d] [--seconds S] [--idle-us U]\n",
			VIO_VHOST_MAX_QUEUE_PAIRS);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	mp = rte_pktmbuf_pool_create("responder", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_socket_id());
	if (mp == NULL)
		return 1;
	/* Full checksums from the guest, none expected from us. */
	if (vio_vhost_register(opt_socket, (opt_client ? VIO_VHOST_F_CLIENT : 0) |
						   (opt_iommu ? VIO_VHOST_F_IOMMU : 0)) < 0 ||
	    vio_vhost_disable_features(opt_socket, VIO_BIT(VIO_NET_F_CSUM) |
							   VIO_BIT(VIO_NET_F_GUEST_CSUM)) < 0 ||
	    vio_vhost_set_max_queue_pairs(opt_socket, (uint16_t)opt_queues) < 0 ||
	    vio_vhost_callbacks_register(opt_socket, &ops, NULL) < 0 ||
	    vio_vhost_start(opt_socket) < 0) {
		fprintf(stderr, "vio-responder: cannot serve %s\n", opt_socket);
		return 1;
	}
	printf("vio-responder: serving %s%s, %u queue pair(s)\n", opt_socket,
	       opt_client ? " (client)" : "", opt_queues);
	fflush(stdout);
	respond_loop(mp);
	vio_vhost_unregister(opt_socket);
	for (q = 0; q < opt_queues; q++) {
		qs[q].dropped += backlogs[q].nb;
		rte_pktmbuf_free_bulk(backlogs[q].pkts, backlogs[q].nb);
	}
	print_stats();
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
