/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uac's report: a progress line each second, the table at the end,
 * --json with all of it, --plot with gnuplot charts over time.
 */
#ifndef SIPLB_BENCH_REPORT_H
#define SIPLB_BENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "opts.h"
#include "stats.h"
#include "summary.h"

/* One second of the run. */
struct sample {
	double t;              /* seconds since the start */
	double target;         /* the rate asked for */
	double offered;        /* scenarios started per second */
	double achieved;       /* scenarios completed per second */
	double sent, received; /* datagrams per second */
	double loss;           /* lossy transactions / transactions, this second */
	unsigned long long up; /* calls open at the end of the second */
	unsigned long long failed, retrans; /* this second */
	double p50_ms, p99_ms; /* the main latency (report_main_lat) this second */
};

struct fm_step {
	double rate, achieved, loss, failed_ratio, p99_ms;
	bool pass;
};

struct run_result {
	struct uac_stats total;
	double secs;           /* from the start to the end of the drain */
	double send_secs;      /* while scenarios were started */
	struct sample *samples;
	size_t nsamples, cap;
	bool find_max;
	struct fm_step steps[100];
	int nsteps;
	double max_rate;       /* find-max: the highest rate that passed (0: none) */
	struct backend_view views[BENCH_MAX_SUMMARIES];
	int nviews;
	unsigned long long violations;
};

/* The latency the run is judged by: INVITE->200 with calls in the mix,
 * else REGISTER->200, else OPTIONS->200. */
enum lat report_main_lat(const struct bench_opts *o);
/* The sample of the second between two snapshots (dt seconds apart). */
void report_sample(const struct bench_opts *o, struct sample *s, const struct uac_stats *now,
		   const struct uac_stats *before, double dt);
void report_progress(const struct sample *s);
int report_add_sample(struct run_result *r, const struct sample *s);
/* Requests the uac sent that no backend summary counted (0 without summaries). */
double report_backend_loss(const struct run_result *r);
void report_table(const struct bench_opts *o, const struct run_result *r);
int report_json(const struct bench_opts *o, const struct run_result *r, const char *path);
/* PNG charts in dir through gnuplot; -1 with a message when it fails. */
int report_plot(const struct run_result *r, const char *dir);

#endif
