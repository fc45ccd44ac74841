/* SPDX-License-Identifier: BSD-3-Clause */

/* The benchmark's options and its usage text. */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "bench.h"

/*
 * Default packets per run: the whole default table (2 rings x 2 sizes x 2
 * directions x 7 runs, each run after a warm-up of an eighth of it) and the
 * memory lines take 10 to 20 s on the 2-core KVM guest of doc/benchmark.md,
 * depending on how busy its host is.
 */
#define DEFAULT_PACKETS 2000000
/* Translations per run: a few milliseconds even for the 509-region linear scan. */
#define DEFAULT_LOOKUPS 250000

/*
 * The largest packet of the table (a 1514-byte frame and its FCS) and the
 * header before it: without mergeable buffers a receive buffer holds both.
 */
#define LARGEST_PKT 1518
#define NET_HDR_LEN 12

void
bench_opts_default(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->burst = 32;
	o->ring = 256;
	o->packets = DEFAULT_PACKETS;
	o->runs = 7;
	o->buf_len = 2048;
	o->regions = 1;
	o->engine = true;
	o->mem = true;
	o->mem_regions[0] = 2;
	o->mem_regions[1] = 8;
	o->mem_regions[2] = 509;
	o->nb_mem_regions = 3;
	o->lookups = DEFAULT_LOOKUPS;
}

void
bench_usage(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"       vio-bench - cycles per packet of the vio device engine\n"
		"\n"
		"SYNOPSIS\n"
		"       vio-bench [OPTION]...\n"
		"       vio-bench [EAL OPTION]... -- [OPTION]...\n"
		"\n"
		"DESCRIPTION\n"
		"       Drives the engine's bursts against a simulated guest in memfd memory and\n"
		"       prints the TSC cycles per packet of vio_vq_enqueue_burst (host to guest)\n"
		"       and vio_vq_dequeue_burst (guest to host), for split and packed rings and\n"
		"       64- and 1518-byte packets: the median of --runs runs, with their min and\n"
		"       max, and the packet rate that median gives at the TSC frequency. Only\n"
		"       the engine call is timed; the guest's work is not. Then the cycles per\n"
		"       translation of random guest addresses through vio_mem_gpa_to_hva, next\n"
		"       to a linear scan of the same regions.\n"
		"\n"
		"       Without \"--\" every argument is a benchmark option and the EAL gets\n"
		"       -l 0 --no-huge -m 512 --no-pci --no-shconf --no-telemetry. EAL options\n"
		"       before \"--\" replace those defaults (--log-level lib.eal:error and\n"
		"       lib.telemetry:error are always passed first; a later --log-level wins).\n"
		"\n"
		"OPTIONS\n"
		"       --burst N        packets per engine call, 1 to min(--ring, %u);\n"
		"                        default 32\n"
		"       --ring N         virtqueue entries, a power of two from 2 to 32768;\n"
		"                        default 256\n"
		"       --packets N      packets per timed run of each cell (suffix k or M for\n"
		"                        1000 or 1000000), at least --burst; default %" PRIu64 "\n"
		"       --runs N         timed runs of each cell, 5 to %u; default 7\n"
		"       --mrg            negotiate VIRTIO_NET_F_MRG_RXBUF (mergeable receive\n"
		"                        buffers); off by default\n"
		"       --buf-len N      bytes of each guest receive buffer, 64 to 65536; at\n"
		"                        least %u (12-byte header + 1518) without --mrg;\n"
		"                        default 2048\n"
		"       --regions N      guest memory regions of the engine cells, 1 to 509;\n"
		"                        default 1\n"
		"       --notify         the guest leaves interrupts on, so the engine writes the\n"
		"                        call eventfd after every burst (a system call, timed);\n"
		"                        by default the guest polls and suppresses them\n"
		"       --csum           the packets are UDP/IPv4 with a partial checksum: the\n"
		"                        guest's carry NEEDS_CSUM and the application enabled no\n"
		"                        receive offload; the host's ask for "
		"RTE_MBUF_F_TX_UDP_CKSUM\n"
		"                        and the guest has no GUEST_CSUM. The engine completes\n"
		"                        every checksum in software (the cost of the offload\n"
		"                        contract when neither side can do it)\n"
		"       --mem-regions L  comma-separated region counts of the memory lines, each\n"
		"                        1 to 509, at most %u; default 2,8,509\n"
		"       --lookups N      translations per run of the memory lines (k, M\n"
		"                        suffixes); default %" PRIu64 "\n"
		"       --no-engine      skip the engine table\n"
		"       --no-mem         skip the memory lines\n"
		"       --csv FILE       also write the results to FILE as CSV\n"
		"       -h, --help       print this text and exit\n"
		"\n"
		"EXIT STATUS\n"
		"       0 on success, %d when a measurement failed (setup, a broken queue,\n"
		"       copied bytes that differ), %d for bad arguments.\n"
		"\n"
		"EXAMPLES\n"
		"       vio-bench\n"
		"       vio-bench --mrg --burst 64 --csv /tmp/bench.csv\n"
		"       vio-bench -l 1 --no-huge -m 512 --no-pci -- --runs 11\n"
		"\n"
		"SEE ALSO\n"
		"       doc/benchmark.md\n",
		VIO_MAX_BURST, (uint64_t)DEFAULT_PACKETS, BENCH_MAX_RUNS, NET_HDR_LEN + LARGEST_PKT,
		BENCH_MAX_MEM_TABLES, (uint64_t)DEFAULT_LOOKUPS, BENCH_EXIT_FAIL, BENCH_EXIT_USAGE);
}

