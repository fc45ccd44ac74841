/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VHOST_USER_PROTO_H
#define VIO_VHOST_USER_PROTO_H

/*
 * The vhost-user protocol as data: request numbers, flags, protocol feature
 * bits and payload layouts, from QEMU's docs/interop/vhost-user.rst (the
 * specification of the protocol). Shared by the backend role (server) and
 * the frontend role (remote driver); no code here.
 */

#include <stdint.h>

#include <rte_common.h>

#include "vio_vhost_user.h"

/* Header flags. */
#define VHOST_USER_VERSION         0x1
#define VHOST_USER_VERSION_MASK    0x3
#define VHOST_USER_FLAG_REPLY      (1u << 2)
#define VHOST_USER_FLAG_NEED_REPLY (1u << 3)

/* Most fds one message carries. */
#define VHOST_USER_MAX_FDS 8
/* Regions of SET_MEM_TABLE. */
#define VHOST_USER_MEM_REGIONS_MAX 8
/* Largest config space transfer (GET/SET_CONFIG). */
#define VHOST_USER_CONFIG_MAX 256
/* Vring index and the "no fd" bit of SET_VRING_KICK/CALL/ERR. */
#define VHOST_USER_VRING_IDX_MASK 0xff
#define VHOST_USER_VRING_NOFD     (1u << 8)

/* Frontend to backend requests; X(name, number). */
#define VHOST_USER_REQUESTS(X)       \
	X(GET_FEATURES, 1)           \
	X(SET_FEATURES, 2)           \
	X(SET_OWNER, 3)              \
	X(RESET_OWNER, 4)            \
	X(SET_MEM_TABLE, 5)          \
	X(SET_LOG_BASE, 6)           \
	X(SET_LOG_FD, 7)             \
	X(SET_VRING_NUM, 8)          \
	X(SET_VRING_ADDR, 9)         \
	X(SET_VRING_BASE, 10)        \
	X(GET_VRING_BASE, 11)        \
	X(SET_VRING_KICK, 12)        \
	X(SET_VRING_CALL, 13)        \
	X(SET_VRING_ERR, 14)         \
	X(GET_PROTOCOL_FEATURES, 15) \
	X(SET_PROTOCOL_FEATURES, 16) \
	X(GET_QUEUE_NUM, 17)         \
	X(SET_VRING_ENABLE, 18)      \
	X(SEND_RARP, 19)             \
	X(NET_SET_MTU, 20)           \
	X(SET_BACKEND_REQ_FD, 21)    \
	X(IOTLB_MSG, 22)             \
	X(SET_VRING_ENDIAN, 23)      \
	X(GET_CONFIG, 24)            \
	X(SET_CONFIG, 25)            \
	X(CREATE_CRYPTO_SESSION, 26) \
	X(CLOSE_CRYPTO_SESSION, 27)  \
	X(POSTCOPY_ADVISE, 28)       \
	X(POSTCOPY_LISTEN, 29)       \
	X(POSTCOPY_END, 30)          \
	X(GET_INFLIGHT_FD, 31)       \
	X(SET_INFLIGHT_FD, 32)       \
	X(GPU_SET_SOCKET, 33)        \
	X(RESET_DEVICE, 34)          \
	X(VRING_KICK, 35)            \
	X(GET_MAX_MEM_SLOTS, 36)     \
	X(ADD_MEM_REG, 37)           \
	X(REM_MEM_REG, 38)           \
	X(SET_STATUS, 39)            \
	X(GET_STATUS, 40)            \
	X(GET_SHARED_OBJECT, 41)     \
	X(SET_DEVICE_STATE_FD, 42)   \
	X(CHECK_DEVICE_STATE, 43)

enum vhost_user_request {
#define VHOST_USER_REQ_ENUM(name, num) VHOST_USER_##name = num,
	VHOST_USER_REQUESTS(VHOST_USER_REQ_ENUM)
#undef VHOST_USER_REQ_ENUM
	VHOST_USER_REQUEST_MAX
};

/* Backend to frontend requests (on the backend request channel). */
enum vhost_user_backend_request {
	VHOST_USER_BACKEND_IOTLB_MSG = 1,
	VHOST_USER_BACKEND_CONFIG_CHANGE_MSG = 2,
	VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG = 3,
	VHOST_USER_BACKEND_REQUEST_MAX
};

