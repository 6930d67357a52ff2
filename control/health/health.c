/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP OPTIONS prober (include/siplb/health.h): its targets, their
 * timers and the rise/fall state machine. The wire side (building probes,
 * reading replies and ICMP errors) is in probe_io.c.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "health_int.h"

struct slb_health *slb_health_create(const struct slb_health_config *c,
				     slb_health_change_cb cb, void *arg,
				     char *err, size_t errlen)
{
	struct slb_health *h;

	if (slb_health_config_check(c, err, errlen))
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->cfg = *c;
	h->cb = cb;
	h->arg = arg;
	h->fd4 = h->fd6 = -1;
	/* The nonce tells our probes from those of another siplbd (or of the
	 * prober before a reload) that the same backend answers. */
	if (getrandom(&h->nonce, sizeof(h->nonce), 0) != sizeof(h->nonce))
		h->nonce = slb_health_now_ns() ^ ((uint64_t)getpid() << 32);
	if (slb_probe_open(h, err, errlen)) {
		slb_health_destroy(h);
		return NULL;
	}
	return h;
}

void slb_health_destroy(struct slb_health *h)
{
	if (!h)
		return;
	if (h->fd4 >= 0)
		close(h->fd4);
	if (h->fd6 >= 0)
		close(h->fd6);
	free(h->slots);
	free(h);
}

static struct slb_probe_target *find(const struct slb_health *h, uint32_t id)
{
	for (uint32_t i = 0; i < h->n_slots; i++)
		if (h->slots[i].used && h->slots[i].t.id == id)
			return &h->slots[i];
	return NULL;
}

/* A free slot (grown by doubling); its index goes into Call-IDs. */
static int free_slot(struct slb_health *h, uint32_t *slot)
{
	for (uint32_t i = 0; i < h->n_slots; i++)
		if (!h->slots[i].used) {
			*slot = i;
			return 0;
		}
	uint32_t n = h->n_slots ? h->n_slots * 2 : 16;
	struct slb_probe_target *s = realloc(h->slots, n * sizeof(*s));
	if (!s)
		return -1;
	memset(&s[h->n_slots], 0, (n - h->n_slots) * sizeof(*s));
	*slot = h->n_slots;
	h->slots = s;
	h->n_slots = n;
	return 0;
}

static int check_target(const struct slb_health *h, const struct slb_health_target *t,
			enum slb_backend_state initial, char *err, size_t errlen)
{
	if (find(h, t->id))
		snprintf(err, errlen, "target id %u is probed already", t->id);
	else if (t->a.family != AF_INET && t->a.family != AF_INET6)
		snprintf(err, errlen, "target id %u: address family %u", t->id, t->a.family);
	else if (t->a.family == AF_INET6 && h->fd6 < 0)
		snprintf(err, errlen, "target id %u: IPv6 is not available on this host", t->id);
	else if (t->a.port == 0)
		snprintf(err, errlen, "target id %u: port 0", t->id);
	else if (initial != SLB_BACKEND_UP && initial != SLB_BACKEND_DOWN &&
		 initial != SLB_BACKEND_PROBING)
		snprintf(err, errlen, "target id %u: a target starts up, down or probing", t->id);
	else
		return 0;
	return -1;
}

/* What the status says before a probe has answered: how it starts, not
 * "added" (the first answer of an up target replaces it). */
static void initial_reason(const struct slb_health *h, struct slb_probe_target *tg)
{
	if (tg->st.state == SLB_BACKEND_UP)
		snprintf(tg->st.reason, sizeof(tg->st.reason), "up until probes say otherwise");
	else if (tg->st.state == SLB_BACKEND_DOWN)
		snprintf(tg->st.reason, sizeof(tg->st.reason), "down until a probe answers");
	else
		snprintf(tg->st.reason, sizeof(tg->st.reason), "new: up after %u good probes",
			 h->cfg.rise);
}

