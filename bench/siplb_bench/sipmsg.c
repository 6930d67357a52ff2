/* SPDX-License-Identifier: BSD-3-Clause */
#include "sipmsg.h"

#include <strings.h>

void out_u64(struct out *o, uint64_t v)
{
	char tmp[20];
	unsigned n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_mem(o, tmp + sizeof(tmp) - n, n);
}

void out_hex(struct out *o, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	unsigned n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = digits[v & 15];
		v >>= 4;
	} while (v);
	out_mem(o, tmp + sizeof(tmp) - n, n);
}

void out_body(struct out *o, const char *body, size_t len)
{
	out_str(o, "Content-Length: ");
	out_u64(o, len);
	out_str(o, "\r\n\r\n");
	out_mem(o, body, len);
}

bool sip_next_header(const uint8_t *buf, const struct slb_sip_msg *m, size_t *pos,
		     struct sip_header *h)
{
	size_t end = m->headers_len, p = *pos;

	if (p == 0) { /* skip the start line */
		const uint8_t *lf = memchr(buf, '\n', end);

		p = lf ? (size_t)(lf - buf) + 1 : end;
	}
	if (p + 2 >= end)
		return false;
	const uint8_t *lf = memchr(buf + p, '\n', end - p);
	size_t eol = lf ? (size_t)(lf - buf) : end, colon = p;

	while (colon < eol && buf[colon] != ':')
		colon++;
	size_t name_end = colon, v = colon + 1, v_end = eol;

	while (name_end > p && (buf[name_end - 1] == ' ' || buf[name_end - 1] == '\t'))
		name_end--;
	while (v < v_end && (buf[v] == ' ' || buf[v] == '\t'))
		v++;
	while (v_end > v && (buf[v_end - 1] == '\r' || buf[v_end - 1] == ' '))
		v_end--;
	h->name = slb_span_of(p, name_end);
	h->value = slb_span_of(v < v_end ? v : v_end, v_end);
	h->line = slb_span_of(p, eol < end ? eol + 1 : end);
	*pos = h->line.off + h->line.len;
	return true;
}

bool sip_find_header(const uint8_t *buf, const struct slb_sip_msg *m, const char *name,
		     struct slb_span *value)
{
	struct sip_header h;
	size_t pos = 0, n = strlen(name);

	while (sip_next_header(buf, m, &pos, &h))
		if (h.name.len == n && !strncasecmp((const char *)buf + h.name.off, name, n)) {
			*value = h.value;
			return true;
		}
	return false;
}

bool sip_auth_param(const uint8_t *buf, struct slb_span value, const char *name, char *out,
		    size_t cap)
{
	const char *s = (const char *)buf + value.off, *end = s + value.len;
	size_t n = strlen(name);

	for (const char *p = s; p + n < end; p++) {
		bool starts = p == s || p[-1] == ' ' || p[-1] == ',';

		if (!starts || strncasecmp(p, name, n) || p[n] != '=')
			continue;
		const char *v = p + n + 1, *ve;

		if (v < end && *v == '"') {
			v++;
			ve = memchr(v, '"', (size_t)(end - v));
		}
		else {
			for (ve = v; ve < end && *ve != ',' && *ve != ' '; ve++)
				;
		}
		if (!ve || (size_t)(ve - v) >= cap)
			return false;
		memcpy(out, v, (size_t)(ve - v));
		out[ve - v] = 0;
		return true;
	}
	return false;
}

struct slb_span sip_uri_of(const uint8_t *buf, struct slb_span value)
{
	const uint8_t *s = buf + value.off;
	const uint8_t *lt = memchr(s, '<', value.len);

	if (lt) {
		const uint8_t *gt = memchr(lt, '>', value.len - (size_t)(lt - s));

		if (gt)
			return slb_span_of((size_t)(lt + 1 - buf), (size_t)(gt - buf));
	}
	const uint8_t *semi = memchr(s, ';', value.len);

