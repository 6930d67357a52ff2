/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd: the control daemon. Reads the configuration, publishes it as a
 * generation of the pinned state maps, keeps the XDP program on its
 * interfaces and the DSR next hops up to date, probes the backends and
 * follows DNS SRV pools (siplbd_model.c), answers the control socket
 * (siplbd_rpc.c) and serves metrics (siplbd_metrics.c), reloads on SIGHUP,
 * prints the counters. One thread, one poll loop. See docs/siplbd.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/param.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "siplb/config.h"
#include "siplb/log.h"
#include "siplb/nexthops.h"
#include "siplb/publish.h"
#include "siplb/state_maps.h"
#include "siplb/xdp_attach.h"
#include "siplb_version.h"
#include "siplbd_common.h"
#include "siplbd_metrics.h"
#include "siplbd_model.h"
#include "siplbd_rpc.h"
#include "siplbd_stats.h"
#include "siplbd_xdp.h"

struct siplbd_options {
	const char *config;
	const char *bpffs;       /* overrides the file's bpffs */
	bool check, once, stats, json, detach;
	unsigned stats_interval; /* seconds; 0 = on SIGUSR1 only */
	enum slb_log_level log_level; /* 0: not given (the file's log_level, or info) */
};

/* The program: each module's state, which this file wires together. */
struct siplbd {
	struct siplbd_options opt;
	struct slb_maps maps;    /* the model publishes into them */
	int lock_fd;
	struct siplbd_model model;
	struct siplbd_hooks hooks; /* on the model's changes (not with --once) */
	struct siplbd_rpc rpc;   /* registry always; its socket unless --once */
	struct slb_metrics_server *metrics;
	struct slb_xdp xdp;      /* loaded once xdp.interfaces names one */
	struct slb_nexthops *nexthops;
	uint64_t nexthops_at_ms; /* last refresh */
	struct slb_lcore_stats *totals; /* the dataplane's counters, summed each second */
};

/* DSR next hops are looked at again this often, and on netlink events,
 * but not more often than NEXTHOP_MIN_GAP_MS (a busy neighbour table). */
#define NEXTHOP_REFRESH_MS 1000
#define NEXTHOP_MIN_GAP_MS 50
/* Passive health samples the counters, the metrics snapshot is renewed and a
 * failed automatic publish is tried again this often. */
#define TICK_MS 1000

static uint64_t now_ms(void)
{
	return siplbd_now_ns() / 1000000;
}

static int load_config(const struct siplbd_options *opt, struct slb_config *cfg, char *err,
		       size_t errlen)
{
	return siplbd_load_config(opt->config, opt->bpffs, cfg, err, errlen);
}

