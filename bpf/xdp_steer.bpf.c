// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * xdp_steer: the placeholder XDP program of siplb-dp's af_xdp ports, loaded
 * by DPDK's af_xdp PMD (xdp_prog=xdp_steer.o), which puts the AF_XDP socket
 * of each RX queue into xsks_map. Once the port has started, siplb-dp puts
 * siplb_xdp in its place with that xsks_map (bpf/siplb_xdp.c); until
 * then, and for a plain DPDK application such as the benchmark's testpmd:
 *
 * UDP to a VIP in steer_vips (empty unless someone, the benchmark, fills
 * it) goes to the socket of the queue it arrived on;
 * everything else (ARP, ICMP, SSH, other UDP, IPv4 fragments, anything
 * malformed or truncated) goes to the kernel, which answers ARP and keeps
 * the management traffic working. When the queue has no socket (siplb-dp
 * not running), the packet goes to the kernel too (bpf_redirect_map's
 * fallback action).
 *
 * Parsing: Ethernet, at most one 802.1Q/802.1ad tag, IPv4 with options,
 * UDP. Straight-line code, no loops.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "siplb/steer.h"

#define XSK_MAX_QUEUES 256 /* RX queues of an af_xdp port */
#define IP_MF 0x2000       /* more fragments */
#define IP_OFFSET 0x1fff   /* fragment offset, 8-byte units */

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XSK_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLB_STEER_MAX);
	__type(key, struct slb_steer_key);
	__type(value, __u8);
} steer_vips SEC(".maps");

struct vlan_tag {
	__be16 tci;
	__be16 proto; /* of what follows the tag */
};

/* The IPv4 header after Ethernet and at most one VLAN tag, or NULL. */
static __always_inline struct iphdr *parse_l2(void *data, void *end)
{
	struct ethhdr *eth = data;
	struct vlan_tag *tag;
	__be16 proto;

	if ((void *)(eth + 1) > end)
		return NULL;
	proto = eth->h_proto;
	data = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		tag = data;
		if ((void *)(tag + 1) > end)
			return NULL;
		proto = tag->proto;
		data = tag + 1;
	}
	return proto == bpf_htons(ETH_P_IP) ? data : NULL;
}

/* The UDP header of a whole (unfragmented, untruncated) IPv4 datagram, or
 * NULL: fragments are the kernel's to reassemble. */
static __always_inline struct udphdr *parse_udp(struct iphdr *ip, void *end)
{
	struct udphdr *udp;
	__u32 hlen, tot_len;

	if ((void *)(ip + 1) > end || ip->version != 4 || ip->protocol != IPPROTO_UDP)
		return NULL;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return NULL;
	hlen = ip->ihl * 4;
	tot_len = bpf_ntohs(ip->tot_len);
	if (hlen < sizeof(*ip) || tot_len < hlen + sizeof(*udp) || (void *)ip + tot_len > end)
		return NULL;
	udp = (void *)ip + hlen;
	if ((void *)(udp + 1) > end)
		return NULL;
	return udp;
}

SEC("xdp")
int xdp_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct slb_steer_key key = { 0 };
	struct udphdr *udp;
	struct iphdr *ip;

	ip = parse_l2(data, end);
	if (!ip)
		return XDP_PASS;
	udp = parse_udp(ip, end);
	if (!udp)
		return XDP_PASS;
	key.addr = ip->daddr;
	key.port = udp->dest;
	if (!bpf_map_lookup_elem(&steer_vips, &key))
		return XDP_PASS;
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
