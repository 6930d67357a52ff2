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

/* The walk's faults: the bytewise minimum of every byte read and of the
 * CR/LF agreement, zero where a NUL or a bare CR or LF was. */
typedef __m256i slb_faultv;
#define SLB_FAULTV_NONE _mm256_set1_epi8(-1)
#define slb_faultv_any(v) (_mm256_movemask_epi8(_mm256_cmpeq_epi8((v), _mm256_setzero_si256())) != 0)

/* The masks of the 64 bytes lo:hi, and their faults against the bytes
 * before each, plo:phi: an LF there must have a CR before it, and a CR an
 * LF after it, so the two compares agree everywhere; a byte where they do
 * not is taken as 0. */
static inline __attribute__((always_inline)) void slb_chunk_eval(__m256i lo, __m256i hi, __m256i plo, __m256i phi, uint64_t *lf,
				  uint64_t *colon, slb_faultv *f)
{
	__m256i nl = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
	__m256i lf_lo = _mm256_cmpeq_epi8(lo, nl), lf_hi = _mm256_cmpeq_epi8(hi, nl);
	__m256i bad_lo = _mm256_xor_si256(lf_lo, _mm256_cmpeq_epi8(plo, cr));
	__m256i bad_hi = _mm256_xor_si256(lf_hi, _mm256_cmpeq_epi8(phi, cr));

	*lf = (uint64_t)(uint32_t)_mm256_movemask_epi8(lf_hi) << 32 |
	      (uint32_t)_mm256_movemask_epi8(lf_lo);
	*colon = slb_mask64(lo, hi, ':');
	*f = _mm256_min_epu8(*f, _mm256_min_epu8(_mm256_andnot_si256(bad_lo, lo),
						 _mm256_andnot_si256(bad_hi, hi)));
}

/* The chunk at p, with the byte before it (p[-1] is in the buffer). */
static inline __attribute__((always_inline)) void slb_chunk_masks(const uint8_t *p, uint64_t *lf, uint64_t *colon, slb_faultv *f)
{
	slb_chunk_eval(_mm256_loadu_si256((const __m256i *)p),
		       _mm256_loadu_si256((const __m256i *)(p + 32)),
		       _mm256_loadu_si256((const __m256i *)(p - 1)),
		       _mm256_loadu_si256((const __m256i *)(p + 31)), lf, colon, f);
}

/* The first chunk: nothing before p (the bytes moved up by one, 0 first). */
static inline void slb_chunk_masks_first(const uint8_t *p, uint64_t *lf, uint64_t *colon,
					 slb_faultv *f)
{
	__m256i lo = _mm256_loadu_si256((const __m256i *)p);
	__m256i hi = _mm256_loadu_si256((const __m256i *)(p + 32));
	__m256i plo = _mm256_alignr_epi8(lo, _mm256_permute2x128_si256(lo, lo, 0x08), 15);
	__m256i phi = _mm256_alignr_epi8(hi, _mm256_permute2x128_si256(lo, hi, 0x21), 15);

	slb_chunk_eval(lo, hi, plo, phi, lf, colon, f);
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
