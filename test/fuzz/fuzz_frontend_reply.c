/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The frontend role's checks of what a backend sends (lib/vhost/
 * vhost_frontend*.c): the replies to its requests (the codec's reading of
 * them, request, flags, size and fd count, then each request's own checks of
 * counts, indices, config ranges, inflight areas and device state results)
 * and the requests of the backend request channel (IOTLB misses and access
 * failures, config changes, host notifiers). The backend is the harness: a
 * socket pair whose far end holds the fuzzed bytes (with fds) before the
 * frontend asks anything, and is then shut for writing, so that every wait
 * ends at once, at the bytes or at the end of the stream.
 *
 * An input is
 *   u8 protocol features (bit i: the i-th of proto_bits below),
 *   u8 flags (bit 0 VIRTIO_F_ACCESS_PLATFORM, bit 1 a backend request channel,
 *             bit 2 a memory table of two regions known to the frontend),
 *   u8 calls N, then N pairs (u8 call, u8 argument): the API calls made;
 *   then records to the end: u8 where (bit 0: the request channel, bits
 *   4-7: memfds sent with it, at most 3), u16 length, the bytes.
 *
 * Checked besides memory safety: a call that fails on a bad reply leaves
 * the connection broken and every later call returns -ENOTCONN; fds handed
 * to the caller are valid; after the close no fd and no memory is left.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "vio_test.h"
#include "vhost_frontend_internal.h"
#include "vio_virtio.h"

#define CALLS_MAX   32
#define RECORDS_MAX 64
#define MEMFD_SIZE  (64u << 10)

static const unsigned int proto_bits[8] = {
	VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK,      VIO_VHOST_USER_PROTOCOL_F_MQ,
	VIO_VHOST_USER_PROTOCOL_F_CONFIG,         VIO_VHOST_USER_PROTOCOL_F_BACKEND_REQ,
	VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD, VIO_VHOST_USER_PROTOCOL_F_DEVICE_STATE,
	VIO_VHOST_USER_PROTOCOL_F_STATUS,         VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_log_init();
	return 0;
}

/* Write one record to @p sock with @p nb memfds. */
static void
record_send(int sock, const uint8_t *p, size_t len, unsigned int nb)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)p, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[3];
	unsigned int i;

	if (len == 0)
		return;
	for (i = 0; i < nb; i++)
		FUZZ_CHECK((fds[i] = fuzz_memfd(MEMFD_SIZE)) >= 0, "memfd");
	if (nb > 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(nb * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nb * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nb * sizeof(int));
	}
	/* The socket buffer holds any input (the records are at most 64 KiB together). */
	FUZZ_CHECK(sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len, "sendmsg");
	for (i = 0; i < nb; i++)
		close(fds[i]);
}

static void
fd_give_back(int fd)
{
	if (fd < 0)
		return;
	FUZZ_CHECK(fcntl(fd, F_GETFD) >= 0, "fd %d handed over is not open", fd);
	close(fd);
}

