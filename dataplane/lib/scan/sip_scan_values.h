/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header values and the verdict, compiled once per instruction set like the
 * walk (sip_scan_walk.h), so that runs of token, parameter and Call-ID bytes
 * are classified 16, 32 or 64 bytes per step on the SIMD paths.
 *
 * Before including this file a path defines SLB_FINISH_FN (the function
 * name) and slb_class_end(k, b, i, end): the end of the run of bytes of
 * class k (struct slb_byte_class) from i, never reading at or past end; and,
 * for the fast forms (see below), optionally slb_class_miss64().
 */
#ifndef SLB_FINISH_FN
#error "define SLB_FINISH_FN and slb_class_end before including sip_scan_values.h"
#endif

#include "sip_scan_internal.h"

/* A span the walk wrote, read as the two halves it was written as: one
 * 32-bit load of two 16-bit stores cannot be forwarded from them and waits
 * until they reach the cache. */
#define SLB_HIT(s) ((struct slb_span){ (s).off, (s).len })

/* The first c in b[i..end), or end: 64 bytes per step on AVX-512 (the
 * last a masked load of the bytes before end), 32 then 16 on the other SIMD
 * paths, the C library's search on the scalar one: the start line's
 * searches (sip_scan_start.h) and the Route's ','. */
static inline size_t slb_find_byte(const uint8_t *b, size_t i, size_t end, uint8_t c)
{
#ifdef __AVX512BW__
	for (; i < end; i += 64) {
		uint64_t in = end - i >= 64 ? ~0ULL : _bzhi_u64(~0ULL, (unsigned)(end - i));
		uint64_t hit = _mm512_mask_cmpeq_epi8_mask(in, _mm512_maskz_loadu_epi8(in, b + i),
							   _mm512_set1_epi8((char)c));

		if (hit)
			return i + (size_t)_tzcnt_u64(hit);
	}
	return end;
#else
#ifdef __AVX2__
	for (uint32_t hit; i + 32 <= end; i += 32)
		if ((hit = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
			     _mm256_loadu_si256((const __m256i *)(b + i)), _mm256_set1_epi8((char)c)))))
			return i + (size_t)__builtin_ctz(hit);
#endif
#ifdef __SSSE3__
	const __m128i k = _mm_set1_epi8((char)c);

	for (; i + 16 <= end; i += 16) {
		uint32_t hit = (uint32_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(b + i)), k));

		if (hit)
			return i + (size_t)__builtin_ctz(hit);
	}
	if (i < end && end >= 16) { /* the last 16 bytes, those before i dropped */
		uint32_t hit = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(
				       _mm_loadu_si128((const __m128i *)(b + end - 16)), k)) >>
			       (16 - (end - i));

		return hit ? i + (size_t)__builtin_ctz(hit) : end;
	}
#endif
	const uint8_t *p = i < end ? memchr(b + i, c, end - i) : NULL;

	return p ? (size_t)(p - b) : end;
#endif
}

#ifdef __AVX2__
/* Bit j set when p[j] is c, for the 64 bytes at p. */
static inline uint64_t slb_byte_mask64(const uint8_t *p, char c)
{
#ifdef __AVX512BW__
	return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p), _mm512_set1_epi8(c));
#else
	const __m256i k = _mm256_set1_epi8(c);
	uint32_t lo = (uint32_t)_mm256_movemask_epi8(
		_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)p), k));
	uint32_t hi = (uint32_t)_mm256_movemask_epi8(
		_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + 32)), k));

	return (uint64_t)hi << 32 | lo;
#endif
}
#endif

/* The parsers run once or twice per message on short values, where a call
 * and its register saves cost as much as the work: they are inlined. */
#define SLB_INLINE static inline __attribute__((always_inline))

static inline size_t skip_token(const uint8_t *b, size_t i, size_t end)
{
	return slb_class_end(&slb_token_class, b, i, end);
}

/* skip_lws() past its first byte: SP, HT and folds. */
static size_t skip_lws_run(const uint8_t *b, size_t i, size_t end)
{
	while (i < end && b[i] <= ' ') {
		if (b[i] == ' ' || b[i] == '\t')
			i++;
		else if (b[i] == '\r' && i + 2 < end && b[i + 1] == '\n' &&
			 (b[i + 2] == ' ' || b[i + 2] == '\t'))
			i += 3;
		else
			break;
	}
	return i;
}

/* Skips SP, HT and folds (CRLF followed by SP or HT) inside a value. Most
 * calls find none or one SP (after a header's colon): those tests stay
 * inline. */
SLB_INLINE size_t skip_lws(const uint8_t *b, size_t i, size_t end)
{
	if (i >= end || b[i] > ' ')
		return i;
	if (b[i] == ' ' && i + 1 < end && b[i + 1] > ' ')
		return i + 1;
	return skip_lws_run(b, i, end);
}

/* The end of a value without trailing LWS (SP, HT, and folds' CRLF). */
static size_t trim_lws_end(const uint8_t *b, size_t start, size_t end)
{
	while (end > start && (b[end - 1] == ' ' || b[end - 1] == '\t' ||
			       b[end - 1] == '\r' || b[end - 1] == '\n'))
		end--;
	return end;
}

/* A parameter value: a quoted string (with its quotes and \\ escapes; end + 1
 * when unterminated), or a run of chars allowed in a parameter value (token,
 * IPv6 addresses). */
SLB_INLINE size_t skip_param_value(const uint8_t *b, size_t i, size_t end)
{
	if (i < end && b[i] == '"') {
		for (i++;; i += 2) { /* past a backslash and the byte it escapes */
			i = slb_class_end(&slb_qtext_class, b, i, end);
			if (i >= end)
				return end + 1; /* unterminated */
			if (b[i] == '"')
				return i + 1;
		}
	}
	return slb_class_end(&slb_param_class, b, i, end);
}

struct param {
	struct slb_span name, value;
	bool has_value;
};

