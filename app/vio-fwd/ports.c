/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Set-up and tear-down: ports, the topology, streams and their lcores,
 * mempools, queues. Runs on the main lcore before the launch and after every
 * forwarding lcore returned.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "fwd.h"

#define PROG "vio-fwd"

/* Per-lcore mempool cache: DPDK's advice is a divisor of the pool size near 256, at most 512. */
#define POOL_CACHE 256
/* Fewest mbufs in a default pool: room for a 1024-entry virtqueue pair and more. */
#define POOL_MIN 16384
/* Descriptors when neither the option nor the PMD says: ethdev's fallback. */
#define DESC_FALLBACK 512
#define NO_LCORE      UINT32_MAX

/* The port a receiving port's packets go to, by position in probe order. */
static unsigned int
topology_peer(enum fwd_topology t, unsigned int i, unsigned int n)
{
	switch (t) {
	case FWD_TOPOLOGY_CHAINED:
		return (i + 1) % n;
	case FWD_TOPOLOGY_LOOP:
		return i;
	default: /* paired; an odd last port sends to itself */
		if (i % 2 == 0)
			return i + 1 < n ? i + 1 : i;
		return i - 1;
	}
}

/* Ports: their names, MACs, limits and peers. */
static int
ports_probe(struct fwd_ctx *ctx)
{
	const struct fwd_opts *o = ctx->opts;
	unsigned int i;
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid) {
		ctx->port_ids[ctx->nb_ports++] = pid;
	}
	if (ctx->nb_ports == 0) {
		fprintf(stderr,
			PROG ": no port: create one with an EAL --vdev before \"--\", e.g. --vdev "
			     "net_vhost0,iface=/tmp/vhost.sock\n");
		return FWD_EXIT_USAGE;
	}
	for (pid = 0; pid < RTE_MAX_ETHPORTS; pid++) {
		if (o->eth_peer_set[pid] && !rte_eth_dev_is_valid_port(pid)) {
			fprintf(stderr,
				PROG ": --eth-peer %u,...: no port %u; the ports are 0 to %u\n",
				pid, pid, ctx->nb_ports - 1);
			return FWD_EXIT_USAGE;
		}
	}
	for (i = 0; i < ctx->nb_ports; i++) {
		struct fwd_port *p = &ctx->ports[ctx->port_ids[i]];
		struct rte_eth_dev_info info;
		int ret;

		p->port_id = ctx->port_ids[i];
		p->peer = ctx->port_ids[topology_peer(o->topology, i, ctx->nb_ports)];
		p->socket = rte_eth_dev_socket_id(p->port_id);
		ret = rte_eth_dev_info_get(p->port_id, &info);
		if (ret == 0)
			ret = rte_eth_dev_get_name_by_port(p->port_id, p->name);
		if (ret == 0)
			ret = rte_eth_macaddr_get(p->port_id, &p->mac);
		if (ret != 0) {
			fprintf(stderr, PROG ": port %u: cannot read its information: %s\n",
				p->port_id, strerror(-ret));
			return FWD_EXIT_FAIL;
		}
		if (o->nb_rxq > info.max_rx_queues || o->nb_txq > info.max_tx_queues) {
			fprintf(stderr,
				PROG ": --rxq %u --txq %u: port %u (%s) has at most %u receive and "
				     "%u transmit queues%s\n",
				o->nb_rxq, o->nb_txq, p->port_id, p->name, info.max_rx_queues,
				info.max_tx_queues,
				strncmp(info.driver_name, "net_vhost", 9) == 0
					? " (net_vhost: raise its queues= devarg)"
					: "");
			return FWD_EXIT_USAGE;
		}
		p->nb_rxd = o->nb_rxd != 0 ? o->nb_rxd : info.default_rxportconf.ring_size;
		p->nb_txd = o->nb_txd != 0 ? o->nb_txd : info.default_txportconf.ring_size;
		if (p->nb_rxd == 0)
			p->nb_rxd = DESC_FALLBACK;
		if (p->nb_txd == 0)
			p->nb_txd = DESC_FALLBACK;
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &p->nb_rxd, &p->nb_txd);
		if (ret != 0) {
			fprintf(stderr, PROG ": port %u (%s): descriptors: %s\n", p->port_id,
				p->name, strerror(-ret));
			return FWD_EXIT_FAIL;
		}
		if (o->eth_peer_set[p->port_id]) {
			p->eth_peer = o->eth_peer[p->port_id];
		} else {
			/* testpmd's default peer address: 02:00:00:00:00:<port>. */
			memset(&p->eth_peer, 0, sizeof(p->eth_peer));
			p->eth_peer.addr_bytes[0] = 0x02;
			p->eth_peer.addr_bytes[5] = (uint8_t)p->port_id;
		}
	}
	return 0;
}

