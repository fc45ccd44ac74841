/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_ETHDEV_ABI_H
#define VIO_ETHDEV_ABI_H

/*
 * The part of DPDK 22.11's driver interface (ABI 23.0) that the PMD uses: the
 * fallback for a build without DPDK's own driver headers.
 *
 * Why this file exists: Debian 12's libdpdk-dev installs the application
 * headers only (DPDK was built without enable_driver_sdk), so ethdev_driver.h
 * and bus_vdev_driver.h are missing, yet the driver symbols are exported by
 * the shared libraries (version INTERNAL). The PMD takes those headers from
 * Debian's source package of the installed DPDK when `devtools/setup.sh
 * headers` has cached them (vio_ethdev.h: VIO_HAVE_DRIVER_SDK); without them
 * it needs the layouts below, which this file states from the facts of the
 * installed 22.11 binaries:
 *
 * - every offset asserted below was read off Debian's librte_ethdev.so.23
 *   and librte_bus_vdev.so.23 (22.11.11) by disassembling the public
 *   function that uses the field, e.g. rte_eth_dev_get_mtu() loads the MTU at
 *   0x950 of the device data, rte_eth_dev_set_mtu() calls the op at 0x88 of
 *   the ops table, the vdev bus calls probe at 0x30 of a vdev driver;
 * - the types of the fields before an asserted offset come from the public
 *   headers (struct rte_eth_conf, rte_eth_link, rte_eth_dev_sriov), so a
 *   change there trips an assertion at build time;
 * - the probe checks the same layout once more at run time against the
 *   loaded libraries (vio_ethdev.c: abi_check());
 * - test pmd-ethdev-abi (suite fast) compares every member stated here, its
 *   offset, size and bit, with DPDK's driver headers when the build has them,
 *   and fails on a member missing from its list: test/pmd/ethdev_abi_members.h
 *   changes with this file.
 *
 * Fields the PMD does not touch are opaque padding. Only the ops the PMD
 * sets are typed; the table ends with enough zeroed slots to cover every op
 * 22.11 has (113), so every op vio does not implement reads NULL (-ENOTSUP).
 * The build refuses any DPDK other than 22.11.
 */

#include <stdint.h>
#include <stddef.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_version.h>

#if RTE_VER_YEAR != 22 || RTE_VER_MONTH != 11
#error "drivers/net/vio/ethdev_abi.h describes DPDK 22.11 (ABI 23.0) only"
#endif

/* ------------------------------------------------------------------------ */
/* ethdev                                                                    */
/* ------------------------------------------------------------------------ */

/* The per-port data shared with the application (rte_eth_dev_data). */
struct rte_eth_dev_data {
	char name[RTE_ETH_NAME_MAX_LEN];
	void **rx_queues;
	void **tx_queues;
	uint16_t nb_rx_queues;
	uint16_t nb_tx_queues;
	struct rte_eth_dev_sriov sriov;
	void *dev_private; /* rte_free()d by rte_eth_dev_release_port() */
	struct rte_eth_link dev_link;
	struct rte_eth_conf dev_conf;
	uint16_t mtu;
	uint32_t min_rx_buf_size;
	uint64_t rx_mbuf_alloc_failed;
	struct rte_ether_addr *mac_addrs; /* rte_free()d by rte_eth_dev_release_port() */
	uint64_t mac_pool_sel[RTE_ETH_NUM_RECEIVE_MAC_ADDR];
	struct rte_ether_addr *hash_mac_addrs;
	uint16_t port_id;
	/* The byte at 0xd72, bit 0 first. */
	__extension__ uint8_t promiscuous : 1, scattered_rx : 1, all_multicast : 1, dev_started : 1,
		lro : 1, dev_configured : 1, flow_configured : 1;
	uint8_t rx_queue_state[RTE_MAX_QUEUES_PER_PORT];
	uint8_t tx_queue_state[RTE_MAX_QUEUES_PER_PORT];
	uint32_t dev_flags;
	int numa_node;
	/* Then the VLAN filter, the owner, representor ids, a mutex: not used. */
};

_Static_assert(offsetof(struct rte_eth_dev_data, dev_link) == 0x68, "dev_link");
_Static_assert(offsetof(struct rte_eth_dev_data, mtu) == 0x950, "mtu");
_Static_assert(offsetof(struct rte_eth_dev_data, rx_mbuf_alloc_failed) == 0x958, "alloc_failed");
_Static_assert(offsetof(struct rte_eth_dev_data, mac_addrs) == 0x960, "mac_addrs");
_Static_assert(offsetof(struct rte_eth_dev_data, port_id) == 0xd70, "port_id");
_Static_assert(offsetof(struct rte_eth_dev_data, rx_queue_state) == 0xd73, "rx_queue_state");
_Static_assert(offsetof(struct rte_eth_dev_data, dev_flags) == 0x1574, "dev_flags");
_Static_assert(offsetof(struct rte_eth_dev_data, numa_node) == 0x1578, "numa_node");

