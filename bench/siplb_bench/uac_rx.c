/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the uac does with a datagram: the project's scanner frames it, the
 * Call-ID names the call (its slot and generation are in it), the CSeq and
 * the call's state say which transaction it answers.
 */
#include "uac_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "digest.h"

#define NS_PER_MS 1000000ull
#define MAX_RR 8

/* The open call a Call-ID of ours names, or NULL. */
static struct call *call_of(struct uac_thread *t, const uint8_t *buf, struct slb_span cid)
{
	const char *p = (const char *)buf + cid.off, *end = p + cid.len;
	char *q;

	if (cid.len <= t->cid_prefix_len || memcmp(p, t->cid_prefix, t->cid_prefix_len))
		return NULL;
	p += t->cid_prefix_len;
	unsigned long slot = strtoul(p, &q, 10);

	if (q >= end || *q != '-' || slot >= t->cap)
		return NULL;
	unsigned long gen = strtoul(q + 1, &q, 10);

	if (q >= end || *q != '@')
		return NULL;
	struct call *c = &t->calls[slot];

	return c->state != ST_FREE && c->gen == (uint32_t)gen ? c : NULL;
}

static void latency(struct uac_thread *t, struct call *c, enum lat which)
{
	hist_record(&t->st->lat[which], (t->now - c->t_first) / 1000);
}

/* Route lines for the ACK and BYE: the 200's Record-Route, reversed
 * (RFC 3261 12.1.2); false if they do not fit. */
static bool save_route(struct call *c, const uint8_t *buf, const struct slb_sip_msg *m)
{
	struct slb_span rr[MAX_RR];
	struct sip_header h;
	size_t pos = 0;
	unsigned n = 0;

	while (sip_next_header(buf, m, &pos, &h))
		if (h.name.len == 12 && !strncasecmp((const char *)buf + h.name.off,
						      "Record-Route", 12)) {
			if (n == MAX_RR)
				return false;
			rr[n++] = h.value;
		}
	struct out o = out_init(c->route, sizeof(c->route));

	while (n--) {
		out_str(&o, "Route: ");
		out_mem(&o, buf + rr[n].off, rr[n].len);
		out_str(&o, "\r\n");
	}
	c->route_len = (uint16_t)(o.p - c->route);
	return !o.overflow;
}

/* The dialog a 2xx to the INVITE made: remote tag, Contact, route set. */
static bool save_dialog(struct call *c, const uint8_t *buf, const struct slb_sip_msg *m)
{
	struct sip_header h;
	size_t pos = 0;

	if (m->to_tag.len > sizeof(c->rtag))
		return false;
	memcpy(c->rtag, buf + m->to_tag.off, m->to_tag.len);
	c->rtag_len = (uint8_t)m->to_tag.len;
	while (sip_next_header(buf, m, &pos, &h))
		if (slb_sip_header_id(buf + h.name.off, h.name.len) == SLB_HDR_CONTACT) {
			struct slb_span uri = sip_uri_of(buf, h.value);

			if (uri.len > sizeof(c->contact))
				return false;
			memcpy(c->contact, buf + uri.off, uri.len);
			c->contact_len = (uint8_t)uri.len;
			break;
		}
	return save_route(c, buf, m);
}

static void reject(struct uac_thread *t, struct call *c)
{
	ctr_add(&t->st->c[U_REJECTED], 1);
	uac_finish(t, c, false);
}

/* A provisional response: INVITE stops retransmitting (Timer A), a
 * non-INVITE goes on at T2 (RFC 3261 17.1.2.2). */
static void provisional(struct uac_thread *t, struct call *c)
{
	c->provisional = true;
	c->t_retx = c->state == ST_INVITE ? 0 : t->now + 4000 * NS_PER_MS;
	uac_arm(t, c);
}

static void hold_or_hang_up(struct uac_thread *t, struct call *c)
{
	c->state = ST_HOLD;
	c->t_retx = 0;
	c->t_end = t->now + (uint64_t)(t->o->hold_ms * NS_PER_MS);
	if (t->o->hold_ms > 0) {
		uac_arm(t, c);
		return;
	}
	c->cseq = 2;
	uac_txn_begin(t, c, ST_BYE);
}

static void invite_response(struct uac_thread *t, struct call *c, const uint8_t *buf,
			    const struct slb_sip_msg *m)
{
	if (m->status < 200) {
		provisional(t, c);
		return;
	}
	if (m->status >= 300) {
		c->rtag_len = m->to_tag.len <= sizeof(c->rtag) ? (uint8_t)m->to_tag.len : 0;
		memcpy(c->rtag, buf + m->to_tag.off, c->rtag_len);
		uac_send(t, c, true, false);
		reject(t, c);
		return;
	}
	latency(t, c, LAT_INVITE);
	if (!save_dialog(c, buf, m)) {
		ctr_add(&t->st->c[U_BAD], 1);
		reject(t, c);
		return;
	}
	uac_send(t, c, true, true);
	hold_or_hang_up(t, c);
}

/* The Authorization line for the challenge in m (401 WWW-Authenticate or
 * 407 Proxy-Authenticate), kept in c->route for the REGISTER's rebuilds. */