/* Streams, listed port by port and queue by queue, dealt to the forwarding lcores in turn. */
static int
streams_map(struct fwd_ctx *ctx)
{
	const struct fwd_opts *o = ctx->opts;
	unsigned int avail[RTE_MAX_LCORE], nb_avail = 0, per_port, i, q, lc;
	bool txonly = o->mode == FWD_MODE_TXONLY;
	unsigned int *owner;
	unsigned int id;

	RTE_LCORE_FOREACH_WORKER(id) {
		avail[nb_avail++] = id;
	}
	if (nb_avail == 0) {
		/* A single lcore: it forwards, a control thread prints. */
		avail[nb_avail++] = rte_get_main_lcore();
		ctx->main_forwards = true;
	}
	if (o->nb_cores > nb_avail) {
		fprintf(stderr,
			PROG ": --nb-cores %u: expected 1 to %u, the EAL's lcores but the main one "
			     "(give more with -l)\n",
			o->nb_cores, nb_avail);
		return FWD_EXIT_USAGE;
	}
	per_port = txonly ? o->nb_txq : o->nb_rxq;
	ctx->nb_streams = ctx->nb_ports * per_port;
	ctx->nb_lcores = RTE_MIN(o->nb_cores != 0 ? o->nb_cores : nb_avail, ctx->nb_streams);
	ctx->streams = rte_zmalloc("vio-fwd streams", sizeof(*ctx->streams) * ctx->nb_streams,
				   RTE_CACHE_LINE_SIZE);
	owner = calloc((size_t)RTE_MAX_ETHPORTS * o->nb_txq, sizeof(*owner));
	if (ctx->streams == NULL || owner == NULL) {
		free(owner);
		fprintf(stderr, PROG ": out of memory for %u streams\n", ctx->nb_streams);
		return FWD_EXIT_FAIL;
	}
	for (i = 0; i < RTE_MAX_ETHPORTS * (unsigned int)o->nb_txq; i++)
		owner[i] = NO_LCORE;

	for (lc = 0; lc < ctx->nb_lcores; lc++) {
		struct fwd_lcore *l = &ctx->lcores[lc];

		l->lcore_id = avail[lc];
		l->mode = o->mode;
		l->streams = calloc(ctx->nb_streams, sizeof(*l->streams));
		if (l->streams == NULL) {
			free(owner);
			fprintf(stderr, PROG ": out of memory for %u streams\n", ctx->nb_streams);
			return FWD_EXIT_FAIL;
		}
	}
	for (i = 0; i < ctx->nb_streams; i++) {
		struct fwd_stream *fs = &ctx->streams[i];
		const struct fwd_port *p = &ctx->ports[ctx->port_ids[i / per_port]];
		struct fwd_lcore *l = &ctx->lcores[i % ctx->nb_lcores];
		unsigned int *own;

		q = i % per_port;
		fs->rx_port = p->port_id;
		fs->rx_queue = (uint16_t)q;
		fs->tx_port = o->mode == FWD_MODE_ICMPECHO ? p->port_id : p->peer;
		fs->tx_queue = (uint16_t)(q % o->nb_txq);
		if (txonly) {
			/* A txonly stream is a transmit queue of its own port. */
			fs->tx_port = p->port_id;
			fs->tx_queue = (uint16_t)q;
		}
		fs->lcore = l->lcore_id;
		fs->burst = o->burst;
		l->streams[l->nb_streams++] = fs;

		if (o->mode == FWD_MODE_RXONLY)
			continue;
		own = &owner[fs->tx_port * o->nb_txq + fs->tx_queue];
		if (*own != NO_LCORE && *own != fs->lcore) {
			fprintf(stderr,
				PROG
				": --rxq %u --txq %u: transmit queue %u of port %u would be "
				"shared by lcores %u and %u; give at least as many transmit as "
				"receive queues\n",
				o->nb_rxq, o->nb_txq, fs->tx_queue, fs->tx_port, *own, fs->lcore);
			free(owner);
			return FWD_EXIT_USAGE;
		}
		*own = fs->lcore;
	}
	free(owner);
	return 0;
}

