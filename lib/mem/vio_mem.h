/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_MEM_H
#define VIO_MEM_H

/**
 * @file
 * Guest memory: a table of regions that another process shares by fd.
 *
 * A memory table maps each region the frontend (a guest's VMM, or a process
 * acting as virtio driver) shares with vio: an fd, the offset of the region in
 * it, the region's guest physical address (GPA), the address the frontend
 * itself uses for it (uaddr), and its size. vio maps every region MAP_SHARED
 * and translates GPAs and uaddrs to host virtual addresses (HVA), always for a
 * whole range [addr, addr + len): a range that runs from one region into the
 * next adjacent one comes back in pieces, a range that touches a hole is
 * refused.
 *
 * The table also holds the dirty-page log of live migration: one bit per
 * 4 KiB guest page, set with an atomic OR for every guest page vio writes
 * while logging is on.
 *
 * Ownership and threads: a table is immutable once created; the control
 * thread builds a new one and swaps it in while the queues that use the old
 * one are quiescent. Translation is lock-free and may run on any lcore.
 * vio_mem_create() maps the fds but does not take ownership of them.
 */

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most regions a table holds (vhost-user CONFIGURE_MEM_SLOTS allows 509). */
#define VIO_MEM_MAX_REGIONS 509

/** Guest page size of the dirty log (vhost-user spec, "Live migration"). */
#define VIO_MEM_LOG_PAGE 4096

/** One region as the frontend describes it. */
struct vio_mem_region_desc {
	int fd;               /**< fd to map, e.g. a memfd or hugetlbfs file */
	uint64_t mmap_offset; /**< offset of the region in @c fd */
	uint64_t gpa;         /**< guest physical address of the first byte */
	uint64_t uaddr;       /**< the frontend's own address of the first byte */
	uint64_t size;        /**< bytes */
};

struct vio_mem;

/**
 * Map @p nb_regions regions and build a table.
 *
 * @param regions
 *   The regions; GPA ranges and uaddr ranges must not overlap.
 * @param nb_regions
 *   1 to VIO_MEM_MAX_REGIONS.
 * @return
 *   The table, or NULL with rte_errno set: EINVAL (count, a zero size, a range
 *   that overflows 64 bits, overlapping ranges, a negative fd), ENOMEM, or the
 *   errno of a failed mmap.
 *
 * Thread safety: may be called from any thread.
 */
struct vio_mem *vio_mem_create(const struct vio_mem_region_desc *regions, unsigned int nb_regions);

/**
 * Unmap every region (and the log) and free the table. NULL is a no-op.
 *
 * Thread safety: no queue may use @p mem any more.
 */
void vio_mem_free(struct vio_mem *mem);

/** Number of regions. Thread safety: any thread. */
unsigned int vio_mem_nb_regions(const struct vio_mem *mem);

/**
 * Translate a guest physical range to a host address.
 *
 * @param mem
 *   The table.
 * @param gpa
 *   First guest physical address.
 * @param len
 *   In: bytes wanted. Out: bytes contiguous at the returned address, at most
 *   the bytes wanted; less when the range goes on in another region.
 * @return
 *   The host address of @p gpa, or NULL when @p gpa is in no region.
 *
 * Thread safety: lock-free, any lcore.
 */
void *vio_mem_gpa_to_hva(const struct vio_mem *mem, uint64_t gpa, uint64_t *len);

/** Same as vio_mem_gpa_to_hva() for an address in the frontend's own space. */
void *vio_mem_uaddr_to_hva(const struct vio_mem *mem, uint64_t uaddr, uint64_t *len);

/**
 * The GPA of frontend address @p uaddr.
 *
 * @return 0, or -EFAULT when @p uaddr is in no region.
 */
int vio_mem_uaddr_to_gpa(const struct vio_mem *mem, uint64_t uaddr, uint64_t *gpa);

/**
 * Check that all of [@p gpa, @p gpa + @p len) is mapped, across adjacent
 * regions if need be.
 *
 * @return
 *   0, -EINVAL when the range overflows, -EFAULT when part of it is in no
 *   region.
 */
int vio_mem_gpa_range_check(const struct vio_mem *mem, uint64_t gpa, uint64_t len);

/**
 * Map a dirty log shared by fd and attach it to the table (logging stays off
 * until vio_mem_log_enable()).
 *
 * @return
 *   0, -EINVAL (size 0, fd < 0, or offset + size beyond the end of the file),
 *   or the negative errno of fstat or mmap.
 *
 * Thread safety: control thread, while no queue is logging.
 */
int vio_mem_log_map(struct vio_mem *mem, int fd, uint64_t offset, uint64_t size);

