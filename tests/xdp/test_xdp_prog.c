/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_xdp_prog SIPLB_XDP_O: bpf/siplb_xdp.bpf.c through BPF_PROG_TEST_RUN
 * (its skeleton, maps filled here as siplbd fills them: xdp_harness.h).
 *
 * Every case asserts the verdict, the counters it moves (verdict, pass or
 * drop reason, per-VIP and per-backend; nothing else may move) and, for
 * DSR, the exact output frame, built here independently: Ethernet from the
 * next hop, outer IPv4 (checksum) or IPv6, the GUE variant (UDP checksum
 * over every byte for IPv6), then the inner packet unchanged.
 *
 * Covered: VLAN and QinQ, IPv4 options, IPv6; truncation at every layer;
 * fragments; not IP / not UDP / not a VIP; Call-ID forms (full, compact,
 * case, space before the colon, folded, trailing space, long, one byte),
 * and where it must not match (in the body, in another header's value, in
 * a continuation line, beyond or across the 1500-byte window, non-SIP
 * UDP); no backend, no next hop, too big, TX vs redirect; generation
 * switch; blocklists, per-source rate, per-VIP cap; routing rules offloaded
 * to XDP (per VIP, source port, rate, responses untouched, a rule after a
 * SIP-field rule left to siplb-dp, the switch with the generation, per-rule
 * drop counters); proxy VIPs steered to
 * an AF_XDP socket or passed without one; frames to another host's MAC;
 * IPv4 fragments of proxy VIPs steered, first and later, and of DSR VIPs
 * passed; no socket while siplb-dp restarts (dropped) or is gone (passed),
 * in siplb-dp's copy of the program and siplbd's. Also the object as
 * loaders see it.
 *
 * Exit 0 when all pass, 1 on a failure, 77 (skip) when not root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include "siplb/maglev.h"
#include "siplb/rules_xdp.h"
#include "siplb_xdp.skel.h"
#include "rule_build.h"
#include "xdp_harness.h"
#include "../check.h"

/* The program's own copy of SLB_MAGLEV_EMPTY (bpf/xdp_consts.h). */
_Static_assert(SLB_MAGLEV_EMPTY == 0xffffffffu, "bpf/xdp_consts.h SLB_XDP_MAGLEV_EMPTY");
/* The program compares VIP IPv6 addresses as aligned words. */
_Static_assert(offsetof(struct slb_state, vips) % 8 == 0 && sizeof(struct slb_vip) % 8 == 0 &&
	       offsetof(struct slb_vip, addr6) % 8 == 0, "VIP addr6 8-aligned in the state");

#define WINDOW SLB_XDP_CALLID_WINDOW
#define MSG_MAX 3000

static struct xh_prog P;
static struct xh_world W;
/* ---- SIP messages ---------------------------------------------------------- */

