/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The requests of the uac: INVITE (about 1,000 bytes with its SDP, as a
 * softphone sends), ACK, BYE, REGISTER and OPTIONS. Each is built from the
 * call's state alone, so a retransmission is the same bytes again.
 */
#include "siplb_version.h"
#include "uac_int.h"

static const char *const method_of[] = {
	[ST_INVITE] = "INVITE", [ST_BYE] = "BYE", [ST_REGISTER] = "REGISTER",
	[ST_OPTIONS] = "OPTIONS",
};

static uint32_t slot_of(const struct uac_thread *t, const struct call *c)
{
	return (uint32_t)(c - t->calls);
}

static void call_id(struct out *o, const struct uac_thread *t, const struct call *c)
{
	out_mem(o, t->cid_prefix, t->cid_prefix_len);
	out_u64(o, slot_of(t, c));
	out_str(o, "-");
	out_u64(o, c->gen);
	out_str(o, "@");
	out_str(o, t->o->local_host);
}

/* "Via: ...;branch=z9hG4bK<prefix><slot>.<gen>.<txn>;rport" */
static void via(struct out *o, const struct uac_thread *t, const struct call *c, uint8_t txn)
{
	out_str(o, "Via: SIP/2.0/UDP ");
	out_str(o, t->o->local_host);
	out_str(o, ":");
	out_u64(o, t->port[c->sock]);
	out_str(o, ";branch=z9hG4bK");
	out_mem(o, t->cid_prefix, t->cid_prefix_len);
	out_u64(o, slot_of(t, c));
	out_str(o, ".");
	out_u64(o, c->gen);
	out_str(o, ".");
	out_u64(o, txn);
	out_str(o, ";rport\r\nMax-Forwards: 70\r\n");
}

/* The out-of-dialog R-URI (and To URI): sip:user@target. */
static void target_uri(struct out *o, const struct uac_thread *t)
{
	out_str(o, "sip:");
	out_str(o, t->o->user);
	out_str(o, "@");
	out_str(o, t->o->target_host);
}

static void start_line(struct out *o, const struct uac_thread *t, const struct call *c,
		       const char *method, bool in_dialog)
{
	out_str(o, method);
	out_str(o, " ");
	if (in_dialog && c->contact_len)
		out_mem(o, c->contact, c->contact_len);
	else if (c->scen == SCEN_CALL)
		target_uri(o, t);
	else /* REGISTER and OPTIONS address the domain */
		out_str(o, "sip:"), out_str(o, t->o->target_host);
	out_str(o, " SIP/2.0\r\n");
}

/* From, To, Call-ID, CSeq, and the route set of a dialog. */
static void dialog_headers(struct out *o, const struct uac_thread *t, const struct call *c,
			   const char *method, uint32_t cseq)
{
	out_str(o, "From: \"siplb-bench\" <sip:");
	out_str(o, t->o->user);
	out_str(o, "@");
	out_str(o, t->o->local_host);
	out_str(o, ">;tag=");
	out_hex(o, ((uint64_t)slot_of(t, c) << 32) | c->gen);
	out_str(o, "\r\nTo: <");
	target_uri(o, t);
	out_str(o, ">");
	if (c->rtag_len) {
		out_str(o, ";tag=");
		out_mem(o, c->rtag, c->rtag_len);
	}
	out_str(o, "\r\nCall-ID: ");
	call_id(o, t, c);
	out_str(o, "\r\nCSeq: ");
	out_u64(o, cseq);
	out_str(o, " ");
	out_str(o, method);
	out_str(o, "\r\n");
	out_mem(o, c->route, c->route_len);
}

static void contact(struct out *o, const struct uac_thread *t, const struct call *c)
{
	out_str(o, "Contact: <sip:");
	out_str(o, t->o->user);
	out_str(o, "@");
	out_str(o, t->o->local_host);
	out_str(o, ":");
	out_u64(o, t->port[c->sock]);
	out_str(o, ">\r\n");
}

static void invite_body(struct out *o, const struct uac_thread *t, const struct call *c)
{
	char sdp[1024];
	struct out s = out_init(sdp, sizeof(sdp));
	char ip[SLB_ADDR_TEXT_LEN];

	slb_addr_format(&t->o->local, SLB_ADDR_IP, ip, sizeof(ip));
	sip_sdp(&s, ip, t->o->local.family == AF_INET6, 20000 + 2 * (slot_of(t, c) % 10000),
		((uint64_t)slot_of(t, c) << 32) | c->gen);
	out_str(o, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REFER, NOTIFY\r\n"
		   "Supported: replaces, timer\r\nSession-Expires: 1800\r\n"
		   "User-Agent: siplb-bench/" SLB_VERSION "\r\n"
		   "Content-Type: application/sdp\r\n");
	out_body(o, sdp, (size_t)(s.p - sdp));
}

/* The request of the call's current transaction. */
void uac_build(struct uac_thread *t, const struct call *c, struct out *o)
{
	const char *m = method_of[c->state];

	start_line(o, t, c, m, c->state == ST_BYE);
	via(o, t, c, c->txn);
	dialog_headers(o, t, c, m, c->cseq);
	if (c->state == ST_INVITE) {
		contact(o, t, c);
		invite_body(o, t, c);
		return;
	}
	if (c->state == ST_REGISTER) {
		contact(o, t, c);
		out_str(o, "Expires: 3600\r\n");
	}
	if (c->state == ST_OPTIONS)
		out_str(o, "Accept: application/sdp\r\n");
	out_str(o, "User-Agent: siplb-bench/" SLB_VERSION "\r\n");
	out_body(o, "", 0);
}

/* ACK of a 2xx: a new transaction (its own branch) along the route set; of
 * a failure: part of the INVITE transaction, same branch (RFC 3261 17.1.1.3). */
void uac_build_ack(struct uac_thread *t, const struct call *c, struct out *o, bool for_2xx)
{
	start_line(o, t, c, "ACK", for_2xx);
	via(o, t, c, for_2xx ? 0 : c->txn); /* transactions count from 1 */
	dialog_headers(o, t, c, "ACK", 1);
	out_body(o, "", 0);
}
