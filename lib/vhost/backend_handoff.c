/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The handoff, backend role of the device drivers ("kernel", "vdpa"): a
 * vhost-user frontend's rings are given to Linux vhost-net or to a vDPA
 * device, which then moves the packets itself, while vio keeps the control
 * plane (the socket, negotiation, reconnect, the link state).
 *
 * It is a shim over the driver's frontend-role instance, which knows how to
 * program the device for rings in this process's memory:
 *  - the memory table: each region the frontend shared is mapped here
 *    (vio_mem), and the device is given the frontend's guest physical
 *    addresses with this process's mapping of each (the kernel's vhost worker
 *    and the vDPA IOTLB read guest memory through this process's address
 *    space), so the addresses in the frontend's descriptors mean what they
 *    meant to the frontend;
 *  - the vrings: the frontend's own addresses of the descriptor, avail and
 *    used rings translated to this process's mappings; the kick, call and
 *    error eventfds passed straight through, so no vio thread sits between
 *    the frontend and the device;
 *  - features: what the device offers, less what belongs to vhost-user alone
 *    (PROTOCOL_FEATURES) or to the config space vio's server emulates
 *    (STATUS, MTU).
 *
 * A new memory table while rings run (a frontend whose heap grew) maps the
 * new regions, stops the started rings (their position read back from the
 * device), hands the device the table, starts the rings again at the new
 * mappings, and only then unmaps the old ones. A vring started again with a
 * new config (a new call fd: QEMU masks and unmasks interrupts that way)
 * goes to the driver as such: the driver keeps its position. RESET_OWNER /
 * RESET_DEVICE close the device instance; the next op opens a new one.
 *
 * No dirty log (LOG_ALL is not offered: the handoff has no live migration),
 * no vIOMMU, no inflight area.
 */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>

#include "backend_handoff.h"
#include "vhost_internal.h"

struct handoff_backend {
	struct vhost_dev *dev;
	const struct vhost_driver *drv;
	struct vio_backend inner; /* the driver's frontend-role instance: the device */
	char device[PATH_MAX];
	char iface[IFNAMSIZ];
	uint16_t nb_pairs;
	uint64_t features;   /* negotiated, as the frontend sent them */
	struct vio_mem *mem; /* the frontend's regions, mapped here */
	/* The table as the device has it: the frontend's gpas, this process's mappings. */
	struct vio_mem_region_desc *table;
	unsigned int nb_table;
	bool table_stale; /* every vring stopped since the device was given it */
	struct vio_backend_vring_config cfg[VHOST_MAX_VRINGS]; /* the frontend's addresses */
	bool started[VHOST_MAX_VRINGS];
	bool enabled[VHOST_MAX_VRINGS];
};

static struct handoff_backend *
handoff(struct vio_backend *be)
{
	return be->priv;
}

static int inner_open(struct handoff_backend *h);

/* The device instance (opened again after a reset), or NULL (logged). */
static struct vio_backend *
inner_of(struct handoff_backend *h)
{
	if (h->inner.ops == NULL && inner_open(h) < 0)
		return NULL;
	return &h->inner;
}

static int
inner_open(struct handoff_backend *h)
{
	struct vio_backend_target t = {
		.name = h->dev->sock->path,
		.path = h->device,
		.iface = h->iface[0] != '\0' ? h->iface : NULL,
		.nb_queue_pairs = h->nb_pairs,
	};
	int ret;

	ret = h->drv->open(&h->inner, &t);
	if (ret < 0) {
		h->inner.ops = NULL;
		DEV_LOG(h->dev, ERR, "driver %s: %s: cannot open the device: %s", h->drv->name,
			h->device, strerror(-ret));
	}
	return ret;
}

static int
handoff_get_features(struct vio_backend *be, uint64_t *features)
{
	struct vio_backend *in = inner_of(handoff(be));

	if (in == NULL)
		return -ENODEV;
	return in->ops->get_features(in, features);
}

static int
handoff_get_queue_num(struct vio_backend *be, uint16_t *nb)
{
	struct vio_backend *in = inner_of(handoff(be));

	if (in == NULL)
		return -ENODEV;
	return in->ops->get_queue_num(in, nb);
}

static int
handoff_set_features(struct vio_backend *be, uint64_t features)
{
	struct handoff_backend *h = handoff(be);
	struct vio_backend *in = inner_of(h);

	if (in == NULL)
		return -ENODEV;
	h->features = features;
	/* What vio's server answers for itself is never the device's to see. */
	return in->ops->set_features(in, features & ~VHOST_SERVER_FEATURES);
}

/*
 * The bytes of a ring part at the frontend's address @p uaddr, mapped here in
 * one piece; 0 and *@p hva, or -EINVAL.
 */
static int
ring_part(struct handoff_backend *h, const struct vio_mem *mem, uint16_t idx, const char *what,
	  uint64_t uaddr, uint64_t len, uint64_t *hva)
{
	uint64_t got = len;
	void *p = vio_mem_uaddr_to_hva(mem, uaddr, &got);

	if (p == NULL || got != len) {
		DEV_LOG(h->dev, ERR,
			"vring %u: %s at uaddr 0x%" PRIx64 " (%" PRIu64
			" bytes) is not inside one memory region",
			idx, what, uaddr, len);
		return -EINVAL;
	}
	*hva = (uint64_t)(uintptr_t)p;
	return 0;
}

