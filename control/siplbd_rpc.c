/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's control socket (docs/siplbctl.md): the handlers of the methods
 * rpc_methods.c names. They run in siplbd's loop, between its other work,
 * on its own state. Every change publishes one generation, or leaves the
 * running one as it was (the change undone) and says why; the result is
 * the backend as it now is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "siplb/log.h"
#include "siplbd_capture_rpc.h"
#include "siplbd_rpc.h"
#include "siplbd_rules_rpc.h"
#include "siplbd_stats.h"
#include "siplb_version.h"

/* A handler's state, and the model under it. */
#define R(call) ((struct siplbd_rpc *)(call)->ctx)
#define M(call) (R(call)->model)

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/* The counters as they are now (proxy and DSR), into r->totals. */
static const struct slb_lcore_stats *counters(struct siplbd_rpc *r)
{
	siplbd_stats_forwarded(r->maps, r->totals);
	return r->totals;
}

/* {key: value}: the shape of every list a method returns. */
static json_object *object_with(const char *key, json_object *value)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, value);
	return o;
}

/* A backend object: the configured weight, the published state, the
 * operator's and the health checks' say, the requests it got (r->totals:
 * call counters() first). */
static json_object *backend_json(const struct siplbd_rpc *r, uint32_t id)
{
	const struct siplbd_model *m = r->model;
	const struct slb_lcore_stats *t = r->totals;
	const struct siplbd_backend *b = &m->backends[id];
	json_object *o = json_object_new_object();
	char ep[SLB_ADDR_TEXT_LEN], addr[SLB_ADDR_TEXT_LEN];

	add_int(o, "id", id);
	add_str(o, "pool", b->pool_name);
	add_str(o, "backend", slb_addr_format(&b->a, SLB_ADDR_ENDPOINT, ep, sizeof(ep)));
	add_str(o, "address", slb_addr_format(&b->a, SLB_ADDR_IP, addr, sizeof(addr)));
	add_int(o, "port", b->a.port);
	add_int(o, "weight", b->weight);
	add_int(o, "effective_weight", siplbd_model_state(m)->backends[id].weight);
	add_int(o, "priority", b->priority);
	add_str(o, "state", siplbd_backend_state_text(m, id));
	add_str(o, "admin", siplbd_admin_name(b->admin));
	add_str(o, "health", slb_backend_state_name(b->health));
	add_int(o, "msgs", (int64_t)t->backend_tx[id].msgs);
	add_int(o, "bytes", (int64_t)t->backend_tx[id].bytes);
	return o;
}

/* Backend id as it is now, with the counters as they are now. */
static json_object *backend_now(struct siplbd_rpc *r, uint32_t id)
{
	counters(r);
	return backend_json(r, id);
}

/* Backends of the active generation; *up: how many of them are up. */
static int64_t n_backends(const struct siplbd_model *m, int64_t *up)
{
	int64_t n = 0, u = 0;

	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++) {
		n += m->backends[id].used;
		u += m->backends[id].used && siplbd_backend_state(m, id) == SLB_BACKEND_UP;
	}
	if (up)
		*up = u;
	return n;
}

/* ---- params that name things ------------------------------------------------------- */

/* 1: no pool param (all pools); 0: *p is it; -1: no such pool. */
static int pool_param(const struct siplbd_model *m, json_object *params, uint32_t *p,
		      struct slb_rpc_error *e)
{
	json_object *v;
	const char *name;

	if (!json_object_object_get_ex(params, "pool", &v))
		return 1;
	name = json_object_get_string(v);
	for (*p = 0; *p < m->cfg.n_pools; (*p)++)
		if (!strcmp(m->cfg.pools[*p].name, name))
			return 0;
	return slb_rpc_fail(e, SLB_RPC_NOT_FOUND, "pool", "no pool '%.64s' (pool.list lists them)",
			    name);
}

/* What the backend params name: a pool, an address and port, the id if there. */
struct target {
	uint32_t pool;
	struct slb_addr a;              /* and port */
	int id;
	char ep[SLB_ADDR_TEXT_LEN];
};

static int target_param(const struct siplbd_model *m, json_object *params, struct target *t,
			struct slb_rpc_error *e)
{
	json_object *v;
	char err[256];

