/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_PORT_H
#define VIO_PORT_H

/**
 * @file
 * Ports: a port is a role, a driver, a number of queue pairs and a
 * configuration, created from DPDK-style device arguments
 * ("iface=/tmp/sock,queues=2,client=1"). It is what the ethdev PMD
 * (drivers/net/vio) and vio's applications open; they never speak vhost-user
 * themselves.
 *
 * Two roles. A backend port (iface=<socket>) serves a guest's frontend over
 * vhost-user; vio's engine processes the rings (driver "local"). A frontend
 * port (path=<socket>, the keys of DPDK's net_virtio_user) owns the rings in
 * DPDK memory and drives a device: driver "remote", a vhost-user backend in
 * another process (DPDK's net_vhost, vio's own backend port), or driver
 * "local", a backend port of the same process (path= is its iface=),
 * served in-process with no socket: a loopback; driver "kernel", Linux
 * vhost-net (path=/dev/vhost-net) with a TAP (iface=, its name); driver
 * "vdpa", a vDPA device (path=/dev/vhost-vdpa-N). Without driver=, a frontend
 * port's driver follows its path, as net_virtio_user's does: a character
 * device named vhost-net is kernel, one named vhost-vdpa-N is vdpa, anything
 * else a vhost-user socket (remote). In the backend role only "local"
 * exists yet (handing a frontend's rings to kernel vhost or vDPA is to
 * come).
 *
 * Queues. Queue pair n of a port is the guest's receive queue n (the port
 * enqueues into it: host to guest) and the guest's transmit queue n (the
 * port dequeues from it: guest to host).
 *
 * Threads. A backend port's callbacks run on vio's control thread; a
 * frontend port's on its watcher thread (which notices a lost backend and
 * brings one back, see vio_port_queues_start()). The bursts and
 * vio_port_notify_enable() take no lock and allocate nothing; each direction
 * of each queue pair belongs to one lcore at a time. A frontend may go away
 * and another connect at any moment: the bursts then return 0, and a burst
 * never reaches the rings of a connection that is not the port's current one
 * (the port unpublishes the connection and waits for its lcores to leave
 * their bursts before the device is gone, see link_cb). The other functions
 * may be called from any thread but not concurrently on one port.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vio_engine.h"
#include "vio_vhost.h"
#include "vio_vnet.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a port is to the virtio device. */
enum vio_port_role {
	/** Device side: a guest's frontend connects to vio (vhost-user backend). */
	VIO_PORT_ROLE_BACKEND = 0,
	/** Driver side: vio owns the rings and drives a device (what virtio_user does). */
	VIO_PORT_ROLE_FRONTEND,
};

/** Who processes the device side of the rings. */
enum vio_port_driver {
	VIO_PORT_DRIVER_LOCAL = 0, /**< vio's engine in this process (both roles) */
	VIO_PORT_DRIVER_KERNEL,    /**< Linux vhost-net and a TAP (frontend role) */
	VIO_PORT_DRIVER_VDPA,      /**< a vhost-vdpa character device (frontend role) */
	VIO_PORT_DRIVER_REMOTE,    /**< a vhost-user backend process (frontend role) */
};

/** Direction of a queue, from the device's point of view. */
enum vio_port_dir {
	VIO_PORT_DIR_TO_GUEST = 0, /**< the guest's receive queue (enqueue) */
	VIO_PORT_DIR_FROM_GUEST,   /**< the guest's transmit queue (dequeue) */
};

/** Longest socket path, terminating NUL excluded. */
#define VIO_PORT_IFACE_MAX 107

/**
 * Device argument keys, for a PMD's parameter string: a superset of DPDK
 * net_vhost's (22.11) for the backend role and of net_virtio_user's for the
 * frontend role, plus "driver".
 */
#define VIO_PORT_DEVARGS                                                       \
	"iface=<path> queues=<1-16> client=<0|1> iommu-support=<0|1> "         \
	"postcopy-support=<0> tso=<0|1> linear-buffer=<0|1> ext-buffer=<0> "   \
	"legacy-ol-flags=<0> driver=<local|remote|kernel|vdpa> path=<path> "   \
	"server=<0|1> "                                                        \
	"queue_size=<2-32768> mrg_rxbuf=<0|1> in_order=<0|1> packed_vq=<0|1> " \
	"cq=<0|1> mac=<xx:xx:xx:xx:xx:xx> speed=<Mbps> vectorized=<0|1> "      \
	"device=<path> tap=<name>"

/** Default ring size of a frontend port (net_virtio_user's). */
#define VIO_PORT_QUEUE_SIZE_DEFAULT 256

