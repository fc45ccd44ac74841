/* SPDX-License-Identifier: BSD-3-Clause */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "vq_internal.h"

RTE_LOG_REGISTER(vio_engine_logtype, lib.vio.engine, INFO);

static const char *const stat_names[] = {
#define STAT_NAME(name, desc) #name,
	VIO_VQ_STATS(STAT_NAME)
#undef STAT_NAME
};

static const char *const stat_descs[] = {
#define STAT_DESC(name, desc) desc,
	VIO_VQ_STATS(STAT_DESC)
#undef STAT_DESC
};

static int
config_check(const struct vio_vq_config *cfg, const char *name)
{
	bool packed = cfg->features & VIO_BIT(VIO_F_RING_PACKED);

#define BAD(fmt, ...)                                                                       \
	do {                                                                                \
		rte_log(RTE_LOG_ERR, vio_engine_logtype, "vio_engine: %s: " fmt "\n", name, \
			##__VA_ARGS__);                                                     \
		return -EINVAL;                                                             \
	} while (0)

	if (cfg->mem == NULL)
		BAD("mem is NULL");
	if (cfg->size == 0 || cfg->size > VIO_VRING_SIZE_MAX ||
	    (!packed && !rte_is_power_of_2(cfg->size)))
		BAD("size %u: must be 1..%u%s", cfg->size, VIO_VRING_SIZE_MAX,
		    packed ? "" : " and a power of two");
	if (cfg->desc == NULL || (uintptr_t)cfg->desc % VIO_VRING_DESC_ALIGN != 0)
		BAD("desc %p: NULL or not %u-byte aligned", cfg->desc, VIO_VRING_DESC_ALIGN);
	if (cfg->driver_area == NULL ||
	    (uintptr_t)cfg->driver_area % (packed ? 4 : VIO_VRING_AVAIL_ALIGN) != 0)
		BAD("driver_area %p: NULL or misaligned", cfg->driver_area);
	if (cfg->device_area == NULL || (uintptr_t)cfg->device_area % VIO_VRING_USED_ALIGN != 0)
		BAD("device_area %p: NULL or misaligned", cfg->device_area);
	if (packed ? (cfg->base & 0x7fff) >= cfg->size : false)
		BAD("base 0x%x: slot beyond size %u", cfg->base, cfg->size);
	if ((uintptr_t)cfg->inflight % VIO_VQ_INFLIGHT_ALIGN != 0)
		BAD("inflight %p: not %u-byte aligned", cfg->inflight, VIO_VQ_INFLIGHT_ALIGN);
#undef BAD
	return 0;
}

struct vio_vq *
vio_vq_create(const struct vio_vq_config *cfg, int socket_id)
{
	const char *name = cfg != NULL && cfg->name != NULL ? cfg->name : "vq";
	struct vio_vq *vq;
	int ret;

	if (cfg == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	ret = config_check(cfg, name);
	if (ret == 0 && (cfg->offloads & ~(VIO_VQ_OFFLOAD_RX_CSUM | VIO_VQ_OFFLOAD_RX_LRO)) != 0) {
		rte_log(RTE_LOG_ERR, vio_engine_logtype, "vio_engine: %s: offloads 0x%x unknown\n",
			name, cfg->offloads);
		ret = -EINVAL;
	}
	if (ret < 0) {
		rte_errno = -ret;
		return NULL;
	}
	vq = rte_zmalloc_socket("vio_vq", sizeof(*vq), RTE_CACHE_LINE_SIZE, socket_id);
	if (vq == NULL)
		goto err_nomem;
	snprintf(vq->name, sizeof(vq->name), "%s", name);
	vq->mem = cfg->mem;
	vq->features = cfg->features;
	vq->hdr_len = vio_net_hdr_len(cfg->features);
	vq->size = cfg->size;
	vq->is_packed = cfg->features & VIO_BIT(VIO_F_RING_PACKED);
	vq->mrg_rxbuf = cfg->features & VIO_BIT(VIO_NET_F_MRG_RXBUF);
	vq->event_idx = cfg->features & VIO_BIT(VIO_F_RING_EVENT_IDX);
	vq->indirect = cfg->features & VIO_BIT(VIO_F_RING_INDIRECT_DESC);
	vq->guest_csum = cfg->features & VIO_BIT(VIO_NET_F_GUEST_CSUM);
	vq->guest_tso4 = cfg->features & VIO_BIT(VIO_NET_F_GUEST_TSO4);
	vq->guest_tso6 = cfg->features & VIO_BIT(VIO_NET_F_GUEST_TSO6);
	vq->host_tso4 = cfg->features & VIO_BIT(VIO_NET_F_HOST_TSO4);
	vq->host_tso6 = cfg->features & VIO_BIT(VIO_NET_F_HOST_TSO6);
	atomic_init(&vq->offloads, cfg->offloads);
	vq->callfd = cfg->callfd;
	vq->errfd = cfg->errfd;
	vq->log_ring_gpa = cfg->log_ring_gpa;
	vq->iotlb = cfg->iotlb;
	vq->missfd = cfg->iotlb != NULL ? cfg->missfd : -1;

	if (vq->is_packed) {
		vq->packed.desc = cfg->desc;
		vq->packed.driver_event = cfg->driver_area;
		vq->packed.device_event = cfg->device_area;
		vq->packed.size = cfg->size;
		vq->last_avail_idx = cfg->base & 0x7fff;
		vq->avail_wrap = (cfg->base >> 15) & 1;
		vq->last_used_idx = vq->last_avail_idx;
		vq->used_wrap = vq->avail_wrap;
		vq->signalled_pos = vio_packed_pos(vq->size, vq->last_used_idx, vq->used_wrap);
		vq->shadow_packed = rte_zmalloc_socket("vio_vq_shadow",
						       cfg->size * sizeof(*vq->shadow_packed),
						       RTE_CACHE_LINE_SIZE, socket_id);
		if (vq->shadow_packed == NULL)
			goto err_free_vq;
	} else {
		vq->split.desc = cfg->desc;
		vq->split.avail = cfg->driver_area;
		vq->split.used = cfg->device_area;
		vq->split.size = cfg->size;
		vq->split.mask = cfg->size - 1;
		vq->last_avail_idx = (uint16_t)cfg->base;
		/* Linux vhost does the same: resume the used index where the ring says. */
		vq->last_used_idx = vio_load_relaxed_u16(&vq->split.used->idx);
		vq->signalled_used = vq->last_used_idx;
		vq->shadow_split = rte_zmalloc_socket("vio_vq_shadow",
						      cfg->size * sizeof(*vq->shadow_split),
						      RTE_CACHE_LINE_SIZE, socket_id);
		if (vq->shadow_split == NULL)
			goto err_free_vq;
	}
	vq->copies = rte_zmalloc_socket("vio_vq_copies", VQ_BATCH_COPY_MAX * sizeof(*vq->copies),
					RTE_CACHE_LINE_SIZE, socket_id);
	if (vq->copies == NULL)
		goto err_free_shadow;
	if (cfg->inflight != NULL) {
		ret = vq_inflight_init(vq, cfg->inflight, cfg->base, socket_id);
		if (ret < 0) {
			vio_vq_free(vq);
			if (ret == -ENOMEM)
				goto err_nomem;
			rte_errno = -ret; /* the region is bad, and the log says why */
			return NULL;
		}
	}
	vio_vq_kick_enable(vq, false);
	return vq;

err_free_shadow:
	rte_free(vq->shadow_split);
	rte_free(vq->shadow_packed);
err_free_vq:
	rte_free(vq);
err_nomem:
	rte_log(RTE_LOG_ERR, vio_engine_logtype, "vio_engine: %s: out of memory\n", name);
	rte_errno = ENOMEM;
	return NULL;
}

void
vio_vq_free(struct vio_vq *vq)
{
	if (vq == NULL)
		return;
	vq_inflight_fini(vq);
	if (vq->gso_stash_nb != 0)
		rte_pktmbuf_free_bulk(&vq->gso_stash[vq->gso_stash_head], vq->gso_stash_nb);
	rte_free(vq->copies);
	rte_free(vq->shadow_split);
	rte_free(vq->shadow_packed);
	rte_free(vq);
}

int
vio_vq_offloads_set(struct vio_vq *vq, uint32_t offloads)
{
	if (vq == NULL || (offloads & ~(VIO_VQ_OFFLOAD_RX_CSUM | VIO_VQ_OFFLOAD_RX_LRO)) != 0)
		return -EINVAL;
	atomic_store_explicit(&vq->offloads, offloads, memory_order_relaxed);
	return 0;
}

void
vio_vq_kick_enable(struct vio_vq *vq, bool enable)
{
	if (vq->is_packed)
		vio_packed_dev_set_kick(&vq->packed, enable);
	else
		vio_split_dev_set_kick(&vq->split, vq->event_idx, enable, vq->last_avail_idx);
}

bool
vio_vq_is_broken(const struct vio_vq *vq)
{
	return atomic_load_explicit(&vq->broken, memory_order_acquire);
}

int
vio_vq_error(const struct vio_vq *vq, const char **field, uint64_t *value)
{
	if (!vio_vq_is_broken(vq))
		return -ENOENT;
	*field = vq->err_field;
	*value = vq->err_value;
	return 0;
}

__rte_cold void
vio_vq_break(struct vio_vq *vq, uint64_t *counter, const char *field, uint64_t value)
{
	(*counter)++;
	vq->err_field = field;
	vq->err_value = value;
	/* Pairs with the acquire in vio_vq_is_broken(): field and value first. */
	atomic_store_explicit(&vq->broken, true, memory_order_release);
	if (vq->errfd >= 0)
		eventfd_write(vq->errfd, 1);
}

void
vio_vq_iotlb_missed(struct vio_vq *vq)
{
	vq->missed = false;
	vq->stats.iotlb_misses++;
	/* Only this lcore leaves NONE: report the first miss, then wait for a retry. */
	if (atomic_load_explicit(&vq->miss_state, memory_order_relaxed) != VQ_MISS_NONE)
		return;
	vq->miss_iova = vq->missed_iova;
	vq->miss_access = vq->missed_access;
	/* Pairs with the acquire in vio_vq_iotlb_miss(): the IOVA before the state. */
	atomic_store_explicit(&vq->miss_state, VQ_MISS_PENDING, memory_order_release);
	if (vq->missfd >= 0)
		eventfd_write(vq->missfd, 1);
}

int
vio_vq_iotlb_miss(struct vio_vq *vq, uint64_t *iova, enum vio_mem_access *access)
{
	if (atomic_load_explicit(&vq->miss_state, memory_order_acquire) != VQ_MISS_PENDING)
		return 0;
	*iova = vq->miss_iova;
	*access = vq->miss_access;
	/* Only this thread moves PENDING on; the lcore waits for NONE. */
	atomic_store_explicit(&vq->miss_state, VQ_MISS_REPORTED, memory_order_relaxed);
	return 1;
}

void
vio_vq_iotlb_retry(struct vio_vq *vq)
{
	atomic_store_explicit(&vq->miss_state, VQ_MISS_NONE, memory_order_relaxed);
}

uint32_t
vio_vq_base(const struct vio_vq *vq)
{
	if (!vq->is_packed)
		return vq->last_avail_idx;
	return (uint32_t)vq->last_avail_idx | (uint32_t)vq->avail_wrap << 15 |
	       (uint32_t)vq->last_used_idx << 16 | (uint32_t)vq->used_wrap << 31;
}

void
vio_vq_ring_state_get(const struct vio_vq *vq, struct vio_vq_ring_state *st)
{
	/* Racy by design (monitoring): the lcore's own fields are read as they are. */
	*st = (struct vio_vq_ring_state){
		.size = vq->size,
		.packed = vq->is_packed,
		.last_avail_idx = vq->last_avail_idx,
	};
	if (vq->is_packed) {
		st->avail_wrap = vq->avail_wrap;
		st->last_used_idx = vq->last_used_idx;
		st->used_wrap = vq->used_wrap;
		return;
	}
	/* The shared indexes: relaxed, nothing is read through them. */
	st->avail_idx = vio_load_relaxed_u16(&vq->split.avail->idx);
	st->last_used_idx = vio_load_relaxed_u16(&vq->split.used->idx);
}

int
vio_vq_stats_get(const struct vio_vq *vq, struct vio_vq_stats *stats)
{
	if (vq == NULL || stats == NULL)
		return -EINVAL;
	*stats = vq->stats;
	return 0;
}

void
vio_vq_stats_reset(struct vio_vq *vq)
{
	memset(&vq->stats, 0, sizeof(vq->stats));
}

const char *
vio_vq_stat_name(unsigned int i)
{
	return i < RTE_DIM(stat_names) ? stat_names[i] : NULL;
}

const char *
vio_vq_stat_desc(unsigned int i)
{
	return i < RTE_DIM(stat_descs) ? stat_descs[i] : NULL;
}
