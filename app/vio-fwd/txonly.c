/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * txonly: the frame a stream sends, built once at set-up. An Ethernet frame
 * from the tx port's MAC to its --eth-peer, IPv4 from --tx-ip's source to its
 * destination (TTL 64, don't fragment), UDP between the ports of --tx-udp,
 * and a payload of bytes counting up from 0, with both checksums computed
 * over the frame as sent. The loop copies the whole frame into every mbuf,
 * so the checksums hold whatever the mbuf held before.
 */

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_udp.h>

#include "fwd.h"

/* TTL of the frames: Linux's default (net.ipv4.ip_default_ttl). */
#define TX_TTL 64

int
fwd_txonly_frame(struct fwd_ctx *ctx, struct fwd_stream *fs)
{
	const struct fwd_opts *o = ctx->opts;
	const struct fwd_port *tx = &ctx->ports[fs->tx_port];
	uint16_t len = o->txpkts;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *frame, *payload;
	uint16_t i;

	frame = rte_zmalloc_socket("vio-fwd txonly frame", len, RTE_CACHE_LINE_SIZE,
				   (int)rte_lcore_to_socket_id(fs->lcore));
	if (frame == NULL)
		frame = rte_zmalloc("vio-fwd txonly frame", len, RTE_CACHE_LINE_SIZE);
	if (frame == NULL)
		return -ENOMEM;

	eth = (struct rte_ether_hdr *)frame;
	rte_ether_addr_copy(&tx->eth_peer, &eth->dst_addr);
	rte_ether_addr_copy(&tx->mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);

	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth)));
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = TX_TTL;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(o->tx_ip_src);
	ip->dst_addr = rte_cpu_to_be_32(o->tx_ip_dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);

	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(o->tx_udp_src);
	udp->dst_port = rte_cpu_to_be_16(o->tx_udp_dst);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth) - sizeof(*ip)));
	payload = (uint8_t *)(udp + 1);
	for (i = 0; i < len - FWD_TXPKTS_MIN; i++)
		payload[i] = (uint8_t)i;
	/* Over the pseudo-header, the UDP header with a zero checksum, and the payload. */
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);

	fs->tx_frame = frame;
	fs->tx_len = len;
	return 0;
}
