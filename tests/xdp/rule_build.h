/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing rules written the way the configuration leaves them (struct
 * slb_rule, include/siplb/rules.h), for the tests of what is offloaded to
 * XDP (test_rules_offload.c, test_xdp_prog.c's rule cases).
 */
#ifndef SIPLB_TESTS_XDP_RULE_BUILD_H
#define SIPLB_TESTS_XDP_RULE_BUILD_H

#include <stdlib.h>
#include <string.h>

#include "siplb/addr.h"
#include "siplb/rules.h"

/* A rule with action `action` on source prefix "ADDR/LEN" (NULL: any
 * source) and source port sport (0: any). */
static inline struct slb_rule rb_rule(const char *prefix, uint16_t sport, uint8_t action)
{
	struct slb_rule r;
	char text[64];
	char *slash;

	memset(&r, 0, sizeof(r));
	r.rec.action = action;
	r.rec.src_port = sport;
	if (!prefix)
		return r;
	snprintf(text, sizeof(text), "%s", prefix);
	slash = strchr(text, '/');
	if (slash)
		*slash = 0;
	if (slb_addr_parse(text, &r.rec.src))
		abort();
	r.rec.src_len = (uint8_t)(slash ? atoi(slash + 1) : r.rec.src.family == AF_INET ? 32 : 128);
	return r;
}

/* rate per second, burst; per source or per rule; over: drop or reply 503. */
static inline struct slb_rule rb_rate(struct slb_rule r, uint32_t rate, uint32_t burst,
				      bool per_source, bool over_reply)
{
	r.rec.rate = rate;
	r.rec.burst = burst;
	r.rec.rate_per_source = per_source;
	r.rec.over_reply = over_reply;
	return r;
}

/* A condition on a SIP field (the value is not freed: a test's literal). */
static inline struct slb_rule rb_field(struct slb_rule r, enum slb_rule_field f, const char *exact)
{
	r.cond[f].op = SLB_RULE_OP_EXACT;
	r.cond[f].value = (char *)exact;
	return r;
}

#endif
