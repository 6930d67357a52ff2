/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules' reader side (include/siplb/rules.h): a blob's databases
 * deserialized once, a scratch per worker, and per message one Hyperscan
 * scan per field the rules use, over the field's bytes in place.
 *
 * A rule matches when all its Hyperscan conditions fired and its source
 * prefix and port fit. Conditions are counted per rule in the scratch,
 * stamped with the scan's number, so nothing is cleared per message; every
 * pattern is single-match and a rule has one pattern per field, so a rule
 * reaches its count once per scan and is then a candidate.
 */
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/rules.h"

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

struct db_field {
	uint8_t field;
	hs_database_t *db;         /* NULL: located for a hash key only */
};

struct slb_rules_db {
	uint32_t n_rules, n_fields, n_headers;
	bool allow_list;
	uint32_t need;             /* fields to locate, 1u << field */
	struct slb_rule_rec *recs;
	uint32_t *plain;           /* rules without Hyperscan conditions, in order */
	uint32_t n_plain;
	struct db_field fields[SLB_RULE_MAX_FIELDS];
	char headers[SLB_RULE_MAX_HEADERS][SLB_RULE_HEADER_LEN];
};

struct slb_rules_scratch {
	hs_scratch_t *hs;
	uint32_t cap;              /* rules the arrays hold */
	uint32_t scan;             /* this scan's stamp, never 0 */
	uint32_t *stamp;
	uint8_t *hits;
	uint32_t *cands;
	uint32_t n_cands;
	const struct slb_rule_rec *recs;
	struct slb_addr src;
	struct slb_rules_fields fields;
};

static void *fail(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "rules blob: %s", why);
	return NULL;
}

/* The blob's parts lie inside it; the counts are within the limits. */
static const char *blob_check(const struct slb_rules_blob *h, size_t len)
{
	size_t need;

	if (len < sizeof(*h) || h->magic != SLB_RULES_BLOB_MAGIC)
		return "not a rules blob";
	if (h->version != SLB_RULES_BLOB_VERSION)
		return "another version";
	if (h->len != len || h->n_rules > SLB_RULES_MAX || h->n_fields > SLB_RULE_MAX_FIELDS)
		return "inconsistent header";
	need = ALIGN8(sizeof(*h)) + ALIGN8(h->n_rules * sizeof(struct slb_rule_rec)) +
	       ALIGN8(h->n_fields * sizeof(struct slb_rules_blob_field));
	return need > len ? "truncated" : NULL;
}

static const char *load_field(struct slb_rules_db *db, const uint8_t *b, size_t len,
			      const struct slb_rules_blob_field *bf)
{
	struct db_field *f = &db->fields[db->n_fields];

	if (bf->field >= SLB_RULE_MAX_FIELDS || (db->need & (1u << bf->field)))
		return "bad field";
	if (bf->db_len && (bf->db_off > len || bf->db_len > len - bf->db_off))
		return "database outside the blob";
	f->field = bf->field;
	if (bf->field >= SLB_RULE_F_HEADER) {
		uint32_t k = bf->field - SLB_RULE_F_HEADER;

		memcpy(db->headers[k], bf->header, SLB_RULE_HEADER_LEN);
		db->headers[k][SLB_RULE_HEADER_LEN - 1] = 0;
		db->n_headers = k + 1 > db->n_headers ? k + 1 : db->n_headers;
	}
	if (bf->db_len &&
	    hs_deserialize_database((const char *)b + bf->db_off, bf->db_len, &f->db) != HS_SUCCESS)
		return "Hyperscan cannot deserialize a database";
	db->need |= 1u << bf->field;
	db->n_fields++;
	return NULL;
}

