/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proxy-mode rewrite rules on plain buffers: each case builds an Ethernet
 * frame, runs slb_proxy_handle() and checks the verdict, the next hop and
 * the exact SIP bytes that come out, plus the IPv4 and UDP checksums.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/callid_hash.h"
#include "siplb/maglev.h"
#include "siplb/proxy.h"
#include "siplb/sip_scan.h"
#include "ref_sum.h"
#include "test_frame.h"
#include "../check.h"

#define HEADROOM 256
#define TAILROOM 512
#define VIP "192.0.2.100"
#define CLIENT "198.51.100.10"

static struct slb_state state;
static uint32_t tables[3 * 65537];
static struct slb_lcore_stats stats;
static struct slb_vip_text vip_text[SLB_MAX_VIPS];
static struct slb_sender_text senders[SLB_SENDER_SLOTS];
static struct slb_proxy_view view = { .state = &state, .tables = tables, .stats = &stats,
				      .branch_seed = 0x5eed, .ip_mtu = 1500, .vip_text = vip_text,
				      .senders = senders };
static const char *const backend_addr[3] = { "192.0.2.21", "192.0.2.22", "192.0.2.23" };

static void setup_state(void)
{
	struct slb_maglev_backend mb[3];
	char err[128];

	memset(&state, 0, sizeof(state));
	state.n_vips = 1;
	state.vips[0] = (struct slb_vip){ .addr = ip4(VIP), .port = htons(5060),
					  .mode = SLB_MODE_PROXY, .flags = SLB_VIP_RECORD_ROUTE,
					  .pool = 0, .name = "sip", .host = VIP };
	state.n_pools = 1;
	state.pools[0] = (struct slb_pool){ 0, 65537, 1, "core" };
	state.n_backends = 3;
	state.branch_keys.n = 1;
	memset(state.branch_keys.key[0], 0x5a, SLB_BRANCH_KEY_LEN);
	for (uint32_t i = 0; i < 3; i++) {
		state.backends[i] = (struct slb_backend){ .addr = ip4(backend_addr[i]),
							  .port = htons(5060), .weight = 100,
							  .state = SLB_BACKEND_UP, .family = AF_INET };
		mb[i] = (struct slb_maglev_backend){ i, 100, backend_addr[i],
						     strlen(backend_addr[i]) };
	}
	if (slb_maglev_build(mb, 3, 65537, 1, tables, err, sizeof(err))) {
		printf("maglev: %s\n", err);
		exit(1);
	}
}

struct frame_buf {
	uint8_t mem[HEADROOM + 2048 + TAILROOM];
	struct slb_frame f;
};

/* "\n" in the text becomes CRLF. */
static size_t crlf(char *out, const char *text)
{
	size_t n = 0;

	for (; *text; text++) {
		if (*text == '\n')
			out[n++] = '\r';
		out[n++] = *text;
	}
	return n;
}

static void make_frame(struct frame_buf *fb, const char *src, uint16_t sport, const char *dst,
		       uint16_t dport, const char *text)
{
	char sipbuf[2048];
	size_t n = crlf(sipbuf, text);
	uint8_t *d = fb->mem + HEADROOM;

	test_udp_frame(d, src, sport, dst, dport, 0, 0, sipbuf, n);
	fb->f = (struct slb_frame){ d, (uint16_t)(42 + n), HEADROOM,
				    (uint16_t)(sizeof(fb->mem) - HEADROOM - 42 - n), false };
}

/* Checks headers and checksums; returns the SIP text (NUL-terminated). */
static const char *check_out(const struct slb_frame *f, const char *dst, uint16_t dport)
{
	static char text[2048];
	struct iphdr ip;
	struct udphdr udp;

	memcpy(&ip, f->data + 14, sizeof(ip));
	memcpy(&udp, f->data + 34, sizeof(udp));
	CHECK(ip.saddr == ip4(VIP) && ip.daddr == ip4(dst), "addresses");
	CHECK(udp.source == htons(5060) && udp.dest == htons(dport),
	      "ports %u -> %u", ntohs(udp.source), ntohs(udp.dest));
	CHECK(ntohs(ip.tot_len) == f->len - 14 && ntohs(udp.len) == f->len - 34, "lengths");
	CHECK(ref_sum(f->data + 14, 20, 0) == 0xffff, "IPv4 checksum");
	CHECK(ref_udp_sum(f->data, f->len - 34) == 0xffff, "UDP checksum");
	size_t n = f->len - 42u;
	memcpy(text, f->data + 42, n);
	text[n] = 0;
	return text;
}

static void expect_text(const char *got, const char *want_lf, const char *what)
{
	char want[2048];
	size_t n = crlf(want, want_lf);

	want[n] = 0;
	CHECK(strcmp(got, want) == 0, "%s:\n--- got\n%s--- want\n%s---", what, got, want);
}

/* Replaces the 32 hex digits (hash and MAC) after our branch prefix with
 * "X". */
static const char *mask_branch(const char *text, char *branch_out)
{
	static char out[2048];
	const char *b = strstr(text, SLB_BRANCH_PREFIX);

	if (!b)
		return text;
	b += strlen(SLB_BRANCH_PREFIX);
	memcpy(branch_out, b, 32);
	branch_out[32] = 0;
	snprintf(out, sizeof(out), "%.*sX%s", (int)(b - text), text, b + 32);
	return out;
}

static int maglev_choice(const char *call_id)
{
	uint64_t h = slb_callid_hash((const uint8_t *)call_id, (uint32_t)strlen(call_id), 1);

	return (int)tables[h % 65537];
}

static const char invite[] =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\n"
	"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9;rport\n"
	"Max-Forwards: 70\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
	"To: Bob <sip:bob@biloxi.example.com>\n"
	"Call-ID: 3848276298220188511@atlanta.example.com\n"
	"CSeq: 1 INVITE\n"
	"Contact: <sip:alice@" CLIENT ":5062>\n"
	"Content-Length: 0\n\n";

