/* SPDX-License-Identifier: BSD-3-Clause */
/* siplbd's hooks: spawned, reaped, bounded (siplbd_hooks.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "siplb/log.h"
#include "siplbd_common.h"
#include "siplbd_hooks.h"

int siplbd_hooks_init(struct siplbd_hooks *h, const struct slb_config_hooks *cfg)
{
	*h = (struct siplbd_hooks){.cfg = cfg};
	h->queue = calloc(SIPLBD_HOOKS_QUEUE, sizeof(*h->queue));
	return h->queue ? 0 : -1;
}

static int free_slot(const struct siplbd_hooks *h)
{
	for (uint32_t i = 0; i < h->cfg->max_running && i < SLB_HOOKS_MAX_RUNNING; i++)
		if (!h->pid[i])
			return (int)i;
	return -1;
}

/*
 * The hook with ev's variables as its whole environment (and a PATH), in
 * a process group of its own (so that a timeout kills what it started
 * too), stdin /dev/null, siplbd's signal mask and dispositions not
 * inherited (siplbd blocks the signals it takes by signalfd).
 */
static void spawn(struct siplbd_hooks *h, int slot, const struct siplbd_hook_event *ev)
{
	char *envp[SIPLBD_HOOK_VARS + 2], *argv[] = {(char *)h->cfg->backend_state, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	pid_t pid;
	int rc;

	for (uint32_t i = 0; i < ev->n; i++)
		envp[i] = (char *)ev->vars[i];
	envp[ev->n] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	envp[ev->n + 1] = NULL;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
				       POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawn(&pid, argv[0], &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		h->failed++;
		slb_log(SLB_LOG_WARNING, "hook not run: hook=%s reason=\"%s\" %s", argv[0],
			strerror(rc), ev->vars[0]);
		return;
	}
	h->pid[slot] = pid;
	h->started_ns[slot] = siplbd_now_ns();
	h->started++;
}

void siplbd_hooks_event(struct siplbd_hooks *h, const char *const *vars)
{
	struct siplbd_hook_event ev = {0};
	int slot;

	if (!h->queue || !h->cfg->backend_state[0])
		return;
	for (; vars[ev.n] && ev.n < SIPLBD_HOOK_VARS; ev.n++)
		snprintf(ev.vars[ev.n], SIPLBD_HOOK_VAR_LEN, "%s", vars[ev.n]);
	slot = h->n_queued ? -1 : free_slot(h);
	if (slot >= 0) {
		spawn(h, slot, &ev);
	} else if (h->n_queued < SIPLBD_HOOKS_QUEUE) {
		h->queue[(h->head + h->n_queued++) % SIPLBD_HOOKS_QUEUE] = ev;
	} else if (!h->dropped++ || !(h->dropped & (h->dropped - 1))) {
		/* logged at 1, 2, 4, 8, ... drops: a storm is one line per doubling */
		slb_log(SLB_LOG_WARNING, "hook event dropped: %d waiting already, %u running "
			"(hooks.max_running); dropped=%llu", SIPLBD_HOOKS_QUEUE, h->cfg->max_running,
			(unsigned long long)h->dropped);
	}
}

/* What became of slot i's process, if it ended. */
static void reap_one(struct siplbd_hooks *h, uint32_t i, uint64_t now)
{
	int status;
	pid_t r = waitpid(h->pid[i], &status, WNOHANG);

	if (r == 0) {
		if (now - h->started_ns[i] > (uint64_t)h->cfg->timeout_ms * 1000000 &&
		    !kill(-h->pid[i], SIGKILL)) {
			h->timed_out++;
			h->started_ns[i] = UINT64_MAX / 2; /* killed once; reaped on its SIGCHLD */
			slb_log(SLB_LOG_WARNING, "hook killed: pid=%d timeout=%.1fs",
				(int)h->pid[i], h->cfg->timeout_ms / 1e3);
		}
		return;
	}
	if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status))
		slb_log(SLB_LOG_WARNING, "hook failed: pid=%d exit=%d", (int)r, WEXITSTATUS(status));
	else if (r > 0 && WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		slb_log(SLB_LOG_WARNING, "hook failed: pid=%d signal=%d", (int)r, WTERMSIG(status));
	h->failed += r < 0 || !WIFEXITED(status) || WEXITSTATUS(status);
	h->pid[i] = 0;
}

void siplbd_hooks_reap(struct siplbd_hooks *h)
{
	uint64_t now = siplbd_now_ns();
	int slot;

	for (uint32_t i = 0; i < SLB_HOOKS_MAX_RUNNING; i++)
		if (h->pid[i])
			reap_one(h, i, now);
	while (h->n_queued && (slot = free_slot(h)) >= 0) {
		spawn(h, slot, &h->queue[h->head]);
		h->head = (h->head + 1) % SIPLBD_HOOKS_QUEUE;
		h->n_queued--;
	}
}

void siplbd_hooks_stop(struct siplbd_hooks *h)
{
	for (uint32_t i = 0; i < SLB_HOOKS_MAX_RUNNING; i++) {
		if (!h->pid[i])
			continue;
		kill(-h->pid[i], SIGKILL);
		waitpid(h->pid[i], NULL, 0);
		h->pid[i] = 0;
	}
	free(h->queue);
	h->queue = NULL;
	h->n_queued = 0;
}
