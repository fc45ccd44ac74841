/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The "vdpa" driver (frontend role): the device side of a port's rings is a
 * vDPA device, reached through its vhost-vdpa character device
 * (/dev/vhost-vdpa-N). Written from the kernel's uapi (linux/vhost.h,
 * vhost_types.h) and the virtio 1.2 spec; doc/vdpa.md tells the whole story.
 *
 * Open: SET_OWNER; the device id (a net port takes net devices only); the
 * backend features (IOTLB_MSG_V2, IOTLB_BATCH, SUSPEND and RESUME, each
 * where offered); the virtio features; the config space (MAC, MTU); the
 * virtqueue count, the largest ring, the IOVA range; then the status
 * sequence up to DRIVER (virtio 1.2, 3.1.1: reset, ACKNOWLEDGE, DRIVER).
 * set_features completes it: the features, FEATURES_OK read back.
 *
 * Memory: each region is one IOTLB v2 update written to the fd, IOVAs from
 * its gpa to this process's mapping at its uaddr (a frontend port's table has
 * vio's own addresses, gpa == uaddr; the handoff's, a vhost-user frontend's
 * guest physical addresses and vio's mappings of them); a table change is a
 * batch of invalidations and updates (IOTLB_BATCH, where offered). Region
 * fds are not needed: the kernel maps the owner's address space itself. The
 * ring addresses come at this process's addresses and go to the device as
 * the IOVAs the table maps them to.
 *
 * Rings. vring_start sets NUM, BASE, ADDR, KICK and CALL; vring_enable sets
 * ENABLE. DRIVER_OK comes at the vring_enable that completes the set: the
 * port starts its vrings one by one and has no "all given" call, but this
 * driver drives exactly one queue pair (below), so the set is known: vrings
 * 0 and 1. Every vring is configured before DRIVER_OK, as virtio 1.2, 3.1.1
 * asks. The port kicks each vring after enabling it: the last kick reaches
 * a running device.
 *
 * Stop. The first vring_stop of a running device suspends it
 * (VHOST_VDPA_SUSPEND, where offered), so that GET_VRING_BASE is exact;
 * without SUSPEND the only way to stop a device is a reset (virtio 1.2,
 * 2.4), so every started vring's base is read first and the device reset:
 * what it did after that read is in the used rings, which is where the port
 * restarts from anyway (vio_vnet_vq_device_base). When the last started
 * vring is stopped the device is reset, its memory unmapped, and brought
 * back to FEATURES_OK: the next start finds it as at open (a running device
 * cannot take new rings: virtio 1.2, 3.1.1, RING_RESET aside).
 *
 * Pause. vring_enable(false) on a running device suspends it and the
 * vring_enable(true) that completes the set again resumes it
 * (VHOST_VDPA_RESUME), where both are offered: the port pauses its vrings
 * around a whole new memory table. Without them it is -ENOTSUP (the port
 * goes on: an IOTLB batch is applied as a whole).
 *
 * Not done: the control virtqueue (VIRTIO_NET_F_CTRL_VQ is not negotiated,
 * so MQ, which needs it, is not offered to the port: one queue pair); the
 * doorbell mmap (the port's kicks are eventfds; vdpa_sim has no doorbell
 * page to test one on); config interrupts (VHOST_VDPA_SET_CONFIG_CALL).
 * The backend role (a vhost-user frontend's rings handed to the device) is
 * backend_handoff.c over this driver.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include <rte_common.h>

#include "backend_vdpa.h"
#include "vhost_internal.h"

/*
 * uapi that Debian 12's kernel headers (Linux 6.1) lack; the values are the
 * kernel's ABI.
 */
#ifndef VHOST_BACKEND_F_RESUME
/* Linux 6.3: the device can be resumed after VHOST_VDPA_SUSPEND. */
#define VHOST_BACKEND_F_RESUME 0x5
#endif
#ifndef VHOST_VDPA_RESUME
/* Linux 6.3: resume a suspended device. */
#define VHOST_VDPA_RESUME _IO(VHOST_VIRTIO, 0x7E)
#endif
#ifndef VHOST_VDPA_GET_VRING_SIZE
/* Linux 6.9: the ring size one virtqueue takes at most. */
#define VHOST_VDPA_GET_VRING_SIZE _IOWR(VHOST_VIRTIO, 0x82, struct vhost_vring_state)
#endif

/* One queue pair: receive vring 0, transmit vring 1 (virtio 1.2, 5.1.2). */
#define VDPA_DATA_VRINGS 2
#define VDPA_ALL_VRINGS  ((1u << VDPA_DATA_VRINGS) - 1)

/* Backend features used when offered; IOTLB_MSG_V2 is required. */
#define VDPA_BACKEND_WANTED                                                             \
	(VIO_BIT(VHOST_BACKEND_F_IOTLB_MSG_V2) | VIO_BIT(VHOST_BACKEND_F_IOTLB_BATCH) | \
	 VIO_BIT(VHOST_BACKEND_F_SUSPEND) | VIO_BIT(VHOST_BACKEND_F_RESUME))

/*
 * Features the port is not shown: ACCESS_PLATFORM is this driver's (the
 * device reaches vio's memory through the IOTLB; added when offered), and
 * what needs the control virtqueue, which is not driven.
 */
#define VDPA_FEATURES_HIDDEN                                                         \
	(VIO_BIT(VIO_F_ACCESS_PLATFORM) | VIO_BIT(VIO_NET_F_CTRL_VQ) |               \
	 VIO_BIT(VIO_NET_F_CTRL_RX) | VIO_BIT(VIO_NET_F_CTRL_VLAN) |                 \
	 VIO_BIT(VIO_NET_F_GUEST_ANNOUNCE) | VIO_BIT(VIO_NET_F_MQ) |                 \
	 VIO_BIT(VIO_NET_F_CTRL_MAC_ADDR) | VIO_BIT(VIO_NET_F_CTRL_GUEST_OFFLOADS) | \
	 VIO_BIT(VIO_NET_F_RSS) | VIO_BIT(VIO_NET_F_HASH_REPORT))

#define VDPA_LOG(v, level, fmt, ...) \
	VHOST_LOG(level, "vdpa %s (%s): " fmt, (v)->name, (v)->path, ##__VA_ARGS__)

/* One IOTLB entry this driver wrote: IOVAs [iova, iova + size) at this process's uaddr. */
struct vdpa_map {
	uint64_t iova;
	uint64_t uaddr;
	uint64_t size;
};

struct vdpa_backend {
	int fd;
	uint32_t device_id;
	uint64_t offered;  /* VHOST_GET_FEATURES */
	uint64_t features; /* negotiated (ACCESS_PLATFORM included), 0 before set_features */
	uint64_t backend;  /* negotiated backend features */
	uint32_t nb_vqs;
	uint16_t max_size;
	struct vhost_vdpa_iova_range range;
	uint8_t status; /* the last status written */
	bool suspended;
	unsigned int started; /* bit per data vring: configured (vring_start) */
	/* Per data vring, as vring_start gave it (a restart of a running ring may change fds only). */
	struct vio_backend_vring_config ring[VDPA_DATA_VRINGS];
	unsigned int enabled; /* bit per data vring: SET_VRING_ENABLE 1 */
	/* Without SUSPEND: the bases read before the reset that stopped the device. */
	bool stopped_by_reset;
	uint32_t bases[VDPA_DATA_VRINGS];
	struct vdpa_map *maps;
	unsigned int nb_maps;
	unsigned int max_maps;
	char name[64];
	char path[108];
};

static struct vdpa_backend *
vdpa(struct vio_backend *be)
{
	return be->priv;
}

static bool
has_backend(const struct vdpa_backend *v, unsigned int bit)
{
	return v->backend & VIO_BIT(bit);
}

/* One ioctl; the log names the call. 0 or a negative errno. */
static int
vdpa_ioctl_named(struct vdpa_backend *v, unsigned long req, void *arg, const char *what, bool quiet)
{
	if (ioctl(v->fd, req, arg) == 0)
		return 0;
	if (!quiet)
		VDPA_LOG(v, ERR, "%s: %s", what, strerror(errno));
	return -errno;
}

#define vdpa_ioctl(v, req, arg)       vdpa_ioctl_named(v, req, arg, #req, false)
#define vdpa_ioctl_quiet(v, req, arg) vdpa_ioctl_named(v, req, arg, #req, true)

static int
vring_ioctl(struct vdpa_backend *v, unsigned long req, const char *what, uint16_t idx,
	    unsigned int num)
{
	struct vhost_vring_state s = { .index = idx, .num = num };

	if (ioctl(v->fd, req, &s) == 0)
		return 0;
	VDPA_LOG(v, ERR, "vring %u: %s %u: %s", idx, what, num, strerror(errno));
	return -errno;
}

static int
vring_file(struct vdpa_backend *v, unsigned long req, const char *what, uint16_t idx, int fd)
{
	struct vhost_vring_file f = { .index = idx, .fd = fd };

	if (ioctl(v->fd, req, &f) == 0)
		return 0;
	VDPA_LOG(v, ERR, "vring %u: %s fd %d: %s", idx, what, fd, strerror(errno));
	return -errno;
}

static int
vring_get_base(struct vdpa_backend *v, uint16_t idx, uint32_t *base)
{
	struct vhost_vring_state s = { .index = idx };
	int ret = vdpa_ioctl(v, VHOST_GET_VRING_BASE, &s);

	if (ret == 0)
		*base = s.num;
	return ret;
}

/* Add @p bits to the device status and read it back (virtio 1.2, 3.1.1). */
static int
status_add(struct vdpa_backend *v, uint8_t bits, const char *name)
{
	uint8_t status = (uint8_t)(v->status | bits), got = 0;
	int ret;

	ret = vdpa_ioctl(v, VHOST_VDPA_SET_STATUS, &status);
	if (ret == 0)
		ret = vdpa_ioctl(v, VHOST_VDPA_GET_STATUS, &got);
	if (ret < 0)
		return ret;
	if ((got & status) != status || (got & VIRTIO_CONFIG_S_FAILED)) {
		VDPA_LOG(v, ERR,
			 "VHOST_VDPA_SET_STATUS %s: the device did not take it (status 0x%x "
			 "written, "
			 "0x%x read back)",
			 name, status, got);
		return -EPROTO;
	}
	v->status = status;
	return 0;
}

/* Device reset (status 0): it stops touching the rings and forgets them. */
static int
status_reset(struct vdpa_backend *v)
{
	uint8_t status = 0;
	int ret = vdpa_ioctl(v, VHOST_VDPA_SET_STATUS, &status);

	v->status = 0;
	v->suspended = false;
	v->started = v->enabled = 0;
	return ret;
}

/* One IOTLB v2 message written to the fd. */
static int
iotlb_msg(struct vdpa_backend *v, uint8_t type, uint64_t iova, uint64_t uaddr, uint64_t size)
{
	struct vhost_msg_v2 m = {
		.type = VHOST_IOTLB_MSG_V2,
		.iotlb = { .iova = iova,
			   .size = size,
			   .uaddr = uaddr,
			   .perm = VHOST_ACCESS_RW,
			   .type = type },
	};
	static const char *const names[] = {
		[VHOST_IOTLB_UPDATE] = "update",
		[VHOST_IOTLB_INVALIDATE] = "invalidate",
		[VHOST_IOTLB_BATCH_BEGIN] = "batch begin",
		[VHOST_IOTLB_BATCH_END] = "batch end",
	};
	ssize_t n = write(v->fd, &m, sizeof(m));

	if (n == (ssize_t)sizeof(m))
		return 0;
	VDPA_LOG(v, ERR, "IOTLB %s of iova 0x%" PRIx64 " size 0x%" PRIx64 ": %s",
		 type < RTE_DIM(names) && names[type] != NULL ? names[type] : "message", iova, size,
		 n < 0 ? strerror(errno) : "short write");
	return n < 0 ? -errno : -EIO;
}

static int
iotlb_batch(struct vdpa_backend *v, bool begin)
{
	if (!has_backend(v, VHOST_BACKEND_F_IOTLB_BATCH))
		return 0;
	return iotlb_msg(v, begin ? VHOST_IOTLB_BATCH_BEGIN : VHOST_IOTLB_BATCH_END, 0, 0, 0);
}

static bool
map_is(const struct vdpa_map *m, const struct vio_mem_region_desc *r)
{
	return m->iova == r->gpa && m->uaddr == r->uaddr && m->size == r->size;
}

static int
map_find(const struct vdpa_backend *v, const struct vio_mem_region_desc *r)
{
	unsigned int i;

	for (i = 0; i < v->nb_maps; i++)
		if (map_is(&v->maps[i], r))
			return (int)i;
	return -1;
}

/*
 * The IOVA of the @p len bytes at this process's @p uaddr (a ring part), all
 * in one entry; 0, or -EINVAL (logged).
 */
static int
map_iova(const struct vdpa_backend *v, uint16_t idx, uint64_t uaddr, uint64_t len, uint64_t *iova)
{
	unsigned int i;

	for (i = 0; i < v->nb_maps; i++) {
		const struct vdpa_map *m = &v->maps[i];

		if (uaddr >= m->uaddr && uaddr - m->uaddr < m->size && len <= m->size &&
		    uaddr - m->uaddr <= m->size - len) {
			*iova = m->iova + (uaddr - m->uaddr);
			return 0;
		}
	}
	VDPA_LOG(v, ERR,
		 "vring %u: a ring at 0x%" PRIx64 " (%" PRIu64 " bytes) is in no memory "
		 "region given to the device",
		 idx, uaddr, len);
	return -EINVAL;
}

/* The region as an IOTLB entry, or -EINVAL (logged) when the device cannot take it. */
static int
region_check(struct vdpa_backend *v, const struct vio_mem_region_desc *r)
{
	if (r->size == 0 || r->gpa + r->size - 1 < r->gpa || r->uaddr + r->size - 1 < r->uaddr) {
		VDPA_LOG(v, ERR,
			 "memory region gpa 0x%" PRIx64 " uaddr 0x%" PRIx64 " size 0x%" PRIx64
			 ": empty, or past the end of the address space",
			 r->gpa, r->uaddr, r->size);
		return -EINVAL;
	}
	if (r->gpa < v->range.first || r->gpa + r->size - 1 > v->range.last) {
		VDPA_LOG(v, ERR,
			 "memory at IOVA 0x%" PRIx64 "-0x%" PRIx64
			 " is outside the device's IOVA range 0x%llx-0x%llx "
			 "(VHOST_VDPA_GET_IOVA_RANGE)",
			 r->gpa, r->gpa + r->size - 1, (unsigned long long)v->range.first,
			 (unsigned long long)v->range.last);
		return -ERANGE;
	}
	return 0;
}

static int
map_add(struct vdpa_backend *v, const struct vio_mem_region_desc *r)
{
	int ret;

	if (v->nb_maps == v->max_maps) {
		unsigned int max = v->max_maps != 0 ? 2 * v->max_maps : 16;
		struct vdpa_map *m = realloc(v->maps, max * sizeof(*m));

		if (m == NULL)
			return -ENOMEM;
		v->maps = m;
		v->max_maps = max;
	}
	ret = iotlb_msg(v, VHOST_IOTLB_UPDATE, r->gpa, r->uaddr, r->size);
	if (ret == 0)
		v->maps[v->nb_maps++] =
			(struct vdpa_map){ .iova = r->gpa, .uaddr = r->uaddr, .size = r->size };
	return ret;
}

static int
map_remove(struct vdpa_backend *v, unsigned int i)
{
	int ret = iotlb_msg(v, VHOST_IOTLB_INVALIDATE, v->maps[i].iova, v->maps[i].uaddr,
			    v->maps[i].size);

	v->maps[i] = v->maps[--v->nb_maps];
	return ret;
}

/* Forget every mapping (before a reset: the next start maps its table anew). */
static void
maps_clear(struct vdpa_backend *v)
{
	if (v->nb_maps == 0)
		return;
	(void)iotlb_batch(v, true);
	while (v->nb_maps != 0)
		(void)map_remove(v, v->nb_maps - 1);
	(void)iotlb_batch(v, false);
}

static bool
region_in(const struct vio_mem_region_desc *regions, unsigned int n, const struct vdpa_map *m)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (map_is(m, &regions[i]))
			return true;
	return false;
}

/* A new table: what the old had that it lacks invalidated, then what is new added. */
static int
vdpa_set_mem_table(struct vio_backend *be, const struct vio_mem_region_desc *regions,
		   unsigned int nb_regions)
{
	struct vdpa_backend *v = vdpa(be);
	unsigned int i;
	int ret = 0, end;

	for (i = 0; i < nb_regions; i++) {
		ret = region_check(v, &regions[i]);
		if (ret < 0)
			return ret;
	}
	ret = iotlb_batch(v, true);
	if (ret < 0)
		return ret;
	/* Invalidations first: a region grown in place overlaps its old entry. */
	for (i = 0; i < v->nb_maps && ret == 0;)
		if (!region_in(regions, nb_regions, &v->maps[i]))
			ret = map_remove(v, i);
		else
			i++;
	for (i = 0; i < nb_regions && ret == 0; i++)
		if (map_find(v, &regions[i]) < 0)
			ret = map_add(v, &regions[i]);
	end = iotlb_batch(v, false);
	return ret != 0 ? ret : end;
}

static int
vdpa_mem_region_add(struct vio_backend *be, const struct vio_mem_region_desc *r)
{
	struct vdpa_backend *v = vdpa(be);
	int ret = region_check(v, r);

	if (ret < 0 || map_find(v, r) >= 0)
		return ret;
	return map_add(v, r);
}

static int
vdpa_mem_region_remove(struct vio_backend *be, const struct vio_mem_region_desc *r)
{
	struct vdpa_backend *v = vdpa(be);
	int i = map_find(v, r);

	return i < 0 ? 0 : map_remove(v, (unsigned int)i);
}

static int
vdpa_get_features(struct vio_backend *be, uint64_t *features)
{
	*features = vdpa(be)->offered & ~VDPA_FEATURES_HIDDEN;
	return 0;
}

static int
vdpa_get_queue_num(struct vio_backend *be, uint16_t *nb)
{
	RTE_SET_USED(be);
	*nb = 1; /* MQ needs the control virtqueue, which is not driven */
	return 0;
}

/* Features, then FEATURES_OK read back (virtio 1.2, 3.1.1 steps 5-6). */
static int
negotiate(struct vdpa_backend *v, uint64_t features)
{
	int ret = vdpa_ioctl(v, VHOST_SET_FEATURES, &features);

	if (ret == 0)
		ret = status_add(v, VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK");
	if (ret < 0)
		VDPA_LOG(v, ERR, "features 0x%" PRIx64 " (of 0x%" PRIx64 " offered) refused",
			 features, v->offered);
	return ret;
}

/* Reset, ACKNOWLEDGE, DRIVER, and the features again if there were some. */
static int
device_prepare(struct vdpa_backend *v)
{
	int ret = status_reset(v);

	if (ret == 0)
		ret = status_add(v, VIRTIO_CONFIG_S_ACKNOWLEDGE, "ACKNOWLEDGE");
	if (ret == 0)
		ret = status_add(v, VIRTIO_CONFIG_S_DRIVER, "DRIVER");
	if (ret == 0 && v->features != 0)
		ret = negotiate(v, v->features);
	return ret;
}

static int
vdpa_set_features(struct vio_backend *be, uint64_t features)
{
	struct vdpa_backend *v = vdpa(be);

	if (v->offered & VIO_BIT(VIO_F_ACCESS_PLATFORM))
		features |= VIO_BIT(VIO_F_ACCESS_PLATFORM);
	if (features & ~v->offered) {
		VDPA_LOG(v, ERR, "features 0x%" PRIx64 " not offered (offered: 0x%" PRIx64 ")",
			 features & ~v->offered, v->offered);
		return -EINVAL;
	}
	if (v->status & VIRTIO_CONFIG_S_FEATURES_OK) {
		if (features == v->features)
			return 0;
		if (v->started != 0) {
			VDPA_LOG(v, ERR, "features 0x%" PRIx64 " while vrings run", features);
			return -EBUSY;
		}
		/* FEATURES_OK is final until a reset (virtio 1.2, 3.1.1), which drops the IOTLB. */
		v->features = features;
		maps_clear(v);
		return device_prepare(v);
	}
	v->features = features;
	return negotiate(v, features);
}

static int
vdpa_set_log_base(struct vio_backend *be, int fd, uint64_t offset, uint64_t size)
{
	RTE_SET_USED(offset);
	RTE_SET_USED(size);
	VDPA_LOG(vdpa(be), ERR, "dirty logging is not driven by the frontend role");
	close(fd);
	return -ENOTSUP;
}

static int
data_vring_check(struct vdpa_backend *v, uint16_t idx)
{
	if (idx < VDPA_DATA_VRINGS && idx < v->nb_vqs)
		return 0;
	VDPA_LOG(v, ERR, "vring %u: this driver drives queue pair 0 only (vrings 0 and 1)", idx);
	return -EINVAL;
}

/* The device's addresses (IOVAs) of a ring given at this process's addresses. */
static int
ring_iovas(struct vdpa_backend *v, uint16_t idx, const struct vio_backend_vring_config *c,
	   struct vhost_vring_addr *addr)
{
	bool packed = v->features & VIO_BIT(VIO_F_RING_PACKED);
	uint64_t desc = 0, avail = 0, used = 0;
	int ret;

	ret = map_iova(v, idx, c->desc_uaddr,
		       packed ? vio_vring_packed_desc_bytes(c->size)
			      : vio_vring_desc_bytes(c->size),
		       &desc);
	if (ret == 0)
		ret = map_iova(v, idx, c->avail_uaddr,
			       packed ? sizeof(struct vio_vring_packed_event)
				      : vio_vring_avail_bytes(c->size),
			       &avail);
	if (ret == 0)
		ret = map_iova(v, idx, c->used_uaddr,
			       packed ? sizeof(struct vio_vring_packed_event)
				      : vio_vring_used_bytes(c->size),
			       &used);
	addr->index = idx;
	addr->desc_user_addr = desc;
	addr->avail_user_addr = avail;
	addr->used_user_addr = used;
	return ret;
}

/* A running vring started again with the same ring: its new eventfds only. */
static int
vring_fds(struct vdpa_backend *v, uint16_t idx, const struct vio_backend_vring_config *c)
{
	const struct vio_backend_vring_config *o = &v->ring[idx];
	int ret;

	if (c->size != o->size || c->desc_uaddr != o->desc_uaddr ||
	    c->avail_uaddr != o->avail_uaddr || c->used_uaddr != o->used_uaddr) {
		/* virtio 1.2, 3.1.1: queues are set up before DRIVER_OK. */
		VDPA_LOG(v, ERR, "vring %u: the device runs (DRIVER_OK); stop every vring first",
			 idx);
		return -EBUSY;
	}
	ret = vring_file(v, VHOST_SET_VRING_KICK, "VHOST_SET_VRING_KICK", idx, c->kickfd);
	if (ret == 0)
		ret = vring_file(v, VHOST_SET_VRING_CALL, "VHOST_SET_VRING_CALL", idx, c->callfd);
	if (ret == 0)
		v->ring[idx] = *c;
	return ret;
}

static int
vdpa_vring_start(struct vio_backend *be, uint16_t idx, const struct vio_backend_vring_config *c)
{
	struct vdpa_backend *v = vdpa(be);
	struct vhost_vring_addr addr = { .index = idx };
	int ret = data_vring_check(v, idx);

	if (ret < 0)
		return ret;
	if (v->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		if (v->started & (1u << idx))
			return vring_fds(v, idx, c);
		/* virtio 1.2, 3.1.1: queues are set up before DRIVER_OK. */
		VDPA_LOG(v, ERR, "vring %u: the device runs (DRIVER_OK); stop every vring first",
			 idx);
		return -EBUSY;
	}
	if (!(v->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		VDPA_LOG(v, ERR, "vring %u: the features are not negotiated", idx);
		return -EINVAL;
	}
	if (c->size > v->max_size) {
		VDPA_LOG(v, ERR, "vring %u: size %u, the device's rings take at most %u", idx,
			 c->size, v->max_size);
		return -EINVAL;
	}
	ret = ring_iovas(v, idx, c, &addr);
	if (ret == 0)
		ret = vring_ioctl(v, VHOST_SET_VRING_NUM, "VHOST_SET_VRING_NUM", idx, c->size);
	if (ret == 0)
		ret = vring_ioctl(v, VHOST_SET_VRING_BASE, "VHOST_SET_VRING_BASE", idx, c->base);
	if (ret == 0)
		ret = vdpa_ioctl(v, VHOST_SET_VRING_ADDR, &addr);
	if (ret == 0)
		ret = vring_file(v, VHOST_SET_VRING_KICK, "VHOST_SET_VRING_KICK", idx, c->kickfd);
	if (ret == 0)
		ret = vring_file(v, VHOST_SET_VRING_CALL, "VHOST_SET_VRING_CALL", idx, c->callfd);
	if (ret == 0) {
		v->started |= 1u << idx;
		v->ring[idx] = *c;
		v->stopped_by_reset = false;
	}
	return ret;
}

static bool
can_pause(const struct vdpa_backend *v)
{
	return has_backend(v, VHOST_BACKEND_F_SUSPEND) && has_backend(v, VHOST_BACKEND_F_RESUME);
}

static int
vdpa_vring_enable(struct vio_backend *be, uint16_t idx, bool enable)
{
	struct vdpa_backend *v = vdpa(be);
	int ret = data_vring_check(v, idx);

	if (ret < 0)
		return ret;
	if (enable && !(v->started & (1u << idx))) {
		VDPA_LOG(v, ERR, "vring %u: enabled before it was started", idx);
		return -EINVAL;
	}
	if (v->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		/* Running: a pause (SUSPEND) or its end (RESUME); see the top. */
		if (!can_pause(v))
			return enable ? 0 : -ENOTSUP;
		if (!enable) {
			if (!v->suspended) {
				ret = vdpa_ioctl(v, VHOST_VDPA_SUSPEND, NULL);
				if (ret < 0)
					return ret;
				v->suspended = true;
				VDPA_LOG(v, DEBUG, "paused (VHOST_VDPA_SUSPEND)");
			}
			v->enabled &= ~(1u << idx);
			return 0;
		}
		v->enabled |= 1u << idx;
		if (v->suspended && v->enabled == VDPA_ALL_VRINGS) {
			ret = vdpa_ioctl(v, VHOST_VDPA_RESUME, NULL);
			if (ret < 0)
				return ret;
			v->suspended = false;
			VDPA_LOG(v, DEBUG, "resumed (VHOST_VDPA_RESUME)");
		}
		return 0;
	}
	ret = vring_ioctl(v, VHOST_VDPA_SET_VRING_ENABLE, "VHOST_VDPA_SET_VRING_ENABLE", idx,
			  enable);
	if (ret < 0)
		return ret;
	if (!enable) {
		v->enabled &= ~(1u << idx);
		return 0;
	}
	v->enabled |= 1u << idx;
	if (v->enabled != VDPA_ALL_VRINGS || v->started != VDPA_ALL_VRINGS)
		return 0;
	ret = status_add(v, VIRTIO_CONFIG_S_DRIVER_OK, "DRIVER_OK");
	if (ret == 0)
		VDPA_LOG(v, INFO, "running (DRIVER_OK): %u vrings, %u IOTLB entr%s",
			 VDPA_DATA_VRINGS, v->nb_maps, v->nb_maps == 1 ? "y" : "ies");
	return ret;
}

/* Reset, memory unmapped, back to FEATURES_OK: ready for the next start. */
static int
device_stop(struct vdpa_backend *v)
{
	VDPA_LOG(v, DEBUG, "reset: %u IOTLB entr%s invalidated, back to FEATURES_OK", v->nb_maps,
		 v->nb_maps == 1 ? "y" : "ies");
	maps_clear(v);
	return device_prepare(v);
}

static int
vdpa_vring_stop(struct vio_backend *be, uint16_t idx, uint32_t *base)
{
	struct vdpa_backend *v = vdpa(be);
	int ret = data_vring_check(v, idx);
	uint16_t i;

	if (ret < 0)
		return ret;
	if (!(v->started & (1u << idx)) && !v->stopped_by_reset) {
		VDPA_LOG(v, ERR, "vring %u: stopped but not started", idx);
		return -EINVAL;
	}
	if ((v->status & VIRTIO_CONFIG_S_DRIVER_OK) && !v->suspended) {
		if (has_backend(v, VHOST_BACKEND_F_SUSPEND)) {
			ret = vdpa_ioctl(v, VHOST_VDPA_SUSPEND, NULL);
			if (ret < 0)
				return ret;
			v->suspended = true;
			VDPA_LOG(v, DEBUG, "stopping (VHOST_VDPA_SUSPEND)");
		} else {
			/* No SUSPEND: read every base, then a reset stops the device. */
			for (i = 0; i < VDPA_DATA_VRINGS; i++)
				if (v->started & (1u << i))
					(void)vring_get_base(v, i, &v->bases[i]);
			v->stopped_by_reset = true;
			ret = device_stop(v);
			if (ret < 0)
				return ret;
		}
	}
	if (v->stopped_by_reset) {
		*base = v->bases[idx];
		return 0;
	}
	ret = vring_get_base(v, idx, base);
	v->started &= ~(1u << idx);
	v->enabled &= ~(1u << idx);
	if (v->started == 0) {
		int stop = device_stop(v);

		if (ret == 0)
			ret = stop;
	}
	return ret;
}

static void
vdpa_reset(struct vio_backend *be)
{
	struct vdpa_backend *v = vdpa(be);

	if (v != NULL)
		(void)device_stop(v);
}

static void
vdpa_destroy(struct vio_backend *be)
{
	struct vdpa_backend *v = vdpa(be);

	if (v == NULL)
		return;
	/* Closing the fd drops the IOTLB and the rings; the reset stops the device first. */
	(void)status_reset(v);
	close(v->fd);
	free(v->maps);
	free(v);
	be->priv = NULL;
}

static const struct vio_backend_ops vdpa_ops = {
	.name = "vdpa",
	.set_features = vdpa_set_features,
	.set_mem_table = vdpa_set_mem_table,
	.set_log_base = vdpa_set_log_base,
	.vring_start = vdpa_vring_start,
	.vring_stop = vdpa_vring_stop,
	.vring_enable = vdpa_vring_enable,
	.reset = vdpa_reset,
	.destroy = vdpa_destroy,
	.get_features = vdpa_get_features,
	.get_queue_num = vdpa_get_queue_num,
	.mem_region_add = vdpa_mem_region_add,
	.mem_region_remove = vdpa_mem_region_remove,
};

static const char *
device_id_name(uint32_t id)
{
	switch (id) {
	case VIRTIO_ID_NET:
		return "net";
	case VIRTIO_ID_BLOCK:
		return "block";
	case VIRTIO_ID_CONSOLE:
		return "console";
	case VIRTIO_ID_SCSI:
		return "scsi";
	case VIRTIO_ID_VSOCK:
		return "vsock";
	default:
		return "not net";
	}
}

/* The device's config space: what the log shows of it (MAC, MTU). */
static void
read_config(struct vdpa_backend *v)
{
	struct virtio_net_config nc;
	struct vhost_vdpa_config *c;
	uint32_t size = 0;
	char mac[24] = "none";

	if (vdpa_ioctl_quiet(v, VHOST_VDPA_GET_CONFIG_SIZE, &size) < 0 || size == 0)
		size = sizeof(nc); /* before Linux 5.16: the net config's size */
	size = RTE_MIN(size, (uint32_t)sizeof(nc));
	c = calloc(1, sizeof(*c) + size);
	if (c == NULL)
		return;
	c->off = 0;
	c->len = size;
	memset(&nc, 0, sizeof(nc));
	if (vdpa_ioctl(v, VHOST_VDPA_GET_CONFIG, c) == 0) {
		memcpy(&nc, c->buf, size);
		if (v->offered & VIO_BIT(VIO_NET_F_MAC))
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", nc.mac[0],
				 nc.mac[1], nc.mac[2], nc.mac[3], nc.mac[4], nc.mac[5]);
		VDPA_LOG(v, INFO, "config: MAC %s, MTU %u, %u queue pair%s in the device", mac,
			 v->offered & VIO_BIT(VIO_NET_F_MTU) ? nc.mtu : 0,
			 v->offered & VIO_BIT(VIO_NET_F_MQ) ? nc.max_virtqueue_pairs : 1,
			 v->offered & VIO_BIT(VIO_NET_F_MQ) && nc.max_virtqueue_pairs != 1 ? "s"
											   : "");
	}
	free(c);
}

/* The backend features: IOTLB v2 required, batches, SUSPEND and RESUME taken when offered. */
static int
backend_features(struct vdpa_backend *v)
{
	uint64_t offered = 0, want;
	int ret = vdpa_ioctl(v, VHOST_GET_BACKEND_FEATURES, &offered);

	if (ret < 0)
		return ret;
	if (!(offered & VIO_BIT(VHOST_BACKEND_F_IOTLB_MSG_V2))) {
		VDPA_LOG(v, ERR, "backend features 0x%" PRIx64 " without IOTLB_MSG_V2", offered);
		return -ENOTSUP;
	}
	want = offered & VDPA_BACKEND_WANTED;
	/* RESUME alone is of no use; SUSPEND is taken without RESUME (for stops). */
	ret = vdpa_ioctl(v, VHOST_SET_BACKEND_FEATURES, &want);
	if (ret == 0)
		v->backend = want;
	VDPA_LOG(v, DEBUG, "backend features 0x%" PRIx64 " of 0x%" PRIx64 " offered", want,
		 offered);
	return ret;
}

/* The largest ring: GET_VRING_NUM, narrowed per data vring by GET_VRING_SIZE (6.9). */
static int
ring_limits(struct vdpa_backend *v)
{
	uint16_t i, num = 0;
	int ret;

	ret = vdpa_ioctl(v, VHOST_VDPA_GET_VRING_NUM, &num);
	if (ret < 0)
		return ret;
	v->max_size = num;
	for (i = 0; i < VDPA_DATA_VRINGS; i++) {
		struct vhost_vring_state s = { .index = i };

		if (vdpa_ioctl_quiet(v, VHOST_VDPA_GET_VRING_SIZE, &s) == 0 && s.num != 0)
			v->max_size = (uint16_t)RTE_MIN(v->max_size, s.num);
	}
	return 0;
}

/* Everything about the device, checked against what a net port needs. */
static int
vdpa_probe(struct vdpa_backend *v, const struct vio_backend_target *t)
{
	int ret;

	ret = vdpa_ioctl(v, VHOST_SET_OWNER, NULL);
	if (ret == 0)
		ret = vdpa_ioctl(v, VHOST_VDPA_GET_DEVICE_ID, &v->device_id);
	if (ret < 0)
		return ret;
	if (v->device_id != VIRTIO_ID_NET) {
		VDPA_LOG(v, ERR,
			 "VHOST_VDPA_GET_DEVICE_ID: device id %u (%s); a net port needs device "
			 "id %u (net)",
			 v->device_id, device_id_name(v->device_id), VIRTIO_ID_NET);
		return -ENODEV;
	}
	ret = backend_features(v);
	if (ret == 0)
		ret = vdpa_ioctl(v, VHOST_GET_FEATURES, &v->offered);
	if (ret < 0)
		return ret;
	read_config(v);
	if (vdpa_ioctl_quiet(v, VHOST_VDPA_GET_VQS_COUNT, &v->nb_vqs) < 0)
		v->nb_vqs = VDPA_DATA_VRINGS; /* before Linux 5.18: at least one pair */
	if (v->nb_vqs < VDPA_DATA_VRINGS) {
		VDPA_LOG(v, ERR, "VHOST_VDPA_GET_VQS_COUNT: %u virtqueues, a net port needs %u",
			 v->nb_vqs, VDPA_DATA_VRINGS);
		return -ENODEV;
	}
	ret = ring_limits(v);
	if (ret < 0)
		return ret;
	if (t->queue_size > v->max_size) {
		VDPA_LOG(v, ERR,
			 "queue_size=%u: the device's rings take at most %u entries "
			 "(VHOST_VDPA_GET_VRING_NUM)",
			 t->queue_size, v->max_size);
		return -EINVAL;
	}
	ret = vdpa_ioctl(v, VHOST_VDPA_GET_IOVA_RANGE, &v->range);
	if (ret < 0)
		return ret;
	ret = device_prepare(v);
	if (ret < 0)
		return ret;
	VDPA_LOG(v, INFO,
		 "net device: features 0x%" PRIx64 " (the port is offered 0x%" PRIx64
		 "), backend features 0x%" PRIx64 ", %u virtqueues of at most %u entries, "
		 "IOVA range 0x%llx-0x%llx",
		 v->offered, v->offered & ~VDPA_FEATURES_HIDDEN, v->backend, v->nb_vqs, v->max_size,
		 (unsigned long long)v->range.first, (unsigned long long)v->range.last);
	return 0;
}

int
vhost_backend_vdpa_open(struct vio_backend *be, const struct vio_backend_target *t)
{
	struct vdpa_backend *v;
	int ret;

	if (t->path == NULL || t->path[0] == '\0' || strlen(t->path) >= sizeof(v->path)) {
		VHOST_LOG(ERR, "vdpa %s: a device path of 1 to %zu bytes is needed",
			  t->name != NULL ? t->name : "?", sizeof(v->path) - 1);
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	snprintf(v->name, sizeof(v->name), "%s", t->name != NULL ? t->name : "port");
	snprintf(v->path, sizeof(v->path), "%s", t->path);
	v->fd = open(t->path, O_RDWR | O_CLOEXEC);
	if (v->fd < 0) {
		ret = -errno;
		VDPA_LOG(v, ERR, "open: %s", strerror(errno));
		free(v);
		return ret;
	}
	ret = vdpa_probe(v, t);
	if (ret < 0) {
		if (v->status != 0)
			(void)status_reset(v);
		close(v->fd);
		free(v);
		return ret;
	}
	be->ops = &vdpa_ops;
	be->priv = v;
	return 0;
}