static void test_invite(void)
{
	struct frame_buf fb;
	struct slb_out out;
	char br1[33], br2[33];
	int be = maglev_choice("3848276298220188511@atlanta.example.com");

	make_frame(&fb, CLIENT, 5062, VIP, 5060, invite);
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "INVITE sent");
	CHECK(out.next_hop == ip4(backend_addr[be]), "next hop is the Maglev backend %d", be);
	const char *got = mask_branch(check_out(&fb.f, backend_addr[be], 5060), br1);
	char want[2048];
	snprintf(want, sizeof(want),
		 "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
		 "Via: SIP/2.0/UDP " VIP ":5060;branch=" SLB_BRANCH_PREFIX "X-%d\n"
		 "Record-Route: <sip:" VIP ":5060;lr;slb=%d>\n"
		 "Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9;rport=5062;received=" CLIENT "\n"
		 "Max-Forwards: 69\n"
		 "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		 "To: Bob <sip:bob@biloxi.example.com>\n"
		 "Call-ID: 3848276298220188511@atlanta.example.com\n"
		 "CSeq: 1 INVITE\n"
		 "Contact: <sip:alice@" CLIENT ":5062>\n"
		 "Content-Length: 0\n\n", be, be);
	expect_text(got, want, "INVITE to backend: its id ends our branch and is in the Record-Route");
	CHECK(fb.f.headroom < HEADROOM, "grew into the headroom (the head is the shorter side)");
	CHECK(stats.backend_tx[be].msgs == 1 && stats.vip_rx[0].msgs == 1, "counters");

	/* a retransmission gets the same branch; a CANCEL too (same client branch) */
	make_frame(&fb, CLIENT, 5062, VIP, 5060, invite);
	slb_proxy_handle(&view, &fb.f, &out);
	mask_branch(check_out(&fb.f, backend_addr[be], 5060), br2);
	CHECK(strcmp(br1, br2) == 0, "retransmission keeps the branch (%s vs %s)", br1, br2);
	make_frame(&fb, CLIENT, 5062, VIP, 5060,
		   "CANCEL sip:bob@biloxi.example.com SIP/2.0\n"
		   "Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9;rport\n"
		   "Max-Forwards: 70\n"
		   "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		   "To: Bob <sip:bob@biloxi.example.com>\n"
		   "Call-ID: 3848276298220188511@atlanta.example.com\n"
		   "CSeq: 1 CANCEL\n"
		   "Content-Length: 0\n\n");
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "CANCEL sent");
	CHECK(out.next_hop == ip4(backend_addr[be]), "CANCEL to the INVITE's backend");
	const char *c = mask_branch(check_out(&fb.f, backend_addr[be], 5060), br2);
	CHECK(strcmp(br1, br2) == 0, "CANCEL has the INVITE's branch");
	CHECK(!strstr(c, "Record-Route"), "no Record-Route on CANCEL");

	/* a CANCEL with the Via as we marked it (SIPp's [last_Via:] copies it
	 * from our 180): rport, received and Max-Forwards all rewritten at
	 * their lengths, three overwrites */
	make_frame(&fb, CLIENT, 5062, VIP, 5060,
		   "CANCEL sip:bob@biloxi.example.com SIP/2.0\n"
		   "Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9;rport=5062;received=" CLIENT
		   "\n"
		   "Max-Forwards: 70\n"
		   "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		   "To: Bob <sip:bob@biloxi.example.com>\n"
		   "Call-ID: 3848276298220188511@atlanta.example.com\n"
		   "CSeq: 1 CANCEL\n"
		   "Content-Length: 0\n\n");
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND,
	      "CANCEL with rport and received already set sent");
	c = check_out(&fb.f, backend_addr[be], 5060);
	CHECK(strstr(c, ";rport=5062;received=" CLIENT "\r\nMax-Forwards: 69\r\n") != NULL,
	      "its Via as it was, Max-Forwards one less:\n%s", c);
}

/* The SIP text of a request after siplb-dp forwarded it from src:sport. */
static const char *forward(const char *src, uint16_t sport, const char *request)
{
	static char text[2048];
	struct frame_buf fb;
	struct slb_out out;

	make_frame(&fb, src, sport, VIP, 5060, request);
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "request forwarded");
	snprintf(text, sizeof(text), "%.*s", (int)(fb.f.len - 42u), (const char *)fb.f.data + 42);
	return text;
}

/* What a backend answers to a forwarded request (CRLF text): the status
 * line, then its Via, Call-ID and CSeq lines as they are (RFC 3261
 * §8.2.6.2), with our Via's text optionally replaced (forged). */
static void answer(char *out, size_t cap, const char *request, const char *status)
{
	size_t n = (size_t)snprintf(out, cap, "%s\r\n", status);

	for (const char *l = strstr(request, "\r\n") + 2; strncmp(l, "\r\n", 2); ) {
		const char *e = strstr(l, "\r\n") + 2;

		if (!strncmp(l, "Via:", 4) || !strncmp(l, "Call-ID:", 8) || !strncmp(l, "CSeq:", 5) ||
		    !strncmp(l, "From:", 5) || !strncmp(l, "To:", 3))
			n += (size_t)snprintf(out + n, cap - n, "%.*s", (int)(e - l), l);
		l = e;
	}
	snprintf(out + n, cap - n, "Content-Length: 0\r\n\r\n");
}

/* Sends a response (CRLF text) from src to the VIP; its verdict. */
static enum slb_action respond_from(const char *src, const char *text, struct frame_buf *fb)
{
	struct slb_out out;
	char lf[2048];
	size_t n = 0;

	for (const char *t = text; *t; t++) /* make_frame adds the CRs back */
		if (*t != '\r')
			lf[n++] = *t;
	lf[n] = 0;
	make_frame(fb, src, 5060, VIP, 5060, lf);
	return slb_proxy_handle(&view, &fb->f, &out);
}

