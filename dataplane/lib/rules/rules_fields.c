/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fields the rules match on, located in a scanned request: method,
 * Request-URI, From, To and User-Agent from the scanner's spans (no second
 * pass over the message for them); only headers named by a rule (`header`)
 * need a walk over the header lines, made only when a rule names one.
 */
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "siplb/rules.h"

#define F(x) (1u << (x))
#define URI_FIELDS (F(SLB_RULE_F_RURI_USER) | F(SLB_RULE_F_RURI_HOST))
#define FROM_FIELDS (F(SLB_RULE_F_FROM_USER) | F(SLB_RULE_F_FROM_HOST))
#define TO_FIELDS (F(SLB_RULE_F_TO_USER) | F(SLB_RULE_F_TO_HOST))

static struct slb_span span(const uint8_t *buf, const uint8_t *a, const uint8_t *b)
{
	return slb_span_of((size_t)(a - buf), (size_t)(b - buf));
}

/* The URI delimiters find_any() stops at, one bit each. */
enum { D_COLON = 1, lim, D_SEMI = 2, D_QUERY = 4, D_RBRACKET = 8, D_RANGLE = 16, D_AT = 32 };
static const uint8_t uri_delim[256] = {
	[':'] = D_COLON, [';'] = D_SEMI, ['?'] = D_QUERY, [']'] = D_RBRACKET, ['>'] = D_RANGLE,
	['@'] = D_AT,
};

/*
 * The first byte of [p, end) in set (a constant at every call), or end.
 * With SSE2, 16 bytes at a time, the last 16 too when they lie before lim
 * (the end of the header block, which every located field is inside): URIs
 * are 20-60 bytes, where a table lookup per byte cost 5-7 instructions.
 */
static inline __attribute__((always_inline)) const uint8_t *
find_any(const uint8_t *p, const uint8_t *end, const uint8_t *lim, unsigned set)
{
#ifdef __SSE2__
	for (; lim - p >= 16 && p < end; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_setzero_si128();

		if (set & D_COLON)
			hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
		if (set & D_SEMI)
			hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8(';')));
		if (set & D_QUERY)
			hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8('?')));
		if (set & D_RBRACKET)
			hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8(']')));
		if (set & D_RANGLE)
			hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
		if (set & D_AT)
			hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8('@')));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);

		if (m)
			return p + __builtin_ctz(m) < end ? p + __builtin_ctz(m) : end;
	}
	if (p >= end)
		return end;
#else
	(void)lim;
#endif
	while (p < end && !(uri_delim[*p] & set))
		p++;
	return p;
}

/* sip:user[:password]@host[:port];params, sips:, tel:number;params. */
static void uri_parts(const uint8_t *buf, const uint8_t *lim, struct slb_span uri,
		      struct slb_span *user, struct slb_span *host)
{
	const uint8_t *p = buf + uri.off, *end = p + uri.len, *colon, *at;

	*user = *host = (struct slb_span){0, 0};
	colon = find_any(p, end, lim, D_COLON);
	if (colon == end)
		return;
	bool tel = colon - p == 3 && (p[0] | 0x20) == 't' && (p[1] | 0x20) == 'e' &&
		   (p[2] | 0x20) == 'l';
	p = colon + 1;
	if (tel) {
		*user = span(buf, p, find_any(p, end, lim, D_SEMI | D_QUERY));
		return;
	}
	at = find_any(p, end, lim, D_AT);
	if (at < end) {
		*user = span(buf, p, find_any(p, at, lim, D_COLON)); /* user[:password] */
		p = at + 1;
	}
	if (p < end && *p == '[') {
		const uint8_t *rb = find_any(p, end, lim, D_RBRACKET);

		*host = span(buf, p, rb + (rb < end));
	} else {
		*host = span(buf, p, find_any(p, end, lim, D_COLON | D_SEMI | D_QUERY));
	}
}

/* The URI of a From or To value: inside <...> (quotes skipped), else the
 * addr-spec up to ';' (RFC 3261 §20.10: its parameters are the header's). */
static struct slb_span nameaddr_uri(const uint8_t *buf, const uint8_t *lim, struct slb_span v)
{
	const uint8_t *p = buf + v.off, *end = p + v.len;
	bool quoted = false;

