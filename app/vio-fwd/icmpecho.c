/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * icmpecho: play a host at --ip on every port. ARP requests for that address
 * (RFC 826) and ICMP echo requests to it (RFC 792) are turned into replies in
 * the mbuf they came in; everything else is dropped and counted as "other".
 * A request for the address whose IPv4 header or ICMP checksum is wrong, or
 * whose lengths do not add up, is dropped and counted as "bad".
 *
 * The frame is untrusted: every header is read only after the first segment
 * was checked to hold it, and the ICMP message only within the IPv4 total
 * length, itself checked against the frame's length. Called per packet by
 * the forwarding lcore: no allocation, no logging.
 */

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "fwd.h"

/* TTL of the replies: Linux's default (net.ipv4.ip_default_ttl). */
#define REPLY_TTL 64

/* A one's complement sum that checks: the data, its checksum included, adds up to 0xffff. */
#define CKSUM_GOOD 0xffff

static bool
arp_reply(struct fwd_stream *fs, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	struct rte_arp_ipv4 *d = &arp->arp_data;
	uint32_t sip;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*arp) ||
	    arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != sizeof(uint32_t) ||
	    arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) || d->arp_tip != fs->ip_be) {
		FWD_STAT_ADD(&fs->stats, other, 1);
		return false;
	}
	/* The reply goes to the asker and says who has the address. */
	sip = d->arp_sip;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&d->arp_sha, &d->arp_tha);
	d->arp_tip = sip;
	rte_ether_addr_copy(&fs->rx_mac, &d->arp_sha);
	d->arp_sip = fs->ip_be;
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&fs->rx_mac, &eth->src_addr);
	FWD_STAT_ADD(&fs->stats, arp_replies, 1);
	return true;
}

static bool
echo_reply(struct fwd_stream *fs, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp;
	uint32_t ihl, total, l4_off;
	uint16_t sum;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*ip) || ip->dst_addr != fs->ip_be) {
		FWD_STAT_ADD(&fs->stats, other, 1);
		return false;
	}
	/* For us: from here on a request that does not hold together is damaged. */
	ihl = rte_ipv4_hdr_len(ip);
	total = rte_be_to_cpu_16(ip->total_length);
	l4_off = sizeof(*eth) + ihl;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
	    rte_pktmbuf_data_len(m) < l4_off + sizeof(*icmp) || total < ihl + sizeof(*icmp) ||
	    sizeof(*eth) + total > rte_pktmbuf_pkt_len(m) || rte_raw_cksum(ip, ihl) != CKSUM_GOOD) {
		FWD_STAT_ADD(&fs->stats, bad, 1);
		return false;
	}
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	/* Fragments (MF set or an offset) and anything but an echo request are not answered. */
	if (ip->next_proto_id != IPPROTO_ICMP ||
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) !=
		    0 ||
	    icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		FWD_STAT_ADD(&fs->stats, other, 1);
		return false;
	}
	if (rte_raw_cksum_mbuf(m, l4_off, total - ihl, &sum) != 0 || sum != CKSUM_GOOD) {
		FWD_STAT_ADD(&fs->stats, bad, 1);
		return false;
	}

	/* The reply: back to the sender, from us, same identifier, sequence and data. */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	rte_raw_cksum_mbuf(m, l4_off, total - ihl, &sum);
	icmp->icmp_cksum = (uint16_t)~sum;
	ip->dst_addr = ip->src_addr;
	ip->src_addr = fs->ip_be;
	ip->time_to_live = REPLY_TTL;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&fs->rx_mac, &eth->src_addr);
	FWD_STAT_ADD(&fs->stats, icmp_replies, 1);
	return true;
}

bool
fwd_icmpecho_packet(struct fwd_stream *fs, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (rte_pktmbuf_data_len(m) < sizeof(*eth)) {
		FWD_STAT_ADD(&fs->stats, other, 1);
		return false;
	}
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return arp_reply(fs, m, eth);
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return echo_reply(fs, m, eth);
	FWD_STAT_ADD(&fs->stats, other, 1);
	return false;
}