static void test_response(void)
{
	struct frame_buf fb;
	char resp[2048];
	int be = maglev_choice("3848276298220188511@atlanta.example.com");

	answer(resp, sizeof(resp), forward(CLIENT, 5062, invite), "SIP/2.0 200 OK");
	CHECK(respond_from(backend_addr[be], resp, &fb) == SLB_ACTION_SEND, "200 relayed");
	expect_text(check_out(&fb.f, CLIENT, 5062),
		    "SIP/2.0 200 OK\n"
		    "Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9;rport=5062;received=" CLIENT "\n"
		    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		    "To: Bob <sip:bob@biloxi.example.com>\n"
		    "Call-ID: 3848276298220188511@atlanta.example.com\n"
		    "CSeq: 1 INVITE\n"
		    "Content-Length: 0\n\n", "200 OK to the client, our Via gone");

	/* comma-separated: only our value goes; no rport: the sent-by port */
	const char *fwd = forward(CLIENT, 5999, "OPTIONS sip:x@y SIP/2.0\n"
				  "Via: SIP/2.0/UDP " CLIENT ";branch=z9hG4bKa\nMax-Forwards: 70\n"
				  "From: <sip:a@a>;tag=1\nTo: <sip:x@y>\nCall-ID: x\nCSeq: 1 OPTIONS\n\n");
	const char *v1 = strstr(fwd, "Via: "), *v2 = strstr(v1 + 1, "\r\nVia: ");
	snprintf(resp, sizeof(resp), "SIP/2.0 180 Ringing\r\n%.*s, %.*s\r\nCall-ID: x\r\n"
		 "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", (int)(v2 - v1), v1,
		 (int)(strstr(v2 + 2, "\r\n") - v2 - 7), v2 + 7);
	CHECK(respond_from(backend_addr[maglev_choice("x")], resp, &fb) == SLB_ACTION_SEND,
	      "180 relayed");
	expect_text(check_out(&fb.f, CLIENT, 5060),
		    "SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP " CLIENT ";branch=z9hG4bKa\n"
		    "Call-ID: x\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n",
		    "comma-separated Via removed, port 5060 by default");

	/* the callee's BYE, relayed from backend 2 (no id in our branch): the
	 * caller's 200 goes back to the backend */
	answer(resp, sizeof(resp), forward(backend_addr[2], 5060,
		   "BYE sip:alice@" CLIENT ":5062 SIP/2.0\n"
		   "Via: SIP/2.0/UDP 192.0.2.23:5060;branch=z9hG4bK77\n"
		   "Route: <sip:" VIP ":5060;lr;slb=2>\nMax-Forwards: 70\n"
		   "Call-ID: c\nTo: <sip:a@a>;tag=2\nFrom: <sip:bob@b>;tag=1\nCSeq: 1 BYE\n\n"),
	       "SIP/2.0 200 OK");
	CHECK(respond_from(CLIENT, resp, &fb) == SLB_ACTION_SEND, "200 to the callee's BYE");
	check_out(&fb.f, backend_addr[2], 5060);

	/* not ours: dropped and counted */
	uint64_t before = stats.drops[SLB_DROP_NOT_OURS];
	make_frame(&fb, backend_addr[1], 5060, VIP, 5060,
		   "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKslb1\n"
		   "Via: SIP/2.0/UDP " CLIENT ";branch=z9hG4bKa\nCall-ID: x\nCSeq: 1 BYE\n\n");
	struct slb_out out;
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_DROP, "foreign Via dropped");
	CHECK(stats.drops[SLB_DROP_NOT_OURS] == before + 1, "counted as not ours");
}

/* The status line of resp replaced; the rest (our proven Via) kept. */
static void with_status(char *resp, const char *status)
{
	char rest[2048];

	snprintf(rest, sizeof(rest), "%s", strstr(resp, "\r\n"));
	sprintf(resp, "%s%s", status, rest);
}

/* Passive health's counters: responses, finals and 503s per backend, by
 * the id in the proven branch. */
static void test_response_counters(void)
{
	struct frame_buf fb;
	char resp[2048];
	int be = maglev_choice("3848276298220188511@atlanta.example.com");
	static const char *const codes[] = { "SIP/2.0 100 Trying", "SIP/2.0 180 Ringing",
					     "SIP/2.0 200 OK", "SIP/2.0 503 Busy" };

	memset(&stats.backend_rx, 0, sizeof(stats.backend_rx));
	answer(resp, sizeof(resp), forward(CLIENT, 5062, invite), "x");
	for (int i = 0; i < 4; i++) {
		with_status(resp, codes[i]);
		CHECK(respond_from(backend_addr[be], resp, &fb) == SLB_ACTION_SEND, "%s", codes[i]);
	}
	CHECK(stats.backend_rx[be].responses == 4 && stats.backend_rx[be].finals == 2 &&
	      stats.backend_rx[be].r503 == 1, "backend %d: 4 responses, 2 final, 1 503", be);
	for (int i = 0; i < 3; i++)
		CHECK(i == be || !stats.backend_rx[i].responses, "backend %d counts nothing", i);
}

/* One forged response from src; it must be dropped for reason why and
 * move no backend's counters. */
static void expect_forged(const char *src, const char *text, enum slb_drop why,
			  const char *what)
{
	struct slb_lcore_stats before = stats;
	struct frame_buf fb;

	CHECK(respond_from(src, text, &fb) == SLB_ACTION_DROP, "%s: dropped", what);
	CHECK(stats.drops[why] == before.drops[why] + 1, "%s: counted as %d", what, why);
	CHECK(!memcmp(before.backend_rx, stats.backend_rx, sizeof(stats.backend_rx)) &&
	      stats.responses.msgs == before.responses.msgs, "%s: no backend counters moved",
	      what);
}

/* out: in with its first from replaced by to. */
static void replaced(char *out, const char *in, const char *from, const char *to)
{
	const char *at = strstr(in, from);

	CHECK(at != NULL, "%s in the response", from);
	sprintf(out, "%.*s%s%s", (int)(at - in), in, to, at + strlen(from));
}

/*
 * The attacks of issue 8: a client makes siplb relay a response to any
 * host and port (the second Via), or feeds backends' passive health with
 * forged 503s. Only a branch siplb made, from the backend it names, is
 * relayed or counted.
 */