/* Within a quarter interval, so that targets added together spread out. */
static uint64_t first_probe_ns(const struct slb_health *h, uint32_t slot)
{
	uint64_t spread = (uint64_t)h->cfg.interval_ms * 1000000u / 4;
	uint64_t x = (h->nonce ^ slot) * 0x9e3779b97f4a7c15ull;

	return slb_health_now_ns() + (spread ? (x >> 11) % spread : 0);
}

int slb_health_add(struct slb_health *h, const struct slb_health_target *t,
		   enum slb_backend_state initial, char *err, size_t errlen)
{
	struct slb_probe_target *tg;
	uint32_t slot, seq;

	if (check_target(h, t, initial, err, errlen))
		return -1;
	if (free_slot(h, &slot)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	tg = &h->slots[slot];
	seq = tg->seq;
	memset(tg, 0, sizeof(*tg));
	/* A reused slot keeps counting, so that a late reply to the slot's
	 * previous target cannot pass for one to this target. */
	tg->seq = seq;
	tg->t = *t;
	if (slb_probe_address(h, tg, err, errlen))
		return -1;
	tg->st.state = initial;
	tg->st.rtt_us = -1;
	tg->st.changed_ns = slb_health_now_ns();
	initial_reason(h, tg);
	tg->next_send_ns = first_probe_ns(h, slot);
	tg->used = true;
	return 0;
}

int slb_health_remove(struct slb_health *h, uint32_t id)
{
	struct slb_probe_target *tg = find(h, id);

	if (!tg)
		return -1;
	tg->used = false;
	return 0;
}

const struct slb_health_status *slb_health_status(const struct slb_health *h, uint32_t id)
{
	const struct slb_probe_target *tg = find(h, id);

	return tg ? &tg->st : NULL;
}

const struct slb_health_stray *slb_health_stray(const struct slb_health *h)
{
	return &h->stray;
}

int slb_health_fds(const struct slb_health *h, int fds[2])
{
	int n = 0;

	fds[n++] = h->fd4;
	if (h->fd6 >= 0)
		fds[n++] = h->fd6;
	return n;
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return a && (!b || a < b) ? a : b;
}

int slb_health_timeout_ms(const struct slb_health *h)
{
	uint64_t next = 0, now;

	for (uint32_t i = 0; i < h->n_slots; i++)
		if (h->slots[i].used)
			next = earliest(earliest(next, h->slots[i].next_send_ns),
					h->slots[i].deadline_ns);
	if (!next)
		return -1;
	now = slb_health_now_ns();
	if (next <= now)
		return 0;
	return (int)((next - now + 999999) / 1000000);
}

/* ---- the state machine -------------------------------------------------- */

static void change(struct slb_health *h, struct slb_probe_target *tg,
		   enum slb_backend_state to, const char *reason)
{
	enum slb_backend_state from = tg->st.state;
	uint32_t id = tg->t.id;
	char why[SLB_HEALTH_REASON_LEN];

