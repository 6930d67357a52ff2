/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VIP's rules into the blob siplb-dp matches with (include/siplb/rules.h):
 * equal conditions of several rules made one, each rule anchored on its
 * least shared condition, one Hyperscan block-mode database per field
 * (pattern id = condition), serialized after the rules' records and tables.
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

/* One condition of one rule; sorted, equal ones are one condition. */
struct entry {
	uint8_t field, op;
	const char *value;
	uint32_t rule;
};

/* What goes into the blob besides the records and databases. */
struct plan {
	struct entry *e;
	uint32_t n_e;
	uint32_t *cond_start;      /* per condition: its first entry */
	uint32_t *cond_of;         /* per entry: its condition */
	uint32_t n_conds;
	struct slb_rules_blob_cond *conds;
	uint32_t *anchored, *rule_conds;
	uint32_t n_rule_conds;
};

static void plan_free(struct plan *p)
{
	free(p->e);
	free(p->cond_start);
	free(p->cond_of);
	free(p->conds);
	free(p->anchored);
	free(p->rule_conds);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = x->field != y->field ? x->field - y->field : x->op - y->op;

	if (!c)
		c = strcmp(x->value, y->value);
	return c ? c : x->rule < y->rule ? -1 : x->rule > y->rule;
}

static void add_entry(struct plan *p, unsigned field, const struct slb_rule_cond *c, uint32_t rule)
{
	p->e[p->n_e++] = (struct entry){(uint8_t)field, c->op, c->value, rule};
}

/* Every condition of every rule, sorted, numbered: equal ones one number. */
static int number_conds(const struct slb_rules *r, struct fields *f, struct plan *p)
{
	p->e = calloc((size_t)r->n * SLB_RULE_MAX_FIELDS + 1, sizeof(*p->e));
	if (!p->e)
		return -1;
	for (uint32_t i = 0; i < r->n; i++) {
		for (unsigned k = 0; k < SLB_RULE_F_HEADER; k++)
			if (r->rules[i].cond[k].op)
				add_entry(p, k, &r->rules[i].cond[k], i);
		if (r->rules[i].header[0])
			add_entry(p, (unsigned)header_field(f, r->rules[i].header),
				  &r->rules[i].header_cond, i);
	}
	qsort(p->e, p->n_e, sizeof(*p->e), entry_cmp);
	p->cond_start = calloc(p->n_e + 1, sizeof(*p->cond_start));
	p->cond_of = calloc(p->n_e + 1, sizeof(*p->cond_of));
	if (!p->cond_start || !p->cond_of)
		return -1;
	for (uint32_t j = 0; j < p->n_e; j++) {
		const struct entry *a = &p->e[j], *b = j ? &p->e[j - 1] : NULL;

		if (!b || a->field != b->field || a->op != b->op || strcmp(a->value, b->value))
			p->cond_start[p->n_conds++] = j;
		p->cond_of[j] = p->n_conds - 1;
	}
	p->cond_start[p->n_conds] = p->n_e;
	return 0;
}

static uint32_t shared_by(const struct plan *p, uint32_t cond)
{
	return p->cond_start[cond + 1] - p->cond_start[cond];
}

/* Each rule's anchor (its least shared condition), the rules anchored on
 * each condition in order, and each rule's other conditions. */
