/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio's vhost-user frontend (vio_vhost_frontend.h) driving a backend that is
 * not net at all: QEMU's qemu-storage-daemon exporting a raw image as
 * vhost-user-blk. Through the generic API only: features and protocol
 * features negotiated, the owner set, GET_CONFIG's capacity checked against
 * the image, a memory table (a memfd), one split vring set up with vio's
 * driver-side ring primitives, then real block requests: a pattern written to
 * sectors spread over the image, read back and compared byte for byte, a
 * flush, and after the daemon exits the image file itself is checked. The
 * backend request channel (BACKEND_REQ, which the daemon offers) is open
 * throughout and served after the I/O: nothing may be refused or malformed.
 * (QEMU 7.2's export sends nothing on it: a resize through its monitor
 * neither sends CONFIG_CHANGE_MSG nor changes the capacity GET_CONFIG reads.)
 *
 *   test-frontend-blk [--image-mib N] [--requests N]
 *
 * Exit 0 pass, 1 fail, 77 skip (no qemu-storage-daemon).
 */

#define _GNU_SOURCE /* memfd_create */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>

#include "split_ring.h"
#include "vio_vhost_frontend.h"
#include "vio_virtio.h"

#define QSD       "qemu-storage-daemon"
#define SECTOR    512
#define RING_SIZE 128
#define MEM_SIZE  (4u << 20)
#define MEM_GPA   0x40000000ull /* any address: the descriptors use it, the backend maps it */
#define IO_BYTES  4096

/* virtio 1.2, 5.2.6: a block request's header and its status byte. */
#define BLK_T_IN    0
#define BLK_T_OUT   1
#define BLK_T_FLUSH 4
#define BLK_S_OK    0
struct blk_req_hdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

#define FAIL(...)                                                    \
	do {                                                         \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                        \
		fprintf(stderr, "\n");                               \
		return -1;                                           \
	} while (0)
#define CHECK(call)                                                                     \
	do {                                                                            \
		int rc_ = (call);                                                       \
		if (rc_ != 0)                                                           \
			FAIL("%s = %d (%s)", #call, rc_, strerror(rc_ < 0 ? -rc_ : 0)); \
	} while (0)

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct blk {
	char dir[64];
	char image[96];
	char sock[96];
	pid_t qsd;
	uint64_t image_bytes;
	struct vio_vhost_frontend *fe;
	int memfd;
	uint8_t *mem; /* MEM_SIZE bytes at MEM_GPA */
	uint64_t next_alloc;
	struct vio_split_drv drv;
	uint16_t chain_len[RING_SIZE];
	int kickfd, callfd;
};

static uint64_t
blk_alloc(struct blk *b, uint64_t len, uint64_t align)
{
	uint64_t off = RTE_ALIGN_CEIL(b->next_alloc, align);

	if (off + len > MEM_SIZE)
		return 0;
	b->next_alloc = off + len;
	return off;
}

static void *
at(struct blk *b, uint64_t off)
{
	return b->mem + off;
}

static uint8_t
pattern(uint64_t sector, uint32_t i)
{
	return (uint8_t)(sector * 37 + i * 11 + (i >> 9) + 5);
}

static int
qsd_start(struct blk *b)
{
	char blockdev[160], export[192];
	int fd;

	fd = open(b->image, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)b->image_bytes) < 0)
		FAIL("image %s: %s", b->image, strerror(errno));
	close(fd);
	snprintf(blockdev, sizeof(blockdev), "driver=file,node-name=file0,filename=%s", b->image);
	snprintf(export, sizeof(export),
		 "type=vhost-user-blk,id=exp0,node-name=file0,addr.type=unix,addr.path=%s,"
		 "writable=on,num-queues=1",
		 b->sock);
	b->qsd = fork();
	if (b->qsd < 0)
		FAIL("fork: %s", strerror(errno));
	if (b->qsd == 0) {
		execlp(QSD, QSD, "--blockdev", blockdev, "--export", export, (char *)NULL);
		_exit(127);
	}
	return 0;
}

static int
qsd_stop(struct blk *b)
{
	int status;

	if (b->qsd <= 0)
		return 0;
	kill(b->qsd, SIGTERM);
	if (waitpid(b->qsd, &status, 0) < 0)
		FAIL("waitpid: %s", strerror(errno));
	b->qsd = 0;
	return 0;
}

