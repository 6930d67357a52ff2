/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The routing rules' methods (docs/siplbctl.md, docs/rules.md): rule.list,
 * .add, .remove, .move change a VIP's list in the model and publish it as
 * one generation, or change nothing and say why; rule.test runs the
 * published blob through the dataplane's matcher and the pool's Maglev
 * table. A run-time change lasts until the next config.reload, which
 * takes the file's rules, as it takes the file's backends.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/callid_hash.h"
#include "siplb/rules_text.h"
#include "siplbd_rpc.h"
#include "siplbd_rules_rpc.h"
#include "siplbd_stats.h"

#define R(call) ((struct siplbd_rpc *)(call)->ctx)
#define M(call) (R(call)->model)

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static int64_t int_param(json_object *params, const char *k, int64_t dflt)
{
	json_object *v;

	return json_object_object_get_ex(params, k, &v) ? json_object_get_int64(v) : dflt;
}

/* The vip param's index, or -1 when absent (0 with *v unset then). */
static int vip_param(const struct siplbd_model *m, json_object *params, int *v,
		     struct slb_rpc_error *e)
{
	json_object *o;
	const char *name;

	*v = -1;
	if (!json_object_object_get_ex(params, "vip", &o))
		return 0;
	name = json_object_get_string(o);
	*v = slb_config_vip_index(&m->cfg, name);
	return *v >= 0 ? 0 : slb_rpc_fail(e, SLB_RPC_NOT_FOUND, "vip", "no VIP '%.64s' (vip.list "
						  "lists them)", name);
}

/* ---- what is ------------------------------------------------------------------------ */

/* Rule i of VIP v: its text, where it came from, its hits. */
static json_object *rule_json(const struct siplbd_rpc *r, uint32_t v, uint32_t i)
{
	const struct siplbd_model *m = r->model;
	const struct slb_rule *rule = &m->cfg.vips[v].rules.rules[i];
	json_object *o = json_object_new_object();
	struct slb_rule_text t;
	bool ok = !slb_rule_format(rule, &m->cfg, &t);

	add_str(o, "vip", m->cfg.vips[v].name);
	add_int(o, "index", i);
	add_str(o, "match", ok && t.match ? t.match : "any");
	add_str(o, "action", ok && t.action ? t.action : "continue");
	add_str(o, "hash", ok && t.hash ? t.hash : "call-id");
	add_str(o, "rate", ok ? t.rate : NULL);
	add_str(o, "origin", rule->origin);
	add_int(o, "hits", (int64_t)siplbd_stats_rule_hits(r->maps, siplbd_model_state(m), v, i));
	add_str(o, "rule", ok ? t.rule : NULL);
	if (ok)
		slb_rule_text_free(&t);
	return o;
}

static int h_rule_list(const struct slb_rpc_call *call, json_object *params, json_object **res,
		       struct slb_rpc_error *e)
{
	const struct siplbd_model *m = M(call);
	json_object *list;
	int vip;

	if (vip_param(m, params, &vip, e))
		return -1;
	list = json_object_new_array();
	for (uint32_t v = 0; v < m->cfg.n_vips; v++) {
		if (vip >= 0 && v != (uint32_t)vip)
			continue;
		for (uint32_t i = 0; i < m->cfg.vips[v].rules.n; i++)
			json_object_array_add(list, rule_json(R(call), v, i));
	}
	*res = json_object_new_object();
	json_object_object_add(*res, "rules", list);
	return 0;
}

/* ---- changes ------------------------------------------------------------------------ */

/* A rule's copy, its own values. */
static int copy_rule(struct slb_rule *dst, const struct slb_rule *src)
{
	bool ok = true;

	*dst = *src;
	for (int f = 0; f < SLB_RULE_F_HEADER; f++)
		if (src->cond[f].value)
			ok &= (dst->cond[f].value = strdup(src->cond[f].value)) != NULL;
	if (src->header_cond.value)
		ok &= (dst->header_cond.value = strdup(src->header_cond.value)) != NULL;
	return ok ? 0 : -1;
}

/*
 * VIP v's rules in a new order into out: entry k is old rule order[k], or
 * *added (taken over) where order[k] is -1. -1 (out of memory): out
 * empty, *added freed.
 */
static int rebuilt(const struct slb_rules *old, const int32_t *order, uint32_t n,
		   struct slb_rule *added, struct slb_rules *out, struct slb_rpc_error *e)
{
	int rc = 0;

