/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules' matcher (docs/rules.md): which rule a request hits, the hash
 * key, a bad blob refused; and the differential check: every message at
 * every alignment 0..63 of its buffer, from several sources, gives the same
 * matching rules with Hyperscan as with the plain C reference matcher (the
 * Vectorscan 5.4.9 alignment bug, docs/scanner.md and docs/rules.md).
 * `test_rules --write-corpus DIR` writes the requests as the fuzzer's seeds.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "rules_fixture.h"
#include "rules_ref.h"
#include "siplb/rules_compile.h"

struct req {
	const char *method, *ruri, *from, *to, *extra;
	const char *src;           /* "address port" */
	int32_t want;              /* first rule hit, -1: none */
	const char *key;           /* hash key of that rule; NULL: the Call-ID */
};

static const struct req reqs[] = {
	{"INVITE", "sip:112@sos.example.com", "<sip:1000@a.example>", "<sip:112@sos.example.com>",
	 "User-Agent: friendly-scanner\r\n", "198.51.100.7 5060", R_SCANNER, NULL},
	{"INVITE", "sip:112@sos.example.com", "<sip:1000@a.example>", "<sip:112@sos.example.com>",
	 "User-Agent:   Linphone/5.0  \r\n", "198.51.100.7 5060", R_EMERGENCY, NULL},
	{"INVITE", "sip:112:secret@sos.example.com", "<sip:1000@a.example>", "sip:x@y",
	 "", "198.51.100.7 5060", R_EMERGENCY, NULL},
	{"REGISTER", "sip:reg.example.com", "<sip:alice@reg.example.com>;tag=1",
	 "\"Alice <home>\" <sip:alice@reg.example.com>", "", "198.51.100.7 5060", R_REGISTRAR,
	 "alice"},
	{"REGISTER", "sip:REG.Example.COM;transport=udp", "<sip:bob@x>;tag=1", "t-compact", "",
	 "198.51.100.7 5060", R_REGISTRAR, "bob"},
	{"REGISTER", "sip:other.example.org", "<sip:bob@x>;tag=1", "<sip:bob@other.example.org>",
	 "", "198.51.100.7 5060", R_REG_RATE, NULL},
	{"OPTIONS", "sip:ping@192.0.2.100", "<sip:1@x>", "<sip:ping@192.0.2.100>", "",
	 "203.0.113.9 5060", R_TRUNK, NULL},
	{"INVITE", "sip:+19005551234@gw.example", "<sip:1@x>", "<sip:+19005551234@gw.example>", "",
	 "198.51.100.7 5060", R_PREMIUM, NULL},
	{"INVITE", "tel:+19005551234;phone-context=example.com", "<sip:1@x>", "<tel:+1900>", "",
	 "198.51.100.7 5060", R_PREMIUM, NULL},
	/* both match: the first wins */
	{"INVITE", "sip:19005551234@gw.example", "\"Mallory\" <sip:m@EVIL.example>;tag=9", "<sip:x@y>",
	 "", "198.51.100.7 5060", R_PREMIUM, NULL},
	{"INVITE", "sip:alice@gw.example", "\"Mallory\" <sip:m@EVIL.example>;tag=9", "<sip:x@y>",
	 "", "198.51.100.7 5060", R_EVIL_FROM, NULL},
	{"INVITE", "sip:+493012345@gw.example", "<sip:1@x>", "<sip:+493012345@gw.example>", "",
	 "198.51.100.7 5070", R_BERLIN, NULL},
	{"INVITE", "sip:+493012345@gw.example", "<sip:1@x>", "<sip:+493012345@gw.example>", "",
	 "198.51.100.7 5060", -1, NULL},
	{"INVITE", "sip:svc@192.0.2.100", "<sip:1@x>", "<sip:svc@192.0.2.100>", "",
	 "198.51.100.7 5060", R_SERVICE, NULL},
	{"INVITE", "sip:bob@gw.example", "\"a<b\" <sip:1234@h.example>;tag=1", "<sip:bob@gw.example>",
	 "X-TENANT: acme-corp\r\n", "198.51.100.7 5060", R_TENANT_USER, NULL},
	{"INVITE", "sip:bob@gw.example", "sip:1234@h.example;tag=1", "<sip:bob@gw.example>",
	 "x-tenant:   acme  \r\n", "198.51.100.7 5060", R_TENANT, NULL},
	{"INVITE", "sip:bob@gw.example", "<sip:1@x>", "<sip:bob@sub.example.net>", "",
	 "198.51.100.7 5060", R_ALLOW_TO, NULL},
	{"MESSAGE", "sip:bob@gw.example", "<sip:1@x>", "<sip:bob@gw.example>",
	 "Subject: very urgent\r\n", "198.51.100.7 5060", R_SUBJECT, "very urgent"},
	{"INVITE", "sip:user@[2001:db8::1]:5060", "<sip:1@[2001:db8::2]>", "<sip:user@[2001:db8::1]>",
	 "", "2001:db8::5 5060", R_V6_DROP, NULL},
	{"BYE", "sip:user@gw.example", "<sip:1@x>;tag=a", "<sip:u@gw.example>;tag=b", "",
	 "198.51.100.7 5060", -1, NULL},
	/* a CANCEL and an ACK take their INVITE's rule: method = "INVITE" holds */
	{"CANCEL", "sip:112@sos.example.com", "<sip:1000@a.example>", "<sip:112@sos.example.com>",
	 "", "198.51.100.7 5060", R_EMERGENCY, NULL},
	{"ACK", "sip:112@sos.example.com", "<sip:1000@a.example>", "<sip:112@sos.example.com>",
	 "", "198.51.100.7 5060", R_EMERGENCY, NULL},
	{"CANCEL", "sip:+493012345@gw.example", "<sip:1@x>", "<sip:+493012345@gw.example>", "",
	 "198.51.100.7 5060", -1, NULL},
	/* but the REGISTER rules do not take a CANCEL: the To host's does */
	{"CANCEL", "sip:reg.example.com", "<sip:alice@reg.example.com>;tag=1",
	 "<sip:alice@reg.example.com>", "", "198.51.100.7 5060", R_ALLOW_TO, NULL},
	/* User-Agent as the scanner locates it: any case, blanks before the
	 * colon, a folded value is one value, the first header counts */
	{"INVITE", "sip:112@sos.example.com", "<sip:1000@a.example>", "<sip:112@sos.example.com>",
	 "USER-AGENT :sipcli/1.0\r\n", "198.51.100.7 5060", R_SCANNER, NULL},
	{"INVITE", "sip:112@sos.example.com", "<sip:1000@a.example>", "<sip:112@sos.example.com>",
	 "User-Agent: Linphone\r\n friendly-scanner\r\n", "198.51.100.7 5060", R_SCANNER, NULL},
	{"INVITE", "sip:112@sos.example.com", "<sip:1000@a.example>", "<sip:112@sos.example.com>",
	 "User-Agent: Linphone\r\nUser-Agent: friendly-scanner\r\n", "198.51.100.7 5060",
	 R_EMERGENCY, NULL},
	/* an extension method is scanned; a standard one is looked up */
	{"FOOBAR", "sip:bob@gw.example", "<sip:1@x>", "<sip:bob@gw.example>", "",
	 "198.51.100.7 5060", R_FOOBAR, NULL},
};

