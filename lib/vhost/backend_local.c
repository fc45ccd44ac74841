/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The "local" driver: vio's own engine processes the device side of the
 * rings, on the application's lcores, through vio_vhost_enqueue_burst() and
 * vio_vhost_dequeue_burst().
 *
 * In the frontend role the same engine serves a port of this process: the
 * port attaches in-process to a vio server socket (backend_remote.c, over
 * vhost_local.c), whose device is an ordinary one of this driver.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <numaif.h>
#include <sched.h>

#include <rte_errno.h>
#include <rte_pause.h>

#include "backend_local.h"
#include "vhost_internal.h"

struct local_backend {
	struct vio_backend *be;
	struct vhost_dev *dev;
	struct vio_mem *mem;
	struct vio_iotlb *iotlb; /* with VIRTIO_F_ACCESS_PLATFORM: ring addresses are IOVAs */
	uint64_t features;
	int log_fd;
	uint64_t log_offset;
	uint64_t log_size;
	/* Inflight tracking: the frontend's area, mapped whole (SET_INFLIGHT_FD). */
	uint8_t *inflight_map;
	uint64_t inflight_map_len;
	uint64_t inflight_offset;
	uint64_t inflight_size;
	uint16_t inflight_queues;
	uint16_t inflight_queue_size;
	struct vio_vq *vq[VHOST_MAX_VRINGS];
	struct vio_backend_vring_config cfg[VHOST_MAX_VRINGS];
	bool enabled[VHOST_MAX_VRINGS];
	bool started[VHOST_MAX_VRINGS]; /* started by the frontend, queue or not */
};

/*
 * Take the queue away from the data path: unpublish it, then wait until the
 * lcore that may be inside a burst has left it. Pairs with the seq_cst store
 * of busy and load of live in vhost_vring_enter() (a Dekker handshake: one of
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

static void quiesce_all(struct local_backend *lb);
static void resume_all(struct local_backend *lb);

static void
vring_publish(struct local_backend *lb, uint16_t idx)
{
	struct vhost_vring *vr = &lb->dev->vrings[idx];

	if (lb->vq[idx] != NULL && lb->enabled[idx]) {
		/*
		 * A new engine queue starts with kicks off: the application's
		 * request (Rx interrupts) survives the ring restart. No lcore uses
		 * the queue before the store below.
		 */
		vio_vq_kick_enable(lb->vq[idx], atomic_load(&vr->notify_wanted));
		atomic_store_explicit(&vr->live, lb->vq[idx], memory_order_seq_cst);
	}
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
	vhost_stats_add(&vr->saved, &st);
	vio_vq_free(lb->vq[idx]);
	lb->vq[idx] = NULL;
	return base;
}

/*
 * Translate a ring part: all @p len bytes in one region of the frontend's
 * space, or with a vIOMMU, IOVAs contiguous in host memory. *@p gpa gets the
 * part's GPA. -EAGAIN: the IOTLB misses a part (the frontend was asked).
 */
static int
ring_part(struct local_backend *lb, uint64_t addr, uint64_t len, const char *what, uint16_t idx,
	  void **hva, uint64_t *gpa)
{
	uint64_t got = len, miss;
	int ret;

	if (lb->iotlb != NULL) {
		ret = vio_iotlb_xlate_range(lb->iotlb, addr, len, VIO_MEM_ACCESS_RW, hva, gpa,
					    &miss);
		if (ret == -EAGAIN) {
			lb->be->events->iotlb_miss(lb->be, miss, VIO_MEM_ACCESS_RW);
			return ret;
		}
		if (ret < 0)
			DEV_LOG(lb->dev, ERR,
				"vring %u: %s at iova 0x%" PRIx64 " (%" PRIu64
				" bytes) is not contiguous in guest memory",
				idx, what, addr, len);
		return ret;
	}
	*hva = vio_mem_uaddr_to_hva(lb->mem, addr, &got);
	if (*hva == NULL || got != len || vio_mem_uaddr_to_gpa(lb->mem, addr, gpa) < 0) {
		DEV_LOG(lb->dev, ERR,
			"vring %u: %s at uaddr 0x%" PRIx64 " (%" PRIu64
			" bytes) is not inside one memory region",
			idx, what, addr, len);
		return -EINVAL;
	}
	return 0;
}