static void test_forged_responses(void)
{
	char resp[2048], real[2048];
	int be = maglev_choice("3848276298220188511@atlanta.example.com");
	const char *target = "192.0.2.23:9";

	/* the report's message: our prefix, a made-up rest */
	snprintf(resp, sizeof(resp), "SIP/2.0 200 OK\r\n"
		 "Via: SIP/2.0/UDP " VIP ":5060;branch=" SLB_BRANCH_PREFIX "XXXX-0\r\n"
		 "Via: SIP/2.0/UDP %s;branch=z9hG4bKx\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		 target);
	expect_forged(CLIENT, resp, SLB_DROP_NOT_OURS, "short branch");
	snprintf(resp, sizeof(resp), "SIP/2.0 503 X\r\n"
		 "Via: SIP/2.0/UDP " VIP ":5060;branch=" SLB_BRANCH_PREFIX
		 "0123456789abcdef0123456789abcdef-0\r\n"
		 "Via: SIP/2.0/UDP %s;branch=z9hG4bKx\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		 target);
	expect_forged(CLIENT, resp, SLB_DROP_BAD_MAC, "made-up MAC");
	expect_forged(backend_addr[0], resp, SLB_DROP_BAD_MAC, "made-up MAC from a backend");

	/* a real branch (the client's own call) over another second Via: the
	 * MAC covers where the response goes */
	answer(real, sizeof(real), forward(CLIENT, 5062, invite), "SIP/2.0 503 X");
	replaced(resp, real, "received=" CLIENT, "received=192.0.2.23");
	expect_forged(backend_addr[be], resp, SLB_DROP_BAD_MAC, "real branch, other address");
	replaced(resp, real, "rport=5062", "rport=9");
	expect_forged(backend_addr[be], resp, SLB_DROP_BAD_MAC, "real branch, other port");
	/* the same response, unaltered, but sent by the client itself */
	expect_forged(CLIENT, real, SLB_DROP_WRONG_SOURCE, "real branch, not from its backend");
	expect_forged(backend_addr[(be + 1) % 3], real, SLB_DROP_WRONG_SOURCE,
		      "real branch, from another backend");
	/* another backend id on a real MAC */
	snprintf(resp, sizeof(resp), "%s", real);
	char *id = strstr(resp, SLB_BRANCH_PREFIX) + strlen(SLB_BRANCH_PREFIX) + 33;
	*id = (char)('0' + (be + 1) % 3);
	expect_forged(backend_addr[(be + 1) % 3], resp, SLB_DROP_BAD_MAC, "backend id changed");
	/* another Call-ID */
	snprintf(resp, sizeof(resp), "%s", real);
	memcpy(strstr(resp, "Call-ID: ") + 9, "9", 1);
	expect_forged(backend_addr[be], resp, SLB_DROP_BAD_MAC, "Call-ID changed");
}

/* Key rotation: a branch made with a key still in the state verifies, one
 * made with a key that left does not. */
static void test_key_rotation(void)
{
	struct frame_buf fb;
	char resp[2048];
	int be = maglev_choice("3848276298220188511@atlanta.example.com");
	struct slb_branch_keys old = state.branch_keys;

	answer(resp, sizeof(resp), forward(CLIENT, 5062, invite), "SIP/2.0 200 OK");
	state.branch_keys.n = 2;
	memcpy(state.branch_keys.key[1], old.key[0], SLB_BRANCH_KEY_LEN);
	memset(state.branch_keys.key[0], 0xa5, SLB_BRANCH_KEY_LEN);
	CHECK(respond_from(backend_addr[be], resp, &fb) == SLB_ACTION_SEND,
	      "previous key still verifies");
	state.branch_keys.n = 1;
	expect_forged(backend_addr[be], resp, SLB_DROP_BAD_MAC, "retired key");
	state.branch_keys = old;
}

static void test_in_dialog(void)
{
	struct frame_buf fb;
	struct slb_out out;
	char br[33];

	/* the caller's BYE names backend 2 in its Route: it goes there */
	make_frame(&fb, CLIENT, 5062, VIP, 5060,
		   "BYE sip:bob@192.0.2.23:5060 SIP/2.0\n"
		   "Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK5\n"
		   "Route: <sip:" VIP ":5060;lr;slb=2>\n"
		   "Max-Forwards: 10\n"
		   "Call-ID: some-other-call\n"
		   "To: <sip:bob@b>;tag=1\nFrom: <sip:a@a>;tag=2\nCSeq: 2 BYE\n"
		   "Content-Length: 0\n\n");
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "BYE sent");
	CHECK(out.next_hop == ip4(backend_addr[2]), "to the backend of the Route");
	expect_text(mask_branch(check_out(&fb.f, backend_addr[2], 5060), br),
		    "BYE sip:bob@192.0.2.23:5060 SIP/2.0\n"
		    "Via: SIP/2.0/UDP " VIP ":5060;branch=" SLB_BRANCH_PREFIX "X-2\n"
		    "Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK5\n"
		    "Max-Forwards: 09\n"
		    "Call-ID: some-other-call\n"
		    "To: <sip:bob@b>;tag=1\nFrom: <sip:a@a>;tag=2\nCSeq: 2 BYE\n"
		    "Content-Length: 0\n\n", "in-dialog BYE: Route popped, Max-Forwards 10 -> 09");

	/* the callee's BYE (from backend 2) goes to the Request-URI: the caller */
	make_frame(&fb, backend_addr[2], 5060, VIP, 5060,
		   "BYE sip:alice@" CLIENT ":5062 SIP/2.0\n"
		   "Via: SIP/2.0/UDP 192.0.2.23:5060;branch=z9hG4bK77\n"
		   "Route: <sip:" VIP ":5060;lr;slb=2>, <sip:10.0.0.1;lr>\n"
		   "Max-Forwards: 70\n"
		   "Call-ID: c\nTo: <sip:a@a>;tag=2\nFrom: <sip:bob@b>;tag=1\nCSeq: 1 BYE\n\n");
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "callee BYE sent");
	CHECK(out.next_hop == ip4("10.0.0.1"), "to the next Route (loose routing)");
	expect_text(mask_branch(check_out(&fb.f, "10.0.0.1", 5060), br),
		    "BYE sip:alice@" CLIENT ":5062 SIP/2.0\n"
		    "Via: SIP/2.0/UDP " VIP ":5060;branch=" SLB_BRANCH_PREFIX "X\n"
		    "Via: SIP/2.0/UDP 192.0.2.23:5060;branch=z9hG4bK77\n"
		    "Route: <sip:10.0.0.1;lr>\n"
		    "Max-Forwards: 69\n"
		    "Call-ID: c\nTo: <sip:a@a>;tag=2\nFrom: <sip:bob@b>;tag=1\nCSeq: 1 BYE\n\n",
		    "callee BYE: our Route value removed, the next one kept, no backend id in "
		    "the branch");
}

