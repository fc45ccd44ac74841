/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * A port: a backend port over the vhost-user server (registration, events,
 * and the bursts on whatever connection is current), or a frontend port,
 * whose device and queues port_frontend.c keeps (the functions here hand a
 * frontend port to it).
 *
 * Why the port guards the vid itself: vio_vhost bursts on a vid whose device
 * went away return 0, but the device slot (and so the vid) is reused by the
 * next connection, possibly another port's. The port therefore publishes the
 * vid of its running device and, when the device stops, unpublishes it and
 * waits until each of its lcores has left the burst it may be in (the same
 * Dekker handshake as the vhost layer's: a seq_cst store of the lcore's busy
 * flag before its seq_cst load of the vid, against the control thread's
 * seq_cst store of the vid before its loads of the busy flags).
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "port_internal.h"
#include "vio_port.h"
#include "vio_virtio.h"

RTE_LOG_REGISTER(vio_port_logtype, lib.vio.port, INFO);

/* tso=1: the guest may send GSO packets (receiving them is offered either way). */
#define TSO_FEATURES (VIO_BIT(VIO_NET_F_HOST_TSO4) | VIO_BIT(VIO_NET_F_HOST_TSO6))

/* ------------------------------------------------------------------------ */
/* Events from the vhost layer (control thread)                              */
/* ------------------------------------------------------------------------ */

static int
port_new_device(int vid, void *ctx)
{
	struct vio_port *p = ctx;

	p->last_vid = vid;
	atomic_fetch_add_explicit(&p->link_ups, 1, memory_order_relaxed);
	atomic_store_explicit(&p->vid, vid, memory_order_release);
	PORT_LOG(INFO, "%s: link up (vid %d)", p->name, vid);
	if (p->ops.link_cb != NULL)
		p->ops.link_cb(p, true, p->ctx);
	return 0;
}

/* Unpublish the device and wait until no lcore is inside a burst on it. */
static void
port_quiesce(struct vio_port *p)
{
	unsigned int d, q, spins;

	atomic_store_explicit(&p->vid, -1, memory_order_seq_cst);
	for (d = 0; d < 2; d++) {
		for (q = 0; q < p->cfg.nb_queue_pairs; q++) {
			atomic_uint *busy = &p->lcore[d][q].busy;

			spins = 0;
			while (atomic_load_explicit(busy, memory_order_seq_cst) != 0) {
				/* A burst takes microseconds; a descheduled lcore longer. */
				if (++spins < 1024)
					rte_pause();
				else
					sched_yield();
			}
		}
	}
}

static void
port_destroy_device(int vid, void *ctx)
{
	struct vio_port *p = ctx;

	if (vid != p->last_vid)
		return;
	port_quiesce(p);
	p->last_vid = -1;
	PORT_LOG(INFO, "%s: link down (vid %d)", p->name, vid);
	if (p->ops.link_cb != NULL)
		p->ops.link_cb(p, false, p->ctx);
}

static void
port_vring_state(int vid, uint16_t queue_id, bool enabled, void *ctx)
{
	struct vio_port *p = ctx;
	enum vio_port_dir dir = (queue_id & 1) ? VIO_PORT_DIR_FROM_GUEST : VIO_PORT_DIR_TO_GUEST;

	RTE_SET_USED(vid);
	if (p->ops.queue_state_cb != NULL && queue_id / 2 < p->cfg.nb_queue_pairs)
		p->ops.queue_state_cb(p, queue_id / 2, dir, enabled, p->ctx);
}

static const struct vio_vhost_ops port_vhost_ops = {
	.new_device_cb = port_new_device,
	.destroy_device_cb = port_destroy_device,
	.vring_state_changed_cb = port_vring_state,
};

/* ------------------------------------------------------------------------ */
/* The registry (port_internal.h)                                            */
/* ------------------------------------------------------------------------ */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, vio_port) registry = TAILQ_HEAD_INITIALIZER(registry);
static unsigned int registry_next_id;

void
port_registry_lock(void)
{
	pthread_mutex_lock(&registry_lock);
}

void
port_registry_unlock(void)
{
	pthread_mutex_unlock(&registry_lock);
}

