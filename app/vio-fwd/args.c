/* SPDX-License-Identifier: BSD-3-Clause */

/* vio-fwd's options (those after "--") and its manual page. */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fwd.h"

#define PROG "vio-fwd"

/* Defaults, named here and in the manual page. */
#define DEFAULT_BURST        32
#define DEFAULT_TXPKTS       64
#define DEFAULT_IP           "192.0.2.1"  /* RFC 5737 TEST-NET-1 */
#define DEFAULT_TX_IP_SRC    "198.18.0.1" /* RFC 2544 benchmarking range, as testpmd */
#define DEFAULT_TX_IP_DST    "198.18.0.2"
#define DEFAULT_TX_UDP       9 /* discard, as testpmd */
#define DEFAULT_STATS_PERIOD 1.0
/* Longest --duration and --stats-period: a year, so that TSC arithmetic cannot overflow. */
#define MAX_SECONDS (365.0 * 24 * 3600)

static const char *const mode_names[FWD_MODE_COUNT] = {
	[FWD_MODE_IO] = "io",           [FWD_MODE_MAC] = "mac",
	[FWD_MODE_MACSWAP] = "macswap", [FWD_MODE_RXONLY] = "rxonly",
	[FWD_MODE_TXONLY] = "txonly",   [FWD_MODE_ICMPECHO] = "icmpecho",
};

static const char *const topology_names[FWD_TOPOLOGY_COUNT] = {
	[FWD_TOPOLOGY_PAIRED] = "paired",
	[FWD_TOPOLOGY_CHAINED] = "chained",
	[FWD_TOPOLOGY_LOOP] = "loop",
};

const char *
fwd_mode_name(enum fwd_mode m)
{
	return m < FWD_MODE_COUNT ? mode_names[m] : "?";
}

static uint32_t
ipv4_host(const char *dotted)
{
	struct in_addr a;

	inet_pton(AF_INET, dotted, &a);
	return ntohl(a.s_addr);
}

void
fwd_opts_default(struct fwd_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = FWD_MODE_IO;
	o->topology = FWD_TOPOLOGY_PAIRED;
	o->nb_rxq = 1;
	o->nb_txq = 1;
	o->burst = DEFAULT_BURST;
	o->mbuf_size = RTE_MBUF_DEFAULT_BUF_SIZE;
	o->txpkts = DEFAULT_TXPKTS;
	o->tx_ip_src = ipv4_host(DEFAULT_TX_IP_SRC);
	o->tx_ip_dst = ipv4_host(DEFAULT_TX_IP_DST);
	o->tx_udp_src = DEFAULT_TX_UDP;
	o->tx_udp_dst = DEFAULT_TX_UDP;
	o->ip = ipv4_host(DEFAULT_IP);
	o->stats_period = DEFAULT_STATS_PERIOD;
	o->promisc = true;
}

