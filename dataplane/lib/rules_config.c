/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VIP's routing rules in the configuration (docs/rules.md): syntax,
 * pool names, and every pattern compiled alone by Hyperscan, so that what
 * siplbd later compiles per VIP is known to compile pattern by pattern.
 */
#include <ctype.h>
#include <errno.h>
#include <hs/hs.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_config.h"
#include "siplb/rules_text.h"

static const char *const field_names[SLB_RULE_F_HEADER] = {
	[SLB_RULE_F_METHOD] = "method",       [SLB_RULE_F_RURI] = "ruri",
	[SLB_RULE_F_RURI_USER] = "ruri_user", [SLB_RULE_F_RURI_HOST] = "ruri_host",
	[SLB_RULE_F_FROM_USER] = "from_user", [SLB_RULE_F_FROM_HOST] = "from_host",
	[SLB_RULE_F_TO_USER] = "to_user",     [SLB_RULE_F_TO_HOST] = "to_host",
	[SLB_RULE_F_USER_AGENT] = "user_agent",
};

const char *slb_rule_field_name(enum slb_rule_field f)
{
	return f < SLB_RULE_F_HEADER ? field_names[f] : "header";
}

static bool host_field(enum slb_rule_field f)
{
	return f == SLB_RULE_F_RURI_HOST || f == SLB_RULE_F_FROM_HOST || f == SLB_RULE_F_TO_HOST;
}

int slb_rule_pattern(enum slb_rule_field f, const struct slb_rule_cond *c, char **expr,
		     unsigned *flags)
{
	size_t n = strlen(c->value);
	char *e = malloc(4 * n + 3), *w = e;

	if (!e)
		return -1;
	*flags = HS_FLAG_SINGLEMATCH | (host_field(f) ? HS_FLAG_CASELESS : 0);
	if (c->op == SLB_RULE_OP_REGEX) {
		memcpy(e, c->value, n + 1);
		*expr = e;
		return 0;
	}
	/* every byte escaped: the literal needs no knowledge of PCRE syntax */
	*w++ = '^';
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "\\x%02x", (unsigned char)c->value[i]);
	if (c->op == SLB_RULE_OP_EXACT)
		*w++ = '$';
	*w = 0;
	*expr = e;
	return 0;
}

