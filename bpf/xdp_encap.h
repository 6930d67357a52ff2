/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * DSR encapsulation: the headers the fast path puts in front of the inner
 * IP packet, which it never changes. The outer family is the VIP's:
 *
 *   IPIP, IPv4 VIP:  Ethernet | IPv4 proto 4              | inner IPv4
 *   IPIP, IPv6 VIP:  Ethernet | IPv6 next header 41       | inner IPv6
 *   GUE:             Ethernet | IPv4/IPv6 | UDP | GUE hdr | inner IP
 *
 * Ethernet: the next hop's MACs (struct slb_nexthop), no VLAN tag: the tags
 * of the input belong to the link it came in on; the next hop is reached on
 * nexthop.ifindex as it is (a backend behind a VLAN is reached through an
 * interface that carries that VLAN untagged, e.g. the VLAN device's parent
 * port configured as an access port).
 *
 * Outer IPv4: TOS copied from the inner (DSCP and ECN, as RFC 6040's normal
 * mode), identification copied from the inner (no state here to number
 * packets; the outer is fragmented only where the inner would have been),
 * DF as the inner had it, TTL 64, header checksum computed.
 * Outer IPv6: traffic class copied, flow label from the Call-ID hash (RFC
 * 6438: the tunnel's flows spread over ECMP paths; one call stays on one
 * path), hop limit 64.
 * GUE (draft-ietf-intarea-gue, variant 0, no optional fields): version 0,
 * C 0, Hlen 0, Proto/ctype 4 or 41, flags 0. UDP source port from the hash,
 * 49152..65535, so ECMP spreads calls; destination dsr.gue_port. Checksum:
 * 0 over IPv4 (RFC 768); over IPv6 a real one (RFC 6935 keeps zero for
 * tunnels configured for it, RFC 6936; ours need no such setting), computed
 * without reading the payload: the inner UDP checksum makes the inner
 * datagram sum to the complement of its pseudo-header, so the outer sum is
 * headers only (Linux calls this local checksum offload,
 * Documentation/networking/checksum-offloads.rst). An inner packet with a bad
 * checksum gets a bad outer one and dies at the backend, as it would have.
 */
#ifndef SIPLB_BPF_XDP_ENCAP_H
#define SIPLB_BPF_XDP_ENCAP_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "siplb/state.h"
#include "siplb/xdp.h"
#include "xdp_consts.h"
#include "xdp_parse.h"

struct slb_guehdr {
	__u8 hlen_flags;  /* version (2 bits), C (1), Hlen (5): all 0 */
	__u8 proto_ctype; /* the inner IP protocol: 4 or 41 */
	__be16 flags;
};

/* Where a DSR packet goes and what it carries on top. */
struct slb_encap_args {
	const struct slb_pkt *pk;
	const struct slb_backend *be;
	const struct slb_dsr *dsr;
	const struct slb_nexthop *nh;
	__u64 hash;
};

static __always_inline __u32 slb_encap_len(__u8 family, __u8 encap)
{
	return (family == AF_INET ? SLB_IPV4_HLEN : SLB_IPV6_HLEN) +
	       (encap == SLB_ENCAP_GUE ? SLB_UDP_HLEN + SLB_GUE_HLEN : 0);
}

static __always_inline __u16 slb_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)((sum & 0xffff) + (sum >> 16));
}

/* Ones'-complement sum of n 16-bit words at p (n a constant). */
static __always_inline __u64 slb_csum_words(const void *p, int n)
{
	const __u16 *w = p;
	__u64 sum = 0;

#pragma unroll
	for (int i = 0; i < n; i++)
		sum += w[i];
	return sum;
}

