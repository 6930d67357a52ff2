/* SPDX-License-Identifier: BSD-3-Clause */
#include "uas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "siplb/callid_hash.h"

#define BYE_QUEUE 16384 /* per thread: callee BYEs waiting for their time */
#define BYE_MAX 1400
#define SEEN_SLOTS 65536 /* INVITEs already given a BYE (a retransmission gets none) */

struct pending_bye {
	uint64_t due;
	struct sockaddr_storage to;
	uint16_t len;
	char msg[BYE_MAX];
};

struct uas {
	const struct bench_opts *o;
	uint16_t port;
	char contact[SLB_ADDR_TEXT_LEN + 16];
	char sdp[1024];
	struct pending_bye *q; /* a FIFO: every BYE waits the same time */
	unsigned head, n;
};

/* Shared by the threads: the retransmitted INVITE may reach another one. */
static uint64_t bye_seen[SEEN_SLOTS];

struct uas *uas_new(const struct bench_opts *o, uint16_t port)
{
	struct uas *u = calloc(1, sizeof(*u));
	char ip[SLB_ADDR_TEXT_LEN];

	if (!u)
		return NULL;
	u->o = o;
	u->port = port;
	snprintf(u->contact, sizeof(u->contact), "sip:uas@%s:%u", o->local_host, port);
	slb_addr_format(&o->local, SLB_ADDR_IP, ip, sizeof(ip));
	struct out s = out_init(u->sdp, sizeof(u->sdp) - 1);

	sip_sdp(&s, ip, o->local.family == AF_INET6, 30000, 1);
	*s.p = 0;
	if (o->callee_bye_ms > 0 && !(u->q = malloc(BYE_QUEUE * sizeof(*u->q)))) {
		free(u);
		return NULL;
	}
	return u;
}

void uas_free(struct uas *u)
{
	if (u)
		free(u->q);
	free(u);
}

static void send_out(struct uas_io *io, struct out *o, const struct sockaddr_storage *to)
{
	if (o->overflow) {
		ctr_add(&io->st->c[B_SEND_ERRORS], 1);
		return;
	}
	net_tx_commit(io->tx, (size_t)(o->p - net_tx_next(io->tx)), to);
	ctr_add(&io->st->c[B_SENT], 1);
}

static void answer(struct uas_io *io, const uint8_t *buf, const struct slb_sip_msg *m,
		   const struct sockaddr_storage *to, const struct sip_reply *r)
{
	if (net_tx_full(io->tx))
		ctr_add(&io->st->c[B_SEND_ERRORS], net_flush(io->fd, io->tx));
	struct out o = out_init(net_tx_next(io->tx), TX_BUF);

	sip_response(&o, buf, m, r);
	send_out(io, &o, to);
}

static void tag_of(const uint8_t *buf, const struct slb_sip_msg *m, char tag[17])
{
	struct out o = out_init(tag, 16);

	out_hex(&o, slb_callid_hash(buf + m->call_id.off, m->call_id.len, 0x5eed));
	*o.p = 0;
}

