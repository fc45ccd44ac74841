/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The in-process link: a frontend of this process attached to a vhost-user
 * server socket of this process, with no connection between them. The
 * frontend's requests are the same messages it would send on a socket, and
 * they go through the same server code (vhost_server_handle: every check,
 * every handler, REPLY_ACK), only delivered by a function call on the
 * frontend's thread, under vhost_lock, instead of by the control thread. A
 * reply comes back the same way. The fds of a request are duplicated, as
 * the kernel would duplicate them, so the server may keep or close its
 * copies and the frontend keeps its own.
 *
 * The device is an ordinary device of the socket (a vid, the socket's
 * driver, its callbacks): the application of the server side sees a
 * frontend connect, start its rings and go, as with a socket. The link only
 * remembers which device it is (vid and generation): when the server side
 * drops it (the socket unregistered, the application refused the device, a
 * request the server could not accept), the link is dead, and the frontend
 * sees that as a closed connection.
 *
 * Callbacks the server queued while handling a request run on the control
 * thread, which the link wakes after each request.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhost_internal.h"

struct vhost_local_link {
	int vid;
	unsigned int generation;
	char path[sizeof(((struct vhost_socket *)0)->path)];
};

/* The link's device, if the server side still has it. Under vhost_lock. */
static struct vhost_dev *
link_dev(const struct vhost_local_link *l)
{
	struct vhost_dev *dev = vhost_devices[l->vid];

	if (dev == NULL || !dev->in_use || dev->generation != l->generation || !dev->local)
		return NULL;
	return dev;
}

int
vhost_local_attach(const char *path, struct vhost_local_link **out)
{
	struct vhost_local_link *l;
	struct vhost_socket *s;
	struct vhost_dev *dev;
	int ret = 0;

	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&vhost_lock);
	s = vhost_ctl_socket_find(path);
	if (s == NULL || !s->started) {
		VHOST_LOG(ERR,
			  "local %s: no vhost-user socket of this process is %s there "
			  "(driver=local attaches to a vio backend port of the same process: "
			  "create that port first)",
			  path, s == NULL ? "registered" : "started");
		ret = -ENOENT;
	} else if (s->flags & VIO_VHOST_F_CLIENT) {
		VHOST_LOG(ERR,
			  "local %s: that socket connects as a client (client=1); "
			  "driver=local attaches to a listening one",
			  path);
		ret = -EINVAL;
	} else if (s->dev != NULL) {
		VHOST_LOG(ERR, "local %s: a frontend is connected already (vid %d)", path,
			  s->dev->vid);
		ret = -EBUSY;
	} else {
		dev = vhost_dev_alloc(s, -1);
		if (dev == NULL) {
			ret = -ENOMEM;
		} else {
			dev->local = true;
			s->dev = dev;
			l->vid = dev->vid;
			l->generation = dev->generation;
			snprintf(l->path, sizeof(l->path), "%s", path);
			DEV_LOG(dev, INFO, "frontend attached in-process (driver=local)");
		}
	}
	pthread_mutex_unlock(&vhost_lock);
	if (ret < 0) {
		free(l);
		return ret;
	}
	*out = l;
	return 0;
}

/* Drop the device, as a closed connection would. Under vhost_lock. */
static void
link_close(struct vhost_dev *dev)
{
	struct vhost_socket *s = dev->sock;

	DEV_LOG(dev, INFO, "in-process frontend detached");
	vhost_dev_close(dev);
	if (s->dev == dev)
		s->dev = NULL;
}

void
vhost_local_detach(struct vhost_local_link *l)
{
	struct vhost_dev *dev;

	if (l == NULL)
		return;
	pthread_mutex_lock(&vhost_lock);
	dev = link_dev(l);
	if (dev != NULL)
		link_close(dev);
	pthread_mutex_unlock(&vhost_lock);
	vhost_ctl_kick();
	free(l);
}

bool
vhost_local_alive(const struct vhost_local_link *l)
{
	bool alive;

	pthread_mutex_lock(&vhost_lock);
	alive = link_dev(l) != NULL;
	pthread_mutex_unlock(&vhost_lock);
	return alive;
}

int
vhost_local_reply(struct vhost_dev *dev, const struct vhost_user_hdr *hdr, const void *payload,
		  const int *fds, uint32_t nb_fds)
{
	struct vhost_user_msg *r = dev->local_reply;
	uint32_t i;

	if (r == NULL || hdr->size > sizeof(r->payload) || nb_fds > RTE_DIM(r->fds))
		return -EINVAL;
	r->hdr = *hdr;
	memcpy(&r->payload, payload, hdr->size);
	r->nb_fds = 0;
	for (i = 0; i < nb_fds; i++) {
		int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);

		if (fd < 0) {
			int err = -errno;

			vhost_user_msg_close_fds(r);
			return err;
		}
		r->fds[r->nb_fds++] = fd;
	}
	return 0;
}

int
vhost_local_request(struct vhost_local_link *l, const struct vhost_user_hdr *hdr,
		    const void *payload, const int *fds, uint32_t nb_fds,
		    struct vhost_user_msg *reply, bool *replied)
{
	struct vhost_user_msg *msg;
	struct vhost_dev *dev;
	uint32_t i;
	int ret = 0;

	*replied = false;
	if (hdr->size > sizeof(msg->payload) || nb_fds > RTE_DIM(msg->fds))
		return -EMSGSIZE;
	/* A message is too large for the stack of a control thread. */
	msg = calloc(1, sizeof(*msg));
	if (msg == NULL)
		return -ENOMEM;
	msg->hdr = *hdr;
	if (hdr->size != 0)
		memcpy(&msg->payload, payload, hdr->size);
	for (i = 0; i < nb_fds; i++) {
		int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);

		if (fd < 0) {
			ret = -errno;
			break;
		}
		msg->fds[msg->nb_fds++] = fd;
	}
	pthread_mutex_lock(&vhost_lock);
	dev = ret == 0 ? link_dev(l) : NULL;
	if (ret == 0 && dev == NULL)
		ret = -ECONNRESET; /* the server side dropped it */
	if (dev != NULL) {
		reply->hdr.request = 0;
		reply->nb_fds = 0;
		dev->local_reply = reply;
		ret = vhost_server_handle(dev, msg);
		/* A message's size and header are those of a reply only if one was made. */
		*replied = reply->hdr.request != 0;
		dev->local_reply = NULL;
		if (ret < 0) {
			/* The server closes a connection that sent what it cannot accept. */
			link_close(dev);
			ret = -ECONNRESET;
		}
	}
	pthread_mutex_unlock(&vhost_lock);
	vhost_user_msg_close_fds(msg); /* those the server did not take */
	free(msg);
	vhost_ctl_kick();
	return ret;
}
