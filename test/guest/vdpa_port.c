/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The vdpa driver in the frontend role, against a real vDPA device: run in
 * a Linux guest (vdpa.sh) on vdpa_sim_net behind vhost_vdpa, which loops
 * every frame it transmits back to its receive queue (broadcast, multicast
 * or its own MAC only). vio's real port (lib/port): its rings in DPDK
 * memory (--no-huge: one memfd), the device driven through
 * /dev/vhost-vdpa-N.
 *
 *   traffic       numbered frames of 60 to 1514 bytes, broadcast and to the
 *                 device's MAC, out and back, every byte checked, none
 *                 missing; the port's counters and the simulator's own
 *                 (vdpa dev vstats) agree with the count
 *   restart       the port's queues stopped and started again, 3 times
 *                 (the device reset and given the rings again), traffic
 *                 checked after each
 *   handoff       the backend role: a vio backend port with driver=vdpa
 *                 hands its vhost-user frontend's rings (a vio frontend port
 *                 of this process, over the socket) to the device; the
 *                 traffic case through it, then a restart of the frontend
 *   handoff-blk   the handoff to vdpa_sim_blk: each connection refused
 *   refusals      a vdpa_sim_blk device behind a net port (device id 2, not
 *                 1), queue_size above the device's rings, a path that does
 *                 not exist, a device that another port holds: each refused,
 *                 no port made
 *   mem-growth    (VDPA_HUGE=1 only: DPDK on hugepages, dynamic memory) a
 *                 mempool made and freed under running rings: the device is
 *                 told (IOTLB) and frames from the new memory come back
 * Every case checks that the fd count after equals the count before.
 *
 * Usage: test-vdpa-port [CASE]   (a substring of the case names)
 * Env: VDPA_NET (default /dev/vhost-vdpa-0), VDPA_NET_NAME (the vdpa device's
 * name for vstats, default vdpa0), VDPA_MAC (the device's MAC, default
 * 02:00:00:00:00:01), VDPA_BLK (the blk device's vhost-vdpa path; its case
 * is skipped without it), VDPA_FRAMES (default 100000), VDPA_HUGE (1: EAL on
 * hugepages with dynamic memory instead of --no-huge; mem-growth runs only so).
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

#include "../port/port_frames.h"
#include "../port/port_test.h"
#include "vio_port.h"
#include "vio_test.h"
#include "vio_virtio.h"

#define BURST    32
#define WINDOW   128 /* frames in flight: below the 256 receive buffers, so none is dropped */
#define STALL_MS 5000
#define NB_MBUFS 4095
#define LEN_MAX  1514 /* frames of 60 to 1514 bytes: vdpa_sim_net has no MRG_RXBUF */

static struct rte_mempool *tx_mp, *rx_mp;
static const char *net_path, *net_name, *blk_path;
static uint8_t dev_mac[6];
static bool huge; /* VDPA_HUGE=1: DPDK on hugepages, dynamic memory */

static bool
wait_link(struct vio_port *p)
{
	uint64_t end = now_ms() + STALL_MS;

	while (now_ms() < end) {
		if (vio_port_link_up(p))
			return true;
		sleep_ms(10);
	}
	return false;
}

/*
 * Frames first .. first + n - 1 out through the device and back, at most
 * WINDOW in flight; even ones broadcast, odd ones to the device's MAC (the
 * two the simulator loops back). 0 when every one came back intact, once.
 */
static int
round_trip_from(struct vio_port *p, struct rte_mempool *mp, uint64_t first, uint64_t n)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *seen = calloc(n, 1);
	uint64_t sent = 0, back = 0, bad = 0, t0 = now_ms(), last = t0;
	struct rte_mbuf *pkts[BURST];
	uint16_t i, k;
	int ret;

	if (seen == NULL)
		return -1;
	while (back < n && bad == 0 && now_ms() - last < STALL_MS) {
		for (k = 0; k < BURST && sent + k < n && sent + k - back < WINDOW; k++) {
			uint64_t s = first + sent + k;

			pkts[k] = frame_make_to(mp, s, LEN_MAX, s & 1 ? dev_mac : bcast);
			if (pkts[k] == NULL)
				break;
		}
		i = vio_port_send(p, 0, pkts, k);
		rte_pktmbuf_free_bulk(&pkts[i], k - i);
		sent += i;
		k = frames_recv_check(p, first, n, LEN_MAX, seen, &bad);
		back += k;
		if (k != 0)
			last = now_ms();
	}
	printf("frames %" PRIu64 "..%" PRIu64 ": sent %" PRIu64 ", back %" PRIu64
	       ", bad or repeated %" PRIu64 " in %" PRIu64 " ms\n",
	       first, first + n - 1, sent, back, bad, now_ms() - t0);
	fflush(stdout);
	ret = sent == n && back == n && bad == 0 ? 0 : -1;
	free(seen);
	return ret;
}

