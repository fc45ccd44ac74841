/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio-fwd, the operator's forwarding app (doc/app.md): options, ports,
 * streams and the counters the forwarding lcores share with the main lcore.
 *
 * Threads: the main lcore parses, sets up ports and streams, launches the
 * forwarding lcores and then only reads. Each stream belongs to one lcore,
 * which alone writes its counters (relaxed atomic stores of 64-bit values,
 * on cache lines no other lcore writes); the main lcore reads them with
 * relaxed atomic loads for the live statistics and the summary. The only
 * word everyone shares is the stop flag (fwd_stop_requested()).
 */

#ifndef VIO_FWD_H
#define VIO_FWD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mempool.h>

/* Exit status: 0 success, 1 a failure at run time, 2 bad arguments (as getopt tools do). */
#define FWD_EXIT_FAIL  1
#define FWD_EXIT_USAGE 2

/* Largest --burst: testpmd's MAX_PKT_BURST; the burst arrays live on the lcore's stack. */
#define FWD_MAX_BURST 512
/* Queues per port: ethdev's own limit (RTE_MAX_QUEUES_PER_PORT in DPDK 22.11). */
#define FWD_MAX_QUEUES 1024
/* Smallest --txpkts: Ethernet, IPv4 and UDP headers, no payload. */
#define FWD_TXPKTS_MIN (RTE_ETHER_HDR_LEN + 20 + 8)

enum fwd_mode {
	FWD_MODE_IO,
	FWD_MODE_MAC,
	FWD_MODE_MACSWAP,
	FWD_MODE_RXONLY,
	FWD_MODE_TXONLY,
	FWD_MODE_ICMPECHO,
	FWD_MODE_COUNT,
};

enum fwd_topology {
	FWD_TOPOLOGY_PAIRED,
	FWD_TOPOLOGY_CHAINED,
	FWD_TOPOLOGY_LOOP,
	FWD_TOPOLOGY_COUNT,
};

struct fwd_opts {
	enum fwd_mode mode;
	enum fwd_topology topology;
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint16_t nb_rxd; /* 0: the PMD's default */
	uint16_t nb_txd;
	uint16_t burst;
	unsigned int nb_cores; /* 0: every lcore the EAL gives but the main one */
	uint32_t nb_mbufs;     /* 0: computed from ports, queues and lcores */
	uint16_t mbuf_size;    /* data room of an mbuf, headroom included */
	uint16_t txpkts;       /* txonly frame length, without the FCS */
	uint32_t tx_ip_src;    /* txonly addresses and ports, host order */
	uint32_t tx_ip_dst;
	uint16_t tx_udp_src;
	uint16_t tx_udp_dst;
	uint32_t ip; /* icmpecho: the address answered, host order */
	bool eth_peer_set[RTE_MAX_ETHPORTS];
	struct rte_ether_addr eth_peer[RTE_MAX_ETHPORTS];
	double stats_period; /* seconds, 0: no live statistics */
	double duration;     /* seconds, 0: until SIGINT or SIGTERM */
	bool quiet;
	bool promisc;
	bool offload; /* --offload: carry partial checksums and GSO across */
	bool help;
};

/*
 * Counters of one stream. Written by the stream's lcore only (FWD_STAT_ADD),
 * read by the main lcore (fwd_stat_read); cache-line aligned so that no two
 * lcores write the same line.
 */
struct fwd_stream_stats {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts; /* accepted by the tx queue */
	uint64_t tx_bytes;
	uint64_t tx_dropped; /* not accepted by the tx queue, freed */
	uint64_t tx_nombuf;  /* txonly: bursts the mempool could not fill */
	/* Cycles of the iterations that moved packets, and the packets they moved. */
	uint64_t busy_cycles;
	uint64_t busy_pkts;
	/* icmpecho */
	uint64_t arp_replies;
	uint64_t icmp_replies;
	uint64_t other;
	uint64_t bad;
} __rte_cache_aligned;

/* Single writer: a plain read of its own counter, an atomic store the reader cannot tear. */
#define FWD_STAT_ADD(st, field, n) \
	__atomic_store_n(&(st)->field, (st)->field + (uint64_t)(n), __ATOMIC_RELAXED)