/* One API call; returns what it returned. */
static int
call(struct vio_vhost_frontend *fe, uint8_t which, uint8_t arg, int memfd)
{
	struct vio_vhost_frontend_region r[2] = {
		{ .size = MEMFD_SIZE, .uaddr = 0x7f0000000000 + arg * 4096ull, .fd = memfd },
		{ .gpa = MEMFD_SIZE, .size = MEMFD_SIZE, .uaddr = 0x7f0000800000, .fd = memfd },
	};
	struct vio_vhost_frontend_inflight inf = { .fd = -1 };
	uint8_t buf[256];
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;
	int ret, fd;

	switch (which % 26) {
	case 0:
		return vio_vhost_frontend_get_features(fe, &u64);
	case 1:
		return vio_vhost_frontend_set_features(fe, VIO_BIT(VIO_F_VERSION_1) |
								   (uint64_t)arg << 24);
	case 2:
		return vio_vhost_frontend_get_protocol_features(fe, &u64);
	case 3:
		return vio_vhost_frontend_set_protocol_features(fe, fe->protocol_offered & arg);
	case 4:
		return vio_vhost_frontend_set_owner(fe);
	case 5:
		return vio_vhost_frontend_reset(fe);
	case 6:
		return vio_vhost_frontend_get_queue_num(fe, &u16);
	case 7:
		return vio_vhost_frontend_get_max_mem_slots(fe, &u32);
	case 8:
		return vio_vhost_frontend_set_mem_table(fe, r, 1 + (arg & 1));
	case 9:
		return vio_vhost_frontend_add_mem_region(fe, &r[0]);
	case 10:
		return vio_vhost_frontend_rem_mem_region(fe, &r[0]);
	case 11:
		return vio_vhost_frontend_set_vring_num(fe, arg & 3, 256);
	case 12:
		return vio_vhost_frontend_set_vring_base(fe, arg & 3, arg);
	case 13:
		ret = vio_vhost_frontend_get_vring_base(fe, arg & 7, &u32);
		return ret;
	case 14:
		return vio_vhost_frontend_set_vring_addr(fe, arg & 3, 0x1000, 0x2000, 0x3000,
							 arg & 4, 0);
	case 15:
	case 16:
	case 17:
		fd = eventfd(0, EFD_CLOEXEC);
		FUZZ_CHECK(fd >= 0, "eventfd");
		ret = which % 26 == 15   ? vio_vhost_frontend_set_vring_kick(fe, arg & 3, fd)
		      : which % 26 == 16 ? vio_vhost_frontend_set_vring_call(fe, arg & 3, fd)
					 : vio_vhost_frontend_set_vring_err(fe, arg & 3, fd);
		close(fd);
		return ret;
	case 18:
		return vio_vhost_frontend_set_vring_enable(fe, arg & 3, arg & 4);
	case 19:
		return vio_vhost_frontend_get_config(fe, arg & 15, buf, (arg >> 4) + 1u);
	case 20:
		memset(buf, arg, sizeof(buf));
		return vio_vhost_frontend_set_config(fe, arg & 7, buf, (arg >> 5) + 1u);
	case 21:
		return vio_vhost_frontend_set_status(fe, arg)
			       ?: vio_vhost_frontend_get_status(fe, &u8);
	case 22:
		ret = vio_vhost_frontend_get_inflight_fd(fe, (arg & 3) + 1, 256, &inf);
		if (ret == 0)
			FUZZ_CHECK(inf.fd >= 0 && inf.mmap_size > 0, "inflight fd %d size %lu",
				   inf.fd, (unsigned long)inf.mmap_size);
		if (ret == 0 && (arg & 4))
			ret = vio_vhost_frontend_set_inflight_fd(fe, &inf);
		fd_give_back(inf.fd);
		return ret;
	case 23:
		ret = vio_vhost_frontend_set_device_state_fd(
			fe, arg & 1 ? VIO_VHOST_FRONTEND_STATE_LOAD : VIO_VHOST_FRONTEND_STATE_SAVE,
			&fd);
		FUZZ_CHECK(ret == 0 ? fd >= 0 : fd == -1, "state fd %d after %d", fd, ret);
		fd_give_back(fd);
		return ret;
	case 24:
		return vio_vhost_frontend_check_device_state(fe);
	default:
		return vio_vhost_frontend_handle_backend_req(fe);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vio_vhost_frontend *fe;
	uint8_t calls[CALLS_MAX][2], proto, flags;
	int main_sv[2], req_sv[2] = { -1, -1 }, memfd, nb_fds_open = vio_test_fd_count();
	unsigned int nb_calls, i;

	if (size > (60u << 10))
		return -1;
	proto = fuzz_u8(&in);
	flags = fuzz_u8(&in);
	nb_calls = fuzz_u8(&in) % (CALLS_MAX + 1);
	for (i = 0; i < nb_calls; i++) {
		calls[i][0] = fuzz_u8(&in);
		calls[i][1] = fuzz_u8(&in);
	}
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, main_sv) == 0, "socketpair");
	if (flags & 2)
		FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, req_sv) == 0,
			   "socketpair");
	for (i = 0; i < RECORDS_MAX && in.left > 0; i++) {
		uint8_t where = fuzz_u8(&in);
		size_t len = fuzz_u16(&in);

		if (len > in.left)
			len = in.left;
		if ((where & 1) && req_sv[1] >= 0)
			record_send(req_sv[1], in.p, len, (where >> 4) % 4);
		else
			record_send(main_sv[1], in.p, len, (where >> 4) % 4);
		in.p += len;
		in.left -= len;
	}
	shutdown(main_sv[1], SHUT_WR);
	if (req_sv[1] >= 0)
		shutdown(req_sv[1], SHUT_WR);

	/* The frontend as connecting makes it (fe_alloc), over the socket pair. */
	fe = calloc(1, sizeof(*fe));
	FUZZ_CHECK(fe != NULL, "alloc");
	snprintf(fe->path, sizeof(fe->path), "fuzz");
	fe->sock = main_sv[0];
	fe->req_fd = req_sv[0];
	fe->reply_timeout_ms = 10; /* never waited for: the stream ends */
	for (i = 0; i < RTE_DIM(proto_bits); i++)
		if (proto & (1u << i))
			fe->protocol |= VIO_BIT(proto_bits[i]);
	fe->protocol_offered = fe->protocol;
	fe->protocol_known = true;
	if (flags & 1)
		fe->features = VIO_BIT(VIO_F_ACCESS_PLATFORM) | VIO_BIT(VIO_F_VERSION_1);
	fe->features_offered = fe->features;
	fe->features_known = true;
	if (flags & 4) {
		fe->regions[0] = (struct vhost_user_mem_region){ 0, 1u << 20, 0x7f0000000000, 0 };
		fe->regions[1] = (struct vhost_user_mem_region){ 1u << 20, 1u << 20, 0x7f0000200000,
								 0 };
		fe->nb_regions = 2;
	}
	memfd = fuzz_memfd(MEMFD_SIZE);
	FUZZ_CHECK(memfd >= 0, "memfd");
	for (i = 0; i < nb_calls; i++) {
		bool was_broken = fe->broken;
		int ret = call(fe, calls[i][0], calls[i][1], memfd);

		if (was_broken)
			FUZZ_CHECK(ret == -ENOTCONN || ret == -ENOTSUP || ret == -EINVAL,
				   "call %u on a broken connection: %d", calls[i][0] % 26, ret);
	}
	close(memfd);
	vio_vhost_frontend_close(fe);
	close(main_sv[1]);
	if (req_sv[1] >= 0)
		close(req_sv[1]);
	if (vio_test_fd_count() != nb_fds_open) {
		fuzz_fd_list();
		FUZZ_CHECK(vio_test_fd_count() == nb_fds_open, "fds leaked: %d open, %d before",
			   vio_test_fd_count(), nb_fds_open);
	}
	return 0;
}
