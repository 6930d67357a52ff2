/* SPDX-License-Identifier: BSD-3-Clause */
/* siplb-bench's options: every one checked, a bad one named with the reason. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"
#include "stats.h"

enum opt_id {
	O_CORES = 256, O_THREADS, O_SOCKETS, O_LOCAL, O_QUIET,
	O_RATE, O_RATE_START, O_RAMP, O_DURATION, O_CALLS, O_MIX, O_HOLD, O_T1, O_MAX_OPEN,
	O_USER, O_PASSWORD, O_SUMMARY, O_SUMMARY_WAIT, O_DRAIN, O_JSON, O_PLOT,
	O_FIND_MAX, O_MIN_RATE, O_MAX_RATE, O_STEP_TIME, O_MAX_LOSS, O_MAX_FAILED, O_MAX_P99,
	O_PRECISION, O_MAX_STEPS,
	O_REALM, O_CALLEE_BYE, O_NAME, O_IDLE_EXIT, O_MAX_TIME, O_HELP,
};

static const struct option long_opts[] = {
	{ "cores", 1, 0, O_CORES }, { "threads", 1, 0, O_THREADS },
	{ "sockets", 1, 0, O_SOCKETS }, { "local", 1, 0, O_LOCAL }, { "quiet", 0, 0, O_QUIET },
	{ "rate", 1, 0, O_RATE }, { "rate-start", 1, 0, O_RATE_START }, { "ramp", 1, 0, O_RAMP },
	{ "duration", 1, 0, O_DURATION }, { "calls", 1, 0, O_CALLS }, { "mix", 1, 0, O_MIX },
	{ "hold", 1, 0, O_HOLD }, { "t1", 1, 0, O_T1 }, { "max-open", 1, 0, O_MAX_OPEN },
	{ "user", 1, 0, O_USER }, { "password", 1, 0, O_PASSWORD },
	{ "summary", 1, 0, O_SUMMARY }, { "summary-wait", 1, 0, O_SUMMARY_WAIT },
	{ "drain", 1, 0, O_DRAIN }, { "json", 1, 0, O_JSON }, { "plot", 1, 0, O_PLOT },
	{ "find-max", 0, 0, O_FIND_MAX }, { "min-rate", 1, 0, O_MIN_RATE },
	{ "max-rate", 1, 0, O_MAX_RATE }, { "step-time", 1, 0, O_STEP_TIME },
	{ "max-loss", 1, 0, O_MAX_LOSS }, { "max-failed", 1, 0, O_MAX_FAILED },
	{ "max-p99", 1, 0, O_MAX_P99 }, { "precision", 1, 0, O_PRECISION },
	{ "max-steps", 1, 0, O_MAX_STEPS }, { "realm", 1, 0, O_REALM },
	{ "callee-bye", 1, 0, O_CALLEE_BYE }, { "name", 1, 0, O_NAME },
	{ "idle-exit", 1, 0, O_IDLE_EXIT }, { "max-time", 1, 0, O_MAX_TIME },
	{ "help", 0, 0, O_HELP }, { 0, 0, 0, 0 },
};

static int bad(const char *opt, const char *value, const char *why)
{
	fprintf(stderr, "siplb-bench: %s '%s': %s (siplb-bench --help lists the options)\n",
		opt, value, why);
	return -1;
}

/* A number in [min, max]; -1 after a message otherwise. */
static int number(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	double v = strtod(s, &end);

	if (errno || end == s || *end || !isfinite(v))
		return bad(opt, s, "not a number");
	if (v < min || v > max) {
		char why[96];

		snprintf(why, sizeof(why), "out of range [%g, %g]", min, max);
		return bad(opt, s, why);
	}
	*out = v;
	return 0;
}

static int count(const char *opt, const char *s, double min, double max, unsigned *out)
{
	double v;

	if (number(opt, s, min, max, &v))
		return -1;
	if (v != floor(v))
		return bad(opt, s, "not a whole number");
	*out = (unsigned)v;
	return 0;
}

/* "0,2-3": the cores, one thread each. */
static int cores(struct bench_opts *o, const char *s)
{
	char *end;
	const char *p = s;

	o->threads = 0;
	while (*p) {
		long a = strtol(p, &end, 10), b = a;

		if (end == p || a < 0 || a >= CPU_SETSIZE)
			return bad("--cores", s, "expected a list like 0,2-3");
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b >= CPU_SETSIZE)
				return bad("--cores", s, "expected a list like 0,2-3");
		}
		for (long c = a; c <= b; c++) {
			if (o->threads == BENCH_MAX_THREADS)
				return bad("--cores", s, "more cores than threads allowed (64)");
			o->cores[o->threads++] = (int)c;
		}
		if (*end && *end != ',')
			return bad("--cores", s, "expected a list like 0,2-3");
		p = *end ? end + 1 : end;
	}
	return o->threads ? 0 : bad("--cores", s, "no core");
}