static const char *load_rules(struct slb_rules_db *db, const struct slb_rule_rec *recs)
{
	db->recs = malloc((db->n_rules ? db->n_rules : 1) * sizeof(*recs));
	db->plain = malloc((db->n_rules ? db->n_rules : 1) * sizeof(*db->plain));
	if (!db->recs || !db->plain)
		return "out of memory";
	memcpy(db->recs, recs, db->n_rules * sizeof(*recs));
	for (uint32_t i = 0; i < db->n_rules; i++) {
		if (db->recs[i].hash_field >= SLB_RULE_MAX_FIELDS ||
		    db->recs[i].n_hs > SLB_RULE_MAX_FIELDS)
			return "bad rule record";
		if (!db->recs[i].n_hs)
			db->plain[db->n_plain++] = i;
	}
	return NULL;
}

struct slb_rules_db *slb_rules_db_load(const void *blob, size_t len, char *err, size_t errlen)
{
	const struct slb_rules_blob *h = blob;
	const uint8_t *b = blob;
	const char *why = blob_check(h, len);
	struct slb_rules_db *db;

	if (why)
		return fail(err, errlen, why);
	db = calloc(1, sizeof(*db));
	if (!db)
		return fail(err, errlen, "out of memory");
	db->n_rules = h->n_rules;
	db->allow_list = h->allow_list;
	size_t off = ALIGN8(sizeof(*h));
	why = load_rules(db, (const struct slb_rule_rec *)(b + off));
	off += ALIGN8(h->n_rules * sizeof(struct slb_rule_rec));
	const struct slb_rules_blob_field *bf = (const struct slb_rules_blob_field *)(b + off);
	for (uint32_t k = 0; !why && k < h->n_fields; k++)
		why = load_field(db, b, len, &bf[k]);
	if (!why)
		return db;
	slb_rules_db_free(db);
	return fail(err, errlen, why);
}

void slb_rules_db_free(struct slb_rules_db *db)
{
	if (!db)
		return;
	for (uint32_t k = 0; k < db->n_fields; k++)
		hs_free_database(db->fields[k].db);
	free(db->recs);
	free(db->plain);
	free(db);
}

uint32_t slb_rules_db_count(const struct slb_rules_db *db)
{
	return db->n_rules;
}

bool slb_rules_db_allow_list(const struct slb_rules_db *db)
{
	return db->allow_list;
}

const struct slb_rule_rec *slb_rules_db_rule(const struct slb_rules_db *db, uint32_t i)
{
	return &db->recs[i];
}

/* ---- scratch ---- */

void slb_rules_scratch_free(struct slb_rules_scratch *s)
{
	if (!s)
		return;
	hs_free_scratch(s->hs);
	free(s->stamp);
	free(s->hits);
	free(s->cands);
	free(s);
}

/* s's arrays for n rules (stamps restart: every rule unseen). */
static int scratch_arrays(struct slb_rules_scratch *s, uint32_t n)
{
	uint32_t *stamp = calloc(n ? n : 1, sizeof(*stamp));
	uint8_t *hits = calloc(n ? n : 1, sizeof(*hits));
	uint32_t *cands = calloc(n ? n : 1, sizeof(*cands));

	if (!stamp || !hits || !cands) {
		free(stamp), free(hits), free(cands);
		return -1;
	}
	free(s->stamp), free(s->hits), free(s->cands);
	s->stamp = stamp, s->hits = hits, s->cands = cands;
	s->cap = n;
	s->scan = 0;
	return 0;
}

int slb_rules_scratch_update(struct slb_rules_scratch **sp, const struct slb_rules_db *db)
{
	struct slb_rules_scratch *s = *sp;
	hs_scratch_t *hs = s ? s->hs : NULL;

	for (uint32_t k = 0; k < db->n_fields; k++)
		if (db->fields[k].db && hs_alloc_scratch(db->fields[k].db, &hs) != HS_SUCCESS)
			goto fail;
	if (!s && !(s = calloc(1, sizeof(*s))))
		goto fail;
	s->hs = hs;
	if (s->cap < db->n_rules && scratch_arrays(s, db->n_rules))
		goto fail_s;
	*sp = s;
	return 0;
fail_s:
	if (!*sp)
		slb_rules_scratch_free(s);
	return -1;
fail:
	/* hs_alloc_scratch leaves hs valid (or NULL) on failure */
	if (!s)
		hs_free_scratch(hs);
	else
		s->hs = hs;
	return -1;
}

