/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules' reader side (include/siplb/rules.h): a blob's databases
 * deserialized once, a scratch per worker, and per message one Hyperscan
 * scan per field the rules use, over the field's bytes in place.
 *
 * A rule matches when all its Hyperscan conditions fired and its source
 * prefix and port fit. A fired condition is stamped with the scan's number
 * in the scratch (nothing is cleared per message); after the scans, the
 * rules anchored on each fired condition (rules.h) are candidates when
 * their other conditions carry the stamp too.
 *
 * The method field is scanned on load, not per message: for each standard
 * method (a request's method token is exactly its name, RFC 3261 §7.1 being
 * case-sensitive) the conditions it fires are kept; only an extension
 * method is scanned per message.
 *
 * The plain rules (no Hyperscan condition: a source prefix, a source port
 * or nothing) are indexed on load: one open-addressed hash table per family
 * and prefix length present, keyed by the prefix, so a message costs a
 * probe per prefix length, not a walk over every plain rule.
 */
#include <arpa/inet.h>
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

/* The plain rules of one prefix: plain_rules[first..first + n), ascending. */
struct plain_slot {
	uint32_t key[4];           /* the prefix, host bits zero; n 0: empty */
	uint32_t first, n;
};

/* The plain rules of one family and prefix length. */
struct plain_table {
	uint8_t family, len;
	uint32_t mask[4];          /* network byte order */
	uint32_t slot_mask;        /* slots - 1: a power of two, twice the rules or more */
	struct plain_slot *slots;  /* into the db's plain_slots */
};

struct slb_rules_db {
	uint32_t n_rules, n_fields, n_headers;
	bool allow_list;
	uint32_t need;             /* fields to locate, 1u << field */
	uint32_t n_conds;
	struct slb_rule_rec *recs;
	struct slb_rules_blob_cond *conds;
	uint32_t *anchored, *rule_conds; /* as in the blob */
	uint32_t *plain_any;       /* plain rules without a source, ascending */
	uint32_t n_plain_any;
	uint32_t *plain_rules;     /* plain rules with a source, by slot */
	struct plain_slot *plain_slots;
	struct plain_table *plain_tables; /* one per family and prefix length present */
	uint32_t n_plain_tables;
	struct db_field fields[SLB_RULE_MAX_FIELDS];
	/* The method conditions standard method m fires (CANCEL and ACK with
	 * INVITE's, slb_rules_as_invite): method_conds[method_first[m] ..
	 * method_first[m + 1]). */
	uint32_t method_first[SLB_SIP_METHOD_COUNT + 1];
	uint32_t *method_conds;
	char headers[SLB_RULE_MAX_HEADERS][SLB_RULE_HEADER_LEN];
};