static int
round_trip(struct vio_port *p, uint64_t first, uint64_t n)
{
	return round_trip_from(p, tx_mp, first, n);
}

/*
 * The simulator's own counter @p name of queue @p qidx (vdpa dev vstats,
 * "... rx packets 123 ..." or "... name rx packets value 123 ..."); -1 if
 * unreadable (the output is shown).
 */
static long long
vstat(unsigned int qidx, const char *name)
{
	char cmd[160], line[1024];
	long long v = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "vdpa dev vstats show %s qidx %u 2>&1", net_name, qidx);
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *at = strstr(line, name), *end;

		if (at == NULL) {
			if (v < 0)
				fprintf(stderr, "%s: %s", cmd, line);
			continue;
		}
		at += strlen(name);
		at += strspn(at, " \"");
		if (strncmp(at, "value", 5) == 0)
			at += 5;
		at += strspn(at, " :\"");
		v = strtoll(at, &end, 10);
		if (end == at)
			v = -1;
	}
	pclose(f);
	return v;
}

static struct vio_port *
net_port(const char *name, const char *extra)
{
	struct rte_mempool *const mps[1] = { rx_mp };
	struct vio_port *p;
	char args[256];
	int err;

	snprintf(args, sizeof(args), "path=%s%s", net_path, extra);
	p = port_open(name, args, &err);
	if (p == NULL) {
		fprintf(stderr, "port %s: %s\n", args, strerror(-err));
		return NULL;
	}
	if (vio_port_queues_start(p, mps, 1, SOCKET_ID_ANY) < 0 || !wait_link(p)) {
		fprintf(stderr, "port %s: queues not started or link not up\n", args);
		vio_port_free(p);
		return NULL;
	}
	return p;
}

/* The frames of a traffic case: VDPA_FRAMES, 100 000 by default. */
static uint64_t
frames_wanted(void)
{
	const char *env = getenv("VDPA_FRAMES");

	return env != NULL ? strtoull(env, NULL, 10) : 100000;
}

static int
test_vdpa_traffic(void)
{
	uint64_t n = frames_wanted();
	long long rx0, tx0, rx1, tx1;
	int fds = vio_test_fd_count(), ret;
	struct vio_vnet_vq_stats tx = { 0 }, rx = { 0 };
	struct vio_port *p;

	/* No driver=: a character device named vhost-vdpa-N is the vdpa driver's. */
	p = net_port("vdpa-traffic", "");
	T_ASSERT(p != NULL, "no port on %s", net_path);
	T_ASSERT(vio_port_features(p) & VIO_BIT(VIO_F_VERSION_1), "features 0x%" PRIx64,
		 vio_port_features(p));
	printf("features 0x%" PRIx64 "\n", vio_port_features(p));
	rx0 = vstat(0, "rx packets");
	tx0 = vstat(1, "tx packets");
	ret = round_trip(p, 0, n);
	if (ret == 0)
		ret = vio_port_frontend_stats_get(p, 0, true, &tx);
	if (ret == 0)
		ret = vio_port_frontend_stats_get(p, 0, false, &rx);
	rx1 = vstat(0, "rx packets");
	tx1 = vstat(1, "tx packets");
	/* The device stays open (FEATURES_OK) for vstats until here. */
	vio_port_queues_stop(p);
	vio_port_free(p);
	T_EQ(ret, 0);
	printf("port: tx packets %" PRIu64 ", rx packets %" PRIu64 "\n", tx.packets, rx.packets);
	printf("vdpa dev vstats %s: tx packets %lld -> %lld, rx packets %lld -> %lld\n", net_name,
	       tx0, tx1, rx0, rx1);
	T_EQ(tx.packets, n);
	T_EQ(rx.packets, n);
	T_ASSERT(rx0 >= 0 && tx0 >= 0 && rx1 >= 0 && tx1 >= 0, "vstats unreadable");
	T_EQ(tx1 - tx0, n);
	T_EQ(rx1 - rx0, n);
	T_EQ(vio_test_fd_count(), fds);
	return 0;
}