/* One mempool per NUMA socket of a forwarding lcore. */
static struct rte_mempool *
pool_for(struct fwd_ctx *ctx, unsigned int lcore)
{
	unsigned int socket = rte_lcore_to_socket_id(lcore);
	unsigned int slot = socket < RTE_MAX_NUMA_NODES ? socket : RTE_MAX_NUMA_NODES;
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;
	unsigned int cache;

	if (ctx->pools[slot] != NULL)
		return ctx->pools[slot];
	snprintf(name, sizeof(name), "vio-fwd-%u", slot);
	cache = RTE_MIN((unsigned int)POOL_CACHE, ctx->nb_mbufs * 2 / 3);
	mp = rte_pktmbuf_pool_create(name, ctx->nb_mbufs, cache, 0, ctx->opts->mbuf_size,
				     (int)socket);
	/* No memory on that socket (--no-huge has only socket 0's): any socket will do. */
	if (mp == NULL && rte_errno == ENOMEM)
		mp = rte_pktmbuf_pool_create(name, ctx->nb_mbufs, cache, 0, ctx->opts->mbuf_size,
					     SOCKET_ID_ANY);
	if (mp == NULL)
		fprintf(stderr, PROG ": mempool of %u mbufs of %u bytes: %s (try --nb-mbufs)\n",
			ctx->nb_mbufs, ctx->opts->mbuf_size, rte_strerror(rte_errno));
	ctx->pools[slot] = mp;
	return mp;
}

/* The lcore that polls (@p rx) or feeds (!@p rx) queue @p q of port @p pid, or NO_LCORE. */
static unsigned int
queue_lcore(const struct fwd_ctx *ctx, uint16_t pid, uint16_t q, bool rx)
{
	bool txonly = ctx->opts->mode == FWD_MODE_TXONLY;
	unsigned int i;

	for (i = 0; i < ctx->nb_streams; i++) {
		const struct fwd_stream *fs = &ctx->streams[i];

		if (rx && !txonly && fs->rx_port == pid && fs->rx_queue == q)
			return fs->lcore;
		if (!rx && ctx->opts->mode != FWD_MODE_RXONLY && fs->tx_port == pid &&
		    fs->tx_queue == q)
			return fs->lcore;
	}
	return NO_LCORE;
}

/*
 * --offload: an Rx offload is worth enabling only if every port can finish
 * what it leaves unfinished (a packet may leave by any of them): Rx checksums
 * when every port has Tx TCP and UDP checksums, LRO when every port has TSO.
 */
static int
offloads_choose(struct fwd_ctx *ctx)
{
	const uint64_t rx_csum = RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	const uint64_t tx_csum = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	uint64_t tx_all = UINT64_MAX, rx_any = 0;
	unsigned int i;

	for (i = 0; i < ctx->nb_ports; i++) {
		struct rte_eth_dev_info info;
		int ret = rte_eth_dev_info_get(ctx->port_ids[i], &info);

		if (ret != 0) {
			fprintf(stderr, PROG ": port %u: device info: %s\n", ctx->port_ids[i],
				strerror(-ret));
			return -1;
		}
		tx_all &= info.tx_offload_capa;
		rx_any |= info.rx_offload_capa;
	}
	if ((tx_all & tx_csum) == tx_csum) {
		ctx->rx_offloads |= rx_any & rx_csum;
		ctx->tx_offloads |= tx_csum;
		if (tx_all & RTE_ETH_TX_OFFLOAD_TCP_TSO) {
			ctx->rx_offloads |= rx_any & RTE_ETH_RX_OFFLOAD_TCP_LRO;
			ctx->tx_offloads |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
		}
	}
	/* LRO packets are chained: every port must send chains. */
	if ((ctx->rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO) &&
	    !(tx_all & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)) {
		ctx->rx_offloads &= ~RTE_ETH_RX_OFFLOAD_TCP_LRO;
		ctx->tx_offloads &= ~RTE_ETH_TX_OFFLOAD_TCP_TSO;
	}
	if (tx_all & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		ctx->tx_offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	for (i = 0; i < ctx->nb_streams; i++)
		ctx->streams[i].offload = ctx->rx_offloads != 0;
	if (!ctx->opts->quiet)
		printf(PROG ": --offload: Rx%s%s%s, Tx%s%s\n",
		       ctx->rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM ? " tcp_cksum" : "",
		       ctx->rx_offloads & RTE_ETH_RX_OFFLOAD_UDP_CKSUM ? " udp_cksum" : "",
		       ctx->rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO ? " tcp_lro" : "",
		       ctx->tx_offloads & tx_csum ? " tcp_cksum udp_cksum" : " none",
		       ctx->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO ? " tcp_tso" : "");
	return 0;
}

static int
port_start(struct fwd_ctx *ctx, struct fwd_port *p)
{
	const struct fwd_opts *o = ctx->opts;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t q;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret != 0)
		goto err;
	/* Spread flows over several receive queues where the PMD hashes. */
	if (o->nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
						   (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP |
						    RTE_ETH_RSS_TCP);
	}
	conf.rxmode.offloads = ctx->rx_offloads & info.rx_offload_capa;
	conf.txmode.offloads = ctx->tx_offloads & info.tx_offload_capa;
	ret = rte_eth_dev_configure(p->port_id, o->nb_rxq, o->nb_txq, &conf);
	if (ret != 0)
		goto err;
	p->configured = true;
	for (q = 0; q < o->nb_rxq; q++) {
		unsigned int lc = queue_lcore(ctx, p->port_id, q, true);
		struct rte_mempool *mp;

		if (lc == NO_LCORE)
			lc = ctx->lcores[0].lcore_id;
		mp = pool_for(ctx, lc);
		if (mp == NULL)
			return FWD_EXIT_FAIL;
		ret = rte_eth_rx_queue_setup(p->port_id, q, p->nb_rxd, rte_lcore_to_socket_id(lc),
					     NULL, mp);
		if (ret != 0)
			goto err;
	}
	for (q = 0; q < o->nb_txq; q++) {
		unsigned int lc = queue_lcore(ctx, p->port_id, q, false);

		if (lc == NO_LCORE)
			lc = ctx->lcores[0].lcore_id;
		ret = rte_eth_tx_queue_setup(p->port_id, q, p->nb_txd, rte_lcore_to_socket_id(lc),
					     NULL);
		if (ret != 0)
			goto err;
	}
	ret = rte_eth_dev_start(p->port_id);
	if (ret != 0)
		goto err;
	p->started = true;
	if (o->promisc) {
		ret = rte_eth_promiscuous_enable(p->port_id);
		if (ret != 0 && ret != -ENOTSUP && !o->quiet)
			printf(PROG ": port %u (%s): promiscuous mode: %s\n", p->port_id, p->name,
			       strerror(-ret));
	}
	return 0;
err:
	fprintf(stderr, PROG ": port %u (%s): set-up failed: %s\n", p->port_id, p->name,
		strerror(-ret));
	return FWD_EXIT_FAIL;
}

