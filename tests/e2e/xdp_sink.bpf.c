// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * xdp_sink: the receiving end of bench/xdp_veth_bench.py. Drops every frame
 * but ARP, so what the program under test sends back costs the receiver the
 * same whatever it is (an IPIP packet for this host or a frame for another
 * MAC); the veth's own counters (rx_queue_0_xdp_drops) count it. ARP passes
 * so that both ends learn each other's MAC.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) <= end && eth->h_proto == bpf_htons(ETH_P_ARP))
		return XDP_PASS;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