static int
vq_create(struct local_backend *lb, uint16_t idx, uint32_t base)
{
	const struct vio_backend_vring_config *c = &lb->cfg[idx];
	bool packed = lb->features & VIO_BIT(VIO_F_RING_PACKED);
	struct vio_vq_config vc;
	uint64_t sizes[3], gpa[3];
	char name[64];
	int ret;

	memset(&vc, 0, sizeof(vc));
	snprintf(name, sizeof(name), "vid%d/vring%u", lb->dev->vid, idx);
	vc.name = name;
	vc.mem = lb->mem;
	vc.features = lb->features;
	vc.size = c->size;
	vc.base = base;
	vc.callfd = c->callfd;
	vc.errfd = lb->dev->err.fd;
	vc.iotlb = lb->iotlb;
	vc.missfd = lb->dev->err.fd;
	vc.offloads = lb->dev->sock->offloads;
	if (packed) {
		sizes[0] = vio_vring_packed_desc_bytes(c->size);
		sizes[1] = sizes[2] = sizeof(struct vio_vring_packed_event);
	} else {
		sizes[0] = vio_vring_desc_bytes(c->size);
		sizes[1] = vio_vring_avail_bytes(c->size);
		sizes[2] = vio_vring_used_bytes(c->size);
	}
	ret = ring_part(lb, c->desc_uaddr, sizes[0],
			packed ? "descriptor ring" : "descriptor table", idx, &vc.desc, &gpa[0]);
	if (ret == 0)
		ret = ring_part(lb, c->avail_uaddr, sizes[1],
				packed ? "driver event area" : "avail ring", idx, &vc.driver_area,
				&gpa[1]);
	if (ret == 0)
		ret = ring_part(lb, c->used_uaddr, sizes[2],
				packed ? "device event area" : "used ring", idx, &vc.device_area,
				&gpa[2]);
	if (ret < 0)
		return ret;
	/*
	 * The dirty log covers what the device writes: the used ring (split; the
	 * frontend's log address for it is a GPA, or an IOVA with a vIOMMU, which
	 * the used ring's translation already resolved), or the descriptor ring
	 * (packed: used entries go there).
	 */
	if (packed)
		vc.log_ring_gpa = gpa[0];
	else
		vc.log_ring_gpa = lb->iotlb != NULL ? gpa[2] : c->log_gpa;
	if (lb->inflight_map != NULL) {
		uint64_t stride = vio_vq_inflight_size(lb->inflight_queue_size, packed);

		if (idx >= lb->inflight_queues || c->size != lb->inflight_queue_size ||
		    (idx + 1u) * stride > lb->inflight_size) {
			DEV_LOG(lb->dev, ERR,
				"vring %u (size %u): not in the inflight area (%u vrings of size "
				"%u, %" PRIu64 " bytes)",
				idx, c->size, lb->inflight_queues, lb->inflight_queue_size,
				lb->inflight_size);
			return -EINVAL;
		}
		vc.inflight = lb->inflight_map + lb->inflight_offset + idx * stride;
	}
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
	if ((features & VIO_BIT(VIO_F_ACCESS_PLATFORM)) && lb->iotlb == NULL) {
		lb->iotlb = vio_iotlb_create(VIO_IOTLB_MAX_ENTRIES);
		if (lb->iotlb == NULL)
			return -ENOMEM;
	} else if (!(features & VIO_BIT(VIO_F_ACCESS_PLATFORM)) && lb->iotlb != NULL) {
		/* The server refuses feature changes while rings run: no queue uses it. */
		vio_iotlb_free(lb->iotlb);
		lb->iotlb = NULL;
	}
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
		if (lb->iotlb != NULL)
			vio_iotlb_flush(lb->iotlb);
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
	if (lb->iotlb != NULL && vio_iotlb_remap(lb->iotlb, mem) > 0)
		DEV_LOG(lb->dev, INFO, "IOTLB entries outside the new memory table dropped");
	vio_mem_free(old);
	lb->dev->numa_node = mem_numa_node(mem);
	/*
	 * Every started ring runs again, also one whose memory was missing for a
	 * while (QEMU removes a region and adds it back when it changes). A ring
	 * whose memory is still missing waits for the next table.
	 */
	for (i = 0; i < VHOST_MAX_VRINGS; i++) {
		int ret = lb->started[i] ? vq_create(lb, i, lb->cfg[i].base) : 0;

		if (ret < 0 && ret != -EAGAIN)
			DEV_LOG(lb->dev, WARNING, "vring %u waits for its memory", i);
	}
	return 0;
}

/* Whether @p fd has @p size bytes (not 0, not wrapping) at @p offset. */
static bool
fd_covers(int fd, uint64_t offset, uint64_t size)
{
	struct stat st;

	return size != 0 && offset + size >= offset && offset + size <= SIZE_MAX &&
	       fstat(fd, &st) == 0 && (uint64_t)st.st_size >= offset + size;
}

