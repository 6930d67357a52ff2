/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A path's whole scan: its start line, walk and values called directly
 * (not through three pointers), so the compiler sees them together.
 * Included last by a path, after it defined SLB_BEGIN_FN, SLB_WALK_FN and
 * SLB_FINISH_FN (still defined then), and SLB_RUN_FN (the function name).
 */
#ifndef SLB_RUN_FN
#error "define SLB_RUN_FN before including sip_scan_run.h"
#endif

enum slb_sip_reason SLB_RUN_FN(const uint8_t *buf, size_t len, struct slb_sip_msg *msg)
{
	struct slb_sip_hits hits = { 0 };
	size_t hdr_start;
	uint32_t err = 0;

	if (!SLB_BEGIN_FN(buf, len, msg, &hdr_start, &err))
		return msg->reason;
	struct slb_walk_result w = SLB_WALK_FN(buf, len, hdr_start, &hits);
	return SLB_FINISH_FN(buf, len, msg, &hits, w.hdr_end, err | w.err);
}