	*out = (struct slb_rules){.rules = calloc(n + 1, sizeof(*out->rules)), .n = n};
	for (uint32_t k = 0; out->rules && k < n; k++) {
		if (order[k] < 0)
			out->rules[k] = *added, *added = (struct slb_rule){0};
		else
			rc |= copy_rule(&out->rules[k], &old->rules[order[k]]);
		out->allow_list |= out->rules[k].rec.action == SLB_RULE_ACT_ALLOW;
	}
	if (added)
		slb_rule_free(added);
	if (out->rules && !rc)
		return 0;
	if (!out->rules)
		out->n = 0;
	slb_rules_free(out);
	return slb_rpc_fail(e, SLB_RPC_INTERNAL_ERROR, NULL, "out of memory");
}

/* "rule.add sip 3 (uid 0, pid 4242)": why a generation was published. */
static void why_of(const struct slb_rpc_call *call, const char *vip, int64_t index, char *buf,
		   size_t len)
{
	const struct slb_rpc_peer *p = call->peer;

	snprintf(buf, len, "%s %s %" PRId64 " (uid %d, pid %d)", call->method, vip, index,
		 p ? (int)p->uid : -1, p ? (int)p->pid : -1);
}

/*
 * A change compiles the VIP's rules in the loop (thousands of regexes take
 * seconds): charged to the loop's budget for heavy requests, as
 * configuration files are (siplbd_common.h).
 */
static int rules_budget(struct siplbd_rpc *r, struct slb_rpc_error *e)
{
	int64_t took, wait;

	if (!siplbd_budget_take(&r->budget, &took, &wait))
		return 0;
	return slb_rpc_fail(e, SLB_RPC_LIMIT, NULL, "rule changes and configuration files took "
			    "%lld ms of siplbd's loop lately: try again in %lld ms",
			    (long long)took, (long long)wait);
}

/* VIP v's rules become those order says and are published (why: the
 * method on rule `index`); *res: rule `index` of the new list, unless the
 * caller has set *res already. */
static int publish_order(const struct slb_rpc_call *call, uint32_t v, const int32_t *order,
			 uint32_t n, struct slb_rule *added, int64_t index, json_object **res,
			 struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	uint64_t t0 = siplbd_now_ns();
	struct slb_rules rules;
	char why[256], err[512];
	int rc;

	if (rebuilt(&m->cfg.vips[v].rules, order, n, added, &rules, e))
		return -1;
	why_of(call, m->cfg.vips[v].name, index, why, sizeof(why));
	rc = siplbd_model_set_rules(m, v, &rules, why, err, sizeof(err));
	siplbd_budget_charge(&R(call)->budget, t0);
	if (rc)
		return slb_rpc_fail(e, SLB_RPC_PUBLISH_FAILED, NULL, "%s", err);
	if (!*res)
		*res = rule_json(R(call), v, (uint32_t)index);
	add_int(*res, "generation", (int64_t)siplbd_model_generation(m));
	return 0;
}

/* 0..n-1 without `skip`, with -1 (the new or moved rule) at `at`. */
static int32_t *order_of(uint32_t n, int64_t skip, int64_t at, uint32_t *len,
			 struct slb_rpc_error *e)
{
	int32_t *order = calloc(n + 1, sizeof(*order));
	uint32_t k = 0;

