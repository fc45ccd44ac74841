/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The "local" driver: vio's own engine processes the device side of the
 * rings, on the application's lcores, through vio_vhost_enqueue_burst() and
 * vio_vhost_dequeue_burst().
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <numaif.h>
#include <sched.h>

#include <rte_errno.h>
#include <rte_pause.h>

#include "backend_local.h"
#include "vhost_internal.h"

struct local_backend {
	struct vhost_dev *dev;
	struct vio_mem *mem;
	uint64_t features;
	int log_fd;
	uint64_t log_offset;
	uint64_t log_size;
	struct vio_vq *vq[VHOST_MAX_VRINGS];
	struct vio_backend_vring_config cfg[VHOST_MAX_VRINGS];
	bool enabled[VHOST_MAX_VRINGS];
	bool started[VHOST_MAX_VRINGS]; /* started by the frontend, queue or not */
};

/*
 * Take the queue away from the data path: unpublish it, then wait until the
 * lcore that may be inside a burst has left it. Pairs with the seq_cst store
 * of busy and load of live in vhost_burst_enter() (a Dekker handshake: one of
 * the two sides sees the other's store).
 */
static void
vring_unpublish(struct vhost_vring *vr)
{
	unsigned int spins = 0;

	atomic_store_explicit(&vr->live, NULL, memory_order_seq_cst);
	while (atomic_load_explicit(&vr->busy, memory_order_seq_cst) != 0) {
		/* A burst takes microseconds; an lcore descheduled mid-burst takes longer. */
		if (++spins < 1024)
			rte_pause();
		else
			sched_yield();
	}
}

static void
vring_publish(struct local_backend *lb, uint16_t idx)
{
	struct vhost_vring *vr = &lb->dev->vrings[idx];

	if (lb->vq[idx] != NULL && lb->enabled[idx])
		atomic_store_explicit(&vr->live, lb->vq[idx], memory_order_release);
}

static void
stats_add(struct vio_vq_stats *sum, const struct vio_vq_stats *s)
{
	uint64_t *a = (uint64_t *)sum;
	const uint64_t *b = (const uint64_t *)s;
	size_t i;

	for (i = 0; i < VIO_VQ_NB_STATS; i++)
		a[i] += b[i];
}

/* Free the engine queue of @p idx, keeping where it stands and its counters. */
static uint32_t
vq_destroy(struct local_backend *lb, uint16_t idx)
{
	struct vhost_vring *vr = &lb->dev->vrings[idx];
	struct vio_vq_stats st;
	uint32_t base;

	vring_unpublish(vr);
	base = vio_vq_base(lb->vq[idx]);
	vio_vq_stats_get(lb->vq[idx], &st);
	stats_add(&vr->saved, &st);
	vio_vq_free(lb->vq[idx]);
	lb->vq[idx] = NULL;
	return base;
}

/* Translate a ring part: all @p len bytes in one region of the frontend's space. */
static void *
ring_part(struct local_backend *lb, uint64_t uaddr, uint64_t len, const char *what, uint16_t idx)
{
	uint64_t got = len;
	void *p = vio_mem_uaddr_to_hva(lb->mem, uaddr, &got);

	if (p == NULL || got != len) {
		DEV_LOG(lb->dev, ERR,
			"vring %u: %s at uaddr 0x%" PRIx64 " (%" PRIu64
			" bytes) is not inside one memory region",
			idx, what, uaddr, len);
		return NULL;
	}
	return p;
}

