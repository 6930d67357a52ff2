/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One routing rule as text, both ways (dataplane/lib/rules_text.c), for the
 * operators' commands (siplbctl rule add|list, docs/siplbctl.md): a rule
 * given at run time is parsed by the configuration's own parser
 * (rules_config.c), so its errors are the file's; a rule shown is written
 * back in the configuration's syntax, so what `rule list` shows can be
 * given to `rule add` or pasted into the file.
 */
#ifndef SIPLB_RULES_TEXT_H
#define SIPLB_RULES_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "siplb/config.h"
#include "siplb/rules.h"

/* Bytes of one rule's text: a rule, not a file. */
#define SLB_RULE_TEXT_MAX 4096

/*
 * text, `{ match = { ... }; action = "..."; hash = "..."; rate = { ... }; }`
 * (a trailing ',' or ';' as in the file is allowed), into *out against c's
 * pools; a rule without "pool NAME" keeps vip_pool. Its origin is
 * "runtime". 0, or -1 with "rule:LINE: 'match.method': reason" in err
 * (the reason the configuration file would get) and nothing in *out.
 */
int slb_rule_parse_text(const char *text, const struct slb_config *c, uint32_t vip_pool,
			struct slb_rule *out, char *err, size_t errlen);

/* Frees a rule's values (what slb_rule_parse_text put into r); r is then
 * empty. In rules_config.c, where slb_rules_free uses it for each rule. */
void slb_rule_free(struct slb_rule *r);

/* A rule in the configuration's syntax, whole and by part; malloc'd. NULL
 * parts: no conditions (match), no action of its own (a rate only), the
 * Call-ID hash, no rate. */
struct slb_rule_text {
	char *rule;    /* { match = { ... }; action = "..."; ... } */
	char *match;   /* method = "REGISTER"; ruri_host = "example.com" */
	char *action;  /* pool registrars, drop, reply 403 Forbidden, allow */
	char *hash;    /* to-user, header:X-Tenant */
	char *rate;    /* 50/s burst 100 per source, over: reply 503 */
};

/* r (a rule of c) as text: 0, or -1 (out of memory, t empty). */
int slb_rule_format(const struct slb_rule *r, const struct slb_config *c,
		    struct slb_rule_text *t);
void slb_rule_text_free(struct slb_rule_text *t);

#endif
