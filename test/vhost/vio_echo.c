/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio-echo: a vhost-user backend on vio's API for the peer tests. It serves
 * one or more sockets (one device each) and sends every packet a frontend
 * transmits back to it, on the same queue pair, until the time is up; then it
 * prints its counters.
 *
 *   vio-echo [EAL args] -- --socket PATH [--socket PATH]... [--client]
 *                          [--queues N] [--seconds S] [--log-levels]
 *
 * Output with one socket, one line per queue pair and a total:
 *   queue 0: dequeued N enqueued N dropped N
 *   total: dequeued N enqueued N dropped N devices ready N
 * With several sockets, the same lines per socket, numbered in the order of
 * the --socket options, then the total of all:
 *   socket 0 queue 0: dequeued N enqueued N dropped N
 *   socket 0 total: dequeued N enqueued N dropped N devices ready N
 *   ...
 *   total: dequeued N enqueued N dropped N devices ready N
 *
 * --log-levels starts every DPDK log line with its level ("ERR: ", "INFO: ",
 * ...), so that a script can count vio's error lines.
 */

#define _GNU_SOURCE
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
#include <rte_log.h>
#include <rte_mbuf.h>

#include "vio_vhost.h"

#define BURST       32
#define MAX_SOCKETS 8

struct qstats {
	uint64_t dequeued, enqueued, dropped;
};

struct echo_socket {
	const char *path;
	atomic_int vid; /* the device being served, -1 for none */
	atomic_uint ready;
	struct qstats qs[VIO_VHOST_MAX_QUEUE_PAIRS];
};

static struct echo_socket socks[MAX_SOCKETS];
static unsigned int nb_socks;
static bool opt_client;
static bool opt_log_levels;
static unsigned int opt_queues = 1;
static unsigned int opt_seconds = 10;

static volatile sig_atomic_t stop;

static int
on_new(int vid, void *ctx)
{
	struct echo_socket *s = ctx;

	atomic_store(&s->vid, vid);
	atomic_fetch_add(&s->ready, 1);
	printf("vio-echo: device %d ready (%d vrings, guest memory on NUMA node %d)", vid,
	       vio_vhost_get_vring_num(vid), vio_vhost_get_numa_node(vid));
	printf(nb_socks > 1 ? " on %s\n" : "\n", s->path);
	fflush(stdout);
	return 0;
}

static void
on_destroy(int vid, void *ctx)
{
	struct echo_socket *s = ctx;

	atomic_compare_exchange_strong(&s->vid, &vid, -1);
	printf("vio-echo: device %d gone\n", vid);
	fflush(stdout);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The log stream of --log-levels: each message, after its level's name, to stdout. */
static ssize_t
log_write(void *cookie, const char *buf, size_t len)
{
	static const char *const names[] = {
		[RTE_LOG_EMERG] = "EMERG",     [RTE_LOG_ALERT] = "ALERT",
		[RTE_LOG_CRIT] = "CRIT",       [RTE_LOG_ERR] = "ERR",
		[RTE_LOG_WARNING] = "WARNING", [RTE_LOG_NOTICE] = "NOTICE",
		[RTE_LOG_INFO] = "INFO",       [RTE_LOG_DEBUG] = "DEBUG",
	};
	int level = rte_log_cur_msg_loglevel();

	(void)cookie;
	printf("%s: %.*s", level > 0 && level <= (int)RTE_LOG_DEBUG ? names[level] : "LOG",
	       (int)len, buf);
	fflush(stdout);
	return (ssize_t)len;
}

static int
log_levels_on(void)
{
	cookie_io_functions_t io = { .write = log_write };
	FILE *f = fopencookie(NULL, "w", io);

	if (f == NULL)
		return -1;
	/* rte_vlog() flushes after each message: one write per message. */
	return rte_openlog_stream(f);
}

static int
parse(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "client", no_argument, NULL, 'c' },
		{ "queues", required_argument, NULL, 'q' },
		{ "seconds", required_argument, NULL, 't' },
		{ "log-levels", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (nb_socks == MAX_SOCKETS)
				return -1;
			socks[nb_socks].path = optarg;
			atomic_init(&socks[nb_socks].vid, -1);
			nb_socks++;
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
		case 'l':
			opt_log_levels = true;
			break;
		default:
			return -1;
		}
	}
	if (nb_socks == 0 || opt_queues == 0 || opt_queues > VIO_VHOST_MAX_QUEUE_PAIRS)
		return -1;
	return 0;
}