static uint32_t
default_nb_mbufs(const struct fwd_ctx *ctx)
{
	const struct fwd_opts *o = ctx->opts;
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < ctx->nb_ports; i++) {
		const struct fwd_port *p = &ctx->ports[ctx->port_ids[i]];

		n += (uint64_t)o->nb_rxq * p->nb_rxd + (uint64_t)o->nb_txq * p->nb_txd;
	}
	n += (uint64_t)ctx->nb_lcores * (POOL_CACHE + 2u * o->burst);
	n = RTE_MAX(n, (uint64_t)POOL_MIN);
	return (uint32_t)RTE_MIN(n, (uint64_t)1 << 24);
}

int
fwd_setup(struct fwd_ctx *ctx)
{
	const struct fwd_opts *o = ctx->opts;
	unsigned int i;
	int ret;

	ctx->tsc_hz = rte_get_tsc_hz();
	ret = ports_probe(ctx);
	if (ret == 0)
		ret = streams_map(ctx);
	if (ret != 0)
		return ret;
	ctx->nb_mbufs = o->nb_mbufs != 0 ? o->nb_mbufs : default_nb_mbufs(ctx);
	for (i = 0; i < ctx->nb_streams; i++) {
		struct fwd_stream *fs = &ctx->streams[i];
		const struct fwd_port *rx = &ctx->ports[fs->rx_port];
		const struct fwd_port *tx = &ctx->ports[fs->tx_port];

		fs->tx_src = tx->mac;
		fs->tx_dst = tx->eth_peer;
		fs->rx_mac = rx->mac;
		fs->ip_be = rte_cpu_to_be_32(o->ip);
		fs->pool = pool_for(ctx, fs->lcore);
		if (fs->pool == NULL)
			return FWD_EXIT_FAIL;
		if (o->mode == FWD_MODE_TXONLY && fwd_txonly_frame(ctx, fs) < 0) {
			fprintf(stderr, PROG ": out of memory for the txonly frames\n");
			return FWD_EXIT_FAIL;
		}
	}
	if (o->offload && offloads_choose(ctx) != 0)
		return FWD_EXIT_FAIL;
	for (i = 0; i < ctx->nb_ports; i++) {
		ret = port_start(ctx, &ctx->ports[ctx->port_ids[i]]);
		if (ret != 0)
			return ret;
	}
	return 0;
}

