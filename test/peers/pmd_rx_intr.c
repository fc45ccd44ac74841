/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * An application that sleeps on Rx queue interrupts, the way DPDK's
 * l3fwd-power does, on port 0 (net_vio, loaded with -d). With the link up it
 * runs ROUNDS rounds: arm the interrupt, print "armed N", sleep in
 * rte_epoll_wait() (10 s at most), and once woken poll until BURST packets
 * came; it prints "woken N packets P" per round. The script sends one burst
 * from the peer per "armed" line. Exit 0 when every round was woken by the
 * interrupt and got its packets, 1 otherwise, 99 on a set-up error.
 *
 *   pmd-rx-intr EAL_ARGS... -- ROUNDS BURST
 */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_epoll.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

static int
port_setup(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { .intr_conf = { .rxq = 1 } };

	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 256, rte_socket_id(), NULL, mp) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 256, rte_socket_id(), NULL) != 0 ||
	    rte_eth_dev_start(port) != 0)
		return -1;
	return rte_eth_dev_rx_intr_ctl_q(port, 0, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD, NULL);
}

/* Receive for @p ms milliseconds or until @p want packets came. */
static unsigned int
poll_for(uint16_t port, unsigned int want, unsigned int ms)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * ms / 1000;
	struct rte_mbuf *pkts[32];
	unsigned int got = 0;

	while (got < want && rte_get_timer_cycles() < end) {
		uint16_t n = rte_eth_rx_burst(port, 0, pkts, RTE_DIM(pkts));

		got += n;
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return got;
}

int
main(int argc, char **argv)
{
	struct rte_epoll_event ev;
	struct rte_eth_link link;
	struct rte_mempool *mp;
	unsigned int rounds, burst, r, fails = 0;
	int n, i;

	n = rte_eal_init(argc, argv);
	if (n < 0)
		return 99;
	argc -= n;
	argv += n;
	if (argc != 3 || rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "usage: pmd-rx-intr EAL_ARGS -- ROUNDS BURST (and one port)\n");
		return 99;
	}
	rounds = (unsigned int)atoi(argv[1]);
	burst = (unsigned int)atoi(argv[2]);
	mp = rte_pktmbuf_pool_create("rx", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL || port_setup(0, mp) != 0) {
		fprintf(stderr, "port set-up with Rx interrupts failed\n");
		return 99;
	}
	printf("ready\n");
	fflush(stdout);
	for (i = 0; i < 300; i++) {
		if (rte_eth_link_get_nowait(0, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
			break;
		usleep(100 * 1000);
	}
	if (link.link_status != RTE_ETH_LINK_UP) {
		fprintf(stderr, "no link after 30 s\n");
		return 99;
	}
	/* What came with the connection: the first burst, and the PMD's wake-up of a new ring. */
	poll_for(0, UINT32_MAX, 500);
	while (rte_epoll_wait(RTE_EPOLL_PER_THREAD, &ev, 1, 100) > 0)
		;
	for (r = 1; r <= rounds; r++) {
		unsigned int got;

		if (rte_eth_dev_rx_intr_enable(0, 0) != 0) {
			fprintf(stderr, "rte_eth_dev_rx_intr_enable failed\n");
			return 1;
		}
		printf("armed %u\n", r);
		fflush(stdout);
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, &ev, 1, 10000);
		rte_eth_dev_rx_intr_disable(0, 0);
		got = poll_for(0, burst, 2000);
		printf("woken %u packets %u (%s)\n", r, got, n == 1 ? "interrupt" : "timeout");
		fflush(stdout);
		if (n != 1 || got < burst)
			fails++;
	}
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	rte_eal_cleanup();
	printf("%u passed, %u failed\n", rounds - fails, fails);
	return fails == 0 ? 0 : 1;
}
