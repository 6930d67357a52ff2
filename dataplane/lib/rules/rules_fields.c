/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fields the rules match on, located in a scanned request: method and
 * Request-URI from the scanner's spans; From, To, User-Agent and named
 * headers from one walk over the header lines, made only when a rule needs
 * them (the scanner checks From and To but does not export their values).
 */
#include <string.h>
#include <strings.h>

#include "siplb/rules.h"

#define F(x) (1u << (x))
#define URI_FIELDS (F(SLB_RULE_F_RURI_USER) | F(SLB_RULE_F_RURI_HOST))

static struct slb_span span(const uint8_t *buf, const uint8_t *a, const uint8_t *b)
{
	return slb_span_of((size_t)(a - buf), (size_t)(b - buf));
}

static const uint8_t *find_any(const uint8_t *p, const uint8_t *end, const char *set)
{
	while (p < end && !strchr(set, *p))
		p++;
	return p;
}

/* sip:user[:password]@host[:port];params, sips:, tel:number;params. */
static void uri_parts(const uint8_t *buf, struct slb_span uri, struct slb_span *user,
		      struct slb_span *host)
{
	const uint8_t *p = buf + uri.off, *end = p + uri.len, *colon, *at;

	*user = *host = (struct slb_span){0, 0};
	colon = memchr(p, ':', uri.len);
	if (!colon)
		return;
	bool tel = colon - p == 3 && !strncasecmp((const char *)p, "tel", 3);
	p = colon + 1;
	if (tel) {
		*user = span(buf, p, find_any(p, end, ";?"));
		return;
	}
	at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		*user = span(buf, p, find_any(p, at, ":"));
		p = at + 1;
	}
	if (p < end && *p == '[')
		*host = span(buf, p, find_any(p, end, "]") + (find_any(p, end, "]") < end));
	else
		*host = span(buf, p, find_any(p, end, ":;?"));
}

/* The URI of a From or To value: inside <...> (quotes skipped), else the
 * addr-spec up to ';' (RFC 3261 §20.10: its parameters are the header's). */
static struct slb_span nameaddr_uri(const uint8_t *buf, struct slb_span v)
{
	const uint8_t *p = buf + v.off, *end = p + v.len;
	bool quoted = false;

	for (const uint8_t *q = p; q < end; q++) {
		if (*q == '\\' && quoted && q + 1 < end)
			q++;
		else if (*q == '"')
			quoted = !quoted;
		else if (*q == '<' && !quoted)
			return span(buf, q + 1, find_any(q + 1, end, ">"));
	}
	return span(buf, p, find_any(p, end, ";"));
}

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
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
	const uint8_t *buf;
	uint32_t need;
	const char (*headers)[SLB_RULE_HEADER_LEN];
	uint32_t n_headers;
	struct slb_rules_fields *out;
	struct slb_span from, to;
};

/* Field f, if needed and not yet found, is this value. */
static void take(struct walk *w, unsigned f, struct slb_span v)
{
	if ((w->need & F(f)) && !w->out->f[f].len)
		w->out->f[f] = v;
}

static void one_header(struct walk *w, const uint8_t *name, size_t len, struct slb_span v)
{
	enum slb_hdr id = slb_sip_header_id(name, len);

	if (id == SLB_HDR_FROM && !w->from.len)
		w->from = v;
	else if (id == SLB_HDR_TO && !w->to.len)
		w->to = v;
	else if (len == 10 && !strncasecmp((const char *)name, "User-Agent", 10))
		take(w, SLB_RULE_F_USER_AGENT, v);
	for (uint32_t k = 0; k < w->n_headers; k++)
		if (strlen(w->headers[k]) == len && !strncasecmp((const char *)name, w->headers[k], len))
			take(w, SLB_RULE_F_HEADER + k, v);
}

/* The header lines after the start line (the scanner checked the framing:
 * every line ends with CRLF, the block with an empty line). */
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

	uri_parts(w->buf, uri, &user, &host);
	take(w, user_f, user);
	take(w, host_f, host);
}

void slb_rules_fields_locate(const uint8_t *buf, const struct slb_sip_msg *msg, uint32_t need,
			     const char (*headers)[SLB_RULE_HEADER_LEN], uint32_t n_headers,
			     struct slb_rules_fields *out)
{
	struct walk w = {.buf = buf, .need = need, .headers = headers, .n_headers = n_headers,
			 .out = out};

	memset(out, 0, sizeof(*out));
	take(&w, SLB_RULE_F_METHOD, msg->method_tok);
	take(&w, SLB_RULE_F_RURI, msg->ruri);
	if (need & URI_FIELDS)
		uri_fields(&w, msg->ruri, SLB_RULE_F_RURI_USER, SLB_RULE_F_RURI_HOST);
	if (!(need & ~(F(SLB_RULE_F_METHOD) | F(SLB_RULE_F_RURI) | URI_FIELDS)))
		return;
	walk_headers(&w, msg);
	if (w.from.len)
		uri_fields(&w, nameaddr_uri(buf, w.from), SLB_RULE_F_FROM_USER,
			   SLB_RULE_F_FROM_HOST);
	if (w.to.len)
		uri_fields(&w, nameaddr_uri(buf, w.to), SLB_RULE_F_TO_USER, SLB_RULE_F_TO_HOST);
}
