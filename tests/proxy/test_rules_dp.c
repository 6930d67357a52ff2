/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing rules applied by the proxy (dataplane/sip_rules.c, docs/rules.md)
 * on real messages: configs/rules-dp.conf compiled as siplbd publishes it
 * (slb_rules_image_build), a state built from the same file, and
 * slb_proxy_handle on frames. One test per action: pool and the To user's
 * hash (two REGISTERs of one AoR with different Call-IDs on one registrar,
 * a retransmission on the same one), drop and its counters, reply 403/486
 * bytes, rates per source and per rule, the allow list; in-dialog requests
 * keep their backend but not past a drop; responses are not matched; a
 * CANCEL and an ACK follow their INVITE's rule; a burst does what each
 * frame alone does; a new generation resets the counters.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/callid_hash.h"
#include "siplb/config.h"
#include "siplb/maglev.h"
#include "siplb/proxy.h"
#include "siplb/rules_compile.h"
#include "sip_rules.h"
#include "test_frame.h"
#include "../check.h"

#define HEADROOM 256
#define TAILROOM 512
#define TABLE 251
#define SIP_VIP "192.0.2.100"
#define ALLOW_VIP "192.0.2.101"
#define PLAIN_VIP "192.0.2.102"
#define CLIENT "198.51.100.10"
#define SEC 1000000000ull

static struct slb_config cfg;
static struct slb_state state, empty;
static uint32_t tables[2 * TABLE];
static struct slb_lcore_stats stats;
static uint64_t counters[64];
static struct slb_rules_image image;
static struct slb_rules_cache *cache;
static struct slb_vip_text vip_text[SLB_MAX_VIPS];
static struct slb_proxy_view view = {.state = &state, .tables = tables, .stats = &stats,
				      .branch_seed = 0x5eed, .ip_mtu = 1500,
				      .vip_text = vip_text};

struct frame_buf {
	uint8_t mem[HEADROOM + 2048 + TAILROOM];
	struct slb_frame f;
};

/* The state of cfg, as publish.c makes it: backends numbered in order. */
static void build_state(void)
{
	uint32_t id = 0;
	char err[256];

	state.generation = 1;
	state.n_vips = cfg.n_vips;
	for (uint32_t v = 0; v < cfg.n_vips; v++) {
		state.vips[v] = (struct slb_vip){.addr = cfg.vips[v].a.v4,
						 .port = htons(cfg.vips[v].a.port),
						 .mode = SLB_MODE_PROXY, .flags = SLB_VIP_RECORD_ROUTE,
						 .pool = cfg.vips[v].pool, .family = AF_INET};
		slb_addr_format(&cfg.vips[v].a, SLB_ADDR_IP, state.vips[v].host,
				sizeof(state.vips[v].host));
	}
	state.n_pools = cfg.n_pools;
	state.branch_keys.n = 1;
	for (uint32_t p = 0; p < cfg.n_pools; p++) {
		const struct slb_config_pool *pool = &cfg.pools[p];
		struct slb_maglev_backend mb[8];
		char keys[8][SLB_ADDR_TEXT_LEN];

		state.pools[p] = (struct slb_pool){.table_off = p * TABLE, .table_size = TABLE};
		snprintf(state.pools[p].name, SLB_NAME_LEN, "%s", pool->name);
		for (uint32_t j = 0; j < pool->n_backends; j++, id++) {
			state.backends[id] = (struct slb_backend){
				.addr = pool->backends[j].a.v4, .port = htons(5060), .weight = 1,
				.state = SLB_BACKEND_UP, .family = AF_INET, .pool = p};
			slb_addr_format(&pool->backends[j].a, SLB_ADDR_ENDPOINT, keys[j],
					sizeof(keys[j]));
			mb[j] = (struct slb_maglev_backend){id, 1, keys[j], strlen(keys[j])};
		}
		CHECK(!slb_maglev_build(mb, pool->n_backends, TABLE, 0, tables + p * TABLE, err,
					sizeof(err)), "maglev: %s", err);
	}
	state.n_backends = id;
	const struct slb_rules_image_in in = {.cfg = &cfg, .active = &empty,
					      .capacity = 1 << 20, .counters = 64};
	CHECK(!slb_rules_image_build(&in, &state, &image, err, sizeof(err)), "rules: %s", err);
}

