/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VIP's rules into the blob siplb-dp matches with (include/siplb/rules.h):
 * one Hyperscan block-mode database per field, pattern id = rule index (a
 * rule has at most one condition per field), serialized after the rules'
 * records and the field table.
 */
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "siplb/rules_compile.h"

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

/* The fields of a VIP's rules: which are used, named headers numbered. */
struct fields {
	uint32_t used;                                   /* 1u << field */
	char headers[SLB_RULE_MAX_HEADERS][SLB_RULE_HEADER_LEN];
	uint32_t n_headers;
};

struct compiled {
	char *bytes[SLB_RULE_MAX_FIELDS]; /* serialized databases, NULL: none */
	size_t len[SLB_RULE_MAX_FIELDS];
};

/* The field of header name (case-insensitive), added when new; -1: full. */
static int header_field(struct fields *f, const char *name)
{
	uint32_t k;

	for (k = 0; k < f->n_headers; k++)
		if (!strcasecmp(f->headers[k], name))
			return SLB_RULE_F_HEADER + (int)k;
	if (k == SLB_RULE_MAX_HEADERS)
		return -1;
	snprintf(f->headers[k], sizeof(f->headers[k]), "%s", name);
	f->n_headers++;
	return SLB_RULE_F_HEADER + (int)k;
}

static const enum slb_rule_field hash_fields[] = {
	[SLB_RULE_HASH_FROM_USER] = SLB_RULE_F_FROM_USER,
	[SLB_RULE_HASH_TO_USER] = SLB_RULE_F_TO_USER,
	[SLB_RULE_HASH_RURI_USER] = SLB_RULE_F_RURI_USER,
};

/* Numbers the fields; fills each record's n_hs and hash_field. */
static int number_fields(const struct slb_rules *r, struct slb_rule_rec *recs, struct fields *f,
			 char *err, size_t errlen)
{
	for (uint32_t i = 0; i < r->n; i++) {
		const struct slb_rule *rule = &r->rules[i];
		struct slb_rule_rec *rec = &recs[i];
		int hf;

		*rec = rule->rec;
		rec->n_hs = 0;
		for (int k = 0; k < SLB_RULE_F_HEADER; k++)
			if (rule->cond[k].op) {
				f->used |= 1u << k;
				rec->n_hs++;
			}
		if (rule->header[0]) {
			if ((hf = header_field(f, rule->header)) < 0)
				goto full;
			f->used |= 1u << hf;
			rec->n_hs++;
		}
		if (rec->hash == SLB_RULE_HASH_HEADER) {
			if ((hf = header_field(f, rule->hash_header)) < 0)
				goto full;
			rec->hash_field = (uint8_t)hf;
		} else if (rec->hash != SLB_RULE_HASH_CALL_ID) {
			rec->hash_field = (uint8_t)hash_fields[rec->hash];
		}
		if (rec->hash != SLB_RULE_HASH_CALL_ID)
			f->used |= 1u << rec->hash_field;
		continue;
full:
		snprintf(err, errlen, "%s: more than %d header names in the VIP's rules",
			 rule->origin, SLB_RULE_MAX_HEADERS);
		return -1;
	}
	return 0;
}

/* Rule i's condition on field f, or NULL. */
static const struct slb_rule_cond *cond_of(const struct slb_rule *rule, const struct fields *f,
					   unsigned field)
{
	if (field < SLB_RULE_F_HEADER)
		return rule->cond[field].op ? &rule->cond[field] : NULL;
	if (!rule->header[0] || strcasecmp(rule->header, f->headers[field - SLB_RULE_F_HEADER]))
		return NULL;
	return &rule->header_cond;
}

struct patterns {
	char **expr;
	unsigned *flags, *ids, n;
};

static void patterns_free(struct patterns *p)
{
	for (unsigned i = 0; p->expr && i < p->n; i++)
		free(p->expr[i]);
	free(p->expr);
	free(p->flags);
	free(p->ids);
}

static int collect(const struct slb_rules *r, const struct fields *f, unsigned field,
		   struct patterns *p)
{
	p->expr = calloc(r->n, sizeof(*p->expr));
	p->flags = calloc(r->n, sizeof(*p->flags));
	p->ids = calloc(r->n, sizeof(*p->ids));
	if (!p->expr || !p->flags || !p->ids)
		return -1;
	for (uint32_t i = 0; i < r->n; i++) {
		const struct slb_rule_cond *c = cond_of(&r->rules[i], f, field);

		if (!c)
			continue;
		if (slb_rule_pattern(field < SLB_RULE_F_HEADER ? field : SLB_RULE_F_HEADER, c,
				     &p->expr[p->n], &p->flags[p->n]))
			return -1;
		p->ids[p->n++] = i;
	}
	return 0;
}

