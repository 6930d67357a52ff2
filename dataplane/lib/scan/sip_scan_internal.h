/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the scanning paths share. A path's own job is header *location*:
 * it finds the end of the header block, flags framing faults, and records
 * where the headers siplb cares about are. The start line (sip_scan_start.h)
 * and everything after the walk (value parsing, the reason precedence:
 * sip_scan_values.h) are common source, compiled per path only so that
 * bytes are searched and skipped with the path's instructions (and, on
 * AVX2 and AVX-512, the common forms of some values parsed from masks,
 * falling back to the general parsers): the paths can differ in where they
 * look and how fast they skip, never in what they conclude.
 */
#ifndef SIPLB_SIP_SCAN_INTERNAL_H
#define SIPLB_SIP_SCAN_INTERNAL_H

#include <stdbool.h>
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
	struct slb_span to, from, user_agent;
	struct slb_span route[2]; /* the first two Route header lines */
	uint16_t route_line;
	uint8_t n_route;
	bool contact;
};

/* The fold mask of lit[0..m), m <= 8: 0x20 in the bytes that are letters.
 * No loop: with lit and m constants it folds without loop passes (the
 * walk's label blocks, targets of an indirect jump, get none). */
static inline __attribute__((always_inline)) uint64_t slb_ieq_fold(const char *lit, size_t m)
{
#define SLB_FOLD_BYTE(j) (m > (j) && lit[j] >= 'a' && lit[j] <= 'z' ? 0x20ULL << (8 * (j)) : 0)
	return SLB_FOLD_BYTE(0) | SLB_FOLD_BYTE(1) | SLB_FOLD_BYTE(2) | SLB_FOLD_BYTE(3) |
	       SLB_FOLD_BYTE(4) | SLB_FOLD_BYTE(5) | SLB_FOLD_BYTE(6) | SLB_FOLD_BYTE(7);
#undef SLB_FOLD_BYTE
}

/* p[0..m) is lit[0..m), m <= 8, ignoring case where lit has letters. */
static inline __attribute__((always_inline)) bool slb_ieq_word(const uint8_t *p, const char *lit,
							       size_t m)
{
	uint64_t w = 0, l = 0;

	memcpy(&w, p, m);
	memcpy(&l, lit, m);
	return (w | slb_ieq_fold(lit, m)) == l;
}

/*
 * A 7-byte name (and m == 8: its colon) as slb_ieq_word() compares it, but
 * with the bits 0x20 of all seven bytes set, the '-' of "call-id" too:
 * one folded word for both names of that length (clang keeps one mask and
 * the load for the second compare). '-' has its bit 0x20 set, so only a
 * CR reads as '-', and a CR inside a name is a bare CR: a framing fault,
 * which outranks whatever the name would have recorded.
 */
static inline __attribute__((always_inline)) bool slb_ieq_word7(const uint8_t *p, const char *lit,
								size_t m)
{
	uint64_t w = 0, l = 0;

	memcpy(&w, p, m);
	memcpy(&l, lit, m);
	return (w | 0x0020202020202020ULL) == l;
}

/*
 * Case-insensitive compare with a lower-case literal of up to 16 bytes,
 * eight bytes at a time: the bytes that are letters in the literal are
 * OR-ed with 0x20 (only 'X' and 'x' give 'x'), the others must match as
 * they are. lit and n are constants at every call, so the fold masks and
 * memcpys fold away. A tail of 3, 5, 6 or 7 bytes after the first eight is
 * compared as the last eight bytes (one load where it would take two or
 * three).
 */
static inline __attribute__((always_inline)) bool slb_ieq(const uint8_t *p, const char *lit,
							  size_t n)
{
	size_t k = n - 8 == 1 || n - 8 == 2 || n - 8 == 4 ? 8 : n - 8;

	if (n > 16)
		__builtin_trap(); /* no literal here is longer; folded away */
	if (n == 5) /* four bytes, then one: a mismatch (Allow for Route) in one compare */
		return slb_ieq_word(p, lit, 4) && slb_ieq_word(p + 4, lit + 4, 1);
	if (n <= 8)
		return slb_ieq_word(p, lit, n);
	/* the tail first: the walk's 10- and 12-byte names (User-Agent,
	 * Max-Forwards) differ from their usual neighbours (Record-Route,
	 * Content-Type) there, and a 1-, 2- or 4-byte compare takes no movabs */
	return slb_ieq_word(p + k, lit + k, n - k) && slb_ieq_word(p, lit, 8);
}