static void frame(struct frame_buf *fb, const char *src, uint16_t sport, const char *vip,
		  const char *text)
{
	size_t n = strlen(text);
	uint8_t *d = fb->mem + HEADROOM;

	test_udp_frame(d, src, sport, vip, 5060, 0, 0, text, n);
	fb->f = (struct slb_frame){d, (uint32_t)(42 + n), HEADROOM,
				   (uint32_t)(sizeof(fb->mem) - HEADROOM - 42 - n), false};
}

static enum slb_action handle(struct frame_buf *fb, const char *src, uint16_t sport,
			      const char *vip, const char *text, struct slb_out *out)
{
	frame(fb, src, sport, vip, text);
	return slb_proxy_handle(&view, &fb->f, out);
}

/* Where a request went: its destination address as text, or "drop". */
static const char *sent_to(const char *src, const char *vip, const char *text)
{
	static char where[INET_ADDRSTRLEN];
	struct frame_buf fb;
	struct slb_out out;

	if (handle(&fb, src, 5062, vip, text, &out) != SLB_ACTION_SEND)
		return "drop";
	inet_ntop(AF_INET, &out.next_hop, where, sizeof(where));
	return where;
}

/* The SIP text of what the request turned into (a response or a request). */
static const char *text_of(const char *src, const char *text, enum slb_action *action)
{
	static char sip[2048];
	static struct frame_buf fb;
	struct slb_out out;

	*action = handle(&fb, src, 5062, SIP_VIP, text, &out);
	snprintf(sip, sizeof(sip), "%.*s", (int)(fb.f.len - 42), (const char *)fb.f.data + 42);
	return sip;
}

static char msg[2048];

static const char *request(const char *method, const char *ruri, const char *to_user,
			   const char *call_id, const char *extra)
{
	snprintf(msg, sizeof(msg),
		 "%s %s SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bK%s;rport\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:%s@example.com>;tag=f1\r\n"
		 "To: <sip:%s@reg.example.com>\r\n"
		 "Call-ID: %s\r\n"
		 "CSeq: 1 %s\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n", method, ruri, call_id, to_user, to_user, call_id, method,
		 extra);
	return msg;
}

/* The registrar Maglev picks for key: what hashing on the To user means. */
static const char *registrar_for(const char *key)
{
	static char where[INET_ADDRSTRLEN];
	uint64_t h = slb_callid_hash((const uint8_t *)key, (uint32_t)strlen(key), 0);
	uint32_t id = tables[TABLE + h % TABLE];

	inet_ntop(AF_INET, &state.backends[id].addr, where, sizeof(where));
	return where;
}