/* The request as text; "t-compact" as To uses the compact form. */
static size_t build(const struct req *r, char *out, size_t len)
{
	bool compact = !strcmp(r->to, "t-compact");

	return (size_t)snprintf(out, len,
		"%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1\r\n"
		"Max-Forwards: 70\r\n%s: %s\r\n%s: %s\r\nCall-ID: abc123@host\r\nCSeq: 1 %s\r\n"
		"%sContent-Length: 0\r\n\r\n", r->method, r->ruri, compact ? "f" : "From", r->from,
		compact ? "t" : "To", compact ? "<sip:bob@reg.example.com>" : r->to, r->method,
		r->extra);
}

static struct slb_addr source(const char *text)
{
	char ip[64];
	unsigned port;
	struct slb_addr a;

	if (sscanf(text, "%63s %u", ip, &port) != 2 || slb_addr_parse(ip, &a))
		abort();
	a.port = (uint16_t)port;
	return a;
}

/* Every rule the request matches, in order, as a string of indexes. */
static void all_matches(struct rules_fixture *f, struct slb_rules_scratch *s,
			const struct rules_ref *ref, const uint8_t *buf, const struct slb_sip_msg *m,
			const struct slb_addr *src, char *hs, char *plain, size_t len)
{
	size_t a = 0, b = 0;

	hs[0] = plain[0] = 0;
	if (slb_rules_scan(f->db, s, buf, m, src)) {
		snprintf(hs, len, "scan failed");
		return;
	}
	for (int32_t i = slb_rules_next(f->db, s, 0); i >= 0 && a < len - 8;
	     i = slb_rules_next(f->db, s, (uint32_t)i + 1))
		a += (size_t)snprintf(hs + a, len - a, "%d ", i);
	for (int32_t i = rules_ref_next(ref, buf, m, src, 0); i >= 0 && b < len - 8;
	     i = rules_ref_next(ref, buf, m, src, (uint32_t)i + 1))
		b += (size_t)snprintf(plain + b, len - b, "%d ", i);
}

