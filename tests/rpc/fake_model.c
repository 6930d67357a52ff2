/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fake model's methods (fake_model.h): what siplbd's handlers will do,
 * on an in-memory state, with the params and results of docs/siplbctl.md.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_model.h"
#include "siplb/metrics.h"
#include "siplb/sip_scan.h"

static const char *const admin_names[] = {"enabled", "draining", "disabled"};

/* ---- the model ---------------------------------------------------------------- */

/* The state the dataplane would see: the operator first, then health, then weight. */
static uint8_t state_of(const struct fake_backend *b)
{
	if (b->admin == FAKE_DISABLED)
		return SLB_BACKEND_DISABLED;
	if (b->health != SLB_BACKEND_UP)
		return b->health;
	return b->admin == FAKE_DRAINING || !b->weight ? SLB_BACKEND_DRAINING : SLB_BACKEND_UP;
}

/* The address without its port (the fakes keep the port apart). */
static bool same_addr(const struct slb_addr *x, const struct slb_addr *y)
{
	return x->family == y->family && !memcmp(x->v6, y->v6, 16);
}

static const char *endpoint(const struct slb_addr *a, uint16_t port, char *buf)
{
	struct slb_addr e = *a;

	e.port = port;
	return slb_addr_format(&e, SLB_ADDR_ENDPOINT, buf, SLB_ADDR_TEXT_LEN);
}

static int parse_backend(const char *s, struct slb_addr *a, uint16_t *port, char *err,
			 size_t errlen)
{
	int rc = slb_rpc_parse_backend(s, a, err, errlen);

	*port = a->port;
	return rc;
}

static int find_backend(const struct fake_model *m, uint32_t pool,
			const struct slb_addr *a, uint16_t port)
{
	for (int i = 0; i < SLB_MAX_BACKENDS; i++) {
		const struct fake_backend *b = &m->backends[i];

		if (b->used && b->pool == pool && b->port == port && same_addr(&b->a, a))
			return i;
	}
	return -1;
}

static int free_id(const struct fake_model *m)
{
	for (int i = 0; i < SLB_MAX_BACKENDS; i++)
		if (!m->backends[i].used)
			return i;
	return -1;
}

static void apply_pools(struct fake_model *m, const struct slb_config *c)
{
	m->n_pools = c->n_pools;
	for (uint32_t p = 0; p < c->n_pools; p++) {
		snprintf(m->pools[p].name, SLB_NAME_LEN, "%s", c->pools[p].name);
		m->pools[p].seed = c->pools[p].seed;
	}
	m->n_vips = c->n_vips;
	for (uint32_t i = 0; i < c->n_vips; i++) {
		const struct slb_config_vip *v = &c->vips[i];

		m->vips[i] = (struct fake_vip){.a = v->a, .port = v->a.port, .mode = v->mode,
					       .record_route = v->record_route, .pool = v->pool};
		snprintf(m->vips[i].name, SLB_NAME_LEN, "%s", v->name);
	}
}

/* Pool indexes change with the file: backends are matched by pool name. */
void fake_model_apply(struct fake_model *m, const struct slb_config *c)
{
	struct fake_backend old[SLB_MAX_BACKENDS];
	char old_pools[SLB_MAX_POOLS][SLB_NAME_LEN];

	memcpy(old, m->backends, sizeof(old));
	for (uint32_t p = 0; p < m->n_pools; p++)
		memcpy(old_pools[p], m->pools[p].name, SLB_NAME_LEN);
	memset(m->backends, 0, sizeof(m->backends));
	apply_pools(m, c);
	/* First the backends that stay, at their ids; then the new ones. */
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t p = 0; p < c->n_pools; p++)
			for (uint32_t j = 0; j < c->pools[p].n_backends; j++) {
				const struct slb_config_backend *cb = &c->pools[p].backends[j];
				int id = -1;

				for (int i = 0; i < SLB_MAX_BACKENDS && id < 0; i++)
					if (old[i].used && old[i].port == cb->a.port &&
					    same_addr(&old[i].a, &cb->a) &&
					    !strcmp(old_pools[old[i].pool], c->pools[p].name))
						id = i;
				if ((pass == 0) != (id >= 0) || (pass == 1 && (id = free_id(m)) < 0))
					continue;
				m->backends[id] = (struct fake_backend){
					.used = true, .pool = p, .a = cb->a, .port = cb->a.port,
					.weight = cb->weight, .priority = cb->priority,
					.admin = pass == 0 ? old[id].admin : FAKE_ENABLED,
					.health = pass == 0 && old[id].health ? old[id].health :
						  SLB_BACKEND_UP};
			}
	snprintf(m->bpffs, sizeof(m->bpffs), "%s", c->bpffs);
	m->table_size = c->table_size;
	m->n_ports = c->n_ports;
	if (!m->generation)
		m->started = time(NULL);
	m->generation++;
}

