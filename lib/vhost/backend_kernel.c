/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The "kernel" driver, frontend role: the device side of a port's rings is
 * Linux vhost-net, and what it moves leaves and enters through a TAP. The
 * rings stay in vio's memory; the kernel's vhost worker reads and writes them
 * through this process's address space, so the memory table is vio's own
 * addresses (gpa == uaddr) and the region fds are not needed.
 *
 * Per queue pair: one /dev/vhost-net fd (SET_OWNER, SET_FEATURES,
 * SET_MEM_TABLE, its two vrings: index 0 the receive queue, 1 the transmit
 * queue, as virtio-net numbers them) and one queue of a multi-queue TAP
 * (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE), attached to both
 * vrings with VHOST_NET_SET_BACKEND. A TAP of that name that exists already
 * (ip tuntap add ... multi_queue) is attached to; otherwise it is created and
 * goes away with the last fd. It is brought up either way.
 *
 * Features. vhost-net offers ring features and MRG_RXBUF, no offload: those
 * are the TAP's. With IFF_VNET_HDR the TAP takes whatever a net header asks
 * (CSUM, HOST_TSO4/6, HOST_ECN: the kernel finishes or segments them);
 * what it may hand to vio (GUEST_CSUM, GUEST_TSO4/6, GUEST_ECN) is offered
 * when TUNSETOFFLOAD accepts it, and set to exactly what was negotiated, so
 * that the TAP never sends a header vio did not agree to. MQ when more than
 * one pair was opened. Not offered: VHOST_NET_F_VIRTIO_NET_HDR (bit 27:
 * vhost-net would add the header itself; here the TAP does), ACCESS_PLATFORM
 * (no IOTLB in this driver), and VHOST_F_LOG_ALL: the frontend role has no
 * live migration of its own, so there is no dirty log to keep. vhost-net has
 * no packed rings and no IN_ORDER: the port falls back to split rings.
 *
 * Every failure is logged with the device or interface, the call and
 * strerror, undoes what was done, and returns the negative errno.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/vhost.h>

#include "backend_kernel.h"
#include "vhost_internal.h"

#define KERNEL_TUN_PATH "/dev/net/tun"
/* vhost's module parameter, and its default (drivers/vhost/vhost.c, since Linux 4.2). */
#define KERNEL_MAX_MEM_REGIONS_PATH    "/sys/module/vhost/parameters/max_mem_regions"
#define KERNEL_MAX_MEM_REGIONS_DEFAULT 64u

#define KERNEL_TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE)
/* What vhost-net offers that vio's frontend queues may use. */
#define KERNEL_VHOST_USED                                           \
	(VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_F_RING_EVENT_IDX) | \
	 VIO_BIT(VIO_F_RING_INDIRECT_DESC) | VIO_BIT(VIO_NET_F_MRG_RXBUF))
/* What the TAP takes from vio in a net header (IFF_VNET_HDR). */
#define KERNEL_TAP_TX                                                                            \
	(VIO_BIT(VIO_NET_F_CSUM) | VIO_BIT(VIO_NET_F_HOST_TSO4) | VIO_BIT(VIO_NET_F_HOST_TSO6) | \
	 VIO_BIT(VIO_NET_F_HOST_ECN))
/* What the TAP may hand to vio, each with its TUNSETOFFLOAD flag. */
static const struct {
	unsigned int feature;
	unsigned int tun;
} tap_rx_offloads[] = {
	{ VIO_NET_F_GUEST_CSUM, TUN_F_CSUM },
	{ VIO_NET_F_GUEST_TSO4, TUN_F_TSO4 },
	{ VIO_NET_F_GUEST_TSO6, TUN_F_TSO6 },
	{ VIO_NET_F_GUEST_ECN, TUN_F_TSO_ECN },
};