int slb_rule_pattern_check(enum slb_rule_field f, const struct slb_rule_cond *c, char *err,
			   size_t errlen)
{
	hs_compile_error_t *ce = NULL;
	hs_database_t *db = NULL;
	unsigned flags;
	char *expr;

	if (slb_rule_pattern(f, c, &expr, &flags)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (hs_compile(expr, flags, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS) {
		snprintf(err, errlen, "Hyperscan cannot compile it: %s",
			 ce ? ce->message : "unknown error");
		hs_free_compile_error(ce);
		free(expr);
		return -1;
	}
	hs_free_database(db);
	free(expr);
	return 0;
}

void slb_rule_free(struct slb_rule *r)
{
	for (int f = 0; f < SLB_RULE_F_HEADER; f++)
		free(r->cond[f].value);
	free(r->header_cond.value);
	memset(r, 0, sizeof(*r));
}

void slb_rules_free(struct slb_rules *r)
{
	for (uint32_t i = 0; r->rules && i < r->n; i++)
		slb_rule_free(&r->rules[i]);
	free(r->rules);
	memset(r, 0, sizeof(*r));
}

/* ---- parsing ---- */

struct rparse {
	const struct slb_config *c;
	const config_setting_t **bad;
	char *why;
	size_t len;
};

__attribute__((format(printf, 3, 4)))
static int bad(const struct rparse *p, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	*p->bad = s;
	va_start(ap, fmt);
	vsnprintf(p->why, p->len, fmt, ap);
	va_end(ap);
	return -1;
}

static int check_keys(const struct rparse *p, const config_setting_t *g,
		      const char *const *known)
{
	char list[256];
	const config_setting_t *s = slb_config_unknown_key(g, known, list, sizeof(list));

	return s ? bad(p, s, "unknown setting (known: %s)", list) : 0;
}

static int string_of(const struct rparse *p, const config_setting_t *s, const char **out)
{
	*out = ""; /* also on error: gcc does not see that bad() returns -1 */
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return bad(p, s, "must be a string");
	*out = config_setting_get_string(s);
	if (!**out)
		return bad(p, s, "is empty");
	return 0;
}

/* "..." (exact) or { exact | prefix | regex = "..." } of group g's member. */
static int cond_value(const struct rparse *p, const config_setting_t *s, bool named,
		      enum slb_rule_field f, struct slb_rule_cond *out)
{
	static const char *const ops[] = {[SLB_RULE_OP_EXACT] = "exact",
					  [SLB_RULE_OP_PREFIX] = "prefix",
					  [SLB_RULE_OP_REGEX] = "regex"};
	const config_setting_t *v = NULL;
	const char *text;
	char err[256];

	if (config_setting_type(s) == CONFIG_TYPE_STRING && !named) {
		out->op = SLB_RULE_OP_EXACT;
		v = s;
	}
	for (uint8_t op = SLB_RULE_OP_EXACT; !v && op <= SLB_RULE_OP_REGEX; op++) {
		const config_setting_t *m;

		if (!config_setting_is_group(s) || !(m = config_setting_get_member(s, ops[op])))
			continue;
		out->op = op;
		v = m;
	}
	if (!v || (config_setting_is_group(s) && config_setting_length(s) != 1 + named))
		return bad(p, s, named ? "must be { name = \"...\"; exact|prefix|regex = \"...\"; }"
				       : "must be a string or { exact|prefix|regex = \"...\"; }");
	if (string_of(p, v, &text))
		return -1;
	out->value = strdup(text);
	if (!out->value)
		return bad(p, v, "out of memory");
	if (slb_rule_pattern_check(f, out, err, sizeof(err)))
		return bad(p, v, "\"%s\": %s", text, err);
	return 0;
}

/* A header name: an RFC 3261 token. */
static int header_name(const struct rparse *p, const config_setting_t *g, char *dst)
{
	const config_setting_t *s = config_setting_get_member(g, "name");
	const char *v;

	if (!s)
		return bad(p, g, "has no 'name'");
	if (string_of(p, s, &v))
		return -1;
	if (strlen(v) >= SLB_RULE_HEADER_LEN)
		return bad(p, s, "\"%s\": longer than %d bytes", v, SLB_RULE_HEADER_LEN - 1);
	for (const char *c = v; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-.!%*_+`'~", *c))
			return bad(p, s, "\"%s\": not a header name", v);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* "203.0.113.0/24", "2001:db8::/32" or one address. */
static int source_prefix(const struct rparse *p, const config_setting_t *s,
			 struct slb_rule_rec *r)
{
	char text[INET6_ADDRSTRLEN + 5], *slash, *end;
	const char *v;
	unsigned long len = 0;

	if (string_of(p, s, &v))
		return -1;
	snprintf(text, sizeof(text), "%s", v);
	slash = strchr(text, '/');
	if (slash) {
		*slash = 0;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end || errno)
			len = 999;
	}
	if (strlen(v) >= sizeof(text) || slb_addr_parse(text, &r->src))
		return bad(p, s, "\"%s\": not ADDRESS/LENGTH", v);
	unsigned max = r->src.family == AF_INET ? 32 : 128;
	if (!slash)
		len = max;
	if (len > max)
		return bad(p, s, "\"%s\": a length of 0..%u expected", v, max);
	r->src_len = (uint8_t)len;
	for (unsigned b = r->src_len; b < max; b++)
		if (r->src.v6[b / 8] & (0x80 >> (b % 8)))
			return bad(p, s, "\"%s\": bits set beyond /%lu", v, len);
	return 0;
}

static int source_port(const struct rparse *p, const config_setting_t *s, uint16_t *port)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
		return bad(p, s, "must be an integer");
	v = config_setting_get_int64(s);
	if (v < 1 || v > UINT16_MAX)
		return bad(p, s, "is %lld, out of range 1..65535", v);
	*port = (uint16_t)v;
	return 0;
}

static int parse_match(const struct rparse *p, const config_setting_t *m, struct slb_rule *r)
{
	static const char *const keys[] = {"method", "ruri", "ruri_user", "ruri_host",
					   "from_user", "from_host", "to_user", "to_host",
					   "user_agent", "header", "source", "source_port", NULL};
	const config_setting_t *s;

	if (!config_setting_is_group(m))
		return bad(p, m, "must be a group { ... }");
	if (check_keys(p, m, keys))
		return -1;
	for (int f = 0; f < SLB_RULE_F_HEADER; f++)
		if ((s = config_setting_get_member(m, field_names[f])) &&
		    cond_value(p, s, false, f, &r->cond[f]))
			return -1;
	if ((s = config_setting_get_member(m, "header")) &&
	    (!config_setting_is_group(s) || header_name(p, s, r->header) ||
	     cond_value(p, s, true, SLB_RULE_F_HEADER, &r->header_cond)))
		return config_setting_is_group(s) ? -1 : bad(p, s, "must be a group { ... }");
	if ((s = config_setting_get_member(m, "source")) && source_prefix(p, s, &r->rec))
		return -1;
	if ((s = config_setting_get_member(m, "source_port")) &&
	    source_port(p, s, &r->rec.src_port))
		return -1;
	return 0;
}

static int find_pool(const struct rparse *p, const config_setting_t *s, const char *name,
		     uint32_t *pool)
{
	for (*pool = 0; *pool < p->c->n_pools; (*pool)++)
		if (!strcmp(p->c->pools[*pool].name, name))
			return 0;
	return bad(p, s, "\"pool %s\": no pool of that name", name);
}

/* "reply CODE [REASON]" after "reply". */
static int reply_of(const struct rparse *p, const config_setting_t *s, const char *v,
		    struct slb_rule_rec *r)
{
	char *end;
	unsigned long code;

	errno = 0;
	code = strtoul(v, &end, 10);
	if (!isdigit((unsigned char)*v) || errno || code < 300 || code > 699 ||
	    (*end && *end != ' '))
		return bad(p, s, "\"reply %s\": a code 300..699 expected", v);
	while (*end == ' ')
		end++;
	if (strlen(end) >= sizeof(r->reason))
		return bad(p, s, "\"reply %s\": a reason of at most %zu bytes", v,
			   sizeof(r->reason) - 1);
	for (const char *c = end; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return bad(p, s, "\"reply %s\": control characters in the reason", v);
	r->reply_code = (uint16_t)code;
	memcpy(r->reason, end, strlen(end) + 1);
	return 0;
}

static int parse_action(const struct rparse *p, const config_setting_t *s, struct slb_rule_rec *r)
{
	const char *v;

	if (string_of(p, s, &v))
		return -1;
	if (!strcmp(v, "drop"))
		r->action = SLB_RULE_ACT_DROP;
	else if (!strcmp(v, "allow"))
		r->action = SLB_RULE_ACT_ALLOW;
	else if (!strncmp(v, "pool ", 5))
		return r->action = SLB_RULE_ACT_POOL, find_pool(p, s, v + 5, &r->pool);
	else if (!strncmp(v, "reply ", 6))
		return r->action = SLB_RULE_ACT_REPLY, reply_of(p, s, v + 6, r);
	else
		return bad(p, s, "\"%s\": \"pool NAME\", \"drop\", \"reply CODE [REASON]\" or "
			   "\"allow\" expected", v);
	return 0;
}

static int parse_hash(const struct rparse *p, const config_setting_t *s, struct slb_rule *r)
{
	static const char *const keys[] = {[SLB_RULE_HASH_CALL_ID] = "call-id",
					   [SLB_RULE_HASH_FROM_USER] = "from-user",
					   [SLB_RULE_HASH_TO_USER] = "to-user",
					   [SLB_RULE_HASH_RURI_USER] = "ruri-user"};
	const char *v;

	if (string_of(p, s, &v))
		return -1;
	for (uint8_t h = 0; h < sizeof(keys) / sizeof(keys[0]); h++)
		if (!strcmp(v, keys[h]))
			return r->rec.hash = h, 0;
	if (strncmp(v, "header:", 7) || !v[7] || strlen(v + 7) >= sizeof(r->hash_header))
		return bad(p, s, "\"%s\": \"call-id\", \"from-user\", \"to-user\", \"ruri-user\" "
			   "or \"header:NAME\" expected", v);
	r->rec.hash = SLB_RULE_HASH_HEADER;
	memcpy(r->hash_header, v + 7, strlen(v + 7) + 1);
	return 0;
}

static int rate_uint(const struct rparse *p, const config_setting_t *g, const char *key,
		     uint32_t min, uint32_t *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	long long v;

	if (!s)
		return min ? bad(p, g, "has no '%s'", key) : 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
		return bad(p, s, "must be an integer");
	v = config_setting_get_int64(s);
	if (v < min || v > UINT32_MAX)
		return bad(p, s, "is %lld, out of range %" PRIu32 "..%" PRIu32, v, min, UINT32_MAX);
	*out = (uint32_t)v;
	return 0;
}

/* One of two words, the first the default: 0 or 1 in *out. */
static int rate_word(const struct rparse *p, const config_setting_t *g, const char *key,
		     const char *w0, const char *w1, uint8_t *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	const char *v;

	if (!s)
		return 0;
	if (string_of(p, s, &v))
		return -1;
	if (strcmp(v, w0) && strcmp(v, w1))
		return bad(p, s, "\"%s\": \"%s\" or \"%s\" expected", v, w0, w1);
	*out = !strcmp(v, w1);
	return 0;
}

static int parse_rate(const struct rparse *p, const config_setting_t *g, struct slb_rule_rec *r)
{
	static const char *const keys[] = {"limit", "burst", "per", "over", NULL};

	if (!config_setting_is_group(g))
		return bad(p, g, "must be a group { limit = N; burst = B; per = ...; over = ...; }");
	return check_keys(p, g, keys) || rate_uint(p, g, "limit", 1, &r->rate) ||
	       rate_uint(p, g, "burst", 0, &r->burst) ||
	       rate_word(p, g, "per", "rule", "source", &r->rate_per_source) ||
	       rate_word(p, g, "over", "drop", "reply 503", &r->over_reply) ? -1 : 0;
}

static void origin(const struct slb_config_text *text, const config_setting_t *e,
		   struct slb_rule *r)
{
	const char *file;
	unsigned line;

	if (!text) { /* a rule given at run time (rules_text.c) */
		snprintf(r->origin, sizeof(r->origin), "runtime");
		return;
	}
	line = slb_config_text_origin(text, config_setting_source_line(e), &file);
	snprintf(r->origin, sizeof(r->origin), "%s:%u", file, line);
}

static int parse_rule(const struct rparse *p, const config_setting_t *e, struct slb_rule *r)
{
	static const char *const keys[] = {"match", "action", "hash", "rate", NULL};
	const config_setting_t *m = config_setting_get_member(e, "match");
	const config_setting_t *a = config_setting_get_member(e, "action");
	const config_setting_t *h = config_setting_get_member(e, "hash");
	const config_setting_t *rate = config_setting_get_member(e, "rate");

	if (!config_setting_is_group(e))
		return bad(p, e, "must be a group { match = { ... }; action = \"...\"; }");
	if (check_keys(p, e, keys) || (m && parse_match(p, m, r)) ||
	    (a && parse_action(p, a, &r->rec)) || (h && parse_hash(p, h, r)) ||
	    (rate && parse_rate(p, rate, &r->rec)))
		return -1;
	if (!a && !h && !rate)
		return bad(p, e, "has no 'action', 'hash' or 'rate': it would do nothing");
	if (h && a && r->rec.action != SLB_RULE_ACT_POOL && r->rec.action != SLB_RULE_ACT_ALLOW)
		return bad(p, h, "a hash needs \"pool NAME\" or \"allow\"");
	if (!a && rate && !h)
		r->rec.action = SLB_RULE_ACT_CONTINUE;
	return 0;
}

int slb_rules_config_parse(const config_setting_t *list, const struct slb_config *c,
			   const struct slb_config_text *text, uint32_t vip_pool,
			   struct slb_rules *out,
			   const config_setting_t **badset, char *why, size_t len)
{
	struct rparse p = {.c = c, .bad = badset, .why = why, .len = len};
	uint32_t n;

	memset(out, 0, sizeof(*out));
	if (!list)
		return 0;
	if (!config_setting_is_list(list))
		return bad(&p, list, "must be a list ( { ... }, ... )");
	n = (uint32_t)config_setting_length(list);
	if (n > SLB_RULES_MAX)
		return bad(&p, list, "has %" PRIu32 " rules, at most %d are supported", n,
			   SLB_RULES_MAX);
	out->rules = n ? calloc(n, sizeof(*out->rules)) : NULL;
	if (n && !out->rules)
		return bad(&p, list, "out of memory");
	out->n = n;
	for (uint32_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list, i);

		origin(text, e, &out->rules[i]);
		out->rules[i].rec.pool = vip_pool; /* unless "pool NAME" */
		if (parse_rule(&p, e, &out->rules[i])) {
			slb_rules_free(out);
			return -1;
		}
		out->allow_list |= out->rules[i].rec.action == SLB_RULE_ACT_ALLOW;
	}
	return 0;
}
