/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_TEST_FRONTEND_H
#define VIO_TEST_FRONTEND_H

/*
 * A hostile vhost-user frontend for tests: raw messages to vio's backend over
 * its socket, with any payload and any number of fds. Built into each test
 * that uses it, with that test's own copy of the codec (lib/vhost's
 * vhost_user_msg.c is internal to libvio_vhost).
 */

#include <stdbool.h>
#include <stdint.h>

#include "vhost_user_msg.h"

/* A connected socket to @p path, or -1. */
int tf_connect(const char *path);

/* Whether the peer closed @p fd within @p ms (any replies on the way are read and dropped). */
bool tf_closed_by_peer(int fd, int ms);

/* A memfd of @p size bytes, or -1. */
int tf_memfd(size_t size);

/*
 * Send one message: header fields, @p size bytes of @p payload and @p nb_fds
 * fresh 1 MiB memfds (closed here once sent; more than the codec sends are
 * put in the control message by hand). Returns 0 or a negative errno.
 */
int tf_send(int sock, uint32_t req, uint32_t flags, const void *payload, uint32_t size,
	    uint32_t nb_fds);

/* Wait up to 2 s for one reply and read it. Returns 0 or a negative errno. */
int tf_recv_reply(int sock, struct vhost_user_msg *msg);

/*
 * SET_FEATURES @p features, then the protocol features vio offers but
 * @p drop. Returns 0 or -1.
 */
int tf_negotiate(int sock, uint64_t features, uint64_t drop);

#endif /* VIO_TEST_FRONTEND_H */
