/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The backend request channel (SET_BACKEND_REQ_FD): requests vio sends to the
 * frontend on behalf of the device's driver (struct vio_backend_events).
 * Runs on the control thread with vhost_lock held.
 *
 * Nothing here waits for the frontend: requests go without NEED_REPLY and
 * with a non-blocking send, so a frontend that stops reading its end stalls
 * nothing but its own device (the request is dropped with a log line; a
 * message cut in the middle closes the channel). The answer to an IOTLB miss
 * comes on the main socket anyway, as an IOTLB_MSG update.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vhost_internal.h"

static int
backend_req_send(struct vhost_dev *dev, uint32_t req, const void *payload, uint32_t size,
		 const int *fds, uint32_t nb_fds)
{
	struct vhost_user_hdr hdr = {
		.request = req,
		.flags = VHOST_USER_VERSION,
		.size = size,
	};
	int ret;

	if (dev->backend_req_fd < 0 ||
	    !(dev->protocol_features & VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_BACKEND_REQ)))
		return -ENOTSUP;
	ret = vhost_user_msg_send_nowait(dev->backend_req_fd, &hdr, payload, fds, nb_fds);
	if (ret == 0) {
		dev->backend_reqs_sent++;
		return 0;
	}
	dev->backend_reqs_failed++;
	DEV_LOG(dev, WARNING, "backend request %s: %s%s", vhost_user_backend_req_name(req),
		strerror(-ret),
		ret == -EAGAIN ? " (the frontend does not read its channel): dropped" : "");
	if (ret != -EAGAIN) {
		/* Cut in the middle, or the frontend closed it: the channel is gone. */
		close(dev->backend_req_fd);
		dev->backend_req_fd = -1;
	}
	return ret;
}

static struct vhost_dev *
be_dev(struct vio_backend *be)
{
	return be->owner;
}

static int
ev_iotlb_miss(struct vio_backend *be, uint64_t iova, uint32_t perm)
{
	struct vhost_dev *dev = be_dev(be);
	struct vhost_user_iotlb m;

	memset(&m, 0, sizeof(m));
	m.iova = iova;
	m.perm = (uint8_t)perm;
	m.type = VHOST_USER_IOTLB_MISS;
	dev->iotlb_misses_sent++;
	return backend_req_send(dev, VHOST_USER_BACKEND_IOTLB_MSG, &m, sizeof(m), NULL, 0);
}

static int
ev_host_notifier(struct vio_backend *be, uint16_t idx, int fd, uint64_t offset, uint64_t size)
{
	struct vhost_dev *dev = be_dev(be);
	struct vhost_user_host_notifier m;

	if (!(dev->protocol_features & VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_HOST_NOTIFIER)) ||
	    !(dev->protocol_features & VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD)))
		return -ENOTSUP;
	memset(&m, 0, sizeof(m));
	m.index_flags = idx | (fd < 0 ? VHOST_USER_HOST_NOTIFIER_NOFD : 0);
	m.size = fd < 0 ? 0 : size;
	m.offset = fd < 0 ? 0 : offset;
	return backend_req_send(dev, VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG, &m, sizeof(m),
				fd < 0 ? NULL : &fd, fd < 0 ? 0 : 1);
}

static int
ev_config_changed(struct vio_backend *be)
{
	struct vhost_dev *dev = be_dev(be);

	if (!(dev->protocol_features & VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_CONFIG)))
		return -ENOTSUP;
	return backend_req_send(dev, VHOST_USER_BACKEND_CONFIG_CHANGE_MSG, NULL, 0, NULL, 0);
}

const struct vio_backend_events vhost_backend_events = {
	.iotlb_miss = ev_iotlb_miss,
	.host_notifier = ev_host_notifier,
	.config_changed = ev_config_changed,
};
