/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's hooks (docs/siplbd.md, "Hooks"): the operator's executable
 * (hooks.backend_state) run on an event, the event in its environment
 * (SIPLB_EVENT, SIPLB_POOL, SIPLB_BACKEND, SIPLB_STATE, SIPLB_REASON...),
 * so that operators can alert. Never in siplbd's way: spawned (not
 * waited for), reaped on SIGCHLD, at most hooks.max_running at once (the
 * next events wait in a bounded queue, the ones beyond it are dropped and
 * counted), killed with their process group after hooks.timeout.
 */
#ifndef SIPLB_SIPLBD_HOOKS_H
#define SIPLB_SIPLBD_HOOKS_H

#include <stdint.h>
#include <sys/types.h>

#include "siplb/config.h"

#define SIPLBD_HOOKS_QUEUE 256  /* events waiting for a free slot */
#define SIPLBD_HOOK_VARS 10     /* KEY=value strings per event */
#define SIPLBD_HOOK_VAR_LEN 192

struct siplbd_hook_event {
	char vars[SIPLBD_HOOK_VARS][SIPLBD_HOOK_VAR_LEN];
	uint32_t n;
};

struct siplbd_hooks {
	const struct slb_config_hooks *cfg; /* the running configuration's */
	pid_t pid[SLB_HOOKS_MAX_RUNNING];   /* 0: free */
	uint64_t started_ns[SLB_HOOKS_MAX_RUNNING];
	struct siplbd_hook_event *queue;    /* a ring of SIPLBD_HOOKS_QUEUE */
	uint32_t head, n_queued;
	uint64_t started, failed, timed_out, dropped;
};

/* cfg: where the running configuration keeps its hooks (it may change
 * under it at a reload). -1: out of memory. */
int siplbd_hooks_init(struct siplbd_hooks *h, const struct slb_config_hooks *cfg);

/* An event: vars are "KEY=value" strings, NULL-terminated (at most
 * SIPLBD_HOOK_VARS). Run now if a slot is free, else queued. Nothing
 * when no hook is configured. */
void siplbd_hooks_event(struct siplbd_hooks *h, const char *const *vars);

/* On SIGCHLD and every second: the finished reaped (a failure logged),
 * the late killed, the queued started in the freed slots. */
void siplbd_hooks_reap(struct siplbd_hooks *h);

/* At exit: the running killed and reaped, the queue dropped. */
void siplbd_hooks_stop(struct siplbd_hooks *h);

#endif