struct vio_port *
port_registry_next(const struct vio_port *p)
{
	return p == NULL ? TAILQ_FIRST(&registry) : TAILQ_NEXT(p, reg_next);
}

struct vio_port *
port_registry_find(const char *key)
{
	struct vio_port *p;
	unsigned long id;
	char *end;

	if (key == NULL || *key == '\0')
		return NULL;
	errno = 0;
	id = strtoul(key, &end, 10);
	if (*end == '\0' && errno == 0 && key[0] >= '0' && key[0] <= '9') {
		TAILQ_FOREACH(p, &registry, reg_next)
			if (p->id == id)
				return p;
		return NULL;
	}
	TAILQ_FOREACH(p, &registry, reg_next)
		if (strcmp(p->name, key) == 0)
			return p;
	return NULL;
}

static void
registry_add(struct vio_port *p)
{
	pthread_mutex_lock(&registry_lock);
	p->id = registry_next_id++;
	TAILQ_INSERT_TAIL(&registry, p, reg_next);
	pthread_mutex_unlock(&registry_lock);
}

/* Before anything of @p p is freed: a reader under the lock is done with it after this. */
static void
registry_remove(struct vio_port *p)
{
	pthread_mutex_lock(&registry_lock);
	TAILQ_REMOVE(&registry, p, reg_next);
	pthread_mutex_unlock(&registry_lock);
}

/* ------------------------------------------------------------------------ */
/* Control                                                                   */
/* ------------------------------------------------------------------------ */

static int
config_check(const char *name, const struct vio_port_config *cfg)
{
	size_t len = strnlen(cfg->iface, sizeof(cfg->iface));

	if (cfg->role == VIO_PORT_ROLE_FRONTEND) {
		/* The driver: vio_backend_open refuses one this build lacks, naming those it has. */
		len = strnlen(cfg->path, sizeof(cfg->path));
		if (len == 0 || len == sizeof(cfg->path)) {
			PORT_LOG(ERR, "%s: path: socket path missing or too long", name);
			return -EINVAL;
		}
		if (cfg->queue_size < 2 || (cfg->queue_size & (cfg->queue_size - 1)) != 0) {
			PORT_LOG(ERR, "%s: queue_size=%u: not a power of two from 2", name,
				 cfg->queue_size);
			return -EINVAL;
		}
	} else if (cfg->role != VIO_PORT_ROLE_BACKEND) {
		PORT_LOG(ERR, "%s: role %d: unknown", name, cfg->role);
		return -EINVAL;
	} else if (cfg->driver == VIO_PORT_DRIVER_REMOTE) {
		PORT_LOG(ERR, "%s: driver remote: a driver of frontend ports only", name);
		return -EINVAL;
	} else if (len == 0 || len == sizeof(cfg->iface)) {
		PORT_LOG(ERR, "%s: iface: socket path missing or too long", name);
		return -EINVAL;
	}
	if (cfg->nb_queue_pairs < 1 || cfg->nb_queue_pairs > VIO_VHOST_MAX_QUEUE_PAIRS) {
		PORT_LOG(ERR, "%s: queues=%u out of range (accepted: 1 to %d)", name,
			 cfg->nb_queue_pairs, VIO_VHOST_MAX_QUEUE_PAIRS);
		return -EINVAL;
	}
	return 0;
}

/* Features, queue pairs and callbacks of a registered socket. */
static int
socket_setup(struct vio_port *p)
{
	const char *path = p->cfg.iface;
	uint64_t features;
	int ret;

	ret = vio_vhost_set_max_queue_pairs(path, p->cfg.nb_queue_pairs);
	if (ret == 0 && p->cfg.driver != VIO_PORT_DRIVER_LOCAL)
		ret = vio_vhost_set_driver(path, vio_port_driver_name(p->cfg.driver), p->cfg.device,
					   p->cfg.tap);
	if (ret == 0)
		ret = vio_vhost_get_features_offered(path, &features);
	if (ret == 0) {
		if (p->cfg.tso)
			ret = vio_vhost_set_features(path, features | TSO_FEATURES);
		else
			ret = vio_vhost_disable_features(path, TSO_FEATURES);
	}
	if (ret == 0)
		ret = vio_vhost_callbacks_register(path, &port_vhost_ops, p);
	return ret;
}