static void test_replies(void)
{
	struct frame_buf fb;
	struct slb_out out;

	make_frame(&fb, CLIENT, 5070, VIP, 5060,
		   "OPTIONS sip:x@" VIP " SIP/2.0\n"
		   "Via: SIP/2.0/UDP " CLIENT ":5072;branch=z9hG4bKmf0\n"
		   "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKfirst\n"
		   "Max-Forwards: 0\nFrom: <sip:a@a>;tag=f\nTo: <sip:x@y>\n"
		   "Call-ID: mf0\nCSeq: 7 OPTIONS\nAccept: application/sdp\n\n");
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "483 sent");
	char want[1024];
	char tag[17];
	snprintf(tag, sizeof(tag), "%016llx",
		 (unsigned long long)slb_callid_hash((const uint8_t *)"mf0", 3, view.branch_seed));
	snprintf(want, sizeof(want),
		 "SIP/2.0 483 Too Many Hops\n"
		 "Via: SIP/2.0/UDP " CLIENT ":5072;branch=z9hG4bKmf0\n"
		 "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKfirst\n"
		 "From: <sip:a@a>;tag=f\nTo: <sip:x@y>;tag=slb%s\n"
		 "Call-ID: mf0\nCSeq: 7 OPTIONS\nContent-Length: 0\n\n", tag);
	expect_text(check_out(&fb.f, CLIENT, 5072), want, "483 to the sent-by port");
	CHECK(stats.replies[SLB_REPLY_483] == 1, "483 counted");

	/* no backend up: 503 with Retry-After, to the source port (rport) */
	state.pools[0].table_size = 0;
	make_frame(&fb, CLIENT, 5070, VIP, 5060,
		   "INVITE sip:x@y SIP/2.0\nVia: SIP/2.0/UDP " CLIENT ":5072;rport;branch=z9hG4bKn\n"
		   "From: <sip:a@a>;tag=f\nTo: <sip:x@y>;tag=t\nCall-ID: nb\nCSeq: 1 INVITE\n"
		   "Content-Length: 0\n\n");
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "503 sent");
	expect_text(check_out(&fb.f, CLIENT, 5070),
		    "SIP/2.0 503 Service Unavailable\n"
		    "Via: SIP/2.0/UDP " CLIENT ":5072;rport=5070;branch=z9hG4bKn;received=" CLIENT "\n"
		    "From: <sip:a@a>;tag=f\nTo: <sip:x@y>;tag=t\nCall-ID: nb\nCSeq: 1 INVITE\n"
		    "Retry-After: 5\nContent-Length: 0\n\n", "503 with Retry-After, to the source port; Via as received (RFC 3581 §4)");
	state.pools[0].table_size = 65537;
}

/* RFC 5626 keep-alives: a STUN Binding request on the VIP is answered to
 * its source, with the source as XOR-MAPPED-ADDRESS; one with an attribute
 * the server must understand is dropped as SIP that does not parse. */
static void test_stun_keepalive(void)
{
	static const uint8_t req[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2,
					 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	static const uint8_t ice[28] = { 0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 1, 2,
					 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x00, 0x06, 0x00, 0x04,
					 'u', 's', 'e', 'r' };
	struct frame_buf fb;
	struct slb_out out;
	uint64_t keepalives = stats.keepalives, malformed = stats.drops[SLB_DROP_MALFORMED];
	uint32_t a = ip4(CLIENT) ^ htonl(0x2112a442);
	uint16_t pt = htons(5070 ^ 0x2112);
	uint8_t *d = fb.mem + HEADROOM;

	uint32_t len = test_udp_frame(d, CLIENT, 5070, VIP, 5060, 0, 0, req, sizeof(req));
	fb.f = (struct slb_frame){ d, (uint16_t)len, HEADROOM,
				   (uint16_t)(sizeof(fb.mem) - HEADROOM - len), false };
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "STUN Binding answered");
	check_out(&fb.f, CLIENT, 5070);
	CHECK(fb.f.len == 42 + 32 && !memcmp(d + 42, "\x01\x01\x00\x0c\x21\x12\xa4\x42", 8) &&
	      !memcmp(d + 50, req + 8, 12) && !memcmp(d + 62, "\x00\x20\x00\x08\x00\x01", 6) &&
	      !memcmp(d + 68, &pt, 2) && !memcmp(d + 70, &a, 4),
	      "to its source: Binding success, its transaction ID, the source as XOR-MAPPED-ADDRESS");
	CHECK(stats.keepalives == keepalives + 1, "counted as a keep-alive");

	len = test_udp_frame(d, CLIENT, 5070, VIP, 5060, 0, 0, ice, sizeof(ice));
	fb.f = (struct slb_frame){ d, (uint16_t)len, HEADROOM,
				   (uint16_t)(sizeof(fb.mem) - HEADROOM - len), false };
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_DROP &&
	      stats.drops[SLB_DROP_MALFORMED] == malformed + 1 && stats.keepalives == keepalives + 1,
	      "a Binding request with USERNAME (an ICE check) is not answered: malformed");
}

