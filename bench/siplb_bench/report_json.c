/* SPDX-License-Identifier: BSD-3-Clause */
/* --json FILE: the whole report, for scripts and CI (docs/bench.md lists
 * every field). */
#include <stdio.h>

#include "report.h"
#include "siplb_version.h"

#define J_INT(v) json_object_new_int64((int64_t)(v))
#define J_DBL(v) json_object_new_double(v)

static json_object *scenarios(const struct uac_stats *t)
{
	json_object *o = json_object_new_object();

	for (int k = 0; k < SCEN_COUNT; k++) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "attempted", J_INT(t->started[k]));
		json_object_object_add(s, "completed", J_INT(t->completed[k]));
		json_object_object_add(s, "failed", J_INT(t->failed[k]));
		json_object_object_add(o, scen_name[k], s);
	}
	return o;
}

static json_object *latency(const struct uac_stats *t)
{
	static const struct { const char *name; double q; } qs[] = {
		{ "p50", 0.5 }, { "p90", 0.9 }, { "p99", 0.99 }, { "p99_9", 0.999 } };
	json_object *o = json_object_new_object();

	for (int l = 0; l < LAT_COUNT; l++) {
		json_object *h = json_object_new_object();

		json_object_object_add(h, "count", J_INT(t->lat[l].count));
		for (unsigned i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
			json_object_object_add(h, qs[i].name,
					       J_DBL(hist_quantile(&t->lat[l], qs[i].q) / 1000));
		json_object_object_add(o, lat_name[l], h);
	}
	return o;
}

static json_object *messages(const struct run_result *r)
{
	json_object *o = json_object_new_object();
	const uint64_t *c = r->total.c;

	json_object_object_add(o, "sent", J_INT(c[U_SENT]));
	json_object_object_add(o, "received", J_INT(c[U_RECEIVED]));
	json_object_object_add(o, "sent_per_s", J_DBL((double)c[U_SENT] / r->secs));
	json_object_object_add(o, "received_per_s", J_DBL((double)c[U_RECEIVED] / r->secs));
	return o;
}

static json_object *counters(const uint64_t *c)
{
	json_object *o = json_object_new_object();

	for (int i = 0; i < U_COUNT; i++)
		json_object_object_add(o, uac_ctr_name[i], J_INT(c[i]));
	return o;
}

static long long total_of(const struct run_result *r, const char *group, const char *key)
{
	long long n = 0;

	for (int i = 0; i < r->nviews; i++)
		n += summary_int(&r->views[i], group, key);
	return n;
}

static json_object *backends(const struct run_result *r)
{
	json_object *a = json_object_new_array();
	double calls = (double)total_of(r, NULL, "calls");
	double reqs = (double)total_of(r, "counters", "requests");

	for (int i = 0; i < r->nviews; i++) {
		json_object *b = json_object_new_object();
		const struct backend_view *v = &r->views[i];

		json_object_object_add(b, "name", json_object_new_string(summary_name(v)));
		json_object_object_add(b, "summary", json_object_new_string(v->path));
		json_object_object_add(b, "calls", J_INT(summary_int(v, NULL, "calls")));
		json_object_object_add(b, "calls_share",
				       J_DBL(calls ? summary_int(v, NULL, "calls") / calls : 0));
		json_object_object_add(b, "requests", J_INT(summary_int(v, "counters", "requests")));
		json_object_object_add(b, "requests_share",
			J_DBL(reqs ? summary_int(v, "counters", "requests") / reqs : 0));
		json_object_object_add(b, "report", json_object_get(v->json));
		json_object_array_add(a, b);
	}
	return a;
}

static json_object *timeline(const struct run_result *r)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < r->nsamples; i++) {
		const struct sample *s = &r->samples[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "t", J_DBL(s->t));
		json_object_object_add(o, "target", J_DBL(s->target));
		json_object_object_add(o, "offered", J_DBL(s->offered));
		json_object_object_add(o, "achieved", J_DBL(s->achieved));
		json_object_object_add(o, "sent_per_s", J_DBL(s->sent));
		json_object_object_add(o, "received_per_s", J_DBL(s->received));
		json_object_object_add(o, "loss", J_DBL(s->loss));
		json_object_object_add(o, "calls_up", J_INT(s->up));
		json_object_object_add(o, "failed", J_INT(s->failed));
		json_object_object_add(o, "retransmissions", J_INT(s->retrans));
		json_object_object_add(o, "p50_ms", J_DBL(s->p50_ms));
		json_object_object_add(o, "p99_ms", J_DBL(s->p99_ms));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *find_max(const struct run_result *r)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	if (!r->find_max) {
		json_object_put(o);
		json_object_put(a);
		return NULL;
	}
	for (int i = 0; i < r->nsteps; i++) {
		const struct fm_step *s = &r->steps[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "rate", J_DBL(s->rate));
		json_object_object_add(x, "achieved", J_DBL(s->achieved));
		json_object_object_add(x, "loss", J_DBL(s->loss));
		json_object_object_add(x, "failed", J_DBL(s->failed_ratio));
		json_object_object_add(x, "p99_ms", J_DBL(s->p99_ms));
		json_object_object_add(x, "pass", json_object_new_boolean(s->pass));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "rate", J_DBL(r->max_rate));
	json_object_object_add(o, "steps", a);
	return o;
}

