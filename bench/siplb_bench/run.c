/* SPDX-License-Identifier: BSD-3-Clause */
#include "run.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"
#include "report.h"
#include "uac.h"

/* What the main thread keeps while the threads run. */
struct runner {
	const struct bench_opts *o;
	struct uac_ctl ctl;
	struct uac_stats *per_thread;
	struct uac_stats last, now;   /* the snapshots a second apart */
	uint64_t t0, last_ns;
	struct run_result *res;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double secs_since(uint64_t t0)
{
	return (double)(now_ns() - t0) / 1e9;
}

static void plan(struct runner *r, int phase, double rate, double rate_start, double ramp)
{
	struct uac_plan p = { .rate = rate, .rate_start = rate_start, .ramp_secs = ramp,
			      .start_ns = now_ns(), .phase = phase };

	uac_ctl_set(&r->ctl, &p);
}

static uint64_t open_scenarios(const struct uac_stats *s)
{
	uint64_t open = 0;

	for (int k = 0; k < SCEN_COUNT; k++)
		open += s->started[k] - s->completed[k] - s->failed[k];
	return open;
}

static uint64_t started(const struct uac_stats *s)
{
	return s->started[0] + s->started[1] + s->started[2];
}

/* Waits up to 50 ms, sums the threads' counters, and at each second's
 * end samples it (and prints the progress line). */
static void tick(struct runner *r, double target)
{
	uint64_t next = r->last_ns + 1000000000ull, now = now_ns();
	uint64_t wait = next > now ? next - now : 0;
	struct sample s;

	if (wait > 50000000ull)
		wait = 50000000ull;
	nanosleep(&(struct timespec){ 0, (long)wait }, NULL);
	now = now_ns();
	uac_stats_sum(&r->now, r->per_thread, r->o->threads);
	if (now < next)
		return;
	report_sample(r->o, &s, &r->now, &r->last, (double)(now - r->last_ns) / 1e9);
	s.t = (double)(now - r->t0) / 1e9;
	s.target = target;
	if (!r->o->quiet)
		report_progress(&s);
	report_add_sample(r->res, &s);
	r->last = r->now;
	r->last_ns = now;
}

/* Starts none, waits for the open ones up to secs, gives up the rest. */
static void drain(struct runner *r, double secs)
{
	uint64_t from = now_ns();

	plan(r, PH_DRAIN, 0, 0, 0);
	while (open_scenarios(&r->now) && secs_since(from) < secs && !interrupted)
		tick(r, 0);
	plan(r, PH_ABORT, 0, 0, 0);
	/* the threads count what they abandon when they see the plan */
	for (int i = 0; i < 100 && open_scenarios(&r->now); i++) {
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		uac_stats_sum(&r->now, r->per_thread, r->o->threads);
	}
}

/* The run as asked: --rate (after --ramp) for --duration or --calls. */
static void run_plain(struct runner *r)
{
	const struct bench_opts *o = r->o;
	uint64_t from = now_ns();

	plan(r, PH_RUN, o->rate, o->rate_start, o->ramp_secs);
	while (secs_since(from) < o->duration_secs && !interrupted &&
	       (!o->max_scenarios || started(&r->now) < o->max_scenarios)) {
		/* the target in the middle of the second a tick samples */
		double s = secs_since(from) - 0.5, ramp = o->ramp_secs;

		s = s > 0 ? s : 0;
		tick(r, s < ramp ? o->rate_start + (o->rate - o->rate_start) * s / ramp : o->rate);
	}
	r->res->send_secs = secs_since(from);
	drain(r, o->drain_secs);
}

/* One rate of --find-max: its own counters (a difference of snapshots). */
static struct fm_step fm_step(struct runner *r, double rate)
{
	const struct find_max *f = &r->o->fm;
	struct uac_stats before = r->now, d;
	uint64_t from = now_ns();
	struct fm_step st = { .rate = rate };

	plan(r, PH_RUN, rate, rate, 0);
	while (secs_since(from) < f->step_secs && !interrupted)
		tick(r, rate);
	double secs = secs_since(from);

	drain(r, 4 * r->o->t1_ms / 1000 + r->o->hold_ms / 1000);
	uac_stats_diff(&d, &r->now, &before);
	uint64_t n = started(&d), failed = d.failed[0] + d.failed[1] + d.failed[2];

