/* SPDX-License-Identifier: BSD-3-Clause */

/* Devices (one per connection): allocation, reset, queries, and the bursts. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_ether.h>
#include <rte_malloc.h>

#include "vhost_internal.h"

/* Device slots are allocated once and never freed, so a vid stays a valid pointer. */
struct vhost_dev *vhost_devices[VIO_VHOST_MAX_DEVICES];

/*
 * The device's driver signals this eventfd (the local driver's engine queues
 * do, when one breaks or misses an IOTLB entry): the driver reports. Runs on
 * the control thread with vhost_lock held.
 */
static void
dev_err_handler(struct vhost_watch *w, uint32_t events)
{
	struct vhost_dev *dev = container_of(w, struct vhost_dev, err);
	eventfd_t v;

	RTE_SET_USED(events);
	if (eventfd_read(w->fd, &v) < 0 || !dev->in_use)
		return;
	if (dev->backend.ops != NULL && dev->backend.ops->error_event != NULL)
		dev->backend.ops->error_event(&dev->backend);
}

static void
vring_init(struct vhost_vring *vr)
{
	memset(&vr->cfg, 0, sizeof(vr->cfg));
	vr->cfg.kickfd = -1;
	vr->cfg.callfd = -1;
	vr->cfg.errfd = -1;
	vr->started = false;
	vr->enabled = false;
	atomic_store(&vr->notify_wanted, false);
	memset(&vr->saved, 0, sizeof(vr->saved));
}

static void
vring_close_fds(struct vhost_vring *vr)
{
	if (vr->cfg.kickfd >= 0)
		close(vr->cfg.kickfd);
	if (vr->cfg.callfd >= 0)
		close(vr->cfg.callfd);
	if (vr->cfg.errfd >= 0)
		close(vr->cfg.errfd);
	vr->cfg.kickfd = vr->cfg.callfd = vr->cfg.errfd = -1;
}

/*
 * What the device offers: the socket's features, less what its driver's
 * device cannot serve (a handoff driver says), and the protocol features that
 * need a driver op the driver does not have.
 */
static void
offer_set(struct vhost_dev *dev)
{
	const struct vio_backend_ops *ops = dev->backend.ops;
	const struct vhost_socket *s = dev->sock;
	uint64_t f = 0;
	uint16_t nb = 0;

	dev->features_offered = s->features;
	dev->protocol_features_offered = s->protocol_features;
	dev->max_queue_pairs = s->max_queue_pairs;
	if (ops->handoff && ops->get_features != NULL && ops->get_features(&dev->backend, &f) == 0)
		dev->features_offered &= f | VHOST_SERVER_FEATURES;
	if (ops->handoff && ops->get_queue_num != NULL &&
	    ops->get_queue_num(&dev->backend, &nb) == 0 && nb > 0 && nb < dev->max_queue_pairs)
		dev->max_queue_pairs = nb;
	if (ops->set_inflight == NULL)
		dev->protocol_features_offered &=
			~VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD);
	if (!(dev->features_offered & VIO_BIT(VHOST_F_LOG_ALL)))
		dev->protocol_features_offered &= ~VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_LOG_SHMFD);
	if (ops->iotlb_update == NULL)
		dev->features_offered &= ~VIO_BIT(VIO_F_ACCESS_PLATFORM);
}

