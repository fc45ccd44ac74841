/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * net_vio: probe and remove of the vdev, the control ops, and the port's
 * events turned into ethdev events (RTE_ETH_EVENT_INTR_LSC when the
 * application asked for LSC interrupts, RTE_ETH_EVENT_QUEUE_STATE always).
 *
 * Like DPDK's net_vhost, a backend port (iface=) listens (or connects) from
 * probe to close: a frontend may connect before the application starts the
 * port, and need not go away when it is stopped. Like DPDK's
 * net_virtio_user, a frontend port (path=) reaches its backend at probe
 * (features negotiated, queue count checked) and gives it the rings at
 * dev_start; dev_stop takes them back.
 */

#include <errno.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_version.h>

#include "vio_ethdev.h"
#include "vio_virtio.h"

RTE_LOG_REGISTER(vio_pmd_logtype, pmd.net.vio, INFO);

#define VIO_PMD_NAME "net_vio"

/* A nominal speed: a vhost-user link has none (net_vhost reports the same). */
#define VIO_PMD_SPEED RTE_ETH_SPEED_NUM_10G

static const struct eth_dev_ops vio_pmd_ops;

static uint32_t
pmd_speed(const struct rte_eth_dev *dev)
{
	const struct vio_pmd *pmd = dev->data->dev_private;
	uint32_t speed = pmd != NULL && pmd->port != NULL ? vio_port_config_get(pmd->port)->speed
							  : 0;

	return speed != 0 ? speed : VIO_PMD_SPEED;
}

static void
link_set(struct rte_eth_dev *dev, bool up, struct rte_eth_link *old)
{
	union {
		struct rte_eth_link link;
		uint64_t u64;
	} v = { .link = {
			.link_speed = up ? pmd_speed(dev) : RTE_ETH_SPEED_NUM_NONE,
			.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
			.link_autoneg = RTE_ETH_LINK_FIXED,
			.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
		} };
	union {
		struct rte_eth_link link;
		uint64_t u64;
	} o;

	_Static_assert(sizeof(struct rte_eth_link) == sizeof(uint64_t), "rte_eth_link");
	/* ethdev reads the link as one 64-bit word (rte_eth_link_get_nowait). */
	o.u64 = __atomic_exchange_n((uint64_t *)&dev->data->dev_link, v.u64, __ATOMIC_SEQ_CST);
	if (old != NULL)
		*old = o.link;
}

/* ------------------------------------------------------------------------ */
/* Port events (vio's control thread)                                        */
/* ------------------------------------------------------------------------ */

static void
pmd_link_cb(struct vio_port *port, bool up, void *ctx)
{
	struct vio_pmd *pmd = ctx;
	struct rte_eth_dev *dev = pmd->eth_dev;
	struct rte_eth_link old;
	uint16_t mtu = 0, q;

	RTE_SET_USED(port);
	pthread_mutex_lock(&pmd->lock);
	link_set(dev, up, &old);
	if (up) {
		for (q = 0; q < dev->data->nb_rx_queues; q++)
			vio_pmd_intr_refresh_locked(pmd, q);
		if (vio_port_mtu_get(pmd->port, &mtu) == 0 && mtu != 0 && dev->data->mtu > mtu)
			PMD_LOG(WARNING, "%s: the frontend's MTU is %u, the port's %u",
				dev->data->name, mtu, dev->data->mtu);
	}
	pthread_mutex_unlock(&pmd->lock);
	PMD_LOG(INFO, "%s: link %s", dev->data->name, up ? "up" : "down");
	if (old.link_status != (up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN) &&
	    dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

static void
pmd_queue_state_cb(struct vio_port *port, uint16_t qp, enum vio_port_dir dir, bool enabled,
		   void *ctx)
{
	struct vio_pmd *pmd = ctx;
	struct rte_eth_dev *dev = pmd->eth_dev;

	RTE_SET_USED(port);
	PMD_LOG(INFO, "%s: %s queue %u %s", dev->data->name,
		dir == VIO_PORT_DIR_FROM_GUEST ? "rx" : "tx", qp, enabled ? "enabled" : "disabled");
	if (dir == VIO_PORT_DIR_FROM_GUEST && enabled) {
		pthread_mutex_lock(&pmd->lock);
		vio_pmd_intr_refresh_locked(pmd, qp);
		pthread_mutex_unlock(&pmd->lock);
	}
	rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_QUEUE_STATE, NULL);
}

static const struct vio_port_ops pmd_port_ops = {
	.link_cb = pmd_link_cb,
	.queue_state_cb = pmd_queue_state_cb,
};

/* ------------------------------------------------------------------------ */
/* Ops (application control thread)                                          */
/* ------------------------------------------------------------------------ */

/*
 * The receive offload contract: what the application enabled it finishes
 * itself; vio does the rest in software (doc/pmd.md, "Offloads").
 */
static int
pmd_configure(struct rte_eth_dev *dev)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	uint64_t rx = dev->data->dev_conf.rxmode.offloads;
	uint32_t offloads = 0;

	if (rx & (RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM))
		offloads |= VIO_VQ_OFFLOAD_RX_CSUM;
	if (rx & RTE_ETH_RX_OFFLOAD_TCP_LRO)
		offloads |= VIO_VQ_OFFLOAD_RX_LRO;
	return vio_port_offloads_set(pmd->port, offloads);
}

