/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's pools at run time (docs/siplbd.md, "Backend states"): a prober
 * per probed pool, a resolver per SRV pool, and per backend the operator's
 * state, the health checks' and passive health's memory. Every generation
 * is built from them:
 *
 *   state  = disabled if the operator says so, else down/probing if the
 *            health checks say so, else draining if the operator says so,
 *            else up (also when the pool is not probed);
 *   weight = slb_srv_select over the live (up) backends: the lowest
 *            priority with one takes traffic, with the configured (or the
 *            SRV record's) weights; publish turns up + weight 0 into
 *            draining, so only those get Maglev slots.
 *
 * A change of the file (reload), of the operator's mind (RPC), of a
 * backend's health or of an SRV answer publishes one generation. Reloads
 * are staged: new probers and resolvers are made, the generation is
 * published, and only then do they replace the old ones; a failure on the
 * way leaves everything as it was.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>

#include "siplb/log.h"
#include "siplb/publish.h"
#include "siplb/rpc.h" /* its SLB_RPC_* codes: what a reload returns */
#include "siplbd_model.h"

/* A live reader that has not moved on in this long is stuck, not slow. */
#define PUBLISH_MAX_WAIT_NS (10 * 1000000000ULL)

/* What a generation is built from: a configuration and, per pool, its
 * runtime (an SRV pool's targets) and its prober (NULL: not probed); the
 * health a backend new in it has in a probed pool. */
struct view {
	const struct slb_config *cfg;
	struct siplbd_pool *const *rt;
	struct slb_health *const *prober;
	enum slb_backend_state fresh;   /* UP, or PROBING (backend.add) */
};

/* A reload (or the start) before it is committed. */
struct staging {
	struct slb_config cfg;
	struct siplbd_pool *rt[SLB_MAX_POOLS];
	struct slb_health *prober[SLB_MAX_POOLS];
	bool fresh_rt[SLB_MAX_POOLS], fresh_prober[SLB_MAX_POOLS]; /* made here */
};

static bool same_key(const struct siplbd_backend *x, const struct siplbd_backend *y)
{
	return !slb_addr_cmp(&x->a, &y->a) &&
	       !strncmp(x->pool_name, y->pool_name, SLB_NAME_LEN);
}

static const char *endpoint_of(const struct siplbd_backend *b, char *buf)
{
	return slb_addr_format(&b->a, SLB_ADDR_ENDPOINT, buf, SLB_ADDR_TEXT_LEN);
}

/* Something the next generation must show: noted as the reason of the
 * next publish ("backend 3 down", "and more" after the first). */
__attribute__((format(printf, 2, 3)))
static void changed(struct siplbd_model *m, const char *fmt, ...)
{
	size_t n = strlen(m->why);
	va_list ap;

	m->dirty = true;
	if (n && !strstr(m->why, ", and more"))
		snprintf(m->why + n, sizeof(m->why) - n, ", and more");
	if (n)
		return;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
}

/* The backend (pool, a) of the active generation, or NULL. */
static const struct siplbd_backend *known(const struct siplbd_model *m, const char *pool,
					  const struct slb_addr *a)
{
	for (uint32_t i = 0; i < SLB_MAX_BACKENDS; i++) {
		const struct siplbd_backend *b = &m->backends[i];

		if (b->used && !slb_addr_cmp(&b->a, a) &&
		    !strncmp(b->pool_name, pool, SLB_NAME_LEN))
			return b;
	}
	return NULL;
}

int siplbd_find_backend(const struct siplbd_model *m, uint32_t p, const struct slb_addr *a)
{
	const struct siplbd_backend *b = known(m, m->cfg.pools[p].name, a);

	return b ? (int)(b - m->backends) : -1;
}

static enum slb_backend_state effective(enum siplbd_admin admin, enum slb_backend_state health)
{
	if (admin == SIPLBD_DISABLED)
		return SLB_BACKEND_DISABLED;
	if (health != SLB_BACKEND_UP)
		return health;
	return admin == SIPLBD_DRAINING ? SLB_BACKEND_DRAINING : SLB_BACKEND_UP;
}

enum slb_backend_state siplbd_backend_state(const struct siplbd_model *m, uint32_t id)
{
	return (enum slb_backend_state)siplbd_model_state(m)->backends[id].state;
}

bool siplbd_backend_standby(const struct siplbd_model *m, uint32_t id)
{
	return siplbd_model_state(m)->backends[id].flags & SLB_BACKEND_F_STANDBY;
}

const char *siplbd_backend_state_text(const struct siplbd_model *m, uint32_t id)
{
	return slb_backend_shown_state(&siplbd_model_state(m)->backends[id]);
}

uint64_t siplbd_model_generation(const struct siplbd_model *m)
{
	return slb_generation(m->maps);
}

const struct slb_state *siplbd_model_state(const struct siplbd_model *m)
{
	return slb_state_of(m->maps, siplbd_model_generation(m));
}

/* ---- building a generation -------------------------------------------------- */

static struct slb_config_backend backend_of_target(const struct slb_srv_target *t)
{
	return (struct slb_config_backend){.a = t->a, .weight = t->weight,
					   .priority = t->priority};
}

/* A static backend as an SRV record of its own, for slb_srv_select. */
static struct slb_srv_target record_of_backend(const struct slb_config_backend *be, uint32_t j)
{
	return (struct slb_srv_target){.priority = be->priority, .weight = be->weight,
				       .a = be->a, .record = j};
}

/*
 * Pool p of v as published into out: its backends (an SRV pool's targets)
 * with the weights slb_srv_select gives the live ones, and their states.
 * A static backend of weight 0 is draining, so not live: only SRV records
 * of weight 0 share when their whole group has no weight (RFC 2782).
 */
static int build_pool(const struct siplbd_model *m, const struct view *v, uint32_t p,
		      struct slb_config_pool *out, enum slb_backend_state *states)
{
	const struct slb_config_pool *cp = &v->cfg->pools[p];
	const struct siplbd_pool *rt = v->rt[p];
	bool srv = cp->srv.name[0] != 0;
	uint32_t n = srv ? rt->n_targets : cp->n_backends;
	struct slb_srv_target *t = calloc(n + 1, sizeof(*t));
	bool *live = calloc(n + 1, sizeof(*live));
	uint16_t *w = calloc(n + 1, sizeof(*w));

	*out = *cp;
	out->backends = calloc(n + 1, sizeof(*out->backends));
	out->n_backends = n;
	if (!t || !live || !w || !out->backends) {
		free(t), free(live), free(w), free(out->backends);
		return -1;
	}
	for (uint32_t j = 0; j < n; j++) {
		struct slb_config_backend *be = &out->backends[j];
		const struct siplbd_backend *k;

		*be = srv ? backend_of_target(&rt->targets[j]) : cp->backends[j];
		t[j] = srv ? rt->targets[j] : record_of_backend(be, j);
		k = known(m, cp->name, &be->a);
		states[j] = effective(siplbd_state_admin(&m->state, cp->name, &be->a),
				      !v->prober[p] ? SLB_BACKEND_UP : k ? k->health : v->fresh);
		live[j] = states[j] == SLB_BACKEND_UP && (srv || be->weight > 0);
	}
	slb_srv_select(t, n, live, w);
	for (uint32_t j = 0; j < n; j++) {
		out->backends[j].weight = w[j];
		out->backends[j].standby = live[j] && !w[j];
	}
	free(t), free(live), free(w);
	return 0;
}

static void free_built(struct slb_config *pub)
{
	for (uint32_t p = 0; pub->pools && p < pub->n_pools; p++)
		free(pub->pools[p].backends);
	free(pub->pools);
	pub->pools = NULL;
}

/* v as the configuration publish takes (sharing v->cfg's VIPs and
 * settings), and the states of its backends. */
static int build(const struct siplbd_model *m, const struct view *v, struct slb_config *pub,
		 enum slb_backend_state **states, char *err, size_t errlen)
{
	uint32_t total = 0, k = 0;

	*pub = *v->cfg;
	for (uint32_t p = 0; p < v->cfg->n_pools; p++)
		total += v->cfg->pools[p].srv.name[0] ? v->rt[p]->n_targets
						      : v->cfg->pools[p].n_backends;
	pub->pools = calloc(v->cfg->n_pools + 1, sizeof(*pub->pools));
	*states = calloc(total + 1, sizeof(**states));
	if (!pub->pools || !*states)
		pub->n_pools = 0;
	for (uint32_t p = 0; p < pub->n_pools; p++) {
		if (build_pool(m, v, p, &pub->pools[p], *states + k)) {
			pub->n_pools = p;
			break;
		}
		k += pub->pools[p].n_backends;
	}
	if (pub->pools && *states && pub->n_pools == v->cfg->n_pools)
		return 0;
	snprintf(err, errlen, "out of memory");
	free_built(pub);
	free(*states);
	return -1;
}

/* Builds and publishes v's generation into *pub (free it with free_built;
 * on failure there is nothing to free). */
static int publish_view(struct siplbd_model *m, const struct view *v, struct slb_config *pub,
			struct slb_publish_report *rep, char *err, size_t errlen)
{
	enum slb_backend_state *states;
	int rc;

	if (build(m, v, pub, &states, err, errlen))
		return -1;
	rc = slb_publish(m->maps, pub, states, PUBLISH_MAX_WAIT_NS, rep, err, errlen);
	free(states);
	if (rc)
		free_built(pub);
	else
		m->build_seconds = (double)rep->build_ns / 1e9;
	return rc;
}

/* ---- after a publish: the backends by their new ids, their probes ----------- */

/* The id pool p's backend be got in the generation just published. */
static uint32_t id_of(const struct slb_state *s, uint32_t p, const struct slb_config_backend *be)
{
	uint32_t i = 0;

	while (i < s->n_backends && (s->backends[i].state == SLB_BACKEND_UNUSED ||
				     s->backends[i].pool != p ||
				     !slb_backend_is(&s->backends[i], &be->a)))
		i++;
	return i;
}

/*
 * Makes id a target of its pool's prober h, starting up, down or probing
 * as it is (a new prober keeps what the old one knew). A backend the
 * prober cannot take (no route to it, say) counts as down until it can:
 * tried again every second, logged when the reason changes.
 */
static void probe(struct siplbd_model *m, struct slb_health *h, uint32_t id)
{
	struct siplbd_backend *b = &m->backends[id];
	struct slb_health_target t = {.id = id, .a = b->a};
	char err[SLB_HEALTH_REASON_LEN], e[SLB_ADDR_TEXT_LEN];

	if (!slb_health_add(h, &t, b->health, err, sizeof(err))) {
		b->prober = h;
		b->unprobed[0] = 0;
		return;
	}
	if (strcmp(b->unprobed, err))
		slb_log(SLB_LOG_WARNING, "backend cannot be probed, down until it can (tried every "
			"second): pool=%s backend=%s id=%u reason=\"%s\"", b->pool_name,
			endpoint_of(b, e), id, err);
	snprintf(b->unprobed, sizeof(b->unprobed), "%s", err);
	if (b->health != SLB_BACKEND_DOWN)
		changed(m, "backend %u down (cannot be probed)", id);
	b->health = SLB_BACKEND_DOWN;
}

/* m->backends from the generation pub just published: what was known of a
 * backend with the same key (the same id) stays, new ones are enabled and,
 * in a probed pool, fresh (UP, or PROBING: added by the operator). */
static void take_ids(struct siplbd_model *m, const struct view *v, const struct slb_config *pub,
		     const struct siplbd_backend *old, enum slb_backend_state fresh)
{
	const struct slb_state *s = siplbd_model_state(m);

	memset(m->backends, 0, SLB_MAX_BACKENDS * sizeof(*m->backends));
	for (uint32_t p = 0; p < pub->n_pools; p++) {
		const struct slb_config_pool *cp = &v->cfg->pools[p];

		for (uint32_t j = 0; j < pub->pools[p].n_backends; j++) {
			const struct slb_config_backend *be = &pub->pools[p].backends[j];
			uint32_t id = id_of(s, p, be);
			struct siplbd_backend *b = &m->backends[id];

			*b = (struct siplbd_backend){.used = true, .pool = p, .a = be->a,
						     .health = fresh};
			memcpy(b->pool_name, cp->name, SLB_NAME_LEN);
			if (old[id].used && same_key(&old[id], b)) {
				*b = old[id];
				b->pool = p;
			}
			b->admin = siplbd_state_admin(&m->state, cp->name, &be->a);
			b->weight = cp->srv.name[0] ? v->rt[p]->targets[j].weight : cp->backends[j].weight;
			b->priority = cp->srv.name[0] ? v->rt[p]->targets[j].priority
						      : cp->backends[j].priority;
			if (!v->prober[p])
				b->health = SLB_BACKEND_UP;
		}
	}
}

/* Targets follow the backends: gone ones, or ones whose pool has another
 * prober now, leave their old prober; the others join their pool's. */
static void sync_probes(struct siplbd_model *m, const struct view *v,
			const struct siplbd_backend *old)
{
	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++) {
		struct siplbd_backend *b = &m->backends[id];
		struct slb_health *h = b->used ? v->prober[b->pool] : NULL;
		bool same = b->used && old[id].used && same_key(&old[id], b);

		if (old[id].prober && (!same || old[id].prober != h))
			slb_health_remove(old[id].prober, id);
		if (b->prober != h)
			b->prober = NULL;
		if (!h)
			b->unprobed[0] = 0;
	}
	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++) {
		struct siplbd_backend *b = &m->backends[id];

		if (b->used && v->prober[b->pool] && !b->prober)
			probe(m, v->prober[b->pool], id);
	}
}