struct vhost_dev *
vhost_dev_alloc(struct vhost_socket *s, int conn_fd)
{
	/*
	 * Round robin from the slot after the last one given out, so a vid that
	 * was just destroyed is the last to be reused (an lcore that polls it a
	 * little too long finds nothing rather than the next frontend's rings).
	 */
	static int last_vid = -1;
	const struct vhost_driver *drv;
	struct vhost_dev *dev = NULL;
	int n, vid = 0, i, ret;

	for (n = 0; n < VIO_VHOST_MAX_DEVICES; n++) {
		vid = (last_vid + 1 + n) % VIO_VHOST_MAX_DEVICES;
		if (vhost_devices[vid] == NULL) {
			vhost_devices[vid] = rte_zmalloc("vio_vhost_dev", sizeof(*dev), 0);
			if (vhost_devices[vid] == NULL)
				return NULL;
			vhost_devices[vid]->err.fd = -1;
		}
		if (!vhost_devices[vid]->in_use) {
			dev = vhost_devices[vid];
			break;
		}
	}
	if (dev == NULL) {
		VHOST_LOG(ERR, "%s: all %d device slots in use", s->path, VIO_VHOST_MAX_DEVICES);
		return NULL;
	}
	last_vid = vid;
	dev->vid = vid;
	dev->generation++;
	dev->sock = s;
	dev->conn.fd = conn_fd;
	dev->local = false;
	dev->local_reply = NULL;
	dev->rx.got = 0;
	dev->rx.msg.nb_fds = 0;
	dev->backend_req_fd = -1;
	dev->state_fd = -1;
	dev->state_ok = true;
	memset(dev->mac, 0, sizeof(dev->mac)); /* not the last frontend's of this slot */
	dev->backend_reqs_sent = 0;
	dev->backend_reqs_failed = 0;
	dev->iotlb_misses_sent = 0;
	dev->features = 0;
	dev->protocol_features = 0;
	dev->mtu = 0;
	dev->numa_node = -1;
	dev->status = 0;
	dev->nb_vrings = 0;
	dev->nb_regions = 0;
	dev->running = false;
	atomic_store(&dev->rarp_pending, false);
	for (i = 0; i < VHOST_MAX_VRINGS; i++) {
		struct vhost_vring *vr = &dev->vrings[i];

		vring_init(vr);
		vr->dev = dev;
		vr->idx = (uint16_t)i;
		atomic_store(&vr->live, NULL);
		atomic_store(&vr->busy, 0);
	}
	dev->err.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dev->err.handler = dev_err_handler;
	if (dev->err.fd < 0 || vhost_ctl_watch(&dev->err) < 0) {
		VHOST_LOG(ERR, "%s: error eventfd: %s", s->path, strerror(errno));
		goto err_close;
	}
	dev->backend.events = &vhost_backend_events;
	dev->backend.owner = dev;
	drv = vhost_driver_find(s->driver);
	ret = drv == NULL || drv->create == NULL ? -ENOTSUP : drv->create(&dev->backend, dev);
	if (ret < 0) {
		VHOST_LOG(ERR, "%s: driver %s: %s", s->path, s->driver,
			  ret == -ENOTSUP ? "no backend role in this build" : strerror(-ret));
		goto err_unwatch;
	}
	offer_set(dev);
	dev->in_use = true;
	s->connections++;
	return dev;

err_unwatch:
	vhost_ctl_unwatch(&dev->err);
err_close:
	if (dev->err.fd >= 0)
		close(dev->err.fd);
	dev->err.fd = -1;
	dev->conn.fd = -1;
	return NULL;
}

void
vhost_dev_update_running(struct vhost_dev *dev)
{
	/*
	 * The device runs once queue pair 0 is live (started, enabled, its
	 * memory mapped). From then on it runs while the frontend merely pauses
	 * those rings (SET_VRING_ENABLE 0, a new memory table, an IOTLB miss:
	 * DPDK's virtio_user pauses them around every growth of its heap), so
	 * the link does not flap for that; the bursts move nothing meanwhile.
	 * Only a stopped ring (GET_VRING_BASE, a failed start, a reset) or the
	 * end of the connection stops it.
	 */
	bool ready;

	if (dev->backend.ops->handoff)
		/* No engine queue: the device serves what the frontend started and enabled. */
		ready = dev->nb_regions > 0 && dev->vrings[0].started && dev->vrings[1].started &&
			(dev->running || (dev->vrings[0].enabled && dev->vrings[1].enabled));
	else
		ready = dev->running ? dev->vrings[0].started && dev->vrings[1].started
				     : atomic_load(&dev->vrings[0].live) != NULL &&
					       atomic_load(&dev->vrings[1].live) != NULL;

	if (ready && !dev->running) {
		dev->running = true;
		vhost_ctl_defer_new_device(dev);
	} else if (!ready && dev->running) {
		dev->running = false;
		vhost_ctl_defer_destroy_device(dev);
	}
}