	snprintf(why, sizeof(why), "%s", reason);
	tg->st.state = to;
	tg->st.changed_ns = slb_health_now_ns();
	tg->judged = true;
	memcpy(tg->st.reason, why, sizeof(why));
	/* Last, and with our own copies: the callback may add or remove
	 * targets, which moves the slots. */
	if (h->cb)
		h->cb(h->arg, id, from, to, why);
}

static void forget_failures(struct slb_probe_target *tg)
{
	tg->n_timeout = tg->n_icmp = tg->n_code = tg->n_send = 0;
}

/* Appends ", " (unless first) and a formatted part to the reason in buf. */
static void __attribute__((format(printf, 3, 4)))
append(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n && n + 2 < len) {
		memcpy(buf + n, ", ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* "3 timeouts", "503 Service Unavailable x2", "1 timeout, ICMP port unreachable":
 * each kind of failure of the streak with its count; bad codes are counted
 * together under the last one. */
static void failure_reason(const struct slb_probe_target *tg, char *buf, size_t len)
{
	buf[0] = '\0';
	if (tg->n_timeout)
		append(buf, len, "%u timeout%s", tg->n_timeout, tg->n_timeout > 1 ? "s" : "");
	if (tg->n_code == 1)
		append(buf, len, "%s", tg->last_code_text);
	if (tg->n_code > 1)
		append(buf, len, "%s x%u", tg->last_code_text, tg->n_code);
	if (tg->n_icmp == 1)
		append(buf, len, "%s", tg->last_icmp_text);
	if (tg->n_icmp > 1)
		append(buf, len, "%s x%u", tg->last_icmp_text, tg->n_icmp);
	if (tg->n_send)
		append(buf, len, "%u send error%s", tg->n_send, tg->n_send > 1 ? "s" : "");
}

static void success(struct slb_health *h, struct slb_probe_target *tg, const char *what)
{
	char reason[SLB_HEALTH_REASON_LEN];

	forget_failures(tg);
	switch (tg->st.state) {
	case SLB_BACKEND_UP:
		tg->st.streak = 0;
		/* Up since it was added: the first answer is why it is up. */
		if (!tg->judged)
			snprintf(tg->st.reason, sizeof(tg->st.reason), "%s", what);
		tg->judged = true;
		return;
	case SLB_BACKEND_DOWN:
		/* Probing is the visible "coming back" state; with rise 1 there
		 * is nothing to wait for (and UP counts failures from 0). */
		tg->st.streak = h->cfg.rise > 1 ? 1 : 0;
		change(h, tg, h->cfg.rise > 1 ? SLB_BACKEND_PROBING : SLB_BACKEND_UP, what);
		return;
	default:
		if (++tg->st.streak < h->cfg.rise)
			return;
		snprintf(reason, sizeof(reason), "%s x%u", what, tg->st.streak);
		tg->st.streak = 0;
		change(h, tg, SLB_BACKEND_UP, reason);
	}
}

static void failure(struct slb_health *h, struct slb_probe_target *tg)
{
	char reason[SLB_HEALTH_REASON_LEN];

	if (tg->st.state == SLB_BACKEND_DOWN) {
		forget_failures(tg);
		return;
	}
	/* A probing target goes back down on its first failure. */
	if (tg->st.state == SLB_BACKEND_UP && ++tg->st.streak < h->cfg.fall)
		return;
	failure_reason(tg, reason, sizeof(reason));
	tg->st.streak = 0;
	forget_failures(tg);
	change(h, tg, SLB_BACKEND_DOWN, reason);
}

/* probe_io's report of a probe (slb_probe_outcome_fn). */
static void outcome(struct slb_health *h, struct slb_probe_target *tg, const char *alive)
{
	if (alive)
		success(h, tg, alive);
	else
		failure(h, tg);
}

int slb_health_mark_down(struct slb_health *h, uint32_t id, const char *reason)
{
	struct slb_probe_target *tg = find(h, id);

	if (!tg)
		return -1;
	if (tg->st.state == SLB_BACKEND_DOWN)
		return 0;
	tg->st.streak = 0;
	forget_failures(tg);
	change(h, tg, SLB_BACKEND_DOWN, reason);
	return 1;
}

/* ---- timers ------------------------------------------------------------- */

static void expire(struct slb_health *h, struct slb_probe_target *tg)
{
	tg->deadline_ns = 0;
	tg->st.counters.timeouts++;
	tg->n_timeout++;
	failure(h, tg);
}

static void run_timers(struct slb_health *h)
{
	for (uint32_t i = 0; i < h->n_slots; i++) {
		uint64_t now = slb_health_now_ns();

		if (h->slots[i].used && h->slots[i].deadline_ns && now >= h->slots[i].deadline_ns)
			expire(h, &h->slots[i]);
		/* Again by index: expire's callback may have moved the slots. */
		if (i < h->n_slots && h->slots[i].used && now >= h->slots[i].next_send_ns &&
		    slb_probe_send(h, &h->slots[i], now))
			failure(h, &h->slots[i]);
	}
}

void slb_health_process(struct slb_health *h)
{
	slb_probe_receive(h, h->fd4, outcome);
	if (h->fd6 >= 0)
		slb_probe_receive(h, h->fd6, outcome);
	run_timers(h);
}
