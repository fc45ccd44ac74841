/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The local driver in the frontend role: a frontend port (path=S,
 * driver=local) served in-process by a backend port of the same program
 * (iface=S), with no socket between them. Both ports are vio's real ones
 * (lib/port): the frontend's rings in DPDK memory, the backend's engine
 * behind its vhost-user server, the messages between them checked on both
 * sides as on a socket.
 *
 *   traffic          numbered frames of 60 to 4000 bytes, frontend to backend
 *                    and back, every byte checked both ways, counts exact;
 *                    a second frontend on the same backend refused (EBUSY)
 *   backend-restart  the backend port freed under a running frontend: its
 *                    link goes down; a new backend port on the same path:
 *                    the frontend attaches again by itself, traffic resumes
 *   refusals         no backend port there (ENOENT), a backend port that
 *                    connects as a client (EINVAL), driver=local with
 *                    server=1 (a parse error)
 * Every case checks that the fd count after equals the count before.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "port_frames.h"
#include "port_test.h"
#include "vio_port.h"
#include "vio_test.h"
#include "vio_virtio.h"

#define BURST    32
#define WAIT_MS  5000
#define NB_MBUFS 2047

static struct rte_mempool *tx_mp, *rx_mp;
static char sock_path[108];

/* Both links up within WAIT_MS. */
static bool
wait_links(struct vio_port *fe, struct vio_port *be, bool up)
{
	uint64_t end = now_ms() + WAIT_MS;

	while (now_ms() < end) {
		if (vio_port_link_up(fe) == up && (be == NULL || vio_port_link_up(be) == up))
			return true;
		sleep_ms(10);
	}
	return false;
}

/*
 * Frames first + 0 .. first + n - 1: frontend to backend, checked there and
 * sent back, checked again at the frontend. At most a few bursts in flight,
 * so a correct device drops none. Returns 0 when every one made it intact.
 */
static int
round_trip(struct vio_port *fe, struct vio_port *be, uint64_t first, uint64_t n)
{
	uint8_t *seen_be = calloc(n, 1), *seen_fe = calloc(n, 1);
	uint64_t sent = 0, at_be = 0, back = 0, bad = 0, end = now_ms() + WAIT_MS;
	struct rte_mbuf *pkts[BURST], *held[4 * BURST];
	uint16_t i, k, nb_held = 0;
	int ret = -1;

	if (seen_be == NULL || seen_fe == NULL)
		goto out;
	while (back < n && bad == 0 && now_ms() < end) {
		/* Frontend: post a burst, keeping at most 4 bursts outstanding. */
		for (k = 0; k < BURST && sent < n && sent - back < 4 * BURST; k++, sent++) {
			pkts[k] = frame_make(tx_mp, first + sent);
			if (pkts[k] == NULL)
				break;
		}
		i = vio_port_send(fe, 0, pkts, k);
		rte_pktmbuf_free_bulk(&pkts[i], k - i);
		sent -= k - i;
		/* Backend: take, check, and send back what it holds. */
		k = vio_port_dequeue_burst(be, 0, rx_mp, pkts,
					   (uint16_t)RTE_MIN(BURST, 4 * BURST - nb_held));
		for (i = 0; i < k; i++) {
			uint64_t s = frame_seq(pkts[i]);

			if (s < first || s - first >= n || seen_be[s - first]++ != 0)
				bad++;
			at_be++;
			held[nb_held++] = pkts[i];
		}
		k = vio_port_enqueue_burst(be, 0, held, nb_held);
		rte_pktmbuf_free_bulk(held, k);
		memmove(held, held + k, (nb_held - k) * sizeof(held[0]));
		nb_held -= k;
		/* Frontend: what came back. */
		back += frames_recv_check(fe, first, n, FRAME_MAX_LEN, seen_fe, &bad);
	}
	rte_pktmbuf_free_bulk(held, nb_held);
	printf("frames %" PRIu64 "..%" PRIu64 ": sent %" PRIu64 ", at the backend %" PRIu64
	       ", back %" PRIu64 ", bad or repeated %" PRIu64 "\n",
	       first, first + n - 1, sent, at_be, back, bad);
	ret = sent == n && at_be == n && back == n && bad == 0 ? 0 : -1;
out:
	free(seen_be);
	free(seen_fe);
	return ret;
}

/* A backend port on sock_path and a frontend port driving it in-process, both up. */
static int
pair_open(struct vio_port **fe, struct vio_port **be)
{
	struct rte_mempool *const mps[1] = { rx_mp };
	char args[160];
	int err;

	snprintf(args, sizeof(args), "iface=%s", sock_path);
	*be = port_open("local-be", args, &err);
	T_ASSERT(*be != NULL, "backend port: %s", strerror(-err));
	snprintf(args, sizeof(args), "path=%s,driver=local,queue_size=256", sock_path);
	*fe = port_open("local-fe", args, &err);
	T_ASSERT(*fe != NULL, "frontend port: %s", strerror(-err));
	T_EQ(vio_port_queues_start(*fe, mps, 1, SOCKET_ID_ANY), 0);
	T_ASSERT(wait_links(*fe, *be, true), "links not up within %d ms", WAIT_MS);
	return 0;
}

