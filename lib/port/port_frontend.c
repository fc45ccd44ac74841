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
 * Memory. The device's memory table is DPDK's memory (every fd-backed run
 * of segments). When DPDK's heap grows or shrinks after the rings started
 * (dynamic memory: hugepages without --legacy-mem), DPDK's memory event
 * callback tells the device before anyone uses the new memory, or after
 * nobody uses the old: ADD_MEM_REG / REM_MEM_REG when the driver has them
 * and regions only came or went; otherwise, when a region changed (grown
 * in place), every vring disabled, the whole table again (SET_MEM_TABLE),
 * every vring enabled again, as DPDK's virtio_user does. A device that
 * refuses is dropped, and the watcher gives the next one the whole table.
 * The local driver cannot be told inside the callback (its server would
 * allocate from the heap whose lock the callback runs under): the change
 * is logged and counted; keep DPDK's memory fixed with it (--no-huge,
 * --legacy-mem, or enough -m).
 *
 * Locks: fe->lock (control only, never on the data path) serialises the
 * watcher against start, stop, close and the memory event callback; it is
 * not held while the driver blocks in a connect, nor while the port's link
 * callback runs. Order: DPDK's memory hotplug lock (held around the memory
 * event callback; taken for reading before fe->lock wherever the table is
 * built, the remote driver only), then fe->lock.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal_memconfig.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memory.h>

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
		.iface = cfg->iface[0] != '\0' ? cfg->iface : NULL,
		.nb_queue_pairs = cfg->nb_queue_pairs,
		.queue_size = cfg->queue_size,
	};
	uint64_t offer = 0, want = FE_FEATURES, features;
	uint16_t nb = 0;
	int ret;

	ret = vio_backend_open(vio_port_driver_name(cfg->driver), &t, be);
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

/* Whether the table is built under DPDK's memory hotplug lock (see the top). */
static bool
fe_mem_locking(const struct port_fe *fe)
{
	return fe->mem_events && fe->cfg->driver != VIO_PORT_DRIVER_LOCAL;
}

static void
mem_lock(const struct port_fe *fe)
{
	if (fe_mem_locking(fe))
		rte_mcfg_mem_read_lock();
}

static void
mem_unlock(const struct port_fe *fe)
{
	if (fe_mem_locking(fe))
		rte_mcfg_mem_read_unlock();
}

/* DPDK's memory now, into @p rd; the count, or a negative errno (logged). */
static int
fe_mem_walk(struct port_fe *fe, struct vio_mem_region_desc *rd, bool locked)
{
	int n, i;

	n = locked ? vio_vnet_mem_regions_locked(fe->walk, FE_MAX_REGIONS)
		   : vio_vnet_mem_regions(fe->walk, FE_MAX_REGIONS);
	if (n < 0 || n > FE_MAX_REGIONS) {
		PORT_LOG(ERR, "%s: DPDK's memory cannot be shared with the backend: %s", fe->name,
			 n < 0 ? "a segment has no fd (use --single-file-segments or --no-huge)"
			       : "too many regions");
		return n < 0 ? n : -E2BIG;
	}
	for (i = 0; i < n; i++)
		rd[i] = (struct vio_mem_region_desc){ .fd = fe->walk[i].fd,
						      .mmap_offset = fe->walk[i].offset,
						      .gpa = fe->walk[i].va,
						      .uaddr = fe->walk[i].va,
						      .size = fe->walk[i].len };
	return n;
}

