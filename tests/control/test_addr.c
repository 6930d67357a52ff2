/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The address type (include/siplb/addr.h): its texts, order, endpoint
 * grammar, unicast rule and the conversions to the state map's layout and
 * to sockaddrs.
 */
#include <arpa/inet.h>
#include <string.h>

#include "../check.h"
#include "siplb/addr.h"

static struct slb_addr addr(const char *text, uint16_t port)
{
	struct slb_addr a;

	CHECK(!slb_addr_parse(text, &a), "parse %s", text);
	a.port = port;
	return a;
}

static void test_format(void)
{
	static const struct {
		const char *in;
		uint16_t port;
		enum slb_addr_form form;
		const char *out;
	} cases[] = {
		{"192.0.2.21", 5060, SLB_ADDR_IP, "192.0.2.21"},
		{"192.0.2.21", 5060, SLB_ADDR_HOST, "192.0.2.21"},
		{"192.0.2.21", 5060, SLB_ADDR_ENDPOINT, "192.0.2.21:5060"},
		{"2001:db8::21", 5060, SLB_ADDR_IP, "2001:db8::21"},
		{"2001:db8::21", 5060, SLB_ADDR_HOST, "[2001:db8::21]"},
		{"2001:db8::21", 65535, SLB_ADDR_ENDPOINT, "[2001:db8::21]:65535"},
	};
	struct slb_addr none = {0};
	char buf[SLB_ADDR_TEXT_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct slb_addr a = addr(cases[i].in, cases[i].port);

		slb_addr_format(&a, cases[i].form, buf, sizeof(buf));
		CHECK(!strcmp(buf, cases[i].out), "%s form %d: %s", cases[i].in, cases[i].form,
		      buf);
	}
	CHECK(!strcmp(slb_addr_format(&none, SLB_ADDR_IP, buf, sizeof(buf)), "?"),
	      "no family: %s", buf);
}

/* IPv4 before IPv6, then the address bytes, then the port; equal is 0. */
static void test_cmp(void)
{
	struct slb_addr a = addr("192.0.2.21", 5060), b = addr("192.0.2.22", 5060);
	struct slb_addr c = addr("192.0.2.21", 5061), d = addr("::1", 1), a2 = a;

	CHECK(!slb_addr_cmp(&a, &a2), "equal");
	CHECK(slb_addr_cmp(&a, &b) < 0 && slb_addr_cmp(&b, &a) > 0, "by address");
	CHECK(slb_addr_cmp(&a, &c) < 0 && slb_addr_cmp(&c, &b) < 0, "by port after the address");
	CHECK(slb_addr_cmp(&b, &d) < 0, "IPv4 before IPv6");
}

static void test_parse(void)
{
	struct slb_addr a;

	CHECK(!slb_addr_parse("192.0.2.1", &a) && a.family == AF_INET && a.port == 0 &&
	      a.v4 == htonl(0xc0000201) && !memcmp(a.v6 + 4, (uint8_t[12]){0}, 12),
	      "IPv4 in the first 4 bytes, the rest zero");
	CHECK(!slb_addr_parse("2001:db8::1", &a) && a.family == AF_INET6 && a.v6[0] == 0x20 &&
	      a.v6[15] == 1, "IPv6");
	CHECK(slb_addr_parse("192.0.2.1:5060", &a) && a.family == 0, "no port here");
	CHECK(slb_addr_parse("host.example", &a) && a.family == 0, "no names");
}

