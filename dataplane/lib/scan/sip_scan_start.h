/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The first step of a scan: empty and keep-alive datagrams, the result's
 * reset and the start line. Compiled once per instruction set, like the walk
 * and the values, so that the start line's LF and SPs are found with the
 * path's instructions (a memchr call costs more than the search itself on
 * a 60-byte line).
 *
 * Before including this file (after sip_scan_values.h, whose token class and
 * slb_find_byte() it uses) a path defines SLB_BEGIN_FN (the function name).
 */
#ifndef SLB_BEGIN_FN
#error "define SLB_BEGIN_FN before including sip_scan_start.h"
#endif

/*
 * A request line's SPs among the datagram's first 64 bytes, from one mask on
 * AVX2: one count of trailing zeros each while they are there (the method
 * and a request-URI of up to 56 bytes), where the 16- and 32-byte steps
 * took one to four. Without AVX2, or in a datagram of fewer than 64 bytes,
 * known is 0 and the SPs are searched for.
 */
struct start_masks {
	uint64_t sp;  /* bit j: buf[j] is SP, j < known */
	size_t known; /* 64 or 0 */
};

/* The SPs of the line buf[0..end), cut at end once for every search. */
SLB_INLINE struct start_masks start_sps(const uint8_t *buf, size_t len, size_t end)
{
#ifdef __AVX2__
	if (len >= 64) {
		uint64_t sp = slb_byte_mask64(buf, ' ');

		return (struct start_masks){ end < 64 ? sp & ((1ULL << end) - 1) : sp, 64 };
	}
#endif
	(void)buf, (void)len, (void)end;
	return (struct start_masks){ 0, 0 };
}

/* The SP after from in buf[from..end) (end when none), from the masks while
 * they describe from, a search after them. from <= end. */
SLB_INLINE size_t start_next_sp(const uint8_t *buf, const struct start_masks *sm, size_t from,
				size_t end)
{
	if (from < sm->known) {
		uint64_t bits = sm->sp & (~0ULL << from);

		if (bits)
			return (size_t)__builtin_ctzll(bits);
		from = 64;
	}
	return from < end ? slb_find_byte(buf, from, end, ' ') : end;
}

static bool is_keepalive(const uint8_t *buf, size_t len)
{
	if (len % 2)
		return false;
	for (size_t i = 0; i < len; i += 2)
		if (buf[i] != '\r' || buf[i + 1] != '\n')
			return false;
	return true;
}

static inline bool is_sip20(const uint8_t *p, size_t n)
{
	return SLB_IEQ(p, n, "sip/2.0");
}

/* A request line's fields: the method buf[0..s1), the URI up to the SP at
 * s2, the version after it up to end. */
SLB_INLINE void set_request(struct slb_sip_msg *m, size_t s1, enum slb_sip_method method,
			    size_t s2, size_t end)
{
	m->kind = SLB_SIP_KIND_REQUEST;
	m->method_tok.len = (uint16_t)s1; /* its off is 0, as cleared */
	m->method = method;
	slb_set_span(&m->ruri, s1 + 1, s2);
	slb_set_span(&m->version, s2 + 1, end);
}

SLB_INLINE uint32_t parse_request_line(const uint8_t *buf, size_t end, size_t len,
				       struct slb_sip_msg *m)
{
	struct start_masks sps = start_sps(buf, len, end);
	size_t s1 = start_next_sp(buf, &sps, 0, end);

	if (s1 == 0 || s1 == end)
		return SLB_ERR(SLB_SIP_ERR_BAD_START_LINE);
	/* A known method is made of token bytes: only another is checked. */
	enum slb_sip_method method = slb_method_id(buf, s1);
	if (method == SLB_SIP_METHOD_OTHER && skip_token(buf, 0, s1) != s1)
		return SLB_ERR(SLB_SIP_ERR_BAD_START_LINE);
	size_t s2 = start_next_sp(buf, &sps, s1 + 1, end);
	if (s2 == end)
		return SLB_ERR(SLB_SIP_ERR_BAD_START_LINE);
	/* " SIP/2.0" from the SP (buf[s2]) on: one 8-byte compare */
	bool sip20 = end - s2 == 8 && slb_ieq(buf + s2, " sip/2.0", 8);
	/* the version ends the line: SIP/2.0 has no SP, nor may anything else */
	if (s2 == s1 + 1 || s2 + 1 == end || (!sip20 && slb_find_byte(buf, s2 + 1, end, ' ') != end))
		return SLB_ERR(SLB_SIP_ERR_BAD_START_LINE);

	set_request(m, s1, method, s2, end);
	return sip20 ? 0 : SLB_ERR(SLB_SIP_ERR_BAD_VERSION);
}

/* A status line from the SP after "SIP/2.0" (buf[7]) on: the version's
 * span, SP 3DIGIT, then SP reason-phrase (which may be empty) or the end. */
SLB_INLINE uint32_t parse_status_code(const uint8_t *buf, size_t end, struct slb_sip_msg *m)
{
	const size_t s = 7;
	const uint8_t *c = buf + s + 1;

	uint32_t d0, d1, d2; /* the digits' values, tested and summed as such */

	slb_set_span(&m->version, 0, s);
	if (s + 4 > end)
		return SLB_ERR(SLB_SIP_ERR_BAD_START_LINE);
	d0 = (uint32_t)c[0] - '0', d1 = (uint32_t)c[1] - '0', d2 = (uint32_t)c[2] - '0';
	if (d0 - 1 > 5 || d1 > 9 || d2 > 9 || (s + 4 < end && c[3] != ' '))
		return SLB_ERR(SLB_SIP_ERR_BAD_START_LINE);
	m->status = (uint16_t)(d0 * 100 + d1 * 10 + d2);
	if (s + 5 <= end)
		slb_set_span(&m->status_reason, s + 5, end);
	return 0;
}

