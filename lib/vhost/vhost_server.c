/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The vhost-user server: one frontend message at a time, checked, then mapped
 * onto the device's backend ops. Runs on the control thread with vhost_lock
 * held. A handler returns 0, a negative errno to fail the request (the
 * frontend gets a failure reply when one is due), or VHOST_CLOSE to drop the
 * connection (malformed input: the log line names the message, the field
 * and the value).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhost_internal.h"

#define VHOST_CLOSE (-10000)

/* Log a malformed field and drop the connection. */
#define BAD(dev, msg, field, fmt, ...)                                                  \
	({                                                                              \
		DEV_LOG(dev, ERR, "%s: bad %s " fmt ": closing the connection",         \
			vhost_user_req_name((msg)->hdr.request), field, ##__VA_ARGS__); \
		VHOST_CLOSE;                                                            \
	})

/*
 * Protocol features count from SET_PROTOCOL_FEATURES on: QEMU negotiates them
 * (and uses REPLY_ACK, MQ, CONFIGURE_MEM_SLOTS, BACKEND_REQ) before it sends
 * SET_FEATURES.
 */
static bool
proto_acked(const struct vhost_dev *dev, unsigned int bit)
{
	return dev->protocol_features & VIO_BIT(bit);
}

static int
reply(struct vhost_dev *dev, struct vhost_user_msg *msg, uint32_t size, const int *fds,
      uint32_t nb_fds)
{
	struct vhost_user_hdr hdr = {
		.request = msg->hdr.request,
		.flags = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY,
		.size = size,
	};
	int ret = dev->local ? vhost_local_reply(dev, &hdr, &msg->payload, fds, nb_fds)
			     : vhost_user_msg_send(dev->conn.fd, &hdr, &msg->payload, fds, nb_fds);

	if (ret < 0)
		DEV_LOG(dev, ERR, "%s: reply failed: %s", vhost_user_req_name(msg->hdr.request),
			strerror(-ret));
	return ret < 0 ? VHOST_CLOSE : 0;
}

static int
reply_u64(struct vhost_dev *dev, struct vhost_user_msg *msg, uint64_t v)
{
	msg->payload.u64 = v;
	return reply(dev, msg, sizeof(uint64_t), NULL, 0);
}

/* The vring index of a message, checked against what the socket offers. */
static int
vring_idx(struct vhost_dev *dev, struct vhost_user_msg *msg, uint32_t raw, uint16_t *idx)
{
	uint32_t max = 2u * dev->max_queue_pairs;

	if (raw >= max)
		return BAD(dev, msg, "vring index", "%u (the device has %u vrings)", raw, max);
	*idx = (uint16_t)raw;
	if (*idx + 1u > dev->nb_vrings)
		dev->nb_vrings = *idx + 1u;
	return 0;
}

static bool
packed(const struct vhost_dev *dev)
{
	return dev->features & VIO_BIT(VIO_F_RING_PACKED);
}

/* Start the vring (again) with its current config if it runs already or was kicked. */
static int
vring_apply(struct vhost_dev *dev, uint16_t idx)
{
	struct vhost_vring *vr = &dev->vrings[idx];
	int ret;

	if (!vr->started)
		return 0;
	ret = dev->backend.ops->vring_start(&dev->backend, idx, &vr->cfg);
	if (ret < 0)
		vr->started = false;
	vhost_dev_update_running(dev);
	return ret;
}

static bool
any_started(const struct vhost_dev *dev)
{
	uint32_t i;

	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		if (dev->vrings[i].started)
			return true;
	return false;
}

static int
on_get_features(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	return reply_u64(dev, msg, dev->features_offered);
}

static int
on_set_features(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	uint64_t f = msg->payload.u64;
	uint64_t changed = f ^ dev->features;
	int ret;

	if (f & ~dev->features_offered)
		return BAD(dev, msg, "features", "0x%" PRIx64 " (not offered: 0x%" PRIx64 ")", f,
			   f & ~dev->features_offered);
	/* Only LOG_ALL may change while rings run (virtio 1.2, 3.1.1: features before DRIVER_OK). */
	if (any_started(dev) && (changed & ~VIO_BIT(VHOST_F_LOG_ALL)))
		return BAD(dev, msg, "features",
			   "0x%" PRIx64 " change 0x%" PRIx64 " while the device runs", f, changed);
	ret = dev->backend.ops->set_features(&dev->backend, f);
	if (ret < 0)
		return BAD(dev, msg, "features", "0x%" PRIx64 ": driver %s: %s", f,
			   dev->backend.ops->name, strerror(-ret));
	dev->features = f;
	vhost_ctl_defer_features(dev);
	return 0;
}

static int
on_get_protocol_features(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	return reply_u64(dev, msg, dev->protocol_features_offered);
}

static int
on_set_protocol_features(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	uint64_t f = msg->payload.u64;

	if (f & ~dev->protocol_features_offered)
		return BAD(dev, msg, "protocol features",
			   "0x%" PRIx64 " (not offered: 0x%" PRIx64 ")", f,
			   f & ~dev->protocol_features_offered);
	dev->protocol_features = f;
	return 0;
}

static int
on_set_owner(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	/* One connection is one owner: nothing to record. */
	RTE_SET_USED(dev);
	RTE_SET_USED(msg);
	return 0;
}

static int
on_reset(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	RTE_SET_USED(msg);
	vhost_dev_reset(dev);
	return 0;
}

/* Hand the device's regions to the backend (it builds its own table from the fds). */
static int
mem_table_apply(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	static struct vio_mem_region_desc d[VIO_MEM_MAX_REGIONS]; /* control thread only */
	uint32_t i;
	int ret;

	for (i = 0; i < dev->nb_regions; i++) {
		const struct vhost_user_mem_region *r = &dev->regions[i].r;

		d[i].fd = dev->regions[i].fd;
		d[i].gpa = r->gpa;
		d[i].uaddr = r->uaddr;
		d[i].size = r->size;
		d[i].mmap_offset = r->mmap_offset;
	}
	ret = dev->backend.ops->set_mem_table(&dev->backend, d, dev->nb_regions);
	if (ret < 0)
		return BAD(dev, msg, "memory table", "(%u regions): %s", dev->nb_regions,
			   strerror(-ret));
	vhost_dev_update_running(dev);
	return 0;
}

static void
regions_clear(struct vhost_dev *dev)
{
	uint32_t i;

	for (i = 0; i < dev->nb_regions; i++)
		close(dev->regions[i].fd);
	dev->nb_regions = 0;
}

static int
on_set_mem_table(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	uint32_t i;

	regions_clear(dev);
	for (i = 0; i < msg->payload.mem.nregions; i++) {
		dev->regions[i].r = msg->payload.mem.regions[i];
		dev->regions[i].fd = vhost_user_msg_take_fd(msg, i);
		dev->regions[i].refs = 1;
	}
	dev->nb_regions = msg->payload.mem.nregions;
	return mem_table_apply(dev, msg);
}

static int
on_get_max_mem_slots(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	return reply_u64(dev, msg, VIO_MEM_MAX_REGIONS);
}

static int
on_add_mem_reg(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	const struct vhost_user_mem_region *r = &msg->payload.mem_reg.region;
	struct vhost_region *nr;
	uint32_t i;

	/* The same region again (QEMU: once per queue pair): count it, map nothing new. */
	for (i = 0; i < dev->nb_regions; i++) {
		if (memcmp(&dev->regions[i].r, r, sizeof(*r)) == 0) {
			dev->regions[i].refs++;
			return 0;
		}
	}
	if (dev->nb_regions == VIO_MEM_MAX_REGIONS)
		return BAD(dev, msg, "region count", "%u (at most %u)", dev->nb_regions + 1,
			   VIO_MEM_MAX_REGIONS);
	nr = &dev->regions[dev->nb_regions++];
	nr->r = *r;
	nr->fd = vhost_user_msg_take_fd(msg, 0);
	nr->refs = 1;
	return mem_table_apply(dev, msg);
}

static int
on_rem_mem_reg(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	const struct vhost_user_mem_region *r = &msg->payload.mem_reg.region;
	uint32_t i;

	for (i = 0; i < dev->nb_regions; i++) {
		const struct vhost_user_mem_region *e = &dev->regions[i].r;

		if (e->gpa == r->gpa && e->size == r->size && e->uaddr == r->uaddr)
			break;
	}
	if (i == dev->nb_regions)
		return BAD(dev, msg, "region",
			   "gpa 0x%" PRIx64 " size 0x%" PRIx64 " (no such region)", r->gpa,
			   r->size);
	if (--dev->regions[i].refs > 0)
		return 0;
	close(dev->regions[i].fd);
	dev->regions[i] = dev->regions[--dev->nb_regions];
	return mem_table_apply(dev, msg);
}

static int
on_set_log_base(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	int fd = vhost_user_msg_take_fd(msg, 0);
	int ret;

	ret = dev->backend.ops->set_log_base(&dev->backend, fd, msg->payload.log.mmap_offset,
					     msg->payload.log.mmap_size);
	if (ret < 0)
		return BAD(dev, msg, "log", "size 0x%" PRIx64 " offset 0x%" PRIx64 ": %s",
			   msg->payload.log.mmap_size, msg->payload.log.mmap_offset,
			   strerror(-ret));
	/* The specification asks for a reply once the log is mapped. */
	return reply_u64(dev, msg, 0);
}

static int
on_set_vring_num(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	uint32_t num = msg->payload.state.num;
	uint16_t idx;
	int ret = vring_idx(dev, msg, msg->payload.state.index, &idx);

	if (ret < 0)
		return ret;
	if (num == 0 || num > VIO_VRING_SIZE_MAX || (!packed(dev) && (num & (num - 1))))
		return BAD(dev, msg, "num", "%u for vring %u", num, idx);
	dev->vrings[idx].cfg.size = (uint16_t)num;
	ret = vring_apply(dev, idx);
	if (ret < 0)
		return BAD(dev, msg, "vring", "%u: cannot restart with num %u: %s", idx, num,
			   strerror(-ret));
	return 0;
}

static int
on_set_vring_addr(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	const struct vhost_user_vring_addr *a = &msg->payload.addr;
	struct vio_backend_vring_config *c;
	uint16_t idx;
	int ret = vring_idx(dev, msg, a->index, &idx);

	if (ret < 0)
		return ret;
	if (a->flags & ~VHOST_USER_VRING_F_LOG)
		return BAD(dev, msg, "flags", "0x%x for vring %u", a->flags, idx);
	c = &dev->vrings[idx].cfg;
	c->desc_uaddr = a->desc_uaddr;
	c->avail_uaddr = a->avail_uaddr;
	c->used_uaddr = a->used_uaddr;
	c->log_gpa = a->log_gpa;
	c->log_used = a->flags & VHOST_USER_VRING_F_LOG;
	c->addr_set = true;
	ret = vring_apply(dev, idx);
	if (ret < 0)
		return BAD(dev, msg, "vring", "%u: cannot restart at these addresses: %s", idx,
			   strerror(-ret));
	return 0;
}

static int
on_set_vring_base(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	uint32_t num = msg->payload.state.num;
	uint16_t idx;
	int ret = vring_idx(dev, msg, msg->payload.state.index, &idx);

	if (ret < 0)
		return ret;
	if (!packed(dev) && num > UINT16_MAX)
		return BAD(dev, msg, "base", "0x%x for split vring %u", num, idx);
	dev->vrings[idx].cfg.base = num;
	return 0;
}

static int
on_get_vring_base(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	struct vhost_vring *vr;
	uint32_t base = 0;
	uint16_t idx;
	int ret = vring_idx(dev, msg, msg->payload.state.index, &idx);

	if (ret < 0)
		return ret;
	vr = &dev->vrings[idx];
	/* The ring stops; it is never reset (vhost-user spec, "Ring states"). */
	base = vr->cfg.base;
	if (vr->started)
		dev->backend.ops->vring_stop(&dev->backend, idx, &base);
	vr->cfg.base = base;
	vr->started = false;
	if (vr->cfg.kickfd >= 0)
		close(vr->cfg.kickfd);
	vr->cfg.kickfd = -1;
	vhost_dev_update_running(dev);
	msg->payload.state.index = idx;
	msg->payload.state.num = packed(dev) ? base : (base & 0xffff);
	return reply(dev, msg, sizeof(msg->payload.state), NULL, 0);
}

static bool
is_eventfd(int fd)
{
	char path[32], target[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/* SET_VRING_KICK / CALL / ERR: the fd, or none with the NOFD bit. */
static int
on_set_vring_fd(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	uint64_t v = msg->payload.u64;
	struct vhost_vring *vr;
	uint16_t idx;
	int fd, old, *slot;
	int ret;

	if (v & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD))
		return BAD(dev, msg, "payload", "0x%" PRIx64, v);
	ret = vring_idx(dev, msg, (uint32_t)(v & VHOST_USER_VRING_IDX_MASK), &idx);
	if (ret < 0)
		return ret;
	vr = &dev->vrings[idx];
	/*
	 * vio writes the call fd from the data path and the error fd from the
	 * control thread: a pipe or socket there could block either. Only an
	 * eventfd (a write never blocks until 2^64 - 2 pending) is accepted.
	 */
	if (!(v & VHOST_USER_VRING_NOFD) && msg->hdr.request != VHOST_USER_SET_VRING_KICK &&
	    !is_eventfd(msg->fds[0]))
		return BAD(dev, msg, "fd", "%d for vring %u: not an eventfd", msg->fds[0], idx);
	fd = (v & VHOST_USER_VRING_NOFD) ? -1 : vhost_user_msg_take_fd(msg, 0);
	slot = msg->hdr.request == VHOST_USER_SET_VRING_KICK   ? &vr->cfg.kickfd
	       : msg->hdr.request == VHOST_USER_SET_VRING_CALL ? &vr->cfg.callfd
							       : &vr->cfg.errfd;
	old = *slot;
	*slot = fd;
	if (msg->hdr.request == VHOST_USER_SET_VRING_KICK) {
		/* A kick starts the ring; without PROTOCOL_FEATURES it is enabled at once. */
		vr->started = true;
		if (!(dev->features & VIO_BIT(VIO_F_PROTOCOL_FEATURES)) && !vr->enabled) {
			vr->enabled = true;
			dev->backend.ops->vring_enable(&dev->backend, idx, true);
		}
	}
	ret = 0;
	if (msg->hdr.request != VHOST_USER_SET_VRING_ERR)
		ret = vring_apply(dev, idx); /* the engine writes the call fd itself */
	if (old >= 0)
		close(old);
	if (ret < 0)
		return BAD(dev, msg, "vring", "%u: cannot start: %s", idx, strerror(-ret));
	return 0;
}

static int
on_get_queue_num(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	return reply_u64(dev, msg, dev->max_queue_pairs);
}

static int
on_set_vring_enable(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	uint32_t num = msg->payload.state.num;
	uint16_t idx;
	int ret = vring_idx(dev, msg, msg->payload.state.index, &idx);

	if (ret < 0)
		return ret;
	if (num > 1)
		return BAD(dev, msg, "num", "%u for vring %u (0 or 1)", num, idx);
	if (dev->vrings[idx].enabled == (num == 1))
		return 0;
	dev->vrings[idx].enabled = num == 1;
	dev->backend.ops->vring_enable(&dev->backend, idx, num == 1);
	vhost_ctl_defer_vring_state(dev, idx, num == 1);
	vhost_dev_update_running(dev);
	return 0;
}

static int
on_send_rarp(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	memcpy(dev->rarp_mac, &msg->payload.u64, sizeof(dev->rarp_mac));
	atomic_store(&dev->rarp_pending, true);
	return 0;
}

static int
on_net_set_mtu(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	uint64_t mtu = msg->payload.u64;

	/* virtio 1.2, 5.1.4.1: 68 to 65535. */
	if (mtu < 68 || mtu > UINT16_MAX)
		return BAD(dev, msg, "mtu", "%" PRIu64, mtu);
	dev->mtu = (uint16_t)mtu;
	return 0;
}

static int
on_set_backend_req_fd(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	if (dev->backend_req_fd >= 0)
		close(dev->backend_req_fd);
	dev->backend_req_fd = vhost_user_msg_take_fd(msg, 0);
	return 0;
}

/* vIOMMU: the frontend's translations of IOVAs (vhost-user spec, "IOMMU support"). */
static int
on_iotlb_msg(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	const struct vhost_user_iotlb *m = &msg->payload.iotlb;
	const struct vio_backend_ops *ops = dev->backend.ops;
	int ret;

	if (!(dev->features & VIO_BIT(VIO_F_ACCESS_PLATFORM)) || ops->iotlb_update == NULL) {
		DEV_LOG(dev, WARNING, "IOTLB_MSG without VIRTIO_F_ACCESS_PLATFORM: refused");
		return -ENOTSUP;
	}
	switch (m->type) {
	case VHOST_USER_IOTLB_UPDATE:
		if (m->size == 0 || m->iova + m->size < m->iova || m->uaddr + m->size < m->uaddr)
			return BAD(dev, msg, "update range",
				   "iova 0x%" PRIx64 " uaddr 0x%" PRIx64 " size 0x%" PRIx64,
				   m->iova, m->uaddr, m->size);
		if (m->perm == 0 || m->perm > VHOST_USER_ACCESS_RW)
			return BAD(dev, msg, "perm", "%u", m->perm);
		ret = ops->iotlb_update(&dev->backend, m->iova, m->size, m->uaddr, m->perm);
		if (ret < 0)
			DEV_LOG(dev, WARNING,
				"IOTLB update iova 0x%" PRIx64 " size 0x%" PRIx64
				" to uaddr 0x%" PRIx64 ": %s (not in shared memory): refused",
				m->iova, m->size, m->uaddr, strerror(-ret));
		return ret;
	case VHOST_USER_IOTLB_INVALIDATE:
		return ops->iotlb_invalidate(&dev->backend, m->iova, m->size);
	default:
		return BAD(dev, msg, "type", "%u (update 2 or invalidate 3)", m->type);
	}
}

/* The virtio-net config space (virtio 1.2, 5.1.4): mac, status, max pairs, mtu. */
/* The inflight counts of a GET/SET_INFLIGHT_FD, checked against what the device has. */
static int
inflight_counts(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	const struct vhost_user_inflight *in = &msg->payload.inflight;
	uint32_t max = 2u * dev->max_queue_pairs;

	if (in->num_queues == 0 || in->num_queues > max)
		return BAD(dev, msg, "num_queues", "%u (the device has %u vrings)", in->num_queues,
			   max);
	if (in->queue_size == 0 || in->queue_size > VIO_VRING_SIZE_MAX)
		return BAD(dev, msg, "queue_size", "%u (1 to %u)", in->queue_size,
			   VIO_VRING_SIZE_MAX);
	return 0;
}

/*
 * A zeroed area for the frontend to keep and send back (SET_INFLIGHT_FD) each
 * time it starts the device. Sized for packed regions, the larger kind, since
 * QEMU asks before it sets the features. An area of 0 bytes (no fd) tells the
 * frontend the backend does not track.
 */
static int
on_get_inflight_fd(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	struct vhost_user_inflight *in = &msg->payload.inflight;
	uint64_t size;
	long page = sysconf(_SC_PAGESIZE);
	int fd, ret = inflight_counts(dev, msg);

	if (ret < 0)
		return ret;
	in->mmap_offset = 0;
	in->mmap_size = 0;
	if (dev->backend.ops->set_inflight == NULL)
		return reply(dev, msg, sizeof(*in), NULL, 0);
	size = (uint64_t)in->num_queues * vio_vq_inflight_size(in->queue_size, true);
	size = RTE_ALIGN_CEIL(size, (uint64_t)page);
	fd = memfd_create("vio-inflight", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		DEV_LOG(dev, ERR, "GET_INFLIGHT_FD: cannot make a %" PRIu64 "-byte area: %s", size,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return reply(dev, msg, sizeof(*in), NULL, 0);
	}
	in->mmap_size = size;
	ret = reply(dev, msg, sizeof(*in), &fd, 1);
	close(fd); /* the frontend keeps it, and sends it back */
	return ret;
}

static int
on_set_inflight_fd(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	const struct vhost_user_inflight *in = &msg->payload.inflight;
	int fd, ret = inflight_counts(dev, msg);

	if (ret < 0)
		return ret;
	/* Each vring's region starts at the offset plus a multiple of its (aligned) size. */
	if (in->mmap_size == 0 || in->mmap_offset + in->mmap_size < in->mmap_offset ||
	    in->mmap_offset % VIO_VQ_INFLIGHT_ALIGN != 0)
		return BAD(dev, msg, "area", "offset 0x%" PRIx64 " size 0x%" PRIx64,
			   in->mmap_offset, in->mmap_size);
	if (dev->backend.ops->set_inflight == NULL)
		return -ENOTSUP;
	if (any_started(dev)) {
		DEV_LOG(dev, WARNING, "SET_INFLIGHT_FD while vrings run: refused");
		return -EBUSY;
	}
	fd = vhost_user_msg_take_fd(msg, 0);
	ret = dev->backend.ops->set_inflight(&dev->backend, fd, in->mmap_offset, in->mmap_size,
					     in->num_queues, in->queue_size);
	if (ret < 0)
		return BAD(dev, msg, "area", "offset 0x%" PRIx64 " size 0x%" PRIx64 ": %s",
			   in->mmap_offset, in->mmap_size, strerror(-ret));
	return 0;
}

static int
on_get_config(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	uint8_t space[12] = { 0 };
	uint32_t off = msg->payload.config.offset, size = msg->payload.config.size;
	uint16_t status = 1, pairs = dev->max_queue_pairs, mtu = dev->mtu;

	memcpy(space, dev->mac, 6);
	memcpy(space + 6, &status, 2); /* VIRTIO_NET_S_LINK_UP */
	memcpy(space + 8, &pairs, 2);
	memcpy(space + 10, &mtu, 2);
	if (off > sizeof(space) || size > sizeof(space) - off)
		return BAD(dev, msg, "config range", "offset %u size %u (space of %zu bytes)", off,
			   size, sizeof(space));
	memcpy(msg->payload.config.region, space + off, size);
	return reply(dev, msg, VHOST_USER_CONFIG_HDR_SIZE + size, NULL, 0);
}

static int
on_set_config(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	uint32_t off = msg->payload.config.offset, size = msg->payload.config.size;

	/* Only the MAC is writable (legacy drivers set it this way). */
	if (off > sizeof(dev->mac) || size > sizeof(dev->mac) - off)
		return BAD(dev, msg, "config range", "offset %u size %u (the MAC: 6 bytes)", off,
			   size);
	memcpy(dev->mac + off, msg->payload.config.region, size);
	return 0;
}

static int
on_set_status(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	uint64_t st = msg->payload.u64;

	if (st > UINT8_MAX)
		return BAD(dev, msg, "status", "0x%" PRIx64, st);
	/*
	 * Recorded only. QEMU writes 0 each time it stops the device (once per
	 * queue pair) and then asks where the rings stand (GET_VRING_BASE), and
	 * it does not send the memory table or the protocol features again when
	 * it restarts: resetting here would lose the rings' positions.
	 */
	dev->status = (uint8_t)st;
	return 0;
}

static int
on_get_status(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	return reply_u64(dev, msg, dev->status);
}

/*
 * The device state (vhost-user spec, "Migrating back-end state"): what a
 * frontend that sets the device up on another backend does not send again.
 * The rings' positions go as vring bases; what is left is the config space's
 * MAC, which SET_CONFIG may have changed. The transfer, 12 bytes: "vioS",
 * version 1, a zero byte, the MAC. An empty transfer loads nothing (what a
 * vio that kept no state saved).
 */
#define STATE_MAGIC   "vioS"
#define STATE_VERSION 1
struct device_state {
	char magic[4];
	uint8_t version;
	uint8_t zero;
	uint8_t mac[6];
};

/* Saving: the state is written at once (12 bytes, never more than a pipe holds). */
static bool
state_save(struct vhost_dev *dev, int fd)
{
	struct device_state st = { .version = STATE_VERSION };
	ssize_t n;

	memcpy(st.magic, STATE_MAGIC, sizeof(st.magic));
	memcpy(st.mac, dev->mac, sizeof(st.mac));
	n = vhost_user_write_nosigpipe(fd, &st, sizeof(st));
	if (n != (ssize_t)sizeof(st)) {
		DEV_LOG(dev, ERR, "device state save: %zd of %zu bytes written: %s", n, sizeof(st),
			n < 0 ? strerror(errno) : "short write");
		return false;
	}
	return true;
}

/*
 * Loading, at CHECK_DEVICE_STATE: the frontend wrote the state and closed its
 * end before it asked, so all of it waits in the channel, then its end of file.
 */
static bool
state_load(struct vhost_dev *dev, int fd)
{
	struct device_state st;
	uint8_t buf[sizeof(st) + 1];
	size_t got = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || got + (size_t)n == sizeof(buf))
			break;
		got += (size_t)n;
	}
	if (n != 0) {
		DEV_LOG(dev, ERR, "device state load: %s after %zu bytes",
			n > 0             ? "more than a state"
			: errno == EAGAIN ? "no end of file (the frontend kept its end open)"
					  : strerror(errno),
			got);
		return false;
	}
	if (got == 0)
		return true;
	memcpy(&st, buf, got < sizeof(st) ? got : sizeof(st));
	if (got != sizeof(st) || memcmp(st.magic, STATE_MAGIC, sizeof(st.magic)) != 0 ||
	    st.version != STATE_VERSION || st.zero != 0) {
		DEV_LOG(dev, ERR, "device state load: %zu bytes, not a version %u state of vio",
			got, STATE_VERSION);
		return false;
	}
	memcpy(dev->mac, st.mac, sizeof(dev->mac));
	DEV_LOG(dev, INFO, "device state loaded");
	return true;
}

static int
on_set_device_state_fd(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	const struct vhost_user_device_state *s = &msg->payload.device_state;
	int fd;

	if (s->direction > VHOST_USER_TRANSFER_STATE_DIRECTION_LOAD ||
	    s->phase != VHOST_USER_TRANSFER_STATE_PHASE_STOPPED)
		return BAD(dev, msg, "transfer", "direction %u phase %u", s->direction, s->phase);
	if (dev->state_fd >= 0)
		close(dev->state_fd); /* a transfer never checked */
	dev->state_fd = -1;
	fd = vhost_user_msg_take_fd(msg, 0);
	/* The control thread never waits on the frontend's channel. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		close(fd);
		return reply_u64(dev, msg, 1);
	}
	if (s->direction == VHOST_USER_TRANSFER_STATE_DIRECTION_SAVE) {
		dev->state_ok = state_save(dev, fd);
		close(fd); /* the frontend's end of file */
	} else {
		dev->state_fd = fd; /* read at CHECK_DEVICE_STATE */
		dev->state_ok = false;
	}
	/* Bit 8: no fd in the reply; the frontend uses its own end. */
	return reply_u64(dev, msg, 1u << 8);
}

