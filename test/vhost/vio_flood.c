/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio-flood: a hostile vhost-user frontend, as a program of its own. It
 * links none of vio's libraries: the header and the payload layouts come from
 * vhost_user_proto.h (the protocol as data), the rest (what each request may
 * carry, the encoder, the handshake) is written here from the specification.
 *
 * It connects to a backend's socket again and again, N times or for S
 * seconds, and on each connection sends one malformed message, the kinds
 * taken in turn from a table (--list prints it): for every request a payload
 * one byte too long and one byte too short, one fd too many, a missing fd;
 * then out-of-range vring indexes, bad ring sizes, overflowing memory regions
 * and log areas, call fds that are no eventfds, features not offered, more
 * than 8 fds, garbage headers, size fields larger than any payload, half a
 * message and end of file, requests with a reply the backend cannot give,
 * and, after a valid handshake or after setting up a whole device (memory,
 * two running rings), a bad message. Every fd it passes is real (a memfd for
 * memory, eventfds for kick, call and error, a socket or a pipe elsewhere).
 *
 * Each connection must be closed by the backend (read returns 0 or
 * ECONNRESET) within --timeout-ms; a kind that ends with half a message
 * shuts the write side first, and the backend must close on that end of
 * file.
 *
 *   vio-flood --socket PATH [--connections N] [--seconds S] [--timeout-ms MS]
 *             [--seed N] [--list] [--verbose]
 *
 * The last line counts the connections, and what the backend should have
 * logged for them: "expect-err" connections carry a malformed message (one
 * error line each from a backend that names what was wrong), "expect-warning"
 * a well-formed request the backend does not serve but must answer (closed
 * with a warning), "expect-quiet" end of file in the middle of a message (no
 * error); "devices" connections set up a whole device before the bad message;
 * "skipped" connections were closed here, as the bad message needed a
 * protocol feature the backend did not offer.
 *
 *   vio-flood: connections N closed N not-closed N connect-failed N
 *     setup-failed N skipped N expect-err N expect-warning N expect-quiet N
 *     devices N kinds N seconds F
 *
 * Exit 0 when the backend closed every connection, 1 when one stayed open, a
 * connect failed (the backend stopped accepting) or the backend answered a
 * well-formed request wrongly during a set-up, 99 on a set-up error here.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vhost_user_proto.h"

/* Feature bits the handshake uses (virtio 1.2, 6; vhost-user spec). */
#define F_PROTOCOL_FEATURES 30
#define F_VERSION_1         32
#define BIT(n)              (UINT64_C(1) << (n))

/* Guest memory of a device: one memfd region at guest address 0. */
#define MEM_SIZE   (1u << 20)
#define MEM_UADDR  UINT64_C(0x7f0000000000) /* the frontend's address of it; any value */
#define RING_SIZE  256u
#define RING_BYTES 0x4000u /* split ring of 256: desc 4 KiB, avail, used, at 4 KiB steps */

#define PAYLOAD_MAX (sizeof(union vhost_user_payload) + 16)
#define MAX_FDS     12
#define MAX_KINDS   256

/* What a request may carry, per the specification, for a net backend. */
enum fd_type {
	FD_MEM,
	FD_EVENT,
	FD_SOCK,
	FD_PIPE
};

struct req_spec {
	uint32_t size_min, size_max; /* payload bytes */
	uint8_t fds_min, fds_max;
	enum fd_type fd_type;
};

#define U64   sizeof(uint64_t)
#define STATE sizeof(struct vhost_user_vring_state)
#define MEMH  offsetof(struct vhost_user_mem_table, regions)
#define CFGH  offsetof(struct vhost_user_config, region)

