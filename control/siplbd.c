/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd: the control daemon. Reads the configuration, publishes it as a
 * generation of the pinned state maps, reloads on SIGHUP, prints the
 * dataplane's counters. See docs/siplbd.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "siplb/config.h"
#include "siplb/publish.h"
#include "siplb/sip_scan.h"
#include "siplb/state_maps.h"

/* A live reader that has not moved on in this long is stuck, not slow. */
#define PUBLISH_MAX_WAIT_NS (10 * 1000000000ULL)

struct options {
	const char *config;
	const char *bpffs;      /* overrides the file's bpffs */
	bool check, once, stats, json;
	unsigned stats_interval; /* seconds; 0 = on SIGUSR1 only */
};

struct daemon {
	struct options opt;
	struct slb_config cfg;  /* the one published last */
	struct slb_maps maps;
	int lock_fd;
};

static const char *const drop_names[] = {
	"not_sip", "malformed", "no_room", "not_ours", "no_route", "neigh_pending",
	"tx_full", "ip_fragment",
};

static const char *const state_names[] = {
	"unused", "up", "down", "probing", "draining", "disabled",
};

_Static_assert(sizeof(drop_names) / sizeof(*drop_names) == SLB_DROP_COUNT,
	       "a name per drop reason");
_Static_assert(sizeof(state_names) / sizeof(*state_names) == SLB_BACKEND_DISABLED + 1,
	       "a name per backend state");
_Static_assert(SLB_SIP_REASON_COUNT <= sizeof(((struct slb_lcore_stats *)0)->sip_reasons) /
	       sizeof(uint64_t), "a counter per scanner reason");
/* Summing treats the counters as one array of u64. */
_Static_assert(sizeof(struct slb_lcore_stats) % sizeof(uint64_t) == 0, "u64 counters only");

/* One line on stderr: "2024-05-01T10:00:00.123Z siplbd: ...". */
__attribute__((format(printf, 1, 2)))
static void logf_(const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ siplbd: ", stamp, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *ipv4(uint32_t addr, char *buf)
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

static const char *state_name(uint8_t s)
{
	return s <= SLB_BACKEND_DISABLED ? state_names[s] : "?";
}

/* Plain lines on stdout, for --stats: the same shape as the log lines. */
__attribute__((format(printf, 1, 2)))
static void outf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

typedef void emit_fn(const char *fmt, ...);

/* Every lcore's counters added up. They are all u64, so one array. */
static void sum_stats(const struct slb_maps *m, struct slb_lcore_stats *total)
{
	uint64_t *t = (uint64_t *)total;
	size_t n = sizeof(*total) / sizeof(uint64_t);

	memset(total, 0, sizeof(*total));
	for (int l = 0; l < SLB_MAX_LCORES; l++) {
		const uint64_t *c = (const uint64_t *)&m->stats[l];

		for (size_t i = 0; i < n; i++)
			t[i] += __atomic_load_n(&c[i], __ATOMIC_RELAXED);
	}
}

static void append(char *buf, size_t len, const char *name, uint64_t v)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, " %s %" PRIu64, name, v);
}

/* Drops, replies, scanner reasons and keep-alives: one line each. */
static void print_totals(emit_fn *emit, const struct slb_lcore_stats *t)
{
	char line[1024] = "";

	emit("stats responses msgs %" PRIu64 " bytes %" PRIu64, t->responses.msgs,
	     t->responses.bytes);
	emit("stats in_dialog msgs %" PRIu64 " bytes %" PRIu64, t->in_dialog.msgs,
	     t->in_dialog.bytes);
	for (int i = 0; i < SLB_DROP_COUNT; i++)
		append(line, sizeof(line), drop_names[i], t->drops[i]);
	emit("stats drops%s", line);
	emit("stats replies 483 %" PRIu64 " 503 %" PRIu64, t->replies[SLB_REPLY_483],
	     t->replies[SLB_REPLY_503]);
	line[0] = 0;
	for (int i = SLB_SIP_OK + 1; i < SLB_SIP_REASON_COUNT; i++)
		append(line, sizeof(line), slb_sip_reason_name((enum slb_sip_reason)i),
		       t->sip_reasons[i]);
	emit("stats malformed%s", line);
	emit("stats keepalives %" PRIu64, t->keepalives);
}