static __always_inline void slb_put_eth(struct ethhdr *eth, const struct slb_nexthop *nh,
					__u8 family)
{
	__builtin_memcpy(eth->h_dest, nh->dst_mac, SLB_ETH_ALEN);
	__builtin_memcpy(eth->h_source, nh->src_mac, SLB_ETH_ALEN);
	eth->h_proto = bpf_htons(family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
}

static __always_inline void slb_put_ipv4(struct iphdr *o, const struct slb_encap_args *a,
					 __u8 proto, __u32 tot)
{
	*(__u8 *)o = 0x45; /* version 4, IHL 5 */
	o->tos = a->pk->tos;
	o->tot_len = bpf_htons((__u16)tot);
	o->id = a->pk->ip_id;
	o->frag_off = a->pk->ip_df;
	o->ttl = SLB_OUTER_TTL;
	o->protocol = proto;
	o->check = 0;
	o->saddr = a->dsr->src4;
	o->daddr = a->be->addr;
	o->check = (__u16)~slb_csum_fold(slb_csum_words(o, SLB_IPV4_HLEN / 2));
}

static __always_inline void slb_put_ipv6(struct ipv6hdr *o, const struct slb_encap_args *a,
					 __u8 proto, __u32 plen)
{
	__u32 flow = (__u32)(a->hash >> 32) & 0xfffff;

	*(__be32 *)o = bpf_htonl(6u << 28 | (__u32)a->pk->tos << 20 | flow);
	o->payload_len = bpf_htons((__u16)plen);
	o->nexthdr = proto;
	o->hop_limit = SLB_OUTER_TTL;
	__builtin_memcpy(&o->saddr, a->dsr->src6, 16);
	__builtin_memcpy(&o->daddr, a->be->addr6, 16);
}

static __always_inline void slb_put_udp_gue(struct udphdr *u, const struct slb_encap_args *a,
					    __u8 inner_proto)
{
	struct slb_guehdr *g = (void *)(u + 1);

	u->source = bpf_htons((__u16)(0xc000 | ((a->hash >> 50) & 0x3fff)));
	u->dest = a->dsr->gue_port;
	u->len = bpf_htons((__u16)(SLB_UDP_HLEN + SLB_GUE_HLEN + a->pk->ip_len));
	u->check = 0;
	g->hlen_flags = 0;
	g->proto_ctype = inner_proto;
	g->flags = 0;
}

/*
 * The outer UDP checksum over IPv6 without reading the payload:
 * outer pseudo-header + UDP and GUE headers + inner IPv6 header + inner UDP
 * datagram, where the last term is the complement of the inner
 * pseudo-header's sum (what a valid inner checksum guarantees).
 */
static __always_inline void slb_gue6_csum(struct ipv6hdr *o, struct udphdr *u,
					  const struct ipv6hdr *in)
{
	__u64 sum, inner_pseudo;

	sum = slb_csum_words(&o->saddr, 16) + u->len + bpf_htons(SLB_IPPROTO_UDP) +
	      slb_csum_words(u, (SLB_UDP_HLEN + SLB_GUE_HLEN) / 2) +
	      slb_csum_words(in, SLB_IPV6_HLEN / 2);
	inner_pseudo = slb_csum_words(&in->saddr, 16) + in->payload_len +
		       bpf_htons(SLB_IPPROTO_UDP);
	sum += (__u16)~slb_csum_fold(inner_pseudo);
	u->check = (__u16)~slb_csum_fold(sum);
	if (!u->check)
		u->check = 0xffff; /* a computed 0 is sent as all ones (RFC 768) */
}

/*
 * Writes the outer headers in front of the inner packet, which stays where
 * it is (only the old Ethernet header and tags are overwritten). The caller
 * has checked the MTU. Returns 0, or -1 when the frame cannot grow (a driver
 * without the usual 256 bytes of headroom).
 */
static __always_inline int slb_encap(struct xdp_md *ctx, const struct slb_encap_args *a)
{
	const struct slb_pkt *pk = a->pk;
	__u8 gue = a->dsr->encap == SLB_ENCAP_GUE;
	__u8 inner_proto = pk->family == AF_INET ? SLB_IPPROTO_IPIP : SLB_IPPROTO_IPV6;
	__u32 elen = slb_encap_len(pk->family, a->dsr->encap);
	__u32 want = pk->l3_off + pk->ip_len;
	void *data, *end, *l4;

	/* Ethernet padding after the IP packet would end up inside the tunnel. */
	if (pk->frame_len > want && bpf_xdp_adjust_tail(ctx, -(int)(pk->frame_len - want)))
		return -1;
	if (bpf_xdp_adjust_head(ctx, -(int)(SLB_ETH_HLEN + elen - pk->l3_off)))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (pk->family == AF_INET) {
		struct iphdr *o = data + SLB_ETH_HLEN;

		if ((void *)(o + 1) + SLB_UDP_HLEN + SLB_GUE_HLEN > end)
			return -1; /* cannot happen: the inner header is longer */
		slb_put_eth(data, a->nh, AF_INET);
		slb_put_ipv4(o, a, gue ? SLB_IPPROTO_UDP : inner_proto, elen + pk->ip_len);
		l4 = o + 1;
	} else {
		struct ipv6hdr *o = data + SLB_ETH_HLEN, *in;

		if ((void *)(o + 1) + SLB_UDP_HLEN + SLB_GUE_HLEN + SLB_IPV6_HLEN > end)
			return -1;
		slb_put_eth(data, a->nh, AF_INET6);
		slb_put_ipv6(o, a, gue ? SLB_IPPROTO_UDP : inner_proto,
			     elen - SLB_IPV6_HLEN + pk->ip_len);
		if (!gue)
			return 0;
		slb_put_udp_gue((void *)(o + 1), a, inner_proto);
		in = (void *)(o + 1) + SLB_UDP_HLEN + SLB_GUE_HLEN;
		slb_gue6_csum(o, (void *)(o + 1), in);
		return 0;
	}
	if (gue)
		slb_put_udp_gue(l4, a, inner_proto);
	return 0;
}

#endif
