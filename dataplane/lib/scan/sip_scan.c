/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP scanner's common part: start line, header values, the verdict,
 * and the choice of path. The paths themselves only locate headers.
 */
#include <string.h>

#include "sip_scan_internal.h"

/* RFC 3261 §25.1 token characters; param_char adds what a parameter value
 * may hold beyond a token (IPv6 addresses: ':' '[' ']'). */
static const uint8_t token_char[256] = {
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

static uint8_t param_char[256];

__attribute__((constructor)) static void init_param_char(void)
{
	for (int c = 0; c < 256; c++)
		param_char[c] = token_char[c] || c == ':' || c == '[' || c == ']';
}

static const char *const method_names[SLB_SIP_METHOD_COUNT] = {
	[SLB_SIP_METHOD_OTHER] = "OTHER",
	[SLB_SIP_METHOD_INVITE] = "INVITE",
	[SLB_SIP_METHOD_ACK] = "ACK",
	[SLB_SIP_METHOD_BYE] = "BYE",
	[SLB_SIP_METHOD_CANCEL] = "CANCEL",
	[SLB_SIP_METHOD_REGISTER] = "REGISTER",
	[SLB_SIP_METHOD_OPTIONS] = "OPTIONS",
	[SLB_SIP_METHOD_PRACK] = "PRACK",
	[SLB_SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
	[SLB_SIP_METHOD_NOTIFY] = "NOTIFY",
	[SLB_SIP_METHOD_PUBLISH] = "PUBLISH",
	[SLB_SIP_METHOD_INFO] = "INFO",
	[SLB_SIP_METHOD_REFER] = "REFER",
	[SLB_SIP_METHOD_MESSAGE] = "MESSAGE",
	[SLB_SIP_METHOD_UPDATE] = "UPDATE",
};

static const char *const reason_names[SLB_SIP_REASON_COUNT] = {
	[SLB_SIP_OK] = "ok",
	[SLB_SIP_ERR_EMPTY] = "empty",
	[SLB_SIP_ERR_TOO_LARGE] = "too_large",
	[SLB_SIP_ERR_KEEPALIVE] = "keepalive",
	[SLB_SIP_ERR_TRUNCATED] = "truncated",
	[SLB_SIP_ERR_NUL_BYTE] = "nul_byte",
	[SLB_SIP_ERR_BARE_CRLF] = "bare_cr_or_lf",
	[SLB_SIP_ERR_BAD_START_LINE] = "bad_start_line",
	[SLB_SIP_ERR_BAD_VERSION] = "bad_version",
	[SLB_SIP_ERR_BAD_HEADER_LINE] = "header_without_colon",
	[SLB_SIP_ERR_DUP_CALL_ID] = "duplicate_call_id",
	[SLB_SIP_ERR_BAD_CALL_ID] = "bad_call_id",
	[SLB_SIP_ERR_BAD_VIA] = "bad_via",
	[SLB_SIP_ERR_BAD_CSEQ] = "bad_cseq",
	[SLB_SIP_ERR_BAD_CONTENT_LENGTH] = "bad_content_length",
	[SLB_SIP_ERR_BAD_MAX_FORWARDS] = "bad_max_forwards",
	[SLB_SIP_ERR_NO_CALL_ID] = "no_call_id",
	[SLB_SIP_ERR_CONTENT_LENGTH_EXCEEDS] = "content_length_exceeds_datagram",
	[SLB_SIP_ERR_NO_VIA] = "no_via",
	[SLB_SIP_ERR_NO_CSEQ] = "no_cseq",
	[SLB_SIP_ERR_DUP_CONTENT_LENGTH] = "duplicate_content_length",
	[SLB_SIP_ERR_CALL_ID_NOT_WORD] = "call_id_not_word",
	[SLB_SIP_ERR_BAD_FROM] = "bad_from",
	[SLB_SIP_ERR_BAD_TO] = "bad_to",
};

const char *slb_sip_reason_name(enum slb_sip_reason reason)
{
	return (unsigned)reason < SLB_SIP_REASON_COUNT ? reason_names[reason] : "unknown";
}

const char *slb_sip_method_name(enum slb_sip_method method)
{
	return (unsigned)method < SLB_SIP_METHOD_COUNT ? method_names[method] : "OTHER";
}

enum slb_sip_method slb_sip_method_of(const uint8_t *t, size_t len)
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

enum slb_hdr slb_sip_header_id(const uint8_t *n, size_t len)
{
	return slb_hdr_id(n, len);
}

/* The end of the run of bytes of class cls from i; four table lookups per
 * step while all four are in the class. */
static inline size_t skip_class(const uint8_t *cls, const uint8_t *b, size_t i, size_t end)
{
	while (i + 4 <= end && (cls[b[i]] & cls[b[i + 1]] & cls[b[i + 2]] & cls[b[i + 3]]))
		i += 4;
	while (i < end && cls[b[i]])
		i++;
	return i;
}

static size_t skip_token(const uint8_t *b, size_t i, size_t end)
{
	return skip_class(token_char, b, i, end);
}

/* ---- start line ------------------------------------------------------ */

static bool is_keepalive(const uint8_t *buf, size_t len)
{
	if (len % 2)
		return false;
	for (size_t i = 0; i < len; i += 2)
		if (buf[i] != '\r' || buf[i + 1] != '\n')
			return false;
	return true;
}

static bool is_sip20(const uint8_t *p, size_t n)
{
	return SLB_IEQ(p, n, "sip/2.0");
}

static uint32_t parse_request_line(const uint8_t *buf, size_t end, struct slb_sip_msg *m)
{
	const uint8_t *sp1 = memchr(buf, ' ', end);
	size_t s1 = sp1 ? (size_t)(sp1 - buf) : end;

	if (s1 == 0 || s1 == end || skip_token(buf, 0, s1) != s1)
		return SLB_ERR(SLB_SIP_ERR_BAD_START_LINE);
	const uint8_t *sp2 = memchr(buf + s1 + 1, ' ', end - s1 - 1);
	if (!sp2)
		return SLB_ERR(SLB_SIP_ERR_BAD_START_LINE);
	size_t s2 = (size_t)(sp2 - buf);
	bool sip20 = is_sip20(buf + s2 + 1, end - s2 - 1);
	/* the version ends the line: SIP/2.0 has no SP, nor may anything else */
	if (s2 == s1 + 1 || s2 + 1 == end || (!sip20 && memchr(buf + s2 + 1, ' ', end - s2 - 1)))
		return SLB_ERR(SLB_SIP_ERR_BAD_START_LINE);

	m->kind = SLB_SIP_KIND_REQUEST;
	m->method_tok = slb_span_of(0, s1);
	m->method = slb_sip_method_of(buf, s1);
	m->ruri = slb_span_of(s1 + 1, s2);
	m->version = slb_span_of(s2 + 1, end);
	return sip20 ? 0 : SLB_ERR(SLB_SIP_ERR_BAD_VERSION);
}

static uint32_t parse_status_line(const uint8_t *buf, size_t end, struct slb_sip_msg *m)
{
	const uint8_t *sp = memchr(buf, ' ', end);
	size_t s = sp ? (size_t)(sp - buf) : end;

	m->kind = SLB_SIP_KIND_RESPONSE;
	m->version = slb_span_of(0, s);
	if (!is_sip20(buf, s))
		return SLB_ERR(s == end ? SLB_SIP_ERR_BAD_START_LINE : SLB_SIP_ERR_BAD_VERSION);
	/* SP 3DIGIT, then SP reason-phrase (which may be empty) or the end. */
	const uint8_t *c = buf + s + 1;
	if (s + 4 > end || c[0] < '1' || c[0] > '6' || c[1] < '0' || c[1] > '9' ||
	    c[2] < '0' || c[2] > '9' || (s + 4 < end && c[3] != ' '))
		return SLB_ERR(SLB_SIP_ERR_BAD_START_LINE);
	m->status = (uint16_t)((c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0'));
	if (s + 5 <= end)
		m->status_reason = slb_span_of(s + 5, end);
	return 0;
}

bool slb_sip_scan_begin(const uint8_t *buf, size_t len, struct slb_sip_msg *msg,
			size_t *hdr_start, uint32_t *err)
{
	memset(msg, 0, sizeof(*msg));
	msg->content_length = -1;
	msg->max_forwards = -1;
	if (len == 0 || len > SLB_SIP_MAX_LEN) {
		msg->reason = len ? SLB_SIP_ERR_TOO_LARGE : SLB_SIP_ERR_EMPTY;
		return false;
	}
	if (is_keepalive(buf, len)) {
		msg->kind = SLB_SIP_KIND_KEEPALIVE;
		msg->reason = SLB_SIP_ERR_KEEPALIVE;
		return false;
	}
	const uint8_t *lf = memchr(buf, '\n', len);
	if (!lf) {
		msg->reason = SLB_SIP_ERR_TRUNCATED;
		return false;
	}
	size_t nl = (size_t)(lf - buf);
	size_t end = nl > 0 ? slb_line_end(buf, nl) : 0;

	*err = end >= 4 && slb_ieq(buf, "sip/", 4) ? parse_status_line(buf, end, msg)
					       : parse_request_line(buf, end, msg);
	*hdr_start = nl + 1;
	/* The start line cannot be folded: SP or HT here starts a bad line. */
	if (nl + 1 < len && (buf[nl + 1] == ' ' || buf[nl + 1] == '\t'))
		*err |= SLB_ERR(SLB_SIP_ERR_BAD_HEADER_LINE);
	return true;
}

/* ---- header values ----------------------------------------------------- */

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

/* Skips SP, HT and folds (CRLF followed by SP or HT) inside a value; most
 * calls find none, and that test stays inline. */
static inline size_t skip_lws(const uint8_t *b, size_t i, size_t end)
{
	return i < end && b[i] <= ' ' ? skip_lws_run(b, i, end) : i;
}

/* The end of a value without trailing LWS (SP, HT, and folds' CRLF). */
static size_t trim_lws_end(const uint8_t *b, size_t start, size_t end)
{
	while (end > start && (b[end - 1] == ' ' || b[end - 1] == '\t' ||
			       b[end - 1] == '\r' || b[end - 1] == '\n'))
		end--;
	return end;
}

/* A run of chars allowed in a parameter value (token, IPv6 addresses). */
static size_t skip_param_value(const uint8_t *b, size_t i, size_t end)
{
	if (i < end && b[i] == '"') {
		for (i++; i < end; i++) {
			if (b[i] == '\\')
				i++;
			else if (b[i] == '"')
				return i + 1;
		}
		return end + 1; /* unterminated */
	}
	return skip_class(param_char, b, i, end);
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
static inline bool next_param(const uint8_t *b, size_t *i, size_t end, struct param *p,
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

static void via_param(struct slb_sip_via *via, const uint8_t *b, const struct param *p)
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
		if (SLB_IEQ(n, 5, "rport")) {
			size_t name_end = (size_t)p->name.off + p->name.len;

			via->has_rport = true;
			via->rport = p->has_value ? p->value : slb_span_of(name_end, name_end);
		}
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
	v->transport = slb_span_of(t, i);
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
	v->host = slb_span_of(t, i);
	t = skip_lws(b, i, end);
	if (t < end && b[t] == ':') {
		size_t d = skip_lws(b, t + 1, end), e;
		uint32_t port;

		e = scan_digits(b, d, end, 65535, &port);
		if (e == d || port == 0 || port > 65535)
			return 0;
		v->port_tok = slb_span_of(d, e);
		v->port = (uint16_t)port;
		i = e;
	}
	struct param prm;
	bool bad = false;
	while (next_param(b, &i, end, &prm, &bad))
		via_param(v, b, &prm);
	if (bad)
		return 0;
	v->value = slb_span_of(start, i);
	i = skip_lws(b, i, end);
	if (i < end && b[i] != ',')
		return 0;
	return i;
}

/*
 * The end of an address (name-addr or addr-spec) from i: where params start.
 * *open is set when a quoted string or a '<' is not closed before end.
 */
static size_t skip_address(const uint8_t *b, size_t i, size_t end, bool *open)
{
	while (i < end && b[i] != ';' && b[i] != ',') {
		if (b[i] == '"') {
			i = skip_param_value(b, i, end);
			continue;
		}
		if (b[i] == '<') {
			const uint8_t *gt = memchr(b + i, '>', end - i);

			*open |= !gt;
			return gt ? (size_t)(gt - b) + 1 : end;
		}
		i++;
	}
	*open |= i > end; /* skip_param_value: an unterminated quoted string */
	return i < end ? i : end;
}

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
 * quoted-string), in the address or in the parameters.
 */
static uint32_t parse_addr_header(const uint8_t *b, struct slb_span v, struct slb_span *tag,
				  enum slb_sip_reason why)
{
	size_t end = (size_t)v.off + v.len, i;
	struct param p;
	bool bad = false, open = false;

	if (!v.off)
		return 0;
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
	j = skip_address(b, i, end, &open);
	while (j < end && b[j] != ',') /* params up to the next value */
		j = b[j] == '"' ? skip_param_value(b, j, end) : j + 1;
	if (j < end)
		*next = j + 1;
	return slb_span_of(i, trim_lws_end(b, i, j < end ? j : end));
}

static void parse_routes(const uint8_t *b, const struct slb_sip_hits *h, struct slb_sip_msg *m)
{
	size_t end0 = (size_t)h->route[0].off + h->route[0].len, next, unused;

	if (!h->n_route)
		return;
	m->route_line = h->route_line;
	m->route = first_route(b, h->route[0].off, end0, &next);
	if (next)
		m->route2 = first_route(b, next, end0, &unused);
	else if (h->n_route > 1)
		m->route2 = first_route(b, h->route[1].off,
					(size_t)h->route[1].off + h->route[1].len, &unused);
}

/* 1*DIGIT with LWS around; saturates at limit+1. False if not a number. */
static bool parse_number(const uint8_t *b, struct slb_span v, uint32_t limit, uint32_t *out,
			 size_t *digits_start, size_t *digits_end)
{
	size_t end = (size_t)v.off + v.len;
	size_t d = skip_lws(b, v.off, end), i;
	uint32_t n;

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

static uint32_t parse_cseq(const uint8_t *b, struct slb_span v, struct slb_sip_msg *m)
{
	size_t end = (size_t)v.off + v.len;
	size_t d = skip_lws(b, v.off, end), i;
	uint32_t n;

	i = scan_digits(b, d, end, (1u << 31) - 1, &n);
	size_t t = skip_lws(b, i, end), te = skip_token(b, t, end);
	if (i == d || n >= (1u << 31) || t == i || te == t || skip_lws(b, te, end) != end)
		return SLB_ERR(SLB_SIP_ERR_BAD_CSEQ);
	m->has_cseq = true;
	m->cseq = n;
	m->cseq_method_tok = slb_span_of(t, te);
	m->cseq_method = slb_sip_method_of(b + t, te - t);
	return 0;
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
 * RFC 3261 §25.1: callid = word [ "@" word ]. As a sum per byte: 0 for a
 * word character, 1 for '@', 2 for anything else; a Call-ID whose sum is
 * at most 1 holds word characters and at most one '@'. One load and one add
 * per byte, no branch.
 */
static uint8_t callid_cost[256];

__attribute__((constructor)) static void init_callid_cost(void)
{
	static const char extra[] = "-.!%*_+`'~()<>:\\\"/[]?{}";

	for (int c = 0; c < 256; c++)
		callid_cost[c] = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
				 (c >= 'a' && c <= 'z') || memchr(extra, c, sizeof(extra) - 1)
				 ? 0 : 2;
	callid_cost['@'] = 1;
}

static uint32_t check_call_id(const uint8_t *p, size_t n)
{
	size_t cost = 0;

	for (size_t k = 0; k < n; k++)
		cost += callid_cost[p[k]];
	if (cost == 0 || (cost == 1 && p[0] != '@' && p[n - 1] != '@'))
		return 0;
	/* whitespace or a control keeps its older, lower reason */
	return SLB_ERR(has_space_or_ctl(p, n) ? SLB_SIP_ERR_BAD_CALL_ID
					      : SLB_SIP_ERR_CALL_ID_NOT_WORD);
}

static uint32_t parse_call_id(const uint8_t *b, const struct slb_sip_hits *h,
			      struct slb_sip_msg *m)
{
	if (h->n_call_id == 0)
		return SLB_ERR(SLB_SIP_ERR_NO_CALL_ID);
	if (h->n_call_id > 1)
		return SLB_ERR(SLB_SIP_ERR_DUP_CALL_ID);
	size_t end = (size_t)h->call_id.off + h->call_id.len;
	size_t i = skip_lws(b, h->call_id.off, end);

	end = trim_lws_end(b, i, end);
	if (end == i)
		return SLB_ERR(SLB_SIP_ERR_BAD_CALL_ID);
	m->call_id = slb_span_of(i, end);
	return check_call_id(b + i, end - i);
}

static uint32_t parse_vias(const uint8_t *b, const struct slb_sip_hits *h,
			   struct slb_sip_msg *m)
{
	if (h->n_via == 0)
		return SLB_ERR(SLB_SIP_ERR_NO_VIA);
	size_t end0 = (size_t)h->via[0].off + h->via[0].len;
	size_t next = parse_via(b, h->via[0].off, end0, &m->via);
	if (!next)
		return SLB_ERR(SLB_SIP_ERR_BAD_VIA);
	m->has_via = true;
	m->via_line = h->via_line;
	/* The next Via: after the comma on this line, or the next Via line. */
	if (next < end0)
		m->has_via2 = parse_via(b, next + 1, end0, &m->via2) != 0;
	else if (h->n_via > 1)
		m->has_via2 = parse_via(b, h->via[1].off,
					(size_t)h->via[1].off + h->via[1].len, &m->via2) != 0;
	return 0;
}

static uint32_t parse_lengths(const uint8_t *b, size_t len, const struct slb_sip_hits *h,
			      size_t hdr_end, struct slb_sip_msg *m)
{
	uint32_t err = 0, n;
	size_t body_avail = len - hdr_end, ds, de;

	m->body_len = (uint16_t)body_avail;
	if (h->n_content_length > 1) /* which one would the next hop believe? */
		err |= SLB_ERR(SLB_SIP_ERR_DUP_CONTENT_LENGTH);
	else if (h->n_content_length) {
		if (!parse_number(b, h->content_length, SLB_SIP_MAX_LEN, &n, NULL, NULL))
			err |= SLB_ERR(SLB_SIP_ERR_BAD_CONTENT_LENGTH);
		else if (n > body_avail)
			err |= SLB_ERR(SLB_SIP_ERR_CONTENT_LENGTH_EXCEEDS);
		else
			m->body_len = (uint16_t)(m->content_length = (int32_t)n);
	}
	if (h->max_forwards.off) {
		if (!parse_number(b, h->max_forwards, 255, &n, &ds, &de) || n > 255)
			err |= SLB_ERR(SLB_SIP_ERR_BAD_MAX_FORWARDS);
		else {
			m->max_forwards = (int32_t)n;
			m->max_forwards_tok = slb_span_of(ds, de);
		}
	}
	return err;
}

enum slb_sip_reason slb_sip_scan_finish(const uint8_t *buf, size_t len,
					struct slb_sip_msg *msg,
					const struct slb_sip_hits *hits,
					size_t hdr_end, uint32_t err)
{
	/* Framing and line faults outrank every value fault: stop here. */
	if (!err) {
		msg->headers_len = (uint16_t)hdr_end;
		err |= parse_call_id(buf, hits, msg);
		err |= parse_vias(buf, hits, msg);
		err |= hits->cseq.off ? parse_cseq(buf, hits->cseq, msg)
				      : SLB_ERR(SLB_SIP_ERR_NO_CSEQ);
		err |= parse_lengths(buf, len, hits, hdr_end, msg);
		err |= parse_addr_header(buf, hits->to, &msg->to_tag, SLB_SIP_ERR_BAD_TO);
		err |= parse_addr_header(buf, hits->from, &msg->from_tag, SLB_SIP_ERR_BAD_FROM);
		parse_routes(buf, hits, msg);
		msg->has_contact = hits->contact;
	}
	msg->reason = err ? (enum slb_sip_reason)__builtin_ctz(err) : SLB_SIP_OK;
	return msg->reason;
}

/* ---- paths ------------------------------------------------------------- */

static slb_sip_walk_fn *const walks[SLB_SIP_PATH_COUNT] = {
	[SLB_SIP_PATH_SCALAR] = slb_sip_walk_scalar,
	[SLB_SIP_PATH_SSE42] = slb_sip_walk_sse42,
	[SLB_SIP_PATH_AVX2] = slb_sip_walk_avx2,
};

bool slb_sip_path_supported(enum slb_sip_path path)
{
	switch (path) {
	case SLB_SIP_PATH_AUTO:
	case SLB_SIP_PATH_SCALAR: return true;
	case SLB_SIP_PATH_SSE42: return __builtin_cpu_supports("sse4.2");
	case SLB_SIP_PATH_AVX2: return __builtin_cpu_supports("avx2");
	default: return false;
	}
}

enum slb_sip_path slb_sip_path_active(void)
{
	if (slb_sip_path_supported(SLB_SIP_PATH_AVX2))
		return SLB_SIP_PATH_AVX2;
	if (slb_sip_path_supported(SLB_SIP_PATH_SSE42))
		return SLB_SIP_PATH_SSE42;
	return SLB_SIP_PATH_SCALAR;
}

const char *slb_sip_path_name(enum slb_sip_path path)
{
	static const char *const names[SLB_SIP_PATH_COUNT] = {
		"auto", "scalar", "sse4.2", "avx2",
	};
	return (unsigned)path < SLB_SIP_PATH_COUNT ? names[path] : "unknown";
}

static enum slb_sip_reason scan_walk(slb_sip_walk_fn *walk, const uint8_t *buf, size_t len,
				     struct slb_sip_msg *msg)
{
	struct slb_sip_hits hits = { 0 };
	size_t hdr_start, hdr_end = 0;
	uint32_t err = 0;

	if (!slb_sip_scan_begin(buf, len, msg, &hdr_start, &err))
		return msg->reason;
	err |= walk(buf, len, hdr_start, &hits, &hdr_end);
	return slb_sip_scan_finish(buf, len, msg, &hits, hdr_end, err);
}

bool slb_sip_scan_with(enum slb_sip_path path, const uint8_t *buf, size_t len,
		       struct slb_sip_msg *msg)
{
	if (!slb_sip_path_supported(path))
		return false;
	if (path == SLB_SIP_PATH_AUTO)
		path = slb_sip_path_active();
	scan_walk(walks[path], buf, len, msg);
	return true;
}

static slb_sip_walk_fn *active_walk;

enum slb_sip_reason slb_sip_scan(const uint8_t *buf, size_t len, struct slb_sip_msg *msg)
{
	slb_sip_walk_fn *walk = __atomic_load_n(&active_walk, __ATOMIC_RELAXED);

	if (!walk) {
		walk = walks[slb_sip_path_active()];
		__atomic_store_n(&active_walk, walk, __ATOMIC_RELAXED);
	}
	return scan_walk(walk, buf, len, msg);
}

/* ---- equality for the differential tests -------------------------------- */

static bool span_eq(struct slb_span a, struct slb_span b)
{
	return a.off == b.off && a.len == b.len;
}

static bool via_eq(const struct slb_sip_via *a, const struct slb_sip_via *b)
{
	return span_eq(a->value, b->value) && span_eq(a->transport, b->transport) &&
	       span_eq(a->host, b->host) && span_eq(a->port_tok, b->port_tok) &&
	       a->port == b->port && span_eq(a->branch, b->branch) &&
	       span_eq(a->received, b->received) && span_eq(a->rport, b->rport) &&
	       a->has_rport == b->has_rport;
}

bool slb_sip_msg_same(const struct slb_sip_msg *a, const struct slb_sip_msg *b)
{
	if (a->reason != b->reason || a->kind != b->kind)
		return false;
	if (a->reason != SLB_SIP_OK)
		return true; /* on errors only the reason is defined */
	return a->method == b->method && span_eq(a->method_tok, b->method_tok) &&
	       span_eq(a->ruri, b->ruri) && span_eq(a->version, b->version) &&
	       a->status == b->status && span_eq(a->status_reason, b->status_reason) &&
	       span_eq(a->call_id, b->call_id) && a->has_via == b->has_via &&
	       a->has_via2 == b->has_via2 && via_eq(&a->via, &b->via) &&
	       (!a->has_via2 || via_eq(&a->via2, &b->via2)) &&
	       a->cseq == b->cseq && a->cseq_method == b->cseq_method &&
	       span_eq(a->cseq_method_tok, b->cseq_method_tok) && a->has_cseq == b->has_cseq &&
	       a->content_length == b->content_length && a->max_forwards == b->max_forwards &&
	       span_eq(a->max_forwards_tok, b->max_forwards_tok) &&
	       span_eq(a->to_tag, b->to_tag) && span_eq(a->from_tag, b->from_tag) &&
	       span_eq(a->route, b->route) && span_eq(a->route2, b->route2) &&
	       a->route_line == b->route_line && a->has_contact == b->has_contact &&
	       a->via_line == b->via_line && a->headers_len == b->headers_len &&
	       a->body_len == b->body_len;
}