/** A port's configuration, as the device arguments give it. */
struct vio_port_config {
	/**
	 * iface: the Unix socket path (backend role; required there); beside
	 * path= with driver=kernel, the TAP's name (default: the kernel picks
	 * tap%d)
	 */
	char iface[VIO_PORT_IFACE_MAX + 1];
	/**
	 * path: the backend's Unix socket, /dev/vhost-net or /dev/vhost-vdpa-N
	 * (frontend role; required there)
	 */
	char path[VIO_PORT_IFACE_MAX + 1];
	enum vio_port_role role; /**< backend with iface=, frontend with path= */
	/**
	 * driver: local (backend role; frontend role: a backend port of this
	 * process), remote (frontend role), kernel, vdpa (both roles; backend
	 * role: the frontend's rings handed to the device)
	 */
	enum vio_port_driver driver;
	uint16_t nb_queue_pairs; /**< queues: 1 to VIO_VHOST_MAX_QUEUE_PAIRS (default 1) */
	bool client;             /**< client: connect instead of listening */
	bool iommu;              /**< iommu-support: offer VIRTIO_F_ACCESS_PLATFORM */
	bool tso;                /**< tso: offer host and guest TSO (v4 and v6) */
	/**
	 * linear-buffer: the application takes single-segment mbufs only; a
	 * packet from the guest longer than one mbuf of its mempool is dropped
	 * by the consumer of the port (the PMD counts it).
	 */
	bool linear_buffer;
	/* Frontend role (net_virtio_user's keys). */
	bool server;         /**< server: listen on path and wait for the backend */
	uint16_t queue_size; /**< queue_size: ring entries, a power of two (default 256) */
	bool mrg_rxbuf;      /**< mrg_rxbuf: offer VIRTIO_NET_F_MRG_RXBUF (default 1) */
	bool in_order;       /**< in_order: negotiate VIRTIO_F_IN_ORDER when offered */
	bool packed_vq;      /**< packed_vq: negotiate VIRTIO_F_RING_PACKED when offered */
	bool cq;             /**< cq: queue pairs enabled by vio itself either way */
	bool mac_set;        /**< mac given */
	uint8_t mac[6];      /**< mac: the port's address */
	uint32_t speed;      /**< speed: the link speed to report, Mbps (0: 10000) */
	/*
	 * Backend role with driver=kernel or driver=vdpa: the frontend's rings
	 * are handed to the device, which moves the packets (doc/handoff.md).
	 */
	/** device: the vhost character device (kernel: default /dev/vhost-net; vdpa: required) */
	char device[VIO_PORT_IFACE_MAX + 1];
	/** tap: driver=kernel's TAP (default: the kernel picks tap%d) */
	char tap[16];
};

/**
 * Parse device arguments ("key=value,key=value"; NULL or "" for none) into
 * @p cfg, defaults first. Every key must be known and given once, every value
 * in its range; the log line of a refusal names the key, the value and what
 * is accepted.
 *
 * @return 0, or -EINVAL (an unknown or repeated key, a value out of range,
 *   neither iface nor path, a key of the other role), -ENOTSUP (a valid value
 *   for something vio does not do: driver=kernel|vdpa with iface= (the
 *   backend role), postcopy-support=1, ext-buffer=1, legacy-ol-flags=1).
 *
 * Thread safety: any thread.
 */
int vio_port_config_parse(const char *args, struct vio_port_config *cfg);

struct vio_port;

/** Port events; any may be NULL. They run on vio's control thread. */
struct vio_port_ops {
	/**
	 * The link came up (a frontend's device is running) or went down. When
	 * the callback for "down" runs, no lcore is inside a burst on the old
	 * connection any more.
	 */
	void (*link_cb)(struct vio_port *port, bool up, void *ctx);
	/** The frontend enabled or disabled queue @p qp of direction @p dir. */
	void (*queue_state_cb)(struct vio_port *port, uint16_t qp, enum vio_port_dir dir,
			       bool enabled, void *ctx);
};

/**
 * Create a port: check @p cfg, register its socket and the features it
 * offers. Nothing listens or connects before vio_port_start().
 *
 * @param name
 *   For log lines (copied), e.g. the ethdev name.
 * @param cfg
 *   Configuration (copied).
 * @param ops
 *   Events (copied), or NULL.
 * @param ctx
 *   Passed to the events.
 * @return
 *   The port, or NULL with rte_errno: EINVAL (@p cfg), ENOTSUP (a driver or
 *   option vio does not have, or VIO_VHOST_F_IOMMU refused by the vhost
 *   layer), EEXIST (the socket path belongs to another port), ENOMEM.
 *
 * Thread safety: any thread.
 */
