/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 64-byte path, built for AVX-512BW machines: one load per 64-byte
 * chunk, each compare straight into a mask register (vpcmpeqb k), the
 * walk's faults as a mask too, and a byte class of 64 bytes from one
 * vpermt2b (VBMI) and one vptestnmb.
 */
/* begin, walk and finish inlined into slb_sip_run_*() (sip_scan_run.h) */
#define SLB_PATH_FN static inline __attribute__((always_inline))
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

/* The bytes of v equal to c. */
static inline uint64_t slb_eq64(__m512i v, char c)
{
	return _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(c));
}

/* The walk's faults: the bytewise minimum of every byte read, taken as 0
 * where a bare CR or LF was (a vector, as on AVX2: one masked minimum a
 * chunk, where a mask accumulator takes a test, two mask ORs, a move and an
 * OR into memory). */
typedef __m512i slb_faultv;
#define SLB_FAULTV_NONE _mm512_set1_epi8(-1)
#define slb_faultv_any(v) (_mm512_testn_epi8_mask((v), (v)) != 0)

/* The masks of the 64 bytes v, and their faults against crp, the CR mask
 * of the bytes before each: an LF there must have a CR before it, and a CR
 * an LF after it, so the two masks agree everywhere; a byte where they do
 * not is taken as 0 (a NUL is one already). */
static inline __attribute__((always_inline)) void slb_chunk_eval(__m512i v, uint64_t crp,
								 uint64_t *lf, uint64_t *colon,
								 slb_faultv *f)
{
	uint64_t l = slb_eq64(v, '\n');

	*lf = l;
	*colon = slb_eq64(v, ':');
	*f = _mm512_maskz_min_epu8(~(l ^ crp), *f, v);
}

/* The chunk at p, with the byte before it (p[-1] is in the buffer). */
static inline __attribute__((always_inline)) void slb_chunk_masks(const uint8_t *p, uint64_t *lf,
								  uint64_t *colon, slb_faultv *f)
{
	slb_chunk_eval(_mm512_loadu_si512(p), slb_eq64(_mm512_loadu_si512(p - 1), '\r'), lf, colon,
		       f);
}

/* The first chunk: nothing before p (its own CR mask moved up by one, in
 * a mask register). */
static inline void slb_chunk_masks_first(const uint8_t *p, uint64_t *lf, uint64_t *colon,
					 slb_faultv *f)
{
	__m512i v = _mm512_loadu_si512(p);

	slb_chunk_eval(v, _kshiftli_mask64(_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\r')), 1),
		       lf, colon, f);
}

#define SLB_WALK_FN slb_sip_walk_avx512
#define SLB_WALK_LINKAGE static __attribute__((noinline))
#include "sip_scan_walk.h"

/* Bit j set when v's byte j is not in k, for the bytes of `in`: the byte
 * looked up in k->in[0..128) by one two-table permute (VBMI), after the
 * bytes from 0x80 up are taken to DEL by an unsigned minimum (every class
 * takes or leaves them as it does DEL: slb_byte_class_init() checks).
 * Where the nibble scheme takes two shuffles, their masks and a shift:
 * 3-10 % faster scans on an Intel Xeon, no change on Zen 5 (bench/RESULTS.md,
 * "Issue 10 on an Intel host"; likely why, not measured: there both
 * 512-bit shuffles share the one port that takes every compare into a
 * mask). */
static inline uint64_t slb_class_miss_in(const struct slb_byte_class *k, __m512i v, uint64_t in)
{
	__m512i t = _mm512_permutex2var_epi8(_mm512_loadu_si512(k->in),
					     _mm512_min_epu8(v, _mm512_set1_epi8(0x7f)),
					     _mm512_loadu_si512(k->in + 64));

	return _mm512_mask_testn_epi8_mask(in, t, t);
}

/* 64 bytes per step; the last, partial step a masked load of the bytes
 * before end (the others are neither read nor taken). */
static inline size_t slb_class_end(const struct slb_byte_class *k, const uint8_t *b, size_t i,
				   size_t end)
{
	for (; i + 64 <= end; i += 64) {
		uint64_t miss = slb_class_miss_in(k, _mm512_loadu_si512(b + i), ~0ULL);

		if (miss)
			return i + (size_t)_tzcnt_u64(miss);
	}
	if (i >= end)
		return i;
	uint64_t in = _bzhi_u64(~0ULL, (unsigned)(end - i));

	/* end - i < 64: ~in has bit end - i, where no miss is */
	return i + (size_t)_tzcnt_u64(
			   slb_class_miss_in(k, _mm512_maskz_loadu_epi8(in, b + i), in) | ~in);
}

/* Bit j set when p[j] is not in k, for the 64 bytes at p: the fast value
 * forms of sip_scan_values.h. */
static inline uint64_t slb_class_miss64(const struct slb_byte_class *k, const uint8_t *p)
{
	return slb_class_miss_in(k, _mm512_loadu_si512(p), ~0ULL);
}
#define slb_class_miss64 slb_class_miss64

#define SLB_FINISH_FN slb_sip_finish_avx512
#include "sip_scan_values.h"

#define SLB_BEGIN_FN slb_sip_begin_avx512
#include "sip_scan_start.h"

#define SLB_RUN_FN slb_sip_run_avx512
#include "sip_scan_run.h"
