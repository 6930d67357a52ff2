/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP text for the bench: an appender that builds messages without
 * snprintf, a header walk over a message the project's scanner has framed
 * (struct slb_sip_msg), and the stateless response to a request that both
 * the uas and the uac (a callee's BYE) send.
 */
#ifndef SIPLB_BENCH_SIPMSG_H
#define SIPLB_BENCH_SIPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "siplb/addr.h"
#include "siplb/sip_scan.h"

/* A message being written: p moves, overflow sticks. */
struct out {
	char *p, *end;
	bool overflow;
};

static inline struct out out_init(char *buf, size_t cap)
{
	return (struct out){ buf, buf + cap, false };
}

static inline void out_mem(struct out *o, const void *s, size_t n)
{
	if ((size_t)(o->end - o->p) < n) {
		o->overflow = true;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

static inline void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

void out_u64(struct out *o, uint64_t v);
void out_hex(struct out *o, uint64_t v);
/* "Content-Length: N\r\n\r\n" and the body. */
void out_body(struct out *o, const char *body, size_t len);

/* A header line of a scanned message: name, value (trimmed) and the whole
 * line with its CRLF. */
struct sip_header {
	struct slb_span name, value, line;
};

/* The header after *pos (start at 0), false at the end of the headers. */
bool sip_next_header(const uint8_t *buf, const struct slb_sip_msg *m, size_t *pos,
		     struct sip_header *h);
/* The first header called name (full name, case-insensitive). */
bool sip_find_header(const uint8_t *buf, const struct slb_sip_msg *m, const char *name,
		     struct slb_span *value);
/* The value of param name in a digest challenge or credentials ("a=1, b=\"x\""),
 * quotes removed, copied into out (cap bytes with NUL); false if absent or longer. */
bool sip_auth_param(const uint8_t *buf, struct slb_span value, const char *name, char *out,
		    size_t cap);
/* The URI inside a name-addr or addr-spec value: "<sip:x>;p" -> "sip:x". */
struct slb_span sip_uri_of(const uint8_t *buf, struct slb_span value);

static inline bool span_eq(const uint8_t *buf, struct slb_span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(buf + s.off, lit, n) == 0;
}

/* What a stateless response adds to the request's Via, From, To, Call-ID and CSeq. */
struct sip_reply {
	unsigned status;
	const char *reason;
	const char *to_tag;      /* added to To when the request has none; NULL: none */
	const char *contact;     /* a URI, or NULL */
	const char *headers;     /* more header lines, each with CRLF, or NULL */
	const char *body;        /* application/sdp, or NULL */
	bool record_route;       /* copy Record-Route (dialog-creating responses) */
};

/* The response r to the request (buf, m) into o. */
void sip_response(struct out *o, const uint8_t *buf, const struct slb_sip_msg *m,
		  const struct sip_reply *r);

/* The SDP of an INVITE or a 200 (about 450 bytes: a softphone's offer). */
void sip_sdp(struct out *o, const char *host, bool ipv6, unsigned port, uint64_t session);

/* The host and port a SIP URI ("sip:user@host:port;params") sends to (5060
 * when it names none); false when the host is no IP address. */
bool sip_uri_endpoint(const uint8_t *buf, struct slb_span uri, struct slb_addr *out);

#endif
