// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * dsr_decap: a DSR backend's decapsulation, as an XDP program on its
 * interface, for kernels built without the tunnel devices a backend would
 * normally use (CONFIG_NET_IPIP: tunl0 / `ip link add ... type ipip`;
 * CONFIG_NET_FOU: `ip fou add port 6080 gue`). The end-to-end DSR tests use
 * it when `ip link add ... type ipip` fails (tests/e2e/siplb_env.py).
 *
 * IPv4 outer only (the tests' VIPs are IPv4):
 *   Ethernet | IPv4 proto 4                          | inner IPv4  (ipip)
 *   Ethernet | IPv4 proto 17 | UDP to GUE_PORT | GUE | inner IPv4  (gue)
 * becomes Ethernet | inner IPv4, with the outer frame's MACs; the kernel
 * then delivers the inner packet to the VIP on lo as a tunnel device would.
 * Everything else passes untouched. decap[0] counts decapsulated packets,
 * decap[1] packets it passed (for debugging a test: bpftool map dump).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define GUE_PORT 6080 /* dsr.gue_port's default */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} decap SEC(".maps");

static __always_inline int count(__u32 i, int verdict)
{
	__u64 *n = bpf_map_lookup_elem(&decap, &i);

	if (n)
		*n += 1;
	return verdict;
}

/* Bytes of outer headers after Ethernet, or 0 when not ours. */
static __always_inline __u32 outer_len(void *data, void *end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    (ip->frag_off & bpf_htons(0x3fff)))
		return 0;
	if (ip->protocol == IPPROTO_IPIP)
		return sizeof(*ip);
	if (ip->protocol != IPPROTO_UDP)
		return 0;
	struct udphdr *udp = (void *)(ip + 1);
	__u8 *gue = (void *)(udp + 1);

	if ((void *)(gue + 4) > end || udp->dest != bpf_htons(GUE_PORT))
		return 0;
	/* variant 0, version 0, no optional fields, inner IPv4 */
	if (gue[0] != 0 || gue[1] != IPPROTO_IPIP)
		return 0;
	return sizeof(*ip) + sizeof(*udp) + 4;
}

SEC("xdp")
int dsr_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 len = outer_len(data, end);
	struct ethhdr eth;

	if (!len)
		return count(1, XDP_PASS);
	__builtin_memcpy(&eth, data, sizeof(eth));
	if (bpf_xdp_adjust_head(ctx, (int)len))
		return count(1, XDP_PASS);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + sizeof(eth) > end)
		return XDP_DROP;
	__builtin_memcpy(data, &eth, sizeof(eth));
	return count(0, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