#define KERNEL_LOG(k, level, fmt, ...)                                         \
	VHOST_LOG(level, "kernel %s (%s, TAP %s): " fmt, (k)->name, (k)->path, \
		  (k)->tap[0] != '\0' ? (k)->tap : "-", ##__VA_ARGS__)

/* One queue pair: its vhost-net instance and its TAP queue. */
struct kernel_pair {
	int vhost_fd;
	int tap_fd;
	bool started[2];  /* vring_start done, vring_stop not yet */
	bool attached[2]; /* VHOST_NET_SET_BACKEND with tap_fd */
};

struct kernel_backend {
	uint64_t vhost_features; /* VHOST_GET_FEATURES */
	uint64_t offered;
	unsigned int max_regions;
	uint16_t nb_pairs;
	char name[64];
	char path[PATH_MAX];
	char tap[IFNAMSIZ];
	char tap_dev[IFNAMSIZ + 16]; /* "TAP <name>", for log lines */
	struct kernel_pair pair[VIO_VHOST_MAX_QUEUE_PAIRS];
};

static struct kernel_backend *
kernel(struct vio_backend *be)
{
	return be->priv;
}

/* ioctl(), and on failure a log line naming @p dev and the call; 0 or -errno. */
static int
kernel_ioctl(const struct kernel_backend *k, int fd, const char *dev, unsigned long req,
	     const char *req_name, void *arg)
{
	int ret;

	if (ioctl(fd, req, arg) == 0)
		return 0;
	ret = -errno;
	KERNEL_LOG(k, ERR, "%s: %s: %s", dev, req_name, strerror(-ret));
	return ret;
}
#define KIOCTL(k, fd, dev, req, arg) kernel_ioctl(k, fd, dev, req, #req, arg)

static int
kernel_get_features(struct vio_backend *be, uint64_t *features)
{
	*features = kernel(be)->offered;
	return 0;
}

static int
kernel_get_queue_num(struct vio_backend *be, uint16_t *nb)
{
	*nb = kernel(be)->nb_pairs;
	return 0;
}

/* TUNSETOFFLOAD flags for the GUEST_* offloads in @p features. */
static unsigned int
tun_offloads(uint64_t features)
{
	unsigned int i, flags = 0;

	for (i = 0; i < RTE_DIM(tap_rx_offloads); i++)
		if (features & VIO_BIT(tap_rx_offloads[i].feature))
			flags |= tap_rx_offloads[i].tun;
	return flags;
}

static int
kernel_set_features(struct vio_backend *be, uint64_t features)
{
	struct kernel_backend *k = kernel(be);
	/* vhost-net takes only the bits it knows: the offloads and MQ are the TAP's. */
	uint64_t vhost_bits = features & k->vhost_features;
	/* virtio 1.2, 5.1.6: the header has num_buffers with VERSION_1 or MRG_RXBUF. */
	int hdr_len = features & (VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_NET_F_MRG_RXBUF))
			      ? (int)sizeof(struct vio_net_hdr_mrg)
			      : (int)sizeof(struct vio_net_hdr);
	unsigned int tun = tun_offloads(features);
	uint16_t p;
	int ret;

	if (features & ~k->offered) {
		KERNEL_LOG(k, ERR, "features 0x%" PRIx64 " beyond the offer 0x%" PRIx64, features,
			   k->offered);
		return -EINVAL;
	}
	for (p = 0; p < k->nb_pairs; p++) {
		ret = KIOCTL(k, k->pair[p].vhost_fd, k->path, VHOST_SET_FEATURES, &vhost_bits);
		if (ret == 0)
			ret = KIOCTL(k, k->pair[p].tap_fd, k->tap_dev, TUNSETVNETHDRSZ, &hdr_len);
		if (ret < 0)
			return ret;
	}
	/* The TAP's offloads are the device's, not a queue's: once. */
	ret = ioctl(k->pair[0].tap_fd, TUNSETOFFLOAD, (unsigned long)tun) == 0 ? 0 : -errno;
	if (ret < 0) {
		KERNEL_LOG(k, ERR, "%s: TUNSETOFFLOAD 0x%x: %s", k->tap_dev, tun, strerror(-ret));
		return ret;
	}
	KERNEL_LOG(k, INFO,
		   "features 0x%" PRIx64 ": vhost-net 0x%" PRIx64
		   ", TAP net header %d bytes, TUNSETOFFLOAD 0x%x",
		   features, vhost_bits, hdr_len, tun);
	return 0;
}