struct vio_port *
vio_port_create(const char *name, const struct vio_port_config *cfg, const struct vio_port_ops *ops,
		void *ctx)
{
	struct vio_port *p;
	uint64_t flags = 0;
	int ret;

	if (name == NULL || cfg == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	ret = config_check(name, cfg);
	if (ret < 0) {
		rte_errno = -ret;
		return NULL;
	}
	p = rte_zmalloc("vio_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->cfg = *cfg;
	if (ops != NULL)
		p->ops = *ops;
	p->ctx = ctx;
	p->last_vid = -1;
	atomic_init(&p->vid, -1);
	atomic_init(&p->link_ups, 0);
	if (cfg->role == VIO_PORT_ROLE_FRONTEND) {
		registry_add(p);
		return p; /* the device is reached by vio_port_start() */
	}

	if (cfg->client)
		flags |= VIO_VHOST_F_CLIENT;
	if (cfg->iommu)
		flags |= VIO_VHOST_F_IOMMU;
	ret = vio_vhost_register(cfg->iface, flags);
	if (ret < 0) {
		if (ret == -EEXIST)
			PORT_LOG(ERR, "%s: iface=%s is in use by another port", name, cfg->iface);
		else if (ret == -ENOTSUP && cfg->iommu)
			PORT_LOG(ERR, "%s: iommu-support=1: refused by the vhost layer: %s", name,
				 strerror(-ret));
		else
			PORT_LOG(ERR, "%s: iface=%s: cannot register: %s", name, cfg->iface,
				 strerror(-ret));
		goto err_free;
	}
	ret = socket_setup(p);
	if (ret < 0) {
		PORT_LOG(ERR, "%s: iface=%s: cannot configure: %s", name, cfg->iface,
			 strerror(-ret));
		goto err_unregister;
	}
	registry_add(p);
	return p;

err_unregister:
	vio_vhost_unregister(cfg->iface);
err_free:
	rte_free(p);
	rte_errno = -ret;
	return NULL;
}

/* A frontend port's watcher lost its device or gave the rings to a new one. */
static void
port_fe_link(void *arg, bool up)
{
	struct vio_port *p = arg;

	PORT_LOG(INFO, "%s: link %s", p->name, up ? "up" : "down");
	if (p->ops.link_cb != NULL)
		p->ops.link_cb(p, up, p->ctx);
}

/* Frontend role: reach the device; the port's fe is published under the registry lock. */
static int
port_start_frontend(struct vio_port *port)
{
	struct port_fe *fe;
	int ret;

	if (port->fe != NULL)
		return 0;
	ret = port_fe_open(&fe, port->name, &port->cfg, port_fe_link, port);
	if (ret < 0)
		return ret;
	port_fe_offloads_set(fe, port->fe_offloads);
	pthread_mutex_lock(&registry_lock);
	port->fe = fe;
	pthread_mutex_unlock(&registry_lock);
	return 0;
}

int
vio_port_start(struct vio_port *port)
{
	int ret;

	if (port == NULL)
		return -EINVAL;
	if (port->cfg.role == VIO_PORT_ROLE_FRONTEND)
		return port_start_frontend(port);
	ret = vio_vhost_start(port->cfg.iface);
	if (ret < 0)
		PORT_LOG(ERR, "%s: iface=%s: cannot %s: %s", port->name, port->cfg.iface,
			 port->cfg.client ? "connect" : "listen", strerror(-ret));
	return ret;
}

void
vio_port_free(struct vio_port *port)
{
	if (port == NULL)
		return;
	registry_remove(port);
	if (port->cfg.role == VIO_PORT_ROLE_FRONTEND) {
		port_fe_close(port->fe);
		rte_free(port);
		return;
	}
	/* Runs destroy_device (link down) first and waits for it. */
	vio_vhost_unregister(port->cfg.iface);
	rte_free(port);
}

int
vio_port_queues_start(struct vio_port *port, struct rte_mempool *const *rx_mps, uint16_t nb_qp,
		      int socket_id)
{
	uint16_t q;

	if (port == NULL)
		return -EINVAL;
	if (port->cfg.role != VIO_PORT_ROLE_FRONTEND)
		return 0; /* the frontend starts a backend port's rings */
	if (port->fe == NULL)
		return -ENOTCONN;
	if (nb_qp < 1 || nb_qp > port->cfg.nb_queue_pairs) {
		PORT_LOG(ERR, "%s: %u queue pairs to start (accepted: 1 to queues=%u)", port->name,
			 nb_qp, port->cfg.nb_queue_pairs);
		return -EINVAL;
	}
	for (q = 0; q < nb_qp; q++)
		if (rx_mps == NULL || rx_mps[q] == NULL) {
			PORT_LOG(ERR, "%s: receive queue %u has no mempool", port->name, q);
			return -EINVAL;
		}
	return port_fe_queues_start(port->fe, rx_mps, nb_qp, socket_id);
}

void
vio_port_queues_stop(struct vio_port *port)
{
	if (port != NULL && port->cfg.role == VIO_PORT_ROLE_FRONTEND)
		port_fe_queues_stop(port->fe);
}

uint16_t
vio_port_recv(struct vio_port *port, uint16_t qp, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	return vio_vnet_rx_burst(port->fe->rxq[qp], pkts, nb_pkts);
}

uint16_t
vio_port_send(struct vio_port *port, uint16_t qp, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	return vio_vnet_tx_burst(port->fe->txq[qp], pkts, nb_pkts);
}

int
vio_port_frontend_stats_get(const struct vio_port *port, uint16_t qp, bool tx,
			    struct vio_vnet_vq_stats *stats)
{
	if (qp >= port->cfg.nb_queue_pairs || stats == NULL)
		return -EINVAL;
	if (port->cfg.role != VIO_PORT_ROLE_FRONTEND || port->fe == NULL)
		return -ENODEV;
	return port_fe_queue_stats(port->fe, qp, tx, stats);
}

int
vio_port_frontend_info_get(const struct vio_port *port, struct vio_port_frontend_info *info)
{
	if (port == NULL || info == NULL)
		return -EINVAL;
	if (port->cfg.role != VIO_PORT_ROLE_FRONTEND || port->fe == NULL)
		return -ENODEV;
	port_fe_info(port->fe, info);
	return 0;
}

uint64_t
vio_port_features(const struct vio_port *port)
{
	if (port->cfg.role == VIO_PORT_ROLE_FRONTEND)
		return port->fe != NULL ? port->fe->features : 0;
	return 0;
}

const struct vio_port_config *
vio_port_config_get(const struct vio_port *port)
{
	return &port->cfg;
}

bool
vio_port_link_up(const struct vio_port *port)
{
	if (port->cfg.role == VIO_PORT_ROLE_FRONTEND)
		return port_fe_link_up(port->fe);
	return atomic_load_explicit(&port->vid, memory_order_acquire) >= 0;
}

int
vio_port_queue_stats_get(const struct vio_port *port, uint16_t qp, enum vio_port_dir dir,
			 struct vio_vq_stats *stats)
{
	if (qp >= port->cfg.nb_queue_pairs || stats == NULL)
		return -EINVAL;
	if (port->cfg.role != VIO_PORT_ROLE_BACKEND)
		return -ENODEV;
	return vio_vhost_socket_stats_get(port->cfg.iface,
					  2 * qp + (dir == VIO_PORT_DIR_FROM_GUEST), stats, NULL);
}

unsigned int
vio_port_connections(const struct vio_port *port)
{
	struct vio_port_frontend_info fi;
	struct vio_vq_stats st;
	unsigned int n = 0;

	if (port->cfg.role == VIO_PORT_ROLE_FRONTEND)
		return vio_port_frontend_info_get(port, &fi) == 0 ? fi.connections : 0;
	if (vio_vhost_socket_stats_get(port->cfg.iface, 0, &st, &n) < 0)
		return 0;
	return n;
}

int
vio_port_offloads_set(struct vio_port *port, uint32_t offloads)
{
	/*
	 * A frontend port: partial checksums from the device left to the
	 * application, or completed. LRO is accepted and changes nothing: no GSO
	 * packet comes (GUEST_TSO4/6 are not negotiated).
	 */
	if (port->cfg.role == VIO_PORT_ROLE_FRONTEND) {
		if ((offloads & ~(uint32_t)(VIO_VQ_OFFLOAD_RX_CSUM | VIO_VQ_OFFLOAD_RX_LRO)) != 0)
			return -EINVAL;
		port->fe_offloads = offloads & VIO_VQ_OFFLOAD_RX_CSUM ? VIO_VNET_OFFLOAD_RX_CSUM
								      : 0;
		if (port->fe != NULL)
			port_fe_offloads_set(port->fe, port->fe_offloads);
		return 0;
	}
	return vio_vhost_set_offloads(port->cfg.iface, offloads);
}

int
vio_port_mtu_get(const struct vio_port *port, uint16_t *mtu)
{
	int vid = atomic_load_explicit(&port->vid, memory_order_acquire);

	if (port->cfg.role == VIO_PORT_ROLE_FRONTEND) {
		*mtu = 0; /* VIRTIO_NET_F_MTU is not negotiated */
		return 0;
	}

	if (vid < 0)
		return -ENODEV;
	return vio_vhost_get_mtu(vid, mtu);
}

int
vio_port_notify_fd(const struct vio_port *port, uint16_t qp)
{
	int vid;

	if (qp >= port->cfg.nb_queue_pairs)
		return -EINVAL;
	if (port->cfg.role == VIO_PORT_ROLE_FRONTEND)
		return port_fe_notify_fd(port->fe, qp);
	vid = atomic_load_explicit(&port->vid, memory_order_acquire);
	if (vid < 0)
		return -ENODEV;
	return vio_vhost_get_kick_fd(vid, 2 * qp + 1);
}

/* ------------------------------------------------------------------------ */
/* Data path                                                                 */
/* ------------------------------------------------------------------------ */

/* Enter: the busy flag first, then the vid (pairs with port_quiesce()). */
static __rte_always_inline int
lcore_enter(struct vio_port *port, atomic_uint *busy)
{
	atomic_store_explicit(busy, 1, memory_order_seq_cst);
	return atomic_load_explicit(&port->vid, memory_order_seq_cst);
}

static __rte_always_inline void
lcore_leave(atomic_uint *busy)
{
	atomic_store_explicit(busy, 0, memory_order_release);
}

uint16_t
vio_port_enqueue_burst(struct vio_port *port, uint16_t qp, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	atomic_uint *busy;
	uint16_t n = 0;
	int vid;

	if (unlikely(qp >= port->cfg.nb_queue_pairs))
		return 0;
	busy = &port->lcore[VIO_PORT_DIR_TO_GUEST][qp].busy;
	vid = lcore_enter(port, busy);
	if (likely(vid >= 0))
		n = vio_vhost_enqueue_burst(vid, 2 * qp, pkts, nb_pkts);
	lcore_leave(busy);
	return n;
}

uint16_t
vio_port_dequeue_burst(struct vio_port *port, uint16_t qp, struct rte_mempool *mp,
		       struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	atomic_uint *busy;
	uint16_t n = 0;
	int vid;

	if (unlikely(qp >= port->cfg.nb_queue_pairs))
		return 0;
	busy = &port->lcore[VIO_PORT_DIR_FROM_GUEST][qp].busy;
	vid = lcore_enter(port, busy);
	if (likely(vid >= 0))
		n = vio_vhost_dequeue_burst(vid, 2 * qp + 1, mp, pkts, nb_pkts);
	lcore_leave(busy);
	return n;
}

int
vio_port_notify_enable(struct vio_port *port, uint16_t qp, bool enable)
{
	atomic_uint *busy;
	int vid, ret = -ENODEV;

	if (qp >= port->cfg.nb_queue_pairs)
		return -EINVAL;
	if (port->cfg.role == VIO_PORT_ROLE_FRONTEND)
		return port_fe_notify_enable(port->fe, qp, enable);
	busy = &port->lcore[VIO_PORT_DIR_FROM_GUEST][qp].busy;
	vid = lcore_enter(port, busy);
	if (vid >= 0)
		ret = vio_vhost_notify_enable(vid, 2 * qp + 1, enable);
	lcore_leave(busy);
	return ret;
}