static int
on_check_device_state(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	if (dev->state_fd >= 0) {
		dev->state_ok = state_load(dev, dev->state_fd);
		close(dev->state_fd);
		dev->state_fd = -1;
	}
	return reply_u64(dev, msg, dev->state_ok ? 0 : 1);
}

typedef int (*handler_fn)(struct vhost_dev *dev, struct vhost_user_msg *msg);

struct handler {
	handler_fn fn;
	int8_t protocol_feature; /* which must be acked, or -1 */
};

static const struct handler handlers[VHOST_USER_REQUEST_MAX] = {
	[VHOST_USER_GET_FEATURES] = { on_get_features, -1 },
	[VHOST_USER_SET_FEATURES] = { on_set_features, -1 },
	[VHOST_USER_SET_OWNER] = { on_set_owner, -1 },
	[VHOST_USER_RESET_OWNER] = { on_reset, -1 },
	[VHOST_USER_SET_MEM_TABLE] = { on_set_mem_table, -1 },
	[VHOST_USER_SET_LOG_BASE] = { on_set_log_base, VIO_VHOST_USER_PROTOCOL_F_LOG_SHMFD },
	[VHOST_USER_SET_VRING_NUM] = { on_set_vring_num, -1 },
	[VHOST_USER_SET_VRING_ADDR] = { on_set_vring_addr, -1 },
	[VHOST_USER_SET_VRING_BASE] = { on_set_vring_base, -1 },
	[VHOST_USER_GET_VRING_BASE] = { on_get_vring_base, -1 },
	[VHOST_USER_SET_VRING_KICK] = { on_set_vring_fd, -1 },
	[VHOST_USER_SET_VRING_CALL] = { on_set_vring_fd, -1 },
	[VHOST_USER_SET_VRING_ERR] = { on_set_vring_fd, -1 },
	[VHOST_USER_GET_PROTOCOL_FEATURES] = { on_get_protocol_features, -1 },
	[VHOST_USER_SET_PROTOCOL_FEATURES] = { on_set_protocol_features, -1 },
	[VHOST_USER_GET_QUEUE_NUM] = { on_get_queue_num, VIO_VHOST_USER_PROTOCOL_F_MQ },
	[VHOST_USER_SET_VRING_ENABLE] = { on_set_vring_enable, -1 },
	[VHOST_USER_SEND_RARP] = { on_send_rarp, VIO_VHOST_USER_PROTOCOL_F_RARP },
	[VHOST_USER_NET_SET_MTU] = { on_net_set_mtu, VIO_VHOST_USER_PROTOCOL_F_NET_MTU },
	[VHOST_USER_SET_BACKEND_REQ_FD] = { on_set_backend_req_fd,
					    VIO_VHOST_USER_PROTOCOL_F_BACKEND_REQ },
	[VHOST_USER_IOTLB_MSG] = { on_iotlb_msg, -1 },
	[VHOST_USER_GET_CONFIG] = { on_get_config, VIO_VHOST_USER_PROTOCOL_F_CONFIG },
	[VHOST_USER_SET_CONFIG] = { on_set_config, VIO_VHOST_USER_PROTOCOL_F_CONFIG },
	[VHOST_USER_GET_INFLIGHT_FD] = { on_get_inflight_fd,
					 VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD },
	[VHOST_USER_SET_INFLIGHT_FD] = { on_set_inflight_fd,
					 VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD },
	[VHOST_USER_RESET_DEVICE] = { on_reset, VIO_VHOST_USER_PROTOCOL_F_RESET_DEVICE },
	[VHOST_USER_GET_MAX_MEM_SLOTS] = { on_get_max_mem_slots,
					   VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS },
	[VHOST_USER_ADD_MEM_REG] = { on_add_mem_reg,
				     VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS },
	[VHOST_USER_REM_MEM_REG] = { on_rem_mem_reg,
				     VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS },
	[VHOST_USER_SET_STATUS] = { on_set_status, VIO_VHOST_USER_PROTOCOL_F_STATUS },
	[VHOST_USER_GET_STATUS] = { on_get_status, VIO_VHOST_USER_PROTOCOL_F_STATUS },
	[VHOST_USER_SET_DEVICE_STATE_FD] = { on_set_device_state_fd,
					     VIO_VHOST_USER_PROTOCOL_F_DEVICE_STATE },
	[VHOST_USER_CHECK_DEVICE_STATE] = { on_check_device_state,
					    VIO_VHOST_USER_PROTOCOL_F_DEVICE_STATE },
};