	if (pool_param(m, params, &t->pool, e))
		return -1;
	json_object_object_get_ex(params, "backend", &v);
	if (slb_rpc_parse_backend(json_object_get_string(v), &t->a, err, sizeof(err)))
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "backend", "%s", err);
	t->id = siplbd_find_backend(m, t->pool, &t->a);
	slb_addr_format(&t->a, SLB_ADDR_ENDPOINT, t->ep, sizeof(t->ep));
	return 0;
}

static int existing(const struct siplbd_model *m, json_object *params, struct target *t,
		    struct slb_rpc_error *e)
{
	if (target_param(m, params, t, e))
		return -1;
	if (t->id < 0)
		return slb_rpc_fail(e, SLB_RPC_NOT_FOUND, "backend", "no backend %s in pool %s "
				    "(backend.list lists them)", t->ep, m->cfg.pools[t->pool].name);
	return 0;
}

/* add, remove and set change the file's list: an SRV pool's is the zone's. */
static int static_pool(const struct siplbd_model *m, const struct target *t,
		       struct slb_rpc_error *e)
{
	const struct slb_config_pool *cp = &m->cfg.pools[t->pool];

	if (!cp->srv.name[0])
		return 0;
	return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "pool", "pool %s takes its backends from "
			    "DNS SRV %s: change the zone (drain, enable and disable work here)",
			    cp->name, cp->srv.name);
}

static bool get_int(json_object *params, const char *k, int64_t *v)
{
	json_object *o;

	if (!json_object_object_get_ex(params, k, &o))
		return false;
	*v = json_object_get_int64(o);
	return true;
}

static bool get_bool(json_object *params, const char *k)
{
	json_object *o;

	return json_object_object_get_ex(params, k, &o) && json_object_get_boolean(o);
}

/* Who called: a dispatch without a socket (tests, the fuzzer) has no peer:
 * uid and pid -1, as rpc.h says. */
static struct slb_rpc_peer peer_of(const struct slb_rpc_call *call)
{
	return call->peer ? *call->peer : (struct slb_rpc_peer){(uid_t)-1, (gid_t)-1, -1};
}

/* "backend.drain core 192.0.2.21:5060 (uid 0, pid 4242)": why a generation was published. */
static void why_of(const struct slb_rpc_call *call, const struct siplbd_model *m,
		   const struct target *t, char *buf, size_t len)
{
	struct slb_rpc_peer peer = peer_of(call);

	snprintf(buf, len, "%s %s %s (uid %d, pid %d)", call->method, m->cfg.pools[t->pool].name,
		 t->ep, (int)peer.uid, (int)peer.pid);
}

/* The index of t in its (static) pool's list. */
static uint32_t index_in_pool(const struct siplbd_model *m, const struct target *t)
{
	const struct slb_config_pool *cp = &m->cfg.pools[t->pool];
	uint32_t j = 0;

	while (j < cp->n_backends && slb_addr_cmp(&cp->backends[j].a, &t->a))
		j++;
	return j;
}

/* ---- changes ------------------------------------------------------------------------ */

/* Pool p's list becomes list (n entries, taken over) and is published, a
 * new backend starting with health fresh; on failure the old list is back. */
static int publish_list(const struct slb_rpc_call *call, const struct target *t,
			struct slb_config_backend *list, uint32_t n, enum slb_backend_state fresh,
			struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	char why[256], err[512];

	why_of(call, m, t, why, sizeof(why));
	if (!siplbd_model_set_backends(m, t->pool, list, n, fresh, why, err, sizeof(err)))
		return 0;
	return slb_rpc_fail(e, SLB_RPC_PUBLISH_FAILED, NULL, "%s", err);
}

/* The pool's list with room for one more (a copy). */
static struct slb_config_backend *copy_list(const struct slb_config_pool *cp,
					    struct slb_rpc_error *e)
{
	struct slb_config_backend *list = calloc(cp->n_backends + 1, sizeof(*list));

	if (!list)
		slb_rpc_fail(e, SLB_RPC_INTERNAL_ERROR, NULL, "out of memory");
	else if (cp->n_backends)
		memcpy(list, cp->backends, cp->n_backends * sizeof(*list));
	return list;
}