static int
region_cmp(const void *a, const void *b)
{
	const struct vhost_memory_region *x = a, *y = b;

	return x->userspace_addr < y->userspace_addr ? -1 : x->userspace_addr > y->userspace_addr;
}

/*
 * Regions sorted by address and those that touch merged: vhost-net takes
 * max_mem_regions at most, and DPDK's memory is often many runs that follow
 * each other. Returns the count left.
 */
static unsigned int
regions_merge(struct vhost_memory_region *r, unsigned int n)
{
	unsigned int i, out = 0;

	qsort(r, n, sizeof(*r), region_cmp);
	for (i = 0; i < n; i++) {
		struct vhost_memory_region *last = out > 0 ? &r[out - 1] : NULL;

		if (last != NULL &&
		    last->userspace_addr + last->memory_size == r[i].userspace_addr &&
		    last->guest_phys_addr + last->memory_size == r[i].guest_phys_addr)
			last->memory_size += r[i].memory_size;
		else
			r[out++] = r[i];
	}
	return out;
}

static int
kernel_set_mem_table(struct vio_backend *be, const struct vio_mem_region_desc *regions,
		     unsigned int nb_regions)
{
	struct kernel_backend *k = kernel(be);
	struct vhost_memory *m;
	unsigned int i, n;
	uint16_t p;
	int ret = 0;

	/* Control path: the table is built once per start or memory change. */
	m = calloc(1, sizeof(*m) + (nb_regions + 1) * sizeof(m->regions[0]));
	if (m == NULL)
		return -ENOMEM;
	for (i = 0; i < nb_regions; i++)
		m->regions[i] = (struct vhost_memory_region){
			.guest_phys_addr = regions[i].gpa,
			.memory_size = regions[i].size,
			.userspace_addr = regions[i].uaddr,
		};
	n = regions_merge(m->regions, nb_regions);
	if (n > k->max_regions) {
		KERNEL_LOG(k, ERR,
			   "memory table of %u regions (%u after merging adjacent ones): over "
			   "vhost-net's limit of %u (%s)",
			   nb_regions, n, k->max_regions, KERNEL_MAX_MEM_REGIONS_PATH);
		free(m);
		return -E2BIG;
	}
	m->nregions = n;
	for (p = 0; p < k->nb_pairs && ret == 0; p++)
		ret = KIOCTL(k, k->pair[p].vhost_fd, k->path, VHOST_SET_MEM_TABLE, m);
	free(m);
	return ret;
}

static int
kernel_set_log_base(struct vio_backend *be, int fd, uint64_t offset, uint64_t size)
{
	RTE_SET_USED(offset);
	RTE_SET_USED(size);
	KERNEL_LOG(kernel(be), ERR, "no dirty log in the frontend role (LOG_ALL not offered)");
	close(fd);
	return -ENOTSUP;
}

/* Vring @p r of pair @p p given the TAP queue (@p attach) or taken from it. */
static int
vring_attach(struct kernel_backend *k, uint16_t p, unsigned int r, bool attach)
{
	struct kernel_pair *kp = &k->pair[p];
	struct vhost_vring_file f = { .index = r, .fd = attach ? kp->tap_fd : -1 };
	int ret;

	if (kp->attached[r] == attach)
		return 0;
	ret = KIOCTL(k, kp->vhost_fd, k->path, VHOST_NET_SET_BACKEND, &f);
	if (ret == 0)
		kp->attached[r] = attach;
	return ret;
}

/* Which pair and which of its two vrings vring @p idx is; -EINVAL if none. */
static int
vring_of(struct kernel_backend *k, uint16_t idx, uint16_t *p, unsigned int *r)
{
	*p = idx / 2;
	*r = idx % 2;
	if (*p < k->nb_pairs)
		return 0;
	KERNEL_LOG(k, ERR, "vring %u: only %u queue pair%s opened", idx, k->nb_pairs,
		   k->nb_pairs == 1 ? "" : "s");
	return -EINVAL;
}

/* One ioctl of a sequence, named for the log. */
struct kernel_step {
	unsigned long req;
	const char *name;
	void *arg;
};
#define KERNEL_STEP(req, arg)  \
	{                      \
		req, #req, arg \
	}

