/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's files: what they share.
 *   siplbd.c          command line, start, the event loop, signals
 *   siplbd_model.c    pools at run time (probers, resolvers), backend states,
 *                     publishing, reloads, run-time changes
 *   siplbd_rpc.c      the control socket's methods
 *   siplbd_metrics.c  the Prometheus snapshot
 *   siplbd_stats.c    the dataplane's and the XDP program's counters
 *   siplbd_xdp.c      the XDP program on xdp.interfaces
 */
#ifndef SIPLB_SIPLBD_H
#define SIPLB_SIPLBD_H

#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "siplb/config.h"
#include "siplb/health.h"
#include "siplb/metrics.h"
#include "siplb/nexthops.h"
#include "siplb/rpc.h"
#include "siplb/srv.h"
#include "siplb/state_maps.h"
#include "siplb/xdp_attach.h"

/* One line on stderr: "2024-05-01T10:00:00.123Z siplbd: ...". */
void siplbd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t siplbd_now_ns(void); /* CLOCK_MONOTONIC */

/* The operator's say over a backend (backend.drain, .disable, .enable). */
enum siplbd_admin {
	SIPLBD_ENABLED = 0,
	SIPLBD_DRAINING,   /* no new calls; in-dialog requests still reach it */
	SIPLBD_DISABLED,   /* no traffic at all */
};

const char *siplbd_admin_name(enum siplbd_admin a);

/*
 * A backend of the active generation, by id: what siplbd knows of it
 * besides the state map. Its key is (pool name, address, port): a reload
 * or an SRV answer that keeps the key keeps the id, the operator's state
 * and the health.
 */
struct siplbd_backend {
	bool used;
	uint32_t pool;                  /* index into siplbd.cfg.pools */
	char pool_name[SLB_NAME_LEN];
	struct slb_addr a;              /* and port */
	uint16_t weight, priority;      /* configured (an SRV pool's: the record's) */
	enum siplbd_admin admin;
	enum slb_backend_state health;  /* UP, DOWN or PROBING; UP when not probed */
	struct slb_health *prober;      /* the prober it is a target of; NULL: none */
	char unprobed[SLB_HEALTH_REASON_LEN]; /* why its pool's prober refused it */
	struct slb_passive passive;
	bool passive_spared;            /* a verdict left it up: the last of its pool */
};

/*
 * A pool at run time. Allocated apart: its resolver's callbacks hold its
 * address, and a reload that keeps the resolver keeps the object.
 */
struct siplbd_pool {
	struct siplbd *d;
	uint32_t index;                 /* into siplbd.cfg.pools */
	char name[SLB_NAME_LEN];
	struct slb_health *prober;      /* NULL: not probed */
	struct slb_srv *srv;            /* NULL: the file's backends */
	struct slb_srv_target *targets; /* SRV: the answer in use (cfg's backends) */
	uint32_t n_targets;
	bool answered;                  /* the resolver finished a round */
	int pfd_off, pfd_n;             /* its resolver's fds in this poll */
};

struct siplbd_options {
	const char *config;
	const char *bpffs;       /* overrides the file's bpffs */
	bool check, once, stats, json, detach;
	unsigned stats_interval; /* seconds; 0 = on SIGUSR1 only */
};

struct siplbd {
	struct siplbd_options opt;
	char config[PATH_MAX];   /* the file reloads read (config.reload FILE changes it) */
	/* Published last: the file, run-time changes, SRV answers (SRV pools'
	 * backends mirror their pool's targets). */
	struct slb_config cfg;
	struct siplbd_pool *pools[SLB_MAX_POOLS]; /* by cfg pool index */
	struct siplbd_backend *backends;          /* [SLB_MAX_BACKENDS], by id */
	bool dirty;              /* health or DNS changed since the last publish */
	char why[128];           /* what did first: the reason of the next publish */
	bool publish_failed;     /* the last automatic publish: tried again each second */
	struct slb_lcore_stats *totals; /* the dataplane's counters, summed each second */
	double build_seconds;    /* the last publish's build time */
	uint64_t started_ns;
	struct slb_maps maps;
	int lock_fd;
	struct slb_xdp xdp;      /* loaded once xdp.interfaces names one */
	struct slb_nexthops *nexthops;
	uint64_t nexthops_at_ms; /* last refresh */
	struct slb_rpc_registry *registry;
	struct slb_rpc_server *rpc;
	/* config.validate and .reload's parsing time left, as of when (siplbd_rpc.c) */
	int64_t config_budget_ns;
	uint64_t config_budget_at_ns;
	struct slb_metrics_server *metrics;
};

