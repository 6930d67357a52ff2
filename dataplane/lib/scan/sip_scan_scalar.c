/* SPDX-License-Identifier: BSD-3-Clause */
/* The portable path: the same masks and byte classes, one byte at a time. */
#include <stdbool.h>
#include <stdint.h>

/* The walk's NULs: whether one was read. */
typedef bool slb_nulv;
#define SLB_NULV_NONE false
#define slb_nulv_any(v) (v)

static inline void slb_chunk_masks(const uint8_t *p, uint64_t *lf, uint64_t *cr,
				   uint64_t *colon, slb_nulv *nul)
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
	*cr = r;
	*colon = c;
	*nul |= z;
}

#define SLB_WALK_FN slb_sip_walk_scalar
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