static int anchor_rules(uint32_t n_rules, struct slb_rule_rec *recs, struct plan *p)
{
	uint32_t *anchor = malloc(((size_t)n_rules + 1) * sizeof(*anchor));
	uint32_t *fill = calloc((size_t)n_rules + 1, sizeof(*fill));
	uint32_t at = 0;

	p->conds = calloc(p->n_conds + 1, sizeof(*p->conds));
	p->anchored = calloc((size_t)n_rules + 1, sizeof(*p->anchored));
	p->rule_conds = calloc(p->n_e + 1, sizeof(*p->rule_conds));
	if (!anchor || !fill || !p->conds || !p->anchored || !p->rule_conds) {
		free(anchor), free(fill);
		return -1;
	}
	memset(anchor, 0xff, ((size_t)n_rules + 1) * sizeof(*anchor));
	for (uint32_t j = 0; j < p->n_e; j++) {
		uint32_t *a = &anchor[p->e[j].rule], c = p->cond_of[j];

		if (*a == UINT32_MAX || shared_by(p, c) < shared_by(p, *a))
			*a = c;
	}
	for (uint32_t i = 0; i < n_rules; i++)
		if (anchor[i] != UINT32_MAX)
			p->conds[anchor[i]].n++;
	for (uint32_t c = 0; c < p->n_conds; c++) {
		p->conds[c].first = at;
		at += p->conds[c].n;
		p->conds[c].n = 0;
	}
	for (uint32_t i = 0; i < n_rules; i++) {
		if (anchor[i] == UINT32_MAX)
			continue;
		struct slb_rules_blob_cond *c = &p->conds[anchor[i]];

		p->anchored[c->first + c->n++] = i;
		recs[i].others = p->n_rule_conds;
		p->n_rule_conds += recs[i].n_hs - 1u;
	}
	for (uint32_t j = 0; j < p->n_e; j++) {
		uint32_t i = p->e[j].rule;

		if (p->cond_of[j] != anchor[i])
			p->rule_conds[recs[i].others + fill[i]++] = p->cond_of[j];
	}
	free(anchor);
	free(fill);
	return 0;
}

struct patterns {
	const char **expr;
	char **owned;
	unsigned *flags, *ids, n;
};

static void patterns_free(struct patterns *p)
{
	for (unsigned i = 0; p->owned && i < p->n; i++)
		free(p->owned[i]);
	free(p->owned);
	free(p->expr);
	free(p->flags);
	free(p->ids);
}

/* The conditions of field: one pattern each, id = condition. */
static int collect(const struct plan *pl, unsigned field, struct patterns *p)
{
	uint32_t n = pl->n_conds + 1;

	p->expr = calloc(n, sizeof(*p->expr));
	p->owned = calloc(n, sizeof(*p->owned));
	p->flags = calloc(n, sizeof(*p->flags));
	p->ids = calloc(n, sizeof(*p->ids));
	if (!p->expr || !p->owned || !p->flags || !p->ids)
		return -1;
	for (uint32_t c = 0; c < pl->n_conds; c++) {
		const struct entry *e = &pl->e[pl->cond_start[c]];
		struct slb_rule_cond cond = {e->op, (char *)e->value};

		if (e->field != field)
			continue;
		if (slb_rule_pattern(field < SLB_RULE_F_HEADER ? field : SLB_RULE_F_HEADER, &cond,
				     &p->owned[p->n], &p->flags[p->n]))
			return -1;
		p->expr[p->n] = p->owned[p->n];
		p->ids[p->n++] = c;
	}
	return 0;
}

/* Field's database, serialized into c; a field without conditions has none. */
static int compile_field(const struct slb_rules *r, const struct plan *pl, unsigned field,
			 struct compiled *c, char *err, size_t errlen)
{
	struct patterns p = {0};
	hs_compile_error_t *ce = NULL;
	hs_database_t *db = NULL;
	int rc = -1;