/* Start vring @p idx on the device at base @p base, its rings at @p mem's mappings. */
static int
vring_start_at(struct handoff_backend *h, struct vio_backend *in, const struct vio_mem *mem,
	       uint16_t idx, uint32_t base)
{
	const struct vio_backend_vring_config *c = &h->cfg[idx];
	struct vio_backend_vring_config d = *c;
	bool packed = h->features & VIO_BIT(VIO_F_RING_PACKED);
	int ret;

	ret = ring_part(h, mem, idx, packed ? "descriptor ring" : "descriptor table", c->desc_uaddr,
			packed ? vio_vring_packed_desc_bytes(c->size)
			       : vio_vring_desc_bytes(c->size),
			&d.desc_uaddr);
	if (ret == 0)
		ret = ring_part(h, mem, idx, packed ? "driver event area" : "avail ring",
				c->avail_uaddr,
				packed ? sizeof(struct vio_vring_packed_event)
				       : vio_vring_avail_bytes(c->size),
				&d.avail_uaddr);
	if (ret == 0)
		ret = ring_part(h, mem, idx, packed ? "device event area" : "used ring",
				c->used_uaddr,
				packed ? sizeof(struct vio_vring_packed_event)
				       : vio_vring_used_bytes(c->size),
				&d.used_uaddr);
	if (ret < 0)
		return ret;
	d.base = base;
	d.log_used = false; /* no dirty log (see the top) */
	ret = in->ops->vring_start(in, idx, &d);
	/* Enabled or not as the frontend has it (vdpa: the last enable sets DRIVER_OK). */
	if (ret == 0)
		ret = in->ops->vring_enable(in, idx, h->enabled[idx]);
	if (ret < 0)
		DEV_LOG(h->dev, ERR, "vring %u: driver %s (%s) did not start it: %s", idx,
			h->drv->name, h->device, strerror(-ret));
	return ret;
}

static bool
any_started(const struct handoff_backend *h)
{
	unsigned int i;

	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		if (h->started[i])
			return true;
	return false;
}

static int
handoff_vring_start(struct vio_backend *be, uint16_t idx,
		    const struct vio_backend_vring_config *cfg)
{
	struct handoff_backend *h = handoff(be);
	struct vio_backend *in = inner_of(h);
	uint32_t base = cfg->base;
	int ret;

	if (in == NULL)
		return -ENODEV;
	if (h->mem == NULL) {
		DEV_LOG(h->dev, ERR, "vring %u kicked before any memory table", idx);
		return -EINVAL;
	}
	if (!cfg->addr_set || cfg->size == 0) {
		DEV_LOG(h->dev, ERR, "vring %u kicked before its size and addresses", idx);
		return -EINVAL;
	}
	/*
	 * The first vring after every one stopped: the table again (a device
	 * that was stopped whole, vdpa, forgot its IOTLB; vhost-net takes the
	 * same table as a no-op). A vring started again (a new call fd, new
	 * addresses) goes on from where it stands: the driver keeps that.
	 */
	if (h->table_stale) {
		ret = in->ops->set_mem_table(in, h->table, h->nb_table);
		if (ret < 0)
			return ret;
		h->table_stale = false;
	}
	h->cfg[idx] = *cfg;
	ret = vring_start_at(h, in, h->mem, idx, base);
	h->started[idx] = ret == 0;
	return ret;
}

static int
handoff_vring_stop(struct vio_backend *be, uint16_t idx, uint32_t *base)
{
	struct handoff_backend *h = handoff(be);
	struct vio_backend *in = h->inner.ops != NULL ? &h->inner : NULL;
	int ret = 0;

	*base = h->cfg[idx].base;
	if (h->started[idx] && in != NULL)
		ret = in->ops->vring_stop(in, idx, base);
	h->started[idx] = false;
	h->cfg[idx].base = *base;
	h->table_stale = h->nb_table > 0 && !any_started(h);
	return ret;
}

static int
handoff_vring_enable(struct vio_backend *be, uint16_t idx, bool enable)
{
	struct handoff_backend *h = handoff(be);

	h->enabled[idx] = enable;
	/* A vring not started yet is enabled or not when it starts. */
	if (!h->started[idx] || h->inner.ops == NULL)
		return 0;
	return h->inner.ops->vring_enable(&h->inner, idx, enable);
}

/*
 * A new memory table. The device reads guest memory through this process's
 * mappings, so the old ones stay until no started vring points into them.
 */
