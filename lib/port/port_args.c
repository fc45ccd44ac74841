/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Device arguments: DPDK net_vhost's keys (22.11, "doc/guides/nics/vhost.rst")
 * for a backend port and net_virtio_user's ("doc/guides/howto/virtio_user_*")
 * for a frontend port, with the same meanings, plus "driver". path= makes a
 * frontend port, iface= alone a backend port; a key of the other role is
 * refused by name, and so is a key vio cannot honour, rather than ignored.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <net/if.h>

#include <rte_kvargs.h>

#include "port_internal.h"
#include "vio_port.h"

typedef int (*arg_parse_fn)(const char *key, const char *value, struct vio_port_config *cfg);

/* "0" or "1", nothing else (net_vhost reads these with atoi; vio is strict). */
static int
parse_flag(const char *key, const char *value, bool *out)
{
	if (strcmp(value, "0") == 0 || strcmp(value, "1") == 0) {
		*out = value[0] == '1';
		return 0;
	}
	PORT_LOG(ERR, "%s=%s: not a flag (accepted: 0 or 1)", key, value);
	return -EINVAL;
}

/* A flag whose "1" vio does not do: refused with the reason. */
static int
parse_flag_off(const char *key, const char *value, const char *why)
{
	bool on;
	int ret = parse_flag(key, value, &on);

	if (ret < 0)
		return ret;
	if (on) {
		PORT_LOG(ERR, "%s=1: %s (accepted: 0)", key, why);
		return -ENOTSUP;
	}
	return 0;
}

/* A decimal number from @p min to @p max, nothing else (the caller names what it is). */
static bool
parse_uint(const char *value, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || n < min || n > max)
		return false;
	*out = n;
	return true;
}

static int
arg_iface(const char *key, const char *value, struct vio_port_config *cfg)
{
	size_t len = strlen(value);

	if (len == 0 || len > VIO_PORT_IFACE_MAX) {
		PORT_LOG(ERR, "%s=%s: a Unix socket path of 1 to %d bytes is needed", key, value,
			 VIO_PORT_IFACE_MAX);
		return -EINVAL;
	}
	memcpy(cfg->iface, value, len + 1);
	return 0;
}

static int
arg_queues(const char *key, const char *value, struct vio_port_config *cfg)
{
	unsigned long n;

	if (!parse_uint(value, 1, VIO_VHOST_MAX_QUEUE_PAIRS, &n)) {
		PORT_LOG(ERR, "%s=%s: queue pairs out of range (accepted: 1 to %d)", key, value,
			 VIO_VHOST_MAX_QUEUE_PAIRS);
		return -EINVAL;
	}
	cfg->nb_queue_pairs = (uint16_t)n;
	return 0;
}

static int
arg_client(const char *key, const char *value, struct vio_port_config *cfg)
{
	return parse_flag(key, value, &cfg->client);
}

static int
arg_iommu(const char *key, const char *value, struct vio_port_config *cfg)
{
	return parse_flag(key, value, &cfg->iommu);
}

static int
arg_tso(const char *key, const char *value, struct vio_port_config *cfg)
{
	return parse_flag(key, value, &cfg->tso);
}

static int
arg_linear(const char *key, const char *value, struct vio_port_config *cfg)
{
	return parse_flag(key, value, &cfg->linear_buffer);
}

static int
arg_postcopy(const char *key, const char *value, struct vio_port_config *cfg)
{
	RTE_SET_USED(cfg);
	return parse_flag_off(
		key, value,
		"vio has no postcopy live migration (VIO_VHOST_USER_PROTOCOL_F_PAGEFAULT)");
}

static int
arg_ext_buffer(const char *key, const char *value, struct vio_port_config *cfg)
{
	RTE_SET_USED(cfg);
	return parse_flag_off(key, value,
			      "vio copies every packet into mbufs of the application's mempool and "
			      "allocates no external buffers");
}