static void
queue_states_set(struct rte_eth_dev *dev, uint8_t state)
{
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = state;
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = state;
}

/* A frontend port gives the device its rings now, with the mempools of the Rx queues. */
static int
frontend_start(struct rte_eth_dev *dev)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	struct rte_mempool *mps[VIO_PMD_MAX_QUEUES];
	uint16_t q, nb = dev->data->nb_rx_queues;
	int ret;

	if (dev->data->nb_tx_queues != nb) {
		PMD_LOG(ERR, "%s: %u Rx and %u Tx queues: a frontend port drives queue pairs",
			dev->data->name, nb, dev->data->nb_tx_queues);
		return -EINVAL;
	}
	for (q = 0; q < nb; q++) {
		const struct vio_rxq *rxq = dev->data->rx_queues[q];

		if (rxq == NULL || dev->data->tx_queues[q] == NULL) {
			PMD_LOG(ERR, "%s: queue %u is not set up", dev->data->name, q);
			return -EINVAL;
		}
		mps[q] = rxq->mp;
	}
	ret = vio_port_queues_start(pmd->port, mps, nb, dev->data->numa_node);
	/* Up now, or when the backend is back (the port's link_cb then says so). */
	if (ret == 0)
		link_set(dev, vio_port_link_up(pmd->port), NULL);
	return ret;
}

static int
pmd_start(struct rte_eth_dev *dev)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	int ret;

	if (pmd->frontend) {
		ret = frontend_start(dev);
		if (ret < 0)
			return ret;
	}
	pthread_mutex_lock(&pmd->lock);
	ret = vio_pmd_intr_start_locked(pmd);
	if (ret == 0) {
		pmd->started = true;
		queue_states_set(dev, RTE_ETH_QUEUE_STATE_STARTED);
	}
	pthread_mutex_unlock(&pmd->lock);
	return ret;
}

static int
pmd_stop(struct rte_eth_dev *dev)
{
	struct vio_pmd *pmd = dev->data->dev_private;

	/* ethdev has pointed the bursts at dummies: no lcore is in ours any more. */
	pthread_mutex_lock(&pmd->lock);
	vio_pmd_intr_stop_locked(pmd);
	pmd->started = false;
	queue_states_set(dev, RTE_ETH_QUEUE_STATE_STOPPED);
	pthread_mutex_unlock(&pmd->lock);
	if (pmd->frontend) {
		vio_port_queues_stop(pmd->port);
		link_set(dev, false, NULL);
	}
	return 0;
}

static void
pmd_rx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id)
{
	rte_free(dev->data->rx_queues[queue_id]);
	dev->data->rx_queues[queue_id] = NULL;
}

static void
pmd_tx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id)
{
	rte_free(dev->data->tx_queues[queue_id]);
	dev->data->tx_queues[queue_id] = NULL;
}