void
fwd_teardown(struct fwd_ctx *ctx)
{
	unsigned int i;

	/* Every probed port is closed, configured or not: a vhost-user port removes its socket. */
	for (i = 0; i < ctx->nb_ports; i++) {
		struct fwd_port *p = &ctx->ports[ctx->port_ids[i]];
		int ret;

		if (p->started) {
			ret = rte_eth_dev_stop(p->port_id);
			if (ret != 0)
				fprintf(stderr, PROG ": port %u (%s): stop: %s\n", p->port_id,
					p->name, strerror(-ret));
			p->started = false;
		}
		ret = rte_eth_dev_close(p->port_id);
		if (ret != 0)
			fprintf(stderr, PROG ": port %u (%s): close: %s\n", p->port_id, p->name,
				strerror(-ret));
		p->configured = false;
	}
	ctx->nb_ports = 0;
	for (i = 0; i < ctx->nb_streams; i++)
		rte_free((void *)(uintptr_t)ctx->streams[i].tx_frame);
	rte_free(ctx->streams);
	ctx->streams = NULL;
	ctx->nb_streams = 0;
	for (i = 0; i < RTE_DIM(ctx->lcores); i++) {
		free(ctx->lcores[i].streams);
		ctx->lcores[i].streams = NULL;
	}
	/* After the ports: their queues held mbufs of these pools. */
	for (i = 0; i < RTE_DIM(ctx->pools); i++) {
		rte_mempool_free(ctx->pools[i]);
		ctx->pools[i] = NULL;
	}
}

void
fwd_print_config(const struct fwd_ctx *ctx, FILE *f)
{
	const struct fwd_opts *o = ctx->opts;
	bool show_peer = o->mode == FWD_MODE_MAC || o->mode == FWD_MODE_TXONLY;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], peer[RTE_ETHER_ADDR_FMT_SIZE];
	unsigned int i, s;

	fprintf(f,
		"vio-fwd: mode %s, %u port%s, %u stream%s on %u forwarding lcore%s%s, burst %u, "
		"%u mbufs of %u bytes per pool\n",
		fwd_mode_name(o->mode), ctx->nb_ports, ctx->nb_ports == 1 ? "" : "s",
		ctx->nb_streams, ctx->nb_streams == 1 ? "" : "s", ctx->nb_lcores,
		ctx->nb_lcores == 1 ? "" : "s",
		ctx->main_forwards ? " (the main lcore; statistics from a control thread)" : "",
		o->burst, ctx->nb_mbufs, o->mbuf_size);
	for (i = 0; i < ctx->nb_ports; i++) {
		const struct fwd_port *p = &ctx->ports[ctx->port_ids[i]];

		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		rte_ether_format_addr(peer, sizeof(peer), &p->eth_peer);
		fprintf(f,
			"port %u: %s, MAC %s, socket %d, %u rx queue%s x %u descriptors, %u tx "
			"queue%s x %u descriptors",
			p->port_id, p->name, mac, p->socket, o->nb_rxq, o->nb_rxq == 1 ? "" : "s",
			p->nb_rxd, o->nb_txq, o->nb_txq == 1 ? "" : "s", p->nb_txd);
		if (o->mode <= FWD_MODE_MACSWAP)
			fprintf(f, ", forwards to port %u", p->peer);
		fprintf(f, "%s%s\n", show_peer ? ", eth-peer " : "", show_peer ? peer : "");
	}
	if (o->mode == FWD_MODE_ICMPECHO)
		fprintf(f, "icmpecho: answering ARP and ICMP echo for %u.%u.%u.%u\n", o->ip >> 24,
			(o->ip >> 16) & 0xff, (o->ip >> 8) & 0xff, o->ip & 0xff);
	for (i = 0; i < ctx->nb_lcores; i++) {
		const struct fwd_lcore *l = &ctx->lcores[i];

		fprintf(f, "lcore %u (socket %u):", l->lcore_id,
			rte_lcore_to_socket_id(l->lcore_id));
		for (s = 0; s < l->nb_streams; s++) {
			const struct fwd_stream *fs = l->streams[s];

			if (o->mode == FWD_MODE_TXONLY)
				fprintf(f, " -> P%u/Q%u", fs->tx_port, fs->tx_queue);
			else if (o->mode == FWD_MODE_RXONLY)
				fprintf(f, " P%u/Q%u ->", fs->rx_port, fs->rx_queue);
			else
				fprintf(f, " P%u/Q%u -> P%u/Q%u", fs->rx_port, fs->rx_queue,
					fs->tx_port, fs->tx_queue);
			fprintf(f, "%s", s + 1 < l->nb_streams ? "," : "\n");
		}
	}
}