struct vio_port *vio_port_create(const char *name, const struct vio_port_config *cfg,
				 const struct vio_port_ops *ops, void *ctx);

/**
 * Backend role: listen on the socket (server) or connect to it (client;
 * retried in the background). Frontend role: reach the device (connect to
 * path, for at most 5 s; with server=1 listen and wait at most 60 s for the
 * backend), negotiate the features, check the queue count.
 *
 * @return 0, or the negative errno of vio_vhost_start() or of the driver
 *   (-ETIMEDOUT, -ECONNREFUSED, -EPROTO, -EINVAL: fewer queue pairs than
 *   queues=, -ENOTSUP: no VIRTIO_F_VERSION_1).
 *
 * Thread safety: any thread but the control thread (no callback).
 */
int vio_port_start(struct vio_port *port);

/**
 * Close the port: the connection (link_cb(down) runs first if it was up),
 * the socket, the socket file. Returns when no callback of the port runs any
 * more, so @p ctx may be freed afterwards. NULL is a no-op.
 *
 * Thread safety: any thread but the control thread; no lcore may burst on
 * the port any more.
 */
void vio_port_free(struct vio_port *port);

/**
 * Frontend role: give the device its rings. The rings of queue pairs 0 to
 * @p nb_qp - 1 (at most queues=) made, the receive rings filled with mbufs
 * of @p rx_mps[queue pair]; then, if the device is there, the memory table
 * (DPDK's memory, which must hold @p rx_mps) and the vrings set up and
 * enabled. A device that goes away and comes back (or a first device that
 * comes after this call) is given the same rings from where the last one
 * left them, and link_cb tells. A backend port: nothing to do (its frontend
 * starts the rings), 0.
 *
 * @return 0, -EINVAL (a mempool missing), -ENOTCONN (the backend is gone),
 *   -ENOMEM, or the negative errno of the driver (the log names the vring).
 *
 * Thread safety: any thread but the control thread; no lcore bursts on the
 * port.
 */
int vio_port_queues_start(struct vio_port *port, struct rte_mempool *const *rx_mps, uint16_t nb_qp,
			  int socket_id);

/**
 * Frontend role: stop every vring (GET_VRING_BASE), free the rings and
 * every mbuf they hold. A backend port: no-op.
 *
 * Thread safety: as vio_port_queues_start().
 */
void vio_port_queues_stop(struct vio_port *port);

/**
 * Frontend role: packets the device sent on queue pair @p qp.
 *
 * @return Packets stored in @p pkts, now the caller's.
 *
 * Thread safety: the lcore that owns the receive queue of @p qp, between
 * vio_port_queues_start() and vio_port_queues_stop() only.
 */
uint16_t vio_port_recv(struct vio_port *port, uint16_t qp, struct rte_mbuf **pkts,
		       uint16_t nb_pkts);

/**
 * Frontend role: post packets to the device on queue pair @p qp. The mbufs
 * taken become the port's; it frees them once the device has used them, in
 * a later call (the caller may read them until its next call on @p qp).
 *
 * @return Packets taken from the start of @p pkts; fewer when the ring is full.
 *
 * Thread safety: as vio_port_recv(), for the transmit queue.
 */
uint16_t vio_port_send(struct vio_port *port, uint16_t qp, struct rte_mbuf **pkts,
		       uint16_t nb_pkts);

/**
 * Frontend role: the counters of queue pair @p qp's receive queue (@p tx
 * false) or transmit queue.
 *
 * @return 0, -EINVAL, -ENODEV (a backend port, or the queues not started).
 *
 * Thread safety: any thread.
 */
int vio_port_frontend_stats_get(const struct vio_port *port, uint16_t qp, bool tx,
				struct vio_vnet_vq_stats *stats);

/** Frontend role: how the device side has fared. */
struct vio_port_frontend_info {
	unsigned int connections; /**< devices the port has had (1, plus one per reconnect) */
	unsigned int mem_regions; /**< regions in the memory table the device has (0: none) */
	/** Changes of DPDK's memory (heap growth or shrinkage) the device was told of. */
	uint64_t mem_updates;
	/**
	 * Changes it could not be told of: the device refused the new table
	 * (then it is dropped and the next one gets the whole table), or
	 * driver=local, which cannot be told while the rings run.
	 */
	uint64_t mem_missed;
};

/**
 * Frontend role: @p info filled in.
 *
 * @return 0, -EINVAL, -ENODEV (a backend port).
 *
 * Thread safety: any thread but the one inside a DPDK memory event callback.
 */
int vio_port_frontend_info_get(const struct vio_port *port, struct vio_port_frontend_info *info);

