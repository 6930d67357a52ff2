// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * xdp_pass: passes every frame to the kernel. Attached to the bridge side
 * of siplb's veth in the DSR tests: a veth delivers frames its peer sends
 * with XDP_TX only when it can receive XDP frames itself (an XDP program or
 * GRO turns its NAPI on); see docs/xdp.md, "End-to-end tests".
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