static void test_drops(void)
{
	struct frame_buf fb, before;
	struct slb_out out;

	make_frame(&fb, CLIENT, 5062, VIP, 5060, "INVITE sip:x SIP/2.0\nVia: x\n\n");
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_DROP, "malformed dropped");
	CHECK(stats.sip_reasons[SLB_SIP_ERR_BAD_VIA] == 1, "counted by scanner reason");
	make_frame(&fb, CLIENT, 5062, "192.0.2.200", 5060, invite);
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_DROP, "not a VIP");
	CHECK(stats.drops[SLB_DROP_NOT_SIP] == 1, "counted as not SIP");
	make_frame(&fb, CLIENT, 5062, VIP, 5060, "\n\n");
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_DROP && stats.keepalives == 1,
	      "keep-alive counted");
	/* no room on either side: dropped and counted as such, not as sent; the
	 * frame where, as long and as it was, Max-Forwards included */
	make_frame(&fb, CLIENT, 5062, VIP, 5060, invite);
	fb.f.headroom = 10;
	fb.f.tailroom = 10;
	memcpy(&before, &fb, sizeof(fb));
	struct slb_lcore_stats counted = stats;
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_DROP &&
	      stats.drops[SLB_DROP_NO_ROOM] == 1, "no room");
	CHECK(!memcmp(&before, &fb, sizeof(fb)), "no room: the frame's bytes, place and length");
	CHECK(!memcmp(counted.backend_tx, stats.backend_tx, sizeof(stats.backend_tx)),
	      "no room: not counted as sent to a backend");
	/* room only at the tail: the tail moves instead */
	make_frame(&fb, CLIENT, 5062, VIP, 5060, invite);
	fb.f.headroom = 0;
	uint8_t *start = fb.f.data;
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND && fb.f.data == start,
	      "tail side used when the head has no room");
	check_out(&fb.f, backend_addr[maglev_choice("3848276298220188511@atlanta.example.com")],
		  5060);
}

/* A UDP checksum that is wrong drops the datagram; a right one, or none
 * (0), passes; so does a wrong one the port says it checked. */
static void test_checksum(void)
{
	struct frame_buf fb;
	struct slb_out out;
	uint8_t *udp;
	uint16_t sum;

	make_frame(&fb, CLIENT, 5062, VIP, 5060, invite);
	udp = fb.f.data + 34;
	sum = htons((uint16_t)~ref_udp_sum(fb.f.data, fb.f.len - 34u));
	memcpy(udp + 6, &sum, 2);
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "right checksum");
	make_frame(&fb, CLIENT, 5062, VIP, 5060, invite);
	memcpy(fb.f.data + 40, &sum, 2);
	fb.f.data[60] ^= 1; /* a bit flipped in the SIP text */
	uint64_t before = stats.drops[SLB_DROP_BAD_CHECKSUM];
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_DROP &&
	      stats.drops[SLB_DROP_BAD_CHECKSUM] == before + 1, "corrupted datagram dropped");
	make_frame(&fb, CLIENT, 5062, VIP, 5060, invite);
	memcpy(fb.f.data + 40, &sum, 2);
	fb.f.data[60] ^= 1;
	fb.f.l4_cksum_good = true;
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND,
	      "the port's verdict is trusted");
}

/* With the pool's seed the MAC's (0, the default), one Call-ID hash serves
 * Maglev and the MAC: the backend is the table's for it and the
 * response proves the branch. */
static void test_seed_zero(void)
{
	struct frame_buf fb;
	struct slb_out out;
	char text[2048], resp[2048];
	uint64_t h = slb_callid_hash((const uint8_t *)"3848276298220188511@atlanta.example.com",
				     39, 0);
	int be = (int)tables[h % 65537];

	state.pools[0].seed = 0;
	make_frame(&fb, CLIENT, 5062, VIP, 5060, invite);
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND &&
	      out.next_hop == ip4(backend_addr[be]), "seed 0: to the table's backend %d", be);
	snprintf(text, sizeof(text), "%.*s", (int)(fb.f.len - 42u), (const char *)fb.f.data + 42);
	answer(resp, sizeof(resp), text, "SIP/2.0 200 OK");
	CHECK(respond_from(backend_addr[be], resp, &fb) == SLB_ACTION_SEND,
	      "seed 0: the response proves the branch");
	state.pools[0].seed = 1;
}

/* fb's UDP checksum filled in (0 would say none: 0xffff instead). */
static void put_udp_sum(struct frame_buf *fb)
{
	uint16_t sum = (uint16_t)~ref_udp_sum(fb->f.data, fb->f.len - 34u);

	sum = htons(sum ? sum : 0xffff);
	memcpy(fb->f.data + 40, &sum, 2);
}

/* The frame siplb-dp sends for text from src:sport to the VIP, which
 * carries no checksum (how 0), one (1), or one the port verified (2). */
static struct slb_frame sent_for(struct frame_buf *fb, const char *src, uint16_t sport,
				 const char *text, int how)
{
	struct slb_out out;

	make_frame(fb, src, sport, VIP, 5060, text);
	if (how)
		put_udp_sum(fb);
	fb->f.l4_cksum_good = how == 2;
	CHECK(slb_proxy_handle(&view, &fb->f, &out) == SLB_ACTION_SEND && !out.cksum_offload,
	      "sent, summed here (%d)", how);
	CHECK(ref_udp_sum(fb->f.data, fb->f.len - 34u) == 0xffff, "UDP checksum (%d)", how);
	return fb->f;
}

/*
 * The rewrite updates a received checksum (RFC 1624) instead of summing the
 * datagram again: what it sends is byte for byte what a full sum gives
 * (a datagram without a checksum gets one), for requests whose edits
 * shift the message by odd and by even counts, and for a response.
 */
static void test_checksum_update(void)
{
	static const uint16_t sports[] = { 5062, 506, 50620, 6 };
	struct frame_buf fb[3];
	char resp[2048], lf[2048];
	int grew[2] = { 0, 0 }, be = maglev_choice("3848276298220188511@atlanta.example.com");

	for (size_t i = 0; i < sizeof(sports) / sizeof(sports[0]); i++) {
		struct slb_frame f[3];

		for (int how = 0; how < 3; how++)
			f[how] = sent_for(&fb[how], CLIENT, sports[i], invite, how);
		CHECK(f[0].len == f[1].len && f[0].len == f[2].len &&
		      !memcmp(f[0].data, f[1].data, f[0].len) &&
		      !memcmp(f[0].data, f[2].data, f[0].len), "port %u: the same frame", sports[i]);
		grew[(f[0].len - 42 - crlf(lf, invite)) & 1]++;
	}
	CHECK(grew[0] && grew[1], "odd (%d) and even (%d) growth", grew[1], grew[0]);

	answer(resp, sizeof(resp), forward(CLIENT, 5062, invite), "SIP/2.0 200 OK");
	size_t n = 0;
	for (const char *t = resp; *t; t++)
		if (*t != '\r')
			lf[n++] = *t;
	lf[n] = 0;
	for (int how = 0; how < 3; how++)
		sent_for(&fb[how], backend_addr[be], 5060, lf, how);
	CHECK(fb[0].f.len == fb[1].f.len && !memcmp(fb[0].f.data, fb[1].f.data, fb[0].f.len) &&
	      !memcmp(fb[0].f.data, fb[2].f.data, fb[0].f.len), "response: the same frame");
}

