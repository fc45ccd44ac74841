/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_TEST_ETHDEV_ABI_MEMBERS_H
#define VIO_TEST_ETHDEV_ABI_MEMBERS_H

/*
 * Every member of DPDK's driver structures that drivers/net/vio/ethdev_abi.h
 * states, in its order: the one list that test_ethdev_abi.c measures twice,
 * in ethdev_abi_fallback.c (ethdev_abi.h) and in ethdev_abi_real.c (DPDK's
 * ethdev_driver.h and bus_vdev_driver.h), and compares. Change it with
 * ethdev_abi.h: a member of ethdev_abi.h missing here fails the test too.
 *
 * M(type, member): a member both name; B(type, member): a one-bit field;
 * P(type, member): padding that only ethdev_abi.h has.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The structures, each with how ethdev_abi.h's size must compare with DPDK's. */
#define VIO_ABI_TYPES(T)                                                                    \
	T(rte_eth_dev_data, VIO_ABI_PREFIX) /* DPDK's: the PMD reads and writes a prefix */ \
	T(rte_eth_dev, VIO_ABI_PREFIX)                                                      \
	T(eth_dev_ops, VIO_ABI_COVERS) /* the PMD's: DPDK reads every slot DPDK has */      \
	T(rte_vdev_driver, VIO_ABI_COVERS)

#define VIO_ABI_MEMBERS(M, B, P)                  \
	M(rte_eth_dev_data, name)                 \
	M(rte_eth_dev_data, rx_queues)            \
	M(rte_eth_dev_data, tx_queues)            \
	M(rte_eth_dev_data, nb_rx_queues)         \
	M(rte_eth_dev_data, nb_tx_queues)         \
	M(rte_eth_dev_data, sriov)                \
	M(rte_eth_dev_data, dev_private)          \
	M(rte_eth_dev_data, dev_link)             \
	M(rte_eth_dev_data, dev_conf)             \
	M(rte_eth_dev_data, mtu)                  \
	M(rte_eth_dev_data, min_rx_buf_size)      \
	M(rte_eth_dev_data, rx_mbuf_alloc_failed) \
	M(rte_eth_dev_data, mac_addrs)            \
	M(rte_eth_dev_data, mac_pool_sel)         \
	M(rte_eth_dev_data, hash_mac_addrs)       \
	M(rte_eth_dev_data, port_id)              \
	B(rte_eth_dev_data, promiscuous)          \
	B(rte_eth_dev_data, scattered_rx)         \
	B(rte_eth_dev_data, all_multicast)        \
	B(rte_eth_dev_data, dev_started)          \
	B(rte_eth_dev_data, lro)                  \
	B(rte_eth_dev_data, dev_configured)       \
	B(rte_eth_dev_data, flow_configured)      \
	M(rte_eth_dev_data, rx_queue_state)       \
	M(rte_eth_dev_data, tx_queue_state)       \
	M(rte_eth_dev_data, dev_flags)            \
	M(rte_eth_dev_data, numa_node)            \
	M(rte_eth_dev, rx_pkt_burst)              \
	M(rte_eth_dev, tx_pkt_burst)              \
	M(rte_eth_dev, tx_pkt_prepare)            \
	M(rte_eth_dev, rx_queue_count)            \
	M(rte_eth_dev, rx_descriptor_status)      \
	M(rte_eth_dev, tx_descriptor_status)      \
	M(rte_eth_dev, data)                      \
	M(rte_eth_dev, process_private)           \
	M(rte_eth_dev, dev_ops)                   \
	M(rte_eth_dev, device)                    \
	M(rte_eth_dev, intr_handle)               \
	M(eth_dev_ops, dev_configure)             \
	M(eth_dev_ops, dev_start)                 \
	M(eth_dev_ops, dev_stop)                  \
	M(eth_dev_ops, dev_set_link_up)           \
	M(eth_dev_ops, dev_set_link_down)         \
	M(eth_dev_ops, dev_close)                 \
	M(eth_dev_ops, dev_reset)                 \
	M(eth_dev_ops, link_update)               \
	M(eth_dev_ops, is_removed)                \
	M(eth_dev_ops, promiscuous_enable)        \
	M(eth_dev_ops, promiscuous_disable)       \
	M(eth_dev_ops, allmulticast_enable)       \
	M(eth_dev_ops, allmulticast_disable)      \
	M(eth_dev_ops, mac_addr_remove)           \
	M(eth_dev_ops, mac_addr_add)              \
	M(eth_dev_ops, mac_addr_set)              \
	M(eth_dev_ops, set_mc_addr_list)          \
	M(eth_dev_ops, mtu_set)                   \
	M(eth_dev_ops, stats_get)                 \
	M(eth_dev_ops, stats_reset)               \
	M(eth_dev_ops, xstats_get)                \
	M(eth_dev_ops, xstats_reset)              \
	M(eth_dev_ops, xstats_get_names)          \
	M(eth_dev_ops, queue_stats_mapping_set)   \
	M(eth_dev_ops, dev_infos_get)             \
	M(eth_dev_ops, rxq_info_get)              \
	M(eth_dev_ops, txq_info_get)              \
	M(eth_dev_ops, rx_burst_mode_get)         \
	M(eth_dev_ops, tx_burst_mode_get)         \
	M(eth_dev_ops, fw_version_get)            \
	M(eth_dev_ops, dev_supported_ptypes_get)  \
	M(eth_dev_ops, dev_ptypes_set)            \
	M(eth_dev_ops, vlan_filter_set)           \
	M(eth_dev_ops, vlan_tpid_set)             \
	M(eth_dev_ops, vlan_strip_queue_set)      \
	M(eth_dev_ops, vlan_offload_set)          \
	M(eth_dev_ops, vlan_pvid_set)             \
	M(eth_dev_ops, rx_queue_start)            \
	M(eth_dev_ops, rx_queue_stop)             \
	M(eth_dev_ops, tx_queue_start)            \
	M(eth_dev_ops, tx_queue_stop)             \
	M(eth_dev_ops, rx_queue_setup)            \
	M(eth_dev_ops, rx_queue_release)          \
	M(eth_dev_ops, rx_queue_intr_enable)      \
	M(eth_dev_ops, rx_queue_intr_disable)     \
	M(eth_dev_ops, tx_queue_setup)            \
	M(eth_dev_ops, tx_queue_release)          \
	P(eth_dev_ops, unused)                    \
	M(rte_vdev_driver, next)                  \
	M(rte_vdev_driver, driver)                \
	M(rte_vdev_driver, driver.next)           \
	M(rte_vdev_driver, driver.name)           \
	M(rte_vdev_driver, driver.alias)          \
	M(rte_vdev_driver, probe)                 \
	M(rte_vdev_driver, remove)                \
	M(rte_vdev_driver, dma_map)               \
	M(rte_vdev_driver, dma_unmap)             \
	M(rte_vdev_driver, drv_flags)