static int
local_set_log_base(struct vio_backend *be, int fd, uint64_t offset, uint64_t size)
{
	struct local_backend *lb = be->priv;
	uint16_t i;
	int ret;

	/* Checked now, also before any memory table (it is mapped only with one). */
	if (!fd_covers(fd, offset, size)) {
		DEV_LOG(lb->dev, ERR,
			"log: offset 0x%" PRIx64 " size 0x%" PRIx64
			" empty, wrapping or beyond the end of its fd",
			offset, size);
		close(fd);
		return -EINVAL;
	}
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

static void
inflight_unmap(struct local_backend *lb)
{
	if (lb->inflight_map != NULL)
		munmap(lb->inflight_map, lb->inflight_map_len);
	lb->inflight_map = NULL;
	lb->inflight_map_len = 0;
}

static int
local_set_inflight(struct vio_backend *be, int fd, uint64_t offset, uint64_t size,
		   uint16_t num_queues, uint16_t queue_size)
{
	struct local_backend *lb = be->priv;
	void *p;

	if (!fd_covers(fd, offset, size)) {
		DEV_LOG(lb->dev, ERR,
			"inflight area: offset 0x%" PRIx64 " size 0x%" PRIx64
			" beyond the end of its fd",
			offset, size);
		close(fd);
		return -EINVAL;
	}
	/* The queues' regions lie end to end from the offset: each must be aligned. */
	if (offset % VIO_VQ_INFLIGHT_ALIGN != 0) {
		DEV_LOG(lb->dev, ERR,
			"inflight area: mmap_offset 0x%" PRIx64 " not a multiple of %u (the "
			"queue regions hold 64-bit fields)",
			offset, VIO_VQ_INFLIGHT_ALIGN);
		close(fd);
		return -EINVAL;
	}
	p = mmap(NULL, offset + size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd); /* the mapping stays */
	if (p == MAP_FAILED)
		return -errno;
	inflight_unmap(lb);
	lb->inflight_map = p;
	lb->inflight_map_len = offset + size;
	lb->inflight_offset = offset;
	lb->inflight_size = size;
	lb->inflight_queues = num_queues;
	lb->inflight_queue_size = queue_size;
	return 0;
}

static int
local_vring_start(struct vio_backend *be, uint16_t idx, const struct vio_backend_vring_config *cfg)
{
	struct local_backend *lb = be->priv;
	uint32_t base = cfg->base;
	int ret;

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
	ret = vq_create(lb, idx, base);
	if (ret == -EAGAIN) {
		/* Its rings are not in the IOTLB yet: it starts when the update comes. */
		lb->cfg[idx].base = base;
		return 0;
	}
	return ret;
}

static int
local_vring_stop(struct vio_backend *be, uint16_t idx, uint32_t *base)
{
	struct local_backend *lb = be->priv;

	lb->started[idx] = false;
	if (lb->vq[idx] == NULL) {
		*base = lb->cfg[idx].base;
	} else {
		*base = vq_destroy(lb, idx);
		lb->cfg[idx].base = *base;
	}
	/*
	 * A stopped device hears of no unmap (QEMU drops its IOMMU notifier
	 * until it starts the device again): what the IOTLB holds may go
	 * stale, e.g. when a reloaded guest driver gets the same IOVAs for new
	 * rings. Forget it all; the rings still running ask again.
	 */
	if (lb->iotlb != NULL && vio_iotlb_nb_entries(lb->iotlb) > 0) {
		quiesce_all(lb);
		vio_iotlb_flush(lb->iotlb);
		resume_all(lb);
	}
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
	vio_iotlb_free(lb->iotlb);
	lb->iotlb = NULL;
	if (lb->log_fd >= 0)
		close(lb->log_fd);
	lb->log_fd = -1;
	lb->features = 0;
	inflight_unmap(lb);
}

/* Take every queue away from the data path (the IOTLB is about to change). */
static void
quiesce_all(struct local_backend *lb)
{
	uint16_t i;

	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		if (lb->vq[i] != NULL)
			vring_unpublish(&lb->dev->vrings[i]);
}

/* Give the queues back, letting them retry their misses; start rings that waited. */
static void
resume_all(struct local_backend *lb)
{
	uint16_t i;

	for (i = 0; i < VHOST_MAX_VRINGS; i++) {
		if (lb->vq[i] != NULL) {
			vio_vq_iotlb_retry(lb->vq[i]);
			vring_publish(lb, i);
		} else if (lb->started[i] && lb->mem != NULL) {
			vq_create(lb, i, lb->cfg[i].base);
		}
	}
	vhost_dev_update_running(lb->dev);
}

static int
local_iotlb_update(struct vio_backend *be, uint64_t iova, uint64_t size, uint64_t uaddr,
		   uint32_t perm)
{
	struct local_backend *lb = be->priv;
	int ret;

	if (lb->iotlb == NULL)
		return -ENOTSUP;
	quiesce_all(lb);
	ret = vio_iotlb_update(lb->iotlb, lb->mem, iova, size, uaddr, perm);
	resume_all(lb);
	return ret;
}

static bool
overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Whether vring @p idx's parts use IOVAs in [iova, iova + size). */
static bool
ring_uses(const struct local_backend *lb, uint16_t idx, uint64_t iova, uint64_t size)
{
	const struct vio_backend_vring_config *c = &lb->cfg[idx];
	bool packed = lb->features & VIO_BIT(VIO_F_RING_PACKED);

	if (packed)
		return overlaps(c->desc_uaddr, vio_vring_packed_desc_bytes(c->size), iova, size) ||
		       overlaps(c->avail_uaddr, sizeof(struct vio_vring_packed_event), iova,
				size) ||
		       overlaps(c->used_uaddr, sizeof(struct vio_vring_packed_event), iova, size);
	return overlaps(c->desc_uaddr, vio_vring_desc_bytes(c->size), iova, size) ||
	       overlaps(c->avail_uaddr, vio_vring_avail_bytes(c->size), iova, size) ||
	       overlaps(c->used_uaddr, vio_vring_used_bytes(c->size), iova, size);
}

static int
local_iotlb_invalidate(struct vio_backend *be, uint64_t iova, uint64_t size)
{
	struct local_backend *lb = be->priv;
	uint16_t i;

	if (lb->iotlb == NULL)
		return -ENOTSUP;
	if (iova + size < iova)
		size = UINT64_MAX - iova; /* to the end of the space */
	quiesce_all(lb);
	vio_iotlb_invalidate(lb->iotlb, iova, size);
	/* A queue holds host addresses of its ring parts: it goes when they do. */
	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		if (lb->vq[i] != NULL && ring_uses(lb, i, iova, size))
			lb->cfg[i].base = vq_destroy(lb, i);
	resume_all(lb);
	return 0;
}

static int
local_iotlb_entries(struct vio_backend *be, unsigned int *nb)
{
	const struct local_backend *lb = be->priv;

	if (lb->iotlb == NULL)
		return -ENOTSUP;
	*nb = vio_iotlb_nb_entries(lb->iotlb);
	return 0;
}

/*
 * The device's error eventfd fired: a queue broke (log what broke it, once
 * per queue, and pass the news to the frontend's error fd), or, with a
 * vIOMMU, recorded an IOTLB miss (ask the frontend for it).
 */
static void
local_error_event(struct vio_backend *be)
{
	struct local_backend *lb = be->priv;
	enum vio_mem_access access;
	uint64_t iova, value;
	const char *field;
	uint16_t i;

	for (i = 0; i < VHOST_MAX_VRINGS; i++) {
		struct vhost_vring *vr = &lb->dev->vrings[i];

		if (lb->vq[i] == NULL || vr->err_reported ||
		    vio_vq_error(lb->vq[i], &field, &value) < 0)
			continue;
		vr->err_reported = true;
		DEV_LOG(lb->dev, ERR,
			"vring %u: the frontend broke the queue: %s = 0x%" PRIx64
			" (queue stopped, see its err_* counters)",
			i, field, value);
		if (vr->cfg.errfd >= 0) /* the frontend's current one (SET_VRING_ERR) */
			eventfd_write(vr->cfg.errfd, 1);
	}
	if (lb->iotlb == NULL)
		return;
	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		if (lb->vq[i] != NULL && vio_vq_iotlb_miss(lb->vq[i], &iova, &access) == 1)
			be->events->iotlb_miss(be, iova, access);
}

static void
local_destroy(struct vio_backend *be)
{
	if (be->priv == NULL)
		return;
	local_reset(be);
	free(be->priv);
	be->priv = NULL;
	be->ops = NULL;
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
	.iotlb_update = local_iotlb_update,
	.iotlb_invalidate = local_iotlb_invalidate,
	.iotlb_entries = local_iotlb_entries,
	.set_inflight = local_set_inflight,
	.destroy = local_destroy,
	.error_event = local_error_event,
};

int
vhost_backend_local_create(struct vio_backend *be, struct vhost_dev *dev)
{
	struct local_backend *lb = calloc(1, sizeof(*lb));

	if (lb == NULL)
		return -ENOMEM;
	lb->be = be;
	lb->dev = dev;
	lb->log_fd = -1;
	be->ops = &local_ops;
	be->priv = lb;
	return 0;
}
