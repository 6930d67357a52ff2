/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which SRV backends take traffic (slb_srv_select) for given liveness:
 * priority failover, a target's addresses in turn, weight 0; and the SRV
 * configuration: resolver addresses and checks.
 */
#include "harness.h"
#include "siplb/srv.h"

#define N 7

static struct slb_srv_target t[N];

static void target(unsigned i, uint16_t prio, uint16_t weight, uint32_t record,
		   const char *name, const char *addr)
{
	t[i] = (struct slb_srv_target){.priority = prio, .weight = weight, .a.port = 5060,
				       .record = record};
	t[i].a.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	inet_pton(t[i].a.family, addr, t[i].a.v6);
	snprintf(t[i].name, sizeof(t[i].name), "%s", name);
}

/* live: a string of N '1'/'0'; want: the N weights. */
static void check_weights(const char *live, int32_t prio, const uint16_t want[N])
{
	bool l[N];
	uint16_t w[N];
	int32_t got;

	for (unsigned i = 0; i < N; i++)
		l[i] = live[i] == '1';
	got = slb_srv_select(t, N, l, w);
	CHECK(got == prio, "live %s: priority %d, not %d", live, got, prio);
	for (unsigned i = 0; i < N; i++)
		CHECK(w[i] == want[i], "live %s: %s (#%u) weight %u, not %u", live, t[i].name, i,
		      w[i], want[i]);
}

static void test_select(void)
{
	target(0, 10, 60, 0, "a.example.net", "127.0.0.11");
	target(1, 10, 60, 0, "a.example.net", "::1");
	target(2, 10, 40, 1, "b.example.net", "127.0.0.12");
	target(3, 10, 0, 2, "z.example.net", "127.0.0.14");
	target(4, 20, 0, 3, "c.example.net", "127.0.0.13");
	target(5, 20, 0, 4, "d.example.net", "127.0.0.15");
	target(6, 30, 5, 5, "e.example.net", "127.0.0.16");

	/* The weighted records of priority 10; a's second address waits. */
	check_weights("1111111", 10, (const uint16_t[N]){60, 0, 40, 0, 0, 0, 0});
	/* a's first address down: its second carries a's weight. */
	check_weights("0111111", 10, (const uint16_t[N]){0, 60, 40, 0, 0, 0, 0});
	/* Only the weight-0 target of 10 is left: it takes all. */
	check_weights("0001111", 10, (const uint16_t[N]){0, 0, 0, 1, 0, 0, 0});
	/* Priority 10 has no live member: 20, whose weight-0 targets share. */
	check_weights("0000111", 20, (const uint16_t[N]){0, 0, 0, 0, 1, 1, 0});
	check_weights("0000011", 20, (const uint16_t[N]){0, 0, 0, 0, 0, 1, 0});
	check_weights("0000001", 30, (const uint16_t[N]){0, 0, 0, 0, 0, 0, 5});
	check_weights("0000000", -1, (const uint16_t[N]){0, 0, 0, 0, 0, 0, 0});
	/* Lower priority wins even when listed after a higher one. */
	target(6, 5, 5, 5, "e.example.net", "127.0.0.16");
	check_weights("1111111", 5, (const uint16_t[N]){0, 0, 0, 0, 0, 0, 5});
}

static void resolver_ok(const char *text, uint8_t family, const char *addr, uint16_t port)
{
	struct slb_addr r;
	uint8_t want[16] = {0};
	char err[256];

	CHECK(!slb_srv_parse_resolver(text, &r, err, sizeof(err)), "\"%s\": %s", text, err);
	inet_pton(family, addr, want);
	CHECK(r.family == family && r.port == port && !memcmp(r.v6, want, 16),
	      "\"%s\": family %u port %u", text, r.family, r.port);
}

static void test_resolvers(void)
{
	const char *bad[] = {"", "foo", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:", "[::1",
			     "[::1]x", "[::1]:", "1.2.3.4:53x", "::1:99999x", "1.2.3:53",
			     "[1.2.3.4]:53x"};
	struct slb_addr r;
	char err[256];

	resolver_ok("127.0.0.1", AF_INET, "127.0.0.1", 53);
	resolver_ok("127.0.0.2:5353", AF_INET, "127.0.0.2", 5353);
	resolver_ok("::1", AF_INET6, "::1", 53);
	resolver_ok("[::1]:5353", AF_INET6, "::1", 5353);
	resolver_ok("[2001:db8::53]", AF_INET6, "2001:db8::53", 53);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(slb_srv_parse_resolver(bad[i], &r, err, sizeof(err)) && strstr(err, "resolver"),
		      "\"%s\" accepted (%s)", bad[i], err);
	}
}

static void test_config(void)
{
	struct slb_srv_config c;
	char err[256];

	slb_srv_config_init(&c);
	CHECK(slb_srv_config_check(&c, err, sizeof(err)), "no name accepted");
	snprintf(c.name, sizeof(c.name), "_sip._udp.example.net");
	CHECK(!slb_srv_config_check(&c, err, sizeof(err)), "defaults: %s", err);
	c.ttl_floor_ms = c.ttl_ceiling_ms + 1;
	CHECK(slb_srv_config_check(&c, err, sizeof(err)), "floor above the ceiling");
	slb_srv_config_init(&c);
	snprintf(c.name, sizeof(c.name), "_sip._udp.example.net");
	c.ipv4 = c.ipv6 = false;
	CHECK(slb_srv_config_check(&c, err, sizeof(err)), "no family");
	slb_srv_config_init(&c);
	snprintf(c.name, sizeof(c.name), "_sip._udp.example.net");
	c.n_resolvers = SLB_SRV_MAX_RESOLVERS + 1;
	CHECK(slb_srv_config_check(&c, err, sizeof(err)), "too many resolvers");
	c.n_resolvers = 1;
	CHECK(slb_srv_config_check(&c, err, sizeof(err)), "resolver without an address");
	CHECK(!slb_srv_create(&c, NULL, err, sizeof(err)), "created with a bad config");
}

int main(void)
{
	test_select();
	test_resolvers();
	test_config();
	printf("srv selection and config: ok\n");
	return 0;
}