struct slb_rules_scratch {
	hs_scratch_t *hs;
	uint32_t cap_conds, cap_rules; /* what the arrays hold */
	uint32_t scan;             /* this scan's stamp, never 0 */
	uint32_t *stamp;           /* per condition: the scan it fired in */
	uint32_t *fired;           /* the conditions fired in this scan */
	uint32_t n_fired;
	uint32_t *cands;           /* rules whose conditions all fired */
	uint32_t n_cands;
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
	if (h->len != len || h->n_rules > SLB_RULES_MAX || h->n_fields > SLB_RULE_MAX_FIELDS ||
	    h->n_conds > SLB_RULES_MAX * SLB_RULE_MAX_FIELDS || h->n_anchored != h->n_rules ||
	    h->n_rule_conds > h->n_rules * SLB_RULE_MAX_FIELDS)
		return "inconsistent header";
	need = ALIGN8(sizeof(*h)) + ALIGN8(h->n_rules * sizeof(struct slb_rule_rec)) +
	       ALIGN8(h->n_fields * sizeof(struct slb_rules_blob_field)) +
	       ALIGN8(h->n_conds * sizeof(struct slb_rules_blob_cond)) +
	       ALIGN8(h->n_anchored * sizeof(uint32_t)) + ALIGN8(h->n_rule_conds * sizeof(uint32_t));
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

/* A copy of n elements of size at *off (then past them). */
static void *take(const uint8_t *b, size_t *off, size_t n, size_t size)
{
	void *p = malloc(n ? n * size : 1);

	if (p && n)
		memcpy(p, b + *off, n * size);
	*off += ALIGN8(n * size);
	return p;
}

/* Every index inside its table, so that matching needs no checks. */
static const char *check_tables(const struct slb_rules_db *db, const struct slb_rules_blob *h)
{
	for (uint32_t i = 0; i < db->n_rules; i++) {
		const struct slb_rule_rec *r = &db->recs[i];

		if (r->hash_field >= SLB_RULE_MAX_FIELDS || r->n_hs > SLB_RULE_MAX_FIELDS ||
		    (r->n_hs && (r->others > h->n_rule_conds ||
				 r->n_hs - 1u > h->n_rule_conds - r->others)) ||
		    (r->src.family && r->src.family != AF_INET && r->src.family != AF_INET6) ||
		    r->src_len > (r->src.family == AF_INET ? 32 : 128))
			return "bad rule record";
	}
	for (uint32_t c = 0; c < db->n_conds; c++)
		if (db->conds[c].first > h->n_anchored ||
		    db->conds[c].n > h->n_anchored - db->conds[c].first)
			return "bad condition";
	for (uint32_t k = 0; k < h->n_anchored; k++)
		if (db->anchored[k] >= db->n_rules)
			return "bad anchored rule";
	for (uint32_t k = 0; k < h->n_rule_conds; k++)
		if (db->rule_conds[k] >= db->n_conds)
			return "bad rule condition";
	return NULL;
}

/* ---- the plain rules' index ---- */

static void prefix_mask(unsigned len, uint32_t mask[4])
{
	for (unsigned w = 0; w < 4; w++) {
		unsigned bits = len > 32 * w ? len - 32 * w : 0;

		bits = bits > 32 ? 32 : bits;
		mask[w] = bits ? htonl(bits == 32 ? UINT32_MAX : ~(UINT32_MAX >> bits)) : 0;
	}
}

static void masked(const struct slb_addr *a, const uint32_t mask[4], uint32_t key[4])
{
	memcpy(key, a->v6, 4 * sizeof(*key));
	for (unsigned w = 0; w < 4; w++)
		key[w] &= mask[w];
}

static uint32_t key_hash(const uint32_t key[4])
{
	uint64_t h = 0;

	for (unsigned w = 0; w < 4; w++)
		h = (h ^ key[w]) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

/* key's slot in t, or the empty one where it would go (there is always one:
 * at most half the slots are taken). */
static struct plain_slot *slot_of(const struct plain_table *t, const uint32_t key[4])
{
	for (uint32_t h = key_hash(key);; h++) {
		struct plain_slot *sl = &t->slots[h & t->slot_mask];

		if (!sl->n || !memcmp(sl->key, key, sizeof(sl->key)))
			return sl;
	}
}

/* Table number of each family and prefix length present (tab[][] = 1 + it). */
static uint32_t plain_tables(const struct slb_rules_db *db, uint16_t tab[2][129],
			     uint32_t count[2][129])
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < db->n_rules; i++) {
		const struct slb_rule_rec *r = &db->recs[i];

		if (!r->n_hs && r->src.family)
			count[r->src.family == AF_INET6][r->src_len]++;
	}
	for (unsigned f = 0; f < 2; f++)
		for (unsigned len = 0; len <= 128; len++)
			tab[f][len] = count[f][len] ? (uint16_t)++n : 0;
	return n;
}

