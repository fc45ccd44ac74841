/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * What a frontend keeps for its device across backends (vio_vhost_frontend.h):
 * the inflight area (GET/SET_INFLIGHT_FD), which a backend that takes over
 * reads to complete what the last one held, and the device state
 * (SET_DEVICE_STATE_FD, CHECK_DEVICE_STATE), which goes from one backend to
 * another when the device moves. Both replies carry fds: they are the only
 * replies allowed any, and each is checked for exactly what it may carry.
 */

#define _GNU_SOURCE /* pipe2 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>

#include "vhost_frontend_internal.h"

/*
 * The largest inflight area accepted: twice the largest queue region of the
 * specification ("Inflight I/O tracking": QueueRegionPacked, a 32-byte
 * header and 32 bytes an entry) per queue, for a backend that aligns or
 * pads, rounded up to a 2 MiB page for one that backs it with hugepages.
 */
#define INFLIGHT_ENTRY_MAX  64
#define INFLIGHT_HEADER_MAX 64
#define INFLIGHT_ALIGN      (UINT64_C(2) << 20)

/* SET_DEVICE_STATE_FD's reply (vhost-user spec): bits 0-7 a status, bit 8 "no fd". */
#define STATE_STATUS_MASK UINT64_C(0xff)
#define STATE_NO_FD       (UINT64_C(1) << 8)

static uint64_t
inflight_max(uint16_t num_queues, uint16_t queue_size)
{
	uint64_t per_queue = INFLIGHT_HEADER_MAX + (uint64_t)INFLIGHT_ENTRY_MAX * queue_size;

	return RTE_ALIGN_CEIL(per_queue * num_queues, INFLIGHT_ALIGN);
}

static bool
inflight_counts_ok(uint16_t num_queues, uint16_t queue_size)
{
	return num_queues != 0 && num_queues <= VIO_VHOST_FRONTEND_MAX_QUEUES && queue_size != 0 &&
	       queue_size <= VIO_VHOST_FRONTEND_MAX_RING;
}

/* The area the reply describes, against the one fd that came with it. */
static int
inflight_check(struct vio_vhost_frontend *fe, const struct vhost_user_inflight *r, int fd)
{
	const uint32_t req = VHOST_USER_GET_INFLIGHT_FD;
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;

	if (r->mmap_size > inflight_max(r->num_queues, r->queue_size))
		return vhost_frontend_bad_reply(fe, req, "mmap_size", r->mmap_size);
	if (page <= 0 || r->mmap_offset % (uint64_t)page != 0)
		return vhost_frontend_bad_reply(fe, req, "mmap_offset", r->mmap_offset);
	if (fstat(fd, &st) < 0)
		return vhost_frontend_bad_reply(fe, req, "fd", (uint64_t)fd);
	/* Mapped beyond the end of its file, the area would raise SIGBUS when touched. */
	if (r->mmap_offset + r->mmap_size < r->mmap_offset ||
	    r->mmap_offset + r->mmap_size > (uint64_t)st.st_size) {
		FE_LOG(fe, ERR, "reply to GET_INFLIGHT_FD: the fd has %" PRIu64 " bytes",
		       (uint64_t)st.st_size);
		return vhost_frontend_bad_reply(fe, req, "mmap_offset + mmap_size",
						r->mmap_offset + r->mmap_size);
	}
	return 0;
}