/* p[0..n) is lit, ignoring case. */
#define SLB_IEQ(p, n, lit) ((n) == sizeof(lit) - 1 && slb_ieq((p), (lit), sizeof(lit) - 1))

/*
 * The names the scanner locates, by length, then by the compare: each
 * match runs FOUND(id), which leaves the switch (return, or a jump); no
 * match falls through after it (SLB_HDR_SWITCH), or runs BREAK
 * (SLB_HDR_CASES, whose CASE(k) starts the names of length k: a case
 * label, or in the walk a label its table of lengths jumps to). An empty
 * name runs EMPTY, which leaves too (in the walk a colon first on its line
 * is a fault: one dispatch tests both). One list for slb_hdr_id() and the
 * walks' merged dispatch and record (sip_scan_walk.h). C is "" or, where the
 * name is known to end at a colon (the walk), ":", which the 3- and
 * 7-byte names then take into their compare: one 4- or 8-byte load
 * instead of two or three.
 */
#define SLB_HDR_CASES(n, C, FOUND, EMPTY, CASE, BREAK)                                         \
	CASE(0) EMPTY;                                                                         \
	CASE(1)                                                                                \
		switch ((n)[0] | 0x20) {                                                       \
		case 'v': FOUND(SLB_HDR_VIA);                                                  \
		case 'i': FOUND(SLB_HDR_CALL_ID);                                              \
		case 'l': FOUND(SLB_HDR_CONTENT_LENGTH);                                       \
		case 't': FOUND(SLB_HDR_TO);                                                   \
		case 'f': FOUND(SLB_HDR_FROM);                                                 \
		case 'm': FOUND(SLB_HDR_CONTACT);                                              \
		}                                                                              \
		BREAK;                                                                         \
	CASE(2) if (slb_ieq((n), "to", 2)) FOUND(SLB_HDR_TO); BREAK;                           \
	CASE(3) if (slb_ieq((n), "via" C, sizeof("via" C) - 1)) FOUND(SLB_HDR_VIA); BREAK;     \
	CASE(4)                                                                                \
		if (slb_ieq((n), "cseq", 4)) FOUND(SLB_HDR_CSEQ);                              \
		if (slb_ieq((n), "from", 4)) FOUND(SLB_HDR_FROM);                              \
		BREAK;                                                                         \
	CASE(5) if (slb_ieq((n), "route", 5)) FOUND(SLB_HDR_ROUTE); BREAK;                     \
	CASE(7)                                                                                \
		if (slb_ieq_word7((n), "call-id" C, sizeof("call-id" C) - 1))                  \
			FOUND(SLB_HDR_CALL_ID);                                                \
		if (slb_ieq_word7((n), "contact" C, sizeof("contact" C) - 1))                  \
			FOUND(SLB_HDR_CONTACT);                                                \
		BREAK;                                                                         \
	CASE(10) if (slb_ieq((n), "user-agent", 10)) FOUND(SLB_HDR_USER_AGENT); BREAK;         \
	CASE(12) if (slb_ieq((n), "max-forwards", 12)) FOUND(SLB_HDR_MAX_FORWARDS); BREAK;     \
	CASE(14) if (slb_ieq((n), "content-length", 14)) FOUND(SLB_HDR_CONTENT_LENGTH); BREAK;

#define SLB_HDR_CASE(k) case k:
#define SLB_HDR_SWITCH(n, len, C, FOUND, EMPTY)                                                \
	switch (len) { SLB_HDR_CASES(n, C, FOUND, EMPTY, SLB_HDR_CASE, break) }

