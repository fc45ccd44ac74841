/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Receive interrupts for applications that sleep instead of polling: the
 * guest's kick eventfd of a transmit queue, and asking the guest to kick it.
 */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "vhost_internal.h"

int
vio_vhost_get_kick_fd(int vid, uint16_t queue_id)
{
	struct vhost_dev *dev;
	int fd = -ENODEV;

	if (vid < 0 || vid >= VIO_VHOST_MAX_DEVICES || queue_id >= VHOST_MAX_VRINGS)
		return -EINVAL;
	pthread_mutex_lock(&vhost_lock);
	dev = vhost_devices[vid];
	if (dev != NULL && dev->in_use) {
		int kickfd = dev->vrings[queue_id].cfg.kickfd;

		/* A copy: the frontend may replace or close its kick fd at any time. */
		fd = kickfd < 0 ? -ENOENT : fcntl(kickfd, F_DUPFD_CLOEXEC, 0);
		if (kickfd >= 0 && fd < 0)
			fd = -errno;
	}
	pthread_mutex_unlock(&vhost_lock);
	return fd;
}

int
vio_vhost_notify_enable(int vid, uint16_t queue_id, bool enable)
{
	struct vhost_vring *vr;
	struct vhost_dev *dev;
	struct vio_vq *vq;

	if (vid < 0 || vid >= VIO_VHOST_MAX_DEVICES || queue_id >= VHOST_MAX_VRINGS)
		return -EINVAL;
	dev = vhost_devices[vid];
	if (dev == NULL)
		return -ENODEV;
	vr = &dev->vrings[queue_id];
	/*
	 * Remembered first, for the ring's next start (vring_publish() applies
	 * it before it publishes the queue): a request made before a ring
	 * restart survives it. One that races the restart itself (made between
	 * that read and the publication) gets -ENODEV here; the caller then
	 * waits for the ring's start, as before any connection (the PMD signals
	 * the queue's fd once a ring starts).
	 */
	atomic_store(&vr->notify_wanted, enable);
	vq = vhost_vring_enter(vr); /* the same handshake as a burst */
	if (vq != NULL)
		vio_vq_kick_enable(vq, enable);
	vhost_vring_leave(vr);
	return vq != NULL ? 0 : -ENODEV;
}