/*
 * The next ";name[=value]" from *i (LWS allowed around ';' and '='). False
 * when there is none, or when it is malformed (then *bad is set); *i moves
 * past each parameter returned.
 */
SLB_INLINE bool next_param(const uint8_t *b, size_t *i, size_t end, struct param *p,
			      bool *bad)
{
	size_t j = skip_lws(b, *i, end);

	if (j >= end || b[j] != ';')
		return false;
	j = skip_lws(b, j + 1, end);
	size_t name_end = skip_token(b, j, end);
	if (name_end == j) {
		*bad = true;
		return false;
	}
	p->name = slb_span_of(j, name_end);
	p->value = (struct slb_span){ 0, 0 };
	p->has_value = false;
	*i = name_end;
	j = skip_lws(b, name_end, end);
	if (j < end && b[j] == '=') {
		j = skip_lws(b, j + 1, end);
		size_t v_end = skip_param_value(b, j, end);
		if (v_end > end || v_end == j) {
			*bad = true;
			return false;
		}
		p->value = slb_span_of(j, v_end);
		p->has_value = true;
		*i = v_end;
	}
	return true;
}

/* A Via's rport: its value, or an empty span at the name's end. */
SLB_INLINE void via_set_rport(struct slb_sip_via *via, size_t from, size_t to)
{
	via->has_rport = true;
	slb_set_span(&via->rport, from, to);
}

/* The same from a parameter whose name ends at name_end. */
SLB_INLINE void via_param_rport(struct slb_sip_via *via, const struct param *p, size_t name_end)
{
	if (p->has_value)
		via_set_rport(via, p->value.off, (size_t)p->value.off + p->value.len);
	else
		via_set_rport(via, name_end, name_end);
}

SLB_INLINE void via_param(struct slb_sip_via *via, const uint8_t *b, const struct param *p)
{
	const uint8_t *n = b + p->name.off;

	switch (p->name.len) {
	case 6:
		if (SLB_IEQ(n, 6, "branch"))
			via->branch = p->value;
		break;
	case 8:
		if (SLB_IEQ(n, 8, "received"))
			via->received = p->value;
		break;
	case 5:
		if (SLB_IEQ(n, 5, "rport"))
			via_param_rport(via, p, (size_t)p->name.off + 5);
		break;
	}
}

/* 1*DIGIT from i: where the digits end; their value, saturated at
 * limit + 1, in *n. (A uint64_t so that limit + 1 times ten still fits.) */
static inline size_t scan_digits(const uint8_t *b, size_t i, size_t end, uint32_t limit,
				 uint32_t *n)
{
	uint64_t v = 0;

	for (; i < end && (unsigned)(b[i] - '0') < 10; i++) {
		v = v * 10 + (unsigned)(b[i] - '0');
		v = v > limit ? (uint64_t)limit + 1 : v;
	}
	*n = (uint32_t)v;
	return i;
}

#ifdef __SSSE3__
/*
 * A number's digits in one register on the SIMD paths (the scalar path,
 * the differential reference, keeps scan_digits()): XOR '0' makes a digit
 * 0 to 9 (no borrow between bytes) and any other byte 10 or more, which
 * adding 0x76 to each byte shows in its top bit (the lowest such byte
 * exactly: a carry out of a byte comes only from one above 9).
 */
#define SLB_ONES 0x0101010101010101ULL

/* Four digits XOR '0', the first in the lowest byte (leading zeros for
 * fewer), to their number: pairs, then the two pairs. */
static inline uint32_t digits4_value(uint32_t w)
{
	w = (w * 10 + (w >> 8)) & 0x00ff00ff; /* the pairs, in bytes 0 and 2 */
	return (w * (1 + (100u << 16))) >> 16; /* 100 * pair 0 + pair 1 */
}

/* Eight digits the same way: pairs, fours, eight by three multiplies. */
static inline uint32_t digits8_value(uint64_t w)
{
	w = w * 10 + (w >> 8);
	return (uint32_t)(((w & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32)) +
			   ((w >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32))) >>
			  32);
}

/*
 * The number b[t..x), x > t (a value of a message whose start line parsed,
 * at least "M U SIP/2.0" and its CRLF before it, so x >= 8; b[x..x+4) is
 * in the buffer, a value ending in CRLF): false unless it is 1 to 8 digits,
 * their value in *n. Up to four digits one load from t, the bytes from x
 * shifted out and zeros (digit 0) shifted in; five to eight one load of
 * the eight bytes that end at x, those before t cleared: about 13 (32-bit
 * constants) or 22 instructions for the loop's 11 a digit.
 */
SLB_INLINE bool digits_to(const uint8_t *b, size_t t, size_t x, uint32_t *n)
{
	size_t k = x - t - 1; /* the length less one: 0 to 7 */

	if (k < 4) {
		uint32_t w;

		memcpy(&w, b + t, 4);
		w = (w ^ ('0' * 0x01010101u)) << (24 - 8 * k);
		if ((w | (w + 0x76767676u)) & 0x80808080u)
			return false;
		*n = digits4_value(w);
		return true;
	}
	if (k >= 8)
		return false;
	uint64_t w;

	memcpy(&w, b + x - 8, 8);
	w = (w ^ ('0' * SLB_ONES)) & (~0ULL << (8 * (7 - k)));
	if ((w | (w + 0x76 * SLB_ONES)) & (0x80 * SLB_ONES))
		return false;
	*n = digits8_value(w);
	return true;
}
#endif

/* "/" with optional LWS around it (RFC 3261 SLASH). */
static bool skip_slash(const uint8_t *b, size_t *i, size_t end)
{
	size_t j = skip_lws(b, *i, end);

	if (j >= end || b[j] != '/')
		return false;
	*i = skip_lws(b, j + 1, end);
	return true;
}

/* "SIP/2.0/" at i, LWS allowed around each '/': *after is where the
 * transport starts. The form without LWS takes one compare. */
