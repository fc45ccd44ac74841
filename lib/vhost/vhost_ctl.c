/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The control thread and the sockets: one epoll loop serves every listening
 * socket, connection, reconnect timer and queue error eventfd. Handlers run
 * with vhost_lock held; application callbacks are queued and run after the
 * lock is dropped, so a callback may call back into the API.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_thread.h>

#include "vhost_internal.h"

RTE_LOG_REGISTER(vio_vhost_logtype, lib.vio.vhost, INFO);

pthread_mutex_t vhost_lock = PTHREAD_MUTEX_INITIALIZER;

static TAILQ_HEAD(socket_list, vhost_socket) sockets = TAILQ_HEAD_INITIALIZER(sockets);
/* Unregistered sockets, freed by the control thread between two event batches. */
static struct socket_list zombies = TAILQ_HEAD_INITIALIZER(zombies);
static int epfd = -1;
static pthread_t ctl_thread;
static bool ctl_running;
/* Wakes the control thread when another thread queued callbacks (unregister). */
static struct vhost_watch wake;
/* Callbacks queued so far, and run so far; unregister waits for the second. */
static uint64_t deferred_seq;
static uint64_t done_seq;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;

/* Reconnect back-off: from 100 ms, doubling up to 2 s. */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
/* A connection that lived this long resets the back-off. */
#define BACKOFF_RESET_S 5

/* ------------------------------------------------------------------------ */
/* Deferred callbacks                                                        */
/* ------------------------------------------------------------------------ */

enum cb_kind {
	CB_NEW,
	CB_DESTROY,
	CB_VRING,
	CB_FEATURES
};

struct deferred {
	enum cb_kind kind;
	int vid;
	unsigned int generation;
	uint16_t idx;
	bool enabled;
	uint64_t features;
	struct vio_vhost_ops ops;
	void *ctx;
};

#define DEFERRED_MAX 256
static struct deferred deferred[DEFERRED_MAX];
static unsigned int nb_deferred;

static void
defer(struct vhost_dev *dev, enum cb_kind kind, uint16_t idx, bool enabled)
{
	struct deferred *d;

	if (nb_deferred == DEFERRED_MAX) {
		DEV_LOG(dev, ERR, "callback queue full, callback %d dropped", kind);
		return;
	}
	d = &deferred[nb_deferred++];
	deferred_seq++;
	d->kind = kind;
	d->vid = dev->vid;
	d->generation = dev->generation;
	d->idx = idx;
	d->enabled = enabled;
	d->features = dev->features;
	d->ops = dev->sock->ops;
	d->ctx = dev->sock->ctx;
}

void
vhost_ctl_defer_new_device(struct vhost_dev *dev)
{
	defer(dev, CB_NEW, 0, false);
}

void
vhost_ctl_defer_destroy_device(struct vhost_dev *dev)
{
	defer(dev, CB_DESTROY, 0, false);
}

void
vhost_ctl_defer_vring_state(struct vhost_dev *dev, uint16_t idx, bool enabled)
{
	defer(dev, CB_VRING, idx, enabled);
}

void
vhost_ctl_defer_features(struct vhost_dev *dev)
{
	defer(dev, CB_FEATURES, 0, false);
}

static void conn_close(struct vhost_dev *dev);

/* new_device_cb refused the device: drop its connection, if it is still the same one. */
static void
refuse_device(int vid, unsigned int generation)
{
	struct vhost_dev *dev = vhost_devices[vid];

	pthread_mutex_lock(&vhost_lock);
	if (dev != NULL && dev->in_use && dev->generation == generation) {
		DEV_LOG(dev, INFO, "the application refused the device: closing the connection");
		conn_close(dev);
	}
	pthread_mutex_unlock(&vhost_lock);
}

