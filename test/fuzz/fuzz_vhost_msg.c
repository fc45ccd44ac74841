/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The backend role's message handler (lib/vhost/vhost_server.c and what it
 * calls: the codec's checks, the device, the local driver's memory table,
 * vrings, IOTLB, inflight and device state) fed a sequence of messages, as
 * a hostile frontend would send them. The messages go in through the
 * in-process link (vhost_local.c): the same server code as a socket, every
 * check and handler, delivered by a function call, with the harness's fds
 * duplicated as the kernel would. Each input is one or more connections: a
 * message the server cannot accept drops the device, and the next message
 * attaches a new one.
 *
 * An input is a list of messages, each
 *   u8 request, u8 flags, u16 payload size, u8 fds, then the payload bytes
 * where the fd byte's low 4 bits are the count (at most 8), bits 4-5 the
 * kind: 0 memfds of 2 MiB (regions that really map), 1 eventfds, 2 the read
 * ends of pipes, 3 a memfd then eventfds; and bit 6: a u16 length and that
 * many bytes follow the payload, the start of the first fd when it is a
 * memfd (guest memory holding rings: the seeds put them at its offset 0).
 * The fds are made fresh for each message and closed after it: the server
 * keeps its copies. After each message, while the device has a connection,
 * every vring gets a burst (enqueue on receive, dequeue on transmit vrings):
 * the data path runs on whatever the messages set up, memory tables
 * replaced under running rings included.
 *
 * Checked besides memory safety: replies are replies to the request, of a
 * size that fits; after each input (every device closed) the process holds
 * no fd, no mbuf and no memory (LeakSanitizer) more than before.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "fuzz_common.h"
#include "vio_test.h"
#include "vhost_internal.h"
#include "vio_vhost.h"

#define MEMFD_SIZE (2u << 20)
#define MSGS_MAX   64 /* messages one input sends */
#define LINKS_MAX  4  /* connections one input makes */
#define POOL_SIZE  512u

static char sock_path[64];
static struct rte_mempool *pool;
static bool verbose; /* FUZZ_LOG set: what the bursts moved */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_eal_init();
	verbose = getenv("FUZZ_LOG") != NULL;
	snprintf(sock_path, sizeof(sock_path), "/tmp/vio-fuzz-vhost-%d.sock", (int)getpid());
	/* A vIOMMU and two queue pairs: IOTLB messages and a second pair are accepted. */
	FUZZ_CHECK(vio_vhost_register(sock_path, VIO_VHOST_F_IOMMU) == 0, "register");
	FUZZ_CHECK(vio_vhost_set_max_queue_pairs(sock_path, 2) == 0, "queue pairs");
	FUZZ_CHECK(vio_vhost_start(sock_path) == 0, "start");
	pool = rte_pktmbuf_pool_create("fuzz_vhost", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	FUZZ_CHECK(pool != NULL, "mempool");
	return 0;
}

/* The fds of one message, made as the fd byte asks; returns how many. */
static uint32_t
fds_make(uint8_t spec, int *fds, struct fuzz_in *in)
{
	uint32_t n = spec & 0xf, kind = spec >> 4, i;

	if (n > VHOST_USER_MAX_FDS)
		n = VHOST_USER_MAX_FDS;
	for (i = 0; i < n; i++) {
		int p[2];

		switch (kind & 3) {
		case 0:
			fds[i] = fuzz_memfd(MEMFD_SIZE);
			break;
		case 1:
			fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			break;
		case 2:
			fds[i] = -1;
			if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
				close(p[1]);
				fds[i] = p[0];
			}
			break;
		default:
			fds[i] = i == 0 ? fuzz_memfd(MEMFD_SIZE)
					: eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			break;
		}
		FUZZ_CHECK(fds[i] >= 0, "fd %u of kind %u", i, kind);
	}
	if (spec & 0x40) {
		size_t len = fuzz_u16(in);

		if (len > in->left)
			len = in->left;
		if (n > 0 && ((kind & 3) == 0 || (kind & 3) == 3) && len > 0)
			FUZZ_CHECK(pwrite(fds[0], in->p, len, 0) == (ssize_t)len, "pwrite");
		in->p += len;
		in->left -= len;
	}
	return n;
}