static bool skip_sip20_slash(const uint8_t *b, size_t i, size_t end, size_t *after)
{
	size_t t;

	if (i + 8 <= end && slb_ieq(b + i, "sip/2.0/", 8)) {
		*after = skip_lws(b, i + 8, end);
		return true;
	}
	t = skip_token(b, i, end);
	if (!SLB_IEQ(b + i, t - i, "sip") || !skip_slash(b, &t, end))
		return false;
	i = t;
	t = skip_token(b, i, end);
	if (!SLB_IEQ(b + i, t - i, "2.0") || !skip_slash(b, &t, end))
		return false;
	*after = t;
	return true;
}

/*
 * One via-parm from i: SIP/2.0/transport SP sent-by *(;param). Returns the
 * position after it (a comma or end), or 0 when it does not parse.
 */
static size_t parse_via(const uint8_t *b, size_t i, size_t end, struct slb_sip_via *v)
{
	size_t start = skip_lws(b, i, end), t;

	memset(v, 0, sizeof(*v));
	if (!skip_sip20_slash(b, start, end, &t))
		return 0;
	i = skip_token(b, t, end);
	if (i == t)
		return 0;
	slb_set_span(&v->transport, t, i);
	t = skip_lws(b, i, end);
	if (t == i || t >= end)
		return 0;
	/* sent-by: host or [IPv6], then an optional :port */
	if (b[t] == '[') {
		const uint8_t *rb = memchr(b + t, ']', end - t);
		if (!rb)
			return 0;
		i = (size_t)(rb - b) + 1;
	} else {
		i = skip_token(b, t, end);
	}
	if (i == t)
		return 0;
	slb_set_span(&v->host, t, i);
	t = skip_lws(b, i, end);
	if (t < end && b[t] == ':') {
		size_t d = skip_lws(b, t + 1, end), e;
		uint32_t port;

		e = scan_digits(b, d, end, 65535, &port);
		if (e == d || port == 0 || port > 65535)
			return 0;
		slb_set_span(&v->port_tok, d, e);
		v->port = (uint16_t)port;
		i = e;
	}
	struct param prm;
	bool bad = false;
	while (next_param(b, &i, end, &prm, &bad))
		via_param(v, b, &prm);
	if (bad)
		return 0;
	slb_set_span(&v->value, start, i);
	i = skip_lws(b, i, end);
	if (i < end && b[i] != ',')
		return 0;
	return i;
}

#ifdef slb_class_miss64
/*
 * The fast forms (SIMD paths only). A path that defines
 * slb_class_miss64(k, p) (bit j set when p[j] is not in class k, for the 64
 * bytes at p) classifies a value's bytes 64 at a time, once, and takes each
 * run's end from the mask with a shift and a count of trailing zeros,
 * instead of a SIMD step per run. A fast parser accepts only the common form
 * of its value and returns SLB_SLOW for anything else (LWS other than one
 * SP where the form has it, quoted strings, IPv6, a byte the form does not
 * expect), and the general parser then decides: a fast parser never
 * rejects. The scalar path (and Hyperscan's, which uses the scalar values)
 * has no fast forms, so the differential test and the fuzzer compare each
 * fast parser with the general one.
 */
#define SLB_SLOW SIZE_MAX

/*
 * The bytes not in one class (the boundaries of its runs) in order, from a
 * 64-byte mask: each is a count of trailing zeros and a clear of the lowest
 * bit, and a run's end is the next boundary (the runs of a fast form are
 * separated by single boundary bytes, all of which are taken in order).
 */
struct bounds {
	const struct slb_byte_class *k;
	const uint8_t *b;
	size_t len;  /* b[0..len) may be read; at least 64 */
	size_t base; /* the window's first byte */
	uint64_t m;  /* the boundaries not yet taken, bit j: b[base + j] */
};

/*
 * The boundaries at or after from (from < len). Mostly 64 bytes are left
 * from there: that window has nothing to cut. On AVX-512 it has a branch
 * of its own (no base select, no shift pair: 14-17 instructions fewer on
 * the bench messages, three to five windows each); on AVX2 that form cost
 * up to 8 more (the two halves' registers around it), so there the base
 * is selected as before and only the cut is left out of the usual case
 * (13-15 fewer). bench/RESULTS.md, tenth pass.
 */
SLB_INLINE void bounds_load(struct bounds *s, size_t from)
{
#ifdef __AVX512BW__
	if (__builtin_expect(from + 64 <= s->len, 1)) {
		s->base = from;
		s->m = slb_class_miss64(s->k, s->b + from);
	} else {
		size_t base = s->len - 64;

		s->base = base;
		s->m = slb_class_miss64(s->k, s->b + base) & (~0ULL << (from - base));
	}
#else
	size_t base = from + 64 <= s->len ? from : s->len - 64;

	s->base = base;
	s->m = slb_class_miss64(s->k, s->b + base);
	if (__builtin_expect(base != from, 0))
		s->m &= ~0ULL << (from - base);
#endif
}

/* The next boundary, at most end. */
SLB_INLINE size_t bounds_take(struct bounds *s, size_t end, bool clamp)
{
	size_t p;

	while (__builtin_expect(!s->m, 0)) {
		size_t next = s->base + 64;

		if (next >= end)
			return end;
		bounds_load(s, next);
	}
	p = s->base + (size_t)__builtin_ctzll(s->m);
	s->m &= s->m - 1;
	return !clamp || p < end ? p : end;
}

/* For a class whose boundaries may lie past the value (an address's). */
SLB_INLINE size_t bounds_next(struct bounds *s, size_t end)
{
	return bounds_take(s, end, true);
}

/*
 * For slb_token_class, without the clamp: b[end], the value's line's CR
 * (the walk records a value only up to a CR before its LF), is a boundary
 * of that class, so while end is not taken no boundary past it is, and a
 * window that holds end has it (every window is loaded from at most end).
 */
SLB_INLINE size_t bounds_next_tok(struct bounds *s, size_t end)
{
	return bounds_take(s, end, false);
}