static inline uint64_t
fwd_stat_read(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* A queue to poll and where its packets go. */
struct fwd_stream {
	/* Set by the main lcore before the launch; read-only afterwards. */
	uint16_t rx_port;
	uint16_t rx_queue;
	uint16_t tx_port;
	uint16_t tx_queue;
	uint16_t burst;
	uint16_t tx_len; /* txonly: bytes of tx_frame */
	unsigned int lcore;
	struct rte_ether_addr tx_src; /* mac: source written, the tx port's MAC */
	struct rte_ether_addr tx_dst; /* mac: destination written, the tx port's --eth-peer */
	struct rte_ether_addr rx_mac; /* icmpecho: the rx port's MAC */
	uint32_t ip_be;               /* icmpecho: the address answered, network order */
	struct rte_mempool *pool;     /* txonly: where frames come from */
	const uint8_t *tx_frame;      /* txonly: the frame copied into every mbuf */
	bool offload;                 /* --offload: turn Rx offload flags into Tx requests */

	/* Written by the stream's lcore. */
	struct fwd_stream_stats stats;
} __rte_cache_aligned;

/* A forwarding lcore and its streams. */
struct fwd_lcore {
	unsigned int lcore_id;
	unsigned int nb_streams;
	struct fwd_stream **streams;
	enum fwd_mode mode;
};

struct fwd_port {
	uint16_t port_id;
	uint16_t peer; /* tx port of the streams that receive here (topology) */
	int socket;
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_ether_addr mac;
	struct rte_ether_addr eth_peer; /* destination of mac and txonly frames sent here */
	uint16_t nb_rxd;
	uint16_t nb_txd;
	bool configured;
	bool started;
};

/* Everything the set-up builds, for the run and the tear-down. */
struct fwd_ctx {
	const struct fwd_opts *opts;
	unsigned int nb_ports;
	uint16_t port_ids[RTE_MAX_ETHPORTS];     /* in probe order */
	struct fwd_port ports[RTE_MAX_ETHPORTS]; /* indexed by port id */
	unsigned int nb_streams;
	struct fwd_stream *streams;
	unsigned int nb_lcores;
	struct fwd_lcore lcores[RTE_MAX_LCORE];
	bool main_forwards; /* no worker lcore: the main lcore forwards */
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES + 1];
	uint32_t nb_mbufs;
	uint64_t rx_offloads; /* --offload: enabled on every port that has them */
	uint64_t tx_offloads;
	uint64_t tsc_hz;
	uint64_t start_tsc; /* forwarding launched */
	uint64_t stop_tsc;  /* forwarding stopped */
};

/* args.c */
void fwd_opts_default(struct fwd_opts *o);
int fwd_opts_parse(struct fwd_opts *o, int argc, char **argv);
void fwd_usage(FILE *f);
const char *fwd_mode_name(enum fwd_mode m);

/* ports.c: returns 0, or FWD_EXIT_USAGE / FWD_EXIT_FAIL after printing why. */
int fwd_setup(struct fwd_ctx *ctx);
void fwd_teardown(struct fwd_ctx *ctx);
void fwd_print_config(const struct fwd_ctx *ctx, FILE *f);

/* txonly.c */
int fwd_txonly_frame(struct fwd_ctx *ctx, struct fwd_stream *fs);

/* icmpecho.c: true when @p m became a reply to send back. */
bool fwd_icmpecho_packet(struct fwd_stream *fs, struct rte_mbuf *m);

/* loop.c */
bool fwd_stop_requested(void);
void fwd_request_stop(void);
int fwd_lcore_main(void *arg);

/* stats.c */
struct fwd_stats;
struct fwd_stats *fwd_stats_create(const struct fwd_ctx *ctx);
void fwd_stats_free(struct fwd_stats *st);
void fwd_stats_period(struct fwd_stats *st, FILE *f);
void fwd_stats_summary(struct fwd_stats *st, FILE *f);

#endif /* VIO_FWD_H */
