/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The frontend role of a port: vio owns the rings (lib/vnet queues in DPDK
 * memory) and drives a device through a driver's backend ops, the way a
 * VMM or DPDK's virtio_user drives a vhost backend. The driver comes from
 * the table of drivers by name (vio_backend_open): nothing here knows
 * which one it is.
 *
 * Life of a frontend port:
 *   open    (vio_port_start, at probe): the driver reaches the device, the
 *           features are negotiated, the queue count checked; the port's
 *           watcher thread starts;
 *   start   (vio_port_queues_start, at dev_start): the rings are made (the
 *           receive rings full of mbufs), then the device is programmed:
 *           the memory table, per vring NUM, BASE, ADDR, CALL, KICK and
 *           ENABLE;
 *   stop    (vio_port_queues_stop, at dev_stop): every vring disabled and
 *           stopped (GET_VRING_BASE), the rings and their mbufs freed;
 *   close   (vio_port_free): the watcher stopped, stop, the driver destroyed.
 *
 * Reconnect. The watcher polls the device every 100 ms (is_alive). When it
 * is gone, the link goes down and the watcher opens the driver again, as the
 * port was configured (connect to path, or listen on it with server=1),
 * until a device comes back that offers every feature negotiated before
 * (the rings' layout depends on them). Then, if the queues are started, the
 * device is programmed again on the same rings, each from the used index
 * the last device published (vio_vnet_vq_device_base): what that device had
 * taken and not completed is offered again, nothing is lost. The link comes
 * up. The lcores go on polling the rings all along: the rings never change
 * under them, only who serves them.
 *
 * Locks: fe->lock (control only, never on the data path) serialises the
 * watcher against start, stop and close; it is not held while the driver
 * blocks in a connect, nor while the port's link callback runs.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "port_internal.h"
#include "vio_virtio.h"
#include "vio_vnet.h"

/*
 * The features a frontend port negotiates when the device offers them:
 * indirect tables for chained transmit mbufs, as DPDK's virtio PMD does. The
 * offloads: transmit checksums and TSO in the net header (HOST_TSO4/6 need
 * CSUM: virtio 1.2, 5.1.3.1), partial checksums received (GUEST_CSUM). Not
 * GUEST_TSO4/6: the features are fixed when the port is opened, before the
 * application says whether it takes whole GSO packets (ethdev's TCP_LRO),
 * and one it does not take would have to be segmented on the data path.
 */
#define FE_FEATURES                                                    \
	(VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_RING_EVENT_IDX) |    \
	 VIO_BIT(VIO_F_RING_INDIRECT_DESC) | VIO_BIT(VIO_NET_F_CSUM) | \
	 VIO_BIT(VIO_NET_F_HOST_TSO4) | VIO_BIT(VIO_NET_F_HOST_TSO6) | \
	 VIO_BIT(VIO_NET_F_GUEST_CSUM))
#define FE_TSO (VIO_BIT(VIO_NET_F_HOST_TSO4) | VIO_BIT(VIO_NET_F_HOST_TSO6))

/* The first connection: at probe, with these limits. */
#define FE_CONNECT_TIMEOUT_MS 5000
#define FE_ACCEPT_TIMEOUT_MS  60000
/* The watcher: how often it looks, and how long one reconnect try waits. */
#define FE_WATCH_MS 100
#define FE_RETRY_MS 1000
/* DPDK's memory as a table: one region per virtually contiguous, fd-backed run. */
#define FE_MAX_REGIONS 512

/* A driver that cannot lose its device has no is_alive op. */
static bool
fe_alive(struct port_fe *fe)
{
	return fe->be.ops->is_alive == NULL || fe->be.ops->is_alive(&fe->be);
}

static bool
fe_connected(const struct port_fe *fe)
{
	return atomic_load_explicit(&fe->connected, memory_order_acquire);
}

static void
fds_close(struct port_fe *fe)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(fe->kickfd); i++) {
		if (fe->kickfd[i] >= 0)
			close(fe->kickfd[i]);
		if (fe->callfd[i] >= 0)
			close(fe->callfd[i]);
		fe->kickfd[i] = -1;
		fe->callfd[i] = -1;
	}
}