/*
 * next_param() for the fast forms: b[*x] is a ';' just taken from s (a
 * window of slb_token_class); ";name" or ";name=value" with a token name and
 * value. False when a run is empty (a blank, '"' or a second ';' right
 * after ';' or '=' is a boundary there). *x moves to the boundary after
 * the parameter, which the caller takes only when it is ';', ',' (a Via)
 * or the end: anything else there (a blank after the name or the value,
 * or a ':' '[' ']' that would go on in the general parser's value) makes
 * the fast form "not mine", and what was taken of it is dropped.
 */
SLB_INLINE bool param_fast(struct bounds *s, const uint8_t *b, size_t *x, size_t end,
			   struct param *p)
{
	size_t t = *x + 1, e = bounds_next(s, end);

	if (e == t)
		return false;
	p->name = slb_span_of(t, e);
	p->value = (struct slb_span){ 0, 0 };
	p->has_value = e < end && b[e] == '=';
	if (p->has_value) {
		t = e + 1;
		e = bounds_next(s, end);
		if (e == t)
			return false;
		p->value = slb_span_of(t, e);
	}
	*x = e;
	return true;
}

/* A parameter's value from t, where s's next boundary is its '=' at
 * t - 1: where the value ends (its boundary), SLB_SLOW when it is empty. */
SLB_INLINE size_t value_fast(struct bounds *s, size_t t, size_t end)
{
	size_t x;

	bounds_next(s, end); /* the '=' */
	x = bounds_next(s, end);
	return x == t ? SLB_SLOW : x;
}

/* A name's first eight bytes, letters folded to lower case (fold: the
 * bits 0x20 of the bytes that are letters in every name compared). */
#define SLB_LIT8(a, b, c, d, e, f, g, h)                                                   \
	((uint64_t)(a) | (uint64_t)(b) << 8 | (uint64_t)(c) << 16 | (uint64_t)(d) << 24 |     \
	 (uint64_t)(e) << 32 | (uint64_t)(f) << 40 | (uint64_t)(g) << 48 | (uint64_t)(h) << 56)

/*
 * Whether the eight bytes at x (the caller knows they are in the buffer),
 * the bits `fold` set (0x20 in the bytes that are letters in the literal)
 * and cut to `mask`, are lit: a parameter's ';', name and '=' as one
 * compare.
 */
SLB_INLINE bool lit_in(const uint8_t *b, size_t x, uint64_t lit, uint64_t fold, uint64_t mask)
{
	uint64_t w;

	memcpy(&w, b + x, 8);
	return ((w | fold) & mask) == lit;
}

/*
 * via_param() for the fast form: the name's eight bytes from one load
 * (in the buffer: the name starts at most at the value's end, eight bytes
 * or more before len, parse_via_fast()'s condition), compared with
 * "branch", "received" and "rport" under the name's length's mask: one
 * load and a compare per name instead of a switch and a load of the
 * name's size.
 */
SLB_INLINE void via_param_fast(struct slb_sip_via *via, const uint8_t *b, const struct param *p)
{
	const uint64_t fold = 0x2020202020202020ULL;
	size_t n = p->name.len;
	uint64_t w;

	if (n > 8) {
		via_param(via, b, p);
		return;
	}
	memcpy(&w, b + p->name.off, 8);
	w = (w | fold) & (~0ULL >> (64 - 8 * n)); /* n >= 1 */
	if (w == SLB_LIT8('b', 'r', 'a', 'n', 'c', 'h', 0, 0))
		via->branch = p->value;
	else if (w == SLB_LIT8('r', 'e', 'c', 'e', 'i', 'v', 'e', 'd'))
		via->received = p->value;
	else if (w == SLB_LIT8('r', 'p', 'o', 'r', 't', 0, 0, 0))
		via_param_rport(via, p, (size_t)p->name.off + n);
}

/*
 * parse_via() for the common form: SIP/2.0/transport, one SP, a host name
 * or IPv4 address, an optional port of at most five digits, parameters
 * ";name" or ";name=value" with token values, no other LWS. Every run is a
 * run of token bytes, so the value's boundaries are the bytes not in the
 * token class, taken in order from one mask per 64 bytes.
 */
static size_t parse_via_fast(const uint8_t *b, size_t len, size_t i, size_t end,
			     struct slb_sip_via *v)
{
	struct bounds s = { &slb_token_class, b, len, 0, 0 };
	size_t start = i < end && b[i] == ' ' ? i + 1 : i, t, x;

