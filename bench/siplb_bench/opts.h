/* SPDX-License-Identifier: BSD-3-Clause */
/* siplb-bench's command line: one struct for every role (args.c fills it). */
#ifndef SIPLB_BENCH_OPTS_H
#define SIPLB_BENCH_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "siplb/addr.h"

#define BENCH_MAX_THREADS 64
#define BENCH_MAX_SOCKETS 16
#define BENCH_MAX_SUMMARIES 16

enum bench_role { ROLE_UAC, ROLE_UAS, ROLE_SINK };

/* What a uac scenario is: a call, a registration, an OPTIONS ping. */
enum scen { SCEN_CALL, SCEN_REGISTER, SCEN_OPTIONS, SCEN_COUNT };

struct find_max {
	bool on;
	double lo, hi;          /* calls/s: the range searched */
	double step_secs;       /* each rate tried this long */
	double max_loss;        /* fraction of transactions retransmitted or lost */
	double max_failed;      /* fraction of scenarios failed */
	double max_p99_ms;      /* INVITE->200 (or the scenario's first) p99 */
	double precision;       /* stop when (hi - lo) / hi is below this */
	int max_steps;
};

struct bench_opts {
	enum bench_role role;
	int threads;
	int cores[BENCH_MAX_THREADS];   /* -1: not pinned */
	int sockets;                    /* per thread */
	struct slb_addr local;          /* bind address, port: uac base / uas port */
	struct slb_addr target;         /* uac: where requests go */
	char local_host[SLB_ADDR_TEXT_LEN];  /* as a URI host */
	char target_host[SLB_ADDR_TEXT_LEN]; /* as a URI host with port */
	/* uac */
	double rate, rate_start, ramp_secs, duration_secs, drain_secs;
	uint64_t max_scenarios;         /* 0: no limit */
	unsigned mix[SCEN_COUNT];       /* shares */
	double hold_ms, t1_ms;
	unsigned max_open;              /* per thread: open scenarios */
	const char *user;               /* R-URI / AoR user */
	const char *password;           /* uac: digest credentials; uas: checks them */
	const char *realm;              /* uas: challenge REGISTERs in this realm */
	const char *summaries[BENCH_MAX_SUMMARIES];
	int nsummaries;
	double summary_wait_secs;
	struct find_max fm;
	const char *json_path, *plot_dir;
	bool quiet;
	/* uas / sink */
	double callee_bye_ms;           /* uas: 0 = the caller hangs up */
	const char *summary_out, *name;
	double idle_exit_secs, max_secs;
};

/* Parses argv into *o; on a bad argument prints why and returns -1. */
int bench_parse_args(int argc, char **argv, struct bench_opts *o);
void bench_usage(FILE *out);

#endif
