// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * xdp_noop: sends every frame back out as it came (XDP_TX), touching
 * nothing. The baseline of bench/bench_xdp.c: what BPF_PROG_TEST_RUN costs
 * per packet before any work, measured in the same run as siplb_xdp.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_noop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
