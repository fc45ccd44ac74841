/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The "remote" driver: the device side of the rings is another process, a
 * vhost-user backend on a Unix socket (DPDK's net_vhost, vio's own backend,
 * qemu-storage-daemon), and the backend ops become vhost-user requests
 * through the generic frontend (vio_vhost_frontend.h), which checks every
 * reply. This is the frontend role's driver; the backend role has none
 * (a vhost-user server never drives another server).
 *
 * The "local" driver's frontend role is this file too: the same requests,
 * handed in-process to a vio server socket of the same process
 * (vio_vhost_frontend_connect_local), so that a port's rings are served
 * by vio's engine with no socket and no second process: a loopback.
 *
 * What it negotiates by itself: the protocol features it can use (REPLY_ACK,
 * so that every request is acknowledged; MQ, to learn the queue count),
 * then SET_OWNER. The virtio features are the caller's (set_features), and
 * VHOST_USER_F_PROTOCOL_FEATURES is kept in them when offered, as the
 * protocol asks.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_errno.h>

#include "backend_remote.h"
#include "vhost_internal.h"
#include "vio_vhost_frontend.h"

/* Longest socket path, terminating NUL excluded. */
#define REMOTE_PATH_MAX ((int)sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

#define REMOTE_LOG(r, level, fmt, ...) \
	VHOST_LOG(level, "%s %s (%s): " fmt, (r)->driver, (r)->name, (r)->path, ##__VA_ARGS__)

/* The protocol features this driver uses when the backend offers them. */
#define REMOTE_PROTOCOL_WANTED                                                                  \
	(VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK) | VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_MQ) | \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS))