static void test_request(struct rules_fixture *f, struct slb_rules_scratch *s,
			 const struct rules_ref *ref, const struct req *r)
{
	static uint8_t mem[4096 + 64] __attribute__((aligned(64)));
	char text[2048], hs[256], plain[256];
	size_t len = build(r, text, sizeof(text));
	struct slb_addr src = source(r->src);
	struct slb_sip_msg m;
	int bad = 0;

	for (unsigned align = 0; align < 64; align++) {
		uint8_t *buf = mem + align;

		memcpy(buf, text, len);
		if (slb_sip_scan(buf, len, &m) != SLB_SIP_OK) {
			CHECK(0, "%s %s: scanner says %s", r->method, r->ruri,
			      slb_sip_reason_name(m.reason));
			return;
		}
		all_matches(f, s, ref, buf, &m, &src, hs, plain, sizeof(hs));
		bad += strcmp(hs, plain) != 0;
		if (strcmp(hs, plain))
			CHECK(0, "%s %s at alignment %u: Hyperscan \"%s\", reference \"%s\"",
			      r->method, r->ruri, align, hs, plain);
		int32_t first = slb_rules_next(f->db, s, 0);
		if (align)
			continue;
		CHECK(first == r->want, "%s %s from %s: rule %d, expected %d", r->method, r->ruri,
		      r->src, first, r->want);
		if (first < 0 || first != r->want)
			continue;
		struct slb_span k = slb_rules_hash_key(f->db, s, &m, (uint32_t)first);
		const char *want = r->key ? r->key : "abc123@host";
		CHECK(k.len == strlen(want) && !memcmp(buf + k.off, want, k.len),
		      "%s %s: hash key \"%.*s\", expected \"%s\"", r->method, r->ruri, k.len,
		      buf + k.off, want);
	}
	CHECK_SHOW(!bad, "%-8s %-40s from %-17s: rules \"%s\" at all 64 alignments", r->method,
		   r->ruri, r->src, plain);
}