	/* end + 8 <= len: the eight bytes at any x <= end are in the buffer
	 * (a parameter's compares below need no bound test of their own);
	 * only a Via that is the block's last line before a body of under
	 * four bytes takes the general parser for it */
	if (len < 64 || start + 9 > end || end + 8 > len || !slb_ieq(b + start, "sip/2.0/", 8))
		return SLB_SLOW;
	/* v is zero here: the begin step cleared the message, and a
	 * via-parm is parsed once (parse_via() clears it for itself). */
	t = start + 8;
	/* Mostly "UDP ": one compare (b[t..t+4) is in the block, which
	 * ends in CRLF CRLF after this line's CR), and the window from the
	 * host on, so that the usual Via's branch ends inside it. */
	if (slb_ieq(b + t, "udp ", 4)) {
		x = t + 3;
		bounds_load(&s, x + 1);
	} else {
		bounds_load(&s, t);
		x = bounds_next(&s, end); /* b[end] is the line's CR */
		if (x == t || b[x] != ' ')
			return SLB_SLOW;
	}
	slb_set_span(&v->transport, t, x);
	t = x + 1;
	/* x == t: a blank or '[' at t, or t == end; a blank after the host
	 * is no ':' ';' ',' nor the end, which the loop below requires */
	x = bounds_next(&s, end);
	if (x == t)
		return SLB_SLOW;
	slb_set_span(&v->host, t, x);
	if (x < end && b[x] == ':') {
		uint32_t port = 0;

		t = x + 1;
		x = bounds_next(&s, end);
		if (x - t - 1 >= 5) /* 1 to 5 digits */
			return SLB_SLOW;
		if (!digits_to(b, t, x, &port) || port == 0 || port > 65535)
			return SLB_SLOW;
		slb_set_span(&v->port_tok, t, x);
		v->port = (uint16_t)port;
	}
	while (x < end && b[x] != ',') {
		struct param p;

		if (b[x] != ';')
			return SLB_SLOW;
		/* The usual ";branch=" and ";rport", and a response's
		 * ";received=": the name (and '=') one compare, no run for
		 * the name, no name compares. The bytes compared are inside
		 * the value (b[end] is the line's CR), so the '=' is s's next
		 * boundary. ";receive" takes one more compare for its 'd' and
		 * '=' (inside the value too when those eight matched). */
		struct slb_span *dst = NULL;

		if (lit_in(b, x, SLB_LIT8(';', 'b', 'r', 'a', 'n', 'c', 'h', '='),
			   0x0020202020202000ULL, ~0ULL))
			dst = &v->branch, t = x + 8;
		else if (lit_in(b, x, SLB_LIT8(';', 'r', 'e', 'c', 'e', 'i', 'v', 'e'),
				0x2020202020202000ULL, ~0ULL) &&
			 (b[x + 8] | 0x20) == 'd' && b[x + 9] == '=')
			dst = &v->received, t = x + 10;
		if (dst) {
			if ((x = value_fast(&s, t, end)) == SLB_SLOW)
				return SLB_SLOW;
			slb_set_span(dst, t, x);
			continue;
		}
		if (lit_in(b, x, SLB_LIT8(';', 'r', 'p', 'o', 'r', 't', 0, 0),
			   0x202020202000ULL, 0xffffffffffffULL)) {
			t = x + 6; /* the name's end: the end, ';' ',' or '=' */
			if (t == end || b[t] == ';' || b[t] == ',') {
				x = t < end ? bounds_next(&s, end) : t;
				via_set_rport(v, t, t);
				continue;
			}
			if (b[t] == '=') {
				if ((x = value_fast(&s, t + 1, end)) == SLB_SLOW)
					return SLB_SLOW;
				via_set_rport(v, t + 1, x);
				continue;
			}
		}
		if (!param_fast(&s, b, &x, end, &p))
			return SLB_SLOW;
		via_param_fast(v, b, &p);
	}
	slb_set_span(&v->value, start, x);
	return x;
}
#endif

/* One via-parm: the fast form when it is one, else parse_via(). */
SLB_INLINE size_t via_value(const uint8_t *b, size_t len, size_t i, size_t end,
			    struct slb_sip_via *v)
{
#ifdef slb_class_miss64
	size_t next = parse_via_fast(b, len, i, end, v);

	if (next != SLB_SLOW)
		return next;
#endif
	(void)len;
	return parse_via(b, i, end, v);
}

/*
 * The end of an address (name-addr or addr-spec) from i: where params start.
 * *open is set when a quoted string or a '<' is not closed before end.
 */
SLB_INLINE size_t skip_address(const uint8_t *b, size_t i, size_t end, bool *open)
{
	for (;;) {
		i = slb_class_end(&slb_addr_class, b, i, end);
		if (i >= end || b[i] == ';' || b[i] == ',')
			break;
		if (b[i] == '"') {
			i = skip_param_value(b, i, end);
			continue;
		}
		const uint8_t *gt = memchr(b + i, '>', end - i); /* b[i] is '<' */

		*open |= !gt;
		return gt ? (size_t)(gt - b) + 1 : end;
	}
	*open |= i > end; /* skip_param_value: an unterminated quoted string */
	return i < end ? i : end;
}

#ifdef slb_class_miss64
/*
 * parse_addr_header() for the common form: an address without backslashes
 * in quotes, closed, then parameters ";name" or ";name=value" with token
 * values and no LWS. True when the value is of that form (it has no fault
 * then; *tag is its first tag), false to leave it to parse_addr_header().
 * The address's boundaries are the bytes not in slb_addr_plain_class (';' ','
 * '"' '<' '>' '\\'), the parameters' those not in slb_token_class.
 */
static bool parse_addr_fast(const uint8_t *b, size_t len, struct slb_span v, struct slb_span *tag)
{
	struct bounds s = { &slb_addr_plain_class, b, len, 0, 0 };
	size_t end = (size_t)v.off + v.len, i;

	if (len < 64)
		return false;
	/* The address: up to ';' or ',' outside quotes and '<...>' (as
	 * skip_address() reads it: '>' and '\\' are plain outside them). */
	bounds_load(&s, v.off);
	/* (unclamped: the boundaries past end, which this class may have, are
	 * tested against it instead) */
	for (;;) {
		i = bounds_take(&s, end, false);
		if (i >= end)
			return true;
		if (b[i] == '<') {
			/* Mostly its '>' in the same window: from a '>' mask
			 * of it, with every boundary up to it (a URI's
			 * parameters) taken at once, not one by one */
			uint64_t gt = slb_byte_mask64(b + s.base, '>') & s.m;

			if (gt) {
				i = s.base + (size_t)__builtin_ctzll(gt);
				s.m &= ~(gt ^ (gt - 1));
				if (i >= end)
					return false;
			} else {
				do {
					i = bounds_take(&s, end, false);
					if (i >= end)
						return false;
				} while (b[i] != '>');
			}
			i++;
			break;
		}
		if (b[i] == '"') {
			do {
				i = bounds_take(&s, end, false);
				if (i >= end || b[i] == '\\')
					return false;
			} while (b[i] != '"');
		} else if (b[i] != '>' && b[i] != '\\') {
			break; /* ';' or ',': the boundaries left are '>' and '\\' */
		}
	}
	if (i >= end)
		return true;
	/* A parameter of at least three bytes (a shorter one at the end goes
	 * the general way): the eight bytes at i are in the buffer then
	 * (i + 8 <= end + 3, and a value is followed by at least CRLF CRLF) */
	if (b[i] != ';' || i + 4 >= end)
		return false;
	s.k = &slb_token_class;
	/* Mostly ";tag=" first: its name and '=' one compare, the window
	 * from its value (inside the value, as b[end] is CR) */
	if (lit_in(b, i, SLB_LIT8(';', 't', 'a', 'g', '=', 0, 0, 0), 0x20202000ULL,
		   0xffffffffffULL)) {
		size_t t = i + 5;

#ifdef __AVX512BW__
		/* Mostly the last parameter: when every byte from t to the
		 * value's end is a token byte, that is the tag, from one
		 * masked load (as in call_id_fast()), with no window placed */
		if (end - t - 1 < 64) {
			uint64_t in = _bzhi_u64(~0ULL, (unsigned)(end - t));

			if (!slb_class_miss_in(&slb_token_class,
					       _mm512_maskz_loadu_epi8(in, b + t), in)) {
				*tag = slb_span_of(t, end);
				return true;
			}
		}
#endif
		bounds_load(&s, t);
		i = bounds_next_tok(&s, end);
		if (i == t)
			return false;
		*tag = slb_span_of(t, i);
		if (i >= end)
			return true;
		if (b[i] != ';')
			return false;
	} else {
		bounds_load(&s, i + 1);
	}
	for (;;) {
		struct param p;

		if (!param_fast(&s, b, &i, end, &p))
			return false;
		if (!tag->len && p.has_value && SLB_IEQ(b + p.name.off, p.name.len, "tag"))
			*tag = p.value;
		if (i >= end)
			return true;
		if (b[i] != ';')
			return false;
	}
}
#endif