int fake_model_set_health(struct fake_model *m, const char *backend, uint8_t health)
{
	struct slb_addr a;
	uint16_t port;
	char err[256];
	int n = 0;

	if (parse_backend(backend, &a, &port, err, sizeof(err)))
		return -1;
	for (int i = 0; i < SLB_MAX_BACKENDS; i++)
		if (m->backends[i].used && m->backends[i].port == port &&
		    same_addr(&m->backends[i].a, &a)) {
			m->backends[i].health = health;
			n++;
		}
	return n ? 0 : -1;
}

/* ---- JSON of the model ------------------------------------------------------------ */

/* Made up, fixed: what the dataplane would have counted. */
static uint64_t fake_msgs(uint32_t i)
{
	return 100 * (uint64_t)(i + 1);
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static json_object *backend_json(const struct fake_model *m, int id)
{
	const struct fake_backend *b = &m->backends[id];
	json_object *o = json_object_new_object();
	char ep[SLB_ADDR_TEXT_LEN], addr[INET6_ADDRSTRLEN];

	add_int(o, "id", id);
	add_str(o, "pool", m->pools[b->pool].name);
	add_str(o, "backend", endpoint(&b->a, b->port, ep));
	add_str(o, "address", slb_addr_format(&b->a, SLB_ADDR_IP, addr, sizeof(addr)));
	add_int(o, "port", b->port);
	add_int(o, "weight", b->weight);
	add_int(o, "priority", b->priority);
	add_str(o, "state", slb_backend_state_name(state_of(b)));
	add_str(o, "admin", admin_names[b->admin]);
	add_str(o, "health", slb_backend_state_name(b->health));
	add_int(o, "msgs", (int64_t)fake_msgs((uint32_t)id));
	add_int(o, "bytes", (int64_t)fake_msgs((uint32_t)id) * 500);
	return o;
}

static json_object *vip_json(const struct fake_model *m, uint32_t i)
{
	const struct fake_vip *v = &m->vips[i];
	json_object *o = json_object_new_object();
	char ep[SLB_ADDR_TEXT_LEN], addr[INET6_ADDRSTRLEN];

	add_str(o, "name", v->name);
	add_str(o, "vip", endpoint(&v->a, v->port, ep));
	add_str(o, "address", slb_addr_format(&v->a, SLB_ADDR_IP, addr, sizeof(addr)));
	add_int(o, "port", v->port);
	add_str(o, "mode", v->mode == SLB_MODE_DSR ? "dsr" : "proxy");
	add_str(o, "pool", m->pools[v->pool].name);
	json_object_object_add(o, "record_route", json_object_new_boolean(v->record_route));
	add_int(o, "msgs", (int64_t)fake_msgs(i) * 10);
	add_int(o, "bytes", (int64_t)fake_msgs(i) * 5000);
	return o;
}

static json_object *pool_json(const struct fake_model *m, uint32_t p)
{
	json_object *o = json_object_new_object(), *vips = json_object_new_array();
	int64_t n = 0, up = 0, weight = 0;
	char seed[24];

	for (int i = 0; i < SLB_MAX_BACKENDS; i++) {
		const struct fake_backend *b = &m->backends[i];

		if (!b->used || b->pool != p)
			continue;
		n++;
		up += state_of(b) == SLB_BACKEND_UP;
		weight += state_of(b) == SLB_BACKEND_UP ? b->weight : 0;
	}
	for (uint32_t i = 0; i < m->n_vips; i++)
		if (m->vips[i].pool == p)
			json_object_array_add(vips, json_object_new_string(m->vips[i].name));
	snprintf(seed, sizeof(seed), "0x%" PRIx64, m->pools[p].seed);
	add_str(o, "name", m->pools[p].name);
	add_str(o, "seed", seed);
	add_int(o, "table_size", up ? m->table_size : 0);
	add_int(o, "backends", n);
	add_int(o, "up", up);
	add_int(o, "weight_total", weight);
	json_object_object_add(o, "vips", vips);
	return o;
}

/* ---- lookups that fail with the reason ---------------------------------------------- */

static int pool_param(const struct fake_model *m, json_object *params, uint32_t *pool,
		      struct slb_rpc_error *e)
{
	json_object *v;
	const char *name;

	if (!json_object_object_get_ex(params, "pool", &v))
		return 1; /* absent: all pools */
	name = json_object_get_string(v);
	for (uint32_t p = 0; p < m->n_pools; p++)
		if (!strcmp(m->pools[p].name, name)) {
			*pool = p;
			return 0;
		}
	return slb_rpc_fail(e, SLB_RPC_NOT_FOUND, "pool", "no pool '%.64s' (pool.list lists them)",
			    name);
}

/* The backend params: its pool, address and port, and its id if it exists. */
struct target {
	uint32_t pool;
	struct slb_addr a;
	uint16_t port;
	int id;
};

static int target_param(const struct fake_model *m, json_object *params, struct target *t,
			struct slb_rpc_error *e)
{
	json_object *v;
	char err[256];

	if (pool_param(m, params, &t->pool, e))
		return -1;
	json_object_object_get_ex(params, "backend", &v);
	if (parse_backend(json_object_get_string(v), &t->a, &t->port, err, sizeof(err)))
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "backend", "%s", err);
	t->id = find_backend(m, t->pool, &t->a, t->port);
	return 0;
}