/* Truncated, foreign or altered blobs are refused, not read past. */
static void test_bad_blobs(struct rules_fixture *f)
{
	char err[256];
	size_t len;
	uint8_t *blob = slb_rules_compile(&f->config.vips[0].rules, &len, err, sizeof(err));
	struct slb_rules_blob *h = (struct slb_rules_blob *)blob;

	CHECK(blob, "compile: %s", err);
	if (!blob)
		return;
	CHECK(!slb_rules_db_load(blob, len - 1, err, sizeof(err)) && strstr(err, "inconsistent"),
	      "a truncated blob: %s", err);
	h->magic ^= 1;
	CHECK(!slb_rules_db_load(blob, len, err, sizeof(err)) && strstr(err, "not a rules blob"),
	      "another magic: %s", err);
	h->magic ^= 1;
	h->n_rules = SLB_RULES_MAX + 1;
	CHECK(!slb_rules_db_load(blob, len, err, sizeof(err)), "too many rules: loaded");
	free(blob);
}

/* Two REGISTERs of one AoR with different Call-IDs (and a retransmission,
 * the same bytes) hash on the same key: the To user, not the Call-ID. */
static void test_aor(struct rules_fixture *f, struct slb_rules_scratch *s)
{
	static const char *const call_ids[] = {"abc123@host", "zz-other-call@elsewhere"};
	struct slb_addr src = source("198.51.100.7 5060");
	char text[2][1024], *cid;
	struct slb_span key[2];
	struct slb_sip_msg m;

	for (int k = 0; k < 2; k++) {
		char tail[1024];
		size_t len;

		build(&reqs[3], text[k], sizeof(text[k]));
		cid = strstr(text[k], "abc123@host");
		snprintf(tail, sizeof(tail), "%s", cid + strlen("abc123@host"));
		snprintf(cid, sizeof(text[k]) - (size_t)(cid - text[k]), "%s%s", call_ids[k], tail);
		len = strlen(text[k]);
		CHECK(slb_sip_scan((const uint8_t *)text[k], len, &m) == SLB_SIP_OK &&
		      !slb_rules_scan(f->db, s, (const uint8_t *)text[k], &m, &src) &&
		      slb_rules_next(f->db, s, 0) == R_REGISTRAR, "REGISTER %d: not the registrar rule", k);
		key[k] = slb_rules_hash_key(f->db, s, &m, R_REGISTRAR);
	}
	CHECK_SHOW(key[0].len == key[1].len &&
		   !memcmp(text[0] + key[0].off, text[1] + key[1].off, key[0].len),
		   "REGISTERs of one AoR, two Call-IDs: one hash key \"%.*s\"", key[0].len,
		   text[0] + key[0].off);
}

