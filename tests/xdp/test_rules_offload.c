/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_rules_offload: which routing rules of a VIP siplbd offloads to XDP
 * (slb_rules_xdp_select, control/rules/rules_xdp.c), and why the others are
 * not: only rules on the source alone that drop or limit each source's rate
 * with a drop, and only when no earlier rule of the VIP can match their
 * sources (prefixes off byte boundaries, families, rules without a source,
 * SIP-field rules in between). The entries it gives are checked too. No
 * root needed: nothing is loaded here (test_xdp_prog runs them in XDP).
 */
#include <stdio.h>
#include <string.h>

#include "siplb/rules_xdp.h"
#include "rule_build.h"
#include "../check.h"

#define N_MAX 16

struct sel {
	struct slb_rule_xdp out[N_MAX];
	enum slb_rule_xdp_why why[N_MAX];
	uint32_t n;
};

static struct sel select_rules(struct slb_rule *rules, uint32_t n, uint32_t room)
{
	struct slb_rules r = {.rules = rules, .n = n};
	struct sel s;

	memset(&s, 0, sizeof(s));
	s.n = slb_rules_xdp_select(&r, 7, s.out, room, s.why);
	return s;
}

/* The whys of s as "yes,earlier,...": one string to compare. */
static const char *whys(const struct sel *s, uint32_t n)
{
	static char text[512];

	text[0] = 0;
	for (uint32_t i = 0; i < n; i++) {
		strcat(text, i ? "," : "");
		strcat(text, slb_rule_xdp_why_name(s->why[i]));
	}
	return text;
}

static void expect_whys(const char *what, struct slb_rule *rules, uint32_t n, const char *want)
{
	struct sel s = select_rules(rules, n, N_MAX);

	CHECK_SHOW(!strcmp(whys(&s, n), want), "%s: [%s], want [%s]", what, whys(&s, n), want);
}

static void cases_kinds(void)
{
	struct slb_rule r[] = {
		rb_rule("203.0.113.0/24", 0, SLB_RULE_ACT_DROP),
		rb_rate(rb_rule("198.51.100.0/26", 0, SLB_RULE_ACT_CONTINUE), 10, 20, true, false),
		rb_rate(rb_rule("198.51.100.64/26", 0, SLB_RULE_ACT_POOL), 10, 20, true, false),
		rb_rate(rb_rule("198.51.100.128/26", 0, SLB_RULE_ACT_CONTINUE), 10, 20, true, true),
		rb_rate(rb_rule("198.51.100.192/26", 0, SLB_RULE_ACT_CONTINUE), 10, 20, false, false),
		rb_rule("192.0.2.0/25", 0, SLB_RULE_ACT_POOL),
		rb_rule("192.0.2.128/25", 0, SLB_RULE_ACT_REPLY),
		rb_field(rb_rule("10.0.0.0/8", 0, SLB_RULE_ACT_DROP), SLB_RULE_F_USER_AGENT, "x"),
		/* drop within the rate, drop over it: a drop; 503 over it: not */
		rb_rate(rb_rule("172.16.0.0/16", 0, SLB_RULE_ACT_DROP), 5, 5, false, false),
		rb_rate(rb_rule("172.17.0.0/16", 0, SLB_RULE_ACT_DROP), 5, 5, true, true),
	};

	expect_whys("what each kind of rule is", r, 10,
		    "yes,yes,yes,over_reply,per_rule,no_drop,no_drop,sip_field,yes,over_reply");
	struct sel s = select_rules(r, 10, N_MAX);

	CHECK(s.n == 4 && s.out[0].rule == 0 && s.out[1].rule == 1 && s.out[2].rule == 2 &&
	      s.out[3].rule == 8, "offloaded: %u entries", s.n);
	CHECK(s.out[0].rate == 0 && s.out[0].len == 24 && s.out[0].vip == 7 &&
	      s.out[0].src.family == AF_INET && s.out[0].src.v6[0] == 203,
	      "the drop: rate %u len %u vip %u", s.out[0].rate, s.out[0].len, s.out[0].vip);
	CHECK(s.out[1].rate == 10 && s.out[1].burst == 20 && s.out[2].rate == 10,
	      "the rates: %u/%u", s.out[1].rate, s.out[1].burst);
	CHECK(s.out[3].rate == 0, "drop with a rate is a drop: rate %u", s.out[3].rate);
}

