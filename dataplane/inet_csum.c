/* SPDX-License-Identifier: BSD-3-Clause */
#include "inet_csum.h"

/* Eight 32-bit words a step, each in its own 64-bit lane: no carry is lost
 * before 2^32 steps, and no add waits for another (GCC vectors: SSE2 at
 * the baseline). */
typedef uint64_t csum_vec __attribute__((vector_size(32)));

/* Compiled twice (below): with AVX2 a step is one load, a blend, a shift
 * and two adds; the SSE2 baseline takes twice that. */
static inline __attribute__((always_inline)) uint64_t csum_add(uint64_t sum, const void *data,
							       size_t n)
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

__attribute__((target("avx2"))) static uint64_t csum_add_avx2(uint64_t sum, const void *b,
								size_t n)
{
	return csum_add(sum, b, n);
}

uint64_t slb_csum_add(uint64_t sum, const void *b, size_t n)
{
	return __builtin_cpu_supports("avx2") ? csum_add_avx2(sum, b, n) : csum_add(sum, b, n);
}
