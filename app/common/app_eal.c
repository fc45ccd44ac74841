/* SPDX-License-Identifier: BSD-3-Clause */

#include <stdint.h>
#include <stdio.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "app_eal.h"

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
		return -1;
	}
	return 0;
}