static void
run_one(const struct deferred *d)
{
	switch (d->kind) {
	case CB_NEW:
		if (d->ops.new_device_cb != NULL && d->ops.new_device_cb(d->vid, d->ctx) != 0)
			refuse_device(d->vid, d->generation);
		break;
	case CB_DESTROY:
		if (d->ops.destroy_device_cb != NULL)
			d->ops.destroy_device_cb(d->vid, d->ctx);
		break;
	case CB_VRING:
		if (d->ops.vring_state_changed_cb != NULL)
			d->ops.vring_state_changed_cb(d->vid, d->idx, d->enabled, d->ctx);
		break;
	case CB_FEATURES:
		if (d->ops.features_changed_cb != NULL)
			d->ops.features_changed_cb(d->vid, d->features, d->ctx);
		break;
	}
}

/*
 * Run the queued callbacks, in order, on the control thread and without
 * vhost_lock. A callback may queue more (one that unregisters, or refuses a
 * device), so loop until none is left; then wake the threads waiting in
 * vio_vhost_unregister().
 */
static void
run_deferred(void)
{
	static struct deferred todo[DEFERRED_MAX]; /* control thread only */

	for (;;) {
		unsigned int i, n;

		pthread_mutex_lock(&vhost_lock);
		n = nb_deferred;
		memcpy(todo, deferred, n * sizeof(todo[0]));
		nb_deferred = 0;
		if (n == 0) {
			done_seq = deferred_seq;
			pthread_cond_broadcast(&done_cond);
			pthread_mutex_unlock(&vhost_lock);
			return;
		}
		pthread_mutex_unlock(&vhost_lock);
		for (i = 0; i < n; i++)
			run_one(&todo[i]);
	}
}

static void
wake_handler(struct vhost_watch *w, uint32_t events)
{
	eventfd_t v;

	RTE_SET_USED(events);
	eventfd_read(w->fd, &v); /* the loop runs the callbacks after this batch */
}

/* ------------------------------------------------------------------------ */
/* The loop                                                                  */
/* ------------------------------------------------------------------------ */

int
vhost_ctl_watch(struct vhost_watch *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -errno;
	return 0;
}

void
vhost_ctl_unwatch(struct vhost_watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

void
vhost_ctl_kick(void)
{
	if (ctl_running && !vhost_ctl_is_ctl_thread())
		eventfd_write(wake.fd, 1);
}

bool
vhost_ctl_is_ctl_thread(void)
{
	return ctl_running && pthread_equal(pthread_self(), ctl_thread);
}

static void *
ctl_main(void *arg)
{
	struct epoll_event ev[32];

	RTE_SET_USED(arg);
	for (;;) {
		int n = epoll_wait(epfd, ev, RTE_DIM(ev), -1);
		int i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			VHOST_LOG(ERR, "epoll_wait: %s", strerror(errno));
			break;
		}
		pthread_mutex_lock(&vhost_lock);
		for (i = 0; i < n; i++) {
			struct vhost_watch *w = ev[i].data.ptr;

			/*
			 * A handler earlier in this batch may have closed this fd
			 * (a device reset unwatches its error eventfds): such a
			 * watch has fd -1 now.
			 */
			if (w->fd >= 0)
				w->handler(w, ev[i].events);
		}
		/* No event of this batch points into a zombie any more. */
		while (!TAILQ_EMPTY(&zombies)) {
			struct vhost_socket *z = TAILQ_FIRST(&zombies);

			TAILQ_REMOVE(&zombies, z, next);
			free(z);
		}
		pthread_mutex_unlock(&vhost_lock);
		run_deferred();
	}
	return NULL;
}