static const struct req_spec specs[VHOST_USER_REQUEST_MAX] = {
	[VHOST_USER_GET_FEATURES] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_SET_FEATURES] = { U64, U64, 0, 0, FD_MEM },
	[VHOST_USER_SET_OWNER] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_RESET_OWNER] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_SET_MEM_TABLE] = { MEMH, sizeof(struct vhost_user_mem_table), 1,
				       VHOST_USER_MEM_REGIONS_MAX, FD_MEM },
	[VHOST_USER_SET_LOG_BASE] = { sizeof(struct vhost_user_log), sizeof(struct vhost_user_log),
				      1, 1, FD_MEM },
	[VHOST_USER_SET_LOG_FD] = { 0, 0, 1, 1, FD_EVENT },
	[VHOST_USER_SET_VRING_NUM] = { STATE, STATE, 0, 0, FD_MEM },
	[VHOST_USER_SET_VRING_ADDR] = { sizeof(struct vhost_user_vring_addr),
					sizeof(struct vhost_user_vring_addr), 0, 0, FD_MEM },
	[VHOST_USER_SET_VRING_BASE] = { STATE, STATE, 0, 0, FD_MEM },
	[VHOST_USER_GET_VRING_BASE] = { STATE, STATE, 0, 0, FD_MEM },
	/* The fd is there unless the payload has the "no fd" bit. */
	[VHOST_USER_SET_VRING_KICK] = { U64, U64, 0, 1, FD_EVENT },
	[VHOST_USER_SET_VRING_CALL] = { U64, U64, 0, 1, FD_EVENT },
	[VHOST_USER_SET_VRING_ERR] = { U64, U64, 0, 1, FD_EVENT },
	[VHOST_USER_GET_PROTOCOL_FEATURES] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_SET_PROTOCOL_FEATURES] = { U64, U64, 0, 0, FD_MEM },
	[VHOST_USER_GET_QUEUE_NUM] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_SET_VRING_ENABLE] = { STATE, STATE, 0, 0, FD_MEM },
	[VHOST_USER_SEND_RARP] = { U64, U64, 0, 0, FD_MEM },
	[VHOST_USER_NET_SET_MTU] = { U64, U64, 0, 0, FD_MEM },
	[VHOST_USER_SET_BACKEND_REQ_FD] = { 0, 0, 1, 1, FD_SOCK },
	[VHOST_USER_IOTLB_MSG] = { sizeof(struct vhost_user_iotlb), sizeof(struct vhost_user_iotlb),
				   0, 0, FD_MEM },
	[VHOST_USER_SET_VRING_ENDIAN] = { STATE, STATE, 0, 0, FD_MEM },
	[VHOST_USER_GET_CONFIG] = { CFGH, sizeof(struct vhost_user_config), 0, 0, FD_MEM },
	[VHOST_USER_SET_CONFIG] = { CFGH, sizeof(struct vhost_user_config), 0, 0, FD_MEM },
	/* Crypto sessions have no layout a net backend reads: any payload is wrong. */
	[VHOST_USER_CREATE_CRYPTO_SESSION] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_CLOSE_CRYPTO_SESSION] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_POSTCOPY_ADVISE] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_POSTCOPY_LISTEN] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_POSTCOPY_END] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_GET_INFLIGHT_FD] = { sizeof(struct vhost_user_inflight),
					 sizeof(struct vhost_user_inflight), 0, 0, FD_MEM },
	[VHOST_USER_SET_INFLIGHT_FD] = { sizeof(struct vhost_user_inflight),
					 sizeof(struct vhost_user_inflight), 1, 1, FD_MEM },
	[VHOST_USER_GPU_SET_SOCKET] = { 0, 0, 1, 1, FD_SOCK },
	[VHOST_USER_RESET_DEVICE] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_VRING_KICK] = { STATE, STATE, 0, 0, FD_MEM },
	[VHOST_USER_GET_MAX_MEM_SLOTS] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_ADD_MEM_REG] = { sizeof(struct vhost_user_mem_reg),
				     sizeof(struct vhost_user_mem_reg), 1, 1, FD_MEM },
	/* QEMU passes the region's fd with REM_MEM_REG; the specification does not ask for it. */
	[VHOST_USER_REM_MEM_REG] = { sizeof(struct vhost_user_mem_reg),
				     sizeof(struct vhost_user_mem_reg), 0, 1, FD_MEM },
	[VHOST_USER_SET_STATUS] = { U64, U64, 0, 0, FD_MEM },
	[VHOST_USER_GET_STATUS] = { 0, 0, 0, 0, FD_MEM },
	[VHOST_USER_GET_SHARED_OBJECT] = { 16, 16, 0, 0, FD_MEM }, /* a UUID */
	[VHOST_USER_SET_DEVICE_STATE_FD] = { sizeof(struct vhost_user_device_state),
					     sizeof(struct vhost_user_device_state), 1, 1,
					     FD_PIPE },
	[VHOST_USER_CHECK_DEVICE_STATE] = { 0, 0, 0, 0, FD_MEM },
};

static const char *const req_names[VHOST_USER_REQUEST_MAX] = {
#define REQ_NAME(name, num) [num] = #name,
	VHOST_USER_REQUESTS(REQ_NAME)
#undef REQ_NAME
};

/* ------------------------------------------------------------------------ */
/* The kinds of malformed connection                                         */
/* ------------------------------------------------------------------------ */

/* What the backend should log for a kind. */
enum expect {
	EXPECT_ERR,
	EXPECT_WARNING,
	EXPECT_QUIET
};

/* What comes before the bad message. */
enum prefix {
	PREFIX_NONE,
	PREFIX_HANDSHAKE, /* features, protocol features (all offered but REPLY_ACK), owner */
	PREFIX_DEVICE,    /* the handshake, memory, vrings 0 and 1 running and enabled */
};

struct kind {
	char name[96];
	enum expect expect;
	enum prefix prefix;
	int needs_pf; /* protocol feature the bad message needs negotiated, or -1 */
	struct vhost_user_hdr hdr;
	union {
		union vhost_user_payload p;
		uint8_t bytes[PAYLOAD_MAX];
	} payload;
	uint32_t len;     /* payload bytes sent */
	uint32_t hdr_len; /* header bytes sent (fewer than 12: a cut header) */
	enum fd_type fd_type;
	uint32_t nb_fds;
	bool shut;       /* end of file after the bytes: half a message */
	bool random_hdr; /* a fresh garbage header (with bad version bits) per connection */
};

static struct kind kinds[MAX_KINDS];
static unsigned int nb_kinds;