static void invite(struct uas *u, struct uas_io *io, const uint8_t *buf,
		   const struct slb_sip_msg *m, const struct sockaddr_storage *from, const char *tag)
{
	answer(io, buf, m, from, &(struct sip_reply){ .status = 100, .reason = "Trying" });
	answer(io, buf, m, from, &(struct sip_reply){ .status = 180, .reason = "Ringing",
		.to_tag = tag, .contact = u->contact, .record_route = true });
	answer(io, buf, m, from, &(struct sip_reply){ .status = 200, .reason = "OK",
		.to_tag = tag, .contact = u->contact, .record_route = true, .body = u->sdp,
		.headers = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n" });
}

/* The registrar's check of credentials (RFC 2617, no qop). */
static bool authorized(struct uas *u, const uint8_t *buf, const struct slb_sip_msg *m,
		       const char *nonce)
{
	char user[64], got_nonce[64], uri[128], resp[64], want[DIGEST_HEX];
	struct slb_span v;

	if (!sip_find_header(buf, m, "Authorization", &v) ||
	    !sip_auth_param(buf, v, "username", user, sizeof(user)) ||
	    !sip_auth_param(buf, v, "nonce", got_nonce, sizeof(got_nonce)) ||
	    !sip_auth_param(buf, v, "uri", uri, sizeof(uri)) ||
	    !sip_auth_param(buf, v, "response", resp, sizeof(resp)) || strcmp(nonce, got_nonce))
		return false;
	digest_response(user, u->o->realm, u->o->password, "REGISTER", uri, nonce, want);
	return !strcmp(resp, want);
}

static void registrar(struct uas *u, struct uas_io *io, const uint8_t *buf,
		      const struct slb_sip_msg *m, const struct sockaddr_storage *from,
		      const char *tag)
{
	char challenge[256];
	struct slb_span v;

	if (!u->o->realm) {
		answer(io, buf, m, from, &(struct sip_reply){ .status = 200, .reason = "OK",
			.to_tag = tag, .headers = "Expires: 3600\r\n" });
		return;
	}
	if (!sip_find_header(buf, m, "Authorization", &v)) {
		snprintf(challenge, sizeof(challenge),
			 "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5\r\n",
			 u->o->realm, tag);
		answer(io, buf, m, from, &(struct sip_reply){ .status = 401,
			.reason = "Unauthorized", .to_tag = tag, .headers = challenge });
		ctr_add(&io->st->c[B_CHALLENGES], 1);
	} else if (authorized(u, buf, m, tag)) {
		answer(io, buf, m, from, &(struct sip_reply){ .status = 200, .reason = "OK",
			.to_tag = tag, .headers = "Expires: 3600\r\n" });
	} else {
		answer(io, buf, m, from, &(struct sip_reply){ .status = 403, .reason = "Forbidden",
			.to_tag = tag });
		ctr_add(&io->st->c[B_AUTH_FAILED], 1);
	}
}

/* The INVITE's headers a callee's BYE is made of. */
struct dialog_src {
	struct slb_span from, to, contact, first_rr;
	struct slb_span rr_lines; /* every Record-Route line, in order */
	bool rr_contiguous;
};

static void dialog_of(const uint8_t *buf, const struct slb_sip_msg *m, struct dialog_src *d)
{
	struct sip_header h;
	size_t pos = 0, rr_end = 0;

	*d = (struct dialog_src){ .rr_contiguous = true };
	while (sip_next_header(buf, m, &pos, &h)) {
		enum slb_hdr id = slb_sip_header_id(buf + h.name.off, h.name.len);

		if (id == SLB_HDR_FROM)
			d->from = h.value;
		else if (id == SLB_HDR_TO)
			d->to = h.value;
		else if (id == SLB_HDR_CONTACT)
			d->contact = sip_uri_of(buf, h.value);
		else if (h.name.len == 12 &&
			 !strncasecmp((const char *)buf + h.name.off, "Record-Route", 12)) {
			if (!d->first_rr.len)
				d->first_rr = sip_uri_of(buf, h.value), d->rr_lines.off = h.line.off;
			else if (h.line.off != rr_end)
				d->rr_contiguous = false;
			rr_end = h.line.off + h.line.len;
			d->rr_lines.len = (uint16_t)(rr_end - d->rr_lines.off);
		}
	}
}

/* "Record-Route:" lines become "Route:" lines, same values, same order
 * (the callee's route set, RFC 3261 12.1.1). */
static void route_lines(struct out *o, const uint8_t *buf, struct slb_span lines)
{
	const uint8_t *p = buf + lines.off, *end = p + lines.len;

	while (p < end) {
		const uint8_t *colon = memchr(p, ':', (size_t)(end - p));
		const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));

		if (!colon || !lf)
			return;
		out_str(o, "Route");
		out_mem(o, colon, (size_t)(lf + 1 - colon));
		p = lf + 1;
	}
}