static int
vq_create(struct local_backend *lb, uint16_t idx, uint32_t base)
{
	const struct vio_backend_vring_config *c = &lb->cfg[idx];
	bool packed = lb->features & VIO_BIT(VIO_F_RING_PACKED);
	struct vio_vq_config vc;
	char name[64];

	memset(&vc, 0, sizeof(vc));
	snprintf(name, sizeof(name), "vid%d/vring%u", lb->dev->vid, idx);
	vc.name = name;
	vc.mem = lb->mem;
	vc.features = lb->features;
	vc.size = c->size;
	vc.base = base;
	vc.callfd = c->callfd;
	vc.errfd = lb->dev->err.fd;
	vc.log_ring_gpa = c->log_gpa;
	if (packed) {
		vc.desc = ring_part(lb, c->desc_uaddr, vio_vring_packed_desc_bytes(c->size),
				    "descriptor ring", idx);
		vc.driver_area = ring_part(lb, c->avail_uaddr,
					   sizeof(struct vio_vring_packed_event),
					   "driver event area", idx);
		vc.device_area = ring_part(lb, c->used_uaddr, sizeof(struct vio_vring_packed_event),
					   "device event area", idx);
		/* The device writes used entries into the descriptor ring: log that. */
		if (vio_mem_uaddr_to_gpa(lb->mem, c->desc_uaddr, &vc.log_ring_gpa) < 0)
			vc.log_ring_gpa = 0;
	} else {
		vc.desc = ring_part(lb, c->desc_uaddr, vio_vring_desc_bytes(c->size),
				    "descriptor table", idx);
		vc.driver_area = ring_part(lb, c->avail_uaddr, vio_vring_avail_bytes(c->size),
					   "avail ring", idx);
		vc.device_area = ring_part(lb, c->used_uaddr, vio_vring_used_bytes(c->size),
					   "used ring", idx);
	}
	if (vc.desc == NULL || vc.driver_area == NULL || vc.device_area == NULL)
		return -EINVAL;
	lb->vq[idx] = vio_vq_create(&vc, SOCKET_ID_ANY);
	if (lb->vq[idx] == NULL)
		return -rte_errno;
	lb->dev->vrings[idx].err_reported = false;
	vring_publish(lb, idx);
	return 0;
}

static int
local_set_features(struct vio_backend *be, uint64_t features)
{
	struct local_backend *lb = be->priv;

	lb->features = features;
	if (lb->mem != NULL && lb->log_fd >= 0)
		vio_mem_log_enable(lb->mem, features & VIO_BIT(VHOST_F_LOG_ALL));
	return 0;
}

static int
log_attach(struct local_backend *lb, struct vio_mem *mem)
{
	int fd, ret;

	if (lb->log_fd < 0)
		return 0;
	fd = dup(lb->log_fd);
	if (fd < 0)
		return -errno;
	ret = vio_mem_log_map(mem, fd, lb->log_offset, lb->log_size);
	close(fd); /* the mapping stays */
	if (ret == 0)
		vio_mem_log_enable(mem, lb->features & VIO_BIT(VHOST_F_LOG_ALL));
	return ret;
}

/* The NUMA node of the guest's first page (touching it faults it in, like the guest did). */
static int
mem_numa_node(const struct vio_mem *mem)
{
	uint64_t len = 1;
	void *p = vio_mem_gpa_to_hva(mem, mem->by_gpa[0].start, &len);
	int node = -1;

	if (p == NULL || get_mempolicy(&node, NULL, 0, p, MPOL_F_NODE | MPOL_F_ADDR) < 0)
		return -1;
	return node;
}

static int
local_set_mem_table(struct vio_backend *be, const struct vio_mem_region_desc *regions,
		    unsigned int nb_regions)
{
	struct local_backend *lb = be->priv;
	struct vio_mem *mem, *old;
	uint16_t i;

	if (nb_regions == 0) {
		/* The last region went: no ring can run until memory comes back. */
		for (i = 0; i < VHOST_MAX_VRINGS; i++)
			if (lb->vq[i] != NULL)
				lb->cfg[i].base = vq_destroy(lb, i);
		vio_mem_free(lb->mem);
		lb->mem = NULL;
		return 0;
	}
	mem = vio_mem_create(regions, nb_regions);
	if (mem == NULL)
		return -rte_errno;
	if (log_attach(lb, mem) < 0) {
		vio_mem_free(mem);
		return -EINVAL;
	}
	/* Running queues move to the new table: stop them, swap, start them again. */
	for (i = 0; i < VHOST_MAX_VRINGS; i++) {
		if (lb->vq[i] != NULL)
			lb->cfg[i].base = vq_destroy(lb, i);
	}
	old = lb->mem;
	lb->mem = mem;
	vio_mem_free(old);
	lb->dev->numa_node = mem_numa_node(mem);
	/*
	 * Every started ring runs again, also one whose memory was missing for a
	 * while (QEMU removes a region and adds it back when it changes). A ring
	 * whose memory is still missing waits for the next table.
	 */
	for (i = 0; i < VHOST_MAX_VRINGS; i++) {
		if (lb->started[i] && vq_create(lb, i, lb->cfg[i].base) < 0)
			DEV_LOG(lb->dev, WARNING, "vring %u waits for its memory", i);
	}
	return 0;
}

