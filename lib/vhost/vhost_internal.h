/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VHOST_INTERNAL_H
#define VIO_VHOST_INTERNAL_H

/*
 * The backend role's state: sockets, devices (one per connection) and their
 * vrings, and what the control thread, the message server and the local
 * driver share.
 *
 * Locking: one mutex (vhost_lock) guards every socket and device field below
 * that is not marked "data path". The control thread holds it while it
 * handles an event and drops it before application callbacks run. The data
 * path takes no lock: it reads a vring's published engine queue between two
 * stores to the vring's busy flag, and the control thread unpublishes a queue
 * and waits for busy to clear before it touches the queue (vhost_vring_quiesce).
 */

#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <rte_common.h>
#include <rte_log.h>

#include "vhost_user_msg.h"
#include "vio_engine.h"
#include "vio_mem.h"
#include "vio_mem_driver.h"
#include "vio_vhost.h"
#include "vio_vhost_driver.h"
#include "vio_virtio.h"

extern int vio_vhost_logtype;
#define VHOST_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, vio_vhost_logtype, "vio_vhost: " fmt "\n", ##__VA_ARGS__)
#define DEV_LOG(dev, level, fmt, ...)                                                    \
	rte_log(RTE_LOG_##level, vio_vhost_logtype, "vio_vhost: %s (vid %d): " fmt "\n", \
		(dev)->sock->path, (dev)->vid, ##__VA_ARGS__)

/* virtio-net features a vhost-user frontend may negotiate with vio. */
#define VHOST_F_LOG_ALL 26
#define VHOST_FEATURES_SUPPORTED                                                        \
	(VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_NET_F_MRG_RXBUF) |                      \
	 VIO_BIT(VIO_F_RING_INDIRECT_DESC) | VIO_BIT(VIO_F_RING_EVENT_IDX) |            \
	 VIO_BIT(VIO_F_RING_PACKED) | VIO_BIT(VIO_F_IN_ORDER) | VIO_BIT(VIO_NET_F_MQ) | \
	 VIO_BIT(VIO_NET_F_MTU) | VIO_BIT(VIO_NET_F_STATUS) | VIO_BIT(VIO_NET_F_CSUM) | \
	 VIO_BIT(VIO_NET_F_GUEST_CSUM) | VIO_BIT(VIO_NET_F_HOST_TSO4) |                 \
	 VIO_BIT(VIO_NET_F_HOST_TSO6) | VIO_BIT(VIO_NET_F_GUEST_TSO4) |                 \
	 VIO_BIT(VIO_NET_F_GUEST_TSO6) | VIO_BIT(VIO_NET_F_GUEST_ECN) |                 \
	 VIO_BIT(VIO_F_PROTOCOL_FEATURES) | VIO_BIT(VHOST_F_LOG_ALL) |                  \
	 VIO_BIT(VIO_F_NOTIFY_ON_EMPTY) | VIO_BIT(VIO_F_ANY_LAYOUT) |                   \
	 VIO_BIT(VIO_F_ACCESS_PLATFORM))
/*
 * Offered by default: everything but the guest's own GSO (HOST_TSO4/6, which
 * net_vhost's tso=1 adds) and a vIOMMU (VIO_VHOST_F_IOMMU). The guest-side
 * GSO features stay, as with net_vhost: a guest without mergeable buffers
 * posts buffers large enough for its MTU only when it may receive GSO, and vio
 * sends a GSO packet only for an mbuf that asks for TSO.
 */
#define VHOST_FEATURES_DEFAULT                                           \
	(VHOST_FEATURES_SUPPORTED &                                      \
	 ~(VIO_BIT(VIO_NET_F_HOST_TSO4) | VIO_BIT(VIO_NET_F_HOST_TSO6) | \
	   VIO_BIT(VIO_F_ACCESS_PLATFORM)))

#define VHOST_PROTOCOL_FEATURES_SUPPORTED                                                         \
	(VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_MQ) | VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_LOG_SHMFD) |   \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_RARP) | VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_NET_MTU) |                                             \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_BACKEND_REQ) |                                         \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD) |                                     \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_CONFIG) |                                              \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_RESET_DEVICE) |                                        \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_STATUS) |                                              \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |                                 \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_DEVICE_STATE) |                                        \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_HOST_NOTIFIER) |                                       \
	 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD))

/*
 * Feature bits the server answers for itself, whatever the driver: the
 * vhost-user handshake and the config space it emulates (status, MTU).
 */
#define VHOST_SERVER_FEATURES \
	(VIO_BIT(VIO_F_PROTOCOL_FEATURES) | VIO_BIT(VIO_NET_F_STATUS) | VIO_BIT(VIO_NET_F_MTU))

