/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The kernel driver (vhost-net and a TAP) through the driver table, as a
 * frontend port opens it (vio_backend_open). Everywhere: a path that does
 * not exist and a character device that is not vhost-net (/dev/null) are
 * refused with the errno, a log line that names the device and the call, and
 * no fd left open. Where /dev/vhost-net exists (the guest suite runs this
 * program in a Linux guest; skipped elsewhere): a name that exists and is not
 * a TAP (lo), a whole open with 2 queue pairs (the offer, the TAP created, up
 * and gone again at destroy), and the memory table: adjacent regions merged
 * under vhost-net's limit, and max_mem_regions + 1 apart refused with the
 * count and the limit. And the backend role's set-up (vio_vhost_set_driver):
 * its refusals, and a socket whose device is missing closing each
 * connection with the device named, no fd kept.
 */

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "vio_test.h"
#include "vio_vhost.h"
#include "vio_vhost_driver.h"
#include "vio_vhost_frontend.h"
#include "vio_virtio.h"

#define VHOST_NET "/dev/vhost-net"

/* Open the kernel driver at @p path; expect @p err, the log to say @p log, no fd kept. */
static int
refused(const char *path, const char *iface, int err, const char *log1, const char *log2)
{
	const struct vio_backend_target t = {
		.name = "test",
		.path = path,
		.iface = iface,
		.nb_queue_pairs = 2,
	};
	struct vio_backend be;
	int fds = vio_test_fd_count();
	size_t mark = vio_test_log_mark();

	T_EQ(vio_backend_open("kernel", &t, &be), -err);
	T_EQ(vio_test_fd_count(), fds);
	T_ASSERT(vio_test_log_has(mark, log1), "log lacks '%s'", log1);
	T_ASSERT(vio_test_log_has(mark, log2), "log lacks '%s'", log2);
	return 0;
}

static int
test_backend_kernel_refuses_missing_path(void)
{
	return refused("/nonexistent/vhost-net", NULL, ENOENT, "/nonexistent/vhost-net: open",
		       strerror(ENOENT));
}

static int
test_backend_kernel_refuses_non_vhost_device(void)
{
	return refused("/dev/null", NULL, ENOTTY, "/dev/null: VHOST_SET_OWNER",
		       "not a vhost-net device");
}

static bool
have_vhost_net(void)
{
	return access(VHOST_NET, R_OK | W_OK) == 0 && access("/dev/net/tun", R_OK | W_OK) == 0;
}

static int
test_backend_kernel_refuses_iface_not_tap(void)
{
	if (!have_vhost_net())
		return VIO_TEST_SKIP;
	return refused(VHOST_NET, "lo", EINVAL, "iface=lo: TUNSETIFF",
		       "exists and is not a multi-queue vnet-header TAP");
}