/* "call=80,register=10,options=10" */
static int mix(struct bench_opts *o, const char *s)
{
	char buf[128], *save = NULL;
	unsigned total = 0;

	if (strlen(s) >= sizeof(buf))
		return bad("--mix", s, "too long");
	strcpy(buf, s);
	memset(o->mix, 0, sizeof(o->mix));
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int k;

		if (!eq)
			return bad("--mix", s, "expected KIND=SHARE,... (call, register, options)");
		*eq = 0;
		for (k = 0; k < SCEN_COUNT && strcmp(tok, scen_name[k]); k++)
			;
		if (k == SCEN_COUNT)
			return bad("--mix", s, "kinds are call, register, options");
		if (count("--mix", eq + 1, 0, 1000000, &o->mix[k]))
			return -1;
		total += o->mix[k];
	}
	return total ? 0 : bad("--mix", s, "all shares are 0");
}

static int endpoint(const char *opt, const char *s, uint16_t default_port, struct slb_addr *a)
{
	struct slb_addr_parts parts;

	switch (slb_addr_parse_endpoint(s, default_port, a, &parts)) {
	case SLB_ADDR_OK:
		return 0;
	case SLB_ADDR_ERR_PORT:
		return bad(opt, s, "the port is not 1..65535");
	default:
		return bad(opt, s, "expected ADDR, ADDR:PORT or [IPV6]:PORT");
	}
}

/* Options every role has. 1: not one of them. */
static int common_opt(struct bench_opts *o, int id, const char *arg)
{
	unsigned n;

	switch (id) {
	case O_CORES:
		return cores(o, arg);
	case O_THREADS:
		if (count("--threads", arg, 1, BENCH_MAX_THREADS, &n))
			return -1;
		o->threads = (int)n;
		for (int i = 0; i < o->threads; i++)
			o->cores[i] = -1;
		return 0;
	case O_SOCKETS:
		if (count("--sockets", arg, 1, BENCH_MAX_SOCKETS, &n))
			return -1;
		o->sockets = (int)n;
		return 0;
	case O_LOCAL:
		return endpoint("--local", arg, 0, &o->local);
	case O_QUIET:
		o->quiet = true;
		return 0;
	case O_PASSWORD:
		o->password = arg;
		return 0;
	case O_HELP:
		bench_usage(stdout);
		exit(0);
	}
	return 1;
}

static int uac_rate_opt(struct bench_opts *o, int id, const char *arg)
{
	unsigned n;

	switch (id) {
	case O_RATE:
		return number("--rate", arg, 0.001, 1e8, &o->rate);
	case O_RATE_START:
		return number("--rate-start", arg, 0, 1e8, &o->rate_start);
	case O_RAMP:
		return number("--ramp", arg, 0, 86400, &o->ramp_secs);
	case O_DURATION:
		return number("--duration", arg, 0.001, 86400 * 7, &o->duration_secs);
	case O_CALLS: {
		double v;

		if (number("--calls", arg, 1, 1e15, &v))
			return -1;
		if (v != floor(v))
			return bad("--calls", arg, "not a whole number");
		o->max_scenarios = (uint64_t)v;
		return 0;
	}
	case O_MIX:
		return mix(o, arg);
	case O_HOLD:
		return number("--hold", arg, 0, 86400e3, &o->hold_ms);
	case O_T1:
		return number("--t1", arg, 1, 10000, &o->t1_ms);
	case O_MAX_OPEN:
		if (count("--max-open", arg, 1, 1 << 24, &n))
			return -1;
		o->max_open = n;
		return 0;
	case O_DRAIN:
		return number("--drain", arg, 0, 3600, &o->drain_secs);
	}
	return 1;
}