static bool credentials(struct uac_thread *t, struct call *c, const uint8_t *buf,
			const struct slb_sip_msg *m)
{
	bool proxy = m->status == 407;
	char realm[64], nonce[96], uri[SLB_ADDR_TEXT_LEN + 8], resp[DIGEST_HEX];
	struct slb_span v;

	if (!sip_find_header(buf, m, proxy ? "Proxy-Authenticate" : "WWW-Authenticate", &v) ||
	    !sip_auth_param(buf, v, "realm", realm, sizeof(realm)) ||
	    !sip_auth_param(buf, v, "nonce", nonce, sizeof(nonce)))
		return false;
	snprintf(uri, sizeof(uri), "sip:%s", t->o->target_host);
	digest_response(t->o->user, realm, t->o->password, "REGISTER", uri, nonce, resp);
	int n = snprintf(c->route, sizeof(c->route),
			 "%s: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
			 "response=\"%s\", algorithm=MD5\r\n",
			 proxy ? "Proxy-Authorization" : "Authorization", t->o->user, realm, nonce,
			 uri, resp);

	c->route_len = n > 0 && (size_t)n < sizeof(c->route) ? (uint16_t)n : 0;
	return c->route_len != 0;
}

static void register_response(struct uac_thread *t, struct call *c, const uint8_t *buf,
			      const struct slb_sip_msg *m)
{
	bool challenge = m->status == 401 || m->status == 407;

	if (m->status < 200) {
		provisional(t, c);
	} else if (m->status < 300) {
		latency(t, c, LAT_REGISTER);
		uac_finish(t, c, true);
	} else if (challenge && t->o->password && !c->route_len && credentials(t, c, buf, m)) {
		ctr_add(&t->st->c[U_AUTH_ROUNDS], 1);
		c->cseq++;
		uac_txn_begin(t, c, ST_REGISTER);
	} else {
		reject(t, c);
	}
}

/* A final response to BYE or OPTIONS ends the scenario. */
static void final_response(struct uac_thread *t, struct call *c, const struct slb_sip_msg *m,
			   enum lat which)
{
	if (m->status < 200) {
		provisional(t, c);
	} else if (m->status < 300) {
		latency(t, c, which);
		uac_finish(t, c, true);
	} else {
		reject(t, c);
	}
}

static void response(struct uac_thread *t, const uint8_t *buf, const struct slb_sip_msg *m)
{
	struct call *c = call_of(t, buf, m->call_id);
	static const enum slb_sip_method want[] = {
		[ST_INVITE] = SLB_SIP_METHOD_INVITE, [ST_BYE] = SLB_SIP_METHOD_BYE,
		[ST_REGISTER] = SLB_SIP_METHOD_REGISTER, [ST_OPTIONS] = SLB_SIP_METHOD_OPTIONS,
		[ST_HOLD] = SLB_SIP_METHOD_INVITE,
	};

	if (c && m->cseq_method == SLB_SIP_METHOD_INVITE && m->status >= 200 &&
	    m->status < 300 && (c->state == ST_HOLD || c->state == ST_BYE)) {
		ctr_add(&t->st->c[U_ACK_RETRANS], 1); /* the 200 again: our ACK was lost */
		uac_send(t, c, true, true);
		return;
	}
	if (!c || c->state == ST_HOLD || m->cseq_method != want[c->state] || m->cseq != c->cseq) {
		ctr_add(&t->st->c[U_STRAY], 1);
		return;
	}
	if (c->state == ST_INVITE)
		invite_response(t, c, buf, m);
	else if (c->state == ST_REGISTER)
		register_response(t, c, buf, m);
	else
		final_response(t, c, m, c->state == ST_BYE ? LAT_BYE : LAT_OPTIONS);
}

static void reply(struct uac_thread *t, unsigned sock, const uint8_t *buf,
		  const struct slb_sip_msg *m, const struct sockaddr_storage *to,
		  unsigned status, const char *reason)
{
	struct net_tx *tx = uac_tx(t, sock);
	struct out o = out_init(net_tx_next(tx), TX_BUF);

	sip_response(&o, buf, m, &(struct sip_reply){ .status = status, .reason = reason });
	if (o.overflow) {
		ctr_add(&t->st->c[U_SEND_ERRORS], 1);
		return;
	}
	net_tx_commit(tx, (size_t)(o.p - net_tx_next(tx)), to);
	ctr_add(&t->st->c[U_SENT], 1);
	ctr_add(&t->st->c[U_REPLIES], 1);
}

/* A request to the caller: the callee's BYE ends the call (its 200 goes
 * back the way the BYE came, as its Via says: through the load balancer). */
static void request(struct uac_thread *t, unsigned sock, const uint8_t *buf,
		    const struct slb_sip_msg *m, const struct sockaddr_storage *from)
{
	struct call *c = call_of(t, buf, m->call_id);

	if (m->method == SLB_SIP_METHOD_ACK)
		return;
	if (m->method != SLB_SIP_METHOD_BYE) {
		reply(t, sock, buf, m, from, 200, "OK");
		return;
	}
	if (!c || c->scen != SCEN_CALL || c->state == ST_INVITE) {
		reply(t, sock, buf, m, from, 481, "Call/Transaction Does Not Exist");
		return;
	}
	reply(t, sock, buf, m, from, 200, "OK");
	ctr_add(&t->st->c[U_CALLEE_BYES], 1);
	uac_finish(t, c, true);
}

void uac_receive(struct uac_thread *t, unsigned sock, const uint8_t *buf, size_t len,
		 const struct sockaddr_storage *from)
{
	struct slb_sip_msg m;

	if (slb_sip_scan(buf, len, &m) != SLB_SIP_OK) {
		ctr_add(&t->st->c[U_BAD], 1);
		return;
	}
	if (m.kind == SLB_SIP_KIND_REQUEST)
		request(t, sock, buf, &m, from);
	else if (m.kind == SLB_SIP_KIND_RESPONSE)
		response(t, buf, &m);
}