static bool
iface_up(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (s < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ret = ioctl(s, SIOCGIFFLAGS, &ifr);
	close(s);
	return ret == 0 && (ifr.ifr_flags & IFF_UP);
}

/* Open with 2 pairs, check the offer, then @p fn on the instance, then destroy. */
static int
with_open(int (*fn)(struct vio_backend *be))
{
	const struct vio_backend_target t = {
		.name = "test",
		.path = VHOST_NET,
		.iface = "viotest0",
		.nb_queue_pairs = 2,
	};
	const uint64_t must = VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_NET_F_MQ) |
			      VIO_BIT(VIO_NET_F_CSUM) | VIO_BIT(VIO_NET_F_GUEST_CSUM) |
			      VIO_BIT(VIO_NET_F_HOST_TSO4) | VIO_BIT(VIO_NET_F_MRG_RXBUF);
	const uint64_t never = VIO_BIT(VIO_F_ANY_LAYOUT) | VIO_BIT(VIO_F_ACCESS_PLATFORM) |
			       VIO_BIT(VIO_F_RING_PACKED) | (1ull << 26 /* VHOST_F_LOG_ALL */);
	struct vio_backend be;
	uint64_t offer = 0;
	uint16_t nb = 0;
	int fds = vio_test_fd_count(), ret;

	if (!have_vhost_net())
		return VIO_TEST_SKIP;
	T_EQ(vio_backend_open("kernel", &t, &be), 0);
	T_EQ(be.ops->get_features(&be, &offer), 0);
	T_EQ(be.ops->get_queue_num(&be, &nb), 0);
	T_EQ(nb, 2);
	T_ASSERT((offer & must) == must, "offer 0x%llx lacks 0x%llx", (unsigned long long)offer,
		 (unsigned long long)(must & ~offer));
	T_ASSERT((offer & never) == 0, "offer 0x%llx has 0x%llx", (unsigned long long)offer,
		 (unsigned long long)(offer & never));
	T_ASSERT(if_nametoindex("viotest0") != 0, "no TAP viotest0");
	T_ASSERT(iface_up("viotest0"), "viotest0 is not up");
	ret = be.ops->set_features(&be, offer & ~VIO_BIT(VIO_NET_F_GUEST_TSO4));
	if (ret == 0)
		ret = fn(&be);
	be.ops->destroy(&be);
	T_EQ(ret, 0);
	T_ASSERT(if_nametoindex("viotest0") == 0, "TAP viotest0 still there after destroy");
	T_EQ(vio_test_fd_count(), fds);
	return 0;
}

static int
nothing(struct vio_backend *be)
{
	RTE_SET_USED(be);
	return 0;
}

static int
test_backend_kernel_opens_two_pairs(void)
{
	return with_open(nothing);
}

static unsigned int
sys_max_regions(void)
{
	unsigned int v = 64;
	FILE *f = fopen("/sys/module/vhost/parameters/max_mem_regions", "r");

	if (f != NULL) {
		if (fscanf(f, "%u", &v) != 1)
			v = 64;
		fclose(f);
	}
	return v;
}

/* @p n regions of one page each, every @p stride pages of a mapping, the last first. */
static int
mem_table(struct vio_backend *be, unsigned int n, unsigned int stride)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)page * n * stride;
	struct vio_mem_region_desc *r = calloc(n, sizeof(*r));
	uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int i;
	int ret = -ENOMEM;

	if (r != NULL && m != MAP_FAILED) {
		for (i = 0; i < n; i++) {
			uint64_t va =
				(uint64_t)(uintptr_t)(m + (size_t)page * stride * (n - 1 - i));

			r[i] = (struct vio_mem_region_desc){
				.fd = -1, .gpa = va, .uaddr = va, .size = (uint64_t)page
			};
		}
		ret = be->ops->set_mem_table(be, r, n);
	}
	if (m != MAP_FAILED)
		munmap(m, len);
	free(r);
	return ret;
}

static int
mem_tables(struct vio_backend *be)
{
	unsigned int max = sys_max_regions();
	size_t mark;

	/* Adjacent, given in reverse order: one region after merging. */
	T_EQ(mem_table(be, max + 1, 1), 0);
	mark = vio_test_log_mark();
	T_EQ(mem_table(be, max + 1, 2), -E2BIG);
	T_ASSERT(vio_test_log_has(mark, "over vhost-net's limit of"), "no log line of the limit");
	T_ASSERT(vio_test_log_has(mark, "regions ("), "no log line of the count");
	return 0;
}

static int
test_backend_kernel_merges_mem_regions_to_the_limit(void)
{
	return with_open(mem_tables);
}

/*
 * The backend role (vio_vhost_set_driver, backend_handoff.c): the driver and
 * its device named on the socket, refused where they cannot be.
 */