static int find_max_opt(struct bench_opts *o, int id, const char *arg)
{
	struct find_max *f = &o->fm;
	unsigned n;

	switch (id) {
	case O_FIND_MAX:
		f->on = true;
		return 0;
	case O_MIN_RATE:
		return number("--min-rate", arg, 0, 1e8, &f->lo);
	case O_MAX_RATE:
		return number("--max-rate", arg, 1, 1e8, &f->hi);
	case O_STEP_TIME:
		return number("--step-time", arg, 0.1, 3600, &f->step_secs);
	case O_MAX_LOSS:
		return number("--max-loss", arg, 0, 1, &f->max_loss);
	case O_MAX_FAILED:
		return number("--max-failed", arg, 0, 1, &f->max_failed);
	case O_MAX_P99:
		return number("--max-p99", arg, 0.001, 1e6, &f->max_p99_ms);
	case O_PRECISION:
		return number("--precision", arg, 0.001, 1, &f->precision);
	case O_MAX_STEPS:
		if (count("--max-steps", arg, 1, 100, &n))
			return -1;
		f->max_steps = (int)n;
		return 0;
	}
	return 1;
}

static int uac_opt(struct bench_opts *o, int id, const char *arg)
{
	int rc = uac_rate_opt(o, id, arg);

	if (rc != 1)
		return rc;
	if ((rc = find_max_opt(o, id, arg)) != 1)
		return rc;
	switch (id) {
	case O_USER:
		o->user = arg;
		return 0;
	case O_SUMMARY:
		if (o->nsummaries == BENCH_MAX_SUMMARIES)
			return bad("--summary", arg, "at most 16");
		o->summaries[o->nsummaries++] = arg;
		return 0;
	case O_SUMMARY_WAIT:
		return number("--summary-wait", arg, 0, 3600, &o->summary_wait_secs);
	case O_JSON:
		o->json_path = arg;
		return 0;
	case O_PLOT:
		o->plot_dir = arg;
		return 0;
	}
	return 1;
}

static int backend_opt(struct bench_opts *o, int id, const char *arg)
{
	switch (id) {
	case O_REALM:
		o->realm = arg;
		return 0;
	case O_CALLEE_BYE:
		return number("--callee-bye", arg, 0.001, 86400e3, &o->callee_bye_ms);
	case O_SUMMARY:
		o->summary_out = arg;
		return 0;
	case O_NAME:
		o->name = arg;
		return 0;
	case O_IDLE_EXIT:
		return number("--idle-exit", arg, 0.01, 86400, &o->idle_exit_secs);
	case O_MAX_TIME:
		return number("--max-time", arg, 0.01, 86400 * 7, &o->max_secs);
	}
	return 1;
}

static void defaults(struct bench_opts *o)
{
	*o = (struct bench_opts){ .threads = 1, .cores = { -1 }, .sockets = 2, .rate = 100,
		.rate_start = -1, .duration_secs = 10, .mix = { 100, 0, 0 }, .t1_ms = 500,
		.max_open = 65536, .user = "bench", .summary_wait_secs = 10, .drain_secs = -1,
		.name = "backend",
		.fm = { .lo = 0, .hi = 0, .step_secs = 5, .max_loss = 0.001, .max_failed = 0,
			.max_p99_ms = 100, .precision = 0.05, .max_steps = 12 } };
}

/* The uac's source address when --local names none: the one the kernel
 * routes to the target from. */
static int route_source(struct bench_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len = slb_addr_to_sockaddr(&o->target, &ss);
	int fd = socket(o->target.family, SOCK_DGRAM, 0);
	uint16_t port = o->local.port;

	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) ||
	    getsockname(fd, (struct sockaddr *)&ss, &(socklen_t){ sizeof(ss) }) ||
	    slb_addr_from_sockaddr(&ss, &o->local)) {
		fprintf(stderr, "siplb-bench: no route to the target: %m\n");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	o->local.port = port;
	return 0;
}

static int check_uac(struct bench_opts *o)
{
	if (!o->target.family) {
		fprintf(stderr, "siplb-bench: uac needs a target (ADDR[:PORT], the load "
				"balancer's VIP or a uas)\n");
		return -1;
	}
	if (o->local.family && o->local.family != o->target.family) {
		fprintf(stderr, "siplb-bench: --local and the target: not one address family\n");
		return -1;
	}
	if (!o->local.family && route_source(o))
		return -1;
	if (o->fm.on && o->fm.hi <= o->fm.lo) {
		fprintf(stderr, "siplb-bench: --find-max needs --max-rate above --min-rate\n");
		return -1;
	}
	if (o->rate_start < 0)
		o->rate_start = o->ramp_secs > 0 ? 0 : o->rate;
	if (o->drain_secs < 0)
		o->drain_secs = 64 * o->t1_ms / 1000 + o->hold_ms / 1000 + 1;
	slb_addr_format(&o->target, SLB_ADDR_ENDPOINT, o->target_host, sizeof(o->target_host));
	return 0;
}

