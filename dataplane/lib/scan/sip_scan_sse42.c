/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 16-byte path, built for SSE4.2 machines. It compares with pcmpeqb and
 * gathers with pmovmskb rather than using pcmpestrm with a four-byte set:
 * one pcmpestrm has the latency of about ten pcmpeqb (Agner Fog's tables),
 * and the walk needs four separate masks anyway.
 */
/* begin, walk and finish inlined into slb_sip_run_*() (sip_scan_run.h) */
#define SLB_PATH_FN static inline __attribute__((always_inline))
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

static inline uint64_t slb_mask16(__m128i v, char c, unsigned shift)
{
	return (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)))
	       << shift;
}

/* The walk's faults: the bytewise minimum of every byte read and of the
 * CR/LF agreement, zero where a NUL or a bare CR or LF was. */
typedef __m128i slb_faultv;
#define SLB_FAULTV_NONE _mm_set1_epi8(-1)
#define slb_faultv_any(v) (_mm_movemask_epi8(_mm_cmpeq_epi8((v), _mm_setzero_si128())) != 0)

/* The masks of the 16 bytes v at bit shift, and their faults against the
 * bytes before each, pv: an LF there must have a CR before it, and a CR an
 * LF after it, so the two compares agree everywhere; a byte where they do
 * not is taken as 0. */
static inline void slb_chunk_eval16(__m128i v, __m128i pv, unsigned shift, uint64_t *lf,
				    uint64_t *colon, __m128i *f)
{
	__m128i nl = _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'));
	__m128i bad = _mm_xor_si128(nl, _mm_cmpeq_epi8(pv, _mm_set1_epi8('\r')));

	*lf |= (uint64_t)(uint16_t)_mm_movemask_epi8(nl) << shift;
	*colon |= slb_mask16(v, ':', shift);
	*f = _mm_min_epu8(*f, _mm_andnot_si128(bad, v));
}

/* The chunk at p, with the byte before it (p[-1] is in the buffer). */
static inline void slb_chunk_masks(const uint8_t *p, uint64_t *lf, uint64_t *colon, slb_faultv *f)
{
	uint64_t l = 0, c = 0;
	__m128i z = *f;

	for (unsigned i = 0; i < 4; i++)
		slb_chunk_eval16(_mm_loadu_si128((const __m128i *)(p + 16 * i)),
				 _mm_loadu_si128((const __m128i *)(p + 16 * i - 1)), 16 * i, &l, &c,
				 &z);
	*lf = l;
	*colon = c;
	*f = z;
}

/* The first chunk: nothing before p (the bytes moved up by one, 0 first). */
static inline void slb_chunk_masks_first(const uint8_t *p, uint64_t *lf, uint64_t *colon,
					 slb_faultv *f)
{
	uint64_t l = 0, c = 0;
	__m128i z = *f, prev = _mm_setzero_si128();

	for (unsigned i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * i));

		slb_chunk_eval16(v, _mm_alignr_epi8(v, prev, 15), 16 * i, &l, &c, &z);
		prev = v;
	}
	*lf = l;
	*colon = c;
	*f = z;
}

#define SLB_WALK_FN slb_sip_walk_sse42
#define SLB_WALK_LINKAGE static __attribute__((noinline))
#include "sip_scan_walk.h"

/* No fast value forms here (no slb_class_miss64): four 16-byte steps per
 * 64-byte window cost more than the general parsers' runs save
 * (bench/RESULTS.md). */
#define slb_class_end slb_class_end_sse
#define SLB_FINISH_FN slb_sip_finish_sse42
#include "sip_scan_values.h"

#define SLB_BEGIN_FN slb_sip_begin_sse42
#include "sip_scan_start.h"

#define SLB_RUN_FN slb_sip_run_sse42
#include "sip_scan_run.h"
