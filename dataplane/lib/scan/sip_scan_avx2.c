/* SPDX-License-Identifier: BSD-3-Clause */
/* The 32-byte path: two AVX2 loads per 64-byte chunk. */
/* begin, walk and finish inlined into slb_sip_run_*() (sip_scan_run.h) */
#define SLB_PATH_FN static inline __attribute__((always_inline))
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

static inline uint64_t slb_mask64(__m256i lo, __m256i hi, char c)
{
	__m256i k = _mm256_set1_epi8(c);
	uint32_t a = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, k));
	uint32_t b = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, k));

	return (uint64_t)b << 32 | a;
}

/* The walk's NULs: the bytewise minimum of every byte read, zero where a
 * NUL was. */
typedef __m256i slb_nulv;
#define SLB_NULV_NONE _mm256_set1_epi8(-1)
#define slb_nulv_any(v) (_mm256_movemask_epi8(_mm256_cmpeq_epi8((v), _mm256_setzero_si256())) != 0)

static inline void slb_chunk_masks(const uint8_t *p, uint64_t *lf, uint64_t *cr,
				   uint64_t *colon, slb_nulv *nul)
{
	__m256i lo = _mm256_loadu_si256((const __m256i *)p);
	__m256i hi = _mm256_loadu_si256((const __m256i *)(p + 32));

	*lf = slb_mask64(lo, hi, '\n');
	*cr = slb_mask64(lo, hi, '\r');
	*colon = slb_mask64(lo, hi, ':');
	*nul = _mm256_min_epu8(*nul, _mm256_min_epu8(lo, hi));
}

#define SLB_WALK_FN slb_sip_walk_avx2
#define SLB_WALK_LINKAGE static __attribute__((noinline))
#include "sip_scan_walk.h"

/* Bit j set when p[j] is not in k, for the 32 bytes at p. */
static inline uint32_t slb_class_miss32(const struct slb_byte_class *k, const uint8_t *p)
{
	const __m256i nib = _mm256_set1_epi8(0x0f);
	__m256i v = _mm256_loadu_si256((const __m256i *)p);
	__m256i lo = _mm256_shuffle_epi8(
		_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)k->lo)),
		_mm256_and_si256(v, nib));
	__m256i hi = _mm256_shuffle_epi8(
		_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)k->hi)),
		_mm256_and_si256(_mm256_srli_epi16(v, 4), nib));

	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(lo, hi),
								_mm256_setzero_si256()));
}

/* 32 bytes per step, then the 16-byte steps for the rest. */
static inline size_t slb_class_end(const struct slb_byte_class *k, const uint8_t *b, size_t i,
				   size_t end)
{
	for (; i + 32 <= end; i += 32) {
		uint32_t miss = slb_class_miss32(k, b + i);

		if (miss)
			return i + (size_t)__builtin_ctz(miss);
	}
	return slb_class_end_sse(k, b, i, end);
}

/* Bit j set when p[j] is not in k, for the 64 bytes at p: the fast value
 * forms of sip_scan_values.h. */
static inline uint64_t slb_class_miss64(const struct slb_byte_class *k, const uint8_t *p)
{
	return (uint64_t)slb_class_miss32(k, p + 32) << 32 | slb_class_miss32(k, p);
}
#define slb_class_miss64 slb_class_miss64

#define SLB_FINISH_FN slb_sip_finish_avx2
#include "sip_scan_values.h"

#define SLB_BEGIN_FN slb_sip_begin_avx2
#include "sip_scan_start.h"

#define SLB_RUN_FN slb_sip_run_avx2
#include "sip_scan_run.h"
