/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Inflight tracking across backend crashes. This process is the guest and
 * the frontend: it owns guest memory (a memfd), drives a receive and a
 * transmit ring with vio's driver-side primitives, and speaks vhost-user to
 * vio-echo, a separate backend process that sends every transmitted packet
 * back, through vio's generic frontend API (vio_vhost_frontend.h). Over and
 * over, it kills vio-echo with SIGKILL in the middle of traffic, starts a
 * new one, and hands it the same inflight area: GET_INFLIGHT_FD once, from
 * the first backend, SET_INFLIGHT_FD to every one, as QEMU does for a
 * reconnecting backend.
 *
 * The frontend gives the vring base of the first start every time: like
 * QEMU after a crash, it cannot know where the backend stood. Only the
 * inflight area and the rings can tell, so without inflight tracking the
 * new backend replays or skips chains and this test fails.
 *
 * Checked: every transmit chain the guest posted comes back exactly once
 * (the driver's reap refuses an id that is not in flight), every receive
 * buffer is used at most once, no packet arrives twice, and once the last
 * backend runs undisturbed every transmit buffer is back.
 *
 *   test-vhost-inflight VIO_ECHO [--ring split|packed] [--rounds N]
 *                       [--no-inflight]  (the negative control: must fail)
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>

#include "vio_test.h"
#include "vio_test_guest.h"
#include "vio_vhost_frontend.h"

#define RING     256
#define HDR_LEN  12
#define PKT_LEN  64
#define MAX_PKTS (1u << 24) /* above what 20 rounds send here (4 million or less) */

static char *echo_bin;
static bool packed;
static bool use_inflight = true;
static unsigned int rounds = 20;
static char sock_path[64];
static char log_path[64];

static struct tg_mem g;
static struct tg_vq rxq, txq;               /* 0: guest receive, 1: guest transmit */
static uint64_t tx_buf[RING], rx_buf[RING]; /* GPA of the buffer each id holds */
static uint64_t base_first[2];
static struct vio_vhost_frontend_inflight inflight = { .fd = -1 };

static uint32_t next_seq;
static uint8_t *rx_seen;
static uint64_t tx_done, rx_got;

struct backend {
	pid_t pid;
	struct vio_vhost_frontend *fe;
	int kick[2], call[2];
};

static uint64_t
uaddr(uint64_t gpa)
{
	return (uint64_t)(uintptr_t)tg_ptr(&g, gpa);
}

static int
backend_spawn(struct backend *b)
{
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 10000 };

	unlink(sock_path);
	b->pid = fork();
	if (b->pid < 0)
		return -1;
	if (b->pid == 0) {
		char *argv[] = {
			echo_bin, "-l",       "1",           "--no-huge",   "-m",
			"128",    "--no-pci", "--no-shconf", "--log-level", "lib.vio.*:info",
			"--",     "--socket", sock_path,     "--seconds",   "600",
			NULL
		};
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(echo_bin, argv);
		_exit(127);
	}
	b->fe = vio_vhost_frontend_connect(sock_path, &fc);
	T_ASSERT(b->fe != NULL, "vio-echo never listened on %s: %s", sock_path,
		 strerror(rte_errno));
	return 0;
}

static void
backend_kill(struct backend *b)
{
	unsigned int q;

	kill(b->pid, SIGKILL);
	waitpid(b->pid, NULL, 0);
	vio_vhost_frontend_close(b->fe);
	for (q = 0; q < 2; q++) {
		close(b->kick[q]);
		close(b->call[q]);
	}
}

static int
setup_vring(struct backend *b, struct tg_vq *q, uint16_t idx)
{
	b->kick[idx] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	b->call[idx] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	T_EQ(vio_vhost_frontend_set_vring_num(b->fe, idx, RING), 0);
	T_EQ(vio_vhost_frontend_set_vring_base(b->fe, idx, (uint32_t)base_first[idx]), 0);
	T_EQ(vio_vhost_frontend_set_vring_addr(b->fe, idx, uaddr(q->desc_gpa), uaddr(q->driver_gpa),
					       uaddr(q->device_gpa), false, 0),
	     0);
	T_EQ(vio_vhost_frontend_set_vring_call(b->fe, idx, b->call[idx]), 0);
	T_EQ(vio_vhost_frontend_set_vring_kick(b->fe, idx, b->kick[idx]), 0);
	T_EQ(vio_vhost_frontend_set_vring_enable(b->fe, idx, true), 0);
	return 0;
}