/* Create the epoll set and the thread once; called with vhost_lock held. */
static int
ctl_start(void)
{
	int ret;

	if (ctl_running)
		return 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	wake.handler = wake_handler;
	if (wake.fd < 0 || vhost_ctl_watch(&wake) < 0) {
		ret = -errno;
		if (wake.fd >= 0)
			close(wake.fd);
		close(epfd);
		epfd = -1;
		return ret;
	}
	ret = rte_ctrl_thread_create(&ctl_thread, "vio-vhost-ctl", NULL, ctl_main, NULL);
	if (ret != 0) {
		close(epfd);
		epfd = -1;
		return -ret;
	}
	ctl_running = true;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

static void timer_arm(struct vhost_socket *s);

static void
conn_close(struct vhost_dev *dev)
{
	struct vhost_socket *s = dev->sock;

	DEV_LOG(dev, INFO, "connection closed");
	vhost_dev_close(dev);
	s->dev = NULL;
	if ((s->flags & VIO_VHOST_F_CLIENT) && !(s->flags & VIO_VHOST_F_NO_RECONNECT)) {
		/*
		 * A connection that lived a while starts the back-off anew; one
		 * that died young (a frontend that drops us) keeps doubling it,
		 * so a bad peer is not reconnected to ten times a second.
		 */
		if (rte_get_timer_cycles() - s->connected_at > BACKOFF_RESET_S * rte_get_timer_hz())
			s->backoff_ms = BACKOFF_MIN_MS;
		else
			s->backoff_ms = RTE_MIN(s->backoff_ms * 2, (unsigned int)BACKOFF_MAX_MS);
		timer_arm(s);
	}
}

static void
conn_handler(struct vhost_watch *w, uint32_t events)
{
	struct vhost_dev *dev = container_of(w, struct vhost_dev, conn);
	int ret;

	RTE_SET_USED(events);
	/* Never waits: a frontend that sends half a message holds only its own connection. */
	ret = vhost_user_msg_recv_nb(w->fd, &dev->rx);
	if (ret == 0)
		return;
	if (ret < 0) {
		if (ret != -ECONNRESET && dev->rx.got >= sizeof(dev->rx.msg.hdr))
			DEV_LOG(dev, ERR, "unreadable message: %s (request %u, size %u)",
				strerror(-ret), dev->rx.msg.hdr.request, dev->rx.msg.hdr.size);
		else if (ret != -ECONNRESET)
			DEV_LOG(dev, ERR, "unreadable message: %s", strerror(-ret));
		conn_close(dev);
		return;
	}
	ret = vhost_server_handle(dev, &dev->rx.msg);
	vhost_user_msg_close_fds(&dev->rx.msg); /* those a handler did not take */
	dev->rx.got = 0;
	if (ret < 0)
		conn_close(dev);
}

static void
conn_new(struct vhost_socket *s, int fd)
{
	struct vhost_dev *dev = vhost_dev_alloc(s, fd);

	if (dev == NULL) {
		close(fd);
		return;
	}
	dev->conn.handler = conn_handler;
	if (vhost_ctl_watch(&dev->conn) < 0) {
		vhost_dev_close(dev);
		return;
	}
	s->dev = dev;
	DEV_LOG(dev, INFO, "frontend connected");
}

static void
listen_handler(struct vhost_watch *w, uint32_t events)
{
	struct vhost_socket *s = container_of(w, struct vhost_socket, listen);
	int fd;

	RTE_SET_USED(events);
	fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (s->dev != NULL) {
		VHOST_LOG(WARNING, "%s: a frontend is connected already: second connection refused",
			  s->path);
		close(fd);
		return;
	}
	conn_new(s, fd);
}

/* Connect once; 0 when connected, a negative errno otherwise. */
static int
client_connect(struct vhost_socket *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* Non-blocking: a frontend with a full backlog (EAGAIN) is retried, never waited for. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	conn_new(s, fd);
	s->connected_at = rte_get_timer_cycles();
	return s->dev != NULL ? 0 : -ENOMEM;
}

static void
timer_arm(struct vhost_socket *s)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = s->backoff_ms / 1000;
	its.it_value.tv_nsec = (long)(s->backoff_ms % 1000) * 1000000;
	timerfd_settime(s->timer.fd, 0, &its, NULL);
}