static void test_pool_and_aor_hash(void)
{
	char first[INET_ADDRSTRLEN], again[INET_ADDRSTRLEN];
	int seen31 = 0, seen32 = 0;

	/* two REGISTERs of one AoR, different Call-IDs: one registrar */
	snprintf(first, sizeof(first), "%s",
		 sent_to(CLIENT, SIP_VIP, request("REGISTER", "sip:reg.example.com", "alice",
						  "reg-a-1", "")));
	CHECK(!strcmp(first, registrar_for("alice")), "alice to %s, Maglev says %s", first,
	      registrar_for("alice"));
	CHECK(!strcmp(sent_to(CLIENT, SIP_VIP, request("REGISTER", "sip:reg.example.com", "alice",
						       "reg-a-2-other-call-id", "")), first),
	      "the same AoR with another Call-ID: the same registrar");
	/* a retransmission: same bytes, same backend, same branch */
	enum slb_action a1, a2;
	char once[2048];

	snprintf(once, sizeof(once), "%s",
		 text_of(CLIENT, request("REGISTER", "sip:reg.example.com", "bob", "r-b", ""), &a1));
	CHECK(!strcmp(text_of(CLIENT, msg, &a2), once) && a1 == SLB_ACTION_SEND &&
	      a2 == SLB_ACTION_SEND, "a retransmission is forwarded the same, byte for byte");
	snprintf(again, sizeof(again), "%s", sent_to(CLIENT, SIP_VIP, msg));
	CHECK(!strcmp(again, registrar_for("bob")), "bob's retransmission to his registrar");
	/* many AoRs: both registrars, each where Maglev puts its To user */
	for (int i = 0; i < 40; i++) {
		char user[16], callid[16];
		const char *to;

		snprintf(user, sizeof(user), "user%d", i);
		snprintf(callid, sizeof(callid), "c%d", i);
		to = sent_to(CLIENT, SIP_VIP, request("REGISTER", "sip:reg.example.com", user, callid,
						      ""));
		CHECK(!strcmp(to, registrar_for(user)), "%s to %s", user, to);
		seen31 += !strcmp(to, "192.0.2.31");
		seen32 += !strcmp(to, "192.0.2.32");
	}
	CHECK(seen31 && seen32 && seen31 + seen32 == 40, "registrars only, both: %d %d", seen31,
	      seen32);
	/* a REGISTER for another domain is not rule 1's: the core pool */
	const char *to = sent_to(CLIENT, SIP_VIP, request("REGISTER", "sip:other.example.com",
							  "alice", "x1", ""));
	CHECK(!strncmp(to, "192.0.2.2", 9), "another domain: core, not %s", to);
	/* header:X-Tenant: hashed on the header's value, not the Call-ID */
	CHECK(!strcmp(sent_to(CLIENT, SIP_VIP, request("INVITE", "sip:x@y", "t", "t-1",
						       "X-Tenant: acme\r\n")),
		      registrar_for("acme")) &&
	      !strcmp(sent_to(CLIENT, SIP_VIP, request("INVITE", "sip:x@y", "t", "t-2-other",
						       "X-Tenant: acme\r\n")),
		      registrar_for("acme")), "X-Tenant: acme hashed on its value");
	CHECK(counters[1] == 45 && counters[6] == 2, "rule hits: %llu %llu",
	      (unsigned long long)counters[1], (unsigned long long)counters[6]);
}

static void test_drop(void)
{
	uint64_t before = stats.drops[SLB_DROP_RULE];

	CHECK(!strcmp(sent_to(CLIENT, SIP_VIP, request("INVITE", "sip:bob@x", "bob", "scan-1",
						       "User-Agent: friendly-scanner\r\n")), "drop"),
	      "a scanner's INVITE is dropped");
	CHECK(stats.drops[SLB_DROP_RULE] == before + 1 && counters[0] == 1,
	      "counted: drop reason rule, rule 0's hits");
	CHECK(strcmp(sent_to(CLIENT, SIP_VIP, request("INVITE", "sip:bob@x", "bob", "call-1",
						      "User-Agent: Linphone\r\n")), "drop"),
	      "another User-Agent is forwarded");
}

static void test_reply(void)
{
	enum slb_action a;
	const char *r = text_of(CLIENT, request("INVITE", "sip:19001234@x", "bob", "prem", ""), &a);

	CHECK(a == SLB_ACTION_SEND && !strncmp(r, "SIP/2.0 403 Premium barred\r\nVia: SIP/2.0/UDP "
					       CLIENT ":5062;branch=z9hG4bKprem;rport=5062", 93) &&
	      strstr(r, "\r\nCall-ID: prem\r\n") && strstr(r, "\r\nCSeq: 1 INVITE\r\n") &&
	      !strstr(r, "Retry-After") && strstr(r, "\r\nContent-Length: 0\r\n\r\n"),
	      "403 with the rule's reason: %s", r);
	CHECK(stats.replies[SLB_REPLY_RULE] == 1 && counters[2] == 1, "counted as a rule reply");
	r = text_of(CLIENT, request("INVITE", "sip:busy@x", "bob", "b1", ""), &a);
	CHECK(a == SLB_ACTION_SEND && !strncmp(r, "SIP/2.0 486 Busy Here\r\n", 23),
	      "no reason: the standard phrase: %s", r);
	r = text_of(CLIENT, request("ACK", "sip:busy@x", "bob", "b1", ""), &a);
	CHECK(a == SLB_ACTION_DROP, "an ACK is never answered");
}

static void sync_at(struct slb_rules_worker *w, uint64_t now)
{
	char err[256];

	CHECK(!slb_rules_worker_sync(w, &state, image.bytes, (uint32_t)image.len, now, err,
				     sizeof(err)), "sync: %s", err);
}

