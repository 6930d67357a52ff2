/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the scanning paths share. A path's only job is header *location*:
 * it finds the end of the header block, flags framing faults, and records
 * where the headers siplb cares about are. Everything after that (value
 * parsing, the reason precedence) is common code, so the paths can only
 * differ in where they look, never in what they conclude.
 */
#ifndef SIPLB_SIP_SCAN_INTERNAL_H
#define SIPLB_SIP_SCAN_INTERNAL_H

#include <string.h>

#include "siplb/sip_scan.h"

/* Raw header values (colon+1 .. end of the logical line, before CRLF). */
struct slb_sip_hits {
	struct slb_span via[2]; /* the first two Via header lines */
	uint16_t via_line;      /* where the first Via line starts */
	uint8_t n_via;
	uint8_t n_call_id;      /* counts saturate at 2: only "more than one" matters */
	uint8_t n_content_length;
	struct slb_span call_id, cseq, content_length, max_forwards;
	struct slb_span to, from;
	struct slb_span route[2]; /* the first two Route header lines */
	uint16_t route_line;
	uint8_t n_route;
	bool contact;
};

/*
 * Case-insensitive compare with a lower-case literal, eight bytes at a time:
 * the bytes that are letters in the literal are OR-ed with 0x20 (only 'X'
 * and 'x' give 'x'), the others must match as they are. lit and n are
 * constants at every call, so the fold masks and memcpys fold away.
 */
static inline bool slb_ieq(const uint8_t *p, const char *lit, size_t n)
{
	for (size_t k = 0; k < n; k += 8) {
		size_t m = n - k < 8 ? n - k : 8;
		uint64_t w = 0, l = 0, fold = 0;

		memcpy(&w, p + k, m);
		memcpy(&l, lit + k, m);
		for (size_t j = 0; j < m; j++)
			if (lit[k + j] >= 'a' && lit[k + j] <= 'z')
				fold |= 0x20ULL << (8 * j);
		if ((w | fold) != l)
			return false;
	}
	return true;
}

/* p[0..n) is lit, ignoring case. */
#define SLB_IEQ(p, n, lit) ((n) == sizeof(lit) - 1 && slb_ieq((p), (lit), sizeof(lit) - 1))

/* slb_sip_header_id(), inline for the walks. */
static inline enum slb_hdr slb_hdr_id(const uint8_t *n, size_t len)
{
	switch (len) {
	case 1:
		switch (n[0] | 0x20) {
		case 'v': return SLB_HDR_VIA;
		case 'i': return SLB_HDR_CALL_ID;
		case 'l': return SLB_HDR_CONTENT_LENGTH;
		case 't': return SLB_HDR_TO;
		case 'f': return SLB_HDR_FROM;
		case 'm': return SLB_HDR_CONTACT;
		}
		return SLB_HDR_OTHER;
	case 2:  return SLB_IEQ(n, len, "to") ? SLB_HDR_TO : SLB_HDR_OTHER;
	case 3:  return SLB_IEQ(n, len, "via") ? SLB_HDR_VIA : SLB_HDR_OTHER;
	case 4:
		if (SLB_IEQ(n, len, "cseq"))
			return SLB_HDR_CSEQ;
		return SLB_IEQ(n, len, "from") ? SLB_HDR_FROM : SLB_HDR_OTHER;
	case 5:  return SLB_IEQ(n, len, "route") ? SLB_HDR_ROUTE : SLB_HDR_OTHER;
	case 7:
		if (SLB_IEQ(n, len, "call-id"))
			return SLB_HDR_CALL_ID;
		return SLB_IEQ(n, len, "contact") ? SLB_HDR_CONTACT : SLB_HDR_OTHER;
	case 12: return SLB_IEQ(n, len, "max-forwards") ? SLB_HDR_MAX_FORWARDS : SLB_HDR_OTHER;
	case 14: return SLB_IEQ(n, len, "content-length") ? SLB_HDR_CONTENT_LENGTH : SLB_HDR_OTHER;
	}
	return SLB_HDR_OTHER;
}

#define SLB_ERR(r) (1u << (r))
_Static_assert(SLB_SIP_REASON_COUNT <= 32, "every reason has a bit in a uint32_t");

/* Records one located header. Value spans may contain folded CRLF+WS. */
static inline void slb_sip_hit(struct slb_sip_hits *h, enum slb_hdr id,
			       size_t line, size_t vstart, size_t vend)
{
	struct slb_span v = slb_span_of(vstart, vend);

	switch (id) {
	case SLB_HDR_VIA:
		if (h->n_via == 0)
			h->via_line = (uint16_t)line;
		if (h->n_via < 2)
			h->via[h->n_via++] = v;
		break;
	case SLB_HDR_CALL_ID:
		if (h->n_call_id == 0)
			h->call_id = v;
		h->n_call_id += h->n_call_id < 2;
		break;
	case SLB_HDR_CONTENT_LENGTH:
		if (h->n_content_length == 0)
			h->content_length = v;
		h->n_content_length += h->n_content_length < 2;
		break;
	case SLB_HDR_CSEQ:           if (!h->cseq.off) h->cseq = v; break;
	case SLB_HDR_MAX_FORWARDS:   if (!h->max_forwards.off) h->max_forwards = v; break;
	case SLB_HDR_TO:             if (!h->to.off) h->to = v; break;
	case SLB_HDR_FROM:           if (!h->from.off) h->from = v; break;
	case SLB_HDR_ROUTE:
		if (h->n_route == 0)
			h->route_line = (uint16_t)line;
		if (h->n_route < 2)
			h->route[h->n_route++] = v;
		break;
	case SLB_HDR_CONTACT:        h->contact = true; break;
	case SLB_HDR_OTHER:          break;
	}
}

/* The end of a line whose LF is at lf: the CR before it when there is one. */
static inline size_t slb_line_end(const uint8_t *buf, size_t lf)
{
	return buf[lf - 1] == '\r' ? lf - 1 : lf;
}

/*
 * Common first step: empty and keep-alive datagrams, then the start line.
 * Returns false when the scan is over (msg->reason set). On true, *hdr_start
 * is the first byte after the start line and *err holds start-line faults.
 */
bool slb_sip_scan_begin(const uint8_t *buf, size_t len, struct slb_sip_msg *msg,
			size_t *hdr_start, uint32_t *err);

/* Common last step: parse the located values, pick the reason. */
enum slb_sip_reason slb_sip_scan_finish(const uint8_t *buf, size_t len,
					struct slb_sip_msg *msg,
					const struct slb_sip_hits *hits,
					size_t hdr_end, uint32_t err);

/* The locating walks of the SIMD paths (sip_scan_walk.h). */
typedef uint32_t slb_sip_walk_fn(const uint8_t *buf, size_t len, size_t hdr_start,
				 struct slb_sip_hits *hits, size_t *hdr_end);
slb_sip_walk_fn slb_sip_walk_scalar, slb_sip_walk_sse42, slb_sip_walk_avx2;

#endif
