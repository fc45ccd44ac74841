/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio-fwd: EAL set-up, the launch of the forwarding lcores, the monitor
 * (live statistics, --duration, signals) and the orderly shutdown
 * (doc/app.md).
 */

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "app_eal.h"
#include "fwd.h"

#define PROG "vio-fwd"

/* How often the monitor wakes up to look at the stop flag and the clock. */
#define MONITOR_TICK_US 10000

struct monitor {
	struct fwd_ctx *ctx;
	struct fwd_stats *stats;
};

static void
on_signal(int sig)
{
	RTE_SET_USED(sig);
	fwd_request_stop();
}

static int
signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
		fprintf(stderr, PROG ": sigaction: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Until a signal or --duration: a line of statistics every --stats-period.
 * Then the stop flag for the forwarding lcores, and the time it was raised.
 */
static void *
monitor_run(void *arg)
{
	struct monitor *m = arg;
	struct fwd_ctx *ctx = m->ctx;
	const struct fwd_opts *o = ctx->opts;
	uint64_t period = (uint64_t)(o->stats_period * (double)ctx->tsc_hz);
	uint64_t end = o->duration > 0
			       ? ctx->start_tsc + (uint64_t)(o->duration * (double)ctx->tsc_hz)
			       : 0;
	uint64_t next = ctx->start_tsc + period;
	bool live = period > 0 && !o->quiet;

	while (!fwd_stop_requested()) {
		uint64_t now = rte_rdtsc();

		if (end != 0 && now >= end) {
			fwd_request_stop();
			break;
		}
		if (live && now >= next) {
			fwd_stats_period(m->stats, stdout);
			next += period;
			if (next <= now)
				next = now + period;
		}
		rte_delay_us_sleep(MONITOR_TICK_US);
	}
	ctx->stop_tsc = rte_rdtsc();
	return NULL;
}

/* Launch, watch, stop; returns when every forwarding lcore has returned. */
static int
forward(struct fwd_ctx *ctx, struct fwd_stats *stats)
{
	struct monitor m = { .ctx = ctx, .stats = stats };
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ctx->nb_lcores; i++) {
		struct fwd_lcore *l = &ctx->lcores[i];

		if (l->lcore_id == rte_get_main_lcore())
			continue;
		ret = rte_eal_remote_launch(fwd_lcore_main, l, l->lcore_id);
		if (ret != 0) {
			fprintf(stderr, PROG ": cannot launch lcore %u: %s\n", l->lcore_id,
				strerror(-ret));
			fwd_request_stop();
			break;
		}
	}
	if (ctx->main_forwards && ret == 0) {
		pthread_t tid;

		ret = rte_ctrl_thread_create(&tid, "vio-fwd-stats", NULL, monitor_run, &m);
		if (ret != 0) {
			fprintf(stderr, PROG ": cannot start the statistics thread: %s\n",
				strerror(ret));
			fwd_request_stop();
		} else {
			fwd_lcore_main(&ctx->lcores[0]);
			pthread_join(tid, NULL);
		}
	} else {
		monitor_run(&m);
	}
	rte_eal_mp_wait_lcore();
	if (ctx->stop_tsc == 0)
		ctx->stop_tsc = rte_rdtsc();
	return ret == 0 ? 0 : FWD_EXIT_FAIL;
}

/* The EAL's runtime directory, once it exists. */
static char run_dir[PATH_MAX];

/*
 * At exit, after the EAL's own handlers (telemetry unlinks its socket in
 * one): the EAL leaves its runtime directory behind. When this process was
 * alone in it (--in-memory, --no-shconf) it is empty now and goes; otherwise
 * rmdir() fails, harmlessly.
 */
static void
run_dir_remove(void)
{
	if (run_dir[0] != '\0')
		rmdir(run_dir);
}

/* Most EAL arguments accepted before "--". */
#define EAL_ARGS_MAX 256

static int
eal_init(const char *prog, int nb, char **args)
{
	/* Static: the EAL may keep pointers into argv after rte_eal_init() returns. */
	static char *argv[1 + EAL_ARGS_MAX + 1];
	int i;

	if (nb > EAL_ARGS_MAX) {
		fprintf(stderr, PROG ": %d EAL arguments before \"--\": at most %d\n", nb,
			EAL_ARGS_MAX);
		return FWD_EXIT_USAGE;
	}
	argv[0] = (char *)(uintptr_t)prog;
	for (i = 0; i < nb; i++)
		argv[i + 1] = args[i];
	if (rte_eal_init(nb + 1, argv) < 0) {
		int err = rte_errno;

		fprintf(stderr, PROG ": EAL initialisation failed: %s\n", rte_strerror(err));
		app_eal_plugin_hint(PROG, nb, args);
		return err == EINVAL ? FWD_EXIT_USAGE : FWD_EXIT_FAIL;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct fwd_opts opts;
	static struct fwd_ctx ctx;
	struct fwd_stats *stats = NULL;
	int nb_eal = argc - 1, first = argc, i, ret;

	/* Like DPDK's applications: EAL options, "--", then the app's own. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			nb_eal = i - 1;
			first = i;
			break;
		}
	}
	fwd_opts_default(&opts);
	/* "vio-fwd --help" alone is ours; "vio-fwd --help --" is the EAL's. */
	if (first == argc && argc == 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fwd_usage(stdout);
		return 0;
	}
	if (first < argc && fwd_opts_parse(&opts, argc - first, argv + first) < 0)
		return FWD_EXIT_USAGE;
	if (opts.help) {
		fwd_usage(stdout);
		return 0;
	}
	/* Lines reach a log file as they are printed. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Before the EAL: a signal during set-up stops the app right after it. */
	if (signals_install() < 0)
		return FWD_EXIT_FAIL;
	/* Before the EAL's own exit handlers, so that it runs after them. */
	atexit(run_dir_remove);
	ret = eal_init(argv[0], nb_eal, argv + 1);
	if (ret != 0)
		return ret;
	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());

	ctx.opts = &opts;
	ret = fwd_setup(&ctx);
	if (ret == 0 && !opts.quiet)
		fwd_print_config(&ctx, stdout);
	if (ret == 0) {
		ctx.start_tsc = rte_rdtsc();
		stats = fwd_stats_create(&ctx);
		if (stats == NULL) {
			fprintf(stderr, PROG ": out of memory for the statistics\n");
			ret = FWD_EXIT_FAIL;
		}
	}
	if (ret == 0)
		ret = forward(&ctx, stats);
	if (stats != NULL)
		fwd_stats_summary(stats, stdout);
	fwd_stats_free(stats);
	fwd_teardown(&ctx);
	rte_eal_cleanup();
	return ret;
}
