/* SPDX-License-Identifier: BSD-3-Clause */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>

#include "vhost_user_msg.h"

#define U64     sizeof(uint64_t)
#define STATE   sizeof(struct vhost_user_vring_state)
#define MEM_HDR offsetof(struct vhost_user_mem_table, regions)

/*
 * The rules, from the message list of the specification. Variable payloads
 * (SET_MEM_TABLE, GET/SET_CONFIG) get their exact size checked in
 * vhost_user_msg_check() from their own count fields.
 */
static const struct vhost_user_rule rules[VHOST_USER_REQUEST_MAX] = {
	[VHOST_USER_GET_FEATURES] = { "GET_FEATURES", 0, 0, 0, 0, true },
	[VHOST_USER_SET_FEATURES] = { "SET_FEATURES", U64, U64, 0, 0, false },
	[VHOST_USER_SET_OWNER] = { "SET_OWNER", 0, 0, 0, 0, false },
	[VHOST_USER_RESET_OWNER] = { "RESET_OWNER", 0, 0, 0, 0, false },
	[VHOST_USER_SET_MEM_TABLE] = { "SET_MEM_TABLE", MEM_HDR,
				       sizeof(struct vhost_user_mem_table), 1,
				       VHOST_USER_MEM_REGIONS_MAX, false },
	[VHOST_USER_SET_LOG_BASE] = { "SET_LOG_BASE", sizeof(struct vhost_user_log),
				      sizeof(struct vhost_user_log), 1, 1, true },
	[VHOST_USER_SET_LOG_FD] = { "SET_LOG_FD", 0, 0, 1, 1, false },
	[VHOST_USER_SET_VRING_NUM] = { "SET_VRING_NUM", STATE, STATE, 0, 0, false },
	[VHOST_USER_SET_VRING_ADDR] = { "SET_VRING_ADDR", sizeof(struct vhost_user_vring_addr),
					sizeof(struct vhost_user_vring_addr), 0, 0, false },
	[VHOST_USER_SET_VRING_BASE] = { "SET_VRING_BASE", STATE, STATE, 0, 0, false },
	[VHOST_USER_GET_VRING_BASE] = { "GET_VRING_BASE", STATE, STATE, 0, 0, true },
	[VHOST_USER_SET_VRING_KICK] = { "SET_VRING_KICK", U64, U64, 0, 1, false },
	[VHOST_USER_SET_VRING_CALL] = { "SET_VRING_CALL", U64, U64, 0, 1, false },
	[VHOST_USER_SET_VRING_ERR] = { "SET_VRING_ERR", U64, U64, 0, 1, false },
	[VHOST_USER_GET_PROTOCOL_FEATURES] = { "GET_PROTOCOL_FEATURES", 0, 0, 0, 0, true },
	[VHOST_USER_SET_PROTOCOL_FEATURES] = { "SET_PROTOCOL_FEATURES", U64, U64, 0, 0, false },
	[VHOST_USER_GET_QUEUE_NUM] = { "GET_QUEUE_NUM", 0, 0, 0, 0, true },
	[VHOST_USER_SET_VRING_ENABLE] = { "SET_VRING_ENABLE", STATE, STATE, 0, 0, false },
	[VHOST_USER_SEND_RARP] = { "SEND_RARP", U64, U64, 0, 0, false },
	[VHOST_USER_NET_SET_MTU] = { "NET_SET_MTU", U64, U64, 0, 0, false },
	[VHOST_USER_SET_BACKEND_REQ_FD] = { "SET_BACKEND_REQ_FD", 0, 0, 1, 1, false },
	[VHOST_USER_IOTLB_MSG] = { "IOTLB_MSG", sizeof(struct vhost_user_iotlb),
				   sizeof(struct vhost_user_iotlb), 0, 0, false },
	[VHOST_USER_SET_VRING_ENDIAN] = { "SET_VRING_ENDIAN", STATE, STATE, 0, 0, false },
	[VHOST_USER_GET_CONFIG] = { "GET_CONFIG", VHOST_USER_CONFIG_HDR_SIZE,
				    sizeof(struct vhost_user_config), 0, 0, true },
	[VHOST_USER_SET_CONFIG] = { "SET_CONFIG", VHOST_USER_CONFIG_HDR_SIZE,
				    sizeof(struct vhost_user_config), 0, 0, false },
	[VHOST_USER_CREATE_CRYPTO_SESSION] = { "CREATE_CRYPTO_SESSION", 0, 0, 0, 0, false },
	[VHOST_USER_CLOSE_CRYPTO_SESSION] = { "CLOSE_CRYPTO_SESSION", 0, 0, 0, 0, false },
	[VHOST_USER_POSTCOPY_ADVISE] = { "POSTCOPY_ADVISE", 0, 0, 0, 0, true },
	[VHOST_USER_POSTCOPY_LISTEN] = { "POSTCOPY_LISTEN", 0, 0, 0, 0, false },
	[VHOST_USER_POSTCOPY_END] = { "POSTCOPY_END", 0, 0, 0, 0, true },
	[VHOST_USER_GET_INFLIGHT_FD] = { "GET_INFLIGHT_FD", sizeof(struct vhost_user_inflight),
					 sizeof(struct vhost_user_inflight), 0, 0, true },
	[VHOST_USER_SET_INFLIGHT_FD] = { "SET_INFLIGHT_FD", sizeof(struct vhost_user_inflight),
					 sizeof(struct vhost_user_inflight), 1, 1, false },
	[VHOST_USER_GPU_SET_SOCKET] = { "GPU_SET_SOCKET", 0, 0, 1, 1, false },
	[VHOST_USER_RESET_DEVICE] = { "RESET_DEVICE", 0, 0, 0, 0, false },
	[VHOST_USER_VRING_KICK] = { "VRING_KICK", STATE, STATE, 0, 0, false },
	[VHOST_USER_GET_MAX_MEM_SLOTS] = { "GET_MAX_MEM_SLOTS", 0, 0, 0, 0, true },
	[VHOST_USER_ADD_MEM_REG] = { "ADD_MEM_REG", sizeof(struct vhost_user_mem_reg),
				     sizeof(struct vhost_user_mem_reg), 1, 1, false },
	/* QEMU sends the region's fd with REM_MEM_REG too; it is not needed. */
	[VHOST_USER_REM_MEM_REG] = { "REM_MEM_REG", sizeof(struct vhost_user_mem_reg),
				     sizeof(struct vhost_user_mem_reg), 0, 1, false },
	[VHOST_USER_SET_STATUS] = { "SET_STATUS", U64, U64, 0, 0, false },
	[VHOST_USER_GET_STATUS] = { "GET_STATUS", 0, 0, 0, 0, true },
	[VHOST_USER_GET_SHARED_OBJECT] = { "GET_SHARED_OBJECT", 16, 16, 0, 0, true },
	[VHOST_USER_SET_DEVICE_STATE_FD] = { "SET_DEVICE_STATE_FD",
					     sizeof(struct vhost_user_device_state),
					     sizeof(struct vhost_user_device_state), 1, 1, true },
	[VHOST_USER_CHECK_DEVICE_STATE] = { "CHECK_DEVICE_STATE", 0, 0, 0, 0, true },
};