/* NUM, BASE, ADDR, the fds, then the TAP: vhost-net refuses NUM and BASE once attached. */
static int
kernel_vring_start(struct vio_backend *be, uint16_t idx, const struct vio_backend_vring_config *c)
{
	struct kernel_backend *k = kernel(be);
	unsigned int i, r = idx % 2;
	struct vhost_vring_state num = { .index = r, .num = c->size };
	struct vhost_vring_state base = { .index = r, .num = c->base };
	/* User addresses; no VHOST_VRING_F_LOG: there is no dirty log (see the top). */
	struct vhost_vring_addr addr = {
		.index = r,
		.desc_user_addr = c->desc_uaddr,
		.used_user_addr = c->used_uaddr,
		.avail_user_addr = c->avail_uaddr,
	};
	struct vhost_vring_file kick = { .index = r, .fd = c->kickfd };
	struct vhost_vring_file call = { .index = r, .fd = c->callfd };
	struct vhost_vring_file err = { .index = r, .fd = c->errfd };
	const struct kernel_step steps[] = {
		KERNEL_STEP(VHOST_SET_VRING_NUM, &num),   KERNEL_STEP(VHOST_SET_VRING_BASE, &base),
		KERNEL_STEP(VHOST_SET_VRING_ADDR, &addr), KERNEL_STEP(VHOST_SET_VRING_KICK, &kick),
		KERNEL_STEP(VHOST_SET_VRING_CALL, &call), KERNEL_STEP(VHOST_SET_VRING_ERR, &err),
	};
	uint16_t p;
	int ret;

	ret = vring_of(k, idx, &p, &r);
	if (ret < 0)
		return ret;
	if (c->kickfd < 0 || !c->addr_set) {
		KERNEL_LOG(k, ERR, "vring %u: vhost-net needs the ring's addresses and a kick fd",
			   idx);
		return -EINVAL;
	}
	ret = vring_attach(k, p, r, false); /* started again with a new config */
	if (ret == 0 && k->pair[p].started[r]) {
		/* It goes on from where it stands, not from the base it was first given. */
		struct vhost_vring_state now = { .index = r };

		ret = KIOCTL(k, k->pair[p].vhost_fd, k->path, VHOST_GET_VRING_BASE, &now);
		base.num = now.num;
	}
	k->pair[p].started[r] = false;
	for (i = 0; i < RTE_DIM(steps) && ret == 0; i++)
		ret = kernel_ioctl(k, k->pair[p].vhost_fd, k->path, steps[i].req, steps[i].name,
				   steps[i].arg);
	if (ret == 0)
		ret = vring_attach(k, p, r, true);
	if (ret < 0) {
		KERNEL_LOG(k, ERR, "vring %u (pair %u, %s) not started", idx, p, r ? "tx" : "rx");
		return ret;
	}
	k->pair[p].started[r] = true;
	return 0;
}

static int
kernel_vring_stop(struct vio_backend *be, uint16_t idx, uint32_t *base)
{
	struct kernel_backend *k = kernel(be);
	struct vhost_vring_state s;
	unsigned int r;
	uint16_t p;
	int ret;

	ret = vring_of(k, idx, &p, &r);
	if (ret == 0)
		ret = vring_attach(k, p, r, false);
	if (ret < 0)
		return ret;
	s = (struct vhost_vring_state){ .index = r };
	ret = KIOCTL(k, k->pair[p].vhost_fd, k->path, VHOST_GET_VRING_BASE, &s);
	if (ret < 0)
		return ret;
	k->pair[p].started[r] = false;
	*base = s.num;
	return 0;
}

/* Enabled: the TAP queue attached; disabled: detached (vhost-net stops serving the vring). */
static int
kernel_vring_enable(struct vio_backend *be, uint16_t idx, bool enable)
{
	struct kernel_backend *k = kernel(be);
	unsigned int r;
	uint16_t p;
	int ret;

	ret = vring_of(k, idx, &p, &r);
	if (ret < 0)
		return ret;
	if (enable && !k->pair[p].started[r]) {
		KERNEL_LOG(k, ERR, "vring %u enabled before it was started", idx);
		return -EINVAL;
	}
	return vring_attach(k, p, r, enable);
}

