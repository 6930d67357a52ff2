/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's Prometheus endpoint (docs/metrics.md): a snapshot of the active
 * generation, its backends' states and health, the SRV pools' DNS failures
 * and the dataplane's counters, handed to the metrics module after every
 * publish and every second. The module copies it; its thread never sees
 * siplbd's memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/log.h"
#include "siplb_version.h"
#include "siplbd_metrics.h"
#include "siplbd_stats.h"

int siplbd_metrics_start(const struct slb_config_metrics *c, struct slb_metrics_server **out)
{
	struct slb_metrics_config mc = {.address = c->address, .port = c->port};
	struct slb_addr a;
	char err[256], ep[SLB_ADDR_TEXT_LEN];

	*out = NULL;
	if (!c->port)
		return 0;
	*out = slb_metrics_start(&mc, err, sizeof(err));
	if (!*out) {
		slb_log(SLB_LOG_ERR, "%s", err);
		return -1;
	}
	slb_addr_parse(c->address, &a); /* the config checked it */
	a.port = c->port;
	slb_log(SLB_LOG_INFO, "metrics on http://%s/metrics",
		slb_addr_format(&a, SLB_ADDR_ENDPOINT, ep, sizeof(ep)));
	return 0;
}

/* The VIPs of the active generation s, with their requests (t: proxy and
 * DSR) and what XDP saw of them. */
static void fill_vips(const struct slb_state *s, const struct slb_lcore_stats *t,
		      const struct slb_xdp_stats *x, struct slb_metrics_vip *v)
{
	for (uint32_t i = 0; i < s->n_vips; i++) {
		memcpy(v[i].name, s->vips[i].name, SLB_NAME_LEN);
		memcpy(v[i].pool, s->pools[s->vips[i].pool].name, SLB_NAME_LEN);
		v[i].rx = t->vip_rx[i];
		v[i].xdp = (struct slb_msg_counter){x->vip[i].pkts, x->vip[i].bytes};
	}
}

/* Its prober's view: the last round trip (-1: not probed, or no reply
 * yet), the probes' counters and latencies. */
static void health(const struct siplbd_backend *b, uint32_t id, struct slb_metrics_backend *out)
{
	const struct slb_health_status *st = b->prober ? slb_health_status(b->prober, id) : NULL;

	out->health_latency_seconds = st && st->rtt_us >= 0 ? (double)st->rtt_us / 1e6 : -1;
	out->probed = st;
	if (st) {
		out->probes = st->counters;
		out->latency = st->latency;
	}
}

/* The backends by pool, then id; returns how many. */
static uint32_t fill_backends(const struct siplbd_model *m, const struct slb_state *s,
			      const struct slb_lcore_stats *t, struct slb_metrics_backend *out)
{
	uint32_t n = 0;

	for (uint32_t p = 0; p < m->cfg.n_pools; p++)
		for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++) {
			const struct siplbd_backend *b = &m->backends[id];
			const struct slb_backend *sb = &s->backends[id];
			struct slb_metrics_backend *mb = &out[n];

			if (!b->used || b->pool != p)
				continue;
			memcpy(mb->pool, b->pool_name, SLB_NAME_LEN);
			slb_addr_format(&b->a, SLB_ADDR_ENDPOINT, mb->backend, sizeof(mb->backend));
			mb->state = sb->state;
			mb->standby = siplbd_backend_standby(m, id);
			mb->weight = sb->weight; /* 0 unless up: publish gives weight to none else */
			health(b, id, mb);
			mb->tx = t->backend_tx[id];
			n++;
		}
	return n;
}

static void fill_pools(const struct siplbd_model *m, struct slb_metrics_pool *out)
{
	for (uint32_t p = 0; p < m->cfg.n_pools; p++) {
		memcpy(out[p].name, m->cfg.pools[p].name, SLB_NAME_LEN);
		out[p].dns_failures = m->pools[p]->srv ? slb_srv_counters(m->pools[p]->srv)->failures
						       : 0;
	}
}

