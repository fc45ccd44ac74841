/* SPDX-License-Identifier: BSD-3-Clause */

/* Statistics over runs, the printed table and the CSV file. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "bench.h"

void
bench_sample_add(struct bench_sample *s, double v)
{
	if (s->n < BENCH_MAX_RUNS)
		s->v[s->n++] = v;
}

static int
double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
bench_summarize(const struct bench_sample *s, struct bench_summary *out)
{
	double v[BENCH_MAX_RUNS];
	unsigned int n = s->n;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	memcpy(v, s->v, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), double_cmp);
	out->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	out->min = v[0];
	out->max = v[n - 1];
}

/* Millions of packets per second at the TSC frequency, for @p cycles per packet. */
static double
mpps(uint64_t tsc_hz, double cycles)
{
	return cycles > 0 ? (double)tsc_hz / cycles / 1e6 : 0;
}

/* "  35.2 [  34.9..  36.0]" */
static void
print_summary(FILE *f, const struct bench_sample *s)
{
	struct bench_summary sum;

	bench_summarize(s, &sum);
	fprintf(f, "%6.1f [%6.1f..%6.1f]", sum.median, sum.min, sum.max);
}

static void
print_engine(FILE *f, const struct bench_opts *o, const struct bench_results *r)
{
	unsigned int i, d;

	fprintf(f,
		"vio engine: cycles per packet, median [min..max] of %u runs x %" PRIu64
		" packets\n",
		o->runs, RTE_ALIGN_CEIL(o->packets, o->burst));
	fprintf(f,
		"TSC %.3f GHz (Mpps = TSC Hz / median), burst %u, ring %u, mergeable %s, "
		"guest interrupts %s, software checksums %s\n",
		(double)r->tsc_hz / 1e9, o->burst, o->ring, o->mrg ? "on" : "off",
		o->notify ? "on" : "off", o->csum ? "on (--csum)" : "off");
	fprintf(f, "%-6s %5s  %-34s  %s\n", "ring", "size", "enqueue (host to guest)",
		"dequeue (guest to host)");
	for (i = 0; i < r->nb_cells; i++) {
		const struct bench_cell *c = &r->cells[i];

		fprintf(f, "%-6s %5u", c->packed ? "packed" : "split", c->pkt_len);
		for (d = 0; d < BENCH_NB_DIRS; d++) {
			struct bench_summary sum;

			bench_summarize(&c->dir[d], &sum);
			fprintf(f, "  ");
			print_summary(f, &c->dir[d]);
			fprintf(f, " %5.1f Mpps", mpps(r->tsc_hz, sum.median));
		}
		fprintf(f, "\n");
	}
	fprintf(f,
		"timed: the engine call only; includes the timer pair's %.0f cycles (%.1f per "
		"packet)\n",
		r->timer_overhead, r->timer_overhead / o->burst);
}

static void
print_mem(FILE *f, const struct bench_opts *o, const struct bench_results *r)
{
	unsigned int i;

	fprintf(f,
		"vio mem: cycles per translation of a random GPA, median [min..max] of %u runs x "
		"%" PRIu64 " lookups\n",
		o->runs, o->lookups);
	fprintf(f, "%7s  %-23s  %-23s  %s\n", "regions", "vio_mem_gpa_to_hva",
		"linear scan (reference)", "linear/vio");
	for (i = 0; i < r->nb_mem; i++) {
		const struct bench_mem_row *m = &r->mem[i];
		struct bench_summary x, l;

		bench_summarize(&m->xlate, &x);
		bench_summarize(&m->linear, &l);
		fprintf(f, "%7u  ", m->regions);
		print_summary(f, &m->xlate);
		fprintf(f, "  ");
		print_summary(f, &m->linear);
		fprintf(f, "  %9.2fx\n", x.median > 0 ? l.median / x.median : 0);
	}
}

void
bench_report_print(FILE *f, const struct bench_opts *o, const struct bench_results *r)
{
	if (r->nb_cells > 0)
		print_engine(f, o, r);
	if (r->nb_cells > 0 && r->nb_mem > 0)
		fprintf(f, "\n");
	if (r->nb_mem > 0)
		print_mem(f, o, r);
	fprintf(f, "\nwall time %.1f s\n", r->wall_s);
}

static void
csv_row(FILE *f, const struct bench_opts *o, const struct bench_results *r, const char *kind,
	const char *what, unsigned int param, const struct bench_sample *s, uint64_t per_run)
{
	struct bench_summary sum;

	bench_summarize(s, &sum);
	fprintf(f, "%s,%s,%u,%.2f,%.2f,%.2f,%.3f,%u,%" PRIu64 ",%u,%u,%d,%" PRIu64 "\n", kind, what,
		param, sum.median, sum.min, sum.max, mpps(r->tsc_hz, sum.median), s->n, per_run,
		o->burst, o->ring, o->mrg, r->tsc_hz);
}

int
bench_report_csv(FILE *f, const struct bench_opts *o, const struct bench_results *r)
{
	static const char *const dir_names[BENCH_NB_DIRS] = { "enqueue", "dequeue" };
	uint64_t per_run = RTE_ALIGN_CEIL(o->packets, o->burst);
	unsigned int i, d;

	/* kind: the measured call; what: ring type or lookup method; param: size or regions. */
	fprintf(f, "kind,what,param,median_cycles,min_cycles,max_cycles,mops_at_tsc,runs,"
		   "per_run,burst,ring_size,mergeable,tsc_hz\n");
	for (i = 0; i < r->nb_cells; i++) {
		const struct bench_cell *c = &r->cells[i];

		for (d = 0; d < BENCH_NB_DIRS; d++)
			csv_row(f, o, r, dir_names[d], c->packed ? "packed" : "split", c->pkt_len,
				&c->dir[d], per_run);
	}
	for (i = 0; i < r->nb_mem; i++) {
		csv_row(f, o, r, "mem_lookup", "vio_mem_gpa_to_hva", r->mem[i].regions,
			&r->mem[i].xlate, o->lookups);
		csv_row(f, o, r, "mem_lookup", "linear_scan", r->mem[i].regions, &r->mem[i].linear,
			o->lookups);
	}
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "vio-bench: --csv %s: %s\n", o->csv, strerror(errno));
		return -1;
	}
	return 0;
}