static void
fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Detach every vring and close every fd: the TAP goes (unless persistent), vhost-net too. */
static void
kernel_reset(struct vio_backend *be)
{
	struct kernel_backend *k = kernel(be);
	uint16_t p;

	if (k == NULL)
		return;
	for (p = 0; p < k->nb_pairs; p++) {
		struct kernel_pair *kp = &k->pair[p];

		if (kp->vhost_fd >= 0) {
			(void)vring_attach(k, p, 0, false);
			(void)vring_attach(k, p, 1, false);
		}
		fd_close(&kp->vhost_fd);
		fd_close(&kp->tap_fd);
		kp->started[0] = kp->started[1] = false;
	}
	k->nb_pairs = 0;
}

static void
kernel_destroy(struct vio_backend *be)
{
	kernel_reset(be);
	free(be->priv);
	be->priv = NULL;
}

static const struct vio_backend_ops kernel_ops = {
	.name = "kernel",
	.set_features = kernel_set_features,
	.set_mem_table = kernel_set_mem_table,
	.set_log_base = kernel_set_log_base,
	.vring_start = kernel_vring_start,
	.vring_stop = kernel_vring_stop,
	.vring_enable = kernel_vring_enable,
	.reset = kernel_reset,
	.destroy = kernel_destroy,
	.get_features = kernel_get_features,
	.get_queue_num = kernel_get_queue_num,
	/* is_alive NULL: vhost-net cannot go away while its fd is open. */
};

/* vhost's max_mem_regions now (a module parameter, writable at run time). */
static unsigned int
max_mem_regions(void)
{
	unsigned int v = KERNEL_MAX_MEM_REGIONS_DEFAULT;
	FILE *f = fopen(KERNEL_MAX_MEM_REGIONS_PATH, "re");

	if (f != NULL) {
		if (fscanf(f, "%u", &v) != 1 || v == 0)
			v = KERNEL_MAX_MEM_REGIONS_DEFAULT;
		fclose(f);
	}
	return v;
}

/* Pair @p p's vhost-net instance: open, SET_OWNER, GET_FEATURES. */
static int
vhost_open(struct kernel_backend *k, uint16_t p)
{
	uint64_t features = 0;
	int fd, ret;

	fd = open(k->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		KERNEL_LOG(k, ERR, "%s: open: %s", k->path, strerror(-ret));
		return ret;
	}
	k->pair[p].vhost_fd = fd;
	ret = KIOCTL(k, fd, k->path, VHOST_SET_OWNER, NULL);
	if (ret == 0)
		ret = KIOCTL(k, fd, k->path, VHOST_GET_FEATURES, &features);
	if (ret < 0) {
		if (ret == -ENOTTY)
			KERNEL_LOG(k, ERR, "%s: not a vhost-net device", k->path);
		return ret;
	}
	k->vhost_features = features;
	return 0;
}

/* Pair @p p's TAP queue: the first one creates the TAP (or attaches to it) and names it. */
static int
tap_open(struct kernel_backend *k, uint16_t p)
{
	struct ifreq ifr;
	unsigned int tun_features = 0;
	int fd, ret;

	fd = open(KERNEL_TUN_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		KERNEL_LOG(k, ERR, "%s: open: %s", KERNEL_TUN_PATH, strerror(-ret));
		return ret;
	}
	k->pair[p].tap_fd = fd;
	ret = KIOCTL(k, fd, KERNEL_TUN_PATH, TUNGETFEATURES, &tun_features);
	if (ret < 0)
		return ret;
	if ((tun_features & KERNEL_TAP_FLAGS) != KERNEL_TAP_FLAGS) {
		KERNEL_LOG(k, ERR,
			   "%s: TUNGETFEATURES 0x%x lacks 0x%x (multi-queue vnet-header TAP)",
			   KERNEL_TUN_PATH, tun_features, KERNEL_TAP_FLAGS & ~tun_features);
		return -ENOTSUP;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = KERNEL_TAP_FLAGS;
	memcpy(ifr.ifr_name, k->tap, sizeof(ifr.ifr_name));
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		ret = -errno;
		KERNEL_LOG(k, ERR, "iface=%s: TUNSETIFF: %s%s", k->tap[0] != '\0' ? k->tap : "",
			   strerror(-ret),
			   k->tap[0] != '\0' && if_nametoindex(k->tap) != 0 &&
					   (ret == -EINVAL || ret == -EBUSY)
				   ? ": an interface of that name exists and is not a multi-queue "
				     "vnet-header TAP"
				   : "");
		return ret;
	}
	memcpy(k->tap, ifr.ifr_name, sizeof(k->tap));
	k->tap[sizeof(k->tap) - 1] = '\0';
	snprintf(k->tap_dev, sizeof(k->tap_dev), "TAP %s", k->tap);
	return 0;
}

