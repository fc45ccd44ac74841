/* SPDX-License-Identifier: BSD-3-Clause */

/* A program built against the installed vio through pkg-config only. */

#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vio_engine.h>
#include <vio_mem.h>
#include <vio_virtio.h>

int
main(void)
{
	struct vio_mem_region_desc r = { .gpa = 0x1000, .uaddr = 0x7000, .size = 1 << 20 };
	struct vio_mem *mem;
	uint64_t len = 64;
	void *hva;

	r.fd = memfd_create("consumer", 0);
	if (r.fd < 0 || ftruncate(r.fd, 1 << 20) < 0)
		return 1;
	mem = vio_mem_create(&r, 1);
	if (mem == NULL)
		return 1;
	hva = vio_mem_gpa_to_hva(mem, 0x2000, &len);
	vio_mem_free(mem);
	close(r.fd);
	if (hva == NULL || len != 64)
		return 1;
	printf("%s, %u stats, first %s\n", vio_virtio_feature_name(VIO_NET_F_MRG_RXBUF),
	       (unsigned int)VIO_VQ_NB_STATS, vio_vq_stat_name(0));
	return 0;
}
