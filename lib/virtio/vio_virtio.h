/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VIRTIO_H
#define VIO_VIRTIO_H

/**
 * @file
 * virtio as code: the ring layouts, the virtio-net feature bits and header.
 *
 * Everything here is a fact of the virtio 1.2 specification (cited by
 * section) written as C types and constants. The ring primitives that operate
 * on these layouts live in private headers of this library (split_ring.h,
 * packed_ring.h) and are shared, inline, by vio's device engine and by vio's
 * frontend role.
 *
 * All multi-byte fields are little-endian (virtio 1.x); vio builds only for
 * little-endian hosts, so the fields are plain integers.
 *
 * Thread safety: types and constants only; vio_virtio_feature_name() is
 * thread-safe.
 */

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#ifdef __cplusplus
extern "C" {
#endif

#if RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN
#error "vio supports little-endian hosts only (virtio 1.x rings are little-endian)"
#endif

/* Device-independent feature bits (virtio 1.2, 6). */
#define VIO_F_NOTIFY_ON_EMPTY    24
#define VIO_F_ANY_LAYOUT         27
#define VIO_F_RING_INDIRECT_DESC 28
#define VIO_F_RING_EVENT_IDX     29
#define VIO_F_PROTOCOL_FEATURES  30 /**< vhost-user only */
#define VIO_F_VERSION_1          32
#define VIO_F_ACCESS_PLATFORM    33
#define VIO_F_RING_PACKED        34
#define VIO_F_IN_ORDER           35
#define VIO_F_ORDER_PLATFORM     36
#define VIO_F_SR_IOV             37
#define VIO_F_NOTIFICATION_DATA  38
#define VIO_F_RING_RESET         40

/* virtio-net feature bits (virtio 1.2, 5.1.3). */
#define VIO_NET_F_CSUM                0
#define VIO_NET_F_GUEST_CSUM          1
#define VIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIO_NET_F_MTU                 3
#define VIO_NET_F_MAC                 5
#define VIO_NET_F_GUEST_TSO4          7
#define VIO_NET_F_GUEST_TSO6          8
#define VIO_NET_F_GUEST_ECN           9
#define VIO_NET_F_GUEST_UFO           10
#define VIO_NET_F_HOST_TSO4           11
#define VIO_NET_F_HOST_TSO6           12
#define VIO_NET_F_HOST_ECN            13
#define VIO_NET_F_HOST_UFO            14
#define VIO_NET_F_MRG_RXBUF           15
#define VIO_NET_F_STATUS              16
#define VIO_NET_F_CTRL_VQ             17
#define VIO_NET_F_CTRL_RX             18
#define VIO_NET_F_CTRL_VLAN           19
#define VIO_NET_F_GUEST_ANNOUNCE      21
#define VIO_NET_F_MQ                  22
#define VIO_NET_F_CTRL_MAC_ADDR       23
#define VIO_NET_F_GSO                 6 /**< legacy */
#define VIO_NET_F_HASH_REPORT         57
#define VIO_NET_F_RSS                 60
#define VIO_NET_F_RSC_EXT             61
#define VIO_NET_F_STANDBY             62
#define VIO_NET_F_SPEED_DUPLEX        63

/** Feature bit @p bit as a mask. */
#define VIO_BIT(bit) (UINT64_C(1) << (bit))

/**
 * The IPv4 address a.b.c.d in host order. DPDK 22.11's RTE_IPV4() shifts an
 * int into its sign bit for a >= 128, which UBSan rejects.
 */
#define VIO_IPV4(a, b, c, d)                                                  \
	((uint32_t)(((uint32_t)(a)&0xff) << 24 | ((uint32_t)(b)&0xff) << 16 | \
		    ((uint32_t)(c)&0xff) << 8 | ((uint32_t)(d)&0xff)))

/* Split ring descriptor flags (virtio 1.2, 2.7.5). */
#define VIO_VRING_DESC_F_NEXT     1
#define VIO_VRING_DESC_F_WRITE    2
#define VIO_VRING_DESC_F_INDIRECT 4

/* Packed ring descriptor flags (virtio 1.2, 2.8.1 and 2.8.6). */
#define VIO_VRING_PACKED_DESC_F_AVAIL (1u << 7)
#define VIO_VRING_PACKED_DESC_F_USED  (1u << 15)

/* Split ring suppression flags (virtio 1.2, 2.7.7 and 2.7.10). */
#define VIO_VRING_AVAIL_F_NO_INTERRUPT 1
#define VIO_VRING_USED_F_NO_NOTIFY     1

/* Packed ring event suppression flags (virtio 1.2, 2.8.10). */
#define VIO_VRING_PACKED_EVENT_FLAG_ENABLE  0x0
#define VIO_VRING_PACKED_EVENT_FLAG_DISABLE 0x1
#define VIO_VRING_PACKED_EVENT_FLAG_DESC    0x2
/** Bit 15 of off_wrap carries the wrap counter of the event offset. */
#define VIO_VRING_PACKED_EVENT_F_WRAP_CTR 15

/** Largest ring a split or packed queue may have (virtio 1.2, 2.7 and 2.8). */
#define VIO_VRING_SIZE_MAX 32768

/** Split ring descriptor (virtio 1.2, 2.7.5). */
struct vio_vring_desc {
	uint64_t addr;  /**< guest address of the buffer */
	uint32_t len;   /**< length in bytes */
	uint16_t flags; /**< VIO_VRING_DESC_F_* */
	uint16_t next;  /**< next descriptor when flags has NEXT */
};

/** Split ring available ring (virtio 1.2, 2.7.6); used_event follows ring[size]. */
struct vio_vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

/** Split ring used element (virtio 1.2, 2.7.8). */
struct vio_vring_used_elem {
	uint32_t id;  /**< head of the used chain */
	uint32_t len; /**< bytes written into the chain's device-writable buffers */
};

/** Split ring used ring (virtio 1.2, 2.7.8); avail_event follows ring[size]. */
struct vio_vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vio_vring_used_elem ring[];
};