static int
test_backend_kernel_handoff_set_driver_refusals(void)
{
	static const char sock[] = "/tmp/vio-test-handoff-args.sock";
	size_t m;

	T_EQ(vio_vhost_set_driver(sock, "kernel", VHOST_NET, NULL), -ENOENT);
	T_EQ(vio_vhost_register(sock, 0), 0);
	m = vio_test_log_mark();
	T_EQ(vio_vhost_set_driver(sock, "remote", VHOST_NET, NULL), -EINVAL);
	T_ASSERT(vio_test_log_has(m, "driver \"remote\" has no backend role"), "no log line");
	m = vio_test_log_mark();
	T_EQ(vio_vhost_set_driver(sock, "vdpa", NULL, NULL), -EINVAL);
	T_ASSERT(vio_test_log_has(m, "driver vdpa needs a vhost device"), "no log line");
	m = vio_test_log_mark();
	T_EQ(vio_vhost_set_driver(sock, "vdpa", "/dev/vhost-vdpa-0", "tap0"), -EINVAL);
	T_ASSERT(vio_test_log_has(m, "iface tap0: only driver kernel has an interface"),
		 "no log line");
	T_EQ(vio_vhost_set_driver(sock, "kernel", VHOST_NET, "sixteen-bytes-xx"), -EINVAL);
	T_EQ(vio_vhost_set_driver(sock, "kernel", VHOST_NET, "vio-h0"), 0);
	T_EQ(vio_vhost_set_driver(sock, "local", NULL, NULL), 0);
	T_EQ(vio_vhost_start(sock), 0);
	T_EQ(vio_vhost_set_driver(sock, "kernel", VHOST_NET, NULL), -EBUSY);
	T_EQ(vio_vhost_unregister(sock), 0);
	return 0;
}

/*
 * A socket whose device cannot be opened: each frontend's connection is
 * closed at once, the log names the device and the call, no fd stays, and
 * the socket goes on serving (a second frontend is refused the same way).
 */
static int
test_backend_kernel_handoff_refuses_connection_without_device(void)
{
	static const char sock[] = "/tmp/vio-test-handoff.sock";
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 2000,
						      .reply_timeout_ms = 2000 };
	struct vio_vhost_frontend *fe;
	uint64_t features;
	int round, fds;
	size_t m;

	T_EQ(vio_vhost_register(sock, 0), 0);
	T_EQ(vio_vhost_set_driver(sock, "kernel", "/dev/vhost-none", NULL), 0);
	T_EQ(vio_vhost_start(sock), 0);
	fds = vio_test_fd_count();
	for (round = 0; round < 2; round++) {
		m = vio_test_log_mark();
		fe = vio_vhost_frontend_connect(sock, &fc);
		T_ASSERT(fe != NULL, "round %d: no connection: %s", round, strerror(rte_errno));
		T_ASSERT(vio_vhost_frontend_get_features(fe, &features) < 0,
			 "round %d: features 0x%" PRIx64 " from a device that is not there", round,
			 features);
		vio_vhost_frontend_close(fe);
		T_EQ(vio_test_fd_count_settled(fds), fds);
		T_ASSERT(vio_test_log_has(m, "/dev/vhost-none: open: No such file or directory"),
			 "round %d: the call is not named", round);
		T_ASSERT(vio_test_log_has(m,
					  "driver kernel: /dev/vhost-none: cannot open the device"),
			 "round %d: the device is not named", round);
	}
	T_EQ(vio_vhost_unregister(sock), 0);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_backend_kernel_refuses_missing_path),
	VIO_TEST(test_backend_kernel_refuses_non_vhost_device),
	VIO_TEST(test_backend_kernel_refuses_iface_not_tap),
	VIO_TEST(test_backend_kernel_opens_two_pairs),
	VIO_TEST(test_backend_kernel_merges_mem_regions_to_the_limit),
	VIO_TEST(test_backend_kernel_handoff_set_driver_refusals),
	VIO_TEST(test_backend_kernel_handoff_refuses_connection_without_device),
};

int
main(int argc, char **argv)
{
	if (vio_test_log_capture() < 0)
		return 1;
	/* The backend role's cases run vio's control thread, on DPDK memory. */
	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	return vio_test_run_logged(argc, argv, cases, RTE_DIM(cases));
}
