/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Parsing of the XDP fast path: Ethernet with up to two VLAN tags, IPv4
 * (options allowed; UDP fragments too) or IPv6 (fixed header only), UDP.
 * Straight-line code; every pointer is checked against data_end before it
 * is read. The result says where the inner IP packet and the UDP payload
 * are, or why the frame goes to the kernel (a slb_xdp_pass reason).
 */
#ifndef SIPLB_BPF_XDP_PARSE_H
#define SIPLB_BPF_XDP_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "siplb/xdp.h"
#include "xdp_consts.h"

struct slb_vlan_tag {
	__be16 tci;
	__be16 proto; /* of what follows the tag */
};

/* What the parser found in a frame it accepts: UDP, or an IPv4 fragment of
 * a UDP datagram (frag: SLB_FRAG_FIRST has the UDP header, SLB_FRAG_LATER
 * none, so no port or payload). */
struct slb_pkt {
	__u32 frame_len;   /* as received */
	__u32 l3_off;      /* inner IP header: 14, 18 or 22 */
	__u32 ip_len;      /* inner IP packet length (the frame may be padded) */
	__u32 payload_off; /* UDP payload */
	__u32 payload_len; /* UDP length - 8 */
	__u8 family;       /* AF_INET or AF_INET6 */
	__u8 tos;          /* IPv4 TOS or IPv6 traffic class */
	__be16 ip_id;      /* IPv4 identification */
	__be16 ip_df;      /* IPv4 DF bit, as in frag_off */
	__be16 dport;
	__u8 frag;         /* SLB_FRAG_NONE, SLB_FRAG_FIRST, SLB_FRAG_LATER */
	__u8 pad;
	__be16 sport;      /* 0 in a later fragment, as dport */
	__u32 daddr[4];    /* network order; IPv4 in [0] */
	__u32 saddr[4];
};

/* The EtherType after at most two VLAN tags, and where the L3 header is.
 * -1: truncated inside Ethernet or a tag. */
static __always_inline int slb_parse_l2(void *data, void *end, __u32 *l3_off, __be16 *proto)
{
	struct ethhdr *eth = data;
	struct slb_vlan_tag *tag;
	__u32 off = SLB_ETH_HLEN;
	__be16 p;

	if ((void *)(eth + 1) > end)
		return -1;
	p = eth->h_proto;
#pragma unroll
	for (int i = 0; i < SLB_MAX_VLAN_TAGS; i++) {
		if (p != bpf_htons(ETH_P_8021Q) && p != bpf_htons(ETH_P_8021AD))
			break;
		tag = data + off;
		if ((void *)(tag + 1) > end)
			return -1;
		p = tag->proto;
		off += SLB_VLAN_HLEN;
	}
	*l3_off = off;
	*proto = p;
	return 0;
}

/* IPv4 with options. Malformed headers (version, IHL or total length that
 * cannot be right) count as truncated: the kernel's IP layer drops them and
 * counts them (InHdrErrors) where an operator looks for them. */
static __always_inline int slb_parse_ipv4(void *data, void *end, __u32 l3_off,
					  struct slb_pkt *pk, __u32 *l4_off)
{
	struct iphdr *ip = data + l3_off;
	__u32 hlen, tot;

	if ((void *)(ip + 1) > end)
		return SLB_XDP_PASS_TRUNCATED;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (ip->version != 4 || hlen < SLB_IPV4_HLEN || tot < hlen ||
	    (void *)ip + tot > end)
		return SLB_XDP_PASS_TRUNCATED;
	if (ip->protocol != SLB_IPPROTO_UDP)
		return SLB_XDP_PASS_NOT_UDP;
	/* Fragments of proxy VIPs go to siplb-dp, which reassembles them. */
	if (ip->frag_off & bpf_htons(SLB_IPV4_OFFSET))
		pk->frag = SLB_FRAG_LATER;
	else
		pk->frag = ip->frag_off & bpf_htons(SLB_IPV4_MF) ? SLB_FRAG_FIRST : SLB_FRAG_NONE;
	pk->family = AF_INET;
	pk->ip_len = tot;
	pk->tos = ip->tos;
	pk->ip_id = ip->id;
	pk->ip_df = ip->frag_off & bpf_htons(SLB_IPV4_DF);
	pk->saddr[0] = ip->saddr;
	pk->daddr[0] = ip->daddr;
	*l4_off = l3_off + hlen;
	return -1;
}

