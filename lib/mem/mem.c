/* SPDX-License-Identifier: BSD-3-Clause */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "vio_mem.h"
#include "vio_mem_driver.h"

RTE_LOG_REGISTER(vio_mem_logtype, lib.vio.mem, INFO);
#define MEM_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, vio_mem_logtype, "vio_mem: " fmt "\n", ##__VA_ARGS__)

static int
range_cmp(const void *a, const void *b)
{
	const struct vio_mem_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort an index and refuse overlaps; @p what names the address space. */
static int
index_build(struct vio_mem_range *r, uint32_t nb, const char *what)
{
	uint32_t i;

	qsort(r, nb, sizeof(*r), range_cmp);
	for (i = 1; i < nb; i++) {
		if (r[i].start < r[i - 1].end) {
			MEM_LOG(ERR,
				"%s ranges overlap: [0x%" PRIx64 ", 0x%" PRIx64 ") and [0x%" PRIx64
				", 0x%" PRIx64 ")",
				what, r[i - 1].start, r[i - 1].end, r[i].start, r[i].end);
			return -EINVAL;
		}
	}
	return 0;
}

static int
region_check(const struct vio_mem_region_desc *d, unsigned int i, uint64_t *file_size,
	     uint64_t *align)
{
	struct stat st;

	if (d->fd < 0) {
		MEM_LOG(ERR, "region %u: fd %d is not a file descriptor", i, d->fd);
		return -EINVAL;
	}
	if (d->size == 0) {
		MEM_LOG(ERR, "region %u: size 0", i);
		return -EINVAL;
	}
	if (d->gpa + d->size < d->gpa || d->uaddr + d->size < d->uaddr ||
	    d->mmap_offset + d->size < d->mmap_offset) {
		MEM_LOG(ERR,
			"region %u: gpa 0x%" PRIx64 " uaddr 0x%" PRIx64 " offset 0x%" PRIx64
			" size 0x%" PRIx64 " overflows 64 bits",
			i, d->gpa, d->uaddr, d->mmap_offset, d->size);
		return -EINVAL;
	}
	if (fstat(d->fd, &st) < 0) {
		int err = errno;

		MEM_LOG(ERR, "region %u: fstat(fd %d): %s", i, d->fd, strerror(err));
		return -err;
	}
	/* Touching a mapping past the end of its file raises SIGBUS: refuse it here. */
	if ((uint64_t)st.st_size < d->mmap_offset + d->size) {
		MEM_LOG(ERR,
			"region %u: mmap_offset 0x%" PRIx64 " + size 0x%" PRIx64
			" runs past the end of fd %d (0x%" PRIx64 " bytes)",
			i, d->mmap_offset, d->size, d->fd, (uint64_t)st.st_size);
		return -EINVAL;
	}
	*file_size = (uint64_t)st.st_size;
	/* hugetlbfs reports its page size as the block size; mappings must be multiples of it. */
	*align = st.st_blksize > 0 ? (uint64_t)st.st_blksize : (uint64_t)getpagesize();
	return 0;
}

struct vio_mem *
vio_mem_create(const struct vio_mem_region_desc *regions, unsigned int nb_regions)
{
	struct vio_mem *mem;
	unsigned int i;
	int ret;

	if (regions == NULL || nb_regions == 0 || nb_regions > VIO_MEM_MAX_REGIONS) {
		MEM_LOG(ERR, "regions %p, nb_regions %u: need a table of 1..%u",
			(const void *)regions, nb_regions, VIO_MEM_MAX_REGIONS);
		rte_errno = EINVAL;
		return NULL;
	}
	mem = calloc(1, sizeof(*mem) + nb_regions * sizeof(mem->maps[0]));
	if (mem == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	mem->by_gpa = calloc(nb_regions, sizeof(*mem->by_gpa));
	mem->by_uaddr = calloc(nb_regions, sizeof(*mem->by_uaddr));
	if (mem->by_gpa == NULL || mem->by_uaddr == NULL) {
		ret = -ENOMEM;
		goto err_free;
	}

	for (i = 0; i < nb_regions; i++) {
		const struct vio_mem_region_desc *d = &regions[i];
		uint64_t file_size = 0, align = 0, len, map_off;
		void *addr;

		ret = region_check(d, i, &file_size, &align);
		if (ret < 0)
			goto err_unmap;
		/* Map from the offset rounded down to the fd's page size: any offset works. */
		map_off = RTE_ALIGN_FLOOR(d->mmap_offset, align);
		len = RTE_ALIGN_CEIL(d->mmap_offset + d->size, align) - map_off;
		if (map_off + len > file_size && file_size % align == 0)
			len = file_size - map_off;
		addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, (off_t)map_off);
		if (addr == MAP_FAILED) {
			ret = -errno;
			MEM_LOG(ERR, "region %u: mmap of 0x%" PRIx64 " bytes of fd %d: %s", i, len,
				d->fd, strerror(-ret));
			goto err_unmap;
		}
		mem->maps[i].addr = addr;
		mem->maps[i].len = len;
		mem->nb_regions = i + 1;
		mem->by_gpa[i].start = d->gpa;
		mem->by_gpa[i].end = d->gpa + d->size;
		mem->by_gpa[i].hva = (uintptr_t)addr + (d->mmap_offset - map_off);
		mem->by_gpa[i].other = d->uaddr;
		mem->by_uaddr[i].start = d->uaddr;
		mem->by_uaddr[i].end = d->uaddr + d->size;
		mem->by_uaddr[i].hva = (uintptr_t)addr + (d->mmap_offset - map_off);
		mem->by_uaddr[i].other = d->gpa;
	}
	ret = index_build(mem->by_gpa, nb_regions, "guest physical");
	if (ret == 0)
		ret = index_build(mem->by_uaddr, nb_regions, "frontend virtual");
	if (ret < 0)
		goto err_unmap;
	return mem;

err_unmap:
	for (i = 0; i < mem->nb_regions; i++)
		munmap(mem->maps[i].addr, mem->maps[i].len);
err_free:
	free(mem->by_gpa);
	free(mem->by_uaddr);
	free(mem);
	rte_errno = -ret;
	return NULL;
}

void
vio_mem_free(struct vio_mem *mem)
{
	uint32_t i;

	if (mem == NULL)
		return;
	for (i = 0; i < mem->nb_regions; i++)
		munmap(mem->maps[i].addr, mem->maps[i].len);
	if (mem->log_map != NULL)
		munmap(mem->log_map, mem->log_map_len);
	free(mem->by_gpa);
	free(mem->by_uaddr);
	free(mem);
}

unsigned int
vio_mem_nb_regions(const struct vio_mem *mem)
{
	return mem->nb_regions;
}

void *
vio_mem_gpa_to_hva(const struct vio_mem *mem, uint64_t gpa, uint64_t *len)
{
	return vio_mem_range_lookup(mem->by_gpa, mem->nb_regions, gpa, len);
}

void *
vio_mem_uaddr_to_hva(const struct vio_mem *mem, uint64_t uaddr, uint64_t *len)
{
	return vio_mem_range_lookup(mem->by_uaddr, mem->nb_regions, uaddr, len);
}

int
vio_mem_uaddr_to_gpa(const struct vio_mem *mem, uint64_t uaddr, uint64_t *gpa)
{
	const struct vio_mem_range *r = mem->by_uaddr;
	uint32_t i;

	/* Control path only (ring set-up): a scan is fine. */
	for (i = 0; i < mem->nb_regions; i++) {
		if (uaddr >= r[i].start && uaddr < r[i].end) {
			*gpa = r[i].other + (uaddr - r[i].start);
			return 0;
		}
	}
	return -EFAULT;
}

int
vio_mem_gpa_range_check(const struct vio_mem *mem, uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa)
		return -EINVAL;
	while (len > 0) {
		uint64_t piece = len;

		if (vio_mem_gpa_to_hva(mem, gpa, &piece) == NULL)
			return -EFAULT;
		gpa += piece;
		len -= piece;
	}
	return 0;
}

