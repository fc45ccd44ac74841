/* SPDX-License-Identifier: BSD-3-Clause */

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "vio_test.h"

static bool eal_up;

int
vio_test_eal_init(const char *prog, const char *lcores)
{
	char *argv[] = {
		(char *)(uintptr_t)prog,
		"-l",
		(char *)(uintptr_t)lcores,
		"--no-huge",
		"-m",
		"512",
		"--no-pci",
		"--no-shconf",
		"--log-level",
		"lib.eal:error",
		"--log-level",
		"lib.vio.*:debug",
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0]));

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return -1;
	}
	eal_up = true;
	return 0;
}

int
vio_test_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static char *log_buf;
static size_t log_len;
static FILE *log_stream;

int
vio_test_log_capture(void)
{
	log_stream = open_memstream(&log_buf, &log_len);
	return log_stream != NULL && rte_openlog_stream(log_stream) == 0 ? 0 : -1;
}

size_t
vio_test_log_mark(void)
{
	fflush(log_stream);
	return log_len;
}

bool
vio_test_log_has(size_t mark, const char *s)
{
	fflush(log_stream);
	return log_buf != NULL && mark <= log_len && strstr(log_buf + mark, s) != NULL;
}

void
vio_test_log_dump(void)
{
	fflush(log_stream);
	fprintf(stderr, "--- log:\n%s", log_buf != NULL ? log_buf : "");
}

int
vio_test_run_logged(int argc, char **argv, const struct vio_test_case *cases, unsigned int nb)
{
	int ret = vio_test_run(argc, argv, cases, nb);

	if (ret != 0)
		vio_test_log_dump();
	return ret;
}

int
vio_test_fd_count_settled(int want)
{
	int i, n = vio_test_fd_count();

	for (i = 0; i < 200 && n != want; i++) {
		usleep(10000);
		n = vio_test_fd_count();
	}
	if (n != want) {
		/* What is open, for the failure's reader. */
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;

		while (d != NULL && (e = readdir(d)) != NULL) {
			char path[300], target[256];
			ssize_t len;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
			len = readlink(path, target, sizeof(target) - 1);
			target[len > 0 ? len : 0] = '\0';
			fprintf(stderr, "fd %s: %s\n", e->d_name, target);
		}
		if (d != NULL)
			closedir(d);
	}
	return n;
}

int
vio_test_map_count(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512], perms[8];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		n += sscanf(line, "%*s %7s", perms) == 1 && perms[3] == 's';
	fclose(f);
	return n;
}

uint64_t
vio_test_heap_bytes(void)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < rte_socket_count(); i++) {
		struct rte_malloc_socket_stats st;

		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			sum += st.heap_allocsz_bytes;
	}
	return sum;
}

struct vio_test_res
vio_test_res_get(void)
{
	return (struct vio_test_res){ vio_test_fd_count(), vio_test_map_count(),
				      vio_test_heap_bytes() };
}

int
vio_test_res_check(const struct vio_test_res *before, int ms)
{
	struct vio_test_res now = vio_test_res_get();
	int waited;

	for (waited = 0; waited < ms && (now.fds != before->fds || now.maps != before->maps ||
					 now.heap != before->heap);
	     waited += 10) {
		usleep(10000);
		now = vio_test_res_get();
	}
	T_EQ(now.fds, before->fds);
	T_EQ(now.maps, before->maps);
	T_EQ(now.heap, before->heap);
	return 0;
}

int
vio_test_run(int argc, char **argv, const struct vio_test_case *cases, unsigned int nb)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	unsigned int i, pass = 0, fail = 0, skip = 0;

	for (i = 0; i < nb; i++) {
		int ret;

		if (filter != NULL && strstr(cases[i].name, filter) == NULL)
			continue;
		ret = cases[i].fn();
		if (ret == 0) {
			pass++;
			printf("ok      %s\n", cases[i].name);
		} else if (ret == VIO_TEST_SKIP) {
			skip++;
			printf("skip    %s\n", cases[i].name);
		} else {
			fail++;
			printf("FAIL    %s\n", cases[i].name);
		}
		fflush(stdout);
	}
	printf("cases: %u ok, %u failed, %u skipped\n", pass, fail, skip);
	if (eal_up)
		rte_eal_cleanup();
	if (fail > 0)
		return 1;
	if (pass == 0 && skip > 0)
		return VIO_TEST_SKIP;
	return 0;
}