	if (collect(pl, field, &p)) {
		snprintf(err, errlen, "out of memory");
	} else if (!p.n) {
		rc = 0;
	} else if (hs_compile_multi(p.expr, p.flags, p.ids, p.n, HS_MODE_BLOCK, NULL, &db,
				    &ce) != HS_SUCCESS) {
		const char *where = ce && ce->expression >= 0 && (unsigned)ce->expression < p.n ?
				    r->rules[pl->e[pl->cond_start[p.ids[ce->expression]]].rule].origin :
				    "rules";
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

/* Appends n bytes of src at *off (8-aligned). */
static void put(uint8_t *b, size_t *off, const void *src, size_t n)
{
	if (n)
		memcpy(b + *off, src, n);
	*off += ALIGN8(n);
}

static size_t blob_size(const struct slb_rules *r, const struct fields *f,
			const struct compiled *c, const struct plan *p, uint32_t n_fields)
{
	size_t len = ALIGN8(sizeof(struct slb_rules_blob)) +
		     ALIGN8(r->n * sizeof(struct slb_rule_rec)) +
		     ALIGN8(n_fields * sizeof(struct slb_rules_blob_field)) +
		     ALIGN8(p->n_conds * sizeof(struct slb_rules_blob_cond)) +
		     ALIGN8(r->n * sizeof(uint32_t)) + ALIGN8(p->n_rule_conds * sizeof(uint32_t));

	for (unsigned k = 0; k < SLB_RULE_MAX_FIELDS; k++)
		if (f->used & (1u << k))
			len += ALIGN8(c->len[k]);
	return len;
}

static void *assemble(const struct slb_rules *r, const struct slb_rule_rec *recs,
		      const struct fields *f, const struct compiled *c, const struct plan *p,
		      size_t *len)
{
	uint32_t n_fields = (uint32_t)__builtin_popcount(f->used);
	size_t size = blob_size(r, f, c, p, n_fields), off = 0;
	uint8_t *b = size <= UINT32_MAX ? calloc(1, size) : NULL;
	struct slb_rules_blob h = {
		.magic = SLB_RULES_BLOB_MAGIC, .version = SLB_RULES_BLOB_VERSION,
		.len = (uint32_t)size, .n_rules = r->n, .n_fields = n_fields,
		.n_conds = p->n_conds, .n_anchored = r->n, .n_rule_conds = p->n_rule_conds,
		.allow_list = r->allow_list};

	if (!b)
		return NULL;
	put(b, &off, &h, sizeof(h));
	put(b, &off, recs, r->n * sizeof(*recs));
	struct slb_rules_blob_field *bf = (struct slb_rules_blob_field *)(b + off);
	off += ALIGN8(n_fields * sizeof(*bf));
	put(b, &off, p->conds, p->n_conds * sizeof(*p->conds));
	put(b, &off, p->anchored, r->n * sizeof(*p->anchored));
	put(b, &off, p->rule_conds, p->n_rule_conds * sizeof(*p->rule_conds));
	for (unsigned k = 0; k < SLB_RULE_MAX_FIELDS; k++) {
		if (!(f->used & (1u << k)))
			continue;
		bf->field = (uint8_t)k;
		if (k >= SLB_RULE_F_HEADER)
			memcpy(bf->header, f->headers[k - SLB_RULE_F_HEADER], SLB_RULE_HEADER_LEN);
		bf->db_off = c->len[k] ? (uint32_t)off : 0;
		bf->db_len = (uint32_t)c->len[k];
		put(b, &off, c->bytes[k], c->len[k]);
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
	struct plan p = {0};
	void *blob = NULL;
	int rc = recs ? 0 : -1;

	if (!rc)
		rc = number_fields(r, recs, &f, err, errlen);
	if (!rc && (number_conds(r, &f, &p) || anchor_rules(r->n, recs, &p)))
		rc = -1, snprintf(err, errlen, "out of memory");
	for (unsigned k = 0; !rc && k < SLB_RULE_MAX_FIELDS; k++)
		if (f.used & (1u << k))
			rc = compile_field(r, &p, k, &c, err, errlen);
	if (!rc && !(blob = assemble(r, recs, &f, &c, &p, len)))
		snprintf(err, errlen, "out of memory");
	if (!recs)
		snprintf(err, errlen, "out of memory");
	for (unsigned k = 0; k < SLB_RULE_MAX_FIELDS; k++)
		free(c.bytes[k]);
	plan_free(&p);
	free(recs);
	return blob;
}