/* The whole table to the device. Under fe->lock (and mem_lock()). */
static int
fe_mem_table(struct port_fe *fe)
{
	int n = fe_mem_walk(fe, fe->table, fe_mem_locking(fe)), ret;

	if (n < 0)
		return n;
	ret = fe->be.ops->set_mem_table(&fe->be, fe->table, (unsigned int)n);
	fe->nb_table = ret == 0 ? (unsigned int)n : 0;
	if (ret == 0)
		PORT_LOG(INFO, "%s: memory table of %d region%s", fe->name, n, n == 1 ? "" : "s");
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

static bool
region_in(const struct vio_mem_region_desc *r, const struct vio_mem_region_desc *t, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (t[i].fd == r->fd && t[i].mmap_offset == r->mmap_offset && t[i].gpa == r->gpa &&
		    t[i].size == r->size)
			return true;
	return false;
}

/* The whole new table (fe->next, @p n regions), every vring paused around it. */
static int
fe_mem_table_again(struct port_fe *fe, unsigned int n)
{
	unsigned int v, nb_vrings = 2u * fe->active;
	int ret;

	/* -ENOTSUP without F_PROTOCOL_FEATURES: the backend takes tables while it runs. */
	for (v = 0; v < nb_vrings; v++)
		(void)fe->be.ops->vring_enable(&fe->be, (uint16_t)v, false);
	ret = fe->be.ops->set_mem_table(&fe->be, fe->next, n);
	for (v = 0; v < nb_vrings && ret == 0; v++) {
		ret = fe->be.ops->vring_enable(&fe->be, (uint16_t)v, true);
		eventfd_write(fe->kickfd[v], 1); /* what was posted meanwhile */
	}
	return ret;
}

/*
 * DPDK's memory changed: tell the device (see the top). Under DPDK's
 * memory hotplug lock (the event callback) and fe->lock; allocates nothing.
 */
static int
fe_mem_update(struct port_fe *fe, bool alloc, const void *addr, size_t len)
{
	unsigned int i, nb_add = 0, nb_rem = 0;
	struct vio_mem_region_desc *t;
	int n = fe_mem_walk(fe, fe->next, true), ret = -ENOTSUP;

	if (n < 0)
		return n;
	for (i = 0; i < (unsigned int)n; i++)
		nb_add += !region_in(&fe->next[i], fe->table, fe->nb_table);
	for (i = 0; i < fe->nb_table; i++)
		nb_rem += !region_in(&fe->table[i], fe->next, (unsigned int)n);
	if (nb_add == 0 && nb_rem == 0)
		return 0;
	/* Regions only came or only went: one by one, the rings running. */
	if ((nb_add == 0 || nb_rem == 0) && fe->be.ops->mem_region_add != NULL &&
	    fe->be.ops->mem_region_remove != NULL) {
		ret = 0;
		for (i = 0; i < (unsigned int)n && ret == 0; i++)
			if (!region_in(&fe->next[i], fe->table, fe->nb_table))
				ret = fe->be.ops->mem_region_add(&fe->be, &fe->next[i]);
		for (i = 0; i < fe->nb_table && ret == 0; i++)
			if (!region_in(&fe->table[i], fe->next, (unsigned int)n))
				ret = fe->be.ops->mem_region_remove(&fe->be, &fe->table[i]);
	}
	/* -ENOTSUP comes from the first call, before anything was sent. */
	if (ret == -ENOTSUP) {
		ret = fe_mem_table_again(fe, (unsigned int)n);
		nb_add = nb_rem = 0;
	}
	if (ret < 0)
		return ret;
	t = fe->table;
	fe->table = fe->next;
	fe->next = t;
	fe->nb_table = (unsigned int)n;
	fe->mem_updates++;
	if (nb_add + nb_rem != 0)
		PORT_LOG(INFO,
			 "%s: DPDK's memory %s %zu bytes at %p: %u region%s added, %u removed "
			 "(ADD/REM_MEM_REG)",
			 fe->name, alloc ? "grew by" : "shrank by", len, addr, nb_add,
			 nb_add == 1 ? "" : "s", nb_rem);
	else
		PORT_LOG(INFO,
			 "%s: DPDK's memory %s %zu bytes at %p: the table again, %d region%s "
			 "(SET_MEM_TABLE, vrings paused)",
			 fe->name, alloc ? "grew by" : "shrank by", len, addr, n,
			 n == 1 ? "" : "s");
	return 0;
}

/* DPDK's memory event callback: under its memory hotplug lock, in the allocating thread. */
static void
fe_mem_event(enum rte_mem_event type, const void *addr, size_t len, void *arg)
{
	const struct rte_memseg_list *msl = rte_mem_virt2memseg_list(addr);
	struct port_fe *fe = arg;
	bool down = false;
	int ret;

	if (msl == NULL || msl->external)
		return; /* the application's own memory: not the mbufs' or the rings' */
	if (fe->cfg->driver == VIO_PORT_DRIVER_LOCAL) {
		/*
		 * Not under fe->lock: its holder may be in the in-process server,
		 * allocating from the heap this callback runs under.
		 */
		if (atomic_load_explicit(&fe->programmed, memory_order_acquire)) {
			atomic_fetch_add_explicit(&fe->mem_missed, 1, memory_order_relaxed);
			PORT_LOG(ERR,
				 "%s: DPDK's memory %s %zu bytes at %p while the rings run: "
				 "driver=local cannot tell its backend port (keep DPDK's memory "
				 "fixed: --no-huge, --legacy-mem or enough -m)",
				 fe->name, type == RTE_MEM_EVENT_ALLOC ? "grew by" : "shrank by",
				 len, addr);
		}
		return;
	}
	pthread_mutex_lock(&fe->lock);
	if (fe_connected(fe) && fe->programmed) {
		ret = fe_mem_update(fe, type == RTE_MEM_EVENT_ALLOC, addr, len);
		if (ret < 0) {
			atomic_fetch_add_explicit(&fe->mem_missed, 1, memory_order_relaxed);
			PORT_LOG(ERR,
				 "%s: path=%s: the backend did not take DPDK's new memory "
				 "table: %s; dropped, reconnecting",
				 fe->name, fe->cfg->path, strerror(-ret));
			down = fe->active != 0;
			fe_lose(fe);
		}
	}
	pthread_mutex_unlock(&fe->lock);
	if (down)
		fe_link(fe, false);
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
		mem_lock(fe);
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
		mem_unlock(fe);
		if (up)
			fe_link(fe, true);
	}
	return NULL;
}