	st.achieved = (double)(d.completed[0] + d.completed[1] + d.completed[2]) / secs;
	st.loss = d.c[U_TRANSACTIONS] ? (double)d.c[U_LOSSY] / (double)d.c[U_TRANSACTIONS] : 1;
	st.failed_ratio = n ? (double)failed / (double)n : 1;
	st.p99_ms = hist_quantile(&d.lat[report_main_lat(r->o)], 0.99) / 1000;
	st.pass = n && st.loss <= f->max_loss && st.failed_ratio <= f->max_failed &&
		  st.p99_ms <= f->max_p99_ms;
	printf("find-max: %.0f/s: achieved %.0f/s loss %.4f%% failed %.4f%% p99 %.2f ms: %s\n",
	       rate, st.achieved, 100 * st.loss, 100 * st.failed_ratio, st.p99_ms,
	       st.pass ? "pass" : "fail");
	fflush(stdout);
	return st;
}

/* After a step, the datagrams still in flight (a backlog an overload left
 * in the queues) arrive and are dropped as stray: wait until 300 ms pass
 * without one (5 s at most), so the next step starts clean. */
static void settle(struct runner *r)
{
	uint64_t from = now_ns(), quiet_since = from, last = r->now.c[U_RECEIVED];

	while (secs_since(from) < 5 && secs_since(quiet_since) < 0.3 && !interrupted) {
		tick(r, 0);
		if (r->now.c[U_RECEIVED] != last)
			last = r->now.c[U_RECEIVED], quiet_since = now_ns();
	}
}

/* The next rate to try: doubling from the first while each passes (an
 * overload, which fills the queues, comes last), then bisection. */
static double next_rate(const struct find_max *f, bool failed_yet, double lo, double hi)
{
	if (!failed_yet)
		return lo * 2 < f->hi ? lo * 2 : f->hi;
	return (lo + hi) / 2;
}

/* The highest rate in [--min-rate, --max-rate] that passes, within
 * --precision of the first rate that fails, in --max-steps at most. */
static void run_find_max(struct runner *r)
{
	const struct find_max *f = &r->o->fm;
	double lo = f->lo, hi = f->hi, rate = f->lo > 0 ? f->lo : f->hi / 64;
	struct run_result *res = r->res;
	bool failed_yet = false;
	uint64_t from = now_ns();

	res->find_max = true;
	while (res->nsteps < f->max_steps && !interrupted) {
		struct fm_step st = fm_step(r, rate);

		res->steps[res->nsteps++] = st;
		settle(r);
		if (st.pass)
			lo = rate, res->max_rate = rate;
		else
			hi = rate, failed_yet = true;
		if ((st.pass && rate >= f->hi) || (failed_yet && (hi - lo) / hi < f->precision))
			break;
		if (!st.pass && !res->max_rate && rate <= f->lo)
			break; /* the lowest rate fails: nothing below to find */
		rate = next_rate(f, failed_yet, st.pass ? rate : lo, hi);
	}
	res->send_secs = secs_since(from);
}

/* The backends' summaries: shares and affinity. */
static int read_summaries(const struct bench_opts *o, struct run_result *res, double since)
{
	int rc = 0;

	for (int i = 0; i < o->nsummaries; i++) {
		res->views[i].path = o->summaries[i];
		rc |= summary_read(&res->views[i], since, o->summary_wait_secs);
	}
	res->nviews = o->nsummaries;
	if (!rc && res->nviews)
		res->violations = summary_affinity_violations(res->views, res->nviews);
	return rc;
}

static int outputs(const struct bench_opts *o, struct run_result *res)
{
	int rc = 0;

	report_table(o, res);
	if (o->json_path)
		rc |= report_json(o, res, o->json_path);
	if (o->plot_dir)
		rc |= report_plot(res, o->plot_dir);
	return rc;
}

static int verdict(const struct run_result *res)
{
	const struct uac_stats *t = &res->total;
	uint64_t failed = t->failed[0] + t->failed[1] + t->failed[2];

	if (res->find_max)
		return res->max_rate > 0 ? 0 : 1;
	return failed || !started(t) || res->violations ? 1 : 0;
}

int uac_run(const struct bench_opts *o)
{
	struct runner r = { .o = o, .ctl = { .lock = PTHREAD_MUTEX_INITIALIZER } };
	struct run_result *res = calloc(1, sizeof(*res));
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec wall;

	r.per_thread = calloc((size_t)o->threads, sizeof(*r.per_thread));
	clock_gettime(CLOCK_REALTIME, &wall);
	r.ctl.plan.phase = PH_DRAIN;
	struct uac_thread *threads = r.per_thread && res ? uac_start(o, &r.ctl, r.per_thread) : NULL;

	if (!threads)
		return 1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r.res = res;
	r.t0 = r.last_ns = now_ns();
	if (o->fm.on)
		run_find_max(&r);
	else
		run_plain(&r);
	plan(&r, PH_STOP, 0, 0, 0);
	uac_join(threads, o->threads);
	uac_stats_sum(&res->total, r.per_thread, o->threads);
	res->secs = secs_since(r.t0);
	int rc = read_summaries(o, res, (double)wall.tv_sec + wall.tv_nsec / 1e9 - 1);

	rc |= outputs(o, res) | verdict(res);
	for (int i = 0; i < res->nviews; i++)
		summary_free(&res->views[i]);
	free(res->samples);
	free(res);
	free(r.per_thread);
	return rc ? 1 : 0;
}