/* The tables' slots, sized for their rules, all in one array. */
static const char *plain_slots(struct slb_rules_db *db, const uint16_t tab[2][129],
			       const uint32_t count[2][129])
{
	size_t n_slots = 0;

	for (unsigned f = 0; f < 2; f++)
		for (unsigned len = 0; len <= 128; len++) {
			struct plain_table *t = &db->plain_tables[tab[f][len] - 1u];
			uint32_t cap = 4;

			if (!tab[f][len])
				continue;
			while (cap < 2 * count[f][len])
				cap *= 2;
			t->family = f ? AF_INET6 : AF_INET;
			t->len = (uint8_t)len;
			prefix_mask(len, t->mask);
			t->slot_mask = cap - 1;
			t->slots = (struct plain_slot *)n_slots; /* an offset until allocated */
			n_slots += cap;
		}
	db->plain_slots = calloc(n_slots ? n_slots : 1, sizeof(*db->plain_slots));
	if (!db->plain_slots)
		return "out of memory";
	for (uint32_t k = 0; k < db->n_plain_tables; k++)
		db->plain_tables[k].slots = db->plain_slots + (size_t)db->plain_tables[k].slots;
	return NULL;
}

/* Each plain rule with a source in its prefix's slot: counted, each slot
 * given the end of its run in plain_rules, then placed from the last rule
 * down, so that each slot lists its rules ascending. */
static void plain_fill(struct slb_rules_db *db, const uint16_t tab[2][129])
{
	uint32_t key[4], end = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t k = db->n_rules; k-- > 0;) {
			const struct slb_rule_rec *r = &db->recs[k];
			const struct plain_table *t;
			struct plain_slot *sl;

			if (r->n_hs || !r->src.family)
				continue;
			t = &db->plain_tables[tab[r->src.family == AF_INET6][r->src_len] - 1u];
			masked(&r->src, t->mask, key);
			sl = slot_of(t, key);
			memcpy(sl->key, key, sizeof(key));
			if (!pass)
				sl->n++;
			else
				db->plain_rules[--sl->first] = k;
		}
		for (uint32_t t = 0; !pass && t < db->n_plain_tables; t++) {
			struct plain_slot *sl = db->plain_tables[t].slots;

			for (uint32_t k = 0; k <= db->plain_tables[t].slot_mask; k++)
				sl[k].first = end += sl[k].n;
		}
	}
}

static const char *index_plain(struct slb_rules_db *db)
{
	uint32_t count[2][129] = {{0}};
	uint16_t tab[2][129];
	const char *why;

	db->n_plain_tables = plain_tables(db, tab, count);
	db->plain_tables = calloc(db->n_plain_tables + 1u, sizeof(*db->plain_tables));
	db->plain_any = malloc((db->n_rules ? db->n_rules : 1) * sizeof(*db->plain_any));
	db->plain_rules = malloc((db->n_rules ? db->n_rules : 1) * sizeof(*db->plain_rules));
	if (!db->plain_tables || !db->plain_any || !db->plain_rules)
		return "out of memory";
	for (uint32_t i = 0; i < db->n_rules; i++)
		if (!db->recs[i].n_hs && !db->recs[i].src.family)
			db->plain_any[db->n_plain_any++] = i;
	if ((why = plain_slots(db, tab, count)))
		return why;
	plain_fill(db, tab);
	return NULL;
}

/* The conditions the scans of one method fire, appended to out once each
 * (out[first..n) is this method's). */
struct method_scan {
	uint32_t *out, first, n, cap;
	bool oom;
};

static int on_method_match(unsigned id, unsigned long long from, unsigned long long to,
			   unsigned flags, void *ctx)
{
	struct method_scan *ms = ctx;

	(void)from, (void)to, (void)flags;
	for (uint32_t k = ms->first; k < ms->n; k++)
		if (ms->out[k] == id)
			return 0;
	if (ms->n == ms->cap) {
		uint32_t cap = ms->cap ? 2 * ms->cap : 64, *o = realloc(ms->out, cap * sizeof(*o));

		if (!o) {
			ms->oom = true;
			return 1;
		}
		ms->out = o, ms->cap = cap;
	}
	ms->out[ms->n++] = id;
	return 0;
}

static const hs_database_t *method_db(const struct slb_rules_db *db)
{
	for (uint32_t k = 0; k < db->n_fields; k++)
		if (db->fields[k].field == SLB_RULE_F_METHOD)
			return db->fields[k].db;
	return NULL;
}