/* Negotiate as a VMM does for vhost-user-blk, through the generic API only. */
static int
negotiate(struct blk *b)
{
	const uint64_t want_pf = VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK) |
				 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_CONFIG) |
				 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_MQ) |
				 VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_BACKEND_REQ);
	uint64_t features, pf, capacity;
	uint16_t queues = 1;

	CHECK(vio_vhost_frontend_get_features(b->fe, &features));
	printf("backend features 0x%" PRIx64 "\n", features);
	if (!(features & VIO_BIT(VIO_F_VERSION_1)) ||
	    !(features & VIO_BIT(VIO_VHOST_USER_F_PROTOCOL_FEATURES)))
		FAIL("features 0x%" PRIx64 ": VERSION_1 or PROTOCOL_FEATURES missing", features);
	CHECK(vio_vhost_frontend_get_protocol_features(b->fe, &pf));
	printf("backend protocol features 0x%" PRIx64 "\n", pf);
	if (!(pf & VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_CONFIG)) ||
	    !(pf & VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_BACKEND_REQ)))
		FAIL("protocol features 0x%" PRIx64 ": no CONFIG or BACKEND_REQ", pf);
	CHECK(vio_vhost_frontend_set_protocol_features(b->fe, pf & want_pf));
	/* A feature set beyond the offer is refused before anything is sent. */
	if (vio_vhost_frontend_set_features(b->fe, features | VIO_BIT(63)) != -EINVAL)
		FAIL("SET_FEATURES beyond the offer was not refused");
	CHECK(vio_vhost_frontend_set_owner(b->fe));
	/* Acked under REPLY_ACK: the daemon took the channel. */
	CHECK(vio_vhost_frontend_set_backend_req_fd(b->fe, NULL, NULL));
	if (pf & VIO_BIT(VIO_VHOST_USER_PROTOCOL_F_MQ)) {
		CHECK(vio_vhost_frontend_get_queue_num(b->fe, &queues));
		printf("backend queues %u\n", queues);
	}
	/* virtio 1.2, 5.2.4: capacity, in 512-byte sectors, comes first. */
	CHECK(vio_vhost_frontend_get_config(b->fe, 0, &capacity, sizeof(capacity)));
	printf("capacity %" PRIu64 " sectors (image %" PRIu64 " bytes)\n", capacity,
	       b->image_bytes);
	if (capacity * SECTOR != b->image_bytes)
		FAIL("capacity %" PRIu64 " sectors, the image has %" PRIu64, capacity,
		     b->image_bytes / SECTOR);
	CHECK(vio_vhost_frontend_set_features(
		b->fe, VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(VIO_VHOST_USER_F_PROTOCOL_FEATURES)));
	return 0;
}

/* Guest memory from a memfd, one split vring in it, kick and call eventfds. */
static int
rings_setup(struct blk *b)
{
	struct vio_vhost_frontend_region r;
	uint64_t desc, avail, used;

	b->memfd = memfd_create("vio-blk", MFD_CLOEXEC);
	if (b->memfd < 0 || ftruncate(b->memfd, MEM_SIZE) < 0)
		FAIL("memfd: %s", strerror(errno));
	b->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, b->memfd, 0);
	if (b->mem == MAP_FAILED)
		FAIL("mmap: %s", strerror(errno));
	r = (struct vio_vhost_frontend_region){ .gpa = MEM_GPA,
						.size = MEM_SIZE,
						.uaddr = (uint64_t)(uintptr_t)b->mem,
						.mmap_offset = 0,
						.fd = b->memfd };
	CHECK(vio_vhost_frontend_set_mem_table(b->fe, &r, 1));

	desc = blk_alloc(b, vio_vring_desc_bytes(RING_SIZE), 4096);
	avail = blk_alloc(b, vio_vring_avail_bytes(RING_SIZE), 4096);
	used = blk_alloc(b, vio_vring_used_bytes(RING_SIZE), 4096);
	b->drv.r.desc = at(b, desc);
	b->drv.r.avail = at(b, avail);
	b->drv.r.used = at(b, used);
	b->drv.r.size = RING_SIZE;
	b->drv.r.mask = RING_SIZE - 1;
	b->drv.chain_len = b->chain_len;
	vio_split_drv_init(&b->drv);
	b->kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	b->callfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->kickfd < 0 || b->callfd < 0)
		FAIL("eventfd: %s", strerror(errno));
	CHECK(vio_vhost_frontend_set_vring_num(b->fe, 0, RING_SIZE));
	CHECK(vio_vhost_frontend_set_vring_base(b->fe, 0, 0));
	CHECK(vio_vhost_frontend_set_vring_addr(b->fe, 0, (uint64_t)(uintptr_t)at(b, desc),
						(uint64_t)(uintptr_t)at(b, avail),
						(uint64_t)(uintptr_t)at(b, used), false, 0));
	CHECK(vio_vhost_frontend_set_vring_call(b->fe, 0, b->callfd));
	CHECK(vio_vhost_frontend_set_vring_kick(b->fe, 0, b->kickfd));
	CHECK(vio_vhost_frontend_set_vring_enable(b->fe, 0, true));
	return 0;
}