/* Backends of pool p with a weight, besides skip (-1: none). */
static uint32_t weighted(const struct slb_config_pool *cp, int skip)
{
	uint32_t n = 0;

	for (uint32_t j = 0; j < cp->n_backends; j++)
		n += (int)j != skip && cp->backends[j].weight > 0;
	return n;
}

/* The family the pool's VIPs (or, without VIPs, its backends) have; 0: any. */
static uint8_t pool_family(const struct siplbd_model *m, uint32_t p)
{
	for (uint32_t i = 0; i < m->cfg.n_vips; i++)
		if (m->cfg.vips[i].pool == p)
			return m->cfg.vips[i].a.family;
	return m->cfg.pools[p].n_backends ? m->cfg.pools[p].backends[0].a.family : 0;
}

/* The rules the file has, for a backend added at run time. */
static int check_add(const struct siplbd_model *m, const struct target *t, int64_t weight,
		     struct slb_rpc_error *e)
{
	const struct slb_config_pool *cp = &m->cfg.pools[t->pool];
	uint8_t family = pool_family(m, t->pool);
	uint32_t n = 0;

	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++)
		n += m->backends[id].used;
	if (family && family != t->a.family)
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "backend", "pool %s is IPv%c: an IPv%c "
				    "backend expected", cp->name, family == AF_INET ? '4' : '6',
				    family == AF_INET ? '4' : '6');
	if (n >= SLB_MAX_BACKENDS)
		return slb_rpc_fail(e, SLB_RPC_LIMIT, NULL, "%d backends already: the most siplb "
				    "holds", SLB_MAX_BACKENDS);
	if (weight > 0 && weighted(cp, -1) + 1 >= m->cfg.table_size)
		return slb_rpc_fail(e, SLB_RPC_LIMIT, "weight", "pool %s: %u backends with a weight "
				    "would not fit a Maglev table of %u", cp->name,
				    weighted(cp, -1) + 1, m->cfg.table_size);
	return 0;
}

static int h_backend_add(const struct slb_rpc_call *call, json_object *params,
			 json_object **res, struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	int64_t weight = 1, priority = 0;
	struct slb_config_backend *list;
	const struct slb_config_pool *cp;
	struct target t;

	if (target_param(m, params, &t, e) || static_pool(m, &t, e))
		return -1;
	cp = &m->cfg.pools[t.pool];
	if (t.id >= 0)
		return slb_rpc_fail(e, SLB_RPC_EXISTS, "backend", "pool %s has backend %s already "
				    "(id %d): backend.set changes it", cp->name, t.ep, t.id);
	get_int(params, "weight", &weight);
	get_int(params, "priority", &priority);
	if (check_add(m, &t, weight, e) || !(list = copy_list(cp, e)))
		return -1;
	list[cp->n_backends] = (struct slb_config_backend){.a = t.a,
							   .weight = (uint16_t)weight,
							   .priority = (uint16_t)priority};
	/* In a probed pool it takes calls after `rise` good probes, unless
	 * the operator vouches for it (up). */
	if (publish_list(call, &t, list, cp->n_backends + 1,
			 get_bool(params, "up") ? SLB_BACKEND_UP : SLB_BACKEND_PROBING, e))
		return -1;
	*res = backend_now(R(call), (uint32_t)siplbd_find_backend(m, t.pool, &t.a));
	return 0;
}

static int h_backend_remove(const struct slb_rpc_call *call, json_object *params,
			    json_object **res, struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	struct slb_config_backend *list;
	const struct slb_config_pool *cp;
	struct target t;
	uint32_t j;

	if (existing(m, params, &t, e) || static_pool(m, &t, e))
		return -1;
	cp = &m->cfg.pools[t.pool];
	j = index_in_pool(m, &t);
	if (!(list = copy_list(cp, e)))
		return -1;
	memmove(&list[j], &list[j + 1], (cp->n_backends - j - 1) * sizeof(*list));
	*res = backend_now(R(call), (uint32_t)t.id);
	if (!publish_list(call, &t, list, cp->n_backends - 1, SLB_BACKEND_UP, e))
		return 0;
	json_object_put(*res);
	return -1;
}