	for (const uint8_t *q = p; q < end; q++) {
		if (*q == '\\' && quoted && q + 1 < end)
			q++;
		else if (*q == '"')
			quoted = !quoted;
		else if (*q == '<' && !quoted)
			return span(buf, q + 1, find_any(q + 1, end, lim, D_RANGLE));
	}
	return span(buf, p, find_any(p, end, lim, D_SEMI));
}

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* A located value without the blanks (and folds' CRLF) around it. */
static struct slb_span trimmed(const uint8_t *buf, struct slb_span v)
{
	const uint8_t *p = buf + v.off, *e = p + v.len;

	while (p < e && (is_blank(*p) || *p == '\r' || *p == '\n'))
		p++;
	while (e > p && (is_blank(e[-1]) || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	return span(buf, p, e);
}

/* One header line [p, eol): name and value without surrounding blanks. */
static void header_line(const uint8_t *p, const uint8_t *eol, const uint8_t **name,
			size_t *name_len, const uint8_t **val, const uint8_t **val_end)
{
	const uint8_t *colon = memchr(p, ':', (size_t)(eol - p)), *e;

	colon = colon ? colon : eol;
	for (e = colon; e > p && is_blank(e[-1]); e--)
		;
	*name = p;
	*name_len = (size_t)(e - p);
	for (p = colon + (colon < eol); p < eol && is_blank(*p); p++)
		;
	for (e = eol; e > p && is_blank(e[-1]); e--)
		;
	*val = p;
	*val_end = e;
}

struct walk {
	const uint8_t *buf, *lim; /* lim: the end of the header block */
	uint32_t need;
	const char (*headers)[SLB_RULE_HEADER_LEN];
	uint32_t n_headers;
	struct slb_rules_fields *out;
};

/* Field f, if needed and not yet found, is this value. */
static void take(struct walk *w, unsigned f, struct slb_span v)
{
	if ((w->need & F(f)) && !w->out->f[f].len)
		w->out->f[f] = v;
}

static void one_header(struct walk *w, const uint8_t *name, size_t len, struct slb_span v)
{
	for (uint32_t k = 0; k < w->n_headers; k++)
		if (strlen(w->headers[k]) == len && !strncasecmp((const char *)name, w->headers[k], len))
			take(w, SLB_RULE_F_HEADER + k, v);
}

/* The header lines after the start line, for the headers the rules name
 * (the scanner checked the framing: every line ends with CRLF, the block
 * with an empty line). */
static void walk_headers(struct walk *w, const struct slb_sip_msg *m)
{
	const uint8_t *p = w->buf, *end = w->buf + m->headers_len;
	const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));

	for (p = eol ? eol + 1 : end; p < end; p = eol + 1) {
		const uint8_t *name, *val, *val_end;
		size_t len;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol || eol - p <= 1)
			break;
		header_line(p, eol - 1, &name, &len, &val, &val_end);
		one_header(w, name, len, span(w->buf, val, val_end));
	}
}

static void uri_fields(struct walk *w, struct slb_span uri, unsigned user_f, unsigned host_f)
{
	struct slb_span user, host;

	uri_parts(w->buf, w->lim, uri, &user, &host);
	take(w, user_f, user);
	take(w, host_f, host);
}

void slb_rules_fields_locate(const uint8_t *buf, const struct slb_sip_msg *msg, uint32_t need,
			     const char (*headers)[SLB_RULE_HEADER_LEN], uint32_t n_headers,
			     struct slb_rules_fields *out)
{
	struct walk w = {.buf = buf, .lim = buf + msg->headers_len, .need = need, .headers = headers, .n_headers = n_headers,
			 .out = out};

	memset(out, 0, sizeof(*out));
	take(&w, SLB_RULE_F_METHOD, msg->method_tok);
	take(&w, SLB_RULE_F_RURI, msg->ruri);
	if (need & URI_FIELDS)
		uri_fields(&w, msg->ruri, SLB_RULE_F_RURI_USER, SLB_RULE_F_RURI_HOST);
	if ((need & FROM_FIELDS) && msg->from.len)
		uri_fields(&w, nameaddr_uri(buf, w.lim, trimmed(buf, msg->from)), SLB_RULE_F_FROM_USER,
			   SLB_RULE_F_FROM_HOST);
	if ((need & TO_FIELDS) && msg->to.len)
		uri_fields(&w, nameaddr_uri(buf, w.lim, trimmed(buf, msg->to)), SLB_RULE_F_TO_USER,
			   SLB_RULE_F_TO_HOST);
	if ((need & F(SLB_RULE_F_USER_AGENT)) && msg->user_agent.len)
		take(&w, SLB_RULE_F_USER_AGENT, trimmed(buf, msg->user_agent));
	if (n_headers && (need >> SLB_RULE_F_HEADER))
		walk_headers(&w, msg);
}