/* Protocol feature bits: VIO_VHOST_USER_PROTOCOL_F_* of vio_vhost_user.h. */

/*
 * Payload layouts are natural C layouts, as QEMU and DPDK send them: the
 * IOTLB and inflight messages carry their tail padding (32 and 24 bytes).
 */

/* Message header. */
struct vhost_user_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes */
} __rte_packed;

/* A vring's index and a number (SET_VRING_NUM/BASE, GET_VRING_BASE, SET_VRING_ENABLE). */
struct vhost_user_vring_state {
	uint32_t index;
	uint32_t num;
};

#define VHOST_USER_VRING_F_LOG 0x1

/* SET_VRING_ADDR: frontend (user) addresses of the ring parts. */
struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_uaddr;
	uint64_t used_uaddr;
	uint64_t avail_uaddr;
	uint64_t log_gpa;
};

/* One memory region, as SET_MEM_TABLE and ADD/REM_MEM_REG carry it. */
struct vhost_user_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr;
	uint64_t mmap_offset;
};

struct vhost_user_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_mem_region regions[VHOST_USER_MEM_REGIONS_MAX];
};

/* ADD_MEM_REG / REM_MEM_REG. */
struct vhost_user_mem_reg {
	uint64_t padding;
	struct vhost_user_mem_region region;
};

/* SET_LOG_BASE. */
struct vhost_user_log {
	uint64_t mmap_size;
	uint64_t mmap_offset;
};

/* IOTLB_MSG (both directions). */
#define VHOST_USER_IOTLB_MISS        1
#define VHOST_USER_IOTLB_UPDATE      2
#define VHOST_USER_IOTLB_INVALIDATE  3
#define VHOST_USER_IOTLB_ACCESS_FAIL 4

#define VHOST_USER_ACCESS_RO 0x1
#define VHOST_USER_ACCESS_WO 0x2
#define VHOST_USER_ACCESS_RW 0x3

struct vhost_user_iotlb {
	uint64_t iova;
	uint64_t size;
	uint64_t uaddr;
	uint8_t perm;
	uint8_t type;
};

/* GET/SET_CONFIG: header then up to 256 bytes of config space. */
struct vhost_user_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t region[VHOST_USER_CONFIG_MAX];
};

#define VHOST_USER_CONFIG_HDR_SIZE offsetof(struct vhost_user_config, region)

/* GET/SET_INFLIGHT_FD. */
struct vhost_user_inflight {
	uint64_t mmap_size;
	uint64_t mmap_offset;
	uint16_t num_queues;
	uint16_t queue_size;
};

/* VRING_HOST_NOTIFIER_MSG (backend to frontend). */
#define VHOST_USER_HOST_NOTIFIER_NOFD (1u << 8)
struct vhost_user_host_notifier {
	uint64_t index_flags;
	uint64_t size;
	uint64_t offset;
};

/* SET_DEVICE_STATE_FD. */
#define VHOST_USER_TRANSFER_STATE_DIRECTION_SAVE 0
#define VHOST_USER_TRANSFER_STATE_DIRECTION_LOAD 1
#define VHOST_USER_TRANSFER_STATE_PHASE_STOPPED  0
struct vhost_user_device_state {
	uint32_t direction;
	uint32_t phase;
};

/* The payload, as a union of every layout. */
union vhost_user_payload {
	uint64_t u64;
	struct vhost_user_vring_state state;
	struct vhost_user_vring_addr addr;
	struct vhost_user_mem_table mem;
	struct vhost_user_mem_reg mem_reg;
	struct vhost_user_log log;
	struct vhost_user_iotlb iotlb;
	struct vhost_user_config config;
	struct vhost_user_inflight inflight;
	struct vhost_user_host_notifier notifier;
	struct vhost_user_device_state device_state;
};

/* A whole message and the fds that came with it. */
struct vhost_user_msg {
	struct vhost_user_hdr hdr;
	union vhost_user_payload payload;
	int fds[VHOST_USER_MAX_FDS];
	uint32_t nb_fds;
};

#endif /* VIO_VHOST_USER_PROTO_H */
