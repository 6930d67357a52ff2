/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proxy-mode rewrite rules on plain buffers: each case builds an Ethernet
 * frame, runs slb_proxy_handle() and checks the verdict, the next hop and
 * the exact SIP bytes that come out, plus the IPv4 and UDP checksums.
 */
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

#define HEADROOM 256
#define TAILROOM 512
#define VIP "192.0.2.100"
#define CLIENT "198.51.100.10"

static int failures, checks;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		checks++;                                                      \
		if (!(cond)) {                                                 \
			failures++;                                            \
			printf("FAIL %s:%d: ", __func__, __LINE__);            \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

static struct slb_state state;
static uint32_t tables[3 * 65537];
static struct slb_lcore_stats stats;
static struct slb_proxy_view view = { &state, tables, &stats, 0x5eed, false, 1500 };
static const char *const backend_addr[3] = { "192.0.2.21", "192.0.2.22", "192.0.2.23" };

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

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
	struct ethhdr eth = { .h_proto = htons(ETH_P_IP) };
	struct iphdr ip = { .version = 4, .ihl = 5, .ttl = 63, .protocol = IPPROTO_UDP };
	struct udphdr udp = { .source = htons(sport), .dest = htons(dport) };

	ip.saddr = ip4(src);
	ip.daddr = ip4(dst);
	ip.tot_len = htons((uint16_t)(sizeof(ip) + sizeof(udp) + n));
	udp.len = htons((uint16_t)(sizeof(udp) + n));
	memcpy(d, &eth, sizeof(eth));
	memcpy(d + 14, &ip, sizeof(ip));
	memcpy(d + 34, &udp, sizeof(udp));
	memcpy(d + 42, sipbuf, n);
	fb->f = (struct slb_frame){ d, (uint16_t)(42 + n), HEADROOM,
				    (uint16_t)(sizeof(fb->mem) - HEADROOM - 42 - n) };
}

/* Independent checksum: 16-bit big-endian words. */
static uint16_t ref_sum(const uint8_t *b, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
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
	uint32_t ph = (ntohl(ip.saddr) >> 16) + (ntohl(ip.saddr) & 0xffff) +
		      (ntohl(ip.daddr) >> 16) + (ntohl(ip.daddr) & 0xffff) + IPPROTO_UDP +
		      ntohs(udp.len);
	CHECK(ref_sum(f->data + 34, f->len - 34, ph) == 0xffff, "UDP checksum");
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

/* Replaces the 16 hex digits after our branch prefix with "X". */
static const char *mask_branch(const char *text, char *branch_out)
{
	static char out[2048];
	const char *b = strstr(text, SLB_BRANCH_PREFIX);

	if (!b)
		return text;
	b += strlen(SLB_BRANCH_PREFIX);
	memcpy(branch_out, b, 16);
	branch_out[16] = 0;
	snprintf(out, sizeof(out), "%.*sX%s", (int)(b - text), text, b + 16);
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
	char br1[17], br2[17];
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
}

static void test_response(void)
{
	struct frame_buf fb;
	struct slb_out out;
	static const char client_view[] =
		"SIP/2.0 200 OK\n"
		"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK74bf9;rport=5062;received=" CLIENT "\n"
		"Record-Route: <sip:" VIP ":5060;lr;slb=1>\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\n"
		"CSeq: 1 INVITE\n"
		"Content-Length: 0\n\n";
	char text[2048];

	snprintf(text, sizeof(text), "SIP/2.0 200 OK\n"
		 "Via: SIP/2.0/UDP " VIP ":5060;branch=" SLB_BRANCH_PREFIX "0123456789abcdef-1\n%s",
		 strchr(client_view, '\n') + 1);
	make_frame(&fb, backend_addr[1], 5060, VIP, 5060, text);
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "200 relayed");
	CHECK(out.next_hop == ip4(CLIENT), "to the client");
	expect_text(check_out(&fb.f, CLIENT, 5062), client_view, "200 OK to the client");

	/* comma-separated: only our value goes */
	snprintf(text, sizeof(text), "SIP/2.0 180 Ringing\n"
		 "Via: SIP/2.0/UDP " VIP ":5060;branch=" SLB_BRANCH_PREFIX "0123456789abcdef-1, "
		 "SIP/2.0/UDP " CLIENT ";branch=z9hG4bKa\n"
		 "Call-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n");
	make_frame(&fb, backend_addr[1], 5060, VIP, 5060, text);
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "180 relayed");
	expect_text(check_out(&fb.f, CLIENT, 5060),
		    "SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP " CLIENT ";branch=z9hG4bKa\n"
		    "Call-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n",
		    "comma-separated Via removed, port 5060 by default");

	/* not ours: dropped and counted */
	uint64_t before = stats.drops[SLB_DROP_NOT_OURS];
	make_frame(&fb, backend_addr[1], 5060, VIP, 5060,
		   "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKslb1\n"
		   "Via: SIP/2.0/UDP " CLIENT ";branch=z9hG4bKa\nCall-ID: x\nCSeq: 1 BYE\n\n");
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_DROP, "foreign Via dropped");
	CHECK(stats.drops[SLB_DROP_NOT_OURS] == before + 1, "counted as not ours");
}