/* Field's database, serialized into c; a field without conditions has none. */
static int compile_field(const struct slb_rules *r, const struct fields *f, unsigned field,
			 struct compiled *c, char *err, size_t errlen)
{
	struct patterns p = {0};
	hs_compile_error_t *ce = NULL;
	hs_database_t *db = NULL;
	int rc = -1;

	if (collect(r, f, field, &p)) {
		snprintf(err, errlen, "out of memory");
	} else if (!p.n) {
		rc = 0;
	} else if (hs_compile_multi((const char *const *)p.expr, p.flags, p.ids, p.n, HS_MODE_BLOCK,
				    NULL, &db, &ce) != HS_SUCCESS) {
		const char *where = ce && ce->expression >= 0 && (unsigned)ce->expression < p.n ?
				    r->rules[p.ids[ce->expression]].origin : "rules";
		snprintf(err, errlen, "%s: %s: Hyperscan cannot compile it: %s", where,
			 slb_rule_field_name(field), ce ? ce->message : "unknown error");
		hs_free_compile_error(ce);
	} else if (hs_serialize_database(db, &c->bytes[field], &c->len[field]) != HS_SUCCESS) {
		snprintf(err, errlen, "rules: Hyperscan cannot serialize a database");
	} else {
		rc = 0;
	}
	hs_free_database(db);
	patterns_free(&p);
	return rc;
}

static size_t blob_size(const struct slb_rules *r, const struct fields *f,
			const struct compiled *c, uint32_t n_fields)
{
	size_t len = ALIGN8(sizeof(struct slb_rules_blob)) +
		     ALIGN8(r->n * sizeof(struct slb_rule_rec)) +
		     ALIGN8(n_fields * sizeof(struct slb_rules_blob_field));

	for (unsigned k = 0; k < SLB_RULE_MAX_FIELDS; k++)
		if (f->used & (1u << k))
			len += ALIGN8(c->len[k]);
	return len;
}

static void *assemble(const struct slb_rules *r, const struct slb_rule_rec *recs,
		      const struct fields *f, const struct compiled *c, size_t *len)
{
	uint32_t n_fields = (uint32_t)__builtin_popcount(f->used);
	size_t size = blob_size(r, f, c, n_fields);
	uint8_t *b = size <= UINT32_MAX ? calloc(1, size) : NULL;
	struct slb_rules_blob *h = (struct slb_rules_blob *)b;

	if (!b)
		return NULL;
	*h = (struct slb_rules_blob){.magic = SLB_RULES_BLOB_MAGIC,
				     .version = SLB_RULES_BLOB_VERSION, .len = (uint32_t)size,
				     .n_rules = r->n, .n_fields = n_fields,
				     .allow_list = r->allow_list};
	size_t off = ALIGN8(sizeof(*h));
	memcpy(b + off, recs, r->n * sizeof(*recs));
	off += ALIGN8(r->n * sizeof(*recs));
	struct slb_rules_blob_field *bf = (struct slb_rules_blob_field *)(b + off);
	off += ALIGN8(n_fields * sizeof(*bf));
	for (unsigned k = 0; k < SLB_RULE_MAX_FIELDS; k++) {
		if (!(f->used & (1u << k)))
			continue;
		bf->field = (uint8_t)k;
		if (k >= SLB_RULE_F_HEADER)
			memcpy(bf->header, f->headers[k - SLB_RULE_F_HEADER], SLB_RULE_HEADER_LEN);
		bf->db_off = c->len[k] ? (uint32_t)off : 0;
		bf->db_len = (uint32_t)c->len[k];
		memcpy(b + off, c->bytes[k], c->len[k]);
		off += ALIGN8(c->len[k]);
		bf++;
	}
	*len = size;
	return b;
}

void *slb_rules_compile(const struct slb_rules *r, size_t *len, char *err, size_t errlen)
{
	struct slb_rule_rec *recs = calloc(r->n ? r->n : 1, sizeof(*recs));
	struct compiled c = {0};
	struct fields f = {0};
	void *blob = NULL;
	int rc = recs ? 0 : -1;

	if (!recs)
		snprintf(err, errlen, "out of memory");
	if (!rc)
		rc = number_fields(r, recs, &f, err, errlen);
	for (unsigned k = 0; !rc && k < SLB_RULE_MAX_FIELDS; k++)
		if (f.used & (1u << k))
			rc = compile_field(r, &f, k, &c, err, errlen);
	if (!rc && !(blob = assemble(r, recs, &f, &c, len)))
		snprintf(err, errlen, "out of memory");
	for (unsigned k = 0; k < SLB_RULE_MAX_FIELDS; k++)
		free(c.bytes[k]);
	free(recs);
	return blob;
}