static void
echo_loop(struct rte_mempool *mp)
{
	uint64_t end = rte_get_timer_cycles() + opt_seconds * rte_get_timer_hz();
	struct rte_mbuf *pkts[BURST];

	while (!stop && rte_get_timer_cycles() < end) {
		unsigned int i, q, idle = 0;

		for (i = 0; i < nb_socks; i++) {
			struct echo_socket *s = &socks[i];
			int vid = atomic_load(&s->vid);

			if (vid < 0) {
				idle++;
				continue;
			}
			for (q = 0; q < opt_queues; q++) {
				uint16_t n = vio_vhost_dequeue_burst(vid, 2 * q + 1, mp, pkts,
								     BURST);
				uint16_t sent;

				if (n == 0)
					continue;
				sent = vio_vhost_enqueue_burst(vid, 2 * q, pkts, n);
				s->qs[q].dequeued += n;
				s->qs[q].enqueued += sent;
				s->qs[q].dropped += n - sent;
				rte_pktmbuf_free_bulk(pkts, n);
			}
		}
		if (idle == nb_socks)
			usleep(1000);
	}
}

static int
serve(struct echo_socket *s)
{
	struct vio_vhost_ops ops = { .new_device_cb = on_new, .destroy_device_cb = on_destroy };

	if (vio_vhost_register(s->path, opt_client ? VIO_VHOST_F_CLIENT : 0) < 0 ||
	    vio_vhost_set_max_queue_pairs(s->path, (uint16_t)opt_queues) < 0 ||
	    vio_vhost_callbacks_register(s->path, &ops, s) < 0 || vio_vhost_start(s->path) < 0) {
		fprintf(stderr, "vio-echo: cannot serve %s\n", s->path);
		return -1;
	}
	printf("vio-echo: serving %s\n", s->path);
	fflush(stdout);
	return 0;
}

/* Print the queue lines and the total of @p s (prefixed by @p tag), add them to @p sum. */
static void
report(const struct echo_socket *s, const char *tag, struct qstats *sum)
{
	struct qstats total = { 0 };
	unsigned int q;

	for (q = 0; q < opt_queues; q++) {
		printf("%squeue %u: dequeued %" PRIu64 " enqueued %" PRIu64 " dropped %" PRIu64
		       "\n",
		       tag, q, s->qs[q].dequeued, s->qs[q].enqueued, s->qs[q].dropped);
		total.dequeued += s->qs[q].dequeued;
		total.enqueued += s->qs[q].enqueued;
		total.dropped += s->qs[q].dropped;
	}
	if (nb_socks > 1)
		printf("%stotal: dequeued %" PRIu64 " enqueued %" PRIu64 " dropped %" PRIu64
		       " devices ready %u\n",
		       tag, total.dequeued, total.enqueued, total.dropped, atomic_load(&s->ready));
	sum->dequeued += total.dequeued;
	sum->enqueued += total.enqueued;
	sum->dropped += total.dropped;
}

int
main(int argc, char **argv)
{
	struct qstats total = { 0 };
	struct rte_mempool *mp;
	unsigned int i, ready = 0;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		return 1;
	argc -= ret;
	argv += ret;
	if (parse(argc, argv) < 0) {
		fprintf(stderr,
			"usage: vio-echo [EAL args] -- --socket PATH [--socket PATH]... "
			"[--client] [--queues 1..%d] [--seconds S] [--log-levels]\n"
			"(at most %d sockets)\n",
			VIO_VHOST_MAX_QUEUE_PAIRS, MAX_SOCKETS);
		return 1;
	}
	if (opt_log_levels && log_levels_on() < 0)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	mp = rte_pktmbuf_pool_create("echo", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_socket_id());
	if (mp == NULL)
		return 1;
	for (i = 0; i < nb_socks; i++)
		if (serve(&socks[i]) < 0)
			return 1;
	echo_loop(mp);
	for (i = 0; i < nb_socks; i++)
		vio_vhost_unregister(socks[i].path);
	for (i = 0; i < nb_socks; i++) {
		char tag[32] = "";

		if (nb_socks > 1)
			snprintf(tag, sizeof(tag), "socket %u ", i);
		report(&socks[i], tag, &total);
		ready += atomic_load(&socks[i].ready);
	}
	printf("total: dequeued %" PRIu64 " enqueued %" PRIu64 " dropped %" PRIu64
	       " devices ready %u\n",
	       total.dequeued, total.enqueued, total.dropped, ready);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