/* db->method_conds: every standard method's name scanned once, here. */
static const char *method_table(struct slb_rules_db *db)
{
	const hs_database_t *hdb = method_db(db);
	struct method_scan ms = {0};
	hs_scratch_t *hs = NULL;
	const char *why = NULL;

	if (hdb && hs_alloc_scratch(hdb, &hs) != HS_SUCCESS)
		return "Hyperscan cannot allocate a scratch";
	for (int m = 0; m < SLB_SIP_METHOD_COUNT && !why; m++) {
		const char *name = slb_sip_method_name((enum slb_sip_method)m);
		struct slb_sip_msg as = {.method = (enum slb_sip_method)m};

		db->method_first[m] = ms.first = ms.n;
		if (!hdb || m == SLB_SIP_METHOD_OTHER)
			continue;
		if (hs_scan(hdb, name, (unsigned)strlen(name), 0, hs, on_method_match, &ms) !=
			    HS_SUCCESS ||
		    (slb_rules_as_invite(&as) &&
		     hs_scan(hdb, "INVITE", 6, 0, hs, on_method_match, &ms) != HS_SUCCESS))
			why = ms.oom ? "out of memory" : "Hyperscan cannot scan a method";
	}
	db->method_first[SLB_SIP_METHOD_COUNT] = ms.n;
	hs_free_scratch(hs);
	db->method_conds = ms.out;
	return why;
}

static const char *load_rules(struct slb_rules_db *db, const struct slb_rules_blob *h,
			      size_t *off, size_t *fields_off)
{
	const uint8_t *b = (const uint8_t *)h;

	db->recs = take(b, off, h->n_rules, sizeof(*db->recs));
	*fields_off = *off;
	*off += ALIGN8(h->n_fields * sizeof(struct slb_rules_blob_field));
	db->conds = take(b, off, h->n_conds, sizeof(*db->conds));
	db->anchored = take(b, off, h->n_anchored, sizeof(*db->anchored));
	db->rule_conds = take(b, off, h->n_rule_conds, sizeof(*db->rule_conds));
	if (!db->recs || !db->conds || !db->anchored || !db->rule_conds)
		return "out of memory";
	const char *why = check_tables(db, h);
	return why ? why : index_plain(db);
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
	db->n_conds = h->n_conds;
	db->allow_list = h->allow_list;
	size_t off = ALIGN8(sizeof(*h)), fields_off;
	why = load_rules(db, h, &off, &fields_off);
	const struct slb_rules_blob_field *bf = (const struct slb_rules_blob_field *)(b + fields_off);
	for (uint32_t k = 0; !why && k < h->n_fields; k++)
		why = load_field(db, b, len, &bf[k]);
	if (!why)
		why = method_table(db);
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
	free(db->conds);
	free(db->anchored);
	free(db->rule_conds);
	free(db->plain_any);
	free(db->plain_rules);
	free(db->plain_slots);
	free(db->plain_tables);
	free(db->method_conds);
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
	free(s->fired);
	free(s->cands);
	free(s);
}

/* s's arrays for db (stamps restart: no condition fired). */
static int scratch_arrays(struct slb_rules_scratch *s, const struct slb_rules_db *db)
{
	uint32_t nc = db->n_conds > s->cap_conds ? db->n_conds : s->cap_conds;
	uint32_t nr = db->n_rules > s->cap_rules ? db->n_rules : s->cap_rules;
	uint32_t *stamp = calloc(nc ? nc : 1, sizeof(*stamp));
	uint32_t *fired = calloc(nc ? nc : 1, sizeof(*fired));
	uint32_t *cands = calloc(nr ? nr : 1, sizeof(*cands));

	if (!stamp || !fired || !cands) {
		free(stamp), free(fired), free(cands);
		return -1;
	}
	free(s->stamp), free(s->fired), free(s->cands);
	s->stamp = stamp, s->fired = fired, s->cands = cands;
	s->cap_conds = nc;
	s->cap_rules = nr;
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
	if ((s->cap_conds < db->n_conds || s->cap_rules < db->n_rules || !s->stamp) &&
	    scratch_arrays(s, db))
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
		s->fired[s->n_fired++] = id;
	}
	return 0;
}