int
vio_mem_log_attach(struct vio_mem *mem, void *base, uint64_t size)
{
	if (base != NULL && size == 0)
		return -EINVAL;
	atomic_store(&mem->log_on, 0);
	if (mem->log_map != NULL) {
		munmap(mem->log_map, mem->log_map_len);
		mem->log_map = NULL;
		mem->log_map_len = 0;
	}
	mem->log_base = base;
	mem->log_size = base != NULL ? size : 0;
	return 0;
}

int
vio_mem_log_map(struct vio_mem *mem, int fd, uint64_t offset, uint64_t size)
{
	struct stat st;
	uint64_t len;
	void *addr;
	int ret;

	if (fd < 0 || size == 0 || offset + size < offset) {
		MEM_LOG(ERR, "log: fd %d offset 0x%" PRIx64 " size 0x%" PRIx64 " invalid", fd,
			offset, size);
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	/* Touching the log past the end of its file would raise SIGBUS: refuse it here. */
	if ((uint64_t)st.st_size < offset + size) {
		MEM_LOG(ERR,
			"log: offset 0x%" PRIx64 " + size 0x%" PRIx64
			" runs past the end of fd %d (0x%" PRIx64 " bytes)",
			offset, size, fd, (uint64_t)st.st_size);
		return -EINVAL;
	}
	len = offset + size;
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		ret = -errno;
		MEM_LOG(ERR, "log: mmap of 0x%" PRIx64 " bytes of fd %d: %s", len, fd,
			strerror(-ret));
		return ret;
	}
	vio_mem_log_attach(mem, (uint8_t *)addr + offset, size);
	mem->log_map = addr;
	mem->log_map_len = len;
	return 0;
}

int
vio_mem_log_enable(struct vio_mem *mem, bool on)
{
	if (on && mem->log_base == NULL)
		return -ENODEV;
	atomic_store(&mem->log_on, on ? 1 : 0);
	return 0;
}

bool
vio_mem_log_enabled(const struct vio_mem *mem)
{
	return atomic_load(&mem->log_on) != 0;
}

void
vio_mem_log_write(struct vio_mem *mem, uint64_t gpa, uint64_t len)
{
	uint64_t page, last;

	if (len == 0 || atomic_load_explicit(&mem->log_on, memory_order_relaxed) == 0)
		return;
	page = gpa / VIO_MEM_LOG_PAGE;
	last = (gpa + len - 1) / VIO_MEM_LOG_PAGE;
	if (gpa + len - 1 < gpa)
		last = UINT64_MAX / VIO_MEM_LOG_PAGE;
	for (; page <= last; page++) {
		uint64_t byte = page / 8;

		if (unlikely(byte >= mem->log_size)) {
			atomic_fetch_add_explicit(&mem->log_overflows, last - page + 1,
						  memory_order_relaxed);
			return;
		}
		/* The log is shared with the frontend, which reads it concurrently. */
		atomic_fetch_or_explicit((_Atomic uint8_t *)&mem->log_base[byte],
					 (uint8_t)(1u << (page % 8)), memory_order_relaxed);
	}
}

uint64_t
vio_mem_log_overflows(const struct vio_mem *mem)
{
	return atomic_load(&mem->log_overflows);
}