/* Per VIP and per backend of the active generation, then the totals. */
static void print_stats(emit_fn *emit, const struct slb_maps *m, const struct slb_lcore_stats *t)
{
	uint64_t g = __atomic_load_n(&m->control->generation, __ATOMIC_ACQUIRE);
	const struct slb_state *s = slb_state_of(m, g);
	char a[INET_ADDRSTRLEN];

	emit("stats generation %" PRIu64, g);
	for (uint32_t i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++)
		emit("stats vip %.*s %s:%u msgs %" PRIu64 " bytes %" PRIu64, SLB_NAME_LEN,
		     s->vips[i].name, ipv4(s->vips[i].addr, a), ntohs(s->vips[i].port),
		     t->vip_rx[i].msgs, t->vip_rx[i].bytes);
	for (uint32_t i = 0; i < s->n_backends && i < SLB_MAX_BACKENDS; i++) {
		const struct slb_backend *b = &s->backends[i];

		if (b->state == SLB_BACKEND_UNUSED || b->pool >= SLB_MAX_POOLS)
			continue;
		emit("stats backend %u %s:%u pool %.*s %s weight %u msgs %" PRIu64 " bytes %" PRIu64,
		     i, ipv4(b->addr, a), ntohs(b->port), SLB_NAME_LEN, s->pools[b->pool].name,
		     state_name(b->state), b->weight, t->backend_tx[i].msgs, t->backend_tx[i].bytes);
	}
	print_totals(emit, t);
}

static void add_counter(json_object *o, const struct slb_msg_counter *c)
{
	json_object_object_add(o, "msgs", json_object_new_uint64(c->msgs));
	json_object_object_add(o, "bytes", json_object_new_uint64(c->bytes));
}

static json_object *counter_json(const struct slb_msg_counter *c)
{
	json_object *o = json_object_new_object();

	add_counter(o, c);
	return o;
}

/* {"name"?, "address", "port", "msgs", "bytes"} */
static json_object *endpoint_json(const char *name, uint32_t addr, uint16_t port,
				  const struct slb_msg_counter *c)
{
	json_object *o = json_object_new_object();
	char a[INET_ADDRSTRLEN];

	if (name)
		json_object_object_add(o, "name", json_object_new_string_len(name,
				       (int)strnlen(name, SLB_NAME_LEN)));
	json_object_object_add(o, "address", json_object_new_string(ipv4(addr, a)));
	json_object_object_add(o, "port", json_object_new_int(ntohs(port)));
	add_counter(o, c);
	return o;
}

static json_object *totals_json(const struct slb_lcore_stats *t, json_object *o)
{
	json_object *drops = json_object_new_object(), *replies = json_object_new_object();
	json_object *malformed = json_object_new_object();

	json_object_object_add(o, "responses", counter_json(&t->responses));
	json_object_object_add(o, "in_dialog", counter_json(&t->in_dialog));
	for (int i = 0; i < SLB_DROP_COUNT; i++)
		json_object_object_add(drops, drop_names[i], json_object_new_uint64(t->drops[i]));
	json_object_object_add(o, "drops", drops);
	json_object_object_add(replies, "483", json_object_new_uint64(t->replies[SLB_REPLY_483]));
	json_object_object_add(replies, "503", json_object_new_uint64(t->replies[SLB_REPLY_503]));
	json_object_object_add(o, "replies", replies);
	for (int i = SLB_SIP_OK + 1; i < SLB_SIP_REASON_COUNT; i++)
		json_object_object_add(malformed, slb_sip_reason_name((enum slb_sip_reason)i),
				       json_object_new_uint64(t->sip_reasons[i]));
	json_object_object_add(o, "malformed", malformed);
	json_object_object_add(o, "keepalives", json_object_new_uint64(t->keepalives));
	return o;
}