/* slb_sip_header_id(), inline for the Hyperscan path and a trimmed name. */
static inline enum slb_hdr slb_hdr_id(const uint8_t *n, size_t len)
{
#define SLB_RETURN_ID(id) return (id)
	SLB_HDR_SWITCH(n, len, "", SLB_RETURN_ID, return SLB_HDR_OTHER)
#undef SLB_RETURN_ID
	return SLB_HDR_OTHER;
}

/* RFC 3261 §25.1 token characters. */
static const uint8_t slb_token_char[256] = {
	['!'] = 1, ['%'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1,
	['.'] = 1, ['_'] = 1, ['`'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

/* The end of the run of bytes in table `in` from i; four lookups per step
 * while all four are in. The byte loop of every class test. */
static inline size_t slb_class_end_bytes(const uint8_t *in, const uint8_t *b, size_t i,
					 size_t end)
{
	while (i + 4 <= end && (in[b[i]] & in[b[i + 1]] & in[b[i + 2]] & in[b[i + 3]]))
		i += 4;
	while (i < end && in[b[i]])
		i++;
	return i;
}

/*
 * A set of bytes in two forms: a table for byte loops, and two 16-byte
 * nibble tables for a SIMD test of 16, 32 or 64 bytes at once (the vpshufb
 * classification of simdjson): c is in the set when lo[c & 15] & hi[c >> 4]
 * is not zero. Each high nibble gets one bit, shared by the high nibbles
 * whose sets of low nibbles are equal, and lo[l] holds the bits of the sets
 * containing l; eight bits give up to eight distinct sets, which covers
 * every class the parsers use (slb_byte_class_init() checks). The AVX-512
 * path looks bytes up in in[0..128) instead, with bytes from 0x80 taken as
 * DEL: so every class must take or leave them all as it does DEL
 * (slb_byte_class_init() checks that too).
 */
struct slb_byte_class {
	uint8_t lo[16], hi[16];
	uint8_t in[256];
};

/* Fills k->lo and k->hi from k->in; false when the set needs more than
 * eight distinct low-nibble sets, or treats a byte from 0x80 up otherwise
 * than DEL. */
static inline bool slb_byte_class_init(struct slb_byte_class *k)
{
	uint16_t sets[8];
	unsigned n = 0;

	for (unsigned c = 0x80; c < 256; c++)
		if (k->in[c] != k->in[0x7f])
			return false;
	memset(k->lo, 0, sizeof(k->lo));
	memset(k->hi, 0, sizeof(k->hi));
	for (unsigned h = 0; h < 16; h++) {
		uint16_t set = 0;
		unsigned bit = 0;

		for (unsigned l = 0; l < 16; l++)
			set |= (uint16_t)(k->in[h << 4 | l] ? 1u << l : 0);
		if (!set)
			continue;
		while (bit < n && sets[bit] != set)
			bit++;
		if (bit == n) {
			if (n == 8)
				return false;
			sets[n++] = set;
		}
		k->hi[h] = (uint8_t)(1u << bit);
		for (unsigned l = 0; l < 16; l++)
			if (set & (1u << l))
				k->lo[l] |= (uint8_t)(1u << bit);
	}
	return true;
}

/*
 * The classes the value parsers skip runs of (sip_scan_values.h): RFC 3261
 * §25.1 token; a parameter value (token, and ':' '[' ']' for IPv6
 * addresses); a Call-ID word; the plain bytes of an address, up to what
 * ends or quotes it (';' ',' '"' '<'); the plain bytes of a quoted string
 * (not '"' nor '\\'); for the fast forms, the bytes that are plain both in
 * and out of quotes and angle brackets (not ';' ',' '"' '<' '>' '\\').
 * One copy for all paths, filled at start-up by sip_scan_classes.c, built
 * for any x86-64: a constructor in a path's object would run that path's
 * instructions (AVX-512 ones, say) on every CPU.
 */
extern __attribute__((visibility("hidden"))) struct slb_byte_class slb_token_class,
	slb_param_class, slb_word_class, slb_addr_class, slb_qtext_class, slb_addr_plain_class;

#ifdef __SSSE3__
#include <immintrin.h>

/* Bit j set when p[j] is not in k, for the 16 bytes at p. */
static inline uint32_t slb_class_miss16(const struct slb_byte_class *k, const uint8_t *p)
{
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i v = _mm_loadu_si128((const __m128i *)p);
	__m128i lo = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)k->lo),
				      _mm_and_si128(v, nib));
	__m128i hi = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)k->hi),
				      _mm_and_si128(_mm_srli_epi16(v, 4), nib));

	return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(lo, hi),
							  _mm_setzero_si128()));
}