void
fwd_usage(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"       vio-fwd - forward packets between DPDK ports, testpmd style, with live\n"
		"       statistics\n"
		"\n"
		"SYNOPSIS\n"
		"       vio-fwd EAL-OPTION... -- [OPTION]...\n"
		"       vio-fwd --help\n"
		"\n"
		"DESCRIPTION\n"
		"       vio-fwd polls the receive queues of every ethdev port the EAL probed\n"
		"       (usually created with --vdev: net_vio, net_vhost, net_virtio_user,\n"
		"       net_ring, net_null, net_tap, or a PCI NIC) on lcore-pinned forwarding\n"
		"       workers, and sends what it receives according to the forwarding mode.\n"
		"\n"
		"       Arguments before \"--\" go to the DPDK EAL unchanged (-l, --main-lcore,\n"
		"       --vdev, -d, --no-huge, -m, --in-memory, --file-prefix, --log-level, ...;\n"
		"       \"vio-fwd --help --\" prints the EAL's own list). Ports are numbered in\n"
		"       the order the EAL probed them. A PMD that is not in DPDK's driver\n"
		"       directory is loaded with -d, e.g. -d build/drivers/librte_net_vio.so.\n"
		"\n"
		"       Streams. Every receive queue of every port is a stream, polled by\n"
		"       exactly one forwarding lcore. Its packets leave by the same-numbered\n"
		"       transmit queue (modulo --txq) of the port the topology gives the\n"
		"       receiving port; icmpecho answers on the port and queue the request\n"
		"       came from. In txonly mode every transmit queue is a stream that sends\n"
		"       on its own port. Streams, listed port by port and queue by queue\n"
		"       (P0/Q0, P0/Q1, ..., P1/Q0, ...), are dealt to the forwarding lcores in\n"
		"       turn. The forwarding lcores are the EAL's lcores but the main one,\n"
		"       which prints the statistics; given a single lcore, it forwards and a\n"
		"       control thread prints. A transmit queue is never shared by two lcores:\n"
		"       a mapping that would share one is refused.\n"
		"\n"
		"       The data path allocates nothing but mbufs, takes no lock, makes no\n"
		"       system call and does not log. Each stream's counters are written by\n"
		"       its lcore alone, on their own cache lines.\n"
		"\n"
		"FORWARDING MODES\n"
		"       io        send every packet unchanged\n"
		"       mac       write the transmitting port's MAC as source and its peer\n"
		"                 address (--eth-peer) as destination, then send\n"
		"       macswap   swap source and destination MAC, then send\n"
		"       rxonly    receive and free\n"
		"       txonly    send UDP/IPv4 frames of --txpkts bytes, --burst at a time,\n"
		"                 from the port's MAC to its --eth-peer, from --tx-ip's source\n"
		"                 to its destination, between --tx-udp's ports; IPv4 and UDP\n"
		"                 checksums are correct, the payload counts bytes up from 0\n"
		"       icmpecho  play a host at --ip: answer ARP requests for it with the\n"
		"                 receiving port's MAC and ICMP echo requests to it, checksums\n"
		"                 recomputed, on the port and queue they came from; drop the\n"
		"                 rest. A request whose IPv4 header or ICMP checksum is wrong is\n"
		"                 dropped and counted as bad. Lets a guest ping the app.\n"
		"       Frames shorter than an Ethernet header are dropped by mac and macswap\n"
		"       (counted as runts).\n"
		"\n"
		"OPTIONS\n"
		"       --fwd MODE, --forward-mode MODE\n"
		"              forwarding mode, one of io, mac, macswap, rxonly, txonly,\n"
		"              icmpecho; default io\n"
		"       --port-topology paired|chained|loop\n"
		"              where a port's packets go: paired 0<->1, 2<->3, ... (an odd last\n"
		"              port sends to itself, so a single port loops); chained 0->1->\n"
		"              ...->N-1->0; loop every port to itself; default paired\n"
		"       --rxq N, --txq N\n"
		"              receive and transmit queues per port, 1 to %u; default 1\n"
		"       --queues N\n"
		"              sets both --rxq and --txq\n"
		"       --nb-cores N\n"
		"              forwarding lcores, 1 to the number of EAL lcores but the main\n"
		"              one; default all of them (at most one per stream)\n"
		"       --rxd N, --txd N\n"
		"              descriptors per receive and transmit queue, 0 for the PMD's\n"
		"              default, else 1 to 65535 (rounded to the PMD's limits);\n"
		"              default 0. net_vhost ignores them: the guest sizes its rings\n"
		"       --burst N\n"
		"              packets per receive (txonly: transmit) burst, 1 to %u;\n"
		"              default %u\n"
		"       --nb-mbufs N\n"
		"              mbufs per mempool (one per NUMA socket of a forwarding lcore),\n"
		"              1024 to 16777216; default: the descriptors of every queue plus\n"
		"              a cache and two bursts per lcore, at least 16384\n"
		"       --mbuf-size N\n"
		"              data room of an mbuf, headroom (%u) included, %u to 65535;\n"
		"              default %u\n"
		"       --eth-peer PORT,MAC\n"
		"              destination MAC of mac and txonly frames sent on PORT\n"
		"              (repeatable); default 02:00:00:00:00:PP, PP the port number, as\n"
		"              testpmd\n"
		"       --txpkts N\n"
		"              txonly frame length without the FCS, %u to the mbuf data room\n"
		"              less its headroom; default %u\n"
		"       --tx-ip SRC,DST\n"
		"              txonly IPv4 addresses; default " DEFAULT_TX_IP_SRC
		"," DEFAULT_TX_IP_DST "\n"
		"       --tx-udp SRC[,DST]\n"
		"              txonly UDP ports, 0 to 65535 (DST defaults to SRC); default %u,%u\n"
		"       --ip ADDR\n"
		"              icmpecho: the IPv4 address answered; default " DEFAULT_IP "\n"
		"       --offload\n"
		"              io, mac, macswap: leave checksums and TCP segmentation to the\n"
		"              ports. Every port that can gets Rx TCP/UDP checksum offload\n"
		"              (and TCP LRO) enabled when every port can do the matching Tx\n"
		"              offload; a packet received with its checksum unfinished\n"
		"              (RTE_MBUF_F_RX_L4_CKSUM_NONE) or whole as GSO (RX_LRO) is sent\n"
		"              with the Tx checksum (and TSO) request. Between two vio ports\n"
		"              a guest's partial checksum and GSO reach the other guest as\n"
		"              they left, computed by nobody. Default: no offload is enabled,\n"
		"              and the ports hand over finished packets\n"
		"       --no-promisc\n"
		"              leave promiscuous mode off (by default it is turned on where\n"
		"              the PMD supports it)\n"
		"       --stats-period SECS\n"
		"              seconds between two lines of live statistics per port, 0.1 to\n"
		"              %.0f, or 0 for none; default 1\n"
		"       --duration SECS\n"
		"              stop after SECS seconds of forwarding (decimals allowed), 0 to\n"
		"              run until SIGINT or SIGTERM; default 0\n"
		"       -q, --quiet\n"
		"              no configuration and no live statistics, only the summary\n"
		"       -h, --help\n"
		"              print this text and exit\n"
		"\n"
		"STATISTICS\n"
		"       Every --stats-period seconds, one line per port (and an \"all\" line\n"
		"       with more than one port), rates over the period:\n"
		"       rx-pps, tx-pps\n"
		"              packets received on the port, packets the port's transmit queues\n"
		"              accepted, per second\n"
		"       rx-Mbps, tx-Mbps\n"
		"              megabits per second on the wire: the frame bytes as the port\n"
		"              counts them (no FCS) plus 20 bytes per frame for the preamble,\n"
		"              start delimiter and inter-frame gap\n"
		"       drops/s\n"
		"              packets a transmit queue of the port did not accept (freed) plus\n"
		"              packets the port missed on receive (ethdev imissed), per second\n"
		"       cyc/pkt\n"
		"              TSC cycles per packet of the forwarding loop: the cycles of the\n"
		"              polls that moved packets, from the receive burst to the end of\n"
		"              the transmit burst, over the packets they received (txonly:\n"
		"              that the transmit queue accepted), for the streams that receive\n"
		"              on the port (txonly: transmit on it); empty polls are left out\n"
		"       link   the port's link state\n"
		"       At exit a summary: per port and in total the packets and bytes, the\n"
		"       drops, the port's own counters, the average rates and cycles per\n"
		"       packet over the forwarding time, in icmpecho mode the replies built;\n"
		"       per lcore its streams and how busy its polls were (doc/app.md).\n"
		"\n"
		"SIGNALS\n"
		"       SIGINT and SIGTERM stop the forwarding lcores; vio-fwd then prints the\n"
		"       summary, stops and closes every port (a vhost-user port removes its\n"
		"       socket file), frees its memory, cleans up the EAL (with --in-memory or\n"
		"       --no-huge no hugepage file is left) and exits with status 0.\n"
		"\n"
		"EXIT STATUS\n"
		"       0   stopped by SIGINT, SIGTERM or --duration, everything released\n"
		"       1   a failure at run time: EAL initialisation, port or mempool set-up\n"
		"       2   bad arguments: vio-fwd's (the message names the argument and what\n"
		"           it accepts, also for those checked against the probed ports and\n"
		"           lcores), or the EAL's when rte_eal_init() fails with EINVAL\n"
		"\n"
		"EXAMPLES\n"
		"       A vhost-user port for a VM, looped back with MACs rewritten, forwarding\n"
		"       on lcore 2, statistics on lcore 1:\n"
		"           vio-fwd -l 1,2 --in-memory --vdev net_vhost0,iface=/tmp/vm0.sock \\\n"
		"               -- --fwd mac --eth-peer 0,52:54:00:00:00:02\n"
		"\n"
		"       Two VMs connected through the app, two queue pairs each, on two lcores:\n"
		"           vio-fwd -l 0-2 --in-memory \\\n"
		"               --vdev net_vhost0,iface=/tmp/vm0.sock,queues=2 \\\n"
		"               --vdev net_vhost1,iface=/tmp/vm1.sock,queues=2 -- --queues 2\n"
		"\n"
		"       vio's own port, its PMD loaded from the build tree:\n"
		"           vio-fwd -l 0,1 --in-memory -d build/drivers/librte_net_vio.so \\\n"
		"               --vdev net_vio0,iface=/tmp/vm0.sock -- --fwd io\n"
		"\n"
		"       A ping target for a guest (guest: ip addr add 192.0.2.2/24 dev eth0;\n"
		"       ping 192.0.2.1):\n"
		"           vio-fwd -l 0,1 --no-huge -m 512 --vdev net_vhost0,iface=/tmp/vm0.sock "
		"\\\n"
		"               -- --fwd icmpecho --ip 192.0.2.1\n"
		"\n"
		"       Load generator: 1518-byte frames for 10 seconds, then the summary:\n"
		"           vio-fwd -l 0,1 --in-memory --vdev net_vhost0,iface=/tmp/vm0.sock \\\n"
		"               -- --fwd txonly --txpkts 1514 --duration 10\n"
		"\n"
		"SEE ALSO\n"
		"       dpdk-testpmd(1), doc/app.md\n",
		FWD_MAX_QUEUES, FWD_MAX_BURST, DEFAULT_BURST, RTE_PKTMBUF_HEADROOM,
		RTE_PKTMBUF_HEADROOM + FWD_TXPKTS_MIN, RTE_MBUF_DEFAULT_BUF_SIZE, FWD_TXPKTS_MIN,
		DEFAULT_TXPKTS, DEFAULT_TX_UDP, DEFAULT_TX_UDP, MAX_SECONDS);
}