static int h_backend_set(const struct slb_rpc_call *call, json_object *params,
			 json_object **res, struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	int64_t weight = 0, priority = 0; /* set when w, p: gcc 12 cannot tell */
	struct slb_config_backend *list;
	const struct slb_config_pool *cp;
	struct target t;
	bool w, p;
	uint32_t j;

	if (existing(m, params, &t, e) || static_pool(m, &t, e))
		return -1;
	cp = &m->cfg.pools[t.pool];
	j = index_in_pool(m, &t);
	w = get_int(params, "weight", &weight);
	p = get_int(params, "priority", &priority);
	if (!w && !p)
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, NULL,
				    "nothing to set: give weight and/or priority");
	if (w && weight > 0 && weighted(cp, (int)j) + 1 >= m->cfg.table_size)
		return slb_rpc_fail(e, SLB_RPC_LIMIT, "weight", "pool %s: %u backends with a weight "
				    "would not fit a Maglev table of %u", cp->name,
				    weighted(cp, (int)j) + 1, m->cfg.table_size);
	if (!(list = copy_list(cp, e)))
		return -1;
	list[j].weight = w ? (uint16_t)weight : list[j].weight;
	list[j].priority = p ? (uint16_t)priority : list[j].priority;
	if (publish_list(call, &t, list, cp->n_backends, SLB_BACKEND_UP, e))
		return -1;
	*res = backend_now(R(call), (uint32_t)t.id);
	return 0;
}

/* drain, enable, disable: the operator's say, kept through reloads. */
static int set_admin(const struct slb_rpc_call *call, json_object *params, json_object **res,
		     struct slb_rpc_error *e, enum siplbd_admin admin)
{
	struct siplbd_model *m = M(call);
	char why[256], err[512];
	struct target t;

	if (existing(m, params, &t, e))
		return -1;
	why_of(call, m, &t, why, sizeof(why));
	if (siplbd_model_set_admin(m, (uint32_t)t.id, admin, why, err, sizeof(err)))
		return slb_rpc_fail(e, SLB_RPC_PUBLISH_FAILED, NULL, "%s", err);
	*res = backend_now(R(call), (uint32_t)t.id);
	return 0;
}

static int h_backend_drain(const struct slb_rpc_call *call, json_object *params,
			   json_object **res, struct slb_rpc_error *e)
{
	return set_admin(call, params, res, e, SIPLBD_DRAINING);
}

static int h_backend_enable(const struct slb_rpc_call *call, json_object *params,
			    json_object **res, struct slb_rpc_error *e)
{
	return set_admin(call, params, res, e, SIPLBD_ENABLED);
}

static int h_backend_disable(const struct slb_rpc_call *call, json_object *params,
			     json_object **res, struct slb_rpc_error *e)
{
	return set_admin(call, params, res, e, SIPLBD_DISABLED);
}

/* ---- the configuration file ----------------------------------------------------------- */

/*
 * config.validate and config.reload parse a file inside the loop: 1 MiB of
 * settings takes 50 ms (1.5 s with glibc's malloc rather than jemalloc), a
 * batch of 64 of them 3 s. The time they take is charged to the loop's
 * budget for heavy requests (siplbd_common.h), shared with rule changes.
 */
static int config_budget(struct siplbd_rpc *r, struct slb_rpc_error *e)
{
	int64_t took, wait;

	if (!siplbd_budget_take(&r->budget, &took, &wait))
		return 0;
	return slb_rpc_fail(e, SLB_RPC_LIMIT, "file", "configuration files took %lld ms of "
			    "siplbd's loop lately: try again in %lld ms", (long long)took,
			    (long long)wait);
}

static void config_charge(struct siplbd_rpc *r, uint64_t since_ns)
{
	siplbd_budget_charge(&r->budget, since_ns);
}

/* The file param (absolute: siplbd runs elsewhere than its caller), or dflt. */
static int file_param(json_object *params, const char *dflt, const char **file,
		      struct slb_rpc_error *e)
{
	json_object *v;