	if (!order) {
		slb_rpc_fail(e, SLB_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i <= n; i++) {
		if (at >= 0 && k == (uint32_t)at)
			order[k++] = -1;
		if (i < n && i != skip)
			order[k++] = (int32_t)i;
	}
	*len = k;
	return order;
}

static int index_param(const struct siplbd_model *m, uint32_t v, json_object *params,
		       const char *k, struct slb_rpc_error *e)
{
	int64_t i = int_param(params, k, 0);
	uint32_t n = m->cfg.vips[v].rules.n;

	if (i < n)
		return 0;
	if (!n)
		return slb_rpc_fail(e, SLB_RPC_NOT_FOUND, k, "VIP %s has no rules",
				    m->cfg.vips[v].name);
	return slb_rpc_fail(e, SLB_RPC_NOT_FOUND, k, "%s %" PRId64 ": VIP %s has rules 0..%u",
			    k, i, m->cfg.vips[v].name, n - 1);
}

static int h_rule_add(const struct slb_rpc_call *call, json_object *params, json_object **res,
		      struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	struct slb_rule rule;
	json_object *text;
	int32_t *order;
	uint32_t n, len;
	uint64_t t0;
	int64_t at;
	int v, rc;
	char err[512];

	if (vip_param(m, params, &v, e) || rules_budget(R(call), e))
		return -1;
	n = m->cfg.vips[v].rules.n;
	at = int_param(params, "at", n);
	if (at > n)
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "at", "at %" PRId64 ": VIP %s has %u "
				    "rules, so 0..%u", at, m->cfg.vips[v].name, n, n);
	if (n >= SLB_RULES_MAX)
		return slb_rpc_fail(e, SLB_RPC_LIMIT, NULL, "VIP %s has %u rules already: the most "
				    "siplb holds", m->cfg.vips[v].name, n);
	json_object_object_get_ex(params, "rule", &text);
	t0 = siplbd_now_ns(); /* the rule's patterns are compiled one by one here */
	rc = slb_rule_parse_text(json_object_get_string(text), &m->cfg, m->cfg.vips[v].pool, &rule,
				 err, sizeof(err));
	siplbd_budget_charge(&R(call)->budget, t0);
	if (rc)
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "rule", "%s", err);
	if (slb_config_rule_pool_check(&m->cfg, &m->cfg.vips[v], &rule, err, sizeof(err))) {
		slb_rule_free(&rule);
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "rule", "%s", err);
	}
	if (!(order = order_of(n, -1, at, &len, e))) {
		slb_rule_free(&rule);
		return -1;
	}
	*res = NULL;
	rc = publish_order(call, (uint32_t)v, order, len, &rule, at, res, e);
	free(order);
	return rc;
}

static int h_rule_remove(const struct slb_rpc_call *call, json_object *params,
			 json_object **res, struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	int64_t i = int_param(params, "index", 0);
	int32_t *order;
	uint32_t len;
	int v, rc;

	if (vip_param(m, params, &v, e) || index_param(m, (uint32_t)v, params, "index", e) ||
	    rules_budget(R(call), e))
		return -1;
	if (!(order = order_of(m->cfg.vips[v].rules.n, i, -1, &len, e)))
		return -1;
	*res = rule_json(R(call), (uint32_t)v, (uint32_t)i);
	rc = publish_order(call, (uint32_t)v, order, len, NULL, i, res, e);
	free(order);
	if (rc)
		json_object_put(*res);
	return rc;
}

static int h_rule_move(const struct slb_rpc_call *call, json_object *params, json_object **res,
		       struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	int64_t from = int_param(params, "from", 0), to = int_param(params, "to", 0);
	int32_t *order;
	uint32_t len;
	int v, rc;

	if (vip_param(m, params, &v, e) || index_param(m, (uint32_t)v, params, "from", e) ||
	    index_param(m, (uint32_t)v, params, "to", e) || rules_budget(R(call), e))
		return -1;
	if (!(order = order_of(m->cfg.vips[v].rules.n, from, to, &len, e)))
		return -1;
	order[to] = (int32_t)from; /* the moved rule itself, not a new one */
	*res = NULL;
	rc = publish_order(call, (uint32_t)v, order, len, NULL, to, res, e);
	free(order);
	return rc;
}

/* ---- rule.test ---------------------------------------------------------------------- */

/* What rule.test found: the deciding rule (-1: none), the rate-only rules
 * passed on the way, the pool and hash key when it is forwarded. */
struct verdict {
	int32_t rule;
	json_object *passed;
	const char *action;        /* "pool", "drop", "reply", "not allowed", "default" */
	uint32_t pool;
	struct slb_span key;
};

static int message_param(json_object *params, uint8_t **buf, size_t *len,
			 struct slb_rpc_error *e)
{
	json_object *o;
	const char *b64;
	size_t n;

	json_object_object_get_ex(params, "message", &o);
	b64 = json_object_get_string(o);
	n = strlen(b64);
	if (n > (SLB_RPC_RULE_TEST_MAX + 2) / 3 * 4)
		return slb_rpc_fail(e, SLB_RPC_LIMIT, "message", "more than %d bytes of message",
				    SLB_RPC_RULE_TEST_MAX);
	*buf = malloc(n / 4 * 3 + 3);
	if (!*buf)
		return slb_rpc_fail(e, SLB_RPC_INTERNAL_ERROR, NULL, "out of memory");
	if (sodium_base642bin(*buf, n / 4 * 3 + 3, b64, n, NULL, len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) || !*len ||
	    *len > SLB_RPC_RULE_TEST_MAX) {
		free(*buf);
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "message", "base64 of 1..%d bytes "
				    "of a SIP message expected", SLB_RPC_RULE_TEST_MAX);
	}
	return 0;
}

