/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * A frontend port's memory table follows DPDK's heap. This program runs on
 * hugepages with dynamic memory (no -m: the heap grows as it is used, and
 * --single-file-segments so that the segments can be shared), with a
 * frontend port (path=S, driver remote) driving vio-echo, vio's backend in
 * another process, which sends every frame back.
 *
 *   1. frames from a mempool made before the rings started: intact both ways;
 *   2. a mempool of 64 MiB made after: DPDK's heap grows, the port tells
 *      vio-echo (mem_updates counts it) before the pool is used, and frames
 *      from the new pool come back intact: without the update vio-echo could
 *      not translate their buffers and would break the queue;
 *   3. that pool freed: the heap shrinks, the port tells vio-echo again, and
 *      frames from the first pool still come back intact.
 * No update is missed, the link never goes down, vio-echo's queues never
 * break, and the fd count at the end equals the count before.
 *
 *   test-port-mem VIO_ECHO
 *
 * Exit 77 (skip) when fewer than 256 free 2 MiB hugepages are reserved.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "port_frames.h"
#include "port_test.h"
#include "vio_port.h"
#include "vio_test.h"

#define BURST       32
#define WAIT_MS     10000
#define FREE_PAGES  "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
#define NEED_PAGES  256
#define BIG_MBUFS   15000 /* of 4 KiB: about 64 MiB */
#define ROUND_TRIPS 5000

static char sock_path[108], log_path[128];
static pid_t echo_pid = -1;

