/* SPDX-License-Identifier: BSD-3-Clause */
/* The portable path: the same masks and byte classes, one byte at a time. */
#include <stdbool.h>
#include <stdint.h>

/* The walk's faults: whether a NUL or a bare CR or LF was read. */
typedef bool slb_faultv;
#define SLB_FAULTV_NONE false
#define slb_faultv_any(v) (v)

/* The masks of the 64 bytes at p; prev is the byte before them (0 for
 * none). An LF must have a CR before it, and a CR an LF after it: the LF
 * mask is the CR mask moved up by one. */
static inline void slb_chunk_eval(const uint8_t *p, uint8_t prev, uint64_t *lf, uint64_t *colon,
				  slb_faultv *f)
{
	uint64_t l = 0, r = 0, c = 0;
	bool z = false;

	for (unsigned i = 0; i < 64; i++) {
		uint64_t bit = 1ULL << i;

		l |= p[i] == '\n' ? bit : 0;
		r |= p[i] == '\r' ? bit : 0;
		c |= p[i] == ':' ? bit : 0;
		z |= p[i] == '\0';
	}
	*lf = l;
	*colon = c;
	*f |= z || (l ^ (r << 1 | (prev == '\r'))) != 0;
}

/* The chunk at p, with the byte before it (p[-1] is in the buffer). */
static inline void slb_chunk_masks(const uint8_t *p, uint64_t *lf, uint64_t *colon, slb_faultv *f)
{
	slb_chunk_eval(p, p[-1], lf, colon, f);
}

/* The first chunk: nothing before p. */
static inline void slb_chunk_masks_first(const uint8_t *p, uint64_t *lf, uint64_t *colon,
					 slb_faultv *f)
{
	slb_chunk_eval(p, 0, lf, colon, f);
}

#define SLB_WALK_FN slb_sip_walk_scalar
/* A chunk here is a byte loop dearer than the block's fault check. */
#define SLB_WALK_FAULTS_BYTEWISE 1
#include "sip_scan_walk.h"

static inline size_t slb_class_end(const struct slb_byte_class *k, const uint8_t *b, size_t i,
				   size_t end)
{
	return slb_class_end_bytes(k->in, b, i, end);
}

#define SLB_FINISH_FN slb_sip_finish_scalar
#include "sip_scan_values.h"

#define SLB_BEGIN_FN slb_sip_begin_scalar
#include "sip_scan_start.h"

#define SLB_RUN_FN slb_sip_run_scalar
#include "sip_scan_run.h"
