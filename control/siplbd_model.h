/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's model (siplbd_model.c): the configuration published last, the
 * pools at run time (probers, resolvers) and what siplbd knows of each
 * backend; every change becomes one generation of the state maps. The
 * modules above it (the control socket's methods, the metrics snapshot)
 * read struct siplbd_model and change it only through these functions.
 */
#ifndef SIPLB_SIPLBD_MODEL_H
#define SIPLB_SIPLBD_MODEL_H

#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "siplb/config.h"
#include "siplb/health.h"
#include "siplb/srv.h"
#include "siplb/state_maps.h"
#include "siplbd_common.h"
#include "siplbd_hooks.h"
#include "siplbd_state.h"

/*
 * A backend of the active generation, by id: what siplbd knows of it
 * besides the state map. Its key is (pool name, address, port): a reload
 * or an SRV answer that keeps the key keeps the id, the operator's state
 * and the health.
 */
struct siplbd_backend {
	bool used;
	uint32_t pool;                  /* index into siplbd_model.cfg.pools */
	char pool_name[SLB_NAME_LEN];
	struct slb_addr a;              /* and port */
	uint16_t weight, priority;      /* configured (an SRV pool's: the record's) */
	enum siplbd_admin admin;        /* the state's say (siplbd_state_admin) */
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
	struct siplbd_model *m;
	uint32_t index;                 /* into siplbd_model.cfg.pools */
	char name[SLB_NAME_LEN];
	struct slb_health *prober;      /* NULL: not probed */
	struct slb_srv *srv;            /* NULL: the file's backends */
	struct slb_srv_target *targets; /* SRV: the answer in use (cfg's backends) */
	uint32_t n_targets;
	bool answered;                  /* the resolver finished a round */
	int pfd_off, pfd_n;             /* its resolver's fds in this poll */
};

/*
 * Told after every publish, to bring what follows the generation in line
 * (DSR next hops, metrics, the XDP program): replaced is the configuration
 * a reload replaced, NULL after other publishes and the first.
 */
typedef void siplbd_published_fn(void *arg, const struct slb_config *replaced);

struct siplbd_model {
	/* Published last: the file, run-time changes, SRV answers (SRV pools'
	 * backends mirror their pool's targets). */
	struct slb_config cfg;
	char config[PATH_MAX];   /* the file reloads read (config.reload FILE --set-default
				  * changes it) */
	char published_from[PATH_MAX]; /* the file of the last reload (or start) */
	struct siplbd_state state; /* the operator's changes, kept (its path set before start) */
	struct siplbd_hooks *hooks; /* told of backend state changes; NULL: none */
	const char *bpffs;       /* --bpffs: over every file's bpffs; NULL: none */
	struct slb_maps *maps;   /* what it publishes into (the caller's) */
	siplbd_published_fn *published;
	void *published_arg;
	struct siplbd_pool *pools[SLB_MAX_POOLS]; /* by cfg pool index */
	struct siplbd_backend *backends;          /* [SLB_MAX_BACKENDS], by id */
	bool dirty;              /* health or DNS changed since the last publish */
	char why[128];           /* what did first: the reason of the next publish */
	bool publish_failed;     /* the last automatic publish: tried again each second */
	double build_seconds;    /* the last publish's build time */
};

/*
 * Start: runtimes for cfg's pools (probers unless once), the first answer
 * of every SRV pool, the first generation into m->maps; cfg becomes
 * m->cfg. m's config, bpffs, maps and published are set by the caller
 * before. -1 (logged) when any of it failed.
 */
int siplbd_model_start(struct siplbd_model *m, struct slb_config *cfg, bool once);
void siplbd_model_stop(struct siplbd_model *m);

/* The active generation of m->maps, and its state. */
uint64_t siplbd_model_generation(const struct siplbd_model *m);
const struct slb_state *siplbd_model_state(const struct siplbd_model *m);

/*
 * Reload (SIGHUP and config.reload): file, or m->config when NULL, with the
 * operator's changes (m->state) over it. One new generation or nothing.
 * file becomes m->config only with set_default. 0, or an SLB_RPC_* code
 * (BAD_CONFIG, PUBLISH_FAILED, INTERNAL_ERROR) with the reason in err;
 * both are logged.
 */
int siplbd_reload(struct siplbd_model *m, const char *file, bool set_default, char *err,
		  size_t errlen);

/* The operator's changes forgotten (the state file emptied) and m->config
 * reloaded; on failure they stay. As siplbd_reload. */
int siplbd_model_forget(struct siplbd_model *m, char *err, size_t errlen);

/* Publishes m->cfg as it is now (run-time changes); logs why (NULL: the
 * changes m->why has noted). 0, or -1 with the reason in err (logged). */
int siplbd_publish(struct siplbd_model *m, const char *why, char *err, size_t errlen);

/* The operator's say over backend id, kept in the state file and
 * published (why: logged); on failure it is as it was. 0, or -1 with the
 * reason in err. */
int siplbd_model_set_admin(struct siplbd_model *m, uint32_t id, enum siplbd_admin admin,
			   const char *why, char *err, size_t errlen);

/* Static pool p's backends become list (n entries, taken over: malloc'd),
 * kept in the state file and published; on failure the old list is back. A backend new in the list
 * starts with health fresh when the pool is probed: SLB_BACKEND_PROBING
 * (no calls until `rise` good probes) or SLB_BACKEND_UP. 0, or -1 with err. */
int siplbd_model_set_backends(struct siplbd_model *m, uint32_t p, struct slb_config_backend *list,
			      uint32_t n, enum slb_backend_state fresh, const char *why, char *err,
			      size_t errlen);

/* VIP vip's rules become rules (taken over), kept in the state file and
 * published; on failure the old ones are back. 0, or -1 with err. */
int siplbd_model_set_rules(struct siplbd_model *m, uint32_t vip, struct slb_rules *rules,
			   const char *why, char *err, size_t errlen);

/* The event loop's part: the probers' and resolvers' fds into p (at most
 * max; returns how many), the time to their next deadline (-1: none), and
 * their work once poll returned (p as filled, with revents). */
#define SIPLBD_SRV_FDS 8 /* c-ares sockets polled per resolver */
#define SIPLBD_MODEL_FDS (SLB_MAX_POOLS * (2 + SIPLBD_SRV_FDS))
int siplbd_model_fds(struct siplbd_model *m, struct pollfd *p, int max);
int siplbd_model_timeout_ms(struct siplbd_model *m);
void siplbd_model_process(struct siplbd_model *m, const struct pollfd *p);

/* Every second, with the dataplane's counters t: passive health, and
 * another try for backends their prober could not take. */
void siplbd_model_tick(struct siplbd_model *m, const struct slb_lcore_stats *t);

/* Health and DNS changes publish at once: after the loop's work, unless
 * the last try failed (then at the next tick). */
void siplbd_model_publish_dirty(struct siplbd_model *m, bool ticked);

/* The state a backend is published in: admin, then health, then weight. */
enum slb_backend_state siplbd_backend_state(const struct siplbd_model *m, uint32_t id);

/* Published draining only because a group of a lower priority value takes
 * the new calls (the dataplane treats both alike: in-dialog requests still
 * reach it): shown "standby" by siplbctl, the log and the metrics. */
bool siplbd_backend_standby(const struct siplbd_model *m, uint32_t id);

/* The state shown (siplbctl, the log): the published one, or "standby". */
const char *siplbd_backend_state_text(const struct siplbd_model *m, uint32_t id);

/* The backend of pool p at a, port; -1 if none. */
int siplbd_find_backend(const struct siplbd_model *m, uint32_t p, const struct slb_addr *a);

#endif
