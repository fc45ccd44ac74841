/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio-cmp: the EAL, the options, and the command loop. The program reads one
 * command per line on stdin and answers each with one line on stdout that
 * starts with "ok <command>" or "error <command>:"; everything else on
 * stdout (DPDK's and vio's log lines) is noise for the reader to skip.
 * devtools/bench.sh is the reader; the commands are in usage() below.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_udp.h>
#include <rte_vhost.h>

#include "app_eal.h"
#include "cmp.h"
#include "vio_virtio.h"

#define EXIT_USAGE 2

/* EAL options without "--": the backend on lcore 1, no hugepages (doc/benchmark.md). */
static const char *const eal_defaults[] = {
	"-l", "1", "--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--no-telemetry",
};
/* Always first, so that a user's --log-level still wins. */
static const char *const eal_quiet[] = {
	"--log-level",
	"lib.eal:error",
	"--log-level",
	"lib.telemetry:error",
	/* rte_vhost logs every vhost-user message at info. */
	"--log-level",
	"lib.vhost.config:warning",
};

/*
 * rte_vhost as DPDK 22.11's net_vhost registers it by default: per-queue
 * statistics on (vio always counts), offload flags the compliant way
 * (legacy-ol-flags=0). Neither matters to the data path unless offloads are
 * negotiated, and none are here.
 */
#define DPDK_FLAGS_DEFAULT (RTE_VHOST_USER_NET_STATS_ENABLE | RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS)

/* Bytes a packet may have: an Ethernet header with IPv4 and UDP, up to a default mbuf. */
#define PKT_LEN_MIN (RTE_ETHER_HDR_LEN + 20 + 8)
#define PKT_LEN_MAX RTE_MBUF_DEFAULT_DATAROOM

/*
 * A burst of 32 costs a few tens of microseconds at worst here (32 x 1518
 * bytes copied across cores); a thread that was descheduled (the machine
 * is shared, a Linux time slice is milliseconds) or handled a long
 * interrupt inside the call takes longer.
 */
#define MAX_CALL_US_DEFAULT 200

struct cmp_opts {
	uint16_t burst;
	unsigned int mbufs;
	uint64_t dpdk_flags;
	unsigned int max_call_us; /* 0: keep every call */
};