/* Every VIP's rules with their hits (NULL, *n 0: none, or out of memory). */
static struct slb_metrics_rule *fill_rules(const struct siplbd_model *m, const struct slb_state *s,
					   uint32_t *n)
{
	uint32_t total = 0, k = 0;
	struct slb_metrics_rule *out;

	for (uint32_t v = 0; v < s->n_vips; v++)
		total += s->rules[v].n_rules;
	*n = 0;
	if (!total || !(out = calloc(total, sizeof(*out))))
		return NULL;
	for (uint32_t v = 0; v < s->n_vips; v++)
		for (uint32_t i = 0; i < s->rules[v].n_rules; i++, k++) {
			memcpy(out[k].vip, s->vips[v].name, SLB_NAME_LEN);
			out[k].index = i;
			out[k].matches = siplbd_stats_rule_hits(m->maps, s, v, i);
		}
	*n = total;
	return out;
}

/* The XDP program's verdicts, passes and drops by reason. */
static void fill_xdp(const struct slb_xdp_stats *x, struct slb_metrics_snapshot *snap)
{
	memcpy(snap->xdp_verdicts, x->verdict, sizeof(snap->xdp_verdicts));
	memcpy(snap->xdp_passes, x->pass, sizeof(snap->xdp_passes));
	memcpy(snap->xdp_drops, x->drop, sizeof(snap->xdp_drops));
}

_Static_assert(SLB_ADDR_TEXT_LEN <= SLB_METRICS_LABEL_LEN, "an endpoint fits a label");

/* The counters t (siplb-dp's) with the XDP program's DSR messages added,
 * into all; x: the XDP counters, zero when they cannot be read (said on
 * stderr). */
static void add_xdp(const struct siplbd_model *m, const struct slb_lcore_stats *t,
		    struct slb_lcore_stats *all, struct slb_xdp_stats *x)
{
	*all = *t;
	if (siplbd_stats_xdp(m->maps, x))
		return;
	siplbd_stats_add_dsr(all, x);
}

void siplbd_metrics_update(struct slb_metrics_server *srv, const struct siplbd_model *m,
			   const struct slb_lcore_stats *dp)
{
	struct slb_lcore_stats *t = malloc(sizeof(*t));
	struct slb_xdp_stats *x = malloc(sizeof(*x));
	const struct slb_state *s = siplbd_model_state(m);
	struct slb_metrics_snapshot snap = {.generation = siplbd_model_generation(m),
					    .table_rebuild_seconds = m->build_seconds};
	struct slb_metrics_vip *vips = calloc(SLB_MAX_VIPS, sizeof(*vips));
	struct slb_metrics_pool *pools = calloc(SLB_MAX_POOLS, sizeof(*pools));
	struct slb_metrics_backend *backends = calloc(SLB_MAX_BACKENDS, sizeof(*backends));
	struct slb_metrics_rule *rules = NULL;

	snprintf(snap.version, sizeof(snap.version), "%s", SLB_VERSION);
	if (vips && pools && backends && t && x) {
		add_xdp(m, dp, t, x);
		fill_vips(s, t, x, vips);
		fill_pools(m, pools);
		snap.vips = vips;
		snap.n_vips = s->n_vips;
		snap.pools = pools;
		snap.n_pools = m->cfg.n_pools;
		snap.backends = backends;
		snap.n_backends = fill_backends(m, s, t, backends);
		snap.rules = rules = fill_rules(m, s, &snap.n_rules);
		slb_metrics_take_totals(&snap, t);
		fill_xdp(x, &snap);
	}
	if (!vips || !pools || !backends || !t || !x || slb_metrics_update(srv, &snap))
		slb_log(SLB_LOG_ERR, "metrics: out of memory: the previous snapshot stays served");
	free(rules);
	free(x);
	free(t);
	free(backends);
	free(pools);
	free(vips);
}