/* A burst on each vring of the connected device, if any: enqueue on even ones, dequeue on odd. */
static void
bursts(void)
{
	struct vio_vhost_socket_info info;
	struct rte_mbuf *pkts[4];
	uint16_t q, i, n;

	if (vio_vhost_get_socket_info(sock_path, &info) != 0 || info.vid < 0)
		return;
	for (q = 0; q < 4; q++) {
		if (q % 2 == 0) {
			for (i = 0; i < 2; i++) {
				pkts[i] = rte_pktmbuf_alloc(pool);
				FUZZ_CHECK(pkts[i] != NULL, "mbuf");
				memset(rte_pktmbuf_append(pkts[i], 60 + i * 100), 0x5a,
				       60 + i * 100);
			}
			n = vio_vhost_enqueue_burst(info.vid, q, pkts, 2);
			FUZZ_CHECK(n <= 2, "enqueued %u of 2", n);
			rte_pktmbuf_free_bulk(pkts, 2); /* the caller's: the engine copies */
		} else {
			n = vio_vhost_dequeue_burst(info.vid, q, pool, pkts, RTE_DIM(pkts));
			FUZZ_CHECK(n <= RTE_DIM(pkts), "dequeued %u", n);
			rte_pktmbuf_free_bulk(pkts, n);
		}
		if (n > 0 && verbose)
			fprintf(stderr, "fuzz: vring %u: %u packets moved\n", q, n);
	}
}

static void
fds_close(int *fds, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vhost_local_link *link = NULL;
	struct vhost_user_msg *reply;
	unsigned int links = 0, n;
	/* Counted per input: the sanitizers open pipes of their own (the symbolizer) between inputs. */
	int nb_fds_open = vio_test_fd_count();

	reply = calloc(1, sizeof(*reply));
	FUZZ_CHECK(reply != NULL, "alloc");
	for (n = 0; n < MSGS_MAX && in.left > 0; n++) {
		union vhost_user_payload payload;
		struct vhost_user_hdr hdr;
		int fds[VHOST_USER_MAX_FDS];
		uint32_t nb_fds;
		uint8_t spec;
		bool replied;
		int ret;

		hdr.request = fuzz_u8(&in);
		hdr.flags = fuzz_u8(&in);
		hdr.size = fuzz_u16(&in);
		spec = fuzz_u8(&in);
		/* A larger size is the codec's to refuse (test vhost-malformed): not this one's. */
		if (hdr.size > sizeof(payload))
			hdr.size = sizeof(payload);
		fuzz_bytes(&in, &payload, hdr.size);
		nb_fds = fds_make(spec, fds, &in);
		if (link == NULL) {
			if (links == LINKS_MAX) {
				fds_close(fds, nb_fds);
				break;
			}
			FUZZ_CHECK(vhost_local_attach(sock_path, &link) == 0, "attach");
			links++;
		}
		ret = vhost_local_request(link, &hdr, &payload, fds, nb_fds, reply, &replied);
		fds_close(fds, nb_fds);
		if (replied) {
			FUZZ_CHECK(reply->hdr.request == hdr.request, "reply to %u for request %u",
				   reply->hdr.request, hdr.request);
			FUZZ_CHECK(reply->hdr.flags == (VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY),
				   "reply flags 0x%x", reply->hdr.flags);
			FUZZ_CHECK(reply->hdr.size <= sizeof(reply->payload), "reply size %u",
				   reply->hdr.size);
			vhost_user_msg_close_fds(reply);
		}
		if (ret == -ECONNRESET) {
			/* The server dropped the device: the next message connects again. */
			vhost_local_detach(link);
			link = NULL;
		} else {
			FUZZ_CHECK(ret == 0, "vhost_local_request: %d", ret);
			bursts();
		}
	}
	vhost_local_detach(link);
	free(reply);
	FUZZ_CHECK(rte_mempool_avail_count(pool) == POOL_SIZE, "mbufs leaked: %u of %u in the pool",
		   rte_mempool_avail_count(pool), POOL_SIZE);
	if (vio_test_fd_count() != nb_fds_open) {
		fuzz_fd_list();
		FUZZ_CHECK(vio_test_fd_count() == nb_fds_open, "fds leaked: %d open, %d before",
			   vio_test_fd_count(), nb_fds_open);
	}
	return 0;
}
