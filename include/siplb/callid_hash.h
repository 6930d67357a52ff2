/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Call-ID hash: one function, compiled both into BPF programs and into
 * user space, so the XDP fast path and the DPDK workers pick the same backend
 * byte for byte (tests/test_bpf_hash.c proves it in the kernel).
 *
 * Word-at-a-time (8 bytes, little-endian), a bounded loop the verifier
 * accepts, no SIMD, no tables. Only the first SLB_CALLID_HASH_MAX bytes are
 * hashed; the full length is mixed in, so longer Call-IDs still differ by
 * length. BPF callers hash from a buffer of at least SLB_CALLID_HASH_MAX
 * bytes (a map value), which keeps every access provably in bounds.
 */
#ifndef SIPLB_CALLID_HASH_H
#define SIPLB_CALLID_HASH_H

#ifdef __bpf__
#include <linux/types.h>
typedef __u8 slb_u8;
typedef __u32 slb_u32;
typedef __u64 slb_u64;
#else
#include <stdint.h>
#include <string.h>
typedef uint8_t slb_u8;
typedef uint32_t slb_u32;
typedef uint64_t slb_u64;
#endif

#define SLB_CALLID_HASH_MAX 256u

#define SLB_HASH_K1 0x9e3779b97f4a7c15ULL
#define SLB_HASH_K2 0xc2b2ae3d27d4eb4fULL

static inline slb_u64 slb_hash_rotl(slb_u64 x, unsigned r)
{
#if defined(__clang__) && !defined(__bpf__)
	/* a rotate, not a multiply's two shifted copies ORed (clang's
	 * rewrite of the shifts after a multiply: two instructions more) */
	return __builtin_rotateleft64(x, r);
#else
	return (x << r) | (x >> (64 - r));
#endif
}

/* The murmur3 64-bit finaliser: full avalanche of the last state. */
static inline slb_u64 slb_hash_fmix(slb_u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline slb_u64 slb_hash_word(const slb_u8 *p)
{
	slb_u64 w;
#ifdef __bpf__
	w = *(const slb_u64 *)p; /* callers hash from an 8-aligned map value */
#else
	memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
#endif
	return w;
}

static inline slb_u64 slb_hash_mix(slb_u64 h, slb_u64 w)
{
	h ^= slb_hash_rotl(w * SLB_HASH_K2, 31) * SLB_HASH_K1;
	return slb_hash_rotl(h, 27) * 5 + 0x52dce729;
}

static inline slb_u64 slb_callid_hash(const slb_u8 *p, slb_u32 len, slb_u64 seed)
{
	slb_u32 n = len < SLB_CALLID_HASH_MAX ? len : SLB_CALLID_HASH_MAX;
	slb_u32 words = n / 8, i, j;
	slb_u64 h = seed ^ ((slb_u64)len * SLB_HASH_K1);
	slb_u64 tail = 0;

	for (i = 0; i < SLB_CALLID_HASH_MAX / 8; i++) {
		if (i >= words)
			break;
		h = slb_hash_mix(h, slb_hash_word(p + 8 * i));
	}
#ifndef __bpf__
	/* the last n % 8 bytes as the top of the word that ends the span,
	 * shifted down (all of it out when there are none): no byte loop */
	if (n >= 8)
		return slb_hash_fmix(
			slb_hash_mix(h, slb_hash_word(p + n - 8) >> (63 - 8 * (n % 8)) >> 1));
#endif
	for (j = 0; j < 7; j++) {
		if (words * 8 + j >= n)
			break;
		tail |= (slb_u64)p[words * 8 + j] << (8 * j);
	}
	return slb_hash_fmix(slb_hash_mix(h, tail));
}

/*
 * Where a datagram has no Call-ID but must still stay with one backend (a
 * STUN keep-alive of an RFC 5626 flow to a DSR VIP): the hash of its source
 * address (4 or 16 bytes, network order, as in saddr) and port (network
 * order), exactly slb_callid_hash over those 6 or 18 bytes, from words.
 */
static inline slb_u64 slb_flow_hash(const slb_u32 *saddr, int v6, slb_u32 sport_be,
				    slb_u64 seed)
{
	slb_u64 h;

	if (!v6)
		return slb_hash_fmix(slb_hash_mix(seed ^ (6 * SLB_HASH_K1),
						  saddr[0] | (slb_u64)sport_be << 32));
	h = seed ^ (18 * SLB_HASH_K1);
	h = slb_hash_mix(h, saddr[0] | (slb_u64)saddr[1] << 32);
	h = slb_hash_mix(h, saddr[2] | (slb_u64)saddr[3] << 32);
	return slb_hash_fmix(slb_hash_mix(h, sport_be));
}
#endif