#define VHOST_MAX_VRINGS (2 * VIO_VHOST_MAX_QUEUE_PAIRS)

/* An fd the control thread's epoll watches, and what to do when it fires. */
struct vhost_watch {
	int fd;
	void (*handler)(struct vhost_watch *w, uint32_t events);
};

struct vhost_vring {
	/* Data path: the published engine queue and the lcore's busy flag. */
	_Atomic(struct vio_vq *) live;
	atomic_uint busy;
	/* The application asked to be kicked (Rx interrupts): kept across ring restarts. */
	atomic_bool notify_wanted;

	/* Control thread. */
	struct vhost_dev *dev;
	uint16_t idx;
	struct vio_backend_vring_config cfg; /* what the frontend set */
	bool started;                        /* kicked since the last stop */
	bool enabled;
	bool err_reported;         /* the current engine queue's breakage was logged */
	struct vio_vq_stats saved; /* counters of earlier engine queues */
};

/* A memory region the frontend shared, with its fd (kept to rebuild the table). */
struct vhost_region {
	struct vhost_user_mem_region r;
	int fd;
	/* QEMU adds a region once per queue pair (one vhost device each) and removes it as often. */
	unsigned int refs;
};

struct vhost_socket;

struct vhost_dev {
	int vid;
	bool in_use;
	unsigned int generation; /* changes at every reuse of the slot */
	struct vhost_socket *sock;
	struct vhost_watch conn;
	struct vhost_user_rx rx; /* the message being received */
	/*
	 * Attached in-process (vhost_local.c), with no connection (conn.fd -1):
	 * replies go to local_reply, set while a request is handled.
	 */
	bool local;
	struct vhost_user_msg *local_reply;
	struct vhost_watch
		err; /* eventfd every engine queue of the device signals when it breaks */

	/* Negotiation: what this device offers (the socket's, less what its driver cannot serve). */
	uint64_t features_offered;
	uint64_t protocol_features_offered;
	uint16_t max_queue_pairs;
	uint64_t features;
	uint64_t protocol_features;
	uint16_t mtu;
	int numa_node; /* of the first page of guest memory, -1 when unknown */
	uint8_t status;
	uint8_t mac[6];
	/* Device state transfer (SET_DEVICE_STATE_FD): a load's channel until CHECK, or -1. */
	int state_fd;
	bool state_ok; /* the last transfer's result, for CHECK_DEVICE_STATE */
	int backend_req_fd;
	uint64_t backend_reqs_sent;
	uint64_t backend_reqs_failed;
	uint64_t iotlb_misses_sent;

	/* Guest memory as the frontend described it (SET_MEM_TABLE, ADD/REM_MEM_REG). */
	struct vhost_region regions[VIO_MEM_MAX_REGIONS];
	uint32_t nb_regions;

	/* The backend that processes the rings (local: vio's engine). */
	struct vio_backend backend;

	uint32_t nb_vrings; /* highest vring index the frontend touched, plus one */
	bool running;       /* new_device_cb delivered */
	atomic_bool rarp_pending;
	uint8_t rarp_mac[6];
	struct vhost_vring vrings[VHOST_MAX_VRINGS];
};

struct vhost_socket {
	TAILQ_ENTRY(vhost_socket) next;
	char path[108];
	uint64_t flags;
	uint64_t features;          /* offered */
	uint64_t protocol_features; /* offered */
	uint16_t max_queue_pairs;
	uint32_t offloads; /* VIO_VQ_OFFLOAD_*: what the application does itself */
	/* The driver of each connection's device (vio_vhost_set_driver): "local" by default. */
	char driver[16];
	char device[PATH_MAX]; /* kernel, vdpa: the vhost character device */
	char iface[IFNAMSIZ];  /* kernel: the TAP */
	bool owner_set;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct vio_vhost_ops ops;
	void *ctx;
	bool started;
	struct vhost_watch listen; /* server: the listening socket */
	struct vhost_watch timer;  /* client: reconnect timer (timerfd) */
	unsigned int backoff_ms;
	uint64_t connected_at; /* timer cycles at the last connect (client mode) */
	struct vhost_dev *dev; /* the connection, or NULL */
	/* Over the socket's life: connections made, counters of the closed ones. */
	uint64_t connections;
	struct vio_vq_stats past[2 * VIO_VHOST_MAX_QUEUE_PAIRS];
};

/*
 * Enter and leave the data path of a vring (a burst, or an lcore's request
 * on its queue): the seq_cst store of busy before the seq_cst load of live
 * pairs with vring_unpublish() in the local driver. Returns the live engine
 * queue, or NULL.
 */