/**
 * Attach a dirty log that the caller mapped (@p base, @p size bytes), or
 * detach it with @p base NULL. The caller keeps ownership of the memory.
 *
 * @return 0 or -EINVAL.
 */
int vio_mem_log_attach(struct vio_mem *mem, void *base, uint64_t size);

/**
 * Switch logging on or off at run time.
 *
 * @return 0, or -ENODEV when turning it on with no log attached.
 *
 * Thread safety: any thread; lcores see the change at their next burst.
 */
int vio_mem_log_enable(struct vio_mem *mem, bool on);

/** Whether logging is on. Thread safety: any thread. */
bool vio_mem_log_enabled(const struct vio_mem *mem);

/**
 * Mark the guest pages of [@p gpa, @p gpa + @p len) dirty when logging is on.
 * Pages beyond the end of the log are counted in vio_mem_log_overflows().
 *
 * Thread safety: lock-free, any lcore.
 */
void vio_mem_log_write(struct vio_mem *mem, uint64_t gpa, uint64_t len);

/** Pages that could not be logged because they lie beyond the log. */
uint64_t vio_mem_log_overflows(const struct vio_mem *mem);

/** Access modes of a translation; an IOTLB entry must grant the mode asked for. */
enum vio_mem_access {
	VIO_MEM_ACCESS_RO = 1,
	VIO_MEM_ACCESS_WO = 2,
	VIO_MEM_ACCESS_RW = 3,
};

/*
 * The IOTLB cache (vIOMMU, VIRTIO_F_ACCESS_PLATFORM): IOVA ranges the
 * frontend translated, each resolved on arrival to host addresses through a
 * memory table. The data path looks IOVAs up with vio_iotlb_lookup()
 * (vio_mem_driver.h) in O(log n). It is a cache: when full, an entry is
 * dropped, and a later lookup misses and asks the frontend again.
 *
 * Thread safety: the functions below change the cache; they run on one
 * thread while no lcore looks anything up in it (the vhost layer quiesces
 * the queues around them).
 */

/** Most entries of an IOTLB cache (DPDK's vhost caches 2048 as well). */
#define VIO_IOTLB_MAX_ENTRIES 2048

struct vio_iotlb;

/**
 * An empty IOTLB of at most @p max_entries (1 to VIO_IOTLB_MAX_ENTRIES).
 *
 * @return The cache, or NULL with rte_errno EINVAL or ENOMEM.
 */
struct vio_iotlb *vio_iotlb_create(uint32_t max_entries);

/** Free the cache; NULL is a no-op. */
void vio_iotlb_free(struct vio_iotlb *tlb);

/**
 * Add the translation of IOVAs [@p iova, @p iova + @p size) to frontend
 * addresses from @p uaddr, with permission @p perm (enum vio_mem_access
 * bits); it replaces whatever the range held.
 *
 * @return 0; -EINVAL (size 0, a range that wraps, perm not 1 to 3);
 *   -EFAULT (part of the frontend range is in no region of @p mem);
 *   -E2BIG (the range crosses more than 16 regions).
 */
int vio_iotlb_update(struct vio_iotlb *tlb, const struct vio_mem *mem, uint64_t iova, uint64_t size,
		     uint64_t uaddr, uint32_t perm);

/** Forget every translation of IOVAs [@p iova, @p iova + @p size) (to the end if it wraps). */
void vio_iotlb_invalidate(struct vio_iotlb *tlb, uint64_t iova, uint64_t size);

/** Forget everything. */
void vio_iotlb_flush(struct vio_iotlb *tlb);

/**
 * Resolve every entry again against a new memory table (NULL: none); entries
 * whose frontend range is no longer inside one region are dropped.
 *
 * @return The number of entries dropped.
 */
unsigned int vio_iotlb_remap(struct vio_iotlb *tlb, const struct vio_mem *mem);

/** Number of entries. */
unsigned int vio_iotlb_nb_entries(const struct vio_iotlb *tlb);

/**
 * Translate all of [@p iova, @p iova + @p len) to one contiguous host range
 * (ring parts).
 *
 * @return 0 with *@p hva and the GPA of @p iova in *@p gpa; -EAGAIN when a
 *   part is missing (the first missing IOVA in *@p miss_iova); -EFAULT when
 *   the parts are not contiguous in host memory; -EINVAL when the range is
 *   empty or wraps.
 */
int vio_iotlb_xlate_range(const struct vio_iotlb *tlb, uint64_t iova, uint64_t len,
			  enum vio_mem_access access, void **hva, uint64_t *gpa,
			  uint64_t *miss_iova);

#ifdef __cplusplus
}
#endif

#endif /* VIO_MEM_H */
