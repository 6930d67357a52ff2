/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS SRV pools (RFC 2782, RFC 3263 §4.4; docs/health.md): a pool whose
 * backends are the targets of an SRV name, e.g. _sip._udp.example.net,
 * resolved with c-ares against configured resolvers, then A and AAAA of
 * each target. The answer is re-resolved when its TTL (the smallest over
 * all records used) runs out, within a floor and a ceiling; a failed
 * resolution keeps the last good answer, is reported, and is retried with
 * exponential backoff.
 *
 * No thread: slb_srv_fds gives c-ares' sockets to poll, slb_srv_timeout_ms
 * the time to the next query timeout or re-resolution, and slb_srv_process
 * does what is due. Time is CLOCK_MONOTONIC.
 *
 * slb_srv_select turns per-backend liveness into the weights that take
 * traffic: the lowest priority value with a live member wins.
 */
#ifndef SIPLB_SRV_H
#define SIPLB_SRV_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siplb/addr.h"

#define SLB_SRV_NAME_LEN 256        /* a domain name, with its NUL */
#define SLB_SRV_MAX_RESOLVERS 4
#define SLB_SRV_MAX_TARGETS 1024    /* addresses in one answer (SLB_MAX_BACKENDS) */
#define SLB_SRV_REASON_LEN 256

struct slb_srv_config {
	char name[SLB_SRV_NAME_LEN]; /* "_sip._udp.example.net" */
	struct slb_addr resolvers[SLB_SRV_MAX_RESOLVERS]; /* port 53 when the text has none */
	uint32_t n_resolvers;        /* 0: the system's (/etc/resolv.conf) */
	bool ipv4, ipv6;             /* look up A, AAAA of the targets */
	uint32_t ttl_floor_ms;       /* re-resolve no sooner than this */
	uint32_t ttl_ceiling_ms;     /* and no later than this */
	uint32_t retry_min_ms;       /* after a failure; doubles per failure */
	uint32_t retry_max_ms;
	uint32_t query_timeout_ms;   /* per try and resolver (c-ares) */
	uint32_t query_tries;
};

/* One address of one SRV target: a backend. */
struct slb_srv_target {
	uint16_t priority;           /* lower is preferred */
	uint16_t weight;             /* share within the priority */
	struct slb_addr a;           /* the target's address, the record's port */
	uint32_t record;             /* its SRV record: the addresses of one
				      * target share it (see slb_srv_select) */
	char name[SLB_SRV_NAME_LEN]; /* the SRV target, "sip1.example.net" */
};

/*
 * The answer: targets sorted by (priority, name, port, family, address),
 * one per address and port, so every siplb instance that gets the same
 * records builds the same list.
 */
struct slb_srv_result {
	struct slb_srv_target *targets;
	uint32_t n;
	uint32_t ttl;                /* seconds: the smallest TTL of the records */
};

struct slb_srv_counters {
	uint64_t resolutions;        /* rounds completed, good or not */
	uint64_t failures;           /* rounds that failed (last good kept) */
	uint64_t changes;            /* good rounds whose answer differed */
	uint32_t consecutive_failures;
};

struct slb_srv_callbacks {
	/* A good answer that differs from the previous one (also the first). */
	void (*update)(void *arg, const struct slb_srv_result *r);
	/* A failed round: "SRV _sip._udp.example.net: Timeout ..."; the last
	 * good answer stays. */
	void (*failure)(void *arg, const char *reason);
	void *arg;
};

struct slb_srv;

/* ipv4 on, ipv6 on, TTL floor 1 s, ceiling 1 h, retry 1 s .. 60 s, query
 * timeout 1 s, 2 tries; the name and the resolvers are the caller's. */
void slb_srv_config_init(struct slb_srv_config *c);

/* "127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353". 0, or -1 with err. */
int slb_srv_parse_resolver(const char *text, struct slb_addr *out, char *err, size_t errlen);

int slb_srv_config_check(const struct slb_srv_config *c, char *err, size_t errlen);

/* Starts the first resolution. NULL with a reason in err. */
struct slb_srv *slb_srv_create(const struct slb_srv_config *c,
			       const struct slb_srv_callbacks *cb,
			       char *err, size_t errlen);
void slb_srv_destroy(struct slb_srv *s);

/* c-ares' sockets with the events it waits for; returns how many (<= max).
 * They change as queries come and go: ask again before each poll. */
int slb_srv_fds(struct slb_srv *s, struct pollfd *fds, int max);

/* Milliseconds to the next query timeout or re-resolution (rounded up). */
int slb_srv_timeout_ms(struct slb_srv *s);

/* After poll: fds as filled by slb_srv_fds, with revents (NULL, 0 on a
 * timeout). Runs c-ares, and starts the next resolution when it is due. */
void slb_srv_process(struct slb_srv *s, const struct pollfd *fds, int n);

/* The last good answer (n 0 before the first); valid until the next
 * slb_srv_process. */
const struct slb_srv_result *slb_srv_result(const struct slb_srv *s);
const struct slb_srv_counters *slb_srv_counters(const struct slb_srv *s);

/*
 * The backends that take new traffic, RFC 2782 / RFC 3263 style:
 * - the group with the lowest priority value that has a live target;
 * - in it, a target (an SRV record) with several addresses sends to its
 *   first live address in the list's order (RFC 3263: the addresses of a
 *   target are tried in turn, not shared between);
 * - weights are the records' weights; weight 0 (RFC 2782: "a very small
 *   chance") takes traffic only when every live target of the group has
 *   weight 0, and then they share equally (weight 1 each): a Maglev table
 *   has no "very small" share that would not depend on the other weights.
 * live[i] says whether t[i] is up. weight[i] gets its Maglev weight (0: no
 * new traffic). Returns the chosen priority, or -1 when nothing is live.
 */
int32_t slb_srv_select(const struct slb_srv_target *t, size_t n, const bool *live,
		       uint16_t *weight);

#endif