/* An unsigned decimal integer, with a k (10^3) or M (10^6) suffix when @p suffix. */
static bool
str_to_u64(const char *val, bool suffix, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 10);
	if (end != val && suffix && (*end == 'k' || *end == 'M')) {
		unsigned long long mult = *end == 'k' ? 1000 : 1000000;

		v = v > ULLONG_MAX / mult ? ULLONG_MAX : v * mult;
		end++;
	}
	if (errno != 0 || end == val || *end != '\0' || val[0] == '-')
		return false;
	*out = v;
	return true;
}

/* An integer of [@p min, @p max]; otherwise print the option and the accepted values. */
static int
parse_u64(const char *name, const char *val, uint64_t min, uint64_t max, bool suffix, uint64_t *out)
{
	uint64_t v;

	if (!str_to_u64(val, suffix, &v) || v < min || v > max) {
		fprintf(stderr,
			"vio-bench: %s '%s': expected an integer from %" PRIu64 " to %" PRIu64
			"%s\n",
			name, val, min, max, suffix ? " (k and M suffixes allowed)" : "");
		return -1;
	}
	*out = v;
	return 0;
}

/* --mem-regions: a comma-separated list of region counts. */
static int
parse_mem_regions(struct bench_opts *o, const char *name, const char *val)
{
	char buf[256];
	char *tok, *save = NULL;
	unsigned int n = 0;

	if (strlen(val) >= sizeof(buf) || val[0] == '\0')
		goto err;
	snprintf(buf, sizeof(buf), "%s", val);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (n == BENCH_MAX_MEM_TABLES || !str_to_u64(tok, false, &v) || v < 1 || v > 509)
			goto err;
		o->mem_regions[n++] = (unsigned int)v;
	}
	if (n == 0)
		goto err;
	o->nb_mem_regions = n;
	return 0;
err:
	fprintf(stderr,
		"vio-bench: %s '%s': expected 1 to %u comma-separated integers from 1 to 509\n",
		name, val, BENCH_MAX_MEM_TABLES);
	return -1;
}

enum opt_id {
	OPT_BURST,
	OPT_RING,
	OPT_PACKETS,
	OPT_RUNS,
	OPT_MRG,
	OPT_BUF_LEN,
	OPT_REGIONS,
	OPT_NOTIFY,
	OPT_CSUM,
	OPT_MEM_REGIONS,
	OPT_LOOKUPS,
	OPT_NO_ENGINE,
	OPT_NO_MEM,
	OPT_CSV,
	OPT_HELP,
};

static const struct {
	const char *name;
	enum opt_id id;
	bool has_arg;
} opt_table[] = {
	{ "--burst", OPT_BURST, true },     { "--ring", OPT_RING, true },
	{ "--packets", OPT_PACKETS, true }, { "--runs", OPT_RUNS, true },
	{ "--mrg", OPT_MRG, false },        { "--buf-len", OPT_BUF_LEN, true },
	{ "--regions", OPT_REGIONS, true }, { "--notify", OPT_NOTIFY, false },
	{ "--csum", OPT_CSUM, false },      { "--mem-regions", OPT_MEM_REGIONS, true },
	{ "--lookups", OPT_LOOKUPS, true }, { "--no-engine", OPT_NO_ENGINE, false },
	{ "--no-mem", OPT_NO_MEM, false },  { "--csv", OPT_CSV, true },
	{ "--help", OPT_HELP, false },      { "-h", OPT_HELP, false },
};

