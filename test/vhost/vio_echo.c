/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio-echo: a vhost-user backend on vio's API for the peer tests. It serves
 * one socket and sends every packet the frontend transmits back to it, on
 * the same queue pair, until the time is up; then it prints its counters.
 *
 *   vio-echo [EAL args] -- --socket PATH [--client] [--queues N] [--seconds S]
 *
 * Output, one line per queue pair and a total:
 *   queue 0: dequeued N enqueued N dropped N
 *   total: dequeued N enqueued N dropped N connections N
 */

#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "vio_vhost.h"

#define BURST 32

static const char *opt_socket;
static bool opt_client;
static unsigned int opt_queues = 1;
static unsigned int opt_seconds = 10;

static atomic_int cur_vid = -1;
static atomic_uint connections;
static volatile sig_atomic_t stop;

struct qstats {
	uint64_t dequeued, enqueued, dropped;
};
static struct qstats qs[VIO_VHOST_MAX_QUEUE_PAIRS];

static int
on_new(int vid, void *ctx)
{
	(void)ctx;
	atomic_store(&cur_vid, vid);
	atomic_fetch_add(&connections, 1);
	printf("vio-echo: device %d ready (%d vrings, guest memory on NUMA node %d)\n", vid,
	       vio_vhost_get_vring_num(vid), vio_vhost_get_numa_node(vid));
	fflush(stdout);
	return 0;
}

static void
on_destroy(int vid, void *ctx)
{
	(void)ctx;
	atomic_compare_exchange_strong(&cur_vid, &vid, -1);
	printf("vio-echo: device %d gone\n", vid);
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
		{ "queues", required_argument, NULL, 'q' },
		{ "seconds", required_argument, NULL, 't' },
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
		case 'q':
			opt_queues = (unsigned int)atoi(optarg);
			break;
		case 't':
			opt_seconds = (unsigned int)atoi(optarg);
			break;
		default:
			return -1;
		}
	}
	if (opt_socket == NULL || opt_queues == 0 || opt_queues > VIO_VHOST_MAX_QUEUE_PAIRS)
		return -1;
	return 0;
}

static void
echo_loop(struct rte_mempool *mp)
{
	uint64_t end = rte_get_timer_cycles() + opt_seconds * rte_get_timer_hz();
	struct rte_mbuf *pkts[BURST];

	while (!stop && rte_get_timer_cycles() < end) {
		int vid = atomic_load(&cur_vid);
		unsigned int q;

		if (vid < 0) {
			usleep(1000);
			continue;
		}
		for (q = 0; q < opt_queues; q++) {
			uint16_t n = vio_vhost_dequeue_burst(vid, 2 * q + 1, mp, pkts, BURST);
			uint16_t sent;

			if (n == 0)
				continue;
			sent = vio_vhost_enqueue_burst(vid, 2 * q, pkts, n);
			qs[q].dequeued += n;
			qs[q].enqueued += sent;
			qs[q].dropped += n - sent;
			rte_pktmbuf_free_bulk(pkts, n);
		}
	}
}

int
main(int argc, char **argv)
{
	struct vio_vhost_ops ops = { .new_device_cb = on_new, .destroy_device_cb = on_destroy };
	struct qstats total = { 0 };
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
			"usage: vio-echo [EAL args] -- --socket PATH [--client] "
			"[--queues 1..%d] [--seconds S]\n",
			VIO_VHOST_MAX_QUEUE_PAIRS);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	mp = rte_pktmbuf_pool_create("echo", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_socket_id());
	if (mp == NULL)
		return 1;
	if (vio_vhost_register(opt_socket, opt_client ? VIO_VHOST_F_CLIENT : 0) < 0 ||
	    vio_vhost_set_max_queue_pairs(opt_socket, (uint16_t)opt_queues) < 0 ||
	    vio_vhost_callbacks_register(opt_socket, &ops, NULL) < 0 ||
	    vio_vhost_start(opt_socket) < 0) {
		fprintf(stderr, "vio-echo: cannot serve %s\n", opt_socket);
		return 1;
	}
	printf("vio-echo: serving %s\n", opt_socket);
	fflush(stdout);
	echo_loop(mp);
	vio_vhost_unregister(opt_socket);
	for (q = 0; q < opt_queues; q++) {
		printf("queue %u: dequeued %" PRIu64 " enqueued %" PRIu64 " dropped %" PRIu64 "\n",
		       q, qs[q].dequeued, qs[q].enqueued, qs[q].dropped);
		total.dequeued += qs[q].dequeued;
		total.enqueued += qs[q].enqueued;
		total.dropped += qs[q].dropped;
	}
	printf("total: dequeued %" PRIu64 " enqueued %" PRIu64 " dropped %" PRIu64
	       " devices ready %u\n",
	       total.dequeued, total.enqueued, total.dropped, atomic_load(&connections));
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