static int
pmd_close(struct rte_eth_dev *dev)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	uint16_t i;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY || pmd == NULL)
		return 0;
	if (pmd->started)
		pmd_stop(dev);
	/* Closes the connection (link down runs, under no lock of ours) and the socket. */
	vio_port_free(pmd->port);
	pmd->port = NULL;
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		pmd_rx_queue_release(dev, i);
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		pmd_tx_queue_release(dev, i);
	rte_intr_instance_free(dev->intr_handle);
	dev->intr_handle = NULL;
	pthread_mutex_destroy(&pmd->lock);
	/* dev_private and mac_addrs are rte_free()d by rte_eth_dev_release_port(). */
	return 0;
}

static int
pmd_link_update(struct rte_eth_dev *dev, int wait_to_complete)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	struct rte_eth_link old;
	bool up = vio_port_link_up(pmd->port);

	RTE_SET_USED(wait_to_complete);
	pmd->link_updates++;
	link_set(dev, up, &old);
	return old.link_status == (up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN) ? -1 : 0;
}

/* A vhost-user port takes every frame the guest sends: the modes are accepted as they are. */
static int
pmd_rx_mode_accept(struct rte_eth_dev *dev)
{
	RTE_SET_USED(dev);
	return 0;
}

static int
pmd_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	uint16_t peer = 0;

	/* The guest's MTU (VIRTIO_NET_F_MTU) bounds what it takes; vio does not enforce it. */
	if (vio_port_mtu_get(pmd->port, &peer) == 0 && peer != 0 && mtu > peer) {
		PMD_LOG(ERR, "%s: MTU %u: larger than the frontend's MTU %u", dev->data->name, mtu,
			peer);
		return -EINVAL;
	}
	return 0;
}

static int
pmd_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	const struct vio_port_config *cfg = vio_port_config_get(pmd->port);

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = VIO_VQ_PKT_LEN_MAX;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = UINT16_MAX - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
	info->max_rx_queues = cfg->nb_queue_pairs;
	info->max_tx_queues = cfg->nb_queue_pairs;
	info->min_rx_bufsize = 0;
	if (pmd->frontend) {
		uint64_t f = vio_port_features(pmd->port);

		/*
		 * What the device negotiated, nothing more (doc/pmd.md, "Offloads
		 * of frontend ports"): Rx partial checksums reported, or completed
		 * when not enabled; Tx checksums and TSO in the net header. No
		 * TCP_LRO: GUEST_TSO4/6 are not negotiated (the features are fixed
		 * at probe, before the application says whether it takes LRO).
		 */
		info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER;
		if (f & VIO_BIT(VIO_NET_F_GUEST_CSUM))
			info->rx_offload_capa |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
						 RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
		info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		if (f & VIO_BIT(VIO_NET_F_CSUM))
			info->tx_offload_capa |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
						 RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		if ((f & VIO_BIT(VIO_NET_F_CSUM)) && (f & VIO_BIT(VIO_NET_F_HOST_TSO4)) &&
		    (f & VIO_BIT(VIO_NET_F_HOST_TSO6)))
			info->tx_offload_capa |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
		info->speed_capa = RTE_ETH_LINK_SPEED_FIXED;
		/*
		 * The rings are the port's: queue_size= entries, whatever nb_desc
		 * asks (any is accepted, as net_virtio_user does).
		 */
		info->rx_desc_lim.nb_max = UINT16_MAX;
		info->tx_desc_lim.nb_max = UINT16_MAX;
		/* A chain and its net header in one ring chain (rte_eth_tx_prepare checks). */
		info->tx_desc_lim.nb_seg_max = VIO_VNET_TX_SEGS_MAX;
		info->tx_desc_lim.nb_mtu_seg_max = VIO_VNET_TX_SEGS_MAX;
		info->default_rxportconf.ring_size = cfg->queue_size;
		info->default_txportconf.ring_size = cfg->queue_size;
		info->dev_capa = 0;
		return 0;
	}
	/* A packet longer than an mbuf is chained (unless linear-buffer=1 drops it). */
	/*
	 * Receive: partial checksums reported, or completed when not enabled;
	 * the guest's GSO packets (tso=1) whole with LRO, or segmented.
	 */
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
				RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	if (cfg->tso)
		info->rx_offload_capa |= RTE_ETH_RX_OFFLOAD_TCP_LRO;
	/* Transmit: in the net header when the guest accepts it, else in software. */
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
				RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
				RTE_ETH_TX_OFFLOAD_TCP_TSO;
	info->speed_capa = RTE_ETH_LINK_SPEED_10G;
	info->rx_desc_lim.nb_max = UINT16_MAX;
	info->tx_desc_lim.nb_max = UINT16_MAX;
	info->dev_capa = 0;
	return 0;
}

