/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The two libraries behind one set of calls. Both serve the socket in server
 * mode with the same callbacks' effect: record the device when it is ready,
 * forget it when it goes away. Each is set up the way its own ethdev driver
 * sets it up for a polling application: the guest's kicks are turned off
 * (vio does it for every queue it creates; for rte_vhost the application
 * asks, as DPDK's net_vhost does when Rx interrupts are off), and the guest
 * decides about its own interrupts (a DPDK virtio PMD turns them off).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_vhost.h>

#include "cmp.h"
#include "vio_vhost.h"

struct cmp_conn cmp_conn = { .vid = -1 };
const char *const cmp_lib_names[CMP_NB_LIBS] = { "vio", "dpdk" };

/* Served socket; only the main thread changes these. */
static enum cmp_lib served_lib = CMP_NB_LIBS;
static char served_path[108];

static void
conn_ready(int vid)
{
	atomic_store(&cmp_conn.vid, vid);
	atomic_fetch_add(&cmp_conn.generation, 1);
	atomic_fetch_add(&cmp_conn.nb_ready, 1);
}

static void
conn_gone(int vid)
{
	atomic_compare_exchange_strong(&cmp_conn.vid, &vid, -1);
	atomic_fetch_add(&cmp_conn.generation, 1);
	atomic_fetch_add(&cmp_conn.nb_destroyed, 1);
}

static int
vio_new_device(int vid, void *ctx)
{
	(void)ctx;
	conn_ready(vid);
	return 0;
}

static void
vio_destroy_device(int vid, void *ctx)
{
	(void)ctx;
	conn_gone(vid);
}

static const struct vio_vhost_ops vio_ops = {
	.new_device_cb = vio_new_device,
	.destroy_device_cb = vio_destroy_device,
};

static int
dpdk_new_device(int vid)
{
	uint16_t q;

	/* What net_vhost does for a polling port: the guest need not kick. */
	for (q = 0; q < rte_vhost_get_vring_num(vid); q++)
		rte_vhost_enable_guest_notification(vid, q, 0);
	conn_ready(vid);
	return 0;
}

static void
dpdk_destroy_device(int vid)
{
	conn_gone(vid);
}

static const struct rte_vhost_device_ops dpdk_ops = {
	.new_device = dpdk_new_device,
	.destroy_device = dpdk_destroy_device,
};

int
cmp_backend_probe(uint64_t dpdk_flags, uint64_t offered[CMP_NB_LIBS])
{
	/* Registration alone creates no socket file in either library. */
	static const char probe[] = "vio-cmp-probe.sock";
	int ret;

	ret = vio_vhost_register(probe, 0);
	if (ret == 0) {
		ret = vio_vhost_get_features_offered(probe, &offered[CMP_LIB_VIO]);
		vio_vhost_unregister(probe);
	}
	if (ret < 0) {
		fprintf(stderr, "vio-cmp: vio: cannot read the offered features: %s\n",
			strerror(-ret));
		return ret;
	}
	ret = rte_vhost_driver_register(probe, dpdk_flags);
	if (ret == 0) {
		ret = rte_vhost_driver_get_features(probe, &offered[CMP_LIB_DPDK]);
		rte_vhost_driver_unregister(probe);
	}
	if (ret < 0) {
		fprintf(stderr, "vio-cmp: rte_vhost: cannot read the offered features\n");
		return -EIO;
	}
	return 0;
}

static int
serve_vio(const char *path, uint64_t features)
{
	int ret;

	ret = vio_vhost_register(path, 0);
	if (ret < 0)
		return ret;
	ret = vio_vhost_set_features(path, features);
	if (ret == 0)
		ret = vio_vhost_callbacks_register(path, &vio_ops, NULL);
	if (ret == 0)
		ret = vio_vhost_start(path);
	if (ret < 0)
		vio_vhost_unregister(path);
	return ret;
}

static int
serve_dpdk(const char *path, uint64_t features, uint64_t flags)
{
	uint64_t offered;

	/* rte_vhost returns -1 for every failure; its log says why. */
	if (rte_vhost_driver_register(path, flags) < 0)
		return -EIO;
	/*
	 * Disable, not set: rte_vhost_driver_set_features() would also turn
	 * off rte_vhost's own virtio-net data path (its bursts then refuse to
	 * run), as it means "the application implements the device".
	 */
	if (rte_vhost_driver_get_features(path, &offered) < 0 ||
	    rte_vhost_driver_disable_features(path, offered & ~features) < 0 ||
	    rte_vhost_driver_callback_register(path, &dpdk_ops) < 0 ||
	    rte_vhost_driver_start(path) < 0) {
		rte_vhost_driver_unregister(path);
		return -EIO;
	}
	return 0;
}

int
cmp_backend_serve(enum cmp_lib lib, const char *path, uint64_t features, uint64_t dpdk_flags)
{
	int ret;

	if (served_lib != CMP_NB_LIBS)
		return -EBUSY;
	if (strlen(path) >= sizeof(served_path))
		return -ENAMETOOLONG;
	atomic_store(&cmp_conn.vid, -1);
	atomic_store(&cmp_conn.nb_ready, 0);
	atomic_store(&cmp_conn.nb_destroyed, 0);
	ret = lib == CMP_LIB_VIO ? serve_vio(path, features)
				 : serve_dpdk(path, features, dpdk_flags);
	if (ret < 0)
		return ret;
	served_lib = lib;
	memcpy(served_path, path, strlen(path) + 1);
	return 0;
}

int
cmp_backend_close(void)
{
	int ret;

	if (served_lib == CMP_NB_LIBS)
		return -ENOENT;
	/* Both return once the device is destroyed (its callback has run). */
	if (served_lib == CMP_LIB_VIO)
		ret = vio_vhost_unregister(served_path);
	else
		ret = rte_vhost_driver_unregister(served_path) < 0 ? -EIO : 0;
	served_lib = CMP_NB_LIBS;
	atomic_store(&cmp_conn.vid, -1);
	return ret;
}

enum cmp_lib
cmp_backend_lib(void)
{
	return served_lib;
}

int
cmp_backend_offered(uint64_t *features)
{
	if (served_lib == CMP_NB_LIBS)
		return -ENOENT;
	if (served_lib == CMP_LIB_VIO)
		return vio_vhost_get_features_offered(served_path, features);
	return rte_vhost_driver_get_features(served_path, features) < 0 ? -EIO : 0;
}

int
cmp_backend_notifications(int vid, uint16_t queue_id, uint64_t *count)
{
	static const char suffix[] = "_guest_notifications";
	struct rte_vhost_stat_name *names = NULL;
	struct rte_vhost_stat *stats = NULL;
	int n, i, ret = -ENOENT;

	if (served_lib == CMP_LIB_VIO) {
		struct vio_vq_stats st;

		ret = vio_vhost_queue_stats_get(vid, queue_id, &st);
		if (ret == 0)
			*count = st.guest_notifications;
		return ret;
	}
	if (served_lib != CMP_LIB_DPDK)
		return -ENOENT;
	/* Only with RTE_VHOST_USER_NET_STATS_ENABLE; called outside the timed loops. */
	n = rte_vhost_vring_stats_get_names(vid, queue_id, NULL, 0);
	if (n <= 0)
		return -ENOTSUP;
	names = calloc((size_t)n, sizeof(*names));
	stats = calloc((size_t)n, sizeof(*stats));
	if (names != NULL && stats != NULL &&
	    rte_vhost_vring_stats_get_names(vid, queue_id, names, (unsigned int)n) == n &&
	    rte_vhost_vring_stats_get(vid, queue_id, stats, (unsigned int)n) == n) {
		for (i = 0; i < n; i++) {
			/* Named "<rx|tx>_q<N>_guest_notifications" by rte_vhost. */
			const char *name;
			size_t len;

			if (stats[i].id >= (uint64_t)n)
				continue;
			name = names[stats[i].id].name;
			len = strlen(name);

			if (len >= sizeof(suffix) - 1 &&
			    strcmp(name + len - (sizeof(suffix) - 1), suffix) == 0) {
				*count = stats[i].value;
				ret = 0;
				break;
			}
		}
	}
	free(names);
	free(stats);
	return ret;
}

int
cmp_backend_negotiated(int vid, uint64_t *features)
{
	if (served_lib == CMP_NB_LIBS)
		return -ENOENT;
	if (served_lib == CMP_LIB_VIO)
		return vio_vhost_get_negotiated_features(vid, features);
	return rte_vhost_get_negotiated_features(vid, features) < 0 ? -ENODEV : 0;
}