	return slb_span_of(value.off, semi ? (size_t)(semi - buf) : value.off + value.len);
}

/* The headers a response copies from its request (RFC 3261 8.2.6.2). */
static bool copied(const uint8_t *buf, const struct sip_header *h, bool record_route)
{
	switch (slb_sip_header_id(buf + h->name.off, h->name.len)) {
	case SLB_HDR_VIA:
	case SLB_HDR_FROM:
	case SLB_HDR_CALL_ID:
	case SLB_HDR_CSEQ:
		return true;
	default:
		return record_route && h->name.len == 12 &&
		       !strncasecmp((const char *)buf + h->name.off, "Record-Route", 12);
	}
}

static void copy_headers(struct out *o, const uint8_t *buf, const struct slb_sip_msg *m,
			 const struct sip_reply *r)
{
	struct sip_header h;
	size_t pos = 0;

	while (sip_next_header(buf, m, &pos, &h)) {
		if (slb_sip_header_id(buf + h.name.off, h.name.len) == SLB_HDR_TO) {
			out_mem(o, buf + h.line.off, (size_t)(h.value.off + h.value.len - h.line.off));
			if (r->to_tag && !m->to_tag.len) {
				out_str(o, ";tag=");
				out_str(o, r->to_tag);
			}
			out_str(o, "\r\n");
		} else if (copied(buf, &h, r->record_route)) {
			out_mem(o, buf + h.line.off, h.line.len);
		}
	}
}

void sip_response(struct out *o, const uint8_t *buf, const struct slb_sip_msg *m,
		  const struct sip_reply *r)
{
	out_str(o, "SIP/2.0 ");
	out_u64(o, r->status);
	out_str(o, " ");
	out_str(o, r->reason);
	out_str(o, "\r\n");
	copy_headers(o, buf, m, r);
	if (r->contact) {
		out_str(o, "Contact: <");
		out_str(o, r->contact);
		out_str(o, ">\r\n");
	}
	out_str(o, "Server: siplb-bench\r\n");
	if (r->headers)
		out_str(o, r->headers);
	if (r->body) {
		out_str(o, "Content-Type: application/sdp\r\n");
		out_body(o, r->body, strlen(r->body));
	} else {
		out_body(o, "", 0);
	}
}

void sip_sdp(struct out *o, const char *host, bool ipv6, unsigned port, uint64_t session)
{
	const char *ip = ipv6 ? " IN IP6 " : " IN IP4 ";

	out_str(o, "v=0\r\no=siplb-bench ");
	out_u64(o, session);
	out_str(o, " 1");
	out_str(o, ip);
	out_str(o, host);
	out_str(o, "\r\ns=siplb-bench\r\nc=");
	out_str(o, ip + 1);
	out_str(o, host);
	out_str(o, "\r\nt=0 0\r\nm=audio ");
	out_u64(o, port);
	out_str(o, " RTP/AVP 0 8 9 18 101\r\n"
		   "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:9 G722/8000\r\n"
		   "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n"
		   "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
		   "a=ptime:20\r\na=maxptime:150\r\na=sendrecv\r\n");
}

bool sip_uri_endpoint(const uint8_t *buf, struct slb_span uri, struct slb_addr *out)
{
	const char *p = (const char *)buf + uri.off, *end = p + uri.len;
	char text[SLB_ADDR_TEXT_LEN];
	struct slb_addr_parts parts;

	if (uri.len < 4 || strncasecmp(p, "sip:", 4))
		return false;
	p += 4;
	const char *at = memchr(p, '@', (size_t)(end - p)), *e;

	if (at)
		p = at + 1;
	for (e = p; e < end && *e != ';' && *e != '?' && *e != '>'; e++)
		;
	if ((size_t)(e - p) >= sizeof(text))
		return false;
	memcpy(text, p, (size_t)(e - p));
	text[e - p] = 0;
	return slb_addr_parse_endpoint(text, 5060, out, &parts) == SLB_ADDR_OK;
}
