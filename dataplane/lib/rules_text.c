/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One routing rule as text, both ways (include/siplb/rules_text.h): parsed
 * by the configuration's own code (rules_config.c) inside a one-element
 * `rules = ( ... )`, written back in the same syntax.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_config.h"
#include "siplb/rules_text.h"

/* ---- parsing ---- */

/* "match.user_agent.regex": where s is inside the rule (list element). */
static void rule_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);
	size_t n;

	if (!parent || !config_setting_name(s) || !config_setting_parent(parent)) {
		buf[0] = 0;
		return;
	}
	rule_path(parent, buf, len);
	n = strlen(buf);
	snprintf(buf + n, len - n, "%s%s", n ? "." : "", config_setting_name(s));
}

/*
 * libconfig would read a file named on an "@include" line (config.c lets
 * config_text.c expand them, and only from files): a rule's text has none,
 * nor a NUL or control characters besides blanks and line ends.
 */
static int check_text(const char *text, size_t n, char *err, size_t errlen)
{
	bool line_start = true;

	if (n > SLB_RULE_TEXT_MAX) {
		snprintf(err, errlen, "rule: %zu bytes: a rule has at most %d", n, SLB_RULE_TEXT_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)text[i];

		if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f) {
			snprintf(err, errlen, "rule: a control character (0x%02x) at byte %zu", ch, i);
			return -1;
		}
		if (line_start && ch == '@') {
			snprintf(err, errlen, "rule: '@' at a line's start (no @include in a rule)");
			return -1;
		}
		line_start = ch == '\n' || (line_start && (ch == ' ' || ch == '\t' || ch == '\r'));
	}
	return 0;
}

/* "rules = (\n" text without a trailing ',' or ';' "\n);": the rule on line 2. */
static char *wrap(const char *text)
{
	size_t n = strlen(text);
	char *doc;

	while (n && strchr(" \t\r\n", text[n - 1]))
		n--;
	if (n && (text[n - 1] == ',' || text[n - 1] == ';'))
		n--;
	if (asprintf(&doc, "rules = (\n%.*s\n);\n", (int)n, text) < 0)
		return NULL;
	return doc;
}

static int parse_doc(config_t *cf, const struct slb_config *c, uint32_t vip_pool,
		     struct slb_rules *rules, char *err, size_t errlen)
{
	const config_setting_t *list = config_lookup(cf, "rules"), *bad = NULL;
	char why[512], where[256];

	if (config_setting_length(list) != 1) {
		snprintf(err, errlen, "rule: one rule { ... } expected, %d given",
			 config_setting_length(list));
		return -1;
	}
	if (!slb_rules_config_parse(list, c, NULL, vip_pool, rules, &bad, why, sizeof(why)))
		return 0;
	rule_path(bad, where, sizeof(where));
	snprintf(err, errlen, "rule:%d: %s%s%s%s", config_setting_source_line(bad) - 1,
		 where[0] ? "'" : "", where, where[0] ? "': " : "", why);
	return -1;
}

