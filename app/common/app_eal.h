/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_APP_EAL_H
#define VIO_APP_EAL_H

/*
 * EAL start-up shared by vio's tools that take "[EAL OPTION]... -- [OPTION]...":
 * the tool's quiet options always come first (so a user's --log-level still
 * wins), its defaults only when the user gave no EAL option, then the user's.
 */

/* Most EAL arguments a user may give before "--". */
#define APP_EAL_ARGS_MAX 64
/* Most quiet plus default arguments of a tool. */
#define APP_EAL_FIXED_MAX 32

/*
 * rte_eal_init() with that argument list. @p name prefixes the error message
 * on stderr. Returns 0, or -1 after printing why (too many arguments, or the
 * EAL failed).
 */
int app_eal_init(const char *name, const char *prog, const char *const *quiet,
		 unsigned int nb_quiet, const char *const *defaults, unsigned int nb_defaults,
		 int nb_user, char **user);

/*
 * After a failed rte_eal_init(): for each -d PATH of @p args below a
 * world-writable directory (which DPDK refuses), say so and what to do.
 */
void app_eal_plugin_hint(const char *name, int nb, char *const *args);

#endif /* VIO_APP_EAL_H */