static void test_rates(struct slb_rules_worker *w)
{
	enum slb_action a;
	const char *r;
	int passed = 0;

	/* OPTIONS: 3 at once per source, then 503 with Retry-After */
	for (int i = 0; i < 5; i++) {
		r = text_of(CLIENT, request("OPTIONS", "sip:x@y", "o", "opt", ""), &a);
		passed += a == SLB_ACTION_SEND && strncmp(r, "SIP/2.0 ", 8);
	}
	CHECK(passed == 3 && !strncmp(r, "SIP/2.0 503 Service Unavailable\r\n", 33) &&
	      strstr(r, "\r\nRetry-After: 5\r\n") && stats.replies[SLB_REPLY_RULE_RATE] == 2,
	      "burst 3 per source, then 503: %d passed, %s", passed, r);
	CHECK(strcmp(sent_to("198.51.100.11", SIP_VIP, request("OPTIONS", "sip:x@y", "o", "o2", "")),
		     "drop") && !strncmp(text_of("198.51.100.11", msg, &a), "OPTIONS", 7),
	      "another source has its own bucket");
	sync_at(w, 10 * SEC + SEC / 10); /* 100 ms later: one more (10/s) */
	CHECK(!strncmp(text_of(CLIENT, request("OPTIONS", "sip:x@y", "o", "o3", ""), &a),
		       "OPTIONS", 7), "a token back after 100 ms");
	CHECK(!strncmp(text_of(CLIENT, msg, &a), "SIP/2.0 503", 11), "and only one");
	CHECK(counters[4] == 9, "rate-only rule hits: %llu", (unsigned long long)counters[4]);

	/* SUBSCRIBE: 1/s per rule, whatever the source, over it dropped */
	uint64_t before = stats.drops[SLB_DROP_RULE_RATE];
	CHECK(strncmp(sent_to(CLIENT, SIP_VIP, request("SUBSCRIBE", "sip:x@y", "s", "s1", "")),
		      "192.0.2.3", 9) == 0, "first SUBSCRIBE to the registrars");
	CHECK(!strcmp(sent_to("203.0.113.9", SIP_VIP, request("SUBSCRIBE", "sip:x@y", "s", "s2",
							      "")), "drop") &&
	      stats.drops[SLB_DROP_RULE_RATE] == before + 1, "the second, from elsewhere, dropped");
}

/* A flood of spoofed sources: the table stays its size, entries replaced. */
static void test_spoofed_flood(struct slb_rules_worker *w)
{
	struct frame_buf fb;
	struct slb_out out;
	char src[INET_ADDRSTRLEN];
	int sent = 0;

	sync_at(w, 20 * SEC);
	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t a = htonl(0xc6336400u + i); /* 198.51.100.0 + i */

		inet_ntop(AF_INET, &a, src, sizeof(src));
		sent += handle(&fb, src, 5062, SIP_VIP,
			       request("OPTIONS", "sip:x@y", "o", "flood", ""), &out) ==
			SLB_ACTION_SEND;
	}
	CHECK(sent == 20000, "each new source gets its burst (%d sent)", sent);
	/* the table forgot most of them (4096 entries): a source of the flood
	 * is limited again only while its entry lasts, and the last ones do */
	for (int i = 0; i < 3; i++)
		handle(&fb, src, 5062, SIP_VIP, request("OPTIONS", "sip:x@y", "o", "again", ""),
		       &out);
	enum slb_action a;
	CHECK(!strncmp(text_of(src, msg, &a), "SIP/2.0 503", 11),
	      "the flood's last source is still limited: its entry was kept");
}

static void test_allow_list(void)
{
	uint64_t before = stats.drops[SLB_DROP_NOT_ALLOWED];

	CHECK(strcmp(sent_to(CLIENT, ALLOW_VIP, request("INVITE", "sip:a@b", "a", "al1", "")),
		     "drop"), "a listed source gets in");
	CHECK(!strcmp(sent_to("203.0.113.5", ALLOW_VIP, request("INVITE", "sip:a@b", "a", "al2", "")),
		      "drop") && stats.drops[SLB_DROP_NOT_ALLOWED] == before + 1,
	      "an unlisted source is dropped and counted");
	CHECK(strcmp(sent_to("203.0.113.5", PLAIN_VIP,
			     request("INVITE", "sip:a@b", "a", "pl1", "User-Agent: sipvicious\r\n")),
		     "drop"), "a VIP without rules: nothing applies");
}

