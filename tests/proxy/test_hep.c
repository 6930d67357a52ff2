/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HEP v3 encoding (dataplane/hep.c): a message's exact bytes, chunk by
 * chunk as HEP3_rev12 lays them out (written here by hand, not by the
 * encoder's helpers); IPv6; no auth key chunk without a password; a buffer
 * too small; the fields taken from Ethernet frames (VLAN, IPv4, IPv6) and
 * frames refused (a fragment, not UDP, truncated).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "../check.h"
#include "hep.h"

static const char sip[] = "OPTIONS sip:a SIP/2.0\r\n\r\n";

/* HEP3, length, then the chunks of hep.h's order, as bytes. */
static const uint8_t want4[] = {
	'H', 'E', 'P', '3', 0x00, 0x87,
	0, 0, 0, 1, 0, 7, 2,                     /* IP family: IPv4 */
	0, 0, 0, 2, 0, 7, 17,                    /* IP protocol: UDP */
	0, 0, 0, 3, 0, 10, 192, 0, 2, 100,       /* IPv4 source */
	0, 0, 0, 4, 0, 10, 198, 51, 100, 10,     /* IPv4 destination */
	0, 0, 0, 7, 0, 8, 0x13, 0xc4,            /* source port 5060 */
	0, 0, 0, 8, 0, 8, 0x13, 0xc6,            /* destination port 5062 */
	0, 0, 0, 9, 0, 10, 0x65, 0x53, 0xf1, 0x00, /* seconds 1700000000 */
	0, 0, 0, 10, 0, 10, 0x00, 0x01, 0xe2, 0x40, /* microseconds 123456 */
	0, 0, 0, 11, 0, 7, 1,                    /* protocol type: SIP */
	0, 0, 0, 12, 0, 10, 0, 0, 0x07, 0xd1,    /* capture agent 2001 */
	0, 0, 0, 14, 0, 11, 'm', 'y', 'H', 'e', 'p', /* auth key */
};

static struct slb_hep_msg msg4(void)
{
	struct slb_hep_msg m = {.family = AF_INET, .src = {192, 0, 2, 100},
				.dst = {198, 51, 100, 10}, .sport = 5060, .dport = 5062,
				.ts_sec = 1700000000, .ts_usec = 123456, .agent_id = 2001,
				.password = "myHep", .payload = (const uint8_t *)sip,
				.len = sizeof(sip) - 1};
	return m;
}

static void test_ipv4(void)
{
	struct slb_hep_msg m = msg4();
	uint8_t buf[512];
	size_t n = slb_hep_encode(&m, buf, sizeof(buf));
	size_t head = sizeof(want4), total = head + 6 + m.len;

	CHECK(n == total && total == 0x87, "IPv4: %zu bytes, want %zu (0x87)", n, total);
	CHECK(!memcmp(buf, want4, head), "IPv4: the header and chunks before the payload");
	CHECK(buf[head + 3] == 15 && buf[head + 5] == 6 + m.len &&
	      !memcmp(buf + head + 6, sip, m.len), "IPv4: the payload chunk");
	CHECK(slb_hep_encode(&m, buf, total - 1) == 0, "one byte short: nothing");
}

static void test_ipv6_no_password(void)
{
	struct slb_hep_msg m = msg4();
	uint8_t buf[512];
	size_t n;

	m.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", m.src);
	inet_pton(AF_INET6, "2001:db8::2", m.dst);
	m.password = "";
	n = slb_hep_encode(&m, buf, sizeof(buf));
	/* 2 x 7 + 2 x 22 + 2 x 8 + 2 x 10 + 7 + 10 + payload chunk */
	CHECK(n == 6 + 14 + 44 + 16 + 20 + 7 + 10 + 6 + m.len, "IPv6: %zu bytes", n);
	CHECK(buf[6 + 6] == 10 && buf[6 + 14 + 3] == 5 && buf[6 + 14 + 5] == 22 &&
	      !memcmp(buf + 6 + 14 + 6, m.src, 16) && buf[6 + 14 + 22 + 3] == 6,
	      "IPv6: family 10, chunks 5 and 6 of 22 bytes");
	for (size_t at = 6; at < n; at += (size_t)(buf[at + 4] << 8 | buf[at + 5]))
		CHECK(buf[at + 3] != 14, "IPv6: an auth key chunk without a password");
}

/* Ethernet (tagged or not), IP, UDP and sip as the payload. */
static size_t build(uint8_t *f, int vlan, int v6, int frag)
{
	size_t l3 = vlan ? 18 : 14, ip = v6 ? 40 : 20, ulen = 8 + sizeof(sip) - 1;

	memset(f, 0, 200);
	if (vlan) {
		f[12] = 0x81;
		f[14] = 0x00;
		f[15] = 7;
	}
	f[l3 - 2] = v6 ? 0x86 : 0x08;
	f[l3 - 1] = v6 ? 0xdd : 0x00;
	if (v6) {
		f[l3] = 0x60;
		f[l3 + 5] = (uint8_t)ulen;
		f[l3 + 6] = IPPROTO_UDP;
		f[l3 + 23] = 1;
		f[l3 + 39] = 2;
	} else {
		f[l3] = 0x45;
		f[l3 + 3] = (uint8_t)(ip + ulen);
		f[l3 + 6] = frag ? 0x20 : 0x40; /* MF, or DF */
		f[l3 + 9] = IPPROTO_UDP;
		memcpy(f + l3 + 12, (uint8_t[]){192, 0, 2, 100, 198, 51, 100, 10}, 8);
	}
	f[l3 + ip] = 0x13, f[l3 + ip + 1] = 0xc4, f[l3 + ip + 2] = 0x13, f[l3 + ip + 3] = 0xc6;
	f[l3 + ip + 5] = (uint8_t)ulen;
	memcpy(f + l3 + ip + 8, sip, sizeof(sip) - 1);
	return l3 + ip + ulen;
}

static void test_from_frame(void)
{
	uint8_t f[200];
	struct slb_hep_msg m;
	size_t n = build(f, 1, 0, 0);

	CHECK(!slb_hep_from_frame(f, n, &m) && m.family == AF_INET && m.src[0] == 192 &&
	      m.dst[3] == 10 && m.sport == 5060 && m.dport == 5062 && m.len == sizeof(sip) - 1 &&
	      !memcmp(m.payload, sip, m.len), "VLAN, IPv4, UDP");
	n = build(f, 0, 1, 0);
	CHECK(!slb_hep_from_frame(f, n, &m) && m.family == AF_INET6 && m.src[15] == 1 &&
	      m.dst[15] == 2 && m.len == sizeof(sip) - 1, "IPv6, UDP");
	CHECK(slb_hep_from_frame(f, n - 1, &m) == -1, "IPv6 truncated: refused");
	n = build(f, 0, 0, 1);
	CHECK(slb_hep_from_frame(f, n, &m) == -1, "an IPv4 fragment: refused");
	n = build(f, 0, 0, 0);
	f[14 + 9] = IPPROTO_TCP;
	CHECK(slb_hep_from_frame(f, n, &m) == -1, "TCP: refused");
}

int main(void)
{
	test_ipv4();
	test_ipv6_no_password();
	test_from_frame();
	return check_summary();
}
