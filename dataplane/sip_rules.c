/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing rules in siplb-dp (sip_rules.h, docs/rules.md): the databases
 * shared by the workers, each worker's scratch, counters and rate state,
 * and the verdict on one request.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_rules.h"

#define NS_PER_SEC 1000000000ull

/* One VIP's database in one generation it changed in, shared by workers. */
struct loaded {
	uint32_t vip;
	uint64_t changed;
	uint32_t refs;             /* workers using it */
	struct slb_rules_db *db;
	struct loaded *next;
};

struct slb_rules_cache {
	pthread_mutex_t lock;      /* taken only when a worker changes generation */
	struct loaded *list;
};

/* A worker's view of one VIP's rules. */
struct vip_rules {
	struct loaded *l;          /* NULL: no rules (or a blob that did not load) */
	uint64_t changed;
	uint32_t counter_base, n_rules;
	uint64_t *hits;            /* this lcore's counters of its rules */
	uint64_t *tat;             /* per rule: rate state (per rule rates) */
};

/* Per-source rate state: a source of one rule of one VIP. */
struct src_entry {
	uint32_t saddr;            /* network order */
	uint16_t vip;
	uint16_t used;             /* 0: free */
	uint32_t rule;
	uint64_t tat;              /* GCRA: theoretical arrival time, ns */
};

struct slb_rules_worker {
	struct slb_rules_cache *cache;
	uint64_t generation;       /* the one taken; UINT64_MAX: none yet */
	uint64_t now_ns;
	uint64_t *counters;
	uint32_t n_counters;
	struct slb_rules_scratch *scratch;
	struct vip_rules vips[SLB_MAX_VIPS];
	struct src_entry src[SLB_RULES_SRC_SETS][SLB_RULES_SRC_WAYS];
};

/* ---- the databases, shared ------------------------------------------------ */

struct slb_rules_cache *slb_rules_cache_create(void)
{
	struct slb_rules_cache *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->lock, NULL)) {
		free(c);
		return NULL;
	}
	return c;
}