static void
timer_handler(struct vhost_watch *w, uint32_t events)
{
	struct vhost_socket *s = container_of(w, struct vhost_socket, timer);
	uint64_t expirations;

	RTE_SET_USED(events);
	if (read(w->fd, &expirations, sizeof(expirations)) < 0 || s->dev != NULL)
		return;
	if (client_connect(s) == 0)
		return;
	s->backoff_ms = RTE_MIN(s->backoff_ms * 2, (unsigned int)BACKOFF_MAX_MS);
	timer_arm(s);
}

/*
 * Whether a process listens on the socket file at @p sa (a connect that is
 * not refused): then it is not stale, and unlinking it would take its new
 * connections away from it.
 */
static bool
socket_in_use(const struct sockaddr_un *sa)
{
	/* Non-blocking: a listener with a full backlog answers EAGAIN, not a wait. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN;
	close(fd);
	return used;
}

/*
 * Server mode: replace a stale socket file (nobody listens on it), refuse a
 * live one, a symlink or another kind of file.
 */
static int
server_listen(struct vhost_socket *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	if (lstat(s->path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			VHOST_LOG(ERR, "%s: is a symlink: refused", s->path);
			return -ELOOP;
		}
		if (!S_ISSOCK(st.st_mode)) {
			VHOST_LOG(ERR, "%s: exists and is not a socket: refused", s->path);
			return -EEXIST;
		}
		if (socket_in_use(&sa)) {
			VHOST_LOG(ERR, "%s: another process listens on it: refused", s->path);
			return -EADDRINUSE;
		}
		unlink(s->path); /* stale socket file of an earlier run */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		ret = -errno;
		VHOST_LOG(ERR, "%s: bind/listen: %s", s->path, strerror(-ret));
		close(fd);
		return ret;
	}
	if (s->owner_set && (chmod(s->path, s->mode) < 0 || chown(s->path, s->uid, s->gid) < 0)) {
		ret = -errno;
		VHOST_LOG(ERR, "%s: chmod/chown: %s", s->path, strerror(-ret));
		close(fd);
		unlink(s->path);
		return ret;
	}
	s->listen.fd = fd;
	s->listen.handler = listen_handler;
	ret = vhost_ctl_watch(&s->listen);
	if (ret < 0) {
		close(fd);
		unlink(s->path);
		s->listen.fd = -1;
	}
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Registration API                                                          */
/* ------------------------------------------------------------------------ */

struct vhost_socket *
vhost_ctl_socket_find(const char *path)
{
	struct vhost_socket *s;

	TAILQ_FOREACH(s, &sockets, next) {
		if (strcmp(s->path, path) == 0)
			return s;
	}
	return NULL;
}

int
vio_vhost_register(const char *path, uint64_t flags)
{
	struct vhost_socket *s;
	int ret = 0;

	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(s->path)) {
		VHOST_LOG(ERR, "socket path missing or longer than %zu bytes", sizeof(s->path) - 1);
		return -EINVAL;
	}
	if (flags & ~(VIO_VHOST_F_CLIENT | VIO_VHOST_F_NO_RECONNECT | VIO_VHOST_F_IOMMU)) {
		VHOST_LOG(ERR, "%s: flags 0x%" PRIx64 " not supported", path, flags);
		return -EINVAL;
	}
	pthread_mutex_lock(&vhost_lock);
	if (vhost_ctl_socket_find(path) != NULL) {
		ret = -EEXIST;
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(s->path, path, strlen(path) + 1);
	s->flags = flags;
	s->features = VHOST_FEATURES_DEFAULT;
	if (flags & VIO_VHOST_F_IOMMU)
		s->features |= VIO_BIT(VIO_F_ACCESS_PLATFORM);
	s->protocol_features = VHOST_PROTOCOL_FEATURES_SUPPORTED;
	s->max_queue_pairs = 1;
	snprintf(s->driver, sizeof(s->driver), "%s", VHOST_DRIVER_DEFAULT);
	s->listen.fd = -1;
	s->timer.fd = -1;
	TAILQ_INSERT_TAIL(&sockets, s, next);
out:
	pthread_mutex_unlock(&vhost_lock);
	return ret;
}

/* Apply @p fn to the socket of @p path under the lock. */
#define WITH_SOCKET(path, body)                                          \
	do {                                                             \
		struct vhost_socket *s;                                  \
		int ret_ = -ENOENT;                                      \
		pthread_mutex_lock(&vhost_lock);                         \
		s = (path) != NULL ? vhost_ctl_socket_find(path) : NULL; \
		if (s != NULL) {                                         \
			ret_ = 0;                                        \
			body;                                            \
		}                                                        \
		pthread_mutex_unlock(&vhost_lock);                       \
		return ret_;                                             \
	} while (0)

int
vio_vhost_set_features(const char *path, uint64_t features)
{
	WITH_SOCKET(path, s->features = (features & VHOST_FEATURES_SUPPORTED) |
					VIO_BIT(VIO_F_PROTOCOL_FEATURES));
}

int
vio_vhost_disable_features(const char *path, uint64_t features)
{
	WITH_SOCKET(path, s->features &= ~features);
}

int
vio_vhost_get_features_offered(const char *path, uint64_t *features)
{
	WITH_SOCKET(path, *features = s->features);
}

int
vio_vhost_mask_protocol_features(const char *path, uint64_t mask)
{
	WITH_SOCKET(path, s->protocol_features &= ~mask);
}

int
vio_vhost_set_offloads(const char *path, uint32_t offloads)
{
	if ((offloads & ~(VIO_VQ_OFFLOAD_RX_CSUM | VIO_VQ_OFFLOAD_RX_LRO)) != 0)
		return -EINVAL;
	WITH_SOCKET(path, {
		unsigned int i;

		s->offloads = offloads;
		/* The queues of the current connection too: the lock keeps them alive. */
		for (i = 0; s->dev != NULL && i < VHOST_MAX_VRINGS; i++) {
			struct vio_vq *vq = atomic_load_explicit(&s->dev->vrings[i].live,
								 memory_order_acquire);

			if (vq != NULL)
				vio_vq_offloads_set(vq, offloads);
		}
	});
}

int
vio_vhost_set_max_queue_pairs(const char *path, uint16_t nb_pairs)
{
	if (nb_pairs == 0 || nb_pairs > VIO_VHOST_MAX_QUEUE_PAIRS)
		return -EINVAL;
	WITH_SOCKET(path, s->max_queue_pairs = nb_pairs);
}

int
vio_vhost_set_driver(const char *path, const char *driver, const char *device, const char *iface)
{
	const struct vhost_driver *d = driver != NULL ? vhost_driver_find(driver) : NULL;

	if (d == NULL || d->create == NULL) {
		VHOST_LOG(ERR,
			  "%s: driver \"%s\" has no backend role (accepted: local, kernel, vdpa)",
			  path != NULL ? path : "?", driver != NULL ? driver : "");
		return -EINVAL;
	}
	if (strcmp(driver, "local") != 0 && (device == NULL || device[0] == '\0')) {
		VHOST_LOG(ERR, "%s: driver %s needs a vhost device (e.g. %s)",
			  path != NULL ? path : "?", driver,
			  strcmp(driver, "kernel") == 0 ? "/dev/vhost-net" : "/dev/vhost-vdpa-0");
		return -EINVAL;
	}
	if ((device != NULL && strlen(device) >= PATH_MAX) ||
	    (iface != NULL && strlen(iface) >= IFNAMSIZ)) {
		VHOST_LOG(ERR, "%s: a device path under %d bytes and an interface name under %d",
			  path != NULL ? path : "?", PATH_MAX, IFNAMSIZ);
		return -EINVAL;
	}
	if (iface != NULL && iface[0] != '\0' && strcmp(driver, "kernel") != 0) {
		VHOST_LOG(ERR, "%s: iface %s: only driver kernel has an interface (its TAP)",
			  path != NULL ? path : "?", iface);
		return -EINVAL;
	}
	WITH_SOCKET(path, {
		if (s->started) {
			ret_ = -EBUSY;
		} else {
			snprintf(s->driver, sizeof(s->driver), "%s", driver);
			snprintf(s->device, sizeof(s->device), "%s", device != NULL ? device : "");
			snprintf(s->iface, sizeof(s->iface), "%s", iface != NULL ? iface : "");
		}
	});
}

int
vio_vhost_set_socket_owner(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	WITH_SOCKET(path, {
		s->owner_set = true;
		s->mode = mode;
		s->uid = uid;
		s->gid = gid;
	});
}

int
vio_vhost_callbacks_register(const char *path, const struct vio_vhost_ops *ops, void *ctx)
{
	WITH_SOCKET(path, {
		if (ops != NULL)
			s->ops = *ops;
		else
			memset(&s->ops, 0, sizeof(s->ops));
		s->ctx = ctx;
	});
}

static int
socket_start(struct vhost_socket *s)
{
	int ret;

	if (s->started)
		return -EALREADY;
	ret = ctl_start();
	if (ret < 0)
		return ret;
	if (!(s->features & VIO_BIT(VIO_NET_F_MQ)) || s->max_queue_pairs == 1)
		s->protocol_features &= ~VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_MQ);
	if (!(s->flags & VIO_VHOST_F_CLIENT)) {
		ret = server_listen(s);
		if (ret == 0)
			s->started = true;
		return ret;
	}
	s->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timer.fd < 0)
		return -errno;
	s->timer.handler = timer_handler;
	ret = vhost_ctl_watch(&s->timer);
	if (ret < 0) {
		close(s->timer.fd);
		s->timer.fd = -1;
		return ret;
	}
	s->backoff_ms = BACKOFF_MIN_MS;
	ret = client_connect(s);
	if (ret < 0 && !(s->flags & VIO_VHOST_F_NO_RECONNECT)) {
		s->backoff_ms = BACKOFF_MIN_MS;
		timer_arm(s);
		ret = 0;
	}
	if (ret < 0) {
		VHOST_LOG(ERR, "%s: connect: %s", s->path, strerror(-ret));
		vhost_ctl_unwatch(&s->timer);
		close(s->timer.fd);
		s->timer.fd = -1;
		return ret;
	}
	s->started = true;
	return 0;
}

