// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * callid_hash_probe: a test-only XDP program that runs the shared Call-ID
 * hash (include/siplb/callid_hash.h) inside the kernel, so
 * tests/bpf/test_bpf_hash.c can compare it byte for byte with the C build of
 * the same header through BPF_PROG_TEST_RUN.
 *
 * Input packet:  [0..8)   seed, little-endian
 *                [8..12)  Call-ID length (full length, may exceed 256)
 *                [12..16) zero
 *                [16..)   the first min(len, 256) bytes of the Call-ID
 * Output:        the 8-byte hash (host order) over bytes [0..8), XDP_PASS.
 * Any bounds problem: XDP_ABORTED.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "siplb/callid_hash.h"

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "=r"(var) : "0"(var))
#endif

#define PROBE_HDR_LEN 16u

struct probe_hdr {
	__u64 seed;
	__u32 len;
	__u32 zero;
};

/* 8-aligned scratch of at least SLB_CALLID_HASH_MAX bytes for the hash. */
struct probe_buf {
	__u8 b[SLB_CALLID_HASH_MAX];
} __attribute__((aligned(8)));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe_buf);
} callid_buf SEC(".maps");

SEC("xdp")
int callid_hash_probe(struct xdp_md *ctx)
{
	struct probe_hdr hdr;
	struct probe_buf *buf;
	__u32 key = 0;
	__u64 n, avail, h;

	if (bpf_xdp_load_bytes(ctx, 0, &hdr, sizeof(hdr)) < 0)
		return XDP_ABORTED;

	buf = bpf_map_lookup_elem(&callid_buf, &key);
	if (!buf)
		return XDP_ABORTED;

	if (hdr.zero != 0)
		return XDP_ABORTED;

	n = hdr.len;
	if (n > SLB_CALLID_HASH_MAX)
		n = SLB_CALLID_HASH_MAX;
	avail = (__u64)ctx->data_end - (__u64)ctx->data;
	if (avail < PROBE_HDR_LEN || avail - PROBE_HDR_LEN < n)
		return XDP_ABORTED;
	/*
	 * For the verifier: clang range-checks a zero-extended copy of n but
	 * passes the original register to the helper, whose bounds the verifier
	 * then does not know ("invalid zero-sized read"). The barrier pins n to
	 * one register, so the mask and the 1..256 check bound the register that
	 * is passed.
	 */
	barrier_var(n);
	n &= 0x1ff;
	if (n < 1 || n > SLB_CALLID_HASH_MAX)
		return XDP_ABORTED;
	if (bpf_xdp_load_bytes(ctx, PROBE_HDR_LEN, buf->b, n) < 0)
		return XDP_ABORTED;

	h = slb_callid_hash(buf->b, hdr.len, hdr.seed);
	if (bpf_xdp_store_bytes(ctx, 0, &h, sizeof(h)) < 0)
		return XDP_ABORTED;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