static void
fe_free(struct port_fe *fe)
{
	free(fe->table);
	free(fe->next);
	free(fe->walk);
	free(fe);
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
	fe->table = calloc(FE_MAX_REGIONS, sizeof(*fe->table));
	fe->next = calloc(FE_MAX_REGIONS, sizeof(*fe->next));
	fe->walk = calloc(FE_MAX_REGIONS, sizeof(*fe->walk));
	if (fe->table == NULL || fe->next == NULL || fe->walk == NULL) {
		fe_free(fe);
		return -ENOMEM;
	}
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
	/*
	 * Dynamic memory only: with --no-huge or --legacy-mem it never changes
	 * (ENOTSUP). The name is unique by the pointer, which comes first: DPDK
	 * takes 63 characters at most.
	 */
	snprintf(fe->mem_cb_name, sizeof(fe->mem_cb_name), "vio-fe-%p-%s", (void *)fe, name);
	if (rte_mem_event_callback_register(fe->mem_cb_name, fe_mem_event, fe) == 0) {
		fe->mem_events = true;
		if (cfg->driver == VIO_PORT_DRIVER_LOCAL)
			PORT_LOG(WARNING,
				 "%s: driver=local with dynamic memory: DPDK's memory must not "
				 "grow or shrink while the rings run (--no-huge, --legacy-mem, or "
				 "enough -m)",
				 name);
	} else if (rte_errno != ENOTSUP) {
		PORT_LOG(ERR, "%s: memory event callback: %s", name, rte_strerror(rte_errno));
		ret = -rte_errno;
		fe->be.ops->destroy(&fe->be);
		goto err;
	}
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
	if (fe->mem_events)
		rte_mem_event_callback_unregister(fe->mem_cb_name, fe);
	pthread_mutex_destroy(&fe->lock);
	fe_free(fe);
	return ret;
}

/*
 * Rings taken out of the port under fe->lock and freed after it: nothing
 * that may take DPDK's heap (and so its memory hotplug lock, around the
 * memory event callback, which takes fe->lock) runs under fe->lock.
 */
struct fe_rings {
	struct vio_vnet_vq *rxq[VIO_VHOST_MAX_QUEUE_PAIRS];
	struct vio_vnet_vq *txq[VIO_VHOST_MAX_QUEUE_PAIRS];
	int kickfd[2 * VIO_VHOST_MAX_QUEUE_PAIRS];
	int callfd[2 * VIO_VHOST_MAX_QUEUE_PAIRS];
	uint16_t nb;
};