/** Frontend role: the features negotiated with the device; 0 otherwise. */
uint64_t vio_port_features(const struct vio_port *port);

/** The configuration the port was created with. Thread safety: any thread. */
const struct vio_port_config *vio_port_config_get(const struct vio_port *port);

/** Whether a frontend's device is running. Thread safety: any thread. */
bool vio_port_link_up(const struct vio_port *port);

/**
 * Copy packets into the guest's receive queue of pair @p qp (host to guest).
 *
 * @return Packets copied, from the start of @p pkts (the mbufs stay the
 *   caller's); 0 without a running device or when the queue is not live.
 *
 * Thread safety: the lcore that owns this direction of @p qp.
 */
uint16_t vio_port_enqueue_burst(struct vio_port *port, uint16_t qp, struct rte_mbuf **pkts,
				uint16_t nb_pkts);

/**
 * Take packets from the guest's transmit queue of pair @p qp (guest to host)
 * into mbufs of @p mp.
 *
 * @return Packets stored in @p pkts, now the caller's; 0 without a running
 *   device or when the queue is not live.
 *
 * Thread safety: the lcore that owns this direction of @p qp.
 */
uint16_t vio_port_dequeue_burst(struct vio_port *port, uint16_t qp, struct rte_mempool *mp,
				struct rte_mbuf **pkts, uint16_t nb_pkts);

/**
 * Backend role: vio's counters of one queue over the port's life, every
 * frontend connection it has had (the current one included): they never
 * go back.
 *
 * @return 0, -EINVAL (@p qp out of range), -ENODEV (a frontend port).
 *
 * Thread safety: any thread.
 */
int vio_port_queue_stats_get(const struct vio_port *port, uint16_t qp, enum vio_port_dir dir,
			     struct vio_vq_stats *stats);

/**
 * How many connections the port has had: frontends that connected to a
 * backend port, devices a frontend port reached (1, plus one per reconnect).
 *
 * Thread safety: any thread but the one inside a DPDK memory event callback.
 */
unsigned int vio_port_connections(const struct vio_port *port);

/**
 * MTU the frontend set (VIRTIO_NET_F_MTU), in @p mtu; 0 when it set none.
 *
 * @return 0, or -ENODEV (no connection).
 *
 * Thread safety: any thread.
 */
int vio_port_mtu_get(const struct vio_port *port, uint16_t *mtu);

/**
 * What the application does itself with the packets it receives from the
 * port: VIO_VQ_OFFLOAD_* bits of vio_engine.h (partial checksums left to it,
 * GSO packets taken whole). Without them (the default) vio completes partial
 * checksums and segments GSO packets in software. Applies to the current
 * connection's queues at their next burst and to every later connection. A
 * frontend port takes VIO_VQ_OFFLOAD_RX_CSUM for its receive queues, started
 * or not (VIO_VNET_OFFLOAD_RX_CSUM), and accepts VIO_VQ_OFFLOAD_RX_LRO
 * without effect: it negotiates no GUEST_TSO4/6, so no GSO packet comes.
 *
 * @return 0, or -EINVAL (an unknown bit).
 *
 * Thread safety: any thread.
 */
int vio_port_offloads_set(struct vio_port *port, uint32_t offloads);

/**
 * A copy of the guest's kick eventfd of the guest's transmit queue @p qp,
 * to sleep on (epoll) while the queue is empty. The frontend may replace it
 * when it restarts the ring: take a new one after every link_cb(up) and
 * queue_state_cb(enabled). Frontend role: a copy of the call eventfd of the
 * receive queue of @p qp (the device signals it when it fills a buffer, once
 * vio_port_notify_enable() asked), the same from queues start to stop.
 *
 * @return A new fd the caller must close, or -EINVAL, -ENODEV (no
 *   connection), -ENOENT (the frontend never kicks that queue).
 *
 * Thread safety: any thread.
 */
int vio_port_notify_fd(const struct vio_port *port, uint16_t qp);

/**
 * Ask the guest to kick the transmit queue of pair @p qp after it posts a
 * packet (@p enable true), or to stop kicking. A ring restart drops the
 * request (and is announced by link_cb or queue_state_cb). Frontend role:
 * ask the device to signal the receive queue's call eventfd when it fills a
 * buffer (it is signalled at once when buffers came before the request);
 * the request survives reconnects (the rings stay the same).
 *
 * @return 0, -EINVAL, -ENODEV (no connection or the queue is not live).
 *
 * Thread safety: the lcore that dequeues from @p qp.
 */
int vio_port_notify_enable(struct vio_port *port, uint16_t qp, bool enable);

#ifdef __cplusplus
}
#endif

#endif /* VIO_PORT_H */