static int existing(const struct fake_model *m, json_object *params, struct target *t,
		    struct slb_rpc_error *e)
{
	char ep[SLB_ADDR_TEXT_LEN];

	if (target_param(m, params, t, e))
		return -1;
	if (t->id < 0)
		return slb_rpc_fail(e, SLB_RPC_NOT_FOUND, "backend", "no backend %s in pool %s",
				    endpoint(&t->a, t->port, ep),
				    m->pools[t->pool].name);
	return 0;
}

static bool get_int(json_object *params, const char *k, int64_t *v)
{
	json_object *o;

	if (!json_object_object_get_ex(params, k, &o))
		return false;
	*v = json_object_get_int64(o);
	return true;
}

/* ---- handlers ------------------------------------------------------------------------ */

#define MODEL(call) ((struct fake_model *)(call)->ctx)

static int h_status(const struct slb_rpc_call *call, json_object *params, json_object **res,
		    struct slb_rpc_error *e)
{
	const struct fake_model *m = MODEL(call);
	json_object *o = json_object_new_object();
	int64_t n = 0, up = 0;

	(void)params;
	(void)e;
	for (int i = 0; i < SLB_MAX_BACKENDS; i++) {
		n += m->backends[i].used;
		up += m->backends[i].used && state_of(&m->backends[i]) == SLB_BACKEND_UP;
	}
	add_str(o, "version", "0.1.0");
	add_int(o, "pid", getpid());
	add_int(o, "uptime_seconds", (int64_t)(time(NULL) - m->started));
	add_str(o, "config", m->config);
	add_str(o, "bpffs", m->bpffs);
	add_int(o, "generation", (int64_t)m->generation);
	add_int(o, "vips", m->n_vips);
	add_int(o, "pools", m->n_pools);
	add_int(o, "backends", n);
	add_int(o, "backends_up", up);
	add_int(o, "readers", 0); /* siplb-dp lcores reading the maps: none here */
	*res = o;
	return 0;
}