/* A uas names itself in what it sends (a unicast address); a sink sends
 * nothing and may listen on a wildcard. */
static int check_backend(struct bench_opts *o)
{
	if (!o->local.family) {
		fprintf(stderr, "siplb-bench: %s needs --local ADDR[:PORT]\n",
			o->role == ROLE_UAS ? "uas" : "sink");
		return -1;
	}
	if (o->role == ROLE_UAS && !slb_addr_unicast(&o->local)) {
		fprintf(stderr, "siplb-bench: uas needs --local with a unicast address (it is the "
				"Contact and Via of what it sends)\n");
		return -1;
	}
	if (!o->local.port)
		o->local.port = 5060;
	if (o->realm && !o->password) {
		fprintf(stderr, "siplb-bench: --realm needs --password (the one the uac gives)\n");
		return -1;
	}
	return 0;
}

static int role_of(const char *s, enum bench_role *r)
{
	static const char *const names[] = { "uac", "uas", "sink" };

	for (int i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			*r = (enum bench_role)i;
			return 0;
		}
	return -1;
}

static const char *name_of(int id)
{
	for (const struct option *p = long_opts; p->name; p++)
		if (p->val == id)
			return p->name;
	return "?";
}

static int one_opt(struct bench_opts *o, int id, const char *arg, const char *role)
{
	int rc = common_opt(o, id, arg);

	if (rc == 1)
		rc = o->role == ROLE_UAC ? uac_opt(o, id, arg) : backend_opt(o, id, arg);
	if (rc == 1) {
		fprintf(stderr, "siplb-bench: --%s is not an option of %s (siplb-bench --help)\n",
			name_of(id), role);
		return -1;
	}
	return rc;
}

static int positional(struct bench_opts *o, int argc, char **argv)
{
	if (o->role != ROLE_UAC || optind >= argc) {
		if (optind < argc)
			return bad(argv[1], argv[optind], "takes no argument besides its options");
		return 0;
	}
	if (optind + 1 < argc)
		return bad("uac", argv[optind + 1], "one target only");
	return endpoint("target", argv[optind], 5060, &o->target);
}

int bench_parse_args(int argc, char **argv, struct bench_opts *o)
{
	int id;

	defaults(o);
	if (argc < 2 || role_of(argv[1], &o->role)) {
		fprintf(stderr, "siplb-bench: the first argument is the role: uac, uas or sink "
				"(siplb-bench --help)\n");
		return -1;
	}
	optind = 2;
	opterr = 0;
	while ((id = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (id == '?' || id == ':') {
			fprintf(stderr, "siplb-bench: %s: unknown option or missing value "
					"(siplb-bench --help)\n", argv[optind - 1]);
			return -1;
		}
		if (one_opt(o, id, optarg, argv[1]))
			return -1;
	}
	if (positional(o, argc, argv))
		return -1;
	if (o->role == ROLE_UAC ? check_uac(o) : check_backend(o))
		return -1;
	slb_addr_format(&o->local, SLB_ADDR_HOST, o->local_host, sizeof(o->local_host));
	return 0;
}

void bench_usage(FILE *out)
{
	fputs("usage: siplb-bench uac TARGET [options]   calls, REGISTERs, OPTIONS to TARGET\n"
	      "       siplb-bench uas --local ADDR[:PORT] [options]   answers them\n"
	      "       siplb-bench sink --local ADDR[:PORT] [options]  counts what arrives\n"
	      "every role:  --cores LIST | --threads N   --sockets N   --local ADDR[:PORT]\n"
	      "             --password PW   --quiet\n"
	      "uac:  --rate N  --rate-start N  --ramp S  --duration S  --calls N\n"
	      "      --mix call=N,register=N,options=N  --hold MS  --t1 MS  --max-open N\n"
	      "      --user NAME  --drain S  --summary FILE (repeat)  --summary-wait S\n"
	      "      --json FILE  --plot DIR\n"
	      "      --find-max --min-rate N --max-rate N --step-time S --max-loss F\n"
	      "      --max-failed F --max-p99 MS --precision F --max-steps N\n"
	      "uas/sink:  --realm R (uas: 401 first)  --callee-bye MS (uas)\n"
	      "      --summary FILE  --name NAME  --idle-exit S  --max-time S\n"
	      "docs/bench.md explains each option and the report.\n", out);
}