/* The same as print_stats, as one JSON object. */
static json_object *stats_json(const struct slb_maps *m, const struct slb_lcore_stats *t)
{
	uint64_t g = __atomic_load_n(&m->control->generation, __ATOMIC_ACQUIRE);
	const struct slb_state *s = slb_state_of(m, g);
	json_object *o = json_object_new_object(), *vips = json_object_new_array();
	json_object *backends = json_object_new_array();

	json_object_object_add(o, "generation", json_object_new_uint64(g));
	for (uint32_t i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++)
		json_object_array_add(vips, endpoint_json(s->vips[i].name, s->vips[i].addr,
							  s->vips[i].port, &t->vip_rx[i]));
	for (uint32_t i = 0; i < s->n_backends && i < SLB_MAX_BACKENDS; i++) {
		const struct slb_backend *b = &s->backends[i];
		json_object *e;

		if (b->state == SLB_BACKEND_UNUSED || b->pool >= SLB_MAX_POOLS)
			continue;
		e = endpoint_json(NULL, b->addr, b->port, &t->backend_tx[i]);
		json_object_object_add(e, "id", json_object_new_int((int)i));
		json_object_object_add(e, "pool", json_object_new_string_len(s->pools[b->pool].name,
				       (int)strnlen(s->pools[b->pool].name, SLB_NAME_LEN)));
		json_object_object_add(e, "state", json_object_new_string(state_name(b->state)));
		json_object_object_add(e, "weight", json_object_new_int(b->weight));
		json_object_array_add(backends, e);
	}
	json_object_object_add(o, "vips", vips);
	json_object_object_add(o, "backends", backends);
	return totals_json(t, o);
}

static uint64_t generation(const struct daemon *d)
{
	return __atomic_load_n(&d->maps.control->generation, __ATOMIC_ACQUIRE);
}

/* The file, with --bpffs taking precedence over its bpffs. */
static int load_config(const struct options *opt, struct slb_config *cfg, char *err,
		       size_t errlen)
{
	if (slb_config_load(opt->config, cfg, err, errlen))
		return -1;
	if (!opt->bpffs)
		return 0;
	if (strlen(opt->bpffs) >= sizeof(cfg->bpffs)) {
		snprintf(err, errlen, "--bpffs: longer than %zu bytes", sizeof(cfg->bpffs) - 1);
		slb_config_free(cfg);
		return -1;
	}
	snprintf(cfg->bpffs, sizeof(cfg->bpffs), "%s", opt->bpffs);
	return 0;
}