static long
free_hugepages(void)
{
	FILE *f = fopen(FREE_PAGES, "r");
	long n = -1;

	if (f != NULL) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* vio-echo on sock_path, --no-huge: it maps this program's hugepages by fd. */
static int
echo_spawn(const char *echo_bin)
{
	int i;

	unlink(sock_path);
	echo_pid = fork();
	if (echo_pid < 0)
		return -errno;
	if (echo_pid == 0) {
		char *argv[] = { (char *)(uintptr_t)echo_bin,
				 "-l",
				 "1",
				 "--no-huge",
				 "-m",
				 "128",
				 "--no-pci",
				 "--no-shconf",
				 "--log-level",
				 "lib.vio.*:info",
				 "--",
				 "--socket",
				 sock_path,
				 "--seconds",
				 "120",
				 NULL };
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(echo_bin, argv);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		if (access(sock_path, F_OK) == 0)
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "vio-echo never listened on %s\n", sock_path);
	return -ETIMEDOUT;
}

static void
echo_stop(void)
{
	if (echo_pid > 0) {
		kill(echo_pid, SIGTERM);
		waitpid(echo_pid, NULL, 0);
		echo_pid = -1;
	}
}

static bool
log_has(const char *path, const char *what)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

/* Frames out through the port, back from vio-echo, every byte checked. */
static int
round_trip(struct vio_port *fe, struct rte_mempool *mp, uint64_t first, uint64_t n)
{
	uint8_t *seen = calloc(n, 1);
	uint64_t sent = 0, back = 0, bad = 0, end = now_ms() + WAIT_MS;
	struct rte_mbuf *pkts[BURST];
	uint16_t i, k;

	if (seen == NULL)
		return -1;
	while (back < n && bad == 0 && now_ms() < end) {
		for (k = 0; k < BURST && sent < n && sent - back < 4 * BURST; k++, sent++) {
			pkts[k] = frame_make(mp, first + sent);
			if (pkts[k] == NULL)
				break;
		}
		i = vio_port_send(fe, 0, pkts, k);
		rte_pktmbuf_free_bulk(&pkts[i], k - i);
		sent -= k - i;
		back += frames_recv_check(fe, first, n, FRAME_MAX_LEN, seen, &bad);
	}
	free(seen);
	printf("frames %" PRIu64 "..%" PRIu64 " from %s: sent %" PRIu64 ", back %" PRIu64
	       ", bad or repeated %" PRIu64 "\n",
	       first, first + n - 1, mp->name, sent, back, bad);
	return sent == n && back == n && bad == 0 ? 0 : -1;
}

static int
info(struct vio_port *fe, struct vio_port_frontend_info *fi, const char *when)
{
	T_EQ(vio_port_frontend_info_get(fe, fi), 0);
	printf("%s: %u connection%s, %u region%s in the device's table, %" PRIu64
	       " memory update%s, %" PRIu64 " missed\n",
	       when, fi->connections, fi->connections == 1 ? "" : "s", fi->mem_regions,
	       fi->mem_regions == 1 ? "" : "s", fi->mem_updates, fi->mem_updates == 1 ? "" : "s",
	       fi->mem_missed);
	return 0;
}

static int
run(const char *echo_bin)
{
	struct vio_port_frontend_info before, grown, shrunk;
	struct rte_mempool *rx_mp, *tx_mp, *big;
	struct vio_port_config cfg;
	struct vio_port *fe;
	char args[160];
	int fds;

	rx_mp = rte_pktmbuf_pool_create("mem_rx", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	tx_mp = rte_pktmbuf_pool_create("mem_tx", 511, 0, 0, FRAME_MAX_LEN + RTE_PKTMBUF_HEADROOM,
					SOCKET_ID_ANY);
	T_ASSERT(rx_mp != NULL && tx_mp != NULL, "mempools: %s", rte_strerror(rte_errno));
	fds = vio_test_fd_count();
	T_EQ(echo_spawn(echo_bin), 0);
	snprintf(args, sizeof(args), "path=%s", sock_path);
	T_EQ(vio_port_config_parse(args, &cfg), 0);
	fe = vio_port_create("mem-fe", &cfg, NULL, NULL);
	T_ASSERT(fe != NULL, "port: %s", rte_strerror(rte_errno));
	T_EQ(vio_port_start(fe), 0);
	T_EQ(vio_port_queues_start(fe, &rx_mp, 1, SOCKET_ID_ANY), 0);
	T_ASSERT(vio_port_link_up(fe), "link down after start");
	T_EQ(info(fe, &before, "started"), 0);
	T_EQ(round_trip(fe, tx_mp, 0, ROUND_TRIPS), 0);

	/* 2: the heap grows under running rings. */
	big = rte_pktmbuf_pool_create("mem_big", BIG_MBUFS, 0, 0,
				      FRAME_MAX_LEN + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	T_ASSERT(big != NULL, "a 64 MiB mempool: %s", rte_strerror(rte_errno));
	T_EQ(info(fe, &grown, "after a 64 MiB mempool"), 0);
	T_ASSERT(grown.mem_updates > before.mem_updates, "the device was not told of new memory");
	T_EQ(round_trip(fe, big, ROUND_TRIPS, ROUND_TRIPS), 0);

	/* 3: and shrinks again. */
	rte_mempool_free(big);
	T_EQ(info(fe, &shrunk, "after freeing it"), 0);
	T_ASSERT(shrunk.mem_updates > grown.mem_updates, "the device was not told of freed memory");
	T_EQ(round_trip(fe, tx_mp, 2 * ROUND_TRIPS, ROUND_TRIPS), 0);

	T_EQ(shrunk.mem_missed, 0);
	T_EQ(shrunk.connections, 1);
	T_ASSERT(vio_port_link_up(fe), "the link went down");
	vio_port_queues_stop(fe);
	vio_port_free(fe);
	echo_stop();
	T_ASSERT(!log_has(log_path, "broke the queue"), "vio-echo broke a queue (see its log)");
	T_EQ(vio_test_fd_count(), fds);
	rte_mempool_free(tx_mp);
	rte_mempool_free(rx_mp);
	return 0;
}

int
main(int argc, char **argv)
{
	long pages = free_hugepages();
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: test-port-mem VIO_ECHO\n");
		return 2;
	}
	if (pages < NEED_PAGES) {
		printf("SKIP: %ld free 2 MiB hugepages (%d needed): DPDK's memory cannot grow "
		       "without them\n",
		       pages, NEED_PAGES);
		return VIO_TEST_SKIP;
	}
	if (port_test_eal_init_huge(argv[0], "lib.vio.*:info") < 0)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "/tmp/vio-test-mem-%d.sock", (int)getpid());
	snprintf(log_path, sizeof(log_path), "/tmp/vio-test-mem-%d.echo.log", (int)getpid());
	ret = run(argv[1]);
	echo_stop();
	if (ret != 0) {
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "echo '--- vio-echo:'; tail -n 20 %s", log_path);
		if (system(cmd) < 0)
			fprintf(stderr, "no log\n");
	}
	unlink(log_path);
	unlink(sock_path);
	printf("%s\n", ret == 0 ? "PASS" : "FAIL");
	return ret == 0 ? 0 : 1;
}
