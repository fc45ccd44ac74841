/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Live statistics and the summary, on the main lcore (or the control thread
 * when the main lcore forwards). The streams' counters are read with relaxed
 * atomic loads and summed per port: what a stream receives counts for its
 * receive port, what it sends for its transmit port, its cycles for the port
 * it receives on (txonly: transmits on). The port's own counters
 * (rte_eth_stats_get) add what only the PMD knows: missed, errors, nombuf.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "fwd.h"

/* Bytes a frame occupies on an Ethernet wire besides its own: preamble 7, SFD 1, gap 12. */
#define WIRE_OVERHEAD 20
/* The column header comes back every so many periods. */
#define HEADER_EVERY 20

struct port_snap {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t tx_dropped;
	uint64_t tx_nombuf;
	uint64_t busy_cycles;
	uint64_t busy_pkts;
	uint64_t arp_replies;
	uint64_t icmp_replies;
	uint64_t other;
	uint64_t bad;
	struct rte_eth_stats eth; /* the port's own counters */
};

struct fwd_stats {
	const struct fwd_ctx *ctx;
	uint64_t prev_tsc;
	unsigned int periods;
	struct port_snap prev[RTE_MAX_ETHPORTS];
	struct port_snap cur[RTE_MAX_ETHPORTS];
};

struct fwd_stats *
fwd_stats_create(const struct fwd_ctx *ctx)
{
	struct fwd_stats *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->ctx = ctx;
	st->prev_tsc = ctx->start_tsc;
	return st;
}

void
fwd_stats_free(struct fwd_stats *st)
{
	free(st);
}

static void
snap_add(struct port_snap *d, const struct port_snap *s)
{
	d->rx_pkts += s->rx_pkts;
	d->rx_bytes += s->rx_bytes;
	d->tx_pkts += s->tx_pkts;
	d->tx_bytes += s->tx_bytes;
	d->tx_dropped += s->tx_dropped;
	d->tx_nombuf += s->tx_nombuf;
	d->busy_cycles += s->busy_cycles;
	d->busy_pkts += s->busy_pkts;
	d->arp_replies += s->arp_replies;
	d->icmp_replies += s->icmp_replies;
	d->other += s->other;
	d->bad += s->bad;
	d->eth.ipackets += s->eth.ipackets;
	d->eth.opackets += s->eth.opackets;
	d->eth.ibytes += s->eth.ibytes;
	d->eth.obytes += s->eth.obytes;
	d->eth.imissed += s->eth.imissed;
	d->eth.ierrors += s->eth.ierrors;
	d->eth.oerrors += s->eth.oerrors;
	d->eth.rx_nombuf += s->eth.rx_nombuf;
}

/* Every port's counters now, into @p snap (indexed by port id). */
static void
collect(const struct fwd_ctx *ctx, struct port_snap *snap)
{
	bool txonly = ctx->opts->mode == FWD_MODE_TXONLY;
	unsigned int i;

	memset(snap, 0, sizeof(*snap) * RTE_MAX_ETHPORTS);
	for (i = 0; i < ctx->nb_streams; i++) {
		const struct fwd_stream *fs = &ctx->streams[i];
		const struct fwd_stream_stats *s = &fs->stats;
		struct port_snap *rx = &snap[fs->rx_port];
		struct port_snap *tx = &snap[fs->tx_port];
		struct port_snap *busy = txonly ? tx : rx;

		rx->rx_pkts += fwd_stat_read(&s->rx_pkts);
		rx->rx_bytes += fwd_stat_read(&s->rx_bytes);
		tx->tx_pkts += fwd_stat_read(&s->tx_pkts);
		tx->tx_bytes += fwd_stat_read(&s->tx_bytes);
		tx->tx_dropped += fwd_stat_read(&s->tx_dropped);
		tx->tx_nombuf += fwd_stat_read(&s->tx_nombuf);
		busy->busy_cycles += fwd_stat_read(&s->busy_cycles);
		busy->busy_pkts += fwd_stat_read(&s->busy_pkts);
		rx->arp_replies += fwd_stat_read(&s->arp_replies);
		rx->icmp_replies += fwd_stat_read(&s->icmp_replies);
		rx->other += fwd_stat_read(&s->other);
		rx->bad += fwd_stat_read(&s->bad);
	}
	for (i = 0; i < ctx->nb_ports; i++) {
		uint16_t pid = ctx->port_ids[i];

		if (rte_eth_stats_get(pid, &snap[pid].eth) != 0)
			memset(&snap[pid].eth, 0, sizeof(snap[pid].eth));
	}
}