static int cmd_check(const struct siplbd_options *opt)
{
	struct slb_config cfg;
	char err[512];

	struct siplbd_state state;
	char path[PATH_MAX];

	if (load_config(opt, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok: %u VIPs, %u pools, %u backends, %u ports, %u XDP interfaces\n",
	       opt->config, cfg.n_vips, cfg.n_pools, slb_config_n_backends(&cfg), cfg.n_ports,
	       cfg.xdp.n_ifaces);
	/* The state file siplbd would apply over it: refused the same way. */
	siplbd_state_path(opt->config, cfg.state_file, path, sizeof(path));
	slb_config_free(&cfg);
	if (siplbd_state_load(&state, path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok: %u overrides\n", path, state.n);
	siplbd_state_free(&state);
	return 0;
}

/* --stats: the counters once, from the maps under --bpffs, --config's or the default. */
static int cmd_stats(const struct siplbd_options *opt)
{
	const char *dir = opt->bpffs ? opt->bpffs : SLB_CONFIG_DEFAULT_BPFFS;
	struct slb_config cfg = {0};
	struct slb_maps m;
	char err[512];
	int rc;

	if ((opt->config && load_config(opt, &cfg, err, sizeof(err))) ||
	    slb_maps_open(opt->config ? cfg.bpffs : dir, &m, err, sizeof(err))) {
		fprintf(stderr, "siplbd: %s\n", err);
		slb_config_free(&cfg);
		return 1;
	}
	slb_config_free(&cfg);
	rc = siplbd_stats_print(&m, opt->json);
	slb_maps_close(&m);
	return rc;
}

/* --detach: siplb's XDP program off the configured interfaces. */
static int cmd_detach(const struct siplbd_options *opt)
{
	struct slb_config cfg;
	char err[512];
	int rc;

	if (load_config(opt, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = siplbd_xdp_detach(&cfg);
	slb_config_free(&cfg);
	return rc;
}

/* The DSR next hops of the active generation. */
static void refresh_nexthops(struct siplbd *d)
{
	slb_nexthops_refresh(d->nexthops, siplbd_model_state(&d->model));
	d->nexthops_at_ms = now_ms();
}

/* --log-level, else the file's log_level, else info. */
static void set_log_level(const struct siplbd *d, const struct slb_config *c)
{
	slb_log_open("siplbd", d->opt.log_level ? d->opt.log_level :
			       c->log_level ? (enum slb_log_level)c->log_level : SLB_LOG_INFO);
}

/* The model published: the log level, next hops and metrics follow; after
 * a reload the XDP program follows the interfaces (logged, the rest stays). */
static void published(void *arg, const struct slb_config *replaced)
{
	struct siplbd *d = arg;

	set_log_level(d, &d->model.cfg);
	refresh_nexthops(d);
	if (d->metrics) {
		siplbd_stats_sum(&d->maps, d->totals);
		siplbd_metrics_update(d->metrics, &d->model, d->totals);
	}
	if (replaced)
		siplbd_xdp_apply(&d->xdp, &d->maps, replaced, &d->model.cfg);
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

/* The maps under cfg's bpffs, locked for us, and the DSR next hops' netlink. */
static int open_maps(struct siplbd *d, const struct slb_config *cfg)
{
	const struct slb_map_sizes sizes = {cfg->capacity, cfg->rules_capacity, cfg->rule_counters};
	char err[512];

	if (lock_dir(cfg->bpffs, &d->lock_fd, err, sizeof(err)) ||
	    slb_maps_create(cfg->bpffs, &sizes, &d->maps, err, sizeof(err)) ||
	    lock_dir(cfg->bpffs, &d->lock_fd, err, sizeof(err))) {
		slb_log(SLB_LOG_ERR, "%s", err);
		return -1;
	}
	slb_log(SLB_LOG_INFO, "maps under %s: %u Maglev slots and %u rule bytes per generation, "
		"%u rule counters per lcore, generation %" PRIu64 " active", cfg->bpffs,
		d->maps.control->table_capacity, d->maps.control->rules_capacity,
		d->maps.control->rule_counters, slb_generation(&d->maps));
	d->nexthops = slb_nexthops_open(d->maps.xdp_fd[SLB_XDP_MAP_NEXTHOP], err, sizeof(err));
	if (!d->nexthops)
		slb_log(SLB_LOG_ERR, "%s", err);
	return d->nexthops ? 0 : -1;
}

/*
 * Config, control socket and metrics endpoint (a daemon's: before anything
 * is created, so that a busy socket or port leaves the maps alone), maps,
 * first generation. A bad config creates nothing.
 */
static int start(struct siplbd *d)
{
	struct siplbd_model *m = &d->model;
	struct slb_config cfg, none = {0};
	char err[512], path[PATH_MAX];

	*m = (struct siplbd_model){.bpffs = d->opt.bpffs, .maps = &d->maps,
				   .published = published, .published_arg = d};
	if (!d->opt.once && siplbd_hooks_init(&d->hooks, &m->cfg.hooks)) {
		slb_log(SLB_LOG_ERR, "out of memory");
		return -1;
	}
	m->hooks = d->opt.once ? NULL : &d->hooks;
	/* absolute, as status shows it and config.reload FILE takes it */
	if (!realpath(d->opt.config, m->config))
		snprintf(m->config, sizeof(m->config), "%s", d->opt.config);
	d->totals = calloc(1, sizeof(*d->totals));
	if (!d->totals || load_config(&d->opt, &cfg, err, sizeof(err)) ||
	    siplbd_rpc_init(&d->rpc, m, &d->maps, err, sizeof(err))) {
		slb_log(SLB_LOG_ERR, "%s", d->totals ? err : "out of memory");
		return -1;
	}
	set_log_level(d, &cfg);
	/* What the operator changed at run time, kept: a state file siplbd
	 * cannot trust stops the start, as a bad configuration does. */
	siplbd_state_path(m->config, cfg.state_file, path, sizeof(path));
	if (siplbd_state_load(&m->state, path, err, sizeof(err))) {
		slb_log(SLB_LOG_ERR, "%s", err);
		slb_config_free(&cfg);
		return -1;
	}
	if (!cfg.n_branch_keys)
		slb_log(SLB_LOG_WARNING, "no branch_secret in %s: responses are proven with the key "
			"published last, or a random one; instances behind one VIP need the same "
			"branch_secret (docs/security.md)", m->config);
	if ((!d->opt.once && (siplbd_rpc_open(&d->rpc, &cfg.control) ||
			      siplbd_metrics_start(&cfg.metrics, &d->metrics))) ||
	    open_maps(d, &cfg)) {
		slb_config_free(&cfg);
		return -1;
	}
	if (siplbd_model_start(m, &cfg, d->opt.once))
		return -1;
	/* At start, an interface that cannot have the program is fatal: the
	 * operator sees it at once; on a reload it is logged and the rest stays. */
	return siplbd_xdp_apply(&d->xdp, &d->maps, &none, &m->cfg) ? -1 : 0;
}

static void reload(struct siplbd *d)
{
	char err[512];

	siplbd_reload(&d->model, NULL, false, err, sizeof(err));
}

/*
 * Signals are taken synchronously (a signalfd in the main loop), so no work
 * happens in a handler; blocked from the start, so a SIGHUP during start-up
 * waits.
 */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGALRM);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGCHLD); /* a hook ended */
	sigprocmask(SIG_BLOCK, set, NULL);
}

/* The signal waiting on fd; 0 for none. */
static int take_signal(int fd)
{
	struct signalfd_siginfo si;

	return read(fd, &si, sizeof(si)) == sizeof(si) ? (int)si.ssi_signo : 0;
}

/* Acts on sig; false when it says to exit. */
static bool on_signal(struct siplbd *d, int sig)
{
	if (sig == SIGHUP)
		reload(d);
	else if (sig == SIGUSR1 || sig == SIGALRM)
		siplbd_stats_log(&d->maps);
	else if (sig == SIGCHLD)
		siplbd_hooks_reap(&d->hooks);
	return sig != SIGTERM && sig != SIGINT;
}

/* Milliseconds from now to at_ms, 0 if past. */
static int until(uint64_t at_ms, uint64_t now)
{
	return at_ms > now ? (int)(at_ms - now) : 0;
}

/* The timers of the loop, in ms since boot. */
struct timers {
	uint64_t tick_at;       /* the next tick */
	bool nexthops_changed;  /* a netlink event asks for a refresh */
};

static uint64_t nexthops_due(const struct siplbd *d, const struct timers *t)
{
	return d->nexthops_at_ms + (t->nexthops_changed ? NEXTHOP_MIN_GAP_MS : NEXTHOP_REFRESH_MS);
}

/* How long poll may sleep: until the next refresh of the next hops, the
 * next tick, or what a prober or resolver waits for. */
static int poll_timeout(struct siplbd *d, const struct timers *t)
{
	uint64_t now = now_ms();
	int ms = MIN(until(nexthops_due(d, t), now), until(t->tick_at, now));
	int model = siplbd_model_timeout_ms(&d->model);

	return model >= 0 && model < ms ? model : ms;
}

/* Every second: the counters for passive health and the metrics. */
static void tick(struct siplbd *d)
{
	siplbd_stats_sum(&d->maps, d->totals);
	siplbd_model_tick(&d->model, d->totals);
	siplbd_hooks_reap(&d->hooks); /* the late ones killed */
	if (d->metrics)
		siplbd_metrics_update(d->metrics, &d->model, d->totals);
}

/* Health and DNS changes publish at once; a failed publish (logged) is
 * tried again at the next tick. */
static void timers(struct siplbd *d, struct timers *t)
{
	uint64_t now = now_ms();
	bool ticked = now >= t->tick_at;

	if (now >= nexthops_due(d, t)) {
		refresh_nexthops(d);
		t->nexthops_changed = false;
	}
	if (ticked) {
		tick(d);
		t->tick_at = now + TICK_MS;
	}
	siplbd_model_publish_dirty(&d->model, ticked);
}

static void log_exit(const struct siplbd *d, int sig)
{
	const struct slb_config *c = &d->model.cfg;
	char ifaces[512] = "";

	for (uint32_t i = 0; i < c->xdp.n_ifaces; i++)
		snprintf(ifaces + strlen(ifaces), sizeof(ifaces) - strlen(ifaces), "%s%s",
			 i ? ", " : "", c->xdp.ifaces[i]);
	slb_log(SLB_LOG_NOTICE, "exiting on %s: the maps stay pinned under %s, generation %" PRIu64
		" keeps forwarding%s%s%s", strsignal(sig), c->bpffs, slb_generation(&d->maps),
		ifaces[0] ? "; the XDP program stays on " : "", ifaces,
		ifaces[0] ? " (siplbd --detach removes it)" : "");
}

/*
 * Signals, the next hops' netlink, the control socket, the probers' and
 * resolvers' sockets; then the timers. Probers and resolvers go before the
 * socket and the signals: a reload there may replace them.
 */
static int run(struct siplbd *d, const sigset_t *set)
{
	struct itimerval every = {{d->opt.stats_interval, 0}, {d->opt.stats_interval, 0}};
	struct pollfd *p = calloc(3 + SIPLBD_MODEL_FDS, sizeof(*p));
	struct timers t = {.tick_at = now_ms() + TICK_MS};
	int sfd = signalfd(-1, set, SFD_CLOEXEC), sig = 0, m;

	if (sfd < 0 || !p) {
		slb_log(SLB_LOG_ERR, "%s", sfd < 0 ? strerror(errno) : "out of memory");
		free(p);
		return 1;
	}
	if (d->opt.stats_interval)
		setitimer(ITIMER_REAL, &every, NULL);
	slb_log(SLB_LOG_NOTICE, "running (pid %d): SIGHUP reloads, SIGUSR1 prints counters%s%s",
		(int)getpid(), d->rpc.server ? ", control socket " : "",
		d->rpc.server ? d->model.cfg.control.socket : "");
	/* Type=notify: siplb-dp.service (After=) starts once a generation is out. */
	sd_notify(0, "READY=1");
	for (;;) {
		p[0] = (struct pollfd){.fd = sfd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = slb_nexthops_fd(d->nexthops), .events = POLLIN};
		p[2] = (struct pollfd){.fd = d->rpc.server ? slb_rpc_server_fd(d->rpc.server) : -1,
				       .events = POLLIN};
		m = siplbd_model_fds(&d->model, p + 3, SIPLBD_MODEL_FDS);
		if (poll(p, (nfds_t)(3 + m), poll_timeout(d, &t)) < 0 && errno != EINTR)
			slb_log(SLB_LOG_ERR, "poll: %s", strerror(errno));
		if (p[1].revents)
			t.nexthops_changed |= slb_nexthops_events(d->nexthops);
		siplbd_model_process(&d->model, p + 3);
		if (p[2].revents && d->rpc.server)
			siplbd_rpc_serve(&d->rpc);
		if (p[0].revents && (sig = take_signal(sfd)) && !on_signal(d, sig))
			break;
		timers(d, &t);
	}
	log_exit(d, sig);
	close(sfd);
	free(p);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: siplbd --config FILE [--bpffs DIR] [--stats-interval SEC]  run\n"
		"       siplbd --config FILE [--bpffs DIR] --once                  publish, exit\n"
		"       siplbd --config FILE --check                               validate\n"
		"       siplbd [--config FILE | --bpffs DIR] --stats [--json]      print counters\n"
		"       siplbd --config FILE --detach                              XDP program off\n"
		"       siplbd --version\n"
		"--log-level LEVEL: " SLB_LOG_LEVEL_NAMES " (default: the file's log_level, info)\n"
		"signals: SIGHUP reloads FILE, SIGUSR1 prints counters, SIGTERM/SIGINT exit\n"
		"(the maps stay pinned, the XDP program attached). See docs/siplbd.md.\n");
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

static int parse_log_level(const char *v, enum slb_log_level *out)
{
	if (!slb_log_level_parse(v, out))
		return 0;
	fprintf(stderr, "siplbd: --log-level %s: one of %s expected\n", v, SLB_LOG_LEVEL_NAMES);
	return -1;
}

/* 0, or -1 after saying what is wrong with the command line. */
static int parse_args(int argc, char **argv, struct siplbd_options *o)
{
	static const struct option longs[] = {
		{"config", required_argument, NULL, 'c'}, {"bpffs", required_argument, NULL, 'b'},
		{"check", no_argument, NULL, 'k'}, {"once", no_argument, NULL, 'o'},
		{"stats", no_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
		{"stats-interval", required_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'},
		{"detach", no_argument, NULL, 'd'}, {"log-level", required_argument, NULL, 'l'},
		{"version", no_argument, NULL, 'V'},
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
		case 'd':
			o->detach = true;
			break;
		case 'i':
			if (parse_interval(optarg, &o->stats_interval))
				return -1;
			break;
		case 'l':
			if (parse_log_level(optarg, &o->log_level))
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("siplbd %s\n", SLB_VERSION);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind < argc || o->check + o->once + o->stats + o->detach > 1 ||
	    (o->json && !o->stats) || (!o->config && !o->stats)) {
		fprintf(stderr, "siplbd: %s\n", optind < argc ? "unexpected argument" :
			!o->config && !o->stats ? "--config FILE is missing" :
			"--check, --once, --stats and --detach exclude each other; --json goes "
			"with --stats");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct siplbd d = {.lock_fd = -1, .xdp = {.prog_fd = -1}};
	sigset_t set;
	int rc = 1;

	if (parse_args(argc, argv, &d.opt)) {
		usage(stderr);
		return 2;
	}
	slb_log_open("siplbd", d.opt.log_level ? d.opt.log_level : SLB_LOG_INFO);
	if (d.opt.check)
		return cmd_check(&d.opt);
	if (d.opt.stats)
		return cmd_stats(&d.opt);
	if (d.opt.detach)
		return cmd_detach(&d.opt);
	block_signals(&set);
	if (!start(&d))
		rc = d.opt.once ? 0 : run(&d, &set);
	/* The program stays attached without our fds; the maps stay pinned. */
	siplbd_rpc_close(&d.rpc);
	slb_metrics_stop(d.metrics);
	siplbd_model_stop(&d.model);
	siplbd_hooks_stop(&d.hooks);
	slb_xdp_unload(&d.xdp);
	slb_nexthops_close(d.nexthops);
	if (d.maps.control)
		slb_maps_close(&d.maps);
	free(d.totals);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	return rc;
}