static struct kind *kind_add(enum prefix prefix, enum expect expect, uint32_t req, uint32_t size,
			     uint32_t nb_fds, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static struct kind *
kind_add(enum prefix prefix, enum expect expect, uint32_t req, uint32_t size, uint32_t nb_fds,
	 const char *fmt, ...)
{
	struct kind *k;
	va_list ap;
	int n;

	if (nb_kinds == MAX_KINDS) {
		fprintf(stderr, "vio-flood: more than %d kinds\n", MAX_KINDS);
		exit(99);
	}
	k = &kinds[nb_kinds++];
	memset(k, 0, sizeof(*k));
	/* Request 0 names none: the header is made up per connection. */
	n = snprintf(k->name, sizeof(k->name),
		     "%s: ", req > 0 && req < VHOST_USER_REQUEST_MAX ? req_names[req] : "ANY");
	va_start(ap, fmt);
	vsnprintf(k->name + n, sizeof(k->name) - (size_t)n, fmt, ap);
	va_end(ap);
	k->expect = expect;
	k->prefix = prefix;
	k->needs_pf = -1;
	k->hdr.request = req;
	k->hdr.flags = VHOST_USER_VERSION;
	k->hdr.size = size;
	k->len = size < PAYLOAD_MAX ? size : PAYLOAD_MAX;
	k->hdr_len = sizeof(k->hdr);
	k->fd_type = specs[req < VHOST_USER_REQUEST_MAX ? req : 0].fd_type;
	k->nb_fds = nb_fds;
	return k;
}

/* The payload of @p k, as a union of the layouts. */
static union vhost_user_payload *
pl(struct kind *k)
{
	return &k->payload.p;
}

/* A valid single region table: gpa 0, the whole memfd. */
static void
one_region(struct kind *k, uint64_t gpa, uint64_t size, uint64_t uaddr, uint64_t offset)
{
	pl(k)->mem.nregions = 1;
	pl(k)->mem.regions[0] = (struct vhost_user_mem_region){
		.gpa = gpa, .size = size, .uaddr = uaddr, .mmap_offset = offset
	};
}

/* For every request: wrong payload sizes and wrong fd counts (the message is otherwise valid). */
static void
kinds_per_request(void)
{
	uint32_t req;

	for (req = 1; req < VHOST_USER_REQUEST_MAX; req++) {
		const struct req_spec *s = &specs[req];
		struct kind *k;

		k = kind_add(PREFIX_NONE, EXPECT_ERR, req, s->size_max + 1, s->fds_min,
			     "payload one byte too long (%u)", s->size_max + 1);
		if (req == VHOST_USER_SET_MEM_TABLE)
			one_region(k, 0, MEM_SIZE, MEM_UADDR, 0);
		if (s->size_min > 0) {
			k = kind_add(PREFIX_NONE, EXPECT_ERR, req, s->size_min - 1, s->fds_min,
				     "payload one byte short (%u)", s->size_min - 1);
		}
		if (req == VHOST_USER_SET_MEM_TABLE) {
			k = kind_add(PREFIX_NONE, EXPECT_ERR, req, MEMH + 32, 2,
				     "one region, two fds");
			one_region(k, 0, MEM_SIZE, MEM_UADDR, 0);
		} else {
			kind_add(PREFIX_NONE, EXPECT_ERR, req, s->size_min, s->fds_max + 1u,
				 "one fd too many (%u)", s->fds_max + 1u);
		}
		if (req == VHOST_USER_SET_MEM_TABLE) {
			k = kind_add(PREFIX_NONE, EXPECT_ERR, req, MEMH + 32, 0, "fd missing");
			one_region(k, 0, MEM_SIZE, MEM_UADDR, 0);
		} else if (req == VHOST_USER_SET_VRING_KICK || req == VHOST_USER_SET_VRING_CALL ||
			   req == VHOST_USER_SET_VRING_ERR) {
			kind_add(PREFIX_NONE, EXPECT_ERR, req, U64, 0, "fd missing (no NOFD bit)");
			k = kind_add(PREFIX_NONE, EXPECT_ERR, req, U64, 1,
				     "an fd with the NOFD bit");
			pl(k)->u64 = VHOST_USER_VRING_NOFD;
		} else if (s->fds_min > 0) {
			kind_add(PREFIX_NONE, EXPECT_ERR, req, s->size_max, 0, "fd missing");
		}
	}
}

/* Well-formed messages whose fields are out of range, after a valid handshake. */
static void
kinds_fields(void)
{
	const enum prefix H = PREFIX_HANDSHAKE;
	struct kind *k;

	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_NUM, STATE, 0, "vring index 200");
	pl(k)->state = (struct vhost_user_vring_state){ 200, RING_SIZE };
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_NUM, STATE, 0, "num 100 (split)");
	pl(k)->state = (struct vhost_user_vring_state){ 0, 100 };
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_NUM, STATE, 0, "num 0");
	pl(k)->state = (struct vhost_user_vring_state){ 1, 0 };
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_NUM, STATE, 0, "num 65536");
	pl(k)->state = (struct vhost_user_vring_state){ 0, 65536 };
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_ADDR, sizeof(struct vhost_user_vring_addr),
		     0, "vring index 2 of 2");
	pl(k)->addr.index = 2;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_ADDR, sizeof(struct vhost_user_vring_addr),
		     0, "unknown flag 0x2");
	pl(k)->addr.flags = 0x2;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_BASE, STATE, 0, "base 0x10000 (split)");
	pl(k)->state = (struct vhost_user_vring_state){ 0, 0x10000 };
	k = kind_add(H, EXPECT_ERR, VHOST_USER_GET_VRING_BASE, STATE, 0, "vring index 0xffffffff");
	pl(k)->state.index = UINT32_MAX;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_KICK, U64, 1, "vring index 0x7f");
	pl(k)->u64 = 0x7f;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_CALL, U64, 1, "stray payload bit 16");
	pl(k)->u64 = 1u << 16;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_CALL, U64, 1, "a memfd for a call fd");
	k->fd_type = FD_MEM;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_ERR, U64, 1, "a pipe for an error fd");
	pl(k)->u64 = 1;
	k->fd_type = FD_PIPE;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_ENABLE, STATE, 0, "num 2");
	pl(k)->state = (struct vhost_user_vring_state){ 0, 2 };
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_VRING_ENABLE, STATE, 0, "vring index 99");
	pl(k)->state = (struct vhost_user_vring_state){ 99, 1 };
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_FEATURES, U64, 0, "every bit");
	pl(k)->u64 = UINT64_MAX;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_PROTOCOL_FEATURES, U64, 0, "every bit");
	pl(k)->u64 = UINT64_MAX;

	/* Memory regions that overflow or lie past their fd. */
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, MEMH + 32, 1, "gpa + size wraps");
	one_region(k, UINT64_MAX - 4095, MEM_SIZE, MEM_UADDR, 0);
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, MEMH + 32, 1, "uaddr + size wraps");
	one_region(k, 0, MEM_SIZE, UINT64_MAX - 4095, 0);
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, MEMH + 32, 1,
		     "mmap_offset + size wraps");
	one_region(k, 0, MEM_SIZE, MEM_UADDR, UINT64_MAX - 100);
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, MEMH + 32, 1, "size twice the fd's");
	one_region(k, 0, 2 * MEM_SIZE, MEM_UADDR, 0);
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, MEMH + 32, 1, "size 0");
	one_region(k, 0, 0, MEM_UADDR, 0);
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, MEMH + 64, 2,
		     "two overlapping regions");
	pl(k)->mem.nregions = 2;
	pl(k)->mem.regions[0] = (struct vhost_user_mem_region){ 0, MEM_SIZE, MEM_UADDR, 0 };
	pl(k)->mem.regions[1] = (struct vhost_user_mem_region){ MEM_SIZE / 2, MEM_SIZE / 2,
								MEM_UADDR + MEM_SIZE, 0 };
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, MEMH, 1, "nregions 0");
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, MEMH + 32, 1, "nregions 9");
	one_region(k, 0, MEM_SIZE, MEM_UADDR, 0);
	pl(k)->mem.nregions = 9;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, MEMH + 64, 1, "two regions, one fd");
	one_region(k, 0, MEM_SIZE, MEM_UADDR, 0);
	pl(k)->mem.nregions = 2;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_ADD_MEM_REG, sizeof(struct vhost_user_mem_reg), 1,
		     "gpa + size wraps");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS;
	pl(k)->mem_reg.region = (struct vhost_user_mem_region){ UINT64_MAX - 4095, MEM_SIZE,
								MEM_UADDR, 0 };
	k = kind_add(H, EXPECT_ERR, VHOST_USER_ADD_MEM_REG, sizeof(struct vhost_user_mem_reg), 1,
		     "mmap_offset past the fd");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS;
	pl(k)->mem_reg.region = (struct vhost_user_mem_region){ 0, MEM_SIZE, MEM_UADDR, MEM_SIZE };
	k = kind_add(H, EXPECT_ERR, VHOST_USER_REM_MEM_REG, sizeof(struct vhost_user_mem_reg), 0,
		     "a region never added");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS;
	pl(k)->mem_reg.region = (struct vhost_user_mem_region){ 0, MEM_SIZE, MEM_UADDR, 0 };
	k = kind_add(H, EXPECT_ERR, VHOST_USER_NET_SET_MTU, U64, 0, "mtu 67");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_NET_MTU;
	pl(k)->u64 = 67;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_NET_SET_MTU, U64, 0, "mtu 65536");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_NET_MTU;
	pl(k)->u64 = 65536;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_GET_CONFIG, CFGH + 8, 0,
		     "offset 10 size 8 (past the config space)");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_CONFIG;
	pl(k)->config.offset = 10;
	pl(k)->config.size = 8;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_CONFIG, CFGH + 7, 0, "offset + size wraps");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_CONFIG;
	pl(k)->config.offset = UINT32_MAX;
	pl(k)->config.size = 7;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_GET_CONFIG, CFGH + 4, 0,
		     "config size 200 in a payload of 4");
	pl(k)->config.size = 200;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_GET_INFLIGHT_FD, sizeof(struct vhost_user_inflight),
		     0, "num_queues 0");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_GET_INFLIGHT_FD, sizeof(struct vhost_user_inflight),
		     0, "queue_size 40000");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD;
	pl(k)->inflight.num_queues = 2;
	pl(k)->inflight.queue_size = 40000;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_INFLIGHT_FD, sizeof(struct vhost_user_inflight),
		     1, "area beyond its fd");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD;
	pl(k)->inflight.num_queues = 2;
	pl(k)->inflight.queue_size = 256;
	pl(k)->inflight.mmap_size = UINT64_C(1) << 40;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_INFLIGHT_FD, sizeof(struct vhost_user_inflight),
		     1, "offset plus size wraps");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD;
	pl(k)->inflight.num_queues = 2;
	pl(k)->inflight.queue_size = 256;
	pl(k)->inflight.mmap_size = 4096;
	pl(k)->inflight.mmap_offset = UINT64_MAX - 100;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_STATUS, U64, 0, "status 0x100");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_STATUS;
	pl(k)->u64 = 0x100;
	k = kind_add(H, EXPECT_ERR, VHOST_USER_SET_DEVICE_STATE_FD,
		     sizeof(struct vhost_user_device_state), 1, "phase 1");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_DEVICE_STATE;
	pl(k)->device_state.phase = 1;

	/* Well-formed requests the backend cannot answer: it must hang up, not leave us waiting. */
	kind_add(PREFIX_NONE, EXPECT_WARNING, VHOST_USER_POSTCOPY_ADVISE, 0, 0,
		 "not served, a reply is due");
	kind_add(H, EXPECT_WARNING, VHOST_USER_GET_SHARED_OBJECT, 16, 0,
		 "not served, a reply is due");
	kind_add(PREFIX_NONE, EXPECT_WARNING, VHOST_USER_CHECK_DEVICE_STATE, 0, 0,
		 "not negotiated, a reply is due");
}

