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
 * With --migrate, the device moves instead, as in a live migration: the
 * frontend sets a MAC in vio-echo A's config space (SET_CONFIG), runs
 * traffic, stops A's rings (GET_VRING_BASE), saves A's device state
 * (SET_DEVICE_STATE_FD, CHECK_DEVICE_STATE), posts more chains while no
 * backend runs, then sets the device up on vio-echo B with A's vring bases
 * and loads the state into it before the rings start. Checked: the state is
 * vio's 12 bytes, a garbage state is refused by B's CHECK_DEVICE_STATE, B's
 * config space has A's MAC, and every transmit chain, also those posted in
 * between, completes exactly once. --no-state (the control: must fail) skips
 * the load.
 *
 *   test-vhost-inflight VIO_ECHO [--ring split|packed] [--rounds N]
 *                       [--no-inflight]  (the negative control: must fail)
 *   test-vhost-inflight VIO_ECHO --migrate [--ring split|packed]
 *                       [--no-state]     (the negative control: must fail)
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
static bool migrate;
static bool load_state = true;
static char sock_path[64], sock_path2[64];
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
backend_spawn(struct backend *b, char *path)
{
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 10000 };

	unlink(path);
	b->pid = fork();
	if (b->pid < 0)
		return -1;
	if (b->pid == 0) {
		char *argv[] = {
			echo_bin, "-l",       "1",           "--no-huge",   "-m",
			"128",    "--no-pci", "--no-shconf", "--log-level", "lib.vio.*:info",
			"--",     "--socket", path,          "--seconds",   "600",
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
	b->fe = vio_vhost_frontend_connect(path, &fc);
	T_ASSERT(b->fe != NULL, "vio-echo never listened on %s: %s", path, strerror(rte_errno));
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
setup_vring(struct backend *b, struct tg_vq *q, uint16_t idx, uint32_t base)
{
	b->kick[idx] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	b->call[idx] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	T_EQ(vio_vhost_frontend_set_vring_num(b->fe, idx, RING), 0);
	T_EQ(vio_vhost_frontend_set_vring_base(b->fe, idx, base), 0);
	T_EQ(vio_vhost_frontend_set_vring_addr(b->fe, idx, uaddr(q->desc_gpa), uaddr(q->driver_gpa),
					       uaddr(q->device_gpa), false, 0),
	     0);
	T_EQ(vio_vhost_frontend_set_vring_call(b->fe, idx, b->call[idx]), 0);
	T_EQ(vio_vhost_frontend_set_vring_kick(b->fe, idx, b->kick[idx]), 0);
	T_EQ(vio_vhost_frontend_set_vring_enable(b->fe, idx, true), 0);
	return 0;
}

/*
 * The frontend's start sequence, QEMU's order: inflight area before the
 * rings; when migrating, the device state (@p state, @p state_len bytes, if
 * not NULL) is loaded before them too.
 */
static int
backend_start(struct backend *b, const uint32_t base[2], const void *state, size_t state_len)
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
	     (use_inflight ? VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD) : 0) |
	     (migrate ? VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_CONFIG) |
				VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_DEVICE_STATE)
		      : 0);
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
	if (state != NULL) {
		/* A state that is not vio's is refused, and changes nothing. */
		T_EQ(vio_vhost_frontend_load_device_state(b->fe, "junk!", 5), -EIO);
		T_EQ(vio_vhost_frontend_load_device_state(b->fe, state, state_len), 0);
	}
	T_EQ(setup_vring(b, &rxq, 0, base[0]), 0);
	T_EQ(setup_vring(b, &txq, 1, base[1]), 0);
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

/* Guest memory, the two rings, a buffer for each id. */
static int
guest_init(void)
{
	unsigned int i;

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
	return 0;
}

/* Once all traffic is done: every transmit chain came back, exactly once. */
static int
all_back(void)
{
	T_ASSERT(tg_vq_nb_free(&txq) == RING, "%u transmit chains never completed",
		 RING - tg_vq_nb_free(&txq));
	T_EQ(tx_done, next_seq);
	T_ASSERT(count_log("broke the queue") == 0, "a backend broke a queue: see %s", log_path);
	return 0;
}