static int
pmd_rx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_desc,
		   unsigned int socket_id, const struct rte_eth_rxconf *conf,
		   struct rte_mempool *mp)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	struct vio_rxq *q;

	/* The ring is the guest's: its size is the frontend's, not nb_desc. */
	RTE_SET_USED(nb_desc);
	RTE_SET_USED(conf);
	pmd_rx_queue_release(dev, queue_id);
	q = rte_zmalloc_socket("vio_rxq", sizeof(*q), RTE_CACHE_LINE_SIZE, (int)socket_id);
	if (q == NULL)
		return -ENOMEM;
	q->port = pmd->port;
	q->mp = mp;
	q->qp = queue_id;
	q->port_id = dev->data->port_id;
	q->linear = vio_port_config_get(pmd->port)->linear_buffer;
	dev->data->rx_queues[queue_id] = q;
	memset(&pmd->rx_base[queue_id], 0, sizeof(pmd->rx_base[queue_id]));
	return 0;
}

static int
pmd_tx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_desc,
		   unsigned int socket_id, const struct rte_eth_txconf *conf)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	struct vio_txq *q;

	RTE_SET_USED(nb_desc);
	RTE_SET_USED(conf);
	pmd_tx_queue_release(dev, queue_id);
	q = rte_zmalloc_socket("vio_txq", sizeof(*q), RTE_CACHE_LINE_SIZE, (int)socket_id);
	if (q == NULL)
		return -ENOMEM;
	q->port = pmd->port;
	q->qp = queue_id;
	q->frontend = pmd->frontend;
	dev->data->tx_queues[queue_id] = q;
	memset(&pmd->tx_base[queue_id], 0, sizeof(pmd->tx_base[queue_id]));
	return 0;
}

/* Per-queue start and stop: the queue's state only (a stopped queue is not polled by ethdev). */
static int
pmd_rx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id)
{
	dev->data->rx_queue_state[queue_id] = RTE_ETH_QUEUE_STATE_STARTED;
	return 0;
}

static int
pmd_rx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id)
{
	dev->data->rx_queue_state[queue_id] = RTE_ETH_QUEUE_STATE_STOPPED;
	return 0;
}

static int
pmd_tx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id)
{
	dev->data->tx_queue_state[queue_id] = RTE_ETH_QUEUE_STATE_STARTED;
	return 0;
}

static int
pmd_tx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id)
{
	dev->data->tx_queue_state[queue_id] = RTE_ETH_QUEUE_STATE_STOPPED;
	return 0;
}

static void
pmd_rxq_info_get(struct rte_eth_dev *dev, uint16_t queue_id, struct rte_eth_rxq_info *info)
{
	const struct vio_rxq *q = dev->data->rx_queues[queue_id];

	const struct vio_pmd *pmd = dev->data->dev_private;

	info->mp = q->mp;
	info->scattered_rx = 1;
	/* A backend port's ring is the guest's; a frontend port's its own. */
	info->nb_desc = pmd->frontend ? vio_port_config_get(pmd->port)->queue_size : 0;
}

static void
pmd_txq_info_get(struct rte_eth_dev *dev, uint16_t queue_id, struct rte_eth_txq_info *info)
{
	const struct vio_pmd *pmd = dev->data->dev_private;

	RTE_SET_USED(queue_id);
	info->nb_desc = pmd->frontend ? vio_port_config_get(pmd->port)->queue_size : 0;
}

