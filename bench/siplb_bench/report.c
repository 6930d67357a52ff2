/* SPDX-License-Identifier: BSD-3-Clause */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum lat report_main_lat(const struct bench_opts *o)
{
	if (o->mix[SCEN_CALL])
		return LAT_INVITE;
	return o->mix[SCEN_REGISTER] ? LAT_REGISTER : LAT_OPTIONS;
}

static uint64_t sum3(const uint64_t *v)
{
	return v[0] + v[1] + v[2];
}

void report_sample(const struct bench_opts *o, struct sample *s, const struct uac_stats *now,
		   const struct uac_stats *before, double dt)
{
	struct uac_stats *d = malloc(sizeof(*d));
	enum lat l = report_main_lat(o);

	memset(s, 0, sizeof(*s));
	if (!d)
		return;
	uac_stats_diff(d, now, before);
	s->offered = (double)sum3(d->started) / dt;
	s->achieved = (double)sum3(d->completed) / dt;
	s->sent = (double)d->c[U_SENT] / dt;
	s->received = (double)d->c[U_RECEIVED] / dt;
	s->loss = d->c[U_TRANSACTIONS] ? (double)d->c[U_LOSSY] / (double)d->c[U_TRANSACTIONS] : 0;
	s->up = now->started[SCEN_CALL] - now->completed[SCEN_CALL] - now->failed[SCEN_CALL];
	s->failed = sum3(d->failed);
	s->retrans = d->c[U_RETRANS];
	s->p50_ms = hist_quantile(&d->lat[l], 0.5) / 1000;
	s->p99_ms = hist_quantile(&d->lat[l], 0.99) / 1000;
	free(d);
}

void report_progress(const struct sample *s)
{
	printf("%6.1fs offered %8.0f/s achieved %8.0f/s up %7llu failed %6llu retrans %6llu "
	       "p50 %7.2f ms p99 %7.2f ms\n", s->t, s->offered, s->achieved, s->up, s->failed,
	       s->retrans, s->p50_ms, s->p99_ms);
	fflush(stdout);
}

int report_add_sample(struct run_result *r, const struct sample *s)
{
	if (r->nsamples == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct sample *v = realloc(r->samples, cap * sizeof(*v));

		if (!v)
			return -1;
		r->samples = v;
		r->cap = cap;
	}
	r->samples[r->nsamples++] = *s;
	return 0;
}

static void table_latency(const struct uac_stats *t)
{
	printf("latency (ms)        count      p50      p90      p99    p99.9\n");
	for (int l = 0; l < LAT_COUNT; l++) {
		const struct hist *h = &t->lat[l];

		if (!h->count)
			continue;
		printf("  %-14s %9llu %8.2f %8.2f %8.2f %8.2f\n", lat_name[l],
		       (unsigned long long)h->count, hist_quantile(h, 0.5) / 1000,
		       hist_quantile(h, 0.9) / 1000, hist_quantile(h, 0.99) / 1000,
		       hist_quantile(h, 0.999) / 1000);
	}
}

/* Requests the backends got over the requests the uac sent. */
double report_backend_loss(const struct run_result *r)
{
	double sent = (double)(r->total.c[U_SENT] - r->total.c[U_REPLIES]), got = 0;

	for (int i = 0; i < r->nviews; i++)
		got += (double)summary_int(&r->views[i], "counters", "requests");
	return sent > 0 ? 1 - got / sent : 0;
}

static void table_backends(const struct run_result *r)
{
	long long calls = 0, reqs = 0;

	if (!r->nviews)
		return;
	for (int i = 0; i < r->nviews; i++) {
		calls += summary_int(&r->views[i], NULL, "calls");
		reqs += summary_int(&r->views[i], "counters", "requests");
	}
	printf("backend               calls  share   requests  share\n");
	for (int i = 0; i < r->nviews; i++) {
		long long c = summary_int(&r->views[i], NULL, "calls");
		long long q = summary_int(&r->views[i], "counters", "requests");

		printf("  %-16s %9lld %5.1f%% %10lld %5.1f%%\n", summary_name(&r->views[i]), c,
		       calls ? 100.0 * (double)c / (double)calls : 0, q,
		       reqs ? 100.0 * (double)q / (double)reqs : 0);
	}
	printf("affinity violations (a Call-ID on two backends): %llu\n", r->violations);
	printf("requests lost on the way to the backends: %.4f%%\n", 100 * report_backend_loss(r));
}

static void table_find_max(const struct run_result *r)
{
	if (!r->find_max)
		return;
	printf("find-max        rate   achieved     loss   failed   p99 ms\n");
	for (int i = 0; i < r->nsteps; i++) {
		const struct fm_step *s = &r->steps[i];

		printf("  %4s %11.0f %10.0f %7.3f%% %7.3f%% %8.2f\n", s->pass ? "pass" : "fail",
		       s->rate, s->achieved, 100 * s->loss, 100 * s->failed_ratio, s->p99_ms);
	}
	printf("highest rate passing: %.0f/s\n", r->max_rate);
}

void report_table(const struct bench_opts *o, const struct run_result *r)
{
	const struct uac_stats *t = &r->total;
	const uint64_t *c = t->c;

	printf("siplb-bench uac -> %s: %d thread(s) x %d socket(s), %.1f s sending, %.1f s in all\n",
	       o->target_host, o->threads, o->sockets, r->send_secs, r->secs);
	printf("scenario        attempted  completed     failed\n");
	for (int k = 0; k < SCEN_COUNT; k++)
		if (t->started[k])
			printf("  %-12s %10llu %10llu %10llu\n", scen_name[k],
			       (unsigned long long)t->started[k], (unsigned long long)t->completed[k],
			       (unsigned long long)t->failed[k]);
	printf("messages: sent %llu (%.0f/s), received %llu (%.0f/s)\n",
	       (unsigned long long)c[U_SENT], (double)c[U_SENT] / r->secs,
	       (unsigned long long)c[U_RECEIVED], (double)c[U_RECEIVED] / r->secs);
	printf("loss: %.4f%% of transactions (%llu of %llu retransmitted or timed out); "
	       "retransmissions %llu, timeouts %llu\n",
	       c[U_TRANSACTIONS] ? 100.0 * (double)c[U_LOSSY] / (double)c[U_TRANSACTIONS] : 0,
	       (unsigned long long)c[U_LOSSY], (unsigned long long)c[U_TRANSACTIONS],
	       (unsigned long long)c[U_RETRANS], (unsigned long long)c[U_TIMEOUTS]);
	printf("counters:");
	for (int i = U_REJECTED; i < U_COUNT; i++)
		printf(" %s %llu", uac_ctr_name[i], (unsigned long long)c[i]);
	printf("\n");
	table_latency(t);
	table_backends(r);
	table_find_max(r);
}