int
vio_vhost_frontend_get_inflight_fd(struct vio_vhost_frontend *fe, uint16_t num_queues,
				   uint16_t queue_size, struct vio_vhost_frontend_inflight *in)
{
	const uint32_t req = VHOST_USER_GET_INFLIGHT_FD;
	struct vhost_user_inflight q, r;
	int fds[VHOST_USER_MAX_FDS];
	struct vhost_frontend_reply_fds rfds = { .fds = fds, .max = RTE_DIM(fds) };
	uint32_t i;
	int ret;

	in->fd = -1;
	if (!inflight_counts_ok(num_queues, queue_size))
		return -EINVAL;
	if (!vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD))
		return -ENOTSUP;
	memset(&q, 0, sizeof(q));
	q.num_queues = num_queues;
	q.queue_size = queue_size;
	ret = vhost_frontend_request(fe, req, &q, sizeof(q), NULL, 0, &r, sizeof(r), &rfds);
	if (ret < 0)
		return ret;
	/* The backend describes the device the frontend described (QEMU, DPDK, vio echo it). */
	if (r.num_queues != num_queues)
		ret = vhost_frontend_bad_reply(fe, req, "num_queues", r.num_queues);
	else if (r.queue_size != queue_size)
		ret = vhost_frontend_bad_reply(fe, req, "queue_size", r.queue_size);
	else if (rfds.nb != (r.mmap_size == 0 ? 0u : 1u))
		ret = vhost_frontend_bad_reply(fe, req, "number of fds", rfds.nb);
	else if (r.mmap_size != 0)
		ret = inflight_check(fe, &r, fds[0]);
	if (ret < 0 || r.mmap_size == 0) {
		for (i = 0; i < rfds.nb; i++)
			close(fds[i]);
		if (ret == 0)
			FE_LOG(fe, INFO, "GET_INFLIGHT_FD: the backend keeps no inflight area");
		return ret < 0 ? ret : -ENOTSUP;
	}
	in->fd = fds[0];
	in->mmap_size = r.mmap_size;
	in->mmap_offset = r.mmap_offset;
	in->num_queues = num_queues;
	in->queue_size = queue_size;
	return 0;
}

int
vio_vhost_frontend_set_inflight_fd(struct vio_vhost_frontend *fe,
				   const struct vio_vhost_frontend_inflight *in)
{
	struct vhost_user_inflight w;

	if (in->fd < 0 || in->mmap_size == 0 || in->mmap_offset + in->mmap_size < in->mmap_offset ||
	    !inflight_counts_ok(in->num_queues, in->queue_size))
		return -EINVAL;
	if (!vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD))
		return -ENOTSUP;
	memset(&w, 0, sizeof(w)); /* the tail padding goes on the wire */
	w.mmap_size = in->mmap_size;
	w.mmap_offset = in->mmap_offset;
	w.num_queues = in->num_queues;
	w.queue_size = in->queue_size;
	return vhost_frontend_request(fe, VHOST_USER_SET_INFLIGHT_FD, &w, sizeof(w), &in->fd, 1,
				      NULL, 0, NULL);
}

/* ------------------------------------------------------------------------ */
/* Device state                                                              */
/* ------------------------------------------------------------------------ */

int
vio_vhost_frontend_set_device_state_fd(struct vio_vhost_frontend *fe,
				       enum vio_vhost_frontend_state_direction dir, int *fd)
{
	const uint32_t req = VHOST_USER_SET_DEVICE_STATE_FD;
	struct vhost_user_device_state s = { .phase = VHOST_USER_TRANSFER_STATE_PHASE_STOPPED };
	int fds[VHOST_USER_MAX_FDS];
	struct vhost_frontend_reply_fds rfds = { .fds = fds, .max = RTE_DIM(fds) };
	bool save = dir == VIO_VHOST_FRONTEND_STATE_SAVE;
	uint64_t v = 0;
	uint32_t i;
	int p[2], ret;