/*
 * Device reset (RESET_DEVICE, RESET_OWNER): rings, memory, log,
 * features and status go; what belongs to the connection stays (protocol
 * features, the backend request fd, the vrings' error fds), because QEMU
 * does not send them again when it starts the device anew.
 */
void
vhost_dev_reset(struct vhost_dev *dev)
{
	int i;

	if (dev->backend.ops != NULL)
		dev->backend.ops->reset(&dev->backend);
	for (i = 0; i < VHOST_MAX_VRINGS; i++) {
		struct vhost_vring *vr = &dev->vrings[i];
		int errfd = vr->cfg.errfd;

		vr->cfg.errfd = -1;
		vring_close_fds(vr);
		memset(&vr->cfg, 0, sizeof(vr->cfg));
		vr->cfg.kickfd = -1;
		vr->cfg.callfd = -1;
		vr->cfg.errfd = errfd;
		vr->started = false;
		vr->enabled = false;
	}
	for (i = 0; i < (int)dev->nb_regions; i++)
		close(dev->regions[i].fd);
	dev->nb_regions = 0;
	dev->features = 0;
	dev->status = 0;
	vhost_dev_update_running(dev);
}

void
vhost_dev_close(struct vhost_dev *dev)
{
	int i;

	vhost_dev_reset(dev);
	/* The engine queues are gone, their counters in saved: the socket keeps them. */
	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		vhost_stats_add(&dev->sock->past[i], &dev->vrings[i].saved);
	for (i = 0; i < VHOST_MAX_VRINGS; i++) {
		vring_close_fds(&dev->vrings[i]);
		vring_init(&dev->vrings[i]);
	}
	if (dev->backend_req_fd >= 0)
		close(dev->backend_req_fd);
	dev->backend_req_fd = -1;
	if (dev->state_fd >= 0)
		close(dev->state_fd);
	dev->state_fd = -1;
	dev->protocol_features = 0;
	dev->nb_vrings = 0;
	if (dev->backend.ops != NULL)
		dev->backend.ops->destroy(&dev->backend);
	vhost_user_msg_close_fds(&dev->rx.msg); /* of a message cut short */
	dev->rx.got = 0;
	vhost_ctl_unwatch(&dev->conn);
	if (dev->conn.fd >= 0)
		close(dev->conn.fd);
	dev->conn.fd = -1;
	dev->local = false;
	vhost_ctl_unwatch(&dev->err);
	close(dev->err.fd);
	dev->err.fd = -1;
	dev->in_use = false;
	dev->sock = NULL;
}

/* ------------------------------------------------------------------------ */
/* Queries and bursts                                                        */
/* ------------------------------------------------------------------------ */

static struct vhost_dev *
dev_get(int vid)
{
	struct vhost_dev *dev;

	if (vid < 0 || vid >= VIO_VHOST_MAX_DEVICES)
		return NULL;
	dev = vhost_devices[vid];
	return dev != NULL && dev->in_use ? dev : NULL;
}

/*
 * The body of a per-device query: run @p body with @p dev the connected device
 * of @p vid, under vhost_lock; -ENODEV when there is none.
 */
#define DEV_QUERY(vid, body)                       \
	do {                                       \
		struct vhost_dev *dev;             \
		int ret = -ENODEV;                 \
		pthread_mutex_lock(&vhost_lock);   \
		dev = dev_get(vid);                \
		if (dev != NULL) {                 \
			ret = 0;                   \
			body;                      \
		}                                  \
		pthread_mutex_unlock(&vhost_lock); \
		return ret;                        \
	} while (0)

int
vio_vhost_get_negotiated_features(int vid, uint64_t *features)
{
	DEV_QUERY(vid, *features = dev->features);
}

int
vio_vhost_get_mtu(int vid, uint16_t *mtu)
{
	DEV_QUERY(vid, *mtu = dev->mtu);
}