static void test_endpoint(void)
{
	static const struct {
		const char *in;
		enum slb_addr_error rc;
		uint8_t family;
		uint16_t port;
		const char *host, *port_text;
	} cases[] = {
		{"192.0.2.1", SLB_ADDR_OK, AF_INET, 53, "192.0.2.1", NULL},
		{"192.0.2.1:5353", SLB_ADDR_OK, AF_INET, 5353, "192.0.2.1", "5353"},
		{"2001:db8::1", SLB_ADDR_OK, AF_INET6, 53, "2001:db8::1", NULL},
		{"::1:99", SLB_ADDR_OK, AF_INET6, 53, "::1:99", NULL},
		{"[::1]:5353", SLB_ADDR_OK, AF_INET6, 5353, "::1", "5353"},
		{"[192.0.2.1]", SLB_ADDR_OK, AF_INET, 53, "192.0.2.1", NULL},
		{"[::1", SLB_ADDR_ERR_BRACKET, 0, 0, "", NULL},
		{"[::1]x", SLB_ADDR_ERR_BRACKET, 0, 0, "", NULL},
		{"[::1]:", SLB_ADDR_ERR_PORT, AF_INET6, 53, "::1", ""},
		{"192.0.2.1:0", SLB_ADDR_ERR_PORT, AF_INET, 53, "192.0.2.1", "0"},
		{"192.0.2.1:65536", SLB_ADDR_ERR_PORT, AF_INET, 53, "192.0.2.1", "65536"},
		{"192.0.2.1:+53", SLB_ADDR_ERR_PORT, AF_INET, 53, "192.0.2.1", "+53"},
		{"host.example:53", SLB_ADDR_ERR_HOST, 0, 0, "host.example", "53"},
		{"", SLB_ADDR_ERR_HOST, 0, 0, "", NULL},
		{"[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]", SLB_ADDR_ERR_LONG, 0, 0, "",
		 NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct slb_addr a;
		struct slb_addr_parts p;
		enum slb_addr_error rc = slb_addr_parse_endpoint(cases[i].in, 53, &a, &p);
		const char *want_port = cases[i].port_text;

		CHECK(rc == cases[i].rc && a.family == cases[i].family && a.port == cases[i].port &&
		      !strcmp(p.host, cases[i].host) &&
		      (want_port ? p.port && !strcmp(p.port, want_port) : !p.port),
		      "\"%s\": rc %d family %u port %u host \"%s\" port text \"%s\"",
		      cases[i].in, rc, a.family, a.port, p.host, p.port ? p.port : "(none)");
	}
}

static void test_unicast(void)
{
	const char *yes[] = {"192.0.2.1", "2001:db8::1", "::1"};
	const char *no[] = {"0.0.0.0", "255.255.255.255", "224.0.0.1", "239.1.2.3", "::",
			    "ff02::1"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		struct slb_addr a = addr(yes[i], 0);

		CHECK(slb_addr_unicast(&a), "%s is unicast", yes[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++) {
		struct slb_addr a = addr(no[i], 0);

		CHECK(!slb_addr_unicast(&a), "%s is not unicast", no[i]);
	}
}

/* The state map's split layout there and back: IPv4 in addr (addr6 zero),
 * IPv6 in addr6 (addr 0), the port in network byte order. */
static void test_state(void)
{
	const char *in[] = {"192.0.2.21", "2001:db8::21"};

	for (size_t i = 0; i < 2; i++) {
		struct slb_addr a = addr(in[i], 5060), back;
		uint8_t family, addr6[16], zero[16] = {0};
		uint32_t v4;
		uint16_t port;
		bool v6 = a.family == AF_INET6;

		memset(addr6, 0xff, sizeof(addr6));
		slb_addr_to_state(&a, &family, &v4, addr6, &port);
		CHECK(family == a.family && port == htons(5060) && v4 == (v6 ? 0 : a.v4) &&
		      !memcmp(addr6, v6 ? a.v6 : zero, 16), "%s to the state", in[i]);
		back = slb_addr_from_state(family, v4, addr6, port);
		CHECK(!slb_addr_cmp(&back, &a) && !memcmp(&back, &a, sizeof(a)),
		      "%s back from the state", in[i]);
	}
}

static void test_sockaddr(void)
{
	const char *in[] = {"192.0.2.21", "2001:db8::21"};

	for (size_t i = 0; i < 2; i++) {
		struct slb_addr a = addr(in[i], 5060), back;
		struct sockaddr_storage ss;
		socklen_t len = slb_addr_to_sockaddr(&a, &ss);

		CHECK(ss.ss_family == a.family &&
		      len == (a.family == AF_INET ? sizeof(struct sockaddr_in)
						  : sizeof(struct sockaddr_in6)),
		      "%s: family, length", in[i]);
		CHECK(!slb_addr_from_sockaddr(&ss, &back) && !memcmp(&back, &a, sizeof(a)),
		      "%s: there and back", in[i]);
	}
	struct sockaddr_storage other = {.ss_family = AF_UNIX};
	struct slb_addr a;

	CHECK(slb_addr_from_sockaddr(&other, &a) == -1, "AF_UNIX is no address of ours");
}

int main(void)
{
	test_format();
	test_cmp();
	test_parse();
	test_endpoint();
	test_unicast();
	test_state();
	test_sockaddr();
	return check_summary();
}
