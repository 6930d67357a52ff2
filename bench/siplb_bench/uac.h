/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The caller: one thread per core, each with its own sockets (one local
 * port each), its own scenarios and timers; the main thread steers them
 * through struct uac_ctl (rate, phase) and reads their struct uac_stats.
 */
#ifndef SIPLB_BENCH_UAC_H
#define SIPLB_BENCH_UAC_H

#include <pthread.h>

#include "opts.h"
#include "stats.h"

enum uac_phase {
	PH_RUN,    /* start scenarios at the rate */
	PH_DRAIN,  /* start none, finish the open ones */
	PH_ABORT,  /* give up the open ones (counted abandoned), then idle */
	PH_STOP,   /* threads return */
};

/* What the threads do now. */
struct uac_plan {
	double rate;          /* scenarios/s, all threads together */
	double rate_start;    /* the ramp's first rate */
	double ramp_secs;
	uint64_t start_ns;    /* the step's start: its rate counts from here */
	int phase;
};

/* The plan, set by the main thread; the threads copy it when step changes. */
struct uac_ctl {
	pthread_mutex_t lock;
	struct uac_plan plan;
	uint64_t step;
};

struct uac_thread;

/* Starts o->threads threads (pinned as o->cores says) sending to o->target;
 * stats: o->threads blocks. NULL with a message on stderr on failure. */
struct uac_thread *uac_start(const struct bench_opts *o, struct uac_ctl *ctl,
			     struct uac_stats *stats);
/* The threads follow plan from now on. */
void uac_ctl_set(struct uac_ctl *ctl, const struct uac_plan *plan);
/* Waits for the threads (after PH_STOP) and frees them. */
void uac_join(struct uac_thread *t, int n);

#endif