struct remote_backend {
	struct vio_vhost_frontend *fe;
	uint64_t offered;  /* GET_FEATURES */
	uint64_t protocol; /* negotiated protocol features, 0 without F_PROTOCOL_FEATURES */
	uint16_t queue_pairs;
	const char *driver; /* "remote", or "local" in-process */
	char name[64];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static struct remote_backend *
remote(struct vio_backend *be)
{
	return be->priv;
}

static bool
has_protocol_features(const struct remote_backend *r)
{
	return r->offered & VIO_BIT(VIO_VHOST_USER_F_PROTOCOL_FEATURES);
}

static int
remote_get_features(struct vio_backend *be, uint64_t *features)
{
	*features = remote(be)->offered;
	return 0;
}

static int
remote_get_queue_num(struct vio_backend *be, uint16_t *nb)
{
	*nb = remote(be)->queue_pairs;
	return 0;
}

static int
remote_set_features(struct vio_backend *be, uint64_t features)
{
	struct remote_backend *r = remote(be);

	/* The protocol's own bit stays on once negotiated (vhost-user spec, "Feature bits"). */
	if (has_protocol_features(r))
		features |= VIO_BIT(VIO_VHOST_USER_F_PROTOCOL_FEATURES);
	return vio_vhost_frontend_set_features(r->fe, features);
}

static struct vio_vhost_frontend_region
region_of(const struct vio_mem_region_desc *r)
{
	return (struct vio_vhost_frontend_region){
		.gpa = r->gpa,
		.size = r->size,
		.uaddr = r->uaddr,
		.mmap_offset = r->mmap_offset,
		.fd = r->fd,
	};
}

static int
remote_set_mem_table(struct vio_backend *be, const struct vio_mem_region_desc *regions,
		     unsigned int nb_regions)
{
	struct vio_vhost_frontend_region *fr;
	unsigned int i;
	int ret;

	/* Control path: the table is built once per start. */
	fr = calloc(nb_regions != 0 ? nb_regions : 1, sizeof(*fr));
	if (fr == NULL)
		return -ENOMEM;
	for (i = 0; i < nb_regions; i++)
		fr[i] = region_of(&regions[i]);
	ret = vio_vhost_frontend_set_mem_table(remote(be)->fe, fr, nb_regions);
	free(fr);
	return ret;
}

/* -ENOTSUP unless CONFIGURE_MEM_SLOTS was negotiated (the generic API checks). */
static int
remote_mem_region_add(struct vio_backend *be, const struct vio_mem_region_desc *r)
{
	const struct vio_vhost_frontend_region fr = region_of(r);

	return vio_vhost_frontend_add_mem_region(remote(be)->fe, &fr);
}

static int
remote_mem_region_remove(struct vio_backend *be, const struct vio_mem_region_desc *r)
{
	const struct vio_vhost_frontend_region fr = region_of(r);

	return vio_vhost_frontend_rem_mem_region(remote(be)->fe, &fr);
}

static int
remote_set_log_base(struct vio_backend *be, int fd, uint64_t offset, uint64_t size)
{
	RTE_SET_USED(offset);
	RTE_SET_USED(size);
	REMOTE_LOG(remote(be), ERR, "dirty logging is not driven by the frontend role");
	close(fd);
	return -ENOTSUP;
}

/* NUM, BASE, ADDR, then the fds: the order QEMU and virtio_user use. */
static int
remote_vring_start(struct vio_backend *be, uint16_t idx, const struct vio_backend_vring_config *c)
{
	struct vio_vhost_frontend *fe = remote(be)->fe;
	int ret;

	ret = vio_vhost_frontend_set_vring_num(fe, idx, c->size);
	if (ret == 0)
		ret = vio_vhost_frontend_set_vring_base(fe, idx, c->base);
	if (ret == 0)
		ret = vio_vhost_frontend_set_vring_addr(fe, idx, c->desc_uaddr, c->avail_uaddr,
							c->used_uaddr, c->log_used, c->log_gpa);
	if (ret == 0)
		ret = vio_vhost_frontend_set_vring_call(fe, idx, c->callfd);
	if (ret == 0 && c->errfd >= 0)
		ret = vio_vhost_frontend_set_vring_err(fe, idx, c->errfd);
	if (ret == 0)
		ret = vio_vhost_frontend_set_vring_kick(fe, idx, c->kickfd);
	return ret;
}

static int
remote_vring_stop(struct vio_backend *be, uint16_t idx, uint32_t *base)
{
	return vio_vhost_frontend_get_vring_base(remote(be)->fe, idx, base);
}

static int
remote_vring_enable(struct vio_backend *be, uint16_t idx, bool enable)
{
	struct remote_backend *r = remote(be);

	/*
	 * Without F_PROTOCOL_FEATURES a vring is enabled by its kick and
	 * cannot be disabled (vhost-user spec, "Ring states").
	 */
	if (!has_protocol_features(r))
		return enable ? 0 : -ENOTSUP;
	return vio_vhost_frontend_set_vring_enable(r->fe, idx, enable);
}

/* The connection is the device: it goes with the instance (destroy). */
static void
remote_reset(struct vio_backend *be)
{
	RTE_SET_USED(be);
}

static void
remote_destroy(struct vio_backend *be)
{
	struct remote_backend *r = remote(be);

	if (r == NULL)
		return;
	vio_vhost_frontend_close(r->fe);
	free(r);
	be->priv = NULL;
}

static bool
remote_is_alive(struct vio_backend *be)
{
	return vio_vhost_frontend_is_alive(remote(be)->fe);
}

static const struct vio_backend_ops remote_ops = {
	.name = "remote",
	.set_features = remote_set_features,
	.set_mem_table = remote_set_mem_table,
	.set_log_base = remote_set_log_base,
	.vring_start = remote_vring_start,
	.vring_stop = remote_vring_stop,
	.vring_enable = remote_vring_enable,
	.reset = remote_reset,
	.destroy = remote_destroy,
	.get_features = remote_get_features,
	.get_queue_num = remote_get_queue_num,
	.is_alive = remote_is_alive,
	.mem_region_add = remote_mem_region_add,
	.mem_region_remove = remote_mem_region_remove,
};

/* The same ops over the in-process link; only the name differs. */
static struct vio_backend_ops in_process_ops;
static pthread_once_t in_process_once = PTHREAD_ONCE_INIT;

static void
in_process_ops_init(void)
{
	in_process_ops = remote_ops;
	in_process_ops.name = "local";
}

/* Features, protocol features, the owner, the queue count. */
static int
remote_handshake(struct remote_backend *r)
{
	uint64_t pf = 0;
	int ret;

	ret = vio_vhost_frontend_get_features(r->fe, &r->offered);
	if (ret < 0)
		return ret;
	if (has_protocol_features(r)) {
		ret = vio_vhost_frontend_get_protocol_features(r->fe, &pf);
		if (ret == 0)
			ret = vio_vhost_frontend_set_protocol_features(r->fe,
								       pf & REMOTE_PROTOCOL_WANTED);
		if (ret < 0)
			return ret;
		r->protocol = pf & REMOTE_PROTOCOL_WANTED;
	}
	ret = vio_vhost_frontend_set_owner(r->fe);
	if (ret < 0)
		return ret;
	r->queue_pairs = 1;
	if (r->protocol & VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_MQ)) {
		uint16_t nb = 0;

		ret = vio_vhost_frontend_get_queue_num(r->fe, &nb);
		if (ret < 0)
			return ret;
		r->queue_pairs = nb;
	}
	REMOTE_LOG(r, INFO,
		   "features 0x%" PRIx64 ", protocol features 0x%" PRIx64 " (of 0x%" PRIx64
		   " offered), %u queue pair%s",
		   r->offered, r->protocol, pf, r->queue_pairs, r->queue_pairs > 1 ? "s" : "");
	return 0;
}