static uint32_t parse_status_line(const uint8_t *buf, size_t end, size_t len,
				  struct slb_sip_msg *m)
{
	m->kind = SLB_SIP_KIND_RESPONSE;
	/* Mostly "SIP/2.0 ": one compare; anything else is a fault, whose
	 * version span and reason need the first SP. */
	if (end < 8 || !slb_ieq(buf, "sip/2.0 ", 8)) {
		struct start_masks sps = start_sps(buf, len, end);
		size_t sp = start_next_sp(buf, &sps, 0, end);

		slb_set_span(&m->version, 0, sp);
		if (!is_sip20(buf, sp))
			return SLB_ERR(sp == end ? SLB_SIP_ERR_BAD_START_LINE : SLB_SIP_ERR_BAD_VERSION);
	} /* the first SP at 7: after "SIP/2.0", which has none */
	return parse_status_code(buf, end, m);
}

/* The start line buf[0..end), a status line or a request line. */
SLB_INLINE uint32_t parse_start_line(const uint8_t *buf, size_t end, size_t len,
				     struct slb_sip_msg *m)
{
	return end >= 4 && slb_ieq(buf, "sip/", 4) ? parse_status_line(buf, end, len, m)
						   : parse_request_line(buf, end, len, m);
}

#if defined(__AVX2__) && defined(__BMI__)
/*
 * The usual request line, "METHOD SP Request-URI SP SIP/2.0", from the SP
 * mask of the datagram's first 64 bytes (len >= 64): its first SP s1 and
 * the next s2 as two counts of trailing zeros, where s2 + 8 == end and
 * " SIP/2.0" there make both the SPs parse_request_line() searches for (s2
 * may be 64, one past the mask: the compare then finds its SP), and no SP
 * after s2. A known method only (no token test, and no "sip/" start).
 * False, nothing written, for anything else: parse_request_line() takes it.
 */
SLB_INLINE bool request_line_fast(const uint8_t *buf, size_t end, struct slb_sip_msg *m)
{
	uint64_t sp = slb_byte_mask64(buf, ' ');
	size_t s1 = (size_t)_tzcnt_u64(sp), s2 = (size_t)_tzcnt_u64(_blsr_u64(sp));

	if (s2 + 8 != end || s1 + 1 >= s2 || !slb_ieq(buf + s2, " sip/2.0", 8))
		return false;
	enum slb_sip_method method = slb_method_id(buf, s1);
	if (method == SLB_SIP_METHOD_OTHER)
		return false;
	set_request(m, s1, method, s2, s2 + 8); /* the version's length a constant */
	return true;
}
#endif

/*
 * Returns false when the scan is over (msg->reason set). On true, *hdr_start
 * is the first byte after the start line and *err holds start-line faults.
 */
SLB_PATH_FN bool SLB_BEGIN_FN(const uint8_t *buf, size_t len, struct slb_sip_msg *msg, size_t *hdr_start,
		  uint32_t *err)
{
	/* An assignment, not a memset call: a few vector stores inline. */
	*msg = (struct slb_sip_msg){ .content_length = -1, .max_forwards = -1 };
	if (len == 0 || len > SLB_SIP_MAX_LEN) {
		msg->reason = len ? SLB_SIP_ERR_TOO_LARGE : SLB_SIP_ERR_EMPTY;
		return false;
	}
	/* A keep-alive starts with CR; a message (mostly of even length: the
	 * whole test would run) never does. */
	if (buf[0] == '\r' && is_keepalive(buf, len)) {
		msg->kind = SLB_SIP_KIND_KEEPALIVE;
		msg->reason = SLB_SIP_ERR_KEEPALIVE;
		return false;
	}
	size_t nl;

#ifdef __AVX2__
	/* The LF from one 64-byte mask while the line is shorter, or from a
	 * second (a request line of 64 to 127 bytes: an INVITE's, often). */
	uint64_t lf;

	if (len >= 64 && (lf = slb_byte_mask64(buf, '\n')))
		nl = (size_t)__builtin_ctzll(lf);
	else if (len >= 128 && (lf = slb_byte_mask64(buf + 64, '\n')))
		nl = 64 + (size_t)__builtin_ctzll(lf);
	else
		nl = slb_find_byte(buf, len >= 128 ? 128 : len >= 64 ? 64 : 0, len, '\n');
#else
	nl = slb_find_byte(buf, 0, len, '\n');
#endif
	if (nl == len) {
		msg->reason = SLB_SIP_ERR_TRUNCATED;
		return false;
	}
	size_t end = nl > 0 ? slb_line_end(buf, nl) : 0;

#if defined(__AVX2__) && defined(__BMI__)
	if (len >= 64 && slb_ieq(buf, "sip/2.0 ", 8)) { /* the usual status line */
		msg->kind = SLB_SIP_KIND_RESPONSE;
		*err = parse_status_code(buf, end, msg);
	} else if (len >= 64 && request_line_fast(buf, end, msg)) {
		*err = 0;
	} else
#endif
	*err = parse_start_line(buf, end, len, msg);
	*hdr_start = nl + 1;
	/* The start line cannot be folded: SP or HT here starts a bad line. */
	if (nl + 1 < len && __builtin_expect(buf[nl + 1] <= ' ', 0) &&
	    (buf[nl + 1] == ' ' || buf[nl + 1] == '\t'))
		*err |= SLB_ERR(SLB_SIP_ERR_BAD_HEADER_LINE);
	return true;
}