static void adopt(struct siplbd_model *m, const struct view *v, const struct slb_config *pub,
		  const struct siplbd_backend *old, enum slb_backend_state fresh)
{
	m->dirty = false;
	m->why[0] = 0;
	take_ids(m, v, pub, old, fresh);
	sync_probes(m, v, old);
}

/* ---- what a publish logs ------------------------------------------------------- */

/* "backend up: pool=core backend=192.0.2.21:5060 id=0 weight=50 priority=0
 * effective_weight=50 admin=enabled health=up": what was published, then what
 * was configured. */
static void log_backend(const struct siplbd_model *m, uint32_t id, const struct slb_backend *sb)
{
	const struct siplbd_backend *b = &m->backends[id];
	char e[SLB_ADDR_TEXT_LEN];

	slb_log(SLB_LOG_INFO, "backend %s: pool=%s backend=%s id=%u weight=%u priority=%u "
		"effective_weight=%u admin=%s health=%s", siplbd_backend_state_text(m, id),
		b->pool_name, endpoint_of(b, e), id, b->weight, b->priority, sb->weight,
		siplbd_admin_name(b->admin), slb_backend_state_name(b->health));
}

/* What the XDP program does besides steering: DSR encapsulation, flood caps. */
static void log_xdp_settings(const struct slb_config *c)
{
	char a4[SLB_ADDR_TEXT_LEN] = "-", a6[SLB_ADDR_TEXT_LEN] = "-";
	bool dsr = false;

	for (uint32_t i = 0; i < c->n_vips; i++)
		dsr |= c->vips[i].mode == SLB_MODE_DSR;
	if (c->dsr.src4.family)
		slb_addr_format(&c->dsr.src4, SLB_ADDR_IP, a4, sizeof(a4));
	if (c->dsr.src6.family)
		slb_addr_format(&c->dsr.src6, SLB_ADDR_IP, a6, sizeof(a6));
	if (dsr && c->dsr.encap == SLB_ENCAP_GUE)
		slb_log(SLB_LOG_INFO, "dsr source %s source6 %s encap gue port %u", a4, a6,
			c->dsr.gue_port);
	else if (dsr)
		slb_log(SLB_LOG_INFO, "dsr source %s source6 %s encap ipip", a4, a6);
	slb_log(SLB_LOG_INFO, "flood source_rate %u burst %u, blocklist %u prefixes",
		c->flood.source_rate, c->flood.source_burst, c->flood.n_blocklist);
}