/* Headers the backend cannot read, and messages cut short. */
static void
kinds_unreadable(void)
{
	struct kind *k;
	uint32_t v;

	for (v = 0; v <= 3; v++) {
		if (v == VHOST_USER_VERSION)
			continue;
		k = kind_add(PREFIX_NONE, EXPECT_ERR, VHOST_USER_GET_FEATURES, 0, 0, "version %u",
			     v);
		k->hdr.flags = v;
	}
	k = kind_add(PREFIX_NONE, EXPECT_ERR, 0, 0, 0, "garbage header and 16 bytes");
	k->random_hdr = true;
	k->len = 16;
	k = kind_add(PREFIX_HANDSHAKE, EXPECT_ERR, 0, 0, 0, "garbage header after the handshake");
	k->random_hdr = true;
	k->len = 16;
	k = kind_add(PREFIX_NONE, EXPECT_ERR, VHOST_USER_SET_FEATURES, UINT32_MAX, 0,
		     "size field 0xffffffff");
	k->len = 64;
	k = kind_add(PREFIX_NONE, EXPECT_ERR, VHOST_USER_SET_CONFIG,
		     sizeof(union vhost_user_payload) + 1, 0, "size field one past any payload");
	k = kind_add(PREFIX_HANDSHAKE, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, 1u << 20, 1,
		     "size field 1 MiB with an fd");
	k->len = 64;
	k = kind_add(PREFIX_NONE, EXPECT_ERR, VHOST_USER_GET_FEATURES, 0, VHOST_USER_MAX_FDS + 1,
		     "9 fds (more than any message)");
	k = kind_add(PREFIX_NONE, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, MEMH + 32, MAX_FDS,
		     "12 fds");
	one_region(k, 0, MEM_SIZE, MEM_UADDR, 0);

	/* End of file in the middle of a message: nothing to complain about, but close. */
	k = kind_add(PREFIX_NONE, EXPECT_QUIET, VHOST_USER_GET_FEATURES, 0, 0,
		     "5 bytes of header, end of file");
	k->hdr_len = 5;
	k->shut = true;
	k = kind_add(PREFIX_NONE, EXPECT_QUIET, VHOST_USER_SET_FEATURES, U64, 0,
		     "half the payload, end of file");
	k->len = 4;
	k->shut = true;
	k = kind_add(PREFIX_HANDSHAKE, EXPECT_QUIET, VHOST_USER_SET_MEM_TABLE, MEMH + 32, 1,
		     "header and fd, no payload, end of file");
	k->len = 0;
	k->shut = true;
}

