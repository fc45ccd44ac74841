/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * udp-frag: numbered UDP datagrams with a known pattern, for the guest
 * switch test (test/guest/switch.sh). It runs inside the guests: one sends,
 * the other receives and checks every byte. Datagrams larger than the MTU
 * leave the sender as IP fragments, so the switch between the guests must
 * carry fragments (and the receiver's kernel reassembles them).
 *
 *   udp-frag send ADDR PORT COUNT SIZES [GAP_US]
 *   udp-frag recv PORT COUNT SIZES [WAIT_S [IDLE_S]]
 *
 * SIZES is a comma-separated list of UDP payload sizes (16 to 65507):
 * datagram n (0 to COUNT-1) is SIZES[n % number of sizes] bytes long. It
 * holds a magic word, n, COUNT and its own size, then a pattern that depends
 * on n and on the position, so a byte moved, lost or taken from another
 * datagram shows.
 *
 * send: COUNT datagrams to ADDR:PORT, one every GAP_US microseconds (default
 * 2000), from an unconnected socket; prints what it sent.
 * recv: binds PORT on every address, prints "udp-frag recv: ready", then
 * takes datagrams until all COUNT have come, nothing came for IDLE_S seconds
 * (default 5) after the first one, WAIT_S seconds (default 60) passed in
 * all, or SIGTERM or SIGINT came. Prints per size how many came intact, then the damaged, duplicate,
 * foreign and missing ones; exits 0 only when every datagram came once and
 * intact.
 *
 * Exit 0 ok, 1 check failed, 2 usage or system error.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAGIC        UINT32_C(0x76696f55) /* "vioU" */
#define HDR_LEN      16
#define SIZE_MIN     HDR_LEN
#define SIZE_MAX_UDP 65507
#define MAX_SIZES    8
#define COUNT_MAX    1000000

static volatile sig_atomic_t stop;
static unsigned int sizes[MAX_SIZES];
static unsigned int nb_sizes;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: udp-frag send ADDR PORT COUNT SIZES [GAP_US]\n"
			"       udp-frag recv PORT COUNT SIZES [WAIT_S [IDLE_S]]\n");
	return 2;
}

/* parse_uint TEXT MIN MAX: the number, or -1. */
static long
parse_uint(const char *text, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
		return -1;
	return v;
}

static int
parse_sizes(const char *text)
{
	char buf[128];
	char *tok, *save;
	long v;

	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	nb_sizes = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		v = parse_uint(tok, SIZE_MIN, SIZE_MAX_UDP);
		if (v < 0 || nb_sizes == MAX_SIZES)
			return -1;
		sizes[nb_sizes++] = (unsigned int)v;
	}
	return nb_sizes > 0 ? 0 : -1;
}

static unsigned int
size_of(uint32_t n)
{
	return sizes[n % nb_sizes];
}

static uint8_t
pattern(uint32_t n, unsigned int pos)
{
	return (uint8_t)(n * 131u + pos * 7u + (pos >> 8) + 1u);
}

static void
put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

static void
fill(uint8_t *buf, uint32_t n, uint32_t count)
{
	unsigned int len = size_of(n), i;

	put32(buf, MAGIC);
	put32(buf + 4, n);
	put32(buf + 8, count);
	put32(buf + 12, len);
	for (i = HDR_LEN; i < len; i++)
		buf[i] = pattern(n, i);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
do_send(const char *addr, long port, long count, long gap_us)
{
	static uint8_t buf[SIZE_MAX_UDP];
	struct sockaddr_in dst;
	uint64_t bytes = 0;
	double t0;
	long n;
	int fd;

	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1) {
		fprintf(stderr, "udp-frag: bad IPv4 address '%s'\n", addr);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udp-frag: socket");
		return 2;
	}
	t0 = now_s();
	for (n = 0; n < count; n++) {
		fill(buf, (uint32_t)n, (uint32_t)count);
		while (sendto(fd, buf, size_of((uint32_t)n), 0, (const struct sockaddr *)&dst,
			      sizeof(dst)) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("udp-frag: sendto");
				close(fd);
				return 2;
			}
			usleep(1000);
		}
		bytes += size_of((uint32_t)n);
		if (gap_us > 0)
			usleep((useconds_t)gap_us);
	}
	printf("udp-frag send: %ld datagrams, %" PRIu64 " bytes to %s:%ld in %.2f s\n", count,
	       bytes, addr, port, now_s() - t0);
	close(fd);
	return 0;
}