/* Every VIP, pool and backend of the generation, the XDP program's
 * settings (start, reload). */
static void log_all(const struct siplbd_model *m, const struct slb_state *s)
{
	const struct slb_config *c = &m->cfg;
	char e[SLB_ADDR_TEXT_LEN], rate[48] = "";

	for (uint32_t i = 0; i < c->n_vips; i++) {
		const struct slb_config_vip *v = &c->vips[i];
		struct slb_addr sa = SLB_STATE_ADDR(&s->vips[i]);

		if (v->rate)
			snprintf(rate, sizeof(rate), " rate %u burst %u", v->rate, v->burst);
		slb_log(SLB_LOG_INFO, "vip %s %s %s pool %s record_route %s%s", v->name,
			slb_addr_format(&sa, SLB_ADDR_ENDPOINT, e, sizeof(e)),
			v->mode == SLB_MODE_DSR ? "dsr (XDP)" : "proxy", c->pools[v->pool].name,
			v->record_route ? "on" : "off", rate);
		rate[0] = 0;
	}
	for (uint32_t p = 0; p < c->n_pools; p++) {
		const struct slb_config_pool *cp = &c->pools[p];

		slb_log(SLB_LOG_INFO, "pool %s seed 0x%" PRIx64 " table_size %u at %u%s%s%s%s",
			cp->name, cp->seed, s->pools[p].table_size, s->pools[p].table_off,
			cp->srv.name[0] ? " srv " : "", cp->srv.name, cp->probing ? ", probed" : "",
			cp->passive ? ", passive" : "");
		for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++)
			if (m->backends[id].used && m->backends[id].pool == p)
				log_backend(m, id, &s->backends[id]);
	}
	log_xdp_settings(c);
}

/* The backends whose published state or weight changed (other publishes). */
static void log_changes(const struct siplbd_model *m, const struct slb_state *was,
			const struct slb_state *s)
{
	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++) {
		const struct slb_backend *a = &was->backends[id], *b = &s->backends[id];
		bool in_a = id < was->n_backends && a->state != SLB_BACKEND_UNUSED;
		bool in_b = id < s->n_backends && b->state != SLB_BACKEND_UNUSED;
		struct slb_addr addr = SLB_STATE_ADDR(a);
		char e[SLB_ADDR_TEXT_LEN];

		if (in_a && !in_b)
			slb_log(SLB_LOG_NOTICE, "backend removed: backend=%s id=%u",
				slb_addr_format(&addr, SLB_ADDR_ENDPOINT, e, sizeof(e)), id);
		else if (in_b && (!in_a || a->state != b->state || a->weight != b->weight))
			log_backend(m, id, b);
	}
}

/* One backend's change for the hook: "new" or "removed" when it is not in
 * the generation before or after (o: the generation it is in). */
static void hook_event(const struct siplbd_model *m, const struct slb_state *o, uint32_t id,
		       const char *from, const char *to, const char *why, uint64_t generation)
{
	const struct slb_backend *sb = &o->backends[id];
	struct slb_addr a = SLB_STATE_ADDR(sb);
	char vars[SIPLBD_HOOK_VARS][SIPLBD_HOOK_VAR_LEN], e[SLB_ADDR_TEXT_LEN];
	const char *list[SIPLBD_HOOK_VARS + 1];

	snprintf(vars[0], sizeof(vars[0]), "SIPLB_EVENT=backend_state");
	snprintf(vars[1], sizeof(vars[1]), "SIPLB_POOL=%.*s", SLB_NAME_LEN, o->pools[sb->pool].name);
	snprintf(vars[2], sizeof(vars[2]), "SIPLB_BACKEND=%s",
		 slb_addr_format(&a, SLB_ADDR_ENDPOINT, e, sizeof(e)));
	snprintf(vars[3], sizeof(vars[3]), "SIPLB_BACKEND_ID=%u", id);
	snprintf(vars[4], sizeof(vars[4]), "SIPLB_STATE=%s", to);
	snprintf(vars[5], sizeof(vars[5]), "SIPLB_PREVIOUS_STATE=%s", from);
	snprintf(vars[6], sizeof(vars[6]), "SIPLB_REASON=%s", why);
	snprintf(vars[7], sizeof(vars[7]), "SIPLB_GENERATION=%" PRIu64, generation);
	for (int i = 0; i < 8; i++)
		list[i] = vars[i];
	list[8] = NULL;
	siplbd_hooks_event(m->hooks, list);
}