/*
 * IPv6, fixed header only. UDP must follow it directly: a fragment header
 * (44) is PASS fragment; any other extension header (hop-by-hop 0, routing
 * 43, destination options 60, AH 51, ESP 50, mobility 135, HIP 139, shim6
 * 140, ...) is PASS not_udp. SIP clients do not send them, and walking the
 * chain would cost every packet a loop for nothing; the kernel knows them all.
 */
static __always_inline int slb_parse_ipv6(void *data, void *end, __u32 l3_off,
					  struct slb_pkt *pk, __u32 *l4_off)
{
	struct ipv6hdr *ip6 = data + l3_off;
	__u32 plen;

	if ((void *)(ip6 + 1) > end)
		return SLB_XDP_PASS_TRUNCATED;
	plen = bpf_ntohs(ip6->payload_len);
	if (ip6->version != 6 || (void *)(ip6 + 1) + plen > end)
		return SLB_XDP_PASS_TRUNCATED;
	if (ip6->nexthdr == SLB_IPPROTO_FRAGMENT)
		return SLB_XDP_PASS_FRAGMENT;
	if (ip6->nexthdr != SLB_IPPROTO_UDP)
		return SLB_XDP_PASS_NOT_UDP;
	pk->frag = SLB_FRAG_NONE;
	pk->family = AF_INET6;
	pk->ip_len = SLB_IPV6_HLEN + plen;
	pk->tos = (__u8)((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4));
	__builtin_memcpy(pk->saddr, &ip6->saddr, 16);
	__builtin_memcpy(pk->daddr, &ip6->daddr, 16);
	*l4_off = l3_off + SLB_IPV6_HLEN;
	return -1;
}

/*
 * The whole frame: -1 when it is UDP over IP the fast path looks at (pk
 * filled), otherwise the slb_xdp_pass reason to hand it to the kernel. A
 * later IPv4 fragment has no UDP header (dport 0); a first one has only
 * the start of the datagram, so its UDP length is not checked (siplb-dp
 * checks the datagram it reassembles). pk is only written (but for what
 * it only decides): what addresses the packet here stays in locals, which
 * the verifier follows (it knows nothing of a value read back from a map).
 * The UDP length must fit the IP payload; for IPv6 it must fill it exactly,
 * because the GUE checksum (xdp_encap.h) relies on the inner checksum
 * covering everything after the inner header (a padded IPv6 payload is
 * something no stack sends; the kernel trims it).
 */
static __always_inline int slb_parse(void *data, void *end, struct slb_pkt *pk)
{
	__u32 ulen, l4_len, l3_off = 0, l4_off = 0;
	struct udphdr *udp;
	__be16 proto;
	int r;

	pk->frame_len = (__u32)((long)end - (long)data);
	if (slb_parse_l2(data, end, &l3_off, &proto))
		return SLB_XDP_PASS_TRUNCATED;
	if (proto == bpf_htons(ETH_P_IP))
		r = slb_parse_ipv4(data, end, l3_off, pk, &l4_off);
	else if (proto == bpf_htons(ETH_P_IPV6))
		r = slb_parse_ipv6(data, end, l3_off, pk, &l4_off);
	else
		return SLB_XDP_PASS_NOT_IP;
	if (r >= 0)
		return r;
	pk->l3_off = l3_off;
	pk->dport = pk->sport = 0;
	if (pk->frag == SLB_FRAG_LATER)
		return -1;
	udp = data + l4_off;
	l4_len = l3_off + pk->ip_len - l4_off; /* ip_len covers the IP header */
	if ((void *)(udp + 1) > end || l4_len < SLB_UDP_HLEN)
		return SLB_XDP_PASS_TRUNCATED;
	ulen = bpf_ntohs(udp->len);
	if (pk->frag == SLB_FRAG_FIRST)
		ulen = l4_len; /* what of the datagram this fragment holds */
	if (ulen < SLB_UDP_HLEN || ulen > l4_len ||
	    (pk->family == AF_INET6 && ulen != l4_len))
		return SLB_XDP_PASS_TRUNCATED;
	pk->dport = udp->dest;
	pk->sport = udp->source;
	pk->payload_off = l4_off + SLB_UDP_HLEN;
	pk->payload_len = ulen - SLB_UDP_HLEN;
	return -1;
}

#endif