/* A request with the header lines `headers` between From and CSeq. */
static size_t sip(char *out, const char *headers, const char *body)
{
	int n = snprintf(out, MSG_MAX,
			 "INVITE sip:bob@example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.51.100.77:5060;branch=z9hG4bK776asdhds\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:alice@example.com>;tag=1928301774\r\n"
			 "To: <sip:bob@example.com>\r\n"
			 "%s"
			 "CSeq: 314159 INVITE\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 headers, strlen(body), body);

	if (n < 0 || n >= MSG_MAX)
		abort();
	return (size_t)n;
}

/* Header lines: an X-Pad header, then `line` + CRLF, padded so that the CR
 * ending `line` is at UDP payload offset cr_at (around the window's end). */
static void pad_to(char *hdrs, size_t cr_at, const char *line)
{
	char probe[MSG_MAX];
	size_t tail = strlen("CSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n");
	size_t base = sip(probe, "X-Pad: \r\n", "") - tail, at = cr_at - strlen(line);

	if (cr_at < strlen(line) || at < base || at - base + strlen(line) + 16 >= MSG_MAX)
		abort();
	strcpy(hdrs, "X-Pad: ");
	memset(hdrs + 7, 'p', at - base);
	strcpy(hdrs + 7 + (at - base), "\r\n");
	strcat(hdrs, line);
	strcat(hdrs, "\r\n");
}

/* ---- frames ---------------------------------------------------------------- */

/* To VIP vip with a TOS and an IP id that the outer header must copy. */
static struct xh_spec to_vip(unsigned vip, const void *payload, size_t len)
{
	struct xh_spec s = xh_to_vip(&W, vip, payload, len);

	s.ip_id = 0x1234;
	s.tos = 0xb8;
	return s;
}

static struct xh_frame frame(const struct xh_spec *s)
{
	struct xh_frame f;

	if (xh_build(s, &f))
		abort();
	return f;
}

/* The DSR output for in, built byte by byte from the rules in
 * bpf/xdp_encap.h, not from its code. */
static size_t dsr_output(uint8_t *o, const struct xh_frame *in, int backend, uint64_t h)
{
	const struct slb_backend *be = &W.st.backends[backend];
	const struct slb_dsr *d = &W.st.dsr;
	const uint8_t *inner = in->b + in->l3_off;
	int v4 = (inner[0] >> 4) == 4, gue = d->encap == SLB_ENCAP_GUE;
	size_t ip_hlen = v4 ? 20 : 40, n = 14 + ip_hlen, udp_at = n;
	uint8_t inner_proto = v4 ? 4 : 41;

	memcpy(o, W.nh[backend].dst_mac, 6);
	memcpy(o + 6, W.nh[backend].src_mac, 6);
	xh_put16(o + 12, v4 ? ETH_P_IP : ETH_P_IPV6);
	if (gue)
		n += 12;
	if (v4) {
		uint8_t *ip = o + 14;

		memset(ip, 0, 20);
		ip[0] = 0x45;
		ip[1] = inner[1];                 /* TOS */
		xh_put16(ip + 2, (uint16_t)(n - 14 + in->ip_len));
		ip[4] = inner[4];                 /* identification */
		ip[5] = inner[5];
		ip[6] = inner[6] & 0x40;          /* DF */
		ip[8] = 64;
		ip[9] = gue ? IPPROTO_UDP : inner_proto;
		memcpy(ip + 12, &d->src4, 4);
		memcpy(ip + 16, &be->addr, 4);
		xh_put16(ip + 10, (uint16_t)~xh_csum_fold(xh_csum_add(0, ip, 20)));
	} else {
		uint8_t *ip = o + 14, tc = (uint8_t)((inner[0] & 0x0f) << 4 | inner[1] >> 4);
		uint32_t w = 6u << 28 | (uint32_t)tc << 20 | (uint32_t)(h >> 32 & 0xfffff);

		xh_put16(ip, (uint16_t)(w >> 16));
		xh_put16(ip + 2, (uint16_t)w);
		xh_put16(ip + 4, (uint16_t)(n - 14 - 40 + in->ip_len));
		ip[6] = gue ? IPPROTO_UDP : inner_proto;
		ip[7] = 64;
		memcpy(ip + 8, d->src6, 16);
		memcpy(ip + 24, be->addr6, 16);
	}
	memcpy(o + n, inner, in->ip_len);
	if (gue) {
		uint8_t *u = o + udp_at;
		size_t ulen = 12 + in->ip_len;

		xh_put16(u, (uint16_t)(0xc000 | (h >> 50 & 0x3fff)));
		xh_put16(u + 2, XH_GUE_PORT);
		xh_put16(u + 4, (uint16_t)ulen);
		xh_put16(u + 6, 0);
		u[8] = 0;             /* version 0, C 0, Hlen 0 */
		u[9] = inner_proto;
		u[10] = u[11] = 0;    /* flags */
		if (!v4) {            /* the full checksum, over every byte */
			uint32_t sum = xh_csum_add(0, o + 14 + 8, 32);
			uint16_t c;

			sum += IPPROTO_UDP + (uint32_t)ulen;
			c = (uint16_t)~xh_csum_fold(xh_csum_add(sum, u, ulen));
			xh_put16(u + 6, c ? c : 0xffff);
		}
	}
	return n + in->ip_len;
}

/* ---- one case -------------------------------------------------------------- */

struct want {
	uint32_t retval;
	int verdict;          /* enum slb_xdp_verdict */
	int reason;           /* pass/drop reason, steer kind; -1 for none */
	int vip;              /* VIP whose counter moves, -1 for none */
	int backend;          /* DSR backend counted, -1 for none */
	const uint8_t *out;   /* exact output, or NULL */
	size_t out_len;
};

static void hexdiff(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	size_t n = got_len < want_len ? got_len : want_len, i;

	for (i = 0; i < n && got[i] == want[i]; i++)
		;
	printf("  lengths got %zu want %zu; first difference at byte %zu\n", got_len, want_len, i);
	for (size_t j = i & ~(size_t)15; j < (i & ~(size_t)15) + 32 && j < n; j++)
		printf("  [%4zu] got %02x want %02x%s\n", j, got[j], want[j],
		       got[j] != want[j] ? "  <--" : "");
}

/* The reasons (kinds) counted under a verdict. */
static __u64 *reasons_of(struct slb_xdp_stats *d, int verdict)
{
	return verdict == SLB_XDP_PASS ? d->pass :
	       verdict == SLB_XDP_DROP ? d->drop :
	       verdict == SLB_XDP_STEER ? d->steer : NULL;
}

/* The UDP payload of frame f (0-2 VLAN tags, IPv4 or IPv6 without
 * extension headers): what DSR counts as a message's bytes. */
static size_t sip_len(const uint8_t *f)
{
	size_t l3 = 14;

	while ((f[l3 - 2] == 0x81 && f[l3 - 1] == 0x00) || (f[l3 - 2] == 0x88 && f[l3 - 1] == 0xa8))
		l3 += 4; /* 802.1Q, 802.1ad */
	if (f[l3 - 2] == 0x08) /* IPv4: UDP length at IHL + 4 */
		return (size_t)(f[l3 + (f[l3] & 0x0f) * 4 + 4] << 8 |
				f[l3 + (f[l3] & 0x0f) * 4 + 5]) - 8;
	return (size_t)(f[l3 + 40 + 4] << 8 | f[l3 + 40 + 5]) - 8;
}

/* Every counter but the ones w names must stay; those move by one. */
static void check_counters(const char *what, const struct slb_xdp_stats *a,
			   const struct slb_xdp_stats *b, const struct want *w, const uint8_t *in,
			   size_t in_len)
{
	/* The counters as one array of their own type, __u64 (not uint64_t:
	 * another type to the compiler's aliasing rules). */
	struct slb_xdp_stats d;
	typedef unsigned long long ull; /* __u64 is not uint64_t: print through ull */
	const __u64 *pa = (const void *)a, *pb = (const void *)b;
	__u64 *pd = (void *)&d;

	for (size_t i = 0; i < sizeof(d) / 8; i++)
		pd[i] = pb[i] - pa[i];
	CHECK(d.verdict[w->verdict] == 1, "%s: verdict %d counted %llu times", what, w->verdict,
	      (ull)d.verdict[w->verdict]);
	d.verdict[w->verdict] = 0;
	__u64 *reasons = reasons_of(&d, w->verdict);

	if (reasons && w->reason >= 0) {
		CHECK(reasons[w->reason] == 1, "%s: verdict %d reason %d counted %llu times", what,
		      w->verdict, w->reason, (ull)reasons[w->reason]);
		reasons[w->reason] = 0;
	}
	if (w->vip >= 0) {
		CHECK(d.vip[w->vip].pkts == 1 && d.vip[w->vip].bytes == in_len,
		      "%s: VIP %d counted %llu packets, %llu bytes", what, w->vip,
		      (ull)d.vip[w->vip].pkts, (ull)d.vip[w->vip].bytes);
		d.vip[w->vip] = (struct slb_xdp_counter){ 0, 0 };
	}
	if (w->backend >= 0) {
		size_t sip = sip_len(in);

		CHECK(d.backend[w->backend].pkts == 1 && d.backend[w->backend].bytes == sip,
		      "%s: backend %d counted %llu packets, %llu bytes", what, w->backend,
		      (ull)d.backend[w->backend].pkts, (ull)d.backend[w->backend].bytes);
		d.backend[w->backend] = (struct slb_xdp_counter){ 0, 0 };
		CHECK(w->vip >= 0 && d.dsr_vip[w->vip].pkts == 1 && d.dsr_vip[w->vip].bytes == sip,
		      "%s: DSR of VIP %d counted %llu packets, %llu bytes", what, w->vip,
		      (ull)d.dsr_vip[w->vip % SLB_MAX_VIPS].pkts,
		      (ull)d.dsr_vip[w->vip % SLB_MAX_VIPS].bytes);
		d.dsr_vip[w->vip % SLB_MAX_VIPS] = (struct slb_xdp_counter){ 0, 0 };
	}
	size_t i = 0;

	while (i < sizeof(d) / 8 - 1 && !pd[i])
		i++;
	CHECK(!pd[i], "%s: an unexpected counter moved (u64 #%zu by %llu)", what, i, (ull)pd[i]);
}

static void expect(const char *what, const void *in, size_t len, const struct want *w)
{
	static struct xh_result r;
	struct slb_xdp_stats before, after;
	bool ok = !xh_stats(&P, &before);
	int err;

	CHECK(ok, "%s: reading xdp_stats: %s", what, strerror(errno));
	if (!ok)
		return;
	err = xh_run(&P, in, (uint32_t)len, 1, &r);
	CHECK(!err, "%s: test run: %s", what, strerror(-err));
	if (err)
		return;
	ok = !xh_stats(&P, &after);
	CHECK(ok, "%s: reading xdp_stats: %s", what, strerror(errno));
	if (!ok)
		return;
	int before_fail = check_failures;

	CHECK(r.retval == w->retval, "%s: %s, want %s", what, xh_action_name(r.retval),
	      xh_action_name(w->retval));
	check_counters(what, &before, &after, w, in, len);
	ok = !w->out || (r.out_len == w->out_len && !memcmp(r.out, w->out, w->out_len));
	CHECK(ok, "%s: output frame differs", what);
	if (!ok)
		hexdiff(r.out, r.out_len, w->out, w->out_len);
	if (check_failures == before_fail)
		printf("ok: %s: %s%s\n", what, xh_action_name(r.retval),
		       w->out ? ", exact output" : "");
}

static void expect_pass(const char *what, const void *in, size_t len, int reason, int vip)
{
	struct want w = { XDP_PASS, SLB_XDP_PASS, reason, vip, -1, NULL, 0 };

	expect(what, in, len, &w);
}

static void expect_drop(const char *what, const void *in, size_t len, int reason, int vip)
{
	struct want w = { XDP_DROP, SLB_XDP_DROP, reason, vip, -1, NULL, 0 };

	expect(what, in, len, &w);
}

/* A DSR frame f to VIP vip whose Call-ID is callid: sent to siplb-dp's
 * backend, encapsulated exactly. */
static void expect_dsr_frame(const char *what, const struct xh_frame *f, unsigned vip,
			     const char *callid, size_t id_len, uint32_t retval)
{
	static uint8_t out[XH_FRAME_MAX + 256];
	uint64_t h;
	int be = xh_world_pick(&W, vip, (const uint8_t *)callid, id_len, &h);
	struct want w = { retval, SLB_XDP_DSR, -1, (int)vip, be, out, 0 };

	CHECK(be >= 0, "%s: the test's world has no backend for it", what);
	if (be < 0)
		return;
	w.out_len = dsr_output(out, f, be, h);
	expect(what, f->b, f->len, &w);
}

static void expect_dsr(const char *what, unsigned vip, const char *msg, size_t len,
		       const char *callid)
{
	struct xh_spec s = to_vip(vip, msg, len);
	struct xh_frame f = frame(&s);

	expect_dsr_frame(what, &f, vip, callid, strlen(callid), XDP_TX);
}

static void expect_no_callid(const char *what, unsigned vip, const char *msg, size_t len)
{
	struct xh_spec s = to_vip(vip, msg, len);
	struct xh_frame f = frame(&s);

	expect_pass(what, f.b, f.len, SLB_XDP_PASS_NO_CALLID, (int)vip);
}

/* A STUN keep-alive to DSR VIP vip: to the backend its source picks, the
 * hash of the source address and port's bytes (slb_callid_hash over them,
 * which slb_flow_hash computes from words in the program). */
static void expect_stun(const char *what, unsigned vip, uint16_t sport)
{
	static const uint8_t binding[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
					     's', 't', 'u', 'n', '-', 'k', 'e', 'e', 'p', 'a',
					     'l', 'v' };
	struct xh_spec s = to_vip(vip, binding, sizeof(binding));
	size_t n = s.family == AF_INET6 ? 16 : 4;
	uint16_t port = htons(sport);
	uint8_t key[18];

	s.sport = sport;
	struct xh_frame f = frame(&s);
	memcpy(key, s.src, n);
	memcpy(key + n, &port, 2);
	expect_dsr_frame(what, &f, vip, (const char *)key, n + 2, XDP_TX);
}

static void cases_stun(void)
{
	static const uint8_t rfc3489[20] = { 0x00, 0x01, 0x00, 0x00, 1, 2, 3, 4, 5, 6,
					     7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

	printf("-- STUN keep-alives (RFC 5626) to DSR VIPs: by their source\n");
	expect_stun("STUN Binding request, IPv4", XH_VIP4_DSR, 5062);
	expect_stun("another source port", XH_VIP4_DSR, 40000);
	expect_stun("STUN Binding request, IPv6", XH_VIP6_DSR, 5062);
	expect_no_callid("STUN without the magic cookie (RFC 3489)", XH_VIP4_DSR,
			 (const char *)rfc3489, sizeof(rfc3489));
	expect_no_callid("nineteen bytes of STUN", XH_VIP4_DSR,
			 "\x00\x01\x00\x00\x21\x12\xa4\x42stun-keepal", 19);
}

/* ---- the cases ------------------------------------------------------------- */

static char msg[MSG_MAX], hdrs[MSG_MAX];

static void cases_framing(void)
{
	size_t n = sip(msg, "Call-ID: framing-1@192.0.2.1\r\n", "v=0\r\n");
	struct xh_spec s = to_vip(XH_VIP4_DSR, msg, n);
	struct xh_frame f;

	printf("-- framing: every way in gives the same outer packet\n");
	f = frame(&s);
	expect_dsr_frame("IPv4", &f, XH_VIP4_DSR, "framing-1@192.0.2.1", 19, XDP_TX);
	s.tags[0] = ETH_P_8021Q;
	f = frame(&s);
	expect_dsr_frame("802.1Q tag (dropped on output)", &f, XH_VIP4_DSR, "framing-1@192.0.2.1",
			 19, XDP_TX);
	s.tags[0] = ETH_P_8021AD;
	s.tags[1] = ETH_P_8021Q;
	f = frame(&s);
	expect_dsr_frame("QinQ 802.1ad + 802.1Q", &f, XH_VIP4_DSR, "framing-1@192.0.2.1", 19,
			 XDP_TX);
	s.tags[0] = s.tags[1] = 0;
	s.opt_words = 10;
	f = frame(&s);
	expect_dsr_frame("IPv4 with 40 bytes of options (kept in the inner packet)", &f,
			 XH_VIP4_DSR, "framing-1@192.0.2.1", 19, XDP_TX);
	s.opt_words = 0;
	s.df = true;
	f = frame(&s);
	expect_dsr_frame("inner DF set: outer DF set", &f, XH_VIP4_DSR, "framing-1@192.0.2.1", 19,
			 XDP_TX);
	s.df = false;
	s.pad = 10;
	f = frame(&s);
	expect_dsr_frame("Ethernet padding after the IP packet: trimmed", &f, XH_VIP4_DSR,
			 "framing-1@192.0.2.1", 19, XDP_TX);

	s = to_vip(XH_VIP6_DSR, msg, n);
	f = frame(&s);
	expect_dsr_frame("IPv6 (outer IPv6, next header 41)", &f, XH_VIP6_DSR,
			 "framing-1@192.0.2.1", 19, XDP_TX);
	s.tags[0] = ETH_P_8021Q;
	f = frame(&s);
	expect_dsr_frame("IPv6 with an 802.1Q tag", &f, XH_VIP6_DSR, "framing-1@192.0.2.1", 19,
			 XDP_TX);
}

static void cases_gue(void)
{
	size_t n = sip(msg, "Call-ID: gue-1@192.0.2.1\r\n", "");
	struct xh_spec s4 = to_vip(XH_VIP4_DSR, msg, n), s6 = to_vip(XH_VIP6_DSR, msg, n);
	struct xh_frame f4 = frame(&s4), f6 = frame(&s6);

	printf("-- GUE\n");
	W.st.dsr.encap = SLB_ENCAP_GUE;
	xh_world_load(&P, &W, 1);
	expect_dsr_frame("GUE over IPv4 (UDP checksum 0)", &f4, XH_VIP4_DSR, "gue-1@192.0.2.1", 15,
			 XDP_TX);
	expect_dsr_frame("GUE over IPv6 (UDP checksum over every byte)", &f6, XH_VIP6_DSR,
			 "gue-1@192.0.2.1", 15, XDP_TX);
	s6.tags[0] = ETH_P_8021AD;
	s6.tags[1] = ETH_P_8021Q;
	s6.tos = 0x2e;
	f6 = frame(&s6);
	expect_dsr_frame("GUE over IPv6 from QinQ, another traffic class", &f6, XH_VIP6_DSR,
			 "gue-1@192.0.2.1", 15, XDP_TX);
	W.st.dsr.encap = SLB_ENCAP_IPIP;
	xh_world_load(&P, &W, 1);
}

static void cases_callid(void)
{
	static char big[MSG_MAX + 400];
	char id300[301];
	size_t n;

	printf("-- Call-ID forms that count\n");
	n = sip(msg, "i: compact-1@192.0.2.1\r\n", "");
	expect_dsr("compact i:", XH_VIP4_DSR, msg, n, "compact-1@192.0.2.1");
	n = sip(msg, "I :\tCompact-2\r\n", "");
	expect_dsr("compact I, SP before the colon, HT after", XH_VIP4_DSR, msg, n, "Compact-2");
	n = sip(msg, "cAlL-iD  \t :   mixed-case-3\r\n", "");
	expect_dsr("mixed case, SP/HT before the colon", XH_VIP4_DSR, msg, n, "mixed-case-3");
	n = sip(msg, "Call-ID:\r\n folded-4@192.0.2.1\r\n", "");
	expect_dsr("folded value (CRLF SP)", XH_VIP4_DSR, msg, n, "folded-4@192.0.2.1");
	n = sip(msg, "Call-ID: \r\n\t  folded-5\r\n", "");
	expect_dsr("folded value (SP CRLF HT SP SP)", XH_VIP4_DSR, msg, n, "folded-5");
	n = sip(msg, "Call-ID:trailing-6   \r\n", "");
	expect_dsr("no space after the colon, trailing spaces", XH_VIP4_DSR, msg, n, "trailing-6");
	n = sip(msg, "Call-ID: x\r\n", "");
	expect_dsr("one-byte Call-ID", XH_VIP4_DSR, msg, n, "x");
	n = (size_t)snprintf(msg, MSG_MAX, "OPTIONS sip:x SIP/2.0\r\ni:first-line-7\r\n\r\n");
	expect_dsr("Call-ID right after the start line", XH_VIP4_DSR, msg, n, "first-line-7");
	n = sip(msg, "Subject: Call-ID: fake-in-value\r\nCall-ID: real-8\r\n", "");
	expect_dsr("a Call-ID inside another header's value is skipped", XH_VIP4_DSR, msg, n,
		   "real-8");
	n = sip(msg, "Subject: look\r\n Call-ID: fake-continuation\r\ni: real-9\r\n", "");
	expect_dsr("a Call-ID on a continuation line is skipped", XH_VIP4_DSR, msg, n, "real-9");
	n = sip(msg, "Call-IDx: fake\r\nCall-ID-Foo: fake\r\nIx: fake\r\nCall-ID: real-10\r\n", "");
	expect_dsr("longer names that start like Call-ID or i are skipped", XH_VIP4_DSR, msg, n,
		   "real-10");
	memset(id300, 'L', 300);
	id300[300] = 0;
	snprintf(hdrs, sizeof(hdrs), "Call-ID: %s\r\n", id300);
	n = sip(msg, hdrs, "");
	expect_dsr("300-byte Call-ID (first 256 bytes and the length hashed)", XH_VIP4_DSR, msg, n,
		   id300);
	n = sip(msg, "Call-ID: ipv6-11@[2001:db8::1]\r\n", "");
	expect_dsr("IPv6 VIP", XH_VIP6_DSR, msg, n, "ipv6-11@[2001:db8::1]");

	/* The window: the terminator of the value must be inside it. These
	 * frames exceed 1500 bytes: the next hops get a jumbo MTU meanwhile. */
	for (int i = 0; i < XH_N_BACKENDS; i++)
		W.nh[i].mtu = 9000;
	xh_world_load(&P, &W, 1);
	pad_to(hdrs, WINDOW - 1, "Call-ID: edge-inside-12");
	n = sip(big, hdrs, "");
	expect_dsr("Call-ID ending at the window's last byte", XH_VIP4_DSR, big, n,
		   "edge-inside-12");

	printf("-- where a Call-ID must not be found\n");
	pad_to(hdrs, WINDOW, "Call-ID: edge-outside-13");
	n = sip(big, hdrs, "");
	expect_no_callid("Call-ID across the window's end", XH_VIP4_DSR, big, n);
	pad_to(hdrs, WINDOW + 30, "Call-ID: beyond-14");
	n = sip(big, hdrs, "");
	expect_no_callid("Call-ID beyond the window", XH_VIP4_DSR, big, n);
	for (int i = 0; i < XH_N_BACKENDS; i++)
		W.nh[i].mtu = 1500;
	xh_world_load(&P, &W, 1);
	n = sip(msg, "", "Call-ID: in-the-body\r\ni: in-the-body-too\r\n");
	expect_no_callid("Call-ID only in the body", XH_VIP4_DSR, msg, n);
	n = sip(msg, "Subject: Call-ID: only-in-a-value\r\nX-Note: x\r\ni: y\r\n", "");
	/* (the i: above is a real header: this one is found) */
	expect_dsr("control: a real compact header after a fake one", XH_VIP4_DSR, msg, n, "y");
	n = sip(msg, "Subject: Call-ID: only-in-a-value\r\n", "");
	expect_no_callid("Call-ID only inside another header's value", XH_VIP4_DSR, msg, n);
	n = sip(msg, "Call-ID:   \r\n", "");
	expect_no_callid("empty Call-ID value", XH_VIP4_DSR, msg, n);
	n = sip(msg, "Call-ID  x\r\n", "");
	expect_no_callid("Call-ID without a colon", XH_VIP4_DSR, msg, n);
	expect_no_callid("non-SIP UDP to a DSR VIP", XH_VIP4_DSR,
			 "hello, this is not SIP at all\r\n", 31);
	expect_no_callid("four bytes of UDP payload", XH_VIP4_DSR, "ping", 4);
	expect_no_callid("CRLF keep-alive", XH_VIP4_DSR, "\r\n\r\n", 4);
	cases_stun();
}

static void cases_dsr_paths(void)
{
	size_t n = sip(msg, "Call-ID: paths-1@192.0.2.1\r\n", "");
	struct xh_spec s = to_vip(XH_VIP4_DSR, msg, n);
	struct xh_frame f = frame(&s);
	uint64_t h;
	int be = xh_world_pick(&W, XH_VIP4_DSR, (const uint8_t *)"paths-1@192.0.2.1", 17, &h);
	struct slb_nexthop nh = W.nh[be];
	uint32_t id = (uint32_t)be;

	printf("-- DSR: next hop, MTU, backends\n");
	W.nh[be].ifindex = 1000000; /* not the ingress device */
	bpf_map_update_elem(P.fd[XH_NEXTHOP], &id, &W.nh[be], BPF_ANY);
	expect_dsr_frame("next hop on another interface: XDP_REDIRECT", &f, XH_VIP4_DSR,
			 "paths-1@192.0.2.1", 17, XDP_REDIRECT);
	W.nh[be] = nh;
	W.nh[be].mtu = (uint16_t)(f.ip_len + 20 - 1);
	bpf_map_update_elem(P.fd[XH_NEXTHOP], &id, &W.nh[be], BPF_ANY);
	expect_pass("one byte over the MTU once encapsulated", f.b, f.len, SLB_XDP_PASS_TOO_BIG,
		    XH_VIP4_DSR);
	W.nh[be].mtu = (uint16_t)(f.ip_len + 20);
	bpf_map_update_elem(P.fd[XH_NEXTHOP], &id, &W.nh[be], BPF_ANY);
	expect_dsr_frame("exactly the MTU once encapsulated", &f, XH_VIP4_DSR,
			 "paths-1@192.0.2.1", 17, XDP_TX);
	W.nh[be] = nh;
	bpf_map_update_elem(P.fd[XH_NEXTHOP], &id, &(struct slb_nexthop){ .ifindex = 0 }, BPF_ANY);
	expect_pass("no next hop for the backend", f.b, f.len, SLB_XDP_PASS_NO_NEXTHOP,
		    XH_VIP4_DSR);
	bpf_map_update_elem(P.fd[XH_NEXTHOP], &id, &W.nh[be], BPF_ANY);

	s = to_vip(XH_VIP4_EMPTY, msg, n);
	f = frame(&s);
	expect_pass("pool without a backend up (table_size 0)", f.b, f.len,
		    SLB_XDP_PASS_NO_BACKEND, XH_VIP4_EMPTY);

	/* Generation 2 lives in slot 0 with another seed: the pick follows it. */
	W.st.pools[0].seed ^= 0x1111;
	xh_world_load(&P, &W, 2);
	s = to_vip(XH_VIP4_DSR, msg, n);
	f = frame(&s);
	expect_dsr_frame("generation 2 (slot 0, new seed)", &f, XH_VIP4_DSR, "paths-1@192.0.2.1",
			 17, XDP_TX);
	W.st.pools[0].seed ^= 0x1111;
	xh_world_load(&P, &W, 3);
	expect_dsr_frame("generation 3 (slot 1 again)", &f, XH_VIP4_DSR, "paths-1@192.0.2.1", 17,
			 XDP_TX);
}

static struct xh_frame cut(struct xh_frame f, size_t len)
{
	f.len = len;
	return f;
}

static void cases_pass(void)
{
	size_t n = sip(msg, "Call-ID: pass-1\r\n", "");
	struct xh_spec s = to_vip(XH_VIP4_DSR, msg, n), t;
	struct xh_frame f = frame(&s), g;

	printf("-- to the kernel\n");
	t = s;
	t.proto = IPPROTO_ICMP;
	g = frame(&t);
	expect_pass("ICMP to a VIP", g.b, g.len, SLB_XDP_PASS_NOT_UDP, -1);
	t.proto = IPPROTO_TCP;
	g = frame(&t);
	expect_pass("TCP to a VIP", g.b, g.len, SLB_XDP_PASS_NOT_UDP, -1);
	t = to_vip(XH_VIP6_DSR, msg, n);
	t.proto = 0; /* hop-by-hop options first */
	t.raw_proto = true;
	g = frame(&t);
	expect_pass("IPv6 with a hop-by-hop header", g.b, g.len, SLB_XDP_PASS_NOT_UDP, -1);
	t.proto = 60;
	g = frame(&t);
	expect_pass("IPv6 with a destination options header", g.b, g.len, SLB_XDP_PASS_NOT_UDP,
		    -1);
	t.proto = 44;
	g = frame(&t);
	expect_pass("IPv6 fragment header", g.b, g.len, SLB_XDP_PASS_FRAGMENT, -1);
	t = s;
	t.frag = 0x2000;
	g = frame(&t);
	expect_pass("IPv4 first fragment (MF) to a DSR VIP", g.b, g.len, SLB_XDP_PASS_FRAGMENT,
		    XH_VIP4_DSR);
	t.frag = 0x00b9;
	g = frame(&t);
	expect_pass("IPv4 later fragment (offset) to a DSR VIP", g.b, g.len, SLB_XDP_PASS_FRAGMENT,
		    -1);
	t = s;
	t.dport = 5061;
	g = frame(&t);
	expect_pass("UDP to the VIP's address, other port", g.b, g.len, SLB_XDP_PASS_NOT_VIP, -1);
	xh_ip(AF_INET, "192.0.2.99", t.dst);
	t.dport = 5060;
	g = frame(&t);
	expect_pass("UDP to another address", g.b, g.len, SLB_XDP_PASS_NOT_VIP, -1);
	t = to_vip(XH_VIP6_DSR, msg, n);
	xh_ip(AF_INET6, "2001:db8::99", t.dst);
	g = frame(&t);
	expect_pass("IPv6 UDP to another address", g.b, g.len, SLB_XDP_PASS_NOT_VIP, -1);

	/* ARP: Ethernet/IPv4 who-has 192.0.2.10 */
	static const uint8_t arp[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2,
					 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2,
					 198, 51, 100, 77, 0, 0, 0, 0, 0, 0, 192, 0, 2, 10 };
	expect_pass("ARP", arp, sizeof(arp), SLB_XDP_PASS_NOT_IP, -1);

	printf("-- truncated or malformed at every layer\n");
	/* BPF_PROG_TEST_RUN refuses frames under ETH_HLEN (no NIC delivers
	 * them): the shortest is a bare Ethernet header, which says IPv4. */
	expect_pass("Ethernet header only", f.b, 14, SLB_XDP_PASS_TRUNCATED, -1);
	t = s;
	t.tags[0] = ETH_P_8021AD;
	t.tags[1] = ETH_P_8021Q;
	g = frame(&t);
	expect_pass("inside the first VLAN tag", g.b, 16, SLB_XDP_PASS_TRUNCATED, -1);
	expect_pass("inside the second VLAN tag", g.b, 20, SLB_XDP_PASS_TRUNCATED, -1);
	g = cut(f, 14 + 19);
	expect_pass("inside the IPv4 header", g.b, g.len, SLB_XDP_PASS_TRUNCATED, -1);
	t = s;
	t.opt_words = 4;
	g = frame(&t);
	expect_pass("inside the IPv4 options", g.b, 14 + 30, SLB_XDP_PASS_TRUNCATED, -1);
	g = cut(f, f.len - 1);
	expect_pass("IPv4 total length beyond the frame", g.b, g.len, SLB_XDP_PASS_TRUNCATED, -1);
	g = f;
	g.b[14] = 0x44;
	expect_pass("IPv4 IHL 4", g.b, g.len, SLB_XDP_PASS_TRUNCATED, -1);
	g = cut(f, 14 + 20 + 7);
	xh_put16(g.b + 16, 27); /* a consistent IPv4 total length */
	expect_pass("inside the UDP header", g.b, g.len, SLB_XDP_PASS_TRUNCATED, -1);
	g = f;
	xh_put16(g.b + 14 + 20 + 4, (uint16_t)(8 + n + 1));
	expect_pass("UDP length beyond the IP payload", g.b, g.len, SLB_XDP_PASS_TRUNCATED, -1);
	g = f;
	xh_put16(g.b + 14 + 20 + 4, 7);
	expect_pass("UDP length 7", g.b, g.len, SLB_XDP_PASS_TRUNCATED, -1);
	t = to_vip(XH_VIP6_DSR, msg, n);
	g = frame(&t);
	expect_pass("inside the IPv6 header", g.b, 14 + 39, SLB_XDP_PASS_TRUNCATED, -1);
	expect_pass("IPv6 payload beyond the frame", g.b, g.len - 1, SLB_XDP_PASS_TRUNCATED, -1);
	xh_put16(g.b + 14 + 40 + 4, (uint16_t)(8 + n - 1));
	expect_pass("IPv6: UDP shorter than the IPv6 payload", g.b, g.len, SLB_XDP_PASS_TRUNCATED,
		    -1);
}

static void cases_steer(void)
{
	size_t n = sip(msg, "Call-ID: steer-1\r\n", "");
	struct xh_spec s4 = to_vip(XH_VIP4_PROXY, msg, n), s6 = to_vip(XH_VIP6_PROXY, msg, n);
	struct xh_frame f4 = frame(&s4), f6 = frame(&s6), r;
	struct want steer = { XDP_REDIRECT, SLB_XDP_STEER, SLB_XDP_STEER_WHOLE, XH_VIP4_PROXY, -1,
			      NULL, 0 };
	static const char resp[] = "SIP/2.0 200 OK\r\nCall-ID: steer-1\r\n\r\n";
	struct xh_spec sr = to_vip(XH_VIP4_PROXY, resp, sizeof(resp) - 1);
	int xsk;

	printf("-- proxy VIPs: siplb-dp's AF_XDP socket\n");
	expect_pass("proxy VIP, no socket on the queue", f4.b, f4.len, SLB_XDP_PASS_NO_STEER,
		    XH_VIP4_PROXY);
	expect_pass("IPv6 proxy VIP, no socket on the queue", f6.b, f6.len, SLB_XDP_PASS_NO_STEER,
		    XH_VIP6_PROXY);
	xsk = xh_add_xsk(&P);
	CHECK(xsk >= 0, "AF_XDP socket into xsks_map: %s", strerror(-xsk));
	if (xsk < 0)
		return;
	expect("proxy VIP with a socket", f4.b, f4.len, &steer);
	s4.tags[0] = ETH_P_8021Q;
	r = frame(&s4);
	expect("proxy VIP, VLAN-tagged, with a socket", r.b, r.len, &steer);
	xh_ip(AF_INET, "198.51.100.1", sr.src); /* backend 0 answers */
	r = frame(&sr);
	expect("a backend's response to a proxy VIP", r.b, r.len, &steer);
	steer.vip = XH_VIP6_PROXY;
	expect("IPv6 proxy VIP with a socket", f6.b, f6.len, &steer);
	xh_del_xsk(&P, xsk);
}

/* n runs of the same frame through the proxy VIP without socket (which
 * leaves the frame as it is, so a repeated test run sees it again): how
 * many got past flood protection. */
static uint64_t passed_of(const struct xh_frame *f, uint32_t n, uint64_t *dropped, int reason)
{
	struct slb_xdp_stats a, b;
	static struct xh_result r;

	xh_stats(&P, &a);
	if (xh_run(&P, f->b, (uint32_t)f->len, n, &r))
		return 0;
	xh_stats(&P, &b);
	*dropped = b.drop[reason] - a.drop[reason];
	return b.pass[SLB_XDP_PASS_NO_STEER] - a.pass[SLB_XDP_PASS_NO_STEER];
}

static void cases_flood(void)
{
	size_t n = sip(msg, "Call-ID: flood-1\r\n", "");
	struct xh_spec s = to_vip(XH_VIP4_PROXY, msg, n), s6 = to_vip(XH_VIP6_PROXY, msg, n);
	struct slb_lpm4 k4 = { .prefixlen = 24 };
	struct slb_lpm6 k6 = { .prefixlen = 48 };
	struct xh_frame f;
	uint64_t passed, dropped;
	uint8_t one = 1;

	printf("-- flood protection\n");
	uint8_t a[16];

	xh_ip(AF_INET, "203.0.113.0", a);
	memcpy(k4.addr, a, 4);
	xh_ip(AF_INET6, "2001:db8:bad::", k6.addr);
	CHECK(!bpf_map_update_elem(P.fd[XH_BLOCK4], &k4, &one, BPF_ANY) &&
	      !bpf_map_update_elem(P.fd[XH_BLOCK6], &k6, &one, BPF_ANY),
	      "blocklist: update: %s", strerror(errno));
	W.st.n_block4 = W.st.n_block6 = 1; /* as siplbd publishes with the tries */
	xh_world_load(&P, &W, 3);
	xh_ip(AF_INET, "203.0.113.77", s.src);
	f = frame(&s);
	expect_drop("source in a blocked IPv4 /24", f.b, f.len, SLB_XDP_DROP_BLOCKED,
		    XH_VIP4_PROXY);
	xh_ip(AF_INET, "203.0.114.77", s.src);
	f = frame(&s);
	expect_pass("source next to the blocked /24", f.b, f.len, SLB_XDP_PASS_NO_STEER,
		    XH_VIP4_PROXY);
	xh_ip(AF_INET6, "2001:db8:bad:1::5", s6.src);
	f = frame(&s6);
	expect_drop("source in a blocked IPv6 /48", f.b, f.len, SLB_XDP_DROP_BLOCKED,
		    XH_VIP6_PROXY);
	xh_ip(AF_INET6, "2001:db8:bae::5", s6.src);
	f = frame(&s6);
	expect_pass("IPv6 source outside the /48", f.b, f.len, SLB_XDP_PASS_NO_STEER,
		    XH_VIP6_PROXY);

	/* Per source: 1 packet/s with a burst of 5: of 100 back to back (a few
	 * microseconds in the kernel), burst + 1 = 6 pass. */
	W.st.src_rate_pps = 1;
	W.st.src_rate_burst = 5;
	xh_world_load(&P, &W, 3);
	xh_ip(AF_INET, "198.51.100.200", s.src);
	f = frame(&s);
	passed = passed_of(&f, 100, &dropped, SLB_XDP_DROP_SOURCE_RATE);
	CHECK_SHOW(passed == 6 && dropped == 94, "source over its rate: %" PRIu64 " of 100 passed "
		   "(burst 5 + 1), %" PRIu64 " dropped, want 6/94", passed, dropped);
	xh_ip(AF_INET, "198.51.100.201", s.src);
	f = frame(&s);
	expect_pass("another source has its own budget", f.b, f.len, SLB_XDP_PASS_NO_STEER,
		    XH_VIP4_PROXY);
	xh_ip(AF_INET6, "2001:db8:77::200", s6.src);
	f = frame(&s6);
	passed = passed_of(&f, 50, &dropped, SLB_XDP_DROP_SOURCE_RATE);
	CHECK_SHOW(passed == 6 && dropped == 44, "IPv6 source over its rate: %" PRIu64 " of 50 "
		   "passed, %" PRIu64 " dropped, want 6/44", passed, dropped);
	W.st.src_rate_pps = 0;
	W.st.src_rate_burst = 0;

	/* Per VIP: 1/s, burst 3, across sources; a blocked source first does
	 * not use up the cap. */
	W.st.vips[XH_VIP4_CAPPED].rate_pps = 1;
	W.st.vips[XH_VIP4_CAPPED].rate_burst = 3;
	xh_world_load(&P, &W, 3);
	s = to_vip(XH_VIP4_CAPPED, msg, n);
	xh_ip(AF_INET, "203.0.113.9", s.src);
	f = frame(&s);
	expect_drop("blocked source to the capped VIP", f.b, f.len, SLB_XDP_DROP_BLOCKED,
		    XH_VIP4_CAPPED);
	for (int i = 0; i < 6; i++) {
		char src[32], what[64];

		snprintf(src, sizeof(src), "198.51.100.%d", 150 + i);
		xh_ip(AF_INET, src, s.src);
		f = frame(&s);
		snprintf(what, sizeof(what), "capped VIP, source %d of 6", i + 1);
		if (i < 4)
			expect_pass(what, f.b, f.len, SLB_XDP_PASS_NO_STEER, XH_VIP4_CAPPED);
		else
			expect_drop(what, f.b, f.len, SLB_XDP_DROP_VIP_RATE, XH_VIP4_CAPPED);
	}
	W.st.vips[XH_VIP4_CAPPED].rate_pps = 0;
	xh_world_load(&P, &W, 3);
	bpf_map_delete_elem(P.fd[XH_BLOCK4], &k4);
	bpf_map_delete_elem(P.fd[XH_BLOCK6], &k6);
	W.st.n_block4 = W.st.n_block6 = 0;
	xh_world_load(&P, &W, 3);
}

/* ---- routing rules offloaded to XDP --------------------------------------- */

/* The VIPs' rules of the rule cases, as the configuration gives them. */
static struct slb_config_vip rule_vips[XH_N_VIPS];

/* VIP 1 (IPv4 proxy): a drop, a rate per source, a drop on one source
 * port, an IPv6 drop, a SIP-field rule, then a drop that must stay in
 * siplb-dp; VIP 3 (IPv6 proxy): a drop. The other VIPs have none. */
static void rule_config(struct slb_config *c, bool with_first)
{
	static struct slb_rule v1[6], v3[1];

	v1[0] = rb_rule("203.0.113.0/24", 0, SLB_RULE_ACT_DROP);
	v1[1] = rb_rate(rb_rule("198.51.100.128/25", 0, SLB_RULE_ACT_CONTINUE), 2, 3, true, false);
	v1[2] = rb_rule("10.9.0.0/16", 5070, SLB_RULE_ACT_DROP);
	/* IPv6 on an IPv4 VIP: matches nothing, also not 32.1.13.184 (0x20010db8) */
	v1[3] = rb_rule("2001:db8::/32", 0, SLB_RULE_ACT_DROP);
	v1[4] = rb_field(rb_rule(NULL, 0, SLB_RULE_ACT_POOL), SLB_RULE_F_METHOD, "INVITE");
	v1[5] = rb_rule("192.0.2.200", 0, SLB_RULE_ACT_DROP);
	v3[0] = rb_rule("2001:db8:bad::/48", 0, SLB_RULE_ACT_DROP);
	memset(c, 0, sizeof(*c));
	memset(rule_vips, 0, sizeof(rule_vips));
	c->vips = rule_vips;
	c->n_vips = XH_N_VIPS;
	for (unsigned v = 0; v < XH_N_VIPS; v++)
		rule_vips[v].a.family = W.st.vips[v].family;
	rule_vips[XH_VIP4_PROXY].rules = (struct slb_rules){.rules = v1 + !with_first,
							    .n = 6 - !with_first};
	rule_vips[XH_VIP6_PROXY].rules = (struct slb_rules){.rules = v3, .n = 1};
}

/* What siplbd's publish does for the rules: the entries into generation
 * gen's slot, the flags into the world, then the flip. */
static struct slb_rules_xdp_report rule_publish(const struct slb_config *c, uint64_t gen,
						bool flip)
{
	struct slb_rules_xdp_report rep = {0};
	char err[256];

	CHECK(!slb_rules_xdp_sync(P.fd[XH_RULE_SRC], P.fd[XH_RULE_HITS], c, NULL,
				  (uint32_t)(gen & 1), &rep, err, sizeof(err)), "rules into XDP: %s", err);
	for (unsigned v = 0; v < XH_N_VIPS; v++) {
		W.st.vips[v].flags &= (uint8_t)~SLB_VIP_XDP_RULES;
		if (rep.vips >> v & 1)
			W.st.vips[v].flags |= SLB_VIP_XDP_RULES;
	}
	if (flip)
		xh_world_load(&P, &W, gen);
	return rep;
}

struct rule_drops {
	uint64_t drops[XH_N_VIPS][8];
};

static void add_drops(uint32_t vip, uint32_t rule, uint64_t drops, void *arg)
{
	struct rule_drops *d = arg;

	if (vip < XH_N_VIPS && rule < 8)
		d->drops[vip][rule] += drops;
}

static struct rule_drops rule_drops(uint64_t gen)
{
	struct rule_drops d;
	char err[256];

	memset(&d, 0, sizeof(d));
	CHECK(!slb_rules_xdp_hits(P.fd[XH_RULE_SRC], P.fd[XH_RULE_HITS], (uint32_t)(gen & 1),
				  add_drops, &d, err, sizeof(err)), "rule hits: %s", err);
	return d;
}

/* A request (or a response) from src:sport to VIP vip. */
static struct xh_frame rule_frame(unsigned vip, const char *src, uint16_t sport, bool response)
{
	static const char resp[] = "SIP/2.0 200 OK\r\nCall-ID: r-1\r\n\r\n";
	size_t n = sip(msg, "Call-ID: rule-1\r\n", "");
	struct xh_spec s = response ? to_vip(vip, resp, sizeof(resp) - 1) : to_vip(vip, msg, n);

	xh_ip(s.family, src, s.src);
	if (sport)
		s.sport = sport;
	return frame(&s);
}

static void rule_expect(const char *what, unsigned vip, const char *src, uint16_t sport,
			int drop_reason)
{
	struct xh_frame f = rule_frame(vip, src, sport, false);

	if (drop_reason >= 0)
		expect_drop(what, f.b, f.len, drop_reason, (int)vip);
	else
		expect_pass(what, f.b, f.len, SLB_XDP_PASS_NO_STEER, (int)vip);
}

static void cases_rules_verdicts(void)
{
	struct xh_frame f;

	rule_expect("rule source to its VIP: dropped", XH_VIP4_PROXY, "203.0.113.77", 0,
		    SLB_XDP_DROP_RULE);
	rule_expect("same source to another VIP: passes", XH_VIP4_CAPPED, "203.0.113.77", 0, -1);
	f = rule_frame(XH_VIP4_EMPTY, "203.0.113.77", 0, false);
	expect_pass("same source to a DSR VIP without rules", f.b, f.len, SLB_XDP_PASS_NO_BACKEND,
		    XH_VIP4_EMPTY);
	f = rule_frame(XH_VIP4_PROXY, "203.0.113.77", 0, true);
	expect_pass("a response from the rule's source: rules do not apply", f.b, f.len,
		    SLB_XDP_PASS_NO_STEER, XH_VIP4_PROXY);
	rule_expect("source next to the prefix", XH_VIP4_PROXY, "203.0.114.77", 0, -1);
	rule_expect("the rule's source port: dropped", XH_VIP4_PROXY, "10.9.1.1", 5070,
		    SLB_XDP_DROP_RULE);
	rule_expect("another source port: passes", XH_VIP4_PROXY, "10.9.1.1", 5062, -1);
	rule_expect("a rule after a SIP-field rule: left to siplb-dp", XH_VIP4_PROXY,
		    "192.0.2.200", 0, -1);
	rule_expect("an IPv6 rule's first bits as an IPv4 source: passes", XH_VIP4_PROXY,
		    "32.1.13.184", 0, -1);
	rule_expect("IPv6 rule source: dropped", XH_VIP6_PROXY, "2001:db8:bad:1::5", 0,
		    SLB_XDP_DROP_RULE);
	rule_expect("IPv6 source outside it", XH_VIP6_PROXY, "2001:db8:bae::5", 0, -1);
}

/* 2/s, burst 3 per source: of 100 back to back, 4 pass; each source has
 * its own bucket. */
static void cases_rules_rate(void)
{
	struct xh_frame f = rule_frame(XH_VIP4_PROXY, "198.51.100.200", 0, false);
	uint64_t passed, dropped;

	passed = passed_of(&f, 100, &dropped, SLB_XDP_DROP_RULE_RATE);
	CHECK_SHOW(passed == 4 && dropped == 96, "rate rule 2/s burst 3: %" PRIu64 " of 100 "
		   "passed, %" PRIu64 " dropped, want 4/96", passed, dropped);
	f = rule_frame(XH_VIP4_PROXY, "198.51.100.201", 0, false);
	passed = passed_of(&f, 10, &dropped, SLB_XDP_DROP_RULE_RATE);
	CHECK_SHOW(passed == 4 && dropped == 6, "another source of the prefix: %" PRIu64 " of 10 "
		   "passed, want 4", passed);
	f = rule_frame(XH_VIP4_PROXY, "198.51.100.77", 0, false);
	passed = passed_of(&f, 10, &dropped, SLB_XDP_DROP_RULE_RATE);
	CHECK(passed == 10 && dropped == 0, "a source outside the rate rule: %" PRIu64 " of 10",
	      passed);
}

/* The entries of generation slot `slot` in rule_src. */
static uint32_t rule_entries(uint32_t slot)
{
	struct slb_rule_src_key k, *prev = NULL;
	uint32_t n = 0;

	while (!bpf_map_get_next_key(P.fd[XH_RULE_SRC], prev, &k)) {
		n += k.vip / SLB_MAX_VIPS == slot;
		prev = &k;
	}
	return n;
}

/* A DSR VIP's requests never reach siplb-dp: a rule XDP cannot apply there
 * is refused with its origin, and nothing is written. */
static void cases_rules_dsr(struct slb_config *c)
{
	struct slb_rule dsr_rules[] = {
		rb_rule("203.0.113.0/24", 0, SLB_RULE_ACT_DROP),
		rb_field(rb_rule(NULL, 0, SLB_RULE_ACT_DROP), SLB_RULE_F_USER_AGENT, "sipvicious"),
	};
	struct slb_rules_xdp_report rep;
	uint32_t before = rule_entries(0);
	char err[256] = "";

	snprintf(dsr_rules[1].origin, sizeof(dsr_rules[1].origin), "siplb.conf:42");
	rule_vips[XH_VIP4_DSR] = (struct slb_config_vip){
		.name = "dsr4", .a.family = AF_INET, .mode = SLB_MODE_DSR,
		.rules = {.rules = dsr_rules, .n = 2}};
	CHECK_SHOW(slb_rules_xdp_sync(P.fd[XH_RULE_SRC], P.fd[XH_RULE_HITS], c, NULL, 0, &rep,
				      err, sizeof(err)) &&
		   strstr(err, "siplb.conf:42: vip dsr4 is dsr") && strstr(err, "rule 1 (sip_field)"),
		   "a SIP-field rule on a DSR VIP: %s", err);
	CHECK(rule_entries(0) == before, "refused: slot 0 as it was (%u entries, want %u)",
	      rule_entries(0), before);
	rule_vips[XH_VIP4_DSR].rules.n = 1;
	CHECK(!slb_rules_xdp_sync(P.fd[XH_RULE_SRC], P.fd[XH_RULE_HITS], c, NULL, 1, &rep, err,
				  sizeof(err)) && (rep.vips >> XH_VIP4_DSR & 1),
	      "a source drop on a DSR VIP: offloaded (%s)", err);
	rule_vips[XH_VIP4_DSR] = (struct slb_config_vip){0};
}

static void cases_rules(void)
{
	struct slb_config c;
	struct slb_rules_xdp_report rep;
	struct rule_drops d;

	printf("-- routing rules offloaded to XDP\n");
	rule_config(&c, true);
	rep = rule_publish(&c, 4, true);
	CHECK_SHOW(rep.offloaded == 4 && rep.no_room == 0 &&
		   rep.vips == (1u << XH_VIP4_PROXY | 1u << XH_VIP6_PROXY),
		   "offloaded %u entries (want 4), VIPs %#llx", rep.offloaded,
		   (unsigned long long)rep.vips);
	cases_rules_verdicts();
	cases_rules_rate();
	d = rule_drops(4);
	CHECK_SHOW(d.drops[XH_VIP4_PROXY][0] == 1 && d.drops[XH_VIP4_PROXY][1] == 102 &&
		   d.drops[XH_VIP4_PROXY][2] == 1 && d.drops[XH_VIP6_PROXY][0] == 1,
		   "drops per rule: VIP 1: %" PRIu64 " %" PRIu64 " %" PRIu64 ", VIP 3: %" PRIu64
		   " (want 1 102 1, 1)", d.drops[XH_VIP4_PROXY][0], d.drops[XH_VIP4_PROXY][1],
		   d.drops[XH_VIP4_PROXY][2], d.drops[XH_VIP6_PROXY][0]);

	/* The same per rule, as siplbd's stats ask (two lookups), for every rule
	 * of VIP 1: 0 for those not offloaded. */
	for (uint32_t i = 0; i < rule_vips[XH_VIP4_PROXY].rules.n; i++) {
		uint64_t got = slb_rules_xdp_rule_drops(P.fd[XH_RULE_SRC], P.fd[XH_RULE_HITS], 0,
							XH_VIP4_PROXY, i,
							&rule_vips[XH_VIP4_PROXY].rules.rules[i].rec);

		CHECK(got == d.drops[XH_VIP4_PROXY][i], "rule %u's drops alone: %" PRIu64 ", want %"
		      PRIu64, i, got, d.drops[XH_VIP4_PROXY][i]);
	}
	/* The same rules, VIP 3's list changed (siplb-dp's counters restart):
	 * its rule's XDP counter restarts too, VIP 1's stay. */
	uint64_t changed[SLB_MAX_VIPS] = {0};
	char err[256];

	changed[XH_VIP6_PROXY] = 5;
	CHECK(!slb_rules_xdp_sync(P.fd[XH_RULE_SRC], P.fd[XH_RULE_HITS], &c, changed, 1, &rep, err,
				  sizeof(err)), "rules into XDP: %s", err);
	d = rule_drops(5);
	CHECK_SHOW(d.drops[XH_VIP6_PROXY][0] == 0 && d.drops[XH_VIP4_PROXY][1] == 102,
		   "VIP 3's list changed: its counter %" PRIu64 " (want 0), VIP 1's rule 1 %"
		   PRIu64 " (want 102)", d.drops[XH_VIP6_PROXY][0], d.drops[XH_VIP4_PROXY][1]);

	/* The first rule goes: written into the next slot, it changes nothing
	 * until the flip, then the source passes. */
	rule_config(&c, false);
	rep = rule_publish(&c, 5, false);
	rule_expect("rule removed, not flipped yet: still dropped", XH_VIP4_PROXY, "203.0.113.77",
		    0, SLB_XDP_DROP_RULE);
	xh_world_load(&P, &W, 5);
	rule_expect("rule removed and flipped: passes", XH_VIP4_PROXY, "203.0.113.77", 0, -1);
	rule_expect("the next rule, now first: dropped", XH_VIP4_PROXY, "10.9.1.1", 5070,
		    SLB_XDP_DROP_RULE);
	d = rule_drops(5);
	CHECK_SHOW(d.drops[XH_VIP4_PROXY][1] == 1 && d.drops[XH_VIP4_PROXY][0] == 0 &&
		   d.drops[XH_VIP6_PROXY][0] == 1,
		   "counters: fresh for the moved rules (rule 1: %" PRIu64 ", rule 0: %" PRIu64
		   "), kept for the unchanged one (VIP 3: %" PRIu64 ")", d.drops[XH_VIP4_PROXY][1],
		   d.drops[XH_VIP4_PROXY][0], d.drops[XH_VIP6_PROXY][0]);

	cases_rules_dsr(&c);

	/* No rules: nothing left in either slot, no VIP flagged. */
	memset(&c, 0, sizeof(c));
	c.vips = rule_vips;
	c.n_vips = XH_N_VIPS;
	memset(rule_vips, 0, sizeof(rule_vips));
	rep = rule_publish(&c, 6, true);
	rep = rule_publish(&c, 7, true);
	CHECK(rep.offloaded == 0 && rep.vips == 0 && rule_entries(0) == 0 && rule_entries(1) == 0,
	      "no rules: the trie empty (%u offloaded)", rep.offloaded);
	rule_expect("no rules: passes", XH_VIP6_PROXY, "2001:db8:bad:1::5", 0, -1);
	xh_world_load(&P, &W, 3);
}

/* ---- Ethernet destination ------------------------------------------------- */

/* One run of f on a port with no MAC in port_mac: the verdict of a frame to
 * our MAC, and counted no_port_mac. */
static void expect_unchecked(const char *what, const struct xh_frame *f, uint32_t retval)
{
	static struct xh_result r;
	struct slb_xdp_stats a, b;

	bool ran = !xh_stats(&P, &a) && !xh_run(&P, f->b, (uint32_t)f->len, 1, &r) &&
		   !xh_stats(&P, &b);

	CHECK(ran, "%s: test run: %s", what, strerror(errno));
	if (!ran)
		return;
	CHECK_SHOW(r.retval == retval && b.no_port_mac - a.no_port_mac == 1,
		   "%s: %s, no_port_mac +%llu; want %s, +1", what, xh_action_name(r.retval),
		   (unsigned long long)(b.no_port_mac - a.no_port_mac), xh_action_name(retval));
}

static void cases_mac(void)
{
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x99 }, bcast[6] = { 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff }, mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	size_t n = sip(msg, "Call-ID: mac-1@192.0.2.1\r\n", "");
	struct xh_spec s = to_vip(XH_VIP4_DSR, msg, n), sp = to_vip(XH_VIP4_PROXY, msg, n);
	struct xh_frame f = frame(&s), g;
	int xsk;

	printf("-- Ethernet destination: this port's MAC, broadcast, multicast, or not ours\n");
	memcpy(f.b, other, 6);
	expect_pass("DSR VIP, another host's MAC", f.b, f.len, SLB_XDP_PASS_OTHER_HOST, -1);
	s.tags[0] = ETH_P_8021Q;
	g = frame(&s);
	memcpy(g.b, other, 6);
	expect_pass("DSR VIP, VLAN-tagged, another host's MAC", g.b, g.len,
		    SLB_XDP_PASS_OTHER_HOST, -1);
	g = frame(&sp);
	memcpy(g.b, other, 6);
	xsk = xh_add_xsk(&P);
	expect_pass("proxy VIP with a socket, another host's MAC", g.b, g.len,
		    SLB_XDP_PASS_OTHER_HOST, -1);
	xh_del_xsk(&P, xsk);
	s.tags[0] = 0;
	f = frame(&s);
	memcpy(f.b, bcast, 6);
	expect_dsr_frame("broadcast", &f, XH_VIP4_DSR, "mac-1@192.0.2.1", 15, XDP_TX);
	memcpy(f.b, mcast, 6);
	expect_dsr_frame("multicast", &f, XH_VIP4_DSR, "mac-1@192.0.2.1", 15, XDP_TX);

	/* The slot holds another interface (ifindex + entries): no MAC known. */
	xh_set_port_mac(&P, W.lo_ifindex + SLB_XDP_PORT_ENTRIES, xh_port_mac);
	memcpy(f.b, other, 6);
	expect_unchecked("no MAC known for the port: not checked", &f, XDP_TX);
	xh_set_port_mac(&P, W.lo_ifindex, xh_port_mac);
	expect_pass("MAC known again", f.b, f.len, SLB_XDP_PASS_OTHER_HOST, -1);
}

/* ---- IPv4 fragments -------------------------------------------------------- */

/* A fragment of the datagram from src with IP id id to VIP vip: frag is
 * MF | offset (8-byte units); the first has a UDP length for the whole. */
static struct xh_frame fragment(unsigned vip, const char *src, uint16_t id, uint16_t frag)
{
	struct xh_spec s = to_vip(vip, msg, 600);
	struct xh_frame f;

	xh_ip(AF_INET, src, s.src);
	s.ip_id = id;
	s.frag = frag;
	f = frame(&s);
	if (!(frag & 0x1fff))
		xh_put16(f.b + f.l3_off + 20 + 4, 3000);
	return f;
}

static const struct want steer_first = { XDP_REDIRECT, SLB_XDP_STEER, SLB_XDP_STEER_FIRST_FRAG,
					 XH_VIP4_PROXY, -1, NULL, 0 };
static const struct want steer_later = { XDP_REDIRECT, SLB_XDP_STEER, SLB_XDP_STEER_LATER_FRAG,
					 XH_VIP4_PROXY, -1, NULL, 0 };

#define CLIENT "198.51.100.77"
#define MF 0x2000

static void cases_fragments_matched(void)
{
	struct xh_frame f;

	f = fragment(XH_VIP4_PROXY, CLIENT, 0x4001, MF | 75);
	expect_pass("later fragment before its first", f.b, f.len, SLB_XDP_PASS_FRAGMENT, -1);
	f = fragment(XH_VIP4_PROXY, CLIENT, 0x4001, MF);
	expect("first fragment (offset 0, MF) to a proxy VIP", f.b, f.len, &steer_first);
	f = fragment(XH_VIP4_PROXY, CLIENT, 0x4001, MF | 75);
	expect("its later fragment, matched by address and IP id", f.b, f.len, &steer_later);
	f = fragment(XH_VIP4_PROXY, CLIENT, 0x4001, 150);
	expect("its last fragment (MF clear)", f.b, f.len, &steer_later);
	f = fragment(XH_VIP4_PROXY, CLIENT, 0x4002, 150);
	expect_pass("another IP id", f.b, f.len, SLB_XDP_PASS_FRAGMENT, -1);
	f = fragment(XH_VIP4_PROXY, "198.51.100.78", 0x4001, 150);
	expect_pass("another source, same IP id", f.b, f.len, SLB_XDP_PASS_FRAGMENT, -1);
	f = fragment(XH_VIP4_CAPPED, CLIENT, 0x4001, 150);
	expect_pass("another proxy VIP's address, same IP id", f.b, f.len, SLB_XDP_PASS_FRAGMENT,
		    -1);
	f = fragment(XH_VIP4_PROXY, CLIENT, 0x4003, MF);
	xh_put16(f.b + f.l3_off + 20 + 2, 5061);
	expect_pass("first fragment to the VIP's address, another port", f.b, f.len,
		    SLB_XDP_PASS_FRAGMENT, -1);
	f = fragment(XH_VIP4_PROXY, CLIENT, 0x4003, 150);
	expect_pass("  and its later fragment", f.b, f.len, SLB_XDP_PASS_FRAGMENT, -1);
	f = fragment(XH_VIP4_PROXY, CLIENT, 0x4004, MF);
	f.len = f.l3_off + 20 + 7;
	xh_put16(f.b + f.l3_off + 2, 27);
	expect_pass("first fragment with 7 bytes of UDP header", f.b, f.len,
		    SLB_XDP_PASS_TRUNCATED, -1);
}

/* bpf_ktime_get_ns() now: CLOCK_MONOTONIC. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The frags entry of CLIENT's datagram id to the proxy VIP, age_ns old. */
static void put_frag(uint16_t id, uint64_t age_ns)
{
	struct slb_frag_key k = { 0 };
	struct slb_frag v = { 0 };
	uint8_t a[16];

	xh_ip(AF_INET, CLIENT, a);
	memcpy(&k.saddr, a, 4);
	xh_vip_addr(&W, XH_VIP4_PROXY, a);
	memcpy(&k.daddr, a, 4);
	k.id = htons(id);
	k.proto = IPPROTO_UDP;
	v.first_ns = now_ns() - age_ns;
	v.dport = htons(5060);
	CHECK(!bpf_map_update_elem(P.fd[XH_FRAGS], &k, &v, BPF_ANY), "frags: update: %s",
	      strerror(errno));
}

static void cases_fragments_expiry(void)
{
	struct xh_frame f = fragment(XH_VIP4_PROXY, CLIENT, 0x4010, 150);

	put_frag(0x4010, 1000000000ULL);
	expect("a first fragment steered 1 s ago", f.b, f.len, &steer_later);
	put_frag(0x4010, 3000000000ULL);
	expect_pass("a first fragment steered 3 s ago (timeout 2 s)", f.b, f.len,
		    SLB_XDP_PASS_FRAGMENT, -1);
}

/* Blocklist and source rate apply to every fragment: each is a packet. */
static void cases_fragments_flood(void)
{
	struct slb_lpm4 k4 = { .prefixlen = 32 };
	struct xh_frame f;
	uint8_t one = 1, a[16];

	xh_ip(AF_INET, "203.0.113.5", a);
	memcpy(k4.addr, a, 4);
	bpf_map_update_elem(P.fd[XH_BLOCK4], &k4, &one, BPF_ANY);
	W.st.n_block4 = 1;
	W.st.src_rate_pps = 1;
	W.st.src_rate_burst = 1;
	xh_world_load(&P, &W, 3);
	f = fragment(XH_VIP4_PROXY, "203.0.113.5", 0x4020, MF);
	expect_drop("first fragment from a blocked source", f.b, f.len, SLB_XDP_DROP_BLOCKED,
		    XH_VIP4_PROXY);
	f = fragment(XH_VIP4_PROXY, "203.0.113.5", 0x4020, 150);
	expect_pass("  its later fragment (nothing steered to follow)", f.b, f.len,
		    SLB_XDP_PASS_FRAGMENT, -1);
	f = fragment(XH_VIP4_PROXY, "198.51.100.90", 0x4021, MF);
	expect("rate 1/s burst 1: first fragment", f.b, f.len, &steer_first);
	f = fragment(XH_VIP4_PROXY, "198.51.100.90", 0x4021, MF | 75);
	expect("  second fragment (the burst)", f.b, f.len, &steer_later);
	f = fragment(XH_VIP4_PROXY, "198.51.100.90", 0x4021, 150);
	expect_drop("  third fragment: over the source's rate", f.b, f.len,
		    SLB_XDP_DROP_SOURCE_RATE, XH_VIP4_PROXY);
	bpf_map_delete_elem(P.fd[XH_BLOCK4], &k4);
	W.st.n_block4 = 0;
	W.st.src_rate_pps = W.st.src_rate_burst = 0;
	xh_world_load(&P, &W, 3);
}

static void cases_fragments(void)
{
	struct xh_frame f;
	int xsk;

	printf("-- IPv4 fragments: proxy VIPs to siplb-dp, DSR VIPs to the kernel\n");
	memset(msg, 'f', 600);
	f = fragment(XH_VIP4_PROXY, CLIENT, 0x4000, MF);
	expect_pass("first fragment, no socket: not remembered", f.b, f.len,
		    SLB_XDP_PASS_NO_STEER, XH_VIP4_PROXY);
	f = fragment(XH_VIP4_PROXY, CLIENT, 0x4000, 150);
	expect_pass("  its later fragment", f.b, f.len, SLB_XDP_PASS_FRAGMENT, -1);
	xsk = xh_add_xsk(&P);
	CHECK(xsk >= 0, "AF_XDP socket into xsks_map: %s", strerror(-xsk));
	if (xsk < 0)
		return;
	cases_fragments_matched();
	cases_fragments_expiry();
	cases_fragments_flood();
	f = fragment(XH_VIP4_DSR, CLIENT, 0x4030, MF);
	expect_pass("DSR VIP: first fragment to the kernel", f.b, f.len, SLB_XDP_PASS_FRAGMENT,
		    XH_VIP4_DSR);
	f = fragment(XH_VIP4_DSR, CLIENT, 0x4030, 150);
	expect_pass("DSR VIP: later fragment to the kernel", f.b, f.len, SLB_XDP_PASS_FRAGMENT,
		    -1);
	xh_del_xsk(&P, xsk);
}

/* ---- a dead dataplane ------------------------------------------------------ */

/* The heartbeat of reader 5 of p: age_ns ago (negative: ahead); INT64_MIN:
 * 0, never registered. */
static void heartbeat(struct xh_prog *p, int64_t age_ns)
{
	p->control->readers[5].heartbeat_ns = age_ns == INT64_MIN ? 0 : now_ns() - (uint64_t)age_ns;
}

#define SEC_NS 1000000000LL

static void cases_dead_dp(const struct xh_prog *siplbds)
{
	size_t n = sip(msg, "Call-ID: dead-1\r\n", "");
	struct xh_spec s = to_vip(XH_VIP4_PROXY, msg, n);
	struct xh_frame f = frame(&s);
	struct want steer = { XDP_REDIRECT, SLB_XDP_STEER, SLB_XDP_STEER_WHOLE, XH_VIP4_PROXY, -1,
			      NULL, 0 };
	int xsk;

	printf("-- proxy VIP without a socket: siplb-dp restarting, or gone\n");
	heartbeat(&P, INT64_MIN);
	expect_pass("siplb-dp never started (heartbeat 0)", f.b, f.len, SLB_XDP_PASS_NO_STEER,
		    XH_VIP4_PROXY);
	heartbeat(&P, 0);
	expect_drop("heartbeat just now: restarting", f.b, f.len, SLB_XDP_DROP_NO_DATAPLANE,
		    XH_VIP4_PROXY);
	heartbeat(&P, -SEC_NS / 1000);
	expect_drop("heartbeat 1 ms ahead of this CPU's clock", f.b, f.len,
		    SLB_XDP_DROP_NO_DATAPLANE, XH_VIP4_PROXY);
	heartbeat(&P, (int64_t)SLB_DP_RESTART_GRACE_NS - SEC_NS);
	expect_drop("heartbeat 1 s within the grace", f.b, f.len, SLB_XDP_DROP_NO_DATAPLANE,
		    XH_VIP4_PROXY);
	heartbeat(&P, (int64_t)SLB_DP_RESTART_GRACE_NS + SEC_NS);
	expect_pass("heartbeat 1 s past the grace: gone", f.b, f.len, SLB_XDP_PASS_NO_STEER,
		    XH_VIP4_PROXY);
	heartbeat(&P, 0);
	xsk = xh_add_xsk(&P);
	CHECK(xsk >= 0, "AF_XDP socket into xsks_map: %s", strerror(-xsk));
	if (xsk >= 0)
		expect("fresh heartbeat and a socket", f.b, f.len, &steer);
	xh_del_xsk(&P, xsk);
	heartbeat(&P, INT64_MIN);
	/* siplbd's copy (its own empty xsks_map): a miss says nothing. */
	struct xh_prog dp = P;

	P = *siplbds;
	heartbeat(&P, 0);
	expect_pass("siplbd's copy, fresh heartbeat", f.b, f.len, SLB_XDP_PASS_NO_STEER,
		    XH_VIP4_PROXY);
	P = dp;
}

/* ---- the object ------------------------------------------------------------ */

/* As DPDK's af_xdp PMD and a loader open it: one program (the PMD attaches
 * the first), every map under its pinned name. */
static void check_object(const char *path)
{
	static const char *const names[] = {
		SLB_MAP_CONTROL, SLB_MAP_STATE, SLB_MAP_MAGLEV, SLB_MAP_XDP_STATS,
		SLB_MAP_NEXTHOP, SLB_MAP_SRC_RATE, SLB_MAP_VIP_RATE, SLB_MAP_BLOCK4,
		SLB_MAP_BLOCK6, "xsks_map",
	};
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	unsigned n_progs = 0;

	CHECK(obj, "object: open %s: %s", path, strerror(errno));
	if (!obj)
		return;
	bpf_object__for_each_program(prog, obj)
		n_progs++;
	CHECK(n_progs == 1, "object: %s has %u programs, want 1", path, n_progs);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK(bpf_object__find_map_by_name(obj, names[i]), "object: %s: no map named %s",
		      path, names[i]);
	CHECK(!bpf_object__find_map_by_name(obj, SLB_MAP_STATS),
	      "object: %s declares siplb-dp's stats map", path);
	printf("ok: %s: one program, the state and XDP maps by name\n", path);
	bpf_object__close(obj);
}

static void print_verifier_stats(int prog_fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		printf("loaded: %u BPF instructions, %u JITed bytes, %u instructions verified\n",
		       info.xlated_prog_len / 8, info.jited_prog_len, info.verified_insns);
}

/* siplb_xdp as siplb-dp (dp_xsks: its sockets in xsks_map) or siplbd loads
 * it, with maps of its own; NULL on failure. */
static struct siplb_xdp *load(struct xh_prog *p, bool dp_xsks)
{
	struct siplb_xdp *skel = siplb_xdp__open();

	if (!skel)
		return NULL;
	skel->rodata->slb_dp_xsks = dp_xsks;
	if (xh_prepare(skel->obj, W.capacity) || siplb_xdp__load(skel) ||
	    xh_attach(p, skel->obj, W.capacity)) {
		siplb_xdp__destroy(skel);
		return NULL;
	}
	return skel;
}

int main(int argc, char **argv)
{
	static struct xh_prog siplbds;
	struct siplb_xdp *skel, *skel_siplbd;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SIPLB_XDP_O\n", argv[0]);
		return 2;
	}
	ret = xh_check_can_run();
	if (ret)
		return ret;
	xh_quiet_libbpf();
	check_object(argv[1]);
	if (xh_world_init(&W)) {
		printf("FAIL: building the test state\n");
		return 1;
	}
	skel = load(&P, true);
	skel_siplbd = load(&siplbds, false);
	if (!skel || !skel_siplbd || xh_world_load(&siplbds, &W, 1)) {
		printf("FAIL: cannot load siplb_xdp: %s\n", strerror(errno));
		return 1;
	}
	print_verifier_stats(P.prog_fd);

	size_t n = sip(msg, "Call-ID: before-1\r\n", "");
	struct xh_spec s = to_vip(XH_VIP4_DSR, msg, n);
	struct xh_frame f = frame(&s);

	printf("-- nothing published yet (control map all zero)\n");
	expect_pass("SIP to a future VIP", f.b, f.len, SLB_XDP_PASS_NOT_VIP, -1);
	if (xh_world_load(&P, &W, 1)) {
		printf("FAIL: publishing the test state: %s\n", strerror(errno));
		return 1;
	}
	cases_framing();
	cases_gue();
	cases_callid();
	cases_dsr_paths();
	cases_pass();
	cases_steer();
	cases_flood();
	cases_rules();
	cases_mac();
	cases_fragments();
	cases_dead_dp(&siplbds);

	xh_detach(&P);
	xh_detach(&siplbds);
	siplb_xdp__destroy(skel);
	siplb_xdp__destroy(skel_siplbd);
	xh_world_free(&W);
	return check_summary();
}