/* IFF_UP on the TAP. */
static int
tap_up(struct kernel_backend *k)
{
	struct ifreq ifr;
	int s, ret;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		ret = -errno;
		KERNEL_LOG(k, ERR, "%s: socket: %s", k->tap_dev, strerror(-ret));
		return ret;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, k->tap, sizeof(ifr.ifr_name));
	ret = KIOCTL(k, s, k->tap_dev, SIOCGIFFLAGS, &ifr);
	if (ret == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ret = KIOCTL(k, s, k->tap_dev, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return ret;
}

/* The GUEST_* offloads the TAP accepts (TUNSETOFFLOAD), then none until set_features. */
static uint64_t
tap_rx_features(struct kernel_backend *k)
{
	int fd = k->pair[0].tap_fd;
	uint64_t f = 0;
	unsigned int i;

	for (i = 0; i < RTE_DIM(tap_rx_offloads); i++) {
		uint64_t with = f | VIO_BIT(tap_rx_offloads[i].feature);

		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_offloads(with)) == 0)
			f = with;
	}
	(void)ioctl(fd, TUNSETOFFLOAD, 0ul);
	return f;
}

int
vhost_backend_kernel_open(struct vio_backend *be, const struct vio_backend_target *t)
{
	uint16_t nb = t->nb_queue_pairs != 0 ? t->nb_queue_pairs : 1;
	const char *name = t->name != NULL ? t->name : "port";
	struct kernel_backend *k;
	uint16_t p;
	int ret;

	if (t->path == NULL || t->path[0] == '\0' || strlen(t->path) >= PATH_MAX ||
	    nb > VIO_VHOST_MAX_QUEUE_PAIRS || (t->iface != NULL && strlen(t->iface) >= IFNAMSIZ)) {
		VHOST_LOG(ERR,
			  "kernel %s: a vhost-net path, 1 to %u queue pairs (not %u) and a TAP "
			  "name of at most %d bytes are needed",
			  name, VIO_VHOST_MAX_QUEUE_PAIRS, nb, IFNAMSIZ - 1);
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return -ENOMEM;
	snprintf(k->name, sizeof(k->name), "%s", name);
	snprintf(k->path, sizeof(k->path), "%s", t->path);
	if (t->iface != NULL)
		snprintf(k->tap, sizeof(k->tap), "%s", t->iface);
	for (p = 0; p < VIO_VHOST_MAX_QUEUE_PAIRS; p++)
		k->pair[p].vhost_fd = k->pair[p].tap_fd = -1;
	k->nb_pairs = nb; /* from here kernel_reset() closes what was opened */
	be->ops = &kernel_ops;
	be->priv = k;
	for (p = 0, ret = 0; p < nb && ret == 0; p++) {
		ret = vhost_open(k, p);
		if (ret == 0)
			ret = tap_open(k, p);
	}
	if (ret == 0)
		ret = tap_up(k);
	if (ret < 0) {
		kernel_destroy(be);
		be->ops = NULL;
		return ret;
	}
	k->max_regions = max_mem_regions();
	k->offered = (k->vhost_features & KERNEL_VHOST_USED) | KERNEL_TAP_TX | tap_rx_features(k);
	if (nb > 1)
		k->offered |= VIO_BIT(VIO_NET_F_MQ);
	KERNEL_LOG(k, INFO,
		   "vhost-net features 0x%" PRIx64 ", offered 0x%" PRIx64
		   ", %u queue pair%s, at most %u memory regions",
		   k->vhost_features, k->offered, nb, nb == 1 ? "" : "s", k->max_regions);
	return 0;
}
