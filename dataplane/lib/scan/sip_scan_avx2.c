/* SPDX-License-Identifier: BSD-3-Clause */
/* The 32-byte path: two AVX2 loads per 64-byte chunk. */
#include <immintrin.h>
#include <stdint.h>

static inline uint64_t slb_mask64(__m256i lo, __m256i hi, char c)
{
	__m256i k = _mm256_set1_epi8(c);
	uint32_t a = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, k));
	uint32_t b = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, k));

	return (uint64_t)b << 32 | a;
}

static inline void slb_chunk_masks(const uint8_t *p, uint64_t *lf, uint64_t *cr,
				   uint64_t *colon, uint64_t *nul)
{
	__m256i lo = _mm256_loadu_si256((const __m256i *)p);
	__m256i hi = _mm256_loadu_si256((const __m256i *)(p + 32));

	*lf = slb_mask64(lo, hi, '\n');
	*cr = slb_mask64(lo, hi, '\r');
	*colon = slb_mask64(lo, hi, ':');
	*nul = slb_mask64(lo, hi, '\0');
}

#define SLB_WALK_FN slb_sip_walk_avx2
#include "sip_scan_walk.h"