/* Open the driver on a frontend connection: socket (remote) or in-process (local). */
static int
remote_open(struct vio_backend *be, const struct vio_backend_target *t, bool in_process)
{
	const struct vio_vhost_frontend_config fc = {
		.server = t->server,
		.connect_timeout_ms = t->timeout_ms,
		.reply_timeout_ms = t->reply_timeout_ms,
	};
	struct remote_backend *r;
	int ret;

	if (t->path == NULL || strlen(t->path) > REMOTE_PATH_MAX || t->path[0] == '\0') {
		VHOST_LOG(ERR, "%s %s: a socket path of 1 to %d bytes is needed",
			  in_process ? "local" : "remote", t->name != NULL ? t->name : "?",
			  REMOTE_PATH_MAX);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	snprintf(r->name, sizeof(r->name), "%s", t->name != NULL ? t->name : "port");
	snprintf(r->path, sizeof(r->path), "%s", t->path);
	r->driver = in_process ? "local" : "remote";
	r->fe = in_process ? vio_vhost_frontend_connect_local(t->path, &fc)
			   : vio_vhost_frontend_connect(t->path, &fc);
	if (r->fe == NULL) {
		ret = -rte_errno;
		REMOTE_LOG(r, ERR, "%s: %s",
			   in_process  ? "no vio backend port of this process there"
			   : t->server ? "no backend connected"
				       : "cannot connect",
			   strerror(rte_errno));
		free(r);
		return ret;
	}
	ret = remote_handshake(r);
	if (ret < 0) {
		REMOTE_LOG(r, ERR, "handshake failed: %s", strerror(-ret));
		vio_vhost_frontend_close(r->fe);
		free(r);
		return ret;
	}
	if (in_process)
		pthread_once(&in_process_once, in_process_ops_init);
	be->ops = in_process ? &in_process_ops : &remote_ops;
	be->priv = r;
	return 0;
}

int
vhost_backend_remote_open(struct vio_backend *be, const struct vio_backend_target *t)
{
	return remote_open(be, t, false);
}

int
vhost_backend_remote_open_in_process(struct vio_backend *be, const struct vio_backend_target *t)
{
	if (t->server) {
		VHOST_LOG(ERR, "local %s: server=1: an in-process frontend does not listen",
			  t->name != NULL ? t->name : "?");
		return -EINVAL;
	}
	return remote_open(be, t, true);
}