/** Packed ring descriptor (virtio 1.2, 2.8.13). */
struct vio_vring_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;    /**< buffer id, valid in the last descriptor of a chain */
	uint16_t flags; /**< VIO_VRING_DESC_F_* and the AVAIL/USED bits */
};

/** Packed ring event suppression structure (virtio 1.2, 2.8.14). */
struct vio_vring_packed_event {
	uint16_t off_wrap; /**< descriptor offset, bit 15 wrap counter */
	uint16_t flags;    /**< VIO_VRING_PACKED_EVENT_FLAG_* */
};

/* Split ring part sizes and alignments (virtio 1.2, 2.7). */
#define VIO_VRING_DESC_ALIGN  16
#define VIO_VRING_AVAIL_ALIGN 2
#define VIO_VRING_USED_ALIGN  4

/** Bytes of the descriptor table of a split ring of @p size entries. */
static inline uint64_t
vio_vring_desc_bytes(uint32_t size)
{
	return (uint64_t)size * sizeof(struct vio_vring_desc);
}

/** Bytes of the avail ring of @p size entries, used_event included. */
static inline uint64_t
vio_vring_avail_bytes(uint32_t size)
{
	return sizeof(struct vio_vring_avail) + (uint64_t)size * sizeof(uint16_t) +
	       sizeof(uint16_t);
}

/** Bytes of the used ring of @p size entries, avail_event included. */
static inline uint64_t
vio_vring_used_bytes(uint32_t size)
{
	return sizeof(struct vio_vring_used) + (uint64_t)size * sizeof(struct vio_vring_used_elem) +
	       sizeof(uint16_t);
}

/** Bytes of the descriptor ring of a packed ring of @p size entries. */
static inline uint64_t
vio_vring_packed_desc_bytes(uint32_t size)
{
	return (uint64_t)size * sizeof(struct vio_vring_packed_desc);
}

/* virtio-net header (virtio 1.2, 5.1.6). */
#define VIO_NET_HDR_F_NEEDS_CSUM 1
#define VIO_NET_HDR_F_DATA_VALID 2
#define VIO_NET_HDR_F_RSC_INFO   4

#define VIO_NET_HDR_GSO_NONE   0
#define VIO_NET_HDR_GSO_TCPV4  1
#define VIO_NET_HDR_GSO_UDP    3
#define VIO_NET_HDR_GSO_TCPV6  4
#define VIO_NET_HDR_GSO_UDP_L4 5
#define VIO_NET_HDR_GSO_ECN    0x80

/** The 10-byte header: legacy devices without VIRTIO_NET_F_MRG_RXBUF. */
struct vio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
} __rte_packed;

/** The 12-byte header: VERSION_1 or MRG_RXBUF negotiated. */
struct vio_net_hdr_mrg {
	struct vio_net_hdr hdr;
	uint16_t num_buffers; /**< receive buffers the packet spans */
} __rte_packed;

/**
 * Size of the net header a device with features @p features puts in front of
 * every packet (virtio 1.2, 5.1.6: 12 bytes with VERSION_1 or MRG_RXBUF).
 */
static inline uint32_t
vio_net_hdr_len(uint64_t features)
{
	if (features & (VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_NET_F_MRG_RXBUF)))
		return sizeof(struct vio_net_hdr_mrg);
	return sizeof(struct vio_net_hdr);
}

/**
 * Name of a feature bit, e.g. "VIRTIO_NET_F_MRG_RXBUF".
 *
 * @param bit
 *   Feature bit number, 0 to 63.
 * @return
 *   A static string; "unknown" for a bit vio does not know.
 */
const char *vio_virtio_feature_name(unsigned int bit);

#ifdef __cplusplus
}
#endif

#endif /* VIO_VIRTIO_H */