/* After a whole device is up: bad messages that must tear it down. */
static void
kinds_device(void)
{
	const enum prefix D = PREFIX_DEVICE;
	struct kind *k;

	k = kind_add(D, EXPECT_ERR, VHOST_USER_SET_FEATURES, U64, 0,
		     "features changed while the rings run");
	pl(k)->u64 = BIT(F_VERSION_1);
	k = kind_add(D, EXPECT_ERR, VHOST_USER_SET_VRING_NUM, STATE, 0,
		     "num 100 on a running ring");
	pl(k)->state = (struct vhost_user_vring_state){ 1, 100 };
	k = kind_add(D, EXPECT_ERR, VHOST_USER_SET_VRING_ADDR, sizeof(struct vhost_user_vring_addr),
		     0, "running ring moved outside guest memory");
	pl(k)->addr = (struct vhost_user_vring_addr){ .index = 0,
						      .desc_uaddr = MEM_UADDR + 2 * MEM_SIZE,
						      .avail_uaddr = MEM_UADDR + 2 * MEM_SIZE,
						      .used_uaddr = MEM_UADDR + 2 * MEM_SIZE };
	k = kind_add(D, EXPECT_ERR, VHOST_USER_SET_MEM_TABLE, MEMH + 32, 1,
		     "memory replaced by a region past its fd");
	one_region(k, 0, MEM_SIZE, MEM_UADDR, MEM_SIZE);
	k = kind_add(D, EXPECT_ERR, VHOST_USER_SET_VRING_KICK, U64, 1, "vring index 5");
	pl(k)->u64 = 5;
	k = kind_add(D, EXPECT_ERR, VHOST_USER_REM_MEM_REG, sizeof(struct vhost_user_mem_reg), 0,
		     "a region never added");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS;
	pl(k)->mem_reg.region = (struct vhost_user_mem_region){ 0x40000000, 4096, 0, 0 };
	/* vio maps the log when there is memory to log: before, it only keeps the fd. */
	k = kind_add(D, EXPECT_ERR, VHOST_USER_SET_LOG_BASE, sizeof(struct vhost_user_log), 1,
		     "log of 1 GiB on a 1 MiB fd");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_LOG_SHMFD;
	pl(k)->log = (struct vhost_user_log){ .mmap_size = 1u << 30, .mmap_offset = 0 };
	k = kind_add(D, EXPECT_ERR, VHOST_USER_SET_LOG_BASE, sizeof(struct vhost_user_log), 1,
		     "log offset + size wraps");
	k->needs_pf = VIO_VHOST_USER_PROTOCOL_F_LOG_SHMFD;
	pl(k)->log = (struct vhost_user_log){ .mmap_size = 4096, .mmap_offset = UINT64_MAX - 10 };
	k = kind_add(D, EXPECT_ERR, 0, 0, 0, "garbage header");
	k->random_hdr = true;
	k->len = 16;
	k = kind_add(D, EXPECT_QUIET, VHOST_USER_SET_VRING_NUM, STATE, 0,
		     "half a message, end of file");
	k->len = 3;
	k->shut = true;
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */
/* ------------------------------------------------------------------------ */

static int fd_of_type[4]; /* one real fd of each type, passed again and again */
static int timeout_ms = 2000;
static uint64_t rnd_state = 0x9e3779b97f4a7c15u;

static uint64_t
rnd(void)
{
	/* xorshift64 */
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Send @p hdr_len bytes of @p hdr, @p len bytes of @p payload and @p nb_fds fds of @p type. */
static int
send_bytes(int sock, const void *hdr, uint32_t hdr_len, const void *payload, uint32_t len,
	   enum fd_type type, uint32_t nb_fds)
{
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov[2] = {
		{ .iov_base = (void *)(uintptr_t)hdr, .iov_len = hdr_len },
		{ .iov_base = (void *)(uintptr_t)payload, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1 };
	uint32_t i;
	ssize_t n;

	if (nb_fds > 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(nb_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nb_fds * sizeof(int));
		for (i = 0; i < nb_fds; i++)
			memcpy(CMSG_DATA(cm) + i * sizeof(int), &fd_of_type[type], sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

/* Send one well-formed message. */
static int
send_msg(int sock, uint32_t req, const void *payload, uint32_t size, enum fd_type type,
	 uint32_t nb_fds)
{
	struct vhost_user_hdr hdr = { .request = req, .flags = VHOST_USER_VERSION, .size = size };

	return send_bytes(sock, &hdr, sizeof(hdr), payload, size, type, nb_fds);
}

/* Read exactly @p len bytes within the timeout. */
static int
recv_all(int sock, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) != 1)
			return -ETIMEDOUT;
		n = recv(sock, (char *)buf + got, len - got, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

/* Receive the u64 reply to @p req. */
static int
recv_u64_reply(int sock, uint32_t req, uint64_t *v)
{
	struct vhost_user_hdr hdr;
	int ret = recv_all(sock, &hdr, sizeof(hdr));

	if (ret < 0)
		return ret;
	if (hdr.request != req || !(hdr.flags & VHOST_USER_FLAG_REPLY) ||
	    (hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION || hdr.size != U64)
		return -EPROTO;
	return recv_all(sock, v, sizeof(*v));
}

static uint64_t offered_pf; /* what the backend offered at the last handshake */

/* Features, protocol features (all offered but REPLY_ACK: no status after a message), owner. */
static int
handshake(int sock)
{
	uint64_t f = BIT(F_VERSION_1) | BIT(F_PROTOCOL_FEATURES), v;
	int ret;

	if ((ret = send_msg(sock, VHOST_USER_GET_FEATURES, NULL, 0, FD_MEM, 0)) < 0 ||
	    (ret = recv_u64_reply(sock, VHOST_USER_GET_FEATURES, &v)) < 0)
		return ret;
	if ((v & f) != f)
		return -EPROTO;
	if ((ret = send_msg(sock, VHOST_USER_SET_FEATURES, &f, U64, FD_MEM, 0)) < 0 ||
	    (ret = send_msg(sock, VHOST_USER_GET_PROTOCOL_FEATURES, NULL, 0, FD_MEM, 0)) < 0 ||
	    (ret = recv_u64_reply(sock, VHOST_USER_GET_PROTOCOL_FEATURES, &v)) < 0)
		return ret;
	offered_pf = v;
	v &= ~BIT(VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK);
	if ((ret = send_msg(sock, VHOST_USER_SET_PROTOCOL_FEATURES, &v, U64, FD_MEM, 0)) < 0 ||
	    (ret = send_msg(sock, VHOST_USER_SET_OWNER, NULL, 0, FD_MEM, 0)) < 0)
		return ret;
	return 0;
}

/*
 * The handshake, the memory, and split rings 0 and 1 of 256 started and
 * enabled. A send fails only when the backend hung up, which the reply at
 * the end finds out.
 */
static int
device_setup(int sock)
{
	struct vhost_user_mem_table mem = { .nregions = 1 };
	uint32_t i;
	uint64_t v;
	int ret;

	if ((ret = handshake(sock)) < 0)
		return ret;
	mem.regions[0] = (struct vhost_user_mem_region){ 0, MEM_SIZE, MEM_UADDR, 0 };
	send_msg(sock, VHOST_USER_SET_MEM_TABLE, &mem, MEMH + 32, FD_MEM, 1);
	for (i = 0; i < 2; i++) {
		uint64_t base = MEM_UADDR + i * RING_BYTES, fdmsg = i;
		struct vhost_user_vring_state num = { i, RING_SIZE }, zero = { i, 0 };
		struct vhost_user_vring_state on = { i, 1 };
		struct vhost_user_vring_addr addr = { .index = i,
						      .desc_uaddr = base,
						      .avail_uaddr = base + 0x1000,
						      .used_uaddr = base + 0x2000 };

		send_msg(sock, VHOST_USER_SET_VRING_NUM, &num, STATE, FD_MEM, 0);
		send_msg(sock, VHOST_USER_SET_VRING_ADDR, &addr, sizeof(addr), FD_MEM, 0);
		send_msg(sock, VHOST_USER_SET_VRING_BASE, &zero, STATE, FD_MEM, 0);
		send_msg(sock, VHOST_USER_SET_VRING_CALL, &fdmsg, U64, FD_EVENT, 1);
		send_msg(sock, VHOST_USER_SET_VRING_KICK, &fdmsg, U64, FD_EVENT, 1);
		send_msg(sock, VHOST_USER_SET_VRING_ENABLE, &on, STATE, FD_MEM, 0);
	}
	/* Everything above was taken: the backend still answers. */
	if ((ret = send_msg(sock, VHOST_USER_GET_FEATURES, NULL, 0, FD_MEM, 0)) < 0 ||
	    (ret = recv_u64_reply(sock, VHOST_USER_GET_FEATURES, &v)) < 0)
		return ret;
	return 0;
}

/* Whether the backend closed @p sock within the timeout (reading whatever it sent). */
static bool
closed_by_peer(int sock, unsigned long *stray_bytes)
{
	char buf[512];

	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) != 1)
			return false;
		n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return false;
		if (n > 0)
			*stray_bytes += (unsigned long)n;
	}
}

static int
connect_path(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* A backend that stops accepting fills its backlog: connect then waits this long. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* ------------------------------------------------------------------------ */
/* The flood                                                                 */
/* ------------------------------------------------------------------------ */

struct kind_stats {
	unsigned long sent, closed, not_closed, setup_failed, skipped;
};

static struct kind_stats kstats[MAX_KINDS];

struct totals {
	unsigned long connections, closed, not_closed, connect_failed, setup_failed, skipped;
	unsigned long expect[3], devices, stray_bytes;
};

static void
report_failure(unsigned long n, unsigned int ki, const char *what)
{
	static unsigned int reported;

	if (reported++ < 20)
		fprintf(stderr, "vio-flood: connection %lu (kind %u, %s): %s\n", n, ki,
			kinds[ki].name, what);
}

/* One connection with kind @p ki. Returns -1 when the backend no longer accepts. */
static int
run_one(const char *path, unsigned long n, unsigned int ki, struct totals *t)
{
	struct kind *k = &kinds[ki];
	struct vhost_user_hdr hdr = k->hdr;
	int sock = connect_path(path);
	int ret = 0;

	if (sock < 0) {
		t->connect_failed++;
		report_failure(n, ki, strerror(-sock));
		return -1;
	}
	t->connections++;
	if (k->prefix == PREFIX_HANDSHAKE)
		ret = handshake(sock);
	else if (k->prefix == PREFIX_DEVICE)
		ret = device_setup(sock);
	if (ret < 0) {
		t->setup_failed++;
		kstats[ki].setup_failed++;
		report_failure(n, ki, ret == -EPROTO ? "set-up: bad reply" : strerror(-ret));
		close(sock);
		return 0;
	}
	if (k->needs_pf >= 0 && !(offered_pf & BIT(k->needs_pf))) {
		/* Not offered: the message would merely be refused. */
		t->skipped++;
		kstats[ki].skipped++;
		close(sock);
		return 0;
	}
	if (k->prefix == PREFIX_DEVICE)
		t->devices++;
	if (k->random_hdr) {
		uint64_t r = rnd();
		uint32_t bad_versions[3] = { 0, 2, 3 };

		hdr.request = (uint32_t)r;
		hdr.size = (uint32_t)(r >> 32);
		hdr.flags = ((uint32_t)rnd() & ~VHOST_USER_VERSION_MASK) | bad_versions[r % 3];
	}
	/* The backend may hang up before the last byte: a failed send is no failure. */
	send_bytes(sock, &hdr, k->hdr_len, k->payload.bytes, k->len, k->fd_type, k->nb_fds);
	if (k->shut)
		shutdown(sock, SHUT_WR);
	kstats[ki].sent++;
	t->expect[k->expect]++;
	if (closed_by_peer(sock, &t->stray_bytes)) {
		t->closed++;
		kstats[ki].closed++;
	} else {
		t->not_closed++;
		kstats[ki].not_closed++;
		report_failure(n, ki, "not closed by the backend");
	}
	close(sock);
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
open_fds(void)
{
	int sv[2], pv[2];

	fd_of_type[FD_MEM] = memfd_create("vio-flood", MFD_CLOEXEC);
	if (fd_of_type[FD_MEM] < 0 || ftruncate(fd_of_type[FD_MEM], MEM_SIZE) < 0)
		return -1;
	fd_of_type[FD_EVENT] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd_of_type[FD_EVENT] < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(pv, O_CLOEXEC) < 0)
		return -1;
	fd_of_type[FD_SOCK] = sv[0];
	fd_of_type[FD_PIPE] = pv[1];
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: vio-flood --socket PATH [--connections N] [--seconds S]\n"
			"                 [--timeout-ms MS] [--seed N] [--list] [--verbose]\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "connections", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "seed", required_argument, NULL, 'r' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	unsigned long max_conn = 0, n;
	double seconds = 0, start, elapsed;
	bool list = false, verbose = false;
	struct totals t = { 0 };
	unsigned int ki;
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'n':
			max_conn = strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'T':
			timeout_ms = atoi(optarg);
			break;
		case 'r':
			rnd_state = strtoull(optarg, NULL, 0) | 1;
			break;
		case 'l':
			list = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
			return 99;
		}
	}
	kinds_per_request();
	kinds_fields();
	kinds_unreadable();
	kinds_device();
	if (list) {
		static const char *const ex[] = { "err", "warning", "quiet" };

		for (ki = 0; ki < nb_kinds; ki++)
			printf("%3u %-7s %s\n", ki, ex[kinds[ki].expect], kinds[ki].name);
		return 0;
	}
	if (path == NULL || (max_conn == 0 && seconds <= 0) || timeout_ms <= 0) {
		usage();
		return 99;
	}
	signal(SIGPIPE, SIG_IGN);
	if (open_fds() < 0) {
		perror("vio-flood: memfd/eventfd/socketpair/pipe");
		return 99;
	}
	start = now_s();
	for (n = 0; max_conn == 0 || n < max_conn; n++) {
		if (seconds > 0 && now_s() - start >= seconds)
			break;
		if (run_one(path, n, (unsigned int)(n % nb_kinds), &t) < 0)
			break; /* the backend stopped accepting */
	}
	elapsed = now_s() - start;
	if (verbose || t.not_closed > 0 || t.setup_failed > 0) {
		for (ki = 0; ki < nb_kinds; ki++) {
			const struct kind_stats *s = &kstats[ki];

			if (!verbose && s->not_closed == 0 && s->setup_failed == 0)
				continue;
			printf("kind %3u: sent %lu closed %lu not-closed %lu setup-failed %lu "
			       "skipped %lu  %s\n",
			       ki, s->sent, s->closed, s->not_closed, s->setup_failed, s->skipped,
			       kinds[ki].name);
		}
	}
	if (t.stray_bytes > 0)
		printf("vio-flood: the backend sent %lu bytes after a bad message\n",
		       t.stray_bytes);
	printf("vio-flood: connections %lu closed %lu not-closed %lu connect-failed %lu "
	       "setup-failed %lu skipped %lu expect-err %lu expect-warning %lu expect-quiet %lu "
	       "devices %lu kinds %u seconds %.1f\n",
	       t.connections, t.closed, t.not_closed, t.connect_failed, t.setup_failed, t.skipped,
	       t.expect[EXPECT_ERR], t.expect[EXPECT_WARNING], t.expect[EXPECT_QUIET], t.devices,
	       nb_kinds, elapsed);
	fflush(stdout);
	return t.not_closed == 0 && t.connect_failed == 0 && t.setup_failed == 0 ? 0 : 1;
}
