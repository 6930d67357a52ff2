/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd: the control daemon. Reads the configuration, publishes it as a
 * generation of the pinned state maps, keeps the XDP program on its
 * interfaces and the DSR next hops up to date, reloads on SIGHUP, prints the
 * counters. See docs/siplbd.md.
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
#include <sys/signalfd.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "siplb/config.h"
#include "siplb/nexthops.h"
#include "siplb/publish.h"
#include "siplb/state_maps.h"
#include "siplb/xdp_attach.h"
#include "siplbd.h"

/* A live reader that has not moved on in this long is stuck, not slow. */
#define PUBLISH_MAX_WAIT_NS (10 * 1000000000ULL)
/* DSR next hops are looked at again this often, and on netlink events,
 * but not more often than NEXTHOP_MIN_GAP_MS (a busy neighbour table). */
#define NEXTHOP_REFRESH_MS 1000
#define NEXTHOP_MIN_GAP_MS 50

struct options {
	const char *config;
	const char *bpffs;      /* overrides the file's bpffs */
	bool check, once, stats, json, detach;
	unsigned stats_interval; /* seconds; 0 = on SIGUSR1 only */
};

struct daemon {
	struct options opt;
	struct slb_config cfg;  /* the one published last */
	struct slb_maps maps;
	int lock_fd;
	struct slb_xdp xdp;     /* loaded once xdp.interfaces names one */
	struct slb_nexthops *nexthops;
	uint64_t nexthops_at_ms; /* last refresh */
};

void siplbd_log(const char *fmt, ...)
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

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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
	printf("%s: ok: %u VIPs, %u pools, %u backends, %u ports, %u XDP interfaces\n",
	       opt->config, cfg.n_vips, cfg.n_pools, slb_config_n_backends(&cfg), cfg.n_ports,
	       cfg.xdp.n_ifaces);
	slb_config_free(&cfg);
	return 0;
}

/* --stats: the counters once, from the maps under --bpffs, --config's or the default. */
static int cmd_stats(const struct options *opt)
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
static int cmd_detach(const struct options *opt)
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

/* The id of pool p's backend be in s (it was just published: it is there). */
static uint32_t id_of(const struct slb_state *s, uint32_t p, const struct slb_config_backend *be)
{
	uint32_t i = 0;

	while (i < s->n_backends && (s->backends[i].state == SLB_BACKEND_UNUSED ||
				     s->backends[i].pool != p ||
				     !slb_backend_is(&s->backends[i], &be->a, be->port)))
		i++;
	return i;
}

static void log_pools(const struct slb_config *c, const struct slb_state *s)
{

	for (uint32_t p = 0; p < c->n_pools; p++) {
		siplbd_log("pool %s seed 0x%" PRIx64 " table_size %u at %u", c->pools[p].name,
		      c->pools[p].seed, s->pools[p].table_size, s->pools[p].table_off);
		for (uint32_t j = 0; j < c->pools[p].n_backends; j++) {
			const struct slb_config_backend *be = &c->pools[p].backends[j];
			uint32_t id = id_of(s, p, be);
			const struct slb_backend *b = &s->backends[id];
			char e[SIPLBD_ENDPOINT_LEN];

			siplbd_log("backend %u pool %s %s weight %u priority %u %s", id,
				   c->pools[p].name,
				   siplbd_endpoint(b->family, b->addr, b->addr6, b->port, e),
				   be->weight, be->priority, siplbd_state_name(b->state));
		}
	}
}

/* What the XDP program does besides steering: DSR encapsulation, flood caps. */
static void log_xdp_settings(const struct slb_config *c, const struct slb_state *s)
{
	char a4[INET6_ADDRSTRLEN] = "-", a6[INET6_ADDRSTRLEN] = "-";
	bool dsr = false;

	for (uint32_t i = 0; i < c->n_vips; i++)
		dsr |= c->vips[i].mode == SLB_MODE_DSR;
	if (c->dsr.src4.family)
		slb_ip_str(AF_INET, s->dsr.src4, NULL, a4);
	if (c->dsr.src6.family)
		slb_ip_str(AF_INET6, 0, s->dsr.src6, a6);
	if (dsr && c->dsr.encap == SLB_ENCAP_GUE)
		siplbd_log("dsr source %s source6 %s encap gue port %u", a4, a6, c->dsr.gue_port);
	else if (dsr)
		siplbd_log("dsr source %s source6 %s encap ipip", a4, a6);
	siplbd_log("flood source_rate %u burst %u, blocklist %u prefixes", c->flood.source_rate,
		   c->flood.source_burst, c->flood.n_blocklist);
}

