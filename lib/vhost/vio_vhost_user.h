/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_VHOST_USER_H
#define VIO_VHOST_USER_H

/**
 * @file
 * Numbers of the vhost-user protocol that users of both roles name: the
 * virtio feature bit that announces protocol features, and the protocol
 * feature bits (GET/SET_PROTOCOL_FEATURES; vio_vhost_mask_protocol_features()
 * on the backend side, vio_vhost_frontend_set_protocol_features() on the
 * frontend side). Bit numbers, as in the vhost-user specification: test with
 * (1ULL << VIO_VHOST_USER_PROTOCOL_F_MQ).
 */

/** Virtio feature bit 30: the backend has protocol features (VHOST_USER_F_PROTOCOL_FEATURES). */
#define VIO_VHOST_USER_F_PROTOCOL_FEATURES 30

/** @name Protocol feature bits
 * @{
 */
#define VIO_VHOST_USER_PROTOCOL_F_MQ                   0
#define VIO_VHOST_USER_PROTOCOL_F_LOG_SHMFD            1
#define VIO_VHOST_USER_PROTOCOL_F_RARP                 2
#define VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK            3
#define VIO_VHOST_USER_PROTOCOL_F_NET_MTU              4
#define VIO_VHOST_USER_PROTOCOL_F_BACKEND_REQ          5
#define VIO_VHOST_USER_PROTOCOL_F_CROSS_ENDIAN         6
#define VIO_VHOST_USER_PROTOCOL_F_CRYPTO_SESSION       7
#define VIO_VHOST_USER_PROTOCOL_F_PAGEFAULT            8
#define VIO_VHOST_USER_PROTOCOL_F_CONFIG               9
#define VIO_VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD      10
#define VIO_VHOST_USER_PROTOCOL_F_HOST_NOTIFIER        11
#define VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD       12
#define VIO_VHOST_USER_PROTOCOL_F_RESET_DEVICE         13
#define VIO_VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS 14
#define VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS  15
#define VIO_VHOST_USER_PROTOCOL_F_STATUS               16
#define VIO_VHOST_USER_PROTOCOL_F_XEN_MMAP             17
#define VIO_VHOST_USER_PROTOCOL_F_SHARED_OBJECT        18
#define VIO_VHOST_USER_PROTOCOL_F_DEVICE_STATE         19
/** @} */

#endif /* VIO_VHOST_USER_H */