/*
 * In-dialog requests (our Route) keep the backend the Route names, also
 * when a rule's pool is another, but drop, reply, rate and allow rules
 * apply to them: a client writes its own Route, so a forged one must not
 * carry a scanner past rule 0. Responses are not matched.
 */
static void test_in_dialog_and_responses(void)
{
	struct frame_buf fb;
	struct slb_out out;

	CHECK(!strcmp(sent_to(CLIENT, SIP_VIP,
			      request("BYE", "sip:bob@192.0.2.31", "bob", "dlg",
				      "Route: <sip:" SIP_VIP ":5060;lr;slb=3>\r\n")), "192.0.2.31"),
	      "an in-dialog BYE to registrar 3, the backend its Route names");
	CHECK(!strcmp(sent_to(CLIENT, SIP_VIP,
			      request("INVITE", "sip:bob@192.0.2.22", "bob", "dlg2",
				      "Route: <sip:" SIP_VIP ":5060;lr;slb=1>\r\n"
				      "X-Tenant: acme\r\n")), "192.0.2.22"),
	      "a re-INVITE matching rule 6 (pool registrars) stays on core backend 1");
	uint64_t dropped = stats.drops[SLB_DROP_RULE];

	CHECK(!strcmp(sent_to(CLIENT, SIP_VIP,
			      request("INVITE", "sip:bob@192.0.2.31", "bob", "forged",
				      "Route: <sip:" SIP_VIP ":5060;lr;slb=3>\r\n"
				      "User-Agent: friendly-scanner\r\n")), "drop") &&
	      stats.drops[SLB_DROP_RULE] == dropped + 1,
	      "a scanner with a forged Route of ours is still dropped by rule 0");
	/* a response from the backend an INVITE went to, with a scanner's UA */
	enum slb_action a;
	char fwd[2048], resp[2048];
	size_t n;

	snprintf(fwd, sizeof(fwd), "%s", text_of(CLIENT, request("INVITE", "sip:x@y", "r", "resp-1",
								 ""), &a));
	CHECK(a == SLB_ACTION_SEND, "INVITE forwarded");
	n = (size_t)snprintf(resp, sizeof(resp), "SIP/2.0 200 OK\r\n");
	for (const char *l = strstr(fwd, "\r\n") + 2; strncmp(l, "\r\n", 2);) {
		const char *e = strstr(l, "\r\n") + 2;

		if (!strncmp(l, "Via:", 4) || !strncmp(l, "Call-ID:", 8) || !strncmp(l, "CSeq:", 5) ||
		    !strncmp(l, "From:", 5) || !strncmp(l, "To:", 3))
			n += (size_t)snprintf(resp + n, sizeof(resp) - n, "%.*s", (int)(e - l), l);
		l = e;
	}
	snprintf(resp + n, sizeof(resp) - n,
		 "User-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n");
	const char *via = strstr(fwd, ";branch=" SLB_BRANCH_PREFIX);
	uint32_t id = (uint32_t)atoi(strchr(via + 8 + strlen(SLB_BRANCH_PREFIX) + 32, '-') + 1);
	char backend[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &state.backends[id].addr, backend, sizeof(backend));
	CHECK(handle(&fb, backend, 5060, SIP_VIP, resp, &out) == SLB_ACTION_SEND,
	      "a response is relayed whatever its User-Agent");
}

/* The CANCEL and the ACK of an INVITE that rule 7 sent to the registrars
 * on the From user reach its backend (RFC 3261 9.1, 17.1.1.3), not the
 * core pool: method = "INVITE" holds for them. */