static int cmd_check(const struct options *opt)
{
	struct slb_config cfg;
	char err[512];

	if (load_config(opt, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok: %u VIPs, %u pools, %u backends, %u ports\n", opt->config, cfg.n_vips,
	       cfg.n_pools, slb_config_n_backends(&cfg), cfg.n_ports);
	slb_config_free(&cfg);
	return 0;
}

/* --stats: the counters once, from the maps under --bpffs, --config's or the default. */
static int cmd_stats(const struct options *opt)
{
	const char *dir = opt->bpffs ? opt->bpffs : SLB_CONFIG_DEFAULT_BPFFS;
	struct slb_lcore_stats total;
	struct slb_config cfg = {0};
	struct slb_maps m;
	char err[512];

	if ((opt->config && load_config(opt, &cfg, err, sizeof(err))) ||
	    slb_maps_open(opt->config ? cfg.bpffs : dir, &m, err, sizeof(err))) {
		fprintf(stderr, "siplbd: %s\n", err);
		slb_config_free(&cfg);
		return 1;
	}
	slb_config_free(&cfg);
	sum_stats(&m, &total);
	if (opt->json) {
		json_object *o = stats_json(&m, &total);

		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		print_stats(outf, &m, &total);
	}
	slb_maps_close(&m);
	return 0;
}

/* The id of pool p's backend be in s (it was just published: it is there). */
static uint32_t id_of(const struct slb_state *s, uint32_t p, const struct slb_config_backend *be)
{
	uint32_t i = 0;

	while (i < s->n_backends && (s->backends[i].state == SLB_BACKEND_UNUSED ||
				     s->backends[i].pool != p || s->backends[i].addr != be->addr ||
				     s->backends[i].port != htons(be->port)))
		i++;
	return i;
}

static void log_pools(const struct slb_config *c, const struct slb_state *s)
{
	char a[INET_ADDRSTRLEN];

	for (uint32_t p = 0; p < c->n_pools; p++) {
		logf_("pool %s seed 0x%" PRIx64 " table_size %u at %u", c->pools[p].name,
		      c->pools[p].seed, s->pools[p].table_size, s->pools[p].table_off);
		for (uint32_t j = 0; j < c->pools[p].n_backends; j++) {
			const struct slb_config_backend *be = &c->pools[p].backends[j];
			uint32_t id = id_of(s, p, be);

			logf_("backend %u pool %s %s:%u weight %u priority %u %s", id,
			      c->pools[p].name, ipv4(be->addr, a), be->port, be->weight,
			      be->priority, state_name(s->backends[id].state));
		}
	}
}

/* The generation just published, as siplb-dp now sees it. */
static void log_generation(const struct daemon *d, const struct slb_publish_report *rep)
{
	const struct slb_config *c = &d->cfg;
	const struct slb_state *s = slb_state_of(&d->maps, rep->generation);
	char a[INET_ADDRSTRLEN];

	logf_("generation %" PRIu64 " published under %s: %u VIPs, %u pools, %u backends; "
	      "built in %.3f ms, waited %.3f ms for %u live readers", rep->generation, c->bpffs,
	      c->n_vips, c->n_pools, slb_config_n_backends(c), rep->build_ns / 1e6,
	      rep->wait_ns / 1e6, rep->readers);
	for (uint32_t i = 0; i < c->n_vips; i++) {
		const struct slb_config_vip *v = &c->vips[i];

		logf_("vip %s %s:%u %s pool %s record_route %s", v->name, ipv4(v->addr, a),
		      v->port, v->mode == SLB_MODE_DSR ? "dsr (siplb-dp ignores it)" : "proxy",
		      c->pools[v->pool].name, v->record_route ? "on" : "off");
	}
	log_pools(c, s);
}

/* Publishes cfg; on success it becomes d->cfg, otherwise it is freed. */
static int publish_config(struct daemon *d, struct slb_config *cfg, const char *what)
{
	struct slb_publish_report rep;
	char err[512];

	if (slb_publish(&d->maps, cfg, NULL, PUBLISH_MAX_WAIT_NS, &rep, err, sizeof(err))) {
		logf_("%s: %s; generation %" PRIu64 " stays", what, err, generation(d));
		slb_config_free(cfg);
		return -1;
	}
	slb_config_free(&d->cfg);
	d->cfg = *cfg;
	log_generation(d, &rep);
	return 0;
}

/*
 * One writer per directory: a second siplbd would publish over the first
 * (or replace its maps). Nothing to lock while dir does not exist yet.
 */
static int lock_dir(const char *dir, int *fd, char *err, size_t errlen)
{
	if (*fd >= 0)
		return 0;
	*fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!flock(*fd, LOCK_EX | LOCK_NB))
		return 0;
	snprintf(err, errlen, "%s: %s", dir, errno == EWOULDBLOCK ?
		 "another siplbd publishes there" : strerror(errno));
	close(*fd);
	*fd = -1;
	return -1;
}

/* Config, maps, first generation. A bad config creates nothing. */
static int start(struct daemon *d)
{
	struct slb_config cfg;
	char err[512];

	if (load_config(&d->opt, &cfg, err, sizeof(err))) {
		logf_("%s", err);
		return -1;
	}
	if (lock_dir(cfg.bpffs, &d->lock_fd, err, sizeof(err)) ||
	    slb_maps_create(cfg.bpffs, cfg.capacity, &d->maps, err, sizeof(err)) ||
	    lock_dir(cfg.bpffs, &d->lock_fd, err, sizeof(err))) {
		logf_("%s", err);
		slb_config_free(&cfg);
		return -1;
	}
	logf_("maps under %s: %u Maglev slots per generation, generation %" PRIu64 " active",
	      cfg.bpffs, d->maps.control->table_capacity, generation(d));
	return publish_config(d, &cfg, "start");
}