int
vio_vhost_get_numa_node(int vid)
{
	DEV_QUERY(vid, ret = dev->numa_node);
}

int
vio_vhost_get_vring_num(int vid)
{
	DEV_QUERY(vid, ret = (int)dev->nb_vrings);
}

int
vio_vhost_get_path(int vid, char *buf, size_t len)
{
	DEV_QUERY(vid, snprintf(buf, len, "%s", dev->sock->path));
}

/* A vring's counters in this connection: its past engine queues and the live one. */
static void
vring_stats(struct vhost_vring *vr, struct vio_vq_stats *stats)
{
	struct vio_vq_stats cur;
	struct vio_vq *vq;

	*stats = vr->saved;
	vq = atomic_load(&vr->live);
	if (vq != NULL && vio_vq_stats_get(vq, &cur) == 0)
		vhost_stats_add(stats, &cur);
}

int
vio_vhost_queue_stats_get(int vid, uint16_t queue_id, struct vio_vq_stats *stats)
{
	struct vhost_dev *dev;
	int ret = -ENODEV;

	if (queue_id >= VHOST_MAX_VRINGS || stats == NULL)
		return -EINVAL;
	pthread_mutex_lock(&vhost_lock);
	dev = dev_get(vid);
	if (dev != NULL) {
		vring_stats(&dev->vrings[queue_id], stats);
		ret = 0;
	}
	pthread_mutex_unlock(&vhost_lock);
	return ret;
}

int
vio_vhost_socket_stats_get(const char *path, uint16_t queue_id, struct vio_vq_stats *stats,
			   unsigned int *connections)
{
	struct vhost_socket *s;
	int ret = -ENOENT;

	if (path == NULL || queue_id >= VHOST_MAX_VRINGS || stats == NULL)
		return -EINVAL;
	pthread_mutex_lock(&vhost_lock);
	s = vhost_ctl_socket_find(path);
	if (s != NULL) {
		*stats = s->past[queue_id];
		if (s->dev != NULL) {
			struct vio_vq_stats cur;

			vring_stats(&s->dev->vrings[queue_id], &cur);
			vhost_stats_add(stats, &cur);
		}
		if (connections != NULL)
			*connections = s->connections;
		ret = 0;
	}
	pthread_mutex_unlock(&vhost_lock);
	return ret;
}

int
vio_vhost_get_socket_info(const char *path, struct vio_vhost_socket_info *info)
{
	struct vhost_socket *s;
	int ret = -ENOENT;

	if (path == NULL || info == NULL)
		return -EINVAL;
	pthread_mutex_lock(&vhost_lock);
	s = vhost_ctl_socket_find(path);
	if (s != NULL) {
		*info = (struct vio_vhost_socket_info){
			.vid = s->dev != NULL && s->dev->in_use ? s->dev->vid : -1,
			.connections = s->connections,
			.started = s->started,
		};
		ret = 0;
	}
	pthread_mutex_unlock(&vhost_lock);
	return ret;
}

static void
mem_regions_copy(const struct vhost_dev *dev, struct vio_vhost_mem_region_info *regions,
		 unsigned int max)
{
	uint32_t i;

	for (i = 0; i < dev->nb_regions && i < max; i++)
		regions[i] = (struct vio_vhost_mem_region_info){
			.gpa = dev->regions[i].r.gpa,
			.size = dev->regions[i].r.size,
			.uaddr = dev->regions[i].r.uaddr,
			.mmap_offset = dev->regions[i].r.mmap_offset,
		};
}

int
vio_vhost_get_mem_regions(int vid, struct vio_vhost_mem_region_info *regions, unsigned int max)
{
	DEV_QUERY(vid, mem_regions_copy(dev, regions, max); ret = (int)dev->nb_regions);
}

static int
iotlb_entries(struct vhost_dev *dev)
{
	const struct vio_backend_ops *ops = dev->backend.ops;
	unsigned int nb = 0;

	if (ops == NULL || ops->iotlb_entries == NULL || ops->iotlb_entries(&dev->backend, &nb) < 0)
		return -ENOTSUP;
	return (int)nb;
}