void slb_rules_cache_free(struct slb_rules_cache *c)
{
	if (!c)
		return;
	while (c->list) {
		struct loaded *l = c->list;

		c->list = l->next;
		slb_rules_db_free(l->db);
		free(l);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* VIP vip's database of generation `changed`, loaded from blob unless a
 * worker did already; with a reference. NULL with the reason. */
static struct loaded *acquire(struct slb_rules_cache *c, uint32_t vip, uint64_t changed,
			      const uint8_t *blob, size_t len, char *err, size_t errlen)
{
	struct loaded *l;

	pthread_mutex_lock(&c->lock);
	for (l = c->list; l && (l->vip != vip || l->changed != changed); l = l->next)
		;
	if (!l && (l = calloc(1, sizeof(*l)))) {
		*l = (struct loaded){.vip = vip, .changed = changed, .next = c->list};
		l->db = slb_rules_db_load(blob, len, err, errlen);
		if (l->db) {
			c->list = l;
		} else {
			free(l);
			l = NULL;
		}
	} else if (!l) {
		snprintf(err, errlen, "out of memory");
	}
	if (l)
		l->refs++;
	pthread_mutex_unlock(&c->lock);
	return l;
}

static void release(struct slb_rules_cache *c, struct loaded *l)
{
	struct loaded **p;

	pthread_mutex_lock(&c->lock);
	if (--l->refs == 0) {
		for (p = &c->list; *p != l; p = &(*p)->next)
			;
		*p = l->next;
		slb_rules_db_free(l->db);
		free(l);
	}
	pthread_mutex_unlock(&c->lock);
}

/* ---- a worker --------------------------------------------------------------- */

struct slb_rules_worker *slb_rules_worker_create(struct slb_rules_cache *c, uint64_t *counters,
						 uint32_t n_counters)
{
	struct slb_rules_worker *w = calloc(1, sizeof(*w));

	if (w)
		*w = (struct slb_rules_worker){.cache = c, .generation = UINT64_MAX,
					       .counters = counters, .n_counters = n_counters};
	return w;
}

static void vip_clear(struct slb_rules_worker *w, struct vip_rules *vr)
{
	if (vr->l)
		release(w->cache, vr->l);
	free(vr->tat);
	*vr = (struct vip_rules){0};
}

void slb_rules_worker_free(struct slb_rules_worker *w)
{
	if (!w)
		return;
	for (unsigned v = 0; v < SLB_MAX_VIPS; v++)
		vip_clear(w, &w->vips[v]);
	slb_rules_scratch_free(w->scratch);
	free(w);
}

/* A VIP's rules changed: its sources' rate state goes with them. */
static void forget_sources(struct slb_rules_worker *w, unsigned vip)
{
	for (unsigned s = 0; s < SLB_RULES_SRC_SETS; s++)
		for (unsigned k = 0; k < SLB_RULES_SRC_WAYS; k++)
			if (w->src[s][k].used && w->src[s][k].vip == vip)
				w->src[s][k].used = 0;
}

/* Takes VIP v's rules of state s: 0, or -1 with the reason (no rules then). */
static int vip_take(struct slb_rules_worker *w, unsigned v, const struct slb_vip_rules *sr,
		    const uint8_t *slot, uint32_t slot_len, char *err, size_t errlen)
{
	struct vip_rules *vr = &w->vips[v];

	vip_clear(w, vr);
	forget_sources(w, v);
	if (!sr->blob_len)
		return 0;
	if ((uint64_t)sr->blob_off + sr->blob_len > slot_len ||
	    (uint64_t)sr->counter_base + sr->n_rules > w->n_counters) {
		snprintf(err, errlen, "vip %u: rules past the rules maps (another siplbd?)", v);
		return -1;
	}
	vr->l = acquire(w->cache, v, sr->changed, slot + sr->blob_off, sr->blob_len, err, errlen);
	vr->tat = calloc(sr->n_rules, sizeof(*vr->tat));
	if (!vr->l || !vr->tat || slb_rules_db_count(vr->l->db) != sr->n_rules ||
	    slb_rules_scratch_update(&w->scratch, vr->l->db)) {
		if (vr->l && vr->tat)
			snprintf(err, errlen, "vip %u: no scratch for its rules", v);
		vip_clear(w, vr);
		return -1;
	}
	vr->changed = sr->changed;
	vr->counter_base = sr->counter_base;
	vr->n_rules = sr->n_rules;
	vr->hits = w->counters + sr->counter_base;
	memset(vr->hits, 0, sr->n_rules * sizeof(*vr->hits)); /* a reset: new rules */
	return 0;
}

int slb_rules_worker_sync(struct slb_rules_worker *w, const struct slb_state *s,
			  const uint8_t *slot, uint32_t slot_len, uint64_t now_ns, char *err,
			  size_t errlen)
{
	int rc = 0;

	w->now_ns = now_ns;
	if (s->generation == w->generation)
		return 0;
	w->generation = s->generation;
	for (unsigned v = 0; v < SLB_MAX_VIPS; v++) {
		const struct slb_vip_rules *sr = &s->rules[v];
		const struct vip_rules *vr = &w->vips[v];
		/* A DSR VIP's requests never reach siplb-dp: its rules are XDP's. */
		bool has = v < s->n_vips && sr->blob_len && s->vips[v].mode == SLB_MODE_PROXY;

		if (has == (vr->l != NULL) && (!has || (vr->changed == sr->changed &&
							vr->counter_base == sr->counter_base)))
			continue;
		if (vip_take(w, v, has ? sr : &(struct slb_vip_rules){0}, slot, slot_len, err,
			     errlen))
			rc = -1;
	}
	return rc;
}

/* ---- rates: GCRA, one 64-bit time per bucket ---------------------------------- */

/* One message within rec's rate (rate per second, burst at once) on the
 * bucket whose theoretical arrival time is *tat. */
static bool rate_take(uint64_t *tat, uint64_t now, const struct slb_rule_rec *rec)
{
	uint64_t interval = NS_PER_SEC / rec->rate;
	uint64_t tolerance = (uint64_t)(rec->burst ? rec->burst - 1 : 0) * interval;
	uint64_t t = *tat > now ? *tat : now;

	if (t - now > tolerance)
		return false;
	*tat = t + interval;
	return true;
}

/* The bucket of (vip, rule, saddr): found, or the way of its set that was
 * idle longest, taken over with a full burst. */
static uint64_t *source_bucket(struct slb_rules_worker *w, unsigned vip, uint32_t rule,
			       uint32_t saddr)
{
	uint64_t h = ((uint64_t)saddr * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)rule << 7) ^ vip;
	struct src_entry *set = w->src[(h * 0xff51afd7ed558ccdull >> 40) % SLB_RULES_SRC_SETS];
	struct src_entry *victim = &set[0];

	for (unsigned k = 0; k < SLB_RULES_SRC_WAYS; k++) {
		struct src_entry *e = &set[k];

		if (e->used && e->saddr == saddr && e->rule == rule && e->vip == vip)
			return &e->tat;
		if (!e->used || (victim->used && e->tat < victim->tat))
			victim = e;
	}
	*victim = (struct src_entry){.saddr = saddr, .vip = (uint16_t)vip, .used = 1,
				     .rule = rule, .tat = 0};
	return &victim->tat;
}

/* ---- the verdict -------------------------------------------------------------- */

/* RFC 3261 §21's reason phrases (and RFC 6665's 489). */
static const char *standard_reason(uint16_t code)
{
	static const struct { uint16_t code; const char *text; } phrases[] = {
		{300, "Multiple Choices"}, {301, "Moved Permanently"},
		{302, "Moved Temporarily"}, {305, "Use Proxy"}, {380, "Alternative Service"},
		{400, "Bad Request"}, {401, "Unauthorized"}, {402, "Payment Required"},
		{403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
		{406, "Not Acceptable"}, {407, "Proxy Authentication Required"},
		{408, "Request Timeout"}, {410, "Gone"}, {413, "Request Entity Too Large"},
		{414, "Request-URI Too Long"}, {415, "Unsupported Media Type"},
		{416, "Unsupported URI Scheme"}, {420, "Bad Extension"},
		{421, "Extension Required"}, {423, "Interval Too Brief"},
		{480, "Temporarily Unavailable"}, {481, "Call/Transaction Does Not Exist"},
		{482, "Loop Detected"}, {483, "Too Many Hops"}, {484, "Address Incomplete"},
		{485, "Ambiguous"}, {486, "Busy Here"}, {487, "Request Terminated"},
		{488, "Not Acceptable Here"}, {489, "Bad Event"}, {491, "Request Pending"},
		{493, "Undecipherable"}, {500, "Server Internal Error"},
		{501, "Not Implemented"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
		{504, "Server Time-out"}, {505, "Version Not Supported"},
		{513, "Message Too Large"}, {600, "Busy Everywhere"}, {603, "Decline"},
		{604, "Does Not Exist Anywhere"}, {606, "Not Acceptable"},
	};
	static const char *const classes[] = {"Redirection", "Client Error", "Server Error",
					      "Global Failure"};

	for (size_t i = 0; i < sizeof(phrases) / sizeof(*phrases); i++)
		if (phrases[i].code == code)
			return phrases[i].text;
	return classes[(code / 100 - 3) & 3];
}

static void reply_verdict(struct slb_rules_verdict *out, uint16_t code, const char *reason,
			  enum slb_reply counter)
{
	out->kind = SLB_RULES_REPLY;
	out->reply = (uint8_t)counter;
	out->retry_after = code == 503;
	snprintf(out->status_line, sizeof(out->status_line), "SIP/2.0 %u %s\r\n", code,
		 reason[0] ? reason : standard_reason(code));
}

static void drop_verdict(struct slb_rules_verdict *out, enum slb_drop why)
{
	out->kind = SLB_RULES_DROP;
	out->drop = (uint8_t)why;
}

/* Within rule i's rate? Over it, *out says what happens. */
static bool within_rate(struct slb_rules_worker *w, unsigned vip, uint32_t i,
			const struct slb_rule_rec *rec, uint32_t saddr,
			struct slb_rules_verdict *out)
{
	uint64_t *tat = rec->rate_per_source ? source_bucket(w, vip, i, saddr)
					     : &w->vips[vip].tat[i];

	if (rate_take(tat, w->now_ns, rec))
		return true;
	if (rec->over_reply)
		reply_verdict(out, 503, "", SLB_REPLY_RULE_RATE);
	else
		drop_verdict(out, SLB_DROP_RULE_RATE);
	return false;
}

/* What rule i does with the request, once within its rate: false to let
 * the next rules decide. */
static bool act(const struct slb_rules_db *db, const struct slb_rules_scratch *s,
		const struct slb_sip_msg *msg, uint32_t i, const struct slb_rule_rec *rec,
		struct slb_rules_verdict *out)
{
	switch (rec->action) {
	case SLB_RULE_ACT_CONTINUE:
		return false;
	case SLB_RULE_ACT_DROP:
		drop_verdict(out, SLB_DROP_RULE);
		return true;
	case SLB_RULE_ACT_REPLY:
		reply_verdict(out, rec->reply_code, rec->reason, SLB_REPLY_RULE);
		return true;
	case SLB_RULE_ACT_POOL:
		out->kind = SLB_RULES_FORWARD;
		out->pool = rec->pool;
		out->key = slb_rules_hash_key(db, s, msg, i);
		return true;
	default: /* SLB_RULE_ACT_ALLOW */
		return true;
	}
}

void slb_rules_decide(struct slb_rules_worker *w, unsigned vip, const uint8_t *buf,
		      const struct slb_sip_msg *msg, uint32_t saddr, uint16_t sport,
		      struct slb_rules_verdict *out)
{
	const struct vip_rules *vr = &w->vips[vip];
	struct slb_addr src = {.family = AF_INET, .port = ntohs(sport)};
	const struct slb_rules_db *db;

	out->kind = SLB_RULES_DEFAULT;
	if (!vr->l)
		return;
	db = vr->l->db;
	src.v4 = saddr;
	if (slb_rules_scan(db, w->scratch, buf, msg, &src)) {
		/* Hyperscan failed (it does not with a valid database and scratch):
		 * the default way, but an allow-list VIP fails closed */
		if (slb_rules_db_allow_list(db))
			drop_verdict(out, SLB_DROP_NOT_ALLOWED);
		return;
	}
	for (int32_t i = slb_rules_next(db, w->scratch, 0); i >= 0;
	     i = slb_rules_next(db, w->scratch, (uint32_t)i + 1)) {
		const struct slb_rule_rec *rec = slb_rules_db_rule(db, (uint32_t)i);

		vr->hits[i]++;
		if (rec->rate && !within_rate(w, vip, (uint32_t)i, rec, saddr, out))
			return;
		if (act(db, w->scratch, msg, (uint32_t)i, rec, out))
			return;
	}
	if (slb_rules_db_allow_list(db))
		drop_verdict(out, SLB_DROP_NOT_ALLOWED);
}
