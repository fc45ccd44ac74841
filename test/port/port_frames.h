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

#define FRAME_MAX_LEN 4000

/* Length of frame @p seq: 60 to FRAME_MAX_LEN, some of them larger than one 2 KiB mbuf. */
static inline uint32_t
frame_len(uint64_t seq)
{
	return 60 + (uint32_t)((seq * 389) % (FRAME_MAX_LEN - 60 + 1));
}

static inline uint8_t
frame_byte(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 31 + i * 3 + 5);
}

/* A frame: Ethernet addresses, then the sequence number, then the pattern. */
static inline struct rte_mbuf *
frame_make(struct rte_mempool *mp, uint64_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint32_t len = frame_len(seq), i;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0x02, 12);
	memcpy(p + 12, &seq, sizeof(seq));
	for (i = 12 + sizeof(seq); i < len; i++)
		p[i] = frame_byte(seq, i);
	return m;
}

/* The sequence number of an intact frame, or UINT64_MAX. */
static inline uint64_t
frame_seq(const struct rte_mbuf *m)
{
	uint8_t buf[FRAME_MAX_LEN];
	const uint8_t *p;
	uint64_t seq;
	uint32_t i;

	if (m->pkt_len < 12 + sizeof(seq) || m->pkt_len > FRAME_MAX_LEN)
		return UINT64_MAX;
	p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	memcpy(&seq, p + 12, sizeof(seq));
	if (m->pkt_len != frame_len(seq))
		return UINT64_MAX;
	for (i = 12 + sizeof(seq); i < m->pkt_len; i++)
		if (p[i] != frame_byte(seq, i))
			return UINT64_MAX;
	return seq;
}

#endif /* VIO_TEST_PORT_FRAMES_H */
