/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio-bench: EAL set-up and the order of the measurements; the table is
 * printed once everything ran (doc/benchmark.md).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "app_eal.h"
#include "bench.h"

/* EAL options without "--": one core, no hugepages, nothing shared with other processes. */
static const char *const eal_defaults[] = {
	"-l", "0", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry",
};
/* Always first, so that the output is the table and a user's --log-level still wins. */
static const char *const eal_quiet[] = {
	"--log-level",
	"lib.eal:error",
	"--log-level",
	"lib.telemetry:error",
};

/* Bytes of packet data (after the net header): the classic smallest and largest frame sizes. */
static const uint32_t pkt_sizes[] = { 64, 1518 };

/* Cycles that two back-to-back rte_rdtsc_precise() measure: what each timed burst adds. */
static double
timer_overhead(void)
{
	static struct bench_sample s;
	struct bench_summary sum;
	unsigned int i;

	for (i = 0; i < 999; i++) {
		uint64_t t0 = rte_rdtsc_precise();
		uint64_t t1 = rte_rdtsc_precise();

		bench_sample_add(&s, (double)(t1 - t0));
	}
	bench_summarize(&s, &sum);
	return sum.median;
}

/*
 * Every cell and direction has its own queue, and the runs are interleaved
 * (run 1 of every cell, then run 2, ...), so that a slow spell of the machine
 * spreads over the whole table instead of spoiling one cell. Each timed run
 * comes after an untimed warm-up of an eighth of it on the same queue.
 */
static int
run_engine(const struct bench_opts *o, struct bench_results *r)
{
	struct bench_engine *b[RTE_DIM(r->cells)][BENCH_NB_DIRS];
	uint64_t warm = RTE_MAX(o->packets / 8, (uint64_t)o->ring * 4);
	unsigned int i, d, run;
	int ret = -1;

	memset(b, 0, sizeof(b));
	r->nb_cells = RTE_DIM(r->cells);
	for (i = 0; i < r->nb_cells; i++) {
		struct bench_cell *c = &r->cells[i];

		c->packed = i >= RTE_DIM(pkt_sizes);
		c->pkt_len = pkt_sizes[i % RTE_DIM(pkt_sizes)];
		for (d = 0; d < BENCH_NB_DIRS; d++) {
			b[i][d] = bench_engine_create(o, c->packed, d, c->pkt_len);
			if (b[i][d] == NULL)
				goto out;
		}
	}
	for (run = 0; run < o->runs; run++) {
		for (i = 0; i < r->nb_cells; i++) {
			for (d = 0; d < BENCH_NB_DIRS; d++) {
				double c;

				if (bench_engine_run(b[i][d], warm) < 0)
					goto out;
				c = bench_engine_run(b[i][d], o->packets);
				if (c < 0)
					goto out;
				bench_sample_add(&r->cells[i].dir[d], c);
			}
		}
	}
	ret = 0;
out:
	for (i = 0; i < RTE_DIM(r->cells); i++)
		for (d = 0; d < BENCH_NB_DIRS; d++)
			bench_engine_free(b[i][d]);
	return ret;
}

static int
run_mem(const struct bench_opts *o, struct bench_results *r)
{
	unsigned int i;

	for (i = 0; i < o->nb_mem_regions; i++) {
		r->mem[i].regions = o->mem_regions[i];
		if (bench_mem_run(o, &r->mem[i]) < 0)
			return -1;
		r->nb_mem = i + 1;
	}
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static struct bench_opts opts;
	static struct bench_results res;
	FILE *csv = NULL;
	double start = now_s();
	int nb_eal = 0, first_opt = 1, i, ret = 0;

	/* Like DPDK's applications: EAL options, "--", then the program's own. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			nb_eal = i - 1;
			first_opt = i + 1;
			break;
		}
	}
	bench_opts_default(&opts);
	if (bench_opts_parse(&opts, argc - first_opt, argv + first_opt) < 0)
		return BENCH_EXIT_USAGE;
	if (opts.help) {
		bench_usage(stdout);
		return 0;
	}
	/* Opened now: a path that cannot be written is an argument error, found before measuring. */
	if (opts.csv != NULL) {
		csv = fopen(opts.csv, "w");
		if (csv == NULL) {
			fprintf(stderr, "vio-bench: --csv %s: %s\n", opts.csv, strerror(errno));
			return BENCH_EXIT_USAGE;
		}
	}
	if (app_eal_init("vio-bench", argv[0], eal_quiet, RTE_DIM(eal_quiet), eal_defaults,
			 RTE_DIM(eal_defaults), nb_eal, argv + 1) < 0) {
		if (csv != NULL)
			fclose(csv);
		return BENCH_EXIT_FAIL;
	}
	res.tsc_hz = rte_get_tsc_hz();
	res.timer_overhead = timer_overhead();
	if ((opts.engine && run_engine(&opts, &res) < 0) || (opts.mem && run_mem(&opts, &res) < 0))
		ret = BENCH_EXIT_FAIL;
	res.wall_s = now_s() - start;
	if (ret == 0)
		bench_report_print(stdout, &opts, &res);
	if (csv != NULL && ret == 0 && bench_report_csv(csv, &opts, &res) < 0)
		ret = BENCH_EXIT_FAIL;
	else if (csv != NULL && ret != 0)
		fclose(csv);
	rte_eal_cleanup();
	return ret;
}