/* The frontend's start sequence, QEMU's order: inflight area before the rings. */
static int
backend_start(struct backend *b)
{
	const struct vio_vhost_frontend_region r = {
		.gpa = TG_GPA_BASE,
		.size = g.size,
		.uaddr = (uint64_t)(uintptr_t)g.base,
		.mmap_offset = 0,
		.fd = g.fd,
	};
	uint64_t features, offered, pf;

	T_EQ(vio_vhost_frontend_get_features(b->fe, &offered), 0);
	features = VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_PROTOCOL_FEATURES) |
		   VIO_BIT(VIO_NET_F_MRG_RXBUF) | (packed ? VIO_BIT(VIO_F_RING_PACKED) : 0);
	T_ASSERT((offered & features) == features, "features 0x%" PRIx64 " offered", offered);
	T_EQ(vio_vhost_frontend_get_protocol_features(b->fe, &offered), 0);
	pf = VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK) |
	     (use_inflight ? VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD) : 0);
	T_ASSERT((offered & pf) == pf, "protocol features 0x%" PRIx64 " offered", offered);
	T_EQ(vio_vhost_frontend_set_protocol_features(b->fe, pf), 0);
	T_EQ(vio_vhost_frontend_set_owner(b->fe), 0);
	if (use_inflight) {
		/* Once: the area lives as long as the frontend (QEMU: until a VM reset). */
		if (inflight.fd < 0)
			T_EQ(vio_vhost_frontend_get_inflight_fd(b->fe, 2, RING, &inflight), 0);
		T_EQ(vio_vhost_frontend_set_inflight_fd(b->fe, &inflight), 0);
	}
	T_EQ(vio_vhost_frontend_set_features(b->fe, features), 0);
	T_EQ(vio_vhost_frontend_set_mem_table(b->fe, &r, 1), 0);
	T_EQ(setup_vring(b, &rxq, 0), 0);
	T_EQ(setup_vring(b, &txq, 1), 0);
	return 0;
}

/* Post transmit packets while the ring has room. */
static void
guest_send(unsigned int max)
{
	unsigned int n = 0;

	while (n < max && tg_vq_nb_free(&txq) > 0 && next_seq < MAX_PKTS) {
		/* Each id owns one buffer: take the one of the id the post will return. */
		int id = packed ? txq.p.free_id : txq.s.free_head;
		struct vio_ring_buf b = { tx_buf[id], HDR_LEN + PKT_LEN, false };

		memset(tg_ptr(&g, b.addr), 0, HDR_LEN);
		memcpy((uint8_t *)tg_ptr(&g, b.addr) + HDR_LEN, &next_seq, sizeof(next_seq));
		if (tg_vq_post(&txq, &b, 1, false) != id)
			abort();
		next_seq++;
		n++;
	}
	tg_vq_publish(&txq);
}

static void
guest_post_rx(void)
{
	while (tg_vq_nb_free(&rxq) > 0) {
		struct vio_ring_buf b = { 0, 2048, true };
		int id = packed ? rxq.p.free_id : rxq.s.free_head;

		b.addr = rx_buf[id];
		if (tg_vq_post(&rxq, &b, 1, false) != id)
			abort();
	}
	tg_vq_publish(&rxq);
}

/* Reap both rings; a duplicate or unknown id, or a packet seen twice, fails. */
static int
guest_reap(void)
{
	uint16_t id;
	uint32_t len, seq;
	int ret;

	while ((ret = tg_vq_reap(&txq, &id, &len)) == 0)
		tx_done++;
	T_ASSERT(ret == -EAGAIN, "transmit ring: the backend returned an id not in flight");
	while ((ret = tg_vq_reap(&rxq, &id, &len)) == 0) {
		T_ASSERT(len == HDR_LEN + PKT_LEN, "receive length %u", len);
		memcpy(&seq, (uint8_t *)tg_ptr(&g, rx_buf[id]) + HDR_LEN, sizeof(seq));
		T_ASSERT(seq < next_seq, "packet %u never sent", seq);
		T_ASSERT(rx_seen[seq] == 0, "packet %u received twice", seq);
		rx_seen[seq] = 1;
		rx_got++;
	}
	T_ASSERT(ret == -EAGAIN, "receive ring: the backend returned an id not in flight");
	return 0;
}