/* Whole run state of the command loop. */
struct cmp_state {
	struct cmp_opts o;
	struct rte_mempool *mp;
	uint64_t tsc_hz;
	uint64_t offered[CMP_NB_LIBS];
	uint64_t common; /* offered by both: what each side offers while served */
	int vid;         /* the device seen ready by "wait", or -1 */
	unsigned int generation;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"       vio-cmp - vio's vhost-user backend against DPDK's rte_vhost, cycles per\n"
		"       packet of their burst calls against the same frontend\n"
		"\n"
		"SYNOPSIS\n"
		"       vio-cmp [EAL OPTION]... -- [OPTION]...   < commands\n"
		"\n"
		"DESCRIPTION\n"
		"       Serves one vhost-user socket at a time, with vio (vio_vhost_*) or with\n"
		"       DPDK 22.11's vhost library (rte_vhost_*), in server mode, offering the\n"
		"       features both libraries offer by default and nothing else. On command it\n"
		"       calls one library's enqueue burst (host to guest, the guest's receive\n"
		"       queue 0) or dequeue burst (guest to host, its transmit queue 0) in a\n"
		"       loop on the main lcore for a given time, and reports the TSC cycles\n"
		"       spent inside the calls that moved at least one packet, per packet moved.\n"
		"       devtools/bench.sh drives it against a stock dpdk-testpmd peer\n"
		"       (net_virtio_user) and alternates the two libraries.\n"
		"\n"
		"       Without \"--\" the EAL gets -l 1 --no-huge -m 256 --no-pci --no-shconf\n"
		"       --no-telemetry; EAL options before \"--\" replace those.\n"
		"\n"
		"OPTIONS\n"
		"       --burst N        packets per library call, 1 to %u; default 32\n"
		"       --mbufs N        mbufs of the one mempool both libraries use, 1023 to\n"
		"                        1048575; default 16383\n"
		"       --dpdk-flags X   rte_vhost_driver_register() flags (hex); default "
		"0x%" PRIx64 "\n"
		"                        (net_vhost's defaults: per-queue stats, compliant\n"
		"                        offload flags)\n"
		"       --max-call-us N  a call that takes longer than N microseconds was\n"
		"                        descheduled or interrupted: it is counted (long_calls,\n"
		"                        long_packets) but left out of cycles and packets; 0\n"
		"                        keeps every call; default %u\n"
		"       -h, --help       print this text and exit\n"
		"\n"
		"COMMANDS (stdin, one per line; one reply line each, \"ok ...\" or \"error ...\")\n"
		"       features                 the features each library offers, and the\n"
		"                                common set served (also printed at start)\n"
		"       serve vio|dpdk PATH      register PATH with that library, offer the\n"
		"                                common features, listen\n"
		"       wait SECONDS             wait until a frontend's device is ready and has\n"
		"                                been for 100 ms; print its negotiated features\n"
		"       measure enqueue|dequeue BYTES WARMUP SECONDS\n"
		"                                call the burst for WARMUP s untimed, then for\n"
		"                                SECONDS s timed. enqueue sends --burst prebuilt\n"
		"                                UDP packets of BYTES bytes every call; dequeue\n"
		"                                frees what it gets and counts the timed\n"
		"                                packets whose length is not BYTES (bad_len;\n"
		"                                the warm-up drains what a previous command\n"
		"                                left in the ring)\n"
		"       close                    stop serving (the device is destroyed first)\n"
		"       quit                     close and exit\n"
		"\n"
		"       A measure reply carries: packets, calls (calls that moved >= 1 packet),\n"
		"       idle_calls, cycles (TSC inside those calls), window (TSC of the timed\n"
		"       loop), cpp = cycles/packets, mpps = packets of the loop (long ones\n"
		"       included) over the window, burst_avg, bad_len, long_calls and\n"
		"       long_packets (see --max-call-us), warm_packets, and notifications:\n"
		"       the interrupts the library sent the guest during the timed window\n"
		"       (\"?\" when rte_vhost keeps no statistics).\n"
		"\n"
		"EXIT STATUS\n"
		"       0 after quit or end of input, 1 when set-up failed, %d for bad arguments.\n"
		"\n"
		"SEE ALSO\n"
		"       devtools/bench.sh, doc/benchmark.md\n",
		CMP_MAX_BURST, (uint64_t)DPDK_FLAGS_DEFAULT, MAX_CALL_US_DEFAULT, EXIT_USAGE);
}