/* A datagram whose new sum is all ones gets the checksum 0xffff, not 0
 * (RFC 768): the body's last two bytes chosen to make it so (a tweak of
 * the first until they are text crlf() leaves alone). */
static void test_checksum_ones(void)
{
	char text[2048];
	struct frame_buf fb;
	int head = (int)(strlen(invite) - strlen("Content-Length: 0\n\n"));

	for (char tweak = 'A'; tweak <= 'Z'; tweak++) {
		int n = snprintf(text, sizeof(text), "%.*sContent-Length: 4\n\n%cXAB", head, invite,
				 tweak);
		struct slb_frame f = sent_for(&fb, CLIENT, 5062, text, 0);
		const uint8_t *b = f.data + f.len - 2;
		uint32_t odd = (f.len - 2 - 34) & 1, check = (uint32_t)(f.data[40] << 8 | f.data[41]);
		/* the pair's word, as it counts, plus the checksum: a sum of all ones */
		uint32_t v = (odd ? (uint32_t)(b[1] << 8 | b[0]) : (uint32_t)(b[0] << 8 | b[1])) + check;
		v = v > 0xffff ? v - 0xffff : v;
		char b0 = (char)(odd ? v : v >> 8), b1 = (char)(odd ? v >> 8 : v);

		if (!b0 || !b1 || b0 == '\n' || b1 == '\n')
			continue;
		text[n - 2] = b0;
		text[n - 1] = b1;
		for (int how = 0; how < 3; how++) {
			f = sent_for(&fb, CLIENT, 5062, text, how);
			CHECK(f.data[40] == 0xff && f.data[41] == 0xff, "all ones sent as 0xffff (%d)",
			      how);
		}
		return;
	}
	CHECK(0, "no body made the sum all ones");
}

/*
 * A request's rewrite built in place at its head (the usual request: no
 * Route of ours, received new, rport absent or last) gives the bytes of
 * the edit list's path (view.edit_list_only, the sender's marks made
 * anew where the other keeps them per source), with room enough before
 * the frame, too little (the rest after the Via's marks moves toward the
 * tail by what is left) and none: Vias whose marks are one edit, none, or
 * two; Max-Forwards after the Via, before it, absent, or one digit;
 * sources and ports of every parity of growth, two of one slot of the
 * worker's; with and without Record-Route; each datagram without a
 * checksum, with one, and with one the port verified.
 */
static void test_head_in_place(void)
{
	static const char *const vias[] = {
		"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9;rport",
		"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9;rport=5062",
		"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9",
		"Via: SIP/2.0/UDP client.example.com:5062;branch=z9hG4bK74bf9",
		"Via: SIP/2.0/UDP client.example.com;branch=z9hG4bK74bf9;rport",
		"Via: SIP/2.0/UDP " CLIENT ":5062;rport;branch=z9hG4bK74bf9",
		"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9;received=10.1.1.1",
		"v: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9;rport ;x=1",
		"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9;rport, SIP/2.0/UDP 10.9.9.9",
	};
	static const char *const mfs[][2] = { { "", "Max-Forwards: 70\n" },
					      { "Max-Forwards: 70\n", "" },
					      { "", "" },
					      { "", "Max-Forwards: 1\n" } };
	static const struct { const char *addr; uint16_t port; } srcs[] = {
		{ CLIENT, 5062 }, { "10.0.0.1", 6 }, { "198.51.100.1", 50620 }, { CLIENT, 506 },
		{ "198.51.100.168", 5062 }, /* the slot of the first: each takes it over */
	};
	for (size_t v = 0; v < sizeof(vias) / sizeof(vias[0]); v++)
	for (size_t m = 0; m < sizeof(mfs) / sizeof(mfs[0]); m++)
	for (size_t s = 0; s < sizeof(srcs) / sizeof(srcs[0]); s++)
	for (int rr = 0; rr < 2; rr++)
	for (int how = 0; how < 3; how++)
	for (int hr = 0; hr < 3; hr++) {
		char text[2048];
		struct frame_buf fb[2];
		struct slb_out out[2];

		snprintf(text, sizeof(text),
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n%s%s\n%s"
			 "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
			 "To: Bob <sip:bob@biloxi.example.com>\n"
			 "Call-ID: 3848276298220188511@atlanta.example.com\n"
			 "CSeq: 1 INVITE\n"
			 "Content-Length: 0\n\n",
			 mfs[m][0], vias[v], mfs[m][1]);
		state.vips[0].flags = rr ? SLB_VIP_RECORD_ROUTE : 0;
		for (int k = 0; k < 2; k++) {
			make_frame(&fb[k], srcs[s].addr, srcs[s].port, VIP, 5060, text);
			if (how)
				put_udp_sum(&fb[k]);
			fb[k].f.l4_cksum_good = how == 2;
			view.edit_list_only = k;
			view.senders = k ? NULL : senders; /* the marks kept, and made anew */
			fb[k].f.headroom = (uint32_t[]){ 0, 64, HEADROOM }[hr]; /* 0: all toward the tail */
			CHECK(slb_proxy_handle(&view, &fb[k].f, &out[k]) == SLB_ACTION_SEND,
			      "sent (via %zu, mf %zu, src %zu, rr %d, %d)", v, m, s, rr, k);
		}
		view.edit_list_only = false;
		view.senders = senders;
		CHECK(fb[0].f.len == fb[1].f.len && !memcmp(fb[0].f.data, fb[1].f.data, fb[0].f.len) &&
		      out[0].next_hop == out[1].next_hop,
		      "via %zu, mf %zu, src %zu, rr %d, checksum %d, headroom %d: the same frame", v,
		      m, s, rr, how, hr);
		CHECK(ref_udp_sum(fb[0].f.data, fb[0].f.len - 34u) == 0xffff,
		      "via %zu, mf %zu, src %zu, rr %d, checksum %d, headroom %d: UDP checksum", v,
		      m, s, rr, how, hr);
	}
	state.vips[0].flags = SLB_VIP_RECORD_ROUTE;
}