static void cases_order(void)
{
	struct slb_rule nested[] = {
		rb_rule("10.0.0.0/8", 0, SLB_RULE_ACT_POOL),
		rb_rule("10.1.0.0/16", 0, SLB_RULE_ACT_DROP),     /* inside the pool rule */
		rb_rule("11.0.0.0/8", 0, SLB_RULE_ACT_DROP),
		rb_rule("11.0.0.1", 0, SLB_RULE_ACT_DROP),        /* inside an offloaded drop */
		rb_rule("10.0.0.0/7", 0, SLB_RULE_ACT_DROP),      /* holds an earlier one */
	};
	struct slb_rule bits[] = {
		rb_rule("10.0.0.0/9", 0, SLB_RULE_ACT_POOL),
		rb_rule("10.128.0.0/9", 0, SLB_RULE_ACT_DROP),    /* the other half: disjoint */
		rb_rule("10.64.0.0/10", 0, SLB_RULE_ACT_DROP),    /* inside the first /9 */
		rb_rule("10.192.0.0/11", 0, SLB_RULE_ACT_DROP),   /* inside the second */
		rb_rule("10.224.0.1/32", 0, SLB_RULE_ACT_DROP),   /* ... too */
		rb_rule("10.0.0.0/0", 0, SLB_RULE_ACT_DROP),      /* everything IPv4 */
	};
	struct slb_rule families[] = {
		rb_rule("0.0.0.0/0", 0, SLB_RULE_ACT_POOL),
		rb_rule("2001:db8:bad::/48", 0, SLB_RULE_ACT_DROP), /* IPv6 after all IPv4 */
		rb_rule("::/0", 0, SLB_RULE_ACT_POOL),
		rb_rule("2001:db8:bae::/48", 0, SLB_RULE_ACT_DROP),
	};
	struct slb_rule sip_between[] = {
		rb_rule("203.0.113.0/24", 0, SLB_RULE_ACT_DROP),
		rb_field(rb_rule(NULL, 0, SLB_RULE_ACT_POOL), SLB_RULE_F_METHOD, "INVITE"),
		rb_rule("198.51.100.0/24", 0, SLB_RULE_ACT_DROP), /* an INVITE would go to pool */
		rb_rate(rb_rule("192.0.2.0/24", 0, SLB_RULE_ACT_CONTINUE), 1, 1, true, false),
	};
	struct slb_rule sip_with_source[] = {
		rb_field(rb_rule("203.0.113.0/24", 0, SLB_RULE_ACT_POOL), SLB_RULE_F_METHOD, "INVITE"),
		rb_rule("198.51.100.0/24", 0, SLB_RULE_ACT_DROP), /* other sources: disjoint */
		rb_rule("203.0.113.7", 0, SLB_RULE_ACT_DROP),     /* an INVITE from it: pool */
	};
	struct slb_rule ports[] = {
		rb_rule("203.0.113.0/24", 5060, SLB_RULE_ACT_DROP),
		rb_rule("203.0.113.0/24", 5062, SLB_RULE_ACT_DROP), /* same prefix: not compared */
		rb_rule(NULL, 5070, SLB_RULE_ACT_DROP),             /* every source, one port */
		rb_rule("198.51.100.0/24", 0, SLB_RULE_ACT_DROP),   /* after it: no */
	};

	expect_whys("nested prefixes", nested, 5, "no_drop,earlier,yes,earlier,earlier");
	expect_whys("prefixes off byte boundaries", bits, 6,
		    "no_drop,yes,earlier,earlier,earlier,earlier");
	expect_whys("families", families, 4, "no_drop,yes,no_drop,earlier");
	expect_whys("a SIP-field rule before", sip_between, 4, "yes,sip_field,earlier,earlier");
	expect_whys("a SIP-field rule on other sources", sip_with_source, 3,
		    "sip_field,yes,earlier");
	expect_whys("source ports", ports, 4, "yes,earlier,earlier,earlier");

	struct sel s = select_rules(ports, 1, N_MAX);

	CHECK(s.n == 1 && s.out[0].sport == 5060, "the port goes with the entry: %u",
	      s.out[0].sport);
	struct slb_rule any_port[] = {rb_rule(NULL, 5070, SLB_RULE_ACT_DROP)};

	s = select_rules(any_port, 1, N_MAX);
	CHECK(s.n == 1 && s.out[0].src.family == 0 && s.out[0].sport == 5070,
	      "a port without a prefix: every source (family %u)", s.out[0].src.family);
}

static void cases_room(void)
{
	struct slb_rule r[] = {
		rb_rule("10.0.0.0/8", 0, SLB_RULE_ACT_DROP),
		rb_rule("11.0.0.0/8", 0, SLB_RULE_ACT_DROP),
		rb_rule("12.0.0.0/8", 0, SLB_RULE_ACT_DROP),
	};
	struct sel s = select_rules(r, 3, 2);

	CHECK_SHOW(s.n == 2 && !strcmp(whys(&s, 3), "yes,yes,no_room"),
		   "room for 2: %u entries, [%s]", s.n, whys(&s, 3));
	s = select_rules(r, 0, N_MAX);
	CHECK(s.n == 0, "no rules: %u entries", s.n);
}

int main(void)
{
	cases_kinds();
	cases_order();
	cases_room();
	return check_summary();
}
