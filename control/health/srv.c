/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS SRV pools (include/siplb/srv.h) with c-ares: one resolution round is
 * the SRV query, then A and AAAA of each distinct target, all in flight
 * together; the round ends when the last answer is in. The answer is built
 * and compared in srv_answer.c.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srv_int.h"

#define MS 1000000ull

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t retry_ms(const struct slb_srv *s)
{
	uint64_t ms = s->cfg.retry_min_ms;

	for (uint32_t i = 1; i < s->counters.consecutive_failures && ms < s->cfg.retry_max_ms; i++)
		ms *= 2;
	return ms < s->cfg.retry_max_ms ? ms : s->cfg.retry_max_ms;
}

static uint64_t ttl_ms(const struct slb_srv *s, uint32_t ttl)
{
	uint64_t ms = (uint64_t)ttl * 1000;

	if (ms < s->cfg.ttl_floor_ms)
		return s->cfg.ttl_floor_ms;
	return ms > s->cfg.ttl_ceiling_ms ? s->cfg.ttl_ceiling_ms : ms;
}

static void round_free(struct round *r)
{
	if (r->srv)
		ares_free_data(r->srv);
	free(r->hosts);
	free(r->queries);
	memset(r, 0, sizeof(*r));
}

static void round_failed(struct slb_srv *s)
{
	char reason[SLB_SRV_REASON_LEN];

	s->counters.failures++;
	s->counters.consecutive_failures++;
	s->next_ns = now_ns() + retry_ms(s) * MS;
	memcpy(reason, s->r.reason, sizeof(reason));
	round_free(&s->r);
	if (s->cb.failure)
		s->cb.failure(s->cb.arg, reason);
}

/* When the last query of the round has answered: publish or keep. */
static void round_end(struct slb_srv *s)
{
	struct slb_srv_result next = {0};

	if (s->r.pending)
		return;
	s->counters.resolutions++;
	if (!s->r.failed)
		slb_srv_build(&s->r, s->cfg.name, &next);
	if (s->r.failed) {
		round_failed(s);
		return;
	}
	s->counters.consecutive_failures = 0;
	s->next_ns = now_ns() + ttl_ms(s, next.ttl) * MS;
	round_free(&s->r);
	if (slb_srv_same(&s->result, &next)) {
		s->result.ttl = next.ttl;
		free(next.targets);
		return;
	}
	free(s->result.targets);
	s->result = next;
	s->counters.changes++;
	if (s->cb.update)
		s->cb.update(s->cb.arg, &s->result);
}

static void on_addr(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct slb_srv *s = q->s;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION)
		return;
	s->r.pending--;
	if (status == ARES_SUCCESS)
		slb_srv_add_addresses(&s->r, q, abuf, alen);
	/* NODATA / NXDOMAIN: the target has no address of this family. */
	else if (status != ARES_ENODATA && status != ARES_ENOTFOUND)
		slb_srv_fail(&s->r, "%s %s: %s", q->type == ns_t_a ? "A" : "AAAA",
			     s->r.hosts[q->host].name, ares_strerror(status));
	round_end(s);
}

static void ask(struct slb_srv *s, struct query *q)
{
	ares_query(s->ch, s->r.hosts[q->host].name, ns_c_in, q->type, on_addr, q);
}

/* A and AAAA for every target. The round holds one pending count of its
 * own meanwhile: c-ares may answer (fail) a query inside ares_query. */
static void ask_addresses(struct slb_srv *s)
{
	struct round *r = &s->r;
	uint32_t n = 0;

	if (!r->n_hosts)
		return; /* "." only: nothing to look up */
	r->queries = calloc((size_t)r->n_hosts * 2, sizeof(*r->queries));
	if (!r->queries) {
		slb_srv_fail(&s->r, "out of memory");
		return;
	}
	for (uint32_t h = 0; h < r->n_hosts; h++) {
		if (s->cfg.ipv4)
			r->queries[n++] = (struct query){s, h, ns_t_a};
		if (s->cfg.ipv6)
			r->queries[n++] = (struct query){s, h, ns_t_aaaa};
	}
	r->pending += n + 1;
	for (uint32_t i = 0; i < n; i++)
		ask(s, &r->queries[i]);
	r->pending--;
}

static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct slb_srv *s = arg;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION)
		return;
	s->r.pending--;
	if (status != ARES_SUCCESS)
		slb_srv_fail(&s->r, "SRV %s: %s", s->cfg.name, ares_strerror(status));
	else if (!slb_srv_take_records(&s->r, s->cfg.name, abuf, alen))
		ask_addresses(s);
	round_end(s);
}