/* Every backend whose published state changed, to the hook; at start only
 * changes of backends the generation before had (a restart's). */
static void hook_changes(const struct siplbd_model *m, const struct slb_state *was,
			 const struct slb_state *s, const char *why, bool start)
{
	for (uint32_t id = 0; m->hooks && id < SLB_MAX_BACKENDS; id++) {
		const struct slb_backend *a = &was->backends[id], *b = &s->backends[id];
		bool in_a = id < was->n_backends && a->state != SLB_BACKEND_UNUSED;
		bool in_b = id < s->n_backends && b->state != SLB_BACKEND_UNUSED;

		if (in_a && !in_b)
			hook_event(m, was, id, slb_backend_state_name(a->state), "removed", why,
				   s->generation);
		else if (in_b && !in_a && !start)
			hook_event(m, s, id, "new", siplbd_backend_state_text(m, id), why,
				   s->generation);
		else if (in_a && in_b && a->state != b->state)
			hook_event(m, s, id, slb_backend_state_name(a->state),
				   siplbd_backend_state_text(m, id), why, s->generation);
	}
}

static void log_publish(const struct siplbd_model *m, const struct slb_publish_report *rep,
			const char *why, bool all)
{
	const struct slb_state *s = slb_state_of(m->maps, rep->generation);
	uint32_t n = 0;

	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++)
		n += m->backends[id].used;
	slb_log(SLB_LOG_INFO, "generation %" PRIu64 " published under %s: %u VIPs, %u pools, "
		"%u backends; built in %.3f ms, waited %.3f ms for %u live readers (%s)",
		rep->generation, m->cfg.bpffs, m->cfg.n_vips, m->cfg.n_pools, n,
		rep->build_ns / 1e6, rep->wait_ns / 1e6, rep->readers, why);
	if (all)
		log_all(m, s);
	else
		log_changes(m, slb_state_of(m->maps, rep->generation - 1), s);
	hook_changes(m, slb_state_of(m->maps, rep->generation - 1), s, why, !strcmp(why, "start"));
}

/* ---- pools at run time: probers' and resolvers' callbacks ---------------------- */

/* A prober's verdict (its callback's arg is the model: ids are global). */
static void on_health(void *arg, uint32_t id, enum slb_backend_state from,
		      enum slb_backend_state to, const char *reason)
{
	struct siplbd_model *m = arg;
	struct siplbd_backend *b = &m->backends[id];
	char e[SLB_ADDR_TEXT_LEN];

	/* Out of service is what an operator is paged for; back in, noticed. */
	slb_log(to == SLB_BACKEND_DOWN ? SLB_LOG_WARNING : to == SLB_BACKEND_UP ? SLB_LOG_NOTICE :
		SLB_LOG_INFO, "backend health %s -> %s: pool=%s backend=%s id=%u reason=\"%s\"",
		slb_backend_state_name(from), slb_backend_state_name(to), b->pool_name,
		endpoint_of(b, e), id, reason);
	b->health = to;
	/* Back in service: judged on what it does from now on. */
	if (to == SLB_BACKEND_UP) {
		slb_passive_reset(&b->passive);
		b->passive_spared = false;
	}
	changed(m, "health: backend %u %s", id, slb_backend_state_name(to));
}

/* Backends the active generation has outside pool rt (SRV answers must fit
 * state.h beside them). */
static uint32_t backends_elsewhere(const struct siplbd_pool *rt)
{
	uint32_t n = 0;

	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++)
		n += rt->m->backends[id].used &&
		     strncmp(rt->m->backends[id].pool_name, rt->name, SLB_NAME_LEN);
	return n;
}

static void log_answer(const struct siplbd_pool *rt, const struct slb_srv_result *r)
{
	char e[SLB_ADDR_TEXT_LEN];

	slb_log(SLB_LOG_INFO, "SRV answer: pool=%s backends=%u ttl=%u", rt->name, r->n, r->ttl);
	for (uint32_t i = 0; i < r->n; i++) {
		const struct slb_srv_target *t = &r->targets[i];

		slb_log(SLB_LOG_INFO, "SRV target: pool=%s target=%s backend=%s priority=%u "
			"weight=%u", rt->name, t->name,
			slb_addr_format(&t->a, SLB_ADDR_ENDPOINT, e, sizeof(e)), t->priority,
			t->weight);
	}
}

/* A new SRV answer: the pool's backends from the next generation on. */
static void on_srv_update(void *arg, const struct slb_srv_result *r)
{
	struct siplbd_pool *rt = arg;
	uint32_t table = rt->m->cfg.table_size ? rt->m->cfg.table_size : UINT32_MAX;
	struct slb_srv_target *t;

	rt->answered = true;
	if (r->n >= table || r->n + backends_elsewhere(rt) > SLB_MAX_BACKENDS) {
		slb_log(SLB_LOG_WARNING, "SRV answer ignored, the last answer stays: pool=%s "
			"backends=%u reason=\"more than maglev.table_size - 1 (%u) or, with the "
			"other pools', than %d\"", rt->name, r->n, table - 1, SLB_MAX_BACKENDS);
		return;
	}
	t = malloc((r->n + 1) * sizeof(*t));
	if (!t) {
		slb_log(SLB_LOG_ERR, "SRV answer ignored: pool=%s reason=\"out of memory\"",
			rt->name);
		return;
	}
	if (r->n) /* none: "." (RFC 2782), the pool empties */
		memcpy(t, r->targets, r->n * sizeof(*t));
	free(rt->targets);
	rt->targets = t;
	rt->n_targets = r->n;
	log_answer(rt, r);
	/* A resolver still staged (reload) is published with its pool. */
	if (rt->m->pools[rt->index] == rt)
		changed(rt->m, "DNS: pool %s SRV answer", rt->name);
}

/* Stale backends are better than none: their probes say whether they live. */
static void on_srv_failure(void *arg, const char *reason)
{
	struct siplbd_pool *rt = arg;

	rt->answered = true;
	slb_log(SLB_LOG_WARNING, "DNS failure, the last good answer stays: pool=%s backends=%u "
		"reason=\"%s\"", rt->name, rt->n_targets, reason);
}

static void rt_free(struct siplbd_pool *rt)
{
	if (!rt)
		return;
	slb_srv_destroy(rt->srv);
	free(rt->targets);
	free(rt);
}