const struct vhost_user_rule *
vhost_user_rule(uint32_t req)
{
	if (req >= RTE_DIM(rules) || rules[req].name == NULL)
		return NULL;
	return &rules[req];
}

const char *
vhost_user_req_name(uint32_t req)
{
	const struct vhost_user_rule *r = vhost_user_rule(req);

	return r != NULL ? r->name : "UNKNOWN";
}

static const char *const backend_req_names[VHOST_USER_BACKEND_REQUEST_MAX] = {
	[VHOST_USER_BACKEND_IOTLB_MSG] = "IOTLB_MSG",
	[VHOST_USER_BACKEND_CONFIG_CHANGE_MSG] = "CONFIG_CHANGE_MSG",
	[VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG] = "VRING_HOST_NOTIFIER_MSG",
};

const char *
vhost_user_backend_req_name(uint32_t req)
{
	if (req >= RTE_DIM(backend_req_names) || backend_req_names[req] == NULL)
		return "UNKNOWN";
	return backend_req_names[req];
}

static void
close_fds(int *fds, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

void
vhost_user_msg_close_fds(struct vhost_user_msg *msg)
{
	close_fds(msg->fds, msg->nb_fds);
	msg->nb_fds = 0;
}

int
vhost_user_msg_take_fd(struct vhost_user_msg *msg, uint32_t i)
{
	int fd;

	if (i >= msg->nb_fds)
		return -1;
	fd = msg->fds[i];
	msg->fds[i] = -1;
	return fd;
}

int
vhost_user_msg_recv_nb(int sock, struct vhost_user_rx *rx)
{
	const uint32_t hdr_len = sizeof(rx->msg.hdr);
	struct vhost_user_msg *msg = &rx->msg;
	int ret;

	for (;;) {
		union {
			char buf[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
			struct cmsghdr align;
		} control;
		uint32_t want = rx->got < hdr_len ? hdr_len : hdr_len + msg->hdr.size;
		uint8_t *dst = rx->got < hdr_len ? (uint8_t *)&msg->hdr + rx->got
						 : (uint8_t *)&msg->payload + (rx->got - hdr_len);
		struct iovec iov = { .iov_base = dst, .iov_len = want - rx->got };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control.buf,
			.msg_controllen = sizeof(control.buf),
		};
		struct cmsghdr *cm;
		ssize_t n;

		if (rx->got >= hdr_len && rx->got == want)
			return 1;
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			ret = n == 0 ? -ECONNRESET : -errno;
			goto err_close;
		}
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
			uint32_t nb, i;

			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			nb = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < nb; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (msg->nb_fds < VHOST_USER_MAX_FDS)
					msg->fds[msg->nb_fds++] = fd;
				else
					close(fd);
			}
		}
		if (mh.msg_flags & MSG_CTRUNC) {
			/* More fds than any request carries: the kernel closed the rest. */
			ret = -EPROTO;
			goto err_close;
		}
		rx->got += (uint32_t)n;
		if (rx->got == hdr_len) {
			if ((msg->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION) {
				ret = -EPROTO;
				goto err_close;
			}
			if (msg->hdr.size > sizeof(msg->payload)) {
				ret = -EMSGSIZE;
				goto err_close;
			}
			memset(&msg->payload, 0, sizeof(msg->payload));
		}
	}