/* A quote or '<' left open anywhere in b[i..end)? For what follows the
 * parameters that parsed: rare, so a plain walk. */
static bool left_open(const uint8_t *b, size_t i, size_t end)
{
	bool open = false;

	while (i < end && !open) {
		size_t j = skip_address(b, i, end, &open);

		i = j > i ? j : i + 1;
	}
	return open;
}

/*
 * A To or From value: its first tag parameter, and a fault (bit `why`)
 * when a quoted string or a '<' is left open (RFC 3261 §25.1 name-addr,
 * quoted-string), in the address or in the parameters. Inline since the
 * values became part of one run function per path (sip_scan_run.h): 69
 * instructions fewer on the AVX2 INVITE for 5 KB more text, mostly the
 * general form's cold copies (bench/RESULTS.md).
 */
SLB_INLINE uint32_t parse_addr_header(const uint8_t *b, size_t len, struct slb_span v,
				      struct slb_span *tag, enum slb_sip_reason why)
{
	size_t end = (size_t)v.off + v.len, i;
	struct param p;
	bool bad = false, open = false;

	if (!v.off)
		return 0;
#ifdef slb_class_miss64
	/* *tag is clear here (the begin step cleared the message); what the
	 * fast form took of it is cleared again when it is not its form */
	if (parse_addr_fast(b, len, v, tag))
		return 0;
	*tag = (struct slb_span){ 0, 0 };
#endif
	(void)len;
	i = skip_address(b, v.off, end, &open);
	while (!open && (i = skip_lws(b, i, end)) < end) {
		if (!next_param(b, &i, end, &p, &bad)) /* malformed, or text after */
			return left_open(b, i, end) ? SLB_ERR(why) : 0;
		if (!tag->len && p.has_value && SLB_IEQ(b + p.name.off, p.name.len, "tag"))
			*tag = p.value;
	}
	return open ? SLB_ERR(why) : 0;
}

/* The first route-param of a Route value from i: an address and its params.
 * *next is where the next value starts (after the comma), or 0. */
static struct slb_span first_route(const uint8_t *b, size_t i, size_t end, size_t *next)
{
	size_t j;

	bool open = false; /* Route syntax is the next hop's business */

	*next = 0;
	i = skip_lws(b, i, end);
#ifdef __SSSE3__ /* (the scalar path, the reference, takes the loops) */
	/* Mostly one route-param on the line: with no ',' at all, the
	 * address and the parameters below run to the end whatever they
	 * hold (a quote or '<' left open too), and there is no next. */
	if (slb_find_byte(b, i, end, ',') == end)
		return slb_span_of(i, trim_lws_end(b, i, end));
#endif
	j = skip_address(b, i, end, &open);
	while (j < end && b[j] != ',') /* params up to the next value */
		j = b[j] == '"' ? skip_param_value(b, j, end) : j + 1;
	if (j < end)
		*next = j + 1;
	return slb_span_of(i, trim_lws_end(b, i, j < end ? j : end));
}

static void parse_routes(const uint8_t *b, size_t len, const struct slb_sip_hits *h,
			 struct slb_sip_msg *m)
{
	size_t end0 = (size_t)h->route[0].off + h->route[0].len, next, unused;

	if (!h->n_route)
		return;
	m->route_line = h->route_line;
#ifdef __AVX512BW__ /* (on AVX2 the other messages lost 13 to 14: register allocation) */
	/* Mostly one route-param of at most 64 bytes on the first line, from
	 * one SP or none after the colon to a non-blank last byte:
	 * first_route()'s result without its call (skip_lws() and
	 * trim_lws_end() have nothing to skip, and with no ',' there is no
	 * next), the ',' from one compare of the 64 bytes from its start, or
	 * the datagram's last 64. */
	size_t i = h->route[0].off + (b[h->route[0].off] == ' ');
	size_t base = i + 64 <= len ? i : len - 64;

	if (len >= 64 && end0 - base <= 64 && b[i] > ' ' && b[end0 - 1] > ' ' &&
	    !_bzhi_u64(slb_byte_mask64(b + base, ',') >> (i - base), (unsigned)(end0 - i))) {
		m->route = slb_span_of(i, end0);
		if (h->n_route > 1)
			m->route2 = first_route(b, h->route[1].off,
						(size_t)h->route[1].off + h->route[1].len, &unused);
		return;
	}
#endif
	(void)len;
	m->route = first_route(b, h->route[0].off, end0, &next);
	if (next)
		m->route2 = first_route(b, next, end0, &unused);
	else if (h->n_route > 1)
		m->route2 = first_route(b, h->route[1].off,
					(size_t)h->route[1].off + h->route[1].len, &unused);
}