static int
test_vdpa_restart(void)
{
	struct rte_mempool *const mps[1] = { rx_mp };
	int fds = vio_test_fd_count(), round;
	struct vio_port *p;

	p = net_port("vdpa-restart", ",driver=vdpa,queue_size=256");
	T_ASSERT(p != NULL, "no port on %s", net_path);
	T_EQ(round_trip(p, 0, 3000), 0);
	for (round = 1; round <= 3; round++) {
		vio_port_queues_stop(p);
		T_ASSERT(!vio_port_link_up(p), "round %d: link up with the queues stopped", round);
		T_EQ(vio_port_queues_start(p, mps, 1, SOCKET_ID_ANY), 0);
		T_ASSERT(wait_link(p), "round %d: link not up again", round);
		T_EQ(round_trip(p, (uint64_t)round * 3000, 3000), 0);
	}
	vio_port_queues_stop(p);
	vio_port_free(p);
	T_EQ(vio_test_fd_count(), fds);
	return 0;
}

/*
 * The backend role: a vio backend port with driver=vdpa hands the rings of
 * its vhost-user frontend (a vio frontend port of this process, over the
 * socket) to the device. The frames go frontend port -> socket's rings ->
 * simulator -> back, every byte checked, the simulator's counts equal; then
 * the frontend's queues restarted once (the device stopped whole and given
 * the rings again) and frames again.
 */
static int
test_vdpa_handoff(void)
{
	static const char sock[] = "/tmp/vio-vdpa-handoff.sock";
	struct rte_mempool *const mps[1] = { rx_mp };
	uint64_t n = frames_wanted();
	long long rx0, tx0, rx1, tx1;
	int fds, err, ret;
	struct vio_port *be, *fe;
	char args[256];

	snprintf(args, sizeof(args), "iface=%s,driver=vdpa,device=%s", sock, net_path);
	be = port_open("vdpa-handoff-be", args, &err);
	T_ASSERT(be != NULL, "%s: %s", args, strerror(-err));
	/* From here (vio's control thread runs): what a connection holds goes with it. */
	fds = vio_test_fd_count();
	snprintf(args, sizeof(args), "path=%s,queue_size=256", sock);
	fe = port_open("vdpa-handoff-fe", args, &err);
	if (fe == NULL)
		vio_port_free(be);
	T_ASSERT(fe != NULL, "%s: %s", args, strerror(-err));
	ret = vio_port_queues_start(fe, mps, 1, SOCKET_ID_ANY);
	if (ret == 0 && !(wait_link(fe) && wait_link(be)))
		ret = -ETIMEDOUT;
	printf("handoff: frontend features 0x%" PRIx64 ", links %d %d\n", vio_port_features(fe),
	       vio_port_link_up(fe), vio_port_link_up(be));
	rx0 = vstat(0, "rx packets");
	tx0 = vstat(1, "tx packets");
	if (ret == 0)
		ret = round_trip(fe, 0, n);
	rx1 = vstat(0, "rx packets");
	tx1 = vstat(1, "tx packets");
	printf("vdpa dev vstats %s: tx packets %lld -> %lld, rx packets %lld -> %lld\n", net_name,
	       tx0, tx1, rx0, rx1);
	if (ret == 0) {
		vio_port_queues_stop(fe);
		ret = vio_port_queues_start(fe, mps, 1, SOCKET_ID_ANY);
		if (ret == 0 && !wait_link(fe))
			ret = -ETIMEDOUT;
		if (ret == 0)
			ret = round_trip(fe, n, 3000);
	}
	vio_port_queues_stop(fe);
	vio_port_free(fe);
	T_EQ(vio_test_fd_count_settled(fds), fds); /* the device's fd, the memory, the eventfds */
	vio_port_free(be);
	T_EQ(ret, 0);
	T_EQ(tx1 - tx0, n);
	T_EQ(rx1 - rx0, n);
	return 0;
}