static int
local_set_log_base(struct vio_backend *be, int fd, uint64_t offset, uint64_t size)
{
	struct local_backend *lb = be->priv;
	uint16_t i;
	int ret;

	if (lb->log_fd >= 0)
		close(lb->log_fd);
	lb->log_fd = fd;
	lb->log_offset = offset;
	lb->log_size = size;
	if (lb->mem == NULL)
		return 0;
	/* Lcores may be writing into the old log: take the rings away while it is swapped. */
	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		if (lb->vq[i] != NULL)
			vring_unpublish(&lb->dev->vrings[i]);
	ret = log_attach(lb, lb->mem);
	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		vring_publish(lb, i);
	if (ret < 0) {
		close(lb->log_fd);
		lb->log_fd = -1;
	}
	return ret;
}

static int
local_vring_start(struct vio_backend *be, uint16_t idx, const struct vio_backend_vring_config *cfg)
{
	struct local_backend *lb = be->priv;
	uint32_t base = cfg->base;

	if (lb->mem == NULL) {
		DEV_LOG(lb->dev, ERR, "vring %u kicked before any memory table", idx);
		return -EINVAL;
	}
	if (!cfg->addr_set || cfg->size == 0) {
		DEV_LOG(lb->dev, ERR, "vring %u kicked before its size and addresses", idx);
		return -EINVAL;
	}
	if (lb->vq[idx] != NULL)
		base = vq_destroy(lb, idx);
	lb->cfg[idx] = *cfg;
	lb->started[idx] = true;
	return vq_create(lb, idx, base);
}

static int
local_vring_stop(struct vio_backend *be, uint16_t idx, uint32_t *base)
{
	struct local_backend *lb = be->priv;

	lb->started[idx] = false;
	if (lb->vq[idx] == NULL) {
		*base = lb->cfg[idx].base;
		return 0;
	}
	*base = vq_destroy(lb, idx);
	lb->cfg[idx].base = *base;
	return 0;
}

static int
local_vring_enable(struct vio_backend *be, uint16_t idx, bool enable)
{
	struct local_backend *lb = be->priv;

	lb->enabled[idx] = enable;
	if (enable)
		vring_publish(lb, idx);
	else
		vring_unpublish(&lb->dev->vrings[idx]);
	return 0;
}

static void
local_reset(struct vio_backend *be)
{
	struct local_backend *lb = be->priv;
	uint16_t i;

	for (i = 0; i < VHOST_MAX_VRINGS; i++) {
		if (lb->vq[i] != NULL)
			vq_destroy(lb, i);
		lb->enabled[i] = false;
		lb->started[i] = false;
		memset(&lb->cfg[i], 0, sizeof(lb->cfg[i]));
	}
	vio_mem_free(lb->mem);
	lb->mem = NULL;
	if (lb->log_fd >= 0)
		close(lb->log_fd);
	lb->log_fd = -1;
	lb->features = 0;
}

static const struct vio_backend_ops local_ops = {
	.name = "local",
	.set_features = local_set_features,
	.set_mem_table = local_set_mem_table,
	.set_log_base = local_set_log_base,
	.vring_start = local_vring_start,
	.vring_stop = local_vring_stop,
	.vring_enable = local_vring_enable,
	.reset = local_reset,
};

int
vhost_backend_local_init(struct vio_backend *be, struct vhost_dev *dev)
{
	struct local_backend *lb = calloc(1, sizeof(*lb));

	if (lb == NULL)
		return -ENOMEM;
	lb->dev = dev;
	lb->log_fd = -1;
	be->ops = &local_ops;
	be->priv = lb;
	return 0;
}

void
vhost_backend_local_fini(struct vio_backend *be)
{
	if (be->priv == NULL)
		return;
	local_reset(be);
	free(be->priv);
	be->priv = NULL;
	be->ops = NULL;
}
