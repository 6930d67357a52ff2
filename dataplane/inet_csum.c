/* SPDX-License-Identifier: BSD-3-Clause */
#include <immintrin.h>

#include "inet_csum.h"

/* Eight 32-bit words a step, each in its own 64-bit lane: no carry is lost
 * before 2^32 steps, and no add waits for another (GCC vectors). */
typedef uint64_t csum_vec __attribute__((vector_size(32)));

/* The SSE2 baseline's: a step is a load, a mask, a shift and two adds per
 * 16 bytes. */
static uint64_t csum_add_sse2(uint64_t sum, const void *data, size_t n)
{
	const uint8_t *b = data;

	if (n >= sizeof(csum_vec)) {
		csum_vec lo = { 0 }, hi = { 0 };

		for (; n >= sizeof(lo); b += sizeof(lo), n -= sizeof(lo)) {
			csum_vec v;

			memcpy(&v, b, sizeof(v));
			lo += v & 0xffffffff;
			hi += v >> 32;
		}
		lo += hi;
		sum += lo[0] + lo[1] + lo[2] + lo[3];
	}
	return slb_csum_short(sum, b, n);
}

/* 16 bytes as four 64-bit lanes: each 32-bit word widened as it is loaded
 * (vpmovzxdq). */
__attribute__((target("avx2"))) static inline __m256i csum_widen(const uint8_t *b)
{
	return _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)(const void *)b));
}

/* AVX2's: a load that widens and an add per 16 bytes, 64 bytes a step,
 * then 32 and 16. */
__attribute__((target("avx2"))) static uint64_t csum_add_avx2(uint64_t sum, const void *data,
								size_t n)
{
	const uint8_t *b = data;

	if (n >= 32) {
		__m256i s0 = csum_widen(b), s1 = csum_widen(b + 16);

		for (b += 32, n -= 32; n >= 64; b += 64, n -= 64) {
			s0 = _mm256_add_epi64(s0, csum_widen(b));
			s1 = _mm256_add_epi64(s1, csum_widen(b + 16));
			s0 = _mm256_add_epi64(s0, csum_widen(b + 32));
			s1 = _mm256_add_epi64(s1, csum_widen(b + 48));
		}
		if (n >= 32) {
			s0 = _mm256_add_epi64(s0, csum_widen(b));
			s1 = _mm256_add_epi64(s1, csum_widen(b + 16));
			b += 32;
			n -= 32;
		}
		if (n >= 16) { /* and the scalar tail at most 15 bytes */
			s0 = _mm256_add_epi64(s0, csum_widen(b));
			b += 16;
			n -= 16;
		}
		s0 = _mm256_add_epi64(s0, s1);
		__m128i s = _mm_add_epi64(_mm256_castsi256_si128(s0), _mm256_extracti128_si256(s0, 1));
		sum += (uint64_t)_mm_cvtsi128_si64(s) + (uint64_t)_mm_extract_epi64(s, 1);
	}
	return slb_csum_short(sum, b, n);
}

#define CSUM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

/* 32 bytes as eight 64-bit lanes, widened as they are loaded. */
CSUM_AVX512 static inline __m512i csum_widen512(const uint8_t *b)
{
	return _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(const void *)b));
}

/* AVX-512's: 64 bytes a step, then 32, then the last 0-31 bytes as one
 * masked load (zeros past the end add nothing; no fault past it). That
 * tail's dword holds a last odd byte or pair 16 bits up where the scalar
 * tail adds it as is: the same sum mod 0xffff, so the same fold. Fewer
 * than 8 bytes: the scalar tail alone is shorter. */
CSUM_AVX512 static uint64_t csum_add_avx512(uint64_t sum, const void *data, size_t n)
{
	const uint8_t *b = data;
	__m512i s0 = _mm512_setzero_si512(), s1 = s0;

	if (n < 8)
		return slb_csum_short(sum, b, n);

	for (; n >= 64; b += 64, n -= 64) {
		s0 = _mm512_add_epi64(s0, csum_widen512(b));
		s1 = _mm512_add_epi64(s1, csum_widen512(b + 32));
	}
	if (n >= 32) {
		s0 = _mm512_add_epi64(s0, csum_widen512(b));
		b += 32;
		n -= 32;
	}
	if (n) {
		__m256i t = _mm256_maskz_loadu_epi8((__mmask32)((1u << n) - 1), b);

		s1 = _mm512_add_epi64(s1, _mm512_cvtepu32_epi64(t));
	}
	return sum + (uint64_t)_mm512_reduce_add_epi64(_mm512_add_epi64(s0, s1));
}

/* The CPU's best (slb_csum_allow_avx512), picked before main. */
static uint64_t (*csum_add_best)(uint64_t sum, const void *b, size_t n) = csum_add_sse2;

void slb_csum_allow_avx512(bool allow)
{
	__builtin_cpu_init();
	if (allow && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
		csum_add_best = csum_add_avx512;
	else if (__builtin_cpu_supports("avx2"))
		csum_add_best = csum_add_avx2;
	else
		csum_add_best = csum_add_sse2;
}

__attribute__((constructor)) static void csum_pick(void)
{
	slb_csum_allow_avx512(true);
}

uint64_t slb_csum_add(uint64_t sum, const void *b, size_t n)
{
	return csum_add_best(sum, b, n);
}
