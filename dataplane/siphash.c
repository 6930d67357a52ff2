/* SPDX-License-Identifier: BSD-3-Clause */
/* SipHash-2-4 of 32 bytes for many inputs at once (siphash.h): the same
 * rounds (SLB_SIP_ROUNDS), on GCC vectors of 64-bit lanes, one input a
 * lane. The compiler picks each width's instructions: clang makes every
 * rotate one vprolq on AVX-512, and on AVX2 (no rotate) those by 32 and 16
 * one shuffle, the others two shifts and an OR. */
#include "siphash.h"

/* One by one: the inputs' words put back together. */
static void lanes_scalar(const uint8_t key[16], const uint64_t *const w[4], size_t n,
			 uint64_t *out)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t in[4] = { htole64(w[0][i]), htole64(w[1][i]), htole64(w[2][i]),
				   htole64(w[3][i]) };

		out[i] = slb_siphash24_32(key, in);
	}
}

/*
 * The function name, compiled for isa, on vectors of type vec: as many
 * inputs a step as vec has lanes, a whole step's loaded and stored at
 * once, a last one short of that lane by lane (a lane past n is zeros,
 * computed and dropped). The state and the constants as slb_siphash24_32
 * sets them, each in every lane.
 */
#define SIP_LANES_FN(name, isa, vec)                                                          \
	__attribute__((target(isa))) static void name(const uint8_t key[16],                  \
						      const uint64_t *const w[4], size_t n,       \
						      uint64_t *out)                              \
	{                                                                                     \
		const size_t lanes = sizeof(vec) / 8;                                         \
		uint64_t k0 = slb_sip_le64(key), k1 = slb_sip_le64(key + 8);                  \
                                                                                              \
		for (size_t i = 0; i < n; i += lanes) {                                       \
			size_t c = n - i < lanes ? n - i : lanes;                             \
			vec v[4], x, last = { 0 };                                            \
                                                                                              \
			for (unsigned k = 0; k < 4; k++)                                      \
				v[k] = last + ((k & 1 ? k1 : k0) ^ slb_sip_iv[k]);            \
			for (unsigned k = 0; k < 4; k++) {                                    \
				x = last;                                                     \
				if (c == lanes)                                               \
					memcpy(&x, w[k] + i, sizeof(x));                      \
				else                                                          \
					for (size_t j = 0; j < c; j++)                        \
						x[j] = w[k][i + j];                           \
				v[3] ^= x;                                                    \
				SLB_SIP_ROUNDS(v, 2)                                              \
				v[0] ^= x;                                                    \
			}                                                                     \
			v[3] ^= last + ((uint64_t)32 << 56);                                  \
			SLB_SIP_ROUNDS(v, 2)                                                      \
			v[0] ^= last + ((uint64_t)32 << 56);                                  \
			v[2] ^= last + 0xff;                                                  \
			SLB_SIP_ROUNDS(v, 4)                                                      \
			x = v[0] ^ v[1] ^ v[2] ^ v[3];                                        \
			if (c == lanes)                                                       \
				memcpy(out + i, &x, sizeof(x));                               \
			else                                                                  \
				for (size_t j = 0; j < c; j++)                                \
					out[i + j] = x[j];                                    \
		}                                                                             \
	}

typedef uint64_t sip_vec4 __attribute__((vector_size(32)));
typedef uint64_t sip_vec8 __attribute__((vector_size(64)));
SIP_LANES_FN(lanes_avx2, "avx2", sip_vec4)
SIP_LANES_FN(lanes_avx512, "avx512f", sip_vec8)

/* The CPU's best (slb_siphash_allow_avx512), picked before main. */
static void (*lanes_best)(const uint8_t key[16], const uint64_t *const w[4], size_t n,
			  uint64_t *out) = lanes_scalar;

void slb_siphash_allow_avx512(bool allow)
{
	__builtin_cpu_init();
	lanes_best = allow && __builtin_cpu_supports("avx512f") ? lanes_avx512
		     : __builtin_cpu_supports("avx2")               ? lanes_avx2
								    : lanes_scalar;
}

__attribute__((constructor)) static void siphash_pick(void)
{
	slb_siphash_allow_avx512(true);
}

void slb_siphash24_32_lanes(const uint8_t key[16], const uint64_t *const w[4], size_t n,
			    uint64_t *out)
{
	lanes_best(key, w, n, out);
}