static int h_vip_list(const struct slb_rpc_call *call, json_object *params, json_object **res,
		      struct slb_rpc_error *e)
{
	const struct fake_model *m = MODEL(call);
	json_object *list = json_object_new_array();

	(void)params;
	(void)e;
	for (uint32_t i = 0; i < m->n_vips; i++)
		json_object_array_add(list, vip_json(m, i));
	*res = json_object_new_object();
	json_object_object_add(*res, "vips", list);
	return 0;
}

static int h_pool_list(const struct slb_rpc_call *call, json_object *params, json_object **res,
		       struct slb_rpc_error *e)
{
	const struct fake_model *m = MODEL(call);
	json_object *list = json_object_new_array();

	(void)params;
	(void)e;
	for (uint32_t p = 0; p < m->n_pools; p++)
		json_object_array_add(list, pool_json(m, p));
	*res = json_object_new_object();
	json_object_object_add(*res, "pools", list);
	return 0;
}

/* Backends by pool, then id: the order an operator reads a pool in. */
static json_object *backends_json(const struct fake_model *m, bool all, uint32_t pool,
				  json_object *(*one)(const struct fake_model *, int))
{
	json_object *list = json_object_new_array(), *o = json_object_new_object();

	for (uint32_t p = 0; p < m->n_pools; p++)
		for (int i = 0; i < SLB_MAX_BACKENDS; i++)
			if (m->backends[i].used && m->backends[i].pool == p && (all || p == pool))
				json_object_array_add(list, one(m, i));
	json_object_object_add(o, "backends", list);
	return o;
}

static int h_backend_list(const struct slb_rpc_call *call, json_object *params,
			  json_object **res, struct slb_rpc_error *e)
{
	const struct fake_model *m = MODEL(call);
	uint32_t pool = 0;
	int rc = pool_param(m, params, &pool, e);

	if (rc < 0)
		return -1;
	*res = backends_json(m, rc == 1, pool, backend_json);
	return 0;
}

/* The rules the configuration enforces, for a backend added at run time. */
static int check_add(const struct fake_model *m, const struct target *t, int64_t weight,
		     struct slb_rpc_error *e)
{
	uint32_t n = 0, weighted = weight > 0;

	for (int i = 0; i < SLB_MAX_BACKENDS; i++) {
		n += m->backends[i].used;
		weighted += m->backends[i].used && m->backends[i].pool == t->pool &&
			    m->backends[i].weight > 0;
	}
	for (uint32_t i = 0; i < m->n_vips; i++)
		if (m->vips[i].pool == t->pool && m->vips[i].a.family != t->a.family)
			return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "backend",
					    "pool %s serves IPv%c VIPs: an IPv%c backend expected",
					    m->pools[t->pool].name,
					    m->vips[i].a.family == AF_INET ? '4' : '6',
					    m->vips[i].a.family == AF_INET ? '4' : '6');
	if (n >= SLB_MAX_BACKENDS)
		return slb_rpc_fail(e, SLB_RPC_LIMIT, NULL, "%d backends already: the most siplb "
				    "holds", SLB_MAX_BACKENDS);
	if (m->table_size && weighted >= m->table_size)
		return slb_rpc_fail(e, SLB_RPC_LIMIT, NULL, "pool %s: %u backends with a weight "
				    "would not fit a Maglev table of %u", m->pools[t->pool].name,
				    weighted, m->table_size);
	return 0;
}