static __rte_always_inline struct vio_vq *
vhost_vring_enter(struct vhost_vring *vr)
{
	atomic_store_explicit(&vr->busy, 1, memory_order_seq_cst);
	return atomic_load_explicit(&vr->live, memory_order_seq_cst);
}

static __rte_always_inline void
vhost_vring_leave(struct vhost_vring *vr)
{
	atomic_store_explicit(&vr->busy, 0, memory_order_release);
}

/* Add the counters of @p s to those of @p sum. */
static inline void
vhost_stats_add(struct vio_vq_stats *sum, const struct vio_vq_stats *s)
{
	uint64_t *a = (uint64_t *)sum;
	const uint64_t *b = (const uint64_t *)s;
	size_t i;

	for (i = 0; i < VIO_VQ_NB_STATS; i++)
		a[i] += b[i];
}

/* vhost_drivers.c: a driver, by name, and how to make an instance of it for a device. */
struct vhost_driver {
	const char *name;
	/* Backend role: the device of a vhost-user connection; NULL if the driver has none. */
	int (*create)(struct vio_backend *be, struct vhost_dev *dev);
	/* Frontend role: the device the port's rings are given to; NULL if none. */
	int (*open)(struct vio_backend *be, const struct vio_backend_target *t);
};
#define VHOST_DRIVER_DEFAULT "local"
const struct vhost_driver *vhost_driver_find(const char *name);

/* vhost_ctl.c */
extern pthread_mutex_t vhost_lock;
int vhost_ctl_watch(struct vhost_watch *w);
void vhost_ctl_unwatch(struct vhost_watch *w);
bool vhost_ctl_is_ctl_thread(void);
/* Have the control thread run the callbacks another thread queued. */
void vhost_ctl_kick(void);
/* The registered socket at @p path, or NULL. Under vhost_lock. */
struct vhost_socket *vhost_ctl_socket_find(const char *path);
/* Queue an application callback to run once the lock is dropped. */
void vhost_ctl_defer_new_device(struct vhost_dev *dev);
void vhost_ctl_defer_destroy_device(struct vhost_dev *dev);
void vhost_ctl_defer_vring_state(struct vhost_dev *dev, uint16_t idx, bool enabled);
void vhost_ctl_defer_features(struct vhost_dev *dev);

/* vhost_dev.c */
struct vhost_dev *vhost_dev_alloc(struct vhost_socket *s, int conn_fd);
/* Stop every ring, release every resource, free the slot. */
void vhost_dev_close(struct vhost_dev *dev);
/* Deliver new_device / destroy_device as the rings come and go. */
void vhost_dev_update_running(struct vhost_dev *dev);
/* Stop the data path on every ring and reset the device to its initial state. */
void vhost_dev_reset(struct vhost_dev *dev);
extern struct vhost_dev *vhost_devices[VIO_VHOST_MAX_DEVICES];

/* vhost_backend_req.c: the driver's requests to the frontend (backend request channel). */
extern const struct vio_backend_events vhost_backend_events;

/*
 * vhost_local.c: a frontend of this process attached to a server socket of
 * this process, its requests handed to the device by function calls.
 */
struct vhost_local_link;
/* Attach to the listening socket at @p path: -ENOENT, -EINVAL (client mode), -EBUSY. */
int vhost_local_attach(const char *path, struct vhost_local_link **out);
/* Detach (the device closes as on a closed connection) and free @p l; NULL is a no-op. */
void vhost_local_detach(struct vhost_local_link *l);
/* Whether the server side still has the link's device. */
bool vhost_local_alive(const struct vhost_local_link *l);
/*
 * Hand one request to the device; @p fds are duplicated. If the device
 * replied, *@p replied is true and @p reply holds it, with fds of the
 * caller's. -ECONNRESET: the device is gone (now or before).
 */
int vhost_local_request(struct vhost_local_link *l, const struct vhost_user_hdr *hdr,
			const void *payload, const int *fds, uint32_t nb_fds,
			struct vhost_user_msg *reply, bool *replied);
/* The server's reply to a device attached in-process. Under vhost_lock. */
int vhost_local_reply(struct vhost_dev *dev, const struct vhost_user_hdr *hdr, const void *payload,
		      const int *fds, uint32_t nb_fds);

/* vhost_server.c: handle one message; a negative return closes the connection. */
int vhost_server_handle(struct vhost_dev *dev, struct vhost_user_msg *msg);

#endif /* VIO_VHOST_INTERNAL_H */
