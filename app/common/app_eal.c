/* SPDX-License-Identifier: BSD-3-Clause */

#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "app_eal.h"

/* The first world-writable directory at or above @p path's directory, in @p out. */
static bool
world_writable_above(const char *path, char *out, size_t len)
{
	char buf[PATH_MAX];
	char *d;

	if (realpath(path, buf) == NULL)
		return false;
	d = buf;
	for (;;) {
		struct stat st;

		d = dirname(d);
		if (stat(d, &st) == 0 && (st.st_mode & S_IWOTH)) {
			snprintf(out, len, "%s", d);
			return true;
		}
		if (strcmp(d, "/") == 0 || strcmp(d, ".") == 0)
			return false;
	}
}

void
app_eal_plugin_hint(const char *name, int nb, char *const *args)
{
	char dir[PATH_MAX];
	int i;

	for (i = 0; i < nb; i++) {
		const char *path = NULL;

		if (strcmp(args[i], "-d") == 0 && i + 1 < nb)
			path = args[++i];
		else if (strncmp(args[i], "-d", 2) == 0 && args[i][2] != '\0')
			path = args[i] + 2;
		if (path == NULL || !world_writable_above(path, dir, sizeof(dir)))
			continue;
		fprintf(stderr,
			"%s: -d %s: DPDK loads no plugin below a world-writable directory (%s "
			"is);\n"
			"%s: copy it to a private directory (devtools/stage-pmd.sh does, keeping "
			"its\n"
			"%s: RUNPATH), or load the installed one (<libdir>/dpdk/pmds-vio)\n",
			name, path, dir, name, name);
	}
}

int
app_eal_init(const char *name, const char *prog, const char *const *quiet, unsigned int nb_quiet,
	     const char *const *defaults, unsigned int nb_defaults, int nb_user, char **user)
{
	/* Static: the EAL may keep pointers into argv after rte_eal_init() returns. */
	static char *argv[1 + APP_EAL_FIXED_MAX + APP_EAL_ARGS_MAX + 1];
	unsigned int nb_def = nb_user > 0 ? 0 : nb_defaults;
	int argc = 0, i;

	if (nb_user < 0 || nb_user > APP_EAL_ARGS_MAX || nb_quiet + nb_def > APP_EAL_FIXED_MAX) {
		fprintf(stderr, "%s: %d EAL arguments before \"--\": at most %d\n", name, nb_user,
			APP_EAL_ARGS_MAX);
		return -1;
	}
	argv[argc++] = (char *)(uintptr_t)prog;
	for (i = 0; i < (int)nb_quiet; i++)
		argv[argc++] = (char *)(uintptr_t)quiet[i];
	for (i = 0; i < (int)nb_def; i++)
		argv[argc++] = (char *)(uintptr_t)defaults[i];
	for (i = 0; i < nb_user; i++)
		argv[argc++] = user[i];
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "%s: EAL initialisation failed: %s\n", name,
			rte_strerror(rte_errno));
		app_eal_plugin_hint(name, nb_user, user);
		return -1;
	}
	return 0;
}