static int source_param(json_object *params, struct slb_addr *src, struct slb_rpc_error *e)
{
	json_object *o;
	char err[256];

	memset(src, 0, sizeof(*src));
	if (!json_object_object_get_ex(params, "source", &o))
		return 0;
	if (slb_rpc_parse_backend(json_object_get_string(o), src, err, sizeof(err)))
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "source", "%s", err);
	return 0;
}

/* The matcher over the message, first match wins; a rate-only rule lets
 * the next decide (as if within its rate). */
static void match(const struct slb_rules_db *db, struct slb_rules_scratch *s,
		  const struct slb_sip_msg *msg, uint32_t vip_pool, struct verdict *vd)
{
	int32_t i = slb_rules_next(db, s, 0);
	const struct slb_rule_rec *rec;

	while (i >= 0 && slb_rules_db_rule(db, (uint32_t)i)->action == SLB_RULE_ACT_CONTINUE) {
		json_object_array_add(vd->passed, json_object_new_int(i));
		i = slb_rules_next(db, s, (uint32_t)i + 1);
	}
	vd->rule = i;
	if (i < 0) {
		vd->action = slb_rules_db_allow_list(db) ? "not allowed" : "default";
		vd->pool = vip_pool;
		return;
	}
	rec = slb_rules_db_rule(db, (uint32_t)i);
	vd->action = rec->action == SLB_RULE_ACT_DROP ? "drop" :
		     rec->action == SLB_RULE_ACT_REPLY ? "reply" : "pool";
	vd->pool = rec->action == SLB_RULE_ACT_ALLOW ? vip_pool : rec->pool;
	vd->key = slb_rules_hash_key(db, s, msg, (uint32_t)i);
}

/* The VIP's published blob (none: the default way) over the message. */
static int run_rules(const struct siplbd_rpc *r, uint32_t v, const uint8_t *buf,
		     const struct slb_sip_msg *msg, const struct slb_addr *src,
		     struct verdict *vd, struct slb_rpc_error *e)
{
	const struct slb_maps *maps = r->maps;
	uint64_t g = slb_generation(maps);
	const struct slb_vip_rules *vr = &slb_state_of(maps, g)->rules[v];
	struct slb_rules_scratch *s;
	struct slb_rules_db *db;
	char err[256];
	int rc = -1;

	vd->pool = r->model->cfg.vips[v].pool;
	vd->action = "default";
	if (!vr->blob_len)
		return 0;
	db = slb_rules_db_load(slb_rules_of(maps, g) + vr->blob_off, vr->blob_len, err,
			       sizeof(err));
	if (!db)
		return slb_rpc_fail(e, SLB_RPC_INTERNAL_ERROR, NULL, "generation %" PRIu64 "'s "
				    "rules of VIP %s: %s", g, r->model->cfg.vips[v].name, err);
	s = slb_rules_scratch_create(db);
	if (s && !slb_rules_scan(db, s, buf, msg, src)) {
		match(db, s, msg, vd->pool, vd);
		rc = 0;
	} else {
		slb_rpc_fail(e, SLB_RPC_INTERNAL_ERROR, NULL, "the matcher failed");
	}
	slb_rules_scratch_free(s);
	slb_rules_db_free(db);
	return rc;
}

/* The backend the pool's published Maglev table gives the key. */
static void add_backend(const struct siplbd_rpc *r, const uint8_t *buf, const struct verdict *vd,
			json_object *o)
{
	const struct slb_state *s = siplbd_model_state(r->model);
	const struct slb_pool *pool = &s->pools[vd->pool % SLB_MAX_POOLS];
	const uint32_t *tables = slb_tables_of(r->maps, siplbd_model_generation(r->model));
	char ep[SLB_ADDR_TEXT_LEN];
	uint32_t id;

	add_str(o, "pool", pool->name);
	if (!pool->table_size) {
		add_str(o, "backend", NULL);
		add_str(o, "note", "no backend up in the pool: answered 503");
		return;
	}
	id = tables[pool->table_off + slb_callid_hash(buf + vd->key.off, vd->key.len, pool->seed) %
					  pool->table_size];
	add_int(o, "backend_id", id);
	add_str(o, "backend", id < SLB_MAX_BACKENDS && r->model->backends[id].used ?
		slb_addr_format(&r->model->backends[id].a, SLB_ADDR_ENDPOINT, ep, sizeof(ep)) :
		NULL);
}

