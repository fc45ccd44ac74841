/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_TEST_PORT_FRAMES_H
#define VIO_TEST_PORT_FRAMES_H

/*
 * Numbered frames for the port tests: each carries its sequence number and
 * a pattern that depends on it, and has a length that depends on it, so a
 * frame that comes back can be checked byte for byte.
 */

#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

#include "vio_port.h"

#define FRAME_MAX_LEN 4000

/* Length of frame @p seq: 60 to @p max bytes. */
static inline uint32_t
frame_len_in(uint64_t seq, uint32_t max)
{
	return 60 + (uint32_t)((seq * 389) % (max - 60 + 1));
}

/* Length of frame @p seq: 60 to FRAME_MAX_LEN, some of them larger than one 2 KiB mbuf. */
static inline uint32_t
frame_len(uint64_t seq)
{
	return frame_len_in(seq, FRAME_MAX_LEN);
}

static inline uint8_t
frame_byte(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 31 + i * 3 + 5);
}

/*
 * A frame of at most @p max bytes: Ethernet addresses (02:02:02:02:02:02, or
 * @p dst as the destination), then the sequence number, then the pattern.
 */
static inline struct rte_mbuf *
frame_make_to(struct rte_mempool *mp, uint64_t seq, uint32_t max, const uint8_t *dst)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint32_t len = frame_len_in(seq, max), i;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0x02, 12);
	if (dst != NULL)
		memcpy(p, dst, 6);
	memcpy(p + 12, &seq, sizeof(seq));
	for (i = 12 + sizeof(seq); i < len; i++)
		p[i] = frame_byte(seq, i);
	return m;
}

static inline struct rte_mbuf *
frame_make(struct rte_mempool *mp, uint64_t seq)
{
	return frame_make_to(mp, seq, FRAME_MAX_LEN, NULL);
}

/* The sequence number of an intact frame of at most @p max bytes, or UINT64_MAX. */
static inline uint64_t
frame_seq_in(const struct rte_mbuf *m, uint32_t max)
{
	uint8_t buf[FRAME_MAX_LEN];
	const uint8_t *p;
	uint64_t seq;
	uint32_t i;

	if (m->pkt_len < 12 + sizeof(seq) || m->pkt_len > max || max > FRAME_MAX_LEN)
		return UINT64_MAX;
	p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	memcpy(&seq, p + 12, sizeof(seq));
	if (m->pkt_len != frame_len_in(seq, max))
		return UINT64_MAX;
	for (i = 12 + sizeof(seq); i < m->pkt_len; i++)
		if (p[i] != frame_byte(seq, i))
			return UINT64_MAX;
	return seq;
}

static inline uint64_t
frame_seq(const struct rte_mbuf *m)
{
	return frame_seq_in(m, FRAME_MAX_LEN);
}

/*
 * Up to @p burst frames received on queue pair 0 of @p port and checked
 * against frames @p first .. @p first + @p n - 1 (of at most @p max bytes):
 * each one seen once (@p seen, n entries), intact, or counted in *@p bad.
 * Returns how many were received.
 */
static inline uint16_t
frames_recv_check(struct vio_port *port, uint64_t first, uint64_t n, uint32_t max, uint8_t *seen,
		  uint64_t *bad)
{
	struct rte_mbuf *pkts[64];
	uint16_t i, k = vio_port_recv(port, 0, pkts, RTE_DIM(pkts));

	for (i = 0; i < k; i++) {
		uint64_t s = frame_seq_in(pkts[i], max);

		if (s < first || s - first >= n || seen[s - first]++ != 0)
			(*bad)++;
	}
	rte_pktmbuf_free_bulk(pkts, k);
	return k;
}

#endif /* VIO_TEST_PORT_FRAMES_H */