/* A port that must not be made: refused with @p want, no fd left behind. */
static int
refused(const char *args, int want)
{
	int fds = vio_test_fd_count(), err = 0;
	struct vio_port *p;

	printf("expect a refusal: %s\n", args);
	fflush(stdout);
	p = port_open("vdpa-bad", args, &err);
	T_ASSERT(p == NULL, "%s: accepted", args);
	T_ASSERT(err == want, "%s: %s, expected %s", args, strerror(-err), strerror(-want));
	T_EQ(vio_test_fd_count(), fds);
	return 0;
}

static int
test_vdpa_refuses_blk(void)
{
	char args[160];

	if (blk_path == NULL)
		return VIO_TEST_SKIP;
	snprintf(args, sizeof(args), "path=%s,driver=vdpa", blk_path);
	T_EQ(refused(args, -ENODEV), 0);
	/* Found by its name too. */
	snprintf(args, sizeof(args), "path=%s", blk_path);
	return refused(args, -ENODEV);
}

/*
 * The handoff to a device of the wrong kind: the backend port is made (its
 * device is opened per connection), the frontend's connection is closed at
 * once (vdpa.sh greps the device id and "cannot open the device"), no fd of
 * it stays, and the port is unharmed.
 */
static int
test_vdpa_handoff_refuses_blk(void)
{
	static const char sock[] = "/tmp/vio-vdpa-handoff-blk.sock";
	struct vio_port *be, *fe;
	char args[256];
	int fds, err = 0;

	if (blk_path == NULL)
		return VIO_TEST_SKIP;
	snprintf(args, sizeof(args), "iface=%s,driver=vdpa,device=%s", sock, blk_path);
	be = port_open("vdpa-handoff-blk", args, &err);
	T_ASSERT(be != NULL, "%s: %s", args, strerror(-err));
	fds = vio_test_fd_count();
	snprintf(args, sizeof(args), "path=%s", sock);
	fe = port_open("vdpa-handoff-blk-fe", args, &err);
	if (fe != NULL)
		vio_port_free(fe);
	T_EQ(vio_test_fd_count_settled(fds), fds);
	T_ASSERT(!vio_port_link_up(be), "a link with no device behind it");
	vio_port_free(be);
	T_ASSERT(fe == NULL, "a frontend was served by a block device");
	printf("frontend refused: %s\n", strerror(-err));
	return 0;
}

static int
test_vdpa_refuses_queue_size(void)
{
	char args[160];

	snprintf(args, sizeof(args), "path=%s,queue_size=512", net_path);
	return refused(args, -EINVAL);
}

static int
test_vdpa_refuses_missing_path(void)
{
	return refused("path=/dev/vhost-vdpa-99,driver=vdpa", -ENOENT);
}

static int
test_vdpa_refuses_busy_device(void)
{
	int fds = vio_test_fd_count();
	struct vio_port *p = net_port("vdpa-holder", "");
	char args[160];

	T_ASSERT(p != NULL, "no port on %s", net_path);
	snprintf(args, sizeof(args), "path=%s", net_path);
	T_EQ(refused(args, -EBUSY), 0);
	T_EQ(round_trip(p, 0, 1000), 0); /* the holder unharmed */
	vio_port_queues_stop(p);
	vio_port_free(p);
	T_EQ(vio_test_fd_count(), fds);
	return 0;
}

static int
mem_info(struct vio_port *p, struct vio_port_frontend_info *fi, const char *when)
{
	T_EQ(vio_port_frontend_info_get(p, fi), 0);
	printf("%s: %u region%s in the device's table, %" PRIu64 " memory update%s, %" PRIu64
	       " missed\n",
	       when, fi->mem_regions, fi->mem_regions == 1 ? "" : "s", fi->mem_updates,
	       fi->mem_updates == 1 ? "" : "s", fi->mem_missed);
	fflush(stdout);
	return 0;
}