static void
rings_free(struct fe_rings *r)
{
	unsigned int v;

	for (v = 0; v < r->nb; v++) {
		vio_vnet_vq_free(r->rxq[v]);
		vio_vnet_vq_free(r->txq[v]);
	}
	for (v = 0; v < 2u * r->nb; v++) {
		if (r->kickfd[v] >= 0)
			close(r->kickfd[v]);
		if (r->callfd[v] >= 0)
			close(r->callfd[v]);
	}
	r->nb = 0;
}

/* Stop every vring and take the rings out of the port (into @p out). Under fe->lock. */
static void
queues_stop_locked(struct port_fe *fe, struct fe_rings *out)
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
	out->nb = fe->active;
	for (v = 0; v < fe->active; v++) {
		out->rxq[v] = fe->rxq[v];
		out->txq[v] = fe->txq[v];
		fe->rxq[v] = fe->txq[v] = NULL;
	}
	for (v = 0; v < nb_vrings; v++) {
		out->kickfd[v] = fe->kickfd[v];
		out->callfd[v] = fe->callfd[v];
		fe->kickfd[v] = fe->callfd[v] = -1;
	}
	fe->active = 0;
}

void
port_fe_queues_stop(struct port_fe *fe)
{
	struct fe_rings r = { .nb = 0 };

	if (fe == NULL)
		return;
	pthread_mutex_lock(&fe->lock);
	if (fe->active != 0)
		queues_stop_locked(fe, &r);
	pthread_mutex_unlock(&fe->lock);
	rings_free(&r);
}

/* Make the rings of @p nb_qp queue pairs, and their eventfds, into @p r. */
static int
rings_make(struct port_fe *fe, struct rte_mempool *const *rx_mps, uint16_t nb_qp, int socket_id,
	   struct fe_rings *r)
{
	unsigned int v, nb_vrings = 2u * nb_qp;

	for (v = 0; v < nb_vrings; v++)
		r->kickfd[v] = r->callfd[v] = -1;
	r->nb = nb_qp; /* from here rings_free() undoes what was done */
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
		r->kickfd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		r->callfd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (r->kickfd[v] < 0 || r->callfd[v] < 0)
			return -errno;
		vc.kickfd = r->kickfd[v];
		vq = vio_vnet_vq_create(&vc);
		if (vq == NULL)
			return -rte_errno;
		if (v & 1)
			r->txq[v / 2] = vq;
		else
			r->rxq[v / 2] = vq;
	}
	return 0;
}

int
port_fe_queues_start(struct port_fe *fe, struct rte_mempool *const *rx_mps, uint16_t nb_qp,
		     int socket_id)
{
	struct fe_rings r = { .nb = 0 }, old = { .nb = 0 };
	unsigned int v;
	int ret;

	/* Called by the application's thread alone: fe->active changes only here and at stop. */
	if (fe->active != 0)
		return 0;
	ret = rings_make(fe, rx_mps, nb_qp, socket_id, &r);
	if (ret < 0) {
		PORT_LOG(ERR, "%s: queues not started: %s", fe->name, strerror(-ret));
		rings_free(&r);
		return ret;
	}
	/* The table is built under DPDK's memory hotplug lock (see the top). */
	mem_lock(fe);
	pthread_mutex_lock(&fe->lock);
	for (v = 0; v < nb_qp; v++) {
		fe->rxq[v] = r.rxq[v];
		fe->txq[v] = r.txq[v];
	}
	for (v = 0; v < 2u * nb_qp; v++) {
		fe->kickfd[v] = r.kickfd[v];
		fe->callfd[v] = r.callfd[v];
	}
	fe->active = nb_qp;
	/* Without a device now, the watcher programs the next one. */
	if (fe_connected(fe)) {
		ret = fe_program(fe);
		if (ret < 0) {
			PORT_LOG(ERR, "%s: queues not started: %s", fe->name, strerror(-ret));
			queues_stop_locked(fe, &old);
		}
	}
	if (ret == 0)
		PORT_LOG(INFO, "%s: %u queue pair%s of %u entries started%s", fe->name, nb_qp,
			 nb_qp == 1 ? "" : "s", fe->cfg->queue_size,
			 fe->programmed ? "" : "; the backend gets them when it is back");
	pthread_mutex_unlock(&fe->lock);
	mem_unlock(fe);
	rings_free(&old);
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
	struct fe_rings r = { .nb = 0 };

	if (fe == NULL)
		return;
	atomic_store_explicit(&fe->stop, true, memory_order_release);
	pthread_join(fe->watcher, NULL);
	/* Waits for a callback that runs; not under fe->lock, which the callback takes. */
	if (fe->mem_events)
		rte_mem_event_callback_unregister(fe->mem_cb_name, fe);
	pthread_mutex_lock(&fe->lock);
	if (fe->active != 0)
		queues_stop_locked(fe, &r);
	if (fe_connected(fe))
		fe_lose(fe);
	pthread_mutex_unlock(&fe->lock);
	rings_free(&r);
	pthread_mutex_destroy(&fe->lock);
	fe_free(fe);
}