/* One request, waited for: @p data (IO_BYTES, or none for a flush) at @p sector. */
static int
blk_request(struct blk *b, uint32_t type, uint64_t sector, uint64_t data)
{
	uint64_t hdr = blk_alloc(b, sizeof(struct blk_req_hdr), 16), status = blk_alloc(b, 1, 1);
	struct blk_req_hdr *h = at(b, hdr);
	struct vio_ring_buf chain[3];
	uint16_t n = 0, id;
	uint64_t start = now_ms();
	uint32_t len;
	int head, ms;

	if (hdr == 0 || status == 0)
		FAIL("guest memory full");
	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*(uint8_t *)at(b, status) = 0xff;
	chain[n++] = (struct vio_ring_buf){ MEM_GPA + hdr, sizeof(*h), 0 };
	if (type != BLK_T_FLUSH)
		chain[n++] = (struct vio_ring_buf){ MEM_GPA + data, IO_BYTES, type == BLK_T_IN };
	chain[n++] = (struct vio_ring_buf){ MEM_GPA + status, 1, 1 };
	head = vio_split_drv_post(&b->drv, chain, n, false);
	if (head < 0)
		FAIL("post: %d", head);
	vio_split_drv_publish(&b->drv);
	eventfd_write(b->kickfd, 1);
	/* The call eventfd is drained on each wake-up, so a signal left over
	 * from an earlier request (or from the ring's start) cannot turn this
	 * wait into a busy loop that gives up early: the 10 s are counted on
	 * the clock, not in loop turns. */
	for (ms = 0; ms < 10000; ms = (int)(now_ms() - start)) {
		struct pollfd pfd = { .fd = b->callfd, .events = POLLIN };
		eventfd_t ev;

		if (vio_split_drv_reap(&b->drv, &id, &len) == 0) {
			if (id != head)
				FAIL("used id %u, posted %d", id, head);
			if (*(uint8_t *)at(b, status) != BLK_S_OK)
				FAIL("request type %u sector %" PRIu64 ": status %u", type, sector,
				     *(uint8_t *)at(b, status));
			return 0;
		}
		if (poll(&pfd, 1, 1) > 0 && (pfd.revents & POLLIN))
			(void)eventfd_read(b->callfd, &ev);
	}
	FAIL("request type %u sector %" PRIu64 ": no completion in 10 s", type, sector);
}

static int
io_check(struct blk *b, unsigned int nb_req)
{
	uint64_t sectors = b->image_bytes / SECTOR, buf;
	unsigned int k;
	uint32_t i;

	buf = blk_alloc(b, IO_BYTES, 4096);
	for (k = 0; k < nb_req; k++) {
		/* Spread over the image, the last request ending at its last sector. */
		uint64_t s = k * ((sectors - IO_BYTES / SECTOR) / (nb_req - 1));

		for (i = 0; i < IO_BYTES; i++)
			((uint8_t *)at(b, buf))[i] = pattern(s, i);
		if (blk_request(b, BLK_T_OUT, s, buf) != 0)
			return -1;
	}
	if (blk_request(b, BLK_T_FLUSH, 0, 0) != 0)
		return -1;
	for (k = 0; k < nb_req; k++) {
		uint64_t s = k * ((sectors - IO_BYTES / SECTOR) / (nb_req - 1));

		memset(at(b, buf), 0, IO_BYTES);
		if (blk_request(b, BLK_T_IN, s, buf) != 0)
			return -1;
		for (i = 0; i < IO_BYTES; i++)
			if (((uint8_t *)at(b, buf))[i] != pattern(s, i))
				FAIL("read back sector %" PRIu64 " byte %u: 0x%02x, wrote 0x%02x",
				     s, i, ((uint8_t *)at(b, buf))[i], pattern(s, i));
	}
	printf("%u writes of %u bytes, a flush and %u reads: every byte read back\n", nb_req,
	       IO_BYTES, nb_req);
	return 0;
}

