/* SPDX-License-Identifier: BSD-3-Clause */
/* The reference matcher (rules_ref.h): what each rule means, slowly. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_ref.h"

struct rules_ref {
	const struct slb_rules *r;
	regex_t (*re)[SLB_RULE_F_HEADER + 1]; /* per rule: fixed fields, then the header */
	char headers[SLB_RULE_MAX_HEADERS][SLB_RULE_HEADER_LEN];
	uint32_t n_headers;
};

static bool host_field(unsigned f)
{
	return f == SLB_RULE_F_RURI_HOST || f == SLB_RULE_F_FROM_HOST || f == SLB_RULE_F_TO_HOST;
}

static const struct slb_rule_cond *cond(const struct slb_rule *rule, unsigned k)
{
	return k < SLB_RULE_F_HEADER ? &rule->cond[k] : &rule->header_cond;
}

static uint32_t header_index(struct rules_ref *ref, const char *name)
{
	uint32_t k;

	for (k = 0; k < ref->n_headers; k++)
		if (!strcasecmp(ref->headers[k], name))
			return k;
	strcpy(ref->headers[k], name);
	ref->n_headers++;
	return k;
}

struct rules_ref *rules_ref_create(const struct slb_rules *r)
{
	struct rules_ref *ref = calloc(1, sizeof(*ref));

	ref->r = r;
	ref->re = calloc(r->n ? r->n : 1, sizeof(*ref->re));
	for (uint32_t i = 0; i < r->n; i++) {
		if (r->rules[i].header[0])
			header_index(ref, r->rules[i].header);
		for (unsigned k = 0; k <= SLB_RULE_F_HEADER; k++) {
			const struct slb_rule_cond *c = cond(&r->rules[i], k);

			if (c->op == SLB_RULE_OP_REGEX &&
			    regcomp(&ref->re[i][k], c->value,
				    REG_EXTENDED | REG_NOSUB | (host_field(k) ? REG_ICASE : 0)))
				abort(); /* a test regex outside the common subset */
		}
	}
	return ref;
}

void rules_ref_free(struct rules_ref *ref)
{
	for (uint32_t i = 0; i < ref->r->n; i++)
		for (unsigned k = 0; k <= SLB_RULE_F_HEADER; k++)
			if (cond(&ref->r->rules[i], k)->op == SLB_RULE_OP_REGEX)
				regfree(&ref->re[i][k]);
	free(ref->re);
	free(ref);
}

static bool cond_matches(const regex_t *re, const struct slb_rule_cond *c, bool caseless,
			 const uint8_t *v, size_t len)
{
	size_t n = strlen(c->value);
	char text[SLB_SIP_MAX_LEN + 1];

	if (!len)
		return false;
	switch (c->op) {
	case SLB_RULE_OP_EXACT:
	case SLB_RULE_OP_PREFIX:
		if (len < n || (c->op == SLB_RULE_OP_EXACT && len != n))
			return false;
		return caseless ? !strncasecmp((const char *)v, c->value, n) : !memcmp(v, c->value, n);
	default:
		memcpy(text, v, len);
		text[len] = 0;
		return !regexec(re, text, 0, NULL, 0);
	}
}

/* Bit by bit, unlike the matcher. */
static bool in_prefix(const struct slb_rule_rec *r, const struct slb_addr *a)
{
	if (!r->src.family)
		return true;
	if (a->family != r->src.family)
		return false;
	for (unsigned b = 0; b < r->src_len; b++)
		if (((a->v6[b / 8] ^ r->src.v6[b / 8]) >> (7 - b % 8)) & 1)
			return false;
	return true;
}

/* as_invite: a CANCEL or an ACK, whose method condition may hold on "INVITE". */
static bool rule_matches(const struct rules_ref *ref, uint32_t i, const uint8_t *buf,
			 const struct slb_rules_fields *f, const struct slb_addr *src,
			 bool as_invite)
{
	const struct slb_rule *rule = &ref->r->rules[i];

	for (unsigned k = 0; k < SLB_RULE_F_HEADER; k++)
		if (rule->cond[k].op &&
		    !cond_matches(&ref->re[i][k], &rule->cond[k], host_field(k),
				  buf + f->f[k].off, f->f[k].len) &&
		    !(k == SLB_RULE_F_METHOD && as_invite &&
		      cond_matches(&ref->re[i][k], &rule->cond[k], false,
				   (const uint8_t *)"INVITE", 6)))
			return false;
	if (rule->header[0]) {
		uint32_t h = SLB_RULE_F_HEADER;

		for (uint32_t k = 0; k < ref->n_headers; k++)
			if (!strcasecmp(ref->headers[k], rule->header))
				h += k;
		if (!cond_matches(&ref->re[i][SLB_RULE_F_HEADER], &rule->header_cond, false,
				  buf + f->f[h].off, f->f[h].len))
			return false;
	}
	if (rule->rec.src_port && rule->rec.src_port != src->port)
		return false;
	return in_prefix(&rule->rec, src);
}

int32_t rules_ref_next(const struct rules_ref *ref, const uint8_t *buf,
		       const struct slb_sip_msg *msg, const struct slb_addr *src, uint32_t from)
{
	struct slb_rules_fields f;

	slb_rules_fields_locate(buf, msg, UINT32_MAX,
				(const char (*)[SLB_RULE_HEADER_LEN])ref->headers, ref->n_headers, &f);
	for (uint32_t i = from; i < ref->r->n; i++)
		if (rule_matches(ref, i, buf, &f, src, slb_rules_as_invite(msg)))
			return (int32_t)i;
	return -1;
}