static int h_backend_add(const struct slb_rpc_call *call, json_object *params,
			 json_object **res, struct slb_rpc_error *e)
{
	struct fake_model *m = MODEL(call);
	int64_t weight = 1, priority = 0;
	struct target t;
	char ep[SLB_ADDR_TEXT_LEN];

	if (target_param(m, params, &t, e))
		return -1;
	if (t.id >= 0)
		return slb_rpc_fail(e, SLB_RPC_EXISTS, "backend", "pool %s has backend %s already "
				    "(id %d): backend.set changes it", m->pools[t.pool].name,
				    endpoint(&t.a, t.port, ep), t.id);
	get_int(params, "weight", &weight);
	get_int(params, "priority", &priority);
	if (check_add(m, &t, weight, e))
		return -1;
	t.id = free_id(m);
	m->backends[t.id] = (struct fake_backend){
		.used = true, .pool = t.pool, .a = t.a, .port = t.port, .weight = (uint16_t)weight,
		.priority = (uint16_t)priority, .admin = FAKE_ENABLED, .health = SLB_BACKEND_UP};
	m->generation++;
	*res = backend_json(m, t.id);
	return 0;
}

static int h_backend_remove(const struct slb_rpc_call *call, json_object *params,
			    json_object **res, struct slb_rpc_error *e)
{
	struct fake_model *m = MODEL(call);
	struct target t;

	if (existing(m, params, &t, e))
		return -1;
	*res = backend_json(m, t.id);
	m->backends[t.id].used = false;
	m->generation++;
	return 0;
}

static int h_backend_set(const struct slb_rpc_call *call, json_object *params,
			 json_object **res, struct slb_rpc_error *e)
{
	struct fake_model *m = MODEL(call);
	int64_t weight, priority;
	bool w, p;
	struct target t;

	if (existing(m, params, &t, e))
		return -1;
	w = get_int(params, "weight", &weight);
	p = get_int(params, "priority", &priority);
	if (!w && !p)
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, NULL,
				    "nothing to set: give weight and/or priority");
	if (w)
		m->backends[t.id].weight = (uint16_t)weight;
	if (p)
		m->backends[t.id].priority = (uint16_t)priority;
	m->generation++;
	*res = backend_json(m, t.id);
	return 0;
}

/* drain, enable, disable: the operator's say over a backend. */
static int set_admin(const struct slb_rpc_call *call, json_object *params, json_object **res,
		     struct slb_rpc_error *e, enum fake_admin admin)
{
	struct fake_model *m = MODEL(call);
	struct target t;

	if (existing(m, params, &t, e))
		return -1;
	m->backends[t.id].admin = admin;
	m->generation++;
	*res = backend_json(m, t.id);
	return 0;
}

static int h_backend_drain(const struct slb_rpc_call *call, json_object *params,
			   json_object **res, struct slb_rpc_error *e)
{
	return set_admin(call, params, res, e, FAKE_DRAINING);
}

static int h_backend_enable(const struct slb_rpc_call *call, json_object *params,
			    json_object **res, struct slb_rpc_error *e)
{
	return set_admin(call, params, res, e, FAKE_ENABLED);
}

static int h_backend_disable(const struct slb_rpc_call *call, json_object *params,
			     json_object **res, struct slb_rpc_error *e)
{
	return set_admin(call, params, res, e, FAKE_DISABLED);
}

static json_object *counter(uint64_t msgs, uint64_t bytes)
{
	json_object *o = json_object_new_object();

	add_int(o, "msgs", (int64_t)msgs);
	add_int(o, "bytes", (int64_t)bytes);
	return o;
}

static json_object *stats_backend(const struct fake_model *m, int id)
{
	json_object *o = backend_json(m, id);

	/* siplbd --stats --json has these members of a backend, no more */
	json_object_object_del(o, "backend");
	json_object_object_del(o, "priority");
	json_object_object_del(o, "admin");
	json_object_object_del(o, "health");
	return o;
}