/*
 * Open the driver and negotiate: the first time (fe->features 0) what the
 * configuration asks of what is offered; after a loss, exactly what was
 * negotiated before. On success @p be is a driver instance of the caller's.
 */
static int
fe_open_driver(struct port_fe *fe, int timeout_ms, bool quiet, struct vio_backend *be)
{
	const struct vio_port_config *cfg = fe->cfg;
	const struct vio_backend_target t = {
		.name = fe->name,
		.path = cfg->path,
		.server = cfg->server,
		.timeout_ms = timeout_ms,
	};
	uint64_t offer = 0, want = FE_FEATURES, features;
	uint16_t nb = 0;
	int ret;

	ret = vio_backend_open("remote", &t, be);
	if (ret < 0) {
		if (!quiet)
			PORT_LOG(ERR, "%s: path=%s: no backend: %s", fe->name, cfg->path,
				 strerror(-ret));
		return ret;
	}
	if (be->ops->get_features == NULL || be->ops->get_queue_num == NULL) {
		PORT_LOG(ERR, "%s: driver %s has no frontend role", fe->name, be->ops->name);
		ret = -ENOTSUP;
		goto err;
	}
	ret = be->ops->get_features(be, &offer);
	if (ret == 0)
		ret = be->ops->get_queue_num(be, &nb);
	if (ret < 0)
		goto err;
	if (!(offer & VIO_BIT(VIO_F_VERSION_1))) {
		PORT_LOG(ERR,
			 "%s: the backend offers features 0x%" PRIx64 " without VERSION_1 "
			 "(legacy virtio is not driven)",
			 fe->name, offer);
		ret = -ENOTSUP;
		goto err;
	}
	if (cfg->nb_queue_pairs > 1) {
		if (!(offer & VIO_BIT(VIO_NET_F_MQ)) || nb < cfg->nb_queue_pairs) {
			PORT_LOG(ERR, "%s: queues=%u: the backend has %u queue pair%s (MQ %s)",
				 fe->name, cfg->nb_queue_pairs, nb, nb == 1 ? "" : "s",
				 offer & VIO_BIT(VIO_NET_F_MQ) ? "offered" : "not offered");
			ret = -EINVAL;
			goto err;
		}
		want |= VIO_BIT(VIO_NET_F_MQ);
	}
	if (cfg->mrg_rxbuf)
		want |= VIO_BIT(VIO_NET_F_MRG_RXBUF);
	if (cfg->in_order) {
		/* net_virtio_user's in_order=1: asked for, negotiated when offered. */
		want |= VIO_BIT(VIO_F_IN_ORDER);
		if (!(offer & VIO_BIT(VIO_F_IN_ORDER)) && fe->features == 0)
			PORT_LOG(WARNING,
				 "%s: in_order=1: the backend offers no VIRTIO_F_IN_ORDER; "
				 "buffers in any order",
				 fe->name);
	}
	if (cfg->packed_vq) {
		want |= VIO_BIT(VIO_F_RING_PACKED);
		if (!(offer & VIO_BIT(VIO_F_RING_PACKED)) && fe->features == 0)
			PORT_LOG(WARNING,
				 "%s: packed_vq=1: the backend offers no packed rings; "
				 "split rings",
				 fe->name);
	}
	features = offer & want;
	if (!(features & VIO_BIT(VIO_NET_F_CSUM)))
		features &= ~FE_TSO;
	if (fe->features != 0 && (offer & fe->features) != fe->features) {
		PORT_LOG(ERR,
			 "%s: the new backend offers 0x%" PRIx64 ", without 0x%" PRIx64
			 " of the features the rings were made for; refused",
			 fe->name, offer, fe->features & ~offer);
		ret = -ENOTSUP;
		goto err;
	}
	if (fe->features != 0)
		features = fe->features;
	ret = be->ops->set_features(be, features);
	if (ret < 0)
		goto err;
	if (fe->features == 0)
		PORT_LOG(INFO,
			 "%s: path=%s: features 0x%" PRIx64 " negotiated of 0x%" PRIx64
			 " offered%s",
			 fe->name, cfg->path, features, offer,
			 features & VIO_BIT(VIO_F_IN_ORDER) ? " (VIRTIO_F_IN_ORDER)" : "");
	fe->features = features;
	return 0;

err:
	PORT_LOG(ERR, "%s: path=%s: negotiation failed: %s", fe->name, cfg->path, strerror(-ret));
	be->ops->destroy(be);
	return ret;
}