static double
mbps(uint64_t bytes, uint64_t pkts, double secs)
{
	return secs > 0 ? (double)(bytes + pkts * WIRE_OVERHEAD) * 8 / secs / 1e6 : 0;
}

static double
per_sec(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs : 0;
}

/* Cycles per packet into @p buf, or "-" when no packet moved. */
static const char *
cpp(char *buf, size_t size, uint64_t cycles, uint64_t pkts)
{
	if (pkts == 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f", (double)cycles / (double)pkts);
	return buf;
}

static void
period_line(FILE *f, double t, const char *port, const struct port_snap *c,
	    const struct port_snap *p, double secs, const char *link)
{
	char cyc[32];

	fprintf(f, "%7.1f %5s %12.0f %12.0f %10.2f %10.2f %10.0f %8s  %s\n", t, port,
		per_sec(c->rx_pkts - p->rx_pkts, secs), per_sec(c->tx_pkts - p->tx_pkts, secs),
		mbps(c->rx_bytes - p->rx_bytes, c->rx_pkts - p->rx_pkts, secs),
		mbps(c->tx_bytes - p->tx_bytes, c->tx_pkts - p->tx_pkts, secs),
		per_sec(c->tx_dropped - p->tx_dropped + c->eth.imissed - p->eth.imissed, secs),
		cpp(cyc, sizeof(cyc), c->busy_cycles - p->busy_cycles, c->busy_pkts - p->busy_pkts),
		link);
}

void
fwd_stats_period(struct fwd_stats *st, FILE *f)
{
	const struct fwd_ctx *ctx = st->ctx;
	struct port_snap tc, tp;
	uint64_t now = rte_rdtsc();
	double secs = (double)(now - st->prev_tsc) / (double)ctx->tsc_hz;
	double t = (double)(now - ctx->start_tsc) / (double)ctx->tsc_hz;
	unsigned int i;

	collect(ctx, st->cur);
	if (st->periods++ % HEADER_EVERY == 0)
		fprintf(f, "%7s %5s %12s %12s %10s %10s %10s %8s  %s\n", "time", "port", "rx-pps",
			"tx-pps", "rx-Mbps", "tx-Mbps", "drops/s", "cyc/pkt", "link");
	memset(&tc, 0, sizeof(tc));
	memset(&tp, 0, sizeof(tp));
	for (i = 0; i < ctx->nb_ports; i++) {
		uint16_t pid = ctx->port_ids[i];
		struct rte_eth_link link;
		char name[8];

		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(pid, &link);
		snprintf(name, sizeof(name), "%u", pid);
		period_line(f, t, name, &st->cur[pid], &st->prev[pid], secs,
			    link.link_status == RTE_ETH_LINK_UP ? "up" : "down");
		snap_add(&tc, &st->cur[pid]);
		snap_add(&tp, &st->prev[pid]);
	}
	if (ctx->nb_ports > 1)
		period_line(f, t, "all", &tc, &tp, secs, "");
	fflush(f);
	memcpy(st->prev, st->cur, sizeof(st->prev));
	st->prev_tsc = now;
}

static void
summary_port(FILE *f, const struct fwd_ctx *ctx, const struct port_snap *s, double secs)
{
	enum fwd_mode mode = ctx->opts->mode;
	char cyc[32];

	fprintf(f,
		"  rx-packets %" PRIu64 " rx-bytes %" PRIu64 " rx-missed %" PRIu64
		" rx-errors %" PRIu64 " rx-nombuf %" PRIu64 "\n",
		s->rx_pkts, s->rx_bytes, (uint64_t)s->eth.imissed, (uint64_t)s->eth.ierrors,
		(uint64_t)s->eth.rx_nombuf);
	fprintf(f,
		"  tx-packets %" PRIu64 " tx-bytes %" PRIu64 " tx-dropped %" PRIu64
		" tx-errors %" PRIu64 " tx-nombuf %" PRIu64 "\n",
		s->tx_pkts, s->tx_bytes, s->tx_dropped, (uint64_t)s->eth.oerrors, s->tx_nombuf);
	fprintf(f, "  average rx-pps %.0f tx-pps %.0f rx-Mbps %.2f tx-Mbps %.2f cyc/pkt %s\n",
		per_sec(s->rx_pkts, secs), per_sec(s->tx_pkts, secs),
		mbps(s->rx_bytes, s->rx_pkts, secs), mbps(s->tx_bytes, s->tx_pkts, secs),
		cpp(cyc, sizeof(cyc), s->busy_cycles, s->busy_pkts));
	fprintf(f,
		"  ethdev ipackets %" PRIu64 " opackets %" PRIu64 " ibytes %" PRIu64
		" obytes %" PRIu64 "\n",
		(uint64_t)s->eth.ipackets, (uint64_t)s->eth.opackets, (uint64_t)s->eth.ibytes,
		(uint64_t)s->eth.obytes);
	if (mode == FWD_MODE_ICMPECHO)
		fprintf(f,
			"  icmpecho arp-replies %" PRIu64 " icmp-replies %" PRIu64 " other %" PRIu64
			" bad %" PRIu64 "\n",
			s->arp_replies, s->icmp_replies, s->other, s->bad);
	else if (mode == FWD_MODE_MAC || mode == FWD_MODE_MACSWAP)
		fprintf(f, "  runts %" PRIu64 "\n", s->bad);
}

void
fwd_stats_summary(struct fwd_stats *st, FILE *f)
{
	const struct fwd_ctx *ctx = st->ctx;
	uint64_t elapsed = ctx->stop_tsc - ctx->start_tsc;
	double secs = (double)elapsed / (double)ctx->tsc_hz;
	struct port_snap total;
	unsigned int i, s;
	char cyc[32];

	collect(ctx, st->cur);
	memset(&total, 0, sizeof(total));
	fprintf(f,
		"==== vio-fwd summary: mode %s, %.3f s of forwarding, %u port%s, %u stream%s on %u "
		"lcore%s\n",
		fwd_mode_name(ctx->opts->mode), secs, ctx->nb_ports, ctx->nb_ports == 1 ? "" : "s",
		ctx->nb_streams, ctx->nb_streams == 1 ? "" : "s", ctx->nb_lcores,
		ctx->nb_lcores == 1 ? "" : "s");
	for (i = 0; i < ctx->nb_ports; i++) {
		uint16_t pid = ctx->port_ids[i];

		fprintf(f, "port %u (%s)\n", pid, ctx->ports[pid].name);
		summary_port(f, ctx, &st->cur[pid], secs);
		snap_add(&total, &st->cur[pid]);
	}
	fprintf(f, "total\n");
	summary_port(f, ctx, &total, secs);
	for (i = 0; i < ctx->nb_lcores; i++) {
		const struct fwd_lcore *l = &ctx->lcores[i];
		uint64_t cycles = 0, pkts = 0;

		for (s = 0; s < l->nb_streams; s++) {
			cycles += fwd_stat_read(&l->streams[s]->stats.busy_cycles);
			pkts += fwd_stat_read(&l->streams[s]->stats.busy_pkts);
		}
		fprintf(f, "lcore %u streams %u busy %.1f%% cyc/pkt %s\n", l->lcore_id,
			l->nb_streams, elapsed > 0 ? 100.0 * (double)cycles / (double)elapsed : 0,
			cpp(cyc, sizeof(cyc), cycles, pkts));
	}
	fprintf(f, "rates: megabits per second count 20 bytes of preamble, start delimiter and "
		   "gap per frame; cyc/pkt counts the polls that moved packets only\n");
	fflush(f);
}