/*
 * A burst (slb_proxy_handle_burst), which leaves the usual requests' MACs
 * to the end and then writes them and adds them to the UDP checksums,
 * sends each frame byte for byte as slb_proxy_handle does alone: more
 * than SLB_PROXY_BURST of them, their MAC's digits at odd and at even
 * offsets, each datagram without a checksum, with one and with one the
 * port verified, the port summing what it sends or not, one fragmented,
 * one taking the edit list's path (a Via marked twice).
 */
static void test_burst_macs(void)
{
	enum { N = SLB_PROXY_BURST + 9 };
	static struct frame_buf one[N], many[N];
	struct slb_frame f[N];
	struct slb_out out_one[N], out_many[N];
	enum slb_action act_one[N], act_many[N];
	int parity[2] = { 0, 0 }, bad = 0;

	for (int offload = 0; offload < 2; offload++) {
		view.udp_cksum_offload = offload;
		for (unsigned i = 0; i < N; i++) {
			char text[2048], user[16];

			snprintf(user, sizeof(user), "%.*s", (int)(1 + i % 3), "bob");
			snprintf(text, sizeof(text),
				 "INVITE sip:%s@biloxi.example.com SIP/2.0\n"
				 "Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK%u;%s\n"
				 "Max-Forwards: 70\nCall-ID: burst-%u@atlanta.example.com\n"
				 "From: <sip:a@b>;tag=1\nTo: <sip:%s@c>\nCSeq: 1 INVITE\n"
				 "Content-Length: %d\n\n%*s",
				 user, i, i == 5 ? "received=10.0.0.1;x" : "rport", i, user,
				 i == 7 ? 1200 : 0, i == 7 ? 1200 : 0, "");
			for (int k = 0; k < 2; k++) {
				struct frame_buf *fb = k ? &many[i] : &one[i];

				make_frame(fb, CLIENT, (uint16_t)(5062 + i), VIP, 5060, text);
				if (i % 3)
					put_udp_sum(fb);
				fb->f.l4_cksum_good = i % 3 == 2;
				fb->f.headroom = i % 2 ? 64 : HEADROOM;
			}
			act_one[i] = slb_proxy_handle(&view, &one[i].f, &out_one[i]);
			f[i] = many[i].f;
			parity[(strstr((char *)one[i].f.data + 42, ";branch=z9hG4bKslb") -
				(char *)one[i].f.data) & 1]++;
		}
		slb_proxy_handle_burst(&view, f, N, out_many, act_many);
		for (unsigned i = 0; i < N; i++) {
			bool eq = act_one[i] == act_many[i] && f[i].len == one[i].f.len &&
				  !memcmp(f[i].data, one[i].f.data, f[i].len) &&
				  out_one[i].cksum_offload == out_many[i].cksum_offload &&
				  out_one[i].fragment == out_many[i].fragment;

			bad += !eq;
			CHECK(eq, "frame %u, offload %d: the burst's (action %d) as alone (%d)", i,
			      offload, act_many[i], act_one[i]);
			if (act_one[i] == SLB_ACTION_SEND && !offload && !out_one[i].fragment)
				CHECK(ref_udp_sum(f[i].data, f[i].len - 34u) == 0xffff,
				      "frame %u: UDP checksum", i);
		}
	}
	view.udp_cksum_offload = false;
	CHECK(!bad && parity[0] && parity[1], "%d frames differ; MACs at even (%d) and odd (%d) offsets",
	      bad, parity[0], parity[1]);
}

/* The text of our Via and Record-Route the proxy keeps per VIP follows
 * the VIP when a new generation moves it to another address or port. */
static void test_vip_moved(void)
{
	struct frame_buf fb;
	struct slb_out out;
	const struct { const char *addr; uint16_t port; const char *via, *rr; } vips[] = {
		{ "192.0.2.101", 5070, "Via: SIP/2.0/UDP 192.0.2.101:5070;branch=",
		  "Record-Route: <sip:192.0.2.101:5070;lr;slb=" },
		{ VIP, 5060, "Via: SIP/2.0/UDP " VIP ":5060;branch=",
		  "Record-Route: <sip:" VIP ":5060;lr;slb=" },
	};

	for (size_t i = 0; i < sizeof(vips) / sizeof(vips[0]); i++) {
		state.vips[0].addr = ip4(vips[i].addr);
		state.vips[0].port = htons(vips[i].port);
		snprintf(state.vips[0].host, sizeof(state.vips[0].host), "%s", vips[i].addr);
		make_frame(&fb, CLIENT, 5062, vips[i].addr, vips[i].port, invite);
		CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "sent to %s:%u",
		      vips[i].addr, vips[i].port);
		char text[2048];
		size_t n = fb.f.len - 42u;
		memcpy(text, fb.f.data + 42, n);
		text[n] = 0;
		CHECK(strstr(text, vips[i].via) && strstr(text, vips[i].rr),
		      "our Via and Record-Route name %s:%u:\n%s", vips[i].addr, vips[i].port, text);
	}
}

int main(void)
{
	setup_state();
	test_invite();
	test_vip_moved();
	test_response();
	test_response_counters();
	test_forged_responses();
	test_key_rotation();
	test_checksum();
	test_checksum_update();
	test_checksum_ones();
	test_burst_macs();
	test_head_in_place();
	test_seed_zero();
	test_in_dialog();
	test_replies();
	test_drops();
	test_stun_keepalive();
	return check_summary();
}
