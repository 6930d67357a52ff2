/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Passive health on synthetic dataplane counters, sampled once a second as
 * siplbd would: when a silent or a 503-shedding backend is judged, and that
 * healthy, quiet, ringing or restarted ones are not.
 */
#include "harness.h"
#include "siplb/health.h"

#define SEC 1000000000ull

/* Per-second increments of the counters. */
struct rate {
	uint64_t requests, responses, finals, r503;
};

struct sim {
	struct slb_passive_config c;
	struct slb_passive p;
	struct slb_passive_counts n;
	uint64_t t;            /* seconds since start */
	char reason[128];
};

static void sim_init(struct sim *s)
{
	memset(s, 0, sizeof(*s));
	slb_passive_config_init(&s->c);
}

/* Runs up to `seconds` samples at rate r; returns the second of the first
 * verdict (0: none) and that verdict in *v. */
static uint64_t run(struct sim *s, struct rate r, uint64_t seconds, enum slb_passive_verdict *v)
{
	for (uint64_t i = 0; i < seconds; i++) {
		s->t++;
		s->n.requests += r.requests;
		s->n.responses += r.responses;
		s->n.finals += r.finals;
		s->n.r503 += r.r503;
		*v = slb_passive_update(&s->c, &s->p, &s->n, s->t * SEC, s->reason, sizeof(s->reason));
		if (*v != SLB_PASSIVE_OK)
			return s->t;
	}
	return 0;
}

static const struct rate healthy = {100, 150, 100, 1};

static void test_healthy_and_quiet(void)
{
	struct sim s;
	enum slb_passive_verdict v;

	sim_init(&s);
	CHECK(!run(&s, healthy, 60, &v), "healthy backend judged at %llu s: %s",
	      (unsigned long long)s.t, s.reason);
	CHECK(!run(&s, (struct rate){0, 0, 0, 0}, 60, &v), "idle backend judged: %s", s.reason);
	/* Ringing INVITEs: only 1xx for a while is not silence. */
	CHECK(!run(&s, (struct rate){10, 10, 0, 0}, 60, &v), "ringing backend judged: %s",
	      s.reason);
}

static void test_silent(void)
{
	struct sim s;
	enum slb_passive_verdict v;
	uint64_t at;

	sim_init(&s);
	run(&s, healthy, 10, &v);
	/* From second 11 on, 10 requests a second and nothing back: first
	 * seen at 11, judged 5 s later. */
	at = run(&s, (struct rate){10, 0, 0, 0}, 30, &v);
	CHECK(at == 16 && v == SLB_PASSIVE_SILENT, "silent judged at %llu s (%d)",
	      (unsigned long long)at, v);
	CHECK(!strcmp(s.reason, "60 requests, no response in 5.0 s"), "reason: %s", s.reason);

	/* One request a second: 5 s of silence is not enough, 20 requests are. */
	sim_init(&s);
	run(&s, healthy, 10, &v);
	at = run(&s, (struct rate){1, 0, 0, 0}, 60, &v);
	CHECK(at == 30 && v == SLB_PASSIVE_SILENT, "quiet silent judged at %llu s",
	      (unsigned long long)at);

	/* One response resets the count. */
	sim_init(&s);
	run(&s, healthy, 10, &v);
	CHECK(!run(&s, (struct rate){10, 0, 0, 0}, 4, &v), "judged early");
	CHECK(!run(&s, (struct rate){10, 1, 1, 0}, 1, &v), "judged on an answer");
	at = run(&s, (struct rate){10, 0, 0, 0}, 30, &v);
	CHECK(at == 21, "silence after an answer judged at %llu s", (unsigned long long)at);

	/* Off. */
	sim_init(&s);
	s.c.silence_ms = 0;
	run(&s, healthy, 10, &v);
	CHECK(!run(&s, (struct rate){10, 0, 0, 0}, 60, &v), "silence check off, yet judged");
}

static void test_overloaded(void)
{
	struct sim s;
	enum slb_passive_verdict v;
	uint64_t at;

	/* 60 % 503: judged when the first 10 s window closes. */
	sim_init(&s);
	run(&s, healthy, 1, &v);
	at = run(&s, (struct rate){10, 12, 10, 6}, 60, &v);
	CHECK(at == 11 && v == SLB_PASSIVE_OVERLOADED, "60%% 503 judged at %llu s (%d)",
	      (unsigned long long)at, v);
	CHECK(!strcmp(s.reason, "503 for 60% of 100 final responses in 10.0 s"), "reason: %s",
	      s.reason);

	/* The bound is inclusive: 50 % is judged, 49 % is not. */
	sim_init(&s);
	run(&s, healthy, 1, &v);
	CHECK(run(&s, (struct rate){10, 10, 10, 5}, 10, &v) == 11, "50%% not judged");
	sim_init(&s);
	run(&s, healthy, 1, &v);
	CHECK(!run(&s, (struct rate){100, 100, 100, 49}, 60, &v), "49%% judged: %s", s.reason);

	/* Too few finals in a window: 1 a second, all 503, is no evidence. */
	sim_init(&s);
	run(&s, healthy, 1, &v);
	CHECK(!run(&s, (struct rate){1, 1, 1, 1}, 60, &v), "judged on 10 finals: %s", s.reason);

	/* Off. */
	sim_init(&s);
	s.c.max_503_pct = 0;
	run(&s, healthy, 1, &v);
	CHECK(!run(&s, (struct rate){10, 10, 10, 10}, 60, &v), "503 check off, yet judged");
}

static void test_restart(void)
{
	struct sim s;
	enum slb_passive_verdict v;
	uint64_t at;

	sim_init(&s);
	run(&s, healthy, 10, &v);
	CHECK(!run(&s, (struct rate){10, 0, 0, 0}, 4, &v), "judged early");
	/* siplb-dp restarted: its counters start from 0 again. */
	memset(&s.n, 0, sizeof(s.n));
	CHECK(!run(&s, (struct rate){10, 0, 0, 0}, 1, &v), "judged on the restart sample");
	at = run(&s, (struct rate){10, 0, 0, 0}, 30, &v);
	CHECK(at == 21 && v == SLB_PASSIVE_SILENT,
	      "after a restart, silence judged at %llu s (the count starts again)",
	      (unsigned long long)at);
}

int main(void)
{
	test_healthy_and_quiet();
	test_silent();
	test_overloaded();
	test_restart();
	printf("passive health: ok\n");
	return 0;
}