	*file = json_object_object_get_ex(params, "file", &v) ? json_object_get_string(v) : dflt;
	if (*file == dflt || (*file)[0] == '/')
		return 0;
	return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "file", "\"%.200s\": an absolute path "
			    "expected (siplbd does not run in the caller's directory)", *file);
}

static json_object *config_counts(const char *file, const struct slb_config *c)
{
	json_object *o = json_object_new_object();

	add_str(o, "file", file);
	add_int(o, "vips", c->n_vips);
	add_int(o, "pools", c->n_pools);
	add_int(o, "backends", slb_config_n_backends(c));
	return o;
}

static int h_config_validate(const struct slb_rpc_call *call, json_object *params,
			     json_object **res, struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	uint64_t t0 = siplbd_now_ns();
	struct slb_config c;
	const char *file;
	char err[512];
	int rc;

	if (file_param(params, NULL, &file, e) || config_budget(R(call), e))
		return -1;
	rc = siplbd_load_config(file, m->bpffs, &c, err, sizeof(err));
	config_charge(R(call), t0);
	if (rc)
		return slb_rpc_fail(e, SLB_RPC_BAD_CONFIG, "file", "%s", err);
	*res = config_counts(file, &c);
	add_int(*res, "ports", c.n_ports);
	slb_config_free(&c);
	return 0;
}

static int h_config_reload(const struct slb_rpc_call *call, json_object *params,
			   json_object **res, struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	uint64_t t0 = siplbd_now_ns();
	const char *file;
	char err[512];
	int rc;

	if (file_param(params, m->config, &file, e) || config_budget(R(call), e))
		return -1;
	slb_log(SLB_LOG_NOTICE, "config.reload %s%s (uid %d, pid %d)", file,
		get_bool(params, "set_default") ? " set_default" : "", (int)peer_of(call).uid,
		(int)peer_of(call).pid);
	rc = siplbd_reload(m, file, get_bool(params, "set_default"), err, sizeof(err));
	config_charge(R(call), t0);
	if (rc)
		return slb_rpc_fail(e, rc, rc == SLB_RPC_BAD_CONFIG ? "file" : NULL, "%s", err);
	*res = config_counts(m->published_from, &m->cfg);
	add_int(*res, "generation", (int64_t)siplbd_model_generation(m));
	add_int(*res, "backends", n_backends(m, NULL)); /* SRV pools' too */
	add_str(*res, "default", m->config); /* what SIGHUP and a reload without FILE read */
	add_int(*res, "overrides", m->state.n);
	return 0;
}

static int h_config_diff(const struct slb_rpc_call *call, json_object *params,
			 json_object **res, struct slb_rpc_error *e)
{
	const struct siplbd_model *m = M(call);

	(void)params;
	(void)e;
	*res = siplbd_state_json(&m->state, true);
	add_str(*res, "file", m->published_from);
	add_str(*res, "state_file", m->state.path);
	return 0;
}

static int h_state_clear(const struct slb_rpc_call *call, json_object *params,
			 json_object **res, struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	uint32_t n = m->state.n + m->state.n_rules; /* backends, VIPs with rules */
	uint64_t t0 = siplbd_now_ns();
	char err[512];
	int rc;

	(void)params;
	if (config_budget(R(call), e))
		return -1;
	slb_log(SLB_LOG_NOTICE, "state.clear: %u overrides (uid %d, pid %d)", n,
		(int)peer_of(call).uid, (int)peer_of(call).pid);
	rc = siplbd_model_forget(m, err, sizeof(err));
	config_charge(R(call), t0);
	if (rc)
		return slb_rpc_fail(e, rc, NULL, "%s", err);
	*res = config_counts(m->published_from, &m->cfg);
	add_int(*res, "generation", (int64_t)siplbd_model_generation(m));
	add_int(*res, "forgotten", n);
	return 0;
}

/* ---- what is ------------------------------------------------------------------------- */

/* siplb-dp's lcores that read the maps now (slb_reader_live). */
static int64_t live_readers(const struct slb_maps *maps)
{
	uint64_t age;
	int64_t n = 0;

	for (int r = 0; r < SLB_MAX_LCORES; r++)
		n += slb_reader_live(maps, (unsigned)r, &age);
	return n;
}