/* The per-process half of a port (rte_eth_dev), an element of rte_eth_devices[]. */
struct rte_eth_dev {
	eth_rx_burst_t rx_pkt_burst;
	eth_tx_burst_t tx_pkt_burst;
	eth_tx_prep_t tx_pkt_prepare;
	eth_rx_queue_count_t rx_queue_count;
	eth_rx_descriptor_status_t rx_descriptor_status;
	eth_tx_descriptor_status_t tx_descriptor_status;
	struct rte_eth_dev_data *data;
	void *process_private;
	const struct eth_dev_ops *dev_ops;
	struct rte_device *device;
	struct rte_intr_handle *intr_handle;
	/* Then the callback list, the Rx/Tx callback arrays, the state: not used. */
};

_Static_assert(offsetof(struct rte_eth_dev, data) == 0x30, "data");
_Static_assert(offsetof(struct rte_eth_dev, dev_ops) == 0x40, "dev_ops");
_Static_assert(offsetof(struct rte_eth_dev, device) == 0x48, "device");
_Static_assert(offsetof(struct rte_eth_dev, intr_handle) == 0x50, "intr_handle");

/* The ops table (struct eth_dev_ops), slot by slot up to the last one vio sets. */
struct eth_dev_ops {
	int (*dev_configure)(struct rte_eth_dev *dev);
	int (*dev_start)(struct rte_eth_dev *dev);
	int (*dev_stop)(struct rte_eth_dev *dev);
	void *dev_set_link_up;
	void *dev_set_link_down;
	int (*dev_close)(struct rte_eth_dev *dev);
	void *dev_reset;
	int (*link_update)(struct rte_eth_dev *dev, int wait_to_complete);
	void *is_removed;
	int (*promiscuous_enable)(struct rte_eth_dev *dev);
	int (*promiscuous_disable)(struct rte_eth_dev *dev);
	int (*allmulticast_enable)(struct rte_eth_dev *dev);
	int (*allmulticast_disable)(struct rte_eth_dev *dev);
	void *mac_addr_remove;
	void *mac_addr_add;
	void *mac_addr_set;
	void *set_mc_addr_list;
	int (*mtu_set)(struct rte_eth_dev *dev, uint16_t mtu);
	int (*stats_get)(struct rte_eth_dev *dev, struct rte_eth_stats *stats);
	int (*stats_reset)(struct rte_eth_dev *dev);
	int (*xstats_get)(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n);
	int (*xstats_reset)(struct rte_eth_dev *dev);
	int (*xstats_get_names)(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
				unsigned int size);
	void *queue_stats_mapping_set;
	int (*dev_infos_get)(struct rte_eth_dev *dev, struct rte_eth_dev_info *info);
	void (*rxq_info_get)(struct rte_eth_dev *dev, uint16_t queue_id,
			     struct rte_eth_rxq_info *info);
	void (*txq_info_get)(struct rte_eth_dev *dev, uint16_t queue_id,
			     struct rte_eth_txq_info *info);
	void *rx_burst_mode_get;
	void *tx_burst_mode_get;
	void *fw_version_get;
	void *dev_supported_ptypes_get;
	void *dev_ptypes_set;
	void *vlan_filter_set;
	void *vlan_tpid_set;
	void *vlan_strip_queue_set;
	void *vlan_offload_set;
	void *vlan_pvid_set;
	int (*rx_queue_start)(struct rte_eth_dev *dev, uint16_t queue_id);
	int (*rx_queue_stop)(struct rte_eth_dev *dev, uint16_t queue_id);
	int (*tx_queue_start)(struct rte_eth_dev *dev, uint16_t queue_id);
	int (*tx_queue_stop)(struct rte_eth_dev *dev, uint16_t queue_id);
	int (*rx_queue_setup)(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_desc,
			      unsigned int socket_id, const struct rte_eth_rxconf *conf,
			      struct rte_mempool *mp);
	void (*rx_queue_release)(struct rte_eth_dev *dev, uint16_t queue_id);
	int (*rx_queue_intr_enable)(struct rte_eth_dev *dev, uint16_t queue_id);
	int (*rx_queue_intr_disable)(struct rte_eth_dev *dev, uint16_t queue_id);
	int (*tx_queue_setup)(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_desc,
			      unsigned int socket_id, const struct rte_eth_txconf *conf);
	void (*tx_queue_release)(struct rte_eth_dev *dev, uint16_t queue_id);
	/* Slots 47 to 112 (tx_done_cleanup to cman_config_get), and spare: all NULL. */
	void *unused[81];
};

