/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Device arguments: DPDK net_vhost's keys (22.11, "doc/guides/nics/vhost.rst")
 * with the same meanings, plus "driver". A key vio cannot honour is refused
 * by name rather than ignored.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || n < 1 ||
	    n > VIO_VHOST_MAX_QUEUE_PAIRS) {
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
	if (strcmp(value, "kernel") == 0 || strcmp(value, "vdpa") == 0) {
		PORT_LOG(ERR, "%s=%s: driver not available yet (accepted: local)", key, value);
		return -ENOTSUP;
	}
	PORT_LOG(ERR, "%s=%s: unknown driver (accepted: local; kernel and vdpa are planned)", key,
		 value);
	return -EINVAL;
}

static const struct {
	const char *key;
	arg_parse_fn parse;
} args_table[] = {
	{ "iface", arg_iface },
	{ "queues", arg_queues },
	{ "client", arg_client },
	{ "iommu-support", arg_iommu },
	{ "postcopy-support", arg_postcopy },
	{ "tso", arg_tso },
	{ "linear-buffer", arg_linear },
	{ "ext-buffer", arg_ext_buffer },
	{ "legacy-ol-flags", arg_legacy_ol },
	{ "driver", arg_driver },
};

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
	if (args == NULL || args[0] == '\0') {
		PORT_LOG(ERR, "iface=<socket path> is required");
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
	if (ret == 0 && cfg->iface[0] == '\0') {
		PORT_LOG(ERR, "iface=<socket path> is required");
		ret = -EINVAL;
	}
	return ret;
}
