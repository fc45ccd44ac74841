/* SPDX-License-Identifier: BSD-3-Clause */

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vio_test_frontend.h"

int
tf_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

bool
tf_closed_by_peer(int fd, int ms)
{
	char buf[512];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0)
			return false;
	}
}

int
tf_memfd(size_t size)
{
	int fd = memfd_create("vio-test-frontend", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
tf_send(int sock, uint32_t req, uint32_t flags, const void *payload, uint32_t size, uint32_t nb_fds)
{
	struct vhost_user_hdr hdr = { .request = req, .flags = flags, .size = size };
	int fds[VHOST_USER_MAX_FDS + 4] = { 0 };
	uint32_t i;
	int ret;

	if (nb_fds > VHOST_USER_MAX_FDS + 4)
		return -EINVAL;
	for (i = 0; i < nb_fds; i++)
		fds[i] = tf_memfd(1 << 20);
	if (nb_fds <= VHOST_USER_MAX_FDS) {
		ret = vhost_user_msg_send(sock, &hdr, payload, fds, nb_fds);
	} else {
		/* More fds than the codec sends: build the message by hand. */
		char control[CMSG_SPACE(sizeof(fds))];
		struct iovec iov[2] = { { &hdr, sizeof(hdr) },
					{ (void *)(uintptr_t)payload, size } };
		struct msghdr mh = { .msg_iov = iov,
				     .msg_iovlen = size ? 2 : 1,
				     .msg_control = control,
				     .msg_controllen = CMSG_SPACE(nb_fds * sizeof(int)) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nb_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nb_fds * sizeof(int));
		ret = sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
	}
	for (i = 0; i < nb_fds; i++)
		close(fds[i]);
	return ret;
}

int
tf_recv_reply(int sock, struct vhost_user_msg *msg)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };

	if (poll(&p, 1, 2000) != 1)
		return -ETIMEDOUT;
	return vhost_user_msg_recv(sock, msg, 1000);
}

int
tf_negotiate(int sock, uint64_t features, uint64_t drop)
{
	struct vhost_user_msg msg;
	uint64_t pf;

	if (tf_send(sock, VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, &features, 8, 0) != 0 ||
	    tf_send(sock, VHOST_USER_GET_PROTOCOL_FEATURES, VHOST_USER_VERSION, NULL, 0, 0) != 0 ||
	    tf_recv_reply(sock, &msg) != 0 || msg.hdr.request != VHOST_USER_GET_PROTOCOL_FEATURES)
		return -1;
	pf = msg.payload.u64 & ~drop;
	return tf_send(sock, VHOST_USER_SET_PROTOCOL_FEATURES, VHOST_USER_VERSION, &pf, 8, 0);
}