int
vio_vhost_start(const char *path)
{
	int ret;

	WITH_SOCKET(path, {
		ret = socket_start(s);
		ret_ = ret;
	});
}

int
vio_vhost_unregister(const char *path)
{
	struct vhost_socket *s;
	int ret = -ENOENT;

	if (path == NULL)
		return -EINVAL;
	pthread_mutex_lock(&vhost_lock);
	s = vhost_ctl_socket_find(path);
	if (s != NULL) {
		TAILQ_REMOVE(&sockets, s, next);
		if (s->dev != NULL) {
			vhost_dev_close(s->dev);
			s->dev = NULL;
		}
		if (s->listen.fd >= 0) {
			vhost_ctl_unwatch(&s->listen);
			close(s->listen.fd);
			s->listen.fd = -1;
			unlink(s->path);
		}
		if (s->timer.fd >= 0) {
			vhost_ctl_unwatch(&s->timer);
			close(s->timer.fd);
			s->timer.fd = -1;
		}
		/* An event of the control thread's current batch may still point into s. */
		if (ctl_running)
			TAILQ_INSERT_TAIL(&zombies, s, next);
		else
			free(s);
		ret = 0;
	}
	/*
	 * The destroy callback queued by the close runs on the control thread;
	 * another thread waits for it, so the application may free its context
	 * once this returns. From a callback, it runs when the callback returns.
	 */
	if (s != NULL && ctl_running && !vhost_ctl_is_ctl_thread()) {
		uint64_t mine = deferred_seq;

		eventfd_write(wake.fd, 1);
		while (done_seq < mine)
			pthread_cond_wait(&done_cond, &vhost_lock);
	}
	pthread_mutex_unlock(&vhost_lock);
	return ret;
}