int slb_rule_parse_text(const char *text, const struct slb_config *c, uint32_t vip_pool,
			struct slb_rule *out, char *err, size_t errlen)
{
	struct slb_rules rules = {0};
	char *doc;
	config_t cf;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (check_text(text, strlen(text), err, errlen))
		return -1;
	if (!(doc = wrap(text))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	config_init(&cf);
	config_set_include_dir(&cf, "/proc/self/fd/-1"); /* as config.c: no file opens */
	if (!config_read_string(&cf, doc))
		snprintf(err, errlen, "rule:%d: %s", config_error_line(&cf) - 1,
			 config_error_text(&cf));
	else
		rc = parse_doc(&cf, c, vip_pool, &rules, err, errlen);
	config_destroy(&cf);
	free(doc);
	if (rc)
		return -1;
	*out = rules.rules[0]; /* its values now out's */
	free(rules.rules);
	return 0;
}

/* ---- writing ---- */

/* s as a libconfig string: quotes, \\ and \", other bytes below 0x20 as \xNN. */
static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* `name = "v"`, or `name = { prefix|regex = "v" }`. */
static void cond(FILE *f, const char *name, const struct slb_rule_cond *c, const char *sep)
{
	static const char *const ops[] = {[SLB_RULE_OP_PREFIX] = "prefix",
					  [SLB_RULE_OP_REGEX] = "regex"};

	fprintf(f, "%s%s = ", sep, name);
	if (c->op != SLB_RULE_OP_EXACT)
		fprintf(f, "{ %s = ", ops[c->op]);
	quoted(f, c->value);
	if (c->op != SLB_RULE_OP_EXACT)
		fputs(" }", f);
}

/* The conditions, "; " apart; false when there are none. */
static bool conditions(FILE *f, const struct slb_rule *r)
{
	const struct slb_rule_rec *rec = &r->rec;
	const char *sep = "";
	char addr[SLB_ADDR_TEXT_LEN];

	for (int k = 0; k < SLB_RULE_F_HEADER; k++) {
		if (!r->cond[k].op)
			continue;
		cond(f, slb_rule_field_name((enum slb_rule_field)k), &r->cond[k], sep);
		sep = "; ";
	}
	if (r->header_cond.op) {
		static const char *const ops[] = {[SLB_RULE_OP_EXACT] = "exact",
						  [SLB_RULE_OP_PREFIX] = "prefix",
						  [SLB_RULE_OP_REGEX] = "regex"};

		fprintf(f, "%sheader = { name = ", sep);
		quoted(f, r->header);
		fprintf(f, "; %s = ", ops[r->header_cond.op]);
		quoted(f, r->header_cond.value);
		fputs("; }", f);
		sep = "; ";
	}
	if (rec->src.family) {
		fprintf(f, "%ssource = \"%s/%u\"", sep,
			slb_addr_format(&rec->src, SLB_ADDR_IP, addr, sizeof(addr)), rec->src_len);
		sep = "; ";
	}
	if (rec->src_port) {
		fprintf(f, "%ssource_port = %u", sep, rec->src_port);
		sep = "; ";
	}
	return *sep != 0;
}

static char *action_of(const struct slb_rule_rec *rec, const struct slb_config *c)
{
	char *s = NULL;
	int rc = 0;

	switch (rec->action) {
	case SLB_RULE_ACT_POOL:
		rc = asprintf(&s, "pool %s", rec->pool < c->n_pools ? c->pools[rec->pool].name : "?");
		break;
	case SLB_RULE_ACT_DROP:
		s = strdup("drop");
		break;
	case SLB_RULE_ACT_REPLY:
		rc = asprintf(&s, "reply %u%s%s", rec->reply_code, rec->reason[0] ? " " : "",
			      rec->reason);
		break;
	case SLB_RULE_ACT_ALLOW:
		s = strdup("allow");
		break;
	default: /* continue: a rate only */
		break;
	}
	return rc < 0 ? NULL : s;
}

static char *hash_of(const struct slb_rule *r)
{
	static const char *const keys[] = {[SLB_RULE_HASH_FROM_USER] = "from-user",
					   [SLB_RULE_HASH_TO_USER] = "to-user",
					   [SLB_RULE_HASH_RURI_USER] = "ruri-user"};
	char *s = NULL;

	if (r->rec.hash == SLB_RULE_HASH_CALL_ID)
		return NULL;
	if (r->rec.hash == SLB_RULE_HASH_HEADER)
		return asprintf(&s, "header:%s", r->hash_header) < 0 ? NULL : s;
	return r->rec.hash < sizeof(keys) / sizeof(*keys) ? strdup(keys[r->rec.hash]) : NULL;
}

static char *rate_of(const struct slb_rule_rec *rec)
{
	char *s = NULL;

	if (!rec->rate)
		return NULL;
	if (asprintf(&s, "%" PRIu32 "/s burst %" PRIu32 " per %s, over: %s", rec->rate, rec->burst,
		     rec->rate_per_source ? "source" : "rule", rec->over_reply ? "reply 503" : "drop")
	    < 0)
		return NULL;
	return s;
}

/* The whole rule, from its parts. */
static char *whole(const struct slb_rule *r, const struct slb_rule_text *t)
{
	const struct slb_rule_rec *rec = &r->rec;
	size_t len;
	char *s = NULL;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	fputs("{ ", f);
	if (t->match)
		fprintf(f, "match = { %s; }; ", t->match);
	if (t->action) {
		fputs("action = ", f);
		quoted(f, t->action);
		fputs("; ", f);
	}
	if (t->hash)
		fprintf(f, "hash = \"%s\"; ", t->hash);
	if (rec->rate)
		fprintf(f, "rate = { limit = %" PRIu32 "; burst = %" PRIu32 "; per = \"%s\"; "
			"over = \"%s\"; }; ", rec->rate, rec->burst,
			rec->rate_per_source ? "source" : "rule", rec->over_reply ? "reply 503" : "drop");
	fputc('}', f);
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

int slb_rule_format(const struct slb_rule *r, const struct slb_config *c,
		    struct slb_rule_text *t)
{
	size_t len;
	FILE *f;

	memset(t, 0, sizeof(*t));
	f = open_memstream(&t->match, &len);
	if (!f)
		return -1;
	bool any = conditions(f, r);
	if (fclose(f) || !any) {
		free(t->match);
		t->match = NULL;
	}
	t->action = action_of(&r->rec, c);
	t->hash = hash_of(r);
	t->rate = rate_of(&r->rec);
	t->rule = whole(r, t);
	if (t->rule && (t->match || !any) && (t->action || r->rec.action == SLB_RULE_ACT_CONTINUE) &&
	    (t->hash || r->rec.hash == SLB_RULE_HASH_CALL_ID) && (t->rate || !r->rec.rate))
		return 0;
	slb_rule_text_free(t);
	return -1;
}

void slb_rule_text_free(struct slb_rule_text *t)
{
	free(t->rule);
	free(t->match);
	free(t->action);
	free(t->hash);
	free(t->rate);
	memset(t, 0, sizeof(*t));
}