static int
test_inflight_crash_restart(void)
{
	const uint32_t base[2] = { (uint32_t)base_first[0], (uint32_t)base_first[1] };
	struct backend b;
	unsigned int r;
	uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();

	printf("seed %" PRIu64 "\n", seed);
	srand((unsigned int)seed);
	for (r = 0; r < rounds; r++) {
		unsigned int ms = 5 + (unsigned int)rand() % 60;

		T_EQ(backend_spawn(&b, sock_path), 0);
		T_EQ(backend_start(&b, base, NULL, 0), 0);
		T_EQ(traffic(ms, ms), 0);
		backend_kill(&b);
	}
	/* The last backend runs undisturbed: every transmit buffer must come back. */
	T_EQ(backend_spawn(&b, sock_path), 0);
	T_EQ(backend_start(&b, base, NULL, 0), 0);
	T_EQ(traffic(4000, 200), 0); /* ends once every chain is back: the controls wait it out */
	backend_kill(&b);
	printf("%u backends killed mid-traffic; %u packets sent, %" PRIu64
	       " transmit chains completed, %" PRIu64 " packets back (%u lost in dead backends "
	       "or dropped); %d vring starts resubmitted chains\n",
	       rounds, next_seq, tx_done, rx_got, next_seq - (uint32_t)rx_got,
	       count_log("to resubmit") - count_log("inflight region: 0 chains"));
	T_EQ(all_back(), 0);
	if (inflight.fd >= 0)
		close(inflight.fd);
	return 0;
}

/* The device moves from vio-echo A to vio-echo B with its state (see the top). */
static int
test_device_state_migrate(void)
{
	const uint32_t base_a[2] = { (uint32_t)base_first[0], (uint32_t)base_first[1] };
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	struct backend a, b;
	uint8_t state[256], got[6];
	uint32_t base_b[2], posted;
	size_t len;

	T_EQ(backend_spawn(&a, sock_path), 0);
	T_EQ(backend_start(&a, base_a, NULL, 0), 0);
	T_EQ(vio_vhost_frontend_set_config(a.fe, 0, mac, sizeof(mac)), 0);
	T_EQ(traffic(100, 100), 0); /* chains in flight as it stops */
	/* The source stops: its rings say where they stand, then its state is saved. */
	T_EQ(vio_vhost_frontend_get_vring_base(a.fe, 0, &base_b[0]), 0);
	T_EQ(vio_vhost_frontend_get_vring_base(a.fe, 1, &base_b[1]), 0);
	T_EQ(vio_vhost_frontend_save_device_state(a.fe, state, sizeof(state), &len), 0);
	T_EQ(len, 12); /* "vioS", version, 0, the MAC */
	posted = next_seq;
	guest_send(64); /* while no backend runs */
	posted = next_seq - posted;
	T_EQ(backend_spawn(&b, sock_path2), 0);
	T_EQ(backend_start(&b, base_b, load_state ? state : NULL, len), 0);
	T_EQ(vio_vhost_frontend_get_config(b.fe, 0, got, sizeof(got)), 0);
	T_ASSERT(memcmp(got, mac, sizeof(mac)) == 0,
		 "B's MAC %02x:%02x:%02x:%02x:%02x:%02x, A's was 52:54:00:ab:cd:ef", got[0], got[1],
		 got[2], got[3], got[4], got[5]);
	T_EQ(traffic(4000, 200), 0);
	backend_kill(&a);
	backend_kill(&b);
	printf("moved at vring bases %u and %u with %zu bytes of state; %u chains posted "
	       "between; %u packets sent, %" PRIu64 " transmit chains completed, %" PRIu64
	       " packets back\n",
	       base_b[0], base_b[1], len, posted, next_seq, tx_done, rx_got);
	return all_back();
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_inflight_crash_restart),
};

static const struct vio_test_case migrate_cases[] = {
	VIO_TEST(test_device_state_migrate),
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ring", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "no-inflight", no_argument, NULL, 'x' },
		{ "migrate", no_argument, NULL, 'm' },
		{ "no-state", no_argument, NULL, 's' },
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
		case 'm':
			migrate = true;
			use_inflight = false; /* the inflight area stays with the source's host */
			break;
		case 's':
			load_state = false;
			break;
		default:
			return 2;
		}
	}
	snprintf(sock_path, sizeof(sock_path), "/tmp/vio-test-inflight-%d.sock", getpid());
	snprintf(sock_path2, sizeof(sock_path2), "/tmp/vio-test-inflight-%d-b.sock", getpid());
	snprintf(log_path, sizeof(log_path), "/tmp/vio-test-inflight-%d.log", getpid());
	unlink(log_path);
	signal(SIGPIPE, SIG_IGN); /* a killed backend's socket: an error, not our death */
	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	if (guest_init() < 0)
		return 1;
	ret = migrate ? vio_test_run(1, argv, migrate_cases, RTE_DIM(migrate_cases))
		      : vio_test_run(1, argv, cases, RTE_DIM(cases));
	/* The controls (--no-inflight, --no-state) fail by design: their logs would pile up. */
	if (ret == 0 || (!use_inflight && !migrate) || !load_state)
		unlink(log_path);
	else
		fprintf(stderr, "backend logs kept in %s\n", log_path);
	unlink(sock_path);
	unlink(sock_path2);
	return ret;
}