/*
 * The end of the run of bytes of class k from i, 16 bytes per step. The
 * last step reads the 16 bytes that end at `end` (all inside the buffer
 * once end >= 16) and drops those before i, so short runs at the end of a
 * value take one step too.
 */
static inline size_t slb_class_end_sse(const struct slb_byte_class *k, const uint8_t *b,
				       size_t i, size_t end)
{
	for (; i + 16 <= end; i += 16) {
		uint32_t miss = slb_class_miss16(k, b + i);

		if (miss)
			return i + (size_t)__builtin_ctz(miss);
	}
	if (i >= end)
		return i;
	if (end < 16)
		return slb_class_end_bytes(k->in, b, i, end);
	uint32_t miss = slb_class_miss16(k, b + end - 16) >> (16 - (end - i));

	return miss ? i + (size_t)__builtin_ctz(miss) : end;
}
#endif

/* slb_sip_method_of(), inline for the value parsers. */
static inline __attribute__((always_inline)) enum slb_sip_method slb_method_id(const uint8_t *t, size_t len)
{
#define M(name, id) if (memcmp(t, name, sizeof(name) - 1) == 0) return id
	switch (len) {
	case 3: M("ACK", SLB_SIP_METHOD_ACK); M("BYE", SLB_SIP_METHOD_BYE); break;
	case 4: M("INFO", SLB_SIP_METHOD_INFO); break;
	case 5: M("PRACK", SLB_SIP_METHOD_PRACK); M("REFER", SLB_SIP_METHOD_REFER); break;
	case 6:
		M("INVITE", SLB_SIP_METHOD_INVITE); M("CANCEL", SLB_SIP_METHOD_CANCEL);
		M("NOTIFY", SLB_SIP_METHOD_NOTIFY); M("UPDATE", SLB_SIP_METHOD_UPDATE);
		break;
	case 7:
		M("OPTIONS", SLB_SIP_METHOD_OPTIONS); M("PUBLISH", SLB_SIP_METHOD_PUBLISH);
		M("MESSAGE", SLB_SIP_METHOD_MESSAGE);
		break;
	case 8: M("REGISTER", SLB_SIP_METHOD_REGISTER); break;
	case 9: M("SUBSCRIBE", SLB_SIP_METHOD_SUBSCRIBE); break;
	}
#undef M
	return SLB_SIP_METHOD_OTHER;
}

#define SLB_ERR(r) (1u << (r))
_Static_assert(SLB_SIP_REASON_COUNT <= 32, "every reason has a bit in a uint32_t");

/* s = [from, to), written as its two halves (a packed store takes a shift
 * and an OR more). */
static inline void slb_set_span(struct slb_span *s, size_t from, size_t to)
{
	s->off = (uint16_t)from;
	s->len = (uint16_t)(to - from);
}

/* s = [from, to) unless a span was set already (the first line counts). */
static inline void slb_set_first(struct slb_span *s, size_t from, size_t to)
{
	if (!s->off)
		slb_set_span(s, from, to);
}