static void test_cancel_follows_invite(void)
{
	char invite[INET_ADDRSTRLEN];

	snprintf(invite, sizeof(invite), "%s",
		 sent_to(CLIENT, SIP_VIP, request("INVITE", "sip:x@y", "pbx-carol", "cx-1", "")));
	CHECK(!strcmp(invite, registrar_for("pbx-carol")), "pbx-carol's INVITE to %s, not %s",
	      invite, registrar_for("pbx-carol"));
	CHECK(!strcmp(sent_to(CLIENT, SIP_VIP,
			      request("CANCEL", "sip:x@y", "pbx-carol", "cx-1", "")), invite),
	      "its CANCEL to the INVITE's registrar");
	CHECK(!strcmp(sent_to(CLIENT, SIP_VIP, request("ACK", "sip:x@y", "pbx-carol", "cx-1", "")),
		      invite), "its ACK to the INVITE's registrar");
	CHECK(counters[7] == 3, "rule 7 hits: %llu", (unsigned long long)counters[7]);
}

/* Frame i of test_burst's: every action, rates, VIPs without rules and an
 * allow list, a malformed message, in turn. */
static void burst_frame(struct frame_buf *fb, unsigned i)
{
	static const struct { const char *src, *vip, *method, *ruri, *extra; } kinds[] = {
		{CLIENT, SIP_VIP, "INVITE", "sip:b@x", "User-Agent: friendly-scanner\r\n"},
		{CLIENT, SIP_VIP, "REGISTER", "sip:reg.example.com", ""},
		{CLIENT, SIP_VIP, "INVITE", "sip:19001234@x", ""},
		{CLIENT, SIP_VIP, "OPTIONS", "sip:x@y", ""},
		{CLIENT, PLAIN_VIP, "INVITE", "sip:p@x", ""},
		{CLIENT, SIP_VIP, "ACK", "sip:busy@x", ""},
		{"203.0.113.5", ALLOW_VIP, "INVITE", "sip:a@b", ""},
		{CLIENT, SIP_VIP, "INVITE", "sip:bob@x", "X-Tenant: acme\r\n"},
		{CLIENT, SIP_VIP, "SUBSCRIBE", "sip:x@y", ""},
		{CLIENT, SIP_VIP, "INVITE", "sip:bob@x", ""},
	};
	unsigned k = i % (sizeof(kinds) / sizeof(kinds[0]) + 1);
	char user[16], call_id[24];

	if (k == sizeof(kinds) / sizeof(kinds[0])) {
		frame(fb, CLIENT, 5062, SIP_VIP, "INVITE sip:x@y SIP/2.0\r\nnot a header\r\n\r\n");
		return;
	}
	snprintf(user, sizeof(user), "u%u", i);
	snprintf(call_id, sizeof(call_id), "burst-%u", i);
	frame(fb, kinds[k].src, 5062, kinds[k].vip,
	      request(kinds[k].method, kinds[k].ruri, user, call_id, kinds[k].extra));
}

/*
 * A burst (slb_proxy_handle_burst) does to each frame what slb_proxy_handle
 * does to it alone, though its rules run after the burst's scans: in the
 * frames' order (of 5 OPTIONS from one source 3 pass, then 503s; of the
 * SUBSCRIBEs one passes), also past SLB_PROXY_BURST requests with rules.
 */
static void test_burst(struct slb_rules_worker *w)
{
	enum { N = SLB_PROXY_BURST + 12 };
	static struct frame_buf one[N], many[N];
	struct slb_frame f[N];
	struct slb_out out_one[N], out_many[N];
	enum slb_action act_one[N], act_many[N];
	unsigned same = 0, sent = 0, ruled = 0;

	sync_at(w, 40 * SEC);
	for (unsigned i = 0; i < N; i++) {
		burst_frame(&one[i], i);
		act_one[i] = slb_proxy_handle(&view, &one[i].f, &out_one[i]);
		burst_frame(&many[i], i);
		f[i] = many[i].f;
		ruled += !strstr((const char *)f[i].data + 42, "sip:p@x") &&
			 !strstr((const char *)f[i].data + 42, "not a header");
	}
	sync_at(w, 50 * SEC); /* the same rates' state: every bucket full again */
	slb_proxy_handle_burst(&view, f, N, out_many, act_many);
	for (unsigned i = 0; i < N; i++) {
		bool eq = act_one[i] == act_many[i] && f[i].len == one[i].f.len &&
			  !memcmp(f[i].data, one[i].f.data, f[i].len) &&
			  (act_one[i] != SLB_ACTION_SEND ||
			   (out_one[i].next_hop == out_many[i].next_hop &&
			    out_one[i].cksum_offload == out_many[i].cksum_offload &&
			    out_one[i].fragment == out_many[i].fragment));

		CHECK(eq, "frame %u: the burst's action %d, alone %d", i, act_many[i], act_one[i]);
		same += eq;
		sent += act_one[i] == SLB_ACTION_SEND;
	}
	CHECK(same == N && ruled > SLB_PROXY_BURST && sent > N / 2 && sent < N,
	      "%u of %u frames as alone (%u with rules, %u sent)", same, N, ruled, sent);
}