static const struct eth_dev_ops vio_pmd_ops = {
	.dev_configure = pmd_configure,
	.dev_start = pmd_start,
	.dev_stop = pmd_stop,
	.dev_close = pmd_close,
	.link_update = pmd_link_update,
	.promiscuous_enable = pmd_rx_mode_accept,
	.promiscuous_disable = pmd_rx_mode_accept,
	.allmulticast_enable = pmd_rx_mode_accept,
	.allmulticast_disable = pmd_rx_mode_accept,
	.mtu_set = pmd_mtu_set,
	.stats_get = vio_pmd_stats_get,
	.stats_reset = vio_pmd_stats_reset,
	.xstats_get = vio_pmd_xstats_get,
	.xstats_reset = vio_pmd_xstats_reset,
	.xstats_get_names = vio_pmd_xstats_get_names,
	.dev_infos_get = pmd_infos_get,
	.rxq_info_get = pmd_rxq_info_get,
	.txq_info_get = pmd_txq_info_get,
	.rx_queue_start = pmd_rx_queue_start,
	.rx_queue_stop = pmd_rx_queue_stop,
	.tx_queue_start = pmd_tx_queue_start,
	.tx_queue_stop = pmd_tx_queue_stop,
	.rx_queue_setup = pmd_rx_queue_setup,
	.rx_queue_release = pmd_rx_queue_release,
	.rx_queue_intr_enable = vio_pmd_rx_intr_enable,
	.rx_queue_intr_disable = vio_pmd_rx_intr_disable,
	.tx_queue_setup = pmd_tx_queue_setup,
	.tx_queue_release = pmd_tx_queue_release,
};

/* ------------------------------------------------------------------------ */
/* Probe and remove                                                          */
/* ------------------------------------------------------------------------ */

/*
 * The layouts the PMD was built with (DPDK's driver headers or ethdev_abi.h)
 * against the loaded DPDK, through public calls that read the fields the PMD
 * writes: a mismatch (another DPDK than the one the PMD was built for)
 * refuses the port instead of corrupting memory.
 */
static int
abi_check(struct rte_eth_dev *dev)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	struct rte_ether_addr mac;
	struct rte_eth_link link;
	unsigned int calls;
	uint16_t port_id;

	if (strncmp(rte_version(), "DPDK 22.11", strlen("DPDK 22.11")) != 0)
		goto bad;
	if (rte_eth_dev_get_port_by_name(dev->data->name, &port_id) != 0 ||
	    port_id != dev->data->port_id)
		goto bad;
	if (rte_eth_macaddr_get(port_id, &mac) != 0 ||
	    !rte_is_same_ether_addr(&mac, &dev->data->mac_addrs[0]))
		goto bad;
	if (rte_eth_dev_socket_id(port_id) != dev->data->numa_node)
		goto bad;
	/* Without LSC interrupts configured, ethdev asks the link_update op (slot 7). */
	calls = pmd->link_updates;
	if (rte_eth_link_get_nowait(port_id, &link) != 0 || pmd->link_updates != calls + 1 ||
	    link.link_status != RTE_ETH_LINK_DOWN)
		goto bad;
	return 0;
bad:
	PMD_LOG(ERR,
		"%s: this " VIO_PMD_NAME " was built for DPDK 22.11 (ABI 23.0) and does not "
		"match the loaded %s",
		dev->data->name, rte_version());
	return -ENOTSUP;
}

static const char *
vdev_args(struct rte_device *d)
{
	const struct rte_devargs *da = rte_dev_devargs(d);

	return da != NULL && da->args != NULL ? da->args : "";
}