/* A runtime for pool cp; its resolver starts at once. */
static struct siplbd_pool *rt_new(struct siplbd_model *m, const struct slb_config_pool *cp,
				  char *err, size_t errlen)
{
	struct siplbd_pool *rt = calloc(1, sizeof(*rt));
	char why[256];

	if (!rt) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rt->m = m;
	memcpy(rt->name, cp->name, SLB_NAME_LEN);
	if (!cp->srv.name[0])
		return rt;
	rt->srv = slb_srv_create(&cp->srv, &(struct slb_srv_callbacks){on_srv_update,
									 on_srv_failure, rt},
				 why, sizeof(why));
	if (rt->srv)
		return rt;
	snprintf(err, errlen, "pool %s: srv %s: %s", cp->name, cp->srv.name, why);
	free(rt);
	return NULL;
}

/* ---- staging: start and reload -------------------------------------------------- */

static struct siplbd_pool *old_pool(const struct siplbd_model *m, const char *name)
{
	for (uint32_t p = 0; p < m->cfg.n_pools; p++)
		if (!strncmp(m->pools[p]->name, name, SLB_NAME_LEN))
			return m->pools[p];
	return NULL;
}

/* Same resolver: both static, or the same name, resolvers and settings. */
static bool same_srv(const struct slb_config_pool *a, const struct slb_config_pool *b)
{
	return !memcmp(&a->srv, &b->srv, sizeof(a->srv)) || (!a->srv.name[0] && !b->srv.name[0]);
}

static bool same_probing(const struct slb_config_pool *a, const struct slb_config_pool *b)
{
	return a->probing == b->probing &&
	       (!a->probing || !memcmp(&a->health, &b->health, sizeof(a->health)));
}

/* Pool p of st: the old runtime and prober where their settings are the same. */
static int stage_pool(struct siplbd_model *m, struct staging *st, uint32_t p, bool probers,
		      char *err, size_t errlen)
{
	const struct slb_config_pool *cp = &st->cfg.pools[p];
	struct siplbd_pool *old = old_pool(m, cp->name);
	const struct slb_config_pool *ocp = old ? &m->cfg.pools[old->index] : NULL;
	char why[256];

	st->rt[p] = old && same_srv(cp, ocp) ? old : rt_new(m, cp, err, errlen);
	st->fresh_rt[p] = st->rt[p] && st->rt[p] != old;
	if (!st->rt[p])
		return -1;
	if (!probers || !cp->probing)
		return 0;
	if (old && old->prober && same_probing(cp, ocp)) {
		st->prober[p] = old->prober;
		return 0;
	}
	st->prober[p] = slb_health_create(&cp->health, on_health, m, why, sizeof(why));
	st->fresh_prober[p] = st->prober[p] != NULL;
	if (!st->prober[p])
		snprintf(err, errlen, "pool %s: probing: %s", cp->name, why);
	return st->prober[p] ? 0 : -1;
}

static void unstage(struct staging *st)
{
	for (uint32_t p = 0; p < SLB_MAX_POOLS; p++) {
		if (st->fresh_rt[p])
			rt_free(st->rt[p]);
		if (st->fresh_prober[p])
			slb_health_destroy(st->prober[p]);
	}
	slb_config_free(&st->cfg);
}

/* What the first round of a new resolver may take: every try of both
 * queries (SRV, then A/AAAA) at every resolver, and a second to spare. */
static uint64_t first_round_ms(const struct slb_srv_config *c)
{
	uint64_t resolvers = c->n_resolvers ? c->n_resolvers : 1;

	return 2 * (uint64_t)c->query_timeout_ms * c->query_tries * resolvers + 1000;
}

/* Until every new resolver of st has its first answer (or failure): a new
 * SRV pool starts with its backends, not empty. */
static void wait_answers(struct staging *st)
{
	uint64_t deadline = 0, now = siplbd_now_ns();

	for (uint32_t p = 0; p < st->cfg.n_pools; p++)
		if (st->fresh_rt[p] && st->rt[p]->srv)
			deadline = MAX(deadline, now + first_round_ms(&st->cfg.pools[p].srv) * 1000000);
	while ((now = siplbd_now_ns()) < deadline) {
		struct pollfd fds[SLB_MAX_POOLS * SIPLBD_SRV_FDS];
		int n = 0, timeout = (int)((deadline - now) / 1000000 + 1);
		bool waiting = false;

		for (uint32_t p = 0; p < st->cfg.n_pools; p++) {
			struct siplbd_pool *rt = st->rt[p];

			if (!st->fresh_rt[p] || !rt->srv || rt->answered)
				continue;
			waiting = true;
			rt->pfd_off = n;
			rt->pfd_n = slb_srv_fds(rt->srv, fds + n, SIPLBD_SRV_FDS);
			n += rt->pfd_n;
			timeout = MIN(timeout, slb_srv_timeout_ms(rt->srv));
		}
		if (!waiting || (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR))
			return;
		for (uint32_t p = 0; p < st->cfg.n_pools; p++)
			if (st->fresh_rt[p] && st->rt[p]->srv && !st->rt[p]->answered)
				slb_srv_process(st->rt[p]->srv, fds + st->rt[p]->pfd_off,
						st->rt[p]->pfd_n);
	}
}

static bool prober_in(struct slb_health *h, struct slb_health *const *list, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (list[i] == h)
			return true;
	return false;
}

static bool rt_in(const struct siplbd_pool *rt, struct siplbd_pool *const *list, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (list[i] == rt)
			return true;
	return false;
}

/*
 * st's generation is out: st becomes m's, old probers and runtimes that st
 * did not keep go (after their targets left them), *old_cfg gets the
 * configuration it replaced (the caller frees it).
 */
static void commit(struct siplbd_model *m, struct staging *st, const struct slb_config *pub,
		   const struct siplbd_backend *old, struct slb_config *old_cfg)
{
	struct siplbd_pool *old_rt[SLB_MAX_POOLS];
	struct slb_health *old_prober[SLB_MAX_POOLS];
	uint32_t n_old = m->cfg.n_pools;
	struct view v = {&st->cfg, st->rt, st->prober, SLB_BACKEND_UP};

	for (uint32_t p = 0; p < n_old; p++) {
		old_rt[p] = m->pools[p];
		old_prober[p] = m->pools[p]->prober;
	}
	*old_cfg = m->cfg;
	m->cfg = st->cfg;
	memset(m->pools, 0, sizeof(m->pools));
	for (uint32_t p = 0; p < m->cfg.n_pools; p++) {
		m->pools[p] = st->rt[p];
		m->pools[p]->index = p;
		m->pools[p]->prober = st->prober[p];
	}
	adopt(m, &v, pub, old, SLB_BACKEND_UP);
	for (uint32_t p = 0; p < n_old; p++) {
		if (old_prober[p] && !prober_in(old_prober[p], st->prober, m->cfg.n_pools))
			slb_health_destroy(old_prober[p]);
		if (!rt_in(old_rt[p], st->rt, m->cfg.n_pools))
			rt_free(old_rt[p]);
	}
}

