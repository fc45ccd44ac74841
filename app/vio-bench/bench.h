/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_BENCH_H
#define VIO_BENCH_H

/*
 * vio-bench: cycles per packet of the device engine's bursts, and cycles per
 * translation of the guest memory table (doc/benchmark.md).
 *
 * One concern per file: args.c the options and the usage text, main.c the
 * EAL and the order of the measurements, bench_engine.c the engine bursts
 * against a simulated guest, bench_mem.c the memory table lookups, report.c
 * the statistics, the table and the CSV file.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Most runs of one measurement (--runs); the samples are kept to take a median. */
#define BENCH_MAX_RUNS 1000
/* Most memory tables of --mem-regions. */
#define BENCH_MAX_MEM_TABLES 16

/* Exit statuses: a benchmark that failed, bad arguments (as getopt-style tools do). */
#define BENCH_EXIT_FAIL  1
#define BENCH_EXIT_USAGE 2

/* The benchmark options (after "--"); defaults in bench_opts_default(). */
struct bench_opts {
	uint16_t burst;       /* --burst: packets per engine call */
	uint16_t ring;        /* --ring: entries of every virtqueue */
	uint64_t packets;     /* --packets: packets per run of each cell */
	unsigned int runs;    /* --runs: timed runs of each cell */
	bool mrg;             /* --mrg: negotiate VIRTIO_NET_F_MRG_RXBUF */
	uint32_t buf_len;     /* --buf-len: bytes of each guest receive buffer */
	unsigned int regions; /* --regions: guest memory regions of the engine cells */
	bool notify;          /* --notify: the guest keeps interrupts on */
	bool csum;   /* --csum: UDP/IPv4 packets with partial checksums, done in software */
	bool engine; /* false with --no-engine */
	bool mem;    /* false with --no-mem */
	unsigned int mem_regions[BENCH_MAX_MEM_TABLES]; /* --mem-regions */
	unsigned int nb_mem_regions;
	uint64_t lookups; /* --lookups: translations per run */
	const char *csv;  /* --csv: also write this file */
	bool help;        /* --help */
};

/* args.c */
void bench_opts_default(struct bench_opts *o);
/* Parse the benchmark options; 0, or -1 after printing what is wrong to stderr. */
int bench_opts_parse(struct bench_opts *o, int argc, char **argv);
void bench_usage(FILE *f);

/* The runs of one measurement, in cycles per packet or per lookup. */
struct bench_sample {
	double v[BENCH_MAX_RUNS];
	unsigned int n;
};

struct bench_summary {
	double median;
	double min;
	double max;
};

/* One line of the engine table: a ring type and a packet size, both directions. */
enum bench_dir {
	BENCH_DIR_ENQUEUE, /* host to guest: vio_vq_enqueue_burst */
	BENCH_DIR_DEQUEUE, /* guest to host: vio_vq_dequeue_burst */
	BENCH_NB_DIRS,
};

struct bench_cell {
	bool packed;
	uint32_t pkt_len;
	struct bench_sample dir[BENCH_NB_DIRS];
};

/* One line of the memory table. */
struct bench_mem_row {
	unsigned int regions;
	struct bench_sample xlate;  /* vio_mem_gpa_to_hva */
	struct bench_sample linear; /* the reference linear scan */
};

/* Everything the report prints. */
struct bench_results {
	uint64_t tsc_hz;
	double timer_overhead; /* cycles of one rte_rdtsc_precise() pair */
	struct bench_cell cells[4];
	unsigned int nb_cells;
	struct bench_mem_row mem[BENCH_MAX_MEM_TABLES];
	unsigned int nb_mem;
	double wall_s;
};

/* report.c */
void bench_sample_add(struct bench_sample *s, double v);
void bench_summarize(const struct bench_sample *s, struct bench_summary *out);
void bench_report_print(FILE *f, const struct bench_opts *o, const struct bench_results *r);
/* Write and close the CSV file of --csv, opened before measuring; 0 or -1 (reason printed). */
int bench_report_csv(FILE *f, const struct bench_opts *o, const struct bench_results *r);

/* bench_engine.c: one cell and direction, against its own guest. */
struct bench_engine;

/* Set up the guest, the queue and the packets, and check one burst end to end; NULL on error. */
struct bench_engine *bench_engine_create(const struct bench_opts *o, bool packed,
					 enum bench_dir dir, uint32_t pkt_len);
/*
 * Move @p nb_pkts packets (rounded up to whole bursts), every burst full.
 * Returns the cycles per packet of the engine calls, or a negative value
 * after printing what went wrong.
 */
double bench_engine_run(struct bench_engine *b, uint64_t nb_pkts);
void bench_engine_free(struct bench_engine *b);

/* bench_mem.c: one memory table of @p nb_regions regions, runs appended to the row. */
int bench_mem_run(const struct bench_opts *o, struct bench_mem_row *row);

#endif /* VIO_BENCH_H */