/* A response to siplb's Via with branch suffix id (NULL: none) and status. */
static void respond(const char *id, unsigned status)
{
	struct frame_buf fb;
	struct slb_out out;
	char text[512];

	snprintf(text, sizeof(text), "SIP/2.0 %u X\n"
		 "Via: SIP/2.0/UDP " VIP ":5060;branch=" SLB_BRANCH_PREFIX "0123456789abcdef%s%s\n"
		 "Via: SIP/2.0/UDP " CLIENT ";branch=z9hG4bKa\nCall-ID: x\nCSeq: 1 INVITE\n\n",
		 status, id ? "-" : "", id ? id : "");
	make_frame(&fb, backend_addr[0], 5060, VIP, 5060, text);
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND, "%u relayed", status);
}

/* Passive health's counters: responses, finals and 503s per backend, by
 * the id in the branch (not by the source, backend_addr[0] throughout). */
static void test_response_counters(void)
{
	struct slb_backend_rx before[3];

	memset(&stats.backend_rx, 0, sizeof(stats.backend_rx));
	respond("2", 100);
	respond("2", 180);
	respond("2", 200);
	respond("2", 503);
	respond("1", 503);
	CHECK(stats.backend_rx[2].responses == 4 && stats.backend_rx[2].finals == 2 &&
	      stats.backend_rx[2].r503 == 1, "backend 2: 4 responses, 2 final, 1 503 (%llu %llu %llu)",
	      (unsigned long long)stats.backend_rx[2].responses,
	      (unsigned long long)stats.backend_rx[2].finals,
	      (unsigned long long)stats.backend_rx[2].r503);
	CHECK(stats.backend_rx[1].responses == 1 && stats.backend_rx[1].finals == 1 &&
	      stats.backend_rx[1].r503 == 1, "backend 1: one 503");
	CHECK(stats.backend_rx[0].responses == 0, "the source address does not count");
	/* no id (a response to a request relayed from a backend), an id this
	 * generation does not have, not a number: relayed, counted for nobody */
	memcpy(before, stats.backend_rx, sizeof(before));
	respond(NULL, 200);
	respond("3", 200);
	respond("99999999999", 200);
	respond("1x", 200);
	respond("", 200);
	CHECK(!memcmp(before, stats.backend_rx, sizeof(before)) &&
	      stats.backend_rx[3].responses == 0, "no count without a backend of ours");
}

static void test_in_dialog(void)
{
	struct frame_buf fb;
	struct slb_out out;
	char br[17];

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

static void test_drops(void)
{
	struct frame_buf fb;
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
	/* no room on either side: dropped, frame untouched */
	make_frame(&fb, CLIENT, 5062, VIP, 5060, invite);
	fb.f.headroom = 10;
	fb.f.tailroom = 10;
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_DROP &&
	      stats.drops[SLB_DROP_NO_ROOM] == 1, "no room");
	/* room only at the tail: the tail moves instead */
	make_frame(&fb, CLIENT, 5062, VIP, 5060, invite);
	fb.f.headroom = 0;
	uint8_t *start = fb.f.data;
	CHECK(slb_proxy_handle(&view, &fb.f, &out) == SLB_ACTION_SEND && fb.f.data == start,
	      "tail side used when the head has no room");
	check_out(&fb.f, backend_addr[maglev_choice("3848276298220188511@atlanta.example.com")],
		  5060);
}

int main(void)
{
	setup_state();
	test_invite();
	test_response();
	test_response_counters();
	test_in_dialog();
	test_replies();
	test_drops();
	printf("proxy: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