static int h_status(const struct slb_rpc_call *call, json_object *params, json_object **res,
		    struct slb_rpc_error *e)
{
	const struct siplbd_model *m = M(call);
	json_object *o = json_object_new_object();
	int64_t up, n = n_backends(m, &up);

	(void)params;
	(void)e;
	add_str(o, "version", SLB_VERSION);
	add_int(o, "pid", getpid());
	add_int(o, "uptime_seconds",
		(int64_t)((siplbd_now_ns() - R(call)->started_ns) / 1000000000u));
	add_str(o, "config", m->config);
	if (strcmp(m->published_from, m->config)) /* a one-off config.reload FILE */
		add_str(o, "published_from", m->published_from);
	add_str(o, "state_file", m->state.path);
	add_int(o, "overrides", m->state.n);
	add_str(o, "bpffs", m->cfg.bpffs);
	add_int(o, "generation", (int64_t)siplbd_model_generation(m));
	add_int(o, "vips", m->cfg.n_vips);
	add_int(o, "pools", m->cfg.n_pools);
	add_int(o, "backends", n);
	add_int(o, "backends_up", up);
	add_int(o, "readers", live_readers(R(call)->maps));
	*res = o;
	return 0;
}

static int h_vip_list(const struct slb_rpc_call *call, json_object *params, json_object **res,
		      struct slb_rpc_error *e)
{
	const struct siplbd_model *m = M(call);
	const struct slb_lcore_stats *t = counters(R(call));
	json_object *list = json_object_new_array();
	char ep[SLB_ADDR_TEXT_LEN], addr[SLB_ADDR_TEXT_LEN];

	(void)params;
	(void)e;
	for (uint32_t i = 0; i < m->cfg.n_vips; i++) {
		const struct slb_config_vip *v = &m->cfg.vips[i];
		json_object *o = json_object_new_object();

		add_str(o, "name", v->name);
		add_str(o, "vip", slb_addr_format(&v->a, SLB_ADDR_ENDPOINT, ep, sizeof(ep)));
		add_str(o, "address", slb_addr_format(&v->a, SLB_ADDR_IP, addr, sizeof(addr)));
		add_int(o, "port", v->a.port);
		add_str(o, "mode", v->mode == SLB_MODE_DSR ? "dsr" : "proxy");
		add_str(o, "pool", m->cfg.pools[v->pool].name);
		/* A DSR VIP's requests are encapsulated, never rewritten: null. */
		json_object_object_add(o, "record_route", v->mode == SLB_MODE_DSR ? NULL :
				       json_object_new_boolean(v->record_route));
		add_int(o, "msgs", (int64_t)t->vip_rx[i].msgs);
		add_int(o, "bytes", (int64_t)t->vip_rx[i].bytes);
		json_object_array_add(list, o);
	}
	*res = object_with("vips", list);
	return 0;
}

static json_object *pool_json(const struct siplbd_model *m, uint32_t p)
{
	const struct slb_state *s = siplbd_model_state(m);
	json_object *o = json_object_new_object(), *vips = json_object_new_array();
	int64_t n = 0, up = 0, weight = 0;
	char seed[24];

	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++) {
		bool is_up = s->backends[id].state == SLB_BACKEND_UP;

		if (!m->backends[id].used || m->backends[id].pool != p)
			continue;
		n++;
		up += is_up;
		weight += is_up ? s->backends[id].weight : 0;
	}
	for (uint32_t i = 0; i < m->cfg.n_vips; i++)
		if (m->cfg.vips[i].pool == p)
			json_object_array_add(vips, json_object_new_string(m->cfg.vips[i].name));
	snprintf(seed, sizeof(seed), "0x%" PRIx64, m->cfg.pools[p].seed);
	add_str(o, "name", m->cfg.pools[p].name);
	add_str(o, "seed", seed);
	add_int(o, "table_size", s->pools[p].table_size);
	add_int(o, "backends", n);
	add_int(o, "up", up);
	add_int(o, "weight_total", weight);
	json_object_object_add(o, "vips", vips);
	if (m->cfg.pools[p].srv.name[0])
		add_str(o, "srv", m->cfg.pools[p].srv.name);
	return o;
}