/* The key as text for people: bytes outside printable ASCII as '?'. */
static void key_text(const uint8_t *buf, struct slb_span key, char *out, size_t len)
{
	size_t n = key.len < len - 1 ? key.len : len - 1;

	for (size_t i = 0; i < n; i++)
		out[i] = buf[key.off + i] >= 0x20 && buf[key.off + i] < 0x7f ? (char)buf[key.off + i]
									   : '?';
	out[n] = 0;
}

/* The deciding rule's action and hash as rule.list says them; none: the
 * verdict's own words and the Call-ID. */
static void add_action(const struct siplbd_model *m, uint32_t v, const struct verdict *vd,
		       json_object *o)
{
	struct slb_rule_text t;

	if (vd->rule < 0 || slb_rule_format(&m->cfg.vips[v].rules.rules[vd->rule], &m->cfg, &t)) {
		add_str(o, "action", vd->action);
		add_str(o, "hash", "call-id");
		return;
	}
	add_str(o, "action", t.action);
	add_str(o, "hash", t.hash ? t.hash : "call-id");
	slb_rule_text_free(&t);
}

static json_object *verdict_json(const struct siplbd_rpc *r, uint32_t v, const uint8_t *buf,
				 const struct slb_sip_msg *msg, struct verdict *vd)
{
	const struct slb_config_vip *vip = &r->model->cfg.vips[v];
	json_object *o = json_object_new_object();
	char key[256];

	add_str(o, "vip", vip->name);
	json_object_object_add(o, "in_dialog", json_object_new_boolean(slb_sip_is_in_dialog(msg)));
	json_object_object_add(o, "rule", vd->rule >= 0 ? json_object_new_int(vd->rule) : NULL);
	add_str(o, "origin", vd->rule >= 0 ? vip->rules.rules[vd->rule].origin : NULL);
	json_object_object_add(o, "passed", vd->passed);
	vd->passed = NULL;
	add_action(r->model, v, vd, o);
	if (slb_sip_is_in_dialog(msg))
		add_str(o, "note", "in-dialog (a To tag): drop, reply, rate and allow rules apply "
			"as to any request; with siplb's Route it keeps the backend that Route "
			"names, whatever a rule's pool or hash");
	else if (vip->mode == SLB_MODE_DSR)
		add_str(o, "note", "a DSR VIP: siplb-dp applies rules in proxy mode; the XDP program "
			"only those offloaded to it (docs/rules.md, In XDP)");
	if (strcmp(vd->action, "pool") && strcmp(vd->action, "default"))
		return o;
	if (!vd->key.len) { /* no such key in the message: the Call-ID, as siplb-dp */
		vd->key = msg->call_id;
		json_object_object_add(o, "hash", json_object_new_string("call-id"));
	}
	key_text(buf, vd->key, key, sizeof(key));
	add_str(o, "key", key);
	add_backend(r, buf, vd, o);
	return o;
}

static int h_rule_test(const struct slb_rpc_call *call, json_object *params, json_object **res,
		       struct slb_rpc_error *e)
{
	struct verdict vd = {.rule = -1};
	struct slb_sip_msg msg;
	struct slb_addr src;
	enum slb_sip_reason why;
	uint8_t *buf = NULL; /* set unless message_param fails: gcc 12 cannot tell */
	size_t len = 0;
	int v, rc = -1;

	if (vip_param(M(call), params, &v, e) || source_param(params, &src, e) ||
	    message_param(params, &buf, &len, e))
		return -1;
	why = slb_sip_scan(buf, len, &msg);
	if (why != SLB_SIP_OK)
		slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "message", "siplb-dp would drop it as "
			     "malformed: %s", slb_sip_reason_name(why));
	else if (msg.kind != SLB_SIP_KIND_REQUEST)
		slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "message", "not a request: rules route "
			     "requests (responses follow their Via)");
	else if (!(vd.passed = json_object_new_array()))
		slb_rpc_fail(e, SLB_RPC_INTERNAL_ERROR, NULL, "out of memory");
	else if (!(rc = run_rules(R(call), (uint32_t)v, buf, &msg, &src, &vd, e)))
		*res = verdict_json(R(call), (uint32_t)v, buf, &msg, &vd);
	json_object_put(vd.passed);
	free(buf);
	return rc;
}

void siplbd_rules_rpc_handlers(struct slb_rpc_handlers *h)
{
	h->rule_list = h_rule_list;
	h->rule_add = h_rule_add;
	h->rule_remove = h_rule_remove;
	h->rule_move = h_rule_move;
	h->rule_test = h_rule_test;
}