static int
parse_uint(const char *name, const char *val, unsigned long min, unsigned long max, int base,
	   unsigned long long *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, base);
	if (errno != 0 || end == val || *end != '\0' || val[0] == '-' || v < min || v > max) {
		fprintf(stderr, "vio-cmp: %s '%s': expected %s from %lu to %lu\n", name, val,
			base == 16 ? "a hex integer" : "an integer", min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* 0, 1 for --help, -1 after printing what is wrong. */
static int
parse_opts(struct cmp_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "burst", required_argument, NULL, 'b' },
		{ "mbufs", required_argument, NULL, 'm' },
		{ "dpdk-flags", required_argument, NULL, 'f' },
		{ "max-call-us", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int opt;

	o->burst = CMP_MAX_BURST;
	o->mbufs = 16383;
	o->dpdk_flags = DPDK_FLAGS_DEFAULT;
	o->max_call_us = MAX_CALL_US_DEFAULT;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			if (parse_uint("--burst", optarg, 1, CMP_MAX_BURST, 10, &v) < 0)
				return -1;
			o->burst = (uint16_t)v;
			break;
		case 'm':
			if (parse_uint("--mbufs", optarg, 1023, 1048575, 10, &v) < 0)
				return -1;
			o->mbufs = (unsigned int)v;
			break;
		case 'f':
			if (parse_uint("--dpdk-flags", optarg, 0, ULONG_MAX, 16, &v) < 0)
				return -1;
			o->dpdk_flags = v;
			break;
		case 'x':
			if (parse_uint("--max-call-us", optarg, 0, 1000000, 10, &v) < 0)
				return -1;
			o->max_call_us = (unsigned int)v;
			break;
		case 'h':
			return 1;
		default:
			fprintf(stderr, "vio-cmp: try --help\n");
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vio-cmp: unexpected argument '%s' (try --help)\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* Feature names joined by '|', without the VIRTIO_ prefix; "-" for none. */
static const char *
feature_names(uint64_t f, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int bit;

	buf[0] = '\0';
	for (bit = 0; bit < 64; bit++) {
		const char *name;
		int n;

		if (!(f & (UINT64_C(1) << bit)))
			continue;
		/* vhost's own bit, not virtio's: vio_virtio_feature_name() does not know it. */
		name = bit == 26 ? "VHOST_F_LOG_ALL" : vio_virtio_feature_name(bit);
		if (strncmp(name, "VIRTIO_", 7) == 0)
			name += 7;
		if (strcmp(name, "unknown") == 0)
			n = snprintf(buf + off, len - off, "%sbit%u", off ? "|" : "", bit);
		else
			n = snprintf(buf + off, len - off, "%s%s", off ? "|" : "", name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	return off ? buf : "-";
}

static void reply(const char *fmt, ...) __rte_format_printf(1, 2);

static void
reply(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
cmd_features(struct cmp_state *s, const char *cmd)
{
	char a[1024], b[1024], c[1024];

	reply("ok %s vio=0x%" PRIx64 " dpdk=0x%" PRIx64 " common=0x%" PRIx64
	      " common_names=%s vio_only=%s dpdk_only=%s",
	      cmd, s->offered[CMP_LIB_VIO], s->offered[CMP_LIB_DPDK], s->common,
	      feature_names(s->common, a, sizeof(a)),
	      feature_names(s->offered[CMP_LIB_VIO] & ~s->common, b, sizeof(b)),
	      feature_names(s->offered[CMP_LIB_DPDK] & ~s->common, c, sizeof(c)));
}

static void
cmd_serve(struct cmp_state *s, char *args)
{
	char *save = NULL, *lib_s = strtok_r(args, " \t", &save);
	char *path = strtok_r(NULL, " \t", &save);
	enum cmp_lib lib;
	uint64_t offered = 0;
	int ret;

	if (lib_s == NULL || path == NULL || strtok_r(NULL, " \t", &save) != NULL) {
		reply("error serve: usage: serve vio|dpdk PATH");
		return;
	}
	if (strcmp(lib_s, "vio") == 0) {
		lib = CMP_LIB_VIO;
	} else if (strcmp(lib_s, "dpdk") == 0) {
		lib = CMP_LIB_DPDK;
	} else {
		reply("error serve: library '%s': expected vio or dpdk", lib_s);
		return;
	}
	s->vid = -1;
	ret = cmp_backend_serve(lib, path, s->common, s->o.dpdk_flags);
	if (ret < 0) {
		reply("error serve: %s %s: %s", lib_s, path, strerror(-ret));
		return;
	}
	cmp_backend_offered(&offered);
	if (offered != s->common) {
		/* A library that adds or drops bits of its own would make the sides differ. */
		reply("error serve: %s offers 0x%" PRIx64 ", not the common 0x%" PRIx64, lib_s,
		      offered, s->common);
		cmp_backend_close();
		return;
	}
	reply("ok serve lib=%s path=%s offered=0x%" PRIx64, lib_s, path, offered);
}

static void
cmd_wait(struct cmp_state *s, char *args)
{
	unsigned long long secs;
	uint64_t hz = rte_get_timer_hz(), end, stable_since = 0;
	unsigned int gen = 0;
	uint64_t features;
	char names[1024];
	int vid = -1;

	if (args == NULL || parse_uint("wait", args, 1, 3600, 10, &secs) < 0) {
		reply("error wait: usage: wait SECONDS");
		return;
	}
	if (cmp_backend_lib() == CMP_NB_LIBS) {
		reply("error wait: not serving");
		return;
	}
	end = rte_get_timer_cycles() + secs * hz;
	/* Ready, and not reset for 100 ms: testpmd restarts its port during start-up. */
	while (rte_get_timer_cycles() < end) {
		unsigned int g = atomic_load(&cmp_conn.generation);
		int v = atomic_load(&cmp_conn.vid);

		if (v < 0 || g != gen || v != vid) {
			gen = g;
			vid = v;
			stable_since = rte_get_timer_cycles();
		} else if (rte_get_timer_cycles() - stable_since > hz / 10) {
			break;
		}
		usleep(1000);
	}
	if (vid < 0 || rte_get_timer_cycles() >= end) {
		reply("error wait: no device ready after %llu s (ready %u, destroyed %u)", secs,
		      atomic_load(&cmp_conn.nb_ready), atomic_load(&cmp_conn.nb_destroyed));
		return;
	}
	if (cmp_backend_negotiated(vid, &features) < 0) {
		reply("error wait: device %d went away", vid);
		return;
	}
	s->vid = vid;
	s->generation = gen;
	reply("ok wait lib=%s vid=%d features=0x%" PRIx64 " names=%s",
	      cmp_lib_names[cmp_backend_lib()], vid, features,
	      feature_names(features, names, sizeof(names)));
}

/* A UDP/IPv4 frame of @p len bytes (no FCS), as a traffic generator would send. */
static void
build_packet(struct rte_mbuf *m, uint32_t len)
{
	static const struct rte_ether_addr dst = { { 0x02, 0, 0, 0, 0, 0x02 } };
	static const struct rte_ether_addr src = { { 0x02, 0, 0, 0, 0, 0x01 } };
	char *p = rte_pktmbuf_append(m, (uint16_t)len);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (char)i;
	rte_ether_addr_copy(&dst, &eth->dst_addr);
	rte_ether_addr_copy(&src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - RTE_ETHER_HDR_LEN));
	ip->src_addr = rte_cpu_to_be_32(VIO_IPV4(198, 18, 0, 1)); /* RFC 2544 range */
	ip->dst_addr = rte_cpu_to_be_32(VIO_IPV4(198, 18, 0, 2));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(1024);
	udp->dst_port = rte_cpu_to_be_16(1024);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - RTE_ETHER_HDR_LEN - sizeof(*ip)));
	udp->dgram_cksum = 0;
}

/* The reply of a measurement that moved packets. */
static void
reply_measure(const struct cmp_measure *m, uint64_t tsc_hz, const struct cmp_result *r,
	      uint64_t warm_packets, const char *notif)
{
	double cpp = (double)r->cycles / (double)r->packets;
	/* The loop's rate counts the packets of the long calls too: they were moved. */
	double mpps = r->window ? (double)(r->packets + r->long_packets) * (double)tsc_hz /
					  (double)r->window / 1e6
				: 0.0;

	reply("ok measure lib=%s dir=%s size=%u packets=%" PRIu64 " calls=%" PRIu64
	      " idle_calls=%" PRIu64 " cycles=%" PRIu64 " window=%" PRIu64
	      " cpp=%.2f mpps=%.3f burst_avg=%.2f bad_len=%" PRIu64 " long_calls=%" PRIu64
	      " long_packets=%" PRIu64 " warm_packets=%" PRIu64 " notifications=%s",
	      cmp_lib_names[m->lib], m->dir == CMP_DIR_ENQUEUE ? "enqueue" : "dequeue", m->pkt_len,
	      r->packets, r->calls, r->idle_calls, r->cycles, r->window, cpp, mpps,
	      (double)r->packets / (double)r->calls, r->bad_len, r->long_calls, r->long_packets,
	      warm_packets, notif);
}

static int
parse_seconds(const char *val, double min, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(val, &end);
	return errno != 0 || end == val || *end != '\0' || !(*out >= min && *out <= 3600) ? -1 : 0;
}

static void
cmd_measure(struct cmp_state *s, char *args)
{
	char *save = NULL;
	char *dir_s = args ? strtok_r(args, " \t", &save) : NULL;
	char *len_s = strtok_r(NULL, " \t", &save);
	char *warm_s = strtok_r(NULL, " \t", &save);
	char *run_s = strtok_r(NULL, " \t", &save);
	struct rte_mbuf *pkts[CMP_MAX_BURST];
	struct cmp_measure m = { 0 };
	struct cmp_result warm, r;
	uint64_t notif0 = 0, notif1 = 0;
	bool have_notif = false;
	uint16_t queue;
	char notif[24] = "?";
	unsigned long long len;
	double warm_secs, run_secs;
	int ret;
	uint16_t i;

	if (dir_s == NULL || run_s == NULL || strtok_r(NULL, " \t", &save) != NULL ||
	    (strcmp(dir_s, "enqueue") != 0 && strcmp(dir_s, "dequeue") != 0) ||
	    parse_uint("measure BYTES", len_s, PKT_LEN_MIN, PKT_LEN_MAX, 10, &len) < 0 ||
	    parse_seconds(warm_s, 0, &warm_secs) < 0 || parse_seconds(run_s, 0.01, &run_secs) < 0) {
		reply("error measure: usage: measure enqueue|dequeue BYTES(%d-%d) WARMUP "
		      "SECONDS(0.01-3600)",
		      PKT_LEN_MIN, PKT_LEN_MAX);
		return;
	}
	if (s->vid < 0 || atomic_load(&cmp_conn.generation) != s->generation) {
		reply("error measure: no device (serve, then wait)");
		return;
	}
	m.lib = cmp_backend_lib();
	m.dir = dir_s[0] == 'e' ? CMP_DIR_ENQUEUE : CMP_DIR_DEQUEUE;
	queue = m.dir == CMP_DIR_ENQUEUE ? CMP_RXQ : CMP_TXQ;
	m.vid = s->vid;
	m.generation = s->generation;
	m.mp = s->mp;
	m.burst = s->o.burst;
	m.pkt_len = (uint32_t)len;
	m.max_call_cycles = s->o.max_call_us ? s->o.max_call_us * s->tsc_hz / 1000000 : UINT64_MAX;
	if (m.dir == CMP_DIR_ENQUEUE) {
		/* From the same pool as the dequeued mbufs; sent every call, never freed by the library. */
		if (rte_pktmbuf_alloc_bulk(s->mp, pkts, m.burst) < 0) {
			reply("error measure: mempool empty");
			return;
		}
		for (i = 0; i < m.burst; i++)
			build_packet(pkts[i], m.pkt_len);
		m.pkts = pkts;
	}
	ret = cmp_measure_run(&m, (uint64_t)(warm_secs * (double)s->tsc_hz), &warm);
	if (ret == 0) {
		have_notif = cmp_backend_notifications(m.vid, queue, &notif0) == 0;
		ret = cmp_measure_run(&m, (uint64_t)(run_secs * (double)s->tsc_hz), &r);
		have_notif = have_notif && cmp_backend_notifications(m.vid, queue, &notif1) == 0;
	}
	if (m.dir == CMP_DIR_ENQUEUE)
		rte_pktmbuf_free_bulk(pkts, m.burst);
	if (ret < 0) {
		reply("error measure: the device went away during the measurement");
		s->vid = -1;
		return;
	}
	if (have_notif)
		snprintf(notif, sizeof(notif), "%" PRIu64, notif1 - notif0);
	if (r.packets == 0) {
		reply("error measure: %s %s moved no packet in %" PRIu64 " calls",
		      cmp_lib_names[m.lib], dir_s, r.idle_calls);
		return;
	}
	reply_measure(&m, s->tsc_hz, &r, warm.packets + warm.long_packets, notif);
}

static void
cmd_close(struct cmp_state *s)
{
	int ret = cmp_backend_close();

	s->vid = -1;
	if (ret < 0 && ret != -ENOENT)
		reply("error close: %s", strerror(-ret));
	else
		reply("ok close ready=%u destroyed=%u", atomic_load(&cmp_conn.nb_ready),
		      atomic_load(&cmp_conn.nb_destroyed));
}

static void
command_loop(struct cmp_state *s)
{
	char line[1024];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *save = NULL, *cmd, *args;

		line[strcspn(line, "\r\n")] = '\0';
		cmd = strtok_r(line, " \t", &save);
		if (cmd == NULL || cmd[0] == '#')
			continue;
		args = strtok_r(NULL, "", &save);
		if (strcmp(cmd, "features") == 0) {
			cmd_features(s, cmd);
		} else if (strcmp(cmd, "serve") == 0) {
			cmd_serve(s, args);
		} else if (strcmp(cmd, "wait") == 0) {
			cmd_wait(s, args);
		} else if (strcmp(cmd, "measure") == 0) {
			cmd_measure(s, args);
		} else if (strcmp(cmd, "close") == 0) {
			cmd_close(s);
		} else if (strcmp(cmd, "quit") == 0) {
			break;
		} else {
			reply("error %s: unknown command (features, serve, wait, measure, close, "
			      "quit)",
			      cmd);
		}
	}
	if (cmp_backend_lib() != CMP_NB_LIBS)
		cmp_backend_close();
	reply("ok quit");
}

int
main(int argc, char **argv)
{
	static struct cmp_state s;
	int nb_eal = 0, first_opt = 1, i, ret;

	/* Like DPDK's applications: EAL options, "--", then the program's own. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			nb_eal = i - 1;
			first_opt = i + 1;
			break;
		}
	}
	ret = parse_opts(&s.o, argc - first_opt + 1, argv + first_opt - 1);
	if (ret != 0) {
		if (ret > 0)
			usage(stdout);
		return ret > 0 ? 0 : EXIT_USAGE;
	}
	if (app_eal_init("vio-cmp", argv[0], eal_quiet, RTE_DIM(eal_quiet), eal_defaults,
			 RTE_DIM(eal_defaults), nb_eal, argv + 1) < 0)
		return 1;
	s.tsc_hz = rte_get_tsc_hz();
	s.vid = -1;
	s.mp = rte_pktmbuf_pool_create("vio_cmp", s.o.mbufs, RTE_MEMPOOL_CACHE_MAX_SIZE, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (s.mp == NULL) {
		fprintf(stderr, "vio-cmp: mempool of %u mbufs: %s\n", s.o.mbufs,
			rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	if (cmp_backend_probe(s.o.dpdk_flags, s.offered) < 0) {
		rte_mempool_free(s.mp);
		rte_eal_cleanup();
		return 1;
	}
	s.common = s.offered[CMP_LIB_VIO] & s.offered[CMP_LIB_DPDK];
	reply("ok start lcore=%u tsc_hz=%" PRIu64 " timer_cycles=%.0f burst=%u mbufs=%u "
	      "dpdk_flags=0x%" PRIx64 " max_call_us=%u",
	      rte_lcore_id(), s.tsc_hz, cmp_timer_overhead(), s.o.burst, s.o.mbufs, s.o.dpdk_flags,
	      s.o.max_call_us);
	cmd_features(&s, "features");
	command_loop(&s);
	rte_mempool_free(s.mp);
	rte_eal_cleanup();
	return 0;
}