/* After the daemon exited: the pattern is in the image file itself. */
static int
image_check(struct blk *b, unsigned int nb_req)
{
	uint64_t sectors = b->image_bytes / SECTOR;
	uint8_t data[IO_BYTES];
	unsigned int k;
	uint32_t i;
	int fd = open(b->image, O_RDONLY);

	if (fd < 0)
		FAIL("%s: %s", b->image, strerror(errno));
	for (k = 0; k < nb_req; k++) {
		uint64_t s = k * ((sectors - IO_BYTES / SECTOR) / (nb_req - 1));

		if (pread(fd, data, sizeof(data), (off_t)(s * SECTOR)) != (ssize_t)sizeof(data)) {
			close(fd);
			FAIL("pread sector %" PRIu64, s);
		}
		for (i = 0; i < IO_BYTES; i++) {
			if (data[i] != pattern(s, i)) {
				close(fd);
				FAIL("image sector %" PRIu64 " byte %u: 0x%02x", s, i, data[i]);
			}
		}
	}
	close(fd);
	printf("the image file holds all %u patterns\n", nb_req);
	return 0;
}

static int
run(struct blk *b, unsigned int nb_req)
{
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 10000 };
	uint32_t base;

	if (qsd_start(b) != 0)
		return -1;
	b->fe = vio_vhost_frontend_connect(b->sock, &fc);
	if (b->fe == NULL)
		FAIL("connect %s: %s", b->sock, strerror(rte_errno));
	if (negotiate(b) != 0 || rings_setup(b) != 0 || io_check(b, nb_req) != 0)
		return -1;
	{
		struct vio_vhost_frontend_backend_req_stats st;
		int n = vio_vhost_frontend_handle_backend_req(b->fe);

		vio_vhost_frontend_backend_req_stats(b->fe, &st);
		printf("backend request channel: %d waiting, %" PRIu64 " handled, %" PRIu64
		       " refused\n",
		       n, st.requests, st.refused);
		if (n < 0 || st.refused != 0)
			FAIL("the backend request channel: %d, %" PRIu64 " refused", n, st.refused);
	}
	CHECK(vio_vhost_frontend_get_vring_base(b->fe, 0, &base));
	printf("vring 0 stopped at base %u (%u requests posted)\n", base, 2 * nb_req + 1);
	if (base != 2 * nb_req + 1)
		FAIL("GET_VRING_BASE %u, %u requests were posted", base, 2 * nb_req + 1);
	vio_vhost_frontend_close(b->fe);
	b->fe = NULL;
	if (qsd_stop(b) != 0)
		return -1;
	return image_check(b, nb_req);
}

int
main(int argc, char **argv)
{
	static struct blk b;
	unsigned int nb_req = 16, mib = 16;
	int i, ret;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--requests") == 0)
			nb_req = (unsigned int)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--image-mib") == 0)
			mib = (unsigned int)atoi(argv[i + 1]);
	}
	if (nb_req < 2 || nb_req > 40 || mib < 1) {
		fprintf(stderr, "--requests 2 to 40, --image-mib 1 or more\n");
		return 1;
	}
	if (system("command -v " QSD " >/dev/null 2>&1") != 0) {
		printf("SKIP: %s not installed (package qemu-system-common)\n", QSD);
		return 77;
	}
	snprintf(b.dir, sizeof(b.dir), "/tmp/vio-fe-blk.XXXXXX");
	if (mkdtemp(b.dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(b.image, sizeof(b.image), "%s/disk.img", b.dir);
	snprintf(b.sock, sizeof(b.sock), "%s/blk.sock", b.dir);
	b.image_bytes = (uint64_t)mib << 20;
	b.memfd = b.kickfd = b.callfd = -1;
	ret = run(&b, nb_req);
	vio_vhost_frontend_close(b.fe);
	qsd_stop(&b);
	unlink(b.image);
	unlink(b.sock);
	rmdir(b.dir);
	printf("%s\n", ret == 0 ? "PASS" : "FAIL");
	return ret == 0 ? 0 : 1;
}
