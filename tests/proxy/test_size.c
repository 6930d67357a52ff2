/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Datagrams past the MTU, on plain buffers. IPv4 reassembly (ipv4_reasm.c):
 * fragments in any order, the datagram whole and contiguous, duplicates,
 * overlaps, timeouts, evictions and datagrams past 65,535 bytes counted.
 * The proxy's size rules: a fragment to a VIP is handed back for reassembly
 * (one elsewhere dropped), a truncated datagram counted; a request that
 * grows past the MTU is sent flagged for fragmentation (DF clear, UDP
 * checksum complete, no offload); the largest datagram is forwarded; a
 * request our edits would push past 65,507 bytes of UDP is answered 513.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4_reasm.h"
#include "ref_sum.h"
#include "test_frame.h"
#include "siplb/proxy.h"

#include "../check.h"

#define VIP "192.0.2.100"
#define CLIENT "198.51.100.10"
#define BACKEND "192.0.2.21"
#define MTU 1500

static struct slb_state state;
static uint32_t tables[7];
static struct slb_lcore_stats stats;
static struct slb_vip_text vip_text[SLB_MAX_VIPS];
static struct slb_proxy_view view = { .state = &state, .tables = tables, .stats = &stats,
				      .udp_cksum_offload = true, .ip_mtu = MTU,
				      .vip_text = vip_text };
static uint8_t mem[SLB_REASM_SLOTS * SLB_REASM_BUF];
static struct slb_reasm reasm;
/* The test's frames: the largest datagram with room around it. */
static uint8_t buf[SLB_REASM_BUF];

/* One VIP, one backend that takes every call. */
static void setup_state(void)
{
	state.n_vips = 1;
	state.vips[0] = (struct slb_vip){ .addr = ip4(VIP), .port = htons(5060),
					  .mode = SLB_MODE_PROXY, .flags = SLB_VIP_RECORD_ROUTE,
					  .name = "sip", .host = VIP, .family = AF_INET };
	state.n_pools = 1;
	state.pools[0] = (struct slb_pool){ .table_size = 7, .seed = 1, .name = "core" };
	state.n_backends = 1;
	state.backends[0] = (struct slb_backend){ .addr = ip4(BACKEND), .port = htons(5060),
						  .weight = 1, .state = SLB_BACKEND_UP,
						  .family = AF_INET };
	state.branch_keys.n = 1;
	memset(state.branch_keys.key[0], 0x5a, SLB_BRANCH_KEY_LEN);
}

/* An INVITE of exactly len bytes: an X-Pad header fills it up. */
static size_t invite(char *out, size_t len)
{
	const char *head = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
			   "Via: SIP/2.0/UDP " CLIENT ":5060;branch=z9hG4bK74bf9\r\n"
			   "Max-Forwards: 70\r\n"
			   "From: <sip:alice@atlanta.example.com>;tag=9fxc\r\n"
			   "To: <sip:bob@biloxi.example.com>\r\n"
			   "Call-ID: big@atlanta.example.com\r\n"
			   "CSeq: 1 INVITE\r\nContent-Length: 0\r\nX-Pad: ";
	size_t n = strlen(head);

	memcpy(out, head, n);
	memset(out + n, 'p', len - n - 4);
	memcpy(out + len - 4, "\r\n\r\n", 4);
	return len;
}

/* Ethernet + IPv4 + UDP around payload, at data; the frame's length. */
static uint32_t datagram(uint8_t *data, const char *src, const char *dst, const char *payload,
			 size_t n)
{
	return test_udp_frame(data, src, 5060, dst, 5060, 0x1234, 0x4000 /* DF */, payload, n);
}

static struct slb_frame frame_at(uint8_t *data, uint32_t len)
{
	return (struct slb_frame){ .data = data, .len = len, .headroom = (uint32_t)(data - buf),
				   .tailroom = (uint32_t)(sizeof(buf) - (size_t)(data - buf) - len) };
}

static bool udp_sum_ok(const struct slb_frame *f)
{
	return ref_udp_sum(f->data, f->len - 34) == 0xffff;
}

/* ---- reassembly ------------------------------------------------------------ */