/* 1*DIGIT with LWS around; saturates at limit+1 (the SIMD paths' common
 * form gives up to 99999999 unsaturated: both callers take every number
 * above their limit alike). False if not a number. */
SLB_INLINE bool parse_number(const uint8_t *b, struct slb_span v, uint32_t limit, uint32_t *out,
			 size_t *digits_start, size_t *digits_end)
{
	size_t end = (size_t)v.off + v.len;
	size_t d, i;
	uint32_t n;

#ifdef __SSSE3__
	/* Mostly one SP, then 1 to 8 digits that end the value. */
	d = v.off + (b[v.off] == ' ');
	if (digits_to(b, d, end, &n)) {
		*out = n;
		if (digits_start) {
			*digits_start = d;
			*digits_end = end;
		}
		return true;
	}
#endif
	d = skip_lws(b, v.off, end);
	i = scan_digits(b, d, end, limit, &n);
	if (i == d || skip_lws(b, i, end) != end)
		return false;
	*out = n;
	if (digits_start) {
		*digits_start = d;
		*digits_end = i;
	}
	return true;
}

/* A CSeq that parsed: number n, method id, its token b[t..te). */
SLB_INLINE uint32_t cseq_set(struct slb_sip_msg *m, uint32_t n, enum slb_sip_method id,
			     size_t t, size_t te)
{
	if (n >= (1u << 31)) /* scan_digits() saturated at 2^31 */
		return SLB_ERR(SLB_SIP_ERR_BAD_CSEQ);
	m->has_cseq = true;
	m->cseq = n;
	slb_set_span(&m->cseq_method_tok, t, te);
	m->cseq_method = id;
	return 0;
}

SLB_INLINE uint32_t parse_cseq(const uint8_t *b, struct slb_span v, struct slb_sip_msg *m)
{
	size_t end = (size_t)v.off + v.len, d, i, t;
	enum slb_sip_method id;
	uint32_t n;

#ifdef __SSSE3__ /* (the scalar path, the reference, takes the general form) */
	/* Mostly one SP, digits, one SP and a known method that ends the
	 * value (b[end] is the line's CR, so an SP found is before end, and
	 * so is the byte after it): no LWS to skip, no token run, nothing
	 * after it to test. A CSeq is mostly one to three digits, which the
	 * loop takes in fewer instructions than digits_to() with the search
	 * for their end. */
	d = v.off + (b[v.off] == ' ');
	i = scan_digits(b, d, end, (1u << 31) - 1, &n);
	if (i > d && b[i] == ' ' && b[i + 1] > ' ' &&
	    (id = slb_method_id(b + i + 1, end - i - 1)) != SLB_SIP_METHOD_OTHER)
		return cseq_set(m, n, id, i + 1, end);
#endif
	d = skip_lws(b, v.off, end);
	i = scan_digits(b, d, end, (1u << 31) - 1, &n);
	t = skip_lws(b, i, end);
	size_t te = end;
	/* Mostly a known method ending the value (its bytes are token
	 * bytes): then no run of token bytes, nor LWS after it, to look for. */
	id = slb_method_id(b + t, end - t);
	if (id == SLB_SIP_METHOD_OTHER) {
		te = skip_token(b, t, end);
		id = slb_method_id(b + t, te - t);
	}
	if (i == d || t == i || te == t || skip_lws(b, te, end) != end)
		return SLB_ERR(SLB_SIP_ERR_BAD_CSEQ);
	return cseq_set(m, n, id, t, te);
}

/* Any byte <= SP or DEL in p[0..n)? Eight bytes per step (SWAR: a byte
 * below 0x21 borrows in x - 0x21..21 while its own top bit is clear). */
static bool has_space_or_ctl(const uint8_t *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	size_t k = 0;

	for (; k + 8 <= n; k += 8) {
		uint64_t x, del;

		memcpy(&x, p + k, 8);
		del = x ^ (0x7f * ones);
		if (((x - 0x21 * ones) & ~x & high) || ((del - ones) & ~del & high))
			return true;
	}
	for (; k < n; k++)
		if (p[k] <= ' ' || p[k] == 0x7f)
			return true;
	return false;
}

/*
 * RFC 3261 §25.1: callid = word [ "@" word ]: a run of word characters,
 * then optionally '@' and a second, non-empty run that ends the value.
 */
SLB_INLINE uint32_t check_call_id(const uint8_t *b, size_t i, size_t end)
{
	size_t at = slb_class_end(&slb_word_class, b, i, end);

	if (at == end || (at > i && b[at] == '@' && at + 1 < end &&
			  slb_class_end(&slb_word_class, b, at + 1, end) == end))
		return 0;
	/* whitespace or a control keeps its older, lower reason */
	return SLB_ERR(has_space_or_ctl(b + i, end - i) ? SLB_SIP_ERR_BAD_CALL_ID
							 : SLB_SIP_ERR_CALL_ID_NOT_WORD);
}

#ifdef slb_class_miss64
/*
 * The common Call-ID: b[i..end), 1 to 64 bytes inside one 64-byte window
 * (from i, or the datagram's last 64 bytes; on AVX-512 the value's own
 * bytes, one masked load), a word or one '@' between two words, from the
 * window's mask of the bytes not in the class. No blank is
 * in the class, so such a value has no LWS to trim either.
 */
