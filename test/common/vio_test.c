/* SPDX-License-Identifier: BSD-3-Clause */

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>

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