static void round_start(struct slb_srv *s)
{
	s->r.active = true;
	s->r.ttl = UINT32_MAX;
	s->r.pending = 1;
	ares_query(s->ch, s->cfg.name, ns_c_in, ns_t_srv, on_srv, s);
}

/* ---- the channel --------------------------------------------------------- */

static int set_resolvers(struct slb_srv *s, char *err, size_t errlen)
{
	struct ares_addr_port_node nodes[SLB_SRV_MAX_RESOLVERS];
	int rc;

	if (!s->cfg.n_resolvers)
		return 0;
	memset(nodes, 0, sizeof(nodes));
	for (uint32_t i = 0; i < s->cfg.n_resolvers; i++) {
		const struct slb_addr *r = &s->cfg.resolvers[i];

		nodes[i].next = i + 1 < s->cfg.n_resolvers ? &nodes[i + 1] : NULL;
		nodes[i].family = r->family;
		memcpy(&nodes[i].addr, r->v6, r->family == AF_INET ? 4 : 16);
		nodes[i].udp_port = nodes[i].tcp_port = r->port;
	}
	rc = ares_set_servers_ports(s->ch, nodes);
	if (rc != ARES_SUCCESS)
		snprintf(err, errlen, "DNS resolvers: %s", ares_strerror(rc));
	return rc == ARES_SUCCESS ? 0 : -1;
}

static int open_channel(struct slb_srv *s, char *err, size_t errlen)
{
	struct ares_options o = {0};
	int rc;

	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return -1;
	}
	s->library = true;
	o.timeout = (int)s->cfg.query_timeout_ms;
	o.tries = (int)s->cfg.query_tries;
	rc = ares_init_options(&s->ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return -1;
	}
	s->channel = true;
	return set_resolvers(s, err, errlen);
}

struct slb_srv *slb_srv_create(const struct slb_srv_config *c,
			       const struct slb_srv_callbacks *cb,
			       char *err, size_t errlen)
{
	struct slb_srv *s;

	if (slb_srv_config_check(c, err, errlen))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = *c;
	if (cb)
		s->cb = *cb;
	if (open_channel(s, err, errlen)) {
		slb_srv_destroy(s);
		return NULL;
	}
	round_start(s);
	return s;
}

void slb_srv_destroy(struct slb_srv *s)
{
	if (!s)
		return;
	/* Ends the queries in flight (their callbacks see EDESTRUCTION). */
	if (s->channel)
		ares_destroy(s->ch);
	if (s->library)
		ares_library_cleanup();
	round_free(&s->r);
	free(s->result.targets);
	free(s);
}

int slb_srv_fds(struct slb_srv *s, struct pollfd *fds, int max)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	int bits = ares_getsock(s->ch, socks, ARES_GETSOCK_MAXNUM), n = 0;

	/* ares.h's ARES_GETSOCK_* shift a signed 1 into the sign bit. */
	for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
		short ev = (short)(((unsigned)bits & 1u << i ? POLLIN : 0) |
				   ((unsigned)bits & 1u << (i + ARES_GETSOCK_MAXNUM) ? POLLOUT : 0));

		if (ev)
			fds[n++] = (struct pollfd){.fd = socks[i], .events = ev};
	}
	return n;
}

int slb_srv_timeout_ms(struct slb_srv *s)
{
	struct timeval tv, *t = ares_timeout(s->ch, NULL, &tv);
	int64_t ms = -1, now = (int64_t)now_ns();

	if (!s->r.active)
		ms = s->next_ns > (uint64_t)now ? (int64_t)((s->next_ns - (uint64_t)now + MS - 1) / MS) : 0;
	if (t) {
		int64_t a = (int64_t)t->tv_sec * 1000 + (t->tv_usec + 999) / 1000;

		ms = ms < 0 || a < ms ? a : ms;
	}
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

void slb_srv_process(struct slb_srv *s, const struct pollfd *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		ares_process_fd(s->ch,
				fds[i].revents & (POLLIN | POLLERR | POLLHUP) ? fds[i].fd : ARES_SOCKET_BAD,
				fds[i].revents & POLLOUT ? fds[i].fd : ARES_SOCKET_BAD);
	}
	/* Query timeouts and retries. */
	ares_process_fd(s->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	if (!s->r.active && now_ns() >= s->next_ns)
		round_start(s);
}

const struct slb_srv_result *slb_srv_result(const struct slb_srv *s)
{
	return &s->result;
}

const struct slb_srv_counters *slb_srv_counters(const struct slb_srv *s)
{
	return &s->counters;
}