/* The generation just published, as siplb-dp now sees it. */
static void log_generation(const struct daemon *d, const struct slb_publish_report *rep)
{
	const struct slb_config *c = &d->cfg;
	const struct slb_state *s = slb_state_of(&d->maps, rep->generation);
	char e[SIPLBD_ENDPOINT_LEN], rate[48] = "";

	siplbd_log("generation %" PRIu64 " published under %s: %u VIPs, %u pools, %u backends; "
	      "built in %.3f ms, waited %.3f ms for %u live readers", rep->generation, c->bpffs,
	      c->n_vips, c->n_pools, slb_config_n_backends(c), rep->build_ns / 1e6,
	      rep->wait_ns / 1e6, rep->readers);
	for (uint32_t i = 0; i < c->n_vips; i++) {
		const struct slb_config_vip *v = &c->vips[i];

		const struct slb_vip *sv = &s->vips[i];

		if (v->rate)
			snprintf(rate, sizeof(rate), " rate %u burst %u", v->rate, v->burst);
		siplbd_log("vip %s %s %s pool %s record_route %s%s", v->name,
			   siplbd_endpoint(sv->family, sv->addr, sv->addr6, sv->port, e),
			   v->mode == SLB_MODE_DSR ? "dsr (XDP)" : "proxy", c->pools[v->pool].name,
			   v->record_route ? "on" : "off", rate);
		rate[0] = 0;
	}
	log_pools(c, s);
	log_xdp_settings(c, s);
}

/* The DSR next hops of the active generation. */
static void refresh_nexthops(struct daemon *d)
{
	slb_nexthops_refresh(d->nexthops, slb_state_of(&d->maps, generation(d)));
	d->nexthops_at_ms = now_ms();
}

/*
 * Publishes cfg; on success it becomes d->cfg (otherwise it is freed), its
 * backends' next hops are resolved and the XDP program goes where its
 * xdp.interfaces say. -1 when the publish failed, -2 when only an XDP
 * interface did (logged).
 */
static int publish_config(struct daemon *d, struct slb_config *cfg, const char *what)
{
	struct slb_publish_report rep;
	struct slb_config old;
	char err[512];

	if (slb_publish(&d->maps, cfg, NULL, PUBLISH_MAX_WAIT_NS, &rep, err, sizeof(err))) {
		siplbd_log("%s: %s; generation %" PRIu64 " stays", what, err, generation(d));
		slb_config_free(cfg);
		return -1;
	}
	old = d->cfg;
	d->cfg = *cfg;
	log_generation(d, &rep);
	refresh_nexthops(d);
	int rc = siplbd_xdp_apply(&d->xdp, &d->maps, &old, &d->cfg);
	slb_config_free(&old);
	return rc ? -2 : 0;
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
		siplbd_log("%s", err);
		return -1;
	}
	if (lock_dir(cfg.bpffs, &d->lock_fd, err, sizeof(err)) ||
	    slb_maps_create(cfg.bpffs, cfg.capacity, &d->maps, err, sizeof(err)) ||
	    lock_dir(cfg.bpffs, &d->lock_fd, err, sizeof(err))) {
		siplbd_log("%s", err);
		slb_config_free(&cfg);
		return -1;
	}
	siplbd_log("maps under %s: %u Maglev slots per generation, generation %" PRIu64 " active",
		   cfg.bpffs, d->maps.control->table_capacity, generation(d));
	d->nexthops = slb_nexthops_open(d->maps.xdp_fd[SLB_XDP_MAP_NEXTHOP], siplbd_log, err,
					sizeof(err));
	if (!d->nexthops) {
		siplbd_log("%s", err);
		slb_config_free(&cfg);
		return -1;
	}
	/* At start, an interface that cannot have the program is fatal: the
	 * operator sees it at once; on a reload it is logged and the rest stays. */
	return publish_config(d, &cfg, "start") ? -1 : 0;
}

/* SIGHUP: a valid file becomes one new generation; anything else changes nothing. */
static void reload(struct daemon *d)
{
	struct slb_config cfg;
	char err[512];

	siplbd_log("reloading %s", d->opt.config);
	if (load_config(&d->opt, &cfg, err, sizeof(err))) {
		siplbd_log("reload: %s; generation %" PRIu64 " stays", err, generation(d));
		return;
	}
	if (strcmp(cfg.bpffs, d->cfg.bpffs) || cfg.capacity != d->cfg.capacity) {
		siplbd_log("reload: %s: bpffs or maglev.capacity changed, which needs a restart of "
		      "siplbd and siplb-dp; generation %" PRIu64 " stays", d->opt.config,
		      generation(d));
		slb_config_free(&cfg);
		return;
	}
	publish_config(d, &cfg, "reload");
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
	sigprocmask(SIG_BLOCK, set, NULL);
}