/* Vring 2q is queue pair q's receive queue, 2q + 1 its transmit queue (virtio-net). */
static struct vio_vnet_vq *
fe_vq(struct port_fe *fe, unsigned int vring)
{
	return vring & 1 ? fe->txq[vring / 2] : fe->rxq[vring / 2];
}

static int
fe_mem_table(struct port_fe *fe)
{
	struct vio_vnet_mem_region *mr = calloc(FE_MAX_REGIONS, sizeof(*mr));
	struct vio_mem_region_desc *rd = calloc(FE_MAX_REGIONS, sizeof(*rd));
	int n, i, ret;

	if (mr == NULL || rd == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	n = vio_vnet_mem_regions(mr, FE_MAX_REGIONS);
	if (n < 0 || n > FE_MAX_REGIONS) {
		PORT_LOG(ERR, "%s: DPDK's memory cannot be shared with the backend: %s", fe->name,
			 n < 0 ? "a segment has no fd (use --single-file-segments or --no-huge)"
			       : "too many regions");
		ret = n < 0 ? n : -E2BIG;
		goto out;
	}
	for (i = 0; i < n; i++)
		rd[i] = (struct vio_mem_region_desc){ .fd = mr[i].fd,
						      .mmap_offset = mr[i].offset,
						      .gpa = mr[i].va,
						      .uaddr = mr[i].va,
						      .size = mr[i].len };
	ret = fe->be.ops->set_mem_table(&fe->be, rd, (unsigned int)n);
	if (ret == 0)
		PORT_LOG(INFO, "%s: memory table of %d region%s", fe->name, n, n == 1 ? "" : "s");
out:
	free(mr);
	free(rd);
	return ret;
}

/* Give the connected device the started rings, each from where the last device left it. */
static int
fe_program(struct port_fe *fe)
{
	unsigned int v, nb_vrings = 2u * fe->active;
	int ret = fe_mem_table(fe);

	if (ret < 0)
		return ret;
	for (v = 0; v < nb_vrings; v++) {
		struct vio_backend_vring_config c = {
			.size = fe->cfg->queue_size,
			.addr_set = true,
			.base = vio_vnet_vq_device_base(fe_vq(fe, v)),
			.kickfd = fe->kickfd[v],
			.callfd = fe->callfd[v],
			.errfd = -1,
		};

		vio_vnet_vq_addrs(fe_vq(fe, v), &c.desc_uaddr, &c.avail_uaddr, &c.used_uaddr);
		ret = fe->be.ops->vring_start(&fe->be, (uint16_t)v, &c);
		if (ret == 0)
			ret = fe->be.ops->vring_enable(&fe->be, (uint16_t)v, true);
		if (ret < 0) {
			PORT_LOG(ERR, "%s: vring %u: the backend refused it: %s", fe->name, v,
				 strerror(-ret));
			return ret;
		}
		/* Whatever was posted while no device was there: look now. */
		eventfd_write(fe->kickfd[v], 1);
	}
	fe->programmed = true;
	return 0;
}

/* The device is gone (or refused the rings): drop it. Under fe->lock. */
static void
fe_lose(struct port_fe *fe)
{
	fe->be.ops->destroy(&fe->be);
	fe->programmed = false;
	atomic_store_explicit(&fe->connected, false, memory_order_release);
}

static void
fe_link(struct port_fe *fe, bool up)
{
	if (fe->link_cb != NULL)
		fe->link_cb(fe->link_arg, up);
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The watcher: notice a lost device, bring one back, give it the rings. */
static void *
fe_watch(void *arg)
{
	struct port_fe *fe = arg;

	while (!atomic_load_explicit(&fe->stop, memory_order_acquire)) {
		struct vio_backend nb;
		bool down = false, up = false;

		sleep_ms(FE_WATCH_MS);
		pthread_mutex_lock(&fe->lock);
		if (fe_connected(fe) && !fe_alive(fe)) {
			down = fe->active != 0 && fe->programmed;
			fe_lose(fe);
			PORT_LOG(WARNING, "%s: path=%s: the backend went away; reconnecting",
				 fe->name, fe->cfg->path);
		}
		pthread_mutex_unlock(&fe->lock);
		if (down)
			fe_link(fe, false);
		if (fe_connected(fe))
			continue;
		/* Blocks up to FE_RETRY_MS; the lock is free meanwhile. */
		if (fe_open_driver(fe, FE_RETRY_MS, true, &nb) < 0)
			continue;
		pthread_mutex_lock(&fe->lock);
		fe->be = nb;
		atomic_store_explicit(&fe->connected, true, memory_order_release);
		fe->connections++;
		if (fe->active != 0) {
			if (fe_program(fe) == 0)
				up = true;
			else
				fe_lose(fe);
		}
		PORT_LOG(INFO, "%s: path=%s: backend back (connection %u)%s", fe->name,
			 fe->cfg->path, fe->connections, up ? ", rings given back" : "");
		pthread_mutex_unlock(&fe->lock);
		if (up)
			fe_link(fe, true);
	}
	return NULL;
}

int
port_fe_open(struct port_fe **out, const char *name, const struct vio_port_config *cfg,
	     void (*link_cb)(void *arg, bool up), void *link_arg)
{
	struct port_fe *fe;
	char tname[RTE_MAX_THREAD_NAME_LEN];
	unsigned int i;
	int ret;

	fe = calloc(1, sizeof(*fe));
	if (fe == NULL)
		return -ENOMEM;
	snprintf(fe->name, sizeof(fe->name), "%s", name);
	fe->cfg = cfg;
	fe->link_cb = link_cb;
	fe->link_arg = link_arg;
	for (i = 0; i < RTE_DIM(fe->kickfd); i++)
		fe->kickfd[i] = fe->callfd[i] = -1;
	pthread_mutex_init(&fe->lock, NULL);
	if (cfg->server)
		PORT_LOG(INFO, "%s: path=%s: waiting for the backend to connect (at most %d s)",
			 name, cfg->path, FE_ACCEPT_TIMEOUT_MS / 1000);
	ret = fe_open_driver(fe, cfg->server ? FE_ACCEPT_TIMEOUT_MS : FE_CONNECT_TIMEOUT_MS, false,
			     &fe->be);
	if (ret < 0)
		goto err;
	atomic_store_explicit(&fe->connected, true, memory_order_release);
	fe->connections = 1;
	snprintf(tname, sizeof(tname), "vio-fe-%s", name);
	ret = rte_ctrl_thread_create(&fe->watcher, tname, NULL, fe_watch, fe);
	if (ret != 0) {
		PORT_LOG(ERR, "%s: no watcher thread: %s", name, strerror(ret));
		fe->be.ops->destroy(&fe->be);
		ret = -ret;
		goto err;
	}
	*out = fe;
	return 0;

err:
	pthread_mutex_destroy(&fe->lock);
	free(fe);
	return ret;
}

static void
queues_stop_locked(struct port_fe *fe)
{
	unsigned int v, nb_vrings = 2u * fe->active;
	uint32_t base;

	for (v = 0; v < nb_vrings && fe->programmed; v++) {
		if (fe_vq(fe, v) == NULL || !fe_alive(fe))
			break;
		/* Disabling is refused without F_PROTOCOL_FEATURES; GET_VRING_BASE stops it. */
		(void)fe->be.ops->vring_enable(&fe->be, (uint16_t)v, false);
		if (fe->be.ops->vring_stop(&fe->be, (uint16_t)v, &base) == 0)
			PORT_LOG(DEBUG, "%s: vring %u stopped at %u", fe->name, v, base);
	}
	fe->programmed = false;
	for (v = 0; v < fe->active; v++) {
		vio_vnet_vq_free(fe->rxq[v]);
		vio_vnet_vq_free(fe->txq[v]);
		fe->rxq[v] = fe->txq[v] = NULL;
	}
	fds_close(fe);
	fe->active = 0;
}

void
port_fe_queues_stop(struct port_fe *fe)
{
	if (fe == NULL)
		return;
	pthread_mutex_lock(&fe->lock);
	if (fe->active != 0)
		queues_stop_locked(fe);
	pthread_mutex_unlock(&fe->lock);
}

int
port_fe_queues_start(struct port_fe *fe, struct rte_mempool *const *rx_mps, uint16_t nb_qp,
		     int socket_id)
{
	unsigned int v, nb_vrings = 2u * nb_qp;
	int ret = 0;

	pthread_mutex_lock(&fe->lock);
	if (fe->active != 0)
		goto out;
	fe->active = nb_qp; /* from here queues_stop_locked() undoes what was done */
	for (v = 0; v < nb_vrings; v++) {
		char qname[96];
		struct vio_vnet_vq_config vc = {
			.name = qname,
			.features = fe->features,
			.size = fe->cfg->queue_size,
			.rx = !(v & 1),
			.mp = rx_mps[v / 2],
			.socket_id = socket_id,
			.offloads = atomic_load_explicit(&fe->offloads, memory_order_relaxed),
		};
		struct vio_vnet_vq *vq;

		snprintf(qname, sizeof(qname), "%s/%sq%u", fe->name, v & 1 ? "tx" : "rx", v / 2);
		fe->kickfd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		fe->callfd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fe->kickfd[v] < 0 || fe->callfd[v] < 0) {
			ret = -errno;
			goto err;
		}
		vc.kickfd = fe->kickfd[v];
		vq = vio_vnet_vq_create(&vc);
		if (vq == NULL) {
			ret = -rte_errno;
			goto err;
		}
		if (v & 1)
			fe->txq[v / 2] = vq;
		else
			fe->rxq[v / 2] = vq;
	}
	/* Without a device now, the watcher programs the next one. */
	if (fe_connected(fe)) {
		ret = fe_program(fe);
		if (ret < 0)
			goto err;
	}
	PORT_LOG(INFO, "%s: %u queue pair%s of %u entries started%s", fe->name, nb_qp,
		 nb_qp == 1 ? "" : "s", fe->cfg->queue_size,
		 fe->programmed ? "" : "; the backend gets them when it is back");
	goto out;

err:
	PORT_LOG(ERR, "%s: queues not started: %s", fe->name, strerror(-ret));
	queues_stop_locked(fe);
out:
	pthread_mutex_unlock(&fe->lock);
	return ret;
}

void
port_fe_offloads_set(struct port_fe *fe, uint32_t offloads)
{
	uint16_t q;

	atomic_store_explicit(&fe->offloads, offloads, memory_order_relaxed);
	pthread_mutex_lock(&fe->lock);
	for (q = 0; q < fe->active; q++)
		vio_vnet_vq_offloads_set(fe->rxq[q], offloads);
	pthread_mutex_unlock(&fe->lock);
}

void
port_fe_close(struct port_fe *fe)
{
	if (fe == NULL)
		return;
	atomic_store_explicit(&fe->stop, true, memory_order_release);
	pthread_join(fe->watcher, NULL);
	pthread_mutex_lock(&fe->lock);
	if (fe->active != 0)
		queues_stop_locked(fe);
	if (fe_connected(fe))
		fe_lose(fe);
	pthread_mutex_unlock(&fe->lock);
	pthread_mutex_destroy(&fe->lock);
	free(fe);
}

bool
port_fe_link_up(const struct port_fe *fe)
{
	return fe != NULL && fe->programmed && fe_connected(fe);
}

unsigned int
port_fe_connections(const struct port_fe *fe)
{
	return fe != NULL ? fe->connections : 0;
}

int
port_fe_queue_stats(const struct port_fe *fe, uint16_t qp, bool tx, struct vio_vnet_vq_stats *st)
{
	const struct vio_vnet_vq *vq = tx ? fe->txq[qp] : fe->rxq[qp];

	if (vq == NULL)
		return -ENODEV;
	vio_vnet_vq_stats_get(vq, st);
	return 0;
}