err_close:
	vhost_user_msg_close_fds(msg);
	return ret;
}

int
vhost_user_msg_recv(int sock, struct vhost_user_msg *msg, int timeout_ms)
{
	struct vhost_user_rx rx = { .got = 0 };
	int ret;

	rx.msg.nb_fds = 0;
	for (;;) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };

		ret = vhost_user_msg_recv_nb(sock, &rx);
		if (ret != 0)
			break;
		if (rx.got == 0)
			return -EAGAIN; /* nothing was waiting */
		if (poll(&pfd, 1, timeout_ms) == 0) {
			vhost_user_msg_close_fds(&rx.msg);
			return -ETIMEDOUT;
		}
	}
	if (ret < 0)
		return ret;
	*msg = rx.msg;
	return 0;
}

int
vhost_user_msg_check(const struct vhost_user_msg *msg, const char **field, uint64_t *value)
{
	const struct vhost_user_rule *r = vhost_user_rule(msg->hdr.request);
	uint32_t size = msg->hdr.size;

	if (r == NULL) {
		*field = "request";
		*value = msg->hdr.request;
		return -ENOTSUP;
	}
	if (size < r->size_min || size > r->size_max) {
		*field = "size";
		*value = size;
		return -EINVAL;
	}
	if (msg->nb_fds < r->fds_min || msg->nb_fds > r->fds_max) {
		*field = "number of fds";
		*value = msg->nb_fds;
		return -EINVAL;
	}
	switch (msg->hdr.request) {
	case VHOST_USER_SET_MEM_TABLE: {
		uint32_t nr = msg->payload.mem.nregions;

		if (nr == 0 || nr > VHOST_USER_MEM_REGIONS_MAX) {
			*field = "nregions";
			*value = nr;
			return -EINVAL;
		}
		/* QEMU and DPDK send exactly the regions in use. */
		if (size != MEM_HDR + nr * sizeof(struct vhost_user_mem_region)) {
			*field = "size";
			*value = size;
			return -EINVAL;
		}
		if (msg->nb_fds != nr) {
			*field = "number of fds";
			*value = msg->nb_fds;
			return -EINVAL;
		}
		break;
	}
	case VHOST_USER_GET_CONFIG:
	case VHOST_USER_SET_CONFIG:
		if (msg->payload.config.size > VHOST_USER_CONFIG_MAX ||
		    size != VHOST_USER_CONFIG_HDR_SIZE + msg->payload.config.size) {
			*field = "config size";
			*value = msg->payload.config.size;
			return -EINVAL;
		}
		break;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR: {
		bool nofd = msg->payload.u64 & VHOST_USER_VRING_NOFD;

		if (msg->nb_fds != (nofd ? 0u : 1u)) {
			*field = "number of fds";
			*value = msg->nb_fds;
			return -EINVAL;
		}
		break;
	}
	default:
		break;
	}
	return 0;
}

static int
msg_send(int sock, const struct vhost_user_hdr *hdr, const void *payload, const int *fds,
	 uint32_t nb_fds, int flags)
{
	union {
		char buf[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov[2] = {
		{ .iov_base = (void *)(uintptr_t)hdr, .iov_len = sizeof(*hdr) },
		{ .iov_base = (void *)(uintptr_t)payload, .iov_len = hdr->size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = hdr->size > 0 ? 2 : 1 };
	ssize_t n;

	if (nb_fds > VHOST_USER_MAX_FDS)
		return -EINVAL;
	if (nb_fds > 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(nb_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nb_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nb_fds * sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(*hdr) + hdr->size)
		return -EIO;
	return 0;
}

int
vhost_user_msg_send(int sock, const struct vhost_user_hdr *hdr, const void *payload, const int *fds,
		    uint32_t nb_fds)
{
	return msg_send(sock, hdr, payload, fds, nb_fds, 0);
}

int
vhost_user_msg_send_nowait(int sock, const struct vhost_user_hdr *hdr, const void *payload,
			   const int *fds, uint32_t nb_fds)
{
	return msg_send(sock, hdr, payload, fds, nb_fds, MSG_DONTWAIT);
}

ssize_t
vhost_user_write_nosigpipe(int fd, const void *buf, size_t len)
{
	const struct timespec zero = { 0, 0 };
	sigset_t pipe_set, old, pending;
	bool was_pending;
	ssize_t n;
	int err;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, buf, len);
	err = errno;
	/* Only this write's SIGPIPE is taken; one pending before stays pending. */
	if (n < 0 && err == EPIPE && !was_pending)
		sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return n;
}