#define VIO_ABI_OP(op, slot) \
	_Static_assert(offsetof(struct eth_dev_ops, op) == (slot) * sizeof(void *), #op)
VIO_ABI_OP(dev_start, 1);
VIO_ABI_OP(dev_stop, 2);
VIO_ABI_OP(link_update, 7);
VIO_ABI_OP(promiscuous_enable, 9);
VIO_ABI_OP(allmulticast_enable, 11);
VIO_ABI_OP(mtu_set, 17);
VIO_ABI_OP(stats_get, 18);
VIO_ABI_OP(stats_reset, 19);
VIO_ABI_OP(xstats_reset, 21);
VIO_ABI_OP(dev_infos_get, 24);
VIO_ABI_OP(rxq_info_get, 25);
VIO_ABI_OP(rx_queue_start, 37);
VIO_ABI_OP(tx_queue_stop, 40);
VIO_ABI_OP(rx_queue_setup, 41);
VIO_ABI_OP(rx_queue_intr_enable, 43);
VIO_ABI_OP(rx_queue_intr_disable, 44);
VIO_ABI_OP(tx_queue_setup, 45);
_Static_assert(sizeof(struct eth_dev_ops) >= 113 * sizeof(void *), "ops table too short");

/* librte_ethdev, version INTERNAL. */
struct rte_eth_dev *rte_eth_dev_allocate(const char *name);
struct rte_eth_dev *rte_eth_dev_allocated(const char *name);
int rte_eth_dev_release_port(struct rte_eth_dev *dev);
void rte_eth_dev_probing_finish(struct rte_eth_dev *dev);
int rte_eth_dev_callback_process(struct rte_eth_dev *dev, enum rte_eth_event_type event,
				 void *ret_param);
uint16_t rte_eth_pkt_burst_dummy(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts);

/* ------------------------------------------------------------------------ */
/* vdev bus                                                                  */
/* ------------------------------------------------------------------------ */

struct rte_vdev_device;

/* A virtual device: a list link, then its struct rte_device (opaque here). */
#define VIO_ABI_VDEV_DEVICE_OFFSET (2 * sizeof(void *))

static inline struct rte_device *
vio_abi_vdev_to_dev(struct rte_vdev_device *vdev)
{
	return (struct rte_device *)((char *)vdev + VIO_ABI_VDEV_DEVICE_OFFSET);
}

/* The device's name, or NULL: what bus_vdev_driver.h's function of that name returns. */
static inline const char *
rte_vdev_device_name(const struct rte_vdev_device *vdev)
{
	const char *d = (const char *)vdev + VIO_ABI_VDEV_DEVICE_OFFSET;

	return vdev != NULL ? rte_dev_name((const struct rte_device *)d) : NULL;
}

/* A vdev driver (struct rte_vdev_driver): a list link, a struct rte_driver, the ops. */
struct rte_vdev_driver {
	void *next[2];
	struct {
		void *next[2];
		const char *name;
		const char *alias;
	} driver;
	int (*probe)(struct rte_vdev_device *dev);
	int (*remove)(struct rte_vdev_device *dev);
	void *dma_map;
	void *dma_unmap;
	uint32_t drv_flags;
};

_Static_assert(offsetof(struct rte_vdev_driver, probe) == 0x30, "probe");
_Static_assert(offsetof(struct rte_vdev_driver, remove) == 0x38, "remove");
_Static_assert(offsetof(struct rte_vdev_driver, dma_unmap) == 0x48, "dma_unmap");

/* librte_bus_vdev, version INTERNAL. */
void rte_vdev_register(struct rte_vdev_driver *driver);

/*
 * As bus_vdev_driver.h's macro of that name: register drv as driver nm when
 * the PMD is loaded, and name it in the form DPDK's pmdinfogen reads.
 */
#define RTE_PMD_REGISTER_VDEV(nm, drv)           \
	RTE_INIT(vio_abi_register_##nm)          \
	{                                        \
		(drv).driver.name = RTE_STR(nm); \
		rte_vdev_register(&(drv));       \
	}                                        \
	RTE_PMD_EXPORT_NAME(nm, __COUNTER__)

#endif /* VIO_ETHDEV_ABI_H */