int
vhost_server_handle(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	const struct vhost_user_rule *rule = vhost_user_rule(msg->hdr.request);
	const struct handler *h = NULL;
	bool ack = (msg->hdr.flags & VHOST_USER_FLAG_NEED_REPLY) &&
		   proto_acked(dev, VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK);
	const char *field;
	uint64_t value;
	int ret;

	DEV_LOG(dev, DEBUG, "%s (size %u, %u fd%s%s)", vhost_user_req_name(msg->hdr.request),
		msg->hdr.size, msg->nb_fds, msg->nb_fds == 1 ? "" : "s",
		msg->hdr.flags & VHOST_USER_FLAG_NEED_REPLY ? ", reply asked" : "");
	ret = vhost_user_msg_check(msg, &field, &value);
	if (ret == -EINVAL) {
		DEV_LOG(dev, ERR, "%s: bad %s %" PRIu64 ": closing the connection",
			vhost_user_req_name(msg->hdr.request), field, value);
		return VHOST_CLOSE;
	}
	if (ret == 0)
		h = &handlers[msg->hdr.request];
	if (h == NULL || h->fn == NULL ||
	    (h->protocol_feature >= 0 && !proto_acked(dev, (unsigned int)h->protocol_feature))) {
		DEV_LOG(dev, WARNING, "%s (%u): not supported or not negotiated: refused",
			vhost_user_req_name(msg->hdr.request), msg->hdr.request);
		if (rule != NULL && rule->has_reply)
			return VHOST_CLOSE; /* the frontend waits for an answer we cannot give */
		return ack ? reply_u64(dev, msg, 1) : 0;
	}
	ret = h->fn(dev, msg);
	if (ret == VHOST_CLOSE)
		return ret;
	/* REPLY_ACK: a status for every request that has no reply of its own. */
	if (ack && !rule->has_reply)
		return reply_u64(dev, msg, ret == 0 ? 0 : 1);
	return 0;
}