static json_object *stats_vip(const struct fake_model *m, uint32_t i)
{
	json_object *o = vip_json(m, i);

	json_object_object_del(o, "vip");
	json_object_object_del(o, "mode");
	json_object_object_del(o, "pool");
	json_object_object_del(o, "record_route");
	return o;
}

/* The totals siplbd --stats --json prints after VIPs and backends. */
static void stats_totals(json_object *o)
{
	json_object *drops = json_object_new_object(), *replies = json_object_new_object();
	json_object *malformed = json_object_new_object();

	json_object_object_add(o, "responses", counter(900, 450000));
	json_object_object_add(o, "in_dialog", counter(300, 150000));
	for (unsigned i = 0; i < SLB_DROP_COUNT; i++)
		add_int(drops, slb_drop_name(i), i);
	json_object_object_add(o, "drops", drops);
	add_int(replies, "483", 1);
	add_int(replies, "503", 2);
	json_object_object_add(o, "replies", replies);
	for (int i = SLB_SIP_OK + 1; i < SLB_SIP_REASON_COUNT; i++)
		add_int(malformed, slb_sip_reason_name((enum slb_sip_reason)i), i);
	json_object_object_add(o, "malformed", malformed);
	add_int(o, "keepalives", 7);
}

static int h_stats(const struct slb_rpc_call *call, json_object *params, json_object **res,
		   struct slb_rpc_error *e)
{
	const struct fake_model *m = MODEL(call);
	json_object *o = json_object_new_object(), *vips = json_object_new_array(), *bs;

	(void)params;
	(void)e;
	add_int(o, "generation", (int64_t)m->generation);
	for (uint32_t i = 0; i < m->n_vips; i++)
		json_object_array_add(vips, stats_vip(m, i));
	json_object_object_add(o, "vips", vips);
	bs = backends_json(m, true, 0, stats_backend);
	json_object_object_add(o, "backends", json_object_get(json_object_object_get(bs,
									       "backends")));
	json_object_put(bs);
	stats_totals(o);
	*res = o;
	return 0;
}

/* What the prober (slb_health_status) would report: an up backend answers
 * 200 in id+1 ms, a down one has timed out three times. */
static json_object *health_json(const struct fake_model *m, int id)
{
	const struct fake_backend *b = &m->backends[id];
	json_object *o = json_object_new_object();
	char ep[SLB_ADDR_TEXT_LEN];
	bool down = b->health == SLB_BACKEND_DOWN;

	add_str(o, "pool", m->pools[b->pool].name);
	add_int(o, "id", id);
	add_str(o, "backend", endpoint(&b->a, b->port, ep));
	add_str(o, "health", slb_backend_state_name(b->health));
	json_object_object_add(o, "latency_seconds",
			       down ? NULL : json_object_new_double(0.001 * (id + 1)));
	json_object_object_add(o, "last_code", down ? NULL : json_object_new_int(200));
	add_int(o, "streak", down ? 3 : 0);
	add_int(o, "since_seconds", down ? 15 : 3725);
	add_str(o, "reason", down ? "3 timeouts" : "200 OK x2");
	add_int(o, "probes", 10);
	add_int(o, "timeouts", down ? 3 : 0);
	add_int(o, "icmp", 0);
	return o;
}

static int h_health(const struct slb_rpc_call *call, json_object *params, json_object **res,
		    struct slb_rpc_error *e)
{
	(void)params;
	(void)e;
	*res = backends_json(MODEL(call), true, 0, health_json);
	return 0;
}

void fake_handlers(struct slb_rpc_handlers *h)
{
	h->status = h_status;
	h->vip_list = h_vip_list;
	h->pool_list = h_pool_list;
	h->backend_list = h_backend_list;
	h->backend_add = h_backend_add;
	h->backend_remove = h_backend_remove;
	h->backend_set = h_backend_set;
	h->backend_drain = h_backend_drain;
	h->backend_enable = h_backend_enable;
	h->backend_disable = h_backend_disable;
	h->stats = h_stats;
	h->health = h_health;
}