struct slb_rules_scratch *slb_rules_scratch_create(const struct slb_rules_db *db)
{
	struct slb_rules_scratch *s = NULL;

	return slb_rules_scratch_update(&s, db) ? NULL : s;
}

/* ---- matching ---- */

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctx)
{
	struct slb_rules_scratch *s = ctx;

	(void)from, (void)to, (void)flags;
	if (s->stamp[id] != s->scan) {
		s->stamp[id] = s->scan;
		s->hits[id] = 0;
	}
	if (++s->hits[id] == s->recs[id].n_hs)
		s->cands[s->n_cands++] = id;
	return 0;
}

static void next_stamp(struct slb_rules_scratch *s)
{
	if (++s->scan)
		return;
	memset(s->stamp, 0, s->cap * sizeof(*s->stamp));
	s->scan = 1;
}

int slb_rules_scan(const struct slb_rules_db *db, struct slb_rules_scratch *s,
		   const uint8_t *buf, const struct slb_sip_msg *msg,
		   const struct slb_addr *src)
{
	next_stamp(s);
	s->n_cands = 0;
	s->recs = db->recs;
	s->src = *src;
	slb_rules_fields_locate(buf, msg, db->need, (const char (*)[SLB_RULE_HEADER_LEN])db->headers,
				db->n_headers, &s->fields);
	for (uint32_t k = 0; k < db->n_fields; k++) {
		const struct db_field *f = &db->fields[k];
		struct slb_span v = s->fields.f[f->field];

		if (f->db && v.len &&
		    hs_scan(f->db, (const char *)buf + v.off, v.len, 0, s->hs, on_match, s) !=
		    HS_SUCCESS)
			return -1;
	}
	return 0;
}

bool slb_rule_source_matches(const struct slb_rule_rec *rec, const struct slb_addr *src)
{
	unsigned full = rec->src_len / 8, rest = rec->src_len % 8;

	if (!rec->src.family)
		return true;
	if (src->family != rec->src.family || memcmp(src->v6, rec->src.v6, full))
		return false;
	return !rest || !((src->v6[full] ^ rec->src.v6[full]) & (0xff00u >> rest));
}

static bool fits(const struct slb_rule_rec *rec, const struct slb_addr *src)
{
	return (!rec->src_port || rec->src_port == src->port) && slb_rule_source_matches(rec, src);
}

int32_t slb_rules_next(const struct slb_rules_db *db, struct slb_rules_scratch *s,
		       uint32_t from)
{
	uint32_t best = UINT32_MAX;

	for (uint32_t k = 0; k < s->n_cands; k++) {
		uint32_t i = s->cands[k];

		if (i >= from && i < best && fits(&db->recs[i], &s->src))
			best = i;
	}
	for (uint32_t k = 0; k < db->n_plain && db->plain[k] < best; k++) {
		uint32_t i = db->plain[k];

		if (i >= from && fits(&db->recs[i], &s->src)) {
			best = i;
			break;
		}
	}
	return best == UINT32_MAX ? -1 : (int32_t)best;
}

struct slb_span slb_rules_hash_key(const struct slb_rules_db *db,
				   const struct slb_rules_scratch *s, const struct slb_sip_msg *msg,
				   uint32_t i)
{
	const struct slb_rule_rec *rec = &db->recs[i];

	if (rec->hash == SLB_RULE_HASH_CALL_ID || !s->fields.f[rec->hash_field].len)
		return msg->call_id;
	return s->fields.f[rec->hash_field];
}