static int
arg_legacy_ol(const char *key, const char *value, struct vio_port_config *cfg)
{
	RTE_SET_USED(cfg);
	return parse_flag_off(key, value,
			      "vio reports the guest's offload requests as receive flags only "
			      "(the compliant mode of net_vhost's legacy-ol-flags=0)");
}

static int
arg_driver(const char *key, const char *value, struct vio_port_config *cfg)
{
	if (strcmp(value, "local") == 0) {
		cfg->driver = VIO_PORT_DRIVER_LOCAL;
		return 0;
	}
	if (strcmp(value, "remote") == 0) {
		cfg->driver = VIO_PORT_DRIVER_REMOTE;
		return 0;
	}
	if (strcmp(value, "kernel") == 0) {
		cfg->driver = VIO_PORT_DRIVER_KERNEL;
		return 0;
	}
	if (strcmp(value, "vdpa") == 0) {
		cfg->driver = VIO_PORT_DRIVER_VDPA;
		return 0;
	}
	PORT_LOG(ERR, "%s=%s: unknown driver (accepted: local, remote, kernel, vdpa)", key, value);
	return -EINVAL;
}

static int
arg_path(const char *key, const char *value, struct vio_port_config *cfg)
{
	size_t len = strlen(value);

	if (len == 0 || len > VIO_PORT_IFACE_MAX) {
		PORT_LOG(ERR, "%s=%s: a path of 1 to %d bytes is needed", key, value,
			 VIO_PORT_IFACE_MAX);
		return -EINVAL;
	}
	memcpy(cfg->path, value, len + 1);
	return 0;
}

static int
arg_server(const char *key, const char *value, struct vio_port_config *cfg)
{
	return parse_flag(key, value, &cfg->server);
}

static int
arg_queue_size(const char *key, const char *value, struct vio_port_config *cfg)
{
	unsigned long n;

	if (!parse_uint(value, 2, 32768, &n) || (n & (n - 1)) != 0) {
		PORT_LOG(ERR, "%s=%s: not a ring size (accepted: a power of two from 2 to 32768)",
			 key, value);
		return -EINVAL;
	}
	cfg->queue_size = (uint16_t)n;
	return 0;
}

static int
arg_mrg_rxbuf(const char *key, const char *value, struct vio_port_config *cfg)
{
	return parse_flag(key, value, &cfg->mrg_rxbuf);
}

static int
arg_in_order(const char *key, const char *value, struct vio_port_config *cfg)
{
	return parse_flag(key, value, &cfg->in_order);
}

static int
arg_packed_vq(const char *key, const char *value, struct vio_port_config *cfg)
{
	return parse_flag(key, value, &cfg->packed_vq);
}

static int
arg_cq(const char *key, const char *value, struct vio_port_config *cfg)
{
	return parse_flag(key, value, &cfg->cq);
}

static int
arg_vectorized(const char *key, const char *value, struct vio_port_config *cfg)
{
	bool on;

	RTE_SET_USED(cfg);
	/* net_virtio_user picks a SIMD path with it; vio has one data path. */
	return parse_flag(key, value, &on);
}