int
vio_vhost_get_iotlb_entries(int vid)
{
	DEV_QUERY(vid, ret = iotlb_entries(dev));
}

static void
vring_info(const struct vhost_vring *vr, struct vio_vhost_vring_info *info)
{
	/* Under vhost_lock: the control thread frees no engine queue meanwhile. */
	const struct vio_vq *vq = atomic_load_explicit(&vr->live, memory_order_acquire);

	*info = (struct vio_vhost_vring_info){
		.size = vr->cfg.size,
		.started = vr->started,
		.enabled = vr->enabled,
		.live = vq != NULL,
	};
	if (vq != NULL) {
		info->broken = vio_vq_is_broken(vq);
		vio_vq_ring_state_get(vq, &info->ring);
	}
}

int
vio_vhost_get_vring_info(int vid, uint16_t queue_id, struct vio_vhost_vring_info *info)
{
	if (queue_id >= VHOST_MAX_VRINGS || info == NULL)
		return -EINVAL;
	DEV_QUERY(vid, vring_info(&dev->vrings[queue_id], info));
}

static __rte_always_inline struct vhost_vring *
burst_vring(int vid, uint16_t queue_id, unsigned int parity)
{
	struct vhost_dev *dev;

	if (unlikely(vid < 0 || vid >= VIO_VHOST_MAX_DEVICES || queue_id >= VHOST_MAX_VRINGS ||
		     (queue_id & 1) != parity))
		return NULL;
	dev = vhost_devices[vid];
	return likely(dev != NULL) ? &dev->vrings[queue_id] : NULL;
}

uint16_t
vio_vhost_enqueue_burst(int vid, uint16_t queue_id, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct vhost_vring *vr = burst_vring(vid, queue_id, 0);
	struct vio_vq *vq;
	uint16_t n = 0;

	if (unlikely(vr == NULL))
		return 0;
	vq = vhost_vring_enter(vr);
	if (likely(vq != NULL))
		n = vio_vq_enqueue_burst(vq, pkts, nb_pkts);
	vhost_vring_leave(vr);
	return n;
}

/* A RARP from the guest's MAC, so switches learn where it moved (SEND_RARP). */
static void
rarp_fill(struct rte_mbuf *m, const uint8_t *mac)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 60);
	static const uint8_t arp_hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 3 }; /* Ethernet, IPv4, op 3 */

	if (p == NULL)
		return;
	memset(p, 0, 60);
	memset(p, 0xff, 6);
	memcpy(p + 6, mac, 6);
	p[12] = 0x80; /* EtherType 0x8035: RARP */
	p[13] = 0x35;
	memcpy(p + 14, arp_hdr, sizeof(arp_hdr));
	memcpy(p + 22, mac, 6); /* sender hardware address */
	memcpy(p + 32, mac, 6); /* target hardware address */
}

uint16_t
vio_vhost_dequeue_burst(int vid, uint16_t queue_id, struct rte_mempool *mp, struct rte_mbuf **pkts,
			uint16_t nb_pkts)
{
	struct vhost_vring *vr = burst_vring(vid, queue_id, 1);
	struct vio_vq *vq;
	uint16_t n = 0, extra = 0;

	if (unlikely(vr == NULL || nb_pkts == 0))
		return 0;
	vq = vhost_vring_enter(vr);
	if (likely(vq != NULL)) {
		struct vhost_dev *dev = vhost_devices[vid];

		if (unlikely(queue_id == 1 &&
			     atomic_load_explicit(&dev->rarp_pending, memory_order_relaxed))) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

			if (m != NULL && atomic_exchange(&dev->rarp_pending, false)) {
				rarp_fill(m, dev->rarp_mac);
				pkts[0] = m;
				extra = 1;
			} else if (m != NULL) {
				rte_pktmbuf_free(m);
			}
		}
		n = vio_vq_dequeue_burst(vq, mp, pkts + extra, nb_pkts - extra);
	}
	vhost_vring_leave(vr);
	return n + extra;
}