static int h_pool_list(const struct slb_rpc_call *call, json_object *params, json_object **res,
		       struct slb_rpc_error *e)
{
	const struct siplbd_model *m = M(call);
	json_object *list = json_object_new_array();

	(void)params;
	(void)e;
	for (uint32_t p = 0; p < m->cfg.n_pools; p++)
		json_object_array_add(list, pool_json(m, p));
	*res = object_with("pools", list);
	return 0;
}

/* {"backends": [one(r, id)]}, by pool then id: of pool (all < 0), of the
 * probed pools only if probed. */
static json_object *by_pool(const struct siplbd_rpc *r, int64_t pool, bool probed,
			    json_object *(*one)(const struct siplbd_rpc *, uint32_t))
{
	const struct siplbd_model *m = r->model;
	json_object *list = json_object_new_array();

	for (uint32_t p = 0; p < m->cfg.n_pools; p++) {
		if ((pool >= 0 && p != pool) || (probed && !m->pools[p]->prober))
			continue;
		for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++)
			if (m->backends[id].used && m->backends[id].pool == p)
				json_object_array_add(list, one(r, id));
	}
	return object_with("backends", list);
}

static int h_backend_list(const struct slb_rpc_call *call, json_object *params,
			  json_object **res, struct slb_rpc_error *e)
{
	uint32_t pool = 0;
	int rc = pool_param(M(call), params, &pool, e);

	if (rc < 0)
		return -1;
	counters(R(call));
	*res = by_pool(R(call), rc ? -1 : (int64_t)pool, false, backend_json);
	return 0;
}

/* What only siplbd knows beside the maps' counters: each backend's
 * configured weight, and the state as backend.list shows it. */
static void add_model(const struct siplbd_model *m, json_object *stats)
{
	json_object *list = NULL, *id;

	json_object_object_get_ex(stats, "backends", &list);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *b = json_object_array_get_idx(list, i);
		int64_t n = json_object_object_get_ex(b, "id", &id) ? json_object_get_int64(id) : -1;

		if (n < 0 || n >= SLB_MAX_BACKENDS || !m->backends[n].used)
			continue;
		add_int(b, "weight", m->backends[n].weight);
		add_str(b, "state", siplbd_backend_state_text(m, (uint32_t)n));
	}
}

static int h_stats(const struct slb_rpc_call *call, json_object *params, json_object **res,
		   struct slb_rpc_error *e)
{
	(void)params;
	*res = siplbd_stats_json(R(call)->maps);
	if (!*res)
		return slb_rpc_fail(e, SLB_RPC_INTERNAL_ERROR, NULL,
				    "the XDP program's counters cannot be read");
	add_model(M(call), *res);
	return 0;
}

/* Microseconds as seconds, written exactly ("0.000167", not the nearest
 * double's 17 digits). */
static json_object *seconds_of_us(int64_t us)
{
	char text[32];

	snprintf(text, sizeof(text), "%lld.%06lld", (long long)(us / 1000000),
		 (long long)(us % 1000000));
	return json_object_new_double_s((double)us / 1e6, text);
}

/* A probed backend as its prober sees it (slb_health_status); one its
 * prober could not take has no probes and says why. */
static json_object *health_json(const struct siplbd_rpc *r, uint32_t id)
{
	const struct siplbd_backend *b = &r->model->backends[id];
	const struct slb_health_status *st = b->prober ? slb_health_status(b->prober, id) : NULL;
	json_object *o = json_object_new_object();
	char ep[SLB_ADDR_TEXT_LEN];

	add_str(o, "pool", b->pool_name);
	add_int(o, "id", id);
	add_str(o, "backend", slb_addr_format(&b->a, SLB_ADDR_ENDPOINT, ep, sizeof(ep)));
	add_str(o, "health", slb_backend_state_name(b->health));
	add_int(o, "since_seconds", st ? (int64_t)((siplbd_now_ns() - st->changed_ns) / 1000000000u)
				       : 0);
	json_object_object_add(o, "latency_seconds", st && st->rtt_us >= 0 ?
				       seconds_of_us(st->rtt_us) : NULL);
	json_object_object_add(o, "last_code", st && st->last_code ?
				       json_object_new_int(st->last_code) : NULL);
	add_int(o, "streak", st ? st->streak : 0);
	add_str(o, "reason", st ? st->reason : b->unprobed);
	add_int(o, "probes", st ? (int64_t)st->counters.sent : 0);
	add_int(o, "timeouts", st ? (int64_t)st->counters.timeouts : 0);
	add_int(o, "icmp", st ? (int64_t)st->counters.icmp : 0);
	return o;
}

