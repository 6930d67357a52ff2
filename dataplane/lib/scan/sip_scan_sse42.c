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

/* The walk's NULs: the bytewise minimum of every byte read, zero where a
 * NUL was. */
typedef __m128i slb_nulv;
#define SLB_NULV_NONE _mm_set1_epi8(-1)
#define slb_nulv_any(v) (_mm_movemask_epi8(_mm_cmpeq_epi8((v), _mm_setzero_si128())) != 0)

static inline void slb_chunk_masks(const uint8_t *p, uint64_t *lf, uint64_t *cr,
				   uint64_t *colon, slb_nulv *nul)
{
	uint64_t l = 0, r = 0, c = 0;
	__m128i z = *nul;

	for (unsigned i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * i));

		l |= slb_mask16(v, '\n', 16 * i);
		r |= slb_mask16(v, '\r', 16 * i);
		c |= slb_mask16(v, ':', 16 * i);
		z = _mm_min_epu8(z, v);
	}
	*lf = l;
	*cr = r;
	*colon = c;
	*nul = z;
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