/* A decimal integer of [@p min, @p max]; otherwise say which option and what it takes. */
static int
parse_uint(const char *name, const char *val, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 10);
	if (errno != 0 || end == val || *end != '\0' || val[0] == '-' || val[0] == '+' || v < min ||
	    v > max) {
		fprintf(stderr,
			PROG ": %s '%s': expected an integer from %" PRIu64 " to %" PRIu64 "\n",
			name, val, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_u16(const char *name, const char *val, uint16_t min, uint16_t max, uint16_t *out)
{
	uint64_t v;

	if (parse_uint(name, val, min, max, &v) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* Seconds: 0, or from @p min to MAX_SECONDS, decimals allowed. */
static int
parse_seconds(const char *name, const char *val, double min, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(val, &end);
	if (errno != 0 || end == val || *end != '\0' || !isfinite(v) ||
	    (v != 0 && (v < min || v > MAX_SECONDS))) {
		fprintf(stderr,
			PROG ": %s '%s': expected 0 or a number of seconds from %g to %.0f\n", name,
			val, min, MAX_SECONDS);
		return -1;
	}
	*out = v;
	return 0;
}

/* A dotted-quad IPv4 address, in host order. */
static bool
str_to_ipv4(const char *val, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, val, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

static int
parse_ip(const char *name, const char *val, uint32_t *out)
{
	if (!str_to_ipv4(val, out)) {
		fprintf(stderr, PROG ": %s '%s': expected an IPv4 address such as " DEFAULT_IP "\n",
			name, val);
		return -1;
	}
	return 0;
}

/* Split "A,B" into @p a and @p b (NULL when there is no comma); false when too long. */
static bool
split_pair(const char *val, char *buf, size_t size, char **a, char **b)
{
	char *comma;

	if (strlen(val) >= size)
		return false;
	snprintf(buf, size, "%s", val);
	*a = buf;
	comma = strchr(buf, ',');
	*b = NULL;
	if (comma != NULL) {
		*comma = '\0';
		*b = comma + 1;
	}
	return true;
}

static int
parse_eth_peer(struct fwd_opts *o, const char *name, const char *val)
{
	char buf[64], *port, *mac;
	struct rte_ether_addr addr;
	uint64_t p;
	char *end;

	if (!split_pair(val, buf, sizeof(buf), &port, &mac) || mac == NULL || port[0] == '\0' ||
	    rte_ether_unformat_addr(mac, &addr) != 0)
		goto err;
	errno = 0;
	p = strtoull(port, &end, 10);
	if (errno != 0 || *end != '\0' || port[0] == '-' || p >= RTE_MAX_ETHPORTS)
		goto err;
	o->eth_peer[p] = addr;
	o->eth_peer_set[p] = true;
	return 0;
err:
	fprintf(stderr,
		PROG ": %s '%s': expected PORT,MAC with PORT from 0 to %u and MAC such as "
		     "02:00:00:00:00:01\n",
		name, val, RTE_MAX_ETHPORTS - 1);
	return -1;
}

static int
parse_tx_ip(struct fwd_opts *o, const char *name, const char *val)
{
	char buf[64], *src, *dst;

	if (!split_pair(val, buf, sizeof(buf), &src, &dst) || dst == NULL ||
	    !str_to_ipv4(src, &o->tx_ip_src) || !str_to_ipv4(dst, &o->tx_ip_dst)) {
		fprintf(stderr,
			PROG ": %s '%s': expected SRC,DST IPv4 addresses such as " DEFAULT_TX_IP_SRC
			     "," DEFAULT_TX_IP_DST "\n",
			name, val);
		return -1;
	}
	return 0;
}

static int
parse_tx_udp(struct fwd_opts *o, const char *name, const char *val)
{
	char buf[32], *src, *dst;

	if (!split_pair(val, buf, sizeof(buf), &src, &dst)) {
		fprintf(stderr, PROG ": %s '%s': expected SRC[,DST], UDP ports from 0 to 65535\n",
			name, val);
		return -1;
	}
	if (parse_u16(name, src, 0, UINT16_MAX, &o->tx_udp_src) < 0)
		return -1;
	o->tx_udp_dst = o->tx_udp_src;
	if (dst != NULL && parse_u16(name, dst, 0, UINT16_MAX, &o->tx_udp_dst) < 0)
		return -1;
	return 0;
}

/* One of @p names (@p n of them); the message lists them all. */
static int
parse_name(const char *name, const char *val, const char *const *names, unsigned int n,
	   unsigned int *out)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (strcmp(val, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	fprintf(stderr, PROG ": %s '%s': expected one of", name, val);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s %s", i == 0 ? "" : ",", names[i]);
	fprintf(stderr, "\n");
	return -1;
}

enum opt_id {
	OPT_FWD = 256,
	OPT_TOPOLOGY,
	OPT_RXQ,
	OPT_TXQ,
	OPT_QUEUES,
	OPT_NB_CORES,
	OPT_RXD,
	OPT_TXD,
	OPT_BURST,
	OPT_NB_MBUFS,
	OPT_MBUF_SIZE,
	OPT_ETH_PEER,
	OPT_TXPKTS,
	OPT_TX_IP,
	OPT_TX_UDP,
	OPT_IP,
	OPT_NO_PROMISC,
	OPT_OFFLOAD,
	OPT_STATS_PERIOD,
	OPT_DURATION,
};

static const struct option long_opts[] = {
	{ "fwd", required_argument, NULL, OPT_FWD },
	{ "forward-mode", required_argument, NULL, OPT_FWD },
	{ "port-topology", required_argument, NULL, OPT_TOPOLOGY },
	{ "rxq", required_argument, NULL, OPT_RXQ },
	{ "txq", required_argument, NULL, OPT_TXQ },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "nb-cores", required_argument, NULL, OPT_NB_CORES },
	{ "rxd", required_argument, NULL, OPT_RXD },
	{ "txd", required_argument, NULL, OPT_TXD },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "nb-mbufs", required_argument, NULL, OPT_NB_MBUFS },
	{ "mbuf-size", required_argument, NULL, OPT_MBUF_SIZE },
	{ "eth-peer", required_argument, NULL, OPT_ETH_PEER },
	{ "txpkts", required_argument, NULL, OPT_TXPKTS },
	{ "tx-ip", required_argument, NULL, OPT_TX_IP },
	{ "tx-udp", required_argument, NULL, OPT_TX_UDP },
	{ "ip", required_argument, NULL, OPT_IP },
	{ "no-promisc", no_argument, NULL, OPT_NO_PROMISC },
	{ "offload", no_argument, NULL, OPT_OFFLOAD },
	{ "stats-period", required_argument, NULL, OPT_STATS_PERIOD },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Option @p id, spelt @p long_name by the user (an alias keeps its spelling in messages). */
static int
parse_one(struct fwd_opts *o, int id, const char *long_name, const char *arg)
{
	char name[32];
	unsigned int idx;
	uint64_t v;

	snprintf(name, sizeof(name), "--%s", long_name);
	switch (id) {
	case OPT_FWD:
		if (parse_name(name, arg, mode_names, FWD_MODE_COUNT, &idx) < 0)
			return -1;
		o->mode = (enum fwd_mode)idx;
		return 0;
	case OPT_TOPOLOGY:
		if (parse_name(name, arg, topology_names, FWD_TOPOLOGY_COUNT, &idx) < 0)
			return -1;
		o->topology = (enum fwd_topology)idx;
		return 0;
	case OPT_RXQ:
		return parse_u16(name, arg, 1, FWD_MAX_QUEUES, &o->nb_rxq);
	case OPT_TXQ:
		return parse_u16(name, arg, 1, FWD_MAX_QUEUES, &o->nb_txq);
	case OPT_QUEUES:
		if (parse_u16(name, arg, 1, FWD_MAX_QUEUES, &o->nb_rxq) < 0)
			return -1;
		o->nb_txq = o->nb_rxq;
		return 0;
	case OPT_NB_CORES:
		if (parse_uint(name, arg, 1, RTE_MAX_LCORE - 1, &v) < 0)
			return -1;
		o->nb_cores = (unsigned int)v;
		return 0;
	case OPT_RXD:
		return parse_u16(name, arg, 0, UINT16_MAX, &o->nb_rxd);
	case OPT_TXD:
		return parse_u16(name, arg, 0, UINT16_MAX, &o->nb_txd);
	case OPT_BURST:
		return parse_u16(name, arg, 1, FWD_MAX_BURST, &o->burst);
	case OPT_NB_MBUFS:
		if (parse_uint(name, arg, 1024, 1 << 24, &v) < 0)
			return -1;
		o->nb_mbufs = (uint32_t)v;
		return 0;
	case OPT_MBUF_SIZE:
		return parse_u16(name, arg, RTE_PKTMBUF_HEADROOM + FWD_TXPKTS_MIN, UINT16_MAX,
				 &o->mbuf_size);
	case OPT_ETH_PEER:
		return parse_eth_peer(o, name, arg);
	case OPT_TXPKTS:
		return parse_u16(name, arg, FWD_TXPKTS_MIN, UINT16_MAX, &o->txpkts);
	case OPT_TX_IP:
		return parse_tx_ip(o, name, arg);
	case OPT_TX_UDP:
		return parse_tx_udp(o, name, arg);
	case OPT_IP:
		return parse_ip(name, arg, &o->ip);
	case OPT_NO_PROMISC:
		o->promisc = false;
		return 0;
	case OPT_OFFLOAD:
		o->offload = true;
		return 0;
	case OPT_STATS_PERIOD:
		return parse_seconds(name, arg, 0.1, &o->stats_period);
	case OPT_DURATION:
		return parse_seconds(name, arg, 0.001, &o->duration);
	default:
		return -1;
	}
}

/* The option getopt stopped at, as the user wrote it (without "=value"). */
static void
bad_option(char **argv, int idx, int opt)
{
	const char *word = idx < 1 ? "" : argv[idx - 1];

	if (opt == ':')
		fprintf(stderr, PROG ": option '%s' needs a value\n", word);
	else
		fprintf(stderr, PROG ": unknown option '%s'\n", word);
	fprintf(stderr, PROG ": '" PROG " --help' lists the options\n");
}

int
fwd_opts_parse(struct fwd_opts *o, int argc, char **argv)
{
	int opt, idx;

	/* argv[0] stands for the program; 0 resets glibc's getopt completely. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:qh", long_opts, &idx)) != -1) {
		switch (opt) {
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			o->help = true;
			break;
		case '?':
		case ':':
			bad_option(argv, optind, opt);
			return -1;
		default:
			if (parse_one(o, opt, long_opts[idx].name, optarg) < 0)
				return -1;
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s': options start with --\n",
			argv[optind]);
		return -1;
	}
	if (o->help)
		return 0;
	if (o->txpkts > o->mbuf_size - RTE_PKTMBUF_HEADROOM) {
		fprintf(stderr,
			PROG ": --txpkts %u: expected at most %u, the data room of --mbuf-size %u "
			     "less the %u-byte headroom (raise --mbuf-size for bigger frames)\n",
			o->txpkts, o->mbuf_size - RTE_PKTMBUF_HEADROOM, o->mbuf_size,
			RTE_PKTMBUF_HEADROOM);
		return -1;
	}
	return 0;
}