uint64_t siplbd_generation(const struct siplbd *d);

/* The file, with --bpffs (bpffs, when not NULL) over its bpffs. */
int siplbd_load_config(const char *path, const char *bpffs, struct slb_config *cfg, char *err,
		       size_t errlen);

/* After every publish: DSR next hops, the metrics snapshot. */
void siplbd_published(struct siplbd *d);

/* ---- siplbd_model.c ----------------------------------------------------- */

/*
 * Start: runtimes for cfg's pools (probers unless once), the first answer
 * of every SRV pool, the first generation; cfg becomes d->cfg. -1 (logged)
 * when any of it failed.
 */
int siplbd_model_start(struct siplbd *d, struct slb_config *cfg, bool once);
void siplbd_model_stop(struct siplbd *d);

/*
 * Reload (SIGHUP and config.reload): file, or d->config when NULL. One new
 * generation or nothing. 0, or an SLB_RPC_* code (BAD_CONFIG,
 * PUBLISH_FAILED) with the reason in err; both are logged.
 */
int siplbd_reload(struct siplbd *d, const char *file, char *err, size_t errlen);

/* Publishes d->cfg as it is now (run-time changes); logs why (NULL: the
 * changes d->why has noted). 0, or -1 with the reason in err (logged). */
int siplbd_publish(struct siplbd *d, const char *why, char *err, size_t errlen);

/* The event loop's part: the probers' and resolvers' fds into p (at most
 * max; returns how many), the time to their next deadline (-1: none), and
 * their work once poll returned (p as filled, with revents). */
#define SIPLBD_SRV_FDS 8 /* c-ares sockets polled per resolver */
#define SIPLBD_MODEL_FDS (SLB_MAX_POOLS * (2 + SIPLBD_SRV_FDS))
int siplbd_model_fds(struct siplbd *d, struct pollfd *p, int max);
int siplbd_model_timeout_ms(struct siplbd *d);
void siplbd_model_process(struct siplbd *d, const struct pollfd *p);

/* Every second, with the dataplane's counters t: passive health, and
 * another try for backends their prober could not take. */
void siplbd_model_tick(struct siplbd *d, const struct slb_lcore_stats *t);

/* The state a backend is published in: admin, then health, then weight. */
enum slb_backend_state siplbd_backend_state(const struct siplbd *d, uint32_t id);

/* The backend of pool p at a, port; -1 if none. */
int siplbd_find_backend(const struct siplbd *d, uint32_t p, const struct slb_addr *a);

/* ---- siplbd_rpc.c ------------------------------------------------------- */

/* The control socket on cfg's control settings; -1 (logged) on failure. */
int siplbd_rpc_open(struct siplbd *d);
void siplbd_rpc_close(struct siplbd *d);

/* ---- siplbd_metrics.c --------------------------------------------------- */

/* The endpoint on cfg's metrics settings (port 0: none); -1 (logged). */
int siplbd_metrics_start(struct siplbd *d);
/* A new snapshot for the endpoint: after a publish and every second. */
void siplbd_metrics_update(struct siplbd *d, const struct slb_lcore_stats *t);

/* ---- siplbd_stats.c ----------------------------------------------------- */

/* Every lcore's counters added up into t. */
void siplbd_stats_sum(const struct slb_maps *m, struct slb_lcore_stats *t);

/* --stats: the counters of the maps m on stdout, as lines or one JSON
 * object; 0, or 1 when they cannot be read (the reason on stderr). */
int siplbd_stats_print(const struct slb_maps *m, bool json);

/* The object --stats --json prints; NULL when the counters cannot be read. */
json_object *siplbd_stats_json(const struct slb_maps *m);

/* SIGUSR1 and --stats-interval: the same lines in the log. */
void siplbd_stats_log(const struct slb_maps *m);

/* ---- siplbd_xdp.c ------------------------------------------------------- */

/*
 * The XDP program onto cfg's xdp.interfaces (loaded into x on first use,
 * with m), and off those of old that cfg no longer lists. Every outcome is
 * logged; -1 when any interface failed.
 */
int siplbd_xdp_apply(struct slb_xdp *x, const struct slb_maps *m, const struct slb_config *old,
		     const struct slb_config *cfg);

/* --detach: siplb's program off cfg's xdp.interfaces; 0, or 1 if any failed. */
int siplbd_xdp_detach(const struct slb_config *cfg);

#endif