/* Records one located header. Value spans may contain folded CRLF+WS. */
static inline void slb_sip_hit(struct slb_sip_hits *h, enum slb_hdr id,
			       size_t line, size_t vstart, size_t vend)
{
	switch (id) {
	/* The counts written as constants, each case apart: an indexed store
	 * and a saturating add took three or four instructions more. */
	case SLB_HDR_VIA:
		if (h->n_via == 0) {
			h->via_line = (uint16_t)line;
			slb_set_span(&h->via[0], vstart, vend);
			h->n_via = 1;
		} else if (h->n_via == 1) {
			slb_set_span(&h->via[1], vstart, vend);
			h->n_via = 2;
		}
		break;
	case SLB_HDR_CALL_ID:
		if (h->n_call_id == 0) {
			slb_set_span(&h->call_id, vstart, vend);
			h->n_call_id = 1;
		} else {
			h->n_call_id = 2;
		}
		break;
	case SLB_HDR_CONTENT_LENGTH:
		if (h->n_content_length == 0) {
			slb_set_span(&h->content_length, vstart, vend);
			h->n_content_length = 1;
		} else {
			h->n_content_length = 2;
		}
		break;
	case SLB_HDR_CSEQ: slb_set_first(&h->cseq, vstart, vend); break;
	case SLB_HDR_MAX_FORWARDS: slb_set_first(&h->max_forwards, vstart, vend); break;
	case SLB_HDR_TO: slb_set_first(&h->to, vstart, vend); break;
	case SLB_HDR_FROM: slb_set_first(&h->from, vstart, vend); break;
	case SLB_HDR_ROUTE:
		if (h->n_route == 0) {
			h->route_line = (uint16_t)line;
			slb_set_span(&h->route[0], vstart, vend);
			h->n_route = 1;
		} else if (h->n_route == 1) {
			slb_set_span(&h->route[1], vstart, vend);
			h->n_route = 2;
		}
		break;
	case SLB_HDR_CONTACT:
		h->contact = true;
		break;
	case SLB_HDR_USER_AGENT: slb_set_first(&h->user_agent, vstart, vend); break;
	case SLB_HDR_OTHER:
		break;
	}
}

/* The end of a line whose LF is at lf: the CR before it when there is one. */
static inline size_t slb_line_end(const uint8_t *buf, size_t lf)
{
	return buf[lf - 1] == '\r' ? lf - 1 : lf;
}

/*
 * First step, compiled once per path (sip_scan_start.h): empty and keep-alive
 * datagrams, then the start line. Returns false when the scan is over
 * (msg->reason set). On true, *hdr_start is the first byte after the start
 * line and *err holds start-line faults.
 */
typedef bool slb_sip_begin_fn(const uint8_t *buf, size_t len, struct slb_sip_msg *msg,
			      size_t *hdr_start, uint32_t *err);
slb_sip_begin_fn slb_sip_begin_scalar;

/* The locating walks of the SIMD paths (sip_scan_walk.h). */
struct slb_walk_result {
	uint32_t err;   /* framing and header-line faults */
	size_t hdr_end; /* the header block's end, when err has no fault that
			 * stops the scan (returned in a register pair, where a
			 * pointer to it took a store and a load, and a spill) */
};
typedef struct slb_walk_result slb_sip_walk_fn(const uint8_t *buf, size_t len, size_t hdr_start,
					       struct slb_sip_hits *hits);
slb_sip_walk_fn slb_sip_walk_scalar;

/* Last step, compiled once per path (sip_scan_values.h): parse the located
 * values, pick the reason. */
typedef enum slb_sip_reason slb_sip_finish_fn(const uint8_t *buf, size_t len,
					      struct slb_sip_msg *msg,
					      const struct slb_sip_hits *hits,
					      size_t hdr_end, uint32_t err);
slb_sip_finish_fn slb_sip_finish_scalar;

/* How a path defines its begin, walk and finish: external by default (the
 * Hyperscan path calls the scalar ones), inlined into its run function
 * when the path defines SLB_PATH_FN so. */
#ifndef SLB_PATH_FN
#define SLB_PATH_FN
#endif

/* A path's whole scan (sip_scan_run.h): begin, walk and finish. */
typedef enum slb_sip_reason slb_sip_run_fn(const uint8_t *buf, size_t len,
					   struct slb_sip_msg *msg);
slb_sip_run_fn slb_sip_run_scalar, slb_sip_run_sse42, slb_sip_run_avx2, slb_sip_run_avx512;

#endif
