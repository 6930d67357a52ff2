/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of exactly 32 bytes, inline:
 * the branch MAC's input (sip_proxy.c). libsodium's
 * crypto_shorthash_siphash24 gives the same 8 bytes (tests/proxy/
 * test_siphash.c checks it) but takes any length through a call, and
 * cost about 60 instructions more per request.
 */
#ifndef SIPLB_SIPHASH_H
#define SIPLB_SIPHASH_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t slb_sip_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/*
 * n SipRounds on v[0..3]: 2 per message word and after the length, 4 to
 * finish. A macro, so that the one definition serves the inline MAC's
 * uint64_t words and siphash.c's vectors of them (one input a lane); the
 * shift pair is a rotate to the compiler in both (rol, vprolq).
 */
#define SLB_SIP_ROTL(x, b) ((x) << (b) | (x) >> (64 - (b)))
#define SLB_SIP_ROUNDS(v, n)                                                                  \
	for (unsigned r_ = 0; r_ < (n); r_++) {                                               \
		v[0] += v[1];                                                                 \
		v[1] = SLB_SIP_ROTL(v[1], 13) ^ v[0];                                         \
		v[0] = SLB_SIP_ROTL(v[0], 32);                                                \
		v[2] += v[3];                                                                 \
		v[3] = SLB_SIP_ROTL(v[3], 16) ^ v[2];                                         \
		v[0] += v[3];                                                                 \
		v[3] = SLB_SIP_ROTL(v[3], 21) ^ v[0];                                         \
		v[2] += v[1];                                                                 \
		v[1] = SLB_SIP_ROTL(v[1], 17) ^ v[2];                                         \
		v[2] = SLB_SIP_ROTL(v[2], 32);                                                \
	}

static inline void slb_sip_rounds(uint64_t v[4], unsigned n)
{
	SLB_SIP_ROUNDS(v, n)
}

/* The initial state: the key's halves (k0, k1, k0, k1) xor these. */
static const uint64_t slb_sip_iv[4] = { 0x736f6d6570736575ull, 0x646f72616e646f6dull,
					0x6c7967656e657261ull, 0x7465646279746573ull };

/* The MAC of the 32 bytes at in under the 16-byte key, as the 8 bytes
 * libsodium writes, read as a host integer. */
static inline uint64_t slb_siphash24_32(const uint8_t key[16], const void *in)
{
	const uint8_t *m = in;
	uint64_t k0 = slb_sip_le64(key), k1 = slb_sip_le64(key + 8);
	uint64_t v[4] = { k0 ^ slb_sip_iv[0], k1 ^ slb_sip_iv[1], k0 ^ slb_sip_iv[2],
			  k1 ^ slb_sip_iv[3] };

	for (unsigned i = 0; i < 4; i++) {
		uint64_t w = slb_sip_le64(m + 8 * i);

		v[3] ^= w;
		slb_sip_rounds(v, 2);
		v[0] ^= w;
	}
	const uint64_t last = (uint64_t)32 << 56; /* the length; no bytes left */
	v[3] ^= last;
	slb_sip_rounds(v, 2);
	v[0] ^= last;
	v[2] ^= 0xff;
	slb_sip_rounds(v, 4);
	return htole64(v[0] ^ v[1] ^ v[2] ^ v[3]);
}

/*
 * out[i] = slb_siphash24_32(key, input i) for the n inputs given as their
 * four little-endian words, word k of input i at w[k][i]. One input a
 * vector lane: the 14 SipRounds of 8 inputs (AVX-512) or 4 (AVX2) are one
 * chain of vector instructions, where each input's own would be a chain
 * of about 60 cycles (four a round) that the core cannot overlap with
 * much else; one by one on CPUs with neither.
 */
void slb_siphash24_32_lanes(const uint8_t key[16], const uint64_t *const w[4], size_t n,
			    uint64_t *out);

/* Whether slb_siphash24_32_lanes may take its AVX-512 path where the CPU
 * has it (it may unless told): siplb-dp allows it where the UDP checksum's
 * is (slb_csum_allow_avx512), with the scanner's avx512 path only. */
void slb_siphash_allow_avx512(bool allow);

#endif