/* Run traffic for @p ms milliseconds (sending stops after @p send_ms). */
static int
traffic(unsigned int ms, unsigned int send_ms)
{
	uint64_t hz = rte_get_timer_hz(), t0 = rte_get_timer_cycles();

	for (;;) {
		uint64_t el = (rte_get_timer_cycles() - t0) * 1000 / hz;

		if (el >= ms)
			return 0;
		if (el < send_ms)
			guest_send(32);
		guest_post_rx();
		T_EQ(guest_reap(), 0);
		if (el >= send_ms && tg_vq_nb_free(&txq) == RING)
			return 0;
	}
}

static int
count_log(const char *needle)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(log_path, "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static int
test_inflight_crash_restart(void)
{
	struct backend b;
	unsigned int r, i;
	uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();

	printf("seed %" PRIu64 "\n", seed);
	srand((unsigned int)seed);
	T_EQ(tg_mem_init(&g, 16 << 20, 1), 0);
	T_EQ(tg_vq_init(&rxq, &g, RING, packed ? VIO_BIT(VIO_F_RING_PACKED) : 0, 0), 0);
	T_EQ(tg_vq_init(&txq, &g, RING, packed ? VIO_BIT(VIO_F_RING_PACKED) : 0, 0), 0);
	for (i = 0; i < RING; i++) {
		tx_buf[i] = tg_alloc(&g, HDR_LEN + PKT_LEN, 64);
		rx_buf[i] = tg_alloc(&g, 2048, 64);
		T_ASSERT(tx_buf[i] != 0 && rx_buf[i] != 0, "guest memory");
	}
	base_first[0] = base_first[1] = packed ? 1u << 15 : 0;
	rx_seen = calloc(MAX_PKTS, 1);
	T_ASSERT(rx_seen != NULL, "calloc");
	for (r = 0; r < rounds; r++) {
		unsigned int ms = 5 + (unsigned int)rand() % 60;

		T_EQ(backend_spawn(&b), 0);
		T_EQ(backend_start(&b), 0);
		T_EQ(traffic(ms, ms), 0);
		backend_kill(&b);
	}
	/* The last backend runs undisturbed: every transmit buffer must come back. */
	T_EQ(backend_spawn(&b), 0);
	T_EQ(backend_start(&b), 0);
	T_EQ(traffic(4000, 200), 0); /* ends once every chain is back: the controls wait it out */
	backend_kill(&b);
	printf("%u backends killed mid-traffic; %u packets sent, %" PRIu64
	       " transmit chains completed, %" PRIu64 " packets back (%u lost in dead backends "
	       "or dropped); %d vring starts resubmitted chains\n",
	       rounds, next_seq, tx_done, rx_got, next_seq - (uint32_t)rx_got,
	       count_log("to resubmit") - count_log("inflight region: 0 chains"));
	T_ASSERT(tg_vq_nb_free(&txq) == RING, "%u transmit chains never completed",
		 RING - tg_vq_nb_free(&txq));
	T_EQ(tx_done, next_seq);
	T_ASSERT(count_log("broke the queue") == 0, "a backend broke a queue: see %s", log_path);
	if (inflight.fd >= 0)
		close(inflight.fd);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_inflight_crash_restart),
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ring", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "no-inflight", no_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	if (argc < 2)
		return 2;
	echo_bin = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			packed = strcmp(optarg, "packed") == 0;
			break;
		case 'n':
			rounds = (unsigned int)atoi(optarg);
			break;
		case 'x':
			use_inflight = false;
			break;
		default:
			return 2;
		}
	}
	snprintf(sock_path, sizeof(sock_path), "/tmp/vio-test-inflight-%d.sock", getpid());
	snprintf(log_path, sizeof(log_path), "/tmp/vio-test-inflight-%d.log", getpid());
	unlink(log_path);
	signal(SIGPIPE, SIG_IGN); /* a killed backend's socket: an error, not our death */
	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	ret = vio_test_run(1, argv, cases, RTE_DIM(cases));
	/* The control (--no-inflight) fails by design: its logs would pile up in /tmp. */
	if (ret == 0 || !use_inflight)
		unlink(log_path);
	else
		fprintf(stderr, "backend logs kept in %s\n", log_path);
	unlink(sock_path);
	return ret;
}