/* The signal waiting on fd; 0 for none. */
static int take_signal(int fd)
{
	struct signalfd_siginfo si;

	return read(fd, &si, sizeof(si)) == sizeof(si) ? (int)si.ssi_signo : 0;
}

/* Acts on sig; false when it says to exit. */
static bool on_signal(struct daemon *d, int sig)
{
	if (sig == SIGHUP)
		reload(d);
	else if (sig == SIGUSR1 || sig == SIGALRM)
		siplbd_stats_log(&d->maps);
	return sig != SIGTERM && sig != SIGINT;
}

/* How long poll may sleep: until the next periodic refresh, or the earliest
 * moment an event-triggered one may run. */
static int poll_timeout(const struct daemon *d, bool changed)
{
	uint64_t due = d->nexthops_at_ms + (changed ? NEXTHOP_MIN_GAP_MS : NEXTHOP_REFRESH_MS);
	uint64_t now = now_ms();

	return due > now ? (int)(due - now) : 0;
}

static void log_exit(const struct daemon *d, int sig)
{
	char ifaces[512] = "";

	for (uint32_t i = 0; i < d->cfg.xdp.n_ifaces; i++)
		snprintf(ifaces + strlen(ifaces), sizeof(ifaces) - strlen(ifaces), "%s%s",
			 i ? ", " : "", d->cfg.xdp.ifaces[i]);
	siplbd_log("exiting on %s: the maps stay pinned under %s, generation %" PRIu64
		   " keeps forwarding%s%s%s", strsignal(sig), d->cfg.bpffs, generation(d),
		   ifaces[0] ? "; the XDP program stays on " : "", ifaces,
		   ifaces[0] ? " (siplbd --detach removes it)" : "");
}

/* Signals, netlink events for the next hops, and the next hops every second. */
static int run(struct daemon *d, const sigset_t *set)
{
	struct itimerval every = {{d->opt.stats_interval, 0}, {d->opt.stats_interval, 0}};
	struct pollfd pfd[2] = {{.fd = signalfd(-1, set, SFD_CLOEXEC), .events = POLLIN},
				{.fd = slb_nexthops_fd(d->nexthops), .events = POLLIN}};
	bool changed = false;
	int sig = 0;

	if (pfd[0].fd < 0) {
		siplbd_log("signalfd: %s", strerror(errno));
		return 1;
	}
	if (d->opt.stats_interval)
		setitimer(ITIMER_REAL, &every, NULL);
	siplbd_log("running (pid %d): SIGHUP reloads, SIGUSR1 prints counters", (int)getpid());
	for (;;) {
		if (poll(pfd, 2, poll_timeout(d, changed)) < 0 && errno != EINTR)
			siplbd_log("poll: %s", strerror(errno));
		if (pfd[1].revents)
			changed |= slb_nexthops_events(d->nexthops);
		if (pfd[0].revents && (sig = take_signal(pfd[0].fd)) && !on_signal(d, sig))
			break;
		if (!poll_timeout(d, changed)) {
			refresh_nexthops(d);
			changed = false;
		}
	}
	log_exit(d, sig);
	close(pfd[0].fd);
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

/* 0, or -1 after saying what is wrong with the command line. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{"config", required_argument, NULL, 'c'}, {"bpffs", required_argument, NULL, 'b'},
		{"check", no_argument, NULL, 'k'}, {"once", no_argument, NULL, 'o'},
		{"stats", no_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
		{"stats-interval", required_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'},
		{"detach", no_argument, NULL, 'd'},
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
		case 'h':
			usage(stdout);
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
	struct daemon d = {.lock_fd = -1, .xdp = {.prog_fd = -1}};
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
	if (d.opt.detach)
		return cmd_detach(&d.opt);
	block_signals(&set);
	if (start(&d))
		return 1;
	rc = d.opt.once ? 0 : run(&d, &set);
	/* The program stays attached without our fds; the maps stay pinned. */
	slb_xdp_unload(&d.xdp);
	slb_nexthops_close(d.nexthops);
	slb_maps_close(&d.maps);
	slb_config_free(&d.cfg);
	close(d.lock_fd);
	return rc;
}