/* What a scan of standard method m would fire (db->method_conds). */
static void method_fired(const struct slb_rules_db *db, struct slb_rules_scratch *s,
			 enum slb_sip_method m)
{
	for (uint32_t k = db->method_first[m]; k < db->method_first[m + 1]; k++)
		on_match(db->method_conds[k], 0, 0, 0, s);
}

static void next_stamp(struct slb_rules_scratch *s)
{
	if (++s->scan)
		return;
	memset(s->stamp, 0, s->cap_conds * sizeof(*s->stamp));
	s->scan = 1;
}

/* Rule i's conditions besides its anchor all fired. */
static bool others_fired(const struct slb_rules_db *db, const struct slb_rules_scratch *s,
			 uint32_t i)
{
	const uint32_t *c = &db->rule_conds[db->recs[i].others];

	for (uint32_t k = 0; k + 1u < db->recs[i].n_hs; k++)
		if (s->stamp[c[k]] != s->scan)
			return false;
	return true;
}

static void candidates(const struct slb_rules_db *db, struct slb_rules_scratch *s)
{
	for (uint32_t f = 0; f < s->n_fired; f++) {
		const struct slb_rules_blob_cond *c = &db->conds[s->fired[f]];

		for (uint32_t k = c->first; k < c->first + c->n; k++)
			if (others_fired(db, s, db->anchored[k]))
				s->cands[s->n_cands++] = db->anchored[k];
	}
}

int slb_rules_scan(const struct slb_rules_db *db, struct slb_rules_scratch *s,
		   const uint8_t *buf, const struct slb_sip_msg *msg,
		   const struct slb_addr *src)
{
	next_stamp(s);
	s->n_fired = s->n_cands = 0;
	s->src = *src;
	slb_rules_fields_locate(buf, msg, db->need, (const char (*)[SLB_RULE_HEADER_LEN])db->headers,
				db->n_headers, &s->fields);
	for (uint32_t k = 0; k < db->n_fields; k++) {
		const struct db_field *f = &db->fields[k];
		struct slb_span v = s->fields.f[f->field];

		if (f->field == SLB_RULE_F_METHOD && msg->method != SLB_SIP_METHOD_OTHER) {
			method_fired(db, s, msg->method);
			continue;
		}
		if (f->db && v.len &&
		    hs_scan(f->db, (const char *)buf + v.off, v.len, 0, s->hs, on_match, s) !=
		    HS_SUCCESS)
			return -1;
	}
	candidates(db, s);
	return 0;
}

/* 32 bits at a time, with the index's masks: one way to mask a prefix. */
bool slb_rule_source_matches(const struct slb_rule_rec *rec, const struct slb_addr *src)
{
	uint32_t mask[4], a[4], b[4];

	if (!rec->src.family)
		return true;
	if (src->family != rec->src.family)
		return false;
	prefix_mask(rec->src_len, mask);
	masked(src, mask, a);
	masked(&rec->src, mask, b);
	return !memcmp(a, b, sizeof(a));
}

static bool fits(const struct slb_rule_rec *rec, const struct slb_addr *src)
{
	return (!rec->src_port || rec->src_port == src->port) && slb_rule_source_matches(rec, src);
}

/* The first of the ascending rules[0..n) at or past from, below best, whose
 * port fits (their source does); best if none. */
static uint32_t plain_first(const struct slb_rules_db *db, const uint32_t *rules, uint32_t n,
			    uint32_t from, uint32_t best, uint16_t port)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (rules[mid] < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && rules[lo] < best; lo++)
		if (!db->recs[rules[lo]].src_port || db->recs[rules[lo]].src_port == port)
			return rules[lo];
	return best;
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
	best = plain_first(db, db->plain_any, db->n_plain_any, from, best, s->src.port);
	for (uint32_t t = 0; t < db->n_plain_tables; t++) {
		const struct plain_table *tb = &db->plain_tables[t];
		const struct plain_slot *sl;
		uint32_t key[4];

		if (tb->family != s->src.family)
			continue;
		masked(&s->src, tb->mask, key);
		sl = slot_of(tb, key);
		if (sl->n)
			best = plain_first(db, db->plain_rules + sl->first, sl->n, from, best,
					   s->src.port);
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