/* ---- publishing ----------------------------------------------------------------- */

static struct view current_view(const struct siplbd_model *m, struct slb_health **probers)
{
	for (uint32_t p = 0; p < m->cfg.n_pools; p++)
		probers[p] = m->pools[p]->prober;
	return (struct view){&m->cfg, m->pools, probers, SLB_BACKEND_UP};
}

/* A copy of m->backends: what publishing and adopting replace. */
static struct siplbd_backend *save_backends(const struct siplbd_model *m, char *err, size_t errlen)
{
	struct siplbd_backend *old = malloc(SLB_MAX_BACKENDS * sizeof(*old));

	if (old)
		memcpy(old, m->backends, SLB_MAX_BACKENDS * sizeof(*old));
	else
		snprintf(err, errlen, "out of memory");
	return old;
}

/* siplbd_publish, backends new in it starting fresh (in a probed pool). */
static int publish_fresh(struct siplbd_model *m, const char *why, enum slb_backend_state fresh,
			 char *err, size_t errlen)
{
	struct slb_health *probers[SLB_MAX_POOLS];
	struct view v = current_view(m, probers);
	struct siplbd_backend *old = save_backends(m, err, errlen);
	struct slb_publish_report rep;
	struct slb_config pub;
	char noted[256];

	v.fresh = fresh;
	snprintf(noted, sizeof(noted), "%s", why ? why : m->why);
	why = noted;
	if (!old || publish_view(m, &v, &pub, &rep, err, errlen)) {
		slb_log(SLB_LOG_ERR, "%s: %s; generation %" PRIu64 " stays", why, err,
			siplbd_model_generation(m));
		free(old);
		return -1;
	}
	adopt(m, &v, &pub, old, v.fresh);
	free_built(&pub);
	free(old);
	log_publish(m, &rep, why, false);
	m->published(m->published_arg, NULL);
	return 0;
}

int siplbd_publish(struct siplbd_model *m, const char *why, char *err, size_t errlen)
{
	return publish_fresh(m, why, SLB_BACKEND_UP, err, errlen);
}

/* What publish_kept keeps besides the backend lists: one backend's admin
 * state, one VIP's rules. */
struct kept {
	const struct siplbd_backend *b;  /* NULL: none */
	enum siplbd_admin admin;
	int rules_vip;                   /* -1: none */
};

/*
 * The state with m->cfg as it is now and what k says, saved in the state
 * file, then published (backends new in it fresh); when either fails, the
 * state (and its file) is as it was.
 */
static int publish_kept(struct siplbd_model *m, const char *why, enum slb_backend_state fresh,
			struct kept k, char *err, size_t errlen)
{
	struct siplbd_state next, was;
	char e[256];

	if (siplbd_state_next(&m->state, &m->cfg, k.b ? k.b->pool_name : NULL, k.b ? &k.b->a : NULL,
			      k.admin, k.rules_vip, &next))
		return snprintf(err, errlen, "state: out of memory"), -1;
	if (siplbd_state_save(&next, err, errlen)) {
		slb_log(SLB_LOG_ERR, "%s: %s; nothing changed", why, err);
		siplbd_state_free(&next);
		return -1;
	}
	was = m->state;
	m->state = next;
	if (!publish_fresh(m, why, fresh, err, errlen)) {
		siplbd_state_free(&was);
		return 0;
	}
	siplbd_state_free(&m->state);
	m->state = was;
	if (siplbd_state_save(&m->state, e, sizeof(e)))
		slb_log(SLB_LOG_ERR, "%s: the state file cannot be put back: %s", why, e);
	return -1;
}

int siplbd_model_set_admin(struct siplbd_model *m, uint32_t id, enum siplbd_admin admin,
			   const char *why, char *err, size_t errlen)
{
	return publish_kept(m, why, SLB_BACKEND_UP, (struct kept){&m->backends[id], admin, -1}, err,
			    errlen);
}

int siplbd_model_set_backends(struct siplbd_model *m, uint32_t p, struct slb_config_backend *list,
			      uint32_t n, enum slb_backend_state fresh, const char *why, char *err,
			      size_t errlen)
{
	struct slb_config_pool *cp = &m->cfg.pools[p];
	struct slb_config_backend *old = cp->backends;
	uint32_t old_n = cp->n_backends;

	cp->backends = list;
	cp->n_backends = n;
	if (!publish_kept(m, why, fresh, (struct kept){NULL, SIPLBD_ENABLED, -1}, err, errlen)) {
		free(old);
		return 0;
	}
	cp->backends = old;
	cp->n_backends = old_n;
	free(list);
	return -1;
}

int siplbd_model_set_rules(struct siplbd_model *m, uint32_t vip, struct slb_rules *rules,
			   const char *why, char *err, size_t errlen)
{
	struct slb_rules *live = &m->cfg.vips[vip].rules, old = *live;

	*live = *rules;
	if (!publish_kept(m, why, SLB_BACKEND_UP, (struct kept){NULL, SIPLBD_ENABLED, (int)vip}, err,
			  errlen)) {
		slb_rules_free(&old);
		return 0;
	}
	*live = old;
	slb_rules_free(rules);
	return -1;
}

void siplbd_model_publish_dirty(struct siplbd_model *m, bool ticked)
{
	char err[512];

	if (m->dirty && (ticked || !m->publish_failed))
		m->publish_failed = siplbd_publish(m, NULL, err, sizeof(err)) != 0;
}

/* Stages st->cfg, waits for new resolvers, publishes; on success st is
 * committed (old_cfg: what it replaced), else undone. */
static int stage_and_publish(struct siplbd_model *m, struct staging *st, bool probers,
			     const char *why, struct slb_config *old_cfg, char *err, size_t errlen)
{
	struct siplbd_backend *old = save_backends(m, err, errlen);
	struct view v = {&st->cfg, st->rt, st->prober, SLB_BACKEND_UP};
	struct slb_publish_report rep;
	struct slb_config pub;
	int rc = old ? 0 : SLB_RPC_INTERNAL_ERROR;

	for (uint32_t p = 0; !rc && p < st->cfg.n_pools; p++)
		if (stage_pool(m, st, p, probers, err, errlen))
			rc = SLB_RPC_BAD_CONFIG;
	if (!rc)
		wait_answers(st);
	if (!rc && publish_view(m, &v, &pub, &rep, err, errlen))
		rc = SLB_RPC_PUBLISH_FAILED;
	if (rc) {
		unstage(st);
		free(old);
		return rc;
	}
	commit(m, st, &pub, old, old_cfg);
	free_built(&pub);
	free(old);
	log_publish(m, &rep, why, true);
	return 0;
}

