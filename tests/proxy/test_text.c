/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The proxy's text conversions (dataplane/sip_proxy_text.h) against the C
 * library's: every 8-bit and every 5-digit value, the edges of every
 * decimal length and random 32-bit values (slb_fmt_u32), random addresses
 * both ways (slb_fmt_ipv4 against inet_ntop, slb_parse_ipv4 back), random
 * 64-bit values in hex both ways.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_proxy_text.h"
#include "../check.h"

/* slb_fmt_u32's text of v is snprintf's. */
static int u32_ok(uint32_t v)
{
	char got[16], want[16];
	size_t n = slb_fmt_u32(got, v);

	got[n] = 0;
	snprintf(want, sizeof(want), "%" PRIu32, v);
	return strcmp(got, want) == 0;
}

static void test_decimal(void)
{
	int bad = 0;

	for (uint32_t v = 0; v < 100000; v++)
		bad += !u32_ok(v);
	for (uint32_t p = 10; p <= 1000000000; p *= 10)
		bad += !u32_ok(p - 1) + !u32_ok(p) + !u32_ok(p + 1);
	bad += !u32_ok(UINT32_MAX);
	for (int i = 0; i < 100000; i++)
		bad += !u32_ok((uint32_t)rand() * 2654435761u);
	CHECK(!bad, "%d decimal texts differ from snprintf's", bad);

	bad = 0;
	for (unsigned v = 0; v < 256; v++) {
		char got[4] = { 0 }, want[4];
		size_t n = slb_fmt_u8(got, (uint8_t)v);

		got[n] = 0;
		snprintf(want, sizeof(want), "%u", v);
		bad += strcmp(got, want) != 0;
	}
	CHECK(!bad, "%d of the 256 bytes in decimal differ from snprintf's", bad);
}

static void test_ipv4(void)
{
	int bad = 0;

	for (int i = 0; i < 100000; i++) {
		uint32_t be = (uint32_t)rand() ^ (uint32_t)rand() << 16, back = 0;
		char got[17], want[INET_ADDRSTRLEN];

		if (i < 256) /* every value in every octet, short and long */
			be = htonl((uint32_t)i * 0x01010101u);
		size_t n = slb_fmt_ipv4(got, be);
		got[n] = 0;
		inet_ntop(AF_INET, &be, want, sizeof(want));
		bad += strcmp(got, want) != 0 ||
		       !slb_parse_ipv4((const uint8_t *)got, n, &back) || back != be;
	}
	CHECK(!bad, "%d addresses differ from inet_ntop's or do not parse back", bad);
}

static void test_hex(void)
{
	int bad = 0;

	for (int i = 0; i < 100000; i++) {
		uint64_t v = (uint64_t)rand() << 40 ^ (uint64_t)rand() << 20 ^ (uint64_t)rand(), back;
		char got[17], want[17];

		slb_fmt_hex64(got, v);
		got[16] = 0;
		snprintf(want, sizeof(want), "%016" PRIx64, v);
		bad += strcmp(got, want) != 0 || !slb_parse_hex64((const uint8_t *)got, &back) ||
		       back != v;
	}
	CHECK(!bad, "%d hex texts differ from snprintf's or do not parse back", bad);
}

int main(void)
{
	srand(1);
	test_decimal();
	test_ipv4();
	test_hex();
	return check_summary();
}