static int
do_recv(long port, long count, long wait_s, long idle_s)
{
	static uint8_t buf[SIZE_MAX_UDP + 1];
	unsigned long good[MAX_SIZES] = { 0 }, want[MAX_SIZES] = { 0 };
	unsigned long damaged = 0, dup = 0, foreign = 0, missing = 0;
	uint64_t bytes = 0;
	struct sockaddr_in me;
	struct sigaction sa;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	double t0, first = 0, last = 0;
	long got = 0, n;
	uint8_t *seen;
	int fd, rcvbuf = 8 << 20, rc;
	unsigned int i;

	seen = calloc((size_t)count, 1);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (seen == NULL || fd < 0) {
		perror("udp-frag: socket");
		return 2;
	}
	/* Root in the guest: past rmem_max, so a slow reader loses nothing. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_port = htons((uint16_t)port);
	me.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (const struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("udp-frag: bind");
		return 2;
	}
	/* SIGTERM or SIGINT ends the wait early (no SA_RESTART: recv returns EINTR). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("udp-frag recv: ready on port %ld\n", port);
	fflush(stdout);
	t0 = now_s();
	while (got < count && !stop) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		double t = now_s();

		if (len < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				perror("udp-frag: recv");
				return 2;
			}
			if (t - t0 > (double)wait_s || (first > 0 && t - last > (double)idle_s))
				break;
			continue;
		}
		if (first == 0)
			first = t;
		last = t;
		if (len < HDR_LEN || get32(buf) != MAGIC || get32(buf + 8) != (uint32_t)count) {
			foreign++;
			continue;
		}
		n = get32(buf + 4);
		if (n >= count || (size_t)len != size_of((uint32_t)n) ||
		    get32(buf + 12) != (uint32_t)len) {
			damaged++;
			continue;
		}
		for (i = HDR_LEN; i < (unsigned int)len; i++)
			if (buf[i] != pattern((uint32_t)n, i))
				break;
		if (i != (unsigned int)len) {
			if (damaged < 5)
				printf("udp-frag recv: datagram %ld: byte %u is 0x%02x, 0x%02x "
				       "expected\n",
				       n, i, buf[i], pattern((uint32_t)n, i));
			damaged++;
			continue;
		}
		if (seen[n]) {
			dup++;
			continue;
		}
		seen[n] = 1;
		got++;
		bytes += (uint64_t)len;
		good[(uint32_t)n % nb_sizes]++;
	}
	for (n = 0; n < count; n++) {
		want[(uint32_t)n % nb_sizes]++;
		if (!seen[n]) {
			if (missing < 5)
				printf("udp-frag recv: datagram %ld (%u bytes) missing\n", n,
				       size_of((uint32_t)n));
			missing++;
		}
	}
	for (i = 0; i < nb_sizes; i++)
		printf("udp-frag recv: port %ld: %u-byte datagrams: %lu/%lu intact\n", port,
		       sizes[i], good[i], want[i]);
	rc = (got == count && damaged == 0 && dup == 0) ? 0 : 1;
	printf("udp-frag recv: port %ld: %ld/%ld datagrams intact, %" PRIu64 " bytes in %.2f s;"
	       " damaged %lu duplicate %lu foreign %lu missing %lu: %s\n",
	       port, got, count, bytes, first > 0 ? last - first : 0.0, damaged, dup, foreign,
	       missing, rc == 0 ? "ok" : "FAIL");
	free(seen);
	close(fd);
	return rc;
}

int
main(int argc, char **argv)
{
	long port, count, a, b;

	if (argc >= 6 && argc <= 7 && strcmp(argv[1], "send") == 0) {
		port = parse_uint(argv[3], 1, 65535);
		count = parse_uint(argv[4], 1, COUNT_MAX);
		a = argc > 6 ? parse_uint(argv[6], 0, 10000000) : 2000;
		if (port < 0 || count < 0 || a < 0 || parse_sizes(argv[5]) < 0)
			return usage();
		return do_send(argv[2], port, count, a);
	}
	if (argc >= 5 && argc <= 7 && strcmp(argv[1], "recv") == 0) {
		port = parse_uint(argv[2], 1, 65535);
		count = parse_uint(argv[3], 1, COUNT_MAX);
		a = argc > 5 ? parse_uint(argv[5], 1, 3600) : 60;
		b = argc > 6 ? parse_uint(argv[6], 1, 3600) : 5;
		if (port < 0 || count < 0 || a < 0 || b < 0 || parse_sizes(argv[4]) < 0)
			return usage();
		return do_recv(port, count, a, b);
	}
	return usage();
}