static int
arg_mac(const char *key, const char *value, struct vio_port_config *cfg)
{
	unsigned int b[6], i;
	char end;

	if (sscanf(value, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 ||
	    strlen(value) != 17) {
		PORT_LOG(ERR, "%s=%s: not a MAC address (accepted: xx:xx:xx:xx:xx:xx, hex)", key,
			 value);
		return -EINVAL;
	}
	if (b[0] & 1) {
		PORT_LOG(ERR, "%s=%s: a multicast address cannot be a port's", key, value);
		return -EINVAL;
	}
	for (i = 0; i < 6; i++)
		cfg->mac[i] = (uint8_t)b[i];
	cfg->mac_set = true;
	return 0;
}

static int
arg_speed(const char *key, const char *value, struct vio_port_config *cfg)
{
	unsigned long n;

	if (!parse_uint(value, 1, 400000, &n)) {
		PORT_LOG(ERR, "%s=%s: not a link speed (accepted: 1 to 400000, in Mbps)", key,
			 value);
		return -EINVAL;
	}
	cfg->speed = (uint32_t)n;
	return 0;
}

static int
arg_device(const char *key, const char *value, struct vio_port_config *cfg)
{
	size_t len = strlen(value);

	if (len == 0 || len >= sizeof(cfg->device)) {
		PORT_LOG(ERR, "%s=%s: a path of 1 to %zu bytes is needed", key, value,
			 sizeof(cfg->device) - 1);
		return -EINVAL;
	}
	memcpy(cfg->device, value, len + 1);
	return 0;
}

static int
arg_tap(const char *key, const char *value, struct vio_port_config *cfg)
{
	size_t len = strlen(value);

	if (len == 0 || len >= IFNAMSIZ || len >= sizeof(cfg->tap) || strchr(value, '/') != NULL) {
		PORT_LOG(ERR, "%s=%s: an interface name of 1 to %d bytes, no '/', is needed", key,
			 value, IFNAMSIZ - 1);
		return -EINVAL;
	}
	memcpy(cfg->tap, value, len + 1);
	return 0;
}

/* Which ports take a key. */
enum arg_role {
	ARG_BOTH,
	ARG_BACKEND,
	ARG_FRONTEND
};

static const struct {
	const char *key;
	arg_parse_fn parse;
	enum arg_role role;
} args_table[] = {
	{ "iface", arg_iface, ARG_BOTH }, /* with path=: the TAP of driver=kernel */
	{ "queues", arg_queues, ARG_BOTH },
	{ "client", arg_client, ARG_BACKEND },
	{ "iommu-support", arg_iommu, ARG_BACKEND },
	{ "postcopy-support", arg_postcopy, ARG_BACKEND },
	{ "tso", arg_tso, ARG_BACKEND },
	{ "linear-buffer", arg_linear, ARG_BACKEND },
	{ "ext-buffer", arg_ext_buffer, ARG_BACKEND },
	{ "legacy-ol-flags", arg_legacy_ol, ARG_BACKEND },
	{ "device", arg_device, ARG_BACKEND }, /* driver=kernel|vdpa: the vhost device */
	{ "tap", arg_tap, ARG_BACKEND },       /* driver=kernel: the TAP */
	{ "driver", arg_driver, ARG_BOTH },
	{ "path", arg_path, ARG_FRONTEND },
	{ "server", arg_server, ARG_FRONTEND },
	{ "queue_size", arg_queue_size, ARG_FRONTEND },
	{ "mrg_rxbuf", arg_mrg_rxbuf, ARG_FRONTEND },
	{ "in_order", arg_in_order, ARG_FRONTEND },
	{ "packed_vq", arg_packed_vq, ARG_FRONTEND },
	{ "cq", arg_cq, ARG_FRONTEND },
	{ "mac", arg_mac, ARG_FRONTEND },
	{ "speed", arg_speed, ARG_FRONTEND },
	{ "vectorized", arg_vectorized, ARG_FRONTEND },
};

const char *
vio_port_driver_name(enum vio_port_driver d)
{
	switch (d) {
	case VIO_PORT_DRIVER_LOCAL:
		return "local";
	case VIO_PORT_DRIVER_REMOTE:
		return "remote";
	case VIO_PORT_DRIVER_KERNEL:
		return "kernel";
	case VIO_PORT_DRIVER_VDPA:
		return "vdpa";
	}
	return "unknown";
}

/*
 * The driver a frontend port's path implies when driver= is not given, as
 * net_virtio_user decides: a character device named vhost-net is Linux
 * vhost-net, one named vhost-vdpa-N a vDPA device, anything else (a socket,
 * or nothing yet: a backend may come later) a vhost-user backend.
 */
static int
driver_from_path(const char *path, enum vio_port_driver *d)
{
	const char *base = strrchr(path, '/');
	struct stat st;

	base = base != NULL ? base + 1 : path;
	*d = VIO_PORT_DRIVER_REMOTE;
	if (stat(path, &st) != 0 || !S_ISCHR(st.st_mode))
		return 0;
	if (strcmp(base, "vhost-net") == 0) {
		*d = VIO_PORT_DRIVER_KERNEL;
		return 0;
	}
	if (strncmp(base, "vhost-vdpa-", strlen("vhost-vdpa-")) == 0) {
		*d = VIO_PORT_DRIVER_VDPA;
		return 0;
	}
	PORT_LOG(ERR,
		 "path=%s: a character device that is neither vhost-net nor vhost-vdpa-N "
		 "(name the driver with driver=kernel or driver=vdpa)",
		 path);
	return -EINVAL;
}

/* A frontend port's keys: the driver, and what only some drivers take. */
static int
frontend_check(struct vio_port_config *cfg, bool driver_given)
{
	int ret;

	if (!driver_given) {
		ret = driver_from_path(cfg->path, &cfg->driver);
		if (ret < 0)
			return ret;
	}
	if (cfg->iface[0] != '\0') {
		/* Beside path=, iface= is net_virtio_user's TAP name (vhost-net). */
		if (cfg->driver != VIO_PORT_DRIVER_KERNEL) {
			PORT_LOG(ERR,
				 "iface=%s beside path=: the TAP name of driver=kernel, not a key "
				 "of driver=%s",
				 cfg->iface, vio_port_driver_name(cfg->driver));
			return -EINVAL;
		}
		if (strlen(cfg->iface) >= IFNAMSIZ) {
			PORT_LOG(ERR, "iface=%s: a TAP name of 1 to %d bytes is needed", cfg->iface,
				 IFNAMSIZ - 1);
			return -EINVAL;
		}
	}
	/* driver=local: path= names a vio backend port's iface= in this process. */
	if (cfg->driver == VIO_PORT_DRIVER_LOCAL && cfg->server) {
		PORT_LOG(ERR, "driver=local with server=1: an in-process frontend port "
			      "attaches to its backend port and never listens");
		return -EINVAL;
	}
	if (cfg->server &&
	    (cfg->driver == VIO_PORT_DRIVER_KERNEL || cfg->driver == VIO_PORT_DRIVER_VDPA)) {
		PORT_LOG(ERR,
			 "driver=%s with server=1: a vhost character device is opened, "
			 "never listened on",
			 vio_port_driver_name(cfg->driver));
		return -EINVAL;
	}
	return 0;
}

/*
 * A backend port's driver: local, or kernel and vdpa, which hand the
 * frontend's rings to their device (device=, and tap= for kernel).
 */
static int
handoff_check(struct vio_port_config *cfg)
{
	const char *d = vio_port_driver_name(cfg->driver);

	if (cfg->driver == VIO_PORT_DRIVER_LOCAL) {
		if (cfg->device[0] != '\0' || cfg->tap[0] != '\0') {
			PORT_LOG(ERR,
				 "%s=%s: a key of driver=kernel or driver=vdpa, not of "
				 "driver=local",
				 cfg->device[0] != '\0' ? "device" : "tap",
				 cfg->device[0] != '\0' ? cfg->device : cfg->tap);
			return -EINVAL;
		}
		return 0;
	}
	if (cfg->tap[0] != '\0' && cfg->driver != VIO_PORT_DRIVER_KERNEL) {
		PORT_LOG(ERR, "tap=%s: the TAP of driver=kernel, not a key of driver=%s", cfg->tap,
			 d);
		return -EINVAL;
	}
	if (cfg->iommu) {
		PORT_LOG(ERR,
			 "iommu-support=1 with driver=%s: the device is given guest physical "
			 "addresses, there is no vIOMMU in the handoff (accepted: 0)",
			 d);
		return -ENOTSUP;
	}
	if (cfg->device[0] == '\0') {
		if (cfg->driver == VIO_PORT_DRIVER_VDPA) {
			PORT_LOG(ERR,
				 "driver=vdpa with iface=: device=/dev/vhost-vdpa-N is needed");
			return -EINVAL;
		}
		snprintf(cfg->device, sizeof(cfg->device), "/dev/vhost-net");
	}
	return 0;
}

/* The role the keys make, and whether each key given belongs to it. */
static int
role_check(struct vio_port_config *cfg, const bool *seen)
{
	bool frontend = cfg->path[0] != '\0', driver_given = false;
	unsigned int k;

	cfg->role = frontend ? VIO_PORT_ROLE_FRONTEND : VIO_PORT_ROLE_BACKEND;
	for (k = 0; k < RTE_DIM(args_table); k++) {
		if (seen[k] && strcmp(args_table[k].key, "driver") == 0)
			driver_given = true;
		if (!seen[k] || args_table[k].role == ARG_BOTH)
			continue;
		if (frontend && args_table[k].role == ARG_BACKEND) {
			PORT_LOG(ERR,
				 "%s: a key of backend ports (iface=), not of frontend ports "
				 "(path=)",
				 args_table[k].key);
			return -EINVAL;
		}
		if (!frontend && args_table[k].role == ARG_FRONTEND) {
			PORT_LOG(ERR,
				 "%s: a key of frontend ports (path=), not of backend ports "
				 "(iface=)",
				 args_table[k].key);
			return -EINVAL;
		}
	}
	if (frontend)
		return frontend_check(cfg, driver_given);
	if (cfg->iface[0] == '\0') {
		PORT_LOG(ERR, "iface=<socket path> (a backend port) or path=<socket path> (a "
			      "frontend port) is required");
		return -EINVAL;
	}
	if (cfg->driver == VIO_PORT_DRIVER_REMOTE) {
		PORT_LOG(ERR, "driver=remote with iface=: remote drives a backend from a "
			      "frontend port (path=); a backend port takes driver=local");
		return -EINVAL;
	}
	return handoff_check(cfg);
}

int
vio_port_config_parse(const char *args, struct vio_port_config *cfg)
{
	struct rte_kvargs *kv;
	bool seen[RTE_DIM(args_table)] = { false };
	unsigned int i, k;
	int ret = 0;

	if (cfg == NULL)
		return -EINVAL;
	memset(cfg, 0, sizeof(*cfg));
	cfg->role = VIO_PORT_ROLE_BACKEND;
	cfg->driver = VIO_PORT_DRIVER_LOCAL;
	cfg->nb_queue_pairs = 1;
	cfg->queue_size = VIO_PORT_QUEUE_SIZE_DEFAULT;
	cfg->mrg_rxbuf = true;
	if (args == NULL || args[0] == '\0') {
		PORT_LOG(ERR, "iface=<socket path> (a backend port) or path=<socket path> (a "
			      "frontend port) is required");
		return -EINVAL;
	}
	/* No key list: rte_kvargs would refuse an unknown key without naming it. */
	kv = rte_kvargs_parse(args, NULL);
	if (kv == NULL) {
		PORT_LOG(ERR, "cannot parse the device arguments \"%s\" (key=value,key=value)",
			 args);
		return -EINVAL;
	}
	for (i = 0; i < kv->count && ret == 0; i++) {
		const struct rte_kvargs_pair *p = &kv->pairs[i];

		for (k = 0; k < RTE_DIM(args_table); k++)
			if (strcmp(p->key, args_table[k].key) == 0)
				break;
		if (k == RTE_DIM(args_table)) {
			PORT_LOG(ERR, "unknown device argument \"%s\" (accepted: %s)", p->key,
				 VIO_PORT_DEVARGS);
			ret = -EINVAL;
		} else if (seen[k]) {
			PORT_LOG(ERR, "device argument \"%s\" given twice", p->key);
			ret = -EINVAL;
		} else if (p->value == NULL) {
			PORT_LOG(ERR, "device argument \"%s\" needs a value", p->key);
			ret = -EINVAL;
		} else {
			seen[k] = true;
			ret = args_table[k].parse(p->key, p->value, cfg);
		}
	}
	rte_kvargs_free(kv);
	if (ret == 0)
		ret = role_check(cfg, seen);
	return ret;
}