SLB_INLINE bool call_id_fast(const uint8_t *b, size_t len, size_t i, size_t end)
{
	size_t n = end - i;
#ifdef __AVX512BW__
	/* one masked load of the value's bytes, no window to place */
	if (n - 1 >= 64)
		return false;
	uint64_t in = _bzhi_u64(~0ULL, (unsigned)n); /* n <= 64: all bits at 64 */
	uint64_t m = slb_class_miss_in(&slb_word_class, _mm512_maskz_loadu_epi8(in, b + i), in);

	(void)len;
#else
	size_t base = i + 64 <= len ? i : len - 64;

	if (len < 64 || end - base > 64 || n == 0)
		return false;
	uint64_t m = slb_class_miss64(&slb_word_class, b + base) >> (i - base);

#ifdef __BMI2__
	m = _bzhi_u64(m, (unsigned)n); /* n <= 64: all bits at 64 */
#else
	m &= n < 64 ? (1ULL << n) - 1 : ~0ULL;
#endif
#endif
	if (!m)
		return true;
	size_t at = (size_t)__builtin_ctzll(m);

	return at > 0 && at + 1 < n && b[i + at] == '@' && !(m & (m - 1));
}
#endif

SLB_INLINE uint32_t parse_call_id(const uint8_t *b, size_t len, const struct slb_sip_hits *h,
			      struct slb_sip_msg *m)
{
	if (h->n_call_id == 0)
		return SLB_ERR(SLB_SIP_ERR_NO_CALL_ID);
	if (h->n_call_id > 1)
		return SLB_ERR(SLB_SIP_ERR_DUP_CALL_ID);
	size_t end = (size_t)h->call_id.off + h->call_id.len, i = h->call_id.off;

#ifdef slb_class_miss64
	/* Mostly one SP before the word: no skip_lws() (b[end] is the line's
	 * CR, so b[i] may be read). The word class has no blank, so where
	 * the fast form takes the rest, skip_lws() would have stopped at the
	 * same byte. */
	i += b[i] == ' ';
	if (call_id_fast(b, len, i, end)) {
		slb_set_span(&m->call_id, i, end);
		return 0;
	}
#endif
	(void)len;
	i = skip_lws(b, h->call_id.off, end);
	end = trim_lws_end(b, i, end);
	if (end == i)
		return SLB_ERR(SLB_SIP_ERR_BAD_CALL_ID);
	slb_set_span(&m->call_id, i, end);
	return check_call_id(b, i, end);
}

SLB_INLINE uint32_t parse_vias(const uint8_t *b, size_t len, const struct slb_sip_hits *h,
			   struct slb_sip_msg *m)
{
	if (h->n_via == 0)
		return SLB_ERR(SLB_SIP_ERR_NO_VIA);
	size_t end0 = (size_t)h->via[0].off + h->via[0].len;
	size_t next = via_value(b, len, h->via[0].off, end0, &m->via);
	if (!next)
		return SLB_ERR(SLB_SIP_ERR_BAD_VIA);
	m->has_via = true;
	m->via_line = h->via_line;
	/* The next Via: after the comma on this line, or the next Via line. */
	if (next < end0)
		m->has_via2 = via_value(b, len, next + 1, end0, &m->via2) != 0;
	else if (h->n_via > 1)
		m->has_via2 = via_value(b, len, h->via[1].off,
					(size_t)h->via[1].off + h->via[1].len, &m->via2) != 0;
	return 0;
}

SLB_INLINE uint32_t parse_lengths(const uint8_t *b, size_t len, const struct slb_sip_hits *h,
			      size_t hdr_end, struct slb_sip_msg *m)
{
	uint32_t err = 0, n;
	size_t body_avail = len - hdr_end, ds, de;

	if (h->n_content_length > 1) /* which one would the next hop believe? */
		err |= SLB_ERR(SLB_SIP_ERR_DUP_CONTENT_LENGTH);
	else if (h->n_content_length) {
		if (!parse_number(b, SLB_HIT(h->content_length), SLB_SIP_MAX_LEN, &n, NULL, NULL))
			err |= SLB_ERR(SLB_SIP_ERR_BAD_CONTENT_LENGTH);
		else if (n > body_avail)
			err |= SLB_ERR(SLB_SIP_ERR_CONTENT_LENGTH_EXCEEDS);
		else
			body_avail = (size_t)(m->content_length = (int32_t)n);
	}
	m->body_len = (uint16_t)body_avail; /* one store: the body, or what follows the block */
	if (h->max_forwards.off) {
		if (!parse_number(b, SLB_HIT(h->max_forwards), 255, &n, &ds, &de) || n > 255)
			err |= SLB_ERR(SLB_SIP_ERR_BAD_MAX_FORWARDS);
		else {
			m->max_forwards = (int32_t)n;
			slb_set_span(&m->max_forwards_tok, ds, de);
		}
	}
	return err;
}

SLB_PATH_FN enum slb_sip_reason SLB_FINISH_FN(const uint8_t *buf, size_t len, struct slb_sip_msg *msg,
				  const struct slb_sip_hits *hits, size_t hdr_end, uint32_t err)
{
	/* Framing and line faults outrank every value fault: stop here. */
	if (!err) {
		msg->headers_len = (uint16_t)hdr_end;
		err |= parse_call_id(buf, len, hits, msg);
		err |= parse_vias(buf, len, hits, msg);
		err |= hits->cseq.off ? parse_cseq(buf, SLB_HIT(hits->cseq), msg)
				      : SLB_ERR(SLB_SIP_ERR_NO_CSEQ);
		err |= parse_lengths(buf, len, hits, hdr_end, msg);
		err |= parse_addr_header(buf, len, SLB_HIT(hits->to), &msg->to_tag, SLB_SIP_ERR_BAD_TO);
		err |= parse_addr_header(buf, len, SLB_HIT(hits->from), &msg->from_tag, SLB_SIP_ERR_BAD_FROM);
		parse_routes(buf, len, hits, msg);
		msg->has_contact = hits->contact;
		msg->from = SLB_HIT(hits->from);
		msg->to = SLB_HIT(hits->to);
		msg->user_agent = SLB_HIT(hits->user_agent);
	}
	msg->reason = err ? (enum slb_sip_reason)__builtin_ctz(err) : SLB_SIP_OK;
	return msg->reason;
}