static json_object *config(const struct bench_opts *o)
{
	json_object *j = json_object_new_object(), *mix = json_object_new_object();

	json_object_object_add(j, "target", json_object_new_string(o->target_host));
	json_object_object_add(j, "local", json_object_new_string(o->local_host));
	json_object_object_add(j, "threads", J_INT(o->threads));
	json_object_object_add(j, "sockets", J_INT(o->sockets));
	json_object_object_add(j, "rate", J_DBL(o->rate));
	json_object_object_add(j, "rate_start", J_DBL(o->rate_start));
	json_object_object_add(j, "ramp_s", J_DBL(o->ramp_secs));
	json_object_object_add(j, "duration_s", J_DBL(o->duration_secs));
	json_object_object_add(j, "hold_ms", J_DBL(o->hold_ms));
	json_object_object_add(j, "t1_ms", J_DBL(o->t1_ms));
	for (int k = 0; k < SCEN_COUNT; k++)
		json_object_object_add(mix, scen_name[k], J_INT(o->mix[k]));
	json_object_object_add(j, "mix", mix);
	return j;
}

static json_object *calls(const struct uac_stats *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "attempted", J_INT(t->started[SCEN_CALL]));
	json_object_object_add(o, "completed", J_INT(t->completed[SCEN_CALL]));
	json_object_object_add(o, "failed", J_INT(t->failed[SCEN_CALL]));
	return o;
}

int report_json(const struct bench_opts *o, const struct run_result *r, const char *path)
{
	json_object *j = json_object_new_object();
	const uint64_t *c = r->total.c;

	json_object_object_add(j, "tool", json_object_new_string("siplb-bench " SLB_VERSION));
	json_object_object_add(j, "config", config(o));
	json_object_object_add(j, "duration_s", J_DBL(r->secs));
	json_object_object_add(j, "sending_s", J_DBL(r->send_secs));
	json_object_object_add(j, "calls", calls(&r->total));
	json_object_object_add(j, "scenarios", scenarios(&r->total));
	json_object_object_add(j, "messages", messages(r));
	json_object_object_add(j, "loss", J_DBL(c[U_TRANSACTIONS] ? (double)c[U_LOSSY] /
						 (double)c[U_TRANSACTIONS] : 0));
	json_object_object_add(j, "retransmissions", J_INT(c[U_RETRANS]));
	json_object_object_add(j, "counters", counters(c));
	json_object_object_add(j, "latency_ms", latency(&r->total));
	json_object_object_add(j, "backends", backends(r));
	json_object_object_add(j, "backend_loss", J_DBL(report_backend_loss(r)));
	json_object_object_add(j, "affinity_violations", r->nviews ? J_INT(r->violations) : NULL);
	json_object_object_add(j, "find_max", find_max(r));
	json_object_object_add(j, "timeline", timeline(r));
	int rc = json_object_to_file_ext(path, j, JSON_C_TO_STRING_PRETTY);

	if (rc)
		fprintf(stderr, "siplb-bench: --json %s: %s\n", path, json_util_get_last_err());
	json_object_put(j);
	return rc ? -1 : 0;
}