/*
 * Hugepages with dynamic memory (VDPA_HUGE=1): DPDK's heap grows and shrinks
 * under running rings, the port tells the device (IOTLB updates and
 * invalidations, or a whole table with the device suspended), and frames
 * from the new memory come back intact: without the update the device could
 * not reach their buffers.
 */
static int
test_vdpa_mem_growth(void)
{
	struct vio_port_frontend_info before, grown, shrunk;
	int fds = vio_test_fd_count();
	struct rte_mempool *big;
	struct vio_port *p;

	if (!huge)
		return VIO_TEST_SKIP;
	p = net_port("vdpa-mem", "");
	T_ASSERT(p != NULL, "no port on %s", net_path);
	T_EQ(mem_info(p, &before, "started"), 0);
	T_EQ(round_trip(p, 0, 3000), 0);
	big = rte_pktmbuf_pool_create("vdpa_big", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				      SOCKET_ID_ANY);
	T_ASSERT(big != NULL, "a 36 MiB mempool: %s", rte_strerror(rte_errno));
	T_EQ(mem_info(p, &grown, "after a 36 MiB mempool"), 0);
	T_ASSERT(grown.mem_updates > before.mem_updates, "the device was not told of new memory");
	T_EQ(round_trip_from(p, big, 3000, 3000), 0);
	rte_mempool_free(big);
	T_EQ(mem_info(p, &shrunk, "after freeing it"), 0);
	T_ASSERT(shrunk.mem_updates > grown.mem_updates, "the device was not told of freed memory");
	T_EQ(round_trip(p, 6000, 3000), 0);
	T_EQ(shrunk.mem_missed, 0);
	T_ASSERT(vio_port_link_up(p), "the link went down");
	vio_port_queues_stop(p);
	vio_port_free(p);
	T_EQ(vio_test_fd_count(), fds);
	return 0;
}

/* The vhost control thread's fds come with the first port, for good: open one first. */
static int
warm_up(void)
{
	struct vio_port *p = net_port("vdpa-warm-up", "");

	if (p == NULL)
		return -1;
	vio_port_queues_stop(p);
	vio_port_free(p);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_vdpa_traffic),
	VIO_TEST(test_vdpa_restart),
	VIO_TEST(test_vdpa_handoff),
	VIO_TEST(test_vdpa_refuses_blk),
	VIO_TEST(test_vdpa_handoff_refuses_blk),
	VIO_TEST(test_vdpa_refuses_queue_size),
	VIO_TEST(test_vdpa_refuses_missing_path),
	VIO_TEST(test_vdpa_refuses_busy_device),
	VIO_TEST(test_vdpa_mem_growth),
};

int
main(int argc, char **argv)
{
	const char *mac = getenv("VDPA_MAC");
	unsigned int m[6], i;

	net_path = getenv("VDPA_NET") != NULL ? getenv("VDPA_NET") : "/dev/vhost-vdpa-0";
	net_name = getenv("VDPA_NET_NAME") != NULL ? getenv("VDPA_NET_NAME") : "vdpa0";
	blk_path = getenv("VDPA_BLK");
	if (mac == NULL)
		mac = "02:00:00:00:00:01";
	if (sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) {
		fprintf(stderr, "VDPA_MAC=%s: not a MAC\n", mac);
		return 1;
	}
	for (i = 0; i < 6; i++)
		dev_mac[i] = (uint8_t)m[i];
	huge = getenv("VDPA_HUGE") != NULL && strcmp(getenv("VDPA_HUGE"), "1") == 0;
	if ((huge ? port_test_eal_init_huge(argv[0], "lib.vio.*:debug")
		  : vio_test_eal_init(argv[0], "0")) < 0)
		return 1;
	tx_mp = rte_pktmbuf_pool_create("vdpa_tx", NB_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	rx_mp = rte_pktmbuf_pool_create("vdpa_rx", NB_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	if (tx_mp == NULL || rx_mp == NULL) {
		fprintf(stderr, "mempools: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (warm_up() < 0)
		return 1;
	return vio_test_run(argc, argv, cases, RTE_DIM(cases));
}
