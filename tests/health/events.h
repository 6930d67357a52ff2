/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The prober tests' side of the event loop: a change callback that records
 * every state change with its time, and a poll loop that runs the prober
 * (and an optional hook for the test's own socket) until a condition or a
 * time limit.
 */
#ifndef SIPLB_TESTS_HEALTH_EVENTS_H
#define SIPLB_TESTS_HEALTH_EVENTS_H

#include <poll.h>

#include "harness.h"
#include "siplb/health.h"

#define MAX_EVENTS 256

struct event {
	uint32_t id;
	enum slb_backend_state from, to;
	char reason[SLB_HEALTH_REASON_LEN];
	uint64_t at_ns;
};

static struct event events[MAX_EVENTS];
static unsigned n_events;

static inline void record_change(void *arg, uint32_t id, enum slb_backend_state from,
				 enum slb_backend_state to, const char *reason)
{
	(void)arg;
	CHECK(n_events < MAX_EVENTS, "too many state changes");
	events[n_events] = (struct event){.id = id, .from = from, .to = to, .at_ns = now_ns()};
	snprintf(events[n_events].reason, sizeof(events[n_events].reason), "%s", reason);
	fprintf(stderr, "  change: id %u %d -> %d: %s\n", id, from, to, reason);
	n_events++;
}

/* The first change of id to state `to` at or after index from; NULL if none. */
static inline const struct event *find_event(uint32_t id, enum slb_backend_state to,
					     unsigned from)
{
	for (unsigned i = from; i < n_events; i++)
		if (events[i].id == id && events[i].to == to)
			return &events[i];
	return NULL;
}

static inline unsigned count_events(uint32_t id)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_events; i++)
		n += events[i].id == id;
	return n;
}

/* The test's own socket in the loop: fd and what to do when readable or
 * when its deadline (ns, 0: none) passes. */
struct hook {
	int fd;
	uint64_t deadline_ns;
	void (*run)(struct hook *k);
};

/* Runs h (and k) for up to ms, or until done(arg) is true. */
static inline void run_prober(struct slb_health *h, struct hook *k, unsigned ms,
			      bool (*done)(void *), void *arg)
{
	uint64_t end = now_ns() + ms * MSEC;

	while (now_ns() < end && !(done && done(arg))) {
		struct pollfd p[3] = {{0}};
		int fds[2], n = slb_health_fds(h, fds);
		int t = poll_ms(slb_health_timeout_ms(h), end);

		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (k) {
			p[n++] = (struct pollfd){.fd = k->fd, .events = POLLIN};
			if (k->deadline_ns)
				t = poll_ms(t, k->deadline_ns);
		}
		CHECK(poll(p, (nfds_t)n, t) >= 0 || errno == EINTR, "poll: %s", strerror(errno));
		slb_health_process(h);
		if (k && ((p[n - 1].revents & POLLIN) ||
			  (k->deadline_ns && now_ns() >= k->deadline_ns)))
			k->run(k);
	}
}

#endif