bool
port_fe_link_up(const struct port_fe *fe)
{
	return fe != NULL && fe->programmed && fe_connected(fe);
}

void
port_fe_info(struct port_fe *fe, struct vio_port_frontend_info *info)
{
	pthread_mutex_lock(&fe->lock);
	info->connections = fe->connections;
	info->mem_regions = fe->programmed ? fe->nb_table : 0;
	info->mem_updates = fe->mem_updates;
	info->mem_missed = atomic_load_explicit(&fe->mem_missed, memory_order_relaxed);
	pthread_mutex_unlock(&fe->lock);
}

int
port_fe_notify_fd(struct port_fe *fe, uint16_t qp)
{
	int fd = -ENODEV;

	pthread_mutex_lock(&fe->lock);
	if (qp < fe->active) {
		fd = fcntl(fe->callfd[2 * qp], F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			fd = -errno;
	}
	pthread_mutex_unlock(&fe->lock);
	return fd;
}

int
port_fe_notify_enable(struct port_fe *fe, uint16_t qp, bool enable)
{
	struct vio_vnet_vq *vq = fe->rxq[qp];

	if (vq == NULL)
		return -ENODEV;
	/* What came before the request may not be signalled: signal it here. */
	if (vio_vnet_vq_intr_set(vq, enable))
		eventfd_write(fe->callfd[2 * qp], 1);
	return 0;
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

void
port_fe_status(struct port_fe *fe, struct port_fe_status *st)
{
	port_fe_info(fe, &st->info);
	pthread_mutex_lock(&fe->lock);
	st->features = fe->features;
	st->connected = fe_connected(fe);
	st->programmed = fe->programmed;
	st->active = fe->active;
	pthread_mutex_unlock(&fe->lock);
}

int
port_fe_queue_snapshot(struct port_fe *fe, uint16_t qp, bool tx, struct vio_vnet_vq_stats *st,
		       struct vio_vnet_vq_ring_state *ring)
{
	const struct vio_vnet_vq *vq;
	int ret = -ENODEV;

	pthread_mutex_lock(&fe->lock);
	vq = tx ? fe->txq[qp] : fe->rxq[qp];
	if (vq != NULL) {
		vio_vnet_vq_stats_get(vq, st);
		vio_vnet_vq_ring_state_get(vq, ring);
		ret = 0;
	}
	pthread_mutex_unlock(&fe->lock);
	return ret;
}

unsigned int
port_fe_mem_regions(struct port_fe *fe, struct vio_vhost_mem_region_info *out, unsigned int max)
{
	unsigned int i, n;

	pthread_mutex_lock(&fe->lock);
	n = fe->programmed ? fe->nb_table : 0;
	for (i = 0; i < n && i < max; i++)
		out[i] = (struct vio_vhost_mem_region_info){
			.gpa = fe->table[i].gpa,
			.size = fe->table[i].size,
			.uaddr = fe->table[i].uaddr,
			.mmap_offset = fe->table[i].mmap_offset,
		};
	pthread_mutex_unlock(&fe->lock);
	return n;
}