	*fd = -1;
	if (dir != VIO_VHOST_FRONTEND_STATE_SAVE && dir != VIO_VHOST_FRONTEND_STATE_LOAD)
		return -EINVAL;
	if (!vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_DEVICE_STATE))
		return -ENOTSUP;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	s.direction = save ? VHOST_USER_TRANSFER_STATE_DIRECTION_SAVE
			   : VHOST_USER_TRANSFER_STATE_DIRECTION_LOAD;
	/* The backend writes when saving, reads when loading. */
	ret = vhost_frontend_request(fe, req, &s, sizeof(s), &p[save ? 1 : 0], 1, &v, sizeof(v),
				     &rfds);
	close(p[save ? 1 : 0]); /* the backend has its copy: its close is the end of file */
	if (ret == 0) {
		if (v & ~(STATE_STATUS_MASK | STATE_NO_FD))
			ret = vhost_frontend_bad_reply(fe, req, "result", v);
		else if (rfds.nb != ((v & STATE_NO_FD) || (v & STATE_STATUS_MASK) ? 0u : 1u))
			ret = vhost_frontend_bad_reply(fe, req, "number of fds", rfds.nb);
		else if (v & STATE_STATUS_MASK) {
			FE_LOG(fe, ERR,
			       "SET_DEVICE_STATE_FD (%s) refused by the backend (status %u)",
			       save ? "save" : "load", (unsigned int)(v & STATE_STATUS_MASK));
			ret = -EIO;
		}
	}
	if (ret < 0) {
		for (i = 0; i < rfds.nb; i++)
			close(fds[i]);
		close(p[save ? 0 : 1]);
		return ret;
	}
	if (rfds.nb == 1) {
		/* The backend's own channel replaces the pipe (vhost-user spec). */
		close(p[save ? 0 : 1]);
		*fd = fds[0];
	} else {
		*fd = p[save ? 0 : 1];
	}
	return 0;
}

int
vio_vhost_frontend_check_device_state(struct vio_vhost_frontend *fe)
{
	uint64_t v;
	int ret;

	if (!vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_DEVICE_STATE))
		return -ENOTSUP;
	ret = vhost_frontend_request(fe, VHOST_USER_CHECK_DEVICE_STATE, NULL, 0, NULL, 0, &v,
				     sizeof(v), NULL);
	if (ret == 0 && v != 0) {
		FE_LOG(fe, ERR, "CHECK_DEVICE_STATE: the backend reports failure (%" PRIu64 ")", v);
		ret = -EIO;
	}
	return ret;
}

/* Wait at most the reply timeout for @p fd to be ready for @p events. */
static int
wait_fd(const struct vio_vhost_frontend *fe, int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	do {
		ret = poll(&pfd, 1, fe->reply_timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	return ret == 0 ? -ETIMEDOUT : 0;
}

int
vio_vhost_frontend_save_device_state(struct vio_vhost_frontend *fe, void *buf, size_t size,
				     size_t *len)
{
	size_t got = 0;
	int fd, ret;

	*len = 0;
	ret = vio_vhost_frontend_set_device_state_fd(fe, VIO_VHOST_FRONTEND_STATE_SAVE, &fd);
	if (ret < 0)
		return ret;
	for (;;) {
		uint8_t spill;
		ssize_t n;

		ret = wait_fd(fe, fd, POLLIN);
		if (ret < 0)
			break;
		/* One byte past a full buffer tells a state too large from one that fits. */
		n = got < size ? read(fd, (uint8_t *)buf + got, size - got) : read(fd, &spill, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		if (got == size) {
			ret = -EFBIG;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (ret < 0) {
		FE_LOG(fe, ERR, "save device state: %s after %zu bytes",
		       ret == -EFBIG ? "more than the buffer holds" : strerror(-ret), got);
		return ret;
	}
	ret = vio_vhost_frontend_check_device_state(fe);
	if (ret == 0)
		*len = got;
	return ret;
}

int
vio_vhost_frontend_load_device_state(struct vio_vhost_frontend *fe, const void *buf, size_t len)
{
	size_t done = 0;
	int fd, ret;

	ret = vio_vhost_frontend_set_device_state_fd(fe, VIO_VHOST_FRONTEND_STATE_LOAD, &fd);
	if (ret < 0)
		return ret;
	while (done < len) {
		ssize_t n;

		ret = wait_fd(fe, fd, POLLOUT);
		if (ret < 0)
			break;
		n = vhost_user_write_nosigpipe(fd, (const uint8_t *)buf + done, len - done);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		done += (size_t)n;
	}
	close(fd); /* the end of file for the backend */
	if (ret < 0) {
		FE_LOG(fe, ERR, "load device state: %s after %zu of %zu bytes",
		       ret == -EPIPE ? "the backend closed its end" : strerror(-ret), done, len);
		return ret;
	}
	return vio_vhost_frontend_check_device_state(fe);
}