/*
 * A file just read (st->cfg) with the operator's changes applied over it,
 * staged and published (as stage_and_publish); the state then measures
 * against this file, and a state file an override left is saved again.
 */
static int publish_file(struct siplbd_model *m, struct staging *st, bool probers, const char *why,
			struct slb_config *old_cfg, char *err, size_t errlen)
{
	struct siplbd_state next, was = m->state;
	int rc;

	if (siplbd_state_apply(&m->state, &st->cfg, &next, err, errlen)) {
		slb_config_free(&st->cfg);
		return SLB_RPC_INTERNAL_ERROR;
	}
	m->state = next;
	rc = stage_and_publish(m, st, probers, why, old_cfg, err, errlen);
	if (rc) {
		siplbd_state_free(&m->state);
		m->state = was;
		return rc;
	}
	if (next.n != was.n && siplbd_state_save(&m->state, err, errlen))
		slb_log(SLB_LOG_WARNING, "%s", err);
	siplbd_state_free(&was);
	return 0;
}

int siplbd_model_start(struct siplbd_model *m, struct slb_config *cfg, bool once)
{
	struct staging st = {.cfg = *cfg};
	struct slb_config none = {0};
	char err[512];
	int rc;

	m->backends = calloc(SLB_MAX_BACKENDS, sizeof(*m->backends));
	if (!m->backends) {
		slb_log(SLB_LOG_ERR, "out of memory");
		slb_config_free(cfg);
		return -1;
	}
	rc = publish_file(m, &st, !once, "start", &none, err, sizeof(err));
	if (rc) {
		slb_log(SLB_LOG_ERR, "start: %s", err);
		return -1;
	}
	snprintf(m->published_from, sizeof(m->published_from), "%s", m->config);
	m->published(m->published_arg, NULL);
	return 0;
}

void siplbd_model_stop(struct siplbd_model *m)
{
	for (uint32_t p = 0; p < m->cfg.n_pools; p++) {
		slb_health_destroy(m->pools[p]->prober);
		rt_free(m->pools[p]);
		m->pools[p] = NULL;
	}
	free(m->backends);
	m->backends = NULL;
	slb_config_free(&m->cfg);
	siplbd_state_free(&m->state);
}

/*
 * A file without VIPs, while some run, would stop all SIP: more likely a
 * file emptied or cut short than a wish, so it is refused, and said so
 * before any other difference (an empty file's default socket, say).
 */
static int takes_all_away(const struct siplbd_model *m, const struct slb_config *c,
			  const char *file, char *err, size_t errlen)
{
	if (c->n_vips || !m->cfg.n_vips)
		return 0;
	snprintf(err, errlen, "%s: no vips%s: a reload would take away every VIP (%u running); "
		 "an empty or cut-short file? To stop serving, stop siplbd", file,
		 c->n_pools ? "" : " and no pools", m->cfg.n_vips);
	return -1;
}

/* The values of what differs, running first: "1000 running, 2000 in the file". */
static void restart_detail(const struct slb_config *r, const struct slb_config *c, char *buf,
			   size_t len)
{
	if (strcmp(c->bpffs, r->bpffs))
		snprintf(buf, len, "%s running, %s in the file", r->bpffs, c->bpffs);
	else if (c->capacity != r->capacity)
		snprintf(buf, len, "%u running, %u in the file", r->capacity, c->capacity);
	else if (c->rules_capacity != r->rules_capacity || c->rule_counters != r->rule_counters)
		snprintf(buf, len, "capacity %u and counters %u running, %u and %u in the file",
			 r->rules_capacity, r->rule_counters, c->rules_capacity, c->rule_counters);
	else if (strcmp(c->control.socket, r->control.socket))
		snprintf(buf, len, "socket %s running, %s in the file (the default if not set)",
			 r->control.socket, c->control.socket);
	else if (memcmp(&c->control, &r->control, sizeof(c->control)))
		snprintf(buf, len, "its mode or allow_uids");
	else if (strcmp(c->state_file, r->state_file))
		snprintf(buf, len, "\"%.1000s\" running, \"%.1000s\" in the file (\"\": beside the "
			 "file siplbd started with)", r->state_file, c->state_file);
	else
		snprintf(buf, len, "%s port %u running, %s port %u in the file (port 0: none)",
			 r->metrics.address, r->metrics.port, c->metrics.address, c->metrics.port);
}

/* What the maps, the socket and the endpoint were made with: a restart's.
 * The maps are siplb-dp's too. */
static int restart_only(const struct siplbd_model *m, const struct slb_config *c, const char *file,
			char *err, size_t errlen)
{
	bool rule_maps = c->rules_capacity != m->cfg.rules_capacity ||
			 c->rule_counters != m->cfg.rule_counters;
	bool maps = strcmp(c->bpffs, m->cfg.bpffs) || c->capacity != m->cfg.capacity || rule_maps;
	const char *what = strcmp(c->bpffs, m->cfg.bpffs) ? "bpffs" :
			   c->capacity != m->cfg.capacity ? "maglev.capacity" :
			   rule_maps ? "rule_maps" :
			   memcmp(&c->control, &m->cfg.control, sizeof(c->control)) ? "control" :
			   strcmp(c->state_file, m->cfg.state_file) ? "state_file" :
			   memcmp(&c->metrics, &m->cfg.metrics, sizeof(c->metrics)) ? "metrics" : NULL;
	char detail[sizeof(c->bpffs) * 2 + 64];

	if (!what)
		return 0;
	restart_detail(&m->cfg, c, detail, sizeof(detail));
	snprintf(err, errlen, "%s: %s changed, which needs a restart of siplbd%s (%s)", file, what,
		 maps ? " and siplb-dp" : "", detail);
	return -1;
}

/* A pcap file being written (siplbctl capture start --pcap) goes on over a
 * reload: the operator started it and stops it. Not if its VIP is gone. */
static void keep_pcap(const struct slb_config *was, struct slb_config *now)
{
	const struct slb_config_capture *w = &was->capture;
	struct slb_config_capture *c = &now->capture;

	if (!w->pcap_name[0])
		return;
	if (w->pcap_vip[0] && slb_config_vip_index(now, w->pcap_vip) < 0) {
		slb_log(SLB_LOG_WARNING, "capture: pcap stop: file=%s.pcap vip=%s reason=\"the "
			"reload took its VIP away\"", w->pcap_name, w->pcap_vip);
		return;
	}
	memcpy(c->pcap_name, w->pcap_name, sizeof(c->pcap_name));
	memcpy(c->pcap_vip, w->pcap_vip, sizeof(c->pcap_vip));
	c->pcap_id = w->pcap_id;
}