static bool build_bye(struct uas *u, struct out *o, const uint8_t *buf,
		      const struct slb_sip_msg *m, const struct dialog_src *d, const char *tag)
{
	if (!d->contact.len || !d->from.len || !d->to.len || !d->rr_contiguous)
		return false;
	out_str(o, "BYE ");
	out_mem(o, buf + d->contact.off, d->contact.len);
	out_str(o, " SIP/2.0\r\nVia: SIP/2.0/UDP ");
	out_str(o, u->o->local_host);
	out_str(o, ":");
	out_u64(o, u->port);
	out_str(o, ";branch=z9hG4bK-cb-");
	out_str(o, tag);
	out_str(o, ";rport\r\nMax-Forwards: 70\r\n");
	route_lines(o, buf, d->rr_lines);
	out_str(o, "From: ");
	out_mem(o, buf + d->to.off, d->to.len);
	out_str(o, ";tag=");
	out_str(o, tag);
	out_str(o, "\r\nTo: ");
	out_mem(o, buf + d->from.off, d->from.len);
	out_str(o, "\r\nCall-ID: ");
	out_mem(o, buf + m->call_id.off, m->call_id.len);
	out_str(o, "\r\nCSeq: 1 BYE\r\nUser-Agent: siplb-bench\r\n");
	out_body(o, "", 0);
	return !o->overflow;
}

/* The callee's BYE for this INVITE, queued for --callee-bye ms after the
 * 200; sent to the first Record-Route (the load balancer), or the Contact. */
static void schedule_bye(struct uas *u, struct uas_io *io, const uint8_t *buf,
			 const struct slb_sip_msg *m, const char *tag)
{
	uint64_t h = slb_callid_hash(buf + m->call_id.off, m->call_id.len, 0x5eed) | 1;
	struct dialog_src d;
	struct slb_addr dst;

	if (__atomic_exchange_n(&bye_seen[h % SEEN_SLOTS], h, __ATOMIC_RELAXED) == h)
		return; /* a retransmitted INVITE: its BYE is queued already */
	if (u->n == BYE_QUEUE) {
		ctr_add(&io->st->c[B_BYE_QUEUE_FULL], 1);
		return;
	}
	struct pending_bye *b = &u->q[(u->head + u->n) % BYE_QUEUE];
	struct out o = out_init(b->msg, sizeof(b->msg));

	dialog_of(buf, m, &d);
	if (!build_bye(u, &o, buf, m, &d, tag) ||
	    !sip_uri_endpoint(buf, d.first_rr.len ? d.first_rr : d.contact, &dst)) {
		ctr_add(&io->st->c[B_SEND_ERRORS], 1);
		return;
	}
	slb_addr_to_sockaddr(&dst, &b->to);
	b->len = (uint16_t)(o.p - b->msg);
	b->due = io->now + (uint64_t)(u->o->callee_bye_ms * 1e6);
	u->n++;
}

void uas_tick(struct uas *u, struct uas_io *io)
{
	while (u->n && u->q[u->head].due <= io->now) {
		struct pending_bye *b = &u->q[u->head];

		if (net_tx_full(io->tx))
			ctr_add(&io->st->c[B_SEND_ERRORS], net_flush(io->fd, io->tx));
		memcpy(net_tx_next(io->tx), b->msg, b->len);
		net_tx_commit(io->tx, b->len, &b->to);
		ctr_add(&io->st->c[B_SENT], 1);
		ctr_add(&io->st->c[B_CALLEE_BYES], 1);
		u->head = (u->head + 1) % BYE_QUEUE;
		u->n--;
	}
}

void uas_request(struct uas *u, struct uas_io *io, const uint8_t *buf,
		 const struct slb_sip_msg *m, const struct sockaddr_storage *from)
{
	char tag[17];

	tag_of(buf, m, tag);
	switch (m->method) {
	case SLB_SIP_METHOD_ACK:
		return;
	case SLB_SIP_METHOD_INVITE:
		invite(u, io, buf, m, from, tag);
		if (u->q && !m->to_tag.len)
			schedule_bye(u, io, buf, m, tag);
		return;
	case SLB_SIP_METHOD_REGISTER:
		registrar(u, io, buf, m, from, tag);
		return;
	case SLB_SIP_METHOD_OTHER:
		answer(io, buf, m, from, &(struct sip_reply){ .status = 501,
			.reason = "Not Implemented", .to_tag = tag });
		return;
	default:
		answer(io, buf, m, from, &(struct sip_reply){ .status = 200, .reason = "OK",
			.to_tag = tag });
	}
}

void uas_response(struct uas_io *io, const struct slb_sip_msg *m)
{
	if (m->cseq_method == SLB_SIP_METHOD_BYE && m->status >= 200 && m->status < 300)
		ctr_add(&io->st->c[B_CALLEE_BYE_OK], 1);
}