/* Fragment k of the datagram in whole (a frame), 8-byte units of step. */
static uint32_t fragment(const uint8_t *whole, uint32_t len, uint32_t step, unsigned k,
			 uint8_t *out)
{
	uint32_t payload = len - 34, off = k * step, part = payload - off < step ? payload - off
										: step;
	struct iphdr ip;

	memcpy(out, whole, 34);
	memcpy(out + 34, whole + 34 + off, part);
	memcpy(&ip, out + 14, sizeof(ip));
	ip.tot_len = htons((uint16_t)(20 + part));
	ip.frag_off = htons((uint16_t)(off / 8 | (off + part < payload ? 0x2000 : 0)));
	memcpy(out + 14, &ip, sizeof(ip));
	return 34 + part;
}

/* Adds fragment k; true when that made the datagram whole. */
static bool add(const uint8_t *whole, uint32_t len, unsigned k, uint64_t now,
		struct slb_frame *out)
{
	static uint8_t frag[2048];

	fragment(whole, len, 1480, k, frag);
	return slb_reasm_add(&reasm, frag, now, &stats, out);
}

static void test_reassembly(void)
{
	static char text[60000];
	static uint8_t whole[65600];
	struct slb_frame f;
	uint32_t len = datagram(whole, CLIENT, VIP, text, invite(text, sizeof(text)));
	unsigned n = (len - 34 + 1479) / 1480, k;

	slb_reasm_init(&reasm, mem, 100);
	for (k = n; k-- > 1;) /* last first, the first fragment last */
		CHECK(!add(whole, len, k, 1, &f), "fragment %u of %u: not whole yet", k, n);
	CHECK(add(whole, len, 0, 2, &f), "the first fragment completes it");
	CHECK(f.len == len && memcmp(f.data + 34, whole + 34, len - 34) == 0,
	      "the datagram, byte for byte (%u bytes)", f.len);
	CHECK(f.headroom >= SLB_REASM_HEADROOM && f.tailroom >= SLB_REASM_TAILROOM,
	      "room around it for the edits");
	CHECK(f.data[14 + 6] == 0 && f.data[14 + 7] == 0, "no fragment any more");
	CHECK(stats.reassembled == 1 && reasm.used == 0, "counted, slot free");

	/* a duplicate is dropped alone; an overlap drops the datagram */
	CHECK(!add(whole, len, 1, 3, &f) && !add(whole, len, 1, 3, &f), "duplicate");
	CHECK(stats.drops[SLB_DROP_FRAG_DROPPED] == 1 && reasm.used == 1, "one dropped");
	static uint8_t frag[2048];
	fragment(whole, len, 1480, 1, frag);
	frag[14 + 7] = (uint8_t)(frag[14 + 7] + 1); /* 8 bytes further: overlaps */
	CHECK(!slb_reasm_add(&reasm, frag, 3, &stats, &f) && reasm.used == 0 &&
	      stats.drops[SLB_DROP_FRAG_DROPPED] == 3, "overlap: both fragments dropped");

	/* a datagram not whole by its deadline */
	CHECK(!add(whole, len, 0, 10, &f), "first fragment");
	slb_reasm_expire(&reasm, 109, &stats);
	CHECK(reasm.used == 1, "kept before its deadline");
	slb_reasm_expire(&reasm, 110, &stats);
	CHECK(reasm.used == 0 && stats.drops[SLB_DROP_FRAG_TIMEOUT] == 1, "timed out, counted");
}

/* Every slot taken: a new datagram evicts the oldest; past 65,535 bytes: dropped. */
static void test_reassembly_bounds(void)
{
	static uint8_t frag[2048];
	struct slb_frame f;
	uint64_t dropped = stats.drops[SLB_DROP_FRAG_DROPPED];

	slb_reasm_init(&reasm, mem, 100);
	for (unsigned i = 0; i <= SLB_REASM_SLOTS; i++) {
		datagram(frag, CLIENT, VIP, "0123456789abcdef", 16);
		frag[14 + 4] = (uint8_t)(0x80 + i); /* IP id: a datagram of its own */
		frag[14 + 6] = 0x20;                /* MF */
		CHECK(!slb_reasm_add(&reasm, frag, i, &stats, &f), "held");
	}
	CHECK(reasm.used == SLB_REASM_SLOTS && stats.drops[SLB_DROP_FRAG_DROPPED] == dropped + 1,
	      "the oldest evicted (%u in use)", reasm.used);
	datagram(frag, CLIENT, VIP, "0123456789abcdef", 16);
	frag[14 + 6] = 0x1f; /* offset 65,528: past 65,535 bytes */
	frag[14 + 7] = 0xff;
	CHECK(!slb_reasm_add(&reasm, frag, 50, &stats, &f) && reasm.used == SLB_REASM_SLOTS &&
	      stats.drops[SLB_DROP_FRAG_DROPPED] == dropped + 2, "too far: dropped, evicts none");
}