static int
vio_pmd_probe(struct rte_vdev_device *vdev)
{
	struct rte_device *d = vio_pmd_vdev_device(vdev);
	const char *name = rte_vdev_device_name(vdev);
	struct vio_port_config cfg;
	struct rte_eth_dev *dev;
	struct vio_pmd *pmd;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		PMD_LOG(ERR, "%s: secondary processes are not supported", name);
		return -ENOTSUP;
	}
	ret = vio_port_config_parse(vdev_args(d), &cfg);
	if (ret < 0) {
		PMD_LOG(ERR, "%s: bad device arguments \"%s\"", name, vdev_args(d));
		return ret;
	}
	dev = rte_eth_dev_allocate(name);
	if (dev == NULL)
		return -ENOMEM;
	/* From here on rte_eth_dev_release_port() frees dev_private and mac_addrs. */
	pmd = rte_zmalloc_socket(name, sizeof(*pmd), RTE_CACHE_LINE_SIZE, rte_dev_numa_node(d));
	if (pmd == NULL) {
		ret = -ENOMEM;
		goto err_release;
	}
	dev->data->dev_private = pmd;
	pmd->eth_dev = dev;
	pthread_mutex_init(&pmd->lock, NULL);
	dev->data->mac_addrs = rte_zmalloc_socket(name, sizeof(struct rte_ether_addr), 0,
						  rte_dev_numa_node(d));
	dev->intr_handle = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (dev->data->mac_addrs == NULL || dev->intr_handle == NULL) {
		ret = -ENOMEM;
		goto err_release;
	}
	pmd->port = vio_port_create(name, &cfg, &pmd_port_ops, pmd);
	if (pmd->port == NULL) {
		ret = -rte_errno;
		goto err_release;
	}
	/* mac= (frontend ports), else locally administered, "vio" and the port id. */
	if (cfg.mac_set)
		memcpy(dev->data->mac_addrs[0].addr_bytes, cfg.mac, RTE_ETHER_ADDR_LEN);
	else
		dev->data->mac_addrs[0] = (struct rte_ether_addr){
			{ 0x02, 'v', 'i', 'o', (uint8_t)(dev->data->port_id >> 8),
			  (uint8_t)dev->data->port_id }
		};
	pmd->frontend = cfg.role == VIO_PORT_ROLE_FRONTEND;
	dev->data->dev_flags = RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->data->numa_node = rte_dev_numa_node(d);
	link_set(dev, false, NULL);
	dev->device = d;
	dev->dev_ops = &vio_pmd_ops;
	dev->rx_pkt_burst = pmd->frontend ? vio_pmd_fe_rx_burst : vio_pmd_rx_burst;
	dev->tx_pkt_burst = pmd->frontend ? vio_pmd_fe_tx_burst : vio_pmd_tx_burst;
	dev->tx_pkt_prepare = vio_pmd_tx_prepare;
	rte_eth_dev_probing_finish(dev);

	ret = abi_check(dev);
	if (ret == 0)
		ret = vio_port_start(pmd->port);
	if (ret < 0) {
		rte_eth_dev_close(dev->data->port_id);
		return ret;
	}
	if (pmd->frontend)
		PMD_LOG(INFO,
			"%s: port %u, frontend of the backend at path %s (%s), %u queue pair%s "
			"of %u entries",
			name, dev->data->port_id, cfg.path, cfg.server ? "server" : "client",
			cfg.nb_queue_pairs, cfg.nb_queue_pairs > 1 ? "s" : "", cfg.queue_size);
	else
		PMD_LOG(INFO, "%s: port %u, iface %s (%s), %u queue pair%s", name,
			dev->data->port_id, cfg.iface, cfg.client ? "client" : "server",
			cfg.nb_queue_pairs, cfg.nb_queue_pairs > 1 ? "s" : "");
	return 0;

err_release:
	rte_intr_instance_free(dev->intr_handle);
	dev->intr_handle = NULL;
	if (pmd != NULL)
		pthread_mutex_destroy(&pmd->lock);
	rte_eth_dev_release_port(dev);
	return ret;
}

static int
vio_pmd_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0; /* closed already */
	/* Hot-unplug of a running port: ethdev closes stopped ports only. */
	if (dev->data->dev_started)
		rte_eth_dev_stop(dev->data->port_id);
	return rte_eth_dev_close(dev->data->port_id);
}

static struct rte_vdev_driver vio_pmd_driver = {
	.probe = vio_pmd_probe,
	.remove = vio_pmd_remove,
};

/* Registered at load time as VIO_PMD_NAME; the name and arguments in pmdinfogen's form. */
RTE_PMD_REGISTER_VDEV(net_vio, vio_pmd_driver);
RTE_PMD_REGISTER_PARAM_STRING(net_vio, VIO_PORT_DEVARGS);