/* Prefix lengths that are not whole bytes or words. */
static void test_prefixes(void)
{
	static const struct {
		const char *prefix;
		unsigned len;
		const char *addr;
		bool in;
	} cases[] = {
		{"203.0.112.0", 20, "203.0.127.255", true}, {"203.0.112.0", 20, "203.0.128.0", false},
		{"0.0.0.0", 0, "198.51.100.1", true},       {"0.0.0.0", 0, "2001:db8::1", false},
		{"2001:db8:8000::", 33, "2001:db8:ffff::1", true},
		{"2001:db8:8000::", 33, "2001:db8:7fff::1", false},
		{"2001:db8::1", 128, "2001:db8::1", true},  {"2001:db8::1", 128, "2001:db8::2", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct slb_rule_rec rec = {.src_len = (uint8_t)cases[i].len};
		struct slb_addr a;

		slb_addr_parse(cases[i].prefix, &rec.src);
		slb_addr_parse(cases[i].addr, &a);
		CHECK(slb_rule_source_matches(&rec, &a) == cases[i].in, "%s/%u %s %s",
		      cases[i].prefix, cases[i].len, cases[i].in ? "holds" : "does not hold",
		      cases[i].addr);
	}
}

/* Rule i of the plain-rules mix: many source prefixes of mixed lengths, a
 * /8 before and after the /24s and /16s inside it, both families, port-only
 * rules, rate-only ones (the caller goes on past them) and Hyperscan rules
 * with a source, so that the index and the reference meet every case. */
static int plain_rule(char *out, size_t len, unsigned i)
{
	static const char *const fixed[] = {
		"source = \"10.0.0.0/8\";", "source = \"0.0.0.0/0\"; source_port = 5061;",
		"source = \"::/0\";", "source = \"10.3.2.1/32\";",
		"source = \"2001:db8:1::5/128\";",
		"source = \"10.2.16.0/20\"; source_port = 5062;", "source_port = 5070;",
	};
	const char *act = i % 5 == 0 ? "rate = { limit = 10; };" : "action = \"drop\";";
	char m[128];

	if (i % 40 < sizeof(fixed) / sizeof(fixed[0]))
		snprintf(m, sizeof(m), "%s", fixed[i % 40]);
	else if (i % 6 == 0)
		snprintf(m, sizeof(m), "source = \"10.%u.%u.0/24\";", i % 7, i % 5);
	else if (i % 6 == 1)
		snprintf(m, sizeof(m), "source = \"10.%u.0.0/16\"; source_port = %u;", i % 7,
			 5060 + i % 3);
	else if (i % 6 == 2)
		snprintf(m, sizeof(m), "source_port = %u;", 5060 + i % 4);
	else if (i % 6 == 3)
		snprintf(m, sizeof(m), "source = \"2001:db8:%x::/48\";", i % 4);
	else if (i % 6 == 4)
		snprintf(m, sizeof(m), "method = \"INVITE\"; source = \"10.%u.0.0/16\";", i % 7);
	else
		snprintf(m, sizeof(m), "source = \"10.%u.%u.%u/%u\";", i % 7, i % 5, i % 3 * 64,
			 26 + i % 3);
	return snprintf(out, len, "%s{ match = { %s }; %s }", i ? ",\n" : "", m, act);
}

/* A VIP with n rules made by rule(out, len, i): loaded, compiled, indexed,
 * with a scratch and the reference; false (a failed check) when it is not. */
struct mix {
	struct slb_config config;
	struct slb_rules_db *db;
	struct slb_rules_scratch *s;
	struct rules_ref *ref;
};

static bool mix_load(struct mix *x, const char *what, unsigned n,
		     int (*rule)(char *out, size_t len, unsigned i))
{
	static char text[96 * 1024];
	char err[512] = "";
	size_t at = (size_t)snprintf(text, sizeof(text), "pools = ( { name = \"core\"; } );\n"
		"vips = ( { name = \"sip\"; address = \"192.0.2.100\"; port = 5060; pool = \"core\";\n"
		"  rules = (\n");

	memset(x, 0, sizeof(*x));
	for (unsigned i = 0; i < n; i++)
		at += (size_t)rule(text + at, sizeof(text) - at, i);
	snprintf(text + at, sizeof(text) - at, "\n  ); } );\n");
	const char *path = rules_fixture_file(text);
	int bad_config = slb_config_load(path, &x->config, err, sizeof(err));

	unlink(path);
	if (bad_config) {
		CHECK(0, "%s: %s", what, err);
		return false;
	}
	size_t len;
	void *blob = slb_rules_compile(&x->config.vips[0].rules, &len, err, sizeof(err));
	x->db = blob ? slb_rules_db_load(blob, len, err, sizeof(err)) : NULL;
	free(blob);
	x->ref = rules_ref_create(&x->config.vips[0].rules);
	CHECK(x->db && !slb_rules_scratch_update(&x->s, x->db), "%s: %s", what, err);
	return x->s != NULL;
}

static void mix_free(struct mix *x)
{
	slb_rules_scratch_free(x->s);
	slb_rules_db_free(x->db);
	rules_ref_free(x->ref);
	slb_config_free(&x->config);
}

/* Every matching rule of the mix, from many sources and ports, the same
 * with the plain rules' index as with the reference. */
static void test_plain_index(void)
{
	static const char *const addrs[] = {"10.0.0.1", "10.1.1.1", "10.2.4.200", "10.3.2.1",
		"10.4.3.64", "10.6.0.130", "10.2.31.9", "11.0.0.1", "2001:db8:1::5",
		"2001:db8:3::9", "2001:db9::1", "192.0.2.1"};
	char msg[2048], hs[2048], plain[2048];
	unsigned n = 0, bad = 0, hits = 0;
	struct mix x;
	bool ok = mix_load(&x, "plain rules mix", 400, plain_rule);
	struct slb_rules_scratch *s = x.s;

	for (size_t a = 0; s && a < sizeof(addrs) / sizeof(addrs[0]); a++)
		for (unsigned port = 5059; port <= 5071; port++) {
			for (unsigned k = 0; k < 2; k++) {
				const struct req *r = &reqs[k ? 19 : 0]; /* an INVITE, a BYE */
				size_t mlen = build(r, msg, sizeof(msg));
				struct slb_addr src = source("192.0.2.1 5060");
				struct slb_sip_msg m;

				slb_addr_parse(addrs[a], &src);
				src.port = (uint16_t)port;
				if (slb_sip_scan((const uint8_t *)msg, mlen, &m) != SLB_SIP_OK)
					continue;
				struct rules_fixture fx = {.db = x.db};
				all_matches(&fx, s, x.ref, (const uint8_t *)msg, &m, &src, hs, plain,
					    sizeof(hs));
				n++;
				hits += plain[0] != 0;
				if (strcmp(hs, plain) && bad++ < 5)
					CHECK(0, "%s from %s %u: index \"%s\", reference \"%s\"",
					      r->method, addrs[a], port, hs, plain);
			}
		}
	CHECK_SHOW(ok && !bad && hits > n / 2, "400 plain rules of mixed prefixes: %u sources, "
		   "all matches as the reference (%u with some)", n, hits);
	mix_free(&x);
}

/* Rule i of the literals mix: exact and prefix values of every length on
 * case-sensitive and caseless fields, some equal but for case, prefixes
 * nested in each other, so that the literals' index (rules_lits.c) and the
 * reference meet every case. */
static int literal_rule(char *out, size_t len, unsigned i)
{
	static const char *const users[] = {"+", "+4", "+49", "+4930", "+493012345", "112",
		"1", "alice", "Alice", "+14155550123", "+1415555012", "bob.smith"};
	static const char *const hosts[] = {"gw.example", "GW.Example", "gw.example.com",
		"g", "sos.example.com", "reg.example.com", "[2001:db8::1]", "sub.example.net"};
	const char *u = users[i % 12], *h = hosts[i % 8];
	char m[160];

	switch (i % 7) {
	case 0: snprintf(m, sizeof(m), "ruri_user = { prefix = \"%s\"; };", u); break;
	case 1: snprintf(m, sizeof(m), "ruri_user = \"%s\"; ruri_host = \"%s\";", u, h); break;
	case 2: snprintf(m, sizeof(m), "from_host = { prefix = \"%.*s\"; };",
			 (int)(1 + i % strlen(h)), h); break;
	case 3: snprintf(m, sizeof(m), "to_user = { prefix = \"%s\"; }; method = \"%s\";", u,
			 i % 2 ? "INVITE" : "FOOBAR"); break;
	case 4: snprintf(m, sizeof(m), "header = { name = \"X-Tenant\"; prefix = \"%.*s\"; };",
			 (int)(1 + i % 6), "acme-corp"); break;
	case 5: snprintf(m, sizeof(m), "user_agent = \"%s\";", i % 2 ? "Linphone/5.0" : "sipcli"); break;
	default: snprintf(m, sizeof(m), "ruri_host = { prefix = \"%.*s\"; };",
			  (int)(1 + i % strlen(h)), h);
	}
	return snprintf(out, len, "%s{ match = { %s }; action = \"drop\"; }", i ? ",\n" : "", m);
}

/* Every matching rule of the literals mix, for requests on every value of
 * the mix and beside them, the same with the index as with the reference. */
static void test_literal_index(void)
{
	static const char *const ruris[] = {"sip:+493012345@gw.example", "sip:+4930@GW.EXAMPLE",
		"sip:112@sos.example.com", "sip:alice@reg.example.com;transport=udp",
		"sip:Alice@gw.example.com:5060", "tel:+14155550123", "sip:+1415555012@g",
		"sip:bob.smith@[2001:db8::1]", "sip:x@sub.example.net", "sip:+@gw.example"};
	static const char *const froms[] = {"<sip:1@gw.example>;tag=1", "<sip:1@GW.EXAMPLE.COM>;tag=2",
		"<sip:1@reg.example.org>;tag=3"};
	static const char *const extras[] = {"", "X-Tenant: acme-corp\r\nUser-Agent: sipcli\r\n",
		"x-tenant: ac\r\nUser-Agent: Linphone/5.0\r\n"};
	char msg[2048], hs[4096], plain[4096];
	unsigned n = 0, bad = 0, hits = 0;
	struct mix x;
	bool ok = mix_load(&x, "literals mix", 300, literal_rule);
	struct slb_rules_scratch *s = x.s;

	for (size_t u = 0; s && u < sizeof(ruris) / sizeof(ruris[0]); u++)
		for (size_t k = 0; k < 3 * 3 * 2; k++) {
			struct req r = {k % 2 ? "INVITE" : "FOOBAR", ruris[u], froms[k / 2 % 3],
					"<sip:+493012345@gw.example>", extras[k / 6], "192.0.2.1 5060",
					-1, NULL};
			size_t mlen = build(&r, msg, sizeof(msg));
			struct slb_addr src = source(r.src);
			struct slb_sip_msg m;

			if (slb_sip_scan((const uint8_t *)msg, mlen, &m) != SLB_SIP_OK)
				continue;
			struct rules_fixture fx = {.db = x.db};
			all_matches(&fx, s, x.ref, (const uint8_t *)msg, &m, &src, hs, plain, sizeof(hs));
			n++;
			hits += plain[0] != 0;
			if (strcmp(hs, plain) && bad++ < 5)
				CHECK(0, "%s: index \"%s\", reference \"%s\"", ruris[u], hs, plain);
		}
	CHECK_SHOW(ok && !bad && hits == n && n == 10 * 18, "300 literal rules: %u requests, "
		   "all matches as the reference (%u with some)", n, hits);
	mix_free(&x);
}

/* No rules: a blob without databases, nothing matches. */
static void test_empty(void)
{
	struct slb_rules none = {0};
	struct slb_rules_scratch *s;
	struct slb_rules_db *db;
	struct slb_sip_msg m;
	struct slb_addr src = source("198.51.100.7 5060");
	char err[256], text[1024];
	size_t len;
	void *blob = slb_rules_compile(&none, &len, err, sizeof(err));

	db = blob ? slb_rules_db_load(blob, len, err, sizeof(err)) : NULL;
	s = db ? slb_rules_scratch_create(db) : NULL;
	CHECK(s, "no rules: %s", err);
	if (s) {
		len = build(&reqs[0], text, sizeof(text));
		slb_sip_scan((const uint8_t *)text, len, &m);
		CHECK(!slb_rules_scan(db, s, (const uint8_t *)text, &m, &src) &&
		      slb_rules_next(db, s, 0) == -1, "no rules: a match");
	}
	slb_rules_scratch_free(s);
	slb_rules_db_free(db);
	free(blob);
}

/*
 * A scanner's User-Agent padded so that its name ends a few bytes before the
 * value's end, past 64 bytes: Vectorscan 5.4.9 missed the fixture's
 * alternation there at a third of the alignments, so such a scanner passed
 * its drop rule (docs/rules.md, "Hyperscan, not Vectorscan"). Every filler
 * length and tail here, at every alignment, must hit R_SCANNER first.
 */
static void test_padded_user_agent(struct rules_fixture *f, struct slb_rules_scratch *s,
				   const struct rules_ref *ref)
{
	static const unsigned fills[] = {0, 30, 60, 65, 100, 200};
	static uint8_t mem[4096 + 64] __attribute__((aligned(64)));
	char filler[201], extra[512], text[2048], hs[256], plain[256];
	unsigned bad = 0, runs = 0;

	memset(filler, 'a', sizeof(filler) - 1);
	filler[sizeof(filler) - 1] = 0;

	for (size_t i = 0; i < sizeof(fills) / sizeof(fills[0]); i++) {
		for (unsigned after = 0; after <= 12; after++) {
			struct req r = reqs[0];
			int n = snprintf(extra, sizeof(extra),
					 "User-Agent: %.*s friendly-scanner%.*s\r\n", (int)fills[i],
					 filler, (int)after, "REGITSER/1.0");
			if (n < 0 || (size_t)n >= sizeof(extra))
				abort();
			r.extra = extra;
			size_t len = build(&r, text, sizeof(text));
			struct slb_addr src = source(r.src);
			struct slb_sip_msg m;

			for (unsigned align = 0; align < 64; align++, runs++) {
				uint8_t *buf = mem + align;

				memcpy(buf, text, len);
				if (slb_sip_scan(buf, len, &m) != SLB_SIP_OK) {
					bad++;
					continue;
				}
				all_matches(f, s, ref, buf, &m, &src, hs, plain, sizeof(hs));
				if (strcmp(hs, plain) || slb_rules_next(f->db, s, 0) != R_SCANNER) {
					if (bad++ < 5)
						CHECK(0, "User-Agent of %u filler bytes, %u after the "
						      "name, alignment %u: Hyperscan \"%s\", reference "
						      "\"%s\"", fills[i], after, align, hs, plain);
				}
			}
		}
	}
	CHECK_SHOW(!bad, "a padded scanner User-Agent hits its drop rule in %u of %u runs "
		   "(filler, tail, alignment)", runs - bad, runs);
}

/* The requests as files: the fuzzer's seeds (tests/rules/corpus). */
static int write_corpus(const char *dir)
{
	char text[2048], path[4096];

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		size_t len = build(&reqs[i], text, sizeof(text));
		FILE *f;

		snprintf(path, sizeof(path), "%s/req-%02zu.sip", dir, i);
		f = fopen(path, "wb");
		if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
			perror(path);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rules_fixture f;
	struct slb_rules_scratch *s = NULL;
	struct rules_ref *ref;

	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);
	rules_fixture_load(&f);
	ref = rules_ref_create(&f.config.vips[0].rules);
	CHECK(!slb_rules_scratch_update(&s, f.db), "scratch");
	CHECK(!slb_rules_db_allow_list(f.db) == !f.config.vips[0].rules.allow_list, "allow list");
	CHECK(slb_rules_db_rule(f.db, R_REG_RATE)->action == SLB_RULE_ACT_CONTINUE &&
	      slb_rules_db_rule(f.db, R_REG_RATE)->rate_per_source &&
	      slb_rules_db_rule(f.db, R_REG_RATE)->over_reply, "rate rule record");
	CHECK(slb_rules_db_rule(f.db, R_PREMIUM)->reply_code == 403 &&
	      !strcmp(slb_rules_db_rule(f.db, R_PREMIUM)->reason, "Premium numbers barred"),
	      "reply record");
	for (size_t i = 0; s && i < sizeof(reqs) / sizeof(reqs[0]); i++)
		test_request(&f, s, ref, &reqs[i]);
	if (s) {
		test_aor(&f, s);
		test_padded_user_agent(&f, s, ref);
	}
	test_bad_blobs(&f);
	test_prefixes();
	test_plain_index();
	test_literal_index();
	test_empty();
	slb_rules_scratch_free(s);
	rules_ref_free(ref);
	rules_fixture_free(&f);
	return check_summary();
}