/* Store one option's value; the ranges that depend on other options are checked later. */
static int
opt_apply(struct bench_opts *o, enum opt_id id, const char *name, const char *val)
{
	uint64_t v = 0;
	int ret = 0;

	switch (id) {
	case OPT_BURST:
		ret = parse_u64(name, val, 1, VIO_MAX_BURST, false, &v);
		o->burst = (uint16_t)v;
		break;
	case OPT_RING:
		ret = parse_u64(name, val, 2, 32768, false, &v);
		if (ret == 0 && !rte_is_power_of_2((uint32_t)v)) {
			fprintf(stderr,
				"vio-bench: %s '%s': expected a power of two from 2 to 32768\n",
				name, val);
			ret = -1;
		}
		o->ring = (uint16_t)v;
		break;
	case OPT_PACKETS:
		ret = parse_u64(name, val, 1, UINT64_C(1) << 40, true, &o->packets);
		break;
	case OPT_RUNS:
		ret = parse_u64(name, val, 5, BENCH_MAX_RUNS, false, &v);
		o->runs = (unsigned int)v;
		break;
	case OPT_BUF_LEN:
		ret = parse_u64(name, val, 64, 65536, false, &v);
		o->buf_len = (uint32_t)v;
		break;
	case OPT_REGIONS:
		ret = parse_u64(name, val, 1, 509, false, &v);
		o->regions = (unsigned int)v;
		break;
	case OPT_MEM_REGIONS:
		ret = parse_mem_regions(o, name, val);
		break;
	case OPT_LOOKUPS:
		ret = parse_u64(name, val, 1, UINT64_C(1) << 40, true, &o->lookups);
		break;
	case OPT_CSV:
		o->csv = val;
		break;
	case OPT_MRG:
		o->mrg = true;
		break;
	case OPT_CSUM:
		o->csum = true;
		break;
	case OPT_NOTIFY:
		o->notify = true;
		break;
	case OPT_NO_ENGINE:
		o->engine = false;
		break;
	case OPT_NO_MEM:
		o->mem = false;
		break;
	case OPT_HELP:
		o->help = true;
		break;
	}
	return ret;
}

/* The rules between options. */
static int
opts_check(const struct bench_opts *o)
{
	if (o->burst > o->ring) {
		fprintf(stderr, "vio-bench: --burst %u: must not exceed --ring (%u)\n", o->burst,
			o->ring);
		return -1;
	}
	if (o->packets < o->burst) {
		fprintf(stderr, "vio-bench: --packets %" PRIu64 ": must be at least --burst (%u)\n",
			o->packets, o->burst);
		return -1;
	}
	if (!o->mrg && o->buf_len < NET_HDR_LEN + LARGEST_PKT) {
		fprintf(stderr,
			"vio-bench: --buf-len %u: without --mrg a receive buffer must hold the "
			"%u-byte header and a %u-byte packet (at least %u)\n",
			o->buf_len, NET_HDR_LEN, LARGEST_PKT, NET_HDR_LEN + LARGEST_PKT);
		return -1;
	}
	/* The guest refills its whole ring before every burst: a full burst must fit. */
	if (o->mrg &&
	    (uint32_t)o->burst * ((NET_HDR_LEN + LARGEST_PKT + o->buf_len - 1) / o->buf_len) >
		    o->ring) {
		fprintf(stderr,
			"vio-bench: --buf-len %u: a burst of %u 1518-byte packets needs more "
			"buffers than --ring (%u) holds\n",
			o->buf_len, o->burst, o->ring);
		return -1;
	}
	if (!o->engine && !o->mem) {
		fprintf(stderr, "vio-bench: --no-engine and --no-mem: nothing left to measure\n");
		return -1;
	}
	return 0;
}

int
bench_opts_parse(struct bench_opts *o, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq = strchr(arg, '=');
		size_t name_len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		const char *val = eq != NULL ? eq + 1 : NULL;
		unsigned int k;

		for (k = 0; k < RTE_DIM(opt_table); k++) {
			if (strlen(opt_table[k].name) == name_len &&
			    strncmp(opt_table[k].name, arg, name_len) == 0)
				break;
		}
		if (k == RTE_DIM(opt_table)) {
			fprintf(stderr, "vio-bench: unknown option '%s' (try --help)\n", arg);
			return -1;
		}
		if (opt_table[k].has_arg && val == NULL) {
			if (i + 1 == argc) {
				fprintf(stderr, "vio-bench: %s needs a value (try --help)\n", arg);
				return -1;
			}
			val = argv[++i];
		} else if (!opt_table[k].has_arg && val != NULL) {
			fprintf(stderr, "vio-bench: %s takes no value\n", opt_table[k].name);
			return -1;
		}
		if (opt_apply(o, opt_table[k].id, opt_table[k].name, val) < 0)
			return -1;
	}
	return o->help ? 0 : opts_check(o);
}