static int h_health(const struct slb_rpc_call *call, json_object *params, json_object **res,
		    struct slb_rpc_error *e)
{
	(void)params;
	(void)e;
	*res = by_pool(R(call), -1, true, health_json);
	return 0;
}

/* ---- the socket ------------------------------------------------------------------------ */

static void rpc_log(void *ctx, const char *msg)
{
	(void)ctx;
	slb_log(SLB_LOG_WARNING, "control socket: %s", msg);
}

/* The socket's directory (/run/siplb), made if it is missing. */
static int make_dir(const char *path)
{
	char dir[SLB_CONFIG_SOCKET_LEN];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (!mkdir(dir, 0755) || errno == EEXIST)
		return 0;
	slb_log(SLB_LOG_ERR, "control socket %s: cannot make %s: %s", path, dir, strerror(errno));
	return -1;
}

static const struct slb_rpc_handlers handlers = {
	.status = h_status, .vip_list = h_vip_list, .pool_list = h_pool_list,
	.backend_list = h_backend_list, .backend_add = h_backend_add,
	.backend_remove = h_backend_remove, .backend_set = h_backend_set,
	.backend_drain = h_backend_drain, .backend_enable = h_backend_enable,
	.backend_disable = h_backend_disable, .config_validate = h_config_validate,
	.config_reload = h_config_reload, .config_diff = h_config_diff,
	.state_clear = h_state_clear, .stats = h_stats, .health = h_health,
};

_Static_assert(SLB_CONFIG_MAX_UIDS == SLB_RPC_MAX_ALLOWED_UIDS, "every allowed uid fits");

int siplbd_rpc_init(struct siplbd_rpc *r, struct siplbd_model *m, const struct slb_maps *maps,
		    char *err, size_t errlen)
{
	struct slb_rpc_handlers all = handlers;

	siplbd_rules_rpc_handlers(&all);
	siplbd_capture_rpc_handlers(&all);
	*r = (struct siplbd_rpc){.model = m, .maps = maps, .started_ns = siplbd_now_ns()};
	r->totals = calloc(1, sizeof(*r->totals));
	r->registry = slb_rpc_registry_new();
	if (r->totals && r->registry &&
	    !slb_rpc_register_siplbd(r->registry, &all, r, err, errlen))
		return 0;
	if (!r->totals || !r->registry)
		snprintf(err, errlen, "out of memory");
	siplbd_rpc_close(r);
	return -1;
}

int siplbd_rpc_open(struct siplbd_rpc *r, const struct slb_config_control *c)
{
	struct slb_rpc_server_config sc = {.path = c->socket, .mode = c->mode,
					   .n_allowed_uids = c->n_allow_uids, .log = rpc_log};
	char err[512];

	for (uint32_t i = 0; i < c->n_allow_uids; i++)
		sc.allowed_uids[i] = c->allow_uids[i];
	if (make_dir(c->socket))
		return -1;
	r->server = slb_rpc_server_open(&sc, r->registry, err, sizeof(err));
	if (r->server)
		return 0;
	slb_log(SLB_LOG_ERR, "control socket %s: %s", c->socket, err);
	return -1;
}

void siplbd_rpc_serve(struct siplbd_rpc *r)
{
	char err[256];

	if (!slb_rpc_server_process(r->server, err, sizeof(err)))
		return;
	slb_log(SLB_LOG_ERR, "control socket %s: %s; closed (restart siplbd for a new one)",
		r->model->cfg.control.socket, err);
	slb_rpc_server_close(r->server);
	r->server = NULL;
}

void siplbd_rpc_close(struct siplbd_rpc *r)
{
	if (r->server)
		slb_rpc_server_close(r->server);
	if (r->registry)
		slb_rpc_registry_free(r->registry);
	free(r->totals);
	*r = (struct siplbd_rpc){0};
}