int siplbd_reload(struct siplbd_model *m, const char *file, bool set_default, char *err,
		  size_t errlen)
{
	char path[PATH_MAX];
	struct staging st = {0};
	struct slb_config old;
	int rc;

	snprintf(path, sizeof(path), "%s", file ? file : m->config);
	slb_log(SLB_LOG_NOTICE, "reloading %s", path);
	if (siplbd_load_config(path, m->bpffs, &st.cfg, err, errlen))
		rc = SLB_RPC_BAD_CONFIG;
	else if (takes_all_away(m, &st.cfg, path, err, errlen) ||
		 restart_only(m, &st.cfg, path, err, errlen)) {
		slb_config_free(&st.cfg);
		rc = SLB_RPC_BAD_CONFIG;
	} else {
		keep_pcap(&m->cfg, &st.cfg);
		rc = publish_file(m, &st, true, "reload", &old, err, errlen);
	}
	if (rc) {
		slb_log(SLB_LOG_ERR, "reload: %s; generation %" PRIu64 " stays", err,
			siplbd_model_generation(m));
		return rc;
	}
	/* Another file is a one-off unless the operator says otherwise: a
	 * SIGHUP later reads m->config, as before. */
	if (set_default)
		snprintf(m->config, sizeof(m->config), "%s", path);
	snprintf(m->published_from, sizeof(m->published_from), "%s", path);
	m->published(m->published_arg, &old);
	slb_config_free(&old);
	return 0;
}

/* ---- the event loop's part --------------------------------------------------------- */

int siplbd_model_fds(struct siplbd_model *m, struct pollfd *p, int max)
{
	int n = 0;

	for (uint32_t i = 0; i < m->cfg.n_pools; i++) {
		struct siplbd_pool *rt = m->pools[i];
		int fds[2], k = rt->prober ? slb_health_fds(rt->prober, fds) : 0;

		for (int j = 0; j < k && n < max; j++)
			p[n++] = (struct pollfd){.fd = fds[j], .events = POLLIN};
		rt->pfd_off = n;
		rt->pfd_n = rt->srv ? slb_srv_fds(rt->srv, p + n, MIN(SIPLBD_SRV_FDS, max - n)) : 0;
		n += rt->pfd_n;
	}
	return n;
}

int siplbd_model_timeout_ms(struct siplbd_model *m)
{
	int t = -1;

	for (uint32_t i = 0; i < m->cfg.n_pools; i++) {
		int a = m->pools[i]->prober ? slb_health_timeout_ms(m->pools[i]->prober) : -1;
		int b = m->pools[i]->srv ? slb_srv_timeout_ms(m->pools[i]->srv) : -1;

		t = a >= 0 && (t < 0 || a < t) ? a : t;
		t = b >= 0 && (t < 0 || b < t) ? b : t;
	}
	return t;
}

void siplbd_model_process(struct siplbd_model *m, const struct pollfd *p)
{
	for (uint32_t i = 0; i < m->cfg.n_pools; i++) {
		struct siplbd_pool *rt = m->pools[i];

		if (rt->prober)
			slb_health_process(rt->prober);
		if (rt->srv)
			slb_srv_process(rt->srv, p + rt->pfd_off, rt->pfd_n);
	}
}

/* ---- every second: backends the prober refused, passive health ----------------------- */

/* Another backend of id's pool is up, so passive health may take id down. */
static bool others_up(const struct siplbd_model *m, uint32_t id)
{
	for (uint32_t i = 0; i < SLB_MAX_BACKENDS; i++)
		if (i != id && m->backends[i].used && m->backends[i].pool == m->backends[id].pool &&
		    effective(m->backends[i].admin, m->backends[i].health) == SLB_BACKEND_UP)
			return true;
	return false;
}

/*
 * A passive verdict takes an up backend down, unless it is the last up
 * backend of its pool: when the whole pool answers 503, taking them all
 * down would only make siplb answer 503 itself (Envoy's panic threshold).
 * Its probes can still take it down, and they bring it back.
 */
static void passive_down(struct siplbd_model *m, uint32_t id, const char *verdict)
{
	struct siplbd_backend *b = &m->backends[id];
	char reason[SLB_HEALTH_REASON_LEN], e[SLB_ADDR_TEXT_LEN];

	if (b->health != SLB_BACKEND_UP)
		return;
	if (!others_up(m, id)) {
		if (!b->passive_spared)
			slb_log(SLB_LOG_WARNING, "backend left up, the last up in its pool: pool=%s "
				"backend=%s id=%u reason=\"passive: %s\"", b->pool_name,
				endpoint_of(b, e), id, verdict);
		b->passive_spared = true;
		return;
	}
	snprintf(reason, sizeof(reason), "passive: %s", verdict);
	slb_health_mark_down(b->prober, id, reason);
}

void siplbd_model_tick(struct siplbd_model *m, const struct slb_lcore_stats *t)
{
	uint64_t now = siplbd_now_ns();
	char verdict[SLB_HEALTH_REASON_LEN - 16];

	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++) {
		struct siplbd_backend *b = &m->backends[id];
		struct slb_passive_counts c = {t->backend_tx[id].msgs, t->backend_rx[id].responses,
					       t->backend_rx[id].finals, t->backend_rx[id].r503};

		if (!b->used)
			continue;
		if (m->pools[b->pool]->prober && !b->prober)
			probe(m, m->pools[b->pool]->prober, id);
		if (!b->prober || !m->cfg.pools[b->pool].passive)
			continue;
		if (slb_passive_update(&m->cfg.pools[b->pool].passive_cfg, &b->passive, &c, now,
				       verdict, sizeof(verdict)) == SLB_PASSIVE_OK)
			b->passive_spared = false;
		else
			passive_down(m, id, verdict);
	}
}

int siplbd_model_forget(struct siplbd_model *m, char *err, size_t errlen)
{
	struct siplbd_state was = m->state;
	char e[256];
	int rc;

	siplbd_state_empty(&was, &m->state);
	if (siplbd_state_save(&m->state, err, errlen)) {
		m->state = was;
		return SLB_RPC_INTERNAL_ERROR;
	}
	rc = siplbd_reload(m, NULL, false, err, errlen);
	if (!rc) {
		siplbd_state_free(&was);
		return 0;
	}
	siplbd_state_free(&m->state);
	m->state = was;
	if (siplbd_state_save(&m->state, e, sizeof(e)))
		slb_log(SLB_LOG_ERR, "state clear: the state file cannot be put back: %s", e);
	return rc;
}