static int
handoff_set_mem_table(struct vio_backend *be, const struct vio_mem_region_desc *regions,
		      unsigned int nb_regions)
{
	struct handoff_backend *h = handoff(be);
	struct vio_backend *in = inner_of(h);
	struct vio_mem_region_desc *d;
	struct vio_mem *mem, *old = h->mem;
	uint32_t base[VHOST_MAX_VRINGS];
	bool restart[VHOST_MAX_VRINGS] = { false };
	unsigned int i;
	int ret, r;

	if (in == NULL)
		return -ENODEV;
	mem = vio_mem_create(regions, nb_regions);
	if (mem == NULL) {
		ret = rte_errno != 0 ? -rte_errno : -EINVAL;
		DEV_LOG(h->dev, ERR, "memory table of %u regions: cannot map it: %s", nb_regions,
			strerror(-ret));
		return ret;
	}
	/* Control path: once per memory change. */
	d = calloc(nb_regions + 1, sizeof(*d));
	if (d == NULL) {
		vio_mem_free(mem);
		return -ENOMEM;
	}
	for (i = 0; i < nb_regions; i++) {
		uint64_t len = regions[i].size;

		d[i].fd = -1;
		d[i].gpa = regions[i].gpa;
		d[i].size = regions[i].size;
		d[i].uaddr = (uint64_t)(uintptr_t)vio_mem_gpa_to_hva(mem, regions[i].gpa, &len);
	}
	for (i = 0; i < VHOST_MAX_VRINGS; i++) {
		if (!h->started[i])
			continue;
		ret = in->ops->vring_stop(in, (uint16_t)i, &base[i]);
		if (ret < 0)
			base[i] = h->cfg[i].base;
		h->started[i] = false;
		restart[i] = true;
	}
	ret = in->ops->set_mem_table(in, d, nb_regions);
	if (ret == 0) {
		h->mem = mem;
		free(h->table);
		h->table = d;
		h->nb_table = nb_regions;
		h->table_stale = false;
	} else {
		DEV_LOG(h->dev, ERR, "driver %s (%s) refused the memory table of %u regions: %s",
			h->drv->name, h->device, nb_regions, strerror(-ret));
		vio_mem_free(mem);
		free(d);
	}
	/* The rings go on where they stood, at the new mappings (or the old, on failure). */
	for (i = 0; i < VHOST_MAX_VRINGS; i++) {
		if (!restart[i] || h->mem == NULL)
			continue;
		r = vring_start_at(h, in, h->mem, (uint16_t)i, base[i]);
		if (r == 0)
			h->started[i] = true;
		else
			h->cfg[i].base = base[i];
		if (ret == 0 && r < 0)
			ret = r;
	}
	if (h->mem != old)
		vio_mem_free(old);
	return ret;
}

static int
handoff_set_log_base(struct vio_backend *be, int fd, uint64_t offset, uint64_t size)
{
	RTE_SET_USED(offset);
	RTE_SET_USED(size);
	DEV_LOG(handoff(be)->dev, ERR, "no dirty log with driver %s (LOG_ALL not offered)",
		handoff(be)->drv->name);
	close(fd);
	return -ENOTSUP;
}

static void
state_clear(struct handoff_backend *h)
{
	vio_mem_free(h->mem);
	h->mem = NULL;
	free(h->table);
	h->table = NULL;
	h->nb_table = 0;
	h->table_stale = false;
	h->features = 0;
	memset(h->cfg, 0, sizeof(h->cfg));
	memset(h->started, 0, sizeof(h->started));
	memset(h->enabled, 0, sizeof(h->enabled));
}

/*
 * The device instance closed (vhost-net stops, a TAP of its own goes); the
 * next op opens a new one (a reset at the end of a connection opens none).
 */
static void
handoff_reset(struct vio_backend *be)
{
	struct handoff_backend *h = handoff(be);

	if (h->inner.ops != NULL)
		h->inner.ops->destroy(&h->inner);
	h->inner.ops = NULL;
	state_clear(h);
}

static void
handoff_destroy(struct vio_backend *be)
{
	struct handoff_backend *h = handoff(be);

	if (h == NULL)
		return;
	if (h->inner.ops != NULL)
		h->inner.ops->destroy(&h->inner);
	state_clear(h);
	free(h);
	be->priv = NULL;
}

static const struct vio_backend_ops handoff_ops = {
	.name = "handoff",
	.handoff = true,
	.set_features = handoff_set_features,
	.set_mem_table = handoff_set_mem_table,
	.set_log_base = handoff_set_log_base,
	.vring_start = handoff_vring_start,
	.vring_stop = handoff_vring_stop,
	.vring_enable = handoff_vring_enable,
	.reset = handoff_reset,
	.destroy = handoff_destroy,
	.get_features = handoff_get_features,
	.get_queue_num = handoff_get_queue_num,
};

int
vhost_backend_handoff_create(struct vio_backend *be, struct vhost_dev *dev)
{
	const struct vhost_socket *s = dev->sock;
	struct handoff_backend *h;
	int ret;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->dev = dev;
	h->drv = vhost_driver_find(s->driver);
	if (h->drv == NULL || h->drv->open == NULL) {
		free(h);
		return -EINVAL;
	}
	snprintf(h->device, sizeof(h->device), "%s", s->device);
	snprintf(h->iface, sizeof(h->iface), "%s", s->iface);
	h->nb_pairs = s->max_queue_pairs;
	ret = inner_open(h);
	if (ret < 0) {
		free(h);
		return ret;
	}
	be->ops = &handoff_ops;
	be->priv = h;
	return 0;
}