/*
 * A new generation with other rules: counters of the changed VIP reset,
 * the new blob in use. A second worker sharing the databases stays on the
 * old generation meanwhile: its database must live on (sanitized builds
 * would catch a use after free) until it too takes the new one.
 */
static void test_new_generation(struct slb_rules_worker *w)
{
	static uint64_t other_counters[64];
	struct slb_rules_worker *other = slb_rules_worker_create(cache, other_counters, 64);
	char err[256];

	CHECK(other, "out of memory");
	sync_at(other, 30 * SEC);
	free(image.bytes);
	uint32_t n_rules = cfg.vips[0].rules.n;

	cfg.vips[0].rules.n = 1; /* only the drop rule */
	state.generation = 2;
	const struct slb_rules_image_in in = {.cfg = &cfg, .active = &empty,
					      .capacity = 1 << 20, .counters = 64};
	CHECK(!slb_rules_image_build(&in, &state, &image, err, sizeof(err)), "rules: %s", err);
	cfg.vips[0].rules.n = n_rules;
	sync_at(w, 30 * SEC);
	CHECK(counters[0] == 0 && counters[1] == 0, "the changed VIP's counters start again");
	CHECK(!strncmp(sent_to(CLIENT, SIP_VIP, request("REGISTER", "sip:reg.example.com", "alice",
							"g2", "")), "192.0.2.2", 9),
	      "the REGISTER rule is gone: the core pool");
	CHECK(!strcmp(sent_to(CLIENT, SIP_VIP, request("INVITE", "sip:b@x", "b", "g2s",
						       "User-Agent: sipvicious\r\n")), "drop") &&
	      counters[0] == 1, "the drop rule still applies, counted afresh");

	view.rules = other; /* still on generation 1: its REGISTER rule applies */
	CHECK(!strcmp(sent_to(CLIENT, SIP_VIP, request("REGISTER", "sip:reg.example.com", "alice",
						       "g1-other", "")), registrar_for("alice")) &&
	      other_counters[1] == 1, "the other worker, on generation 1, keeps its rules");
	sync_at(other, 31 * SEC);
	CHECK(!strncmp(sent_to(CLIENT, SIP_VIP, request("REGISTER", "sip:reg.example.com", "alice",
							"g2-other", "")), "192.0.2.2", 9),
	      "the other worker on generation 2");
	view.rules = w;
	slb_rules_worker_free(other);
}

int main(int argc, char **argv)
{
	struct slb_rules_worker *w;
	char err[1024];

	if (argc != 2 || slb_config_load(argv[1], &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", argc != 2 ? "usage: test_rules_dp CONFIG" : err);
		return 1;
	}
	build_state();
	cache = slb_rules_cache_create();
	w = slb_rules_worker_create(cache, counters, 64);
	CHECK(cache && w, "out of memory");
	view.rules = w;
	sync_at(w, 10 * SEC);
	test_pool_and_aor_hash();
	test_drop();
	test_reply();
	test_rates(w);
	test_spoofed_flood(w);
	test_allow_list();
	test_in_dialog_and_responses();
	test_cancel_follows_invite();
	test_burst(w);
	test_new_generation(w);
	slb_rules_worker_free(w);
	slb_rules_cache_free(cache);
	free(image.bytes);
	slb_config_free(&cfg);
	printf("rules in the proxy: pool, AoR hash, retransmission, drop, reply, rates, allow "
	       "list, in-dialog and responses, CANCEL and ACK with their INVITE, bursts, new "
	       "generation\n");
	return check_summary();
}