/* ---- the proxy ---------------------------------------------------------------- */

static void test_fragment_verdicts(void)
{
	struct slb_out out;
	uint8_t *d = buf + SLB_REASM_HEADROOM;
	struct slb_frame f = frame_at(d, datagram(d, CLIENT, VIP, "x", 1));

	d[14 + 6] = 0x20; /* MF */
	CHECK(slb_proxy_handle(&view, &f, &out) == SLB_ACTION_REASSEMBLE, "to the VIP");
	f = frame_at(d, datagram(d, CLIENT, "192.0.2.200", "x", 1));
	d[14 + 6] = 0x20;
	CHECK(slb_proxy_handle(&view, &f, &out) == SLB_ACTION_DROP &&
	      stats.drops[SLB_DROP_IP_FRAGMENT] == 1, "elsewhere: dropped");
	f = frame_at(d, datagram(d, CLIENT, VIP, "x", 1));
	f.len -= 1; /* the IPv4 length says one byte more than came */
	CHECK(slb_proxy_handle(&view, &f, &out) == SLB_ACTION_DROP &&
	      stats.drops[SLB_DROP_TRUNCATED] == 1, "truncated: counted as such");
}

/* An INVITE that fits the MTU grows past it (issue 8: 1,333 bytes + 151). */
static void test_grows_past_mtu(void)
{
	static char text[2048];
	struct slb_out out;
	uint8_t *d = buf + SLB_REASM_HEADROOM;
	struct slb_frame f = frame_at(d, datagram(d, CLIENT, VIP, text, invite(text, 1400)));

	CHECK(slb_proxy_handle(&view, &f, &out) == SLB_ACTION_SEND, "sent");
	CHECK(out.fragment && !out.cksum_offload && f.len - 14 > MTU, "to fragment (%u)", f.len);
	CHECK((f.data[14 + 6] & 0x40) == 0, "DF clear");
	CHECK(udp_sum_ok(&f) && ref_sum(f.data + 14, 20, 0) == 0xffff, "checksums complete");
	f = frame_at(d, datagram(d, CLIENT, VIP, text, invite(text, 1000)));
	CHECK(slb_proxy_handle(&view, &f, &out) == SLB_ACTION_SEND && !out.fragment &&
	      out.cksum_offload && (f.data[14 + 6] & 0x40), "a small one: as before");
}

/* The largest datagram our edits leave within UDP's limit, and one past it. */
static void test_largest(void)
{
	static char text[SLB_UDP_MAX_PAYLOAD];
	struct slb_out out;
	uint8_t *d = buf + SLB_REASM_HEADROOM;
	struct slb_frame f = frame_at(d, datagram(d, CLIENT, VIP, text, invite(text, 65000)));

	CHECK(slb_proxy_handle(&view, &f, &out) == SLB_ACTION_SEND && out.fragment &&
	      f.len > 65000 + 42 + 100 && udp_sum_ok(&f), "65,000 bytes forwarded (%u)", f.len);
	CHECK(out.next_hop == ip4(BACKEND), "to the backend");
	struct slb_lcore_stats before = stats;
	f = frame_at(d, datagram(d, CLIENT, VIP, text, invite(text, SLB_UDP_MAX_PAYLOAD - 50)));
	CHECK(slb_proxy_handle(&view, &f, &out) == SLB_ACTION_SEND && !out.fragment,
	      "past the limit with our edits: a reply");
	CHECK(!memcmp(before.backend_tx, stats.backend_tx, sizeof(stats.backend_tx)),
	      "not counted as sent to a backend");
	CHECK(f.len - 42 < 1024 && !memcmp(f.data + 42, "SIP/2.0 513 Message Too Large\r\n", 31),
	      "513 Message Too Large");
	CHECK(out.next_hop == ip4(CLIENT) && stats.replies[SLB_REPLY_513] == 1, "to the client");
}

int main(void)
{
	setup_state();
	test_reassembly();
	test_reassembly_bounds();
	test_fragment_verdicts();
	test_grows_past_mtu();
	test_largest();
	return check_summary();
}