enum vio_abi_rule {
	VIO_ABI_PREFIX, /* ethdev_abi.h's size <= DPDK's */
	VIO_ABI_COVERS, /* ethdev_abi.h's size >= DPDK's */
};

struct vio_abi_member {
	const char *type;
	const char *member;
	size_t offset;  /* a bit field: of the byte that holds it */
	size_t size;    /* a bit field: 1 */
	size_t align;   /* of the member's type; a bit field: 1 */
	uint8_t bit;    /* a bit field: its mask in that byte (0: not found), else 0 */
	bool bit_field; /* B() */
	bool only_here; /* P(): ethdev_abi.h's padding */
};

struct vio_abi_type {
	const char *type;
	size_t size;
	size_t align;
	enum vio_abi_rule rule;
};

/* One layout as one compiler saw it. */
struct vio_abi_layout {
	const struct vio_abi_member *members;
	unsigned int nb_members;
	const struct vio_abi_type *types;
	unsigned int nb_types;
	/* offsetof(struct rte_vdev_device, device): a struct ethdev_abi.h keeps opaque */
	size_t vdev_device_offset;
};

/* ethdev_abi_fallback.c: ethdev_abi.h's. */
void vio_abi_layout_fallback(struct vio_abi_layout *layout);
/* ethdev_abi_real.c: DPDK's driver headers'. */
void vio_abi_layout_real(struct vio_abi_layout *layout);

/*
 * For both: the offset and mask of the only bit set in obj (a bit field set
 * to 1 in a zeroed struct); bit 0 when not exactly one bit is set.
 */
static inline void
vio_abi_bit_place(struct vio_abi_member *m, const void *obj, size_t size)
{
	const uint8_t *p = obj;
	unsigned int nb_set = 0;
	size_t i;

	m->bit = 0;
	for (i = 0; i < size; i++) {
		if (p[i] == 0)
			continue;
		nb_set += (p[i] & (p[i] - 1)) == 0 ? 1 : 2;
		m->offset = i;
		m->bit = p[i];
	}
	if (nb_set != 1)
		m->bit = 0;
}

#endif /* VIO_TEST_ETHDEV_ABI_MEMBERS_H */