/* SIGHUP: a valid file becomes one new generation; anything else changes nothing. */
static void reload(struct daemon *d)
{
	struct slb_config cfg;
	char err[512];

	logf_("reloading %s", d->opt.config);
	if (load_config(&d->opt, &cfg, err, sizeof(err))) {
		logf_("reload: %s; generation %" PRIu64 " stays", err, generation(d));
		return;
	}
	if (strcmp(cfg.bpffs, d->cfg.bpffs) || cfg.capacity != d->cfg.capacity) {
		logf_("reload: %s: bpffs or maglev.capacity changed, which needs a restart of "
		      "siplbd and siplb-dp; generation %" PRIu64 " stays", d->opt.config,
		      generation(d));
		slb_config_free(&cfg);
		return;
	}
	publish_config(d, &cfg, "reload");
}

static void log_stats(const struct daemon *d)
{
	struct slb_lcore_stats total;

	sum_stats(&d->maps, &total);
	print_stats(logf_, &d->maps, &total);
}

/*
 * Signals are taken synchronously (sigwaitinfo), so no work happens in a
 * handler; blocked from the start, so a SIGHUP during start-up waits.
 */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGALRM);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigprocmask(SIG_BLOCK, set, NULL);
}

static int run(struct daemon *d, const sigset_t *set)
{
	struct itimerval every = {{d->opt.stats_interval, 0}, {d->opt.stats_interval, 0}};
	int sig;

	if (d->opt.stats_interval)
		setitimer(ITIMER_REAL, &every, NULL);
	logf_("running (pid %d): SIGHUP reloads, SIGUSR1 prints counters", (int)getpid());
	for (;;) {
		sig = sigwaitinfo(set, NULL);
		if (sig == SIGHUP)
			reload(d);
		else if (sig == SIGUSR1 || sig == SIGALRM)
			log_stats(d);
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	logf_("exiting on %s: the maps stay pinned under %s, generation %" PRIu64
	      " keeps forwarding", strsignal(sig), d->cfg.bpffs, generation(d));
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: siplbd --config FILE [--bpffs DIR] [--stats-interval SEC]  run\n"
		"       siplbd --config FILE [--bpffs DIR] --once                  publish, exit\n"
		"       siplbd --config FILE --check                               validate\n"
		"       siplbd [--config FILE | --bpffs DIR] --stats [--json]      print counters\n"
		"signals: SIGHUP reloads FILE, SIGUSR1 prints counters, SIGTERM/SIGINT exit\n"
		"(the maps stay pinned). See docs/siplbd.md.\n");
}

static int parse_interval(const char *v, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || errno || n > 86400 || v[0] == '-') {
		fprintf(stderr, "siplbd: --stats-interval %s: seconds, 0..86400 expected\n", v);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/* 0, or -1 after saying what is wrong with the command line. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{"config", required_argument, NULL, 'c'}, {"bpffs", required_argument, NULL, 'b'},
		{"check", no_argument, NULL, 'k'}, {"once", no_argument, NULL, 'o'},
		{"stats", no_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
		{"stats-interval", required_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'b':
			o->bpffs = optarg;
			break;
		case 'k':
			o->check = true;
			break;
		case 'o':
			o->once = true;
			break;
		case 's':
			o->stats = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'i':
			if (parse_interval(optarg, &o->stats_interval))
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind < argc || o->check + o->once + o->stats > 1 || (o->json && !o->stats) ||
	    (!o->config && !o->stats)) {
		fprintf(stderr, "siplbd: %s\n", optind < argc ? "unexpected argument" :
			!o->config && !o->stats ? "--config FILE is missing" :
			"--check, --once and --stats exclude each other; --json goes with --stats");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = {.lock_fd = -1};
	sigset_t set;
	int rc;

	if (parse_args(argc, argv, &d.opt)) {
		usage(stderr);
		return 2;
	}
	if (d.opt.check)
		return cmd_check(&d.opt);
	if (d.opt.stats)
		return cmd_stats(&d.opt);
	block_signals(&set);
	if (start(&d))
		return 1;
	rc = d.opt.once ? 0 : run(&d, &set);
	slb_maps_close(&d.maps);
	slb_config_free(&d.cfg);
	close(d.lock_fd);
	return rc;
}