static int
test_traffic(void)
{
	int fds = vio_test_fd_count(), err;
	struct vio_vnet_vq_stats st;
	struct vio_port *fe, *be, *fe2;
	char args[160];

	T_EQ(pair_open(&fe, &be), 0);
	T_ASSERT(vio_port_features(fe) & VIO_BIT(VIO_F_VERSION_1), "features 0x%" PRIx64,
		 vio_port_features(fe));
	T_EQ(round_trip(fe, be, 0, 20000), 0);
	T_EQ(vio_port_frontend_stats_get(fe, 0, true, &st), 0);
	T_EQ(st.packets, 20000);
	T_EQ(vio_port_frontend_stats_get(fe, 0, false, &st), 0);
	T_EQ(st.packets, 20000);
	/* The backend has its frontend: another one is refused, the first unharmed. */
	snprintf(args, sizeof(args), "path=%s,driver=local", sock_path);
	fe2 = port_open("local-fe2", args, &err);
	T_ASSERT(fe2 == NULL, "a second in-process frontend was accepted");
	T_EQ(err, -EBUSY);
	T_EQ(round_trip(fe, be, 20000, 1000), 0);
	vio_port_queues_stop(fe);
	vio_port_free(fe);
	T_ASSERT(wait_links(be, NULL, false), "backend link still up without its frontend");
	vio_port_free(be);
	T_EQ(vio_test_fd_count(), fds);
	return 0;
}

static int
test_backend_restart(void)
{
	int fds = vio_test_fd_count(), round, err;
	struct vio_port *fe, *be;
	char args[160];

	T_EQ(pair_open(&fe, &be), 0);
	T_EQ(round_trip(fe, be, 0, 2000), 0);
	for (round = 1; round <= 3; round++) {
		uint64_t t0;

		vio_port_free(be);
		T_ASSERT(wait_links(fe, NULL, false), "round %d: frontend link still up", round);
		snprintf(args, sizeof(args), "iface=%s", sock_path);
		be = port_open("local-be", args, &err);
		T_ASSERT(be != NULL, "round %d: backend port: %s", round, strerror(-err));
		t0 = now_ms();
		T_ASSERT(wait_links(fe, be, true), "round %d: not attached again within %d ms",
			 round, WAIT_MS);
		printf("round %d: attached again in %" PRIu64 " ms\n", round, now_ms() - t0);
		T_EQ(round_trip(fe, be, (uint64_t)round * 2000, 2000), 0);
	}
	vio_port_queues_stop(fe);
	vio_port_free(fe);
	vio_port_free(be);
	T_EQ(vio_test_fd_count(), fds);
	return 0;
}

static int
test_refusals(void)
{
	int fds = vio_test_fd_count(), err;
	struct vio_port_config cfg;
	struct vio_port *fe, *be;
	char args[160];

	snprintf(args, sizeof(args), "path=%s,driver=local", sock_path);
	fe = port_open("local-fe", args, &err);
	T_ASSERT(fe == NULL, "a frontend with no backend port there was accepted");
	T_EQ(err, -ENOENT);
	snprintf(args, sizeof(args), "path=%s,driver=local,server=1", sock_path);
	T_EQ(vio_port_config_parse(args, &cfg), -EINVAL);
	/* A client-mode backend port connects to someone else's socket: not ours to attach. */
	snprintf(args, sizeof(args), "iface=%s,client=1", sock_path);
	be = port_open("local-be", args, &err);
	T_ASSERT(be != NULL, "client backend port: %s", strerror(-err));
	snprintf(args, sizeof(args), "path=%s,driver=local", sock_path);
	fe = port_open("local-fe", args, &err);
	T_ASSERT(fe == NULL, "a frontend on a client-mode backend port was accepted");
	T_EQ(err, -EINVAL);
	vio_port_free(be);
	T_EQ(vio_test_fd_count(), fds);
	return 0;
}

/* The vhost control thread's epoll and wake fds come with the first port, for good. */
static int
warm_up(void)
{
	struct vio_port *p;
	char args[160];
	int err;

	snprintf(args, sizeof(args), "iface=%s", sock_path);
	p = port_open("warm-up", args, &err);
	if (p == NULL) {
		fprintf(stderr, "warm-up port: %s\n", strerror(-err));
		return -1;
	}
	vio_port_free(p);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_traffic),
	VIO_TEST(test_backend_restart),
	VIO_TEST(test_refusals),
};

int
main(int argc, char **argv)
{
	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "/tmp/vio-test-local-%d.sock", (int)getpid());
	/* Transmit mbufs hold a whole frame; receive ones are 2 KiB, so large frames chain. */
	tx_mp = rte_pktmbuf_pool_create("local_tx", NB_MBUFS, 0, 0,
					FRAME_MAX_LEN + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	rx_mp = rte_pktmbuf_pool_create("local_rx", 4 * NB_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	if (tx_mp == NULL || rx_mp == NULL) {
		fprintf(stderr, "mempools: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (warm_up() < 0)
		return 1;
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}
